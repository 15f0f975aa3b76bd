"""WireMock's stub mappings: conversion both ways, stub files."""
import json
import os

import pytest

from httptestserver.errors import ConfigurationError
from httptestserver.headers import Headers
from httptestserver.answers.matchers import Matcher
from httptestserver.remote.stubs import normalise_stub
from httptestserver.remote.wiremock import dump_stubs, load_stubs
from httptestserver.remote.wiremock import from_wiremock, to_wiremock

from conftest import recorded_request as request


WIREMOCK = {
    'request': {
        'method': 'POST', 'urlPath': '/users',
        'queryParameters': {'dry': {'equalTo': 'no'}},
        'headers': {'X-Token': {'matches': 'a.c'},
                    'X-Debug': {'absent': True}},
        'cookies': {'session': {'contains': 's'}},
        'bodyPatterns': [{'equalToJson': '{"name": "Ada", "tags": [1, 2]}',
                          'ignoreExtraElements': True,
                          'ignoreArrayOrder': True}],
    },
    'response': {'status': 201, 'jsonBody': {'id': 7},
                 'headers': {'Location': '/users/7'},
                 'fixedDelayMilliseconds': 250},
    'priority': 1,
}


def test_wiremock_mappings_convert_to_stubs_that_match_the_same_requests():
    stub = from_wiremock(WIREMOCK)
    matcher = Matcher(stub['match'])
    body = json.dumps({'name': 'Ada', 'tags': [2, 1], 'age': 36})
    good = request('POST', '/users?dry=no', [('X-Token', 'abc')],
                   body.encode('utf-8'), {'session': 's1'})
    assert matcher.explain(good) is None
    bad = dict(good, headers=Headers([('X-Token', 'abc'), ('X-Debug', '1')]))
    assert not matcher.matches(bad)
    assert stub['response'] == {'status': 201, 'json_body': {'id': 7},
                                'headers': {'Location': '/users/7'},
                                'delay': 0.25}
    assert stub['priority'] == 1


@pytest.mark.parametrize('mapping, field', [
    ({'request': {'urlPath': '/', 'customMatcher': {}}},
     'request.customMatcher'),
    ({'request': {'multipartPatterns': [{'matchingType': 'SOME'}]}},
     'multipartPatterns[0].matchingType'),
    ({'request': {'headers': {'X': {'equalToXml': '<a/>'}}}},
     "request.headers['X'].equalToXml"),
    ({'request': {'bodyPatterns': [{'matchesXPath': '/a'}]}},
     'request.bodyPatterns[0].matchesXPath'),
    ({'request': {'formParameters': {}}}, 'request.formParameters'),
    ({'response': {'proxyBaseUrl': 'http://x'}}, 'response.proxyBaseUrl'),
    ({'response': {'transformers': ['other']}}, 'response.transformers'),
    ({'postServeActions': []}, 'mapping.postServeActions'),
    ({'request': {'method': 'get'}}, 'request.method'),
    ({'response': {'status': 200, 'statusMessage': 'Fine'}},
     'response.statusMessage'),
    ({'request': {'bodyPatterns': [{'matchesJsonPath': '$..a'}]}},
     'body[0].json_path'),
    ({'request': {'url': '/', 'urlPath': '/'}}, 'one of url, urlPath'),
])
def test_unsupported_wiremock_fields_are_refused_by_name(mapping, field):
    with pytest.raises(ConfigurationError) as info:
        from_wiremock(mapping)
    assert field in str(info.value)


def test_stubs_round_trip_through_wiremock_form():
    stubs = [normalise_stub(s) for s in [
        {'match': {'method': 'GET', 'path': '/a', 'headers': {'X': 'y'},
                   'query': {'q': {'contains': 'c'}}},
         'response': {'body': 'hi', 'cookies': {'s': '1'}}, 'times': 2},
        {'match': {'path_prefix': '/static/', 'body': b'\x00\xff'},
         'response': {'body_base64': 'AP8=', 'delay': 0.1}, 'priority': 3},
        {'match': {'json_subset': {'a': [1, 2]}, 'ignore_array_order': True,
                   'headers': {'X': {'present': True}}},
         'response': {'status': 204, 'headers': [('A', '1'), ('A', '2')]}},
    ]]
    document = json.loads(json.dumps(dump_stubs(stubs)))
    back = [from_wiremock(m) for m in document['mappings']]
    assert [s['id'] for s in back] == [s['id'] for s in stubs]
    assert back[0]['times'] == 2 and back[0]['response']['cookies'] == {
        's': '1'}
    assert back[1]['priority'] == 3
    checks = [
        (request('GET', '/a?q=abc', [('X', 'y')]), [True, False, False]),
        (request('PUT', '/static/x', body=b'\x00\xff'), [False, True, False]),
        (request('POST', '/j', [('X', '')], b'{"a": [2, 1], "b": 0}'),
         [False, False, True]),
    ]
    for req, expected in checks:
        assert [Matcher(s['match']).matches(req) for s in stubs] == expected
        assert [Matcher(s['match']).matches(req) for s in back] == expected
    assert to_wiremock(back[2])['response']['headers'] == {'A': ['1', '2']}


