"""WebSocket sessions: the route that upgrades, and each connection's session.

:class:`WebSocket` is a callable route: it answers the opening handshake
(checked by :func:`~httptestserver.protocol.websocket.handshake`) and, for a 101,
runs a :class:`Connection` session on the raw socket in the connection's
thread (the core's ``Response.takeover`` hook): echo, replies per message,
messages sent first or on demand from the test, ping/pong and close.  Every
message in and out is recorded in order as a :class:`LogEntry`, with waits
on it for the test.  The framing itself is
:class:`~httptestserver.protocol.websocket.Protocol`, the sans-IO codec this module
drives; imports only errors, _compat, ``websocket`` and ``responses`` (for
:class:`~httptestserver.answers.responses.Response`); the socket it runs on is
handed over by the core, it never opens one.
"""
import errno
import os
import select
import socket
import threading
import traceback

import six

from .._compat import monotonic, wait_for
from ..errors import ConfigurationError, HandlerError, WaitTimeout
from ..answers.responses import Response
from ..protocol.websocket import DEFAULT_MAX_MESSAGE_SIZE, GOING_AWAY, \
    INTERNAL_ERROR, NORMAL_CLOSURE, Close, Failure, Message, Ping, Pong, \
    Protocol, check_control_payload, check_message, handshake

__all__ = ['WebSocket', 'Connection', 'LogEntry']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List, Optional, Tuple  # noqa: F401


