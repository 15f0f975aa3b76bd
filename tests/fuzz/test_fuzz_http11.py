"""Fuzzing the HTTP/1.1 wire (protocol/connection.py, reader.py, writer.py).

Requests: whatever a client sends -- random bytes, or well-formed requests
(request line, headers, Content-Length or chunked bodies with extensions and
trailers, pipelined) with bytes deleted, inserted and replaced -- the
connection hands out events in the order the grammar allows, or one
:class:`Rejected` with a 4xx/5xx it documents; never an exception.  The same
bytes give the same events however they are split, and what it buffers while
it waits for more is bounded by its limits.

Responses: any valid response (a status, token header names, one-line
values, a body given whole or streamed) turns into bytes that read back,
strictly, as that response -- status, headers, and the body framed by
``Content-Length``, chunks or the close, or none for ``HEAD``, 1xx, 204 and
304; a body longer than its ``Content-Length`` raises :class:`BodyTooLong`
and nothing else.
"""
import re

import pytest

hypothesis = pytest.importorskip('hypothesis')

from hypothesis import strategies as st  # noqa: E402

from httptestserver.protocol.connection import NEED_DATA, PAUSED, \
    BodyTooLong, ConnectionClosed, Data, EndOfMessage, Limits, Rejected, \
    Request, ServerConnection  # noqa: E402

from _fuzzing import fuzz_settings, known_bug, pieces  # noqa: E402

given = hypothesis.given

#: The versions a request may have once read.
VERSIONS = ['HTTP/1.%d' % minor for minor in range(10)]
#: Every status a refused request may get (reader.py).
REFUSALS = (400, 413, 414, 417, 431, 501, 505)

#: A response's Content-Length of Unicode digits: _declared_length checks
#: it with str.isdigit(), which takes them, then int() refuses some and
#: reads others.
BUGS = []  # Content-Length counts ASCII digits only now


# -- the request side: driving a connection ----------------------------------
def summary(event):
    """An event as plain data, to compare runs."""
    if isinstance(event, Request):
        return ('request', event.method, event.target, event.version,
                tuple(event.headers))
    if isinstance(event, Data):
        return ('data', event.data)
    if isinstance(event, EndOfMessage):
        return ('end',)
    if isinstance(event, Rejected):
        return ('rejected', event.status, event.message)
    assert isinstance(event, ConnectionClosed), event
    return ('closed', event.clean)


def run(chunks, limits=None):
    """Feed *chunks* then end of file, answering each request with an empty
    200 as a server would; return the events as plain data, Data merged.

    Checks what holds at each step: next_event never raises, ends in a
    Rejected or a ConnectionClosed, and what the connection keeps buffered
    while it waits is bounded by its limits.
    """
    conn = ServerConnection(limits)
    limits = conn.limits
    # The head limit, plus one skipped empty line before a request; or one
    # chunk-size/trailer line.
    bound = max(limits.max_head + 4, limits.max_line + 1)
    got = []
    steps = 0
    for chunk in list(chunks) + [b'']:
        conn.receive_data(chunk)
        while True:
            steps += 1
            assert steps < 100000, 'next_event does not move on'
            event = conn.next_event()
            if event is NEED_DATA:
                assert len(conn.trailing_data) <= bound
                break
            if event is PAUSED:
                conn.send_response(200, [], b'')
                conn.start_next_cycle()
                continue
            item = summary(event)
            if item[0] == 'data' and got and got[-1][0] == 'data':
                got[-1] = ('data', got[-1][1] + item[1])
            else:
                got.append(item)
            if isinstance(event, Rejected):
                conn.send_response(event.status, [], b'')
                conn.start_next_cycle()
                return got
            if isinstance(event, ConnectionClosed):
                return got
    raise AssertionError('no Rejected or ConnectionClosed after end of file')


