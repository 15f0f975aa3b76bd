"""One-line ways to get a running server: functions and context managers.

Thin wrappers over :class:`~httptestserver.server.Server`; nothing here owns a
socket or a thread.
"""
import contextlib

from .errors import ConfigurationError
from .server import Server

__all__ = ['start_server', 'start_ssl_server', 'http_server', 'https_server']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Iterator, Optional  # noqa: F401


def start_server(host=None, port=None, **kws):
    # type: (Optional[str], Optional[int], **Any) -> Server
    """Create a started HTTP server listening in *host:port*.

    :param host: (default: 127.0.0.1) Host for the server to listen.
    :param port: (default: random) Port of the server to listen (should not
        be in use).
    :param process: (default: False) True runs the server in a child
        process: a :class:`~httptestserver.remote.process.ChildServer`.
    :returns: A created and started :class:`~httptestserver.Server`; stop it
        with ``stop()``.
    """
    if kws.pop('process', False):
        return _child(host, port, 'http', kws)
    return Server(host, port, scheme='http', **kws).start()


def _child(host, port, scheme, kws):
    # Imported only when asked for: it starts processes.
    from .remote.process import ChildServer
    if kws.get('handler') is not None:
        raise ConfigurationError(
            'handler=%r cannot cross into a child process; describe '
            'responses as data with route() instead' % (kws['handler'],))
    kws.pop('handler', None)
    return ChildServer(host, port, scheme=scheme, **kws)


def start_ssl_server(host=None, port=None, certfile=None, keyfile=None,
                     **kws):
    # type: (Optional[str], Optional[int], Optional[str], Optional[str], **Any) -> Server  # noqa: E501
    """Create a started HTTPS server listening in *host:port*.

    It configures server certificate using *certfile* and *keyfile*.

    :param host: (default: 127.0.0.1) Host for the server to listen.
    :param port: (default: random) Port of the server to listen (should not
        be in use).
    :param certfile: (default: packaged .pem) Path to certificate file.
    :param keyfile: (default: None) Path to private key file. Default comes
        bundled with *certfile*.
    :param process: (default: False) True runs the server in a child
        process: a :class:`~httptestserver.remote.process.ChildServer`.
    :param kws: ``client_cert`` (``'optional'``/``'required'``), ``cafile``,
        ``handler``: see :class:`~httptestserver.Server`.
    :returns: A created and started :class:`~httptestserver.Server`.
    :raises CertificateError: when the files cannot serve HTTPS.
    """
    if kws.pop('process', False):
        kws.update(certfile=certfile, keyfile=keyfile)
        return _child(host, port, 'https', kws)
    return Server(host, port, scheme='https', certfile=certfile,
                  keyfile=keyfile, **kws).start()


@contextlib.contextmanager
def http_server(*args, **kws):
    # type: (*Any, **Any) -> Iterator[Server]
    """Context of a started HTTP :class:`~httptestserver.Server`.

    ::

        with http_server() as server:
            # use server

    Takes the arguments of :func:`start_server`.  On exit the server is
    stopped and, if the block raised nothing, checked
    (:meth:`~httptestserver.Server.check`), so a failure in the server
    thread fails the block.
    """
    with start_server(*args, **kws) as server:
        yield server


@contextlib.contextmanager
def https_server(*args, **kws):
    # type: (*Any, **Any) -> Iterator[Server]
    """Context of a started HTTPS :class:`~httptestserver.Server`.

    ::

        with https_server() as server:
            # use server

    Takes the arguments of :func:`start_ssl_server`; exits as
    :func:`http_server` does.
    """
    with start_ssl_server(*args, **kws) as server:
        yield server
