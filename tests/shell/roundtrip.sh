#!/bin/bash
# show running-config loads back to the same configuration: feed its output
# to a fresh state directory and compare both the output and the file.
. "$(dirname "$0")/lib.sh"
A=$WORK/a
B=$WORK/b
"$NETPKI" --state "$A" >/dev/null <<'IN'
configure
domain name example.net
hostname edge-7
commit
IN
# Every statement of every table that the build knows, if present, is
# round-tripped: statements come from the tables' own fixtures.
if [ -f "$(dirname "$0")/roundtrip.conf" ]; then
	{ echo configure; cat "$(dirname "$0")/roundtrip.conf"; echo commit; } |
	    "$NETPKI" --state "$A" > "$WORK/load.log"
	check "fixture loads without errors" bash -c "! grep -q '^%' '$WORK/load.log'"
fi
"$NETPKI" --state "$A" -c 'show running-config' | sed 1d > "$WORK/run-a"
{ echo configure; sed '1,2d;/^end$/d' "$WORK/run-a"; echo commit; } |
    "$NETPKI" --state "$B" > "$WORK/load-b.log"
check "feeding show running-config back raises no error" \
    bash -c "! grep -q '^%' '$WORK/load-b.log'"
"$NETPKI" --state "$B" -c 'show running-config' | sed 1d > "$WORK/run-b"
check "round trip: same show running-config" cmp -s "$WORK/run-a" "$WORK/run-b"
check "round trip: same saved file" cmp -s "$A/config" "$B/config"
check "statements printed in canonical order" \
    bash -c "head -4 '$WORK/run-a' | tail -2 | tr '\n' ' ' | grep -q '^hostname edge-7 domain name example.net'"
# A damaged saved file: bad lines are skipped with a message, the rest kept.
printf '!generation 3\nhostname ok1\nthis is garbage\n\001\002\ndomain name x.y\n' > "$B/config"
out=$("$NETPKI" --state "$B" -c 'show running-config' 2>"$WORK/err")
check "damaged config: good lines kept" grep -qx 'domain name x.y' <<<"$out"
check "damaged config: bad line reported" grep -q 'line 3' "$WORK/err"
finish
