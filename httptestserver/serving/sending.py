"""Sending one answer: framing, the body however it comes, and its end.

:class:`Sending` is the part of the exchange that writes a
:class:`~httptestserver.answers.responses.Response` through the
connection's sans-IO writer: whole, streamed chunk by chunk, written by a
fault plan, or -- in the event loop -- as steps the loop plays with timers
and back-pressure.  Its rule: the bytes sent and the ``Content-Length``
given always agree on the wire (a short body closes the connection, a long
one is an error naming the route).
"""
import logging
import time
import traceback

from ..answers.responses import Response
from ..errors import ConfigurationError
from ..protocol.connection import BodyTooLong
from . import fault_actions

__all__ = ['Sending']

log = logging.getLogger('httptestserver')

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Optional  # noqa: F401

_TEXT = [('Content-Type', 'text/plain; charset=utf-8')]


class Sending(object):
    """How an exchange sends (a mixin of
    :class:`~httptestserver.serving.exchange.Exchange`)."""

    if TYPE_CHECKING:  # pragma: no cover - what the exchange provides
        response = None  # type: Optional[Response]
        route = server = connection = wfile = _conn = _era = None  # type: Any  # noqa: E501
        _channel = None  # type: Any
        server_version = requestline = ''
        close_connection = _inline = _response_started = False
        _playback = None  # type: Any

        def _save_history_once(self):
            # type: () -> None
            pass

        def log_request(self, code='-', size='-'):
            # type: (Any, Any) -> None
            pass

    def send(self, response):
        # type: (Response) -> None
        """Send *response* with HTTP/1.1 framing; blocks until written.

        Adds ``Date``, ``Server`` and ``Content-Length`` (or chunked transfer
        encoding for a streamed body) unless given; sends no body for HEAD,
        1xx, 204 and 304; honours ``Connection: close`` both ways.  A header
        that cannot be sent (CR or LF in it) raises
        :class:`~httptestserver.ConfigurationError` naming it.
        """
        if self.response is None:
            self.response = response
        self._save_history_once()
        conn = self._conn
        streamed = response.streamed
        plan = response.plan
        try:
            head = conn.send_response(
                response.status, response.headers,
                None if streamed else response.body,
                date=self.date_time_string(), server=self.server_version,
                closing=self.server.stopping, include_body=plan is None)
        except ValueError as exc:
            raise ConfigurationError('response of %s: %s'
                                     % (self._answered_by(), exc))
        self._response_started = True
        self.close_connection = not conn.keep_alive
        if log.isEnabledFor(logging.INFO):
            self.log_request(response.status)
        if self._inline and (plan is not None or streamed or response.delay):
            # Played by the loop: timers for waits, writes as the socket
            # takes them (see plays_in_loop).
            self._playback = self._steps(response, head)
            return
        if plan is not None:
            self._send_planned(response, head)
        elif not streamed:
            self.wfile.write(head + conn.end_response())
        else:
            self.wfile.write(head)
            try:
                if conn.sends_body:
                    _bind_socket(response.body, self.connection)
                    for chunk in response.body:
                        try:
                            data = conn.send_data(chunk)
                        except BodyTooLong as exc:
                            raise ConfigurationError('response of %s: %s'
                                                     % (self._answered_by(),
                                                        exc))
                        if data:
                            self.wfile.write(data)
            finally:
                close = getattr(response.body, 'close', None)
                if close is not None:
                    close()
            self.wfile.write(conn.end_response())
        if conn.short_by:
            self._ended_short(response, conn.short_by)
        if response.takeover is not None:
            self.close_connection = True
            self.wfile.flush()
            response.takeover(self.connection, conn.trailing_data)

    def _steps(self, response, head):
        """Yield the steps that write *response* after *head* (see
        :func:`~httptestserver.serving.fault_actions.steps`), in the loop's
        thread: a delay first, then the fault plan's steps, or the body a
        chunk at a time."""
        conn = self._conn
        if response.delay:
            yield ('wait', response.delay, True)  # sent, early, if cut
        body = response.body
        try:
            if response.plan is not None:
                chunks = [] if not conn.sends_body else \
                    body if response.streamed else [body]
                for step in fault_actions.steps(response.plan, head, chunks):
                    yield step
                return
            if not response.streamed:
                yield ('write', head + conn.end_response())
                yield ('end', True)
                return
            yield ('write', head)
            if conn.sends_body and getattr(body, 'plays_in_loop', False):
                # An event stream of the library's (no code of the test's).
                for step in body.loop_steps(self._channel.waker()):
                    if step[0] == 'chunk':
                        yield ('write', conn.send_data(step[1]))
                    elif step[0] == 'cut':  # no closing chunk
                        self.close_connection = True
                        yield ('end', False)
                        return
                    else:
                        yield step
            elif conn.sends_body:
                for chunk in body:  # a file's: not user code
                    yield ('write', conn.send_data(chunk))
            yield ('write', conn.end_response())
        finally:
            close = getattr(body, 'close', None)
            if close is not None:
                close()
        if conn.short_by:
            self._ended_short(response, conn.short_by)
        yield ('end', True)

    def _answered_by(self):
        """Name what answered this request, for error messages."""
        if self.route is not None:
            return '%s (route %s)' % (self.requestline, self.route.describe())
        return self.requestline

    def _ended_short(self, response, missing):
        """A body ended before its ``Content-Length``: close the connection
        (the client would read the next response as the rest of the body)
        and, when the test's own answer caused it, record the error.  A file
        that shrank while it was served is only logged."""
        self.close_connection = True
        text = ('response of %s ended %d byte(s) short of its '
                'Content-Length; the connection was closed so the client '
                'sees a truncated body; send as many bytes as '
                'Content-Length says' % (self._answered_by(), missing))
        if getattr(response.body, 'may_shrink', False):
            log.warning('%s', text)
            return
        try:
            raise ConfigurationError(text)
        except ConfigurationError as exc:
            self.server.store.add_error(
                (self.requestline, exc, traceback.format_exc()), self._era)
            log.error('%s', text)

    def pause(self, seconds):
        # type: (float) -> bool
        """Wait *seconds*; return False at once if the server stops or is
        reset meanwhile (the test this request belongs to is over)."""
        return self._era.pause(seconds)

    def _send_planned(self, response, head):
        """Let the response's fault plan write it: delays, dribbles, or a
        failure on purpose (then the connection is closed)."""
        conn = self._conn
        if not conn.sends_body:
            chunks = []  # type: Any
        elif response.streamed:
            chunks = response.body
            _bind_socket(chunks, self.connection)
        else:
            chunks = [response.body]
        try:
            if not fault_actions.send(response.plan, self.connection, head,
                                      chunks,
                                      self.pause):
                conn.must_close()
                self.close_connection = True
        finally:
            close = getattr(response.body, 'close', None)
            if close is not None:
                close()

    def send_error(self, code, message=None, explain=None):
        """Answer *code* with a short text body and close the connection."""
        self.close_connection = True
        self._conn.must_close()
        text = message or self.responses.get(code, ('Error',))[0]
        if explain:
            text = '%s\n%s' % (text, explain)
        self.send(Response(code, _TEXT, (text + '\n').encode('utf-8')))

    def version_string(self):
        """The ``Server`` header: no Python version, no trailing space."""
        return self.server_version

    _date = (None, '')

    def date_time_string(self, timestamp=None):
        """The ``Date`` header value; made once a second, not per request."""
        if timestamp is not None:
            return super(Sending, self).date_time_string(timestamp)
        now = int(time.time())
        second, text = Sending._date
        if second != now:
            text = super(Sending, self).date_time_string(now)
            Sending._date = (now, text)
        return text


def _bind_socket(body, sock):
    """Give a streamed body that asks for it (an event stream's) the
    connection's socket, so that it sees the client leave while it waits;
    in the worker thread that will pull its chunks, before the first."""
    bind = getattr(body, 'bind_socket', None)
    if bind is not None:
        bind(sock)
