"""Static file facts and bodies: what a file on disk says about itself.

This module owns what the static mount (:mod:`httptestserver.static.mounts`)
needs to know of one file, without any request: its content type (a fixed
table, so a test answers the same on every machine), its validators (``ETag``,
``Last-Modified``), whether it may be opened (a regular file, readable), its
body streamed in chunks (:class:`FileBody`), and the headers and status of its
sidecar file.  It knows nothing of URLs, requests or responses; the mount
imports it, never the reverse.  Pure apart from reading the file system: no
sockets, threads or locks.
"""
import email.utils
import errno
import io
import mimetypes
import os
import re
import stat

import six

from ..errors import ConfigurationError

__all__ = ['CHUNK_SIZE', 'CONTENT_TYPES', 'FileBody', 'Refused',
           'content_type', 'check_content_types', 'is_file', 'open_file',
           'etag', 'last_modified', 'read_sidecar']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List, Optional, Tuple  # noqa: F401

#: Files up to this size are read whole (and kept in history as
#: ``response_content``); larger ones stream in chunks of this size.
CHUNK_SIZE = 256 * 1024

#: Content types by extension, so a test answers the same on every machine
#: (:mod:`mimetypes` reads the host's ``/etc/mime.types``); the rest fall
#: back to :mod:`mimetypes`, then ``application/octet-stream``.
CONTENT_TYPES = {
    '.html': 'text/html', '.htm': 'text/html', '.css': 'text/css',
    '.js': 'text/javascript', '.mjs': 'text/javascript',
    '.json': 'application/json', '.map': 'application/json',
    '.txt': 'text/plain', '.csv': 'text/csv', '.md': 'text/markdown',
    '.xml': 'application/xml', '.rss': 'application/rss+xml',
    '.atom': 'application/atom+xml', '.svg': 'image/svg+xml',
    '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg',
    '.gif': 'image/gif', '.webp': 'image/webp', '.ico': 'image/x-icon',
    '.avif': 'image/avif', '.woff': 'font/woff', '.woff2': 'font/woff2',
    '.ttf': 'font/ttf', '.otf': 'font/otf', '.pdf': 'application/pdf',
    '.zip': 'application/zip', '.gz': 'application/gzip',
    '.tar': 'application/x-tar', '.wasm': 'application/wasm',
    '.webmanifest': 'application/manifest+json', '.mp4': 'video/mp4',
    '.webm': 'video/webm', '.mp3': 'audio/mpeg', '.ogg': 'audio/ogg',
    '.wav': 'audio/wav', '.bin': 'application/octet-stream',
    '.py': 'text/x-python', '.sqlite': 'application/vnd.sqlite3',
    '.db': 'application/vnd.sqlite3',
}

_TEXTUAL = re.compile(r'^(text/.*|application/(json|xml|javascript|'
                      r'ecmascript|[\w.+-]*\+(xml|json))|image/svg\+xml)$')
_STATUS_LINE = re.compile(r'^(?:HTTP/\d(?:\.\d)?\s+|Status:\s*)(\d{3})'
                          r'(?:\s+(.*))?$', re.IGNORECASE)
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# RFC 9110 5.5: field values are visible characters, spaces and tabs.
_CONTROL = re.compile(u'[\x00-\x08\x0a-\x1f\x7f]')
#: Headers a sidecar may not set: the server frames the body itself.
_FRAMING = ('content-length', 'transfer-encoding', 'connection')


class FileBody(object):
    """An iterator of ``bytes`` chunks of one open file, closed at the end.

    Reads *length* bytes from *offset* of the binary file object *fileobj*,
    at most *chunk_size* at a time, so memory stays flat whatever the size.
    The file is closed when the last chunk has been read, when
    :meth:`close` is called (idempotent; the server calls it for ``HEAD``
    and should call it when the client goes away), and at the latest when
    the body is garbage collected.  Not thread-safe: one connection reads it.
    """

    #: The file may shrink while it is served: a short body is the file's
    #: doing, not the test's (the server closes the connection, and logs).
    may_shrink = True

    def __init__(self, fileobj, offset, length, chunk_size=CHUNK_SIZE):
        self.file = fileobj
        self.remaining = length
        self.chunk_size = chunk_size
        if offset:
            fileobj.seek(offset)

    def __iter__(self):
        return self

    def __next__(self):
        if self.file is None:
            raise StopIteration
        if self.remaining <= 0:
            self.close()
            raise StopIteration
        chunk = self.file.read(min(self.chunk_size, self.remaining))
        if not chunk:  # the file shrank under us: end early, never hang
            self.close()
            raise StopIteration
        self.remaining -= len(chunk)
        return chunk

    next = __next__  # Python 2

    @property
    def closed(self):
        return self.file is None

    def close(self):
        """Close the file; harmless when already closed."""
        fileobj, self.file = self.file, None
        if fileobj is not None:
            fileobj.close()

    def __del__(self):
        self.close()


class Refused(Exception):
    """The request cannot be answered from the file system: status, why."""

    def __init__(self, status, message):
        super(Refused, self).__init__(message)
        self.status = status
        self.message = message


def content_type(path, overrides=None, charset='utf-8'):
    # type: (str, Optional[Dict[str, str]], Optional[str]) -> str
    """Return the ``Content-Type`` of the file at *path*, by extension.

    *overrides* (``{'.ext': 'type'}``, lower-case, as returned by
    :func:`check_content_types`) are sent verbatim; else
    :data:`CONTENT_TYPES`, then :mod:`mimetypes`, then
    ``application/octet-stream``, with ``; charset=`` *charset* added to
    textual types (unless *charset* is None).  Pure.
    """
    name = os.path.basename(path).lower()
    ext = os.path.splitext(name)[1]
    if overrides and ext in overrides:
        return overrides[ext]
    kind = CONTENT_TYPES.get(ext) or mimetypes.guess_type(name)[0] \
        or 'application/octet-stream'
    if charset and _TEXTUAL.match(kind):
        kind += '; charset=%s' % charset
    return kind


