"""httptestserver: a real HTTP/HTTPS server for tests, in a thread or a
child process.

Every public name is here; import from ``httptestserver``, never from the
sub-packages, whose layout may change.  See the documentation for each.
"""
from .answers.matchers import Matcher
from .answers.responses import Response
from .answers.routes import Route
from .errors import CertificateError, ConfigurationError, HandlerError, \
    HttpTestServerError, ServerStateError, VerificationError, WaitTimeout
from .headers import Headers
from .helpers import http_server, https_server, start_server, \
    start_ssl_server
from .mixins import HttpServerTest, HttpsServerTest
from .protocol.websocket import Close, Message
from .remote.control import ControlAPI, enable_control
from .remote.process import ChildServer, start_child_server
from .remote.server_api import RemoteError
from .remote.stubs import normalise_stub, response_spec
from .remote.wiremock import dump_stubs, load_stubs
from .remote.wiremock import from_wiremock, to_wiremock
from .server import Handler, Server
from .static.mounts import Mount, serve_directory
from .store.aio import wait_async
from .store.records import History
from .streams.sse import EventStream, StreamRecord, format_event
from .streams.websocket import WebSocket
from .tls import CA_FILE, CLIENT_CERT_FILE, CLIENT_KEY_FILE, \
    SERVER_CERT_FILE, SERVER_KEY_FILE, client_context

__version__ = '0.2.0.dev0'

__all__ = [
    # servers and their lifecycle
    'Server', 'Handler', 'start_server', 'start_ssl_server', 'http_server',
    'https_server', 'HttpServerTest', 'HttpsServerTest',
    # what to answer, and what was seen
    'Route', 'Response', 'Matcher', 'Headers', 'History', 'wait_async',
    # streams and files
    'EventStream', 'StreamRecord', 'format_event', 'WebSocket', 'Message',
    'Close', 'Mount', 'serve_directory',
    # out of process: stubs, the control API, the child process
    'load_stubs', 'dump_stubs', 'from_wiremock', 'to_wiremock',
    'normalise_stub', 'response_spec', 'enable_control', 'ControlAPI',
    'ChildServer', 'start_child_server', 'RemoteError',
    # TLS
    'CA_FILE', 'SERVER_CERT_FILE', 'SERVER_KEY_FILE', 'CLIENT_CERT_FILE',
    'CLIENT_KEY_FILE', 'client_context',
    # errors
    'HttpTestServerError', 'ServerStateError', 'ConfigurationError',
    'CertificateError', 'HandlerError', 'VerificationError', 'WaitTimeout',
]
