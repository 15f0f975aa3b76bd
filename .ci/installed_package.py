"""pytest plugin used by tox: the tests must exercise the installed package.

tox installs httptestserver from its sdist, so a test run also checks the
packaging (MANIFEST.in, package data such as the certificates).  That check is
void if ``import httptestserver`` finds the checkout instead, which happens
when the checkout lands on ``sys.path`` before site-packages:

* ``python -m pytest`` puts the current directory first (tox.ini runs it from
  the empty ``{envtmpdir}`` for that reason);
* if ``tests/`` is a package, pytest inserts its parent -- the checkout -- at
  the front of ``sys.path``.  ``--import-mode=append`` moves it to the end,
  but pytest 4.6 (the last for Python 2.7) ignores the option for
  ``conftest.py`` files; pytest 6+ honours it.

tox loads this module with ``-p installed_package`` (``.ci`` is on
``PYTHONPATH``) before any ``conftest.py``: it imports httptestserver while
the checkout is not yet on ``sys.path``, so that installed copy is the one
every later import gets from ``sys.modules``, and it stops the run with a
usage error if the package was imported from the checkout anyway.  The
package's location is printed in the pytest header.

Runs on Python 2.7 and pytest 4.6 as well as on current ones.
"""
import os

import pytest

import httptestserver

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOCATION = os.path.dirname(os.path.abspath(httptestserver.__file__))


def _from_checkout():
    # Not a prefix test: the tox environments live inside the checkout too.
    return os.path.realpath(LOCATION) == os.path.realpath(
        os.path.join(CHECKOUT, 'httptestserver'))


def pytest_configure(config):
    if _from_checkout():
        raise pytest.UsageError(
            'httptestserver was imported from the checkout (%s), not from the'
            ' installed package; the run would not test the sdist.  Is the'
            ' current directory the checkout, or is it on PYTHONPATH?'
            % LOCATION)


def pytest_report_header(config):
    return 'httptestserver %s under test: %s' % (
        getattr(httptestserver, '__version__', '?'), LOCATION)
