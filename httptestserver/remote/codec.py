"""The JSON form of what crosses the control API: values and history entries.

A recorded request holds bytes, :class:`~httptestserver.headers.Headers` and
tuples, which JSON has not.  :func:`to_json` and :func:`entry_to_json` give
them a JSON shape any language can read (bytes as ``{"$base64": ...}`` or a
``*_base64`` field, headers as ``[name, value]`` pairs); :func:`from_json`
and :func:`entry_from_json` undo that for Python clients, who get bytes and
headers back where the server recorded them.  Pure functions: no I/O,
thread-safe.
"""
import base64
import binascii
import json as jsonlib

import six

from ..headers import Headers
from ..protocol.websocket import Close
from ..store.nearmiss import route_spec

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict  # noqa: F401

__all__ = ['to_json', 'from_json', 'data_to_json', 'entry_to_json',
           'entry_from_json', 'route_state']


class _NotData(Exception):
    pass


def to_json(value):
    """Return *value* as JSON-able data: bytes become ``{"$base64": ...}``,
    a WebSocket :class:`~httptestserver.Close` ``{"$close": [code,
    reason]}``, headers a list of ``[name, value]`` pairs, tuples lists,
    anything else unknown its ``repr``."""
    return _plain(value, False)


def data_to_json(data, leave_out=()):
    """Return the plain-data part of a ``data`` dict as JSON: the keys in
    *leave_out*, and values that are not plain data (objects, sockets),
    are left out, never shown by their ``repr``."""
    result = {}
    for key, value in data.items():
        if key not in leave_out:
            try:
                result[_key(key)] = _plain(value, True)
            except _NotData:
                pass
    return result


def _key(key):
    """Return *key* as a JSON object key: text as it is, bytes decoded
    (Python 2: str() of non-ASCII unicode fails), others through str()."""
    if isinstance(key, six.text_type):
        return key
    if six.PY2 and isinstance(key, str):  # Python 2: native str is bytes
        return key.decode('utf-8', 'replace')
    return str(key)


def _plain(value, strict):
    if six.PY2 and isinstance(value, str):  # Python 2: native str is bytes
        try:
            return value.decode('utf-8')
        except UnicodeDecodeError:
            pass
    if isinstance(value, bytes):
        return {'$base64': base64.b64encode(value).decode('ascii')}
    if isinstance(value, Headers):
        return [[k, v] for k, v in value.items_all()]
    if isinstance(value, Close):
        return {'$close': [value.code, value.reason]}
    if isinstance(value, dict):
        return dict((_key(k), _plain(v, strict)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v, strict) for v in value]
    if value is None or isinstance(value, (bool, float) + six.integer_types +
                                   six.string_types):
        return value
    if strict:
        raise _NotData()
    return repr(value)


def from_json(value):
    """Undo :func:`to_json` for bytes (``{"$base64": ...}``) and
    ``{"$close": [code, reason]}``.

    Raises :class:`ValueError` saying which ``$base64`` or ``$close``
    value is malformed (the control API answers it 400).
    """
    if isinstance(value, dict):
        if list(value) == ['$base64']:
            return _from_base64(value['$base64'])
        if list(value) == ['$close']:
            return _close(value['$close'])
        return dict((k, from_json(v)) for k, v in value.items())
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


def _close(args):
    if not isinstance(args, list) or len(args) != 2 or not isinstance(
            args[0], six.integer_types + (type(None),)) or not isinstance(
            args[1], six.string_types):
        raise ValueError('{"$close": %r}: give [code, "reason"]' % (args,))
    return Close(args[0], args[1])


def _from_base64(text):
    if not isinstance(text, six.string_types):
        raise ValueError('{"$base64": %r}: give base64 text' % (text,))
    try:
        return base64.b64decode(text.encode('ascii'))
    # Python 2: b64decode raises TypeError, and binascii.Error is no
    # ValueError
    except (TypeError, ValueError, binascii.Error) as exc:
        raise ValueError('{"$base64": %r} is not base64 text (%s)'
                         % (text, exc))


def entry_to_json(entry):
    """Return a history entry as JSON: ``headers`` as ``[name, value]``
    pairs, ``body`` as text (None when not UTF-8) plus ``body_base64``
    always, ``response_content`` as ``response_content_base64``."""
    result = to_json(dict((k, v) for k, v in entry.items()
                          if k not in ('body', 'response_content')))
    body = entry.get('body') or b''
    try:
        result['body'] = body.decode('utf-8')
    except UnicodeDecodeError:
        result['body'] = None
    result['body_base64'] = base64.b64encode(body).decode('ascii')
    content = entry.get('response_content')
    result['response_content_base64'] = None if content is None else \
        base64.b64encode(content).decode('ascii')
    return result


def entry_from_json(data):
    """Rebuild a history entry from :func:`entry_to_json` (for Python
    clients): headers as :class:`Headers`, bodies as bytes."""
    entry = from_json(dict((k, v) for k, v in data.items()
                           if k not in ('body_base64',
                                        'response_content_base64')))
    entry['body'] = base64.b64decode(data.get('body_base64') or '')
    content = data.get('response_content_base64')
    entry['response_content'] = None if content is None else \
        base64.b64decode(content)
    for key in ('headers', 'response_headers'):
        if isinstance(entry.get(key), list):
            entry[key] = Headers([tuple(p) for p in entry[key]])
    if isinstance(entry.get('client_address'), list):
        entry['client_address'] = tuple(entry['client_address'])
    return entry


def route_state(route, route_id, calls=False, document=None):
    # type: (Any, str, bool, Any) -> Dict[str, Any]
    """Return a route's state as JSON: its *route_id*, description
    (``describe``, with its uses, and ``name``, without), ``used``,
    ``times``, ``exhausted``, ``remaining``, the *document* it was added
    with and, with *calls*, the history entries of the requests it
    answered."""
    times = getattr(route, 'times', None)
    used = getattr(route, 'used', 0)
    state = {'id': route_id, 'describe': route.describe(),
             'name': _name(route), 'spec': _spec(route), 'used': used,
             'times': times,
             'exhausted': bool(getattr(route, 'exhausted', False)),
             'remaining': None if times is None else max(0, times - used),
             'document': document}
    if calls:
        state['calls'] = [entry_to_json(e) for e in route.calls]
    return state


def _spec(route):
    """The route as a near-miss candidate, when it is plain JSON."""
    try:
        spec = route_spec(route)
        jsonlib.dumps(spec)
    except (TypeError, ValueError, AttributeError):
        return None
    return spec


def _name(route):
    try:
        return route.describe(usage=False)
    except TypeError:  # a directory mount has one description
        return route.describe()
