"""One client connection driven by the event loop: bytes in, answers out.

A :class:`Channel` owns one accepted socket, non-blocking, in the loop's
thread: the TLS handshake (want-read / want-write, one deadline for the
whole of it), reading through the connection's sans-IO
:class:`~httptestserver.protocol.connection.ServerConnection`, and writing
with back-pressure (what the socket does not take waits in a buffer until
it is writable).  A complete request goes to the exchange: answered in the
loop when no user code and no wait is involved, else handed with the
socket to a worker thread, which gives the socket back when it is done.
Every method runs in the loop thread, except where it says otherwise.
"""
import logging
import socket
import ssl
import time

from ..protocol.connection import NEED_DATA, Data, EndOfMessage, Limits, \
    Rejected, Request, ServerConnection
from .handshake import Handshaking
from .loop import READ, WRITE, would_block as _want
from .player import Player
from .states import ANSWERING, CLOSED, CLOSING, HANDSHAKE, READING, \
    WORKER

__all__ = ['Channel']

log = logging.getLogger('httptestserver')

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Callable, List, Optional  # noqa: F401

#: Most bytes read from a client after a final error answer, and for how
#: long, so that its unread request does not make the kernel reset the
#: connection before the answer is read (one deadline, not one per read).
DRAIN_LIMIT = 1 << 16
DRAIN_SECONDS = 1.0


