# -*- coding: utf-8 -*-
"""Static files: what a mount answers, to real clients over real sockets."""
import email.utils
import functools
import gc
import gzip
import io
import os
import re
import subprocess
import sys

import pytest
import requests

import httptestserver
from httptestserver import ConfigurationError, HandlerError, Server
from httptestserver.static.mounts import FileBody, Mount, serve_directory

from conftest import TIMEOUT, raw_connect, which
from rawhttp import RawConnection, request as raw_request

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


_get = get


def raw(server, target, method='GET', headers=()):
    """Send *target* byte for byte (clients normalise ``..`` away)."""
    with RawConnection(raw_connect(server)) as conn:
        conn.send(raw_request(method, target, headers=list(headers) +
                              [('Connection', 'close')]))
        return conn.read_response(method)


# -- setting up --------------------------------------------------------------
def test_missing_directory_is_an_error_naming_it(tmp_path):
    missing = str(tmp_path / 'nope')
    with Server() as server:
        with pytest.raises(ConfigurationError) as info:
            serve_directory(server, '/static', missing)
    assert repr(missing) in str(info.value)
    assert 'does not exist' in str(info.value)


def test_a_file_is_not_a_directory(tmp_path):
    path = write(tmp_path / 'file.txt', b'x')
    with pytest.raises(ConfigurationError) as info:
        Mount('/static', path)
    assert 'not a directory' in str(info.value) and repr(path) in \
        str(info.value)


@pytest.mark.parametrize('prefix', ['static', '', None, '/a?b'])
def test_prefix_must_be_a_path(tmp_path, prefix):
    with pytest.raises(ConfigurationError) as info:
        Mount(prefix, str(tmp_path))
    assert 'prefix' in str(info.value)


@pytest.mark.parametrize('option, value', [
    ('content_types', {'xml': 'text/xml'}),
    ('content_types', {'.xml': 'xml'}),
    ('content_types', ['.xml']),
    ('index', 'a/index.html'),
    ('sidecar', ''),
    ('chunk_size', 0),
    ('charset', 8),
])
def test_bad_options_are_errors_naming_them(tmp_path, option, value):
    with pytest.raises(ConfigurationError) as info:
        Mount('/', str(tmp_path), **{option: value})
    assert option in str(info.value)


def test_serve_directory_returns_the_mount_and_adds_one_route(root):
    with Server() as server:
        mount = serve_directory(server, '/static/', root)
        assert isinstance(mount, Mount) and mount.prefix == '/static'
        assert len(server.routes) == 1


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


def test_history_records_the_file_used(site, root):
    get(site, '/static/hello.txt')
    get(site, '/static/nothing-here.txt')
    served, missing = site.history
    assert served['file'] == os.path.join(root, 'hello.txt')
    assert served['response_status'] == 200
    assert missing['file'] is None and missing['response_status'] == 404


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


def test_head_has_the_headers_of_get_and_no_body(site):
    with RawConnection(raw_connect(site)) as conn:
        conn.send(raw_request('HEAD', '/static/hello.txt'))
        head = conn.read_response('HEAD')
        conn.send(raw_request('GET', '/static/hello.txt'))
        body = conn.read_response()  # framing intact after the HEAD
    assert head.status == 200
    assert head.header('Content-Length') == str(len(TEXT))
    assert head.header('ETag') == body.header('ETag')
    assert body.body == TEXT


def test_only_get_and_head_are_answered(site):
    response = get(site, '/static/hello.txt', method='POST', data=b'x')
    assert response.status_code == 405
    assert response.headers['Allow'] == 'GET, HEAD'


def test_query_string_is_not_part_of_the_file_name(site):
    assert get(site, '/static/hello.txt?v=2').content == TEXT


def test_non_ascii_file_name(site):
    response = get(site, u'/static/caf\xe9.txt')
    assert response.status_code == 200
    assert response.content == u'caf\xe9'.encode('utf-8')


