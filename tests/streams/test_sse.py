"""Server-Sent Events routes (``streams/sse.py``), read by real
clients (requests, sseclient-py, httpx + httpx-sse, aiohttp, curl -N) over
HTTP and HTTPS.

Flushing is shown without sleeps: the stream's pause waits for the test to
say it has read the previous event, so a buffered event would hang the test
(bounded by the client's timeout) instead of passing.
"""
import json
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

import httptestserver
from httptestserver.errors import ConfigurationError, HandlerError, WaitTimeout
from httptestserver.headers import Headers
from httptestserver.streams.sse import EventStream

from conftest import TIMEOUT, communicate, which

PY3 = sys.version_info[0] >= 3
if PY3:
    import _async_streaming
else:  # Python 2
    _async_streaming = None

CURL = which('curl')


def request_with(**headers):
    return {'headers': Headers(list(headers.items()))}


def body_of(stream, request=None):
    response = stream(request or request_with())
    return b''.join(response.body)


# -- the route ---------------------------------------------------------------
def test_an_event_stream_answers_with_the_stream_headers():
    response = EventStream(['a'])(request_with())
    headers = dict(response.headers)
    assert response.status == 200
    assert headers['Content-Type'].startswith('text/event-stream')
    assert headers['Cache-Control'] == 'no-cache'
    assert 'Content-Length' not in headers


def test_events_resume_after_the_last_event_id():
    stream = EventStream([{'id': 1, 'data': 'a'}, {'id': 2, 'data': 'b'},
                          {'id': 3, 'data': 'c'}])
    assert body_of(stream, request_with(**{'Last-Event-ID': '2'})) == \
        b'id: 3\ndata: c\n\n'
    assert body_of(stream, request_with(**{'Last-Event-ID': '9'})).count(
        b'data:') == 3  # an unknown id: everything again
    assert stream.last_event_ids == ['2', '9']


def test_a_callable_gets_the_request_for_each_stream():
    def events(request):
        last = request['headers'].get('Last-Event-ID')
        return [{'data': 'after %s' % last}]
    stream = EventStream(events)
    assert body_of(stream, request_with(**{'Last-Event-ID': '5'})) == \
        b'data: after 5\n\n'


def test_delays_go_through_the_pause_function():
    waits = []
    stream = EventStream([{'data': 'a', 'delay': 0.25}, 'b'],
                         pause=waits.append)
    assert body_of(stream) == b'data: a\n\ndata: b\n\n'
    assert waits == [0.25]


def test_cut_after_drops_the_connection_after_n_events():
    stream = EventStream(['a', 'b', 'c'], cut_after=2)
    chunks = []
    with pytest.raises(socket.error):
        for chunk in stream(request_with()).body:
            chunks.append(chunk)
    assert chunks == [b'data: a\n\n', b'data: b\n\n']
    assert stream.streams[0].ended == 'cut'


@pytest.mark.parametrize('kwargs, word', [
    ({'events': 'text'}, 'list'),
    ({'events': [{'data': 'x', 'colour': 1}]}, 'colour'),
    ({'events': [{'data': 'x', 'delay': -1}]}, 'delay'),
    ({'events': ['a'], 'keep_open': True}, 'server='),
    ({'events': ['a'], 'cut_after': -1}, 'cut_after'),
    ({'events': ['a'], 'heartbeat': 0}, 'heartbeat'),
    ({'events': 5}, 'iterable'),
])
def test_bad_arguments_are_configuration_errors_now(kwargs, word):
    with pytest.raises(ConfigurationError, match=word):
        EventStream(**kwargs)


# -- real clients ------------------------------------------------------------
class Gate(object):
    """A pause function whose n-th wait lasts until the test calls
    ``open(n)`` (bounded by TIMEOUT): one event at a time."""

    def __init__(self, count):
        self.events = [threading.Event() for _ in range(count)]
        self.calls = 0

    def __call__(self, seconds):
        event = self.events[self.calls]
        self.calls += 1
        if not event.wait(TIMEOUT):
            raise AssertionError('the test never read the event before')
        return False

    def open(self, index):
        self.events[index].set()


