"""One request's life: recorded once, answered by the hooks, in the loop or
in a worker.

:class:`Exchange` takes a request the engine has read (through the sans-IO
:mod:`~httptestserver.protocol.connection`, so limits and 4xx answers are
the same on every Python), records it in the server's store exactly once,
calls the hooks that choose an answer, and sends that
:class:`~httptestserver.Response` (:mod:`~httptestserver.serving.sending`).
In the event loop's thread it goes as far as it can without user code or a
wait, then hands the rest to a worker (:mod:`~httptestserver.serving.
handoff`).  A failure in a hook is recorded for the test and answered with
a 500.  It is the machinery under :class:`~httptestserver.server.Handler`,
which adds the 0.1.0 hooks; it never starts a thread or opens a socket.
"""
import io
import logging
import socket
import traceback

import six
from six.moves import BaseHTTPServer

from .._compat import PY2
from ..headers import Headers
from ..protocol.connection import Rejected
from ..store.records import REQUEST_KEYS, STANDARD_KEYS, request_fields
from ..answers.responses import Response
from .handoff import NO_BODY, ChannelWriter, Handoff, Playback, \
    SocketWriter, answers_inline, do_method
from .sending import Sending

__all__ = ['Exchange', 'Handoff', 'Playback']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, Optional  # noqa: F401
    from ..answers.routes import Route  # noqa: F401

log = logging.getLogger('httptestserver')

_TEXT = [('Content-Type', 'text/plain; charset=utf-8')]
# Plain values a custom handler may add to its state and see in history.
_PLAIN = (type(None), bool, int, float, bytes, type(u''), tuple, list, dict)
if PY2:  # Python 2: long
    _PLAIN += (long,)  # noqa: F821


def _nothing():
    pass


