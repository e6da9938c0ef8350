# shellcheck shell=bash
# EST helpers for the netpki-ca tests (after lib.sh): start serve with an
# HTTPS listener, and curl as the EST client.
#   . estlib.sh

# est_start [serve options]: sets PORT, URL, EST (the EST base URL).
# TLSOPTS: the listener's certificate options (empty: the CA's own).
TLSOPTS="--tls-cert tls.crt --tls-key tls.key"
est_start() {
	# shellcheck disable=SC2086
	ca_start --est-listen 127.0.0.1:0 $TLSOPTS "$@"
	EPORT=$(grep 'EST on' "$LOG" | tail -n 1 | sed -n 's/.*EST on 127\.0\.0\.1:\([0-9]*\) .*/\1/p')
	[ -n "$EPORT" ] || fail "no EST port in the log"
	EST=https://127.0.0.1:$EPORT/.well-known/est
}

# est_curl WANT_STATUS PATH [curl options]: the status must be WANT;
# the body is in $BODY, the headers in $HDR.
est_curl() {
	local want=$1 path=$2 code
	shift 2
	code=$(curl -s --cacert "$CA/ca.crt" -D hdr.txt -o body.txt \
		-w '%{http_code}' "$@" "$EST/$path")
	BODY=$(cat body.txt)
	HDR=$(cat hdr.txt)
	[ "$code" = "$want" ] || fail "$path: HTTP $code, expected $want: $BODY"
}

# csr NAME CN: NAME.key and NAME.b64 (base64 DER PKCS#10).
csr() {
	openssl req -new -newkey rsa:2048 -nodes -keyout "$1.key" -subj "/CN=$2" \
		-outform DER -out "$1.der" 2>/dev/null || fail "csr $1"
	openssl base64 -in "$1.der" > "$1.b64"
}

# enroll WANT NAME [curl options]: POST NAME.b64 to simpleenroll; a 200
# leaves NAME.crt.
enroll() {
	local want=$1 name=$2 op=${OP:-simpleenroll}
	shift 2
	est_curl "$want" "$op" -H "Content-Type: ${CTYPE:-application/pkcs10}" \
		--data-binary "@$name.b64" "$@"
	[ "$want" = 200 ] || return 0
	contains "$HDR" "application/pkcs7-mime; smime-type=certs-only"
	openssl base64 -d -in body.txt | openssl pkcs7 -inform DER -print_certs \
		> "$name.crt" || fail "$name: not a certs-only PKCS#7"
	openssl verify -CAfile "$CA/ca.crt" "$name.crt" > /dev/null || fail "$name: verify"
}

ncerts() { ca list | grep -vc '^#'; }

# est_approve: approve the one pending request; its ID in $id.
est_approve() {
	expect 0 ca requests --pending
	id=$(echo "$OUT" | awk '!/^#/{print $1}')
	[ -n "$id" ] || fail "no pending request"
	expect 0 ca approve "$id"
}
