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
from httptestserver.remote.process import ChildServer, start_child_server

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
