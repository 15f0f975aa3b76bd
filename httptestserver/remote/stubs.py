"""Stubs as data: our stub format, its checks, and its response spec.

A *stub* is a JSON-able dict ``{"match": {...}, "response": {...},
"times": ..., "priority": ..., "id": ...}`` that can cross a process
boundary and live in a file; its ``match`` is a match spec
(:mod:`httptestserver.answers.matchers`).  :func:`normalise_stub` checks one,
:func:`response_spec` turns its response into ``Server.route`` keywords and
:func:`sort_stubs` orders stubs by priority.  WireMock's mapping JSON and
stub files are in :mod:`httptestserver.remote.wiremock`.

Pure: no sockets, threads or locks; imports only matchers, six and the
standard library.  Every function is thread-safe and raises
:class:`~httptestserver.errors.ConfigurationError` naming the field, the bad
value and the fix.
"""
import json as jsonlib
import math
import os
import threading
import uuid

import six

from .._compat import native_str
from ..errors import ConfigurationError
from ..answers import faults as faultlib
from ..answers.matchers import Matcher, b64decode, fail
from ..answers.responses import RESPONSE_KEYS as RESPONSE_ROUTE_KEYS
from ..answers.routes import NOT_SET, make_route, response_list
from ..answers.templates import template_response

__all__ = ['normalise_stub', 'response_spec', 'sort_stubs', 'check_wait',
           'read_body_file', 'stub_route',
           'RESPONSE_KEYS', 'STUB_KEYS', 'FAULTS', 'FAULT_NAMES',
           'TIMEOUT_MAX']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List, Tuple  # noqa: F401

#: The keys a stub's response may hold.
RESPONSE_KEYS = ('status', 'headers', 'body', 'body_base64', 'json',
                 'json_body', 'body_file', 'template', 'cookies') + \
    faultlib.FAULT_KEYS
STUB_KEYS = ('id', 'name', 'match', 'response', 'times', 'priority',
             'scenario', 'state', 'new_state', 'metadata')
#: WireMock's fault names (``response.fault``).
FAULTS = ('CONNECTION_RESET_BY_PEER', 'EMPTY_RESPONSE',
          'MALFORMED_RESPONSE_CHUNK', 'RANDOM_DATA_THEN_CLOSE')
#: The server's name (:mod:`httptestserver.answers.faults`) for each.
FAULT_NAMES = {'CONNECTION_RESET_BY_PEER': 'reset', 'EMPTY_RESPONSE': 'empty',
               'MALFORMED_RESPONSE_CHUNK': 'malformed_chunk',
               'RANDOM_DATA_THEN_CLOSE': 'garbage'}
_TEXT = six.string_types
#: The longest a thread can wait, in seconds.  Python 2 has no such limit
#: of its own: it gets Python 3's on Linux, so a stub loads everywhere alike.
TIMEOUT_MAX = getattr(threading, 'TIMEOUT_MAX', 9223372036.0)


def normalise_stub(stub, field='stub'):
    # type: (Dict[str, Any], str) -> Dict[str, Any]
    """Check a stub dict and return a normalised copy with an ``id``.

    A stub is ``{"match": {...}, "response": {...}}`` plus optional
    ``times`` (answers before it falls through), ``priority`` (lower first,
    default 5 as in WireMock), ``name``, ``id``, ``metadata`` and a
    scenario (``scenario``, ``state``, ``new_state``).  Response keys:
    ``status``, ``headers`` (dict, or list of pairs), ``body`` (text),
    ``body_base64``, ``json``, ``json_body`` (WireMock's), ``body_file``,
    ``template``, ``cookies``, and the fault and delay settings of
    :mod:`~httptestserver.answers.faults` in their plain forms: ``delay``,
    ``body_delay``, ``chunk_delay`` (seconds or a distribution),
    ``dribble``, ``bandwidth``, ``chaos`` and ``fault`` (a WireMock fault
    name, or the server's).  Raises :class:`ConfigurationError` naming the
    field.
    """
    if not isinstance(stub, dict):
        fail(field, stub, 'give a dict like {"match": {"path": "/x"}, '
             '"response": {"status": 200}}')
    unknown = sorted(set(stub) - set(STUB_KEYS))
    if unknown:
        fail("%s['%s']" % (field, unknown[0]), stub[unknown[0]],
             'the keys a stub may hold are %s' % ', '.join(STUB_KEYS))
    result = dict(stub)
    stub_id = stub.get('id') or uuid.uuid4()
    # Python 2: str() of a non-ASCII unicode id (any JSON text) fails
    result['id'] = stub_id if isinstance(stub_id, _TEXT) else str(stub_id)
    Matcher(stub.get('match') or {}, field + '.match', untrusted=True)
    result['match'] = dict(stub.get('match') or {})
    result['response'] = _check_response(stub.get('response') or {},
                                         field + '.response')
    for key in ('scenario', 'state', 'new_state'):
        if stub.get(key) is not None and not isinstance(stub[key], _TEXT):
            fail('%s.%s' % (field, key), stub[key], 'give text')
    if stub.get('scenario') is None and (stub.get('state') is not None or
                                         stub.get('new_state') is not None):
        fail(field + '.scenario', None, 'a state needs a scenario name')
    if stub.get('metadata') is not None and not isinstance(
            stub['metadata'], dict):
        fail(field + '.metadata', stub['metadata'], 'give an object')
    for key, low in (('times', 1), ('priority', None)):
        value = stub.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(
                value, six.integer_types) or (low is not None and
                                              value < low)):
            fail('%s.%s' % (field, key), value, 'give a whole number%s or '
                 'null' % (' >= %d' % low if low is not None else ''))
    return result


