"""Split a ``multipart/form-data`` body into form fields and files.

This module owns the multipart grammar as clients really send it: delimiter
lines (CRLF or bare LF, trailing padding, a body cut after the last
boundary), each part's header block, and the Content-Disposition names and
filenames with their escapes (``\\"``, WHATWG ``%22``/``%0D``/``%0A``,
RFC 5987 ``filename*``).  Like the rest of the request-part decoding it is
pure and never raises on what a client sent: a part that is not complete is
left out.  Its text values are native ``str`` (:mod:`.params`).
"""

import re

import six

from .params import OWS, decode_extended_value, decode_header_value, \
    decode_text, header_str, iter_params, parse_content_type, text_charset
from .._compat import native_str

__all__ = ['parse_multipart', 'MAX_MULTIPART_PARTS']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import (  # noqa: F401
        Any, Dict, List, Match, Optional, Tuple)
    Form = Dict[str, List[str]]
    Files = Dict[str, List[Dict[str, Any]]]

#: More parts than this in one multipart body are ignored.
MAX_MULTIPART_PARTS = 1000

# The only escapes browsers and urllib3 apply to multipart names and filenames
# (https://html.spec.whatwg.org/#multipart-form-data).
_WHATWG_ESCAPE = re.compile(r'%(22|0[AaDd])')
_WHATWG_UNESCAPE = {'22': '"', '0A': '\n', '0a': '\n', '0D': '\r', '0d': '\r'}
# What may follow "--boundary" on a delimiter line: padding and a line break.
_DELIMITER_LINE_END = re.compile(br'[ \t]*(\r?\n)')
_DELIMITER_AT_END = re.compile(br'[ \t]*\Z')

_PART, _CLOSE = 'part', 'close'


def parse_multipart(body, boundary, charset):
    # type: (bytes, bytes, str) -> Tuple[Form, Files]
    """Split a multipart/form-data body into (form, files).

    ``boundary`` is the bytes of the Content-Type's boundary parameter;
    ``charset`` decodes the fields whose part declares none.  ``form`` maps
    a name to its list of str values, ``files`` a name to its list of
    ``{'name', 'filename', 'content_type', 'content'}`` dicts, as
    :func:`~httptestserver.protocol.parts.parse_fields` documents.  At most
    :data:`MAX_MULTIPART_PARTS` parts are read.  Pure; never raises for
    bytes.
    """
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
    for key, value in iter_params(disposition.partition(';')[2]):
        if key in ('name*', 'filename*'):
            decoded = decode_extended_value(value)
            if decoded is not None:
                extended[key[:-1]] = decoded
        elif key in ('name', 'filename'):
            if '%' in value:
                value = _WHATWG_ESCAPE.sub(_whatwg_unescape, value)
            names[key] = decode_header_value(value, charset)
    names.update(extended)
    name = names.get('name')
    if name is None:
        return
    part_type = headers.get('content-type')
    if 'filename' in names:
        entry = {
            'name': name,
            'filename': names['filename'],
            'content_type': (header_str(part_type) if part_type
                             else 'application/octet-stream'),
            'content': content,
        }
        files.setdefault(name, []).append(entry)
    else:
        part_charset = charset
        if part_type:
            declared = parse_content_type(part_type)[1].get('charset')
            if declared:
                part_charset = text_charset(declared)
        value = native_str(decode_text(content, part_charset))
        form.setdefault(name, []).append(value)


def _whatwg_unescape(match):
    # type: (Match[str]) -> str
    return _WHATWG_UNESCAPE[match.group(1)]


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
        if line[0] in OWS:
            if name is not None:  # obsolete line folding
                headers[name] += ' ' + line.strip(OWS)
            continue
        key, colon, value = line.partition(':')
        if not colon:
            name = None
            continue
        name = key.strip(OWS).lower()
        headers[name] = value.strip(OWS)
    return headers
