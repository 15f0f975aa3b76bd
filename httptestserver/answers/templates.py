"""Response templates: WireMock's ``response-template``, a small subset.

:func:`template_response` turns a response spec whose body and header
values hold Handlebars expressions into a callable response that fills
them from each request.  Supported, as WireMock writes them::

    {{request.path}} {{request.url}} {{request.method}}
    {{request.pathSegments.[0]}} {{request.query.x}} {{request.query.x.[1]}}
    {{request.headers.X-Name}} {{request.cookies.name}} {{request.body}}
    {{jsonPath request.body '$.a.b'}}
    {{now}} {{now format='yyyy-MM-dd'}} {{now format='epoch'}}
    {{randomValue length=8 type='ALPHANUMERIC'}}

Neither ``{{...}}`` nor ``{{{...}}}`` escapes HTML (WireMock 3 turns
Handlebars' escaping off).  A missing value renders empty.  Block helpers
(``{{#if}}``...), other helpers and other ``request`` fields are refused by
name when the stub is added,
with :class:`~httptestserver.errors.ConfigurationError`.  Pure: no sockets
or threads; thread-safe.
"""
import json
import random
import re
import string
import time

import six

from ..errors import ConfigurationError
from .json_matching import select

__all__ = ['template_response', 'compile_template']

_EXPRESSION = re.compile(r'\{\{(\{?)(.*?)\}?\}\}', re.DOTALL)
_ARGUMENT = re.compile(r"""\s*(?:(\w+)=)?('[^']*'|"[^"]*"|[^\s'"]+)""")
_FIELDS = ('path', 'url', 'method', 'body', 'pathSegments', 'query',
           'headers', 'cookies')
_KINDS = {'ALPHANUMERIC': string.ascii_letters + string.digits,
          'ALPHABETIC': string.ascii_letters, 'NUMERIC': string.digits,
          'ALPHANUMERIC_AND_SYMBOLS': string.ascii_letters + string.digits +
          string.punctuation, 'HEXADECIMAL': '0123456789abcdef'}
_JAVA_DATE = (('yyyy', '%Y'), ('MM', '%m'), ('dd', '%d'), ('HH', '%H'),
              ('mm', '%M'), ('ss', '%S'), ('yy', '%y'))
_RANDOM = random.SystemRandom()


def _refuse(name, text, why):
    raise ConfigurationError('%s: template {{%s}} is not supported: %s; the '
                             'supported subset is listed in the stubs docs'
                             % (name, text.strip(), why))


def _words(text):
    words, position = [], 0
    text = text.strip()
    while position < len(text):
        found = _ARGUMENT.match(text, position)
        if found is None or found.end() == position:
            break
        value = found.group(2)
        if value[:1] in '\'"':
            value = ('quoted', value[1:-1])
        words.append((found.group(1), value))
        position = found.end()
    return words


def _compile_one(text, name):
    words = _words(text)
    if not words or text.strip()[:1] in '#/^!>&':
        _refuse(name, text, 'block helpers, partials and comments are not')
    head = words[0][1]
    if head == 'now':
        options = dict(words[1:])
        unknown = set(options) - set(['format'])
        if unknown or any(k is None for k, _ in words[1:]):
            _refuse(name, text, 'now takes format= only')
        fmt = options.get('format', ('quoted', None))[1]
        return lambda request: _now(fmt)
    if head == 'randomValue':
        options = dict((k, v[1] if isinstance(v, tuple) else v)
                       for k, v in words[1:])
        if set(options) - set(['length', 'type']) or not str(
                options.get('length', '')).isdigit() or \
                options.get('type', 'ALPHANUMERIC') not in _KINDS:
            _refuse(name, text, "randomValue takes length=N and type= one "
                    "of %s" % ', '.join(sorted(_KINDS)))
        length = int(options['length'])
        chars = _KINDS[options.get('type', 'ALPHANUMERIC')]
        return lambda request: ''.join(_RANDOM.choice(chars)
                                       for _ in range(length))
    if head == 'jsonPath':
        if len(words) != 3 or words[1][1] != 'request.body' or \
                not isinstance(words[2][1], tuple):
            _refuse(name, text, "write {{jsonPath request.body '$.a'}}")
        path = words[2][1][1]
        select(path, {}, name)  # checks the path now
        return lambda request: _json_path(request, path)
    if len(words) != 1 or isinstance(head, tuple) or \
            not head.startswith('request.'):
        _refuse(name, text, 'the helpers are now, randomValue and jsonPath')
    parts = [p[1:-1] if p.startswith('[') else p
             for p in head.split('.')[1:]]
    if not parts or parts[0] not in _FIELDS:
        _refuse(name, text, 'the request fields are %s' % ', '.join(_FIELDS))
    return lambda request: _field(request, parts)


