"""Run the documentation's examples as tests, so the docs cannot rot.

Each page of ``docs/*.rst`` (and ``README.rst``) with a Python example is
one test, named after the page.  Its ``.. code-block:: python`` blocks run in
the order they appear, in one fresh namespace per page (``exec``), so a block
may use what an earlier block of the same page imported or defined.
Tracebacks point at the ``.rst`` file and line.

Conventions for whoever writes the docs:

* Every ``.. code-block:: python`` block runs.  To show Python that must not
  run, use another directive (``.. code-block:: pycon``, ``text``, ``bash``,
  a ``::`` literal block), or start the block's first line with
  ``# doc: no-run`` (a reason may follow on that line).
* A first line starting with ``# doc: python3-only`` skips that block on
  Python 2; a reST comment line ``.. doc: python3-only`` anywhere in a page
  skips the whole page on Python 2.  Use them for Python 3 syntax
  (``async def``) or Python 3 only libraries; the rest must run on 2.7.
* Examples are honest and self-contained: they start and stop their own
  servers (``with http_server() as server:``), give every client call a
  ``timeout=``, never sleep, and guard optional clients (httpx, aiohttp) with
  an import check.  A page that leaves a server thread running fails.

``docs/`` is found beside ``tests/`` (tox runs the tests against the
installed package, but from the checkout); when it is absent, the tests
skip.
"""
from __future__ import print_function

import io
import os
import re
import sys
import textwrap
import threading

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = os.path.join(HERE, '..', 'docs')
README = os.path.join(HERE, '..', 'README.rst')

PY2 = sys.version_info[0] == 2
NO_RUN = '# doc: no-run'
PY3_BLOCK = '# doc: python3-only'
PY3_PAGE = re.compile(r'^\.\. doc: python3-only\s*$', re.MULTILINE)
DIRECTIVE = re.compile(r'^(?P<indent>[ \t]*)\.\. code-block::[ \t]*'
                       r'(?P<language>\S*)[ \t]*$')

# User-guide pages: each must keep at least one runnable example, so that a
# wrong directive or marker cannot silently turn a page's examples off.
GUIDE_PAGES = ['functions.rst', 'mixins.rst', 'server.rst', 'requests.rst',
               'responses.rst', 'verification.rst', 'https.rst', 'clients.rst',
               'migrating.rst', 'static.rst', 'sse.rst', 'websocket.rst',
               'faults.rst', 'pytest.rst', 'stubs.rst', 'control.rst',
               'process.rst']


class Block(object):
    """One ``.. code-block:: python`` block: its code and first line."""

    def __init__(self, path, line, code):
        self.path = path
        self.line = line  # 1-based line number of the code's first line
        self.code = code

    @property
    def marker(self):
        first = self.code.lstrip('\n').split('\n', 1)[0].strip()
        for marker in (NO_RUN, PY3_BLOCK):
            if first == marker or first.startswith(marker + ' '):
                return marker
        return None

    def compile(self):
        # Leading newlines put the code at its own line of the .rst file.
        source = '\n' * (self.line - 1) + self.code
        return compile(source, self.path, 'exec', _FUTURE_FLAGS, True)


def _future_flags():
    import __future__
    return __future__.print_function.compiler_flag


_FUTURE_FLAGS = _future_flags()


def python_blocks(text, path='<rst>'):
    """Return the ``.. code-block:: python`` blocks of reST *text*."""
    lines = text.splitlines()
    blocks = []
    index = 0
    while index < len(lines):
        match = DIRECTIVE.match(lines[index])
        index += 1
        if not match or match.group('language') != 'python':
            continue
        indent = len(match.group('indent').expandtabs())
        # Options (":linenos:") come right after the directive line.
        while index < len(lines) and lines[index].strip().startswith(':') \
                and _indent(lines[index]) > indent:
            index += 1
        body = []
        start = None
        while index < len(lines):
            line = lines[index]
            if line.strip() and _indent(line) <= indent:
                break
            if line.strip() and start is None:
                start = index + 1
            if start is not None:
                body.append(line)
            index += 1
        while body and not body[-1].strip():
            body.pop()
        if start is not None:
            blocks.append(Block(path, start,
                                textwrap.dedent('\n'.join(body)) + '\n'))
    return blocks


