#!/bin/bash
# netpki-ca under abuse (man netpki-ca, LIMITS): 300 slowloris connections
# from 127.0.0.2 while 127.0.0.1 enrolls; the reserve of the global cap
# against two such addresses; the whole-request deadline against a client
# that sends a byte a second; failed-challenge throttling (429 with
# Retry-After, the right challenge refused too, one log line per
# cool-down, accepted again after it); a log line with a 2000-character
# subject keeps its outcome; serve is not dumpable and has no core limit.
#   dos.sh NETPKI_CA SCEPREQ DOS_TRICKLE
. "$(dirname "$0")/lib.sh"
TRICKLE=$(realpath "$3")
cd "$WORK" || exit 1
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
field() { sed -n "s/.* $1=\([0-9-]*\).*/\1/p; s/^$1=\([0-9-]*\).*/\1/p" "$2" | head -n 1; }
# metric NAME: its value on /metrics.
metric() { curl -s "http://127.0.0.1:$PORT/metrics" | awk -v n="$1" '$1 == n {print $2}'; }
# wait_conns N: until the server holds at least N connections (bounded).
wait_conns() {
	local i
	for i in $(seq 1 100); do
		[ "$(metric netpki_ca_connections)" -ge "$1" ] 2>/dev/null && return 0
		sleep 0.05
	done
	fail "the server never held $1 connections"
}
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

ca_init
ca_start --challenge pw --request-timeout 3 --challenge-failures 3 \
	--challenge-cooldown 2

# 300 trickling connections from one address (for up to 30 s): it gets
# its 16, no more, and a client from another address enrolls meanwhile.
for k in k1 k2 k3; do
	openssl genrsa -out $k.pem 2048 2> /dev/null || fail "genrsa"
done
"$TRICKLE" 127.0.0.1 "$PORT" 127.0.0.2 300 1000 30000 > t300 &
tp=$!
wait_conns 16
t0=$(date +%s%N)
expect 0 "$SCEPREQ" enroll "$URL" --key k1.pem --cn dev1 --challenge pw --out c1.pem
took=$(ms_since "$t0")
[ "$took" -lt 5000 ] || fail "enrollment beside 300 slow connections took ${took} ms"
# The server's own count: 16 slow ones and this scrape, the rest refused.
for i in $(seq 1 100); do
	[ "$(metric 'netpki_ca_connections_refused_total{reason="per_address"}')" -ge 284 ] && break
	[ "$i" = 100 ] && fail "284 connections not refused"
	sleep 0.05
done
[ "$(metric netpki_ca_connections)" -le 17 ] || fail "over the per-address cap"
kill -TERM "$tp"
wait "$tp"

# The whole-request deadline: a byte a second does not keep a request
# alive past --request-timeout (3 s), although it is never idle for long.
"$TRICKLE" 127.0.0.1 "$PORT" 127.0.0.2 1 1000 10000 > t1
[ "$(field closed_slow t1)" = 1 ] || fail "deadline: $(cat t1)"
held=$(field held_max_ms t1)
[ "$held" -ge 2900 ] && [ "$held" -le 4500 ] || fail "closed after $held ms, not 3 s"
[ "$(metric netpki_ca_request_timeouts_total)" -ge 1 ] || fail "timeouts not counted"
# Each request on a kept-alive connection has its own deadline: twelve
# requests at 3 a second (4 s) on one connection all succeed.
args=()
for i in $(seq 1 12); do args+=(-o /dev/null "$URL?operation=GetCACaps"); done
r=$(curl -s -w '%{http_code}:%{num_connects} ' --rate 3/s "${args[@]}")
[ "$r" = "200:1 $(printf '200:0 %.0s' $(seq 1 11))" ] || fail "keep-alive cut by the deadline: $r"
ca_stop

# The reserve: two addresses at their cap (8 of 20) cannot take the last
# quarter; a third address gets up to a quarter of its cap (2) there, and
# 127.0.0.1 still gets in.
ca_start --challenge pw --max-conn 20 --max-conn-per-ip 8
"$TRICKLE" 127.0.0.1 "$PORT" 127.0.0.2 20 1000 2500 > ta &
ta=$!
wait_conns 8
"$TRICKLE" 127.0.0.1 "$PORT" 127.0.0.3 20 1000 2500 > tb &
tb=$!
wait_conns 15
"$TRICKLE" 127.0.0.1 "$PORT" 127.0.0.4 20 1000 2500 > tc &
tc=$!
wait_conns 17
expect 0 "$SCEPREQ" enroll "$URL" --key k2.pem --cn dev2 --challenge pw --out c2.pem
wait "$ta" "$tb" "$tc"
[ "$(field still_open ta)" = 8 ] || fail "127.0.0.2: $(cat ta)"
# 7 (the rest below the reserve), or 6 when a /metrics scrape's connection
# was still open as it connected: never more.
case $(field still_open tb) in
6|7) ;;
*) fail "127.0.0.3 took the reserve: $(cat tb)" ;;
esac
[ "$(field still_open tc)" = 2 ] || fail "127.0.0.4 (new address): $(cat tc)"
[ "$(metric 'netpki_ca_connections_refused_total{reason="reserve"}')" -ge 1 ] ||
	fail "reserve refusals not counted"
