# -*- coding: utf-8 -*-
"""Tests for httptestserver.protocol.parts: target, cookies and body into fields."""

import json
import random

import pytest
import six
from six.moves import http_cookies

from httptestserver.protocol.parts import (
    MAX_MULTIPART_PARTS, parse_content_type, parse_fields)


def native(text):
    """Return text as the native str the parser gives on this interpreter."""
    if six.PY2:  # Python 2: native str is UTF-8 encoded bytes
        return text.encode('utf-8')
    return text


def received(raw):
    """Return raw target or header bytes as http.server hands them over."""
    if six.PY2:  # Python 2: http.server keeps the bytes
        return raw
    return raw.decode('latin-1')


def parse(target='/', content_type=None, cookies=(), body=b''):
    return parse_fields(target, content_type, list(cookies), body)


def multipart(*parts, **kwargs):
    """Build a CRLF multipart body from (header lines, content) pairs."""
    boundary = kwargs.get('boundary', b'BOUNDARY')
    chunks = []
    for headers, content in parts:
        chunks.append(b'--' + boundary + b'\r\n')
        for header in headers:
            chunks.append(header + b'\r\n')
        chunks.append(b'\r\n' + content + b'\r\n')
    chunks.append(b'--' + boundary + b'--\r\n')
    return b''.join(chunks)


MULTIPART = 'multipart/form-data; boundary=BOUNDARY'


# -- the result -------------------------------------------------------------

def test_result_has_exactly_the_documented_keys():
    assert sorted(parse()) == [
        'cookies', 'files', 'form', 'json', 'json_error', 'query',
        'query_string', 'url_path']


def test_plain_get_gives_empty_fields():
    assert parse('/index.html') == {
        'url_path': '/index.html',
        'query_string': '',
        'query': {},
        'cookies': {},
        'form': {},
        'files': {},
        'json': None,
        'json_error': None,
    }


def test_every_text_value_is_a_native_str():
    body = multipart(
        ([b'Content-Disposition: form-data; name="t"'], b'\xc3\xa9'),
        ([b'Content-Disposition: form-data; name="f"; filename="\xc3\xa9"'],
         b'x'),
    )
    fields = parse(received(b'/p\xc3\xa9'), MULTIPART,
                   [received(b'c=\xc3\xa9')], body)
    entry = fields['files']['f'][0]
    values = [fields['url_path'], fields['cookies']['c'],
              fields['form']['t'][0],
              entry['name'], entry['filename'], entry['content_type']]
    assert all(type(value) is str for value in values)
    assert type(entry['content']) is bytes


# -- target -----------------------------------------------------------------

def test_path_and_query_string_split_at_the_first_question_mark():
    fields = parse('/a/b?x=1&y=?')
    assert fields['url_path'] == '/a/b'
    assert fields['query_string'] == 'x=1&y=?'


def test_target_without_query_has_empty_query_string_and_query():
    fields = parse('/a/b')
    assert (fields['query_string'], fields['query']) == ('', {})


def test_url_path_is_not_percent_decoded():
    assert parse('/a%20b/c%2Fd?x=1')['url_path'] == '/a%20b/c%2Fd'


def test_repeated_query_names_keep_every_value():
    assert parse('/?a=1&b=x&a=2&a=3')['query'] == {
        'a': ['1', '2', '3'], 'b': ['x']}


def test_blank_query_values_are_kept():
    assert parse('/?a=1&a=2&b=&c')['query'] == {
        'a': ['1', '2'], 'b': [''], 'c': ['']}


def test_empty_query_pieces_are_skipped():
    assert parse('/?&a=1&&b=2&')['query'] == {'a': ['1'], 'b': ['2']}


def test_query_values_are_percent_decoded_with_plus_as_space():
    query = parse('/?q=a+b%20c%2Bd&%C3%A9t%C3%A9=%E2%82%AC')['query']
    assert query == {'q': ['a b c+d'],
                     native(u'\xe9t\xe9'): [native(u'\u20ac')]}


