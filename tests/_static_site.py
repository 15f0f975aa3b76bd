# -*- coding: utf-8 -*-
"""Static files test helpers shared by test_mounts.py, test_files.py,
test_conditional.py and test_pages.py: a fixture tree (``root``), a server
mounting it (``site``), and what the tree holds.

A plugin of the suite (``pytest_plugins`` in conftest.py), so its fixtures
reach every test; import the plain helpers from it by name.
"""
import gzip
import io
import os

import pytest
import requests

from httptestserver import Server
from httptestserver.static.mounts import serve_directory

from conftest import TIMEOUT

TEXT = b'hello, static world\n'
CSS = b'body { color: red }\n'
FEED = (b'<?xml version="1.0" encoding="iso-8859-1"?>\n'
        b'<rss version="2.0"><channel><title>caf\xe9</title></channel>'
        b'</rss>\n')
SECRET = b'TOP SECRET outside the mount\n'
# A fixed, old modification time: validators must not depend on the clock.
MTIME = 1700000000


def write(path, data, mtime=MTIME):
    with open(str(path), 'wb') as out:
        out.write(data)
    os.utime(str(path), (mtime, mtime))
    return str(path)


def gzipped(data):
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode='wb', mtime=0) as out:
        out.write(data)
    return buffer.getvalue()


@pytest.fixture
def root(tmp_path):
    """A fixture tree, with a secret file beside (outside) the root."""
    write(tmp_path / 'secret.txt', SECRET)
    top = tmp_path / 'root'
    top.mkdir()
    write(top / 'hello.txt', TEXT)
    write(top / 'style.css', CSS)
    write(top / 'style.css.gz', gzipped(CSS))
    write(top / 'image.png', b'\x89PNG\r\n\x1a\n' + b'\x00' * 8)
    write(top / 'data.unknownext', b'\x01\x02')
    write(top / 'image.png.headers', b'Cache-Control: max-age=60\n')
    write(top / 'feed.xml', FEED)
    write(top / 'feed.xml.headers',
          b'# the server of the feed got its charset wrong\n'
          b'Content-Type: application/rss+xml; charset=utf-8\n'
          b'X-Fixture: feed\n')
    write(top / 'gone.html', b'<p>gone</p>')
    write(top / 'gone.html.headers', b'HTTP/1.1 410 Gone\nX-Why: removed\n')
    write(top / 'moved.html', b'')
    write(top / 'moved.html.headers',
          b'Status: 302\nLocation: /static/hello.txt\n')
    (top / 'docs').mkdir()
    write(top / 'docs' / 'index.html', b'<h1>docs</h1>')
    (top / 'empty').mkdir()
    write(top / 'empty' / '<b>&amp;.txt', b'x')
    write(top / u'caf\xe9.txt', u'caf\xe9'.encode('utf-8'))
    if hasattr(os, 'symlink'):
        os.symlink(str(tmp_path / 'secret.txt'), str(top / 'outside-link'))
        os.symlink(str(tmp_path), str(top / 'outside-dir'))
        os.symlink('hello.txt', str(top / 'inside-link'))
    return str(top)


@pytest.fixture
def site(root):
    """A started HTTP server with *root* mounted at /static."""
    server = Server().start()
    try:
        serve_directory(server, '/static', root)
        yield server
    finally:
        server.stop()
    server.check()


def get(server, path, headers=None, method='GET', **kws):
    return requests.request(method, server.url(path), headers=headers,
                            timeout=TIMEOUT, **kws)
