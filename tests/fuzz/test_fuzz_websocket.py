# -*- coding: utf-8 -*-
"""Fuzzing the WebSocket codec and handshake (protocol/websocket_codec.py,
websocket_frames.py, websocket_handshake.py).

Whatever bytes a client sends after the upgrade -- random, or frames with
any opcode, flags, mask and length, mutated -- :class:`Protocol` returns
events and never raises: a violation is one :class:`Failure` (1002, 1007 or
1009), the last event, after which nothing more is read; and the events
do not depend on how the bytes are split.  Valid client traffic (messages
fragmented anyhow, pings between fragments, a close) comes back as exactly
those messages.  Any upgrade request gets 101, 400 or 426 from
:func:`handshake`, with the accept key of RFC 6455 on a 101.
"""
import base64
import hashlib
import struct

import pytest

hypothesis = pytest.importorskip('hypothesis')

import six  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from httptestserver.headers import Headers  # noqa: E402
from httptestserver.protocol.connection import check_header  # noqa: E402
from httptestserver.protocol.websocket import Close, Failure, Message, \
    Ping, Pong, Protocol, encode_frame, handshake  # noqa: E402

from _fuzzing import fuzz_settings, pieces  # noqa: E402

given = hypothesis.given

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
FAILURE_CODES = (1002, 1007, 1009)


def summary(event):
    if isinstance(event, Message):
        return ('message', event.data)
    if isinstance(event, Ping):
        return ('ping', bytes(event.payload))
    if isinstance(event, Pong):
        return ('pong', bytes(event.payload))
    if isinstance(event, Close):
        return ('close', event.code, event.reason)
    assert isinstance(event, Failure), event
    return ('failure', event.code, event.reason)


def receive(chunks, max_message_size=None):
    """Feed *chunks* to a new Protocol; return the events as plain data,
    checking that nothing is read after a close or a failure."""
    protocol = Protocol() if max_message_size is None else \
        Protocol(max_message_size)
    got = []
    for chunk in chunks:
        events = protocol.receive_data(chunk)
        if got and got[-1][0] in ('close', 'failure'):
            assert events == []
        got.extend(summary(e) for e in events)
    for item in got[:-1]:
        assert item[0] not in ('close', 'failure'), got
    if got and got[-1][0] == 'failure':
        assert got[-1][1] in FAILURE_CODES
        assert protocol.failure is not None
    return got


MASK = st.one_of(st.binary(min_size=4, max_size=4),
                 st.just(b'\x00\x00\x00\x00'))
OPCODE = st.one_of(st.sampled_from([CONTINUATION, TEXT, BINARY, CLOSE, PING,
                                    PONG]), st.integers(0, 15))
PAYLOAD = st.one_of(
    st.binary(max_size=140),
    st.text(max_size=40).map(lambda t: t.encode('utf-8')),
    st.tuples(st.integers(0, 5000), st.text(max_size=10)).map(
        lambda p: struct.pack('!H', p[0]) + p[1].encode('utf-8')),
    st.sampled_from([b'\xed\xa0\x80', b'\xf4\x90\x80\x80', b'\xc3', b'\xff',
                     b'\xe2\x82', b'\x03\xe8\xff']))


@st.composite
def frame(draw):
    """One client frame with any opcode, flags and mask, its length field
    sometimes rewritten."""
    data = encode_frame(
        draw(OPCODE), draw(PAYLOAD), fin=draw(st.booleans()),
        rsv=draw(st.one_of(st.just(0), st.just(0), st.integers(0, 7))),
        mask_key=draw(st.one_of(MASK, MASK, MASK, st.none())))
    if draw(st.integers(0, 9)) == 0:
        length = draw(st.sampled_from([126, 127]))
        extra = struct.pack('!H', draw(st.integers(0, 65535))) \
            if length == 126 else struct.pack('!Q', draw(st.one_of(
                st.integers(0, 2 ** 64 - 1), st.integers(0, 300))))
        data = data[:1] + bytes(bytearray([(bytearray(data)[1] & 0x80) |
                                           length])) + extra + data[2:]
    return data


