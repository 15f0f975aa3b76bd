"""HTTP/1.1 for a server, without I/O: bytes in, events out; responses in,
bytes out.

This module owns the wire format of RFC 9112 as the server side sees it, in
the manner of h11: :class:`ServerConnection` is a state machine fed with the
bytes a client sent (:meth:`~ServerConnection.receive_data`) that hands out
events (:meth:`~ServerConnection.next_event`): a :class:`Request` head, its
body as :class:`Data`, :class:`EndOfMessage`, or a :class:`Rejected` request
carrying the 4xx to answer.  Given a response it returns the bytes to send,
framed with ``Content-Length``, chunked or close-delimited, with no body for
``HEAD``, 1xx, 204 and 304, and decides whether the connection stays open for
the next (pipelined) request.  Every limit -- line length, header count, body
size -- lives here.

No sockets, no threads, no clock (the caller passes the ``Date`` value):
every framing rule is tested by feeding bytes, split anywhere.  Not
thread-safe: one connection, one thread at a time.
"""
from .events import NEED_DATA, PAUSED, ConnectionClosed, Data, \
    EndOfMessage, Limits, Rejected, Request, native as _native
from .reader import RequestReader
from .writer import LAST_CHUNK, check_header, chunk, reason, \
    wire as _wire

__all__ = [
    'ServerConnection', 'BodyTooLong', 'Request', 'Data', 'EndOfMessage',
    'Rejected',
    'ConnectionClosed', 'NEED_DATA', 'PAUSED', 'Limits', 'check_header',
    'reason',
]

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List, Optional, Tuple, Union  # noqa: F401
    Pairs = List[Tuple[str, str]]


