"""The child process's server API: the in-thread API, over the control API.

:class:`ChildServer` runs an httptestserver in a child process (its life is
:class:`~httptestserver.remote.child.ChildProcess`'s: started with ``python -m
httptestserver``, ready before it returns, never outliving the parent) and
drives it through its control API: the same ``url()``, ``data``,
``route()``, ``history``, ``wait()``, ``assert_requested()``, ``check()``,
``reset()`` and ``stop()`` as the in-thread :class:`~httptestserver.Server`,
with routes given as data.  This module owns the client side of the control
API: each call is one HTTP request to the child.
"""
import json as jsonlib
import os
import ssl
import threading

import six
from six.moves import http_client
from six.moves.urllib.parse import urlsplit

from .. import tls
from .child import ChildProcess, forget_at_exit, server_args, \
    stop_at_exit
from .codec import entry_from_json, from_json, to_json
from .control import PREFIX, TOKEN_HEADER
from ..errors import ConfigurationError, HandlerError, HttpTestServerError, \
    ServerStateError, VerificationError, WaitTimeout
from ..headers import Headers
from .specs import described, request_line, route_match, \
    stub_response
from ..answers.routes import NOT_SET, response_list
from ..answers.matchers import Matcher
from .stubs import normalise_stub
from .wiremock import from_wiremock

__all__ = ['ChildServer', 'start_child_server', 'RemoteError']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List, Optional  # noqa: F401


class RemoteError(HttpTestServerError):
    """An exception raised in the child process, as text (its ``repr``)."""


