"""The response writer: header checks that stop smuggling, chunk framing,
wire bytes and reason phrases."""
import pytest

from httptestserver.protocol.writer import LAST_CHUNK, REASONS, \
    check_header, chunk, reason, wire


@pytest.mark.parametrize('name, value', [
    ('X-Test', 'plain value'),
    ('Content-Type', 'text/html; charset=utf-8'),
    (b'X-Bytes', b'bytes value'),
    (u'X-Text', u'caf\xe9'),
    ("!#$%&'*+-.^_`|~09azAZ", 'every token character'),
    ('X-Number', 42),
    ('X-Empty', ''),
])
def test_check_header_accepts_token_names_and_one_line_values(name, value):
    assert check_header(name, value) is None


@pytest.mark.parametrize('value', [
    'a\r\nX-Smuggled: yes', 'a\nb', 'a\rb', 'a\x00b',
    b'a\r\nX-Smuggled: yes', u'a\nb',
])
def test_check_header_refuses_cr_lf_and_nul_in_values(value):
    why = check_header('X-Test', value)
    assert why is not None
    assert 'X-Test' in why and 'CR, LF or NUL' in why


@pytest.mark.parametrize('name', [
    '', 'X Test', 'X-Test:', 'X-Test\r\nX-Smuggled', 'X\x00', 'caf\xe9',
    '(comment)', 'a/b', 'a@b', b'X Test', 'X-Test\t',
])
def test_check_header_refuses_names_that_are_not_tokens(name):
    why = check_header(name, 'value')
    assert why is not None
    assert 'not a token' in why


def test_check_header_never_raises_on_odd_objects():
    assert check_header(None, None) is None  # 'None' is a token
    assert check_header(object(), 'v') is not None


def test_chunk_frames_data_with_its_hex_length():
    assert chunk(b'hello') == b'5\r\nhello\r\n'
    assert chunk(b'x' * 26) == b'1a\r\n' + b'x' * 26 + b'\r\n'


def test_chunk_of_nothing_is_the_zero_length_chunk():
    assert chunk(b'') == b'0\r\n\r\n'
    assert LAST_CHUNK == b'0\r\n\r\n'


def test_wire_returns_bytes_unchanged():
    assert wire(b'\xff raw') == b'\xff raw'


def test_wire_encodes_text_as_latin_1_when_it_can():
    assert wire(u'caf\xe9') == b'caf\xe9'


def test_wire_encodes_text_beyond_latin_1_as_utf_8():
    assert wire(u'\u20ac') == b'\xe2\x82\xac'


def test_wire_turns_other_objects_into_their_text():
    assert wire(42) == b'42'
    assert wire(1.5) == b'1.5'


@pytest.mark.parametrize('status, phrase', [
    (200, 'OK'), (404, 'Not Found'), (418, "I'm a Teapot"),
    (500, 'Internal Server Error'), (101, 'Switching Protocols'),
])
def test_reason_gives_the_phrase_of_a_known_status(status, phrase):
    assert reason(status) == phrase


@pytest.mark.parametrize('status', [299, 599, 999])
def test_reason_of_an_unknown_status_is_empty(status):
    assert reason(status) == ''


def test_every_reason_phrase_fits_a_status_line():
    for status, phrase in REASONS.items():
        assert 100 <= status <= 599
        assert phrase and '\r' not in phrase and '\n' not in phrase
