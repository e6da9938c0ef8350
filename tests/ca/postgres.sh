#!/bin/bash
# Two netpki-ca instances sharing one PostgreSQL database (a private
# server from Debian's postgresql package, on 127.0.0.1 and a socket in a
# temp dir): concurrent enrolment through both, approval on one of a
# request made through the other, approve racing reject, revoke on one
# seen in the other's CRL, kill -9 under load, a URI with a password, and
# the database going away.  Then test_ca_db's cases against PostgreSQL.
#   postgres.sh NETPKI_CA SCEPREQ TEST_CA_DB
. "$(dirname "$0")/lib.sh"
TEST_CA_DB=$(realpath "$3")

. "$(dirname "$0")/pglib.sh"
pglib_find || exit 77
pglib_instances

pglib_start || fail "cannot start a PostgreSQL server"
URI=$PGURI
DA=$WORK/a DB=$WORK/b

# --- a password in the URI is refused, and nothing is created
expect 1 "$NETPKI_CA" --dir "$DA" init --db "postgresql://netpki:secret-pg-pw@127.0.0.1:$PGPORT/netpki"
contains "$OUT" "password"
contains "$OUT" "pgpass"
case "$OUT" in *secret-pg-pw*) fail "the password was echoed: $OUT";; esac
[ ! -e "$DA/ca.key" ] || fail "a CA was created despite the refused URI"
expect 1 "$NETPKI_CA" --dir "$DA" init --db "postgresql://netpki@127.0.0.1:$PGPORT/netpki?password=x"
contains "$OUT" "password"
expect 1 "$NETPKI_CA" --dir "$DA" init --db "mysql://127.0.0.1/netpki"
contains "$OUT" "postgresql:// URI"

# --- one CA, two copies of its directory, one database
expect 0 "$NETPKI_CA" --dir "$DA" init --db "$URI"
[ "$(stat -c %a "$DA/database")" = 600 ] || fail "DIR/database is not 0600"
[ "$(cat "$DA/database")" = "$URI" ] || fail "DIR/database: $(cat "$DA/database")"
[ ! -e "$DA/ca.db" ] || fail "an SQLite file was made beside the URI"
cp -a "$DA" "$DB"
# A second CA on the same database is refused (copy the directory).
expect 1 "$NETPKI_CA" --dir "$WORK/other" init --db "$URI"
contains "$OUT" "already belongs to a CA"
[ ! -e "$WORK/other" ] || fail "init made $WORK/other anyway"
# A hand-edited DIR/database: not a URI, a password, broken syntax.
cp -a "$DA" "$WORK/bad"
printf 'host=127.0.0.1\n' > "$WORK/bad/database"
expect 1 "$NETPKI_CA" --dir "$WORK/bad" list
contains "$OUT" "database: a postgresql:// URI is expected"
printf 'postgresql://netpki:pw@127.0.0.1:%s/netpki\n' "$PGPORT" > "$WORK/bad/database"
expect 1 "$NETPKI_CA" --dir "$WORK/bad" list
contains "$OUT" "a password does not belong in the URI"
printf 'postgresql://netpki@127.0.0.1:%s/netpki?sslmode=sometimes\n' "$PGPORT" > "$WORK/bad/database"
expect 1 "$NETPKI_CA" --dir "$WORK/bad" list
contains "$OUT" "invalid sslmode value"
head -c 5000 /dev/zero | tr '\0' a > "$WORK/bad/database"
expect 1 "$NETPKI_CA" --dir "$WORK/bad" list
rm -rf "$WORK/bad"

stop() {
	local pid
	pid=$(eval echo "\$${1}_PID")
	kill -TERM "$pid" || fail "$1 gone before SIGTERM"
	wait "$pid" || fail "$1 exited $? on SIGTERM"
	printf -v "${1}_PID" %s ""
}

url() { echo "http://127.0.0.1:$(eval echo "\$${1}_PORT")/scep"; }

pglib_serve A "$DA" --challenge pw --threads 4
pglib_serve B "$DB" --challenge pw --threads 4
cd "$WORK" || exit 1
mkdir -p certs

# --- concurrent enrolment through both instances
worker() {
	local inst=$1 w=$2 n u
	u=$(url "$inst")
	for n in $(seq 1 "$3"); do
		"$SCEPREQ" enroll "$u" --ec --key "k$inst$w-$n.pem" --cn "$inst$w-$n" \
			--challenge pw --out "certs/$inst$w-$n.pem" > /dev/null 2>&1 || return 0
	done
}
pids=()
for w in 1 2 3 4; do
	worker A "$w" 10 & pids+=($!)
	worker B "$w" 10 & pids+=($!)
