"""Compatibility between Python 2.7 and 3.6+ that ``six`` does not cover.

Everything here is small and tagged ``# Python 2``; the rest of the package
imports it from here instead of testing versions itself.  Bottom layer: it
imports nothing from the package.
"""
import sys
import time

__all__ = ['PY2', 'monotonic', 'wait_for']

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
