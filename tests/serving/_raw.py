"""Helpers shared by the tests that speak HTTP/1.1 byte for byte to a
server (``test_channel.py``, ``test_handler.py``): raw connections, an echo
route, and servers started per test."""
import contextlib
import re

import pytest

from httptestserver import Server

from conftest import raw_connect
from rawhttp import RawConnection, request

ECHO = re.compile(r'/.*')
#: How long a test waits to show that something does *not* arrive.
QUIET = 0.2


def connect(server):
    """Return a :class:`RawConnection` to *server* (a context manager)."""
    return RawConnection(raw_connect(server))


def echo(request_):
    """A callable route body: the method and target the server recorded."""
    return '%s %s' % (request_['method'], request_['path'])


def echo_server(server):
    server.route(ECHO, echo)
    return server


def assert_still_serving(server, path='/still-serving'):
    """Assert a new client on a new connection gets a normal answer."""
    server.route(path, body=b'still serving')
    with connect(server) as conn:
        response = conn.exchange(request('GET', path))
    assert response.status == 200
    assert server.history[-1]['path'] == path
    return response


@pytest.fixture
def make_server(scheme):
    """Create and start servers of *scheme*; stop them all afterwards."""
    servers = []

    def make(**kws):
        srv = Server(scheme=scheme, **kws).start()
        servers.append(srv)
        return srv
    try:
        yield make
    finally:
        for srv in servers:
            srv.stop()


@contextlib.contextmanager
def started_server(scheme):
    """A server of *scheme* for a test that is about one scheme only."""
    srv = Server(scheme=scheme).start()
    try:
        yield srv
    finally:
        srv.stop()


# -- keep-alive and pipelining ---------------------------------------------
