#!/bin/bash
# auto-enroll regenerate with a special-usage key pair: the signature and
# the encryption certificates are renewed each with its own RenewalReq
# (signed by that certificate), each half gets a new key pair kept as its
# shadow key, and each switches at its certificate's expiry.
#   usage.sh NETPKI_CA SCEPREQ NETPKI
. "$(dirname "$0")/lib.sh"
ca_init
NOW=$T0
serve
{
	printf 'configure\ncrypto ca trustpoint tp\nenrollment url %s\n' "$URL"
	printf 'auto-enroll 50 regenerate\nrsakeypair u\ncommit\nend\n'
	printf 'crypto key generate rsa usage-keys u\n2048\n2048\n'
	printf 'crypto ca authenticate tp\nyes\ncrypto ca enroll tp\npw\npw\n'
} | np u > setup.log 2>&1
grep -q "Certificate successfully received" setup.log || fail "enroll: $(cat setup.log)"
D=$WORK/u/trustpoints/tp
ks=$(pubkey "$WORK/u/keys/rsa-sign/u.pem")
ke=$(pubkey "$WORK/u/keys/rsa-encr/u.pem")
NOW=$((T0 + 5 * DAY + 9000))
serve
seturl u tp
agent u || fail "agent: $(cat agent.log)"
[ "$(grep -c 'RenewalReq' "$LOG")" = 2 ] || fail "not two RenewalReqs"
for k in sign encr; do
	[ "$(pubcert "$D/shadow-$k.pem")" = "$(pubkey "$D/shadow-key-$k.pem")" ] ||
	    fail "$k: shadow certificate not for its shadow key"
done
out=$(np u -c 'show crypto ca certificates tp')
[ "$(grep -c 'Router certificate (rollover)' <<<"$out")" = 2 ] ||
    fail "not two rollover certificates: $out"
NOW=$((T0 + 10 * DAY + 60))
agent u || fail "agent: $(cat agent.log)"
for k in sign encr; do
	[ "$(pubcert "$D/cert-$k.pem")" = "$(pubkey "$WORK/u/keys/rsa-$k/u.pem")" ] ||
	    fail "$k: key and certificate do not match after the switch-over"
	[ -e "$D/shadow-$k.pem" ] && fail "$k: shadow left"
done
[ "$(pubkey "$WORK/u/keys/rsa-sign/u.pem")" != "$ks" ] || fail "old signature key"
[ "$(pubkey "$WORK/u/keys/rsa-encr/u.pem")" != "$ke" ] || fail "old encryption key"
echo ok
