"""Responses by route: matching, sequences, callables, streaming, cookies."""
import json
import re

import pytest
import requests

from httptestserver import ConfigurationError
from httptestserver.answers.responses import Response, make_response, \
    set_cookie_value


def test_a_route_answers_its_path_only(server, with_timeout):
    server.route('/users', json={'id': 1})
    server.route('/other', body=b'x')
    response = requests.get(server.url('/users'), **with_timeout)
    assert response.json() == {'id': 1}
    assert response.headers['content-type'] == 'application/json'
    assert requests.get(server.url('/other'), **with_timeout).content == b'x'


def test_routes_match_on_method(server, with_timeout):
    server.route('/items', method='POST', status=201)
    server.route('/items', method=['GET', 'HEAD'], body=b'list')
    assert requests.post(server.url('/items'),
                         **with_timeout).status_code == 201
    assert requests.get(server.url('/items'),
                        **with_timeout).content == b'list'
    assert requests.delete(server.url('/items'),
                           **with_timeout).status_code == 500
    server.reset()


def test_routes_match_a_whole_path_pattern(server, with_timeout):
    server.route(re.compile(r'/items/\d+'), body=b'item')
    assert requests.get(server.url('/items/42'),
                        **with_timeout).content == b'item'
    assert requests.get(server.url('/items/42/x'),
                        **with_timeout).status_code == 500
    server.reset()


def test_routes_match_on_query(server, with_timeout):
    server.route('/search', query={'q': 'cats', 'page': ['1', '2']},
                 body=b'cats')
    server.route('/search', body=b'default')
    assert requests.get(server.url('/search?q=cats&page=1&page=2'),
                        **with_timeout).content == b'cats'
    assert requests.get(server.url('/search?q=dogs'),
                        **with_timeout).content == b'default'


def test_a_path_with_a_query_matches_it_exactly(server, with_timeout):
    server.route('/a?x=1', body=b'one')
    server.route('/a', body=b'any')
    assert requests.get(server.url('/a?x=1'), **with_timeout).content == b'one'
    assert requests.get(server.url('/a?x=2'), **with_timeout).content == b'any'


def test_the_first_matching_route_wins(server, with_timeout):
    server.route('/x', body=b'first')
    server.route('/x', body=b'second')
    assert requests.get(server.url('/x'), **with_timeout).content == b'first'


def test_a_sequence_answers_in_order_then_falls_back(server, with_timeout):
    server.data['response_status'] = 204
    server.route('/flaky', responses=[503, 503, {'status': 200,
                                                 'body': 'ok'}])
    codes = [requests.get(server.url('/flaky'), **with_timeout).status_code
             for _ in range(4)]
    assert codes == [503, 503, 200, 204]


def test_a_sequence_then_a_default_route(server, with_timeout):
    route = server.route('/flaky', responses=[503, 503])
    server.route('/flaky', body=b'fine')
    bodies = [requests.get(server.url('/flaky'), **with_timeout).status_code
              for _ in range(4)]
    assert bodies == [503, 503, 200, 200]
    assert route.exhausted and len(route.calls) == 2


def test_times_limits_a_single_response(server, with_timeout):
    server.route('/once', body=b'first', times=1)
    assert requests.get(server.url('/once'),
                        **with_timeout).content == b'first'
    second = requests.get(server.url('/once'), **with_timeout)
    assert second.status_code == 500
    assert b'No route matches GET /once' in second.content
    assert len(server.unexpected) == 1
    server.reset()


def test_a_callable_route_gets_the_recorded_request(server, with_timeout):
    def echo(request):
        return 200, {'X-Method': request['method']}, request['body'][::-1]
    server.route('/echo', echo)
    response = requests.put(server.url('/echo'), data=b'abc', **with_timeout)
    assert response.content == b'cba'
    assert response.headers['x-method'] == 'PUT'


@pytest.mark.parametrize('spec,status,body', [
    (None, 200, b''),
    (418, 418, b''),
    (b'raw', 200, b'raw'),
    (u'caf\xe9', 200, u'caf\xe9'.encode('utf-8')),
    ((201, 'made'), 201, b'made'),
    ((202, {'X': 'y'}, b'ok'), 202, b'ok'),
    ({'status': 404, 'content': b'gone'}, 404, b'gone'),
    ({'json': [1, 2]}, 200, b'[1, 2]'),
    (Response(207, [], b'multi'), 207, b'multi'),
])
def test_every_response_form(server, with_timeout, spec, status, body):
    server.route('/', spec)
    response = requests.get(server.url('/'), **with_timeout)
    assert (response.status_code, response.content) == (status, body)


def test_a_streamed_body_is_sent_chunked(server, with_timeout):
    server.route('/stream', body=(('part%d,' % i).encode('ascii')
                                  for i in range(5)))
    response = requests.get(server.url('/stream'), stream=True, **with_timeout)
    assert response.headers['transfer-encoding'] == 'chunked'
    assert 'content-length' not in response.headers
    assert response.content == b'part0,part1,part2,part3,part4,'
    assert server.history[0]['response_content'] is None


