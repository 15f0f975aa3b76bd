# -*- coding: utf-8 -*-
"""Static files (``static/files.py``): what a file says of itself -- its
content type, validators, whether it may be opened, its sidecar's headers
and status, and its body streamed in chunks -- seen through a mount by real
clients over real sockets.
"""
import email.utils
import functools
import gc
import io
import os
import re
import sys

import pytest

import httptestserver
from httptestserver import HandlerError, Server
from httptestserver.static.files import FileBody
from httptestserver.static.mounts import Mount, serve_directory

from _static_site import FEED, MTIME, TEXT, get, write

_get = get


# -- the file ----------------------------------------------------------------
def test_text_file_has_type_with_charset_length_and_validators(root, scheme):
    with Server(scheme=scheme).start() as server:
        serve_directory(server, '/static', root)
        response = get(server, '/static/hello.txt',
                       verify=httptestserver.CA_FILE)
    assert response.status_code == 200
    assert response.content == TEXT
    assert response.headers['Content-Type'] == 'text/plain; charset=utf-8'
    assert response.headers['Content-Length'] == str(len(TEXT))
    assert response.headers['Last-Modified'] == email.utils.formatdate(
        MTIME, usegmt=True)
    assert re.match(r'^"[0-9a-f-]+"$', response.headers['ETag'])
    assert response.headers['Accept-Ranges'] == 'bytes'
    assert 'Content-Encoding' not in response.headers


@pytest.mark.parametrize('name, expected', [
    ('style.css', 'text/css; charset=utf-8'),
    ('image.png', 'image/png'),
    ('data.unknownext', 'application/octet-stream'),
    ('docs/index.html', 'text/html; charset=utf-8'),
])
def test_content_type_by_extension(site, name, expected):
    response = get(site, '/static/' + name,
                   headers={'Accept-Encoding': 'identity'})
    assert response.headers['Content-Type'] == expected


def test_content_types_override_per_extension_verbatim(root):
    with Server().start() as server:
        serve_directory(server, '/s', root, sidecar=None, content_types={
            '.XML': 'text/xml; charset=iso-8859-1', '.png': 'image/x-test'})
        xml = get(server, '/s/feed.xml')
        png = get(server, '/s/image.png')
    assert xml.headers['Content-Type'] == 'text/xml; charset=iso-8859-1'
    assert png.headers['Content-Type'] == 'image/x-test'


@pytest.mark.skipif(not hasattr(os, 'mkfifo'), reason='no FIFOs here')
def test_a_fifo_is_not_opened(site, root):
    os.mkfifo(os.path.join(root, 'pipe.txt'))
    assert get(site, '/static/pipe.txt').status_code == 404


def test_gzip_and_identity_have_different_etags(site):
    plain = get(site, '/static/style.css',
                headers={'Accept-Encoding': 'identity'})
    packed = get(site, '/static/style.css',
                 headers={'Accept-Encoding': 'gzip'})
    assert plain.headers['ETag'] != packed.headers['ETag']


# -- sidecar headers ---------------------------------------------------------
def test_sidecar_headers_replace_the_generated_ones(site):
    response = get(site, '/static/feed.xml')
    assert response.status_code == 200
    assert response.headers['Content-Type'] == \
        'application/rss+xml; charset=utf-8'  # what the sidecar says
    assert response.headers['X-Fixture'] == 'feed'
    assert response.content == FEED  # the bytes are untouched


@pytest.mark.parametrize('path, status, header, value', [
    ('/static/gone.html', 410, 'X-Why', 'removed'),
    ('/static/moved.html', 302, 'Location', '/static/hello.txt'),
])
def test_sidecar_status_line(site, path, status, header, value):
    response = get(site, path, allow_redirects=False)
    assert response.status_code == status
    assert response.headers[header] == value


@pytest.mark.parametrize('content, words', [
    (b'Content-Length: 5\n', 'frames the body'),
    (b'no colon here\n', 'not "Name: value"'),
    (b'HTTP/1.1 100 Continue\n', 'cannot answer a file'),
])
def test_malformed_sidecar_is_a_500_and_raised_by_check(tmp_path, content,
                                                        words):
    write(tmp_path / 'a.txt', b'a')
    write(tmp_path / 'a.txt.headers', content)
    server = Server().start()
    try:
        serve_directory(server, '/', str(tmp_path))
        assert get(server, '/a.txt').status_code == 500
    finally:
        server.stop()
    with pytest.raises(HandlerError) as info:
        server.check()
    assert words in str(info.value.errors[0][1])