def check_grammar(got, limits=None):
    """Events come as (Request Data? End)*, then one Rejected or
    ConnectionClosed; a refusal has a documented status; bodies keep
    their Content-Length and the body limit."""
    limits = limits or Limits()
    assert got and got[-1][0] in ('rejected', 'closed')
    in_body = False
    length = None
    for item in got[:-1]:
        kind = item[0]
        assert kind in ('request', 'data', 'end'), got
        if kind == 'request':
            assert not in_body
            in_body, size = True, 0
            _, method, _, version, headers = item
            assert method and version in VERSIONS, item
            assert len(headers) <= limits.max_headers
            names = [n.lower() for n, _ in headers]
            length = None
            if 'content-length' in names and 'transfer-encoding' not in names:
                length = int(dict((n.lower(), v) for n, v in headers)[
                    'content-length'].split(',')[0])
        elif kind == 'data':
            assert in_body
            size += len(item[1])
            assert size <= limits.max_body
        else:
            assert in_body
            if length is not None:
                assert size == length
            in_body = False
    last = got[-1]
    if last[0] == 'rejected':
        assert last[1] in REFUSALS, last
    elif last[1]:  # a clean close is between requests only
        assert not in_body


# -- the request side: what a client sends -----------------------------------
def weighted(common, *rare):
    """Mostly *common*, sometimes one of *rare*."""
    return st.one_of(st.just(common), st.just(common), st.just(common),
                     st.sampled_from(rare))


EOL = weighted(b'\r\n', b'\n', b'\r', b'\r\r\n', b'')
SP = weighted(b' ', b'  ', b'\t', b'\x0b', b'\x0c', b'')
METHOD = st.one_of(
    st.sampled_from([b'GET', b'POST', b'PUT', b'HEAD', b'OPTIONS', b'PATCH',
                     b'DELETE', b'CONNECT', b'get', b'X-Y~']),
    st.binary(max_size=6))
TARGET = st.one_of(
    st.sampled_from([b'/', b'/a?x=1&y=2', b'*', b'http://h/p?q', b'h:443',
                     b'/%00', b'/a#f']),
    st.binary(max_size=12).map(lambda b: b'/' + b))
VERSION = st.one_of(
    weighted(b'HTTP/1.1', b'HTTP/1.0', b'HTTP/2.0', b'HTTP/0.9',
             b'HTTP/1.10', b'http/1.1', b'HTTP/1', b'HTTP/9.9',
             b'HTTP/1.1 x', b''),
    st.binary(max_size=9))
DIGITS = st.integers(0, 400).map(lambda n: str(n).encode('ascii'))
LENGTH_VALUE = st.one_of(
    DIGITS, DIGITS.map(lambda d: b' ' + d + b' '),
    st.tuples(DIGITS, DIGITS).map(b', '.join),
    DIGITS.map(lambda d: d + b', ' + d),
    st.sampled_from([b'', b'-1', b'+5', b'0x10', b'1e3', b'5 5',
                     b'9' * 20, b'9' * 5000, b'\xd9\xa3', b'\xb2']))
ENCODING_VALUE = st.sampled_from([
    b'chunked', b'Chunked', b' chunked ', b'gzip, chunked', b'chunked, gzip',
    b'chunked, chunked', b'identity', b'chunked;q=1', b'', b',chunked',
    b'gzip'])
HEADER = st.one_of(
    st.tuples(st.just(b'Host'), st.sampled_from([b'h', b'', b'a b'])),
    st.tuples(st.just(b'Content-Length'), LENGTH_VALUE),
    st.tuples(st.just(b'Transfer-Encoding'), ENCODING_VALUE),
    st.tuples(st.just(b'Connection'),
              st.sampled_from([b'close', b'keep-alive', b'Upgrade',
                               b'close, keep-alive', b''])),
    st.tuples(st.just(b'Expect'),
              st.sampled_from([b'100-continue', b'100-Continue',
                               b'nothing', b''])),
    st.tuples(st.sampled_from([b'X-A', b'Cookie', b'Bad Name', b'', b'X:Y',
                               b' Leading', b'X\x00']),
              st.binary(max_size=12)),
    st.tuples(st.binary(min_size=1, max_size=8), st.binary(max_size=8)),
)
HEX = st.one_of(
    st.integers(0, 40).map(lambda n: ('%x' % n).encode('ascii')),
    st.integers(0, 40).map(lambda n: ('%X' % n).encode('ascii')),
    st.integers(0, 40).map(lambda n: ('000%x' % n).encode('ascii')),
    st.sampled_from([b'', b'g', b'-1', b'0x5', b'f' * 17, b'1' * 5000]))
