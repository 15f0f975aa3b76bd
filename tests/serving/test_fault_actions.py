"""Faults and delays on the wire (``serving/fault_actions.py``): the
failures a client must survive, on demand.

For every fault and every client -- requests, urllib3 with ``Retry``,
urlopen, http.client, httpx and aiohttp (3.8+), curl -- over HTTP and
HTTPS, the error that client raises; :data:`EXPECTED` is that table, the
one ``docs/faults.rst`` shows.  Then delays, measured with a strict lower
bound and a generous upper one (never a sleep in a test), stop()/reset()
cutting held responses short, and TLS handshake faults.  The settings and
plans themselves are tested without sockets in tests/answers/test_faults.py
and tests/answers/test_delays.py.
"""
import socket
import ssl
import subprocess
import sys
import time

import pytest
import requests
import urllib3
from six.moves import http_client
from six.moves.urllib.error import URLError
from six.moves.urllib.request import urlopen
from urllib3.util.retry import Retry

import httptestserver
from httptestserver import CA_FILE, Server
from httptestserver.answers import faults

from conftest import TIMEOUT, communicate, raw_connect, read_until_closed, \
    which

PY2 = sys.version_info[0] == 2
PY38 = sys.version_info >= (3, 8)
if PY38:
    import _async_clients
    import asyncio
else:  # Python 2, 3.6, 3.7
    _async_clients = asyncio = None
#: urllib3 1.26 (Python 2.7, 3.6) does not enforce Content-Length by default.
URLLIB3_1 = urllib3.__version__.startswith('1.')


def _ragged_eof_is_suppressed():
    """Whether this Python reads OpenSSL 3's "unexpected EOF" as a ragged
    EOF (SSLEOFError, which sockets suppress) or raises a plain SSLError.

    It is not a matter of version alone: 3.8.18 and 3.9.18 have the fix,
    3.7 and older do not.  So ask OpenSSL, through memory BIOs."""
    if not hasattr(ssl, 'MemoryBIO'):  # Python 2: raises
        return False
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER) if hasattr(
        ssl, 'PROTOCOL_TLS_SERVER') else None
    if server_ctx is None:
        return False
    server_ctx.load_cert_chain(httptestserver.SERVER_CERT_FILE)
    client_ctx = httptestserver.client_context()
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname='localhost')
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    for _ in range(10):
        for side in (client, server):
            try:
                side.do_handshake()
            except ssl.SSLWantReadError:
                pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())
    c_in.write_eof()  # the server goes away without close_notify
    try:
        client.read(1)
    except ssl.SSLEOFError:
        return True
    except ssl.SSLError:
        return False
    return True


#: Newer Pythons (3.8.18, 3.9.18, 3.10+) read OpenSSL 3's "unexpected EOF"
#: as a ragged EOF and suppress it; older ones raise a plain SSLError.
RAGGED_EOF_OK = _ragged_eof_is_suppressed()

CURL = which('curl')
#: Seconds a client waits for a ``never`` response before giving up.
GIVE_UP = 0.5
#: A monotonic clock (Python 2: the wall clock).
clock = getattr(time, 'monotonic', time.time)

#: The faults that take a number, as the table shows them.
PARAMETER_CASES = {'truncate_at': {'truncate_at': 5},
                   'reset_after': {'reset_after': 5},
                   'slow_close': {'slow_close': 0.3},
                   'timeout': {'timeout': 0.3}}
ALL_FAULTS = sorted(faults.FAULTS) + sorted(PARAMETER_CASES)


def fault_value(name):
    """The ``fault=`` value of the table's row *name*."""
    return PARAMETER_CASES.get(name, name)


@pytest.fixture
def server(scheme):
    srv = Server(scheme=scheme).start()
    try:
        yield srv
    finally:
        srv.stop()
    srv.check()


