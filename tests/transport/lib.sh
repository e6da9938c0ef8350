# shellcheck shell=bash
# Shared by the transport tests (issue 8): a scratch directory, a fresh
# netpki-ca, servers on 127.0.0.1 only (ports chosen by the kernel or
# probed free), all stopped and removed at exit.
#   . lib.sh NETPKI NETPKI_CA
set -u
NETPKI=$(realpath "$1")
NETPKI_CA=$(realpath "$2")
WORK=$(mktemp -d /tmp/netpki-transport.XXXXXX)
chmod 755 "$WORK"
CA=$WORK/ca
PIDS=""
FAILS=0
# Retry periods of a "minute" last this many ms in the tests.
export NETPKI_MINUTE=${NETPKI_MINUTE:-200}
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

cleanup() {
	local p
	for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	[ -n "${EXTRA_CLEANUP:-}" ] && eval "$EXTRA_CLEANUP"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*"
	FAILS=$((FAILS + 1))
}

# expect_line FILE LINE: LINE must be in FILE, whole.
expect_line() {
	grep -qxF -- "$2" "$1" || fail "$(basename "$1"): no line '$2'"
}
# expect_grep FILE ERE
expect_grep() {
	grep -qE -- "$2" "$1" || fail "$(basename "$1"): nothing matches '$2'"
}

# A port nobody listens on now (the server may still lose a race).
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

# wait_tcp PORT: until something accepts on 127.0.0.1:PORT (5 s).
wait_tcp() {
	for _ in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

ca() { "$NETPKI_CA" --dir "$CA" "$@"; }

# ca_start ADDR [serve options]: a fresh CA (auto approve), sets CA_PORT.
ca_start() {
	local addr=$1
	shift
	[ -f "$CA/ca.key" ] || ca init --subject "/O=NetPKI Test/CN=Transport Test CA" \
	    > "$WORK/ca-init.out" 2>&1 || { cat "$WORK/ca-init.out"; exit 1; }
	: > "$WORK/ca.log"
	${NS_EXEC:-} "$NETPKI_CA" --dir "$CA" serve --listen "$addr:0" \
	    --challenge secret "$@" 2>> "$WORK/ca.log" &
	PIDS="$PIDS $!"
	for _ in $(seq 1 100); do
		grep -q serving "$WORK/ca.log" && break
		sleep 0.05
	done
	CA_PORT=$(sed -n 's/.* on [0-9.]*:\([0-9]*\) .*/\1/p' "$WORK/ca.log" | tail -n 1)
	[ -n "$CA_PORT" ] || { echo "netpki-ca did not start:"; cat "$WORK/ca.log"; exit 1; }
}

# server_cert NAME CN IP: a TLS server key and certificate for IP, issued
# by the test CA (netpki-ca sign-csr), as $WORK/NAME.pem (key + cert).
server_cert() {
	openssl req -new -newkey rsa:2048 -nodes -keyout "$WORK/$1.key" \
	    -subj "/CN=$2" -addext "subjectAltName=IP:$3" \
	    -out "$WORK/$1.csr" 2> /dev/null || { echo "openssl req failed"; exit 1; }
	ca sign-csr "$WORK/$1.csr" > "$WORK/$1.crt" 2> "$WORK/$1.err" ||
	    { echo "sign-csr failed: $(cat "$WORK/$1.err")"; exit 1; }
	cat "$WORK/$1.key" "$WORK/$1.crt" > "$WORK/$1.pem"
}

# tls_front PORT_VAR BACKEND_PORT CERT_PEM: socat terminating TLS on
# 127.0.0.1 in front of the CA; sets the named variable to its port.
tls_front() {
	local p pid
	for _ in 1 2 3 4 5; do
		p=$(free_port) || exit 1
		socat "OPENSSL-LISTEN:$p,bind=127.0.0.1,reuseaddr,fork,cert=$3,verify=0" \
		    "TCP:127.0.0.1:$2" 2>> "$WORK/socat.log" &
		pid=$!
		if wait_tcp "$p"; then
			PIDS="$PIDS $pid"
			printf -v "$1" '%s' "$p"
			return 0
		fi
		kill "$pid" 2>/dev/null
	done
	echo "socat did not start"; cat "$WORK/socat.log"; exit 1
}

# start_proxy: tinyproxy on a free port, logging to $PLOG; sets
# PROXY_PORT, PROXY_PID (proxy.sh, est_proxy.sh).
PLOG=$WORK/tinyproxy.log
start_proxy() {
	for _ in 1 2 3 4 5; do
		PROXY_PORT=$(free_port) || exit 1
		cat > "$WORK/tinyproxy.conf" <<CONF
Port $PROXY_PORT
Listen 127.0.0.1
Timeout 30
LogFile "$PLOG"
LogLevel Connect
MaxClients 10
Allow 127.0.0.1
User nobody
Group nogroup
CONF
		: > "$PLOG"
		chmod 666 "$PLOG"
		tinyproxy -d -c "$WORK/tinyproxy.conf" > "$WORK/tinyproxy.out" 2>&1 &
		PROXY_PID=$!
		if wait_tcp "$PROXY_PORT"; then
			PIDS="$PIDS $PROXY_PID"
			return 0
		fi
		kill "$PROXY_PID" 2>/dev/null
	done
	echo "tinyproxy did not start"; cat "$WORK/tinyproxy.out"; exit 1
}
# np [netpki options]: the shell on state $WORK/s, script on stdin.
np() { ${NS_EXEC:-} "$NETPKI" --state "$WORK/s" "$@"; }

# trustpoint NAME URL [more statements...]: configure and commit.
trustpoint() {
	local name=$1 url=$2 s
	shift 2
	{
		echo configure
		echo "crypto ca trustpoint $name"
		echo "enrollment url $url"
		for s in "$@"; do echo "$s"; done
		echo commit
		echo end
	} | np > "$WORK/cfg-$name.got" 2>&1 || fail "configure $name: $(cat "$WORK/cfg-$name.got")"
}

finish() {
	if [ "$FAILS" != 0 ]; then
		echo "--- outputs:"
		for f in "$WORK"/*.got; do echo "== $f"; cat "$f"; done
		echo "--- ca log:"; tail -n 20 "$WORK/ca.log" 2>/dev/null
		exit 1
	fi
	echo "$(basename "$0" .sh): all passed"
	exit 0
}
