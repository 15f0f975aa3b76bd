"""Request matchers as data: a JSON-able match spec and :class:`Matcher`.

A *match spec* is a dict that says which requests a stub answers (method,
path, query, headers, cookies, body); :class:`Matcher` checks one against a
recorded request dict.  What a condition on one part may say is
:mod:`httptestserver.answers.conditions`'s.
The stub format built on it is in :mod:`httptestserver.remote.stubs`.

Pure: no sockets, threads or locks; imports only conditions, patterns,
json_matching and six.  Every function is thread-safe and raises
:class:`~httptestserver.errors.ConfigurationError` naming the field, the bad
value and the fix.
"""
import six

from .conditions import Body, Value, b64decode, fail
from .json_matching import compact
from .patterns import compile_pattern

__all__ = ['Matcher', 'MATCH_KEYS', 'fail', 'b64decode']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, Optional  # noqa: F401

#: The keys a match spec may hold.
MATCH_KEYS = ('method', 'path', 'url', 'path_pattern', 'path_prefix',
              'url_pattern', 'query', 'headers', 'cookies', 'body', 'json',
              'json_subset', 'ignore_array_order')
_TEXT = six.string_types


def _method(field, method):
    """Return *method* upper-cased as a native str, or fail: a method is
    a token (RFC 9110 9.1), ASCII only -- and str() of non-ASCII unicode
    fails on Python 2."""
    try:
        return str(method.encode('ascii').decode('ascii')).upper()
    except UnicodeError:
        fail(field, method, 'a method is ASCII, like "GET"')


