#!/bin/bash
# auto-enroll against netpki-ca with 10-day certificates, time moved by
# NETPKI_NOW: the agent renews at the configured percent (RenewalReq, a
# transactionID of its own), keeps the renewal as the shadow, and switches
# at the current certificate's expiry; with regenerate the new key pair
# waits as the shadow key and replaces the old one only at the switch.
#   agent.sh NETPKI_CA SCEPREQ NETPKI
. "$(dirname "$0")/lib.sh"
ca_init
NOW=$T0
serve
tp_setup a tp 'auto-enroll 80'
tp_setup b tp 'auto-enroll 50 regenerate' k2
D=$WORK/a/trustpoints/tp
E=$WORK/b/trustpoints/tp
s1=$(serial "$D/cert-general.pem")
k1=$(pubkey "$WORK/a/keys/rsa/the_default.pem")
kb=$(pubkey "$WORK/b/keys/rsa/k2.pem")
tid1=$(grep -o 'PKCSReq tid=[0-9A-F]*' "$LOG" | head -1 | cut -d= -f2)

# Day 3: nothing due for either (50% is day 5, 80% day 8).
NOW=$((T0 + 3 * DAY))
agent a || fail "agent a: $(cat agent.log)"
agent b || fail "agent b: $(cat agent.log)"
[ -e "$D/renewal-general" ] && fail "renewal attempted before 80%"
[ -e "$E/shadow-key-general.pem" ] && fail "key generated before 50%"

# Day 5.1: b (50%, regenerate) renews with a new key pair kept aside.
NOW=$((T0 + 5 * DAY + 9000))
serve
seturl b tp
agent b || fail "agent b: $(cat agent.log)"
grep -q "was renewed" agent.log || fail "b not renewed: $(cat agent.log)"
[ -f "$E/shadow-general.pem" ] || fail "b: no shadow certificate"
[ "$(stat -c %a "$E/shadow-key-general.pem")" = 600 ] ||
    fail "shadow key not 0600"
[ "$(pubcert "$E/shadow-general.pem")" = \
    "$(pubkey "$E/shadow-key-general.pem")" ] ||
    fail "the shadow certificate is not for the shadow key"
[ "$(pubkey "$WORK/b/keys/rsa/k2.pem")" = "$kb" ] ||
    fail "the current key changed before the switch-over"
pair_ok b tp k2 || fail "b: current pair broken before the switch-over"
grep -q 'issued RenewalReq' "$LOG" || fail "no RenewalReq in the CA log"

# Day 8.1: a (80%, same key) renews: RenewalReq, a fresh transactionID.
NOW=$((T0 + 8 * DAY + 9000))
serve
seturl a tp
agent a || fail "agent a: $(cat agent.log)"
grep -q "was renewed" agent.log || fail "a not renewed: $(cat agent.log)"
tid2=$(grep -o 'RenewalReq tid=[0-9A-F]*' "$LOG" | tail -1 | cut -d= -f2)
[ -n "$tid2" ] && [ "$tid2" != "$tid1" ] ||
    fail "renewal transactionID $tid2 is the enrollment's $tid1"
[ "$(serial "$D/cert-general.pem")" = "$s1" ] ||
    fail "the current certificate changed before its expiry"
[ "$(field "$D/renewal-general" last-ok)" = 1 ] || fail "state: not ok"
[ "$(pubcert "$D/shadow-general.pem")" = "$k1" ] ||
    fail "same-key renewal: another key in the shadow"
out=$(np a -c 'show crypto ca certificates tp')
contains "$out" "Router certificate (rollover)"
out=$(np a -c 'show crypto ca trustpoint tp status')
contains "$out" "Shadow"

# A round before expiry changes nothing; after it, both switch.
agent a || fail "agent a: $(cat agent.log)"
[ -f "$D/shadow-general.pem" ] || fail "a switched before the expiry"
NOW=$((T0 + 10 * DAY + 60))
agent a || fail "agent a: $(cat agent.log)"
grep -q "is now active" agent.log || fail "a: no switch: $(cat agent.log)"
[ "$(serial "$D/cert-general.pem")" != "$s1" ] || fail "a: old certificate"
# The round's metrics are of the certificate it made active.
left=$(awk 'index($0, "netpki_cert_expiry_seconds{trustpoint=\"tp\",kind=\"router\",") == 1 { print $2 }' "$WORK/a.prom")
[ "${left:-0}" -gt 0 ] || fail "a: metrics after the switch-over: $(cat "$WORK/a.prom")"
[ -e "$D/shadow-general.pem" ] && fail "a: shadow left behind"
pair_ok a tp the_default || fail "a: key does not match the certificate"
agent b || fail "agent b: $(cat agent.log)"
grep -q "is now active" agent.log || fail "b: no switch: $(cat agent.log)"
pair_ok b tp k2 || fail "b: new key does not match the new certificate"
[ "$(pubkey "$WORK/b/keys/rsa/k2.pem")" != "$kb" ] ||
    fail "b: still the old key after the switch-over"
[ -e "$E/shadow-key-general.pem" ] && fail "b: shadow key left behind"
[ "$(stat -c %a "$WORK/b/keys/rsa/k2.pem")" = 600 ] || fail "key not 0600"
ls "$WORK"/b/keys/rsa/.k2* 2>/dev/null && fail "temporary key files left"
echo ok
