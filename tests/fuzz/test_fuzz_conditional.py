# -*- coding: utf-8 -*-
"""Fuzzing the conditional and range headers of static files
(static/conditional.py): ``Range`` with ``If-Range``, ``If-Match``,
``If-None-Match``, ``If-Modified-Since``, ``If-Unmodified-Since`` and
``Accept-Encoding``.

Whatever text the headers hold -- numbers of thousands of digits, Unicode
digits and spaces, dates out of range -- the answer is one the module
documents (a span inside the file, 416 or the whole file; 304, 412 or
None; a bool) and nothing raises.
"""
import email.utils
import sys

import pytest

hypothesis = pytest.importorskip('hypothesis')

from hypothesis import strategies as st  # noqa: E402

from httptestserver.headers import Headers  # noqa: E402
from httptestserver.static.conditional import accepts_gzip, byte_range, \
    etags, http_date, precondition  # noqa: E402

from _fuzzing import fuzz_settings, known_bug  # noqa: E402

given = hypothesis.given

#: Python 3.11 (and 3.7.14, 3.8.14, 3.9.14, 3.10.7) refuse to convert a
#: string of more than sys.get_int_max_str_digits() digits to an int
#: (CVE-2020-10735).
_MAX_DIGITS = getattr(sys, 'get_int_max_str_digits', lambda: 0)()

BUGS = []  # huge Range numbers are bounded now: 416 or the file

ETAG = '"5f3a-1b"'
MTIME = 1700000000


def headers(**fields):
    return Headers([(name.replace('_', '-'), value)
                    for name, value in fields.items() if value is not None])


def wire_text(text):
    """Header text as the server hands it over: latin-1 decoded on
    Python 3, bytes on Python 2."""
    data = text.encode('utf-8')
    return data.decode('latin-1') if sys.version_info[0] >= 3 else data


TEXT = st.one_of(st.text(max_size=30), st.text(max_size=30).map(wire_text))
NUMBER = st.one_of(
    st.integers(0, 5000).map(str),
    st.integers(0, 2 ** 70).map(str),
    st.integers(20, 6000).map(lambda n: '9' * n),
    st.integers(20, 6000).map(lambda n: '0' * n + '7'),
    st.sampled_from([u'', u'-1', u'+5', u'1.5', u'0x10', u'\u0663',
                     u'\uff11', u'\xb2', u'1_000']))
SPACE = st.sampled_from([u'', u' ', u'\t', u'\xa0', u'\u2003', u'  '])


@st.composite
def range_value(draw):
    """A Range value: mostly one byte range, sometimes several, a suffix,
    another unit or garbage."""
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(TEXT)
    unit = draw(st.sampled_from([u'bytes', u'BYTES', u'items', u'bytes ',
                                 u'']))
    spans = []
    for _ in range(draw(st.integers(1, 3))):
        spans.append(draw(NUMBER) + draw(SPACE) + u'-' + draw(SPACE) +
                     draw(NUMBER))
    return unit + u'=' + draw(SPACE) + u','.join(spans) + draw(SPACE)


DATE = st.one_of(
    st.integers(0, 2 ** 33).map(lambda t: email.utils.formatdate(
        t, usegmt=True)),
    st.just(email.utils.formatdate(MTIME, usegmt=True)),
    st.tuples(st.sampled_from([u'Mon, ', u'', u'Xyz, ']),
              NUMBER, st.sampled_from([u' Jan ', u' Foo ', u' ']), NUMBER,
              st.sampled_from([u' 00:00:00', u' 99:99:99', u' 1:2',
                               u'']),
              st.sampled_from([u' GMT', u' +9999', u' -0000', u' EST',
                               u'', u' +'])).map(u''.join),
    TEXT)
TAGS = st.one_of(
    st.lists(st.sampled_from([ETAG, u'W/' + ETAG, u'"other"', u'*',
                              u'W/"x"', u'"', u'""', u'W/']),
             max_size=4).map(u', '.join),
    TEXT)
IF_RANGE = st.one_of(st.none(), TAGS, DATE)


