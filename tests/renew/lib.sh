# shellcheck shell=bash
# Shared by the renewal tests: netpki-ca from tests/ca/lib.sh, a netpki
# state directory per case, the agent under the test clock.
#   source lib.sh NETPKI_CA SCEPREQ NETPKI
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../ca/lib.sh"
NETPKI=$(realpath "$3")
cd "$WORK" || exit 1
T0=$(date +%s)
DAY=86400

# np STATE ARGS...: the shell on a state directory, at $NOW.
np() { local s=$1; shift; NETPKI_NOW=$NOW "$NETPKI" --state "$WORK/$s" "$@"; }
# agent STATE [env...]: one round of the agent at $NOW, its log kept and
# its metrics in $WORK/STATE.prom.
agent() {
	local s=$1
	shift
	env NETPKI_NOW="$NOW" "$@" "$NETPKI" agent --state "$WORK/$s" --once \
	    --stderr --metrics-file "$WORK/$s.prom" > "$WORK/agent.log" 2>&1
}
# serve [options]: (re)start netpki-ca at $NOW with 10-day certificates.
serve() {
	[ -n "$SERVER_PID" ] && ca_stop
	NETPKI_NOW=$NOW ca_start --challenge pw --cert-days 10 "$@"
}
# tp_setup STATE TP AUTOENROLL [rsakeypair]: configure, authenticate, enroll.
tp_setup() {
	local s=$1 tp=$2 ae=$3 key=${4:-}
	{
		printf 'configure\ncrypto ca trustpoint %s\n' "$tp"
		printf 'enrollment url %s\n%s\n' "$URL" "$ae"
		[ -n "$key" ] && printf 'rsakeypair %s\n' "$key"
		printf 'commit\nend\n'
		[ -n "$key" ] && printf 'crypto key generate rsa %s\n2048\n' "$key"
		printf 'crypto ca authenticate %s\nyes\n' "$tp"
		printf 'crypto ca enroll %s\npw\npw\n' "$tp"
	} | np "$s" > "$WORK/setup.log" 2>&1
	grep -q "Certificate successfully received" "$WORK/setup.log" ||
	    fail "enroll $tp: $(cat "$WORK/setup.log")"
}
# seturl STATE TP: the server's new port after a restart.
seturl() {
	printf 'configure\ncrypto ca trustpoint %s\nenrollment url %s\ncommit\nend\n' \
	    "$2" "$URL" | np "$1" > /dev/null 2>&1
}
# pub FILE: the public key of a certificate or key file (SPKI, PEM).
pubcert() { openssl x509 -in "$1" -noout -pubkey; }
pubkey() { openssl pkey -in "$1" -pubout; }
# pair_ok STATE TP LABEL: the certificate holds the key pair's public key.
pair_ok() {
	[ "$(pubcert "$WORK/$1/trustpoints/$2/cert-general.pem")" = \
	    "$(pubkey "$WORK/$1/keys/rsa/$3.pem")" ]
}
serial() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
field() { awk -v k="$2" '$1 == k { sub(/^[^ ]* /, ""); print }' "$1"; }
