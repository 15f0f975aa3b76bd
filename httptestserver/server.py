"""The server: what a test holds -- lifecycle, identity, and the API.

Creating a :class:`Server` binds and listens in the caller's thread, so its
URL is valid and connections queue before it serves; :meth:`Server.start`
serves in a daemon thread; :meth:`Server.stop` returns when the port is free,
in well under a millisecond.  This module owns the lifecycle and the facade:
sockets and the event loop are :mod:`~httptestserver.serving.engine`'s, what a
request means is the handler's, what was seen is the state store's, and
checking it is :mod:`~httptestserver.store.verification`'s -- the methods here
that read or check state are one-line delegations.
"""
import inspect
import threading

import six
from six.moves import BaseHTTPServer

from . import tls
from .answers import faults
from .answers.responses import validate_spec
from .answers.routes import NOT_SET, make_route, response_list
from .store.scenarios import Scenarios
from .errors import ConfigurationError, ServerStateError
from .legacy import ServerAliases
from .remote.stubs import stub_route
from .remote.wiremock import stubs_from
from .serving.handler import Handler
from .serving.engine import Engine
from .static import mounts as static
from .store import verification
from .store.checks import Checks
from .store.records import Records
from .store.store import Store

__all__ = ['Server', 'Handler']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    import ssl  # noqa: F401
    from typing import Any, Dict, List, Optional  # noqa: F401
    from .answers.routes import Route  # noqa: F401

_WILDCARDS = {'': '127.0.0.1', '0.0.0.0': '127.0.0.1', '::': '::1'}


def _is_handler_class(handler):
    return inspect.isclass(handler) and issubclass(
        handler, BaseHTTPServer.BaseHTTPRequestHandler)


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
    if not _is_handler_class(handler):
        raise ConfigurationError(
            'handler must be httptestserver.server.Handler, a subclass '
            'of it, or any BaseHTTPRequestHandler subclass, got %r'
            % (handler,))
    return host, port, scheme


