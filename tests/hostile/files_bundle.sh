#!/bin/sh
# Signed trust pool bundles through the shell (tests/data/trustpool, the
# test built-in pool rootA, rootB-old, rootD):
#  - a signed bundle whose signed content is PEM is DER and is installed;
#  - a valid signature by a code-signing certificate of rootB, a CA the
#    bundle itself brings, is refused: the signer chains to the pool as it
#    was before the import;
#  - a signer without extendedKeyUsage codeSigning is refused;
#  - comments around a PEM bundle's blocks are ignored with a note.
#   files_bundle.sh NETPKI
set -u
NETPKI=$1
D=$(cd "$(dirname "$0")/../data/trustpool" && pwd)
W=$(mktemp -d /tmp/netpki-hostile-bundle.XXXXXX)
trap 'rm -rf "$W"' EXIT
export NETPKI_NOW=1700000000 NETPKI_BUILTIN_BUNDLE=$D/builtin.pem
fail() { echo "FAIL: $*"; exit 1; }
import() {	# import STATE FILE: output in $W/out
	"$NETPKI" --state "$W/$1" -c "crypto ca trustpool import url file://$2" \
	    > "$W/out" 2>&1
}
downloaded() {
	"$NETPKI" --state "$W/$1" -c 'show crypto ca trustpool' |
	    grep -c '^Trustpool: Downloaded'
}

import a "$D/bundle-signed-pem.p7b" || { cat "$W/out"; fail "PEM content refused"; }
grep -q '^Bundle format: PKCS#7 signed by CN=NetPKI Bundle Signer,O=NetPKI Test$' "$W/out" ||
    { cat "$W/out"; fail "PEM content: not read as a signed PKCS#7"; }
[ "$(downloaded a)" = 2 ] || fail "PEM content: not 2 CA certificates installed"
echo "signed bundle of PEM content: installed"

for f in otherca:"does not chain to the trust pool" \
    noeku:"is not a code-signing certificate"; do
	name=${f%%:*} why=${f#*:}
	import "$name" "$D/bundle-$name.p7b" && fail "bundle-$name.p7b accepted"
	grep -q "^% .*$why" "$W/out" || { cat "$W/out"; fail "bundle-$name.p7b: no '$why'"; }
	grep -q '^% The trust pool is unchanged.$' "$W/out" || fail "bundle-$name.p7b: pool changed?"
	[ "$(downloaded "$name")" = 0 ] || fail "bundle-$name.p7b: something was installed"
	echo "bundle-$name.p7b: refused ($why)"
done

{ printf '# NetPKI test bundle\n\n'; cat "$D/bundle.pem"; printf '# end\n'; } > "$W/commented.pem"
import c "$W/commented.pem" || { cat "$W/out"; fail "commented PEM bundle refused"; }
grep -q '^% Note: 2 lines of text outside the PEM blocks ignored$' "$W/out" ||
    { cat "$W/out"; fail "commented PEM bundle: no note"; }
echo "commented PEM bundle: installed with a note"
echo PASS
