"""wait_async: waiting for requests from asyncio without blocking the loop.

Written without ``async def`` (the module must stay valid Python 2.7): each
scenario builds futures on a fresh running loop, and requests are sent by a
callback-style asyncio client on that same loop, which can only make progress
while the loop is not blocked.
"""
import sys
import threading

import pytest

import httptestserver
from httptestserver.store.aio import wait_async
from conftest import TIMEOUT

PY2 = sys.version_info[0] == 2
py3_only = pytest.mark.skipif(PY2, reason='asyncio needs Python 3')


@pytest.fixture
def server():
    with httptestserver.http_server() as srv:
        yield srv


@py3_only
def test_wait_async_resumes_when_the_requests_arrive_without_blocking(
        server):
    import asyncio
    server.route('/hook', body=b'ok')

    def scenario():
        waiting = asyncio.ensure_future(wait_async(server, 2, path='/hook'))
        sending = asyncio.gather(_get(server, '/hook'), _get(server, '/hook'))
        return asyncio.gather(waiting, sending)

    entries, responses = _run_scenario(scenario)
    assert [e['path'] for e in entries] == ['/hook', '/hook']
    assert all(r.startswith(b'HTTP/1.1 200') for r in responses)


@py3_only
def test_wait_async_counts_requests_that_arrived_before(server):
    server.route('/early', body=b'ok')
    _run_scenario(lambda: _get(server, '/early'))
    entries = _run_scenario(lambda: wait_async(server, 1, method='GET',
                                               path='/early'))
    assert entries[0]['path'] == '/early'


@py3_only
def test_wait_async_raises_wait_timeout_listing_what_arrived(server):
    server.route('/other', body=b'ok')
    _run_scenario(lambda: _get(server, '/other'))
    with pytest.raises(httptestserver.WaitTimeout) as info:
        _run_scenario(lambda: wait_async(server, 1, path='/never',
                                         timeout=0.2))
    assert 'GET /other' in str(info.value)


@py3_only
def test_a_cancelled_wait_ends_its_thread_quietly_at_its_timeout(server):
    import asyncio
    before = set(threading.enumerate())

    def scenario():
        task = asyncio.ensure_future(wait_async(server, path='/never',
                                                timeout=0.3))
        loop = asyncio.get_event_loop()
        loop.call_soon(task.cancel)
        return asyncio.gather(task, return_exceptions=True)

    (outcome,) = _run_scenario(scenario)
    assert isinstance(outcome, asyncio.CancelledError)
    helpers = [t for t in set(threading.enumerate()) - before
               if 'wait-async' in t.name]
    for thread in helpers:
        thread.join(TIMEOUT)
        assert not thread.is_alive()


@py3_only
def test_awaiting_outside_asyncio_raises_a_clear_error(server):
    waiting = wait_async(server)
    with pytest.raises(httptestserver.ConfigurationError) as info:
        waiting.__await__()
    assert 'no asyncio event loop is running' in str(info.value)


@py3_only
@pytest.mark.parametrize('count, timeout', [(-1, 1), (True, 1), ('2', 1),
                                            (1, 'soon'), (1, -1)])
def test_bad_arguments_raise_at_once(server, count, timeout):
    with pytest.raises(httptestserver.ConfigurationError):
        wait_async(server, count, timeout=timeout)


@pytest.mark.skipif(not PY2, reason='Python 2 only')
def test_on_python_2_it_raises_and_points_at_wait(server):
    with pytest.raises(httptestserver.ConfigurationError) as info:
        wait_async(server)
    assert 'server.wait(' in str(info.value)


def _run_scenario(make):
    """Run the awaitable that *make()* returns, called on a running fresh
    event loop; give its result, bounded by TIMEOUT."""
    import asyncio
    loop = asyncio.new_event_loop()
    try:
        done = loop.create_future()

        def begin():
            try:
                future = asyncio.ensure_future(make())
            except BaseException as exc:
                done.set_exception(exc)
                return
            future.add_done_callback(lambda f: _copy(f, done))

        loop.call_soon(begin)
        return loop.run_until_complete(asyncio.wait_for(done, TIMEOUT))
    finally:
        loop.close()


def _copy(source, target):
    if source.cancelled():
        target.cancel()
    elif source.exception() is not None:
        target.set_exception(source.exception())
    else:
        target.set_result(source.result())


def _get(server, path):
    """``GET path`` over an asyncio connection: a future of the raw
    response.  It needs the event loop to run, so it hangs (and the test
    times out) if a wait blocks the loop."""
    import asyncio
    loop = asyncio.get_event_loop()
    done = loop.create_future()
    chunks = []
    request = ('GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
               % path).encode('ascii')

    class Client(asyncio.Protocol):
        def connection_made(self, transport):
            transport.write(request)

        def data_received(self, data):
            chunks.append(data)

        def connection_lost(self, exc):
            if not done.done():
                done.set_result(b''.join(chunks))

    connecting = asyncio.ensure_future(loop.create_connection(
        Client, server.host, server.port))
    connecting.add_done_callback(
        lambda f: f.exception() is not None and not done.done() and
        done.set_exception(f.exception()))
    return done


@py3_only
def test_the_server_method_is_the_same_wait(server):
    server.route('/m', body=b'ok')
    _run_scenario(lambda: _get(server, '/m'))
    entries = _run_scenario(lambda: server.wait_async(1, path='/m'))
    assert [e['path'] for e in entries] == ['/m']