class ChildServer(object):
    """An httptestserver in a child process, with the in-thread API.

    Creating one starts the child and returns once it listens: ``host``,
    ``port``, ``scheme``, ``certfile``, ``keyfile``, ``client_cert`` and
    ``cafile`` mean what they mean for :class:`~httptestserver.Server`;
    ``stubs`` is a path (or list of paths) of stub files, or a list of stub
    dicts; ``control_token`` makes the child require a token;
    ``start_timeout`` bounds the start; ``python`` picks the interpreter
    (default: this one).  A failed start raises
    :class:`ConfigurationError` (a bad argument) or :class:`ServerStateError`
    with the child's error output, and leaves no process behind.

    Every method is thread-safe; each call is one request to the child's
    control API (on loopback: a millisecond or so).  Use it as a context
    manager to stop (and :meth:`check`) it on exit.
    """

    def __init__(self, host=None, port=None, scheme='http', certfile=None,
                 keyfile=None, client_cert=None, cafile=None, stubs=None,
                 control_token=None, start_timeout=30.0, python=None,
                 control_cert=None):
        # type: (Optional[str], Optional[int], str, Optional[str], Optional[str], Optional[str], Optional[str], Any, Optional[str], float, Optional[str], Any) -> None
        args = server_args(host, port, scheme, certfile, keyfile,
                           client_cert, cafile)
        self._lock = threading.Lock()
        self._stopped = False
        self.control_token = control_token
        stub_dicts = []
        for item in ([] if stubs is None else [stubs] if isinstance(
                stubs, six.string_types) else stubs):
            if isinstance(item, six.string_types):
                args += ['--stubs', os.path.abspath(item)]
            else:
                stub_dicts.append(item)
        self._child = ChildProcess(args, control_token, start_timeout, python)
        try:
            self._parse_ready()
            self._context = self._control_context(client_cert, cafile,
                                                  control_cert)
            if stub_dicts:
                self.add_stubs(stub_dicts)
        except BaseException:
            self._kill()
            raise
        stop_at_exit(self)

    # -- starting --------------------------------------------------------
    def _parse_ready(self):
        self.ca_file = self._child.ca_file
        self.control_url = self._child.control_url
        self._url = self._child.url
        parts = urlsplit(self._url)
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port
        self._netloc = parts.netloc

    def _control_context(self, client_cert, cafile, control_cert):
        if self.scheme != 'https':
            return None
        if control_cert is None and client_cert is not None and \
                cafile is None:
            control_cert = True  # the bundled client cert, signed by the CA
        if self.ca_file is not None:
            return tls.client_context(self.ca_file, control_cert or False)
        # Our own child on loopback, serving the caller's certificate.
        context = ssl.SSLContext(getattr(ssl, 'PROTOCOL_TLS_CLIENT', None) or
                                 ssl.PROTOCOL_SSLv23)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        if control_cert:
            certfile, keyfile = (control_cert if isinstance(
                control_cert, (tuple, list)) else (control_cert, None))
            context.load_cert_chain(certfile, keyfile)
        return context

    def _error_text(self):
        return self._child.error_text()

    # -- identity ----------------------------------------------------------
    @property
    def pid(self):
        """The child's process id."""
        return self._child.pid

    @property
    def address(self):
        """``(host, port)`` the child listens on."""
        return self.host, self.port

    def url(self, path='/'):
        # type: (str) -> str
        """Compose a full URL to the server from the url path."""
        if not path.startswith('/'):
            path = '/' + path
        return '%s://%s%s' % (self.scheme, self._netloc, path)

    @property
    def running(self):
        """True until :meth:`stop`, while the child is alive."""
        return not self._stopped and self._child.poll() is None

    def __repr__(self):
        state = 'running' if self.running else 'stopped'
        return '<ChildServer %s pid %d %s>' % (self.url('').rstrip('/'),
                                               self.pid, state)

    # -- the control API, client side ----------------------------------------
    def _call(self, method, path, document=None, timeout=10.0,
              ok=(200, 201)):
        """Call the control API; return ``(status, decoded JSON)``."""
        if self._stopped:
            raise ServerStateError('%r was stopped; start a new one' % self)
        body = None if document is None else jsonlib.dumps(document)
        headers = {'Content-Type': 'application/json'}
        if self.control_token is not None:
            headers[TOKEN_HEADER] = self.control_token
        if self.scheme == 'https':
            conn = http_client.HTTPSConnection(self.host, self.port,
                                               timeout=timeout,
                                               context=self._context)
        else:
            conn = http_client.HTTPConnection(self.host, self.port,
                                              timeout=timeout)
        try:
            conn.request(method, PREFIX + '/' + path, body, headers)
            response = conn.getresponse()
            status, data = response.status, response.read()
        except (IOError, OSError, http_client.HTTPException) as exc:
            code = self._child.poll()
            raise ServerStateError(
                'the control API of %r did not answer %s %s: %s%s' % (
                    self, method, path, exc, '' if code is None else
                    '; the child exited with status %s: %s'
                    % (code, self._error_text())))
        finally:
            conn.close()
        try:
            decoded = jsonlib.loads(data.decode('utf-8'))
        except ValueError:
            decoded = {'error': data.decode('utf-8', 'replace')}
        if status not in ok:
            message = decoded.get('error') if isinstance(decoded, dict) \
                else decoded
            if status in (400, 422):
                raise ConfigurationError(message)
            raise ServerStateError('%s %s answered %d: %s' % (
                method, path, status, message))
        return status, decoded

    # -- lifecycle ------------------------------------------------------------
    def start(self):
        # type: () -> ChildServer
        """Return self: the child serves from creation.  Raises
        :class:`ServerStateError` once stopped."""
        if self._stopped:
            raise ServerStateError('%r was stopped and cannot serve again; '
                                   'create a new ChildServer' % self)
        return self

    def stop(self, timeout=5.0):
        # type: (float) -> None
        """Stop the child and return once it has exited.

        Asks it to shut down over the control API and closes its standard
        input; past *timeout* seconds, kills it by PID.  Idempotent,
        thread-safe.
        """
        with self._lock:
            if self._stopped:
                return
            try:
                if self._child.poll() is None:
                    try:
                        self._call('POST', 'shutdown', timeout=min(timeout,
                                                                   2.0))
                    except HttpTestServerError:
                        pass  # closing stdin or the kill below will do
            finally:
                self._stopped = True
                self._kill(timeout)

    close = stop

    def _kill(self, timeout=5.0):
        self._child.kill(timeout)
        self._stopped = True
        forget_at_exit(self)

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None and self.running:
                self.check()
        finally:
            self.stop()

    # -- state ---------------------------------------------------------------
    @property
    def data(self):
        """The child's ``data`` dict, read and written over the control
        API (each access is one call)."""
        return RemoteData(self)

    @property
    def response_data(self):
        """All user-defined response properties (the ``response_*``
        keys)."""
        return dict((k, v) for k, v in self.data.copy().items()
                    if k.startswith('response_'))

    @property
    def history(self):
        """Copies of the recorded requests, oldest first."""
        return [entry_from_json(e) for e in
                self._call('GET', 'requests')[1]['requests']]

    @property
    def unexpected(self):
        """Requests no route matched, oldest first."""
        return [entry_from_json(e) for e in
                self._call('GET', 'requests/unmatched')[1]['requests']]

    @property
    def errors(self):
        """Server-side failures not yet raised by :meth:`check`:
        ``(request_line, RemoteError, traceback_text)`` tuples."""
        return [(e['request'], RemoteError(e['error']), e['traceback'])
                for e in self._call('GET', 'errors')[1]['errors']]

    def reset(self):
        # type: () -> None
        """Forget data, history, routes and errors (stubs given at start
        come back)."""
        self._call('POST', 'reset')

    @property
    def unmatched_response(self):
        """The answer to a request no route matches (None: an explaining
        500), as a stub response dict.  Set it with any response form
        :meth:`route` takes."""
        return self._call('GET', 'unmatched')[1]['response']

    @unmatched_response.setter
    def unmatched_response(self, value):
        if value is None:
            self._call('DELETE', 'unmatched')
        else:
            self._call('POST', 'unmatched',
                       stub_response(value, 'unmatched_response'))

    # -- routes --------------------------------------------------------------
    def route(self, path, response=NOT_SET, method=None, query=None,
              times=None, responses=None, match=None, **fields):
        # type: (Any, Any, Any, Any, Optional[int], Optional[List[Any]], Optional[Dict[str, Any]], **Any) -> RemoteRoute
        """Answer requests for *path* with a response; return the route.

        Takes what :meth:`httptestserver.Server.route` takes, as data: a
        response as an int, bytes, text, dict or tuple (not a callable: it
        cannot cross into the child), and ``match`` as a request-matching
        dict.  Raises :class:`ConfigurationError` for a callable or a bad
        value.
        """
        specs = response_list(response, responses, fields)
        if responses is not None and times is not None:
            raise ConfigurationError(
                'times with a sequence of responses is not supported in a '
                'child process; give times with one response')
        spec_match = route_match(path, method, query, match)
        stubs = []
        for index, spec in enumerate(specs):
            name = 'responses[%d]' % index if len(specs) > 1 else 'response'
            stubs.append(normalise_stub({
                'match': spec_match, 'response': stub_response(spec, name),
                'times': 1 if len(specs) > 1 else times}))
        added = self.add_stubs(stubs)
        return RemoteRoute(self, added)

    def add_stubs(self, stubs):
        """Add stubs (our dicts or WireMock mappings); return them as
        stubs."""
        document = self._call('POST', 'mappings/import',
                              {'mappings': list(stubs)})[1]
        return [from_wiremock(m) for m in document['mappings']]

    def export_stubs(self):
        """Return the stubs in force as ``{"mappings": [...]}`` (WireMock's
        form), ready to write to a file that ``stubs=`` loads."""
        document = self._call('GET', 'mappings')[1]
        return {'mappings': document['mappings']}

    @property
    def routes(self):
        """The routes (stubs) in force, in the order tried."""
        return [RemoteRoute(self, [from_wiremock(m)]) for m in
                self._call('GET', 'mappings')[1]['mappings']]

    def remove_route(self, route):
        """Stop answering with *route*; harmless if already gone."""
        for stub in route.stubs:
            try:
                self._call('DELETE', 'mappings/' + stub['id'])
            except ServerStateError:
                pass

    # -- verification ---------------------------------------------------------
    def wait(self, count=1, method=None, path=None, timeout=5.0, match=None):
        # type: (int, Any, Any, Optional[float], Optional[Dict[str, Any]]) -> List[Dict[str, Any]]
        """Block until *count* requests (matching *method*/*path*/*match*)
        arrived; return them.  A long-poll: one call, answered as soon as
        they are there.  Raises :class:`WaitTimeout` after *timeout*."""
        if isinstance(count, bool) or not isinstance(
                count, six.integer_types) or count < 0:
            raise ConfigurationError('count must be a whole number >= 0, got '
                                     '%r' % (count,))
        if timeout is None:
            timeout = 300.0
        spec = route_match(path, method, None, match)
        status, document = self._call(
            'POST', 'requests/wait', {'count': count, 'match': spec,
                                      'timeout': timeout},
            timeout=timeout + 10.0, ok=(200, 408))
        found = [entry_from_json(e) for e in document['requests']]
        if status == 408:
            raise WaitTimeout('expected %d request(s)%s within %ss, saw %d%s'
                              % (count, described(spec), timeout, len(found),
                                 self._seen()))
        return found

    def assert_requested(self, path=None, method=None, times=None,
                         query=None, match=None):
        # type: (Any, Any, Optional[int], Any, Optional[Dict[str, Any]]) -> List[Dict[str, Any]]
        """Assert requests matching were received (``times=None``: at
        least once, else exactly); return them.  Raises
        :class:`VerificationError` listing what was seen."""
        spec = route_match(path, method, query, match)
        found = [entry_from_json(e) for e in self._call(
            'POST', 'requests/find', spec)[1]['requests']]
        if (times is None and found) or len(found) == times:
            return found
        expected = 'at least once' if times is None else '%d time(s)' % times
        raise VerificationError('expected %s%s %s, got %d%s' % (
            'a request' if times is None else 'requests', described(spec),
            expected, len(found), self._seen()))

    def assert_no_unexpected(self):
        """Assert every request matched a route."""
        unexpected = self.unexpected
        if unexpected:
            raise VerificationError('%d request(s) matched no route: %s' % (
                len(unexpected),
                ', '.join(request_line(e) for e in unexpected)))

    def check(self):
        # type: () -> None
        """Raise what went wrong in the child, then forget it: a
        :class:`HandlerError` with the child's tracebacks, else a
        :class:`VerificationError` for unmatched requests."""
        document = self._call('POST', 'check')[1]
        if document.get('ok'):
            return
        if document.get('error') == 'HandlerError':
            raise HandlerError(document['message'], [
                (e['request'], RemoteError(e['error']), e['traceback'])
                for e in document.get('errors', [])])
        raise VerificationError(document.get('message'))

    def _seen(self):
        history = self.history
        if not history:
            return ' (no requests at all; is the client using %s?)' % \
                self.url('')
        return '; seen: %s' % ', '.join(request_line(e)
                                        for e in history[-10:])

    # -- TLS for clients ------------------------------------------------------
    def client_context(self, client_cert=False):
        """Return a new client ``ssl.SSLContext`` that trusts this server."""
        if self.scheme != 'https':
            raise ConfigurationError('%r is plain HTTP: it has no TLS to '
                                     'trust' % self)
        if self.ca_file is None:
            raise ConfigurationError('%r serves your own certificate; trust '
                                     'its CA yourself' % self)
        return tls.client_context(self.ca_file, client_cert)


