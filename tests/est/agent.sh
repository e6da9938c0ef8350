#!/bin/bash
# EST pending request polled by the agent: the shell's one poll gets 202
# again and gives up; the agent, at the next retry boundary, sends the
# request again (RFC 7030 4.2.3), stores the certificate and forgets the
# pending request.  With http-auth the agent has no password: it says so
# and keeps the request; the shell, given it, resumes the request.
#   agent.sh NETPKI
set -eu
NETPKI=$1
WORK=$(mktemp -d /tmp/netpki-est-agent.XXXXXX)
STATE=$WORK/state
trap 'rm -rf "$WORK"' EXIT
. "$(dirname "$0")/lib.sh"
est_start
t0=$NETPKI_NOW
NETPKI_MINUTE=0 "$NETPKI" --state "$STATE" > "$WORK/shell.log" <<EOF2 || true
configure
hostname r1
domain name example.com
crypto ca trustpoint est1
enrollment url https://127.0.0.1:$ESTPORT
method-est
est-label pending
enrollment retry count 1
commit
end
crypto ca authenticate est1
yes
crypto ca enroll est1
EOF2
grep -q 'No certificate after 1 polls' "$WORK/shell.log"
[ -e "$STATE/trustpoints/est1/pending/general" ]
[ ! -e "$STATE/trustpoints/est1/cert-general.pem" ]
# The pending record holds no request and no password.
if grep -q 'REQUEST' "$STATE/trustpoints/est1/pending/general"; then
	echo "the pending record holds the request"; exit 1
fi
NETPKI_NOW=$((t0 + 61)) "$NETPKI" agent --once --state "$STATE" --stderr \
    2> "$WORK/agent.log"
grep -q 'trustpoint est1: certificate for the general purpose key received' \
    "$WORK/agent.log"
[ -e "$STATE/trustpoints/est1/cert-general.pem" ]
[ ! -e "$STATE/trustpoints/est1/pending/general" ]
NETPKI_NOW=$((t0 + 61)) "$NETPKI" --state "$STATE" \
    -c 'show crypto ca certificates est1' | grep -q '^Status :Available'
# With http-auth the agent has no password: the request stays pending and
# the log says why; the shell, given the password, resumes and gets it.
NETPKI_MINUTE=0 "$NETPKI" --state "$STATE" > "$WORK/shell2.log" <<EOF2 || true
configure
crypto ca trustpoint est2
enrollment url https://127.0.0.1:$ESTPORT
method-est
est-label authpending
enrollment http-auth username dev1
enrollment retry count 1
commit
end
crypto ca authenticate est2
yes
crypto ca enroll est2
secret1
EOF2
grep -q 'No certificate after 1 polls' "$WORK/shell2.log"
NETPKI_NOW=$((t0 + 61)) "$NETPKI" agent --once --state "$STATE" --stderr \
    2> "$WORK/agent2.log"
grep -q "trustpoint est2: poll 1 of 1 for the general purpose key: the EST server needs the http-auth password" \
    "$WORK/agent2.log"
[ -e "$STATE/trustpoints/est2/pending/general" ]
if grep -rq secret1 "$STATE"; then
	echo "the password reached the state directory"; exit 1
fi
NETPKI_MINUTE=0 "$NETPKI" --state "$STATE" > "$WORK/shell3.log" <<EOF2
crypto ca enroll est2
secret1
EOF2
grep -q 'Resuming the pending General Purpose key request' "$WORK/shell3.log"
grep -q 'Certificate successfully received' "$WORK/shell3.log"
[ ! -e "$STATE/trustpoints/est2/pending/general" ]
# A server that asks for two hours (Retry-After: 7200, longer than the
# retry period): the pending record says until when; the agent does not
# poll at the first boundary (this server would answer that poll with the
# certificate) and polls at the time the server gave, past the last
# boundary, and gets it.
NETPKI_MINUTE=0 "$NETPKI" --state "$STATE" > "$WORK/shell4.log" <<EOF2 || true
configure
crypto ca trustpoint est3
enrollment url https://127.0.0.1:$ESTPORT
method-est
est-label slowpending
enrollment retry count 1
commit
end
crypto ca authenticate est3
yes
crypto ca enroll est3
EOF2
grep -q 'No certificate after 1 polls' "$WORK/shell4.log"
grep -qx "not-before $((t0 + 7200))" "$STATE/trustpoints/est3/pending/general"
"$NETPKI" --state "$STATE" -c 'show crypto ca certificates est3' \
    > "$WORK/show4.log"
grep -q '^Next poll not before :' "$WORK/show4.log"
NETPKI_NOW=$((t0 + 61)) "$NETPKI" agent --once --state "$STATE" --stderr \
    2> "$WORK/agent4.log"
grep -q "trustpoint est3: the server asked to wait: the general purpose key's request is polled again at " \
    "$WORK/agent4.log"
if grep -q 'trustpoint est3: \(poll\|certificate\)' "$WORK/agent4.log"; then
	echo "the agent polled before the server's Retry-After"; exit 1
fi
[ ! -e "$STATE/trustpoints/est3/cert-general.pem" ]
NETPKI_NOW=$((t0 + 7200)) "$NETPKI" agent --once --state "$STATE" --stderr \
    2> "$WORK/agent5.log"
grep -q 'trustpoint est3: certificate for the general purpose key received' \
    "$WORK/agent5.log"
[ -e "$STATE/trustpoints/est3/cert-general.pem" ]
[ ! -e "$STATE/trustpoints/est3/pending/general" ]
echo "est agent: ok"
