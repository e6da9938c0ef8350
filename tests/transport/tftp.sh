#!/bin/bash
# TFTP enrollment (issue 8) with Debian's tftpd-hpa (in.tftpd in the
# foreground, bound to 127.0.0.1, --create so that uploads work, a scratch
# directory as its root) and a script playing the CA: it signs every
# <name>.req that appears into <name>.crt with `netpki-ca sign-csr`.
#   - tftp://HOST/NAME: authenticate reads NAME.ca, enroll writes NAME.req
#     (PEM PKCS#10, checked with openssl) and polls until NAME.crt appears;
#   - usage keys: NAME-sign.req/-encr.req, NAME-sign.crt/-encr.crt;
#   - tftp://HOST/ (no file name): the device's FQDN names the files;
#   - the reference's tftp-address;vrf-name/ca-name form;
#   - errors: no .ca file, a .crt for another key, no answer within the
#     retry count, a VRF that does not exist; an http-proxy that is down
#     does not matter (TFTP does not use it).
#   tftp.sh NETPKI NETPKI_CA
. "$(dirname "$0")/lib.sh"
DATA=$(cd "$(dirname "$0")/../data/trustpool" && pwd)
export NETPKI_BUILTIN_BUNDLE=$DATA/builtin.pem
[ -x /usr/sbin/in.tftpd ] || { echo "SKIP: no tftpd-hpa"; exit 77; }

ca init --subject "/O=NetPKI Test/CN=TFTP Test CA" > "$WORK/ca-init.out" 2>&1 ||
    { cat "$WORK/ca-init.out"; exit 1; }
ROOT=$WORK/tftproot
mkdir -p "$ROOT/pki" "$ROOT/noca"
chmod -R 777 "$ROOT"
cp "$CA/ca.crt" "$ROOT/pki/myca.ca"
cp "$CA/ca.crt" "$ROOT/r1.example.net.ca"
cp "$CA/ca.crt" "$ROOT/uk.ca"
cp "$CA/ca.crt" "$ROOT/slow.ca"
# refca.ca as DER: both encodings are read.
openssl x509 -in "$CA/ca.crt" -outform DER -out "$ROOT/refca.ca"

start_tftpd() {
	local pid
	for _ in 1 2 3 4 5; do
		TFTP_PORT=$(free_port) || exit 1
		/usr/sbin/in.tftpd --foreground --address "127.0.0.1:$TFTP_PORT" \
		    --secure --create --user "$(id -un)" "$ROOT" 2>> "$WORK/tftpd.log" &
		pid=$!
		sleep 0.3
		if kill -0 "$pid" 2>/dev/null; then
			PIDS="$PIDS $pid"
			return 0
		fi
	done
	echo "cannot start in.tftpd"; cat "$WORK/tftpd.log"; exit 1
}
start_tftpd
T=tftp://127.0.0.1:$TFTP_PORT

# The CA: sign each new request (not slow-*) once, at most for 2 minutes.
(
	for _ in $(seq 1 1200); do
		for req in "$ROOT"/*.req "$ROOT"/pki/*.req; do
			[ -f "$req" ] || continue
			case $req in */slow*) continue;; esac
			crt=${req%.req}.crt
			[ -f "$crt" ] && [ "$crt" -nt "$req" ] && continue
			ca sign-csr "$req" > "$crt.tmp" 2>> "$WORK/sign.log" &&
			    mv "$crt.tmp" "$crt"
		done
		sleep 0.1
	done
) &
PIDS="$PIDS $!"

# A proxy that is down: http would fail, TFTP must not care.
np > "$WORK/proxy.got" 2>&1 <<IN
configure
hostname r1
domain name example.net
crypto ca http-proxy 127.0.0.1 port 9
commit
end
IN

# 1. tftp://HOST/pki/myca: myca.ca, myca.req, myca.crt.
trustpoint myca "$T/pki/myca"
np > "$WORK/myca.got" 2>&1 <<IN
crypto ca authenticate myca
yes
crypto ca enroll myca
chall
chall
show crypto ca certificates myca
IN
expect_line "$WORK/myca.got" "Do you accept this certificate?? [yes/no]:yes"
expect_line "$WORK/myca.got" "% Certificate request sent to $T/pki/myca.req"
expect_line "$WORK/myca.got" "% Waiting for $T/pki/myca.crt: polling every 1 minute, up to 10 times"
expect_line "$WORK/myca.got" "% Certificate successfully received from Certificate Authority"
expect_line "$WORK/myca.got" "Status :Available"
expect_line "$WORK/myca.got" "unstructuredName=r1.example.net"
openssl req -in "$ROOT/pki/myca.req" -noout -verify > /dev/null 2>&1 ||
    fail "myca.req: not a valid PEM PKCS#10 request"
