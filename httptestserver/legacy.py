"""What 0.1.0's ``Server`` also was: an ``HTTPServer`` and a ``Thread``.

0.1.0 documented ``Server`` as a ``BaseHTTPServer.HTTPServer`` running in a
``threading.Thread``, so tests called ``shutdown()``, ``server_close()``,
``server_address``, ``is_alive()`` and ``join()`` on it, and built servers
with the ``start_server``/``start_ssl_server`` classmethods.  This mixin
keeps those names working on top of today's API (:meth:`Server.stop`,
:attr:`Server.address`), so the server's own body is the API of today.
Imports nothing from the package.
"""
import threading

__all__ = ['ServerAliases']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Optional  # noqa: F401


class ServerAliases(object):
    """The 0.1.0 names of a server; each is a one-line delegation."""

    if TYPE_CHECKING:  # pragma: no cover - what the server provides
        engine = None  # type: Any
        address = None  # type: Any

        def stop(self, timeout=5.0):
            # type: (Optional[float]) -> None
            pass

    @property
    def server_address(self):
        """``(host, port)``, as ``HTTPServer.server_address``."""
        return self.address

    def shutdown(self):
        # type: () -> None
        """Stop serving (``HTTPServer.shutdown``): same as ``stop()``."""
        self.stop()

    def server_close(self):
        # type: () -> None
        """Free the port (``HTTPServer.server_close``): same as ``stop()``."""
        self.stop()

    def is_alive(self):
        # type: () -> bool
        """True while the server thread runs (``Thread.is_alive``)."""
        thread = self.engine.thread
        return thread is not None and thread.is_alive()

    isAlive = is_alive

    def join(self, timeout=None):
        # type: (Optional[float]) -> None
        """Wait until the server thread ends (``Thread.join``); it ends when
        the server is stopped."""
        thread = self.engine.thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @classmethod
    def start_server(cls, host=None, port=None):
        """Creates and starts a http :class:`Server`."""
        return cls(host, port).start()

    @classmethod
    def start_ssl_server(cls, host=None, port=None, certfile=None,
                         keyfile=None, **kws):
        """Creates and starts a https :class:`Server`."""
        return cls(host, port, scheme='https', certfile=certfile,
                   keyfile=keyfile, **kws).start()
