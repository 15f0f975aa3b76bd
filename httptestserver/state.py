"""The thread-safe store behind one server: data, history, routes, errors.

One re-entrant lock guards everything here; a Condition on that lock wakes
waiters whenever a request is recorded.  Readers get snapshots, never live
lists.  This module never touches a socket or starts a thread: the handler
calls it for each request and the server exposes it to the test.
"""
import logging
import threading

import six

from ._compat import wait_for
from .responses import Route, check_delay, check_status, header_items, \
    snapshot, validate_spec

__all__ = ['State', 'StateDict', 'RESPONSE_SETTINGS']

log = logging.getLogger('httptestserver')

#: The ``data`` keys that control the default response (0.1.0 names).
RESPONSE_SETTINGS = ('response_status', 'response_headers', 'response_content',
                     'response_cookies', 'response_timeout', 'response_clear',
                     'response_reset')


def _validate_setting(key, value):
    if value is None:
        return
    if key == 'response_status':
        check_status(value, "data['response_status']")
    elif key in ('response_headers', 'headers'):
        header_items(value, "data[%r]" % key)
    elif key == 'response_timeout':
        check_delay(value, "data['response_timeout']")
    elif key == 'response_content':
        validate_spec({'body': value}, "data['response_content']")
    elif key == 'response_cookies':
        validate_spec({'cookies': value}, "data['response_cookies']")


class StateDict(dict):
    """``Server.data``: a dict whose every access takes the server's lock.

    Setting a ``response_*`` key checks its value at once, so a typo fails in
    the test that made it rather than as a 500 later.  For compatibility with
    0.1.0's own example, setting ``data['headers']`` also sets
    ``data['response_headers']``: before a request, ``headers`` are the
    response's; after it, they are the request's.  ``keys()``, ``items()`` and
    ``values()`` return snapshot lists, safe while the server writes.
    """

    def __init__(self, lock):
        dict.__init__(self)
        self._lock = lock

    def __getitem__(self, key):
        with self._lock:
            return dict.__getitem__(self, key)

    def __setitem__(self, key, value):
        _validate_setting(key, value)
        with self._lock:
            dict.__setitem__(self, key, value)
            if key == 'headers':
                dict.__setitem__(self, 'response_headers', value)

    def __delitem__(self, key):
        with self._lock:
            dict.__delitem__(self, key)

    def __contains__(self, key):
        with self._lock:
            return dict.__contains__(self, key)

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        with self._lock:
            return dict.__len__(self)

    def __repr__(self):
        with self._lock:
            return dict.__repr__(self)

    def __reduce__(self):
        return (dict, (self.copy(),))

    def get(self, key, default=None):
        with self._lock:
            return dict.get(self, key, default)

    def setdefault(self, key, default=None):
        with self._lock:
            if not dict.__contains__(self, key):
                self[key] = default
            return dict.__getitem__(self, key)

    def pop(self, key, *default):
        with self._lock:
            return dict.pop(self, key, *default)

    def popitem(self):
        with self._lock:
            return dict.popitem(self)

    def update(self, *args, **kws):
        with self._lock:
            for key, value in dict(*args, **kws).items():
                self[key] = value

    def __ior__(self, other):  # type: ignore[misc]
        # dict's |= (3.9+) would skip the lock, the checks and the alias.
        self.update(other)
        return self

    def clear(self):
        with self._lock:
            dict.clear(self)

    def copy(self):
        """Return a plain ``dict`` snapshot."""
        with self._lock:
            return dict(dict.items(self))

    def keys(self):
        with self._lock:
            return list(dict.keys(self))

    def values(self):
        with self._lock:
            return list(dict.values(self))

    def items(self):
        with self._lock:
            return list(dict.items(self))

    if six.PY2:  # Python 2: the iter* methods would bypass the lock.
        def iterkeys(self):
            return iter(self.keys())

        def itervalues(self):
            return iter(self.values())

        def iteritems(self):
            return iter(self.items())


