"""The server driven by every real client, over HTTP and HTTPS.

Each test checks both sides: what the client got back, and what the server
recorded in ``server.history``.  HTTPS clients trust the bundled test CA and
verify the certificate; every TLS success has a twin where a client given no
CA must fail verification.  Every client call has a timeout, every thread and
subprocess is bounded, every client is closed.

Clients: requests, urllib3, the stdlib (urlopen, http.client), the curl
command, and on Python 3.8+ httpx (sync and async) and aiohttp, driven by
plain asyncio from ``_async_clients`` (a module with ``async def``, imported
only there so this one stays valid Python 2.7).
"""
import json
import re
import socket
import ssl
import subprocess
import sys
import threading
import time

import pytest
import requests
import six
import urllib3
from requests.adapters import HTTPAdapter
from six.moves import http_client
from six.moves.urllib.error import URLError
from six.moves.urllib.request import Request, urlopen
from urllib3.util.retry import Retry

from httptestserver import CA_FILE, Server

from conftest import TIMEOUT, communicate, needs_ipv6, which

PY38 = sys.version_info >= (3, 8)
needs_py38 = pytest.mark.skipif(
    not PY38, reason='httpx and aiohttp are tested on Python 3.8+ only '
                     '(asyncio.run, and their supported versions)')
if PY38:
    import _async_clients
else:  # Python 2, 3.6, 3.7
    _async_clients = None

TLS_VERSIONS = ('TLSv1.2', 'TLSv1.3')
#: Threads (or coroutines) sending at the same time in the concurrency tests.
THREADS = 64


CURL = which('curl')
needs_curl = pytest.mark.skipif(CURL is None, reason='no curl command')


@pytest.fixture(autouse=True)
def _check_server(request):
    """Raise what went wrong in the server thread of a test's ``server``."""
    server = None
    if 'server' in request.fixturenames:
        server = request.getfixturevalue('server')
    yield
    if server is not None:
        server.check()


@pytest.fixture
def tls_server():
    """A started HTTPS server, for the tests that only make sense on TLS."""
    srv = Server(scheme='https').start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def thread_exceptions(monkeypatch, capsys):
    """Return a function listing errors that escaped a thread, as text.

    Python 3.8+ hands them to ``threading.excepthook`` (recorded here, then
    passed on to pytest's own hook); earlier versions print them to stderr.
    """
    seen = []
    hook = getattr(threading, 'excepthook', None)
    if hook is not None:
        def record(args):
            seen.append('%s in %s: %s' % (args.exc_type.__name__,
                                          args.thread.name, args.exc_value))
            hook(args)
        monkeypatch.setattr(threading, 'excepthook', record)

    def collected():
        if hook is None:  # Python 2, 3.6, 3.7
            err = capsys.readouterr().err
            seen.extend(line for line in err.splitlines()
                        if line.startswith('Exception in thread'))
        return list(seen)
    return collected


def assert_tls(entry, server):
    """Assert the recorded request came over TLS exactly when it should."""
    if server.scheme == 'https':
        assert entry['tls'] is not None, entry
        assert entry['tls']['version'] in TLS_VERSIONS
    else:
        assert entry['tls'] is None


def only(server):
    """Return the one request *server* recorded; fail if there were more."""
    history = server.history
    assert len(history) == 1, [e['path'] for e in history]
    return history[0]


def echo_path(request):
    """A route response: the request's path, so replies cannot be mixed."""
    return request['url_path']


# -- requests -----------------------------------------------------------------

def test_requests_get_sends_a_multi_valued_query(server, with_timeout):
    params = [('tag', 'a'), ('tag', 'b'), ('q', 'x y'), ('empty', '')]
    response = requests.get(server.url('/search'), params=params,
                            **with_timeout)

    assert response.status_code == 200
    assert response.content == b''
    entry = only(server)
    assert entry['method'] == 'GET'
    assert entry['url_path'] == '/search'
    assert entry['query_string'] == 'tag=a&tag=b&q=x+y&empty='
    assert entry['query'] == {'tag': ['a', 'b'], 'q': ['x y'], 'empty': ['']}
    assert entry['request_version'] == 'HTTP/1.1'
    assert entry['headers']['host'] == '%s:%d' % (server.url_host,
                                                  server.port)
    assert entry['response_status'] == 200
    assert_tls(entry, server)


