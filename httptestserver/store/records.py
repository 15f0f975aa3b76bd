"""Records: how each request is kept, compactly, and read back as a dict.

:class:`Records` makes the records and rebuilds entries; :class:`History` is
the read-only view of them that ``Server.history`` hands out.

A history entry is a dict of some thirty keys -- headers, query, cookies,
form, the response -- a dozen objects the cyclic garbage collector would walk
on every full collection, thousands of times over in a long suite.  So what
is kept per request is a tuple of plain values only: the raw request head,
the body (kept once, never copied), the time, the client's port, the index
of a shared description of everything requests have in common (client host,
TLS facts, the response sent, the route, the keys the test put in ``data``),
and, rarely, a dict of extra fields.  The collector stops tracking such a
tuple after its first look.  An entry is rebuilt from it when read, parsing
the head again with the same protocol layer that read it.  No sockets, no
threads; the state store serialises access.
"""
import collections

import six
from six.moves import collections_abc

from ..headers import Headers
from ..protocol.connection import Limits, Request, ServerConnection
from ..protocol.parts import parse_fields
from ..answers.responses import snapshot

__all__ = ['Records', 'History', 'request_fields']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List, Optional, Tuple  # noqa: F401

# Keys every request's fields have; the others are extras of that request.
STANDARD_KEYS = frozenset([
    'url_path', 'query_string', 'query', 'cookies', 'form', 'files', 'json',
    'json_error', 'requestline', 'command', 'method', 'path', 'url',
    'request_version', 'headers', 'body', 'client_address', 'scheme', 'tls',
    'time', 'response_status', 'response_headers', 'response_content',
    'response_timeout', 'route', 'unexpected'])
#: The keys of every request's fields as request_fields() makes them.
REQUEST_KEYS = frozenset([
    'url_path', 'query_string', 'query', 'cookies', 'form', 'files', 'json',
    'json_error', 'requestline', 'command', 'method', 'path', 'url',
    'request_version', 'headers', 'body', 'client_address', 'scheme', 'tls',
    'time'])
# Heads are read back with no limits: a custom handler may have allowed more.
_UNLIMITED = Limits(max_line=1 << 62, max_headers=1 << 62, max_body=1 << 62)


def request_fields(requestline, method, target, version, headers, body,
                   base_url, client_address=None, scheme=None, tls=None,
                   time=None, rejected=None):
    # type: (str, str, str, str, Headers, bytes, str, Any, Any, Any, Any, Optional[str]) -> Dict[str, Any]  # noqa: E501
    """Return the recorded fields of one request: the one place they are
    assembled, for a request being answered and for an entry read back.

    The request parts (query, cookies, form, files, JSON) are decoded from
    *target*, *headers* and *body*, except for a *rejected* request (its
    message is then kept under ``rejected``, and it has no ``url``).  A
    ``url`` is *base_url* (``'http://127.0.0.1:8000'``) + an origin-form
    *target*.  Pure.
    """
    if rejected is None:
        content_type, cookies = None, []
        for name, value in headers.items_all():  # one pass, not two
            name = name.lower()
            if name == 'content-type':
                content_type = value if content_type is None \
                    else content_type + ', ' + value
            elif name == 'cookie':
                cookies.append(value)
        fields = parse_fields(target, content_type, cookies, body)
        url = base_url + target if target.startswith('/') else target
    else:
        fields = parse_fields('', None, [], b'')
        url = None
    fields.update({
        'requestline': requestline, 'command': method, 'method': method,
        'path': target, 'url': url, 'request_version': version,
        'headers': headers, 'body': body, 'client_address': client_address,
        'scheme': scheme, 'tls': tls, 'time': time,
    })
    if rejected is not None:
        fields['rejected'] = rejected
    return fields


_SETTLED = (bytes, type(u''), int, float, bool, type(None))


def _settled(value):
    """True when *value* cannot change in place."""
    if type(value) in (tuple, frozenset):
        return all(_settled(item) for item in value)
    return type(value) in _SETTLED or type(value).__name__ == 'long'


