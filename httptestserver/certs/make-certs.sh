#!/bin/sh
# Regenerate the TEST-ONLY PKI bundled with httptestserver.
#
# NOTHING HERE IS SECRET AND NOTHING HERE MAY BE TRUSTED OUTSIDE TESTS: the
# issuing CA's private key is published on purpose, so anyone can mint
# certificates that this PKI "vouches" for.  Never add ca.pem to a system or
# browser trust store.
#
# Two tiers, so that the name constraints hold for every client:
#   ca.pem          root CA, the one clients trust.  Its key is made in a
#                   temporary directory and thrown away once it has signed
#                   the issuing CA, so nobody can sign another CA under it.
#   issuing-ca.pem  signs the leaves; its key, issuing-ca.key, is public.
# Both carry critical name constraints that permit only loopback and
# special-use names (below), and the issuing CA has pathlen 0, so a
# certificate minted with the public key is good only for those names.  The
# constraint is repeated in the issuing CA because Java's trust manager
# ignores name constraints in a trust anchor (it builds TrustAnchor(cert,
# null)) but enforces them in an intermediate.
#
# Usage:  sh make-certs.sh            reuse the CAs if present, remake leaves
#         sh make-certs.sh --new-ca   also remake both CAs (every user of the
#                                     old ca.pem must then pick up the new one)
#
# Runs from any directory and writes only into the directory it lives in.
# Needs the openssl command (made with OpenSSL 3.0.19).  Keys are ECDSA P-256,
# signatures SHA-256.  Dates are fixed (UTC), not "now + N days", so a rerun
# gives the same validity window; override with NOT_BEFORE / NOT_AFTER in
# YYYYMMDDHHMMSSZ form.  After a rerun, update the dates in README.txt.
set -eu

NOT_BEFORE=${NOT_BEFORE:-20260101000000Z}
NOT_AFTER=${NOT_AFTER:-21260101000000Z}
ORG='httptestserver TEST ONLY'

cd "$(dirname "$0")"
OUT=$(pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM
umask 022

NEW_CA=no
case "${1:-}" in
    --new-ca) NEW_CA=yes ;;
    '') ;;
    *) echo "usage: $0 [--new-ca]" >&2; exit 2 ;;
esac
if [ ! -f ca.pem ] || [ ! -f issuing-ca.pem ] || [ ! -f issuing-ca.key ]; then
    NEW_CA=yes
fi

# One config for `openssl req` (subjects come from -subj) and `openssl ca`
# (used instead of `openssl x509 -req` because it takes fixed start and end
# dates).  The extensions satisfy X509_V_FLAG_X509_STRICT, which Python 3.13
# turns on in ssl.create_default_context().
cat > "$WORK/openssl.cnf" <<CNF
[ req ]
distinguished_name = req_dn
[ req_dn ]

[ ca ]
default_ca = test_ca
[ test_ca ]
database        = $WORK/index.txt
serial          = $WORK/serial
new_certs_dir   = $WORK
default_md      = sha256
policy          = policy_any
preserve        = yes
unique_subject  = no
email_in_dn     = no
copy_extensions = none
[ policy_any ]
organizationName = optional
commonName       = supplied