# -- the matcher --------------------------------------------------------------
class Matcher(object):
    """A request matcher built from a match *spec* dict (JSON-able).

    Keys, all optional (an empty spec matches every request):

    ``method``
        a method or a list of them (``"ANY"``: any).
    ``path``
        the exact path; compared with the query when it holds ``?``.
    ``url``
        the exact path and query: ``"/a"`` does not match ``/a?x=1``
        (WireMock's ``url``).
    ``path_pattern``, ``url_pattern``
        a regular expression that must match the whole path, without
        (``path_pattern``) or with (``url_pattern``) the query.
    ``path_prefix``
        the path starts with this.
    ``query``, ``headers``, ``cookies``
        name -> condition: a string (equal), or a dict with one of
        ``equal``, ``contains``, ``matches`` (a regular expression matching
        the whole value), ``present`` (true/false), ``not_contains``,
        ``not_matches``, ``has_exactly`` / ``includes`` (a list of
        conditions every value / some value meets, in any order), ``and``
        / ``or`` (a list of conditions), plus optionally ``ignore_case``.
        For ``query``, a list of strings must equal the values exactly, in
        order.  A condition holds if any value of that name satisfies it.
        Header names ignore case.
    ``body``
        a condition (or a list, all must hold): text or bytes (equal), or a
        dict with one of ``equal``, ``base64`` (equal to those bytes),
        ``contains``, ``matches``, ``not_contains``, ``not_matches``,
        ``present``, ``json`` (JSON equal), ``json_subset`` (JSON equal
        ignoring extra object members), ``json_path`` (a JSONPath that
        selects something, or whose ``value`` meets a condition), ``and``
        / ``or``, plus optionally ``ignore_array_order``,
        ``ignore_extra_items`` and ``placeholders`` (see
        :mod:`~httptestserver.answers.conditions`).
    ``json``, ``json_subset``
        shorthands for a body condition; ``ignore_array_order`` applies to
        them.

    *untrusted* (a stub's spec: from a file or the control API) refuses
    patterns that can take exponential time and matches patterns against
    at most 8 KiB of text
    (:func:`~httptestserver.answers.patterns.compile_pattern`).  Raises
    :class:`ConfigurationError` for a bad spec.  Immutable and thread-safe
    once built.
    """

    def __init__(self, spec=None, field='match', untrusted=False):
        spec = {} if spec is None else spec
        if isinstance(spec, Matcher):
            untrusted = untrusted or spec.untrusted
            spec = spec.spec
        if not isinstance(spec, dict):
            fail(field, spec, 'give a dict with keys from %s'
                 % ', '.join(MATCH_KEYS))
        # sorted() cannot order keys of mixed types (Python 3): any JSON
        # object has text keys, but a dict built in Python may not
        unknown = sorted(set(spec) - set(MATCH_KEYS), key=lambda k: (
            not isinstance(k, _TEXT), k if isinstance(k, _TEXT) else repr(k)))
        if unknown:
            fail("%s['%s']" % (field, unknown[0]), spec[unknown[0]],
                 'the keys a match may hold are %s' % ', '.join(MATCH_KEYS))
        self.spec = dict(spec)
        self._field = field
        self.untrusted = untrusted
        method = spec.get('method')
        if method is None or method == 'ANY':
            self.methods = None
        elif isinstance(method, _TEXT):
            self.methods = frozenset([_method(field + '.method', method)])
        elif isinstance(method, (list, tuple)) and all(
                isinstance(m, _TEXT) for m in method):
            self.methods = frozenset(_method(field + '.method', m)
                                     for m in method)
        else:
            fail(field + '.method', method, 'give "GET" or a list of '
                 'methods like ["GET", "HEAD"]')
        paths = [k for k in ('path', 'url', 'path_prefix', 'path_pattern',
                             'url_pattern') if spec.get(k) is not None]
        if len(paths) > 1:
            fail(field, dict((k, spec[k]) for k in paths),
                 'give one of path, url, path_prefix, path_pattern and '
                 'url_pattern (as WireMock takes one URL matcher)')
        self.path = self._text('path', spec.get('path'))
        self.url = self._text('url', spec.get('url'))
        for key in ('path', 'url'):
            value = getattr(self, key)
            if value is not None and not value.startswith('/'):
                fail('%s.%s' % (field, key), value, 'a %s starts with "/"'
                     % key)
        self.path_prefix = self._text('path_prefix', spec.get('path_prefix'))
        self._path_pattern = self._url_pattern = None
        if spec.get('path_pattern') is not None:
            self._path_pattern = compile_pattern(
                field + '.path_pattern', spec['path_pattern'], untrusted)
        if spec.get('url_pattern') is not None:
            self._url_pattern = compile_pattern(
                field + '.url_pattern', spec['url_pattern'], untrusted)
        self.query = self._conditions('query', spec.get('query'), True)
        self.headers = self._conditions('headers', spec.get('headers'))
        self.cookies = self._conditions('cookies', spec.get('cookies'))
        ignore = spec.get('ignore_array_order', False)
        if not isinstance(ignore, bool):
            fail(field + '.ignore_array_order', ignore, 'give true or false')
        bodies = spec.get('body')
        if bodies is None:
            bodies = []
        elif not isinstance(bodies, list):
            bodies = [bodies]
        self.bodies = [Body('%s.body[%d]' % (field, i), b, ignore,
                            untrusted) for i, b in enumerate(bodies)]
        for key in ('json', 'json_subset'):
            if key in spec:
                self.bodies.append(Body('%s.%s' % (field, key),
                                        {key: spec[key]}, ignore))

    def _text(self, key, value):
        if value is None or isinstance(value, _TEXT):
            return None if value is None else str(value) if six.PY3 \
                else value
        fail('%s.%s' % (self._field, key), value, 'give a string')

    def _conditions(self, key, spec, lists=False):
        if spec is None:
            return []
        if not isinstance(spec, dict):
            fail('%s.%s' % (self._field, key), spec,
                 'give a dict of name -> condition')
        odd = sorted((n for n in spec
                      if not isinstance(n, (bytes, six.text_type))), key=repr)
        if odd:
            fail('%s.%s[%r]' % (self._field, key, odd[0]), spec[odd[0]],
                 'give names as text')
        result = []
        # bytes and text names apart: Python 3 cannot order them together
        for name, cond in sorted(spec.items(), key=lambda item: (
                isinstance(item[0], bytes), item[0])):
            field = "%s.%s['%s']" % (self._field, key, name)
            if lists and isinstance(cond, list):
                if not all(isinstance(v, _TEXT) for v in cond):
                    fail(field, cond, 'give a list of strings')
                result.append((name, list(cond)))
            else:
                result.append((name, Value(field, cond, self.untrusted)))
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
        if self.url is not None and self.url != full:
            return 'url %s is not %s' % (full, self.url)
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
        for key in ('path', 'url', 'path_prefix', 'path_pattern',
                    'url_pattern'):
            if self.spec.get(key) is not None:
                parts.append(('%s' if key == 'path' else key + '=%s')
                             % self.spec[key])
        for key in ('query', 'headers', 'cookies', 'body', 'json',
                    'json_subset'):
            if self.spec.get(key) is not None:
                parts.append('%s=%s' % (key, compact(self.spec[key])))
        return ' '.join(parts)

    def __repr__(self):
        return '<Matcher %s>' % self.describe()


def _get_all(headers, name):
    lowered = name.lower()
    return [v for k, v in getattr(headers, 'items', lambda: headers)()
            if k.lower() == lowered]
