#!/bin/bash
# crypto ca verify must not be a way to make the device connect where a
# pasted certificate says (blind SSRF):
#   - a certificate that chains to no trusted anchor, whose CRL
#     distribution point is a listener on 127.0.0.1: no connection;
#   - a leaf of the trusted CA with a broken signature: no connection, and
#     no revocation result shown, even when a cached CRL lists it;
#   - distribution points with schemes other than http and ldap (gopher,
#     dict, ftp, smb, file, https): refused with a % message, no connection;
#   - the control: a good leaf with the same http distribution point does
#     connect (so the listener would have seen the others).
. "$(dirname "$0")/../shell/lib.sh"
. "$(dirname "$0")/esc_ssrf_lib.sh"
NETPKI=$(cd "$(dirname "$NETPKI")" && pwd)/$(basename "$NETPKI")
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$WORK"' EXIT
cd "$WORK"

# The listener: each connection adds a line to hits and gets an HTTP 404.
listen() {
	local i
	for i in 1 2 3 4 5; do
		P=$((20000 + RANDOM % 40000))
		socat "TCP-LISTEN:$P,bind=127.0.0.1,reuseaddr,fork" \
		    SYSTEM:"echo hit >> $WORK/hits; printf 'HTTP/1.0 404 Not Found\r\n\r\n'" \
		    2>/dev/null &
		PIDS+=($!)
		for _ in $(seq 50); do
			if (exec 3<>"/dev/tcp/127.0.0.1/$P") 2>/dev/null; then
				return 0
			fi
			kill -0 "${PIDS[-1]}" 2>/dev/null || break
			sleep 0.1
		done
	done
	echo "cannot start the listener"
	return 1
}
# hits: connections the listener saw (the startup probe counts one).
hits() {
	local n
	for _ in $(seq 20); do	# a probe's line may lag its connection
		n=$(wc -l 2>/dev/null < "$WORK/hits" || echo 0)
		[ "$n" -ge 1 ] && break
		sleep 0.05
	done
	echo "$n"
}
listen || exit 1
base=$(hits)
check "listener counts the probe" [ "$base" = 1 ]

pki_cnf ext.cnf
for s in http://127.0.0.1:$P/x.crl gopher://127.0.0.1:$P/_x \
    dict://127.0.0.1:$P/x ftp://127.0.0.1:$P/x.crl smb://127.0.0.1:$P/x \
    file:///etc/passwd https://127.0.0.1:$P/x.crl; do
	n=${s%%:*}
	printf '[ %s ]\nbasicConstraints = critical,CA:FALSE\ncrlDistributionPoints = URI:%s\n' \
	    "$n" "$s" >> ext.cnf
done
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
for r in root other; do
	openssl req -x509 $ec -keyout $r.key -out $r.pem -days 30 \
	    -subj "/CN=SSRF $r" -config ext.cnf -extensions ca 2>/dev/null
done
# leaf NAME ISSUER SECTION SERIAL
leaf() {
	openssl req -new $ec -keyout "$1.key" -out "$1.csr" -subj "/CN=$1" \
	    -config ext.cnf 2>/dev/null
	openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -days 10 \
	    -set_serial "$4" -extfile ext.cnf -extensions "$3" -out "$1.pem" \
	    2>/dev/null
}
leaf stranger other http 100
leaf good root http 101
leaf victim root http 102
for n in gopher dict ftp smb file https; do
	leaf "scheme-$n" root "$n" 200
done
# forged: victim's certificate with one bit of its signature flipped.
openssl x509 -in victim.pem -outform DER -out forged.der
len=$(stat -c %s forged.der)
last=$(tail -c 1 forged.der | od -An -tu1 | tr -d ' ')
printf "\\$(printf %03o $((last ^ 1)))" |
    dd of=forged.der bs=1 seek=$((len - 1)) conv=notrunc 2>/dev/null
openssl x509 -inform DER -in forged.der -out forged.pem
check "test PKI made" test -s stranger.pem -a -s good.pem -a -s forged.pem \
    -a -s scheme-gopher.pem -a -s scheme-https.pem
check "forged differs from victim" bash -c '! cmp -s forged.pem victim.pem'
# A CRL of the root that lists the victim (and so the forged copy).
openssl ca -config ext.cnf -name ca_db -cert root.pem -keyfile root.key \
    -revoke victim.pem -crl_reason keyCompromise 2>/dev/null
openssl ca -gencrl -config ext.cnf -name ca_db -cert root.pem \
    -keyfile root.key -out root.crl 2>/dev/null

export NETPKI_NOW=$(($(date +%s) + 60))
# state DIR: a trustpoint tp anchored at root, no CRL cached.
state() {
	mkdir -p "$1/trustpoints/tp"
	cp root.pem "$1/trustpoints/tp/ca.pem"
	"$NETPKI" --state "$1" -c configure -c 'crypto ca trustpoint tp' \
	    -c commit >/dev/null 2>&1
}
state S
state C
"$NETPKI" --state C -c "crypto ca crl request file://$WORK/root.crl" \
    >/dev/null 2>&1
check "CRL cached" grep -q 'Entries : 1' < <("$NETPKI" --state C \
    -c 'show crypto ca crls' 2>&1)

out=$("$NETPKI" --state S -c 'crypto ca verify stranger.pem' 2>&1)
check "untrusted: not valid" grep -q '^% Certificate chain is not valid: unable to get local issuer' <<<"$out"
check "untrusted: no revocation result" grep -qx '  Revocation :not checked (path did not verify)' <<<"$out"
check "untrusted: no connection" [ "$(hits)" = "$base" ]

for st in S C; do
	out=$("$NETPKI" --state $st -c 'crypto ca verify forged.pem' 2>&1)
	check "forged ($st): signature failure" grep -q '^% Certificate chain is not valid: certificate signature failure' <<<"$out"
	check "forged ($st): no revocation result" bash -c \
	    '! grep -q "Revocation :\(good\|revoked\|unknown\)" <<<"$1"' _ "$out"
	check "forged ($st): not checked" grep -qx '  Revocation :not checked (path did not verify)' <<<"$out"
	check "forged ($st): no connection" [ "$(hits)" = "$base" ]
done
# The genuine victim is revoked: the cached CRL is used, the forgery not.
out=$("$NETPKI" --state C -c 'crypto ca verify victim.pem' 2>&1)
check "victim: revoked" grep -q '^  Revocation :revoked (keyCompromise' <<<"$out"

for n in gopher dict ftp smb file https; do
	out=$("$NETPKI" --state S -c "crypto ca verify scheme-$n.pem" 2>&1)
	check "$n: refused with a % message" grep -q "^% Certificate chain is not valid: unable to get certificate CRL (depth 0, cn=scheme-$n): CRL distribution point $n://[^ ]* refused: only http and ldap are fetched" <<<"$out"
	check "$n: no connection" [ "$(hits)" = "$base" ]
done

# Control: the trusted leaf with the same http distribution point connects.
out=$("$NETPKI" --state S -c 'crypto ca verify good.pem' 2>&1)
check "good: CRL fetched from its distribution point" [ "$(hits)" -gt "$base" ]
check "good: the 404 is reported" grep -q "unable to get certificate CRL (depth 0, cn=good): http://127.0.0.1:$P/x.crl" <<<"$out"

finish
