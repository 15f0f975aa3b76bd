"""Stubs as data: request matchers and route descriptions as plain JSON.

A *match spec* is a dict that says which requests a stub answers (method,
path, query, headers, cookies, body); :class:`Matcher` checks one against a
recorded request dict.  A *stub* is a JSON-able dict ``{"match": {...},
"response": {...}, "times": ..., "priority": ..., "id": ...}`` that can
cross a process boundary and live in a file.  WireMock's stub-mapping JSON is
converted to and from stubs (:func:`from_wiremock`, :func:`to_wiremock`) and
loaded from files or directories (:func:`load_stubs`).

Pure: no sockets, threads or locks; imports only errors, headers, six and the
standard library.  Every function is thread-safe and raises
:class:`~httptestserver.errors.ConfigurationError` naming the field, the bad
value and the fix.
"""
import base64
import binascii
import json as jsonlib
import os
import re
import uuid

import six

from .errors import ConfigurationError

__all__ = ['Matcher', 'normalise_stub', 'from_wiremock', 'to_wiremock',
           'load_stubs', 'dump_stubs', 'response_spec', 'MATCH_KEYS']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List, Optional  # noqa: F401

#: The keys a match spec may hold.
MATCH_KEYS = ('method', 'path', 'path_pattern', 'path_prefix', 'url_pattern',
              'query', 'headers', 'cookies', 'body', 'json', 'json_subset',
              'ignore_array_order')
#: The operators of a value condition (query, header, cookie, body).
VALUE_OPS = ('equal', 'contains', 'matches', 'present')
#: Extra operators of a body condition.
BODY_OPS = ('equal', 'base64', 'contains', 'matches', 'json', 'json_subset')
#: The keys a stub's response may hold.
RESPONSE_KEYS = ('status', 'headers', 'body', 'body_base64', 'json',
                 'cookies', 'delay', 'fault')
STUB_KEYS = ('id', 'name', 'match', 'response', 'times', 'priority')
#: WireMock's fault names (``response.fault``).
FAULTS = ('CONNECTION_RESET_BY_PEER', 'EMPTY_RESPONSE',
          'MALFORMED_RESPONSE_CHUNK', 'RANDOM_DATA_THEN_CLOSE')
#: The server's name (:mod:`httptestserver.faults`) for each.
FAULT_NAMES = {'CONNECTION_RESET_BY_PEER': 'reset', 'EMPTY_RESPONSE': 'empty',
               'MALFORMED_RESPONSE_CHUNK': 'malformed_chunk',
               'RANDOM_DATA_THEN_CLOSE': 'garbage'}
_TEXT = six.string_types


def _fail(field, value, fix):
    raise ConfigurationError('%s: %r is not usable; %s' % (field, value, fix))


def _compile(field, pattern):
    if not isinstance(pattern, _TEXT):
        _fail(field, pattern, 'give a regular expression as a string')
    try:
        compiled = re.compile(pattern, re.DOTALL)
    except re.error as exc:
        _fail(field, pattern, 'it is not a valid regular expression (%s)'
              % exc)
    if hasattr(compiled, 'fullmatch'):
        return compiled.fullmatch
    # Python 2: no fullmatch.
    return re.compile('(?:%s)\\Z' % pattern, re.DOTALL).match


# -- value conditions ------------------------------------------------------
class _Value(object):
    """One condition on a text value: equal, contains, matches, present."""

    def __init__(self, field, spec, ops=VALUE_OPS):
        if isinstance(spec, _TEXT):
            spec = {'equal': spec}
        if not isinstance(spec, dict):
            _fail(field, spec, 'give a string (equal) or a dict with one of '
                  '%s' % ', '.join(ops))
        given = [op for op in ops if op in spec]
        unknown = set(spec) - set(ops) - set(['ignore_case'])
        if unknown or len(given) != 1:
            _fail(field, spec, 'give exactly one of %s (and optionally '
                  'ignore_case)' % ', '.join(ops))
        self.op = given[0]
        self.arg = spec[self.op]
        self.ignore_case = bool(spec.get('ignore_case'))
        if self.op == 'present':
            if not isinstance(self.arg, bool):
                _fail(field + '.present', self.arg, 'give true or false')
        elif self.op == 'matches':
            flags = '(?i)' if self.ignore_case else ''
            self._regex = _compile(field + '.matches', flags + self.arg)
        elif not isinstance(self.arg, _TEXT):
            _fail(field + '.' + self.op, self.arg, 'give a string')
        self.spec = dict(spec)

    def test(self, values):
        """Return True if any of *values* (a list, maybe empty) passes."""
        if self.op == 'present':
            return bool(values) == self.arg
        return any(self.test_one(value) for value in values)

    def test_one(self, value):
        if self.op == 'matches':
            return bool(self._regex(value))
        arg = self.arg
        if self.ignore_case:
            arg, value = arg.lower(), value.lower()
        if self.op == 'equal':
            return value == arg
        return arg in value

    def __repr__(self):
        return '%s %r' % (self.op, self.arg)


