"""Protocol events and limits: plain data with readable reprs."""
from httptestserver.protocol.events import NEED_DATA, PAUSED, \
    ConnectionClosed, Data, EndOfMessage, Limits, Rejected, Request, native


def test_limits_have_the_documented_defaults():
    limits = Limits()
    assert limits.max_line == 65536
    assert limits.max_headers == 100
    assert limits.max_body == 64 * 1024 * 1024
    assert limits.max_head == 128 * 1024


def test_limits_take_each_limit_as_an_argument():
    limits = Limits(max_line=10, max_headers=2, max_body=3, max_head=40)
    assert (limits.max_line, limits.max_headers, limits.max_body,
            limits.max_head) == (10, 2, 3, 40)


def test_max_head_can_be_set_alone():
    limits = Limits(max_head=1024)
    assert limits.max_head == 1024
    assert limits.max_line == 65536


def test_the_sentinels_repr_as_their_names():
    assert repr(NEED_DATA) == 'NEED_DATA'
    assert repr(PAUSED) == 'PAUSED'
    assert NEED_DATA is not PAUSED


def test_a_request_reprs_as_its_request_line():
    request = Request('GET', '/a?b=1', 'HTTP/1.1', 'GET /a?b=1 HTTP/1.1',
                      [('Host', 'x')], b'GET /a?b=1 HTTP/1.1\r\n\r\n')
    assert repr(request) == "<Request %r>" % ('GET /a?b=1 HTTP/1.1',)
    assert not request.expect_continue and not request.has_body


def test_data_reprs_as_its_length():
    assert repr(Data(b'12345')) == '<Data 5 bytes>'


def test_end_of_message_repr():
    assert repr(EndOfMessage()) == '<EndOfMessage>'


def test_rejected_reprs_its_status_and_message():
    rejected = Rejected(431, 'too many headers', None)
    assert repr(rejected) == "<Rejected 431 %r>" % ('too many headers',)


def test_connection_closed_reprs_whether_it_was_clean():
    assert repr(ConnectionClosed(True)) == '<ConnectionClosed clean=True>'
    assert repr(ConnectionClosed(False)) == '<ConnectionClosed clean=False>'


def test_native_turns_wire_bytes_into_the_native_str():
    value = native(b'caf\xe9')
    assert type(value) is str
    assert value in (b'caf\xe9', u'caf\xe9')
