"""The control API: drive a running server over HTTP, from any language.

Under a reserved prefix (``/__admin``, WireMock's shape) a server answers
requests that add, list and remove stubs, read, count and wait for recorded
requests, read server-side errors, set the ``data`` ``response_*`` settings,
reset and shut down.  :class:`ControlAPI` owns who may call it (a token, or
loopback peers only), the stubs it added (in priority order, WireMock's
newest first among equals), the stubs directory it reloads, WireMock's
global settings, and turning one recorded request dict into one
:class:`~httptestserver.answers.responses.Response`; the handler calls it
before recording anything, so control traffic never shows in the history.
What each endpoint does is :mod:`httptestserver.remote.endpoints` (WireMock's
own in :mod:`httptestserver.remote.admin`); the JSON shapes are
:mod:`httptestserver.remote.codec`; sockets and threads stay with the server.
"""
import hmac
import json as jsonlib
import logging
import os
import re
import threading

import six

from ..errors import ConfigurationError
from ..headers import Headers
from ..answers.responses import Response
from ..store.scenarios import Scenarios
from .endpoints import ClientError, Endpoints
from .stubs import normalise_stub, sort_stubs, stub_route
from .wiremock import load_stubs, save_stubs, to_stub

__all__ = ['ControlAPI', 'enable_control', 'is_loopback', 'PREFIX',
           'TOKEN_HEADER']

log = logging.getLogger('httptestserver')

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List, Optional  # noqa: F401

#: The reserved path prefix of the control API.
PREFIX = '/__admin'
#: The request header that carries the token (``Authorization: Bearer``
#: works too).
TOKEN_HEADER = 'X-Httptestserver-Token'
#: The host names a control request may be addressed to, besides the
#: server's own address (a DNS-rebinding page sends its own name).
HOST_NAMES = ('127.0.0.1', '::1', 'localhost')

_LOOPBACK = re.compile(r'^(127\.\d+\.\d+\.\d+|::1|localhost|::ffff:127\.'
                       r'\d+\.\d+\.\d+)$')


def is_loopback(host):
    """Return True if *host* is a loopback address or ``localhost``."""
    return bool(_LOOPBACK.match(host or ''))


