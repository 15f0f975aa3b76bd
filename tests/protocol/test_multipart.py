# -*- coding: utf-8 -*-
"""Tests for httptestserver.protocol.multipart: multipart/form-data bodies
into form fields and files, through parse_fields as the server calls it."""

import random

import pytest

from httptestserver.protocol.multipart import MAX_MULTIPART_PARTS

from _request_parts import MULTIPART, multipart, native, parse


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
