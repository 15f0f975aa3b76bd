"""HTTP/1.1 events and limits: what the protocol layer hands to the server.

The vocabulary shared by :mod:`~httptestserver.protocol.reader` (which turns a
client's bytes into these events) and
:mod:`~httptestserver.protocol.connection` (the connection state machine the
server drives).  Plain data, no behaviour: no sockets, threads or clock.
"""
from .._compat import PY2

__all__ = ['Request', 'Data', 'EndOfMessage', 'Rejected', 'ConnectionClosed',
           'NEED_DATA', 'PAUSED', 'Limits', 'native']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, List, Optional, Tuple  # noqa: F401


class _Sentinel(object):
    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return self._name


#: :meth:`ServerConnection.next_event`: feed more bytes first.
NEED_DATA = _Sentinel('NEED_DATA')
#: :meth:`ServerConnection.next_event`: a request is complete; answer it
#: (:meth:`ServerConnection.start_next_cycle`) before the next is read.
PAUSED = _Sentinel('PAUSED')


class Limits(object):
    """The limits a connection enforces; the 4xx each one answers.

    ``max_line``: longest request line (414) or header line (431), in bytes;
    ``max_headers``: most header lines, folded ones and trailers included
    (431); ``max_body``: largest request body in bytes (413); ``max_head``:
    largest whole head, request line and header lines together (431).
    """

    __slots__ = ('max_line', 'max_headers', 'max_body', 'max_head')

    def __init__(self, max_line=65536, max_headers=100, max_body=64 << 20,
                 max_head=128 << 10):
        # type: (int, int, int, int) -> None
        self.max_line = max_line
        self.max_headers = max_headers
        self.max_body = max_body
        self.max_head = max_head


if PY2:  # Python 2: native str is bytes
    def native(raw):
        """Return bytes from the wire as the native ``str``."""
        return raw
else:
    def native(raw):
        """Return bytes from the wire as the native ``str`` (latin-1, as
        :mod:`http.server` does)."""
        return raw.decode('latin-1')


class Request(object):
    """Event: a request head.

    ``method``, ``target`` (as sent, query included), ``version``
    (``'HTTP/1.1'``) and ``requestline`` are native strings (latin-1 text on
    Python 3, bytes on Python 2); ``headers`` a list of ``(name, value)``
    native-string pairs in arrival order, obsolete line folding joined with a
    space; ``raw`` the bytes of the head as received.  ``expect_continue`` is
    True when the client waits for ``100 Continue`` before sending its body.
    """

    __slots__ = ('method', 'target', 'version', 'requestline', 'headers',
                 'raw', 'expect_continue', 'has_body')

    def __init__(self, method, target, version, requestline, headers, raw,
                 expect_continue=False, has_body=False):
        self.method = method
        self.target = target
        self.version = version
        self.requestline = requestline
        self.headers = headers
        self.raw = raw
        self.expect_continue = expect_continue
        self.has_body = has_body

    def __repr__(self):
        return '<Request %r>' % (self.requestline,)


class Data(object):
    """Event: a piece of the request body (de-chunked), ``data`` bytes."""

    __slots__ = ('data',)

    def __init__(self, data):
        self.data = data

    def __repr__(self):
        return '<Data %d bytes>' % len(self.data)


class EndOfMessage(object):
    """Event: the request body is complete."""

    __slots__ = ()

    def __repr__(self):
        return '<EndOfMessage>'


_END = EndOfMessage()


class Rejected(object):
    """Event: the request cannot be served; answer ``status`` and close.

    ``message`` says why, for the client and the history; ``request`` is the
    head when it was read before the problem (a body error), else a
    :class:`Request` holding what could be read (possibly empty strings).
    """

    __slots__ = ('status', 'message', 'request')

    def __init__(self, status, message, request):
        self.status = status
        self.message = message
        self.request = request

    def __repr__(self):
        return '<Rejected %d %r>' % (self.status, self.message)


class ConnectionClosed(object):
    """Event: the client closed its side.

    ``clean`` is True between requests, False in the middle of one (the
    request is incomplete and must not be answered or recorded).
    """

    __slots__ = ('clean',)

    def __init__(self, clean):
        self.clean = clean

    def __repr__(self):
        return '<ConnectionClosed clean=%r>' % (self.clean,)
