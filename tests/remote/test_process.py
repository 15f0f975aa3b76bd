"""The child process and the command line that runs it: the in-thread API
through the control API, stub files, and no orphan after any way out.

Each child start costs a fresh interpreter, so the tests share a few."""
import errno
import json
import os
import re
import select
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
import requests

import httptestserver
from httptestserver.errors import ConfigurationError, VerificationError, \
    WaitTimeout
from httptestserver.headers import Headers
from httptestserver.remote.process import ChildServer, start_child_server

from conftest import TIMEOUT

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def gone(pid):
    """True if process *pid* has exited (a zombie counts as exited)."""
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.ESRCH
    try:
        with open('/proc/%d/stat' % pid) as handle:
            return handle.read().rsplit(')', 1)[1].split()[0] in 'ZX'
    except (IOError, OSError):
        return True


def wait_gone(pid, timeout=TIMEOUT):
    """Wait until *pid* (not our child) has exited; return True if it did."""
    if hasattr(os, 'pidfd_open'):
        try:
            fd = os.pidfd_open(pid)
        except OSError:
            return True  # already gone
        try:
            select.select([fd], [], [], timeout)  # readable once it exits
        finally:
            os.close(fd)
        return gone(pid)
    # Before Python 3.9 there is no exit event for a process that is not
    # our child: poll, bounded in time.
    deadline = time.time() + timeout
    while not gone(pid) and time.time() < deadline:
        time.sleep(0.02)
    return gone(pid)


@pytest.fixture(scope='module')
def shared():
    child = ChildServer()
    try:
        yield child
    finally:
        child.stop()
    assert gone(child.pid)


@pytest.fixture
def child(shared):
    shared.reset()
    yield shared
    shared.check()


def test_routes_as_data_answer_and_requests_are_recorded(child):
    child.route('/users', method='POST', status=201, json={'id': 1},
                match={'headers': {'X-Token': 'abc'},
                       'json': {'name': 'Ada'}})
    answer = requests.post(child.url('/users'), json={'name': 'Ada'},
                           headers={'X-Token': 'abc'}, timeout=TIMEOUT)
    assert answer.status_code == 201 and answer.json() == {'id': 1}
    entry, = child.history
    assert entry['method'] == 'POST' and entry['json'] == {'name': 'Ada'}
    assert isinstance(entry['headers'], Headers)
    assert entry['headers']['x-token'] == 'abc'
    assert entry['body'] == b'{"name": "Ada"}'
    assert entry['response_status'] == 201
    child.assert_requested('/users', method='POST', times=1)
    with pytest.raises(VerificationError) as info:
        child.assert_requested('/users', method='GET')
    assert 'POST /users' in str(info.value)


def test_the_response_forms_of_route_cross_as_data(child):
    child.route('/int', 204)
    child.route('/bytes', b'\x00\xff')
    child.route('/tuple', (202, {'X-A': '1'}, u'caf\xe9'))
    child.route(re.compile(r'/items/\d+'), responses=[
        {'status': 200, 'body': 'first'}, {'status': 200, 'body': 'second'}])
    child.route('/q', 'paged', query={'page': '2'})
    child.route('/slow', body='late', delay=0.05, cookies={'s': '1'})
    get = lambda path: requests.get(child.url(path), timeout=TIMEOUT)
    assert get('/int').status_code == 204
    assert get('/bytes').content == b'\x00\xff'
    tupled = get('/tuple')
    assert tupled.status_code == 202 and tupled.headers['X-A'] == '1'
    assert tupled.content == u'caf\xe9'.encode('utf-8')
    assert [get('/items/%d' % i).text for i in (1, 2)] == ['first', 'second']
    assert get('/q?page=2').text == 'paged'
    assert get('/slow').cookies['s'] == '1'
    child.data['response_status'] = 404  # what falls through
    assert get('/items/3').status_code == 404
    assert get('/q?page=3').status_code == 404


def test_a_callable_cannot_cross_and_the_error_offers_the_data_form(child):
    with pytest.raises(ConfigurationError) as info:
        child.route('/x', lambda request: 200)
    assert 'cannot cross into the child process' in str(info.value)
    assert 'status=201, json=' in str(info.value)
    with pytest.raises(ConfigurationError) as info:
        child.route('/x', match=lambda request: True)
    assert 'match={"headers"' in str(info.value)
    with pytest.raises(ConfigurationError) as info:
        child.route('/x', match={'headers': {'X': 5}})
    assert "match.headers['X']" in str(info.value)


