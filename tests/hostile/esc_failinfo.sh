#!/bin/bash
# A CA's failInfoText reaches the terminal (and the agent's syslog) through
# the library's enrollment error: scep_badserver's /failesc/ answers
# FAILURE with escape sequences, CR, a C1 CSI, a bidi override and
# printable UTF-8.  The output must hold no control character, and the
# UTF-8 must stay readable.
#   esc_failinfo.sh NETPKI SCEP_BADSERVER DATADIR
. "$(dirname "$0")/../shell/lib.sh"
. "$(dirname "$0")/esc_ssrf_lib.sh"
BAD=$2
DATA=$3
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$WORK"' EXIT
# The server's fixed data is valid at this time.
export NETPKI_NOW=1700000000

for i in 1 2 3 4 5; do
	P=$((20000 + RANDOM % 40000))
	"$BAD" "$DATA" "$P" > "$WORK/bad.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 50); do
		curl -sf -o /dev/null \
		    "http://127.0.0.1:$P/ok?operation=GetCACaps" && break 2
		kill -0 "${PIDS[-1]}" 2>/dev/null || break
		sleep 0.1
	done
done
check "scep_badserver up" curl -sf -o /dev/null \
    "http://127.0.0.1:$P/ok?operation=GetCACaps"

"$NETPKI" --state "$WORK/s" -c configure -c 'hostname r1' \
    -c 'domain name example.com' -c 'crypto ca trustpoint tp' \
    -c "enrollment url http://127.0.0.1:$P/failesc" -c commit -c end \
    -c 'crypto ca authenticate tp' -c yes -c 'crypto ca enroll tp' \
    -c pw -c pw > "$WORK/enroll.out" 2>&1
check "enroll fails" grep -q '^% Certificate enrollment failed: the CA rejected the request: badRequest: ' "$WORK/enroll.out"
check "output is clean" clean enroll "$WORK/enroll.out"
check "failInfoText escaped, UTF-8 kept" grep -qF 'badRequest: \x1B[2J\x1B[HStatus: Available\x0D\u{009B}31m\u{202E}gpj.exe Zürich 東京' "$WORK/enroll.out"

finish
