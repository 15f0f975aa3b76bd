"""Turn the parts of one HTTP request into the fields the server records.

This module owns the decoding of a request target, its Cookie headers and its
body (urlencoded form, multipart form, JSON) into plain dicts and strings.  It
is pure: no sockets, no threads, no global state, and it never raises on what
a client sent -- whatever does not parse is left out.  It imports only
``_compat``.

Every text value it returns is a native ``str``: text on Python 3, UTF-8
encoded bytes on Python 2.  The target and header values are taken as
:mod:`http.server` hands them over (on Python 3 the latin-1 decoding of the
bytes received, on Python 2 the bytes) and read as UTF-8 when their bytes are
valid UTF-8, else as latin-1, so one request gives equal values on every
interpreter.
"""

import codecs
import json
import re

import six
from six.moves.urllib.parse import unquote_to_bytes

from .._compat import native_str

__all__ = ['parse_fields', 'parse_content_type']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import (  # noqa: F401
        Any, Dict, Iterator, List, Match, Optional, Tuple)
    Form = Dict[str, List[str]]
    Files = Dict[str, List[Dict[str, Any]]]

#: More parts than this in one multipart body are ignored.
MAX_MULTIPART_PARTS = 1000

_OWS = ' \t'
# absolute-form target (RFC 7230 section 5.3.2): scheme "://" authority
_ABSOLUTE_FORM = re.compile(r'[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*')
# One ";name=value" parameter of a header such as Content-Type.  Whitespace is
# spelled [ \t] rather than \s so that latin-1 text on Python 3 (where \s also
# matches \xa0) parses the way the same bytes parse on Python 2.
_PARAM = re.compile(r'''
    ;[ \t]*
    ([^ \t;=]+)                     # name
    [ \t]*
    (?:=[ \t]*
        ( "(?:[^"\\]|\\.)*"         # quoted-string
        | [^;]*                     # token; anything up to the next ";"
        )
    )?
''', re.VERBOSE | re.DOTALL)
# Only \\ and \" are undone in quoted parameter values, as cgi.parse_header
# did: browsers and urllib3 2 send a backslash in a filename unescaped, so a
# Windows path must come through intact.
_QUOTED_PAIR = re.compile(r'\\([\\"])')
# The only escapes browsers and urllib3 apply to multipart names and filenames
# (https://html.spec.whatwg.org/#multipart-form-data).
_WHATWG_ESCAPE = re.compile(r'%(22|0[AaDd])')
_WHATWG_UNESCAPE = {'22': '"', '0A': '\n', '0a': '\n', '0D': '\r', '0d': '\r'}
# http.cookies quotes a cookie value with \" \\ and \ooo octal escapes.
_COOKIE_ESCAPE = re.compile(r'\\(?:([0-3][0-7][0-7])|(.))', re.DOTALL)
# What may follow "--boundary" on a delimiter line: padding and a line break.
_DELIMITER_LINE_END = re.compile(br'[ \t]*(\r?\n)')
_DELIMITER_AT_END = re.compile(br'[ \t]*\Z')

_PART, _CLOSE = 'part', 'close'
# Bytes no urlencoded form holds (tab, LF and CR pass: forms typed by hand).
_CONTROL_BYTES = re.compile(b'[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]')


if six.PY2:  # Python 2: native str is bytes, holding UTF-8 encoded text
    def _header_str(value):
        # type: (str) -> str
        try:
            value.decode('utf-8')
        except UnicodeDecodeError:
            return value.decode('latin-1').encode('utf-8')
        return value

    def _header_bytes(value):
        # type: (str) -> bytes
        return value

    def _text_bytes(text):
        # type: (str) -> bytes
        return text

    def _decode_header_value(value, charset):
        # type: (str, str) -> str
        return _decode(value, charset).encode('utf-8')
