"""Near misses: which routes came closest to a request, field by field.

WireMock-style: a request compared with a route gives one *row* per field
the route looks at -- method, path, query string or each query parameter,
each header, each cookie, the body (a JSON body member by member) -- each
``{'field', 'expected', 'actual', 'matched'}`` (``matched`` is None when it
cannot be told, e.g. a predicate of the test's).  The small API:

:func:`near_misses` ``(request, routes, limit=3)``
    the routes closest to one recorded *request* (a history entry dict),
    closest first: ``[{'name', 'distance', 'rows'}]``.  A route is a
    :class:`~httptestserver.Route`, a stub dict (``{"match": {...}}``), or
    ``{'name': ..., 'match': {...}}``; a plain string (a description only)
    is skipped.
:func:`closest_requests` ``(route, entries, limit=3)``
    the other way round, for a wait or an assertion: the recorded requests
    closest to what was asked for, named by their request line.
:func:`format_near_misses` ``(items, title)``
    the text table of either result, the same wherever it is shown.

Everything takes and returns plain data (JSON-able but for the request's
body bytes), so a child process, the control API and the in-thread server
word a miss alike.  Pure: no sockets, threads or locks; thread-safe.
"""
import difflib
import json as jsonlib
import re

import six

from ..errors import ConfigurationError
from ..answers.json_matching import compact, json_matches
from ..answers.matchers import Matcher

__all__ = ['near_misses', 'closest_requests', 'format_near_misses',
           'route_spec', 'spec_name', 'json_diff']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List, Optional  # noqa: F401

_URL_KEYS = ('path', 'url', 'path_prefix', 'path_pattern', 'url_pattern',
             'target')
_URL_WEIGHT = 3.0  # a wrong path is further off than a wrong header
_WIDTH = 28  # of the expected and actual columns
_ABSENT = '(absent)'


def route_spec(route):
    # type: (Any) -> Optional[Dict[str, Any]]
    """Return *route* as a plain ``{'name', 'match'}`` dict, or None for a
    bare description string.  The match may hold, beside the keys of a
    :class:`~httptestserver.Matcher`, ``target`` (an exact request target
    such as ``*``), ``query_string`` (the raw query) and ``predicate`` (the
    name of a test's function, which is never run here)."""
    if isinstance(route, six.string_types):
        return None
    if isinstance(route, dict):
        given = dict(route.get('match') or {})
        return {'name': route.get('name') or spec_name(given),
                'match': given}
    match = {}  # type: Dict[str, Any]
    extra = getattr(route, 'match', None)
    if isinstance(extra, Matcher):
        match.update(extra.spec)
    elif extra is not None:
        match['predicate'] = getattr(extra, '__name__', repr(extra))
    if route.methods:
        match['method'] = sorted(route.methods)
    path = route.path
    if isinstance(path, six.string_types):
        for key in _URL_KEYS:
            match.pop(key, None)
        match['path' if path.startswith('/') else 'target'] = path
    elif path is not None:
        flags = ''.join(letter for flag, letter in (
            (re.I, 'i'), (re.M, 'm'), (re.S, 's'), (re.X, 'x'))
            if path.flags & flag)
        for key in _URL_KEYS:
            match.pop(key, None)
        match['path_pattern'] = ('(?%s)' % flags if flags else '') + \
            path.pattern
    if isinstance(route.query, six.string_types):
        match['query_string'] = route.query
    elif route.query is not None:
        match['query'] = dict(route.query)
    return {'name': spec_name(match), 'match': match}


def spec_name(match):
    # type: (Dict[str, Any]) -> str
    """Name a plain match spec in one line: ``GET /users query={...}``."""
    methods = match.get('method')
    if isinstance(methods, six.string_types):
        methods = [methods]
    parts = ['|'.join(sorted(methods)) if methods else 'ANY']
    for key in _URL_KEYS:
        if match.get(key) is not None:
            parts.append(match[key] if key in ('path', 'target')
                         else '%s=%s' % (key, match[key]))
    for key in ('query', 'query_string', 'headers', 'cookies', 'body',
                'json', 'json_subset', 'predicate'):
        if match.get(key) is not None:
            parts.append('%s=%s' % (key, compact(match[key])))
    return ' '.join(parts)


def near_misses(request, routes, limit=3):
    # type: (Dict[str, Any], List[Any], int) -> List[Dict[str, Any]]
    """Return the *limit* routes closest to *request*, closest first, each
    ``{'name', 'distance', 'rows'}`` (distance 0: every field matched; 1:
    none did).  Ties keep the routes' order."""
    scored = []  # type: List[Dict[str, Any]]
    for route in routes:
        spec = route_spec(route)
        if spec is not None:
            rows = compare(spec['match'], request)
            scored.append({'name': spec['name'], 'rows': rows,
                           'distance': distance(rows)})
    scored.sort(key=lambda item: item['distance'])
    return scored[:limit]