class _Body(object):
    """One condition on the request body."""

    def __init__(self, field, spec, ignore_order=False):
        if isinstance(spec, (bytes, six.text_type)):
            spec = {'equal': spec}
        if not isinstance(spec, dict):
            _fail(field, spec, 'give text (equal) or a dict with one of %s'
                  % ', '.join(BODY_OPS))
        given = [op for op in BODY_OPS if op in spec]
        unknown = set(spec) - set(BODY_OPS) - set(['ignore_array_order',
                                                    'ignore_case'])
        if unknown or len(given) != 1:
            _fail(field, spec, 'give exactly one of %s' % ', '.join(BODY_OPS))
        self.op = given[0]
        self.arg = spec[self.op]
        self.ignore_order = bool(spec.get('ignore_array_order', ignore_order))
        self.spec = dict(spec)
        if self.op == 'base64':
            self.op, self.arg = 'equal', _b64decode(field + '.base64',
                                                    self.arg)
        if self.op in ('equal', 'contains'):
            if isinstance(self.arg, six.text_type):
                self.arg = self.arg.encode('utf-8')
            if not isinstance(self.arg, bytes):
                _fail(field + '.' + self.op, self.arg, 'give text or bytes')
        elif self.op == 'matches':
            flags = '(?i)' if spec.get('ignore_case') else ''
            self._regex = _compile(field + '.matches', flags + self.arg)

    def explain(self, request):
        body = request.get('body') or b''
        if self.op == 'equal':
            ok = body == self.arg
        elif self.op == 'contains':
            ok = self.arg in body
        elif self.op == 'matches':
            ok = bool(self._regex(body.decode('utf-8', 'replace')))
        else:
            document = request.get('json')
            if document is None:
                try:
                    document = jsonlib.loads(body.decode('utf-8'))
                except ValueError:
                    return 'the body is not JSON'
            ok = json_matches(self.arg, document,
                              subset=self.op == 'json_subset',
                              ignore_order=self.ignore_order)
        if ok:
            return None
        return 'body does not satisfy %s %r' % (self.op, self.arg)


def _b64decode(field, text):
    try:
        return base64.b64decode(text.encode('ascii') if isinstance(
            text, six.text_type) else text)
    except (TypeError, ValueError, binascii.Error, AttributeError):
        _fail(field, text, 'give the bytes as base64 text')


def json_matches(expected, actual, subset=False, ignore_order=False):
    """Return True if JSON value *actual* matches *expected*.

    ``subset`` ignores object members *actual* has beyond *expected*'s (at
    every depth); ``ignore_order`` compares arrays as multisets.  Numbers
    compare by value (``1 == 1.0``) but never equal booleans.
    """
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        if not subset and set(expected) != set(actual):
            return False
        return all(key in actual and json_matches(
            value, actual[key], subset, ignore_order)
            for key, value in expected.items())
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(expected) != len(actual):
            return False
        if not ignore_order:
            return all(json_matches(e, a, subset, ignore_order)
                       for e, a in zip(expected, actual))
        unused = list(actual)
        for item in expected:
            for index, candidate in enumerate(unused):
                if json_matches(item, candidate, subset, ignore_order):
                    del unused[index]
                    break
            else:
                return False
        return True
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    return expected == actual


