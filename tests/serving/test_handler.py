"""Tests for httptestserver.serving.handler: the HTTP/1.1 behaviour clients
rely on.

Requests are written byte for byte on raw sockets (TLS-wrapped for https) and
responses are parsed by ``rawhttp``, so framing mistakes a client library
would paper over -- a stray body byte, a missing chunk terminator, a
connection left open -- fail here.  Every test runs over http and https,
but for the few about one scheme (the wrong protocol on a port, TLS closure).
Every socket has the suite's timeout; nothing sleeps: where a test must show
that nothing arrives, it waits ``QUIET`` seconds on a read.
"""
import contextlib
import re
import socket
import ssl
import threading

import pytest

import httptestserver
from httptestserver import Handler, HandlerError, Server
from httptestserver.answers.responses import Response

from conftest import TIMEOUT, raw_connect
from rawhttp import RawConnection, client_hello, request

ECHO = re.compile(r'/.*')
#: How long a test waits to show that something does *not* arrive.
QUIET = 0.2


def connect(server):
    """Return a :class:`RawConnection` to *server* (a context manager)."""
    return RawConnection(raw_connect(server))


def echo(request_):
    """A callable route body: the method and target the server recorded."""
    return '%s %s' % (request_['method'], request_['path'])


def echo_server(server):
    server.route(ECHO, echo)
    return server


def assert_still_serving(server, path='/still-serving'):
    """Assert a new client on a new connection gets a normal answer."""
    server.route(path, body=b'still serving')
    with connect(server) as conn:
        response = conn.exchange(request('GET', path))
    assert response.status == 200
    assert server.history[-1]['path'] == path
    return response


@pytest.fixture
def make_server(scheme):
    """Create and start servers of *scheme*; stop them all afterwards."""
    servers = []

    def make(**kws):
        srv = Server(scheme=scheme, **kws).start()
        servers.append(srv)
        return srv
    try:
        yield make
    finally:
        for srv in servers:
            srv.stop()


@contextlib.contextmanager
def started_server(scheme):
    """A server of *scheme* for a test that is about one scheme only."""
    srv = Server(scheme=scheme).start()
    try:
        yield srv
    finally:
        srv.stop()


# -- keep-alive and pipelining ---------------------------------------------
def test_response_is_http11_with_date_server_and_content_length(server):
    server.route('/hello', body=b'hello')
    with connect(server) as conn:
        response = conn.exchange(request('GET', '/hello'))
    assert response.version == 'HTTP/1.1'
    assert (response.status, response.reason) == (200, 'OK')
    assert response.header('Content-Length') == '5'
    assert response.body == b'hello'
    assert response.has_header('Date')
    assert response.header('Server') == 'httptestserver'
    assert not response.has_header('Transfer-Encoding')
    # HTTP/1.1 is persistent by default: nothing to say.
    assert 'close' not in response.connection_tokens


def test_fifty_requests_share_one_keep_alive_connection(server):
    echo_server(server)
    with connect(server) as conn:
        for number in range(50):
            response = conn.exchange(request('GET', '/item/%d' % number))
            assert response.status == 200
            assert response.body == ('GET /item/%d' % number).encode('ascii')
        local_port = conn.local_port
    history = server.history
    assert [e['path'] for e in history] == \
        ['/item/%d' % n for n in range(50)]
    ports = set(e['client_address'][1] for e in history)
    assert ports == set([local_port])


def test_pipelined_requests_are_answered_in_order(server):
    echo_server(server)
    batch = b''.join([
        request('GET', '/one'),
        request('POST', '/two', body=b'payload\r\nwith CRLF'),
        request('HEAD', '/three'),
        request('DELETE', '/four?x=1'),
        request('GET', '/five'),
    ])
    with connect(server) as conn:
        conn.send(batch)
        responses = [conn.read_response(method) for method in
                     ('GET', 'POST', 'HEAD', 'DELETE', 'GET')]
        assert conn.quiet_for(QUIET)
    assert [r.status for r in responses] == [200] * 5
    assert [r.body for r in responses] == [
        b'GET /one', b'POST /two', b'', b'DELETE /four?x=1', b'GET /five']
    assert responses[2].header('Content-Length') == str(len(b'HEAD /three'))
    history = server.history
    assert [e['path'] for e in history] == \
        ['/one', '/two', '/three', '/four?x=1', '/five']
    assert history[1]['body'] == b'payload\r\nwith CRLF'


def test_pipelined_requests_after_connection_close_are_not_answered(server):
    echo_server(server)
    with connect(server) as conn:
        conn.send(request('GET', '/a') +
                  request('GET', '/b', [('Connection', 'close')]) +
                  request('GET', '/c'))
        first = conn.read_response()
        second = conn.read_response()
        conn.assert_closed(allow_reset=True)
    assert (first.body, second.body) == (b'GET /a', b'GET /b')
    assert second.connection_tokens == ['close']
    assert [e['path'] for e in server.history] == ['/a', '/b']


def test_empty_line_before_a_request_line_is_ignored(server):
    """RFC 9112 section 2.2: a server SHOULD ignore at least one empty line
    before a request-line; some clients send a CRLF after a POST body."""
    echo_server(server)
    with connect(server) as conn:
        conn.send(request('POST', '/form', body=b'a=1') + b'\r\n' +
                  request('GET', '/next'))
        first = conn.read_response()
        second = conn.read_response()
    assert (first.status, first.body) == (200, b'POST /form')
    assert (second.status, second.body) == (200, b'GET /next')
    assert [e['path'] for e in server.history] == ['/form', '/next']