def closest_requests(route, entries, limit=3):
    # type: (Any, List[Dict[str, Any]], int) -> List[Dict[str, Any]]
    """Return the *limit* recorded *entries* closest to *route* (what a
    wait or an assertion asked for, as for :func:`near_misses`), closest
    first, each named by its request line."""
    spec = route_spec(route)
    if spec is None:
        return []
    scored = []  # type: List[Dict[str, Any]]
    for entry in entries:
        rows = compare(spec['match'], entry)
        scored.append({'name': '%s %s' % (entry.get('method') or '?',
                                          entry.get('path') or '?'),
                       'rows': rows, 'distance': distance(rows)})
    scored.sort(key=lambda item: item['distance'])
    return scored[:limit]


def distance(rows):
    # type: (List[Dict[str, Any]]) -> float
    """How far off *rows* are, from 0.0 (all matched) to 1.0: the path
    weighs three times a field and counts by similarity; the rows of one
    JSON body weigh one field together."""
    total = missed = 0.0
    bodies = [row for row in rows if row['field'].startswith('body')]
    for row in rows:
        weight = 1.0
        if row['field'] in _URL_KEYS:
            weight = _URL_WEIGHT
        elif row in bodies:
            weight = 1.0 / len(bodies)
        total += weight
        if row['matched'] is False:
            if row['field'] in _URL_KEYS:
                missed += weight * (1.0 - 0.5 * difflib.SequenceMatcher(
                    None, row['expected'], row['actual']).ratio())
            else:
                missed += weight
    return missed / total if total else 0.0


def compare(match, request):
    # type: (Dict[str, Any], Dict[str, Any]) -> List[Dict[str, Any]]
    """Return the rows of plain *match* against recorded *request*."""
    url_path = request.get('url_path') or ''
    full = request.get('path') or ''
    methods = match.get('method')
    rows = [_row('method', '|'.join(methods) if isinstance(methods, list)
                 else methods or 'ANY', request.get('method') or '',
                 _sub(request, method=methods))]
    for key in _URL_KEYS:
        value = match.get(key)
        if value is None:
            continue
        whole = key in ('url', 'url_pattern', 'target') or (
            key == 'path' and '?' in value)
        actual = full if whole else url_path
        if key == 'target':
            matched = value == full  # type: Any
        else:
            matched = _sub(request, **{key: value})
        label = value if key in ('path', 'url', 'target') else '%s %s' % (
            {'path_prefix': 'starts with', 'path_pattern': 'matches',
             'url_pattern': 'matches'}[key], value)
        rows.append(_row(key, label, actual, matched))
    if match.get('query_string') is not None:
        actual = request.get('query_string') or ''
        rows.append(_row('query', match['query_string'], actual,
                         actual == match['query_string']))
    query = request.get('query') or {}
    for name, cond in _items(match.get('query')):
        rows.append(_row('query %s' % name, _condition(cond),
                         query.get(name) or _ABSENT if isinstance(
                             cond, list) else _values(query.get(name)),
                         _sub(request, query={name: cond})))
    for name, cond in _items(match.get('headers')):
        rows.append(_row('header %s' % name, _condition(cond),
                         _values(_header(request.get('headers'), name)),
                         _sub(request, headers={name: cond})))
    cookies = request.get('cookies') or {}
    for name, cond in _items(match.get('cookies')):
        rows.append(_row('cookie %s' % name, _condition(cond),
                         _values([cookies[name]] if name in cookies
                                 else []),
                         _sub(request, cookies={name: cond})))
    rows.extend(_body_rows(match, request))
    if match.get('predicate') is not None:
        rows.append(_row('predicate', match['predicate'], '(not run here)',
                         None))
    return rows


