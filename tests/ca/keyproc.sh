#!/bin/bash
# serve's key process (netpki-ca(8), serve, "The key process"): the
# network process holds no descriptor on a key file and maps none; the key
# process holds only its connections and, as root, runs as nobody in /.
# Enrollment (scepreq, and micromdm's scepclient when installed; RA mode:
# every key remote) works through it; with the key process killed,
# PKIOperations get 503 while /healthz answers, and SIGTERM still stops
# serve cleanly.  A key that does not match its certificate stops serve at
# start.  An EC CA signs through the key process as well.
. "$(dirname "$0")/lib.sh"

ca_init --ra --subject "CN=Keyproc CA,O=netpki"
ca_start --challenge pw --threads 2
KP=$(ps -o pid= --ppid "$SERVER_PID" | tr -d ' ')
[ -n "$KP" ] && [ "$(echo "$KP" | wc -l)" = 1 ] || fail "key process: '$KP'"

# The network process: no key file open, none mapped.
for f in /proc/"$SERVER_PID"/fd/*; do
	case "$(readlink "$f")" in
	*.key) fail "serve has $(readlink "$f") open";;
	esac
done
grep -q '\.key' /proc/"$SERVER_PID"/maps && fail "serve maps a key file"
# The key process: stdio and its connections (one per worker, one more).
n=0
for f in /proc/"$KP"/fd/*; do
	t=$(readlink "$f")
	case "${f##*/}:$t" in
	[012]:*) ;;
	*:socket:*) n=$((n + 1));;
	*) fail "key process holds $t";;
	esac
done
[ "$n" = 3 ] || fail "key process has $n connections, expected 3"
if [ "$(id -u)" = 0 ]; then
	uid=$(awk '/^Uid:/ { print $2 $3 $4 $5 }' /proc/"$KP"/status)
	nobody=$(id -u nobody)
	[ "$uid" = "$nobody$nobody$nobody$nobody" ] || fail "key process uids: $uid"
	[ "$(readlink /proc/"$KP"/cwd)" = / ] || fail "key process not in /"
	# A dumpable process owns its /proc files.
	[ "$(stat -c %U /proc/"$KP"/mem)" = root ] || fail "key process is dumpable"
fi

cd "$WORK" || exit 1
expect 0 "$SCEPREQ" enroll "$URL" --key k1.pem --cn r1 --challenge pw --out c1.pem
contains "$OUT" "SUCCESS serial="
openssl verify -CAfile "$CA/ca.crt" c1.pem > /dev/null || fail "verify c1"
if command -v scepclient > /dev/null; then
	mkdir mm && cd mm || exit 1
	timeout 60 scepclient -server-url "$URL" -private-key k.pem -certificate c.pem \
		-challenge pw -cn router2 > client.log 2>&1 || { cat client.log; fail "scepclient"; }
	openssl verify -CAfile "$CA/ca.crt" c.pem > /dev/null || fail "verify scepclient's certificate"
	cd "$WORK" || exit 1
fi
expect 0 "$SCEPREQ" getcrl "$URL" --key k1.pem --out crl.der
openssl crl -inform der -in crl.der -CAfile "$CA/ca.crt" -noout 2>&1 |
	grep -q "verify OK" || fail "CRL does not verify"

kill -KILL "$KP"
expect 1 "$SCEPREQ" enroll "$URL" --key k2.pem --cn r2 --challenge pw
contains "$OUT" "HTTP status 503"
grep -q "key process is not answering" "$LOG" || fail "no log line for the dead key process"
[ "$(curl -s "http://127.0.0.1:$PORT/healthz")" = ok ] || fail "/healthz"
curl -sf -o /dev/null "$URL?operation=GetCACert" || fail "GetCACert"
ca_stop
grep -q "SIGTERM: stopping" "$LOG" || fail "no clean stop"
[ -e /proc/"$KP" ] && fail "key process not reaped"

# SIGTERM to serve stops both (the key process ignores it, and exits when
# serve closes the connections).
ca_start
KP=$(ps -o pid= --ppid "$SERVER_PID" | tr -d ' ')
[ -n "$KP" ] || fail "no key process after a restart"
ca_stop
[ -e /proc/"$KP" ] && fail "key process still there after SIGTERM"

# A key that is not its certificate's.
cp "$CA/ra-enc.key" "$CA/ca.key"
expect 1 ca serve --listen 127.0.0.1:0
contains "$OUT" "ca.key: key slot 0 does not match its certificate"

# An EC P-256 CA (with an RA for the RSA key transport): ECDSA certificates
# and CRLs signed in the key process.
CA=$WORK/ec
ca_init --key ec:p256 --ra
ca_start --challenge pw
expect 0 "$SCEPREQ" enroll "$URL" --key k3.pem --cn ec1 --challenge pw --out c3.pem
openssl verify -CAfile "$CA/ca.crt" c3.pem > /dev/null || fail "verify the EC CA's certificate"
openssl x509 -in c3.pem -noout -text | grep -q "Signature Algorithm: ecdsa-with-SHA256" ||
	fail "not signed with ECDSA"
expect 0 "$SCEPREQ" getcrl "$URL" --key k3.pem --out crl3.der
openssl crl -inform der -in crl3.der -CAfile "$CA/ca.crt" -noout 2>&1 |
	grep -q "verify OK" || fail "the EC CA's CRL does not verify"
ca_stop
echo ok
