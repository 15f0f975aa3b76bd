"""WireMock's stub mappings: conversion to and from stubs, and stub files.

:func:`from_wiremock` and :func:`to_wiremock` convert one WireMock stub
mapping to and from a stub (:mod:`httptestserver.remote.stubs`), refusing by
name what cannot be converted rather than ignoring it.  :func:`parse_mappings`
reads a document (one mapping or ``{"mappings": [...]}``, each in either
form), :func:`load_stubs` reads a file or a directory in WireMock's layout
and :func:`dump_stubs` writes WireMock's form back.

Pure but for reading files in :func:`load_stubs`: no sockets, threads or
locks; imports only errors, matchers, stubs, six and the standard library.
Every function is thread-safe and raises
:class:`~httptestserver.errors.ConfigurationError` naming the field, the bad
value and the fix.
"""
import base64
import json as jsonlib
import re

import six

from ..errors import ConfigurationError
from ..answers.matchers import fail
from .stubs import FAULT_NAMES, header_pairs, normalise_stub

__all__ = ['from_wiremock', 'to_wiremock', 'REQUEST_KEYS']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List  # noqa: F401

_TEXT = six.string_types


_WM_URLS = (('url', 'url'), ('urlPath', 'path'),
            ('urlPattern', 'url_pattern'), ('urlPathPattern', 'path_pattern'))
#: The keys of a WireMock request pattern that are understood.
REQUEST_KEYS = _WM_REQUEST = (
    'method', 'url', 'urlPath', 'urlPattern', 'urlPathPattern',
    'queryParameters', 'headers', 'cookies', 'bodyPatterns')
_WM_RESPONSE = ('status', 'headers', 'body', 'jsonBody', 'base64Body',
                'fixedDelayMilliseconds', 'fault', 'statusMessage')
_WM_TOP = ('id', 'uuid', 'name', 'request', 'response', 'priority',
           'persistent', 'metadata')
# Response settings WireMock has no field for: in metadata.httptestserver.
_OURS = ('cookies', 'fault', 'delay', 'body_delay', 'chunk_delay', 'dribble',
         'bandwidth', 'chaos')
_WM_FAULT = dict((ours, wm) for wm, ours in FAULT_NAMES.items())


