"""What a child process's server hands out: its routes and its ``data`` dict.

The in-thread server returns a :class:`~httptestserver.answers.routes.Route`
from ``route()`` and has a ``data`` dict; a
:class:`~httptestserver.remote.process.ChildServer` returns stand-ins for
them that live in the child.  :class:`RemoteRoute` is the stub(s) one
``route()`` call added; :class:`RemoteData` reads and writes the child's
``data`` dict.  Nothing is cached: every read is one call over the control
API (a :class:`~httptestserver.remote.control_client.ControlClient`), so a
view always shows the child's state now.
"""
from ..headers import Headers
from ..answers.matchers import Matcher
from .codec import entry_from_json, from_json, to_json

__all__ = ['RemoteRoute', 'RemoteData']


class RemoteRoute(object):
    """A route in a child process: the stub(s) it was added as.

    *server* is the :class:`~httptestserver.remote.process.ChildServer` it
    belongs to, *client* that server's control client.
    """

    def __init__(self, server, client, stubs):
        self.server = server
        self.stubs = list(stubs)
        self._client = client

    @property
    def id(self):
        """The id of the (first) stub."""
        return self.stubs[0]['id']

    def describe(self):
        return Matcher(self.stubs[0]['match']).describe()

    @property
    def calls(self):
        """The requests this route's match selects (from the history)."""
        return [entry_from_json(e) for e in self._client.call(
            'POST', 'requests/find?format=entries',
            self.stubs[0]['match'])[1]['requests']]

    def __repr__(self):
        return '<RemoteRoute %s>' % self.describe()


class RemoteData(object):
    """The child's ``data`` dict; each access is one control API call.

    *server* is the :class:`~httptestserver.remote.process.ChildServer` it
    belongs to (kept alive while the view is), *client* its control client.
    """

    def __init__(self, server, client):
        self.server = server
        self._client = client

    def copy(self):
        """Return a plain ``dict`` snapshot."""
        data = from_json(self._client.call('GET', 'data')[1])
        for key in ('headers', 'response_headers'):
            if isinstance(data.get(key), list):
                data[key] = Headers([tuple(p) for p in data[key]])
        return data

    def __getitem__(self, key):
        return self.copy()[key]

    def get(self, key, default=None):
        return self.copy().get(key, default)

    def __contains__(self, key):
        return key in self.copy()

    def __iter__(self):
        return iter(list(self.copy()))

    def __len__(self):
        return len(self.copy())

    def keys(self):
        return list(self.copy().keys())

    def values(self):
        return list(self.copy().values())

    def items(self):
        return list(self.copy().items())

    def __setitem__(self, key, value):
        self.update({key: value})

    def update(self, *args, **kws):
        values = dict(*args, **kws)
        if isinstance(values.get('response_headers'), Headers):
            values['response_headers'] = values['response_headers'].items_all()
        self._client.call('POST', 'data', to_json(values))

    def __delitem__(self, key):
        if key not in self:
            raise KeyError(key)
        self._client.call('DELETE', 'data/' + key)

    def pop(self, key, *default):
        data = self.copy()
        if key not in data:
            if default:
                return default[0]
            raise KeyError(key)
        self._client.call('DELETE', 'data/' + key)
        return data[key]

    def setdefault(self, key, default=None):
        data = self.copy()
        if key not in data:
            self[key] = default
            return default
        return data[key]

    def clear(self):
        self._client.call('DELETE', 'data')

    def __eq__(self, other):
        return self.copy() == other

    def __ne__(self, other):
        return not self == other

    __hash__ = None  # type: ignore

    def __repr__(self):
        return repr(self.copy())