def _check_response(response, field):
    if not isinstance(response, dict):
        fail(field, response, 'give a dict with keys from %s'
             % ', '.join(RESPONSE_KEYS))
    unknown = sorted(set(response) - set(RESPONSE_KEYS))
    if unknown:
        fail("%s['%s']" % (field, unknown[0]), response[unknown[0]],
             'the keys a response may hold are %s' % ', '.join(RESPONSE_KEYS))
    bodies = [k for k in ('body', 'body_base64', 'json', 'json_body',
                          'body_file') if response.get(k) is not None]
    if len(bodies) > 1:
        fail(field, response, 'give one of body, body_base64, json, '
             'json_body and body_file')
    if response.get('body_file') is not None:
        _file_name(field + '.body_file', response['body_file'])
    if not isinstance(response.get('template', False), bool):
        fail(field + '.template', response['template'], 'give true or false')
    status = response.get('status', 200)
    if isinstance(status, bool) or not isinstance(
            status, six.integer_types) or not 100 <= status <= 999:
        fail(field + '.status', status, 'give an int from 100 to 999')
    if response.get('body') is not None and not isinstance(
            response['body'], _TEXT):
        fail(field + '.body', response['body'], 'give text; use '
             'body_base64 for bytes or json for a document')
    if response.get('body_base64') is not None:
        b64decode(field + '.body_base64', response['body_base64'])
    for key in faultlib.FAULT_KEYS:
        if response.get(key) is not None and key != 'fault':
            check_wait('%s.%s' % (field, key), key, response[key])
    fault = response.get('fault')
    if fault is not None and (not isinstance(fault, six.string_types) or
                              fault not in FAULTS and
                              fault not in faultlib.FAULTS):
        fail(field + '.fault', fault, 'give one of WireMock\'s %s or the '
             'server\'s %s' % (', '.join(FAULTS),
                               ', '.join(sorted(faultlib.FAULTS))))
    headers = response.get('headers')
    if headers is not None:
        header_pairs(headers, field + '.headers')
    cookies = response.get('cookies')
    if cookies is not None and not isinstance(cookies, dict):
        fail(field + '.cookies', cookies, 'give a dict of name -> value')
    return dict(response)


def check_wait(label, key, value):
    """Raise :class:`ConfigurationError` naming *label* if the *key*
    setting (``delay``, ``body_delay``, ``chunk_delay``, ``dribble``,
    ``bandwidth`` or ``chaos``; others pass) can ask a thread to wait longer
    than it can (``threading.TIMEOUT_MAX``), or is malformed."""
    if key in ('delay', 'body_delay', 'chunk_delay'):
        longest = _longest(faultlib.check_delay(value, label))
    elif key == 'dribble':
        longest = faultlib.check_dribble(value, label)['duration']
    elif key == 'bandwidth':  # a byte at a time, below 20 bytes a second
        longest = 1.0 / faultlib.check_bandwidth(value, label)
    elif key == 'chaos':
        longest = _longest(faultlib.check_chaos(value, label)['delay'])
    else:
        return
    if longest > TIMEOUT_MAX:
        fail(label, value, 'a thread cannot wait that long (%g seconds); '
             'keep every wait under threading.TIMEOUT_MAX (%g seconds)'
             % (longest, TIMEOUT_MAX))


def _longest(delay):
    if delay is None:
        return 0.0
    if delay.maximum is not None:
        return delay.maximum
    median, sigma, _ = delay.args  # an uncapped lognormal: 8 sigmas out
    try:
        return median * math.exp(8 * sigma)
    except OverflowError:
        return float('inf')


def header_pairs(headers, field):
    # type: (Any, str) -> List[Tuple[str, str]]
    """Return response *headers* (a dict of name -> value or list of values,
    or a list of pairs) as a list of ``(name, value)`` text pairs, or fail
    naming *field* (shared with the wiremock module)."""
    if isinstance(headers, dict):
        pairs = []
        for name, value in headers.items():
            for item in (value if isinstance(value, list) else [value]):
                pairs.append((name, item))
    elif isinstance(headers, list) and all(
            isinstance(p, (list, tuple)) and len(p) == 2 for p in headers):
        pairs = [tuple(p) for p in headers]
    else:
        fail(field, headers, 'give a dict of name -> value (or list of '
             'values), or a list of [name, value] pairs')
    for name, value in pairs:
        if not isinstance(name, _TEXT) or not isinstance(
                value, _TEXT + six.integer_types + (float,)):
            fail("%s['%s']" % (field, name), value, 'give text')
        try:  # a field name is a token (RFC 9110 5.1): ASCII only
            name.encode('ascii')
        except UnicodeError:
            fail(field, name, 'a header name is ASCII')
    # Python 2: str() of non-ASCII unicode (any JSON text) fails
    return [(native_str(n), native_str(v)) for n, v in pairs]