EXTENSION = weighted(b'', b';a=b', b';a="q;\\"x"', b'; a', b';;', b';\x00',
                     b' ;x', b'\t', b';' + b'x' * 100)
TRAILER = weighted(b'Trailer: x', b'X', b': y', b'\x00', b' folded',
                   b'T: ' + b'x' * 100)


@st.composite
def chunked_body(draw):
    """A chunked body, sometimes with a wrong size, extensions and
    trailers, sometimes without its end."""
    out = []
    for data in draw(st.lists(st.binary(min_size=1, max_size=30),
                              max_size=4)):
        size = ('%x' % len(data)).encode('ascii')
        if draw(st.integers(0, 9)) == 0:
            size = draw(HEX)
        out.append(size + draw(EXTENSION) + draw(EOL) + data + draw(EOL))
    if draw(st.integers(0, 9)):
        out.append(b'0' + draw(EXTENSION) + draw(EOL))
        for trailer in draw(st.lists(TRAILER, max_size=3)):
            out.append(trailer + draw(EOL))
        out.append(draw(EOL))
    return b''.join(out)


@st.composite
def request(draw):
    """One request, mostly well formed, with its body framed by what its
    headers say (or not)."""
    line = draw(METHOD) + draw(SP) + draw(TARGET) + draw(SP) + draw(VERSION)
    headers = draw(st.lists(HEADER, max_size=6))
    if draw(st.booleans()):
        headers.insert(draw(st.integers(0, len(headers))), (b'Host', b'h'))
    head = [line + draw(EOL)]
    for name, value in headers:
        head.append(name + b':' + draw(weighted(b' ', b'', b'\t', b'  ')) +
                    value + draw(EOL))
        if draw(st.integers(0, 19)) == 0:  # obsolete line folding
            head.append(draw(st.sampled_from([b' ', b'\t'])) +
                        draw(st.binary(max_size=6)) + draw(EOL))
    head.append(draw(EOL))
    names = [name.lower() for name, _ in headers]
    if b'transfer-encoding' in names:
        body = draw(chunked_body())
    elif b'content-length' in names:
        body = draw(st.binary(max_size=40))
    else:
        body = b''
    return b''.join(head) + body


@st.composite
def mutated(draw, base):
    """*base* with a few bytes deleted, inserted or replaced."""
    data = bytearray(draw(base))
    for _ in range(draw(st.integers(0, 4))):
        where = draw(st.integers(0, len(data)))
        action = draw(st.integers(0, 2))
        if action == 0:
            del data[where:where + draw(st.integers(1, 8))]
        elif action == 1:
            data[where:where] = draw(st.one_of(
                st.sampled_from([b'\r\n', b'\n', b'\r', b'\x00', b' ', b':',
                                 b';', b'0', b'\r\n\r\n', b'9' * 30]),
                st.binary(min_size=1, max_size=6)))
        elif data:
            data[min(where, len(data) - 1)] = draw(st.integers(0, 255))
    return bytes(data)


PIPELINE = st.lists(request(), min_size=1, max_size=3).map(b''.join)
STREAM = st.one_of(mutated(PIPELINE), PIPELINE)
#: Bytes made of the pieces requests are made of, in any order.
JUMBLE = st.lists(st.one_of(
    st.sampled_from([b'GET', b'POST', b' ', b'/', b'HTTP/1.1', b'HTTP/1.0',
                     b'\r\n', b'\n', b'\r', b':', b'Host: h',
                     b'Content-Length: ', b'Transfer-Encoding: chunked',
                     b'5', b'0', b'\r\n\r\n', b';x=y', b'\x00', b'\t']),
    st.binary(max_size=3)), max_size=40).map(b''.join)
LIMITS = st.builds(Limits, max_line=st.integers(4, 120),
                   max_headers=st.integers(0, 8),
                   max_body=st.integers(0, 200),
                   max_head=st.integers(8, 300))


@fuzz_settings()
@given(st.binary(max_size=400))
def test_random_bytes_give_events_or_one_refusal(data):
    check_grammar(run([data]))


