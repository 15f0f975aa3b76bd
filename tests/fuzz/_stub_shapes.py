# -*- coding: utf-8 -*-
"""What the fuzz tests of stubs, matchers and the control API share: JSON
documents shaped like WireMock mappings, our stubs and match specs (each
field sometimes of the wrong type), and the bugs found in the code that
reads them.

Imported by the test modules after ``pytest.importorskip('hypothesis')``.
"""
import six
from hypothesis import strategies as st

PY3 = six.PY3

#: Every bug that a document posted to the control API may reach (none
#: known: the bugs this fuzzing found are fixed; a new one is registered
#: here as a _fuzzing.Bug with a strict xfail test).
STUB_BUGS = []

# -- documents ---------------------------------------------------------------
#: Every key of WireMock's mappings and of our stubs and match specs.
KEYS = [
    # WireMock, top, request, response, matchers, metadata
    'id', 'uuid', 'name', 'request', 'response', 'priority', 'persistent',
    'metadata', 'method', 'url', 'urlPath', 'urlPattern', 'urlPathPattern',
    'queryParameters', 'headers', 'cookies', 'bodyPatterns', 'status',
    'body', 'jsonBody', 'base64Body', 'fixedDelayMilliseconds', 'fault',
    'statusMessage', 'equalTo', 'contains', 'matches', 'absent',
    'caseInsensitive', 'hasExactly', 'equalToJson', 'ignoreArrayOrder',
    'ignoreExtraElements', 'binaryEqualTo', 'httptestserver', 'methods',
    'times', 'mappings',
    # ours
    'match', 'path', 'path_pattern', 'path_prefix', 'url_pattern', 'query',
    'json', 'json_subset', 'ignore_array_order', 'body_base64', 'delay',
    'equal', 'present', 'ignore_case', 'base64', '$base64']
#: Strings that mean something to the code that reads stubs.
STRINGS = [
    u'/', u'/x', u'/x?y=1', u'x', u'GET', u'POST', u'ANY', u'(', u'[a-',
    u'.*', u'(?P<', u'\\', u'a{4294967296}', u'(?i)',
    u'CONNECTION_RESET_BY_PEER', u'EMPTY_RESPONSE',
    u'MALFORMED_RESPONSE_CHUNK', u'RANDOM_DATA_THEN_CLOSE', u'AP8=', u'=',
    u'x==', u'{"a": [1]}', u'[1, 2]', u'{', u'\xe9', u'\x00', u'a\r\nb',
    u'x' * 300, u'', u'text/plain', u'Content-Type', u'1e3']
#: Strings nested deeper than a recursive parser goes.
DEEP = st.one_of(
    st.integers(100, 3000).map(lambda n: u'[' * n),
    st.integers(100, 1200).map(lambda n: u'(' * n + u')' * n))
SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 1000),
    st.integers(-2 ** 80, 2 ** 80), st.floats(), st.text(max_size=10),
    st.sampled_from(STRINGS), DEEP)
KEY = st.one_of(st.sampled_from(KEYS), st.text(max_size=8))
JSON = st.recursive(
    SCALAR, lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(KEY, inner, max_size=4)),
    max_leaves=12)


def maybe(strategy):
    """Mostly *strategy*, sometimes any JSON value in its place."""
    return st.one_of(strategy, strategy, strategy, JSON)


def optional(fields):
    """A dict holding any of *fields* (name -> strategy), each value
    sometimes of the wrong type, and sometimes a key that is none."""
    return st.tuples(
        st.fixed_dictionaries({}, optional=dict(
            (name, maybe(value)) for name, value in fields.items())),
        st.one_of(st.just({}), st.just({}), st.just({}),
                  st.dictionaries(KEY, JSON, max_size=1))).map(
        lambda pair: dict(pair[1], **pair[0]) if PY3 else
        dict(list(pair[1].items()) + list(pair[0].items())))


TEXT = st.one_of(st.sampled_from(STRINGS), st.sampled_from(STRINGS),
                 st.text(max_size=10), DEEP)
NUMBER = st.one_of(st.integers(-1, 1000), st.floats(),
                   st.sampled_from([1e306, 1e308, 0.0015, 2 ** 70]))

