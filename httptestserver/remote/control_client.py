"""The client side of a child's control API: one HTTP request per call.

:class:`ControlClient` reaches the control API of a child process
(:class:`~httptestserver.remote.child.ChildProcess`) over HTTP or TLS, with
the child's token, and turns each answer into decoded JSON or into this
package's exceptions: 400 and 422 into :class:`ConfigurationError`, any
other unexpected status, no answer or a closed client into
:class:`ServerStateError` naming the server (and, when the child died, its
exit status and error output).  It knows how to call, not what the calls
mean: that is :class:`~httptestserver.remote.process.ChildServer`'s.
"""
import json as jsonlib
import ssl
import weakref

from six.moves import http_client
from six.moves.urllib.parse import urlsplit

from .. import tls
from ..errors import ConfigurationError, ServerStateError
from .control import PREFIX, TOKEN_HEADER

__all__ = ['ControlClient', 'control_context']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Optional, Tuple  # noqa: F401


class ControlClient(object):
    """The control API of *child*, at the URL it announced.

    *owner* (the server object the caller sees) names the server in error
    messages; it is held weakly, so the client does not keep it alive.
    *token* goes with every call; the TLS arguments are those of
    :func:`control_context`.  :attr:`scheme`, :attr:`host` and :attr:`port`
    are the child's URL's, and :meth:`url` composes it.  Thread-safe: each
    call opens its own connection.
    """

    def __init__(self, owner, child, token=None, client_cert=None,
                 cafile=None, control_cert=None):
        self._owner = weakref.ref(owner)
        self.child = child
        parts = urlsplit(child.url)
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port
        self.netloc = parts.netloc
        self.token = token
        self.context = control_context(self.scheme, child.ca_file,
                                       client_cert, cafile, control_cert)
        #: True once :meth:`close` was called: every call then raises.
        self.closed = False

    def url(self, path='/'):
        # type: (str) -> str
        """The child's URL for the url *path*."""
        if not path.startswith('/'):
            path = '/' + path
        return '%s://%s%s' % (self.scheme, self.netloc, path)

    def close(self):
        """Refuse every later call (the server was stopped).  Idempotent."""
        self.closed = True

    def call(self, method, path, document=None, timeout=10.0,
             ok=(200, 201)):
        # type: (str, str, Any, float, Tuple[int, ...]) -> Tuple[int, Any]
        """Call the control API; return ``(status, decoded JSON)``.

        Blocks for one request (at most *timeout* seconds to connect and
        for each read).  A status outside *ok* raises
        :class:`ConfigurationError` (400, 422: the caller's mistake) or
        :class:`ServerStateError`; so do no answer and a closed client.
        """
        if self.closed:
            raise ServerStateError('%r was stopped; start a new one'
                                   % (self._owner(),))
        body = None if document is None else jsonlib.dumps(document)
        headers = {'Content-Type': 'application/json'}
        if self.token is not None:
            headers[TOKEN_HEADER] = self.token
        if self.scheme == 'https':
            conn = http_client.HTTPSConnection(
                self.host, self.port, timeout=timeout,
                context=self.context)  # type: http_client.HTTPConnection
        else:
            conn = http_client.HTTPConnection(self.host, self.port,
                                              timeout=timeout)
        try:
            conn.request(method, PREFIX + '/' + path, body, headers)
            response = conn.getresponse()
            status, data = response.status, response.read()
        except (IOError, OSError, http_client.HTTPException) as exc:
            code = self.child.poll()
            raise ServerStateError(
                'the control API of %r did not answer %s %s: %s%s' % (
                    self._owner(), method, path, exc, '' if code is None
                    else '; the child exited with status %s: %s'
                    % (code, self.child.error_text())))
        finally:
            conn.close()
        try:
            decoded = jsonlib.loads(data.decode('utf-8'))
        except ValueError:
            decoded = {'error': data.decode('utf-8', 'replace')}
        if status not in ok:
            message = decoded.get('error') if isinstance(decoded, dict) \
                else decoded
            if status in (400, 422):
                raise ConfigurationError(message)
            raise ServerStateError('%s %s answered %d: %s' % (
                method, path, status, message))
        return status, decoded


def control_context(scheme, ca_file, client_cert=None, cafile=None,
                    control_cert=None):
    # type: (str, Optional[str], Any, Optional[str], Any) -> Any
    """Return the ``ssl.SSLContext`` that reaches a child's control API
    over *scheme* (None for plain HTTP).

    It trusts *ca_file*, the test CA the child announced; without one the
    child serves the caller's own certificate on loopback, which is not
    verified.  *control_cert* (True: the bundled client certificate; a path
    or ``(certfile, keyfile)``) is presented to a child that asks for one;
    by default the bundled one when the child requires client certificates
    (*client_cert*) of the test CA (no *cafile*).
    """
    if scheme != 'https':
        return None
    if control_cert is None and client_cert is not None and cafile is None:
        control_cert = True  # the bundled client cert, signed by the CA
    if ca_file is not None:
        return tls.client_context(ca_file, control_cert or False)
    # Our own child on loopback, serving the caller's certificate.
    context = ssl.SSLContext(getattr(ssl, 'PROTOCOL_TLS_CLIENT', None) or
                             ssl.PROTOCOL_SSLv23)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if control_cert:
        certfile, keyfile = (control_cert if isinstance(
            control_cert, (tuple, list)) else (control_cert, None))
        context.load_cert_chain(certfile, keyfile)
    return context
