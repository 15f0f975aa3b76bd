"""Certificate files: the bundled test PKI, and reading and checking PEM files.

This module owns the files TLS contexts are made from: where the bundled
TEST-ONLY PKI lives (``httptestserver/certs/``), and the checks a certificate
file and its key pass before OpenSSL sees them -- present, readable, PEM,
holding a certificate and an unencrypted key, valid now -- so a bad file
fails at setup with a message naming it and the fix, never an OpenSSL
prompt.  It reads files and never builds an :class:`ssl.SSLContext`:
:mod:`httptestserver.tls` does, and re-exports the public names.
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
    'REGENERATE',
    'certificate_not_after',
    'path_argument',
    'read_certificates',
    'check_pair',
]

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, Optional, Tuple  # noqa: F401

#: Directory of the bundled TEST-ONLY PKI (see ``certs/README.txt``).
CERTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'certs')
#: The test root CA certificate ("httptestserver TEST CA - DO NOT TRUST"),
#: the one clients trust; name constraints limit it to loopback and
#: special-use names (see ``certs/README.txt``).
CA_FILE = os.path.join(CERTS_DIR, 'ca.pem')
#: Server certificate for localhost, 127.0.0.1 and ::1, then the issuing CA's
#: and the key, in one file.
SERVER_CERT_FILE = os.path.join(CERTS_DIR, 'server.pem')
#: The server's private key alone (``SERVER_CERT_FILE`` holds it too).
SERVER_KEY_FILE = os.path.join(CERTS_DIR, 'server.key')
#: Client certificate for mutual TLS, then the issuing CA's and the key.
CLIENT_CERT_FILE = os.path.join(CERTS_DIR, 'client.pem')
#: The client's private key alone (``CLIENT_CERT_FILE`` holds it too).
CLIENT_KEY_FILE = os.path.join(CERTS_DIR, 'client.key')

#: The fix a message about a bundled file names.
REGENERATE = ('regenerate the bundled files with '
              'httptestserver/certs/make-certs.sh')
# The issuing CA signs the leaves; its certificate follows each leaf in
# SERVER_CERT_FILE and CLIENT_CERT_FILE, so nothing needs it by name.
_ISSUING_CA_FILE = os.path.join(CERTS_DIR, 'issuing-ca.pem')
_BUNDLED = frozenset([CA_FILE, _ISSUING_CA_FILE, SERVER_CERT_FILE,
                      SERVER_KEY_FILE, CLIENT_CERT_FILE, CLIENT_KEY_FILE])

_CERT_BEGIN = b'-----BEGIN CERTIFICATE-----'
# Matches "BEGIN PRIVATE KEY", "BEGIN EC PRIVATE KEY", "BEGIN RSA PRIVATE KEY"
# and "BEGIN ENCRYPTED PRIVATE KEY".
_KEY_BEGIN = re.compile(b'-----BEGIN [A-Z ]*PRIVATE KEY-----')
_ENCRYPTED_KEY = re.compile(
    b'-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED')


def certificate_not_after(path):
    # type: (str) -> int
    """Return the notAfter time of the first certificate in a PEM file.

    The result is in seconds since the epoch (UTC).  Thread-safe; reads the
    file.  Raises :class:`CertificateError` naming the file when it is missing,
    unreadable or holds no certificate.
    """
    path = path_argument('path', path)
    fix = REGENERATE if path in _BUNDLED else 'pass a PEM certificate file'
    return _validity('path', path, fix)[1]


def path_argument(argument, value):
    # type: (str, Any) -> str
    """Return ``value`` as a path string, accepting os.PathLike objects."""
    path = fspath(value)
    if path is None:
        raise ConfigurationError('%s is %r; pass a file path (a string or an '
                                 'os.PathLike object)' % (argument, value))
    return path


def check_pair(cert_argument, certfile, key_argument, keyfile, fix):
    # type: (str, str, str, Optional[str], str) -> Tuple[str, str]
    """Check a certificate file and its key before OpenSSL loads them.

    ``keyfile`` None means the key is in ``certfile``.  Returns
    ``(key_argument, keyfile)``, naming the file that holds the key.  Checks,
    in order: ``certfile`` holds a PEM certificate; the key file holds a
    private key, not an encrypted one; the certificate is valid now.  Reads
    the files; thread-safe.  Raises :class:`CertificateError` naming the file
    and ending with ``fix``.
    """
    data = read_certificates(cert_argument, certfile, fix)
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
        raise CertificateError(
            "%s '%s' expired on %s; pass a current certificate or %s"
            % (cert_argument, certfile, _utc(not_after), fix))
    if now < not_before:
        raise CertificateError(
            "%s '%s' is not valid until %s and the clock says %s; check the "
            "system clock, pass a current certificate or %s"
            % (cert_argument, certfile, _utc(not_before), _utc(now), fix))

    return key_argument, keyfile


def read_certificates(argument, path, fix):
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
        "certificate with 'openssl x509 -inform der -in %s -out cert.pem', "
        "or %s" % (argument, path, path, fix))


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
        raise CertificateError(
            "%s '%s' cannot be read (%s); check its permissions or %s"
            % (argument, path, error.strerror or error, fix))


# (path, size, mtime, inode) -> (notBefore, notAfter): immutable facts about
# one version of a file, so servers share nothing mutable through it; it
# saves parsing the same certificate for every HTTPS server a suite makes.
_VALIDITY_CACHE = {}  # type: Dict[Tuple[Any, ...], Tuple[int, int]]


def _validity(argument, path, fix):
    # type: (str, str, str) -> Tuple[int, int]
    """Return (notBefore, notAfter) of the first certificate, in epoch
    seconds."""
    read_certificates(argument, path, fix)
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
        decode = ssl._ssl._test_decode_cert  # type: ignore[attr-defined]
        decoded = decode(path)
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