class ControlAPI(Endpoints):
    """The control API of one *server*; see the module docstring.

    *token*, when given, must come with every control request (header
    ``X-Httptestserver-Token`` or ``Authorization: Bearer``).  A server
    bound to a non-loopback address requires one (else
    :class:`ConfigurationError`); without one, control requests from a
    non-loopback peer get a 403.  *stubs* are added now and again after each
    reset.  *on_shutdown* is called (in a new thread) by ``POST
    /__admin/shutdown``; by default it stops the server.  *root*, a stubs
    directory in WireMock's layout, is loaded too, read anew on each
    reset, holds the ``__files`` of ``bodyFileName`` and receives
    ``mappings/save``.  Thread-safe.
    """

    def __init__(self, server, token=None, prefix=PREFIX, stubs=(),
                 on_shutdown=None, root=None):
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
        #: The stubs directory (WireMock's root: ``mappings/``, ``__files/``)
        #: that ``mappings/reset`` reloads and ``mappings/save`` writes.
        self.root = root
        # shared with the server's routes (route(..., scenario=...))
        self.scenarios = getattr(server, 'scenarios', None) or Scenarios()
        #: WireMock's global settings (``fixedDelay``, milliseconds).
        self.settings = {}  # type: Dict[str, Any]
        self._load_initial()

    def _load_initial(self):
        stubs = self._initial
        if self.root is not None:
            stubs = stubs + load_stubs(self.root)
        for stub in sort_stubs(stubs):  # files keep their order
            self.add_stub(stub, newest_first=False)

    def __repr__(self):
        return '<ControlAPI %s>' % self.url()

    def url(self, path=''):
        """The control API's URL (with *path* after the prefix)."""
        return self.server.url(self.prefix + '/' + path.lstrip('/'))

    # -- stubs --------------------------------------------------------------
    def add_stub(self, stub, replace=False, newest_first=None):
        # type: (Dict[str, Any], bool, Any) -> Dict[str, Any]
        """Register *stub* (our form or WireMock's) as a route; return it.

        Lower ``priority`` first (default 5).  Among equals a WireMock
        mapping goes first (*newest_first*: WireMock's rule) and a stub in
        our form last (``Server.route``'s rule: the first added wins).
        *replace* swaps a stub of the same id in place.  Raises
        :class:`ConfigurationError` for a bad stub, a taken id or a fault
        this server cannot produce.
        """
        if newest_first is None:
            newest_first = not (isinstance(stub, dict) and 'match' in stub)
        stub = to_stub(stub)
        files = None
        if self.root is not None:
            files = os.path.join(self.root, '__files')
        route = stub_route(stub, files, self.scenarios,
                           self.settings.get('fixedDelay'))
        rank = _priority(stub)
        with self._lock:
            live = self._ordered()
            old = [p for p in live if p[0]['id'] == stub['id']]
            if old and not replace:
                raise ConfigurationError('stub id %r is taken; remove it '
                                         'first or give another id'
                                         % stub['id'])
            if old and _priority(old[0][0]) == rank:
                before = old[0][1]  # in its place
            else:
                before = next((p[1] for p in live if p not in old and (
                    _priority(p[0]) >= rank if newest_first
                    else _priority(p[0]) > rank)), None)
            self.server.store.add_route(route, before)
            for pair in old:
                self.server.remove_route(pair[1])
                self._stubs.remove(pair)
            self._stubs.append([stub, route])
        return stub

    def check_persistent(self, mapping):
        """Refuse ``"persistent": true`` when there is no root to write
        to (WireMock would write the file; saying nothing would lose it)."""
        if isinstance(mapping, dict) and mapping.get('persistent') is True \
                and self.root is None:
            raise ConfigurationError(
                'persistent: true needs a stubs directory to write to; start '
                'the server with --stubs DIR (root=) or leave it out')

    def persist(self, mapping, stub):
        """Write *stub* to the root's ``mappings/`` now if its *mapping*
        says ``"persistent": true`` (WireMock's rule); return the stub."""
        if isinstance(mapping, dict) and mapping.get('persistent') is True:
            save_stubs(self.root, [stub])
        return stub

    def apply_settings(self, settings):
        """Replace WireMock's global settings and re-add every stub under
        them, each in its place."""
        with self._lock:
            self.settings.clear()
            self.settings.update(settings)
        for stub in self.stubs():
            self.add_stub(stub, replace=True)

    def _ordered(self):
        order = dict((id(r), i) for i, r in enumerate(self.server.routes))
        return sorted(self._live(), key=lambda p: order.get(id(p[1]), 0))

    def _live(self):
        routes = self.server.routes
        self._stubs = [p for p in self._stubs if p[1] in routes]
        return list(self._stubs)

    def stubs(self):
        # type: () -> List[Dict[str, Any]]
        """The stubs in force, in the order they are tried (copies)."""
        with self._lock:
            return [dict(stub) for stub, _ in self._ordered()]

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

    def reset(self, history=True):
        """Reset the server, then add the initial stubs again (and those of
        the stubs directory, read anew); scenarios start again.  Without
        *history*, only the stubs are reset (WireMock's
        ``mappings/reset``)."""
        if self.root is not None:
            load_stubs(self.root)  # a bad file: refuse before removing
        with self._lock:
            if history:
                self.server.reset()
                self._unmatched_response = None
                self.settings.clear()
            else:
                for _, route in self._live():
                    self.server.remove_route(route)
            self._stubs = []
        self.scenarios.reset()  # back to Started (the server's forgot)
        self._load_initial()

    def close(self):
        """Wake every waiting long-poll now (they answer "not yet").

        Call before stopping the server, so stop() need not wait for them.
        Idempotent.
        """
        self._closed = True
        self.server.store.wake()

    # -- requests -----------------------------------------------------------
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
        except ClientError as exc:
            return _json_response(exc.status, {'error': _message(exc)},
                                  exc.headers)
        except ConfigurationError as exc:
            return _json_response(422, {'error': _message(exc)})
        except Exception as exc:  # a bug here must not kill the connection
            log.exception('control API failed on %s', request.get('path'))
            return _json_response(500, {'error': 'control API failed: %r'
                                        % (exc,)})
        return _json_response(status, document)

    def _authorise(self, request):
        headers = request.get('headers') or Headers()
        self._refuse_web_pages(request, headers)
        self._authorise_peer(request, headers)
        body = request.get('body') or b''
        kind = (headers.get('Content-Type') or '').split(';')[0]
        if body and kind.strip().lower() != 'application/json':
            raise ClientError(415, 'the control API takes JSON bodies sent '
                              'with Content-Type: application/json, got %s; '
                              'a web page can post text/plain and forms to '
                              'any server, so they are refused'
                              % (repr(kind) if kind else 'none'))

    def _refuse_web_pages(self, request, headers):
        """Refuse what only a browser would send: a page served from
        elsewhere (Origin), or a host name that is not ours (DNS
        rebinding: a page's own name, resolving to us).  With a token, the
        token guards, so the server may be reached by any name."""
        host = headers.get('Host')
        own = _host_name(str(getattr(self.server, 'host', '')))
        if self.token is None and host is not None and \
                _host_name(host) not in HOST_NAMES + (own,):
            raise ClientError(403, 'the control API answers requests for '
                              'Host %s only, not %r (a web page reaching it '
                              'by DNS rebinding sends its own name); call it '
                              'at %s' % (', '.join(HOST_NAMES), host,
                                         self.url()))
        origin = headers.get('Origin')
        if origin is None:
            return
        scheme = request.get('scheme') or self.server.scheme
        same = set([self.server.url('/').rstrip('/').lower()])
        if host is not None:
            same.add(('%s://%s' % (scheme, host)).lower())
        if origin.strip().rstrip('/').lower() not in same:
            raise ClientError(403, 'the control API does not answer web '
                              'pages of other origins, such as Origin %r; '
                              'call it from a test, a script or its own '
                              'origin' % (origin,))

    def _authorise_peer(self, request, headers):
        if self.token is None:
            peer = (request.get('client_address') or ('',))[0]
            if not is_loopback(str(peer)):
                raise ClientError(403, 'the control API answers loopback '
                                  'clients only; start the server with a '
                                  'token to allow others')
            return
        given = headers.get(TOKEN_HEADER) or ''
        auth = headers.get('Authorization') or ''
        if auth.lower().startswith('bearer '):
            given = given or auth[7:].strip()
        if not hmac.compare_digest(given.encode('utf-8'),
                                   self.token.encode('utf-8')):
            raise ClientError(401, 'the control API needs its token in the '
                              '%s header' % TOKEN_HEADER,
                              [('WWW-Authenticate', 'Bearer')])