@fuzz_settings()
@given(st.one_of(range_value(), TEXT), IF_RANGE,
       st.integers(0, 10 ** 6), st.sampled_from([ETAG, u'"x"']),
       st.sampled_from([MTIME, 0, MTIME + 1]))
def test_any_range_gives_a_span_inside_the_file_416_or_the_whole(
        value, if_range, size, etag, mtime):
    try:
        span = byte_range(headers(Range=value, If_Range=if_range), etag,
                          mtime, size)
    except ValueError:
        if not known_bug(BUGS):
            raise
        return
    if span is None or span == 416:
        return
    offset, length = span
    assert 0 <= offset and 1 <= length and offset + length <= size


@fuzz_settings()
@given(st.sampled_from([u'bytes=%s-', u'bytes=0-%s', u'bytes=-%s',
                        u'bytes=%s-%s']),
       st.integers(1, 6000), st.integers(0, 10 ** 6))
def test_numbers_past_the_file_give_416_or_the_whole_file(form, digits,
                                                          size):
    huge = u'9' * digits
    value = form % ((huge,) * form.count('%s'))
    try:
        span = byte_range(headers(Range=value), ETAG, MTIME, size)
    except ValueError:
        if not known_bug(BUGS):
            raise
        return
    if digits > len(str(size)):
        expected = {u'bytes=%s-': 416,
                    u'bytes=0-%s': None if size == 0 else (0, size),
                    u'bytes=-%s': 416 if size == 0 else (0, size),
                    u'bytes=%s-%s': 416}[form]
        if expected is None:  # an empty file: bytes=0-N is unsatisfiable
            assert span == 416
        else:
            assert span == expected


@fuzz_settings()
@given(st.one_of(st.none(), TAGS), st.one_of(st.none(), TAGS),
       st.one_of(st.none(), DATE), st.one_of(st.none(), DATE),
       st.sampled_from([MTIME - 1, MTIME, MTIME + 1, 0]))
def test_any_precondition_headers_give_304_412_or_none(
        if_match, if_none_match, since, unmodified, mtime):
    answer = precondition(headers(If_Match=if_match,
                                  If_None_Match=if_none_match,
                                  If_Modified_Since=since,
                                  If_Unmodified_Since=unmodified),
                          ETAG, mtime)
    assert answer in (None, 304, 412)


@fuzz_settings()
@given(st.one_of(st.none(), DATE))
def test_any_date_reads_as_a_timestamp_or_none(value):
    stamp = http_date(value)
    assert stamp is None or isinstance(stamp, (int, float)) or \
        type(stamp).__name__ == 'long'  # Python 2


@fuzz_settings()
@given(st.one_of(st.none(), TAGS))
def test_any_tag_list_reads_as_tags(value):
    assert all(tag == u'*' or tag.endswith(u'"') for tag in etags(value))


@fuzz_settings()
@given(st.one_of(
    st.none(), TEXT,
    st.lists(st.tuples(st.sampled_from([u'gzip', u'x-gzip', u'*',
                                        u'identity', u'GZIP', u'']),
                       st.sampled_from([u'', u';q=0', u';q=1', u';q=0.5',
                                        u';q=nan', u';q=1e999', u';q=',
                                        u';q=-1', u'; Q = 0', u';q=\u0663'])),
             max_size=4).map(lambda items: u', '.join(
                 c + q for c, q in items))))
def test_any_accept_encoding_gives_a_bool(value):
    assert accepts_gzip(value) in (True, False)


def test_a_range_with_thousands_of_digits_gives_416_or_the_whole_file():
    digits = u'9' * ((_MAX_DIGITS or 4300) + 1)
    assert byte_range(headers(Range=u'bytes=%s-' % digits),
                      ETAG, MTIME, 100) == 416
    assert byte_range(headers(Range=u'bytes=0-%s' % digits),
                      ETAG, MTIME, 100) == (0, 100)
    assert byte_range(headers(Range=u'bytes=-%s' % digits),
                      ETAG, MTIME, 100) == (0, 100)
