"""Stub files: a JSON file or a directory of them, in WireMock's form or
ours, read into stubs and written back.

:func:`load_stubs` reads a directory the way WireMock lays one out
(``*.json`` files, and those of ``mappings/``), naming the file and the
mapping in every error; :func:`parse_mappings` reads one document;
:func:`dump_stubs` writes ``{"mappings": [...]}``.  The conversion of one
mapping is :mod:`~httptestserver.remote.wiremock`'s; no sockets, threads or
locks.
"""
import json as jsonlib
import os

import six

from ..answers.matchers import Matcher, fail
from ..errors import ConfigurationError
from .stubs import normalise_stub, response_spec, sort_stubs
from .wiremock import from_wiremock, to_wiremock

__all__ = ['load_stubs', 'parse_mappings', 'dump_stubs', 'to_stub',
           'stubs_from', 'stub_route']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List  # noqa: F401


def to_stub(mapping, field='mapping'):
    """Return a stub from either form: ours (has ``match``) or WireMock's."""
    if isinstance(mapping, dict) and 'match' in mapping:
        return normalise_stub(mapping, field)
    return from_wiremock(mapping, field)


def load_stubs(path):
    # type: (str) -> List[Dict[str, Any]]
    """Load stubs from a JSON file or a directory of them.

    A directory's ``*.json`` files are read in name order, and those of its
    ``mappings/`` subdirectory (WireMock's layout).  A file holds one mapping
    or ``{"mappings": [...]}``, each in WireMock's form or ours.  Returns the
    stubs sorted by ``priority`` (stable; default 5).  Raises
    :class:`ConfigurationError` naming the file and the mapping.
    """
    if not os.path.exists(path):
        raise ConfigurationError('stubs path %r does not exist; give a JSON '
                                 'file or a directory of them' % (path,))
    files = [path]
    if os.path.isdir(path):
        files = []
        for folder in (path, os.path.join(path, 'mappings')):
            if os.path.isdir(folder):
                files.extend(os.path.join(folder, name) for name in
                             sorted(os.listdir(folder))
                             if name.endswith('.json'))
    stubs = []
    for name in files:
        try:
            with open(name, 'rb') as handle:
                document = jsonlib.loads(handle.read().decode('utf-8'))
        except (IOError, OSError, ValueError) as exc:
            raise ConfigurationError('stubs file %s cannot be read as JSON: '
                                     '%s' % (name, exc))
        except RuntimeError:  # RecursionError (Python 2: RuntimeError)
            raise ConfigurationError('stubs file %s cannot be read as JSON: '
                                     'it is nested too deeply; give a '
                                     'flatter document' % (name,))
        stubs.extend(parse_mappings(document, name))
    return sort_stubs(stubs)


def parse_mappings(document, source='document'):
    """Return the stubs of one JSON document: a mapping, or
    ``{"mappings": [...]}``."""
    if isinstance(document, dict) and 'mappings' in document:
        items = document['mappings']
        if not isinstance(items, list):
            fail(source + ': mappings', items, 'give a list of mappings')
        return [to_stub(m, '%s: mappings[%d]' % (source, i))
                for i, m in enumerate(items)]
    return [to_stub(document, source + ': mapping')]


def dump_stubs(stubs):
    # type: (List[Dict[str, Any]]) -> Dict[str, Any]
    """Return ``{"mappings": [...]}`` in WireMock's form, for a file."""
    return {'mappings': [to_wiremock(stub) for stub in stubs]}


def stubs_from(source):
    # type: (Any) -> List[Dict[str, Any]]
    """Return the stubs of *source*: a path (:func:`load_stubs`), one
    mapping or ``{"mappings": [...]}`` dict, or a list of mappings (each in
    WireMock's form or ours), sorted by priority.  Raises
    :class:`ConfigurationError` naming the bad item."""
    if isinstance(source, six.string_types) or hasattr(source, '__fspath__'):
        return load_stubs(str(source))
    if isinstance(source, dict):
        return sort_stubs(parse_mappings(source, 'stubs'))
    if isinstance(source, (list, tuple)):
        return sort_stubs([to_stub(m, 'stubs[%d]' % i)
                           for i, m in enumerate(source)])
    raise ConfigurationError(
        'stubs must be a path to a JSON file or directory, a mapping dict or '
        'a list of them, got %r' % (source,))


def stub_route(server, stub):
    """Add the checked *stub* (ours, see :func:`to_stub`) to *server* as a
    route, and return the route.  The stub is untrusted: its patterns are
    checked and capped."""
    match = Matcher(stub['match'], 'stub %s match' % stub['id'],
                    untrusted=True)
    return server.route(None, match=match, times=stub.get('times'),
                        **response_spec(stub))
