"""JSON matching: whether a JSON document matches an expected one.

This module owns how a match spec compares JSON documents (its ``json`` and
``json_subset`` body conditions, :mod:`httptestserver.answers.matchers`):
objects member by member, or as a subset at every depth; arrays in order,
or as multisets; numbers by value, but never equal to booleans.  Pure: no
sockets, threads or locks; imports only errors and patterns.
Placeholders follow JsonUnit, which WireMock uses for ``equalToJson``.

It also owns selecting in a JSON document with a small JSONPath, the
subset WireMock's ``matchesJsonPath`` stubs use: :func:`select` returns the
values a path selects from a JSON document.
Supported: the root ``$``, members ``.name`` and ``['name']``, indexes
``[0]`` and ``[-1]``, wildcards ``.*`` and ``[*]``, and filters
``[?(@.field == value)]`` / ``!=`` (value a quoted string, a number,
``true``, ``false`` or ``null``) or ``[?(@.field)]`` (the member exists).
Anything else -- recursive descent ``..``, slices, functions, other
operators -- is refused by name with
:class:`~httptestserver.errors.ConfigurationError` when the stub is read.
"""

import json
import re

import six

from ..errors import ConfigurationError
from .patterns import compile_pattern

__all__ = ['json_matches', 'compact', 'select']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, List  # noqa: F401


def json_matches(expected, actual, subset=False, ignore_order=False,
                 extra_items=False, placeholders=False):
    # type: (Any, Any, bool, bool, bool, bool) -> bool
    """Return True if JSON value *actual* matches *expected*.

    ``subset`` ignores object members *actual* has beyond *expected*'s (at
    every depth); ``extra_items`` ignores array items beyond *expected*'s
    too (WireMock's ``ignoreExtraElements``); ``ignore_order`` compares
    arrays as multisets.  ``placeholders`` reads JsonUnit's placeholders in
    *expected* strings: ``${json-unit.ignore}``, ``${json-unit.any-string}``,
    ``-number``, ``-boolean``, ``${json-unit.regex}PATTERN``.  Numbers
    compare by value (``1 == 1.0``) but never equal booleans.
    """
    options = (subset, ignore_order, extra_items, placeholders)
    if placeholders and isinstance(expected, six.string_types) and \
            expected.startswith('${json-unit.'):
        return _placeholder(expected, actual)
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        if not subset and set(expected) != set(actual):
            return False
        # JsonUnit: even ${json-unit.ignore} needs the member present
        return all(key in actual and json_matches(
            value, actual[key], *options) for key, value in expected.items())
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(expected) > len(actual) or \
                (len(expected) != len(actual) and not extra_items):
            return False
        if not ignore_order:
            return all(json_matches(e, a, *options)
                       for e, a in zip(expected, actual))
        unused = list(actual)
        for item in expected:
            for index, candidate in enumerate(unused):
                if json_matches(item, candidate, *options):
                    del unused[index]
                    break
            else:
                return False
        return True
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    return expected == actual


_KINDS = {
    '${json-unit.any-string}': six.string_types,
    '${json-unit.any-number}': six.integer_types + (float,),
    '${json-unit.any-boolean}': (bool,),
}


def _placeholder(expected, actual):
    if expected == '${json-unit.ignore}':
        return True
    if expected.startswith('${json-unit.regex}'):
        try:  # untrusted, as every stub's pattern
            match = compile_pattern('placeholder', expected[18:], True)
        except ConfigurationError:
            return False
        return isinstance(actual, six.string_types) and bool(match(actual))
    kinds = _KINDS.get(expected)
    if kinds is None:  # not a placeholder after all: plain text
        return expected == actual
    if bool not in kinds and isinstance(actual, bool):
        return False
    return isinstance(actual, kinds)


def compact(value):
    # type: (Any) -> str
    """Return *value* as compact, key-sorted JSON text (its ``repr`` when
    it is not JSON), for one-line descriptions."""
    try:
        return json.dumps(value, sort_keys=True, separators=(',', ':'))
    except (TypeError, ValueError):
        return repr(value)


_STEP = re.compile(r"""
    \.(?P<name>[A-Za-z_$][\w$-]*)
  | \.\*(?P<dot_star>)
  | \[\s*'(?P<quoted>(?:[^'\\]|\\.)*)'\s*\]
  | \[\s*"(?P<dquoted>(?:[^"\\]|\\.)*)"\s*\]
  | \[\s*(?P<index>-?\d+)\s*\]
  | \[\s*\*\s*\](?P<star>)
  | \[\s*\?\(\s*@\.(?P<field>[\w$-]+(?:\.[\w$-]+)*)\s*
      (?:(?P<op>==|!=)\s*(?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"
                           |-?\d+(?:\.\d+)?|true|false|null))?
      \s*\)\s*\]
""", re.VERBOSE)

_MISSING = object()


def _parse(path, field):
    if not isinstance(path, six.string_types) or not path.startswith('$'):
        raise ConfigurationError(
            '%s: %r is not usable; give a JSONPath starting with $, like '
            '"$.items[0].id"' % (field, path))
    steps, position = [], 1
    while position < len(path):
        found = _STEP.match(path, position)
        if found is None:
            raise ConfigurationError(
                '%s: %r is not usable at %r; the supported JSONPath subset '
                'is .name, [\'name\'], [n], [*], .* and filters '
                '[?(@.a == value)] (no .., slices or functions)'
                % (field, path, path[position:]))
        steps.append(found.groupdict())
        position = found.end()
    return steps


def _literal(text):
    if text[0] == "'":
        return text[1:-1].replace("\\'", "'")
    return json.loads(text)


def _member(value, dotted):
    for name in dotted.split('.'):
        if not isinstance(value, dict) or name not in value:
            return _MISSING
        value = value[name]
    return value


def _children(value):
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return list(value)
    return []


def _step(values, step):
    result = []
    for value in values:
        if step['name'] is not None or step['quoted'] is not None or \
                step['dquoted'] is not None:
            name = next(s for s in (step['name'], step['quoted'],
                                    step['dquoted']) if s is not None)
            if isinstance(value, dict) and name in value:
                result.append(value[name])
        elif step['index'] is not None:
            index = int(step['index'])
            if isinstance(value, list) and -len(value) <= index < len(value):
                result.append(value[index])
        elif step['field'] is not None:
            items = value if isinstance(value, list) else [value]
            for item in items:
                got = _member(item, step['field'])
                if step['op'] is None:
                    keep = got is not _MISSING
                else:
                    want = _literal(step['value'])
                    same = got is not _MISSING and got == want and \
                        isinstance(got, bool) == isinstance(want, bool)
                    keep = same == (step['op'] == '==')
                if keep:
                    result.append(item)
        else:  # a wildcard
            result.extend(_children(value))
    return result


def select(path, document, field='json_path'):
    # type: (str, Any, str) -> List[Any]
    """Return the values *path* selects in *document* (a list, maybe
    empty).  Raises :class:`ConfigurationError` naming *field* for a path
    outside the supported subset."""
    values = [document]
    for step in _parse(path, field):
        values = _step(values, step)
    return values
