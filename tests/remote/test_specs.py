"""The in-thread API's arguments as data: every response form of route()
crosses into a child, and what cannot cross is refused with the data form
to use instead."""
import re

import pytest
import requests

from httptestserver.errors import ConfigurationError

from conftest import TIMEOUT
from _remote_helpers import child, shared  # noqa: F401


def test_the_response_forms_of_route_cross_as_data(child):
    child.route('/int', 204)
    child.route('/bytes', b'\x00\xff')
    child.route('/tuple', (202, {'X-A': '1'}, u'caf\xe9'))
    child.route(re.compile(r'/items/\d+'), responses=[
        {'status': 200, 'body': 'first'}, {'status': 200, 'body': 'second'}])
    child.route('/q', 'paged', query={'page': '2'})
    child.route('/slow', body='late', delay=0.05, cookies={'s': '1'})
    get = lambda path: requests.get(child.url(path), timeout=TIMEOUT)
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
