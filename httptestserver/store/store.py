"""The thread-safe store behind one server: data, history, routes, errors.

One re-entrant lock guards everything here; a Condition on that lock wakes
waiters whenever a request is recorded.  Readers get snapshots, never live
lists.  This module never touches a socket or starts a thread: the handler
calls it for each request and the server exposes it to the test.
"""
import logging
import threading

import six

from .._compat import wait_for
from ..answers import faults as faultlib
from ..answers.routes import RESPONSE_SETTINGS, fallback, settings_spec
from .cache import ResponseCache
from .data import StateDict
from .era import Era
from .records import History, Records
from .routing import RouteTable
from .reports import sender_of

__all__ = ['Store', 'Era', 'StateDict', 'History', 'RESPONSE_SETTINGS',
           'HANDLER_KEYS']

log = logging.getLogger('httptestserver')

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Optional  # noqa: F401

#: Handler attributes copied into ``data`` after each request, as 0.1.0's
#: ``data.update(handler.__dict__)`` did; never kept in history entries.
HANDLER_KEYS = frozenset(['rfile', 'wfile', 'server', 'request',
                          'connection', 'close_connection',
                          'raw_requestline'])


class Store(RouteTable):
    """Everything a server knows, behind one lock.  Thread-safe throughout.

    ``data`` is the live :class:`StateDict`; :meth:`history`,
    :meth:`routes` and friends return snapshots.  Methods taking *era*
    do nothing for a request whose era (:meth:`begin`) has ended.
    """

    def __init__(self):
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.data = StateDict(self.lock)
        self._history = []
        self._routes = []
        self._user_code = 0  # routes whose matching runs user code
        #: Responses made from plain specs, shared between requests.
        self.responses = ResponseCache()
        self._derived_at = -1  # data.version of the cache below
        self._settings = {}  # type: dict
        self._settings_spec = None  # type: Any
        self._user = {}  # type: dict
        self._user_key = ()  # type: Any  # _user, hashable, for records
        self._waiting = 0  # wait() calls blocked on `changed` now
        self._mounts = []  # type: list
        self._kept_mounts = []  # type: list
        self._errors = []
        self._senders = []  # where the test sent each error's request
        #: The thread that made the server: the test's, whose client calls
        #: a failure report points at (:mod:`~.reports`).
        self.owner = threading.current_thread().ident
        self._unexpected = []
        #: The response to a request no route matches; None: an explaining 500.
        self.unmatched_response = None
        #: The current :class:`Era`; reset() and close() end it.
        self.era = Era(0)
        self.closed = False
        self._request_keys = frozenset()  # type: frozenset
        #: Most history entries kept (the oldest go first); None: no limit.
        self.history_limit = None  # type: Optional[int]
        self._dropped = 0  # entries let go by history_limit since reset()
        #: Makes the compact records and rebuilds entries; the server gives
        #: it its URL once bound.
        self.records = Records('')

    # -- per request (called by the handler) --------------------------------
    def begin(self):
        # type: () -> Era
        """Return the current :class:`Era`, for a request that begins now."""
        with self.lock:
            return self.era

    def update_data(self, fields, era=None):
        """Copy one request's *fields* into ``data``, replacing the last's.

        Keys the last request wrote and this one does not are removed, so
        ``data`` never mixes two requests.  A request of an ended *era*
        leaves ``data`` alone.
        """
        with self.lock:
            if era is not None and era is not self.era:  # it ended
                return
            keys = self._request_keys
            if len(keys) != len(fields) or not keys.issuperset(fields):
                for key in keys:
                    if key not in fields:
                        dict.pop(self.data, key, None)
                self._request_keys = frozenset(fields)
                self.data.version += 1
            dict.update(self.data, fields)

    def settings(self, era=None):
        """Return the ``response_*`` settings in force now: a dict made
        again only when ``data`` changed; read it, never change it."""
        with self.lock:
            if era is not None and era is not self.era:  # it ended
                return {}
            data = self.data
            if self._derived_at != data.version:
                self._derive()
            return self._settings

    def _derive(self):
        """Make what is derived from ``data``: the settings, the answer
        they give, the test's own keys (under the lock)."""
        data = self.data
        items = dict.items(data)
        self._settings = settings = dict(
            (key, value) for key, value in items
            if key.startswith('response_'))
        self._settings_spec = settings_spec(settings)
        self._user = dict(
            (key, value) for key, value in items
            if key not in HANDLER_KEYS and key not in self._request_keys)
        self._user_key = self.records.user_key(self._user)
        self._derived_at = data.version

    def choose(self, request, settings, era=None):
        """Pick what answers *request*: ``(route, spec, unexpected)``.

        The first route added that matches and is not exhausted wins (and is
        counted); else the ``response_*`` *settings* (see
        :func:`~httptestserver.answers.routes.fallback`).  Routes are matched
        outside the lock -- a slow pattern holds up no other request and no
        test thread -- and counted under it.  A request of an ended *era*
        gets an empty 200 and touches no route.
        """
        with self.lock:
            if era is not None and era is not self.era:  # it ended
                return None, None, False
            routes = self._routes + self._mounts
        for route in routes:
            if route.exhausted or not route.matches(request):
                continue
            with self.lock:
                if era is not None and era is not self.era:  # it ended
                    return None, None, False
                if not route.exhausted and (route in self._routes or
                                            route in self._mounts) and \
                        not self._out_of_order(route):
                    return route, route.take(), False
        with self.lock:
            if era is not None and era is not self.era:  # it ended
                return None, None, False
            if settings is self._settings and \
                    self._derived_at == self.data.version:
                spec = self._settings_spec  # the same object: cacheable
            else:
                spec = settings_spec(settings)
            return fallback(routes, settings, self.unmatched_response, spec)

    def record(self, fields, head=b'', response=None, route=None,
               unexpected=False, extras=None, era=None):
        """Append one answered request to the history; wake waiters.

        *fields* are its recorded fields, *head* its raw head (``b''`` when
        it was rejected), *response* what it was answered, *route* the route
        that answered, *extras* fields beyond the standard ones.  It is kept
        as a compact record (:mod:`~httptestserver.store.records`) and
        rebuilt as a dict when read.  The keys the test put in ``data`` (its
        own, and settings such as ``response_clear``) join the entry, as
        0.1.0's
        ``dict(data)`` did, unless the entry has them.  A request of an
        ended *era* is dropped: it belongs to a test that is over.
        """
        with self.lock:
            if era is not None and era is not self.era:  # it ended
                log.info('dropped the record of %r: the server was reset '
                         'while it was being answered',
                         fields.get('requestline'))
                return
            if self._derived_at != self.data.version:
                self._derive()
            user, user_key = self._user, self._user_key
            if user and six.viewkeys(fields) & six.viewkeys(user):
                user = dict((key, value) for key, value in user.items()
                            if key not in fields)
                user_key = None
            record = self.records.make(
                fields, head, response,
                route.describe(usage=False) if route is not None else None,
                unexpected, user, extras, user_key)
            self._history.append(record)
            limit = self.history_limit
            if limit is not None and len(self._history) > limit:
                drop = len(self._history) - limit
                # A new list: History views handed out keep theirs.
                self._history = self._history[drop:]
                self._dropped += drop
            if route is not None:
                route.record_call(record)
            if unexpected:
                self._unexpected.append(record)
            if self._waiting:
                self.changed.notify_all()

    def finish(self, settings, era=None):
        """Apply ``response_reset`` / ``response_clear`` from *settings*."""
        with self.lock:
            if era is not None and era is not self.era:  # it ended
                return
            if settings.get('response_reset'):
                dict.clear(self.data)
                self._request_keys = frozenset()
                self.data.version += 1
            elif settings.get('response_clear'):
                for key in list(dict.keys(self.data)):
                    if key.startswith('response_'):
                        dict.__delitem__(self.data, key)
                self.data.version += 1

    def add_error(self, error, era=None):
        """Keep a failure of the server thread for :meth:`take_errors`.

        A failure of a request begun before the last :meth:`reset` is only
        logged (it was logged as an error already): the test it belongs to
        is over, and the next one must not inherit it.
        """
        with self.lock:
            if era is not None and era is not self.era:  # it ended
                log.warning('not raising in the current test a failure of %r,'
                            ' begun before the server was reset', error[0])
                return
            self._errors.append(error)
            self._senders.append(sender_of(self.owner))
            self.changed.notify_all()

    # -- for the test thread -------------------------------------------------
    def history(self):
        """Return a :class:`History` view of the entries, oldest first.

        Taking it costs the same however long the history is; entries are
        rebuilt only when read, outside the lock, so readers do not hold up
        requests.
        """
        with self.lock:
            return History(self._history, len(self._history),
                           self.records.entry)

    def unexpected(self):
        with self.lock:
            records = list(self._unexpected)
        return [self.records.entry(record) for record in records]

    def errors(self):
        with self.lock:
            return list(self._errors)

    def take_errors(self, senders=False):
        """Return and forget the recorded server-thread failures; with
        *senders*, ``(errors, senders)``: where the test sent each
        (:func:`~.reports.sender_of`)."""
        with self.lock:
            errors, self._errors = self._errors, []
            sent, self._senders = self._senders, []
            return (errors, sent) if senders else errors

    def take_unexpected(self):
        """Return and forget the requests no route matched (entries)."""
        with self.lock:
            unexpected, self._unexpected = self._unexpected, []
        return [self.records.entry(record) for record in unexpected]

    def reset(self):
        """Forget settings, request fields, routes, history and failures."""
        with self.lock:
            ended, self.era = self.era, Era(self.era.number + 1)
            ended.end()  # its callbacks only schedule: safe under the lock
            if self.closed:
                self.era.end()
            self._dropped = 0
            dict.clear(self.data)
            self.data.version += 1
            self.responses.clear()
            self.data.fault_rng = faultlib.make_rng()
            self._request_keys = frozenset()
            self.unmatched_response = None
            self._history = []  # views handed out keep the old list
            del self._routes[:]
            self._user_code = 0
            self._mounts = list(self._kept_mounts)
            del self._errors[:]
            del self._senders[:]
            del self._unexpected[:]
            self.changed.notify_all()

    def clear_history(self):
        """Forget the history and the unexpected requests only (WireMock's
        ``DELETE /__admin/requests``); routes and settings stay."""
        with self.lock:
            self._history = []  # views handed out keep the old list
            self._dropped = 0
            del self._unexpected[:]
            self.changed.notify_all()

    def remove_history(self, predicate):
        # type: (Any) -> int
        """Forget the history entries *predicate* selects (WireMock's
        ``requests/remove``); return how many.  Views handed out keep the
        entries they had."""
        with self.lock:
            records = list(self._history)
        drop = set(id(r) for r in records
                   if predicate(self.records.entry(r)))
        with self.lock:
            self._history = [r for r in self._history if id(r) not in drop]
            self._unexpected[:] = [r for r in self._unexpected
                                   if id(r) not in drop]
            self.changed.notify_all()
        return len(drop)

    def wait(self, count, predicate, timeout, cancelled=None):
        """Block until *count* history entries satisfy *predicate*.

        Returns ``(ok, matching_entries)``; ``ok`` is False on timeout, or
        when *cancelled()* turns true (checked at each wake-up, e.g. after
        :meth:`wake`).  Each wake-up looks only at the entries recorded
        since the last one.  A :meth:`reset` meanwhile starts the count over.
        """
        found = []
        seen = [0]
        era = [self.era]

        def enough():
            if era[0] is not self.era:  # reset() meanwhile
                found[:], seen[0], era[0] = [], 0, self.era
            start = max(seen[0], self._dropped) - self._dropped
            for record in self._history[start:]:
                entry = self.records.entry(record)
                if predicate(entry):
                    found.append(entry)
            seen[0] = self._dropped + len(self._history)
            return len(found) >= count or bool(cancelled and cancelled())

        with self.lock:
            self._waiting += 1
            try:
                wait_for(self.changed, enough, timeout)
            finally:
                self._waiting -= 1
            entries = list(found)
        return len(entries) >= count, entries

    def close(self):
        """End the current era for good: the server is stopping, so every
        pause ends now and eras made by a later reset() start ended."""
        with self.lock:
            self.closed = True
            self.era.end()
            self.changed.notify_all()

    def wake(self):
        """Wake every :meth:`wait` so it checks its *cancelled* again."""
        with self.lock:
            self.changed.notify_all()
