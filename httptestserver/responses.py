"""What the server answers: response specs, cookies and routes.

A response can be written in several friendly forms -- an ``int`` status,
``bytes`` or text, a ``dict``, a ``(status, headers, body)`` tuple, or a
callable that receives the recorded request -- and :func:`make_response` turns
any of them into one :class:`Response`.  A :class:`Route` pairs a request
matcher with the responses it gives.  Pure: no sockets, threads or locks (the
state store serialises access to routes).
"""
import json as jsonlib
import re

import six

from .errors import ConfigurationError
from .headers import Headers

__all__ = ['Response', 'Route', 'make_response']

#: Keys a response ``dict`` may hold.
RESPONSE_KEYS = ('status', 'headers', 'body', 'content', 'json', 'cookies',
                 'delay')

_COOKIE_FLAGS = {'httponly': 'HttpOnly', 'secure': 'Secure',
                 'partitioned': 'Partitioned'}
_COOKIE_VALUES = {'path': 'Path', 'domain': 'Domain', 'expires': 'Expires',
                  'max-age': 'Max-Age', 'samesite': 'SameSite'}


class Response(object):
    """One response, normalised: ``status`` int, ``headers`` list of
    ``(name, value)`` pairs, ``body`` bytes or an iterator of chunks (sent
    with chunked transfer encoding), ``delay`` seconds or ``None``."""

    __slots__ = ('status', 'headers', 'body', 'delay')

    def __init__(self, status=200, headers=(), body=b'', delay=None):
        self.status = status
        self.headers = list(headers)
        self.body = body
        self.delay = delay

    @property
    def streamed(self):
        """True when the body is an iterable sent in chunks."""
        return not isinstance(self.body, bytes)

    def __repr__(self):
        body = '<stream>' if self.streamed else self.body[:40]
        return '<Response %d %r>' % (self.status, body)


def check_status(status, name='status'):
    """Return *status* if it is an int from 100 to 999, else raise."""
    if isinstance(status, bool) or not isinstance(status, six.integer_types) \
            or not 100 <= status <= 999:
        raise ConfigurationError(
            '%s must be an int from 100 to 999 (e.g. 404), got %r'
            % (name, status))
    return status


def check_delay(delay, name='delay'):
    """Return *delay* as a float of seconds (or None), else raise."""
    if delay is None:
        return None
    if isinstance(delay, bool) or not isinstance(
            delay, six.integer_types + (float,)) or delay < 0:
        raise ConfigurationError(
            '%s must be a number of seconds >= 0 (e.g. 0.5), got %r'
            % (name, delay))
    return float(delay)


def header_items(headers, name='headers'):
    """Return *headers* (mapping or iterable of pairs) as a list of pairs."""
    if headers is None:
        return []
    if isinstance(headers, Headers):
        return headers.items_all()
    if hasattr(headers, 'items'):
        items = list(headers.items())
    elif isinstance(headers, (six.string_types, bytes)):
        items = None
    else:
        try:
            items = [tuple(pair) for pair in headers]
        except TypeError:
            items = None
    if items is None or any(len(pair) != 2 for pair in items):
        raise ConfigurationError(
            '%s must be a dict or a list of (name, value) pairs, got %r'
            % (name, headers))
    return [(_header_text(k), _header_text(v)) for k, v in items]


def _header_text(value):
    """Return a header name or value as text for the wire; bytes are taken
    as latin-1, other values (numbers) as ``str()``."""
    if isinstance(value, bytes) and not six.PY2:
        return value.decode('latin-1')
    if isinstance(value, six.string_types):  # Python 2: str or unicode
        return value
    return str(value)


def body_bytes(body, name='body'):
    """Return *body* as bytes, or as an iterator of bytes chunks."""
    if body is None:
        return b''
    if isinstance(body, bytes):
        return body
    if isinstance(body, (bytearray, memoryview)):
        return _chunk_bytes(body, name)
    if isinstance(body, six.text_type):
        return body.encode('utf-8')
    if isinstance(body, (dict, six.integer_types, float)):
        raise ConfigurationError(
            '%s must be bytes, text or an iterable of chunks, got %r; '
            'use json=... to send a JSON document' % (name, body))
    try:
        chunks = iter(body)
    except TypeError:
        raise ConfigurationError(
            '%s must be bytes, text or an iterable of chunks, got %r'
            % (name, body))
    if isinstance(body, (list, tuple)):
        for chunk in body:  # checked now; a generator is checked as it runs
            _chunk_bytes(chunk, name)
    return _encoded_chunks(chunks, name)