def test_data_settings_and_fields_read_and_write_across(child):
    child.data['response_status'] = 418
    child.data.update(response_content=b'\x00tea', response_headers={
        'X-Tea': 'yes'})
    assert child.response_data['response_status'] == 418
    answer = requests.get(child.url('/pot?x=1'), timeout=TIMEOUT)
    assert answer.status_code == 418 and answer.content == b'\x00tea'
    assert child.data['path'] == '/pot?x=1'
    assert child.data['headers']['Host'] == child.url('/')[7:-1]
    del child.data['response_status']
    assert 'response_status' not in child.data
    with pytest.raises(ConfigurationError) as info:
        child.data['response_status'] = 'teapot'
    assert 'response_status' in str(info.value)


def test_wait_is_one_long_poll_and_times_out_with_what_came(child):
    results = []
    waiter = threading.Thread(target=lambda: results.append(
        child.wait(2, path='/w', timeout=TIMEOUT)))
    waiter.start()
    for _ in range(2):
        requests.get(child.url('/w'), timeout=TIMEOUT)
    waiter.join(TIMEOUT + 15)
    assert [e['path'] for e in results[0]] == ['/w', '/w']
    with pytest.raises(WaitTimeout) as info:
        child.wait(3, path='/w', timeout=0.2)
    assert 'saw 2' in str(info.value) and 'GET /w' in str(info.value)


def test_check_raises_the_childs_failures_then_forgets_them(child):
    child.route('/known', 200)
    child.data  # routes exist: other requests are unexpected
    requests.get(child.url('/unknown'), timeout=TIMEOUT)
    assert [e['path'] for e in child.unexpected] == ['/unknown']
    with pytest.raises(VerificationError) as info:
        child.check()
    assert '/unknown' in str(info.value)
    child.check()  # forgotten


def test_the_unmatched_response_crosses_as_data(child):
    child.route('/known', 200)
    child.unmatched_response = (404, {'X-Why': 'unknown'}, 'nope')
    answer = requests.get(child.url('/other'), timeout=TIMEOUT)
    assert (answer.status_code, answer.text) == (404, 'nope')
    assert answer.headers['X-Why'] == 'unknown'
    assert child.unmatched_response['status'] == 404
    child.unmatched_response = None
    assert child.unmatched_response is None
    with pytest.raises(VerificationError):
        child.check()


def test_routes_can_be_listed_and_removed(child):
    route = child.route('/gone', 200)
    assert [r.id for r in child.routes] == [route.id]
    child.remove_route(route)
    child.remove_route(route)  # harmless
    assert child.routes == []


def test_https_mutual_tls_and_stub_files_round_trip(child, tmpdir):
    child.route('/a', method='GET', json={'a': 1},
                match={'cookies': {'s': {'present': True}}})
    child.route('/b', status=201, body=b'\x00\xff', times=1)
    path = tmpdir.join('stubs.json')
    path.write(json.dumps(child.export_stubs()))
    started = time.time()
    with start_child_server(scheme='https', client_cert='required',
                            stubs=str(path)) as other:
        assert other.url('/').startswith('https://127.0.0.1:')
        tls = dict(verify=other.ca_file, timeout=TIMEOUT,
                   cert=httptestserver.CLIENT_CERT_FILE)
        answer = requests.get(other.url('/a'), cookies={'s': '1'}, **tls)
        assert answer.json() == {'a': 1}
        assert requests.post(other.url('/b'), **tls).content == b'\x00\xff'
        with pytest.raises(requests.exceptions.RequestException):
            requests.get(other.url('/a'), verify=other.ca_file,
                         timeout=TIMEOUT)  # no client certificate
        other.assert_requested('/a', times=1)
        assert other.history[0]['tls']['client_cert'] is not None
        assert other.export_stubs() == child.export_stubs()
        stopping = time.time()
    assert time.time() - stopping < 3.0
    assert gone(other.pid) and not other.running
    other.stop()  # harmless
    assert time.time() - started < 30


