"""The in-thread API asked of a child over its control API: routes as data,
the history, waits, checks, the unmatched response, and failures worded as
the in-thread server words them."""
import threading

import pytest
import requests

import httptestserver
from httptestserver.errors import VerificationError, WaitTimeout
from httptestserver.headers import Headers

from conftest import TIMEOUT
from _remote_helpers import call, fixture_child, \
    fixture_shared  # noqa: F401


def test_routes_as_data_answer_and_requests_are_recorded(child):
    child.route('/users', method='POST', status=201, json={'id': 1},
                match={'headers': {'X-Token': 'abc'},
                       'json': {'name': 'Ada'}})
    answer = requests.post(child.url('/users'), json={'name': 'Ada'},
                           headers={'X-Token': 'abc'}, timeout=TIMEOUT)
    assert answer.status_code == 201 and answer.json() == {'id': 1}
    entry, = child.history
    assert entry['method'] == 'POST' and entry['json'] == {'name': 'Ada'}
    assert isinstance(entry['headers'], Headers)
    assert entry['headers']['x-token'] == 'abc'
    assert entry['body'] == b'{"name": "Ada"}'
    assert entry['response_status'] == 201
    child.assert_requested('/users', method='POST', times=1)
    with pytest.raises(VerificationError) as info:
        child.assert_requested('/users', method='GET')
    assert 'POST /users' in str(info.value)


def test_wait_is_one_long_poll_and_times_out_with_what_came(child):
    results = []
    waiter = threading.Thread(target=lambda: results.append(
        child.wait(2, path='/w', timeout=TIMEOUT)))
    waiter.start()
    for _ in range(2):
        requests.get(child.url('/w'), timeout=TIMEOUT)
    waiter.join(TIMEOUT + 15)
    assert [e['path'] for e in results[0]] == ['/w', '/w']
    with pytest.raises(WaitTimeout) as info:
        child.wait(3, path='/w', timeout=0.2)
    assert 'saw 2' in str(info.value) and 'GET /w' in str(info.value)


def test_check_raises_the_childs_failures_then_forgets_them(child):
    child.route('/known', 200)
    child.data  # routes exist: other requests are unexpected
    requests.get(child.url('/unknown'), timeout=TIMEOUT)
    assert [e['path'] for e in child.unexpected] == ['/unknown']
    with pytest.raises(VerificationError) as info:
        child.check()
    assert '/unknown' in str(info.value)
    child.check()  # forgotten


def test_the_unmatched_response_crosses_and_reads_back_as_set(child):
    child.route('/known', 200)
    child.unmatched_response = (404, {'X-Why': 'unknown'}, 'nope')
    answer = requests.get(child.url('/other'), timeout=TIMEOUT)
    assert (answer.status_code, answer.text) == (404, 'nope')
    assert answer.headers['X-Why'] == 'unknown'
    assert child.unmatched_response == (404, {'X-Why': 'unknown'}, 'nope')
    child.unmatched_response = None
    assert child.unmatched_response is None
    with pytest.raises(VerificationError):
        child.check()


def test_an_unmatched_response_set_elsewhere_reads_back_as_the_child_holds_it(
        child):
    child.unmatched_response = 418
    assert child.unmatched_response == 418
    call('POST', child.control_url + 'unmatched', {'status': 503})
    assert child.unmatched_response == {'status': 503}
    child.unmatched_response = 418
    child.reset()  # forgets it, in the child and so here
    assert child.unmatched_response is None


def _failures(server):
    """The failure messages *server* gives for one scenario, its URL
    replaced by ``URL``."""
    texts = []
    with pytest.raises(WaitTimeout) as info:
        server.wait(1, path='/users/1', timeout=0.1)
    texts.append(str(info.value))
    requests.get(server.url('/users/1'), timeout=TIMEOUT)
    with pytest.raises(WaitTimeout) as info:
        server.wait(2, path='/users/1', timeout=0.1)
    texts.append(str(info.value))
    with pytest.raises(VerificationError) as info:
        server.assert_requested('/users/2', method='GET', times=2,
                                query={'a': '1'})
    texts.append(str(info.value))
    server.route('/known', 200)
    requests.get(server.url('/typo'), timeout=TIMEOUT)
    with pytest.raises(VerificationError) as info:
        server.assert_no_unexpected()
    texts.append(str(info.value))
    with pytest.raises(VerificationError) as info:
        server.check()
    texts.append(str(info.value))
    return [t.replace(server.url('').rstrip('/'), 'URL') for t in texts]


def test_failures_are_worded_as_the_in_thread_server_words_them(child):
    with httptestserver.http_server() as local:
        in_thread = _failures(local)
    assert _failures(child) == in_thread
    assert in_thread[:4] == [
        'expected 1 request(s) matching /users/1 within 0.1s, saw 0 (no '
        'requests at all; is the client using URL/?)',
        'expected 2 request(s) matching /users/1 within 0.1s, saw 1; closest '
        'seen: GET /users/1 (of 1)',
        "expected requests matching GET /users/2 query={'a': '1'} 2 "
        "time(s), got 0; closest seen: GET /users/1 (of 1)\n"
        'Closest requests, field by field (x: differs):\n'
        '  GET /users/1\n'
        '      field    expected                      actual\n'
        '      method   GET                           GET\n'
        '    x path     /users/2                      /users/1\n'
        '    x query a  ["1"]                         (absent)',
        '1 request(s) matched no route: GET /typo; routes are: ANY /known\n'
        'Closest routes to GET /typo (x: differs):\n'
        '  ANY /known\n'
        '      field   expected                      actual\n'
        '      method  ANY                           GET\n'
        '    x path    /known                        /typo']


def test_a_match_dict_is_worded_as_a_route_words_it(child):
    with pytest.raises(WaitTimeout) as info:
        child.wait(1, method='POST', match={'headers': {'X-A': '1'}},
                   timeout=0.1)
    assert str(info.value).startswith(
        'expected 1 request(s) matching POST match=ANY headers={"X-A":"1"} '
        'within 0.1s, saw 0')
