"""A response body and its Content-Length always agree on the wire.

A body shorter than the length it declared must close the connection (or
the next pipelined response would be read as the rest of the body, and the
client hang); a longer one is an error naming the route, never a silently
truncated or overlong body.
"""
import os

import pytest

from httptestserver import ConfigurationError, HandlerError, Response
from httptestserver.static.files import FileBody

from conftest import raw_connect
from rawhttp import RawConnection, request


def connect(server):
    return RawConnection(raw_connect(server))


def pipelined(server, path):
    """Send a request for *path* and one for /next on one connection;
    return the head and the body bytes of everything until the close."""
    with connect(server) as conn:
        conn.send(request('GET', path) + request('GET', '/next'))
        data = conn.read_until_closed()
    head, _, body = data.partition(b'\r\n\r\n')
    return head, body


@pytest.mark.parametrize('body', [lambda: b'abc', lambda: iter([b'a', b'bc'])],
                         ids=['bytes', 'streamed'])
def test_a_body_shorter_than_its_content_length_closes_the_connection(
        server, body):
    server.route('/short', headers={'Content-Length': '10'}, body=body())
    server.route('/next', body=b'NEXT')
    head, rest = pipelined(server, '/short')
    assert b'Content-Length: 10' in head
    assert rest == b'abc'  # and not the start of the next response
    assert [e['path'] for e in server.history] == ['/short']
    with pytest.raises(HandlerError) as info:
        server.check()
    message = str(info.value)
    assert '7 byte(s) short of its Content-Length' in message
    assert 'route GET /short' in message or 'route ANY /short' in message


def test_a_streamed_body_longer_than_its_content_length_is_an_error(server):
    server.route('/long', headers={'Content-Length': '2'},
                 body=iter([b'abcdef']))
    head, rest = pipelined(server, '/long')
    assert b'Content-Length: 2' in head
    assert rest == b''  # nothing past the head: no silent truncation
    with pytest.raises(HandlerError) as info:
        server.check()
    assert 'longer than its Content-Length' in str(info.value)
    assert '/long' in str(info.value)


def test_a_bytes_body_longer_than_its_content_length_answers_500(server):
    server.route('/long', headers={'Content-Length': '2'}, body=b'abcdef')
    with connect(server) as conn:
        response = conn.exchange(request('GET', '/long'))
    assert response.status == 500
    with pytest.raises(HandlerError) as info:
        server.check()
    assert 'longer than its Content-Length' in str(info.value)
    assert 'ConfigurationError' in str(info.value) or \
        isinstance(info.value.errors[0][1], ConfigurationError)


def test_a_file_that_shrank_closes_the_connection_without_an_error(
        server, tmp_path):
    path = os.path.join(str(tmp_path), 'f.bin')
    with open(path, 'wb') as out:
        out.write(b'0123456789')
    fileobj = open(path, 'rb')
    # As a mount answers: it measured 100 bytes; the file now holds 10.
    server.route('/f', lambda request_: Response(
        200, [('Content-Length', '100')], FileBody(fileobj, 0, 100)))
    server.route('/next', body=b'NEXT')
    head, rest = pipelined(server, '/f')
    assert rest == b'0123456789'
    server.check()  # the file's doing, not the test's: logged only
    assert fileobj.closed
