"""WebSocket: the handshake and the codec without sockets, then sessions over
real sockets (raw, websocket-client, websockets, aiohttp), HTTP and HTTPS.

The codec tests feed client bytes split anywhere and check the events and
the close code of every violation.  The socket tests check both sides: what
the client got, and what the :class:`WebSocket` recorded.  Every client call
has a timeout; waits are on events with deadlines, never sleeps.
"""
import base64
import os
import struct
import sys
import time

import pytest
import requests
import six

import httptestserver
from httptestserver.errors import (ConfigurationError, HandlerError,
                                   WaitTimeout)
from httptestserver.headers import Headers
from httptestserver.websocket import (
    BINARY, CLOSE, CONTINUATION, PING, PONG, TEXT, Close, Failure, Message,
    Ping, Pong, Protocol, WebSocket, accept_key, encode_frame, handshake)

from conftest import TIMEOUT, raw_connect

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


def feed(protocol, data, step=None):
    """Feed *data* to *protocol* whole, or *step* bytes at a time."""
    if step is None:
        return protocol.receive_data(data)
    events = []
    for i in range(0, len(data), step):
        events.extend(protocol.receive_data(data[i:i + step]))
    return events


def upgrade_request(**headers):
    base = {'Host': 'x', 'Upgrade': 'websocket', 'Connection': 'Upgrade',
            'Sec-WebSocket-Key': KEY, 'Sec-WebSocket-Version': '13'}
    base.update(headers)
    items = [(k.replace('_', '-'), v) for k, v in base.items()
             if v is not None]
    return {'method': 'GET', 'request_version': 'HTTP/1.1',
            'headers': Headers(items)}


# -- the handshake ---------------------------------------------------------
def test_accept_key_matches_the_rfc_example():
    assert accept_key(KEY) == 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='


def test_a_good_upgrade_gets_101_with_the_accept_key():
    status, headers, subprotocol = handshake(upgrade_request())
    assert status == 101
    assert dict(headers)['Sec-WebSocket-Accept'] == \
        's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
    assert subprotocol is None


@pytest.mark.parametrize('headers', [{'Upgrade': None}, {'Upgrade': 'h2c'}])
def test_a_request_that_is_no_upgrade_gets_426(headers):
    status, answer, reason = handshake(upgrade_request(**headers))
    assert status == 426
    assert ('Sec-WebSocket-Version', '13') in answer
    assert 'Upgrade: websocket' in reason


def test_another_websocket_version_gets_426_naming_13():
    status, answer, _ = handshake(upgrade_request(
        **{'Sec-WebSocket-Version': '8'}))
    assert (status, dict(answer)['Sec-WebSocket-Version']) == (426, '13')


@pytest.mark.parametrize('change', [
    {'method': 'POST'}, {'request_version': 'HTTP/1.0'}])
def test_an_upgrade_that_is_not_a_get_on_http_1_1_gets_400(change):
    request = upgrade_request()
    request.update(change)
    assert handshake(request)[0] == 400


@pytest.mark.parametrize('headers', [
    {'Connection': 'keep-alive'},
    {'Sec-WebSocket-Key': None},
    {'Sec-WebSocket-Key': 'not base64!'},
    {'Sec-WebSocket-Key': base64.b64encode(b'short').decode('ascii')},
])
def test_a_malformed_upgrade_gets_400(headers):
    status, _, reason = handshake(upgrade_request(**headers))
    assert status == 400, reason


def test_the_subprotocol_chosen_is_the_servers_first_the_client_offered():
    request = upgrade_request(**{'Sec-WebSocket-Protocol': 'b, a'})
    status, headers, chosen = handshake(request, ['a', 'b'])
    assert chosen == 'a'
    assert ('Sec-WebSocket-Protocol', 'a') in headers
    assert handshake(request, ['c'])[2] is None
    assert handshake(request, lambda offered: offered[-1])[2] == 'a'


# -- the codec: messages -----------------------------------------------------
@pytest.mark.parametrize('step', [None, 1, 3])
def test_a_masked_text_frame_is_one_message_however_it_is_split(step):
    events = feed(Protocol(), client(TEXT, u'h\u00e9llo \u20ac'.encode(
        'utf-8')), step)
    assert [type(e) for e in events] == [Message]
    assert events[0].data == u'h\u00e9llo \u20ac' and events[0].is_text


@pytest.mark.parametrize('length', [0, 125, 126, 65535, 65536])
def test_lengths_on_the_7_16_and_64_bit_boundaries_round_trip(length):
    payload = os.urandom(length)
    frame = client(BINARY, payload)
    header = {0: 2, 125: 2, 126: 4, 65535: 4, 65536: 10}[length]
    assert len(frame) == header + 4 + length
    events = Protocol(max_message_size=1 << 20).receive_data(frame)
    assert events[0].data == payload and not events[0].is_text
    server_frame = Protocol().message(payload)
    assert len(server_frame) == header + length  # unmasked: no key
    assert six.indexbytes(server_frame, 1) & 0x80 == 0


def test_fragments_make_one_message_with_control_frames_between():
    data = (client(TEXT, b'one ', fin=False) +
            client(PING, b'p') +
            client(CONTINUATION, b'\xe2\x82', fin=False) +  # a split euro
            client(PONG, b'q') +
            client(CONTINUATION, b'\xac two'))
    for step in (None, 1):
        events = feed(Protocol(), data, step)
        assert [type(e) for e in events] == [Ping, Pong, Message]
        assert events[0].payload == b'p'
        assert events[2].data == u'one \u20ac two'


