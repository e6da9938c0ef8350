#!/bin/bash
# Regenerate the fixed cut-and-paste test data (run once; the files are
# committed so that transcripts are exact).  Everything is valid for ten
# years from the day it was made except expired.pem (one day); the
# transcripts set NETPKI_NOW to a time inside that window (see
# tests/transcripts/paste_*.setup).
#   root.pem      self-signed root CA       sub.pem    issuing CA (root)
#   chain.p7b     PKCS#7 (PEM) of sub and root
#   mykey.pem     general RSA key pair (netpki key file)
#   uk-sign.pem, uk-encr.pem   RSA special-usage pair (netpki key files)
#   general.pem   mykey's certificate (sub)  sign.pem, encr.pem: uk's
#   otherkey.pem  certificate for a key the trustpoint does not have
#   otherca.pem   mykey's public key, issued by another CA
#   forged.pem    mykey's public key, sub's name as issuer, another CA's key
#   expired.pem   mykey's certificate, one day of validity
#   privkey.pem   a private key         request.pem   a PKCS#10 request
set -eu
cd "$(dirname "$0")"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }
ext() { printf '%s\n' "$@" > "$t/ext"; }
key "$t/root.key"; key "$t/sub.key"; key "$t/other.key"
key "$t/mykey"; key "$t/uks"; key "$t/uke"; key "$t/stranger"
openssl req -new -x509 -key "$t/root.key" -days 3650 -subj '/C=US/O=Example/CN=Paste Root CA' \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -set_serial 1 -out root.pem
openssl req -new -x509 -key "$t/other.key" -days 3650 -subj '/C=US/O=Elsewhere/CN=Other CA' \
    -addext basicConstraints=critical,CA:TRUE -set_serial 1 -out "$t/other.pem"
ext basicConstraints=critical,CA:TRUE keyUsage=critical,keyCertSign,cRLSign
openssl req -new -key "$t/sub.key" -subj '/C=US/O=Example/OU=PKI/CN=Paste Issuing CA' |
    openssl x509 -req -CA root.pem -CAkey "$t/root.key" -set_serial 2 -days 3650 \
    -extfile "$t/ext" -out sub.pem 2>/dev/null
openssl crl2pkcs7 -nocrl -certfile sub.pem -certfile root.pem -out chain.p7b
# sign KEY SERIAL DAYS CA CAKEY OUT [keyUsage]
sign() {
	ext basicConstraints=CA:FALSE ${7:+keyUsage=critical,$7}
	openssl req -new -key "$1" -subj '/unstructuredName=r1.example.com' |
	    openssl x509 -req -CA "$4" -CAkey "$5" -set_serial "$2" -days "$3" \
	    -extfile "$t/ext" -out "$6" 2>/dev/null
}
sign "$t/mykey" 16 3650 sub.pem "$t/sub.key" general.pem
sign "$t/uks" 17 3650 sub.pem "$t/sub.key" sign.pem digitalSignature
sign "$t/uke" 18 3650 sub.pem "$t/sub.key" encr.pem keyEncipherment
sign "$t/stranger" 19 3650 sub.pem "$t/sub.key" otherkey.pem
sign "$t/mykey" 20 3650 "$t/other.pem" "$t/other.key" otherca.pem
sign "$t/mykey" 21 1 sub.pem "$t/sub.key" expired.pem
# Same issuer name as sub.pem, signed with another key.
openssl req -new -key "$t/other.key" -subj '/C=US/O=Example/OU=PKI/CN=Paste Issuing CA' \
    -out "$t/fake.csr"
openssl x509 -req -in "$t/fake.csr" -key "$t/other.key" -days 3650 -set_serial 9 \
    -out "$t/fake.pem" 2>/dev/null
sign "$t/mykey" 22 3650 "$t/fake.pem" "$t/other.key" forged.pem
cp "$t/stranger" privkey.pem
openssl req -new -key "$t/mykey" -subj '/CN=r1' -out request.pem
for k in mykey uks uke; do
	case $k in mykey) f=mykey.pem;; uks) f=uk-sign.pem;; uke) f=uk-encr.pem;; esac
	{ echo 'netpki-created: 1700000000'; openssl pkey -in "$t/$k"; } > "$f"
done