def test_a_failed_start_raises_the_childs_error_and_leaves_nothing():
    with httptestserver.http_server() as busy:
        with pytest.raises(ConfigurationError) as info:
            ChildServer(port=busy.port)
    assert 'already in use' in str(info.value)
    assert 'exited with status 2' in str(info.value)
    if os.path.isdir('/proc/self'):
        assert not children_serving(busy.port)


def children_serving(port):
    """PIDs of httptestserver processes started with --port *port*."""
    found = []
    for name in os.listdir('/proc'):
        try:
            with open('/proc/%s/cmdline' % name, 'rb') as handle:
                args = handle.read().split(b'\0')
        except (IOError, OSError, ValueError):
            continue
        if b'httptestserver' in args and b'--port' in args and \
                str(port).encode('ascii') in args and not gone(int(name)):
            found.append(int(name))
    return found


def test_stop_kills_by_pid_a_child_that_does_not_answer():
    child = ChildServer()
    pid = child.pid
    try:
        os.kill(pid, signal.SIGSTOP)  # frozen: it can neither answer nor exit
        started = time.time()
        child.stop(timeout=0.5)
        assert time.time() - started < 5
        assert gone(pid) and not child.running
    finally:
        if not gone(pid):
            os.kill(pid, signal.SIGKILL)


PARENT = textwrap.dedent('''
    import sys
    sys.path.insert(0, %r)
    from httptestserver.remote.process import ChildServer
    child = ChildServer()
    sys.stdout.write('%%d %%s\\n' %% (child.pid, child.url('/')))
    sys.stdout.flush()
    sys.stdin.read()
''' % ROOT)


