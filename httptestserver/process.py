"""The child process: the server's API, with the server in another process.

:class:`ChildServer` starts ``python -m httptestserver`` with the same
interpreter, reads the bound URL from the child's standard output before it
returns (no sleeping), and then drives the child through its control API:
the same ``url()``, ``data``, ``route()``, ``history``, ``wait()``,
``assert_requested()``, ``check()``, ``reset()`` and ``stop()`` as the
in-thread :class:`~httptestserver.Server`, with routes given as data.  The
child never outlives the parent: it exits when its standard input (a pipe
from the parent) reaches end of file, whatever killed the parent, and on
``SIGTERM`` or Ctrl-C; :meth:`ChildServer.stop` ends it by PID if it does not
exit in time.  This module owns the child's life and the client side of the
control API.
"""
import atexit
import errno
import json as jsonlib
import os
import re
import select
import ssl
import subprocess
import sys
import tempfile
import threading
import weakref

import six
from six.moves import http_client
from six.moves.urllib.parse import urlsplit

from . import tls
from ._compat import monotonic
from .control import PREFIX, TOKEN_HEADER, entry_from_json, from_json, to_json
from .errors import ConfigurationError, HandlerError, HttpTestServerError, \
    ServerStateError, VerificationError, WaitTimeout
from .headers import Headers
from .responses import spec_dict
from .routes import NOT_SET, response_list
from .matchers import Matcher
from .stubs import normalise_stub
from .wiremock import from_wiremock

__all__ = ['ChildServer', 'start_child_server', 'RemoteError']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List, Optional  # noqa: F401

