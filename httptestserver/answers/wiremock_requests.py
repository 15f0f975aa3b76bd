"""WireMock's request patterns as match specs, and back.

:func:`request_from_wiremock` turns a WireMock request pattern (``method``,
``url``..., ``queryParameters``, ``headers``, ``cookies``,
``basicAuthCredentials``, ``bodyPatterns``) into a match spec
(:mod:`httptestserver.answers.matchers`), each WireMock matcher into the
condition of the same meaning (:mod:`httptestserver.answers.conditions`),
and refuses by name what has none.  :func:`request_to_wiremock` writes a
match spec back.  The mapping around the pattern (response, priority,
scenarios, files) is :mod:`httptestserver.remote.wiremock`'s.

Pure: no sockets, threads or locks.  Thread-safe; raises
:class:`~httptestserver.errors.ConfigurationError` naming the field.
"""
import base64
import json as jsonlib
import re

import six

from ..errors import ConfigurationError
from .conditions import fail

__all__ = ['request_from_wiremock', 'request_to_wiremock', 'REQUEST_KEYS']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict  # noqa: F401

_TEXT = six.string_types
_URLS = (('url', 'url'), ('urlPath', 'path'), ('urlPattern', 'url_pattern'),
         ('urlPathPattern', 'path_pattern'))
#: The keys of a WireMock request pattern that are understood.
REQUEST_KEYS = ('method', 'url', 'urlPath', 'urlPattern', 'urlPathPattern',
                'queryParameters', 'headers', 'cookies', 'bodyPatterns',
                'basicAuthCredentials', 'multipartPatterns')
# WireMock matcher -> our operator, for text.
_TEXT_OPS = (('equalTo', 'equal'), ('contains', 'contains'),
             ('doesNotContain', 'not_contains'), ('matches', 'matches'),
             ('doesNotMatch', 'not_matches'))
_LIST_OPS = (('and', 'and'), ('or', 'or'), ('hasExactly', 'has_exactly'),
             ('includes', 'includes'))
_VALUE_KEYS = [wm for wm, _ in _TEXT_OPS + _LIST_OPS] + ['absent']
_BODY_KEYS = [wm for wm, _ in _TEXT_OPS] + [
    'absent', 'and', 'or', 'binaryEqualTo', 'equalToJson', 'matchesJsonPath']


def _one(field, spec, known):
    if not isinstance(spec, dict):
        fail(field, spec, 'give a WireMock matcher such as {"equalTo": "x"}')
    unknown = sorted(set(spec) - set(known) - set(['caseInsensitive']))
    if unknown:
        fail('%s.%s' % (field, unknown[0]), spec[unknown[0]],
             'not supported; the supported matchers here are %s'
             % ', '.join(known))
    given = [k for k in known if k in spec]
    if len(given) != 1:
        fail(field, spec, 'give exactly one of %s' % ', '.join(known))
    return given[0]


def value_from_wiremock(field, spec, known=None):
    """Return the value condition of WireMock matcher *spec*."""
    key = _one(field, spec, known or _VALUE_KEYS)
    arg = spec[key]
    if key == 'absent':
        return {'present': not arg}
    for wm, ours in _LIST_OPS:
        if key == wm:
            if not isinstance(arg, list):
                fail('%s.%s' % (field, wm), arg, 'give a list of matchers')
            return {ours: [value_from_wiremock('%s.%s[%d]' % (field, wm, i),
                                               item, _VALUE_KEYS)
                           for i, item in enumerate(arg)]}
    cond = {dict(_TEXT_OPS)[key]: arg}
    if spec.get('caseInsensitive'):
        cond['ignore_case'] = True
    return cond


