#!/bin/bash
# kill -9 of the agent at named steps of a renewal and of the switch-over
# (NETPKI_TEST_CRASH, test builds only): whatever the step, the next
# process sees the old pair or the new pair, never a certificate beside
# another key, and the following round completes the renewal.
#   crash.sh NETPKI_CA SCEPREQ NETPKI
. "$(dirname "$0")/lib.sh"
ca_init
NOW=$T0
serve
for s in a b c d; do
	tp_setup $s tp 'auto-enroll 50 regenerate' k
done
kold=$(pubkey "$WORK/a/keys/rsa/k.pem")

# Killed after the new key pair is kept, before the request: the current
# pair is untouched; the next round sends the request for that same key.
NOW=$((T0 + 5 * DAY + 9000))
serve
for s in a b c d; do seturl $s tp; done
agent a NETPKI_TEST_CRASH=renew-shadow-key && fail "a: no crash"
pair_ok a tp k || fail "a: pair broken after a crash before the request"
[ "$(pubkey "$WORK/a/keys/rsa/k.pem")" = "$kold" ] || fail "a: key changed"
kept=$(pubkey "$WORK/a/trustpoints/tp/shadow-key-general.pem")
[ -e "$WORK/a/trustpoints/tp/shadow-general.pem" ] && fail "a: shadow early"
agent a || fail "a: $(cat agent.log)"
grep -q "was renewed" agent.log || fail "a: not renewed: $(cat agent.log)"
[ "$(pubcert "$WORK/a/trustpoints/tp/shadow-general.pem")" = "$kept" ] ||
    fail "a: the renewal is not for the kept key pair"

# Killed after the CA answered, before the shadow is stored: nothing
# changed; the next round asks again (a new transactionID).
agent b NETPKI_TEST_CRASH=renew-answered && fail "b: no crash"
pair_ok b tp k || fail "b: pair broken after a crash with the answer"
[ -e "$WORK/b/trustpoints/tp/shadow-general.pem" ] && fail "b: shadow stored"
agent b || fail "b: $(cat agent.log)"
grep -q "was renewed" agent.log || fail "b: not renewed: $(cat agent.log)"
agent c || fail "c: $(cat agent.log)"
agent d || fail "d: $(cat agent.log)"

# The switch-over killed after its journal, and after its first rename:
# the next process to open the state directory finishes the change.
NOW=$((T0 + 10 * DAY + 60))
for s in a b c d; do
	old=$(serial "$WORK/$s/trustpoints/tp/cert-general.pem")
	case $s in
	a) agent a NETPKI_TEST_CRASH=batch-journal && fail "a: no crash" ;;
	b) agent b NETPKI_TEST_CRASH=batch-first-op && fail "b: no crash" ;;
	c) agent c NETPKI_TEST_CRASH=renew-shadow-key || fail "c: crashed" ;;
	d) agent d || fail "d: $(cat agent.log)" ;;
	esac
	out=$(np $s -c 'show crypto ca certificates tp')
	contains "$out" "Status :Available"
	pair_ok $s tp k || fail "$s: key and certificate do not match"
	[ "$(serial "$WORK/$s/trustpoints/tp/cert-general.pem")" != "$old" ] ||
	    fail "$s: still the old certificate"
	[ "$(pubkey "$WORK/$s/keys/rsa/k.pem")" != "$kold" ] ||
	    fail "$s: still the old key"
	[ -e "$WORK/$s/trustpoints/tp/shadow-key-general.pem" ] &&
	    fail "$s: shadow key left"
	[ -e "$WORK/$s/.journal" ] && fail "$s: journal left"
done
echo ok
