"""WebSocket endpoints: the route that upgrades, and what a test sees of it.

:class:`WebSocket` is the callable route users build.  It answers the
opening handshake (checked by
:func:`~httptestserver.protocol.websocket.handshake`) and, for a 101, hands
the socket to a new session
(:class:`~httptestserver.streams.sessions.Connection`) through the core's
``Response.takeover`` hook.  It owns the script (echo,
replies per message, a greeting), the log of every message with waits on
it, the errors of *replies* callables, and when sessions must stop; the
sessions ask it through its public methods.  The rule it keeps: one lock
for all of that, shared with the sessions, and never a socket.  Imports
errors, _compat, ``protocol.websocket``, ``answers.responses`` and
``streams.sessions``.
"""
import collections
import threading

import six

from .._compat import wait_for
from ..errors import ConfigurationError, HandlerError, WaitTimeout
from ..answers.responses import Response
from ..protocol.websocket import DEFAULT_MAX_MESSAGE_SIZE, handshake
from .sessions import Connection, LogEntry
from .websocket_deflate import negotiate
from .websocket_options import check_arguments, check_handshake

__all__ = ['WebSocket']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List, Optional, Tuple  # noqa: F401


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
    Messages over *max_message_size* bytes close the connection with 1009
    (each frame of a message counts at least one byte, so a flood of empty
    fragments does too).

    The last *log_size* messages in and out are in :attr:`log` as
    :class:`~httptestserver.streams.sessions.LogEntry` objects, in order;
    older ones are dropped (counted in :attr:`dropped`), so a client that
    floods pings cannot grow memory for ever.  :meth:`wait` and
    :meth:`wait_connections` wait for them; :meth:`send` reaches every open
    connection.  An exception in a *replies* callable closes that
    connection with 1011, is kept for :meth:`check`, and is recorded by the
    server as a handler error too (``server.check()`` raises it) before the
    connection counts as closed.  *server* lets ``server.stop()`` end open
    sessions within *poll_interval* seconds (with a 1001 close); without
    it, call :meth:`close`.  A session closes its TCP connection as soon
    as the closing handshake is done, or *close_timeout* seconds after its
    own close if the client does not answer.  Thread-safe.

    A test can make the peer misbehave: *answer_pings* false leaves the
    client's pings unanswered (each connection's ``answer_pings`` too);
    *handshake_status* (401, 403...) refuses every upgrade with that
    status and *handshake_headers*, which otherwise go on the 101;
    *handshake_delay* seconds pass before the 101 (cut short by
    ``stop()``).  permessage-deflate (RFC 7692) is negotiated when the
    client offers it, unless *compression* is false.
    """

    def __init__(self, replies=None, greeting=(), subprotocols=None,
                 server=None, max_message_size=DEFAULT_MAX_MESSAGE_SIZE,
                 poll_interval=0.05, close_timeout=1.0, log_size=10000,
                 answer_pings=True, compression=True, handshake_status=None,
                 handshake_headers=None, handshake_delay=None):
        greeting, subprotocols = check_arguments(
            replies, greeting, subprotocols, max_message_size, poll_interval,
            close_timeout, log_size)
        self.handshake_status, self.handshake_headers, \
            self.handshake_delay = check_handshake(
                handshake_status, handshake_headers, handshake_delay)
        self.answer_pings = bool(answer_pings)
        self.compression = bool(compression)
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
        self._log = collections.deque(maxlen=log_size)  # type: Any
        self._dropped = 0
        self._totals = {}  # type: Dict[Tuple[str, str], int]
        self._eras = {}  # type: Dict[int, Any]
        self._errors = []  # type: List[Tuple[str, Exception, str]]
        self._received = {}  # type: Dict[int, int]
        self._closing = False

    def __repr__(self):
        dropped = self.dropped
        return '<WebSocket %d connection(s), %d message(s)%s>' % (
            len(self.connections), len(self.log),
            ', %d dropped' % dropped if dropped else '')

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
        if status == 101 and self.handshake_status is not None:
            status = self.handshake_status
            headers = [('Content-Type', 'text/plain; charset=utf-8')]
            extra = 'refused by the test (handshake_status=%d)' % status
        if status != 101:
            return Response(status, headers + self.handshake_headers,
                            ('%s\n' % (extra,)).encode('utf-8'))
        deflate = None
        if self.compression:
            offer, deflate = negotiate(
                request['headers'].get_all('Sec-WebSocket-Extensions') or [])
            if offer:
                headers.append(('Sec-WebSocket-Extensions', offer))
        headers += self.handshake_headers
        begin = getattr(getattr(self.server, 'store', None), 'begin', None)
        with self._lock:
            connection = Connection(self, len(self._connections) + 1,
                                    request, extra, self._changed, deflate)
            self._connections.append(connection)
            if begin is not None:  # errors of a test that is over are not
                self._eras[connection.id] = begin()  # raised in the next
            self._changed.notify_all()
        return Response(101, headers, b'', delay=self.handshake_delay,
                        takeover=connection.run)

    # -- for the sessions
    def reply_to(self, connection, data):
        # type: (Connection, Any) -> List[Any]
        """Return the list of replies (maybe empty) to message *data*
        received on *connection*, as *replies* says; for the sessions.

        Calls a *replies* callable in the caller's thread and lets its
        exception propagate.  Thread-safe.
        """
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

    def should_stop(self):
        # type: () -> bool
        """Return True once the sessions must end (:meth:`close` was
        called, or the bound *server* is not running); for the sessions,
        which ask every *poll_interval*.  Never blocks; thread-safe."""
        server = self.server
        return self._closing or server is not None and not server.running

    def record(self, connection, direction, kind, data):
        # type: (Connection, str, str, Any) -> None
        """Append a message of *connection* to :attr:`log` (as a
        :class:`~httptestserver.streams.sessions.LogEntry`) and wake the
        waits; for the sessions.  Returns at once; thread-safe."""
        key = (direction, kind)
        with self._lock:
            if len(self._log) == self._log.maxlen:
                self._dropped += 1
            self._log.append(LogEntry(connection, direction, kind, data))
            self._totals[key] = self._totals.get(key, 0) + 1
            self._changed.notify_all()

    def add_error(self, connection, exc, text):
        # type: (Connection, Exception, str) -> bool
        """Keep *exc*, raised by a *replies* callable on *connection*, and
        its traceback *text* for :meth:`check`, and give it to the server's
        store so that ``server.check()`` raises it; for the sessions.
        Return True if a server took it (else the session re-raises it).
        Returns at once; thread-safe."""
        where = 'WebSocket connection #%d' % connection.id
        with self._lock:
            self._errors.append((where, exc, text))
            era = self._eras.get(connection.id)
        store = getattr(self.server, 'store', None)
        add = getattr(store, 'add_error', None)
        if add is None:
            return False
        line = (connection.request or {}).get('requestline')
        add(('%s (%s)' % (line, where) if line else where, exc, text), era)
        return True

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
        """The last *log_size* messages in and out, all connections, in
        order (a snapshot)."""
        with self._lock:
            return list(self._log)

    @property
    def dropped(self):
        # type: () -> int
        """How many messages fell out of :attr:`log` (over *log_size*)."""
        with self._lock:
            return self._dropped

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
        (``'in'``: received, ``'out'``: sent); return those entries (those
        still in :attr:`log`: messages dropped from it count too).

        Raises :class:`~httptestserver.WaitTimeout` after *timeout* seconds
        listing what was seen.  Thread-safe.
        """
        if direction not in ('in', 'out'):
            raise ConfigurationError("direction must be 'in' or 'out', got "
                                     "%r" % (direction,))
        if isinstance(kinds, six.string_types):
            kinds = (kinds,)

        def seen():
            return sum(self._totals.get((direction, kind), 0)
                       for kind in kinds)
        with self._lock:
            ok = wait_for(self._changed, lambda: seen() >= count, timeout)
            found = [e for e in self._log if e.direction == direction and
                     e.kind in kinds]
            log = list(self._log)[-10:]
            total = seen()
        if not ok:
            raise WaitTimeout('expected %d %s message(s) %s within %ss, saw '
                              '%d; the log: %s' % (
                                  count, '/'.join(kinds),
                                  'received' if direction == 'in' else 'sent',
                                  timeout, total,
                                  ', '.join(map(repr, log)) or
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