# -- the matcher --------------------------------------------------------------
class Matcher(object):
    """A request matcher built from a match *spec* dict (JSON-able).

    Keys, all optional (an empty spec matches every request):

    ``method``
        a method or a list of them (``"ANY"``: any).
    ``path``
        the exact path; compared with the query when it holds ``?``.
    ``path_pattern``, ``url_pattern``
        a regular expression that must match the whole path, without
        (``path_pattern``) or with (``url_pattern``) the query.
    ``path_prefix``
        the path starts with this.
    ``query``, ``headers``, ``cookies``
        name -> condition: a string (equal), or a dict with one of
        ``equal``, ``contains``, ``matches`` (a regular expression matching
        the whole value), ``present`` (true/false), plus optionally
        ``ignore_case``.  For ``query``, a list of strings must equal the
        values exactly.  A condition holds if any value of that name
        satisfies it.  Header names ignore case.
    ``body``
        a condition (or a list, all must hold): text or bytes (equal), or a
        dict with one of ``equal``, ``base64`` (equal to those bytes),
        ``contains``, ``matches``, ``json`` (JSON equal), ``json_subset``
        (JSON equal ignoring extra object members), plus optionally
        ``ignore_array_order``.
    ``json``, ``json_subset``
        shorthands for a body condition; ``ignore_array_order`` applies to
        them.

    Raises :class:`ConfigurationError` for a bad spec.  Immutable and
    thread-safe once built.
    """

    def __init__(self, spec=None, field='match'):
        spec = {} if spec is None else spec
        if isinstance(spec, Matcher):
            spec = spec.spec
        if not isinstance(spec, dict):
            _fail(field, spec, 'give a dict with keys from %s'
                  % ', '.join(MATCH_KEYS))
        unknown = sorted(set(spec) - set(MATCH_KEYS))
        if unknown:
            _fail("%s['%s']" % (field, unknown[0]), spec[unknown[0]],
                  'the keys a match may hold are %s' % ', '.join(MATCH_KEYS))
        self.spec = dict(spec)
        self._field = field
        method = spec.get('method')
        if method is None or method == 'ANY':
            self.methods = None
        elif isinstance(method, _TEXT):
            self.methods = frozenset([str(method).upper()])
        elif isinstance(method, (list, tuple)) and all(
                isinstance(m, _TEXT) for m in method):
            self.methods = frozenset(str(m).upper() for m in method)
        else:
            _fail(field + '.method', method, 'give "GET" or a list of '
                  'methods like ["GET", "HEAD"]')
        paths = [k for k in ('path', 'path_prefix', 'path_pattern',
                             'url_pattern') if spec.get(k) is not None]
        if len(paths) > 1:
            _fail(field, dict((k, spec[k]) for k in paths),
                  'give one of path, path_prefix, path_pattern and '
                  'url_pattern (as WireMock takes one URL matcher)')
        self.path = self._text('path', spec.get('path'))
        if self.path is not None and not self.path.startswith('/'):
            _fail(field + '.path', self.path, 'a path starts with "/"')
        self.path_prefix = self._text('path_prefix', spec.get('path_prefix'))
        self._path_pattern = self._url_pattern = None
        if spec.get('path_pattern') is not None:
            self._path_pattern = _compile(field + '.path_pattern',
                                          spec['path_pattern'])
        if spec.get('url_pattern') is not None:
            self._url_pattern = _compile(field + '.url_pattern',
                                         spec['url_pattern'])
        self.query = self._conditions('query', spec.get('query'), True)
        self.headers = self._conditions('headers', spec.get('headers'))
        self.cookies = self._conditions('cookies', spec.get('cookies'))
        ignore = spec.get('ignore_array_order', False)
        if not isinstance(ignore, bool):
            _fail(field + '.ignore_array_order', ignore, 'give true or false')
        bodies = spec.get('body')
        if bodies is None:
            bodies = []
        elif not isinstance(bodies, list):
            bodies = [bodies]
        self.bodies = [_Body('%s.body[%d]' % (field, i), b, ignore)
                       for i, b in enumerate(bodies)]
        for key in ('json', 'json_subset'):
            if key in spec:
                self.bodies.append(_Body('%s.%s' % (field, key),
                                         {key: spec[key]}, ignore))

    def _text(self, key, value):
        if value is None or isinstance(value, _TEXT):
            return None if value is None else str(value) if six.PY3 \
                else value
        _fail('%s.%s' % (self._field, key), value, 'give a string')

    def _conditions(self, key, spec, lists=False):
        if spec is None:
            return []
        if not isinstance(spec, dict):
            _fail('%s.%s' % (self._field, key), spec,
                  'give a dict of name -> condition')
        result = []
        for name, cond in sorted(spec.items()):
            field = "%s.%s['%s']" % (self._field, key, name)
            if lists and isinstance(cond, list):
                if not all(isinstance(v, _TEXT) for v in cond):
                    _fail(field, cond, 'give a list of strings')
                result.append((name, list(cond)))
            else:
                result.append((name, _Value(field, cond)))
        return result

    def matches(self, request):
        # type: (Dict[str, Any]) -> bool
        """Return True if the recorded *request* dict satisfies the spec."""
        return self.explain(request) is None

    __call__ = matches

    def explain(self, request):
        # type: (Dict[str, Any]) -> Optional[str]
        """Return why *request* does not match (one reason), or None."""
        method = request.get('method')
        if self.methods is not None and method not in self.methods:
            return 'method %s is not %s' % (method,
                                            '|'.join(sorted(self.methods)))
        url_path = request.get('url_path') or ''
        full = request.get('path') or ''
        if self.path is not None and self.path != (
                full if '?' in self.path else url_path):
            return 'path %s is not %s' % (full, self.path)
        if self.path_prefix is not None and \
                not url_path.startswith(self.path_prefix):
            return 'path %s does not start with %s' % (url_path,
                                                       self.path_prefix)
        if self._path_pattern is not None and \
                not self._path_pattern(url_path):
            return 'path %s does not match %s' % (
                url_path, self.spec['path_pattern'])
        if self._url_pattern is not None and not self._url_pattern(full):
            return 'url %s does not match %s' % (full,
                                                 self.spec['url_pattern'])
        query = request.get('query') or {}
        for name, cond in self.query:
            values = query.get(name) or []
            if (values != cond) if isinstance(cond, list) \
                    else not cond.test(values):
                return 'query %s=%r does not satisfy %r' % (name, values,
                                                            cond)
        headers = request.get('headers')  # type: Any
        for name, cond in self.headers:
            values = (headers.get_all(name) if hasattr(headers, 'get_all')
                      else _get_all(headers or {}, name)) or []
            if not cond.test(values):
                return 'header %s=%r does not satisfy %r' % (name, values,
                                                             cond)
        cookies = request.get('cookies') or {}
        for name, cond in self.cookies:
            values = [cookies[name]] if name in cookies else []
            if not cond.test(values):
                return 'cookie %s=%r does not satisfy %r' % (name, values,
                                                             cond)
        for body in self.bodies:
            reason = body.explain(request)
            if reason:
                return reason
        return None

    def describe(self):
        """Return a short one-line description of the spec."""
        parts = ['|'.join(sorted(self.methods)) if self.methods else 'ANY']
        for key in ('path', 'path_prefix', 'path_pattern', 'url_pattern'):
            if self.spec.get(key) is not None:
                parts.append(('%s' if key == 'path' else key + '=%s')
                             % self.spec[key])
        for key in ('query', 'headers', 'cookies', 'body', 'json',
                    'json_subset'):
            if self.spec.get(key) is not None:
                parts.append('%s=%s' % (key, _compact(self.spec[key])))
        return ' '.join(parts)

    def __repr__(self):
        return '<Matcher %s>' % self.describe()


