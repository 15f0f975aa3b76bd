"""Tests for httptestserver.tls: contexts and TLS facts (the bundled PKI
files and their dates are in test_certificates.py).

Handshakes run over real loopback sockets with a minimal one-connection TLS
server in a thread (the real server lives elsewhere).  Every socket operation
has a timeout and every thread is joined with one.  Tests that must make
certificates of their own (expired, not yet valid, encrypted key, untrusted)
use the openssl command and are skipped without it.
"""

import os
import socket
import ssl
import subprocess
import threading
import warnings

import pytest
from six.moves.urllib.request import HTTPSHandler, ProxyHandler, build_opener

from httptestserver import certificates, tls
from httptestserver.errors import CertificateError, ConfigurationError

from conftest import needs_ipv6, which

TIMEOUT = 10.0
SERVER_CRT = os.path.join(tls.CERTS_DIR, 'server.crt')
CLIENT_CRT = os.path.join(tls.CERTS_DIR, 'client.crt')
ISSUING_CA = os.path.join(tls.CERTS_DIR, 'issuing-ca.pem')
ISSUING_CA_KEY = os.path.join(tls.CERTS_DIR, 'issuing-ca.key')


OPENSSL = which('openssl')
needs_openssl = pytest.mark.skipif(OPENSSL is None,
                                   reason='no openssl command')


def run_openssl(*args):
    """Run the openssl command; return (exit status, output)."""
    process = subprocess.Popen((OPENSSL,) + args, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    output = process.communicate()[0].decode('utf-8', 'replace')
    return process.returncode, output


def openssl(*args):
    status, output = run_openssl(*args)
    assert status == 0, 'openssl %s failed:\n%s' % (args, output)
    return output


def write(path, data):
    with open(path, 'wb') as stream:
        stream.write(data)
    return path


def read(path):
    with open(path, 'rb') as stream:
        return stream.read()


# -- Certificate files made for the failure cases -----------------------------

def _self_signed(directory, name, not_before, not_after):
    """Make NAME.pem (certificate + key) valid between two YYYYMMDDHHMMSSZ
    dates.

    `openssl ca` is used because `openssl req -x509` in OpenSSL 3.0 cannot set
    dates in the past.
    """
    path = lambda suffix: os.path.join(directory, name + suffix)  # noqa: E731
    write(path('.cnf'), (
        '[req]\ndistinguished_name = dn\n[dn]\n'
        '[ca]\ndefault_ca = test\n'
        '[test]\ndatabase = %s\nserial = %s\nnew_certs_dir = %s\n'
        'default_md = sha256\npolicy = any\nunique_subject = no\n'
        '[any]\ncommonName = supplied\n'
        '[leaf]\nbasicConstraints = critical, CA:FALSE\n'
        'subjectAltName = DNS:localhost\n'
        % (path('.index'), path('.serial'), directory)).encode('ascii'))
    write(path('.index'), b'')
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt',
            'ec_paramgen_curve:P-256', '-out', path('.key'))
    openssl('req', '-new', '-config', path('.cnf'), '-key', path('.key'),
            '-subj', '/CN=localhost', '-out', path('.csr'))
    openssl('ca', '-batch', '-notext', '-config', path('.cnf'), '-selfsign',
            '-keyfile', path('.key'), '-rand_serial', '-extensions', 'leaf',
            '-startdate', not_before, '-enddate', not_after,
            '-in', path('.csr'), '-out', path('.crt'))
    write(path('.pem'), read(path('.crt')) + read(path('.key')))
    return path('.pem')


