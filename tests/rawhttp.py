"""A small raw HTTP/1.x client for tests: exact bytes out, framed responses in.

:class:`RawConnection` sends bytes exactly as written and reads responses
through its own buffer, so pipelined responses parse one after the other and
nothing the server sends is lost or hidden: bodies are framed the way
RFC 9112 section 6.3 says (no body for HEAD, 1xx, 204 and 304; chunked;
Content-Length; else until the server closes).  Every read is bounded by the
socket's timeout and by a byte limit; there is no unbounded loop.
"""
import errno
import socket
import ssl
import struct

import six

__all__ = ['RawConnection', 'RawResponse', 'request', 'client_hello']

#: Most bytes a connection reads before it counts as a runaway server.
LIMIT = 16 << 20
#: Longest response head accepted.
MAX_HEAD = 64 << 10

_RESET = (errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED)


def request(method='GET', target='/', headers=(), body=None,
            version='HTTP/1.1'):
    """Return the bytes of one request.

    *headers* are ``(name, value)`` native strings, sent in order as given;
    ``Host`` is added for HTTP/1.1 unless given, and ``Content-Length`` when
    a *body* is given without a framing header.
    """
    headers = list(headers)
    names = set(name.lower() for name, _ in headers)
    if version == 'HTTP/1.1' and 'host' not in names:
        headers.insert(0, ('Host', 'localhost'))
    if body is not None and not names & set(['content-length',
                                             'transfer-encoding']):
        headers.append(('Content-Length', str(len(body))))
    lines = ['%s %s %s' % (method, target, version)]
    lines.extend('%s: %s' % pair for pair in headers)
    head = ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')
    return head + (body or b'')


def client_hello():
    """Return the first bytes a TLS 1.2/1.3 client sends: a ClientHello.

    Built by hand (``ssl.MemoryBIO`` is missing on Python 2) but shaped like
    OpenSSL's: SNI, supported_groups -- whose type, 0x000a, is a line feed --
    signature_algorithms and supported_versions.
    """
    def ext(kind, data):
        return _u16(kind) + _u16(len(data)) + data
    name = b'localhost'
    extensions = b''.join([
        ext(0x0000, _u16(len(name) + 3) + b'\x00' + _u16(len(name)) + name),
        ext(0x000a, _u16(4) + _u16(0x001d) + _u16(0x0017)),
        ext(0x000d, _u16(4) + _u16(0x0804) + _u16(0x0403)),
        ext(0x002b, b'\x04' + _u16(0x0304) + _u16(0x0303)),
    ])
    body = b''.join([
        b'\x03\x03', b'\x5a' * 32,            # legacy version, random
        b'\x20', b'\x33' * 32,                # session id
        _u16(6), b'\x13\x01\x13\x02\xc0\x2f',  # cipher suites
        b'\x01\x00',                          # compression: null
        _u16(len(extensions)), extensions,
    ])
    handshake = b'\x01' + _u24(len(body)) + body
    return b'\x16\x03\x01' + _u16(len(handshake)) + handshake


def _u16(n):
    return struct.pack('>H', n)


def _u24(n):
    return struct.pack('>I', n)[1:]


class RawResponse(object):
    """One response as it came over the wire.

    ``version``, ``status`` (int), ``reason``, ``headers`` (``(name, value)``
    native strings in order), ``body`` (bytes, de-chunked), ``framing``
    (``'none'``, ``'chunked'``, ``'length'`` or ``'close'``), ``chunks`` (the
    chunk payloads when chunked), ``trailers`` and ``raw`` (every byte of
    the response).
    """

    def __init__(self, version, status, reason, headers, raw_head):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers
        self.raw_head = raw_head
        self.body = b''
        self.framing = 'none'
        self.chunks = []
        self.trailers = []
        self.raw = raw_head

    def header(self, name, default=None):
        """Return the value of the only (or first) *name* header."""
        values = self.header_all(name)
        return values[0] if values else default

    def header_all(self, name):
        """Return every value of header *name*, in order."""
        key = name.lower()
        return [v for n, v in self.headers if n.lower() == key]

    def has_header(self, name):
        return bool(self.header_all(name))

    @property
    def connection_tokens(self):
        """The ``Connection`` header's tokens, lowercased."""
        return [token.strip().lower() for value in self.header_all(
            'Connection') for token in value.split(',') if token.strip()]

    def __repr__(self):
        return '<RawResponse %s %d %r body=%r>' % (
            self.version, self.status, self.reason, self.body[:60])


