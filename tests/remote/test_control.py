"""The control API: stubs, requests, waits, data, reset and shutdown over
HTTP, from Python (stdlib and requests), curl and Node's fetch."""
import base64
import json
import subprocess
import threading
import time

import pytest
import requests
from six.moves.urllib import error as urlerror
from six.moves.urllib import request as urlrequest

import httptestserver
from httptestserver.remote.control import ControlAPI, enable_control
from httptestserver.errors import ConfigurationError
from httptestserver.headers import Headers

from conftest import TIMEOUT, communicate, which


def call(method, url, document=None, headers=None):
    """Call the control API with the standard library; return (status,
    decoded JSON)."""
    data = None if document is None else json.dumps(document).encode('utf-8')
    req = urlrequest.Request(url, data=data, headers=headers or {})
    req.get_method = lambda: method
    try:
        response = urlrequest.urlopen(req, timeout=TIMEOUT)
    except urlerror.HTTPError as exc:
        response = exc
    try:
        return response.getcode(), json.loads(response.read().decode('utf-8'))
    finally:
        response.close()


@pytest.fixture
def server():
    with httptestserver.http_server() as server:
        enable_control(server)
        yield server


def admin(server, path=''):
    return server.control.url(path)


STUB = {'request': {'method': 'POST', 'urlPath': '/users',
                    'headers': {'X-Token': {'equalTo': 'abc'}}},
        'response': {'status': 201, 'jsonBody': {'id': 1}}}


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


def test_mappings_can_be_listed_fetched_and_removed(server):
    _, first = call('POST', admin(server, 'mappings'), STUB)
    _, second = call('POST', admin(server, 'mappings'),
                     {'match': {'path': '/ours'}, 'response': {'body': 'x'}})
    status, listing = call('GET', admin(server, 'mappings'))
    assert status == 200 and listing['meta']['total'] == 2
    assert [m['id'] for m in listing['mappings']] == [first['id'],
                                                      second['id']]
    assert call('GET', admin(server, 'mappings/' + first['id'])) == (
        200, first)
    assert call('DELETE', admin(server, 'mappings/' + first['id']))[0] == 200
    assert call('GET', admin(server, 'mappings/' + first['id']))[0] == 404
    assert call('DELETE', admin(server, 'mappings')) == (200, {'removed': 1})
    assert server.routes == []


def test_exported_mappings_load_into_a_new_server(server, tmpdir):
    call('POST', admin(server, 'mappings/import'), {'mappings': [
        STUB, {'request': {'urlPathPattern': '/files/.*'},
               'response': {'base64Body': 'AP8=', 'headers': {
                   'Content-Type': 'application/octet-stream'}}}]})
    _, exported = call('GET', admin(server, 'mappings'))
    path = tmpdir.join('stubs.json')
    path.write(json.dumps(exported))
    with httptestserver.http_server() as other:
        enable_control(other, stubs=httptestserver.remote.wiremock.load_stubs(
            str(path)))
        assert requests.get(other.url('/files/a'),
                            timeout=TIMEOUT).content == b'\x00\xff'
        answer = requests.post(other.url('/users'), timeout=TIMEOUT,
                               headers={'X-Token': 'abc'})
        assert answer.status_code == 201
        assert call('GET', admin(other, 'mappings'))[1] == exported


def test_recorded_requests_carry_text_and_base64_bodies(server):
    requests.post(server.url('/bin'), data=b'\x00\xff', timeout=TIMEOUT)
    requests.post(server.url('/text?q=1'), data=u'h\xe9'.encode('utf-8'),
                  timeout=TIMEOUT, headers={'X-A': '1'})
    status, found = call('GET', admin(server, 'requests'))
    assert status == 200 and found['meta']['total'] == 2
    binary, text = found['requests']
    assert binary['body'] is None and base64.b64decode(
        binary['body_base64']) == b'\x00\xff'
    assert text['body'] == u'h\xe9' and text['query'] == {'q': ['1']}
    assert ['X-A', '1'] in text['headers']


def test_requests_are_counted_and_found_by_our_spec_or_wiremocks(server):
    for token in ('a', 'b', 'a'):
        requests.get(server.url('/x'), headers={'X-T': token},
                     timeout=TIMEOUT)
    ours = {'path': '/x', 'headers': {'X-T': 'a'}}
    theirs = {'urlPath': '/x', 'headers': {'X-T': {'equalTo': 'a'}}}
    assert call('POST', admin(server, 'requests/count'), ours)[1] == {
        'count': 2}
    assert call('POST', admin(server, 'requests/count'), theirs)[1] == {
        'count': 2}
    assert call('POST', admin(server, 'requests/count'))[1] == {'count': 3}
    _, found = call('POST', admin(server, 'requests/find'),
                    {'headers': {'X-T': 'b'}})
    assert len(found['requests']) == 1


