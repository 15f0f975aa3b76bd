"""The event-driven engine: what it promises beyond answering.

One loop thread owns every socket: idle and held connections cost no
thread, a TLS handshake has one deadline however the client trickles it, a
plain-HTTP client on the HTTPS port is answered and drained within one
deadline, and a worker thread that cannot start costs one connection, not
the server.
"""
import os
import socket
import threading
import time

import pytest
import requests

from httptestserver import ConfigurationError, EventStream, Handler, \
    HandlerError, Server, http_server, https_server

from conftest import TIMEOUT, raw_connect
from rawhttp import RawConnection, client_hello, request


def server_threads(server):
    prefix = 'httptestserver-%d' % server.port
    return [t for t in threading.enumerate() if t.name.startswith(prefix)]


def test_held_and_idle_connections_cost_no_thread():
    with http_server() as server:
        server.route('/never', fault='never')
        server.route('/', body=b'ok')
        idle = [RawConnection(raw_connect(server)) for _ in range(20)]
        held = [RawConnection(raw_connect(server)) for _ in range(5)]
        try:
            for conn in idle:
                assert conn.exchange(request('GET', '/')).status == 200
            for conn in held:
                conn.send(request('GET', '/never'))
            server.wait(5, path='/never', timeout=TIMEOUT)
            # The loop thread alone: no thread per connection, none per
            # held answer (a 'never' answer is no sleeping worker).
            assert [t.name for t in server_threads(server)] == \
                ['httptestserver-%d' % server.port]
            assert len(server.engine.workers) == 0
            for conn in idle:  # and every idle connection still answers
                assert conn.exchange(request('GET', '/')).status == 200
        finally:
            for conn in idle + held:
                conn.close()


class QuickHandler(Handler):
    timeout = 1  # the TLS handshake's one deadline, and the silence limit


def test_a_trickled_tls_handshake_gets_one_deadline():
    server = Server(scheme='https', handler=QuickHandler).start()
    try:
        sock = socket.create_connection((server.host, server.port),
                                        timeout=TIMEOUT)
        hello = client_hello()
        started = time.time()
        try:
            # One byte every 0.2 s: each read comes well within the
            # timeout, the whole handshake never does.
            for byte in range(len(hello)):
                sock.sendall(hello[byte:byte + 1])
                if _closed(sock, 0.2):
                    break
            closed_after = time.time() - started
        finally:
            sock.close()
        assert closed_after < 1 + 1.5, closed_after
    finally:
        server.stop()


def _closed(sock, seconds):
    """Wait up to *seconds* for the server to close *sock*; True if it did
    (this wait is the slow client under test, not a synchronisation)."""
    sock.settimeout(seconds)
    try:
        return sock.recv(4096) == b''
    except socket.timeout:
        return False
    except socket.error:
        return True


def test_plain_http_on_the_https_port_is_drained_within_one_deadline():
    with https_server() as server:
        sock = socket.create_connection((server.host, server.port),
                                        timeout=TIMEOUT)
        try:
            sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n')
            started = time.time()
            answer = b''
            ended = False
            # Keep sending a byte every 0.2 s, as a slowloris would: the
            # drain ends at its one deadline, not after the last byte.
            while time.time() - started < 5 and not ended:
                try:
                    sock.sendall(b'x')
                except socket.error:
                    break
                sock.settimeout(0.2)
                try:
                    data = sock.recv(4096)
                    ended = not data
                    answer += data
                except socket.timeout:
                    pass
                except socket.error:
                    ended = True
            took = time.time() - started
        finally:
            sock.close()
        assert b'400 Bad Request' in answer
        assert took < 1 + 1.5, took


def test_a_worker_that_cannot_start_costs_one_connection(monkeypatch):
    with http_server() as server:
        server.route('/call', lambda request_: b'called')
        server.route('/', body=b'plain')
        real_start = threading.Thread.start

        def refuse(thread):
            if thread.name.endswith('-worker'):
                raise RuntimeError("can't start new thread")
            return real_start(thread)
        monkeypatch.setattr(threading.Thread, 'start', refuse)
        with pytest.raises(requests.ConnectionError):
            requests.get(server.url('/call'), timeout=TIMEOUT)
        # The loop goes on: answers that need no worker still come.
        assert requests.get(server.url('/'), timeout=TIMEOUT).content == \
            b'plain'
        monkeypatch.undo()
        assert requests.get(server.url('/call'), timeout=TIMEOUT).content \
            == b'called'
        with pytest.raises(HandlerError) as info:
            server.check()
        assert "can't start new thread" in str(info.value)


def test_handshake_faults_are_refused_on_a_plain_http_server():
    with http_server() as server:
        for fault in ('handshake_never', 'handshake_reset',
                      'handshake_garbage'):
            with pytest.raises(ConfigurationError) as info:
                server.data['response_fault'] = fault
            assert 'plain HTTP' in str(info.value)
            assert fault in str(info.value)


