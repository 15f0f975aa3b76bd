# -*- coding: utf-8 -*-
"""What the request-part decoding tests share: native strings, received
values, a short call of parse_fields and a multipart body builder."""

import six

from httptestserver.protocol.parts import parse_fields

MULTIPART = 'multipart/form-data; boundary=BOUNDARY'


def native(text):
    """Return text as the native str the parser gives on this interpreter."""
    if six.PY2:  # Python 2: native str is UTF-8 encoded bytes
        return text.encode('utf-8')
    return text


def received(raw):
    """Return raw target or header bytes as http.server hands them over."""
    if six.PY2:  # Python 2: http.server keeps the bytes
        return raw
    return raw.decode('latin-1')


def parse(target='/', content_type=None, cookies=(), body=b''):
    return parse_fields(target, content_type, list(cookies), body)


def multipart(*parts, **kwargs):
    """Build a CRLF multipart body from (header lines, content) pairs."""
    boundary = kwargs.get('boundary', b'BOUNDARY')
    chunks = []
    for headers, content in parts:
        chunks.append(b'--' + boundary + b'\r\n')
        for header in headers:
            chunks.append(header + b'\r\n')
        chunks.append(b'\r\n' + content + b'\r\n')
    chunks.append(b'--' + boundary + b'--\r\n')
    return b''.join(chunks)
