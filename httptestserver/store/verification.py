"""Verification: waiting for requests, asserting on them, and their messages.

Everything a test asks of what a server saw -- :func:`wait` for requests to
arrive, :func:`assert_requested`, :func:`assert_no_unexpected` and
:func:`check` for failures of the server thread -- with messages that name
what was expected, what arrived (closest first) and the URL a client should
use.  The functions take the server and read it through its state store;
they block only in :func:`wait`, never touch a socket and start no thread.

The failure wording lives here once: :func:`wait_timeout`,
:func:`not_requested` and :func:`no_route` build the exceptions from plain
values (a history, a URL, the arguments asked for), so a server in another
process (:mod:`httptestserver.remote`) words its failures exactly as the
in-thread one does.
"""
import difflib

import six

from ..errors import ConfigurationError, HandlerError, VerificationError, \
    WaitTimeout
from ..answers.matchers import Matcher
from .nearmiss import closest_requests, format_near_misses, \
    near_misses
from ..answers.routes import Route
from .reports import handler_error_text

__all__ = ['wait', 'assert_requested', 'assert_no_unexpected', 'check',
           'assert_all_used', 'unused_text',
           'check_count', 'check_timeout', 'wait_timeout', 'not_requested',
           'no_route', 'misses_text', 'request_line']

# Test runners leave this module's frames out of a failure's traceback:
# pytest (__tracebackhide__) and unittest (__unittest).
__tracebackhide__ = True
__unittest = True

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List, Optional  # noqa: F401

#: The most recent requests compared field by field for a failure message.
_NEAR_LOOKS = 500


def wait(server, count=1, method=None, path=None, timeout=5.0):
    # type: (Any, int, Any, Any, Optional[float]) -> List[Dict[str, Any]]
    """Block until *count* requests matching *method*/*path* were recorded.

    Event-driven: wakes as each request is recorded and looks only at the
    new ones.  Returns the matching history entries.  Raises
    :class:`WaitTimeout` after *timeout* seconds (None: no limit) listing
    what did arrive, :class:`ConfigurationError` for bad arguments.
    """
    check_count(count)
    check_timeout(timeout)
    matcher = _matcher(path, method)
    ok, found = server.store.wait(count, matcher.matches, timeout)
    if not ok:
        raise wait_timeout(count, timeout, found, server.history,
                           server.url(''), method, path)
    return found


def assert_requested(server, path=None, method=None, times=None, query=None):
    # type: (Any, Any, Any, Optional[int], Any) -> List[Dict[str, Any]]
    """Assert requests matching *path*/*method*/*query* were received.

    ``times=None`` means at least once, else exactly *times*.  Returns the
    matching entries; raises :class:`VerificationError` (an
    ``AssertionError``) that lists the closest requests seen.
    """
    matcher = _matcher(path, method, query)
    found = [e for e in server.history if matcher.matches(e)]
    if (times is None and found) or len(found) == times:
        return found
    raise not_requested(times, found, server.history, server.url(''), method,
                        path, query)


def assert_no_unexpected(server):
    # type: (Any) -> None
    """Assert every request matched a route; list the ones that did not."""
    unexpected = server.unexpected
    if unexpected:
        routes = server.routes
        raise no_route(unexpected, [r.describe() for r in routes], routes)


def check(server, allow_unexpected=False):
    # type: (Any, bool) -> None
    """Raise what went wrong in the server thread, then forget it.

    Raises :class:`HandlerError` (with every traceback) if a handler or
    callable route raised, else :class:`VerificationError` if requests
    matched no route (unless *allow_unexpected*: then they are forgotten
    quietly, the history keeps them) or expectations were not used.
    Harmless when all went well.
    """
    state = server.store
    errors, senders = state.take_errors(senders=True)
    if errors:
        error = HandlerError(handler_error_text(
            server, errors, senders, _routes_hit(server.history, errors)),
            errors)
        # The first failure is the cause (Python 3), set by hand: raising
        # through six.raise_from would add its frame to every report.
        error.__cause__ = errors[0][1]
        raise error
    unexpected = state.take_unexpected()
    unused = state.take_unused()
    problems = []
    if unexpected and not allow_unexpected:
        problems.append(
            '%d request(s) to %r matched no route: %s; add routes for them '
            'or set server.unmatched_response%s' % (
                len(unexpected), server,
                ', '.join(request_line(e) for e in unexpected),
                misses_text(unexpected, server.routes)))
    if unused:
        problems.append(unused_text([r.describe() for r in unused], server))
    if problems:
        raise VerificationError('\n'.join(problems))


def assert_all_used(server):
    # type: (Any) -> None
    """Assert every expectation (``server.expect``) was used as often as it
    must be; raise :class:`VerificationError` naming the ones that were
    not.  Each is reported once: :func:`check` does not repeat it."""
    unused = server.store.take_unused()
    if unused:
        raise VerificationError(unused_text([r.describe() for r in unused],
                                            server))


def unused_text(described, server):
    # type: (List[str], Any) -> str
    """Word expectations not used enough: *described* are their
    :meth:`~httptestserver.Route.describe` lines, *server* names where."""
    return ('%d expectation(s) of %r were not met: %s; did the client call '
            '%s?' % (len(described), server, '; '.join(described),
                     server.url('')))


def check_count(count):
    # type: (Any) -> None
    """Raise :class:`ConfigurationError` unless *count* is a whole number
    >= 0 (a bool is not)."""
    if isinstance(count, bool) or not isinstance(
            count, six.integer_types) or count < 0:
        raise ConfigurationError('count must be a whole number >= 0, got '
                                 '%r' % (count,))


