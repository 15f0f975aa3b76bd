"""What real SSE clients make of an event stream that misbehaves (issue
22): sseclient-py (every Python), httpx-sse (3.8+) and curl, over HTTP and
HTTPS.  :data:`OUTCOMES` is the event-stream table of docs/faults.rst,
and the last test checks the page says the same.

The stream has two events, ``one`` and ``two`` (a two-line data,
``two\\nlines``); the outcome is ``'OK'`` when the client parsed both,
else what it parsed (``id:data`` for each event, ``|`` for a line break,
``<empty>`` for an event without data)
and what it raised, or for curl its exit code.  Every client call has a
timeout.
"""
import subprocess

import pytest
import requests

from httptestserver.streams.sse import EventStream

from _docs_tables import as_cells, fault_table
from conftest import TIMEOUT, which
from test_websocket_clients import expected

EVENTS = [{'id': '1', 'data': 'one'}, {'id': '2', 'data': 'two\nlines'}]
STALL = 0.3  # the clients' read timeout against a stalled stream

#: fault: EventStream keyword arguments (events: replaces EVENTS).
FAULTS = {
    "line_ending='\\r\\n'": {'line_ending': '\r\n'},
    "line_ending='\\r'": {'line_ending': '\r'},
    'bom=True': {'bom': True},
    'cut_within=2': {'cut_within': 2},
    'retry=0, cut_after=1': {'retry': 0, 'cut_after': 1},
    'stall': {'events': [EVENTS[0], dict(EVENTS[1], delay=30)]},
}

#: What each client did, as docs/faults.rst tables it.
OUTCOMES = {
    "line_ending='\\r\\n'": {
        'sseclient-py': 'OK', 'httpx-sse': 'OK', 'curl': '0'},
    "line_ending='\\r'": {
        'sseclient-py': 'OK', 'httpx-sse': 'OK', 'curl': '0'},
    'bom=True': {
        'sseclient-py': ':one, 2:two|lines',
        'httpx-sse': ':one, 2:two|lines', 'curl': '0'},
    'cut_within=2': {
        'sseclient-py': '1:one, then ChunkedEncodingError',
        'httpx-sse': '1:one, then RemoteProtocolError',
        'curl': '18'},
    'retry=0, cut_after=1': {
        'sseclient-py': '1:one, then ChunkedEncodingError',
        'httpx-sse': ':<empty>, 1:one, then RemoteProtocolError',
        'curl': '18'},
    'stall': {
        'sseclient-py': '1:one, then ConnectionError',
        'httpx-sse': '1:one, then ReadTimeout',
        'curl': '28'},
}

CLIENTS = ['sseclient-py', 'httpx-sse', 'curl']


def described(data, error):
    """*data*, the (id, data) of each event parsed, and *error* as a
    table cell."""
    if error is None and data == [(e['id'], e['data']) for e in EVENTS]:
        return 'OK'
    text = ', '.join('%s:%s' % (ident or '', text.replace('\n', '|') or
                                '<empty>') for ident, text in data) \
        or 'nothing'
    return text if error is None else '%s, then %s' % (
        text, type(error).__name__)


def _sseclient(server, timeout):
    sseclient = pytest.importorskip('sseclient')
    data, error = [], None
    try:
        with requests.get(server.url('/events'), stream=True,
                          timeout=timeout,
                          verify=getattr(server, 'ca_file', None) or True
                          ) as response:
            for event in sseclient.SSEClient(response).events():
                data.append((event.id, event.data))
    except Exception as exc:
        error = exc
    return described(data, error)


def _httpx_sse(server, ssl_context, timeout):
    httpx = pytest.importorskip('httpx')
    httpx_sse = pytest.importorskip('httpx_sse')
    data, error = [], None
    try:
        with httpx.Client(verify=ssl_context or True,
                          timeout=timeout) as client:
            with httpx_sse.connect_sse(client, 'GET',
                                       server.url('/events')) as source:
                for event in source.iter_sse():
                    data.append((event.id, event.data))
    except Exception as exc:
        error = exc
    return described(data, error)


def _curl(server, timeout):
    curl = which('curl')
    if curl is None:
        pytest.skip('curl is not installed')
    command = [curl, '-sS', '-N', '--max-time', str(timeout),
               server.url('/events')]
    if server.scheme == 'https':
        command[1:1] = ['--cacert', server.ca_file]
    process = subprocess.Popen(command, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    try:
        process.communicate()
    finally:
        if process.poll() is None:  # pragma: no cover
            process.kill()
            process.wait()
    return str(process.returncode)


def outcome(client, server, ssl_context, fault):
    kwargs = dict(FAULTS[fault])
    events = kwargs.pop('events', EVENTS)
    server.route('/events', EventStream(events, **kwargs))
    timeout = STALL if fault == 'stall' else TIMEOUT
    if client == 'sseclient-py':
        return _sseclient(server, timeout)
    if client == 'httpx-sse':
        return _httpx_sse(server, ssl_context, timeout)
    return _curl(server, timeout)


@pytest.mark.parametrize('fault', sorted(FAULTS))
@pytest.mark.parametrize('client', CLIENTS)
def test_what_each_client_makes_of_a_misbehaving_stream(server, ssl_context,
                                                        client, fault):
    assert outcome(client, server, ssl_context, fault) in \
        expected(OUTCOMES[fault][client], server.scheme, client)


def test_the_docs_table_says_what_the_clients_did():
    assert fault_table('sse-fault-table', CLIENTS) == as_cells(OUTCOMES)
