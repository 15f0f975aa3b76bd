"""WebSocket (RFC 6455): the opening handshake, a sans-IO frame codec, and
scripted server sessions over a blocking socket.

Three parts, from pure to I/O.  :func:`handshake` checks an upgrade request
(a recorded request dict) and says what to answer: a 101 with
``Sec-WebSocket-Accept`` and the chosen subprotocol, or a 400/426.
:class:`Protocol` is the server side of the framing as a pure state machine:
bytes in, events out (:class:`Message`, :class:`Ping`, :class:`Pong`,
:class:`Close`, :class:`Failure`); calls in, bytes out.  It owns every
framing rule -- masked client frames, unmasked server frames, fragmentation,
control frames inside fragmented messages, 7/16/64-bit lengths, incremental
UTF-8 validation, close codes 1002/1007/1009 -- and touches no socket.
:class:`WebSocket` is a callable route that upgrades the connection and runs
a :class:`Connection` session on the raw socket in the connection's thread
(the core's ``Response.takeover`` hook): echo, replies per message, messages
sent first or on demand from the test, ping/pong and close, every message
recorded in order.  Imports only errors, _compat and ``responses`` (for
:class:`~httptestserver.responses.Response`); the socket it runs on is
handed over by the core, it never opens one.
"""
import base64
import binascii
import codecs
import errno
import hashlib
import os
import re
import select
import socket
import struct
import threading
import traceback

import six

from ._compat import PY2, monotonic, wait_for
from .errors import ConfigurationError, HandlerError, WaitTimeout
from .responses import Response

__all__ = ['WebSocket', 'Connection', 'Protocol', 'handshake', 'accept_key',
           'encode_frame', 'Message', 'Ping', 'Pong', 'Close', 'Failure',
           'LogEntry']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Callable, Dict, List, Optional, Tuple  # noqa: F401

GUID = b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_DATA_OPCODES = (TEXT, BINARY)
_CONTROL_OPCODES = (CLOSE, PING, PONG)

NORMAL_CLOSURE = 1000
GOING_AWAY = 1001
PROTOCOL_ERROR = 1002
INVALID_DATA = 1007  # text that is not UTF-8
MESSAGE_TOO_BIG = 1009
INTERNAL_ERROR = 1011

#: Largest message a :class:`Protocol` accepts by default, in bytes.
DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024

# Python 2's UTF-8 codec accepts encoded surrogates (ED A0..BF xx), which
# RFC 3629 forbids; they are looked for separately.  # Python 2
_SURROGATE = re.compile(b'\xed[\xa0-\xbf]')


# -- the opening handshake ---------------------------------------------------
def accept_key(key):
    # type: (Any) -> str
    """Return the ``Sec-WebSocket-Accept`` value for a client's key."""
    if isinstance(key, six.text_type):
        key = key.encode('ascii')
    digest = hashlib.sha1(key.strip() + GUID).digest()
    return base64.b64encode(digest).decode('ascii')


def _tokens(value):
    return [t.strip().lower() for t in (value or '').split(',') if t.strip()]


