"""Fault settings and plans (``answers/faults.py``), pure: validation that
names the value and the choices, the chunker, plans, and chaos with a
seeded RNG.  No sockets: what a plan does on the wire is tested in
tests/serving/test_fault_actions.py, the delay forms in test_delays.py.
"""
import random

import pytest
import six

from httptestserver import ConfigurationError, Server
from httptestserver.answers import faults


# -- validation --------------------------------------------------------------
@pytest.mark.parametrize('value', ['rst', 'RESET', 3, ['reset']])
def test_unknown_fault_raises_naming_the_value_and_the_choices(value):
    with pytest.raises(ConfigurationError) as info:
        faults.check_fault(value, 'fault')
    message = str(info.value)
    assert repr(value) in message
    assert "'reset'" in message and "'empty'" in message


def test_handshake_fault_on_a_route_says_it_is_server_wide_only():
    with pytest.raises(ConfigurationError) as info:
        faults.check_fault('handshake_never', 'route fault')
    assert "server.data['response_fault']" in str(info.value)
    assert faults.check_fault('handshake_never', 'x', handshake=True) == \
        'handshake_never'


@pytest.mark.parametrize('value', [
    {'probability': 1.5, 'fault': 'reset'},
    {'probability': -0.1, 'fault': 'reset'},
    {'probability': 0.5},
    {'probability': 0.5, 'fault': 'nope'},
    {'probability': 0.5, 'fault': 'reset', 'seed': 'x'},
    {'probability': 0.5, 'fault': 'reset', 'sead': 1},
    'reset',
])
def test_bad_chaos_raises(value):
    with pytest.raises(ConfigurationError) as info:
        faults.check_chaos(value, 'chaos')
    assert str(info.value).startswith('chaos')


@pytest.mark.parametrize('value', [{'chunks': 0, 'duration': 1},
                                   {'chunks': 2}, {'chunks': 2,
                                                   'duration': -1}, 5])
def test_bad_dribble_raises(value):
    with pytest.raises(ConfigurationError):
        faults.check_dribble(value)


@pytest.mark.parametrize('value', [0, -5, 'fast', True])
def test_bad_bandwidth_raises(value):
    with pytest.raises(ConfigurationError):
        faults.check_bandwidth(value)


def test_bad_settings_raise_when_set_not_when_used():
    server = Server()  # not started: the checks need no thread
    try:
        with pytest.raises(ConfigurationError) as info:
            server.route('/x', fault='rest')
        assert "'rest'" in str(info.value)
        with pytest.raises(ConfigurationError):
            server.route('/x', delay={'uniform': [1, 0]})
        with pytest.raises(ConfigurationError):
            server.route('/x', chaos={'fault': 'reset', 'probability': 2})
        with pytest.raises(ConfigurationError) as info:
            server.data['response_fault'] = 'nope'
        assert "data['response_fault']" in str(info.value)
        with pytest.raises(ConfigurationError) as info:
            server.data['response_body_delay'] = -1
        assert "data['response_body_delay']" in str(info.value)
        with pytest.raises(ConfigurationError):
            server.data['response_chaos'] = {'fault': 'reset',
                                             'probability': -1}
        assert 'response_fault' not in server.data
    finally:
        server.stop()


# -- chunker, plans, chaos (seeded) ------------------------------------------
@pytest.mark.parametrize('size, count, lengths', [
    (10, 3, [3, 3, 4]), (10, 1, [10]), (3, 5, [1, 1, 1]), (0, 4, []),
    (12, 4, [3, 3, 3, 3]),
])
def test_split_cuts_like_wiremocks_body_chunker(size, count, lengths):
    payload = bytes(bytearray(range(size)))
    pieces = faults.split(payload, count)
    assert [len(p) for p in pieces] == lengths
    assert b''.join(pieces) == payload


def test_no_fault_settings_make_no_plan():
    assert faults.make_plan({}, random.Random(0)) is None
    assert faults.make_plan({'fault': None}, random.Random(0)) is None


def test_plan_summary_says_what_was_decided():
    plan = faults.make_plan({'fault': 'reset', 'delay': {'uniform': [1, 2]},
                             'chunk_delay': 0.1, 'bandwidth': 100},
                            random.Random(0))
    summary = plan.summary()
    assert summary['fault'] == 'reset'
    assert 1 <= summary['delays']['delay'] <= 2
    assert summary['delays']['chunk_delay'] == 0.1
    assert summary['delays']['bandwidth'] == 100
    assert 'chaos' not in summary


