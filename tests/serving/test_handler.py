"""Tests for httptestserver.serving.handler: the 0.1.0 handler hooks.

Subclasses of ``Handler`` that override ``do_GET``, ``handle_request``,
``send_response`` and friends, written to byte for byte on raw sockets
(TLS-wrapped for https) and parsed by ``rawhttp``.  The HTTP/1.1 framing and
connection handling every handler gets are in ``test_channel.py``.
"""
import threading

import pytest

import httptestserver
from httptestserver import Handler, HandlerError
from httptestserver.answers.responses import Response

from conftest import TIMEOUT
from rawhttp import request
import _raw
from _raw import assert_still_serving, connect

make_server = _raw.make_server


class SilentHandler(Handler):
    def do_GET(self):
        self.update_state()  # records, but sends nothing


def test_a_handler_that_sends_nothing_gets_an_empty_200(make_server):
    srv = make_server(handler=SilentHandler)
    with connect(srv) as conn:
        response = conn.exchange(request('GET', '/quiet'))
        again = conn.exchange(request('GET', '/again'))
    assert (response.status, response.body) == (200, b'')
    assert again.status == 200
    assert [e['response_status'] for e in srv.history] == [200, 200]


# -- handler subclasses ----------------------------------------------------
class FailingHandler(Handler):
    def handle_request(self):
        if self.path == '/boom':
            raise ValueError('boom from handle_request')
        super(FailingHandler, self).handle_request()


def test_handler_that_raises_answers_500_and_check_raises_handler_error(
        make_server):
    srv = make_server(handler=FailingHandler)
    with connect(srv) as conn:
        response = conn.exchange(request('GET', '/boom'))
        conn.assert_closed()
    assert response.status == 500
    assert response.connection_tokens == ['close']
    assert b'boom from handle_request' in response.body
    errors = srv.errors
    assert len(errors) == 1
    line, exc, text = errors[0]
    assert line == 'GET /boom HTTP/1.1'
    assert isinstance(exc, ValueError)
    assert 'boom from handle_request' in text
    assert srv.history[0]['response_status'] == 500
    with pytest.raises(HandlerError) as info:
        srv.check()
    assert 'boom from handle_request' in str(info.value)
    assert len(info.value.errors) == 1
    srv.check()  # raised once, then forgotten
    assert_still_serving(srv)


def test_callable_route_that_raises_answers_500_and_is_kept(server):
    def broken(request_):
        raise KeyError('no such thing')
    server.route('/broken', broken)
    with connect(server) as conn:
        response = conn.exchange(request('GET', '/broken'))
        conn.assert_closed()
    assert response.status == 500
    with pytest.raises(HandlerError) as info:
        server.check()
    assert 'no such thing' in str(info.value)
    server.route('/fine', body=b'fine')
    assert_still_serving(server, '/fine')


class CustomGetHandler(Handler):
    def do_GET(self):
        body = ('custom %s' % self.path).encode('ascii')
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_do_get_takes_precedence_for_get_only(make_server):
    srv = make_server(handler=CustomGetHandler)
    srv.route('/x', body=b'from route')
    with connect(srv) as conn:
        get = conn.exchange(request('GET', '/x'))
        post = conn.exchange(request('POST', '/x', body=b'data'))
        head = conn.exchange(request('HEAD', '/x'))
        again = conn.exchange(request('GET', '/x'))
    assert (get.status, get.body) == (200, b'custom /x')
    assert post.body == b'from route'
    assert head.header('Content-Length') == str(len(b'from route'))
    assert again.body == b'custom /x'
    history = srv.wait(4)
    assert [e['method'] for e in history] == ['GET', 'POST', 'HEAD', 'GET']
    assert history[1]['body'] == b'data'
    assert [e['route'] is None for e in history] == [True, False, False,
                                                     True]


def test_request_answered_by_do_get_is_recorded_before_its_answer_arrives(
        make_server):
    release = threading.Event()

    class LingeringHandler(Handler):
        def do_GET(self):
            self.send(Response(200, [], b'done'))
            # Work done after the answer went out: cleanup, logging...
            release.wait(TIMEOUT)

    srv = make_server(handler=LingeringHandler)
    try:
        with connect(srv) as conn:
            response = conn.exchange(request('GET', '/late'))
            recorded = [e['path'] for e in srv.history]
    finally:
        release.set()
    assert response.body == b'done'
    assert recorded == ['/late']


class ResponseGetHandler(Handler):
    def do_GET(self):
        self.send(Response(201, [('X-From', 'do_GET')], b'made here'))


def test_do_get_may_answer_with_send(make_server):
    srv = make_server(handler=ResponseGetHandler)
    with connect(srv) as conn:
        get = conn.exchange(request('GET', '/y'))
        after = conn.exchange(request('DELETE', '/y'))
    assert (get.status, get.header('X-From'), get.body) == \
        (201, 'do_GET', b'made here')
    assert get.header('Content-Length') == '9'
    assert after.status == 200


