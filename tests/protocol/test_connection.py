"""The sans-IO HTTP/1.1 layer: bytes in, events out; a response in, bytes out.

No sockets here: every rule is checked by feeding bytes, whole and split at
every boundary, and by a fuzz test that mutates valid requests.
"""
import random

import pytest
import six

from httptestserver.protocol.connection import NEED_DATA, PAUSED, \
    ConnectionClosed, Data, EndOfMessage, Limits, Rejected, Request, \
    ServerConnection, check_header

try:
    import hypothesis
    from hypothesis import strategies
except ImportError:  # not installable on every interpreter
    hypothesis = None


def events(data, conn=None, eof=False, split=None):
    """Feed *data* (in pieces of *split* bytes) and collect every event,
    answering each complete request with an empty 200 as a server would."""
    conn = conn or ServerConnection()
    got = []
    pieces = [data] if split is None else [
        data[i:i + split] for i in range(0, len(data), split)]
    if eof:
        pieces.append(b'')
    for piece in pieces:
        conn.receive_data(piece)
        _drain(conn, got)
        if got and got[-1][0] in ('rejected', 'closed'):
            break  # the connection is over; a server reads no more
    return got


def _drain(conn, got):
    for _ in six.moves.range(10000):
        event = conn.next_event()
        if event is NEED_DATA:
            return
        if event is PAUSED:
            conn.send_response(200, [], b'')
            conn.start_next_cycle()
            continue
        got.append(summary(event))
        if isinstance(event, (Rejected, ConnectionClosed)):
            if isinstance(event, Rejected):
                conn.send_response(event.status, [], b'')
                conn.start_next_cycle()
            return
    raise AssertionError('no end of events')


def summary(event):
    """An event as plain data; Data pieces are merged by merged()."""
    if isinstance(event, Request):
        return ('request', event.method, event.target, event.version,
                tuple(event.headers))
    if isinstance(event, Data):
        return ('data', event.data)
    if isinstance(event, EndOfMessage):
        return ('end',)
    if isinstance(event, Rejected):
        return ('rejected', event.status, event.message)
    return ('closed', event.clean)


def merged(got):
    out = []
    for item in got:
        if item[0] == 'data' and out and out[-1][0] == 'data':
            out[-1] = ('data', out[-1][1] + item[1])
        else:
            out.append(item)
    return out


GET = b'GET /a?x=1 HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n'
POST = (b'POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello')
CHUNKED = (b'PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n'
           b'3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: x\r\n\r\n')

#: Valid and invalid requests whose events must not depend on how their
#: bytes are split.
CORPUS = [
    GET, POST, CHUNKED, GET + POST + CHUNKED,
    b'\r\n' + GET,
    b'GET / HTTP/1.0\n\n',
    b'GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n  folded\r\n\r\n',
    b'GET / HTTP/2.0\r\nHost: h\r\n\r\n',
    b'GET /\x00 HTTP/1.1\r\nHost: h\r\n\r\n',
    b'GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n',
    b'GET / HTTP/1.1\r\n\r\n',
    b'BAD\r\n\r\n',
    b'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 2\r\n\r\n',
    b'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n',
    b'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    b'POST / HTTP/1.1\r\nHost: h\r\nExpect: nothing\r\n\r\n',
    b'GET / HTTP/1.1\r\nHost: h\r\n' + b'X: y\r\n' * 120 + b'\r\n',
    b'GET /' + b'a' * 70000 + b' HTTP/1.1\r\n\r\n',
    b'GET / HTTP/1.1\r\nHost: h\r\nX: ' + b'a' * 70000 + b'\r\n\r\n',
    b'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nshort',
]


def test_a_get_gives_its_head_then_the_end():
    assert events(GET) == [
        ('request', 'GET', '/a?x=1', 'HTTP/1.1',
         (('Host', 'h'), ('Accept', '*/*'))),
        ('end',)]


def test_a_body_by_content_length_and_chunked_is_delivered_whole():
    assert merged(events(POST))[1:] == [('data', b'hello'), ('end',)]
    assert merged(events(CHUNKED))[1:] == [('data', b'abcde'), ('end',)]


def test_pipelined_requests_come_one_after_the_other():
    got = merged(events(GET + POST + CHUNKED))
    assert [e[1] for e in got if e[0] == 'request'] == ['GET', 'POST', 'PUT']


@pytest.mark.parametrize('data', CORPUS,
                         ids=[str(i) for i in range(len(CORPUS))])
def test_the_same_bytes_split_anywhere_give_the_same_events(data):
    whole = merged(events(data, eof=True))
    for split in (1, 2, 3, 7, 64, 1000):
        assert merged(events(data, eof=True, split=split)) == whole, split


