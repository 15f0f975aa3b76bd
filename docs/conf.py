"""Sphinx configuration for httptestserver.

Builds offline: no intersphinx, no network.  autodoc and the version come
from the package in this checkout (``sys.path`` below), which needs only
``six`` installed.
"""
import os
import sys

HERE = os.path.abspath(os.path.dirname(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)


project = 'httptestserver'
author = 'Javier Santacruz and contributors'
copyright = '2014, ' + author
import httptestserver  # noqa: E402  (after the sys.path line above)

release = httptestserver.__version__
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
# The docs environment has no pytest; the plugin module's docstrings need
# only its decorators to exist.
autodoc_mock_imports = ['pytest']

html_theme = 'alabaster'
