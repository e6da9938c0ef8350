#!/bin/bash
# EST (RFC 7030) across a netpki-ca rollover: before the switch-over the
# old CA issues and /cacerts is the old CA alone; after it the new CA
# issues over EST as over SCEP, /cacerts is the new CA followed by the
# "Root CA Key Update" certificates (RFC 7030 4.1.3, RFC 5272 4.4:
# OldWithOld, OldWithNew, NewWithOld) while the old CA is valid, a TLS
# client certificate of the old CA re-enrolls under the new one, and
# once the old CA has expired /cacerts is the new CA alone and its CRL is
# no longer published.  The server's
# clock is moved with NETPKI_NOW, never by sleeping; curl and openssl are
# the clients.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/estlib.sh"
cd "$WORK" || exit 1
fpr() { openssl x509 -in "$1" -noout -fingerprint -sha256; }
# verify CERT TRUST [UNTRUSTED]: at the server's clock.
verify() {
	openssl verify -attime "$NETPKI_NOW" -CAfile "$2" ${3:+-untrusted "$3"} "$1" > /dev/null 2>&1
}
# cacerts: /cacerts split into cc00, cc01 ...; prints the count.
cacerts() {
	est_curl 200 cacerts
	openssl base64 -d -in body.txt | openssl pkcs7 -inform DER -print_certs > cacerts.pem ||
		fail "cacerts: not a certs-only PKCS#7"
	rm -f cc0*
	awk '/-----BEGIN CERTIFICATE-----/ { f = sprintf("cc%02d", n++) } f { print > f }' cacerts.pem
	grep -c 'BEGIN CERTIFICATE' cacerts.pem
}
# est_enroll WANT NAME [curl options]: simpleenroll (OP) without the
# helper's check against the first CA; a 200 leaves NAME.crt.
est_enroll() {
	local want=$1 name=$2
	shift 2
	est_curl "$want" "${OP:-simpleenroll}" -H "Content-Type: application/pkcs10" \
		--data-binary "@$name.b64" "$@"
	[ "$want" = 200 ] || return 0
	openssl base64 -d -in body.txt | openssl pkcs7 -inform DER -print_certs > "$name.crt" ||
		fail "$name: not a certs-only PKCS#7"
}

export NETPKI_NOW=$T0
ca_init
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout tls.key -subj /CN=127.0.0.1 -out tls.csr 2>/dev/null || fail "tls csr"
ca sign-csr tls.csr > tls.crt || fail "sign-csr tls"

AT=$((T0 + 2 * DAY))
expect 0 ca rollover --at "$(date -u -d "@$AT" +%Y-%m-%dT%H:%M:%SZ)" --days 7300
contains "$OUT" "CA generation 2 created"

# --- before the switch-over: the old CA, alone in /cacerts, issues.
export NETPKI_NOW=$((T0 + 3600))
est_start --challenge pw
[ "$(cacerts)" = 1 ] || fail "cacerts before the switch-over: $(cat cacerts.pem)"
[ "$(fpr cc00)" = "$(fpr "$CA/ca.crt")" ] || fail "cacerts before the switch-over: not the old CA"
csr e1 e1.example.com
est_enroll 200 e1 -u any:pw
verify e1.crt "$CA/ca.crt" || fail "before the switch-over: e1 not issued by the old CA"
ca_stop

# --- after the switch-over: the new CA, with the key update certificates.
export NETPKI_NOW=$((AT + 60))
est_start --challenge pw
[ "$(cacerts)" = 4 ] || fail "cacerts after the switch-over: $(cat cacerts.pem)"
[ "$(fpr cc00)" = "$(fpr "$CA/ca-2.crt")" ] || fail "cacerts: the new CA is not first"
[ "$(fpr cc01)" = "$(fpr "$CA/ca.crt")" ] || fail "cacerts: no OldWithOld"
[ "$(fpr cc02)" = "$(fpr "$CA/link-2-1.crt")" ] || fail "cacerts: no OldWithNew"
[ "$(fpr cc03)" = "$(fpr "$CA/link-1-2.crt")" ] || fail "cacerts: no NewWithOld"
# A client that holds the old root reaches the new one: NewWithOld.
verify cc03 "$CA/ca.crt" || fail "NewWithOld does not verify from the old root"
csr e2 e2.example.com
est_enroll 200 e2 -u any:pw
verify e2.crt "$CA/ca-2.crt" || fail "after the switch-over: e2 not issued by the new CA"
verify e2.crt "$CA/ca.crt" && fail "after the switch-over: e2 verifies with the old root alone"
verify e2.crt "$CA/ca.crt" cc03 || fail "e2 from the old root with NewWithOld"
# The old CA's certificate re-enrolls (TLS client certificate) under the new CA.
csr e1r e1.example.com
OP=simplereenroll est_enroll 200 e1r --cert e1.crt --key e1.key
verify e1r.crt "$CA/ca-2.crt" || fail "re-enroll after the switch-over: not the new CA"
grep -q 'simplereenroll 200 .*client-cert=this-ca' "$LOG" || fail "re-enroll: no client-cert log"
# And a new-CA certificate re-enrolls too.
csr e2r e2.example.com
OP=simplereenroll est_enroll 200 e2r --cert e2.crt --key e2.key
verify e2r.crt "$CA/ca-2.crt" || fail "re-enroll of a new-CA certificate"
ca_stop

# --- once the old CA has expired: the new CA alone.  A CA at its end
# issues nothing (a certificate that is never valid) under it.
old_end=$(date -d "$(openssl x509 -in "$CA/ca.crt" -noout -enddate | cut -d= -f2)" +%s)
export NETPKI_NOW=$((old_end + DAY))
est_start --challenge pw
[ "$(cacerts)" = 1 ] || fail "cacerts after the old CA expired: $(cat cacerts.pem)"
[ "$(fpr cc00)" = "$(fpr "$CA/ca-2.crt")" ] || fail "cacerts after the old CA expired: not the new CA"
csr e3 e3.example.com
est_enroll 200 e3 -u any:pw
verify e3.crt "$CA/ca-2.crt" || fail "after the old CA expired: e3"
# The old CA's CRL ends with it (no certificate it issued outlives it).
[ "$(curl -s -o crl.txt -w '%{http_code}' "http://127.0.0.1:$PORT/crl")" = 404 ] ||
	fail "the expired old CA's CRL is still published"
contains "$(cat crl.txt)" "no CRL: this CA generation has expired"
curl -sf -o crl2.der "http://127.0.0.1:$PORT/crl/2" || fail "/crl/2"
openssl crl -inform der -in crl2.der -CAfile "$CA/ca-2.crt" -noout 2>&1 | grep -q "verify OK" ||
	fail "/crl/2 is not the new CA's"
expect 0 ca crl
contains "$OUT" "CA generation 1 has expired, and every certificate it issued: no CRL"
contains "$OUT" "CRL written to $CA/crl-2.der"
ca_stop
NETPKI_NOW=$T0 expect 0 "$NETPKI_CA" --dir "$WORK/ending" init --days 1
NETPKI_NOW=$((T0 + 2 * DAY)) expect 1 "$NETPKI_CA" --dir "$WORK/ending" sign-csr e3.der
contains "$OUT" "the CA certificate (generation 1) has expired: nothing can be issued under it"

echo ok
