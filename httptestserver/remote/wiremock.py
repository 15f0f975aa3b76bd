"""WireMock's stub mappings: conversion to and from stubs, and stub files.

:func:`from_wiremock` and :func:`to_wiremock` convert one WireMock stub
mapping to and from a stub (:mod:`httptestserver.remote.stubs`), refusing by
name what cannot be converted rather than ignoring it.  :func:`parse_mappings`
reads a document (one mapping or ``{"mappings": [...]}``, each in either
form), :func:`load_stubs` reads a file or a directory in WireMock's layout
and :func:`dump_stubs` writes WireMock's form back.

How a request pattern converts is
:mod:`httptestserver.answers.wiremock_requests`'s.  Pure but for reading
files in :func:`load_stubs`: no sockets, threads or locks.
Every function is thread-safe and raises
:class:`~httptestserver.errors.ConfigurationError` naming the field, the bad
value and the fix.
"""
import json as jsonlib
import os
import re

import six
from six.moves import http_client

from ..errors import ConfigurationError
from ..answers.matchers import fail
from ..answers.wiremock_requests import REQUEST_KEYS, \
    request_from_wiremock, request_to_wiremock
from .stubs import FAULT_NAMES, header_pairs, normalise_stub, sort_stubs

__all__ = ['from_wiremock', 'to_wiremock', 'REQUEST_KEYS', 'TEMPLATE',
           'load_stubs', 'parse_mappings', 'dump_stubs', 'save_stubs',
           'to_stub', 'read_json', 'stubs_from']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List, Optional, Tuple  # noqa: F401

_TEXT = six.string_types

_WM_RESPONSE = ('status', 'headers', 'body', 'jsonBody', 'base64Body',
                'bodyFileName', 'fixedDelayMilliseconds', 'delayDistribution',
                'chunkedDribbleDelay', 'fault', 'statusMessage',
                'transformers')
_WM_TOP = ('id', 'uuid', 'name', 'request', 'response', 'priority',
           'persistent', 'metadata', 'scenarioName', 'requiredScenarioState',
           'newScenarioState', 'insertionIndex')
# Response settings WireMock has no field for: in metadata.httptestserver.
_OURS = ('cookies', 'fault', 'delay', 'body_delay', 'chunk_delay', 'dribble',
         'bandwidth', 'chaos')
_WM_FAULT = dict((ours, wm) for wm, ours in FAULT_NAMES.items())
#: The response templating transformer (WireMock's name).
TEMPLATE = 'response-template'


def _object(field, value, fix):
    """Return *value*, a dict ({} when it is absent or null), or refuse
    it: a mapping read from JSON may hold any type in any field."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        fail(field, value, fix)
    return value


def _millis(field, value):
    if isinstance(value, bool) or not isinstance(
            value, six.integer_types + (float,)):
        fail(field, value, 'give a number of milliseconds')
    return value / 1000.0


def _distribution(field, spec):
    """WireMock's delayDistribution as our delay form (seconds)."""
    spec = _object(field, spec, 'give {"type": "uniform", "lower": ms, '
                   '"upper": ms} or a lognormal or fixed one')
    kind = spec.get('type')
    keys = {'uniform': ('lower', 'upper'), 'lognormal': ('median', 'sigma'),
            'fixed': ('milliseconds',)}
    if kind not in keys:
        fail(field + '.type', kind, 'give uniform, lognormal or fixed')
    unknown = sorted(set(spec) - set(keys[kind]) - set(
        ['type', 'maxValue']))
    if unknown:
        fail('%s.%s' % (field, unknown[0]), spec[unknown[0]],
             'a %s delay takes %s' % (kind, ', '.join(keys[kind])))
    if kind == 'fixed':
        return _millis(field + '.milliseconds', spec.get('milliseconds'))
    if kind == 'uniform':
        return {'uniform': [_millis(field + '.lower', spec.get('lower')),
                            _millis(field + '.upper', spec.get('upper'))]}
    result = {'median': _millis(field + '.median', spec.get('median')),
              'sigma': spec.get('sigma')}
    if spec.get('maxValue') is not None:
        result['cap'] = _millis(field + '.maxValue', spec['maxValue'])
    return {'lognormal': result}


