"""Routes: which response answers a request.

A :class:`Route` pairs a request matcher (path, method, query) with the
responses it gives, in order, and counts its uses; :func:`choose` picks the
answer for one request from a server's routes and its ``response_*``
settings, and says when a request was unexpected.  Pure: no sockets, threads
or locks -- the state store calls these under its lock.
"""
import re

import six

from . import faults as faultlib
from .._compat import native_str
from .compose import NOT_SET, response_list
from ..errors import ConfigurationError
from .responses import snapshot, validate_spec
from .matchers import Matcher

__all__ = ['Route', 'make_route', 'choose', 'fallback', 'settings_spec',
           'unmatched_text',
           'response_list', 'NOT_SET', 'RESPONSE_SETTINGS']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List, Optional, Tuple  # noqa: F401

#: The ``data`` keys that control the default response (0.1.0 names).
RESPONSE_SETTINGS = ('response_status', 'response_headers', 'response_content',
                     'response_cookies', 'response_timeout', 'response_clear',
                     'response_reset', 'response_fault', 'response_body_delay',
                     'response_chunk_delay', 'response_dribble',
                     'response_bandwidth', 'response_chaos')
# Settings that say what to answer: one of them set means "no stray request".
_ANSWERING_SETTINGS = RESPONSE_SETTINGS[:5] + RESPONSE_SETTINGS[7:12]


def _full_pattern(pattern):
    if hasattr(pattern, 'fullmatch'):
        return pattern.fullmatch
    # Python 2: no fullmatch.
    return re.compile('(?:%s)\\Z' % pattern.pattern, pattern.flags).match


