"""Waiting for requests, asserting on them, failures that reach the test."""
import threading

import pytest
import requests

from httptestserver import Handler, HandlerError, Server, \
    VerificationError, WaitTimeout, http_server

from conftest import TIMEOUT


def _get_later(url, go, **kws):
    def run():
        go.wait(TIMEOUT)
        try:
            requests.get(url, **kws)
        except requests.RequestException:
            pass
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_wait_returns_as_soon_as_the_requests_arrive(server, with_timeout):
    go = threading.Event()
    threads = [_get_later(server.url('/w%d' % i), go, **with_timeout)
               for i in range(3)]
    go.set()
    try:
        entries = server.wait(3, timeout=TIMEOUT)
    finally:
        for thread in threads:
            thread.join(TIMEOUT)
    assert sorted(e['path'] for e in entries) == ['/w0', '/w1', '/w2']


def test_wait_filters_by_method_and_path(server, with_timeout):
    requests.get(server.url('/a'), **with_timeout)
    requests.post(server.url('/b'), **with_timeout)
    assert [e['path'] for e in server.wait(1, method='POST')] == ['/b']
    assert [e['method'] for e in server.wait(path='/a')] == ['GET']


def test_wait_timeout_lists_what_did_arrive(server, with_timeout):
    requests.get(server.url('/got'), **with_timeout)
    with pytest.raises(WaitTimeout) as info:
        server.wait(2, path='/wanted', timeout=0.05)
    message = str(info.value)
    assert 'expected 2 request(s) matching /wanted within 0.05s, saw 0' \
        in message
    assert 'GET /got' in message


def test_wait_timeout_with_no_requests_names_the_url(server):
    with pytest.raises(WaitTimeout) as info:
        server.wait(timeout=0.01)
    assert 'is the client using %s' % server.url('') in str(info.value)


def test_wait_timeout_is_an_assertion_error(server):
    with pytest.raises(AssertionError):
        server.wait(timeout=0)


def test_assert_requested_at_least_once_and_exactly(server, with_timeout):
    for _ in range(2):
        requests.get(server.url('/twice?x=1'), **with_timeout)
    assert len(server.assert_requested('/twice')) == 2
    server.assert_requested('/twice', method='GET', times=2)
    server.assert_requested('/twice', query={'x': '1'})
    with pytest.raises(VerificationError) as info:
        server.assert_requested('/twice', times=3)
    assert 'expected requests matching /twice 3 time(s), got 2' in \
        str(info.value)


def test_assert_requested_shows_the_closest_requests(server, with_timeout):
    requests.get(server.url('/users/1'), **with_timeout)
    requests.get(server.url('/orders'), **with_timeout)
    with pytest.raises(VerificationError) as info:
        server.assert_requested('/users/2', method='GET')
    message = str(info.value)
    assert 'closest seen: GET /users/1' in message


def test_assert_no_unexpected(server, with_timeout):
    server.route('/ok')
    requests.get(server.url('/ok'), **with_timeout)
    server.assert_no_unexpected()
    requests.get(server.url('/typo'), **with_timeout)
    with pytest.raises(VerificationError) as info:
        server.assert_no_unexpected()
    assert 'GET /typo' in str(info.value) and 'ANY /ok' in str(info.value)
    server.reset()


class Broken(Handler):
    def handle_request(self):
        raise KeyError('missing-thing')


def test_a_handler_exception_is_a_500_and_raised_by_check():
    with Server(handler=Broken) as server:
        response = requests.get(server.url('/x'), timeout=TIMEOUT)
        assert response.status_code == 500
        assert 'missing-thing' in response.text
        assert len(server.history) == 1
        assert server.history[0]['response_status'] == 500
        with pytest.raises(HandlerError) as info:
            server.check()
        assert "KeyError: 'missing-thing'" in str(info.value)
        assert 'GET /x HTTP/1.1' in str(info.value)
        assert isinstance(info.value.errors[0][1], KeyError)
        server.check()  # forgotten once raised


