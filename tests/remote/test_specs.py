"""The in-thread API's arguments as data: every response form of route()
crosses into a child, and what cannot cross is refused with the data form
to use instead."""
import datetime
import re
import time

import pytest
import requests
import six

import httptestserver
from httptestserver.answers.delays import Delay
from httptestserver.answers.responses import make_response
from httptestserver.errors import ConfigurationError
from httptestserver.protocol.websocket import Close

from conftest import TIMEOUT
from _remote_helpers import call, fixture_child, \
    fixture_shared  # noqa: F401


def test_the_response_forms_of_route_cross_as_data(child):
    child.route('/int', 204)
    child.route('/bytes', b'\x00\xff')
    child.route('/tuple', (202, {'X-A': '1'}, u'caf\xe9'))
    child.route(re.compile(r'/items/\d+'), responses=[
        {'status': 200, 'body': 'first'}, {'status': 200, 'body': 'second'}])
    child.route('/q', 'paged', query={'page': '2'})
    child.route('/slow', body='late', delay=0.05, cookies={'s': '1'})

    def get(path):
        return requests.get(child.url(path), timeout=TIMEOUT)

    assert get('/int').status_code == 204
    assert get('/bytes').content == b'\x00\xff'
    tupled = get('/tuple')
    assert tupled.status_code == 202 and tupled.headers['X-A'] == '1'
    assert tupled.content == u'caf\xe9'.encode('utf-8')
    assert [get('/items/%d' % i).text for i in (1, 2)] == ['first', 'second']
    assert get('/q?page=2').text == 'paged'
    assert get('/slow').cookies['s'] == '1'
    child.data['response_status'] = 404  # what falls through
    assert get('/items/3').status_code == 404
    assert get('/q?page=3').status_code == 404


def test_a_positional_body_composes_with_keywords_in_a_child(child):
    child.route('/created', 'ok', status=201, content_type='text/plain')
    child.route('/json', {'a': 1}, headers={'X-A': '1'})
    created = requests.get(child.url('/created'), timeout=TIMEOUT)
    assert (created.status_code, created.text) == (201, 'ok')
    assert created.headers['Content-Type'] == 'text/plain'
    answer = requests.get(child.url('/json'), timeout=TIMEOUT)
    assert answer.json() == {'a': 1} and answer.headers['X-A'] == '1'
    with pytest.raises(ConfigurationError) as info:
        child.route('/twice', 200, status=201)
    assert 'status=201' in str(info.value)


def test_a_callable_cannot_cross_and_the_error_offers_the_data_form(child):
    with pytest.raises(ConfigurationError) as info:
        child.route('/x', lambda request: 200)
    assert 'cannot cross into the child process' in str(info.value)
    assert 'status=201, json=' in str(info.value)
    with pytest.raises(ConfigurationError) as info:
        child.route('/x', match=lambda request: True)
    assert 'match={"headers"' in str(info.value)
    with pytest.raises(ConfigurationError) as info:
        child.route('/x', match={'headers': {'X': 5}})
    assert "match.headers['X']" in str(info.value)


def test_a_pattern_that_backtracks_for_ever_cannot_cross(child):
    with pytest.raises(ConfigurationError) as info:
        child.route(re.compile(r'/(a+)+b'))
    assert 'exponential time' in str(info.value)
    with pytest.raises(ConfigurationError):
        child.route('/x', match={'headers': {'X': {'matches': '(a|a)*'}}})
    child.route(re.compile(r'/(?:[^/]+/)*file'), body='ok')
    assert requests.get(child.url('/a/b/file'), timeout=TIMEOUT).text == 'ok'


def answer(url):
    """GET *url* on a new connection: ``((status, body) or the client's
    error, seconds taken)``."""
    started = time.time()
    try:
        response = requests.get(url, timeout=TIMEOUT)
        outcome = (response.status_code, response.content)
    except requests.RequestException as exc:
        outcome = type(exc).__name__
    return outcome, time.time() - started


