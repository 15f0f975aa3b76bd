"""HTTPS at the server level: trust, mutual TLS, recorded TLS facts."""
import ssl
import socket
import subprocess
import sys

import pytest
import requests

import httptestserver
from httptestserver import ConfigurationError, Server, https_server

from conftest import TIMEOUT, communicate, needs_ipv6, which

OPENSSL = which('openssl')
needs_openssl = pytest.mark.skipif(OPENSSL is None,
                                   reason='no openssl command')


def s_client(server, *options, **keywords):
    """Run ``openssl s_client`` against *server*, feeding it ``stdin``;
    return (exit status, output)."""
    command = [OPENSSL, 's_client', '-connect',
               '%s:%d' % (server.host, server.port),
               '-CAfile', httptestserver.CA_FILE] + list(options)
    process = subprocess.Popen(command, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    output, _, killed = communicate(process, TIMEOUT,
                                    keywords.get('stdin', b''))
    assert not killed, 'openssl s_client still running after %ss' % TIMEOUT
    return process.returncode, output.decode('utf-8', 'replace')


def test_a_client_that_trusts_the_test_ca_verifies():
    with https_server() as server:
        assert server.ca_file == httptestserver.CA_FILE
        assert requests.get(server.url('/'), timeout=TIMEOUT,
                            verify=server.ca_file).ok


def test_a_client_without_the_test_ca_fails_verification():
    with https_server() as server:
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(server.url('/'), timeout=TIMEOUT)


def test_localhost_verifies_too():
    with https_server(host='localhost') as server:
        assert server.url('/').startswith('https://localhost:')
        requests.get(server.url('/'), timeout=TIMEOUT,
                     verify=httptestserver.CA_FILE)
        assert server.history[0]['tls']['server_name'] == 'localhost'


@needs_ipv6
def test_ipv6_loopback_verifies():
    with https_server(host='::1') as server:
        assert server.url('/') == 'https://[::1]:%d/' % server.port
        assert requests.get(server.url('/'), timeout=TIMEOUT,
                            verify=httptestserver.CA_FILE).ok


def test_tls_facts_are_recorded_per_request():
    with https_server() as server:
        requests.get(server.url('/'), timeout=TIMEOUT,
                     verify=httptestserver.CA_FILE)
        tls = server.history[0]['tls']
        assert tls['version'] in ('TLSv1.2', 'TLSv1.3')
        assert tls['cipher']
        assert tls['client_cert'] is None
        assert server.history[0]['scheme'] == 'https'


def test_an_idna_server_name_is_recorded_as_its_a_label():
    # The certificate does not name it, so the client does not verify.
    context = httptestserver.client_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with https_server() as server:
        sock = socket.create_connection((server.host, server.port),
                                        timeout=TIMEOUT)
        tls = context.wrap_socket(sock, server_hostname='xn--bcher-kva.test')
        try:
            tls.sendall(b'GET / HTTP/1.1\r\nHost: xn--bcher-kva.test\r\n'
                        b'Connection: close\r\n\r\n')
            assert tls.recv(12) == b'HTTP/1.1 200'
        finally:
            tls.close()
        assert server.history[0]['tls']['server_name'] == 'xn--bcher-kva.test'


@needs_openssl
def test_a_utf8_server_name_fails_the_handshake_and_the_server_serves_on(
        monkeypatch, capsys):
    # CPython decodes the SNI name before calling the server's callback (as
    # ASCII from 3.7, with the idna codec before) and, when that raises,
    # fails the handshake with an internal_error alert (see the ssl docs of
    # SSLContext.sni_callback).  Python 3 clients send an IDNA name as its
    # A-label; openssl s_client sends the bytes it is given.
    unraisable = []
    if hasattr(sys, 'unraisablehook'):  # Python 3.8+
        monkeypatch.setattr(sys, 'unraisablehook', unraisable.append)
    with https_server() as server:
        status, output = s_client(
            server, '-servername', u'b\u00fccher.test'.encode('utf-8'))
        assert status != 0, output
        assert 'alert internal error' in output, output
        assert server.history == []
        assert requests.get(server.url('/'), timeout=TIMEOUT,
                            verify=httptestserver.CA_FILE).ok
    if hasattr(sys, 'unraisablehook'):
        assert [type(u.exc_value) for u in unraisable] == [UnicodeDecodeError]
    else:  # Python 2 and 3.6 print it
        assert 'UnicodeDecodeError' in capsys.readouterr().err


@needs_openssl
def test_a_client_that_asks_to_renegotiate_is_refused():
    with https_server() as server:
        # s_client renegotiates on a line "R"; TLS 1.3 has no renegotiation.
        status, output = s_client(
            server, '-tls1_2', '-servername', 'localhost',
            stdin=b'R\nGET / HTTP/1.1\r\nHost: localhost\r\n\r\n')
        assert 'RENEGOTIATING' in output, output
        assert 'no renegotiation' in output, output
        assert server.history == []


def test_plain_http_requests_have_no_tls_facts():
    with httptestserver.http_server() as server:
        requests.get(server.url('/'), timeout=TIMEOUT)
        assert server.history[0]['tls'] is None


def test_client_context_is_a_ready_verifying_client():
    with https_server() as server:
        context = server.client_context()
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname
        sock = socket.create_connection((server.host, server.port),
                                        timeout=TIMEOUT)
        tls = context.wrap_socket(sock, server_hostname='127.0.0.1')
        try:
            tls.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n'
                        b'Connection: close\r\n\r\n')
            assert tls.recv(12) == b'HTTP/1.1 200'
        finally:
            tls.close()


