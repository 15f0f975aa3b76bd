"""Near misses (``answers/nearmiss.py``): the routes closest to a request,
compared field by field as WireMock does, from routes or plain stub dicts,
and the one text table every failure message shows.  Pure."""
import re

import pytest

from httptestserver import Route
from httptestserver.store.nearmiss import closest_requests, \
    format_near_misses, json_diff, near_misses, route_spec, spec_name

from conftest import recorded_request


def request(method='POST', path='/users?page=2', headers=(), body=b''):
    return recorded_request(method, path, headers, body)


def rows_of(item):
    return dict((row['field'], (row['expected'], row['actual'],
                                row['matched'])) for row in item['rows'])


def test_every_field_of_a_route_gets_a_row():
    route = Route(None, [None], match={
        'method': 'POST', 'path': '/users',
        'query': {'page': ['1']}, 'headers': {'X-A': {'contains': 'a'}},
        'cookies': {'s': 'v'}})
    [item] = near_misses(request(headers=[('X-A', 'b')]), [route])
    assert rows_of(item) == {
        'method': ('POST', 'POST', True),
        'path': ('/users', '/users', True),
        'query page': ('["1"]', '["2"]', False),
        'header X-A': ('contains a', 'b', False),
        'cookie s': ('v', '(absent)', False)}


def test_a_json_body_is_compared_member_by_member():
    route = {'match': {'json': {'name': 'bob', 'tags': [1, 3], 'x': 1}}}
    [item] = near_misses(request(body=b'{"name": "ann", "tags": [1, 2]}'),
                         [route])
    assert rows_of(item) == {
        'method': ('ANY', 'POST', True),
        'body $.name': ('bob', 'ann', False),
        'body $.tags[1]': ('3', '2', False),
        'body $.x': ('1', '(absent)', False)}


def test_json_diff_follows_json_matching():
    assert json_diff({'a': [1, 2]}, {'a': [2, 1]}, ignore_order=True) == []
    assert json_diff({'a': 1}, {'a': 1, 'b': 2}, subset=True) == []
    assert json_diff({'a': 1}, {'a': 1, 'b': 2}) == [('$.b', '(absent)', 2)]
    assert json_diff([1], [1, 2]) == [('$', [1], [1, 2])]
    assert json_diff(True, 1) == [('$', True, 1)]


def test_the_closest_route_comes_first_and_strings_are_skipped():
    routes = ['a description only',
              Route('/orders', [None], method='DELETE'),
              Route('/users', [None], method='GET'),
              Route('/users', [None], method='POST', query={'page': '2'})]
    names = [item['name'] for item in near_misses(request(), routes)]
    assert names == ['POST /users query={"page":["2"]}', 'GET /users',
                     'DELETE /orders']
    assert near_misses(request(), routes)[0]['distance'] == 0


def test_a_route_and_the_stub_it_would_be_read_alike():
    route = Route('/users', [None], method='GET', query={'page': '1'})
    stub = {'match': {'method': 'GET', 'path': '/users',
                      'query': {'page': ['1']}}}
    assert near_misses(request(), [route]) == near_misses(request(), [stub])


def test_patterns_keep_their_flags_and_predicates_are_not_run():
    calls = []

    def predicate(entry):
        calls.append(entry)
        return True

    assert route_spec(Route(re.compile('/U.*', re.I), [None]))['match'] == \
        {'path_pattern': '(?i)/U.*'}
    [item] = near_misses(request(), [Route('/users', [None],
                                           match=predicate)])
    assert rows_of(item)['predicate'] == ('predicate', '(not run here)',
                                          None)
    assert calls == []


def test_closest_requests_name_the_requests():
    wanted = Route('/users', [None], method='GET')
    items = closest_requests(wanted, [request('GET', '/orders'),
                                      request('POST', '/users')])
    assert [item['name'] for item in items] == ['POST /users',
                                                'GET /orders']


def test_the_table_marks_what_differs():
    items = near_misses(request(headers=[('Accept', 'text/html')]), [
        {'name': 'json users', 'match': {
            'method': 'POST', 'path': '/users',
            'headers': {'Accept': {'contains': 'json'}}}}])
    assert format_near_misses(items, 'Closest:') == '\n'.join([
        'Closest:',
        '  json users',
        '      field          expected                      actual',
        '      method         POST                          POST',
        '      path           /users                        /users',
        '    x header Accept  contains json                 text/html'])
    assert format_near_misses([], 'Closest:') == ''


def test_long_values_are_cut():
    [item] = near_misses(request(path='/' + 'a' * 100), [{'match': {
        'path': '/b'}}])
    text = format_near_misses([item], 'T')
    assert '/aaaaaaaaaaaaaaaaaaaaaaaa...' in text
    assert 'a' * 40 not in text


@pytest.mark.parametrize('match,name', [
    ({}, 'ANY'),
    ({'method': 'GET', 'path': '/a'}, 'GET /a'),
    ({'method': ['PUT', 'GET'], 'url_pattern': '/a.*'},
     'GET|PUT url_pattern=/a.*'),
    ({'headers': {'X': '1'}}, 'ANY headers={"X":"1"}'),
])
def test_spec_names(match, name):
    assert spec_name(match) == name


def test_headers_of_a_plain_dict_request_are_read_too():
    entry = dict(request(), headers={'x-a': '1'})
    [item] = near_misses(entry, [{'match': {'headers': {'X-A': '1'}}}])
    assert rows_of(item)['header X-A'] == ('1', '1', True)