done
wait "${pids[@]}"
got=$(ls certs | wc -l)
[ "$got" = 80 ] || fail "$got of 80 enrolments succeeded"
expect 0 "$NETPKI_CA" --dir "$DA" list
echo "$OUT" | awk '!/^#/{print $1}' | sort > list_a
expect 0 "$NETPKI_CA" --dir "$DB" list
echo "$OUT" | awk '!/^#/{print $1}' | sort > list_b
cmp -s list_a list_b || fail "the two instances list different certificates"
[ "$(wc -l < list_a)" = 80 ] || fail "$(wc -l < list_a) certificates stored, 80 issued"
stored_all list_a
echo "ok: 80 certificates through two instances, one list"

# --- revoke through B: A's /crl and GetCRL list the serial at once
serial=$(head -n 1 list_a)
expect 0 "$NETPKI_CA" --dir "$DB" revoke "$serial" --reason keyCompromise
curl -sf -o crl_a.der "http://127.0.0.1:$A_PORT/crl" || fail "A's /crl"
openssl crl -inform DER -in crl_a.der -noout -text > crl_a.txt || fail "A's CRL does not parse"
grep -q "Serial Number: $serial" crl_a.txt || fail "A's /crl does not list $serial"
openssl crl -inform DER -in crl_a.der -noout -verify -CAfile "$DA/ca.crt" 2>/dev/null ||
	fail "A's CRL does not verify"
expect 0 "$SCEPREQ" getcrl "$(url A)" --key kA1-1.pem --out getcrl_a.der
openssl crl -inform DER -in getcrl_a.der -noout -text | grep -q "Serial Number: $serial" ||
	fail "A's GetCRL does not list $serial"
