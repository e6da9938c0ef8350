#!/bin/bash
# A CA that refuses the renewal (its policy's renewal window; a revoked
# certificate) leaves the current certificate and key in place and records
# the failure; attempts follow the retry period, then back off.
#   refuse.sh NETPKI_CA SCEPREQ NETPKI
. "$(dirname "$0")/lib.sh"
ca_init
NOW=$T0
serve
tp_setup a tp 'auto-enroll 50'
tp_setup r tp 'auto-enroll 50'
printf 'configure\ncrypto ca trustpoint tp\nenrollment retry period 2\nenrollment retry count 2\ncommit\nend\n' |
    np a > /dev/null
D=$WORK/a/trustpoints/tp
cert1=$(cat "$D/cert-general.pem")
key1=$(cat "$WORK/a/keys/rsa/the_default.pem")

# Renewal only in the last day of a certificate's life: refused at 50%.
echo 'renewal-window 1' > "$CA/policy.conf"
NOW=$((T0 + 5 * DAY + 9000))
serve
seturl a tp
agent a || fail "agent: $(cat agent.log)"
grep -q "renewal of the general purpose certificate failed" agent.log ||
    fail "no failure logged: $(cat agent.log)"
grep -q 'RenewalReq.*renewal-outside-window.*FAILURE' "$LOG" ||
    fail "the CA did not refuse by its renewal window"
[ "$(cat "$D/cert-general.pem")" = "$cert1" ] || fail "certificate touched"
[ "$(cat "$WORK/a/keys/rsa/the_default.pem")" = "$key1" ] || fail "key touched"
[ -e "$D/shadow-general.pem" ] && fail "a refused renewal left a shadow"
[ "$(field "$D/renewal-general" last-ok)" = 0 ] || fail "not recorded"
[ "$(field "$D/renewal-general" failures-total)" = 1 ] || fail "count"
[ "$(field "$D/renewal-general" next)" = $((NOW + 120)) ] ||
    fail "next attempt is not one retry period (2 min) later"
out=$(np a -c 'show crypto ca trustpoint tp status')
contains "$out" "Last renewal attempt"
contains "$out" "failed: "
contains "$out" "Renewal failures ............ 1 (1 since the last success)"
# Not due again before the retry period; then the retries, then hourly.
NOW=$((NOW + 60))
agent a || fail "agent: $(cat agent.log)"
[ "$(field "$D/renewal-general" failures-total)" = 1 ] || fail "retried early"
NOW=$((NOW + 60))
agent a
NOW=$((NOW + 120))
agent a
[ "$(field "$D/renewal-general" failures-total)" = 3 ] || fail "no retries"
[ "$(field "$D/renewal-general" next)" = $((NOW + 3600)) ] ||
    fail "no hourly back-off after the retry count"
# In the window (the last day) the renewal goes through.
rm "$CA/policy.conf"
NOW=$((T0 + 9 * DAY + 3600))
serve
seturl a tp
agent a || fail "agent: $(cat agent.log)"
grep -q "was renewed" agent.log || fail "not renewed: $(cat agent.log)"
[ "$(field "$D/renewal-general" last-ok)" = 1 ] || fail "success not recorded"
[ "$(field "$D/renewal-general" failures-total)" = 3 ] || fail "total lost"

# A revoked certificate cannot renew itself.
expect 0 ca revoke "$(serial "$WORK/r/trustpoints/tp/cert-general.pem")"
NOW=$((T0 + 5 * DAY + 9000))
serve
seturl r tp
cert1=$(cat "$WORK/r/trustpoints/tp/cert-general.pem")
agent r || fail "agent: $(cat agent.log)"
grep -q "renewal of the general purpose certificate failed" agent.log ||
    fail "revoked: no failure: $(cat agent.log)"
[ "$(cat "$WORK/r/trustpoints/tp/cert-general.pem")" = "$cert1" ] ||
    fail "revoked: certificate touched"
[ -e "$WORK/r/trustpoints/tp/shadow-general.pem" ] && fail "revoked: shadow"
pair_ok r tp the_default || fail "revoked: pair broken"
echo ok
