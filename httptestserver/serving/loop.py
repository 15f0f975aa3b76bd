"""One thread's event loop: readiness of many sockets, timers, and calls
from other threads.

:class:`Loop` waits with ``epoll`` (``poll`` where there is none) -- never
``select()``, which fails past 1,024 descriptors -- on the sockets its
callers register, fires timers from a heap, and runs callables that other
threads hand it through :meth:`Loop.call_soon_threadsafe` (woken by a
pipe, so there is no polling interval).  Every callback runs in the loop's
own thread, one at a time; the rule is that none of them blocks.  It knows
nothing of HTTP.  Python 2.7 has ``select.epoll`` and ``select.poll`` too,
so the same code runs everywhere (no ``selectors`` module needed).
"""
import collections
import errno
import heapq
import itertools
import logging
import os
import select
import ssl
import threading
import traceback

from .._compat import monotonic

__all__ = ['Loop', 'READ', 'WRITE', 'would_block']

log = logging.getLogger('httptestserver')

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Callable, Dict, List, Optional, Tuple  # noqa: F401

_EPOLL = hasattr(select, 'epoll')
#: Readiness flags callers register for and callbacks receive.
READ = select.EPOLLIN if _EPOLL else select.POLLIN
WRITE = select.EPOLLOUT if _EPOLL else select.POLLOUT
_ERROR = (select.EPOLLERR | select.EPOLLHUP) if _EPOLL else \
    (select.POLLERR | select.POLLHUP | select.POLLNVAL)


_AGAIN = (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR)
_WANT = (ssl.SSLWantReadError, ssl.SSLWantWriteError) \
    if hasattr(ssl, 'SSLWantReadError') else ()


def would_block(exc):
    """True when *exc* from a non-blocking socket only says "not now"
    (EAGAIN, or TLS wants to read or write first)."""
    if _WANT and isinstance(exc, _WANT):
        return True
    if isinstance(exc, ssl.SSLError) and exc.args and exc.args[0] in (
            ssl.SSL_ERROR_WANT_READ, ssl.SSL_ERROR_WANT_WRITE):
        return True  # Python 2
    return getattr(exc, 'errno', None) in _AGAIN


class Timer(object):
    """A callback due at a time; :meth:`cancel` it (idempotent)."""

    __slots__ = ('when', 'callback', 'cancelled')

    def __init__(self, when, callback):
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self):
        self.cancelled = True
        self.callback = None