@pytest.fixture(scope='module')
def made(tmpdir_factory):
    """Certificate files that need the openssl command, made once."""
    if OPENSSL is None:
        pytest.skip('no openssl command')
    directory = str(tmpdir_factory.mktemp('made'))
    files = {
        'expired': _self_signed(directory, 'expired',
                                '20000101000000Z', '20200101000000Z'),
        'not_yet_valid': _self_signed(directory, 'future',
                                      '21000101000000Z', '21010101000000Z'),
        'untrusted': _self_signed(directory, 'untrusted',
                                  '20000101000000Z', '21000101000000Z'),
        'encrypted': os.path.join(directory, 'encrypted.pem'),
    }
    encrypted_key = os.path.join(directory, 'encrypted.key')
    openssl('pkey', '-in', tls.SERVER_KEY_FILE, '-aes256', '-passout',
            'pass:secret', '-out', encrypted_key)
    write(files['encrypted'], read(SERVER_CRT) + read(encrypted_key))
    return files


def _issued(directory, name, names):
    """Make NAME.pem: a leaf for ``names`` (a subjectAltName value) signed
    with the bundled issuing CA's public key, then the issuing CA, then the
    leaf's key -- what anyone holding the published key could make."""
    path = lambda suffix: os.path.join(directory, name + suffix)  # noqa: E731
    write(path('.cnf'), (
        '[req]\ndistinguished_name = dn\n[dn]\n'
        '[ca]\ndefault_ca = test\n'
        '[test]\ndatabase = %s\nserial = %s\nnew_certs_dir = %s\n'
        'default_md = sha256\npolicy = any\nunique_subject = no\n'
        '[any]\ncommonName = supplied\n'
        '[leaf]\nbasicConstraints = critical, CA:FALSE\n'
        'keyUsage = critical, digitalSignature\n'
        'extendedKeyUsage = serverAuth\n'
        'subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n'
        'subjectAltName = %s\n'
        % (path('.index'), path('.serial'), directory, names)).encode('ascii'))
    write(path('.index'), b'')
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt',
            'ec_paramgen_curve:P-256', '-out', path('.key'))
    openssl('req', '-new', '-config', path('.cnf'), '-key', path('.key'),
            '-subj', '/CN=' + name, '-out', path('.csr'))
    openssl('ca', '-batch', '-notext', '-config', path('.cnf'),
            '-cert', ISSUING_CA, '-keyfile', ISSUING_CA_KEY, '-rand_serial',
            '-extensions', 'leaf', '-days', '30',
            '-in', path('.csr'), '-out', path('.crt'))
    write(path('.pem'),
          read(path('.crt')) + read(ISSUING_CA) + read(path('.key')))
    return path('.pem')


# Extra names for a leaf that is otherwise valid for localhost: the names
# the bundled CAs' name constraints permit, and some they do not.
INSIDE = ['DNS:www.example.test', 'DNS:app.localhost', 'IP:127.0.0.2']
OUTSIDE = ['DNS:www.example.com', 'DNS:localhost.example.com',
           'DNS:evillocalhost', 'IP:10.0.0.1', 'IP:::2']
LOCALHOST = 'DNS:localhost,IP:127.0.0.1,DNS:127.0.0.1'


@pytest.fixture(scope='module')
def issued(tmpdir_factory):
    """Leaves signed with the bundled issuing CA's key, made once."""
    if OPENSSL is None:
        pytest.skip('no openssl command')
    directory = str(tmpdir_factory.mktemp('issued'))
    files = {
        'www.example.com': _issued(directory, 'outside',
                                   'DNS:www.example.com'),
        'www.example.test': _issued(directory, 'inside',
                                    'DNS:www.example.test'),
    }
    for index, extra in enumerate(INSIDE + OUTSIDE):
        files[extra] = _issued(directory, 'extra%d' % index,
                               LOCALHOST + ',' + extra)
    return files