def test_raw_utf8_and_non_utf8_bytes_in_the_path(site):
    def send(target):
        with RawConnection(raw_connect(site)) as conn:
            conn.send(b'GET ' + target + b' HTTP/1.1\r\nHost: x\r\n'
                      b'Connection: close\r\n\r\n')
            return conn.read_response()
    assert send(b'/static/caf\xc3\xa9.txt').status == 200
    bad = send(b'/static/%ff.txt')
    assert bad.status == 400 and b'UTF-8' in bad.body
    assert send(b'/static/\xff.txt').status == 404
    missing = send(b'/static/\xc3\xa9/../x')
    assert missing.status == 404


@pytest.mark.skipif(not hasattr(os, 'mkfifo'), reason='no FIFOs here')
def test_a_fifo_is_not_opened(site, root):
    os.mkfifo(os.path.join(root, 'pipe.txt'))
    assert get(site, '/static/pipe.txt').status_code == 404


def test_missing_file_is_404(site):
    response = get(site, '/static/missing.txt')
    assert response.status_code == 404
    assert 'missing.txt' in response.text


# -- directories -------------------------------------------------------------
def test_directory_answers_with_its_index(site, root):
    response = get(site, '/static/docs/')
    assert response.content == b'<h1>docs</h1>'
    assert site.history[-1]['file'] == os.path.join(root, 'docs',
                                                    'index.html')


def test_directory_without_slash_redirects_keeping_the_query(site):
    response = get(site, '/static/docs?x=1', allow_redirects=False)
    assert response.status_code == 301
    assert response.headers['Location'] == '/static/docs/?x=1'


def test_mount_root_without_slash_redirects(site):
    response = get(site, '/static', allow_redirects=False)
    assert response.headers['Location'] == '/static/'


def test_listing_is_off_by_default(site):
    response = get(site, '/static/empty/')
    assert response.status_code == 404
    assert 'listing=True' in response.text


def test_listing_escapes_names_and_hides_sidecars(root):
    with Server().start() as server:
        serve_directory(server, '/', root, listing=True)
        top = get(server, '/')
        sub = get(server, '/empty/')
    assert top.status_code == 200
    assert top.headers['Content-Type'] == 'text/html; charset=utf-8'
    assert '<a href="hello.txt">hello.txt</a>' in top.text
    assert '<a href="docs/">docs/</a>' in top.text
    assert '.headers' not in top.text
    assert 'outside-link' not in top.text
    assert '<a href="../">' not in top.text
    assert '&lt;b&gt;&amp;amp;.txt' in sub.text
    assert '<b>' not in sub.text
    assert 'href="%3Cb%3E%26amp%3B.txt"' in sub.text
    assert '<a href="../">' in sub.text


# -- conditional requests ----------------------------------------------------
def test_if_none_match_with_the_etag_is_304(site):
    etag = get(site, '/static/hello.txt').headers['ETag']
    for value in (etag, 'W/' + etag, '"other", ' + etag, '*'):
        response = get(site, '/static/hello.txt',
                       headers={'If-None-Match': value})
        assert response.status_code == 304, value
        assert response.content == b''
        assert response.headers['ETag'] == etag


def test_304_keeps_validators_and_sidecar_cache_headers_only(site):
    etag = get(site, '/static/image.png').headers['ETag']
    response = get(site, '/static/image.png',
                   headers={'If-None-Match': etag})
    assert response.status_code == 304
    assert response.headers['Cache-Control'] == 'max-age=60'
    assert response.headers['Last-Modified']
    assert 'Content-Type' not in response.headers
    assert 'Content-Length' not in response.headers


def test_if_none_match_with_another_etag_is_200_even_if_not_modified(site):
    response = get(site, '/static/hello.txt', headers={
        'If-None-Match': '"other"',
        'If-Modified-Since': email.utils.formatdate(MTIME + 60,
                                                    usegmt=True)})
    assert response.status_code == 200 and response.content == TEXT


@pytest.mark.parametrize('offset, status', [(0, 304), (60, 304), (-1, 200)])
def test_if_modified_since(site, offset, status):
    response = get(site, '/static/hello.txt', headers={
        'If-Modified-Since': email.utils.formatdate(MTIME + offset,
                                                    usegmt=True)})
    assert response.status_code == status


def test_unreadable_if_modified_since_is_ignored(site):
    response = get(site, '/static/hello.txt',
                   headers={'If-Modified-Since': 'yesterday'})
    assert response.status_code == 200


