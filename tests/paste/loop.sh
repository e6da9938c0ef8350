#!/bin/bash
# Cut-and-paste enrollment, the whole loop with a real CA (openssl(1)):
# netpki generates keys, takes the pasted CA certificate and prints its
# requests; openssl checks each request (signature, subject,
# challengePassword, key usage, the MD5 fingerprint netpki printed) and
# signs it with `openssl x509 -req`; the certificates are pasted back (the
# usage-key pair in reverse order) and show lists them.  The console output
# is compared with loop-*.out after the parts that change every run (keys,
# serials, times, fingerprints) are replaced by <...> tokens.
#   loop.sh NETPKI
set -eu
NETPKI=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/netpki-paste.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
STATE=$WORK/state
unset NETPKI_NOW
cd "$WORK"

fail() { echo "FAIL: $*"; exit 1; }

# Replace what changes between runs; everything else must match exactly.
norm() {
	sed -E -e 's/^[A-Za-z0-9+\/]{1,64}={0,2}$/<b64>/' \
	    -e 's/^((Signing |Encryption )?(Certificate Request )?Fingerprint: ?).*/\1<fp>/' \
	    -e 's/^(SHA256 Fingerprint:).*/\1<fp>/' \
	    -e 's/^(Validity (Start|End) :).*/\1<time>/' \
	    -e 's/^(Serial Number :).*/\1<serial>/' "$1" | uniq
}

check() {
	norm "$1" > "$1.norm"
	diff -u "$HERE/$2" "$1.norm" || fail "$2: output differs"
}

# The CA.
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout ca.key -days 30 \
    -subj '/C=US/O=Example/CN=Loop CA' -out ca.pem 2>/dev/null

# 1: keys, trustpoints, authenticate by paste, enroll (requests printed).
{
	printf 'configure\nhostname r1\ndomain name example.com\n'
	printf 'crypto ca trustpoint gp\nenrollment terminal\nrsakeypair gk\nexit\n'
	printf 'crypto ca trustpoint uk\nenrollment terminal\nrsakeypair uk\n'
	printf 'subject-name CN=r1,O=Example\nexit\ncommit\nend\n'
	printf 'crypto key generate rsa gk\n2048\n'
	printf 'crypto key generate rsa usage-keys uk\n2048\n2048\n'
	for tp in gp uk; do
		printf 'crypto ca authenticate %s\n' $tp
		cat ca.pem
		printf '\nyes\n'
	done
	printf 'crypto ca enroll gp\nsecret1\nsecret1\n'
	printf 'crypto ca enroll uk\nsecret2\nsecret2\n'
	printf 'show crypto ca certificates\n'
} > step1.in
"$NETPKI" --state "$STATE" < step1.in > step1.out 2> step1.err ||
    fail "step 1 exit status $?: $(cat step1.err)"
check step1.out loop-1.out

# The requests, in the order printed: gp, uk signature, uk encryption.
awk '/^-----BEGIN CERTIFICATE REQUEST-----$/ { n++; f = "req" n ".pem" }
    f { print > f } /^-----END CERTIFICATE REQUEST-----$/ { f = "" }' step1.out
grep '^\(Signing \|Encryption \)\?\(Certificate Request \)\?Fingerprint: [0-9A-F]\{8\} ' \
    step1.out | sed 's/.*Fingerprint: //' > fps
[ "$(wc -l < fps)" = 3 ] || fail "expected 3 request fingerprints"
i=0
for n in 1 2 3; do
	i=$((i + 1))
	openssl req -in req$n.pem -noout -verify 2>&1 | grep -q 'verify OK' ||
	    fail "request $n does not verify"
	text=$(openssl req -in req$n.pem -noout -text)
	pw=$([ $n = 1 ] && echo secret1 || echo secret2)
	grep -q "challengePassword *:$pw" <<< "$text" ||
	    fail "request $n: no challengePassword"
	grep -q 'unstructuredName = r1.example.com' <<< "$text" ||
	    fail "request $n: subject lacks unstructuredName"
	want=$(openssl req -in req$n.pem -outform DER | openssl md5 -r |
	    cut -c1-32 | tr a-f A-F | sed -E 's/(.{8})/\1 /g; s/ $//')
	[ "$want" = "$(sed -n ${n}p fps)" ] ||
	    fail "request $n: printed fingerprint is not the MD5 of its DER"