class Loop(object):
    """Readiness, timers and thread-safe calls, run by :meth:`run`.

    Register a file descriptor with a callback ``callback(events)``;
    :meth:`call_later` schedules a :class:`Timer`; :meth:`call_soon` (loop
    thread) and :meth:`call_soon_threadsafe` (any thread) queue a call.
    :meth:`run` blocks in the calling thread until :meth:`stop`.  A callback
    that raises is logged and handed to *on_error* (``(where, exception,
    traceback_text)``); the loop goes on.  Only :meth:`call_soon_threadsafe`
    and :meth:`stop` may be called from other threads.
    """

    def __init__(self, on_error=None):
        # type: (Optional[Callable[[Any], None]]) -> None
        self._poller = select.epoll() if _EPOLL else select.poll()
        self._callbacks = {}  # type: Dict[int, Callable[[int], None]]
        self._timers = []  # type: List[Tuple[float, int, Timer]]
        self._sequence = itertools.count()
        self._ready = collections.deque()  # type: Any
        self._wake_r, self._wake_w = os.pipe()
        for fd in (self._wake_r, self._wake_w):
            _set_nonblocking(fd)
        self._poller.register(self._wake_r, READ)
        self._on_error = on_error
        self._running = False
        self._closed = False
        self._closing = threading.Lock()
        #: The thread running :meth:`run`, once it runs.
        self.thread = None  # type: Optional[threading.Thread]

    # -- registration (loop thread, or before run) ------------------------
    def add(self, fd, events, callback):
        # type: (int, int, Callable[[int], None]) -> None
        """Call ``callback(events)`` when *fd* is ready for *events*."""
        self._poller.register(fd, events)
        self._callbacks[fd] = callback

    def modify(self, fd, events):
        # type: (int, int) -> None
        """Change the readiness *fd* waits for (0: none, for now)."""
        self._poller.modify(fd, events)

    def remove(self, fd):
        # type: (int) -> None
        """Forget *fd*; harmless if it is not registered."""
        if self._callbacks.pop(fd, None) is not None:
            try:
                self._poller.unregister(fd)
            except (KeyError, ValueError, IOError, OSError):
                pass

    def call_later(self, delay, callback):
        # type: (float, Callable[[], None]) -> Timer
        """Run ``callback()`` after *delay* seconds; return its timer."""
        timer = Timer(monotonic() + max(0.0, delay), callback)
        heapq.heappush(self._timers, (timer.when, next(self._sequence),
                                      timer))
        return timer

    def call_soon(self, callback, *args):
        """Run ``callback(*args)`` at the next turn of the loop."""
        self._ready.append((callback, args))

    def call_soon_threadsafe(self, callback, *args):
        # type: (Callable[..., None], *Any) -> bool
        """Run ``callback(*args)`` in the loop thread, soon; any thread.
        Return False (and do nothing) when the loop is closed."""
        with self._closing:
            if self._closed:
                return False
            self._ready.append((callback, args))
            self._wake()
        return True

    def _wake(self):
        try:
            os.write(self._wake_w, b'x')
        except OSError as exc:  # full pipe: a wake-up is already pending
            if exc.errno not in (errno.EAGAIN, errno.EWOULDBLOCK,
                                 errno.EBADF):
                raise

    # -- running ----------------------------------------------------------
    def stop(self):
        """Make :meth:`run` return after the current turn; any thread."""
        self._running = False
        with self._closing:
            if not self._closed:
                self._wake()

    def in_loop(self):
        # type: () -> bool
        """True when called from the loop's thread."""
        return threading.current_thread() is self.thread

    def run(self):
        """Serve callbacks until :meth:`stop`; blocks."""
        self.thread = threading.current_thread()
        self._running = True
        poll = self._poller.poll
        callbacks = self._callbacks
        wake = self._wake_r
        while self._running:
            timeout = self._run_due()
            if self._ready:
                timeout = 0
            if not self._running:
                break
            try:
                if _EPOLL:
                    events = poll(-1 if timeout is None else timeout)
                else:
                    events = poll(None if timeout is None
                                  else int(timeout * 1000) + 1)
            except (IOError, OSError, select.error) as exc:
                if exc.args and exc.args[0] == errno.EINTR:  # Python 2
                    continue
                raise
            for fd, flags in events:
                if fd == wake:
                    self._drain_wake()
                    continue
                callback = callbacks.get(fd)
                if callback is None:
                    continue
                if flags & _ERROR:
                    flags |= READ | WRITE  # let the owner find the error
                self._call(callback, flags)
            self._run_ready()

    def _run_due(self):
        """Run the timers that are due; return seconds until the next one
        (None: no timer)."""
        timers = self._timers
        while timers:
            when, _, timer = timers[0]
            if timer.cancelled:
                heapq.heappop(timers)
                continue
            now = monotonic()
            if when > now:
                return when - now
            heapq.heappop(timers)
            callback, timer.callback = timer.callback, None
            timer.cancelled = True
            self._call(callback)
        return None

    def _run_ready(self):
        ready = self._ready
        for _ in range(len(ready)):
            callback, args = ready.popleft()
            self._call(callback, *args)

    def _call(self, callback, *args):
        try:
            callback(*args)
        except Exception as exc:  # a bug of ours: keep serving the others
            text = traceback.format_exc()
            log.error('error in the event loop:\n%s', text)
            if self._on_error is not None:
                self._on_error(('event loop', exc, text))

    def _drain_wake(self):
        try:
            while os.read(self._wake_r, 4096):
                pass
        except OSError:
            pass

    def close(self):
        """Release the loop's own descriptors; after :meth:`run` ended."""
        with self._closing:
            if self._closed:
                return
            self._closed = True
            if _EPOLL:
                self._poller.close()
            for fd in (self._wake_r, self._wake_w):
                try:
                    os.close(fd)
                except OSError:
                    pass


def _set_nonblocking(fd):
    import fcntl
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)
