"""WebSocket framing as a state machine (RFC 6455), without I/O.

This module owns :class:`Protocol`, the server side of one connection's
frames: bytes in, events out (:class:`Message`, :class:`Ping`, :class:`Pong`,
:class:`Close`, :class:`Failure`); calls in, bytes out.  It keeps every rule
that spans frames -- masked client frames, fragmentation, control frames
inside fragmented messages, incremental UTF-8 validation, the message size
limit, close codes 1002/1007/1009 -- and touches no socket, thread or clock.
One frame's format is :mod:`.websocket_frames`, the only module of the
package it imports besides ``errors`` and ``_compat``; the sessions that run
this codec over a socket are in :mod:`httptestserver.streams.websocket`.
"""
import codecs
import re
import struct

import six

from .websocket_frames import BINARY, CLOSE, CONTINUATION, CONTROL_OPCODES, \
    DATA_OPCODES, INVALID_DATA, MESSAGE_TOO_BIG, NORMAL_CLOSURE, PING, PONG, \
    PROTOCOL_ERROR, TEXT, apply_mask, check_control_payload, check_message, \
    encode_frame, valid_close_code
from .._compat import PY2
from ..errors import ConfigurationError

__all__ = ['Protocol', 'Message', 'Ping', 'Pong', 'Close', 'Failure',
           'DEFAULT_MAX_MESSAGE_SIZE']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, List, Optional  # noqa: F401

#: Largest message a :class:`Protocol` accepts by default, in bytes.
DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024

# Python 2's UTF-8 codec accepts encoded surrogates (ED A0..BF xx), which
# RFC 3629 forbids; they are looked for separately.  # Python 2
_SURROGATE = re.compile(b'\xed[\xa0-\xbf]')


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
        self.code = code
        self.reason = reason


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
        if opcode not in DATA_OPCODES + CONTROL_OPCODES + (CONTINUATION,):
            raise _Violation(PROTOCOL_ERROR, 'reserved opcode 0x%x' % opcode)
        if not second & 0x80:
            raise _Violation(PROTOCOL_ERROR, 'client frames must be masked')
        length = second & 0x7F
        offset = 2
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
        if opcode not in CONTROL_OPCODES and \
                self._size + length > self.max_message_size:
            # Before reading the payload: never buffer what is refused.
            raise _Violation(MESSAGE_TOO_BIG, 'message over %d bytes'
                             % self.max_message_size)
        if len(buf) < offset + 4 + length:
            return None
        key = bytes(buf[offset:offset + 4])
        payload = apply_mask(buf[offset + 4:offset + 4 + length], key)
        del buf[:offset + 4 + length]
        if opcode in CONTROL_OPCODES:
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
        if not valid_close_code(code):
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
        data = check_message(data)
        if isinstance(data, six.text_type):
            return encode_frame(TEXT, data.encode('utf-8'))
        return encode_frame(BINARY, data)

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