class Channel(Handshaking, Player):
    """The loop's side of one connection."""

    def __init__(self, engine, sock, peer):
        self.engine = engine
        self.loop = engine.loop
        self.sock = sock
        self.peer = peer
        self.fd = sock.fileno()
        handler = engine.handler_class
        self.timeout = getattr(handler, 'timeout', None)
        self.conn = ServerConnection(Limits(
            getattr(handler, 'max_line', 65536),
            getattr(handler, 'max_headers', 100),
            getattr(handler, 'max_body', 64 << 20),
            getattr(handler, 'max_head', 128 << 10)))
        self.tls = None  # type: Any
        self.state = READING
        self.exchange = None  # type: Any  # made on the first request
        self._out = bytearray()
        self._events = READ
        self._after_flush = None  # type: Optional[Callable[[], None]]
        self._request = None  # type: Any
        self._body = []  # type: List[bytes]
        self._era = None  # type: Any
        self._started = 0.0
        self._deadline = None  # type: Any  # the silence timer
        self._drained = 0
        #: True when a plain handler class serves the whole connection.
        self.whole = False
        self._registered = False
        self._processing = False
        #: The worker thread answering now (None: the loop's turn).
        self.worker = None  # type: Any
        self._steps = None  # type: Any  # the steps being played
        self._done = None  # type: Any
        self._timer = None  # type: Any
        self._holding = False
        self._soft = False
        self._unwatch_era = None  # type: Any
        self._sleeping = False  # in a stream's 'sleep' step
        self._unwatch_sleep = None  # type: Any

    # -- life ------------------------------------------------------------
    def open(self):
        """Start reading (or the TLS handshake); called once, by the
        engine."""
        fault = self.engine.connection_fault()
        if fault is not None:
            return self._connection_fault(fault)
        self.loop.add(self.fd, READ, self._on_events)
        self._registered = True
        if self.engine.ssl_context is not None:
            self.state = HANDSHAKE
            self._peeked = False
        elif self.engine.exchange is None:
            return self.engine.serve_whole(self)
        self._arm_silence()

    @property
    def idle(self):
        # type: () -> bool
        """True when no request is under way and every answer is written:
        stop() may close it."""
        return self.state in (READING, HANDSHAKE) and not self._out and \
            self.conn.request is None and not self.conn.trailing_data

    def close(self):
        """Close now: unregister, close the socket; idempotent."""
        if self.state == CLOSED:
            return
        if self._steps is not None:
            self._stop_playing()
        if self._unwatch_era is not None:  # a stalled connection's
            self._unwatch_era()
        self.state = CLOSED
        self._cancel_silence()
        if self._registered:  # else the descriptor may be another's now
            self._registered = False
            self.loop.remove(self.fd)
        _close(self.sock)
        self.engine.forget(self)

    def _broken(self, exc=None):
        if exc is not None:
            log.debug('connection from %s ended: %s', self.peer, exc)
        self.close()

    # -- the silence timer -------------------------------------------------
    def _arm_silence(self):
        self._last = time.time()
        if self.timeout is None or self._deadline is not None:
            return
        self._deadline = self.loop.call_later(self.timeout, self._silence)

    def _cancel_silence(self):
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _silence(self):
        self._deadline = None
        if self.state in (ANSWERING, WORKER, CLOSING, CLOSED):
            if self.state in (ANSWERING, WORKER):  # not silence: our turn
                self._last = time.time()
                self._arm_silence()
            return
        quiet = time.time() - self._last
        if quiet + 0.001 < self.timeout:
            self._deadline = self.loop.call_later(self.timeout - quiet,
                                                  self._silence)
            return
        log.debug('closing the connection from %s: silent for %ss',
                  self.peer, self.timeout)
        self.close()

    # -- readiness -----------------------------------------------------------
    def _on_events(self, events):
        if events & WRITE:
            self._flush()
        if events & READ and self.state != CLOSED:
            if self.state == HANDSHAKE:
                self._handshake()
            elif self.state == READING:
                self._read()
            elif self.state == ANSWERING and self._steps is not None:
                self._read_while_playing()
            elif self.state == CLOSING:
                self._drain()

    def _watch(self, events):
        if events != self._events and self.state != CLOSED and \
                self.state != WORKER:
            self._events = events
            self.loop.modify(self.fd, events)

    # -- reading -------------------------------------------------------------
    def _read(self):
        sock = self.sock
        try:
            data = sock.recv(65536)
            if data and self.tls is not None:
                more = sock.pending()
                while more:  # TLS: decrypted bytes the poller cannot see
                    data += sock.recv(more)
                    more = sock.pending()
        except socket.error as exc:
            if _want(exc):
                return
            return self._broken(exc)
        except ValueError as exc:
            return self._broken(exc)
        self._last = time.time()
        self.conn.receive_data(data)
        self.process()

    def process(self):
        """Turn buffered bytes into requests and answer them in order."""
        if self._processing:  # finish() of an answer given in this loop
            return
        self._processing = True
        try:
            self._process()
        finally:
            self._processing = False

    def _process(self):
        conn = self.conn
        while self.state == READING:
            event = conn.next_event()
            if event is NEED_DATA:
                if conn.they_are_waiting_for_100_continue:
                    self.send(conn.send_continue())
                if self.engine.stopping and self.idle:
                    self.close()
                return
            if isinstance(event, Request):
                self._request = event
                self._body = []
                self._era = self.engine.store.begin()
                self._started = time.time()
            elif isinstance(event, Data):
                self._body.append(event.data)
            elif isinstance(event, EndOfMessage):
                request, body = self._request, b''.join(self._body)
                self._request, self._body = None, []
                self._answer((request, body))
            elif isinstance(event, Rejected):
                self._era = self.engine.store.begin()
                self._started = time.time()
                self._answer(event)
            else:  # ConnectionClosed (or PAUSED after an error)
                return self.close()

    def _answer(self, got):
        self.state = ANSWERING
        self.engine.answer(self, got, self._era, self._started)

    # -- writing -------------------------------------------------------------
    def send(self, data):
        # type: (bytes) -> None
        """Write *data* now, or as soon as the socket takes it; in order."""
        if not data or self.state == CLOSED:
            return
        if self._out:
            self._out += data
            return
        try:
            sent = self.sock.send(data)
        except socket.error as exc:
            if not _want(exc):
                return self._broken(exc)
            sent = 0
        except ValueError as exc:
            return self._broken(exc)
        if sent < len(data):
            self._out += data[sent:]
            self._watch(self._events | WRITE)

    def _flush(self):
        out = self._out
        while out:
            try:
                sent = self.sock.send(bytes(out[:1 << 18]))
            except socket.error as exc:
                if _want(exc):
                    return
                return self._broken(exc)
            except ValueError as exc:
                return self._broken(exc)
            if not sent:
                return
            del out[:sent]
        self._watch(self._events & ~WRITE)
        callback, self._after_flush = self._after_flush, None
        if callback is not None:
            callback()

    def when_flushed(self, callback):
        # type: (Callable[[], None]) -> None
        """Run ``callback()`` once everything sent so far is written."""
        if self._out:
            self._after_flush = callback
        else:
            callback()

    # -- after an answer ------------------------------------------------------
    def finish(self, close=False, drain=False):
        """The answer is complete: read the next request, or close once
        the answer is written (with *drain*, after reading what the client
        still sends, so that it reads the answer before a reset)."""
        self.worker = None
        if self.state == CLOSED:
            return
        if close or not self.conn.keep_alive or self.engine.stopping:
            self.state = CLOSING
            self.when_flushed(self._half_close if drain else self._end)
            return
        self.state = READING
        self._watch(READ | (WRITE if self._out else 0))
        self._arm_silence()
        if self.engine.stopping and self.idle:
            return self.close()
        self.process()

    def _end(self):
        """Close after the last answer: FIN first, as the standard
        library's server does."""
        if self.state == CLOSED:
            return
        if not isinstance(self.sock, ssl.SSLSocket):
            try:
                self.sock.shutdown(socket.SHUT_WR)
            except socket.error:
                pass
        self.close()

    def _half_close(self):
        """Close our side, read what the client still sends (bounded in
        bytes and in time), then close: closing with unread data would
        make the kernel reset the connection and destroy the answer."""
        if self.state == CLOSED:
            return
        if isinstance(self.sock, ssl.SSLSocket):
            return self.close()  # close_notify goes out in _close()
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except socket.error:
            return self.close()
        self._drained = 0
        self._watch(READ)
        self.loop.call_later(DRAIN_SECONDS, self.close)
        self._drain()

    def _drain(self):
        while self._drained < DRAIN_LIMIT:
            try:
                data = self.sock.recv(65536)
            except socket.error as exc:
                if _want(exc):
                    return
                return self.close()
            if not data:
                return self.close()
            self._drained += len(data)
        self.close()

    # -- handing the socket to a worker ---------------------------------------
    def to_worker(self, task):
        """Run ``task()`` in a worker with the socket blocking; once all
        that was sent is written.  The worker gives it back with
        :meth:`returned` (through the engine)."""
        def hand_over():
            if self.state == CLOSED:
                return
            self.state = WORKER
            self._registered = False
            self.loop.remove(self.fd)
            self._events = 0
            try:
                self.sock.settimeout(self.timeout)
                self.engine.workers.submit(task)
            except Exception as exc:
                self.engine.cannot_start_worker(self, exc)
        self.when_flushed(hand_over)

    def returned(self, close):
        """The worker is done with the socket: back to the loop, to read
        the next request or to close (the engine calls it in the loop)."""
        if self.state == CLOSED:
            return
        try:
            closed = self.sock.fileno() != self.fd
        except socket.error:  # Python 2: EBADF once closed underneath
            closed = True
        if closed:  # the worker closed it (a fault, a takeover's end)
            return self.close()
        try:
            self.sock.setblocking(False)
        except (socket.error, ValueError) as exc:
            return self._broken(exc)
        self.state = ANSWERING
        self._events = READ
        self.loop.add(self.fd, READ, self._on_events)
        self._registered = True
        self.finish(close=close)


def _close(sock):
    if isinstance(sock, ssl.SSLSocket):
        # RFC 8446 6.1: send close_notify; do not wait for the peer's.
        try:
            sock.setblocking(False)
            sock.unwrap()
        except (socket.error, ValueError):
            pass
    try:
        sock.close()
    except socket.error:
        pass
