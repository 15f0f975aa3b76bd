"""Conditions on one part of a request: a text value, or the body.

A match spec (:mod:`httptestserver.answers.matchers`) names the parts of a
request; this module owns what may be said about each.  :class:`Value` is a
condition on a query parameter, header or cookie (``equal``, ``contains``,
``matches``, ``present``, their negations ``not_contains`` and
``not_matches``, ``has_exactly`` and ``includes`` for all the values of a
name, and ``and``/``or`` of conditions); :class:`Body` one on the body
(those, plus ``base64``, ``json``, ``json_subset``, ``json_path`` and
``and``/``or``).  WireMock's matchers map onto them one to one
(:mod:`httptestserver.remote.wiremock`).

Pure: no sockets, threads or locks.  Built conditions are immutable and
thread-safe; building raises
:class:`~httptestserver.errors.ConfigurationError` naming the field, the
bad value and the fix.
"""
import base64
import binascii
import json as jsonlib

import six

from ..errors import ConfigurationError
from .json_matching import json_matches
from .json_matching import select
from .patterns import MAX_SUBJECT, compile_pattern

__all__ = ['Value', 'Body', 'VALUE_OPS', 'BODY_OPS', 'b64decode', 'fail']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, NoReturn  # noqa: F401

_TEXT = six.string_types
#: The operators of a value condition (query, header, cookie).
VALUE_OPS = ('equal', 'contains', 'matches', 'present', 'not_contains',
             'not_matches', 'has_exactly', 'includes', 'and', 'or')
#: The operators of a body condition.
BODY_OPS = ('equal', 'base64', 'contains', 'matches', 'not_contains',
            'not_matches', 'present', 'json', 'json_subset', 'json_path',
            'multipart', 'and', 'or')
_LISTS = ('has_exactly', 'includes', 'and', 'or')
#: Options a body condition may carry beside its operator.
BODY_OPTIONS = ('ignore_array_order', 'ignore_case', 'ignore_extra_items',
                'placeholders', 'value')


def fail(field, value, fix):
    # type: (str, Any, str) -> NoReturn
    """Raise :class:`ConfigurationError` saying *field*'s *value* is not
    usable and how to fix it (shared with the stubs and wiremock modules)."""
    raise ConfigurationError('%s: %r is not usable; %s' % (field, value, fix))


def b64decode(field, text):
    """Return the bytes of base64 *text*, or fail naming *field*."""
    try:
        return base64.b64decode(text.encode('ascii') if isinstance(
            text, six.text_type) else text)
    except (TypeError, ValueError, binascii.Error, AttributeError):
        fail(field, text, 'give the bytes as base64 text')


def _flagged(pattern, ignore_case):
    if ignore_case and isinstance(pattern, _TEXT):
        return '(?i)' + pattern
    return pattern


def _one_op(field, spec, ops, options):
    given = [op for op in ops if op in spec]
    unknown = set(spec) - set(ops) - set(options)
    if unknown or len(given) != 1:
        fail(field, spec, 'give exactly one of %s (and optionally %s)'
             % (', '.join(ops), ', '.join(options)))
    return given[0]


class Value(object):
    """One condition on a text value; see the module docstring."""

    def __init__(self, field, spec, untrusted=False):
        if isinstance(spec, _TEXT):
            spec = {'equal': spec}
        if not isinstance(spec, dict):
            fail(field, spec, 'give a string (equal) or a dict with one of '
                 '%s' % ', '.join(VALUE_OPS))
        self.op = _one_op(field, spec, VALUE_OPS, ('ignore_case',))
        self.arg = spec[self.op]
        self.ignore_case = bool(spec.get('ignore_case'))
        if self.op == 'present':
            if not isinstance(self.arg, bool):
                fail(field + '.present', self.arg, 'give true or false')
        elif self.op in _LISTS:
            if not isinstance(self.arg, list) or not self.arg:
                fail('%s.%s' % (field, self.op), self.arg,
                     'give a non-empty list of conditions')
            self.parts = [Value('%s.%s[%d]' % (field, self.op, i), c,
                                untrusted) for i, c in enumerate(self.arg)]
        elif self.op in ('matches', 'not_matches'):
            self._regex = compile_pattern('%s.%s' % (field, self.op),
                                          _flagged(self.arg,
                                                   self.ignore_case),
                                          untrusted)
        elif not isinstance(self.arg, _TEXT):
            fail(field + '.' + self.op, self.arg, 'give a string')
        self.spec = dict(spec)

    def test(self, values):
        """Return True if *values* (all the values of a name, maybe none)
        pass: ``present`` looks at whether there are any, ``has_exactly``
        and ``includes`` at all of them, the others at any one (a negated
        condition holds when there are none)."""
        if self.op == 'present':
            return bool(values) == self.arg
        if self.op == 'includes':
            return all(any(p.test_one(v) for v in values)
                       for p in self.parts)
        if self.op == 'has_exactly':
            return len(values) == len(self.parts) and _pairs(
                self.parts, list(values))
        if not values and self.op in ('not_contains', 'not_matches'):
            return True  # nothing to contain it: WireMock's rule
        return any(self.test_one(value) for value in values)

    def test_one(self, value):
        """Return True if the one *value* passes."""
        if self.op in ('matches', 'not_matches'):
            return bool(self._regex(value)) == (self.op == 'matches')
        if self.op == 'present':
            return self.arg
        if self.op in ('and', 'has_exactly', 'includes'):
            return all(p.test_one(value) for p in self.parts)
        if self.op == 'or':
            return any(p.test_one(value) for p in self.parts)
        arg = self.arg
        if self.ignore_case:
            arg, value = arg.lower(), value.lower()
        if self.op == 'equal':
            return value == arg
        return (arg in value) == (self.op == 'contains')

    def __repr__(self):
        return '%s %r' % (self.op, self.arg)