def test_requests_post_json_is_decoded(server, with_timeout):
    document = {'name': u'Zo\xeb', 'tags': [1, 2], 'none': None}
    server.route('/items', method='POST', status=201, json={'id': 7})

    response = requests.post(server.url('/items'), json=document,
                             **with_timeout)

    assert response.status_code == 201
    assert response.json() == {'id': 7}
    assert response.headers['Content-Type'] == 'application/json'
    entry = only(server)
    assert entry['method'] == 'POST'
    assert entry['headers']['content-type'] == 'application/json'
    assert entry['json'] == document
    assert json.loads(entry['body'].decode('utf-8')) == document
    assert entry['form'] == {} and entry['files'] == {}


def test_requests_post_form_is_decoded(server, with_timeout):
    response = requests.post(server.url('/form'), data=[
        ('name', 'Ann Lee'), ('tag', 'x'), ('tag', 'y&z')], **with_timeout)

    assert response.status_code == 200
    entry = only(server)
    assert entry['headers']['Content-Type'] == \
        'application/x-www-form-urlencoded'
    assert entry['body'] == b'name=Ann+Lee&tag=x&tag=y%26z'
    assert entry['form'] == {'name': ['Ann Lee'], 'tag': ['x', 'y&z']}
    assert entry['json'] is None


def test_requests_multipart_upload_of_two_files(server, with_timeout):
    binary = bytes(bytearray(range(256))) * 4
    files = [('doc', ('notes.txt', b'hello\r\nworld\n', 'text/plain')),
             ('blob', ('data.bin', binary, 'application/octet-stream'))]

    response = requests.post(server.url('/upload'), files=files,
                             data={'title': 'two files'}, **with_timeout)

    assert response.status_code == 200
    entry = only(server)
    assert entry['headers']['content-type'].startswith(
        'multipart/form-data; boundary=')
    assert entry['form'] == {'title': ['two files']}
    assert entry['files'] == {
        'doc': [{'name': 'doc', 'filename': 'notes.txt',
                 'content_type': 'text/plain',
                 'content': b'hello\r\nworld\n'}],
        'blob': [{'name': 'blob', 'filename': 'data.bin',
                  'content_type': 'application/octet-stream',
                  'content': binary}],
    }


def test_requests_cookies_sent_are_recorded(server, with_timeout):
    response = requests.get(server.url('/'), cookies={
        'flavour': 'oat', 'sid': 'abc123'}, **with_timeout)

    assert response.status_code == 200
    entry = only(server)
    assert entry['cookies'] == {'flavour': 'oat', 'sid': 'abc123'}
    assert 'sid=abc123' in entry['headers']['cookie']


def test_requests_sees_cookies_the_server_sets(server, with_timeout):
    server.route('/c', cookies={'sid': {
        'value': 'abc', 'path': '/', 'httponly': True, 'max_age': 60,
        'samesite': 'Lax', 'secure': True}})
    server.route('/after')

    with requests.Session() as session:
        response = session.get(server.url('/c'), **with_timeout)
        session.get(server.url('/after'), **with_timeout)

    assert response.status_code == 200
    assert response.headers['Set-Cookie'] == \
        'sid=abc; HttpOnly; Max-Age=60; Path=/; SameSite=Lax; Secure'
    assert response.cookies.get('sid') == 'abc'
    cookie, = list(response.cookies)
    assert cookie.path == '/'
    assert cookie.secure
    assert cookie.has_nonstandard_attr('HttpOnly')
    assert cookie.expires is not None
    assert server.history[0]['response_headers']['set-cookie'] == \
        response.headers['Set-Cookie']
    # A Secure cookie goes back over HTTPS only.
    sent_back = {'sid': 'abc'} if server.scheme == 'https' else {}
    assert server.history[1]['cookies'] == sent_back


def test_requests_follows_a_redirect(server, with_timeout):
    server.route('/old', status=302, headers={'Location': '/new'})
    server.route('/new', body=b'you made it')

    response = requests.post(server.url('/old'), data=b'x', **with_timeout)

    assert response.status_code == 200
    assert response.content == b'you made it'
    assert response.url == server.url('/new')
    assert [r.status_code for r in response.history] == [302]
    # requests turns a POST answered with 302 into a GET, as browsers do.
    assert [(e['method'], e['path'], e['response_status'])
            for e in server.history] == [('POST', '/old', 302),
                                         ('GET', '/new', 200)]
    assert server.history[1]['body'] == b''


