"""The 0.1.0 functions and context managers."""
import pytest
import requests

import httptestserver
from httptestserver import CertificateError, Server, http_server, \
    https_server, start_server, start_ssl_server

from conftest import TIMEOUT


def test_start_server_returns_a_started_http_server():
    server = start_server()
    try:
        assert isinstance(server, Server) and server.running
        assert server.scheme == 'http'
        assert requests.get(server.url('/'), timeout=TIMEOUT).ok
    finally:
        server.stop()


def test_start_server_takes_host_and_port_positionally():
    with http_server() as probe:
        port = probe.port
    server = start_server('127.0.0.1', port)
    try:
        assert (server.host, server.port) == ('127.0.0.1', port)
    finally:
        server.stop()


def test_start_ssl_server_serves_the_bundled_certificate():
    server = start_ssl_server()
    try:
        assert server.scheme == 'https'
        assert server.url('/').startswith('https://127.0.0.1:')
        assert requests.get(server.url('/'), timeout=TIMEOUT,
                            verify=httptestserver.CA_FILE).ok
    finally:
        server.stop()


def test_start_ssl_server_with_cert_and_key_in_one_file():
    server = start_ssl_server(certfile=httptestserver.SERVER_CERT_FILE)
    try:
        assert requests.get(server.url('/'), timeout=TIMEOUT,
                            verify=httptestserver.CA_FILE).ok
    finally:
        server.stop()


def test_start_ssl_server_with_a_separate_keyfile():
    certfile = httptestserver.SERVER_CERT_FILE.replace('.pem', '.crt')
    server = start_ssl_server(None, None, certfile,
                              httptestserver.SERVER_KEY_FILE)
    try:
        assert requests.get(server.url('/'), timeout=TIMEOUT,
                            verify=httptestserver.CA_FILE).ok
    finally:
        server.stop()


def test_start_ssl_server_refuses_a_missing_certificate_at_once(tmpdir):
    missing = str(tmpdir.join('nope.pem'))
    with pytest.raises(CertificateError) as info:
        start_ssl_server(certfile=missing)
    assert missing in str(info.value)


def test_server_classmethods_start_servers():
    for server in (Server.start_server('127.0.0.1', None),
                   Server.start_ssl_server('127.0.0.1', None, None, None)):
        try:
            assert server.running
            assert requests.get(server.url('/'), timeout=TIMEOUT,
                                verify=httptestserver.CA_FILE).ok
        finally:
            server.stop()


def test_context_managers_stop_on_exit():
    with http_server() as plain, https_server() as secure:
        assert plain.running and secure.running
        assert secure.scheme == 'https'
    assert not plain.running and not secure.running


def test_context_manager_stops_when_the_block_raises():
    with pytest.raises(RuntimeError):
        with http_server() as server:
            raise RuntimeError('test failed')
    assert not server.running