def test_a_wait_returns_as_soon_as_the_requests_arrive(server):
    answers = []
    waiter = threading.Thread(target=lambda: answers.append(call(
        'POST', admin(server, 'requests/wait'),
        {'count': 2, 'match': {'path': '/late'}, 'timeout': TIMEOUT})))
    waiter.start()
    for _ in range(2):
        requests.get(server.url('/late'), timeout=TIMEOUT)
    waiter.join(TIMEOUT + 5)
    status, document = answers[0]
    assert status == 200 and document['ok'] and document['count'] == 2


def test_a_wait_that_times_out_answers_408_with_what_arrived(server):
    requests.get(server.url('/one'), timeout=TIMEOUT)
    started = time.time()
    status, document = call('POST', admin(server, 'requests/wait'),
                            {'count': 2, 'timeout': 0.3})
    assert 0.25 <= time.time() - started < 5
    assert status == 408 and document['ok'] is False
    assert document['count'] == 1


def test_errors_are_readable_and_check_takes_them(server):
    def boom(request):
        raise ValueError('broken route')
    server.route('/boom', boom)
    assert requests.get(server.url('/boom'), timeout=TIMEOUT).status_code \
        == 500
    _, errors = call('GET', admin(server, 'errors'))
    assert 'broken route' in errors['errors'][0]['error']
    _, checked = call('POST', admin(server, 'check'))
    assert checked['error'] == 'HandlerError' and 'broken route' in \
        checked['message']
    assert call('POST', admin(server, 'check'))[1] == {'ok': True}


def test_data_settings_shape_the_default_response(server):
    status, data = call('POST', admin(server, 'data'), {
        'response_status': 418, 'response_content': {'$base64': 'AP8='},
        'response_headers': {'X-Tea': 'yes'}})
    assert status == 200 and data['response_status'] == 418
    answer = requests.get(server.url('/tea'), timeout=TIMEOUT)
    assert answer.status_code == 418 and answer.content == b'\x00\xff'
    assert answer.headers['X-Tea'] == 'yes'
    _, data = call('GET', admin(server, 'data'))
    assert data['path'] == '/tea' and data['response_content'] == {
        '$base64': 'AP8='}
    call('DELETE', admin(server, 'data/response_status'))
    assert 'response_status' not in server.data
    status, message = call('POST', admin(server, 'data'),
                           {'response_status': 'x'})
    assert status == 422 and 'response_status' in message['error']


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


@pytest.mark.parametrize('method, path, status, words', [
    ('GET', 'nothing', 404, ['no control endpoint']),
    ('PUT', 'mappings', 405, ['takes DELETE, GET, POST']),
    ('POST', 'mappings', 400, ['needs a JSON body']),
])
def test_bad_control_requests_get_a_clear_4xx(server, method, path, status,
                                              words):
    got, document = call(method, admin(server, path))
    assert got == status
    for word in words:
        assert word in document['error']


def test_a_bad_stub_gets_422_naming_the_field(server):
    status, document = call('POST', admin(server, 'mappings'),
                            {'request': {'urll': '/x'}})
    assert status == 422 and 'request.urll' in document['error']
    status, document = call('POST', admin(server, 'mappings'),
                            {'match': {'headers': {'X': 1}}})
    assert status == 422 and "match.headers['X']" in document['error']


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


def test_https_servers_offer_the_control_api_over_tls():
    with httptestserver.https_server() as server:
        enable_control(server)
        answer = requests.get(admin(server, 'mappings'), timeout=TIMEOUT,
                              verify=server.ca_file)
        assert answer.json()['meta']['total'] == 0


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
    counted = curl('-X', 'POST', '--data', '{"path": "/ping"}',
                   admin(server, 'requests/count'))
    assert json.loads(counted.decode('utf-8')) == {'count': 1}


NODE_SCRIPT = r'''
const base = process.argv[1];
const admin = base + '__admin/';
const post = (path, doc) => fetch(admin + path, {method: 'POST',
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


def test_the_unmatched_response_is_set_read_and_cleared(server):
    server.route('/known', 200)
    assert call('POST', admin(server, 'unmatched'), {
        'status': 404, 'body': 'nope'}) == (200, {'response': {
            'status': 404, 'body': 'nope'}})
    answer = requests.get(server.url('/other'), timeout=TIMEOUT)
    assert (answer.status_code, answer.text) == (404, 'nope')
    assert call('GET', admin(server, 'unmatched'))[1]['response'][
        'status'] == 404
    assert call('DELETE', admin(server, 'unmatched'))[0] == 200
    assert server.unmatched_response is None
    status, document = call('POST', admin(server, 'unmatched'),
                            {'status': 'x'})
    assert status == 422 and 'status' in document['error']
    with pytest.raises(httptestserver.VerificationError):
        server.check()  # /other was still unexpected


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


def test_every_wiremock_fault_names_a_fault_of_the_server():
    from httptestserver.answers import faults
    from httptestserver.remote import stubs
    for name in stubs.FAULTS:
        spec = stubs.response_spec({'response': {'fault': name}})
        assert faults.check_fault(spec['fault'], 'fault') == spec['fault']
    assert stubs.response_spec({'response': {
        'fault': 'RANDOM_DATA_THEN_CLOSE'}})['fault'] == 'garbage'
