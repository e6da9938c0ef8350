#!/bin/bash
# Import over http (busybox httpd), tftp (tftpd-hpa) and file, from a
# static file; the confirmation for unsigned bundles over http and tftp;
# a signed bundle over http needs none; a refused bundle keeps the pool.
#   import.sh NETPKI      (REGEN=1 rewrites the expected .out files)
set -u
. "$(dirname "$0")/lib.sh"

SRV=$WORK/srv
mkdir -p "$SRV"
cp "$DATA"/bundle.pem "$DATA"/bundle.p7b "$DATA"/bundle-signed.p7b \
    "$DATA"/bundle-badblock.pem "$SRV"/
chmod 644 "$SRV"/*
chmod 755 "$SRV"
start_httpd "$SRV" || exit 1
start_tftpd "$SRV" || exit 1
H=http://127.0.0.1:$HTTP_PORT
T=tftp://127.0.0.1:$TFTP_PORT

# http: unsigned PKCS#7, refused at the prompt, then accepted.
cat > "$WORK/http.in" <<IN
crypto ca trustpool import url $H/bundle.p7b
no
show crypto ca trustpool policy
crypto ca trustpool import url $H/bundle.p7b
yes
show crypto ca trustpool policy
crypto ca trustpool import url $H/bundle-signed.p7b
show crypto ca trustpool policy
crypto ca trustpool import url $H/bundle-badblock.pem
crypto ca trustpool import url $H/missing.p7b
show crypto ca trustpool policy
crypto ca trustpool import url clean
IN
"$NETPKI" --state "$WORK/s1" < "$WORK/http.in" > "$WORK/http.got" 2>&1
[ $? = 1 ] || fail "http: exit status $?, expected 1 (two failed imports)"
check http

# tftp: unsigned PEM, accepted; then the same over file:// needs no prompt.
cat > "$WORK/tftp.in" <<IN
crypto ca trustpool import url $T/bundle.pem
yes
show crypto ca trustpool
crypto ca trustpool import url clean
IN
"$NETPKI" --state "$WORK/s2" < "$WORK/tftp.in" > "$WORK/tftp.got" 2>&1 ||
    fail "tftp: exit status $?"
check tftp

# file:// with an absolute path: no confirmation (a local file).
"$NETPKI" --state "$WORK/s3" \
    -c "crypto ca trustpool import url file://$SRV/bundle.pem" \
    > "$WORK/file.got" 2>&1 || fail "file: exit status $?"
sed -i "s|file://$SRV/|file://SRV/|g" "$WORK/file.got"
check file

# A long skip list is cut after 50 lines; the counts stay exact.
{ cat "$DATA/rootB.pem"; for _ in $(seq 1 60); do cat "$DATA/leaf.pem"; done; } \
    > "$SRV/many.pem"
"$NETPKI" --state "$WORK/s4" \
    -c "crypto ca trustpool import url file://$SRV/many.pem" \
    > "$WORK/many.got" 2>&1 || fail "many: exit status $?"
[ "$(grep -c '^Skipped certificate' "$WORK/many.got")" = 50 ] ||
    fail "many: not 50 skip lines"
grep -qxF "Skipped certificate 2: CN=leaf.example.net,O=NetPKI Test: not a CA certificate (basicConstraints CA:FALSE)" \
    "$WORK/many.got" || fail "many: leaf not skipped as a non-CA"
grep -qxF "Skipped certificate 3: CN=leaf.example.net,O=NetPKI Test: duplicate of an earlier certificate" \
    "$WORK/many.got" || fail "many: duplicate not skipped"
grep -qxF "... and 10 more skipped certificates" "$WORK/many.got" ||
    fail "many: no summary line"
grep -qxF "Trustpool import: attempted: 61, installed: 1, skipped: 60, expired: 0" \
    "$WORK/many.got" || fail "many: wrong counts"

# The downloaded set on disk: PEM with its provenance header, mode 0644.
f=$WORK/s3/trustpool/downloaded.pem
[ "$(stat -c %a "$f")" = 644 ] || fail "downloaded.pem mode $(stat -c %a "$f")"
[ "$(grep -c 'BEGIN CERTIFICATE' "$f")" = 2 ] || fail "downloaded.pem count"
grep -q "^# source: file://$SRV/bundle.pem$" "$f" || fail "no source line"

[ $FAILS = 0 ] && echo "import: all passed"
exit $((FAILS > 0))