@pytest.mark.parametrize('fields, at_least', [
    ({'fault': 'reset'}, 0),
    ({'fault': 'truncated', 'body': 'x' * 100}, 0),
    ({'fault': 'headers_only', 'body': 'abc'}, 0),
    ({'fault': 'empty'}, 0),
    ({'dribble': {'chunks': 3, 'duration': 0.3}, 'body': 'abcdef'}, 0.3),
    ({'bandwidth': 2000, 'body': 'x' * 600}, 0.3),
    ({'body_delay': 0.3, 'body': 'late'}, 0.3),
    ({'chunk_delay': {'fixed': 0.3}, 'body': 'late'}, 0.3),
    ({'delay': {'uniform': [0.3, 0.35]}, 'body': 'late'}, 0.3),
    ({'delay': Delay('lognormal', [0.3, 0.0, 0.4]), 'body': 'late'}, 0.3),
    ({'chaos': {'delay': 0.3, 'probability': 1.0}, 'body': 'late'}, 0.3),
])
def test_every_response_keyword_crosses_and_answers_as_in_thread(
        child, fields, at_least):
    with httptestserver.http_server() as local:
        local.route('/k', **fields)
        expected, took = answer(local.url('/k'))
        [here] = local.history
    child.route('/k', **fields)
    got, took_there = answer(child.url('/k'))
    [there] = child.history
    assert got == expected
    assert took >= at_least and took_there >= at_least
    assert there['fault'] == here['fault']
    assert sorted(there['delays']) == sorted(here['delays'])
    assert ('chaos' in there) == ('chaos' in here)


def test_chaos_with_a_seed_replays_in_the_child_as_in_thread(child):
    chaos = {'fault': ['reset', 'empty'], 'probability': 0.5, 'seed': 7}
    with httptestserver.http_server() as local:
        local.route('/c', body='ok', chaos=chaos)
        expected = [answer(local.url('/c'))[0] for _ in range(12)]
        faults = [e['fault'] for e in local.history]
    assert (200, b'ok') in expected and 'ConnectionError' in expected
    for _ in range(2):  # and again: the seed replays the run
        child.reset()
        child.route('/c', body='ok', chaos=chaos)
        assert [answer(child.url('/c'))[0] for _ in range(12)] == expected
        assert [e['fault'] for e in child.history] == faults


def test_the_unmatched_response_keeps_its_fault(child):
    child.route('/a', 'a')
    child.unmatched_response = {'fault': 'reset'}
    assert answer(child.url('/b'))[0] == 'ConnectionError'
    assert child.history[-1]['fault'] == 'reset'
    child.reset()  # the unmatched request was the point


def test_what_cannot_cross_is_refused_by_name(child):
    with pytest.raises(ConfigurationError) as info:
        child.route('/x', cookies={'a': {'value': '1', 'expires':
                                         datetime.datetime(2030, 1, 1)}})
    assert 'response cookies=' in str(info.value)
    assert 'cannot cross into the child process' in str(info.value)
    with pytest.raises(ConfigurationError) as info:
        child.route('/x', body=iter([b'a']))
    assert 'an iterator or generator runs in this process' in str(info.value)
    assert 'a list of chunks' in str(info.value)
    assert child.routes == []


def test_a_list_body_crosses_and_streams_in_chunks(child):
    child.route('/chunks', body=[b'\x00\xff', u'caf\xe9', b'end'])
    response = requests.get(child.url('/chunks'), timeout=TIMEOUT)
    assert response.headers['transfer-encoding'] == 'chunked'
    assert response.content == b'\x00\xff' + u'caf\xe9'.encode('utf-8') + \
        b'end'


EVENTS = [{'data': 'one', 'id': '1'}, {'event': 'tick', 'data': 'two',
                                       'id': '2', 'delay': 0.05},
          {'json': {'n': 3}, 'id': '3', 'retry': 100}, u'caf\xe9']


def stream_bodies(server, path):
    """The bodies of two event streams from *server*: from the start, and
    resumed after event 2."""
    bodies = []
    for headers in ({}, {'Last-Event-ID': '2'}):
        response = requests.get(server.url(path), headers=headers,
                                timeout=TIMEOUT)
        assert response.headers['content-type'].startswith(
            'text/event-stream')
        bodies.append(response.content)
    return bodies


def test_an_event_stream_crosses_and_streams_as_in_thread(child):
    with httptestserver.http_server() as local:
        local.route('/events', httptestserver.EventStream(EVENTS))
        expected = stream_bodies(local, '/events')
    child.route('/events', httptestserver.EventStream(EVENTS))
    assert stream_bodies(child, '/events') == expected
    assert b'data: one' in expected[0] and b'data: one' not in expected[1]
    assert [e['route'] for e in child.history] == ['ANY /events'] * 2


