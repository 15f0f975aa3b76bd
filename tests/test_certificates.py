"""Tests for httptestserver.certificates: the bundled test PKI and the dates
of certificate files.

The checks a context runs on its files (missing, not PEM, no key, encrypted,
expired) are tested through server_context() and client_context() in
test_tls.py.  Tests that run the openssl command are skipped without it.
"""

import os
import ssl
import subprocess
import time

import pytest

from httptestserver import certificates

from conftest import which

YEAR = 365 * 24 * 3600
MAKE_CERTS = os.path.join(certificates.CERTS_DIR, 'make-certs.sh')
SERVER_CRT = os.path.join(certificates.CERTS_DIR, 'server.crt')
CLIENT_CRT = os.path.join(certificates.CERTS_DIR, 'client.crt')
ISSUING_CA = os.path.join(certificates.CERTS_DIR, 'issuing-ca.pem')
ISSUING_CA_KEY = os.path.join(certificates.CERTS_DIR, 'issuing-ca.key')
BUNDLED_CERTIFICATES = [certificates.CA_FILE, ISSUING_CA,
                        certificates.SERVER_CERT_FILE, SERVER_CRT,
                        certificates.CLIENT_CERT_FILE, CLIENT_CRT]


OPENSSL = which('openssl')
needs_openssl = pytest.mark.skipif(OPENSSL is None,
                                   reason='no openssl command')


def openssl(*args):
    process = subprocess.Popen((OPENSSL,) + args, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    output = process.communicate()[0].decode('utf-8', 'replace')
    assert process.returncode == 0, 'openssl %s failed:\n%s' % (args, output)
    return output


def read(path):
    with open(path, 'rb') as stream:
        return stream.read()


# -- The bundled test PKI -----------------------------------------------------

def test_bundled_paths_are_absolute_and_exist():
    for path in [certificates.CERTS_DIR, certificates.CA_FILE,
                 certificates.SERVER_CERT_FILE, certificates.SERVER_KEY_FILE,
                 certificates.CLIENT_CERT_FILE, certificates.CLIENT_KEY_FILE,
                 SERVER_CRT, CLIENT_CRT, ISSUING_CA, ISSUING_CA_KEY,
                 MAKE_CERTS]:
        assert os.path.isabs(path), path
        assert os.path.exists(path), path


def test_bundled_pem_files_hold_certificate_and_key():
    for path in [certificates.SERVER_CERT_FILE, certificates.CLIENT_CERT_FILE]:
        data = read(path)
        assert data.startswith(b'-----BEGIN CERTIFICATE-----'), path
        assert b'-----BEGIN PRIVATE KEY-----' in data, path


def test_bundled_ca_is_labelled_test_only():
    decoded = ssl._ssl._test_decode_cert(certificates.CA_FILE)
    subject = dict(pair for rdn in decoded['subject'] for pair in rdn)
    assert 'DO NOT TRUST' in subject['commonName']


@needs_openssl
def test_bundled_certificates_pass_openssl_strict_verification():
    chain = ('-x509_strict', '-CAfile', certificates.CA_FILE,
             '-untrusted', ISSUING_CA)
    output = openssl('verify', *(chain + (SERVER_CRT, CLIENT_CRT)))
    assert output.count(': OK') == 2, output
    openssl('verify', '-purpose', 'sslserver', *(chain + (SERVER_CRT,)))
    openssl('verify', '-purpose', 'sslclient', *(chain + (CLIENT_CRT,)))


@pytest.mark.parametrize('path', BUNDLED_CERTIFICATES, ids=os.path.basename)
def test_bundled_certificate_is_valid_for_more_than_a_year(path):
    not_after = certificates.certificate_not_after(path)
    assert not_after - time.time() > YEAR, (
        '%s expires on %s, less than a year from now; regenerate the test '
        'PKI with %s --new-ca and update the dates in certs/README.txt'
        % (path, time.strftime('%Y-%m-%d', time.gmtime(not_after)), MAKE_CERTS))


def test_certificate_not_after_matches_openssl_decoding():
    decoded = ssl._ssl._test_decode_cert(certificates.SERVER_CERT_FILE)
    not_after = certificates.certificate_not_after(
        certificates.SERVER_CERT_FILE)
    assert not_after == ssl.cert_time_to_seconds(decoded['notAfter'])
