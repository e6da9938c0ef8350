# Helpers for the agent scripts (tests/agent/): a scratch directory, the
# fixed expiry data (tests/data/expiry, its trust pool root as the
# built-in pool) and a state directory with two trustpoints:
#   tp1  enrolled: router.pem, issued by sub.pem under root.pem
#   tp2  authenticated only: pool-sub.pem, whose root is in the pool
# Neither has a URL, so an agent round does nothing but watch them.
# Sourced (bash) with the netpki binary as $1.
WORK=$(mktemp -d /tmp/netpki-agent.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
NETPKI=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
DATA=$(cd "$(dirname "$0")/../data/expiry" && pwd)
export NETPKI_BUILTIN_BUNDLE=$DATA/pool-root.pem
S=$WORK/state
T=$S/trustpoints
DAY=86400
FAILS=0
. "$(dirname "$0")/../lib/syslog.sh"

fail() {
	echo "FAIL: $*"
	FAILS=$((FAILS + 1))
}

make_state() {
	mkdir -p "$T/tp1" "$T/tp2"
	chmod -R 700 "$S"
	cat "$DATA/sub.pem" "$DATA/root.pem" > "$T/tp1/ca.pem"
	cp "$DATA/router.pem" "$T/tp1/cert-general.pem"
	cp "$DATA/pool-sub.pem" "$T/tp2/ca.pem"
	printf '%s\n' '!generation 1' 'crypto ca trustpoint tp1' \
	    ' enrollment terminal' '!' 'crypto ca trustpoint tp2' \
	    ' enrollment terminal' '!' 'crypto ca trustpool policy' \
	    ' cabundle url none' '!' > "$S/config"
}

# renewal_state SECONDS SUCCESS FAILURES NEEDS_OPERATOR: tp1's renewal
# state file as renew.h writes it.
renewal_state() {
	printf 'last-attempt %s\nlast-success %s\nlast-ok %d\nfailures-total %s\nfailures-run 0\nnext 0\nneeds-operator %s\nlast-error \n' \
	    "$1" "$2" $(($2 != 0)) "$3" "$4" > "$T/tp1/renewal-general"
}
