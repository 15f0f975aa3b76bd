"""WebSocket framing as a state machine (RFC 6455), without I/O.

This module owns :class:`Protocol`, the server side of one connection's
frames: bytes in, events out (:class:`Message`, :class:`Ping`, :class:`Pong`,
:class:`Close`, :class:`Failure`); calls in, bytes out.  It keeps every rule
that spans frames -- masked client frames, fragmentation, control frames
inside fragmented messages, incremental UTF-8 validation, the message size
limit, close codes 1002/1007/1009, RSV1 for a compressed message -- and
touches no socket, thread or clock (nor zlib: it is handed a deflater).
One frame's format is :mod:`.websocket_frames`, the only module of the
package it imports besides ``errors`` and ``_compat``; the sessions that run
this codec over a socket are in :mod:`httptestserver.streams.websocket`.
"""
import codecs
import struct

import six

from .websocket_frames import BINARY, CLOSE, CONTINUATION, CONTROL_OPCODES, \
    DATA_OPCODES, INVALID_DATA, MESSAGE_TOO_BIG, NORMAL_CLOSURE, PING, PONG, \
    PROTOCOL_ERROR, TEXT, apply_mask, check_control_payload, check_message, \
    encode_frame, has_surrogate, utf8_prefix, valid_close_code
from .._compat import PY2
from ..errors import ConfigurationError

__all__ = ['Protocol', 'Message', 'Ping', 'Pong', 'Close', 'Failure',
           'DEFAULT_MAX_MESSAGE_SIZE']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, List, Optional  # noqa: F401

