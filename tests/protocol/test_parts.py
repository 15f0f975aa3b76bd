# -*- coding: utf-8 -*-
"""Tests for httptestserver.protocol.parts: target, cookies and body into
fields.

Multipart bodies are in test_multipart.py, Content-Type parameters in
test_params.py.
"""

import json

import pytest
from six.moves import http_cookies

from httptestserver.protocol.parts import parse_fields

from _request_parts import MULTIPART, multipart, native, parse, received


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


def test_json_nested_deeper_than_the_limit_is_not_decoded():
    from httptestserver.protocol.parts import JSON_MAX_DEPTH
    deep = b'[' * (JSON_MAX_DEPTH + 1) + b']' * (JSON_MAX_DEPTH + 1)
    fields = parse_fields('/', 'application/json', [], deep)
    assert fields['json'] is None
    assert 'nested deeper than %d levels' % JSON_MAX_DEPTH \
        in fields['json_error']
    at_limit = b'[' * JSON_MAX_DEPTH + b']' * JSON_MAX_DEPTH
    assert parse_fields('/', 'application/json', [], at_limit)['json'] \
        is not None
    # Brackets inside strings do not count.
    many = ('[' + ','.join(['{"a": "[[[{{"}'] * 300) + ']').encode()
    assert len(parse_fields('/', 'application/json', [], many)['json']) == 300