@fuzz_settings()
@given(JUMBLE, st.lists(st.integers(0, 400), max_size=8))
def test_jumbled_request_pieces_give_the_same_events_however_split(
        data, cuts):
    whole = run([data])
    check_grammar(whole)
    assert run(pieces(data, cuts)) == whole


@fuzz_settings(scale=1.5)
@given(STREAM, st.lists(st.integers(0, 2000), max_size=10))
def test_mutated_requests_give_the_same_events_however_split(data, cuts):
    whole = run([data])
    check_grammar(whole)
    assert run(pieces(data, cuts)) == whole


@fuzz_settings()
@given(STREAM, LIMITS, st.lists(st.integers(0, 2000), max_size=10))
def test_every_limit_refuses_cleanly_and_bounds_the_buffer(data, limits,
                                                           cuts):
    whole = run([data], limits)
    check_grammar(whole, limits)
    assert run(pieces(data, cuts), limits) == whole


@fuzz_settings(scale=0.3)
@given(STREAM.filter(lambda data: len(data) <= 300))
def test_a_request_split_at_every_position_gives_the_same_events(data):
    whole = run([data])
    for cut in range(1, len(data)):
        assert run([data[:cut], data[cut:]]) == whole, cut
    assert run([data[i:i + 1] for i in range(len(data))]) == whole


@fuzz_settings()
@given(st.lists(request(), min_size=1, max_size=3))
def test_well_formed_pipelined_requests_are_all_read(requests):
    """Requests whose every part is valid are read one by one, or the
    first invalid one is refused: never a request read from the middle of
    another."""
    got = run([b''.join(requests)])
    check_grammar(got)
    assert len([e for e in got if e[0] == 'request']) <= len(requests)


def test_a_huge_content_length_or_chunk_size_is_refused_not_converted():
    for data in (
            b'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ' +
            b'9' * 5000 + b'\r\n\r\n',
            b'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n'
            b'\r\n' + b'f' * 5000 + b'\r\n'):
        assert run([data])[-1][:2] == ('rejected', 400)


# -- the response side --------------------------------------------------------
TOKEN = st.text(alphabet=u"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
                u'ABCDEFGHIJKLMNOPQRSTUVWXYZ', min_size=1, max_size=12)
#: One-line header values: any text but CR, LF and NUL.
VALUE = st.text(st.characters(min_codepoint=1, max_codepoint=0x10ffff)
                .filter(lambda c: c not in u'\r\n' and not
                        0xd800 <= ord(c) <= 0xdfff), max_size=20)
OTHER_NAMES = TOKEN.filter(lambda name: name.lower() not in (
    'content-length', 'transfer-encoding', 'connection', 'date', 'server'))
REQUESTS = {
    'GET': b'GET / HTTP/1.1\r\nHost: h\r\n\r\n',
    'HEAD': b'HEAD / HTTP/1.1\r\nHost: h\r\n\r\n',
    'POST': b'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi',
    'GET/1.0': b'GET / HTTP/1.0\r\n\r\n',
}


def connection_for(kind):
    """A connection that has read one request of *kind* whole."""
    conn = ServerConnection()
    conn.receive_data(REQUESTS[kind])
    while conn.next_event() not in (PAUSED, NEED_DATA):
        pass
    return conn


def wire(text):
    """A header value's bytes on the wire: latin-1 when it fits, else
    UTF-8."""
    try:
        return text.encode('latin-1')
    except UnicodeError:
        return text.encode('utf-8')


def read_back(data, method):
    """Parse response bytes strictly; return (status, header pairs as
    bytes, body)."""
    head, sep, rest = data.partition(b'\r\n\r\n')
    assert sep, data
    lines = head.split(b'\r\n')
    version, status, _ = lines[0].split(b' ', 2)
    assert version == b'HTTP/1.1'
    headers = [tuple(line.split(b': ', 1)) for line in lines[1:]]
    assert all(len(pair) == 2 for pair in headers), lines
    fields = dict((n.lower(), v) for n, v in headers)
    status = int(status)
    if method == 'HEAD' or status in (204, 304) or status < 200:
        assert rest == b''
        return status, headers, rest
    if fields.get(b'transfer-encoding') == b'chunked':
        body = []
        while True:
            size, sep, rest = rest.partition(b'\r\n')
            assert sep and re.match(b'^[0-9a-f]+$', size), rest
            size = int(size, 16)
            if size == 0:
                assert rest == b'\r\n'
                return status, headers, b''.join(body)
            body.append(rest[:size])
            assert rest[size:size + 2] == b'\r\n'
            rest = rest[size + 2:]
    if b'content-length' in fields:
        assert len(rest) == int(fields[b'content-length'])
    return status, headers, rest


