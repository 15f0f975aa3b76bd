"""Server-Sent Events: event formatting and event-stream routes.

:func:`format_event` turns one event (``data``, ``event``, ``id``, ``retry``,
comments) into the bytes of the ``text/event-stream`` format (WHATWG HTML,
"Server-sent events").  :class:`EventStream` is a callable route that answers
a stream of such events, one chunk (one write) per event, with an optional
delay before each, resuming after the client's ``Last-Event-ID``.  Pure apart
from the waits, which go through the server's stop-aware pause; it imports
only from the bottom layers and ``responses``.
"""
import json as jsonlib
import re
import socket
import threading

import six

from .._compat import wait_for
from ..errors import ConfigurationError, WaitTimeout
from ..answers.responses import Response, check_delay, header_items

__all__ = ['EventStream', 'StreamRecord', 'format_event']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Callable, Dict, Iterable, List, Optional  # noqa: F401

#: Keys an event ``dict`` may hold.
EVENT_KEYS = ('data', 'json', 'event', 'id', 'retry', 'comment', 'delay')

_LINES = re.compile(u'\r\n|\r|\n')


def _text(value, name):
    if isinstance(value, bytes):
        try:
            return value.decode('utf-8')
        except UnicodeDecodeError:
            raise ConfigurationError('%s must be UTF-8 text, got %r'
                                     % (name, value))
    if isinstance(value, six.text_type):
        return value
    if isinstance(value, (six.integer_types, float)) and \
            not isinstance(value, bool):
        return u'%s' % (value,)
    raise ConfigurationError('%s must be text, got %r' % (name, value))


def _one_line(value, name):
    text = _text(value, name)
    # A NUL in an id makes clients ignore the field (WHATWG HTML 9.2.6).
    if _LINES.search(text) or u'\0' in text:
        raise ConfigurationError('%s must be one line of text (no CR, LF or '
                                 'NUL), got %r' % (name, value))
    return text


def format_event(data=None, event=None, id=None, retry=None, comment=None,
                 json=None):
    # type: (Any, Any, Any, Optional[int], Any, Any) -> bytes
    """Return one event in the ``text/event-stream`` format, as bytes.

    *data* (text, split into one ``data:`` line per line), or *json* (any
    JSON value, sent as one ``data:`` line); *event* the event type; *id* the
    event id (the client sends it back as ``Last-Event-ID``); *retry* the
    reconnection time in milliseconds; *comment* text sent as ``:`` lines
    (ignored by clients; a heartbeat).  The result ends with the blank line
    that dispatches the event.  Pure and thread-safe; raises
    :class:`ConfigurationError` for a value the format cannot carry (a line
    break in *event* or *id*, a negative *retry*, both *data* and *json*).
    """
    lines = []  # type: List[Any]
    if comment is not None:
        lines.extend(u':' + (u' ' + line if line else u'')
                     for line in _LINES.split(_text(comment, 'comment')))
    if event is not None:
        lines.append(u'event: ' + _one_line(event, 'event'))
    if id is not None:
        lines.append(u'id: ' + _one_line(id, 'id'))
    if retry is not None:
        if isinstance(retry, bool) or not isinstance(
                retry, six.integer_types) or retry < 0:
            raise ConfigurationError('retry must be a whole number of '
                                     'milliseconds >= 0, got %r' % (retry,))
        lines.append(u'retry: %d' % retry)
    if json is not None:
        if data is not None:
            raise ConfigurationError('an event has both data and json; give '
                                     'one')
        data = jsonlib.dumps(json)
    if data is not None:
        lines.extend(u'data: ' + line
                     for line in _LINES.split(_text(data, 'data')))
    if not lines:
        raise ConfigurationError('an event needs at least one of data, json, '
                                 'event, id, retry or comment')
    return (u'\n'.join(lines) + u'\n\n').encode('utf-8')


def event_bytes(event, name='event'):
    # type: (Any, str) -> bytes
    """Return an event given as a dict (keys :data:`EVENT_KEYS`; ``delay``
    is ignored here) or as text (its data) as bytes; see
    :func:`format_event`."""
    if isinstance(event, dict):
        unknown = set(event) - set(EVENT_KEYS)
        if unknown:
            raise ConfigurationError('%s has unknown key(s) %s; use %s' % (
                name, ', '.join(sorted(map(repr, unknown))),
                ', '.join(EVENT_KEYS)))
        fields = dict((k, v) for k, v in event.items() if k != 'delay')
        return format_event(**fields)
    if isinstance(event, (six.text_type, bytes)):
        return format_event(data=event)
    raise ConfigurationError('%s must be a dict like {"data": "hello"} or '
                             'text, got %r' % (name, event))


