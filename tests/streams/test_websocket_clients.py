"""What real WebSocket clients make of a misbehaving server (issue 22):
websocket-client (every Python), websockets and aiohttp (Python 3), over
HTTP and HTTPS.  :data:`OUTCOMES` is the WebSocket table of
docs/faults.rst, and the last test checks the page says the same.

Each client connects, says ``go`` (the server misbehaves in its reply to
it), and reads one message; the outcome is ``'OK'`` when the expected
message came, else what the client raised or returned.  Every client call
has a timeout.
"""
import socket
import sys

import pytest

from httptestserver.streams.websocket import WebSocket

from _docs_tables import as_cells, fault_table
from conftest import TIMEOUT
from _websocket_clients import connect, ws_url

if sys.version_info[0] >= 3:
    import _async_ws_faults
else:  # Python 2
    _async_ws_faults = None

KEEPALIVE = 0.2  # the clients' ping interval and timeout, in seconds
OPEN_TIMEOUT = 0.3  # the clients' handshake timeout, against a 101 late
EXPECTED = u'h\xe9llo'


def _fragments(connection):
    connection.send(EXPECTED, fragment_size=2)  # splits the \xe9


def _pong_first(connection):
    connection.pong(b'unasked')
    connection.send(EXPECTED)


#: fault: (what the server does when the client says go, WebSocket keyword
#: arguments); None: the client never gets to say it.
FAULTS = {
    'drop': (lambda c: c.drop(), {}),
    'drop(reset=True)': (lambda c: c.drop(reset=True), {}),
    'close(4001, wait=False)': (
        lambda c: c.close(4001, u'bye', wait=False), {}),
    'send_raw': (lambda c: c.send_raw(b'\x8f\x00'), {}),  # opcode 0xF
    'send(fragment_size=2)': (_fragments, {}),
    'pong': (_pong_first, {}),
    'answer_pings=False': (None, {'answer_pings': False}),
    'handshake_status=403': (None, {'handshake_status': 403}),
    'handshake_delay': (None, {'handshake_delay': 30}),
}

#: What each client did, as docs/faults.rst tables it.
OUTCOMES = {
    'drop': {
        'websocket-client': 'WebSocketConnectionClosedException (2.7 HTTPS: '
                            'socket.error or SSLError; websocket-client < 1.8'
                            ' HTTPS: SSLError)',
        'websockets': 'ConnectionClosedError 1006',
        'aiohttp': 'CLOSED 1006 (Python < 3.11 HTTPS: CLOSED 1000)'},
    'drop(reset=True)': {
        'websocket-client':
            'ConnectionResetError (HTTPS: WebSocketConnectionClosedException'
            ' or ConnectionResetError; 2.7: socket.error; 2.7 HTTPS: '
            'socket.error or SSLError)',
        'websockets': 'ConnectionClosedError 1006',
        'aiohttp': 'CLOSED 1006 (Python < 3.11 HTTPS: CLOSED 1000)'},
    'close(4001, wait=False)': {
        'websocket-client': 'CLOSE 4001',
        'websockets': 'ConnectionClosedError 4001',
        'aiohttp': 'CLOSE 4001'},
    'send_raw': {
        'websocket-client': 'WebSocketProtocolException',
        'websockets': 'ConnectionClosedError 1006',
        'aiohttp': 'ERROR WebSocketError'},
    'send(fragment_size=2)': {
        'websocket-client': 'OK', 'websockets': 'OK', 'aiohttp': 'OK'},
    'pong': {
        'websocket-client': 'OK', 'websockets': 'OK', 'aiohttp': 'OK'},
    'answer_pings=False': {
        'websocket-client': 'WebSocketTimeoutException',
        'websockets': 'ConnectionClosedError 1006',
        'aiohttp': 'ERROR ServerTimeoutError'},
    'handshake_status=403': {
        'websocket-client': 'WebSocketBadStatusException',
        'websockets': 'InvalidStatus (websockets < 14: InvalidStatusCode)',
        'aiohttp': 'WSServerHandshakeError'},
    'handshake_delay': {
        'websocket-client': 'WebSocketTimeoutException',
        'websockets': 'TimeoutError (websockets < 10: no open_timeout)',
        'aiohttp': 'TimeoutError'},
}

CLIENTS = ['websocket-client', 'websockets', 'aiohttp']


