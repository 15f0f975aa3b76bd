"""Event streams of listed events played by the event loop
(``streams/sse_body.py`` ``loop_steps``, ``serving/player.py`` 'sleep'
steps), attacked over real sockets, HTTP and HTTPS: how each stream's end
is recorded, a pipelined request behind a stream, HEAD, ``stop()`` /
``reset()`` / ``close()`` racing waits, and many streams one after the
other and at once.

Every wait is on an event with a deadline (``wait``, ``wait_ended``, a
read with the socket's timeout); no sleeps.
"""
import socket
import threading

import pytest

import httptestserver
from httptestserver import EventStream, Server
from httptestserver._compat import monotonic

from conftest import TIMEOUT, raw_connect, read_response
from rawhttp import request

#: A wait cut short by the server is over well within this.
PROMPT = 2.0
LAST_CHUNK = b'0\r\n\r\n'


def read_until(sock, marker, data=b'', limit=1 << 20):
    """Read *sock* until *marker* arrived after *data*; return it all."""
    while marker not in data and len(data) < limit:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def server_threads(server):
    prefix = 'httptestserver-%d' % server.port
    return [t for t in threading.enumerate() if t.name.startswith(prefix)]


def closing(socks):
    for sock in socks:
        try:
            sock.close()
        except socket.error:
            pass


# -- one stream, one connection ----------------------------------------------
def test_a_request_pipelined_behind_a_stream_is_answered_after_it(scheme):
    with Server(scheme=scheme) as server:
        stream = EventStream([{'data': 'one'}, {'data': 'two',
                                                'delay': 0.05}])
        server.route('/events', stream)
        server.route('/after', httptestserver.Response(200, [], b'after'))
        sock = raw_connect(server)
        try:
            sock.sendall(request('GET', '/events') + request('GET', '/after'))
            data = read_until(sock, LAST_CHUNK)
            assert b'data: one\n\n' in data and b'data: two\n\n' in data
            rest = data.split(LAST_CHUNK, 1)[1]
            while b'\r\n\r\nafter' not in rest:
                chunk = sock.recv(65536)
                assert chunk, rest
                rest += chunk
            assert rest.startswith(b'HTTP/1.1 200 ')
        finally:
            sock.close()
        assert stream.wait_ended(1, timeout=TIMEOUT)[0].ended == 'complete'
        assert [e['path'] for e in server.history] == ['/events', '/after']


def test_a_cut_stream_drops_the_request_pipelined_behind_it(scheme):
    with Server(scheme=scheme) as server:
        stream = EventStream([{'data': 'one', 'delay': 0.02}, 'two'],
                             cut_after=1)
        server.route('/events', stream)
        sock = raw_connect(server)
        try:
            sock.sendall(request('GET', '/events') + request('GET', '/next'))
            data = read_until(sock, b'never')  # until the server closes
        finally:
            sock.close()
        assert b'data: one\n\n' in data
        assert LAST_CHUNK not in data and b'two' not in data
        assert stream.wait_ended(1, timeout=TIMEOUT)[0].ended == 'cut'
        server.wait(1, path='/events', timeout=TIMEOUT)
        assert [e['path'] for e in server.history] == ['/events']


@pytest.mark.parametrize('version,headers,framed', [
    ('HTTP/1.0', [], False),
    ('HTTP/1.1', [('Connection', 'close')], True),
])
def test_a_stream_to_a_client_that_asked_for_a_close_ends_complete_closed(
        scheme, version, headers, framed):
    with Server(scheme=scheme) as server:
        stream = EventStream([{'data': 'one'}, {'data': 'two',
                                                'delay': 0.02}])
        server.route('/events', stream)
        sock = raw_connect(server)
        try:
            sock.sendall(request('GET', '/events', headers=headers,
                                 version=version))
            data = read_until(sock, b'never')  # until the server closes
        finally:
            sock.close()
        head, _, body = data.partition(b'\r\n\r\n')
        assert b'\r\nConnection: close' in head
        assert (b'Transfer-Encoding: chunked' in head) == framed
        assert body.endswith(LAST_CHUNK if framed else b'data: two\n\n')
        assert stream.wait_ended(1, timeout=TIMEOUT)[0].ended == 'complete'


# Once a bug (fixed): a HEAD request to an EventStream leaves its
# StreamRecord open for good (ended None): no body is played, and
# Body.close() closes a script generator that never started, so the script's
# finally (which records the end) never runs; wait_ended() then times out


def test_a_head_request_ends_its_stream_record():
    with Server() as server:
        stream = EventStream([{'data': 'one', 'delay': 0.01}])
        server.route('/events', stream)
        server.route('/other', httptestserver.Response(200, [], b'other'))
        sock = raw_connect(server)
        try:
            # HEAD, then a GET on the same connection: once the GET is
            # answered, the HEAD's exchange is over.
            sock.sendall(request('HEAD', '/events'))
            head = read_until(sock, b'\r\n\r\n')
            assert head.startswith(b'HTTP/1.1 200 ')
            assert head.endswith(b'\r\n\r\n')  # no body
            sock.sendall(request('GET', '/other'))
            read_response(sock)
        finally:
            sock.close()
        assert len(stream.streams) == 1
        assert stream.wait_ended(1, timeout=0)[0].ended == 'complete'


def test_a_tls_client_that_leaves_mid_wait_ends_its_stream_gone():
    with Server(scheme='https') as server:
        stream = EventStream([{'data': 'one'}, {'data': 'two',
                                                'delay': 60}])
        server.route('/events', stream)
        sock = raw_connect(server)
        try:
            sock.sendall(request('GET', '/events'))
            read_until(sock, b'data: one')
        finally:
            started = monotonic()
            sock.close()
        assert stream.wait_ended(1, timeout=TIMEOUT)[0].ended == 'gone'
        assert monotonic() - started < PROMPT


