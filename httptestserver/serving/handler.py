"""The 0.1.0 extension API: subclass :class:`Handler` to change answers.

:class:`Handler` is what 0.1.0 documented as
``httptestserver.server.Handler``: a ``BaseHTTPRequestHandler`` whose hooks
-- :meth:`~Handler.update_state`, :meth:`~Handler.handle_request`,
:meth:`~Handler.save_history`, :attr:`~Handler.state` -- a subclass may
override, with or without calling ``super()``, and whose ``do_<METHOD>``
methods may be written the standard library's way (body from ``rfile``,
answer with ``send_response``/``send_header``/``end_headers``/``wfile``).
Reading, recording and framing are :mod:`~httptestserver.serving.exchange`'s.
"""
from ..answers import faults
from .._compat import PY2
from .exchange import Exchange
from .handoff import Handoff
from ..answers.responses import Response, make_response
from ..answers.routes import unmatched_text

__all__ = ['Handler']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, Optional  # noqa: F401

_TEXT = [('Content-Type', 'text/plain; charset=utf-8')]


class _DiscardWrites(object):
    """A ``wfile`` that drops what is written: the body of a HEAD, 204 or
    304 response written by hand."""

    def write(self, data):
        return len(data)

    def flush(self):
        pass


def _tokens(value):
    """Return the comma-separated tokens of a header value, lower-cased."""
    if not value:
        return ()
    return [token.strip().lower() for token in value.split(',')]


class Handler(Exchange):
    """Handles all requests and collects server data.

    Every request, whatever its method (unknown ones included), is read in
    full -- head and body, chunked or not -- and recorded as :attr:`state`.
    Then, with no arguments and nothing depending on their return values:

    1. :meth:`update_state` copies the request into ``Server.data``;
    2. ``do_<METHOD>`` runs if the subclass defines it, else
       :meth:`handle_request`, which chooses the response, calls
       :meth:`save_history` and sends it.

    ``do_<METHOD>`` methods are written as for the standard library: the
    body is in ``self.rfile`` (``self.rfile.read(int(self.headers
    ['Content-Length']))`` works) and also in :attr:`body`; answer with
    :meth:`send_response`, ``send_header``, ``end_headers`` and
    ``self.wfile.write()``, or with :meth:`send`.  Each request is recorded
    in the history exactly once, whether or not an override calls
    ``super()``.  An exception is recorded with its traceback, answered with
    a 500, and raised again in the test thread by
    :meth:`httptestserver.Server.check`.

    Malformed requests get a 4xx (400, 413, 414, 417, 431, 505) and the
    connection is closed; other connections are not affected.  Class
    attributes :attr:`timeout`, :attr:`max_line`, :attr:`max_headers` and
    :attr:`max_body` set the limits.
    """

    #: Requests of this class (and of subclasses that override no hook)
    #: may be answered in the event loop's thread when no user code runs.
    answers_inline = True

    # -- the 0.1.0 hooks -----------------------------------------------------
    def handle_request(self):
        # type: () -> None
        """Handles server request/response.

        Reads the ``response_*`` settings in ``Server.data`` as they are now
        (so an override may change them before calling ``super()``),
        chooses the response -- the first matching route, else those
        settings -- sets :attr:`response`, :attr:`route` and
        :attr:`unexpected`, calls :meth:`save_history`, applies
        ``response_clear``/``response_reset``, waits ``response_timeout``
        (cut short by ``stop()``) and sends the response.
        """
        store = self.server.store
        chosen, self._chosen = self._chosen, None
        if chosen is None:
            settings = store.settings(self._era)
            chosen = (settings,) + store.choose(self.state, settings,
                                                self._era)
            if self._inline and callable(chosen[2]) and \
                    not isinstance(chosen[2], Response) and \
                    not getattr(chosen[2], 'runs_in_loop', False):
                raise Handoff(lambda: self._resume_with(chosen))
        settings, route, spec, unexpected = chosen
        self.route, self.unexpected = route, unexpected
        if unexpected and spec is None:
            self.response = Response(500, _TEXT, unmatched_text(
                self.command, self.path, store.routes()).encode('utf-8'))
        else:
            self.response = store.responses.get(spec)
            if self.response is None or 'response_chaos' in settings:
                name = 'route %s' % route.describe() if route else \
                    'server.unmatched_response' if unexpected else 'data'
                self.response = make_response(spec, self.state, name)
                store.responses.keep(spec, self.response)
        if self.response.faults or 'response_chaos' in settings:
            self._plan_faults(route, settings)
        self._save_history_once()
        store.finish(settings, self._era)
        response = self.response
        if self._inline:
            if (response.streamed or response.takeover is not None) and \
                    self.blocks_inline(response):
                raise Handoff(self._deliver)
        elif response.delay:
            self.pause(response.delay)
        self.send(response)

    def _resume_with(self, chosen):
        """In a worker: answer with the route the loop already chose (a
        callable, which may block)."""
        self._chosen = chosen
        self.handle_request()

    def _deliver(self):
        """Wait the response's delay (cut short by ``stop()`` and
        ``reset()``), then send it.  In the loop, :meth:`send` makes the
        wait a timer."""
        if self.response.delay and not self._inline:
            self.pause(self.response.delay)
        self.send(self.response)

    def _plan_faults(self, route, settings):
        """Draw this response's faults and delays (before it is recorded, so
        the history says what was done)."""
        response = self.response
        chaos = settings.get('response_chaos')
        if not response.faults and chaos is None:
            return
        store = self.server.store
        with store.lock:  # the generators are shared: draw in turn
            rng = getattr(route, 'fault_rng', None) or store.data.fault_rng
            response.plan = faults.make_plan(response.faults, rng, chaos,
                                             store.data.fault_rng)

    def update_state(self):
        # type: () -> None
        """Copies current server state.

        Copies this request's fields (:attr:`state`) into ``Server.data``,
        with the handler attributes 0.1.0 put there (``rfile`` holding the
        body, ``wfile``, ``server``, ``client_address``,
        ``close_connection``, ``raw_requestline``...).  Called once per
        request before ``handle_request`` or ``do_<METHOD>`` runs.
        """
        data = dict(self.state or {})
        data.update({
            'rfile': self.rfile, 'wfile': self.wfile, 'server': self.server,
            'request': self.request, 'connection': self.connection,
            'close_connection': self.close_connection,
            'raw_requestline': self.raw_requestline,
        })
        self.server.store.update_data(data, self._era)

    def save_history(self):
        # type: () -> None
        """Create a new entry in history.

        The entry is this request's :attr:`state` plus the response chosen
        (``response_status``, ``response_headers``, ``response_content``,
        ``response_timeout``), ``route``, ``unexpected`` and the keys the
        test put in ``Server.data``.  Called once per request, before the
        response is sent; idempotent.
        """
        self._record()

    # -- the standard library's way of answering -----------------------------
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
            self._save_history_once()

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
