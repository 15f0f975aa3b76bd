# -*- coding: utf-8 -*-
"""Fuzzing the request-part decoding (protocol/parts.py, multipart.py,
params.py): targets, urlencoded forms, multipart bodies, cookies and JSON.

Whatever a client sends, :func:`parse_fields` returns the documented dict,
every text value a native ``str`` and file contents bytes, and raises
nothing -- with any charset name, any boundary, any mutated part.  What a
browser or a client library would send (a form, a multipart body with a
random boundary, quoted cookies, JSON in a Unicode encoding) decodes back
to what was sent.
"""
import json
import sys

import pytest

hypothesis = pytest.importorskip('hypothesis')

from hypothesis import strategies as st  # noqa: E402
from six.moves import http_cookies  # noqa: E402
from six.moves.urllib.parse import quote, quote_plus  # noqa: E402

from httptestserver.protocol.parts import parse_fields  # noqa: E402

from _fuzzing import Bug, fuzz_settings, known_bug  # noqa: E402

given = hypothesis.given
PY3 = sys.version_info[0] >= 3

STRING_ESCAPE_BUG = Bug(
    'protocol/params.py', 'decode_header_value', UnicodeDecodeError,
    "Python 2: parse_fields('/', 'multipart/form-data; boundary=b; "
    "charset=string_escape', [], b'--b\\r\\nContent-Disposition: "
    "form-data; name=\"\\x80\"\\r\\n\\r\\nx\\r\\n--b--\\r\\n') raises "
    "UnicodeDecodeError: "
    "text_charset lets string_escape through (its CodecInfo does not say "
    "it is not a text encoding), it decodes to bytes, and "
    "decode_header_value calls .encode('utf-8') on them",
    applies=not PY3)
BUGS = [STRING_ESCAPE_BUG]

KEYS = ['cookies', 'files', 'form', 'json', 'json_error', 'query',
        'query_string', 'url_path']


def native(text):
    """Text as the native str the parser returns."""
    return text if PY3 else text.encode('utf-8')


def received(data):
    """Bytes of a target or header as the server hands them over: latin-1
    text on Python 3, the bytes on Python 2."""
    return data.decode('latin-1') if PY3 else data


def utf8(text):
    # surrogatepass: Hypothesis text may hold lone surrogates on purpose
    return text.encode('utf-8', 'surrogatepass') if PY3 else \
        text.encode('utf-8')


def check_shape(fields):
    """The documented keys, every text a native str, contents bytes."""
    assert sorted(fields) == KEYS
    for key in ('url_path', 'query_string'):
        assert type(fields[key]) is str
    for key in ('query', 'form'):
        for name, values in fields[key].items():
            assert type(name) is str
            assert all(type(value) is str for value in values)
    for name, value in fields['cookies'].items():
        assert type(name) is str and type(value) is str
    for name, entries in fields['files'].items():
        assert type(name) is str
        for entry in entries:
            assert sorted(entry) == ['content', 'content_type', 'filename',
                                     'name']
            assert type(entry['content']) is bytes
            for key in ('name', 'filename', 'content_type'):
                assert type(entry[key]) is str
    assert fields['json_error'] is None or \
        isinstance(fields['json_error'], str)
    if fields['json_error'] is not None:
        assert fields['json'] is None


# -- what arrives -------------------------------------------------------------
#: Charset names: text codecs, bytes-to-bytes and text-to-text codecs,
#: codecs that refuse 'replace' or every input, and names that are none.
CHARSETS = [
    u'utf-8', u'UTF-8', u'latin-1', u'ascii', u'utf-16', u'utf-16-be',
    u'utf-32', u'utf-8-sig', u'utf-7', u'cp037', u'big5', u'shift_jis',
    u'iso2022_jp', u'koi8-r', u'mac-roman', u'punycode', u'idna', u'rot13',
    u'hex', u'base64', u'zlib', u'bz2', u'uu', u'quopri', u'undefined',
    u'unicode_escape', u'raw_unicode_escape', u'string_escape', u'mbcs',
    u'oem', u'charmap', u'', u' utf-8', u'"utf-8"', u'utf-8\x00',
    u'no-such-codec', u'\xe9', u'x' * 300]
