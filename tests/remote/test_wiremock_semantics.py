"""WireMock mappings mean the same here: matchers, priority, templates."""
import base64
import json

import pytest
import requests

import httptestserver
from httptestserver.errors import ConfigurationError
from httptestserver.answers.matchers import Matcher
from httptestserver.remote.control import enable_control
from httptestserver.remote.wiremock import from_wiremock, read_json, \
    to_wiremock

from conftest import TIMEOUT, recorded_request as request


def matches(pattern, req):
    return Matcher(from_wiremock({'request': pattern})['match']).matches(req)


@pytest.mark.parametrize('pattern, good, bad', [
    ({'headers': {'X': {'doesNotMatch': 'a.*'}}},
     request('GET', '/', [('X', 'bcd')]), request('GET', '/', [('X', 'abc')])),
    ({'headers': {'X': {'doesNotContain': 'b'}}},
     request('GET', '/', [('X', 'ac')]), request('GET', '/', [('X', 'abc')])),
    ({'cookies': {'s': {'absent': True}}}, request('GET', '/'),
     request('GET', '/', cookies={'s': '1'})),
    ({'queryParameters': {'q': {'and': [{'contains': 'a'},
                                        {'contains': 'b'}]}}},
     request('GET', '/?q=ab'), request('GET', '/?q=a')),
    ({'queryParameters': {'q': {'or': [{'equalTo': 'a'},
                                       {'equalTo': 'b'}]}}},
     request('GET', '/?q=b'), request('GET', '/?q=c')),
    ({'queryParameters': {'q': {'hasExactly': [{'equalTo': '1'},
                                               {'equalTo': '2'}]}}},
     request('GET', '/?q=2&q=1'), request('GET', '/?q=1&q=2&q=3')),
    ({'queryParameters': {'q': {'includes': [{'equalTo': '2'}]}}},
     request('GET', '/?q=1&q=2'), request('GET', '/?q=1')),
    ({'bodyPatterns': [{'equalToJson': {'a': [1]},
                        'ignoreExtraElements': True}]},
     request('POST', '/', body=b'{"a": [1, 2], "b": 3}'),
     request('POST', '/', body=b'{"a": [2]}')),
    ({'bodyPatterns': [{'equalToJson': {'id': '${json-unit.any-string}',
                                        'n': '${json-unit.regex}[0-9]+',
                                        'x': '${json-unit.ignore}'}}]},
     request('POST', '/', body=b'{"id": "u1", "n": "42", "x": [1]}'),
     request('POST', '/', body=b'{"id": 7, "n": "42"}')),
    ({'bodyPatterns': [{'matchesJsonPath': '$.items[?(@.id == 2)]'}]},
     request('POST', '/', body=b'{"items": [{"id": 1}, {"id": 2}]}'),
     request('POST', '/', body=b'{"items": [{"id": 1}]}')),
    ({'bodyPatterns': [{'matchesJsonPath': {'expression': '$.a.b',
                                            'equalTo': 'x'}}]},
     request('POST', '/', body=b'{"a": {"b": "x"}}'),
     request('POST', '/', body=b'{"a": {"b": "y"}}')),
    ({'multipartPatterns': [{'name': 'doc', 'bodyPatterns': [
        {'equalTo': 'hi'}]}]},
     request('POST', '/', [('Content-Type', 'multipart/form-data; '
                                            'boundary=b')],
             b'--b\r\nContent-Disposition: form-data; name="doc"\r\n\r\n'
             b'hi\r\n--b--\r\n'),
     request('POST', '/', [('Content-Type', 'multipart/form-data; '
                                            'boundary=b')],
             b'--b\r\nContent-Disposition: form-data; name="other"\r\n\r\n'
             b'hi\r\n--b--\r\n')),
    ({'bodyPatterns': [{'absent': True}]}, request('POST', '/'),
     request('POST', '/', body=b'x')),
    ({'basicAuthCredentials': {'username': 'u', 'password': 'p'}},
     request('GET', '/', [('Authorization', 'Basic ' + base64.b64encode(
         b'u:p').decode('ascii'))]),
     request('GET', '/', [('Authorization', 'Basic eDp5')])),
])
def test_wiremock_matchers_mean_the_same(pattern, good, bad):
    assert matches(pattern, good)
    assert not matches(pattern, bad)


