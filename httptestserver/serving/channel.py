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
import errno
import logging
import random
import socket
import ssl
import time

from .. import tls
from ..answers.faults import garbage
from ..protocol.connection import NEED_DATA, Data, EndOfMessage, Limits, \
    Rejected, Request, ServerConnection
from . import fault_actions
from .loop import READ, WRITE

__all__ = ['Channel']

log = logging.getLogger('httptestserver')

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Callable, List, Optional  # noqa: F401

_AGAIN = (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR)
_WANT = (ssl.SSLWantReadError, ssl.SSLWantWriteError) \
    if hasattr(ssl, 'SSLWantReadError') else ()
_PLAIN_ON_TLS = b'Client sent an HTTP request to an HTTPS server.\n'
#: Most bytes read from a client after a final error answer, and for how
#: long, so that its unread request does not make the kernel reset the
#: connection before the answer is read (one deadline, not one per read).
DRAIN_LIMIT = 1 << 16
DRAIN_SECONDS = 1.0

# Channel states.
HANDSHAKE, READING, ANSWERING, WORKER, CLOSING, CLOSED = range(6)


def _want(exc):
    """True when *exc* only says "not now" (EAGAIN, or TLS wants I/O)."""
    if _WANT and isinstance(exc, _WANT):
        return True
    if isinstance(exc, ssl.SSLError) and exc.args and exc.args[0] in (
            ssl.SSL_ERROR_WANT_READ, ssl.SSL_ERROR_WANT_WRITE):
        return True  # Python 2
    return getattr(exc, 'errno', None) in _AGAIN


class Channel(object):
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

    # -- life ------------------------------------------------------------
    def open(self):
        """Start reading (or the TLS handshake); called once, by the
        engine."""
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

    # -- TLS -------------------------------------------------------------
    def _handshake(self):
        sock = self.sock
        if not self._peeked:
            try:
                first = sock.recv(5, socket.MSG_PEEK)
            except socket.error as exc:
                if not _want(exc):
                    self._broken(exc)
                return
            if not first:
                return self.close()
            self._peeked = True
            if not tls.is_tls_client_hello(first):
                return self._plain_on_tls()
            fault = self.engine.handshake_fault()
            if fault is not None:
                return self._handshake_fault(fault)
            try:
                self.sock = sock = self.engine.ssl_context.wrap_socket(
                    sock, server_side=True, do_handshake_on_connect=False)
            except (socket.error, ValueError) as exc:
                return self._broken(exc)
        try:
            sock.do_handshake()
        except (socket.error, ValueError) as exc:
            if _want(exc):
                wants_write = isinstance(exc, ssl.SSLWantWriteError) \
                    if _WANT else exc.args[0] == ssl.SSL_ERROR_WANT_WRITE
                self._watch(WRITE if wants_write else READ)
                return
            log.info('TLS handshake with %s failed: %s', self.peer, exc)
            return self.close()
        self.tls = tls.connection_info(sock)
        self.state = READING
        self._cancel_silence()
        if self.engine.exchange is None:
            return self.engine.serve_whole(self)
        self._arm_silence()
        self._watch(READ)
        self._read()  # the first request may have come with the Finished

    def _plain_on_tls(self):
        """Like Go: tell a plain-HTTP client what went wrong, then close."""
        head = ('HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; '
                'charset=utf-8\r\nConnection: close\r\n'
                'Content-Length: %d\r\n\r\n' % len(_PLAIN_ON_TLS))
        self.state = READING  # writes go out plain
        self.send(head.encode('ascii') + _PLAIN_ON_TLS)
        self.finish(close=True, drain=True)

    # -- reading -------------------------------------------------------------
    def _read(self):
        sock = self.sock
        try:
            data = sock.recv(65536)
            pending = getattr(sock, 'pending', None)
            if data and pending is not None:
                more = pending()
                while more:  # TLS: decrypted bytes the poller cannot see
                    data += sock.recv(more)
                    more = pending()
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

    def _handshake_fault(self, fault):
        """Fail the TLS handshake on purpose: hold the connection, or read
        the ClientHello and reset or answer garbage (in the loop)."""
        self.state = ANSWERING
        era = self.engine.store.begin()
        if fault == 'handshake_never':
            steps = iter([('hold',)])
        else:
            try:
                self.sock.recv(65536)  # the ClientHello: the client waits
            except socket.error as exc:
                if not _want(exc):
                    return self._broken(exc)
            steps = iter([('reset',)] if fault == 'handshake_reset' else
                         [('write', garbage(random.Random())), ('end', False)])
        self.play(steps, era, lambda keep: self.finish(close=True))

    # -- playing a response's steps in the loop -------------------------------
    def play(self, steps, era, done):
        """Play *steps* (see :func:`~httptestserver.serving.fault_actions.
        steps`): writes with back-pressure, waits as timers, a held
        connection that costs nothing until the client leaves.  The end of
        *era* (``reset()``, ``stop()``) or the client leaving cuts it short.
        Then ``done(keep_alive)``; not called if the connection closed."""
        self._steps = steps
        self._done = done
        self._holding = False
        self._timer = None
        self._era = era
        loop = self.loop
        self._unwatch_era = era.on_end(
            lambda: loop.call_soon_threadsafe(self._era_over, steps))
        self._watch(READ | (self._events & WRITE))
        self._step()

    def _step(self):
        self._timer = None
        while self.state != CLOSED and self._steps is not None:
            try:
                step = next(self._steps)
            except StopIteration:
                step = ('end', True)
            kind = step[0]
            if kind == 'write':
                self.send(step[1])
                if self._out:  # back-pressure: go on once it is written
                    self._after_flush = self._step
                    return
            elif kind == 'wait':
                # ('wait', s, True): a delay whose answer still goes out,
                # early, when reset() or stop() cut it short.
                soft = len(step) > 2 and step[2]
                if self._era.ended.is_set():
                    if soft:
                        continue
                    return self._played(False)
                self._timer = self.loop.call_later(step[1], self._step)
                self._soft = soft
                return
            elif kind == 'hold':
                self._holding = True
                return
            elif kind == 'end':
                return self._played(step[1])
            else:  # 'reset' or 'close_now': below TLS, no close_notify
                self._stop_playing()
                self._registered = False
                self.loop.remove(self.fd)
                getattr(fault_actions, kind)(self.sock)
                return self.close()

    def _stop_playing(self):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._steps = None
        self._holding = False
        unwatch, self._unwatch_era = self._unwatch_era, None
        if unwatch is not None:
            unwatch()

    def _played(self, keep_alive):
        done = self._done
        self._stop_playing()
        self._done = None
        done(keep_alive)

    def _era_over(self, steps):
        """reset() or stop() while playing: the wait is over, and so is
        the connection (the test it belongs to is over)."""
        if self._steps is not steps or self.state == CLOSED:
            return
        if self._timer is not None and self._soft:
            self._timer.cancel()
            return self._step()
        if self._timer is not None or self._holding:
            self._played(False)

    def _read_while_playing(self):
        """Read while an answer is played: an early next request is kept;
        the client leaving ends everything at once."""
        try:
            data = self.sock.recv(65536)
        except socket.error as exc:
            if _want(exc):
                return
            data = b''
        except ValueError:
            data = b''
        if not data:
            self._stop_playing()
            return self.close()
        if not self._holding:
            self.conn.receive_data(data)

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
        if self.sock.fileno() != self.fd:  # the worker closed it (a fault)
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
