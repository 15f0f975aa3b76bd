"""The route tests run against both servers: in the test's process (a
thread) and in a child process (:class:`~httptestserver.ChildServer`,
driven over its control API), each over HTTP and HTTPS, so a declarative
route behaves the same on both sides.

A test module imports the fixtures (``from _both_sides import
fixture_server, ...``); each is registered under the name after
``fixture_``, so that the import does not shadow it (flake8's F811).  A
child costs a fresh interpreter, so each test module shares one per
scheme, reset before each test and checked after it.  A test of what only
the thread has (a callable, a generator) skips on a child with
:func:`thread_only`, saying why.
"""
import pytest

import httptestserver


@pytest.fixture(scope='module', name='children')
def fixture_children():
    """The module's child servers, by scheme, started when first asked."""
    children = {}
    try:
        yield children
    finally:
        for child in children.values():
            child.stop()


@pytest.fixture(params=['thread', 'child'], name='side')
def fixture_side(request):
    return request.param


@pytest.fixture(name='server')
def fixture_server(scheme, side, children):
    """A started server for *scheme*, in a thread or a child process,
    checked afterwards (a test that leaves an unexpected request or a
    server-side error unclaimed fails)."""
    if side == 'thread':
        srv = httptestserver.Server(scheme=scheme).start()
        try:
            yield srv
        finally:
            srv.stop()
        srv.check()
        return
    child = children.get(scheme)
    if child is None or not child.running:
        child = children[scheme] = httptestserver.ChildServer(scheme=scheme)
    child.reset()
    yield child
    child.check()


def thread_only(server, why):
    """Skip the test on a child server, saying *why*."""
    if isinstance(server, httptestserver.ChildServer):
        pytest.skip('in-thread only: %s' % why)
