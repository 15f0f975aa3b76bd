"""TLS configuration: certificates, contexts and per-connection TLS facts.

This module owns the bundled test PKI (``httptestserver/certs/``), builds the
:class:`ssl.SSLContext` objects for the server side and for test clients, and
reads what a finished handshake negotiated.  It checks certificate files when a
context is created, so a bad file fails the test at setup, not at the first
request.  It never opens a listening socket and never starts a thread: the
server module does both.
"""

import os
import re
import ssl
import time

from ._compat import fspath
from .errors import CertificateError, ConfigurationError

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

#: Directory of the bundled TEST-ONLY PKI (see ``certs/README.txt``).
CERTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'certs')
#: The test CA certificate ("httptestserver TEST CA - DO NOT TRUST").
CA_FILE = os.path.join(CERTS_DIR, 'ca.pem')
#: Server certificate for localhost, 127.0.0.1 and ::1, its key in the same file.
SERVER_CERT_FILE = os.path.join(CERTS_DIR, 'server.pem')
#: The server's private key alone (``SERVER_CERT_FILE`` holds it too).
SERVER_KEY_FILE = os.path.join(CERTS_DIR, 'server.key')
#: Client certificate for mutual TLS, its key in the same file.
CLIENT_CERT_FILE = os.path.join(CERTS_DIR, 'client.pem')
#: The client's private key alone (``CLIENT_CERT_FILE`` holds it too).
CLIENT_KEY_FILE = os.path.join(CERTS_DIR, 'client.key')

_REGENERATE = 'regenerate the bundled files with httptestserver/certs/make-certs.sh'
_BUNDLED = frozenset([CA_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE,
                      CLIENT_CERT_FILE, CLIENT_KEY_FILE])

# Where the SNI callback leaves the name the client asked for.
_SNI_ATTRIBUTE = '_httptestserver_sni'

_CLIENT_CERT_MODES = {
    None: ssl.CERT_NONE,
    'none': ssl.CERT_NONE,
    'optional': ssl.CERT_OPTIONAL,
    'required': ssl.CERT_REQUIRED,
}

_CERT_BEGIN = b'-----BEGIN CERTIFICATE-----'
# Matches "BEGIN PRIVATE KEY", "BEGIN EC PRIVATE KEY", "BEGIN RSA PRIVATE KEY"
# and "BEGIN ENCRYPTED PRIVATE KEY".
_KEY_BEGIN = re.compile(b'-----BEGIN [A-Z ]*PRIVATE KEY-----')
_ENCRYPTED_KEY = re.compile(
    b'-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED')


