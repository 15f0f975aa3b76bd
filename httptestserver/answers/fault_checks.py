"""Fault and delay settings, checked: their names and their forms.

This module owns what a response's fault and delay settings may be: the
fault names (:data:`FAULTS`, :data:`HANDSHAKE_FAULTS`, the
:data:`PARAMETER_FAULTS` that take a number), the dribble, bandwidth and
chaos forms, and the ``check_*`` functions that turn what a user wrote into
the normal form :mod:`~httptestserver.answers.faults` decides from, or raise
:class:`~httptestserver.ConfigurationError` naming the setting and the fix.
Pure: no sockets, threads, locks or randomness.
"""
import six

from .delays import check_delay, is_number
from ..errors import ConfigurationError

__all__ = ['FAULTS', 'HANDSHAKE_FAULTS', 'CONNECTION_FAULTS',
           'PARAMETER_FAULTS', 'FAULT_KEYS', 'is_connection_fault',
           'is_handshake_fault', 'check_fault', 'check_delay',
           'check_dribble', 'check_bandwidth', 'check_chaos', 'check_faults',
           'check_handshake_fault']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, Optional  # noqa: F401


#: Faults a response can have, with what each does on the wire.
FAULTS = {
    'empty': 'close the connection without answering',
    'reset': 'reset the connection (TCP RST: SO_LINGER 0, then close)',
    'garbage': 'send random bytes (no status line), then close',
    'malformed_chunk': 'send a 200 head with chunked encoding, then a '
                       'malformed chunk, then close',
    'truncated': 'send the head and half the body promised by '
                 'Content-Length, then close',
    'headers_only': 'send the head (promising a body), then close',
    'never': 'never answer: hold the connection until the client gives up '
             '(or the server stops or resets)',
    'bad_status': 'send an invalid status line (HTTP/1.1 2xx Invalid), '
                  'then the rest of the response',
    'no_close_notify': 'send the body delimited by the end of the connection,'
                       ' then close it without TLS close_notify (over plain '
                       'HTTP: a valid close-delimited response)',
}

#: Faults that take a number, given as a one-key dict (``{'truncate_at':
#: 100}``), toxiproxy's toxics for a response: what each does on the wire.
PARAMETER_FAULTS = {
    'truncate_at': 'send the head and the first N bytes of the body its '
                   'Content-Length promises, then close (N: a whole number '
                   '>= 0)',
    'reset_after': 'send the head and the first N bytes of the body, then '
                   'reset the connection (TCP RST) mid-body (N: a whole '
                   'number >= 0)',
    'slow_close': 'send the whole response, then keep the connection open '
                  'N seconds before closing it (N > 0)',
    'timeout': 'send nothing for N seconds, then close the connection '
               '(N > 0; toxiproxy\'s timeout toxic)',
}

#: Faults of the TLS handshake: server-wide only, before any request.
#: Faults of the connection itself: server-wide only, before any request.
CONNECTION_FAULTS = {
    'accept_close': 'accept the connection, then close it before reading '
                    'anything: the client sees the connection end before '
                    'any answer (or TLS handshake)',
    'accept_stall': 'accept the connection and never read from it: the '
                    'client waits for an answer (or a TLS handshake) that '
                    'never comes, until it gives up, the server stops or '
                    'is reset, or the handler\'s timeout closes it',
}

HANDSHAKE_FAULTS = {
    'handshake_never': 'read the ClientHello and never answer it, until the '
                       'client gives up or the server stops',
    'handshake_reset': 'reset the connection instead of answering the '
                       'ClientHello',
    'handshake_garbage': 'answer the ClientHello with random bytes, then '
                         'close',
}

#: Response keys (and ``data['response_<key>']`` settings) owned here.
#: ``delay`` is the wait before the head (0.1.0's ``response_timeout``).
FAULT_KEYS = ('fault', 'delay', 'body_delay', 'chunk_delay', 'dribble',
              'bandwidth', 'chaos')


def _choices(names):
    return ', '.join(repr(name) for name in sorted(names))


