"""Claims the guide pages make in prose, where no example shows them.

Each test names the page that makes the claim; when one fails, fix the page
along with the code.
"""
import datetime
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading

import pytest
import requests

import httptestserver
from httptestserver import http_server, https_server

from conftest import TIMEOUT

HAS_TLS13 = getattr(ssl, 'HAS_TLSv1_3', False) and hasattr(ssl, 'TLSVersion')


def _set_cookie(cookies):
    with http_server() as server:
        server.route('/', cookies=cookies)
        response = requests.get(server.url('/'), timeout=TIMEOUT)
    return response.raw.headers.getlist('Set-Cookie')


def test_cookie_expires_string_is_sent_verbatim():
    # responses.rst, "Cookies"
    assert _set_cookie({'a': {'value': '1', 'expires':
                              'Tue, 01 Jan 2030 00:00:00 GMT'}}) == \
        ['a=1; Expires=Tue, 01 Jan 2030 00:00:00 GMT']


def test_cookie_expires_datetime_and_number_are_not_converted():
    # responses.rst, "Cookies": written with str(), which clients cannot read
    when = datetime.datetime(2030, 1, 1)
    assert _set_cookie({'a': {'value': '1', 'expires': when}}) == \
        ['a=1; Expires=2030-01-01 00:00:00']
    assert _set_cookie({'a': {'value': '1', 'expires': 1893456000}}) == \
        ['a=1; Expires=1893456000']


def test_cookie_attribute_none_is_left_out():
    # responses.rst, "Cookies"
    assert _set_cookie({'a': {'value': '1', 'expires': None,
                              'secure': False}}) == ['a=1']


def test_cli_prints_exactly_these_lines_over_http():
    # server.rst, "From the command line"
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    process = subprocess.Popen(
        [sys.executable, '-m', 'httptestserver', '--quiet'],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    timer = threading.Timer(TIMEOUT, process.kill)
    timer.start()
    try:
        first = process.stdout.readline().decode('utf-8')
        second = process.stdout.readline().decode('utf-8')
        third = process.stdout.readline().decode('utf-8')
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate()
    finally:
        timer.cancel()
    assert first.startswith('Serving on http://127.0.0.1:')
    assert first.endswith('/\n')
    assert second == 'Control API: %s__admin/\n' % first.split()[-1]
    assert third == 'Press Ctrl-C to stop.\n'
    assert rest.decode('utf-8') == 'Stopped.\n'
    assert process.returncode == 0


def _connect(server, context):
    raw = socket.create_connection((server.host, server.port),
                                   timeout=TIMEOUT)
    try:
        return context.wrap_socket(raw, server_hostname=server.host)
    except Exception:
        raw.close()
        raise


@pytest.mark.skipif(not hasattr(ssl, 'TLSVersion'),
                    reason='ssl.TLSVersion needs Python 3.7')
def test_tls12_refuses_a_missing_client_certificate_in_the_handshake():
    # https.rst, "Mutual TLS"
    with https_server(client_cert='required') as server:
        context = server.client_context()
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        with pytest.raises(ssl.SSLError):
            _connect(server, context).close()
        assert server.history == []


@pytest.mark.skipif(not HAS_TLS13, reason='TLS 1.3 needs Python 3.7 and '
                    'OpenSSL 1.1.1')
def test_tls13_refuses_a_missing_client_certificate_after_the_handshake():
    # https.rst, "Mutual TLS": connect succeeds, the first read or write fails
    with https_server(client_cert='required') as server:
        context = server.client_context()
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        client = _connect(server, context)        # the handshake "succeeds"
        try:
            assert client.version() == 'TLSv1.3'
            with pytest.raises((ssl.SSLError, OSError)):
                client.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
                if not client.recv(1024):
                    raise OSError('closed without a response')
        finally:
            client.close()
        assert server.history == []


def test_optional_client_cert_with_no_certificate_is_served_and_recorded():
    # https.rst, "Mutual TLS": the table of 'optional'
    with https_server(client_cert='optional') as server:
        assert requests.get(server.url('/'), timeout=TIMEOUT,
                            verify=server.ca_file).ok
        assert server.history[0]['tls']['client_cert'] is None


def test_update_state_returns_nothing_as_the_server_page_says():
    # server.rst, "Writing a handler": update_state() copies the request
    # into data and returns None (0.1.0's hooks return nothing that matters)
    returned = []

    class Probe(httptestserver.Handler):
        def handle_request(self):
            returned.append(self.update_state())
            super(Probe, self).handle_request()

    with http_server(handler=Probe) as server:
        assert requests.get(server.url('/'), timeout=TIMEOUT).ok
    assert returned == [None]
    docs = os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), 'docs')
    for name in sorted(os.listdir(docs)):
        if name.endswith('.rst'):
            with open(os.path.join(docs, name)) as page:
                text = ' '.join(page.read().split())
            assert 'and returns the ``response_*`` settings' not in text, \
                '%s says update_state() returns the settings' % name


def test_the_command_line_page_lists_every_option_and_stdout_line():
    # server.rst, "From the command line": the contract in full
    from httptestserver import cli
    docs = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..',
                        'docs', 'server.rst')
    if not os.path.exists(docs):  # pragma: no cover - run from a checkout
        pytest.skip('no docs beside the tests')
    with open(docs) as handle:
        page = handle.read()
    section = page[page.index('.. _command-line:'):]
    options = [option for action in cli._parser()._actions
               for option in action.option_strings]
    assert len(options) > 15
    for option in options:
        assert '``%s' % option in section, option
    with open(cli.__file__.replace('.pyc', '.py')) as handle:
        source = handle.read()
    for label in ('Serving on', 'Trust the test CA:', 'Control API:',
                  'Control token:', 'Stubs:', 'Press Ctrl-C to stop.',
                  'Stopped.'):
        assert "sys.stdout.write('%s" % label in source, label
        assert '``%s' % label in section, label


@pytest.mark.skipif(sys.version_info[0] < 3, reason='inspect.signature')
def test_the_signatures_written_by_hand_in_api_rst_match_the_code():
    # api.rst: automethod lines that spell their signature out
    import inspect
    import re
    docs = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..',
                        'docs', 'api.rst')
    if not os.path.exists(docs):  # pragma: no cover - run from a checkout
        pytest.skip('no docs beside the tests')
    with open(docs) as handle:
        written = re.findall(r'\.\. automethod:: (\w+)(\(.*\))$',
                             handle.read(), re.MULTILINE)
    assert len(written) >= 2
    for name, signature in written:
        code = str(inspect.signature(getattr(httptestserver.Server, name)))
        assert code.replace('(self, ', '(') == signature, name