# -- every fault, every client -----------------------------------------------
def _classes(*names):
    """Resolve ``module:Class`` names that exist here (e.g. httpx's)."""
    result = []
    for name in names:
        module, _, attr = name.partition(':')
        try:
            result.append(getattr(__import__(module, fromlist=[attr]), attr))
        except (ImportError, AttributeError):
            pass
    return tuple(result)


OK = 'ok'
#: Through TLS, Python 3.10+ may report the RST as RemoteDisconnected, a
#: subclass of ConnectionResetError.
_RESET = socket.error if PY2 else ConnectionResetError  # noqa: F821
_TIMEOUT = socket.timeout

#: What each client does for each fault: an exception class (for urllib3:
#: the ``reason`` of its ``MaxRetryError``), ``OK`` for a 200, or a curl
#: exit code.  Version differences are spelled out; docs/faults.rst shows
#: this table.
EXPECTED = {
    'requests': {
        'empty': requests.ConnectionError,
        'reset': requests.ConnectionError,
        'garbage': requests.ConnectionError,
        'malformed_chunk': requests.exceptions.ChunkedEncodingError,
        'truncated': OK if URLLIB3_1 else
        requests.exceptions.ChunkedEncodingError,
        'headers_only': OK if URLLIB3_1 else
        requests.exceptions.ChunkedEncodingError,
        'bad_status': requests.ConnectionError,
        'never': requests.exceptions.ReadTimeout,
        'truncate_at': OK if URLLIB3_1 else
        requests.exceptions.ChunkedEncodingError,
        'reset_after': requests.exceptions.ChunkedEncodingError,
        'slow_close': OK,
        'timeout': requests.ConnectionError,
        'no_close_notify': OK,
    },
    'urllib3': {
        'empty': urllib3.exceptions.ProtocolError,
        'reset': urllib3.exceptions.ProtocolError,
        'garbage': OK if PY2 else urllib3.exceptions.ProtocolError,
        'malformed_chunk': urllib3.exceptions.ProtocolError,
        'truncated': urllib3.exceptions.ProtocolError,
        'headers_only': urllib3.exceptions.ProtocolError,
        'bad_status': urllib3.exceptions.ProtocolError,
        'never': urllib3.exceptions.ReadTimeoutError,
        'truncate_at': urllib3.exceptions.ProtocolError,
        'reset_after': urllib3.exceptions.ProtocolError,
        'slow_close': OK,
        'timeout': urllib3.exceptions.ProtocolError,
        'no_close_notify': OK,
    },
    'http.client': {
        'empty': http_client.BadStatusLine if PY2 else
        http_client.RemoteDisconnected,
        'reset': _RESET,
        'garbage': OK if PY2 else http_client.BadStatusLine,
        'malformed_chunk': http_client.IncompleteRead,
        'truncated': http_client.IncompleteRead,
        'headers_only': http_client.IncompleteRead,
        'bad_status': http_client.BadStatusLine,
        'never': _TIMEOUT,
        'truncate_at': http_client.IncompleteRead,
        'reset_after': _RESET,
        'slow_close': OK,
        'timeout': http_client.BadStatusLine if PY2 else
        http_client.RemoteDisconnected,
        'no_close_notify': OK,
    },
    'urlopen': {
        'empty': http_client.BadStatusLine if PY2 else
        http_client.RemoteDisconnected,
        'reset': _RESET,
        'garbage': OK if PY2 else http_client.BadStatusLine,
        'malformed_chunk': http_client.IncompleteRead,
        'truncated': OK if PY2 else http_client.IncompleteRead,
        'headers_only': OK if PY2 else http_client.IncompleteRead,
        'bad_status': http_client.BadStatusLine,
        'never': _TIMEOUT,
        'truncate_at': OK if PY2 else http_client.IncompleteRead,
        'reset_after': _RESET,
        'slow_close': OK,
        'timeout': http_client.BadStatusLine if PY2 else
        http_client.RemoteDisconnected,
        'no_close_notify': OK,
    },
    'httpx': {
        'empty': _classes('httpx:RemoteProtocolError'),
        'reset': _classes('httpx:ReadError', 'httpx:RemoteProtocolError'),
        'garbage': _classes('httpx:RemoteProtocolError'),
        'malformed_chunk': _classes('httpx:RemoteProtocolError'),
        'truncated': _classes('httpx:RemoteProtocolError'),
        'headers_only': _classes('httpx:RemoteProtocolError'),
        'bad_status': _classes('httpx:RemoteProtocolError'),
        'never': _classes('httpx:ReadTimeout'),
        'truncate_at': _classes('httpx:RemoteProtocolError'),
        'reset_after': _classes('httpx:ReadError',
                                'httpx:RemoteProtocolError'),
        'slow_close': OK,
        'timeout': _classes('httpx:RemoteProtocolError'),
        'no_close_notify': OK,
    },
    'aiohttp': {
        'empty': _classes('aiohttp:ServerDisconnectedError'),
        'reset': _classes('aiohttp:ClientOSError'),
        'garbage': _classes('aiohttp:ClientResponseError'),
        'malformed_chunk': _classes('aiohttp:ClientResponseError',
                                    'aiohttp:ClientPayloadError'),
        'truncated': _classes('aiohttp:ClientPayloadError'),
        'headers_only': _classes('aiohttp:ClientPayloadError'),
        'bad_status': _classes('aiohttp:ClientResponseError'),
        'never': (asyncio.TimeoutError,) if asyncio else (),
        'truncate_at': _classes('aiohttp:ClientPayloadError'),
        'reset_after': _classes('aiohttp:ClientPayloadError',
                                'aiohttp:ClientOSError'),
        'slow_close': OK,
        'timeout': _classes('aiohttp:ServerDisconnectedError'),
        'no_close_notify': OK,
    },
    'curl': {
        'empty': 52, 'reset': 56, 'garbage': 1, 'malformed_chunk': 56,
        'truncated': 18, 'headers_only': 18, 'bad_status': 1, 'never': 28,
        'no_close_notify': 0, 'truncate_at': 18, 'reset_after': 56,
        'slow_close': 0, 'timeout': 52,
    },
}


