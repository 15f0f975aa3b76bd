"""``Server.data``: the dict a test reads and writes, behind the store's lock.

:class:`StateDict` is 0.1.0's ``data``: after each request it holds that
request's fields, and the ``response_*`` keys the test sets control the
default answer.  Its rule: every access takes the server's lock, and a
``response_*`` value is checked when it is set, so a typo fails in the test
that made it.  No sockets, no threads.
"""
import six

from ..answers import faults as faultlib
from ..errors import ConfigurationError
from ..answers.responses import OneShot, check_status, header_items, \
    validate_spec

__all__ = ['StateDict']


def _validate_setting(key, value, https=True):
    if value is None:
        return
    if key == 'response_status':
        check_status(value, "data['response_status']")
    elif key in ('response_headers', 'headers'):
        header_items(value, "data[%r]" % key)
    elif key == 'response_timeout':
        faultlib.check_delay(value, "data['response_timeout']")
    elif key == 'response_fault':
        faultlib.check_fault(value, "data['response_fault']", handshake=True)
        if not https and faultlib.is_handshake_fault(value):
            raise ConfigurationError(
                "data['response_fault'] = %r is a fault of the TLS "
                "handshake, and this server is plain HTTP: use "
                "https_server() or Server(scheme='https'), or a response "
                "fault such as 'reset'" % (value,))
    elif key == 'response_chaos':
        faultlib.check_chaos(value, "data['response_chaos']")
    elif key.startswith('response_') and key[9:] in faultlib.FAULT_KEYS:
        faultlib.check_faults({key[9:]: value}, prefix="data['response_")
    elif key == 'response_content':
        validate_spec({'body': value}, "data['response_content']")
    elif key == 'response_cookies':
        validate_spec({'cookies': value}, "data['response_cookies']")


class StateDict(dict):
    """``Server.data``: a dict whose every access takes the server's lock.

    Setting a ``response_*`` key checks its value at once, so a typo fails in
    the test that made it rather than as a 500 later.  For compatibility with
    0.1.0's own example, setting ``data['headers']`` also sets
    ``data['response_headers']``: before a request, ``headers`` are the
    response's; after it, they are the request's.  ``keys()``, ``items()`` and
    ``values()`` return snapshot lists, safe while the server writes.
    """

    def __init__(self, lock):
        dict.__init__(self)
        self._lock = lock
        #: The server-wide random generator of faults and chaos, new for
        #: each data['response_chaos'] (seeded by it) and each reset().
        self.fault_rng = faultlib.make_rng()
        #: Bumped whenever a key is set or removed (values of the request's
        #: own keys aside): what the store derives from data is cached by it.
        self.version = 0
        #: False on a plain-HTTP server: handshake faults are refused.
        self.https = True

    def __getitem__(self, key):
        with self._lock:
            return dict.__getitem__(self, key)

    def __setitem__(self, key, value):
        _validate_setting(key, value, self.https)
        if key == 'response_content' and value is not None and \
                not isinstance(value, OneShot):
            value = validate_spec({'body': value},
                                  "data['response_content']")['body']
        with self._lock:
            if key == 'response_chaos' and value is not None:
                self.fault_rng = faultlib.make_rng(value.get('seed'))
            dict.__setitem__(self, key, value)
            self.version += 1
            if key == 'headers':
                dict.__setitem__(self, 'response_headers', value)

    def __delitem__(self, key):
        with self._lock:
            dict.__delitem__(self, key)
            self.version += 1

    def __contains__(self, key):
        with self._lock:
            return dict.__contains__(self, key)

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        with self._lock:
            return dict.__len__(self)

    def __repr__(self):
        with self._lock:
            return dict.__repr__(self)

    def __reduce__(self):
        return (dict, (self.copy(),))

    def get(self, key, default=None):
        with self._lock:
            return dict.get(self, key, default)

    def setdefault(self, key, default=None):
        with self._lock:
            if not dict.__contains__(self, key):
                self[key] = default
            return dict.__getitem__(self, key)

    def pop(self, key, *default):
        with self._lock:
            self.version += 1
            return dict.pop(self, key, *default)

    def popitem(self):
        with self._lock:
            self.version += 1
            return dict.popitem(self)

    def update(self, *args, **kws):
        with self._lock:
            for key, value in dict(*args, **kws).items():
                self[key] = value

    def __ior__(self, other):  # type: ignore[misc]
        # dict's |= (3.9+) would skip the lock, the checks and the alias.
        self.update(other)
        return self

    def clear(self):
        with self._lock:
            dict.clear(self)
            self.version += 1

    def copy(self):
        """Return a plain ``dict`` snapshot."""
        with self._lock:
            return dict(dict.items(self))

    def keys(self):
        with self._lock:
            return list(dict.keys(self))

    def values(self):
        with self._lock:
            return list(dict.values(self))

    def items(self):
        with self._lock:
            return list(dict.items(self))

    if six.PY2:  # Python 2: the iter* methods would bypass the lock.
        def iterkeys(self):
            return iter(self.keys())

        def itervalues(self):
            return iter(self.values())

        def iteritems(self):
            return iter(self.items())
