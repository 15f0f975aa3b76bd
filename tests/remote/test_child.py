"""The child process's life: a failed start leaves nothing behind, and the
child never outlives its parent."""
import os
import select
import signal
import subprocess
import sys
import textwrap

import pytest
import requests

import httptestserver
from httptestserver.errors import ConfigurationError
from httptestserver.remote.child import server_args, stub_args
from httptestserver.remote.process import ChildServer

from conftest import TIMEOUT
from _remote_helpers import ROOT, gone, wait_gone


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


def test_server_args_compose_the_command_line():
    assert server_args('127.0.0.1', 0, 'https', certfile='c.pem') == [
        '--host', '127.0.0.1', '--port', '0', '--https', '--certfile',
        'c.pem']
    with pytest.raises(ConfigurationError) as info:
        server_args(scheme='ftp')
    assert 'scheme must be "http" or "https"' in str(info.value)


def test_stub_args_load_files_and_leave_dicts_to_the_caller():
    stub = {'match': {'path': '/a'}, 'response': {}}
    args, dicts = stub_args(['stubs.json', stub])
    assert args == ['--stubs', os.path.abspath('stubs.json')]
    assert dicts == [stub]
    assert stub_args('one.json') == (
        ['--stubs', os.path.abspath('one.json')], [])
    assert stub_args(None) == ([], [])
