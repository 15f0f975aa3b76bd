"""``Server.data`` and ``Server.history``: the 0.1.0 state API."""
import threading

import pytest
import requests

from httptestserver import ConfigurationError
from httptestserver.store.store import Store

from conftest import TIMEOUT


def test_data_holds_the_request_fields_after_each_request(
        server, with_timeout):
    requests.post(server.url('/p?q=1'), data=b'abc',
                  headers={'X-Thing': 'yes'}, **with_timeout)
    data = server.data
    assert data['requestline'] == 'POST /p?q=1 HTTP/1.1'
    assert data['command'] == 'POST'
    assert data['path'] == '/p?q=1'
    assert data['request_version'] == 'HTTP/1.1'
    assert data['headers']['x-thing'] == 'yes'
    assert data['headers']['X-THING'] == 'yes'
    assert data['client_address'][0] == '127.0.0.1'
    assert data['body'] == b'abc'


def test_body_is_empty_not_stale_after_a_request_without_one(
        server, with_timeout):
    requests.post(server.url('/'), data=b'first', **with_timeout)
    requests.get(server.url('/'), **with_timeout)
    assert server.data['body'] == b''
    assert [e['body'] for e in server.history] == [b'first', b'']


def test_chunked_request_body_is_read(server, with_timeout):
    requests.post(server.url('/'), data=iter([b'ab', b'cd']), **with_timeout)
    assert server.data['headers']['transfer-encoding'] == 'chunked'
    assert server.data['body'] == b'abcd'


def test_response_status_headers_and_content(server, with_timeout):
    server.data['response_status'] = 201
    server.data['response_headers'] = {'X-Answer': '42'}
    server.data['response_content'] = b'made'
    response = requests.get(server.url('/'), **with_timeout)
    assert response.status_code == 201
    assert response.headers['x-answer'] == '42'
    assert response.content == b'made'


def test_response_headers_as_pairs_repeat_names(server, with_timeout):
    server.data['response_headers'] = [('X-Dup', 'a'), ('X-Dup', 'b')]
    response = requests.get(server.url('/'), **with_timeout)
    assert response.raw.headers.getlist('X-Dup') == ['a', 'b']


def test_text_content_is_sent_utf8(server, with_timeout):
    server.data['response_content'] = u'caf\xe9'
    response = requests.get(server.url('/'), **with_timeout)
    assert response.content == u'caf\xe9'.encode('utf-8')
    assert response.headers['content-length'] == '5'


def test_default_response_is_an_empty_200_with_content_length(
        server, with_timeout):
    response = requests.get(server.url('/'), **with_timeout)
    assert response.status_code == 200
    assert response.content == b''
    assert response.headers['content-length'] == '0'


def test_settings_persist_until_changed(server, with_timeout):
    server.data['response_status'] = 404
    codes = [requests.get(server.url('/'), **with_timeout).status_code
             for _ in range(3)]
    server.data['response_status'] = 200
    codes.append(requests.get(server.url('/'), **with_timeout).status_code)
    assert codes == [404, 404, 404, 200]


def test_response_clear_drops_the_settings_after_one_response(
        server, with_timeout):
    server.data['response_status'] = 302
    server.data['response_headers'] = {'Location': '/target'}
    server.data['response_clear'] = True
    response = requests.get(server.url('/start'), **with_timeout)
    assert response.status_code == 200
    assert [e['path'] for e in server.history] == ['/start', '/target']
    assert [e['response_status'] for e in server.history] == [302, 200]
    assert server.response_data == {}


def test_response_reset_resets_all_data(server, with_timeout):
    server.data['response_status'] = 500
    server.data['mine'] = 'kept until reset'
    server.data['response_reset'] = True
    assert requests.get(server.url('/'), **with_timeout).status_code == 500
    assert server.data == {}
    assert requests.get(server.url('/'), **with_timeout).status_code == 200
    assert len(server.history) == 2  # history is never lost


def test_clear_and_reset_together_reset(server, with_timeout):
    server.data['response_status'] = 500
    server.data['mine'] = 1
    server.data['response_clear'] = True
    server.data['response_reset'] = True
    requests.get(server.url('/'), **with_timeout)
    assert 'mine' not in server.data