def test_requests_session_reuses_one_connection(server, with_timeout):
    with requests.Session() as session:
        for index in range(20):
            response = session.get(server.url('/r/%d' % index), **with_timeout)
            assert response.status_code == 200

    history = server.history
    assert [e['path'] for e in history] == ['/r/%d' % i for i in range(20)]
    assert len(set(e['client_address'] for e in history)) == 1


def test_requests_streams_a_chunked_response(server, with_timeout):
    server.route('/s', body=iter([b'a' * 1000, b'b' * 1000]))

    with requests.get(server.url('/s'), stream=True,
                      **with_timeout) as response:
        assert response.headers['Transfer-Encoding'] == 'chunked'
        assert 'Content-Length' not in response.headers
        body = b''.join(response.iter_content(chunk_size=None))

    assert body == b'a' * 1000 + b'b' * 1000
    entry = only(server)
    assert entry['response_status'] == 200
    assert entry['response_content'] is None  # streamed: not kept


def test_requests_retry_gets_through_a_flaky_route(server, with_timeout):
    server.route('/flaky', responses=[503, 503, 200])
    retry = Retry(total=5, status_forcelist=[503], backoff_factor=0)

    with requests.Session() as session:
        session.mount(server.url('/'), HTTPAdapter(max_retries=retry))
        response = session.get(server.url('/flaky'), **with_timeout)

    assert response.status_code == 200
    assert len(response.raw.retries.history) == 2
    entries = server.assert_requested('/flaky', times=3)
    assert [e['response_status'] for e in entries] == [503, 503, 200]


def test_requests_without_the_ca_fails_verification(tls_server):
    with pytest.raises(requests.exceptions.SSLError) as info:
        requests.get(tls_server.url('/'), timeout=TIMEOUT)

    assert 'CERTIFICATE_VERIFY_FAILED' in str(info.value)
    assert tls_server.history == []


@pytest.mark.parametrize('client', ['untrusting', 'plain-http'])
def test_a_failed_handshake_leaves_no_error_in_the_server_thread(
        tls_server, thread_exceptions, client):
    if client == 'untrusting':
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(tls_server.url('/'), timeout=TIMEOUT)
    else:
        response = requests.get(tls_server.url('/').replace('https:', 'http:'),
                                timeout=TIMEOUT)
        assert response.status_code == 400
        assert response.text == \
            'Client sent an HTTP request to an HTTPS server.\n'

    tls_server.stop()  # joins the connection threads

    assert thread_exceptions() == []
    assert tls_server.history == []
    tls_server.check()


# -- urllib3 ------------------------------------------------------------------

def _pool_manager(server, trust='ca_certs'):
    if server.scheme == 'http':
        return urllib3.PoolManager()
    if trust == 'ca_certs':
        return urllib3.PoolManager(cert_reqs='CERT_REQUIRED',
                                   ca_certs=CA_FILE)
    return urllib3.PoolManager(ssl_context=server.client_context())


def test_urllib3_get_and_post(server):
    with _pool_manager(server) as pool:
        got = pool.request('GET', server.url('/u'),
                           fields=[('a', '1'), ('a', '2')], timeout=TIMEOUT)
        posted = pool.request('POST', server.url('/u'), body=b'{"k": [1]}',
                              headers={'Content-Type': 'application/json'},
                              timeout=TIMEOUT)

    assert (got.status, got.data) == (200, b'')
    assert posted.status == 200
    first, second = server.history
    assert first['query'] == {'a': ['1', '2']}
    assert second['method'] == 'POST'
    assert second['json'] == {'k': [1]}
    assert second['headers']['content-length'] == '10'
    assert first['client_address'] == second['client_address']
    assert_tls(second, server)


URLLIB3_1 = urllib3.__version__.startswith('1.')


@pytest.mark.parametrize('host', [
    'localhost',
    pytest.param('127.0.0.1', marks=pytest.mark.xfail(
        URLLIB3_1, strict=True, raises=ValueError,
        reason='urllib3 1.26 passes no server_hostname for an IP address, '
               'so wrapping with a check_hostname=True context raises '
               '"check_hostname requires server_hostname"')),
])
def test_urllib3_trusts_an_ssl_context(tls_server, host):
    url = 'https://%s:%d/ctx' % (host, tls_server.port)
    with _pool_manager(tls_server, 'ssl_context') as pool:
        response = pool.request('GET', url, timeout=TIMEOUT)

    assert response.status == 200
    entry = only(tls_server)
    assert entry['path'] == '/ctx'
    assert entry['tls']['version'] in TLS_VERSIONS


