"""Eras: the stretches between two resets of a server, and how what waits
in one learns that it ended.

A request takes the current :class:`Era` when it begins; every wait of
its answer -- a thread's pause, or the event loop's timer through
:meth:`Era.on_end` -- ends when the era does.  Thread-safe; no sockets.
"""
import threading

__all__ = ['Era']


class Era(object):
    """One stretch between two resets: what a request begun in it may do.

    A request takes the current era from :meth:`Store.begin` when it
    begins.  :meth:`Store.reset` ends the era (its record, data and errors
    are then dropped: they belong to a test that is over) and
    :meth:`Store.close` ends it when the server stops.  Every wait of the
    request -- delays, held responses, streams -- goes through
    :meth:`pause`, so either cuts it short.  Thread-safe.
    """

    __slots__ = ('number', 'ended', '_callbacks', '_lock')

    def __init__(self, number):
        self.number = number
        #: Set when the era ends (reset, or the server stopping).
        self.ended = threading.Event()
        self._callbacks = []  # type: list
        self._lock = threading.Lock()

    def pause(self, seconds):
        # type: (float) -> bool
        """Wait *seconds*; return False if the era ended first.  Blocks."""
        return not self.ended.wait(seconds)

    def on_end(self, callback):
        """Call ``callback()`` when the era ends (at once if it has), in
        the thread that ends it; for waits that are not threads (the event
        loop's timers).  Return a function that cancels the call."""
        with self._lock:
            if not self.ended.is_set():
                self._callbacks.append(callback)
                return lambda: self._forget(callback)
        callback()
        return lambda: None

    def _forget(self, callback):
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

    def end(self):
        """End the era: wake every pause, call every :meth:`on_end`
        callback; idempotent."""
        with self._lock:
            self.ended.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def __repr__(self):
        return '<Era %d%s>' % (self.number,
                               ' ended' if self.ended.is_set() else '')
