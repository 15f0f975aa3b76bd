"""A server in a child process: started ready, stopped fast and for good
(by PID when it does not answer), taken by the helpers and mixins as
process=True.

Each child start costs a fresh interpreter, so the tests share a few."""
import json
import os
import signal
import time

import pytest
import requests

import httptestserver
from httptestserver.errors import ConfigurationError
from httptestserver.remote.process import ChildServer, child_token, \
    start_child_server

from conftest import TIMEOUT
from _remote_helpers import gone
from _remote_helpers import fixture_child, fixture_shared  # noqa: F401


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


@pytest.mark.parametrize('host', ['0.0.0.0', '::', '192.0.2.7',
                                  'example.org'])
def test_a_child_reachable_from_elsewhere_gets_a_token_made_here(host):
    # The suite binds loopback only; this is the decision, the next test
    # is how the token reaches the child.
    token = child_token(host)
    assert len(token) == 32 and token != child_token(host)
    assert child_token(host, 'given') == 'given'


@pytest.mark.parametrize('host', [None, '127.0.0.1', '::1', 'localhost'])
def test_a_loopback_child_needs_no_token(host):
    assert child_token(host) is None


@pytest.mark.skipif(not os.path.isdir('/proc/self'), reason='needs /proc')
def test_the_token_reaches_the_child_in_its_environment_not_its_argv():
    with ChildServer(control_token='s3cret-token') as child:
        with open('/proc/%d/cmdline' % child.pid, 'rb') as handle:
            argv = handle.read()
        with open('/proc/%d/environ' % child.pid, 'rb') as handle:
            environ = handle.read().split(b'\0')
        assert b's3cret-token' not in argv
        assert b'HTTPTESTSERVER_CONTROL_TOKEN=s3cret-token' in environ
        child.route('/x', body='ok')  # our calls carry it
        assert requests.get(child.url('/x'), timeout=TIMEOUT).text == 'ok'
        refused = requests.get(child.control_url + 'mappings',
                               timeout=TIMEOUT)
        assert refused.status_code == 401
