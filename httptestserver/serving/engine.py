"""The engine: one event loop owns every socket of a server.

:class:`Engine` binds and listens when it is created (so the port is valid
and connections queue before it serves), then runs one loop thread
(:mod:`~httptestserver.serving.loop`) that accepts connections, drives each
one as a :class:`~httptestserver.serving.channel.Channel` -- TLS handshake,
reading requests, writing answers -- and keeps idle keep-alive
connections at no cost but a descriptor.  Answers that need no user code
are written from the loop; the rest run on a pool of worker threads
(:mod:`~httptestserver.serving.workers`).  :meth:`Engine.stop` frees the
port at once, closes idle connections, waits a bounded time for requests
in flight and names the ones it is stuck on.  It knows how a request is
answered only through the server's exchange class.
"""
import errno
import logging
import socket
import threading
import traceback

from .._compat import monotonic
from ..errors import ConfigurationError
from .channel import Channel
from .handoff import Playback
from .loop import READ, Loop
from .states import WORKER
from .workers import Workers

__all__ = ['Engine']

log = logging.getLogger('httptestserver')

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Callable, Optional, Set  # noqa: F401

_RESOURCE_ERRNOS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
_RETRY_ERRNOS = (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR,
                 errno.ECONNABORTED, errno.EPROTO)
#: How long the accept loop rests after a resource error (Go: 5 ms to 1 s).
ACCEPT_BACKOFF = 0.05
#: Most connections accepted in one turn of the loop.
ACCEPT_BATCH = 64