@pytest.mark.parametrize('probability, hits', [(0, 0), (1, 50)])
def test_chaos_probability_zero_never_and_one_always_strikes(probability,
                                                             hits):
    chaos = {'fault': 'reset', 'probability': probability}
    rng = random.Random(5)
    plans = [faults.make_plan({'chaos': chaos}, rng) for _ in range(50)]
    assert sum(p.fault == 'reset' for p in plans) == hits
    assert all(p.summary()['chaos']['hit'] == bool(hits) for p in plans)


def test_chaos_with_a_seed_replays():
    chaos = {'fault': ['reset', 'empty'], 'delay': {'uniform': [0, 1]},
             'probability': 0.5, 'seed': 11}

    def run():
        rng = faults.make_rng(11)
        return [faults.make_plan({'chaos': chaos}, rng).summary()
                for _ in range(40)]

    first = run()
    assert first == run()
    struck = [s for s in first if s['chaos']['hit']]
    assert 5 < len(struck) < 35
    assert set(s['fault'] for s in struck) == set(['reset', 'empty'])
    assert all(s['chaos']['seed'] == 11 for s in first)


def test_a_random_seed_is_recorded_for_replay():
    rng = faults.make_rng()
    plan = faults.make_plan({'chaos': {'fault': 'reset', 'probability': 1}},
                            rng)
    seed = plan.summary()['chaos']['seed']
    assert isinstance(seed, six.integer_types)
    again = faults.make_plan({'chaos': {'fault': 'reset', 'probability': 1}},
                             faults.make_rng(seed))
    assert again.summary() == plan.summary()


def test_server_wide_chaos_applies_when_the_routes_does_not_strike():
    plan = faults.make_plan(
        {'chaos': {'fault': 'empty', 'probability': 0}}, random.Random(0),
        chaos={'fault': 'reset', 'probability': 1})
    assert plan.fault == 'reset'
    assert [c['hit'] for c in plan.summary()['chaos']] == [False, True]
    assert plan.summary()['chaos'][1]['server'] is True


@pytest.mark.parametrize('value', [
    {'truncate_at': 0}, {'truncate_at': 100}, {'reset_after': 7},
    {'slow_close': 0.5}, {'timeout': 2}])
def test_a_fault_with_a_number_is_a_one_key_dict(value):
    checked = faults.check_fault(value)
    assert checked == value and checked is not value  # a copy
    plan = faults.make_plan({'fault': value}, random.Random(0))
    assert plan.summary()['fault'] == value and plan.closes


@pytest.mark.parametrize('value, words', [
    ({'truncate_at': -1}, 'whole number of bytes >= 0'),
    ({'truncate_at': 1.5}, 'whole number of bytes >= 0'),
    ({'reset_after': True}, 'whole number of bytes >= 0'),
    ({'slow_close': 0}, 'number of seconds > 0'),
    ({'timeout': float('inf')}, 'number of seconds > 0'),
    ({'timeout': 1, 'reset_after': 2}, 'one key'),
    ({'explode': 1}, "'reset_after', 'slow_close', 'timeout', "
                     "'truncate_at'"),
])
def test_a_bad_fault_with_a_number_is_refused_by_name(value, words):
    with pytest.raises(ConfigurationError) as info:
        faults.check_fault(value, "route('/x') fault")
    assert words in str(info.value)
    assert "route('/x') fault" in str(info.value)


def test_chaos_draws_faults_with_numbers_too():
    chaos = faults.check_chaos({'fault': [{'timeout': 1}, 'reset'],
                                'probability': 1, 'seed': 3})
    drawn = set()
    rng = faults.make_rng(3)
    for _ in range(40):
        fault = faults.make_plan({'chaos': chaos}, rng).fault
        drawn.add(repr(fault))
    assert drawn == {"{'timeout': 1.0}", "'reset'"}


@pytest.mark.parametrize('name', sorted(faults.CONNECTION_FAULTS))
def test_a_connection_fault_is_server_wide_only(name):
    assert faults.check_fault(name, handshake=True) == name
    with pytest.raises(ConfigurationError) as info:
        faults.check_fault(name, "route('/x') fault")
    assert "server.data['response_fault'] = %r" % name in str(info.value)
    assert faults.is_connection_fault(name)
    assert not faults.is_handshake_fault(name)
