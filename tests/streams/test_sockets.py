"""The socket a long-lived answer was given (``streams/sockets.py``):
waiting on descriptors past 1,024, noticing a client that hung up, and
closing without a reset -- on real loopback sockets, and through a
WebSocket session whose socket is numbered above 1,024.
"""
import gc
import os
import socket
import struct
import threading

import pytest

import httptestserver
from httptestserver.protocol.websocket import CLOSE, TEXT
from httptestserver.streams.sockets import Poller, hang_up, hung_up
from httptestserver.streams.websocket import WebSocket

from conftest import TIMEOUT
from test_sessions import RawClient, client

#: Descriptors opened before the session's, so that its number is past
#: FD_SETSIZE (1,024), where select.select() raises ValueError.
HIGH = 1100


@pytest.fixture
def high_descriptors():
    """Open descriptors until the next ones are numbered above 1,024,
    raising the soft RLIMIT_NOFILE within the hard one when needed.

    The lowest free number is the next one given, so a socket of an
    earlier test that the garbage collector closes meanwhile would open a
    hole below 1,024: the collector runs first, then not at all."""
    resource = pytest.importorskip('resource')
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = HIGH + 256
    if soft != resource.RLIM_INFINITY and soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            pytest.skip('RLIMIT_NOFILE hard limit %d is below %d'
                        % (hard, need))
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
        except (ValueError, OSError) as exc:
            pytest.skip('cannot raise RLIMIT_NOFILE to %d: %s' % (need, exc))
    fillers = []
    gc.collect()
    gc.disable()
    try:
        while not fillers or fillers[-1] < HIGH:
            fillers.append(os.open(os.devnull, os.O_RDONLY))
        yield fillers
    finally:
        gc.enable()
        for fd in fillers:
            os.close(fd)
        if soft != resource.RLIM_INFINITY and soft < need:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_poller_waits_on_descriptors_above_1024(high_descriptors):
    read, write = os.pipe()
    try:
        assert read > 1024
        poller = Poller([read])
        assert poller.wait(0) == []
        os.write(write, b'x')
        assert poller.wait(TIMEOUT) == [read]
    finally:
        os.close(read)
        os.close(write)


def test_a_websocket_session_on_a_descriptor_above_1024(scheme,
                                                        high_descriptors):
    """500 WebSocket connections open used to make every session fail with
    ``ValueError: filedescriptor out of range in select()``."""
    server = httptestserver.Server(scheme=scheme).start()
    try:
        route = WebSocket(server=server)
        server.route('/ws', route)
        raw = RawClient(server)
        try:
            assert raw.sock.fileno() > 1024
            raw.sock.sendall(client(TEXT, b'high'))
            assert raw.frame() == (True, TEXT, b'high')
            raw.sock.sendall(client(CLOSE, struct.pack('!H', 1000)))
            assert raw.close_code() == 1000
        finally:
            raw.close()
        route.wait_closed(1, timeout=TIMEOUT)
    finally:
        server.stop()
    server.check()


def test_hung_up_waits_for_the_client_to_close(tcp_pair):
    far, near = tcp_pair
    assert hung_up(far, 0) is False
    timer = threading.Timer(0.05, near.close)
    timer.start()
    try:
        assert hung_up(far, TIMEOUT) is True
    finally:
        timer.join(TIMEOUT)


def test_hung_up_notices_a_reset(tcp_pair):
    far, near = tcp_pair
    near.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    struct.pack('ii', 1, 0))
    near.close()
    assert hung_up(far, TIMEOUT) is True


def test_hung_up_does_not_read_what_the_client_sent(tcp_pair):
    far, near = tcp_pair
    near.sendall(b'GET / HTTP/1.1\r\n')
    result = hung_up(far, TIMEOUT)
    assert result in (None, False)
    assert far.recv(100) == b'GET / HTTP/1.1\r\n'


def test_hang_up_closes_without_a_reset_and_is_harmless_twice(tcp_pair):
    far, near = tcp_pair
    near.sendall(b'unread bytes')
    far.sendall(b'last words')
    hang_up(far)
    assert far.fileno() == -1
    hang_up(far)
    data = b''
    while True:
        chunk = near.recv(100)  # a reset would raise ECONNRESET here
        if not chunk:
            break
        data += chunk
    assert data == b'last words'
