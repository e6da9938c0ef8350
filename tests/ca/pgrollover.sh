#!/bin/bash
# CA rollover with two netpki-ca instances sharing PostgreSQL: the schema
# upgrade from version 1, both instances announce the next CA and switch
# together at the time the database holds, two rollovers at once make one
# generation, and a directory whose next CA is not the database's is
# refused.  Time moves with NETPKI_NOW (instances restarted), no sleeping.
#   pgrollover.sh NETPKI_CA SCEPREQ
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pglib.sh"
pglib_find || exit 77
pglib_instances
pglib_start || fail "cannot start a PostgreSQL server"
cd "$WORK" || exit 1
T0=$(date +%s)
export NETPKI_NOW=$T0
DA=$WORK/a DB=$WORK/b
ca_a() { "$NETPKI_CA" --dir "$DA" "$@"; }
ca_b() { "$NETPKI_CA" --dir "$DB" "$@"; }
verify() { openssl verify -attime "$NETPKI_NOW" -CAfile "$2" "$1" > /dev/null 2>&1; }
start_both() {
	pglib_serve A "$DA" --challenge pw
	pglib_serve B "$DB" --challenge pw
}
stop_both() {
	kill -TERM "$A_PID" "$B_PID"
	wait "$A_PID" "$B_PID"
	A_PID= B_PID=
}

expect 0 ca_a init --db "$PGURI"
# --- a database of schema version 1 is upgraded, its rows kept
openssl req -new -newkey rsa:2048 -nodes -keyout old.key -subj /CN=old -out old.csr 2>/dev/null
expect 0 ca_a sign-csr old.csr
pglib_sql -d netpki -c "SET client_min_messages = warning" -c "DROP TABLE ca_generations" \
	-c "ALTER TABLE certs DROP COLUMN ca_gen" \
	-c "UPDATE meta SET value = '1' WHERE key = 'schema_version'" > /dev/null || fail "downgrade"
expect 0 ca_a list
contains "$OUT" "valid	CN=old"
[ "$(pglib_sql -d netpki -Atc "SELECT value FROM meta WHERE key = 'schema_version'")" = 2 ] ||
	fail "schema_version not upgraded"

# --- the rollover, made in A, copied to B (the database has the time)
expect 0 ca_a rollover --at +1d
contains "$OUT" "CA generation 2 created"
cp -a "$DA" "$DB"
export NETPKI_NOW=$((T0 + 3600))
start_both
for u in "$A_URL" "$B_URL"; do
	curl -sf "$u?operation=GetCACaps" | grep -qx GetNextCACert || fail "$u: no GetNextCACert"
	curl -sf -o next.p7 "$u?operation=GetNextCACert" || fail "$u: GetNextCACert"
	openssl cms -verify -inform DER -in next.p7 -CAfile "$DA/ca.crt" -binary -attime "$NETPKI_NOW" \
		-out inner.der 2> /dev/null || fail "$u: GetNextCACert not signed by the current CA"
	openssl pkcs7 -inform DER -in inner.der -print_certs | openssl x509 -outform DER > next.der
	cmp -s next.der <(openssl x509 -in "$DA/ca-2.crt" -outform DER) || fail "$u: not the next CA"
done
expect 0 "$SCEPREQ" enroll "$A_URL" --key ka1.pem --cn a1 --challenge pw --out a1.pem
expect 0 "$SCEPREQ" enroll "$B_URL" --key kb1.pem --cn b1 --challenge pw --out b1.pem
verify a1.pem "$DA/ca.crt" && verify b1.pem "$DA/ca.crt" || fail "before: not the old CA"
stop_both

# --- past the switch-over: both instances issue from the new CA
export NETPKI_NOW=$((T0 + 86400 + 60))
start_both
expect 0 "$SCEPREQ" enroll "$A_URL" --key ka2.pem --cn a2 --challenge pw --out a2.pem
expect 0 "$SCEPREQ" enroll "$B_URL" --key kb2.pem --cn b2 --challenge pw --out b2.pem
verify a2.pem "$DA/ca-2.crt" && verify b2.pem "$DA/ca-2.crt" || fail "after: not the new CA"
for u in "$A_URL" "$B_URL"; do
	curl -sf "$u?operation=GetCACaps" | grep -q GetNextCACert && fail "$u: GetNextCACert after the switch"
	curl -sf -o cur.der "$u?operation=GetCACert" || fail "$u: GetCACert"
	cmp -s cur.der <(openssl x509 -in "$DA/ca-2.crt" -outform DER) || fail "$u: GetCACert"
done
# A revocation of an old-CA certificate through B is in A's old CRL.
expect 0 ca_b revoke "$(openssl x509 -in a1.pem -noout -serial | cut -d= -f2)"
curl -sf -o crl.der "http://127.0.0.1:$A_PORT/crl" || fail "/crl"
openssl crl -inform der -in crl.der -CAfile "$DA/ca.crt" -noout 2>&1 | grep -q "verify OK" ||
	fail "old CRL not signed by the old key"
openssl crl -inform der -in crl.der -noout -text | grep -q "$(openssl x509 -in a1.pem -noout -serial | cut -d= -f2)" ||
	fail "old CRL lacks the revocation"
stop_both

# --- two rollovers at once from both directories: one generation 3
ca_a rollover --at +1d > ra.out 2>&1 & p1=$!
ca_b rollover --at +1d > rb.out 2>&1 & p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
[ "$((r1 + r2))" = 1 ] || fail "two rollovers at once: $r1 $r2: $(cat ra.out rb.out)"
grep -q "CA generation 3 created" ra.out rb.out || fail "no generation 3: $(cat ra.out rb.out)"
grep -Eq "already pending|pending or was made meanwhile" ra.out rb.out || fail "the loser: $(cat ra.out rb.out)"
[ "$(ls "$DA"/ca-3.crt "$DB"/ca-3.crt 2>/dev/null | wc -l)" = 1 ] || fail "the loser kept its ca-3.crt"
[ "$(pglib_sql -d netpki -Atc "SELECT count(*) FROM ca_generations")" = 2 ] || fail "generations in the database"
# The winner's directory is fine; the other one, with a ca-3.crt that is
# not the database's, is refused.
if [ $r1 = 0 ]; then W=$DA L=$DB; else W=$DB L=$DA; fi
expect 0 "$NETPKI_CA" --dir "$W" list
cp "$W"/ca-3.key "$W"/link-2-3.crt "$W"/link-3-2.crt "$L"/
cp "$L/ca-2.crt" "$L/ca-3.crt"
expect 1 "$NETPKI_CA" --dir "$L" list
contains "$OUT" "$L/ca-3.crt is not the database's CA generation 3"
echo ok
