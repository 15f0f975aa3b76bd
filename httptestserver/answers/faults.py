"""Fault and delay settings: what a response does, checked, then decided.

This module decides a response's faults and delays: their names and
their validation are :mod:`~httptestserver.answers.fault_checks`' (and
importable from here too), their random sampling is here.  A
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

from .delays import Delay
from .fault_checks import CONNECTION_FAULTS, FAULTS, FAULT_KEYS, \
    HANDSHAKE_FAULTS, PARAMETER_FAULTS, check_bandwidth, check_chaos, \
    check_delay, check_dribble, check_fault, check_faults, \
    check_handshake_fault, is_connection_fault, is_handshake_fault

__all__ = ['FAULTS', 'HANDSHAKE_FAULTS', 'CONNECTION_FAULTS',
           'PARAMETER_FAULTS', 'FAULT_KEYS', 'is_handshake_fault',
           'is_connection_fault', 'Delay', 'Plan',
           'check_fault', 'check_delay', 'check_dribble', 'check_bandwidth',
           'check_chaos', 'check_faults', 'make_rng', 'make_plan',
           'check_handshake_fault', 'split', 'garbage']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Callable, Dict, Iterable, Optional  # noqa: F401


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
            if isinstance(plan.fault, dict):
                plan.fault = dict(plan.fault)
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

    Attributes: ``fault`` (a name, a ``{name: number}`` dict of
    :data:`PARAMETER_FAULTS`, or None), ``delay`` (seconds before the
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
        fault = dict(self.fault) if isinstance(self.fault, dict) \
            else self.fault
        result = {'fault': fault, 'delays': delays}
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