def test_an_event_stream_cut_after_n_events_crosses(child):
    child.route('/cut', httptestserver.EventStream(EVENTS, cut_after=1))
    with pytest.raises(requests.RequestException):
        requests.get(child.url('/cut'), timeout=TIMEOUT).content


def websocket_session(wsc, url):
    """Greeting, then the replies to three messages, from a WebSocket at
    *url*: ``[(opcode, data)]``."""
    conn = wsc.create_connection(url, timeout=TIMEOUT)
    try:
        got = [conn.recv_data()]
        for message in (u'first', b'second', u'third'):
            conn.send(message) if isinstance(message, six.text_type) else \
                conn.send_binary(message)
            got.append(conn.recv_data())
        got.append(conn.recv_data(control_frame=True))  # the Close
        return got
    finally:
        conn.close()


def test_a_websocket_with_declarative_replies_crosses(child):
    wsc = pytest.importorskip('websocket')
    replies = [u'one', [b'\x00two', u'two'], Close(4000, u'done')]
    with httptestserver.http_server() as local:
        local.route('/ws', httptestserver.WebSocket(
            replies=replies, greeting=u'hello', subprotocols=['chat']))
        expected = websocket_session(wsc, 'ws' + local.url('/ws')[4:])
    child.route('/ws', httptestserver.WebSocket(
        replies=replies, greeting=u'hello', subprotocols=['chat']))
    assert websocket_session(wsc, 'ws' + child.url('/ws')[4:]) == expected
    assert expected[0] == (wsc.ABNF.OPCODE_TEXT, b'hello')
    assert expected[-1][0] == wsc.ABNF.OPCODE_CLOSE


def read_until_cut(url):
    """The bytes of an event stream that is cut before its end."""
    got = []
    with pytest.raises(requests.RequestException):
        with requests.get(url, stream=True, timeout=TIMEOUT) as response:
            for chunk in response.iter_content(chunk_size=None):
                got.append(chunk)
    return b''.join(got)


def test_an_event_stream_that_misbehaves_crosses(child):
    def stream():
        return httptestserver.EventStream(
            EVENTS, cut_within=2, retry=0, line_ending='\r', bom=True)
    with httptestserver.http_server() as local:
        local.route('/events', stream())
        expected = read_until_cut(local.url('/events'))
    child.route('/events', stream())
    assert read_until_cut(child.url('/events')) == expected
    assert expected.startswith(b'\xef\xbb\xbfretry: 0\r\rid: 1\rdata: '
                               b'one\r\r')
    assert child.history[-1]['response_status'] == 200


def test_a_websocket_that_misbehaves_crosses(child):
    wsc = pytest.importorskip('websocket')
    child.route('/refused', httptestserver.WebSocket(
        handshake_status=403, handshake_headers={'X-Why': 'banned'}))
    with pytest.raises(wsc.WebSocketBadStatusException) as info:
        wsc.create_connection('ws' + child.url('/refused')[4:],
                              timeout=TIMEOUT)
    assert info.value.status_code == 403
    assert child.history[-1]['response_headers']['X-Why'] == 'banned'
    child.route('/silent', httptestserver.WebSocket(
        answer_pings=False, compression=False, handshake_delay=0.01))
    conn = wsc.create_connection('ws' + child.url('/silent')[4:],
                                 timeout=TIMEOUT)
    try:
        conn.ping(b'anyone?')
        conn.send(u'echo')
        assert conn.recv_data(control_frame=True) == (
            wsc.ABNF.OPCODE_TEXT, b'echo')  # no pong came first
    finally:
        conn.close()
    assert child.history[-1]['delays'] == {'delay': 0.01}


@pytest.mark.parametrize('route, words', [
    (lambda: httptestserver.EventStream(lambda request: []),
     'EventStream([{"data": "hi", "delay": 0.1}])'),
    (lambda: httptestserver.EventStream(iter([{'data': 'x'}])),
     'give the events as a list'),
    (lambda: httptestserver.WebSocket(replies=lambda message: message),
     'WebSocket(replies=["first answer", ["two", "replies"], None, '
     'Close(1000)]'),
    (lambda: httptestserver.WebSocket(subprotocols=lambda offered: None),
     'whose subprotocols is a function'),
])
def test_a_stream_that_runs_code_is_refused_with_its_data_form(
        child, route, words):
    with pytest.raises(ConfigurationError) as info:
        child.route('/s', route())
    assert 'cannot cross into the child process' in str(info.value)
    assert words in str(info.value)
    assert child.routes == []


