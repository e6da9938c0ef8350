#!/bin/bash
# One-time challenges across two netpki-ca instances sharing PostgreSQL
# (issue 18): the same challenge sent to both at once issues exactly one
# certificate; a legitimate enrollment with its own challenge succeeds.
# Then the schema upgrade of a database from before schema version 1.
#   pgchallenge.sh NETPKI_CA SCEPREQ
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pglib.sh"
pglib_find || exit 77
pglib_instances

pglib_start || fail "cannot start a PostgreSQL server"
DA=$WORK/a DB=$WORK/b
expect 0 "$NETPKI_CA" --dir "$DA" init --db "$PGURI"
cp -a "$DA" "$DB"
pglib_serve A "$DA" --one-time-challenges --challenge-failures 100
pglib_serve B "$DB" --one-time-challenges --challenge-failures 100
cd "$WORK" || exit 1

rounds=8
for r in $(seq 1 $rounds); do
	expect 0 "$NETPKI_CA" --dir "$DA" challenge new --cn "race$r-*"
	c=$OUT
	"$SCEPREQ" enroll "$A_URL" --ec --key "ka$r.pem" --cn "race$r-a" --challenge "$c" \
		> "a$r.out" 2>&1 & p1=$!
	"$SCEPREQ" enroll "$B_URL" --ec --key "kb$r.pem" --cn "race$r-b" --challenge "$c" \
		> "b$r.out" 2>&1 & p2=$!
	wait $p1; r1=$?
	wait $p2; r2=$?
	ok=$(grep -l '^SUCCESS' "a$r.out" "b$r.out" | wc -l)
	[ "$ok" = 1 ] || fail "round $r: $ok certificates for one challenge ($r1 $r2): $(cat "a$r.out" "b$r.out")"
	grep -q 'FAILURE badRequest' "a$r.out" "b$r.out" || fail "round $r: the loser: $(cat "a$r.out" "b$r.out")"
done
expect 0 "$NETPKI_CA" --dir "$DB" list
[ "$(echo "$OUT" | grep -vc '^#')" = $rounds ] || fail "stored: $OUT"
expect 0 "$NETPKI_CA" --dir "$DB" challenge list
[ "$(echo "$OUT" | grep -c '	used	0/1')" = $rounds ] || fail "challenge list: $OUT"
# The legitimate client with its own challenge, through either instance.
expect 0 "$NETPKI_CA" --dir "$DB" challenge new --subject CN=legit
expect 0 "$SCEPREQ" enroll "$B_URL" --ec --key legit.pem --cn legit --challenge "$OUT"
echo "ok: $rounds races, one certificate each"

# --- schema upgrade: a database from before version 1 (no challenges
# table, no schema_version) gains them on open, its rows kept.
kill -TERM "$A_PID" "$B_PID"
wait "$A_PID" "$B_PID"
A_PID= B_PID=
pglib_sql -d netpki -c "SET client_min_messages = warning" -c "DROP TABLE challenges" \
	-c "DELETE FROM meta WHERE key = 'schema_version'" > /dev/null || fail "downgrade"
expect 0 "$NETPKI_CA" --dir "$DA" list
[ "$(echo "$OUT" | grep -vc '^#')" = $((rounds + 1)) ] || fail "rows lost in the upgrade: $OUT"
expect 0 "$NETPKI_CA" --dir "$DA" challenge list
[ "$(pglib_sql -d netpki -Atc "SELECT value FROM meta WHERE key = 'schema_version'")" = 2 ] ||
	fail "schema_version not set"
pglib_sql -d netpki -c "UPDATE meta SET value = '9' WHERE key = 'schema_version'" > /dev/null
expect 1 "$NETPKI_CA" --dir "$DA" list
contains "$OUT" "schema version 9 is newer"
echo ok