class StdlibStyleHandler(Handler):
    """A 0.1.0-era custom handler: the stdlib's way, no Content-Length."""

    def handle_request(self):
        self.update_state()
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.end_headers()
        self.wfile.write(('you asked for %s' % self.state['path']).encode())
        self.save_history()


def test_a_stdlib_style_handler_without_content_length_is_closed_not_hung(
        make_server):
    srv = make_server(handler=StdlibStyleHandler)
    with connect(srv) as conn:
        conn.send(request('GET', '/mine'))
        response = conn.read_response()  # framed by the close
        conn.assert_closed(allow_reset=True)
    assert response.status == 200
    assert response.body == b'you asked for /mine'
    assert response.connection_tokens == ['close']
    entry = srv.history[0]
    assert (entry['path'], entry['response_status']) == ('/mine', 200)
    assert srv.data['path'] == '/mine'
    assert len(srv.history) == 1  # save_history() twice records once


def test_a_stdlib_style_handler_reached_by_requests(make_server):
    import requests
    srv = make_server(handler=StdlibStyleHandler)
    kws = {'timeout': TIMEOUT, 'verify': httptestserver.CA_FILE}
    assert requests.get(srv.url('/a'), **kws).text == 'you asked for /a'
    assert requests.get(srv.url('/b'), **kws).text == 'you asked for /b'


class FramedStdlibHandler(Handler):
    def do_GET(self):
        body = b'framed'
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_a_stdlib_style_handler_with_content_length_keeps_alive(make_server):
    srv = make_server(handler=FramedStdlibHandler)
    with connect(srv) as conn:
        first = conn.exchange(request('GET', '/1'))
        second = conn.exchange(request('GET', '/2'))
    assert first.body == second.body == b'framed'
    assert first.connection_tokens != ['close']
    # do_GET never called update_state(): the server did it for us.
    assert srv.data['path'] == '/2'
    assert [e['response_status'] for e in srv.history] == [200, 200]


class HandWrittenVariants(Handler):
    """Answers the stdlib's way, each path a variant 0.1.0 code might use."""

    def handle_request(self):
        path = self.state['path']
        if path == '/early-hints':
            self.send_response(103)
            self.send_header('Link', '</style.css>; rel=preload')
            self.end_headers()
        if path == '/only' and hasattr(self, 'send_response_only'):
            self.send_response_only(200)
        else:
            self.send_response(200)
        if path == '/keep-alive-by-hand':
            self.send_header('Connection', 'keep-alive')
        if path in ('/framed', '/only', '/early-hints'):
            self.send_header('Content-Length', '2')
        self.end_headers()
        self.wfile.write(b'hi')  # also for HEAD: dropped, like Go


def test_send_response_only_is_one_response(make_server):
    srv = make_server(handler=HandWrittenVariants)
    with connect(srv) as conn:
        first = conn.exchange(request('GET', '/only'))
        second = conn.exchange(request('GET', '/framed'))
    assert (first.status, first.body) == (200, b'hi')
    assert (second.status, second.body) == (200, b'hi')
    assert [e['response_status'] for e in srv.history] == [200, 200]


def test_an_interim_1xx_by_hand_is_not_the_recorded_response(make_server):
    srv = make_server(handler=HandWrittenVariants)
    with connect(srv) as conn:
        conn.send(request('GET', '/early-hints'))
        interim = conn.read_response()
        final = conn.read_response()
    assert interim.status == 103
    assert (final.status, final.body) == (200, b'hi')
    assert srv.history[0]['response_status'] == 200


def test_a_body_written_after_a_head_response_is_dropped(make_server):
    srv = make_server(handler=HandWrittenVariants)
    with connect(srv) as conn:
        head = conn.exchange(request('HEAD', '/framed'), method='HEAD')
        after = conn.exchange(request('GET', '/framed'))
    assert head.status == 200 and head.body == b''
    assert (after.status, after.body) == (200, b'hi')


def test_a_connection_header_by_hand_is_not_contradicted(make_server):
    srv = make_server(handler=HandWrittenVariants)
    with connect(srv) as conn:
        response = conn.exchange(request('GET', '/keep-alive-by-hand'))
        conn.assert_closed(allow_reset=True)
    # Unframed, so it must close: one Connection header, saying so.
    assert response.connection_tokens == ['close']
    assert response.body == b'hi'


def test_http10_keep_alive_is_confirmed_for_a_framed_response_by_hand(
        make_server):
    srv = make_server(handler=HandWrittenVariants)
    with connect(srv) as conn:
        response = conn.exchange(request(
            'GET', '/framed', [('Connection', 'keep-alive')],
            version='HTTP/1.0'))
        again = conn.exchange(request(
            'GET', '/framed', [('Connection', 'keep-alive')],
            version='HTTP/1.0'))
    assert response.connection_tokens == ['keep-alive']
    assert again.body == b'hi'
