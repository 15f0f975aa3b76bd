"""The child process's life: a failed start leaves nothing behind, and the
child never outlives its parent."""
import os
import select
import signal
import subprocess
import sys
import textwrap
import threading

import pytest
import requests

import httptestserver
from httptestserver.errors import ConfigurationError
from httptestserver.remote.child import server_args, stub_args
from httptestserver.remote.process import ChildServer

from conftest import TIMEOUT
from _remote_helpers import ROOT, gone, wait_gone, read_ready


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


FORKING_PARENT = textwrap.dedent('''
    import os
    import sys
    sys.path.insert(0, %r)
    from httptestserver.remote.process import ChildServer
    child = ChildServer()
    worker = os.fork()  # as a pre-forking server or multiprocessing would
    if worker == 0:
        try:  # the worker holds the child's stdin pipe, and waits
            sys.stdin.read()
        finally:
            os._exit(0)
    sys.stdout.write('%%d %%d\\n' %% (child.pid, worker))
    sys.stdout.flush()
    sys.stdin.read()
''' % ROOT)


@pytest.mark.skipif(not hasattr(os, 'fork'), reason='needs os.fork')
def test_child_dies_with_its_parent_though_a_forked_worker_holds_its_pipe():
    parent = subprocess.Popen([sys.executable, '-c', FORKING_PARENT],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    pids = []
    try:
        pids = [int(p) for p in read_ready(parent.stdout, TIMEOUT * 3)]
        child, worker = pids
        assert not gone(child) and not gone(worker)
        parent.kill()
        parent.wait()
        assert wait_gone(child), 'child %d outlived its parent' % child
        assert not gone(worker)  # it still holds the pipe: that is the case
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        parent.stdin.close()  # the worker reads end of file and exits
        parent.stdout.close()
        for pid in pids:
            if not wait_gone(pid, 5):
                os.kill(pid, signal.SIGKILL)
                assert wait_gone(pid), 'process %d survived SIGKILL' % pid


def test_the_child_outlives_the_thread_that_started_it():
    made = []
    thread = threading.Thread(target=lambda: made.append(ChildServer()))
    thread.start()
    thread.join(TIMEOUT * 3)
    [child] = made
    try:
        # Linux signals the child when that thread exits: it must look at
        # its parent process, find it alive, and keep serving.
        assert not wait_gone(child.pid, 1.5)
        assert requests.get(child.url('/'), timeout=TIMEOUT).ok
    finally:
        child.stop()
    assert gone(child.pid)


POLLING_CHILD = textwrap.dedent('''
    import os
    import sys
    import threading
    sys.path.insert(0, %r)
    from httptestserver.remote.child import watch_parent
    gone = threading.Event()
    watch_parent(os.getppid(), gone.set, interval=0.05, death_signal=False)
    sys.stdout.write('ready\\n')
    sys.stdout.flush()
    sys.exit(0 if gone.wait(%d) else 3)
''' % (ROOT, TIMEOUT))

MIDDLE = textwrap.dedent('''
    import subprocess
    import sys
    child = subprocess.Popen([sys.executable, '-c', sys.argv[1]],
                             stdout=subprocess.PIPE)
    assert child.stdout.readline() == b'ready\\n'
    sys.stdout.write('%d\\n' % child.pid)
    sys.stdout.flush()
    sys.stdin.read()
''')


def test_where_it_cannot_be_signalled_the_child_polls_for_its_parent():
    middle = subprocess.Popen([sys.executable, '-c', MIDDLE, POLLING_CHILD],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    pids = []
    try:
        pids = [int(p) for p in read_ready(middle.stdout, TIMEOUT * 3)]
        middle.kill()
        middle.wait()
        assert wait_gone(pids[0]), 'the polling child did not notice'
    finally:
        if middle.poll() is None:
            middle.kill()
            middle.wait()
        middle.stdin.close()
        middle.stdout.close()
        for pid in pids:
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)
                assert wait_gone(pid)


def test_no_select_select_in_the_remote_package():
    # select.select fails past 1024 descriptors; poll has no such limit
    import httptestserver.remote as remote
    folder = os.path.dirname(remote.__file__)
    for name in os.listdir(folder):
        if name.endswith('.py'):
            with open(os.path.join(folder, name)) as source:
                assert 'select.select' not in source.read(), name
