"""0.1.0's names on a real server: it was an HTTPServer and a Thread."""
import socket

import pytest

import httptestserver
from conftest import TIMEOUT


def port_is_free(address):
    sock = socket.socket()
    try:
        sock.settimeout(TIMEOUT)
        return sock.connect_ex(address) != 0
    finally:
        sock.close()


@pytest.fixture
def server():
    srv = httptestserver.Server()
    try:
        yield srv
    finally:
        srv.stop()


def test_server_address_is_the_address(server):
    assert server.server_address == server.address
    assert server.server_address[0] == '127.0.0.1'
    assert server.server_address[1] == server.port


def test_is_alive_is_false_before_start_and_true_while_serving(server):
    assert not server.is_alive()
    server.start()
    assert server.is_alive()
    assert server.isAlive()


def test_is_alive_is_false_after_shutdown(server):
    server.start()
    server.shutdown()
    assert not server.is_alive()
    assert not server.running


def test_shutdown_frees_the_port(server):
    server.start()
    address = server.server_address
    server.shutdown()
    assert port_is_free(address)


def test_server_close_stops_the_server(server):
    server.start()
    server.server_close()
    assert not server.is_alive()
    assert not server.running


def test_shutdown_then_server_close_is_harmless(server):
    server.start()
    server.shutdown()
    server.server_close()


def test_join_returns_once_the_server_stopped(server):
    server.start()
    server.stop()
    server.join(TIMEOUT)
    assert not server.is_alive()


def test_join_with_a_timeout_returns_while_the_server_runs(server):
    server.start()
    server.join(0.01)
    assert server.is_alive()


def test_join_before_start_returns_at_once(server):
    server.join(TIMEOUT)
    assert not server.is_alive()


def test_start_server_classmethod_returns_a_started_http_server():
    server = httptestserver.Server.start_server()
    try:
        assert server.scheme == 'http'
        assert server.is_alive()
        assert server.running
    finally:
        server.stop()


def test_start_server_takes_host_and_port():
    server = httptestserver.Server.start_server('127.0.0.1', 0)
    try:
        assert server.server_address[0] == '127.0.0.1'
        assert server.is_alive()
    finally:
        server.stop()


def test_start_ssl_server_classmethod_returns_a_started_https_server():
    server = httptestserver.Server.start_ssl_server()
    try:
        assert server.scheme == 'https'
        assert server.is_alive()
        assert server.url('/').startswith('https://')
    finally:
        server.stop()
