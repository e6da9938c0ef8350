#!/bin/bash
# The policy's `vrf NAME` reaches the download: two network namespaces
# made here and removed at exit, joined by a veth pair whose client end is
# named "mgmt"; busybox httpd serves the bundle on the server end.  With
# `vrf mgmt` the import works; with `vrf other` (a device with no route to
# the server) it fails and the pool is unchanged.
#   vrf.sh NETPKI      (exit 77, skipped, without network namespaces)
set -u
. "$(dirname "$0")/lib.sh"
A=netpki-tpa-$$
B=netpki-tpb-$$
if ! ip netns add "$A" 2>/dev/null; then
	echo "SKIP: cannot create network namespaces"
	exit 77
fi
netns_cleanup() {
	cleanup
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
}
trap netns_cleanup EXIT
ip netns add "$B" || exit 1
ip link add "tpa$$" type veth peer name "tpb$$" || exit 1
ip link set "tpa$$" netns "$A"
ip link set "tpb$$" netns "$B"
ip -n "$A" link set "tpa$$" name mgmt
ip -n "$A" addr add 10.213.0.1/24 dev mgmt
ip -n "$A" link set mgmt up
ip -n "$A" link set lo up
# "other": a device that exists but leads nowhere (down, so the failure
# is immediate rather than a connect timeout).
ip -n "$A" link add other type veth peer name otherpeer || exit 1
ip -n "$B" addr add 10.213.0.2/24 dev "tpb$$"
ip -n "$B" link set "tpb$$" up
ip -n "$B" link set lo up

SRV=$WORK/srv
mkdir -p "$SRV"
cp "$DATA/bundle.pem" "$SRV/"
chmod -R a+rX "$SRV"
ip netns exec "$B" busybox httpd -f -p 10.213.0.2:8080 -h "$SRV" &
PIDS="$PIDS $!"
for _ in $(seq 1 50); do
	ip netns exec "$A" curl -s -o /dev/null --interface mgmt \
	    http://10.213.0.2:8080/bundle.pem && break
	sleep 0.1
done

# run VRF [ANSWER]: the policy's vrf set to VRF, then an import, inside
# namespace A.
run() {
	ip netns exec "$A" "$NETPKI" --state "$WORK/s" -c configure \
	    -c 'crypto ca trustpool policy' -c "vrf $1" -c commit -c end \
	    > /dev/null || fail "configure vrf $1"
	printf '%s\n' \
	    "crypto ca trustpool import url http://10.213.0.2:8080/bundle.pem" \
	    ${2:+"$2"} "show crypto ca trustpool policy" |
	    ip netns exec "$A" "$NETPKI" --state "$WORK/s" > "$WORK/$1.got" 2>&1
}

run other
grep -q "^% http://10.213.0.2:8080/bundle.pem: " "$WORK/other.got" ||
    fail "vrf other: no transport error: $(cat "$WORK/other.got")"
grep -qxF "% The trust pool is unchanged." "$WORK/other.got" ||
    fail "vrf other: the import did not fail: $(cat "$WORK/other.got")"
grep -qxF "Certificates     : 3 built-in (0 inactive), 0 downloaded" \
    "$WORK/other.got" || fail "vrf other: the pool changed"
run mgmt yes
grep -qxF "Trustpool import: attempted: 3, installed: 2, skipped: 1, expired: 1" \
    "$WORK/mgmt.got" || fail "vrf mgmt: no import: $(cat "$WORK/mgmt.got")"
grep -qxF "VRF              : mgmt" "$WORK/mgmt.got" || fail "vrf mgmt: policy"

[ -n "${VERBOSE:-}" ] && cat "$WORK/other.got" "$WORK/mgmt.got"
[ $FAILS = 0 ] && echo "vrf: all passed"
exit $((FAILS > 0))
