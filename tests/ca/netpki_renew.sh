#!/bin/bash
# netpki's own client renews against netpki-ca with the same key pair (it
# derives the transactionID from the key, and its RSA CSR can be the very
# same bytes): a new certificate, new serial, later notAfter, not the
# earlier one returned as a "resend".
#   netpki_renew.sh NETPKI_CA SCEPREQ NETPKI
. "$(dirname "$0")/lib.sh"
ca_init
cd "$WORK" || exit 1
NETPKI_NOW=$T0 ca_start --challenge pw
url() {
	printf 'configure\ncrypto ca trustpoint tp\nenrollment url %s\ncommit\nend\n' "$URL" |
		np > cfg.got 2>&1 || fail "configure: $(cat cfg.got)"
}
url
printf 'crypto ca authenticate tp\nyes\n' | np > auth.got 2>&1
printf 'crypto ca enroll tp\npw\npw\n' | np > e1.got 2>&1
grep -q "Certificate successfully received" e1.got || fail "enroll: $(cat e1.got)"
s1=$(ca list | awk '!/^#/{print $1}')
[ -n "$s1" ] || fail "nothing issued"
ca_stop
NETPKI_NOW=$((T0 + 86400)) ca_start --challenge pw
url
printf 'crypto ca enroll tp\nyes\npw\npw\n' | NETPKI_NOW=$((T0 + 86400)) np > e2.got 2>&1
grep -q "Certificate successfully received" e2.got || fail "re-enroll: $(cat e2.got)"
grep -q "(resent)" "$LOG" && fail "the renewal was taken for a resend"
expect 0 ca list
[ "$(echo "$OUT" | grep -vc '^#')" = 2 ] || fail "not two certificates: $OUT"
s2=$(echo "$OUT" | awk '!/^#/{print $1}' | grep -v "$s1")
[ -n "$s2" ] || fail "no new serial"
na1=$(echo "$OUT" | awk -v s="$s1" '$1 == s {print $NF}')
na2=$(echo "$OUT" | awk -v s="$s2" '$1 == s {print $NF}')
[[ "$na2" > "$na1" ]] || fail "notAfter $na2 is not later than $na1"
echo ok