def test_query_splits_on_ampersand_only_not_semicolon():
    assert parse('/?a=1;b=2&c=3')['query'] == {'a': ['1;b=2'], 'c': ['3']}


def test_query_bytes_that_are_not_utf8_are_replaced():
    assert parse('/?q=%FF')['query'] == {'q': [native(u'\ufffd')]}


def test_bad_percent_escapes_are_kept_as_they_are():
    assert parse('/?q=100%&r=%zz')['query'] == {'q': ['100%'], 'r': ['%zz']}


def test_raw_utf8_bytes_in_target_are_read_as_utf8():
    fields = parse(received(b'/caf\xc3\xa9?q=\xc3\xa9'))
    assert fields['url_path'] == native(u'/caf\xe9')
    assert fields['query_string'] == native(u'q=\xe9')
    assert fields['query'] == {'q': [native(u'\xe9')]}


def test_raw_bytes_that_are_not_utf8_in_target_are_read_as_latin1():
    assert parse(received(b'/caf\xe9'))['url_path'] == native(u'/caf\xe9')


def test_absolute_form_target_gives_path_and_query():
    fields = parse('http://example.com:8080/a/b?x=1&x=2')
    assert fields['url_path'] == '/a/b'
    assert fields['query_string'] == 'x=1&x=2'
    assert fields['query'] == {'x': ['1', '2']}


def test_absolute_form_target_with_empty_path_has_root_path():
    fields = parse('https://example.com?x=1')
    assert (fields['url_path'], fields['query']) == ('/', {'x': ['1']})
    assert parse('http://example.com')['url_path'] == '/'


def test_asterisk_target_is_its_own_path():
    fields = parse('*')
    assert (fields['url_path'], fields['query_string']) == ('*', '')


def test_authority_form_target_is_its_own_path():
    assert parse('example.com:443')['url_path'] == 'example.com:443'


# -- cookies ----------------------------------------------------------------

def test_cookies_from_one_header_are_split_on_semicolons():
    assert parse(cookies=['a=1; b=2;c=3'])['cookies'] == {
        'a': '1', 'b': '2', 'c': '3'}


def test_cookies_from_several_headers_are_merged():
    assert parse(cookies=['a=1; b=2', 'c=3'])['cookies'] == {
        'a': '1', 'b': '2', 'c': '3'}


def test_later_duplicate_cookie_name_wins():
    assert parse(cookies=['a=1; a=2', 'b=1', 'b=3'])['cookies'] == {
        'a': '2', 'b': '3'}


def test_quoted_cookie_values_are_unquoted():
    assert parse(cookies=['a="x y"; b=""; c="q\\"uote"'])['cookies'] == {
        'a': 'x y', 'b': '', 'c': 'q"uote'}


def test_cookie_values_quoted_by_http_cookies_round_trip():
    value = 'semi;colon, comma "quoted" back\\slash'
    jar = http_cookies.SimpleCookie()
    jar['c'] = value
    header = jar['c'].OutputString()
    assert header.startswith('c="')
    assert parse(cookies=[header])['cookies'] == {'c': value}


def test_cookie_value_may_contain_equals_signs():
    assert parse(cookies=['token=a=b=='])['cookies'] == {'token': 'a=b=='}


@pytest.mark.parametrize('header', [
    'noequals', '=nameless', ';;', ' ; ', '', '"', 'a', '=',
])
def test_malformed_cookie_pieces_are_skipped(header):
    assert parse(cookies=[header + '; ok=1'])['cookies'] == {'ok': '1'}


def test_unbalanced_cookie_quote_is_kept_as_sent():
    assert parse(cookies=['a="x; b=y"'])['cookies'] == {'a': '"x', 'b': 'y"'}


def test_raw_utf8_cookie_value_is_read_as_utf8():
    cookies = parse(cookies=[received(b'name=caf\xc3\xa9')])['cookies']
    assert cookies == {'name': native(u'caf\xe9')}


# -- parse_content_type -----------------------------------------------------

def test_content_type_is_lowercased_and_stripped():
    assert parse_content_type('  Text/HTML ') == ('text/html', {})


