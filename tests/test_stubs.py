"""Stubs as data: matchers, stub checks, WireMock conversion, stub files."""
import json
import os

import pytest

from httptestserver.errors import ConfigurationError
from httptestserver.headers import Headers
from httptestserver.stubs import Matcher, dump_stubs, from_wiremock, \
    json_matches, load_stubs, normalise_stub, response_spec, to_wiremock


def request(method='GET', path='/', headers=(), body=b'', cookies=None,
            json_body=None):
    url_path, _, query_string = path.partition('?')
    query = {}
    for pair in query_string.split('&') if query_string else []:
        name, _, value = pair.partition('=')
        query.setdefault(name, []).append(value)
    return {'method': method, 'path': path, 'url_path': url_path,
            'query': query, 'headers': Headers(list(headers)),
            'cookies': cookies or {}, 'body': body, 'json': json_body}


def test_an_empty_spec_matches_every_request():
    assert Matcher({}).matches(request('DELETE', '/anything?x=1'))


@pytest.mark.parametrize('spec, path, expected', [
    ({'path': '/users'}, '/users?page=2', True),
    ({'path': '/users'}, '/users/1', False),
    ({'path': '/users?page=2'}, '/users?page=2', True),
    ({'path': '/users?page=2'}, '/users?page=3', False),
    ({'path_prefix': '/api/'}, '/api/v1/x', True),
    ({'path_prefix': '/api/'}, '/apix', False),
    ({'path_pattern': r'/users/\d+'}, '/users/12?x=1', True),
    ({'path_pattern': r'/users/\d+'}, '/users/12/posts', False),
    ({'url_pattern': r'/s\?q=.*'}, '/s?q=cats', True),
    ({'url_pattern': r'/s\?q=.*'}, '/s', False),
])
def test_paths_match_exactly_by_prefix_or_by_whole_pattern(spec, path,
                                                           expected):
    assert Matcher(spec).matches(request(path=path)) is expected


def test_method_is_one_or_a_list_and_any_means_all():
    assert Matcher({'method': 'post'}).matches(request('POST'))
    assert not Matcher({'method': 'POST'}).matches(request('GET'))
    assert Matcher({'method': ['GET', 'HEAD']}).matches(request('HEAD'))
    assert Matcher({'method': 'ANY'}).matches(request('PATCH'))


def test_query_conditions_hold_if_any_value_passes_and_lists_are_exact():
    req = request(path='/s?tag=a&tag=b&q=Cats')
    assert Matcher({'query': {'tag': 'b'}}).matches(req)
    assert Matcher({'query': {'tag': ['a', 'b']}}).matches(req)
    assert not Matcher({'query': {'tag': ['b', 'a']}}).matches(req)
    assert Matcher({'query': {'q': {'equal': 'cats',
                                    'ignore_case': True}}}).matches(req)
    assert Matcher({'query': {'page': {'present': False}}}).matches(req)
    assert not Matcher({'query': {'page': {'present': True}}}).matches(req)


def test_headers_match_equal_present_regex_and_contains_ignoring_name_case():
    req = request(headers=[('X-Token', 'abc'), ('Accept', 'text/html, */*')])
    assert Matcher({'headers': {'x-token': 'abc'}}).matches(req)
    assert not Matcher({'headers': {'X-Token': 'abd'}}).matches(req)
    assert Matcher({'headers': {'X-Token': {'present': True}}}).matches(req)
    assert Matcher({'headers': {'X-Other': {'present': False}}}).matches(req)
    assert Matcher({'headers': {'X-Token': {'matches': '[a-c]+'}}}).matches(
        req)
    assert not Matcher({'headers': {'X-Token': {'matches': 'ab'}}}).matches(
        req)  # the whole value must match
    assert Matcher({'headers': {'Accept': {'contains': 'html'}}}).matches(
        req)


def test_cookies_match_by_name():
    req = request(cookies={'session': 's1'})
    assert Matcher({'cookies': {'session': 's1'}}).matches(req)
    assert not Matcher({'cookies': {'session': 's2'}}).matches(req)
    assert Matcher({'cookies': {'other': {'present': False}}}).matches(req)


def test_body_matches_exact_bytes_contains_regex_and_base64():
    req = request(body=b'\x00\xffhello world')
    assert Matcher({'body': b'\x00\xffhello world'}).matches(req)
    assert not Matcher({'body': 'hello world'}).matches(req)
    assert Matcher({'body': {'contains': 'hello'}}).matches(req)
    assert Matcher({'body': {'matches': '.*world'}}).matches(req)
    assert Matcher({'body': {'base64': 'AP9oZWxsbyB3b3JsZA=='}}).matches(req)
    assert Matcher({'body': [{'contains': 'hello'},
                             {'contains': 'world'}]}).matches(req)
    assert not Matcher({'body': [{'contains': 'hello'},
                                 {'contains': 'moon'}]}).matches(req)


