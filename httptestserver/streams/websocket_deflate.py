"""permessage-deflate (RFC 7692): the offer's answer and the compressor.

This module owns the WebSocket compression extension: :func:`negotiate`
reads a client's ``Sec-WebSocket-Extensions`` offers and picks the first it
can honour, and :class:`Deflate` compresses the messages a server sends and
inflates those it receives, with the stdlib ``zlib`` (never a hand-written
DEFLATE).  Pure: no socket, thread or clock; the codec
(:class:`~httptestserver.protocol.websocket.Protocol`) is handed a
:class:`Deflate` and calls it (it lives here, not in ``protocol/``, only
because that package is at its module budget).  Imports only ``errors``.
"""
import re
import zlib

from ..errors import ConfigurationError

__all__ = ['Deflate', 'negotiate', 'EXTENSION']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, List, Optional, Tuple  # noqa: F401

#: The extension's name in ``Sec-WebSocket-Extensions``.
EXTENSION = 'permessage-deflate'
# RFC 7692 7.2.1: a message ends with an empty stored block, not sent.
_TAIL = b'\x00\x00\xff\xff'
_PARAM = re.compile(r'^([A-Za-z0-9_-]+)(?:=("?)([0-9]+)\2)?$')


class Deflate(object):
    """The compression state of one connection, server side.

    :meth:`compress` gives the payload of a message to send (RSV1 set on
    its first frame); :meth:`inflate` takes a received message's payload
    as it arrives.  *server_no_context_takeover* starts a new compressor
    per message; *server_max_window_bits* (9-15) bounds its window.  Not
    thread-safe: one connection, one thread.
    """

    def __init__(self, server_no_context_takeover=False,
                 server_max_window_bits=15):
        if server_max_window_bits not in range(9, 16):
            raise ConfigurationError('server_max_window_bits must be 9-15 '
                                     '(zlib cannot do 8 raw), got %r'
                                     % (server_max_window_bits,))
        self.server_no_context_takeover = server_no_context_takeover
        self.server_max_window_bits = server_max_window_bits
        self._compressor = None  # type: Any
        self._inflater = None  # type: Any

    def __repr__(self):
        return '<Deflate window %d%s>' % (
            self.server_max_window_bits,
            ', no context takeover' if self.server_no_context_takeover
            else '')

    def compress(self, data):
        # type: (bytes) -> bytes
        """Return the compressed payload of a message of *data*."""
        if self._compressor is None or self.server_no_context_takeover:
            self._compressor = zlib.compressobj(
                zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED,
                -self.server_max_window_bits)
        out = self._compressor.compress(data) + \
            self._compressor.flush(zlib.Z_SYNC_FLUSH)
        return out[:-4] if out.endswith(_TAIL) else out

    def inflate(self, chunk, final, limit):
        # type: (bytes, bool, int) -> Optional[bytes]
        """Return what the next compressed bytes *chunk* of a received
        message inflate to (its end when *final*), or None when that is
        more than *limit* bytes.  Raises ``ValueError`` for data that is
        not DEFLATE.  Any window size is read (15 bits), so what the client
        chose needs no answer, and the context is kept (a client that
        resets its own between messages is read just as well)."""
        # A client that ended its stream (a final block) starts a new one.
        # Python 2's decompressor has no eof: it sees unused_data instead.
        if self._inflater is None or getattr(self._inflater, 'eof', False) \
                or self._inflater.unused_data:
            self._inflater = zlib.decompressobj(-15)
        if final:
            chunk += _TAIL
        try:
            out = self._inflater.decompress(chunk, limit + 1)
        except zlib.error as exc:
            raise ValueError('bad permessage-deflate data: %s' % (exc,))
        if len(out) > limit or self._inflater.unconsumed_tail:
            return None
        return out


def negotiate(values):
    # type: (List[str]) -> Tuple[Optional[str], Optional[Deflate]]
    """Answer the ``Sec-WebSocket-Extensions`` header *values* of an
    upgrade request: return ``(header value, Deflate)`` for the first
    permessage-deflate offer that can be honoured, or ``(None, None)``.

    An offer with an unknown, repeated or out-of-range parameter is
    declined (RFC 7692 5.1), as is ``server_max_window_bits=8``, which
    zlib cannot produce raw.  The answer repeats the server parameters the
    client asked for and ``client_no_context_takeover`` when offered.
    Pure; never raises for client input.
    """
    for value in values:
        for offer in value.split(','):
            parts = [p.strip() for p in offer.split(';')]
            if parts[0].lower() != EXTENSION:
                continue
            params = _params(parts[1:])
            if params is None:
                continue
            bits = params.get('server_max_window_bits', 15)
            if bits is None or bits == 8:
                continue
            answer = [EXTENSION]
            takeover = 'server_no_context_takeover' in params
            if takeover:
                answer.append('server_no_context_takeover')
            if 'server_max_window_bits' in params:
                answer.append('server_max_window_bits=%d' % bits)
            if 'client_no_context_takeover' in params:
                answer.append('client_no_context_takeover')
            return '; '.join(answer), Deflate(takeover, bits)
    return None, None


def _params(parts):
    """The parameters of one offer as a dict (a window size as an int,
    None when absent), or None when the offer must be declined."""
    params = {}  # type: dict
    for part in parts:
        match = _PARAM.match(part)
        if not match:
            return None
        name, number = match.group(1).lower(), match.group(3)
        if name in params:
            return None
        if name in ('server_no_context_takeover',
                    'client_no_context_takeover'):
            if number is not None:
                return None
            params[name] = True
        elif name in ('server_max_window_bits', 'client_max_window_bits'):
            if number is not None and not 8 <= int(number) <= 15:
                return None
            params[name] = None if number is None else int(number)
        else:
            return None
    return params
