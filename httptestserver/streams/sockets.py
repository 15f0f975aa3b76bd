"""The socket a long-lived answer was given: waiting on it, noticing that
the client left, closing it.

This module owns what the long-lived answers (WebSocket sessions, open
event streams) do with the connection's socket from their worker thread:
:class:`Poller` waits until one of a few descriptors is readable,
:func:`hung_up` tells whether the client closed its end, and
:func:`hang_up` closes the socket without resetting the connection, and
:func:`cut` drops it the way a crashed peer does (a fault).  The
rule it keeps: never ``select()``, which fails past descriptor 1,024
(``ValueError: filedescriptor out of range in select()`` with some 500
connections open); ``select.poll`` has no such limit.  ``select`` is the
fallback only where there is no ``poll`` (Windows, whose ``select`` takes
sockets by handle, not by number).  No threads, no locks; imports only
``_compat``.
"""
import errno
import select
import socket
import ssl
import struct
import sys

from .._compat import PY2

__all__ = ['Poller', 'hung_up', 'hang_up', 'cut']

#: Most bytes read and thrown away while a connection closes.
DRAIN_LIMIT = 1 << 20

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, List, Optional  # noqa: F401

# POSIX only, as the server's event loop is: select.poll() is everywhere
# but Windows.
_READABLE = select.POLLIN | select.POLLPRI
_GONE = select.POLLHUP | select.POLLERR | select.POLLNVAL
# The peer shut down its side (Linux): reported even while unread data
# waits, so a TLS client's close_notify does not hide its FIN.  Python 2
# does not name it.  # Python 2
_RDHUP = getattr(select, 'POLLRDHUP',
                 0x2000 if sys.platform.startswith('linux') else 0)


def _interrupted(exc):
    # Python 2 (and 3 before PEP 475): EINTR reaches the caller.
    return bool(exc.args) and exc.args[0] == errno.EINTR


class Poller(object):
    """Wait until one of the descriptors *fds* (ints or objects with
    ``fileno()``) is readable, has hung up or failed.

    :meth:`wait` blocks up to *timeout* seconds and returns the numbers of
    those that are ready (an empty list on timeout or a signal).  Not
    thread-safe: one per waiting thread.
    """

    def __init__(self, fds):
        self.fds = [fd if isinstance(fd, int) else fd.fileno() for fd in fds]
        self._poll = select.poll()
        for fd in self.fds:
            self._poll.register(fd, _READABLE)

    def wait(self, timeout):
        # type: (Optional[float]) -> List[int]
        """Return the ready descriptors, waiting up to *timeout* seconds
        (None: until one is)."""
        try:
            milliseconds = None if timeout is None else \
                max(0, int(timeout * 1000 + 0.999))
            return [fd for fd, _ in self._poll.poll(milliseconds)]
        except (select.error, OSError) as exc:
            if _interrupted(exc):
                return []
            raise


def hung_up(sock, timeout=0):
    # type: (Any, Optional[float]) -> Optional[bool]
    """Wait up to *timeout* seconds for the client of *sock* to hang up.

    Return True once it did (end of stream, reset, or its side shut down),
    False if *timeout* passed first, and None when the answer cannot be
    known without reading what it sent -- it sent bytes (a pipelined
    request, say) on a socket whose end of stream this platform cannot
    report beside them: stop asking then, or the next call returns at
    once.  Never reads data: a plain socket is only peeked at.  Blocks.
    """
    fd = sock.fileno()
    if fd < 0:
        return True
    poller = select.poll()
    poller.register(fd, _READABLE | _RDHUP)
    milliseconds = None if timeout is None else \
        max(0, int(timeout * 1000 + 0.999))
    try:
        events = poller.poll(milliseconds)
    except (select.error, OSError) as exc:
        if _interrupted(exc):
            return False
        raise
    if not events:
        return False
    flags = events[0][1]
    if flags & (_GONE | _RDHUP):
        return True
    return _peek_eof(sock)


def _peek_eof(sock):
    """True at end of stream, None when data waits, False if unsure."""
    if isinstance(sock, ssl.SSLSocket):
        return None  # TLS records cannot be peeked at without reading
    try:
        return sock.recv(1, socket.MSG_PEEK) == b'' or None
    except socket.timeout:
        return False
    except socket.error as exc:
        if getattr(exc, 'errno', None) in (errno.EAGAIN, errno.EWOULDBLOCK,
                                           errno.EINTR):
            return False
        return True  # reset: gone


def hang_up(sock):
    """Close *sock* now: first take what the client already sent (unread
    bytes make the kernel reset the connection, which can destroy what was
    just written, instead of closing it) and, over TLS, send close_notify
    without waiting for the client's.  Never blocks; harmless on a closed
    socket.  Afterwards ``sock.fileno()`` is -1 on every Python, which is
    how the server that handed the socket over sees it is closed."""
    _drain(sock)
    if isinstance(sock, ssl.SSLSocket):
        try:
            sock.unwrap()
        except (socket.error, ValueError):
            pass
    _close(sock)


def cut(sock, reset=False):
    """Drop *sock* the way a crashed peer does: a TCP close with no TLS
    close_notify (and no WebSocket close frame), or with *reset* a TCP RST
    (``SO_LINGER`` 0).  What the client sent is taken first, so that a
    plain drop is a FIN, not a reset.  Never blocks; harmless on a closed
    socket."""
    if reset:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack('ii', 1, 0))
        except (socket.error, ValueError):
            pass
    else:
        _drain(sock)
    _close(sock)


def _drain(sock):
    try:
        sock.setblocking(False)
        for _ in range(DRAIN_LIMIT // 65536):
            if not sock.recv(65536):
                break
    except (socket.error, ValueError):
        pass  # nothing more to take (EAGAIN, TLS wants more), or gone


def _close(sock):
    try:
        if PY2:  # Python 2: close() swaps in a dummy whose fileno() raises
            getattr(sock, '_sock', sock).close()
        else:
            sock.close()
    except socket.error:
        pass