def _get_all(headers, name):
    lowered = name.lower()
    return [v for k, v in getattr(headers, 'items', lambda: headers)()
            if k.lower() == lowered]


def _compact(value):
    try:
        return jsonlib.dumps(value, sort_keys=True, separators=(',', ':'))
    except (TypeError, ValueError):
        return repr(value)


# -- stubs --------------------------------------------------------------------
def normalise_stub(stub, field='stub'):
    # type: (Dict[str, Any], str) -> Dict[str, Any]
    """Check a stub dict and return a normalised copy with an ``id``.

    A stub is ``{"match": {...}, "response": {...}}`` plus optional
    ``times`` (answers before it falls through), ``priority`` (lower first,
    default 5 as in WireMock), ``name`` and ``id``.  Response keys: ``status``,
    ``headers`` (dict, or list of pairs), ``body`` (text), ``body_base64``,
    ``json``, ``cookies``, ``delay`` (seconds), ``fault`` (a WireMock fault
    name).  Raises :class:`ConfigurationError` naming the field.
    """
    if not isinstance(stub, dict):
        _fail(field, stub, 'give a dict like {"match": {"path": "/x"}, '
              '"response": {"status": 200}}')
    unknown = sorted(set(stub) - set(STUB_KEYS))
    if unknown:
        _fail("%s['%s']" % (field, unknown[0]), stub[unknown[0]],
              'the keys a stub may hold are %s' % ', '.join(STUB_KEYS))
    result = dict(stub)
    result['id'] = str(stub.get('id') or uuid.uuid4())
    Matcher(stub.get('match') or {}, field + '.match')
    result['match'] = dict(stub.get('match') or {})
    result['response'] = _check_response(stub.get('response') or {},
                                         field + '.response')
    for key, low in (('times', 1), ('priority', None)):
        value = stub.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(
                value, six.integer_types) or (low is not None and
                                              value < low)):
            _fail('%s.%s' % (field, key), value, 'give a whole number%s or '
                  'null' % (' >= %d' % low if low is not None else ''))
    return result