@pytest.mark.parametrize('sig', [signal.SIGKILL, signal.SIGTERM])
def test_the_child_never_outlives_its_parent(sig):
    parent = subprocess.Popen([sys.executable, '-c', PARENT],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        ready = select.select([parent.stdout], [], [], TIMEOUT * 3)[0]
        assert ready, 'the parent did not start its child in time'
        pid, url = os.read(parent.stdout.fileno(), 4096).decode(
            'ascii').split()
        pid = int(pid)
        assert requests.get(url, timeout=TIMEOUT).ok
        parent.send_signal(sig)
        parent.wait()
        assert wait_gone(pid), 'child %d outlived its parent' % pid
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        parent.stdin.close()
        parent.stdout.close()


def run_cli(*args):
    env = dict(os.environ)
    env['PYTHONUNBUFFERED'] = '1'
    return subprocess.Popen(
        [sys.executable, '-m', 'httptestserver'] + list(args),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)


def read_banner(process):
    """Read the CLI's banner, up to its last line, bounded in time."""
    data = b''
    fd = process.stdout.fileno()
    while b'Press Ctrl-C to stop.\n' not in data:
        ready = select.select([fd], [], [], TIMEOUT)[0]
        assert ready, 'no banner within %ss: %r' % (TIMEOUT, data)
        chunk = os.read(fd, 4096)
        assert chunk, 'the CLI exited: %r' % (process.communicate(),)
        data += chunk
    return data.decode('utf-8').splitlines()


@pytest.mark.parametrize('sig', [signal.SIGINT, signal.SIGTERM])
def test_the_cli_serves_stub_files_and_exits_cleanly_on_signals(sig, tmpdir):
    tmpdir.mkdir('mappings').join('hello.json').write(json.dumps(
        {'request': {'method': 'GET', 'url': '/hello'},
         'response': {'status': 200, 'body': 'hi'}}))
    port_file = str(tmpdir.join('port'))
    process = run_cli('--stubs', str(tmpdir), '--port-file', port_file)
    try:
        lines = read_banner(process)
        url = lines[0].split()[-1]
        assert lines[1] == 'Control API: %s__admin/' % url
        with open(port_file) as handle:
            assert url == 'http://127.0.0.1:%d/' % int(handle.read())
        assert requests.get(url + 'hello', timeout=TIMEOUT).text == 'hi'
        listing = requests.get(url + '__admin/mappings', timeout=TIMEOUT)
        assert listing.json()['meta']['total'] == 1
    finally:
        process.send_signal(sig)
        out, err = process.communicate()
    assert process.returncode == 0, err
    assert out.decode('utf-8').endswith('Stopped.\n')
    assert not os.path.exists(port_file)


def test_the_cli_names_the_bad_field_of_a_stub_file(tmpdir):
    stub = tmpdir.join('bad.json')
    stub.write(json.dumps({'request': {
        'urlPath': '/', 'method': 'GET',
        'bodyPatterns': [{'equalToXml': 'x'}]}}))
    process = run_cli('--stubs', str(stub))
    out, err = process.communicate()
    assert process.returncode == 2
    assert 'bad.json: mapping.request.bodyPatterns[0]' in err.decode('utf-8')


def test_the_helpers_and_mixins_take_process_true():
    import unittest

    class Case(httptestserver.HttpsServerTest, unittest.TestCase):
        server_options = {'process': True}
        options = {'verify': httptestserver.CA_FILE, 'timeout': TIMEOUT}

        def test_one(self):
            self.server.route(self.default_path, 'child')
            assert isinstance(self.server, ChildServer)
            assert requests.get(self.default_url, **self.options).text == \
                'child'

        def test_two_starts_from_a_reset_server(self):
            assert self.server.routes == []

    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(Case).run(result)
    assert result.wasSuccessful(), result.errors + result.failures
    assert result.testsRun == 2
    assert gone(Case.server.pid)
    with httptestserver.http_server(process=True) as server:
        assert isinstance(server, ChildServer)
        assert requests.get(server.url('/'), timeout=TIMEOUT).ok
    assert gone(server.pid)
    with pytest.raises(ConfigurationError) as info:
        httptestserver.start_server(process=True,
                                    handler=httptestserver.Handler)
    assert 'cannot cross into a child process' in str(info.value)


def test_own_certificate_and_a_control_token():
    from httptestserver import tls
    with ChildServer(scheme='https', certfile=tls.SERVER_CERT_FILE,
                     keyfile=tls.SERVER_KEY_FILE,
                     control_token='s3cret') as server:
        assert server.ca_file is None  # our own certificate: no CA printed
        server.route('/own', 'mine')
        assert requests.get(server.url('/own'), verify=tls.CA_FILE,
                            timeout=TIMEOUT).text == 'mine'
        outsider = requests.get(server.url('/__admin/mappings'),
                                verify=tls.CA_FILE, timeout=TIMEOUT)
        assert outsider.status_code == 401
        assert [e['path'] for e in server.history] == ['/own']
    assert gone(server.pid)


def _failures(server):
    """The failure messages *server* gives for one scenario, its URL
    replaced by ``URL``."""
    texts = []
    with pytest.raises(WaitTimeout) as info:
        server.wait(1, path='/users/1', timeout=0.1)
    texts.append(str(info.value))
    requests.get(server.url('/users/1'), timeout=TIMEOUT)
    with pytest.raises(WaitTimeout) as info:
        server.wait(2, path='/users/1', timeout=0.1)
    texts.append(str(info.value))
    with pytest.raises(VerificationError) as info:
        server.assert_requested('/users/2', method='GET', times=2,
                                query={'a': '1'})
    texts.append(str(info.value))
    server.route('/known', 200)
    requests.get(server.url('/typo'), timeout=TIMEOUT)
    with pytest.raises(VerificationError) as info:
        server.assert_no_unexpected()
    texts.append(str(info.value))
    with pytest.raises(VerificationError) as info:
        server.check()
    texts.append(str(info.value))
    return [t.replace(server.url('').rstrip('/'), 'URL') for t in texts]


def test_failures_are_worded_as_the_in_thread_server_words_them(child):
    with httptestserver.http_server() as local:
        in_thread = _failures(local)
    assert _failures(child) == in_thread
    assert in_thread[:4] == [
        'expected 1 request(s) matching /users/1 within 0.1s, saw 0 (no '
        'requests at all; is the client using URL/?)',
        'expected 2 request(s) matching /users/1 within 0.1s, saw 1; closest '
        'seen: GET /users/1 (of 1)',
        "expected requests matching GET /users/2 query={'a': '1'} 2 "
        "time(s), got 0; closest seen: GET /users/1 (of 1)",
        '1 request(s) matched no route: GET /typo; routes are: ANY /known']


def test_a_match_dict_is_worded_as_a_route_words_it(child):
    with pytest.raises(WaitTimeout) as info:
        child.wait(1, method='POST', match={'headers': {'X-A': '1'}},
                   timeout=0.1)
    assert str(info.value).startswith(
        'expected 1 request(s) matching POST match=ANY headers={"X-A":"1"} '
        'within 0.1s, saw 0')