class RemoteRoute(object):
    """A route in a child process: the stub(s) it was added as."""

    def __init__(self, server, stubs):
        self.server = server
        self.stubs = list(stubs)

    @property
    def id(self):
        """The id of the (first) stub."""
        return self.stubs[0]['id']

    def describe(self):
        return Matcher(self.stubs[0]['match']).describe()

    @property
    def calls(self):
        """The requests this route's match selects (from the history)."""
        return [entry_from_json(e) for e in self.server._call(
            'POST', 'requests/find', self.stubs[0]['match'])[1]['requests']]

    def __repr__(self):
        return '<RemoteRoute %s>' % self.describe()


class RemoteData(object):
    """The child's ``data`` dict; each access is one control API call."""

    def __init__(self, server):
        self._server = server

    def copy(self):
        """Return a plain ``dict`` snapshot."""
        data = from_json(self._server._call('GET', 'data')[1])
        for key in ('headers', 'response_headers'):
            if isinstance(data.get(key), list):
                data[key] = Headers([tuple(p) for p in data[key]])
        return data

    def __getitem__(self, key):
        return self.copy()[key]

    def get(self, key, default=None):
        return self.copy().get(key, default)

    def __contains__(self, key):
        return key in self.copy()

    def __iter__(self):
        return iter(list(self.copy()))

    def __len__(self):
        return len(self.copy())

    def keys(self):
        return list(self.copy().keys())

    def values(self):
        return list(self.copy().values())

    def items(self):
        return list(self.copy().items())

    def __setitem__(self, key, value):
        self.update({key: value})

    def update(self, *args, **kws):
        values = dict(*args, **kws)
        if isinstance(values.get('response_headers'), Headers):
            values['response_headers'] = values['response_headers'].items_all()
        self._server._call('POST', 'data', to_json(values))

    def __delitem__(self, key):
        if key not in self:
            raise KeyError(key)
        self._server._call('DELETE', 'data/' + key)

    def pop(self, key, *default):
        data = self.copy()
        if key not in data:
            if default:
                return default[0]
            raise KeyError(key)
        self._server._call('DELETE', 'data/' + key)
        return data[key]

    def setdefault(self, key, default=None):
        data = self.copy()
        if key not in data:
            self[key] = default
            return default
        return data[key]

    def clear(self):
        self._server._call('DELETE', 'data')

    def __eq__(self, other):
        return self.copy() == other

    def __ne__(self, other):
        return not self == other

    __hash__ = None  # type: ignore

    def __repr__(self):
        return repr(self.copy())


def start_child_server(*args, **kws):
    # type: (*Any, **Any) -> ChildServer
    """Start and return a :class:`ChildServer` (the same arguments)."""
    return ChildServer(*args, **kws)