@pytest.fixture
def broken(tmpdir):
    """Unusable certificate files built from the bundled ones."""
    directory = str(tmpdir)
    return {
        'missing': os.path.join(directory, 'missing.pem'),
        'directory': directory,
        'not_pem': write(os.path.join(directory, 'not-pem.pem'),
                         ssl.PEM_cert_to_DER_cert(
                             read(SERVER_CRT).decode('ascii'))),
        'key_only': write(os.path.join(directory, 'key-only.pem'),
                          read(tls.SERVER_KEY_FILE)),
        'no_key': write(os.path.join(directory, 'no-key.pem'),
                        read(SERVER_CRT)),
        'mismatch': write(os.path.join(directory, 'mismatch.pem'),
                          read(SERVER_CRT) + read(tls.CLIENT_KEY_FILE)),
    }


# -- A one-connection TLS server over loopback --------------------------------

def _serve_one(listener, context, outcome, http):
    try:
        connection = listener.accept()[0]
    except Exception as error:
        outcome['server_error'] = error
        return
    try:
        connection.settimeout(TIMEOUT)
        outcome['first_bytes'] = connection.recv(16, socket.MSG_PEEK)
        try:
            tls_socket = context.wrap_socket(connection, server_side=True)
        except Exception as error:
            outcome['server_error'] = error
            return
        try:
            outcome['info'] = tls.connection_info(tls_socket)
            if http:
                request = b''
                while b'\r\n\r\n' not in request:
                    chunk = tls_socket.recv(4096)
                    if not chunk:
                        break
                    request += chunk
                tls_socket.sendall(b'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n'
                                   b'Connection: close\r\n\r\nok')
            else:
                tls_socket.sendall(b'ok')
        except Exception as error:
            outcome['server_error'] = error
        finally:
            tls_socket.close()
    finally:
        connection.close()


def exchange(server_context, client, address='127.0.0.1', http=False):
    """Serve one TLS connection while ``client(port)`` runs; return the
    outcome.

    The outcome dict holds 'info' (connection_info on the server side) or
    'server_error', 'first_bytes' peeked before the handshake, and
    'client_result' or 'client_error'.
    """
    family = socket.AF_INET6 if ':' in address else socket.AF_INET
    listener = socket.socket(family)
    listener.settimeout(TIMEOUT)
    outcome = {}
    try:
        listener.bind((address, 0))
        listener.listen(1)
        thread = threading.Thread(
            target=_serve_one,
            args=(listener, server_context, outcome, http))
        thread.daemon = True
        thread.start()
        try:
            outcome['client_result'] = client(listener.getsockname()[1])
        except (ssl.SSLError, ssl.CertificateError, EnvironmentError) as error:
            outcome['client_error'] = error
        finally:
            thread.join(TIMEOUT)
        assert not thread.is_alive(), \
            'server thread still running after %ss' % TIMEOUT
    finally:
        listener.close()
    return outcome


def raw_client(context, server_hostname, address='127.0.0.1'):
    """Return a client that handshakes and reads the server's 'ok'."""
    def client(port):
        sock = socket.create_connection((address, port), timeout=TIMEOUT)
        try:
            tls_socket = context.wrap_socket(
                sock, server_hostname=server_hostname)
            try:
                return tls_socket.recv(2)
            finally:
                tls_socket.close()
        finally:
            sock.close()
    return client


def handshake(server_context, client_context, server_hostname='localhost',
              address='127.0.0.1'):
    return exchange(server_context,
                    raw_client(client_context, server_hostname, address),
                    address)


def succeeded(outcome):
    assert 'client_error' not in outcome, outcome
    assert 'server_error' not in outcome, outcome
    assert outcome['client_result'] == b'ok', outcome
    return outcome['info']


def tls_1_1_client():
    """A client that offers TLS 1.1 only and accepts any certificate."""
    with warnings.catch_warnings():  # TLS 1.1 is deprecated on 3.10+
        warnings.simplefilter('ignore', DeprecationWarning)
        if hasattr(ssl, 'TLSVersion'):
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.minimum_version = ssl.TLSVersion.TLSv1_1
            context.maximum_version = ssl.TLSVersion.TLSv1_1
        else:  # Python 2 and 3.6
            context = ssl.SSLContext(ssl.PROTOCOL_TLSv1_1)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # OpenSSL 3 allows TLS 1.1 only at security level 0.
    context.set_ciphers('DEFAULT:@SECLEVEL=0')
    return context


