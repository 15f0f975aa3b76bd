"""Routes (``answers/routes.py``): which response answers a request --
matching on path, method and query, the first match winning, sequences and
``times``, what an unmatched request gets, and bad routes failing where
they are written.  Over real sockets, HTTP and HTTPS, each test against a
server in a thread and one in a child process (``_both_sides.py``).
"""
import re

import pytest
import requests

from httptestserver import ConfigurationError
from _both_sides import fixture_children, fixture_server, \
    fixture_side, thread_only  # noqa: F401


# -- matching ----------------------------------------------------------------
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


# -- sequences and times -----------------------------------------------------
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


def test_times_with_a_sequence_repeats_its_last_response(server,
                                                         with_timeout):
    server.route('/retry', responses=[503, {'status': 200, 'body': 'ok'}],
                 times=3)
    server.route('/retry', status=410)
    codes = [requests.get(server.url('/retry'), **with_timeout).status_code
             for _ in range(4)]
    assert codes == [503, 200, 200, 410]


def test_a_route_tells_what_it_answered_and_what_remains(server,
                                                         with_timeout):
    first = server.route('/first', responses=['a', 'b'])
    other = server.route(re.compile(r'/f.*'), body='other')
    assert (first.used, first.exhausted, first.remaining) == (0, False, 2)
    assert other.remaining is None
    for query in ('?n=1', '?n=2', '?n=3'):
        requests.get(server.url('/first' + query), **with_timeout)
    assert [e['path'] for e in first.calls] == ['/first?n=1', '/first?n=2']
    assert [e['path'] for e in other.calls] == ['/first?n=3']
    assert (first.used, first.exhausted, first.remaining) == (2, True, 0)
    assert (other.used, other.exhausted) == (1, False)
    assert [e['route'] for e in server.history] == [
        'ANY /first', 'ANY /first', 'ANY re:/f.*']
    assert first.describe() == 'ANY /first (2 of 2 used)'
    assert [r.describe() for r in server.routes] == [
        'ANY /first (2 of 2 used)', 'ANY re:/f.*']
    assert server.routes == [first, other]


def test_times_limits_a_single_response(server, with_timeout):
    server.route('/once', body=b'first', times=1)
    assert requests.get(server.url('/once'),
                        **with_timeout).content == b'first'
    second = requests.get(server.url('/once'), **with_timeout)
    assert second.status_code == 500
    assert b'No route matches GET /once' in second.content
    assert len(server.unexpected) == 1
    server.reset()


def test_remove_route(server, with_timeout):
    route = server.route('/x', status=201)
    server.route('/y')
    server.remove_route(route)
    server.remove_route(route)  # harmless twice
    assert requests.get(server.url('/x'), **with_timeout).status_code == 500
    server.reset()


# -- unmatched requests ------------------------------------------------------
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


def test_reset_forgets_the_unmatched_response(server, with_timeout):
    server.unmatched_response = 404
    server.reset()
    server.route('/known')
    assert requests.get(server.url('/other'),
                        **with_timeout).status_code == 500
    server.reset()


# -- bad routes --------------------------------------------------------------
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


def test_a_route_removed_or_reset_still_tells_what_it_answered(
        server, with_timeout):
    gone = server.route('/gone', times=2)
    requests.get(server.url('/gone'), **with_timeout)
    server.remove_route(gone)
    kept = server.route('/kept', times=2)
    requests.get(server.url('/kept'), **with_timeout)
    server.reset()
    for route, path in ((gone, '/gone'), (kept, '/kept')):
        assert [e['path'] for e in route.calls] == [path]
        assert (route.used, route.remaining, route.exhausted) == (1, 1, False)
    assert server.routes == []
