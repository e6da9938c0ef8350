#!/bin/bash
# HTTPS (issue 8): netpki-ca behind a TLS front (socat) on 127.0.0.1 whose
# server certificate that CA issued, and a second front whose certificate
# comes from a CA nobody trusts.  The server is checked against the
# trustpoint's own CA and the trust pool, never the system's store:
#   - enroll over https works once the trustpoint is authenticated;
#   - authenticate over https works when the pool holds the CA, fails
#     (naming the reason) when it does not;
#   - trust pool import over https: the same check;
#   - the untrusted front fails everywhere, and nothing is stored.
#   https.sh NETPKI NETPKI_CA
. "$(dirname "$0")/lib.sh"
DATA=$(cd "$(dirname "$0")/../data/trustpool" && pwd)
# A small built-in pool that does not hold the test CA.
export NETPKI_BUILTIN_BUNDLE=$DATA/builtin.pem

ca_start 127.0.0.1
server_cert srv 127.0.0.1 127.0.0.1
tls_front TLS "$CA_PORT" "$WORK/srv.pem"
# The rogue CA and its server certificate for the same address.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/rogue-ca.key" \
    -subj "/CN=Rogue CA" -days 30 -out "$WORK/rogue-ca.crt" 2> /dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout "$WORK/rogue.key" \
    -subj "/CN=127.0.0.1" -out "$WORK/rogue.csr" 2> /dev/null
openssl x509 -req -in "$WORK/rogue.csr" -CA "$WORK/rogue-ca.crt" \
    -CAkey "$WORK/rogue-ca.key" -CAcreateserial -days 30 \
    -extfile <(echo "subjectAltName=IP:127.0.0.1") -out "$WORK/rogue.crt" 2> /dev/null
cat "$WORK/rogue.key" "$WORK/rogue.crt" > "$WORK/rogue.pem"
tls_front BAD "$CA_PORT" "$WORK/rogue.pem"
H=http://127.0.0.1:$CA_PORT/scep
S=https://127.0.0.1:$TLS/scep
B=https://127.0.0.1:$BAD/scep

# 1. Not authenticated, the pool lacks the CA: authenticate over https
#    is refused by the TLS check and nothing is stored.
trustpoint myca "$S"
np > "$WORK/auth-untrusted.got" 2>&1 <<IN
crypto ca authenticate myca
show crypto ca certificates myca
IN
expect_grep "$WORK/auth-untrusted.got" "^% Trustpoint myca: $S\\?operation=GetCACaps: the server's TLS certificate is not trusted \\(checked against the trust pool and the trustpoint's CA\\): SSL certificate problem: unable to get local issuer certificate$"
grep -q "^CA certificate" "$WORK/auth-untrusted.got" && fail "auth-untrusted: a CA was stored"

# 2. Authenticate over http, then enroll over https: the trustpoint's CA
#    is the anchor.
trustpoint myca "$H"
np > "$WORK/auth-http.got" 2>&1 <<IN
crypto ca authenticate myca
yes
IN
expect_line "$WORK/auth-http.got" "Do you accept this certificate?? [yes/no]:yes"
trustpoint myca "$S"
np > "$WORK/enroll-https.got" 2>&1 <<IN
crypto ca enroll myca
secret
secret
show crypto ca certificates myca
IN
expect_line "$WORK/enroll-https.got" "% Certificate successfully received from Certificate Authority"
expect_line "$WORK/enroll-https.got" "Status :Available"

# 3. The same trustpoint against the rogue front: refused, naming why.
trustpoint myca "$B"
np > "$WORK/enroll-rogue.got" 2>&1 <<IN
crypto ca enroll myca
yes
IN
expect_grep "$WORK/enroll-rogue.got" "^% Trustpoint myca: $B\\?operation=GetCACaps: the server's TLS certificate is not trusted \\(checked against the trust pool and the trustpoint's CA\\): SSL certificate problem: unable to get local issuer certificate$"

# 4. The pool: import the CA from a file, then a fresh trustpoint
#    authenticates over https with the pool as the anchor, and a bundle
#    downloads over https; the rogue front still fails.
np > "$WORK/pool.got" 2>&1 <<IN
crypto ca trustpool import url file://$CA/ca.crt
crypto ca trustpool import url https://127.0.0.1:$BAD/bundle.pem
crypto ca trustpool import url https://127.0.0.1:$TLS/bundle.pem
IN
expect_line "$WORK/pool.got" "% https://127.0.0.1:$BAD/bundle.pem: the server's TLS certificate is not trusted (checked against the trust pool and the trustpoint's CA): SSL certificate problem: unable to get local issuer certificate"
expect_line "$WORK/pool.got" "% The trust pool is unchanged."
[ "$(grep -c '^Trustpool import: attempted: 1, installed: 1' "$WORK/pool.got")" = 2 ] ||
    fail "pool: not two successful imports (file, https)"
trustpoint pooltp "$S"
np > "$WORK/auth-pool.got" 2>&1 <<IN
crypto ca authenticate pooltp
yes
IN
expect_line "$WORK/auth-pool.got" "Do you accept this certificate?? [yes/no]:yes"
trustpoint roguetp "$B"
np > "$WORK/auth-rogue.got" 2>&1 <<IN
crypto ca authenticate roguetp
IN
expect_grep "$WORK/auth-rogue.got" "^% Trustpoint roguetp: .*: the server's TLS certificate is not trusted"

# 5. The system's store is never used: a front with a certificate from a
#    CA in /etc/ssl/certs cannot be made here, so check that curl's
#    default bundle is not consulted: an empty pool and no trustpoint CA
#    refuse https before connecting.
export NETPKI_BUILTIN_BUNDLE=$WORK/empty.pem
: > "$NETPKI_BUILTIN_BUNDLE"
"$NETPKI" --state "$WORK/s2" > "$WORK/noanchor.got" 2>&1 <<IN
configure
crypto ca trustpoint t2
enrollment url $S
commit
end
crypto ca authenticate t2
IN
expect_line "$WORK/noanchor.got" "% no trust anchors for https: the trust pool is empty and trustpoint t2 is not authenticated"

[ -n "${VERBOSE:-}" ] && cat "$WORK"/*.got
finish
