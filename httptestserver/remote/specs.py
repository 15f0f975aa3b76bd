"""The in-thread API's arguments as data, for a server in another process.

A child process is driven over the control API, so what
:meth:`~httptestserver.Server.route` and friends take (a path, a method, a
query, a ``match`` dict, a response in any of its forms) must cross as JSON.
:func:`route_match` turns the matching arguments into a stub match spec,
:func:`stub_response` a response spec into a stub response dict and
:func:`route_stubs` a whole ``route()`` call into stubs; all raise
:class:`~httptestserver.errors.ConfigurationError` for what cannot cross (a
function, a stream, regex flags).  Pure functions: no I/O, thread-safe.
"""
import base64
import json as jsonlib
import re

import six

from ..errors import ConfigurationError
from ..headers import Headers
from ..answers import faults as faultlib
from ..answers.delays import Delay
from ..answers.matchers import Matcher
from ..answers.responses import spec_dict
from ..answers.routes import response_list
from .stubs import normalise_stub

__all__ = ['route_match', 'stub_response', 'route_stubs']


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
    if match is not None:
        if callable(match) and not isinstance(match, dict):
            raise ConfigurationError(
                'match=%r is a function, and a function cannot cross into '
                'the child process; describe the request as data, e.g. '
                'match={"headers": {"X-Token": "abc"}, "json": {...}}'
                % (match,))
        if not isinstance(match, dict):
            raise ConfigurationError('match must be a dict, got %r'
                                     % (match,))
        both = sorted(set(match) & set(spec))
        if both:
            raise ConfigurationError('%s is given twice, as an argument and '
                                     'in match; give it once' % both[0])
        spec.update(match)
    Matcher(spec, untrusted=True)  # checked here, as the child will
    return spec


def stub_response(spec, name):
    """Turn a ``route()`` response spec into a stub response dict.

    Every key of a response crosses (faults, delays, dribble, bandwidth and
    chaos in their plain forms), so the child answers as this process
    would; what cannot cross raises :class:`ConfigurationError` naming it.
    """
    if callable(spec):
        raise ConfigurationError(
            '%s %r is a function, and a function cannot cross into the child'
            ' process; describe the response as data, e.g. route("/users", '
            'status=201, json={...}, headers={...}) or '
            'match={"json": {...}} to choose it by request' % (name, spec))
    spec = spec_dict(spec, name)
    result = {}
    for key in ('status', 'json', 'cookies') + faultlib.FAULT_KEYS:
        if spec.get(key) is not None:
            result[key] = _plain(spec[key])
    headers = spec.get('headers')
    if headers is not None:
        if isinstance(headers, Headers):
            headers = headers.items_all()
        result['headers'] = [list(p) for p in headers.items()] if hasattr(
            headers, 'items') else [list(p) for p in headers]
    body = spec.get('body', spec.get('content'))
    if body is not None:
        if isinstance(body, (bytearray, memoryview)):
            body = bytes(body)
        if isinstance(body, six.text_type):
            result['body'] = body
        elif isinstance(body, bytes):
            try:
                result['body'] = body.decode('utf-8')
            except UnicodeDecodeError:
                result['body_base64'] = base64.b64encode(body).decode('ascii')
        else:
            raise ConfigurationError(
                '%s body must be bytes or text in a child process (a stream '
                'cannot cross), got %r' % (name, body))
    left = sorted(set(spec) - set(result)
                  - set(['body', 'content', 'headers']))
    left = [key for key in left if spec[key] is not None]
    if left:  # a key added to responses but not here: never drop it
        raise ConfigurationError('%s %s cannot cross into the child process'
                                 % (name, left[0]))
    for key, value in result.items():
        try:
            jsonlib.dumps(value)
        except (TypeError, ValueError):
            raise ConfigurationError(
                '%s %s=%r cannot cross into the child process: it is not '
                'plain data (JSON)' % (name, key, value))
    return result


def _plain(value):
    """A fault or delay setting in its plain (JSON) form."""
    if isinstance(value, Delay):
        return value.describe()
    if isinstance(value, dict) and 'faults' in value:  # a checked chaos
        plain = {'probability': value['probability'],
                 'fault': list(value['faults']), 'seed': value['seed'],
                 'delay': _plain(value['delay'])}
        return dict((k, v) for k, v in plain.items() if v not in (None, []))
    return value


def route_stubs(path, response, method, query, times, responses, match,
                fields):
    """Turn the arguments of one ``Server.route()`` call into the stubs that
    answer the same way: one stub, or one per response of a sequence (each
    answering once, in order)."""
    specs = response_list(response, responses, fields)
    if responses is not None and times is not None:
        raise ConfigurationError(
            'times with a sequence of responses is not supported in a '
            'child process; give times with one response')
    spec_match = route_match(path, method, query, match)
    stubs = []
    for index, spec in enumerate(specs):
        name = 'responses[%d]' % index if len(specs) > 1 else 'response'
        stubs.append(normalise_stub({
            'match': spec_match, 'response': stub_response(spec, name),
            'times': 1 if len(specs) > 1 else times}))
    return stubs