@pytest.mark.parametrize('content, words', [
    (b'# ok\nNot a header: Token-12345\n', 'line 2 is not "Name: value"'),
    (b'Not-a-header Token-12345\n', 'line 1 is not "Name: value"'),
    (b'X-Ok: Token-\x0012345\n', 'line 1: the value of X-Ok holds a '
                                 'control character'),
    (b'X-Ok: Token-12345' * 5000, 'is over 64 KiB'),
], ids=['bad-name', 'no-colon', 'control-character', 'too-big'])
def test_a_malformed_sidecar_error_names_it_and_never_quotes_it(
        tmp_path, content, words):
    top = tmp_path / 'top'
    top.mkdir()
    (top / 'sub').mkdir()
    write(top / 'sub' / 'a.txt', b'a')
    write(top / 'sub' / 'a.txt.headers', content)
    server = Server().start()
    try:
        serve_directory(server, '/static', str(top))
        response = get(server, '/static/sub/a.txt')
    finally:
        server.stop()
    assert response.status_code == 500
    assert b'12345' not in response.content
    with pytest.raises(HandlerError) as info:
        server.check()
    message = str(info.value.errors[0][1])
    assert message.startswith('sidecar sub/a.txt.headers ')
    assert words in message
    assert '12345' not in str(info.value)
    assert str(tmp_path) not in message


# -- large files -------------------------------------------------------------
class CountingFile(io.BytesIO):
    def __init__(self, data):
        io.BytesIO.__init__(self, data)
        self.reads = []

    def read(self, size=-1):
        self.reads.append(size)
        return io.BytesIO.read(self, size)


def test_file_body_reads_in_chunks_and_closes_at_the_end():
    data = CountingFile(b'x' * 1000)
    body = FileBody(data, 100, 850, chunk_size=300)
    chunks = list(body)
    assert [len(c) for c in chunks] == [300, 300, 250]
    assert data.reads == [300, 300, 250]
    assert data.closed and body.closed
    body.close()  # idempotent


def test_file_body_closes_when_closed_unread():
    data = CountingFile(b'x' * 10)
    body = FileBody(data, 0, 10)
    body.close()
    assert data.closed and data.reads == []
    assert list(body) == []


def test_file_body_ends_early_if_the_file_shrank():
    body = FileBody(io.BytesIO(b'abc'), 0, 100)
    assert list(body) == [b'abc'] and body.closed


def _max_rss_mb():
    try:
        import resource
    except ImportError:
        return None
    scale = 1024.0 * 1024 if sys.platform == 'darwin' else 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def _open_fds_to(path):
    fd_dir = '/proc/self/fd'
    if not os.path.isdir(fd_dir):
        return None
    found = 0
    for name in os.listdir(fd_dir):
        try:
            if os.readlink(os.path.join(fd_dir, name)) == path:
                found += 1
        except OSError:
            pass
    return found


def test_large_file_streams_with_flat_memory(tmp_path, scheme):
    size = 1 << 30
    big = str(tmp_path / 'big.bin')
    with open(big, 'wb') as out:
        out.truncate(size)  # sparse: 1 GB that costs no disk
    before = _max_rss_mb()
    server = Server(scheme=scheme).start()
    try:
        serve_directory(server, '/', str(tmp_path))
        get = functools.partial(_get, verify=httptestserver.CA_FILE)
        head = get(server, '/big.bin', method='HEAD')
        assert head.headers['Content-Length'] == str(size)
        tail = get(server, '/big.bin',
                   headers={'Range': 'bytes=-%d' % (1 << 20)})
        assert tail.status_code == 206
        assert tail.headers['Content-Range'] == 'bytes %d-%d/%d' % (
            size - (1 << 20), size - 1, size)
        assert len(tail.content) == 1 << 20
        # A client that reads 8 MB of the whole file and goes away:
        stream = get(server, '/big.bin', stream=True)
        try:
            assert stream.headers['Content-Length'] == str(size)
            got = 0
            for chunk in stream.iter_content(1 << 20):
                got += len(chunk)
                if got >= 8 << 20:
                    break
            # The probe sees the server's open file, so 0 below means closed.
            assert _open_fds_to(big) in (1, None)
        finally:
            stream.close()
    finally:
        server.stop()
    gc.collect()
    assert server.history[-1]['response_content'] is None  # streamed
    after = _max_rss_mb()
    if before is not None:
        assert after - before < 200, (before, after)
    assert _open_fds_to(big) in (0, None)


def test_large_file_is_read_in_chunks_by_the_server(tmp_path):
    size = 3 * 65536 + 5
    write(tmp_path / 'mid.bin', b'm' * size)
    mount = Mount('/', str(tmp_path), chunk_size=65536)
    response = mount({'method': 'GET', 'url_path': '/mid.bin',
                      'headers': {}})
    assert isinstance(response.body, FileBody)
    assert dict(response.headers)['Content-Length'] == str(size)
    assert [len(c) for c in response.body] == [65536] * 3 + [5]
    head = mount({'method': 'HEAD', 'url_path': '/mid.bin', 'headers': {}})
    assert head.body == b''  # HEAD opens nothing to stream
    assert dict(head.headers)['Content-Length'] == str(size)