def expected(client, fault, scheme):
    """Return :data:`EXPECTED` for *client*, with the HTTPS differences."""
    result = EXPECTED[client][fault]
    if scheme != 'https':
        return result
    if fault == 'no_close_notify' and client != 'curl' and not RAGGED_EOF_OK:
        # Python < 3.10 on OpenSSL 3 does not know the "unexpected EOF"
        # code: the missing close_notify is a plain SSLError (requests
        # 2.27 lets urllib3's through unwrapped).
        return {'requests': (requests.exceptions.SSLError,
                             urllib3.exceptions.SSLError),
                'urllib3': urllib3.exceptions.SSLError}.get(
                    client, ssl.SSLError)
    if fault == 'reset_after' and client in ('http.client', 'urlopen'):
        # Through TLS the RST after the first bytes reads as a short body
        # on some versions (3.11 here), as the reset on others.
        return (_RESET, http_client.IncompleteRead)
    if fault == 'reset' and client == 'httpx':
        # Through TLS the RST may read as the end of the stream.
        return _classes('httpx:ReadError', 'httpx:RemoteProtocolError')
    if fault == 'never' and PY2 and client in ('http.client', 'urlopen'):
        return ssl.SSLError  # Python 2: a TLS read timeout is an SSLError
    return result


def _timeout(fault):
    return GIVE_UP if fault == 'never' else TIMEOUT


def use_requests(server, fault):
    verify = CA_FILE if server.scheme == 'https' else True
    response = requests.get(server.url('/f'),
                            timeout=(TIMEOUT, _timeout(fault)),
                            verify=verify)
    return response.status_code


