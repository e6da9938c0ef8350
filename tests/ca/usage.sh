#!/bin/bash
# netpki-ca's command line: --help on stdout with status 0 (for every
# command too), usage errors on stderr with status 2, and the old ways
# of writing options (after the command, --dir=, NETPKI_CA_DIR) intact.
. "$(dirname "$0")/lib.sh"
cd "$WORK" || exit 1

# run WANT_RC CMD...: stdout in out, stderr in err, the status checked.
run() {
	local want=$1 rc
	shift
	"$@" > out 2> err
	rc=$?
	[ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want: $(cat out err)"
}
has() { grep -qF -- "$2" "$1" || fail "expected '$2' in $1: $(cat "$1")"; }
empty() { [ ! -s "$1" ] || fail "$1 is not empty: $(cat "$1")"; }

run 0 "$NETPKI_CA" --help
empty err
for w in 'rsa:2048|rsa:3072|rsa:4096|ec:p256' 'serve --listen' 'requests' \
    'approve ID' 'reject ID' '  list' 'revoke SERIAL' '  crl' 'sign-csr FILE' \
    '  policy' 'challenge new' 'challenge list' 'challenge revoke ID'; do
	has out "$w"
done
run 0 "$NETPKI_CA" -h
has out 'rsa:4096'
run 0 "$NETPKI_CA" init --help
empty err
has out 'init [--subject DN] [--key rsa:2048|rsa:3072|rsa:4096|ec:p256]'
grep -q 'serve --listen' out && fail "init --help shows serve"
run 0 "$NETPKI_CA" --dir "$CA" challenge --help
has out 'challenge revoke ID'

run 2 "$NETPKI_CA" --bogus list
empty out
has err 'netpki-ca: unknown option --bogus'
has err 'usage: netpki-ca'
run 2 "$NETPKI_CA" --dir "$CA" list --bogus
has err 'unknown option --bogus'
run 2 "$NETPKI_CA" --dir
has err 'netpki-ca: --dir needs a value'
run 2 "$NETPKI_CA" --dir "$CA" init --days 0
has err '--days: a number from 1 to 36500 is expected'
run 2 "$NETPKI_CA" --dir "$CA" frob
has err 'netpki-ca: frob: no such command'
run 2 "$NETPKI_CA" --dir "$CA"
has err 'usage: netpki-ca'
run 2 "$NETPKI_CA" --dir "$CA" approve
has err '  approve ID'
run 2 "$NETPKI_CA" --dir "$CA" list extra
has err '  list'
run 2 "$NETPKI_CA" --dir "$CA" approve x1
has err 'x1: a request ID (a number) is expected'
run 2 "$NETPKI_CA" --dir "$CA" revoke 01 --reason sometimes
has err '--reason sometimes: use unspecified'
run 2 env -u NETPKI_CA_DIR "$NETPKI_CA" list
has err '--dir DIR is required'
[ -e "$CA" ] && fail "a usage error made $CA"

# Options before or after the command, --dir=DIR, NETPKI_CA_DIR.
run 0 "$NETPKI_CA" init --key rsa:2048 --dir="$CA" --subject CN=usage
has out "CA created in $CA"
run 0 "$NETPKI_CA" list --json --dir "$CA"
has out '[]'
NETPKI_CA_DIR=$CA run 0 "$NETPKI_CA" requests
has out '# ID'
run 0 "$NETPKI_CA" --dir "$CA" policy
has out "# $CA/policy.conf"
# Listing reads no private key; signing a CRL does.
mv "$CA/ca.key" ca.key.away
for c in list requests 'challenge list'; do
	# shellcheck disable=SC2086
	run 0 "$NETPKI_CA" --dir "$CA" $c
done
run 1 "$NETPKI_CA" --dir "$CA" crl
has err 'ca.key'
mv ca.key.away "$CA/ca.key"
run 0 "$NETPKI_CA" --dir "$CA" crl
echo "PASS"
