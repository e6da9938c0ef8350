#!/bin/bash
# Interop and robustness tests for SCEP enrollment.
#   run.sh NETPKI SCEP_BADSERVER TRANSCRIPT_RUNNER [NAME...]
# Makes a private network namespace whose only interface is lo, starts in
# it micromdm's scepserver (Debian package "scep"; it binds every address,
# hence the namespace) on 127.0.0.1:8081 and scep_badserver on
# 127.0.0.1:8080, then runs every transcript tests/interop/micromdm/*.in
# and tests/interop/badserver/*.in (or only the NAMEs given) through the
# transcript runner with netpki inside the namespace.  NAME.check beside a
# transcript, when present, is sourced afterwards with $STATE (the state
# directory netpki left), $DEPOT (micromdm's CA) and $DATA.
# Exit 77 (skipped) without root, network namespaces or scepserver.
set -u
NETPKI=$(realpath "$1")
BAD=$(realpath "$2")
RUNNER=$(realpath "$3")
shift 3
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=$(cd "$HERE/../data" && pwd)

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root for a network namespace"
command -v ip >/dev/null || skip "iproute2 not installed"
command -v scepserver >/dev/null || skip "scepserver not installed (Debian package scep)"
command -v curl >/dev/null || skip "curl not installed"

NS=netpki-it-$$
WORK=$(mktemp -d /tmp/netpki-interop.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap "exit 130" INT TERM
ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace"
ip netns exec "$NS" ip link set lo up

# micromdm: a fresh CA every run (it is valid from now on).
DEPOT=$WORK/depot
scepserver ca -init -depot "$DEPOT" -keySize 2048 >/dev/null 2>&1 ||
	{ echo "scepserver ca -init failed"; exit 1; }
ip netns exec "$NS" scepserver -depot "$DEPOT" -port 8081 \
	-challenge secret >"$WORK/micromdm.log" 2>&1 </dev/null &
PIDS+=($!)
NETPKI_NOW=1700000000 ip netns exec "$NS" "$BAD" "$DATA/scep/bad" 8080 \
	>"$WORK/bad.log" 2>&1 </dev/null &
PIDS+=($!)
for i in $(seq 1 100); do
	ip netns exec "$NS" curl -sf -o /dev/null \
	    "http://127.0.0.1:8081/scep?operation=GetCACaps" &&
	ip netns exec "$NS" curl -sf -o /dev/null \
	    "http://127.0.0.1:8080/ok?operation=GetCACaps" && break
	sleep 0.1
done

# netpki inside the namespace; the state directory is kept for NAME.check.
cat > "$WORK/netpki" <<WRAP
#!/bin/sh
ip netns exec $NS "$NETPKI" "\$@"
rc=\$?
[ -n "\${KEEP:-}" ] && [ "\$1" = --state ] && cp -a "\$2" "\$KEEP"
exit \$rc
WRAP
chmod +x "$WORK/netpki"

fail=0
n=0
for suite in micromdm badserver; do
	for t in "$HERE/$suite"/*.in; do
		[ -e "$t" ] || continue
		name=$(basename "$t" .in)
		if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then
			continue
		fi
		n=$((n + 1))
		KEEP=$WORK/kept-$suite-$name
		if [ $suite = micromdm ]; then
			now=$(date +%s)
		else
			now=1700000000
		fi
		if [ -n "${GEN:-}" ]; then
			# Write NAME.out from this run (then review and
			# replace what changes between runs with {{*}}).
			STATE=$WORK/gen-$name
			[ -f "${t%.in}.setup" ] && . "${t%.in}.setup"
			NETPKI_NOW=$now NETPKI_MINUTE=${NETPKI_MINUTE:-200} \
			    "$WORK/netpki" --state "$STATE" \
			    < "$t" > "${t%.in}.out" 2>/dev/null
			echo "generated ${t%.in}.out (exit $?)"
			continue
		fi
		if ! KEEP=$KEEP NETPKI_NOW=$now NETPKI_MINUTE=${NETPKI_MINUTE:-200} \
		    "$RUNNER" "$WORK/netpki" "$t"; then
			echo "FAIL: $suite/$name"
			fail=1
			continue
		fi
		if [ -f "${t%.in}.check" ]; then
			# Not in an if: set -e is ignored in a condition.
			(STATE=$KEEP DEPOT=$DEPOT DATA=$DATA; set -e; \
			    . "${t%.in}.check")
			if [ $? != 0 ]; then
				echo "FAIL: $suite/$name (check)"
				fail=1
				continue
			fi
		fi
		echo "ok: $suite/$name"
	done
done
# Ctrl-C and password echo need a terminal: tmux.
if [ -z "${GEN:-}" ] && command -v tmux >/dev/null &&
    { [ $# = 0 ] || printf '%s\n' "$@" | grep -qx ctrlc; }; then
	. "$HERE/ctrlc.sh"
	n=$((n + 1))
	if ctrlc_test; then
		echo "ok: tty/ctrlc"
	else
		echo "FAIL: tty/ctrlc"
		fail=1
	fi
fi
[ $fail = 0 ] || { echo "--- micromdm log:"; tail -20 "$WORK/micromdm.log";
	echo "--- scep_badserver log:"; tail -20 "$WORK/bad.log"; }
echo "$n transcripts"
exit $fail
