"""Server-Sent Events: event formatting and event-stream routes.

:func:`format_event` turns one event (``data``, ``event``, ``id``, ``retry``,
comments) into the bytes of the ``text/event-stream`` format (WHATWG HTML,
"Server-sent events").  :class:`EventStream` is a callable route that answers
a stream of such events, one chunk (one write) per event, with an optional
delay before each, resuming after the client's ``Last-Event-ID``.  Pure apart
from the waits, which go through the server's stop-aware pause and, when
the server hands the stream its socket (the body's ``bind_socket``), watch
for the client hanging up; it imports only from the bottom layers,
``responses`` and ``streams.sockets``.
"""
import threading

import six

from .._compat import monotonic, wait_for
from ..errors import ConfigurationError, WaitTimeout
from ..answers.responses import Response, check_delay, header_items
from .sockets import hung_up
from .sse_body import Body, StreamRecord
from .sse_format import BOM, EVENT_KEYS, check_stream_format, \
    event_bytes, event_delay, format_event, select_events, with_line_ending

__all__ = ['EventStream', 'StreamRecord', 'format_event', 'EVENT_KEYS',
           'WATCH_INTERVAL', 'IDLE_PAUSE']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import (  # noqa: F401
        Any, Callable, Dict, Iterable, List, Optional, Set)

#: How often a stream that watches its socket looks whether the client
#: hung up while it waits, in seconds.
WATCH_INTERVAL = 0.05
#: How long a wait without end asks a ``pause=`` function for at a time,
#: so that ``close()`` is noticed between calls.
IDLE_PAUSE = 0.25


