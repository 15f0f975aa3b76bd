"""The pytest plugin: fixtures that give each test its own started server.

Installed with the package as a ``pytest11`` entry point, so the fixtures
exist in every test run with nothing to import: ``http_server`` and
``https_server`` (a fresh started server per test), ``http_server_factory``
(any number of servers with any options), the ``http_server`` marker for
options, and :func:`shared_server` for one server per class, module or
session, reset before each test.  Every server a test uses is checked
(:meth:`~httptestserver.Server.check`) right after the test body, so a
handler error or an unexpected request fails *that* test, with the
server-side traceback in the report; servers are stopped at teardown.

This is the only module of the package that imports pytest (4.6 to 9.x).
"""
import logging
import sys
import weakref

import pytest
import six

from .errors import ConfigurationError, HttpTestServerError
from .helpers import start_server, start_ssl_server
from .server import Server

__all__ = ['shared_server', 'ServerFactory']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Callable, Dict, List  # noqa: F401

#: Item attribute: the servers to check when the test body has run.
_WATCHED = '_httptestserver_watched'
#: Node attribute: the servers :func:`shared_server` keeps on a scope node.
_SHARED = '_httptestserver_shared'

#: The keywords the fixtures, the marker and the factory accept.
OPTIONS = ('https', 'scheme', 'host', 'port', 'handler', 'certfile',
           'keyfile', 'client_cert', 'cafile', 'directory', 'process')
_SCOPES = ('class', 'module', 'session')


class _ReportedTracebacks(logging.Filter):
    """Shorten the server's log of an error a watched server holds for the
    test report, so the traceback is printed once: in the report."""

    users = 0  # the pytest sessions configured with it

    def filter(self, record):
        args = record.args
        if record.levelno >= logging.ERROR and isinstance(args, tuple) and \
                args and isinstance(args[-1], six.string_types) and any(
                    args[-1] is error[2] for server in list(_SERVERS)
                    for error in server.errors):
            record.msg = '%s (its traceback is in the test report)' % (
                record.getMessage().split('\n', 1)[0].rstrip(':'),)
            record.args = ()
        return True


#: The in-thread servers the plugin checks, for :class:`_ReportedTracebacks`.
_SERVERS = weakref.WeakSet()  # type: Any
_FILTER = _ReportedTracebacks()


def pytest_configure(config):
    # Counted: a pytester run configures and unconfigures inside ours.
    _FILTER.users += 1
    logging.getLogger('httptestserver').addFilter(_FILTER)
    config.addinivalue_line(
        'markers',
        'http_server(**options): options of the http_server and https_server '
        'fixtures: https=True, client_cert="required", host="::1", '
        'handler=MyHandler or any other httptestserver.Server keyword')