# The CRL numbers come from the shared counter: B's next one is higher.
na=$(openssl crl -inform DER -in crl_a.der -noout -crlnumber | sed 's/.*=0x//')
expect 0 "$NETPKI_CA" --dir "$DB" crl
nb=$(openssl crl -inform DER -in "$DB/crl.der" -noout -crlnumber | sed 's/.*=0x//')
[ -n "$na" ] && [ -n "$nb" ] && [ $((16#$nb)) -gt $((16#$na)) ] || fail "CRL number $nb on B is not above A's $na"
echo "ok: revoked on B, listed in A's CRL"

# --- manual approval: requested through A, approved on B, polled through A
stop A
pglib_serve A "$DA" --challenge pw --approve manual
expect 3 "$SCEPREQ" enroll "$(url A)" --key m1.pem --cn m1 --challenge pw
contains "$OUT" PENDING
expect 0 "$NETPKI_CA" --dir "$DB" requests --pending
id=$(echo "$OUT" | awk '!/^#/{print $1}')
[ -n "$id" ] && [ "$(echo "$id" | wc -l)" = 1 ] || fail "requests --pending on B: $OUT"
expect 0 "$NETPKI_CA" --dir "$DB" approve "$id"
mserial=$(echo "$OUT" | sed -n 's/.*serial \([0-9A-F]*\)$/\1/p')
[ -n "$mserial" ] || fail "approve printed no serial: $OUT"
expect 0 "$SCEPREQ" poll "$(url A)" --key m1.pem --cn m1 --out m1.crt
contains "$OUT" "SUCCESS serial=$mserial"
openssl verify -CAfile "$DA/ca.crt" m1.crt > /dev/null || fail "m1.crt does not verify"

# --- approve on A against reject on B, at once: exactly one wins
for r in 1 2 3 4 5 6; do
	expect 3 "$SCEPREQ" enroll "$(url A)" --key "race$r.pem" --cn "race$r" --challenge pw
	expect 0 "$NETPKI_CA" --dir "$DA" requests --pending
	id=$(echo "$OUT" | awk '!/^#/{print $1}')
	[ -n "$id" ] || fail "race $r: no pending request"
	"$NETPKI_CA" --dir "$DA" approve "$id" > "ap$r.out" 2>&1 & p1=$!
	"$NETPKI_CA" --dir "$DB" reject "$id" > "rj$r.out" 2>&1 & p2=$!
	wait $p1; rc1=$?
	wait $p2; rc2=$?
	[ $((rc1 + rc2)) = 1 ] || fail "race $r: approve exited $rc1, reject $rc2: $(cat "ap$r.out" "rj$r.out")"
	expect 0 "$NETPKI_CA" --dir "$DB" requests
	state=$(echo "$OUT" | awk -v id="$id" '$1 == id {print $2}')
	if [ $rc1 = 0 ]; then
		[ "$state" = issued ] || fail "race $r: approve won but the request is $state"
		grep -Eq "(not|no longer) pending" "rj$r.out" || fail "race $r: $(cat "rj$r.out")"
		expect 0 "$SCEPREQ" poll "$(url A)" --key "race$r.pem" --cn "race$r"
	else
		[ "$state" = rejected ] || fail "race $r: reject won but the request is $state"
		grep -Eq "(not|no longer) pending" "ap$r.out" || fail "race $r: $(cat "ap$r.out")"
		expect 4 "$SCEPREQ" poll "$(url A)" --key "race$r.pem" --cn "race$r"
	fi
done
expect 0 "$NETPKI_CA" --dir "$DA" list
[ "$(echo "$OUT" | grep -vc '^#')" = $((81 + $(grep -l serial ap*.out 2>/dev/null | wc -l))) ] ||
	fail "certificates after the races: $OUT"
echo "ok: approval across instances; approve/reject races have one winner ($(grep -l serial ap*.out 2>/dev/null | wc -l) of 6 approvals won)"

# --- kill -9 of A while both are loaded: what any client got is stored
stop A
pglib_serve A "$DA" --challenge pw --threads 4
rm -rf certs && mkdir certs
pids=()
for w in 1 2 3 4; do
	worker A "k$w" 30 & pids+=($!)
	worker B "k$w" 10 & pids+=($!)
done
# Kill A under load, once it has issued something (bounded: 60 s).
for _ in $(seq 1 600); do
	ls certs/A* > /dev/null 2>&1 && break
	sleep 0.1
done
kill -KILL "$A_PID"
wait "$A_PID" 2>/dev/null
A_PID=
wait "${pids[@]}"
ls certs/A* > /dev/null 2>&1 || fail "A issued nothing before the kill"
expect 0 "$NETPKI_CA" --dir "$DB" list
echo "$OUT" | awk '!/^#/{print $1}' | sort > stored
stored_all stored
echo "ok: $(ls certs/A* | wc -l) certificates from A before kill -9, all stored"

# --- the database goes away
pglib_down || fail "pg_ctl stop"
expect 1 "$NETPKI_CA" --dir "$DB" list
contains "$OUT" "netpki-ca: database postgresql://netpki@127.0.0.1:$PGPORT/netpki"
case "$OUT" in *%*|*secret-pg-pw*) fail "unexpected text in: $OUT";; esac
expect 1 "$NETPKI_CA" --dir "$DB" revoke "$(sed -n 2p list_a)"
contains "$OUT" "127.0.0.1:$PGPORT/netpki"
expect 1 "$NETPKI_CA" --dir "$DA" serve --listen 127.0.0.1:0
contains "$OUT" "127.0.0.1:$PGPORT/netpki"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$B_PORT/crl")
[ "$code" = 503 ] || fail "B's /crl with the database down: HTTP $code"
# An enrolment: HTTP 503, not a SCEP FAILURE, and the database's name
# stays in B's log, out of the reply.
expect 1 "$SCEPREQ" enroll "$(url B)" --ec --key down.pem --cn down --challenge pw
contains "$OUT" "503"
case "$OUT" in *"$PGPORT"*|*netpki@*) fail "the store's message reached the client: $OUT";; esac
kill -0 "$B_PID" 2>/dev/null || fail "B died with the database down"
last=$(grep -a 'PKIOperation' "$WORK/B.log" | tail -n 1)
case "$last" in *" 503 "*"store: database postgresql://netpki@127.0.0.1:$PGPORT/netpki"*) ;;
	*) fail "B's log line for the enrolment: $last";; esac
# Back up: B reconnects on its next request.
pglib_up || fail "postgres did not restart"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$B_PORT/crl")
[ "$code" = 200 ] || fail "B's /crl after the database came back: HTTP $code"
expect 0 "$SCEPREQ" enroll "$(url B)" --ec --key up.pem --cn up --challenge pw
echo "ok: database down: clear errors and 503, then reconnected"
stop B

# --- the store's own cases against PostgreSQL
NETPKI_TEST_PG_URI=$URI "$TEST_CA_DB" > test_db.out 2>&1 || { cat test_db.out; fail "test_ca_db on PostgreSQL"; }
grep -q "PASSED.*4 test" test_db.out && grep -q "PASSED.*5 test" test_db.out || { cat test_db.out; fail "test_ca_db did not run its PostgreSQL cases"; }
echo "ok: test_ca_db on SQLite and PostgreSQL"
