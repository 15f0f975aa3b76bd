"""WebSocket frames on the wire (RFC 6455 section 5): the format, no state.

This module owns what one frame looks like: the opcodes, the close codes a
frame may carry, masking, building a frame with a 7, 16 or 64-bit length,
and the checks on what a server may put in one (message data, control
payloads of at most 125 bytes).  Constants and pure functions only; the
rules that span frames (fragments, UTF-8, the size limit) belong to
:mod:`.websocket_codec`.  Imports only ``errors``.
"""
import binascii
import re
import struct

import six

from ..errors import ConfigurationError

__all__ = ['encode_frame', 'apply_mask', 'valid_close_code', 'check_message',
           'check_control_payload', 'utf8_prefix', 'has_surrogate',
           'CONTINUATION', 'TEXT', 'BINARY', 'CLOSE',
           'PING', 'PONG', 'DATA_OPCODES', 'CONTROL_OPCODES',
           'NORMAL_CLOSURE', 'GOING_AWAY', 'PROTOCOL_ERROR', 'INVALID_DATA',
           'MESSAGE_TOO_BIG', 'INTERNAL_ERROR']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Optional  # noqa: F401

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
DATA_OPCODES = (TEXT, BINARY)
CONTROL_OPCODES = (CLOSE, PING, PONG)

NORMAL_CLOSURE = 1000
GOING_AWAY = 1001
PROTOCOL_ERROR = 1002
INVALID_DATA = 1007  # text that is not UTF-8
MESSAGE_TOO_BIG = 1009
INTERNAL_ERROR = 1011

# Python 2's UTF-8 codec accepts encoded surrogates (ED A0..BF xx), which
# RFC 3629 forbids; they are looked for separately.  # Python 2
_SURROGATE = re.compile(b'\xed[\xa0-\xbf]')
# RFC 3629 section 4: the bytes a character may start with, and the range
# of the byte after each lead (the others are 80..BF).
_LEADS = [(0xC2, 0xDF, 0x80, 0xBF), (0xE0, 0xE0, 0xA0, 0xBF),
          (0xE1, 0xEC, 0x80, 0xBF), (0xED, 0xED, 0x80, 0x9F),
          (0xEE, 0xEF, 0x80, 0xBF), (0xF0, 0xF0, 0x90, 0xBF),
          (0xF1, 0xF3, 0x80, 0xBF), (0xF4, 0xF4, 0x80, 0x8F)]


def apply_mask(payload, key):
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
    rules (so tests can build bad frames); :class:`~.websocket_codec.Protocol`
    does."""
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
        payload = apply_mask(payload, mask_key)
    return bytes(head) + payload


def valid_close_code(code):
    # type: (int) -> bool
    """Return True for a close code that a close frame may carry."""
    # RFC 6455 7.4.1/7.4.2 and the IANA registry: 1004-1006 and 1015 are
    # never sent in a frame; 1016-2999 are unassigned.
    return 1000 <= code <= 1014 and code not in (1004, 1005, 1006) or \
        3000 <= code <= 4999


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


def utf8_prefix(pending):
    # type: (bytearray) -> bool
    """True if *pending*, the start of an unfinished character, can still
    become a valid UTF-8 character."""
    for first, last, low, high in _LEADS:
        if first <= pending[0] <= last:
            return all(low <= byte <= high if index == 1 else
                       0x80 <= byte <= 0xBF
                       for index, byte in enumerate(pending) if index)
    return False


def has_surrogate(data):
    # type: (bytes) -> bool
    """True if UTF-8 *data* holds an encoded surrogate (which Python 2's
    codec lets through).  # Python 2"""
    return _SURROGATE.search(data) is not None
