"""The control API's endpoints: mappings, recorded requests (count, find,
wait), errors and check, data, the unmatched response, and the 4xx a wrong
request gets."""
import threading
import time

import pytest
import requests

import httptestserver

from conftest import TIMEOUT
from _remote_helpers import STUB, admin, call
from _remote_helpers import fixture_server  # noqa: F401


def test_mappings_can_be_listed_fetched_and_removed(server):
    _, first = call('POST', admin(server, 'mappings'), STUB)
    _, second = call('POST', admin(server, 'mappings'),
                     {'match': {'path': '/ours'}, 'response': {'body': 'x'}})
    status, listing = call('GET', admin(server, 'mappings'))
    assert status == 200 and listing['meta']['total'] == 2
    assert [m['id'] for m in listing['mappings']] == [first['id'],
                                                      second['id']]
    assert call('GET', admin(server, 'mappings/' + first['id'])) == (
        200, first)
    assert call('DELETE', admin(server, 'mappings/' + first['id']))[0] == 200
    assert call('GET', admin(server, 'mappings/' + first['id']))[0] == 404
    assert call('DELETE', admin(server, 'mappings')) == (200, {'removed': 1})
    assert server.routes == []


def test_requests_are_counted_and_found_by_our_spec_or_wiremocks(server):
    for token in ('a', 'b', 'a'):
        requests.get(server.url('/x'), headers={'X-T': token},
                     timeout=TIMEOUT)
    ours = {'path': '/x', 'headers': {'X-T': 'a'}}
    theirs = {'urlPath': '/x', 'headers': {'X-T': {'equalTo': 'a'}}}
    assert call('POST', admin(server, 'requests/count'), ours)[1] == {
        'count': 2}
    assert call('POST', admin(server, 'requests/count'), theirs)[1] == {
        'count': 2}
    assert call('POST', admin(server, 'requests/count'))[1] == {'count': 3}
    _, found = call('POST', admin(server, 'requests/find'),
                    {'headers': {'X-T': 'b'}})
    assert len(found['requests']) == 1


def test_a_wait_returns_as_soon_as_the_requests_arrive(server):
    answers = []
    waiter = threading.Thread(target=lambda: answers.append(call(
        'POST', admin(server, 'requests/wait'),
        {'count': 2, 'match': {'path': '/late'}, 'timeout': TIMEOUT})))
    waiter.start()
    for _ in range(2):
        requests.get(server.url('/late'), timeout=TIMEOUT)
    waiter.join(TIMEOUT + 5)
    status, document = answers[0]
    assert status == 200 and document['ok'] and document['count'] == 2


def test_a_wait_that_times_out_answers_408_with_what_arrived(server):
    requests.get(server.url('/one'), timeout=TIMEOUT)
    started = time.time()
    status, document = call('POST', admin(server, 'requests/wait'),
                            {'count': 2, 'timeout': 0.3})
    assert 0.25 <= time.time() - started < 5
    assert status == 408 and document['ok'] is False
    assert document['count'] == 1


def test_errors_are_readable_and_check_takes_them(server):
    def boom(request):
        raise ValueError('broken route')
    server.route('/boom', boom)
    assert requests.get(server.url('/boom'), timeout=TIMEOUT).status_code \
        == 500
    _, errors = call('GET', admin(server, 'errors'))
    assert 'broken route' in errors['errors'][0]['error']
    _, checked = call('POST', admin(server, 'check'))
    assert checked['error'] == 'HandlerError' and 'broken route' in \
        checked['message']
    assert call('POST', admin(server, 'check'))[1] == {'ok': True}


def test_data_settings_shape_the_default_response(server):
    status, data = call('POST', admin(server, 'data'), {
        'response_status': 418, 'response_content': {'$base64': 'AP8='},
        'response_headers': {'X-Tea': 'yes'}})
    assert status == 200 and data['response_status'] == 418
    answer = requests.get(server.url('/tea'), timeout=TIMEOUT)
    assert answer.status_code == 418 and answer.content == b'\x00\xff'
    assert answer.headers['X-Tea'] == 'yes'
    _, data = call('GET', admin(server, 'data'))
    assert data['path'] == '/tea' and data['response_content'] == {
        '$base64': 'AP8='}
    call('DELETE', admin(server, 'data/response_status'))
    assert 'response_status' not in server.data
    status, message = call('POST', admin(server, 'data'),
                           {'response_status': 'x'})
    assert status == 422 and 'response_status' in message['error']


def test_the_unmatched_response_is_set_read_and_cleared(server):
    server.route('/known', 200)
    assert call('POST', admin(server, 'unmatched'), {
        'status': 404, 'body': 'nope'}) == (200, {'response': {
            'status': 404, 'body': 'nope'}})
    answer = requests.get(server.url('/other'), timeout=TIMEOUT)
    assert (answer.status_code, answer.text) == (404, 'nope')
    assert call('GET', admin(server, 'unmatched'))[1]['response'][
        'status'] == 404
    assert call('DELETE', admin(server, 'unmatched'))[0] == 200
    assert server.unmatched_response is None
    status, document = call('POST', admin(server, 'unmatched'),
                            {'status': 'x'})
    assert status == 422 and 'status' in document['error']
    with pytest.raises(httptestserver.VerificationError):
        server.check()  # /other was still unexpected


@pytest.mark.parametrize('method, path, status, words', [
    ('GET', 'nothing', 404, ['no control endpoint']),
    ('PUT', 'mappings', 405, ['takes DELETE, GET, POST']),
    ('POST', 'mappings', 400, ['needs a JSON body']),
])
def test_bad_control_requests_get_a_clear_4xx(server, method, path, status,
                                              words):
    got, document = call(method, admin(server, path))
    assert got == status
    for word in words:
        assert word in document['error']
