#!/bin/sh
# Regenerate the TEST-ONLY PKI bundled with httptestserver.
#
# NOTHING HERE IS SECRET AND NOTHING HERE MAY BE TRUSTED OUTSIDE TESTS: the CA
# private key is published on purpose, so anyone can mint certificates that
# this CA "vouches" for.  Never add ca.pem to a system or browser trust store.
#
# Usage:  sh make-certs.sh            reuse ca.key/ca.pem if present, remake leaves
#         sh make-certs.sh --new-ca   also remake the CA (every user of the old
#                                     ca.pem must then pick up the new one)
#
# Runs from any directory and writes only into the directory it lives in.
# Needs the openssl command (made with OpenSSL 3.0).  Keys are ECDSA P-256,
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
if [ ! -f ca.key ] || [ ! -f ca.pem ]; then
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

[ v3_ca ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

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
    newkey "$WORK/ca.key"
    sign ca "/O=$ORG/CN=httptestserver TEST CA - DO NOT TRUST" v3_ca \
        -selfsign -keyfile "$WORK/ca.key"
    {
        echo '# TEST ONLY - private key of the httptestserver test CA.'
        echo '# Published on purpose so make-certs.sh can reissue the leaf'
        echo '# certificates; it protects nothing.  DO NOT TRUST ca.pem.'
        cat "$WORK/ca.key"
    } > ca.key
    cp "$WORK/ca.crt" ca.pem
fi

for leaf in server client; do
    newkey "$WORK/$leaf.key"
done
sign server "/O=$ORG/CN=localhost" v3_server -cert ca.pem -keyfile ca.key
sign client "/O=$ORG/CN=httptestserver test client" v3_client \
    -cert ca.pem -keyfile ca.key

for leaf in server client; do
    cp "$WORK/$leaf.crt" "$leaf.crt"
    cp "$WORK/$leaf.key" "$leaf.key"
    cat "$leaf.crt" "$leaf.key" > "$leaf.pem"
done
chmod 644 ca.pem ca.key server.crt server.key server.pem \
    client.crt client.key client.pem

openssl verify -x509_strict -purpose sslserver -CAfile ca.pem server.crt
openssl verify -x509_strict -purpose sslclient -CAfile ca.pem client.crt
for cert in ca.pem server.crt client.crt; do
    printf '%s: ' "$cert"
    openssl x509 -in "$cert" -noout -enddate
done