def body_plan():
    """A body: bytes given whole, or None and pieces streamed after."""
    return st.one_of(
        st.tuples(st.binary(max_size=60), st.just([])),
        st.tuples(st.none(), st.lists(st.binary(max_size=30), max_size=4)))


@fuzz_settings()
@given(st.sampled_from(sorted(REQUESTS)),
       st.one_of(st.sampled_from([101, 200, 204, 206, 301, 304, 404, 500]),
                 st.integers(200, 599)),
       st.lists(st.tuples(OTHER_NAMES, VALUE), max_size=5),
       body_plan(), st.sampled_from(['none', 'length', 'chunked']),
       st.booleans())
def test_a_valid_response_reads_back_as_itself(kind, status, headers, plan,
                                               framing, closing):
    body, stream = plan
    content = body if body is not None else b''.join(stream)
    given_headers = list(headers)
    if framing == 'length':
        given_headers.append(('Content-Length', str(len(content))))
    elif framing == 'chunked':
        given_headers.append(('Transfer-Encoding', 'chunked'))
    conn = connection_for(kind)
    out = [conn.send_response(status, given_headers, body,
                              date='Mon, 01 Jan 2024 00:00:00 GMT',
                              server='fuzz', closing=closing)]
    out.extend(conn.send_data(piece) for piece in stream)
    out.append(conn.end_response())
    assert conn.short_by == 0
    got_status, got_headers, got_body = read_back(
        b''.join(out), 'HEAD' if kind == 'HEAD' else 'GET')
    assert got_status == status
    bodiless = kind == 'HEAD' or status < 200 or status in (204, 304)
    assert got_body == (b'' if bodiless else content)
    sent = [(n.lower(), v) for n, v in got_headers]
    for name, value in headers:
        assert (wire(name).lower(), wire(value)) in sent


def declared(value):
    """The Content-Length the connection should count, as documented:
    one whole number, else None."""
    text = value.strip()
    if text and all(c in u'0123456789' for c in text) and len(text) <= 19:
        return int(text)
    return None


@fuzz_settings()
@given(st.sampled_from(sorted(REQUESTS)), st.integers(100, 599),
       st.one_of(st.integers(0, 80).map(str),
                 st.integers(0, 80).map(lambda n: ' %d ' % n),
                 st.sampled_from([u'', u'x', u'-1', u'1e2', u'9' * 25,
                                  u'\u0663', u'\xb2', u'1,1']), VALUE),
       body_plan())
def test_a_body_over_its_content_length_raises_body_too_long_only(
        kind, status, length, plan):
    body, stream = plan
    conn = connection_for(kind)
    headers = [('Content-Length', length)]
    bodiless = status < 200 or status in (204, 304) or kind == 'HEAD'
    left = None if bodiless else declared(length)
    sent = 0
    pending = b'' if body is None else body
    try:
        conn.send_response(status, headers, body)
        sent += len(pending)
        if not (100 <= status < 200 and status != 101):
            for pending in stream:
                conn.send_data(pending)
                sent += len(pending)
            conn.end_response()
    except BodyTooLong:
        assert left is not None and sent + len(pending) > left
    except ValueError:
        if not known_bug(BUGS):
            raise
    else:
        assert left is None or sent <= left
        if left is not None and not 100 <= status < 200:
            assert conn.short_by == left - sent


@pytest.mark.parametrize('length', [u'\xb2', u'\u0663'],
                         ids=['superscript-two', 'arabic-indic-three'])
def test_a_content_length_of_unicode_digits_is_sent_without_a_count(length):
    conn = connection_for('GET')
    head = conn.send_response(200, [('Content-Length', length)])
    assert head.startswith(b'HTTP/1.1 200 OK\r\n')
    assert conn.send_data(b'xyzw') == b'xyzw'