def pytest_unconfigure(config):
    _FILTER.users -= 1
    if _FILTER.users <= 0:
        logging.getLogger('httptestserver').removeFilter(_FILTER)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Check the test's servers as soon as its body ran.

    A server-side failure becomes the failure of the test's ``call`` phase
    (so it reads as a failed test, not a teardown error); when the test
    already failed on its own, the server's errors are added to its report
    as a section instead of hiding the test's own failure.
    """
    if call.when != 'call':
        return
    failures = []
    for server in item.__dict__.get(_WATCHED, ()):
        try:
            server.check()
        except Exception:
            failures.append(_exception_info())
    if not failures:
        return
    # unittest.TestCase items keep their failures in item._excinfo until
    # pytest's own (also tryfirst) hook moves them to call.excinfo.
    if call.excinfo is None and not getattr(item, '_excinfo', None):
        call.excinfo = failures.pop(0)
    for excinfo in failures:
        item.add_report_section('call', 'httptestserver errors',
                                excinfo.exconly())


def _failed(exc):
    """Our failure as pytest reports it: its message alone
    (``pytrace=False``).  It already holds the server's traceback; the
    frames of the plugin and of the check would only bury it."""
    failure = pytest.fail.Exception('%s: %s' % (type(exc).__name__, exc),
                                    pytrace=False)
    failure.__suppress_context__ = True  # the chain repeats the traceback
    return failure


def _exception_info():
    """The ``ExceptionInfo`` of the exception being handled, ours as
    :func:`_failed` words it."""
    exc = sys.exc_info()[1]
    if isinstance(exc, HttpTestServerError):
        try:
            raise _failed(exc)
        except pytest.fail.Exception:
            return _current_exception_info()
    return _current_exception_info()


def _reraise(exc_info):
    if isinstance(exc_info[1], HttpTestServerError):
        raise _failed(exc_info[1])
    six.reraise(*exc_info)


def _current_exception_info():
    if hasattr(pytest, 'ExceptionInfo'):
        return pytest.ExceptionInfo.from_current()
    from _pytest._code import ExceptionInfo  # pytest < 6.2 (Python 2)
    return ExceptionInfo.from_current()


def _watch(item, server):
    item.__dict__.setdefault(_WATCHED, []).append(server)
    if isinstance(server, Server):
        _SERVERS.add(server)


def server_arguments(options, https=None):
    # type: (Dict[str, Any], Any) -> Dict[str, Any]
    """Turn fixture *options* into :class:`~httptestserver.Server` keywords.

    ``https=True`` is short for ``scheme='https'``; *https* (the fixture's
    own scheme, or None) must agree with what the options say.  Raises
    :class:`ConfigurationError` naming an unknown or contradicting option.
    """
    if not isinstance(options, dict):
        raise ConfigurationError(
            'server options must be a dict of keywords such as '
            '{"https": True}, got %r' % (options,))
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ConfigurationError(
            'unknown server option(s) %s; the options are: %s'
            % (', '.join(unknown), ', '.join(OPTIONS)))
    arguments = dict(options)
    scheme = arguments.pop('scheme', None)
    wanted = arguments.pop('https', None)
    if wanted is not None:
        if scheme is not None and (scheme == 'https') != bool(wanted):
            raise ConfigurationError(
                'the options say https=%r and scheme=%r: give one of them'
                % (wanted, scheme))
        scheme = 'https' if wanted else 'http'
    if https is not None:
        if scheme is not None and (scheme == 'https') != https:
            raise ConfigurationError(
                'the %s fixture serves %s, but its options say scheme=%r; '
                'use the %s fixture, or drop the option' % (
                    'https_server' if https else 'http_server',
                    'HTTPS' if https else 'HTTP', scheme,
                    'http_server' if https else 'https_server'))
        scheme = 'https' if https else 'http'
    arguments['scheme'] = scheme or 'http'
    return arguments


def _requested_options(request):
    # type: (Any) -> Dict[str, Any]
    """The options of the http_server marker(s) of the test (the closest
    wins key by key), then the fixture's indirect parameter."""
    options = {}  # type: Dict[str, Any]
    for mark in reversed(list(request.node.iter_markers('http_server'))):
        if mark.args:
            raise ConfigurationError(
                'the http_server marker takes keywords only, such as '
                '@pytest.mark.http_server(https=True); got %r' % (mark.args,))
        options.update(mark.kwargs)
    param = getattr(request, 'param', None)
    if param is not None:
        if not isinstance(param, dict):
            raise ConfigurationError(
                'parametrize %s indirectly with dicts of server options, '
                'such as {"https": True}; got %r'
                % (request.fixturename, param))
        options.update(param)
    return options


def start(arguments):
    # type: (Dict[str, Any]) -> Any
    """Start a server from :func:`server_arguments`' result: in a thread,
    or with ``process=True`` in a child process
    (:class:`~httptestserver.remote.process.ChildServer`, same API)."""
    arguments = dict(arguments)
    if arguments.pop('process', False):
        if arguments.get('directory') is not None:
            raise ConfigurationError(
                'directory= is served in process only; in a child process '
                'give stubs, or use python -m httptestserver --directory')
        arguments.pop('directory', None)
        scheme = arguments.pop('scheme', 'http')
        begin = start_ssl_server if scheme == 'https' else start_server
        return begin(process=True, **arguments)
    return Server(**arguments).start()