def _file_name(field, name):
    """Return the parts of a relative file *name*, or fail: it must stay
    inside its folder (no absolute path, no ``..``)."""
    if not isinstance(name, _TEXT) or not name:
        fail(field, name, 'give a file name relative to __files')
    parts = name.replace('\\', '/').split('/')
    if name.startswith('/') or '..' in parts or ':' in parts[0]:
        fail(field, name, 'give a path inside the __files folder, without '
             '".." or a leading "/"')
    return [p for p in parts if p not in ('', '.')]


def read_body_file(name, files, field='body_file'):
    # type: (str, Any, str) -> bytes
    """Return the bytes of file *name* under folder *files* (WireMock's
    ``__files``).  Refuses a name that leaves the folder, even through a
    symbolic link, and a missing file, naming *field*."""
    if files is None:
        fail(field, name, 'this server has no stubs directory (--stubs '
             'DIR), so no __files folder; give the body inline')
    root = os.path.realpath(files)
    path = os.path.realpath(os.path.join(root, *_file_name(field, name)))
    if not path.startswith(root + os.sep):
        fail(field, name, 'it leads outside %s' % root)
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        fail(field, name, 'it cannot be read from %s (%s)' % (root, exc))


def response_spec(stub, files=None):
    # type: (Dict[str, Any], Any) -> Dict[str, Any]
    """Return a stub's response as the keywords ``Server.route`` takes.

    ``status``, ``headers`` (pairs), ``body`` (bytes; a ``body_file`` read
    from folder *files* now) or ``json``, ``cookies`` and the fault and
    delay settings as given; a WireMock ``fault`` becomes the server's
    fault of the same effect (``CONNECTION_RESET_BY_PEER``: ``'reset'``...).
    ``template`` is left to the caller.
    """
    response = _check_response(stub.get('response') or {}, 'stub.response')
    spec = {'status': response.get('status', 200),
            'headers': header_pairs(response.get('headers') or {},
                                    'headers')}
    if response.get('json') is not None:
        spec['json'] = response['json']
    elif response.get('json_body') is not None:  # WireMock's: compact,
        # and no Content-Type of its own
        spec['body'] = jsonlib.dumps(response['json_body'], separators=(
            ',', ':'), ensure_ascii=False).encode('utf-8')
    elif response.get('body_base64') is not None:
        spec['body'] = b64decode('body_base64', response['body_base64'])
    elif response.get('body_file') is not None:
        spec['body'] = read_body_file(response['body_file'], files)
    else:
        spec['body'] = (response.get('body') or u'').encode('utf-8')
    for key in ('cookies',) + faultlib.FAULT_KEYS:
        if response.get(key) is not None:
            spec[key] = response[key]
    if response.get('fault') is not None:
        spec['fault'] = FAULT_NAMES.get(response['fault'], response['fault'])
    return spec


def sort_stubs(stubs):
    """Return *stubs* sorted by priority (lower first, stable, default 5)."""
    return sorted(stubs, key=lambda s: 5 if s.get('priority') is None
                  else s['priority'])


def stub_route(stub, files=None, scenarios=None, fixed_delay=None):
    """Return the :class:`~httptestserver.answers.routes.Route` that
    answers *stub*: its match (untrusted: patterns checked and capped),
    its response (a ``body_file`` read from *files*, a ``template``
    rendered per request), its scenario in *scenarios*
    (:class:`~httptestserver.store.scenarios.Scenarios`) and WireMock's
    global *fixed_delay* (milliseconds) when it has no delay of its own.
    Raises :class:`ConfigurationError` naming the stub."""
    label = 'stub %s' % stub['id']
    try:
        spec = response_spec(stub, files)
    except ConfigurationError as exc:
        raise ConfigurationError('%s: %s' % (label, exc))
    if 'fault' in spec and 'fault' not in RESPONSE_ROUTE_KEYS:
        raise ConfigurationError(
            '%s: fault %r cannot be produced by this version of '
            'httptestserver; leave it out' % (label, spec['fault']))
    if fixed_delay and spec.get('delay') is None:
        spec['delay'] = fixed_delay / 1000.0
    if stub['response'].get('template'):
        spec = template_response(spec, label)
    match = Matcher(stub['match'], label + ' match', untrusted=True)
    respond = spec
    if stub.get('scenario') is not None:
        name = stub['scenario']
        scenarios.declare(name, stub.get('state'), stub.get('new_state'))
        match = scenarios.guard(match, name, stub.get('state'))
        respond = scenarios.answer(respond, name, stub.get('new_state'))
    # A plain spec stays the keyword form Server.route takes, so a seeded
    # chaos replays as in the thread; a callable runs per request.
    responses = [respond] if callable(respond) else response_list(
        NOT_SET, None, respond)
    return make_route(None, responses, times=stub.get('times'), match=match)
