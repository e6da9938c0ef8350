#!/bin/bash
# netpki's EST client against netpki-ca's EST server (RFC 7030): bootstrap
# (explicit) and implicit trust anchors, HTTP basic with the channel
# binding (tls-unique, TLS 1.2), a wrong password, re-enroll with the
# router certificate (simplereenroll), a first enrollment with another
# trustpoint's certificate (TLS 1.3, tls-exporter for csrattrs'
# challengePassword), ECDSA P-384 and RSA keys, and a request pending until the
# operator approves it, polled with the same bytes.
#   netpki_est.sh NETPKI_CA SCEPREQ NETPKI
. "$(dirname "$0")/lib.sh"
cd "$WORK" || exit 1
ca_init
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout tls.key -subj /CN=127.0.0.1 -out tls.csr 2>/dev/null || fail "tls csr"
ca sign-csr tls.csr > tls.crt || fail "sign-csr tls"

est_start() {
	ca_start --est-listen 127.0.0.1:0 --tls-cert tls.crt --tls-key tls.key "$@"
	EPORT=$(grep 'EST on' "$LOG" | tail -n 1 | sed -n 's/.*EST on 127\.0\.0\.1:\([0-9]*\) .*/\1/p')
	[ -n "$EPORT" ] || fail "no EST port in the log"
}
ncerts() { ca list | grep -vc '^#'; }
# tp NAME LINE...: configure trustpoint NAME at the EST server.
tp() {
	local name=$1
	shift
	{ printf 'configure\ncrypto ca trustpoint %s\nenrollment url https://127.0.0.1:%s\nmethod-est\n' \
		"$name" "$EPORT"; printf '%s\n' "$@"; printf 'commit\nend\n'; } |
		np > "cfg-$name.got" 2>&1 || fail "configure $name: $(cat "cfg-$name.got")"
}

est_start --challenge s3cret --est-channel-binding
printf 'configure\nhostname r1\ndomain name example.com\ncommit\nend\ncrypto key generate ecdsa nistp256 k1\ncrypto key generate ecdsa nistp256 k3\ncrypto key generate ecdsa nistp384 k4\n' |
	np > keys.got 2>&1 || fail "keys: $(cat keys.got)"
tp est1 'enrollment http-auth username any' 'rsakeypair k1'

# Bootstrap: the trust pool is empty, the operator accepts the CA.
printf 'crypto ca authenticate est1\nyes\n' | np > a1.got 2>&1
grep -q 'Do you accept this certificate??' a1.got || fail "no question: $(cat a1.got)"
cmp -s <(openssl x509 -in s/trustpoints/est1/ca.pem -outform DER) \
	<(openssl x509 -in "$CA/ca.crt" -outform DER) || fail "stored CA is not the CA"

# HTTP basic: a wrong password is refused, nothing issued.
n0=$(ncerts)
printf 'crypto ca enroll est1\nwrong\n' | np > e0.got 2>&1
grep -q 'refused the credentials (HTTP 401)' e0.got || fail "wrong password: $(cat e0.got)"
[ "$(ncerts)" = "$n0" ] || fail "issued on a wrong password"
printf 'crypto ca enroll est1\ns3cret\n' | np > e1.got 2>&1
grep -q 'Certificate successfully received' e1.got || fail "enroll: $(cat e1.got)"
grep -q 'simpleenroll 200 .*channel-binding=ok' "$LOG" || fail "no channel binding"
grep -rq s3cret s && fail "the password reached the state directory"
openssl verify -CAfile "$CA/ca.crt" s/trustpoints/est1/cert-general.pem > /dev/null ||
	fail "issued certificate does not verify"
s1=$(openssl x509 -in s/trustpoints/est1/cert-general.pem -noout -serial)

# Re-enroll: simplereenroll, the router certificate as client certificate.
printf 'crypto ca enroll est1\nyes\ns3cret\n' | np > e2.got 2>&1
grep -q 'Certificate successfully received' e2.got || fail "re-enroll: $(cat e2.got)"
grep -q 'simplereenroll 200 .*client-cert=this-ca' "$LOG" || fail "not simplereenroll"
[ "$(openssl x509 -in s/trustpoints/est1/cert-general.pem -noout -serial)" != "$s1" ] ||
	fail "re-enroll kept the old certificate"

# Implicit trust anchor: the pool holds the CA; enrollment credential
# est1 (TLS 1.3, no password): csrattrs asks for the binding, tls-exporter.
printf 'crypto ca trustpool import url file://%s/ca.crt\nyes\n' "$CA" | np > pool.got 2>&1
tp est3 'enrollment credential est1' 'rsakeypair k3'
printf 'crypto ca authenticate est3\ncrypto ca enroll est3\n' | np > e3.got 2>&1
grep -q 'implicit trust anchor' e3.got || fail "not implicit: $(cat e3.got)"
grep -q 'Do you accept' e3.got && fail "implicit anchor asked"
grep -q 'Certificate successfully received' e3.got || fail "credential: $(cat e3.got)"

# csrattrs lists the policy's curves (P-256, P-384, P-521): P-384 enrolls.
tp est4 'enrollment credential est1' 'rsakeypair k4'
printf 'crypto ca authenticate est4\ncrypto ca enroll est4\n' | np > e4.got 2>&1
grep -q 'Certificate successfully received' e4.got || fail "P-384: $(cat e4.got)"
openssl x509 -in s/trustpoints/est4/cert-general.pem -noout -text |
	grep -q 'NIST CURVE: P-384' || fail "not the P-384 key"
# The default key pair (RSA, generated on first use): csrattrs lists
# curves only, netpki-ca's policy takes RSA too.
tp est6 'enrollment credential est1'
printf 'crypto ca authenticate est6\ncrypto ca enroll est6\n' | np > e6.got 2>&1
grep -q 'generating a 2048-bit RSA key pair' e6.got || fail "RSA: $(cat e6.got)"
grep -q 'Certificate successfully received' e6.got || fail "RSA: $(cat e6.got)"
ca_stop

# Pending until approved: the shell polls (a "minute" of 1.5 s here) and
# sends the same bytes again; the operator approves in between.
est_start --approve manual --challenge s3cret
tp est5 'enrollment credential est1' 'rsakeypair k3' 'enrollment retry count 20'
printf 'crypto ca authenticate est5\ncrypto ca enroll est5\n' |
	NETPKI_MINUTE=1500 np > e5.got 2>&1 &
npid=$!
for _ in $(seq 1 200); do
	id=$(ca requests --pending 2>/dev/null | awk '!/^#/{print $1; exit}')
	[ -n "$id" ] && break
	sleep 0.05
done
[ -n "$id" ] || fail "no pending request"
expect 0 ca approve "$id"
wait "$npid"
grep -q 'Certificate request pending' e5.got || fail "not pending: $(cat e5.got)"
grep -q 'Certificate successfully received' e5.got || fail "approved: $(cat e5.got)"
grep -q "request=$id (again) serial=" "$LOG" || fail "the poll was not the same request"
[ "$(ca requests --pending | grep -vc '^#')" = 0 ] || fail "a poll made a new request"
ca_stop
echo ok
