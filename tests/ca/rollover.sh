#!/bin/bash
# netpki-ca rollover (RFC 8894 3.5.2/4.7): the next CA with its link
# certificates, GetNextCACert signed by the current CA, issuance moving
# at the switch-over, the old CA's CRL still published and signed by the
# old key, both generations verifying during the overlap, renewal of an
# old-CA certificate after the switch, micromdm's scepclient on both
# sides, and the schema upgrade from version 1.  Time is moved with
# NETPKI_NOW (a server restarted at a later time), never by sleeping.
. "$(dirname "$0")/lib.sh"
cd "$WORK" || exit 1
export NETPKI_NOW=$T0

serial() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
fpr() { openssl x509 -in "$1" -noout -fingerprint -sha256; }
caps() { curl -sf "$URL?operation=GetCACaps" || fail "GetCACaps"; }
# verify CERT TRUST [UNTRUSTED]: openssl verify at the test clock.
verify() {
	openssl verify -attime "$NETPKI_NOW" -CAfile "$2" ${3:+-untrusted "$3"} "$1" > /dev/null 2>&1
}
has_scepclient() { command -v scepclient > /dev/null; }
# scepclient_enroll NAME: micromdm's client enrolls NAME (challenge pw)
# in a directory of its own (it keeps csr.pem and self.pem in the cwd).
scepclient_enroll() {
	mkdir -p "sc-$1"
	(cd "sc-$1" && timeout 60 scepclient -server-url "$URL" -private-key k.pem \
		-certificate c.pem -challenge pw -cn "$1" > log 2>&1) ||
		{ cat "sc-$1/log"; fail "scepclient $1"; }
}

ca_init
ca_start --challenge pw
expect 0 "$SCEPREQ" enroll "$URL" --key k1.pem --cn r1 --challenge pw --out c1.pem
case "$(caps)" in *GetNextCACert*) fail "GetNextCACert listed before any rollover";; esac
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL?operation=GetNextCACert")" = 404 ] ||
	fail "GetNextCACert without a next CA is not 404"
ca_stop

# --- refusals: a time in the past, a malformed time, a key the policy refuses
expect 1 ca rollover --at 2020-01-01T00:00:00Z
contains "$OUT" "in the past"
expect 2 ca rollover --at tomorrow
contains "$OUT" "--at tomorrow: a UTC time such as"
printf 'rsa-min-bits 3072\n' > "$CA/policy.conf"
expect 1 ca rollover --key rsa:2048
contains "$OUT" "--key rsa:2048: weaker than the policy's rsa-min 3072"
expect 1 ca rollover --key ec:p192
contains "$OUT" "use rsa:2048, rsa:3072, rsa:4096, ec:p256 or ec:p384"
rm "$CA/policy.conf"
expect 1 ca rollover --days 30
contains "$OUT" "--days 30: the new CA would expire before the current one"
[ ! -e "$CA/ca-2.crt" ] || fail "a refused rollover left ca-2.crt"

# --- the rollover: switch-over in two days
AT=$((T0 + 2 * DAY))
expect 0 ca rollover --at "$(date -u -d "@$AT" +%Y-%m-%dT%H:%M:%SZ)" --key rsa:3072
contains "$OUT" "CA generation 2 created: $CA/ca-2.crt, link-1-2.crt, link-2-1.crt"
contains "$OUT" "switch-over at $(date -u -d "@$AT" +%Y-%m-%dT%H:%M:%SZ)"
[ "$(stat -c %a "$CA/ca-2.key")" = 600 ] || fail "ca-2.key is not 0600"
openssl x509 -in "$CA/ca-2.crt" -noout -text | grep -q "Public-Key: (3072 bit)" || fail "--key rsa:3072"
expect 1 ca rollover --at +3d
contains "$OUT" "a rollover to CA generation 2 is already pending (switch-over at $(date -u -d "@$AT" +%Y-%m-%dT%H:%M:%SZ))"
# The link certificates: each generation's key certified by the other.
verify "$CA/link-1-2.crt" "$CA/ca.crt" || fail "link-1-2 (new key) is not signed by the old CA"
verify "$CA/link-2-1.crt" "$CA/ca-2.crt" || fail "link-2-1 (old key) is not signed by the new CA"
cmp -s <(openssl x509 -in "$CA/link-1-2.crt" -pubkey -noout) <(openssl x509 -in "$CA/ca-2.crt" -pubkey -noout) ||
	fail "link-1-2 does not certify the new key"