def _websocket_client(server, fault):
    wsc = pytest.importorskip('websocket')
    try:
        if fault == 'handshake_delay':
            conn = wsc.create_connection(ws_url(server), timeout=OPEN_TIMEOUT,
                                         sslopt={'ca_certs': server.ca_file})
        else:
            conn = connect(wsc, server)
    except Exception as exc:
        return name_of(exc)
    try:
        if fault == 'answer_pings=False':
            conn.ping(b'keepalive')
            conn.settimeout(KEEPALIVE)
            conn.recv_data_frame(True)
            return 'got a frame'
        conn.send(u'go')
        opcode, data = conn.recv_data()
        if opcode == wsc.ABNF.OPCODE_CLOSE:
            return 'CLOSE %d' % int(bytearray(data[:2])[0] * 256 +
                                    bytearray(data[:2])[1])
        return 'OK' if data.decode('utf-8') == EXPECTED else \
            'got %r' % (data,)
    except Exception as exc:
        return name_of(exc)
    finally:
        conn.close()


def name_of(exc):
    if type(exc) is socket.error:  # Python 2: its name is 'error'
        return 'socket.error'
    return type(exc).__name__


def _asyncio_client(name, server, ssl_context, fault):
    if _async_ws_faults is None:
        pytest.skip('%s needs Python 3' % name)
    pytest.importorskip(name)
    function = _async_ws_faults.websockets_outcome if name == 'websockets' \
        else _async_ws_faults.aiohttp_outcome
    return function(
        ws_url(server), ssl_context, TIMEOUT,
        None if fault == 'answer_pings=False' else u'go', EXPECTED,
        keepalive=fault == 'answer_pings=False',
        open_timeout=OPEN_TIMEOUT if fault == 'handshake_delay' else None)


def outcome(client, server, ssl_context, fault):
    """Run *client* against a server doing *fault*; return the outcome."""
    action, kwargs = FAULTS[fault]
    route = WebSocket(server=server, close_timeout=1, **kwargs)
    if action is not None:
        def replies(message):
            action(route.connections[-1])
        route.replies = replies
    server.route('/ws', route)
    if client == 'websocket-client':
        return _websocket_client(server, fault)
    return _asyncio_client(client, server, ssl_context, fault)


@pytest.mark.parametrize('fault', sorted(FAULTS))
@pytest.mark.parametrize('client', CLIENTS)
def test_what_each_client_makes_of_a_misbehaving_server(server, ssl_context,
                                                        client, fault):
    assert outcome(client, server, ssl_context, fault) in \
        expected(OUTCOMES[fault][client], server.scheme, client)


def expected(cell, scheme, client):
    """The outcomes a table *cell* allows for *client* and *scheme* here:
    its first words, unless a note in brackets applies (``HTTPS: ...``,
    ``2.7: ...``, ``Python < 3.11 HTTPS: ...``, ``websockets < 14: ...``:
    every condition of its
    key must hold, and the note with the most conditions wins)."""
    main, _, notes = cell.partition(' (')
    best = 0
    for note in notes.rstrip(')').split('; ') if notes else ():
        key, value = note.split(': ', 1)
        conditions = applies(key, scheme, client)
        if conditions > best:
            best, main = conditions, value
    return main.split(' or ')  # either happens, as the race goes


def applies(key, scheme, client):
    """How many conditions note *key* sets, or 0 if one does not hold."""
    count = 0
    if key.endswith('HTTPS'):
        if scheme != 'https':
            return 0
        key, count = key[:-len('HTTPS')].strip(), 1
    if key == '2.7':
        return count + 1 if sys.version_info[0] == 2 else 0
    if ' < ' in key:
        name, version = key.split(' < ')
        have = tuple(sys.version_info[:2]) if name == 'Python' else \
            client_version(client) if name == client else None
        if have is None or have >= tuple(map(int, version.split('.'))):
            return 0
        return count + 1
    return count if not key else 0


def client_version(client):
    module = pytest.importorskip({'websocket-client': 'websocket'}.get(
        client, client))
    text = getattr(module, '__version__', None) or \
        getattr(getattr(module, 'version', None), 'version', '0')
    return tuple(int(part) for part in text.split('.')[:2])


def test_the_docs_table_says_what_the_clients_did():
    assert fault_table('websocket-fault-table', CLIENTS) == as_cells(OUTCOMES)