def test_content_type_parameters_have_lowercased_names_and_kept_values():
    value = 'text/plain; Charset=UTF-8 ;format="Flowed"'
    assert parse_content_type(value) == (
        'text/plain', {'charset': 'UTF-8', 'format': 'Flowed'})


def test_quoted_content_type_parameter_may_hold_semicolons_and_quotes():
    assert parse_content_type(
        'multipart/form-data; boundary="a;b \\"c\\""; x=1') == (
        'multipart/form-data', {'boundary': 'a;b "c"', 'x': '1'})


def test_extended_parameter_is_decoded_and_wins():
    assert parse_content_type(
        "attachment; title*=UTF-8''%E2%82%AC%20rates; title=EUR") == (
        'attachment', {'title': native(u'\u20ac rates')})


@pytest.mark.parametrize('value', [None, ''])
def test_missing_content_type_is_empty(value):
    assert parse_content_type(value) == ('', {})


@pytest.mark.parametrize('value', [
    ';', ';;=;', 'a/b; =x', 'a/b; x="unterminated', "a/b; x*=bad", 'a/b; x',
])
def test_malformed_content_type_does_not_raise(value):
    mime_type, params = parse_content_type(value)
    assert isinstance(params, dict)


# -- urlencoded forms -------------------------------------------------------

FORM = 'application/x-www-form-urlencoded'


def test_urlencoded_form_keeps_repeated_names_and_blank_values():
    fields = parse(content_type=FORM, body=b'a=1&a=2&b=&c')
    assert fields['form'] == {'a': ['1', '2'], 'b': [''], 'c': ['']}


def test_urlencoded_form_is_percent_decoded_with_plus_as_space():
    fields = parse(content_type=FORM, body=b'q=a+b%26c&%E2%82%AC=1')
    assert fields['form'] == {'q': ['a b&c'], native(u'\u20ac'): ['1']}


def test_urlencoded_form_is_decoded_with_its_charset_parameter():
    fields = parse(content_type=FORM + '; charset=ISO-8859-1',
                   body=b'name=Ren%E9&city=K%F6ln')
    assert fields['form'] == {'name': [native(u'Ren\xe9')],
                              'city': [native(u'K\xf6ln')]}


@pytest.mark.parametrize('charset', [
    'no-such-charset', 'hex', 'rot13', 'idna'])
def test_urlencoded_form_with_unusable_charset_is_read_as_utf8(charset):
    fields = parse(content_type=FORM + '; charset=' + charset,
                   body=b'q=%C3%A9')
    assert fields['form'] == {'q': [native(u'\xe9')]}


def test_urlencoded_form_bytes_that_do_not_decode_are_replaced():
    fields = parse(content_type=FORM, body=b'q=%FF%FE')
    assert fields['form'] == {'q': [native(u'\ufffd\ufffd')]}


def test_content_type_matching_ignores_case_parameters_and_whitespace():
    fields = parse(content_type=' Application/X-WWW-Form-URLEncoded ; x=1',
                   body=b'a=1')
    assert fields['form'] == {'a': ['1']}


def test_form_is_empty_for_other_content_types():
    fields = parse(content_type='text/plain', body=b'a=1')
    assert (fields['form'], fields['files']) == ({}, {})


def test_urlencoded_form_leaves_json_and_files_empty():
    fields = parse(content_type=FORM, body=b'{"a": 1}')
    assert (fields['json'], fields['json_error'], fields['files']) == (
        None, None, {})


# -- multipart forms --------------------------------------------------------

ALL_BYTES = bytes(bytearray(range(256)))


