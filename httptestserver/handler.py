"""One HTTP exchange: read a request, record it, choose and send the answer.

:class:`Handler` reads the request head and body itself (same limits and the
same 4xx answers on every Python), records the request in the server's state
store, and sends the response with correct HTTP/1.1 framing.  It never starts
a thread or opens a listening socket: the server runs one handler per
connection, in that connection's thread.
"""
import logging
import re
import socket
import time
import traceback

from six.moves import BaseHTTPServer

from ._compat import PY2
from .headers import Headers
from .parsing import parse_fields
from .responses import Response, make_response, snapshot

__all__ = ['Handler']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, Optional  # noqa: F401
    from .responses import Route  # noqa: F401

log = logging.getLogger('httptestserver')

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_HEX = re.compile(br'^[0-9A-Fa-f]{1,16}$')
_DIGITS = re.compile(r'^[0-9]{1,19}$')


class _BadRequest(Exception):
    """The request cannot be served; answer *status* and close."""

    def __init__(self, status, message):
        Exception.__init__(self, message)
        self.status = status
        self.message = message


class _DiscardWrites(object):
    """A ``wfile`` that drops what is written: the body of a HEAD, 204 or
    304 response written by hand."""

    def write(self, data):
        return len(data)

    def flush(self):
        pass


class _ClientGone(Exception):
    """The client closed or stalled mid-request: nothing to answer."""


def _tokens(value):
    """Return the comma-separated tokens of a header value, lower-cased."""
    if not value:
        return ()
    return [token.strip().lower() for token in value.split(',')]


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