def test_empty_fragments_and_an_empty_message_are_allowed():
    events = Protocol().receive_data(
        client(TEXT, b'', fin=False) + client(CONTINUATION, b'') +
        client(BINARY, b''))
    assert [e.data for e in events] == [u'', b'']


def test_a_close_frame_gives_its_code_and_reason_and_ends_input():
    protocol = Protocol()
    events = protocol.receive_data(
        client(CLOSE, struct.pack('!H', 1000) + u'bye \u00e9'.encode('utf-8'))
        + client(TEXT, b'ignored'))
    assert events == [Close(1000, u'bye \u00e9')]
    assert protocol.close_received
    assert protocol.receive_data(client(TEXT, b'more')) == []


def test_an_empty_close_frame_has_no_code():
    assert Protocol().receive_data(client(CLOSE)) == [Close(None, u'')]


# -- the codec: violations -------------------------------------------------
def failure_of(data, **kwargs):
    protocol = Protocol(**kwargs)
    events = protocol.receive_data(data)
    assert isinstance(events[-1], Failure), events
    assert protocol.failure is events[-1]
    assert protocol.receive_data(client(TEXT, b'after')) == []
    return events[-1].code


def test_an_unmasked_client_frame_is_a_protocol_error():
    assert failure_of(client(TEXT, b'hi', masked=False)) == 1002


@pytest.mark.parametrize('rsv', [1, 2, 4])
def test_rsv_bits_without_an_extension_are_a_protocol_error(rsv):
    assert failure_of(client(TEXT, b'hi', rsv=rsv)) == 1002


@pytest.mark.parametrize('opcode', [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
def test_reserved_opcodes_are_a_protocol_error(opcode):
    assert failure_of(client(opcode, b'')) == 1002


@pytest.mark.parametrize('data', [
    client(PING, b'x', fin=False),                      # fragmented control
    client(PING, b'x' * 126),                           # control over 125
    client(CONTINUATION, b'x'),                         # nothing to continue
    client(TEXT, b'a', fin=False) + client(TEXT, b'b'),  # new inside old
    client(CLOSE, b'\x03'),                             # 1-byte close
    client(CLOSE, struct.pack('!H', 1005)),             # never-sent code
    client(CLOSE, struct.pack('!H', 999)),
    client(CLOSE, struct.pack('!H', 2000)),             # unassigned
    b'\x82\xff' + b'\x80' + b'\x00' * 7 + MASK,         # 64-bit high bit
])
def test_framing_violations_are_protocol_errors(data):
    assert failure_of(data) == 1002


@pytest.mark.parametrize('payload', [
    b'\xff', b'\xc3\x28', b'\xed\xa0\x80',  # a UTF-16 surrogate
    b'\xf4\x90\x80\x80', b'\xc0\xaf',       # above U+10FFFF, overlong
    b'ok\xe2\x82',                          # cut in the middle
])
def test_text_that_is_not_utf8_fails_with_1007(payload):
    assert failure_of(client(TEXT, payload)) == 1007


def test_bad_utf8_fails_fast_before_the_message_ends():
    protocol = Protocol()
    events = protocol.receive_data(client(TEXT, b'good \xff', fin=False))
    assert [e.code for e in events] == [1007]


def test_a_surrogate_split_between_fragments_fails_with_1007():
    assert failure_of(client(TEXT, b'a\xed', fin=False) +
                      client(CONTINUATION, b'\xa0\x80')) == 1007


def test_a_close_reason_that_is_not_utf8_fails_with_1007():
    assert failure_of(client(CLOSE, b'\x03\xe8\xff')) == 1007


def test_a_message_over_the_limit_fails_with_1009_before_its_payload():
    protocol = Protocol(max_message_size=100)
    header_only = client(BINARY, b'x' * 101)[:8]
    assert [e.code for e in protocol.receive_data(header_only)] == [1009]
    assert failure_of(client(TEXT, b'x' * 60, fin=False) +
                      client(CONTINUATION, b'x' * 60),
                      max_message_size=100) == 1009
    assert Protocol(max_message_size=100).receive_data(
        client(TEXT, b'x' * 100))[0].data == u'x' * 100


def test_close_frames_built_carry_code_and_a_reason_cut_to_fit():
    frame = Protocol().close(4000, u'\u00e9' * 100)
    # Unmasked; 2 + 61 two-byte characters: at most 125, never half one.
    assert six.indexbytes(frame, 1) == 124
    assert frame[2:4] == struct.pack('!H', 4000)
    assert frame[4:].decode('utf-8') == u'\u00e9' * 61
    assert Protocol().close(None) == b'\x88\x00'
    with pytest.raises(ConfigurationError, match='1005'):
        Protocol().close(1005)


def test_bad_arguments_are_configuration_errors():
    with pytest.raises(ConfigurationError, match='max_message_size'):
        Protocol(max_message_size=0)
    with pytest.raises(ConfigurationError, match='text'):
        Protocol().message(42)
    with pytest.raises(ConfigurationError, match='125'):
        Protocol().ping(b'x' * 126)
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
    route._record(route.connections[0], 'in', 'text', u'x' * 1000)
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