def test_multipart_text_fields_and_two_files_under_one_name():
    body = multipart(
        ([b'Content-Disposition: form-data; name="title"'], b'Holiday'),
        ([b'Content-Disposition: form-data; name="tag"'], b'sea'),
        ([b'Content-Disposition: form-data; name="tag"'], b'sun'),
        ([b'Content-Disposition: form-data; name="photo"; filename="a.png"',
          b'Content-Type: image/png'], b'\x89PNG\r\n\x1a\n'),
        ([b'Content-Disposition: form-data; name="photo"; filename="b.txt"',
          b'Content-Type: text/plain; charset=utf-8'], b'two\r\nlines'),
    )
    fields = parse(content_type=MULTIPART, body=body)
    assert fields['form'] == {'title': ['Holiday'], 'tag': ['sea', 'sun']}
    assert fields['files'] == {'photo': [
        {'name': 'photo', 'filename': 'a.png', 'content_type': 'image/png',
         'content': b'\x89PNG\r\n\x1a\n'},
        {'name': 'photo', 'filename': 'b.txt',
         'content_type': 'text/plain; charset=utf-8',
         'content': b'two\r\nlines'},
    ]}


@pytest.mark.parametrize('content', [
    ALL_BYTES,
    b'\r\n',
    b'\r\n\r\n',
    b'\n--BOUNDARY\n',
    b'\r\n--BOUNDARYX\r\n',
    b'\r\n--BOUNDARY-\r\n',
    b'inside a line --BOUNDARY\r\nContent-Disposition: form-data; name="x"',
    b'ends with a CR\r',
    b'',
])
def test_multipart_file_content_is_kept_byte_for_byte(content):
    body = multipart(
        ([b'Content-Disposition: form-data; name="f"; filename="f.bin"'],
         content),
        ([b'Content-Disposition: form-data; name="after"'], b'ok'),
    )
    fields = parse(content_type=MULTIPART, body=body)
    assert fields['files']['f'][0]['content'] == content
    assert fields['form'] == {'after': ['ok']}


def test_multipart_boundary_may_be_quoted_or_not():
    body = multipart(([b'Content-Disposition: form-data; name="a"'], b'1'),
                     boundary=b'x:y=z')
    for content_type in ['multipart/form-data; boundary="x:y=z"',
                         'Multipart/Form-Data;boundary=x:y=z ']:
        assert parse(content_type=content_type, body=body)['form'] == {
            'a': ['1']}


def test_multipart_preamble_and_epilogue_are_ignored():
    body = (b'This is the preamble.\r\n' +
            multipart(([b'Content-Disposition: form-data; name="a"'], b'1')) +
            b'This is the epilogue.\r\n--BOUNDARY\r\n')
    assert parse(content_type=MULTIPART, body=body)['form'] == {'a': ['1']}


def test_multipart_with_bare_lf_line_breaks_is_understood():
    body = (b'--BOUNDARY\n'
            b'Content-Disposition: form-data; name="a"\n\n1\n'
            b'--BOUNDARY\n'
            b'Content-Disposition: form-data; name="f"; filename="x"\n'
            b'Content-Type: text/csv\n\na,b\nc,d\n'
            b'--BOUNDARY--\n')
    fields = parse(content_type=MULTIPART, body=body)
    assert fields['form'] == {'a': ['1']}
    assert fields['files']['f'][0]['content'] == b'a,b\nc,d'
    assert fields['files']['f'][0]['content_type'] == 'text/csv'


def test_multipart_boundary_line_may_carry_trailing_whitespace():
    body = (b'--BOUNDARY \t\r\n'
            b'Content-Disposition: form-data; name="a"\r\n\r\n1\r\n'
            b'--BOUNDARY--  \r\n')
    assert parse(content_type=MULTIPART, body=body)['form'] == {'a': ['1']}


def test_multipart_part_header_names_are_case_insensitive_and_may_fold():
    body = multipart(([b'content-disposition: form-data;',
                       b'\tname="folded"; filename="f.txt"',
                       b'CONTENT-TYPE: text/plain'], b'x'))
    entry = parse(content_type=MULTIPART, body=body)['files']['folded'][0]
    assert entry['filename'] == 'f.txt'
    assert entry['content_type'] == 'text/plain'


