# Sourced by the esc_* and ssrf_* tests.

# clean NAME FILE: FILE holds no control character (C0 but LF, DEL, C1 raw
# or as UTF-8, bidi controls, line separators) and is valid UTF-8.
clean() {
	LC_ALL=C.UTF-8 iconv -f UTF-8 -t UTF-8 "$2" >/dev/null 2>&1 ||
	    { echo "$1: not valid UTF-8"; return 1; }
	if LC_ALL=C.UTF-8 grep -naP '[\x{0}-\x{9}\x{b}-\x{1f}\x{7f}-\x{9f}\x{61c}\x{200e}\x{200f}\x{2028}-\x{202e}\x{2066}-\x{2069}]' "$2"; then
		echo "$1: control characters reach the output"
		return 1
	fi
}

# pki_cnf FILE: the openssl(1) settings the test PKIs start from (req's
# empty DN section, the `openssl ca -name ca_db` database in $WORK for
# revocations and CRLs, a CA profile); the CA profile comes last, so lines
# appended to FILE extend it.
pki_cnf() {
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
