"""Performing faults and delays on a socket: a response written slowly, or not.

This module owns what a fault does on the wire.  :func:`steps` turns a
decided plan into the steps that write one response -- waits before the
head and the body, a body dribbled or cut into delayed chunks, a bandwidth
limit -- or perform the plan's fault instead (a reset with ``SO_LINGER`` 0,
random bytes, a held connection, a truncated or misframed response).  The
event loop plays those steps with timers
(:meth:`~httptestserver.serving.channel.Channel.play`); :func:`send` plays
them on a blocking socket, for a worker thread.  Every wait can be cut
short by ``stop()`` and ``reset()``.  It decides nothing: which fault and
which delays is :mod:`httptestserver.answers.faults`' business; this module
imports it, never the reverse.  No threads, no locks, no server.
"""
import random
import select
import socket
import struct

import six

from ..answers.faults import check_handshake_fault, garbage, split

__all__ = ['steps', 'send', 'handshake', 'reset', 'hold', 'close_now']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Callable, Iterable, Iterator, Tuple  # noqa: F401

#: How often a held connection in a worker looks whether the client left.
HOLD_INTERVAL = 0.05


def steps(plan, head, chunks):
    # type: (Any, bytes, Iterable[bytes]) -> Iterator[Tuple[Any, ...]]
    """Yield the steps that write the response as *plan* says.

    *plan* is a :class:`httptestserver.answers.faults.Plan` (read only);
    *head* the complete response head; *chunks* the body's bytes
    (unframed; empty for HEAD, 1xx, 204, 304).  Steps are tuples:
    ``('wait', seconds)``, ``('write', bytes)``, ``('hold',)`` (answer
    nothing until the client leaves), ``('reset',)``, ``('close_now',)``
    (close with no TLS close_notify), and last ``('end', keep_alive)``.  A
    wait cut short ends the response and closes the connection.  Pure.
    """
    if plan.delay:
        yield ('wait', plan.delay)
    fault = plan.fault
    if isinstance(fault, dict):  # {name: number}: a toxic of toxiproxy's
        for step in _parameter_fault(plan, fault, head, chunks):
            yield step
        return
    if fault in ('empty', 'reset', 'never'):
        yield {'empty': ('end', False), 'reset': ('reset',),
               'never': ('hold',)}[fault]
        return
    if fault == 'garbage':
        for step in _paced(plan, plan.garbage):
            yield step
        yield ('end', False)
        return
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
        for step in _paced(plan, head + b'zz\r\n' + plan.garbage):
            yield step
        yield ('end', False)
        return
    for step in _paced(plan, head):
        yield step
    if plan.body_delay:
        yield ('wait', plan.body_delay)
    if fault == 'malformed_chunk':
        for step in _paced(plan, b'zz\r\n' + plan.garbage):
            yield step
        yield ('end', False)
        return
    for step in _body(plan, body, chunked):
        yield step
    if fault == 'no_close_notify':
        yield ('close_now',)
        return
    yield ('end', fault is None)


def _parameter_fault(plan, fault, head, chunks):
    """The steps of a fault of
    :data:`~httptestserver.answers.faults.PARAMETER_FAULTS`."""
    name, number = list(fault.items())[0]
    if name == 'timeout':  # silence, then a close
        yield ('wait', number)
        yield ('end', False)
        return
    if name == 'slow_close':  # all of it, then a close that takes its time
        head = _reframe(head, [('Connection', 'close')])
        for step in _paced(plan, head):
            yield step
        if plan.body_delay:
            yield ('wait', plan.body_delay)
        for step in _body(plan, chunks, _is_chunked(head)):
            yield step
        yield ('wait', number)
        yield ('end', False)
        return
    # truncate_at, reset_after: the body its Content-Length promises, cut
    payload = b''.join(chunks)
    head = _reframe(head, [('Content-Length', str(len(payload))),
                           ('Connection', 'close')])
    for step in _paced(plan, head):
        yield step
    if plan.body_delay:
        yield ('wait', plan.body_delay)
    for step in _body(plan, [payload[:number]], False):
        yield step
    yield ('reset',) if name == 'reset_after' else ('end', False)


def _body(plan, chunks, chunked):
    pieces, interval = chunks, 0.0
    if plan.dribble is not None:
        payload = b''.join(chunks)
        pieces = split(payload, plan.dribble['chunks'])
        interval = plan.dribble['duration'] / max(1, len(pieces))
        if not pieces:
            yield ('wait', plan.dribble['duration'])
    for piece in pieces:
        wait = interval
        if plan.chunk_delay is not None:
            wait += plan.chunk_delay.sample(plan.rng)
        if wait:
            yield ('wait', wait)
        if not piece:
            continue
        if chunked:
            piece = b''.join((('%x\r\n' % len(piece)).encode('ascii'),
                              piece, b'\r\n'))
        for step in _paced(plan, piece):
            yield step
    if chunked:
        for step in _paced(plan, b'0\r\n\r\n'):
            yield step


def _paced(plan, data):
    """Write *data*, at most ``plan.bandwidth`` bytes per second: slices
    of a twentieth of a second, each after its wait (the last byte leaves
    at size / bandwidth)."""
    if not plan.bandwidth:
        yield ('write', data)
        return
    size = max(1, int(plan.bandwidth / 20))
    for start in range(0, len(data), size):
        piece = data[start:start + size]
        yield ('wait', len(piece) / float(plan.bandwidth))
        yield ('write', piece)


def send(plan, sock, head, chunks, pause):
    # type: (Any, Any, bytes, Iterable[bytes], Callable[[float], bool]) -> bool
    """Play :func:`steps` on the blocking *sock*; blocks.

    ``pause(seconds)`` waits and returns False when cut short (the server
    stops or resets).  Returns True if the response was sent whole and the
    connection may be reused; False if the server must close it (a fault,
    or a wait cut short).  Socket errors (the client went away) propagate.
    """
    for step in steps(plan, head, chunks):
        kind = step[0]
        if kind == 'write':
            sock.sendall(step[1])
        elif kind == 'wait':
            if not pause(step[1]):
                return False
        elif kind == 'end':
            return step[1]
        else:
            {'hold': lambda: hold(sock, pause), 'reset': lambda: reset(sock),
             'close_now': lambda: close_now(sock)}[kind]()
            return False
    return False


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
    client gave up, False if cut short by *pause*.  Blocks; for a worker
    thread (the event loop holds a connection without waking up at all).
    """
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN)
    while pause(interval):
        try:
            if poller.poll(0) and not _raw_recv(sock, 65536):
                return True
        except (socket.error, ValueError, select.error):
            return True
    return False


def handshake(name, conn, pause):
    # type: (str, Any, Callable[[float], bool]) -> None
    """Perform handshake fault *name* (a key of
    :data:`httptestserver.answers.faults.HANDSHAKE_FAULTS`, checked by the
    caller)
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
