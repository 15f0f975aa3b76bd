"""WebSocket sessions: one upgraded connection, run in its own thread.

This module owns what happens on a connection after the 101: a
:class:`Connection` runs the sans-IO codec
(:class:`~httptestserver.protocol.websocket.Protocol`) over the socket the
core hands over -- the greeting, the replies, what the test posts, ping/pong
and the close handshake -- and records every message in and out as a
:class:`LogEntry`.  The rule it keeps: a session decides nothing of the
script.  What to send first, what to answer, when to stop and where to
record are its endpoint's
(:class:`~httptestserver.streams.websocket.WebSocket`), asked through the
endpoint's public attributes and methods; the one lock is the endpoint's,
handed over when the session is made.  It closes the socket it was
given itself, as soon as the session is over: the closing handshake done,
the client's silence after our close (*close_timeout*), a protocol
failure, or the server stopping.  Imports only errors, _compat,
``protocol.websocket`` and ``streams.sockets``; it never opens a socket,
and never imports the endpoint's module (which imports this one).
"""
import errno
import os
import socket
import ssl
import traceback

import six

from .._compat import monotonic
from ..errors import ConfigurationError
from ..protocol.websocket import GOING_AWAY, INTERNAL_ERROR, NORMAL_CLOSURE, \
    Close, Failure, Message, Ping, Pong, Protocol, check_control_payload, \
    check_message
from .sockets import DRAIN_LIMIT, Poller, cut, hang_up

__all__ = ['Connection', 'LogEntry']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, List, Optional, Tuple  # noqa: F401


class LogEntry(object):
    """One message in or out: ``connection`` (its :class:`Connection`),
    ``direction`` (``'in'`` or ``'out'``), ``kind`` (``'text'``,
    ``'binary'``, ``'ping'``, ``'pong'``, ``'close'``, ``'error'`` for a
    client's protocol violation, ``'raw'`` for bytes the test sent unframed,
    ``'drop'`` for a drop, whose data is ``'reset'`` or ``'close'``) and
    ``data`` (text, bytes, a
    :class:`~httptestserver.protocol.websocket.Close` for a close, a
    :class:`~httptestserver.protocol.websocket.Failure` for an error)."""

    __slots__ = ('connection', 'direction', 'kind', 'data')

    def __init__(self, connection, direction, kind, data):
        self.connection = connection
        self.direction = direction
        self.kind = kind
        self.data = data

    def __repr__(self):
        data = self.data
        if isinstance(data, (bytes, six.text_type)) and len(data) > 40:
            return '<%s #%d %s %r... (%d)>' % (
                self.direction, self.connection.id, self.kind, data[:40],
                len(data))
        return '<%s #%d %s %r>' % (self.direction, self.connection.id,
                                   self.kind, data)


def _kind(data):
    return 'text' if isinstance(data, six.text_type) else 'binary'