def _indent(line):
    return len(line.expandtabs()) - len(line.expandtabs().lstrip())


def _read(path):
    with io.open(path, encoding='utf-8') as f:
        return f.read()


def _has_examples(path):
    return any(b.marker != NO_RUN for b in python_blocks(_read(path)))


def pages():
    """Return (id, path) of every page with an example that may run."""
    found = []
    if os.path.isdir(DOCS):
        for name in sorted(os.listdir(DOCS)):
            path = os.path.join(DOCS, name)
            if name.endswith('.rst') and _has_examples(path):
                found.append((name, path))
    if os.path.isfile(README) and _has_examples(README):
        found.append(('README.rst', README))
    return found


PAGES = pages()


def _page_params():
    if not PAGES:
        return [pytest.param(None, marks=pytest.mark.skip(
            reason='no docs/ directory beside tests/'), id='no-docs')]
    return [pytest.param(path, id=name) for name, path in PAGES]


def _server_threads():
    return set(t for t in threading.enumerate()
               if t.name.startswith('httptestserver-') and t.is_alive())


@pytest.mark.parametrize('path', _page_params())
def test_page_examples_run(path):
    text = _read(path)
    shown = os.path.relpath(path, os.path.join(HERE, '..'))
    if PY2 and PY3_PAGE.search(text):
        pytest.skip('%s is marked ".. doc: python3-only"' % shown)
    blocks = python_blocks(text, os.path.abspath(path))
    runnable = [b for b in blocks if b.marker != NO_RUN
                and not (PY2 and b.marker == PY3_BLOCK)]
    if not runnable:
        pytest.skip('%s has no runnable examples here' % shown)
    before = _server_threads()
    namespace = {'__name__': 'docs_' + os.path.basename(path)[:-4]}
    for block in runnable:
        exec(block.compile(), namespace)
    leaked = _server_threads() - before
    for thread in leaked:
        # stop() has returned; a connection thread may still be closing.
        thread.join(5)
    leaked = [t for t in leaked if t.is_alive()]
    assert not leaked, '%s left server threads running: %s' % (
        shown, ', '.join(sorted(t.name for t in leaked)))


@pytest.mark.skipif(not os.path.isdir(DOCS),
                    reason='no docs/ directory beside tests/')
@pytest.mark.parametrize('name', GUIDE_PAGES)
def test_guide_page_has_runnable_examples(name):
    blocks = python_blocks(_read(os.path.join(DOCS, name)), name)
    assert [b for b in blocks if b.marker is None], \
        '%s has no example that runs on every Python' % name


SAMPLE = u'''\
Title
=====

.. code-block:: python

    a = 1

    b = a + 1

Text.

.. code-block:: python
   :caption: with an option

   # doc: no-run  (a reason may follow)
   raise SystemExit

.. code-block:: pycon

    >>> not run

* a list item:

  .. code-block:: python

      # doc: python3-only
      c = b
'''


def test_the_extractor_finds_blocks_lines_and_markers():
    blocks = python_blocks(SAMPLE)
    assert [b.code for b in blocks] == [
        'a = 1\n\nb = a + 1\n',
        '# doc: no-run  (a reason may follow)\nraise SystemExit\n',
        '# doc: python3-only\nc = b\n',
    ]
    assert [b.line for b in blocks] == [6, 15, 26]
    assert [b.marker for b in blocks] == [None, NO_RUN, PY3_BLOCK]
    assert SAMPLE.splitlines()[blocks[1].line - 1].strip().startswith(NO_RUN)
    assert python_blocks(u'.. code-block:: python\n\n    # doc: no-running\n'
                         )[0].marker is None


def test_a_failing_example_points_at_its_rst_line():
    block = python_blocks(u'.. code-block:: python\n\n    x = 1\n    1 / 0\n',
                          'page.rst')[0]
    try:
        exec(block.compile(), {})
    except ZeroDivisionError:
        traceback = sys.exc_info()[2]
        while traceback.tb_next is not None:
            traceback = traceback.tb_next
        assert traceback.tb_frame.f_code.co_filename == 'page.rst'
        assert traceback.tb_lineno == 4
    else:
        raise AssertionError('the example did not run')
