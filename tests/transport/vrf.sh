#!/bin/bash
# VRF binding (issue 8), for real: two network namespaces joined by a veth
# pair, made here and removed at exit.  The client end is "mgmt"; its
# address has no route in the main table, only in table 100, selected by
# `ip rule oif mgmt` - what a Linux VRF (l3mdev) does for its devices - so
# the CA (netpki-ca, and tftpd-hpa for TFTP enrollment, in the other
# namespace) is reachable only by a socket bound to mgmt.  SCEP
# authenticate/enroll, TFTP enrollment and the trust pool download work
# with `vrf mgmt` and fail without it, with another device, and with a
# device that does not exist (named in the message).  When the kernel has
# the `vrf` link type, the SCEP case runs again with mgmt enslaved to a
# real VRF device; otherwise the script says that it skipped it.
# Addresses exist only inside those namespaces.
#   vrf.sh NETPKI NETPKI_CA     (exit 77, skipped, without root/namespaces)
. "$(dirname "$0")/lib.sh"
DATA=$(cd "$(dirname "$0")/../data/trustpool" && pwd)
export NETPKI_BUILTIN_BUNDLE=$DATA/builtin.pem
A=netpki-tra-$$
B=netpki-trb-$$
if [ "$(id -u)" != 0 ] || ! ip netns add "$A" 2>/dev/null; then
	echo "SKIP: cannot create network namespaces (not root?)"
	exit 77
fi
EXTRA_CLEANUP='ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null'
ip netns add "$B" || exit 1
ip link add "tra$$" type veth peer name "trb$$" || exit 1
ip link set "tra$$" netns "$A"
ip link set "trb$$" netns "$B"
ip -n "$A" link set "tra$$" name mgmt
ip -n "$A" link set lo up
ip -n "$A" addr add 10.214.0.1/24 dev mgmt noprefixroute
ip -n "$A" link set mgmt up
ip -n "$A" route add 10.214.0.0/24 dev mgmt table 100
ip -n "$A" rule add oif mgmt lookup 100
# "other": a device that exists but leads nowhere.
ip -n "$A" link add other type veth peer name otherpeer || exit 1
ip -n "$B" addr add 10.214.0.2/24 dev "trb$$"
ip -n "$B" link set "trb$$" up
ip -n "$B" link set lo up
SRV=10.214.0.2

# The CA and a TFTP server, inside B.
NS_EXEC="ip netns exec $B" ca_start "$SRV"
ROOT=$WORK/tftproot
mkdir -p "$ROOT"
chmod 777 "$ROOT"
cp "$CA/ca.crt" "$ROOT/tca.ca"
ip netns exec "$B" /usr/sbin/in.tftpd --foreground --address "$SRV:6969" \
    --secure --create --user root "$ROOT" 2>> "$WORK/tftpd.log" &
PIDS="$PIDS $!"
( for _ in $(seq 1 600); do
	if [ -f "$ROOT/tca.req" ] && ! [ -f "$ROOT/tca.crt" ]; then
		ca sign-csr "$ROOT/tca.req" > "$ROOT/tca.tmp" 2>> "$WORK/sign.log" &&
		    mv "$ROOT/tca.tmp" "$ROOT/tca.crt"
	fi
	sleep 0.1
done ) &
PIDS="$PIDS $!"
for _ in $(seq 1 50); do
	ip netns exec "$A" curl -s -o /dev/null --interface mgmt \
	    "http://$SRV:$CA_PORT/bundle.pem" && break
	sleep 0.1
done
# Without binding there is no route: the premise of the test.
ip netns exec "$A" curl -s -o /dev/null --max-time 2 "http://$SRV:$CA_PORT/bundle.pem" &&
    fail "the CA is reachable without binding to mgmt"
H=http://$SRV:$CA_PORT/scep
NS_EXEC="ip netns exec $A"

# run NAME VRF: trustpoint NAME on the SCEP URL with `vrf VRF` ("" none),
# authenticate, enroll.
run() {
	if [ -n "$2" ]; then
		trustpoint "$1" "$H" "vrf $2"
	else
		trustpoint "$1" "$H"
	fi
	np > "$WORK/$1.got" 2>&1 <<IN
crypto ca authenticate $1
yes
crypto ca enroll $1
secret
secret
show crypto ca certificates $1
IN
}

run novrf ""
expect_grep "$WORK/novrf.got" "^% Trustpoint novrf: $H\\?operation=GetCACaps: Failed to connect to $SRV port $CA_PORT"
run othervrf other
expect_grep "$WORK/othervrf.got" "^% Trustpoint othervrf: $H\\?operation=GetCACaps: .*"
run missing nosuch0
expect_line "$WORK/missing.got" "% Trustpoint missing: VRF nosuch0 does not exist (no such network device)"
for n in novrf othervrf missing; do
	grep -q "^CA certificate" "$WORK/$n.got" && fail "$n: a CA was stored"
done
run mgmtvrf mgmt
expect_line "$WORK/mgmtvrf.got" "Do you accept this certificate?? [yes/no]:yes"
expect_line "$WORK/mgmtvrf.got" "% Certificate successfully received from Certificate Authority"
expect_line "$WORK/mgmtvrf.got" "Status :Available"

# TFTP: the reference's "tftp-address;vrf-name/ca-name" binds too.
trustpoint tnovrf "tftp://$SRV:6969/tca"
trustpoint tvrf "$SRV:6969;mgmt/tca"
np > "$WORK/tftp.got" 2>&1 <<IN
crypto ca authenticate tnovrf
crypto ca authenticate tvrf
yes
crypto ca enroll tvrf
secret
secret
IN
expect_line "$WORK/tftp.got" "% Trustpoint tnovrf: tftp://$SRV:6969/tca.ca: no answer from the TFTP server (timed out)"
expect_line "$WORK/tftp.got" "% Certificate request sent to tftp://$SRV:6969/tca.req"
expect_line "$WORK/tftp.got" "% Certificate successfully received from Certificate Authority"

# The trust pool policy's vrf binds the bundle download.
np > "$WORK/pool.got" 2>&1 <<IN
crypto ca trustpool import url http://$SRV:$CA_PORT/bundle.pem
configure
crypto ca trustpool policy
vrf mgmt
commit
end
crypto ca trustpool import url http://$SRV:$CA_PORT/bundle.pem
yes
IN
expect_line "$WORK/pool.got" "% The trust pool is unchanged."
expect_line "$WORK/pool.got" "Trustpool import: attempted: 1, installed: 1, skipped: 0, expired: 0"

# A real VRF device, where the kernel has the type.
if ip -n "$A" link add vrf-red type vrf table 200 2>/dev/null; then
	ip -n "$A" rule del oif mgmt lookup 100
	ip -n "$A" route flush table 100
	ip -n "$A" link set vrf-red up
	ip -n "$A" link set mgmt master vrf-red
	ip -n "$A" route add 10.214.0.0/24 dev mgmt table 200 2>/dev/null
	run realvrf vrf-red
	expect_line "$WORK/realvrf.got" "% Certificate successfully received from Certificate Authority"
	run realnovrf ""
	grep -q "^CA certificate" "$WORK/realnovrf.got" && fail "realnovrf: a CA was stored"
else
	echo "NOTE: this kernel lacks the vrf link type: the real VRF device case was not run"
fi

[ -n "${VERBOSE:-}" ] && cat "$WORK"/*.got
finish
