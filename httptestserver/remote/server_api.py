"""The in-thread server's API, asked of a child process over its control API.

:class:`ServerAPI` gives :class:`~httptestserver.remote.process.ChildServer`
what a test asks of :class:`~httptestserver.Server`: ``data``, ``history``,
``route()``, ``wait()``, ``assert_requested()``, ``check()`` and the rest,
each one call to the child's control API, with arguments that cross as data
(:mod:`httptestserver.remote.specs`) and failures worded as the in-thread
server words them (:mod:`httptestserver.store.verification`).  It never
starts or stops the child: that is the ChildServer's.
"""
from ..errors import HandlerError, HttpTestServerError, ServerStateError, \
    VerificationError
from ..answers.routes import NOT_SET
from ..store.verification import check_count, no_route, not_requested, \
    wait_timeout
from .codec import entry_from_json
from .specs import route_match, route_stubs, stub_response
from .views import RemoteData, RemoteRoute
from .wiremock import from_wiremock

__all__ = ['ServerAPI', 'RemoteError']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List, Optional  # noqa: F401
    from .control_client import ControlClient  # noqa: F401


class RemoteError(HttpTestServerError):
    """An exception raised in the child process, as text (its ``repr``)."""


class ServerAPI(object):
    """The in-thread API over *client*, a
    :class:`~httptestserver.remote.control_client.ControlClient`; the base
    of :class:`~httptestserver.remote.process.ChildServer`.

    Every method is thread-safe and blocks for one call (or two, to word a
    failure); once the client is closed (the server stopped) each raises
    :class:`ServerStateError`.
    """

    def __init__(self, client):
        # type: (ControlClient) -> None
        self._client = client

    # -- state ---------------------------------------------------------------
    @property
    def data(self):
        """The child's ``data`` dict, read and written over the control
        API (each access is one call)."""
        return RemoteData(self, self._client)

    @property
    def response_data(self):
        """All user-defined response properties (the ``response_*``
        keys)."""
        return dict((k, v) for k, v in self.data.copy().items()
                    if k.startswith('response_'))

    @property
    def history(self):
        """Copies of the recorded requests, oldest first."""
        return self._entries('GET', 'requests')

    @property
    def unexpected(self):
        """Requests no route matched, oldest first."""
        return self._entries('GET', 'requests/unmatched')

    @property
    def errors(self):
        """Server-side failures not yet raised by :meth:`check`:
        ``(request_line, RemoteError, traceback_text)`` tuples."""
        return [(e['request'], RemoteError(e['error']), e['traceback'])
                for e in self._client.call('GET', 'errors')[1]['errors']]

    def reset(self):
        # type: () -> None
        """Forget data, history, routes and errors (stubs given at start
        come back)."""
        self._client.call('POST', 'reset')

    @property
    def unmatched_response(self):
        """The answer to a request no route matches (None: an explaining
        500), as a stub response dict.  Set it with any response form
        :meth:`route` takes."""
        return self._client.call('GET', 'unmatched')[1]['response']

    @unmatched_response.setter
    def unmatched_response(self, value):
        if value is None:
            self._client.call('DELETE', 'unmatched')
        else:
            self._client.call('POST', 'unmatched',
                              stub_response(value, 'unmatched_response'))

    def _entries(self, method, path, document=None):
        return [entry_from_json(e) for e in self._client.call(
            method, path, document)[1]['requests']]

    # -- routes --------------------------------------------------------------
    def route(self, path, response=NOT_SET, method=None, query=None,
              times=None, responses=None, match=None, **fields):
        # type: (Any, Any, Any, Any, Optional[int], Optional[List[Any]], Optional[Dict[str, Any]], **Any) -> RemoteRoute  # noqa: E501
        """Answer requests for *path* with a response; return the route.

        Takes what :meth:`httptestserver.Server.route` takes, as data: a
        response as an int, bytes, text, dict or tuple (not a callable: it
        cannot cross into the child), every response keyword (faults,
        delays, dribble, bandwidth, chaos), and ``match`` as a
        request-matching dict.  Raises :class:`ConfigurationError` for what
        cannot cross (naming it) or a bad value; nothing is dropped.
        """
        stubs = route_stubs(path, response, method, query, times, responses,
                            match, fields)
        return RemoteRoute(self, self._client, self.add_stubs(stubs))

    def add_stubs(self, stubs):
        """Add stubs (our dicts or WireMock mappings); return them as
        stubs."""
        document = self._client.call('POST', 'mappings/import',
                                     {'mappings': list(stubs)})[1]
        return [from_wiremock(m) for m in document['mappings']]

    def export_stubs(self):
        """Return the stubs in force as ``{"mappings": [...]}`` (WireMock's
        form), ready to write to a file that ``stubs=`` loads."""
        document = self._client.call('GET', 'mappings')[1]
        return {'mappings': document['mappings']}

    @property
    def routes(self):
        """The routes (stubs) in force, in the order tried."""
        return [RemoteRoute(self, self._client, [from_wiremock(m)]) for m in
                self._client.call('GET', 'mappings')[1]['mappings']]

    def remove_route(self, route):
        """Stop answering with *route*; harmless if already gone."""
        for stub in route.stubs:
            try:
                self._client.call('DELETE', 'mappings/' + stub['id'])
            except ServerStateError:
                pass

    # -- verification ---------------------------------------------------------
    def wait(self, count=1, method=None, path=None, timeout=5.0, match=None):
        # type: (int, Any, Any, Optional[float], Optional[Dict[str, Any]]) -> List[Dict[str, Any]]  # noqa: E501
        """Block until *count* requests (matching *method*/*path*/*match*)
        arrived; return them.  A long-poll: one call, answered as soon as
        they are there.  Raises :class:`WaitTimeout` after *timeout*."""
        check_count(count)
        if timeout is None:
            timeout = 300.0
        spec = route_match(path, method, None, match)
        status, document = self._client.call(
            'POST', 'requests/wait', {'count': count, 'match': spec,
                                      'timeout': timeout},
            timeout=timeout + 10.0, ok=(200, 408))
        found = [entry_from_json(e) for e in document['requests']]
        if status == 408:
            raise wait_timeout(count, timeout, found, self.history,
                               self._client.url(''), method, path, match)
        return found

    def assert_requested(self, path=None, method=None, times=None,
                         query=None, match=None):
        # type: (Any, Any, Optional[int], Any, Optional[Dict[str, Any]]) -> List[Dict[str, Any]]  # noqa: E501
        """Assert requests matching were received (``times=None``: at
        least once, else exactly); return them.  Raises
        :class:`VerificationError` listing the closest requests seen."""
        spec = route_match(path, method, query, match)
        found = self._entries('POST', 'requests/find', spec)
        if (times is None and found) or len(found) == times:
            return found
        raise not_requested(times, found, self.history,
                            self._client.url(''), method, path, query, match)

    def assert_no_unexpected(self):
        """Assert every request matched a route; list the ones that did not
        and the routes."""
        unexpected = self.unexpected
        if unexpected:
            routes = self.routes
            raise no_route(unexpected, [r.describe() for r in routes],
                           [r.stubs[0] for r in routes])

    def check(self):
        # type: () -> None
        """Raise what went wrong in the child, then forget it: a
        :class:`HandlerError` with the child's tracebacks, else a
        :class:`VerificationError` for unmatched requests."""
        document = self._client.call('POST', 'check')[1]
        if document.get('ok'):
            return
        if document.get('error') == 'HandlerError':
            raise HandlerError(document['message'], [
                (e['request'], RemoteError(e['error']), e['traceback'])
                for e in document.get('errors', [])])
        raise VerificationError(document.get('message'))