# -- The bundled test PKI, as contexts use it --------------------------------

def test_the_bundled_pki_is_importable_from_tls():
    for name in ['CERTS_DIR', 'CA_FILE', 'SERVER_CERT_FILE', 'SERVER_KEY_FILE',
                 'CLIENT_CERT_FILE', 'CLIENT_KEY_FILE',
                 'certificate_not_after']:
        assert getattr(tls, name) is getattr(certificates, name), name
        assert name in tls.__all__, name


def test_every_bundled_certificate_loads():
    tls.server_context()
    tls.server_context(certfile=SERVER_CRT, keyfile=tls.SERVER_KEY_FILE)
    tls.server_context(client_cert='required', cafile=tls.CA_FILE)
    tls.client_context(client_cert=True)
    tls.client_context(client_cert=tls.CLIENT_CERT_FILE)
    tls.client_context(client_cert=(CLIENT_CRT, tls.CLIENT_KEY_FILE))
    ssl.create_default_context(cafile=tls.CA_FILE)


# -- server_context: checking files at creation -------------------------------

def test_expired_certificate_is_refused_with_date_and_fix(made):
    with pytest.raises(CertificateError) as caught:
        tls.server_context(certfile=made['expired'])
    assert str(caught.value) == (
        "certfile '%s' expired on 2020-01-01 00:00:00 UTC; pass a current "
        "certificate or omit certfile to use the bundled test certificate"
        % made['expired'])


def test_not_yet_valid_certificate_is_refused(made):
    with pytest.raises(CertificateError) as caught:
        tls.server_context(certfile=made['not_yet_valid'])
    message = str(caught.value)
    assert made['not_yet_valid'] in message
    assert 'not valid until 2100-01-01 00:00:00 UTC' in message
    assert 'clock' in message


def test_encrypted_key_is_refused_without_prompting(made):
    with pytest.raises(CertificateError) as caught:
        tls.server_context(certfile=made['encrypted'])
    assert made['encrypted'] in str(caught.value)
    assert 'encrypted private key' in str(caught.value)


@pytest.mark.parametrize('case, phrase', [
    ('missing', 'does not exist'),
    ('directory', 'is a directory'),
    ('not_pem', 'is not a PEM file'),
    ('key_only', 'holds no certificate'),
    ('no_key', 'no private key'),
    ('mismatch', 'does not match'),
])
def test_unusable_certfile_is_refused_naming_the_file(broken, case, phrase):
    with pytest.raises(CertificateError) as caught:
        tls.server_context(certfile=broken[case])
    message = str(caught.value)
    assert "certfile '%s'" % broken[case] in message
    assert phrase in message
    assert 'omit certfile to use the bundled test certificate' in message


def test_keyfile_that_does_not_match_is_refused_naming_both_files():
    with pytest.raises(CertificateError) as caught:
        tls.server_context(certfile=SERVER_CRT, keyfile=tls.CLIENT_KEY_FILE)
    message = str(caught.value)
    assert "keyfile '%s' does not match" % tls.CLIENT_KEY_FILE in message
    assert "certfile '%s'" % SERVER_CRT in message


def test_keyfile_without_a_key_is_refused():
    with pytest.raises(CertificateError) as caught:
        tls.server_context(certfile=SERVER_CRT, keyfile=CLIENT_CRT)
    assert "keyfile '%s' holds no private key" % CLIENT_CRT in \
        str(caught.value)


def test_missing_keyfile_is_refused(broken):
    with pytest.raises(CertificateError) as caught:
        tls.server_context(certfile=SERVER_CRT, keyfile=broken['missing'])
    assert "keyfile '%s' does not exist" % broken['missing'] in \
        str(caught.value)


