"""Where an exchange runs -- in the event loop or in a worker thread -- and
how it moves from one to the other.

A request is answered in the loop's thread while no user code runs and
nothing waits; :class:`Handoff` carries the rest to a worker, where the
socket blocks (:class:`SocketWriter`), and :class:`Playback` carries an
answer the loop plays as steps.  :func:`answers_inline` tells which handler
classes may be answered in the loop at all: those that add no hook to the
library's.
"""

__all__ = ['Handoff', 'Playback', 'ChannelWriter', 'SocketWriter',
           'NO_BODY', 'answers_inline', 'do_method']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict  # noqa: F401


class Playback(object):
    """What the loop plays to answer: ``steps`` (an iterator of steps), then
    ``done(keep_alive)``."""

    __slots__ = ('steps', 'done')

    def __init__(self, steps, done):
        self.steps = steps
        self.done = done


class Handoff(Exception):
    """Raised in the loop's thread where an exchange must go on in a worker
    (user code, or a wait); ``resume()`` goes on from there."""

    def __init__(self, resume):
        Exception.__init__(self, 'continue in a worker thread')
        self.resume = resume


class NoBody(object):
    """``rfile`` between requests: the engine reads the socket, not us."""

    def read(self, size=-1):
        return b''

    readline = read


NO_BODY = NoBody()


class ChannelWriter(object):
    """``wfile`` in the loop: writes go to the channel's send buffer."""

    def __init__(self, channel):
        self._channel = channel

    def write(self, data):
        self._channel.send(bytes(data))
        return len(data)

    def flush(self):
        pass


class SocketWriter(object):
    """``wfile`` in a worker: writes go to the blocking socket."""

    def __init__(self, sock):
        self._sock = sock

    def write(self, data):
        self._sock.sendall(data)
        return len(data)

    def flush(self):
        pass


#: Hooks a handler class may override; overriding one sends every request
#: of that class to a worker, with the 0.1.0 blocking world.
_HOOKS = frozenset(['handle_request', 'update_state', 'save_history', 'send',
                    'send_error', 'pause', 'send_response', 'send_header',
                    'end_headers', 'setup', 'finish'])
_INLINE_CLASSES = {}  # type: Dict[type, bool]


def answers_inline(cls):
    """True when *cls* adds no hook to the class that declared
    ``answers_inline = True`` (the library's Handler): its requests may then
    be answered in the loop.  Cached per class."""
    known = _INLINE_CLASSES.get(cls)
    if known is None:
        known = False
        for klass in cls.__mro__:
            if klass.__dict__.get('answers_inline'):
                known = True
                break
            if any(name in _HOOKS or name.startswith('do_')
                   for name in klass.__dict__):
                break
        _INLINE_CLASSES[cls] = known
    return known


_DO_NAMES = {}  # type: Dict[Any, Any]  # (class, method) -> 'do_X' or None


def do_method(exchange):
    """Return *exchange*'s ``do_<METHOD>`` for its request, or None; the
    class's answer is kept (for a few hundred methods: clients choose
    them)."""
    key = (type(exchange), exchange.command)
    name = _DO_NAMES.get(key, 0)
    if name == 0:
        name = 'do_' + exchange.command
        if getattr(exchange, name, None) is None:
            name = None
        if len(_DO_NAMES) >= 512:
            _DO_NAMES.clear()
        _DO_NAMES[key] = name
    return getattr(exchange, name) if name is not None else None