def _priority(stub):
    return 5 if stub.get('priority') is None else stub['priority']


def _host_name(host):
    """The name part of a Host header (or an address), lower-case."""
    host = host.strip().lower()
    if host.startswith('['):
        return host[1:].partition(']')[0]
    if host.count(':') == 1:
        return host.partition(':')[0]
    return host  # a name, or a bare IPv6 address


def _message(exc):
    """Return the text of *exc*.  Python 2: str() of an exception whose
    message is non-ASCII unicode (a field named from JSON) fails, and
    unicode() of one whose message is non-ASCII bytes."""
    if six.PY2:
        message = exc.args[0] if len(exc.args) == 1 else exc
        if isinstance(message, six.text_type):
            return message
        return str(message).decode('utf-8', 'replace')
    return str(exc)


def _json_response(status, document, headers=()):
    body = jsonlib.dumps(document, sort_keys=True).encode('utf-8')
    return Response(status, [('Content-Type', 'application/json')] +
                    list(headers), body)


def enable_control(server, token=None, prefix=PREFIX, stubs=(),
                   on_shutdown=None, root=None):
    # type: (Any, Optional[str], str, Any, Any, Any) -> ControlAPI
    """Turn the control API on for *server*; return the :class:`ControlAPI`.

    Sets ``server.control``, which the handler consults before recording a
    request.  See :class:`ControlAPI` for the arguments and what they raise.
    """
    control = ControlAPI(server, token, prefix, stubs, on_shutdown, root)
    server.control = control
    return control
