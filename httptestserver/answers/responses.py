"""What the server answers: response specs and cookies.

A response can be written in several friendly forms -- an ``int`` status,
``bytes`` or text, a ``dict``, a ``(status, headers, body)`` tuple, or a
callable that receives the recorded request -- and :func:`make_response` turns
any of them into one :class:`Response`, checking every value so that a bad
one fails where it was written.  Pure: no sockets, threads or locks.
"""
import json as jsonlib

import six

from . import faults as faultlib
from ..errors import ConfigurationError
from ..headers import Headers
from ..protocol.connection import check_header

__all__ = ['Response', 'make_response', 'validate_spec', 'spec_dict',
           'snapshot']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, Optional  # noqa: F401

#: Keys a response ``dict`` may hold.
RESPONSE_KEYS = ('status', 'headers', 'body', 'content', 'json', 'cookies',
                 'delay', 'fault', 'body_delay', 'chunk_delay', 'dribble',
                 'bandwidth', 'chaos')

_COOKIE_FLAGS = {'httponly': 'HttpOnly', 'secure': 'Secure',
                 'partitioned': 'Partitioned'}
_COOKIE_VALUES = {'path': 'Path', 'domain': 'Domain', 'expires': 'Expires',
                  'max-age': 'Max-Age', 'samesite': 'SameSite'}


class Response(object):
    """One response, normalised: ``status`` int, ``headers`` list of
    ``(name, value)`` pairs, ``body`` bytes or an iterator of chunks (sent
    with chunked transfer encoding), ``delay`` seconds or ``None``.

    Extension points for features built on the core: ``record``, a dict of
    extra fields for the request's history entry; ``takeover``, a callable
    ``(sock, leftover_bytes)`` run in the connection's thread once the head
    is sent (a protocol upgrade), after which the connection is closed;
    ``faults``, the checked fault and delay settings
    (:mod:`~httptestserver.answers.faults`), and ``plan``, the
    :class:`~httptestserver.answers.faults.Plan` drawn from them for one
    request, which then writes the response (or fails it).
    """

    __slots__ = ('status', 'headers', 'body', 'delay', 'record', 'takeover',
                 'faults', 'plan')

    def __init__(self, status=200, headers=(), body=b'', delay=None,
                 record=None, takeover=None, faults=None):
        self.status = status
        self.headers = list(headers)
        self.body = body
        self.delay = delay
        self.record = record
        self.takeover = takeover
        self.faults = faults or {}
        self.plan = None

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
    pairs = [(_header_text(k), _header_text(v)) for k, v in items]
    for key, value in pairs:
        problem = check_header(key, value)
        if problem is not None:
            raise ConfigurationError('%s: %s' % (name, problem))
    return pairs


def _header_text(value):
    """Return a header name or value as text for the wire; bytes are taken
    as latin-1, other values (numbers) as ``str()``."""
    if isinstance(value, bytes) and not six.PY2:
        return value.decode('latin-1')
    if isinstance(value, six.string_types):  # Python 2: str or unicode
        return value
    return str(value)


def body_bytes(body, name='body', consume=True):
    """Return *body* as bytes, or as an iterator of bytes chunks.

    ``consume=False`` checks a body without using up a one-shot iterator.
    """
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
    if isinstance(body, OneShot):
        return _encoded_chunks(body.use() if consume else iter(()), name)
    try:
        chunks = iter(body)
    except TypeError:
        raise ConfigurationError(
            '%s must be bytes, text or an iterable of chunks, got %r'
            % (name, body))
    if isinstance(body, (list, tuple)):
        for chunk in body:  # checked now; a generator is checked as it runs
            _chunk_bytes(chunk, name)
    elif chunks is body and not consume:
        # An iterator answers one request: checking must not use it up.
        chunks = iter(())
    return _encoded_chunks(chunks, name)