def test_history_is_saved_before_the_response_is_sent(server, with_timeout):
    """A streamed body runs in the server thread once the response has
    begun: by then the request is in history and response_clear applied."""
    seen = {}

    def body():
        seen['paths'] = [e['path'] for e in server.history]
        seen['status still set'] = 'response_status' in server.data
        yield b'done'
    server.data['response_clear'] = True
    server.data['response_status'] = 203
    server.data['response_content'] = body()
    response = requests.get(server.url('/mine'), **with_timeout)
    assert (response.status_code, response.content) == (203, b'done')
    assert seen == {'paths': ['/mine'], 'status still set': False}


def test_history_entries_hold_request_and_response(server, with_timeout):
    server.data['response_content'] = b'hello'
    requests.get(server.url('/h'), **with_timeout)
    entry = server.history[0]
    assert entry['path'] == '/h'
    assert entry['response_status'] == 200
    assert entry['response_content'] == b'hello'


def test_history_is_a_read_only_snapshot(server, with_timeout):
    requests.get(server.url('/'), **with_timeout)
    snapshot = server.history
    with pytest.raises(AttributeError):
        snapshot.append('junk')  # read-only, as 0.1.0 documented it
    snapshot[-1]['path'] = 'changed'  # a copy: the server's stays
    requests.get(server.url('/b'), **with_timeout)
    assert len(server.history) == 2 and len(snapshot) == 1
    assert server.history[0]['path'] == '/'
    assert snapshot == [server.history[0]] and snapshot != server.history
    assert isinstance(list(snapshot), list) and repr(snapshot).startswith('[')
    assert [e['path'] for e in server.history[-2:]] == ['/', '/b']


def test_a_history_taken_before_reset_keeps_what_it_saw(server,
                                                        with_timeout):
    requests.get(server.url('/old'), **with_timeout)
    before = server.history
    server.reset()
    assert server.history == [] and len(before) == 1
    assert before[0]['path'] == '/old'


def test_reset_clears_data_and_history(server, with_timeout):
    server.data['response_status'] = 404
    requests.get(server.url('/'), **with_timeout)
    server.reset()
    assert server.data == {}
    assert server.history == []
    assert requests.get(server.url('/'), **with_timeout).status_code == 200


def test_response_data_lists_only_response_settings(server):
    server.data['response_status'] = 204
    server.data['other'] = 1
    assert server.response_data == {'response_status': 204}


def test_setting_headers_before_a_request_sets_response_headers(server,
                                                                with_timeout):
    server.data['headers'] = {'Content-Type': 'application/json'}
    server.data['response_content'] = '{"key": "value"}'
    assert requests.get(server.url('/'),
                        **with_timeout).json() == {'key': 'value'}
    # After the request, 'headers' are the request's.
    assert 'user-agent' in server.data['headers']
    assert server.data['response_headers'] == {
        'Content-Type': 'application/json'}


@pytest.mark.parametrize('key,value,hint', [
    ('response_status', '200', 'from 100 to 999'),
    ('response_status', 42, 'from 100 to 999'),
    ('response_headers', 'X: y', 'dict or a list of (name, value) pairs'),
    ('response_timeout', -1, 'number of seconds >= 0'),
    ('response_content', 12, 'bytes, text or an iterable'),
])
def test_bad_settings_raise_at_once_naming_the_key(server, key, value, hint):
    with pytest.raises(ConfigurationError) as info:
        server.data[key] = value
    assert key in str(info.value) and hint in str(info.value)


def test_data_can_be_read_and_written_while_requests_run(server, with_timeout):
    stop = threading.Event()
    failures = []

    def writer():
        for i in range(2000):
            if stop.is_set():
                return
            server.data['response_headers'] = {'X-I': str(i)}
            list(server.data.items())
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(20):
            response = requests.get(server.url('/'), **with_timeout)
            if not response.ok or 'x-i' not in response.headers:
                failures.append(response)
    finally:
        stop.set()
        thread.join(TIMEOUT)
    assert not failures


