"""Tests for httptestserver.protocol.websocket_codec: the framing state
machine without sockets.

The tests feed client bytes split anywhere and check the events and the
close code of every violation.  The sessions over real sockets are in
tests/streams/test_websocket.py.
"""
import os
import struct
import sys

import pytest
import six

from httptestserver.errors import ConfigurationError
from httptestserver.protocol.websocket_codec import Close, Failure, Message, \
    Ping, Pong, Protocol
from httptestserver.protocol.websocket_frames import BINARY, CLOSE, \
    CONTINUATION, PING, PONG, TEXT, encode_frame

MASK = b'\x37\xfa\x21\x3d'


def client(opcode, payload=b'', fin=True, rsv=0, masked=True):
    """A client frame, masked unless *masked* is false."""
    return encode_frame(opcode, payload, fin, rsv,
                        MASK if masked else None)


def feed(protocol, data, step=None):
    """Feed *data* to *protocol* whole, or *step* bytes at a time."""
    if step is None:
        return protocol.receive_data(data)
    events = []
    for i in range(0, len(data), step):
        events.extend(protocol.receive_data(data[i:i + step]))
    return events


# -- the codec: messages -----------------------------------------------------
@pytest.mark.parametrize('step', [None, 1, 3])
def test_a_masked_text_frame_is_one_message_however_it_is_split(step):
    events = feed(Protocol(), client(TEXT, u'h\u00e9llo \u20ac'.encode(
        'utf-8')), step)
    assert [type(e) for e in events] == [Message]
    assert events[0].data == u'h\u00e9llo \u20ac' and events[0].is_text


@pytest.mark.parametrize('length', [0, 125, 126, 65535, 65536])
def test_lengths_on_the_7_16_and_64_bit_boundaries_round_trip(length):
    payload = os.urandom(length)
    frame = client(BINARY, payload)
    header = {0: 2, 125: 2, 126: 4, 65535: 4, 65536: 10}[length]
    assert len(frame) == header + 4 + length
    events = Protocol(max_message_size=1 << 20).receive_data(frame)
    assert events[0].data == payload and not events[0].is_text
    server_frame = Protocol().message(payload)
    assert len(server_frame) == header + length  # unmasked: no key
    assert six.indexbytes(server_frame, 1) & 0x80 == 0


def test_fragments_make_one_message_with_control_frames_between():
    data = (client(TEXT, b'one ', fin=False) +
            client(PING, b'p') +
            client(CONTINUATION, b'\xe2\x82', fin=False) +  # a split euro
            client(PONG, b'q') +
            client(CONTINUATION, b'\xac two'))
    for step in (None, 1):
        events = feed(Protocol(), data, step)
        assert [type(e) for e in events] == [Ping, Pong, Message]
        assert events[0].payload == b'p'
        assert events[2].data == u'one \u20ac two'


def test_empty_fragments_and_an_empty_message_are_allowed():
    events = Protocol().receive_data(
        client(TEXT, b'', fin=False) + client(CONTINUATION, b'') +
        client(BINARY, b''))
    assert [e.data for e in events] == [u'', b'']


def fragmented(opcode, payload, size):
    """*payload* as one message in client frames of *size* bytes."""
    return b''.join(
        client(opcode if start == 0 else CONTINUATION,
               payload[start:start + size], start + size >= len(payload))
        for start in range(0, len(payload), size))


@pytest.mark.skipif(sys.version_info < (3, 4), reason='tracemalloc is '
                    'Python 3.4+')
def test_a_megabyte_in_16_byte_fragments_costs_under_3x_its_size():
    """The fragments go into one buffer: no object per fragment, no
    re-joining.  Fed as a socket would, 64 KiB at a time."""
    import tracemalloc
    size = 1 << 20
    wire = fragmented(TEXT, b'x' * size, 16)
    protocol = Protocol(max_message_size=size)
    events = []
    tracemalloc.start()
    try:
        for start in range(0, len(wire), 65536):
            events.extend(protocol.receive_data(wire[start:start + 65536]))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [len(e.data) for e in events] == [size]
    assert peak < 3 * size, 'peak %.1f times the message' % (
        float(peak) / size)


def test_empty_continuation_frames_count_against_the_limit():
    """Each frame costs at least a byte: a flood of empty continuations
    ends with 1009 instead of running forever."""
    protocol = Protocol(max_message_size=1000)
    events = protocol.receive_data(client(TEXT, b'', fin=False))
    empty = client(CONTINUATION, b'', fin=False)
    for _ in range(2000):
        events += protocol.receive_data(empty)
        if events:
            break
    assert [(type(e), e.code) for e in events] == [(Failure, 1009)]
    assert Protocol(max_message_size=3).receive_data(
        client(TEXT, b'a', fin=False) + client(CONTINUATION, b'', fin=False)
        + client(CONTINUATION, b'b'))[0].data == u'ab'


def test_a_close_frame_gives_its_code_and_reason_and_ends_input():
    protocol = Protocol()
    events = protocol.receive_data(
        client(CLOSE, struct.pack('!H', 1000) + u'bye \u00e9'.encode('utf-8'))
        + client(TEXT, b'ignored'))
    assert events == [Close(1000, u'bye \u00e9')]
    assert protocol.close_received
    assert protocol.receive_data(client(TEXT, b'more')) == []


def test_an_empty_close_frame_has_no_code():
    assert Protocol().receive_data(client(CLOSE)) == [Close(None, u'')]


