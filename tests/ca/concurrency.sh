#!/bin/bash
# 8 clients enroll at once for a bounded time; the server is killed with
# SIGKILL while they run.  After a restart every certificate a client
# received is in the store, and all serials are distinct.
. "$(dirname "$0")/lib.sh"
ca_init
ca_start --challenge pw --threads 4
cd "$WORK" || exit 1
mkdir -p certs
# P-256 client keys: cheap to make, so the run measures the server.
worker() {
	local w=$1 n
	for n in $(seq 1 40); do
		"$SCEPREQ" enroll "$URL" --ec --key "k$w-$n.pem" --cn "w$w-$n" --challenge pw \
			--out "certs/$w-$n.pem" > /dev/null 2>&1 || return 0
	done
}
pids=()
for w in $(seq 1 8); do worker "$w" & pids+=($!); done
sleep 2
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
wait "${pids[@]}"
got=$(ls certs | wc -l)
[ "$got" -ge 8 ] || fail "only $got certificates before the kill"
ca_start --challenge pw
expect 0 ca list
echo "$OUT" | awk '!/^#/{print $1}' | sort > stored
[ -z "$(sort stored | uniq -d)" ] || fail "duplicate serials"
for c in certs/*.pem; do
	s=$(openssl x509 -in "$c" -noout -serial | cut -d= -f2)
	grep -qx "$s" stored || fail "$c (serial $s) was received but is not in the store"
done
# The server still works after the crash.
expect 0 "$SCEPREQ" enroll "$URL" --ec --key k.pem --cn after --challenge pw
echo "ok: $got certificates received, $(wc -l < stored) stored"