class LogEntry(object):
    """One message in or out: ``connection`` (its :class:`Connection`),
    ``direction`` (``'in'`` or ``'out'``), ``kind`` (``'text'``,
    ``'binary'``, ``'ping'``, ``'pong'``, ``'close'``, or ``'error'`` for a
    client's protocol violation) and ``data`` (text, bytes, a
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

    ``id`` (1, 2, ... per :class:`WebSocket`), ``request`` (the recorded
    upgrade request), ``subprotocol``, ``messages`` (its :class:`LogEntry`
    list), ``close_code``/``close_reason`` (the client's close, when it sent
    one) and ``closed``.  :meth:`send`, :meth:`ping` and :meth:`close` are
    thread-safe and return at once: the session thread writes the frames,
    in order, and records them when written.
    """

    def __init__(self, owner, ident, request, subprotocol):
        self._owner = owner
        self.id = ident
        self.request = request
        self.subprotocol = subprotocol
        self.protocol = Protocol(owner.max_message_size)
        self.close_code = None  # type: Optional[int]
        self.close_reason = None  # type: Optional[str]
        self.closed = False
        self._outbox = []  # type: List[Tuple[str, Any]]
        self._wake_r = self._wake_w = None  # type: Any  # made by run()
        self._sock = None  # type: Any

    def __repr__(self):
        return '<websocket.Connection #%d %s>' % (
            self.id, 'closed' if self.closed else 'open')

    @property
    def messages(self):
        # type: () -> List[LogEntry]
        """This connection's messages in and out, in order (a snapshot)."""
        return [e for e in self._owner.log if e.connection is self]

    # -- from the test thread
    def send(self, data):
        # type: (Any) -> None
        """Send a message: text as a text message, bytes as binary."""
        self._post('message', check_message(data))

    def ping(self, payload=b''):
        # type: (Any) -> None
        """Send a ping; the client's pong is recorded."""
        self._post('ping', check_control_payload(payload,
                                                 'ping payload'))

    def close(self, code=NORMAL_CLOSURE, reason=u''):
        # type: (int, Any) -> None
        """Start the close handshake with *code* and *reason*."""
        Protocol().close(code, reason)  # checks the values now
        self._post('close', Close(code, reason))

    def _post(self, what, value):
        with self._owner._lock:
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
        :class:`WebSocket` says, sends what the test posts, answers pings,
        and completes the close handshake.  Returns when the connection is
        closed (by either side, a protocol error, or the server stopping).
        Re-raises an exception from a reply callable after closing with
        1011, so it is recorded like any handler error.
        """
        self._sock = sock
        owner = self._owner
        error = None
        with owner._lock:
            self._wake_r, self._wake_w = os.pipe()
        try:
            for data in owner._greeting():
                self._write('message', data)
            if leftover:
                self._receive(leftover)
            while not self.protocol.close_received:
                if owner._should_stop():
                    self._write('close', Close(GOING_AWAY, u'server stopping'))
                    break
                self._flush_outbox()
                if self.protocol.close_received:
                    break
                data = self._read()
                if data is None:
                    continue
                if not data:
                    break  # the client went away without a close
                self._receive(data)
            self._finish()
        except socket.error:
            pass  # the client is gone; nothing more to say
        except Exception as exc:  # a reply callable failed
            error = exc
            owner._add_error(self, exc, traceback.format_exc())
            try:
                self._write('close', Close(INTERNAL_ERROR,
                                           u'error in the test server'))
            except (socket.error, ConfigurationError):
                pass
        finally:
            with owner._lock:
                self.closed = True
                owner._changed.notify_all()
                for fd in (self._wake_r, self._wake_w):
                    os.close(fd)
                self._wake_r = self._wake_w = None
        if error is not None:
            raise error

    def _read(self):
        """Return bytes read, b'' at EOF, or None when there is nothing yet
        (a post arrived, or poll_interval passed)."""
        sock = self._sock
        pending = getattr(sock, 'pending', None)
        if not (pending is not None and pending()):
            try:
                ready = select.select([sock, self._wake_r], [], [],
                                      self._owner.poll_interval)[0]
            except (select.error, OSError) as exc:
                if exc.args and exc.args[0] == errno.EINTR:  # Python 2
                    return None
                raise
            if self._wake_r in ready:
                os.read(self._wake_r, 512)
            if sock not in ready:
                return None
        try:
            return sock.recv(65536)
        except socket.timeout:
            return None  # part of a TLS record; the rest comes later
        except socket.error as exc:
            if getattr(exc, 'errno', None) in (errno.EAGAIN, errno.EWOULDBLOCK):
                return None
            if exc.__class__.__name__ == 'SSLWantReadError':
                return None
            raise

    def _receive(self, data):
        owner = self._owner
        for event in self.protocol.receive_data(data):
            if isinstance(event, Message):
                owner._record(self, 'in', _kind(event.data), event.data)
                for reply in owner._replies(self, event.data):
                    if isinstance(reply, Close):
                        self._write('close', reply)
                        return
                    self._write('message', reply)
            elif isinstance(event, Ping):
                owner._record(self, 'in', 'ping', event.payload)
                if not self.protocol.close_sent:
                    self._write('pong', event.payload)
            elif isinstance(event, Pong):
                owner._record(self, 'in', 'pong', event.payload)
            elif isinstance(event, Close):
                self.close_code, self.close_reason = event.code, event.reason
                owner._record(self, 'in', 'close', event)
                if not self.protocol.close_sent:
                    # Echo the code, as RFC 6455 5.5.1 suggests.
                    self._write('close', Close(event.code, u''))
            elif isinstance(event, Failure):
                owner._record(self, 'in', 'error', event)
                self._write('close', Close(event.code, event.reason))

    def _flush_outbox(self):
        with self._owner._lock:
            outbox, self._outbox = self._outbox, []
        for what, value in outbox:
            if self.protocol.close_sent:
                break
            self._write(what, value)

    def _write(self, what, value):
        protocol = self.protocol
        if protocol.close_sent:
            return
        if what == 'message':
            frame, kind = protocol.message(value), _kind(value)
        elif what == 'ping':
            frame, kind = protocol.ping(value), 'ping'
        elif what == 'pong':
            frame, kind = protocol.pong(value), 'pong'
        else:
            frame, kind = protocol.close(value.code, value.reason), 'close'
        self._sock.sendall(frame)
        self._owner._record(self, 'out', kind, value)

    def _finish(self):
        """After our close: wait (bounded) for the client's close, or after
        a protocol failure for its end of the stream, so that closing the
        socket does not reset a connection (RST) before the client read
        our close frame."""
        protocol = self.protocol
        if not protocol.close_sent or protocol.close_received and \
                protocol.failure is None:
            return
        deadline = monotonic() + self._owner.close_timeout
        while monotonic() < deadline and not self._owner._should_stop():
            data = self._read()
            if data is None:
                continue
            if not data:
                return
            if not protocol.close_received:
                self._receive(data)
                if protocol.close_received and protocol.failure is None:
                    return


class WebSocket(object):
    """A route that upgrades requests to WebSocket and runs a scripted
    session on each connection.

    ``server.route('/ws', WebSocket(server=server))`` echoes every message.
    *replies* changes the answer: a callable taking each message (text or
    bytes) and returning a reply, a list of replies, or ``None``; or a list
    whose n-th item answers the n-th message of a connection (nothing once
    it runs out).  A reply is text (a text message), bytes (binary) or a
    :class:`~httptestserver.protocol.websocket.Close` to close the connection.
    *greeting* is a message or list of messages sent as soon as a
    connection opens.  *subprotocols* are the subprotocols accepted,
    preferred first (or a callable choosing from the offered list).
    Messages over *max_message_size* bytes close the connection with 1009.

    Every message in and out is in :attr:`log` as a :class:`LogEntry`, in
    order; :meth:`wait` and :meth:`wait_connections` wait for them;
    :meth:`send` reaches every open connection.  An exception in a *replies*
    callable closes that connection with 1011, is kept for :meth:`check`,
    and is re-raised in the connection's thread so the server records it as
    a handler error too.  *server* lets ``server.stop()`` end open sessions
    within *poll_interval* seconds (with a 1001 close); without it, call
    :meth:`close`.  Thread-safe.
    """

    def __init__(self, replies=None, greeting=(), subprotocols=None,
                 server=None, max_message_size=DEFAULT_MAX_MESSAGE_SIZE,
                 poll_interval=0.05, close_timeout=1.0):
        Protocol(max_message_size)  # checks it
        if replies is not None and not callable(replies) and \
                not isinstance(replies, (list, tuple)):
            raise ConfigurationError('replies must be a callable taking a '
                                     'message, or a list of replies, got %r'
                                     % (replies,))
        if isinstance(greeting, (six.text_type, bytes)):
            greeting = [greeting]
        greeting = list(greeting)
        greeting = [check_message(data, 'greeting message')
                    for data in greeting]
        if subprotocols is not None and not callable(subprotocols):
            if isinstance(subprotocols, six.string_types):
                subprotocols = [subprotocols]
            subprotocols = list(subprotocols)
        for name, value in (('poll_interval', poll_interval),
                            ('close_timeout', close_timeout)):
            if isinstance(value, bool) or not isinstance(
                    value, six.integer_types + (float,)) or value <= 0:
                raise ConfigurationError('%s must be a number of seconds > 0'
                                         ', got %r' % (name, value))
        self.replies = replies
        self.greeting = greeting
        self.subprotocols = subprotocols
        self.server = server
        self.max_message_size = max_message_size
        self.poll_interval = poll_interval
        self.close_timeout = close_timeout
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._connections = []  # type: List[Connection]
        self._log = []  # type: List[LogEntry]
        self._errors = []  # type: List[Tuple[str, Exception, str]]
        self._received = {}  # type: Dict[int, int]
        self._closing = False

    def __repr__(self):
        return '<WebSocket %d connection(s), %d message(s)>' % (
            len(self.connections), len(self.log))

    def bind_server(self, server):
        # type: (Any) -> None
        """End sessions when *server* stops, unless given ``server=``; for
        the core's ``Server.route()`` to call, so that routes need no
        ``server=``.  Idempotent."""
        if self.server is None:
            self.server = server

    # -- the route
    def __call__(self, request):
        # type: (Dict[str, Any]) -> Response
        """Answer an upgrade *request*: a 101 that runs a session, or a
        400/426 saying what is wrong."""
        status, headers, extra = handshake(request, self.subprotocols)
        if status != 101:
            return Response(status, headers,
                            ('%s\n' % (extra,)).encode('utf-8'))
        with self._lock:
            connection = Connection(self, len(self._connections) + 1,
                                    request, extra)
            self._connections.append(connection)
            self._changed.notify_all()
        return Response(101, headers, b'', takeover=connection.run)

    # -- the script
    def _greeting(self):
        return list(self.greeting)

    def _replies(self, connection, data):
        replies = self.replies
        if replies is None:
            return [data]
        if callable(replies):
            answer = replies(data)
        else:
            with self._lock:
                index = self._received.get(connection.id, 0)
                self._received[connection.id] = index + 1
            answer = replies[index] if index < len(replies) else None
        if answer is None:
            return []
        if isinstance(answer, (list, tuple)):
            return list(answer)
        return [answer]

    def _should_stop(self):
        server = self.server
        return self._closing or server is not None and not server.running

    def _record(self, connection, direction, kind, data):
        with self._lock:
            self._log.append(LogEntry(connection, direction, kind, data))
            self._changed.notify_all()

    def _add_error(self, connection, exc, text):
        with self._lock:
            self._errors.append(('WebSocket connection #%d' % connection.id,
                                 exc, text))

    # -- for the test
    @property
    def connections(self):
        # type: () -> List[Connection]
        """Every connection upgraded so far, oldest first (a snapshot)."""
        with self._lock:
            return list(self._connections)

    @property
    def log(self):
        # type: () -> List[LogEntry]
        """Every message in and out, all connections, in order (a
        snapshot)."""
        with self._lock:
            return list(self._log)

    def received(self, connection=None):
        # type: (Optional[Connection]) -> List[Any]
        """The data messages received (text or bytes), in order."""
        return [e.data for e in self.log if e.direction == 'in' and
                e.kind in ('text', 'binary') and
                (connection is None or e.connection is connection)]

    def sent(self, connection=None):
        # type: (Optional[Connection]) -> List[Any]
        """The data messages sent (text or bytes), in order."""
        return [e.data for e in self.log if e.direction == 'out' and
                e.kind in ('text', 'binary') and
                (connection is None or e.connection is connection)]

    def wait(self, count=1, timeout=5.0, direction='in',
             kinds=('text', 'binary')):
        # type: (int, Optional[float], str, Any) -> List[LogEntry]
        """Block until *count* messages of *kinds* went in *direction*
        (``'in'``: received, ``'out'``: sent); return those entries.

        Raises :class:`~httptestserver.WaitTimeout` after *timeout* seconds
        listing what was seen.  Thread-safe.
        """
        if direction not in ('in', 'out'):
            raise ConfigurationError("direction must be 'in' or 'out', got "
                                     "%r" % (direction,))
        if isinstance(kinds, six.string_types):
            kinds = (kinds,)

        def matching():
            return [e for e in self._log if e.direction == direction and
                    e.kind in kinds]
        with self._lock:
            ok = wait_for(self._changed, lambda: len(matching()) >= count,
                          timeout)
            found = matching()
            log = list(self._log)
        if not ok:
            raise WaitTimeout('expected %d %s message(s) %s within %ss, saw '
                              '%d; the log: %s' % (
                                  count, '/'.join(kinds),
                                  'received' if direction == 'in' else 'sent',
                                  timeout, len(found),
                                  ', '.join(map(repr, log[-10:])) or
                                  'empty (did the client connect?)'))
        return found

    def wait_connections(self, count=1, timeout=5.0):
        # type: (int, Optional[float]) -> List[Connection]
        """Block until *count* connections were upgraded; return them.

        Raises :class:`~httptestserver.WaitTimeout` after *timeout*."""
        with self._lock:
            ok = wait_for(self._changed,
                          lambda: len(self._connections) >= count, timeout)
            found = list(self._connections)
        if not ok:
            raise WaitTimeout('expected %d WebSocket connection(s) within %ss'
                              ', saw %d' % (count, timeout, len(found)))
        return found

    def wait_closed(self, count=1, timeout=5.0):
        # type: (int, Optional[float]) -> List[Connection]
        """Block until *count* connections have ended; return them."""
        def closed():
            return [c for c in self._connections if c.closed]
        with self._lock:
            ok = wait_for(self._changed, lambda: len(closed()) >= count,
                          timeout)
            found = closed()
        if not ok:
            raise WaitTimeout('expected %d closed WebSocket connection(s) '
                              'within %ss, saw %d' % (count, timeout,
                                                      len(found)))
        return found

    def send(self, data):
        # type: (Any) -> int
        """Send *data* to every open connection; return how many."""
        count = 0
        for connection in self.connections:
            if not connection.closed:
                try:
                    connection.send(data)
                    count += 1
                except ConfigurationError:
                    if not connection.closed:
                        raise
        return count

    def close(self):
        # type: () -> None
        """End every session (1001 close) within *poll_interval*, and any
        that opens later.  Idempotent, thread-safe."""
        with self._lock:
            self._closing = True

    @property
    def errors(self):
        # type: () -> List[Tuple[str, Exception, str]]
        """Exceptions from *replies*: ``(where, exception, traceback)``."""
        with self._lock:
            return list(self._errors)

    def check(self):
        # type: () -> None
        """Raise :class:`~httptestserver.HandlerError` if a *replies*
        callable failed, then forget those errors."""
        with self._lock:
            errors, self._errors = self._errors, []
        if errors:
            text = '\n'.join('--- in %s:\n%s' % (where, tb)
                             for where, _, tb in errors)
            error = HandlerError('%d error(s) in WebSocket replies; the '
                                 'first: %r\n%s' % (len(errors), errors[0][1],
                                                    text), errors)
            six.raise_from(error, errors[0][1])
