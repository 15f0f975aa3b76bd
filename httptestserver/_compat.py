"""Compatibility between Python 2.7 and 3.6+ that ``six`` does not cover.

Everything here is small and tagged ``# Python 2``; the rest of the package
imports it from here instead of testing versions itself.  Bottom layer: it
imports nothing from the package.
"""
import os
import sys
import time

__all__ = ['PY2', 'monotonic', 'wait_for', 'native_str', 'fspath']

PY2 = sys.version_info[0] == 2

if PY2:  # Python 2: no time.monotonic; wall clock is the best there is.
    monotonic = time.time
else:
    monotonic = time.monotonic


def wait_for(condition, predicate, timeout):
    """Wait on *condition* (held by the caller) until *predicate()* is true.

    Return the last value of *predicate()*: true if it became true, false if
    *timeout* seconds passed first.  ``timeout=None`` waits forever.

    ``Condition.wait_for`` does not exist on Python 2 and ``wait`` returns
    ``None`` there, so the deadline is computed here.  # Python 2
    """
    result = predicate()
    if result or timeout is not None and timeout <= 0:
        return result
    deadline = None if timeout is None else monotonic() + timeout
    while not result:
        if deadline is None:
            # Python 2: a wait without timeout cannot be interrupted by Ctrl-C.
            condition.wait(3600)
        else:
            remaining = deadline - monotonic()
            if remaining <= 0:
                break
            condition.wait(remaining)
        result = predicate()
    return result


def native_str(value):
    """Return *value* as the native ``str``: text as UTF-8 bytes on
    Python 2, other objects through ``str()``."""
    if PY2 and isinstance(value, unicode):  # noqa: F821  # Python 2
        return value.encode('utf-8')
    return value if isinstance(value, str) else str(value)


def fspath(value):
    """Return *value* (``str``, ``bytes``, ``os.PathLike`` or a Python 2
    ``py.path.local``) as a path string; None if it is none of those.

    Python 3 bytes are decoded as ``os.fsdecode`` does.  # Python 2: no
    ``os.fspath`` (3.6+), and pytest's ``tmpdir`` has only ``strpath``.
    """
    method = getattr(value, '__fspath__', None)
    if method is not None:
        value = method()
    elif isinstance(getattr(value, 'strpath', None), (str, type(u''))):
        value = value.strpath  # py.path.local on Python 2
    if isinstance(value, bytes) and not PY2:
        return os.fsdecode(value)
    if isinstance(value, (str, bytes, type(u''))):
        return value
    return None
