"""Stateful scenarios: WireMock's ``scenarioName`` state machines.

A stub in a scenario answers only while the scenario is in its required
state, and may move it to a new state when it answers.  :class:`Scenarios`
holds every scenario's current state (``Started`` until moved) behind one
lock; :meth:`Scenarios.guard` wraps a request matcher so it also checks the
state, and :meth:`Scenarios.answer` wraps a response so answering moves the
state; :meth:`Scenarios.bind` does both for ``Server.route(...,
scenario=, state=, new_state=)``.  Pure: no sockets or threads; thread-safe.
"""
import threading

import six

from ..errors import ConfigurationError
from ..answers.matchers import Matcher
from ..answers.responses import validate_spec

__all__ = ['Scenarios', 'STARTED']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Callable, Dict, List, Optional  # noqa: F401

#: The state every scenario starts in (WireMock's name).
STARTED = 'Started'


class Scenarios(object):
    """The states of named scenarios, and the stubs that drive them."""

    def __init__(self):
        self._lock = threading.Lock()
        self._states = {}  # type: Dict[str, str]
        self._possible = {}  # type: Dict[str, List[str]]

    def declare(self, name, *states):
        """Note that scenario *name* exists and may be in *states*."""
        with self._lock:
            self._states.setdefault(name, STARTED)
            known = self._possible.setdefault(name, [STARTED])
            for state in states:
                if state is not None and state not in known:
                    known.append(state)

    def state(self, name):
        # type: (str) -> str
        """Return the state of scenario *name* (``Started`` if unknown)."""
        with self._lock:
            return self._states.get(name, STARTED)

    def set_state(self, name, state):
        """Move scenario *name* to *state*; return False if it is unknown."""
        with self._lock:
            if name not in self._states:
                return False
            self._states[name] = state
            known = self._possible.setdefault(name, [STARTED])
            if state not in known:
                known.append(state)
            return True

    def reset(self, name=None):
        """Put scenario *name* (every one, by default) back to Started."""
        with self._lock:
            for key in list(self._states):
                if name is None or key == name:
                    self._states[key] = STARTED

    def forget(self):
        """Forget every scenario (the stubs that named them are gone)."""
        with self._lock:
            self._states.clear()
            self._possible.clear()

    def describe(self):
        # type: () -> List[Dict[str, Any]]
        """Return the scenarios in WireMock's shape: ``id``, ``name``,
        ``state``, ``possibleStates``."""
        with self._lock:
            return [{'id': name, 'name': name, 'state': state,
                     'possibleStates': list(self._possible.get(name, []))}
                    for name, state in sorted(self._states.items())]

    def guard(self, match, name, required):
        # type: (Callable[[Any], bool], str, Optional[str]) -> _Guard
        """Return a predicate: *match*, and scenario *name* is in state
        *required* (None: any state)."""
        return _Guard(self, match, name, required)

    def bind(self, name, state, new_state, match, responses):
        """Return ``(match, responses)`` for a route in scenario *name*:
        it answers while the scenario is in *state* (None: any) and moves
        it to *new_state* (None: stays) when it answers.  *match* is a
        match spec, a predicate or None.  Raises
        :class:`ConfigurationError` naming the argument."""
        for label, value in (('scenario', name), ('state', state),
                             ('new_state', new_state)):
            if value is not None and not isinstance(value,
                                                    six.string_types):
                raise ConfigurationError('%s must be text, like %r, got %r'
                                         % (label, STARTED, value))
        if name is None:
            if state is not None or new_state is not None:
                raise ConfigurationError(
                    'state and new_state need scenario="name"; got state=%r,'
                    ' new_state=%r' % (state, new_state))
            return match, responses
        self.declare(name, state, new_state)
        inner = match
        if inner is None:
            inner = _always
        elif not callable(inner):
            inner = Matcher(inner)
        if new_state is not None:
            responses = [self.answer(validate_spec(r), name, new_state)
                         for r in responses]
        return _Guard(self, inner, name, state), responses

    def answer(self, response, name, new_state):
        """Return a callable response: moves scenario *name* to
        *new_state* (when not None), then answers *response*(request)."""
        def respond(request):
            if new_state is not None:
                self.declare(name, new_state)  # forgotten by a reset: anew
                self.set_state(name, new_state)
            return response(request) if callable(response) else response
        return respond


def _always(request):
    return True


class _Guard(object):
    """A request matcher that also needs its scenario in a state."""

    def __init__(self, scenarios, match, name, required):
        self.scenarios = scenarios
        self.match = match
        self.name = name
        self.required = required

    def __call__(self, request):
        if self.required is not None and \
                self.scenarios.state(self.name) != self.required:
            return False
        return self.match(request)

    matches = __call__

    def describe(self):
        inner = getattr(self.match, 'describe', lambda: repr(self.match))()
        return '%s [scenario %s in %s]' % (
            inner, self.name, self.required if self.required is not None
            else 'any state')
