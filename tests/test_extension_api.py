"""The 0.1.0 extension API, used the way its documentation shows it.

``httptestserver.server.Handler`` subclasses override ``update_state``,
``save_history``, ``handle_request`` and ``do_<METHOD>``, with or without
``super()``; ``handler=`` takes any ``BaseHTTPRequestHandler`` subclass; the
server still answers to what 0.1.0's ``Server`` (an ``HTTPServer`` and a
``Thread``) offered.
"""
import threading

import pytest
import requests
from six.moves import BaseHTTPServer

from httptestserver import ConfigurationError, HandlerError, Server
from httptestserver.server import Handler

from conftest import TIMEOUT


def make_server(handler, scheme='http'):
    return Server(scheme=scheme, handler=handler).start()


@pytest.fixture(params=['http', 'https'])
def kws(request):
    options = {'timeout': TIMEOUT}
    if request.param == 'https':
        import httptestserver
        options['verify'] = httptestserver.CA_FILE
    return request.param, options


class UpdateStateReturnsNothing(Handler):
    calls = []

    def update_state(self):
        super(UpdateStateReturnsNothing, self).update_state()
        self.calls.append(self.command)


def test_update_state_override_that_returns_nothing_answers_normally(kws):
    scheme, options = kws
    server = make_server(UpdateStateReturnsNothing, scheme)
    try:
        server.data['response_content'] = b'fine'
        response = requests.get(server.url('/a'), **options)
        assert (response.status_code, response.content) == (200, b'fine')
        assert server.data['path'] == '/a'
        assert UpdateStateReturnsNothing.calls[-1] == 'GET'
        server.check()
    finally:
        server.stop()


class OldSaveHistory(Handler):
    """0.1.0's signature: save_history(self), calling super()."""
    calls = []

    def save_history(self):
        self.calls.append(self.path)
        super(OldSaveHistory, self).save_history()


class SkippingSaveHistory(Handler):
    """An override that never calls super(): the request is still recorded,
    once, and the hook runs once."""
    calls = []

    def save_history(self):
        self.calls.append(self.path)


@pytest.mark.parametrize('handler', [OldSaveHistory, SkippingSaveHistory])
def test_save_history_overrides_run_once_and_record_once(handler):
    del handler.calls[:]
    server = make_server(handler)
    try:
        with requests.Session() as session:
            for path in ('/one', '/two'):
                assert session.get(server.url(path), timeout=TIMEOUT).ok
        assert handler.calls == ['/one', '/two']
        assert [e['path'] for e in server.history] == ['/one', '/two']
        server.check()
    finally:
        server.stop()


class SettingsInHandleRequest(Handler):
    def handle_request(self):
        self.server.data['response_status'] = 201
        self.server.data['response_content'] = b'set by the handler'
        super(SettingsInHandleRequest, self).handle_request()


def test_settings_written_in_handle_request_apply_to_that_request():
    server = make_server(SettingsInHandleRequest)
    try:
        response = requests.get(server.url('/'), timeout=TIMEOUT)
        assert response.status_code == 201
        assert response.content == b'set by the handler'
        assert server.history[-1]['response_status'] == 201
    finally:
        server.stop()


class StdlibPost(Handler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers['Content-Length']))
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body.upper())


def test_do_post_reads_the_body_from_rfile_the_stdlib_way(kws):
    scheme, options = kws
    server = make_server(StdlibPost, scheme)
    try:
        with requests.Session() as session:
            first = session.post(server.url('/p'), data=b'hello', **options)
            second = session.post(server.url('/p'), data=b'again', **options)
        assert (first.status_code, first.content) == (200, b'HELLO')
        assert second.content == b'AGAIN'
        assert [e['body'] for e in server.history] == [b'hello', b'again']
        server.check()
    finally:
        server.stop()


