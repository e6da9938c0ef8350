#!/bin/bash
# Who may get which certificate (issue 18): each hostile request is
# refused with FAILURE badRequest and a log line naming the rule, nothing
# is stored for it, and the legitimate client still enrolls.
. "$(dirname "$0")/lib.sh"
ca_init
cd "$WORK" || exit 1
nstored() { ca list | grep -vc '^#'; }

# The defaults, printed when there is no policy file.
expect 0 ca policy
contains "$OUT" "(absent: the defaults)"
contains "$OUT" "eku serverAuth clientAuth"
contains "$OUT" "ca deny"
printf 'san-dns routers.example.net\nsan-ip 10.1.0.0/16\neku serverAuth clientAuth\n' > "$CA/policy.conf"
expect 0 ca policy
contains "$OUT" "san-dns routers.example.net"
contains "$OUT" "san-ip 10.1.0.0/16"
echo 'eku fooSigning' > bad.conf
cp bad.conf "$CA/policy.conf"
expect 1 ca policy
contains "$OUT" "policy.conf line 1: bad rule or value: eku fooSigning"
printf 'san-dns routers.example.net\nsan-ip 10.1.0.0/16\n' > "$CA/policy.conf"
ca_start --challenge pw

# codeSigning, CA:TRUE, keyCertSign, foreign names: refused, not stored.
hostile() {
	local rule=$1
	shift
	expect 4 "$SCEPREQ" enroll "$URL" --key kh.pem --cn r1.routers.example.net \
	    --challenge pw "$@"
	contains "$OUT" "FAILURE badRequest: policy rule $rule"
	grep -q "policy rule $rule" "$LOG" || fail "no log line naming the rule $rule"
}
hostile eku --ext extendedKeyUsage=codeSigning
hostile eku --ext extendedKeyUsage=serverAuth,OCSPSigning
hostile eku --ext extendedKeyUsage=anyExtendedKeyUsage
hostile ca --ext basicConstraints=critical,CA:TRUE
hostile ca --ext keyUsage=critical,keyCertSign
hostile san-dns --ext subjectAltName=DNS:www.bank.example
hostile san-dns --ext subjectAltName=DNS:evil-routers.example.net
hostile san-ip --ext subjectAltName=IP:192.0.2.1
hostile san --ext subjectAltName=email:a@routers.example.net
grep -q 'refused-by-policy\|POLICY\|policy rule' "$LOG" || fail "log"
[ "$(nstored)" = 0 ] || fail "a refused request was stored"

# The legitimate enrollment: names the policy allows, extensions built
# from the policy (serverAuth+clientAuth, CA:FALSE).
expect 0 "$SCEPREQ" enroll "$URL" --key k1.pem --cn r1.routers.example.net --challenge pw \
    --ext subjectAltName=DNS:r1.routers.example.net,DNS:mgmt.r1.routers.example.net,IP:10.1.2.3 \
    --out c1.pem
openssl x509 -in c1.pem -noout -ext subjectAltName,extendedKeyUsage,basicConstraints > ext1.txt
grep -q "DNS:mgmt.r1.routers.example.net" ext1.txt || fail "SAN not granted: $(cat ext1.txt)"
grep -q "IP Address:10.1.2.3" ext1.txt || fail "IP SAN not granted"
grep -q "TLS Web Server Authentication, TLS Web Client Authentication" ext1.txt ||
	fail "default EKU: $(cat ext1.txt)"
grep -q "CA:FALSE" ext1.txt || fail "CA:FALSE"
# The name the subject implies needs no rule.
expect 0 "$SCEPREQ" enroll "$URL" --key k2.pem --cn host.other.example --challenge pw \
    --ext subjectAltName=DNS:host.other.example --out c2.pem

# Renewal bound to the identity it renews (RFC 8894 3.3.1.2): c1 may
# renew r1 without a challenge, never become r2.
expect 4 "$SCEPREQ" enroll "$URL" --key k3.pem --cn r2.routers.example.net \
    --renew-cert c1.pem --renew-key k1.pem
