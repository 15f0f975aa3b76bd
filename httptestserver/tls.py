"""TLS contexts and what a finished handshake negotiated.

This module owns the :class:`ssl.SSLContext` objects for the server side and
for test clients, and the per-connection TLS facts (:func:`connection_info`,
:func:`is_tls_client_hello`).  The files contexts are made from -- the bundled
test PKI and the checks on certificate files -- are
:mod:`httptestserver.certificates`'; their public names are re-exported here.
Every file is checked when a context is created, so a bad file fails the test
at setup, not at the first request.  It never opens a listening socket and
never starts a thread: the server module does both.
"""

import ssl

from .certificates import CA_FILE, CERTS_DIR, CLIENT_CERT_FILE, \
    CLIENT_KEY_FILE, REGENERATE, SERVER_CERT_FILE, SERVER_KEY_FILE, \
    certificate_not_after, check_pair, path_argument, read_certificates
from .errors import CertificateError, ConfigurationError

# The bundled PKI and certificate_not_after are re-exported from
# httptestserver.certificates: tls is where users and the docs look for them.
__all__ = [
    'CERTS_DIR',
    'CA_FILE',
    'SERVER_CERT_FILE',
    'SERVER_KEY_FILE',
    'CLIENT_CERT_FILE',
    'CLIENT_KEY_FILE',
    'server_context',
    'refuse_without_https',
    'client_context',
    'connection_info',
    'certificate_not_after',
    'is_tls_client_hello',
]

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, Optional, Tuple, Union  # noqa: F401

    ClientCert = Union[bool, None, str, Tuple[str, str]]

# Where the SNI callback leaves the name the client asked for.
_SNI_ATTRIBUTE = '_httptestserver_sni'

_CLIENT_CERT_MODES = {
    None: ssl.CERT_NONE,
    'none': ssl.CERT_NONE,
    'optional': ssl.CERT_OPTIONAL,
    'required': ssl.CERT_REQUIRED,
}


def server_context(certfile=None, keyfile=None, client_cert=None, cafile=None):
    # type: (Optional[str], Optional[str], Optional[str], Optional[str]) -> ssl.SSLContext  # noqa: E501
    """Return a new server-side SSLContext, its files checked now.

    ``certfile`` is a PEM file whose first certificate is served; None means
    the bundled :data:`SERVER_CERT_FILE` (valid for ``localhost``,
    ``127.0.0.1`` and ``::1``).  ``keyfile`` holds the private key; None means
    the key is in ``certfile``.  ``client_cert`` is None or ``'none'`` (do not
    ask the client for a certificate), ``'optional'`` or ``'required'``; when
    asking, client certificates must chain to ``cafile`` (None: the bundled
    test CA).  A ``cafile`` given without ``client_cert`` is still loaded, so
    it is checked now, but the server asks for no certificate.  TLS 1.2 is the
    lowest version accepted, and renegotiation is refused where
    :mod:`ssl` has ``OP_NO_RENEGOTIATION`` (Python 3.7+).  An SNI callback
    records the server name each client sends, for :func:`connection_info`.

    Each call returns a new context; once returned it may be shared by any
    number of threads.  Does not block.  Raises :class:`CertificateError`
    naming the file and the fix when a file is missing, unreadable, not PEM,
    has no certificate or no key, the key does not match, or the certificate is
    expired or not yet valid, or ``cafile`` holds no certificate;
    :class:`ConfigurationError` for a ``client_cert`` value it does not know.
    """
    mode = _client_cert_mode(client_cert)
    if certfile is None:
        certfile, cert_fix = SERVER_CERT_FILE, REGENERATE
    else:
        certfile = path_argument('certfile', certfile)
        cert_fix = 'omit certfile to use the bundled test certificate'
    if keyfile is not None:
        keyfile = path_argument('keyfile', keyfile)

    context = ssl.SSLContext(_SERVER_PROTOCOL)
    _require_tls12(context)
    # No renegotiation, from either side: the server never needs it, and a
    # client that renegotiates makes the server do a handshake's work again
    # in the middle of the connection.  OpenSSL 3 already refuses a client's
    # request unless SSL_OP_ALLOW_CLIENT_RENEGOTIATION is set; 1.1.x grants
    # it.  Python 2 and 3.6 have no ssl.OP_NO_RENEGOTIATION.
    context.options |= getattr(ssl, 'OP_NO_RENEGOTIATION', 0)
    _load_pair(context, 'certfile', certfile, 'keyfile', keyfile, cert_fix)
    if cafile is not None:
        _load_trust(context, 'cafile', path_argument('cafile', cafile),
                    'omit cafile to trust the bundled test CA')
    elif mode != ssl.CERT_NONE:
        _load_trust(context, 'cafile', CA_FILE, REGENERATE)
    context.verify_mode = mode
    if hasattr(context, 'sni_callback'):
        context.sni_callback = _record_server_name
    elif getattr(ssl, 'HAS_SNI', False):  # Python 2, and 3 before 3.7
        context.set_servername_callback(_record_server_name)
    return context