def server_context(certfile=None, keyfile=None, client_cert=None, cafile=None):
    # type: (Optional[str], Optional[str], Optional[str], Optional[str]) -> ssl.SSLContext
    """Return a new server-side SSLContext, its files checked now.

    ``certfile`` is a PEM file whose first certificate is served; None means
    the bundled :data:`SERVER_CERT_FILE` (valid for ``localhost``,
    ``127.0.0.1`` and ``::1``).  ``keyfile`` holds the private key; None means
    the key is in ``certfile``.  ``client_cert`` is None or ``'none'`` (do not
    ask the client for a certificate), ``'optional'`` or ``'required'``; when
    asking, client certificates must chain to ``cafile`` (None: the bundled
    test CA).  A ``cafile`` given without ``client_cert`` is still loaded, so
    it is checked now, but the server asks for no certificate.  TLS 1.2 is the
    lowest version accepted.  An SNI callback records
    the server name each client sends, for :func:`connection_info`.

    Each call returns a new context; once returned it may be shared by any
    number of threads.  Does not block.  Raises :class:`CertificateError`
    naming the file and the fix when a file is missing, unreadable, not PEM,
    has no certificate or no key, the key does not match, or the certificate is
    expired or not yet valid, or ``cafile`` holds no certificate;
    :class:`ConfigurationError` for a ``client_cert`` value it does not know.
    """
    mode = _client_cert_mode(client_cert)
    if certfile is None:
        certfile, cert_fix = SERVER_CERT_FILE, _REGENERATE
    else:
        certfile = _path('certfile', certfile)
        cert_fix = 'omit certfile to use the bundled test certificate'
    if keyfile is not None:
        keyfile = _path('keyfile', keyfile)

    context = ssl.SSLContext(_SERVER_PROTOCOL)
    _require_tls12(context)
    _load_pair(context, 'certfile', certfile, 'keyfile', keyfile, cert_fix)
    if cafile is not None:
        _load_trust(context, 'cafile', _path('cafile', cafile),
                    'omit cafile to trust the bundled test CA')
    elif mode != ssl.CERT_NONE:
        _load_trust(context, 'cafile', CA_FILE, _REGENERATE)
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
        cafile, ca_fix = CA_FILE, _REGENERATE
    else:
        cafile = _path('cafile', cafile)
        ca_fix = 'omit cafile to trust the bundled test CA'
    # Checked first so that a bad file gets our message, not OpenSSL's.
    _read_certificates('cafile', cafile, ca_fix)
    try:
        context = ssl.create_default_context(cafile=cafile)
    except (ssl.SSLError, IOError, OSError) as error:
        raise CertificateError("cafile '%s' cannot be loaded (%s); %s"
                               % (cafile, error, ca_fix))
    _require_tls12(context)

    if client_cert is None or client_cert is False:
        return context
    own_fix = 'pass client_cert=True to use the bundled test client certificate'
    if client_cert is True:
        _load_pair(context, 'client_cert', CLIENT_CERT_FILE, 'client_cert',
                   None, _REGENERATE)
    elif isinstance(client_cert, (tuple, list)) and len(client_cert) == 2:
        _load_pair(context, 'client_cert[0]',
                   _path('client_cert[0]', client_cert[0]),
                   'client_cert[1]', _path('client_cert[1]', client_cert[1]),
                   own_fix)
    elif isinstance(client_cert, (tuple, list, bool, int, float, dict)):
        raise ConfigurationError(
            'client_cert is %r; pass True for the bundled test client '
            'certificate, the path of a PEM file holding a certificate and its '
            'key, or a (certfile, keyfile) pair' % (client_cert,))
    else:
        _load_pair(context, 'client_cert', _path('client_cert', client_cert),
                   'client_cert', None, own_fix)
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
    from :func:`server_context`.

    Returns None for an object that is not a TLS socket (plain HTTP), so it can
    be called for every connection.  Works on :class:`ssl.SSLSocket` and
    :class:`ssl.SSLObject`.  Thread-safe; does not block.  Raises ValueError
    (from :mod:`ssl`) if the handshake has not been done.
    """
    if not hasattr(ssl_socket, 'getpeercert') or not hasattr(ssl_socket, 'cipher'):
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


def certificate_not_after(path):
    # type: (str) -> int
    """Return the notAfter time of the first certificate in a PEM file.

    The result is in seconds since the epoch (UTC).  Thread-safe; reads the
    file.  Raises :class:`CertificateError` naming the file when it is missing,
    unreadable or holds no certificate.
    """
    path = _path('path', path)
    fix = _REGENERATE if path in _BUNDLED else 'pass a PEM certificate file'
    return _validity('path', path, fix)[1]


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
        for name in ('OP_NO_SSLv2', 'OP_NO_SSLv3', 'OP_NO_TLSv1', 'OP_NO_TLSv1_1'):
            context.options |= getattr(ssl, name, 0)


def _client_cert_mode(client_cert):
    # type: (Any) -> ssl.VerifyMode
    try:
        return _CLIENT_CERT_MODES[client_cert]
    except (KeyError, TypeError):
        raise ConfigurationError(
            "client_cert is %r; pass None or 'none' (do not ask the client for "
            "a certificate), 'optional' or 'required'" % (client_cert,))


def _record_server_name(ssl_socket, server_name, context):
    # type: (Any, Optional[str], Any) -> None
    """Keep the SNI name on the socket; returning None lets the handshake go on."""
    try:
        setattr(ssl_socket, _SNI_ATTRIBUTE, server_name)
    except AttributeError:  # an object without a __dict__; the name is lost
        pass


def _load_trust(context, argument, cafile, fix):
    # type: (ssl.SSLContext, str, str, str) -> None
    _read_certificates(argument, cafile, fix)
    try:
        context.load_verify_locations(cafile=cafile)
    except (ssl.SSLError, IOError, OSError) as error:
        raise CertificateError("%s '%s' cannot be loaded (%s); %s"
                               % (argument, cafile, error, fix))


def _load_pair(context, cert_argument, certfile, key_argument, keyfile, fix):
    # type: (ssl.SSLContext, str, str, str, Optional[str], str) -> None
    """Check a certificate and its key, then load them into ``context``."""
    data = _read_certificates(cert_argument, certfile, fix)
    if keyfile is None:
        key_argument, keyfile, key_data = cert_argument, certfile, data
        if not _KEY_BEGIN.search(key_data):
            raise CertificateError(
                "%s '%s' holds a certificate but no private key; append the "
                "key to the file, pass the key file separately, or %s"
                % (cert_argument, certfile, fix))
    else:
        key_data = _read(key_argument, keyfile, fix)
        if not _KEY_BEGIN.search(key_data):
            raise CertificateError(
                "%s '%s' holds no private key (no '-----BEGIN ... PRIVATE "
                "KEY-----' block); pass the key file of the certificate or %s"
                % (key_argument, keyfile, fix))
    if _ENCRYPTED_KEY.search(key_data):
        raise CertificateError(
            "%s '%s' holds an encrypted private key; decrypt it with 'openssl "
            "pkey -in %s -out key.pem' and pass that, or %s"
            % (key_argument, keyfile, keyfile, fix))

    not_before, not_after = _validity(cert_argument, certfile, fix)
    now = time.time()
    if now > not_after:
        raise CertificateError("%s '%s' expired on %s; pass a current "
                               "certificate or %s"
                               % (cert_argument, certfile, _utc(not_after), fix))
    if now < not_before:
        raise CertificateError(
            "%s '%s' is not valid until %s and the clock says %s; check the "
            "system clock, pass a current certificate or %s"
            % (cert_argument, certfile, _utc(not_before), _utc(now), fix))

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


# -- Reading certificate files ------------------------------------------------

def _path(argument, value):
    # type: (str, Any) -> str
    """Return ``value`` as a path string, accepting os.PathLike objects."""
    path = fspath(value)
    if path is None:
        raise ConfigurationError('%s is %r; pass a file path (a string or an '
                                 'os.PathLike object)' % (argument, value))
    return path


def _read(argument, path, fix):
    # type: (str, str, str) -> bytes
    if not os.path.exists(path):
        raise CertificateError("%s '%s' does not exist; check the path or %s"
                               % (argument, path, fix))
    if os.path.isdir(path):
        raise CertificateError("%s '%s' is a directory, not a PEM file; %s"
                               % (argument, path, fix))
    try:
        with open(path, 'rb') as stream:
            return stream.read()
    except (IOError, OSError) as error:
        raise CertificateError("%s '%s' cannot be read (%s); check its "
                               "permissions or %s"
                               % (argument, path, error.strerror or error, fix))


def _read_certificates(argument, path, fix):
    # type: (str, str, str) -> bytes
    """Return the bytes of a file that holds at least one PEM certificate."""
    data = _read(argument, path, fix)
    if _CERT_BEGIN in data:
        return data
    if b'-----BEGIN ' in data:
        raise CertificateError(
            "%s '%s' holds no certificate (no '-----BEGIN CERTIFICATE-----' "
            "block); pass a PEM file that starts with the certificate, or %s"
            % (argument, path, fix))
    raise CertificateError(
        "%s '%s' is not a PEM file (no '-----BEGIN' line); convert a DER "
        "certificate with 'openssl x509 -inform der -in %s -out cert.pem', or %s"
        % (argument, path, path, fix))


# (path, size, mtime, inode) -> (notBefore, notAfter): immutable facts about
# one version of a file, so servers share nothing mutable through it; it
# saves parsing the same certificate for every HTTPS server a suite makes.
_VALIDITY_CACHE = {}  # type: Dict[Tuple[Any, ...], Tuple[int, int]]


def _validity(argument, path, fix):
    # type: (str, str, str) -> Tuple[int, int]
    """Return (notBefore, notAfter) of the first certificate, in epoch seconds."""
    _read_certificates(argument, path, fix)
    try:
        stat = os.stat(path)
        key = (os.path.abspath(path), stat.st_size, stat.st_mtime,
               stat.st_ino)  # type: Tuple[Any, ...]
    except OSError:
        key = ()
    if key in _VALIDITY_CACHE:
        return _VALIDITY_CACHE[key]
    # ssl._ssl._test_decode_cert is private, but every Python this package
    # supports (2.7.9+, 3.6-3.13) has it: OpenSSL parses the dates, so no
    # ASN.1 reader of our own is needed.
    try:
        decoded = ssl._ssl._test_decode_cert(path)  # type: ignore[attr-defined]
        dates = (ssl.cert_time_to_seconds(decoded['notBefore']),
                 ssl.cert_time_to_seconds(decoded['notAfter']))
        if key:
            _VALIDITY_CACHE[key] = dates
        return dates
    except (ssl.SSLError, ValueError, KeyError, IndexError) as error:
        raise CertificateError(
            "%s '%s' holds a certificate that cannot be parsed (%s); pass a "
            "valid PEM certificate or %s" % (argument, path, error, fix))


def _utc(seconds):
    # type: (float) -> str
    return time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(seconds))


def _flatten_name(name):
    # type: (Any) -> Dict[str, str]
    """Turn getpeercert()'s tuple of RDNs into a flat dict."""
    return dict(pair for rdn in name for pair in rdn)
