#!/bin/bash
# netpki agent --metrics-file: the node_exporter textfile under the test
# clock: every watched certificate (router, its shadow, the CA chain, the
# next CA, the trust-pool CA above a chain) with the seconds to its
# notAfter, the renewal state's figures; exact text, then parsed by the
# Prometheus client library's own text parser (python3-prometheus-client)
# so that escaping and format are what a scraper reads.  Written
# atomically: no temporary file left, replaced on the next round.
#   metrics.sh NETPKI      (REGEN=1 rewrites metrics.out)
set -u
. "$(dirname "$0")/lib.sh"
M=$WORK/textfile/netpki.prom
NOW=1708000000		# 2024-02-15 12:26:40

mkdir -p "$WORK/textfile"
make_state
cp "$DATA/router-new.pem" "$T/tp1/shadow-general.pem"
cp "$DATA/sub-next.pem" "$T/tp1/ca-next.pem"
renewal_state 1707990000 1707990000 2 0

NETPKI_NOW=$NOW "$NETPKI" agent --state "$S" --once --metrics-file "$M" \
    2> "$WORK/log" || fail "agent: exit status $?"
want=$(dirname "$0")/metrics.out
if [ -n "${REGEN:-}" ]; then
	cp "$M" "$want"
elif ! diff -u "$want" "$M"; then
	fail "metrics file differs from $want"
fi
[ "$(stat -c %a "$M")" = 644 ] || fail "mode $(stat -c %a "$M"), not 644"
[ "$(ls -A "$WORK/textfile")" = netpki.prom ] ||
    fail "left in the directory: $(ls -A "$WORK/textfile")"

# What a scraper reads: the official parser, then the values.
/usr/bin/python3 - "$M" "$NOW" <<'PY' || fail "the Prometheus parser disagrees"
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
now = int(sys.argv[2])
fam = {f.name: f for f in text_string_to_metric_families(text)}
assert fam["netpki_cert_expiry_seconds"].type == "gauge"
assert fam["netpki_renewal_last_success_timestamp"].type == "gauge"
# the client strips the _total suffix of a counter's family name
assert fam["netpki_renewal_failures"].type == "counter"
got = {}
for s in fam["netpki_cert_expiry_seconds"].samples:
    got[(s.labels["trustpoint"], s.labels["kind"], s.labels["subject"])] = s.value
router = ("tp1", "router", 'CN=r1.example.com,O=a\\"b\\\\c\\x1B[31m')
assert got[router] == 1709251200 - now, got
assert got[("tp1", "router_shadow", router[2])] == 1740787200 - now
assert got[("tp1", "ca", "CN=Expiry Issuing CA,O=NetPKI Test")] == 1717200000 - now
assert got[("tp1", "ca_next", "CN=Expiry Issuing CA,O=NetPKI Test")] == 1798761600 - now
assert got[("tp2", "trustpool", "CN=Expiry Pool Root,O=NetPKI Test")] == 1725148800 - now
assert len(got) == 7, got
f = [s for s in fam["netpki_renewal_failures"].samples
     if s.name == "netpki_renewal_failures_total"]
assert len(f) == 1 and f[0].value == 2 and f[0].labels == {
    "trustpoint": "tp1", "kind": "general"}, f
PY

# The next round replaces it (the router certificate switched over).
mv "$T/tp1/shadow-general.pem" "$T/tp1/cert-general.pem"
NETPKI_NOW=$((NOW + 60)) "$NETPKI" agent --state "$S" --once \
    --metrics-file "$M" 2>> "$WORK/log" || fail "agent: exit status $?"
grep -q '^netpki_cert_expiry_seconds{trustpoint="tp1",kind="router",.*} '$((1740787200 - NOW - 60))'$' "$M" ||
    fail "not replaced: $(cat "$M")"
grep -q router_shadow "$M" && fail "the shadow is still listed"

# A directory that is not there: logged, the round goes on, status 0.
NETPKI_NOW=$NOW "$NETPKI" agent --state "$S" --once --stderr \
    --metrics-file "$WORK/none/netpki.prom" 2> "$WORK/log2" ||
    fail "agent with a bad metrics path: exit status $?"
grep -q "metrics file $WORK/none/netpki.prom: " "$WORK/log2" ||
    fail "no error for a bad metrics path: $(cat "$WORK/log2")"

[ $FAILS = 0 ] && echo "metrics: all passed"
exit $((FAILS > 0))
