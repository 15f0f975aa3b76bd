"""The 0.1.0 documentation's own examples, as its readers would write them.

The mixin examples are copied from the seed with one change the seed itself
implies for HTTPS: client calls pass ``**self.options`` (``verify=False``)
and a timeout.  ``data['headers']`` set before a request is read as the
response headers, as the JSON example needs.
"""
import requests

from httptestserver import HttpsServerTest, HttpServerTest, http_server, \
    start_server

TIMEOUT = 10


def test_start_server_returns_a_running_server_on_loopback():
    server = start_server()
    try:
        assert server.host == '127.0.0.1'
        assert requests.get(server.url('/'), timeout=TIMEOUT).ok
    finally:
        server.stop()


def test_http_server_context_manager():
    with http_server() as server:
        assert server.host == '127.0.0.1'


def test_server_url_composes_full_urls():
    with http_server() as server:
        assert server.url('/test/url') == \
            'http://127.0.0.1:%d/test/url' % server.port


def test_data_after_a_request_shows_its_requestline_and_path():
    with http_server() as server:
        requests.get(server.url('/url'), timeout=TIMEOUT)
        assert server.data['requestline'] == 'GET /url HTTP/1.1'
        assert server.data['path'] == '/url'


def test_history_keeps_requests_in_order():
    with http_server() as server:
        requests.get(server.url('/first'), timeout=TIMEOUT)
        requests.get(server.url('/second'), timeout=TIMEOUT)
        assert [e['path'] for e in server.history] == ['/first', '/second']


class _SeedExamples(object):
    """The four tests of the seed's mixin example."""

    # Test what was actually get by the server
    def test_it_should_send_headers(self):
        headers = {'key': 'value'}

        requests.get(self.default_url, headers=headers, timeout=TIMEOUT,
                     **self.options)

        assert self.server.data['headers']['key'] == 'value'

    # Control server responses
    def test_it_should_parse_json_response(self):
        self.server.data['headers'] = {'Content-Type': 'application/json'}
        self.server.data['response_content'] = '{"key": "value"}'

        response = requests.get(self.default_url, timeout=TIMEOUT,
                                **self.options)

        assert response.json() == {'key': 'value'}

    # Make the server behave as you want
    def test_it_should_raise_timeout_at_2s_wait(self):
        self.server.data['response_timeout'] = 2

        try:
            requests.get(self.default_url, timeout=1, **self.options)
        except requests.exceptions.Timeout:
            pass
        else:
            assert False

    # Access to server's requests/responses history
    def test_it_should_make_two_requests(self):
        self.server.reset()

        requests.get(self.default_url, timeout=TIMEOUT, **self.options)
        requests.get(self.default_url + '2', timeout=TIMEOUT, **self.options)

        assert len(self.server.history) == 2
        # The seed compares 'path' with the full URL; 'path' is the request
        # target as sent, and 'url' is the full URL.
        assert self.server.history[-1]['url'] == self.default_url + '2'
        assert self.server.history[-1]['path'] == self.default_path + '2'
        assert self.default_path == '/testing/this'  # as in 0.1.0


class TestApplication(_SeedExamples, HttpsServerTest):
    """The seed's class, collected by pytest as a plain class."""


class TestApplicationOverHttp(_SeedExamples, HttpServerTest):
    """The same examples against the plain HTTP mixin."""