def _chunk_bytes(chunk, name):
    if isinstance(chunk, memoryview):
        return chunk.tobytes()  # Python 2: bytes(view) is its repr
    if isinstance(chunk, (bytes, bytearray)):
        return bytes(chunk)
    if isinstance(chunk, six.text_type):
        return chunk.encode('utf-8')
    raise ConfigurationError('%s chunks must be bytes or text, got %r'
                             % (name, chunk))


def _encoded_chunks(chunks, name):
    for chunk in chunks:
        yield _chunk_bytes(chunk, name)


def set_cookie_value(name, value):
    """Return the ``Set-Cookie`` header value for cookie *name*.

    *value* is the cookie's value, or a dict with ``value`` and any of
    ``path``, ``domain``, ``expires``, ``max_age``, ``samesite`` and the flags
    ``httponly``, ``secure``, ``partitioned``.
    """
    attrs = {}
    if isinstance(value, dict):
        attrs = dict(value)
        value = attrs.pop('value', '')
    parts = ['%s=%s' % (name, value)]
    for key in sorted(attrs):
        norm = key.lower().replace('_', '-')
        if norm in _COOKIE_FLAGS:
            if attrs[key]:
                parts.append(_COOKIE_FLAGS[norm])
        elif norm in _COOKIE_VALUES:
            if attrs[key] is not None:
                parts.append('%s=%s' % (_COOKIE_VALUES[norm], attrs[key]))
        else:
            raise ConfigurationError(
                'cookie %r has unknown attribute %r; use value, path, domain, '
                'expires, max_age, samesite, httponly, secure or partitioned'
                % (name, key))
    return '; '.join(parts)


def cookie_headers(cookies, name='cookies'):
    """Return ``Set-Cookie`` header pairs for a dict (or pairs) of cookies."""
    if not cookies:
        return []
    items = cookies.items() if hasattr(cookies, 'items') else cookies
    try:
        return [('Set-Cookie', set_cookie_value(k, v)) for k, v in items]
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ConfigurationError):
            raise
        raise ConfigurationError(
            '%s must be a dict of name -> value or name -> {attributes}, '
            'got %r' % (name, cookies))


def make_response(spec, request=None, name='response'):
    """Turn a response *spec* into a :class:`Response`.

    *spec* may be a :class:`Response`; ``None`` (an empty 200); an ``int``
    status; ``bytes`` or text (a 200 with that body); a ``(status, body)`` or
    ``(status, headers, body)`` tuple; a dict with keys from
    :data:`RESPONSE_KEYS`; or a callable taking the recorded *request* dict
    and returning any of those.  Raises :class:`ConfigurationError` naming
    *name* when the spec cannot be used.
    """
    if callable(spec) and not isinstance(spec, Response):
        spec = spec(request)
        name = 'the value returned by %s' % name
        if callable(spec) and not isinstance(spec, Response):
            raise ConfigurationError('%s is callable again; return a '
                                     'response, not a function' % name)
    if isinstance(spec, Response):
        return spec
    if spec is None:
        return Response()
    if isinstance(spec, bool):
        raise ConfigurationError('%s cannot be a bool: %r' % (name, spec))
    if isinstance(spec, six.integer_types):
        return Response(check_status(spec, name))
    if isinstance(spec, (bytes, six.text_type)):
        return Response(200, [], body_bytes(spec, name))
    if isinstance(spec, tuple):
        if len(spec) == 2:
            spec = {'status': spec[0], 'body': spec[1]}
        elif len(spec) == 3:
            spec = {'status': spec[0], 'headers': spec[1], 'body': spec[2]}
        else:
            raise ConfigurationError(
                '%s as a tuple must be (status, body) or (status, headers, '
                'body), got %r' % (name, spec))
    if not isinstance(spec, dict):
        raise ConfigurationError(
            '%s must be an int, bytes, text, a dict, a (status, headers, '
            'body) tuple or a callable, got %r' % (name, spec))
    return _from_dict(spec, name)


