# Helpers for the shell tests: source it.  $1 of every test is the netpki
# binary.
set -u
NETPKI=$1
WORK=$(mktemp -d /tmp/netpki-shtest.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
FAILS=0
PASSES=0

check() {	# check DESCRIPTION COMMAND...: the command must succeed
	local what=$1
	shift
	if "$@"; then
		PASSES=$((PASSES + 1))
	else
		echo "FAIL: $what"
		FAILS=$((FAILS + 1))
	fi
}

finish() {
	echo "$PASSES passed, $FAILS failed"
	[ "$FAILS" = 0 ]
	exit $?
}
