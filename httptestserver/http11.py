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
import re

from ._compat import PY2

__all__ = [
    'ServerConnection', 'Request', 'Data', 'EndOfMessage', 'Rejected',
    'ConnectionClosed', 'NEED_DATA', 'PAUSED', 'Limits', 'REASONS',
    'check_header', 'reason',
]

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, List, Optional, Tuple, Union  # noqa: F401
    Pairs = List[Tuple[str, str]]


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

_TOKEN = re.compile(br"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_HEX = re.compile(br'^[0-9A-Fa-f]{1,16}$')
_DIGITS = re.compile(br'^[0-9]{1,19}$')
_VERSION = re.compile(br'^HTTP/([0-9]+)\.([0-9]+)$')
_OWS = b' \t'
# What must never reach the wire inside a response header (RFC 9110 5.5).
_BAD_NAME = re.compile(r"[^!#$%&'*+\-.^_`|~0-9A-Za-z]")
_BAD_VALUE = re.compile(r'[\r\n\x00]')

#: Reason phrases of the status line, as Python's http.server sends them.
REASONS = {
    100: 'Continue', 101: 'Switching Protocols', 102: 'Processing',
    103: 'Early Hints', 200: 'OK', 201: 'Created', 202: 'Accepted',
    203: 'Non-Authoritative Information', 204: 'No Content',
    205: 'Reset Content', 206: 'Partial Content', 207: 'Multi-Status',
    208: 'Already Reported', 226: 'IM Used', 300: 'Multiple Choices',
    301: 'Moved Permanently', 302: 'Found', 303: 'See Other',
    304: 'Not Modified', 305: 'Use Proxy', 307: 'Temporary Redirect',
    308: 'Permanent Redirect', 400: 'Bad Request', 401: 'Unauthorized',
    402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
    405: 'Method Not Allowed', 406: 'Not Acceptable',
    407: 'Proxy Authentication Required', 408: 'Request Timeout',
    409: 'Conflict', 410: 'Gone', 411: 'Length Required',
    412: 'Precondition Failed', 413: 'Request Entity Too Large',
    414: 'Request-URI Too Long', 415: 'Unsupported Media Type',
    416: 'Requested Range Not Satisfiable', 417: 'Expectation Failed',
    418: "I'm a Teapot", 421: 'Misdirected Request',
    422: 'Unprocessable Entity', 423: 'Locked', 424: 'Failed Dependency',
    425: 'Too Early', 426: 'Upgrade Required', 428: 'Precondition Required',
    429: 'Too Many Requests', 431: 'Request Header Fields Too Large',
    451: 'Unavailable For Legal Reasons', 500: 'Internal Server Error',
    501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
    504: 'Gateway Timeout', 505: 'HTTP Version Not Supported',
    506: 'Variant Also Negotiates', 507: 'Insufficient Storage',
    508: 'Loop Detected', 510: 'Not Extended',
    511: 'Network Authentication Required',
}


def reason(status):
    # type: (int) -> str
    """Return the reason phrase for *status*, ``''`` when there is none."""
    return REASONS.get(status, '')


class Limits(object):
    """The limits a connection enforces; the 4xx each one answers.

    ``max_line``: longest request line (414) or header line (431), in bytes;
    ``max_headers``: most header lines, folded ones and trailers included
    (431); ``max_body``: largest request body in bytes (413).
    """

    __slots__ = ('max_line', 'max_headers', 'max_body')

    def __init__(self, max_line=65536, max_headers=100, max_body=64 << 20):
        # type: (int, int, int) -> None
        self.max_line = max_line
        self.max_headers = max_headers
        self.max_body = max_body


if PY2:  # Python 2: native str is bytes
    def _native(raw):
        return raw
else:
    def _native(raw):
        return raw.decode('latin-1')


def _wire(value):
    """Return a header name or value as bytes for the wire."""
    if isinstance(value, bytes):
        return value
    if not isinstance(value, type(u'')):
        value = u'%s' % (value,)
    try:
        return value.encode('latin-1')
    except UnicodeError:
        return value.encode('utf-8')


def check_header(name, value):
    # type: (Any, Any) -> Optional[str]
    """Return why a response header cannot be sent, or None if it can.

    A name must be a token (RFC 9110 5.1) and a value must hold no CR, LF or
    NUL (5.5), so that no header can ever smuggle another one onto the wire.
    Pure; never raises.
    """
    if isinstance(name, bytes):
        name = name.decode('latin-1')
    if isinstance(value, bytes):
        value = value.decode('latin-1')
    name, value = u'%s' % (name,), u'%s' % (value,)
    if not name or _BAD_NAME.search(name):
        return ('header name %r is not a token (letters, digits and '
                "!#$%%&'*+-.^_`|~ only)" % (name,))
    if _BAD_VALUE.search(value):
        return ('header %s has a value with CR, LF or NUL in it (%r); a '
                'header value is one line' % (name, value))
    return None


def _tokens(value):
    return [token.strip(_OWS).lower() for token in value.split(b',')]


# -- events -------------------------------------------------------------------

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


class _Reject(Exception):
    def __init__(self, status, message):
        Exception.__init__(self, message)
        self.status = status
        self.message = message


# States of the request side.
_HEAD, _LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_END, _TRAILER, _DONE, \
    _CLOSED = range(8)


class ServerConnection(object):
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

    def __init__(self, limits=None):
        # type: (Optional[Limits]) -> None
        self.limits = limits or Limits()
        self._buffer = b''
        self._offset = 0  # start of the next unread line of the head
        self._head_start = 0
        self._skipped = False  # the one empty line before a request
        self._pairs = []  # type: List[Tuple[bytes, bytes]]
        self._lines = 0
        self._minor = 1
        self._eof = False
        self._state = _HEAD
        self._remaining = 0
        self._body_size = 0
        self._trailers = 0
        #: The request being answered (a :class:`Request`), or None.
        self.request = None  # type: Optional[Request]
        #: False once the connection must close after the current response.
        self.keep_alive = True
        self._must_close = False
        self._continued = False
        self._head_method = False
        self._response = None  # None | 'none' | 'length' | 'chunked' | 'close'
        self._errored = False

    # -- request side ---------------------------------------------------------
    def receive_data(self, data):
        # type: (bytes) -> None
        """Add bytes the client sent; ``b''`` means it closed its side."""
        if data:
            self._buffer += data
        else:
            self._eof = True

    @property
    def trailing_data(self):
        # type: () -> bytes
        """Bytes received beyond the current request (pipelined, or the
        first bytes of an upgraded protocol)."""
        return self._buffer

    @property
    def they_are_waiting_for_100_continue(self):
        # type: () -> bool
        """True when the client waits for ``100 Continue`` before sending
        the body it announced; see :meth:`send_continue`."""
        return (self.request is not None and self.request.expect_continue
                and not self._continued
                and self._state in (_LENGTH, _CHUNK_SIZE) and not
                self._buffer)

    def send_continue(self):
        # type: () -> bytes
        """Return the ``100 Continue`` interim response, once; else ``b''``."""
        if self._continued or self.request is None or \
                not self.request.expect_continue:
            return b''
        self._continued = True
        return b'HTTP/1.1 100 Continue\r\n\r\n'

    def next_event(self):
        # type: () -> Any
        """Return the next event, :data:`NEED_DATA` or :data:`PAUSED`.

        Never raises for anything a client sends.
        """
        state = self._state
        if state == _DONE:
            return PAUSED
        if state == _CLOSED:
            return ConnectionClosed(True)
        try:
            if state == _HEAD:
                return self._read_head()
            if state == _LENGTH:
                return self._read_length()
            return self._read_chunked()
        except _Reject as exc:
            self._state = _DONE
            self._errored = True
            self.keep_alive = False
            request = self.request or Request('', '', 'HTTP/1.1', '', [], b'')
            self.request = request
            return Rejected(exc.status, exc.message, request)

    def _read_head(self):
        """Read the head line by line, checking each as it completes.

        Lines are checked in arrival order whether the head comes whole or
        byte by byte, so a request gives the same events however it is split.
        """
        buffer = self._buffer
        limits = self.limits
        pos = self._offset
        while True:
            newline = buffer.find(b'\n', pos)
            if newline == -1:
                if len(buffer) - pos > limits.max_line + 1:
                    self._offset = pos
                    if self.request is None:
                        self._start_request(buffer[pos:pos + 200])
                        raise _Reject(414, 'The request line is longer than '
                                           '%d bytes.' % limits.max_line)
                    raise _Reject(431, 'A header line is longer than %d '
                                       'bytes.' % limits.max_line)
                self._offset = pos
                if self._eof:
                    self._state = _CLOSED
                    self.keep_alive = False
                    return ConnectionClosed(self.request is None and
                                            pos == len(buffer))
                return NEED_DATA
            line = buffer[pos:newline]
            if line[-1:] == b'\r':
                line = line[:-1]
            pos = newline + 1
            if self.request is None:
                if not line and not self._skipped:
                    # RFC 9112 2.2: ignore an empty line before a request.
                    self._skipped = True
                    self._head_start = pos
                    continue
                self._start_request(line)
                self._request_line(line)
            elif line:
                self._header_line(line)
            else:
                raw = buffer[self._head_start:pos]
                self._buffer = buffer[pos:]
                self._offset = self._head_start = 0
                self._skipped = False
                request = self.request
                request.raw = raw
                request.headers = [(_native(n), _native(v))
                                   for n, v in self._pairs]
                return self._frame_request(request, self._pairs, self._minor)

    def _start_request(self, line):
        self.request = Request('', '', 'HTTP/1.1',
                               _native(line[:self.limits.max_line]), [], b'')
        self._pairs = []
        self._head_method = False

    def _request_line(self, line):
        request = self.request
        if len(line) > self.limits.max_line:
            request.requestline = _native(line[:200])
            raise _Reject(414, 'The request line is longer than %d bytes.'
                          % self.limits.max_line)
        if b'\r' in line or b'\x00' in line:
            raise _Reject(400, 'The request line holds a bare CR or a NUL '
                               'byte.')
        words = line.split()  # on ASCII whitespace only: bytes
        if len(words) != 3:
            raise _Reject(400, 'Bad request line %r; expected "METHOD /path '
                               'HTTP/1.1".' % request.requestline[:200])
        method, target, version = words
        match = _VERSION.match(version)
        if match is None:
            raise _Reject(400, 'Bad HTTP version %r.' % _native(version[:20]))
        if int(match.group(1)) != 1:
            raise _Reject(505, 'HTTP version %r is not supported; use '
                               'HTTP/1.1 or HTTP/1.0.' % _native(version[:20]))
        if not _TOKEN.match(method):
            raise _Reject(400, 'Bad method %r.' % _native(method[:40]))
        self._minor = int(match.group(2))
        request.method = _native(method)
        request.target = _native(target)
        request.version = _native(version)

    def _header_line(self, line):
        limits = self.limits
        pairs = self._pairs
        self._lines += 1  # folded lines count too
        if self._lines > limits.max_headers:
            raise _Reject(431, 'More than %d header lines.'
                          % limits.max_headers)
        if len(line) > limits.max_line:
            raise _Reject(431, 'A header line is longer than %d bytes.'
                          % limits.max_line)
        if b'\r' in line or b'\x00' in line:
            raise _Reject(400, 'A header line holds a bare CR or a NUL byte.')
        if line[:1] in (b' ', b'\t'):
            if not pairs:
                raise _Reject(400, 'Bad header line %r.' % _native(line[:80]))
            name, value = pairs[-1]
            pairs[-1] = (name, (value + b' ' + line.strip(_OWS)).strip(_OWS))
            return
        name, sep, value = line.partition(b':')
        if not sep or not _TOKEN.match(name):
            raise _Reject(400, 'Bad header line %r.' % _native(line[:80]))
        pairs.append((name, value.strip(_OWS)))

    def _frame_request(self, request, pairs, minor):
        """Decide the body framing and the connection's fate (RFC 9112 6)."""
        connection, encodings, lengths, expect, hosts = [], [], [], [], 0
        for name, value in pairs:
            key = name.lower()
            if key == b'connection':
                connection.extend(_tokens(value))
            elif key == b'transfer-encoding':
                encodings.extend(_tokens(value))
            elif key == b'content-length':
                lengths.append(value)
            elif key == b'expect':
                expect.append(value)
            elif key == b'host':
                hosts += 1
        keep_alive = minor >= 1
        if b'close' in connection:
            keep_alive = False
        elif b'keep-alive' in connection:
            keep_alive = True
        self.keep_alive = keep_alive
        self._must_close = not keep_alive
        self._head_method = request.method == 'HEAD'
        if minor >= 1 and hosts != 1:
            # RFC 9112 3.2: a server MUST answer 400 (as Go does).
            raise _Reject(400, 'An HTTP/1.1 request needs exactly one Host '
                               'header.')
        has_body = False
        if encodings:
            if encodings[-1] != b'chunked':
                raise _Reject(400, 'Transfer-Encoding %r is not supported; '
                                   'send the body chunked or with '
                                   'Content-Length.'
                              % _native(b', '.join(encodings)))
            if lengths or minor < 1:
                # Both framings (a smuggling risk), or chunked from an
                # HTTP/1.0 client (RFC 9112 6.1): answer, then close.
                self._must_close = True
            self._state = _CHUNK_SIZE
            has_body = True
        elif lengths:
            values = set(v.strip(_OWS) for value in lengths
                         for v in value.split(b','))
            if len(values) != 1 or not _DIGITS.match(list(values)[0]):
                raise _Reject(400, 'Bad Content-Length %r.'
                              % _native(b', '.join(lengths)))
            length = int(values.pop())
            if length > self.limits.max_body:
                raise _Reject(413, 'The body of %d bytes is over the limit '
                                   'of %d bytes.'
                              % (length, self.limits.max_body))
            self._remaining = length
            self._state = _LENGTH
            has_body = length > 0
        else:
            self._state = _LENGTH
            self._remaining = 0
        if expect:
            value = b','.join(expect).strip(_OWS).lower()
            if value != b'100-continue':
                raise _Reject(417, 'Expect %r is not supported.'
                              % _native(b', '.join(expect)))
            request.expect_continue = has_body and minor >= 1
        request.has_body = has_body
        self._body_size = 0
        self._trailers = 0
        self._lines = 0
        self._continued = False
        self._response = None
        return request

    def _read_length(self):
        if self._remaining == 0:
            self._state = _DONE
            return _END
        buffer = self._buffer
        if not buffer:
            if self._eof:
                return self._gone()
            return NEED_DATA
        take = buffer[:self._remaining]
        self._buffer = buffer[len(take):]
        self._remaining -= len(take)
        return Data(take)

    def _gone(self):
        self._state = _CLOSED
        self.keep_alive = False
        return ConnectionClosed(False)

    def _line(self):
        """Return one line of the chunked framing without its end, or None."""
        index = self._buffer.find(b'\n')
        if index == -1:
            if len(self._buffer) > self.limits.max_line:
                raise _Reject(400, 'A chunk size or trailer line is longer '
                                   'than %d bytes.' % self.limits.max_line)
            return None
        line = self._buffer[:index]
        self._buffer = self._buffer[index + 1:]
        if line[-1:] == b'\r':
            line = line[:-1]
        return line

    def _read_chunked(self):
        while True:
            state = self._state
            if state == _CHUNK_DATA:
                if not self._buffer:
                    return self._gone() if self._eof else NEED_DATA
                take = self._buffer[:self._remaining]
                self._buffer = self._buffer[len(take):]
                self._remaining -= len(take)
                if self._remaining == 0:
                    self._state = _CHUNK_END
                return Data(take)
            if state == _CHUNK_END:
                if len(self._buffer) < 2 and self._buffer != b'\n':
                    if self._buffer not in (b'', b'\r'):
                        raise _Reject(400, 'A chunk is not followed by '
                                           'CRLF.')
                    return self._gone() if self._eof else NEED_DATA
                if self._buffer[:2] == b'\r\n':
                    self._buffer = self._buffer[2:]
                elif self._buffer[:1] == b'\n':
                    self._buffer = self._buffer[1:]
                else:
                    raise _Reject(400, 'A chunk is not followed by CRLF.')
                self._state = _CHUNK_SIZE
                continue
            line = self._line()
            if line is None:
                return self._gone() if self._eof else NEED_DATA
            if state == _CHUNK_SIZE:
                size = line.split(b';', 1)[0].strip(_OWS)
                if not _HEX.match(size):
                    raise _Reject(400, 'Bad chunk size line %r.'
                                  % _native(line[:40]))
                size = int(size, 16)
                if size == 0:
                    self._state = _TRAILER
                    continue
                self._body_size += size
                if self._body_size > self.limits.max_body:
                    raise _Reject(413, 'The chunked body is over the limit '
                                       'of %d bytes.' % self.limits.max_body)
                self._remaining = size
                self._state = _CHUNK_DATA
                continue
            # _TRAILER: trailer fields are read and ignored.
            if not line:
                self._state = _DONE
                return _END
            self._trailers += 1
            if self._trailers > self.limits.max_headers:
                raise _Reject(431, 'More than %d trailer lines.'
                              % self.limits.max_headers)

    # -- response side --------------------------------------------------------
    def send_response(self, status, headers, body=None, date=None,
                      server=None, closing=False, version='HTTP/1.1'):
        # type: (int, Pairs, Optional[bytes], Optional[str], Optional[str], bool, str) -> bytes
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
        the final response after it.  Raises ValueError if a header cannot be
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
        if body is not None:
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
            return b''.join((('%x\r\n' % len(data)).encode('ascii'), data,
                             b'\r\n'))
        return data

    def end_response(self):
        # type: () -> bytes
        """Return the last bytes of the current response's body.

        For a chunked body that is the last chunk, else ``b''``.  Then call
        :meth:`start_next_cycle`.
        """
        last = b'0\r\n\r\n' if self._response == 'chunked' else b''
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
        self.request = None
        if self.keep_alive and self._state == _DONE:
            self._state = _HEAD
        else:
            self._state = _CLOSED
            self.keep_alive = False