def test_urllib3_retry_gets_through_a_flaky_route(server):
    server.route('/flaky', responses=[503, 503, 200])
    retry = Retry(total=5, status_forcelist=[503], backoff_factor=0)

    with _pool_manager(server) as pool:
        response = pool.request('GET', server.url('/flaky'), retries=retry,
                                timeout=TIMEOUT)

    assert response.status == 200
    assert [h.status for h in response.retries.history] == [503, 503]
    entries = server.assert_requested('/flaky', times=3)
    assert [e['response_status'] for e in entries] == [503, 503, 200]


def test_urllib3_without_the_ca_fails_verification(tls_server):
    with urllib3.PoolManager(cert_reqs='CERT_REQUIRED') as pool:
        with pytest.raises(urllib3.exceptions.SSLError):
            pool.request('GET', tls_server.url('/'), retries=False,
                         timeout=TIMEOUT)

    assert tls_server.history == []


# -- the standard library -----------------------------------------------------

def test_urlopen_get_and_post(server, ssl_context):
    server.route('/hello', body=b'hi there')

    response = urlopen(server.url('/hello'), context=ssl_context,
                       timeout=TIMEOUT)
    try:
        assert response.getcode() == 200
        assert response.read() == b'hi there'
    finally:
        response.close()
    request = Request(server.url('/hello'), data=b'k=v&k=w',
                      headers={'X-Test': 'yes'})
    response = urlopen(request, context=ssl_context, timeout=TIMEOUT)
    try:
        assert response.read() == b'hi there'
    finally:
        response.close()

    first, second = server.history
    assert first['method'] == 'GET'
    assert first['headers']['user-agent'].startswith('Python-urllib/')
    assert second['method'] == 'POST'
    assert second['form'] == {'k': ['v', 'w']}
    assert second['headers']['x-test'] == 'yes'
    assert_tls(second, server)


def test_urlopen_with_a_default_context_fails_verification(tls_server):
    with pytest.raises((URLError, ssl.SSLError)) as info:
        urlopen(tls_server.url('/'), context=ssl.create_default_context(),
                timeout=TIMEOUT).close()

    assert 'CERTIFICATE_VERIFY_FAILED' in str(info.value)
    assert tls_server.history == []


def _connection(server, context):
    if server.scheme == 'https':
        return http_client.HTTPSConnection(server.host, server.port,
                                           timeout=TIMEOUT, context=context)
    return http_client.HTTPConnection(server.host, server.port,
                                      timeout=TIMEOUT)


def test_http_client_keeps_the_connection_alive(server, ssl_context):
    conn = _connection(server, ssl_context)
    ports = []
    try:
        for index in range(5):
            conn.request('GET', '/k/%d' % index)
            response = conn.getresponse()
            assert response.status == 200
            assert response.read() == b''
            assert response.getheader('Connection') is None
            ports.append(conn.sock.getsockname()[1])
    finally:
        conn.close()

    history = server.history
    assert [e['path'] for e in history] == ['/k/%d' % i for i in range(5)]
    assert set(e['client_address'][1] for e in history) == set(ports[:1])
    assert len(set(ports)) == 1


@pytest.mark.skipif(six.PY2, reason='encode_chunked is new in Python 3.6')
def test_http_client_uploads_chunked(server, ssl_context):
    conn = _connection(server, ssl_context)
    try:
        conn.request('PUT', '/up', body=iter([b'abc', b'', b'defgh']),
                     headers={'Transfer-Encoding': 'chunked'},
                     encode_chunked=True)
        response = conn.getresponse()
        assert response.status == 200
        response.read()
    finally:
        conn.close()

    entry = only(server)
    assert entry['method'] == 'PUT'
    assert entry['headers']['transfer-encoding'] == 'chunked'
    assert 'content-length' not in entry['headers']
    assert entry['body'] == b'abcdefgh'