contains "$OUT" "FAILURE badRequest: challenge password missing or wrong"
grep -q "renewal-of-another-subject" "$LOG" || fail "log: renewal of another subject"
expect 4 "$SCEPREQ" enroll "$URL" --key k3.pem --cn r1.routers.example.net \
    --renew-cert c1.pem --renew-key k1.pem
contains "$OUT" "FAILURE badRequest: challenge password missing or wrong"
grep -q "renewal-with-other-subjectAltNames" "$LOG" || fail "log: renewal with other SANs"
expect 0 "$SCEPREQ" enroll "$URL" --key k3.pem --cn r1.routers.example.net \
    --ext subjectAltName=DNS:r1.routers.example.net,DNS:mgmt.r1.routers.example.net,IP:10.1.2.3 \
    --renew-cert c1.pem --renew-key k1.pem --out c3.pem
contains "$OUT" "SUCCESS serial="

# Resend (the same message again): the same certificate while it is
# valid, refused once it is revoked.  The same key from a new run is a
# new request: a new certificate.
replay() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$1" \
	    "$URL?operation=PKIOperation")" = 200 ] || fail "replay $1"
}
SCEPREQ_SAVE=$WORK/m4.der expect 0 "$SCEPREQ" enroll "$URL" --key k4.pem --cn r4 \
    --challenge pw --out c4.pem
s4=$(openssl x509 -in c4.pem -noout -serial | cut -d= -f2)
replay m4.der
grep -q "(resent) serial=$s4 -> SUCCESS" "$LOG" || fail "resend: not the same certificate"
expect 0 "$SCEPREQ" enroll "$URL" --key k4.pem --cn r4 --challenge pw --out c4b.pem
contains "$OUT" "SUCCESS serial="
case "$OUT" in *"$s4"*) fail "same-key renewal got the old certificate";; esac
expect 0 ca revoke "$s4"
replay m4.der
tail -n 1 "$LOG" | grep -q "(resent) -> FAILURE badRequest (RFC 8894 3.3.1: the certificate issued for this request is revoked or expired" ||
	fail "resend after revoke: $(tail -n 1 "$LOG")"
ca_stop

# transactionID reuse with another key: refused, the victim's pending
# request untouched and its poll still works.
ca_start --challenge pw --approve manual
expect 3 "$SCEPREQ" enroll "$URL" --key kv.pem --cn victim --challenge pw
tid=$(ca --json requests --pending | sed -n 's/.*"transaction_id": "\([^"]*\)".*/\1/p')
[ -n "$tid" ] || fail "no pending transactionID"
expect 4 "$SCEPREQ" enroll "$URL" --key ka.pem --cn victim --challenge pw --transid "$tid"
contains "$OUT" "FAILURE badRequest: RFC 8894 3.2.1.4.1: this transactionID belongs to a pending request with another key"
[ "$(ca requests | grep -c "CN=victim")" = 1 ] || fail "the hijack was stored"
expect 3 "$SCEPREQ" poll "$URL" --key kv.pem --cn victim
id=$(ca requests --pending | awk '!/^#/{print $1}')
expect 0 ca approve "$id"
expect 0 "$SCEPREQ" poll "$URL" --key kv.pem --cn victim --out cv.pem
cmp -s <(openssl pkey -in kv.pem -pubout) <(openssl x509 -in cv.pem -pubkey -noout) ||
	fail "the victim got another key's certificate"
ca_stop

# The other rules, each under a policy.conf of its own (serve reads it
# when it starts).  refused RULE CMD...: FAILURE badRequest naming the
# rule, the same in the log line, and nothing stored.
refused() {
	local rule=$1 n
	shift
	n=$(nstored)
	expect 4 "$@"
	contains "$OUT" "FAILURE badRequest: policy rule $rule"
	tail -n 1 "$LOG" | grep -q "policy rule $rule" ||
		fail "no log line naming the rule $rule"
	[ "$(nstored)" = "$n" ] || fail "refused by the rule $rule, but stored"
}
enroll() { "$SCEPREQ" enroll "$URL" --challenge pw "$@"; }

