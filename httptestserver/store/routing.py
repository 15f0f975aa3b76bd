"""The store's routes: the list requests are matched against, in order.

:class:`RouteTable` is the part of the
:class:`~httptestserver.store.store.Store` that keeps the routes and the
mounts (directories served after every route), the count of routes whose
matching runs code of the test's, and the expectations not used yet.  A
mixin: its state and its lock are the store's.  Thread-safe.
"""

__all__ = ['RouteTable']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, List  # noqa: F401


class RouteTable(object):
    """Routes and mounts, in the order they are tried (a mixin of the
    store, under its lock)."""

    if TYPE_CHECKING:  # pragma: no cover - what the store provides
        lock = records = None  # type: Any
        _routes = _mounts = _kept_mounts = []  # type: List[Any]
        _user_code = 0

    def _out_of_order(self, route):
        """True when an ordered expectation added before *route* (itself
        ordered) is not used up yet (under the lock)."""
        if not route.ordered:
            return False
        for earlier in self._routes:
            if earlier is route:
                return False
            if earlier.ordered and not earlier.exhausted:
                return True
        return False

    def add_route(self, route, before=None):
        """Add *route*, last or just before route *before* (if present)."""
        route.bind_records(self.records.entry)
        with self.lock:
            if before is not None and before in self._routes:
                self._routes.insert(self._routes.index(before), route)
            else:
                self._routes.append(route)
            self._user_code += route.runs_user_code
        return route

    def answers_inline(self):
        # type: () -> bool
        """True when choosing a route runs no user code (no route has a
        predicate of the test's), so the event loop may choose."""
        return not self._user_code

    def add_mount(self, route, keep=False):
        """Add a route tried after every route (a directory served); *keep*
        makes it part of the server's setup, which :meth:`reset` keeps."""
        route.bind_records(self.records.entry)
        with self.lock:
            if keep:
                self._kept_mounts.append(route)
            self._mounts.append(route)
        return route

    def remove_route(self, route):
        with self.lock:
            if route in self._routes:
                self._user_code -= route.runs_user_code
            for routes in (self._routes, self._mounts, self._kept_mounts):
                if route in routes:
                    routes.remove(route)

    def routes(self):
        """Routes then mounts, in the order they are tried."""
        with self.lock:
            return self._routes + self._mounts

    def take_unused(self):
        """Return the expectations not used as often as they must be, and
        not reported yet; mark them reported."""
        with self.lock:
            unused = [route for route in self._routes
                      if route.unused and not route.reported]
            for route in unused:
                route.reported = True
        return unused
