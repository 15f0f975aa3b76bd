"""Serving files from a directory: what a URL under a mount answers.

A :class:`Mount` maps a URL prefix to a directory and turns one recorded
request into a :class:`~httptestserver.answers.responses.Response`: the file's
bytes with its type, validators (``ETag``, ``Last-Modified``), conditional
answers (304, 412), byte ranges (206, 416), a precompressed ``.gz`` sibling,
and the per-file headers and status of a sidecar file.  The rule it keeps:
nothing outside the mount's directory is ever read.  The path is
percent-decoded exactly once, split on ``/`` only, any ``..``, backslash or NUL
refused, and the real path (symlinks resolved) of every file it opens -- the
one served, its sidecar, its ``.gz`` sibling, a directory's index -- checked to
be inside the root.  Its own pages name files relative to the mount and never
quote their contents; its redirects are rebuilt from the decoded segments, so
they never leave the site (CVE-2021-28861).

What a file says of itself without a request (its type, validators,
streamed body, sidecar) is :mod:`httptestserver.static.files`', how
request headers compare with its validators (preconditions, ranges, gzip)
is :mod:`httptestserver.static.conditional`'s, and the pages a mount
writes itself (refusals, directory listings) are
:mod:`httptestserver.static.pages`'; this module imports all three.  Pure
apart from reading the file system: no sockets, threads or locks.
:func:`serve_directory` registers a mount on a server through its public
``route()``.
"""
import os
import re
import sys

import six
from six.moves.urllib.parse import unquote_to_bytes

from . import conditional

from . import files as static_files
from .._compat import fspath
from ..errors import ConfigurationError
from ..headers import Headers
from ..answers.responses import Response
from ..answers.routes import make_route
from .files import CHUNK_SIZE, FileBody, Refused as _Refused
from .pages import listing_page, redirect_response, text_response

__all__ = ['Mount', 'FileBody', 'serve_directory']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict  # noqa: F401

_NOT_ON_ERRORS = ('Content-Type', 'Content-Encoding')
_NOT_IN_304 = ('content-type', 'content-encoding', 'accept-ranges',
               'content-length')


