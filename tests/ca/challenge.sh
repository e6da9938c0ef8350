#!/bin/bash
# One-time enrollment challenges (issue 18): bound to a subject, used
# once, expiring, revocable; the store keeps only a salted hash.  Then
# the schema upgrade of a CA directory made before challenges existed,
# and `init` twice at once on one directory.
. "$(dirname "$0")/lib.sh"
ca_init
cd "$WORK" || exit 1
T0=2000000000

expect 2 ca challenge
expect 2 ca challenge revoke
expect 2 ca challenge new --ttl 1y
contains "$OUT" "--ttl: a duration"
export NETPKI_NOW=$T0
expect 0 ca challenge new --cn 'r1*'
c1=$OUT
[[ "$c1" =~ ^[0-9A-F]{16}-[0-9A-F]{32}$ ]] || fail "challenge form: $c1"
expect 0 ca challenge new --subject "CN=r2" --uses 2
c2=$OUT
expect 0 ca challenge new --ttl 10m
c3=$OUT
expect 0 ca challenge new
c4=$OUT
expect 0 ca challenge list
contains "$OUT" "${c1%%-*}	valid	1/1	2033-05-18T04:33:20Z	r1*"
contains "$OUT" "${c2%%-*}	valid	2/2	2033-05-18T04:33:20Z	CN=r2"
contains "$OUT" "${c3%%-*}	valid	1/1	2033-05-18T03:43:20Z	*"
# Only a salted hash is stored, never the secret.
for c in "$c1" "$c2" "$c3" "$c4"; do
	sqlite3 "$CA/ca.db" .dump | grep -q "${c#*-}" && fail "secret stored"
done
expect 0 ca challenge revoke "${c4%%-*}"
contains "$OUT" "challenge ${c4%%-*} revoked"
expect 1 ca challenge revoke 0123456789ABCDEF
contains "$OUT" "no such challenge"

ca_start --one-time-challenges --challenge static-pw --challenge-failures 100
# Used once: the second request with it is refused, nothing stored.
expect 0 "$SCEPREQ" enroll "$URL" --key k1.pem --cn r1a --challenge "$c1" --out c1.pem
expect 4 "$SCEPREQ" enroll "$URL" --key k1b.pem --cn r1b --challenge "$c1"
contains "$OUT" "FAILURE badRequest: challenge password missing or wrong"
grep -q "challenge ${c1%%-*}: used up or expired" "$LOG" || fail "log: used up"
# Bound to CN=r2: another subject cannot use it; r2 can, twice.
expect 4 "$SCEPREQ" enroll "$URL" --key k2x.pem --cn r3 --challenge "$c2"
grep -q "challenge ${c2%%-*}: bound to another subject" "$LOG" || fail "log: bound"
expect 0 "$SCEPREQ" enroll "$URL" --key k2.pem --cn r2 --challenge "$c2"
expect 0 "$SCEPREQ" enroll "$URL" --key k2b.pem --cn r2 --challenge "$c2"
expect 4 "$SCEPREQ" enroll "$URL" --key k2c.pem --cn r2 --challenge "$c2"
# A wrong secret for a real ID, and a revoked challenge.
expect 4 "$SCEPREQ" enroll "$URL" --key k5.pem --cn r5 --challenge "${c3%%-*}-00000000000000000000000000000000"
grep -q "challenge ${c3%%-*}: wrong secret" "$LOG" || fail "log: wrong secret"
expect 4 "$SCEPREQ" enroll "$URL" --key k5.pem --cn r5 --challenge "$c4"
grep -q "challenge ${c4%%-*}: revoked" "$LOG" || fail "log: revoked"
# The static challenge still works beside them.
expect 0 "$SCEPREQ" enroll "$URL" --key k6.pem --cn r6 --challenge static-pw
ca_stop
# Expired: 10 minutes later c3 no longer opens.
export NETPKI_NOW=$((T0 + 601))
ca_start --one-time-challenges
expect 4 "$SCEPREQ" enroll "$URL" --key k5.pem --cn r5 --challenge "$c3"
expect 0 ca challenge list
contains "$OUT" "${c1%%-*}	used	0/1"
contains "$OUT" "${c3%%-*}	expired	1/1"
contains "$OUT" "${c4%%-*}	revoked"
[ "$(ca list | grep -vc '^#')" = 4 ] || fail "stored: $(ca list)"
ca_stop
unset NETPKI_NOW

# --- schema upgrade: a directory from before schema version 1
CA=$WORK/old
ca_init
openssl req -new -newkey rsa:2048 -nodes -keyout old.key -subj /CN=old -out old.csr 2>/dev/null
ca sign-csr old.csr > old.pem || fail "sign-csr"
sqlite3 "$CA/ca.db" "DROP TABLE challenges; DROP INDEX requests_reqhash;
    ALTER TABLE requests DROP COLUMN reqhash; ALTER TABLE certs DROP COLUMN ca_gen;
    DROP TABLE ca_generations; PRAGMA user_version = 0;"
expect 0 ca list
contains "$OUT" "valid	CN=old"
[ "$(sqlite3 "$CA/ca.db" 'PRAGMA user_version')" = 2 ] || fail "user_version not upgraded"
expect 0 ca challenge new
expect 0 ca challenge list
sqlite3 "$CA/ca.db" "PRAGMA user_version = 7;"
expect 1 ca list
contains "$OUT" "schema version 7 is newer than this netpki-ca's (2)"

# --- init twice at once on one directory: exactly one succeeds
for r in 1 2 3 4 5; do
	d=$WORK/twice$r
	"$NETPKI_CA" --dir "$d" init > i1.out 2>&1 & p1=$!
	"$NETPKI_CA" --dir "$d" init > i2.out 2>&1 & p2=$!
	wait $p1; r1=$?
	wait $p2; r2=$?
	[ $((r1 + r2)) = 1 ] || fail "init twice ($r): exits $r1 and $r2: $(cat i1.out i2.out)"
	grep -Eq "another netpki-ca init|already exists" i1.out i2.out || fail "init twice: $(cat i1.out i2.out)"
	"$NETPKI_CA" --dir "$d" list > /dev/null || fail "init twice ($r): the CA is broken"
done
echo ok
