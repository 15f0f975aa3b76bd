"""The control API as a whole: off unless enabled, who may call it (a token,
loopback peers), its stubs and reset, shutdown, TLS, and clients in other
languages (curl, Node's fetch) driving it over HTTP."""
import functools
import json
import re
import subprocess
import threading
import time

import pytest
import requests
from six.moves import http_client

import httptestserver
from httptestserver.remote.control import ControlAPI, enable_control
from httptestserver.errors import ConfigurationError
from httptestserver.headers import Headers

from conftest import TIMEOUT, communicate, which
from _remote_helpers import STUB, admin, call
from _remote_helpers import fixture_server  # noqa: F401


def test_the_control_api_is_off_unless_enabled():
    with httptestserver.http_server() as server:
        answer = requests.get(server.url('/__admin/mappings'),
                              timeout=TIMEOUT)
        assert answer.status_code == 200 and answer.content == b''
        assert server.history[0]['path'] == '/__admin/mappings'


def test_stubs_added_over_http_answer_and_control_calls_are_not_recorded(
        server):
    status, mapping = call('POST', admin(server, 'mappings'), STUB)
    assert status == 201 and mapping['id']
    good = requests.post(server.url('/users'), headers={'X-Token': 'abc'},
                         timeout=TIMEOUT)
    assert good.status_code == 201 and good.json() == {'id': 1}
    server.unmatched_response = 404
    bad = requests.post(server.url('/users'), timeout=TIMEOUT)
    assert bad.status_code == 404
    assert [e['path'] for e in server.history] == ['/users', '/users']
    server.assert_requested('/users', method='POST', times=2)
    assert len(server.unexpected) == 1
    with pytest.raises(httptestserver.VerificationError):
        server.check()  # the unmatched one is reported, then forgotten


def test_exported_mappings_load_into_a_new_server(server, tmpdir):
    call('POST', admin(server, 'mappings/import'), {'mappings': [
        STUB, {'request': {'urlPathPattern': '/files/.*'},
               'response': {'base64Body': 'AP8=', 'headers': {
                   'Content-Type': 'application/octet-stream'}}}]})
    _, exported = call('GET', admin(server, 'mappings'))
    path = tmpdir.join('stubs.json')
    path.write(json.dumps(exported))
    with httptestserver.http_server() as other:
        enable_control(other, stubs=httptestserver.load_stubs(
            str(path)))
        assert requests.get(other.url('/files/a'),
                            timeout=TIMEOUT).content == b'\x00\xff'
        answer = requests.post(other.url('/users'), timeout=TIMEOUT,
                               headers={'X-Token': 'abc'})
        assert answer.status_code == 201
        assert call('GET', admin(other, 'mappings'))[1] == exported


def test_a_wiremock_url_stub_answers_its_exact_path_and_query_only(server):
    status, _ = call('POST', admin(server, 'mappings'), {
        'request': {'url': '/exact'}, 'response': {'body': 'exact'}})
    assert status == 201
    server.unmatched_response = 404
    assert requests.get(server.url('/exact'), timeout=TIMEOUT).text == 'exact'
    assert requests.get(server.url('/exact?x=1'),
                        timeout=TIMEOUT).status_code == 404
    _, listing = call('GET', admin(server, 'mappings'))
    assert listing['mappings'][0]['request'] == {'method': 'ANY',
                                                 'url': '/exact'}
    server.reset()  # the 404 was expected


def test_reset_forgets_everything_but_the_initial_stubs():
    with httptestserver.http_server() as server:
        enable_control(server, stubs=[{'match': {'path': '/base'},
                                       'response': {'body': 'base'}}])
        call('POST', admin(server, 'mappings'), STUB)
        requests.get(server.url('/base'), timeout=TIMEOUT)
        assert call('POST', admin(server, 'reset')) == (200, {'ok': True})
        assert server.history == []
        _, listing = call('GET', admin(server, 'mappings'))
        assert [m['request']['urlPath'] for m in listing['mappings']] == [
            '/base']


def test_shutdown_answers_then_calls_back():
    done = threading.Event()
    with httptestserver.http_server() as server:
        enable_control(server, on_shutdown=done.set)
        assert call('POST', admin(server, 'shutdown')) == (200, {'ok': True})
        assert done.wait(TIMEOUT)


def test_shutdown_by_default_stops_the_server():
    server = httptestserver.start_server()
    try:
        enable_control(server)
        call('POST', admin(server, 'shutdown'))
        deadline = time.time() + TIMEOUT
        while server.running and time.time() < deadline:
            server._stopped_event.wait(0.05)
        assert not server.running
    finally:
        server.stop()


