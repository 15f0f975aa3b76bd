"""Records: a byte limit on the bodies the history keeps."""
import requests

import httptestserver

from conftest import TIMEOUT


def test_past_the_body_limit_the_oldest_bodies_are_let_go():
    with httptestserver.http_server() as server:
        server.store.records.body_limit = 1000
        for number in range(4):
            requests.post(server.url('/up%d' % number), timeout=TIMEOUT,
                          data=b'%d' % number * 400)
        requests.get(server.url('/empty'), timeout=TIMEOUT)
        history = server.history
        assert [e['path'] for e in history] == ['/up0', '/up1', '/up2',
                                                '/up3', '/empty']
        assert [len(e['body']) for e in history] == [0, 0, 400, 400, 0]
        assert [e.get('body_dropped') for e in history] == [
            400, 400, None, None, None]
        assert history[3]['body'] == b'3' * 400


def test_a_body_larger_than_the_limit_is_not_kept_and_the_rest_stay():
    with httptestserver.http_server() as server:
        server.store.records.body_limit = 100
        requests.post(server.url('/small'), data=b's' * 50, timeout=TIMEOUT)
        requests.post(server.url('/big'), data=b'b' * 101, timeout=TIMEOUT)
        small, big = server.history
        assert small['body'] == b's' * 50
        assert big['body'] == b'' and big['body_dropped'] == 101


def test_without_a_limit_every_body_is_kept():
    with httptestserver.http_server() as server:
        assert server.store.records.body_limit is None
        requests.post(server.url('/'), data=b'x' * 100000, timeout=TIMEOUT)
        assert len(server.history[0]['body']) == 100000
        assert 'body_dropped' not in server.history[0]


def test_request_keys_are_the_keys_of_every_request_s_fields():
    # The exchange takes fields with exactly these keys as having no
    # extras to record: they must stay the keys request_fields() makes.
    from httptestserver.headers import Headers
    from httptestserver.store.records import REQUEST_KEYS, STANDARD_KEYS, \
        request_fields
    for target, headers, body in [
            ('/', [], b''),
            ('/a?x=1', [('Content-Type', 'application/json'),
                        ('Cookie', 'a=b')], b'{"a": 1}'),
            ('http://h/p', [('Content-Type',
                             'application/x-www-form-urlencoded')], b'a=1')]:
        fields = request_fields('GET %s HTTP/1.1' % target, 'GET', target,
                                'HTTP/1.1', Headers(headers), body,
                                'http://127.0.0.1:1')
        assert set(fields) == REQUEST_KEYS
    assert REQUEST_KEYS <= STANDARD_KEYS