CHARSET = st.one_of(st.sampled_from(CHARSETS), st.text(max_size=12))
MEDIA = st.sampled_from([
    u'application/x-www-form-urlencoded', u'multipart/form-data',
    u'application/json', u'application/vnd.api+json', u'text/plain',
    u'MULTIPART/FORM-DATA', u'application/json ', u'', u';', u'+json'])
PARAM_NAME = st.sampled_from([u'charset', u'boundary', u'charset*',
                              u'boundary*', u'CHARSET', u'x', u''])
PARAM_VALUE = st.one_of(
    CHARSET, st.text(max_size=12),
    st.text(max_size=12).map(lambda t: u'"%s"' % t),
    st.tuples(CHARSET, st.text(max_size=8)).map(
        lambda p: u"%s''%s" % (p[0], quote(utf8(p[1])))))
CONTENT_TYPE = st.one_of(
    st.none(), st.text(max_size=40),
    st.tuples(MEDIA, st.lists(st.tuples(PARAM_NAME, PARAM_VALUE),
                              max_size=3)).map(
        lambda mp: mp[0] + u''.join(u'; %s=%s' % p for p in mp[1])))


def wire(strategy):
    """Text from *strategy* as it arrives in a header: its UTF-8 bytes,
    received; or, on Python 3, as a direct caller may pass any str."""
    arrived = strategy.map(lambda t: received(utf8(t)))
    if PY3:
        return st.one_of(arrived, strategy)
    return arrived


TARGET = st.one_of(
    wire(st.text(max_size=40)),
    st.binary(max_size=40).map(received),
    st.tuples(st.sampled_from([u'/', u'http://h', u'HTTP://h:1/p', u'*',
                               u'h:443', u'', u'//x', u'/a?']),
              st.text(max_size=20)).map(lambda p: received(utf8(
                  p[0] + u'?' + p[1]))))
COOKIES = st.lists(st.one_of(
    wire(st.text(max_size=30)),
    st.binary(max_size=30).map(received),
    wire(st.lists(st.tuples(st.text(max_size=6), st.text(max_size=8)),
                  max_size=4).map(lambda pairs: u'; '.join(
                      u'%s=%s' % p for p in pairs)))), max_size=3)


@st.composite
def multipart_body(draw, boundary, mutate=False):
    """A multipart body with a few parts, maybe mangled."""
    chunks = []
    eol = draw(st.sampled_from([b'\r\n', b'\n']))
    for _ in range(draw(st.integers(0, 4))):
        chunks.append(b'--' + boundary + eol)
        for _ in range(draw(st.integers(0, 3))):
            chunks.append(draw(st.one_of(
                st.sampled_from([
                    b'Content-Disposition: form-data; name="a"',
                    b'Content-Disposition: form-data; name="f"; '
                    b'filename="x.txt"',
                    b"Content-Disposition: form-data; name*=utf-8''%C3%A9",
                    b'Content-Disposition: form-data; name="a%22b%0D"; '
                    b'filename*=bad',
                    b'Content-Type: text/plain; charset=' +
                    utf8(draw(st.sampled_from(CHARSETS))),
                    b' folded', b'X', b':', b'Content-Disposition:']),
                st.binary(max_size=20))) + eol)
        chunks.append(eol + draw(st.binary(max_size=30)) + eol)
    if draw(st.booleans()):
        chunks.append(b'--' + boundary + b'--' + eol)
    body = bytearray(b''.join(chunks))
    if mutate:
        for _ in range(draw(st.integers(1, 4))):
            where = draw(st.integers(0, len(body)))
            body[where:where + draw(st.integers(0, 4))] = draw(
                st.binary(max_size=4))
    return bytes(body)


BOUNDARY_TEXT = st.text(max_size=20)


