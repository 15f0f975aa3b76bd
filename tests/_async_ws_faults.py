"""What the asyncio WebSocket clients (websockets, aiohttp) make of a
misbehaving server, for test_websocket_clients.py.

Python 3 only (``async def``): imported only there.  Each function runs
its own event loop, bounds everything with ``asyncio.wait_for``, closes its
client, and returns the outcome as a short text: ``'OK'`` when the
expected message came, else the exception's class name (with the close
code for a closed connection) or, for aiohttp, which reports most ends as
messages, the message type.
"""
import asyncio
import inspect

from _async_streaming import _run

__all__ = ['websockets_outcome', 'aiohttp_outcome']

#: Keepalive settings used against a server that never answers pings.
KEEPALIVE = 0.2


def websockets_outcome(url, ssl, timeout, send, expect, keepalive=False,
                       open_timeout=None):
    """Connect with ``websockets`` (send *send* first, if any), receive
    one message and compare it with *expect*."""
    return _run(asyncio.wait_for(_websockets(
        url, ssl, send, expect, keepalive, open_timeout), timeout))


async def _websockets(url, ssl, send, expect, keepalive, open_timeout):
    import websockets
    kwargs = {'ssl': ssl} if ssl is not None else {}
    if keepalive:
        kwargs.update(ping_interval=KEEPALIVE, ping_timeout=KEEPALIVE)
    if open_timeout:
        if 'open_timeout' not in inspect.signature(
                websockets.connect.__init__).parameters and \
                'open_timeout' not in inspect.signature(
                    websockets.connect).parameters:
            return 'no open_timeout'  # websockets 9
        kwargs['open_timeout'] = open_timeout
    try:
        async with websockets.connect(url, close_timeout=1,
                                      **kwargs) as ws:
            if send is not None:
                await ws.send(send)
            message = await ws.recv()
            return 'OK' if message == expect else 'got %r' % (message,)
    except websockets.ConnectionClosed as exc:
        if hasattr(exc, 'rcvd'):
            code = exc.rcvd.code if exc.rcvd is not None else 1006
        else:  # websockets 9: the code, 1006 when none came
            code = exc.code
        return '%s %d' % (type(exc).__name__, code)
    except Exception as exc:
        return type(exc).__name__


def aiohttp_outcome(url, ssl, timeout, send, expect, keepalive=False,
                    open_timeout=None):
    """Connect with aiohttp (send *send* first, if any), receive one
    message and compare it with *expect*."""
    return _run(asyncio.wait_for(_aiohttp(
        url, ssl, send, expect, keepalive, open_timeout), timeout))


async def _aiohttp(url, ssl, send, expect, keepalive, open_timeout):
    import aiohttp
    kwargs = {'ssl': ssl} if ssl is not None else {}
    if keepalive:
        kwargs['heartbeat'] = KEEPALIVE
    session_kwargs = {}
    if open_timeout:
        session_kwargs['timeout'] = aiohttp.ClientTimeout(total=open_timeout)
    try:
        async with aiohttp.ClientSession(**session_kwargs) as session:
            async with session.ws_connect(url, **kwargs) as ws:
                if send is not None:
                    await ws.send_str(send)
                message = await ws.receive()
                if message.type in (aiohttp.WSMsgType.TEXT,
                                    aiohttp.WSMsgType.BINARY):
                    return 'OK' if message.data == expect else \
                        'got %r' % (message.data,)
                if message.type == aiohttp.WSMsgType.CLOSE:
                    return 'CLOSE %s' % (message.data,)  # the server's code
                if message.type == aiohttp.WSMsgType.ERROR:
                    return 'ERROR %s' % type(message.data).__name__
                return '%s %s' % (message.type.name, int(ws.close_code))
    except Exception as exc:
        return type(exc).__name__