def test_http_client_uploads_chunks_written_by_hand(server, ssl_context):
    conn = _connection(server, ssl_context)
    try:
        conn.putrequest('POST', '/by-hand')
        conn.putheader('Transfer-Encoding', 'chunked')
        conn.putheader('Content-Type', 'application/octet-stream')
        conn.endheaders()
        for chunk in (b'0123456789', b'\x00\r\n', b'x' * 70000):
            conn.send(('%x\r\n' % len(chunk)).encode('ascii'))
            conn.send(chunk + b'\r\n')
        conn.send(b'0\r\nX-Trailer: ignored\r\n\r\n')
        response = conn.getresponse()
        assert response.status == 200
        response.read()
        # The connection is still good for another request.
        conn.request('GET', '/after')
        assert conn.getresponse().status == 200
    finally:
        conn.close()

    first, second = server.history
    assert first['body'] == b'0123456789\x00\r\n' + b'x' * 70000
    assert first['headers']['transfer-encoding'] == 'chunked'
    assert second['path'] == '/after'
    assert first['client_address'] == second['client_address']


def test_http_client_with_a_default_context_fails_verification(tls_server):
    conn = http_client.HTTPSConnection(
        tls_server.host, tls_server.port, timeout=TIMEOUT,
        context=ssl.create_default_context())
    try:
        with pytest.raises(ssl.SSLError):
            conn.request('GET', '/')
    finally:
        conn.close()

    assert tls_server.history == []


# -- httpx and aiohttp (Python 3.8+) ------------------------------------------

def _httpx():
    return pytest.importorskip('httpx')


def _aiohttp():
    return pytest.importorskip('aiohttp')


@needs_py38
def test_httpx_client_get_and_post(server, ssl_context):
    httpx = _httpx()
    with httpx.Client(verify=ssl_context or True, timeout=TIMEOUT) as client:
        got = client.get(server.url('/x'), params={'a': ['1', '2']})
        posted = client.post(server.url('/x'), json={'k': 'v'})
        put = client.put(server.url('/x'), files={
            'f': ('f.txt', b'file body', 'text/plain')})

    assert [r.status_code for r in (got, posted, put)] == [200] * 3
    assert got.http_version == 'HTTP/1.1'
    first, second, third = server.history
    assert first['query'] == {'a': ['1', '2']}
    assert second['json'] == {'k': 'v'}
    assert third['files']['f'][0]['content'] == b'file body'
    assert len(set(e['client_address'] for e in server.history)) == 1
    assert_tls(first, server)


@needs_py38
def test_httpx_client_streams_a_chunked_response(server, ssl_context):
    httpx = _httpx()
    server.route('/s', body=iter([b'a' * 1000, b'b' * 1000]))

    with httpx.Client(verify=ssl_context or True, timeout=TIMEOUT) as client:
        with client.stream('GET', server.url('/s')) as response:
            assert response.status_code == 200
            assert response.http_version == 'HTTP/1.1'
            assert response.headers['transfer-encoding'] == 'chunked'
            body = b''.join(response.iter_bytes())

    assert body == b'a' * 1000 + b'b' * 1000
    assert only(server)['response_content'] is None


@needs_py38
def test_httpx_async_client(server, ssl_context):
    _httpx()
    server.route(re.compile(r'/a/\d+'), echo_path)

    results = _async_clients.httpx_fetch(
        [('GET', server.url('/a/%d' % i), {}) for i in range(10)] +
        [('POST', server.url('/a/99'), {'data': {'k': 'v'}})],
        ssl_context or True, TIMEOUT)

    assert [(status, body) for status, _, body, _ in results] == \
        [(200, ('/a/%d' % i).encode()) for i in range(10)] + \
        [(200, b'/a/99')]
    assert set(version for _, _, _, version in results) == {'HTTP/1.1'}
    assert sorted(e['path'] for e in server.history) == \
        sorted(['/a/%d' % i for i in range(10)] + ['/a/99'])
    posted, = [e for e in server.history if e['method'] == 'POST']
    assert posted['form'] == {'k': ['v']}


@needs_py38
def test_httpx_without_the_ca_fails_verification(tls_server):
    httpx = _httpx()
    with httpx.Client(timeout=TIMEOUT) as client:
        with pytest.raises(httpx.ConnectError) as info:
            client.get(tls_server.url('/'))

    assert 'CERTIFICATE_VERIFY_FAILED' in str(info.value)
    assert tls_server.history == []