def body_from_wiremock(field, spec):
    """Return the body condition of WireMock body pattern *spec*."""
    if isinstance(spec, dict) and 'equalToJson' in spec:
        return _json_from_wiremock(field, spec)
    if isinstance(spec, dict) and 'matchesJsonPath' in spec:
        return _path_from_wiremock(field, spec)
    key = _one(field, spec, _BODY_KEYS)
    if key == 'binaryEqualTo':
        return {'base64': spec[key]}
    if key in ('and', 'or'):
        if not isinstance(spec[key], list):
            fail('%s.%s' % (field, key), spec[key],
                 'give a list of body patterns')
        return {key: [body_from_wiremock('%s.%s[%d]' % (field, key, i), p)
                      for i, p in enumerate(spec[key])]}
    return value_from_wiremock(field, spec, _BODY_KEYS)


def _json_from_wiremock(field, spec):
    unknown = sorted(set(spec) - set(['equalToJson', 'ignoreArrayOrder',
                                      'ignoreExtraElements']))
    if unknown:
        fail('%s.%s' % (field, unknown[0]), spec[unknown[0]],
             'equalToJson takes ignoreArrayOrder and ignoreExtraElements '
             'only')
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
    # WireMock compares with JsonUnit, whose placeholders are always on.
    cond = {'json': document, 'placeholders': True}
    if spec.get('ignoreExtraElements'):
        cond = {'json_subset': document, 'ignore_extra_items': True,
                'placeholders': True}
    if spec.get('ignoreArrayOrder'):
        cond['ignore_array_order'] = True
    return cond


def _path_from_wiremock(field, spec):
    path = spec['matchesJsonPath']
    if isinstance(path, _TEXT):
        if len(spec) > 1:
            fail(field, spec, 'matchesJsonPath takes nothing beside it')
        return {'json_path': path}
    if not isinstance(path, dict) or 'expression' not in path:
        fail(field + '.matchesJsonPath', path, 'give a JSONPath, or '
             '{"expression": "$.a", "equalTo": "x"}')
    rest = dict((k, v) for k, v in path.items() if k != 'expression')
    cond = {'json_path': path['expression']}
    if rest:
        cond['value'] = value_from_wiremock(field + '.matchesJsonPath',
                                            rest)
    return cond


def _object(field, value):
    if value is None:
        return {}
    if not isinstance(value, dict):
        fail(field, value, 'give an object of names to WireMock matchers')
    return value


def request_from_wiremock(request, field='request', methods=None):
    # type: (Any, str, Any) -> Dict[str, Any]
    """Return the match spec of WireMock request pattern *request*.

    *methods* is the method list kept in our metadata (WireMock has one
    method or ``ANY``).  Raises :class:`ConfigurationError` naming the
    first field that has no equivalent.
    """
    request = _object(field, request)
    unknown = sorted(set(request) - set(REQUEST_KEYS))
    if unknown:
        fail('%s.%s' % (field, unknown[0]), request[unknown[0]],
             'not supported; supported keys are %s' % ', '.join(REQUEST_KEYS))
    match = {}  # type: Dict[str, Any]
    method = request.get('method')
    if method not in (None, 'ANY'):
        if not isinstance(method, _TEXT) or method != method.upper():
            # WireMock compares methods exactly: "get" matches no client's
            # GET there; refused rather than matched differently here
            fail(field + '.method', method, 'WireMock compares methods '
                 'exactly, so this one would match nothing; write it in '
                 'capitals, like "GET", or "ANY"')
        match['method'] = method
    elif methods is not None:  # [] too: it matches none
        match['method'] = methods
    urls = [k for k, _ in _URLS if k in request]
    if len(urls) > 1:
        fail(field, urls, 'give one of url, urlPath, urlPattern, '
             'urlPathPattern')
    for wm, key in _URLS:
        if wm in request:
            match[key] = request[wm]
    for wm, key in (('queryParameters', 'query'), ('headers', 'headers'),
                    ('cookies', 'cookies')):
        specs = _object('%s.%s' % (field, wm), request.get(wm))
        if specs:
            match[key] = dict(
                (name, value_from_wiremock("%s.%s['%s']" % (field, wm, name),
                                           spec))
                for name, spec in specs.items())
    for name, cond in (match.get('headers') or {}).items():
        # WireMock lower-cases the request's media type before matching
        if name.lower() == 'content-type' and set(cond) == set(['equal']) \
                and cond['equal'] == cond['equal'].lower():
            cond['ignore_case'] = True
    credentials = request.get('basicAuthCredentials')
    if credentials is not None:
        _basic_auth(field + '.basicAuthCredentials', credentials, match)
    patterns = request.get('bodyPatterns')
    if patterns is not None and not isinstance(patterns, list):
        fail(field + '.bodyPatterns', patterns, 'give a list of body '
             'patterns')
    if patterns:
        match['body'] = [body_from_wiremock('%s.bodyPatterns[%d]' % (
            field, i), p) for i, p in enumerate(patterns)]
    parts = request.get('multipartPatterns')
    if parts:
        match.setdefault('body', []).append({'multipart': [
            _part_from_wiremock('%s.multipartPatterns[%d]' % (field, i), p)
            for i, p in enumerate(parts if isinstance(parts, list)
                                  else [parts])]})
    return match