def _frozen(value):
    """Return a hashable stand-in for a plain value (for interning)."""
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, Headers):
        return tuple(value.items_all())
    return value


class Records(object):
    """Makes compact records and rebuilds entries from them.

    :meth:`make` turns one answered request into a record tuple; :meth:`entry`
    turns a record back into the dict a test reads.  Descriptions shared by
    many records are interned here.  Not thread-safe: the store's lock
    (:meth:`entry` may run outside it).
    """

    def __init__(self, base_url):
        # type: (str) -> None
        self._base_url = base_url  # 'http://127.0.0.1:8000', no slash
        self._shared = []  # type: List[Dict[str, Any]]
        # The last response and TLS facts seen, with what was made of them:
        # most requests share both with the one before.
        self._last_response = (None, None)  # type: Tuple[Any, Any]
        self._last_tls = (None, None)  # type: Tuple[Any, Any]
        self._index = {}  # type: Dict[Any, int]
        #: The most request-body bytes kept, over all records (None: no
        #: limit).  Past it the oldest bodies are let go: their entries have
        #: ``body`` ``b''`` and ``body_dropped``, the size it had.  Set it
        #: before requests come: it applies to bodies recorded after.
        self.body_limit = None  # type: Optional[int]
        self._bodies = {}  # type: Dict[int, bytes]
        # (key, size), oldest first
        self._kept = collections.deque()  # type: Any
        self._kept_bytes = 0
        self._next_key = 0

    def _share(self, key, make):
        index = self._index.get(key)
        if index is None:
            index = self._index[key] = len(self._shared)
            self._shared.append(make())
        return index

    @staticmethod
    def user_key(user):
        # type: (Dict[str, Any]) -> Any
        """Return *user* (the keys the test put in ``data``) as a hashable
        key, for :meth:`make`; the store makes it once per change.  None
        when a value can change in place (a list, a dict): ``data`` does
        not see that, so :meth:`make` freezes it again each time."""
        if not user:
            return ()
        if not all(_settled(value) for value in user.values()):
            return None
        return _frozen(user)

    def make(self, fields, head, response, route_name, unexpected, user,
             extras, user_key=None):
        # type: (Dict[str, Any], bytes, Any, Optional[str], bool, Dict[str, Any], Optional[Dict[str, Any]], Any) -> Tuple[Any, ...]  # noqa: E501
        """Return the record of one request.

        *fields* are its recorded fields, *head* its raw head (``b''`` for a
        rejected request, whose *extras* then hold its fields), *response*
        the :class:`~httptestserver.Response` chosen (or None),
        *user* the keys the test put in ``data`` (copied when they change),
        *extras* fields beyond the standard ones (or None), *user_key*
        :meth:`user_key` of *user* when the caller has it.
        """
        host, port = fields['client_address'][:2]
        tls = fields.get('tls')
        if response is None:
            summary = None
        elif response is self._last_response[0]:
            summary = self._last_response[1]  # a shared, unchanged response
        else:
            summary = (response.status, tuple(response.headers),
                       None if response.streamed else response.body,
                       response.delay)
            self._last_response = (response, summary)
        if tls is None:
            tls_key = None
        elif tls is self._last_tls[0]:
            tls_key = self._last_tls[1]  # the same connection's facts
        else:
            tls_key = _frozen(tls)
            self._last_tls = (tls, tls_key)
        if user_key is None:
            user_key = _frozen(user) if user else ()
        key = (host, fields.get('scheme'), tls_key, summary, route_name,
               unexpected, user_key)

        def make():
            return {'host': host, 'scheme': fields.get('scheme'),
                    'tls': snapshot(tls), 'summary': summary,
                    'route': route_name, 'unexpected': unexpected,
                    'user': snapshot(user)}
        try:
            index = self._share(key, make)
        except TypeError:  # an unhashable value the test put in data
            index = len(self._shared)
            self._shared.append(make())
        body = fields.get('body') or b''  # type: Any
        if body and self.body_limit is not None:
            body = self._keep(body)
        return (head, body, fields['time'], port, index,
                snapshot(extras) if extras else None)

    def _keep(self, body):
        """Keep *body* within :attr:`body_limit`, letting the oldest go;
        return ``(key, size)``, what the record holds instead of it."""
        key, size = self._next_key, len(body)
        self._next_key += 1
        if size > self.body_limit:  # would push out all the others
            return key, size
        self._bodies[key] = body
        self._kept.append((key, size))
        self._kept_bytes += size
        while self._kept_bytes > self.body_limit:
            old, old_size = self._kept.popleft()
            del self._bodies[old]
            self._kept_bytes -= old_size
        return key, size

    def entry(self, record):
        # type: (Tuple[Any, ...]) -> Dict[str, Any]
        """Return the history entry of *record*: a new dict sharing nothing
        mutable with the server."""
        head, body, when, port, index, extras = record
        shared = self._shared[index]
        dropped = None
        if isinstance(body, tuple):  # kept under body_limit, or let go
            key, dropped = body
            body = self._bodies.get(key)
            if body is not None:
                dropped = None
        fields = {}  # type: Dict[str, Any]
        if head:
            request = _parse_head(head)
            fields = request_fields(
                request.requestline, request.method, request.target,
                request.version, Headers(request.headers), body or b'',
                self._base_url)
            if dropped is not None:
                fields['body_dropped'] = dropped
        fields.update({
            'client_address': (shared['host'], port),
            'scheme': shared['scheme'], 'tls': snapshot(shared['tls']),
            'time': when, 'route': shared['route'],
            'unexpected': shared['unexpected'],
        })
        summary = shared['summary']
        if summary is not None:
            status, pairs, content, delay = summary
            fields.update({
                'response_status': status,
                'response_headers': Headers(pairs),
                'response_content': content, 'response_timeout': delay,
            })
        if extras:
            fields.update(snapshot(extras))
        for key, value in shared['user'].items():
            if key not in fields:
                fields[key] = snapshot(value)
        return fields


