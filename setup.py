"""Build script; the metadata is in setup.cfg.

The version is read from ``httptestserver/__init__.py`` with a regex rather
than by importing the package: importing needs ``six`` before it is installed,
and setuptools 44 (the last one for Python 2.7) imports the module for
``version = attr:``.
"""
import io
import os
import re

from setuptools import setup

HERE = os.path.abspath(os.path.dirname(__file__))


def read_version():
    path = os.path.join(HERE, 'httptestserver', '__init__.py')
    with io.open(path, encoding='utf-8') as f:
        match = re.search(r"^__version__\s*=\s*['\"]([^'\"]+)['\"]",
                          f.read(), re.MULTILINE)
    if match is None:
        raise RuntimeError('no __version__ = "..." line in %s' % path)
    return match.group(1)


setup(version=read_version())