def use_urllib3(server, fault):
    kws = {'ca_certs': CA_FILE} if server.scheme == 'https' else {}
    pool = urllib3.PoolManager(
        retries=Retry(total=1, backoff_factor=0),
        timeout=urllib3.Timeout(connect=TIMEOUT, read=_timeout(fault)), **kws)
    try:
        return pool.request('GET', server.url('/f')).status
    except urllib3.exceptions.MaxRetryError as exc:
        raise exc.reason  # the table shows why it gave up
    finally:
        pool.clear()


def use_http_client(server, fault):
    if server.scheme == 'https':
        conn = http_client.HTTPSConnection(
            server.host, server.port, timeout=_timeout(fault),
            context=server.client_context())
    else:
        conn = http_client.HTTPConnection(server.host, server.port,
                                          timeout=_timeout(fault))
    try:
        conn.request('GET', '/f')
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def use_urlopen(server, fault):
    kws = {'context': server.client_context()} \
        if server.scheme == 'https' else {}
    response = urlopen(server.url('/f'), timeout=_timeout(fault), **kws)
    try:
        response.read()
        return response.getcode()
    finally:
        response.close()


def use_httpx(server, fault):
    import httpx
    # Plain HTTP: no context to build (httpx's default loads certifi).
    verify = server.client_context() if server.scheme == 'https' else False
    # Only reading waits for the answer that never comes: connecting (a TLS
    # handshake on a loaded machine) gets the full timeout.
    timeout = httpx.Timeout(TIMEOUT, read=_timeout(fault))
    with httpx.Client(verify=verify, timeout=timeout) as client:
        return client.get(server.url('/f')).status_code


def use_aiohttp(server, fault):
    context = server.client_context() if server.scheme == 'https' else None
    return _async_clients.aiohttp_fetch([('GET', server.url('/f'), {})],
                                        context, _timeout(fault))[0][0]


CLIENTS = {'requests': use_requests, 'urllib3': use_urllib3,
           'http.client': use_http_client, 'urlopen': use_urlopen,
           'httpx': use_httpx, 'aiohttp': use_aiohttp}


def _skip_unless_available(client):
    if client in ('httpx', 'aiohttp'):
        if not PY38:
            pytest.skip('httpx and aiohttp are tested on Python 3.8+ only')
        pytest.importorskip(client)


@pytest.mark.parametrize('fault', ALL_FAULTS)
@pytest.mark.parametrize('client', sorted(CLIENTS))
def test_client_raises_the_documented_error(server, client, fault):
    _skip_unless_available(client)
    server.route('/f', fault=fault_value(fault), body=b'hello world')
    want = expected(client, fault, server.scheme)
    if want == OK:
        assert CLIENTS[client](server, fault) == 200
    else:
        assert want, 'no expectation for %s / %s' % (client, fault)
        with pytest.raises(want):
            CLIENTS[client](server, fault)
    entries = server.history
    assert entries and all(e['fault'] == fault_value(fault)
                           for e in entries)


