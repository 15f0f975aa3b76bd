"""Delay distributions (``answers/delays.py``), pure: the one-line forms,
their validation naming the value and the forms, and sampling with a seeded
RNG.  Waiting is not theirs: measured delays are tested in
tests/serving/test_fault_actions.py.
"""
import random

import pytest

from httptestserver import ConfigurationError
from httptestserver.answers import delays


# -- validation --------------------------------------------------------------
@pytest.mark.parametrize('value', [
    -1, float('nan'), float('inf'), True, '0.2', {'uniform': [0.3, 0.1]},
    {'uniform': [0.1]}, {'lognormal': {'median': 0, 'sigma': 1}},
    {'lognormal': {'median': 0.1}}, {'gauss': [1, 2]},
    {'fixed': 1, 'uniform': [1, 2]}, {'fixed': -0.5},
])
def test_bad_delay_raises_naming_the_value_and_the_forms(value):
    with pytest.raises(ConfigurationError) as info:
        delays.check_delay(value, 'route delay')
    message = str(info.value)
    assert message.startswith('route delay must be')
    assert repr(value) in message and "{'uniform': [0.1, 0.3]}" in message


@pytest.mark.parametrize('value, expected', [
    (0.25, delays.Delay('fixed', [0.25])),
    (2, delays.Delay('fixed', [2.0])),
    ({'fixed': 0.2}, delays.Delay('fixed', [0.2])),
    ({'uniform': (0.1, 0.3)}, delays.Delay('uniform', [0.1, 0.3])),
    ({'lognormal': [0.1, 0.5]}, delays.Delay('lognormal', [0.1, 0.5, None])),
    ({'lognormal': {'median': 0.1, 'sigma': 0.5, 'cap': 1}},
     delays.Delay('lognormal', [0.1, 0.5, 1.0])),
])
def test_delay_forms_normalise(value, expected):
    assert delays.check_delay(value) == expected
    assert delays.check_delay(delays.check_delay(value).describe()) == \
        expected


# -- distributions (seeded) --------------------------------------------------
def test_fixed_delay_is_always_the_same():
    delay = delays.check_delay(0.2)
    assert set(delay.sample(random.Random(s)) for s in range(5)) == set([0.2])


def test_uniform_delay_stays_in_bounds_and_spreads():
    delay = delays.check_delay({'uniform': [0.1, 0.3]})
    rng = random.Random(1)
    samples = [delay.sample(rng) for _ in range(1000)]
    assert 0.1 <= min(samples) < 0.12 and 0.28 < max(samples) <= 0.3
    assert 0.19 < sum(samples) / len(samples) < 0.21


def test_lognormal_delay_has_the_given_median():
    delay = delays.check_delay({'lognormal': {'median': 0.1, 'sigma': 0.5}})
    rng = random.Random(2)
    samples = sorted(delay.sample(rng) for _ in range(2001))
    assert 0.09 < samples[1000] < 0.11
    assert samples[-1] > 0.3  # a long tail: what the distribution is for
    assert samples[0] > 0


def test_capped_lognormal_never_exceeds_its_cap():
    delay = delays.check_delay({'lognormal': [0.1, 1.0, 0.2]})
    rng = random.Random(3)
    samples = [delay.sample(rng) for _ in range(1000)]
    assert max(samples) == 0.2  # the cap is reached, never passed
    assert delay.maximum == 0.2


def test_same_seed_gives_the_same_delays():
    delay = delays.check_delay({'lognormal': [0.1, 0.5]})
    first = [delay.sample(random.Random(7)) for _ in range(3)]
    rng_a, rng_b = random.Random(7), random.Random(7)
    assert [delay.sample(rng_a) for _ in range(5)] == \
        [delay.sample(rng_b) for _ in range(5)]
    assert first[0] == first[1] == first[2]
