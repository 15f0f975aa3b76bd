"""WebSocket sessions over real sockets (raw, websocket-client, websockets,
aiohttp), HTTP and HTTPS.

The socket tests check both sides: what the client got, and what the
:class:`WebSocket` recorded.  Every client call has a timeout; waits are on
events with deadlines, never sleeps.
"""
import struct
import sys
import time

import pytest
import requests
import six

import httptestserver
from httptestserver.errors import (ConfigurationError, HandlerError,
                                   WaitTimeout)
from httptestserver.protocol.websocket import BINARY, CLOSE, PING, TEXT, Close, \
    encode_frame
from httptestserver.streams.websocket import WebSocket

from conftest import TIMEOUT, raw_connect
from conftest import upgrade_request

PY3 = sys.version_info[0] >= 3
if PY3:
    import _async_streaming
else:  # Python 2
    _async_streaming = None

KEY = 'dGhlIHNhbXBsZSBub25jZQ=='  # RFC 6455 section 1.3
MASK = b'\x37\xfa\x21\x3d'


def client(opcode, payload=b'', fin=True, rsv=0, masked=True):
    """A client frame, masked unless *masked* is false."""
    return encode_frame(opcode, payload, fin, rsv,
                        MASK if masked else None)


def test_bad_arguments_are_configuration_errors():
    with pytest.raises(ConfigurationError, match='replies'):
        WebSocket(replies='hello')
    with pytest.raises(ConfigurationError, match='poll_interval'):
        WebSocket(poll_interval=0)