@st.composite
def request_parts(draw):
    """(target, content type, cookie headers, body) as a client might
    send them, the body sometimes framed as the content type says."""
    content_type = draw(CONTENT_TYPE)
    kind = draw(st.integers(0, 3))
    if kind == 0:
        body = draw(st.binary(max_size=200))
    elif kind == 1:
        boundary = draw(BOUNDARY_TEXT)
        content_type = u'multipart/form-data; boundary="%s"; charset=%s' % (
            boundary, draw(CHARSET))
        body = draw(multipart_body(utf8(boundary), mutate=draw(
            st.booleans())))
    elif kind == 2:
        body = draw(st.lists(st.tuples(st.binary(max_size=6),
                                       st.binary(max_size=6)),
                             max_size=5).map(lambda pairs: b'&'.join(
                                 a + b'=' + b for a, b in pairs)))
    else:
        body = draw(st.one_of(
            st.binary(max_size=100),
            st.integers(1, 50000).map(lambda n: b'[' * n + b']' * n),
            st.integers(1, 50000).map(lambda n: b'{"a":' * n + b'1' +
                                      b'}' * n)))
    if content_type is not None:
        arrived = received(utf8(content_type))
        content_type = draw(st.sampled_from([content_type, arrived])) \
            if PY3 else arrived
    return draw(TARGET), content_type, draw(COOKIES), body


@fuzz_settings(scale=2)
@given(request_parts())
def test_any_request_decodes_to_the_documented_fields(parts):
    target, content_type, cookies, body = parts
    try:
        fields = parse_fields(target, content_type, cookies, body)
    except UnicodeDecodeError:
        if not known_bug(BUGS):
            raise
        return
    check_shape(fields)


@fuzz_settings()
@given(st.sampled_from([u'application/x-www-form-urlencoded',
                        u'application/json', u'multipart/form-data; '
                        u'boundary=b']),
       st.sampled_from(CHARSETS), st.binary(max_size=200))
def test_any_charset_name_decodes_any_body(media, charset, body):
    content_type = u'%s; charset=%s' % (media, charset)
    if media.startswith(u'multipart'):
        body = b'--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n' + \
            body + b'\r\n--b--\r\n'
    try:
        fields = parse_fields('/', received(utf8(content_type)), [], body)
    except UnicodeDecodeError:
        if not known_bug(BUGS):
            raise
        return
    check_shape(fields)


# -- what a client would send decodes back ----------------------------------
FORM = st.lists(st.tuples(st.text(max_size=8), st.text(max_size=12)),
                max_size=6)


def expected_form(pairs):
    result = {}
    for name, value in pairs:
        result.setdefault(native(name), []).append(native(value))
    return result


def urlencoded(pairs):
    return '&'.join(quote_plus(utf8(name)) + '=' + quote_plus(utf8(value))
                    for name, value in pairs)


@fuzz_settings()
@given(FORM)
def test_a_urlencoded_form_and_query_decode_back(pairs):
    encoded = urlencoded(pairs)
    fields = parse_fields('/p?' + encoded,
                          'application/x-www-form-urlencoded',
                          [], encoded.encode('ascii'))
    assert fields['form'] == expected_form(pairs)
    assert fields['query'] == expected_form(pairs)
    assert fields['query_string'] == encoded


#: RFC 2046 boundary characters.
BCHARS = (u"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
          u"'()+_,-./:=? ")
BOUNDARY = st.text(alphabet=BCHARS, min_size=1, max_size=70).filter(
    lambda b: not b.endswith(u' '))
#: Names and filenames as browsers send them: UTF-8, with only '"', CR
#: and LF escaped (WHATWG), so no backslash and no '%'.
NAME = st.text(max_size=10).filter(
    lambda t: u'\\' not in t and u'%' not in t)
PART = st.one_of(
    st.tuples(st.just('field'), NAME, st.text(max_size=20)),
    st.tuples(st.just('file'), NAME, st.tuples(
        NAME, st.binary(max_size=40),
        st.sampled_from([None, u'text/plain', u'image/png',
                         u'application/octet-stream']))))


def escape_name(name):
    return utf8(name).replace(b'"', b'%22').replace(b'\r', b'%0D') \
        .replace(b'\n', b'%0A')