def test_a_request_line_of_exactly_max_line_bytes_is_accepted():
    limits = Limits(max_line=40)
    line = b'GET /' + b'a' * (40 - len(b'GET / HTTP/1.1')) + b' HTTP/1.1'
    assert len(line) == 40
    ok = events(line + b'\r\nHost: h\r\n\r\n', ServerConnection(limits))
    assert ok[0][0] == 'request'
    long = events(line[:5] + b'b' + line[5:] + b'\r\nHost: h\r\n\r\n',
                  ServerConnection(limits))
    assert long[0][:2] == ('rejected', 414)


def test_header_limits_answer_431():
    limits = Limits(max_line=40, max_headers=3)
    ok = b'GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n'
    assert events(ok, ServerConnection(limits))[0][0] == 'request'
    many = b'GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n'
    assert events(many, ServerConnection(limits))[0][:2] == ('rejected', 431)
    longer = b'GET / HTTP/1.1\r\nHost: ' + b'h' * 40 + b'\r\n\r\n'
    assert events(longer, ServerConnection(limits))[0][:2] == \
        ('rejected', 431)


def test_a_body_over_max_body_answers_413_before_it_is_read():
    conn = ServerConnection(Limits(max_body=4))
    got = events(b'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n',
                 conn)
    assert got[0][:2] == ('rejected', 413)


@pytest.mark.parametrize('head', [
    b'GET /a\x00b HTTP/1.1\r\nHost: h\r\n\r\n',
    b'GET /a\rb HTTP/1.1\r\nHost: h\r\n\r\n',
    b'GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n',
    b'GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n',
], ids=['nul-in-target', 'cr-in-target', 'nul-in-value', 'cr-in-value'])
def test_nul_and_bare_cr_in_the_head_answer_400(head):
    got = events(head)
    assert got[0][:2] == ('rejected', 400)
    assert 'bare CR or a NUL' in got[0][2]


def test_the_request_line_splits_on_ascii_whitespace_only():
    # U+00A0 in UTF-8 ends with the byte a0, which latin-1 text calls a
    # space: the target must come through byte for byte.
    conn = ServerConnection()
    conn.receive_data(b'GET /voil\xc3\xa0 HTTP/1.1\r\nHost: h\r\n\r\n')
    request = conn.next_event()
    assert isinstance(request, Request)
    raw = request.target if isinstance(request.target, bytes) else \
        request.target.encode('latin-1')
    assert raw == b'/voil\xc3\xa0'


def test_chunked_body_from_an_http10_client_closes_after_the_response():
    conn = ServerConnection()
    conn.receive_data(b'POST / HTTP/1.0\r\nConnection: keep-alive\r\n'
                      b'Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n')
    while conn.next_event() is not PAUSED:
        pass
    head = conn.send_response(200, [], b'ok')
    assert b'Connection: close' in head
    conn.start_next_cycle()
    assert not conn.keep_alive
    assert isinstance(conn.next_event(), ConnectionClosed)


def test_both_framings_are_read_chunked_then_closed():
    conn = ServerConnection()
    conn.receive_data(b'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n'
                      b'Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n')
    got = []
    _drain(conn, got)  # answers the request, then finds the connection shut
    assert merged(got)[1:] == [('data', b'a'), ('end',), ('closed', True)]
    assert not conn.keep_alive


def test_100_continue_is_offered_once_and_only_when_the_body_is_awaited():
    conn = ServerConnection()
    conn.receive_data(b'POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n'
                      b'Content-Length: 2\r\n\r\n')
    assert isinstance(conn.next_event(), Request)
    assert conn.next_event() is NEED_DATA
    assert conn.they_are_waiting_for_100_continue
    assert conn.send_continue() == b'HTTP/1.1 100 Continue\r\n\r\n'
    assert not conn.they_are_waiting_for_100_continue
    assert conn.send_continue() == b''


def test_a_client_that_closes_mid_request_is_not_clean():
    assert events(b'GET / HTTP/1.1\r\nHo', eof=True) == [('closed', False)]
    assert events(POST[:-2], eof=True)[-1] == ('closed', False)
    assert events(b'', eof=True) == [('closed', True)]


def response_to(request_bytes, *args, **kws):
    conn = ServerConnection()
    conn.receive_data(request_bytes)
    while conn.next_event() is not PAUSED:
        pass
    return conn, conn.send_response(*args, **kws)


def test_a_response_gets_date_server_and_content_length():
    conn, head = response_to(GET, 200, [('X', '1')], b'hi', date='D',
                             server='S')
    assert head == (b'HTTP/1.1 200 OK\r\nX: 1\r\nDate: D\r\nServer: S\r\n'
                    b'Content-Length: 2\r\n\r\nhi')
    conn.start_next_cycle()
    assert conn.keep_alive


