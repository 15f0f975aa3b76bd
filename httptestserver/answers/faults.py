"""Fault and delay settings: what a response does, checked, then decided.

This module owns the fault and delay settings of a response: their names,
their validation (the ``check_*`` functions) and their random sampling.  A
:class:`Plan` is decided by :func:`make_plan` *before* the request is
recorded -- which fault, which delays, whether chaos struck -- so the history
entry says what happened (:meth:`Plan.summary`).  Performing a plan on a
socket is :mod:`httptestserver.serving.fault_actions`' job, which
:meth:`Plan.send` and :func:`handshake_fault` hand over to (imports go down:
that module never imports this one).  Pure apart from those two: no
sockets, threads, locks or server.

Delays (``delay``, ``body_delay``, ``chunk_delay``, chaos delays) take
the one-line forms of :mod:`httptestserver.answers.delays`: ``0.2``,
``{'uniform': [0.1, 0.3]}``, ``{'lognormal': {'median': 0.1, 'sigma': 0.5}}``.
"""
import random

import six

from .delays import Delay, check_delay, is_number
from ..errors import ConfigurationError

__all__ = ['FAULTS', 'HANDSHAKE_FAULTS', 'FAULT_KEYS', 'Delay', 'Plan',
           'check_fault', 'check_delay', 'check_dribble', 'check_bandwidth',
           'check_chaos', 'check_faults', 'make_rng', 'make_plan',
           'check_handshake_fault', 'split', 'garbage']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Callable, Dict, Iterable, Optional  # noqa: F401

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

