#!/bin/bash
# The --More-- pager on a real terminal (tmux): terminal length 5 pages a
# show command by 4 lines; space shows the next page, Enter one more line,
# q ends the output; terminal length 0 pages nothing.  Output modifiers
# run before the pager; TAB and ? know them.
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || { echo "tmux not installed: skipped"; exit 77; }
"$NETPKI" --state "$WORK/s" -c configure -c 'hostname r1' \
    -c 'domain name example.com' -c 'crypto ca trustpoint myca' \
    -c 'enrollment url http://127.0.0.1/cgi-bin/pkiclient.exe' \
    -c 'subject-name CN=r1.example.com' -c 'crl optional' -c exit \
    -c 'crypto ca trustpoint other' -c 'rsakeypair k2' \
    -c 'enrollment terminal' -c commit -c end > /dev/null ||
    { echo "FAIL: setup"; exit 1; }
sock=$WORK/tmux.sock
T="tmux -S $sock"
$T new-session -d -s t -x 150 -y 50 "'$NETPKI' --state '$WORK/s'; sleep 30"
trap '$T kill-server 2>/dev/null; rm -rf "$WORK"' EXIT

screen() { $T capture-pane -t t -p; }
# wait_for TEXT: poll the screen (bounded: 10 s) until TEXT shows.
wait_for() {
	local i
	for i in $(seq 1 100); do
		screen | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	echo "--- screen:"; screen
	return 1
}
# shows TEXT: TEXT is on the screen now.
shows() { screen | grep -qF -- "$1"; }
# lacks TEXT: TEXT is not on the screen.
lacks() { ! screen | grep -qF -- "$1"; }

check "prompt" wait_for 'RP/0/RP0/CPU0:r1#'
$T send-keys -t t 'terminal length 5' Enter
$T send-keys -t t 'show running-config' Enter
check "a page of 4 lines, then --More--" wait_for ' --More--'
check "4th line shown" shows 'domain name example.com'
check "5th line held" lacks 'crypto ca trustpoint myca'
$T send-keys -t t Space
check "space: the next page" wait_for ' subject-name CN=r1.example.com'
check "space: 4 more lines" shows ' crl optional'
check "space: not 5" lacks 'crypto ca trustpoint other'
$T send-keys -t t Enter
sleep 0.3
check "enter: one line (the \"!\")" lacks 'crypto ca trustpoint other'
$T send-keys -t t Enter
check "enter again: one more line" wait_for 'crypto ca trustpoint other'
check "enter again: only one" lacks ' enrollment terminal'
$T send-keys -t t q
check "q: back at the prompt" wait_for 'RP/0/RP0/CPU0:r1#'
sleep 0.3
check "q: the rest is not shown" lacks ' rsakeypair k2'
check "q: the --More-- is erased" lacks ' --More--'
$T send-keys -t t C-l
$T send-keys -t t 'show running-config | include trustpoint|hostname|url' Enter
check "modifiers before the pager" wait_for ' --More--'
check "the 4th matching line held" lacks 'crypto ca trustpoint other'
$T send-keys -t t Space
check "space: the rest" wait_for 'crypto ca trustpoint other'
$T send-keys -t t C-l
$T send-keys -t t 'terminal length 0' Enter
$T send-keys -t t 'show running-config' Enter
check "length 0: the whole output" wait_for ' rsakeypair k2'
check "length 0: no --More--" lacks ' --More--'
$T send-keys -t t C-l
$T send-keys -t t 'show running-config | inc' Tab
check "TAB completes a modifier" wait_for 'show running-config | include'
$T send-keys -t t C-u 'show running-config | ?'
check "? after | lists the modifiers" wait_for 'section  Filter a section of output'
$T send-keys -t t C-u 'configure' Enter 'do show running-config | include host' Enter
check "do show ... | include in config mode" wait_for 'hostname r1'
$T send-keys -t t 'end' Enter 'exit' Enter
finish
