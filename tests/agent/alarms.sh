#!/bin/bash
# netpki agent: certificate expiry alarms under the test clock (one round
# per run with --once, NETPKI_NOW moved): each level (60, 30, 14, 7, 3, 1
# days, expired) logged once, not at every round; "renewal needs an
# operator" from the renewal state; silenced by a shadow certificate and
# by a next CA; the memory reset by a new certificate; a trust-pool CA the
# chain depends on; the alarm's priority (daemon.err) on a real syslog
# socket.  Certificates: tests/data/expiry (fixed dates, gen.py).
#   alarms.sh NETPKI      (REGEN=1 rewrites alarms.out)
set -u
. "$(dirname "$0")/lib.sh"
OUT=$WORK/alarms.got
R=1709251200		# router.pem's notAfter, 2024-03-01
C=1717200000		# sub.pem's (the issuing CA), 2024-06-01
P=1725148800		# pool-root.pem's, 2024-09-01
R2=1740787200		# router-new.pem's, 2025-03-01

# round TIME: one agent round at TIME; its log lines.
round() {
	echo "## agent at $(date -u -d "@$1" '+%F %T')" >> "$OUT"
	NETPKI_NOW=$1 "$NETPKI" agent --state "$S" --once --stderr \
	    2>&1 | grep -v -e ': started, state' -e ': stopped$' \
	    | sed -E 's/netpki-agent\[[0-9]+\]/netpki-agent[PID]/' >> "$OUT"
	[ "${PIPESTATUS[0]}" = 0 ] || fail "agent at $1: exit status"
}

make_state
round $((R - 61 * DAY))		# nothing yet
round $((R - 60 * DAY))		# router: 60 days
round $((R - 59 * DAY))		# logged already
round $((R - 10 * DAY))		# router: the 14-day level (30 skipped)
round $((R - 10 * DAY + 3600))	# logged already
# The CA cannot renew unattended (renew.h's state file).
renewal_state $((R - 6 * DAY)) 0 3 1
round $((R - 5 * DAY))		# router: 7 days, needs an operator
# Renewed: the shadow certificate silences the 3-day level.
cp "$DATA/router-new.pem" "$T/tp1/shadow-general.pem"
round $((R - 2 * DAY))
# Switched over: the old certificate's memory is gone.
mv "$T/tp1/shadow-general.pem" "$T/tp1/cert-general.pem"
rm "$T/tp1/renewal-general"
round $((R + DAY))
{ echo "## alarms file"; cat "$S/alarms"; } >> "$OUT"
round $((C - 45 * DAY))		# the issuing CA: 60 days
round $((C - 30 * DAY))		# 30 days
# The CA's next certificate (tp_rollover.h) silences it.
cat "$DATA/sub-next.pem" > "$T/tp1/ca-next.pem"
round $((C - 14 * DAY))
# Gone again before the CA's expiry, so the agent does not switch to it
# (tp_rollover.h; a switch would drop tp1's certificates of the old CA).
rm "$T/tp1/ca-next.pem"
round $((P - 60 * DAY))		# the trust-pool root above tp2's chain
round $((P - DAY + 3600))	# less than a day: daemon.err
round $((P + 60))		# expired
round $((R2 - 60 * DAY))	# the renewed router certificate, afresh
{ echo "## alarms file"; cat "$S/alarms"; } >> "$OUT"

want=$(dirname "$0")/alarms.out
if [ -n "${REGEN:-}" ]; then
	cp "$OUT" "$want"
elif ! diff -u "$want" "$OUT"; then
	fail "output differs from $want"
fi

# The priority: daemon.err (<27>) within a day, daemon.warning (<28>)
# before, on /dev/log in a private mount namespace.
rm -f "$S/alarms"
syslog_capture "$WORK" "$WORK/syslog" sh -c '
	NETPKI_NOW=$2 "$1" agent --state "$4" --once &&
	NETPKI_NOW=$3 "$1" agent --state "$4" --once' sh "$NETPKI" \
    $((P - 60 * DAY)) $((P - DAY + 3600)) "$S"
case $? in
0)	grep -q '<27>.*netpki-agent\[[0-9]*\]: trustpoint tp2: trust pool CA certificate expires in less than a day' \
	    "$WORK/syslog" || fail "no daemon.err alarm: $(cat "$WORK/syslog")"
	grep -q '<28>.*netpki-agent\[[0-9]*\]: trustpoint tp2: trust pool CA certificate expires in 60 days' \
	    "$WORK/syslog" || fail "no daemon.warning alarm: $(cat "$WORK/syslog")" ;;
2)	echo "no mount namespaces here: syslog priorities not checked" ;;
*)	fail "namespace run failed" ;;
esac

[ $FAILS = 0 ] && echo "alarms: all passed"
exit $((FAILS > 0))