def check_timeout(timeout):
    # type: (Any) -> None
    """Raise :class:`ConfigurationError` unless *timeout* is a number of
    seconds >= 0 or None."""
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(
            timeout, six.integer_types + (float,)) or timeout < 0):
        raise ConfigurationError('timeout must be a number of seconds >= 0 '
                                 'or None (wait forever), got %r'
                                 % (timeout,))


# -- the failure wording, shared with a server in another process -------------
def wait_timeout(count, timeout, found, history, url, method=None, path=None,
                 match=None):
    # type: (int, Any, List[Any], List[Dict[str, Any]], str, Any, Any, Any) -> WaitTimeout  # noqa: E501
    """Return the :class:`WaitTimeout` for a wait of *count* requests that
    saw only *found* within *timeout* seconds.

    *history* is every request the server saw and *url* its root URL; a
    *match* dict (a child process's wait takes one) is worded after the
    method and path.
    """
    return WaitTimeout('expected %d request(s)%s within %ss, saw %d%s%s' % (
        count, _described(method, path, None, match), timeout, len(found),
        _seen(history, url, method, path),
        _closest(history, method, path, None, match)))


def not_requested(times, found, history, url, method=None, path=None,
                  query=None, match=None):
    # type: (Optional[int], List[Any], List[Dict[str, Any]], str, Any, Any, Any, Any) -> VerificationError  # noqa: E501
    """Return the :class:`VerificationError` for an ``assert_requested``
    that wanted *times* requests (None: at least one) and got *found*; the
    other arguments as for :func:`wait_timeout`."""
    expected = 'at least once' if times is None else '%d time(s)' % times
    return VerificationError('expected %s%s %s, got %d%s%s' % (
        'a request' if times is None else 'requests',
        _described(method, path, query, match), expected, len(found),
        _seen(history, url, method, path),
        _closest(history, method, path, query, match)))


def no_route(unexpected, routes, candidates=()):
    # type: (List[Dict[str, Any]], List[str], Any) -> VerificationError
    """Return the :class:`VerificationError` for requests that matched no
    route, listing them and *routes* (their descriptions), then the
    closest of *candidates* (routes or stub dicts, see
    :func:`~httptestserver.store.nearmiss.near_misses`) field by field."""
    return VerificationError(
        '%d request(s) matched no route: %s; routes are: %s%s' % (
            len(unexpected), ', '.join(request_line(e) for e in unexpected),
            ', '.join(routes) or 'none', misses_text(unexpected, candidates)))


def misses_text(unexpected, candidates, shown=2, limit=3):
    # type: (List[Dict[str, Any]], Any, int, int) -> str
    """Return the near-miss tables of the first *shown* *unexpected*
    requests against *candidates* (routes or stub dicts), each a newline
    then a table; ``''`` when there is nothing to compare."""
    text = ''
    for entry in unexpected[:shown]:
        table = format_near_misses(
            near_misses(entry, list(candidates), limit),
            'Closest routes to %s (x: differs):' % request_line(entry))
        if table:
            text += '\n' + table
    if text and len(unexpected) > shown:
        text += '\n(and %d more request(s))' % (len(unexpected) - shown)
    return text


def request_line(entry):
    # type: (Dict[str, Any]) -> str
    """Word a recorded request for a message: ``'GET /path?q=1'``."""
    return '%s %s' % (entry.get('method') or '?', entry.get('path') or '?')


def _seen(history, url, method, path):
    if not history:
        return ' (no requests at all; is the client using %s?)' % url
    lines = [request_line(e) for e in history]
    wanted = '%s %s' % (method or 'GET', path if isinstance(
        path, six.string_types) else '/')
    close = difflib.get_close_matches(wanted, lines, n=5, cutoff=0)
    return '; closest seen: %s (of %d)' % (', '.join(close), len(lines))


def _routes_hit(history, errors):
    """The route each error's request hit (its description, or None), from
    the newest history entries with its request line."""
    recent = list(history[-_NEAR_LOOKS:])
    routes = []
    for line, _, _ in errors:
        for index in range(len(recent) - 1, -1, -1):
            if recent[index].get('requestline') == line:
                routes.append(recent.pop(index).get('route'))
                break
        else:
            routes.append(None)
    return routes


def _closest(history, method, path, query, match):
    """The table of the requests nearest to what was asked for, after a
    newline; ``''`` when nothing was asked for or nothing was near."""
    if not history or not (method or path is not None or query or match):
        return ''
    wanted = Route(path, [None], method=method, query=query,
                   match=Matcher(match) if match else None)
    recent = list(history[-_NEAR_LOOKS:])  # a failure stays quick
    near = [item for item in closest_requests(wanted, recent, len(recent))
            if item['distance'] > 0][:3]
    if not near:
        return ''
    return '\n' + format_near_misses(
        near, 'Closest requests, field by field (x: differs):')


def _matcher(path, method, query=None):
    return Route(path, [None], method=method, query=query)


def _described(method, path, query=None, match=None):
    parts = []
    if method:
        parts.append(method if isinstance(method, six.string_types)
                     else '|'.join(method))
    if path is not None:
        parts.append(path if isinstance(path, six.string_types)
                     else 're:' + path.pattern)
    if query:
        parts.append('query=%r' % (query,))
    if match:
        parts.append('match=%s' % Matcher(match).describe())
    return ' matching ' + ' '.join(parts) if parts else ''