class Route(object):
    """A request matcher with the responses it gives, most useful in order.

    Matches on the request path (a string compared exactly -- against the
    path with its query when it contains ``?`` -- or a compiled regular
    expression that must match the whole path, query left out), optionally
    on method(s), query parameters, and *match*: headers, cookies and body
    (:class:`~httptestserver.answers.matchers.Matcher`) or any predicate.
    Each request it answers takes the next response in ``responses``; the
    last one repeats.  After ``times`` answers (default: unlimited --
    ``times`` is None -- for a single response, one each for a sequence) the
    route is *exhausted* and requests fall through to the routes added after
    it and then to the server's ``response_*`` settings.

    Not thread-safe by itself: the server's state store calls it under its
    lock.  :attr:`calls` lists the history entries of the requests it
    answered.
    """

    def __init__(self, path, responses, method=None, query=None, times=None,
                 match=None):
        if path is None:
            self._match_path = _any_path
        elif isinstance(path, six.string_types):
            if not path.startswith('/') and path != '*' and \
                    '://' not in path:
                raise ConfigurationError(
                    'route path must start with "/" (e.g. "/users"), or be a '
                    'compiled regular expression, got %r' % (path,))
            self._match_path = None
        elif hasattr(path, 'pattern') and hasattr(path, 'match'):
            self._match_path = _full_pattern(path)
        else:
            raise ConfigurationError(
                'route path must be a string like "/users" or a compiled '
                'regular expression (re.compile(r"/users/\\d+")), got %r'
                % (path,))
        self.path = path
        self.methods = _methods(method)
        self.query = _normalise_query(query)
        # A request-matching dict (headers, cookies, body, JSON...; see
        # httptestserver.answers.matchers.Matcher) or a predicate on the
        # request.
        if match is not None and not callable(match):
            match = Matcher(match)
        self.match = match
        #: True when matching runs user code (a predicate of the test's).
        self.runs_user_code = match is not None and \
            not isinstance(match, Matcher)
        self.responses = list(responses)
        if not self.responses:
            raise ConfigurationError('a route needs at least one response')
        if times is None:
            times = len(self.responses) if len(self.responses) > 1 else None
        elif isinstance(times, bool) or not isinstance(
                times, six.integer_types) or times < 1:
            raise ConfigurationError(
                'times must be a whole number >= 1 (or None for unlimited), '
                'got %r' % (times,))
        self.times = times
        self._calls = []  # type: List[Any]
        self._entry_of = None  # type: Any  # given by the store that holds it
        self.used = 0
        #: Random generator for this route's faults and chaos.
        self.fault_rng = None  # type: Any
        #: True for an expectation (``Server.expect``): it must be used
        #: (``times`` times, or at least once when ``times`` is None).
        self.expected = False
        #: An ordered expectation's place; it answers only once every
        #: ordered expectation added before it is used up.
        self.ordered = False
        #: Set once a check reported this expectation unused.
        self.reported = False

    def bind_records(self, entry_of):
        # type: (Any) -> None
        """Read recorded calls with *entry_of* (record -> entry dict); the
        store that holds this route calls it once, when the route is added."""
        self._entry_of = entry_of

    def record_call(self, record):
        # type: (Any) -> None
        """Keep *record* as a request this route answered; the store calls
        it under its lock."""
        self._calls.append(record)

    @property
    def calls(self):
        """History entries of the requests this route answered (copies)."""
        entry_of = self._entry_of or snapshot
        return [entry_of(record) for record in list(self._calls)]

    @property
    def exhausted(self):
        """True once the route answered ``times`` requests."""
        return self.times is not None and self.used >= self.times

    @property
    def remaining(self):
        """How many more requests it answers (None: unlimited)."""
        return None if self.times is None else max(0, self.times - self.used)

    def matches(self, request):
        """Return True if *request* (a recorded request dict) is for us."""
        if self.methods is not None and \
                request.get('method') not in self.methods:
            return False
        if self._match_path is not None:
            if not self._match_path(request.get('url_path') or ''):
                return False
        elif '?' in self.path:
            if self.path != request.get('path'):
                return False
        elif self.path != request.get('url_path'):
            return False
        if self.query is not None:
            if isinstance(self.query, six.string_types):
                return self.query == request.get('query_string')
            got = request.get('query') or {}
            for key, values in self.query.items():
                if got.get(key) != values:
                    return False
        if self.match is not None and not self.match(request):
            return False
        return True

    @property
    def unused(self):
        """True for an expectation not yet used as often as it must be."""
        if not self.expected:
            return False
        return self.used == 0 if self.times is None else \
            self.used < self.times

    def take(self):
        """Return the next response spec and count the call."""
        spec = self.responses[min(self.used, len(self.responses) - 1)]
        self.used += 1
        return spec

    def describe(self, usage=True):
        """Return a one-line description, e.g. ``GET /users (1 of 2 used)``.

        ``usage=False`` leaves out the count, for a stable name.
        """
        methods = '|'.join(sorted(self.methods)) if self.methods else 'ANY'
        if self.path is None or isinstance(self.path, six.string_types):
            path = self.path or '*'
        else:
            path = 're:%s' % self.path.pattern
        text = '%s %s' % (methods, path)
        if self.query is not None:
            text += ' query=%r' % (self.query,)
        if self.match is not None:
            text += ' match=%s' % getattr(self.match, 'describe',
                                          lambda: repr(self.match))()
        if usage and self.times is not None:
            text += ' (%d of %d used%s)' % (
                self.used, self.times, ', in order' if self.ordered else '')
        elif usage and self.expected:
            text += ' (%d used, expected at least 1)' % self.used
        return text

    def __repr__(self):
        return '<Route %s>' % self.describe()


def make_route(path, responses, method=None, query=None, times=None,
               match=None, expected=False, ordered=False):
    """Build a :class:`Route`, checking every non-callable response now.

    *expected* makes it an expectation (:attr:`Route.expected`), *ordered*
    an ordered one, whose ``times`` must then be a number (default 1).
    """
    responses = [validate_spec(spec, 'responses[%d]' % index
                               if len(responses) > 1 else 'response')
                 for index, spec in enumerate(responses)]
    if ordered and times is None and len(responses) == 1:
        times = 1  # an ordered expectation is used up, then the next one
    route = Route(path, responses, method=method, query=query, times=times,
                  match=match)
    route.expected = bool(expected or ordered)
    route.ordered = bool(ordered)
    # One random generator per route, seeded by its chaos: a run replays.
    seeds = [spec['chaos'].get('seed') for spec in responses
             if isinstance(spec, dict) and isinstance(spec.get('chaos'), dict)]
    route.fault_rng = faultlib.make_rng(seeds[0] if seeds else None)
    return route


