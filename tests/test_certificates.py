"""Tests for httptestserver.certificates: the bundled test PKI and the dates
of certificate files.

The checks a context runs on its files (missing, not PEM, no key, encrypted,
expired) are tested through server_context() and client_context() in
test_tls.py.  Tests that run the openssl command are skipped without it.
"""

import binascii
import os
import socket
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


# -- Reading one extension out of a DER certificate -------------------------

def _elements(der, start=0, end=None):
    """Yield (tag, content start, content end) for each DER element in a
    range."""
    end = len(der) if end is None else end
    while start < end:
        tag, length = bytearray(der[start:start + 2])
        start += 2
        if length & 0x80:  # long form: the next (length & 0x7f) bytes
            count = length & 0x7f
            length = int(binascii.hexlify(der[start:start + count]), 16)
            start += count
        yield tag, start, start + length
        start += length


def _general_name(der, tag, start, end):
    value = der[start:end]
    if tag == 0x82:  # [2] dNSName
        return 'DNS:' + value.decode('ascii')
    if tag == 0x87:  # [7] iPAddress: address then mask
        family = socket.AF_INET if len(value) == 8 else socket.AF_INET6
        half = len(value) // 2
        return 'IP:%s/%s' % (socket.inet_ntop(family, value[:half]),
                             socket.inet_ntop(family, value[half:]))
    return 'tag 0x%02x' % tag


def name_constraints(path):
    """Return the name constraints of the first certificate in a PEM file.

    ``{'critical': bool, 'permitted': [...], 'excluded': [...]}`` with names
    as ``'DNS:localhost'`` or ``'IP:127.0.0.0/255.0.0.0'``; None without
    the extension (RFC 5280 4.2.1.10).
    """
    with open(path) as stream:
        der = ssl.PEM_cert_to_DER_cert(stream.read())
    certificate = next(_elements(der))
    tbs = next(_elements(der, *certificate[1:]))
    for tag, start, end in _elements(der, *tbs[1:]):
        if tag != 0xa3:  # [3] extensions
            continue
        extensions = next(_elements(der, start, end))
        for _, e_start, e_end in _elements(der, *extensions[1:]):
            parts = list(_elements(der, e_start, e_end))
            if der[parts[0][1]:parts[0][2]] != b'\x55\x1d\x1e':  # 2.5.29.30
                continue
            critical = len(parts) == 3 and \
                der[parts[1][1]:parts[1][2]] != b'\x00'
            value = next(_elements(der, *parts[-1][1:]))
            found = {'critical': critical, 'permitted': [], 'excluded': []}
            for subtrees, s_start, s_end in _elements(der, *value[1:]):
                kind = 'permitted' if subtrees == 0xa0 else 'excluded'
                for _, g_start, g_end in _elements(der, s_start, s_end):
                    base = next(_elements(der, g_start, g_end))
                    found[kind].append(_general_name(der, *base))
            return found
    return None


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


#: What the bundled CAs may vouch for: loopback and RFC 6761 special-use
#: names (a DNS constraint covers the names below it too), the DNS copies of
#: the addresses that the server certificate keeps for Python 2.7, and the
#: loopback addresses.
PERMITTED = [
    'DNS:localhost', 'DNS:test', 'DNS:example', 'DNS:invalid',
    'DNS:127.0.0.1', 'DNS:::1',
    'IP:127.0.0.0/255.0.0.0', 'IP:::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
]


@pytest.mark.parametrize('path', [certificates.CA_FILE, ISSUING_CA],
                         ids=os.path.basename)
def test_bundled_cas_permit_only_loopback_and_special_use_names(path):
    assert name_constraints(path) == {
        'critical': True, 'permitted': PERMITTED, 'excluded': []}


def test_leaf_certificates_carry_no_name_constraints():
    assert name_constraints(SERVER_CRT) is None
    assert name_constraints(CLIENT_CRT) is None


def test_the_root_ca_key_is_not_shipped():
    # The root's key was deleted once it had signed the issuing CA, so nobody
    # can make another, unconstrained, CA under ca.pem.
    keys = sorted(name for name in os.listdir(certificates.CERTS_DIR)
                  if name.endswith('.key'))
    assert keys == ['client.key', 'issuing-ca.key', 'server.key']


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
        % (path, time.strftime('%Y-%m-%d', time.gmtime(not_after)),
           MAKE_CERTS))


def test_certificate_not_after_matches_openssl_decoding():
    decoded = ssl._ssl._test_decode_cert(certificates.SERVER_CERT_FILE)
    not_after = certificates.certificate_not_after(
        certificates.SERVER_CERT_FILE)
    assert not_after == ssl.cert_time_to_seconds(decoded['notAfter'])
