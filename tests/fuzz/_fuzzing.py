"""What the fuzz tests share: Hypothesis settings profiles, byte splitting,
and the register of bugs the fuzzing found that are not fixed yet.

Every test in ``tests/fuzz/`` takes its settings from :func:`fuzz_settings`,
whose profile the ``HTTPTESTSERVER_FUZZ`` environment variable names:

``ci`` (the default)
    bounded and reproducible: a fixed number of examples per test (the
    whole directory runs in well under 20 s per interpreter), derandomized
    so a CI failure happens again on the next run, no deadline (a shared
    2-core machine is not a benchmark) and no example database, so nothing
    is written into the checkout.
``long``
    a campaign: random seeds, ``HTTPTESTSERVER_FUZZ_EXAMPLES`` examples per
    test (default 20000), no deadline; failures are kept in the example
    database directory ``HTTPTESTSERVER_FUZZ_DATABASE`` when it is set, and
    replayed first on the next campaign.

``HTTPTESTSERVER_FUZZ_EXAMPLES`` sets the number of examples in either
profile.  A test that is dear per example (a real server, every split of a
request) asks for a fraction of it with ``fuzz_settings(scale=...)``.

Imported by the test modules after ``pytest.importorskip('hypothesis')``,
so this module may import Hypothesis.
"""
import linecache
import os
import re
import sys
import tempfile

import pytest
import six
from hypothesis import HealthCheck, configuration, event, settings

import httptestserver

__all__ = ['PROFILE', 'fuzz_settings', 'pieces', 'Bug', 'known_bug',
           'raised', 'RecursionError']

#: What deep recursion raises.
RecursionError = getattr(six.moves.builtins, 'RecursionError',
                         RuntimeError)  # Python 2: RuntimeError

#: The profile in force: ``ci`` or ``long``.
PROFILE = os.environ.get('HTTPTESTSERVER_FUZZ') or 'ci'
if PROFILE not in ('ci', 'long'):
    raise RuntimeError('HTTPTESTSERVER_FUZZ=%r: use ci (the default) or long'
                       % (PROFILE,))

# 'ci': the whole directory in well under 20 s per interpreter on a busy
# 2-core machine; Hypothesis 4 on Python 2.7 runs at about half the speed.
_EXAMPLES = {'ci': 50 if six.PY2 else 75, 'long': 20000}
_examples = os.environ.get('HTTPTESTSERVER_FUZZ_EXAMPLES')
if _examples:
    _EXAMPLES[PROFILE] = int(_examples)

# Hypothesis keeps caches (and, in older versions, writes them without a
# .gitignore) under .hypothesis/ in the working directory: keep the
# checkout clean.
if hasattr(configuration, 'set_hypothesis_home_dir'):
    configuration.set_hypothesis_home_dir(os.path.join(
        tempfile.gettempdir(), 'httptestserver-hypothesis'))

# Generated inputs are large by design (whole requests, bodies, JSON
# documents), and a slow example on a busy machine is not a failure.
_QUIET = [getattr(HealthCheck, name) for name in
          ('too_slow', 'data_too_large', 'filter_too_much',
           'large_base_example') if hasattr(HealthCheck, name)]

settings.register_profile(
    'httptestserver-ci', max_examples=_EXAMPLES['ci'], deadline=None,
    derandomize=True, database=None, suppress_health_check=_QUIET)


def _database():
    path = os.environ.get('HTTPTESTSERVER_FUZZ_DATABASE')
    if not path:
        return None
    from hypothesis.database import DirectoryBasedExampleDatabase
    return DirectoryBasedExampleDatabase(path)


settings.register_profile(
    'httptestserver-long', max_examples=_EXAMPLES['long'], deadline=None,
    derandomize=False, database=_database(), suppress_health_check=_QUIET)


def fuzz_settings(scale=1.0):
    """Return the settings of the profile in force, with *scale* times its
    number of examples (at least 10): a decorator for a ``@given`` test."""
    parent = settings.get_profile('httptestserver-' + PROFILE)
    return settings(parent, max_examples=max(10, int(
        parent.max_examples * scale)))


