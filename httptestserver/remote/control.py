"""The control API: drive a running server over HTTP, from any language.

Under a reserved prefix (``/__admin``, WireMock's shape) a server answers
requests that add, list and remove stubs, read, count and wait for recorded
requests, read server-side errors, set the ``data`` ``response_*`` settings,
reset and shut down.  :class:`ControlAPI` turns one recorded request dict into
one :class:`~httptestserver.answers.responses.Response`; the handler calls it before
recording anything, so control traffic never shows in the history.  This
module owns the endpoints and the JSON shapes; sockets and threads stay with
the server.
"""
import base64
import hmac
import json as jsonlib
import logging
import re
import threading

import six

from ..errors import ConfigurationError, HandlerError, VerificationError
from ..headers import Headers
from ..answers.responses import RESPONSE_KEYS, Response
from ..answers.matchers import MATCH_KEYS, Matcher
from .stubs import normalise_stub, response_spec, sort_stubs
from .wiremock import from_wiremock, parse_mappings, to_stub, to_wiremock

__all__ = ['ControlAPI', 'enable_control', 'PREFIX', 'TOKEN_HEADER',
           'to_json', 'from_json', 'entry_to_json', 'entry_from_json']

log = logging.getLogger('httptestserver')

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List, Optional  # noqa: F401

#: The reserved path prefix of the control API.
PREFIX = '/__admin'
#: The request header that carries the token (``Authorization: Bearer``
#: works too).
TOKEN_HEADER = 'X-Httptestserver-Token'
#: The longest a wait may block, in seconds.
MAX_WAIT = 300.0

_LOOPBACK = re.compile(r'^(127\.\d+\.\d+\.\d+|::1|localhost|::ffff:127\.'
                       r'\d+\.\d+\.\d+)$')


def is_loopback(host):
    """Return True if *host* is a loopback address or ``localhost``."""
    return bool(_LOOPBACK.match(host or ''))