class ServerConnection(object):
    """One client connection's HTTP/1.1 state, request and response side.

    Feed bytes with :meth:`receive_data` (``b''`` for end of file) and call
    :meth:`next_event` until it returns :data:`NEED_DATA`.  Events come in
    the order :class:`Request`, any :class:`Data`, :class:`EndOfMessage`;
    then :data:`PAUSED` until the exchange is finished with
    :meth:`start_next_cycle`, after which a pipelined request already
    buffered is read.  A malformed request gives one :class:`Rejected`
    event; answer it with :meth:`send_response` (the connection then
    closes).

    Responses: :meth:`send_response` returns the head (and the body, when
    given as bytes); a streamed body goes through :meth:`send_data` and
    :meth:`end_response`, which count the bytes against a declared
    ``Content-Length``; :meth:`start_next_cycle` ends the exchange.
    :attr:`keep_alive` says whether the connection stays open after the
    current response.  This object owns the connection's state; its
    :class:`~httptestserver.protocol.reader.RequestReader` reads requests
    and the functions of :mod:`~httptestserver.protocol.writer` write
    responses.  Not thread-safe.
    """

    def __init__(self, limits=None):
        # type: (Optional[Limits]) -> None
        self._reader = RequestReader(limits)
        self.limits = self._reader.limits
        #: False once the connection must close after the current response.
        self.keep_alive = True
        self._must_close = False
        self._errored = False
        self._continued = False
        self._response = None  # type: Optional[str]
        self._left = None  # type: Optional[int]  # body bytes still owed
        #: Bytes of a declared ``Content-Length`` never sent, once a
        #: response ended short (the connection then closes); else 0.
        self.short_by = 0

    # -- request side ---------------------------------------------------------
    @property
    def request(self):
        # type: () -> Optional[Request]
        """The request being read or answered, or None."""
        return self._reader.request

    def receive_data(self, data):
        # type: (bytes) -> None
        """Add bytes the client sent; ``b''`` means it closed its side."""
        self._reader.receive_data(data)

    @property
    def trailing_data(self):
        # type: () -> bytes
        """Bytes received beyond the current request (pipelined, or the
        first bytes of an upgraded protocol)."""
        return self._reader.trailing_data

    @property
    def buffered(self):
        # type: () -> int
        """How many received bytes are not read yet (cheap)."""
        return self._reader.buffered

    def next_event(self):
        # type: () -> Any
        """Return the next event, :data:`NEED_DATA` or :data:`PAUSED`.

        Never raises for anything a client sends.
        """
        reader = self._reader
        event = reader.next_event()
        if isinstance(event, Request):
            self._must_close = not reader.client_keep_alive or \
                reader.framing_closes
            self.keep_alive = reader.client_keep_alive
            self._continued = False
            self._response = None
            self.short_by = 0
        elif isinstance(event, Rejected):
            self._errored = True
            self.keep_alive = False
        elif isinstance(event, ConnectionClosed):
            self.keep_alive = False
        return event

    @property
    def they_are_waiting_for_100_continue(self):
        # type: () -> bool
        """True when the client waits for ``100 Continue`` before sending
        the body it announced; see :meth:`send_continue`."""
        request = self._reader.request
        return (request is not None and request.expect_continue
                and not self._continued and self._reader.body_not_started)

    def send_continue(self):
        # type: () -> bytes
        """Return the ``100 Continue`` interim response, once; else ``b''``."""
        request = self._reader.request
        if self._continued or request is None or not request.expect_continue:
            return b''
        self._continued = True
        return b'HTTP/1.1 100 Continue\r\n\r\n'

    # -- response side --------------------------------------------------------
    def send_response(self, status, headers, body=None, date=None,
                      server=None, closing=False, version='HTTP/1.1',
                      include_body=True):
        # type: (int, Pairs, Optional[bytes], Optional[str], Optional[str], bool, str, bool) -> bytes  # noqa: E501
        """Return the bytes of a response head, with *body* when it is bytes.

        *headers* are ``(name, value)`` pairs sent in order; ``Date`` and
        ``Server`` are added from *date* and *server* unless given.  A bytes
        *body* gets ``Content-Length`` unless the headers give it or
        chunked ``Transfer-Encoding`` (then it is sent as one chunk); a
        ``None`` body is streamed afterwards with :meth:`send_data`: chunked
        for HTTP/1.1 unless ``Content-Length`` is given, close-delimited for
        HTTP/1.0.  ``HEAD`` requests, 1xx, 204 and 304 get no body.
        *closing* (the server is stopping) closes the connection after this
        response; so do the client's ``Connection: close``, an error answer
        and a close-delimited body.  A 1xx other than 101 is interim: send
        the final response after it.  ``include_body=False`` frames for a
        bytes *body* but leaves it out, for a caller that writes it itself.
        Raises ValueError if a header cannot be sent (:func:`check_header`).
        """
        request = self._reader.request
        memo_key = None
        pairs = tuple(headers)
        if include_body and status >= 200 and isinstance(body, bytes) and \
                request is not None and _printable_as_equal(pairs):
            # The same answer to the same kind of request: the same head
            # and the same state, whatever the connection; the head
            # depends on the body's length only, and the body is not
            # kept (it may be large).
            memo_key = (status, pairs, len(body), date, server, version,
                        closing, self._errored, self._must_close,
                        request.version, request.method == 'HEAD')
            try:
                known = _MEMO.get(memo_key)
            except TypeError:  # an unhashable header value: no memo
                known = memo_key = None
            if known is not None:
                head, self._must_close, self.keep_alive, self._response, \
                    self._left = known
                return head + self.send_data(body)
        head = self._respond(request, status, headers, body, date, server,
                             closing, version, include_body)
        if memo_key is not None:
            if len(_MEMO) >= _MEMO_SIZE:
                _MEMO.clear()
            _MEMO[memo_key] = (head, self._must_close, self.keep_alive,
                               self._response, self._left)
        if body is not None and include_body and \
                not (100 <= status < 200 and status != 101):
            return head + self.send_data(body)
        return head

    def _respond(self, request, status, headers, body, date, server,
                 closing, version, include_body):
        http10 = request is not None and request.version == 'HTTP/1.0'
        interim = 100 <= status < 200 and status != 101
        bodiless = status < 200 or status in (204, 304)
        names = set()
        chunked_given = False
        for name, value in headers:
            problem = check_header(name, value)
            if problem is not None:
                raise ValueError(problem)
            key = name.lower() if isinstance(name, str) else \
                _native(_wire(name)).lower()
            names.add(key)
            if key == 'transfer-encoding' and 'chunked' in [
                    t.strip().lower() for t in
                    _native(_wire(value)).split(',')]:
                chunked_given = True
            elif key == 'connection' and 'close' in [
                    t.strip().lower() for t in
                    _native(_wire(value)).split(',')]:
                self._must_close = True
        out = list(headers)
        if 'date' not in names and date is not None:
            out.append(('Date', date))
        if 'server' not in names and server:
            out.append(('Server', server))
        mode = 'none'
        length = None
        if not bodiless:
            if body is None:
                if chunked_given:
                    mode = 'chunked'
                elif 'content-length' in names:
                    mode = 'length'
                    length = _declared_length(headers)
                elif http10:
                    mode = 'close'
                else:
                    out.append(('Transfer-Encoding', 'chunked'))
                    mode = 'chunked'
            elif chunked_given:
                mode = 'chunked'
            else:
                mode = 'length'
                if 'content-length' not in names:
                    out.append(('Content-Length', str(len(body))))
                    length = len(body)
                else:
                    length = _declared_length(headers)
        if mode == 'close' or closing or self._errored:
            self._must_close = True
        if not interim:
            self.keep_alive = not self._must_close
            if 'connection' not in names:
                if not self.keep_alive:
                    out.append(('Connection', 'close'))
                elif http10:
                    out.append(('Connection', 'keep-alive'))
        head = _head_bytes(version, status, out)
        if interim:
            return head
        if (request is not None and request.method == 'HEAD') or bodiless:
            mode = 'none'
        self._response = mode
        self._left = length if mode == 'length' else None
        return head

    def send_data(self, data):
        # type: (bytes) -> bytes
        """Return *data* framed as the current response's body allows.

        ``b''`` for a body that must not be sent (``HEAD``, 204, 304) and for
        empty data (an empty chunk would end a chunked body).
        """
        if not data or self._response == 'none':
            return b''
        if self._response == 'chunked':
            return chunk(data)
        if self._left is not None:
            if len(data) > self._left:
                raise BodyTooLong(
                    'the body is longer than its Content-Length: %d more '
                    'byte(s) given where %d were left; send the length of '
                    'the body, or leave Content-Length out'
                    % (len(data), self._left))
            self._left -= len(data)
        return data

    def must_close(self):
        # type: () -> None
        """Close the connection after this response, whatever was said (the
        response was cut short or failed on purpose)."""
        self._must_close = True
        self.keep_alive = False

    def fail(self):
        # type: () -> None
        """Note that the server failed this exchange: the response it sends
        now is an error, and the connection closes after it."""
        self._errored = True
        self._must_close = True
        self.keep_alive = False

    @property
    def sends_body(self):
        # type: () -> bool
        """False when the current response must have no body (``HEAD``,
        1xx, 204, 304): a streamed body need not even be produced."""
        return self._response not in (None, 'none')

    def end_response(self):
        # type: () -> bytes
        """Return the last bytes of the current response's body.

        For a chunked body that is the last chunk, else ``b''``.  Then call
        :meth:`start_next_cycle`.
        """
        last = LAST_CHUNK if self._response == 'chunked' else b''
        if self._left:
            # Fewer bytes than declared: the client would read the next
            # response as the rest of this body.  Only a close ends it.
            self.short_by = self._left
            self.must_close()
        self._left = None
        self._response = 'done'
        return last

    def start_next_cycle(self, keep_alive=None):
        # type: (Optional[bool]) -> None
        """Finish the exchange: wait for the next request, or close.

        The connection stays open when :attr:`keep_alive` holds (then
        :meth:`next_event` reads a pipelined request already received).
        *keep_alive* False forces a close -- a response written by hand
        whose framing this object did not see; True keeps it open if nothing
        else (the client, an error) asked for a close.
        """
        if keep_alive is False:
            self.keep_alive = False
        elif keep_alive and not self._must_close and not self._errored:
            self.keep_alive = True
        self._response = None
        self._left = None
        self.keep_alive = self._reader.next_request(self.keep_alive)