def test_a_callable_route_exception_is_raised_by_check(server, with_timeout):
    def explode(request):
        raise ValueError('bad route code')
    server.route('/e', explode)
    assert requests.get(server.url('/e'), **with_timeout).status_code == 500
    assert requests.get(server.url('/e'), **with_timeout).status_code == 500
    with pytest.raises(HandlerError) as info:
        server.check()
    assert '2 error(s)' in str(info.value)
    assert 'bad route code' in str(info.value)


def test_the_server_keeps_serving_after_a_handler_error(server, with_timeout):
    server.route('/e', lambda request: 1 / 0)
    server.route('/fine', body=b'ok')
    requests.get(server.url('/e'), **with_timeout)
    assert requests.get(server.url('/fine'), **with_timeout).content == b'ok'
    with pytest.raises(HandlerError):
        server.check()


def test_context_manager_exit_raises_server_side_errors():
    with pytest.raises(HandlerError):
        with http_server(handler=Broken) as server:
            requests.get(server.url('/'), timeout=TIMEOUT)


def test_context_manager_exit_keeps_the_block_exception_first():
    with pytest.raises(ZeroDivisionError):
        with http_server(handler=Broken) as server:
            requests.get(server.url('/'), timeout=TIMEOUT)
            1 / 0


def test_check_reports_unexpected_requests(server, with_timeout):
    server.route('/known')
    requests.get(server.url('/nope'), **with_timeout)
    with pytest.raises(VerificationError) as info:
        server.check()
    assert 'GET /nope' in str(info.value)
    server.check()


def test_route_calls_record_the_requests_it_answered(server, with_timeout):
    route = server.route('/r', responses=[201, 202])
    requests.get(server.url('/r?n=1'), **with_timeout)
    requests.get(server.url('/r?n=2'), **with_timeout)
    assert [c['query'] for c in route.calls] == [{'n': ['1']},
                                                 {'n': ['2']}]
    assert [c['response_status'] for c in route.calls] == [201, 202]
    assert [e['route'] for e in server.history] == ['ANY /r'] * 2


@pytest.mark.parametrize('kws,fix', [
    ({'count': '2'}, 'count must be a whole number'),
    ({'count': -1}, 'count must be a whole number'),
    ({'timeout': '5'}, 'timeout must be a number of seconds'),
])
def test_wait_refuses_bad_arguments_naming_them(server, kws, fix):
    from httptestserver import ConfigurationError
    with pytest.raises(ConfigurationError) as info:
        server.wait(**kws)
    assert fix in str(info.value)


# -- near misses, field by field ----------------------------------------------
def test_check_shows_the_closest_routes_field_by_field(server, with_timeout):
    server.route('/users', method='POST', json={'ok': True},
                 match={'headers': {'Content-Type': 'application/json'}})
    server.route('/orders', 'ok')
    requests.post(server.url('/users'), data='name=ann', headers={
        'Content-Type': 'application/x-www-form-urlencoded'}, **with_timeout)
    with pytest.raises(VerificationError) as info:
        server.check()
    lines = str(info.value).splitlines()
    assert lines[1] == 'Closest routes to POST /users (x: differs):'
    assert lines[2].startswith('  POST /users headers=')
    assert lines[5] == '      path                 /users' + ' ' * 24 + \
        '/users'
    assert lines[6].startswith('    x header Content-Type  application/json')
    assert lines[6].endswith('application/x-www-form-urlencoded'[:25] +
                             '...')
    assert lines[7] == '  ANY /orders'


def test_assert_requested_compares_the_requests_field_by_field(
        server, with_timeout):
    requests.get(server.url('/users?page=1'), **with_timeout)
    requests.delete(server.url('/users/1'), **with_timeout)
    with pytest.raises(VerificationError) as info:
        server.assert_requested('/users', method='GET',
                                query={'page': '2'})
    text = str(info.value)
    assert 'Closest requests, field by field (x: differs):\n' \
        '  GET /users?page=1\n' in text
    assert '    x query page  ["2"]' in text
    assert text.index('  GET /users?page=1\n') < \
        text.index('  DELETE /users/1\n')


def test_a_request_that_matched_is_not_a_near_miss(server, with_timeout):
    requests.get(server.url('/a'), **with_timeout)
    with pytest.raises(WaitTimeout) as info:
        server.wait(2, path='/a', timeout=0)
    assert 'Closest requests' not in str(info.value)