class EventStream(object):
    """A route that answers a ``text/event-stream`` of events.

    *events* is a list of events (dicts with keys from :data:`EVENT_KEYS`,
    or text), a callable taking the recorded request and returning an
    iterable of them (a generator function works: each stream runs it anew),
    or any other iterable (consumed once, by the first stream).  Each event
    may hold ``delay``, seconds to wait before it is sent.

    Use it as a route: ``server.route('/events', EventStream([...],
    server=server))``.  Each request gets a 200 with ``Content-Type:
    text/event-stream`` and ``Cache-Control: no-cache``, then one chunk per
    event, written and flushed as it comes.  When the client sends
    ``Last-Event-ID`` and *events* is a list, the stream resumes after the
    event with that id (all events if no event has it).

    The stream ends after the last event, unless *keep_open*: then it stays
    open until ``server.stop()`` or :meth:`close` (a comment is sent every
    *heartbeat* seconds when given).  A client that hangs up ends its
    stream while it waits (within :data:`WATCH_INTERVAL` seconds) when the
    server hands the stream its socket, else at the next write.
    *cut_after* ``N`` drops the connection right after the N-th event,
    without ending the chunked body: a fault for testing reconnection;
    *cut_within* ``N`` drops it in the middle of the N-th event (after
    half its bytes, before the blank line that would dispatch it).
    *retry* milliseconds is sent first on every stream (even one resumed
    after ``Last-Event-ID``): ``retry=0`` with a cut makes a client
    reconnect at once, a storm.  *line_ending* ``'\\r\\n'`` or ``'\\r'``
    ends every line so (the format allows all three; clients differ);
    *bom* sends a UTF-8 byte order mark first, which clients must drop.

    Waits go through *server*'s stop-aware pause, so ``stop()`` ends open
    streams at once; or pass *pause*, a callable ``pause(seconds)`` that
    returns true when the stream should end (a wait without end calls it
    with :data:`IDLE_PAUSE` seconds, again and again).  *keep_open* needs
    one of them.  :meth:`close` ends every stream at its next wait, or
    between two calls to *pause*.
    Thread-safe: several clients may stream at once; :attr:`streams` and
    :meth:`wait` report what they got.  Raises :class:`ConfigurationError`
    for bad arguments now, and for a bad event when it is reached (recorded
    like any handler error).
    """

    def __init__(self, events, keep_open=False, cut_after=None, server=None,
                 pause=None, heartbeat=None, headers=None, cut_within=None,
                 retry=None, line_ending='\n', bom=False):
        # type: (Any, bool, Optional[int], Any, Optional[Callable[[float], Any]], Optional[float], Any, Optional[int], Optional[int], Any, bool) -> None  # noqa: E501
        self.line_ending = check_stream_format(line_ending, cut_within,
                                               retry)
        self.cut_within, self.retry, self.bom = cut_within, retry, bool(bom)
        if isinstance(events, (six.string_types, bytes, dict)):
            raise ConfigurationError('events must be a list of events (or a '
                                     'callable returning one), got %r'
                                     % (events,))
        if isinstance(events, (list, tuple)):
            events = list(events)
            for index, event in enumerate(events):
                event_bytes(event, 'event %d' % index)
                event_delay(event, 'event %d' % index)
        elif not callable(events):
            try:
                events = iter(events)
            except TypeError:
                raise ConfigurationError('events must be a list, an iterable '
                                         'or a callable, got %r' % (events,))
        if cut_after is not None and (isinstance(cut_after, bool) or not
                                      isinstance(cut_after, six.integer_types)
                                      or cut_after < 0):
            raise ConfigurationError('cut_after must be a whole number of '
                                     'events >= 0, got %r' % (cut_after,))
        if server is not None and pause is not None:
            raise ConfigurationError('give server= or pause=, not both')
        if pause is not None and not callable(pause):
            raise ConfigurationError('pause must be a callable pause(seconds)'
                                     ', got %r' % (pause,))
        if keep_open and server is None and pause is None:
            raise ConfigurationError('keep_open=True needs server=server (or '
                                     'pause=...) so that stop() can end the '
                                     'stream')
        self.heartbeat = check_delay(heartbeat, 'heartbeat')
        if self.heartbeat == 0:
            raise ConfigurationError('heartbeat must be > 0 seconds, got %r'
                                     % (heartbeat,))
        self.events = events
        self.keep_open = bool(keep_open)
        self.cut_after = cut_after
        self.server = server
        self._pause_func = pause
        self.headers = headers
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._streams = []  # type: List[StreamRecord]
        self._closed = threading.Event()
        self._wakers = set()  # type: Set[Callable[[], Any]]

    def bind_server(self, server):
        # type: (Any) -> None
        """Wait through *server*'s stop-aware pause unless given ``server=``
        or ``pause=``; for the core's ``Server.route()`` to call, so that
        routes need no ``server=``.  Idempotent."""
        if self.server is None and self._pause_func is None:
            self.server = server

    # -- the route ---------------------------------------------------------
    def __call__(self, request):
        # type: (Dict[str, Any]) -> Response
        """Answer *request* (a recorded request dict) with the stream."""
        headers = [('Content-Type', 'text/event-stream; charset=utf-8'),
                   ('Cache-Control', 'no-cache'),
                   # Tell nginx-like proxies not to buffer (harmless here).
                   ('X-Accel-Buffering', 'no')]
        extra = header_items(self.headers, 'EventStream headers')
        names = set(name.lower() for name, _ in extra)
        headers = [h for h in headers if h[0].lower() not in names] + extra
        last_id = None
        if request is not None:
            last_id = request['headers'].get('Last-Event-ID')
        record = StreamRecord(request, last_id)
        with self._lock:
            self._streams.append(record)
            self._changed.notify_all()
        return Response(200, headers, Body(self, request, record))

    @property
    def runs_in_loop(self):
        # type: () -> bool
        """True when the server's event loop may answer with this stream:
        its events are a list (no code of the test's runs) and it waits
        through the server, not a ``pause=`` function."""
        return isinstance(self.events, list) and self._pause_func is None

    def script(self, request, record):
        """Yield what one stream does, for its body to perform
        (:mod:`~httptestserver.streams.sse_body`): ``('data', bytes)``;
        ``('wait', seconds or None)``, to which the body sends back why the
        wait ended early (``'stopped'``, ``'gone'``) or None; ``('cut',
        message)``.  Keeps *record*'s ``sent`` and ``ended`` up to date."""
        status, ending = 'error', self.line_ending
        try:
            count = 0
            head = BOM if self.bom else b''
            if self.retry is not None:
                head += with_line_ending(format_event(retry=self.retry),
                                         ending)
            if head:
                yield ('data', head)
            if self.cut_after == 0:
                status = 'cut'
                yield ('cut', 'cut_after=0: connection dropped')
                return
            events = select_events(self.events, request,
                                   record.last_event_id)
            for event in events:
                name = 'event %d' % count
                delay = event_delay(event, name)
                data = with_line_ending(event_bytes(event, name), ending)
                if delay:
                    why = yield ('wait', delay)
                    if why:
                        status = why
                        return
                if self.cut_within == count + 1:
                    status = 'cut'
                    yield ('data', data[:len(data) // 2])
                    yield ('cut', 'cut_within=%d: connection dropped in the '
                                  'middle of the event' % (count + 1))
                    return
                yield ('data', data)
                count += 1
                self._sent(record, event)
                if self.cut_after is not None and count >= self.cut_after:
                    status = 'cut'
                    yield ('cut', 'cut_after=%d: connection dropped' % count)
                    return
            while self.keep_open:
                why = yield ('wait', self.heartbeat)
                if why:
                    status = why
                    return
                yield ('data', with_line_ending(b': heartbeat\n\n', ending))
            status = 'complete'
        except GeneratorExit:  # the server dropped it: the client left
            status = 'gone'
            raise
        finally:
            with self._lock:
                record.ended = status
                self._changed.notify_all()

    # -- waiting, for the bodies ---------------------------------------------
    def stop_reason(self):
        # type: () -> Optional[str]
        """``'stopped'`` once :meth:`close` or the server's ``stop()`` ended
        every stream, else None.  Thread-safe."""
        if self._closed.is_set() or self.server is not None and \
                not self.server.running:
            return 'stopped'
        return None

    def era(self):
        """The server's current era (its ``reset()`` and ``stop()`` end
        it), or None without a server: what a stream's wait in the event
        loop watches."""
        return self.server.store.era if self.server is not None else None

    def add_waker(self, wake):
        """Call ``wake()`` when :meth:`close` is called (a stream played
        by the event loop, which must look at once); thread-safe."""
        with self._lock:
            self._wakers.add(wake)

    def remove_waker(self, wake):
        with self._lock:
            self._wakers.discard(wake)

    def end_reason(self, body):
        """Return why the stream must end now ('stopped' or 'gone'), or
        None."""
        why = self.stop_reason()
        if why:
            return why
        if body.sock is not None:
            gone = hung_up(body.sock, 0)
            if gone is None:  # it sent something: cannot tell without
                body.sock = None  # reading it, so stop watching
            return 'gone' if gone else None
        return None

    def wait_between(self, seconds, body):
        """Wait *seconds* (None: until the stream must end); return None
        once they passed, else why the stream ends: 'stopped' (``stop()``,
        :meth:`close`, or the pause said so) or 'gone' (the client hung
        up).  A watched socket is looked at every :data:`WATCH_INTERVAL`;
        a ``pause=`` function is called once per delay."""
        why = self.end_reason(body)
        if why:
            return why
        pause = self._pause_func
        if pause is not None:
            if seconds is not None:
                return 'stopped' if pause(seconds) else self.end_reason(body)
            while not pause(IDLE_PAUSE if body.sock is None else
                            WATCH_INTERVAL):
                why = self.end_reason(body)
                if why:
                    return why
            return 'stopped'
        deadline = None if seconds is None else monotonic() + seconds
        while True:
            left = None if deadline is None else deadline - monotonic()
            if left is not None and left <= 0:
                return None
            step = 3600.0 if left is None else left
            if body.sock is not None:
                step = min(step, WATCH_INTERVAL)
            if self.server is not None:
                if not self.server.pause(step) and left is not None and \
                        self.server.running:
                    return self.end_reason(body)  # a reset cut the delay short
            else:
                self._closed.wait(step)
            why = self.end_reason(body)
            if why:
                return why

    def ended_unplayed(self, record):
        """A stream whose body was never played (a HEAD request): it is
        over, and complete."""
        with self._lock:
            if record.ended is None:
                record.ended = 'complete'
                self._changed.notify_all()

    def _sent(self, record, event):
        with self._lock:
            record.sent.append(event)
            self._changed.notify_all()

    # -- for the test ------------------------------------------------------
    @property
    def streams(self):
        # type: () -> List[StreamRecord]
        """One :class:`StreamRecord` per request answered, oldest first
        (a snapshot list; the records themselves update as streams run)."""
        with self._lock:
            return list(self._streams)

    @property
    def last_event_ids(self):
        # type: () -> List[Optional[str]]
        """The ``Last-Event-ID`` each request sent (``None`` if none)."""
        return [record.last_event_id for record in self.streams]

    def wait(self, count=1, timeout=5.0, streams=None):
        # type: (int, Optional[float], Optional[int]) -> List[StreamRecord]
        """Block until *count* events were sent in all (and, if given,
        *streams* requests were answered); return :attr:`streams`.

        Raises :class:`~httptestserver.WaitTimeout` after *timeout* seconds
        (``None``: forever) saying what was sent.  Thread-safe.
        """
        def done():
            sent = sum(len(r.sent) for r in self._streams)
            return sent >= count and (streams is None or
                                      len(self._streams) >= streams)
        with self._lock:
            ok = wait_for(self._changed, done, timeout)
            sent = sum(len(r.sent) for r in self._streams)
            opened = len(self._streams)
        if not ok:
            raise WaitTimeout('expected %d event(s)%s within %ss, %d sent on '
                              '%d stream(s)' % (
                                  count, '' if streams is None else
                                  ' on %d stream(s)' % streams, timeout,
                                  sent, opened))
        return self.streams

    def wait_ended(self, count=1, timeout=5.0):
        # type: (int, Optional[float]) -> List[StreamRecord]
        """Block until *count* streams have ended; return those records.

        Raises :class:`~httptestserver.WaitTimeout` after *timeout* seconds
        (``None``: forever) saying how they stand.  Thread-safe.
        """
        def ended():
            return [r for r in self._streams if r.ended is not None]
        with self._lock:
            ok = wait_for(self._changed, lambda: len(ended()) >= count,
                          timeout)
            found, streams = ended(), list(self._streams)
        if not ok:
            raise WaitTimeout('expected %d ended stream(s) within %ss, saw '
                              '%d: %s' % (count, timeout, len(found),
                                          ', '.join(map(repr, streams)) or
                                          'no stream'))
        return found

    def close(self):
        # type: () -> None
        """End every open stream at its next wait (between two calls to
        ``pause=``, within :data:`WATCH_INTERVAL` seconds for a stream that
        watches its socket); with ``keep_open``, the ``'stopped'`` end.
        Idempotent, thread-safe."""
        self._closed.set()
        with self._lock:
            wakers = list(self._wakers)
        for wake in wakers:
            wake()

    def __repr__(self):
        return '<EventStream %d stream(s)>' % len(self.streams)