def _now(fmt):
    now = time.gmtime()
    if fmt is None:
        return time.strftime('%Y-%m-%dT%H:%M:%SZ', now)
    if fmt == 'epoch':
        return str(int(time.time() * 1000))
    if fmt == 'unix':
        return str(int(time.time()))
    for java, python in _JAVA_DATE:
        fmt = fmt.replace(java, python)
    return time.strftime(fmt, now)


def _json_path(request, path):
    try:
        document = json.loads((request.get('body') or b'').decode('utf-8'))
        found = select(path, document)
    except (ValueError, ConfigurationError):
        return ''
    if not found:
        return ''
    value = found[0]
    if isinstance(value, six.string_types):
        return value
    return json.dumps(value, separators=(',', ':'))


def _field(request, parts):
    field, rest = parts[0], parts[1:]
    if field == 'path':
        return request.get('url_path') or ''
    if field == 'url':
        return request.get('path') or ''
    if field == 'method':
        return request.get('method') or ''
    if field == 'body':
        return (request.get('body') or b'').decode('utf-8', 'replace')
    if field == 'pathSegments':
        values = [p for p in (request.get('url_path') or '').split('/') if p]
    elif not rest:
        return ''
    elif field == 'query':
        values = (request.get('query') or {}).get(rest.pop(0)) or []
    elif field == 'cookies':
        cookie = (request.get('cookies') or {}).get(rest.pop(0))
        values = [] if cookie is None else [cookie]
    else:
        headers = request.get('headers')
        wanted = rest.pop(0).lower()
        values = [v for k, v in (headers.items_all() if hasattr(
            headers, 'items_all') else []) if k.lower() == wanted]
    index = 0
    if rest:
        if not rest[0].lstrip('-').isdigit():
            return ''
        index = int(rest[0])
    try:
        return values[index]
    except IndexError:
        return ''


def compile_template(text, name='template'):
    """Return a function of a recorded request that renders *text*.
    Raises :class:`ConfigurationError` naming *name* for an unsupported
    expression."""
    pieces, position = [], 0
    for found in _EXPRESSION.finditer(text):
        pieces.append(text[position:found.start()])
        pieces.append((_compile_one(found.group(2), name),))
        position = found.end()
    pieces.append(text[position:])

    def fill(request):
        out = []
        for piece in pieces:
            if isinstance(piece, tuple):
                value = piece[0](request)
                out.append(value)
            else:
                out.append(piece)
        return u''.join(out)
    return fill


def template_response(spec, name='response'):
    """Return a callable response: *spec* (route keywords) with its body
    and header values rendered per request."""
    spec = dict(spec)
    if spec.get('json') is not None:
        spec['body'] = json.dumps(spec.pop('json')).encode('utf-8')
    body = compile_template((spec.get('body') or b'').decode(
        'utf-8', 'replace'), name + ' body')
    headers = [(k, compile_template(v, '%s header %s' % (name, k)))
               for k, v in spec.get('headers') or []]

    def respond(request):
        result = dict(spec)
        result['body'] = body(request).encode('utf-8')
        result['headers'] = [(k, fill(request)) for k, fill in headers]
        return result
    return respond