# subject: a '*' stays inside its attribute, so another attribute cannot
# carry the allowed suffix (and the CN's implied DNS name with it); a
# last ",*" allows any further attributes.
printf 'subject CN=*.routers.example.net\nsubject CN=lab-*,*\n' > "$CA/policy.conf"
ca_start --challenge pw
refused subject enroll --key ks1.pem --cn www.bank.example
contains "$OUT" '"CN=www.bank.example" matches no subject pattern'
refused subject enroll --key ks1.pem --subject /O=r1.routers.example.net/CN=www.bank.example
contains "$OUT" '"CN=www.bank.example,O=r1.routers.example.net" matches no subject pattern'
refused subject enroll --key ks1.pem --subject /CN=r1.routers.example.net/O=x
expect 0 enroll --key ks1.pem --cn r5.routers.example.net --out cs1.pem
expect 0 enroll --key ks2.pem --cn lab-1
expect 0 enroll --key ks3.pem --subject /O=Lab/OU=ops/CN=lab-2 --out cs3.pem
[ "$(openssl x509 -in cs3.pem -noout -subject -nameopt RFC2253)" = "subject=CN=lab-2,OU=ops,O=Lab" ] ||
	fail "subject of cs3: $(openssl x509 -in cs3.pem -noout -subject)"
ca_stop

# rsa-min-bits and curves: a key below the minimum, a curve not listed.
# (EC requests are signed by their EC key and the reply is enveloped
# for it by key agreement, so SCEP works with EC end to end.)
printf 'rsa-min-bits 3072\ncurves P-384\n' > "$CA/policy.conf"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out kp384.pem 2> /dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out kr3072.pem 2> /dev/null
ca_start --challenge pw
refused rsa-min-bits enroll --key kr2048.pem --cn small
contains "$OUT" "RSA key of 2048 bits, at least 3072 needed"
refused curves enroll --ec --key kp256.pem --cn p256
contains "$OUT" "curve prime256v1 is not allowed"
expect 0 enroll --key kr3072.pem --cn big
expect 0 enroll --key kp384.pem --cn p384 --out cp384.pem
openssl x509 -in cp384.pem -noout -text | grep -q "NIST CURVE: P-384" || fail "P-384 certificate"
ca_stop

# max-days: the policy caps serve's --cert-days.
printf 'max-days 30\n' > "$CA/policy.conf"
ca_start --challenge pw --cert-days 400
expect 0 enroll --key km.pem --cn maxdays --out cm.pem
nb=$(date -d "$(openssl x509 -in cm.pem -noout -startdate | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in cm.pem -noout -enddate | cut -d= -f2)" +%s)
[ $((na - nb)) -le $((30 * 86400)) ] && [ $((na - nb)) -gt $((29 * 86400)) ] ||
	fail "validity $((na - nb)) s, policy max-days 30"
ca_stop

# renewal-window: a certificate renews itself without a challenge only in
# its last 10 days; before that it needs the challenge like a new client.
printf 'renewal-window 10\n' > "$CA/policy.conf"
T0=$(date +%s)
NETPKI_NOW=$T0 ca_start --challenge pw --cert-days 30
expect 0 enroll --key kw1.pem --cn window --out cw1.pem
n=$(nstored)
expect 4 "$SCEPREQ" enroll "$URL" --key kw2.pem --cn window --renew-cert cw1.pem --renew-key kw1.pem
contains "$OUT" "FAILURE badRequest: challenge password missing or wrong"
tail -n 1 "$LOG" | grep -q "renewal-outside-window" || fail "log: renewal outside the window"
[ "$(nstored)" = "$n" ] || fail "renewal outside the window stored"
expect 0 enroll --key kw2.pem --cn window --renew-cert cw1.pem --renew-key kw1.pem
ca_stop
NETPKI_NOW=$((T0 + 21 * 86400)) ca_start --challenge pw --cert-days 30
expect 0 "$SCEPREQ" enroll "$URL" --key kw3.pem --cn window --renew-cert cw1.pem --renew-key kw1.pem
contains "$OUT" "SUCCESS serial="
echo ok