class Engine(object):
    """A bound socket, its loop thread, and the connections it serves.

    *server* is the :class:`~httptestserver.Server` (its ``handler_class``
    answers requests, its ``store`` records them); *on_error* receives
    ``(where, exception, traceback_text)`` for failures outside a request;
    ``fault_of()`` names the connection or TLS handshake fault to perform
    instead of a
    handshake, or returns None.  Thread-safe where it says so.
    """

    def __init__(self, host, port, server, on_error, ssl_context=None,
                 name='httptestserver', fault_of=None):
        # type: (str, int, Any, Callable[[Any], None], Any, str, Any) -> None
        self.server = server
        self.store = server.store
        self.handler_class = server.handler_class
        self.ssl_context = ssl_context
        self._on_error = on_error
        self._fault_of = fault_of
        self.sock = bind(host, port)
        self.port = self.sock.getsockname()[1]
        self.name = '%s-%d' % (name, self.port)
        #: True from the moment stop() begins.
        self.stopping = False
        self.loop = Loop(on_error)
        self.workers = Workers(self.name)
        self.thread = None  # type: Optional[threading.Thread]
        self._channels = set()  # type: Set[Channel]
        self._lock = threading.Lock()
        self._settled = threading.Condition(self._lock)
        self._paused_accept = False
        self._spared = None  # type: Any  # the thread that called stop()
        exchange = getattr(self.handler_class, 'engine_exchange', None)
        #: The server's way to answer a request (None: the handler class is
        #: a plain BaseHTTPRequestHandler, which serves whole connections).
        self.exchange = exchange

    # -- lifecycle (test thread) --------------------------------------------
    def start(self):
        # type: () -> None
        """Run the loop in a daemon thread; does not block.  Call once."""
        self.loop.add(self.sock.fileno(), READ, self._accept)
        thread = threading.Thread(target=self._run, name=self.name)
        thread.daemon = True
        self.thread = thread
        thread.start()

    def _run(self):
        try:
            self.loop.run()
        finally:
            for channel in list(self._channels):
                if channel.state == WORKER:
                    if channel.worker is self._spared:
                        continue  # stop() called from its own handler
                    _shutdown(channel.sock)  # wake the worker; it closes
                else:
                    channel.close()
            self.loop.close()

    def is_worker(self, thread=None):
        # type: (Any) -> bool
        """True when *thread* (default: this one) answers a request."""
        return self.workers.is_worker(thread)

    def stop(self, timeout, current):
        # type: (Optional[float], Any) -> None
        """Stop accepting, free the port, finish the connections; blocks.

        Idle connections close at once; requests in flight get up to
        *timeout* seconds (None: no bound), except the one the thread
        *current* answers (a handler that stops its own server).  Then what
        is left is named in the log and closed.  Call once.
        """
        self.stopping = True
        self._spared = current
        if self.thread is None:  # never started
            self.close()
            return
        done = threading.Event()
        self.loop.call_soon_threadsafe(self._begin_stop, done)
        done.wait()  # the port is free now
        deadline = None if timeout is None else monotonic() + timeout
        with self._lock:
            while len(self._channels) > (1 if self.workers.is_worker(current)
                                         else 0):
                remaining = None if deadline is None \
                    else deadline - monotonic()
                if remaining is not None and remaining <= 0:
                    break
                self._settled.wait(remaining)
        stuck = [channel for channel in _snapshot(self._channels)
                 if channel.worker is not current]
        if stuck:
            log.warning('%s: stop() waited %.1fs and is still blocked on %d '
                        'connection(s) from %s; closing them', self.name,
                        timeout, len(stuck),
                        ', '.join(str(c.peer) for c in stuck))
        self.loop.stop()
        if self.thread is not threading.current_thread():
            self.thread.join()
        self.workers.close()

    def close(self):
        """Release the socket and the loop's descriptors of an engine that
        never started (a server stopped before start(), or whose creation
        failed after binding); idempotent."""
        self.sock.close()
        self.loop.close()
        self.workers.close()

    def _begin_stop(self, done):
        try:
            self.loop.remove(self.sock.fileno())
            self.sock.close()
            for channel in list(self._channels):
                if channel.idle:
                    channel.close()
                elif channel.whole:  # a plain handler's: end its reads
                    _shutdown(channel.sock)
        finally:
            done.set()

    # -- accepting (loop thread) --------------------------------------------
    def _accept(self, events):
        for _ in range(ACCEPT_BATCH):
            try:
                sock, peer = self.sock.accept()
            except socket.error as exc:
                if exc.errno in _RETRY_ERRNOS:
                    return
                if exc.errno in _RESOURCE_ERRNOS:
                    log.error('%s: accept failed: %s', self.name, exc)
                else:
                    self._on_error(('accept', exc, traceback.format_exc()))
                self._rest_accepting()
                return
            if self.stopping:
                sock.close()
                return
            self._open(sock, peer)

    def _rest_accepting(self):
        """Stop accepting for a moment (descriptors or memory ran out), as
        Go does, instead of spinning or giving up for good."""
        if self._paused_accept:
            return
        self._paused_accept = True
        self.loop.modify(self.sock.fileno(), 0)

        def resume():
            self._paused_accept = False
            if not self.stopping:
                self.loop.modify(self.sock.fileno(), READ)
        self.loop.call_later(ACCEPT_BACKOFF, resume)

    def _open(self, sock, peer):
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (socket.error, OSError):
            sock.close()
            return
        channel = Channel(self, sock, peer)
        self._channels.add(channel)
        channel.open()

    def forget(self, channel):
        """A channel closed: drop it (loop thread)."""
        self._channels.discard(channel)
        if self.stopping:
            with self._lock:
                self._settled.notify_all()

    # -- answering (loop thread) ----------------------------------------------
    def handshake_fault(self):
        """Name the TLS handshake fault to perform instead of a handshake,
        or None (loop thread)."""
        fault = self._fault_of() if self._fault_of is not None else None
        return fault if fault is not None and fault.startswith('handshake') \
            else None

    def connection_fault(self):
        """Name the connection fault (``accept_close``, ``accept_stall``)
        to perform on a connection just accepted, or None (loop thread)."""
        fault = self._fault_of() if self._fault_of is not None else None
        return fault if fault is not None and fault.startswith('accept') \
            else None

    def serve_whole(self, channel):
        """Hand the whole connection to a worker running a plain
        ``BaseHTTPRequestHandler`` class (``Server(handler=...)`` with a
        class of the standard library's kind), as the standard library
        would serve it."""
        channel.whole = True

        def task():
            channel.worker = threading.current_thread()
            try:
                self.handler_class(channel.sock, channel.peer, self.server)
            except Exception as exc:
                self._on_error(('connection from %s' % (channel.peer,), exc,
                                traceback.format_exc()))
            finally:
                self.give_back(channel, True)
        channel.to_worker(task)

    def answer(self, channel, got, era, started):
        """Answer one request of *channel*: in the loop when the exchange
        can, else in a worker.  (An answer given in the loop is over before
        stop() can look, so only a worker's counts as in flight.)"""
        exchange = channel.exchange
        if exchange is None:
            exchange = channel.exchange = self.exchange(channel)
        try:
            handoff = exchange.serve(got, era, started, inline=True)
        except Exception as exc:  # a bug of ours: answer nothing, close
            self._on_error(('connection from %s' % (channel.peer,), exc,
                            traceback.format_exc()))
            return channel.close()
        if handoff is None:
            return channel.finish(close=exchange.close_connection)
        if isinstance(handoff, Playback):
            return channel.play(handoff.steps, era, handoff.done)

        def task():
            close = True
            channel.worker = threading.current_thread()
            try:
                handoff()
                close = exchange.close_connection
            finally:
                self.give_back(channel, close)
        channel.to_worker(task)

    def give_back(self, channel, close):
        """A worker is done with *channel*'s socket (worker thread)."""
        if not self.loop.call_soon_threadsafe(channel.returned, close):
            channel.sock.close()  # the loop is gone: nobody else will

    def cannot_start_worker(self, channel, exc):
        """No thread could be had for *channel*'s request: record it, close
        that connection, and go on serving the others."""
        self._on_error(('connection from %s: no worker thread' %
                        (channel.peer,), exc, traceback.format_exc()))
        channel.state = WORKER  # not registered any more
        channel.close()


def bind(host, port):
    """Return a listening, non-blocking socket on *host*, *port*."""
    try:
        infos = socket.getaddrinfo(host or None, port, socket.AF_UNSPEC,
                                   socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigurationError('host %r cannot be resolved (%s); use an '
                                 'address such as "127.0.0.1" or "::1"'
                                 % (host, exc))
    # IPv4 first: the common client tries 127.0.0.1 for "localhost".
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(1024)
        sock.setblocking(False)
    except socket.error as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigurationError(
                'port %d on %s is already in use; pass port=None to let the '
                'OS pick a free one' % (port, host))
        raise ConfigurationError('cannot listen on %s port %s: %s'
                                 % (host, port, exc))
    return sock


def _snapshot(channels):
    """A list of *channels*, a set the loop thread may change meanwhile."""
    for _ in range(100):
        try:
            return list(channels)
        except RuntimeError:  # changed size during iteration: try again
            continue
    return []


def _shutdown(sock):
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except (socket.error, ValueError, TypeError):
        pass
