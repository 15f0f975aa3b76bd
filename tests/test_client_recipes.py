"""The recipes of ``docs/clients.rst``, run against a real server.

The code comes from the page itself, so the page and these tests cannot
drift apart.  On the page, a reST comment before a code block names it:

* ``.. recipe: NAME`` -- the block belongs to recipe NAME; ``file=F`` after
  the name saves the block as file ``F`` in the recipe's working directory
  instead of running it.  A recipe's ``python`` blocks run in-process after
  the ``setup`` recipe (which defines ``recipe_server()``); its ``bash``
  blocks run with ``bash -e`` in a temporary directory, with ``$URL``,
  ``$CA`` and ``$CLIENT_PEM`` set, against ``recipe_server()`` running in
  this process.
* ``.. recipe-untested: REASON`` -- the block is shown but not run.

Every code block of the page carries one of the two, so a new block cannot
go untested by accident.  A recipe whose tool (curl, wget, node, go, java)
is missing is skipped, saying which.  Each external recipe also has an
untrusting twin: the same commands with ``$CA`` naming another CA bundle
(certifi's) must fail before any request reaches the server; and a twin
that trusts the test CA but meets a certificate, signed with the test PKI's
public key, that also names ``www.example.com``: the CA's name constraints
must make it fail too.
"""
from __future__ import print_function

import binascii
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap

import pytest

from conftest import communicate

HERE = os.path.dirname(os.path.abspath(__file__))
PAGE = os.path.join(HERE, '..', 'docs', 'clients.rst')
PY2 = sys.version_info[0] == 2
TIMEOUT = 120  # seconds for one external recipe: go and java compile first

MARKER = re.compile(r'^\.\. (?P<kind>recipe|recipe-untested):[ \t]*'
                    r'(?P<value>.*?)[ \t]*$')
DIRECTIVE = re.compile(r'^(?P<indent>[ \t]*)\.\. code-block::[ \t]*'
                       r'(?P<language>\S*)[ \t]*$')


class Block(object):
    """One code block of the page, and the marker that precedes it."""

    def __init__(self, line, language, code, kind, value):
        self.line = line          # 1-based line of the code's first line
        self.language = language
        self.code = code
        self.kind = kind          # 'recipe', 'recipe-untested' or None
        self.value = value        # 'NAME [file=F]', the reason, or None

    @property
    def name(self):
        return self.value.split()[0]

    @property
    def filename(self):
        for word in self.value.split()[1:]:
            if word.startswith('file='):
                return word[len('file='):]
        return None


def _indent(line):
    return len(line.expandtabs()) - len(line.expandtabs().lstrip())


def parse(text):
    """Return every code block of reST *text*, with its marker."""
    lines = text.splitlines()
    blocks = []
    marker = None
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        found = MARKER.match(line)
        if found:
            marker = (found.group('kind'), found.group('value'))
            continue
        match = DIRECTIVE.match(line)
        if not match:
            if line.strip() and not line.startswith('   '):
                marker = None        # a marker only names the next block
            continue
        indent = len(match.group('indent').expandtabs())
        body = []
        first = None                 # 1-based line of the code's first line
        while index < len(lines):
            if lines[index].strip() and _indent(lines[index]) <= indent:
                break
            if lines[index].strip() and first is None:
                first = index + 1
            if first is not None:
                body.append(lines[index])
            index += 1
        code = textwrap.dedent('\n'.join(body)).rstrip('\n') + '\n'
        kind, value = marker or (None, None)
        blocks.append(Block(first, match.group('language'), code, kind,
                            value))
        marker = None
    return blocks


def _read_page():
    with io.open(PAGE, encoding='utf-8') as f:
        return f.read()


BLOCKS = parse(_read_page()) if os.path.isfile(PAGE) else []
needs_page = pytest.mark.skipif(not BLOCKS,
                                reason='no docs/clients.rst beside tests/')


def recipe(name):
    blocks = [b for b in BLOCKS if b.kind == 'recipe' and b.name == name]
    assert blocks, 'docs/clients.rst has no ".. recipe: %s" block' % name
    return blocks


def _python3_only(block):
    return block.code.startswith('# doc: python3-only')


def run_python(name):
    """Run the setup and recipe *name*'s Python blocks in a new namespace."""
    namespace = {'__name__': 'recipe_' + name.replace('-', '_')}
    for block in recipe('setup') + recipe(name):
        assert block.language == 'python', block.line
        if PY2 and _python3_only(block):
            pytest.skip('recipe %r is Python 3 only' % name)
        code = '\n' * (block.line - 1) + block.code  # page lines in tracebacks
        exec(compile(code, os.path.abspath(PAGE), 'exec'), namespace)
    return namespace