#: Responses made before, by what they were made from (see
#: :meth:`ServerConnection.send_response`); shared by every connection
#: (single dict operations, safe between threads), emptied when full.
_MEMO = {}  # type: Dict[Any, Any]
_MEMO_SIZE = 512


_TEXT = (str, bytes, type(u''))


def _printable_as_equal(pairs):
    """True when *pairs* are all (text, text): then pairs that compare
    equal are written alike (1, True and 1.0 compare equal, and are
    not), so they may share a memoised response."""
    try:
        for name, value in pairs:
            if type(name) not in _TEXT or type(value) not in _TEXT:
                return False
    except (TypeError, ValueError):  # not pairs: _respond says why
        return False
    return True


class BodyTooLong(ValueError):
    """A response body longer than the ``Content-Length`` its head gave."""


def _declared_length(headers):
    # type: (Pairs) -> Optional[int]
    """Return the ``Content-Length`` in *headers* as an int, or None when
    it is not one whole number (then no count is kept)."""
    for name, value in headers:
        key = name if isinstance(name, str) else _native(_wire(name))
        if key.lower() == 'content-length':
            text = value if isinstance(value, str) else _native(_wire(value))
            text = text.strip()
            # ASCII digits only: str.isdigit() is true for any Unicode
            # digit, which no client reads as a length.
            if 0 < len(text) <= 19 and text.strip('0123456789') == '':
                return int(text)
            return None
    return None


def _head_bytes(version, status, headers):
    # type: (str, int, Pairs) -> bytes
    """Return the status line, *headers* and the blank line as bytes:
    latin-1 text at once when it is, else each part as :func:`wire` says."""
    try:
        text = '%s %d %s\r\n%s\r\n' % (
            version, status, reason(status),
            ''.join(['%s: %s\r\n' % pair for pair in headers]))
        return text if isinstance(text, bytes) else text.encode('latin-1')
    except (UnicodeError, TypeError):
        parts = [_wire('%s %d %s\r\n' % (version, status, reason(status)))]
        for name, value in headers:
            parts.extend((_wire(name), b': ', _wire(value), b'\r\n'))
        parts.append(b'\r\n')
        return b''.join(parts)
