"""A WebSocket peer that misbehaves on purpose (issue 22), over real
sockets, HTTP and HTTPS: a drop without a close frame (FIN or RST), raw
bytes as a frame, fragmented messages, unsolicited pongs, pings left
unanswered, a close that does not wait, a refused, late or decorated
handshake.

The bytes on the wire are read with the raw client of test_sessions.py;
what real clients make of them is in test_websocket_clients.py.  Every
client call has a timeout; waits are on events with deadlines.
"""
import os
import socket
import struct
import threading
import time

import pytest

from httptestserver.errors import ConfigurationError
from httptestserver.protocol.websocket import CLOSE, CONTINUATION, PING, \
    PONG, TEXT
from httptestserver.streams.websocket import WebSocket

from conftest import TIMEOUT, closed_by_peer, raw_connect
from conftest import WEBSOCKET_KEY as KEY
from test_sessions import RawClient, client


@pytest.fixture
def route(server):
    endpoint = WebSocket(server=server, close_timeout=5)
    server.route('/ws', endpoint)
    return endpoint


def opened(server, route, **kwargs):
    """A raw client and the server's handle on its connection."""
    raw = RawClient(server, **kwargs)
    raw.sock.settimeout(TIMEOUT)
    return raw, route.wait_connections(1, timeout=TIMEOUT)[-1]


# -- arguments ---------------------------------------------------------------
@pytest.mark.parametrize('kwargs, named', [
    ({'handshake_status': 101}, 'handshake_status'),
    ({'handshake_status': '401'}, 'handshake_status'),
    ({'handshake_headers': {'Upgrade': 'h2c'}}, 'handshake_headers'),
    ({'handshake_headers': 'X-A: b'}, 'handshake_headers'),
    ({'handshake_delay': -1}, 'handshake_delay'),
])
def test_bad_misbehaviour_arguments_name_themselves(kwargs, named):
    with pytest.raises(ConfigurationError, match=named):
        WebSocket(**kwargs)


def test_bad_misbehaviour_calls_name_their_argument(server, route):
    raw, handle = opened(server, route)
    try:
        with pytest.raises(ConfigurationError, match='fragment_size'):
            handle.send(u'x', fragment_size=0)
        with pytest.raises(ConfigurationError, match='send_raw'):
            handle.send_raw(u'text is not bytes')
        with pytest.raises(ConfigurationError, match='pong payload'):
            handle.pong(b'x' * 126)
    finally:
        raw.close()


# -- the connection ----------------------------------------------------------
def test_drop_ends_the_tcp_connection_without_a_close_frame(server, route):
    raw, handle = opened(server, route)
    try:
        handle.send(u'last words')
        handle.drop()
        assert raw.frame() == (True, TEXT, b'last words')
        assert raw.buf == b'' and closed_by_peer(raw.sock)
    finally:
        raw.close()
    route.wait_closed(1, timeout=TIMEOUT)
    assert [(e.direction, e.kind, e.data) for e in route.log] == [
        ('out', 'text', u'last words'), ('out', 'drop', 'close')]
    assert handle.close_code is None


def test_drop_with_reset_sends_a_tcp_rst(server, route):
    raw, handle = opened(server, route)
    try:
        handle.drop(reset=True)
        route.wait_closed(1, timeout=TIMEOUT)
        if server.scheme == 'http':
            with pytest.raises(socket.error) as info:
                raw.sock.recv(10)
            assert 'reset' in str(info.value).lower()
        else:  # ssl often reports a reset as an EOF
            assert closed_by_peer(raw.sock)
    finally:
        raw.close()
    assert route.log[-1].data == 'reset'


def test_send_raw_writes_the_bytes_unframed(server, route):
    raw, handle = opened(server, route)
    try:
        handle.send_raw(b'\x8f\x03abc')  # a reserved opcode: invalid
        handle.send(u'after')
        assert raw.frame() == (True, 0x0F, b'abc')
        assert raw.frame() == (True, TEXT, b'after')
    finally:
        raw.close()
    route.wait(2, direction='out', kinds=('raw', 'text'))
    assert route.log[0].kind == 'raw' and route.log[0].data == b'\x8f\x03abc'


def test_a_fragmented_message_may_split_a_character(server, route):
    raw, handle = opened(server, route)
    try:
        handle.send(u'h\xe9llo', fragment_size=2)  # 6 bytes of UTF-8
        assert [raw.frame() for _ in range(3)] == [
            (False, TEXT, b'h\xc3'), (False, CONTINUATION, b'\xa9l'),
            (True, CONTINUATION, b'lo')]
        handle.send(b'\x01\x02', fragment_size=5)  # shorter: one frame
        assert raw.frame() == (True, 0x2, b'\x01\x02')
    finally:
        raw.close()
    route.wait(2, direction='out')
    assert route.sent() == [u'h\xe9llo', b'\x01\x02']


def test_an_unsolicited_pong_is_sent_and_logged(server, route):
    raw, handle = opened(server, route)
    try:
        handle.pong(u'unasked')
        assert raw.frame() == (True, PONG, b'unasked')
    finally:
        raw.close()
    route.wait(1, direction='out', kinds='pong')
    assert [(e.direction, e.kind) for e in route.log] == [('out', 'pong')]