class State(object):
    """Everything a server knows, behind one lock.  Thread-safe throughout.

    ``data`` is the live :class:`StateDict`; :meth:`history`,
    :meth:`routes` and friends return snapshots.
    """

    def __init__(self):
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.data = StateDict(self.lock)
        self._history = []
        self._routes = []
        self._errors = []
        self._unexpected = []
        #: The response to a request no route matches; None: an explaining 500.
        self.unmatched_response = None
        #: Bumped by reset(): what a request begun before it does is dropped.
        self.generation = 0

    # -- per request (called by the handler) --------------------------------
    def begin(self, fields, generation=None):
        """Copy a request's *fields* into ``data``; return the settings.

        The returned dict holds the ``response_*`` settings in force for this
        request, taken atomically with the update.  A request begun before
        the last :meth:`reset` (*generation*) leaves ``data`` alone.
        """
        with self.lock:
            if generation not in (None, self.generation):
                return {}
            dict.update(self.data, fields)
            return dict((key, value) for key, value in dict.items(self.data)
                        if key.startswith('response_'))

    def choose(self, request, settings, generation=None):
        """Pick what answers *request*: ``(route, spec, unexpected)``.

        The first route added that matches and is not exhausted wins; else the
        ``response_*`` settings; else, when routes were set but none matched
        and no setting was made, the request is unexpected.  A request begun
        before the last :meth:`reset` gets an empty 200 and touches no route.
        """
        with self.lock:
            if generation not in (None, self.generation):
                return None, None, False
            for route in self._routes:
                if not route.exhausted and route.matches(request):
                    return route, route.take(), False
            if self._routes and not any(
                    key in settings for key in RESPONSE_SETTINGS[:5]):
                return None, self.unmatched_response, True
        spec = {'status': settings.get('response_status', 200),
                'headers': settings.get('response_headers'),
                'body': settings.get('response_content'),
                'cookies': settings.get('response_cookies'),
                'delay': settings.get('response_timeout')}
        return None, spec, False

    def record(self, entry, route=None, unexpected=False, generation=None):
        """Append *entry* to the history (and its route's calls); wake waiters.

        An entry of a request begun before the last :meth:`reset`
        (*generation*) is dropped: it belongs to a test that is over.
        """
        with self.lock:
            if generation not in (None, self.generation):
                log.info('dropped the record of %r: the server was reset '
                         'while it was being answered', entry.get('requestline'))
                return
            self._history.append(entry)
            if route is not None:
                route._calls.append(entry)
            if unexpected:
                self._unexpected.append(entry)
            self.changed.notify_all()

    def finish(self, settings, generation=None):
        """Apply ``response_reset`` / ``response_clear`` from *settings*."""
        if generation not in (None, self.generation):
            return
        if settings.get('response_reset'):
            with self.lock:
                dict.clear(self.data)
        elif settings.get('response_clear'):
            with self.lock:
                for key in list(dict.keys(self.data)):
                    if key.startswith('response_'):
                        dict.__delitem__(self.data, key)

    def add_error(self, error, generation=None):
        """Keep a failure of the server thread for :meth:`take_errors`.

        A failure of a request begun before the last :meth:`reset` is only
        logged (it was logged as an error already): the test it belongs to
        is over, and the next one must not inherit it.
        """
        with self.lock:
            if generation not in (None, self.generation):
                log.warning('not raising in the current test a failure of %r,'
                            ' begun before the server was reset', error[0])
                return
            self._errors.append(error)
            self.changed.notify_all()

    # -- for the test thread -------------------------------------------------
    def add_route(self, route):
        with self.lock:
            self._routes.append(route)
        return route

    def remove_route(self, route):
        with self.lock:
            if route in self._routes:
                self._routes.remove(route)

    def routes(self):
        with self.lock:
            return list(self._routes)

    def history(self):
        """Return copies of the history entries, oldest first.

        Entries are never changed once recorded, so they are copied after
        the lock is released: readers do not hold up requests.
        """
        with self.lock:
            entries = list(self._history)
        return [snapshot(entry) for entry in entries]

    def unexpected(self):
        with self.lock:
            entries = list(self._unexpected)
        return [snapshot(entry) for entry in entries]

    def errors(self):
        with self.lock:
            return list(self._errors)

    def take_errors(self):
        """Return and forget the recorded server-thread failures."""
        with self.lock:
            errors, self._errors = self._errors, []
            return errors

    def take_unexpected(self):
        """Return and forget the requests no route matched."""
        with self.lock:
            unexpected, self._unexpected = self._unexpected, []
            return unexpected

    def reset(self):
        """Forget settings, request fields, routes, history and failures."""
        with self.lock:
            self.generation += 1
            dict.clear(self.data)
            self.unmatched_response = None
            del self._history[:]
            del self._routes[:]
            del self._errors[:]
            del self._unexpected[:]
            self.changed.notify_all()

    def wait(self, count, predicate, timeout):
        """Block until *count* history entries satisfy *predicate*.

        Returns ``(ok, matching_entries)``; ``ok`` is False on timeout.  Each
        wake-up looks only at the entries recorded since the last one.
        """
        found = []
        seen = [0]

        def enough():
            if len(self._history) < seen[0]:  # reset() meanwhile
                found[:], seen[0] = [], 0
            for entry in self._history[seen[0]:]:
                if predicate(entry):
                    found.append(entry)
            seen[0] = len(self._history)
            return len(found) >= count

        with self.lock:
            ok = wait_for(self.changed, enough, timeout)
            entries = list(found)
        return bool(ok), [snapshot(entry) for entry in entries]


def make_route(path, responses, method=None, query=None, times=None,
               match=None):
    """Build a :class:`Route`, checking every non-callable response now."""
    for index, spec in enumerate(responses):
        validate_spec(spec, 'responses[%d]' % index if len(responses) > 1
                      else 'response')
    return Route(path, responses, method=method, query=query, times=times,
                 match=match)