@pytest.mark.parametrize('status', [204, 304])
def test_bodiless_statuses_send_no_body_and_no_length(status):
    _, head = response_to(GET, status, [], b'ignored')
    assert head.endswith(b'\r\n\r\n') and b'ignored' not in head
    assert b'Content-Length' not in head


def test_head_gets_the_length_of_the_body_it_does_not_get():
    conn, head = response_to(b'HEAD / HTTP/1.1\r\nHost: h\r\n\r\n', 200, [],
                             b'four')
    assert b'Content-Length: 4\r\n' in head and head.endswith(b'\r\n\r\n')
    assert conn.send_data(b'more') == b''


def test_a_streamed_body_is_chunked_for_http11_and_delimited_for_http10():
    conn, head = response_to(GET, 200, [], None)
    assert b'Transfer-Encoding: chunked' in head
    assert conn.send_data(b'abc') == b'3\r\nabc\r\n'
    assert conn.send_data(b'') == b''
    assert conn.end_response() == b'0\r\n\r\n'
    conn10, head10 = response_to(b'GET / HTTP/1.0\r\n\r\n', 200, [], None)
    assert b'Connection: close' in head10 and b'chunked' not in head10
    assert conn10.send_data(b'abc') == b'abc'


def test_an_interim_response_keeps_the_exchange_open():
    conn, head = response_to(GET, 103, [('Link', '</a>')], None)
    assert head == b'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n'
    final = conn.send_response(200, [], b'')
    assert final.startswith(b'HTTP/1.1 200 OK\r\n')


def test_connection_close_either_way_closes_after_the_response():
    conn, head = response_to(b'GET / HTTP/1.1\r\nHost: h\r\n'
                             b'Connection: close\r\n\r\n', 200, [], b'')
    assert b'Connection: close' in head and not conn.keep_alive
    conn, head = response_to(GET, 200, [('Connection', 'close')], b'')
    assert not conn.keep_alive


def test_an_unknown_status_has_no_reason_but_keeps_the_space():
    _, head = response_to(GET, 599, [], b'')
    assert head.startswith(b'HTTP/1.1 599 \r\n')


@pytest.mark.parametrize('name, value', [
    ('X-Evil', 'a\r\nSet-Cookie: stolen=1'), ('X-Evil', 'a\nb'),
    ('X-Evil', 'a\x00b'), ('Bad Name', 'v'), ('X:Y', 'v'), ('', 'v'),
])
def test_a_header_that_could_inject_another_is_refused(name, value):
    assert check_header(name, value) is not None
    with pytest.raises(ValueError) as info:
        response_to(GET, 200, [(name, value)], b'')
    assert repr(name)[1:-1] in str(info.value) or name in str(info.value)


def test_ordinary_headers_pass_the_check():
    assert check_header('Content-Type', 'text/html; charset=utf-8') is None
    assert check_header(b'X-Bytes', b'\xe9t\xe9') is None


# -- fuzz: whatever a client sends, events or one clean 4xx, never a crash --

def check_any_input(data):
    for split in (None, 1, 5):
        got = events(data, eof=True, split=split)
        kinds = [item[0] for item in got]
        assert kinds.count('rejected') <= 1
        for item in got:
            if item[0] == 'rejected':
                assert 400 <= item[1] < 600 and item[1] != 500
        if 'rejected' in kinds:
            assert kinds[-1] == 'rejected'
    assert merged(events(data, eof=True, split=1)) == \
        merged(events(data, eof=True))


def mutate(rng, data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.random()
        where = rng.randint(0, len(data))
        if choice < 0.3 and data:
            del data[where:where + rng.randint(1, 8)]
        elif choice < 0.6:
            data[where:where] = bytes(bytearray(
                rng.choice(b'\r\n :\x00\t;0aZ\xff') for _ in
                range(rng.randint(1, 6))))
        elif data:
            index = min(where, len(data) - 1)
            data[index] = rng.randint(0, 255)
    return bytes(data)


def test_seeded_mutations_of_valid_requests_never_crash_the_parser():
    rng = random.Random(20261130)
    seeds = [GET, POST, CHUNKED, GET + POST]
    for _ in range(600):
        check_any_input(mutate(rng, rng.choice(seeds)))


if hypothesis is not None:
    @hypothesis.settings(max_examples=300, deadline=None)
    @hypothesis.given(strategies.binary(max_size=300))
    def test_any_bytes_give_events_or_one_clean_4xx(data):
        check_any_input(data)

    @hypothesis.settings(max_examples=300, deadline=None)
    @hypothesis.given(strategies.sampled_from([GET, POST, CHUNKED]),
                      strategies.lists(strategies.tuples(
                          strategies.integers(0, 200),
                          strategies.binary(max_size=4)), max_size=4))
    def test_valid_requests_with_bytes_spliced_in_never_crash(base, edits):
        data = base
        for where, insert in edits:
            data = data[:where] + insert + data[where:]
        check_any_input(data)