def pieces(data, cuts):
    """Return *data* cut at the positions *cuts* (any order, repeats and
    out-of-range positions allowed): the bytes as a network may split
    them, empty pieces left out."""
    edges = sorted(set(min(max(c, 0), len(data)) for c in cuts)
                   | set([0, len(data)]))
    return [data[a:b] for a, b in zip(edges, edges[1:]) if a < b]


# -- bugs found and not fixed yet --------------------------------------------
_PACKAGE = os.path.dirname(os.path.abspath(httptestserver.__file__))


class Bug(object):
    """A bug the fuzzing found: *function* in *module* (a path under
    ``httptestserver/``) raises *raises* where it should not -- at a line
    holding the text *line*, when given (for a function name that is not
    unique in its module, such as ``__init__``; *function* None: any
    function of the module).

    The property tests pass over an exception that matches a registered
    bug (:func:`known_bug`), so they keep guarding against new ones; the
    bug's own test, marked with :meth:`xfail`, states the expected
    behaviour on the minimal input.  When the bug is fixed that test
    passes, strict xfail fails the run, and the entry is removed.
    *applies* is False on interpreters where the bug does not occur.
    """

    def __init__(self, module, function, raises, reason, applies=True,
                 line=None):
        self.module = module
        self.function = function
        self.raises = raises
        self.reason = reason
        self.applies = applies
        self.line = line

    def xfail(self, raises=None):
        """The mark for the test that shows this bug; *raises* when the
        test fails otherwise than with the bug's exception (an
        AssertionError about what :func:`raised` returned)."""
        return pytest.mark.xfail(self.applies, raises=raises or self.raises,
                                 strict=True, reason=self.reason)

    def __repr__(self):
        return '<Bug %s:%s %r>' % (self.module, self.function, self.raises)


def raised(call, *args):
    """Return the exception call(*args) raised, or None.

    For a test whose failure would otherwise carry a traceback a thousand
    frames deep (a RecursionError), which pytest takes seconds to format.
    """
    try:
        call(*args)
    except Exception as exc:
        return exc
    return None


def _innermost_package_frame(tb):
    """Return (module path, function, source line) of the innermost frame
    of the package in *tb*, or None."""
    found = None
    while tb is not None:
        code = tb.tb_frame.f_code
        path = os.path.abspath(code.co_filename)
        if path.startswith(_PACKAGE + os.sep):
            found = (os.path.relpath(path, _PACKAGE).replace(os.sep, '/'),
                     code.co_name, linecache.getline(path, tb.tb_lineno))
        tb = tb.tb_next
    return found


def _innermost_package_frame_in(text):
    """Like _innermost_package_frame, from a formatted traceback."""
    found = None
    lines = text.splitlines()
    for index, line in enumerate(lines):
        match = _FRAME.match(line)
        if match and os.path.abspath(match.group(1)).startswith(
                _PACKAGE + os.sep):
            found = (os.path.relpath(os.path.abspath(match.group(1)),
                                     _PACKAGE).replace(os.sep, '/'),
                     match.group(3),
                     lines[index + 1] if index + 1 < len(lines) else '')
    return found


_FRAME = re.compile(r'^\s*File "(.*)", line (\d+), in (.*)$')


def known_bug(bugs, exc_info=None, error=None):
    """Return the bug of *bugs* that the exception being handled is, or
    None.  Call it in an ``except`` block, or give *exc_info* (a
    ``(type, exception, traceback)`` triple, as a log record holds it), or
    *error*, an ``(exception, traceback text)`` pair (as the server keeps
    what failed in its thread).

    An exception is that bug when it is an instance of the bug's type and
    the innermost frame of the package in its traceback is the bug's
    function (at the bug's line): the test's own assertions never match.
    """
    if error is not None:
        exc, text = error
        where = _innermost_package_frame_in(text)
    else:
        _, exc, tb = exc_info or sys.exc_info()
        where = _innermost_package_frame(tb)
    if where is None:
        return None
    module, function, line = where
    for bug in bugs:
        if bug.applies and isinstance(exc, bug.raises) and \
                module == bug.module and \
                bug.function in (None, function) and \
                (bug.line is None or bug.line in line):
            event('known bug: %s in %s' % (type(exc).__name__,
                                           bug.function))
            return bug
    return None