def test_multipart_missing_part_content_types_get_defaults():
    body = multipart(
        ([b'Content-Disposition: form-data; name="f"; filename="f"'], b'\xff'),
        ([b'Content-Disposition: form-data; name="t"'], b'caf\xc3\xa9'),
    )
    fields = parse(content_type=MULTIPART, body=body)
    content_type = fields['files']['f'][0]['content_type']
    assert content_type == 'application/octet-stream'
    assert fields['form'] == {'t': [native(u'caf\xe9')]}


def test_multipart_empty_filename_is_still_a_file():
    body = multipart(([b'Content-Disposition: form-data; name="f"; '
                       b'filename=""',
                       b'Content-Type: application/octet-stream'], b''))
    fields = parse(content_type=MULTIPART, body=body)
    assert fields['form'] == {}
    assert fields['files']['f'][0]['filename'] == ''


def test_multipart_quoted_filename_may_contain_escaped_quotes_and_semicolons():
    body = multipart(([b'Content-Disposition: form-data; name="f"; '
                       b'filename="say \\"hi\\"; bye.txt"'], b'x'))
    entry = parse(content_type=MULTIPART, body=body)['files']['f'][0]
    assert entry['filename'] == 'say "hi"; bye.txt'


def test_multipart_unquoted_name_and_filename_are_accepted():
    body = multipart(([b'Content-Disposition: form-data; name=f; '
                       b'filename=a.txt'], b'x'))
    assert parse(content_type=MULTIPART, body=body)['files']['f'][0][
        'filename'] == 'a.txt'


def test_multipart_windows_path_filename_keeps_its_backslashes():
    body = multipart(([b'Content-Disposition: form-data; name="f"; '
                       b'filename="C:\\Users\\me\\a.txt"'], b'x'))
    assert parse(content_type=MULTIPART, body=body)['files']['f'][0][
        'filename'] == 'C:\\Users\\me\\a.txt'


def test_multipart_whatwg_escapes_in_names_are_undone():
    body = multipart(([b'Content-Disposition: form-data; name="a%0D%0Ab"; '
                       b'filename="%22q%22 100%25.txt"'], b'x'))
    files = parse(content_type=MULTIPART, body=body)['files']
    assert files['a\r\nb'][0]['filename'] == '"q" 100%25.txt'


def test_multipart_filename_star_rfc5987_wins_over_filename():
    body = multipart(([b'Content-Disposition: form-data; name="f"; '
                       b'filename="EUR rates.txt"; '
                       b"filename*=UTF-8''%E2%82%AC%20rates.txt"], b'x'))
    entry = parse(content_type=MULTIPART, body=body)['files']['f'][0]
    assert entry['filename'] == native(u'\u20ac rates.txt')


def test_multipart_filename_star_alone_makes_a_file():
    body = multipart(([b'Content-Disposition: form-data; name="f"; '
                       b"filename*=iso-8859-1'en'caf%E9.txt"], b'x'))
    entry = parse(content_type=MULTIPART, body=body)['files']['f'][0]
    assert entry['filename'] == native(u'caf\xe9.txt')


def test_multipart_raw_utf8_filename_is_decoded():
    body = multipart(([b'Content-Disposition: form-data; name="f"; '
                       b'filename="\xe2\x82\xac.txt"'], b'x'))
    entry = parse(content_type=MULTIPART, body=body)['files']['f'][0]
    assert entry['filename'] == native(u'\u20ac.txt')


def test_multipart_field_is_decoded_with_the_part_charset():
    body = multipart(([b'Content-Disposition: form-data; name="a"',
                       b'Content-Type: text/plain; charset=iso-8859-1'],
                      b'caf\xe9'))
    fields = parse(content_type=MULTIPART + '; charset=utf-8', body=body)
    assert fields['form'] == {'a': [native(u'caf\xe9')]}


def test_multipart_field_is_decoded_with_the_request_charset():
    body = multipart(([b'Content-Disposition: form-data; name="caf\xe9"'],
                      b'caf\xe9'))
    fields = parse(content_type=MULTIPART + '; charset=latin-1', body=body)
    assert fields['form'] == {native(u'caf\xe9'): [native(u'caf\xe9')]}


