#!/bin/bash
# micromdm's scepclient (Debian package scep) enrolls against netpki-ca:
# automatic approval with a challenge file, then a wrong challenge.
. "$(dirname "$0")/lib.sh"
command -v scepclient >/dev/null || { echo "scepclient not installed"; exit 77; }

ca_init --subject "CN=Test CA,O=netpki,C=US"
expect 1 ca init
contains "$OUT" "refusing to overwrite"
[ "$(stat -c %a "$CA/ca.key")" = 600 ] || fail "ca.key is not 0600"
printf 'sup3r-s3cret\n' > "$WORK/challenge"
ca_start --challenge-file "$WORK/challenge" --cert-days 30

cd "$WORK" || exit 1
timeout 60 scepclient -server-url "$URL" -private-key k1.pem -certificate c1.pem \
	-challenge sup3r-s3cret -cn router1 > client1.log 2>&1 ||
	{ cat client1.log; fail "scepclient enrollment failed"; }
openssl verify -CAfile "$CA/ca.crt" c1.pem > /dev/null || fail "issued certificate does not verify"
openssl x509 -in c1.pem -noout -text > c1.txt
grep -q "URI:http://127.0.0.1:$PORT/crl" c1.txt || fail "no CRL distribution point"
grep -q "Digital Signature, Key Encipherment" c1.txt || fail "key usage"
grep -q "CN = router1" <(openssl x509 -in c1.pem -noout -subject) || fail "subject"
serial=$(openssl x509 -in c1.pem -noout -serial | cut -d= -f2)
expect 0 ca list
contains "$OUT" "$serial	valid	CN=router1,OU=MDM,O=scep-client,C=US"
grep -q "PKCSReq .* -> SUCCESS" "$LOG" || fail "no log line for the enrollment"

# Same-key renewal with its old certificate (a RenewalReq signed by it,
# no challenge): a new certificate, new serial, later notAfter.
ca_stop
NETPKI_NOW=$(($(date +%s) + 86400)) ca_start --challenge-file "$WORK/challenge" --cert-days 30
cp c1.pem c1-old.pem
timeout 60 scepclient -server-url "$URL" -private-key k1.pem -certificate c1.pem \
	-cn router1 > client1r.log 2>&1 || { cat client1r.log; fail "scepclient renewal failed"; }
serial2=$(openssl x509 -in c1.pem -noout -serial | cut -d= -f2)
[ "$serial2" != "$serial" ] || fail "renewal returned the old certificate"
[ "$(date -d "$(openssl x509 -in c1.pem -noout -enddate | cut -d= -f2)" +%s)" -gt \
  "$(date -d "$(openssl x509 -in c1-old.pem -noout -enddate | cut -d= -f2)" +%s)" ] ||
	fail "renewal: notAfter not later"
grep -q "RenewalReq .* serial=$serial2 -> SUCCESS" "$LOG" || fail "no log line for the renewal"

# Wrong challenge: scepclient fails, the server says FAILURE badRequest.
# (scepclient reuses ./csr.pem: each run gets its own directory.)
mkdir w2 && cd w2 || exit 1
if timeout 60 scepclient -server-url "$URL" -private-key k2.pem -certificate c2.pem \
	-challenge wrong-one -cn router2 > client2.log 2>&1; then
	fail "enrolled with a wrong challenge"
fi
[ ! -s c2.pem ] || fail "a certificate was written for a wrong challenge"
grep -q "FAILURE badRequest" "$LOG" || fail "no FAILURE badRequest in the log"
cd "$WORK" || exit 1

# The Cisco-style path and GET PKIOperation.
expect 0 "$SCEPREQ" enroll "http://127.0.0.1:$PORT/cgi-bin/pkiclient.exe" --get \
	--key k3.pem --cn router3 --challenge sup3r-s3cret
contains "$OUT" "SUCCESS serial="

# The challenge never reaches the log or the CA directory.
grep -q "sup3r-s3cret\|wrong-one" "$LOG" && fail "challenge password in the log"
grep -rqa "sup3r-s3cret" "$CA" && fail "challenge password on disk"
ca_stop
grep -q "SIGTERM: stopping" "$LOG" || fail "no clean stop"
echo ok
