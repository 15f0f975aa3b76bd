"""Stateful scenarios: routes that answer by state and move it."""
import pytest
import requests

import httptestserver
from httptestserver.errors import ConfigurationError
from httptestserver.store.scenarios import STARTED, Scenarios

from conftest import TIMEOUT


def test_a_scenario_starts_moves_and_resets():
    scenarios = Scenarios()
    scenarios.declare('s', 'paid')
    assert scenarios.state('s') == STARTED
    assert scenarios.set_state('s', 'paid') and scenarios.state('s') == 'paid'
    assert not scenarios.set_state('unknown', 'x')
    scenarios.reset()
    assert scenarios.describe() == [{'id': 's', 'name': 's',
                                     'state': STARTED,
                                     'possibleStates': [STARTED, 'paid']}]


def test_routes_in_a_scenario_answer_by_state_in_the_thread():
    with httptestserver.http_server() as server:
        server.route('/cart', 'empty', scenario='shop', state='Started',
                     new_state='full')
        server.route('/cart', 'full', scenario='shop', state='full',
                     new_state='paid', match={'method': 'GET'})
        server.route('/cart', 'thanks', scenario='shop', state='paid')

        def get():
            return requests.get(server.url('/cart'), timeout=TIMEOUT).text
        answers = [get() for _ in range(4)]
        assert answers == ['empty', 'full', 'thanks', 'thanks']
        assert server.scenarios.state('shop') == 'paid'
        server.scenarios.reset('shop')
        assert get() == 'empty'
        server.reset()
        assert server.scenarios.describe() == []


@pytest.mark.parametrize('kws, name', [
    ({'state': 'x'}, 'scenario='), ({'scenario': 1}, 'scenario must be text'),
    ({'scenario': 's', 'new_state': ['x']}, 'new_state must be text')])
def test_bad_scenario_arguments_are_refused_by_name(kws, name):
    with httptestserver.http_server() as server:
        with pytest.raises(ConfigurationError) as info:
            server.route('/x', **kws)
        assert name in str(info.value)