def _part_from_wiremock(field, pattern):
    if not isinstance(pattern, dict) or set(pattern) - set(
            ['matchingType', 'headers', 'bodyPatterns', 'name']):
        fail(field, pattern, 'a multipart pattern takes matchingType (ANY '
             'or ALL), headers, bodyPatterns and name')
    kind = pattern.get('matchingType', 'ANY')
    if kind not in ('ANY', 'ALL'):
        fail(field + '.matchingType', kind, 'give ANY or ALL')
    part = {'match': kind.lower()}  # type: Dict[str, Any]
    headers = _object(field + '.headers', pattern.get('headers'))
    if headers:
        part['headers'] = dict(
            (name, value_from_wiremock("%s.headers['%s']" % (field, name),
                                       spec)) for name, spec in
            headers.items())
    name = pattern.get('name')
    if name is not None:  # the part's name in its Content-Disposition
        if not isinstance(name, _TEXT) or any(
                k.lower() == 'content-disposition' for k in headers):
            fail(field + '.name', name, 'give text, and no '
                 'Content-Disposition header pattern beside it')
        part.setdefault('headers', {})['Content-Disposition'] = {
            'contains': u'name="%s"' % name}
    bodies = pattern.get('bodyPatterns') or []
    if not isinstance(bodies, list):
        fail(field + '.bodyPatterns', bodies, 'give a list')
    if bodies:
        part['body'] = [body_from_wiremock('%s.bodyPatterns[%d]' % (
            field, i), b) for i, b in enumerate(bodies)]
    return part


def _basic_auth(field, credentials, match):
    if not isinstance(credentials, dict) or set(credentials) != set(
            ['username', 'password']) or not all(
            isinstance(v, _TEXT) for v in credentials.values()):
        fail(field, credentials, 'give {"username": "...", "password": '
             '"..."}')
    headers = match.setdefault('headers', {})
    if any(name.lower() == 'authorization' for name in headers):
        fail(field, credentials, 'give basicAuthCredentials or an '
             'Authorization header pattern, not both')
    pair = u'%s:%s' % (credentials['username'], credentials['password'])
    headers['Authorization'] = {'equal': u'Basic ' + base64.b64encode(
        pair.encode('utf-8')).decode('ascii')}


# -- back to WireMock's form ------------------------------------------------
def _value_to_wiremock(cond):
    if isinstance(cond, _TEXT):
        return {'equalTo': cond}
    if isinstance(cond, list):  # exact query values: WireMock 3 hasExactly
        return {'hasExactly': [{'equalTo': v} for v in cond]}
    if 'present' in cond:  # any value matches .*, even an empty one
        return {'matches': '.*'} if cond['present'] else {'absent': True}
    for wm, ours in _LIST_OPS:
        if ours in cond:
            return {wm: [_value_to_wiremock(c) for c in cond[ours]]}
    for wm, ours in _TEXT_OPS:
        if ours in cond:
            result = {wm: cond[ours]}
            if cond.get('ignore_case'):
                if ours in ('matches', 'not_matches'):
                    result[wm] = '(?i)' + cond[ours]
                else:
                    result['caseInsensitive'] = True
            return result
    raise ConfigurationError('%r has no WireMock form' % (cond,))