_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_READY = 'Press Ctrl-C to stop.'
_CHILDREN = weakref.WeakSet()  # type: Any


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
        if scheme not in ('http', 'https'):
            raise ConfigurationError('scheme must be "http" or "https", got '
                                     '%r' % (scheme,))
        self._lock = threading.Lock()
        self._stopped = False
        self._proc = None  # type: Any
        self._owner = os.getpid()  # a forked copy must not stop our child
        self.control_token = control_token
        args = ['--quiet', '--exit-with-stdin']
        if host is not None:
            args += ['--host', str(host)]
        if port is not None:
            args += ['--port', str(port)]
        if scheme == 'https':
            args.append('--https')
            for flag, value in (('--certfile', certfile),
                                ('--keyfile', keyfile),
                                ('--client-cert', client_cert),
                                ('--cafile', cafile)):
                if value is not None:
                    args += [flag, str(value)]
        else:
            for name, value in (('certfile', certfile), ('keyfile', keyfile),
                                ('client_cert', client_cert),
                                ('cafile', cafile)):
                if value is not None:
                    raise ConfigurationError(
                        '%s is only used with HTTPS; pass scheme="https"'
                        % name)
        stub_dicts = []
        for item in ([] if stubs is None else [stubs] if isinstance(
                stubs, six.string_types) else stubs):
            if isinstance(item, six.string_types):
                args += ['--stubs', os.path.abspath(item)]
            else:
                stub_dicts.append(item)
        env = dict(os.environ)
        env['PYTHONUNBUFFERED'] = '1'
        if os.path.basename(_PACKAGE_PARENT) not in ('site-packages',
                                                      'dist-packages'):
            # A source checkout: let the child import this very package.
            env['PYTHONPATH'] = os.pathsep.join(
                [_PACKAGE_PARENT] + [p for p in [env.get('PYTHONPATH')] if p])
        if control_token is not None:
            env['HTTPTESTSERVER_CONTROL_TOKEN'] = control_token
        else:
            env.pop('HTTPTESTSERVER_CONTROL_TOKEN', None)
        self._stderr = tempfile.TemporaryFile()
        command = [python or sys.executable, '-m', 'httptestserver'] + args
        self._proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr, close_fds=True, env=env)
        _cloexec(self._proc.stdin)
        try:
            lines = self._read_ready(start_timeout)
            self._parse_ready(lines)
            self._context = self._control_context(client_cert, cafile,
                                                  control_cert)
            if stub_dicts:
                self.add_stubs(stub_dicts)
        except BaseException:
            self._kill()
            raise
        _CHILDREN.add(self)

    # -- starting --------------------------------------------------------
    def _read_ready(self, timeout):
        """Read the child's banner lines up to the ready line."""
        deadline = monotonic() + timeout
        fd = self._proc.stdout.fileno()
        data = b''
        while _READY.encode('ascii') not in data:
            remaining = deadline - monotonic()
            if remaining <= 0:
                raise ServerStateError(
                    'the child server did not start within %ss; its output '
                    'was: %s%s' % (timeout, data.decode('utf-8', 'replace'),
                                   self._error_text()))
            if not _readable(fd, remaining):
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                self._wait_exit(5.0)
                code = self._proc.poll()
                text = self._error_text()
                error = ConfigurationError if code == 2 else ServerStateError
                raise error('the child server exited with status %s before '
                            'it served: %s' % (code, text.strip() or
                                               '(no error output)'))
            data += chunk
        return data.decode('utf-8').splitlines()

    def _parse_ready(self, lines):
        self.ca_file = None
        self.control_url = None
        for line in lines:
            if line.startswith('Serving on '):
                self._url = line.split(' ', 2)[2].strip()
            elif line.startswith('Trust the test CA: '):
                self.ca_file = line.split(': ', 1)[1].strip()
            elif line.startswith('Control API: '):
                self.control_url = line.split(': ', 1)[1].strip()
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
        try:
            self._stderr.seek(0)
            return self._stderr.read().decode('utf-8', 'replace')
        except (IOError, OSError, ValueError):
            return ''

    # -- identity ----------------------------------------------------------
    @property
    def pid(self):
        """The child's process id."""
        return self._proc.pid

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
        return not self._stopped and self._proc.poll() is None

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
            code = self._proc.poll()
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
                if self._proc.poll() is None:
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
        proc = self._proc
        for stream in (proc.stdin,):
            try:
                stream.close()  # the child exits on end of file
            except (IOError, OSError):
                pass
        if not self._wait_exit(timeout):
            proc.kill()
        proc.wait()
        proc.stdout.close()
        self._stderr.close()
        self._stopped = True
        _CHILDREN.discard(self)

    def _wait_exit(self, timeout):
        """Wait until the child closes its stdout (it is exiting) and reap
        it; return False if *timeout* passed first."""
        deadline = monotonic() + timeout
        fd = self._proc.stdout.fileno()
        while True:
            remaining = deadline - monotonic()
            if remaining <= 0:
                return self._proc.poll() is not None
            if _readable(fd, remaining):
                try:
                    if not os.read(fd, 4096):
                        break
                except OSError:
                    break
        # stdout is closed: the child is exiting; reap it.
        if six.PY2:  # Python 2: no timeout; the exit follows the close
            self._proc.wait()
        else:
            try:
                self._proc.wait(max(0.1, deadline - monotonic()))
            except subprocess.TimeoutExpired:
                return False
        return True

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
                       _stub_response(value, 'unmatched_response'))

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
        spec_match = _route_match(path, method, query, match)
        stubs = []
        for index, spec in enumerate(specs):
            name = 'responses[%d]' % index if len(specs) > 1 else 'response'
            stubs.append(normalise_stub({
                'match': spec_match, 'response': _stub_response(spec, name),
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
        spec = _route_match(path, method, None, match)
        status, document = self._call(
            'POST', 'requests/wait', {'count': count, 'match': spec,
                                      'timeout': timeout},
            timeout=timeout + 10.0, ok=(200, 408))
        found = [entry_from_json(e) for e in document['requests']]
        if status == 408:
            raise WaitTimeout('expected %d request(s)%s within %ss, saw %d%s'
                              % (count, _described(spec), timeout, len(found),
                                 self._seen()))
        return found

    def assert_requested(self, path=None, method=None, times=None,
                         query=None, match=None):
        # type: (Any, Any, Optional[int], Any, Optional[Dict[str, Any]]) -> List[Dict[str, Any]]
        """Assert requests matching were received (``times=None``: at
        least once, else exactly); return them.  Raises
        :class:`VerificationError` listing what was seen."""
        spec = _route_match(path, method, query, match)
        found = [entry_from_json(e) for e in self._call(
            'POST', 'requests/find', spec)[1]['requests']]
        if (times is None and found) or len(found) == times:
            return found
        expected = 'at least once' if times is None else '%d time(s)' % times
        raise VerificationError('expected %s%s %s, got %d%s' % (
            'a request' if times is None else 'requests', _described(spec),
            expected, len(found), self._seen()))

    def assert_no_unexpected(self):
        """Assert every request matched a route."""
        unexpected = self.unexpected
        if unexpected:
            raise VerificationError('%d request(s) matched no route: %s' % (
                len(unexpected), ', '.join(_line(e) for e in unexpected)))

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
        return '; seen: %s' % ', '.join(_line(e) for e in history[-10:])

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


def _route_match(path, method, query, match):
    """Build a match spec from ``Server.route``'s arguments."""
    spec = {}
    if path is not None and path != '*':
        if isinstance(path, six.string_types):
            if not path.startswith('/'):
                raise ConfigurationError(
                    'route path must start with "/" (e.g. "/users"), or be a '
                    'compiled regular expression, got %r' % (path,))
            spec['path'] = path
        elif hasattr(path, 'pattern') and hasattr(path, 'match'):
            if path.flags & ~(re.UNICODE | re.DOTALL):
                raise ConfigurationError(
                    'a path pattern with flags cannot cross into the child '
                    'process; write them inline, e.g. "(?i)/users"')
            spec['path_pattern'] = path.pattern
        else:
            raise ConfigurationError(
                'route path must be a string like "/users" or a compiled '
                'regular expression, got %r' % (path,))
    if method is not None:
        spec['method'] = method if isinstance(method, six.string_types) \
            else list(method)
    if query is not None:
        if isinstance(query, six.string_types):
            if 'path' not in spec:
                raise ConfigurationError('a raw query string needs a plain '
                                         'path; give query as a dict')
            spec['path'] += '?' + query
        elif hasattr(query, 'items'):
            spec['query'] = dict(
                (k, list(v) if isinstance(v, (list, tuple)) else [str(v)])
                for k, v in query.items())
        else:
            raise ConfigurationError('query must be a dict like {"page": '
                                     '"2"} or a raw query string, got %r'
                                     % (query,))
    if match is not None:
        if callable(match) and not isinstance(match, dict):
            raise ConfigurationError(
                'match=%r is a function, and a function cannot cross into '
                'the child process; describe the request as data, e.g. '
                'match={"headers": {"X-Token": "abc"}, "json": {...}}'
                % (match,))
        if not isinstance(match, dict):
            raise ConfigurationError('match must be a dict, got %r'
                                     % (match,))
        both = sorted(set(match) & set(spec))
        if both:
            raise ConfigurationError('%s is given twice, as an argument and '
                                     'in match; give it once' % both[0])
        spec.update(match)
    Matcher(spec)  # checked here, with the caller's names
    return spec


def _stub_response(spec, name):
    """Turn a ``route()`` response spec into a stub response dict."""
    if callable(spec):
        raise ConfigurationError(
            '%s %r is a function, and a function cannot cross into the child'
            ' process; describe the response as data, e.g. route("/users", '
            'status=201, json={...}, headers={...}) or '
            'match={"json": {...}} to choose it by request' % (name, spec))
    spec = spec_dict(spec, name)
    result = {}
    for key in ('status', 'json', 'cookies', 'delay'):
        if spec.get(key) is not None:
            result[key] = spec[key]
    headers = spec.get('headers')
    if headers is not None:
        if isinstance(headers, Headers):
            headers = headers.items_all()
        result['headers'] = [list(p) for p in headers.items()] if hasattr(
            headers, 'items') else [list(p) for p in headers]
    body = spec.get('body', spec.get('content'))
    if body is not None:
        if isinstance(body, (bytearray, memoryview)):
            body = bytes(body)
        if isinstance(body, six.text_type):
            result['body'] = body
        elif isinstance(body, bytes):
            try:
                result['body'] = body.decode('utf-8')
            except UnicodeDecodeError:
                import base64
                result['body_base64'] = base64.b64encode(body).decode('ascii')
        else:
            raise ConfigurationError(
                '%s body must be bytes or text in a child process (a stream '
                'cannot cross), got %r' % (name, body))
    return result


def _described(spec):
    return ' matching %s' % Matcher(spec).describe() if spec else ''


def _line(entry):
    return '%s %s' % (entry.get('method') or '?', entry.get('path') or '?')


def _readable(fd, timeout):
    """Wait up to *timeout* seconds for *fd* to be readable."""
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    except (select.error, OSError) as exc:
        # Python 2: EINTR is not retried for us.
        if exc.args and exc.args[0] == errno.EINTR:
            return False
        raise


def _cloexec(stream):
    """Keep our end of the child's stdin out of processes we start later,
    so the child sees end of file when we die.  # Python 2 (3 does it)"""
    try:
        import fcntl
        fd = stream.fileno()
        fcntl.fcntl(fd, fcntl.F_SETFD,
                    fcntl.fcntl(fd, fcntl.F_GETFD) | fcntl.FD_CLOEXEC)
    except (ImportError, IOError, OSError):
        pass


def start_child_server(*args, **kws):
    # type: (*Any, **Any) -> ChildServer
    """Start and return a :class:`ChildServer` (the same arguments)."""
    return ChildServer(*args, **kws)


@atexit.register
def _stop_children():
    for child in list(_CHILDREN):
        if child._owner != os.getpid():
            continue
        try:
            child.stop(timeout=2.0)
        except Exception:
            pass
