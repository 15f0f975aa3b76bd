"""The in-thread API's arguments as data: the route document, both ways.

A child process is driven over the control API, so what
:meth:`~httptestserver.Server.route` and friends take must cross as JSON.
In the parent, :func:`route_match` turns matching arguments into a match
spec, :func:`stub_response` a response into plain data and
:func:`route_document` a whole ``route()`` call into a route document,
refusing by name what cannot cross (a function, an iterator) with the data
form to use.  In the child, :func:`add_route` turns the document back into
the same ``route()`` call, and :class:`RouteEndpoints` serves it.  Pure but
for the endpoints' id table; thread-safe.
"""
import base64
import collections
import json as jsonlib
import re
import threading
import uuid

import six

from ..errors import ConfigurationError
from ..headers import Headers
from ..answers import faults as faultlib
from ..answers.delays import Delay
from ..answers.matchers import Matcher, fail
from ..answers.responses import Response, body_bytes, header_items, \
    spec_dict
from ..answers.routes import make_route, response_list
from ..streams.sse import EventStream
from ..streams.websocket import WebSocket
from .codec import from_json, route_state, to_json
from .stubs import check_wait, response_spec

__all__ = ['check_match', 'stub_response', 'route_document', 'add_route',
           'RouteEndpoints', 'ROUTE_KEYS']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any  # noqa: F401

#: The keys of a route document (``POST /__admin/routes``).
ROUTE_KEYS = ('path', 'path_pattern', 'method', 'query', 'match', 'times',
              'responses')
STREAM_KEYS = ('events', 'keep_open', 'cut_after', 'heartbeat', 'headers',
               'cut_within', 'retry', 'line_ending', 'bom')
WEBSOCKET_KEYS = ('replies', 'greeting', 'subprotocols', 'max_message_size',
                  'poll_interval', 'close_timeout', 'answer_pings',
                  'compression', 'handshake_status', 'handshake_headers',
                  'handshake_delay')
_FLAGS = re.DOTALL | re.IGNORECASE | re.MULTILINE | re.VERBOSE


def check_match(match):
    """Refuse a ``match`` that is not a dict (a function cannot cross)."""
    if match is not None and callable(match) and not isinstance(match, dict):
        raise ConfigurationError(
            'match=%r is a function, and a function cannot cross into '
            'the child process; describe the request as data, e.g. '
            'match={"headers": {"X-Token": "abc"}, "json": {...}}' % (match,))
    if match is not None and not isinstance(match, dict):
        raise ConfigurationError('match must be a dict, got %r' % (match,))


def stub_response(spec, name, streams=False):
    """Turn a ``route()`` response spec into a plain (JSON) response dict.

    Every key of a response crosses (faults, delays, dribble, bandwidth and
    chaos in their plain forms), so the child answers as this process
    would.  With *streams* (a route's responses), a body given as a list of
    chunks crosses as ``chunks``, an
    :class:`~httptestserver.EventStream` as ``events`` and a
    :class:`~httptestserver.WebSocket` as ``websocket``, when they are
    declarative.  What cannot cross raises :class:`ConfigurationError`
    naming it and the data form to use instead.
    """
    if streams and isinstance(spec, EventStream):
        return {'events': _stream_data(spec, name)}
    if streams and isinstance(spec, WebSocket):
        return {'websocket': _socket_data(spec, name)}
    if isinstance(spec, Response) and spec.takeover is None:
        spec = dict(spec.faults, status=spec.status, headers=spec.headers,
                    body=spec.body, delay=spec.faults.get('delay', spec.delay))
    if callable(spec) or isinstance(spec, Response):
        raise ConfigurationError(
            '%s %r is a function, and a function cannot cross into the child'
            ' process; describe the response as data, e.g. route("/users", '
            'status=201, json={...}, headers={...}) or '
            'match={"json": {...}} to choose it by request' % (name, spec))
    spec = spec_dict(spec, name)
    result = {}
    for key in ('status', 'json', 'cookies') + faultlib.FAULT_KEYS:
        if spec.get(key) is not None:
            result[key] = _plain(spec[key])
    headers = spec.get('headers')
    if headers is not None:
        if isinstance(headers, Headers):
            headers = headers.items_all()
        result['headers'] = [list(p) for p in headers.items()] if hasattr(
            headers, 'items') else [list(p) for p in headers]
    body = spec.get('body', spec.get('content'))
    if body is not None:
        result.update(_body_data(body, name, streams))
    left = sorted(set(spec) - set(result)
                  - set(['body', 'content', 'headers']))
    left = [key for key in left if spec[key] is not None]
    if left:  # a key added to responses but not here: never drop it
        raise ConfigurationError('%s %s cannot cross into the child process'
                                 % (name, left[0]))
    for key, value in result.items():
        try:
            jsonlib.dumps(value)
        except (TypeError, ValueError):
            raise ConfigurationError(
                '%s %s=%r cannot cross into the child process: it is not '
                'plain data (JSON)' % (name, key, value))
    return result