def test_request_head_split_into_many_writes_is_read_whole(server):
    echo_server(server)
    data = request('GET', '/slow', [('X-Slow', 'yes')])
    with connect(server) as conn:
        for index in range(len(data)):
            conn.send(data[index:index + 1])
        response = conn.read_response()
    assert response.body == b'GET /slow'
    assert server.history[0]['headers']['X-Slow'] == 'yes'


# -- request bodies --------------------------------------------------------
def test_chunked_request_body_with_extensions_and_trailers_is_decoded(server):
    echo_server(server)
    chunked = (b'POST /upload HTTP/1.1\r\nHost: localhost\r\n'
               b'Transfer-Encoding: chunked\r\n\r\n'
               b'5;name=value\r\nhello\r\n'
               b'6;quoted="a;b";flag\r\n world\r\n'
               b'A\r\n\r\n0123456\n\r\n'
               b'0;last\r\n'
               b'X-Checksum: abc\r\nX-Other: 1\r\n\r\n')
    with connect(server) as conn:
        response = conn.exchange(chunked)
        # The trailers were consumed: the next request parses cleanly.
        after = conn.exchange(request('GET', '/after'))
    assert response.status == 200
    assert after.body == b'GET /after'
    history = server.history
    assert history[0]['body'] == b'hello world\r\n0123456\n'
    assert history[1]['body'] == b''


def test_chunked_request_body_may_arrive_in_pieces(server):
    with connect(server) as conn:
        conn.send(request('POST', '/pieces',
                          [('Transfer-Encoding', 'chunked')], body=b''))
        for piece in (b'3\r\n', b'ab', b'c\r\n', b'1\r', b'\nd\r\n',
                      b'0\r\n', b'\r\n'):
            conn.send(piece)
        response = conn.read_response()
    assert response.status == 200
    assert server.history[0]['body'] == b'abcd'


def test_content_length_body_is_recorded_byte_for_byte(server):
    body = b'\x00\r\n\r\nGET / HTTP/1.1\r\n\xff' * 100
    with connect(server) as conn:
        conn.send(request('PUT', '/blob', body=body) +
                  request('GET', '/next'))
        first = conn.read_response()
        second = conn.read_response()
    assert (first.status, second.status) == (200, 200)
    history = server.history
    assert [e['path'] for e in history] == ['/blob', '/next']
    assert history[0]['body'] == body
    assert history[1]['body'] == b''


def test_large_content_length_body_is_recorded_whole(server):
    body = bytes(bytearray(range(256))) * 4096  # 1 MiB
    with connect(server) as conn:
        response = conn.exchange(request('POST', '/big', body=body))
    assert response.status == 200
    assert server.history[0]['body'] == body


@pytest.mark.parametrize('first', [
    request('POST', '/first', body=b'old body'),
    request('POST', '/first', [('Transfer-Encoding', 'chunked')],
            body=b'8\r\nold body\r\n0\r\n\r\n'),
], ids=['content-length', 'chunked'])
@pytest.mark.parametrize('second', [
    request('GET', '/second'),
    request('POST', '/second', [('Content-Length', '0')]),
    request('POST', '/second', [('Transfer-Encoding', 'chunked')],
            body=b'0\r\n\r\n'),
], ids=['no-body', 'length-0', 'chunked-empty'])
def test_empty_body_is_empty_not_the_previous_requests_body(server, first,
                                                            second):
    with connect(server) as conn:
        conn.exchange(first)
        conn.exchange(second)
    history = server.history
    assert history[0]['body'] == b'old body'
    assert history[1]['body'] == b''
    assert server.data['body'] == b''


@pytest.mark.parametrize('lengths', [
    [('Content-Length', '3'), ('Content-Length', '3')],
    [('Content-Length', '3, 3')],
], ids=['two-headers', 'one-list'])
def test_repeated_identical_content_length_values_are_accepted(server,
                                                               lengths):
    with connect(server) as conn:
        response = conn.exchange(request('POST', '/same', lengths,
                                         body=b'abc'))
    assert response.status == 200
    assert server.history[0]['body'] == b'abc'


def test_bare_lf_line_endings_in_the_head_are_accepted(server):
    with connect(server) as conn:
        response = conn.exchange(b'POST /lf HTTP/1.1\nHost: localhost\n'
                                 b'Content-Length: 2\n\nok')
    assert response.status == 200
    entry = server.history[0]
    assert (entry['path'], entry['body']) == ('/lf', b'ok')
    assert entry['headers']['Host'] == 'localhost'


def test_content_length_and_chunked_together_is_read_chunked_and_closed(
        server):
    smuggle = (b'POST /both HTTP/1.1\r\nHost: localhost\r\n'
               b'Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n'
               b'4\r\nbody\r\n0\r\n\r\n')
    with connect(server) as conn:
        response = conn.exchange(smuggle)
        conn.assert_closed()
    assert response.status == 200
    assert response.connection_tokens == ['close']
    assert server.history[0]['body'] == b'body'


def test_client_gone_mid_body_is_not_recorded_and_no_error(server):
    with connect(server) as conn:
        conn.send(request('POST', '/cut', [('Content-Length', '10')]) +
                  b'abc')
        socket.socket.shutdown(conn.sock, socket.SHUT_WR)
        # The server gives up on the request and closes: nothing to answer.
        # (Over TLS, OpenSSL 3 answers the bare TCP close with an alert.)
        assert conn.read_until_closed() == b''
        assert conn.ended == 'eof' or conn.ended.startswith('alert')
    assert server.history == []
    assert server.errors == []
    assert_still_serving(server)


