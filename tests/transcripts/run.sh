#!/bin/bash
# Transcript test: feed NAME.in to netpki on stdin (scripted mode) with a
# fresh state directory and compare its output with NAME.out exactly.
#   run.sh NETPKI NAME.in
# Optional files beside NAME.in:
#   NAME.setup  sourced first (bash); may use $STATE, $NETPKI, $DATA, $WORK
#   NAME.rc     expected exit status (default 0)
#   NAME.args   extra netpki arguments (one line)
# In NAME.out, "{{*}}" matches any text within one line (for key bytes,
# fingerprints and times that change every run); everything else is exact.
set -u
NETPKI=$1
IN=$2
base=${IN%.in}
DATA=$(cd "$(dirname "$0")/../data" 2>/dev/null && pwd || echo /nonexistent)
WORK=$(mktemp -d /tmp/netpki-transcript.XXXXXX)
STATE=$WORK/state
export NETPKI DATA WORK STATE
trap 'rm -rf "$WORK"' EXIT
export NETPKI_NOW=${NETPKI_NOW:-1700000000}
[ -f "$base.setup" ] && . "$base.setup"
args=()
[ -f "$base.args" ] && read -r -a args < "$base.args"
"$NETPKI" --state "$STATE" "${args[@]}" < "$IN" > "$WORK/got" 2> "$WORK/stderr"
rc=$?
want_rc=0
[ -f "$base.rc" ] && want_rc=$(cat "$base.rc")
fail=0
if [ "$rc" != "$want_rc" ]; then
	echo "exit status $rc, expected $want_rc"
	fail=1
fi
mapfile -t got < "$WORK/got"
mapfile -t want < "$base.out"
n=${#want[@]}
[ ${#got[@]} -gt "$n" ] && n=${#got[@]}
for ((i = 0; i < n; i++)); do
	g=${got[i]-<missing line>}
	w=${want[i]-<missing line>}
	if [[ "$w" == *'{{*}}'* ]]; then
		pat=""
		rest=$w
		while [[ "$rest" == *'{{*}}'* ]]; do
			pre=${rest%%'{{*}}'*}
			pat+=$(printf '%q' "$pre")'*'
			rest=${rest#*'{{*}}'}
		done
		[ -n "$rest" ] && pat+=$(printf '%q' "$rest")
		eval "[[ \"\$g\" == $pat ]]" && continue
	elif [ "$g" == "$w" ]; then
		continue
	fi
	echo "line $((i + 1)):"
	echo "  expected: $w"
	echo "  got:      $g"
	fail=1
done
if [ $fail != 0 ]; then
	echo "--- full output:"
	cat "$WORK/got"
	echo "--- stderr:"
	cat "$WORK/stderr"
	exit 1
fi
exit 0
