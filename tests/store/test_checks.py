"""The verification methods of a server (``store/checks.py``):
expectations -- ``expect()``, ``expect_ordered()``, ``assert_all_used()``
and ``check()`` failing on the unused ones -- and accepting unexpected
requests without losing the history.  Over real sockets, HTTP and HTTPS.
"""
import re

import pytest
import requests

from httptestserver import ConfigurationError, VerificationError


def test_an_expectation_answers_like_a_route(server, with_timeout):
    server.expect('/a', 'ok', status=201)
    answer = requests.get(server.url('/a'), **with_timeout)
    assert (answer.status_code, answer.text) == (201, 'ok')
    server.assert_all_used()
    server.check()


def test_an_unused_expectation_fails_check_naming_it(server, with_timeout):
    server.expect('/used', 'ok')
    server.expect('/never', method='POST')
    requests.get(server.url('/used'), **with_timeout)
    with pytest.raises(VerificationError) as info:
        server.check()
    assert '1 expectation(s)' in str(info.value)
    assert 'POST /never' in str(info.value)
    assert '/used' not in str(info.value)
    server.check()  # reported once: the fixture's check passes


def test_assert_all_used_reports_each_once_too(server):
    server.expect('/never', method='POST')
    with pytest.raises(VerificationError) as info:
        server.assert_all_used()
    assert 'POST /never (0 used, expected at least 1)' in str(info.value)
    server.assert_all_used()
    server.check()


def test_times_is_exact_and_the_extra_request_is_unexpected(server,
                                                            with_timeout):
    server.expect('/twice', 'ok', times=2)
    requests.get(server.url('/twice'), **with_timeout)
    with pytest.raises(VerificationError) as info:
        server.assert_all_used()
    assert '(1 of 2 used)' in str(info.value)
    requests.get(server.url('/twice'), **with_timeout)
    server.assert_all_used()
    assert requests.get(server.url('/twice'),
                        **with_timeout).status_code == 500
    with pytest.raises(VerificationError) as info:
        server.check()
    assert 'GET /twice' in str(info.value)
    assert 'matched no route' in str(info.value)


def test_ordered_expectations_answer_in_order(server, with_timeout):
    login, data = server.expect_ordered([
        ('/login', 'welcome'), {'path': '/data', 'json': [1]}])
    early = requests.get(server.url('/data'), **with_timeout)
    assert early.status_code == 500  # /login first
    assert requests.get(server.url('/login'),
                        **with_timeout).text == 'welcome'
    assert requests.get(server.url('/data'), **with_timeout).json() == [1]
    assert (login.used, data.used) == (1, 1)
    server.assert_all_used()
    with pytest.raises(VerificationError) as info:
        server.check()
    assert 'GET /data' in str(info.value)


def test_an_ordered_expectation_left_waiting_is_reported(server,
                                                         with_timeout):
    server.expect_ordered(['/first', re.compile('/second/.*')])
    requests.get(server.url('/first'), **with_timeout)
    with pytest.raises(VerificationError) as info:
        server.check()
    assert 're:/second/.* (0 of 1 used, in order)' in str(info.value)


def test_plain_routes_are_not_expectations(server, with_timeout):
    server.route('/maybe', 'ok')
    server.assert_all_used()
    server.check()


def test_forget_unexpected_keeps_the_history(server, with_timeout):
    server.route('/known', 'ok')
    requests.get(server.url('/unknown'), **with_timeout)
    forgotten = server.forget_unexpected()
    assert [entry['path'] for entry in forgotten] == ['/unknown']
    assert [entry['path'] for entry in server.history] == ['/unknown']
    assert server.unexpected == []
    server.check()


def test_check_can_allow_unexpected_requests(server, with_timeout):
    server.route('/known', 'ok')
    requests.get(server.url('/unknown'), **with_timeout)
    server.check(allow_unexpected=True)
    server.check()  # they were forgotten, not left for later
    assert len(server.history) == 1


def test_allow_unexpected_still_reports_unused_expectations(server):
    server.expect('/never')
    with pytest.raises(VerificationError) as info:
        server.check(allow_unexpected=True)
    assert '/never' in str(info.value)


def test_reset_forgets_the_expectations(server):
    server.expect('/never')
    server.reset()
    server.check()


@pytest.mark.parametrize('items,fix', [
    ('/a', 'must be a list'),
    ([3], 'expectations[0] must be a path'),
    ([('/a', 'x', 'y')], 'expectations[0]'),
    (['/a', {'path': '/b', 'times': 0}], 'whole number >= 1'),
])
def test_bad_expectations_name_the_item_and_add_none(server, items, fix):
    with pytest.raises(ConfigurationError) as info:
        server.expect_ordered(items)
    assert fix in str(info.value)
    assert server.routes == []


def test_an_ordered_expectation_needs_a_count(server):
    route = server.expect('/x', ordered=True)
    assert route.times == 1
    server.reset()