openssl req -in "$ROOT/pki/myca.req" -noout -subject | grep -q "unstructuredName *= *r1.example.net" ||
    fail "myca.req: subject"
# The password travels in the request (the CA needs it) but is never
# kept by netpki.
grep -rq chall "$WORK/s" && fail "the challenge password is in the state directory"
fp=$(sed -n 's/^Fingerprint: //p' "$WORK/myca.got")
want=$(openssl req -in "$ROOT/pki/myca.req" -outform DER | openssl dgst -md5 -r |
    cut -c1-32 | tr a-f A-F | sed 's/\(........\)/\1 /g; s/ $//')
[ "$fp" = "$want" ] || fail "request fingerprint '$fp', file's MD5 '$want'"

# 2. Usage keys: uk-sign.req/uk-encr.req and the two certificates.
trustpoint uk "$T/uk" "rsakeypair ukeys"
np > "$WORK/uk.got" 2>&1 <<IN
crypto key generate rsa usage-keys ukeys
2048
2048
crypto ca authenticate uk
yes
crypto ca enroll uk
chall
chall
show crypto ca certificates uk
IN
expect_line "$WORK/uk.got" "% Certificate request sent to $T/uk-sign.req"
expect_line "$WORK/uk.got" "% Certificate request sent to $T/uk-encr.req"
expect_line "$WORK/uk.got" "% Waiting for $T/uk-encr.crt: polling every 1 minute, up to 10 times"
[ "$(grep -c '^% Certificate successfully received from Certificate Authority$' "$WORK/uk.got")" = 2 ] ||
    fail "uk: not two certificates"
expect_line "$WORK/uk.got" "Key usage :Signature"
expect_line "$WORK/uk.got" "Key usage :Encryption"

# 3. No file name: the FQDN names the files; the reference's form
#    "tftp-address;vrf-name/ca-name" (lo reaches 127.0.0.1).
trustpoint fq "$T/"
trustpoint ref "127.0.0.1:$TFTP_PORT;lo/refca"
np > "$WORK/names.got" 2>&1 <<IN
crypto ca authenticate fq
yes
crypto ca enroll fq
chall
chall
crypto ca authenticate ref
yes
crypto ca enroll ref
chall
chall
IN
expect_line "$WORK/names.got" "% Certificate request sent to $T/r1.example.net.req"
expect_line "$WORK/names.got" "% Certificate request sent to $T/refca.req"
[ "$(grep -c '^% Certificate successfully received from Certificate Authority$' "$WORK/names.got")" = 2 ] ||
    fail "names: not two certificates"
[ -f "$ROOT/r1.example.net.req" ] || fail "no r1.example.net.req on the server"

# 4. Errors.
cp "$ROOT/pki/myca.crt" "$ROOT/slow.crt"	# a certificate for another key
trustpoint noca "$T/noca/x"
trustpoint slow "$T/slow" "enrollment retry count 2" "rsakeypair slowkey"
trustpoint novrf "$T/pki/myca" "vrf nosuch0"
trustpoint twovrf "127.0.0.1:$TFTP_PORT;lo/refca" "vrf other0"
np > "$WORK/errors.got" 2>&1 <<IN
crypto ca authenticate noca
crypto ca authenticate novrf
crypto ca authenticate twovrf
crypto key generate rsa slowkey
1024
crypto ca authenticate slow
yes
crypto ca enroll slow
chall
chall
show crypto ca certificates slow
IN
expect_line "$WORK/errors.got" "% Trustpoint noca: $T/noca/x.ca: no such file on the server"
expect_line "$WORK/errors.got" "% Trustpoint novrf: VRF nosuch0 does not exist (no such network device)"
expect_line "$WORK/errors.got" "% Trustpoint twovrf: enrollment url names VRF lo but the trustpoint's vrf is other0"
expect_grep "$WORK/errors.got" "^% Poll 1 of 2: slow.crt: .*"
expect_line "$WORK/errors.got" "% No certificate in $T/slow.crt after 2 polls: enter 'crypto ca enroll slow' again to send a new request"
grep -q "^Router certificate" "$WORK/errors.got" && fail "slow: a router certificate was stored"
[ -f "$ROOT/slow.req" ] || fail "slow: no request on the server"

[ -n "${VERBOSE:-}" ] && cat "$WORK"/*.got
finish