def _response_from_wiremock(field, response, extra):
    response = _object(field, response,
                       'give a WireMock response definition object')
    unknown = sorted(set(response) - set(_WM_RESPONSE))
    if unknown:
        fail('%s.%s' % (field, unknown[0]), response[unknown[0]],
             'not supported; supported keys are %s' % ', '.join(
                 _WM_RESPONSE))
    message = response.get('statusMessage')
    status = response.get('status', 200)
    standard = http_client.responses.get(status) if isinstance(
        status, six.integer_types) else None
    if message is not None and message != standard:
        # the server sends the standard reason phrase; another would be lost
        fail(field + '.statusMessage', message, 'only the standard reason '
             'phrase of the status is sent; leave statusMessage out')
    ours = {}  # type: Dict[str, Any]
    for wm, key in (('status', 'status'), ('headers', 'headers'),
                    ('body', 'body'), ('jsonBody', 'json_body'),
                    ('base64Body', 'body_base64'), ('fault', 'fault'),
                    ('bodyFileName', 'body_file')):
        if response.get(wm) is not None:
            ours[key] = response[wm]
    if response.get('fixedDelayMilliseconds') is not None:
        ours['delay'] = _millis(field + '.fixedDelayMilliseconds',
                                response['fixedDelayMilliseconds'])
    if response.get('delayDistribution') is not None:
        if 'delay' in ours:
            fail(field + '.delayDistribution', response['delayDistribution'],
                 'give fixedDelayMilliseconds or delayDistribution, not both')
        ours['delay'] = _distribution(field + '.delayDistribution',
                                      response['delayDistribution'])
    dribble = response.get('chunkedDribbleDelay')
    if dribble is not None:
        dribble = _object(field + '.chunkedDribbleDelay', dribble,
                          'give {"numberOfChunks": n, "totalDuration": ms}')
        if set(dribble) != set(['numberOfChunks', 'totalDuration']):
            fail(field + '.chunkedDribbleDelay', dribble,
                 'give {"numberOfChunks": n, "totalDuration": ms}')
        ours['dribble'] = {'chunks': dribble['numberOfChunks'], 'duration':
                           _millis(field + '.chunkedDribbleDelay.'
                                   'totalDuration', dribble['totalDuration'])}
    transformers = response.get('transformers')
    if transformers is not None:
        if transformers not in ([], [TEMPLATE]):
            fail(field + '.transformers', transformers, 'the only '
                 'transformer is "%s"' % TEMPLATE)
        if transformers:
            ours['template'] = True
    for key in _OURS:
        if extra.get(key) is not None:
            ours[key] = extra[key]
    return ours


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
    metadata = _object(field + '.metadata', mapping.get('metadata'),
                       'give an object')
    extra = _object(field + '.metadata.httptestserver',
                    metadata.get('httptestserver'),
                    'give an object of httptestserver settings')
    match = request_from_wiremock(mapping.get('request'), field + '.request',
                                  extra.get('methods'))
    ours = _response_from_wiremock(field + '.response',
                                   mapping.get('response'), extra)
    stub = {'match': match, 'response': ours}  # type: Dict[str, Any]
    for key in ('name', 'priority'):
        if mapping.get(key) is not None:
            stub[key] = mapping[key]
    if extra.get('times') is not None:
        stub['times'] = extra['times']
    for wm, key in (('scenarioName', 'scenario'),
                    ('requiredScenarioState', 'state'),
                    ('newScenarioState', 'new_state')):
        if mapping.get(wm) is not None:
            stub[key] = mapping[wm]
    others = dict((k, v) for k, v in metadata.items()
                  if k != 'httptestserver')
    if others:
        stub['metadata'] = others
    if mapping.get('id') or mapping.get('uuid'):
        stub['id'] = mapping.get('id') or mapping.get('uuid')
    return normalise_stub(stub, field)


def to_wiremock(stub):
    # type: (Dict[str, Any]) -> Dict[str, Any]
    """Convert a stub to a WireMock stub mapping.

    ``path_prefix`` becomes a ``urlPathPattern``; ``times`` and ``cookies``
    go to ``metadata.httptestserver`` (WireMock has no equivalent), so a
    file written here loads back unchanged.
    """
    stub = normalise_stub(stub)
    match = stub['match']
    method = match.get('method')
    request = request_to_wiremock(match)
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
                    ('json_body', 'jsonBody'),
                    ('body_base64', 'base64Body'),
                    ('body_file', 'bodyFileName')):
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
    if ours.get('template'):
        response['transformers'] = [TEMPLATE]
    mapping = {'id': stub['id'], 'request': request, 'response': response}
    for key in ('name', 'priority'):
        if stub.get(key) is not None:
            mapping[key] = stub[key]
    if stub.get('times') is not None:
        extra['times'] = stub['times']
    for wm, key in (('scenarioName', 'scenario'),
                    ('requiredScenarioState', 'state'),
                    ('newScenarioState', 'new_state')):
        if stub.get(key) is not None:
            mapping[wm] = stub[key]
    if isinstance(method, list) and len(method) != 1:
        extra['methods'] = method
    metadata = dict(stub.get('metadata') or {})
    if extra:
        metadata['httptestserver'] = extra
    if metadata:
        mapping['metadata'] = metadata
    return mapping


