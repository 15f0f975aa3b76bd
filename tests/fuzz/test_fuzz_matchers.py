# -*- coding: utf-8 -*-
"""Fuzzing request matchers (answers/matchers.py, json_matching.py).

:class:`Matcher` built from any dict -- match specs with conditions of the
wrong type, unknown operators, regular expressions that do not compile or
nest too deep -- is built or raises :class:`ConfigurationError`, nothing
else; and a matcher that was built answers True or False for any recorded
request, whatever its headers, cookies and body (deep JSON included).
"""
import json

import pytest

hypothesis = pytest.importorskip('hypothesis')

import six  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from httptestserver import ConfigurationError, Matcher  # noqa: E402
from httptestserver.headers import Headers  # noqa: E402
from httptestserver.protocol.parts import parse_fields  # noqa: E402

from _fuzzing import fuzz_settings, known_bug, raised  # noqa: E402
from _stub_shapes import JSON, MATCH, STUB_BUGS, TEXT  # noqa: E402

given = hypothesis.given
pytestmark = pytest.mark.filterwarnings(
    'ignore:Possible nested set:FutureWarning')

#: Dicts that are not JSON: keys of other types.
ODD_DICT = st.dictionaries(st.one_of(st.integers(), st.none(), TEXT),
                           JSON, max_size=3)


def build(spec):
    """Return Matcher(spec), or None when it raised ConfigurationError or
    a known bug."""
    try:
        return Matcher(spec)
    except ConfigurationError:
        hypothesis.event('refused')
        return None
    except Exception:
        if not known_bug(STUB_BUGS):
            raise
        return None


@fuzz_settings(scale=2)
@given(st.one_of(MATCH, JSON, ODD_DICT))
def test_any_match_spec_builds_or_is_a_configuration_error(spec):
    matcher = build(spec)
    if matcher is not None:
        hypothesis.event('built')
        assert isinstance(matcher.describe(), six.string_types)


def received(text):
    """Text as the server hands a header or target over: its UTF-8 bytes,
    latin-1 decoded on Python 3, as they are on Python 2."""
    data = text.encode('utf-8')
    return data.decode('latin-1') if six.PY3 else data


def deep(n):
    return b'[' * n + b']' * n


BODY = st.one_of(
    st.binary(max_size=40), JSON.map(lambda v: json.dumps(v).encode('utf-8')),
    st.integers(1, 100000).map(deep),
    st.integers(100, 900).map(deep),
    st.integers(100, 900).map(lambda n: b'{"a": ' * n + b'1' + b'}' * n))


@st.composite
def recorded(draw):
    """A request dict as the server records it, its fields decoded by
    parse_fields as the server does."""
    method = draw(st.sampled_from(['GET', 'POST', 'PUT', 'get', '']))
    target = draw(st.one_of(TEXT.map(received),
                            st.sampled_from(['/', '/x', '/x?y=1'])))
    target = target if target.startswith('/') else '/' + target
    headers = Headers(draw(st.lists(st.tuples(
        st.one_of(TEXT.map(received),
                  st.sampled_from(['Content-Type', 'Cookie', 'X'])),
        TEXT.map(received)), max_size=3)))
    body = draw(BODY)
    content_type = draw(st.sampled_from([None, 'application/json',
                                         'text/plain']))
    fields = parse_fields(target, content_type,
                          headers.get_all('Cookie') or [], body)
    request = {'method': method, 'path': target, 'headers': headers,
               'body': body}
    request.update(fields)
    return request


@fuzz_settings(scale=1.5)
@given(st.one_of(MATCH, MATCH, st.builds(dict, json=JSON),
                 st.builds(dict, json_subset=JSON)), recorded())
def test_a_matcher_answers_any_request_with_a_bool(spec, request):
    matcher = build(spec)
    if matcher is None:
        return
    try:
        answer = matcher.matches(request)
    except Exception:
        if not known_bug(STUB_BUGS):
            raise
        return
    hypothesis.event('matched' if answer else 'did not match')
    assert answer in (True, False)
    reason = matcher.explain(request)
    assert (reason is None) == answer


# -- the bugs ----------------------------------------------------------------
@pytest.mark.parametrize('spec', [{'headers': {'x': {'matches': 5}}},
                                  {'body': {'matches': 5}}],
                         ids=['header', 'body'])
def test_a_pattern_that_is_not_text_is_a_configuration_error(spec):
    with pytest.raises(ConfigurationError):
        Matcher(spec)


def test_a_spec_with_keys_that_are_not_text_is_a_configuration_error():
    with pytest.raises(ConfigurationError):
        Matcher({1: 2, 'a': 3})


@pytest.mark.parametrize('pattern', [u'(' * 1000 + u')' * 1000,
                                     u'a{4294967296}'],
                         ids=['deep', 'huge-repeat'])
def test_a_pattern_re_cannot_compile_is_a_configuration_error(pattern):
    error = raised(Matcher, {'path_pattern': pattern})
    assert isinstance(error, ConfigurationError), repr(error)


def test_a_body_too_deep_to_parse_does_not_match_a_json_condition():
    body = deep(100000)
    request = {'method': 'POST', 'body': body}
    request.update(parse_fields('/', 'application/json', [], body))
    assert request['json'] is None and request['json_error']
    assert Matcher({'json': []}).matches(request) is False


def test_a_method_that_is_not_ascii_builds_or_is_a_configuration_error():
    try:
        Matcher({'method': u'\xe9'})
    except ConfigurationError:
        pass