def _check_response(response, field):
    if not isinstance(response, dict):
        _fail(field, response, 'give a dict with keys from %s'
              % ', '.join(RESPONSE_KEYS))
    unknown = sorted(set(response) - set(RESPONSE_KEYS))
    if unknown:
        _fail("%s['%s']" % (field, unknown[0]), response[unknown[0]],
              'the keys a response may hold are %s' % ', '.join(RESPONSE_KEYS))
    bodies = [k for k in ('body', 'body_base64', 'json') if
              response.get(k) is not None]
    if len(bodies) > 1:
        _fail(field, response, 'give one of body, body_base64 and json')
    status = response.get('status', 200)
    if isinstance(status, bool) or not isinstance(
            status, six.integer_types) or not 100 <= status <= 999:
        _fail(field + '.status', status, 'give an int from 100 to 999')
    if response.get('body') is not None and not isinstance(
            response['body'], _TEXT):
        _fail(field + '.body', response['body'], 'give text; use '
              'body_base64 for bytes or json for a document')
    if response.get('body_base64') is not None:
        _b64decode(field + '.body_base64', response['body_base64'])
    delay = response.get('delay')
    if delay is not None and (isinstance(delay, bool) or not isinstance(
            delay, six.integer_types + (float,)) or delay < 0):
        _fail(field + '.delay', delay, 'give seconds >= 0, e.g. 0.5')
    fault = response.get('fault')
    if fault is not None and fault not in FAULTS:
        _fail(field + '.fault', fault, 'give one of %s' % ', '.join(FAULTS))
    headers = response.get('headers')
    if headers is not None:
        _header_pairs(headers, field + '.headers')
    cookies = response.get('cookies')
    if cookies is not None and not isinstance(cookies, dict):
        _fail(field + '.cookies', cookies, 'give a dict of name -> value')
    return dict(response)


def _header_pairs(headers, field):
    if isinstance(headers, dict):
        pairs = []
        for name, value in headers.items():
            for item in (value if isinstance(value, list) else [value]):
                pairs.append((name, item))
    elif isinstance(headers, list) and all(
            isinstance(p, (list, tuple)) and len(p) == 2 for p in headers):
        pairs = [tuple(p) for p in headers]
    else:
        _fail(field, headers, 'give a dict of name -> value (or list of '
              'values), or a list of [name, value] pairs')
    for name, value in pairs:
        if not isinstance(name, _TEXT) or not isinstance(
                value, _TEXT + six.integer_types + (float,)):
            _fail("%s['%s']" % (field, name), value, 'give text')
    return [(str(n), str(v)) for n, v in pairs]