def test_if_match_with_another_etag_is_412(site):
    response = get(site, '/static/hello.txt', headers={'If-Match': '"x"'})
    assert response.status_code == 412
    assert 'ETag' in response.headers


def test_browser_style_revalidation(site, root):
    """First visit, a revalidation that costs no body, then a change."""
    url = '/static/hello.txt'
    first = get(site, url)
    assert first.status_code == 200
    validators = {'If-None-Match': first.headers['ETag'],
                  'If-Modified-Since': first.headers['Last-Modified']}
    again = get(site, url, headers=validators)
    assert again.status_code == 304 and again.content == b''
    write(os.path.join(root, 'hello.txt'), b'changed!\n', mtime=MTIME + 3600)
    changed = get(site, url, headers=validators)
    assert changed.status_code == 200
    assert changed.content == b'changed!\n'
    assert changed.headers['ETag'] != first.headers['ETag']
    assert [e['response_status'] for e in site.history] == [200, 304, 200]


# -- ranges ------------------------------------------------------------------
@pytest.mark.parametrize('value, content_range, body', [
    ('bytes=0-4', 'bytes 0-4/20', TEXT[:5]),
    ('bytes=7-', 'bytes 7-19/20', TEXT[7:]),
    ('bytes=-3', 'bytes 17-19/20', TEXT[-3:]),
    ('bytes=15-999', 'bytes 15-19/20', TEXT[15:]),
    ('bytes=-999', 'bytes 0-19/20', TEXT),
])
def test_single_range_is_206(site, value, content_range, body):
    response = get(site, '/static/hello.txt', headers={'Range': value})
    assert response.status_code == 206
    assert response.headers['Content-Range'] == content_range
    assert response.headers['Content-Length'] == str(len(body))
    assert response.content == body


@pytest.mark.parametrize('value', ['bytes=20-', 'bytes=100-200', 'bytes=-0'])
def test_unsatisfiable_range_is_416_with_the_size(site, value):
    response = get(site, '/static/hello.txt', headers={'Range': value})
    assert response.status_code == 416
    assert response.headers['Content-Range'] == 'bytes */20'


@pytest.mark.parametrize('value', ['bytes=0-1,5-6', 'bytes=5-2', 'lines=1-2',
                                   'bytes=x-y', 'bytes=-'])
def test_several_or_malformed_ranges_get_the_whole_file(site, value):
    response = get(site, '/static/hello.txt', headers={'Range': value})
    assert response.status_code == 200 and response.content == TEXT


def test_head_ignores_range(site):
    response = get(site, '/static/hello.txt', method='HEAD',
                   headers={'Range': 'bytes=0-4'})
    assert response.status_code == 200
    assert response.headers['Content-Length'] == str(len(TEXT))


def test_if_range_with_the_current_etag_or_date_gives_the_range(site):
    first = get(site, '/static/hello.txt')
    for validator in (first.headers['ETag'], first.headers['Last-Modified']):
        response = get(site, '/static/hello.txt', headers={
            'Range': 'bytes=0-4', 'If-Range': validator})
        assert response.status_code == 206, validator
        assert response.content == TEXT[:5]


@pytest.mark.parametrize('validator', [
    '"stale"', 'W/"weak-never-matches"',
    email.utils.formatdate(MTIME - 60, usegmt=True), 'not a date'])
def test_if_range_that_does_not_match_gives_the_whole_file(site, validator):
    response = get(site, '/static/hello.txt', headers={
        'Range': 'bytes=0-4', 'If-Range': validator})
    assert response.status_code == 200 and response.content == TEXT


# -- precompressed -----------------------------------------------------------
def test_gzip_sibling_is_served_to_clients_that_accept_it(site, root):
    response = get(site, '/static/style.css',
                   headers={'Accept-Encoding': 'gzip, deflate'}, stream=True)
    try:
        raw_bytes = response.raw.read(1000, decode_content=False)
    finally:
        response.close()
    assert response.headers['Content-Encoding'] == 'gzip'
    assert response.headers['Vary'] == 'Accept-Encoding'
    assert response.headers['Content-Type'] == 'text/css; charset=utf-8'
    assert raw_bytes == gzipped(CSS)
    assert site.history[-1]['file'] == os.path.join(root, 'style.css.gz')
    # requests decodes it transparently:
    assert get(site, '/static/style.css').content == CSS