class ServerFactory(object):
    """Start servers for one test; stop and check them all after it.

    Call it with :class:`~httptestserver.Server` keywords (and ``https=True``
    as short for ``scheme='https'``) to get a started server.  Not meant to
    be shared between threads.
    """

    def __init__(self, item):
        # type: (Any) -> None
        self._item = item
        self.servers = []  # type: List[Server]

    def __call__(self, **options):
        # type: (**Any) -> Server
        """Create and start a server with *options*; return it."""
        server = start(server_arguments(options))
        self.servers.append(server)
        _watch(self._item, server)
        return server

    def close(self):
        # type: () -> None
        """Stop every server, then check each; raise the first failure.

        A child process's server is checked before it stops, since nothing
        can be asked of it afterwards.  Idempotent.  Every server is stopped
        even if stopping one fails.
        """
        servers, self.servers = self.servers, []
        failed = []
        for server in servers:
            if not isinstance(server, Server):  # a ChildServer
                try:
                    server.check()
                except Exception:
                    failed.append(sys.exc_info())
        for server in servers:
            try:
                server.stop()
            except Exception:
                failed.append(sys.exc_info())
        if failed:
            _reraise(failed[0])
        for server in servers:
            if not isinstance(server, Server):
                continue  # checked above
            try:
                server.check()
            except Exception:
                failed.append(sys.exc_info())
        if failed:  # every server was checked; the first failure is enough
            _reraise(failed[0])


@pytest.fixture
def http_server_factory(request):
    """A function that starts servers: ``http_server_factory(https=True,
    client_cert='required')``; each is stopped and checked after the
    test."""
    factory = ServerFactory(request.node)
    request.addfinalizer(factory.close)
    return factory


@pytest.fixture
def http_server(request, http_server_factory):
    """A started HTTP server of this test's own (HTTPS with the marker
    option ``https=True``), stopped after the test and checked."""
    return http_server_factory(**server_arguments(_requested_options(request)))


@pytest.fixture
def https_server(request, http_server_factory):
    """A started HTTPS server of this test's own, with the bundled test
    certificate unless the marker says otherwise; stopped and checked."""
    return http_server_factory(**server_arguments(_requested_options(request),
                                                  https=True))


def shared_server(scope='module', name=None, **options):
    # type: (str, Any, **Any) -> Callable[..., Server]
    """Return a fixture that shares one started server across a *scope*.

    Assign it in a test module or ``conftest.py``; the name you give it is
    the fixture's name::

        api_server = shared_server('module', https=True)

    *scope* is ``'class'``, ``'module'`` or ``'session'``: the server starts
    when the first test of that scope asks for it and stops after the last.
    Each test gets it :meth:`~httptestserver.Server.reset` (routes, history,
    data forgotten) and has it checked after its body, like ``http_server``.
    *options* are those of ``http_server_factory``.  Raises
    :class:`ConfigurationError` for a bad scope or option, here.
    """
    if scope not in _SCOPES:
        raise ConfigurationError('scope must be one of %s, got %r'
                                 % (', '.join(_SCOPES), scope))
    arguments = server_arguments(options)
    key = object()

    def shared(request):
        holder = _scope_node(request, scope)
        servers = holder.__dict__.setdefault(_SHARED, {})
        server = servers.get(key)
        if server is None:
            server = servers[key] = start(arguments)
            holder.addfinalizer(lambda: _forget(servers, key).stop())
        server.reset()
        _watch(request.node, server)
        request.addfinalizer(server.check)
        return server

    shared.__doc__ = 'A started server shared by the %s, reset for each ' \
        'test and checked after it.' % scope
    if name is not None:
        return pytest.fixture(name=name)(shared)
    return pytest.fixture(shared)


def _scope_node(request, scope):
    if scope == 'session':
        return request.session
    node = None
    if scope == 'class':
        node = request.node.getparent(pytest.Class)
    # A module-level test has no class: its "class" is its module, as for
    # pytest's class-scoped fixtures.
    return node or request.node.getparent(pytest.Module)


def _forget(servers, key):
    return servers.pop(key)