def test_requests_reads_each_event_as_it_is_sent(server, with_timeout):
    gate = Gate(2)
    stream = EventStream([{'data': 'one'}, {'data': 'two', 'delay': 1},
                          {'data': 'three', 'delay': 1}], pause=gate)
    server.route('/events', stream)
    with requests.get(server.url('/events'), stream=True,
                      **with_timeout) as response:
        assert response.headers['Content-Type'].startswith(
            'text/event-stream')
        lines = response.iter_lines(chunk_size=None, decode_unicode=True)
        got = []
        for line in lines:
            if line:
                if len(got) < 2:
                    gate.open(len(got))  # only now may the next one go
                got.append(line)
    assert got == ['data: one', 'data: two', 'data: three']
    assert stream.wait(3)[0].ended == 'complete'


def test_a_reconnecting_client_resumes_after_last_event_id(server,
                                                           with_timeout):
    stream = EventStream([{'id': 'e%d' % i, 'data': str(i)}
                          for i in range(1, 5)], cut_after=2,
                         server=server)
    server.route('/events', stream)
    with pytest.raises(requests.exceptions.RequestException):
        with requests.get(server.url('/events'), stream=True,
                          **with_timeout) as response:
            for _ in response.iter_content(chunk_size=None):
                pass
    last = stream.streams[0].sent[-1]['id']
    stream.cut_after = None
    response = requests.get(server.url('/events'),
                            headers={'Last-Event-ID': last}, **with_timeout)
    assert response.text == 'id: e3\ndata: 3\n\nid: e4\ndata: 4\n\n'
    assert stream.last_event_ids == [None, 'e2']
    assert [r.ended for r in stream.streams] == ['cut', 'complete']
    assert server.history[-1]['headers']['Last-Event-ID'] == 'e2'


def test_sseclient_py_parses_the_events(server, with_timeout):
    sseclient = pytest.importorskip('sseclient')
    server.route('/events', EventStream([
        {'event': 'greeting', 'id': '1', 'data': 'hello\nworld'},
        {'comment': 'keep-alive'},
        {'retry': 3000, 'data': 'bye'}]))
    with requests.get(server.url('/events'), stream=True,
                      **with_timeout) as response:
        events = list(sseclient.SSEClient(response).events())
    assert [(e.event, e.id, e.data) for e in events] == [
        ('greeting', '1', 'hello\nworld'), ('message', None, 'bye')]
    assert int(events[1].retry) == 3000  # sseclient-py keeps it as text


def test_httpx_sse_reads_an_llm_style_token_stream(server, ssl_context):
    httpx = pytest.importorskip('httpx')
    httpx_sse = pytest.importorskip('httpx_sse')
    tokens = ['Hel', 'lo', ',', ' world']
    server.route('/v1/chat', EventStream(
        [{'json': {'delta': token}} for token in tokens] + ['[DONE]']),
        method='POST')
    with httpx.Client(verify=ssl_context or True, timeout=TIMEOUT) as client:
        with httpx_sse.connect_sse(client, 'POST', server.url('/v1/chat'),
                                   json={'stream': True}) as source:
            data = [event.data for event in source.iter_sse()]
    assert data[-1] == '[DONE]'
    assert ''.join(json.loads(d)['delta']
                   for d in data[:-1]) == 'Hello, world'
    assert server.history[-1]['json'] == {'stream': True}


@pytest.mark.skipif(sys.version_info < (3, 8),
                    reason='aiohttp is tested on Python 3.8+')
def test_aiohttp_reads_the_event_lines(server, ssl_context):
    pytest.importorskip('aiohttp')
    server.route('/events', EventStream(['a', {'event': 'end', 'data': 'b'}]))
    lines, content_type = _async_streaming.aiohttp_sse_lines(
        server.url('/events'), ssl_context, TIMEOUT)
    assert lines == ['data: a', '', 'event: end', 'data: b', '']
    assert content_type.startswith('text/event-stream')


