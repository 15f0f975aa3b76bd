"""The WebSocket endpoint (``streams/websocket.py``) over real sockets,
HTTP and HTTPS: its arguments, the handshake answer, the script (greeting,
replies, a Close reply, a failing callable) and what the test sees, waits
on and closes.

The socket tests check both sides: what the client got, and what the
:class:`WebSocket` recorded.  Every client call has a timeout; waits are on
events with deadlines, never sleeps.  The session on the socket is tested
in test_sessions.py.
"""
import struct

import pytest
import requests

from httptestserver.errors import (ConfigurationError, HandlerError,
                                   WaitTimeout)
from httptestserver.protocol.websocket import CLOSE, PING, PONG, Close
from httptestserver.streams.websocket import WebSocket

from conftest import TIMEOUT, upgrade_request
from _websocket_clients import connect
from test_sessions import RawClient, client


# -- the route ---------------------------------------------------------------
def test_bad_arguments_are_configuration_errors():
    with pytest.raises(ConfigurationError, match='replies'):
        WebSocket(replies='hello')
    with pytest.raises(ConfigurationError, match='poll_interval'):
        WebSocket(poll_interval=0)
    with pytest.raises(ConfigurationError, match='log_size'):
        WebSocket(log_size=0)


def test_a_bad_upgrade_gets_426_from_a_plain_get(server, ws, with_timeout):
    response = requests.get(server.url('/ws'), **with_timeout)
    assert response.status_code == 426
    assert response.headers['Sec-WebSocket-Version'] == '13'
    assert ws.connections == []


def test_bind_server_binds_an_unbound_route_only():
    first, second = object(), object()
    route = WebSocket()
    route.bind_server(first)
    route.bind_server(second)
    assert route.server is first


# -- the script --------------------------------------------------------------
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


# -- for the test ------------------------------------------------------------
def test_wait_times_out_saying_what_it_saw(server, ws, wsc):
    conn = connect(wsc, server)
    try:
        conn.send(u'one')
        conn.recv()
        with pytest.raises(WaitTimeout, match='expected 2 .* saw 1'):
            ws.wait(2, timeout=0.2)
    finally:
        conn.close()


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


# -- the log -----------------------------------------------------------------
def test_the_log_keeps_the_last_log_size_messages_and_counts_the_rest():
    route = WebSocket(log_size=3)
    route(upgrade_request())
    connection = route.connections[0]
    for number in range(5):
        route.record(connection, 'in', 'ping', b'%d' % number)
    assert [e.data for e in route.log] == [b'2', b'3', b'4']
    assert route.dropped == 2
    assert 'dropped' in repr(route)
    # Waits count what was dropped too: five pings came.
    assert [e.data for e in route.wait(5, kinds='ping', timeout=0)] == \
        [b'2', b'3', b'4']
    with pytest.raises(WaitTimeout, match='saw 5'):
        route.wait(6, kinds='ping', timeout=0.01)


def test_a_ping_flood_keeps_the_log_bounded(server):
    route = WebSocket(server=server, log_size=100)
    server.route('/ws', route)
    raw = RawClient(server)
    try:
        raw.sock.sendall(client(PING, b'p') * 500)
        for _ in range(500):
            assert raw.frame() == (True, PONG, b'p')
        route.wait(500, direction='out', kinds='pong', timeout=TIMEOUT)
    finally:
        raw.close()
    assert len(route.log) == 100
    assert route.dropped == 900  # 500 pings in, 500 pongs out
    assert route.log[-1].kind == 'pong'