def response_spec(stub):
    # type: (Dict[str, Any]) -> Dict[str, Any]
    """Return a stub's response as the keywords ``Server.route`` takes.

    ``status``, ``headers`` (pairs), ``body`` (bytes) or ``json``,
    ``cookies`` and ``delay``; a WireMock ``fault`` becomes the server's
    fault of the same effect (``CONNECTION_RESET_BY_PEER``: ``'reset'``...).
    """
    response = _check_response(stub.get('response') or {}, 'stub.response')
    spec = {'status': response.get('status', 200),
            'headers': _header_pairs(response.get('headers') or {},
                                     'headers')}
    if response.get('json') is not None:
        spec['json'] = response['json']
    elif response.get('body_base64') is not None:
        spec['body'] = _b64decode('body_base64', response['body_base64'])
    else:
        spec['body'] = (response.get('body') or u'').encode('utf-8')
    for key in ('cookies', 'delay'):
        if response.get(key) is not None:
            spec[key] = response[key]
    if response.get('fault') is not None:
        spec['fault'] = FAULT_NAMES[response['fault']]
    return spec


# -- WireMock -----------------------------------------------------------------
_WM_URLS = (('url', 'path'), ('urlPath', 'path'),
            ('urlPattern', 'url_pattern'), ('urlPathPattern', 'path_pattern'))
_WM_REQUEST = ('method', 'url', 'urlPath', 'urlPattern', 'urlPathPattern',
               'queryParameters', 'headers', 'cookies', 'bodyPatterns')
_WM_RESPONSE = ('status', 'headers', 'body', 'jsonBody', 'base64Body',
                'fixedDelayMilliseconds', 'fault', 'statusMessage')
_WM_TOP = ('id', 'uuid', 'name', 'request', 'response', 'priority',
           'persistent', 'metadata')


