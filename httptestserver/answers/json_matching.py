"""JSON matching: whether a JSON document matches an expected one.

This module owns how a match spec compares JSON documents (its ``json`` and
``json_subset`` body conditions, :mod:`httptestserver.answers.matchers`):
objects member by member, or as a subset at every depth; arrays in order,
or as multisets; numbers by value, but never equal to booleans.  Pure: no
sockets, threads or locks; imports only errors and patterns.
Placeholders follow JsonUnit, which WireMock uses for ``equalToJson``.
"""

import json

import six

from ..errors import ConfigurationError
from .patterns import compile_pattern

__all__ = ['json_matches', 'compact']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any  # noqa: F401


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
