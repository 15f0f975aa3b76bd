"""permessage-deflate (RFC 7692, ``streams/websocket_deflate.py``): the
offer's answer, the compressor, the codec reading compressed frames split
anywhere, and, over real sockets (HTTP and HTTPS), a raw client, then
``websockets`` and ``aiohttp`` through the equivalents of the Autobahn
test suite's cases 12 (message sizes) and 13 (the offer's parameters).

The Autobahn suite itself (``autobahntestsuite``) runs only on Python 2.7
and needs Twisted; these cases check the same things with the clients
users have.
"""
import os
import struct
import sys
import zlib

import pytest

from httptestserver.errors import ConfigurationError
from httptestserver.protocol.websocket import BINARY, CONTINUATION, \
    Failure, Message, Protocol, TEXT
from httptestserver.streams.websocket import WebSocket
from httptestserver.streams.websocket_deflate import Deflate, negotiate

from conftest import TIMEOUT
from _websocket_clients import ws_url
from test_sessions import RawClient, client

if sys.version_info[0] >= 3:
    import _async_streaming
else:  # Python 2
    _async_streaming = None

MASK = b'\x37\xfa\x21\x3d'


def compressed(data, fresh=True, compressor=None):
    """What a client sends for *data*: DEFLATE, sync-flushed, tail cut."""
    compressor = compressor or zlib.compressobj(6, zlib.DEFLATED, -15)
    out = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b'\x00\x00\xff\xff')
    return out[:-4]


def inflate(payload):
    return zlib.decompressobj(-15).decompress(payload + b'\x00\x00\xff\xff')


# -- the offer ---------------------------------------------------------------
@pytest.mark.parametrize('offers, answer', [
    ([], None),
    (['x-webkit-deflate-frame'], None),
    (['permessage-deflate'], 'permessage-deflate'),
    (['permessage-deflate; client_max_window_bits'], 'permessage-deflate'),
    (['permessage-deflate; server_no_context_takeover; '
      'client_no_context_takeover'],
     'permessage-deflate; server_no_context_takeover; '
     'client_no_context_takeover'),
    (['permessage-deflate; server_max_window_bits=10'],
     'permessage-deflate; server_max_window_bits=10'),
    (['permessage-deflate; server_max_window_bits="12"'],
     'permessage-deflate; server_max_window_bits=12'),
    # Declined offers, then the next one is taken.
    (['permessage-deflate; server_max_window_bits=8, permessage-deflate'],
     'permessage-deflate'),
    (['permessage-deflate; server_max_window_bits'], None),
    (['permessage-deflate; server_max_window_bits=16'], None),
    (['permessage-deflate; unknown=1', 'permessage-deflate; '
      'client_max_window_bits=9'], 'permessage-deflate'),
    (['permessage-deflate; server_no_context_takeover; '
      'server_no_context_takeover'], None),
    (['permessage-deflate; server_no_context_takeover=1'], None),
])
def test_negotiate_answers_the_first_offer_it_can_honour(offers, answer):
    value, deflate = negotiate(offers)
    assert value == answer
    assert (deflate is None) == (answer is None)


def test_negotiate_keeps_the_parameters_asked_for():
    _, deflate = negotiate(['permessage-deflate; server_max_window_bits=9; '
                            'server_no_context_takeover'])
    assert deflate.server_max_window_bits == 9
    assert deflate.server_no_context_takeover


def test_deflate_refuses_a_window_zlib_cannot_make():
    with pytest.raises(ConfigurationError, match='server_max_window_bits'):
        Deflate(server_max_window_bits=8)


@pytest.mark.parametrize('takeover', [True, False])
def test_compress_gives_what_a_client_inflates(takeover):
    deflate = Deflate(server_no_context_takeover=takeover)
    inflater = zlib.decompressobj(-15)
    for data in (b'hello ' * 50, b'', b'hello ' * 50):
        payload = deflate.compress(data)
        assert inflater.decompress(payload + b'\x00\x00\xff\xff') == data
    # With context takeover the repeat refers back to the first message.
    again = deflate.compress(b'hello ' * 50)
    assert (len(again) < 10) == (not takeover)


# -- the codec ---------------------------------------------------------------
def test_the_codec_inflates_a_compressed_message_split_anywhere():
    text = (u'caf\xe9 ' * 200).encode('utf-8')
    payload = compressed(text)
    frames = client(TEXT, payload[:7], fin=False, rsv=4) + \
        client(CONTINUATION, payload[7:])
    for split in range(0, len(frames), 5):
        protocol = Protocol(deflate=Deflate())
        events = protocol.receive_data(frames[:split]) + \
            protocol.receive_data(frames[split:])
        assert [type(e) for e in events] == [Message], split
        assert events[0].data == text.decode('utf-8')


def test_the_codec_keeps_the_client_context_between_messages():
    protocol = Protocol(deflate=Deflate())
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    first = compressed(b'abcdefgh' * 20, compressor=compressor)
    second = compressed(b'abcdefgh' * 20, compressor=compressor)
    events = protocol.receive_data(client(BINARY, first, rsv=4) +
                                   client(BINARY, second, rsv=4) +
                                   client(BINARY, b'plain'))
    assert [e.data for e in events] == [b'abcdefgh' * 20] * 2 + [b'plain']


