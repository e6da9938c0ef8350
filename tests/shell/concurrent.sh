#!/bin/bash
# Two shells on one state directory: a commit made while another session
# committed since this one began is merged when the two change different
# statements, refused (naming the statement) when both changed the same.
. "$(dirname "$0")/lib.sh"
S=$WORK/s
"$NETPKI" --state "$S" -c configure -c 'hostname base' -c commit >/dev/null

# Session A starts, session B commits, then A commits.
session_a() {	# session_a STATEMENT OUTFILE: runs a slow session
	mkfifo "$WORK/fifo"
	"$NETPKI" --state "$S" < "$WORK/fifo" > "$2" &
	local pid=$!
	exec 3> "$WORK/fifo"
	printf 'configure\n%s\n' "$1" >&3
	sleep 0.3
	"$NETPKI" --state "$S" -c configure -c "$B_STMT" -c commit >/dev/null
	printf 'commit\nend\n' >&3
	exec 3>&-
	wait $pid
	rm -f "$WORK/fifo"
}

B_STMT='domain name other.org'
session_a 'hostname a1' "$WORK/a.out"
out=$("$NETPKI" --state "$S" -c 'show running-config')
check "different statements merge: A's hostname" grep -qx 'hostname a1' <<<"$out"
check "different statements merge: B's domain" grep -qx 'domain name other.org' <<<"$out"

B_STMT='hostname b2'
session_a 'hostname a2' "$WORK/a2.out"
check "same statement: A's commit refused" grep -q '% Failed to commit: another session committed a change to "hostname"' "$WORK/a2.out"
out=$("$NETPKI" --state "$S" -c 'show running-config')
check "same statement: B's value stays" grep -qx 'hostname b2' <<<"$out"

# Many writers at once: the file is always whole and loads.
for i in 1 2 3 4 5 6; do
	"$NETPKI" --state "$S" -c configure -c "hostname w$i" -c commit >/dev/null 2>&1 &
done
wait
out=$("$NETPKI" --state "$S" -c 'show running-config' 2>"$WORK/err")
check "after parallel commits the config loads cleanly" [ ! -s "$WORK/err" ]
check "after parallel commits one writer won" grep -qx 'hostname w[1-6]' <<<"$out"
finish