# --- before the switch-over: the current CA signs the next one
export NETPKI_NOW=$((T0 + 3600))
ca_start --challenge pw
contains "$(caps)" "GetNextCACert"
curl -sf -D next.hdr -o next.p7 "$URL?operation=GetNextCACert" || fail "GetNextCACert"
grep -qi '^Content-Type: application/x-x509-next-ca-cert' next.hdr || fail "content type: $(cat next.hdr)"
openssl cms -verify -inform DER -in next.p7 -CAfile "$CA/ca.crt" -binary -out inner.der \
	-attime "$NETPKI_NOW" 2> verify.err || fail "GetNextCACert is not signed by the current CA: $(cat verify.err)"
openssl cms -verify -inform DER -in next.p7 -CAfile "$CA/ca-2.crt" -binary -out /dev/null \
	-attime "$NETPKI_NOW" 2> /dev/null && fail "GetNextCACert verifies with the next CA only"
openssl cms -cmsout -inform DER -in next.p7 -print -noout > next.txt
grep -q "serialNumber: 0x$(serial "$CA/ca.crt")" next.txt || fail "signer is not the current CA"
openssl pkcs7 -inform DER -in inner.der -print_certs > nextcerts.pem || fail "inner degenerate PKCS#7"
for n in 1 2; do
	awk -v n=$n '/-----BEGIN CERTIFICATE-----/ { i++ } i == n { print } /-----END/ && i == n { exit }' \
		nextcerts.pem > nc0$((n - 1))
done
[ "$(fpr nc00)" = "$(fpr "$CA/ca-2.crt")" ] || fail "GetNextCACert's first certificate is not ca-2.crt"
[ "$(fpr nc01)" = "$(fpr "$CA/link-1-2.crt")" ] || fail "GetNextCACert lacks the link certificate"
grep -q "GetNextCACert 200 .* next=2" "$LOG" || fail "no log line for GetNextCACert"
curl -sf "http://127.0.0.1:$PORT/metrics" > m1.txt || fail "/metrics"
grep -qx "netpki_ca_generation 1" m1.txt || fail "/metrics: generation: $(grep generation m1.txt)"
grep -qx "netpki_ca_rollover_switch_seconds $((AT - NETPKI_NOW))" m1.txt || fail "/metrics: switch"
grep -qx "netpki_ca_generation_unloaded 0" m1.txt || fail "/metrics: unloaded"
curl -sf -o cacert.der "$URL?operation=GetCACert" || fail "GetCACert"
cmp -s cacert.der <(openssl x509 -in "$CA/ca.crt" -outform DER) || fail "GetCACert before the switch-over"
curl -sf "http://127.0.0.1:$PORT/ca.crt" | cmp -s - "$CA/ca.crt" || fail "/ca.crt before the switch-over"
expect 0 "$SCEPREQ" enroll "$URL" --key k2.pem --cn r2 --challenge pw --out c2.pem
verify c2.pem "$CA/ca.crt" || fail "before the switch-over: not issued by the old CA"
has_scepclient && { scepclient_enroll before; verify sc-before/c.pem "$CA/ca.crt" ||
	fail "scepclient before the switch-over: not issued by the old CA"; }
ca_stop

# --- after the switch-over: the new CA issues; the old one's CRL goes on
export NETPKI_NOW=$((AT + 60))
ca_start --challenge pw
case "$(caps)" in *GetNextCACert*) fail "GetNextCACert listed after the switch-over";; esac
curl -sf -o cacert2.der "$URL?operation=GetCACert" || fail "GetCACert"
cmp -s cacert2.der <(openssl x509 -in "$CA/ca-2.crt" -outform DER) || fail "GetCACert after the switch-over"
curl -sf "http://127.0.0.1:$PORT/ca.crt" | cmp -s - "$CA/ca-2.crt" || fail "/ca.crt after the switch-over"
left=$(curl -sf "http://127.0.0.1:$PORT/metrics" | awk '$1 == "netpki_ca_ca_certificate_expiry_seconds" { print $2 }')
want=$(( $(date -d "$(openssl x509 -in "$CA/ca-2.crt" -noout -enddate | cut -d= -f2)" +%s) - NETPKI_NOW ))
[ "${left:-0}" -ge $((want - 5)) ] && [ "${left:-0}" -le $((want + 5)) ] ||
	fail "/metrics: CA expiry $left, not the new CA's $want"
expect 0 "$SCEPREQ" enroll "$URL" --key k3.pem --cn r3 --challenge pw --out c3.pem
verify c3.pem "$CA/ca-2.crt" || fail "after the switch-over: not issued by the new CA"
verify c3.pem "$CA/ca.crt" && fail "a new-CA certificate verifies with the old root alone"
openssl x509 -in c3.pem -noout -text | grep -q "URI:http://127.0.0.1:$PORT/crl/2" ||
	fail "new-CA certificate: CRL distribution point /crl/2"