def _body_data(body, name, streams):
    """A response body as plain data: ``body`` (text), ``body_base64``
    (bytes that are not UTF-8) or, with *streams*, ``chunks`` (a list)."""
    if isinstance(body, (bytearray, memoryview)):
        body = bytes(body)
    if isinstance(body, six.text_type):
        return {'body': body}
    if isinstance(body, bytes):
        try:
            return {'body': body.decode('utf-8')}
        except UnicodeDecodeError:
            return {'body_base64': base64.b64encode(body).decode('ascii')}
    if streams and isinstance(body, (list, tuple)):  # checked as in-thread
        return {'chunks': to_json(list(body_bytes(body, name + ' body')))}
    raise ConfigurationError(
        '%s body %r cannot cross into the child process: an iterator or '
        'generator runs in this process; give bytes, text or a list of '
        'chunks (body=[b"a", b"b"] streams them)' % (name, body))


def _stream_data(stream, name):
    """An :class:`EventStream` as plain data, or refuse what runs code."""
    if not isinstance(stream.events, list):
        raise ConfigurationError(
            '%s is an EventStream whose events are %s, which cannot cross '
            'into the child process; give the events as a list, e.g. '
            'EventStream([{"data": "hi", "delay": 0.1}])' % (
                name, 'a function' if callable(stream.events)
                else 'an iterator'))
    data = dict((key, to_json(getattr(stream, key))) for key in STREAM_KEYS
                if key not in ('events', 'headers', 'line_ending'))
    data.update(events=to_json(stream.events),
                line_ending=stream.line_ending.decode('ascii'),
                headers=None if stream.headers is None else [
                    list(p) for p in header_items(stream.headers)])
    return data


def _socket_data(socket, name):
    """A :class:`WebSocket` as plain data, or refuse what runs code."""
    for field in ('replies', 'subprotocols'):
        if callable(getattr(socket, field)):
            raise ConfigurationError(
                '%s is a WebSocket whose %s is a function, which cannot '
                'cross into the child process; give a list, e.g. '
                'WebSocket(replies=["first answer", ["two", "replies"], '
                'None, Close(1000)], subprotocols=["chat"])' % (name, field))
    data = dict((key, to_json(getattr(socket, key))) for key in WEBSOCKET_KEYS
                if key not in ('replies', 'greeting'))
    data.update(replies=_message_data(socket.replies),
                greeting=_message_data(socket.greeting))
    return data


def _message_data(value):
    """WebSocket messages as JSON: bytes stay bytes (a binary message),
    even a Python 2 ``str``, which :func:`to_json` takes for text."""
    if isinstance(value, bytes):
        return {'$base64': base64.b64encode(value).decode('ascii')}
    if isinstance(value, (list, tuple)):
        return [_message_data(item) for item in value]
    return to_json(value)


def _plain(value):
    """A fault or delay setting in its plain (JSON) form."""
    if isinstance(value, Delay):
        return value.describe()
    if isinstance(value, dict) and 'faults' in value:  # a checked chaos
        plain = {'probability': value['probability'],
                 'fault': list(value['faults']), 'seed': value['seed'],
                 'delay': _plain(value['delay'])}
        return dict((k, v) for k, v in plain.items() if v not in (None, []))
    return value


