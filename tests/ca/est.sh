#!/bin/bash
# EST (RFC 7030) on netpki-ca, with curl and openssl as independent
# clients: /cacerts, /csrattrs, /simpleenroll with HTTP basic (static and
# one-time challenges), /simplereenroll with a TLS client certificate,
# /serverkeygen,
# the channel binding (tls-unique on TLS 1.2, tls-exporter on 1.3, from
# estload bind, an OpenSSL client), manual approval
# (202, Retry-After, the same CSR re-posted), and the bad input of the
# issue: each gets its status, a log line, and nothing is issued.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/estlib.sh"
ESTLOAD=$(dirname "$SCEPREQ")/estload
cd "$WORK" || exit 1
ca_init

# The HTTPS listener's certificate: issued by the CA itself (sign-csr).
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout tls.key -subj /CN=127.0.0.1 -out tls.csr 2>/dev/null || fail "tls csr"
ca sign-csr tls.csr > tls.crt || fail "sign-csr tls"

# An EST label with its own policy (policy.conf's label section).
printf 'label lab\nsubject CN=*.lab.example\ncurves P-384\n' > "$CA/policy.conf"
expect 0 ca policy
contains "$OUT" "label lab
subject CN=*.lab.example"
est_start --challenge s3cret

# /cacerts: the CA certificate, decoded by openssl.
est_curl 200 cacerts
contains "$HDR" "Content-Type: application/pkcs7-mime; smime-type=certs-only"
openssl base64 -d -in body.txt | openssl pkcs7 -inform DER -print_certs > cacerts.pem || fail "cacerts"
[ "$(openssl x509 -in cacerts.pem -noout -fingerprint -sha256)" = \
  "$(openssl x509 -in "$CA/ca.crt" -noout -fingerprint -sha256)" ] || fail "cacerts: not the CA"
# EST is not served over plain HTTP.
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/.well-known/est/cacerts")" = 404 ] ||
	fail "EST over plain HTTP"
est_curl 404 nosuchop
est_curl 404 nolabel/cacerts
est_curl 405 simpleenroll
# /csrattrs: DER CsrAttrs with the policy's curves, EKUs and hash.
est_curl 200 csrattrs
contains "$HDR" "application/csrattrs"
openssl base64 -d -in body.txt | openssl asn1parse -inform DER > attrs.txt || fail "csrattrs DER"
contains "$(cat attrs.txt)" ":id-ecPublicKey"
contains "$(cat attrs.txt)" ":prime256v1"
contains "$(cat attrs.txt)" ":TLS Web Client Authentication"

# The label: its csrattrs and its policy.
est_curl 200 lab/csrattrs
openssl base64 -d -in body.txt | openssl asn1parse -inform DER > attrs.txt || fail "lab csrattrs DER"
contains "$(cat attrs.txt)" ":secp384r1"
grep -q prime256v1 attrs.txt && fail "lab csrattrs: P-256 is not the label's"
csr l1 a.lab.example
OP=lab/simpleenroll enroll 200 l1 -u any:s3cret
csr l2 dev9.example.com
OP=lab/simpleenroll enroll 403 l2 -u any:s3cret
grep -q 'POST /.well-known/est/lab/simpleenroll 403 .* policy ' "$LOG" || fail "label policy not applied"
enroll 200 l2 -u any:s3cret

# simpleenroll with HTTP basic: the static challenge.
csr d1 dev1.example.com
enroll 200 d1 -u any:s3cret
[ "$(openssl x509 -in d1.crt -noout -subject)" = "subject=CN = dev1.example.com" ] || fail "d1 subject"
grep -q 'POST /.well-known/est/simpleenroll 200 .* issued subject="CN=dev1.example.com" request=3 serial=' "$LOG" ||
	fail "no log line for the issue"
grep -q s3cret "$LOG" && fail "the challenge reached the log"
n=$(ncerts)

# serverkeygen (RFC 7030 4.4): a new key like the template's (P-384) and
# its certificate, multipart/mixed; the key is neither logged nor stored.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout kgt.key \
	-subj /CN=kg1.example.com -outform DER 2>/dev/null | openssl base64 > kg.b64