# -- Expect: 100-continue --------------------------------------------------
def test_expect_100_continue_gets_one_interim_response_then_the_final(
        server):
    echo_server(server)
    with connect(server) as conn:
        conn.send(request('PUT', '/upload', [('Expect', '100-continue'),
                                             ('Content-Length', '5')]))
        interim = conn.read_response()
        assert interim.raw == b'HTTP/1.1 100 Continue\r\n\r\n'
        assert conn.quiet_for(QUIET)  # the final answer waits for the body
        conn.send(b'hello')
        final = conn.read_response()
        # The connection stays in sync: the next answer is the next one.
        after = conn.exchange(request('GET', '/after'))
    assert (final.status, final.body) == (200, b'PUT /upload')
    assert after.body == b'GET /after'
    assert server.history[0]['body'] == b'hello'


def test_expect_100_continue_is_sent_only_after_the_whole_head(server):
    with connect(server) as conn:
        conn.send(b'POST /wait HTTP/1.1\r\nHost: localhost\r\n'
                  b'Expect: 100-continue\r\n')
        assert conn.quiet_for(QUIET)
        conn.send(b'Content-Length: 2\r\n')
        assert conn.quiet_for(QUIET)
        conn.send(b'\r\n')
        interim = conn.read_response()
        conn.send(b'ok')
        final = conn.read_response()
    assert interim.status == 100
    assert final.status == 200
    assert server.history[0]['body'] == b'ok'


def test_expect_100_continue_is_matched_without_regard_to_case(server):
    with connect(server) as conn:
        conn.send(request('PUT', '/case', [('expect', '100-Continue'),
                                           ('Content-Length', '2')]))
        interim = conn.read_response()
        conn.send(b'ok')
        final = conn.read_response()
    assert (interim.status, final.status) == (100, 200)


def test_expect_100_continue_with_chunked_body(server):
    with connect(server) as conn:
        conn.send(request('POST', '/chunks', [
            ('Expect', '100-continue'), ('Transfer-Encoding', 'chunked')],
            body=b''))
        interim = conn.read_response()
        conn.send(b'3\r\nabc\r\n0\r\n\r\n')
        final = conn.read_response()
    assert (interim.status, final.status) == (100, 200)
    assert server.history[0]['body'] == b'abc'


def test_body_sent_without_waiting_for_100_continue_is_read(server):
    with connect(server) as conn:
        conn.send(request('POST', '/eager', [('Expect', '100-continue')],
                          body=b'eager') + request('GET', '/next'))
        interim, final = conn.read_final_response()
        second = conn.read_response()
    assert [r.status for r in interim] in ([], [100])
    assert (final.status, second.status) == (200, 200)
    history = server.history
    assert [e['body'] for e in history] == [b'eager', b'']


@pytest.mark.parametrize('framing', [[], [('Content-Length', '0')]],
                         ids=['no-body-headers', 'content-length-0'])
def test_expect_100_continue_without_body_gets_no_interim_response(
        server, framing):
    with connect(server) as conn:
        conn.send(request('POST', '/empty',
                          [('Expect', '100-continue')] + framing))
        response = conn.read_response()
    assert response.status == 200


def test_expect_100_continue_from_http10_client_gets_no_interim_response(
        server):
    with connect(server) as conn:
        conn.send(request('POST', '/old', [('Expect', '100-continue')],
                          body=b'data', version='HTTP/1.0'))
        response = conn.read_response()
        conn.assert_closed()
    assert response.status == 200
    assert server.history[0]['body'] == b'data'


def test_unknown_expectation_gets_417_and_close(server):
    with connect(server) as conn:
        conn.send(request('POST', '/odd', [('Expect', 'something-else')],
                          body=b'data'))
        response = conn.read_response()
        conn.assert_closed(allow_reset=True)
    assert response.status == 417
    assert response.connection_tokens == ['close']
    assert_still_serving(server)


# -- HEAD ------------------------------------------------------------------
def test_head_has_would_be_content_length_and_no_body(server):
    server.route('/doc', body=b'0123456789')
    with connect(server) as conn:
        head = conn.exchange(request('HEAD', '/doc'))
        # A body byte after the HEAD answer would break this parse.
        get = conn.exchange(request('GET', '/doc'))
        assert conn.quiet_for(QUIET)
    assert head.status == 200
    assert head.header('Content-Length') == '10'
    assert head.body == b''
    assert (get.header('Content-Length'), get.body) == ('10', b'0123456789')
    assert [e['method'] for e in server.history] == ['HEAD', 'GET']


def test_head_to_streamed_body_sends_no_chunks(server):
    server.route('/stream', lambda request_: {'body': iter([b'ab', b'c'])})
    with connect(server) as conn:
        head = conn.exchange(request('HEAD', '/stream'))
        get = conn.exchange(request('GET', '/stream'))
    assert head.status == 200
    assert head.body == b''
    assert get.framing == 'chunked'
    assert get.body == b'abc'


# -- closing the connection ------------------------------------------------
@pytest.mark.parametrize('value', ['close', 'Close', 'keep-alive, close'])
def test_connection_close_from_client_is_answered_with_close_and_closed(
        server, value):
    with connect(server) as conn:
        response = conn.exchange(request('GET', '/bye',
                                         [('Connection', value)]))
        conn.assert_closed()
    assert response.status == 200
    assert response.connection_tokens == ['close']