ca_stop

# Challenge guessing: 3 failures, then 429 with Retry-After for 2 s, the
# right challenge included; logged once; the right one passes afterwards.
ca_start --challenge pw --challenge-failures 3 --challenge-cooldown 2
"$SCEPREQ" gen "$URL" bad 5 --challenge wrong --cn bad > /dev/null || fail "gen"
"$SCEPREQ" gen "$URL" good 2 --challenge pw --cn good > /dev/null || fail "gen"
post() { curl -s -o /dev/null -D hdr -w '%{http_code}' --data-binary @"$1" "$URL?operation=PKIOperation"; }
set -- bad/*.der
for f in "$1" "$2" "$3"; do
	[ "$(post "$f")" = 200 ] || fail "a wrong challenge: HTTP $(post "$f")"
done
[ "$(grep -c 'bad_challenge' "$LOG")" = 3 ] || fail "failures not logged as bad_challenge"
grep -q 'bad_challenge.* cool-down begins' "$LOG" || fail "cool-down start not logged"
set -- good/*.der
[ "$(post "$1")" = 429 ] || fail "right challenge during the cool-down not refused"
grep -qi '^Retry-After: [12]' hdr || fail "no Retry-After: $(cat hdr)"
for f in bad/*.der; do
	[ "$(post "$f")" = 429 ] || fail "guess during the cool-down not refused"
done
[ "$(grep -c ' 429 ' "$LOG")" = 1 ] || fail "429 logged more than once per cool-down"
[ "$(metric netpki_ca_throttled_total)" = 6 ] || fail "throttled_total $(metric netpki_ca_throttled_total)"
# The cool-down (2 s on the server's clock) ends: bounded wait.
t0=$(date +%s%N)
until [ "$(post "$1")" = 200 ]; do
	[ "$(ms_since "$t0")" -lt 5000 ] || fail "still refused 5 s after a 2 s cool-down"
	sleep 0.2
done
grep -q "PKCSReq .* -> SUCCESS" "$LOG" || fail "not issued after the cool-down"

# A 2000-character subject: the line is bounded and keeps the outcome.
long=$(printf 'x%.0s' $(seq 1 2000))
expect 0 "$SCEPREQ" enroll "$URL" --key k3.pem --cn "$long" --challenge pw --out c3.pem
line=$(grep "$(printf 'x%.0s' $(seq 1 40))" "$LOG" | tail -n 1)
[ -n "$line" ] || fail "no log line for the long subject"
[ "${#line}" -lt 1400 ] || fail "log line of ${#line} characters"
contains "$line" " issued "
contains "$line" "-> SUCCESS"
contains "$line" "[...]"
# Control characters in client text are escaped, never raw.
code "http://127.0.0.1:$PORT/a%1b%5b31mX" > /dev/null
grep -q $'\e' "$LOG" && fail "raw escape character in the log"
grep -q 'a\\x1B\[31mX' "$LOG" || fail "escape character not shown as \\x1B"

# Not dumpable, no core files: a process that is not dumpable has its
# /proc files owned by root even when it runs as another user.
grep -q '^Max core file size *0 *0 ' "/proc/$SERVER_PID/limits" || fail "core files allowed"
ca_stop
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
	mkdir -m 755 "$WORK/nobody" && cp -a "$CA" "$WORK/nobody/ca" &&
		chown -R 65534:65534 "$WORK/nobody" && chmod 755 "$WORK"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$NETPKI_CA" \
		--dir "$WORK/nobody/ca" serve --listen 127.0.0.1:0 --challenge pw 2>> "$LOG" &
	SERVER_PID=$!
	for i in $(seq 1 100); do
		[ "$(grep -c serving "$LOG")" -gt 4 ] && break
		sleep 0.05
	done
	grep -q '^Uid:[[:space:]]*65534' "/proc/$SERVER_PID/status" || fail "serve is not running as nobody"
	[ "$(stat -c %u "/proc/$SERVER_PID/status")" = 0 ] || fail "serve is dumpable"
	ca_stop
fi
echo ok
