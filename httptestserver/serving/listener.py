"""Sockets and threads: a listening socket, an accept thread, a thread per
connection.

:class:`Listener` binds and listens when it is created, so its port is valid
and connections queue before it serves; :meth:`Listener.start` runs the
accept loop in a daemon thread, which waits on the listening socket and on a
wake-up pipe; :meth:`Listener.stop` writes to that pipe (no polling
interval), closes the listening socket, closes idle keep-alive connections,
lets in-flight requests finish within a bound and names the ones it is stuck
on.  TLS handshakes happen in the per-connection thread, never in the accept
loop.  What a connection carries is the caller's business: it hands in a
function that serves one.
"""
import errno
import logging
import os
import select
import socket
import ssl
import threading
import traceback

from .. import tls
from .._compat import monotonic
from ..errors import ConfigurationError

__all__ = ['Listener']

log = logging.getLogger('httptestserver')

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Callable, Dict, List, Optional  # noqa: F401

_RETRY_ERRNOS = (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR,
                 errno.ECONNABORTED, errno.EPROTO)
_RESOURCE_ERRNOS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


class Listener(object):
    """A bound, listening socket and the threads that serve it.

    ``serve(sock, peer)`` is called in a new daemon thread per connection
    (after the TLS handshake when *ssl_context* is given, unless
    ``before_handshake(sock)`` returns True: it dealt with the connection,
    say with a handshake fault); ``on_error(error)``
    receives ``(where, exception, traceback_text)`` for failures outside a
    request.  *timeout* bounds the TLS handshake.  Thread-safe.
    """

    def __init__(self, host, port, serve, on_error, ssl_context=None,
                 timeout=None, name='httptestserver', before_handshake=None):
        # type: (str, int, Callable[[Any, Any], None], Callable[[Any], None], Any, Optional[float], str, Any) -> None
        self._serve_one = serve
        self._before_handshake = before_handshake
        self._on_error = on_error
        self.ssl_context = ssl_context
        self.timeout = timeout
        self._lock = threading.Lock()
        #: True from the moment stop() begins.
        self.stopping = False
        self._connections = {}  # type: Dict[Any, List[Any]]  # socket -> [idle flag, thread, peer]
        self._thread = None  # type: Optional[threading.Thread]
        self.sock = self._bind(host, port)
        self.port = self.sock.getsockname()[1]
        self._name = '%s-%d' % (name, self.port)

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

    # -- lifecycle -------------------------------------------------------
    def start(self):
        # type: () -> None
        """Run the accept loop in a daemon thread; does not block."""
        # Written by stop() to wake the accept loop at once.
        self._wake_r, self._wake_w = os.pipe()
        thread = threading.Thread(target=self._serve, name=self._name)
        thread.daemon = True
        self._thread = thread
        thread.start()

    @property
    def thread(self):
        """The accept thread, or None before :meth:`start`."""
        return self._thread

    def connection_threads(self):
        # type: () -> List[threading.Thread]
        """The threads serving connections now."""
        with self._lock:
            return [entry[1] for entry in self._connections.values()]

    def stop(self, timeout, current):
        # type: (Optional[float], Any) -> None
        """Stop accepting, free the port, finish the connections.

        Waits up to *timeout* seconds (None: no bound) for connections in
        flight, except the one served by the thread *current* (a handler
        that stops its own server).  Call once.
        """
        with self._lock:
            self.stopping = True
            thread = self._thread
        try:
            if thread is not None:
                os.write(self._wake_w, b'x')
                thread.join()
            self.sock.close()
            self._finish_connections(timeout, current)
        finally:
            if thread is not None:
                os.close(self._wake_r)
                os.close(self._wake_w)

    def _finish_connections(self, timeout, current):
        deadline = None if timeout is None else monotonic() + timeout
        with self._lock:
            connections = list(self._connections.items())
        for sock, (idle, _, _) in connections:
            if idle:
                _shutdown(sock)
        stuck = []
        for sock, (_, conn_thread, peer) in connections:
            if conn_thread is current:
                continue  # stop() called by a handler: cannot wait for it
            conn_thread.join(None if deadline is None
                             else max(0.0, deadline - monotonic()))
            if conn_thread.is_alive():
                stuck.append((sock, peer))
        if stuck:
            log.warning('%s: stop() waited %.1fs and is still blocked on %d '
                        'connection(s) from %s; closing them', self._name, timeout,
                        len(stuck), ', '.join(str(p) for _, p in stuck))
            for sock, _ in stuck:
                _shutdown(sock)

    def _serve(self):
        listener, wake = self.sock, self._wake_r
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
                    log.error('%s: accept failed: %s', self._name, exc)
                    poller.wait(0.05)  # let connections finish; not a spin
                    continue
                self._on_error(('accept', exc, repr(exc)))
                return
            thread = threading.Thread(target=self._serve_connection,
                                      args=(conn, peer),
                                      name=self._name + '-conn')
            thread.daemon = True
            with self._lock:
                if self.stopping:
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
                self._serve_one(sock, peer)
        except socket.error as exc:
            log.debug('%s: connection from %s ended: %s', self._name, peer, exc)
        except Exception as exc:  # a bug in a handler's setup/finish
            self._on_error(('connection from %s' % (peer,), exc,
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
        conn.settimeout(self.timeout)
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
                _drain_and_close(conn)
            except socket.error:
                pass
            return None
        if self._before_handshake is not None and \
                self._before_handshake(conn):
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
            sock.settimeout(self.timeout)
            sock.do_handshake()
        except (socket.error, ValueError) as exc:
            log.info('%s: TLS handshake with %s failed: %s', self._name, peer, exc)
            with self._lock:
                self._connections.pop(sock, None)
            _close(sock)
            return None
        return sock

    def set_idle(self, sock, idle):
        """Mark *sock* idle (no request under way) or busy; for stop()."""
        with self._lock:
            entry = self._connections.get(sock)
            if entry is not None:
                entry[0] = idle
            stopping = self.stopping
        if idle and stopping:
            _shutdown(sock)



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


def _drain_and_close(sock, limit=1 << 16):
    """Half-close, read what the client sent (bounded), then close.

    Closing a socket with unread data makes the kernel send a reset, which
    can destroy the answer just sent before the client reads it.
    """
    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(1.0)
        total = 0
        while total < limit:
            chunk = sock.recv(4096)
            if not chunk:
                break
            total += len(chunk)
    except socket.error:
        pass
