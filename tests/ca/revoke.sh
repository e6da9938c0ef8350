#!/bin/bash
# revoke, then /crl and GetCRL show the serial; crl numbers grow.
. "$(dirname "$0")/lib.sh"
ca_init
ca_start --challenge pw
cd "$WORK" || exit 1
expect 0 "$SCEPREQ" enroll "$URL" --key k1.pem --cn r1 --challenge pw --out c1.pem
expect 0 "$SCEPREQ" enroll "$URL" --key k2.pem --cn r2 --challenge pw --out c2.pem
cmp -s <(openssl pkey -in k1.pem -pubout) <(openssl x509 -in c1.pem -pubkey -noout) ||
	fail "the certificate does not hold the requested key"
s1=$(openssl x509 -in c1.pem -noout -serial | cut -d= -f2)
s2=$(openssl x509 -in c2.pem -noout -serial | cut -d= -f2)
curl -sf -o crl0.der "http://127.0.0.1:$PORT/crl" || fail "/crl"
n0=$(openssl crl -inform der -in crl0.der -noout -crlnumber | cut -d= -f2)
# Nothing revoked yet: the same (empty) CRL again, not a new one per request.
curl -sf -o crl0b.der "http://127.0.0.1:$PORT/crl" || fail "/crl"
cmp -s crl0.der crl0b.der || fail "an empty CRL was signed anew for a second /crl"
expect 0 ca revoke "$s1" --reason keyCompromise
contains "$OUT" "certificate $s1 revoked (keyCompromise)"
expect 1 ca revoke "$s1"
contains "$OUT" "already revoked"
expect 1 ca revoke 0123
contains "$OUT" "no certificate with serial 0123"
curl -sf -o crl1.der "http://127.0.0.1:$PORT/crl" || fail "/crl"
openssl crl -inform der -in crl1.der -CAfile "$CA/ca.crt" -noout 2>&1 | grep -q "verify OK" ||
	fail "CRL signature"
openssl crl -inform der -in crl1.der -noout -text > crl1.txt
grep -q "Serial Number: $s1" crl1.txt || fail "revoked serial not in /crl"
grep -q "Key Compromise" crl1.txt || fail "no reason in /crl"
grep -q "Serial Number: $s2" crl1.txt && fail "unrevoked serial in /crl"
n1=$(openssl crl -inform der -in crl1.der -noout -crlnumber | cut -d= -f2)
[ "$((16#${n1#0x}))" -gt "$((16#${n0#0x}))" ] || fail "CRL number did not grow ($n0 -> $n1)"
expect 0 "$SCEPREQ" getcrl "$URL" --key k2.pem --serial "$s2" --out crl2.der
contains "$OUT" "SUCCESS crl entries=1"
openssl crl -inform der -in crl2.der -noout -text | grep -q "Serial Number: $s1" ||
	fail "GetCRL lacks the serial"
expect 0 "$SCEPREQ" getcert "$URL" --key k2.pem --serial "$s2" --out g2.pem
cmp -s <(openssl x509 -in g2.pem) <(openssl x509 -in c2.pem) || fail "GetCert returned another certificate"
expect 4 "$SCEPREQ" getcert "$URL" --key k2.pem --serial 0123
contains "$OUT" "FAILURE badCertId"
expect 0 ca list
contains "$OUT" "$s1	revoked	CN=r1"
contains "$OUT" "$s2	valid	CN=r2"
expect 0 ca --json list
contains "$OUT" '"reason": "keyCompromise"'
# RenewalReq: signed by a valid certificate of ours; refused once revoked.
expect 0 "$SCEPREQ" enroll "$URL" --key k3.pem --cn r2 --renew-cert c2.pem --renew-key k2.pem
contains "$OUT" "SUCCESS serial="
expect 4 "$SCEPREQ" enroll "$URL" --key k4.pem --cn r1 --renew-cert c1.pem --renew-key k1.pem
contains "$OUT" "FAILURE badMessageCheck"
# sign-csr: the cut-and-paste path.
openssl req -new -newkey rsa:2048 -nodes -keyout k5.pem -subj "/CN=pasted" -out r5.csr 2>/dev/null
expect 0 ca sign-csr r5.csr
echo "$OUT" | openssl verify -CAfile "$CA/ca.crt" > /dev/null || fail "sign-csr output"
expect 0 ca crl
echo ok