class RawConnection(object):
    """A socket (plain or TLS) with a read buffer; a context manager.

    The socket must have a timeout: every read is bounded by it.  Reads
    past :data:`LIMIT` bytes in total raise ``AssertionError``.
    """

    def __init__(self, sock, limit=LIMIT):
        if sock.gettimeout() is None:
            raise ValueError('give the socket a timeout')
        self.sock = sock
        self.buffer = b''
        self.limit = limit
        self.received = 0
        #: How the server ended the connection: None, 'eof', 'reset' or
        #: 'alert: ...' (a TLS alert instead of the data).
        self.ended = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        self.sock.close()

    @property
    def local_port(self):
        return self.sock.getsockname()[1]

    def send(self, data):
        """Send *data* exactly as given."""
        self.sock.sendall(data)

    def _recv(self):
        """Read what arrives next; b'' once the server ended the stream."""
        if self.ended is not None:
            return b''
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise
        except ssl.SSLError as exc:
            text = str(exc).lower()
            if 'timed out' in text:  # Python 2: not a socket.timeout
                raise socket.timeout(str(exc))
            if 'eof' in text:
                # Python 2 on OpenSSL 3 reports a TCP close without TLS
                # close_notify as an error even with suppress_ragged_eofs,
                # which Python 3 turns into b''; both mean the server closed.
                self.ended = 'eof'
            elif 'alert' in text:
                self.ended = 'alert: %s' % exc
            else:
                raise
            return b''
        except socket.error as exc:
            if exc.args and exc.args[0] in _RESET:
                self.ended = 'reset'
                return b''
            raise
        if not chunk:
            self.ended = 'eof'
            return chunk
        self.received += len(chunk)
        if self.received > self.limit:
            raise AssertionError('the server sent more than %d bytes'
                                 % self.limit)
        return chunk

    def _fill(self):
        chunk = self._recv()
        self.buffer += chunk
        return bool(chunk)

    def _take(self, count):
        while len(self.buffer) < count:
            if not self._fill():
                raise AssertionError(
                    'the server closed (%s) after %d of %d expected bytes: %r'
                    % (self.ended, len(self.buffer), count, self.buffer[:200]))
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def _line(self):
        while b'\r\n' not in self.buffer:
            if len(self.buffer) > MAX_HEAD:
                raise AssertionError('line longer than %d bytes' % MAX_HEAD)
            if not self._fill():
                raise AssertionError('the server closed (%s) mid-line: %r'
                                     % (self.ended, self.buffer[:200]))
        line, self.buffer = self.buffer.split(b'\r\n', 1)
        return line

    def quiet_for(self, seconds):
        """Return True if the server sends nothing for *seconds*.

        A read with a short timeout rather than ``select``: TLS 1.3 servers
        send session tickets after the handshake, which make the socket
        readable without any HTTP byte.
        """
        if self.buffer:
            return False
        timeout = self.sock.gettimeout()
        self.sock.settimeout(seconds)
        try:
            self._fill()
        except socket.timeout:
            return True
        finally:
            self.sock.settimeout(timeout)
        return False  # bytes came, or the server closed

    def read_response(self, method='GET'):
        """Read the next response, interim (1xx) ones included.

        *method* is the request's: a response to HEAD has no body.  Raises
        ``AssertionError`` if the server closes before a whole response.
        """
        while b'\r\n\r\n' not in self.buffer:
            if len(self.buffer) > MAX_HEAD:
                raise AssertionError('response head over %d bytes' % MAX_HEAD)
            if not self._fill():
                raise AssertionError(
                    'the server closed (%s) before a whole response head; '
                    'got %r' % (self.ended, self.buffer[:200]))
        raw_head, self.buffer = self.buffer.split(b'\r\n\r\n', 1)
        raw_head += b'\r\n\r\n'
        text = raw_head[:-4]
        if not six.PY2:  # Python 2: native str is bytes already
            text = text.decode('latin-1')
        lines = text.split('\r\n')
        parts = lines[0].split(' ', 2)
        if len(parts) < 2 or not parts[0].startswith('HTTP/') \
                or not parts[1].isdigit():
            raise AssertionError('not a status line: %r (head %r)'
                                 % (lines[0], raw_head[:200]))
        headers = []
        for line in lines[1:]:
            name, sep, value = line.partition(':')
            if not sep or name != name.strip():
                raise AssertionError('bad response header line %r' % line)
            headers.append((name, value.strip()))
        response = RawResponse(parts[0], int(parts[1]),
                               parts[2] if len(parts) > 2 else '', headers,
                               raw_head)
        status = response.status
        if method == 'HEAD' or status < 200 or status in (204, 304):
            return response
        if response.has_header('Transfer-Encoding') and \
                response.has_header('Content-Length'):
            raise AssertionError('both Transfer-Encoding and Content-Length '
                                 '(RFC 9112 section 6.2): %r' % raw_head)
        if 'chunked' in (response.header('Transfer-Encoding') or '').lower():
            response.framing = 'chunked'
            raw = [raw_head]
            while True:
                line = self._line()
                raw.append(line + b'\r\n')
                size = int(line.split(b';', 1)[0].strip(), 16)
                if size == 0:
                    break
                chunk = self._take(size)
                response.chunks.append(chunk)
                end = self._take(2)
                raw.append(chunk + end)
                if end != b'\r\n':
                    raise AssertionError('chunk not followed by CRLF: %r'
                                         % end)
            while True:
                line = self._line()
                raw.append(line + b'\r\n')
                if not line:
                    break
                response.trailers.append(line)
            response.body = b''.join(response.chunks)
            response.raw = b''.join(raw)
        elif response.has_header('Content-Length'):
            response.framing = 'length'
            response.body = self._take(int(response.header('Content-Length')))
            response.raw = raw_head + response.body
        else:
            response.framing = 'close'
            response.body = self.read_until_closed()
            response.raw = raw_head + response.body
        return response

    def read_final_response(self, method='GET'):
        """Read responses up to a final one; return ``(interim, final)``."""
        interim = []
        for _ in range(20):
            response = self.read_response(method)
            if response.status >= 200:
                return interim, response
            interim.append(response)
        raise AssertionError('20 interim responses and no final one: %r'
                             % interim)

    def read_until_closed(self):
        """Return every byte left (buffered ones first) until the server
        closes; ``ended`` then says how (``'eof'`` or ``'reset'``)."""
        while self._fill():
            pass
        data, self.buffer = self.buffer, b''
        return data

    def assert_closed(self, allow_reset=False):
        """Assert the server closed the connection with nothing more sent."""
        rest = self.read_until_closed()
        assert rest == b'', 'bytes after the last response: %r' % rest[:200]
        if not allow_reset:
            assert self.ended == 'eof', 'the server reset the connection'

    def exchange(self, data, method=None):
        """Send one request's bytes and return its final response."""
        if method is None:
            method = data.split(b' ', 1)[0].decode('latin-1')
        self.send(data)
        return self.read_final_response(method)[1]