def _which(tool):
    for directory in os.environ.get('PATH', '').split(os.pathsep):
        path = os.path.join(directory, tool)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def run_external(name, server, ca, workdir):
    """Run recipe *name*'s shell blocks; return (status, stdout text)."""
    for block in recipe(name):
        if block.filename:
            with io.open(os.path.join(workdir, block.filename), 'w',
                         encoding='utf-8') as f:
                f.write(block.code)
    import httptestserver
    env = dict(os.environ, URL=server.url('/'), CA=ca,
               CLIENT_PEM=httptestserver.CLIENT_CERT_FILE)
    # The page says "python3": make it this interpreter, which has requests.
    bindir = os.path.join(workdir, 'bin')
    os.mkdir(bindir)
    wrapper = os.path.join(bindir, 'python3')
    with open(wrapper, 'w') as f:    # not a symlink: a venv needs its path
        f.write('#!/bin/sh\nexec "%s" "$@"\n' % sys.executable)
    os.chmod(wrapper, 0o755)
    env['PATH'] = bindir + os.pathsep + env.get('PATH', '')
    for variable in ('NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'CURL_CA_BUNDLE',
                     'REQUESTS_CA_BUNDLE'):
        env.pop(variable, None)
    script = '\n'.join(b.code for b in recipe(name)
                       if b.language == 'bash' and not b.filename)
    process = subprocess.Popen(['bash', '-e', '-c', script], cwd=workdir,
                               env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    out = _communicate(process, TIMEOUT)
    return process.returncode, out.decode('utf-8', 'replace')


def _communicate(process, timeout):
    """The output of *process*, bounded by *timeout* (Python 2 too)."""
    return communicate(process, timeout)[0]


def _other_ca():
    try:
        import certifi
    except ImportError:
        pytest.skip('certifi (a dependency of requests) is not installed')
    return certifi.where()


# What each external recipe does: the tools it needs, the paths it fetches
# (see check_history) and the line it prints when /slow times out.
EXTERNAL = {
    'curl': (('curl',), 'hello mtls keep stream slow',
             'timed out: curl exit status 28'),
    'wget': (('wget',), 'hello mtls keep stream slow',
             'timed out: wget exit status 4'),
    'node-fetch': (('node',), 'hello keep stream slow',
                   'timed out: TimeoutError'),
    'node-https': (('node',), 'mtls keep stream slow', 'timed out'),
    'go': (('go',), 'mtls keep stream slow', 'timed out: true'),
    'java': (('java', 'keytool', 'openssl'), 'mtls keep stream slow',
             'timed out: '),
    'system-store': (('curl',), 'hello', None),
    'sse-curl': (('curl',), 'events', None),
}


def check_history(server, features, out):
    history = server.history
    by_path = dict((e['path'], e) for e in history)
    features = features.split()
    if 'hello' in features:
        assert by_path['/hello']['tls']['client_cert'] is None
        assert out.count('hello\n') >= 1
    if 'mtls' in features:
        client = by_path['/mtls']['tls']['client_cert']
        assert client['verified'] is True
        assert client['subject']['commonName'] == 'httptestserver test client'
    if 'keep' in features:
        # The second arrives on a connection already used (Node's fetch may
        # use either of its two pooled connections: not always /keep/1's).
        paths = [e['path'] for e in history]
        second = paths.index('/keep/2')
        earlier = [e['client_address'] for e in history[:second]]
        assert history[second]['client_address'] in earlier, \
            'no connection was reused: %r' % [
                (e['path'], e['client_address']) for e in history]
    if 'stream' in features:
        assert by_path['/stream']['response_status'] == 200
        assert 'event 1\nevent 2\nevent 3\n' in out
    if 'slow' in features:
        assert '/slow' in by_path
        assert 'too late' not in out
    if 'events' in features:
        assert by_path['/events']['response_status'] == 200
        assert 'id: 1\nretry: 1500\ndata: one\n\n: ping\n\n' \
            'event: done\ndata: two\n\n' in out, out


def _skip_without(tools, name):
    missing = [t for t in tools if _which(t) is None]
    if missing:
        pytest.skip('recipe %r needs %s, not found on PATH'
                    % (name, ', '.join(missing)))
    if name == 'system-store' and PY2:
        pytest.skip('the recipe runs python3 code with this interpreter')


@needs_page
def test_every_code_block_is_a_recipe_or_says_why_not():
    unmarked = ['line %d (%s)' % (b.line, b.language) for b in BLOCKS
                if b.kind is None and b.language != 'text']
    assert not unmarked, 'code blocks without ".. recipe:" or ' \
        '".. recipe-untested:" before them: %s' % ', '.join(unmarked)
    for block in BLOCKS:
        if block.kind == 'recipe-untested':
            assert block.value, 'line %d: say why it is untested' % block.line


@needs_page
def test_every_recipe_on_the_page_is_tested_here():
    names = set(b.name for b in BLOCKS if b.kind == 'recipe')
    tested = set(PYTHON) | set(EXTERNAL) | set(['setup'])
    assert names == tested


PYTHON = ['requests', 'urllib', 'urllib3', 'httpx', 'aiohttp', 'subprocess',
          'sse-httpx-sse', 'sse-sseclient', 'wss-websocket-client',
          'wss-websockets', 'wss-aiohttp']
#: The module a Python recipe needs, when it is not in the test requirements.
NEEDS = {'httpx': 'httpx', 'aiohttp': 'aiohttp', 'wss-aiohttp': 'aiohttp',
         'sse-httpx-sse': 'httpx_sse', 'sse-sseclient': 'sseclient',
         'wss-websocket-client': 'websocket', 'wss-websockets': 'websockets'}


@needs_page
@pytest.mark.parametrize('name', PYTHON)
def test_python_recipe_runs(name):
    if name in NEEDS:
        pytest.importorskip(NEEDS[name])
    if name == 'subprocess' and _which('curl') is None:
        pytest.skip('the recipe runs curl, not found on PATH')
    run_python(name)


@pytest.fixture
def workdir():
    path = tempfile.mkdtemp(prefix='httptestserver-recipe-')
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@needs_page
@pytest.mark.parametrize('name', sorted(EXTERNAL))
def test_external_recipe_runs(name, workdir):
    tools, features, timed_out = EXTERNAL[name]
    _skip_without(tools, name)
    import httptestserver
    server_context = run_python_setup()
    with server_context() as server:
        status, out = run_external(name, server, httptestserver.CA_FILE,
                                   workdir)
        assert status == 0, out
        check_history(server, features, out)
        if timed_out:
            assert timed_out in out, out


# Java's twin is left out: it costs two more JVM starts and a compilation
# (about 8 s here), and the trust store it would exercise is the JDK's.
UNTRUSTING = sorted(set(EXTERNAL) - set(['java']))


@needs_page
@pytest.mark.parametrize('name', UNTRUSTING)
def test_external_recipe_fails_when_it_trusts_another_ca(name, workdir):
    tools = EXTERNAL[name][0]
    _skip_without(tools, name)
    server_context = run_python_setup()
    with server_context() as server:
        status, out = run_external(name, server, _other_ca(), workdir)
        assert status != 0, out
        assert server.history == [], 'a request got through: %s' % out


def _outside_certificate(directory):
    """Make a server certificate signed with the bundled issuing CA's public
    key, as anyone could, good for 127.0.0.1 and localhost but also naming
    www.example.com; return the file holding it, its chain and its key."""
    import httptestserver
    certs = os.path.dirname(httptestserver.CA_FILE)
    path = lambda name: os.path.join(directory, name)  # noqa: E731
    with open(path('outside.ext'), 'w') as f:
        f.write('basicConstraints = critical, CA:FALSE\n'
                'keyUsage = critical, digitalSignature\n'
                'extendedKeyUsage = serverAuth\n'
                'subjectKeyIdentifier = hash\n'
                'authorityKeyIdentifier = keyid:always\n'
                'subjectAltName = DNS:localhost, IP:127.0.0.1, '
                'DNS:127.0.0.1, DNS:www.example.com\n')
    for command in (
            ['req', '-new', '-newkey', 'ec', '-pkeyopt',
             'ec_paramgen_curve:P-256', '-nodes',
             '-keyout', path('outside.key'),
             '-subj', '/CN=localhost', '-out', path('outside.csr')],
            ['x509', '-req', '-in', path('outside.csr'), '-sha256',
             '-CA', os.path.join(certs, 'issuing-ca.pem'),
             '-CAkey', os.path.join(certs, 'issuing-ca.key'),
             '-set_serial', str(int(binascii.hexlify(os.urandom(8)), 16)),
             '-days', '30', '-extfile', path('outside.ext'),
             '-out', path('outside.crt')]):
        process = subprocess.Popen(['openssl'] + command,
                                   stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
        out = _communicate(process, TIMEOUT)
        assert process.returncode == 0, out
    with open(path('outside.pem'), 'wb') as f:
        for name in (path('outside.crt'),
                     os.path.join(certs, 'issuing-ca.pem'),
                     path('outside.key')):
            with open(name, 'rb') as part:
                f.write(part.read())
    return path('outside.pem')


@needs_page
@pytest.mark.parametrize('name', sorted(EXTERNAL))
def test_external_recipe_refuses_a_name_outside_the_test_ca_constraints(
        name, workdir):
    # Java is kept here despite its cost: a single constrained CA would pass
    # every other client, because Java ignores name constraints in the CA it
    # trusts and enforces them only in the issuing CA.
    tools = EXTERNAL[name][0]
    _skip_without(tools + ('openssl',), name)
    import httptestserver
    pki = os.path.join(workdir, 'pki')
    os.mkdir(pki)
    with httptestserver.https_server(certfile=_outside_certificate(pki),
                                     client_cert='optional') as server:
        status, out = run_external(name, server, httptestserver.CA_FILE,
                                   workdir)
        assert status != 0, out
        assert server.history == [], 'a request got through: %s' % out


def run_python_setup():
    """Return ``recipe_server`` as the page's setup block defines it."""
    namespace = {}
    for block in recipe('setup'):
        code = '\n' * (block.line - 1) + block.code
        exec(compile(code, os.path.abspath(PAGE), 'exec'), namespace)
    return namespace['recipe_server']