def choose(routes, request, settings, unmatched_response=None):
    # type: (List[Route], Dict[str, Any], Dict[str, Any], Any) -> Tuple[Optional[Route], Any, bool]  # noqa: E501
    """Pick what answers *request*: ``(route, spec, unexpected)``.

    The first route added that matches and is not exhausted wins (and is
    counted); else :func:`fallback`.  Not thread-safe: the store locks.
    """
    for route in routes:
        if not route.exhausted and route.matches(request):
            return route, route.take(), False
    return fallback(routes, settings, unmatched_response)


def fallback(routes, settings, unmatched_response=None, spec=None):
    # type: (List[Route], Dict[str, Any], Any, Any) -> Tuple[Optional[Route], Any, bool]  # noqa: E501
    """What answers a request no route took: ``(None, spec, unexpected)``.

    The ``response_*`` *settings* (*spec*: their :func:`settings_spec`, if
    made already); else, when routes exist but none matched and no setting
    was made, the request is unexpected and gets *unmatched_response*
    (None: the caller explains the miss with a 500, see
    :func:`unmatched_text`).  Pure.
    """
    if routes and not any(key in settings for key in _ANSWERING_SETTINGS):
        return None, unmatched_response, True
    return None, settings_spec(settings) if spec is None else spec, False


def settings_spec(settings):
    # type: (Dict[str, Any]) -> Dict[str, Any]
    """Return the response spec the ``response_*`` *settings* give.  Pure."""
    spec = {'status': settings.get('response_status', 200),
            'headers': settings.get('response_headers'),
            'body': settings.get('response_content'),
            'cookies': settings.get('response_cookies'),
            'delay': settings.get('response_timeout')}
    for key in ('body_delay', 'chunk_delay', 'dribble', 'bandwidth'):
        spec[key] = settings.get('response_' + key)
    fault = settings.get('response_fault')
    if not faultlib.is_handshake_fault(fault) and \
            not faultlib.is_connection_fault(fault):  # before any request
        spec['fault'] = fault
    return spec


def unmatched_text(method, target, routes):
    # type: (str, str, List[Route]) -> str
    """Return the body of the 500 that explains an unexpected request."""
    listed = '\n'.join('  ' + r.describe() for r in routes)
    return ('No route matches %s %s\n\nRoutes, in the order tried:\n%s\n\n'
            'Add a route for it, or set server.unmatched_response.\n'
            % (method, target, listed or '  (none left)'))


def _any_path(path):
    return True


def _methods(method):
    if method is None:
        return None
    if isinstance(method, six.string_types):
        methods = [method]
    else:
        try:
            methods = list(method)
        except TypeError:
            methods = None
        if methods is not None and not all(
                isinstance(m, six.string_types) for m in methods):
            methods = None
    if not methods:
        raise ConfigurationError(
            'method must be a method name such as "GET", or a list of them '
            '(["GET", "HEAD"]), got %r' % (method,))
    return frozenset(native_str(m).upper() for m in methods)


def _normalise_query(query):
    if query is None:
        return query
    if isinstance(query, six.string_types):
        return native_str(query)
    if not hasattr(query, 'items'):
        raise ConfigurationError(
            'query must be a dict like {"page": "2"} or a raw query string, '
            'got %r' % (query,))
    result = {}
    for key, value in query.items():
        if isinstance(value, (list, tuple)):
            result[native_str(key)] = [native_str(v) for v in value]
        else:
            result[native_str(key)] = [native_str(value)]
    return result