est_curl 200 serverkeygen -u any:s3cret -H 'Content-Type: application/pkcs10' --data-binary @kg.b64
contains "$HDR" "Content-Type: multipart/mixed; boundary=netpki-est-serverkeygen"
part() { awk -v t="$1" 'index($0, "Content-Type: " t) == 1 {p = 1; next} /^--/ {p = 0}
	p && !/^Content-/' body.txt | tr -d '\r' | openssl base64 -d; }
part application/pkcs8 | openssl pkey -inform DER -pubout > kg.pub || fail "serverkeygen: no PKCS#8 key"
part application/pkcs7-mime | openssl pkcs7 -inform DER -print_certs > kg.crt || fail "serverkeygen: no certificate"
openssl x509 -in kg.crt -noout -pubkey | cmp -s - kg.pub || fail "serverkeygen: the certificate is not the key's"
openssl pkey -in kgt.key -pubout | cmp -s - kg.pub && fail "serverkeygen: the template's key was kept"
openssl pkey -pubin -in kg.pub -noout -text | grep -q 'NIST CURVE: P-384' || fail "serverkeygen: not P-384"
k=$(part application/pkcs8 | openssl base64 | head -n 1)
grep -rqF "$k" "$CA" "$LOG" && fail "serverkeygen: the key reached the disk or the log"
grep -q 'serverkeygen 200 .* issued .*serverkeygen subject="CN=kg1.example.com"' "$LOG" || fail "serverkeygen log"
n=$(ncerts)

# Credentials missing or wrong: 401 with WWW-Authenticate, nothing issued.
csr d2 dev2.example.com
enroll 401 d2
contains "$HDR" 'WWW-Authenticate: Basic realm="EST"'
enroll 401 d2 -u any:wrong
grep -q 'simpleenroll 401 .* bad_challenge' "$LOG" || fail "no bad_challenge log line"
# Wrong media type, malformed base64, a body that is no CSR, oversize.
CTYPE=text/plain enroll 415 d2 -u any:s3cret
echo 'not base64 at all!' > bad.b64
enroll 400 bad -u any:s3cret
head -c 300 /dev/urandom | openssl base64 > bad.b64
enroll 400 bad -u any:s3cret
head -c 70000 /dev/zero | openssl base64 > big.b64
enroll 413 big -u any:s3cret
[ "$(ncerts)" = "$n" ] || fail "bad input was issued"

# Without other credentials, a challengePassword that is not the channel
# binding is the challenge, as in SCEP (ArubaOS-CX without a username);
# it is stripped before the request is stored.
cpcsr() {
	printf '[req]\ndistinguished_name=dn\nattributes=at\nprompt=no\n[dn]\nCN=%s\n[at]\nchallengePassword=%s\n' \
		"$2" "$3" > "$1.cnf"
	openssl req -new -newkey rsa:2048 -nodes -keyout "$1.key" -config "$1.cnf" \
		-outform DER 2>/dev/null | openssl base64 > "$1.b64"
}
cpcsr c9 dev9.example.com s3cret
enroll 200 c9
grep -q 'simpleenroll 200 .* issued challenge-in-csr subject="CN=dev9.example.com"' "$LOG" ||
	fail "challenge in the CSR: log"
cpcsr c10 dev10.example.com nope
enroll 401 c10
grep -rqa s3cret "$CA" && fail "the challenge reached the store"
n=$(ncerts)

# The channel binding (RFC 7030 3.5) in challengePassword: tls-unique on
# TLS 1.2, tls-exporter (RFC 9266) on TLS 1.3; a wrong one is refused.
for v in 1.2 1.3; do
	expect 0 "$ESTLOAD" bind 127.0.0.1 "$EPORT" "$CA/ca.crt" "bind$v" any:s3cret right "$v"
	[ "$OUT" = "TLSv$v HTTP/1.1 200 OK" ] || fail "binding on TLS $v: $OUT"
	grep -q "channel-binding=ok subject=\"CN=bind$v\"" "$LOG" || fail "TLS $v: binding not checked"
	expect 0 "$ESTLOAD" bind 127.0.0.1 "$EPORT" "$CA/ca.crt" "nobind$v" any:s3cret wrong "$v"
	[ "$OUT" = "TLSv$v HTTP/1.1 403 Forbidden" ] || fail "wrong binding on TLS $v: $OUT"
done
grep -q "challengePassword is not this TLS session's tls-unique" "$LOG" || fail "tls-unique mismatch log"
grep -q "challengePassword is not this TLS session's tls-exporter" "$LOG" || fail "tls-exporter mismatch log"
ca list | grep -q nobind && fail "a wrong binding was issued"

# simplereenroll with the issued certificate as TLS client certificate:
# the same subject, a new certificate.
cp d1.key d1r.key
openssl req -new -key d1.key -subj /CN=dev1.example.com -outform DER -out d1r.der 2>/dev/null
openssl base64 -in d1r.der > d1r.b64
OP=simplereenroll enroll 200 d1r --cert d1.crt --key d1.key
[ "$(openssl x509 -in d1r.crt -noout -subject)" = "subject=CN = dev1.example.com" ] || fail "d1r subject"
[ "$(openssl x509 -in d1r.crt -noout -serial)" != "$(openssl x509 -in d1.crt -noout -serial)" ] ||
	fail "re-enroll: the same certificate"
# ... but not without a certificate, not for another subject.
OP=simplereenroll enroll 403 d1r -u any:s3cret
OP=simplereenroll enroll 403 d2 --cert d1.crt --key d1.key
grep -q 'simplereenroll 403 .*renewal-of-another-subject' "$LOG" || fail "another subject"
# A client certificate from another CA.
"$NETPKI_CA" --dir "$WORK/other" init > /dev/null 2>&1 || fail "other init"
openssl req -new -key d1.key -subj /CN=dev1.example.com -out o.csr 2>/dev/null
"$NETPKI_CA" --dir "$WORK/other" sign-csr o.csr > o.crt || fail "other sign"
OP=simplereenroll enroll 403 d1r --cert o.crt --key d1.key
grep -q 'simplereenroll 403 .*client-cert=not-acceptable' "$LOG" || fail "other CA accepted"
# A revoked client certificate.
ca revoke "$(openssl x509 -in d1r.crt -noout -serial | cut -d= -f2)" > /dev/null || fail "revoke"
OP=simplereenroll enroll 403 d1r --cert d1r.crt --key d1.key
n=$(ncerts)
ca_stop

# An expired client certificate: the server's clock 400 days on.  And
# --est-channel-binding: csrattrs asks for it, a CSR without it is refused.
NETPKI_NOW=$(( $(date +%s) + 400 * 86400 )) est_start --challenge s3cret --est-channel-binding
OP=simplereenroll enroll 403 d1r --cert d1.crt --key d1.key
[ "$(ncerts)" = "$n" ] || fail "a refused client certificate got one"
grep -q 'channel binding required' "$LOG" || fail "binding flag not in the log"
est_curl 200 csrattrs
openssl base64 -d -in body.txt | openssl asn1parse -inform DER | grep -q ':challengePassword' ||
	fail "csrattrs: no challengePassword with --est-channel-binding"
csr d7 dev7.example.com
enroll 403 d7 -u any:s3cret
contains "$BODY" "RFC 7030 3.5: the CSR must carry the TLS channel binding"
expect 0 "$ESTLOAD" bind 127.0.0.1 "$EPORT" "$CA/ca.crt" bind3 any:s3cret right 1.3
[ "$OUT" = "TLSv1.3 HTTP/1.1 200 OK" ] || fail "binding required, given: $OUT"
ca_stop

# One-time challenges: user = the challenge's ID, password = the secret
# (or the whole challenge); used once.  The listener's certificate is the
# CA's own, made at the first serve (DIR/est-tls.*), reused afterwards.
TLSOPTS= est_start --one-time-challenges
[ "$(stat -c %a "$CA/est-tls.key")" = 600 ] || fail "est-tls.key is not 0600"
openssl x509 -in "$CA/est-tls.crt" -noout -ext subjectAltName | grep -q 'IP Address:127.0.0.1' ||
	fail "est-tls.crt: no subjectAltName for 127.0.0.1"
grep -q 'EST on 127.0.0.1:[0-9]* (TLS 1.2, 1.3, certificate est-tls.crt)' "$LOG" || fail "self TLS log line"
ch=$(ca challenge new --cn 'dev3*' | grep -o '[0-9A-F]\{16\}-[0-9A-F]\{32\}')
[ -n "$ch" ] || fail "challenge new"
csr d3 dev3.example.com
enroll 200 d3 -u "${ch%%-*}:${ch#*-}"
grep -q "challenge=${ch%%-*}" "$LOG" || fail "challenge ID not logged"
grep -q "${ch#*-}" "$LOG" && fail "the challenge's secret reached the log"
csr d4 dev3b.example.com
enroll 401 d4 -u "${ch%%-*}:${ch#*-}"
ch=$(ca challenge new --cn 'dev4*' | grep -o '[0-9A-F]\{16\}-[0-9A-F]\{32\}')
csr d5 dev4.example.com
enroll 200 d5 -u "${ch%%-*}:$ch"
ca_stop

# Manual approval: 202 with Retry-After, approve, the same CSR again: 200.
fp=$(openssl x509 -in "$CA/est-tls.crt" -noout -fingerprint)
TLSOPTS= est_start --approve manual --challenge s3cret
[ "$(openssl x509 -in "$CA/est-tls.crt" -noout -fingerprint)" = "$fp" ] ||
	fail "est-tls.crt was not reused"
csr d6 dev6.example.com
enroll 202 d6 -u any:s3cret
contains "$HDR" "Retry-After: 60"
est_curl 403 serverkeygen -u any:s3cret -H 'Content-Type: application/pkcs10' --data-binary @kg.b64
enroll 202 d6 -u any:s3cret
est_approve
enroll 200 d6 -u any:s3cret
grep -q "request=$id (again) serial=" "$LOG" || fail "poll: not the approved certificate"
# The metrics count EST like SCEP.
M=$(curl -s "http://127.0.0.1:$PORT/metrics")
contains "$M" 'netpki_ca_requests_total{type="simpleenroll",outcome="pending"} 2'
contains "$M" 'netpki_ca_requests_total{type="simpleenroll",outcome="resent"} 1'
ca_stop

# Wrong basic passwords count towards the failed-challenge cool-down,
# which then refuses even the right one (429, Retry-After).
est_start --challenge s3cret --challenge-failures 2 --challenge-cooldown 600
csr d8 dev8.example.com
enroll 401 d8 -u any:wrong1
enroll 401 d8 -u any:wrong2
grep -q 'simpleenroll 401 .* cool-down begins' "$LOG" || fail "no cool-down"
enroll 429 d8 -u any:s3cret
contains "$HDR" "Retry-After: "
ca_stop
echo ok