def refuse_without_https(**arguments):
    # type: (**Any) -> None
    """Raise :class:`ConfigurationError` naming the first TLS argument given
    (not None) to a plain-HTTP server; they would do nothing there."""
    for name in ('certfile', 'keyfile', 'client_cert', 'cafile'):
        if arguments.get(name) is not None:
            raise ConfigurationError(
                '%s is only used with HTTPS; pass scheme="https" or use '
                'start_ssl_server()' % name)


def client_context(cafile=None, client_cert=False):
    # type: (Optional[str], ClientCert) -> ssl.SSLContext
    """Return a new client-side SSLContext that trusts the test CA.

    The context trusts only ``cafile`` (None: the bundled test CA, not the
    system store), requires a valid certificate, checks the host name and
    speaks TLS 1.2 or later; on Python 3.13 it keeps the strict X.509 checks
    of :func:`ssl.create_default_context`.  ``client_cert`` is False or None
    (no client certificate), True (the bundled :data:`CLIENT_CERT_FILE`), the
    path of a PEM file holding a certificate and its key, or a
    ``(certfile, keyfile)`` pair.  Pass the result to ``urlopen(context=)``,
    ``http.client.HTTPSConnection(context=)``, ``httpx.Client(verify=)``,
    aiohttp's ``ssl=`` or urllib3's ``ssl_context=``.

    Each call returns a new context, because contexts are mutable.  Does not
    block.  Raises :class:`CertificateError` naming the file and the fix when a
    file cannot be used, :class:`ConfigurationError` for a ``client_cert`` of
    another type.
    """
    if cafile is None:
        cafile, ca_fix = CA_FILE, REGENERATE
    else:
        cafile = path_argument('cafile', cafile)
        ca_fix = 'omit cafile to trust the bundled test CA'
    # Checked first so that a bad file gets our message, not OpenSSL's.
    read_certificates('cafile', cafile, ca_fix)
    try:
        context = ssl.create_default_context(cafile=cafile)
    except (ssl.SSLError, IOError, OSError) as error:
        raise CertificateError("cafile '%s' cannot be loaded (%s); %s"
                               % (cafile, error, ca_fix))
    _require_tls12(context)

    if client_cert is None or client_cert is False:
        return context
    own_fix = ('pass client_cert=True to use the bundled test client '
               'certificate')
    if client_cert is True:
        _load_pair(context, 'client_cert', CLIENT_CERT_FILE, 'client_cert',
                   None, REGENERATE)
    elif isinstance(client_cert, (tuple, list)) and len(client_cert) == 2:
        _load_pair(context, 'client_cert[0]',
                   path_argument('client_cert[0]', client_cert[0]),
                   'client_cert[1]',
                   path_argument('client_cert[1]', client_cert[1]), own_fix)
    elif isinstance(client_cert, (tuple, list, bool, int, float, dict)):
        raise ConfigurationError(
            'client_cert is %r; pass True for the bundled test client '
            'certificate, the path of a PEM file holding a certificate and '
            'its key, or a (certfile, keyfile) pair' % (client_cert,))
    else:
        _load_pair(context, 'client_cert',
                   path_argument('client_cert', client_cert), 'client_cert',
                   None, own_fix)
    return context


def connection_info(ssl_socket):
    # type: (Any) -> Optional[Dict[str, Any]]
    """Return what the finished handshake on ``ssl_socket`` negotiated.

    The result is a plain dict::

        {'version': 'TLSv1.3',
         'cipher': 'TLS_AES_256_GCM_SHA384',
         'server_name': 'localhost',      # SNI the client sent, or None
         'client_cert': None}             # or {'subject': {...},
                                          #     'issuer': {...},
                                          #     'verified': True}

    ``subject`` and ``issuer`` map attribute names (``'commonName'``,
    ``'organizationName'``, ...) to values; an attribute repeated in a name
    keeps its last value.  A client certificate is only reported when the
    server context asked for one (``client_cert='optional'`` or
    ``'required'``), and then the handshake has verified it, so ``verified``
    is True.  ``server_name`` is only known for sockets wrapped by a context
    from :func:`server_context`; it is a native ``str`` holding the name as
    sent, an internationalised name as its A-label (``'xn--bcher-kva.test'``)
    on every Python version.

    Returns None for an object that is not a TLS socket (plain HTTP), so it can
    be called for every connection.  Works on :class:`ssl.SSLSocket` and
    :class:`ssl.SSLObject`.  Thread-safe; does not block.  Raises ValueError
    (from :mod:`ssl`) if the handshake has not been done.
    """
    if not hasattr(ssl_socket, 'getpeercert') or \
            not hasattr(ssl_socket, 'cipher'):
        return None
    cipher = ssl_socket.cipher()
    peer = ssl_socket.getpeercert()
    client_cert = None
    if peer:
        client_cert = {
            'subject': _flatten_name(peer.get('subject', ())),
            'issuer': _flatten_name(peer.get('issuer', ())),
            'verified': True,
        }
    return {
        'version': ssl_socket.version(),
        'cipher': cipher[0] if cipher else None,
        'server_name': getattr(ssl_socket, _SNI_ATTRIBUTE, None),
        'client_cert': client_cert,
    }


