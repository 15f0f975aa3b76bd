"""A small JSONPath: the subset WireMock's ``matchesJsonPath`` stubs use.

:func:`select` returns the values a path selects from a JSON document.
Supported: the root ``$``, members ``.name`` and ``['name']``, indexes
``[0]`` and ``[-1]``, wildcards ``.*`` and ``[*]``, and filters
``[?(@.field == value)]`` / ``!=`` (value a quoted string, a number,
``true``, ``false`` or ``null``) or ``[?(@.field)]`` (the member exists).
Anything else -- recursive descent ``..``, slices, functions, other
operators -- is refused by name with
:class:`~httptestserver.errors.ConfigurationError` when the stub is read.
Pure: no I/O, thread-safe; imports only errors, six and the standard library.
"""
import json
import re

import six

from ..errors import ConfigurationError

__all__ = ['select']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, List  # noqa: F401

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
