"""Performing faults and delays on a socket: a response written slowly, or not.

This module owns what a fault does on the wire: :func:`send` writes one
response on a connection's blocking socket the way a decided plan says --
waits before the head and the body, a body dribbled or cut into delayed
chunks, a bandwidth limit -- or performs the plan's fault instead (a reset
with ``SO_LINGER`` 0, random bytes, a held connection, a truncated or
misframed response); :func:`handshake` does the same for a TLS handshake
fault.  Every wait goes through the ``pause`` the server supplies, so
``stop()`` and ``reset()`` cut it short.  It decides nothing: which fault
and which delays is :mod:`httptestserver.answers.faults`' business; this
module imports it, never the reverse.  No threads, no locks, no server.
"""
import random
import select
import socket
import struct

import six

from ..answers.faults import check_handshake_fault, garbage, split

__all__ = ['send', 'handshake', 'reset', 'hold', 'close_now']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Callable, Iterable  # noqa: F401

#: How often a ``never`` fault looks whether the client gave up, seconds.
HOLD_INTERVAL = 0.05


def send(plan, sock, head, chunks, pause):
    # type: (Any, Any, bytes, Iterable[bytes], Callable[[float], bool]) -> bool
    """Write the response on *sock* as *plan* says, or perform its fault;
    blocks.

    *plan* is a :class:`httptestserver.answers.faults.Plan` (read only: its
    ``fault``, ``delay``, ``body_delay``, ``chunk_delay``, ``dribble``,
    ``bandwidth``, ``garbage`` and ``rng``).  The other arguments and the
    result: True if the response was sent whole and the connection may be
    reused; False if the server must close it (a fault, or a wait cut short).  Socket
    errors (the client went away) propagate.
    """
    writer = _Writer(sock, plan.bandwidth, pause)
    if plan.delay and not pause(plan.delay):
        return False
    fault = plan.fault
    if fault == 'empty':
        return False
    if fault == 'reset':
        reset(sock)
        return False
    if fault == 'never':
        hold(sock, pause)
        return False
    if fault == 'garbage':
        writer.write(plan.garbage)
        return False
    body = chunks
    if fault in ('truncated', 'headers_only'):
        payload = b''.join(chunks)
        promised = max(len(payload), 1)
        head = _reframe(head, [('Content-Length', str(promised)),
                               ('Connection', 'close')])
        body = [payload[:len(payload) // 2]] \
            if fault == 'truncated' else []
    elif fault == 'malformed_chunk':
        head = _reframe(head, [('Transfer-Encoding', 'chunked')],
                        status=b'HTTP/1.1 200 OK')
        body = []
    elif fault == 'bad_status':
        head = b'HTTP/1.1 2xx Invalid' + head[head.index(b'\r\n'):]
    elif fault == 'no_close_notify':
        head = _reframe(head, [('Connection', 'close')])
    chunked = _is_chunked(head)
    if fault == 'malformed_chunk' and not plan.body_delay:
        # One write: aiohttp 3.14's C parser misses a bad chunk that
        # arrives in a later read and waits for its timeout instead.
        writer.write(head + b'zz\r\n' + plan.garbage)
        return False
    if not writer.write(head):
        return False
    if plan.body_delay and not pause(plan.body_delay):
        return False
    if fault == 'malformed_chunk':
        writer.write(b'zz\r\n' + plan.garbage)
        return False
    if not _write_body(plan, writer, body, chunked):
        return False
    if fault == 'no_close_notify':
        close_now(sock)
        return False
    return fault is None


def _write_body(plan, writer, chunks, chunked):
    pieces, interval = chunks, 0.0
    if plan.dribble is not None:
        payload = b''.join(chunks)
        pieces = split(payload, plan.dribble['chunks'])
        interval = plan.dribble['duration'] / max(1, len(pieces))
        if not pieces and not writer.pause(plan.dribble['duration']):
            return False
    for piece in pieces:
        wait = interval
        if plan.chunk_delay is not None:
            wait += plan.chunk_delay.sample(plan.rng)
        if wait and not writer.pause(wait):
            return False
        if not piece:
            continue
        if chunked:
            piece = b''.join((('%x\r\n' % len(piece)).encode('ascii'),
                              piece, b'\r\n'))
        if not writer.write(piece):
            return False
    if chunked:
        return writer.write(b'0\r\n\r\n')
    return True


def _is_chunked(head):
    for line in head.split(b'\r\n')[1:]:
        name, _, value = line.partition(b':')
        if name.strip().lower() == b'transfer-encoding' and \
                b'chunked' in value.lower():
            return True
    return False


def _reframe(head, headers, status=None):
    """Return *head* with its framing headers replaced by *headers*."""
    lines = head.split(b'\r\n')
    first = status or lines[0]
    drop = (b'content-length', b'transfer-encoding', b'connection')
    kept = [line for line in lines[1:] if line and
            line.partition(b':')[0].strip().lower() not in drop]
    kept.extend(('%s: %s' % pair).encode('latin-1') for pair in headers)
    return b'\r\n'.join([first] + kept) + b'\r\n\r\n'


class _Writer(object):
    """Writes to a socket, at most *bandwidth* bytes per second."""

    def __init__(self, sock, bandwidth, pause):
        self.sock = sock
        self.bandwidth = bandwidth
        self.pause = pause
        self.sent = 0
        self.owed = 0.0  # seconds the bandwidth limit still asks to wait

    def write(self, data):
        """Send *data*; return False if a bandwidth wait was cut short."""
        if not self.bandwidth:
            self.sock.sendall(data)
            return True
        # Slices of a twentieth of a second each, so the rate is smooth.
        step = max(1, int(self.bandwidth / 20))
        for start in range(0, len(data), step):
            piece = data[start:start + step]
            # Wait first: the last byte leaves at size / bandwidth.
            if not self.pause(len(piece) / self.bandwidth):
                return False
            self.sock.sendall(piece)
        return True


# -- socket-level actions -----------------------------------------------------
def _raw(sock):
    """Return the socket object whose C methods bypass TLS."""
    return getattr(sock, '_sock', None) or sock  # Python 2: the C socket


def close_now(sock):
    """Close *sock*'s descriptor at once, with no TLS close_notify, even if
    file objects still refer to it (they then fail with EBADF).  Later
    ``close()`` calls are harmless."""
    if six.PY2:  # Python 2: the C socket inside closes the descriptor
        _raw(sock).close()
    else:
        import _socket
        _socket.socket.close(sock)


def reset(sock):
    """Reset the connection: ``SO_LINGER`` 0, then close (the kernel sends
    RST).  Closes *sock* at once, no TLS close_notify."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack('ii', 1, 0))
    finally:
        close_now(sock)


def _raw_recv(sock, size):
    if six.PY2:  # Python 2: socket objects wrap a C socket
        return _raw(sock).recv(size)
    import _socket
    return _socket.socket.recv(sock, size)


def hold(sock, pause, interval=HOLD_INTERVAL):
    """Answer nothing until the client closes *sock* or *pause* says stop.

    Reads and drops what the client sends, below TLS.  Returns True if the
    client gave up, False if cut short by *pause*.  Blocks.
    """
    while pause(interval):
        try:
            ready = select.select([sock], [], [], 0)[0]
            if ready and not _raw_recv(sock, 65536):
                return True
        except (socket.error, ValueError):
            return True
    return False


def handshake(name, conn, pause):
    # type: (str, Any, Callable[[float], bool]) -> None
    """Perform handshake fault *name* (a key of
    :data:`httptestserver.answers.faults.HANDSHAKE_FAULTS`, checked by the caller)
    on *conn*, a TCP socket not yet wrapped in TLS; blocks.  ``pause`` as
    in :func:`send`.  Closes *conn* for ``handshake_reset`` only.  Raises
    :class:`~httptestserver.ConfigurationError`, doing nothing, if *name* is
    not a handshake fault.
    """
    check_handshake_fault(name)
    if name in ('handshake_reset', 'handshake_garbage'):
        try:
            conn.recv(65536)  # the ClientHello, so the client is waiting
        except socket.error:
            return
        if name == 'handshake_reset':
            reset(conn)
        else:
            conn.sendall(garbage(random.Random()))
    elif name == 'handshake_never':
        hold(conn, pause)