class Exchange(Sending, BaseHTTPServer.BaseHTTPRequestHandler, object):
    """Reads, records and answers the requests of one connection.

    The server makes one per accepted connection, in that connection's
    thread (``BaseHTTPRequestHandler``'s life cycle).  Per request:
    :meth:`update_state`, then ``do_<METHOD>`` if defined, else
    :meth:`handle_request`; :meth:`save_history` is called once, before the
    answer goes out.  Subclass :class:`~httptestserver.server.Handler`, not
    this.
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
    #: Largest whole request head -- request line and header lines -- in
    #: bytes (else 431): twice :attr:`max_line`, so one long line fits.
    max_head = 128 * 1024

    #: The recorded request being handled (a dict), see the docs for keys.
    state = None  # type: Optional[Dict[str, Any]]
    #: The request body, bytes.
    body = b''
    #: The :class:`~httptestserver.Response` chosen, once chosen.
    response = None  # type: Optional[Response]
    #: The route that answered (None: the ``response_*`` settings).
    route = None  # type: Optional[Route]
    #: True when routes exist and none matched this request.
    unexpected = False
    #: TLS facts of this connection (dict) or None for plain HTTP.
    tls = None
    #: The :class:`~httptestserver.Server` this request came to.
    server = None  # type: Any

    # -- made by the engine, one per connection ------------------------------
    @classmethod
    def engine_exchange(cls, channel):
        """Return the exchange of *channel* (an engine
        :class:`~httptestserver.serving.channel.Channel`), made without
        ``BaseHTTPRequestHandler.__init__``, which would serve the whole
        connection; the engine then calls :meth:`serve` per request."""
        self = cls.__new__(cls)
        self._channel = channel
        self.request = self.connection = channel.sock
        self.client_address = channel.peer
        self.server = channel.engine.server
        self.tls = channel.tls
        self._conn = channel.conn
        self._loop_wfile = ChannelWriter(channel)
        self.wfile = self._loop_wfile
        self.rfile = NO_BODY
        self.close_connection = False
        self._inline_ok = answers_inline(cls)
        self._base_url = self.server.url('/')[:-1]
        self._inline = False
        return self

    # -- one exchange --------------------------------------------------------
    def serve(self, got, era, started, inline=False):
        """Record and answer one request read by the engine.

        *got* is ``(Request, body)`` or a :class:`Rejected`; *era* the
        store's era it began in.  With *inline* (the loop's thread), return
        a callable -- to run in a worker thread -- as soon as the answer
        needs user code or a wait; else answer and return None.
        """
        self.state = self.response = self.route = None
        self.unexpected = False
        self.body = b''
        self._manual = None
        self._real_wfile = None
        self._recorded = self._history_hooked = False
        self._response_started = False
        self._raw_head = b''
        self._chosen = None
        self._playback = None
        self._era = era
        self._inline = inline
        self.close_connection = False
        if inline:
            self.request = self.connection = self._channel.sock
        if isinstance(got, Rejected):
            self._reject(got, started)
            return None
        request, self.body = got
        self._take_request(request)
        self.state = self._fields(started)
        server = self.server
        if server.stopping:
            self.close_connection = True
        handler = do_method(self) or self.handle_request
        update_state = self.update_state
        control = server.control
        if control is not None and control.owns(self.state):
            # The control API is answered, never recorded as traffic.
            self._recorded = self._history_hooked = True
            update_state = _nothing
            handler = self._answer_control
            if inline:
                return self._handoff(lambda: self._hooks(_nothing, handler))
        elif inline and not (self._inline_ok and
                             server.store.answers_inline()):
            return self._handoff(lambda: self._hooks(update_state, handler))
        return self._hooks(update_state, handler)

    def _handoff(self, task):
        """Return the rest of this exchange as a task for a worker: there
        the socket blocks and writes go straight to it."""
        self._inline = False

        def run():
            self.wfile = SocketWriter(self.connection)
            try:
                result = task()
                if result is not None:  # pragma: no cover - never inline
                    result()
            finally:
                self.wfile = self._loop_wfile
        return run

    def _hooks(self, update_state, handler):
        """Run the hooks, answer, record; return a handoff or None."""
        self.rfile = io.BytesIO(self.body)
        try:
            update_state()
            handler()
        except Handoff as exc:
            handoff = exc  # Python 3 unbinds the name of the except clause
            return self._handoff(lambda: self._continue(handoff))
        except Exception as exc:
            self._failed(exc)
        finally:
            self.rfile = NO_BODY
            if self._real_wfile is not None:
                self.wfile, self._real_wfile = self._real_wfile, None
        self._end()
        playback, self._playback = self._playback, None
        if playback is not None:
            return Playback(playback, self._played)
        return None

    def _played(self, keep_alive):
        """The loop played the answer to its end: finish the exchange."""
        if not keep_alive:
            self._conn.must_close()
            self.close_connection = True
        self._end_exchange()
        self._channel.finish(close=self.close_connection)

    def _continue(self, handoff):
        """In a worker: go on where the loop stopped (see :class:`Handoff`)."""
        self.rfile = io.BytesIO(self.body)
        try:
            handoff.resume()
        except Exception as exc:
            self._failed(exc)
        finally:
            self.rfile = NO_BODY
        self._end()

    def _failed(self, exc):
        """An answer raised: a socket error once the response started is
        the client going away, not a bug; anything else is recorded for
        the test and answered with a 500 (:meth:`_fail`)."""
        if isinstance(exc, socket.error) and self._response_started:
            log.debug('client gone while answering %r: %s',
                      self.requestline, exc)
            self.close_connection = True
        else:
            self._fail(exc)

    def _end(self):
        """After the hooks: an answer always goes out, the request is
        always recorded, and the protocol decides what comes next."""
        if not self._response_started:
            # A custom handler that answered nothing: like Go, send an empty
            # 200 rather than leave the client hanging.
            try:
                self.send(Response(200))
            except socket.error:
                self.close_connection = True
        self._save_history_once()
        self._record()  # an override of save_history() may skip super()
        if self._playback is None:
            self._end_exchange()

    def blocks_inline(self, response):
        # type: (Response) -> bool
        """True when sending *response* from the loop would run user code
        or block: a streamed body from an iterator of the test's (a file's
        is fine), a takeover, an event stream with a fault plan.  Delays,
        fault plans and event streams are played by the loop's timers."""
        if response.takeover is not None:
            return True
        if not response.streamed:
            return False
        body = response.body
        if getattr(body, 'plays_in_loop', False):  # an event stream's
            return response.plan is not None
        return not getattr(body, 'may_shrink', False)

    def _answer_control(self):
        self.send(self.server.control.handle(self.state))

    def _take_request(self, request):
        """Set the standard library's attributes from a request head."""
        self._raw_head = request.raw
        self.command = request.method
        self.path = request.target
        self.request_version = request.version
        self.requestline = request.requestline
        line = request.raw.split(b'\n', 1)[0] + b'\n'
        self.raw_requestline = line
        self.headers = Headers(request.headers)
        self.close_connection = not self._conn.keep_alive

    def _end_exchange(self):
        conn = self._conn
        try:
            self.wfile.flush()
        except (socket.error, ValueError):
            self.close_connection = True
        if self._manual is not None:
            conn.start_next_cycle(keep_alive=not self.close_connection)
        else:
            conn.start_next_cycle()
        if not conn.keep_alive:
            self.close_connection = True

    def _fields(self, started, rejected=None):
        return request_fields(
            self.requestline, self.command, self.path, self.request_version,
            self.headers, self.body, self._base_url, self.client_address,
            self.server.scheme, self.tls, started, rejected)

    # -- hooks (see httptestserver.server.Handler) --------------------------
    def update_state(self):
        # type: () -> None
        """Hook called before the request is answered; does nothing here."""

    def handle_request(self):
        # type: () -> None
        """Hook that answers the request; an empty 200 here."""
        self.send(Response(200))

    def save_history(self):
        # type: () -> None
        """Hook that records the request (:meth:`_record`); once per
        request, before its response is sent."""
        self._record()

    def _save_history_once(self):
        if not self._history_hooked and self.state is not None:
            self._history_hooked = True
            self.save_history()
            # An override that skips super() still gets its request
            # recorded, and before the answer goes out, as always.
            self._record()

    def _record(self):
        if self._recorded or self.state is None:
            return
        self._recorded = True
        fields = self.state
        head = self._raw_head
        if head:
            keys = six.viewkeys(fields)
            if keys == REQUEST_KEYS:  # as read: nothing else (most often)
                extras = {}
            else:
                extras = dict((key, fields[key])
                              for key in keys - STANDARD_KEYS)
        else:  # rejected: nothing to read back, keep what was read
            extras = dict(fields)
        response = self.response
        if response is not None:
            if response.record:
                extras.update(response.record)
            if response.plan is not None:  # what the fault plan drew
                summary = response.plan.summary()
                extras['response_timeout'] = summary['delays'].get('delay')
                extras.update(summary)
            elif response.delay:  # a plain number of seconds: no plan
                extras['delays'] = {'delay': response.delay}
        self.server.store.record(fields, head, response, self.route,
                                 self.unexpected, extras or None,
                                 self._era)

    # -- failures ------------------------------------------------------------
    def _reject(self, rejected, started):
        self.close_connection = True
        self._history_hooked = True  # not a request the hooks can read
        request = rejected.request
        self.command, self.path = request.method, request.target
        self.request_version = request.version or 'HTTP/1.1'
        self.requestline = request.requestline
        self.headers = Headers(request.headers)
        self.body = b''
        self.state = self._fields(started, rejected.message)
        self.response = Response(rejected.status, _TEXT,
                                 (rejected.message + '\n').encode('utf-8'))
        self._record()
        try:
            self.send(self.response)
            self.wfile.flush()
        except socket.error:
            pass
        self._conn.start_next_cycle(keep_alive=False)

    def _fail(self, exc):
        text = traceback.format_exc()
        self.server.store.add_error((self.requestline, exc, text),
                                    self._era)
        log.error('error while handling %r:\n%s', self.requestline, text)
        self.close_connection = True
        if not self._response_started:
            self.response = Response(
                500, _TEXT,
                ('Error in the test server while handling %s:\n\n%s'
                 % (self.requestline, text)).encode('utf-8', 'replace'))
            self._save_history_once()
            self._record()
            self._conn.fail()
            try:
                self.send(self.response)
            except (socket.error, ValueError):
                pass

    # -- logging -------------------------------------------------------------
    def address_string(self):
        """Return the client's IP; never a reverse-DNS lookup."""
        return str(self.client_address[0])

    def log_message(self, format, *args):
        """Log through the ``httptestserver`` logger, not stderr."""
        log.info('%s - %s', self.address_string(), format % args)

    def log_error(self, format, *args):
        log.warning('%s - %s', self.address_string(), format % args)