@pytest.mark.parametrize('url, answers, misses', [
    ('/exact', ['/exact'], ['/exact?x=1', '/exact?', '/exact/']),
    ('/exact?x=1', ['/exact?x=1'], ['/exact', '/exact?x=2', '/exact?x=1&y=2']),
])
def test_a_wiremock_url_matches_exactly_the_path_and_query(url, answers,
                                                           misses):
    stub = from_wiremock({'request': {'url': url}, 'response': {}})
    matcher = Matcher(stub['match'])
    for path in answers:
        assert matcher.matches(request('GET', path)), path
    for path in misses:
        assert not matcher.matches(request('GET', path)), path


def test_a_wiremock_url_stays_url_when_written_back():
    mapping = {'request': {'method': 'GET', 'url': '/exact'},
               'response': {'status': 200}}
    stub = from_wiremock(mapping)
    assert to_wiremock(stub)['request'] == mapping['request']
    assert from_wiremock(to_wiremock(stub)) == stub
    url_path = from_wiremock({'request': {'urlPath': '/exact'}})
    assert to_wiremock(url_path)['request'] == {'method': 'ANY',
                                                'urlPath': '/exact'}


def test_load_stubs_reads_files_directories_and_wiremock_layout(tmpdir):
    root = str(tmpdir)
    os.mkdir(os.path.join(root, 'mappings'))
    with open(os.path.join(root, 'mappings', 'b.json'), 'w') as handle:
        json.dump({'mappings': [
            {'request': {'url': '/b1'}, 'response': {'status': 200}},
            {'request': {'url': '/b2'}, 'response': {'status': 200},
             'priority': 1}]}, handle)
    with open(os.path.join(root, 'a.json'), 'w') as handle:
        json.dump({'match': {'path': '/a'}, 'response': {}}, handle)
    paths = [s['match'].get('url') or s['match']['path']
             for s in load_stubs(root)]
    assert paths == ['/b2', '/a', '/b1']  # by priority, then file order
    single = os.path.join(root, 'a.json')
    assert [s['match']['path'] for s in load_stubs(single)] == ['/a']


def test_load_stubs_names_the_file_and_mapping_at_fault(tmpdir):
    bad = tmpdir.join('bad.json')
    bad.write('{"mappings": [{}, {"request": {"urll": "/"}}]}')
    with pytest.raises(ConfigurationError) as info:
        load_stubs(str(bad))
    assert 'bad.json: mappings[1].request.urll' in str(info.value)
    tmpdir.join('broken.json').write('{')
    with pytest.raises(ConfigurationError) as info:
        load_stubs(str(tmpdir.join('broken.json')))
    assert 'cannot be read as JSON' in str(info.value)
    with pytest.raises(ConfigurationError):
        load_stubs(str(tmpdir.join('missing')))


def test_a_stub_file_with_a_pattern_that_backtracks_for_ever_is_refused(
        tmpdir):
    bad = tmpdir.join('slow.json')
    bad.write(json.dumps({'mappings': [
        {'request': {'urlPath': '/fine'}},
        {'request': {'urlPathPattern': '/(a+)+b'}}]}))
    with pytest.raises(ConfigurationError) as info:
        load_stubs(str(bad))
    message = str(info.value)
    assert 'slow.json: mappings[1].match.path_pattern: ' in message
    assert "'/(a+)+b' is not usable" in message
    assert 'exponential time' in message
    with pytest.raises(ConfigurationError):
        from_wiremock({'request': {'urlPattern': '(x|x)*y'}})
    with pytest.raises(ConfigurationError):
        normalise_stub({'match': {'query': {'q': {'matches': '(a*)*'}}}})


def test_fault_and_delay_settings_round_trip_exactly():
    stub = normalise_stub({'match': {'path': '/slow'}, 'response': {
        'status': 200, 'fault': 'truncated', 'delay': {'uniform': [0.1, 0.2]},
        'body_delay': 0.25, 'chunk_delay': {'fixed': 0.01},
        'dribble': {'chunks': 4, 'duration': 0.5}, 'bandwidth': 1000,
        'chaos': {'fault': 'reset', 'probability': 0.2, 'seed': 3}}})
    mapping = json.loads(json.dumps(to_wiremock(stub)))
    assert 'fault' not in mapping['response']  # WireMock has no truncated
    assert from_wiremock(mapping) == stub
    reset = normalise_stub({'response': {'fault': 'reset', 'delay': 0.25}})
    assert to_wiremock(reset)['response'] == {
        'status': 200, 'fault': 'CONNECTION_RESET_BY_PEER',
        'fixedDelayMilliseconds': 250}


def test_our_methods_in_any_case_are_written_in_capitals():
    stub = normalise_stub({'match': {'method': 'post', 'path': '/x'}})
    mapping = to_wiremock(stub)
    assert mapping['request']['method'] == 'POST'
    back = from_wiremock(mapping)
    assert Matcher(back['match']).matches(request('POST', '/x'))
