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

from ..answers.matchers import fail
from ..errors import ConfigurationError
from .stubs import normalise_stub, sort_stubs
from .wiremock import from_wiremock, to_wiremock

__all__ = ['load_stubs', 'parse_mappings', 'dump_stubs', 'to_stub']

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
