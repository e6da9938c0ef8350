#!/bin/bash
# CRLs over LDAP from a real slapd (Debian's), started here on 127.0.0.1
# with a throwaway configuration, holding the CRL in
# certificateRevocationList;binary:
#   - crypto ca crl request ldap://...: fetched, verified, cached;
#   - a certificate whose distribution point is that LDAP URL: verify
#     fetches the CRL and says good; its revoked sibling: revoked;
#   - with the trustpoint grammar present: a host-less ldap:/// point is
#     looked up at the trustpoint's query url.
. "$(dirname "$0")/../shell/lib.sh"
NETPKI=$(cd "$(dirname "$NETPKI")" && pwd)/$(basename "$NETPKI")
SLAPD_PID=
trap '[ -n "$SLAPD_PID" ] && kill "$SLAPD_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
cd "$WORK"
S=$WORK/state
command -v slapd >/dev/null || { echo "slapd not installed"; exit 1; }

LP=$((20000 + RANDOM % 40000))
DN="cn=Interop LDAP CA,dc=test"
# %2C: a comma would split the extension value in openssl.cnf.
DNURL="cn=Interop%20LDAP%20CA%2Cdc=test"
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
[ leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
crlDistributionPoints = URI:ldap://127.0.0.1:$LP/$DNURL?certificateRevocationList;binary
[ hostless ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
crlDistributionPoints = URI:ldap:///$DNURL
CNF
: > index.txt
echo 1000 > serial
echo 01 > crlnumber
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
openssl req -x509 $ec -keyout ca.key -out ca.pem -days 30 \
    -subj "/DC=test/CN=Interop LDAP CA" -config ca.cnf -extensions v3_ca 2>/dev/null
for n in good revoked hostless; do
	openssl req -new $ec -keyout $n.key -out $n.csr -subj "/CN=$n" 2>/dev/null
	ext=leaf
	[ $n = hostless ] && ext=hostless
	openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key \
	    -in $n.csr -out $n.pem -extensions $ext -days 10 -notext 2>/dev/null
done
openssl ca -config ca.cnf -cert ca.pem -keyfile ca.key -revoke revoked.pem \
    -crl_reason superseded 2>/dev/null
openssl ca -gencrl -config ca.cnf -cert ca.pem -keyfile ca.key \
    -out crl.pem 2>/dev/null
openssl crl -in crl.pem -outform DER -out crl.der
# The CA's name is "cn=Interop LDAP CA,dc=test": the entry holding its CRL.
DN="cn=Interop LDAP CA,dc=test"
mkdir db
cat > slapd.conf <<CNF
include /etc/ldap/schema/core.schema
pidfile $WORK/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
suffix "dc=test"
rootdn "cn=admin,dc=test"
directory $WORK/db
CNF
printf 'dn: dc=test\nobjectClass: dcObject\nobjectClass: organization\no: test\ndc: test\n\ndn: %s\nobjectClass: cRLDistributionPoint\ncn: Interop LDAP CA\ncertificateRevocationList;binary:: %s\n' \
    "$DN" "$(base64 -w0 crl.der)" > data.ldif
slapadd -f slapd.conf -l data.ldif >/dev/null 2>&1
check "slapadd loaded the CRL" [ $? = 0 ]
slapd -f slapd.conf -h "ldap://127.0.0.1:$LP/" -d 0 > slapd.log 2>&1 &
SLAPD_PID=$!
for _ in $(seq 50); do
	curl -s -o /dev/null "ldap://127.0.0.1:$LP/dc=test" && break
	sleep 0.1
done
mkdir -p "$S/trustpoints/tp"
cp ca.pem "$S/trustpoints/tp/ca.pem"
"$NETPKI" --state "$S" -c configure -c 'crypto ca trustpoint tp' -c commit \
    >/dev/null

url="ldap://127.0.0.1:$LP/$DNURL?certificateRevocationList;binary"
out=$("$NETPKI" --state "$S" -c "crypto ca crl request $url" 2>&1)
check "crl request over LDAP" grep -q '^CRL of cn=Interop LDAP CA,dc=test: 1 entries' <<<"$out"
check "verified by the trustpoint's CA (no warning)" bash -c "! grep -q Warning <<<\"\$1\"" _ "$out"
"$NETPKI" --state "$S" -c 'clear crypto ca crl' >/dev/null

out=$("$NETPKI" --state "$S" -c "crypto ca verify good.pem" 2>&1)
check "good: valid with the CRL from its LDAP distribution point" \
    grep -qx "  Revocation :good (CRL $url)" <<<"$out"
out=$("$NETPKI" --state "$S" -c "crypto ca verify revoked.pem" 2>&1)
check "revoked: revoked (superseded)" grep -q '^  Revocation :revoked (superseded' <<<"$out"

# Host-less ldap:/// needs the trustpoint's query url (trustpoint grammar).
if "$NETPKI" --state "$S" -c configure -c 'crypto ca trustpoint tp' \
    -c "query url ldap://127.0.0.1:$LP" -c commit >/dev/null 2>&1; then
	"$NETPKI" --state "$S" -c 'clear crypto ca crl' >/dev/null
	out=$("$NETPKI" --state "$S" -c "crypto ca verify hostless.pem" 2>&1)
	check "host-less ldap:/// point resolved with query url" \
	    grep -qx 'Certificate chain is valid' <<<"$out"
else
	echo "SKIP: query url (no trustpoint grammar in this build)"
fi
out=$("$NETPKI" --state "$S" -c "crypto ca verify hostless.pem" 2>&1)
check "host-less point without query url: clear reason" \
    grep -q 'no usable CRL distribution point\|Certificate chain is valid' <<<"$out"
finish