# -- validation ---------------------------------------------------------------
def check_fault(value, name='fault', handshake=False):
    # type: (Any, str, bool) -> Optional[str]
    """Return the fault name *value* (or None) if known, else raise.

    ``handshake=True`` also accepts :data:`HANDSHAKE_FAULTS` and
    :data:`CONNECTION_FAULTS` (only a server-wide setting can have them:
    they happen before any request).
    Raises :class:`ConfigurationError` naming *name*, the value and the
    choices.  Pure.
    """
    if value is None:
        return None
    if isinstance(value, dict):
        return _check_parameter_fault(value, name)
    allowed = set(FAULTS)
    if handshake:
        allowed.update(HANDSHAKE_FAULTS)
        allowed.update(CONNECTION_FAULTS)
    if isinstance(value, six.string_types) and str(value) in allowed:
        return str(value)
    hint = ''
    if isinstance(value, six.string_types) and (
            value in HANDSHAKE_FAULTS or value in CONNECTION_FAULTS):
        hint = ("; %r happens before any request, so it can only be set "
                "server-wide: server.data['response_fault'] = %r"
                % (value, value))
    raise ConfigurationError('%s must be one of %s, or a one-key dict of %s '
                             "(e.g. {'truncate_at': 100}), got %r%s"
                             % (name, _choices(allowed),
                                _choices(PARAMETER_FAULTS), value, hint))


def _check_parameter_fault(value, name):
    """Return a checked copy of a fault given as ``{name: number}``."""
    if len(value) != 1 or list(value)[0] not in PARAMETER_FAULTS:
        raise ConfigurationError(
            "%s as a dict must have one key, one of %s (e.g. "
            "{'truncate_at': 100}), got %r"
            % (name, _choices(PARAMETER_FAULTS), value))
    key, number = list(value.items())[0]
    if key in ('truncate_at', 'reset_after'):
        if isinstance(number, bool) or \
                not isinstance(number, six.integer_types) or number < 0:
            raise ConfigurationError(
                "%s %r needs a whole number of bytes >= 0 (e.g. {%r: 100}),"
                " got %r" % (name, key, key, number))
        return {str(key): int(number)}
    if not is_number(number) or not 0 < number < float('inf'):
        raise ConfigurationError(
            '%s %r needs a number of seconds > 0 (e.g. {%r: 0.5}), got %r'
            % (name, key, key, number))
    return {str(key): float(number)}


def is_handshake_fault(value):
    # type: (Any) -> bool
    """True when *value* names one of :data:`HANDSHAKE_FAULTS`."""
    return isinstance(value, six.string_types) and value in HANDSHAKE_FAULTS


def is_connection_fault(value):
    # type: (Any) -> bool
    """True when *value* names one of :data:`CONNECTION_FAULTS`."""
    return isinstance(value, six.string_types) and value in CONNECTION_FAULTS


def check_dribble(value, name='dribble'):
    # type: (Any, str) -> Optional[Dict[str, Any]]
    """Return *value* as ``{'chunks': int, 'duration': float}``, else raise.

    The body is sent as *chunks* pieces over *duration* seconds (WireMock's
    chunked dribble delay).  Pure.
    """
    if value is None:
        return None
    ok = isinstance(value, dict) and set(value) == set(['chunks', 'duration'])
    if ok:
        chunks, duration = value['chunks'], value['duration']
        ok = isinstance(chunks, six.integer_types) and \
            not isinstance(chunks, bool) and chunks >= 1 and \
            is_number(duration) and 0 <= duration < float('inf')
    if not ok:
        raise ConfigurationError(
            "%s must be {'chunks': N, 'duration': seconds} with N >= 1 and "
            "seconds >= 0 (e.g. {'chunks': 5, 'duration': 1.0}), got %r"
            % (name, value))
    return {'chunks': value['chunks'], 'duration': float(value['duration'])}


def check_bandwidth(value, name='bandwidth'):
    # type: (Any, str) -> Optional[float]
    """Return *value*, a bandwidth in bytes per second > 0, else raise."""
    if value is None:
        return None
    if not is_number(value) or value <= 0 or value == float('inf'):
        raise ConfigurationError('%s must be a number of bytes per second > 0'
                                 ' (e.g. 10000), got %r' % (name, value))
    return float(value)