@needs_py38
def test_aiohttp_get_and_post(server, ssl_context):
    _aiohttp()
    server.route('/j', json={'ok': True})

    (status, headers, body), (post_status, _, _) = \
        _async_clients.aiohttp_fetch([
            ('GET', server.url('/j'), {'params': {'q': 'x'}}),
            ('POST', server.url('/j'), {'json': {'n': 1}})],
            ssl_context, TIMEOUT)

    assert status == post_status == 200
    assert headers['content-type'] == 'application/json'
    assert json.loads(body.decode('utf-8')) == {'ok': True}
    by_method = dict((e['method'], e) for e in server.history)
    assert by_method['GET']['query'] == {'q': ['x']}
    assert by_method['POST']['json'] == {'n': 1}
    assert by_method['GET']['headers']['user-agent'].startswith(
        'Python/3')
    assert_tls(by_method['POST'], server)


@needs_py38
def test_aiohttp_concurrent_requests_are_each_recorded_once(server,
                                                            ssl_context):
    _aiohttp()
    server.route(re.compile(r'/g/\d+'), echo_path)
    paths = ['/g/%d' % i for i in range(50)]

    results = _async_clients.aiohttp_fetch(
        [('GET', server.url(path), {}) for path in paths], ssl_context,
        TIMEOUT)

    assert [(status, body) for status, _, body in results] == \
        [(200, path.encode()) for path in paths]
    assert sorted(e['path'] for e in server.history) == sorted(paths)


@needs_py38
def test_aiohttp_without_the_ca_fails_verification(tls_server):
    aiohttp = _aiohttp()
    with pytest.raises(aiohttp.ClientConnectorError) as info:
        _async_clients.aiohttp_fetch([('GET', tls_server.url('/'), {})],
                                     None, TIMEOUT)

    assert isinstance(info.value, aiohttp.ClientConnectorCertificateError)
    assert tls_server.history == []


# -- curl ---------------------------------------------------------------------