# -- JSON shapes --------------------------------------------------------------
def to_json(value):
    """Return *value* as JSON-able data: bytes become ``{"$base64": ...}``,
    headers a list of ``[name, value]`` pairs, tuples lists, anything else
    unknown its ``repr``."""
    if six.PY2 and isinstance(value, str):  # Python 2: native str is bytes
        try:
            return value.decode('utf-8')
        except UnicodeDecodeError:
            pass
    if isinstance(value, bytes):
        return {'$base64': base64.b64encode(value).decode('ascii')}
    if isinstance(value, Headers):
        return [[k, v] for k, v in value.items_all()]
    if isinstance(value, dict):
        return dict((str(k), to_json(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if value is None or isinstance(value, (bool, float) + six.integer_types +
                                   six.string_types):
        return value
    return repr(value)


def from_json(value):
    """Undo :func:`to_json` for bytes (``{"$base64": ...}``)."""
    if isinstance(value, dict):
        if list(value) == ['$base64']:
            return base64.b64decode(value['$base64'].encode('ascii'))
        return dict((k, from_json(v)) for k, v in value.items())
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


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


def request_matcher(spec, field='match'):
    """Return a :class:`Matcher` from our match spec or a WireMock request
    pattern (``{"urlPath": ..., "headers": {"X": {"equalTo": ...}}}``)."""
    if spec is None:
        return Matcher({})
    try:
        return Matcher(spec, field)
    except ConfigurationError as first:
        if not isinstance(spec, dict) or set(spec) <= set(MATCH_KEYS) and \
                not _wiremock_shaped(spec):
            raise
        try:
            return Matcher(from_wiremock({'request': spec}, field)['match'])
        except ConfigurationError:
            raise first


def _wiremock_shaped(spec):
    for key in ('headers', 'cookies'):
        for cond in (spec.get(key) or {}).values():
            if isinstance(cond, dict) and set(cond) & set(
                    ['equalTo', 'absent', 'caseInsensitive']):
                return True
    return False


class _ClientError(Exception):
    def __init__(self, status, message, headers=()):
        Exception.__init__(self, message)
        self.status = status
        self.headers = list(headers)


# -- the API ------------------------------------------------------------------
class ControlAPI(object):
    """The control API of one *server*; see the module docstring.

    *token*, when given, must come with every control request (header
    ``X-Httptestserver-Token`` or ``Authorization: Bearer``).  A server
    bound to a non-loopback address requires one (else
    :class:`ConfigurationError`); without one, control requests from a
    non-loopback peer get a 403.  *stubs* are added now and again after each
    reset.  *on_shutdown* is called (in a new thread) by ``POST
    /__admin/shutdown``; by default it stops the server.  Thread-safe.
    """

    def __init__(self, server, token=None, prefix=PREFIX, stubs=(),
                 on_shutdown=None):
        if token is not None and (not isinstance(token, six.string_types)
                                  or not token):
            raise ConfigurationError('token must be a non-empty string or '
                                     'None, got %r' % (token,))
        if token is None and not is_loopback(getattr(server, 'host', '')):
            raise ConfigurationError(
                'the control API of a server bound to %r (not loopback) '
                'needs a token; pass token="..." or bind to 127.0.0.1'
                % (server.host,))
        if not isinstance(prefix, six.string_types) or not prefix.startswith(
                '/') or prefix.endswith('/'):
            raise ConfigurationError('prefix must look like "/__admin", got '
                                     '%r' % (prefix,))
        self.server = server
        self.token = token
        self.prefix = prefix
        self._lock = threading.Lock()
        self._stubs = []  # [stub, route] pairs, in the order added
        self._initial = [normalise_stub(s) for s in stubs]
        self._closed = False
        self._unmatched_response = None  # as given, for GET
        self._on_shutdown = on_shutdown or (lambda: server.stop())
        for stub in sort_stubs(self._initial):
            self.add_stub(stub)

    def __repr__(self):
        return '<ControlAPI %s>' % self.url()

    def url(self, path=''):
        """The control API's URL (with *path* after the prefix)."""
        return self.server.url(self.prefix + '/' + path.lstrip('/'))

    # -- stubs --------------------------------------------------------------
    def add_stub(self, stub):
        # type: (Dict[str, Any]) -> Dict[str, Any]
        """Register *stub* (our form or WireMock's) as a route; return it.

        Raises :class:`ConfigurationError` for a bad stub or for a fault
        this server cannot produce.
        """
        stub = to_stub(stub)
        spec = response_spec(stub)
        if 'fault' in spec and 'fault' not in RESPONSE_KEYS:
            raise ConfigurationError(
                'stub %s: fault %r cannot be produced by this version of '
                'httptestserver; leave it out' % (stub['id'], spec['fault']))
        with self._lock:
            if any(s['id'] == stub['id'] for s, _ in self._live()):
                raise ConfigurationError('stub id %r is taken; remove it '
                                         'first or give another id'
                                         % stub['id'])
            route = self.server.route(None, match=stub['match'],
                                      times=stub.get('times'), **spec)
            self._stubs.append([stub, route])
        return stub

    def _live(self):
        routes = self.server.routes
        self._stubs = [p for p in self._stubs if p[1] in routes]
        return list(self._stubs)

    def stubs(self):
        # type: () -> List[Dict[str, Any]]
        """The stubs in force, in the order they are tried (copies)."""
        with self._lock:
            return [dict(stub) for stub, _ in self._live()]

    def remove_stub(self, stub_id):
        # type: (str) -> bool
        """Remove the stub *stub_id*; return False if there was none."""
        with self._lock:
            for pair in self._live():
                if pair[0]['id'] == stub_id:
                    self.server.remove_route(pair[1])
                    self._stubs.remove(pair)
                    return True
        return False

    def reset(self):
        """Reset the server, then add the initial stubs again."""
        with self._lock:
            self.server.reset()
            self._stubs = []
            self._unmatched_response = None
        for stub in sort_stubs(self._initial):
            self.add_stub(stub)

    def close(self):
        """Wake every waiting long-poll now (they answer "not yet").

        Call before stopping the server, so stop() need not wait for them.
        Idempotent.
        """
        self._closed = True
        self.server.store.wake()

    # -- dispatch -----------------------------------------------------------
    def owns(self, request):
        # type: (Dict[str, Any]) -> bool
        """Return True if *request* is for the control API."""
        path = request.get('url_path') or ''
        return path == self.prefix or path.startswith(self.prefix + '/')

    def handle(self, request):
        # type: (Dict[str, Any]) -> Response
        """Answer one control *request* (a recorded request dict).

        Never raises: bad input gets a 4xx with a JSON ``{"error": ...}``
        body, and a bug a 500 with its text.  Blocks only for a wait.
        """
        try:
            self._authorise(request)
            status, document = self._dispatch(request)
        except _ClientError as exc:
            return _json_response(exc.status, {'error': str(exc)},
                                  exc.headers)
        except ConfigurationError as exc:
            return _json_response(422, {'error': str(exc)})
        except Exception as exc:  # a bug here must not kill the connection
            log.exception('control API failed on %s', request.get('path'))
            return _json_response(500, {'error': 'control API failed: %r'
                                        % (exc,)})
        return _json_response(status, document)

    def _authorise(self, request):
        headers = request.get('headers') or Headers()
        if self.token is None:
            peer = (request.get('client_address') or ('',))[0]
            if not is_loopback(str(peer)):
                raise _ClientError(403, 'the control API answers loopback '
                                   'clients only; start the server with a '
                                   'token to allow others')
            return
        given = headers.get(TOKEN_HEADER) or ''
        auth = headers.get('Authorization') or ''
        if auth.lower().startswith('bearer '):
            given = given or auth[7:].strip()
        if not hmac.compare_digest(given.encode('utf-8'),
                                   self.token.encode('utf-8')):
            raise _ClientError(401, 'the control API needs its token in the '
                               '%s header' % TOKEN_HEADER,
                               [('WWW-Authenticate', 'Bearer')])

    def _dispatch(self, request):
        rest = request['url_path'][len(self.prefix):].strip('/')
        parts = rest.split('/') if rest else []
        method = request.get('method')
        routes = [
            ([], {'GET': self._index}),
            (['mappings'], {'GET': self._list_mappings,
                            'POST': self._add_mapping,
                            'DELETE': self._remove_mappings}),
            (['mappings', 'import'], {'POST': self._import_mappings}),
            (['mappings', '*'], {'GET': self._get_mapping,
                                 'DELETE': self._remove_mapping}),
            (['requests'], {'GET': self._list_requests}),
            (['requests', 'unmatched'], {'GET': self._unmatched}),
            (['requests', 'count'], {'POST': self._count}),
            (['requests', 'find'], {'POST': self._find}),
            (['requests', 'wait'], {'POST': self._wait}),
            (['errors'], {'GET': self._errors}),
            (['check'], {'POST': self._check}),
            (['data'], {'GET': self._get_data, 'POST': self._set_data,
                        'DELETE': self._clear_data}),
            (['data', '*'], {'DELETE': self._del_data}),
            (['unmatched'], {'GET': self._get_unmatched,
                             'POST': self._set_unmatched,
                             'DELETE': self._clear_unmatched}),
            (['reset'], {'POST': self._reset}),
            (['shutdown'], {'POST': self._shutdown}),
        ]
        for pattern, methods in routes:
            if len(pattern) == len(parts) and all(
                    p == '*' or p == q for p, q in zip(pattern, parts)):
                handler = methods.get(method)
                if handler is None:
                    allowed = ', '.join(sorted(methods))
                    raise _ClientError(405, '%s %s takes %s' % (
                        method, request['url_path'], allowed),
                        [('Allow', allowed)])
                return handler(request, *[q for p, q in zip(pattern, parts)
                                          if p == '*'])
        raise _ClientError(404, 'no control endpoint %s; see GET %s/'
                           % (request['url_path'], self.prefix))

    # -- endpoints ----------------------------------------------------------
    def _index(self, request):
        return 200, {
            'url': self.server.url('/'), 'control': self.url(),
            'endpoints': ['GET|POST|DELETE mappings', 'POST mappings/import',
                          'GET|DELETE mappings/{id}', 'GET requests',
                          'GET requests/unmatched', 'POST requests/count',
                          'POST requests/find', 'POST requests/wait',
                          'GET errors', 'POST check', 'GET|POST|DELETE data',
                          'DELETE data/{key}', 'GET|POST|DELETE unmatched',
                          'POST reset',
                          'POST shutdown']}

    def _list_mappings(self, request):
        mappings = [to_wiremock(s) for s in self.stubs()]
        return 200, {'mappings': mappings, 'meta': {'total': len(mappings)}}

    def _add_mapping(self, request):
        return 201, to_wiremock(self.add_stub(_body(request)))

    def _import_mappings(self, request):
        stubs = parse_mappings(_body(request), 'import')
        return 200, {'mappings': [to_wiremock(self.add_stub(s))
                                  for s in stubs]}

    def _remove_mappings(self, request):
        removed = 0
        for stub in self.stubs():
            removed += self.remove_stub(stub['id'])
        return 200, {'removed': removed}

    def _get_mapping(self, request, stub_id):
        for stub in self.stubs():
            if stub['id'] == stub_id:
                return 200, to_wiremock(stub)
        raise _ClientError(404, 'no stub with id %s' % stub_id)

    def _remove_mapping(self, request, stub_id):
        if not self.remove_stub(stub_id):
            raise _ClientError(404, 'no stub with id %s' % stub_id)
        return 200, {'removed': 1}

    def _list_requests(self, request):
        entries = [entry_to_json(e) for e in self.server.history]
        return 200, {'requests': entries, 'meta': {'total': len(entries)}}

    def _unmatched(self, request):
        entries = [entry_to_json(e) for e in self.server.unexpected]
        return 200, {'requests': entries, 'meta': {'total': len(entries)}}

    def _matching(self, request):
        matcher = request_matcher(_body(request, {}))
        return [e for e in self.server.history if matcher.matches(e)]

    def _count(self, request):
        return 200, {'count': len(self._matching(request))}

    def _find(self, request):
        return 200, {'requests': [entry_to_json(e)
                                  for e in self._matching(request)]}

    def _wait(self, request):
        body = _body(request, {})
        if not isinstance(body, dict) or set(body) - set(['count', 'match',
                                                          'timeout']):
            raise _ClientError(400, 'a wait takes {"count": N, "match": '
                               '{...}, "timeout": seconds}')
        count, timeout = body.get('count', 1), body.get('timeout', 5.0)
        if isinstance(count, bool) or not isinstance(
                count, six.integer_types) or count < 0:
            raise _ClientError(400, 'count must be a whole number >= 0, got '
                               '%r' % (count,))
        if isinstance(timeout, bool) or not isinstance(
                timeout, six.integer_types + (float,)) or \
                not 0 <= timeout <= MAX_WAIT:
            raise _ClientError(400, 'timeout must be seconds from 0 to %d, '
                               'got %r' % (MAX_WAIT, timeout))
        matcher = request_matcher(body.get('match'))
        ok, found = self._wait_for(count, matcher.matches, timeout)
        document = {'ok': ok, 'count': len(found),
                    'requests': [entry_to_json(e) for e in found]}
        return (200 if ok else 408), document

    def _wait_for(self, count, predicate, timeout):
        # Like Server.wait, and ended by close() so a stop is not held up.
        return self.server.store.wait(count, predicate, timeout,
                                       cancelled=lambda: self._closed)

    def _errors(self, request):
        return 200, {'errors': [_error_json(e) for e in self.server.errors]}

    def _check(self, request):
        try:
            self.server.check()
        except HandlerError as exc:
            return 200, {'ok': False, 'error': 'HandlerError',
                         'message': str(exc),
                         'errors': [_error_json(e) for e in exc.errors]}
        except VerificationError as exc:
            return 200, {'ok': False, 'error': 'VerificationError',
                         'message': str(exc)}
        return 200, {'ok': True}

    def _get_data(self, request):
        return 200, to_json(self.server.data.copy())

    def _set_data(self, request):
        body = _body(request)
        if not isinstance(body, dict):
            raise _ClientError(400, 'give a JSON object of key -> value, '
                               'e.g. {"response_status": 404}')
        self.server.data.update(from_json(body))
        return 200, to_json(self.server.data.copy())

    def _clear_data(self, request):
        self.server.data.clear()
        return 200, {}

    def _del_data(self, request, key):
        self.server.data.pop(key, None)
        return 200, to_json(self.server.data.copy())

    def _get_unmatched(self, request):
        return 200, {'response': self._unmatched_response}

    def _set_unmatched(self, request):
        body = _body(request)
        spec = response_spec({'response': body})
        spec.pop('fault', None)
        self.server.unmatched_response = spec
        self._unmatched_response = body
        return 200, {'response': body}

    def _clear_unmatched(self, request):
        self.server.unmatched_response = None
        self._unmatched_response = None
        return 200, {'response': None}

    def _reset(self, request):
        self.reset()
        return 200, {'ok': True}

    def _shutdown(self, request):
        self.close()
        thread = threading.Thread(target=self._on_shutdown,
                                  name='httptestserver-shutdown')
        thread.daemon = True
        thread.start()
        return 200, {'ok': True}


def _error_json(error):
    line, exc, text = error
    return {'request': line, 'error': repr(exc), 'traceback': text}


def _body(request, default=None):
    body = request.get('body') or b''
    if not body.strip():
        if default is not None:
            return default
        raise _ClientError(400, 'this endpoint needs a JSON body')
    try:
        return jsonlib.loads(body.decode('utf-8'))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _ClientError(400, 'the body is not JSON: %s' % exc)


def _json_response(status, document, headers=()):
    body = jsonlib.dumps(document, sort_keys=True).encode('utf-8')
    return Response(status, [('Content-Type', 'application/json')] +
                    list(headers), body)


def enable_control(server, token=None, prefix=PREFIX, stubs=(),
                   on_shutdown=None):
    # type: (Any, Optional[str], str, Any, Any) -> ControlAPI
    """Turn the control API on for *server*; return the :class:`ControlAPI`.

    Sets ``server.control``, which the handler consults before recording a
    request.  See :class:`ControlAPI` for the arguments and what they raise.
    """
    control = ControlAPI(server, token, prefix, stubs, on_shutdown)
    server.control = control
    return control
