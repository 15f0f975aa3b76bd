"""Request matchers: paths, methods, query, headers, cookies, body, JSON."""
import json

import pytest

from httptestserver.errors import ConfigurationError
from httptestserver.answers.matchers import Matcher

from conftest import recorded_request as request


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
    ({'path': '/a', 'path_prefix': '/'},
     ['give one of path, url, path_prefix']),
    ({'headers': {'X': {'matches': 5}}}, ["match.headers['X'].matches",
                                          'regular expression as a string']),
    ({'body': {'matches': 5, 'ignore_case': True}}, ['match.body[0].matches']),
])
def test_bad_specs_name_the_field_and_the_fix(spec, words):
    with pytest.raises(ConfigurationError) as info:
        Matcher(spec)
    for word in words:
        assert word in str(info.value)
