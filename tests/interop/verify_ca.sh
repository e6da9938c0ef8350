#!/bin/bash
# netpki against netpki-ca, both real, on 127.0.0.1: a certificate issued by
# netpki-ca carries its /crl as distribution point; crypto ca verify fetches
# that CRL and says good; after `netpki-ca revoke` and a fresh CRL
# (`crypto ca crl request`), verify fails with "certificate revoked".
#   verify_ca.sh NETPKI NETPKI_CA
. "$(dirname "$0")/../shell/lib.sh"
NETPKI=$(cd "$(dirname "$NETPKI")" && pwd)/$(basename "$NETPKI")
NETPKI_CA=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
CA_PID=
PIDS=()
trap '[ -n "$CA_PID" ] && kill "$CA_PID" 2>/dev/null; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$WORK"' EXIT
cd "$WORK"
S=$WORK/state
ca() { "$NETPKI_CA" --dir "$WORK/ca" "$@"; }

ca init --key ec:p256 --subject "CN=Verify Test CA,O=netpki" > init.log 2>&1
check "netpki-ca init" [ $? = 0 ]
"$NETPKI_CA" --dir "$WORK/ca" serve --listen 127.0.0.1:0 --challenge pw \
    2> serve.log &
CA_PID=$!
for _ in $(seq 100); do
	grep -q serving serve.log && break
	sleep 0.05
done
PORT=$(sed -n 's/.* on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' serve.log | tail -n 1)
check "netpki-ca serving" [ -n "$PORT" ]
CRL=http://127.0.0.1:$PORT/crl

for n in one two; do
	# The servers below are reached as https://127.0.0.1:PORT.
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout $n.key -subj "/CN=$n.example" \
	    -addext "subjectAltName=IP:127.0.0.1" -out $n.csr 2>/dev/null
	ca sign-csr $n.csr > $n.pem 2>/dev/null
done
check "certificates issued" test -s one.pem -a -s two.pem
check "with netpki-ca's /crl as distribution point" \
    bash -c "openssl x509 -in one.pem -noout -ext crlDistributionPoints | grep -q 'URI:$CRL'"

mkdir -p "$S/trustpoints/tp"
cp ca/ca.crt "$S/trustpoints/tp/ca.pem"
"$NETPKI" --state "$S" -c configure -c 'crypto ca trustpoint tp' -c commit \
    >/dev/null

out=$("$NETPKI" --state "$S" -c 'crypto ca verify one.pem' 2>&1)
check "before revoke: valid" grep -qx 'Certificate chain is valid' <<<"$out"
check "before revoke: CRL fetched from netpki-ca" \
    grep -qx "  Revocation :good (CRL $CRL)" <<<"$out"

serial=$(openssl x509 -in one.pem -noout -serial | cut -d= -f2)
ca revoke "$serial" --reason keyCompromise > revoke.log 2>&1
check "netpki-ca revoke" [ $? = 0 ]

# The cached CRL stands until its nextUpdate: still good ...
out=$("$NETPKI" --state "$S" -c 'crypto ca verify one.pem' 2>&1)
check "cached CRL still answers until refreshed" \
    grep -qx 'Certificate chain is valid' <<<"$out"
# ... until a fresh one is requested.
out=$("$NETPKI" --state "$S" -c "crypto ca crl request $CRL" 2>&1)
check "crl request from netpki-ca" grep -q '^CRL of .*: 1 entries' <<<"$out"
out=$("$NETPKI" --state "$S" -c 'crypto ca verify one.pem' 2>&1)
rc=$?
check "after revoke: exit 1" [ "$rc" = 1 ]
check "after revoke: revoked" \
    grep -q '^% Certificate chain is not valid: certificate revoked' <<<"$out"
check "after revoke: reason" \
    grep -q '^  Revocation :revoked (keyCompromise' <<<"$out"
out=$("$NETPKI" --state "$S" -c 'crypto ca verify two.pem' 2>&1)
check "the other certificate: still valid" \
    grep -qx 'Certificate chain is valid' <<<"$out"

# TLS: openssl s_server with netpki-ca's certificates, on a port the kernel
# picks (a guessed one may be another test's): s_server names it in its
# ACCEPT line once it listens.
serve() {
	SP=
	openssl s_server -accept 127.0.0.1:0 -cert "$1.pem" -key "$1.key" \
	    -www > "s_server.$1.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do
		SP=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
		    "s_server.$1.log")
		[ -n "$SP" ] && return 0
		kill -0 "${PIDS[-1]}" 2>/dev/null || break
		sleep 0.05
	done
	return 1
}
check "s_server for two" serve two
out=$("$NETPKI" --state "$S" -c "crypto ca verify https://127.0.0.1:$SP purpose ssl-server" 2>&1)
check "TLS server with a netpki-ca certificate: valid" \
    grep -qx 'Certificate chain is valid' <<<"$out"
check "s_server for one" serve one
out=$("$NETPKI" --state "$S" -c "crypto ca verify https://127.0.0.1:$SP purpose ssl-server" 2>&1)
check "TLS server with the revoked netpki-ca certificate: revoked" \
    grep -q 'certificate revoked' <<<"$out"

# A cleared cache fetches the new CRL from the distribution point.
"$NETPKI" --state "$S" -c 'clear crypto ca crl' >/dev/null
out=$("$NETPKI" --state "$S" -c 'crypto ca verify one.pem' 2>&1)
check "cleared cache: revoked from a fresh fetch" \
    grep -q 'certificate revoked' <<<"$out"
finish
