"""The in-thread server's API, asked of a child process over its control API.

:class:`ServerAPI` gives :class:`~httptestserver.remote.process.ChildServer`
what a test asks of :class:`~httptestserver.Server`: ``data``, ``history``,
``route()``, ``wait()``, ``assert_requested()``, ``check()`` and the rest,
each one call to the child's control API, with arguments that cross as data
(:mod:`httptestserver.remote.specs`) and failures worded as the in-thread
server words them (:mod:`httptestserver.store.verification`).  It never
starts or stops the child: that is the ChildServer's.
"""
import re

import six

from ..errors import ConfigurationError, HandlerError, HttpTestServerError, \
    ServerStateError, VerificationError
from ..answers.matchers import Matcher
from ..answers.routes import NOT_SET
from ..store.verification import check_count, no_route, not_requested, \
    wait_timeout
from .codec import entry_from_json, from_json
from .specs import check_match, route_document, stub_response
from .views import RemoteData
from .stubs import normalise_stub
from .wiremock import from_wiremock, to_wiremock

__all__ = ['ServerAPI', 'ChildRoute', 'RemoteError', 'route_match',
           'document_stubs']

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
        #: The last unmatched_response set, as given and as sent.
        self._unmatched = (None, None)  # type: Any

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
        500): what was set here, as given, while the child still holds it
        (else the child's, as a stub response dict).  Set it with any
        response form :meth:`route` takes but a stream."""
        held = self._client.call('GET', 'unmatched')[1]['response']
        given, sent = self._unmatched
        return given if held is not None and held == sent else held

    @unmatched_response.setter
    def unmatched_response(self, value):
        if value is None:
            self._client.call('DELETE', 'unmatched')
            self._unmatched = (None, None)
        else:
            sent = stub_response(value, 'unmatched_response')
            self._unmatched = (value, self._client.call(
                'POST', 'unmatched', sent)[1]['response'])

    def _entries(self, method, path, document=None):
        return [entry_from_json(e) for e in self._client.call(
            method, path + '?format=entries', document)[1]['requests']]

    # -- routes --------------------------------------------------------------
    def route(self, path, response=NOT_SET, method=None, query=None,
              times=None, responses=None, match=None, **fields):
        # type: (Any, Any, Any, Any, Optional[int], Optional[List[Any]], Optional[Dict[str, Any]], **Any) -> ChildRoute  # noqa: E501
        """Answer requests for *path* with a response; return the route.

        Takes what :meth:`httptestserver.Server.route` takes, as data: a
        response as an int, bytes, text, dict or tuple, every response
        keyword (faults, delays, dribble, bandwidth, chaos), a body as a
        list of chunks, a declarative :class:`~httptestserver.EventStream`
        or :class:`~httptestserver.WebSocket`, ``times`` with
        ``responses``, and ``match`` as a request-matching dict.  Raises
        :class:`ConfigurationError` for what cannot cross (a function,
        naming the data form to use) or a bad value; nothing is dropped.
        """
        document = route_document(path, response, method, query, times,
                                  responses, match, fields)
        state = self._client.call('POST', 'routes', document)[1]
        return ChildRoute(self._client, state)

    def add_stubs(self, stubs):
        """Add stubs (our dicts or WireMock mappings); return them as
        stubs."""
        document = self._client.call('POST', 'mappings/import',
                                     {'mappings': list(stubs)})[1]
        return [from_wiremock(m) for m in document['mappings']]

    def export_stubs(self):
        """Return the stubs in force as ``{"mappings": [...]}`` (WireMock's
        form), ready to write to a file that ``stubs=`` loads: those added
        as stubs, then the routes :meth:`route` added.  Raises
        :class:`ConfigurationError` naming a route no stub can describe (a
        stream, a WebSocket)."""
        mappings = self._client.call('GET', 'mappings')[1]['mappings']
        for state in self._client.call('GET', 'routes')[1]['routes']:
            if state.get('document') is not None:
                mappings.extend(to_wiremock(stub) for stub in document_stubs(
                    state['document'], state['id']))
        return {'mappings': mappings}

    @property
    def routes(self):
        """The routes (stubs and directories too) in the order tried."""
        return [ChildRoute(self._client, state) for state in
                self._client.call('GET', 'routes')[1]['routes']]

    def remove_route(self, route):
        """Stop answering with *route* (a :class:`ChildRoute`, or a stub
        :meth:`add_stubs` returned); harmless if already gone."""
        if isinstance(route, ChildRoute):
            self._client.call('DELETE', 'routes/' + route.id)
            return
        for stub in getattr(route, 'stubs', [route]):
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
            routes = self._client.call('GET', 'routes')[1]['routes']
            raise no_route(unexpected, [r['describe'] for r in routes],
                           [r['spec'] for r in routes if r.get('spec')])

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


class ChildRoute(object):
    """A route in a child process, as :meth:`ServerAPI.route` returns it.

    What the in-thread :class:`~httptestserver.Route` tells, read from the
    child at each access (one control call): :attr:`calls` (the requests
    this route answered), :attr:`used`, :attr:`exhausted`,
    :attr:`remaining` and :meth:`describe`.  Routes compare equal by
    :attr:`id`.  Once the route is removed or the server reset, reading
    its state raises :class:`ConfigurationError`.
    """

    def __init__(self, client, state):
        self._client = client
        #: The route's id in the child.
        self.id = state['id']
        #: How many requests it answers (None: unlimited).
        self.times = state['times']
        self._name = state['name']

    def _state(self, calls=False):
        if not calls:  # no history entries to carry: the list has it too
            for state in self._client.call('GET', 'routes')[1]['routes']:
                if state['id'] == self.id:
                    return state
        return self._client.call('GET', 'routes/' + self.id)[1]

    @property
    def calls(self):
        """History entries of the requests this route answered."""
        return [entry_from_json(e) for e in self._state(True)['calls']]

    @property
    def used(self):
        """How many requests it answered."""
        return self._state()['used']

    @property
    def exhausted(self):
        """True once the route answered ``times`` requests."""
        return self._state()['exhausted']

    @property
    def remaining(self):
        """How many more requests it answers (None: unlimited)."""
        return self._state()['remaining']

    def describe(self, usage=True):
        """A one-line description, e.g. ``GET /users (1 of 2 used)``, as
        the in-thread route words it; ``usage=False`` leaves out the
        count."""
        return self._state()['describe'] if usage else self._name

    def __eq__(self, other):
        return isinstance(other, ChildRoute) and other.id == self.id

    def __ne__(self, other):  # Python 2
        return not self == other

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return '<Route %s>' % self._name


def route_match(path, method, query, match):
    """Build a match spec from ``Server.route``'s arguments."""
    spec = {}
    if path is not None and path != '*':
        if isinstance(path, six.string_types):
            if not path.startswith('/'):
                raise ConfigurationError(
                    'route path must start with "/" (e.g. "/users"), or be a '
                    'compiled regular expression, got %r' % (path,))
            spec['path'] = path
        elif hasattr(path, 'pattern') and hasattr(path, 'match'):
            if path.flags & ~(re.UNICODE | re.DOTALL):
                raise ConfigurationError(
                    'a path pattern with flags cannot cross into the child '
                    'process; write them inline, e.g. "(?i)/users"')
            spec['path_pattern'] = path.pattern
        else:
            raise ConfigurationError(
                'route path must be a string like "/users" or a compiled '
                'regular expression, got %r' % (path,))
    if method is not None:
        spec['method'] = method if isinstance(method, six.string_types) \
            else list(method)
    if query is not None:
        if isinstance(query, six.string_types):
            if 'path' not in spec:
                raise ConfigurationError('a raw query string needs a plain '
                                         'path; give query as a dict')
            spec['path'] += '?' + query
        elif hasattr(query, 'items'):
            spec['query'] = dict(
                (k, list(v) if isinstance(v, (list, tuple)) else [str(v)])
                for k, v in query.items())
        else:
            raise ConfigurationError('query must be a dict like {"page": '
                                     '"2"} or a raw query string, got %r'
                                     % (query,))
    check_match(match)
    if match is not None:
        both = sorted(set(match) & set(spec))
        if both:
            raise ConfigurationError('%s is given twice, as an argument and '
                                     'in match; give it once' % both[0])
        spec.update(match)
    Matcher(spec, untrusted=True)  # checked here, as the child will
    return spec


def document_stubs(document, route_id):
    """Return the stubs that answer as the route *document*
    (:func:`~httptestserver.remote.specs.route_document`) does: one stub,
    or one per response of a sequence, each answering once.  Raises
    :class:`ConfigurationError` for what a stub cannot hold."""
    pattern = document.get('path_pattern')
    if pattern is not None and pattern[1]:
        raise ConfigurationError(
            'route %s: a path pattern with flags cannot be a stub; write '
            'them inline, e.g. "(?i)/users"' % route_id)
    path = re.compile(pattern[0]) if pattern else document.get('path')
    match = route_match(path, document.get('method'),
                        from_json(document.get('query')), document['match'])
    responses = document['responses']
    several = len(responses) > 1
    if several and document.get('times') not in (None, len(responses)):
        raise ConfigurationError(
            'route %s: times with a sequence of responses cannot be a stub'
            % route_id)
    stubs = []
    for index, response in enumerate(responses):
        streamed = sorted(set(response) & set(['chunks', 'events',
                                               'websocket']))
        if streamed:
            raise ConfigurationError('route %s: a response with %s cannot '
                                     'be a stub' % (route_id, streamed[0]))
        stubs.append(normalise_stub({
            'id': '%s-%d' % (route_id, index) if several else route_id,
            'match': match, 'response': response,
            'times': 1 if several else document.get('times')}))
    return stubs
