"""One event stream's body: its script of events and waits, run two ways.

An :class:`~httptestserver.streams.sse.EventStream` answers each request
with a :class:`Body` and keeps a :class:`StreamRecord` of it.  The stream's
script (``EventStream.script``) says what to do -- send these bytes, wait
this long, drop the connection -- and a driver here does it:

* in a worker thread, the body is an iterator of chunks whose waits block
  (through the stream's stop-aware wait, watching the socket the server
  hands it with :meth:`Body.bind_socket`);
* in the event loop, :meth:`Body.loop_steps` gives the loop steps to play:
  waits become timers that ``stop()``, ``reset()`` and
  ``EventStream.close()`` end at once, and a client that leaves is seen by
  the loop, which drops the steps (the stream then ends ``'gone'``).

Which one runs is the stream's choice (:attr:`Body.plays_in_loop`): the loop
when nothing in it is the test's code.  No sockets are read or written here.
"""
import socket

from .._compat import monotonic

__all__ = ['Body', 'Cut', 'StreamRecord']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Callable, List, Optional  # noqa: F401


class Cut(socket.error):
    """Raised from a stream's body to drop the connection mid-stream: the
    handler treats a socket error after the head as the end of the
    connection and sends no closing chunk."""


class StreamRecord(object):
    """What one client connection to an :class:`EventStream` got.

    ``last_event_id`` the ``Last-Event-ID`` the client sent (or ``None``);
    ``sent`` the events written, in order (dicts or text as given);
    ``ended`` ``None`` while open, then ``'complete'``, ``'cut'``,
    ``'stopped'``, ``'gone'`` (the client left) or ``'error'``;
    ``watched`` True once the server watches the connection for the client
    leaving while the stream waits (else that is noticed only at the next
    write).
    """

    def __init__(self, request, last_event_id):
        self.request = request
        self.last_event_id = last_event_id
        self.sent = []  # type: List[Any]
        self.ended = None  # type: Optional[str]
        self.watched = False

    def __repr__(self):
        return '<StreamRecord last_event_id=%r sent=%d ended=%s>' % (
            self.last_event_id, len(self.sent), self.ended or 'no')


class Body(object):
    """The body of one stream: an iterator of chunks (a worker's way), or
    steps for the event loop (:meth:`loop_steps`); one or the other, once.

    In a worker, the server calls :meth:`bind_socket` once, in the thread
    that will pull the chunks, before the first; the stream then polls
    that socket (never reads it) while it waits, and ends as soon as the
    client hangs up.  Without it, a departed client is noticed at the next
    write.
    """

    def __init__(self, stream, request, record):
        self.stream = stream
        self.record = record
        self.sock = None  # type: Any
        #: True when the event loop may play this stream (no user code).
        self.plays_in_loop = stream.runs_in_loop
        self._script = stream.script(request, record)
        self._started = False  # the script ran: it records its end
        self._chunks = self._worker_chunks()

    def bind_socket(self, sock):
        """Watch *sock*, the connection's blocking socket, while waiting."""
        self.sock = sock
        self.record.watched = True

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._chunks)

    next = __next__  # Python 2

    def close(self):
        """End the stream where it stands (the client left, or the server
        gave up on it): a stream still open ends ``'gone'``."""
        self._chunks.close()
        self._script.close()
        if not self._started:  # never played (HEAD): nothing to send
            self.stream.ended_unplayed(self.record)

    def _worker_chunks(self):
        script = self._script
        self._started = True
        step = _first(script)
        while step is not None:
            kind = step[0]
            if kind == 'data':
                yield step[1]
                why = None
            elif kind == 'wait':
                why = self.stream.wait_between(step[1], self)
            else:  # 'cut'
                _finish(script, None)
                raise Cut(step[1])
            try:
                step = script.send(why)
            except StopIteration:
                if why == 'gone':  # drop the connection: no closing chunk
                    raise Cut('the client hung up while the stream waited')
                return

    def loop_steps(self, wake):
        """Yield the stream as the event loop plays it: ``('chunk', bytes)``
        to send, ``('sleep', seconds or None, era or None)`` to wait (until
        the seconds pass, *era* ends, or ``wake()`` is called from any
        thread, then the steps go on), and last ``('cut',)`` to drop the
        connection without a closing chunk; else the body is complete.
        In the loop's thread; never blocks."""
        stream, script = self.stream, self._script
        self.record.watched = True  # the loop sees a client leave
        stream.add_waker(wake)
        self._started = True
        try:
            step = _first(script)
            while step is not None:
                kind = step[0]
                why = None
                if kind == 'data':
                    yield ('chunk', step[1])
                elif kind == 'wait':
                    deadline = None if step[1] is None \
                        else monotonic() + step[1]
                    era = None
                    while True:
                        why = stream.stop_reason()
                        left = None if deadline is None \
                            else deadline - monotonic()
                        if why or left is not None and left <= 0:
                            break
                        if era is not None and era.ended.is_set() and \
                                left is not None:
                            break  # reset(): a delay is cut short
                        era = stream.era()
                        yield ('sleep', left, era)
                else:  # 'cut'
                    _finish(script, None)
                    yield ('cut',)
                    return
                try:
                    step = script.send(why)
                except StopIteration:
                    return
        finally:
            stream.remove_waker(wake)


def _finish(script, why):
    """Let *script* run to its end (it records how the stream ended)."""
    try:
        script.send(why)
    except StopIteration:
        pass


def _first(script):
    """Return the first step of *script*, or None when it has none."""
    try:
        return next(script)
    except StopIteration:
        return None