# -- stop(), reset(), close() against waits -----------------------------------
@pytest.mark.parametrize('keep_open', [False, True])
def test_stop_ends_every_waiting_stream_stopped_with_its_last_chunk(
        scheme, keep_open):
    server = Server(scheme=scheme).start()
    socks = []
    try:
        stream = EventStream([{'data': 'one'}, {'data': 'two',
                                                'delay': 60}],
                             keep_open=keep_open, server=server)
        server.route('/events', stream)
        for _ in range(8):
            sock = raw_connect(server)
            socks.append(sock)
            sock.sendall(request('GET', '/events'))
            read_until(sock, b'data: one')
        started = monotonic()
        server.stop()
        assert monotonic() - started < PROMPT
        ended = stream.wait_ended(8, timeout=TIMEOUT)
        assert [r.ended for r in ended] == ['stopped'] * 8
        assert all(len(r.sent) == 1 for r in ended)
        for sock in socks:
            assert read_until(sock, LAST_CHUNK).endswith(LAST_CHUNK)
    finally:
        server.stop()
        closing(socks)


def test_reset_racing_close_ends_every_stream_and_the_server_serves_on():
    with Server() as server:
        stream = EventStream([{'data': 'one'}, {'data': 'two',
                                                'delay': 60}],
                             keep_open=True, heartbeat=60, server=server)
        server.route('/events', stream)
        socks = []
        try:
            for _ in range(10):
                sock = raw_connect(server)
                socks.append(sock)
                sock.sendall(request('GET', '/events'))
            stream.wait(10, timeout=TIMEOUT)
            go = threading.Event()

            def resetter():
                go.wait(TIMEOUT)
                server.reset()

            thread = threading.Thread(target=resetter)
            thread.start()
            go.set()
            stream.close()
            thread.join(TIMEOUT)
            ended = stream.wait_ended(10, timeout=TIMEOUT)
            # The reset may send 'two' first; close() ends each for good.
            assert set(r.ended for r in ended) == set(['stopped'])
            for sock in socks:
                assert read_until(sock, LAST_CHUNK).endswith(LAST_CHUNK)
        finally:
            closing(socks)
        sock = raw_connect(server)
        try:
            sock.sendall(request('GET', '/plain'))
            assert read_response(sock)[0].startswith(b'HTTP/1.1 200 ')
        finally:
            sock.close()


# -- many streams ----------------------------------------------------------
def test_a_thousand_streams_one_after_the_other_all_complete():
    """Four keep-alive connections, 250 streams each, every one with a
    loop-played wait: each ends 'complete', with no thread left behind."""
    per_client, clients = 250, 4
    with Server() as server:
        stream = EventStream([{'data': 'a'}, {'data': 'b',
                                              'delay': 0.0005}])
        server.route('/events', stream)
        failures = []

        def client():
            sock = raw_connect(server)
            try:
                for _ in range(per_client):
                    sock.sendall(request('GET', '/events'))
                    data = read_until(sock, LAST_CHUNK)
                    assert data.endswith(b'data: b\n\n\r\n' + LAST_CHUNK), \
                        data
            except Exception as exc:  # reported by the test thread
                failures.append(exc)
            finally:
                sock.close()

        threads = [threading.Thread(target=client) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT * 3)
        assert not failures
        ended = stream.wait_ended(per_client * clients, timeout=TIMEOUT)
        assert set(r.ended for r in ended) == set(['complete'])
        assert all(len(r.sent) == 2 for r in ended)
        assert [t.name for t in server_threads(server)] == \
            ['httptestserver-%d' % server.port]


def test_many_streams_held_at_once_end_gone_when_their_clients_leave():
    with Server() as server:
        stream = EventStream([{'data': 'a'}], keep_open=True,
                             heartbeat=None, server=server)
        server.route('/events', stream)
        socks = []
        try:
            for _ in range(200):
                sock = raw_connect(server)
                socks.append(sock)
                sock.sendall(request('GET', '/events'))
            stream.wait(200, timeout=TIMEOUT)
        finally:
            closing(socks)
        ended = stream.wait_ended(200, timeout=TIMEOUT)
        assert set(r.ended for r in ended) == set(['gone'])
        assert len(server.engine.workers) == 0


# Once a bug (fixed): Player._read_while_playing hands every byte a client
# sends during a loop-played stream to conn.receive_data, with no bound: a
# client that keeps writing while a kept-open stream plays fills the server's
# memory (a worker-played stream never read the socket; the reader's limits
# apply only when next_event runs)


class SmallLimits(httptestserver.Handler):
    """Limits that any bound on what is buffered would be near: a next
    request's head and body fit in 64 KiB."""
    max_line = 4096
    max_head = 16 << 10
    max_body = 48 << 10


def test_a_client_writing_during_a_stream_is_not_buffered_without_bound():
    """32 MB sent behind a stream's request, 500 times what any next
    request may be: a server that stops taking them (or refuses them)
    makes sendall() block until the socket's timeout, or fail; one that
    buffers them all lets it finish (in well under that timeout)."""
    with Server(handler=SmallLimits) as server:
        stream = EventStream(['one'], keep_open=True, heartbeat=None,
                             server=server)
        server.route('/events', stream)
        sock = raw_connect(server, timeout=5.0)
        try:
            sock.sendall(request('GET', '/events'))
            read_until(sock, b'data: one')
            with pytest.raises(socket.error):  # socket.timeout included
                sock.sendall(b'X' * (32 << 20))
        finally:
            sock.close()
    # Dropped at once, or no longer read (then ended by the stop).
    assert stream.wait_ended(1, timeout=TIMEOUT)[0].ended in (
        'gone', 'stopped')
