#!/bin/bash
# Manual approval: PENDING, `requests --pending`, `approve` then the
# client's poll gets the certificate; `reject` then a FAILURE.
. "$(dirname "$0")/lib.sh"
ca_init
ca_start --approve manual --challenge pw
cd "$WORK" || exit 1

SCEPREQ_SAVE=$WORK/msg1.der expect 3 "$SCEPREQ" enroll "$URL" --key k1.pem --cn r1 --challenge pw
contains "$OUT" PENDING
expect 3 "$SCEPREQ" poll "$URL" --key k1.pem --cn r1
expect 0 ca requests --pending
[ "$(echo "$OUT" | awk '!/^#/{print $1}')" = 1 ] || fail "requests --pending: $OUT"
contains "$OUT" "1	pending	CN=r1	"
expect 0 ca requests --json
contains "$OUT" '"id": 1, "state": "pending", "subject": "CN=r1"'
expect 0 ca approve 1
serial=$(echo "$OUT" | sed -n 's/.*serial \([0-9A-F]*\)$/\1/p')
[ -n "$serial" ] || fail "approve printed no serial: $OUT"
expect 0 "$SCEPREQ" poll "$URL" --key k1.pem --cn r1 --out c1.pem
contains "$OUT" "SUCCESS serial=$serial"
openssl verify -CAfile "$CA/ca.crt" c1.pem > /dev/null || fail "verify"
# A resent PKCSReq (the same message) gets the same certificate, not a
# second one.
[ "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @msg1.der \
    "$URL?operation=PKIOperation")" = 200 ] || fail "resend"
grep -q "request=1 (resent) serial=$serial -> SUCCESS" "$LOG" || fail "resend: not the same certificate"
expect 1 ca approve 1
contains "$OUT" "is issued, not pending"

expect 3 "$SCEPREQ" enroll "$URL" --key k2.pem --cn r2 --challenge pw
expect 0 ca reject 2
expect 4 "$SCEPREQ" poll "$URL" --key k2.pem --cn r2
contains "$OUT" "FAILURE badRequest"
expect 0 ca requests
contains "$OUT" "2	rejected	CN=r2	"
expect 0 ca requests --pending
[ "$(echo "$OUT" | grep -vc '^#')" = 0 ] || fail "still pending: $OUT"
expect 1 ca approve 99
contains "$OUT" "no such request"
# The same key from a new run (a new self-signed signer) is a new request
# (a renewal that keeps its key), not a resend of request 1.
expect 3 "$SCEPREQ" enroll "$URL" --key k1.pem --cn r1 --challenge pw
expect 0 ca requests --pending
contains "$OUT" "3	pending	CN=r1	"
expect 0 ca reject 3

# micromdm's scepclient on a pending request: it polls again after 30 s.
if command -v scepclient > /dev/null; then
	mkdir w3 && cd w3 || exit 1
	timeout 90 scepclient -server-url "$URL" -private-key k3.pem -certificate c3.pem \
		-challenge pw -cn router3 > client3.log 2>&1 &
	cpid=$!
	for i in $(seq 1 100); do
		id=$(ca requests --pending | awk '!/^#/{print $1}')
		[ -n "$id" ] && break
		sleep 0.1
	done
	[ -n "$id" ] || fail "scepclient's request is not pending"
	expect 0 ca approve "$id"
	wait $cpid || { cat client3.log; fail "scepclient did not collect the approved certificate"; }
	openssl verify -CAfile "$CA/ca.crt" c3.pem > /dev/null || fail "verify c3"
	grep -q "PKCSReq .*(resent) serial=.* -> SUCCESS" "$LOG" || fail "scepclient's retry"
fi
echo ok
