"""An event stream that misbehaves on purpose (issue 22), over real
sockets, HTTP and HTTPS, played both ways: a list of events (the server's
event loop plays it) and a callable (a worker thread runs it).  A cut in
the middle of an event, CRLF and CR line endings, a byte order mark, a
stall, and a retry / ``Last-Event-ID`` reconnection storm.

What SSE clients make of them is in test_sse_clients.py.  Every client
call has a timeout; waits are on events with deadlines.
"""
import os
import threading
import time

import pytest
import requests

from httptestserver.errors import ConfigurationError
from httptestserver.streams.sse import EventStream

from conftest import TIMEOUT

EVENTS = [{'id': '1', 'data': 'one'}, {'id': '2', 'data': 'two\nlines'}]
DRIVERS = ['loop', 'worker']


def stream_of(driver, events=EVENTS, **kwargs):
    """An EventStream of *events*, played by *driver*."""
    if driver == 'worker':
        stream = EventStream(lambda request: list(events), **kwargs)
        assert not stream.runs_in_loop
    else:
        stream = EventStream(list(events), **kwargs)
        assert stream.runs_in_loop
    return stream


def read(server, path='/events', headers=None, timeout=TIMEOUT):
    """GET the stream; return (the body's bytes, the error that ended it
    or None)."""
    got = []
    try:
        response = requests.get(server.url(path), stream=True,
                                timeout=timeout, headers=headers,
                                verify=getattr(server, 'ca_file', None)
                                or True)
        try:
            for chunk in response.iter_content(chunk_size=None):
                got.append(chunk)
        finally:
            response.close()
    except requests.RequestException as exc:
        return b''.join(got), exc
    return b''.join(got), None


@pytest.mark.parametrize('kwargs, named', [
    ({'line_ending': '\n\n'}, 'line_ending'),
    ({'line_ending': None}, 'line_ending'),
    ({'cut_within': 0}, 'cut_within'),
    ({'cut_within': True}, 'cut_within'),
    ({'retry': -1}, 'retry'),
])
def test_bad_misbehaviour_arguments_name_themselves(kwargs, named):
    with pytest.raises(ConfigurationError, match=named):
        EventStream(EVENTS, **kwargs)


@pytest.mark.parametrize('driver', DRIVERS)
@pytest.mark.parametrize('ending', ['\r\n', '\r', b'\r\n'])
def test_every_line_ends_with_the_line_ending(server, driver, ending):
    server.route('/events', stream_of(driver, line_ending=ending,
                                      retry=5))
    body, error = read(server)
    assert error is None
    end = ending if isinstance(ending, bytes) else ending.encode('ascii')
    assert body == (b'retry: 5' + end * 2 + b'id: 1' + end + b'data: one' +
                    end * 2 + b'id: 2' + end + b'data: two' + end +
                    b'data: lines' + end * 2)


@pytest.mark.parametrize('driver', DRIVERS)
def test_a_bom_comes_first_once(server, driver):
    server.route('/events', stream_of(driver, bom=True))
    body, error = read(server)
    assert error is None
    assert body == b'\xef\xbb\xbfid: 1\ndata: one\n\nid: 2\ndata: two\n' \
        b'data: lines\n\n'


@pytest.mark.parametrize('driver', DRIVERS)
def test_cut_within_drops_the_connection_in_the_middle_of_an_event(
        server, driver):
    stream = stream_of(driver, cut_within=2)
    server.route('/events', stream)
    body, error = read(server)
    whole = b'id: 2\ndata: two\ndata: lines\n\n'
    assert body == b'id: 1\ndata: one\n\n' + whole[:len(whole) // 2]
    assert isinstance(error, requests.exceptions.ChunkedEncodingError)
    record = stream.wait_ended(1, timeout=TIMEOUT)[0]
    assert record.ended == 'cut' and record.sent == EVENTS[:1]


@pytest.mark.parametrize('driver', DRIVERS)
def test_a_stall_makes_a_read_timeout_and_stop_ends_it(server, driver):
    events = [{'data': 'before'}, {'data': 'after', 'delay': 30}]
    stream = stream_of(driver, events=events)
    server.route('/events', stream)
    body, error = read(server, timeout=0.3)
    assert body == b'data: before\n\n'
    assert isinstance(error, requests.exceptions.ConnectionError)
    assert 'timed out' in str(error).lower()
    started = time.time()
    server.stop()
    assert time.time() - started < 5
    assert stream.wait_ended(1, timeout=TIMEOUT)[0].ended in ('stopped',
                                                              'gone')


def open_descriptors():
    try:
        return len(os.listdir('/proc/self/fd'))
    except OSError:  # not Linux
        pytest.skip('needs /proc/self/fd to count descriptors')


@pytest.mark.parametrize('driver', DRIVERS)
def test_a_reconnection_storm_resumes_each_time_and_leaks_nothing(
        server, driver):
    """retry 0 and a cut after every event: a client that follows the
    spec reconnects at once with the last id it saw, 200 times."""
    events = [{'id': str(n), 'data': 'event %d' % n} for n in range(200)]
    if driver == 'loop':  # a list resumes after Last-Event-ID by itself
        stream = stream_of(driver, events=events, retry=0, cut_after=1)
    else:  # a callable resumes as it likes: here, as a list does
        stream = EventStream(lambda request: events[int(
            request['headers'].get('Last-Event-ID', '-1')) + 1:],
            retry=0, cut_after=1)
    server.route('/events', stream)
    read(server)  # warm up the server's threads and descriptors
    stream.wait_ended(1, timeout=TIMEOUT)
    threads, descriptors = threading.active_count(), open_descriptors()
    last_id, retries = '0', []
    for _ in range(199):
        body, error = read(server, headers={'Last-Event-ID': last_id})
        assert error is not None  # the cut
        lines = body.decode('utf-8').split('\n')
        retries.append(lines[0])
        last_id = [line[4:] for line in lines if line.startswith('id: ')][0]
    assert last_id == '199' and set(retries) == set(['retry: 0'])
    assert stream.last_event_ids == [None] + [str(n) for n in range(199)]
    stream.wait_ended(200, timeout=TIMEOUT)
    deadline = time.time() + TIMEOUT
    while time.time() < deadline and (
            threading.active_count() > threads or
            open_descriptors() > descriptors):
        threading.Event().wait(0.05)  # the workers are finishing
    assert threading.active_count() <= threads
    assert open_descriptors() <= descriptors