class PlainStdlibHandler(BaseHTTPServer.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.0'

    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.end_headers()
        self.wfile.write(b'plain stdlib')

    def log_message(self, *args):
        pass


def test_any_base_http_request_handler_subclass_can_serve():
    server = make_server(PlainStdlibHandler)
    try:
        response = requests.get(server.url('/'), timeout=TIMEOUT)
        assert response.content == b'plain stdlib'
    finally:
        server.stop()


def test_a_handler_that_is_not_a_request_handler_class_is_refused():
    with pytest.raises(ConfigurationError) as info:
        Server(handler=object)
    assert 'BaseHTTPRequestHandler' in str(info.value)


def test_history_entries_keep_the_keys_the_test_put_in_data(server,
                                                            with_timeout):
    server.data['response_clear'] = True
    server.data['response_status'] = 202
    server.data['my_marker'] = {'case': 7}
    assert requests.get(server.url('/x'), **with_timeout).status_code == 202
    entry = server.history[-1]
    assert entry['my_marker'] == {'case': 7}
    assert entry['response_clear'] is True
    assert entry['response_status'] == 202  # what was sent
    for key in ('rfile', 'wfile', 'server', 'request', 'connection'):
        assert key not in entry  # history entries are plain data


def test_data_carries_the_handler_attributes_0_1_0_exposed(server,
                                                           with_timeout):
    requests.post(server.url('/testing/this'), data=b'content',
                  **with_timeout)
    data = server.data
    assert data['command'] == 'POST' and data['body'] == b'content'
    assert data['rfile'].read() == b'content'
    assert hasattr(data['wfile'], 'write')
    assert data['server'] is server
    assert data['path'] == '/testing/this'
    assert data['request_version'] == 'HTTP/1.1'
    host, port = data['client_address']
    assert host == '127.0.0.1' and port > 0
    assert data['close_connection'] in (True, False)


def test_a_second_request_replaces_the_first_ones_fields_in_data(
        server, with_timeout):
    requests.get(server.url('/a'), headers={'X-Only-First': '1'},
                 **with_timeout)
    requests.get(server.url('/b'), **with_timeout)
    assert server.data['path'] == '/b'
    assert 'x-only-first' not in server.data['headers']


def test_server_answers_like_0_1_0s_httpserver_and_thread():
    server = Server().start()
    assert server.server_address == (server.host, server.port)
    assert server.is_alive()
    server.shutdown()
    assert not server.is_alive() and not server.running
    server.join(TIMEOUT)
    server.server_close()  # harmless afterwards


def test_server_close_stops_a_running_server():
    server = Server().start()
    server.server_close()
    assert not server.running and not server.is_alive()


@pytest.mark.parametrize('timeout', ['5', -1, True])
def test_stop_with_a_bad_timeout_raises_and_leaves_the_server_running(
        timeout):
    server = Server().start()
    try:
        with pytest.raises(ConfigurationError) as info:
            server.stop(timeout=timeout)
        assert 'timeout' in str(info.value)
        assert server.running
        assert requests.get(server.url('/'), timeout=TIMEOUT).ok
    finally:
        server.stop()


def test_stop_without_a_timeout_waits_for_the_request_in_flight():
    server = Server().start()
    entered, release = threading.Event(), threading.Event()

    def slow(request):
        entered.set()
        release.wait(TIMEOUT)
        return b'done'
    server.route('/slow', slow)
    answers = []
    client = threading.Thread(target=lambda: answers.append(
        requests.get(server.url('/slow'), timeout=TIMEOUT).content))
    client.start()
    assert entered.wait(TIMEOUT)
    stopped = threading.Event()
    stopper = threading.Thread(target=lambda: (server.stop(timeout=None),
                                               stopped.set()))
    stopper.start()
    # The bounded default would still be waiting too; None must not give up.
    assert not stopped.wait(0.2)
    release.set()
    assert stopped.wait(TIMEOUT)
    client.join(TIMEOUT)
    assert answers == [b'done']


@pytest.mark.parametrize('method', [42, ['GET', 3], [], object()])
def test_a_route_with_a_bad_method_names_the_argument(server, method):
    with pytest.raises(ConfigurationError) as info:
        server.route('/x', method=method)
    assert 'method' in str(info.value)


@pytest.mark.parametrize('setter', [
    lambda s: s.route('/x', headers={'X-Evil': 'a\r\nSet-Cookie: x=1'}),
    lambda s: s.route('/x', headers=[('Bad Name', 'v')]),
    lambda s: s.data.__setitem__('response_headers', {'X': 'a\nb'}),
    lambda s: s.route('/x', response=(200, {'X': 'a\x00b'}, b'')),
])
def test_response_headers_that_could_inject_are_refused_when_set(server,
                                                                 setter):
    with pytest.raises(ConfigurationError) as info:
        setter(server)
    assert 'header' in str(info.value)


def test_a_callable_returning_an_injecting_header_gets_a_500_naming_it(
        server, with_timeout):
    server.route('/x', lambda request: (200, {'X-Evil': 'a\r\nB: c'}, b''))
    response = requests.get(server.url('/x'), **with_timeout)
    assert response.status_code == 500 and 'B' not in response.headers
    with pytest.raises(HandlerError) as info:
        server.check()
    assert 'X-Evil' in str(info.value)


def test_a_one_shot_iterator_body_says_so_on_its_second_use(server,
                                                            with_timeout):
    server.route('/s', body=iter([b'a', b'b']))
    with requests.Session() as session:
        assert session.get(server.url('/s'), **with_timeout).content == b'ab'
        second = session.get(server.url('/s'), **with_timeout)
    assert second.status_code == 500
    with pytest.raises(HandlerError) as info:
        server.check()
    assert 'iterator' in str(info.value) and 'callable' in str(info.value)


def test_a_callable_makes_a_fresh_iterator_per_request(server, with_timeout):
    server.route('/s', lambda request: {'body': iter([b'a', b'b'])})
    with requests.Session() as session:
        for _ in range(2):
            assert session.get(server.url('/s'),
                               **with_timeout).content == b'ab'