def is_tls_client_hello(first_bytes):
    # type: (bytes) -> bool
    """Return True when bytes peeked from a connection start a TLS handshake.

    A TLS connection opens with a handshake record: content type 0x16, then
    major version 3.  A plain HTTP request opens with an ASCII method name, so
    one byte is enough to tell them apart; the second byte, when given, is
    checked too.  Empty input returns False.  Pure function.
    """
    head = bytearray(first_bytes[:2])
    if not head or head[0] != 0x16:
        return False
    return len(head) < 2 or head[1] == 0x03


# -- Contexts -----------------------------------------------------------------

# PROTOCOL_TLS_SERVER is 3.6+; PROTOCOL_SSLv23 negotiates the highest version
# both sides know, despite its name.
_SERVER_PROTOCOL = getattr(
    ssl, 'PROTOCOL_TLS_SERVER',
    getattr(ssl, 'PROTOCOL_TLS', ssl.PROTOCOL_SSLv23))  # Python 2


def _require_tls12(context):
    # type: (ssl.SSLContext) -> None
    """Make ``context`` refuse SSL 3, TLS 1.0 and TLS 1.1."""
    if hasattr(context, 'minimum_version') and hasattr(ssl, 'TLSVersion'):
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    else:  # Python 2 and 3.6: the OP_NO_* flags are deprecated in 3.10+
        for name in ('OP_NO_SSLv2', 'OP_NO_SSLv3', 'OP_NO_TLSv1',
                     'OP_NO_TLSv1_1'):
            context.options |= getattr(ssl, name, 0)


def _client_cert_mode(client_cert):
    # type: (Any) -> ssl.VerifyMode
    try:
        return _CLIENT_CERT_MODES[client_cert]
    except (KeyError, TypeError):
        raise ConfigurationError(
            "client_cert is %r; pass None or 'none' (do not ask the client "
            "for a certificate), 'optional' or 'required'" % (client_cert,))


def _record_server_name(ssl_socket, server_name, context):
    # type: (Any, Optional[str], Any) -> None
    """Keep the SNI name on the socket; returning None lets the handshake go
    on."""
    try:
        setattr(ssl_socket, _SNI_ATTRIBUTE, _as_sent(server_name))
    except AttributeError:  # an object without a __dict__; the name is lost
        pass


def _as_sent(server_name):
    # type: (Optional[str]) -> Optional[str]
    """Return the SNI name the callback got as the native str the client sent.

    Python 3.7+ hands the callback the A-label the client sent, decoded as
    ASCII (bpo-28414).  Python 2.7 and 3.6 decode it with the 'idna' codec,
    so ``xn--bcher-kva.test`` arrives as ``u'b\\xfccher.test'``: encoding it
    back gives the A-label (in lower case, as the codec writes it).
    """
    if server_name is None:
        return None
    try:
        sent = server_name.encode('ascii')
    except UnicodeError:  # Python 2 and 3.6: a U-label from the idna codec
        sent = server_name.encode('idna')
    return str(sent.decode('ascii'))


def _load_trust(context, argument, cafile, fix):
    # type: (ssl.SSLContext, str, str, str) -> None
    read_certificates(argument, cafile, fix)
    try:
        context.load_verify_locations(cafile=cafile)
    except (ssl.SSLError, IOError, OSError) as error:
        raise CertificateError("%s '%s' cannot be loaded (%s); %s"
                               % (argument, cafile, error, fix))


def _load_pair(context, cert_argument, certfile, key_argument, keyfile, fix):
    # type: (ssl.SSLContext, str, str, str, Optional[str], str) -> None
    """Check a certificate and its key, then load them into ``context``."""
    key_argument, keyfile = check_pair(cert_argument, certfile, key_argument,
                                       keyfile, fix)
    try:
        # The password callback stops OpenSSL from prompting on the terminal
        # for a key the checks above did not recognise as encrypted.
        context.load_cert_chain(certfile, keyfile, password=_no_password)
    except ssl.SSLError as error:
        if getattr(error, 'reason', None) == 'KEY_VALUES_MISMATCH':
            raise CertificateError(
                "the private key in %s '%s' does not match the certificate in "
                "%s '%s'; pass the key issued with that certificate or %s"
                % (key_argument, keyfile, cert_argument, certfile, fix))
        raise CertificateError("%s '%s' cannot be loaded (%s); %s"
                               % (cert_argument, certfile, error, fix))


def _no_password():
    # type: () -> bytes
    return b''


def _flatten_name(name):
    # type: (Any) -> Dict[str, str]
    """Turn getpeercert()'s tuple of RDNs into a flat dict."""
    return dict(pair for rdn in name for pair in rdn)
