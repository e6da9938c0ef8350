#!/bin/bash
# netpki agent: the trust pool timer driven by an injected clock
# (NETPKI_NOW, one round per run with --once), the "no cabundle url"
# warning and its interval, a failed update and the retry schedule, a
# successful automatic update over http; and the warning really reaching
# syslog (/dev/log), caught in a private mount namespace.
#   agent.sh NETPKI      (REGEN=1 rewrites the expected .out files)
set -u
. "$(dirname "$0")/lib.sh"

SRV=$WORK/srv
mkdir -p "$SRV"
cp "$DATA"/bundle.pem "$SRV"/
chmod 644 "$SRV"/*
start_httpd "$SRV" || exit 1
H=http://127.0.0.1:$HTTP_PORT
S=$WORK/state
OUT=$WORK/agent.got
E=1956528000		# 2032-01-01: rootB-old, the built-in's earliest expiry
DAY=86400

# round TIME: one agent round at TIME, then the policy as the shell sees it.
round() {
	echo "## agent at $(date -u -d "@$1" '+%F %T')" >> "$OUT"
	NETPKI_NOW=$1 "$NETPKI" agent --state "$S" --once --stderr \
	    >> "$OUT" 2>&1 || fail "agent at $1: exit status $?"
	NETPKI_NOW=$1 "$NETPKI" --state "$S" -c 'show crypto ca trustpool policy' \
	    >> "$OUT" 2>&1
}

setpolicy() {
	"$NETPKI" --state "$S" -c configure -c 'crypto ca trustpool policy' \
	    -c "$1" -c commit -c end > /dev/null || fail "configure $1"
}

# No cabundle url: a warning now, none an hour later, again after a day.
round 1700000000
round 1700003600
round 1700086400
# A URL that fails: nothing before 20 days ahead of the expiry, then a
# failure at E-20d, nothing in between, the next try at E-15d.
setpolicy "cabundle url $H/missing.pem"
round $((E - 21 * DAY))
round $((E - 20 * DAY))
round $((E - 16 * DAY))
# The URL fixed: the retry at E-15d succeeds and renews the pool; the
# timer moves to the new earliest expiry (rootA, 2033-01-01, minus 20 days).
setpolicy "cabundle url $H/bundle.pem"
round $((E - 15 * DAY))
# cabundle url none: no updates, no warnings.
setpolicy "cabundle url none"
round $((E - 14 * DAY))
check agent

# As a daemon: it sleeps until the next due time, SIGHUP wakes it for
# another round, SIGTERM ends it at once with status 0.
NETPKI_NOW=$((E - 14 * DAY)) "$NETPKI" agent --state "$S" --stderr \
    2> "$WORK/daemon.log" &
apid=$!
for _ in $(seq 1 100); do
	grep -q started "$WORK/daemon.log" && break
	sleep 0.05
done
sleep 0.2
kill -HUP "$apid"
sleep 0.2
kill -0 "$apid" 2>/dev/null || fail "agent died on SIGHUP"
t0=$(date +%s)
kill -TERM "$apid"
wait "$apid"
rc=$?
[ $rc = 0 ] || fail "agent exited $rc on SIGTERM"
[ $(($(date +%s) - t0)) -le 2 ] || fail "agent slow to stop"
grep -q 'netpki-agent\[[0-9]*\]: stopped$' "$WORK/daemon.log" ||
    fail "no 'stopped' in the daemon log: $(cat "$WORK/daemon.log")"

# syslog: the warning arrives on /dev/log (tests/lib/syslog.sh).
. "$(dirname "$0")/../lib/syslog.sh"
mkdir -p "$WORK/s2"
syslog_capture "$WORK" "$WORK/syslog" env NETPKI_NOW=1700000000 \
    "$NETPKI" agent --state "$WORK/s2" --once
case $? in
0)	;;
2)	echo "SKIP: no mount namespaces here, syslog not checked"
	[ $FAILS = 0 ] && exit 77
	exit 1 ;;
*)	fail "namespace run failed" ;;
esac
# Datagrams arrive back to back; <28> is daemon.warning.
if ! grep -q '<28>[A-Z][a-z][a-z] [ 0-9:]* netpki-agent\[[0-9]*\]: trust pool: no cabundle url configured' \
    "$WORK/syslog" 2>/dev/null; then
	fail "no syslog warning at daemon.warning; got: $(cat "$WORK/syslog" 2>/dev/null)"
fi

[ $FAILS = 0 ] && echo "agent: all passed"
exit $((FAILS > 0))
