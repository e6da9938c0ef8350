#!/bin/bash
# RA mode: GetCACert serves CA + RA certificates as a degenerate PKCS#7;
# requests are encrypted for the RA and CertReps signed by it.
. "$(dirname "$0")/lib.sh"
ca_init --ra --subject "CN=RA Test CA,O=netpki"
for f in ca ra-sign ra-enc; do
	[ "$(stat -c %a "$CA/$f.key")" = 600 ] || fail "$f.key is not 0600"
done
openssl x509 -in "$CA/ra-sign.crt" -noout -ext keyUsage | grep -q "Digital Signature" ||
	fail "RA signing certificate lacks digitalSignature"
openssl x509 -in "$CA/ra-enc.crt" -noout -ext keyUsage | grep -q "Key Encipherment" ||
	fail "RA encryption certificate lacks keyEncipherment"
ca_start --challenge pw
cd "$WORK" || exit 1
curl -sf -D hdr -o cacert.p7 "$URL?operation=GetCACert" || fail "GetCACert"
grep -qi "content-type: application/x-x509-ca-ra-cert" hdr || fail "content type: $(cat hdr)"
[ "$(openssl pkcs7 -inform der -in cacert.p7 -print_certs | grep -c '^subject=')" = 3 ] ||
	fail "GetCACert does not hold 3 certificates"
expect 0 "$SCEPREQ" enroll "$URL" --key k1.pem --cn r1 --challenge pw --out c1.pem
openssl verify -CAfile "$CA/ca.crt" c1.pem > /dev/null || fail "verify"
if command -v scepclient > /dev/null; then
	mkdir w2 && cd w2 || exit 1
	timeout 60 scepclient -server-url "$URL" -private-key k2.pem -certificate c2.pem \
		-challenge pw -cn router2 > client2.log 2>&1 || { cat client2.log; fail "scepclient in RA mode"; }
	openssl verify -CAfile "$CA/ca.crt" c2.pem > /dev/null || fail "verify c2"
fi
echo ok
