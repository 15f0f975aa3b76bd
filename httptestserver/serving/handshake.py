"""Before the first request: connection faults and the TLS handshake, in
the event loop.

:class:`Handshaking` is the part of a
:class:`~httptestserver.serving.channel.Channel` that runs before the first
request: a connection fault the test set (``accept_close``,
``accept_stall``), and on an HTTPS port the handshake.  It peeks at the
first bytes (a plain-HTTP request gets a plain-text 400, as Go answers
it), performs a handshake fault when the test set one, and drives a
non-blocking handshake -- want-read, want-write -- under the connection's
one silence deadline, so a client that trickles its ClientHello holds
nothing but a descriptor.
"""
import logging
import random
import socket
import ssl

from .. import tls
from ..answers.faults import garbage
from .loop import READ, WRITE, would_block as _want
from .states import ANSWERING, READING

__all__ = ['Handshaking']

log = logging.getLogger('httptestserver')

_PLAIN_ON_TLS = b'Client sent an HTTP request to an HTTPS server.\n'
_HAS_WANT = hasattr(ssl, 'SSLWantWriteError')


def _wants_write(exc):
    if _HAS_WANT:
        return isinstance(exc, ssl.SSLWantWriteError)
    return exc.args[0] == ssl.SSL_ERROR_WANT_WRITE  # Python 2


class Handshaking(object):
    """The handshake states of a channel (a mixin: its state is the
    channel's)."""

    def _connection_fault(self, fault):
        """``accept_close``: close at once, reading nothing.
        ``accept_stall``: never read (the descriptor is watched for
        nothing), until the silence timer, ``stop()`` or ``reset()``."""
        if fault == 'accept_close':
            return self._end()
        self.loop.add(self.fd, 0, self._on_events)
        self._registered = True
        self._events = 0
        loop = self.loop
        self._unwatch_era = self.engine.store.begin().on_end(
            lambda: loop.call_soon_threadsafe(self.close))
        self._arm_silence()

    def _handshake(self):
        sock = self.sock
        if not self._peeked:
            try:
                first = sock.recv(5, socket.MSG_PEEK)
            except socket.error as exc:
                if not _want(exc):
                    self._broken(exc)
                return
            if not first:
                return self.close()
            self._peeked = True
            if not tls.is_tls_client_hello(first):
                return self._plain_on_tls()
            fault = self.engine.handshake_fault()
            if fault is not None:
                return self._handshake_fault(fault)
            try:
                self.sock = sock = self.engine.ssl_context.wrap_socket(
                    sock, server_side=True, do_handshake_on_connect=False)
            except (socket.error, ValueError) as exc:
                return self._broken(exc)
        try:
            sock.do_handshake()
        except (socket.error, ValueError) as exc:
            if _want(exc):
                self._watch(WRITE if _wants_write(exc) else READ)
                return
            log.info('TLS handshake with %s failed: %s', self.peer, exc)
            return self.close()
        self.tls = tls.connection_info(sock)
        self.state = READING
        self._cancel_silence()
        if self.engine.exchange is None:
            return self.engine.serve_whole(self)
        self._arm_silence()
        self._watch(READ)
        self._read()  # the first request may have come with the Finished

    def _plain_on_tls(self):
        """Like Go: tell a plain-HTTP client what went wrong, then close."""
        head = ('HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; '
                'charset=utf-8\r\nConnection: close\r\n'
                'Content-Length: %d\r\n\r\n' % len(_PLAIN_ON_TLS))
        self.state = READING  # writes go out plain
        self.send(head.encode('ascii') + _PLAIN_ON_TLS)
        self.finish(close=True, drain=True)

    def _handshake_fault(self, fault):
        """Fail the TLS handshake on purpose: hold the connection, or read
        the ClientHello and reset or answer garbage (in the loop)."""
        self.state = ANSWERING
        era = self.engine.store.begin()
        if fault == 'handshake_never':
            steps = iter([('hold',)])
        else:
            try:
                self.sock.recv(65536)  # the ClientHello: the client waits
            except socket.error as exc:
                if not _want(exc):
                    return self._broken(exc)
            steps = iter([('reset',)] if fault == 'handshake_reset' else
                         [('write', garbage(random.Random())), ('end', False)])
        self.play(steps, era, lambda keep: self.finish(close=True))
