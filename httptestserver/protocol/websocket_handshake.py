"""The WebSocket opening handshake (RFC 6455 section 4), without I/O.

This module owns the answer to an upgrade request: :func:`handshake` checks
a recorded request dict and says what to send -- a 101 with
``Sec-WebSocket-Accept`` and the chosen subprotocol, or a 400/426 naming
what is wrong.  Pure: it never raises for client input, touches no socket,
and imports nothing from the package.  What follows a 101 is framing
(:mod:`.websocket_codec`).
"""
import base64
import binascii
import hashlib

import six

__all__ = ['handshake', 'accept_key', 'GUID']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List, Optional, Tuple  # noqa: F401

#: The key suffix RFC 6455 section 1.3 fixes for ``Sec-WebSocket-Accept``.
GUID = b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11'


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
    # type: (Dict[str, Any], Any) -> Tuple[int, List[Tuple[str, str]], Optional[str]]  # noqa: E501
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