@st.composite
def mutated(draw, base):
    data = bytearray(draw(base))
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.integers(0, len(data)))
        data[where:where + draw(st.integers(0, 3))] = draw(
            st.binary(max_size=3))
    return bytes(data)


FRAMES = mutated(st.lists(frame(), max_size=6).map(b''.join))
MAX_SIZE = st.one_of(st.none(), st.integers(1, 300))


@fuzz_settings()
@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=8))
def test_random_bytes_give_events_or_one_failure_however_split(data, cuts):
    whole = receive([data])
    assert receive(pieces(data, cuts)) == whole
    assert receive([data[i:i + 1] for i in range(len(data))]) == whole


@fuzz_settings(scale=2)
@given(FRAMES, MAX_SIZE, st.lists(st.integers(0, 2000), max_size=8))
def test_any_frames_give_events_or_one_failure_however_split(data, size,
                                                             cuts):
    whole = receive([data], size)
    assert receive(pieces(data, cuts), size) == whole
    assert receive([data[i:i + 1] for i in range(len(data))], size) == whole


def strict_utf8(data):
    """The text of *data*, or None when it is not UTF-8 (RFC 3629: no
    encoded surrogates, which Python 2's codec lets through)."""
    try:
        text = data.decode('utf-8')
    except UnicodeError:
        return None
    if any(0xd800 <= ord(c) <= 0xdfff for c in text):
        return None  # Python 2
    return text


MESSAGE = st.one_of(st.text(max_size=60), st.binary(max_size=120),
                    st.binary(max_size=30).map(
                        lambda b: ('raw-text', b)))


@st.composite
def conversation(draw):
    """Client frames carrying messages fragmented anyhow, pings and pongs
    between fragments, maybe a close at the end; and the events they must
    give."""
    mask = draw(st.binary(min_size=4, max_size=4))
    frames, expected = [], []
    for message in draw(st.lists(MESSAGE, max_size=5)):
        if isinstance(message, tuple):  # text frames with any bytes
            opcode, data = TEXT, message[1]
            decoded = strict_utf8(data)
        elif isinstance(message, six.text_type):
            opcode, data, decoded = TEXT, message.encode('utf-8'), message
        else:
            opcode, data, decoded = BINARY, message, message
        cuts = pieces(data, draw(st.lists(st.integers(0, len(data)),
                                          max_size=3))) or [b'']
        for index, part in enumerate(cuts):
            last = index == len(cuts) - 1
            frames.append(encode_frame(opcode if index == 0 else
                                       CONTINUATION, part, fin=last,
                                       mask_key=mask))
            if last and decoded is not None:
                expected.append(('message', decoded))
            if draw(st.integers(0, 3)) == 0:
                control = draw(st.sampled_from([PING, PONG]))
                payload = draw(st.binary(max_size=125))
                frames.append(encode_frame(control, payload, mask_key=mask))
                expected.append(('ping' if control == PING else 'pong',
                                 payload))
        if decoded is None:
            # Failed at the first invalid fragment; control frames after it
            # are never read.
            return b''.join(frames), None
    if draw(st.booleans()):
        code = draw(st.sampled_from([1000, 1001, 1003, 1011, 3000, 4999]))
        reason = draw(st.text(max_size=20))
        data = reason.encode('utf-8')[:123]
        hypothesis.assume(strict_utf8(data) is not None)
        frames.append(encode_frame(CLOSE, struct.pack('!H', code) + data,
                                   mask_key=mask))
        expected.append(('close', code, data.decode('utf-8')))
    return b''.join(frames), expected


@fuzz_settings()
@given(conversation(), st.lists(st.integers(0, 3000), max_size=10))
def test_valid_client_traffic_gives_exactly_its_messages(talk, cuts):
    data, expected = talk
    got = receive(pieces(data, cuts))
    if expected is None:  # a text message that is not UTF-8
        assert got[-1][:2] == ('failure', 1007)
    else:
        assert got == expected


