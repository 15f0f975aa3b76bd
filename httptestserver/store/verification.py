"""Verification: waiting for requests, asserting on them, and their messages.

Everything a test asks of what a server saw -- :func:`wait` for requests to
arrive, :func:`assert_requested`, :func:`assert_no_unexpected` and
:func:`check` for failures of the server thread -- with messages that name
what was expected, what arrived (closest first) and the URL a client should
use.  The functions take the server and read it through its state store;
they block only in :func:`wait`, never touch a socket and start no thread.
"""
import difflib

import six

from ..errors import ConfigurationError, HandlerError, VerificationError, \
    WaitTimeout
from ..answers.routes import Route

__all__ = ['wait', 'assert_requested', 'assert_no_unexpected', 'check']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List, Optional  # noqa: F401


def wait(server, count=1, method=None, path=None, timeout=5.0):
    # type: (Any, int, Any, Any, Optional[float]) -> List[Dict[str, Any]]
    """Block until *count* requests matching *method*/*path* were recorded.

    Event-driven: wakes as each request is recorded and looks only at the
    new ones.  Returns the matching history entries.  Raises
    :class:`WaitTimeout` after *timeout* seconds (None: no limit) listing
    what did arrive, :class:`ConfigurationError` for bad arguments.
    """
    if isinstance(count, bool) or not isinstance(
            count, six.integer_types) or count < 0:
        raise ConfigurationError('count must be a whole number >= 0, got '
                                 '%r' % (count,))
    check_timeout(timeout)
    matcher = _matcher(path, method)
    ok, found = server.store.wait(count, matcher.matches, timeout)
    if not ok:
        raise WaitTimeout('expected %d request(s)%s within %ss, saw %d%s'
                          % (count, _described(method, path), timeout,
                             len(found), _seen(server, method, path)))
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
    expected = 'at least once' if times is None else '%d time(s)' % times
    raise VerificationError('expected %s%s %s, got %d%s' % (
        'a request' if times is None else 'requests',
        _described(method, path, query), expected, len(found),
        _seen(server, method, path)))


def assert_no_unexpected(server):
    # type: (Any) -> None
    """Assert every request matched a route; list the ones that did not."""
    unexpected = server.unexpected
    if unexpected:
        raise VerificationError(
            '%d request(s) matched no route: %s; routes are: %s' % (
                len(unexpected), ', '.join(_line(e) for e in unexpected),
                ', '.join(r.describe() for r in server.routes) or 'none'))


def check(server):
    # type: (Any) -> None
    """Raise what went wrong in the server thread, then forget it.

    Raises :class:`HandlerError` (with every traceback) if a handler or
    callable route raised, else :class:`VerificationError` if requests
    matched no route.  Harmless when all went well.
    """
    state = server.store
    errors = state.take_errors()
    if errors:
        first = errors[0]
        text = '\n'.join('--- while handling %s:\n%s' % (line, tb)
                         for line, _, tb in errors)
        error = HandlerError('%d error(s) in the server thread of %r; the '
                             'first: %r\n%s' % (len(errors), server,
                                                first[1], text), errors)
        six.raise_from(error, first[1])
    unexpected = state.take_unexpected()
    if unexpected:
        raise VerificationError(
            '%d request(s) to %r matched no route: %s; add routes for them '
            'or set server.unmatched_response' % (
                len(unexpected), server,
                ', '.join(_line(e) for e in unexpected)))


def check_timeout(timeout):
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(
            timeout, six.integer_types + (float,)) or timeout < 0):
        raise ConfigurationError('timeout must be a number of seconds >= 0 '
                                 'or None (wait forever), got %r'
                                 % (timeout,))


def _seen(server, method, path):
    history = server.history
    if not history:
        return ' (no requests at all; is the client using %s?)' % \
            server.url('')
    lines = [_line(e) for e in history]
    wanted = '%s %s' % (method or 'GET', path if isinstance(
        path, six.string_types) else '/')
    close = difflib.get_close_matches(wanted, lines, n=5, cutoff=0)
    return '; closest seen: %s (of %d)' % (', '.join(close), len(lines))


def _matcher(path, method, query=None):
    return Route(path, [None], method=method, query=query)


def _described(method, path, query=None):
    parts = []
    if method:
        parts.append(method if isinstance(method, six.string_types)
                     else '|'.join(method))
    if path is not None:
        parts.append(path if isinstance(path, six.string_types)
                     else 're:' + path.pattern)
    if query:
        parts.append('query=%r' % (query,))
    return ' matching ' + ' '.join(parts) if parts else ''


def _line(entry):
    return '%s %s' % (entry.get('method') or '?', entry.get('path') or '?')
