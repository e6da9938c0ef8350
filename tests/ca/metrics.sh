#!/bin/bash
# GET /metrics (Prometheus text) and GET /healthz (man netpki-ca,
# MONITORING): the counters move as they should after an enrollment, a
# wrong challenge and a pending request; the pending gauge reads the
# store; the CA expiry and CRL age gauges; /healthz is 200 with the store
# up and 503 with a PostgreSQL store down (skipped without PostgreSQL).
#   metrics.sh NETPKI_CA SCEPREQ
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
cd "$WORK" || exit 1
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
scrape() { curl -s "http://127.0.0.1:$PORT/metrics" > "$WORK/m.txt" || fail "GET /metrics"; }
# value NAME: from the last scrape ("" when absent).
value() { awk -v n="$1" '$1 == n {print $2}' "$WORK/m.txt"; }
is() { [ "$(value "$1")" = "$2" ] || fail "$1 is '$(value "$1")', expected $2"; }

ca_init
ca_start --challenge pw
scrape
is netpki_ca_certificates_issued_total 0
is 'netpki_ca_requests_total{type="PKCSReq",outcome="issued"}' ""
grep -q '^# TYPE netpki_ca_request_duration_seconds histogram$' "$WORK/m.txt" || fail "no histogram TYPE"
grep -q '^# HELP netpki_ca_certificates_issued_total ' "$WORK/m.txt" || fail "no HELP"
# Ten years, less a few seconds.
exp=$(value netpki_ca_ca_certificate_expiry_seconds)
[ "$exp" -gt 315000000 ] && [ "$exp" -le 315360000 ] || fail "CA expiry $exp"
expect 0 "$SCEPREQ" enroll "$URL" --key k1.pem --cn dev1 --challenge pw --out c1.pem
expect 4 "$SCEPREQ" enroll "$URL" --key k2.pem --cn dev2 --challenge nope
[ "$(code "http://127.0.0.1:$PORT/crl")" = 200 ] || fail "GET /crl"
scrape
is netpki_ca_certificates_issued_total 1
is 'netpki_ca_requests_total{type="PKCSReq",outcome="issued"}' 1
is 'netpki_ca_requests_total{type="PKCSReq",outcome="bad_challenge"}' 1
is 'netpki_ca_requests_total{type="crl",outcome="ok"}' 1
is 'netpki_ca_requests_total{type="metrics",outcome="ok"}' 1
is 'netpki_ca_request_duration_seconds_count{operation="PKIOperation"}' 2
is 'netpki_ca_request_duration_seconds_bucket{operation="PKIOperation",le="+Inf"}' 2
is netpki_ca_requests_pending 0
age=$(value netpki_ca_crl_age_seconds)
[ -n "$age" ] && [ "$age" -ge 0 ] && [ "$age" -lt 60 ] || fail "CRL age '$age'"
# Buckets are cumulative.
awk -F'[ ]' '/_bucket\{operation="PKIOperation"/ {if ($2 < prev) exit 1; prev = $2}' "$WORK/m.txt" ||
	fail "buckets not cumulative"
[ "$(code "http://127.0.0.1:$PORT/healthz")" = 200 ] || fail "healthz with the store up"
[ "$(code -X POST "http://127.0.0.1:$PORT/metrics")" = 405 ] || fail "POST /metrics"
ca_stop

# The pending gauge is read from the store: it follows approve.
ca_start --challenge pw --approve manual
expect 3 "$SCEPREQ" enroll "$URL" --key k3.pem --cn dev3 --challenge pw
scrape
is netpki_ca_requests_pending 1
is 'netpki_ca_requests_total{type="PKCSReq",outcome="pending"}' 1
ca approve 2 > /dev/null || fail "approve"
scrape
is netpki_ca_requests_pending 0
ca_stop

. "$HERE/pglib.sh"
if ! pglib_find; then
	echo ok
	exit 0
fi
trap 'pglib_stop; cleanup' EXIT
cd / || exit 1	# runuser postgres cannot enter $WORK
pglib_start || fail "postgres: $(tail -n 5 "$PGLOG")"
CA=$WORK/pgca
ca init --db "$PGURI" > /dev/null || fail "init --db"
ca_start --challenge pw
[ "$(code "http://127.0.0.1:$PORT/healthz")" = 200 ] || fail "healthz, PostgreSQL up"
pglib_down || fail "cannot stop PostgreSQL"
[ "$(code "http://127.0.0.1:$PORT/healthz")" = 503 ] || fail "healthz, PostgreSQL down"
scrape
is netpki_ca_requests_pending ""
grep -q 'GET /healthz 503 .*unavailable store:' "$LOG" || fail "503 not logged with its cause"
pglib_up || fail "cannot restart PostgreSQL"
for i in $(seq 1 50); do
	[ "$(code "http://127.0.0.1:$PORT/healthz")" = 200 ] && break
	[ "$i" = 50 ] && fail "healthz not back to 200 with PostgreSQL up"
	sleep 0.1
done
ca_stop
echo ok