class OneShot(object):
    """A response body given as an iterator: it can be sent only once.

    Iterators are wrapped in one of these when a route or setting is made
    (see :func:`validate_spec`), so a second request gets a clear error
    instead of a silent empty body.
    """

    def __init__(self, iterator, name):
        self._iterator = iterator
        self._name = name
        self._used = False

    @classmethod
    def of(cls, body, name):
        return body if isinstance(body, cls) else cls(body, name)

    def use(self):
        if self._used:
            raise ConfigurationError(
                '%s is an iterator that an earlier request already consumed; '
                'give a list of chunks, or a callable route that makes a '
                'fresh iterator per request (lambda request: {"body": '
                'iter(...)})' % self._name)
        self._used = True
        return self._iterator

    def __iter__(self):
        return iter(self.use())

    def __repr__(self):
        return '<one-shot body %s>' % ('used' if self._used else 'unused')


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


def make_response(spec, request=None, name='response', consume=True):
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
    if isinstance(spec, six.integer_types) and not isinstance(spec, bool):
        return Response(check_status(spec, name))
    if isinstance(spec, (bytes, six.text_type)):
        return Response(200, [], body_bytes(spec, name))
    return _from_dict(spec_dict(spec, name), name, consume)


def spec_dict(spec, name='response'):
    # type: (Any, str) -> Dict[str, Any]
    """Return a response *spec* in its dict form, its keys checked.

    ``None`` is ``{}``, an int ``{'status': ...}``, bytes or text
    ``{'body': ...}``, a tuple ``(status, body)`` or ``(status, headers,
    body)`` the dict of those; a dict is returned as it is.  Raises
    :class:`ConfigurationError` naming *name* for anything else (callables
    included: call them first) and for unknown keys.
    """
    if spec is None:
        return {}
    if isinstance(spec, bool):
        raise ConfigurationError('%s cannot be a bool: %r' % (name, spec))
    if isinstance(spec, six.integer_types):
        return {'status': spec}
    if isinstance(spec, (bytes, six.text_type)):
        return {'body': spec}
    if isinstance(spec, tuple):
        if len(spec) == 2:
            return {'status': spec[0], 'body': spec[1]}
        if len(spec) == 3:
            return {'status': spec[0], 'headers': spec[1], 'body': spec[2]}
        raise ConfigurationError(
            '%s as a tuple must be (status, body) or (status, headers, '
            'body), got %r' % (name, spec))
    if not isinstance(spec, dict):
        raise ConfigurationError(
            '%s must be an int, bytes, text, a dict, a (status, headers, '
            'body) tuple or a callable, got %r' % (name, spec))
    unknown = set(spec) - set(RESPONSE_KEYS)
    if unknown:
        raise ConfigurationError(
            '%s has unknown key(s) %s; use %s' % (
                name, ', '.join(sorted(map(repr, unknown))),
                ', '.join(RESPONSE_KEYS)))
    return spec


def _from_dict(spec, name, consume=True):
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
    # A plain number of seconds stays Response.delay; any other fault or
    # delay setting goes to the plan drawn per request (faults.make_plan).
    faults = faultlib.check_faults(spec, name)
    delay = None
    if set(faults) == set(['delay']) and faults['delay'].kind == 'fixed':
        delay = faults.pop('delay').args[0]
    return Response(status, headers,
                    body_bytes(body, '%s body' % name, consume), delay,
                    faults=faults)


def validate_spec(spec, name='response'):
    """Raise now if *spec* could never be answered; return the spec to keep.

    Callables pass.  Building the :class:`Response` does not consume a
    streamed body; a body given as an iterator is wrapped so that it can be
    sent once only (:class:`OneShot`), and the returned spec holds it.
    """
    if isinstance(spec, dict):
        for key in ('body', 'content'):
            body = spec.get(key)
            if body is not None and not isinstance(
                    body, (bytes, bytearray, memoryview, six.text_type, list,
                           tuple, dict, OneShot) + six.integer_types):
                try:
                    if iter(body) is body:
                        spec = dict(spec)
                        spec[key] = OneShot(body, '%s body' % name)
                except TypeError:
                    pass
    if not callable(spec) or isinstance(spec, Response):
        make_response(spec, None, name, consume=False)
    return spec


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