@fuzz_settings()
@given(st.integers(1, 200), st.lists(st.binary(min_size=1, max_size=80),
                                     min_size=1, max_size=4))
def test_a_message_over_the_limit_fails_1009_before_its_payload(limit,
                                                                parts):
    mask = b'\x01\x02\x03\x04'
    data = b''.join(encode_frame(BINARY if i == 0 else CONTINUATION, part,
                                 fin=i == len(parts) - 1, mask_key=mask)
                    for i, part in enumerate(parts))
    got = receive([data], limit)
    total = sum(len(p) for p in parts)
    if total > limit:
        assert got == [('failure', 1009, 'message over %d bytes' % limit)]
        # Refused from the frame head alone: not one byte of the payload
        # that is over the limit is needed.
        assert receive([data[:-1]], limit) == got
    else:
        assert got == [('message', b''.join(parts))]


# -- the handshake -----------------------------------------------------------
KEY = 'dGhlIHNhbXBsZSBub25jZQ=='
HEADER_NAMES = st.sampled_from([
    'Host', 'Upgrade', 'Connection', 'Sec-WebSocket-Key',
    'Sec-WebSocket-Version', 'Sec-WebSocket-Protocol', 'upgrade',
    'sec-websocket-key', 'X-Other'])
HEADER_VALUES = st.one_of(
    st.sampled_from(['websocket', 'WebSocket', 'Upgrade',
                     'keep-alive, Upgrade',
                     '13', ' 13 ', '8', '', KEY, ' ' + KEY, KEY[:-2],
                     'AAAAAAAAAAAAAAAAAAAAAA==', 'chat, superchat', ',,',
                     '\xe9', 'h2c']),
    st.text(max_size=30).map(lambda t: t.encode('utf-8').decode('latin-1')
                             if six.PY3 else t.encode('utf-8')),
    st.binary(min_size=16, max_size=16).map(
        lambda b: base64.b64encode(b).decode('ascii')))


@st.composite
def upgrade(draw):
    """An upgrade request dict: mostly good, with headers added, removed
    and changed."""
    headers = [('Host', 'x'), ('Upgrade', 'websocket'),
               ('Connection', 'Upgrade'), ('Sec-WebSocket-Key', KEY),
               ('Sec-WebSocket-Version', '13')]
    for _ in range(draw(st.integers(0, 3))):
        if headers and draw(st.booleans()):
            del headers[draw(st.integers(0, len(headers) - 1))]
        else:
            headers.insert(draw(st.integers(0, len(headers))),
                           (draw(HEADER_NAMES), draw(HEADER_VALUES)))
    return {'method': draw(st.sampled_from(['GET', 'GET', 'POST', 'get',
                                            ''])),
            'request_version': draw(st.sampled_from([
                'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2'])),
            'headers': Headers(headers)}


SUBPROTOCOLS = st.one_of(
    st.none(), st.lists(st.sampled_from(['chat', 'superchat', 'x', ''])),
    st.sampled_from(['first', 'none']))


@fuzz_settings()
@given(upgrade(), SUBPROTOCOLS)
def test_any_upgrade_request_gets_101_400_or_426(request, subprotocols):
    if subprotocols == 'first':
        def subprotocols(offered):
            return offered[0] if offered else None
    elif subprotocols == 'none':
        def subprotocols(offered):
            return None
    status, headers, extra = handshake(request, subprotocols)
    assert status in (101, 400, 426)
    for name, value in headers:
        assert check_header(name, value) is None
    if status != 101:
        assert isinstance(extra, str)
        return
    key = request['headers']['Sec-WebSocket-Key'].strip()
    assert len(base64.b64decode(key.encode('ascii'))) == 16
    accept = base64.b64encode(hashlib.sha1(
        key.encode('ascii') +
        b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest()).decode('ascii')
    assert dict(headers)['Sec-WebSocket-Accept'] == accept
