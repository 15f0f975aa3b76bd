"""HTTP/1.1 for a server, without I/O: bytes in, events out; responses in, bytes out.

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
    'ServerConnection', 'Request', 'Data', 'EndOfMessage', 'Rejected',
    'ConnectionClosed', 'NEED_DATA', 'PAUSED', 'Limits', 'check_header',
    'reason',
]

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, List, Optional, Tuple, Union  # noqa: F401
    Pairs = List[Tuple[str, str]]


class ServerConnection(RequestReader):
    """One client connection's HTTP/1.1 state, request and response side.

    Feed bytes with :meth:`receive_data` (``b''`` for end of file) and call
    :meth:`next_event` until it returns :data:`NEED_DATA`.  Events come in
    the order :class:`Request`, any :class:`Data`, :class:`EndOfMessage`;
    then :data:`PAUSED` until the exchange is finished with
    :meth:`start_next_cycle`, after which a pipelined request already
    buffered is read.  A malformed request gives one :class:`Rejected` event; answer
    it with :meth:`send_response` (the connection then closes).

    Responses: :meth:`send_response` returns the head (and the body, when
    given as bytes); a streamed body goes through :meth:`send_data` and
    :meth:`end_response`; :meth:`start_next_cycle` ends the exchange.
    :attr:`keep_alive` says whether the connection stays open after the
    current response.  Not thread-safe.
    """

    # -- response side --------------------------------------------------------
    def send_response(self, status, headers, body=None, date=None,
                      server=None, closing=False, version='HTTP/1.1',
                      include_body=True):
        # type: (int, Pairs, Optional[bytes], Optional[str], Optional[str], bool, str, bool) -> bytes
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
        bytes *body* but leaves it out, for a caller that writes it itself.  Raises ValueError if a header cannot be
        sent (:func:`check_header`).
        """
        request = self.request
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
        if not bodiless:
            if body is None:
                if chunked_given:
                    mode = 'chunked'
                elif 'content-length' in names:
                    mode = 'length'
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
        if mode == 'close' or closing or self._errored:
            self._must_close = True
        if not interim:
            self.keep_alive = not self._must_close
            if 'connection' not in names:
                if not self.keep_alive:
                    out.append(('Connection', 'close'))
                elif http10:
                    out.append(('Connection', 'keep-alive'))
        parts = [_wire('%s %d %s\r\n' % (version, status, reason(status)))]
        for name, value in out:
            parts.extend((_wire(name), b': ', _wire(value), b'\r\n'))
        parts.append(b'\r\n')
        if interim:
            return b''.join(parts)
        if self._head_method or bodiless:
            mode = 'none'
        self._response = mode
        if body is not None and include_body:
            parts.append(self.send_data(body))
        return b''.join(parts)

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
        self.keep_alive = self._next_request(self.keep_alive)