@fuzz_settings()
@given(BOUNDARY, st.lists(PART, max_size=6), st.booleans())
def test_a_multipart_body_with_any_boundary_decodes_back(boundary, parts,
                                                         crlf):
    eol = b'\r\n' if crlf else b'\n'
    delimiter = b'--' + boundary.encode('ascii')
    chunks = []
    form, files = {}, {}
    for kind, name, value in parts:
        chunks.append(delimiter + eol)
        disposition = b'Content-Disposition: form-data; name="' + \
            escape_name(name) + b'"'
        if kind == 'field':
            content = utf8(value)
            chunks.append(disposition + eol)
            form.setdefault(native(name), []).append(native(value))
        else:
            filename, content, content_type = value
            chunks.append(disposition + b'; filename="' +
                          escape_name(filename) + b'"' + eol)
            if content_type:
                chunks.append(b'Content-Type: ' +
                              content_type.encode('ascii') + eol)
            files.setdefault(native(name), []).append({
                'name': native(name), 'filename': native(filename),
                'content_type': native(content_type or
                                       u'application/octet-stream'),
                'content': content})
        hypothesis.assume(eol + delimiter not in content + eol)
        if not crlf:  # a bare-LF body: a CR before a delimiter is eaten
            hypothesis.assume(not content.endswith(b'\r'))
        chunks.append(eol + content + eol)
    chunks.append(delimiter + b'--' + eol)
    fields = parse_fields(
        '/', 'multipart/form-data; boundary="%s"' % str(boundary), [],
        b''.join(chunks))
    check_shape(fields)
    assert fields['form'] == form
    assert fields['files'] == files


COOKIE_NAME = st.text(alphabet=u"abcdefghijklmnopqrstuvwxyzABCXYZ0123456789"
                      u"!#$%&'*+-.^_`|~", min_size=1, max_size=8)
RESERVED = set(['expires', 'path', 'comment', 'domain', 'max-age', 'secure',
                'httponly', 'version', 'samesite', 'partitioned'])


@fuzz_settings()
@given(st.lists(st.lists(st.tuples(COOKIE_NAME, st.text(max_size=12)),
                         min_size=1, max_size=4), min_size=1, max_size=3))
def test_cookies_quoted_as_http_cookies_does_decode_back(headers):
    """Cookie headers written by http.cookies (which quotes and escapes a
    value with special characters) give every cookie back, the later one
    of a name winning."""
    expected = {}
    sent = []
    for pairs in headers:
        pieces = []
        for name, value in pairs:
            if name.lower() in RESERVED:
                continue
            morsel = http_cookies.Morsel()
            raw = native(value)
            morsel.set(native(name), raw, http_cookies._quote(raw))
            pieces.append(morsel.OutputString())
            expected[native(name)] = raw
        cookie = '; '.join(pieces)
        sent.append(received(cookie.encode('utf-8') if PY3 else cookie))
    fields = parse_fields('/', None, sent, b'')
    assert fields['cookies'] == expected


JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70),
              st.floats(allow_nan=False), st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=6), inner,
                                            max_size=4)),
    max_leaves=12)


@fuzz_settings()
@given(JSON, st.sampled_from([None, u'utf-8', u'UTF-8', u'utf-16',
                              u'utf-16-le', u'utf-32', u'utf-8-sig']),
       st.sampled_from([u'application/json', u'application/ld+json']),
       st.booleans())
def test_json_in_any_unicode_encoding_decodes_back(value, charset, media,
                                                   bom):
    text = json.dumps(value)
    if bom and charset in (None, u'utf-8', u'UTF-8'):
        text = u'\ufeff' + text
    body = text.encode(charset or 'utf-8')
    content_type = media if charset is None else \
        u'%s; charset=%s' % (media, charset)
    fields = parse_fields('/', str(content_type), [], body)
    assert fields['json_error'] is None
    assert fields['json'] == json.loads(json.dumps(value))


@STRING_ESCAPE_BUG.xfail()
def test_a_multipart_name_decodes_with_any_charset_name():
    fields = parse_fields(
        '/', 'multipart/form-data; boundary=b; charset=string_escape', [],
        b'--b\r\nContent-Disposition: form-data; name="\x80"\r\n\r\nx\r\n'
        b'--b--\r\n')
    check_shape(fields)