def _object(field, value, fix):
    """Return *value*, a dict ({} when it is absent or null), or refuse
    it: a mapping read from JSON may hold any type in any field."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        fail(field, value, fix)
    return value


def _wm_value(field, spec):
    if not isinstance(spec, dict):
        fail(field, spec, 'give a WireMock matcher such as {"equalTo": "x"}')
    if list(spec) == ['hasExactly'] and isinstance(spec['hasExactly'], list) \
            and all(isinstance(v, dict) and list(v) == ['equalTo']
                    for v in spec['hasExactly']):
        return [v['equalTo'] for v in spec['hasExactly']]
    ops = {'equalTo': 'equal', 'contains': 'contains', 'matches': 'matches'}
    known = set(ops) | set(['absent', 'caseInsensitive'])
    unknown = sorted(set(spec) - known)
    if unknown:
        fail('%s.%s' % (field, unknown[0]), spec[unknown[0]],
             'supported matchers are equalTo (with caseInsensitive), '
             'contains, matches and absent')
    if 'absent' in spec:
        return {'present': not spec['absent']}
    for wm, ours in ops.items():
        if wm in spec:
            cond = {ours: spec[wm]}
            if spec.get('caseInsensitive'):
                cond['ignore_case'] = True
            return cond
    fail(field, spec, 'give one of equalTo, contains, matches, absent')


def _wm_body(field, spec):
    if not isinstance(spec, dict):
        fail(field, spec, 'give a body pattern like {"equalTo": "x"}')
    if 'equalToJson' in spec:
        unknown = sorted(set(spec) - set(['equalToJson', 'ignoreArrayOrder',
                                          'ignoreExtraElements']))
        if unknown:
            fail('%s.%s' % (field, unknown[0]), spec[unknown[0]],
                 'equalToJson takes ignoreArrayOrder and '
                 'ignoreExtraElements only')
        document = spec['equalToJson']
        if isinstance(document, _TEXT):
            try:
                document = jsonlib.loads(document)
            except ValueError as exc:
                fail(field + '.equalToJson', document, 'it is not JSON (%s)'
                     % exc)
            except RuntimeError:  # RecursionError (Python 2: RuntimeError)
                raise ConfigurationError(
                    '%s.equalToJson: JSON text nested too deeply to read '
                    '(%d characters, starting %r); give a flatter document'
                    % (field, len(document), document[:20]))
        cond = {'json_subset' if spec.get('ignoreExtraElements')
                else 'json': document}
        if spec.get('ignoreArrayOrder'):
            cond['ignore_array_order'] = True
        return cond
    if 'binaryEqualTo' in spec:
        return {'base64': spec['binaryEqualTo']}
    ops = {'equalTo': 'equal', 'contains': 'contains', 'matches': 'matches'}
    unknown = sorted(set(spec) - set(ops) - set(['caseInsensitive']))
    if unknown or not set(ops) & set(spec):
        fail(field, spec, 'supported body patterns are equalTo, '
             'binaryEqualTo, contains, matches and equalToJson (with '
             'ignoreArrayOrder, ignoreExtraElements)')
    for wm, ours in ops.items():
        if wm in spec:
            cond = {ours: spec[wm]}
            if spec.get('caseInsensitive'):
                cond['ignore_case'] = True
            return cond


def from_wiremock(mapping, field='mapping'):
    # type: (Dict[str, Any], str) -> Dict[str, Any]
    """Convert one WireMock stub mapping to a stub (see the docs for the
    subset covered).  Raises :class:`ConfigurationError` naming the field
    that is not supported, rather than ignoring a condition."""
    if not isinstance(mapping, dict):
        fail(field, mapping, 'give a WireMock stub mapping object')
    unknown = sorted(set(mapping) - set(_WM_TOP))
    if unknown:
        fail('%s.%s' % (field, unknown[0]), mapping[unknown[0]],
             'not supported; supported keys are %s' % ', '.join(_WM_TOP))
    request = _object(field + '.request', mapping.get('request'),
                      'give a WireMock request pattern object')
    unknown = sorted(set(request) - set(_WM_REQUEST))
    if unknown:
        fail('%s.request.%s' % (field, unknown[0]), request[unknown[0]],
             'not supported; supported keys are %s' % ', '.join(_WM_REQUEST))
    match = {}
    metadata = _object(field + '.metadata', mapping.get('metadata'),
                       'give an object')
    extra = _object(field + '.metadata.httptestserver',
                    metadata.get('httptestserver'),
                    'give an object of httptestserver settings')
    if request.get('method') not in (None, 'ANY'):
        match['method'] = request['method']
    elif extra.get('methods') is not None:  # [] too: it matches none
        match['method'] = extra['methods']
    urls = [k for k, _ in _WM_URLS if k in request]
    if len(urls) > 1:
        fail(field + '.request', urls, 'give one of url, urlPath, '
             'urlPattern, urlPathPattern')
    for wm, key in _WM_URLS:
        if wm in request:
            match[key] = request[wm]
    for wm, key in (('queryParameters', 'query'), ('headers', 'headers'),
                    ('cookies', 'cookies')):
        specs = _object('%s.request.%s' % (field, wm), request.get(wm),
                        'give an object of names to WireMock matchers')
        if specs:
            match[key] = dict(
                (name, _wm_value("%s.request.%s['%s']" % (field, wm, name),
                                 spec))
                for name, spec in specs.items())
    patterns = request.get('bodyPatterns')
    if patterns is not None and not isinstance(patterns, list):
        fail(field + '.request.bodyPatterns', patterns,
             'give a list of body patterns')
    if patterns:
        match['body'] = [_wm_body('%s.request.bodyPatterns[%d]' % (field, i),
                                  p) for i, p in enumerate(patterns)]
    response = _object(field + '.response', mapping.get('response'),
                       'give a WireMock response definition object')
    unknown = sorted(set(response) - set(_WM_RESPONSE))
    if unknown:
        fail('%s.response.%s' % (field, unknown[0]), response[unknown[0]],
             'not supported (inline bodyFileName as body; no templates); '
             'supported keys are %s' % ', '.join(_WM_RESPONSE))
    ours = {}
    for wm, key in (('status', 'status'), ('headers', 'headers'),
                    ('body', 'body'), ('jsonBody', 'json'),
                    ('base64Body', 'body_base64'), ('fault', 'fault')):
        if response.get(wm) is not None:
            ours[key] = response[wm]
    delay = response.get('fixedDelayMilliseconds')
    if delay is not None:
        if isinstance(delay, bool) or not isinstance(
                delay, six.integer_types + (float,)):
            fail(field + '.response.fixedDelayMilliseconds', delay,
                 'give a number of milliseconds')
        ours['delay'] = delay / 1000.0
    for key in _OURS:
        if extra.get(key) is not None:
            ours[key] = extra[key]
    stub = {'match': match, 'response': ours}  # type: Dict[str, Any]
    for key in ('name', 'priority'):
        if mapping.get(key) is not None:
            stub[key] = mapping[key]
    if extra.get('times') is not None:
        stub['times'] = extra['times']
    if mapping.get('id') or mapping.get('uuid'):
        stub['id'] = mapping.get('id') or mapping.get('uuid')
    return normalise_stub(stub, field)


def _to_wm_value(cond):
    if isinstance(cond, _TEXT):
        return {'equalTo': cond}
    if isinstance(cond, list):  # exact query values: WireMock 3 hasExactly
        return {'hasExactly': [{'equalTo': v} for v in cond]}
    if 'present' in cond:  # any value matches .*, even an empty one
        return {'matches': '.*'} if cond['present'] else {'absent': True}
    for ours, wm in (('equal', 'equalTo'), ('contains', 'contains'),
                     ('matches', 'matches')):
        if ours in cond:
            result = {wm: cond[ours]}
            if cond.get('ignore_case'):
                if ours == 'matches':
                    result[wm] = '(?i)' + cond[ours]
                else:
                    result['caseInsensitive'] = True
            return result


def _to_wm_body(cond, ignore_order):
    if isinstance(cond, (bytes, six.text_type)):
        cond = {'equal': cond}
    for key in ('json', 'json_subset'):
        if key in cond:
            document = cond[key]
            # from_wiremock reads a string equalToJson as JSON text, so a
            # document that is a string is written as such a text
            if isinstance(document, _TEXT):
                document = jsonlib.dumps(document)
            result = {'equalToJson': document}
            if key == 'json_subset':
                result['ignoreExtraElements'] = True
            if cond.get('ignore_array_order', ignore_order):
                result['ignoreArrayOrder'] = True
            return result
    if 'base64' in cond:
        return {'binaryEqualTo': cond['base64']}
    if isinstance(cond.get('equal'), bytes):
        try:
            return {'equalTo': cond['equal'].decode('utf-8')}
        except UnicodeDecodeError:
            return {'binaryEqualTo': base64.b64encode(
                cond['equal']).decode('ascii')}
    value = _to_wm_value(cond)
    if isinstance(value.get('contains'), bytes):
        value['contains'] = value['contains'].decode('utf-8', 'replace')
    return value


def to_wiremock(stub):
    # type: (Dict[str, Any]) -> Dict[str, Any]
    """Convert a stub to a WireMock stub mapping.

    ``path_prefix`` becomes a ``urlPathPattern``; ``times`` and ``cookies``
    go to ``metadata.httptestserver`` (WireMock has no equivalent), so a
    file written here loads back unchanged.
    """
    stub = normalise_stub(stub)
    match = stub['match']
    # None only: a method '' (or []) matches no request, unlike ANY
    method = match.get('method')
    request = {'method': 'ANY' if method is None else method}
    if isinstance(method, list):
        if len(method) == 1:
            request['method'] = method[0]
        else:  # WireMock has no method list: ANY, and ours in metadata
            request['method'] = 'ANY'
    if match.get('path') is not None:
        request['url' if '?' in match['path'] else 'urlPath'] = match['path']
    elif match.get('url') is not None:  # exact path and query
        request['url'] = match['url']
    elif match.get('path_prefix') is not None:
        request['urlPathPattern'] = re.escape(match['path_prefix']) + '.*'
    elif match.get('path_pattern') is not None:
        request['urlPathPattern'] = match['path_pattern']
    elif match.get('url_pattern') is not None:
        request['urlPattern'] = match['url_pattern']
    for ours, wm in (('query', 'queryParameters'), ('headers', 'headers'),
                     ('cookies', 'cookies')):
        if match.get(ours):
            request[wm] = dict((name, _to_wm_value(cond))
                               for name, cond in match[ours].items())
    ignore = match.get('ignore_array_order', False)
    bodies = match.get('body')
    bodies = [] if bodies is None else bodies if isinstance(
        bodies, list) else [bodies]
    bodies = [_to_wm_body(b, ignore) for b in bodies]
    for key in ('json', 'json_subset'):
        if key in match:
            bodies.append(_to_wm_body({key: match[key]}, ignore))
    if bodies:
        request['bodyPatterns'] = bodies
    ours = stub['response']
    response = {'status': ours.get('status', 200)}
    if ours.get('headers'):
        headers = {}  # type: Dict[str, Any]
        for name, value in header_pairs(ours['headers'], 'headers'):
            if name in headers:
                previous = headers[name]
                headers[name] = (previous if isinstance(previous, list)
                                 else [previous]) + [value]
            else:
                headers[name] = value
        response['headers'] = headers
    for key, wm in (('body', 'body'), ('json', 'jsonBody'),
                    ('body_base64', 'base64Body')):
        if ours.get(key) is not None:
            response[wm] = ours[key]
    extra = dict((key, ours[key]) for key in _OURS
                 if ours.get(key) is not None)  # type: Dict[str, Any]
    fault = extra.get('fault')
    fault = _WM_FAULT.get(fault, fault) if fault is not None else None
    if fault in FAULT_NAMES:  # a fault WireMock has
        response['fault'] = fault
        del extra['fault']
    delay = extra.get('delay')
    if isinstance(delay, six.integer_types + (float,)):  # a fixed delay
        response['fixedDelayMilliseconds'] = int(round(delay * 1000))
        del extra['delay']
    mapping = {'id': stub['id'], 'request': request, 'response': response}
    for key in ('name', 'priority'):
        if stub.get(key) is not None:
            mapping[key] = stub[key]
    if stub.get('times') is not None:
        extra['times'] = stub['times']
    if isinstance(method, list) and len(method) != 1:
        extra['methods'] = method
    if extra:
        mapping['metadata'] = {'httptestserver': extra}
    return mapping
