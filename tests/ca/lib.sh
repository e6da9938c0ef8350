# shellcheck shell=bash
# Shared by the netpki-ca tests: a fresh CA in a temp dir, the server on
# 127.0.0.1 (port chosen by the kernel), and helpers that fail loudly.
#   source lib.sh NETPKI_CA SCEPREQ [NETPKI]
set -u
NETPKI_CA=$(realpath "$1")
SCEPREQ=$(realpath "$2")
# The tests of netpki's client against netpki-ca take it third.
NETPKI=${3:+$(realpath "$3")}
T0=$(date +%s)
WORK=$(mktemp -d /tmp/netpki-ca-test.XXXXXX)
CA=$WORK/ca
LOG=$WORK/server.log
SERVER_PID=
: > "$LOG"

cleanup() {
	if [ -n "$SERVER_PID" ]; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	echo "--- server log:"
	tail -n 40 "$LOG"
	exit 1
}

ca() { "$NETPKI_CA" --dir "$CA" "$@"; }
# np: the netpki shell on WORK/s (the tests of the client take NETPKI).
np() { "$NETPKI" --state "$WORK/s" "$@"; }
# iso T: the UTC time netpki-ca's --at takes, T in seconds.
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
DAY=86400

ca_init() { ca init "$@" > "$WORK/init.out" 2>&1 || fail "init: $(cat "$WORK/init.out")"; }

# ca_serve DIR LOG [serve options]: start serve on a port the kernel picks,
# logging to LOG; sets SERVE_PID and SERVE_PORT.  A restarted server
# appends to its log: wait for one more "serving" line (bounded: 10 s).
ca_serve() {
	local dir=$1 log=$2 n
	shift 2
	touch "$log"
	n=$(grep -c 'serving' "$log")
	"$NETPKI_CA" --dir "$dir" serve --listen 127.0.0.1:0 "$@" 2>>"$log" &
	SERVE_PID=$!
	for _ in $(seq 1 200); do
		[ "$(grep -c 'serving' "$log")" -gt "$n" ] && break
		kill -0 "$SERVE_PID" 2>/dev/null || fail "server did not start ($log)"
		sleep 0.05
	done
	SERVE_PORT=$(grep 'serving' "$log" | tail -n 1 | sed -n 's/.* on 127\.0\.0\.1:\([0-9]*\) .*/\1/p')
	[ -n "$SERVE_PORT" ] || fail "no port in the server log ($log)"
}

# ca_start [serve options]: sets PORT, URL, SERVER_PID.
ca_start() {
	ca_serve "$CA" "$LOG" "$@"
	SERVER_PID=$SERVE_PID
	PORT=$SERVE_PORT
	URL=http://127.0.0.1:$PORT/scep
}

ca_stop() {
	kill -TERM "$SERVER_PID" || fail "server gone before SIGTERM"
	wait "$SERVER_PID"
	local rc=$?
	SERVER_PID=
	[ $rc = 0 ] || fail "server exited $rc on SIGTERM"
}

# expect WANT_RC CMD...: run, keep its output in $OUT, check the exit status.
expect() {
	local want=$1 rc
	shift
	OUT=$("$@" 2>&1)
	rc=$?
	[ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want: $OUT"
}

contains() {
	case "$1" in
	*"$2"*) ;;
	*) fail "expected '$2' in: $1";;
	esac
}

# stored_all LIST: LIST (the serials a `list` printed, sorted) has no
# serial twice and holds every certificate a client received in certs/.
stored_all() {
	local c s
	[ -z "$(uniq -d "$1")" ] || fail "duplicate serials"
	for c in certs/*.pem; do
		s=$(openssl x509 -in "$c" -noout -serial | cut -d= -f2)
		grep -qx "$s" "$1" || fail "$c (serial $s) was received but is not stored"
	done
}
