"""The verification API of a server, as methods: what a test asks of what
it saw.

:class:`Checks` gives :class:`~httptestserver.Server` its ``wait()``,
``wait_async()``, ``assert_requested()``, ``assert_no_unexpected()``,
``check()``, ``unexpected`` and ``errors``, and the expectations
(``expect()``, ``expect_ordered()``, ``assert_all_used()``,
``forget_unexpected()``): one-line delegations to
:mod:`~httptestserver.store.verification` (the waits and the wording of
every failure) and :mod:`~httptestserver.store.aio`, over the server's
store.  Blocks only in the waits; thread-safe.
"""
import six

from ..answers.routes import NOT_SET, make_route, response_list
from ..errors import ConfigurationError
from . import aio, verification

__all__ = ['Checks']

# Test runners leave this module's frames out of a failure's traceback:
# pytest (__tracebackhide__) and unittest (__unittest).
__tracebackhide__ = True
__unittest = True

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List, Optional  # noqa: F401
    from .aio import AsyncWait  # noqa: F401


class Checks(object):
    """The verification methods of a server (a mixin over its ``store``)."""

    if TYPE_CHECKING:  # pragma: no cover - what the server provides
        store = None  # type: Any

        def _add_route(self, route):
            # type: (Any) -> Any
            pass

    @property
    def unexpected(self):
        """Requests no route matched (history entries), oldest first."""
        return self.store.unexpected()

    @property
    def errors(self):
        """Recorded server-thread failures: ``(request_line, exception,
        traceback_text)`` tuples not yet raised by :meth:`check`."""
        return self.store.errors()

    def wait(self, count=1, method=None, path=None, timeout=5.0):
        # type: (int, Any, Any, Optional[float]) -> List[Dict[str, Any]]
        """Block until *count* requests (matching *method*/*path*) arrived;
        return their entries.  Raises :class:`WaitTimeout` after *timeout*
        seconds (None: no limit).  Thread-safe; see :doc:`verification`."""
        return verification.wait(self, count, method, path, timeout)

    def wait_async(self, count=1, method=None, path=None, timeout=5.0):
        # type: (int, Any, Any, Optional[float]) -> AsyncWait
        """Like :meth:`wait`, as an awaitable (Python 3):
        ``await server.wait_async(2, path='/hook')``."""
        return aio.wait_async(self, count, method, path, timeout)

    def assert_requested(self, path=None, method=None, times=None,
                         query=None):
        # type: (Any, Any, Optional[int], Any) -> List[Dict[str, Any]]
        """Assert requests matching *path*/*method*/*query* arrived (at
        least once, or exactly *times*); return them.  Raises
        :class:`VerificationError` listing the closest requests seen."""
        return verification.assert_requested(self, path, method, times, query)

    def assert_no_unexpected(self):
        # type: () -> None
        """Assert every request matched a route; list the ones that did
        not."""
        verification.assert_no_unexpected(self)

    def check(self, allow_unexpected=False):
        # type: (bool) -> None
        """Raise what went wrong in the server thread, then forget it:
        :class:`HandlerError` with every traceback, else
        :class:`VerificationError` for unexpected requests (forgotten
        quietly with *allow_unexpected*) and unused expectations.
        Thread-safe."""
        verification.check(self, allow_unexpected)

    def forget_unexpected(self):
        # type: () -> List[Dict[str, Any]]
        """Accept the requests no route matched so far: return them and
        forget them as failures; the history keeps them.  Thread-safe."""
        return self.store.take_unexpected()

    # -- expectations -------------------------------------------------------
    def expect(self, path, response=NOT_SET, method=None, query=None,
               times=None, responses=None, match=None, ordered=False,
               **fields):
        # type: (Any, Any, Any, Any, Optional[int], Optional[List[Any]], Any, bool, **Any) -> Any  # noqa: E501
        """Add a route that must be used; return it.

        As :meth:`route`, and :meth:`check` (the fixtures and mixins call it
        after each test) fails while it was not used *times* times (None:
        at least once; after *times* answers it falls through, as a route
        does).  *ordered* expectations answer in the order added: a request
        for a later one, while an earlier one waits, is unexpected.
        Thread-safe; bad values raise :class:`ConfigurationError` now.
        """
        return self._add_route(_expectation(
            path, response, method, query, times, responses, match, ordered,
            **fields))

    def expect_ordered(self, expectations):
        # type: (List[Any]) -> List[Any]
        """Add ordered expectations (:meth:`expect` with ``ordered=True``),
        one per item: a path, a ``(path, response)`` tuple, or a dict of
        :meth:`expect`'s keywords.  Returns the routes."""
        if isinstance(expectations, (six.string_types, bytes, dict)) or \
                not hasattr(expectations, '__iter__'):
            raise ConfigurationError(
                'expectations must be a list of paths, (path, response) '
                'tuples or dicts of expect() keywords, got %r'
                % (expectations,))
        calls = []  # type: List[Any]
        for index, item in enumerate(expectations):
            if isinstance(item, dict):
                calls.append(((), dict(item, ordered=True)))
            elif isinstance(item, tuple) and 1 <= len(item) <= 2:
                calls.append((item, {'ordered': True}))
            elif isinstance(item, six.string_types) or hasattr(item,
                                                               'pattern'):
                calls.append(((item,), {'ordered': True}))
            else:
                raise ConfigurationError(
                    'expectations[%d] must be a path, a (path, response) '
                    'tuple or a dict of expect() keywords, got %r'
                    % (index, item))
        # Every item is checked before any is added.
        routes = [_expectation(*args, **keywords) for args, keywords in calls]
        return [self._add_route(route) for route in routes]

    def assert_all_used(self):
        # type: () -> None
        """Assert every expectation was used as often as it must be; raise
        :class:`VerificationError` naming those that were not."""
        verification.assert_all_used(self)


def _expectation(path, response=NOT_SET, method=None, query=None, times=None,
                 responses=None, match=None, ordered=False, **fields):
    return make_route(path, response_list(response, responses, fields),
                      method, query, times, match, expected=True,
                      ordered=ordered)
