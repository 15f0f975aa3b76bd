"""The verification API of a server, as methods: what a test asks of what
it saw.

:class:`Checks` gives :class:`~httptestserver.Server` its ``wait()``,
``wait_async()``, ``assert_requested()``, ``assert_no_unexpected()``,
``check()``, ``unexpected`` and ``errors``: one-line delegations to
:mod:`~httptestserver.store.verification` (the waits and the wording of
every failure) and :mod:`~httptestserver.store.aio`, over the server's
store.  Blocks only in the waits; thread-safe.
"""
from . import aio, verification

__all__ = ['Checks']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List, Optional  # noqa: F401
    from .aio import AsyncWait  # noqa: F401


class Checks(object):
    """The verification methods of a server (a mixin over its ``store``)."""

    if TYPE_CHECKING:  # pragma: no cover - what the server provides
        store = None  # type: Any

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

    def check(self):
        # type: () -> None
        """Raise what went wrong in the server thread, then forget it:
        :class:`HandlerError` with every traceback, else
        :class:`VerificationError` for unexpected requests.  Thread-safe."""
        verification.check(self)
