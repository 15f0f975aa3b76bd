"""WireMock's own tools for the tests: its jar and its Node admin client.

Both come from npm: the ``wiremock`` package ships the standalone jar and
``wiremock-rest-client`` is the Node admin client.  They are installed once
into ``.cache/node`` at the top of the checkout (ignored by git; set
``HTTPTESTSERVER_NODE_CACHE`` for another folder) by the first test that
needs them, with ``npm install``; where npm, Node or Java is missing, or
the install fails, the tests that need them skip and say why.
"""
import contextlib
import os
import shutil
import socket
import subprocess
import threading

import pytest

#: The versions the tests are written against.
WIREMOCK = 'wiremock@3.13.2'
REST_CLIENT = 'wiremock-rest-client@1.11.0'
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CACHE = os.environ.get('HTTPTESTSERVER_NODE_CACHE') or os.path.join(
    ROOT, '.cache', 'node')
_LOCK = threading.Lock()
#: Where a failed install is remembered, so that the other interpreters of
#: a tox run skip at once instead of trying (and waiting) again.
FAILED = os.path.join(CACHE, '.install-failed')


def _npm_cafile(npm):
    """The CA file npm's own configuration names, or None.  ``--prefix``
    makes npm read its "global" configuration from under the prefix, so a
    machine whose registry needs a CA of its own (set in npm's global
    npmrc) would lose it: it is passed on explicitly."""
    try:
        found = subprocess.run([npm, 'config', 'get', 'cafile'],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    path = found.stdout.decode('utf-8', 'replace').strip()
    return path if path and os.path.isfile(path) else None


@contextlib.contextmanager
def _across_processes():
    """Hold an exclusive lock on the cache folder: tox runs interpreters in
    parallel, and two ``npm install`` into one folder clash."""
    if not os.path.isdir(CACHE):
        os.makedirs(CACHE)
    with open(os.path.join(CACHE, '.lock'), 'w') as handle:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock
            yield
            return
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def node_modules():
    """Return the node_modules folder holding both packages, installing
    them if needed; skip the test (with the reason) when that fails."""
    modules = os.path.join(CACHE, 'node_modules')
    wanted = [os.path.join(modules, 'wiremock', 'build'),
              os.path.join(modules, 'wiremock-rest-client', 'dist')]
    with _LOCK, _across_processes():
        if all(os.path.isdir(p) for p in wanted):
            return modules
        npm = shutil.which('npm') if hasattr(shutil, 'which') else None
        if npm is None:
            pytest.skip('npm is not installed: it brings the WireMock jar '
                        'and wiremock-rest-client')
        if os.path.exists(FAILED):
            with open(FAILED) as handle:
                pytest.skip(handle.read())
        command = [npm, 'install', '--prefix', CACHE, '--no-audit',
                   '--no-fund', '--no-save', '--fetch-retries', '1',
                   WIREMOCK, REST_CLIENT]
        cafile = _npm_cafile(npm)
        if cafile is not None:
            command[2:2] = ['--cafile', cafile]
        try:
            done = subprocess.run(command, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, timeout=300)
            why = None if done.returncode == 0 and all(
                os.path.isdir(p) for p in wanted) else \
                'npm install of %s and %s failed: %s' % (
                    WIREMOCK, REST_CLIENT,
                    done.stdout.decode('utf-8', 'replace')[-300:])
        except subprocess.TimeoutExpired:
            why = 'npm install of %s and %s took over 5 minutes' % (
                WIREMOCK, REST_CLIENT)
        if why is not None:
            with open(FAILED, 'w') as handle:
                handle.write(why)
            pytest.skip(why)
    return modules


def wiremock_jar():
    """Return the path of WireMock's standalone jar, or skip."""
    if (shutil.which('java') if hasattr(shutil, 'which') else None) is None:
        pytest.skip('Java is not installed: WireMock\'s jar needs it')
    build = os.path.join(node_modules(), 'wiremock', 'build')
    jars = [n for n in os.listdir(build) if n.endswith('.jar')]
    if not jars:
        pytest.skip('the npm wiremock package holds no jar in %s' % build)
    return os.path.join(build, jars[0])


def free_port():
    """A port free on 127.0.0.1 now (WireMock takes a port number)."""
    sock = socket.socket()
    try:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]
    finally:
        sock.close()


class WireMockProcess(object):
    """WireMock's jar run on 127.0.0.1 with *root* as its root directory;
    a context manager that waits (bounded) for its "started" line and
    stops it on exit."""

    def __init__(self, root, timeout=60.0):
        self.root = root
        self.timeout = timeout
        self.port = free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(
            ['java', '-jar', wiremock_jar(), '--port', str(self.port),
             '--bind-address', '127.0.0.1', '--root-dir', self.root,
             '--disable-banner'],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        started = threading.Event()
        lines = []

        def read():
            for line in iter(self.process.stdout.readline, b''):
                lines.append(line)
                if b'server is started' in line:
                    started.set()
        reader = threading.Thread(target=read)
        reader.daemon = True
        reader.start()
        if not started.wait(self.timeout):
            self.__exit__(None, None, None)
            raise AssertionError('WireMock did not start within %ss: %r'
                                 % (self.timeout, b''.join(lines)[-500:]))
        return self

    def __exit__(self, *exc):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        if self.process is not None:
            self.process.stdout.close()
