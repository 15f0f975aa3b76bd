"""Drive asyncio clients (websockets, aiohttp) for test_websocket / test_sse.

Python 3 only (``async def``): the test modules import it only there, so they
stay valid Python 2.7.  Each function runs its own event loop (no
pytest-asyncio), closes its client before returning, and bounds everything
with ``asyncio.wait_for(..., timeout)``.  The client libraries are imported
inside the functions: callers skip first when they are not installed.
"""
import asyncio

__all__ = ['websockets_talk', 'aiohttp_ws_talk', 'aiohttp_sse_lines']


def _run(coroutine):
    loop = asyncio.new_event_loop()  # asyncio.run is 3.7+; 3.6 is tested
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


def websockets_talk(url, ssl, timeout, messages, subprotocols=None):
    """Connect with ``websockets``, send each of *messages*, receive one
    message after each, then close; return ``(received, subprotocol)``."""
    return _run(asyncio.wait_for(
        _websockets_talk(url, ssl, messages, subprotocols), timeout))


async def _websockets_talk(url, ssl, messages, subprotocols):
    import websockets
    kwargs = {}
    if ssl is not None:
        kwargs['ssl'] = ssl
    if subprotocols:
        kwargs['subprotocols'] = subprotocols
    received = []
    async with websockets.connect(url, **kwargs) as ws:
        for message in messages:
            await ws.send(message)
            received.append(await ws.recv())
        return received, ws.subprotocol


def websockets_close_code(url, ssl, timeout, message):
    """Send *message* with ``websockets`` and return the close code and
    reason the server closes with."""
    return _run(asyncio.wait_for(_websockets_close(url, ssl, message),
                                 timeout))


async def _websockets_close(url, ssl, message):
    import websockets
    kwargs = {'ssl': ssl} if ssl is not None else {}
    async with websockets.connect(url, **kwargs) as ws:
        await ws.send(message)
        try:
            while True:
                await ws.recv()
        except websockets.ConnectionClosed:
            pass
        return ws.close_code, ws.close_reason


def aiohttp_ws_talk(url, ssl, timeout, messages):
    """Connect with aiohttp, send each of *messages* and receive one reply
    after each; ping; return the replies."""
    return _run(asyncio.wait_for(_aiohttp_ws_talk(url, ssl, messages),
                                 timeout))


async def _aiohttp_ws_talk(url, ssl, messages):
    import aiohttp
    kwargs = {'ssl': ssl} if ssl is not None else {}
    received = []
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url, autoping=True, **kwargs) as ws:
            for message in messages:
                if isinstance(message, bytes):
                    await ws.send_bytes(message)
                else:
                    await ws.send_str(message)
                reply = await ws.receive()
                received.append(reply.data)
            await ws.close()
    return received


def aiohttp_sse_lines(url, ssl, timeout):
    """GET *url* with aiohttp and return the body's lines and the
    Content-Type."""
    return _run(asyncio.wait_for(_aiohttp_sse_lines(url, ssl), timeout))


async def _aiohttp_sse_lines(url, ssl):
    import aiohttp
    kwargs = {'ssl': ssl} if ssl is not None else {}
    lines = []
    async with aiohttp.ClientSession() as session:
        async with session.get(url, **kwargs) as response:
            async for line in response.content:
                lines.append(line.decode('utf-8').rstrip('\n'))
            return lines, response.headers['Content-Type']


def websockets_deflate_echo(url, ssl, timeout, messages, params):
    """Send each of *messages* with ``websockets`` offering
    permessage-deflate with *params* (none: the client's default offer)
    and receive one reply after each; return ``(replies, the names of the
    extensions in use)``."""
    return _run(asyncio.wait_for(
        _websockets_deflate_echo(url, ssl, messages, params), timeout))


async def _websockets_deflate_echo(url, ssl, messages, params):
    import websockets
    from websockets.extensions.permessage_deflate import \
        ClientPerMessageDeflateFactory
    kwargs = {'ssl': ssl} if ssl is not None else {}
    if params:
        kwargs['extensions'] = [ClientPerMessageDeflateFactory(**params)]
        kwargs['compression'] = None
    received = []
    async with websockets.connect(url, max_size=None, **kwargs) as ws:
        for message in messages:
            await ws.send(message)
            received.append(await ws.recv())
        # websockets 14+ keeps them on its protocol; the legacy client (up
        # to 13, on Python 3.6-3.8 here) on itself.
        state = getattr(ws, 'protocol', None)
        extensions = [type(e).__name__ for e in
                      getattr(state, 'extensions', None) or ws.extensions]
    return received, extensions


def aiohttp_deflate_echo(url, ssl, timeout, messages):
    """Send each of *messages* with aiohttp offering permessage-deflate
    (``compress=15``; its default is not to) and receive one reply after
    each; return ``(replies, the compress value agreed)``."""
    return _run(asyncio.wait_for(_aiohttp_deflate_echo(url, ssl, messages),
                                 timeout))


async def _aiohttp_deflate_echo(url, ssl, messages):
    import aiohttp
    kwargs = {'ssl': ssl} if ssl is not None else {}
    received = []
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url, compress=15, max_msg_size=0,
                                      **kwargs) as ws:
            for message in messages:
                if isinstance(message, bytes):
                    await ws.send_bytes(message)
                else:
                    await ws.send_str(message)
                received.append((await ws.receive()).data)
            compress = ws.compress
            await ws.close()
    return received, compress