def _pairs(parts, values):
    """True if each condition takes a value of its own (in any order)."""
    if not parts:
        return not values
    first, rest = parts[0], parts[1:]
    return any(first.test_one(v) and _pairs(rest, values[:i] + values[i + 1:])
               for i, v in enumerate(values))


class Body(object):
    """One condition on the request body; see the module docstring.

    ``json`` and ``json_subset`` take ``ignore_array_order``,
    ``ignore_extra_items`` (extra array items are ignored too, as
    WireMock's ``ignoreExtraElements``) and ``placeholders`` (JsonUnit's
    ``${json-unit.any-string}`` ...); ``json_path`` takes a ``value``
    condition on what the path selects.
    """

    def __init__(self, field, spec, ignore_order=False, untrusted=False):
        if isinstance(spec, (bytes, six.text_type)):
            spec = {'equal': spec}
        if not isinstance(spec, dict):
            fail(field, spec, 'give text (equal) or a dict with one of %s'
                 % ', '.join(BODY_OPS))
        self.op = _one_op(field, spec, BODY_OPS, BODY_OPTIONS)
        self.arg = spec[self.op]
        self.ignore_order = bool(spec.get('ignore_array_order', ignore_order))
        self.spec = dict(spec)
        self.limit = MAX_SUBJECT if untrusted else None
        if self.op == 'base64':
            self.op, self.arg = 'equal', b64decode(field + '.base64',
                                                   self.arg)
        if self.op in ('equal', 'contains', 'not_contains'):
            if isinstance(self.arg, six.text_type):
                self.arg = self.arg.encode('utf-8')
            if not isinstance(self.arg, bytes):
                fail(field + '.' + self.op, self.arg, 'give text or bytes')
            if spec.get('ignore_case'):
                self.arg = self.arg.lower()
        elif self.op in ('matches', 'not_matches'):
            self._regex = compile_pattern('%s.%s' % (field, self.op),
                                          _flagged(self.arg,
                                                   spec.get('ignore_case')),
                                          untrusted)
        elif self.op == 'present':
            if not isinstance(self.arg, bool):
                fail(field + '.present', self.arg, 'give true or false')
        elif self.op in ('and', 'or'):
            if not isinstance(self.arg, list) or not self.arg:
                fail('%s.%s' % (field, self.op), self.arg,
                     'give a non-empty list of body conditions')
            self.parts = [Body('%s.%s[%d]' % (field, self.op, i), c,
                               ignore_order, untrusted)
                          for i, c in enumerate(self.arg)]
        elif self.op == 'multipart':
            self.parts = _part_conditions(field + '.multipart', self.arg,
                                          untrusted)
        elif self.op == 'json_path':
            select(self.arg, {}, field + '.json_path')  # checks the path
            self.value = None
            if spec.get('value') is not None:
                self.value = Value(field + '.value', spec['value'],
                                   untrusted)

    def explain(self, request):
        """Return why *request*'s body fails (one reason), or None."""
        if self.test(request):
            return None
        if self.op in ('matches', 'not_matches') and self.limit is not None \
                and len(request.get('body') or b'') > self.limit:
            return 'the body is longer than the %d bytes a stub pattern ' \
                'is matched against' % self.limit
        return 'body does not satisfy %s %r' % (self.op, self.arg)

    def test(self, request):
        body = request.get('body') or b''
        op = self.op
        if op == 'present':
            return bool(body) == self.arg
        if op in ('and', 'or'):
            results = (p.test(request) for p in self.parts)
            return all(results) if op == 'and' else any(results)
        if op == 'multipart':
            parts = _split_parts(request)
            return all(test(parts) for test in self.parts)
        if op in ('equal', 'contains', 'not_contains'):
            if self.spec.get('ignore_case'):
                body = body.lower()
            if op == 'equal':
                return body == self.arg
            return (self.arg in body) == (op == 'contains')
        if op in ('matches', 'not_matches'):
            if self.limit is not None and len(body) > self.limit:
                return False  # longer than a stub pattern is matched against
            found = bool(self._regex(body.decode('utf-8', 'replace')))
            return found == (op == 'matches')
        document = request.get('json')
        if document is None:
            try:
                document = jsonlib.loads(body.decode('utf-8'))
            except (ValueError, RuntimeError):  # 3: RecursionError
                return False
        if op == 'json_path':
            try:
                found = select(self.arg, document)
            except ConfigurationError:
                return False
            if self.value is None:
                return bool(found)
            return self.value.test([_as_text(v) for v in found])
        return json_matches(self.arg, document,
                            subset=op == 'json_subset',
                            ignore_order=self.ignore_order,
                            extra_items=bool(
                                self.spec.get('ignore_extra_items')),
                            placeholders=bool(
                                self.spec.get('placeholders')))