def test_pings_go_unanswered_when_answer_pings_is_false(server):
    route = WebSocket(server=server, answer_pings=False)
    server.route('/ws', route)
    raw, handle = opened(server, route)
    try:
        raw.sock.sendall(client(PING, b'1') + client(TEXT, b'echo me'))
        assert raw.frame() == (True, TEXT, b'echo me')  # no pong first
        handle.answer_pings = True  # per connection, at any time
        raw.sock.sendall(client(PING, b'2'))
        assert raw.frame() == (True, PONG, b'2')
    finally:
        raw.close()
    route.wait(1, direction='out', kinds='pong')
    assert [(e.direction, e.kind) for e in route.log] == [
        ('in', 'ping'), ('in', 'text'), ('out', 'text'), ('in', 'ping'),
        ('out', 'pong')]


def test_close_without_wait_hangs_up_right_after_the_close_frame(server,
                                                                 route):
    raw, handle = opened(server, route)
    try:
        started = time.time()
        handle.close(4001, u'gone now', wait=False)
        fin, opcode, payload = raw.frame()
        assert (opcode, payload) == (CLOSE, struct.pack('!H', 4001) +
                                     b'gone now')
        assert closed_by_peer(raw.sock)  # we never answered the close
        took = time.time() - started
    finally:
        raw.close()
    assert took < 2.5  # close_timeout is 5
    route.wait_closed(1, timeout=TIMEOUT)


# -- the handshake -----------------------------------------------------------
def test_a_refused_handshake_answers_its_status_and_headers(server):
    route = WebSocket(server=server, handshake_status=401,
                      handshake_headers={'WWW-Authenticate': 'Bearer'})
    server.route('/ws', route)
    raw = RawClient(server)
    raw.close()
    assert raw.head.startswith(b'HTTP/1.1 401 ')
    entry = server.history[-1]
    assert entry['response_status'] == 401
    assert entry['response_headers']['WWW-Authenticate'] == 'Bearer'
    assert route.connections == []
    route.handshake_status = None  # then accepted again
    raw, _ = opened(server, route)
    raw.close()


def test_handshake_headers_go_on_the_101(server):
    route = WebSocket(server=server, handshake_headers=[('X-Edge', 'a')])
    server.route('/ws', route)
    raw, _ = opened(server, route)
    raw.close()
    assert b'\r\nX-Edge: a' in raw.head


def test_a_delayed_handshake_answers_101_after_the_delay(server):
    route = WebSocket(server=server, handshake_delay=0.3)
    server.route('/ws', route)
    started = time.time()
    raw, _ = opened(server, route)
    took = time.time() - started
    raw.close()
    assert raw.head.startswith(b'HTTP/1.1 101 ') and took >= 0.3


#: A WebSocket opening handshake for ``/ws``, as a client sends it.
UPGRADE = ('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n'
           'Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n'
           'Sec-WebSocket-Version: 13\r\n\r\n' % KEY).encode('ascii')


def test_stop_cuts_a_delayed_handshake_short(server):
    route = WebSocket(server=server, handshake_delay=30)
    server.route('/ws', route)
    sock = raw_connect(server)
    try:
        sock.sendall(UPGRADE)
        route.wait_connections(1, timeout=TIMEOUT)
        started = time.time()
        server.stop()
        assert time.time() - started < 5
    finally:
        sock.close()


# -- resources ---------------------------------------------------------------
def open_descriptors():
    try:
        return len(os.listdir('/proc/self/fd'))
    except OSError:  # not Linux
        pytest.skip('needs /proc/self/fd to count descriptors')


def test_200_dropped_connections_leave_no_thread_or_descriptor(server,
                                                               route):
    def one(reset):
        raw, handle = opened(server, route)
        try:
            handle.drop(reset=reset)
            closed_by_peer(raw.sock)
        except socket.error:
            pass  # the reset
        finally:
            raw.close()
    one(False)  # warm up: the server's own threads and descriptors
    route.wait_closed(1, timeout=TIMEOUT)
    threads, descriptors = threading.active_count(), open_descriptors()
    for count in range(200):
        one(count % 2 == 0)
    route.wait_closed(201, timeout=TIMEOUT)
    deadline = time.time() + TIMEOUT
    while time.time() < deadline and (
            threading.active_count() > threads or
            open_descriptors() > descriptors):
        threading.Event().wait(0.05)  # the workers are finishing
    assert threading.active_count() <= threads
    assert open_descriptors() <= descriptors


def test_reset_cuts_a_delayed_handshake_short(server):
    route = WebSocket(server=server, handshake_delay=30)
    server.route('/ws', route)
    sock = raw_connect(server)
    try:
        sock.sendall(UPGRADE)
        route.wait_connections(1, timeout=TIMEOUT)
        started = time.time()
        server.reset()
        head = b''
        while b'\r\n\r\n' not in head:
            chunk = sock.recv(4096)
            assert chunk, 'closed before the 101: %r' % head
            head += chunk
        assert head.startswith(b'HTTP/1.1 101 ')
        assert time.time() - started < 5
    finally:
        sock.close()