def _body_to_wiremock(cond, ignore_order):
    if isinstance(cond, (bytes, six.text_type)):
        cond = {'equal': cond}
    for key in ('json', 'json_subset'):
        if key in cond:
            document = cond[key]
            # body_from_wiremock reads a string equalToJson as JSON text, so
            # a document that is a string is written as such a text
            if isinstance(document, _TEXT):
                document = jsonlib.dumps(document)
            result = {'equalToJson': document}
            if key == 'json_subset':
                result['ignoreExtraElements'] = True
            if cond.get('ignore_array_order', ignore_order):
                result['ignoreArrayOrder'] = True
            return result
    if 'json_path' in cond:
        if cond.get('value') is None:
            return {'matchesJsonPath': cond['json_path']}
        inner = _value_to_wiremock(cond['value'])
        inner['expression'] = cond['json_path']
        return {'matchesJsonPath': inner}
    if 'and' in cond or 'or' in cond:
        op = 'and' if 'and' in cond else 'or'
        return {op: [_body_to_wiremock(c, ignore_order) for c in cond[op]]}
    if 'base64' in cond:
        return {'binaryEqualTo': cond['base64']}
    if isinstance(cond.get('equal'), bytes):
        try:
            return {'equalTo': cond['equal'].decode('utf-8')}
        except UnicodeDecodeError:
            return {'binaryEqualTo': base64.b64encode(
                cond['equal']).decode('ascii')}
    value = _value_to_wiremock(cond)
    for key in ('contains', 'doesNotContain'):
        if isinstance(value.get(key), bytes):
            value[key] = value[key].decode('utf-8', 'replace')
    return value


def _part_to_wiremock(part):
    result = {'matchingType': part.get('match', 'any').upper()}
    if part.get('headers'):
        result['headers'] = dict((name, _value_to_wiremock(cond)) for
                                 name, cond in part['headers'].items())
    bodies = part.get('body') or []
    if bodies:
        result['bodyPatterns'] = [_body_to_wiremock(b, False) for b in
                                  (bodies if isinstance(bodies, list)
                                   else [bodies])]
    return result


def request_to_wiremock(match):
    # type: (Dict[str, Any]) -> Dict[str, Any]
    """Return match spec *match* as a WireMock request pattern.

    ``path_prefix`` becomes a ``urlPathPattern``; a method list becomes
    ``ANY`` (the caller keeps the list in metadata).
    """
    method = match.get('method')
    # None only: a method '' (or []) matches no request, unlike ANY
    request = {'method': 'ANY' if method is None else method}
    if isinstance(method, list):
        request['method'] = method[0] if len(method) == 1 else 'ANY'
    # ours match in capitals whatever the case given; WireMock's exactly
    request['method'] = request['method'].upper()
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
            request[wm] = dict((name, _value_to_wiremock(cond))
                               for name, cond in match[ours].items())
    ignore = match.get('ignore_array_order', False)
    bodies = match.get('body')
    bodies = [] if bodies is None else bodies if isinstance(
        bodies, list) else [bodies]
    parts = [b['multipart'] for b in bodies
             if isinstance(b, dict) and 'multipart' in b]
    bodies = [_body_to_wiremock(b, ignore) for b in bodies
              if not (isinstance(b, dict) and 'multipart' in b)]
    if parts:
        request['multipartPatterns'] = [_part_to_wiremock(p) for group in
                                        parts for p in group]
    for key in ('json', 'json_subset'):
        if key in match:
            bodies.append(_body_to_wiremock({key: match[key]}, ignore))
    if bodies:
        request['bodyPatterns'] = bodies
    return request
