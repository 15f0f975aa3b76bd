"""The server: a listening socket, an accept thread, a thread per connection.

Creating a :class:`Server` binds and listens in the caller's thread, so its
URL is valid and connections queue before it serves; :meth:`Server.start`
runs the accept loop in a daemon thread; :meth:`Server.stop` wakes that loop
at once (no polling interval), closes idle keep-alive connections, lets
in-flight requests finish within a bound, and returns when the port is free.
TLS handshakes happen in the per-connection thread, never in the accept loop.
This module owns sockets and threads; what a request means is the handler's
business, and what was seen is the state store's.
"""
import difflib
import errno
import logging
import os
import select
import socket
import ssl
import threading
import traceback

import six

from . import tls
from ._compat import monotonic
from .errors import ConfigurationError, HandlerError, ServerStateError, \
    VerificationError, WaitTimeout
from .handler import Handler
from .responses import Route
from .state import State, make_route

__all__ = ['Server', 'Handler']

log = logging.getLogger('httptestserver')

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List, Optional  # noqa: F401

_WILDCARDS = {'': '127.0.0.1', '0.0.0.0': '127.0.0.1', '::': '::1'}
_RETRY_ERRNOS = (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR,
                 errno.ECONNABORTED, errno.EPROTO)
_RESOURCE_ERRNOS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


class _NotSet(object):
    def __repr__(self):
        return '<not set>'


_NOT_SET = _NotSet()