# A client that fetched the CA certificate before the switch-over
# encrypts to the old key: decrypted all the same, issued by the new CA.
cat "$CA/ca.crt" "$CA/ca-2.crt" > old-first.pem
expect 0 "$SCEPREQ" enroll "$URL" --key k7.pem --cn r7 --challenge pw --ca old-first.pem --out c7.pem
verify c7.pem "$CA/ca-2.crt" || fail "encrypted to the old key: not issued by the new CA"
grep -q "(to CA generation 1)" "$LOG" || fail "no log of the old key decrypting"
# Renewal of an old-CA certificate (RenewalReq signed by it): the new CA.
expect 0 "$SCEPREQ" enroll "$URL" --key k4.pem --cn r2 --renew-cert c2.pem --renew-key k2.pem --out c4.pem
contains "$OUT" "SUCCESS serial="
verify c4.pem "$CA/ca-2.crt" || fail "renewal after the switch-over: not issued by the new CA"
has_scepclient && { scepclient_enroll after; verify sc-after/c.pem "$CA/ca-2.crt" ||
	fail "scepclient after the switch-over: not issued by the new CA"; }
# scepclient renews its old-CA certificate (a RenewalReq signed by it,
# no challenge): the new CA issues.
if has_scepclient; then
	cp sc-before/c.pem sc-before/old.pem
	(cd sc-before && timeout 60 scepclient -server-url "$URL" -private-key k.pem \
		-certificate c.pem -cn before > renew.log 2>&1) || { cat sc-before/renew.log; fail "scepclient renewal"; }
	cmp -s sc-before/c.pem sc-before/old.pem && fail "scepclient renewal: the same certificate"
	verify sc-before/c.pem "$CA/ca-2.crt" || fail "scepclient renewal: not issued by the new CA"
	grep -q "RenewalReq .*CN=before.* -> SUCCESS" "$LOG" || fail "scepclient renewal: no RenewalReq"
fi
# The overlap: old and new certificates verify from either root with
# the link certificates, and from a bundle of both roots.
verify c1.pem "$CA/ca-2.crt" "$CA/link-2-1.crt" || fail "old-CA certificate from the new root"
verify c3.pem "$CA/ca.crt" "$CA/link-1-2.crt" || fail "new-CA certificate from the old root"
cat "$CA/ca.crt" "$CA/ca-2.crt" > roots.pem
verify c1.pem roots.pem && verify c3.pem roots.pem || fail "both roots"
# Revocations: each in the CRL of the generation that issued it.
s1=$(serial c1.pem) s3=$(serial c3.pem)
expect 0 ca revoke "$s1"
expect 0 ca revoke "$s3"
curl -sf -o crl1.der "http://127.0.0.1:$PORT/crl" || fail "/crl"
curl -sf -o crl2.der "http://127.0.0.1:$PORT/crl/2" || fail "/crl/2"
for p in /crl/3 /crl/1 /crl/ /crl/abc /crl/2x /crl/-2 /crl/99999999999; do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$p")" = 404 ] || fail "$p is not 404"
done
# A revoked old-CA certificate renews with neither CA.
expect 4 "$SCEPREQ" enroll "$URL" --key k6.pem --cn r1 --renew-cert c1.pem --renew-key k1.pem
contains "$OUT" "FAILURE badMessageCheck"
openssl crl -inform der -in crl1.der -CAfile "$CA/ca.crt" -noout 2>&1 | grep -q "verify OK" ||
	fail "the old CA's CRL is not signed by the old key"
openssl crl -inform der -in crl2.der -CAfile "$CA/ca-2.crt" -noout 2>&1 | grep -q "verify OK" ||
	fail "the new CA's CRL is not signed by the new key"
openssl crl -inform der -in crl1.der -noout -text > crl1.txt
openssl crl -inform der -in crl2.der -noout -text > crl2.txt
grep -q "Serial Number: $s1" crl1.txt || fail "old CRL lacks $s1"
grep -q "Serial Number: $s3" crl1.txt && fail "old CRL lists the new CA's $s3"
grep -q "Serial Number: $s3" crl2.txt || fail "new CRL lacks $s3"
grep -q "Serial Number: $s1" crl2.txt && fail "new CRL lists the old CA's $s1"
# GetCRL for an old-CA serial answers the old CA's CRL.
expect 0 "$SCEPREQ" getcrl "$URL" --key k4.pem --serial "$s1" --out gcrl.der
openssl crl -inform der -in gcrl.der -CAfile "$CA/ca.crt" -noout 2>&1 | grep -q "verify OK" ||
	fail "GetCRL for an old-CA serial: not the old CA's CRL"
