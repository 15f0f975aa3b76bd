"""The Server's lifecycle: bind on create, serve on start, stop fast."""
import errno
import logging
import socket
import sys
import threading

import pytest
import requests

import httptestserver
from httptestserver import ConfigurationError, Server, ServerStateError

from conftest import TIMEOUT, closed_by_peer, communicate, needs_ipv6, \
    raw_connect, read_response


def port_is_free(port, host='127.0.0.1'):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        return True
    except socket.error as exc:
        assert exc.errno == errno.EADDRINUSE
        return False
    finally:
        sock.close()


def test_creating_binds_so_connections_queue_before_start():
    server = Server()
    try:
        assert not port_is_free(server.port)
        sock = socket.create_connection(('127.0.0.1', server.port),
                                        timeout=TIMEOUT)
        try:
            sock.sendall(b'GET /early HTTP/1.1\r\nHost: x\r\n\r\n')
            server.start()
            head, _ = read_response(sock)
        finally:
            sock.close()
        assert head.startswith(b'HTTP/1.1 200 ')
        assert server.history[0]['path'] == '/early'
    finally:
        server.stop()


def test_defaults_are_loopback_and_an_os_chosen_port():
    server = Server()
    try:
        assert server.host == '127.0.0.1'
        assert 0 < server.port < 65536
        assert server.scheme == 'http'
        assert server.url('/x') == 'http://127.0.0.1:%d/x' % server.port
    finally:
        server.stop()


def test_url_adds_the_leading_slash():
    with httptestserver.http_server() as server:
        assert server.url('a/b') == server.url('/a/b')
        assert server.url() == 'http://127.0.0.1:%d/' % server.port


def test_stop_frees_the_port_at_once(scheme):
    server = Server(scheme=scheme).start()
    requests.get(server.url('/'), timeout=TIMEOUT,
                 verify=httptestserver.CA_FILE)
    server.stop()
    assert port_is_free(server.port)


def test_a_stopped_port_can_be_reused_by_a_new_server():
    first = Server().start()
    port = first.port
    requests.get(first.url('/'), timeout=TIMEOUT)
    first.stop()
    with httptestserver.http_server(port=port) as second:
        assert second.port == port
        assert requests.get(second.url('/'), timeout=TIMEOUT).ok


def test_stop_twice_is_harmless():
    server = Server().start()
    server.stop()
    server.stop()
    assert not server.running


def test_stop_before_start_is_harmless_and_frees_the_port():
    server = Server()
    server.stop()
    assert port_is_free(server.port)


def test_start_twice_raises_naming_the_server():
    server = Server().start()
    try:
        with pytest.raises(ServerStateError) as info:
            server.start()
        assert str(server.port) in str(info.value)
        assert 'already running' in str(info.value)
    finally:
        server.stop()


def test_start_after_stop_raises():
    server = Server().start()
    server.stop()
    with pytest.raises(ServerStateError) as info:
        server.start()
    assert 'create a new Server' in str(info.value)


def test_repr_shows_url_and_state():
    server = Server()
    assert repr(server) == '<Server http://127.0.0.1:%d not started>' % \
        server.port
    server.start()
    assert 'running' in repr(server)
    server.stop()
    assert 'stopped' in repr(server)


def test_context_manager_starts_and_stops():
    with Server() as server:
        assert server.running
        assert requests.get(server.url('/'), timeout=TIMEOUT).ok
    assert not server.running
    assert port_is_free(server.port)


def test_stop_closes_idle_keep_alive_connections(server):
    sock = raw_connect(server)
    try:
        sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        read_response(sock)
        done = threading.Event()
        stopper = threading.Thread(target=lambda: (server.stop(),
                                                   done.set()))
        stopper.start()
        assert done.wait(TIMEOUT), 'stop() blocked on an idle connection'
        assert closed_by_peer(sock)
    finally:
        sock.close()


def test_an_idle_connection_does_not_block_other_clients(server, with_timeout):
    sock = raw_connect(server)
    try:
        for i in range(3):
            assert requests.get(server.url('/%d' % i), **with_timeout).ok
    finally:
        sock.close()


def test_stop_cuts_a_response_timeout_short():
    server = Server().start()
    server.data['response_timeout'] = 60
    errors = []

    def client():
        try:
            requests.get(server.url('/slow'), timeout=TIMEOUT)
        except requests.RequestException as exc:
            errors.append(exc)
    thread = threading.Thread(target=client)
    thread.start()
    try:
        server.wait(1, path='/slow', timeout=TIMEOUT)
    finally:
        server.stop(timeout=TIMEOUT)
    thread.join(TIMEOUT)
    assert not thread.is_alive(), 'the delayed request held stop()'
    assert not errors  # the response was sent, just early