def test_a_matcher_object_crosses_as_its_spec(child):
    child.route('/m', match=httptestserver.Matcher({'headers': {'X-A': '1'}}),
                body='matched')
    child.unmatched_response = 404
    assert requests.get(child.url('/m'), headers={'X-A': '1'},
                        timeout=TIMEOUT).text == 'matched'
    assert requests.get(child.url('/m'), timeout=TIMEOUT).status_code == 404
    child.reset()  # the unmatched request was the point


def test_a_path_pattern_keeps_its_flags_across(child):
    route = child.route(re.compile(r'/users/\d+', re.I), body='user')
    assert requests.get(child.url('/USERS/7'), timeout=TIMEOUT).text == 'user'
    assert route.describe() == r'ANY re:/users/\d+'
    if hasattr(re, 'ASCII'):  # Python 3
        with pytest.raises(ConfigurationError) as info:
            child.route(re.compile('/x', re.ASCII))
        assert 'write them inline' in str(info.value)


def test_another_language_posts_a_route_document(child):
    status, state = call('POST', child.control_url + 'routes', {
        'path': '/doc', 'method': ['GET'], 'times': 3, 'responses': [
            {'status': 503}, {'chunks': ['a', {'$base64': 'AP8='}]}]})
    assert status == 201
    assert (state['describe'], state['remaining']) == (
        'GET /doc (0 of 3 used)', 3)
    codes = [requests.get(child.url('/doc'), timeout=TIMEOUT)
             for _ in range(2)]
    assert [c.status_code for c in codes] == [503, 200]
    assert codes[1].content == b'a\x00\xff'
    status, state = call('GET', child.control_url + 'routes/' + state['id'])
    assert [e['path'] for e in state['calls']] == ['/doc', '/doc']
    status, listed = call('GET', child.control_url + 'routes')
    assert [r['describe'] for r in listed['routes']] == [
        'GET /doc (2 of 3 used)']


@pytest.mark.parametrize('document, words', [
    ({'path': '/x', 'nonsense': 1}, 'keys from path, path_pattern'),
    ({'path': '/x', 'responses': {}}, 'give a list of responses'),
    ({'path': '/x', 'responses': [{'status': 'x'}]}, 'status'),
    ({'path': '/x', 'responses': [{'delay': 1e300}]}, 'TIMEOUT_MAX'),
    ({'path': '/x', 'responses': [{'chunks': [5]}]}, 'give text'),
    ({'path_pattern': ['/(a+)+b', 0], 'responses': [{}]},
     'exponential time'),
    ({'path': '/x', 'responses': [{'events': {'events': 'x'}}]},
     'events must be a list'),
    ({'path': '/x', 'responses': [{'websocket': {'replies': [
        {'$close': 'x'}]}}]}, '$close'),
    ({'path': '/x', 'responses': [{'websocket': {}, 'status': 200}]},
     'events or websocket alone'),
])
def test_a_bad_route_document_is_refused_naming_the_field(
        child, document, words):
    status, answer = call('POST', child.control_url + 'routes', document)
    assert status in (400, 422)
    assert words in answer['error']
    assert child.routes == []


def test_a_response_object_crosses_with_its_faults_and_delays(child):
    spec = {'status': 202, 'headers': {'X-A': '1'}, 'body': 'late',
            'delay': {'uniform': [0.2, 0.25]}, 'chunk_delay': 0.05}
    with httptestserver.http_server() as local:
        local.route('/r', make_response(spec))
        expected, took = answer(local.url('/r'))
        [here] = local.history
    child.route('/r', make_response(spec))
    got, took_there = answer(child.url('/r'))
    [there] = child.history
    assert got == expected == (202, b'late')
    assert took >= 0.2 and took_there >= 0.2
    assert sorted(there['delays']) == sorted(here['delays'])
    assert there['response_headers']['X-A'] == '1'


def test_an_event_stream_kept_open_crosses_with_its_heartbeat(child):
    child.route('/open', httptestserver.EventStream(
        [{'data': 'x'}], keep_open=True, server=child, heartbeat=0.05))
    response = requests.get(child.url('/open'), stream=True, timeout=TIMEOUT)
    try:
        lines = response.iter_lines()
        assert [next(lines) for _ in range(3)] == [b'data: x', b'',
                                                   b': heartbeat']
    finally:
        response.close()
