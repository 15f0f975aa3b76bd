"""Threads for user code: a pool that grows on demand and shrinks when idle.

The event loop never runs user code (a callable route, a ``Handler``
subclass, a WebSocket reply callable): it hands such work to a
:class:`Workers` pool.  Its rule is the 0.1.0 promise -- a slow callable
never holds another request -- so a task never waits for a busy thread:
an idle one takes it, else a new thread starts.  Threads that stay idle
for :attr:`Workers.idle_timeout` seconds end.  Failing to start a thread
(a thread or memory limit) raises to the caller, which answers for that
one connection and goes on.
"""
import collections
import logging
import threading

from .._compat import monotonic

__all__ = ['Workers']

log = logging.getLogger('httptestserver')

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Callable, Set  # noqa: F401


class Workers(object):
    """A pool of daemon threads named *name*; thread-safe.

    :meth:`submit` runs ``task()`` in a worker; :meth:`is_worker` tells a
    worker thread; :meth:`close` ends them once their tasks are done.
    """

    def __init__(self, name, idle_timeout=2.0):
        # type: (str, float) -> None
        self.name = name
        self.idle_timeout = idle_timeout
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._tasks = collections.deque()  # type: Any
        self._idle = 0
        self._threads = set()  # type: Set[threading.Thread]
        self._closed = False

    def submit(self, task):
        # type: (Callable[[], None]) -> None
        """Run ``task()`` in a worker thread soon; never waits for a busy
        one.  Raises RuntimeError (or the error of ``Thread.start``) when
        no thread can be had: the task was not queued."""
        with self._lock:
            if self._closed:
                raise RuntimeError('%s: the worker pool is closed'
                                   % self.name)
            if self._idle > len(self._tasks):
                self._tasks.append(task)
                self._wake.notify()
                return
            thread = threading.Thread(target=self._run, args=(task,),
                                      name='%s-worker' % self.name)
            thread.daemon = True
            self._threads.add(thread)
        try:
            thread.start()
        except Exception:
            with self._lock:
                self._threads.discard(thread)
            raise

    def is_worker(self, thread=None):
        # type: (Any) -> bool
        """True when *thread* (default: the current one) is a worker."""
        thread = thread or threading.current_thread()
        with self._lock:
            return thread in self._threads

    def __len__(self):
        with self._lock:
            return len(self._threads)

    def close(self):
        """Let idle workers end now and busy ones when their task is done;
        does not wait.  Idempotent."""
        with self._lock:
            self._closed = True
            self._wake.notify_all()

    def _run(self, task):
        current = threading.current_thread()
        try:
            while task is not None:
                try:
                    task()
                except Exception:  # the task records its own failures
                    log.exception('%s: a worker task failed', self.name)
                task = self._next()
        finally:
            with self._lock:
                self._threads.discard(current)

    def _next(self):
        """Wait for the next task; None when idle too long or closed."""
        with self._lock:
            self._idle += 1
            try:
                deadline = monotonic() + self.idle_timeout
                while not self._tasks:
                    remaining = deadline - monotonic()
                    if self._closed or remaining <= 0:
                        return None
                    self._wake.wait(remaining)
                return self._tasks.popleft()
            finally:
                self._idle -= 1