# -- the codec: violations -------------------------------------------------
def failure_of(data, **kwargs):
    protocol = Protocol(**kwargs)
    events = protocol.receive_data(data)
    assert isinstance(events[-1], Failure), events
    assert protocol.failure is events[-1]
    assert protocol.receive_data(client(TEXT, b'after')) == []
    return events[-1].code


def test_an_unmasked_client_frame_is_a_protocol_error():
    assert failure_of(client(TEXT, b'hi', masked=False)) == 1002


@pytest.mark.parametrize('rsv', [1, 2, 4])
def test_rsv_bits_without_an_extension_are_a_protocol_error(rsv):
    assert failure_of(client(TEXT, b'hi', rsv=rsv)) == 1002


@pytest.mark.parametrize('opcode', [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
def test_reserved_opcodes_are_a_protocol_error(opcode):
    assert failure_of(client(opcode, b'')) == 1002


@pytest.mark.parametrize('data', [
    client(PING, b'x', fin=False),                      # fragmented control
    client(PING, b'x' * 126),                           # control over 125
    client(CONTINUATION, b'x'),                         # nothing to continue
    client(TEXT, b'a', fin=False) + client(TEXT, b'b'),  # new inside old
    client(CLOSE, b'\x03'),                             # 1-byte close
    client(CLOSE, struct.pack('!H', 1005)),             # never-sent code
    client(CLOSE, struct.pack('!H', 999)),
    client(CLOSE, struct.pack('!H', 2000)),             # unassigned
    b'\x82\xff' + b'\x80' + b'\x00' * 7 + MASK,         # 64-bit high bit
])
def test_framing_violations_are_protocol_errors(data):
    assert failure_of(data) == 1002


@pytest.mark.parametrize('payload', [
    b'\xff', b'\xc3\x28', b'\xed\xa0\x80',  # a UTF-16 surrogate
    b'\xf4\x90\x80\x80', b'\xc0\xaf',       # above U+10FFFF, overlong
    b'ok\xe2\x82',                          # cut in the middle
])
def test_text_that_is_not_utf8_fails_with_1007(payload):
    assert failure_of(client(TEXT, payload)) == 1007


def test_bad_utf8_fails_fast_before_the_message_ends():
    protocol = Protocol()
    events = protocol.receive_data(client(TEXT, b'good \xff', fin=False))
    assert [e.code for e in events] == [1007]


@pytest.mark.parametrize('payload', [
    # Autobahn 6.4.x: a code point above U+10FFFF after valid Greek
    b'\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90',
    b'ok\xed\xa0',  # a UTF-16 surrogate
    b'ok\xe0\x80',  # overlong
    b'ok\xf0\x80',  # overlong
    b'ok\xc0',       # never a lead byte
    b'ok\xff',
    b'ok\xe2\x82\x41',  # a character cut by an ASCII byte
])
def test_invalid_utf8_fails_at_the_first_bad_byte_even_mid_frame(payload):
    """The frame promises 1000 bytes; the first that cannot be UTF-8 is
    enough (on Python 2 too, whose decoder waits for whole characters)."""
    frame = client(TEXT, payload + b'x' * (1000 - len(payload)))
    head = len(frame) - 1000
    good = Protocol()
    assert good.receive_data(frame[:head + len(payload) - 1]) == []
    protocol = Protocol()
    events = protocol.receive_data(frame[:head + len(payload)])
    assert [(type(e), e.code) for e in events] == [(Failure, 1007)]


def test_invalid_utf8_in_a_continuation_fails_mid_frame():
    protocol = Protocol()
    assert protocol.receive_data(client(TEXT, b'\xe2\x82', fin=False)) == []
    frame = client(CONTINUATION, b'\xac ok \xf5' + b'x' * 500)
    events = protocol.receive_data(frame[:4 + 4 + 6])
    assert [e.code for e in events] == [1007]


def test_a_surrogate_split_between_fragments_fails_with_1007():
    assert failure_of(client(TEXT, b'a\xed', fin=False) +
                      client(CONTINUATION, b'\xa0\x80')) == 1007


def test_a_close_reason_that_is_not_utf8_fails_with_1007():
    assert failure_of(client(CLOSE, b'\x03\xe8\xff')) == 1007


def test_a_message_over_the_limit_fails_with_1009_before_its_payload():
    protocol = Protocol(max_message_size=100)
    header_only = client(BINARY, b'x' * 101)[:8]
    assert [e.code for e in protocol.receive_data(header_only)] == [1009]
    assert failure_of(client(TEXT, b'x' * 60, fin=False) +
                      client(CONTINUATION, b'x' * 60),
                      max_message_size=100) == 1009
    assert Protocol(max_message_size=100).receive_data(
        client(TEXT, b'x' * 100))[0].data == u'x' * 100


def test_close_frames_built_carry_code_and_a_reason_cut_to_fit():
    frame = Protocol().close(4000, u'\u00e9' * 100)
    # Unmasked; 2 + 61 two-byte characters: at most 125, never half one.
    assert six.indexbytes(frame, 1) == 124
    assert frame[2:4] == struct.pack('!H', 4000)
    assert frame[4:].decode('utf-8') == u'\u00e9' * 61
    assert Protocol().close(None) == b'\x88\x00'
    with pytest.raises(ConfigurationError, match='1005'):
        Protocol().close(1005)


def test_bad_arguments_are_configuration_errors():
    with pytest.raises(ConfigurationError, match='max_message_size'):
        Protocol(max_message_size=0)
    with pytest.raises(ConfigurationError, match='text'):
        Protocol().message(42)
    with pytest.raises(ConfigurationError, match='125'):
        Protocol().ping(b'x' * 126)