def test_a_request_answered_across_reset_does_not_leak_into_the_next_test(
        server, with_timeout):
    """What the mixins rely on: reset() starts a new test, and a request of
    the previous one that is answered late is neither recorded nor raised."""
    entered, release = threading.Event(), threading.Event()

    def slow_and_failing(request):
        entered.set()
        release.wait(TIMEOUT)
        raise ValueError('from the previous test')
    server.route('/old', slow_and_failing)
    client = threading.Thread(target=_get_quietly,
                              args=(server.url('/old'), with_timeout))
    client.start()
    try:
        assert entered.wait(TIMEOUT)
        server.reset()
    finally:
        release.set()
        client.join(TIMEOUT)
    assert server.history == []
    assert server.errors == []
    server.check()
    requests.get(server.url('/new'), **with_timeout)
    assert [e['path'] for e in server.history] == ['/new']


def _get_quietly(url, kws):
    try:
        requests.get(url, **kws)
    except requests.RequestException:
        pass


def test_header_values_may_be_bytes_text_or_numbers(server, with_timeout):
    server.data['response_headers'] = [(b'X-Bytes', b'raw'),
                                       (u'X-Text', u'caf\xe9'),
                                       ('X-Number', 42)]
    response = requests.get(server.url('/'), **with_timeout)
    assert response.headers['x-bytes'] == 'raw'
    assert response.headers['x-number'] == '42'
    # Latin-1 on the wire, as RFC 9110 allows for field values.
    text = response.raw.headers['x-text']
    raw = text if isinstance(text, bytes) else text.encode('latin-1')
    assert raw == b'caf\xe9'


def test_bytearray_content_is_sent_as_bytes(server, with_timeout):
    server.data['response_content'] = bytearray(b'abc')
    assert requests.get(server.url('/'), **with_timeout).content == b'abc'


def test_or_assignment_is_checked_like_item_assignment(server):
    data = server.data
    if not hasattr(dict, '__ior__'):
        pytest.skip('dict |= arrived in Python 3.9')
    with pytest.raises(ConfigurationError):
        data |= {'response_status': 'two hundred'}
    data |= {'headers': {'X': '1'}}
    assert server.data['response_headers'] == {'X': '1'}


def test_history_entries_are_copies(server, with_timeout):
    requests.get(server.url('/real'), **with_timeout)
    server.history[0]['path'] = '/tampered'
    server.history[0]['headers'].add('X-Tampered', '1')
    assert server.history[0]['path'] == '/real'
    assert 'X-Tampered' not in server.history[0]['headers']
    server.data['headers'].add('X-Data', '1')
    assert 'X-Data' not in server.history[0]['headers']


def test_nested_values_of_history_entries_are_copies_too(server,
                                                         with_timeout):
    requests.post(server.url('/j?x=1'), json={'a': [1]}, **with_timeout)
    entry = server.history[0]
    entry['query']['x'].append('2')
    entry['json']['a'].append(2)
    assert server.history[0]['query'] == {'x': ['1']}
    assert server.history[0]['json'] == {'a': [1]}
    server.data['json']['a'].append(3)
    assert server.history[0]['json'] == {'a': [1]}


def test_memoryview_content_is_sent_as_its_bytes(server, with_timeout):
    server.data['response_content'] = memoryview(b'view')
    assert requests.get(server.url('/'), **with_timeout).content == b'view'


def record_get(state, path):
    head = ('GET %s HTTP/1.1\r\nHost: h\r\n\r\n' % path).encode('ascii')
    state.record({'client_address': ('127.0.0.1', 5000), 'time': 1.0,
                  'scheme': 'http', 'tls': None, 'body': b''}, head)


def test_a_history_limit_keeps_the_newest_entries_and_waits_still_count():
    state = Store()
    state.history_limit = 2
    for number in range(5):
        record_get(state, '/%d' % number)
    assert [e['path'] for e in state.history()] == ['/3', '/4']
    ok, found = state.wait(1, lambda e: e['path'] == '/4', timeout=0)
    assert ok and found[0]['path'] == '/4'
    ok, _ = state.wait(1, lambda e: e['path'] == '/0', timeout=0)
    assert not ok  # let go by the limit