@pytest.mark.parametrize('accept', [None, 'identity', 'gzip;q=0', 'br',
                                    '*;q=0'])
def test_identity_is_served_when_gzip_is_not_accepted(site, accept):
    response = get(site, '/static/style.css',
                   headers={'Accept-Encoding': accept})
    assert 'Content-Encoding' not in response.headers
    assert response.content == CSS
    assert response.headers['Vary'] == 'Accept-Encoding'


def test_gzip_and_identity_have_different_etags(site):
    plain = get(site, '/static/style.css',
                headers={'Accept-Encoding': 'identity'})
    packed = get(site, '/static/style.css',
                 headers={'Accept-Encoding': 'gzip'})
    assert plain.headers['ETag'] != packed.headers['ETag']


@pytest.mark.parametrize('headers, status', [
    ({'Range': 'bytes=999-'}, 416), ({'If-Match': '"old"'}, 412)])
def test_plain_text_errors_are_not_labelled_gzip(site, headers, status):
    headers['Accept-Encoding'] = 'gzip'
    response = get(site, '/static/style.css', headers=headers)
    assert response.status_code == status
    assert 'Content-Encoding' not in response.headers
    assert response.headers['Content-Type'] == 'text/plain; charset=utf-8'


def test_gzip_option_off_serves_identity(root):
    with Server().start() as server:
        serve_directory(server, '/', root, gzip=False)
        response = get(server, '/style.css',
                       headers={'Accept-Encoding': 'gzip'})
    assert 'Content-Encoding' not in response.headers
    assert 'Vary' not in response.headers


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


def test_sidecar_file_itself_is_never_served(site):
    for path in ('/static/feed.xml.headers', '/static/gone.html.headers'):
        assert get(site, path).status_code == 404


def test_sidecars_off_serves_them_as_files(root):
    with Server().start() as server:
        serve_directory(server, '/', root, sidecar=None)
        assert get(server, '/feed.xml.headers').status_code == 200
        assert 'X-Fixture' not in get(server, '/feed.xml').headers


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


# -- mounts and routes -------------------------------------------------------
def test_routes_win_over_mounts_whenever_added_and_mounts_combine(
        root, tmp_path):
    other = tmp_path / 'other'
    other.mkdir()
    write(other / 'hello.txt', b'other\n')
    with Server().start() as server:
        server.route('/static/hello.txt', body=b'from a route')
        serve_directory(server, '/static', root)
        serve_directory(server, '/other', str(other))
        server.route('/static/style.css', body=b'added later, still first')
        server.route('/staticky', status=404)
        assert get(server, '/static/hello.txt').content == b'from a route'
        assert get(server, '/static/style.css').content == \
            b'added later, still first'
        assert get(server, '/other/hello.txt').content == b'other\n'
        assert get(server, '/static/docs/').content == b'<h1>docs</h1>'
        assert get(server, '/staticky').status_code == 404  # not a mount


def test_a_directory_given_to_the_server_survives_reset(root):
    with Server(directory=root).start() as server:
        server.route('/hello.txt', body=b'a route')
        assert get(server, '/hello.txt').content == b'a route'
        server.reset()
        assert get(server, '/style.css').content == CSS
        assert get(server, '/hello.txt').status_code == 200
        assert server.history[-1]['file'].endswith('hello.txt')


def test_server_serve_directory_is_the_one_line_form(root):
    with Server().start() as server:
        server.serve_directory('/static', root)
        assert get(server, '/static/style.css').content == CSS
        server.reset()  # a mount made by a test goes with its routes
        server.route('/static/style.css', status=410)
        assert get(server, '/static/style.css').status_code == 410