# -- raw sockets -------------------------------------------------------------
class RawClient(object):
    """A hand-written WebSocket client that shows every byte."""

    def __init__(self, server, path='/ws', extra=''):
        self.sock = raw_connect(server)
        self.sock.sendall((
            'GET %s HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n'
            'Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n'
            'Sec-WebSocket-Version: 13\r\n%s\r\n' % (path, KEY, extra)
        ).encode('ascii'))
        self.buf = b''
        while b'\r\n\r\n' not in self.buf:
            self._more()
        self.head, _, self.buf = self.buf.partition(b'\r\n\r\n')

    def _more(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError('server closed; had %r' % self.buf[:200])
        self.buf += chunk

    def frame(self):
        """Read one server frame: (fin, opcode, payload); checks no mask."""
        while len(self.buf) < 2:
            self._more()
        first, second = six.indexbytes(self.buf, 0), \
            six.indexbytes(self.buf, 1)
        assert not second & 0x80, 'server frames must not be masked'
        length, offset = second & 0x7F, 2
        if length == 126:
            while len(self.buf) < 4:
                self._more()
            length, offset = struct.unpack('!H', self.buf[2:4])[0], 4
        elif length == 127:
            while len(self.buf) < 10:
                self._more()
            length, offset = struct.unpack('!Q', self.buf[2:10])[0], 10
        while len(self.buf) < offset + length:
            self._more()
        payload = self.buf[offset:offset + length]
        self.buf = self.buf[offset + length:]
        return bool(first & 0x80), first & 0x0F, payload

    def close_code(self):
        fin, opcode, payload = self.frame()
        assert opcode == CLOSE, (opcode, payload)
        return struct.unpack('!H', payload[:2])[0]

    def close(self):
        self.sock.close()


@pytest.fixture
def ws(server):
    socket_route = WebSocket(server=server)
    server.route('/ws', socket_route)
    return socket_route


def test_raw_client_gets_101_and_an_unmasked_echo(server, ws):
    raw = RawClient(server)
    try:
        assert raw.head.startswith(b'HTTP/1.1 101 ')
        assert b'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=' in \
            raw.head
        raw.sock.sendall(client(TEXT, b'hello'))
        assert raw.frame() == (True, TEXT, b'hello')
        raw.sock.sendall(client(CLOSE, struct.pack('!H', 1000)))
        assert raw.close_code() == 1000  # the close is echoed
        assert raw.sock.recv(10) == b''  # then the server closes
    finally:
        raw.close()
    entry = server.history[-1]
    assert entry['response_status'] == 101
    assert [(e.direction, e.kind) for e in ws.log] == [
        ('in', 'text'), ('out', 'text'), ('in', 'close'), ('out', 'close')]


@pytest.mark.parametrize('frame, code', [
    (client(TEXT, b'hi', masked=False), 1002),
    (client(TEXT, b'\xff'), 1007),
    (client(0x3, b''), 1002),
    (client(BINARY, b'x' * 200), 1009),
])
def test_a_bad_frame_closes_with_its_code_and_the_server_keeps_serving(
        server, frame, code):
    route = WebSocket(server=server, max_message_size=100)
    server.route('/ws', route)
    raw = RawClient(server)
    try:
        raw.sock.sendall(frame)
        assert raw.close_code() == code
    finally:
        raw.close()
    second = RawClient(server)
    try:
        second.sock.sendall(client(TEXT, b'still there?'))
        assert second.frame() == (True, TEXT, b'still there?')
    finally:
        second.close()
    assert route.log[0].kind == 'error' and route.log[0].data.code == code


def test_a_bad_upgrade_gets_426_from_a_plain_get(server, ws, with_timeout):
    response = requests.get(server.url('/ws'), **with_timeout)
    assert response.status_code == 426
    assert response.headers['Sec-WebSocket-Version'] == '13'
    assert ws.connections == []


def test_frames_sent_right_after_the_handshake_are_not_lost(server, ws):
    sock = raw_connect(server)
    try:
        # Request and first frame in one write: they land in one buffer.
        sock.sendall((
            'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n'
            'Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n'
            'Sec-WebSocket-Version: 13\r\n\r\n' % KEY).encode('ascii') +
            client(TEXT, b'early'))
        assert ws.wait(1)[0].data == u'early'
    finally:
        sock.close()


# -- websocket-client ------------------------------------------------------
@pytest.fixture
def wsc():
    return pytest.importorskip('websocket')


def ws_url(server, path='/ws'):
    return ('wss' if server.scheme == 'https' else 'ws') + \
        server.url(path)[len(server.scheme):]


def connect(wsc, server, path='/ws', **kwargs):
    sslopt = {}
    if server.scheme == 'https':
        sslopt = {'ca_certs': server.ca_file}
    return wsc.create_connection(ws_url(server, path), timeout=TIMEOUT,
                                 sslopt=sslopt, **kwargs)


def test_websocket_client_echo_text_and_binary(server, ws, wsc):
    conn = connect(wsc, server)
    try:
        conn.send(u'h\u00e9llo')
        reply = conn.recv()
        if six.PY2:  # websocket-client 0.59 gives text as UTF-8 bytes
            reply = reply.decode('utf-8')
        assert reply == u'h\u00e9llo'
        conn.send_binary(b'\x00\xff' * 40000)  # a 64-bit length
        assert conn.recv() == b'\x00\xff' * 40000
    finally:
        conn.close()
    ws.wait_closed(1, timeout=TIMEOUT)
    assert ws.received() == [u'h\u00e9llo', b'\x00\xff' * 40000]
    assert ws.sent() == ws.received()
    assert ws.connections[0].close_code == 1000


def test_websocket_client_gets_the_greeting_then_scripted_replies(server,
                                                                  wsc):
    route = WebSocket(server=server, greeting=u'welcome',
                      replies=[u'first', [u'second', b'\x02'], None])
    server.route('/ws', route)
    conn = connect(wsc, server)
    try:
        assert conn.recv() == u'welcome'
        conn.send(u'a')
        assert conn.recv() == u'first'
        conn.send(u'b')
        assert (conn.recv(), conn.recv()) == (u'second', b'\x02')
        conn.send(u'c')  # no reply: the list says None
        conn.send(u'd')  # the list ran out: no reply either
        route.wait(4)
        conn.ping(b'are you there')
        assert conn.recv_data_frame(True)[1].data == b'are you there'
    finally:
        conn.close()
    assert route.received() == [u'a', u'b', u'c', u'd']
    assert route.sent() == [u'welcome', u'first', u'second', b'\x02']


def test_websocket_client_reply_callable_and_subprotocol(server, wsc):
    route = WebSocket(server=server, replies=lambda m: m.upper(),
                      subprotocols=['v2.chat', 'v1.chat'])
    server.route('/ws', route)
    conn = connect(wsc, server, subprotocols=['v1.chat', 'v2.chat'])
    try:
        assert conn.getsubprotocol() == 'v2.chat'
        conn.send(u'shout')
        assert conn.recv() == u'SHOUT'
    finally:
        conn.close()
    assert route.connections[0].subprotocol == 'v2.chat'


def test_a_close_reply_closes_with_its_code_and_reason(server, wsc):
    route = WebSocket(server=server, replies=[Close(4001, u'go away')])
    server.route('/ws', route)
    conn = connect(wsc, server)
    try:
        conn.send(u'hi')
        opcode, data = conn.recv_data(control_frame=True)
        assert opcode == CLOSE
        assert struct.unpack('!H', data[:2])[0] == 4001
        assert data[2:] == b'go away'
    finally:
        conn.close()
    route.wait_closed(1, timeout=TIMEOUT)


def test_the_test_sends_on_demand_pings_and_closes(server, ws, wsc):
    conn = connect(wsc, server)
    try:
        handle = ws.wait_connections(1, timeout=TIMEOUT)[0]
        handle.send(u'pushed')
        assert conn.recv() == u'pushed'
        assert ws.send(b'to all') == 1
        assert conn.recv() == b'to all'
        handle.ping(b'p')
        assert conn.recv_data_frame(True)[1].opcode == PING
        conn.pong(b'p')
        ws.wait(1, kinds='pong', timeout=TIMEOUT)
        handle.close(4000, u'done')
        opcode, data = conn.recv_data(control_frame=True)
        assert (opcode, data) == (CLOSE, struct.pack('!H', 4000) + b'done')
        conn.send_close()
        ws.wait_closed(1, timeout=TIMEOUT)
    finally:
        conn.close()
    with pytest.raises(ConfigurationError, match='closed'):
        handle.send(u'too late')


def test_an_error_in_a_reply_callable_closes_1011_and_reaches_the_test(
        server, wsc):
    def broken(message):
        raise ValueError('bad reply for %s' % message)
    route = WebSocket(server=server, replies=broken)
    server.route('/ws', route)
    conn = connect(wsc, server)
    try:
        conn.send(u'x')
        opcode, data = conn.recv_data(control_frame=True)
        assert (opcode, struct.unpack('!H', data[:2])[0]) == (CLOSE, 1011)
    finally:
        conn.close()
    route.wait_closed(1, timeout=TIMEOUT)
    with pytest.raises(HandlerError, match='bad reply for x'):
        route.check()
    route.check()  # forgotten once raised
    server.stop()  # joins the connection's thread, which re-raised it
    with pytest.raises(HandlerError, match='bad reply for x'):
        server.check()  # the core records it like any handler error


def test_stop_with_an_open_websocket_is_fast_and_says_going_away(scheme,
                                                                  wsc):
    server = httptestserver.Server(scheme=scheme).start()
    try:
        route = WebSocket(server=server)
        server.route('/ws', route)
        conn = connect(wsc, server)
        conn.send(u'x')
        assert conn.recv() == u'x'
        started = time.time()
        server.stop()
        took = time.time() - started
        opcode, data = conn.recv_data(control_frame=True)
        conn.close()
    finally:
        server.stop()
    assert took < 1.0
    assert (opcode, struct.unpack('!H', data[:2])[0]) == (CLOSE, 1001)


def test_wait_times_out_saying_what_it_saw(server, ws, wsc):
    conn = connect(wsc, server)
    try:
        conn.send(u'one')
        conn.recv()
        with pytest.raises(WaitTimeout, match='expected 2 .* saw 1'):
            ws.wait(2, timeout=0.2)
    finally:
        conn.close()


# -- asyncio clients ---------------------------------------------------------
needs_py3 = pytest.mark.skipif(not PY3, reason='asyncio clients: Python 3')


@needs_py3
def test_websockets_echo_and_subprotocol(server, ssl_context):
    pytest.importorskip('websockets')
    route = WebSocket(server=server, subprotocols=['chat'])
    server.route('/ws', route)
    received, subprotocol = _async_streaming.websockets_talk(
        ws_url(server), ssl_context, TIMEOUT, [u'hi', b'\x01\x02'],
        subprotocols=['chat'])
    assert received == [u'hi', b'\x01\x02']
    assert subprotocol == 'chat'
    route.wait_closed(1, timeout=TIMEOUT)
    assert route.connections[0].close_code == 1000


@needs_py3
def test_websockets_sees_the_1009_close_for_a_big_message(server,
                                                          ssl_context):
    pytest.importorskip('websockets')
    server.route('/ws', WebSocket(server=server, max_message_size=10))
    code, reason = _async_streaming.websockets_close_code(
        ws_url(server), ssl_context, TIMEOUT, u'x' * 11)
    assert code == 1009
    assert 'over 10 bytes' in reason


@needs_py3
def test_aiohttp_echo(server, ws, ssl_context):
    if sys.version_info < (3, 8):
        pytest.skip('aiohttp is tested on Python 3.8+')
    pytest.importorskip('aiohttp')
    received = _async_streaming.aiohttp_ws_talk(
        ws_url(server), ssl_context, TIMEOUT, [u'hi', b'\x00'])
    assert received == [u'hi', b'\x00']
    ws.wait_closed(1, timeout=TIMEOUT)


def test_the_log_entry_repr_is_short():
    route = WebSocket()
    request = upgrade_request()
    route(request)
    route.record(route.connections[0], 'in', 'text', u'x' * 1000)
    assert len(repr(route.log[0])) < 100


def test_a_connection_is_recorded_with_its_request(server, ws, wsc):
    conn = connect(wsc, server, header=['X-Test: yes'])
    conn.close()
    handle = ws.wait_closed(1, timeout=TIMEOUT)[0]
    assert handle.request['headers']['X-Test'] == 'yes'
    assert handle.id == 1


def test_close_ends_the_sessions_of_a_route_not_bound_to_a_server(server,
                                                                  wsc):
    route = WebSocket()  # no server=: ws.close() is how sessions end
    server.route('/ws', route)
    conn = connect(wsc, server)
    try:
        conn.send(u'x')
        assert conn.recv() == u'x'
        route.close()
        opcode, data = conn.recv_data(control_frame=True)
        assert (opcode, struct.unpack('!H', data[:2])[0]) == (CLOSE, 1001)
    finally:
        conn.close()
    handle = route.wait_closed(1, timeout=TIMEOUT)[0]
    assert [(e.direction, e.kind) for e in handle.messages] == [
        ('in', 'text'), ('out', 'text'), ('out', 'close')]
    assert route.wait(2, direction='out', kinds=('text', 'close'))


def test_bind_server_binds_an_unbound_route_only():
    first, second = object(), object()
    route = WebSocket()
    route.bind_server(first)
    route.bind_server(second)
    assert route.server is first
