"""Turn the parts of one HTTP request into the fields the server records.

This module owns :func:`parse_fields`: the decoding of a request target, its
Cookie headers and its body into plain dicts and strings -- the query and
urlencoded forms, cookies and JSON here, multipart bodies in
:mod:`.multipart`, header parameters and charsets in :mod:`.params`.  It is
pure: no sockets, no threads, no global state, and it never raises on what a
client sent -- whatever does not parse is left out.

Every text value it returns is a native ``str`` (the rule is in
:mod:`.params`), so one request gives equal values on every interpreter.
"""

import json
import re

from six.moves.urllib.parse import unquote_to_bytes

from .multipart import parse_multipart
from .params import OWS, decode_text, header_bytes, header_str, \
    parse_content_type, text_bytes, text_charset
from .._compat import native_str

__all__ = ['parse_fields']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import (  # noqa: F401
        Any, Dict, List, Match, Optional, Tuple)
    Form = Dict[str, List[str]]

# absolute-form target (RFC 7230 section 5.3.2): scheme "://" authority
_ABSOLUTE_FORM = re.compile(r'[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*')
# http.cookies quotes a cookie value with \" \\ and \ooo octal escapes.
_COOKIE_ESCAPE = re.compile(r'\\(?:([0-3][0-7][0-7])|(.))', re.DOTALL)
# Bytes no urlencoded form holds (tab, LF and CR pass: forms typed by hand).
_CONTROL_BYTES = re.compile(b'[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]')
#: Deepest JSON body decoded: deeper nesting would exhaust Python's stack
#: (decoding, and then matching it), which Python 3.6 cannot always
#: survive.  Strings, and the brackets of a JSON document.
JSON_MAX_DEPTH = 200
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def parse_fields(target, content_type, cookie_headers, body):
    # type: (str, Optional[str], List[str], bytes) -> Dict[str, Any]
    """Decode the target, cookies and body of one request into a dict.

    ``target`` is the request target as received: origin-form
    (``'/a/b?x=1'``), absolute-form (``'http://host/a?x=1'``), ``'*'`` or
    authority-form.  ``content_type`` is the Content-Type header value or
    ``None``; ``cookie_headers`` the list of Cookie header values, possibly
    empty; ``body`` the body bytes, possibly empty.

    Returns a dict with exactly these keys:

    ``url_path``
        the path of the target without the query, not percent-decoded
        (``'/'`` for an absolute-form target with an empty path).
    ``query_string``
        the raw query without ``'?'``; ``''`` if there is none.
    ``query``
        name -> list of values, in order, blank values kept; split on ``&``
        only (not ``;``), ``+`` read as space, percent-decoded as UTF-8.
    ``cookies``
        name -> value from every Cookie header; a quoted value loses its
        quotes and the backslash escapes :mod:`http.cookies` writes; a later
        duplicate wins; pieces without ``=`` or a name are skipped.
    ``form``
        name -> list of str for an ``application/x-www-form-urlencoded`` body
        (unless it holds control bytes: binary labelled as a form, as
        ``curl --data-binary`` sends it) and for the parts of a
        ``multipart/form-data`` body without a filename, decoded with the
        charset parameter (of the part, then of the request) or UTF-8;
        ``{}`` otherwise.
    ``files``
        field name -> list of ``{'name', 'filename', 'content_type',
        'content'}`` dicts for the multipart parts with a ``filename`` or
        ``filename*`` parameter (an empty filename counts, as browsers send
        one for an empty file input); ``content`` is the exact bytes sent and
        ``content_type`` the part's Content-Type or
        ``'application/octet-stream'``.
    ``json``
        the decoded body when the content type is ``application/json`` or
        ends in ``+json``, else ``None``.  Strings in it are what
        :func:`json.loads` gives: ``unicode`` on Python 2.
    ``json_error``
        ``None``, or a short message saying why a body declared as JSON did
        not decode (then ``json`` is ``None``).

    Multipart bodies may use bare LF line breaks; a part that is not complete
    (no closing delimiter, no blank line after its headers, no ``name``) is
    skipped and at most :data:`~.multipart.MAX_MULTIPART_PARTS` parts are
    read.  Names and filenames have ``\\"`` and ``\\\\`` unescaped, then the
    WHATWG escapes ``%22``, ``%0D`` and ``%0A`` undone; any
    ``filename*``/``name*`` (RFC 5987) wins over the plain parameter.
    Content-Transfer-Encoding is not applied.

    Does not block, is thread-safe, and raises nothing for any input of the
    stated types.
    """
    target = header_str(target)
    if target[:1] == '/':
        url_path, _, query_string = target.partition('?')
    else:
        url_path, query_string = _split_other_target(target)
    fields = {
        'url_path': url_path,
        'query_string': query_string,
        'query': _parse_urlencoded(text_bytes(query_string), 'utf-8')
        if query_string else {},
        'cookies': _parse_cookies(cookie_headers) if cookie_headers else {},
        'form': {},
        'files': {},
        'json': None,
        'json_error': None,
    }  # type: Dict[str, Any]
    if content_type:
        mime_type, params = parse_content_type(content_type)
        if mime_type == 'application/x-www-form-urlencoded':
            # curl --data-binary labels any upload this way: a body with
            # control bytes is not a form, and splitting megabytes of
            # binary into pieces would cost far more than reading it.
            if body and not _CONTROL_BYTES.search(body):
                fields['form'] = _parse_urlencoded(
                    body, text_charset(params.get('charset')))
        elif mime_type == 'multipart/form-data':
            boundary = params.get('boundary')
            if body and boundary:
                fields['form'], fields['files'] = parse_multipart(
                    body, header_bytes(boundary),
                    text_charset(params.get('charset')))
        elif mime_type == 'application/json' or mime_type.endswith('+json'):
            fields['json'], fields['json_error'] = _parse_json(
                body, params.get('charset'))
    return fields


