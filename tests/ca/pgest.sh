#!/bin/bash
# EST on a CA whose store is PostgreSQL: the same code as on SQLite
# (requests, certificates, one-time challenges, pending requests), so a
# short pass: simpleenroll with a one-time challenge, simplereenroll with
# the certificate, then manual approval (202, approve, 200).
#   pgest.sh NETPKI_CA SCEPREQ
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pglib.sh"
. "$(dirname "$0")/estlib.sh"
pglib_find || exit 77
pgest_cleanup() {
	if [ -n "$SERVER_PID" ]; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
		SERVER_PID=
	fi
	pglib_stop
	cleanup
}
trap pgest_cleanup EXIT
pglib_start || fail "cannot start a PostgreSQL server"
cd "$WORK" || exit 1
ca_init --db "$PGURI"
TLSOPTS=

est_start --one-time-challenges
ch=$(ca challenge new --cn 'pg1*' | grep -o '[0-9A-F]\{16\}-[0-9A-F]\{32\}')
csr p1 pg1.example.com
enroll 200 p1 -u "${ch%%-*}:${ch#*-}"
csr p2 pg1b.example.com
enroll 401 p2 -u "${ch%%-*}:${ch#*-}"
openssl req -new -key p1.key -subj /CN=pg1.example.com -outform DER -out p1r.der 2>/dev/null
openssl base64 -in p1r.der > p1r.b64
OP=simplereenroll enroll 200 p1r --cert p1.crt --key p1.key
ca_stop

est_start --approve manual --challenge pw
csr p3 pg3.example.com
enroll 202 p3 -u any:pw
est_approve
enroll 200 p3 -u any:pw
[ "$(ncerts)" = 4 ] || fail "PostgreSQL holds $(ncerts) certificates, expected 4 (with est-tls)"
ca_stop
echo ok
