"""Reading requests off the wire, without I/O: bytes in, events out.

:class:`RequestReader` owns the request grammar of RFC 9112 -- request line,
header fields, message body framing by ``Content-Length`` or chunked
``Transfer-Encoding`` -- and every limit on it.  It is fed bytes and hands out
:mod:`~httptestserver.protocol.events`; it never raises for what a client
sends, and every number it reads is bounded before it is converted.  It
knows nothing of responses: the connection
(:mod:`~httptestserver.protocol.connection`) that owns it decides the
connection's fate from what it reports.  No sockets, threads or clock; not
thread-safe.
"""
import re

from .._compat import PY2

from .body import CHUNK_SIZE, CLOSED, DONE, HEAD, LENGTH, BodyReader, \
    Reject
from .events import NEED_DATA, PAUSED, ConnectionClosed, Limits, \
    Rejected, Request, native as _native

__all__ = ['RequestReader']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, List, Optional, Tuple  # noqa: F401

_TOKEN = re.compile(br"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# One digit each, as h11 reads it: a version is never a big number.
_VERSION = re.compile(br'^HTTP/([0-9])\.([0-9])$')
_OWS = b' \t'
# The plainest heads, read with two expressions (see _read_plain_head): a
# request line of single spaces, an HTTP/1.x version, printable ASCII in the
# target; header lines of a token, a colon and a value without CR or NUL.
# On native strings (latin-1 text on Python 3), as the events give them.
_PLAIN_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_PLAIN_LINE = re.compile(r'(%s) ([!-~\x80-\xff]+) (HTTP/1\.([0-9]))\Z'
                         % _PLAIN_TOKEN)
# Anchored at line starts: as many matches as lines means every line matched.
_PLAIN_FIELD = re.compile(r'^(%s):[ \t]*([^\r\n\x00]*)\r\n' % _PLAIN_TOKEN,
                          re.M)
# The header fields that frame a request (see _frame_request).
_FRAMING = frozenset(['connection', 'transfer-encoding', 'content-length',
                      'expect', 'host'])


class RequestReader(BodyReader):
    """The request side of one connection: a state machine over bytes.

    Feed bytes with :meth:`receive_data` (``b''`` for end of file) and call
    :meth:`next_event` until it returns :data:`NEED_DATA`.  Events come in
    the order :class:`Request`, any :class:`Data`, :class:`EndOfMessage`;
    then :data:`PAUSED` until :meth:`next_request`.  A malformed request
    gives one :class:`Rejected` event.  Head lines are checked in arrival
    order, so a request gives the same events however its bytes are split.
    After a :class:`Request`, :attr:`client_keep_alive` says whether the
    client asked to keep the connection and :attr:`framing_closes` whether
    its framing forces a close after the answer.
    """

    def __init__(self, limits=None):
        # type: (Optional[Limits]) -> None
        self.limits = limits or Limits()
        # bytearray: a head that arrives in many small pieces is appended to
        # in amortised constant time, not copied whole each time.
        self._buffer = bytearray()
        self._offset = 0  # start of the next unread line of the head
        self._scan = 0  # where the search for the next newline resumes
        self._head_start = 0
        self._skipped = False  # the one empty line before a request
        self._pairs = []  # type: List[Tuple[bytes, bytes]]
        self._lines = 0
        self._minor = 1
        self._eof = False
        self._state = HEAD
        self._remaining = 0
        self._announced = 0
        self._body_size = 0
        self._trailers = 0
        #: The request being read or answered (a :class:`Request`), or None.
        self.request = None  # type: Optional[Request]
        #: What the current request's Connection header and version ask.
        self.client_keep_alive = True
        #: True when the current request's framing forces a close after the
        #: answer (both Content-Length and chunked; chunked from HTTP/1.0).
        self.framing_closes = False

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
        return bytes(self._buffer)

    @property
    def buffered(self):
        # type: () -> int
        """How many received bytes are not read yet."""
        return len(self._buffer)

    @property
    def body_not_started(self):
        # type: () -> bool
        """True when a body is announced and none of it has arrived yet."""
        return self._state in (LENGTH, CHUNK_SIZE) and not self._buffer \
            and self._body_size == 0 and self._remaining == self._announced

    @property
    def closed(self):
        # type: () -> bool
        """True once the request side is closed (end of file, or after
        :meth:`next_request` was told to close)."""
        return self._state == CLOSED

    def next_request(self, keep_open):
        # type: (bool) -> bool
        """End the current exchange; return whether the connection is open.

        Open, it reads the next (maybe pipelined) request; else it is closed.
        """
        self.request = None
        if keep_open and self._state == DONE:
            self._state = HEAD
            return True
        self._state = CLOSED
        return False

    def next_event(self):
        # type: () -> Any
        """Return the next event, :data:`NEED_DATA` or :data:`PAUSED`.

        Never raises for anything a client sends.
        """
        state = self._state
        if state == DONE:
            return PAUSED
        if state == CLOSED:
            return ConnectionClosed(True)
        try:
            if state == HEAD:
                return self._read_head()
            if state == LENGTH:
                return self._read_length()
            return self._read_chunked()
        except Reject as exc:
            self._state = DONE
            self.client_keep_alive = False
            request = self.request or Request('', '', 'HTTP/1.1', '', [], b'')
            self.request = request
            return Rejected(exc.status, exc.message, request)

    def _read_head(self):
        """Read the head line by line, checking each as it completes.

        Lines are checked in arrival order whether the head comes whole or
        byte by byte, so a request gives the same events however it is split.
        """
        buffer = self._buffer
        pos = self._offset
        if pos == 0 and self.request is None and not self._skipped:
            if not buffer and not self._eof:
                return NEED_DATA
            whole = self._read_whole_head()
            if whole is not None:
                return whole
        while True:
            # No newline before _scan: a long line arriving in small pieces
            # is searched once, not once per piece.
            newline = buffer.find(b'\n', max(pos, self._scan))
            if newline == -1:
                self._scan = len(buffer)
                self._offset = pos
                self._check_size(pos, len(buffer))
                if self._eof:
                    self._state = CLOSED
                    return ConnectionClosed(self.request is None and
                                            pos == len(buffer))
                return NEED_DATA
            self._offset = pos
            self._check_size(pos, newline)
            line = bytes(buffer[pos:newline])
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
                raw = bytes(buffer[self._head_start:pos])
                del buffer[:pos]
                self._scan = 0
                self._offset = self._head_start = 0
                self._skipped = False
                request = self.request
                request.raw = raw
                request.headers = [(_native(n), _native(v))
                                   for n, v in self._pairs]
                return self._frame_request(request, self._pairs, self._minor)

    def _read_whole_head(self):
        """The common case at once: a whole, plain head already buffered
        (CRLF line ends, no folding, within every limit) is checked with the
        same rules, in the same order, as line by line; anything else
        returns None and is read line by line."""
        buffer = self._buffer
        end = buffer.find(b'\r\n\r\n')
        limits = self.limits
        if end <= 0 or end + 2 > limits.max_head:
            return None
        if end <= limits.max_line:  # then so is every line of it
            plain = self._read_plain_head(end)
            if plain is not None:
                return plain
        head = bytes(buffer[:end])
        lines = head.split(b'\r\n')
        ends = len(lines) - 1
        # No bare LF or CR, no folded line, every line within its limit:
        # what the line-by-line reading would check first, at C speed.
        if not lines[0] or ends > limits.max_headers or \
                head.count(b'\n') != ends or head.count(b'\r') != ends or \
                b'\n ' in head or b'\n\t' in head or \
                max(map(len, lines)) > limits.max_line:
            return None
        first = lines[0]
        self._start_request(first)
        self._request_line(first)
        for line in lines[1:]:
            self._header_line(line)
        raw = bytes(buffer[:end + 4])
        del buffer[:end + 4]
        self._scan = 0
        request = self.request
        request.raw = raw
        request.headers = [(_native(n), _native(v)) for n, v in self._pairs]
        return self._frame_request(request, self._pairs, self._minor)

    def _read_plain_head(self, end):
        """The plainest heads (most of them) at C speed: the head ends at
        *end* in the buffer (its blank line after) and is within the line
        and head limits.  Only heads the line-by-line reading would take as
        they are match here; for anything else (other versions, odd
        spacing, too many lines, errors to report) return None."""
        raw = bytes(self._buffer[:end + 4])
        text = _native(raw)
        first = text.find('\r\n')
        line = _PLAIN_LINE.match(text, 0, first)
        if line is None:
            return None
        if first < end:  # header lines, each ending with CRLF
            lines = text.count('\r\n', first + 2, end + 2)
            if lines > self.limits.max_headers or \
                    text.count('\n', first + 2, end + 2) != lines:
                return None  # too many, or a bare LF (a line start too)
            fields = _PLAIN_FIELD.findall(text, first + 2, end + 2)
            if len(fields) != lines:  # a line that is not plain
                return None
            if ' \r\n' in text or '\t\r\n' in text:  # whitespace to trim
                fields = [(name, value.rstrip(' \t'))
                          for name, value in fields]
        else:
            fields = []
        method, target, version, minor = line.groups()
        del self._buffer[:end + 4]
        self._scan = 0
        self.request = request = Request(method, target, version,
                                         text[:first], fields, raw)
        self._minor = int(minor)
        low = text.lower()
        if '\r\nconnection:' not in low and \
                '\r\ntransfer-encoding:' not in low and \
                '\r\ncontent-length:' not in low and \
                '\r\nexpect:' not in low:
            # No framing header but Host (a plain GET): what
            # _frame_request decides for it, without looking at each line.
            return self._frame_plain(request, low.count('\r\nhost:'))
        if PY2:  # native strings are bytes
            pairs = [pair for pair in fields if pair[0].lower() in _FRAMING]
        else:
            pairs = [(name.encode('latin-1'), value.encode('latin-1'))
                     for name, value in fields if name.lower() in _FRAMING]
        self._pairs = pairs
        return self._frame_request(request, pairs, self._minor)

    def _check_size(self, pos, end):
        """Refuse a head line or a whole head over its limit, the line
        running from *pos* to *end* so far.

        Each limit trips at a position (the line limit first on a tie); the
        lower one is reported, so the answer is the same however the bytes
        were split.
        """
        limits = self.limits
        line_at = pos + limits.max_line + 2  # + 1: the CR of CRLF
        head_at = self._head_start + limits.max_head + 2
        if end < min(line_at, head_at):
            return
        first_line = self.request is None
        if first_line:  # the request line only, however much arrived
            line = bytes(self._buffer[pos:pos + 200]).split(b'\n', 1)[0]
            self._start_request(line[:-1] if line[-1:] == b'\r' else line)
        if line_at <= head_at:
            if first_line:
                raise Reject(414, 'The request line is longer than %d '
                             'bytes.' % limits.max_line)
            raise Reject(431, 'A header line is longer than %d bytes.'
                         % limits.max_line)
        raise Reject(431, 'The request head is longer than %d bytes.'
                     % limits.max_head)

    def _start_request(self, line):
        self.request = Request('', '', 'HTTP/1.1',
                               _native(line[:self.limits.max_line]), [], b'')
        self._pairs = []

    def _request_line(self, line):
        request = self.request
        if len(line) > self.limits.max_line:
            request.requestline = _native(line[:200])
            raise Reject(414, 'The request line is longer than %d bytes.'
                         % self.limits.max_line)
        if b'\r' in line or b'\x00' in line:
            raise Reject(400, 'The request line holds a bare CR or a NUL '
                         'byte.')
        if b'\x0b' in line or b'\x0c' in line:
            # RFC 9112 3: SP separates the parts; VT and FF never do.
            raise Reject(400, 'The request line holds a vertical tab or a '
                         'form feed; separate its parts with spaces.')
        words = line.split()  # on SP and HTAB (VT, FF refused above)
        if len(words) != 3:
            raise Reject(400, 'Bad request line %r; expected "METHOD /path '
                         'HTTP/1.1".' % request.requestline[:200])
        method, target, version = words
        match = _VERSION.match(version)
        if match is None:
            raise Reject(400, 'Bad HTTP version %r.' % _native(version[:20]))
        if int(match.group(1)) != 1:
            raise Reject(505, 'HTTP version %r is not supported; use '
                         'HTTP/1.1 or HTTP/1.0.' % _native(version[:20]))
        if not _TOKEN.match(method):
            raise Reject(400, 'Bad method %r.' % _native(method[:40]))
        self._minor = int(match.group(2))
        request.method = _native(method)
        request.target = _native(target)
        request.version = _native(version)

    def _header_line(self, line):
        limits = self.limits
        pairs = self._pairs
        self._lines += 1  # folded lines count too
        if self._lines > limits.max_headers:
            raise Reject(431, 'More than %d header lines.'
                         % limits.max_headers)
        if len(line) > limits.max_line:
            raise Reject(431, 'A header line is longer than %d bytes.'
                         % limits.max_line)
        if b'\r' in line or b'\x00' in line:
            raise Reject(400, 'A header line holds a bare CR or a NUL byte.')
        if line[:1] in (b' ', b'\t'):
            if not pairs:
                raise Reject(400, 'Bad header line %r.' % _native(line[:80]))
            name, value = pairs[-1]
            pairs[-1] = (name, (value + b' ' + line.strip(_OWS)).strip(_OWS))
            return
        name, sep, value = line.partition(b':')
        if not sep or not _TOKEN.match(name):
            raise Reject(400, 'Bad header line %r.' % _native(line[:80]))
        pairs.append((name, value.strip(_OWS)))
