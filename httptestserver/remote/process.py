"""A server in a child process, with the in-thread API: its start and stop.

:class:`ChildServer` runs an httptestserver in a child process (its life is
:class:`~httptestserver.remote.child.ChildProcess`'s: started with ``python -m
httptestserver``, ready before it returns, never outliving the parent) and
offers the in-thread :class:`~httptestserver.Server`'s API over the child's
control API (:mod:`httptestserver.remote.server_api`).  This module owns the
server's life and identity: creating one starts the child and returns once
it serves; :meth:`~ChildServer.stop` asks it to shut down, then closes its
standard input and, past a timeout, kills it by PID.
"""
import binascii
import os
import threading

from .. import tls
from ..errors import ConfigurationError, HttpTestServerError, \
    ServerStateError
from .child import ChildProcess, forget_at_exit, server_args, stop_at_exit, \
    stub_args
from .control import is_loopback
from .control_client import ControlClient
from .server_api import ServerAPI

__all__ = ['ChildServer', 'start_child_server', 'child_token']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Optional  # noqa: F401


class ChildServer(ServerAPI):
    """An httptestserver in a child process, with the in-thread API.

    Creating one starts the child and returns once it listens: ``host``,
    ``port``, ``scheme``, ``certfile``, ``keyfile``, ``client_cert`` and
    ``cafile`` mean what they mean for :class:`~httptestserver.Server`;
    ``stubs`` is a path (or list of paths) of stub files, or a list of stub
    dicts; ``control_token`` makes the child require a token (bound to an
    address other than loopback, it requires one anyway: by default a
    random one this object makes, in :attr:`control_token`);
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
        # type: (Optional[str], Optional[int], str, Optional[str], Optional[str], Optional[str], Optional[str], Any, Optional[str], float, Optional[str], Any) -> None  # noqa: E501
        args = server_args(host, port, scheme, certfile, keyfile,
                           client_cert, cafile)
        control_token = child_token(host, control_token)
        files, stub_dicts = stub_args(stubs)
        self._lock = threading.Lock()
        self.control_token = control_token
        self._child = ChildProcess(args + files, control_token, start_timeout,
                                   python)
        try:
            self.ca_file = self._child.ca_file
            self.control_url = self._child.control_url
            ServerAPI.__init__(self, ControlClient(
                self, self._child, control_token, client_cert, cafile,
                control_cert))
            self.scheme = self._client.scheme
            self.host = self._client.host
            self.port = self._client.port
            if stub_dicts:
                self.add_stubs(stub_dicts)
        except BaseException:
            self._child.kill()
            raise
        stop_at_exit(self)

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
        return self._client.url(path)

    @property
    def running(self):
        """True until :meth:`stop`, while the child is alive."""
        return not self._client.closed and self._child.poll() is None

    def __repr__(self):
        state = 'running' if self.running else 'stopped'
        return '<ChildServer %s pid %d %s>' % (self.url('').rstrip('/'),
                                               self.pid, state)

    # -- lifecycle ------------------------------------------------------------
    def start(self):
        # type: () -> ChildServer
        """Return self: the child serves from creation.  Raises
        :class:`ServerStateError` once stopped."""
        if self._client.closed:
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
            if self._client.closed:
                return
            try:
                if self._child.poll() is None:
                    try:
                        self._client.call('POST', 'shutdown',
                                          timeout=min(timeout, 2.0))
                    except HttpTestServerError:
                        pass  # closing stdin or the kill below will do
            finally:
                self._client.close()
                self._child.kill(timeout)
                forget_at_exit(self)

    close = stop

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None and self.running:
                self.check()
        finally:
            self.stop()

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


def child_token(host, control_token=None):
    # type: (Any, Optional[str]) -> Optional[str]
    """Return the token a child bound to *host* needs: *control_token*
    when given, else a new random one for an address other than loopback
    (reachable from other machines), else None.  The caller hands it to
    the child in its environment, never on its command line, which every
    local user can read."""
    if control_token is None and host is not None and \
            not is_loopback(str(host)):
        return binascii.hexlify(os.urandom(16)).decode('ascii')
    return control_token


def start_child_server(*args, **kws):
    # type: (*Any, **Any) -> ChildServer
    """Start and return a :class:`ChildServer` (the same arguments)."""
    return ChildServer(*args, **kws)
