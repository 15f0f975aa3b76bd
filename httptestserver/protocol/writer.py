"""Writing responses onto the wire, without I/O: a response in, bytes out.

This module owns the response grammar: the status line and its reason
phrase, header fields checked so that none can smuggle another onto the wire
(RFC 9110 5.5), and body framing -- ``Content-Length``, chunked, or
close-delimited.  Pure functions: no sockets, threads or clock.
"""
import re

__all__ = ['REASONS', 'reason', 'check_header', 'wire', 'chunk',
           'LAST_CHUNK']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Optional  # noqa: F401

# What must never reach the wire inside a response header (RFC 9110 5.5).
_BAD_NAME = re.compile(r"[^!#$%&'*+\-.^_`|~0-9A-Za-z]")
_BAD_VALUE = re.compile(r'[\r\n\x00]')
#: The last chunk of a chunked body, with no trailer fields.
LAST_CHUNK = b'0\r\n\r\n'

#: Reason phrases of the status line, as Python's http.server sends them.
REASONS = {
    100: 'Continue', 101: 'Switching Protocols', 102: 'Processing',
    103: 'Early Hints', 200: 'OK', 201: 'Created', 202: 'Accepted',
    203: 'Non-Authoritative Information', 204: 'No Content',
    205: 'Reset Content', 206: 'Partial Content', 207: 'Multi-Status',
    208: 'Already Reported', 226: 'IM Used', 300: 'Multiple Choices',
    301: 'Moved Permanently', 302: 'Found', 303: 'See Other',
    304: 'Not Modified', 305: 'Use Proxy', 307: 'Temporary Redirect',
    308: 'Permanent Redirect', 400: 'Bad Request', 401: 'Unauthorized',
    402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
    405: 'Method Not Allowed', 406: 'Not Acceptable',
    407: 'Proxy Authentication Required', 408: 'Request Timeout',
    409: 'Conflict', 410: 'Gone', 411: 'Length Required',
    412: 'Precondition Failed', 413: 'Request Entity Too Large',
    414: 'Request-URI Too Long', 415: 'Unsupported Media Type',
    416: 'Requested Range Not Satisfiable', 417: 'Expectation Failed',
    418: "I'm a Teapot", 421: 'Misdirected Request',
    422: 'Unprocessable Entity', 423: 'Locked', 424: 'Failed Dependency',
    425: 'Too Early', 426: 'Upgrade Required', 428: 'Precondition Required',
    429: 'Too Many Requests', 431: 'Request Header Fields Too Large',
    451: 'Unavailable For Legal Reasons', 500: 'Internal Server Error',
    501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
    504: 'Gateway Timeout', 505: 'HTTP Version Not Supported',
    506: 'Variant Also Negotiates', 507: 'Insufficient Storage',
    508: 'Loop Detected', 510: 'Not Extended',
    511: 'Network Authentication Required',
}


def reason(status):
    # type: (int) -> str
    """Return the reason phrase for *status*, ``''`` when there is none."""
    return REASONS.get(status, '')


def wire(value):
    """Return a header name or value as bytes for the wire."""
    if isinstance(value, bytes):
        return value
    if not isinstance(value, type(u'')):
        value = u'%s' % (value,)
    try:
        return value.encode('latin-1')
    except UnicodeError:
        return value.encode('utf-8')


def check_header(name, value):
    # type: (Any, Any) -> Optional[str]
    """Return why a response header cannot be sent, or None if it can.

    A name must be a token (RFC 9110 5.1) and a value must hold no CR, LF or
    NUL (5.5), so that no header can ever smuggle another one onto the wire.
    Pure; never raises.
    """
    if isinstance(name, bytes):
        name = name.decode('latin-1')
    if isinstance(value, bytes):
        value = value.decode('latin-1')
    name, value = u'%s' % (name,), u'%s' % (value,)
    if not name or _BAD_NAME.search(name):
        return ('header name %r is not a token (letters, digits and '
                "!#$%%&'*+-.^_`|~ only)" % (name,))
    if _BAD_VALUE.search(value):
        return ('header %s has a value with CR, LF or NUL in it (%r); a '
                'header value is one line' % (name, value))
    return None


def chunk(data):
    # type: (bytes) -> bytes
    """Return *data* framed as one chunk of a chunked body."""
    return b''.join((('%x\r\n' % len(data)).encode('ascii'), data, b'\r\n'))
