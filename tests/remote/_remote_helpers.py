"""What the tests of httptestserver.remote share: a stdlib client of the
control API, servers with it on, child servers, and ways to tell that a
process is gone.

Fixtures defined here are imported by the test modules that use them; a
module-scoped child is one per test module (a child start costs a fresh
interpreter, so the tests of a module share one).  Each fixture function is
named ``fixture_<name>`` and registered as ``<name>`` (pytest's ``name=``),
so a test's ``server`` or ``child`` argument does not shadow the imported
function (flake8's F811).
"""
import errno
import json
import os
import select
import time

import pytest
from six.moves.urllib import error as urlerror
from six.moves.urllib import request as urlrequest

import httptestserver
from httptestserver.remote.control import enable_control
from httptestserver.remote.process import ChildServer

from conftest import TIMEOUT

#: The checkout, whose package a child started from a test imports.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

#: A WireMock mapping with a method, a path and a header condition.
STUB = {'request': {'method': 'POST', 'urlPath': '/users',
                    'headers': {'X-Token': {'equalTo': 'abc'}}},
        'response': {'status': 201, 'jsonBody': {'id': 1}}}


def call(method, url, document=None, headers=None):
    """Call the control API with the standard library; return (status,
    decoded JSON)."""
    data = None if document is None else json.dumps(document).encode('utf-8')
    sent = {'Content-Type': 'application/json'}  # as WireMock clients send
    sent.update(headers or {})
    req = urlrequest.Request(url, data=data, headers=sent)
    req.get_method = lambda: method
    try:
        response = urlrequest.urlopen(req, timeout=TIMEOUT)
    except urlerror.HTTPError as exc:
        response = exc
    try:
        return response.getcode(), json.loads(response.read().decode('utf-8'))
    finally:
        response.close()


def admin(server, path=''):
    """The URL of *path* under the control API of the in-thread *server*."""
    return server.control.url(path)


@pytest.fixture(name='server')
def fixture_server():
    """An in-thread HTTP server with the control API on."""
    with httptestserver.http_server() as server:
        enable_control(server)
        yield server


@pytest.fixture(name='shared', scope='module')
def fixture_shared():
    """One child server for the tests of a module; gone afterwards."""
    child = ChildServer()
    try:
        yield child
    finally:
        child.stop()
    assert gone(child.pid)


@pytest.fixture(name='child')
def fixture_child(shared):
    """The module's child server, reset, and checked after the test."""
    shared.reset()
    yield shared
    shared.check()


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


def read_ready(stream, timeout=TIMEOUT):
    """Read one line of words from a child's *stream*, bounded in time;
    return the words."""
    poller = select.poll()
    poller.register(stream.fileno(), select.POLLIN)
    data = b''
    deadline = time.time() + timeout
    while not data.endswith(b'\n'):
        remaining = deadline - time.time()
        assert remaining > 0 and poller.poll(remaining * 1000), \
            'no line within %ss: %r' % (timeout, data)
        chunk = os.read(stream.fileno(), 4096)
        assert chunk, 'the process exited: %r' % (data,)
        data += chunk
    return data.decode('ascii').split()