#: Faults of the TLS handshake: server-wide only, before any request.
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

    ``handshake=True`` also accepts :data:`HANDSHAKE_FAULTS` (only a
    server-wide setting can have them: they happen before any request).
    Raises :class:`ConfigurationError` naming *name*, the value and the
    choices.  Pure.
    """
    if value is None:
        return None
    allowed = set(FAULTS)
    if handshake:
        allowed.update(HANDSHAKE_FAULTS)
    if isinstance(value, six.string_types) and str(value) in allowed:
        return str(value)
    hint = ''
    if isinstance(value, six.string_types) and value in HANDSHAKE_FAULTS:
        hint = ("; %r happens before any request, so it can only be set "
                "server-wide: server.data['response_fault'] = %r"
                % (value, value))
    raise ConfigurationError('%s must be one of %s, got %r%s'
                             % (name, _choices(allowed), value, hint))


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


# -- deciding ---------------------------------------------------------------
def make_rng(seed=None):
    # type: (Optional[int]) -> SeededRandom
    """Return a ``random.Random`` seeded with *seed* (None: a random seed).

    The seed used is kept as its ``seed_value`` attribute, so a run with a
    random seed can be replayed.  Not thread-safe for replay: give each
    route (and the server) its own, and draw from it under a lock.
    """
    if seed is None:
        seed = random.SystemRandom().randrange(1 << 32)
    return SeededRandom(seed)


class SeededRandom(random.Random):
    """A ``random.Random`` that remembers its seed, as ``seed_value``."""

    def __init__(self, seed):
        # type: (int) -> None
        random.Random.__init__(self, seed)
        self.seed_value = seed


def make_plan(spec, rng, chaos=None, chaos_rng=None):
    # type: (Dict[str, Any], random.Random, Optional[Dict[str, Any]], Optional[random.Random]) -> Optional[Plan]  # noqa: E501
    """Decide how one response fails or crawls; return a :class:`Plan`.

    *spec* holds any of :data:`FAULT_KEYS` (raw or as returned by
    :func:`check_faults`); *rng* draws the random parts (the route's, or
    the server's).  *chaos* is the server-wide chaos setting (drawn with
    *chaos_rng*, default *rng*); it applies when the response's own chaos
    did not strike.  Returns None when there is nothing to do, so the
    caller keeps its plain path.  Raises :class:`ConfigurationError` for a
    bad spec.  Draws from the RNGs: call it once per request, under the lock
    that guards them, for replayable runs.
    """
    spec = check_faults(spec or {})
    server_chaos = check_chaos(chaos, "data['response_chaos']")
    if not spec and server_chaos is None:
        return None
    plan = Plan()
    plan.fault = spec.get('fault')
    delays = {}
    for key in ('delay', 'body_delay'):
        if key in spec:
            delays[key] = spec[key].sample(rng)
    for own, chaos_spec, generator in ((True, spec.get('chaos'), rng),
                                       (False, server_chaos,
                                        chaos_rng or rng)):
        if chaos_spec is None:
            continue
        hit = generator.random() < chaos_spec['probability']
        record = {'probability': chaos_spec['probability'], 'hit': hit,
                  'seed': chaos_spec['seed'] if chaos_spec['seed'] is not None
                  else getattr(generator, 'seed_value', None)}
        if not own:
            record['server'] = True
        plan.chaos.append(record)
        if not hit:
            continue
        if chaos_spec['faults']:
            plan.fault = generator.choice(chaos_spec['faults'])
            record['fault'] = plan.fault
        if chaos_spec['delay'] is not None:
            extra = chaos_spec['delay'].sample(generator)
            delays['delay'] = delays.get('delay', 0.0) + extra
            record['delay'] = extra
        break
    plan.delay = delays.get('delay', 0.0)
    plan.body_delay = delays.get('body_delay', 0.0)
    plan.chunk_delay = spec.get('chunk_delay')
    plan.dribble = spec.get('dribble')
    plan.bandwidth = spec.get('bandwidth')
    # A generator of its own, so per-chunk delays and garbage replay too.
    plan.rng = random.Random(rng.getrandbits(32))
    if plan.fault in ('garbage', 'malformed_chunk'):
        plan.garbage = garbage(plan.rng)
    return plan


class Plan(object):
    """What one response does: its fault and delays, decided beforehand.

    Attributes: ``fault`` (a name or None), ``delay`` (seconds before the
    head), ``body_delay`` (seconds between head and body), ``chunk_delay``
    (a :class:`Delay` drawn before each body chunk, or None), ``dribble``
    (``{'chunks', 'duration'}`` or None), ``bandwidth`` (bytes/s or None),
    ``chaos`` (records of the chaos draws).  Used by one connection thread.
    """

    def __init__(self):
        self.fault = None
        self.delay = self.body_delay = 0.0
        self.chunk_delay = self.dribble = self.bandwidth = None
        self.chaos = []
        self.garbage = b''
        self.rng = random.Random(0)

    def summary(self):
        # type: () -> Dict[str, Any]
        """Return what was decided as a plain dict for the history entry.

        Keys: ``fault`` (name or None), ``delays`` (only those given:
        ``delay`` and ``body_delay`` in seconds as sampled, ``chunk_delay``
        as its form, ``dribble``, ``bandwidth``), and ``chaos`` when chaos
        was drawn (``probability``, ``seed``, ``hit``, and what it applied).
        """
        delays = {}
        if self.delay:
            delays['delay'] = self.delay
        if self.body_delay:
            delays['body_delay'] = self.body_delay
        if self.chunk_delay is not None:
            delays['chunk_delay'] = self.chunk_delay.describe()
        if self.dribble is not None:
            delays['dribble'] = dict(self.dribble)
        if self.bandwidth is not None:
            delays['bandwidth'] = self.bandwidth
        result = {'fault': self.fault, 'delays': delays}
        if self.chaos:
            result['chaos'] = [dict(record) for record in self.chaos] \
                if len(self.chaos) > 1 else dict(self.chaos[0])
        return result

    @property
    def closes(self):
        """True if the connection cannot be used after this response."""
        return self.fault is not None

    def __repr__(self):
        return '<Plan %r>' % (self.summary(),)


#: Bytes of garbage sent by ``garbage`` and ``malformed_chunk``.
GARBAGE_SIZE = 64


def split(payload, count):
    """Cut *payload* into *count* pieces of ``len // count`` bytes, the
    remainder in the last; *count* is capped at the length (WireMock's
    ``BodyChunker``).  Pure."""
    count = min(count, len(payload))
    if count <= 0:
        return []
    size = len(payload) // count
    pieces = [payload[i * size:(i + 1) * size] for i in range(count - 1)]
    pieces.append(payload[(count - 1) * size:])
    return pieces


def garbage(rng):
    # type: (random.Random) -> bytes
    """Return :data:`GARBAGE_SIZE` random bytes drawn with *rng*, never
    starting like a status line or a chunk size.  Pure."""
    data = bytearray(rng.getrandbits(8) for _ in range(GARBAGE_SIZE))
    data[0:1] = b'\x00'  # never a plausible status line or chunk size
    return bytes(data)


def check_handshake_fault(name):
    # type: (Any) -> str
    """Return *name* if it is one of :data:`HANDSHAKE_FAULTS`; else raise
    :class:`ConfigurationError` naming the choices."""
    check_fault(name, 'handshake fault', handshake=True)
    if name not in HANDSHAKE_FAULTS:
        raise ConfigurationError('%r is not a handshake fault; use one of %s'
                                 % (name, _choices(HANDSHAKE_FAULTS)))
    return name
