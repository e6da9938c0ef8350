#!/bin/bash
# -c mode: lines run in order, answers come from the following -c lines,
# the first failure stops the run and sets the exit status; --help,
# --version; default state directory from NETPKI_STATE.
. "$(dirname "$0")/lib.sh"
S=$WORK/s

out=$("$NETPKI" --state "$S" -c configure -c 'hostname r1' -c end -c yes \
    -c 'show running-config')
check "-c runs all lines" [ $? = 0 ]
check "-c commits through the end prompt" grep -qx 'hostname r1' <<<"$out"
check "-c echoes after the prompt" grep -qx 'RP/0/RP0/CPU0:r1#show running-config' <<<"$out"

out=$("$NETPKI" --state "$S" -c 'bogus' -c 'show running-config')
rc=$?
check "-c stops at the first failure" [ "$rc" = 1 ]
check "-c did not run the line after the failure" \
    bash -c "! grep -q 'Building configuration' <<<\"\$1\"" _ "$out"

out=$(printf 'bogus\nshow running-config\n' | "$NETPKI" --state "$S")
rc=$?
check "stdin script goes on after a failure" grep -q 'Building configuration' <<<"$out"
check "stdin script exit status reports the failure" [ "$rc" = 1 ]

check "--version" bash -c "'$NETPKI' --version | grep -q '^netpki [0-9]'"
check "--help" bash -c "'$NETPKI' --help | grep -q 'usage: netpki'"
"$NETPKI" --bogus >/dev/null 2>&1
check "bad option exits 2" [ $? = 2 ]

out=$(NETPKI_STATE=$S "$NETPKI" -c 'show running-config')
check "NETPKI_STATE is the default state directory" grep -qx 'hostname r1' <<<"$out"
mode=$(stat -c %a "$S/config")
check "config is 0644" [ "$mode" = 644 ]
mode=$(stat -c %a "$S")
check "state directory is 0700" [ "$mode" = 700 ]
finish