def _event_delay(event, name):
    if isinstance(event, dict):
        return check_delay(event.get('delay'), '%s delay' % name)
    return None


class _Cut(socket.error):
    """Raised from a stream's body to drop the connection mid-stream: the
    handler treats a socket error after the head as the end of the
    connection and sends no closing chunk."""


class StreamRecord(object):
    """What one client connection to an :class:`EventStream` got.

    ``last_event_id`` the ``Last-Event-ID`` the client sent (or ``None``);
    ``sent`` the events written, in order (dicts or text as given);
    ``ended`` ``None`` while open, then ``'complete'``, ``'cut'``,
    ``'stopped'``, ``'gone'`` (the client left; noticed at the next write)
    or ``'error'``.
    """

    def __init__(self, request, last_event_id):
        self.request = request
        self.last_event_id = last_event_id
        self.sent = []  # type: List[Any]
        self.ended = None  # type: Optional[str]

    def __repr__(self):
        return '<StreamRecord last_event_id=%r sent=%d ended=%s>' % (
            self.last_event_id, len(self.sent), self.ended or 'no')


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
    open until ``server.stop()`` (a comment is sent every *heartbeat*
    seconds when given, which is also how a departed client is noticed).
    *cut_after* ``N`` drops the connection right after the N-th event,
    without ending the chunked body: a fault for testing reconnection.

    Waits go through *server*'s stop-aware pause, so ``stop()`` ends open
    streams at once; or pass *pause*, a callable ``pause(seconds)`` that
    returns true when the stream should end.  *keep_open* needs one of them.
    Thread-safe: several clients may stream at once; :attr:`streams` and
    :meth:`wait` report what they got.  Raises :class:`ConfigurationError`
    for bad arguments now, and for a bad event when it is reached (recorded
    like any handler error).
    """

    def __init__(self, events, keep_open=False, cut_after=None, server=None,
                 pause=None, heartbeat=None, headers=None):
        # type: (Any, bool, Optional[int], Any, Optional[Callable[[float], Any]], Optional[float], Any) -> None
        if isinstance(events, (six.string_types, bytes, dict)):
            raise ConfigurationError('events must be a list of events (or a '
                                     'callable returning one), got %r'
                                     % (events,))
        if isinstance(events, (list, tuple)):
            events = list(events)
            for index, event in enumerate(events):
                event_bytes(event, 'event %d' % index)
                _event_delay(event, 'event %d' % index)
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
        return Response(200, headers, self._body(request, record))

    def _selected(self, request, last_id):
        events = self.events
        if callable(events):
            events = events(request)
            if isinstance(events, (six.string_types, bytes, dict)):
                raise ConfigurationError(
                    'the events callable must return an iterable of events, '
                    'got %r' % (events,))
            return iter(events)
        if isinstance(events, list):
            if last_id is not None:
                for index, event in enumerate(events):
                    if isinstance(event, dict) and event.get('id') is not None \
                            and _text(event['id'], 'id') == last_id:
                        return iter(events[index + 1:])
            return iter(events)
        return events  # an iterator, shared

    def _body(self, request, record):
        status = 'error'
        try:
            count = 0
            if self.cut_after == 0:
                status = 'cut'
                raise _Cut('cut_after=0: connection dropped')
            for event in self._selected(request, record.last_event_id):
                name = 'event %d' % count
                delay = _event_delay(event, name)
                data = event_bytes(event, name)
                if delay and self._wait(delay):
                    status = 'stopped'
                    return
                yield data
                count += 1
                self._sent(record, event)
                if self.cut_after is not None and count >= self.cut_after:
                    status = 'cut'
                    raise _Cut('cut_after=%d: connection dropped' % count)
            if self.keep_open:
                while not self._wait(self.heartbeat or 3600.0):
                    if self.heartbeat:
                        yield b': heartbeat\n\n'
                status = 'stopped'
                return
            status = 'complete'
        except GeneratorExit:  # the handler dropped it: the client left
            status = 'gone'
            raise
        finally:
            with self._lock:
                record.ended = status
                self._changed.notify_all()

    def _wait(self, seconds):
        """Wait *seconds*; return True when the stream should end."""
        if self._pause_func is not None:
            return bool(self._pause_func(seconds))
        if self.server is not None:
            if self.server.running:
                self.server.pause(seconds)
            return not self.server.running or self._closed.is_set()
        return self._closed.wait(seconds) or self._closed.is_set()

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

    def close(self):
        # type: () -> None
        """End every open stream at its next wait (for streams not bound to
        a server).  Idempotent, thread-safe."""
        self._closed.set()

    def __repr__(self):
        return '<EventStream %d stream(s)>' % len(self.streams)

