#!/bin/bash
# CA rollover over EST end to end: netpki-ca rolls over, its EST server
# offers the new CA only after the switch-over, with the Root CA Key
# Update certificates (RFC 7030 4.1.3).  The netpki agent asks /cacerts
# once the CA is in its rollover window, keeps the new CA (vouched for
# by NewWithOld, the link the current CA signed) and switches at the old
# CA's expiry; an enrollment that receives a certificate of the new CA
# before the agent asked learns the new CA the same way; a server whose
# CA the current one does not vouch for (with a TLS certificate of the
# right CA: hostile and well-formed) gets nothing stored, and neither
# does a server whose TLS certificate the device cannot verify.  Time is the
# test clock (NETPKI_NOW), servers restarted.
#   netpki_est_rollover.sh NETPKI_CA SCEPREQ NETPKI
. "$(dirname "$0")/lib.sh"
cd "$WORK" || exit 1
export NETPKI_NOW=$T0
# tp NAME PORT: trustpoint NAME at the EST server on PORT.
tp() {
	printf 'configure\ncrypto ca trustpoint %s\nenrollment url https://127.0.0.1:%s\nmethod-est\nenrollment http-auth username any\ncrl optional\ncommit\nend\n' \
		"$1" "$2" | np > "cfg-$1.got" 2>&1 || fail "configure $1: $(cat "cfg-$1.got")"
}
# est_serve DIR LOG CERT: DIR's CA serving EST with TLS certificate CERT
# (key tls.key); sets SERVER_PID, PORT and EPORT.
est_serve() {
	ca_serve "$1" "$2" --est-listen 127.0.0.1:0 --tls-cert "$3" --tls-key tls.key --challenge pw
	SERVER_PID=$SERVE_PID
	PORT=$SERVE_PORT
	EPORT=$(grep 'EST on' "$2" | tail -n 1 | sed -n 's/.*EST on 127\.0\.0\.1:\([0-9]*\) .*/\1/p')
	[ -n "$EPORT" ] || fail "no EST port in $2"
}
# at T: the server restarted at test time T, the trustpoints pointed at it.
at() {
	[ -n "$SERVER_PID" ] && ca_stop
	export NETPKI_NOW=$1
	est_serve "$CA" "$LOG" tls.crt
	tp tp "$EPORT"
	tp tp2 "$EPORT"
}
agent() { "$NETPKI" agent --state "$WORK/s" --once --stderr 2> "$1.log"; }
issued_by() {
	openssl verify -attime "$NETPKI_NOW" -CAfile "$CA/$2" "s/trustpoints/$1/cert-general.pem" > /dev/null 2>&1
}

ca_init --days 100
NA=$(date -u -d "$(openssl x509 -in "$CA/ca.crt" -noout -enddate | cut -d= -f2)" +%s)
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout tls.key -subj /CN=127.0.0.1 -out tls.csr 2>/dev/null || fail "tls csr"
ca sign-csr tls.csr > tls.crt || fail "sign-csr tls"
at "$T0"
for t in tp tp2; do
	printf 'crypto ca authenticate %s\nyes\ncrypto ca enroll %s\npw\n' "$t" "$t" | np > "e-$t.got" 2>&1
	grep -q "Certificate successfully received" "e-$t.got" || fail "enroll $t: $(cat "e-$t.got")"
	issued_by "$t" ca.crt || fail "$t: not the old CA's"
done
ca_stop

# The CA announces its next generation, in force 20 days before it ends.
export NETPKI_NOW=$((T0 + DAY))
expect 0 ca rollover --days 400 --at "$(iso $((NA - 20 * DAY)))"

# In the window, before the switch-over: /cacerts offers no next CA yet.
at $((NA - 25 * DAY))
agent before
grep -q "trustpoint tp: CA rollover: the CA certificate is in its rollover window and the EST server's cacerts offers no next CA (RFC 7030 4.1.3)" before.log ||
	fail "no note: $(cat before.log)"
[ ! -e s/trustpoints/tp/ca-next.pem ] || fail "a next CA before the switch-over"
grep -q "GET /.well-known/est/cacerts 200" "$LOG" || fail "the agent did not ask /cacerts"

# After the switch-over: the agent keeps the new CA; re-enrollment
# (simplereenroll) takes a certificate of it.
at $((NA - 10 * DAY))
agent fetch
grep -q 'trustpoint tp: CA rollover: stored the next CA certificate' fetch.log ||
	fail "no next CA: $(cat fetch.log)"