def route_document(path, response, method, query, times, responses, match,
                   fields):
    """Turn the arguments of one ``Server.route()`` call into the JSON
    document the child's ``POST /__admin/routes`` takes, checked here as
    the in-thread server checks them (the same errors, raised now)."""
    specs = response_list(response, responses, fields)
    if isinstance(match, Matcher):
        match = match.spec  # its dict crosses
    check_match(match)
    make_route(path, specs, method, query, times, match)  # in-thread checks
    Matcher(match or {}, untrusted=True)  # and a stub's: the child's
    document = {'times': times, 'responses': [stub_response(
        spec, 'responses[%d]' % i if len(specs) > 1 else 'response', True)
        for i, spec in enumerate(specs)]}
    if path is not None and not isinstance(path, six.string_types) and \
            hasattr(path, 'pattern') and hasattr(path, 'match'):
        if path.flags & ~(re.UNICODE | _FLAGS):
            raise ConfigurationError(
                'a path pattern with flags other than re.I, re.M, re.S and '
                're.X cannot cross into the child process; write them '
                'inline, e.g. "(?i)/users"')
        document['path_pattern'] = [path.pattern, path.flags & ~re.UNICODE]
    else:
        document['path'] = path
    document['method'] = method if method is None or isinstance(
        method, six.string_types) else list(method)
    document['query'] = query if query is None or isinstance(
        query, six.string_types) else to_json(dict(query))
    document['match'] = match
    return document


# -- in the child: the document back into a route -----------------------------
def add_route(server, document):
    # type: (Any, Any) -> Any
    """Add the route *document* (untrusted: patterns and waits are checked
    as a stub's) describes to *server*; return the route.  Raises
    :class:`ConfigurationError` naming the field."""
    if not isinstance(document, dict) or set(document) - set(ROUTE_KEYS):
        fail('route', document, 'give a JSON object with keys from %s'
             % ', '.join(ROUTE_KEYS))
    path = document.get('path')
    pattern = document.get('path_pattern')
    if pattern is not None:
        if path is not None or not isinstance(pattern, list) or [
                type(p) for p in pattern] not in ([six.text_type, int],
                                                  [str, int]):
            fail('route.path_pattern', pattern, 'give [pattern, flags] and '
                 'no path')
        Matcher({'path_pattern': pattern[0]}, 'route', untrusted=True)
        path = re.compile(pattern[0], pattern[1] & _FLAGS)
    match = document.get('match')
    if match is not None:
        match = Matcher(match, 'match', untrusted=True)
    responses = document.get('responses')
    if not isinstance(responses, list):
        fail('route.responses', responses, 'give a list of responses')
    specs = [_response(server, r, 'responses[%d]' % i if len(responses) > 1
                       else 'response') for i, r in enumerate(responses)]
    query = _decoded(document.get('query'), 'query')
    return server.route(path, method=document.get('method'), query=query,
                        times=document.get('times'), responses=specs,
                        match=match)


def _response(server, data, name):
    """One response of a route document as what ``route()`` takes."""
    if not isinstance(data, dict):
        fail(name, data, 'give a JSON object')
    if 'events' in data or 'websocket' in data:
        if len(data) != 1:
            fail(name, data, 'give events or websocket alone')
        if 'events' in data:
            return _event_stream(server, data['events'], name)
        return _web_socket(server, data['websocket'], name)
    plain = dict(data)
    chunks = plain.pop('chunks', None)
    for key in faultlib.FAULT_KEYS:
        if plain.get(key) is not None:
            check_wait('%s %s' % (name, key), key, plain[key])
    spec = response_spec({'response': plain})
    if chunks is not None:
        if not isinstance(chunks, list) or 'body' in plain or \
                'body_base64' in plain or 'json' in plain:
            fail(name + '.chunks', chunks, 'give a list of chunks, and no '
                 'other body')
        spec['body'] = [_chunk(c, name) for c in _decoded(chunks, name)]
    elif 'body' not in plain and 'body_base64' not in plain:
        spec.pop('body', None)  # json, or none: as the thread answers
    return spec


def _chunk(chunk, name):
    if not isinstance(chunk, (bytes, six.text_type)):
        fail(name + '.chunks', chunk, 'give text, or {"$base64": ...}')
    return chunk.encode('utf-8') if isinstance(chunk, six.text_type) \
        else chunk