def test_the_codec_reads_on_after_a_client_ends_its_deflate_stream():
    finished = zlib.compressobj(6, zlib.DEFLATED, -15)
    final = finished.compress(b'one') + finished.flush(zlib.Z_FINISH)
    protocol = Protocol(deflate=Deflate())
    events = protocol.receive_data(client(BINARY, final, rsv=4) +
                                   client(BINARY, compressed(b'two'), rsv=4))
    assert [e.data for e in events] == [b'one', b'two']


@pytest.mark.parametrize('frames, code', [
    # RSV1 without the extension negotiated.
    (client(TEXT, compressed(b'x'), rsv=4), None),
    # RSV1 on a continuation frame (RFC 7692 6.1).
    (client(TEXT, b'a', fin=False) + client(CONTINUATION, b'b', rsv=4),
     1002),
    # RSV1 on a control frame.
    (client(0x9, b'', rsv=4), 1002),
    # Not DEFLATE at all.
    (client(BINARY, b'\xff\xff\xff\xff', rsv=4), 1002),
    # A small frame that inflates past max_message_size: a zip bomb.
    (client(BINARY, compressed(b'\0' * 5000), rsv=4), 1009),
])
def test_the_codec_fails_bad_compressed_frames(frames, code):
    protocol = Protocol(max_message_size=1000,
                        deflate=None if code is None else Deflate())
    events = protocol.receive_data(frames)
    assert isinstance(events[-1], Failure)
    assert events[-1].code == (code or 1002)


def test_the_codec_sends_compressed_and_fragmented_messages():
    protocol = Protocol(deflate=Deflate())
    frames = protocol.message(b'z' * 1000, fragment_size=2)
    assert frames[:1] == struct.pack('B', 0x40 | BINARY)  # RSV1, not FIN
    assert frames[4:5] == struct.pack('B', CONTINUATION)  # no RSV1 after
    assert Protocol(deflate=Deflate()).receive_data(
        b''.join(client(CONTINUATION if i else BINARY, frames[i + 2:i + 4],
                        fin=i + 4 >= len(frames), rsv=0 if i else 4)
                 for i in range(0, len(frames), 4)))[0].data == b'z' * 1000


# -- over sockets ------------------------------------------------------------
OFFER = 'Sec-WebSocket-Extensions: permessage-deflate\r\n'


def test_a_raw_client_that_offers_gets_compressed_frames(server):
    route = WebSocket(server=server)
    server.route('/ws', route)
    raw = RawClient(server, extra=OFFER)
    try:
        raw.sock.settimeout(TIMEOUT)
        assert b'\r\nSec-WebSocket-Extensions: permessage-deflate\r\n' in \
            raw.head + b'\r\n'
        raw.sock.sendall(client(TEXT, compressed(b'hello ' * 100), rsv=4))
        fin, opcode, payload = raw.frame()
        assert (fin, opcode) == (True, TEXT)
        assert inflate(payload) == b'hello ' * 100 and len(payload) < 50
    finally:
        raw.close()
    assert route.received() == [u'hello ' * 100]


def test_compression_false_ignores_the_offer(server):
    route = WebSocket(server=server, compression=False)
    server.route('/ws', route)
    raw = RawClient(server, extra=OFFER)
    try:
        raw.sock.settimeout(TIMEOUT)
        assert b'Sec-WebSocket-Extensions' not in raw.head
        raw.sock.sendall(client(TEXT, b'plain'))
        assert raw.frame() == (True, TEXT, b'plain')
    finally:
        raw.close()


# Autobahn case 12: echo of text and binary messages of growing size, with
# the client's default offer.  Case 13: the same with each parameter.
SIZES = [16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536, 131072]


def messages():
    for size in SIZES:
        chunk = os.urandom(size // 2)
        yield chunk + chunk  # half random, half repeated: compressible
        yield (u'\xe9t\xe9 ' * (size // 7 + 1))[:size // 2]


def python3_client(name):
    if _async_streaming is None:
        pytest.skip('%s needs Python 3' % name)
    pytest.importorskip(name)


@pytest.mark.parametrize('params', [
    {},                                                     # case 12
    {'server_no_context_takeover': True},                   # case 13 ...
    {'client_no_context_takeover': True},
    {'server_no_context_takeover': True,
     'client_no_context_takeover': True},
    {'server_max_window_bits': 9, 'client_max_window_bits': 9},
    {'server_max_window_bits': 15, 'client_max_window_bits': 15},
    {'server_max_window_bits': 12, 'client_max_window_bits': 10,
     'server_no_context_takeover': True},
])
def test_websockets_echo_compressed_messages(server, ssl_context, params):
    python3_client('websockets')
    route = WebSocket(server=server, max_message_size=1 << 20)
    server.route('/ws', route)
    sent = list(messages())
    received, extensions = _async_streaming.websockets_deflate_echo(
        ws_url(server), ssl_context, TIMEOUT * 3, sent, params)
    assert received == sent
    assert extensions == ['PerMessageDeflate']
    connection = route.connections[0]
    assert connection.protocol.deflate is not None
    assert connection.protocol.deflate.server_no_context_takeover == \
        bool(params.get('server_no_context_takeover'))


@pytest.mark.parametrize('compression', [True, False])
def test_aiohttp_echo_compressed_messages(server, ssl_context, compression):
    python3_client('aiohttp')
    route = WebSocket(server=server, compression=compression)
    server.route('/ws', route)
    sent = list(messages())[:12]
    received, compress = _async_streaming.aiohttp_deflate_echo(
        ws_url(server), ssl_context, TIMEOUT * 3, sent)
    assert received == sent
    assert compress == (15 if compression else 0)
