"""Composing a response from ``route()``'s arguments
(``answers/compose.py``): a positional body plus response keywords, as
users of ``responses``, pytest-httpserver and WireMock write it; only the
ambiguous mixes refused, naming both sides.  Pure, then over real sockets.
"""
import pytest
import requests

from httptestserver import ConfigurationError, Response
from httptestserver.answers.compose import NOT_SET, compose, response_list


@pytest.mark.parametrize('response,fields,spec', [
    ('ok', {'status': 201}, {'body': 'ok', 'status': 201}),
    (b'ok', {'delay': 0.1}, {'body': b'ok', 'delay': 0.1}),
    ({'a': 1}, {'headers': {'X': '1'}}, {'json': {'a': 1},
                                         'headers': {'X': '1'}}),
    ([1, 2], {'status': 202}, {'json': [1, 2], 'status': 202}),
    (404, {'body': 'gone'}, {'status': 404, 'body': 'gone'}),
    (None, {'status': 204}, {'status': 204}),
    ((202, b'x'), {'fault': 'reset'}, {'status': 202, 'body': b'x',
                                       'fault': 'reset'}),
    ((200, {'X': '1'}, b'x'), {'cookies': {'k': 'v'}},
     {'status': 200, 'headers': {'X': '1'}, 'body': b'x',
      'cookies': {'k': 'v'}}),
    ({'status': 201}, {'body': 'ok'}, {'status': 201, 'body': 'ok'}),
    ('ok', {'content_type': 'text/plain'},
     {'body': 'ok', 'headers': [('Content-Type', 'text/plain')]}),
])
def test_a_positional_response_composes_with_keywords(response, fields,
                                                      spec):
    assert compose(response, fields) == spec


@pytest.mark.parametrize('response,fields,names', [
    (200, {'status': 201}, ['200', 'status=201']),
    ('ok', {'body': 'no'}, ["'ok'", "body='no'"]),
    ('ok', {'json': {}}, ["'ok'", 'json={}']),
    ({'a': 1}, {'body': 'x'}, ["{'a': 1}", "body='x'"]),
    ((200, b'x'), {'status': 201}, ['status=201']),
    ({'status': 200}, {'status': 201}, ['status=201']),
])
def test_saying_a_thing_twice_names_both(response, fields, names):
    with pytest.raises(ConfigurationError) as info:
        compose(response, fields)
    for name in names + ['one way']:
        assert name in str(info.value)


@pytest.mark.parametrize('response', [
    lambda request: 'x', Response(200), object()])
def test_a_complete_response_takes_no_keywords(response):
    with pytest.raises(ConfigurationError) as info:
        compose(response, {'status': 201})
    assert repr(response) in str(info.value)
    assert 'status=' in str(info.value)


def test_a_dict_mixing_response_keys_and_others_is_refused():
    with pytest.raises(ConfigurationError) as info:
        compose({'status': 200, 'stauts': 1}, {'delay': 1})
    assert 'json=' in str(info.value)


def test_content_type_twice_is_refused():
    with pytest.raises(ConfigurationError) as info:
        compose('ok', {'content_type': 'a/b',
                       'headers': [('content-type', 'c/d')]})
    assert "content_type='a/b'" in str(info.value)


def test_a_bad_content_type_names_it():
    with pytest.raises(ConfigurationError) as info:
        response_list(NOT_SET, None, {'content_type': 3})
    assert 'content_type must be a media type' in str(info.value)


def test_responses_takes_nothing_else():
    with pytest.raises(ConfigurationError) as info:
        response_list('ok', ['a'], {})
    assert "positional response 'ok'" in str(info.value)
    with pytest.raises(ConfigurationError) as info:
        response_list(NOT_SET, ['a'], {'status': 201})
    assert 'status=' in str(info.value)


def test_alone_a_response_is_what_it_was():
    assert response_list('ok', None, {}) == ['ok']
    assert response_list({'status': 201}, None, {}) == [{'status': 201}]
    assert response_list(NOT_SET, None, {}) == [None]
    assert response_list([1], None, {}) == [{'json': [1]}]


# -- over real sockets -------------------------------------------------------
def test_the_peers_way_of_writing_a_response(server, with_timeout):
    server.route('/created', 'ok', status=201)
    server.route('/json', {'a': 1}, headers={'X-Kind': 'json'})
    server.route('/typed', u'caf\xe9', content_type='text/plain; '
                 'charset=utf-8', delay=0.01)
    created = requests.get(server.url('/created'), **with_timeout)
    assert (created.status_code, created.content) == (201, b'ok')
    answer = requests.get(server.url('/json'), **with_timeout)
    assert answer.json() == {'a': 1}
    assert answer.headers['X-Kind'] == 'json'
    assert answer.headers['Content-Type'] == 'application/json'
    typed = requests.get(server.url('/typed'), **with_timeout)
    assert typed.text == u'caf\xe9'
    assert typed.headers['Content-Type'] == 'text/plain; charset=utf-8'


def test_a_body_with_a_fault_fails_the_request(server, with_timeout):
    server.route('/broken', 'ok', fault='reset')
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url('/broken'), **with_timeout)
    server.assert_requested('/broken', times=1)
