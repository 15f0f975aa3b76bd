"""WebSocket test helpers shared by test_websocket.py (the endpoint) and
test_sessions.py (the session on the socket): the ``ws`` and ``wsc``
fixtures and websocket-client connections to a server.

A plugin of the suite (``pytest_plugins`` in conftest.py), so its fixtures
reach every test; import the plain helpers from it by name.
"""
import pytest

from httptestserver.streams.websocket import WebSocket

from conftest import TIMEOUT


@pytest.fixture
def ws(server):
    socket_route = WebSocket(server=server)
    server.route('/ws', socket_route)
    return socket_route


@pytest.fixture
def wsc():
    return pytest.importorskip('websocket')


def ws_url(server, path='/ws'):
    return ('wss' if server.scheme == 'https' else 'ws') + \
        server.url(path)[len(server.scheme):]


def connect(wsc, server, path='/ws', **kwargs):
    sslopt = {}
    if server.scheme == 'https':
        sslopt = {'ca_certs': server.ca_file}
    return wsc.create_connection(ws_url(server, path), timeout=TIMEOUT,
                                 sslopt=sslopt, **kwargs)