class History(collections_abc.Sequence):
    """``Server.history``: the requests recorded so far, oldest first.

    A read-only snapshot: what was recorded when it was taken, however many
    requests come later.  ``len()``, indexing (``history[-1]``) and slicing
    cost nothing per entry not read; each entry read is a copy that shares
    nothing with the server (so changing it changes nothing).  It compares
    equal to a list of the same entries and prints like one; ``list(history)``
    makes a plain list.  Thread-safe.
    """

    __slots__ = ('_entries', '_length', '_entry')

    def __init__(self, entries, length, entry=snapshot):
        # The store never changes a list in place but by appending, so the
        # first *length* records of *entries* stay as they are; *entry*
        # turns one into the dict the test reads.
        self._entries = entries
        self._length = length
        self._entry = entry

    def __len__(self):
        return self._length

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._entry(entry) for entry in
                    self._entries[:self._length][index]]
        length = self._length
        if isinstance(index, bool) or not isinstance(
                index, six.integer_types):
            raise TypeError('history indices must be integers or slices, '
                            'not %s' % type(index).__name__)
        if index < 0:
            index += length
        if not 0 <= index < length:
            raise IndexError('history index out of range (%d entries)'
                             % length)
        return self._entry(self._entries[index])

    def __iter__(self):
        entries, entry = self._entries, self._entry
        for index in six.moves.range(self._length):
            yield entry(entries[index])

    def __eq__(self, other):
        if isinstance(other, (list, tuple, History)):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None  # type: ignore[assignment]

    def __add__(self, other):
        return list(self) + list(other)

    def __radd__(self, other):
        return list(other) + list(self)

    def __repr__(self):
        return repr(list(self))

    def copy(self):
        """Return the entries as a plain list."""
        return list(self)


def _parse_head(head):
    # type: (bytes) -> Request
    connection = ServerConnection(_UNLIMITED)
    connection.receive_data(head)
    event = connection.next_event()
    if not isinstance(event, Request):  # pragma: no cover - read once before
        raise ValueError('a recorded head no longer parses: %r' % head[:80])
    return event