def test_new_fields_round_trip_through_wiremock_form():
    mapping = {'request': {'headers': {'X': {'doesNotMatch': 'a'}},
                           'bodyPatterns': [{'matchesJsonPath': '$.a'}],
                           'multipartPatterns': [{
                               'matchingType': 'ALL',
                               'headers': {'Content-Type': {
                                   'contains': 'text'}},
                               'bodyPatterns': [{'equalTo': 'x'}]}]},
               'response': {'status': 200, 'bodyFileName': 'a.txt',
                            'transformers': ['response-template']},
               'scenarioName': 's', 'requiredScenarioState': 'Started',
               'newScenarioState': 'b', 'metadata': {'team': 'x'}}
    stub = from_wiremock(mapping)
    back = to_wiremock(stub)
    for key in ('scenarioName', 'requiredScenarioState', 'newScenarioState',
                'metadata'):
        assert back[key] == mapping[key]
    assert back['response']['bodyFileName'] == 'a.txt'
    assert back['request']['multipartPatterns'] == mapping['request'][
        'multipartPatterns']
    assert from_wiremock(back) == stub


def test_delay_distributions_and_dribble_convert_to_seconds():
    stub = from_wiremock({'response': {
        'delayDistribution': {'type': 'uniform', 'lower': 100, 'upper': 200},
        'chunkedDribbleDelay': {'numberOfChunks': 3, 'totalDuration': 300}}})
    assert stub['response']['delay'] == {'uniform': [0.1, 0.2]}
    assert stub['response']['dribble'] == {'chunks': 3, 'duration': 0.3}
    lognormal = from_wiremock({'response': {'delayDistribution': {
        'type': 'lognormal', 'median': 80, 'sigma': 0.4}}})
    assert lognormal['response']['delay'] == {'lognormal': {
        'median': 0.08, 'sigma': 0.4}}
    with pytest.raises(ConfigurationError) as info:
        from_wiremock({'response': {'delayDistribution': {'type': 'zipf'}}})
    assert 'delayDistribution.type' in str(info.value)


def test_mapping_files_may_hold_comments():
    text = '{\n // a note\n "request": {"url": "/a//b"}, /* more */ "x": 1}'
    assert read_json(text) == {'request': {'url': '/a//b'}, 'x': 1}


def post(server, path, document):
    return requests.post(server.url('/__admin/' + path), json=document,
                         timeout=TIMEOUT)


def test_priority_holds_however_stubs_arrive_and_newest_wins():
    with httptestserver.http_server() as server:
        enable_control(server)
        for body, priority in [('old', 5), ('low', 9), ('new', 5),
                               ('first', 1)]:
            post(server, 'mappings', {'priority': priority,
                                      'request': {'urlPath': '/p'},
                                      'response': {'body': body}})
        answers = []
        listing = requests.get(server.url('/__admin/mappings'),
                               timeout=TIMEOUT).json()['mappings']
        for mapping in listing:
            answers.append(requests.get(server.url('/p'),
                                        timeout=TIMEOUT).text)
            requests.delete(server.url('/__admin/mappings/' + mapping['id']),
                            timeout=TIMEOUT)
        assert answers == ['first', 'new', 'old', 'low']


def test_import_honours_its_options():
    with httptestserver.http_server() as server:
        enable_control(server)
        post(server, 'mappings', {'id': 'a0000000-0000-0000-0000-000000000001',
                                  'request': {'url': '/a'},
                                  'response': {'body': 'one'}})
        post(server, 'mappings', {'request': {'url': '/gone'},
                                  'response': {}})
        imported = {'mappings': [
            {'id': 'a0000000-0000-0000-0000-000000000001',
             'request': {'url': '/a'}, 'response': {'body': 'two'}}],
            'importOptions': {'duplicatePolicy': 'IGNORE'}}
        assert post(server, 'mappings/import', imported).status_code == 200
        assert requests.get(server.url('/a'), timeout=TIMEOUT).text == 'one'
        imported['importOptions'] = {'duplicatePolicy': 'OVERWRITE',
                                     'deleteAllNotInImport': True}
        assert post(server, 'mappings/import', imported).status_code == 200
        assert requests.get(server.url('/a'), timeout=TIMEOUT).text == 'two'
        assert len(server.control.stubs()) == 1
        imported['importOptions'] = {'duplicatePolicy': 'FAIL'}
        assert post(server, 'mappings/import', imported).status_code == 422


