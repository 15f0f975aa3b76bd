"""httptestserver: a real HTTP/HTTPS server for tests, in a thread.

The public names are all here; see the documentation for each.
"""
from .errors import CertificateError, ConfigurationError, HandlerError, \
    HttpTestServerError, ServerStateError, VerificationError, WaitTimeout
from .headers import Headers
from .helpers import http_server, https_server, start_server, \
    start_ssl_server
from .mixins import HttpServerTest, HttpsServerTest
from .server import Handler, Server
from .tls import CA_FILE, CLIENT_CERT_FILE, CLIENT_KEY_FILE, \
    SERVER_CERT_FILE, SERVER_KEY_FILE, client_context

__version__ = '0.2.0.dev0'

__all__ = [
    'Server', 'Handler', 'Headers',
    'start_server', 'start_ssl_server', 'http_server', 'https_server',
    'HttpServerTest', 'HttpsServerTest',
    'CA_FILE', 'SERVER_CERT_FILE', 'SERVER_KEY_FILE', 'CLIENT_CERT_FILE',
    'CLIENT_KEY_FILE', 'client_context',
    'HttpTestServerError', 'ServerStateError', 'ConfigurationError',
    'CertificateError', 'HandlerError', 'VerificationError', 'WaitTimeout',
]