class Server(ServerAliases, Checks):
    """HTTP Server.

    Starts in a child thread; requests made at the same time never wait on
    each other.  ``Server(host, port)`` binds and listens at once (default
    ``127.0.0.1`` and a free port), so :meth:`url` is valid before
    :meth:`start`.  ``scheme='https'`` serves TLS with the bundled test
    certificate unless ``certfile``/``keyfile`` are given; ``client_cert``
    (``'optional'``, ``'required'``) asks for client certificates signed by
    ``cafile``; ``directory`` serves files at ``/`` after every route.  Bad
    arguments raise :class:`~httptestserver.ConfigurationError` here.
    Every method is thread-safe; as a context manager it stops, then calls
    :meth:`check`, on exit.  See :doc:`server`.
    """

    def __init__(self, host=None, port=None, scheme='http', handler=Handler,
                 certfile=None, keyfile=None, client_cert=None, cafile=None,
                 directory=None):
        # type: (Optional[str], Optional[int], str, type, Optional[str], Optional[str], Optional[str], Optional[str], Optional[str]) -> None  # noqa: E501
        #: The thread-safe store (routes, data, records): for the server's
        #: collaborators -- handlers, the control API -- not for tests.
        self.store = Store()
        self._lock = threading.Lock()
        self._started = self._stopped = False
        #: The control API (:func:`httptestserver.enable_control`), or None:
        #: off unless asked for.
        self.control = None  # type: Any
        #: The states of the routes' scenarios (``route(..., scenario=)``,
        #: WireMock's ``scenarioName``).
        self.scenarios = Scenarios()
        self._stop_event = threading.Event()  # set when stop() begins
        self._stopped_event = threading.Event()  # set when stop() is done
        self.ssl_context = None  # type: Optional[Any]
        host, port, scheme = _check_arguments(host, port, scheme, handler)
        self.scheme = scheme
        self.store.data.https = scheme == 'https'
        self.handler_class = handler
        if scheme == 'https':
            self.ssl_context = tls.server_context(certfile, keyfile,
                                                  client_cert, cafile)
            self.ca_file = cafile or (tls.CA_FILE if certfile is None
                                      else None)
        else:
            tls.refuse_without_https(certfile=certfile, keyfile=keyfile,
                                     client_cert=client_cert, cafile=cafile)
            self.ca_file = None
        #: The event loop and its sockets
        #: (:class:`~httptestserver.serving.engine.Engine`).
        self.engine = Engine(host, port, self, self.store.add_error,
                             self.ssl_context, fault_of=self._handshake_fault)
        self.host = host
        self.port = self.engine.port
        self.store.records = Records(self.url('/')[:-1])
        if directory is not None:
            try:
                static.serve_directory(self, '/', directory, keep=True)
            except Exception:
                self.engine.close()
                raise

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
        """Start serving in a daemon thread and return self; does not block.
        Raises :class:`ServerStateError` when called twice or after stop."""
        with self._lock:
            if self._stopped:
                raise ServerStateError('%r was stopped and cannot serve again;'
                                       ' create a new Server' % self)
            if self._started:
                raise ServerStateError('%r is already running; start() is '
                                       'called once per server' % self)
            self._started = True
            self.engine.start()
        return self

    def stop(self, timeout=5.0):
        # type: (Optional[float]) -> None
        """Stop serving and free the port; return when it is free.

        Closes idle connections, cuts waits short, and waits up to *timeout*
        seconds (None: no bound) for requests in flight, then names and
        closes the stuck ones.  Idempotent, thread-safe, callable from a
        handler; see :doc:`server`.
        """
        verification.check_timeout(timeout)
        with self._lock:
            first = not self._stopped
            self._stopped = True
        current = threading.current_thread()
        if not first:
            if not self.engine.is_worker(current):
                self._stopped_event.wait(None if timeout is None
                                         else timeout + 1.0)
            return
        try:
            self._stop_event.set()
            self.store.close()
            if self.control is not None:
                self.control.close()  # ends its long-polls at once
            self.engine.stop(timeout, current)
        finally:
            self._stopped_event.set()

    close = stop

    def __enter__(self):
        if not self._started:
            self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        self.stop()
        if exc_type is None:
            self.check()

    # -- for the handler ---------------------------------------------------
    def _handshake_fault(self):
        """Name the fault before any request ``data['response_fault']``
        sets (a TLS handshake's or a connection's), or None."""
        fault = self.store.data.get('response_fault')
        return fault if faults.is_handshake_fault(fault) or \
            faults.is_connection_fault(fault) else None

    @property
    def stopping(self):
        """True from the moment :meth:`stop` begins."""
        return self.engine.stopping

    def pause(self, seconds):
        # type: (float) -> bool
        """Wait *seconds*, or less if the server stops or is reset meanwhile;
        return True when the whole time passed.  Blocks; thread-safe."""
        return self.store.begin().pause(seconds)

    # -- state (0.1.0 API) -------------------------------------------------
    @property
    def data(self):
        """Gives access to current server state *dict* (read-write).

        The last request's fields, and the ``response_*`` settings.
        """
        return self.store.data

    @property
    def history(self):
        """Gives access to all the server states in a *list* (read-only).

        A :class:`~httptestserver.History` snapshot, one entry per request.
        """
        return self.store.history()

    def reset(self):
        # type: () -> None
        """Resets all server data in ``data``.

        Also history, routes, unexpected requests and errors; cuts short
        the waits of requests in flight, and forgets the scenarios.
        Thread-safe.
        """
        self.store.reset()
        self.scenarios.forget()

    @property
    def response_data(self):
        """All user-defined response properties (the ``response_*`` keys)."""
        return dict((k, v) for k, v in self.store.data.items()
                    if k.startswith('response_'))

    # -- routes -------------------------------------------------------------
    def route(self, path, response=NOT_SET, method=None, query=None,
              times=None, responses=None, match=None, scenario=None,
              state=None, new_state=None, **fields):
        # type: (Any, Any, Any, Any, Optional[int], Optional[List[Any]], Any, Optional[str], Optional[str], Optional[str], **Any) -> Route  # noqa: E501
        """Answer requests for *path* with a response; return the route.

        *path* is exact (with the query when it holds ``?``) or a compiled
        pattern; the response is *response*, keywords (``status``,
        ``headers``, ``body``, ``json``, ``content_type``, faults...), a
        positional body with keywords (``route('/x', 'ok', status=201)``)
        or a sequence *responses*; ``match`` narrows it
        (:class:`~httptestserver.Matcher`).  Routes are tried in the order
        added.  *scenario* makes it answer only while that scenario is in
        *state* (all start in ``'Started'``), moving it to *new_state* when
        it answers (WireMock's scenarios; :attr:`scenarios`).  Thread-safe;
        bad values raise :class:`ConfigurationError` now.  See
        :doc:`responses`.
        """
        responses = response_list(response, responses, fields)
        match, responses = self.scenarios.bind(scenario, state, new_state,
                                               match, responses)
        return self._add_route(make_route(path, responses, method, query,
                                          times, match))

    def _add_route(self, route):
        for spec in route.responses:
            bind = getattr(spec, 'bind_server', None)
            if bind is not None:  # EventStream, WebSocket: stop with us
                bind(self)
        return self.store.add_route(route)

    def load_stubs(self, stubs):
        # type: (Any) -> List[Dict[str, Any]]
        """Add stubs as routes, as ``--stubs`` does for the command line
        and a child process: *stubs* is a JSON file or a directory of them
        (WireMock's layout), a mapping dict, or a list of mappings, in
        WireMock's form or ours.  Sorted by priority among themselves, they
        are tried after the routes added before.  Returns the stubs (with
        their ids); with the control API on, they are listed there.  Raises
        :class:`ConfigurationError` naming the file and mapping, adding
        none.  Thread-safe."""
        found, files = stubs_from(stubs)
        if self.control is not None:
            return [self.control.add_stub(stub) for stub in found]
        for stub in found:
            self._add_route(stub_route(stub, files, self.scenarios))
        return found

    def serve_directory(self, prefix, path, **options):
        # type: (str, Any, **Any) -> Any
        """Serve the files under directory *path* at URL *prefix*, after
        every route; see :func:`~httptestserver.serve_directory` and
        :doc:`static`.  Thread-safe; ``reset()`` removes the mount."""
        return static.serve_directory(self, prefix, path, **options)

    @property
    def routes(self):
        """The routes then the directory mounts, in the order they are
        tried (a snapshot list)."""
        return self.store.routes()

    def remove_route(self, route):
        # type: (Route) -> None
        """Stop answering with *route*; harmless if already gone."""
        self.store.remove_route(route)

    @property
    def unmatched_response(self):
        """The answer to a request no route matches (None: an explaining
        500).  Any response form :meth:`route` accepts."""
        return self.store.unmatched_response

    @unmatched_response.setter
    def unmatched_response(self, value):
        self.store.unmatched_response = validate_spec(value,
                                                      'unmatched_response')

    # -- TLS for clients -------------------------------------------------
    def client_context(self, client_cert=False):
        # type: (Any) -> ssl.SSLContext
        """Return a new client ``ssl.SSLContext`` that trusts this server
        (:attr:`ca_file`); *client_cert* as in
        :func:`~httptestserver.client_context`.  Raises
        :class:`ConfigurationError` for plain HTTP or an unknown CA."""
        if self.scheme != 'https':
            raise ConfigurationError('%r is plain HTTP: it has no TLS to '
                                     'trust' % self)
        if self.ca_file is None:
            raise ConfigurationError('%r serves your own certificate; pass '
                                     'cafile= to the server so clients know '
                                     'what to trust' % self)
        return tls.client_context(self.ca_file, client_cert)
