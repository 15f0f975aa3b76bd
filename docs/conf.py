"""Sphinx configuration for httptestserver.

Builds offline: no intersphinx, no network.  The version comes from
``httptestserver/__init__.py`` by regex so that reading it needs no import;
autodoc imports the package from this checkout (``sys.path`` below), which
needs ``six`` installed.
"""
import io
import os
import re
import sys

HERE = os.path.abspath(os.path.dirname(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)


def read_version():
    path = os.path.join(ROOT, 'httptestserver', '__init__.py')
    with io.open(path, encoding='utf-8') as f:
        match = re.search(r"^__version__\s*=\s*['\"]([^'\"]+)['\"]",
                          f.read(), re.MULTILINE)
    if match is None:
        raise RuntimeError('no __version__ = "..." line in %s' % path)
    return match.group(1)


project = 'httptestserver'
author = 'Javier Santacruz and contributors'
copyright = '2014, ' + author
release = read_version()
version = '.'.join(release.split('.')[:2])

extensions = [
    'sphinx.ext.autodoc',
    'sphinx.ext.viewcode',
]

master_doc = 'index'
exclude_patterns = ['_build']
pygments_style = 'sphinx'
nitpicky = False

autodoc_member_order = 'bysource'

html_theme = 'alabaster'