def _from_dict(spec, name):
    unknown = set(spec) - set(RESPONSE_KEYS)
    if unknown:
        raise ConfigurationError(
            '%s has unknown key(s) %s; use %s' % (
                name, ', '.join(sorted(map(repr, unknown))),
                ', '.join(RESPONSE_KEYS)))
    status = check_status(spec.get('status', 200), '%s status' % name)
    headers = header_items(spec.get('headers'), '%s headers' % name)
    if 'body' in spec and 'content' in spec:
        raise ConfigurationError('%s has both body and content; they are '
                                 'the same thing, give one' % name)
    body = spec.get('body', spec.get('content'))
    if spec.get('json') is not None:
        if body is not None:
            raise ConfigurationError('%s has both json and body; give one'
                                     % name)
        body = jsonlib.dumps(spec['json']).encode('utf-8')
        if not any(k.lower() == 'content-type' for k, _ in headers):
            headers.append(('Content-Type', 'application/json'))
    headers.extend(cookie_headers(spec.get('cookies'), '%s cookies' % name))
    return Response(status, headers, body_bytes(body, '%s body' % name),
                    check_delay(spec.get('delay'), '%s delay' % name))


def validate_spec(spec, name='response'):
    """Raise now if *spec* could never be answered; callables pass.

    Building the :class:`Response` does not consume a streamed body.
    """
    if not callable(spec) or isinstance(spec, Response):
        make_response(spec, None, name)


def snapshot(value):
    """Return a copy of a recorded request (or any value in it) that shares
    nothing mutable with it: dicts, lists and headers are copied all the way
    down; strings, bytes and numbers are immutable and kept."""
    if isinstance(value, dict):
        return dict((key, snapshot(item)) for key, item in value.items())
    if isinstance(value, list):
        return [snapshot(item) for item in value]
    if isinstance(value, Headers):
        return value.copy()
    return value


def _full_pattern(pattern):
    if hasattr(pattern, 'fullmatch'):
        return pattern.fullmatch
    # Python 2: no fullmatch.
    return re.compile('(?:%s)\\Z' % pattern.pattern, pattern.flags).match


class Route(object):
    """A request matcher with the responses it gives, most useful in order.

    Matches on the request path (a string compared exactly -- against the
    path with its query when it contains ``?`` -- or a compiled regular
    expression that must match the whole path), optionally on method(s) and
    query parameters.  Each request it answers takes the next response in
    ``responses``; the last one repeats.  After ``times`` answers (default:
    unlimited for a single response, one each for a sequence) the route is
    *exhausted* and requests fall through to the routes added after it and
    then to the server's ``response_*`` settings.

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
        if method is None:
            self.methods = None
        elif isinstance(method, six.string_types):
            self.methods = frozenset([method.upper()])
        else:
            self.methods = frozenset(m.upper() for m in method)
        self.query = _normalise_query(query)
        # HOOK (issue 11): a stubs.Matcher spec dict, or a predicate.
        if match is not None and not callable(match):
            from .stubs import Matcher
            match = Matcher(match)
        self.match = match
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
        self._calls = []
        self.used = 0

    @property
    def calls(self):
        """History entries of the requests this route answered (copies)."""
        return [snapshot(entry) for entry in list(self._calls)]

    @property
    def exhausted(self):
        """True once the route answered ``times`` requests."""
        return self.times is not None and self.used >= self.times

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
            text += ' (%d of %d used)' % (self.used, self.times)
        return text

    def __repr__(self):
        return '<Route %s>' % self.describe()


def _any_path(path):
    return True


def _native(value):
    """Return *value* as the native ``str`` the parser records."""
    if six.PY2 and isinstance(value, six.text_type):  # Python 2
        return value.encode('utf-8')
    return value if isinstance(value, str) else str(value)


def _normalise_query(query):
    if query is None:
        return query
    if isinstance(query, six.string_types):
        return _native(query)
    if not hasattr(query, 'items'):
        raise ConfigurationError(
            'query must be a dict like {"page": "2"} or a raw query string, '
            'got %r' % (query,))
    result = {}
    for key, value in query.items():
        if isinstance(value, (list, tuple)):
            result[_native(key)] = [_native(v) for v in value]
        else:
            result[_native(key)] = [_native(value)]
    return result
