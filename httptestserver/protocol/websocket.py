"""WebSocket (RFC 6455) without I/O: the opening handshake and the frame codec.

:func:`handshake` checks an upgrade request (a recorded request dict) and
says what to answer: a 101 with ``Sec-WebSocket-Accept`` and the chosen
subprotocol, or a 400/426.  :class:`Protocol` is the server side of the
framing as a pure state machine: bytes in, events out (:class:`Message`,
:class:`Ping`, :class:`Pong`, :class:`Close`, :class:`Failure`); calls in,
bytes out.  It owns every framing rule -- masked client frames, unmasked
server frames, fragmentation, control frames inside fragmented messages,
7/16/64-bit lengths, incremental UTF-8 validation, close codes
1002/1007/1009 -- and touches no socket, thread or clock.  Imports only
errors and _compat; the sessions that run this codec over a socket are in
:mod:`httptestserver.streams.websocket`.
"""
import base64
import binascii
import codecs
import hashlib
import re
import struct

import six

from .._compat import PY2
from ..errors import ConfigurationError

__all__ = ['Protocol', 'handshake', 'accept_key', 'encode_frame', 'Message',
           'Ping', 'Pong', 'Close', 'Failure']

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


def check_message(data, name='a WebSocket message'):
    """Return *data* as text or bytes, or raise
    :class:`ConfigurationError` naming *name*.  Pure; the sessions check
    what the test sends with it too."""
    if isinstance(data, six.text_type):
        return data
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(bytearray(data))
    raise ConfigurationError('%s must be text (a text message) or bytes (a '
                             'binary one), got %r' % (name, data))


def check_control_payload(payload, name):
    """Return a ping/pong *payload* as bytes (text is UTF-8), or raise
    :class:`ConfigurationError` naming *name* if over 125 bytes."""
    if isinstance(payload, six.text_type):
        payload = payload.encode('utf-8')
    if not isinstance(payload, (bytes, bytearray)) or len(payload) > 125:
        raise ConfigurationError('%s must be at most 125 bytes, got %r'
                                 % (name, payload))
    return bytes(payload)