done
grep -A1 'Key Usage' <<< "$(openssl req -in req2.pem -noout -text)" |
    grep -q 'Digital Signature' || fail "signature request: no key usage"
grep -A1 'Key Usage' <<< "$(openssl req -in req3.pem -noout -text)" |
    grep -q 'Key Encipherment' || fail "encryption request: no key usage"
grep -q 'O = Example, CN = r1, unstructuredName = r1.example.com' <<< "$(openssl req -in req2.pem -noout -subject)" ||
    fail "usage-key request: subject-name not used"

# The CA administrator signs them.
for n in 1 2 3; do
	openssl x509 -req -in req$n.pem -CA ca.pem -CAkey ca.key \
	    -set_serial $((100 + n)) -days 10 -copy_extensions copy \
	    -out cert$n.pem 2>/dev/null || fail "openssl x509 -req $n"
done

# 2: paste the certificates back; the usage pair in reverse order.
{
	printf 'crypto ca import gp certificate\n'; cat cert1.pem; echo
	printf 'crypto ca import uk certificate\n'; cat cert3.pem; echo
	printf 'crypto ca import uk certificate\n'; sed '/^-----/d' cert2.pem; echo
	printf 'show crypto ca certificates\n'
} > step2.in
"$NETPKI" --state "$STATE" < step2.in > step2.out 2> step2.err ||
    fail "step 2 exit status $?: $(cat step2.err)"
check step2.out loop-2.out

# What is on disk is what the CA issued, and it verifies.
cmp -s <(openssl x509 -in cert1.pem -outform DER) \
    <(openssl x509 -in "$STATE/trustpoints/gp/cert-general.pem" -outform DER) ||
    fail "stored general certificate differs"
cmp -s <(openssl x509 -in cert2.pem -outform DER) \
    <(openssl x509 -in "$STATE/trustpoints/uk/cert-sign.pem" -outform DER) ||
    fail "stored signature certificate differs"
cmp -s <(openssl x509 -in cert3.pem -outform DER) \
    <(openssl x509 -in "$STATE/trustpoints/uk/cert-encr.pem" -outform DER) ||
    fail "stored encryption certificate differs"
openssl verify -CAfile ca.pem "$STATE/trustpoints/gp/cert-general.pem" \
    "$STATE/trustpoints/uk/cert-sign.pem" "$STATE/trustpoints/uk/cert-encr.pem" \
    > /dev/null || fail "stored certificates do not verify"
for f in gp/cert-general.pem uk/cert-sign.pem uk/cert-encr.pem; do
	[ "$(stat -c %a "$STATE/trustpoints/$f")" = 644 ] || fail "$f mode"
done
# A CA that still signs with SHA-1: imported, with a warning.
openssl x509 -req -in req1.pem -CA ca.pem -CAkey ca.key -sha1 \
    -set_serial 200 -days 10 -copy_extensions copy \
    -out cert1s.pem 2>/dev/null || fail "openssl x509 -req -sha1"
{ printf 'crypto ca import gp certificate\n'; cat cert1s.pem; echo; } > step3.in
"$NETPKI" --state "$STATE" < step3.in > step3.out 2> step3.err ||
    fail "step 3 exit status $?: $(cat step3.err)"
grep -qx '% Warning: the certificate is signed with SHA-1, a weak algorithm' step3.out ||
    fail "no SHA-1 warning: $(cat step3.out)"
grep -qx '% Router Certificate successfully imported' step3.out ||
    fail "SHA-1 certificate not imported: $(cat step3.out)"
! grep -q 'Warning' step2.out || fail "a warning for SHA-256 certificates"
# No challenge password anywhere in the state directory.
! grep -rq 'secret[12]' "$STATE" || fail "challenge password on disk"
echo "ok: request printed, signed by openssl, imported, shown"
