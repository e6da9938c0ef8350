#!/bin/bash
# CA rollover end to end: netpki-ca rollover announces the next CA, the
# netpki agent keeps it once its window opens (30 days before the CA's
# notAfter), enrollment takes a certificate the next CA issued after the
# CA's switch-over, peers of either CA verify during the overlap, and the
# agent switches at the old CA's expiry, after which only the new CA's
# peers do.  Time is the test clock (NETPKI_NOW), servers restarted.
#   netpki_rollover.sh NETPKI_CA SCEPREQ NETPKI
. "$(dirname "$0")/lib.sh"
cd "$WORK" || exit 1
export NETPKI_NOW=$T0
# at T: a server started at the test time T, the trustpoint pointed at it.
at() {
	[ -n "$SERVER_PID" ] && ca_stop
	export NETPKI_NOW=$1
	ca_start --challenge pw
	printf 'configure\ncrypto ca trustpoint tp\nenrollment url %s\ncommit\nend\n' \
	    "$URL" | np > cfg.got 2>&1 || fail "configure: $(cat cfg.got)"
}
agent() { "$NETPKI" agent --state "$WORK/s" --once --stderr 2> "$1.log"; }
verify() { np -c "crypto ca verify $WORK/$1 trustpoint tp" 2>&1; }
valid() { verify "$1" | grep -q '^Certificate chain is valid$'; }

ca_init --days 100
NA=$(date -u -d "$(openssl x509 -in "$CA/ca.crt" -noout -enddate | cut -d= -f2)" +%s)
printf 'configure\ncrypto ca trustpoint tp\ncrl optional\ncommit\nend\n' | np > /dev/null
at "$T0"
printf 'crypto ca authenticate tp\nyes\n' | np > auth.got 2>&1
printf 'crypto ca enroll tp\npw\npw\n' | np > e1.got 2>&1
grep -q "Certificate successfully received" e1.got || fail "enroll: $(cat e1.got)"
expect 0 "$SCEPREQ" enroll "$URL" --key k1.pem --cn old-peer --challenge pw \
    --out old.pem
ca_stop

# The CA announces its next generation, in force 20 days before it ends.
export NETPKI_NOW=$((T0 + DAY))
expect 0 ca rollover --days 400 --at "$(iso $((NA - 20 * DAY)))"

# Before the window: the agent does not ask.
at $((NA - 31 * DAY))
agent before
[ ! -e s/trustpoints/tp/ca-next.pem ] || fail "fetched before the window"
grep -q 'GetNextCACert' "$LOG" && fail "GetNextCACert asked before the window"
# In the window: kept, and it is the CA's generation 2.
at $((NA - 25 * DAY))
agent fetch
grep -q 'CA rollover: stored the next CA certificate' fetch.log ||
    fail "no next CA: $(cat fetch.log)"
cmp -s <(openssl x509 -in s/trustpoints/tp/ca-next.pem) \
    <(openssl x509 -in "$CA/ca-2.crt") || fail "ca-next.pem is not ca-2.crt"

# After the CA's switch-over: it issues from generation 2.
at $((NA - 10 * DAY))
expect 0 "$SCEPREQ" enroll "$URL" --key k2.pem --cn new-peer --challenge pw \
    --out new.pem
openssl verify -attime "$NETPKI_NOW" -CAfile "$CA/ca-2.crt" new.pem > /dev/null ||
    fail "new.pem is not generation 2's"
printf 'crypto ca enroll tp\nyes\npw\npw\n' | np > e2.got 2>&1
grep -q "Certificate successfully received" e2.got || fail "re-enroll: $(cat e2.got)"
openssl verify -attime "$NETPKI_NOW" -CAfile "$CA/ca-2.crt" \
    s/trustpoints/tp/cert-general.pem > /dev/null || fail "router not re-enrolled under ca-2"
valid old.pem || fail "overlap: old peer: $(verify old.pem)"
valid new.pem || fail "overlap: new peer: $(verify new.pem)"

# The old CA has expired: the next CA is the CA, the old one is gone.
at $((NA + 1))
agent switch
grep -q 'CA rollover: switched to the next CA certificate' switch.log ||
    fail "no switch: $(cat switch.log)"
cmp -s <(openssl x509 -in s/trustpoints/tp/ca.pem) \
    <(openssl x509 -in "$CA/ca-2.crt") || fail "ca.pem is not ca-2.crt"
[ ! -e s/trustpoints/tp/ca-next.pem ] || fail "ca-next.pem left"
[ -e s/trustpoints/tp/cert-general.pem ] || fail "the router certificate was dropped"
valid new.pem || fail "after: new peer: $(verify new.pem)"
valid old.pem && fail "after: the old CA's peer still verifies"
echo ok