def test_multipart_field_bytes_that_do_not_decode_are_replaced():
    body = multipart(([b'Content-Disposition: form-data; name="a"'], b'\xff!'))
    assert parse(content_type=MULTIPART, body=body)['form'] == {
        'a': [native(u'\ufffd!')]}


def test_multipart_part_without_name_or_disposition_is_skipped():
    body = multipart(
        ([b'Content-Disposition: form-data; filename="a.txt"'], b'no name'),
        ([b'Content-Type: text/plain'], b'no disposition'),
        ([], b'no headers'),
        ([b'Content-Disposition: form-data; name="ok"'], b'1'),
    )
    fields = parse(content_type=MULTIPART, body=body)
    assert (fields['form'], fields['files']) == ({'ok': ['1']}, {})


def test_multipart_part_without_blank_line_after_headers_is_skipped():
    body = (b'--BOUNDARY\r\nContent-Disposition: form-data; name="bad"\r\n'
            b'--BOUNDARY\r\nContent-Disposition: form-data; name="ok"\r\n\r\n1'
            b'\r\n--BOUNDARY--\r\n')
    assert parse(content_type=MULTIPART, body=body)['form'] == {'ok': ['1']}


def test_multipart_without_closing_boundary_keeps_the_complete_parts():
    body = multipart(([b'Content-Disposition: form-data; name="a"'], b'1'),
                     ([b'Content-Disposition: form-data; name="b"'], b'2'))
    cut = body[:body.index(b'\r\n--BOUNDARY--')]
    assert parse(content_type=MULTIPART, body=cut)['form'] == {'a': ['1']}


def test_multipart_ending_right_after_the_last_boundary_keeps_every_part():
    body = multipart(([b'Content-Disposition: form-data; name="a"'], b'1'))
    cut = body[:body.index(b'--\r\n', 12)]
    assert parse(content_type=MULTIPART, body=cut)['form'] == {'a': ['1']}


@pytest.mark.parametrize('body', [
    b'garbage',
    b'--BOUNDARY',
    b'--BOUNDARY--',
    b'--BOUNDARY\r\n',
    b'--BOUNDARY\r\n\r\n',
    b'--BOUNDARYX\r\nContent-Disposition: form-data; name="a"\r\n\r\n1',
    b'\r\n--BOUNDARY\r\n--BOUNDARY\r\n--BOUNDARY--',
    b'--BOUNDARY\r\n' * 3,
    b'--BOUNDARY\r\nContent-Disposition\r\n\r\n\r\n--BOUNDARY--',
    b'--BOUNDARY\r\nContent-Disposition: form-data; name="a\r\n\r\n\r\n'
    b'--BOUNDARY--',
    b'\x00\xff' * 100,
])
def test_malformed_multipart_does_not_raise(body):
    fields = parse(content_type=MULTIPART, body=body)
    assert isinstance(fields['form'], dict)
    assert isinstance(fields['files'], dict)


def test_every_truncation_of_a_multipart_body_parses_without_raising():
    body = multipart(
        ([b'Content-Disposition: form-data; name="a"'], b'1'),
        ([b'Content-Disposition: form-data; name="f"; filename="f"',
          b'Content-Type: text/plain'], b'data\r\n--BOUNDARY-ish\r\n'),
        ([b'Content-Disposition: form-data; name="b"'], b'2'),
    )
    seen = set()
    for end in range(len(body) + 1):
        fields = parse(content_type=MULTIPART, body=body[:end])
        seen.add(tuple(sorted(fields['form']) + sorted(fields['files'])))
    assert ('a', 'b', 'f') in seen


def test_random_bytes_as_multipart_do_not_raise():
    rng = random.Random(1234)
    pieces = [b'--BOUNDARY', b'--', b'\r\n', b'\n', b'\r', b' ', b'"', b';',
              b'Content-Disposition: form-data; name=', b'filename*=',
              b"UTF-8''%", b'Content-Type: text/plain; charset=', b'x']
    for _ in range(2000):
        body = b''.join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        parse(content_type=MULTIPART, body=body)


