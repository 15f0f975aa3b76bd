"""HTTP header fields: a case-insensitive, ordered, multi-valued mapping.

:class:`Headers` is what the server records for every request and what it
sends back; it never touches a socket.  Bottom layer: imports nothing from
the package.
"""
import six
from six.moves import collections_abc

__all__ = ['Headers']


class Headers(collections_abc.MutableMapping):
    """Case-insensitive header mapping that keeps every value in order.

    ``headers['content-type']`` finds a field sent as ``Content-Type``;
    a repeated field reads as its values joined by ``', '`` (as RFC 9110
    allows), and :meth:`get_all` returns them one by one.  Iteration gives
    each name once, in its first spelling.  Compares equal to any mapping with
    the same names (in any case) and values.

    Not thread-safe by itself: each history entry has its own copy.
    """

    def __init__(self, items=None):
        self._items = []  # list of (name, value) in arrival order
        if items is not None:
            self.extend(items)

    # -- multi-valued API ---------------------------------------------------
    def add(self, name, value):
        """Append a field, keeping any earlier field of the same name."""
        self._items.append((str(name), value))

    def extend(self, items):
        """Append every field of a mapping or an iterable of (name, value)."""
        if type(items) is list:  # pairs, the common case: no ABC check
            pass
        elif isinstance(items, Headers):
            items = items.items_all()
        elif isinstance(items, collections_abc.Mapping):
            items = items.items()
        self._items.extend([(str(name), value) for name, value in items])

    def get_all(self, name, default=None):
        """Return the list of values of *name*, or *default* if absent."""
        key = name.lower()
        values = [v for n, v in self._items if n.lower() == key]
        return values if values else default

    getlist = get_all

    def get(self, name, default=None):
        """Return the value of *name* (repeats joined by ``', '``), or
        *default* if absent."""
        values = self.get_all(name)
        if values is None:
            return default
        return values[0] if len(values) == 1 else ', '.join(values)

    def items_all(self):
        """Return every (name, value) pair in order, repeats included."""
        return list(self._items)

    # -- mapping API --------------------------------------------------------
    def __getitem__(self, name):
        values = self.get_all(name)
        if values is None:
            raise KeyError(name)
        if len(values) == 1:
            return values[0]
        return ', '.join(values)

    def __setitem__(self, name, value):
        key = name.lower()
        self._items = [(n, v) for n, v in self._items if n.lower() != key]
        self._items.append((str(name), value))

    def __delitem__(self, name):
        key = name.lower()
        kept = [(n, v) for n, v in self._items if n.lower() != key]
        if len(kept) == len(self._items):
            raise KeyError(name)
        self._items = kept

    def __contains__(self, name):
        if not isinstance(name, six.string_types):
            return False
        key = name.lower()
        return any(n.lower() == key for n, _ in self._items)

    def __iter__(self):
        seen = set()
        for name, _ in self._items:
            key = name.lower()
            if key not in seen:
                seen.add(key)
                yield name

    def __len__(self):
        return len(set(n.lower() for n, _ in self._items))

    def __eq__(self, other):
        if not isinstance(other, collections_abc.Mapping):
            return NotImplemented
        if not isinstance(other, Headers):
            other = Headers(other)
        return _folded(self) == _folded(other)

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None  # type: ignore[assignment]  # mutable: unhashable

    def copy(self):
        return Headers(self._items)

    def __repr__(self):
        return 'Headers(%r)' % (self._items,)


def _folded(headers):
    return dict((name.lower(), headers[name]) for name in headers)
