#!/bin/sh
# Regenerates the trust pool test certificates and bundles (committed; run
# by hand).  Fixed validity dates so that tests run with NETPKI_NOW=1700000000
# (Tue Nov 14 2023) see the same expired/valid picture on any day.
#   rootA      CA, 2023-01-01 .. 2033-01-01  (in builtin.pem)
#   rootB-old  CA, same subject as rootB, other key (in builtin.pem)
#   rootD      CA, v1 self-signed (no extensions) (in builtin.pem)
#   rootB      CA, 2023-01-01 .. 2030-06-01
#   rootC      CA, 2020-01-01 .. 2023-06-01 (expired at NETPKI_NOW)
#   leaf       CA:FALSE, issued by rootA (skipped by the CA filter)
#   signer     CA:FALSE, issued by rootA: signs bundle-signed.p7b
#   rogue      self-signed signer outside the pool: signs bundle-rogue.p7b
set -eu
cd "$(dirname "$0")"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

cat > "$T/ca.cnf" <<CNF
[ ca ]
default_ca = d
[ d ]
database = \$ENV::DB/index
new_certs_dir = \$ENV::DB
serial = \$ENV::DB/serial
default_md = sha256
policy = p
unique_subject = no
email_in_dn = no
copy_extensions = none
[ p ]
organizationName = optional
commonName = supplied
[ v3ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ v3sign ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3ee ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF

# mk NAME SUBJECT START END EXT [ISSUER] [SERIAL]
mk() {
	name=$1 subj=$2 start=$3 end=$4 ext=$5 iss=${6:-} ser=${7:-01}
	DB="$T/db-$name"; export DB
	mkdir -p "$DB"; : > "$DB/index"; echo "$ser" > "$DB/serial"
	[ -f "$name.key" ] || openssl genpkey -algorithm EC \
	    -pkeyopt ec_paramgen_curve:P-256 -out "$name.key" 2>/dev/null
	openssl req -new -key "$name.key" -subj "$subj" -out "$T/$name.csr"
	if [ -z "$iss" ]; then
		set -- -selfsign -keyfile "$name.key"
	else
		set -- -cert "$iss.pem" -keyfile "$iss.key"
	fi
	if [ "$ext" = none ]; then
		openssl ca -batch -notext -config "$T/ca.cnf" "$@" \
		    -startdate "$start" -enddate "$end" -in "$T/$name.csr" \
		    -out "$name.pem" 2>/dev/null
	else
		openssl ca -batch -notext -config "$T/ca.cnf" "$@" \
		    -extensions "$ext" -startdate "$start" -enddate "$end" \
		    -in "$T/$name.csr" -out "$name.pem" 2>/dev/null
	fi
}

mk rootA "/O=NetPKI Test/CN=NetPKI Test Root A" 20230101000000Z 20330101000000Z v3ca "" 5FF87B282B54DC8D42A315B568C9ADFF
mk rootB-old "/O=NetPKI Test/CN=NetPKI Test Root B" 20220101000000Z 20320101000000Z v3ca "" 0B01
mk rootD "/O=NetPKI Test/CN=NetPKI Test Root D v1" 20230101000000Z 20350101000000Z none "" 0D
mk rootB "/O=NetPKI Test/CN=NetPKI Test Root B" 20230101000000Z 20300601000000Z v3ca "" 0B02
mk rootC "/O=NetPKI Test/CN=NetPKI Test Root C" 20200101000000Z 20230601000000Z v3ca "" 0C
mk leaf "/O=NetPKI Test/CN=leaf.example.net" 20230101000000Z 20280101000000Z v3ee rootA 1001
mk signer "/O=NetPKI Test/CN=NetPKI Bundle Signer" 20230101000000Z 20280101000000Z v3sign rootA 1002
mk rogue "/O=Rogue/CN=Rogue Bundle Signer" 20230101000000Z 20280101000000Z v3sign "" 66

cat rootA.pem rootB-old.pem rootD.pem > builtin.pem
cat rootB.pem rootC.pem leaf.pem > bundle.pem
openssl crl2pkcs7 -nocrl -certfile bundle.pem -outform DER -out bundle.p7b
# Signed bundles: the signed content is the certificates-only bundle.p7b
# (only what the signature covers is installed); the signer is a
# code-signing certificate.
openssl smime -sign -binary -nodetach -outform DER -in bundle.p7b \
    -signer signer.pem -inkey signer.key -out bundle-signed.p7b
openssl smime -sign -binary -nodetach -outform DER -in bundle.p7b \
    -signer rogue.pem -inkey rogue.key -out bundle-rogue.p7b
# A bad signature: the same signed bundle with one byte of its content flipped.
python3 - <<'PY'
d = bytearray(open("bundle-signed.p7b", "rb").read())
i = d.find(open("bundle.p7b", "rb").read()[40:60])
d[i] ^= 0x20
open("bundle-badsig.p7b", "wb").write(d)
d = open("bundle.p7b", "rb").read()
open("bundle-truncated.p7b", "wb").write(d[: len(d) // 2])
PY
# One good block, then a block whose base64 is damaged.
{ cat rootB.pem; sed '3s/^.\{8\}/!!!!!!!!/' rootC.pem; } > bundle-badblock.pem
head -c 512 /dev/urandom > garbage.bin 2>/dev/null || true
cat signer.pem rootA.pem > signer-chain.pem
rm -f ./*.key.tmp
# A signed bundle with an extra certificate outside the signed content
# (not covered by the signature: must not be installed), and one signed
# by a certificate that is not a code-signing certificate (the leaf).
openssl smime -sign -binary -nodetach -outform DER -in bundle.p7b \
    -signer signer.pem -inkey signer.key -certfile rogue.pem \
    -out bundle-signed-extra.p7b
openssl smime -sign -binary -nodetach -outform DER -in bundle.p7b \
    -signer leaf.pem -inkey leaf.key -out bundle-noeku.p7b
# A signed bundle whose signed content is PEM (bundle.pem); and one with a
# valid signature by a code-signing certificate of rootB, a CA that the
# bundle itself brings and the pool before the import lacks (its rootB-old
# has rootB's subject, not its key): the signer must chain to that pool.
mk signer-b "/O=NetPKI Test/CN=NetPKI Bundle Signer B" 20230101000000Z 20280101000000Z v3sign rootB 1003
openssl smime -sign -binary -nodetach -outform DER -in bundle.pem \
    -signer signer.pem -inkey signer.key -out bundle-signed-pem.p7b
openssl smime -sign -binary -nodetach -outform DER -in bundle.p7b \
    -signer signer-b.pem -inkey signer-b.key -certfile rootB.pem \
    -out bundle-otherca.p7b