class InFlight(object):
    """A request held inside a callable route until :meth:`release`."""

    def __init__(self, server, path, **client_kws):
        self.entered, self._released = threading.Event(), threading.Event()
        self.responses = []
        server.route(path, self._answer)
        self.client = threading.Thread(target=lambda: self.responses.append(
            _quiet_get(server.url(path), **client_kws)))
        self.client.start()
        assert self.entered.wait(TIMEOUT), 'the request never arrived'

    def _answer(self, request):
        self.entered.set()
        self._released.wait(TIMEOUT)
        return 200

    def release(self):
        self._released.set()
        self.client.join(TIMEOUT)


def test_stop_gives_up_on_stuck_requests_and_names_them(caplog):
    server = Server().start()
    stuck = InFlight(server, '/stuck')
    try:
        with caplog.at_level(logging.WARNING, logger='httptestserver'):
            server.stop(timeout=0.2)
        assert 'still blocked on 1 connection' in caplog.text
        assert '127.0.0.1' in caplog.text
    finally:
        stuck.release()


def _quiet_get(url, **kws):
    """GET *url*; return the response, or None if the request failed."""
    kws.setdefault('timeout', TIMEOUT)
    try:
        return requests.get(url, **kws)
    except requests.RequestException:
        return None


def test_requests_are_served_concurrently(server, with_timeout):
    """A slow request must not delay a fast one: one thread per connection."""
    server.route('/fast', body=b'fast')
    slow = InFlight(server, '/slow', **with_timeout)
    try:
        assert requests.get(server.url('/fast'), **with_timeout).text == 'fast'
    finally:
        slow.release()
    assert [r.status_code for r in slow.responses] == [200]


def test_64_concurrent_clients_each_appear_once_in_history(
        server, with_timeout):
    paths = ['/client/%d' % i for i in range(64)]
    start = threading.Event()
    failures = []

    def client(path):
        start.wait(TIMEOUT)
        try:
            assert requests.get(server.url(path), **with_timeout).ok
        except Exception as exc:  # reported below
            failures.append(exc)
    threads = [threading.Thread(target=client, args=(p,)) for p in paths]
    for thread in threads:
        thread.start()
    start.set()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not failures
    assert sorted(e['path'] for e in server.history) == sorted(paths)


@pytest.mark.parametrize('host,port,fix', [
    (1234, None, 'host must be a string'),
    ('127.0.0.1', -1, 'port must be an int from 0 to 65535'),
    ('127.0.0.1', '80', 'port must be an int from 0 to 65535'),
    ('no-such-host.invalid', None, 'cannot be resolved'),
])
def test_bad_arguments_name_the_argument_and_the_fix(host, port, fix):
    with pytest.raises(ConfigurationError) as info:
        Server(host, port)
    assert fix in str(info.value)


def test_bad_scheme_and_handler_are_refused():
    with pytest.raises(ConfigurationError, match='scheme must be'):
        Server(scheme='ftp')
    with pytest.raises(ConfigurationError, match='handler must be'):
        Server(handler=object)


def test_tls_arguments_on_plain_http_are_refused():
    with pytest.raises(ConfigurationError, match='certfile is only used '
                                                 'with HTTPS'):
        Server(certfile=httptestserver.SERVER_CERT_FILE)


def test_a_port_in_use_is_reported_with_the_fix():
    with httptestserver.http_server() as busy:
        with pytest.raises(ConfigurationError) as info:
            Server(port=busy.port)
    assert 'already in use' in str(info.value)
    assert 'port=None' in str(info.value)


@needs_ipv6
def test_ipv6_urls_are_bracketed():
    with httptestserver.http_server(host='::1') as server:
        assert server.url('/') == 'http://[::1]:%d/' % server.port
        assert requests.get(server.url('/'), timeout=TIMEOUT).ok
        assert server.history[0]['client_address'][0] == '::1'


def test_wildcard_host_binds_all_but_urls_use_loopback():
    with httptestserver.http_server(host='0.0.0.0') as server:
        assert server.url('/').startswith('http://127.0.0.1:')
        assert requests.get(server.url('/'), timeout=TIMEOUT).ok


def test_requests_are_logged_through_logging_not_stderr(caplog, capfd):
    with caplog.at_level(logging.INFO, logger='httptestserver'):
        with httptestserver.http_server() as server:
            requests.get(server.url('/logged'), timeout=TIMEOUT)
    assert '/logged' in caplog.text
    assert '/logged' not in capfd.readouterr().err


def test_no_reverse_dns_lookup_when_binding_or_logging(monkeypatch, caplog):
    def forbidden(*args):
        raise AssertionError('reverse DNS lookup: %r' % (args,))
    monkeypatch.setattr(socket, 'getfqdn', forbidden)
    monkeypatch.setattr(socket, 'gethostbyaddr', forbidden)
    with caplog.at_level(logging.INFO, logger='httptestserver'):
        with httptestserver.http_server() as server:
            assert requests.get(server.url('/'), timeout=TIMEOUT).ok


