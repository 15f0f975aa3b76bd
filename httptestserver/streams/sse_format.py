"""The ``text/event-stream`` format (WHATWG HTML, "Server-sent events"):
one event, given as fields, a dict or text, to the bytes a client reads.

This module owns the rules of the format: one ``data:`` line per line of
data, one-line ``event`` and ``id`` fields (no CR, LF or NUL), a
non-negative ``retry``, comments as ``:`` lines, and the blank line that
dispatches an event; and what an event ``dict`` may hold (its ``delay`` is
read here, waited for by :mod:`httptestserver.streams.sse`, which imports
this module).  Pure: no sockets, threads or waits.
"""
import json as jsonlib
import re

import six

from ..errors import ConfigurationError
from ..answers.responses import check_delay

__all__ = ['EVENT_KEYS', 'format_event', 'event_bytes', 'event_delay',
           'select_events',
           'as_text', 'LINE_ENDINGS', 'BOM', 'with_line_ending',
           'check_stream_format']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, List, Optional  # noqa: F401

#: Keys an event ``dict`` may hold.
EVENT_KEYS = ('data', 'json', 'event', 'id', 'retry', 'comment', 'delay')

_LINES = re.compile(u'\r\n|\r|\n')
#: The line endings the format allows; clients differ on the last two.
LINE_ENDINGS = ('\n', '\r\n', '\r')
#: A UTF-8 byte order mark, which a client must drop from a stream's start.
BOM = b'\xef\xbb\xbf'


def as_text(value, name):
    """Return *value* (text, UTF-8 bytes or a number) as text, or raise
    :class:`ConfigurationError` naming it *name*."""
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
    text = as_text(value, name)
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
                     for line in _LINES.split(as_text(comment, 'comment')))
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
        try:
            data = jsonlib.dumps(json)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError('an event\'s json must be a JSON '
                                     'document (dict, list, text, number, '
                                     'bool or None), got %r: %s'
                                     % (json, exc))
    if data is not None:
        lines.extend(u'data: ' + line
                     for line in _LINES.split(as_text(data, 'data')))
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


def event_delay(event, name):
    """Return the checked ``delay`` of a dict *event* (or None)."""
    if isinstance(event, dict):
        return check_delay(event.get('delay'), '%s delay' % name)
    return None


def with_line_ending(data, ending):
    # type: (bytes, bytes) -> bytes
    """Return formatted *data* (whose line breaks are all LF) with each
    line break as *ending* (``b'\\r\\n'`` or ``b'\\r'``)."""
    return data if ending == b'\n' else data.replace(b'\n', ending)


def check_stream_format(line_ending, cut_within, retry):
    """Check how a stream shapes its bytes; return *line_ending* as bytes.
    Raises :class:`ConfigurationError` naming the bad argument."""
    if isinstance(line_ending, bytes):
        line_ending = line_ending.decode('latin-1')
    if line_ending not in LINE_ENDINGS:
        raise ConfigurationError(r"line_ending must be '\n', '\r\n' or "
                                 r"'\r' (the format's three), got %r"
                                 % (line_ending,))
    if cut_within is not None and (isinstance(cut_within, bool) or not
                                   isinstance(cut_within, six.integer_types)
                                   or cut_within < 1):
        raise ConfigurationError('cut_within must be the number (from 1) of '
                                 'the event to cut in the middle, got %r'
                                 % (cut_within,))
    if retry is not None:
        format_event(retry=retry)  # a whole number of milliseconds >= 0
    return line_ending.encode('ascii')


def select_events(events, request, last_id):
    """Return an iterator of the events a stream of *events* sends to
    *request*: a callable's answer (run now, with the request); a list's
    events after the one whose ``id`` is *last_id* (all of them if none
    has it, or no *last_id*); an iterator as it is (shared by streams).
    Raises :class:`ConfigurationError` when a callable answers a string,
    bytes or a dict instead of events."""
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
                if isinstance(event, dict) \
                        and event.get('id') is not None \
                        and as_text(event['id'], 'id') == last_id:
                    return iter(events[index + 1:])
        return iter(events)
    return events  # an iterator, shared
