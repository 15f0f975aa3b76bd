"""Playing an answer's steps in the event loop: waits as timers, writes
with back-pressure, a held connection that costs nothing.

:class:`Player` is the part of a
:class:`~httptestserver.serving.channel.Channel` that plays the steps of
:func:`~httptestserver.serving.fault_actions.steps` (and of a delayed or
file-backed answer): it never blocks and never polls.  The end of the
request's era (``reset()``, ``stop()``) or the client leaving cuts the
playing short.
"""
import socket

from . import fault_actions
from .loop import READ, WRITE, would_block as _want
from .states import CLOSED

__all__ = ['Player']


class Player(object):
    """The playing state of a channel (a mixin: its state is the
    channel's)."""

    def play(self, steps, era, done):
        """Play *steps* (see :func:`~httptestserver.serving.fault_actions.
        steps`): writes with back-pressure, waits as timers, a held
        connection that costs nothing until the client leaves.  The end of
        *era* (``reset()``, ``stop()``) or the client leaving cuts it short.
        Then ``done(keep_alive)``; not called if the connection closed."""
        self._steps = steps
        self._done = done
        self._holding = False
        self._timer = None
        self._era = era
        loop = self.loop
        self._unwatch_era = era.on_end(
            lambda: loop.call_soon_threadsafe(self._era_over, steps))
        self._watch(READ | (self._events & WRITE))
        self._step()

    def waker(self):
        """Return a callable, for any thread, that ends the ``'sleep'``
        step of the steps played now (a stream's wait) at once; a no-op
        once those steps are over."""
        steps, loop = self._steps, self.loop
        return lambda: loop.call_soon_threadsafe(self._wake, steps)

    def _wake(self, steps):
        if self._steps is steps and self._sleeping and \
                self.state != CLOSED:
            if self._timer is not None:
                self._timer.cancel()
            self._step()

    def _end_sleep(self):
        self._sleeping = False
        unwatch, self._unwatch_sleep = self._unwatch_sleep, None
        if unwatch is not None:
            unwatch()

    def _step(self):
        self._timer = None
        if self._sleeping:
            self._end_sleep()
        while self.state != CLOSED and self._steps is not None:
            try:
                step = next(self._steps)
            except StopIteration:
                step = ('end', True)
            kind = step[0]
            if kind == 'write':
                self.send(step[1])
                if self._out:  # back-pressure: go on once it is written
                    self._after_flush = self._step
                    return
            elif kind == 'wait':
                # ('wait', s, True): a delay whose answer still goes out,
                # early, when reset() or stop() cut it short.
                soft = len(step) > 2 and step[2]
                if self._era.ended.is_set():
                    if soft:
                        continue
                    return self._played(False)
                self._timer = self.loop.call_later(step[1], self._step)
                self._soft = soft
                return
            elif kind == 'sleep':
                # ('sleep', seconds or None, era or None): a stream's wait,
                # over when the seconds pass, *era* ends or waker() is
                # called; then the steps go on and decide what it meant.
                era = step[2]
                if era is not None and era.ended.is_set():
                    continue
                if step[1] is not None:
                    self._timer = self.loop.call_later(step[1], self._step)
                self._soft = False
                self._sleeping = True
                if era is not None:
                    self._unwatch_sleep = era.on_end(self.waker())
                return
            elif kind == 'hold':
                self._holding = True
                return
            elif kind == 'end':
                return self._played(step[1])
            else:  # 'reset' or 'close_now': below TLS, no close_notify
                self._stop_playing()
                self._registered = False
                self.loop.remove(self.fd)
                getattr(fault_actions, kind)(self.sock)
                return self.close()

    def _stop_playing(self):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._sleeping:
            self._end_sleep()
        steps, self._steps = self._steps, None
        close = getattr(steps, 'close', None)
        if close is not None:
            # Now, not when collected: a stream learns its client left,
            # a file is closed.
            close()
        self._holding = False
        unwatch, self._unwatch_era = self._unwatch_era, None
        if unwatch is not None:
            unwatch()

    def _played(self, keep_alive):
        done = self._done
        self._stop_playing()
        self._done = None
        done(keep_alive)

    def _era_over(self, steps):
        """reset() or stop() while playing: the wait is over, and so is
        the connection (the test it belongs to is over)."""
        if self._steps is not steps or self.state == CLOSED or \
                self._sleeping:  # a stream's wait: it watches for itself
            return
        if self._timer is not None and self._soft:
            self._timer.cancel()
            return self._step()
        if self._timer is not None or self._holding:
            self._played(False)

    def _read_while_playing(self):
        """Read while an answer is played: an early next request is kept;
        the client leaving ends everything at once."""
        try:
            data = self.sock.recv(65536)
        except socket.error as exc:
            if _want(exc):
                return
            data = b''
        except ValueError:
            data = b''
        if not data:
            self._stop_playing()
            return self.close()
        if not self._holding:
            conn = self.conn
            limits = conn.limits
            if conn.buffered + len(data) > \
                    limits.max_head + limits.max_body:
                # More than any next request: drop the client rather
                # than keep it all.
                self._stop_playing()
                return self.close()
            conn.receive_data(data)
