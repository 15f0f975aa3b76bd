"""JSON matching: whether a JSON document matches an expected one.

This module owns how a match spec compares JSON documents (its ``json`` and
``json_subset`` body conditions, :mod:`httptestserver.answers.matchers`):
objects member by member, or as a subset at every depth; arrays in order,
or as multisets; numbers by value, but never equal to booleans.  Pure: no
sockets, threads or locks; imports nothing from the package.
"""

import json

__all__ = ['json_matches', 'compact']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any  # noqa: F401


def json_matches(expected, actual, subset=False, ignore_order=False):
    # type: (Any, Any, bool, bool) -> bool
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


def compact(value):
    # type: (Any) -> str
    """Return *value* as compact, key-sorted JSON text (its ``repr`` when
    it is not JSON), for one-line descriptions."""
    try:
        return json.dumps(value, sort_keys=True, separators=(',', ':'))
    except (TypeError, ValueError):
        return repr(value)
