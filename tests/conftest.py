"""Shared fixtures: a started server over both schemes, client settings, and
recorded request dicts for matcher tests.

Every client call in the suite has a timeout; ``TIMEOUT`` is the one to use.
Fixtures shared by the test files of one sub-package live in helper modules
loaded as plugins below (``_static_site.py``, ``_websocket_clients.py``).
"""
import shutil
import socket
import threading

import pytest

import httptestserver
from httptestserver.headers import Headers

pytest_plugins = ["pytester", "_static_site", "_websocket_clients"]

#: Seconds any client call in the tests may take before it counts as a hang.
TIMEOUT = 10


def pytest_configure(config):
    # A thread that dies with an exception is a bug here, never noise.
    if hasattr(pytest, 'PytestUnhandledThreadExceptionWarning'):
        config.addinivalue_line(
            'filterwarnings',
            'error::pytest.PytestUnhandledThreadExceptionWarning')


def which(name):
    """Return the path of the program *name*, or None."""
    find = getattr(shutil, 'which', None)
    if find is None:  # Python 2
        from distutils.spawn import find_executable as find
    return find(name)


def _has_ipv6():
    if not socket.has_ipv6:
        return False
    sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    try:
        sock.bind(('::1', 0))
        return True
    except socket.error:
        return False
    finally:
        sock.close()


HAS_IPV6 = _has_ipv6()
needs_ipv6 = pytest.mark.skipif(not HAS_IPV6,
                                reason='this machine has no IPv6 loopback')


@pytest.fixture(params=['http', 'https'])
def scheme(request):
    return request.param


@pytest.fixture
def server(scheme):
    """A started server for *scheme*, stopped and checked afterwards: a test
    that leaves a server-side error or an unexpected request unclaimed (by
    calling ``check()`` itself) fails."""
    srv = httptestserver.Server(scheme=scheme).start()
    try:
        yield srv
    finally:
        srv.stop()
    srv.check()


@pytest.fixture
def with_timeout(server):
    """``requests`` keyword arguments that reach *server*: timeout, trust."""
    kws = {'timeout': TIMEOUT}
    if server.scheme == 'https':
        kws['verify'] = httptestserver.CA_FILE
    return kws


@pytest.fixture
def ssl_context(server):
    """What stdlib clients need to reach *server* (None for plain HTTP)."""
    if server.scheme == 'https':
        return server.client_context()
    return None


def communicate(process, timeout, data=None):
    """``process.communicate(data)``, the process killed after *timeout*
    seconds (Python 2's communicate() has no timeout).  Returns ``(out,
    err, killed)``."""
    killed = []

    def kill():
        killed.append(True)
        process.kill()

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        out, err = process.communicate(data)
    finally:
        timer.cancel()
        timer.join(timeout)
    return out, err, bool(killed)


def raw_connect(server, timeout=TIMEOUT):
    """Open a raw socket (TLS-wrapped for HTTPS) to *server*."""
    sock = socket.create_connection((server.host, server.port),
                                    timeout=timeout)
    if server.scheme == 'https':
        sock = server.client_context().wrap_socket(
            sock, server_hostname='localhost')
    return sock


def read_until_closed(sock, limit=1 << 20):
    """Read everything until the peer closes (bounded by *limit* bytes)."""
    chunks = []
    total = 0
    while total < limit:
        chunk = sock.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b''.join(chunks)


def read_response(sock):
    """Read one Content-Length framed response; return (head, body)."""
    data = b''
    while b'\r\n\r\n' not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError('connection closed mid-head: %r' % data)
        data += chunk
    head, _, rest = data.partition(b'\r\n\r\n')
    length = 0
    for line in head.split(b'\r\n')[1:]:
        name, _, value = line.partition(b':')
        if name.strip().lower() == b'content-length':
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError('connection closed mid-body')
        rest += chunk
    return head, rest


def closed_by_peer(sock):
    """True if the peer closed *sock*: EOF, or (2.7 on OpenSSL 3, which does
    not know OpenSSL 3's "unexpected eof" code) an SSL error saying so."""
    try:
        return sock.recv(10) == b''
    except socket.error as exc:  # ssl.SSLError derives from socket.error
        return 'eof' in str(exc).lower() or 'reset' in str(exc).lower()


def recorded_request(method='GET', path='/', headers=(), body=b'',
                     cookies=None, json_body=None):
    """Return a request dict as the server records it (for matchers)."""
    url_path, _, query_string = path.partition('?')
    query = {}
    for pair in query_string.split('&') if query_string else []:
        name, _, value = pair.partition('=')
        query.setdefault(name, []).append(value)
    return {'method': method, 'path': path, 'url_path': url_path,
            'query': query, 'headers': Headers(list(headers)),
            'cookies': cookies or {}, 'body': body, 'json': json_body}


#: The example key of RFC 6455 section 1.3.
WEBSOCKET_KEY = 'dGhlIHNhbXBsZSBub25jZQ=='


def upgrade_request(**headers):
    """A recorded WebSocket upgrade request dict; keyword headers override
    (``_`` in names becomes ``-``; None removes the header)."""
    base = {'Host': 'x', 'Upgrade': 'websocket', 'Connection': 'Upgrade',
            'Sec-WebSocket-Key': WEBSOCKET_KEY, 'Sec-WebSocket-Version': '13'}
    base.update(headers)
    items = [(k.replace('_', '-'), v) for k, v in base.items()
             if v is not None]
    return {'method': 'GET', 'request_version': 'HTTP/1.1',
            'headers': Headers(items)}


@pytest.fixture
def tcp_pair():
    """A connected loopback TCP pair: (the server's side, the client's)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind(('127.0.0.1', 0))
        listener.listen(1)
        near = socket.create_connection(listener.getsockname(),
                                        timeout=TIMEOUT)
        far, _ = listener.accept()
    finally:
        listener.close()
    far.settimeout(TIMEOUT)
    try:
        yield far, near
    finally:
        far.close()
        near.close()