expect 0 ca list
contains "$OUT" "$s1	revoked	CN=r1"
contains "$OUT" "$s3	revoked	CN=r3"
expect 0 ca --json list
contains "$OUT" "\"serial\": \"$s1\", \"state\": \"revoked\""
echo "$OUT" | grep "\"$s1\"" | grep -q '"ca_generation": 1' || fail "list --json: $s1's generation"
echo "$OUT" | grep "\"$s3\"" | grep -q '"ca_generation": 2' || fail "list --json: $s3's generation"
expect 0 ca crl
contains "$OUT" "CRL written to $CA/crl.der"
contains "$OUT" "CRL written to $CA/crl-2.der"

# --- a rollover this server has not loaded: refused per request
expect 0 ca rollover
contains "$OUT" "CA generation 3 created"
expect 1 "$SCEPREQ" enroll "$URL" --key k5.pem --cn r5 --challenge pw
grep -q "CA generation 3 is in force but not loaded" "$LOG" || fail "stale server issued after a switch-over"
curl -sf "http://127.0.0.1:$PORT/metrics" | grep -qx "netpki_ca_generation_unloaded 1" ||
	fail "/metrics: a stale server does not say so"
ca_stop
ca_start --challenge pw
expect 0 "$SCEPREQ" enroll "$URL" --key k5.pem --cn r5 --challenge pw --out c5.pem
verify c5.pem "$CA/ca-3.crt" || fail "generation 3 after a restart"
ca_stop

# --- with an RA: the same RA keys, certified anew by the next CA, which
# may then be EC (requests are encrypted to the RA).  (micromdm's
# scepclient encrypts to the EC CA certificate too, and panics: not here.)
export NETPKI_NOW=$T0
CA=$WORK/ra
ca_init --ra
expect 0 ca rollover --at +1d --key ec:p256
contains "$OUT" "CA generation 2 created"
for r in sign enc; do
	verify "$CA/ra-$r-2.crt" "$CA/ca-2.crt" || fail "ra-$r-2.crt is not certified by the new CA"
	cmp -s <(openssl x509 -in "$CA/ra-$r.crt" -pubkey -noout) <(openssl x509 -in "$CA/ra-$r-2.crt" -pubkey -noout) ||
		fail "ra-$r-2.crt: another key"
done
export NETPKI_NOW=$((T0 + 3600))
ca_start --challenge pw
curl -sf -o ranext.p7 "$URL?operation=GetNextCACert" || fail "RA: GetNextCACert"
openssl cms -verify -inform DER -in ranext.p7 -CAfile "$CA/ca.crt" -binary -out rainner.der \
	-attime "$NETPKI_NOW" 2> /dev/null || fail "RA: GetNextCACert is not signed by the current CA"
[ "$(openssl pkcs7 -inform DER -in rainner.der -print_certs | grep -c BEGIN)" = 4 ] ||
	fail "RA: GetNextCACert does not carry the CA, two RA certificates and the link"
ca_stop
export NETPKI_NOW=$((T0 + 86400 + 60))
ca_start --challenge pw
curl -sf -D ra.hdr -o racacert.p7 "$URL?operation=GetCACert" || fail "RA: GetCACert"
grep -qi '^Content-Type: application/x-x509-ca-ra-cert' ra.hdr || fail "RA: GetCACert type"
openssl pkcs7 -inform DER -in racacert.p7 -print_certs > racerts.pem
for f in ca-2.crt ra-sign-2.crt ra-enc-2.crt; do
	grep -qF "$(sed -n 2p "$CA/$f")" racerts.pem || fail "RA: GetCACert lacks $f"
done
expect 0 "$SCEPREQ" enroll "$URL" --key kra.pem --cn ra1 --challenge pw --out cra.pem
verify cra.pem "$CA/ca-2.crt" || fail "RA: after the switch-over, not issued by the new CA"
ca_stop

# --- schema upgrade: a directory from before version 2
CA=$WORK/old
ca_init
openssl req -new -newkey rsa:2048 -nodes -keyout old.key -subj /CN=old -out old.csr 2>/dev/null
ca sign-csr old.csr > old.pem || fail "sign-csr"
sqlite3 "$CA/ca.db" "ALTER TABLE certs DROP COLUMN ca_gen; DROP TABLE ca_generations;
    PRAGMA user_version = 1;"
expect 0 ca list
contains "$OUT" "valid	CN=old"
[ "$(sqlite3 "$CA/ca.db" 'PRAGMA user_version')" = 2 ] || fail "user_version not upgraded"
expect 1 ca rollover --key ec:p256
contains "$OUT" "--key ec:p256: SCEP clients encrypt their requests to the CA's RSA key"
expect 0 ca rollover
contains "$OUT" "CA generation 2 created"
expect 0 ca revoke "$(serial old.pem)"
openssl crl -inform der -in "$CA/crl.der" -noout -text | grep -q "Serial Number: $(serial old.pem)" ||
	fail "a version-1 row is not generation 1's"
echo ok
