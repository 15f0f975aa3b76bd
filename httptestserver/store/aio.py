"""Waiting for requests from asyncio code without blocking the event loop.

:func:`wait_async` turns :meth:`Server.wait <httptestserver.Server.wait>`
into an awaitable: the blocking wait runs in a daemon thread of its own and
hands its result to the event loop with ``call_soon_threadsafe``, so the
loop keeps running the clients the test is waiting for.  Written without
``async``/``await`` so the package still imports on Python 2.7 (where
calling it raises).  It imports only ``errors`` and ``_compat`` and reaches
the server through its public ``wait()``; it never touches a socket.
"""
import threading

import six

from .._compat import PY2
from ..errors import ConfigurationError

__all__ = ['wait_async']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, Generator, List, Optional  # noqa: F401


def wait_async(server, count=1, method=None, path=None, timeout=5.0):
    # type: (Any, int, Any, Any, Optional[float]) -> AsyncWait
    """Return an awaitable that waits like ``server.wait(...)``.

    ``await wait_async(server, 2, path='/hook')`` resumes when *count*
    requests matching *method*/*path* have arrived (counting those already
    in the history, as :meth:`~httptestserver.Server.wait` does) and gives
    the matching history entries; it raises
    :class:`~httptestserver.WaitTimeout` after *timeout* seconds.  The event
    loop is never blocked.  The wait begins when the awaitable is awaited
    (or wrapped by ``asyncio.ensure_future``); await each one once.

    Works under asyncio, including anyio's asyncio backend (not trio).  If
    the awaiting task is cancelled, the helper thread still waits until the
    requests arrive or *timeout* passes, then ends quietly.  Thread-safe.
    Raises :class:`~httptestserver.ConfigurationError` for a bad *count* or
    *timeout*, here, and on Python 2, which has no asyncio.
    """
    if PY2:  # Python 2
        raise ConfigurationError(
            'wait_async() needs asyncio, which Python 2 lacks; call '
            'server.wait(...) instead')
    if isinstance(count, bool) or not isinstance(
            count, six.integer_types) or count < 0:
        raise ConfigurationError('count must be a whole number >= 0, got %r'
                                 % (count,))
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(
            timeout, (six.integer_types, float)) or timeout < 0):
        raise ConfigurationError('timeout must be a number of seconds >= 0 '
                                 'or None (wait forever), got %r'
                                 % (timeout,))
    return AsyncWait(server, count, method, path, timeout)


class AsyncWait(object):
    """The awaitable :func:`wait_async` returns; await it once."""

    def __init__(self, server, count, method, path, timeout):
        # type: (Any, int, Any, Any, Optional[float]) -> None
        self._server = server
        self._args = (count, method, path, timeout)

    def __await__(self):
        # type: () -> Generator[Any, None, List[Dict[str, Any]]]
        import asyncio
        # Python 3.6 has no get_running_loop(); its get_event_loop() would
        # make a loop that nothing runs.
        running = getattr(asyncio, 'get_running_loop', None) or \
            asyncio._get_running_loop
        try:
            loop = running()
        except RuntimeError:
            loop = None
        if loop is None:
            raise ConfigurationError(
                'await wait_async(...) inside a coroutine run by asyncio '
                '(asyncio.run, pytest-asyncio, anyio on asyncio); no asyncio '
                'event loop is running here')
        future = loop.create_future()
        thread = threading.Thread(
            target=self._wait, args=(loop, future),
            name='httptestserver-%s-wait-async' % getattr(
                self._server, 'port', '?'))
        thread.daemon = True
        thread.start()
        return future.__await__()

    def _wait(self, loop, future):
        try:
            outcome = (True, self._server.wait(*self._args))
        except BaseException as exc:
            outcome = (False, exc)
        try:
            loop.call_soon_threadsafe(_settle, future, outcome)
        except RuntimeError:
            pass  # the loop is closed: nobody is waiting any more

    def __repr__(self):
        return '<wait_async %r for %d request(s)>' % (self._server,
                                                      self._args[0])


def _settle(future, outcome):
    if future.done():  # the awaiting task was cancelled
        return
    ok, value = outcome
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