else:
    def _header_str(value):
        # type: (str) -> str
        try:
            return value.encode('latin-1').decode('utf-8')
        except UnicodeError:
            return value

    def _header_bytes(value):
        # type: (str) -> bytes
        try:
            return value.encode('latin-1')
        except UnicodeEncodeError:
            return value.encode('utf-8', 'surrogatepass')

    def _text_bytes(text):
        # type: (str) -> bytes
        # surrogatepass: a str from a direct caller may hold lone surrogates
        return text.encode('utf-8', 'surrogatepass')

    def _decode_header_value(value, charset):
        # type: (str, str) -> str
        return _decode(_header_bytes(value), charset)


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
        ``curl --data-binary`` sends it) and for the parts of a ``multipart/form-data`` body without a
        filename, decoded with the charset parameter (of the part, then of the
        request) or UTF-8; ``{}`` otherwise.
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
    skipped and at most :data:`MAX_MULTIPART_PARTS` parts are read.  Names and
    filenames have ``\\"`` and ``\\\\`` unescaped, then the WHATWG escapes
    ``%22``, ``%0D`` and ``%0A`` undone; any ``filename*``/``name*``
    (RFC 5987) wins over the plain parameter.  Content-Transfer-Encoding is
    not applied.

    Does not block, is thread-safe, and raises nothing for any input of the
    stated types.
    """
    target = _header_str(target)
    if target[:1] == '/':
        url_path, _, query_string = target.partition('?')
    else:
        url_path, query_string = _split_other_target(target)
    fields = {
        'url_path': url_path,
        'query_string': query_string,
        'query': _parse_urlencoded(_text_bytes(query_string), 'utf-8')
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
                    body, _text_charset(params.get('charset')))
        elif mime_type == 'multipart/form-data':
            boundary = params.get('boundary')
            if body and boundary:
                fields['form'], fields['files'] = _parse_multipart(
                    body, _header_bytes(boundary),
                    _text_charset(params.get('charset')))
        elif mime_type == 'application/json' or mime_type.endswith('+json'):
            fields['json'], fields['json_error'] = _parse_json(
                body, params.get('charset'))
    return fields


def parse_content_type(value):
    # type: (Optional[str]) -> Tuple[str, Dict[str, str]]
    """Split a Content-Type header value into its media type and parameters.

    Returns ``(mime_type, params)``: the media type lowercased and stripped
    (``''`` for ``None`` or an empty value), and a dict of the parameters
    with lowercased names.  Quoted values lose their quotes and their ``\\"``
    and ``\\\\`` escapes; an RFC 2231/5987 ``name*=charset'lang'value``
    parameter is decoded and stored under ``name``, winning over a plain
    ``name``.  Parameter values keep their case (a boundary is case
    sensitive).  Never raises for a ``str`` or ``None``.
    """
    if not value:
        return '', {}
    mime_type, _, rest = value.partition(';')
    mime_type = mime_type.strip(_OWS).lower()
    if not rest:
        return mime_type, {}
    params = {}
    extended = {}
    for name, param in _iter_params(rest):
        if name.endswith('*'):
            decoded = _decode_extended_value(param)
            if decoded is not None:
                extended[name[:-1]] = decoded
        else:
            params[name] = param
    params.update(extended)
    return mime_type, params


def _split_other_target(target):
    # type: (str) -> Tuple[str, str]
    """Return (path, query) of an absolute, asterisk or authority target."""
    match = _ABSOLUTE_FORM.match(target)
    if match is None:
        path, _, query = target.partition('?')
        return path, query
    path, _, query = target[match.end():].partition('?')
    return path or '/', query


def _iter_params(rest):
    # type: (str) -> Iterator[Tuple[str, str]]
    """Yield (lowercased name, unquoted value) per ";name=value" in rest."""
    for match in _PARAM.finditer(';' + rest):
        value = match.group(2) or ''
        if value[:1] == '"':
            if len(value) >= 2 and value[-1:] == '"':
                value = value[1:-1]
                if '\\' in value:
                    value = _QUOTED_PAIR.sub(r'\1', value)
        else:
            value = value.rstrip(_OWS)
        yield match.group(1).lower(), value


def _decode_extended_value(value):
    # type: (str) -> Optional[str]
    """Decode an RFC 5987 ext-value (charset'lang'pct-encoded), or None."""
    pieces = value.split("'", 2)
    if len(pieces) != 3:
        return None
    charset, _, encoded = pieces
    return native_str(_decode(unquote_to_bytes(encoded),
                           _text_charset(charset)))


def _text_charset(name):
    # type: (Optional[str]) -> str
    """Return name if it is a text codec that can decode with 'replace'."""
    if not name:
        return 'utf-8'
    try:
        info = codecs.lookup(name)
        # Rule out bytes-to-bytes codecs ('hex', 'zlib') and codecs that
        # refuse the 'replace' handler ('idna').
        if getattr(info, '_is_text_encoding', True):
            b'x'.decode(info.name, 'replace')
            return info.name
    except (LookupError, ValueError, TypeError, UnicodeError):
        pass
    return 'utf-8'


def _decode(data, charset):
    # type: (bytes, str) -> six.text_type
    """Decode bytes to text with charset, replacing what does not decode."""
    try:
        return data.decode(charset, 'replace')
    except (UnicodeError, ValueError):  # a codec that fails on this input
        return data.decode('utf-8', 'replace')


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
    return native_str(_decode(data, charset))


def _parse_cookies(cookie_headers):
    # type: (List[str]) -> Dict[str, str]
    """Merge the name=value pairs of every Cookie header; later ones win."""
    cookies = {}
    for header in cookie_headers:
        for piece in _header_str(header).split(';'):
            name, equals, value = piece.partition('=')
            name = name.strip(_OWS)
            if not equals or not name:
                continue
            value = value.strip(_OWS)
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
    encoding = _text_charset(charset)
    try:
        text = body.decode(encoding)
    except (UnicodeError, ValueError) as exc:
        return None, 'the body is not valid %s: %s' % (encoding, exc)
    if text[:1] == u'\ufeff':  # RFC 8259 section 8.1 lets a parser skip it
        text = text[1:]
    try:
        return json.loads(text), None
    except (ValueError, RuntimeError) as exc:  # RecursionError: deep nesting
        return None, 'invalid JSON: %s' % (exc,)


def _whatwg_unescape(match):
    # type: (Match[str]) -> str
    return _WHATWG_UNESCAPE[match.group(1)]


def _cookie_unescape(match):
    # type: (Match[str]) -> str
    if match.group(1):
        return chr(int(match.group(1), 8))
    return match.group(2)


def _parse_multipart(body, boundary, charset):
    # type: (bytes, bytes, str) -> Tuple[Form, Files]
    """Split a multipart/form-data body into (form, files)."""
    form = {}  # type: Form
    files = {}  # type: Files
    delimiter = b'--' + boundary
    first = None
    if body.startswith(delimiter):
        first = _delimiter_end(body, len(delimiter))
    if first is None:
        found = _find_delimiter(body, b'\n' + delimiter, 0)
        if found is None:
            return form, files
        first = found[1:]
    kind, position, crlf = first
    if kind == _CLOSE:
        return form, files
    # The first delimiter line decides: a CRLF body is read strictly, so a
    # bare LF in binary content is never taken for a line break.
    separator = (b'\r\n' if crlf else b'\n') + delimiter
    for _ in range(MAX_MULTIPART_PARTS):
        found = _find_delimiter(body, separator, position)
        if found is None:
            break  # an unterminated last part is incomplete: leave it out
        end, kind, next_position, _ = found
        if not crlf and end > position and body[end - 1:end] == b'\r':
            end -= 1
        _add_part(body[position:end], charset, form, files)
        if kind == _CLOSE:
            break
        position = next_position
    return form, files


def _find_delimiter(body, separator, start):
    # type: (bytes, bytes, int) -> Optional[Tuple[int, str, int, bool]]
    """Find the next real delimiter line: (index, kind, next index, crlf).

    Text in a part that merely starts like a delimiter ("--boundaryX") is
    passed over.
    """
    index = body.find(separator, start)
    while index != -1:
        after = _delimiter_end(body, index + len(separator))
        if after is not None:
            return (index,) + after
        index = body.find(separator, index + 1)
    return None


def _delimiter_end(body, index):
    # type: (bytes, int) -> Optional[Tuple[str, int, bool]]
    """Classify what follows "--boundary" at index: (kind, next, crlf)."""
    if body[index:index + 2] == b'--':
        return _CLOSE, index + 2, False
    match = _DELIMITER_LINE_END.match(body, index)
    if match is not None:
        return _PART, match.end(), match.group(1) == b'\r\n'
    if _DELIMITER_AT_END.match(body, index) is not None:
        return _CLOSE, len(body), False  # a body cut after the last boundary
    return None


def _add_part(part, charset, form, files):
    # type: (bytes, str, Form, Files) -> None
    """Record one body part in form or files; skip it if it is malformed."""
    if part[:2] == b'\r\n':
        header_block, content = b'', part[2:]
    elif part[:1] == b'\n':
        header_block, content = b'', part[1:]
    else:
        crlf_end = part.find(b'\r\n\r\n')
        lf_end = part.find(b'\n\n')
        if crlf_end != -1 and (lf_end == -1 or crlf_end < lf_end):
            header_block, content = part[:crlf_end], part[crlf_end + 4:]
        elif lf_end != -1:
            header_block, content = part[:lf_end], part[lf_end + 2:]
        else:
            return
    headers = _parse_part_headers(header_block)
    disposition = headers.get('content-disposition')
    if disposition is None:
        return
    names = {}  # type: Dict[str, str]
    extended = {}  # type: Dict[str, str]
    for key, value in _iter_params(disposition.partition(';')[2]):
        if key in ('name*', 'filename*'):
            decoded = _decode_extended_value(value)
            if decoded is not None:
                extended[key[:-1]] = decoded
        elif key in ('name', 'filename'):
            if '%' in value:
                value = _WHATWG_ESCAPE.sub(_whatwg_unescape, value)
            names[key] = _decode_header_value(value, charset)
    names.update(extended)
    name = names.get('name')
    if name is None:
        return
    part_type = headers.get('content-type')
    if 'filename' in names:
        entry = {
            'name': name,
            'filename': names['filename'],
            'content_type': (_header_str(part_type) if part_type
                             else 'application/octet-stream'),
            'content': content,
        }
        files.setdefault(name, []).append(entry)
    else:
        part_charset = charset
        if part_type:
            declared = parse_content_type(part_type)[1].get('charset')
            if declared:
                part_charset = _text_charset(declared)
        value = native_str(_decode(content, part_charset))
        form.setdefault(name, []).append(value)


def _parse_part_headers(block):
    # type: (bytes) -> Dict[str, str]
    """Parse a part's header lines into lowercased name -> value."""
    headers = {}  # type: Dict[str, str]
    name = None
    text = block.decode('latin-1') if six.PY3 else block
    for line in text.split('\n'):
        if line[-1:] == '\r':
            line = line[:-1]
        if not line:
            continue
        if line[0] in _OWS:
            if name is not None:  # obsolete line folding
                headers[name] += ' ' + line.strip(_OWS)
            continue
        key, colon, value = line.partition(':')
        if not colon:
            name = None
            continue
        name = key.strip(_OWS).lower()
        headers[name] = value.strip(_OWS)
    return headers