def test_a_bad_stub_gets_422_naming_the_field(server):
    status, document = call('POST', admin(server, 'mappings'),
                            {'request': {'urll': '/x'}})
    assert status == 422 and 'request.urll' in document['error']
    status, document = call('POST', admin(server, 'mappings'),
                            {'match': {'headers': {'X': 1}}})
    assert status == 422 and "match.headers['X']" in document['error']


EVIL = '/(a+)+b'  # with "/" and 27 "a"s, held the GIL for seconds


@pytest.mark.parametrize('path, document', [
    ('mappings', {'request': {'urlPathPattern': EVIL}}),
    ('mappings', {'request': {'urlPath': '/x', 'headers': {
        'X': {'matches': '(\\w+\\s?)*!'}}}}),
    ('mappings', {'match': {'body': {'matches': '(.*a){12}'}}}),
    ('mappings/import', {'mappings': [{'request': {'urlPattern': EVIL}}]}),
    ('requests/count', {'path_pattern': EVIL}),
    ('requests/find', {'urlPathPattern': EVIL}),
    ('requests/wait', {'count': 1, 'match': {'url_pattern': EVIL},
                       'timeout': 0}),
])
def test_a_pattern_that_backtracks_for_ever_gets_422_naming_it(
        server, path, document):
    status, answer = call('POST', admin(server, path), document)
    assert status == 422, answer
    assert 'exponential time' in answer['error']
    assert call('GET', admin(server, 'mappings'))[1]['meta']['total'] == 0


def test_a_stub_pattern_sees_at_most_8_kib_and_longer_text_does_not_match(
        server):
    for mapping in [
            {'request': {'urlPathPattern': '/files/.*'},
             'response': {'body': 'path'}},
            {'request': {'urlPath': '/h', 'headers': {'X': {'matches': '.*'}}},
             'response': {'body': 'header'}},
            {'request': {'urlPath': '/b', 'bodyPatterns': [{'matches': '.*'}]},
             'response': {'body': 'body'}}]:
        assert call('POST', admin(server, 'mappings'), mapping)[0] == 201
    server.unmatched_response = 404

    def get(path, **kws):
        return requests.post(server.url(path), timeout=TIMEOUT, **kws)

    room = 8192 - len('/files/')
    assert get('/files/' + 'x' * room).text == 'path'
    assert get('/files/' + 'x' * (room + 1)).status_code == 404
    assert get('/h', headers={'X': 'x' * 8192}).text == 'header'
    assert get('/h', headers={'X': 'x' * 8193}).status_code == 404
    assert get('/b', data=b'x' * 8192).text == 'body'
    assert get('/b', data=b'x' * 8193).status_code == 404
    server.reset()  # the 404s were expected


def test_the_tests_own_patterns_are_not_restricted(server):
    server.route(re.compile(EVIL), body='compiled')
    server.route('/m', match={'path_pattern': '/m', 'body': {
        'matches': '(x+x+)+y'}}, body='match')
    assert requests.get(server.url('/aab'), timeout=TIMEOUT).text == \
        'compiled'
    assert requests.post(server.url('/m'), data=b'xxy' + b'.' * 9000,
                         timeout=TIMEOUT).status_code == 500  # no match
    server.reset()


def test_a_token_when_given_is_required():
    with httptestserver.http_server() as server:
        enable_control(server, token='s3cret')
        assert call('GET', admin(server, 'mappings'))[0] == 401
        assert call('GET', admin(server, 'mappings'),
                    headers={'X-Httptestserver-Token': 'wrong'})[0] == 401
        assert call('GET', admin(server, 'mappings'),
                    headers={'X-Httptestserver-Token': 's3cret'})[0] == 200
        assert call('GET', admin(server, 'mappings'),
                    headers={'Authorization': 'Bearer s3cret'})[0] == 200


class FakeServer(object):
    host = '0.0.0.0'
    routes = []


def test_a_server_bound_beyond_loopback_needs_a_token():
    with pytest.raises(ConfigurationError) as info:
        ControlAPI(FakeServer())
    assert 'needs a token' in str(info.value)
    assert ControlAPI(FakeServer(), token='t').token == 't'


def test_without_a_token_only_loopback_peers_are_answered():
    control = ControlAPI(type('S', (FakeServer,), {'host': '127.0.0.1'})())
    response = control.handle({'method': 'GET', 'url_path': '/__admin/',
                               'headers': Headers(), 'body': b'',
                               'client_address': ('10.1.2.3', 5)})
    assert response.status == 403