@pytest.mark.skipif(CURL is None, reason='no curl command')
def test_curl_no_buffer_prints_the_events(server):
    server.route('/events', EventStream(['a', {'data': 'b', 'delay': 0.05}],
                                        server=server))
    args = [CURL, '-sS', '-N', '--max-time', str(TIMEOUT)]
    if server.scheme == 'https':
        args += ['--cacert', server.ca_file]
    process = subprocess.Popen(args + [server.url('/events')],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err, _ = communicate(process, TIMEOUT + 5)
    assert process.returncode == 0, err
    assert out == b'data: a\n\ndata: b\n\n'


def test_stop_ends_an_open_stream_fast(scheme):
    server = httptestserver.Server(scheme=scheme).start()
    kws = {'timeout': TIMEOUT}
    if scheme == 'https':
        kws['verify'] = server.ca_file
    try:
        stream = EventStream(['first'], keep_open=True, server=server)
        server.route('/events', stream)
        response = requests.get(server.url('/events'), stream=True, **kws)
        chunks = response.iter_content(chunk_size=None)
        assert next(chunks) == b'data: first\n\n'
        started = time.time()
        server.stop()
        took = time.time() - started
        rest = b''.join(chunks)  # the stream ends cleanly
        response.close()
    finally:
        server.stop()
    assert took < 1.0
    assert rest == b''
    assert stream.streams[0].ended == 'stopped'


def test_heartbeats_keep_an_open_stream_alive(server, with_timeout):
    stream = EventStream(['x'], keep_open=True, heartbeat=0.01, server=server)
    server.route('/events', stream)
    with requests.get(server.url('/events'), stream=True,
                      **with_timeout) as response:
        chunks = response.iter_content(chunk_size=None)
        assert next(chunks) == b'data: x\n\n'
        assert next(chunks) == b': heartbeat\n\n'


def test_an_error_in_the_events_callable_reaches_the_test(scheme):
    def events(request):
        yield {'data': 'ok'}
        raise ValueError('no more events')
    server = httptestserver.Server(scheme=scheme).start()
    kws = {'timeout': TIMEOUT}
    if scheme == 'https':
        kws['verify'] = server.ca_file
    try:
        server.route('/events', EventStream(events))
        with pytest.raises(requests.exceptions.RequestException):
            requests.get(server.url('/events'), **kws).content
    finally:
        server.stop()
    with pytest.raises(HandlerError, match='no more events'):
        server.check()


def test_wait_times_out_saying_what_was_sent():
    stream = EventStream(['a'])
    body_of(stream)
    assert len(stream.wait(1)) == 1
    with pytest.raises(WaitTimeout, match='expected 2 event.*1 sent on 1'):
        stream.wait(2, timeout=0.05)


def test_bind_server_binds_only_a_stream_with_no_way_to_wait():
    server = object()
    stream = EventStream(['a'])
    stream.bind_server(server)
    assert stream.server is server
    paused = EventStream(['a'], pause=lambda seconds: False)
    paused.bind_server(server)
    assert paused.server is None


# -- close() and pause= -------------------------------------------------------
def test_close_ends_a_stream_that_uses_pause_at_its_next_delay():
    stream = EventStream(['a', {'data': 'b', 'delay': 5}],
                         pause=lambda seconds: False)
    chunks = stream(request_with()).body
    assert next(chunks) == b'data: a\n\n'
    stream.close()
    assert list(chunks) == []
    assert stream.streams[0].ended == 'stopped'
    assert stream.streams[0].sent == ['a']


def iterate_in_a_thread(body):
    """Pull *body*'s chunks in a daemon thread; return it and what it got
    (``chunks`` and the ``error`` that ended it)."""
    got = {'chunks': [], 'error': None}

    def run():
        try:
            for chunk in body:
                got['chunks'].append(chunk)
        except Exception as exc:
            got['error'] = exc
    thread = threading.Thread(target=run)
    thread.daemon = True
    thread.start()
    return thread, got


def test_close_ends_a_keep_open_stream_that_uses_pause():
    """``pause(seconds)`` may block for all of *seconds*: an open stream
    asks for short ones, so that close() is seen between them."""
    never = threading.Event()
    stream = EventStream(['a'], keep_open=True, pause=never.wait)
    chunks = stream(request_with()).body
    assert next(chunks) == b'data: a\n\n'
    thread, got = iterate_in_a_thread(chunks)
    stream.close()
    thread.join(TIMEOUT)
    assert not thread.is_alive()
    assert got == {'chunks': [], 'error': None}
    assert stream.wait_ended(1, timeout=0)[0].ended == 'stopped'


def test_wait_ended_times_out_saying_how_the_streams_stand():
    stream = EventStream(['a'], keep_open=True, pause=lambda s: False)
    stream(request_with())
    with pytest.raises(WaitTimeout, match='expected 1 ended.*saw 0'):
        stream.wait_ended(1, timeout=0.01)


# -- a client that hangs up --------------------------------------------------
@pytest.mark.parametrize('waits', ['server', 'pause', 'heartbeat'])
def test_a_watched_stream_ends_when_its_client_hangs_up(tcp_pair, waits):
    """Given its socket (``bind_socket``), an open stream notices the
    client's end of stream while it waits, instead of holding its thread
    and socket until stop()."""
    far, near = tcp_pair
    server = httptestserver.Server().start()
    try:
        never = threading.Event()
        kwargs = {'pause': never.wait} if waits == 'pause' else \
            {'server': server, 'heartbeat': 60} if waits == 'heartbeat' \
            else {'server': server}
        stream = EventStream(['a'], keep_open=True, **kwargs)
        body = stream(request_with()).body
        body.bind_socket(far)
        assert next(body) == b'data: a\n\n'
        thread, got = iterate_in_a_thread(body)
        near.close()
        record = stream.wait_ended(1, timeout=TIMEOUT)[0]
        thread.join(TIMEOUT)
        assert record.ended == 'gone' and record.watched
        assert isinstance(got['error'], socket.error)  # no closing chunk
        assert got['chunks'] == []
    finally:
        server.stop()


def test_a_watched_stream_stops_watching_a_client_that_sends(tcp_pair):
    """Bytes from the client (a pipelined request) are not read by the
    stream; it stops watching and waits for stop() as before."""
    far, near = tcp_pair
    server = httptestserver.Server().start()
    try:
        stream = EventStream(['a'], keep_open=True, server=server)
        body = stream(request_with()).body
        body.bind_socket(far)
        assert next(body) == b'data: a\n\n'
        near.sendall(b'GET /next HTTP/1.1\r\n')
        thread, got = iterate_in_a_thread(body)
        stream.wait(1, timeout=TIMEOUT)  # it runs: the event is recorded
    finally:
        server.stop()
    thread.join(TIMEOUT)
    assert stream.streams[0].ended == 'stopped'
    assert far.recv(100) == b'GET /next HTTP/1.1\r\n'


class BindingHandler(httptestserver.Handler):
    """Hands a streamed body its socket, as the serving hook proposed for
    the core would: ``body.bind_socket(sock)`` before the first chunk."""

    def send(self, response):
        bind = getattr(response.body, 'bind_socket', None)
        if bind is not None:
            bind(self.connection)
        return super(BindingHandler, self).send(response)


def test_a_client_that_leaves_an_open_stream_frees_it(scheme):
    server = httptestserver.Server(scheme=scheme,
                                   handler=BindingHandler).start()
    kws = {'timeout': TIMEOUT}
    if scheme == 'https':
        kws['verify'] = server.ca_file
    try:
        stream = EventStream(['first'], keep_open=True, server=server)
        server.route('/events', stream)
        response = requests.get(server.url('/events'), stream=True, **kws)
        chunks = response.iter_content(chunk_size=None)
        assert next(chunks) == b'data: first\n\n'
        response.close()  # the client hangs up; no heartbeat to notice it
        record = stream.wait_ended(1, timeout=TIMEOUT)[0]
        assert record.ended == 'gone'
    finally:
        server.stop()
    server.check()


def test_the_core_hands_an_open_stream_its_socket():
    with httptestserver.Server() as server:
        stream = EventStream(['first'], keep_open=True, server=server)
        server.route('/events', stream)
        with requests.get(server.url('/events'), stream=True,
                          timeout=TIMEOUT) as response:
            chunks = response.iter_content(chunk_size=None)
            assert next(chunks) == b'data: first\n\n'
            assert stream.streams[0].watched
