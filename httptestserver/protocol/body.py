"""Reading a request body off the wire, without I/O: its framing.

:class:`BodyReader` is the part of the
:class:`~httptestserver.protocol.reader.RequestReader` that reads a body
framed by ``Content-Length`` or chunked ``Transfer-Encoding`` (RFC 9112
7.1): chunk sizes bounded before they are converted, chunk and trailer
lines bounded in length, the body bounded in size.  It also holds what the
reader's two parts share: the states and the :class:`Reject` they raise.
No sockets, threads or clock; not thread-safe.
"""
import re

from .events import NEED_DATA, ConnectionClosed, Data, EndOfMessage, \
    native as _native

__all__ = ['BodyReader', 'Reject', 'HEAD', 'LENGTH', 'CHUNK_SIZE',
           'CHUNK_DATA', 'CHUNK_END', 'TRAILER', 'DONE', 'CLOSED']

_HEX = re.compile(br'^[0-9A-Fa-f]{1,16}$')
_DIGITS = re.compile(br'^[0-9]{1,19}$')
_OWS = b' \t'
_END = EndOfMessage()

# States of the request side.
HEAD, LENGTH, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILER, DONE, CLOSED = \
    range(8)


def _tokens(value):
    return [token.strip(_OWS).lower() for token in value.split(b',')]


class Reject(Exception):
    """A request the server refuses: answer *status*, with *message*."""

    def __init__(self, status, message):
        Exception.__init__(self, message)
        self.status = status
        self.message = message


class BodyReader(object):
    """The body framing of a request reader (a mixin: its state is the
    reader's): decided from the head (:meth:`_frame_request`), then
    read."""

    def _read_length(self):
        if self._remaining == 0:
            self._state = DONE
            return _END
        buffer = self._buffer
        if not buffer:
            if self._eof:
                return self._gone()
            return NEED_DATA
        take = bytes(buffer[:self._remaining])
        del buffer[:len(take)]
        self._remaining -= len(take)
        return Data(take)

    def _gone(self):
        self._state = CLOSED
        return ConnectionClosed(False)

    def _line(self):
        """Return one line of the chunked framing without its end, or None."""
        index = self._buffer.find(b'\n')
        if index == -1:
            if len(self._buffer) > self.limits.max_line:
                raise Reject(400, 'A chunk size or trailer line is longer '
                             'than %d bytes.' % self.limits.max_line)
            return None
        line = bytes(self._buffer[:index])
        del self._buffer[:index + 1]
        if line[-1:] == b'\r':
            line = line[:-1]
        return line

    def _read_chunked(self):
        while True:
            state = self._state
            if state == CHUNK_DATA:
                if not self._buffer:
                    return self._gone() if self._eof else NEED_DATA
                take = bytes(self._buffer[:self._remaining])
                del self._buffer[:len(take)]
                self._remaining -= len(take)
                if self._remaining == 0:
                    self._state = CHUNK_END
                return Data(take)
            if state == CHUNK_END:
                if len(self._buffer) < 2 and self._buffer != b'\n':
                    if self._buffer not in (b'', b'\r'):
                        raise Reject(400, 'A chunk is not followed by '
                                     'CRLF.')
                    return self._gone() if self._eof else NEED_DATA
                if self._buffer[:2] == b'\r\n':
                    del self._buffer[:2]
                elif self._buffer[:1] == b'\n':
                    del self._buffer[:1]
                else:
                    raise Reject(400, 'A chunk is not followed by CRLF.')
                self._state = CHUNK_SIZE
                continue
            line = self._line()
            if line is None:
                return self._gone() if self._eof else NEED_DATA
            if state == CHUNK_SIZE:
                size = line.split(b';', 1)[0].strip(_OWS)
                if not _HEX.match(size):
                    raise Reject(400, 'Bad chunk size line %r.'
                                 % _native(line[:40]))
                size = int(size, 16)
                if size == 0:
                    self._state = TRAILER
                    continue
                self._body_size += size
                if self._body_size > self.limits.max_body:
                    raise Reject(413, 'The chunked body is over the limit '
                                 'of %d bytes.' % self.limits.max_body)
                self._remaining = size
                self._state = CHUNK_DATA
                continue
            # TRAILER: trailer fields are read and ignored.
            if not line:
                self._state = DONE
                return _END
            self._trailers += 1
            if self._trailers > self.limits.max_headers:
                raise Reject(431, 'More than %d trailer lines.'
                             % self.limits.max_headers)

    def _frame_plain(self, request, hosts):
        """:meth:`_frame_request` for a head whose only framing field is
        ``Host`` (*hosts* of them): no body, keep-alive as the version
        says."""
        minor = self._minor
        self.client_keep_alive = minor >= 1
        self.framing_closes = False
        if minor >= 1 and hosts != 1:
            raise Reject(400, 'An HTTP/1.1 request needs exactly one Host '
                         'header.')
        self._state = LENGTH
        self._remaining = 0
        request.has_body = False
        self._announced = self._remaining
        self._body_size = 0
        self._trailers = 0
        self._lines = 0
        return request

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
        self.client_keep_alive = keep_alive
        self.framing_closes = False
        if minor >= 1 and hosts != 1:
            # RFC 9112 3.2: a server MUST answer 400 (as Go does).
            raise Reject(400, 'An HTTP/1.1 request needs exactly one Host '
                         'header.')
        has_body = False
        if encodings:
            # Only exactly "chunked": a coding list is where request
            # smuggling hides (RFC 9112 6.1, as h11 and Go refuse it).
            if encodings != [b'chunked']:
                unknown = [e for e in encodings if e != b'chunked']
                raise Reject(501 if unknown else 400,
                             'Transfer-Encoding %r is not supported; send '
                             'the body with "Transfer-Encoding: chunked" '
                             'alone or with Content-Length.'
                             % _native(b', '.join(encodings)[:80]))
            if lengths or minor < 1:
                # Both framings (a smuggling risk), or chunked from an
                # HTTP/1.0 client (RFC 9112 6.1): answer, then close.
                self.framing_closes = True
            self._state = CHUNK_SIZE
            has_body = True
        elif lengths:
            values = set(v.strip(_OWS) for value in lengths
                         for v in value.split(b','))
            if len(values) != 1 or not _DIGITS.match(list(values)[0]):
                raise Reject(400, 'Bad Content-Length %r.'
                             % _native(b', '.join(lengths)))
            length = int(values.pop())
            if length > self.limits.max_body:
                raise Reject(413, 'The body of %d bytes is over the limit '
                             'of %d bytes.'
                             % (length, self.limits.max_body))
            self._remaining = length
            self._state = LENGTH
            has_body = length > 0
        else:
            self._state = LENGTH
            self._remaining = 0
        if expect:
            value = b','.join(expect).strip(_OWS).lower()
            if value != b'100-continue':
                raise Reject(417, 'Expect %r is not supported.'
                             % _native(b', '.join(expect)))
            request.expect_continue = has_body and minor >= 1
        request.has_body = has_body
        self._announced = self._remaining
        self._body_size = 0
        self._trailers = 0
        self._lines = 0
        return request