def test_json_equal_subset_and_array_order():
    doc = {'name': 'Ada', 'tags': ['a', 'b'], 'id': 1}
    req = request(body=json.dumps(doc).encode('utf-8'))
    assert Matcher({'json': doc}).matches(req)
    assert not Matcher({'json': {'name': 'Ada'}}).matches(req)
    assert Matcher({'json_subset': {'name': 'Ada'}}).matches(req)
    assert not Matcher({'json_subset': {'tags': ['b', 'a']}}).matches(req)
    assert Matcher({'json_subset': {'tags': ['b', 'a']},
                    'ignore_array_order': True}).matches(req)
    assert not Matcher({'json': doc}).matches(request(body=b'not json'))


def test_json_uses_the_decoded_body_when_the_server_decoded_it():
    req = request(body=b'{"a": 1}', json_body={'a': 1})
    assert Matcher({'json': {'a': 1.0}}).matches(req)


def test_json_numbers_never_equal_booleans():
    assert not json_matches(1, True)
    assert not json_matches({'a': [True]}, {'a': [1]})
    assert json_matches([{'a': 1}, {'b': 2}], [{'b': 2}, {'a': 1}],
                        ignore_order=True)
    assert not json_matches([1, 1], [1, 2], ignore_order=True)


def test_explain_names_the_first_reason():
    reason = Matcher({'path': '/a', 'headers': {'X': 'y'}}).explain(
        request(path='/a'))
    assert 'header X' in reason


@pytest.mark.parametrize('spec, words', [
    ({'pathh': '/x'}, ["'pathh'", 'path_prefix']),
    ({'path': 'x'}, ['match.path', 'starts with "/"']),
    ({'headers': {'X': {'equal': 'a', 'contains': 'b'}}},
     ["match.headers['X']", 'exactly one of']),
    ({'path_pattern': '('}, ['match.path_pattern', 'regular expression']),
    ({'method': 3}, ['match.method']),
    ({'body': 5}, ['match.body[0]']),
    ({'headers': {'X': {'present': 'yes'}}}, ['present', 'true or false']),
    ({'path': '/a', 'path_prefix': '/'}, ['give one of path, path_prefix']),
])
def test_bad_specs_name_the_field_and_the_fix(spec, words):
    with pytest.raises(ConfigurationError) as info:
        Matcher(spec)
    for word in words:
        assert word in str(info.value)


def test_normalise_stub_checks_the_response_and_gives_an_id():
    stub = normalise_stub({'match': {'path': '/x'},
                           'response': {'status': 201, 'json': [1]}})
    assert stub['id']
    with pytest.raises(ConfigurationError) as info:
        normalise_stub({'response': {'status': 1000}})
    assert 'stub.response.status' in str(info.value)
    with pytest.raises(ConfigurationError) as info:
        normalise_stub({'response': {'body': 'a', 'json': 1}})
    assert 'one of body, body_base64 and json' in str(info.value)
    with pytest.raises(ConfigurationError) as info:
        normalise_stub({'response': {'fault': 'BOOM'}})
    assert 'CONNECTION_RESET_BY_PEER' in str(info.value)


def test_response_spec_gives_route_keywords():
    assert response_spec({'response': {'body_base64': 'AP8='}}) == {
        'status': 200, 'headers': [], 'body': b'\x00\xff'}
    spec = response_spec({'response': {'status': 201, 'json': {'a': 1},
                                        'headers': {'X': ['1', '2']},
                                        'delay': 0.5}})
    assert spec == {'status': 201, 'json': {'a': 1}, 'delay': 0.5,
                    'headers': [('X', '1'), ('X', '2')]}


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
    assert stub['response'] == {'status': 201, 'json': {'id': 7},
                                'headers': {'Location': '/users/7'},
                                'delay': 0.25}
    assert stub['priority'] == 1


@pytest.mark.parametrize('mapping, field', [
    ({'request': {'urlPath': '/', 'multipartPatterns': []}},
     'request.multipartPatterns'),
    ({'request': {'headers': {'X': {'doesNotMatch': 'a'}}}},
     "request.headers['X'].doesNotMatch"),
    ({'response': {'bodyFileName': 'a.json'}}, 'bodyFileName'),
    ({'scenarioName': 'x'}, 'mapping.scenarioName'),
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
    paths = [s['match']['path'] for s in load_stubs(root)]
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