def test_multipart_reads_at_most_the_part_limit():
    part = ([b'Content-Disposition: form-data; name="a"'], b'x')
    body = multipart(*[part] * (MAX_MULTIPART_PARTS + 5))
    fields = parse(content_type=MULTIPART, body=body)
    assert len(fields['form']['a']) == MAX_MULTIPART_PARTS


@pytest.mark.parametrize('content_type', [
    'multipart/form-data',
    'multipart/form-data; boundary=',
    'multipart/form-data; boundary=""',
])
def test_multipart_without_boundary_gives_empty_form(content_type):
    body = multipart(([b'Content-Disposition: form-data; name="a"'], b'1'))
    fields = parse(content_type=content_type, body=body)
    assert (fields['form'], fields['files']) == ({}, {})


def test_multipart_with_another_boundary_gives_empty_form():
    body = multipart(([b'Content-Disposition: form-data; name="a"'], b'1'),
                     boundary=b'OTHER')
    assert parse(content_type=MULTIPART, body=body)['form'] == {}


# -- multipart bodies built by real clients ---------------------------------

ODD_NAMES = [
    u'plain.txt',
    u'with space.txt',
    u'caf\xe9 \u20ac.txt',
    u'say "hi".txt',
    u'C:\\Users\\me\\a.txt',
    u'semi;colon=.txt',
]


def expected_files(files):
    """Map [(field, (filename, content, content_type))] to parsed files."""
    result = {}
    for field, (filename, content, content_type) in files:
        result.setdefault(native(field), []).append({
            'name': native(field),
            'filename': native(filename),
            'content_type': content_type,
            'content': content,
        })
    return result


def expected_form(data):
    result = {}
    for name, value in data:
        result.setdefault(native(name), []).append(native(value))
    return result


CLIENT_DATA = [
    (u'title', u'Holiday'),
    (u'tag', u'sea'),
    (u'tag', u''),
    (u'tag', u'caf\xe9 \u20ac'),
    (u'multi\nline', u'line one\r\nline two\n'),
]
CLIENT_FILES = [
    (u'upload', (name, ALL_BYTES + b'\r\n--' + name.encode('utf-8'),
                 'application/x-test-%d' % index))
    for index, name in enumerate(ODD_NAMES)
] + [
    (u'other', (u'empty.bin', b'', 'application/octet-stream')),
    (u'other', (u'crlf.bin', b'\r\n\r\n', 'text/plain; charset=utf-8')),
]


def test_requests_multipart_body_round_trips_exactly():
    requests = pytest.importorskip('requests')
    prepared = requests.Request(
        'POST', 'http://127.0.0.1/upload',
        data=CLIENT_DATA, files=CLIENT_FILES).prepare()
    fields = parse('/upload', prepared.headers['Content-Type'],
                   body=prepared.body)
    assert fields['form'] == expected_form(CLIENT_DATA)
    assert fields['files'] == expected_files(CLIENT_FILES)


def test_requests_encode_files_round_trips_exactly():
    requests = pytest.importorskip('requests')
    encode = requests.models.RequestEncodingMixin._encode_files
    body, content_type = encode(CLIENT_FILES, CLIENT_DATA)
    fields = parse('/', content_type, body=body)
    assert fields['form'] == expected_form(CLIENT_DATA)
    assert fields['files'] == expected_files(CLIENT_FILES)


def test_urllib3_multipart_body_round_trips_exactly():
    filepost = pytest.importorskip('urllib3.filepost')
    fields_in = list(CLIENT_DATA) + [
        (field, (filename, content, content_type))
        for field, (filename, content, content_type) in CLIENT_FILES]
    body, content_type = filepost.encode_multipart_formdata(fields_in)
    fields = parse('/', content_type, body=body)
    assert fields['form'] == expected_form(CLIENT_DATA)
    assert fields['files'] == expected_files(CLIENT_FILES)