def _split_other_target(target):
    # type: (str) -> Tuple[str, str]
    """Return (path, query) of an absolute, asterisk or authority target."""
    match = _ABSOLUTE_FORM.match(target)
    if match is None:
        path, _, query = target.partition('?')
        return path, query
    path, _, query = target[match.end():].partition('?')
    return path or '/', query


def _parse_urlencoded(data, charset):
    # type: (bytes, str) -> Form
    """Parse name=value&... bytes into name -> list of values."""
    result = {}  # type: Form
    for piece in data.split(b'&'):
        if not piece:
            continue
        raw_name, _, raw_value = piece.partition(b'=')
        name = _unquote_plus(raw_name, charset)
        value = _unquote_plus(raw_value, charset)
        if name in result:
            result[name].append(value)
        else:
            result[name] = [value]
    return result


def _unquote_plus(data, charset):
    # type: (bytes, str) -> str
    if b'+' in data:
        data = data.replace(b'+', b' ')
    if b'%' in data:
        data = unquote_to_bytes(data)
    return native_str(decode_text(data, charset))


def _parse_cookies(cookie_headers):
    # type: (List[str]) -> Dict[str, str]
    """Merge the name=value pairs of every Cookie header; later ones win."""
    cookies = {}
    for header in cookie_headers:
        for piece in header_str(header).split(';'):
            name, equals, value = piece.partition('=')
            name = name.strip(OWS)
            if not equals or not name:
                continue
            value = value.strip(OWS)
            if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
                value = value[1:-1]
                if '\\' in value:
                    value = _COOKIE_ESCAPE.sub(_cookie_unescape, value)
            cookies[name] = value
    return cookies


def _parse_json(body, charset):
    # type: (bytes, Optional[str]) -> Tuple[Any, Optional[str]]
    """Return (value, None) or (None, why the body is not JSON)."""
    if not body:
        return None, 'the body is empty'
    encoding = text_charset(charset)
    try:
        text = body.decode(encoding)
    except (UnicodeError, ValueError) as exc:
        return None, 'the body is not valid %s: %s' % (encoding, exc)
    if text[:1] == u'\ufeff':  # RFC 8259 section 8.1 lets a parser skip it
        text = text[1:]
    if _too_deep(text):
        return None, ('invalid JSON: nested deeper than %d levels'
                      % JSON_MAX_DEPTH)
    try:
        return json.loads(text), None
    except (ValueError, RuntimeError) as exc:  # RecursionError: deep nesting
        return None, 'invalid JSON: %s' % (exc,)


def _too_deep(text):
    # type: (str) -> bool
    """True when the brackets of JSON *text* nest deeper than
    :data:`JSON_MAX_DEPTH` (strings skipped); cheap when there are few."""
    if text.count('[') + text.count('{') <= JSON_MAX_DEPTH:
        return False
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        char = token.group()
        if char in '[{':
            depth += 1
            if depth > JSON_MAX_DEPTH:
                return True
        elif char in ']}':
            depth -= 1
    return False


def _cookie_unescape(match):
    # type: (Match[str]) -> str
    if match.group(1):
        return chr(int(match.group(1), 8))
    return match.group(2)