class Server(object):
    """HTTP Server.

    Starts in a child thread; each connection is served by a thread of its
    own, so requests made at the same time never wait on each other.

    ``Server(host, port)`` binds and listens at once (``host`` defaults to
    ``127.0.0.1``, ``port`` to a free one the OS picks), so :attr:`port` and
    :meth:`url` are valid before :meth:`start`.  ``scheme='https'`` serves TLS
    with the bundled test certificate unless ``certfile`` (and ``keyfile``)
    are given; ``client_cert`` is ``None``, ``'optional'`` or ``'required'``
    to ask clients for a certificate signed by ``cafile`` (default: the test
    CA).  Bad arguments raise :class:`~httptestserver.ConfigurationError`
    (certificates: :class:`~httptestserver.CertificateError`) here, not at the
    first request.

    Every method is thread-safe.  Use it as a context manager to stop it (and
    :meth:`check` it) on exit.
    """

    def __init__(self, host=None, port=None, scheme='http', handler=Handler,
                 certfile=None, keyfile=None, client_cert=None, cafile=None):
        # type: (Optional[str], Optional[int], str, type, Optional[str], Optional[str], Optional[str], Optional[str]) -> None
        self._state = State()
        self._lock = threading.Lock()
        self._started = self._stopped = self._stopping = False
        self._stop_event = threading.Event()  # set when stop() begins
        self._stopped_event = threading.Event()  # set when it is done
        self._connections = {}  # type: Dict[Any, List[Any]]  # socket -> [idle flag, thread, peer]
        self._thread = None  # type: Optional[threading.Thread]
        self._sock = None  # type: Any
        self.ssl_context = None  # type: Optional[ssl.SSLContext]
        host, port, scheme = self._check_arguments(host, port, scheme,
                                                   handler)
        self.scheme = scheme
        self.handler_class = handler
        if scheme == 'https':
            self.ssl_context = tls.server_context(certfile, keyfile,
                                                  client_cert, cafile)
            self.ca_file = cafile or (tls.CA_FILE if certfile is None
                                      else None)
        else:
            for name, value in (('certfile', certfile), ('keyfile', keyfile),
                                ('client_cert', client_cert),
                                ('cafile', cafile)):
                if value is not None:
                    raise ConfigurationError(
                        '%s is only used with HTTPS; pass scheme="https" or '
                        'use start_ssl_server()' % name)
            self.ca_file = None
        self._sock = self._bind(host, port)
        self.host = host
        self.port = self._sock.getsockname()[1]

    @staticmethod
    def _check_arguments(host, port, scheme, handler):
        if host is None:
            host = '127.0.0.1'
        if not isinstance(host, six.string_types):
            raise ConfigurationError(
                'host must be a string such as "127.0.0.1", "::1" or '
                '"localhost", got %r' % (host,))
        host = str(host)
        if host.startswith('[') and host.endswith(']'):
            host = host[1:-1]
        if port is None:
            port = 0
        if isinstance(port, bool) or not isinstance(port, six.integer_types) \
                or not 0 <= port <= 65535:
            raise ConfigurationError(
                'port must be an int from 0 to 65535 (0 or None: a free port '
                'chosen by the OS), got %r' % (port,))
        if scheme not in ('http', 'https'):
            raise ConfigurationError('scheme must be "http" or "https", got '
                                     '%r' % (scheme,))
        if not (isinstance(handler, type) and issubclass(handler, Handler)):
            raise ConfigurationError(
                'handler must be httptestserver.server.Handler or a subclass '
                'of it, got %r' % (handler,))
        return host, port, scheme

    @staticmethod
    def _bind(host, port):
        try:
            infos = socket.getaddrinfo(host or None, port, socket.AF_UNSPEC,
                                       socket.SOCK_STREAM, 0,
                                       socket.AI_PASSIVE)
        except socket.gaierror as exc:
            raise ConfigurationError('host %r cannot be resolved (%s); use '
                                     'an address such as "127.0.0.1" or '
                                     '"::1"' % (host, exc))
        # IPv4 first: the common client tries 127.0.0.1 for "localhost".
        infos.sort(key=lambda info: info[0] != socket.AF_INET)
        family, _, _, _, address = infos[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(128)
            sock.setblocking(False)
        except socket.error as exc:
            sock.close()
            if exc.errno == errno.EADDRINUSE:
                raise ConfigurationError(
                    'port %d on %s is already in use; pass port=None to let '
                    'the OS pick a free one' % (port, host))
            raise ConfigurationError('cannot listen on %s port %s: %s'
                                     % (host, port, exc))
        return sock

    # -- identity --------------------------------------------------------
    @property
    def address(self):
        """``(host, port)`` the server listens on."""
        return self.host, self.port

    @property
    def url_host(self):
        """The host as written in URLs: IPv6 bracketed, wildcards as
        loopback."""
        host = _WILDCARDS.get(self.host, self.host)
        return '[%s]' % host if ':' in host else host

    def url(self, path='/'):
        # type: (str) -> str
        """Compose a full URL to the server from the url path.

        ``server.url('/test/url')`` gives ``http://127.0.0.1:8888/test/url``.
        """
        if not path.startswith('/'):
            path = '/' + path
        return '%s://%s:%d%s' % (self.scheme, self.url_host, self.port, path)

    @property
    def running(self):
        """True between :meth:`start` and :meth:`stop`."""
        return self._started and not self._stopped

    def __repr__(self):
        state = 'running' if self.running else 'stopped' if self._stopped \
            else 'not started'
        return '<Server %s %s>' % (self.url('').rstrip('/'), state)

    # -- lifecycle -------------------------------------------------------
    def start(self):
        # type: () -> Server
        """Start serving in a daemon thread; return self.

        Does not block.  Raises :class:`ServerStateError` if the server was
        already started or was stopped (create a new one instead).
        """
        with self._lock:
            if self._stopped:
                raise ServerStateError('%r was stopped and cannot serve again;'
                                       ' create a new Server' % self)
            if self._started:
                raise ServerStateError('%r is already running; start() is '
                                       'called once per server' % self)
            self._started = True
            # Written by stop() to wake the accept loop at once.
            self._wake_r, self._wake_w = os.pipe()
            thread = threading.Thread(
                target=self._serve, name='httptestserver-%d' % self.port)
            thread.daemon = True
            self._thread = thread
            thread.start()
        return self

    def stop(self, timeout=5.0):
        # type: (float) -> None
        """Stop serving and free the port; return when it is free.

        Wakes the accept loop at once, closes the listening socket, closes
        idle keep-alive connections, cuts ``response_timeout`` waits short,
        and waits up to *timeout* seconds for requests in flight; past that
        it logs which connections are stuck, closes them and returns.
        Idempotent, safe before :meth:`start`, thread-safe: a second caller
        waits until the first one is done, and a handler or callable route
        may call it too (its own request is not waited for).
        """
        with self._lock:
            first = not self._stopped
            self._stopped = self._stopping = True
            thread = self._thread
            ours = [entry[1] for entry in self._connections.values()]
        current = threading.current_thread()
        if not first:
            if current not in ours:
                self._stopped_event.wait(timeout + 1.0)
            return
        try:
            self._stop_event.set()
            if thread is not None:
                os.write(self._wake_w, b'x')
                thread.join()
            self._sock.close()
            self._finish_connections(timeout, current)
        finally:
            if thread is not None:
                os.close(self._wake_r)
                os.close(self._wake_w)
            self._stopped_event.set()

    def _finish_connections(self, timeout, current):
        deadline = monotonic() + timeout
        with self._lock:
            connections = list(self._connections.items())
        for sock, (idle, _, _) in connections:
            if idle:
                _shutdown(sock)
        stuck = []
        for sock, (_, conn_thread, peer) in connections:
            if conn_thread is current:
                continue  # stop() called by a handler: cannot wait for it
            conn_thread.join(max(0.0, deadline - monotonic()))
            if conn_thread.is_alive():
                stuck.append((sock, peer))
        if stuck:
            log.warning('%r: stop() waited %.1fs and is still blocked on %d '
                        'connection(s) from %s; closing them', self, timeout,
                        len(stuck), ', '.join(str(p) for _, p in stuck))
            for sock, _ in stuck:
                _shutdown(sock)

    close = stop

    def __enter__(self):
        if not self._started:
            self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        self.stop()
        if exc_type is None:
            self.check()

    def _serve(self):
        listener, wake = self._sock, self._wake_r
        poller = _Poller(listener.fileno(), wake)
        while True:
            ready = poller.wait()
            if wake in ready:
                return
            try:
                conn, peer = listener.accept()
            except socket.error as exc:
                if exc.errno in _RETRY_ERRNOS:
                    continue
                if exc.errno in _RESOURCE_ERRNOS:
                    log.error('%r: accept failed: %s', self, exc)
                    poller.wait(0.05)  # let connections finish; not a spin
                    continue
                self._state.add_error(('accept', exc, repr(exc)))
                return
            thread = threading.Thread(target=self._serve_connection,
                                      args=(conn, peer),
                                      name='httptestserver-%d-conn' % self.port)
            thread.daemon = True
            with self._lock:
                if self._stopping:
                    conn.close()
                    return
                # New connections count as idle until a request arrives
                # (Go's StateNew): stop() closes them rather than waiting
                # for a client that may never speak, TLS handshake included.
                self._connections[conn] = [True, thread, peer]
            thread.start()

    def _serve_connection(self, conn, peer):
        sock = conn
        try:
            conn.setblocking(True)
            if self.ssl_context is not None:
                sock = self._handshake(conn, peer)
            if sock is not None:
                self.handler_class(sock, peer, self)
        except socket.error as exc:
            log.debug('%r: connection from %s ended: %s', self, peer, exc)
        except Exception as exc:  # a bug in a handler's setup/finish
            self._state.add_error(('connection from %s' % (peer,), exc,
                                   traceback.format_exc()))
        finally:
            for each in (sock, conn):
                if each is not None:
                    _close(each)
            with self._lock:
                self._connections.pop(conn, None)
                self._connections.pop(sock, None)

    def _handshake(self, conn, peer):
        """Return the TLS socket for *conn*, or None if the client failed."""
        conn.settimeout(self.handler_class.timeout)
        try:
            first = conn.recv(5, socket.MSG_PEEK)
        except socket.error:
            return None
        if not first:
            return None
        if not tls.is_tls_client_hello(first):
            # Like Go: tell a plain-HTTP client what went wrong.
            body = b'Client sent an HTTP request to an HTTPS server.\n'
            head = ('HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; '
                    'charset=utf-8\r\nConnection: close\r\n'
                    'Content-Length: %d\r\n\r\n' % len(body))
            try:
                conn.sendall(head.encode('ascii') + body)
            except socket.error:
                pass
            return None
        try:
            sock = self.ssl_context.wrap_socket(
                conn, server_side=True, do_handshake_on_connect=False)
        except socket.error:
            return None
        with self._lock:
            entry = self._connections.pop(conn, None)
            if entry is not None:
                self._connections[sock] = entry
        try:
            sock.settimeout(self.handler_class.timeout)
            sock.do_handshake()
        except (socket.error, ValueError) as exc:
            log.info('%r: TLS handshake with %s failed: %s', self, peer, exc)
            with self._lock:
                self._connections.pop(sock, None)
            _close(sock)
            return None
        sock._httptestserver_tls = tls.connection_info(sock)
        return sock

    def _set_idle(self, sock, idle):
        """Mark *sock* idle (no request under way) or busy; for stop()."""
        with self._lock:
            entry = self._connections.get(sock)
            if entry is not None:
                entry[0] = idle
            stopping = self._stopping
        if idle and stopping:
            _shutdown(sock)

    def _pause(self, seconds):
        """Wait *seconds*, or less if the server stops meanwhile."""
        self._stop_event.wait(seconds)

    # -- state (0.1.0 API) -------------------------------------------------
    @property
    def data(self):
        """Gives access to current server state *dict* (read-write).

        After each request it holds that request's fields; the ``response_*``
        keys you set control the default response.  Thread-safe.
        """
        return self._state.data

    @property
    def history(self):
        """Gives access to all the server states in a *list* (read-only).

        One entry per request, in arrival order: a snapshot list, so it does
        not change under you.
        """
        return self._state.history()

    def reset(self):
        # type: () -> None
        """Resets all server data in ``data``.

        Also forgets history, routes, :attr:`unmatched_response`, unexpected
        requests and recorded errors.  Thread-safe.
        """
        self._state.reset()

    @property
    def response_data(self):
        """All user-defined response properties (the ``response_*`` keys)."""
        return dict((k, v) for k, v in self._state.data.items()
                    if k.startswith('response_'))

    @classmethod
    def start_server(cls, host=None, port=None):
        """Creates and starts a http :class:`Server`."""
        return cls(host, port).start()

    @classmethod
    def start_ssl_server(cls, host=None, port=None, certfile=None,
                         keyfile=None, **kws):
        """Creates and starts a https :class:`Server`."""
        return cls(host, port, scheme='https', certfile=certfile,
                   keyfile=keyfile, **kws).start()

    # -- routes -------------------------------------------------------------
    def route(self, path, response=_NOT_SET, method=None, query=None,
              times=None, responses=None, match=None, **fields):
        # type: (Any, Any, Any, Any, Optional[int], Optional[List[Any]], Any, **Any) -> Route
        """Answer requests for *path* with a response; return the route.

        *path* is matched exactly (with the query when it holds ``?``) or is a
        compiled regular expression matching the whole path.  Give the
        response as *response* (an int, bytes, text, dict, tuple or a
        callable taking the recorded request), as keywords (``status``,
        ``headers``, ``body``, ``json``, ``cookies``, ``delay``), or as a
        sequence *responses* answered in order.  ``times`` limits how many
        requests the route answers (default: unlimited for one response, one
        each for a sequence); then requests fall through to later routes and
        to the ``response_*`` settings.  Routes are tried in the order they
        were added, like a web framework's: put specific ones first.
        ``match`` narrows the route further: a request-matching dict (see
        :class:`httptestserver.stubs.Matcher`) or a predicate taking the
        recorded request.  Thread-safe; raises :class:`ConfigurationError`
        for bad values now.
        """
        given = [response is not _NOT_SET, responses is not None,
                 bool(fields)]
        if sum(given) > 1:
            raise ConfigurationError(
                'give the response one way: response=..., responses=[...] '
                'or keywords like status=..., body=...')
        if responses is not None:
            if isinstance(responses, (six.string_types, bytes, dict)):
                raise ConfigurationError('responses must be a list of '
                                         'responses, got %r' % (responses,))
            responses = list(responses)
        elif fields:
            responses = [fields]
        else:
            responses = [None if response is _NOT_SET else response]
        return self._state.add_route(make_route(path, responses, method,
                                                query, times, match))

    @property
    def routes(self):
        """The routes, oldest first (a snapshot list)."""
        return self._state.routes()

    def remove_route(self, route):
        # type: (Route) -> None
        """Stop answering with *route*; harmless if already gone."""
        self._state.remove_route(route)

    @property
    def unmatched_response(self):
        """The answer to a request no route matches (None: an explaining
        500).  Any response form :meth:`route` accepts."""
        return self._state.unmatched_response

    @unmatched_response.setter
    def unmatched_response(self, value):
        from .responses import validate_spec
        validate_spec(value, 'unmatched_response')
        self._state.unmatched_response = value

    # -- verification ------------------------------------------------------
    @property
    def unexpected(self):
        """Requests no route matched (history entries), oldest first."""
        return self._state.unexpected()

    @property
    def errors(self):
        """Recorded server-thread failures: ``(request_line, exception,
        traceback_text)`` tuples not yet raised by :meth:`check`."""
        return self._state.errors()

    def wait(self, count=1, method=None, path=None, timeout=5.0):
        # type: (int, Any, Any, Optional[float]) -> List[Dict[str, Any]]
        """Block until *count* requests (matching *method*/*path*) arrived.

        Event-driven: wakes as each request is recorded.  Returns the
        matching history entries.  Raises :class:`WaitTimeout` after
        *timeout* seconds, listing what did arrive.  Thread-safe.
        """
        if isinstance(count, bool) or not isinstance(
                count, six.integer_types) or count < 0:
            raise ConfigurationError('count must be a whole number >= 0, got '
                                     '%r' % (count,))
        if timeout is not None and (isinstance(timeout, bool) or not
                                    isinstance(timeout, (six.integer_types,
                                                         float))):
            raise ConfigurationError('timeout must be a number of seconds or '
                                     'None (wait forever), got %r'
                                     % (timeout,))
        matcher = _matcher(path, method)
        ok, found = self._state.wait(count, matcher.matches, timeout)
        if not ok:
            raise WaitTimeout('expected %d request(s)%s within %ss, saw %d%s'
                              % (count, _described(method, path), timeout,
                                 len(found), self._seen(method, path)))
        return found

    def assert_requested(self, path=None, method=None, times=None,
                         query=None):
        # type: (Any, Any, Optional[int], Any) -> List[Dict[str, Any]]
        """Assert requests matching *path*/*method*/*query* were received.

        ``times=None`` means at least once, else exactly *times*.  Returns
        the matching entries; raises :class:`VerificationError` (an
        ``AssertionError``) that lists the closest requests seen.
        """
        matcher = _matcher(path, method, query)
        found = [e for e in self.history if matcher.matches(e)]
        if (times is None and found) or len(found) == times:
            return found
        expected = 'at least once' if times is None else '%d time(s)' % times
        raise VerificationError('expected %s%s %s, got %d%s' % (
            'a request' if times is None else 'requests',
            _described(method, path, query), expected, len(found),
            self._seen(method, path)))

    def assert_no_unexpected(self):
        # type: () -> None
        """Assert every request matched a route; list the ones that did
        not."""
        unexpected = self.unexpected
        if unexpected:
            raise VerificationError(
                '%d request(s) matched no route: %s; routes are: %s' % (
                    len(unexpected), ', '.join(_line(e) for e in unexpected),
                    ', '.join(r.describe() for r in self.routes) or 'none'))

    def check(self):
        # type: () -> None
        """Raise what went wrong in the server thread, then forget it.

        Raises :class:`HandlerError` (with every traceback) if a handler or
        callable route raised, else :class:`VerificationError` if requests
        matched no route.  Harmless when all went well.  Thread-safe.
        """
        errors = self._state.take_errors()
        if errors:
            first = errors[0]
            text = '\n'.join('--- while handling %s:\n%s' % (line, tb)
                             for line, _, tb in errors)
            error = HandlerError('%d error(s) in the server thread of %r; the '
                                 'first: %r\n%s' % (len(errors), self,
                                                    first[1], text), errors)
            six.raise_from(error, first[1])
        unexpected = self._state.take_unexpected()
        if unexpected:
            raise VerificationError(
                '%d request(s) to %r matched no route: %s; add routes for '
                'them or set server.unmatched_response' % (
                    len(unexpected), self,
                    ', '.join(_line(e) for e in unexpected)))

    def _seen(self, method, path):
        history = self.history
        if not history:
            return ' (no requests at all; is the client using %s?)' % \
                self.url('')
        lines = [_line(e) for e in history]
        wanted = '%s %s' % (method or 'GET', path if isinstance(
            path, six.string_types) else '/')
        close = difflib.get_close_matches(wanted, lines, n=5, cutoff=0)
        return '; closest seen: %s (of %d)' % (', '.join(close), len(lines))

    # -- TLS for clients -------------------------------------------------
    def client_context(self, client_cert=False):
        # type: (Any) -> ssl.SSLContext
        """Return a new client ``ssl.SSLContext`` that trusts this server.

        It trusts :attr:`ca_file` and checks host names; *client_cert*
        ``True`` presents the bundled client certificate (or give a path or
        a ``(certfile, keyfile)`` pair).  Raises :class:`ConfigurationError`
        for a plain-HTTP server or an unknown CA.
        """
        if self.scheme != 'https':
            raise ConfigurationError('%r is plain HTTP: it has no TLS to '
                                     'trust' % self)
        if self.ca_file is None:
            raise ConfigurationError('%r serves your own certificate; pass '
                                     'cafile= to the server so clients know '
                                     'what to trust' % self)
        return tls.client_context(self.ca_file, client_cert)


def _matcher(path, method, query=None):
    return Route(path, [None], method=method, query=query)


def _described(method, path, query=None):
    parts = []
    if method:
        parts.append(method if isinstance(method, six.string_types)
                     else '|'.join(method))
    if path is not None:
        parts.append(path if isinstance(path, six.string_types)
                     else 're:' + path.pattern)
    if query:
        parts.append('query=%r' % (query,))
    return ' matching ' + ' '.join(parts) if parts else ''


def _line(entry):
    return '%s %s' % (entry.get('method') or '?', entry.get('path') or '?')


class _Poller(object):
    """Wait for the listening socket or the wake-up pipe to be readable."""

    def __init__(self, listener, wake):
        self._fds = (listener, wake)
        self._poll = None
        if hasattr(select, 'poll'):
            self._poll = select.poll()
            for fd in self._fds:
                self._poll.register(fd, select.POLLIN)

    def wait(self, timeout=None):
        while True:
            try:
                if self._poll is not None:
                    ms = None if timeout is None else int(timeout * 1000)
                    return [fd for fd, _ in self._poll.poll(ms)]
                return select.select(self._fds, [], [], timeout)[0]
            except (select.error, OSError) as exc:
                # Python 2: EINTR is not retried for us.
                if exc.args and exc.args[0] == errno.EINTR:
                    continue
                raise


def _shutdown(sock):
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except (socket.error, ValueError, TypeError):
        pass


def _close(sock):
    if isinstance(sock, ssl.SSLSocket):
        # RFC 8446 section 6.1: send close_notify; do not wait for the
        # peer's (timeout 0: the second SSL_shutdown gives up at once).
        try:
            sock.settimeout(0)
            sock.unwrap()
        except (socket.error, ValueError):
            pass
    try:
        sock.close()
    except socket.error:
        pass