def test_urllib3_multipart_with_given_boundary_round_trips():
    filepost = pytest.importorskip('urllib3.filepost')
    body, content_type = filepost.encode_multipart_formdata(
        [(u'a', u'1'), (u'f', (u'f.bin', b'--xyzz\r\n--xyz-'))],
        boundary='xyz')
    fields = parse('/', content_type, body=body)
    assert fields['form'] == {'a': ['1']}
    assert fields['files']['f'][0]['content'] == b'--xyzz\r\n--xyz-'


# -- JSON -------------------------------------------------------------------

@pytest.mark.parametrize('content_type', [
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON ; charset="UTF-8"',
    'application/vnd.api+json',
    'application/problem+json; charset=utf-8',
])
def test_json_content_types_decode_the_body(content_type):
    value = {u'a': [1, 2.5, None, True], u'caf\xe9': u'\u20ac'}
    fields = parse(content_type=content_type,
                   body=json.dumps(value).encode('utf-8'))
    assert (fields['json'], fields['json_error']) == (value, None)


def test_json_scalars_are_decoded_too():
    fields = parse(content_type='application/json', body=b' 0 ')
    assert (fields['json'], fields['json_error']) == (0, None)
    assert parse(content_type='application/json', body=b'null')[
        'json_error'] is None


def test_json_body_may_start_with_a_utf8_bom():
    fields = parse(content_type='application/json', body=b'\xef\xbb\xbf[1]')
    assert (fields['json'], fields['json_error']) == ([1], None)


def test_json_body_is_decoded_with_its_declared_charset():
    fields = parse(content_type='application/json; charset=utf-16-le',
                   body=u'["\u20ac"]'.encode('utf-16-le'))
    assert fields['json'] == [u'\u20ac']


def test_invalid_json_reports_json_error():
    fields = parse(content_type='application/json', body=b'{"a": ')
    assert fields['json'] is None
    assert fields['json_error'].startswith('invalid JSON: ')


def test_empty_json_body_reports_json_error():
    fields = parse(content_type='application/json', body=b'')
    assert fields['json'] is None
    assert fields['json_error'] == 'the body is empty'


def test_json_body_that_is_not_utf8_reports_json_error():
    fields = parse(content_type='application/json', body=b'"caf\xe9"')
    assert fields['json'] is None
    assert 'not valid utf-8' in fields['json_error']


def test_deeply_nested_json_reports_json_error():
    fields = parse(content_type='application/json', body=b'[' * 100000)
    assert fields['json'] is None
    assert fields['json_error']


@pytest.mark.parametrize('content_type', [
    None, 'text/plain', 'application/jsonp', 'application/json-seq',
    'text/json+html', FORM,
])
def test_non_json_content_types_leave_json_none(content_type):
    fields = parse(content_type=content_type, body=b'{"a": 1}')
    assert (fields['json'], fields['json_error']) == (None, None)


# -- empty and missing bodies -----------------------------------------------

@pytest.mark.parametrize('content_type', [None, FORM, MULTIPART, 'text/plain'])
def test_empty_body_gives_empty_form_and_files(content_type):
    fields = parse(content_type=content_type, body=b'')
    assert (fields['form'], fields['files'], fields['json'],
            fields['json_error']) == ({}, {}, None, None)


def test_body_without_content_type_is_not_parsed():
    fields = parse(body=b'a=1')
    assert (fields['form'], fields['json']) == ({}, None)


def test_binary_labelled_as_a_form_is_not_split_into_fields():
    # curl --data-binary @file labels the upload as a form: 10 MB of such
    # bytes must not be cut into ~80,000 "fields" (it took half a second).
    body = bytes(bytearray(range(256))) * 4096
    fields = parse_fields('/', 'application/x-www-form-urlencoded', [], body)
    assert fields['form'] == {}


def test_a_form_with_raw_utf8_and_line_breaks_is_still_a_form():
    body = u'name=Jos\xe9&note=two\r\nlines'.encode('utf-8')
    fields = parse_fields('/', 'application/x-www-form-urlencoded', [], body)
    assert fields['form'] == {native(u'name'): [native(u'Jos\xe9')],
                              native(u'note'): [native(u'two\r\nlines')]}
