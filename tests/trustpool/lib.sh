# Helpers for the trust pool scripts: throwaway servers on 127.0.0.1 only,
# each on a free port, stopped by the EXIT trap.  Sourced (bash).
#   NETPKI  the netpki binary     DATA  tests/data/trustpool
#   WORK    a scratch directory (removed at exit)

PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$WORK"
}
WORK=$(mktemp -d /tmp/netpki-trustpool.XXXXXX)
chmod 755 "$WORK"
trap cleanup EXIT
NETPKI=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
DATA=$(cd "$(dirname "$0")/../data/trustpool" && pwd)
export NETPKI_NOW=${NETPKI_NOW:-1700000000}
export NETPKI_BUILTIN_BUNDLE=$DATA/builtin.pem
FAILS=0

fail() {
	echo "FAIL: $*"
	FAILS=$((FAILS + 1))
}

# A port nobody listens on now (the server may still lose a race; callers
# retry).
free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# start_httpd DIR: busybox httpd serving DIR; sets HTTP_PORT.
start_httpd() {
	local pid
	for _ in 1 2 3 4 5; do
		HTTP_PORT=$(free_port) || return 1
		busybox httpd -f -p "127.0.0.1:$HTTP_PORT" -h "$1" &
		pid=$!
		for _ in $(seq 1 50); do
			if curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/"; then
				PIDS="$PIDS $pid"
				return 0
			fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill "$pid" 2>/dev/null
	done
	echo "cannot start busybox httpd" >&2
	return 1
}

# start_tftpd DIR: tftpd-hpa in the foreground on 127.0.0.1; sets TFTP_PORT.
start_tftpd() {
	local pid
	for _ in 1 2 3 4 5; do
		TFTP_PORT=$(free_port) || return 1
		/usr/sbin/in.tftpd --foreground --address "127.0.0.1:$TFTP_PORT" \
		    --secure --user root "$1" &
		pid=$!
		sleep 0.3
		if kill -0 "$pid" 2>/dev/null; then
			PIDS="$PIDS $pid"
			return 0
		fi
	done
	echo "cannot start in.tftpd" >&2
	return 1
}

# check NAME: compare $WORK/NAME.got with tests/trustpool/NAME.out, the
# servers' ports replaced by PORT.
check() {
	local got=$WORK/$1.got want
	want=$(dirname "$0")/$1.out
	sed -i -e "s/127\.0\.0\.1:${HTTP_PORT:-none}/127.0.0.1:HTTP/g" \
	    -e "s/127\.0\.0\.1:${TFTP_PORT:-none}/127.0.0.1:TFTP/g" \
	    -E -e 's/(: error:[0-9A-F]{8}:).*/\1.../' \
	    -e 's/netpki-agent\[[0-9]+\]/netpki-agent[PID]/' \
	    -e "s|$WORK/|WORK/|g" "$got"
	if [ -n "${REGEN:-}" ]; then
		cp "$got" "$want"
		return 0
	fi
	if ! diff -u "$want" "$got"; then
		fail "$1: output differs from $want"
	fi
}
