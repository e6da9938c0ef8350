#!/bin/bash
# Hostile text at every printer of untrusted text: certificate subjects and
# issuers (show crypto ca certificates, crypto ca verify), CRL distribution
# point URIs, the URL in a verify error, a CRL's issuer (crl request, show
# crypto ca crls), PEM block names in errors (chain file, trust pool
# bundle, CRL), and configuration-file warnings.  Each output must hold no
# control character (C0 but LF, DEL, C1 raw or as UTF-8, bidi controls)
# and be valid UTF-8, while "Zürich" and CJK stay readable.
. "$(dirname "$0")/../shell/lib.sh"
. "$(dirname "$0")/esc_ssrf_lib.sh"
NETPKI=$(cd "$(dirname "$NETPKI")" && pwd)/$(basename "$NETPKI")
cd "$WORK"
S=$WORK/state

# run NAME COMMAND...: netpki's stdout and stderr into NAME.out, checked.
run() {
	local name=$1
	shift
	"$NETPKI" --state "$S" "$@" > "$name.out" 2>&1
	check "$name: output is clean" clean "$name" "$name.out"
}

ESC=$'\e'
# ESC sequences (clear screen, home, fake status), CR, C1 CSI as UTF-8,
# a right-to-left override, and printable UTF-8 that must stay.
CN="Evil${ESC}[2J${ESC}[HStatus: Available"$'\r\xc2\x9b'"31m"$'\xe2\x80\xae'"gpj.exe"
ORG="Zürich 東京"
URI="http://127.0.0.1:1/${ESC}]0;pwned"$'\a\x9b'"x.crl"
pki_cnf ext.cnf
cat >> ext.cnf <<CNF
crlDistributionPoints = URI:$URI
[ leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
crlDistributionPoints = URI:$URI
CNF
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
openssl req -x509 -utf8 $ec -keyout ca.key -out ca.pem -days 30 \
    -subj "/CN=$CN/O=$ORG" -config ext.cnf -extensions ca 2>/dev/null
openssl req -new -utf8 $ec -keyout leaf.key -out leaf.csr \
    -subj "/CN=$CN leaf/O=$ORG" -config ext.cnf 2>/dev/null
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -days 10 \
    -set_serial 4096 -extfile ext.cnf -extensions leaf -out leaf.pem \
    2>/dev/null
check "hostile CA made" test "$(openssl x509 -in ca.pem -outform DER |
    LC_ALL=C grep -ac "$ESC")" -gt 0
check "hostile leaf made" test -s leaf.pem

# A CRL by the hostile CA (its issuer is the hostile name).
openssl ca -gencrl -config ext.cnf -name ca_db -cert ca.pem -keyfile ca.key \
    -out ca.crl 2>/dev/null
check "hostile CRL made" test -s ca.crl

# A minute after everything was made: inside every validity period.
export NETPKI_NOW=$(($(date +%s) + 60))
mkdir -p "$S/trustpoints/tp"
cp ca.pem "$S/trustpoints/tp/ca.pem"
"$NETPKI" --state "$S" -c configure -c 'crypto ca trustpoint tp' -c commit \
    >/dev/null 2>&1

run show-certs -c 'show crypto ca certificates'
check "show certificates: subject escaped" grep -qF 'cn=Evil\x1B[2J\x1B[HStatus: Available\x0D\u{009B}31m\u{202E}gpj.exe' show-certs.out
check "show certificates: UTF-8 kept" grep -qF "o=$ORG" show-certs.out
check "show certificates: CDP escaped" grep -qxF 'http://127.0.0.1:1/\x1B]0;pwned\x07\x9Bx.crl' show-certs.out

run verify -c 'crypto ca verify leaf.pem'
check "verify: chain subject escaped" grep -qF 'cn=Evil\x1B[2J\x1B[HStatus: Available\x0D\u{009B}31m\u{202E}gpj.exe leaf' verify.out
check "verify: UTF-8 kept" grep -qF "$ORG" verify.out
check "verify: the CRL URL in the error is escaped" grep -qF '\x1B]0;pwned' verify.out

run crl-request -c "crypto ca crl request file://$WORK/ca.crl"
check "crl request: issuer escaped, UTF-8 kept" grep -qF "CRL of o=$ORG,cn=Evil\\x1B[2J" crl-request.out
run show-crls -c 'show crypto ca crls'
check "show crls: issuer escaped, UTF-8 kept" grep -qxF "Issuer : o=$ORG,cn=Evil\\x1B[2J\\x1B[HStatus: Available\\x0D\\u{009B}31m\\u{202E}gpj.exe" show-crls.out

# PEM block names in errors.
printf -- '-----BEGIN %s-----\nAAAA\n-----END %s-----\n' \
    "${ESC}[2J${ESC}[HEVIL"$'\xc2\x85' "${ESC}[2J${ESC}[HEVIL"$'\xc2\x85' \
    > evil.pem
run pem-chain -c 'crypto ca verify evil.pem'
check "chain file: PEM name escaped" grep -qF 'is a \x1B[2J\x1B[HEVIL\u{0085}, not a certificate' pem-chain.out
run pem-bundle -c "crypto ca trustpool import url file://$WORK/evil.pem"
check "bundle: PEM name escaped" grep -qF 'is a \x1B[2J\x1B[HEVIL\u{0085}, not a CERTIFICATE' pem-bundle.out
run pem-crl -c "crypto ca crl request file://$WORK/evil.pem"
check "CRL: PEM name escaped" grep -qF 'PEM block is a \x1B[2J\x1B[HEVIL\u{0085}' pem-crl.out

# A configuration file line (the warning goes to stderr).
printf 'hostname %s\nbogus %s Zürich\n' "${ESC}[2J" "${ESC}[2J" >> "$S/config"
run config -c 'show running-config'
check "config warning: line escaped, UTF-8 kept" grep -qF 'ignored: bogus \x1B[2J Zürich' config.out

finish