def _wm_value(field, spec):
    if not isinstance(spec, dict):
        _fail(field, spec, 'give a WireMock matcher such as {"equalTo": "x"}')
    if list(spec) == ['hasExactly'] and isinstance(spec['hasExactly'], list) \
            and all(isinstance(v, dict) and list(v) == ['equalTo']
                    for v in spec['hasExactly']):
        return [v['equalTo'] for v in spec['hasExactly']]
    ops = {'equalTo': 'equal', 'contains': 'contains', 'matches': 'matches'}
    known = set(ops) | set(['absent', 'caseInsensitive'])
    unknown = sorted(set(spec) - known)
    if unknown:
        _fail('%s.%s' % (field, unknown[0]), spec[unknown[0]],
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
    _fail(field, spec, 'give one of equalTo, contains, matches, absent')


def _wm_body(field, spec):
    if not isinstance(spec, dict):
        _fail(field, spec, 'give a body pattern like {"equalTo": "x"}')
    if 'equalToJson' in spec:
        unknown = sorted(set(spec) - set(['equalToJson', 'ignoreArrayOrder',
                                          'ignoreExtraElements']))
        if unknown:
            _fail('%s.%s' % (field, unknown[0]), spec[unknown[0]],
                  'equalToJson takes ignoreArrayOrder and '
                  'ignoreExtraElements only')
        document = spec['equalToJson']
        if isinstance(document, _TEXT):
            try:
                document = jsonlib.loads(document)
            except ValueError as exc:
                _fail(field + '.equalToJson', document, 'it is not JSON (%s)'
                      % exc)
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
        _fail(field, spec, 'supported body patterns are equalTo, '
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
        _fail(field, mapping, 'give a WireMock stub mapping object')
    unknown = sorted(set(mapping) - set(_WM_TOP))
    if unknown:
        _fail('%s.%s' % (field, unknown[0]), mapping[unknown[0]],
              'not supported; supported keys are %s' % ', '.join(_WM_TOP))
    request = mapping.get('request') or {}
    unknown = sorted(set(request) - set(_WM_REQUEST))
    if unknown:
        _fail('%s.request.%s' % (field, unknown[0]), request[unknown[0]],
              'not supported; supported keys are %s' % ', '.join(_WM_REQUEST))
    match = {}
    extra = (mapping.get('metadata') or {}).get('httptestserver') or {}
    if request.get('method') not in (None, 'ANY'):
        match['method'] = request['method']
    elif extra.get('methods'):
        match['method'] = extra['methods']
    urls = [k for k, _ in _WM_URLS if k in request]
    if len(urls) > 1:
        _fail(field + '.request', urls, 'give one of url, urlPath, '
              'urlPattern, urlPathPattern')
    for wm, key in _WM_URLS:
        if wm in request:
            match[key] = request[wm]
    for wm, key in (('queryParameters', 'query'), ('headers', 'headers'),
                    ('cookies', 'cookies')):
        if request.get(wm):
            match[key] = dict(
                (name, _wm_value("%s.request.%s['%s']" % (field, wm, name),
                                 spec))
                for name, spec in request[wm].items())
    patterns = request.get('bodyPatterns')
    if patterns:
        match['body'] = [_wm_body('%s.request.bodyPatterns[%d]' % (field, i),
                                  p) for i, p in enumerate(patterns)]
    response = mapping.get('response') or {}
    unknown = sorted(set(response) - set(_WM_RESPONSE))
    if unknown:
        _fail('%s.response.%s' % (field, unknown[0]), response[unknown[0]],
              'not supported (inline bodyFileName as body; no templates); '
              'supported keys are %s' % ', '.join(_WM_RESPONSE))
    ours = {}
    for wm, key in (('status', 'status'), ('headers', 'headers'),
                    ('body', 'body'), ('jsonBody', 'json'),
                    ('base64Body', 'body_base64'), ('fault', 'fault')):
        if response.get(wm) is not None:
            ours[key] = response[wm]
    if response.get('fixedDelayMilliseconds') is not None:
        ours['delay'] = response['fixedDelayMilliseconds'] / 1000.0
    if extra.get('cookies'):
        ours['cookies'] = extra['cookies']
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
            result = {'equalToJson': cond[key]}
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
    request = {'method': match.get('method') or 'ANY'}
    if isinstance(request['method'], list):
        if len(request['method']) == 1:
            request['method'] = request['method'][0]
        else:  # WireMock has no method list: ANY, and ours in metadata
            request['method'] = 'ANY'
    if match.get('path') is not None:
        request['url' if '?' in match['path'] else 'urlPath'] = match['path']
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
        for name, value in _header_pairs(ours['headers'], 'headers'):
            if name in headers:
                previous = headers[name]
                headers[name] = (previous if isinstance(previous, list)
                                 else [previous]) + [value]
            else:
                headers[name] = value
        response['headers'] = headers
    for key, wm in (('body', 'body'), ('json', 'jsonBody'),
                    ('body_base64', 'base64Body'), ('fault', 'fault')):
        if ours.get(key) is not None:
            response[wm] = ours[key]
    if ours.get('delay') is not None:
        response['fixedDelayMilliseconds'] = int(round(ours['delay'] * 1000))
    mapping = {'id': stub['id'], 'request': request, 'response': response}
    for key in ('name', 'priority'):
        if stub.get(key) is not None:
            mapping[key] = stub[key]
    extra = {}
    if stub.get('times') is not None:
        extra['times'] = stub['times']
    if isinstance(match.get('method'), list) and len(match['method']) > 1:
        extra['methods'] = match['method']
    if ours.get('cookies'):
        extra['cookies'] = ours['cookies']
    if extra:
        mapping['metadata'] = {'httptestserver': extra}
    return mapping


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
                document = jsonlib.loads(handle.read().decode('utf-8'))
        except (IOError, OSError, ValueError) as exc:
            raise ConfigurationError('stubs file %s cannot be read as JSON: '
                                     '%s' % (name, exc))
        stubs.extend(parse_mappings(document, name))
    return sort_stubs(stubs)


def parse_mappings(document, source='document'):
    """Return the stubs of one JSON document: a mapping, or
    ``{"mappings": [...]}``."""
    if isinstance(document, dict) and 'mappings' in document:
        items = document['mappings']
        if not isinstance(items, list):
            _fail(source + ': mappings', items, 'give a list of mappings')
        return [to_stub(m, '%s: mappings[%d]' % (source, i))
                for i, m in enumerate(items)]
    return [to_stub(document, source + ': mapping')]


def sort_stubs(stubs):
    """Return *stubs* sorted by priority (lower first, stable, default 5)."""
    return sorted(stubs, key=lambda s: 5 if s.get('priority') is None
                  else s['priority'])


def dump_stubs(stubs):
    # type: (List[Dict[str, Any]]) -> Dict[str, Any]
    """Return ``{"mappings": [...]}`` in WireMock's form, for a file."""
    return {'mappings': [to_wiremock(stub) for stub in stubs]}
