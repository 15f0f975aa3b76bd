# -*- coding: utf-8 -*-
"""Fuzzing the control API over HTTP (remote/control.py, endpoints.py):
what any client may POST to ``/__admin``.

A real server with the control API on gets random bodies -- mappings in
WireMock's form and ours with fields of the wrong type, any JSON, deep
JSON, bytes that are not JSON or not UTF-8 -- on the endpoints that take
one.  Every answer is a 2xx or a 4xx with a JSON body, never a 500, and
the server keeps serving.  A 500 is matched against the bugs already
registered through the traceback the control API logs.
"""
import json
import logging

import pytest

hypothesis = pytest.importorskip('hypothesis')

from hypothesis import strategies as st  # noqa: E402
from six.moves import http_client  # noqa: E402

import httptestserver  # noqa: E402

from conftest import TIMEOUT  # noqa: E402
from _fuzzing import fuzz_settings, known_bug  # noqa: E402
from _stub_shapes import DOCUMENT, JSON, STUB_BUGS  # noqa: E402

given = hypothesis.given
pytestmark = pytest.mark.filterwarnings(
    'ignore:Possible nested set:FutureWarning')

#: The endpoints that read a body and change nothing a test would miss
#: (requests/wait is left out: a random timeout may hold it 300 s).
ENDPOINTS = ['mappings', 'mappings', 'mappings', 'mappings/import',
             'requests/count', 'requests/find', 'unmatched', 'data']

BODY = st.one_of(
    DOCUMENT.map(lambda d: json.dumps(d).encode('utf-8')),
    JSON.map(lambda d: json.dumps(d).encode('utf-8')),
    st.builds(dict, response=st.builds(dict, delay=st.floats(0))).map(
        lambda d: json.dumps(dict(d, match={})).encode('utf-8')),
    st.fixed_dictionaries({'$base64': JSON}).map(
        lambda d: json.dumps(d).encode('utf-8')),
    st.binary(max_size=40),
    st.integers(1, 100000).map(lambda n: b'[' * n),
    st.sampled_from([b'', b'  ', b'"\xff"', b'{"a": 1', b'NaN', b'null']))


class Failures(logging.Handler):
    """Keep what the control API logs with a traceback when it answers
    500 (it logs before it answers)."""

    def __init__(self):
        logging.Handler.__init__(self, logging.ERROR)
        self.records = []

    def emit(self, record):
        if record.exc_info:
            self.records.append(record)


def known_500(server, failures):
    """The registered bug behind the 500 just answered, or None: from
    what the control API logged, or from the error the server recorded
    when the failure escaped the control API (it records it before it
    answers)."""
    if failures.records:
        return known_bug(STUB_BUGS, failures.records[-1].exc_info)
    errors = server.errors
    if errors:
        _, exc, text = errors[-1]
        try:  # forget it, so that the server's check at the end passes
            server.check()
        except httptestserver.HandlerError:
            pass
        return known_bug(STUB_BUGS, error=(exc, text))
    return None


def call(server, method, path, body=None):
    """Send one request with http.client; return (status, JSON answer),
    or (status, bytes) for an answer that is not JSON."""
    connection = http_client.HTTPConnection(server.host, server.port,
                                            timeout=TIMEOUT)
    try:
        # The control API wants JSON bodies said to be JSON (else 415).
        headers = {'Content-Type': 'application/json'} if body else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(data.decode('utf-8'))
    except ValueError:
        return response.status, data


def test_the_control_api_answers_any_body_with_2xx_or_4xx():
    failures = Failures()
    logger = logging.getLogger('httptestserver')
    logger.addHandler(failures)
    try:
        with httptestserver.http_server() as server:
            httptestserver.enable_control(server)

            @fuzz_settings()
            @given(st.sampled_from(ENDPOINTS), BODY)
            def post(endpoint, body):
                del failures.records[:]
                status, answer = call(server, 'POST', '/__admin/' + endpoint,
                                      body)
                try:
                    if status == 500:
                        if known_500(server, failures) is None:
                            raise AssertionError(
                                'POST /__admin/%s answered 500 %r for the '
                                'body %r' % (endpoint, answer, body))
                    else:
                        assert 200 <= status < 300 or 400 <= status < 500
                        assert not isinstance(answer, bytes), answer
                        hypothesis.event('%dxx' % (status // 100))
                finally:
                    # Clean up, and show the server still serves.
                    for path in ('mappings', 'unmatched', 'data'):
                        assert call(server, 'DELETE',
                                    '/__admin/' + path)[0] == 200
                    assert call(server, 'GET', '/__admin/')[0] == 200

            post()
    finally:
        logger.removeHandler(failures)


# -- the bugs ----------------------------------------------------------------
@pytest.fixture
def server():
    with httptestserver.http_server() as server:
        httptestserver.enable_control(server)
        yield server


def test_a_body_too_deep_to_read_is_a_400(server):
    status, _ = call(server, 'POST', '/__admin/mappings', b'[' * 100000)
    assert status == 400


def test_a_stub_with_a_huge_delay_is_a_4xx_and_is_not_added(server):
    status, _ = call(server, 'POST', '/__admin/mappings', json.dumps(
        {'match': {}, 'response': {'delay': 1e306}}).encode('utf-8'))
    assert 400 <= status < 500
    assert call(server, 'GET', '/__admin/mappings')[1]['mappings'] == []


@pytest.mark.parametrize('value', [5, 'x'], ids=['number', 'not-base64'])
def test_data_that_is_not_base64_is_a_400(server, value):
    status, _ = call(server, 'POST', '/__admin/data', json.dumps(
        {'$base64': value}).encode('utf-8'))
    assert status == 400


def test_a_configuration_error_with_non_ascii_text_is_a_422(server):
    status, answer = call(server, 'POST', '/__admin/mappings', json.dumps(
        {'match': {'headers': {u'\xe9': 5}}}).encode('utf-8'))
    server.check()
    assert status == 422 and u'\xe9' in answer['error']


def test_data_with_a_non_ascii_key_is_kept(server):
    status, answer = call(server, 'POST', '/__admin/data',
                          json.dumps({u'\x80': None}).encode('utf-8'))
    assert status == 200 and answer == {u'\x80': None}


@pytest.mark.parametrize('endpoint', ['requests/count', 'requests/find'])
def test_a_request_pattern_with_headers_of_the_wrong_type_is_a_422(server,
                                                                   endpoint):
    status, _ = call(server, 'POST', '/__admin/' + endpoint,
                     json.dumps({'headers': 1}).encode('utf-8'))
    assert status == 422