@pytest.mark.skipif(not hasattr(os, 'geteuid') or os.geteuid() == 0,
                    reason='root reads any file; needs POSIX permissions')
def test_unreadable_certfile_is_refused(tmpdir):
    path = write(str(tmpdir.join('secret.pem')), read(tls.SERVER_CERT_FILE))
    os.chmod(path, 0)
    with pytest.raises(CertificateError) as caught:
        tls.server_context(certfile=path)
    assert "certfile '%s' cannot be read" % path in str(caught.value)


def test_certificate_error_is_a_configuration_error():
    assert issubclass(CertificateError, ConfigurationError)


def test_certfile_may_be_a_path_object(tmpdir):
    tls.server_context(certfile=type(tmpdir)(tls.SERVER_CERT_FILE))  # py.path
    pathlib = pytest.importorskip('pathlib')
    tls.server_context(certfile=pathlib.Path(tls.SERVER_CERT_FILE))


# -- server_context: options -------------------------------------------------

@pytest.mark.parametrize('value', ['yes', 'REQUIRED', True, ssl.CERT_REQUIRED,
                                   ['required']])
def test_unknown_client_cert_value_is_refused_listing_the_choices(value):
    with pytest.raises(ConfigurationError) as caught:
        tls.server_context(client_cert=value)
    message = str(caught.value)
    assert message.startswith('client_cert is %r;' % (value,))
    assert "'none'" in message and "'optional'" in message and \
        "'required'" in message


@pytest.mark.parametrize('value, mode', [
    (None, ssl.CERT_NONE),
    ('none', ssl.CERT_NONE),
    ('optional', ssl.CERT_OPTIONAL),
    ('required', ssl.CERT_REQUIRED),
])
def test_client_cert_sets_the_verify_mode(value, mode):
    assert tls.server_context(client_cert=value).verify_mode == mode


def test_cafile_without_client_cert_asks_for_no_certificate():
    assert tls.server_context(cafile=tls.CA_FILE).verify_mode == ssl.CERT_NONE


@pytest.mark.parametrize('client_cert', [None, 'required'])
def test_missing_cafile_is_refused(broken, client_cert):
    with pytest.raises(CertificateError) as caught:
        tls.server_context(client_cert=client_cert, cafile=broken['missing'])
    assert "cafile '%s' does not exist" % broken['missing'] in \
        str(caught.value)


def _allows_only_tls12_and_later(context):
    if hasattr(context, 'minimum_version') and hasattr(ssl, 'TLSVersion'):
        return context.minimum_version == ssl.TLSVersion.TLSv1_2
    # Python 2, 3.6: no minimum_version
    flags = ssl.OP_NO_SSLv3 | ssl.OP_NO_TLSv1 | ssl.OP_NO_TLSv1_1
    return context.options & flags == flags


@pytest.mark.skipif(not hasattr(ssl, 'OP_NO_RENEGOTIATION'),
                    reason='ssl.OP_NO_RENEGOTIATION is Python 3.7+')
@pytest.mark.parametrize('client_cert', [None, 'optional', 'required'])
def test_server_context_refuses_renegotiation(client_cert):
    context = tls.server_context(client_cert=client_cert)
    assert context.options & ssl.OP_NO_RENEGOTIATION


def test_server_and_client_contexts_require_tls_1_2():
    assert _allows_only_tls12_and_later(tls.server_context())
    assert _allows_only_tls12_and_later(tls.client_context())


# -- client_context ----------------------------------------------------------

def test_client_context_verifies_certificates_and_host_names():
    context = tls.client_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


def test_client_context_is_a_new_object_each_call():
    assert tls.client_context() is not tls.client_context()
    assert tls.server_context() is not tls.server_context()