def run_curl(server, max_time=TIMEOUT):
    """Run curl for ``/f``; return ``(exit code, stderr)``.  Bounded by
    ``--max-time`` and a timer that kills it (Python 2 has no
    ``communicate(timeout=)``)."""
    command = [CURL, '--silent', '--show-error', '--http1.1', '--max-time',
               str(max_time), '--output', '-', server.url('/f')]
    if server.scheme == 'https':
        command[1:1] = ['--cacert', CA_FILE]
    process = subprocess.Popen(command, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    _, err, _ = communicate(process, TIMEOUT + 5)
    return process.returncode, err


@pytest.mark.skipif(CURL is None, reason='no curl command')
@pytest.mark.parametrize('fault', ALL_FAULTS)
def test_curl_exits_with_the_documented_code(server, fault):
    server.route('/f', fault=fault_value(fault), body=b'hello world')
    code, err = run_curl(server, GIVE_UP if fault == 'never' else TIMEOUT)
    assert code == EXPECTED['curl'][fault], err
    assert server.history[0]['fault'] == fault_value(fault)


def test_urllib3_retry_outlasts_two_resets(server):
    """The retry test the issue asks for: reset, reset, then a 200."""
    server.route('/f', responses=[{'fault': 'reset'}, {'fault': 'reset'},
                                  {'status': 200, 'body': b'at last'}])
    kws = {'ca_certs': CA_FILE} if server.scheme == 'https' else {}
    pool = urllib3.PoolManager(retries=Retry(total=3, backoff_factor=0),
                               timeout=TIMEOUT, **kws)
    try:
        response = pool.request('GET', server.url('/f'))
    finally:
        pool.clear()
    assert (response.status, response.data) == (200, b'at last')
    assert [e.get('fault') for e in server.history] == \
        ['reset', 'reset', None]


def test_server_wide_fault_is_one_line(server):
    server.data['response_fault'] = 'empty'
    with pytest.raises(http_client.BadStatusLine):  # RemoteDisconnected too
        use_http_client(server, 'empty')
    assert server.history[0]['fault'] == 'empty'


def test_server_wide_chaos_strikes_routed_requests_too(server):
    server.route('/f', body=b'fine')
    server.data['response_chaos'] = {'fault': 'reset', 'probability': 1,
                                     'seed': 3}
    with pytest.raises(requests.ConnectionError):
        use_requests(server, 'reset')
    entry = server.history[0]
    assert entry['fault'] == 'reset'
    assert entry['chaos'] == {'probability': 1.0, 'hit': True, 'seed': 3,
                              'fault': 'reset', 'server': True}
    server.data['response_chaos'] = {'fault': 'reset', 'probability': 0}
    assert use_requests(server, None) == 200


def test_route_chaos_with_a_seed_replays_across_servers(scheme):
    outcomes = []
    for _ in range(2):
        with Server(scheme=scheme) as srv:
            srv.route('/f', body=b'ok', chaos={'fault': 'empty',
                                               'probability': 0.5,
                                               'seed': 42})
            for _ in range(8):
                try:
                    use_http_client(srv, None)
                except http_client.BadStatusLine:
                    pass
            outcomes.append([e.get('fault') for e in srv.history])
    assert outcomes[0] == outcomes[1]
    assert 'empty' in outcomes[0] and None in outcomes[0]


def test_other_connections_are_served_while_one_is_held(server):
    server.route('/f', fault='never')
    server.route('/ok', body=b'ok')
    held = raw_connect(server)
    try:
        held.sendall(b'GET /f HTTP/1.1\r\nHost: x\r\n\r\n')
        server.wait(1, path='/f', timeout=TIMEOUT)
        started = clock()
        verify = CA_FILE if server.scheme == 'https' else True
        response = requests.get(server.url('/ok'), timeout=TIMEOUT,
                                verify=verify)
        assert response.content == b'ok'
        assert clock() - started < 2.0
    finally:
        held.close()


@pytest.mark.parametrize('fault', ['never', {'timeout': 60},
                                   {'slow_close': 60}])
def test_stop_cuts_a_never_response_short(scheme, fault):
    srv = Server(scheme=scheme).start()
    try:
        srv.route('/f', fault=fault, body=b'')
        sock = raw_connect(srv)
        sock.sendall(b'GET /f HTTP/1.1\r\nHost: x\r\n\r\n')
        srv.wait(1, timeout=TIMEOUT)
        started = clock()
        srv.stop()
        took = clock() - started
        assert took < 1.0, 'stop() took %.2fs' % took
        assert_cut_short(read_until_closed_or_reset(sock), fault)
        sock.close()
    finally:
        srv.stop()


def test_stop_cuts_a_long_delay_short(scheme):
    srv = Server(scheme=scheme).start()
    try:
        srv.route('/f', delay={'uniform': [30, 40]})
        sock = raw_connect(srv)
        sock.sendall(b'GET /f HTTP/1.1\r\nHost: x\r\n\r\n')
        srv.wait(1, timeout=TIMEOUT)
        assert srv.history[0]['delays']['delay'] >= 30
        started = clock()
        srv.stop()
        assert clock() - started < 1.0
        sock.close()
    finally:
        srv.stop()


@pytest.mark.parametrize('fault', ['never', {'timeout': 60},
                                   {'slow_close': 60}])
def test_reset_cuts_a_never_response_short(server, fault):
    server.route('/f', fault=fault, body=b'')
    sock = raw_connect(server)
    try:
        sock.sendall(b'GET /f HTTP/1.1\r\nHost: x\r\n\r\n')
        server.wait(1, timeout=TIMEOUT)
        started = clock()
        server.reset()
        assert_cut_short(read_until_closed_or_reset(sock), fault)
        assert clock() - started < 2.0
    finally:
        sock.close()


def assert_cut_short(data, fault):
    """*data*, what a client held by *fault* read until the hold was cut,
    is nothing -- or for ``slow_close``, the whole answer."""
    if fault == {'slow_close': 60}:  # all of the answer, then the wait
        assert data.startswith(b'HTTP/1.1 200 OK\r\n')
        assert data.endswith(b'\r\n\r\n')  # an empty body, all of it
    else:
        assert data == b''


def read_until_closed_or_reset(sock):
    try:
        return read_until_closed(sock)
    except socket.error:  # ssl.SSLError too: a TLS stream cut at TCP level
        return b''


# -- delays, measured --------------------------------------------------------
def _get(server, path='/f', **kws):
    verify = CA_FILE if server.scheme == 'https' else True
    return requests.get(server.url(path), timeout=TIMEOUT, verify=verify,
                        **kws)


def test_delay_before_the_head_is_slept_and_recorded(server):
    server.route('/f', body=b'x', delay={'uniform': [0.2, 0.3]})
    started = clock()
    assert _get(server).content == b'x'
    took = clock() - started
    slept = server.history[0]['delays']['delay']
    assert 0.2 <= slept <= 0.3
    assert slept <= took < slept + 3.0
    assert server.history[0]['response_timeout'] == slept


def test_data_response_timeout_takes_a_distribution(server):
    server.data['response_timeout'] = {'lognormal': [0.2, 0.1, 0.25]}
    started = clock()
    assert _get(server).status_code == 200
    slept = server.history[0]['delays']['delay']
    assert 0 < slept <= 0.25 and clock() - started >= slept


def test_body_delay_comes_after_the_head(server):
    server.route('/f', body=b'late body', body_delay=0.3)
    started = clock()
    response = _get(server, stream=True)
    head_at = clock() - started
    body = response.raw.read()
    total = clock() - started
    assert body == b'late body'
    assert head_at < 0.3 <= total < 3.3


def test_dribble_spreads_the_body_over_the_duration(server):
    server.route('/f', body=b'0123456789',
                 dribble={'chunks': 5, 'duration': 0.5})
    started = clock()
    assert _get(server).content == b'0123456789'
    assert 0.5 <= clock() - started < 3.5
    assert server.history[0]['delays']['dribble'] == {'chunks': 5,
                                                      'duration': 0.5}


def test_dribble_arrives_in_pieces(server):
    server.route('/f', body=b'abcdef', dribble={'chunks': 3, 'duration': 0.3})
    sock = raw_connect(server)
    try:
        sock.sendall(b'GET /f HTTP/1.1\r\nHost: x\r\n'
                     b'Connection: close\r\n\r\n')
        reads = []
        for _ in range(100):
            data = sock.recv(65536)
            if not data:
                break
            reads.append((clock(), data))
    finally:
        sock.close()
    body_reads = [(t, d) for t, d in reads if b'HTTP/1.1' not in d]
    assert b''.join(d for _, d in reads).endswith(b'\r\n\r\nabcdef')
    assert len(body_reads) >= 2  # not one write
    assert body_reads[-1][0] - reads[0][0] >= 0.15


def test_chunk_delay_waits_before_each_streamed_chunk(server):
    server.route('/f', body=[b'a', b'b', b'c'], chunk_delay=0.1)
    started = clock()
    response = _get(server)
    assert response.content == b'abc'
    assert response.headers['Transfer-Encoding'] == 'chunked'
    assert 0.3 <= clock() - started < 3.3


def test_bandwidth_limits_bytes_per_second(server):
    body = b'x' * 3000
    server.route('/f', body=body, bandwidth=10000)
    started = clock()
    assert _get(server).content == body
    assert 0.3 <= clock() - started < 3.3


def test_a_delayed_response_keeps_the_connection_alive(server):
    server.route('/f', body=b'x', delay=0.01, chunk_delay=0.01)
    verify = CA_FILE if server.scheme == 'https' else True
    with requests.Session() as session:
        for _ in range(3):
            response = session.get(server.url('/f'), timeout=TIMEOUT,
                                   verify=verify)
            assert response.content == b'x'
    ports = set(e['client_address'][1] for e in server.history)
    assert len(ports) == 1


def test_a_plain_numeric_delay_keeps_0_1_behaviour(server):
    server.route('/f', body=b'x', delay=0.05)
    started = clock()
    assert _get(server).content == b'x'
    assert clock() - started >= 0.05
    entry = server.history[0]
    assert entry['response_timeout'] == 0.05 and 'fault' not in entry


# -- TLS handshake faults ----------------------------------------------------
@pytest.mark.parametrize('name, error', [
    # Python 2: a TLS timeout is an SSLError.
    ('handshake_never', ssl.SSLError if PY2 else socket.timeout),
    ('handshake_reset', socket.error),
    ('handshake_garbage', ssl.SSLError),
])
def test_handshake_faults_fail_the_client_handshake(name, error):
    srv = httptestserver.Server(scheme='https').start()
    try:
        srv.data['response_fault'] = name
        context = srv.client_context()
        raw = socket.create_connection((srv.host, srv.port),
                                       timeout=GIVE_UP)
        try:
            with pytest.raises(error):
                context.wrap_socket(raw, server_hostname='localhost')
        finally:
            raw.close()
        assert srv.history == []  # no request was ever read
        del srv.data['response_fault']
        assert requests.get(srv.url('/'), timeout=TIMEOUT,
                            verify=CA_FILE).status_code == 200
        started = clock()
    finally:
        srv.stop()
    assert clock() - started < 1.0  # a held handshake does not hold stop()


# -- faults of the connection, before any request ----------------------------
#: What each client does when the server closes the connection at once
#: (``accept_close``) or never reads from it (``accept_stall``), over HTTP;
#: :func:`connection_expected` adds HTTPS.  docs/faults.rst shows it.
CONNECTION_EXPECTED = {
    'requests': {'accept_close': requests.ConnectionError,
                 'accept_stall': requests.exceptions.ReadTimeout},
    'urllib3': {'accept_close': urllib3.exceptions.ProtocolError,
                'accept_stall': urllib3.exceptions.ReadTimeoutError},
    'http.client': {'accept_close': http_client.BadStatusLine if PY2 else
                    http_client.RemoteDisconnected,
                    'accept_stall': _TIMEOUT},
    'urlopen': {'accept_close': http_client.BadStatusLine if PY2 else
                http_client.RemoteDisconnected,
                'accept_stall': _TIMEOUT},
    'httpx': {'accept_close': _classes('httpx:RemoteProtocolError'),
              'accept_stall': _classes('httpx:ReadTimeout')},
    'aiohttp': {'accept_close': _classes('aiohttp:ServerDisconnectedError'),
                'accept_stall': (asyncio.TimeoutError,) if asyncio else ()},
    'curl': {'accept_close': 52, 'accept_stall': 28},
}


def connection_expected(client, fault, scheme):
    """:data:`CONNECTION_EXPECTED`, with the HTTPS differences: the close
    or the silence meets the TLS handshake, not the request."""
    result = CONNECTION_EXPECTED[client][fault]
    if scheme != 'https':
        return result
    if fault == 'accept_close':
        return {'requests': requests.exceptions.SSLError,
                'urllib3': urllib3.exceptions.SSLError,
                'httpx': _classes('httpx:ConnectError'),
                'aiohttp': _classes('aiohttp:ClientConnectorError',
                                    'aiohttp:ClientOSError',
                                    'aiohttp:ServerDisconnectedError'),
                'urlopen': (ssl.SSLError, socket.error, URLError),
                'curl': 35}.get(client, (ssl.SSLError, socket.error))
    return 28 if client == 'curl' else result


@pytest.mark.parametrize('fault', sorted(faults.CONNECTION_FAULTS))
@pytest.mark.parametrize('client', sorted(CLIENTS))
def test_a_connection_fault_gives_the_documented_error(server, client,
                                                       fault):
    _skip_unless_available(client)
    if server.scheme == 'https' and fault == 'accept_stall':
        pytest.skip('a stalled TLS handshake waits for the connect timeout '
                    'of the table (10 s); see '
                    'test_a_stalled_tls_handshake_times_out_the_client')
    server.data['response_fault'] = fault
    want = connection_expected(client, fault, server.scheme)
    assert want, 'no expectation for %s / %s' % (client, fault)
    with pytest.raises(want):
        CONNECTION_CLIENTS[client](server)
    assert server.history == []  # no request was ever read


def _short(function):
    """Call a client of the table with a short read timeout."""
    return lambda server: function(server, 'never')


CONNECTION_CLIENTS = dict((name, _short(function))
                          for name, function in CLIENTS.items())


@pytest.mark.skipif(CURL is None, reason='no curl command')
@pytest.mark.parametrize('fault', sorted(faults.CONNECTION_FAULTS))
def test_curl_exits_with_the_documented_code_for_a_connection_fault(
        server, fault):
    server.data['response_fault'] = fault
    code, err = run_curl(server, GIVE_UP)
    assert code == connection_expected('curl', fault, server.scheme), err
    assert server.history == []


def test_a_stalled_tls_handshake_times_out_the_client():
    with Server(scheme='https') as srv:
        srv.data['response_fault'] = 'accept_stall'
        started = clock()
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.get(srv.url('/'), timeout=(GIVE_UP, GIVE_UP),
                         verify=CA_FILE)
        assert clock() - started < TIMEOUT
        assert srv.history == []


def test_a_stalled_connection_ends_with_stop(scheme):
    srv = Server(scheme=scheme).start()
    try:
        srv.data['response_fault'] = 'accept_stall'
        sock = socket.create_connection((srv.host, srv.port),
                                        timeout=TIMEOUT)
        sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        started = clock()
        srv.stop()
        assert read_until_closed_or_reset(sock) == b''  # closed, unanswered
        assert clock() - started < 2.0
        sock.close()
    finally:
        srv.stop()


class _ShortTimeout(httptestserver.Handler):
    timeout = GIVE_UP  # the silence limit


def test_a_stalled_connection_ends_with_the_handler_s_timeout():
    with Server(handler=_ShortTimeout) as srv:
        srv.data['response_fault'] = 'accept_stall'
        sock = socket.create_connection((srv.host, srv.port),
                                        timeout=TIMEOUT)
        try:
            sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
            started = clock()
            assert read_until_closed_or_reset(sock) == b''  # unanswered
            assert GIVE_UP * 0.9 <= clock() - started < TIMEOUT
        finally:
            sock.close()
        assert srv.history == []
