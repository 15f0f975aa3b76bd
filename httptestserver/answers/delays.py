"""Delay distributions: how long a wait lasts, given in one line.

This module owns the delay settings of faults and responses: their one-line
forms, their validation (:func:`check_delay`) and :class:`Delay`, which
samples seconds from a ``random.Random``.  Waiting is not its business
(:mod:`httptestserver.serving.fault_actions` waits);
:mod:`httptestserver.answers.faults` imports it.  Pure: no sockets, threads
or locks.

Delays are given as a number of seconds or as one of these one-line forms::

    0.2                                    # fixed
    {'fixed': 0.2}
    {'uniform': [0.1, 0.3]}                # lower..upper, inclusive
    {'lognormal': {'median': 0.1, 'sigma': 0.5}}
    {'lognormal': {'median': 0.1, 'sigma': 0.5, 'cap': 1.0}}
    {'lognormal': [0.1, 0.5]}              # median, sigma[, cap]
"""
import math

import six

from ..errors import ConfigurationError

__all__ = ['Delay', 'check_delay', 'is_number']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    import random  # noqa: F401
    from typing import Any, Optional  # noqa: F401

_NUMBER = six.integer_types + (float,)


def is_number(value):
    # type: (Any) -> bool
    """Return True if *value* is an int or float, not a bool nor NaN."""
    return isinstance(value, _NUMBER) and not isinstance(value, bool) \
        and not (isinstance(value, float) and math.isnan(value))


class Delay(object):
    """A delay distribution: ``fixed``, ``uniform``, ``lognormal``.

    Made by :func:`check_delay`; :meth:`sample` draws seconds from a
    ``random.Random``; :meth:`describe` gives the one-line form back.
    Immutable, so one can be shared between threads.
    """

    __slots__ = ('kind', 'args')

    def __init__(self, kind, args):
        self.kind = kind
        self.args = tuple(args)

    def sample(self, rng):
        # type: (random.Random) -> float
        """Return a number of seconds >= 0 drawn with *rng*."""
        if self.kind == 'fixed':
            return self.args[0]
        if self.kind == 'uniform':
            return rng.uniform(*self.args)
        median, sigma, cap = self.args
        # WireMock's LogNormal: median * exp(N(0, 1) * sigma).
        value = rng.lognormvariate(math.log(median), sigma)
        return value if cap is None else min(cap, value)

    @property
    def maximum(self):
        """The longest delay this can give, or None if unbounded."""
        if self.kind == 'lognormal':
            return self.args[2]
        return self.args[-1]

    def describe(self):
        """Return the plain one-line form, e.g. ``{'uniform': [0.1, 0.3]}``."""
        if self.kind == 'fixed':
            return self.args[0]
        if self.kind == 'uniform':
            return {'uniform': list(self.args)}
        median, sigma, cap = self.args
        form = {'median': median, 'sigma': sigma}
        if cap is not None:
            form['cap'] = cap
        return {'lognormal': form}

    def __eq__(self, other):
        return isinstance(other, Delay) and \
            (self.kind, self.args) == (other.kind, other.args)

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((self.kind, self.args))

    def __repr__(self):
        return '<Delay %r>' % (self.describe(),)


_DELAY_FORMS = ("a number of seconds (0.2), {'fixed': 0.2}, "
                "{'uniform': [0.1, 0.3]} or {'lognormal': {'median': 0.1, "
                "'sigma': 0.5, 'cap': 1.0}} (cap optional)")


def check_delay(value, name='delay'):
    # type: (Any, str) -> Optional[Delay]
    """Return *value* as a :class:`Delay` (or None), else raise.

    *value* is a number of seconds, a :class:`Delay`, or a one-line form
    (see the module docstring).  Negative numbers, an upper bound below the
    lower one, a median <= 0 and unknown forms raise
    :class:`ConfigurationError` naming *name*, the value and the forms.
    Pure.
    """
    if value is None or isinstance(value, Delay):
        return value

    def bad(why=''):
        return ConfigurationError('%s must be %s%s, got %r'
                                  % (name, _DELAY_FORMS, why, value))

    def seconds(number, what):
        if not is_number(number) or number < 0 or number == float('inf'):
            raise bad('; %s must be a number of seconds >= 0' % what)
        return float(number)

    if not isinstance(value, dict):
        return Delay('fixed', [seconds(value, 'a delay')])
    if len(value) != 1:
        raise bad('; give one form')
    (kind, args), = value.items()
    if kind == 'fixed':
        return Delay('fixed', [seconds(args, 'fixed')])
    if kind == 'uniform':
        if not isinstance(args, (list, tuple)) or len(args) != 2:
            raise bad('; uniform takes [lower, upper]')
        lower, upper = seconds(args[0], 'lower'), seconds(args[1], 'upper')
        if upper < lower:
            raise bad('; upper is below lower')
        return Delay('uniform', [lower, upper])
    if kind == 'lognormal':
        if isinstance(args, dict):
            unknown = set(args) - set(['median', 'sigma', 'cap'])
            if unknown or 'median' not in args or 'sigma' not in args:
                raise bad('; lognormal takes median, sigma and optionally '
                          'cap')
            args = [args['median'], args['sigma'], args.get('cap')]
        elif not isinstance(args, (list, tuple)) or len(args) not in (2, 3):
            raise bad('; lognormal takes [median, sigma] or [median, sigma, '
                      'cap]')
        median = seconds(args[0], 'median')
        sigma = seconds(args[1], 'sigma')
        cap = None if len(args) < 3 or args[2] is None \
            else seconds(args[2], 'cap')
        if median <= 0:
            raise bad('; median must be > 0')
        return Delay('lognormal', [median, sigma, cap])
    raise bad('; unknown form %r' % (kind,))