def test_a_plain_fixed_delay_is_recorded_in_delays():
    with http_server() as server:
        server.route('/slow', body=b'ok', delay=0.01)
        server.data['response_timeout'] = 0.01
        requests.get(server.url('/slow'), timeout=TIMEOUT)
        requests.get(server.url('/other'), timeout=TIMEOUT)
        assert [e['delays'] for e in server.history] == \
            [{'delay': 0.01}, {'delay': 0.01}]
        # 0.1.0's response_timeout stays, and no fault key appears.
        assert [e['response_timeout'] for e in server.history] == \
            [0.01, 0.01]
        assert ['fault' in e for e in server.history] == [False, False]


@pytest.mark.skipif(not os.path.isdir('/proc/self/fd'),
                    reason='counts descriptors through /proc/self/fd')
def test_servers_that_never_started_leave_no_descriptor_behind():
    def descriptors():
        return len(os.listdir('/proc/self/fd'))
    before = descriptors()
    for _ in range(20):
        Server().stop()  # created, never started
        with pytest.raises(ConfigurationError):
            Server(directory=os.path.join(os.sep, 'no', 'such', 'dir'))
    assert descriptors() == before


def open_stream(server, path):
    """A raw connection that asked for the event stream at *path*."""
    sock = raw_connect(server)
    sock.sendall(request('GET', path))
    return sock


def read_until(sock, marker, limit=1 << 16):
    """Read *sock* until *marker* arrived; return all that was read."""
    data = b''
    while marker not in data and len(data) < limit:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_held_event_streams_cost_no_thread():
    with http_server() as server:
        stream = EventStream([{'data': 'first'},
                              {'data': 'later', 'delay': 60}])
        server.route('/events', stream)
        socks = [open_stream(server, '/events') for _ in range(50)]
        try:
            stream.wait(50, timeout=TIMEOUT)
            for sock in socks:
                assert b'data: first' in read_until(sock, b'data: first')
            # 50 streams waiting: timers of the loop, no worker each.
            assert [t.name for t in server_threads(server)] == \
                ['httptestserver-%d' % server.port]
            assert len(server.engine.workers) == 0
        finally:
            for sock in socks:
                sock.close()
        # Each client that left ended its stream at once, not in 60 s.
        ended = stream.wait_ended(50, timeout=TIMEOUT)
        assert set(record.ended for record in ended) == {'gone'}


def test_close_ends_a_stream_the_loop_holds_with_its_closing_chunk():
    with http_server() as server:
        stream = EventStream([{'data': 'hello'}], keep_open=True,
                             server=server)
        server.route('/events', stream)
        sock = open_stream(server, '/events')
        try:
            stream.wait(1, timeout=TIMEOUT)
            started = time.time()
            stream.close()
            assert stream.wait_ended(1, timeout=TIMEOUT)[0].ended == \
                'stopped'
            assert time.time() - started < 1.0  # no polling interval
            assert read_until(sock, b'0\r\n\r\n').endswith(b'0\r\n\r\n')
        finally:
            sock.close()


def test_stop_ends_the_streams_the_loop_holds_at_once():
    server = Server().start()
    stream = EventStream([{'data': 'hello'}], keep_open=True,
                         server=server)
    server.route('/events', stream)
    socks = [open_stream(server, '/events') for _ in range(5)]
    try:
        stream.wait(5, timeout=TIMEOUT)
        started = time.time()
        server.stop()
        assert time.time() - started < 1.0
        ended = stream.wait_ended(5, timeout=TIMEOUT)
        assert set(record.ended for record in ended) == {'stopped'}
    finally:
        server.stop()
        for sock in socks:
            sock.close()


def test_reset_cuts_a_stream_wait_short_and_the_stream_goes_on():
    with http_server() as server:
        stream = EventStream([{'data': 'one'}, {'data': 'two', 'delay': 60}],
                             server=server)
        server.route('/events', stream)
        sock = open_stream(server, '/events')
        try:
            stream.wait(1, timeout=TIMEOUT)
            server.reset()  # as a worker's stop-aware pause: cut short
            assert b'data: two' in read_until(sock, b'data: two')
            assert stream.wait_ended(1, timeout=TIMEOUT)[0].ended == \
                'complete'
        finally:
            sock.close()


@pytest.mark.parametrize('kind', ['callable', 'pause'])
def test_a_stream_running_code_of_the_test_goes_to_a_worker(kind):
    with http_server() as server:
        seen = []

        def events(request):
            seen.append(threading.current_thread().name)
            return [{'data': 'from a worker'}]
        if kind == 'callable':
            stream = EventStream(events)
        else:
            stream = EventStream([{'data': 'from a worker', 'delay': 0.01}],
                                 pause=lambda seconds: seen.append(
                                     threading.current_thread().name))
        server.route('/events', stream)
        response = requests.get(server.url('/events'), timeout=TIMEOUT)
        assert 'data: from a worker' in response.text
        assert seen and all(name.endswith('-worker') for name in seen)
