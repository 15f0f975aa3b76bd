"""Failure reports: a server-side error worded for a person reading a test
run.

One error reads as the request that failed (method and target), the route
it hit, where the test sent it when that can be known, and the server's
traceback once, with this library's own frames left out.  *Where the test
sent it*: while a handler fails the client that sent the request is usually
still waiting for the answer, in the thread that made the server;
:func:`sender_of` looks at that thread's stack (``sys._current_frames``)
for the innermost frame outside the standard library, installed packages
and this package -- the test's line -- and only when the thread is inside
such a call.  Pure but for that look; no sockets, no threads started.
"""
import linecache
import os
import socket
import sys
import sysconfig
import threading

import six

__all__ = ['sender_of', 'hide_library_frames', 'handler_error_text']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List, Optional  # noqa: F401

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The standard library and installed packages: where sysconfig says, and
# where modules of each actually are (a Python 2 virtualenv's stdlib is
# split between the environment and the base installation).
_LIBRARY = tuple(set(os.path.abspath(path) + os.sep for path in [
    sysconfig.get_paths().get(name) for name in (
        'stdlib', 'platstdlib', 'purelib', 'platlib')] + [
            os.path.dirname(module.__file__ or "") for module in (
                os, socket, threading, six)] if path) | set(
                    [_PACKAGE + os.sep]))
#: Where a thread waits that is not in a client call.
_WAITING = ('threading.py', 'queue.py', 'Queue.py')


def _library(filename):
    path = os.path.abspath(filename or '')
    return path.startswith(_LIBRARY) or filename.startswith('<')


def sender_of(thread_id):
    # type: (Any) -> Optional[Dict[str, Any]]
    """Return where thread *thread_id* called a client that is waiting
    now: ``{'file', 'line', 'function', 'code'}``, or None when it cannot
    be known (the thread is gone, waits in ``server.wait()``, sleeps, or
    sent nothing from this process).  Called in the server's thread."""
    frame = sys._current_frames().get(thread_id)
    if frame is None or not _library(frame.f_code.co_filename) or \
            os.path.basename(frame.f_code.co_filename) in _WAITING:
        return None
    while frame is not None:  # innermost first: the first of the test's
        filename = frame.f_code.co_filename
        if not _library(filename):
            return {'file': filename, 'line': frame.f_lineno,
                    'function': frame.f_code.co_name,
                    'code': linecache.getline(filename,
                                              frame.f_lineno).strip()}
        frame = frame.f_back
    return None


def hide_library_frames(text):
    # type: (str) -> str
    """Return traceback *text* without the frames of this package (a frame:
    its ``File`` line and the indented lines under it).  Unchanged when
    every frame is the package's: then the bug is ours, show it all."""
    lines = text.splitlines()
    kept = []  # type: List[str]
    hidden = shown = 0
    skipping = False
    for line in lines:
        if line.startswith('  File "'):
            filename = line[len('  File "'):].split('"', 1)[0]
            skipping = os.path.abspath(filename).startswith(
                _PACKAGE + os.sep)
            hidden += skipping
            shown += not skipping
            if skipping:
                continue
        elif skipping and line.startswith('    '):
            continue
        else:
            skipping = False
        kept.append(line)
    if not shown:
        return text.rstrip('\n')
    return '\n'.join(kept)


def handler_error_text(server, errors, senders, routes):
    # type: (Any, List[Any], List[Any], List[Any]) -> str
    """Word the server-side *errors* of *server* (``(request_line,
    exception, traceback_text)``), each with its sender (see
    :func:`sender_of`, or None) and the route it hit (a description, or
    None): every traceback once, library frames hidden."""
    parts = ['%d error(s) in the server thread of %r; the first: %r' % (
        len(errors), server, errors[0][1])]
    for (line, _, text), sender, route in zip(errors, senders, routes):
        parts.append('--- while handling %s (%s):' % (
            line, 'route %s' % route if route else 'no route'))
        if sender is not None:
            parts.append('sent by the test at %s:%d, in %s:\n    %s' % (
                sender['file'], sender['line'], sender['function'],
                sender['code']))
        parts.append(hide_library_frames(text))
    return '\n'.join(parts)