@pytest.mark.parametrize('value', [('only-one',), 1, 'REQUIRED'.split(), {}])
def test_client_context_refuses_unknown_client_cert_values(value):
    with pytest.raises(ConfigurationError) as caught:
        tls.client_context(client_cert=value)
    assert str(caught.value).startswith('client_cert is ')


def test_client_context_names_a_missing_client_cert(broken):
    with pytest.raises(CertificateError) as caught:
        tls.client_context(client_cert=broken['missing'])
    assert "client_cert '%s' does not exist" % broken['missing'] in \
        str(caught.value)
    with pytest.raises(CertificateError) as caught:
        tls.client_context(client_cert=(CLIENT_CRT, broken['missing']))
    assert "client_cert[1] '%s' does not exist" % broken['missing'] in \
        str(caught.value)


def test_client_context_names_a_cafile_without_certificates(broken):
    with pytest.raises(CertificateError) as caught:
        tls.client_context(cafile=broken['key_only'])
    assert "cafile '%s' holds no certificate" % broken['key_only'] in \
        str(caught.value)


# -- Handshakes over loopback ------------------------------------------------

@pytest.mark.parametrize('hostname', ['localhost', '127.0.0.1'])
def test_client_context_trusts_server_context(hostname):
    info = succeeded(handshake(tls.server_context(), tls.client_context(),
                               hostname))
    assert info['version'] in ('TLSv1.2', 'TLSv1.3')


@needs_ipv6
def test_client_context_trusts_server_context_over_ipv6():
    succeeded(handshake(tls.server_context(), tls.client_context(),
                        '::1', '::1'))


@pytest.mark.parametrize('hostname', ['localhost', '127.0.0.1'])
def test_client_without_the_test_ca_fails_verification(hostname):
    outcome = handshake(tls.server_context(), ssl.create_default_context(),
                        hostname)
    assert 'info' not in outcome
    error = outcome['client_error']
    assert isinstance(error, ssl.SSLError), error
    assert 'CERTIFICATE_VERIFY_FAILED' in str(error)


def test_client_context_refuses_a_host_name_the_certificate_lacks():
    outcome = handshake(tls.server_context(), tls.client_context(),
                        'example.com')
    assert isinstance(outcome['client_error'],
                      (ssl.CertificateError, ssl.SSLError))
    assert 'example.com' in str(outcome['client_error'])


# -- The name constraints of the bundled CAs, as a verifying client sees them -

def _refused_by_name_constraints(outcome):
    assert 'info' not in outcome, outcome
    error = outcome['client_error']
    assert isinstance(error, ssl.SSLError), error
    assert 'CERTIFICATE_VERIFY_FAILED' in str(error)
    # Python 2.7 and 3.6 do not say which check failed.
    if hasattr(error, 'verify_message'):
        assert error.verify_message == 'permitted subtree violation', error


def test_a_leaf_for_a_test_name_signed_with_the_public_key_verifies(issued):
    # The twin of the test below: made the same way, for a permitted name.
    server_context = tls.server_context(certfile=issued['www.example.test'])
    succeeded(handshake(server_context, tls.client_context(),
                        'www.example.test'))


def test_a_leaf_for_a_real_name_signed_with_the_public_key_fails(issued):
    outcome = handshake(tls.server_context(certfile=issued['www.example.com']),
                        tls.client_context(), 'www.example.com')
    _refused_by_name_constraints(outcome)


@pytest.mark.parametrize('extra', INSIDE)
def test_a_leaf_may_add_any_permitted_name(issued, extra):
    succeeded(handshake(tls.server_context(certfile=issued[extra]),
                        tls.client_context(), 'localhost'))


@pytest.mark.parametrize('extra', OUTSIDE)
def test_one_name_outside_the_constraints_fails_the_whole_leaf(issued, extra):
    # The client asks for localhost, which the leaf names: only the extra
    # name can make it fail.
    outcome = handshake(tls.server_context(certfile=issued[extra]),
                        tls.client_context(), 'localhost')
    _refused_by_name_constraints(outcome)


