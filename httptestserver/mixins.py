"""Test-class mixins that run one server per class as ``self.server``.

They work mixed into :class:`unittest.TestCase` (``setUpClass``), in plain
classes collected by pytest (``setup_class``) and under nose-style
``setupClass``.  Each test starts from a reset server and is checked at its
end, so a failure in the server thread fails the test that caused it.
"""
from .errors import ServerStateError
from .helpers import start_server, start_ssl_server

__all__ = ['HttpServerTest', 'HttpsServerTest']

# unittest leaves the frames of this module (and of the checks it calls,
# which say the same) out of a failure's traceback.
__unittest = True

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, Optional  # noqa: F401
    from .server import Server  # noqa: F401


class HttpServerTest(object):
    """Mixin that includes a working HTTP server as ``self.server``.

    Put it *before* ``unittest.TestCase`` in the bases.  Class attributes:

    ``options``
        Keyword arguments for your client calls, ``requests.get(url,
        **self.options)``.
    ``server_options``
        Keyword arguments for the server (``host``, ``port``,
        ``client_cert``...).

    ``self.url(path)`` is the server's URL for *path*; ``default_path`` is
    ``'/testing/this'`` as in 0.1.0 (a class attribute to override), and
    ``self.default_url`` is ``self.url(self.default_path)``.  Before each
    test the server is reset; after it, :meth:`Server.check
    <httptestserver.Server.check>` raises what went wrong server-side.
    """

    options = {}  # type: Dict[str, Any]
    server_options = {}  # type: Dict[str, Any]
    server = None  # type: Optional[Server]
    #: The path of :attr:`default_url` (0.1.0: ``'/testing/this'``).
    default_path = '/testing/this'
    _start = staticmethod(start_server)

    @classmethod
    def url(cls, path):
        # type: (str) -> str
        """Return the full URL of *path* on the class's server."""
        server = cls.server
        if server is None:
            raise ServerStateError(
                '%s has no server yet: setUpClass (or setup_class) starts it'
                % cls.__name__)
        return server.url(path)

    class _DefaultURL(object):
        def __get__(self, instance, owner):
            server = owner.__dict__.get('server') or owner.server
            if server is None:
                return None
            return server.url(owner.default_path)

    #: ``url(default_path)``: the URL the 0.1.0 examples request.
    default_url = _DefaultURL()

    @classmethod
    def setUpClass(cls):
        """Start the class's server, then the other bases' setUpClass."""
        cls._start_class_server()
        try:
            parent = getattr(super(HttpServerTest, cls), 'setUpClass', None)
            if parent is not None:
                parent()
        except BaseException:
            cls._stop_class_server()
            raise

    @classmethod
    def tearDownClass(cls):
        """Run the other bases' tearDownClass, then stop the server."""
        try:
            parent = getattr(super(HttpServerTest, cls), 'tearDownClass',
                             None)
            if parent is not None:
                parent()
        finally:
            cls._stop_class_server()

    # pytest (plain classes) and nose spell these differently.
    setup_class = setupClass = setUpClass
    teardown_class = teardownClass = tearDownClass

    @classmethod
    def _start_class_server(cls):
        if cls.__dict__.get('server') is not None and cls.server.running:
            return  # idempotent: pytest may call both spellings
        cls.server = cls._start(**cls.server_options)

    @classmethod
    def _stop_class_server(cls):
        server = cls.__dict__.get('server')
        if server is not None:
            server.stop()

    def setUp(self):
        """Reset the server, then the other bases' setUp."""
        self._begin_server_test()
        parent = getattr(super(HttpServerTest, self), 'setUp', None)
        if parent is not None:
            parent()

    def tearDown(self):
        """Run the other bases' tearDown, then check the server."""
        try:
            parent = getattr(super(HttpServerTest, self), 'tearDown', None)
            if parent is not None:
                parent()
        finally:
            self._end_server_test()

    def setup_method(self, method=None):
        """pytest's per-test hook: reset the server."""
        self._begin_server_test()

    def teardown_method(self, method=None):
        """pytest's per-test hook: check the server."""
        self._end_server_test()

    def _begin_server_test(self):
        if self.__dict__.get('_server_test_running'):
            return
        self._server_test_running = True
        if self.server is not None:
            self.server.reset()

    def _end_server_test(self):
        if not self.__dict__.get('_server_test_running'):
            return
        self._server_test_running = False
        if self.server is not None:
            self.server.check()


class HttpsServerTest(HttpServerTest):
    """Mixin that includes a working HTTPS server as ``self.server``.

    ``options = {'verify': False}`` as in 0.1.0; to have the class's requests
    verify the server against the bundled test CA instead, write
    ``options = {'verify': httptestserver.CA_FILE}``.
    """

    options = {'verify': False}
    _start = staticmethod(start_ssl_server)