def _as_text(value):
    """What a JSONPath result is compared as: text as it is, other values
    as their JSON (WireMock's rule)."""
    if isinstance(value, _TEXT):
        return value
    return jsonlib.dumps(value, sort_keys=True, separators=(',', ':'))


def _part_conditions(field, spec, untrusted):
    """Return one test per part pattern ``{"match": "any"|"all",
    "headers": {name: condition}, "body": [body conditions]}``: whether
    any (all) of the parts meet it."""
    if not isinstance(spec, list) or not spec:
        fail(field, spec, 'give a list of part patterns like {"match": '
             '"any", "headers": {...}, "body": [...]}')
    tests = []
    for index, pattern in enumerate(spec):
        label = '%s[%d]' % (field, index)
        if not isinstance(pattern, dict) or set(pattern) - set(
                ['match', 'headers', 'body']) or pattern.get(
                'match', 'any') not in ('any', 'all'):
            fail(label, pattern, 'give {"match": "any" or "all", '
                 '"headers": {...}, "body": [...]}')
        headers = pattern.get('headers') or {}
        if not isinstance(headers, dict):
            fail(label + '.headers', headers, 'give name -> condition')
        heads = [(name.lower(), Value("%s.headers['%s']" % (label, name),
                                      cond, untrusted))
                 for name, cond in headers.items()]
        bodies = pattern.get('body') or []
        if not isinstance(bodies, list):
            bodies = [bodies]
        checks = [Body('%s.body[%d]' % (label, i), b, False, untrusted)
                  for i, b in enumerate(bodies)]
        tests.append(_part_test(pattern.get('match', 'any'), heads, checks))
    return tests


def _part_test(kind, heads, checks):
    def one(part):
        headers, content = part
        return all(cond.test(headers.get(name, [])) for name, cond in
                   heads) and all(c.test({'body': content}) for c in checks)

    def test(parts):
        if kind == 'all':
            return bool(parts) and all(one(p) for p in parts)
        return any(one(p) for p in parts)
    return test


def _split_parts(request):
    """The parts of a multipart body: ``(headers, content)`` pairs, header
    names lower-cased to lists of values; [] when it is not multipart."""
    headers = request.get('headers')
    kind = headers.get('Content-Type') if headers is not None else None
    if not kind or not kind.lower().startswith('multipart/'):
        return []
    boundary = None
    for param in kind.split(';')[1:]:
        key, _, value = param.strip().partition('=')
        if key.lower() == 'boundary':
            boundary = value.strip('"')
    if not boundary:
        return []
    body = request.get('body') or b''
    chunks = body.split(b'--' + boundary.encode('latin-1'))
    parts = []
    for chunk in chunks[1:]:
        if chunk.startswith(b'--'):
            break
        chunk = chunk[2:] if chunk.startswith(b'\r\n') else chunk
        head, _, content = chunk.partition(b'\r\n\r\n')
        found = {}  # type: Any
        for line in head.split(b'\r\n'):
            name, _, value = line.decode('latin-1').partition(':')
            if value:
                found.setdefault(name.strip().lower(), []).append(
                    value.strip())
        if content.endswith(b'\r\n'):
            content = content[:-2]
        parts.append((found, content))
    return parts