def test_server_threads_are_daemons_so_they_never_hold_interpreter_exit():
    server = Server().start()
    server.data['response_timeout'] = 60
    try:
        thread = threading.Thread(target=lambda: _quiet_get(server.url('/')))
        thread.daemon = True
        thread.start()
        server.wait(1, timeout=TIMEOUT)
        ours = [t for t in threading.enumerate()
                if t.name.startswith('httptestserver-%d' % server.port)]
        # The event loop, and any worker: a held response needs no thread
        # of its own any more, but whatever threads there are are daemons.
        assert len(ours) >= 1
        assert all(t.daemon for t in ours)
    finally:
        server.stop()


EXIT_WITH_A_DELAYED_REQUEST = '''
import sys, threading, requests, httptestserver
server = httptestserver.start_server()
server.data['response_timeout'] = 60
def client():
    try:
        requests.get(server.url('/slow'), timeout=120)
    except Exception:
        pass
thread = threading.Thread(target=client)
thread.daemon = True
thread.start()
server.wait(1, timeout=%d)
sys.stdout.write('recorded\\n')
sys.stdout.flush()
# exit without stop(): the server's threads must not hold the interpreter
'''


def test_a_delayed_response_does_not_hold_interpreter_exit():
    import subprocess
    process = subprocess.Popen(
        [sys.executable, '-c', EXIT_WITH_A_DELAYED_REQUEST % TIMEOUT],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err, _ = communicate(process, TIMEOUT * 2)
    assert process.returncode == 0, err
    assert out.strip() == b'recorded'


def test_a_handler_may_stop_its_own_server():
    server = Server().start()
    server.route('/stop', lambda request: server.stop() or b'stopping')
    try:
        response = requests.get(server.url('/stop'), timeout=TIMEOUT)
        assert response.content == b'stopping'
    finally:
        server.stop()
    assert not server.running
    assert server.errors == []
    assert port_is_free(server.port)


def test_a_second_concurrent_stop_returns_only_once_the_port_is_free():
    server = Server().start()
    slow = InFlight(server, '/slow')
    first = threading.Thread(target=server.stop)
    first.start()
    try:
        assert server._stop_event.wait(TIMEOUT)  # the first stop() began
        second_done = threading.Event()
        second = threading.Thread(target=lambda: (server.stop(),
                                                  second_done.set()))
        second.start()
        # The first stop() is waiting for /slow, so the second waits too.
        assert not second_done.wait(0.1)
    finally:
        slow.release()
        first.join(TIMEOUT)
    assert second_done.wait(TIMEOUT)
    second.join(TIMEOUT)
    assert port_is_free(server.port)


def test_servers_created_but_never_started_hold_no_pipe():
    server = Server()
    assert not hasattr(server, '_wake_r')
    server.stop()


# -- stubs in process ---------------------------------------------------------
def test_load_stubs_reads_a_directory_as_the_command_line_does(
        server, with_timeout, tmpdir):
    mappings = tmpdir.mkdir('mappings')
    mappings.join('a.json').write(
        '{"request": {"method": "GET", "url": "/wm"}, '
        '"response": {"status": 202, "body": "from wiremock"}}')
    tmpdir.join('b.json').write(
        '{"mappings": [{"match": {"path": "/ours"}, '
        '"response": {"json": {"ok": true}}, "priority": 1}]}')
    stubs = server.load_stubs(str(tmpdir))
    assert len(stubs) == 2 and all(stub['id'] for stub in stubs)
    wm = requests.get(server.url('/wm'), **with_timeout)
    assert (wm.status_code, wm.text) == (202, 'from wiremock')
    assert requests.get(server.url('/ours'),
                        **with_timeout).json() == {'ok': True}


def test_load_stubs_takes_dicts_and_lists(server, with_timeout):
    server.load_stubs({'match': {'path': '/one'}, 'response': {'body': '1'}})
    server.load_stubs([{'request': {'urlPath': '/two'},
                        'response': {'status': 201}}])
    assert requests.get(server.url('/one'), **with_timeout).text == '1'
    assert requests.get(server.url('/two'),
                        **with_timeout).status_code == 201


def test_bad_stubs_name_the_mapping_and_add_nothing(server, tmpdir):
    with pytest.raises(ConfigurationError) as info:
        server.load_stubs([{'match': {'path': '/fine'}},
                           {'match': {'path': '/bad'},
                            'response': {'status': 'x'}}])
    assert 'stubs[1]' in str(info.value)
    assert server.routes == []
    with pytest.raises(ConfigurationError) as info:
        server.load_stubs(str(tmpdir.join('missing.json')))
    assert 'does not exist' in str(info.value)
    with pytest.raises(ConfigurationError) as info:
        server.load_stubs(3)
    assert 'stubs must be a path' in str(info.value)


def test_loaded_stubs_are_listed_by_the_control_api(server, with_timeout):
    control = httptestserver.enable_control(server)
    stub, = server.load_stubs({'id': 'mine', 'match': {'path': '/x'}})
    assert [s['id'] for s in control.stubs()] == ['mine'] == [stub['id']]