def test_client_context_of_a_plain_server_is_refused():
    with httptestserver.http_server() as server:
        with pytest.raises(ConfigurationError, match='plain HTTP'):
            server.client_context()


def test_tls12_is_the_minimum():
    with https_server() as server:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT
                                 if hasattr(ssl, 'PROTOCOL_TLS_CLIENT')
                                 else ssl.PROTOCOL_SSLv23)
        context.load_verify_locations(httptestserver.CA_FILE)
        if hasattr(ssl, 'TLSVersion'):
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.maximum_version = ssl.TLSVersion.TLSv1_1
        else:  # Python 2 / 3.6
            context.options |= ssl.OP_NO_TLSv1_2 | getattr(
                ssl, 'OP_NO_TLSv1_3', 0)
        context.set_ciphers('ALL:@SECLEVEL=0')
        sock = socket.create_connection((server.host, server.port),
                                        timeout=TIMEOUT)
        try:
            with pytest.raises((ssl.SSLError, socket.error)):
                context.wrap_socket(sock, server_hostname='localhost')
        finally:
            sock.close()
        # ...and the server keeps serving.
        assert requests.get(server.url('/'), timeout=TIMEOUT,
                            verify=httptestserver.CA_FILE).ok


CLIENT_PAIR = (httptestserver.CLIENT_CERT_FILE.replace('.pem', '.crt'),
               httptestserver.CLIENT_KEY_FILE)


def test_mutual_tls_required_and_given_records_the_subject():
    with https_server(client_cert='required') as server:
        response = requests.get(server.url('/'), timeout=TIMEOUT,
                                verify=httptestserver.CA_FILE,
                                cert=httptestserver.CLIENT_CERT_FILE)
        assert response.ok
        client = server.history[0]['tls']['client_cert']
        assert client['verified'] is True
        assert client['subject']['commonName'] == 'httptestserver test client'


def test_mutual_tls_required_and_missing_fails_and_the_server_serves_on():
    with https_server(client_cert='required') as server:
        with pytest.raises(requests.exceptions.RequestException):
            requests.get(server.url('/'), timeout=TIMEOUT,
                         verify=httptestserver.CA_FILE)
        assert server.history == []
        assert requests.get(server.url('/'), timeout=TIMEOUT,
                            verify=httptestserver.CA_FILE,
                            cert=CLIENT_PAIR).ok


def test_mutual_tls_optional_and_absent():
    with https_server(client_cert='optional') as server:
        assert requests.get(server.url('/'), timeout=TIMEOUT,
                            verify=httptestserver.CA_FILE).ok
        assert server.history[0]['tls']['client_cert'] is None


def test_mutual_tls_with_the_ready_client_context():
    with https_server(client_cert='required') as server:
        context = server.client_context(client_cert=True)
        from six.moves.urllib.request import urlopen
        response = urlopen(server.url('/'), context=context,
                           timeout=TIMEOUT)
        try:
            assert response.status == 200 if hasattr(response, 'status') \
                else response.getcode() == 200
        finally:
            response.close()
        assert server.history[0]['tls']['client_cert'] is not None


def test_client_cert_values_are_checked():
    with pytest.raises(ConfigurationError) as info:
        Server(scheme='https', client_cert='always')
    assert 'client_cert' in str(info.value)


def test_own_certificate_without_cafile_has_no_ca_to_trust():
    with https_server(certfile=httptestserver.SERVER_CERT_FILE) as server:
        assert server.ca_file is None
        with pytest.raises(ConfigurationError, match='cafile='):
            server.client_context()
    with https_server(certfile=httptestserver.SERVER_CERT_FILE,
                      cafile=httptestserver.CA_FILE) as server:
        assert requests.get(server.url('/'), timeout=TIMEOUT,
                            verify=server.ca_file).ok
