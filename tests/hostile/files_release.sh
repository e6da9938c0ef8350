#!/bin/sh
# The release build ignores the test-only knobs.  $1 is the test build's
# netpki (make: -Dtest_hooks=true), $2 netpki-release, netpki linked with
# testhook.c compiled without NETPKI_TEST_HOOKS (what a plain meson setup
# installs): the knobs' names are in the first and not in the second, and
# NETPKI_NOW moves the first's clock and not the second's.
set -eu
NETPKI=$1
RELEASE=$2
src=$(cd "$(dirname "$0")/../.." && pwd)/src
work=$(mktemp -d /tmp/netpki-release.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Every NETPKI_ variable that is not configuration goes through testhook.c.
grep -rn 'getenv("NETPKI_' "$src" | grep -v 'NETPKI_STATE\|NETPKI_CA_DIR' \
    > "$work/getenv" && fail "a knob outside testhook.c: $(cat "$work/getenv")"

for knob in NETPKI_NOW NETPKI_MINUTE NETPKI_BUILTIN_BUNDLE NETPKI_TEST_CRASH; do
	grep -q "$knob" "$NETPKI" || fail "$NETPKI: no $knob (test hooks off?)"
	grep -q "$knob" "$RELEASE" && fail "$RELEASE has $knob compiled in"
done

# The clock: a key's creation time is clock_now().
created() {
	NETPKI_NOW=1000000000 "$1" --state "$work/$2" \
	    -c 'crypto key generate ecdsa nistp256 k' \
	    -c 'show crypto key mypubkey ecdsa' > "$work/$2.out" 2>&1 ||
	    { cat "$work/$2.out"; fail "$1: key generate"; }
	sed -n 's/^Created *: //p' "$work/$2.out"
}
test_time=$(created "$NETPKI" test)
release_time=$(created "$RELEASE" release)
echo "test build:    Created $test_time"
echo "release build: Created $release_time"
[ "$test_time" = "01:46:40 UTC Sun Sep 9 2001" ] ||
    fail "the test build did not take NETPKI_NOW: $test_time"
year=$(date -u +%Y)
case $release_time in
*" $year") ;;
*) fail "the release build did not use the real clock: $release_time" ;;
esac
echo "PASS"