def raw(server, method, path, body=b'', **headers):
    """Send one request to the control API with exactly these *headers*
    (and no others but Content-Length and, unless given, Host); return
    (status, decoded JSON)."""
    headers.setdefault('Host', '127.0.0.1:%d' % server.port)
    conn = http_client.HTTPConnection(server.host, server.port,
                                      timeout=TIMEOUT)
    try:
        conn.putrequest(method, '/__admin/' + path, skip_host=True,
                        skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name.replace('_', '-'), value)
        conn.putheader('Content-Length', str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, json.loads(response.read().decode('utf-8'))
    finally:
        conn.close()


@pytest.mark.parametrize('host', ['evil.example', 'evil.example:%(port)d',
                                  '127.0.0.1.evil.example:%(port)d',
                                  'localhost.evil.example', '0.0.0.0'])
def test_a_foreign_host_name_is_refused_so_dns_rebinding_gets_nowhere(
        server, host):
    status, document = raw(server, 'GET', 'mappings',
                           Host=host % {'port': server.port})
    assert status == 403
    assert 'Host' in document['error'] and 'DNS rebinding' in \
        document['error']


@pytest.mark.parametrize('host', ['127.0.0.1:%(port)d', 'localhost:%(port)d',
                                  'LOCALHOST', '[::1]:%(port)d', '127.0.0.1',
                                  'localhost:1234'])
def test_loopback_host_names_are_answered(server, host):
    assert raw(server, 'GET', 'mappings',
               Host=host % {'port': server.port})[0] == 200


@pytest.mark.parametrize('origin', ['http://evil.example', 'null',
                                    'http://localhost:1', 'https://%(host)s'])
def test_a_request_from_another_origin_is_refused(server, origin):
    host = '127.0.0.1:%d' % server.port
    status, document = raw(server, 'POST', 'reset', Host=host,
                           Origin=origin % {'host': host})
    assert status == 403 and 'Origin' in document['error']


def test_a_request_from_the_same_origin_is_answered(server):
    host = 'localhost:%d' % server.port
    assert raw(server, 'POST', 'reset', Host=host,
               Origin='http://' + host)[0] == 200
    assert raw(server, 'POST', 'reset', Host='127.0.0.1:%d' % server.port,
               Origin=server.url('/').rstrip('/'))[0] == 200


@pytest.mark.parametrize('content_type', [
    None, 'text/plain', 'text/plain;charset=UTF-8',
    'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
    'application/jsonx', 'application/json-seq'])
def test_a_body_that_is_not_declared_json_gets_415(server, content_type):
    headers = {}
    if content_type is not None:
        headers['Content-Type'] = content_type
    body = json.dumps(STUB).encode('utf-8')
    status, document = raw(server, 'POST', 'mappings', body, **headers)
    assert status == 415 and 'application/json' in document['error']
    assert server.routes == []


@pytest.mark.parametrize('content_type', [
    'application/json', 'application/json; charset=utf-8',
    'Application/JSON;charset="UTF-8"'])
def test_json_bodies_and_empty_bodies_are_answered(server, content_type):
    body = json.dumps(STUB).encode('utf-8')
    assert raw(server, 'POST', 'mappings', body,
               Content_Type=content_type)[0] == 201
    assert raw(server, 'POST', 'reset')[0] == 200  # no body: no type needed


def test_what_the_wiremock_clients_send_is_answered(server):
    # python-wiremock: requests with these default headers; the npm
    # wiremock-rest-client: fetch with Content-Type: application/json.
    python_wiremock = {'Accept': 'application/json',
                       'Content-Type': 'application/json',
                       'user-agent': 'python_wiremock/2.6.1'}
    added = requests.post(admin(server, 'mappings'), data=json.dumps(STUB),
                          headers=python_wiremock, timeout=TIMEOUT)
    assert added.status_code == 201
    listed = requests.get(admin(server, 'mappings'), timeout=TIMEOUT,
                          headers=python_wiremock)
    assert listed.json()['meta']['total'] == 1
    assert requests.post(admin(server, 'reset'), timeout=TIMEOUT,
                         headers={'Content-Type': 'application/json'}).ok


@pytest.mark.parametrize('body', [
    b'[' * 100000 + b']' * 100000,
    json.dumps({'response_x': functools.reduce(
        lambda inner, _: [inner], range(200), 1)}).encode('ascii')])
def test_deeply_nested_json_gets_400(server, body):
    status, document = raw(server, 'POST', 'data', body,
                           Content_Type='application/json')
    assert status == 400 and 'nested' in document['error']


@pytest.mark.parametrize('path, document, field', [
    ('mappings', {'request': {'urlPath': '/x'}, 'response': {
        'fixedDelayMilliseconds': 10 ** 13}}, 'delay'),
    ('mappings', {'match': {}, 'response': {'delay': 1e300}}, 'delay'),
    ('unmatched', {'delay': 1e100}, 'delay'),
    ('data', {'response_timeout': 1e300}, "data['response_timeout']"),
])
def test_a_delay_beyond_what_a_thread_can_wait_gets_422_naming_it(
        server, path, document, field):
    status, answer = call('POST', admin(server, path), document)
    assert status == 422, answer
    assert field in answer['error'] and 'TIMEOUT_MAX' in answer['error']
    assert server.routes == [] and 'response_timeout' not in server.data


def test_data_shows_the_requests_fields_and_the_tests_keys_only(server):
    server.data['mine'] = {'n': 1}
    requests.post(server.url('/seen?q=1'), data=b'\x00\xff', timeout=TIMEOUT)
    status, data = call('GET', admin(server, 'data'))
    assert status == 200
    assert data['mine'] == {'n': 1} and data['path'] == '/seen?q=1'
    assert data['body'] == {'$base64': 'AP8='}
    for key in ('rfile', 'wfile', 'server', 'request', 'connection',
                'close_connection', 'raw_requestline'):
        assert key not in data
    text = json.dumps(data)
    assert 'socket' not in text and ' at 0x' not in text
    server.data['thing'] = object()  # not JSON: left out, not repr()'d
    assert 'thing' not in call('GET', admin(server, 'data'))[1]


def test_https_servers_offer_the_control_api_over_tls():
    with httptestserver.https_server() as server:
        enable_control(server)
        answer = requests.get(admin(server, 'mappings'), timeout=TIMEOUT,
                              verify=server.ca_file)
        assert answer.json()['meta']['total'] == 0


@pytest.mark.parametrize('fault, error', [
    ('CONNECTION_RESET_BY_PEER', requests.ConnectionError),
    ('EMPTY_RESPONSE', requests.ConnectionError),
    ('MALFORMED_RESPONSE_CHUNK', requests.RequestException),
])
def test_a_wiremock_fault_in_a_mapping_is_produced(server, fault, error):
    mapping = {'request': {'urlPath': '/flaky'},
               'response': {'fault': fault}}
    status, _ = call('POST', admin(server, 'mappings'), mapping)
    assert status == 201
    with pytest.raises(error):
        response = requests.get(server.url('/flaky'), timeout=TIMEOUT)
        response.content  # a malformed chunk shows when the body is read
    assert server.history[0]['fault'] is not None


@pytest.mark.skipif(not which('curl'), reason='curl is not installed')
def test_curl_can_add_a_stub_and_count_requests(server):
    def curl(*args):
        return subprocess.check_output(
            ['curl', '-sS', '--max-time', str(TIMEOUT)] + list(args))
    curl('-X', 'POST', '-H', 'Content-Type: application/json',
         '--data', json.dumps({'request': {'url': '/ping'},
                               'response': {'body': 'pong'}}),
         admin(server, 'mappings'))
    assert curl(server.url('/ping')) == b'pong'
    counted = curl('-X', 'POST', '-H', 'Content-Type: application/json',
                   '--data', '{"path": "/ping"}',
                   admin(server, 'requests/count'))
    assert json.loads(counted.decode('utf-8')) == {'count': 1}
    refused = curl('-X', 'POST', '--data', '{"path": "/ping"}',  # a form
                   admin(server, 'requests/count'))
    assert 'application/json' in json.loads(refused.decode('utf-8'))['error']


NODE_SCRIPT = r'''
const base = process.argv[1];
const admin = base + '__admin/';
const post = (path, doc) => fetch(admin + path, {method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify(doc), signal: AbortSignal.timeout(%d)});
(async () => {
  await post('mappings', {request: {method: 'PUT', urlPath: '/item',
      bodyPatterns: [{equalToJson: {a: 1}}]}, response: {status: 204}});
  const put = await fetch(base + 'item', {method: 'PUT', body: '{"a": 1}',
      signal: AbortSignal.timeout(%d)});
  const waited = await (await post('requests/wait', {count: 1,
      match: {path: '/item'}, timeout: 5})).json();
  console.log(JSON.stringify({status: put.status, ok: waited.ok,
      body: waited.requests[0].body}));
})().catch((e) => { console.error(e); process.exit(1); });
''' % (TIMEOUT * 1000, TIMEOUT * 1000)


def _node_has_fetch():
    node = which('node')
    if not node:
        return False
    try:
        out = subprocess.check_output(
            [node, '-e', 'console.log(typeof fetch)'])
    except (OSError, subprocess.CalledProcessError):
        return False
    return out.strip() == b'function'


@pytest.mark.skipif(not _node_has_fetch(),
                    reason='Node.js with fetch (18+) is not installed')
def test_node_fetch_drives_the_control_api(server):
    process = subprocess.Popen([which('node'), '-e', NODE_SCRIPT,
                                server.url('/')], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    out, err, _ = communicate(process, TIMEOUT * 3)
    assert process.returncode == 0, err
    assert json.loads(out.decode('utf-8')) == {'status': 204, 'ok': True,
                                               'body': '{"a": 1}'}