# WireMock's form
WM_VALUE = optional({
    'equalTo': TEXT, 'contains': TEXT, 'matches': TEXT,
    'absent': st.booleans(), 'caseInsensitive': st.booleans(),
    'hasExactly': st.lists(st.fixed_dictionaries({'equalTo': TEXT}),
                           max_size=2)})
WM_BODY = optional({
    'equalTo': TEXT, 'contains': TEXT, 'matches': TEXT,
    'equalToJson': st.one_of(JSON, TEXT), 'binaryEqualTo': TEXT,
    'ignoreArrayOrder': st.booleans(), 'ignoreExtraElements': st.booleans(),
    'caseInsensitive': st.booleans()})
WM_REQUEST = optional({
    'method': TEXT, 'url': TEXT, 'urlPath': TEXT, 'urlPattern': TEXT,
    'urlPathPattern': TEXT,
    'queryParameters': st.dictionaries(TEXT, WM_VALUE, max_size=2),
    'headers': st.dictionaries(TEXT, WM_VALUE, max_size=2),
    'cookies': st.dictionaries(TEXT, WM_VALUE, max_size=2),
    'bodyPatterns': st.lists(WM_BODY, max_size=2)})
HEADERS = st.one_of(
    st.dictionaries(TEXT, st.one_of(TEXT, st.lists(TEXT, max_size=2),
                                    NUMBER), max_size=2),
    st.lists(st.tuples(TEXT, TEXT).map(list), max_size=2))
WM_RESPONSE = optional({
    'status': st.one_of(st.integers(99, 1000), NUMBER), 'headers': HEADERS,
    'body': TEXT, 'jsonBody': JSON, 'base64Body': TEXT,
    'fixedDelayMilliseconds': NUMBER, 'fault': TEXT,
    'statusMessage': TEXT})
WM_MAPPING = optional({
    'id': TEXT, 'uuid': TEXT, 'name': TEXT, 'request': WM_REQUEST,
    'response': WM_RESPONSE, 'priority': NUMBER,
    'persistent': st.booleans(),
    'metadata': st.fixed_dictionaries({'httptestserver': optional({
        'methods': st.lists(TEXT, max_size=2), 'cookies': JSON,
        'times': NUMBER})})})

# our form
CONDITION = st.one_of(TEXT, optional({
    'equal': TEXT, 'contains': TEXT, 'matches': TEXT,
    'present': st.booleans(), 'ignore_case': st.booleans()}))
BODY_CONDITION = st.one_of(TEXT, optional({
    'equal': TEXT, 'contains': TEXT, 'matches': TEXT, 'base64': TEXT,
    'json': JSON, 'json_subset': JSON, 'ignore_array_order': st.booleans(),
    'ignore_case': st.booleans()}))
MATCH = optional({
    'method': st.one_of(TEXT, st.lists(TEXT, max_size=2)), 'path': TEXT,
    'path_pattern': TEXT, 'path_prefix': TEXT, 'url_pattern': TEXT,
    'query': st.dictionaries(TEXT, st.one_of(
        CONDITION, st.lists(TEXT, max_size=2)), max_size=2),
    'headers': st.dictionaries(TEXT, CONDITION, max_size=2),
    'cookies': st.dictionaries(TEXT, CONDITION, max_size=2),
    'body': st.one_of(BODY_CONDITION, st.lists(BODY_CONDITION,
                                               max_size=2)),
    'json': JSON, 'json_subset': JSON,
    'ignore_array_order': st.booleans()})
RESPONSE = optional({
    'status': st.one_of(st.integers(99, 1000), NUMBER), 'headers': HEADERS,
    'body': TEXT, 'body_base64': TEXT, 'json': JSON,
    'cookies': st.dictionaries(TEXT, TEXT, max_size=2),
    'delay': NUMBER, 'fault': TEXT})
STUB = optional({
    'match': MATCH, 'response': RESPONSE, 'times': NUMBER,
    'priority': NUMBER, 'id': TEXT, 'name': TEXT})
#: A document for the control API or a stub file: a mapping in either
#: form, a list of them, or anything.
DOCUMENT = st.one_of(
    WM_MAPPING, STUB, JSON,
    st.fixed_dictionaries({'mappings': maybe(st.lists(
        st.one_of(WM_MAPPING, STUB), max_size=3))}))