def test_http10_request_without_keep_alive_is_answered_and_closed(server):
    server.route('/old', body=b'old')
    with connect(server) as conn:
        response = conn.exchange(request('GET', '/old', version='HTTP/1.0'))
        conn.assert_closed()
    assert (response.status, response.body) == (200, b'old')
    assert response.header('Content-Length') == '3'
    assert response.connection_tokens == ['close']
    assert server.history[0]['request_version'] == 'HTTP/1.0'


def test_http10_request_with_keep_alive_stays_open(server):
    echo_server(server)
    keep = [('Connection', 'keep-alive')]
    with connect(server) as conn:
        first = conn.exchange(request('GET', '/a', keep, version='HTTP/1.0'))
        second = conn.exchange(request('GET', '/b', keep,
                                       version='HTTP/1.0'))
        port = conn.local_port
    assert first.connection_tokens == ['keep-alive']
    assert (first.body, second.body) == (b'GET /a', b'GET /b')
    assert [e['client_address'][1] for e in server.history] == [port, port]


@pytest.mark.parametrize('status,line', [
    (299, b'HTTP/1.1 299 \r\n'), (599, b'HTTP/1.1 599 \r\n')])
def test_status_line_of_unknown_status_keeps_the_space_before_no_reason(
        server, status, line):
    server.route('/odd', status=status, body=b'odd')
    with connect(server) as conn:
        response = conn.exchange(request('GET', '/odd'))
    assert response.raw_head.startswith(line)
    assert response.body == b'odd'


def test_response_with_connection_close_header_closes_the_connection(
        server):
    server.route('/last', headers={'Connection': 'close'}, body=b'last')
    with connect(server) as conn:
        response = conn.exchange(request('GET', '/last'))
        conn.assert_closed()
    assert response.body == b'last'
    assert response.header_all('Connection') == ['close']


def test_https_connection_is_closed_with_tls_close_notify():
    """RFC 8446 section 6.1: close_notify before closing the write side.

    Without it a client cannot tell a body delimited by the close from a
    truncated one; Python 2 on OpenSSL 3, for one, raises an error.
    """
    with started_server('https') as srv:
        sock = socket.create_connection((srv.host, srv.port),
                                        timeout=TIMEOUT)
        try:
            sock = srv.client_context().wrap_socket(
                sock, server_hostname='localhost',
                suppress_ragged_eofs=False)
            sock.sendall(request('GET', '/', [('Connection', 'close')]))
            data = b''
            try:
                for _ in range(100):
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except ssl.SSLError as exc:
                pytest.fail('the server closed TLS without close_notify: %s'
                            % exc)
        finally:
            sock.close()
    assert data.startswith(b'HTTP/1.1 200 OK\r\n')


# -- bodiless statuses -----------------------------------------------------
@pytest.mark.parametrize('status', [204, 304])
def test_bodiless_status_has_no_body_and_no_content_length(server, status):
    server.route('/nothing', status=status, body=b'must not be sent',
                 headers={'ETag': '"v1"'})
    server.route('/after', body=b'after')
    with connect(server) as conn:
        response = conn.exchange(request('GET', '/nothing'))
        # Bytes of the dropped body would break the next parse.
        after = conn.exchange(request('GET', '/after'))
    assert response.status == status
    assert response.header('ETag') == '"v1"'
    assert not response.has_header('Content-Length')
    assert not response.has_header('Transfer-Encoding')
    assert after.status == 200


def test_204_with_streamed_body_sends_no_chunks(server):
    server.route('/nothing', lambda request_: {
        'status': 204, 'body': iter([b'no'])})
    server.route('/after', body=b'after')
    with connect(server) as conn:
        response = conn.exchange(request('GET', '/nothing'))
        after = conn.exchange(request('GET', '/after'))
    assert response.status == 204
    assert not response.has_header('Transfer-Encoding')
    assert after.status == 200


# -- streamed response bodies ----------------------------------------------
def stream(*chunks):
    """A callable route answering with a fresh generator of *chunks*."""
    def answer(request_):
        return {'body': (chunk for chunk in chunks)}
    return answer


def test_streamed_body_is_sent_chunked_to_http11_client(server):
    server.route('/stream', stream(b'a', b'b'))
    with connect(server) as conn:
        response = conn.exchange(request('GET', '/stream'))
        again = conn.exchange(request('GET', '/stream'))
    assert response.framing == 'chunked'
    assert not response.has_header('Content-Length')
    assert response.chunks == [b'a', b'b']
    assert response.body == again.body == b'ab'
    assert response.raw.endswith(b'1\r\na\r\n1\r\nb\r\n0\r\n\r\n')
    assert server.history[0]['response_content'] is None


def test_empty_chunks_in_streamed_body_do_not_end_it(server):
    server.route('/stream', stream(b'a', b'', u'\xe9', b'', b'b'))
    server.route('/after', body=b'after')
    with connect(server) as conn:
        response = conn.exchange(request('GET', '/stream'))
        after = conn.exchange(request('GET', '/after'))
    assert response.body == b'a\xc3\xa9b'
    assert after.status == 200


def test_streamed_body_with_content_length_is_sent_as_is(server):
    server.route('/sized', lambda request_: {
        'headers': {'Content-Length': '4'},
        'body': iter([b'ab', b'cd'])})
    server.route('/after', body=b'after')
    with connect(server) as conn:
        response = conn.exchange(request('GET', '/sized'))
        after = conn.exchange(request('GET', '/after'))
    assert response.framing == 'length'
    assert not response.has_header('Transfer-Encoding')
    assert response.body == b'abcd'
    assert after.status == 200


