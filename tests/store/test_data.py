"""``Server.data``: versions bumped by every change, the ``headers``
alias, checked ``response_*`` values, and snapshot views."""
import threading

import pytest

from httptestserver.errors import ConfigurationError
from httptestserver.store.data import StateDict


@pytest.fixture
def data():
    return StateDict(threading.RLock())


def bumps(data, change):
    """Return whether ``change(data)`` bumped ``data.version``."""
    before = data.version
    change(data)
    return data.version > before


@pytest.mark.parametrize('change', [
    lambda d: d.__setitem__('new', 1),
    lambda d: d.__setitem__('key', 'changed'),
    lambda d: d.__delitem__('key'),
    lambda d: d.pop('key'),
    lambda d: d.popitem(),
    lambda d: d.clear(),
    lambda d: d.update(other=2),
    lambda d: d.update({'key': 3}),
    lambda d: d.setdefault('absent', 4),
], ids=['set new', 'set again', 'delete', 'pop', 'popitem', 'clear',
        'update keywords', 'update dict', 'setdefault absent'])
def test_every_change_bumps_the_version(data, change):
    data['key'] = 'value'
    assert bumps(data, change)


def test_reads_leave_the_version_alone(data):
    data['key'] = 'value'
    assert not bumps(data, lambda d: (d['key'], d.get('key'), 'key' in d,
                                      d.keys(), d.items(), d.values(),
                                      d.copy(), len(d), repr(d)))


def test_setting_headers_also_sets_response_headers(data):
    data['headers'] = {'X-Test': 'yes'}
    assert data['response_headers'] == {'X-Test': 'yes'}
    assert data['headers'] == {'X-Test': 'yes'}


def test_update_with_headers_also_sets_response_headers(data):
    data.update(headers=[('X-A', '1')])
    assert data['response_headers'] == [('X-A', '1')]


@pytest.mark.parametrize('key, value', [
    ('response_status', 'teapot'),
    ('response_status', 42),
    ('response_headers', 5),
    ('headers', 5),
    ('response_timeout', 'slow'),
    ('response_fault', 'no such fault'),
    ('response_delay', -1),
    ('response_content', 5),
])
def test_a_bad_response_value_raises_configuration_error_naming_it(
        data, key, value):
    with pytest.raises(ConfigurationError) as info:
        data[key] = value
    assert "data[%r]" % (key,) in str(info.value)
    assert key not in data


def test_a_bad_value_in_update_raises_configuration_error(data):
    with pytest.raises(ConfigurationError) as info:
        data.update(response_status='teapot')
    assert "data['response_status']" in str(info.value)


def test_none_clears_a_response_setting_without_a_check(data):
    data['response_status'] = None
    assert data['response_status'] is None


def test_good_response_values_are_kept(data):
    data['response_status'] = 404
    data['response_headers'] = {'X-Test': 'yes'}
    data['response_fault'] = 'reset'
    assert data['response_status'] == 404
    assert data['response_fault'] == 'reset'


@pytest.mark.parametrize('fault', ['handshake_never', 'handshake_reset',
                                   'handshake_garbage'])
def test_handshake_faults_are_refused_on_a_plain_http_server(data, fault):
    data.https = False
    with pytest.raises(ConfigurationError) as info:
        data['response_fault'] = fault
    message = str(info.value)
    assert "data['response_fault']" in message and 'TLS' in message
    assert 'https_server()' in message


def test_handshake_faults_are_accepted_on_an_https_server(data):
    data['response_fault'] = 'handshake_reset'
    assert data['response_fault'] == 'handshake_reset'


def test_keys_and_items_are_snapshot_lists(data):
    data.update(a=1, b=2)
    keys, items, values = data.keys(), data.items(), data.values()
    assert isinstance(keys, list) and isinstance(items, list)
    assert isinstance(values, list)
    for key in keys:  # changing the dict while walking a snapshot
        del data[key]
    for key, value in items:
        data[key + '2'] = value
    assert sorted(keys) == ['a', 'b']
    assert sorted(items) == [('a', 1), ('b', 2)]
    assert sorted(data.keys()) == ['a2', 'b2']


def test_iterating_walks_a_snapshot(data):
    data.update(a=1, b=2)
    for key in data:
        data[key + key] = 0
    assert sorted(data) == ['a', 'aa', 'b', 'bb']


def test_copy_is_a_plain_dict(data):
    data['a'] = 1
    copy = data.copy()
    assert type(copy) is dict and copy == {'a': 1}


def test_in_place_or_goes_through_the_checks(data):
    data |= {'headers': {'X-A': '1'}}
    assert data['response_headers'] == {'X-A': '1'}
    with pytest.raises(ConfigurationError):
        data |= {'response_status': 'teapot'}