class Handler(BaseHTTPServer.BaseHTTPRequestHandler, object):
    """Handles all requests and collects server data.

    Every request, whatever its method (unknown ones included), is read in
    full -- head and body, chunked or not -- recorded as :attr:`state`, and
    passed to :meth:`handle_request`, which builds the response.  A subclass
    may override :meth:`handle_request`, or define ``do_<METHOD>`` methods,
    which take precedence for their method.  An exception raised there is
    recorded with its traceback, answered with a 500, and raised again in the
    test thread by :meth:`httptestserver.Server.check`.

    Malformed requests get a 4xx (400, 413, 414, 417, 431, 505) and the
    connection is closed; other connections are not affected.
    """

    protocol_version = 'HTTP/1.1'
    server_version = 'httptestserver'
    sys_version = ''
    #: Seconds a connection may stay silent before the server drops it.
    timeout = 30
    disable_nagle_algorithm = True
    #: Longest request line or header line, in bytes (else 414 / 431).
    max_line = 65536
    #: Most header lines, folded ones included (else 431).
    max_headers = 100
    #: Largest request body, in bytes (else 413).
    max_body = 64 * 1024 * 1024

    #: The recorded request being handled (a dict), see the docs for keys.
    state = None
    #: The request body, bytes.
    body = b''
    #: The :class:`~httptestserver.responses.Response` chosen, once chosen.
    response = None
    #: TLS facts of this connection (dict) or None for plain HTTP.
    tls = None
    #: The :class:`~httptestserver.Server` this request came to.
    server = None  # type: Any

    def setup(self):
        super(Handler, self).setup()
        self.tls = getattr(self.request, '_httptestserver_tls', None)

    # -- the request ---------------------------------------------------------
    def handle_one_request(self):
        """Read, record and answer one request on this connection."""
        self.state = None
        self.response = None
        self.body = b''
        self.command = self.path = self.requestline = ''
        self.request_version = 'HTTP/1.1'
        self.headers = Headers()
        self._settings = None
        self._manual = None
        self._real_wfile = None
        self._history_saved = False
        self._response_started = False
        self._continued = False
        server = self.server
        server._set_idle(self.request, True)
        try:
            self.raw_requestline = self.rfile.readline(self.max_line + 1)
            if self.raw_requestline in (b'\r\n', b'\n'):
                # RFC 9112 section 2.2: ignore an empty line before it.
                self.raw_requestline = self.rfile.readline(self.max_line + 1)
        except (socket.error, ValueError):
            self.raw_requestline = b''
        finally:
            server._set_idle(self.request, False)
        if not self.raw_requestline:
            self.close_connection = True
            return
        started = time.time()
        # Which reset() era this request belongs to: if the test resets the
        # server before the request is answered, its record is dropped.
        self._generation = server._state.generation
        try:
            if len(self.raw_requestline) > self.max_line:
                self.requestline = self._native(
                    self.raw_requestline[:200]).rstrip('\r\n')
                raise _BadRequest(414, 'The request line is longer than %d '
                                       'bytes.' % self.max_line)
            self._read_head()
            self.body = self._read_body()
        except _BadRequest as exc:
            self._reject(exc, started)
            return
        except (_ClientGone, socket.error):
            self.close_connection = True
            return
        self.state = self._fields(started)
        if server._stopping:
            self.close_connection = True
        handler = getattr(self, 'do_' + self.command, None) or \
            self.handle_request
        control = getattr(server, 'control', None)
        if control is not None and control.owns(self.state):
            # HOOK (issue 11): control traffic is answered, never recorded.
            self._history_saved, self._settings = True, {}
            handler = lambda: self.send(control.handle(self.state))  # noqa
        try:
            self.update_state()
            handler()
        except socket.error as exc:
            if not self._response_started:
                self._fail(exc)
            else:  # the client went away mid-response: not a handler bug
                log.debug('client gone while answering %r: %s',
                          self.requestline, exc)
                self.close_connection = True
                self.save_history()
        except Exception as exc:
            self._fail(exc)
        if self._real_wfile is not None:
            self.wfile, self._real_wfile = self._real_wfile, None
        if not self._response_started:
            # A custom handler that answered nothing: like Go, send an empty
            # 200 rather than leave the client hanging.
            self.response = Response(200)
            try:
                self.send(self.response)
            except socket.error:
                self.close_connection = True
        if not self._history_saved:
            self.save_history()
        try:
            self.wfile.flush()
        except (socket.error, ValueError):
            self.close_connection = True

    def _native(self, raw):
        return raw if PY2 else raw.decode('latin-1')  # Python 2: bytes

    def _read_head(self):
        line = self._native(self.raw_requestline).rstrip('\r\n')
        self.requestline = line
        words = line.split()
        if len(words) != 3:
            raise _BadRequest(400, 'Bad request line %r; expected '
                                   '"METHOD /path HTTP/1.1".' % line[:200])
        command, target, version = words
        if not version.startswith('HTTP/'):
            raise _BadRequest(400, 'Bad HTTP version %r.' % version[:20])
        try:
            major, minor = [int(n) for n in version[5:].split('.', 1)]
        except ValueError:
            raise _BadRequest(400, 'Bad HTTP version %r.' % version[:20])
        if major != 1:
            raise _BadRequest(505, 'HTTP version %r is not supported; use '
                                   'HTTP/1.1 or HTTP/1.0.' % version[:20])
        if not _TOKEN.match(command):
            raise _BadRequest(400, 'Bad method %r.' % command[:40])
        self.command, self.path, self.request_version = \
            command, target, version
        self.close_connection = minor < 1
        items = []
        lines = 0
        while True:
            raw = self.rfile.readline(self.max_line + 1)
            if len(raw) > self.max_line:
                raise _BadRequest(431, 'A header line is longer than %d '
                                       'bytes.' % self.max_line)
            if raw in (b'\r\n', b'\n'):
                break
            if not raw:
                raise _ClientGone()
            lines += 1  # folded continuation lines count too
            if lines > self.max_headers:
                raise _BadRequest(431, 'More than %d header lines.'
                                  % self.max_headers)
            text = self._native(raw).rstrip('\r\n')
            if text[:1] in (' ', '\t'):
                if not items:
                    raise _BadRequest(400, 'Bad header line %r.' % text[:80])
                name, value = items[-1]
                items[-1] = (name, (value + ' ' + text.strip()).strip())
                continue
            name, sep, value = text.partition(':')
            if not sep or not _TOKEN.match(name):
                raise _BadRequest(400, 'Bad header line %r.' % text[:80])
            items.append((name, value.strip()))
        self.headers = Headers(items)
        connection = _tokens(self.headers.get('Connection'))
        if 'close' in connection:
            self.close_connection = True
        elif 'keep-alive' in connection:
            self.close_connection = False
        if minor >= 1 and len(self.headers.get_all('Host') or []) != 1:
            # RFC 9112 section 3.2: a server MUST answer 400 (as Go does).
            raise _BadRequest(400, 'An HTTP/1.1 request needs exactly one '
                                   'Host header.')

    def _read_body(self):
        headers = self.headers
        encoding = headers.get('Transfer-Encoding')
        lengths = headers.get_all('Content-Length') or []
        if encoding is not None:
            codings = [c.strip().lower() for c in encoding.split(',')]
            if codings[-1] != 'chunked':
                raise _BadRequest(400, 'Transfer-Encoding %r is not '
                                       'supported; send the body chunked or '
                                       'with Content-Length.' % encoding)
            if lengths:
                # Both framings: a smuggling risk; answer, then close.
                self.close_connection = True
            self._expect_continue()
            return self._read_chunked()
        if not lengths:
            self._expect_continue(has_body=False)
            return b''
        values = set(v.strip() for value in lengths for v in value.split(','))
        if len(values) != 1 or not _DIGITS.match(list(values)[0]):
            raise _BadRequest(400, 'Bad Content-Length %r.'
                              % ', '.join(lengths))
        length = int(values.pop())
        if length > self.max_body:
            raise _BadRequest(413, 'The body of %d bytes is over the limit '
                                   'of %d bytes.' % (length, self.max_body))
        if length == 0:
            self._expect_continue(has_body=False)
            return b''
        self._expect_continue()
        return self._read_exact(length)

    def _expect_continue(self, has_body=True):
        expect = self.headers.get('Expect')
        if expect is None:
            return
        if expect.strip().lower() != '100-continue':
            raise _BadRequest(417, 'Expect %r is not supported.' % expect)
        if has_body and self.request_version != 'HTTP/1.0' \
                and not self._continued:
            self._continued = True
            self.wfile.write(b'HTTP/1.1 100 Continue\r\n\r\n')
            self.wfile.flush()

    def _read_exact(self, length):
        data = self.rfile.read(length)
        if len(data) != length:
            raise _ClientGone()
        return data

    def _read_chunked(self):
        chunks = []
        total = 0
        while True:
            line = self.rfile.readline(self.max_line + 1)
            if not line:
                raise _ClientGone()
            size = line.split(b';', 1)[0].strip()
            if not _HEX.match(size):
                raise _BadRequest(400, 'Bad chunk size line %r.' % line[:40])
            size = int(size, 16)
            if size == 0:
                break
            total += size
            if total > self.max_body:
                raise _BadRequest(413, 'The chunked body is over the limit '
                                       'of %d bytes.' % self.max_body)
            chunks.append(self._read_exact(size))
            if self.rfile.readline(3) not in (b'\r\n', b'\n'):
                raise _BadRequest(400, 'A chunk is not followed by CRLF.')
        for _ in range(self.max_headers + 1):  # trailer fields, ignored
            line = self.rfile.readline(self.max_line + 1)
            if line in (b'\r\n', b'\n', b''):
                break
        else:
            raise _BadRequest(431, 'More than %d trailer lines.'
                              % self.max_headers)
        return b''.join(chunks)

    def _fields(self, started):
        target = self.path
        fields = parse_fields(target, self.headers.get('Content-Type'),
                              self.headers.get_all('Cookie') or [],
                              self.body)
        fields.update({
            'requestline': self.requestline,
            'command': self.command,
            'method': self.command,
            'path': target,
            'url': self.server.url(target) if target.startswith('/')
            else target,
            'request_version': self.request_version,
            'headers': self.headers,
            'body': self.body,
            'client_address': self.client_address,
            'scheme': self.server.scheme,
            'tls': self.tls,
            'time': started,
        })
        return fields

    # -- the response --------------------------------------------------------
    def handle_request(self):
        # type: () -> None
        """Handles server request/response.

        Copies the request into ``Server.data`` (:meth:`update_state`),
        chooses the response -- the first matching route, else the
        ``response_*`` settings -- records it (:meth:`save_history`), applies
        ``response_clear``/``response_reset``, waits ``response_timeout``
        (cut short by ``stop()``), and sends it.
        """
        settings = self.update_state()
        store = self.server._state
        route, spec, unexpected = store.choose(self.state, settings,
                                               self._generation)
        if unexpected and spec is None:
            self.response = self._unmatched()
        else:
            name = 'route %s' % route.describe() if route else \
                "server.unmatched_response" if unexpected else "data"
            self.response = make_response(spec, self.state, name)
        self.save_history(route=route, unexpected=unexpected)
        store.finish(settings, self._generation)
        if self.response.delay:
            self.server._pause(self.response.delay)
        self.send(self.response)

    def update_state(self):
        # type: () -> Dict[str, Any]
        """Copies current server state.

        Copies this request's fields into ``Server.data`` and returns the
        ``response_*`` settings in force, read atomically with the update.
        Done for every request before ``handle_request`` or ``do_<METHOD>``
        runs; calling it again returns the same settings.
        """
        if self._settings is None:
            self._settings = self.server._state.begin(self.state,
                                                      self._generation)
        return self._settings

    def save_history(self, route=None, unexpected=False):
        # type: (Optional[Route], bool) -> None
        """Create a new entry in history.

        The entry is this request's :attr:`state` plus the response sent
        (``response_status``, ``response_headers``, ``response_content``,
        ``response_timeout``), ``route`` and ``unexpected``.  Idempotent for
        one request: every request is in the history exactly once.
        """
        if self._history_saved or self.state is None:
            return
        self._history_saved = True
        entry = snapshot(self.state)  # data keeps its own nested values
        response = self.response
        if response is not None:
            entry['response_status'] = response.status
            entry['response_headers'] = Headers(response.headers)
            entry['response_content'] = None if response.streamed \
                else response.body
            entry['response_timeout'] = response.delay
        entry['route'] = route.describe(usage=False) if route is not None \
            else None
        entry['unexpected'] = unexpected
        self.server._state.record(entry, route, unexpected, self._generation)

    def _unmatched(self):
        store = self.server._state
        routes = '\n'.join('  ' + r.describe() for r in store.routes())
        text = ('No route matches %s %s\n\nRoutes, in the order tried:\n'
                '%s\n\nAdd a route for it, or set '
                'server.unmatched_response.\n'
                % (self.command, self.path, routes or '  (none left)'))
        return Response(500, [('Content-Type', 'text/plain; charset=utf-8')],
                        text.encode('utf-8'))

    def send_response(self, code, message=None):
        """Start a response by hand, the standard library's way.

        For subclasses that answer with ``send_response()``,
        ``send_header()``, ``end_headers()`` and ``wfile.write()``: the
        request is recorded when the final (non-1xx) response starts.  A
        response whose headers give neither ``Content-Length`` nor chunked
        ``Transfer-Encoding`` is sent with ``Connection: close``, so its body
        ends where the connection does instead of leaving a keep-alive client
        waiting; after the head of a HEAD, 204 or 304 response, writes to
        ``wfile`` are dropped, as Go does, so a stray body cannot corrupt
        the connection.
        """
        self._start_manual(code)
        super(Handler, self).send_response(code, message)

    if not PY2:  # Python 2 has no send_response_only
        def send_response_only(self, code, message=None):
            """Start a response head by hand; see :meth:`send_response`."""
            self._start_manual(code)
            super(Handler, self).send_response_only(code, message)

    def _start_manual(self, code):
        manual = self._manual
        if manual is not None and manual['open'] and manual['status'] == code:
            return  # Python 3's send_response calls send_response_only
        self._manual = {'status': code, 'framed': False, 'connection': None,
                        'open': True}
        if code >= 200:
            self._response_started = True
            if self.response is None:
                self.response = Response(code, [], None)  # body: not known
            self.save_history()

    def send_header(self, keyword, value):
        """Send a header line by hand; see :meth:`send_response`."""
        manual = self._manual
        if manual is not None and manual['open']:
            name = keyword.lower()
            if name == 'content-length' or name == 'transfer-encoding' \
                    and 'chunked' in _tokens(value):
                manual['framed'] = True
            if name == 'connection':
                manual['connection'] = value  # sent by end_headers()
                return
        super(Handler, self).send_header(keyword, value)

    def end_headers(self):
        """End the head sent by hand; see :meth:`send_response`."""
        manual = self._manual
        if manual is None or not manual['open']:
            super(Handler, self).end_headers()
            return
        manual['open'] = False
        status, connection = manual['status'], manual['connection']
        bodiless = status in (204, 304) or self.command == 'HEAD'
        if status >= 200:
            if not (bodiless or manual['framed']):
                connection = 'close'
            elif connection is None and self.close_connection:
                connection = 'close'
            elif connection is None and self.request_version == 'HTTP/1.0':
                connection = 'keep-alive'
        if connection is not None:
            super(Handler, self).send_header('Connection', connection)
        super(Handler, self).end_headers()
        if status >= 200 and bodiless:
            self._real_wfile, self.wfile = self.wfile, _DiscardWrites()

    def version_string(self):
        """The ``Server`` header: no Python version, no trailing space."""
        return self.server_version

    def send(self, response):
        # type: (Response) -> None
        """Send *response* with HTTP/1.1 framing; blocks until written.

        Adds ``Date``, ``Server`` and ``Content-Length`` (or chunked transfer
        encoding for a streamed body) unless given; sends no body for HEAD,
        1xx, 204 and 304; honours ``Connection: close`` both ways.
        """
        if self.response is None:
            self.response = response
        self.save_history()
        status = response.status
        headers = Headers(response.headers)
        bodiless = status < 200 or status in (204, 304)
        head_only = self.command == 'HEAD'
        body = b'' if bodiless else response.body  # type: Any
        chunked = False
        if 'Date' not in headers:
            headers['Date'] = self.date_time_string()
        if 'Server' not in headers:
            headers['Server'] = self.server_version
        if not bodiless:
            if response.streamed:
                if 'chunked' in _tokens(headers.get('Transfer-Encoding')):
                    chunked = True
                elif 'Content-Length' not in headers:
                    if self.request_version == 'HTTP/1.0':
                        self.close_connection = True
                    else:
                        headers['Transfer-Encoding'] = 'chunked'
                        chunked = True
            elif 'chunked' in _tokens(headers.get('Transfer-Encoding')):
                chunked = True
                body = (b'%x\r\n' % len(body) + body + b'\r\n'
                        if body else b'') + b'0\r\n\r\n'
            elif 'Content-Length' not in headers:
                headers['Content-Length'] = str(len(body))
        if 'close' in _tokens(headers.get('Connection')) \
                or self.server._stopping:
            self.close_connection = True
        if 'Connection' not in headers:
            if self.close_connection:
                headers['Connection'] = 'close'
            elif self.request_version == 'HTTP/1.0':
                headers['Connection'] = 'keep-alive'
        reason = self.responses.get(status, ('',))[0]
        head = [_wire('%s %d %s\r\n' % (self.protocol_version, status,
                                        reason))]
        for name, value in headers.items_all():
            head.extend((_wire(name), b': ', _wire(value), b'\r\n'))
        head.append(b'\r\n')
        self._response_started = True
        if log.isEnabledFor(logging.INFO):
            self.log_request(status)
        if not response.streamed or bodiless or head_only:
            if not (head_only or bodiless):
                head.append(body)
            self.wfile.write(b''.join(head))
            if response.streamed and hasattr(response.body, 'close'):
                response.body.close()
            return
        self.wfile.write(b''.join(head))
        for chunk in body:
            if not chunk:
                continue
            if chunked:
                chunk = b''.join((('%x\r\n' % len(chunk)).encode('ascii'),
                                  chunk, b'\r\n'))
            self.wfile.write(chunk)
        if chunked:
            self.wfile.write(b'0\r\n\r\n')

    def send_error(self, code, message=None, explain=None):
        """Answer *code* with a short text body and close the connection."""
        self.close_connection = True
        text = message or self.responses.get(code, ('Error',))[0]
        if explain:
            text = '%s\n%s' % (text, explain)
        self.send(Response(code, [('Content-Type',
                                   'text/plain; charset=utf-8')],
                           (text + '\n').encode('utf-8')))

    def _reject(self, exc, started):
        self.close_connection = True
        if not self.requestline:
            self.requestline = self._native(
                self.raw_requestline[:200]).rstrip('\r\n')
        self.state = self._rejected_fields(started, exc.message)
        self.response = Response(exc.status, [
            ('Content-Type', 'text/plain; charset=utf-8')],
            (exc.message + '\n').encode('utf-8'))
        self.save_history()
        try:
            self.send(self.response)
        except socket.error:
            pass

    def _rejected_fields(self, started, message):
        fields = parse_fields('', None, [], b'')
        fields.update({
            'requestline': self.requestline, 'command': self.command,
            'method': self.command, 'path': self.path, 'url': None,
            'request_version': self.request_version,
            'headers': self.headers, 'body': b'',
            'client_address': self.client_address,
            'scheme': self.server.scheme, 'tls': self.tls, 'time': started,
            'rejected': message,
        })
        return fields

    def _fail(self, exc):
        text = traceback.format_exc()
        self.server._state.add_error((self.requestline, exc, text),
                                     self._generation)
        log.error('error while handling %r:\n%s', self.requestline, text)
        if not self._response_started:
            self.response = Response(
                500, [('Content-Type', 'text/plain; charset=utf-8')],
                ('Error in the test server while handling %s:\n\n%s'
                 % (self.requestline, text)).encode('utf-8', 'replace'))
            self.save_history()
            self.close_connection = True
            try:
                self.send(self.response)
            except socket.error:
                pass
        else:
            self.close_connection = True
            self.save_history()

    # -- logging -------------------------------------------------------------
    def address_string(self):
        """Return the client's IP; never a reverse-DNS lookup."""
        return str(self.client_address[0])

    def log_message(self, format, *args):
        """Log through the ``httptestserver`` logger, not stderr."""
        log.info('%s - %s', self.address_string(), format % args)

    def log_error(self, format, *args):
        log.warning('%s - %s', self.address_string(), format % args)
