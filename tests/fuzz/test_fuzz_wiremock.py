# -*- coding: utf-8 -*-
"""Fuzzing stubs and WireMock mappings (remote/wiremock.py, stubs.py):
what a stub file or a control API client may hand over.

For any JSON value -- mappings in WireMock's form or ours with fields of
the wrong type, unknown keys, bad regular expressions, deep documents --
:func:`from_wiremock`, :func:`normalise_stub`, :func:`parse_mappings` and
:func:`load_stubs` return stubs or raise :class:`ConfigurationError`, and
nothing else.  A stub they accept converts to WireMock's form, and that
form reads back to the same WireMock form.
"""
import json
import os
import shutil
import tempfile

import pytest

hypothesis = pytest.importorskip('hypothesis')

from hypothesis import strategies as st  # noqa: E402

import httptestserver  # noqa: E402
from httptestserver import ConfigurationError  # noqa: E402
from httptestserver.remote.wiremock import parse_mappings  # noqa: E402

from _fuzzing import fuzz_settings, known_bug  # noqa: E402
from _stub_shapes import DOCUMENT, JSON, STUB, STUB_BUGS, \
    WM_MAPPING  # noqa: E402

given = hypothesis.given
pytestmark = pytest.mark.filterwarnings(
    'ignore:Possible nested set:FutureWarning')


def accepted(call, *args):
    """Return call(*args), or None when it raised ConfigurationError or a
    known bug."""
    try:
        return call(*args)
    except ConfigurationError:
        hypothesis.event('refused')
        return None
    except Exception:
        if not known_bug(STUB_BUGS):
            raise
        return None


@fuzz_settings(scale=2)
@given(st.one_of(WM_MAPPING, JSON))
def test_from_wiremock_gives_a_stub_or_a_configuration_error(mapping):
    stub = accepted(httptestserver.from_wiremock, mapping)
    if stub is not None:
        hypothesis.event('accepted')
        assert set(stub) <= set(['id', 'match', 'name', 'priority',
                                 'response', 'times', 'scenario', 'state',
                                 'new_state', 'metadata'])


@fuzz_settings(scale=2)
@given(st.one_of(STUB, JSON))
def test_normalise_stub_gives_a_stub_or_a_configuration_error(stub):
    result = accepted(httptestserver.normalise_stub, stub)
    if result is not None:
        hypothesis.event('accepted')
        assert result['id'] and isinstance(result['match'], dict)


@fuzz_settings()
@given(DOCUMENT)
def test_an_accepted_stub_dumps_and_loads_to_the_same_wiremock_form(
        document):
    stubs = accepted(parse_mappings, document)
    if not stubs:
        return
    hypothesis.event('accepted')
    dumped = accepted(httptestserver.dump_stubs, stubs)
    if dumped is None:
        return
    text = json.dumps(dumped)
    again = parse_mappings(json.loads(text))
    assert httptestserver.dump_stubs(again) == json.loads(text)


class StubFiles(object):
    """A directory for stub files, made once per test, removed after."""

    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix='httptestserver-fuzz-')
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)

    def write(self, name, data):
        path = os.path.join(self.path, name)
        with open(path, 'wb') as handle:
            handle.write(data)
        return path


FILE_BYTES = st.one_of(
    DOCUMENT.map(lambda d: json.dumps(d).encode('utf-8')),
    st.binary(max_size=100),
    st.integers(1, 100000).map(lambda n: b'[' * n),
    st.integers(1, 100000).map(lambda n: b'{"mappings": ' + b'[' * n),
    st.sampled_from([b'', b'\xef\xbb\xbf{}', b'\xff\xfe', b'null',
                     b'{"mappings": 5}']))


def test_a_stub_file_gives_stubs_or_a_configuration_error():
    with StubFiles() as files:
        @fuzz_settings()
        @given(FILE_BYTES, st.booleans())
        def load(data, as_directory):
            for name in os.listdir(files.path):
                os.remove(os.path.join(files.path, name))
            path = files.write('stubs.json', data)
            stubs = accepted(httptestserver.load_stubs,
                             files.path if as_directory else path)
            assert stubs is None or isinstance(stubs, list)

        load()


# -- the bugs ----------------------------------------------------------------
@pytest.mark.parametrize('document', [u'', u'abc', u'1'])
def test_a_stub_for_a_json_string_loads_back_matching_the_same(document):
    stub = httptestserver.normalise_stub({'match': {'json': document}})
    again = parse_mappings(httptestserver.dump_stubs([stub]))[0]
    request = {'method': 'POST', 'url_path': '/', 'path': '/',
               'body': json.dumps(document).encode('utf-8'),
               'json': document}
    assert httptestserver.Matcher(again['match']).matches(request)


@pytest.mark.parametrize('method', [u'', [u''], []],
                         ids=['empty', 'list-of-empty', 'empty-list'])
def test_a_stub_for_an_empty_method_loads_back_matching_the_same(method):
    stub = httptestserver.normalise_stub({'match': {'method': method}})
    again = httptestserver.from_wiremock(httptestserver.to_wiremock(stub))
    get = {'method': 'GET', 'url_path': '/', 'path': '/'}
    assert httptestserver.Matcher(again['match']).matches(get) == \
        httptestserver.Matcher(stub['match']).matches(get)


@pytest.mark.parametrize('mapping', [
    {'request': 'abc'}, {'request': 5}, {'request': [True]},
    {'response': 'abc'},
    {'metadata': [1]}, {'request': {'headers': [1]}},
    {'request': {'bodyPatterns': 5}},
    {'response': {'fixedDelayMilliseconds': 'x'}}],
    ids=['request-text', 'request-number', 'request-list', 'response-text',
         'metadata-list', 'headers-list', 'bodypatterns-number',
         'delay-text'])
def test_a_wiremock_field_of_the_wrong_type_is_a_configuration_error(
        mapping):
    with pytest.raises(ConfigurationError):
        httptestserver.from_wiremock(mapping)


def test_an_equal_to_json_too_deep_to_read_is_a_configuration_error():
    with pytest.raises(ConfigurationError):
        httptestserver.from_wiremock({'request': {'bodyPatterns': [
            {'equalToJson': '[' * 100000}]}})


@pytest.mark.parametrize('delay', [1e306, float('nan')],
                         ids=['huge', 'nan'])
def test_a_stub_with_any_delay_converts_to_wiremock_or_is_refused(delay):
    try:
        stub = httptestserver.normalise_stub({'match': {}, 'response': {
            'delay': delay}})
    except ConfigurationError:
        return
    httptestserver.to_wiremock(stub)


def test_a_stub_file_too_deep_to_read_is_a_configuration_error():
    with StubFiles() as files:
        path = files.write('deep.json', b'[' * 100000)
        with pytest.raises(ConfigurationError, match='deep.json'):
            httptestserver.load_stubs(path)


def test_a_stub_with_a_non_ascii_id_keeps_it():
    stub = httptestserver.normalise_stub({'id': u'\xe9'})
    assert stub['id'] == u'\xe9'


def test_a_stub_with_a_non_ascii_header_is_normalised_or_refused():
    try:
        httptestserver.normalise_stub({'response': {'headers': {
            u'\xe9': u'x'}}})
    except ConfigurationError:
        pass
