"""Responses (``answers/responses.py``): every form a response takes --
callables, tuples, dicts, streamed and list bodies, cookies, JSON -- and
what a bad one does.  Which route answers a request is tested in
test_routes.py.  Each test runs against a server in a thread and one in a
child process (``_both_sides.py``).
"""
import json

import pytest
import requests

from httptestserver import ConfigurationError
from httptestserver.answers.responses import Response, make_response, \
    set_cookie_value
from _both_sides import fixture_children, fixture_server, \
    fixture_side, thread_only  # noqa: F401


def test_a_callable_route_gets_the_recorded_request(server, with_timeout):
    thread_only(server, 'a function cannot cross into a child process')

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


@pytest.mark.parametrize('kind', ['generator', 'list'])
def test_a_streamed_body_is_sent_chunked(server, with_timeout, kind):
    if kind == 'generator':
        thread_only(server, 'a generator runs in the test\'s process')
    chunks = (('part%d,' % i).encode('ascii') for i in range(5))
    server.route('/stream', body=chunks if kind == 'generator'
                 else list(chunks))
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


def test_route_delay_is_applied(server, with_timeout):
    server.route('/slow', body=b'late', delay=2)
    with pytest.raises(requests.exceptions.Timeout):
        requests.get(server.url('/slow'), timeout=0.2,
                     verify=with_timeout.get('verify', True))


def test_a_callable_returning_garbage_is_a_500_raised_by_check(
        server, with_timeout):
    thread_only(server, 'a function cannot cross into a child process')
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