@pytest.mark.parametrize('coding', ['chunked', 'gzip, chunked'])
def test_bytes_body_with_chunked_transfer_encoding_header_is_sent_chunked(
        server, coding):
    """RFC 9112 section 6.2: never Content-Length with Transfer-Encoding;
    headers replayed from a recorded response often hold the latter."""
    server.route('/replayed', headers={'Transfer-Encoding': coding},
                 body=b'abc')
    server.route('/after', body=b'after')
    with connect(server) as conn:
        response = conn.exchange(request('GET', '/replayed'))
        after = conn.exchange(request('GET', '/after'))
    assert response.header_all('Transfer-Encoding') == [coding]
    assert not response.has_header('Content-Length')
    assert response.framing == 'chunked'
    assert response.body == b'abc'
    assert after.body == b'after'


@pytest.mark.parametrize('headers', [[], [('Connection', 'keep-alive')]],
                         ids=['plain', 'keep-alive'])
def test_streamed_body_to_http10_client_is_unframed_and_closed(server,
                                                               headers):
    server.route('/stream', stream(b'a', b'b'))
    with connect(server) as conn:
        response = conn.exchange(request('GET', '/stream', headers,
                                         version='HTTP/1.0'))
    assert conn.ended == 'eof'
    assert response.framing == 'close'
    assert not response.has_header('Transfer-Encoding')
    assert not response.has_header('Content-Length')
    assert response.connection_tokens == ['close']
    assert response.body == b'ab'


def test_streamed_body_that_raises_ends_without_last_chunk(server):
    def broken(request_):
        def chunks():
            yield b'a'
            raise RuntimeError('the stream broke')
        return {'body': chunks()}
    server.route('/broken', broken)
    with connect(server) as conn:
        conn.send(request('GET', '/broken'))
        data = conn.read_until_closed()
    head, _, body = data.partition(b'\r\n\r\n')
    assert head.startswith(b'HTTP/1.1 200 ')
    # The client can tell the body is cut short: no terminating chunk.
    assert body == b'1\r\na\r\n'
    with pytest.raises(HandlerError) as info:
        server.check()
    assert 'the stream broke' in str(info.value)
    assert_still_serving(server)


def test_client_gone_mid_response_is_not_a_handler_error(make_server):
    """A client may stop reading and hang up (a timeout, a test of partial
    reads); that is no failure of the server's handler."""
    srv = make_server()
    srv.route('/endless', lambda request_: {
        'body': (b'x' * 65536 for _ in range(1024))})  # 64 MiB at most
    with connect(srv) as conn:
        conn.send(request('GET', '/endless'))
        assert conn.sock.recv(100).startswith(b'HTTP/1.1 200 ')
    srv.stop()  # waits for the connection's thread
    assert srv.errors == []
    assert [e['path'] for e in srv.history] == ['/endless']


# -- malformed requests ----------------------------------------------------
def _headers(count):
    return [('X-Header-%d' % n, 'v') for n in range(count)]


