#!/bin/bash
# Import from a real netpki-ca: its /bundle.p7b (degenerate PKCS#7) and
# /bundle.pem (its CA certificate plus the files in DIR/bundle/), served on
# 127.0.0.1 with a kernel-chosen port; real time (no NETPKI_NOW), since the
# CA's certificate is made now.
#   ca.sh NETPKI NETPKI_CA     (exit 77, skipped, while netpki-ca cannot serve)
set -u
. "$(dirname "$0")/lib.sh"
unset NETPKI_NOW
NETPKI_CA=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
if ! "$NETPKI_CA" --help 2>&1 | grep -q 'serve --listen'; then
	echo "SKIP: this netpki-ca has no serve command yet"
	exit 77
fi
CA=$WORK/ca
LOG=$WORK/ca.log
"$NETPKI_CA" --dir "$CA" init --subject "/O=NetPKI Test/CN=Bundle Test CA" \
    --key ec:p256 > "$WORK/init.out" 2>&1 || { cat "$WORK/init.out"; exit 1; }
# A second CA in the served bundle, and a non-CA that the import skips.
cp "$DATA/rootB.pem" "$DATA/leaf.pem" "$CA/bundle/"
"$NETPKI_CA" --dir "$CA" serve --listen 127.0.0.1:0 2> "$LOG" &
PIDS="$PIDS $!"
for _ in $(seq 1 100); do
	grep -q serving "$LOG" && break
	sleep 0.05
done
PORT=$(sed -n 's/.* on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$LOG" | tail -n 1)
[ -n "$PORT" ] || { echo "netpki-ca did not start:"; cat "$LOG"; exit 1; }
H=http://127.0.0.1:$PORT
fp=$(openssl x509 -in "$CA/ca.crt" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')

# expect_line FILE LINE: LINE must be in FILE, whole.
expect_line() {
	grep -qxF -- "$2" "$1" || fail "$(basename "$1"): no line '$2'"
}

"$NETPKI" --state "$WORK/s" > "$WORK/p7.got" 2>&1 <<IN
crypto ca trustpool import url $H/bundle.p7b
yes
show crypto ca trustpool
IN
[ $? = 0 ] || fail "p7b import: exit status $?"
expect_line "$WORK/p7.got" "Bundle format: PKCS#7"
# The CA serves DIR/bundle/ in directory order: the position varies.
grep -qxE 'Skipped certificate [23]: CN=leaf\.example\.net,O=NetPKI Test: not a CA certificate \(basicConstraints CA:FALSE\)' \
    "$WORK/p7.got" || fail "p7.got: the leaf is not skipped"
expect_line "$WORK/p7.got" "Trustpool import: attempted: 3, installed: 2, skipped: 1, expired: 0"
expect_line "$WORK/p7.got" "CN=Bundle Test CA,O=NetPKI Test"
expect_line "$WORK/p7.got" "$fp"
[ "$(grep -c '^Trustpool: Downloaded$' "$WORK/p7.got")" = 2 ] ||
    fail "p7b: not 2 downloaded certificates in show"

"$NETPKI" --state "$WORK/s" > "$WORK/pem.got" 2>&1 <<IN
crypto ca trustpool import url $H/bundle.pem
yes
show crypto ca trustpool policy
IN
[ $? = 0 ] || fail "pem import: exit status $?"
expect_line "$WORK/pem.got" "Bundle format: PEM"
expect_line "$WORK/pem.got" "Trustpool import: attempted: 3, installed: 2, skipped: 1, expired: 0"
expect_line "$WORK/pem.got" "Downloaded from  : $H/bundle.pem"

if [ $FAILS != 0 ]; then
	cat "$WORK"/*.got "$LOG"
	exit 1
fi
echo "ca: all passed"