class Mount(object):
    """Answer requests under URL *prefix* with the files of directory *root*.

    Call it with a recorded request dict (``method``, ``url_path``,
    ``headers``; ``query_string`` is kept on redirects) to get the
    :class:`~httptestserver.answers.responses.Response`; it is the callable
    :func:`serve_directory` routes to.  Options:

    ``listing``
        ``True`` to answer a directory without ``index`` with an HTML list of
        its entries (default ``False``: 404).
    ``follow_symlinks``
        ``True`` to serve symlinks that point outside *root* (default: 404);
        it applies to sidecars, ``.gz`` siblings and index files too.
    ``content_types``
        ``{'.ext': 'type'}`` overriding the built-in table, sent verbatim
        (say ``'text/plain; charset=latin-1'`` to name a charset).
    ``charset``
        added to textual types that have none (default ``'utf-8'``;
        ``None`` adds none).
    ``index``
        the file answering for a directory (default ``'index.html'``;
        ``None``: none).
    ``gzip``
        serve ``name.gz`` with ``Content-Encoding: gzip`` to clients that
        accept it when it sits beside ``name`` (default ``True``).
    ``sidecar``
        suffix of per-file header files (default ``'.headers'``; ``None``
        turns them off): ``feed.xml.headers`` holds ``Name: value`` lines,
        optionally after a status line (``HTTP/1.1 404 Not Found`` or
        ``Status: 404``); blank lines and ``#`` comments are ignored.  Its
        headers replace those of the same name, its status replaces 200 (and
        turns off conditional and range answers).  Sidecars are never served;
        a file whose sidecar is a symlink out of *root* is 404.

    The history entry of each request gets ``file``: the absolute path of
    the file whose bytes were used (the ``.gz`` one when compressed), or
    ``None``.  Only ``GET`` and ``HEAD`` are answered (else 405); a file
    asked for as a directory (``/file.txt/``) is 404.  Thread-safe
    (it keeps no state per request) and blocks only on the file system.
    Raises :class:`~httptestserver.ConfigurationError` for bad options here,
    and when a request meets a malformed sidecar file (the server answers
    500 and :meth:`~httptestserver.Server.check` raises it in the test).
    """
    runs_in_loop = True  #: no blocking, no test code: the loop may call it

    def __init__(self, prefix, root, listing=False, follow_symlinks=False,
                 content_types=None, charset='utf-8', index='index.html',
                 gzip=True, sidecar='.headers', chunk_size=CHUNK_SIZE):
        self.prefix = _check_prefix(prefix)
        self.root = _check_root(root)
        self.real_root = os.path.realpath(self.root)
        self.listing = bool(listing)
        self.follow_symlinks = bool(follow_symlinks)
        self.content_types = static_files.check_content_types(content_types)
        if charset is not None and not isinstance(charset, six.string_types):
            raise ConfigurationError('charset must be a string such as '
                                     '"utf-8", or None, got %r' % (charset,))
        self.charset = charset
        for name, value in (('index', index), ('sidecar', sidecar)):
            if value is not None and (
                    not isinstance(value, six.string_types) or not value
                    or '/' in value or '\\' in value):
                raise ConfigurationError(
                    '%s must be a file name (no "/") or None, got %r'
                    % (name, value))
        self.index = index
        self.sidecar = sidecar
        self.gzip = bool(gzip)
        if isinstance(chunk_size, bool) or not isinstance(
                chunk_size, six.integer_types) or chunk_size < 1:
            raise ConfigurationError('chunk_size must be a number of bytes '
                                     '>= 1, got %r' % (chunk_size,))
        self.chunk_size = chunk_size

    def __repr__(self):
        return '<Mount %s -> %s>' % (self.prefix or '/', self.root)

    # -- the answer ----------------------------------------------------------
    def __call__(self, request):
        # type: (Dict[str, Any]) -> Response
        """Return the response to *request*; see the class docstring."""
        method = request.get('method') or 'GET'
        headers = request.get('headers')
        if not isinstance(headers, Headers):
            headers = Headers(headers or ())
        url_path = request.get('url_path') or ''
        try:
            if method not in ('GET', 'HEAD'):
                raise _Refused(405, 'Static files answer GET and HEAD only.')
            parts, as_directory = self._parts(url_path)
            path = self._resolve(parts)
            if os.path.isdir(path):
                return self._directory(request, url_path, parts, path,
                                       headers, method)
            if as_directory:
                raise _Refused(404, u'Not found: %s (a file, asked for as '
                                    u'a directory).' % _display(url_path))
            return self._file(path, headers, method)
        except _Refused as refused:
            response = text_response(refused.status, refused.message)
            if refused.status == 405:
                response.headers.append(('Allow', 'GET, HEAD'))
            return response

    def _parts(self, url_path):
        """Return the decoded path segments below the mount, and whether
        the path names a directory (it ends with ``/`` or ``/.``); or
        refuse."""
        # The recorded path is text (UTF-8 bytes on Python 2): raw bytes
        # that were UTF-8 are decoded, others were read as latin-1.
        raw = unquote_to_bytes(_utf8(url_path[len(self.prefix):]))
        try:
            text = raw.decode('utf-8')
        except UnicodeDecodeError:
            raise _Refused(400, 'The path is not UTF-8 once percent-decoded.')
        if u'\x00' in text:
            raise _Refused(400, 'The path holds a NUL byte.')
        segments = text.split(u'/')
        as_directory = len(segments) > 1 and segments[-1] in (u'', u'.')
        parts = [part for part in segments if part not in (u'', u'.')]
        for part in parts:
            if part == u'..' or u'\\' in part or \
                    os.path.splitdrive(part)[0] or \
                    (os.altsep and os.altsep in part):
                raise _Refused(404, u'Not found: %s (paths may not leave '
                                    u'the mount).' % _display(url_path))
            if self.sidecar and part.endswith(self.sidecar):
                raise _Refused(404, u'Not found: %s (sidecar files are '
                                    u'never served).' % _display(url_path))
        return parts, as_directory

    def _resolve(self, parts):
        """Return the file-system path for *parts*, checked to be inside."""
        path = os.path.join(self.root, *parts) if parts else self.root
        if not os.path.exists(path):
            raise _Refused(404, 'Not found: %s' % '/'.join(parts))
        if not self._allowed(path):
            raise _Refused(404, 'Not found: %s (a symlink out of the mount; '
                                'pass follow_symlinks=True to serve it).'
                           % '/'.join(parts))
        return path

    def _allowed(self, path):
        """True if the mount may open *path*: its real path is inside the
        root, or symlinks out are followed."""
        return self.follow_symlinks or self._inside(path)

    def _inside(self, path):
        real = os.path.realpath(path)
        root = self.real_root
        return real == root or real.startswith(root.rstrip(os.sep) + os.sep)

    def _name(self, path):
        """*path* as the pages name it: relative to the mount's root."""
        return os.path.relpath(path, self.root).replace(os.sep, '/')

    def _directory(self, request, url_path, parts, path, headers, method):
        if not url_path.endswith('/'):
            return redirect_response(self.prefix, parts + [u''],
                                     request.get('query_string'))
        if self.index:
            index = os.path.join(path, self.index)
            if static_files.is_file(index) and self._allowed(index):
                return self._file(index, headers, method)
        if not self.listing:
            raise _Refused(404, u'Not found: %s is a directory without %s '
                                u'and listing is off (pass listing=True).'
                           % (_display(url_path), self.index))
        body = self._listing(url_path, parts, path).encode('utf-8')
        response = Response(200, [
            ('Content-Type', 'text/html; charset=utf-8'),
            ('Content-Length', str(len(body)))], body)
        response.record = {'file': None, 'directory': os.path.abspath(path)}
        return response

    def _listing(self, url_path, parts, path):
        names = []
        for name in sorted(os.listdir(path)):
            if self.sidecar and name.endswith(self.sidecar):
                continue
            full = os.path.join(path, name)
            if not self._allowed(full):
                continue
            names.append(name + '/' if os.path.isdir(full) else name)
        return listing_page(_display(url_path), names, bool(parts))

    def _file(self, path, headers, method):
        """Answer with the file at *path* (its gzip sibling when fit)."""
        status, extra = 200, []
        if self.sidecar:
            sidecar = path + self.sidecar
            if os.path.lexists(sidecar) and not self._allowed(sidecar):
                raise _Refused(404, 'Not found: %s (its sidecar %s is a '
                                    'symlink out of the mount; pass '
                                    'follow_symlinks=True to read it).'
                               % (self._name(path), self._name(sidecar)))
            status, extra = static_files.read_sidecar(sidecar,
                                                      self._name(sidecar))
        gz = path + '.gz'
        variant = path
        has_gz = self.gzip and not path.endswith('.gz') and \
            static_files.is_file(gz) and self._allowed(gz)
        if has_gz and conditional.accepts_gzip(headers.get('Accept-Encoding')):
            variant = gz
        fileobj, info = static_files.open_file(variant)
        closing = [fileobj]
        try:
            size = info.st_size
            etag = static_files.etag(info, '-gz' if variant != path else '')
            out = Headers([
                ('Content-Type', static_files.content_type(
                    path, self.content_types, self.charset)),
                ('Last-Modified', static_files.last_modified(info)),
                ('ETag', etag),
                ('Accept-Ranges', 'bytes'),
            ])
            if variant != path:
                out['Content-Encoding'] = 'gzip'
            if has_gz:
                out['Vary'] = 'Accept-Encoding'
            record = {'file': os.path.abspath(variant)}
            offset, length = 0, size
            if status == 200:
                answer = conditional.precondition(headers, etag,
                                                  int(info.st_mtime))
                if answer == 412:
                    response = text_response(412, 'Precondition failed: '
                                             'the file is now %s.' % etag)
                    response.headers.extend(
                        (k, v) for k, v in out.items_all()
                        if k not in _NOT_ON_ERRORS)
                    response.record = record
                    return response
                if answer == 304:
                    # RFC 9110 15.4.5: the validators and what a cache
                    # updates, not what describes a body.
                    out = _apply(out, extra)
                    response = Response(304, [
                        (k, v) for k, v in out.items_all()
                        if k.lower() not in _NOT_IN_304])
                    response.record = record
                    return response
                if method == 'GET':
                    span = conditional.byte_range(
                        headers, etag, int(info.st_mtime), size)
                    if span == 416:
                        out['Content-Range'] = 'bytes */%d' % size
                        response = text_response(
                            416, 'Range not satisfiable: the file has %d '
                            'bytes.' % size)
                        response.headers.extend(
                            (k, v) for k, v in out.items_all()
                            if k not in _NOT_ON_ERRORS)
                        response.record = record
                        return response
                    if span is not None:
                        offset, length = span
                        status = 206
                        out['Content-Range'] = 'bytes %d-%d/%d' % (
                            offset, offset + length - 1, size)
            out['Content-Length'] = str(length)
            out = _apply(out, extra)
            if method == 'HEAD':
                body = b''  # Content-Length says the size; nothing is read
            elif length <= self.chunk_size:
                fileobj.seek(offset)
                body = fileobj.read(length)
            else:
                body = FileBody(fileobj, offset, length, self.chunk_size)
                closing = []
            response = Response(status, out.items_all(), body)
            response.record = record
            return response
        finally:
            for each in closing:
                each.close()