def json_diff(expected, actual, subset=False, ignore_order=False,
              path='$'):
    # type: (Any, Any, bool, bool, str) -> List[Any]
    """Return ``(path, expected, actual)`` for each place where JSON value
    *actual* does not match *expected* (as
    :func:`~httptestserver.answers.json_matching.json_matches` judges); a
    member one side lacks is the text ``(absent)`` on that side.  Empty
    when they match."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = []
        for key in sorted(expected):
            where = '%s.%s' % (path, key)
            if key not in actual:
                found.append((where, expected[key], _ABSENT))
            else:
                found.extend(json_diff(expected[key], actual[key], subset,
                                       ignore_order, where))
        if not subset:
            for key in sorted(set(actual) - set(expected)):
                found.append(('%s.%s' % (path, key), _ABSENT, actual[key]))
        return found
    if isinstance(expected, list) and isinstance(actual, list) and \
            len(expected) == len(actual) and not ignore_order:
        found = []
        for index, (left, right) in enumerate(zip(expected, actual)):
            found.extend(json_diff(left, right, subset, ignore_order,
                                   '%s[%d]' % (path, index)))
        return found
    if json_matches(expected, actual, subset, ignore_order):
        return []
    return [(path, expected, actual)]


def format_near_misses(items, title):
    # type: (List[Dict[str, Any]], str) -> str
    """Return the text of :func:`near_misses` or :func:`closest_requests`'
    *items* under *title*: per item its name, then one line per row --
    ``x`` marks a field that differed, ``?`` one that cannot be told."""
    if not items:
        return ''
    width = max([len(row['field']) for item in items for row in item['rows']]
                + [len('field')])
    line = '    %s %-' + str(width) + 's  %-' + str(_WIDTH) + 's  %s'
    lines = [title]
    for item in items:
        lines.append('  %s' % item['name'])
        lines.append(line % (' ', 'field', 'expected', 'actual'))
        for row in item['rows']:
            mark = ' ' if row['matched'] else '?' if row['matched'] is None \
                else 'x'
            lines.append((line % (mark, row['field'], _cut(row['expected']),
                                  _cut(row['actual']))).rstrip())
    return '\n'.join(lines)


# -- helpers -----------------------------------------------------------------
def _row(field, expected, actual, matched):
    return {'field': field, 'expected': _text(expected),
            'actual': _text(actual), 'matched': matched}


def _text(value):
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    if isinstance(value, six.string_types):
        return value
    return compact(value)


def _cut(text):
    text = text.replace('\n', '\\n')
    return text if len(text) <= _WIDTH else text[:_WIDTH - 3] + '...'


def _sub(request, **spec):
    """Whether *request* satisfies the one-key match *spec* (None: cannot
    be told)."""
    if spec.get('method') is None and 'method' in spec:
        return True
    try:
        return Matcher(spec).matches(request)
    except ConfigurationError:
        return None


def _items(conditions):
    if not isinstance(conditions, dict):
        return []
    return sorted(conditions.items(), key=lambda item: repr(item[0]))


def _condition(cond):
    if isinstance(cond, six.string_types) or isinstance(cond, list):
        return cond
    if isinstance(cond, dict):
        if 'present' in cond:
            return 'present' if cond['present'] else _ABSENT
        for op in ('equal', 'contains', 'matches'):
            if op in cond:
                text = cond[op] if op == 'equal' else \
                    '%s %s' % (op, cond[op])
                return text + (' (any case)' if cond.get('ignore_case')
                               else '')
    return cond


def _values(values):
    if not values:
        return _ABSENT
    return values[0] if len(values) == 1 else values


def _header(headers, name):
    if headers is None:
        return []
    if hasattr(headers, 'get_all'):
        return headers.get_all(name) or []
    lowered = name.lower()
    return [value for key, value in getattr(headers, 'items', lambda: [])()
            if key.lower() == lowered]


def _body_rows(match, request):
    conditions = match.get('body')
    conditions = [] if conditions is None else conditions if isinstance(
        conditions, list) else [conditions]
    conditions = list(conditions) + [{key: match[key]} for key in (
        'json', 'json_subset') if key in match]
    body = request.get('body') or b''
    rows = []
    for cond in conditions:
        if isinstance(cond, dict) and ('json' in cond or
                                       'json_subset' in cond):
            rows.extend(_json_rows(cond, match, request, body))
            continue
        expected = cond if not isinstance(cond, dict) else ' '.join(
            '%s %s' % (key, _text(value)) for key, value in
            sorted(cond.items()))
        rows.append(_row('body', expected, body, _sub(request, body=cond)))
    return rows


def _json_rows(cond, match, request, body):
    subset = 'json_subset' in cond
    expected = cond['json_subset' if subset else 'json']
    ignore = bool(cond.get('ignore_array_order',
                           match.get('ignore_array_order')))
    document = request.get('json')
    if document is None:
        try:
            document = jsonlib.loads(body.decode('utf-8'))
        except (ValueError, RuntimeError):
            return [_row('body', expected, body, False)]
    diff = json_diff(expected, document, subset, ignore)
    if not diff:
        return [_row('body', expected, document, True)]
    return [_row('body %s' % where, want, got, False)
            for where, want, got in diff]