def _event_stream(server, data, name):
    data = _object(data, name + '.events', STREAM_KEYS)
    events = _decoded(data.pop('events', None), name)  # EventStream checks
    for index, event in enumerate(events or ()):
        if isinstance(event, dict) and event.get('delay') is not None:
            check_wait('%s event %d delay' % (name, index), 'delay',
                       event['delay'])
    if data.get('heartbeat') is not None:
        check_wait(name + '.events.heartbeat', 'delay', data['heartbeat'])
    return EventStream(events, server=server, **dict(
        (key, value) for key, value in data.items() if value is not None))


def _web_socket(server, data, name):
    data = _object(data, name + '.websocket', WEBSOCKET_KEYS)
    for key in ('poll_interval', 'close_timeout', 'handshake_delay'):
        if data.get(key) is not None:
            check_wait('%s.websocket.%s' % (name, key), 'delay', data[key])
    options = dict((k, _decoded(v, name)) for k, v in data.items()
                   if v is not None)
    return WebSocket(server=server, **options)


def _decoded(value, field):
    """:func:`from_json`, its error (a bad ``$base64``) naming *field*."""
    try:
        return from_json(value)
    except ValueError as exc:
        raise ConfigurationError('%s: %s' % (field, exc))


def _object(data, field, keys):
    if not isinstance(data, dict) or set(data) - set(keys):
        fail(field, data, 'give a JSON object with keys from %s'
             % ', '.join(keys))
    return data


class RouteEndpoints(object):
    """The control API's ``routes`` endpoints (a mixin of its endpoints,
    relying on their ``server`` and ``read_body()``): ``POST`` adds a route
    document, ``GET`` lists the routes' states, ``GET routes/{id}`` one,
    with its calls, ``DELETE routes/{id}`` removes it.  Thread-safe."""

    _route_ids = None  # type: Any

    def route_endpoints(self):
        """The rows of the endpoint table (as ``Endpoints`` writes them)."""
        return [(['routes'], {'GET': self._list_routes,
                              'POST': self._add_route}),
                (['routes', '*'], {'GET': self._get_route,
                                   'DELETE': self._delete_route})]

    def _ids(self, added=None, document=None):
        """Return ``[(id, route, document)]`` for the routes in force, in
        order (the document a route was added with, else None); *added*
        is a route just added from *document*.  The last routes removed
        (or reset) stay readable by id, as an in-thread route object does."""
        with _IDS_LOCK:
            known = self._route_ids = self._route_ids or {}
            if added is not None:
                known[added] = (uuid.uuid4().hex, document)
            routes = self.server.routes
            for route in routes:
                known.setdefault(route, (uuid.uuid4().hex, None))
            for route in set(known) - set(routes):
                _RETIRED[known.pop(route)[0]] = route
            while len(_RETIRED) > RETIRED:
                _RETIRED.popitem(last=False)
            return [known[r][:1] + (r,) + known[r][1:] for r in routes]

    def _add_route(self, request):
        document = self.read_body(request)
        route = add_route(self.server, document)
        for route_id, found, _ in self._ids(route, document):
            if found is route:
                return 201, route_state(route, route_id)
        raise ConfigurationError('the route was removed at once (a reset)')

    def _list_routes(self, request):
        states = [route_state(r, i, document=d) for i, r, d in self._ids()]
        return 200, {'routes': states, 'meta': {'total': len(states)}}

    def _get_route(self, request, route_id):
        for found, route, _ in self._ids():
            if found == route_id:
                return 200, route_state(route, route_id, True)
        with _IDS_LOCK:
            retired = _RETIRED.get(route_id)
        if retired is not None:
            return 200, route_state(retired, route_id, True)
        raise ConfigurationError('no route with id %s (removed, or the '
                                 'server was reset)' % route_id)

    def _delete_route(self, request, route_id):
        for found, route, _ in self._ids():  # harmless when gone, as in-thread
            if found == route_id:
                self.server.remove_route(route)
                return 200, {'removed': 1}
        return 200, {'removed': 0}


_IDS_LOCK = threading.Lock()
#: How many removed routes stay readable by id (their calls included).
RETIRED = 256
_RETIRED = collections.OrderedDict()  # type: Any