def handshake(request, subprotocols=None):
    # type: (Dict[str, Any], Any) -> Tuple[int, List[Tuple[str, str]], Optional[str]]
    """Check an upgrade *request*; return ``(status, headers, subprotocol)``.

    *request* is a recorded request dict (``method``, ``request_version``,
    ``headers``).  A good upgrade gets ``101`` with ``Upgrade``,
    ``Connection`` and ``Sec-WebSocket-Accept`` headers, plus
    ``Sec-WebSocket-Protocol`` when a subprotocol is chosen: the first of
    *subprotocols* (server preference) the client offered, or what
    *subprotocols* returns when it is a callable given the offered list.
    A request that is not a WebSocket upgrade at all, or asks for a version
    other than 13, gets ``426`` naming version 13; a malformed upgrade (not
    GET, not HTTP/1.1, no ``Connection: upgrade``, a bad key) gets ``400``.
    For an error the headers include ``Content-Type`` and the subprotocol is
    the reason text.  Pure; never raises for client input.
    """
    headers = request['headers']
    upgrade_headers = [('Upgrade', 'websocket'), ('Connection', 'Upgrade'),
                       ('Sec-WebSocket-Version', '13')]
    if 'websocket' not in _tokens(headers.get('Upgrade')):
        return _refuse(426, 'This is a WebSocket endpoint: send a GET with '
                            'Upgrade: websocket.', upgrade_headers)
    if headers.get('Sec-WebSocket-Version', '').strip() != '13':
        return _refuse(426, 'Unsupported Sec-WebSocket-Version %r; this '
                            'server speaks 13.'
                       % headers.get('Sec-WebSocket-Version'),
                       [('Sec-WebSocket-Version', '13')])
    if request.get('method') != 'GET':
        return _refuse(400, 'A WebSocket upgrade must be a GET, not %s.'
                       % request.get('method'))
    if request.get('request_version') != 'HTTP/1.1':
        return _refuse(400, 'A WebSocket upgrade needs HTTP/1.1, not %s.'
                       % request.get('request_version'))
    if 'upgrade' not in _tokens(headers.get('Connection')):
        return _refuse(400, 'A WebSocket upgrade needs Connection: Upgrade.')
    key = (headers.get('Sec-WebSocket-Key') or '').strip()
    try:
        valid = len(base64.b64decode(key.encode('ascii'))) == 16 and \
            len(key) == 24
    except (binascii.Error, TypeError, ValueError, UnicodeError):
        valid = False
    if not valid:
        return _refuse(400, 'Bad Sec-WebSocket-Key %r: it must be 16 random '
                            'bytes in base64.' % key[:40])
    offered = [p.strip() for value in
               headers.get_all('Sec-WebSocket-Protocol') or []
               for p in value.split(',') if p.strip()]
    chosen = None
    if callable(subprotocols):
        chosen = subprotocols(offered)
    elif subprotocols:
        chosen = next((p for p in subprotocols if p in offered), None)
    answer = [('Upgrade', 'websocket'), ('Connection', 'Upgrade'),
              ('Sec-WebSocket-Accept', accept_key(key))]
    if chosen is not None:
        answer.append(('Sec-WebSocket-Protocol', chosen))
    return 101, answer, chosen


def _refuse(status, reason, headers=()):
    return (status, [('Content-Type', 'text/plain; charset=utf-8')] +
            list(headers), reason)


# -- the codec --------------------------------------------------------------
class Message(object):
    """A whole data message received: ``data`` is text (a text message)
    or bytes (a binary message)."""

    def __init__(self, data):
        self.data = data

    @property
    def is_text(self):
        return isinstance(self.data, six.text_type)

    def __repr__(self):
        return 'Message(%r)' % (self.data,)


class Ping(object):
    """A ping received; answer it with a pong carrying ``payload``."""

    def __init__(self, payload):
        self.payload = payload

    def __repr__(self):
        return 'Ping(%r)' % (self.payload,)


class Pong(object):
    """A pong received."""

    def __init__(self, payload):
        self.payload = payload

    def __repr__(self):
        return 'Pong(%r)' % (self.payload,)


class Close(object):
    """A close frame: ``code`` (``None`` when the frame had no payload)
    and ``reason`` text.  Also given to :class:`WebSocket` replies to close
    the connection."""

    def __init__(self, code=NORMAL_CLOSURE, reason=u''):
        self.code = code
        self.reason = reason

    def __repr__(self):
        return 'Close(%r, %r)' % (self.code, self.reason)

    def __eq__(self, other):
        return isinstance(other, Close) and \
            (self.code, self.reason) == (other.code, other.reason)

    def __ne__(self, other):  # Python 2
        return not self == other

    __hash__ = None  # type: ignore  # mutable, compared by value


class Failure(object):
    """The client broke the protocol: close with ``code`` (1002, 1007 or
    1009) and ``reason``, then drop the connection."""

    def __init__(self, code, reason):
        self.code = code
        self.reason = reason

    def __repr__(self):
        return 'Failure(%r, %r)' % (self.code, self.reason)


