# -*- coding: utf-8 -*-
"""Static mounts (``static/mounts.py``): what a URL under a mount answers,
to real clients over real sockets -- setting up, methods, paths,
directories, which files and sidecars are served, mounts beside routes, and
the rule that nothing outside the mount is ever served.
"""
import os

import pytest

from httptestserver import ConfigurationError, Server
from httptestserver.static.mounts import Mount, serve_directory

from conftest import raw_connect
from rawhttp import RawConnection, request as raw_request
from _static_site import CSS, SECRET, TEXT, get, write


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


# -- the answer --------------------------------------------------------------
def test_history_records_the_file_used(site, root):
    get(site, '/static/hello.txt')
    get(site, '/static/nothing-here.txt')
    served, missing = site.history
    assert served['file'] == os.path.join(root, 'hello.txt')
    assert served['response_status'] == 200
    assert missing['file'] is None and missing['response_status'] == 404


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


@pytest.mark.parametrize('target', ['//evil.example', '///evil.example',
                                    '/%2Fevil.example', '/./evil.example'])
def test_a_double_slash_never_redirects_to_another_host(root, target):
    """CVE-2021-28861 in http.server: ``Location: //evil.example/`` is a
    URL on another host.  The redirect is rebuilt from the path segments."""
    os.mkdir(os.path.join(root, 'evil.example'))
    with Server().start() as server:
        serve_directory(server, '/', root)
        response = raw(server, target)
    assert response.status == 301
    assert response.header('Location') == '/evil.example/'


def test_a_redirect_keeps_odd_characters_percent_encoded(root):
    os.mkdir(os.path.join(root, u'a b\xe9'))
    with Server().start() as server:
        serve_directory(server, '/s', root)
        response = raw(server, '/s//a%20b%C3%A9?q=1')
    assert response.header('Location') == '/s/a%20b%C3%A9/?q=1'


@pytest.mark.parametrize('target', ['/static/hello.txt/',
                                    '/static/hello.txt/.',
                                    '/static/hello.txt%2F',
                                    '/static/docs/index.html/'])
def test_a_file_asked_for_as_a_directory_is_404(site, target):
    response = raw(site, target)
    assert response.status == 404
    assert TEXT not in response.body
    assert site.history[-1]['file'] is None


def test_listing_is_off_by_default(site):
    response = get(site, '/static/empty/')
    assert response.status_code == 404
    assert 'listing=True' in response.text


# -- precompressed -----------------------------------------------------------
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


# -- sidecar files -----------------------------------------------------------
def test_sidecar_file_itself_is_never_served(site):
    for path in ('/static/feed.xml.headers', '/static/gone.html.headers'):
        assert get(site, path).status_code == 404


def test_sidecars_off_serves_them_as_files(root):
    with Server().start() as server:
        serve_directory(server, '/', root, sidecar=None)
        assert get(server, '/feed.xml.headers').status_code == 200
        assert 'X-Fixture' not in get(server, '/feed.xml').headers


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


OUTSIDE_HEADERS = b'X-Leaked: from a file outside the mount\n'


@pytest.mark.skipif(not hasattr(os, 'symlink'), reason='no symlinks here')
@pytest.mark.parametrize('link, target, headers', [
    ('b.txt.headers', '/static/b.txt', {}),
    ('b.txt.gz', '/static/b.txt', {'Accept-Encoding': 'gzip'}),
    ('sub/index.html', '/static/sub/', {}),
], ids=['sidecar', 'gzip-variant', 'index'])
def test_no_companion_file_is_read_through_a_symlink_out(site, root, link,
                                                         target, headers):
    """Sidecars, ``.gz`` variants and index files pass the check the served
    file passes: their real path is inside the mount."""
    outside = write(os.path.join(os.path.dirname(root), 'outside'),
                    OUTSIDE_HEADERS)
    write(os.path.join(root, 'b.txt'), TEXT)
    os.mkdir(os.path.join(root, 'sub'))
    os.symlink(outside, os.path.join(root, link))
    response = raw(site, target, headers=headers.items())
    assert not response.has_header('X-Leaked')
    assert OUTSIDE_HEADERS not in response.body
    assert b'outside the mount' not in response.body
    if link.endswith('.headers'):
        assert response.status == 404
        assert b'b.txt.headers' in response.body
        assert b'follow_symlinks=True' in response.body
    elif link.endswith('.gz'):
        assert response.status == 200 and response.body == TEXT
        assert not response.has_header('Content-Encoding')
    else:
        assert response.status == 404


@pytest.mark.skipif(not hasattr(os, 'symlink'), reason='no symlinks here')
def test_follow_symlinks_reads_a_sidecar_linked_out_too(root):
    outside = write(os.path.join(os.path.dirname(root), 'outside'),
                    OUTSIDE_HEADERS)
    write(os.path.join(root, 'b.txt'), TEXT)
    os.symlink(outside, os.path.join(root, 'b.txt.headers'))
    with Server().start() as server:
        serve_directory(server, '/', root, follow_symlinks=True)
        response = get(server, '/b.txt')
    assert response.headers['X-Leaked'] == \
        'from a file outside the mount'


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
