#!/bin/bash
# "| json": every show command's document parses (python3's json module,
# strict), is the whole output of a -c run, holds no raw control byte, and
# gives back the hostile names of tests/data/json/hostile-ca.pem exactly
# (RFC 4514 escapes of cert_dn aside) after decoding.
. "$(dirname "$0")/lib.sh"
DATA=$(cd "$(dirname "$0")/../data" && pwd)
S=$WORK/s
export NETPKI_NOW=1796860800
export NETPKI_BUILTIN_BUNDLE=$DATA/json/hostile-ca.pem
mkdir -p "$S/trustpoints/tp"
chmod 700 "$S" "$S/trustpoints" "$S/trustpoints/tp"
cp "$DATA/json/hostile-ca.pem" "$S/trustpoints/tp/ca.pem"
printf '!generation 1\ncrypto ca trustpoint tp\n enrollment terminal\n!\n' \
    > "$S/config"
"$NETPKI" --state "$S" -c 'crypto key generate ecdsa nistp256 k' \
    >/dev/null 2>&1

# check_json.py DOC KEYPATH WANT: the document is strict JSON, printable ASCII
# or UTF-8 only, and DOC[KEYPATH] == WANT (Python literal) when given.
cat > "$WORK/check_json.py" <<'PY'
import ast, json, sys
raw = open(sys.argv[1], 'rb').read()
text = raw.decode('utf-8')            # valid UTF-8 or an exception
bad = [c for c in text if ord(c) < 0x20 and c not in '\n ']
assert not bad, 'raw control characters: %r' % bad
doc = json.loads(text, parse_constant=lambda c: 1 / 0)
if len(sys.argv) > 2:
    v = doc
    for k in sys.argv[2].split('/'):
        v = v[int(k)] if k.isdigit() else v[k]
    want = ast.literal_eval(sys.argv[3])
    assert v == want, '%r != %r' % (v, want)
PY
valid() {	# valid COMMAND [KEYPATH WANT]
	local cmd=$1
	shift
	"$NETPKI" --state "$S" -c "$cmd | json" > "$WORK/out" 2>"$WORK/err" &&
	    python3 "$WORK/check_json.py" "$WORK/out" "$@"
}

cn="'evil\\x1b[31m\\\\\"quoted\\\\\"\\\\\\\\back\\nline\\tTab\\x9bCSI\\u202eRLO\\u2028LS\\x7fDEL'"
o="'raw\\x85\\x9bbyte nul\\\\00\\xffhere'"
check "certificates: subject decodes to the name" valid \
    'show crypto ca certificates' trustpoints/0/ca_certificate/subject_name \
    "'o=' $o ',cn=' $cn"
check "certificates NAME" valid 'show crypto ca certificates tp' \
    trustpoints/0/ca_certificate/issued_by "'o=' $o ',cn=' $cn"
check "trustpoint status" valid 'show crypto ca trustpoint tp status' \
    trustpoints/0/issuing_ca_certificate/subject_name \
    "'o=' $o ',cn=' $cn"
check "trustpoint status (all)" valid 'show crypto ca trustpoint status'
check "trustpool" valid 'show crypto ca trustpool' certificates/0/subject \
    "'O=' $o ',CN=' $cn"
check "trustpool policy" valid 'show crypto ca trustpool policy' \
    policy/earliest_expiry_subject "'O=' $o ',CN=' $cn"
check "crls" valid 'show crypto ca crls' crls "[]"
check "mypubkey ecdsa" valid 'show crypto key mypubkey ecdsa' keys/0/label \
    "'k'"
check "mypubkey rsa" valid 'show crypto key mypubkey rsa' keys "[]"
check "authentication rsa" valid 'show crypto key authentication rsa' keys \
    "[]"
check "running-config" valid 'show running-config' statements/0/line \
    "'crypto ca trustpoint tp'"
check "commit list" valid 'show configuration commit list' commits "[]"

# A failing show command prints its error and no document.
"$NETPKI" --state "$S" -c 'show crypto ca certificates nosuch | json' \
    > "$WORK/out" 2>&1
check "failure: exit status 1" [ $? = 1 ]
check "failure: the error, no document" grep -qx \
    '% Trustpoint nosuch is not configured' "$WORK/out"
check "failure: one line" [ "$(wc -l < "$WORK/out")" = 1 ]
# The checker does fail on a wrong value.
valid 'show crypto key mypubkey ecdsa' keys/0/label "'x'" 2>/dev/null
check "a wrong value is caught" [ $? != 0 ]
finish