def check_content_types(content_types):
    # type: (Any) -> Dict[str, str]
    """Return the content type overrides *content_types*, keys lower-cased.

    None gives ``{}``.  Raises :class:`ConfigurationError` unless it maps
    ``'.ext'`` to ``'type/subtype'``.  Pure.
    """
    if content_types is None:
        return {}
    if not hasattr(content_types, 'items'):
        raise ConfigurationError(
            "content_types must be a dict like {'.xml': 'text/xml'}, got %r"
            % (content_types,))
    checked = {}
    for ext, kind in content_types.items():
        if not isinstance(ext, six.string_types) or not ext.startswith('.') \
                or not isinstance(kind, six.string_types) or '/' not in kind:
            raise ConfigurationError(
                "content_types maps '.ext' to 'type/subtype' (e.g. {'.xml': "
                "'text/xml; charset=latin-1'}), got %r: %r" % (ext, kind))
        checked[ext.lower()] = str(kind)
    return checked


def is_file(path):
    """Return True if *path* is a regular file (a FIFO is not: opening one
    would block the connection until some writer comes)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def open_file(path):
    # type: (str) -> Tuple[Any, Any]
    """Open *path* for binary reading; return (file, its ``os.fstat``).

    Raises :class:`Refused` (404 if it is not a regular file or is
    missing, 403 if the server may not read it).  The caller closes the
    file.
    """
    if not is_file(path):
        raise Refused(404, 'Not found: %s is not a regular file.'
                      % os.path.basename(path))
    try:
        fileobj = io.open(path, 'rb')
    except (IOError, OSError) as exc:
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise Refused(403, 'Forbidden: the server cannot read %s.'
                          % os.path.basename(path))
        raise Refused(404, 'Not found: %s' % os.path.basename(path))
    try:
        info = os.fstat(fileobj.fileno())
    except OSError:
        fileobj.close()
        raise
    if not stat.S_ISREG(info.st_mode):
        fileobj.close()
        raise Refused(404, 'Not found: %s is not a regular file.'
                      % os.path.basename(path))
    return fileobj, info


def etag(info, suffix=''):
    # type: (Any, str) -> str
    """Return the strong ``ETag`` of a file from its ``os.stat`` *info*:
    inode, modification time in nanoseconds and size, then *suffix* (e.g.
    ``'-gz'`` for a compressed variant).  Pure."""
    return '"%x-%x-%x%s"' % (info.st_ino, _mtime_ns(info), info.st_size,
                             suffix)


def last_modified(info):
    # type: (Any) -> str
    """Return the ``Last-Modified`` value of a file from its *info*.  Pure."""
    return email.utils.formatdate(int(info.st_mtime), usegmt=True)


def _mtime_ns(info):
    ns = getattr(info, 'st_mtime_ns', None)
    if ns is None:  # Python 2
        ns = int(info.st_mtime * 1e9)
    return ns


def read_sidecar(path, name=None):
    # type: (str, Optional[str]) -> Tuple[int, List[Tuple[str, str]]]
    """Return (status, [(name, value)]) from the sidecar file at *path*:
    ``(200, [])`` when there is none.

    A sidecar holds ``Name: value`` lines, optionally after a status line
    (``HTTP/1.1 404 Not Found`` or ``Status: 404``); blank lines and ``#``
    comments are ignored.  Raises :class:`ConfigurationError` naming the
    file (as *name*, e.g. its path relative to the mount; default its base
    name) and the line when it is over 64 KiB, a line is neither, a value
    holds a control character, a status is below 200, or it sets a framing
    header.  The message never quotes the file: it may be a secret that a
    500 page would show to the client.
    """
    if not is_file(path):
        return 200, []
    name = name or os.path.basename(path)
    with io.open(path, 'rb') as sidecar:
        raw = sidecar.read(64 * 1024 + 1)
    if len(raw) > 64 * 1024:
        raise ConfigurationError('sidecar %s is over 64 KiB; it should hold '
                                 'a few header lines' % name)
    status, seen_status = 200, False
    items = []  # type: List[Tuple[str, str]]
    for number, line in enumerate(raw.decode('latin-1').splitlines(), 1):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        match = _STATUS_LINE.match(line)
        if match and not items and not seen_status:
            seen_status = True
            status = int(match.group(1))
            if status < 200:
                raise ConfigurationError(
                    'sidecar %s line %d: status %d cannot answer a file; '
                    'use 200 to 999' % (name, number, status))
            continue
        header, sep, value = line.partition(':')
        header = header.strip()
        if not sep or not _HEADER_NAME.match(header):
            raise ConfigurationError(
                'sidecar %s line %d is not "Name: value" nor a status line '
                '("HTTP/1.1 404 Not Found" or "Status: 404")'
                % (name, number))
        if header.lower() in _FRAMING:
            raise ConfigurationError(
                'sidecar %s line %d sets %s; the server frames the body '
                'itself, remove that line' % (name, number, header))
        value = value.strip()
        if _CONTROL.search(value):
            raise ConfigurationError(
                'sidecar %s line %d: the value of %s holds a control '
                'character; a header value is printable text'
                % (name, number, header))
        items.append((str(header), str(value)))
    return status, items