def test_response_templates_fill_from_the_request():
    with httptestserver.http_server() as server:
        enable_control(server)
        body = ('{{request.path}} {{request.pathSegments.[1]}} '
                '{{request.query.q}} {{request.headers.X-A}} '
                "{{jsonPath request.body '$.a'}} {{{request.body}}} "
                "{{randomValue length=5 type='NUMERIC'}} "
                "{{now format='yyyy'}}")
        template = {'body': body, 'headers': {'X-Path': '{{request.url}}'},
                    'transformers': ['response-template']}
        assert post(server, 'mappings', {
            'request': {'urlPathPattern': '/t/.*'},
            'response': template}).status_code == 201
        answer = requests.post(server.url('/t/seg?q=1'), data=b'{"a": 7}',
                               headers={'X-A': 'h'}, timeout=TIMEOUT)
        words = answer.text.split(' ')
        assert words[:6] == ['/t/seg', 'seg', '1', 'h', '7', '{"a":']
        assert len(words[7]) == 5 and words[7].isdigit()
        assert len(words[8]) == 4 and words[8].isdigit()
        assert answer.headers['X-Path'] == '/t/seg?q=1'
        template['body'] = '{{#each x}}{{/each}}'
        refused = post(server, 'mappings', {'request': {},
                                            'response': template})
        assert refused.status_code == 422
        assert 'block helpers' in refused.json()['error']


def test_a_body_file_must_stay_inside_files(tmpdir):
    tmpdir.mkdir('__files').join('ok.json').write(json.dumps({'a': 1}))
    tmpdir.join('secret').write('no')
    with httptestserver.http_server() as server:
        enable_control(server, root=str(tmpdir))
        good = post(server, 'mappings', {'request': {'url': '/f'},
                                         'response': {'bodyFileName':
                                                      'ok.json'}})
        assert good.status_code == 201
        assert requests.get(server.url('/f'), timeout=TIMEOUT).json() == {
            'a': 1}
        for name in ('../secret', '/etc/passwd', 'missing.txt'):
            bad = post(server, 'mappings', {'request': {'url': '/g'},
                                            'response': {'bodyFileName':
                                                         name}})
            assert bad.status_code == 422, name
            assert 'body_file' in bad.json()['error']


def test_the_journal_takes_since_and_limit():
    with httptestserver.http_server() as server:
        enable_control(server)
        for path in ('/a', '/b', '/c'):
            requests.get(server.url(path), timeout=TIMEOUT)
        journal = server.url('/__admin/requests')
        latest = requests.get(journal + '?limit=2', timeout=TIMEOUT).json()
        assert [e['request']['url'] for e in latest['requests']] == [
            '/c', '/b']
        assert latest['meta']['total'] == 3
        assert requests.get(journal + '?since=2999-01-01T00:00:00Z',
                            timeout=TIMEOUT).json()['requests'] == []
        everything = requests.get(journal + '?since=2000-01-01T00:00:00.5Z',
                                  timeout=TIMEOUT).json()['requests']
        assert len(everything) == 3
        for bad in ('limit=x', 'since=yesterday'):
            refused = requests.get(journal + '?' + bad, timeout=TIMEOUT)
            assert refused.status_code == 400
            assert bad.split('=')[0] in refused.json()['error']


def test_a_bad_file_stops_a_reload_and_names_the_file(tmpdir):
    mappings = tmpdir.mkdir('mappings')
    mappings.join('good.json').write(json.dumps(
        {'request': {'url': '/good'}, 'response': {'body': 'good'}}))
    with httptestserver.http_server() as server:
        enable_control(server, root=str(tmpdir))
        mappings.join('bad.json').write('{"request": {"urll": "/x"}}')
        refused = post(server, 'mappings/reset', {})
        assert refused.status_code == 422
        assert 'bad.json' in refused.json()['error']
        assert 'urll' in refused.json()['error']
        # nothing of the directory was half-loaded: the old stubs stay
        assert requests.get(server.url('/good'), timeout=TIMEOUT).text == \
            'good'


def test_near_misses_for_a_logged_request_name_the_fields_that_differ():
    with httptestserver.http_server() as server:
        enable_control(server)
        post(server, 'mappings', {'request': {
            'method': 'POST', 'urlPath': '/users',
            'headers': {'X-Token': {'equalTo': 'abc'}}}, 'response': {}})
        found = post(server, 'near-misses/request', {
            'url': '/users', 'method': 'GET',
            'headers': {'X-Token': 'abd'}}).json()['nearMisses']
        fields = [row['field'] for row in found[0]['diff']]
        assert fields == ['method', 'headers X-Token']


def test_a_persistent_mapping_is_written_to_the_root(tmpdir):
    mapping = {'persistent': True, 'request': {'url': '/kept'},
               'response': {'body': 'kept'}}
    with httptestserver.http_server() as server:
        enable_control(server)
        refused = post(server, 'mappings', mapping)
        assert refused.status_code == 422
        assert 'persistent' in refused.json()['error']
    with httptestserver.http_server() as server:
        enable_control(server, root=str(tmpdir))
        assert post(server, 'mappings', mapping).status_code == 201
        assert len(tmpdir.join('mappings').listdir()) == 1
        post(server, 'mappings/reset', {})
        assert requests.get(server.url('/kept'), timeout=TIMEOUT).text == \
            'kept'
