#!/bin/bash
# A CA that cannot renew unattended (no "Renewal" in GetCACaps: here
# scep_badserver, which lists POSTPKIOperation, AES, SHA-256 and
# SCEPStandard) gets no request: the status says "renewal needs an
# operator" and crypto ca enroll renews by hand.  A CA that answers
# PENDING (netpki-ca --approve manual): the renewal is saved like a pending
# enrollment, polled by the agent at the retry period, and becomes the
# shadow once approved.
#   operator.sh NETPKI_CA SCEPREQ NETPKI SCEP_BADSERVER
BAD=$(realpath "$4")
. "$(dirname "$0")/lib.sh"
DATA=$HERE/../data
ca_init
NOW=$T0

# scep_badserver on a free port (it binds 127.0.0.1 only).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
NETPKI_NOW=$T0 "$BAD" "$DATA/scep/bad" "$port" > "$WORK/bad.log" 2>&1 &
BADPID=$!
trap 'kill $BADPID 2>/dev/null; wait $BADPID 2>/dev/null; cleanup' EXIT
for _ in $(seq 1 100); do
	curl -sf -o /dev/null "http://127.0.0.1:$port/ok?operation=GetCACaps" && break
	sleep 0.05
done
URL=http://127.0.0.1:$port/ok
tp_setup o tp 'auto-enroll 50'
D=$WORK/o/trustpoints/tp
cert1=$(cat "$D/cert-general.pem")
NOW=$((T0 + 183 * DAY))
agent o || fail "agent: $(cat agent.log)"
grep -q "renewal needs an operator" agent.log || fail "not said: $(cat agent.log)"
[ "$(field "$D/renewal-general" needs-operator)" = 1 ] || fail "not recorded"
[ "$(cat "$D/cert-general.pem")" = "$cert1" ] || fail "certificate touched"
out=$(np o -c 'show crypto ca trustpoint tp status')
contains "$out" "Next renewal ................ renewal needs an operator ('crypto ca enroll tp')"
out=$(np o -c 'show crypto ca trustpoint tp status | json')
contains "$out" '"needs_operator": true'
# The operator renews by hand; the new certificate starts afresh.
printf 'crypto ca enroll tp\nyes\npw\npw\n' | np o > by-hand.log 2>&1
grep -q "Certificate successfully received" by-hand.log ||
    fail "enroll by hand: $(cat by-hand.log)"
out=$(np o -c 'show crypto ca trustpoint tp status')
case "$out" in *"Next renewal ................ renewal needs"*) fail "still needs an operator: $out";; esac

# netpki-ca with manual approval: the renewal waits, polled by the agent.
NOW=$T0
serve
tp_setup p tp 'auto-enroll 50'
P=$WORK/p/trustpoints/tp
NOW=$((T0 + 5 * DAY + 9000))
serve --approve manual
seturl p tp
agent p || fail "agent: $(cat agent.log)"
grep -q "pending at the CA" agent.log || fail "not pending: $(cat agent.log)"
grep -qx 'renewal 1' "$P/pending/general" || fail "no pending renewal saved"
out=$(np p -c 'show crypto ca trustpoint tp status')
contains "$out" "Next renewal ................ Pending at the CA"
id=$(grep -o 'RenewalReq.*request=[0-9]*' "$LOG" | tail -1 | sed 's/.*request=//')
[ -n "$id" ] || fail "no request id in the CA log"
# Polled at the retry period (1 minute); approved in between.
NOW=$((NOW + 61))
agent p || fail "agent: $(cat agent.log)"
[ -e "$P/shadow-general.pem" ] && fail "shadow before the approval"
expect 0 ca approve "$id"
NOW=$((NOW + 61))
agent p || fail "agent: $(cat agent.log)"
[ -f "$P/shadow-general.pem" ] || fail "approved renewal not kept: $(cat agent.log)"
[ -e "$P/pending/general" ] && fail "pending renewal not forgotten"
[ "$(field "$P/renewal-general" last-ok)" = 1 ] || fail "not recorded"
pair_ok p tp the_default || fail "pair broken"
echo ok