def serve_directory(server, prefix, path, **options):
    # type: (Any, str, str, **Any) -> Mount
    """Serve the files of directory *path* under URL *prefix* on *server*.

    ``serve_directory(server, '/static', 'tests/fixtures')`` answers
    ``GET /static/feed.xml`` with ``tests/fixtures/feed.xml``.  *options* are
    those of :class:`Mount`, plus *keep*: a mount made when the server is
    created (``Server(directory=...)``) survives ``reset()``, others go with
    the routes.  Mounts are tried after every route, whenever the route was
    added, so routes win; several mounts may share a server (the first
    added wins where they overlap).  Checks *path* now and raises
    :class:`~httptestserver.ConfigurationError` naming it if it is missing
    or not a directory.  Thread-safe; returns the :class:`Mount`.
    """
    keep = options.pop('keep', False)
    mount = Mount(prefix, path, **options)
    pattern = re.compile(re.escape(mount.prefix) + '(/.*)?', re.DOTALL)
    server.store.add_mount(make_route(pattern, [mount]), keep=keep)
    return mount


# -- helpers -----------------------------------------------------------------
def _check_prefix(prefix):
    if not isinstance(prefix, six.string_types) or \
            not prefix.startswith('/') or '?' in prefix or '#' in prefix:
        raise ConfigurationError(
            'prefix must be a URL path starting with "/" (e.g. "/static", '
            'or "/" for the whole server), got %r' % (prefix,))
    return str(prefix.rstrip('/'))


def _check_root(value):
    root = fspath(value)
    if root is None:
        raise ConfigurationError('path must be a directory path (str), got '
                                 '%r' % (value,))
    if six.PY2 and isinstance(root, bytes):  # Python 2: text paths throughout
        root = root.decode(sys.getfilesystemencoding() or 'utf-8')
    if not os.path.exists(root):
        raise ConfigurationError('path %r does not exist; give the directory '
                                 'of the files to serve' % (root,))
    if not os.path.isdir(root):
        raise ConfigurationError('path %r is not a directory; give the '
                                 'directory that holds it' % (root,))
    return os.path.abspath(root)


def _apply(headers, extra):
    """Return *headers* with the sidecar's *extra* replacing same names."""
    if not extra:
        return headers
    names = set(name.lower() for name, _ in extra)
    out = Headers([(k, v) for k, v in headers.items_all()
                   if k.lower() not in names])
    out.extend(extra)
    return out


def _utf8(text):
    if isinstance(text, bytes):  # Python 2: native str is UTF-8 bytes
        return text
    return text.encode('utf-8', 'surrogatepass')


def _display(url_path):
    return unquote_to_bytes(_utf8(url_path)).decode('utf-8', 'replace')
