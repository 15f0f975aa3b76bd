"""The one exception family of httptestserver.

Every error the library raises derives from :class:`HttpTestServerError`, so a
test can catch them all in one place.  Each message names the thing, its state
and the fix.  This module is the bottom layer: it imports nothing from the
package.
"""

__all__ = [
    'HttpTestServerError',
    'ServerStateError',
    'ConfigurationError',
    'CertificateError',
    'HandlerError',
    'VerificationError',
    'WaitTimeout',
]


class HttpTestServerError(Exception):
    """Base class of every error raised by httptestserver."""


class ServerStateError(HttpTestServerError, RuntimeError):
    """A server was used in a state that does not allow it.

    For example starting a server twice, or starting one that was stopped.
    """


class ConfigurationError(HttpTestServerError, ValueError):
    """An argument or a setting has a value the server cannot use.

    The message names the argument and says what it accepts.
    """


class CertificateError(ConfigurationError):
    """A certificate or key file cannot be used to serve HTTPS.

    Raised when the server is created, never at the first request: the file is
    missing, unreadable, not PEM, expired, or the key does not match.
    """


class HandlerError(HttpTestServerError):
    """An exception was raised in the server thread while serving a request.

    The server answered that request with a 500 and kept the exception; a
    check in the test thread (:meth:`httptestserver.Server.check`) raises it
    again wrapped in this error.  ``errors`` holds every recorded failure as
    ``(request_line, exception, traceback_text)`` tuples.
    """

    def __init__(self, message, errors=()):
        super(HandlerError, self).__init__(message)
        self.errors = list(errors)


class VerificationError(HttpTestServerError, AssertionError):
    """A check on the requests the server received did not hold.

    It is an :class:`AssertionError`, so test runners report it as a failure,
    and its message lists the requests that were seen.
    """


class WaitTimeout(VerificationError):
    """The requests a test waited for did not all arrive in time."""