MALFORMED = [
    ('garbage-request-line', b'garbage\r\n\r\n', 400),
    ('http09-request-line', b'GET /\r\n\r\n', 400),
    ('bad-method', b'G(T / HTTP/1.1\r\nHost: x\r\n\r\n', 400),
    ('bad-version', b'GET / HTTP/one\r\nHost: x\r\n\r\n', 400),
    ('not-http', b'GET / FTP/1.1\r\nHost: x\r\n\r\n', 400),
    ('http-2.0', b'GET / HTTP/2.0\r\nHost: x\r\n\r\n', 505),
    ('http-3.0', b'GET / HTTP/3.0\r\nHost: x\r\n\r\n', 505),
    ('long-request-line',
     b'GET /' + b'a' * 70000 + b' HTTP/1.1\r\nHost: x\r\n\r\n', 414),
    ('long-header-line',
     request('GET', '/', [('X-Long', 'a' * 70000)]), 431),
    ('too-many-headers', request('GET', '/', _headers(100)), 431),
    ('header-without-colon',
     b'GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n', 400),
    ('space-before-colon', b'GET / HTTP/1.1\r\nHost : x\r\n\r\n', 400),
    ('empty-header-name', b'GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n', 400),
    ('continuation-first',
     b'GET / HTTP/1.1\r\n  folded: x\r\nHost: x\r\n\r\n', 400),
    ('content-length-not-a-number',
     request('POST', '/', [('Content-Length', 'abc')]), 400),
    ('content-length-negative',
     request('POST', '/', [('Content-Length', '-1')]), 400),
    ('content-lengths-differ',
     request('POST', '/', [('Content-Length', '1'), ('Content-Length', '2')],
             body=b'ab'), 400),
    ('content-length-list-differs',
     request('POST', '/', [('Content-Length', '1, 2')], body=b'ab'), 400),
    ('bad-chunk-size',
     request('POST', '/', [('Transfer-Encoding', 'chunked')],
             body=b'zz\r\nab\r\n0\r\n\r\n'), 400),
    ('chunk-size-too-long',
     request('POST', '/', [('Transfer-Encoding', 'chunked')],
             body=b'1' + b'0' * 16 + b'\r\n'), 400),
    ('chunk-extension-without-size',
     request('POST', '/', [('Transfer-Encoding', 'chunked')],
             body=b';ext\r\nab\r\n0\r\n\r\n'), 400),
    ('chunk-without-crlf',
     request('POST', '/', [('Transfer-Encoding', 'chunked')],
             body=b'2\r\nabXX0\r\n\r\n'), 400),
    # RFC 9112 6.1: a coding the server does not know is 501, and only
    # exactly "chunked" is accepted: a list is where smuggling hides.
    ('unsupported-transfer-encoding',
     request('POST', '/', [('Transfer-Encoding', 'gzip')], body=b''), 501),
    ('coding-before-chunked',
     request('POST', '/', [('Transfer-Encoding', 'gzip, chunked')],
             body=b'0\r\n\r\n'), 501),
    ('identity-before-chunked',
     request('POST', '/', [('Transfer-Encoding', 'identity, chunked')],
             body=b'0\r\n\r\n'), 501),
    ('chunked-twice',
     request('POST', '/', [('Transfer-Encoding', 'chunked, chunked')],
             body=b'0\r\n\r\n'), 400),
    ('chunked-in-two-headers',
     request('POST', '/', [('Transfer-Encoding', 'chunked'),
                           ('Transfer-Encoding', 'chunked')],
             body=b'0\r\n\r\n'), 400),
    ('vertical-tab-in-request-line', b'GET\x0b/ HTTP/1.1\r\nHost: x\r\n\r\n',
     400),
    ('form-feed-in-request-line', b'GET /\x0cHTTP/1.1\r\nHost: x\r\n\r\n',
     400),
    ('a-5000-digit-version', b'GET / HTTP/1.' + b'1' * 5000 +
     b'\r\nHost: x\r\n\r\n', 400),
    ('a-5000-digit-major-version', b'GET / HTTP/' + b'1' * 5000 +
     b'.1\r\nHost: x\r\n\r\n', 400),
    ('http-2-0-on-http-1', b'GET / HTTP/2.0\r\nHost: x\r\n\r\n', 505),
    ('a-head-over-128-kib-in-short-lines',
     b'GET / HTTP/1.1\r\nHost: x\r\n' +
     b''.join(('X-%d: ' % i).encode('ascii') + b'v' * 1500 + b'\r\n'
              for i in range(90)) + b'\r\n', 431),
    ('http11-without-host', b'GET / HTTP/1.1\r\nAccept: */*\r\n\r\n', 400),
    ('http11-with-two-hosts',
     b'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400),
    ('too-many-folded-lines',
     b'GET / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n'
     + b' more\r\n' * 100 + b'\r\n', 431),
]


@pytest.mark.parametrize('data,status', [m[1:] for m in MALFORMED],
                         ids=[m[0] for m in MALFORMED])
def test_malformed_request_gets_4xx_and_close_and_server_keeps_serving(
        server, data, status):
    with connect(server) as conn:
        conn.send(data)
        response = conn.read_response()
        conn.assert_closed(allow_reset=True)
    assert response.status == status
    assert response.connection_tokens == ['close']
    assert response.header('Content-Type').startswith('text/plain')
    assert response.body.strip()  # says what was wrong
    entry = server.history[-1]
    assert entry['response_status'] == status
    assert entry['rejected']
    assert_still_serving(server)


def test_http10_request_without_host_is_accepted(server):
    with connect(server) as conn:
        conn.send(b'GET /old HTTP/1.0\r\n\r\n')
        response = conn.read_response()
    assert response.status == 200
    assert server.history[0]['path'] == '/old'


def test_connection_header_is_matched_by_token_not_substring(server):
    with connect(server) as conn:
        first = conn.exchange(request('GET', '/a', [('Connection',
                                                     'closed-ish')]))
        second = conn.exchange(request('GET', '/b', [('Connection',
                                                      'Keep-Alive, Close')]))
        conn.assert_closed(allow_reset=True)
    assert first.connection_tokens != ['close']
    assert second.connection_tokens == ['close']
    assert [e['path'] for e in server.history] == ['/a', '/b']


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


def test_request_line_of_exactly_max_line_bytes_is_accepted(server):
    line = b'GET /' + b'a' * (Handler.max_line - len(b'GET / HTTP/1.1\r\n'))
    data = line + b' HTTP/1.1\r\nHost: x\r\n\r\n'
    assert len(line + b' HTTP/1.1\r\n') == Handler.max_line
    with connect(server) as conn:
        response = conn.exchange(data)
    assert response.status == 200
    assert len(server.history[0]['path']) == Handler.max_line - 15


def test_header_line_of_exactly_max_line_bytes_is_accepted(server):
    value = 'v' * (Handler.max_line - len('X-Long: \r\n'))
    with connect(server) as conn:
        response = conn.exchange(request('GET', '/', [('X-Long', value)]))
    assert response.status == 200
    assert server.history[0]['headers']['X-Long'] == value


def test_max_headers_header_lines_are_accepted(server):
    with connect(server) as conn:
        response = conn.exchange(request('GET', '/', _headers(99)))
    assert response.status == 200
    assert len(server.history[0]['headers']) == Handler.max_headers


class SmallBodyHandler(Handler):
    max_body = 10


@pytest.mark.parametrize('data', [
    request('POST', '/big', body=b'x' * 11),
    request('POST', '/big', [('Content-Length', '11')]),
    request('POST', '/big', [('Transfer-Encoding', 'chunked')],
            body=b'5\r\n12345\r\n6\r\n123456\r\n0\r\n\r\n'),
], ids=['content-length', 'head-only', 'chunked'])
def test_body_over_max_body_gets_413_and_close(make_server, data):
    srv = make_server(handler=SmallBodyHandler)
    with connect(srv) as conn:
        conn.send(data)
        response = conn.read_response()
        conn.assert_closed(allow_reset=True)
    assert response.status == 413
    assert response.connection_tokens == ['close']
    assert srv.history[-1]['response_status'] == 413
    assert_still_serving(srv)


def test_expect_100_continue_with_body_over_max_body_gets_413_at_once(
        make_server):
    srv = make_server(handler=SmallBodyHandler)
    with connect(srv) as conn:
        conn.send(request('PUT', '/big', [('Expect', '100-continue'),
                                          ('Content-Length', '11')]))
        # The final answer comes instead of 100 Continue: the body is unsent.
        response = conn.read_response()
        conn.assert_closed()
    assert response.status == 413
    assert_still_serving(srv)


@pytest.mark.parametrize('data', [
    request('POST', '/max', body=b'x' * 10),
    request('POST', '/max', [('Transfer-Encoding', 'chunked')],
            body=b'5\r\n12345\r\n5\r\n12345\r\n0\r\n\r\n'),
], ids=['content-length', 'chunked'])
def test_body_of_exactly_max_body_is_accepted(make_server, data):
    srv = make_server(handler=SmallBodyHandler)
    with connect(srv) as conn:
        response = conn.exchange(data)
    assert response.status == 200
    assert len(srv.history[0]['body']) == 10


def test_silent_client_does_not_block_other_clients(server):
    # A bare TCP connection: for https, not even a TLS ClientHello.
    silent = socket.create_connection((server.host, server.port),
                                      timeout=TIMEOUT)
    try:
        assert_still_serving(server, '/while-one-is-silent')
        with connect(server) as other:
            other.send(b'GET /half')  # an unfinished request line
            assert_still_serving(server, '/while-one-is-half-done')
    finally:
        silent.close()


def test_client_that_half_closes_without_sending_is_closed_cleanly(server):
    sock = socket.create_connection((server.host, server.port),
                                    timeout=TIMEOUT)
    with RawConnection(sock) as conn:
        sock.shutdown(socket.SHUT_WR)
        assert conn.read_until_closed() == b''
        assert conn.ended == 'eof'
    assert server.history == []
    assert_still_serving(server)


class QuickTimeoutHandler(Handler):
    timeout = 0.3


def test_idle_keep_alive_connection_is_closed_after_handler_timeout(
        make_server):
    srv = make_server(handler=QuickTimeoutHandler)
    with connect(srv) as conn:
        response = conn.exchange(request('GET', '/once'))
        # Bounded by the client's TIMEOUT, well above the server's 0.3 s.
        conn.assert_closed()
    assert response.status == 200
    assert 'close' not in response.connection_tokens


def test_silent_connection_is_closed_after_handler_timeout(make_server):
    srv = make_server(handler=QuickTimeoutHandler)
    # A bare TCP connection: for https the TLS handshake must time out too.
    sock = socket.create_connection((srv.host, srv.port), timeout=TIMEOUT)
    with RawConnection(sock) as conn:
        assert conn.read_until_closed() == b''
        assert conn.ended == 'eof'
    assert srv.history == []
    assert_still_serving(srv)


def test_request_stalled_mid_head_is_dropped_after_handler_timeout(
        make_server):
    srv = make_server(handler=QuickTimeoutHandler)
    with connect(srv) as conn:
        conn.send(b'POST /stalled HTTP/1.1\r\nHost: localhost\r\n')
        assert conn.read_until_closed() == b''
    assert srv.history == []
    assert srv.errors == []
    assert_still_serving(srv)


def test_request_stalled_mid_body_is_dropped_after_handler_timeout(
        make_server):
    srv = make_server(handler=QuickTimeoutHandler)
    with connect(srv) as conn:
        conn.send(request('POST', '/stalled', [('Content-Length', '10')]) +
                  b'abc')
        assert conn.read_until_closed() == b''
    assert srv.history == []
    assert srv.errors == []
    assert_still_serving(srv)


# -- the wrong protocol on a port ------------------------------------------
def test_tls_client_hello_on_http_port_gets_400_and_server_keeps_serving():
    with started_server('http') as srv:
        sock = socket.create_connection((srv.host, srv.port),
                                        timeout=TIMEOUT)
        with RawConnection(sock) as conn:
            conn.send(client_hello())
            response = conn.read_response()
            conn.assert_closed(allow_reset=True)
        assert response.status == 400
        assert response.connection_tokens == ['close']
        assert_still_serving(srv)


def test_tls_handshake_on_http_port_fails_fast_and_server_keeps_serving():
    with started_server('http') as srv:
        sock = socket.create_connection((srv.host, srv.port),
                                        timeout=TIMEOUT)
        try:
            context = httptestserver.client_context()
            with pytest.raises(ssl.SSLError):
                sock = context.wrap_socket(sock, server_hostname='localhost')
        finally:
            sock.close()
        assert srv.history[-1]['response_status'] == 400
        assert_still_serving(srv)


def test_plain_http_on_https_port_gets_plain_400_and_server_keeps_serving():
    with started_server('https') as srv:
        sock = socket.create_connection((srv.host, srv.port),
                                        timeout=TIMEOUT)
        with RawConnection(sock) as conn:
            conn.send(request('GET', '/'))
            response = conn.read_response()
            conn.assert_closed(allow_reset=True)
        assert response.status == 400
        assert response.connection_tokens == ['close']
        assert response.body == \
            b'Client sent an HTTP request to an HTTPS server.\n'
        assert srv.history == []
        assert_still_serving(srv)


# -- methods and headers ---------------------------------------------------
@pytest.mark.parametrize('method,target', [
    ('PURGE', '/cache/item'), ('M-SEARCH', '*'), ('PROPFIND', '/dav/')])
def test_unknown_methods_are_routed_and_recorded(server, method, target):
    server.route(target, status=202, method=method)
    server.route('/after', body=b'after')
    with connect(server) as conn:
        response = conn.exchange(request(method, target, body=b'x'))
        after = conn.exchange(request('GET', '/after'))
    assert response.status == 202
    assert after.body == b'after'
    entry = server.history[0]
    assert (entry['method'], entry['path']) == (method, target)
    assert entry['body'] == b'x'
    assert entry['route'] is not None


def test_repeated_headers_keep_every_value_and_names_ignore_case(server):
    with connect(server) as conn:
        conn.exchange(request('GET', '/', [
            ('X-Multi', 'one'), ('x-multi', 'two'), ('X-MULTI', 'three'),
            ('Accept', 'text/html'), ('ACCEPT', 'application/json')]))
    for headers in (server.history[0]['headers'], server.data['headers']):
        assert headers.get_all('x-Multi') == ['one', 'two', 'three']
        assert headers['X-Multi'] == 'one, two, three'
        assert headers['accept'] == 'text/html, application/json'
        assert 'HOST' in headers and headers['host'] == 'localhost'


def test_header_values_are_stripped_and_folded_lines_joined(server):
    with connect(server) as conn:
        conn.exchange(b'GET / HTTP/1.1\r\nHost: localhost\r\n'
                      b'X-Padded: \t value \t\r\n'
                      b'X-Folded: first\r\n   second\r\n\tthird\r\n\r\n')
    headers = server.history[0]['headers']
    assert headers['X-Padded'] == 'value'
    assert headers['X-Folded'] == 'first second third'


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


def test_a_request_begun_before_reset_touches_none_of_the_new_setup(server):
    """The server reads the head, answers 100 Continue, and only then gets
    the body: a reset() in between starts a new test, which the old request
    must not disturb (no route taken, no response_clear applied)."""
    with connect(server) as conn:
        conn.send(request('POST', '/old', [('Expect', '100-continue'),
                                           ('Content-Length', '4')]))
        assert conn.read_response().status == 100  # the head was read
        server.reset()
        route = server.route('/new', status=201, times=1)
        server.data['response_status'] = 404
        server.data['response_clear'] = True
        conn.send(b'body')
        old = conn.read_response()
    assert old.status == 200  # an empty answer, from nothing of the new test
    assert server.history == [] and route.calls == []
    with connect(server) as conn:
        assert conn.exchange(request('GET', '/else')).status == 404
        assert conn.exchange(request('GET', '/new')).status == 201


def test_plain_http_with_a_body_on_https_port_gets_its_400_and_a_clean_close():
    """The server reads what the client sent before closing: unread bytes
    would make the kernel answer with a reset, destroying the 400."""
    with started_server('https') as srv:
        sock = socket.create_connection((srv.host, srv.port),
                                        timeout=TIMEOUT)
        with RawConnection(sock) as conn:
            conn.send(request('POST', '/upload', body=b'x' * 20000))
            response = conn.read_response()
            conn.assert_closed()  # an end of file, not a reset
        assert response.status == 400


# -- what a request line and header may hold (RFC 9112 2.2, 5.5) ------------
@pytest.mark.parametrize('raw', [
    b'GET /a\x00b HTTP/1.1\r\nHost: h\r\n\r\n',
    b'GET /a\rb HTTP/1.1\r\nHost: h\r\n\r\n',
    b'GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n',
    b'GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n',
], ids=['nul-target', 'cr-target', 'nul-value', 'cr-value'])
def test_nul_or_bare_cr_in_the_head_gets_400_and_the_server_serves_on(
        server, raw):
    with connect(server) as conn:
        conn.send(raw)
        response = conn.read_response()
        conn.assert_closed()
    assert response.status == 400
    assert server.history[-1]['rejected']
    assert_still_serving(server)


def test_chunked_request_from_an_http10_client_is_answered_then_closed(
        server):
    with connect(server) as conn:
        conn.send(b'POST /c HTTP/1.0\r\nConnection: keep-alive\r\n'
                  b'Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n'
                  b'0\r\n\r\n')
        response = conn.read_response()
        conn.assert_closed()
    assert response.status == 200
    assert response.connection_tokens == ['close']
    assert server.history[-1]['body'] == b'abc'


def test_a_target_with_utf8_bytes_is_recorded_byte_for_byte(server):
    """U+00E0 is c3 a0 in UTF-8; Python 3's str.split() would take the a0
    (a non-breaking space in latin-1) for whitespace."""
    with connect(server) as conn:
        response = conn.exchange(b'GET /voil\xc3\xa0?q=\xc3\xa0 HTTP/1.1\r\n'
                                 b'Host: h\r\n\r\n')
    assert response.status == 200
    entry = server.history[-1]
    raw = entry['path']
    if not isinstance(raw, bytes):
        raw = raw.encode('latin-1')  # http.server's convention on Python 3
    assert raw == b'/voil\xc3\xa0?q=\xc3\xa0'
    assert entry['url_path'] == u'/voil\xe0' if not isinstance(
        entry['url_path'], bytes) else b'/voil\xc3\xa0'