def test_openssl_strict_verification_refuses_a_name_outside_the_constraints(
        issued):
    chain = ('verify', '-x509_strict', '-purpose', 'sslserver',
             '-CAfile', tls.CA_FILE, '-untrusted', ISSUING_CA)
    status, output = run_openssl(*(chain + (issued['www.example.test'],)))
    assert status == 0, output
    status, output = run_openssl(*(chain + (issued['www.example.com'],)))
    assert status != 0, output
    assert 'permitted subtree violation' in output


def test_tls_1_1_client_is_refused():
    # The twin first: the same client does get through to a server that
    # allows TLS 1.1, so the refusal below is server_context's doing.
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        lax = ssl.SSLContext(getattr(ssl, 'PROTOCOL_TLS_SERVER',
                                     ssl.PROTOCOL_SSLv23))
        if hasattr(lax, 'minimum_version') and hasattr(ssl, 'TLSVersion'):
            lax.minimum_version = ssl.TLSVersion.TLSv1
    lax.load_cert_chain(tls.SERVER_CERT_FILE)
    lax.set_ciphers('DEFAULT:@SECLEVEL=0')
    twin = handshake(lax, tls_1_1_client())
    if 'info' not in twin:
        pytest.skip('this OpenSSL cannot speak TLS 1.1 at all: %r' % (twin,))
    assert twin['info']['version'] == 'TLSv1.1'

    outcome = handshake(tls.server_context(), tls_1_1_client())
    assert 'info' not in outcome
    assert 'UNSUPPORTED_PROTOCOL' in str(outcome['server_error'])
    assert 'client_error' in outcome


def test_tls_1_2_client_is_served():
    client = tls.client_context()
    if hasattr(client, 'maximum_version') and hasattr(ssl, 'TLSVersion'):
        client.maximum_version = ssl.TLSVersion.TLSv1_2
    else:  # Python 2 and 3.6
        client.options |= getattr(ssl, 'OP_NO_TLSv1_3', 0)
    info = succeeded(handshake(tls.server_context(), client))
    assert info['version'] == 'TLSv1.2'
    assert 'ECDSA' in info['cipher']


def test_connection_info_reports_version_cipher_and_server_name():
    info = succeeded(handshake(tls.server_context(), tls.client_context(),
                               'localhost'))
    assert set(info) == {'version', 'cipher', 'server_name', 'client_cert'}
    assert info['version'] in ('TLSv1.2', 'TLSv1.3')
    assert info['cipher'] and info['cipher'] != 'None'
    assert info['server_name'] == 'localhost'
    assert info['client_cert'] is None


def unverified_client():
    """A client context that checks nothing, to send any server name."""
    context = tls.client_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@pytest.mark.parametrize('server_name', ['xn--bcher-kva.test', 'localhost'])
def test_connection_info_reports_the_server_name_as_sent(server_name):
    # Python 2.7 and 3.6 hand the SNI callback u'b\xfccher.test' for the
    # first; connection_info gives the A-label everywhere.
    info = succeeded(handshake(tls.server_context(), unverified_client(),
                               server_name))
    assert info['server_name'] == server_name
    assert type(info['server_name']) is str


def test_connection_info_has_no_server_name_for_an_ip_address():
    # Clients do not send SNI for an IP address (RFC 6066 section 3).
    info = succeeded(handshake(tls.server_context(), tls.client_context(),
                               '127.0.0.1'))
    assert info['server_name'] is None


def test_connection_info_is_none_for_a_plain_socket():
    sock = socket.socket()
    try:
        assert tls.connection_info(sock) is None
    finally:
        sock.close()


def test_required_client_cert_missing_fails_the_handshake():
    outcome = handshake(tls.server_context(client_cert='required'),
                        tls.client_context())
    assert 'info' not in outcome
    assert 'server_error' in outcome
    # Under TLS 1.3 the client finishes first and learns at its first read.
    assert 'client_error' in outcome


