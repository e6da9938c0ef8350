#!/bin/sh
# Regenerates the fixed PKI of the verify transcripts (run once; the output
# is committed).  Root CA "Verify Root" issues leaf-good and leaf-revoked
# (CRL distribution point http://127.0.0.1:1/root.crl, unreachable on
# purpose) and root.crl, which revokes leaf-revoked (keyCompromise).
# other-root/other-leaf: a chain to nothing trusted.  EC P-256, valid
# until 2050; transcripts run at NETPKI_NOW=1800000000 (2027-01-15).
set -eu
cd "$(dirname "$0")"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cat > "$t/ca.cnf" <<CNF
[ ca ]
default_ca = d
[ d ]
database = $t/index.txt
new_certs_dir = $t
serial = $t/serial
crlnumber = $t/crlnumber
default_md = sha256
policy = p
default_crl_days = 36500
[ p ]
commonName = supplied
[ v3_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:good.example
crlDistributionPoints = URI:http://127.0.0.1:1/root.crl
authorityKeyIdentifier = keyid
CNF
: > "$t/index.txt"
echo 1000 > "$t/serial"
echo 01 > "$t/crlnumber"
for n in root; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$t/$n.key" -out "$n.pem" -days 8800 \
	    -subj "/O=netpki test/CN=Verify ${n%%-*}" -config "$t/ca.cnf" \
	    -extensions v3_ca 2>/dev/null
done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$t/other-root.key" -out other-root.pem -days 8800 \
    -subj "/O=netpki test/CN=Other Root" -config "$t/ca.cnf" \
    -extensions v3_ca 2>/dev/null
for n in good revoked other; do
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$t/$n.key" -out "$t/$n.csr" -subj "/CN=$n.example" \
	    2>/dev/null
done
for n in good revoked; do
	openssl ca -batch -config "$t/ca.cnf" -cert root.pem \
	    -keyfile "$t/root.key" -in "$t/$n.csr" -out "$t/$n.pem" \
	    -extensions leaf -days 8700 -notext 2>/dev/null
	cat "$t/$n.pem" > "leaf-$n.pem"
done
openssl ca -batch -config "$t/ca.cnf" -cert other-root.pem \
    -keyfile "$t/other-root.key" -in "$t/other.csr" -out other-leaf.pem \
    -extensions leaf -days 8700 -notext 2>/dev/null
openssl ca -config "$t/ca.cnf" -cert root.pem -keyfile "$t/root.key" \
    -revoke leaf-revoked.pem -crl_reason keyCompromise 2>/dev/null
openssl ca -gencrl -config "$t/ca.cnf" -cert root.pem -keyfile "$t/root.key" \
    -out root.crl.pem 2>/dev/null
openssl crl -in root.crl.pem -outform DER -out root.crl
rm -f root.crl.pem
printf 'not a CRL\n' > garbage.crl
