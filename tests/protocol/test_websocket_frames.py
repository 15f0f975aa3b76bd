"""Tests for httptestserver.protocol.websocket_frames: one frame's bytes,
checked against the examples of RFC 6455 section 5.7."""
import pytest

from httptestserver.errors import ConfigurationError
from httptestserver.protocol.websocket_frames import BINARY, CONTINUATION, \
    PING, PONG, TEXT, apply_mask, check_control_payload, check_message, \
    encode_frame, valid_close_code

MASK = b'\x37\xfa\x21\x3d'  # the key of the RFC's masked examples


@pytest.mark.parametrize('frame, expected', [
    (encode_frame(TEXT, b'Hello'), b'\x81\x05Hello'),
    (encode_frame(TEXT, b'Hello', mask_key=MASK),
     b'\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58'),
    (encode_frame(TEXT, b'Hel', fin=False), b'\x01\x03Hel'),
    (encode_frame(CONTINUATION, b'lo'), b'\x80\x02lo'),
    (encode_frame(PING, b'Hello'), b'\x89\x05Hello'),
    (encode_frame(PONG, b'Hello', mask_key=MASK),
     b'\x8a\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58'),
], ids=['text', 'masked text', 'first fragment', 'last fragment', 'ping',
        'masked pong'])
def test_frames_are_the_bytes_of_the_rfc_examples(frame, expected):
    assert frame == expected


@pytest.mark.parametrize('length, header', [
    (256, b'\x82\x7e\x01\x00'),
    (65536, b'\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00'),
])
def test_long_payloads_get_16_and_64_bit_lengths(length, header):
    payload = b'\x00' * length
    assert encode_frame(BINARY, payload) == header + payload


def test_masking_twice_gives_the_payload_back():
    payload = bytes(bytearray(range(256))) * 3 + b'odd'
    masked = apply_mask(payload, MASK)
    assert masked != payload
    assert apply_mask(masked, MASK) == payload
    assert apply_mask(b'', MASK) == b''


@pytest.mark.parametrize('code, valid', [
    (1000, True), (1003, True), (1004, False), (1005, False), (1006, False),
    (1007, True), (1014, True), (1015, False), (2000, False), (3000, True),
    (4999, True), (5000, False), (999, False),
])
def test_close_codes_a_frame_may_carry(code, valid):
    assert valid_close_code(code) is valid


def test_message_data_is_text_or_bytes():
    assert check_message(u'caf\xe9') == u'caf\xe9'
    assert check_message(bytearray(b'ab')) == b'ab'
    with pytest.raises(ConfigurationError, match='greeting'):
        check_message(42, 'greeting')


def test_control_payloads_are_bytes_of_at_most_125():
    assert check_control_payload(u'\xe9', 'ping payload') == b'\xc3\xa9'
    assert check_control_payload(b'x' * 125, 'ping payload') == b'x' * 125
    with pytest.raises(ConfigurationError, match='pong payload'):
        check_control_payload(b'x' * 126, 'pong payload')
