#!/bin/bash
# Key files through the shell, checked with openssl(1):
#  1. the Data that `show crypto key mypubkey` prints is exactly what
#     `openssl pkey -pubout` derives from the stored private key;
#  2. key files are 0600 and show running-config holds no key material;
#  3. after `crypto key zeroize`, no file in the state directory holds the
#     old modulus (raw, hex, or the PEM's base64), and a second link to the
#     key file made beforehand reads back as zeros (bytes overwritten).
#   files.sh NETPKI
set -u
NETPKI=$1
WORK=$(mktemp -d /tmp/netpki-keyfiles.XXXXXX)
STATE=$WORK/state
trap 'rm -rf "$WORK"' EXIT
export NETPKI_NOW=1700000000
fail() { echo "FAIL: $*"; exit 1; }

printf 'crypto key generate rsa r1\n1024\ncrypto key generate rsa usage-keys u1\n512\n512\ncrypto key generate ecdsa nistp384 e1\n' |
    "$NETPKI" --state "$STATE" > "$WORK/gen" 2>&1 || { cat "$WORK/gen"; fail "generate"; }

# show's hex, one key per label/type, as continuous lowercase hex
show_hex() {	# show_hex rsa|ecdsa LABEL TYPE-SUBSTRING
	printf 'show crypto key mypubkey %s\n' "$1" | "$NETPKI" --state "$STATE" 2>/dev/null |
	    awk -v l="Key label: $2" -v t="$3" '
		$0 == l { inkey = 1; next }
		inkey && /^Type/ { ok = index($0, t) > 0; next }
		inkey && ok && /^Data/ { data = 1; next }
		data && /^ [0-9A-F]/ { gsub(/ /, ""); printf "%s", tolower($0); next }
		data { exit }'
}
pub_hex() {	# openssl's SPKI of a stored key
	openssl pkey -in "$STATE/$1" -pubout -outform DER | od -An -v -tx1 | tr -d ' \n'
}
for k in "rsa r1 keys/rsa/r1.pem General" "rsa u1 keys/rsa-sign/u1.pem signature" \
    "rsa u1 keys/rsa-encr/u1.pem encryption" "ecdsa e1 keys/ec/e1.pem Nistp384"; do
	set -- $k
	a=$(show_hex "$1" "$2" "$4")
	b=$(pub_hex "$3")
	[ -n "$a" ] && [ "$a" = "$b" ] || fail "$3: show data $a != openssl pkey -pubout $b"
	[ "$(stat -c %a "$STATE/$3")" = 600 ] || fail "$3: mode is not 0600"
done
printf 'show running-config\n' | "$NETPKI" --state "$STATE" > "$WORK/run" 2>&1
grep -q -- '-----BEGIN\|PRIVATE\|[0-9A-F]\{8\} [0-9A-F]\{8\}' "$WORK/run" && fail "key material in running-config"

# The modulus of r1 in three spellings.
n=$(openssl pkey -in "$STATE/keys/rsa/r1.pem" -noout -text 2>/dev/null |
    awk '/^modulus:/ { m = 1; next } /^publicExponent/ { m = 0 } m' | tr -d ' \n:')
n=${n#00}
[ ${#n} = 256 ] || fail "could not read the modulus ($n)"
mid=${n:64:64}	# 32 bytes from the middle of the modulus
b64=$(sed -n 4p "$STATE/keys/rsa/r1.pem")	# second base64 line: inside the modulus
[ ${#b64} = 64 ] || fail "unexpected PEM layout"
holds() {	# any file under the state directory holding the modulus
	grep -rqiF -- "$mid" "$STATE" && return 0		# as hex text
	grep -rqF -- "$b64" "$STATE" && return 0		# as PEM
	find "$STATE" -type f -exec od -An -v -tx1 {} + | tr -d ' \n' |
	    grep -qF -- "$mid" && return 0			# as raw bytes
	return 1
}
holds || fail "the test cannot see the modulus before zeroize"
ln "$STATE/keys/rsa/r1.pem" "$WORK/r1.link"
printf 'crypto key zeroize rsa r1\nyes\n' | "$NETPKI" --state "$STATE" > "$WORK/z" 2>&1 || { cat "$WORK/z"; fail "zeroize"; }
holds && fail "modulus bytes left in the state directory after zeroize"
[ -s "$WORK/r1.link" ] || fail "link is empty"
[ -z "$(tr -d '\0' < "$WORK/r1.link")" ] || fail "key file bytes were not overwritten before unlink"
[ -f "$STATE/keys/rsa-sign/u1.pem" ] || fail "zeroize r1 removed another key"
echo ok
