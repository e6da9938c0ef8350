#!/bin/bash
# Real peers on 127.0.0.1: `crypto ca verify https://127.0.0.1:PORT`
# against openssl s_server, with the CRL fetched over HTTP (busybox httpd)
# from the certificate's distribution point:
#   - a server certificate from the trustpoint's CA: valid, CRL good;
#   - the same CA's revoked certificate: "certificate revoked";
#   - a server chaining to nothing trusted: not valid;
#   - a server whose certificate is for another host than the URL's
#     (by IP address and by name): not valid.
. "$(dirname "$0")/../shell/lib.sh"
NETPKI=$(cd "$(dirname "$NETPKI")" && pwd)/$(basename "$NETPKI")
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$WORK"' EXIT
cd "$WORK"
S=$WORK/state

# A port that nothing listens on; the server proves it by starting.
free_port() { echo $((20000 + RANDOM % 40000)); }

HP=$(free_port)
mkdir www
busybox httpd -f -p "127.0.0.1:$HP" -h "$WORK/www" &
PIDS+=($!)

cat > ca.cnf <<CNF
[ ca ]
default_ca = d
[ d ]
database = $WORK/index.txt
new_certs_dir = $WORK
serial = $WORK/serial
crlnumber = $WORK/crlnumber
default_md = sha256
policy = p
default_crl_days = 7
[ p ]
commonName = supplied
[ v3_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ server ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
crlDistributionPoints = URI:http://127.0.0.1:$HP/root.crl
[ wrongname ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.example
crlDistributionPoints = URI:http://127.0.0.1:$HP/root.crl
CNF
: > index.txt
echo 1000 > serial
echo 01 > crlnumber
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
for r in root other; do
	openssl req -x509 $ec -keyout $r.key -out $r.pem -days 30 \
	    -subj "/CN=Interop $r CA" -config ca.cnf -extensions v3_ca 2>/dev/null
done
for n in good revoked stranger wrongname; do
	openssl req -new $ec -keyout $n.key -out $n.csr -subj "/CN=$n" 2>/dev/null
done
openssl ca -batch -config ca.cnf -cert root.pem -keyfile root.key \
    -in wrongname.csr -out wrongname.pem -extensions wrongname -days 10 \
    -notext 2>/dev/null
for n in good revoked; do
	openssl ca -batch -config ca.cnf -cert root.pem -keyfile root.key \
	    -in $n.csr -out $n.pem -extensions server -days 10 -notext 2>/dev/null
done
openssl ca -batch -config ca.cnf -cert other.pem -keyfile other.key \
    -in stranger.csr -out stranger.pem -extensions server -days 10 -notext \
    2>/dev/null
openssl ca -config ca.cnf -cert root.pem -keyfile root.key -revoke revoked.pem \
    -crl_reason keyCompromise 2>/dev/null
openssl ca -gencrl -config ca.cnf -cert root.pem -keyfile root.key \
    -out root.crl.pem 2>/dev/null
openssl crl -in root.crl.pem -outform DER -out www/root.crl
mkdir -p "$S/trustpoints/tp"
cp root.pem "$S/trustpoints/tp/ca.pem"
"$NETPKI" --state "$S" -c configure -c 'crypto ca trustpoint tp' -c commit \
    >/dev/null
check "test PKI made" test -s good.pem -a -s revoked.pem -a -s stranger.pem \
    -a -s wrongname.pem -a -s www/root.crl

# serve NAME: openssl s_server with NAME's certificate; sets SP.
serve() {
	local i
	for i in 1 2 3 4 5; do
		SP=$(free_port)
		openssl s_server -accept "127.0.0.1:$SP" -cert "$1.pem" \
		    -key "$1.key" -www -quiet > "s_server.$1.log" 2>&1 &
		PIDS+=($!)
		for _ in $(seq 50); do
			if grep -q ACCEPT "s_server.$1.log" 2>/dev/null ||
			    curl -sk -o /dev/null "https://127.0.0.1:$SP/"; then
				return 0
			fi
			kill -0 "${PIDS[-1]}" 2>/dev/null || break
			sleep 0.1
		done
	done
	echo "cannot start s_server"
	return 1
}

serve good
out=$("$NETPKI" --state "$S" -c "crypto ca verify https://127.0.0.1:$SP purpose ssl-server" 2>&1)
rc=$?
check "good server: exit 0" [ "$rc" = 0 ]
check "good server: valid" grep -qx 'Certificate chain is valid' <<<"$out"
check "good server: CRL fetched over HTTP from its distribution point" \
    grep -qx "  Revocation :good (CRL http://127.0.0.1:$HP/root.crl)" <<<"$out"
check "good server: anchored at the trustpoint" \
    grep -qx 'Trust anchor :trustpoint tp' <<<"$out"
# The same server by a name its certificate does not carry (IP only).
out=$("$NETPKI" --state "$S" -c "crypto ca verify https://localhost:$SP purpose ssl-server" 2>&1)
rc=$?
check "good server by another name: exit 1" [ "$rc" = 1 ]
check "good server by another name: hostname mismatch" \
    grep -q '^% Certificate chain is not valid: hostname mismatch' <<<"$out"

serve wrongname
out=$("$NETPKI" --state "$S" -c "crypto ca verify https://127.0.0.1:$SP" 2>&1)
rc=$?
check "certificate for another host: exit 1" [ "$rc" = 1 ]
check "certificate for another host: IP address mismatch" \
    grep -q '^% Certificate chain is not valid: IP address mismatch' <<<"$out"

serve revoked
out=$("$NETPKI" --state "$S" -c "crypto ca verify https://127.0.0.1:$SP" 2>&1)
rc=$?
check "revoked server: exit 1" [ "$rc" = 1 ]
check "revoked server: revoked" grep -q '^% Certificate chain is not valid: certificate revoked' <<<"$out"
check "revoked server: reason" grep -q '^  Revocation :revoked (keyCompromise' <<<"$out"

serve stranger
out=$("$NETPKI" --state "$S" -c "crypto ca verify https://127.0.0.1:$SP" 2>&1)
rc=$?
check "untrusted server: exit 1" [ "$rc" = 1 ]
check "untrusted server: not valid" grep -q '^% Certificate chain is not valid: unable to get local issuer certificate' <<<"$out"

out=$("$NETPKI" --state "$S" -c 'show crypto ca crls' 2>&1)
check "the fetched CRL is cached" grep -qx "http://127.0.0.1:$HP/root.crl" <<<"$out"
check "with one entry" grep -qx 'Entries : 1' <<<"$out"

out=$("$NETPKI" --state "$S" -c "crypto ca verify https://127.0.0.1:1" 2>&1)
check "unreachable server: clear error" grep -q '^% https://127.0.0.1:1: Failed to connect' <<<"$out"
finish
