"""Drive httpx's AsyncClient and aiohttp with plain asyncio, for test_clients.

Python 3.8+ only (``async def``): ``test_clients`` imports it only there, so
the test module itself stays valid Python 2.7.  Each function runs its own
event loop with :func:`asyncio.run`, so no pytest-asyncio is needed, closes
its client before returning, and gives every request *timeout*.  httpx and
aiohttp are imported inside the functions: the caller skips first when they
are not installed.

Every function returns ``(status, headers, body)`` tuples, in request order,
with ``headers`` a plain dict with lower-cased names.
"""
import asyncio

__all__ = ['httpx_fetch', 'aiohttp_fetch']


def httpx_fetch(requests, verify, timeout):
    """Send *requests* at once with one ``httpx.AsyncClient``.

    *requests* is a list of ``(method, url, kwargs)``; *verify* goes to the
    client as is (an ``ssl.SSLContext``, or True for httpx's default trust).
    Also returns each response's ``http_version`` as a fourth item.
    """
    return asyncio.run(_httpx_fetch(requests, verify, timeout))


async def _httpx_fetch(requests, verify, timeout):
    import httpx

    async def one(client, method, url, kwargs):
        response = await client.request(method, url, **kwargs)
        return (response.status_code, _lower(response.headers.items()),
                response.content, response.http_version)

    async with httpx.AsyncClient(verify=verify, timeout=timeout) as client:
        return await asyncio.gather(*[one(client, method, url, kwargs)
                                      for method, url, kwargs in requests])


def aiohttp_fetch(requests, ssl, timeout):
    """Send *requests* at once with one ``aiohttp.ClientSession``.

    *requests* is a list of ``(method, url, kwargs)``; *ssl* is the
    ``ssl.SSLContext`` to trust, or None for aiohttp's default.
    """
    return asyncio.run(_aiohttp_fetch(requests, ssl, timeout))


async def _aiohttp_fetch(requests, ssl, timeout):
    import aiohttp

    async def one(session, method, url, kwargs):
        if ssl is not None:
            kwargs = dict(kwargs, ssl=ssl)
        async with session.request(method, url, **kwargs) as response:
            body = await response.read()
            return response.status, _lower(response.headers.items()), body

    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(timeout=client_timeout) as session:
        return await asyncio.gather(*[one(session, method, url, kwargs)
                                      for method, url, kwargs in requests])


def _lower(items):
    return dict((name.lower(), value) for name, value in items)
