"""WebSocket sessions (``streams/sessions.py``) over real sockets (raw,
websocket-client, websockets, aiohttp), HTTP and HTTPS: the bytes on the
wire, framing and protocol errors, messages the test sends on demand, the
close on stop, and what a connection and its log entries hold.

The socket tests check both sides: what the client got, and what the
:class:`WebSocket` recorded.  Every client call has a timeout; waits are on
events with deadlines, never sleeps.
"""
import select
import socket
import struct
import sys
import time

import pytest
import six

import httptestserver
from httptestserver.errors import ConfigurationError, HandlerError
from httptestserver.protocol.websocket import BINARY, CLOSE, CONTINUATION, \
    PING, TEXT, encode_frame
from httptestserver.streams.websocket import WebSocket

from conftest import TIMEOUT, closed_by_peer, raw_connect
from conftest import WEBSOCKET_KEY as KEY, upgrade_request
from _websocket_clients import connect, ws_url

PY3 = sys.version_info[0] >= 3
if PY3:
    import _async_streaming
else:  # Python 2
    _async_streaming = None

MASK = b'\x37\xfa\x21\x3d'


def client(opcode, payload=b'', fin=True, rsv=0, masked=True):
    """A client frame, masked unless *masked* is false."""
    return encode_frame(opcode, payload, fin, rsv,
                        MASK if masked else None)


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
    (client(TEXT, b'', fin=False) +                # empty fragments count
     client(CONTINUATION, b'', fin=False) * 200, 1009),
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


def test_invalid_utf8_closes_1007_before_the_frame_is_whole(server, ws):
    """A 1000-byte text frame whose 7th byte cannot be UTF-8: the server
    closes as soon as it sees it, without waiting for the 993 others."""
    raw = RawClient(server)
    try:
        frame = client(TEXT, b'valid \xff' + b'x' * 993)
        raw.sock.sendall(frame[:4 + 4 + 10])  # 16-bit length, key, 10 bytes
        raw.sock.settimeout(3)
        assert raw.close_code() == 1007
    finally:
        raw.close()
    assert ws.log[0].kind == 'error' and ws.log[0].data.code == 1007


# -- closing -----------------------------------------------------------------
def test_a_server_close_ends_the_connection_within_close_timeout(server):
    """The client reads our close and never answers: the server closes the
    TCP connection after close_timeout instead of waiting for ever."""
    route = WebSocket(server=server, close_timeout=0.2)
    server.route('/ws', route)
    raw = RawClient(server)
    try:
        handle = route.wait_connections(1, timeout=TIMEOUT)[0]
        started = time.time()
        handle.close(4000, u'bye')
        raw.sock.settimeout(3)
        assert raw.close_code() == 4000
        assert closed_by_peer(raw.sock)
        took = time.time() - started
    finally:
        raw.close()
    assert 0.2 <= took < 2.0
    route.wait_closed(1, timeout=TIMEOUT)


def test_after_a_protocol_error_the_client_sees_the_end_at_once(server):
    """The server does not wait for the client to close first: right after
    its 1002 close it shuts its side (TLS: close_notify), so a client that
    waits for the server to close (as RFC 6455 7.1.1 says it may) is not
    kept waiting for close_timeout."""
    route = WebSocket(server=server, close_timeout=5)
    server.route('/ws', route)
    raw = RawClient(server)
    try:
        raw.sock.sendall(client(TEXT, b'hi', masked=False))
        raw.sock.settimeout(2)
        assert raw.close_code() == 1002
        started = time.time()
        assert closed_by_peer(raw.sock)
        assert time.time() - started < 2
    finally:
        raw.close()
    route.wait_closed(1, timeout=TIMEOUT)


def reset_within(sock, seconds):
    """Write a byte and wait up to *seconds* for the peer's reset (POLLERR
    or POLLHUP): True if the peer's socket is fully closed."""
    try:
        sock.sendall(b'x')
    except socket.error:
        return True
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLERR | select.POLLHUP)
    deadline = time.time() + seconds
    while time.time() < deadline:
        events = poller.poll(max(1, int((deadline - time.time()) * 1000)))
        if any(flags & (select.POLLERR | select.POLLHUP)
               for _, flags in events):
            return True
    return False


@pytest.mark.skipif(not hasattr(select, 'poll'), reason='no select.poll')
@pytest.mark.parametrize('who', ['client', 'server'])
def test_the_server_closes_at_once_after_the_closing_handshake(scheme, who):
    """Once both close frames went, the server's socket is closed, not
    half-closed while it waits for the client's end: a byte the client
    writes then gets a reset (the channel used to drain for a second)."""
    server = httptestserver.Server(scheme=scheme).start()
    try:
        route = WebSocket(server=server)
        server.route('/ws', route)
        raw = RawClient(server)
        try:
            if who == 'client':
                raw.sock.sendall(client(CLOSE, struct.pack('!H', 1000)))
                assert raw.close_code() == 1000
            else:
                route.wait_connections(1, timeout=TIMEOUT)[0].close()
                assert raw.close_code() == 1000
                raw.sock.sendall(client(CLOSE, struct.pack('!H', 1000)))
            route.wait_closed(1, timeout=TIMEOUT)
            assert reset_within(raw.sock, 0.5)
        finally:
            raw.close()
    finally:
        server.stop()
    server.check()


def test_a_reply_error_reaches_server_check_before_the_close_is_seen(
        server):
    """A test that waits for the close then calls ``server.check()`` sees
    the error every time: it is recorded before the session ends."""
    def broken(message):
        raise ValueError('bad reply %s' % message)
    route = WebSocket(server=server, replies=broken)
    server.route('/ws', route)
    for attempt in range(1, 11):
        raw = RawClient(server)
        try:
            raw.sock.sendall(client(TEXT, str(attempt).encode('ascii')))
            assert raw.close_code() == 1011
            raw.sock.sendall(client(CLOSE, struct.pack('!H', 1000)))
            route.wait_closed(attempt, timeout=TIMEOUT)
            with pytest.raises(HandlerError, match='bad reply %d' % attempt):
                server.check()
        finally:
            raw.close()
    assert len(route.errors) == 10


# -- websocket-client --------------------------------------------------------
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


def test_a_connection_is_recorded_with_its_request(server, ws, wsc):
    conn = connect(wsc, server, header=['X-Test: yes'])
    conn.close()
    handle = ws.wait_closed(1, timeout=TIMEOUT)[0]
    assert handle.request['headers']['X-Test'] == 'yes'
    assert handle.id == 1


def test_the_log_entry_repr_is_short():
    route = WebSocket()
    request = upgrade_request()
    route(request)
    route.record(route.connections[0], 'in', 'text', u'x' * 1000)
    assert len(repr(route.log[0])) < 100


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