def check_chaos(value, name='chaos', handshake=False):
    # type: (Any, str, bool) -> Optional[Dict[str, Any]]
    """Return a chaos setting, normalised, else raise.

    *value* is a dict with ``probability`` (0..1), and a ``fault`` (a name,
    or a list of names, one picked at random) and/or a ``delay`` (any delay
    form) applied when chaos strikes, and an optional ``seed`` (an int) so a
    run can be replayed.  E.g. ``{'fault': 'reset', 'probability': 0.3,
    'seed': 7}``.  The result holds ``faults`` (a tuple), ``delay`` (a
    :class:`Delay` or None), ``probability`` and ``seed``.  Pure.
    """
    if value is None:
        return None
    if isinstance(value, dict) and sorted(value) == _NORMAL_CHAOS:
        return value  # already normalised
    form = ("a dict like {'fault': 'reset', 'probability': 0.3, 'seed': 7} "
            "(fault: a name or a list of names; or delay: a delay instead of "
            "or as well as fault; seed optional)")
    if not isinstance(value, dict):
        raise ConfigurationError('%s must be %s, got %r' % (name, form, value))
    unknown = set(value) - set(['fault', 'delay', 'probability', 'seed'])
    if unknown:
        raise ConfigurationError('%s has unknown key(s) %s; it must be %s'
                                 % (name, _choices(unknown), form))
    probability = value.get('probability')  # type: Any
    if not is_number(probability) or not 0 <= probability <= 1:
        raise ConfigurationError('%s probability must be a number from 0 to '
                                 '1, got %r' % (name, probability))
    faults = value.get('fault')
    if faults is None:
        faults = ()
    elif isinstance(faults, (list, tuple)):
        if not faults:
            raise ConfigurationError('%s fault list is empty' % name)
        faults = tuple(check_fault(f, '%s fault' % name, handshake)
                       for f in faults)
    else:
        faults = (check_fault(faults, '%s fault' % name, handshake),)
    delay = check_delay(value.get('delay'), '%s delay' % name)
    if not faults and delay is None:
        raise ConfigurationError('%s needs a fault or a delay to apply; it '
                                 'must be %s, got %r' % (name, form, value))
    seed = value.get('seed')
    if seed is not None and (isinstance(seed, bool) or
                             not isinstance(seed, six.integer_types)):
        raise ConfigurationError('%s seed must be an int (or None for a '
                                 'random one), got %r' % (name, seed))
    return {'faults': faults, 'delay': delay,
            'probability': float(probability), 'seed': seed}


_NORMAL_CHAOS = ['delay', 'faults', 'probability', 'seed']

_CHECKS = {  # type: Dict[str, Any]
    'fault': check_fault, 'delay': check_delay, 'body_delay': check_delay,
    'chunk_delay': check_delay, 'dribble': check_dribble,
    'bandwidth': check_bandwidth, 'chaos': check_chaos,
}


def check_faults(spec, name='response', prefix=''):
    # type: (Dict[str, Any], str, str) -> Dict[str, Any]
    """Return the :data:`FAULT_KEYS` of dict *spec*, checked and normalised.

    Keys absent or None are left out.  *prefix* is put before each key in
    error messages (``"data['response_"``), else ``"<name> <key>"`` is used.
    Raises :class:`ConfigurationError`.  Pure.
    """
    result = {}
    for key in FAULT_KEYS:
        value = spec.get(key)
        if value is not None:
            label = "%s%s']" % (prefix, key) if prefix else \
                '%s %s' % (name, key)
            result[key] = _CHECKS[key](value, label)
    return result


def check_handshake_fault(name):
    # type: (Any) -> str
    """Return *name* if it is one of :data:`HANDSHAKE_FAULTS`; else raise
    :class:`ConfigurationError` naming the choices."""
    check_fault(name, 'handshake fault', handshake=True)
    if name not in HANDSHAKE_FAULTS:
        raise ConfigurationError('%r is not a handshake fault; use one of %s'
                                 % (name, _choices(HANDSHAKE_FAULTS)))
    return name
