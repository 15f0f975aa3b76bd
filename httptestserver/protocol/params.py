"""Read header values as text: parameters, charsets, one native ``str``.

This module owns how a header value becomes text -- the ``;name=value``
parameters of Content-Type and Content-Disposition, RFC 5987 extended values,
which charset name may be used to decode -- and the one rule every request
part keeps: a text value is a native ``str`` (text on Python 3, UTF-8 encoded
bytes on Python 2), and header values as :mod:`http.server` hands them over
(latin-1 decoded on Python 3, bytes on Python 2) read as UTF-8 when their
bytes are valid UTF-8, else as latin-1, so one request gives equal values on
every interpreter.  Pure, and it never raises on what a client sent; it
imports only ``_compat``.
"""

import codecs
import re

import six
from six.moves.urllib.parse import unquote_to_bytes

from .._compat import native_str

__all__ = ['parse_content_type', 'iter_params', 'decode_extended_value',
           'text_charset', 'decode_text', 'header_str', 'header_bytes',
           'text_bytes', 'decode_header_value', 'OWS']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Dict, Iterator, Optional, Tuple  # noqa: F401

#: Optional whitespace around header values and their parameters.
OWS = ' \t'
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


if six.PY2:  # Python 2: native str is bytes, holding UTF-8 encoded text
    def header_str(value):
        # type: (str) -> str
        """Return a received header value as native str (see the module)."""
        try:
            value.decode('utf-8')
        except UnicodeDecodeError:
            return value.decode('latin-1').encode('utf-8')
        return value

    def header_bytes(value):
        # type: (str) -> bytes
        """Return the bytes a received header value was sent as."""
        return value

    def text_bytes(text):
        # type: (str) -> bytes
        """Return a native str as UTF-8 bytes."""
        return text

    def decode_header_value(value, charset):
        # type: (str, str) -> str
        """Return a received header value decoded with charset, native."""
        return decode_text(value, charset).encode('utf-8')
else:
    def header_str(value):
        # type: (str) -> str
        """Return a received header value as native str (see the module)."""
        try:
            return value.encode('latin-1').decode('utf-8')
        except UnicodeError:
            return value

    def header_bytes(value):
        # type: (str) -> bytes
        """Return the bytes a received header value was sent as."""
        try:
            return value.encode('latin-1')
        except UnicodeEncodeError:
            return value.encode('utf-8', 'surrogatepass')

    def text_bytes(text):
        # type: (str) -> bytes
        """Return a native str as UTF-8 bytes."""
        # surrogatepass: a str from a direct caller may hold lone surrogates
        return text.encode('utf-8', 'surrogatepass')

    def decode_header_value(value, charset):
        # type: (str, str) -> str
        """Return a received header value decoded with charset, native."""
        return decode_text(header_bytes(value), charset)


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
    mime_type = mime_type.strip(OWS).lower()
    if not rest:
        return mime_type, {}
    params = {}
    extended = {}
    for name, param in iter_params(rest):
        if name.endswith('*'):
            decoded = decode_extended_value(param)
            if decoded is not None:
                extended[name[:-1]] = decoded
        else:
            params[name] = param
    params.update(extended)
    return mime_type, params


def iter_params(rest):
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
            value = value.rstrip(OWS)
        yield match.group(1).lower(), value


def decode_extended_value(value):
    # type: (str) -> Optional[str]
    """Decode an RFC 5987 ext-value (charset'lang'pct-encoded), or None."""
    pieces = value.split("'", 2)
    if len(pieces) != 3:
        return None
    charset, _, encoded = pieces
    return native_str(decode_text(unquote_to_bytes(encoded),
                                  text_charset(charset)))


def text_charset(name):
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


def decode_text(data, charset):
    # type: (bytes, str) -> six.text_type
    """Decode bytes to text with charset, replacing what does not decode."""
    try:
        return data.decode(charset, 'replace')
    except (UnicodeError, ValueError):  # a codec that fails on this input
        return data.decode('utf-8', 'replace')