class Connection(object):
    """One upgraded WebSocket connection, run in its connection's thread.

    ``id`` (1, 2, ... per
    :class:`~httptestserver.streams.websocket.WebSocket`), ``request`` (the
    recorded upgrade request), ``subprotocol``, ``messages`` (its
    :class:`LogEntry` list), ``close_code``/``close_reason`` (the client's
    close, when it sent one), ``closed`` and ``answer_pings`` (set it false
    to leave the client's pings unanswered from now on).  :meth:`send`,
    :meth:`ping`, :meth:`pong`, :meth:`send_raw`, :meth:`drop` and
    :meth:`close` are thread-safe and return at once: the session thread
    writes the frames, in order, and records them when written.

    Made by its endpoint *owner*, which passes *changed*, its condition: the
    condition's lock guards this session's outbox, wake-up pipe and
    ``closed`` too, and it is notified when the session ends, so that the
    endpoint's waits see ``closed`` change.
    """

    def __init__(self, owner, ident, request, subprotocol, changed,
                 deflate=None):
        self._owner = owner
        self._changed = changed
        self.id = ident
        self.request = request
        self.subprotocol = subprotocol
        self.protocol = Protocol(owner.max_message_size, deflate)
        self.answer_pings = owner.answer_pings
        self._over = None  # type: Optional[str]  # 'drop', 'reset', 'now'
        self.close_code = None  # type: Optional[int]
        self.close_reason = None  # type: Optional[str]
        self.closed = False
        self._outbox = []  # type: List[Tuple[str, Any]]
        self._wake_r = self._wake_w = None  # type: Any  # made by run()
        self._sock = None  # type: Any
        self._poller = None  # type: Any

    def __repr__(self):
        return '<websocket.Connection #%d %s>' % (
            self.id, 'closed' if self.closed else 'open')

    @property
    def messages(self):
        # type: () -> List[LogEntry]
        """This connection's messages in and out, in order (a snapshot)."""
        return [e for e in self._owner.log if e.connection is self]

    # -- from the test thread
    def send(self, data, fragment_size=None):
        # type: (Any, Optional[int]) -> None
        """Send a message: text as a text message, bytes as binary; with
        *fragment_size*, in frames of that many payload bytes."""
        data = check_message(data)
        if fragment_size is None:
            return self._post('message', data)
        if isinstance(fragment_size, bool) or not isinstance(
                fragment_size, six.integer_types) or fragment_size < 1:
            raise ConfigurationError('fragment_size must be a whole number '
                                     'of bytes >= 1, got %r'
                                     % (fragment_size,))
        self._post('fragments', (data, fragment_size))

    def pong(self, payload=b''):
        # type: (Any) -> None
        """Send a pong that answers no ping (RFC 6455 5.5.3 allows it)."""
        self._post('pong', check_control_payload(payload, 'pong payload'))

    def send_raw(self, data):
        # type: (bytes) -> None
        """Write bytes *data* as they are, unframed: a broken frame on
        purpose."""
        if not isinstance(data, (bytes, bytearray)):
            raise ConfigurationError('send_raw() takes bytes, got %r'
                                     % (data,))
        self._post('raw', bytes(data))

    def drop(self, reset=False):
        # type: (bool) -> None
        """End the TCP connection with no close frame (and no TLS
        close_notify): a crashed server; with *reset*, a TCP RST."""
        self._post('drop', bool(reset))

    def ping(self, payload=b''):
        # type: (Any) -> None
        """Send a ping; the client's pong is recorded."""
        self._post('ping', check_control_payload(payload,
                                                 'ping payload'))

    def close(self, code=NORMAL_CLOSURE, reason=u'', wait=True):
        # type: (int, Any, bool) -> None
        """Start the close handshake with *code* and *reason*; with
        *wait* false, close the TCP connection right after our close frame,
        without waiting for the client's."""
        Protocol().close(code, reason)  # checks the values now
        self._post('close' if wait else 'close now', Close(code, reason))

    def _post(self, what, value):
        with self._changed:
            if self.closed:
                raise ConfigurationError('%r is closed: it cannot %s any more'
                                         % (self, what))
            self._outbox.append((what, value))
            # Under the lock: run() closes the pipe under it, so this never
            # writes to a descriptor number reused by someone else.
            if self._wake_w is not None:
                os.write(self._wake_w, b'x')

    # -- in the connection's thread
    def run(self, sock, leftover=b''):
        """Serve the session on *sock* until it closes; the takeover hook.

        Blocks.  Sends the greeting, then answers messages as the
        :class:`~httptestserver.streams.websocket.WebSocket` says, sends
        what the test posts, answers pings, and completes the close
        handshake.  Returns when the connection is closed (by either side,
        a protocol error, or the server stopping), having closed *sock*
        itself: as soon as the closing handshake is complete, or
        ``close_timeout`` seconds after our close if the client does not
        answer it.
        An exception from a reply callable closes with 1011 and is recorded
        (:meth:`~httptestserver.streams.websocket.WebSocket.add_error`)
        before :attr:`closed` is set; it is re-raised only when the
        endpoint could not give it to a server.
        """
        self._sock = sock
        owner = self._owner
        error, recorded = None, False
        with self._changed:
            self._wake_r, self._wake_w = os.pipe()
        self._poller = Poller([sock, self._wake_r])
        try:
            try:
                for data in list(owner.greeting):
                    self._write('message', data)
                if leftover:
                    self._receive(leftover)
                self._serve()
            except socket.error:
                pass  # the client is gone; nothing more to say
            except Exception as exc:  # a reply callable failed
                error = exc
                recorded = owner.add_error(self, exc, traceback.format_exc())
                try:
                    self._write('close', Close(INTERNAL_ERROR,
                                               u'error in the test server'))
                    self._closing()
                except (socket.error, ConfigurationError):
                    pass
        finally:
            if self._over in ('drop', 'reset'):
                cut(sock, self._over == 'reset')
            else:
                hang_up(sock)
            with self._changed:
                self.closed = True
                self._changed.notify_all()
                for fd in (self._wake_r, self._wake_w):
                    os.close(fd)
                self._wake_r = self._wake_w = None
        if error is not None and not recorded:
            raise error

    def _serve(self):
        """Talk until a close: the client's (answered), ours (then
        :meth:`_closing`), a protocol failure, or the client leaving."""
        protocol, owner = self.protocol, self._owner
        while not protocol.close_received:
            if self._over:
                return
            if protocol.close_sent:
                return self._closing()
            if owner.should_stop():
                # Stopping must be fast: no wait for the client's answer.
                self._write('close', Close(GOING_AWAY, u'server stopping'))
                return
            self._flush_outbox()
            if protocol.close_sent or self._over:
                continue
            data = self._read(owner.poll_interval)
            if data is None:
                continue
            if not data:
                return  # the client went away without a close
            self._receive(data)
        if protocol.failure is not None:
            self._linger()

    def _closing(self):
        """After our close: read until the client's close completes the
        handshake, for *close_timeout* seconds at most."""
        protocol, owner = self.protocol, self._owner
        deadline = monotonic() + owner.close_timeout
        while not protocol.close_received:
            left = deadline - monotonic()
            if left <= 0 or owner.should_stop():
                return
            data = self._read(min(left, owner.poll_interval))
            if data is None:
                continue
            if not data:
                return
            self._receive(data)
        if protocol.failure is not None:
            self._linger()

    def _linger(self):
        """After a protocol failure, whose close we sent: the client's
        unread bytes would make closing the socket reset the connection,
        which can destroy our close frame before it is read.  So say we
        are done -- shut a plain socket for writing, send TLS close_notify
        -- which the client sees at once, and read until the client's end,
        within *close_timeout*.
        """
        sock, owner = self._sock, self._owner
        try:
            if isinstance(sock, ssl.SSLSocket):
                sock.setblocking(False)  # do not wait for the client's
                sock.unwrap()
            else:
                sock.shutdown(socket.SHUT_WR)
        except ssl.SSLError:
            pass  # the client's close_notify is not there yet: expected
        except (socket.error, ValueError):
            return
        deadline = monotonic() + owner.close_timeout
        drained = 0
        while drained < DRAIN_LIMIT:
            left = deadline - monotonic()
            if left <= 0 or owner.should_stop():
                return
            data = self._read(min(left, owner.poll_interval))
            if data is None:
                continue
            if not data:
                return
            drained += len(data)

    def _read(self, timeout):
        """Return bytes read, b'' at EOF, or None when there is nothing yet
        (a post arrived, or *timeout* passed)."""
        sock = self._sock
        pending = getattr(sock, 'pending', None)
        if not (pending is not None and pending()):
            ready = self._poller.wait(timeout)
            if self._wake_r in ready:
                os.read(self._wake_r, 512)
            if sock.fileno() not in ready:
                return None
        try:
            return sock.recv(65536)
        except socket.timeout:
            return None  # part of a TLS record; the rest comes later
        except socket.error as exc:
            if getattr(exc, 'errno', None) in (errno.EAGAIN,
                                               errno.EWOULDBLOCK):
                return None
            if isinstance(exc, ssl.SSLError) and exc.args and exc.args[0] in (
                    ssl.SSL_ERROR_WANT_READ, ssl.SSL_ERROR_WANT_WRITE):
                return None  # Python 2 has no SSLWantReadError class
            raise

    def _receive(self, data):
        owner = self._owner
        for event in self.protocol.receive_data(data):
            if isinstance(event, Message):
                owner.record(self, 'in', _kind(event.data), event.data)
                if self.protocol.close_sent:
                    continue  # closing: no more replies
                for reply in owner.reply_to(self, event.data):
                    if isinstance(reply, Close):
                        self._write('close', reply)
                        break
                    self._write('message', reply)
            elif isinstance(event, Ping):
                owner.record(self, 'in', 'ping', event.payload)
                if not self.protocol.close_sent and self.answer_pings:
                    self._write('pong', event.payload)
            elif isinstance(event, Pong):
                owner.record(self, 'in', 'pong', event.payload)
            elif isinstance(event, Close):
                self.close_code, self.close_reason = event.code, event.reason
                owner.record(self, 'in', 'close', event)
                if not self.protocol.close_sent:
                    # Echo the code, as RFC 6455 5.5.1 suggests.
                    self._write('close', Close(event.code, u''))
            elif isinstance(event, Failure):
                owner.record(self, 'in', 'error', event)
                self._write('close', Close(event.code, event.reason))

    def _flush_outbox(self):
        with self._changed:
            outbox, self._outbox = self._outbox, []
        for what, value in outbox:
            if self.protocol.close_sent or self._over:
                break
            self._write(what, value)

    def _write(self, what, value):
        protocol = self.protocol
        if protocol.close_sent or self._over:
            return
        if what == 'message':
            frame, kind = protocol.message(value), _kind(value)
        elif what == 'fragments':
            frame, kind = protocol.message(*value), _kind(value[0])
            value = value[0]
        elif what == 'raw':
            frame, kind = value, 'raw'
        elif what == 'drop':
            self._over = 'reset' if value else 'drop'
            self._owner.record(self, 'out', 'drop',
                               'reset' if value else 'close')
            return
        elif what == 'ping':
            frame, kind = protocol.ping(value), 'ping'
        elif what == 'pong':
            frame, kind = protocol.pong(value), 'pong'
        else:
            frame, kind = protocol.close(value.code, value.reason), 'close'
            if what == 'close now':
                self._over = 'now'
        self._sock.sendall(frame)
        self._owner.record(self, 'out', kind, value)