def curl(server, *args, **kws):
    """Run curl against *server*; return ``(exit code, stdout, stderr)``.

    Trusts the test CA unless ``cacert=False``; ``input`` is sent on stdin.
    ``--max-time`` bounds curl itself and a timer kills it if that fails,
    since Python 2 has no ``communicate(timeout=)``.
    """
    command = [CURL, '--silent', '--show-error', '--http1.1',
               '--max-time', str(TIMEOUT)]
    if server.scheme == 'https' and kws.get('cacert', True):
        command += ['--cacert', CA_FILE]
    command += list(args)
    data = kws.get('input')
    process = subprocess.Popen(command, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err, killed = communicate(process, TIMEOUT + 5, data)
    assert not killed, 'curl %s ran over %ss: killed' % (args, TIMEOUT + 5)
    return process.returncode, out, err


@needs_curl
def test_curl_get(server):
    server.route('/hello', body=b'hi from the server')

    code, out, err = curl(server, server.url('/hello?x=1'))

    assert code == 0, err
    assert out == b'hi from the server'
    entry = only(server)
    assert entry['query'] == {'x': ['1']}
    assert entry['request_version'] == 'HTTP/1.1'
    assert entry['headers']['user-agent'].startswith('curl/')
    assert_tls(entry, server)


@needs_curl
def test_curl_post_data_binary(server):
    payload = b'\x00\x01binary\r\n\xff' * 100

    code, out, err = curl(server, '--data-binary', '@-',
                          '-H', 'Content-Type: application/octet-stream',
                          server.url('/bin'), input=payload)

    assert code == 0, err
    entry = only(server)
    assert entry['method'] == 'POST'
    assert entry['headers']['content-length'] == str(len(payload))
    assert entry['body'] == payload


@needs_curl
def test_curl_large_upload_waits_for_100_continue(server):
    server.route('/big', body=b'ok')
    payload = b'0123456789abcdef' * (2 << 16)  # 2 MiB

    code, out, err = curl(server, '--verbose', '--data-binary', '@-',
                          '-H', 'Expect: 100-continue',
                          '-H', 'Content-Type: application/octet-stream',
                          server.url('/big'), input=payload)

    assert code == 0, err
    assert out == b'ok'
    assert b'< HTTP/1.1 100 Continue' in err
    entry = only(server)
    assert entry['headers']['expect'] == '100-continue'
    assert len(entry['body']) == len(payload)
    assert entry['body'] == payload


@needs_curl
def test_curl_without_the_ca_fails_verification(tls_server):
    code, _, err = curl(tls_server, tls_server.url('/'), cacert=False)

    assert code == 60, err  # CURLE_PEER_FAILED_VERIFICATION
    assert tls_server.history == []


# -- host names and addresses -------------------------------------------------

@needs_ipv6
def test_requests_reach_a_server_on_ipv6_loopback(scheme):
    with Server(host='::1', scheme=scheme) as server:
        expected = '%s://[::1]:%d/six' % (scheme, server.port)
        assert server.url('/six') == expected
        response = requests.get('%s://[::1]:%d/six' % (scheme, server.port),
                                verify=CA_FILE, timeout=TIMEOUT)

        assert response.status_code == 200
        entry = only(server)
        assert entry['client_address'][0] == '::1'
        assert entry['headers']['host'] == '[::1]:%d' % server.port
        assert_tls(entry, server)


def test_requests_reach_a_server_on_localhost(scheme):
    with Server(host='localhost', scheme=scheme) as server:
        assert server.url('/') == '%s://localhost:%d/' % (scheme, server.port)
        response = requests.get(server.url('/local'), verify=CA_FILE,
                                timeout=TIMEOUT)

        assert response.status_code == 200
        entry = only(server)
        assert entry['client_address'][0] == '127.0.0.1'
        assert entry['headers']['host'] == 'localhost:%d' % server.port
        if scheme == 'https':
            assert entry['tls']['server_name'] == 'localhost'


# -- clients that connect early ----------------------------------------------

def test_stop_does_not_wait_for_a_preconnected_client(server, with_timeout):
    # Browsers and connection pools open connections before they need them;
    # one that never sends a byte is idle, not a request in flight.
    silent = socket.create_connection((server.host, server.port),
                                      timeout=TIMEOUT)
    try:
        # Accepts are in order: once a later connection got its answer, the
        # silent one was accepted and has its own thread.
        assert requests.get(server.url('/later'),
                            **with_timeout).status_code == 200
        started = time.time()
        server.stop()
        elapsed = time.time() - started
    finally:
        silent.close()

    assert elapsed < 2.5, 'stop() took %.1fs' % elapsed
    assert [e['path'] for e in server.history] == ['/later']


# -- concurrency --------------------------------------------------------------

def _in_threads(server, with_timeout, paths):
    """GET every path from its own thread, all released at once.

    Returns ``{path: (status, body)}``; raises the first client error.
    """
    go = threading.Event()
    results = {}
    errors = []

    def fetch(path):
        try:
            if not go.wait(TIMEOUT):
                raise AssertionError('never released')
            response = requests.get(server.url(path), **with_timeout)
            results[path] = (response.status_code, response.content)
        except Exception as exc:  # reported in the test thread below
            errors.append((path, exc))

    threads = [threading.Thread(target=fetch, args=(path,)) for path in paths]
    for thread in threads:
        thread.daemon = True
        thread.start()
    go.set()
    for thread in threads:
        thread.join(TIMEOUT * 2)
    assert not [t for t in threads if t.is_alive()], 'client threads hang'
    assert not errors, errors
    return results


def test_concurrent_requests_are_each_recorded_once(server, with_timeout):
    server.route(re.compile(r'/t/\d+'), echo_path)
    paths = ['/t/%d' % i for i in range(THREADS)]

    results = _in_threads(server, with_timeout, paths)

    assert results == dict((p, (200, p.encode())) for p in paths)
    assert sorted(e['path'] for e in server.history) == sorted(paths)


def test_overlapping_slow_requests_are_each_recorded_once(
        server, with_timeout):
    delay = 0.05
    server.data['response_timeout'] = delay
    paths = ['/slow/%d' % i for i in range(THREADS)]

    results = _in_threads(server, with_timeout, paths)

    assert results == dict((p, (200, b'')) for p in paths)
    history = server.history
    assert sorted(e['path'] for e in history) == sorted(paths)
    assert set(e['response_timeout'] for e in history) == {delay}
    # One request at a time would take THREADS * delay to read them all.
    times = [e['time'] for e in history]
    assert max(times) - min(times) < (THREADS - 1) * delay