# -- stub files ---------------------------------------------------------
def to_stub(mapping, field='mapping'):
    """Return a stub from either form: ours (has ``match``) or WireMock's."""
    if isinstance(mapping, dict) and 'match' in mapping:
        return normalise_stub(mapping, field)
    return from_wiremock(mapping, field)


def load_stubs(path):
    # type: (str) -> List[Dict[str, Any]]
    """Load stubs from a JSON file or a directory of them.

    A directory's ``*.json`` files are read in name order, and those of its
    ``mappings/`` subdirectory (WireMock's layout).  A file holds one mapping
    or ``{"mappings": [...]}``, each in WireMock's form or ours.  Returns the
    stubs sorted by ``priority`` (stable; default 5).  Raises
    :class:`ConfigurationError` naming the file and the mapping.
    """
    if not os.path.exists(path):
        raise ConfigurationError('stubs path %r does not exist; give a JSON '
                                 'file or a directory of them' % (path,))
    files = [path]
    if os.path.isdir(path):
        files = []
        for folder in (path, os.path.join(path, 'mappings')):
            if os.path.isdir(folder):
                files.extend(os.path.join(folder, name) for name in
                             sorted(os.listdir(folder))
                             if name.endswith('.json'))
    stubs = []
    for name in files:
        try:
            with open(name, 'rb') as handle:
                document = read_json(handle.read().decode('utf-8'))
        except (IOError, OSError, ValueError) as exc:
            raise ConfigurationError('stubs file %s cannot be read as JSON: '
                                     '%s' % (name, exc))
        except RuntimeError:  # RecursionError (Python 2: RuntimeError)
            raise ConfigurationError('stubs file %s cannot be read as JSON: '
                                     'it is nested too deeply; give a '
                                     'flatter document' % (name,))
        stubs.extend(parse_mappings(document, name))
    return sort_stubs(stubs)


def parse_mappings(document, source='document'):
    """Return the stubs of one JSON document: a mapping, or
    ``{"mappings": [...]}``."""
    if isinstance(document, dict) and 'mappings' in document:
        items = document['mappings']
        if not isinstance(items, list):
            fail(source + ': mappings', items, 'give a list of mappings')
        return [to_stub(m, '%s: mappings[%d]' % (source, i))
                for i, m in enumerate(items)]
    return [to_stub(document, source + ': mapping')]


def dump_stubs(stubs):
    # type: (List[Dict[str, Any]]) -> Dict[str, Any]
    """Return ``{"mappings": [...]}`` in WireMock's form, for a file."""
    return {'mappings': [to_wiremock(stub) for stub in stubs]}


_COMMENT = re.compile(r'''("(?:[^"\\]|\\.)*")|//[^\n]*|/\*.*?\*/''',
                      re.DOTALL)


def read_json(text):
    """Return the JSON document *text*, which may hold ``//`` and
    ``/* */`` comments (WireMock's reader allows them).  Raises
    :class:`ValueError` as :func:`json.loads` does."""
    return jsonlib.loads(_COMMENT.sub(
        lambda m: m.group(1) or (' ' if m.group(0)[:2] == '/*' else ''),
        text))


def save_stubs(root, stubs):
    """Write *stubs* to *root*/mappings, one file per stub (WireMock's
    ``mappings/save``); files of stubs no longer in force stay."""
    folder = os.path.join(root, 'mappings')
    if not os.path.isdir(folder):
        os.makedirs(folder)
    for stub in stubs:
        name = os.path.join(folder, 'saved-%s.json' % stub['id'])
        with open(name, 'w') as handle:
            jsonlib.dump(dump_stubs([stub]), handle, indent=2,
                         sort_keys=True)


def stubs_from(source):
    # type: (Any) -> Tuple[List[Dict[str, Any]], Optional[str]]
    """Return the stubs of *source*, sorted by priority, and the
    ``__files`` directory their ``bodyFileName`` is read from (or None):
    *source* is a path (:func:`load_stubs`; its ``__files`` beside the
    mappings), one mapping or ``{"mappings": [...]}`` dict, or a list of
    mappings (each in WireMock's form or ours).  Raises
    :class:`ConfigurationError` naming the bad item."""
    if isinstance(source, six.string_types) or hasattr(source, '__fspath__'):
        path = str(source)
        files = os.path.join(path, '__files') if os.path.isdir(path) \
            else None
        return load_stubs(path), files
    if isinstance(source, dict):
        return sort_stubs(parse_mappings(source, 'stubs')), None
    if isinstance(source, (list, tuple)):
        return sort_stubs([to_stub(m, 'stubs[%d]' % i)
                           for i, m in enumerate(source)]), None
    raise ConfigurationError(
        'stubs must be a path to a JSON file or directory, a mapping dict or '
        'a list of them, got %r' % (source,))