cmp -s <(openssl x509 -in s/trustpoints/tp/ca-next.pem) <(openssl x509 -in "$CA/ca-2.crt") ||
	fail "ca-next.pem is not ca-2.crt"
printf 'crypto ca enroll tp\nyes\npw\n' | np > r-tp.got 2>&1
grep -q "Certificate successfully received" r-tp.got || fail "re-enroll tp: $(cat r-tp.got)"
issued_by tp ca-2.crt || fail "tp: not re-enrolled under ca-2"
# tp2's next CA came with tp's round; remove it: its enrollment learns it.
rm s/trustpoints/tp2/ca-next.pem
printf 'crypto ca enroll tp2\nyes\npw\n' | np > r-tp2.got 2>&1
grep -q "Certificate successfully received" r-tp2.got || fail "re-enroll tp2: $(cat r-tp2.got)"
issued_by tp2 ca-2.crt || fail "tp2: not re-enrolled under ca-2"
cmp -s <(openssl x509 -in s/trustpoints/tp2/ca-next.pem) <(openssl x509 -in "$CA/ca-2.crt") ||
	fail "tp2: the enrollment did not keep ca-2.crt"
ca_stop

# A hostile server: another CA, with a TLS certificate of this one.
"$NETPKI_CA" --dir "$WORK/rogue" init > rogue.out 2>&1 || fail "rogue init: $(cat rogue.out)"
est_serve "$WORK/rogue" "$WORK/rogue.log" tls.crt
tp tp3 "$EPORT"
mkdir -p s/trustpoints/tp3
cp s/trustpoints/tp/ca.pem s/trustpoints/tp3/ca.pem
printf 'crypto ca enroll tp3\npw\n' | np > r-tp3.got 2>&1
grep -q "Certificate successfully received" r-tp3.got && fail "tp3: a rogue CA's certificate stored"
contains "$(cat r-tp3.got)" "% Certificate enrollment failed: RFC 5280 6.1.3: the issued certificate: signature does not verify with the CA's key; nor by a next CA: RFC 7030 4.1.3: cacerts: RFC 8894 4.7: the current CA does not vouch for the next CA certificate"
grep -q 'GET /.well-known/est/cacerts 200' "$WORK/rogue.log" || fail "tp3: the rogue's cacerts was not asked"
[ ! -e s/trustpoints/tp3/ca-next.pem ] || fail "tp3: the rogue CA was kept"
[ ! -e s/trustpoints/tp3/cert-general.pem ] || fail "tp3: a certificate stored"
ca_stop

# A server in the path with the CA's own answers (a copy of its
# directory) but a TLS certificate the device's anchors do not verify:
# the agent takes no next CA from it, however well it is vouched for
# (tp_rollover_est also refuses any answer not from a verified server).
cp -r "$CA" "$WORK/mitm"
"$NETPKI_CA" --dir "$WORK/rogue" sign-csr tls.csr > mitm-tls.crt || fail "mitm tls"
est_serve "$WORK/mitm" "$WORK/mitm.log" mitm-tls.crt
tp tp4 "$EPORT"
mkdir -p s/trustpoints/tp4
cp s/trustpoints/tp3/ca.pem s/trustpoints/tp4/ca.pem
agent mitm
grep -q "trustpoint tp4: CA rollover: RFC 7030 4.1.1: the EST server's TLS certificate is not issued by the CA certificates it sent" mitm.log ||
	fail "tp4: $(cat mitm.log)"
[ ! -e s/trustpoints/tp4/ca-next.pem ] || fail "tp4: a next CA from an unverified server"
ca_stop

# The old CA has expired: the agent switches; the old CA is gone.
at $((NA + 1))
agent switch
grep -q 'trustpoint tp: CA rollover: switched to the next CA certificate' switch.log ||
	fail "no switch: $(cat switch.log)"
cmp -s <(openssl x509 -in s/trustpoints/tp/ca.pem) <(openssl x509 -in "$CA/ca-2.crt") ||
	fail "ca.pem is not ca-2.crt"
[ ! -e s/trustpoints/tp/ca-next.pem ] || fail "ca-next.pem left"
issued_by tp ca-2.crt || fail "the router certificate was lost at the switch"
echo ok