class _Violation(Exception):
    def __init__(self, code, reason):
        Exception.__init__(self, reason)
        self.code = code
        self.reason = reason


def _mask(payload, key):
    """XOR *payload* with the 4-byte *key* repeated (RFC 6455 5.3)."""
    length = len(payload)
    if not length:
        return b''
    # Whole-buffer big-integer XOR: fast on every Python, no per-byte loop.
    keys = (bytes(key) * (length // 4 + 1))[:length]
    value = int(binascii.hexlify(bytes(payload)), 16) ^ \
        int(binascii.hexlify(keys), 16)
    return binascii.unhexlify('%0*x' % (length * 2, value))


def encode_frame(opcode, payload=b'', fin=True, rsv=0, mask_key=None):
    # type: (int, bytes, bool, int, Optional[bytes]) -> bytes
    """Return one frame as bytes: *opcode*, *payload*, *fin*, *rsv* bits
    (0-7) and, for a client frame, a 4-byte *mask_key*.  Does not check the
    rules (so tests can build bad frames); :class:`Protocol` does."""
    payload = bytes(payload)
    head = bytearray([(0x80 if fin else 0) | (rsv & 7) << 4 | opcode & 0xF])
    mask_bit = 0x80 if mask_key is not None else 0
    length = len(payload)
    if length < 126:
        head.append(mask_bit | length)
    elif length < 65536:
        head.append(mask_bit | 126)
        head.extend(struct.pack('!H', length))
    else:
        head.append(mask_bit | 127)
        head.extend(struct.pack('!Q', length))
    if mask_key is not None:
        head.extend(mask_key)
        payload = _mask(payload, mask_key)
    return bytes(head) + payload


def _valid_close_code(code):
    # RFC 6455 7.4.1/7.4.2 and the IANA registry: 1004-1006 and 1015 are
    # never sent in a frame; 1016-2999 are unassigned.
    return 1000 <= code <= 1014 and code not in (1004, 1005, 1006) or \
        3000 <= code <= 4999


class Protocol(object):
    """The server side of RFC 6455 framing, without I/O.

    Feed the bytes a client sent to :meth:`receive_data`; it returns the
    events they complete, in order.  Build frames to send with
    :meth:`message`, :meth:`ping`, :meth:`pong` and :meth:`close`.  Client
    frames must be masked; server frames are not.  A message larger than
    *max_message_size* bytes, a protocol violation or invalid UTF-8 in a text
    message yields one :class:`Failure` (1009, 1002 or 1007) and the
    protocol then ignores all further input: send :meth:`close` with its
    code and drop the connection.  Not thread-safe: one connection, one
    thread (or a lock around it).  Never raises for client input.
    """

    def __init__(self, max_message_size=DEFAULT_MAX_MESSAGE_SIZE):
        if isinstance(max_message_size, bool) or not isinstance(
                max_message_size, six.integer_types) or max_message_size < 1:
            raise ConfigurationError(
                'max_message_size must be a whole number of bytes >= 1 '
                '(e.g. 65536), got %r' % (max_message_size,))
        self.max_message_size = max_message_size
        self._buffer = bytearray()
        self._opcode = None  # of the fragmented message in progress
        self._parts = []  # type: List[bytes]
        self._size = 0
        self._decoder = None  # type: Any
        self._tail = b''  # last byte of text seen, for _SURROGATE  # Python 2
        #: The :class:`Failure` once the client broke the protocol.
        self.failure = None  # type: Optional[Failure]
        #: True once a close frame was received (or the protocol failed).
        self.close_received = False
        #: True once :meth:`close` built a close frame.
        self.close_sent = False

    # -- bytes in, events out
    def receive_data(self, data):
        # type: (bytes) -> List[Any]
        """Take *data* (any split) and return the events it completes."""
        if self.close_received:
            return []
        self._buffer.extend(data)
        events = []  # type: List[Any]
        while True:
            try:
                event = self._next_frame()
            except _Violation as exc:
                self.failure = Failure(exc.code, exc.reason)
                self.close_received = True
                self._buffer = bytearray()
                events.append(self.failure)
                return events
            if event is None:
                return events
            if event is not True:
                events.append(event)
                if isinstance(event, Close):
                    self.close_received = True
                    self._buffer = bytearray()
                    return events

    def _next_frame(self):
        buf = self._buffer
        if len(buf) < 2:
            return None
        first, second = buf[0], buf[1]
        fin = bool(first & 0x80)
        if first & 0x70:
            raise _Violation(PROTOCOL_ERROR, 'RSV bits set without an '
                                             'extension')
        opcode = first & 0x0F
        if opcode not in _DATA_OPCODES + _CONTROL_OPCODES + (CONTINUATION,):
            raise _Violation(PROTOCOL_ERROR, 'reserved opcode 0x%x' % opcode)
        if not second & 0x80:
            raise _Violation(PROTOCOL_ERROR, 'client frames must be masked')
        length = second & 0x7F
        offset = 2
        if opcode in _CONTROL_OPCODES:
            if not fin:
                raise _Violation(PROTOCOL_ERROR, 'fragmented control frame')
            if length > 125:
                raise _Violation(PROTOCOL_ERROR, 'control frame payload over '
                                                 '125 bytes')
        elif opcode == CONTINUATION:
            if self._opcode is None:
                raise _Violation(PROTOCOL_ERROR, 'continuation frame with no '
                                                 'message to continue')
        elif self._opcode is not None:
            raise _Violation(PROTOCOL_ERROR, 'new message inside a '
                                             'fragmented one')
        if length == 126:
            if len(buf) < 4:
                return None
            length = struct.unpack('!H', bytes(buf[2:4]))[0]
            offset = 4
        elif length == 127:
            if len(buf) < 10:
                return None
            length = struct.unpack('!Q', bytes(buf[2:10]))[0]
            if length >> 63:
                raise _Violation(PROTOCOL_ERROR, '64-bit length with the '
                                                 'high bit set')
            offset = 10
        if opcode not in _CONTROL_OPCODES and \
                self._size + length > self.max_message_size:
            # Before reading the payload: never buffer what is refused.
            raise _Violation(MESSAGE_TOO_BIG, 'message over %d bytes'
                             % self.max_message_size)
        if len(buf) < offset + 4 + length:
            return None
        key = bytes(buf[offset:offset + 4])
        payload = _mask(buf[offset + 4:offset + 4 + length], key)
        del buf[:offset + 4 + length]
        if opcode in _CONTROL_OPCODES:
            return self._control(opcode, payload)
        if opcode != CONTINUATION:
            self._opcode = opcode
            self._parts, self._size = [], 0
            if opcode == TEXT:
                self._decoder = codecs.getincrementaldecoder('utf-8')()
                self._tail = b''
        self._size += length
        if self._opcode == TEXT:
            self._parts.append(self._decode(payload, fin))
        else:
            self._parts.append(payload)
        if not fin:
            return True
        opcode, parts = self._opcode, self._parts
        self._opcode, self._parts, self._size = None, [], 0
        if opcode == TEXT:
            return Message(u''.join(parts))
        return Message(b''.join(parts))

    def _decode(self, payload, final):
        """Decode one fragment of text, failing as soon as it is invalid."""
        if PY2 and _SURROGATE.search(self._tail + payload):
            raise _Violation(INVALID_DATA, 'invalid UTF-8 in a text message')
        self._tail = payload[-1:] or self._tail
        try:
            return self._decoder.decode(payload, final)
        except UnicodeDecodeError:
            raise _Violation(INVALID_DATA, 'invalid UTF-8 in a text message')

    def _control(self, opcode, payload):
        if opcode == PING:
            return Ping(payload)
        if opcode == PONG:
            return Pong(payload)
        if not payload:
            return Close(None, u'')
        if len(payload) < 2:
            raise _Violation(PROTOCOL_ERROR, 'close frame with a 1-byte '
                                             'payload')
        code = struct.unpack('!H', payload[:2])[0]
        if not _valid_close_code(code):
            raise _Violation(PROTOCOL_ERROR, 'invalid close code %d' % code)
        try:
            reason = payload[2:].decode('utf-8')
            if PY2 and _SURROGATE.search(payload[2:]):
                raise UnicodeError('surrogate')
        except UnicodeError:
            raise _Violation(INVALID_DATA, 'close reason is not UTF-8')
        return Close(code, reason)

    # -- calls in, bytes out
    def message(self, data):
        # type: (Any) -> bytes
        """Return a text frame for text *data*, a binary one for bytes."""
        data = _check_message(data)
        if isinstance(data, six.text_type):
            return encode_frame(TEXT, data.encode('utf-8'))
        return encode_frame(BINARY, data)

    def ping(self, payload=b''):
        # type: (bytes) -> bytes
        """Return a ping frame (payload at most 125 bytes)."""
        return encode_frame(PING, _control_payload(payload, 'ping payload'))

    def pong(self, payload=b''):
        # type: (bytes) -> bytes
        """Return a pong frame (payload at most 125 bytes)."""
        return encode_frame(PONG, _control_payload(payload, 'pong payload'))

    def close(self, code=NORMAL_CLOSURE, reason=u''):
        # type: (Optional[int], Any) -> bytes
        """Return a close frame; *code* ``None`` sends an empty payload.

        The reason is cut to fit the 125-byte limit.  Raises
        :class:`ConfigurationError` for a code that may not be sent.
        """
        self.close_sent = True
        if code is None:
            return encode_frame(CLOSE, b'')
        if isinstance(code, bool) or not isinstance(
                code, six.integer_types) or not _valid_close_code(code):
            raise ConfigurationError(
                'close code must be 1000-1003, 1007-1014 or 3000-4999 '
                '(RFC 6455 7.4), got %r' % (code,))
        if isinstance(reason, bytes):
            reason = reason.decode('utf-8')
        data = reason.encode('utf-8')
        while len(data) > 123:
            reason = reason[:-1]
            data = reason.encode('utf-8')
        return encode_frame(CLOSE, struct.pack('!H', code) + data)


def _check_message(data, name='a WebSocket message'):
    """Return *data* as text or bytes, or raise naming *name*."""
    if isinstance(data, six.text_type):
        return data
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(bytearray(data))
    raise ConfigurationError('%s must be text (a text message) or bytes (a '
                             'binary one), got %r' % (name, data))


def _control_payload(payload, name):
    if isinstance(payload, six.text_type):
        payload = payload.encode('utf-8')
    if not isinstance(payload, (bytes, bytearray)) or len(payload) > 125:
        raise ConfigurationError('%s must be at most 125 bytes, got %r'
                                 % (name, payload))
    return bytes(payload)


# -- sessions over a socket ---------------------------------------------------
class LogEntry(object):
    """One message in or out: ``connection`` (its :class:`Connection`),
    ``direction`` (``'in'`` or ``'out'``), ``kind`` (``'text'``,
    ``'binary'``, ``'ping'``, ``'pong'``, ``'close'``, or ``'error'`` for a
    client's protocol violation) and ``data`` (text, bytes, a :class:`Close`
    for a close, a :class:`Failure` for an error)."""

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
        self._post('message', _check_message(data))

    def ping(self, payload=b''):
        # type: (Any) -> None
        """Send a ping; the client's pong is recorded."""
        self._post('ping', _control_payload(payload, 'ping payload'))

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
    :class:`Close` to close the connection.  *greeting* is a message or list
    of messages sent as soon as a connection opens.  *subprotocols* are the
    subprotocols accepted, preferred first (or a callable choosing from the
    offered list).  Messages over *max_message_size* bytes close the
    connection with 1009.

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
        greeting = [_check_message(data, 'greeting message')
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