def test_a_list_body_is_sent_chunked_every_time(server, with_timeout):
    server.route('/stream', body=[b'a', b'b'])
    for _ in range(2):
        assert requests.get(server.url('/stream'),
                            **with_timeout).content == b'ab'


def test_cookies_with_attributes(server, with_timeout):
    server.route('/login', cookies={
        'sid': {'value': 'abc', 'path': '/', 'max_age': 60,
                'httponly': True, 'secure': True, 'samesite': 'Lax'},
        'plain': 'v'})
    response = requests.get(server.url('/login'), **with_timeout)
    set_cookies = response.raw.headers.getlist('Set-Cookie')
    assert 'sid=abc; HttpOnly; Max-Age=60; Path=/; SameSite=Lax; Secure' \
        in set_cookies
    assert 'plain=v' in set_cookies
    assert response.cookies['plain'] == 'v'


def test_response_cookies_setting(server, with_timeout):
    server.data['response_cookies'] = {'theme': 'dark'}
    response = requests.get(server.url('/'), **with_timeout)
    assert response.cookies['theme'] == 'dark'


def test_unmatched_requests_get_an_explaining_500(server, with_timeout):
    server.route('/known', method='GET', body=b'ok')
    response = requests.post(server.url('/unknown?x=1'), **with_timeout)
    assert response.status_code == 500
    text = response.text
    assert 'No route matches POST /unknown?x=1' in text
    assert 'GET /known' in text
    assert [e['path'] for e in server.unexpected] == ['/unknown?x=1']
    assert server.history[-1]['unexpected'] is True
    server.reset()


def test_unmatched_response_is_configurable(server, with_timeout):
    server.unmatched_response = {'status': 404, 'body': 'nope'}
    server.route('/known', body=b'ok')
    response = requests.get(server.url('/unknown'), **with_timeout)
    assert (response.status_code, response.text) == (404, 'nope')
    assert len(server.unexpected) == 1
    server.reset()


def test_without_routes_nothing_is_unexpected(server, with_timeout):
    requests.get(server.url('/anything'), **with_timeout)
    assert server.unexpected == []


def test_remove_route(server, with_timeout):
    route = server.route('/x', status=201)
    server.route('/y')
    server.remove_route(route)
    server.remove_route(route)  # harmless twice
    assert requests.get(server.url('/x'), **with_timeout).status_code == 500
    server.reset()


def test_route_delay_is_applied(server, with_timeout):
    server.route('/slow', body=b'late', delay=2)
    with pytest.raises(requests.exceptions.Timeout):
        requests.get(server.url('/slow'), timeout=0.2,
                     verify=with_timeout.get('verify', True))


@pytest.mark.parametrize('kws,fix', [
    ({'path': 'users'}, 'must start with "/"'),
    ({'path': 5}, 'compiled regular expression'),
    ({'path': '/', 'status': 'ok'}, 'int from 100 to 999'),
    ({'path': '/', 'times': 0}, 'whole number >= 1'),
    ({'path': '/', 'responses': []}, 'at least one response'),
    ({'path': '/', 'responses': 'abc'}, 'must be a list'),
    ({'path': '/', 'response': 200, 'status': 201}, 'one way'),
    ({'path': '/', 'nonsense': 1}, "unknown key(s) 'nonsense'"),
    ({'path': '/', 'query': 3}, 'query must be a dict'),
    ({'path': '/', 'cookies': {'a': {'colour': 'red'}}},
     "unknown attribute 'colour'"),
    ({'path': '/', 'json': {}, 'body': b'x'}, 'both json and body'),
])
def test_bad_routes_raise_in_the_test_thread(server, kws, fix):
    with pytest.raises(ConfigurationError) as info:
        server.route(**kws)
    assert fix in str(info.value)


def test_a_callable_returning_garbage_is_a_500_raised_by_check(
        server, with_timeout):
    server.route('/bad', lambda request: object())
    assert requests.get(server.url('/bad'), **with_timeout).status_code == 500
    with pytest.raises(Exception) as info:
        server.check()
    assert 'must be an int, bytes, text' in str(info.value)


def test_make_response_rejects_nested_callables():
    with pytest.raises(ConfigurationError, match='callable again'):
        make_response(lambda r: (lambda r: 1), {})


def test_set_cookie_value_renders_flags_only_when_true():
    assert set_cookie_value('a', {'value': '1', 'secure': False}) == 'a=1'


def test_json_body_round_trips(server, with_timeout):
    document = {'nested': {'list': [1, 'two', None]}}
    server.route('/doc', json=document)
    assert json.loads(requests.get(server.url('/doc'),
                                   **with_timeout).text) == \
        document


def test_reset_forgets_the_unmatched_response(server, with_timeout):
    server.unmatched_response = 404
    server.reset()
    server.route('/known')
    assert requests.get(server.url('/other'),
                        **with_timeout).status_code == 500
    server.reset()