def test_required_client_cert_present_is_recorded():
    info = succeeded(handshake(tls.server_context(client_cert='required'),
                               tls.client_context(client_cert=True)))
    assert info['client_cert'] == {
        'subject': {'commonName': 'httptestserver test client',
                    'organizationName': 'httptestserver TEST ONLY'},
        'issuer': {'commonName':
                   'httptestserver TEST issuing CA - DO NOT TRUST',
                   'organizationName': 'httptestserver TEST ONLY'},
        'verified': True,
    }


def test_client_cert_as_separate_files_is_recorded():
    client = tls.client_context(client_cert=(CLIENT_CRT, tls.CLIENT_KEY_FILE))
    info = succeeded(handshake(tls.server_context(client_cert='required'),
                               client))
    assert info['client_cert']['subject']['commonName'] == \
        'httptestserver test client'


def test_client_cert_from_an_untrusted_issuer_fails_the_handshake(made):
    client = tls.client_context(client_cert=made['untrusted'])
    outcome = handshake(tls.server_context(client_cert='required'), client)
    assert 'info' not in outcome
    assert 'server_error' in outcome


def test_optional_client_cert_absent_is_none():
    info = succeeded(handshake(tls.server_context(client_cert='optional'),
                               tls.client_context()))
    assert info['client_cert'] is None


def test_optional_client_cert_present_is_recorded():
    info = succeeded(handshake(tls.server_context(client_cert='optional'),
                               tls.client_context(client_cert=True)))
    assert info['client_cert']['verified'] is True


# -- Telling TLS from plain HTTP ---------------------------------------------

def test_a_real_client_hello_is_recognised():
    outcome = handshake(tls.server_context(), tls.client_context())
    succeeded(outcome)
    assert tls.is_tls_client_hello(outcome['first_bytes'])


@pytest.mark.parametrize('first_bytes, expected', [
    (b'\x16\x03\x01\x02\x00', True),
    (b'\x16\x03', True),
    (b'\x16', True),
    (b'GET / HTTP/1.1\r\n', False),
    (b'POST', False),
    (b'\x16\x02', False),
    (b'', False),
    (bytearray(b'\x16\x03\x03'), True),
])
def test_is_tls_client_hello(first_bytes, expected):
    assert tls.is_tls_client_hello(first_bytes) is expected


# -- Real HTTP clients -------------------------------------------------------

@pytest.mark.parametrize('hostname', ['localhost', '127.0.0.1'])
def test_urllib_accepts_client_context(hostname):
    # No ProxyHandler settings: an https_proxy in the environment must not
    # carry a loopback request away.
    opener = build_opener(ProxyHandler({}),
                          HTTPSHandler(context=tls.client_context()))

    def client(port):
        response = opener.open('https://%s:%d/' % (hostname, port),
                               timeout=TIMEOUT)
        try:
            return response.read()
        finally:
            response.close()

    outcome = exchange(tls.server_context(), client, http=True)
    assert outcome.get('client_result') == b'ok', outcome


@pytest.mark.parametrize('hostname', ['localhost', '127.0.0.1'])
def test_requests_verifies_with_the_ca_file_and_sends_the_client_cert(
        hostname):
    requests = pytest.importorskip('requests')

    def client(port):
        session = requests.Session()
        session.trust_env = False
        try:
            response = session.get('https://%s:%d/' % (hostname, port),
                                   verify=tls.CA_FILE, timeout=TIMEOUT,
                                   cert=(CLIENT_CRT, tls.CLIENT_KEY_FILE))
            return response.content
        finally:
            session.close()

    outcome = exchange(tls.server_context(client_cert='required'), client,
                       http=True)
    assert outcome.get('client_result') == b'ok', outcome
    assert outcome['info']['client_cert']['subject']['commonName'] == \
        'httptestserver test client'
