"""The pages a mount writes itself: refusals and directory listings.

This module owns the bodies a static mount answers without reading a file:
the plain-text page of a refused or redirected request (404, 405, 412,
416, 301...) and the HTML listing of a directory.  The rule it keeps:
every name and path put in a page or a ``Location`` is escaped, so a file
name cannot inject markup nor send the client to another site, and every
page is UTF-8.  Which request gets which page is
:mod:`httptestserver.static.mounts`' business; it imports this module.
Pure: no file system, sockets, threads or locks.
"""
import six
from six.moves.urllib.parse import quote

from ..answers.responses import Response

__all__ = ['text_response', 'redirect_response', 'listing_page']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, List, Optional  # noqa: F401


def text_response(status, message):
    # type: (int, Any) -> Response
    """Return a :class:`~httptestserver.answers.responses.Response` with
    *status* and *message* (text, or native str) as a UTF-8 text body; its
    history entry gets ``file`` None."""
    body = (_text_type(message) + u'\n').encode('utf-8')
    response = Response(status, [('Content-Type',
                                  'text/plain; charset=utf-8')], body)
    response.record = {'file': None}
    return response


def redirect_response(prefix, parts, query=None):
    # type: (str, List[Any], Optional[str]) -> Response
    """Return a 301 to URL path *prefix* + ``/`` + the decoded segments
    *parts* (text), each percent-encoded, joined by ``/``, then ``?``
    *query* when given.

    Built from segments, never from the path as received: a path that
    starts with ``//`` (``//evil.example``) is a URL of another host to a
    browser -- the open redirect of CVE-2021-28861 in ``http.server``.
    """
    location = prefix + '/' + '/'.join(_quote(part) for part in parts)
    if query:
        location += '?' + query
    response = text_response(301, 'Moved to %s' % location)
    response.headers.append(('Location', location))
    return response


def listing_page(title, names, has_parent):
    # type: (Any, List[Any], bool) -> Any
    """Return the HTML listing (text) of *names* for the directory shown as
    *title* (its URL path, decoded), with a ``../`` link first when
    *has_parent*."""
    title = _escape(title)
    lines = ['<!DOCTYPE html>', '<html><head><meta charset="utf-8">',
             '<title>Index of %s</title></head>' % title,
             '<body><h1>Index of %s</h1><ul>' % title]
    if has_parent:
        lines.append('<li><a href="../">../</a></li>')
    for name in names:
        href = quote(name.encode('utf-8') if six.PY2 else name)
        lines.append('<li><a href="%s">%s</a></li>'
                     % (_escape(href), _escape(name)))
    lines.append('</ul></body></html>\n')
    return u'\n'.join(_text_type(line) for line in lines)


def _quote(part):
    """Percent-encode one path segment (text), keeping RFC 3986 pchars."""
    if not isinstance(part, bytes):
        part = part.encode('utf-8')
    return quote(part, safe="!$&'()*+,;=:@~")


def _text_type(value):
    if isinstance(value, bytes):  # Python 2: native str
        return value.decode('utf-8', 'replace')
    return value


def _escape(text):
    return (_text_type(text).replace(u'&', u'&amp;').replace(u'<', u'&lt;')
            .replace(u'>', u'&gt;').replace(u'"', u'&quot;')
            .replace(u"'", u'&#x27;'))
