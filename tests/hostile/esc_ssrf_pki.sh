# Sourced by esc_printers.sh and ssrf_verify.sh: the openssl(1) settings
# both test PKIs start from (req's empty DN section, a CA profile, the
# `openssl ca -name ca_db` database in $WORK for revocations and CRLs);
# the CA profile comes last, so lines appended to FILE extend it.
pki_cnf() {	# pki_cnf FILE: write the common part
	cat > "$1" <<CNF
[ req ]
distinguished_name = dn
[ dn ]
[ ca_db ]
database = $WORK/index.txt
crlnumber = $WORK/crlnumber
default_md = sha256
default_crl_days = 7
[ ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
CNF
	: > "$WORK/index.txt"
	echo 01 > "$WORK/crlnumber"
}
