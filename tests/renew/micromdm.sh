#!/bin/bash
# Renewal against micromdm's scepserver (Debian package "scep"), which
# lists Renewal in GetCACaps and answers RenewalReq: the agent renews a
# 2-day certificate at 80% and switches at its expiry.  scepserver 2.1.0
# asks its -challenge of a RenewalReq too ("invalid challenge"), and the
# agent has no password to give, so the server runs without one (the
# refusal is not an outage: the current certificate stays and the failure
# is recorded, checked first).  scepserver binds every address, so it and
# netpki run in a network namespace with only lo.
#   micromdm.sh NETPKI
# Exit 77 (skipped) without root, network namespaces or scepserver.
set -u
NETPKI=$(realpath "$1")
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root for a network namespace"
command -v ip >/dev/null || skip "iproute2 not installed"
command -v scepserver >/dev/null || skip "scepserver not installed (Debian package scep)"
command -v curl >/dev/null || skip "curl not installed"
NS=netpki-renew-$$
WORK=$(mktemp -d /tmp/netpki-renew-mdm.XXXXXX)
PID=
cleanup() {
	[ -n "$PID" ] && { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }
	ip netns del "$NS" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -n 20 "$WORK/mdm.log"; exit 1; }
ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace"
ip netns exec "$NS" ip link set lo up
scepserver ca -init -depot "$WORK/depot" -keySize 2048 >/dev/null 2>&1 ||
	fail "scepserver ca -init"
# mdm_start [flags]: (re)start scepserver on the same depot.
mdm_start() {
	[ -n "$PID" ] && { kill "$PID"; wait "$PID" 2>/dev/null; }
	ip netns exec "$NS" scepserver -depot "$WORK/depot" -port 8082 \
		-allowrenew 0 -crtvalid 2 -debug "$@" \
		>> "$WORK/mdm.log" 2>&1 < /dev/null &
	PID=$!
	for _ in $(seq 1 100); do
		ip netns exec "$NS" curl -sf -o /dev/null \
		    "http://127.0.0.1:8082/scep?operation=GetCACaps" && return
		sleep 0.1
	done
	fail "scepserver did not start"
}
mdm_start -challenge secret
T0=$(date +%s)
in_ns() { ip netns exec "$NS" env NETPKI_NOW="$NOW" "$@"; }
np() { in_ns "$NETPKI" --state "$WORK/s" "$@"; }
agent() { in_ns "$NETPKI" agent --state "$WORK/s" --once --stderr > "$WORK/agent.log" 2>&1; }
D=$WORK/s/trustpoints/tp
NOW=$T0
printf 'configure\ncrypto ca trustpoint tp\nenrollment url http://127.0.0.1:8082/scep\nauto-enroll 80\ncommit\nend\ncrypto ca authenticate tp\nyes\ncrypto ca enroll tp\nsecret\nsecret\n' |
	np > "$WORK/setup.log" 2>&1
grep -q "Certificate successfully received" "$WORK/setup.log" ||
	fail "enroll: $(cat "$WORK/setup.log")"
s1=$(openssl x509 -in "$D/cert-general.pem" -noout -serial)
# Before 80% of two days: nothing; after: RenewalReq, the shadow.
NOW=$((T0 + 86400))
agent || fail "agent: $(cat "$WORK/agent.log")"
[ -e "$D/renewal-general" ] && fail "renewed before 80%"
NOW=$((T0 + 86400 * 17 / 10))
agent || fail "agent: $(cat "$WORK/agent.log")"
grep -q "renewal of the general purpose certificate failed" "$WORK/agent.log" ||
	fail "challenge-less renewal not refused: $(cat "$WORK/agent.log")"
[ -e "$D/shadow-general.pem" ] && fail "a refused renewal left a shadow"
[ "$(openssl x509 -in "$D/cert-general.pem" -noout -serial)" = "$s1" ] ||
	fail "a refused renewal touched the certificate"
# Without a challenge, scepserver renews; the agent retries a minute later.
mdm_start
NOW=$((NOW + 61))
agent || fail "agent: $(cat "$WORK/agent.log")"
grep -q "was renewed" "$WORK/agent.log" || fail "not renewed: $(cat "$WORK/agent.log")"
grep -q 'scep_message_type="RenewalReq (17)"' "$WORK/mdm.log" ||
	fail "scepserver saw no RenewalReq"
t1=$(grep -o 'PKCSReq (19)" transaction_id=[0-9A-F]*' "$WORK/mdm.log" | head -1 | cut -d= -f2)
t2=$(grep -o 'RenewalReq (17)" transaction_id=[0-9A-F]*' "$WORK/mdm.log" | tail -1 | cut -d= -f2)
[ -n "$t2" ] && [ "$t1" != "$t2" ] || fail "transactionID $t2 is the enrollment's"
[ -f "$D/shadow-general.pem" ] || fail "no shadow"
[ "$(openssl x509 -in "$D/cert-general.pem" -noout -serial)" = "$s1" ] ||
	fail "current certificate replaced early"
NOW=$((T0 + 2 * 86400 + 600))
agent || fail "agent: $(cat "$WORK/agent.log")"
grep -q "is now active" "$WORK/agent.log" || fail "no switch: $(cat "$WORK/agent.log")"
[ "$(openssl x509 -in "$D/cert-general.pem" -noout -serial)" != "$s1" ] ||
	fail "still the old certificate"
[ "$(openssl x509 -in "$D/cert-general.pem" -noout -pubkey)" = \
    "$(openssl pkey -in "$WORK/s/keys/rsa/the_default.pem" -pubout)" ] ||
	fail "key and certificate do not match"
echo ok