# -- safety ------------------------------------------------------------------
TRAVERSALS = [
    ('/static/../secret.txt', 404),
    ('/static/docs/../../secret.txt', 404),
    ('/static/%2e%2e/secret.txt', 404),
    ('/static/%2e%2e%2fsecret.txt', 404),
    ('/static/..%2Fsecret.txt', 404),
    ('/static/%252e%252e%252fsecret.txt', 404),   # double encoding
    ('/static/..\\secret.txt', 404),
    ('/static/%5c..%5csecret.txt', 404),
    ('/static/..%5csecret.txt', 404),
    ('/static//etc/passwd', 404),                  # absolute paths
    ('/static/%2fetc%2fpasswd', 404),
    ('/static/{secret}', 404),                     # the secret's own path
    ('/static/hello.txt%00.png', 400),             # NUL
    ('/static/%00', 400),
    ('/static/%c0%ae%c0%ae/secret.txt', 400),      # overlong UTF-8
    ('/static/outside-link', 404),                 # symlinks out
    ('/static/outside-dir/secret.txt', 404),
    ('http://localhost/static/../secret.txt', 404),  # absolute-form target
]


@pytest.mark.parametrize('target, status', TRAVERSALS,
                         ids=[t for t, _ in TRAVERSALS])
def test_nothing_outside_the_mount_is_served(site, root, target, status):
    if 'outside' in target and not hasattr(os, 'symlink'):
        pytest.skip('no symlinks here')
    secret = os.path.join(os.path.dirname(root), 'secret.txt')
    target = target.replace('{secret}', secret.replace('/', '%2f'))
    response = raw(site, target)
    assert response.status == status
    assert SECRET not in response.body
    assert site.history[-1]['file'] is None


def test_the_traversal_fixture_serves_what_is_inside(site):
    """The control for the test above: the same tree does serve files."""
    assert raw(site, '/static/hello.txt').body == TEXT
    assert raw(site, '/static/docs/../hello.txt').status == 404
    assert raw(site, '/static/./hello.txt').body == TEXT


def test_the_path_is_percent_decoded_exactly_once(site, root):
    write(os.path.join(root, '%41.txt'), b'literal percent')
    write(os.path.join(root, 'A.txt'), b'decoded twice')
    assert raw(site, '/static/%2541.txt').body == b'literal percent'
    assert raw(site, '/static/%41.txt').body == b'decoded twice'


@pytest.mark.skipif(not hasattr(os, 'symlink'), reason='no symlinks here')
def test_symlinks_inside_the_mount_are_served(site):
    assert get(site, '/static/inside-link').content == TEXT


@pytest.mark.skipif(not hasattr(os, 'symlink'), reason='no symlinks here')
def test_follow_symlinks_serves_links_out_when_asked(root):
    with Server().start() as server:
        serve_directory(server, '/', root, follow_symlinks=True)
        assert get(server, '/outside-link').content == SECRET
        assert get(server, '/outside-dir/secret.txt').content == SECRET


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


# -- curl --------------------------------------------------------------------
CURL = which('curl')
needs_curl = pytest.mark.skipif(CURL is None, reason='curl is not installed')


def curl(*args):
    command = [CURL, '--silent', '--show-error', '--max-time',
               str(TIMEOUT)] + list(args)
    return subprocess.check_output(command, stderr=subprocess.STDOUT)


@needs_curl
def test_curl_range(site):
    output = curl('-r', '0-4', '-w', '\n%{http_code}',
                  site.url('/static/hello.txt'))
    assert output == TEXT[:5] + b'\n206'


@needs_curl
def test_curl_time_condition(site, root):
    path = os.path.join(root, 'hello.txt')
    # -z FILE: If-Modified-Since the file's own time
    output = curl('-z', path, '-w', '%{http_code}',
                  site.url('/static/hello.txt'))
    assert output == b'304'
    since = site.history[-1]['headers']['If-Modified-Since']
    assert since == email.utils.formatdate(MTIME, usegmt=True)
    older = email.utils.formatdate(MTIME - 3600, usegmt=True)
    output = curl('-z', older, site.url('/static/hello.txt'))
    assert output == TEXT


@needs_curl
def test_curl_compressed(site):
    output = curl('--compressed', '-D', '-', site.url('/static/style.css'))
    head, _, body = output.partition(b'\r\n\r\n')
    assert b'Content-Encoding: gzip' in head
    assert body == CSS
    assert 'gzip' in site.history[-1]['headers']['Accept-Encoding']