#: Largest message a :class:`Protocol` accepts by default, in bytes.
DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024


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
    and ``reason`` text.  Also given to
    :class:`~httptestserver.streams.websocket.WebSocket` replies to close
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
        self.code, self.reason = code, reason


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

    A data frame's payload is taken (and inflated) as it arrives: a message
    costs one buffer of its size, and invalid UTF-8 fails at the first byte
    that cannot start or continue a character, even mid-frame.  Every frame
    counts at least one byte against *max_message_size* (a flood of empty
    fragments ends with 1009), and so does what a compressed one inflates to.
    """

    def __init__(self, max_message_size=DEFAULT_MAX_MESSAGE_SIZE,
                 deflate=None):
        if isinstance(max_message_size, bool) or not isinstance(
                max_message_size, six.integer_types) or max_message_size < 1:
            raise ConfigurationError(
                'max_message_size must be a whole number of bytes >= 1 '
                '(e.g. 65536), got %r' % (max_message_size,))
        self.max_message_size = max_message_size
        #: permessage-deflate, negotiated: an object with ``compress`` and
        #: ``inflate`` (``streams.websocket_deflate.Deflate``), else None.
        self.deflate, self._inflating = deflate, False
        self._buffer = bytearray()
        self._pos = 0  # bytes of _buffer already taken
        # The data frame being read: its fin bit, mask key, payload left
        # (None between frames) and payload taken so far.
        self._fin, self._key, self._taken = False, b'', 0
        self._left = None  # type: Optional[int]
        # The message being assembled.
        self._opcode = None  # type: Optional[int]
        self._message = bytearray()
        self._size = 0  # its cost against max_message_size
        self._decoder = None  # type: Any
        self._tail = b''  # last text byte seen, for has_surrogate  # Python 2
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
        try:
            while not self.close_received:
                event = self._next()
                if event is None:
                    break
                if event is not True:
                    events.append(event)
                    self.close_received = isinstance(event, Close)
        except _Violation as exc:
            self.failure = Failure(exc.code, exc.reason)
            self.close_received = True
            events.append(self.failure)
        if self.close_received:
            self._buffer, self._message = bytearray(), bytearray()
        else:
            # One move per call, not one per frame (Python 2's bytearray
            # moves the rest on every deletion from the front).
            del self._buffer[:self._pos]
        self._pos = 0
        return events

    def _next(self):
        """Return the next event, True when something was taken without
        completing one, or None when more bytes are needed."""
        if self._left is not None:
            return self._payload()
        buf, pos = self._buffer, self._pos
        if len(buf) - pos < 2:
            return None
        first, second = buf[pos], buf[pos + 1]
        fin, opcode = bool(first & 0x80), first & 0x0F
        # RFC 7692 6: RSV1 marks a compressed message, on its first frame.
        compressed = first & 0x40 and self.deflate is not None and \
            opcode in DATA_OPCODES
        if first & 0x70 and not (compressed and not first & 0x30):
            raise _Violation(PROTOCOL_ERROR, 'RSV bits set without an '
                                             'extension')
        if opcode not in DATA_OPCODES + CONTROL_OPCODES + (CONTINUATION,):
            raise _Violation(PROTOCOL_ERROR, 'reserved opcode 0x%x' % opcode)
        if not second & 0x80:
            raise _Violation(PROTOCOL_ERROR, 'client frames must be masked')
        length = second & 0x7F
        size = 2
        if opcode in CONTROL_OPCODES:
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
            if len(buf) - pos < 4:
                return None
            length = struct.unpack('!H', bytes(buf[pos + 2:pos + 4]))[0]
            size = 4
        elif length == 127:
            if len(buf) - pos < 10:
                return None
            length = struct.unpack('!Q', bytes(buf[pos + 2:pos + 10]))[0]
            if length >> 63:
                raise _Violation(PROTOCOL_ERROR, '64-bit length with the '
                                                 'high bit set')
            size = 10
        cost = self._size + (length or 1)  # an empty frame costs a byte
        if opcode not in CONTROL_OPCODES and cost > self.max_message_size:
            # Before reading the payload: never buffer what is refused.
            raise _Violation(MESSAGE_TOO_BIG, 'message over %d bytes'
                             % self.max_message_size)
        if len(buf) - pos < size + 4:
            return None
        key = bytes(buf[pos + size:pos + size + 4])
        if opcode in CONTROL_OPCODES:  # at most 125 bytes: taken whole
            end = pos + size + 4 + length
            if len(buf) < end:
                return None
            self._pos = end
            return self._control(opcode, apply_mask(buf[end - length:end],
                                                    key))
        self._pos = pos + size + 4
        if opcode != CONTINUATION:
            self._opcode, self._message = opcode, bytearray()
            self._inflating = bool(compressed)
            if opcode == TEXT:
                self._decoder = codecs.getincrementaldecoder('utf-8')()
                self._tail = b''
        self._size = cost
        self._fin, self._key, self._left, self._taken = fin, key, length, 0
        return self._payload()

    def _payload(self):
        """Take what has come of the current data frame's payload."""
        left = self._left or 0
        count = min(len(self._buffer) - self._pos, left)
        if not count and left:
            return None
        chunk = b''
        if count:
            start, shift = self._pos, self._taken % 4
            chunk = apply_mask(self._buffer[start:start + count],
                               self._key[shift:] + self._key[:shift])
            self._pos += count
            self._taken += count
            left -= count
        final = self._fin and not left  # an empty last frame ends it too
        if self._inflating:
            chunk = self._inflate(chunk, final)
        if count or final:
            self._message.extend(chunk)
            if self._opcode == TEXT:
                self._check_text(chunk, final)
        self._left = left
        if left:
            return True
        self._left = None
        if not self._fin:
            return True
        opcode, message = self._opcode, self._message
        self._opcode, self._message, self._size = None, bytearray(), 0
        if opcode == TEXT:
            return Message(message.decode('utf-8'))
        return Message(bytes(message))

    def _inflate(self, chunk, final):
        limit = self.max_message_size - len(self._message)
        try:
            chunk = self.deflate.inflate(bytes(chunk), final, limit)
        except ValueError as exc:
            raise _Violation(PROTOCOL_ERROR, str(exc))
        if chunk is None:
            raise _Violation(MESSAGE_TOO_BIG, 'message over %d bytes '
                             'inflated' % self.max_message_size)
        return chunk

    def _check_text(self, chunk, final):
        """Fail as soon as *chunk*, the next bytes of a text message, holds
        a byte that cannot start or continue a UTF-8 character."""
        if PY2 and has_surrogate(self._tail + chunk):
            raise _Violation(INVALID_DATA, 'invalid UTF-8 in a text message')
        self._tail = chunk[-1:] or self._tail
        try:
            self._decoder.decode(chunk, final)
        except UnicodeDecodeError:
            raise _Violation(INVALID_DATA, 'invalid UTF-8 in a text message')
        # Python 2's decoder waits for a whole character before judging it.
        pending = self._decoder.getstate()[0]
        if pending and not utf8_prefix(bytearray(pending)):
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
        if not valid_close_code(code):
            raise _Violation(PROTOCOL_ERROR, 'invalid close code %d' % code)
        try:
            reason = payload[2:].decode('utf-8')
            if PY2 and has_surrogate(payload[2:]):
                raise UnicodeError('surrogate')
        except UnicodeError:
            raise _Violation(INVALID_DATA, 'close reason is not UTF-8')
        return Close(code, reason)

    # -- calls in, bytes out
    def message(self, data, fragment_size=None):
        # type: (Any, Optional[int]) -> bytes
        """Return a text frame for text *data*, a binary one for bytes
        (compressed with :attr:`deflate`); with *fragment_size*, as frames
        of that many payload bytes (which may split a character)."""
        data = check_message(data)
        opcode, rsv = BINARY, 0
        if isinstance(data, six.text_type):
            opcode, data = TEXT, data.encode('utf-8')
        if self.deflate is not None:
            data, rsv = self.deflate.compress(data), 4
        size = fragment_size or len(data) or 1
        frames = [encode_frame(opcode if not start else CONTINUATION,
                               data[start:start + size],
                               start + size >= len(data),
                               rsv if not start else 0)
                  for start in range(0, len(data) or 1, size)]
        return b''.join(frames)

    def ping(self, payload=b''):
        # type: (bytes) -> bytes
        """Return a ping frame (payload at most 125 bytes)."""
        return encode_frame(PING, check_control_payload(payload,
                                                        'ping payload'))

    def pong(self, payload=b''):
        # type: (bytes) -> bytes
        """Return a pong frame (payload at most 125 bytes)."""
        return encode_frame(PONG, check_control_payload(payload,
                                                        'pong payload'))

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
                code, six.integer_types) or not valid_close_code(code):
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
