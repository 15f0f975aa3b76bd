"""The in-thread API's arguments as data: every response form of route()
crosses into a child, and what cannot cross is refused with the data form
to use instead."""
import datetime
import re
import time

import pytest
import requests

import httptestserver
from httptestserver.answers.delays import Delay
from httptestserver.errors import ConfigurationError

from conftest import TIMEOUT
from _remote_helpers import fixture_child, fixture_shared  # noqa: F401


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
    assert 'a stream cannot cross' in str(info.value)
    assert child.routes == []
