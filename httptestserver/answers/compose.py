"""Composing a response from ``route()``'s arguments, the way users of
``responses``, pytest-httpserver and WireMock write it.

``route('/x', 'ok', status=201)``: a positional body (bytes, text, or a
dict/list sent as JSON) composes with the response keywords (``status``,
``headers``, ``cookies``, ``content_type``, the fault and delay settings).
:func:`response_list` turns one call's arguments into the response specs of
a route, and refuses only the genuinely ambiguous mixes, naming both sides.
Pure: no sockets, threads or locks.
"""
import six

from ..errors import ConfigurationError
from .responses import RESPONSE_KEYS

__all__ = ['NOT_SET', 'response_list', 'compose']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List  # noqa: F401

#: Keywords that say what the body is.
_BODY_KEYS = ('body', 'content', 'json')


class _NotSet(object):
    def __repr__(self):
        return '<not set>'


#: The default of ``route(path, response=...)``: no response given that way.
NOT_SET = _NotSet()


def response_list(response, responses, fields):
    # type: (Any, Any, Dict[str, Any]) -> List[Any]
    """Return the responses ``route()`` was given.

    *response* (or :data:`NOT_SET`) composed with the response keywords
    *fields* (see :func:`compose`), or a sequence *responses* alone.
    Raises :class:`ConfigurationError` naming both sides of an ambiguous
    mix, and when *responses* is not a sequence.
    """
    if responses is not None:
        if response is not NOT_SET or fields:
            raise ConfigurationError(
                'responses=[...] gives every response of the route; give '
                'the response one way: drop %s, or put it in each response'
                % ('the positional response %r' % (response,)
                   if response is not NOT_SET else
                   ', '.join('%s=' % key for key in sorted(fields))))
        if isinstance(responses, (six.string_types, bytes, dict)):
            raise ConfigurationError('responses must be a list of '
                                     'responses, got %r' % (responses,))
        return list(responses)
    if response is NOT_SET:
        return [_with_content_type(dict(fields))] if fields else [None]
    if not fields:
        if isinstance(response, list):  # a list is a JSON body
            return [{'json': response}]
        return [response]
    return [compose(response, fields)]


def compose(response, fields):
    # type: (Any, Dict[str, Any]) -> Dict[str, Any]
    """Return the response dict of a positional *response* plus keywords.

    The positional value is bytes or text (the body), a list (a JSON
    body), a dict (a JSON body when none of its keys is a response key,
    else a response dict), an int (the status), None, or a ``(status,
    body)`` / ``(status, headers, body)`` tuple.  A keyword may add to it,
    never say again what it already says: ``route('/x', 200, status=201)``
    raises, as does a callable, a :class:`Response` or a stream with any
    keyword.  Pure.
    """
    given = _as_dict(response, fields)
    again = sorted(key for key in fields if key in given or (
        key in _BODY_KEYS and any(k in given for k in _BODY_KEYS)))
    if again:
        raise ConfigurationError(
            'the response %r already gives %s; the keyword %s gives it '
            'again: give the response one way (drop one of them)' % (
                response, ', '.join(sorted(given)),
                ', '.join('%s=%r' % (key, fields[key]) for key in again)))
    spec = dict(given)
    spec.update(fields)
    return _with_content_type(spec)


def _as_dict(response, fields):
    if response is None:
        return {}
    if isinstance(response, bool):
        raise ConfigurationError('response cannot be a bool: %r'
                                 % (response,))
    if isinstance(response, six.integer_types):
        return {'status': response}
    if isinstance(response, (bytes, six.text_type)):
        return {'body': response}
    if isinstance(response, list):
        return {'json': response}
    if isinstance(response, dict):
        if response and all(key in RESPONSE_KEYS for key in response):
            return dict(response)
        if not any(key in RESPONSE_KEYS for key in response):
            return {'json': response}
        raise ConfigurationError(
            'the response %r mixes response keys (%s) with others; with '
            'keywords (%s) give a JSON body as json=..., or a response '
            'dict of %s only' % (
                response, ', '.join(sorted(k for k in response
                                           if k in RESPONSE_KEYS)),
                ', '.join(sorted(fields)), ', '.join(RESPONSE_KEYS)))
    if isinstance(response, tuple) and len(response) in (2, 3):
        if len(response) == 2:
            return {'status': response[0], 'body': response[1]}
        return {'status': response[0], 'headers': response[1],
                'body': response[2]}
    raise ConfigurationError(
        'the response %r is complete by itself and cannot take the '
        'keywords %s; give the response one way: put them in what it '
        'returns, or pass a body (bytes, text, a dict or list as JSON)'
        % (response, ', '.join('%s=' % key for key in sorted(fields))))


def _with_content_type(spec):
    """Turn a ``content_type`` keyword into a ``Content-Type`` header."""
    if 'content_type' not in spec:
        return spec
    value = spec.pop('content_type')
    if not isinstance(value, six.string_types) or not value:
        raise ConfigurationError(
            'content_type must be a media type such as "text/plain", got %r'
            % (value,))
    headers = spec.get('headers')
    try:
        pairs = [] if headers is None else list(headers.items()) if hasattr(
            headers, 'items') else [(name, v) for name, v in headers]
    except (TypeError, ValueError):
        raise ConfigurationError(
            'headers must be a dict or a list of (name, value) pairs, got '
            '%r' % (headers,))
    if any(str(name).lower() == 'content-type' for name, _ in pairs):
        raise ConfigurationError(
            'content_type=%r and a Content-Type in headers both give the '
            'content type: give it one way' % (value,))
    spec['headers'] = pairs + [('Content-Type', value)]
    return spec