[ v3_root ]
basicConstraints       = critical, CA:TRUE, pathlen:1
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
nameConstraints        = critical, @test_names
[ v3_issuing ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
extendedKeyUsage       = serverAuth, clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
nameConstraints        = critical, @test_names
# RFC 5280 4.2.1.10: a DNS constraint permits the name and every name made by
# adding labels on the left, so "test" permits "test" and "api.test" (OpenSSL,
# Go, Java and GnuTLS all read it so; the leading-dot form ".test" is an
# OpenSSL convention that excludes "test" itself and that Java does not
# follow).  localhost and the RFC 6761 special-use names test, example and
# invalid never resolve to anyone else's host.  "127.0.0.1" and "::1" are
# permitted as DNS names only for the server's DNS copies of its addresses
# (see server_names); no public DNS name ends in a numeric label.
[ test_names ]
permitted;DNS.1 = localhost
permitted;DNS.2 = test
permitted;DNS.3 = example
permitted;DNS.4 = invalid
permitted;DNS.5 = 127.0.0.1
permitted;DNS.6 = ::1
permitted;IP.1  = 127.0.0.0/255.0.0.0
permitted;IP.2  = ::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff

[ v3_server ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
subjectAltName         = @server_names
[ server_names ]
DNS.1 = localhost
IP.1  = 127.0.0.1
IP.2  = ::1
# Python 2.7's ssl.match_hostname() ignores IP entries and compares the host
# against DNS entries only, so the addresses are repeated as DNS names for it.
# Clients that know IP entries (Python 3.5+, OpenSSL, urllib3 with ipaddress)
# never compare an address with a DNS entry, so these are inert for them.
# test_names permits these two DNS names for that reason only.
DNS.2 = 127.0.0.1
DNS.3 = ::1

[ v3_client ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
subjectAltName         = DNS:test-client.httptestserver.invalid
CNF
: > "$WORK/index.txt"

newkey() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -pkeyopt ec_param_enc:named_curve -out "$1"
}

# sign NAME SUBJECT EXTENSIONS [extra openssl-ca options]
sign() {
    name=$1; subject=$2; extensions=$3; shift 3
    openssl req -new -config "$WORK/openssl.cnf" -key "$WORK/$name.key" \
        -subj "$subject" -sha256 -out "$WORK/$name.csr"
    openssl ca -batch -notext -config "$WORK/openssl.cnf" -rand_serial \
        -startdate "$NOT_BEFORE" -enddate "$NOT_AFTER" \
        -extensions "$extensions" -in "$WORK/$name.csr" -out "$WORK/$name.crt" \
        "$@" 2>"$WORK/ca.log" || { cat "$WORK/ca.log" >&2; exit 1; }
}

if [ "$NEW_CA" = yes ]; then
    newkey "$WORK/root.key"
    sign root "/O=$ORG/CN=httptestserver TEST CA - DO NOT TRUST" v3_root \
        -selfsign -keyfile "$WORK/root.key"
    newkey "$WORK/issuing.key"
    sign issuing "/O=$ORG/CN=httptestserver TEST issuing CA - DO NOT TRUST" \
        v3_issuing -cert "$WORK/root.crt" -keyfile "$WORK/root.key"
    {
        echo '# TEST ONLY - private key of the httptestserver issuing CA.'
        echo '# Published on purpose so make-certs.sh can reissue the leaf'
        echo '# certificates; it protects nothing.  DO NOT TRUST ca.pem.'
        cat "$WORK/issuing.key"
    } > issuing-ca.key
    cp "$WORK/root.crt" ca.pem
    cp "$WORK/issuing.crt" issuing-ca.pem
    # The root key stays in $WORK and is deleted with it.  A ca.key left by
    # an earlier version of this script is the key of an old CA: remove it.
    rm -f ca.key
fi

for leaf in server client; do
    newkey "$WORK/$leaf.key"
done
sign server "/O=$ORG/CN=localhost" v3_server \
    -cert issuing-ca.pem -keyfile issuing-ca.key
sign client "/O=$ORG/CN=httptestserver test client" v3_client \
    -cert issuing-ca.pem -keyfile issuing-ca.key

# A leaf's .crt and .pem carry the issuing CA after it: the chain a server
# (or a client, for mutual TLS) must send to reach ca.pem.
for leaf in server client; do
    cat "$WORK/$leaf.crt" issuing-ca.pem > "$leaf.crt"
    cp "$WORK/$leaf.key" "$leaf.key"
    cat "$leaf.crt" "$leaf.key" > "$leaf.pem"
done
chmod 644 ca.pem issuing-ca.pem issuing-ca.key server.crt server.key \
    server.pem client.crt client.key client.pem

openssl verify -x509_strict -purpose sslserver -CAfile ca.pem \
    -untrusted issuing-ca.pem server.crt
openssl verify -x509_strict -purpose sslclient -CAfile ca.pem \
    -untrusted issuing-ca.pem client.crt
for cert in ca.pem issuing-ca.pem server.crt client.crt; do
    printf '%s: ' "$cert"
    openssl x509 -in "$cert" -noout -enddate
done
