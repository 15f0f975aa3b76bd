# -*- coding: utf-8 -*-
"""Conditional and range requests on static files
(``static/conditional.py``): the preconditions (304, 412), single byte
ranges (206, 416) with ``If-Range``, and whether ``Accept-Encoding`` takes
the gzip sibling -- by real clients and curl over real sockets.
"""
import email.utils
import os
import subprocess

import pytest

from conftest import TIMEOUT, which
from _static_site import CSS, MTIME, TEXT, get, gzipped, write


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


HUGE = '9' * 5000  # over Python 3.11's int() digit limit (4300)


@pytest.mark.parametrize('value, status', [
    ('bytes=0-' + HUGE, 206),
    ('bytes=-' + HUGE, 206),
    ('bytes=' + HUGE + '-', 416),
    ('bytes=' + HUGE + '-' + HUGE + '9', 416),
    ('bytes=' + '0' * 5000 + '1-', 206),
], ids=['huge-last', 'huge-suffix', 'huge-first', 'huge-both', 'zeros'])
def test_huge_range_numbers_are_416_or_the_file_never_500(site, value,
                                                          status):
    response = get(site, '/static/hello.txt', headers={'Range': value})
    assert response.status_code == status
    if status == 206:
        assert response.content == TEXT[-len(response.content):]
        assert response.headers['Content-Range'].endswith('-19/20')
    else:
        assert response.headers['Content-Range'] == 'bytes */20'


@pytest.mark.parametrize('name, value', [
    ('If-Modified-Since', 'Mon, 01 Jan %s 00:00:00 GMT' % HUGE),
    ('If-Unmodified-Since', 'Mon, %s Jan 2024 00:00:00 GMT' % HUGE),
    ('If-Modified-Since', 'Mon, 01 Jan 2024 00:00:00 +%s' % HUGE),
    ('If-Range', 'Mon, 01 Jan 2024 %s:00:00 GMT' % HUGE),
])
def test_huge_numbers_in_dates_are_ignored(site, name, value):
    headers = {name: value}
    if name == 'If-Range':
        headers['Range'] = 'bytes=0-4'
    response = get(site, '/static/hello.txt', headers=headers)
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
