#!/bin/bash
# Interactive mode on a real terminal (tmux): '?' help, TAB completion,
# history-free typing, Ctrl-Z leaving configuration mode, the end prompt.
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || { echo "tmux not installed: skipped"; exit 77; }
sock=$WORK/tmux.sock
T="tmux -S $sock"
$T new-session -d -s t -x 150 -y 50 "'$NETPKI' --state '$WORK/s'; sleep 30"
trap '$T kill-server 2>/dev/null; rm -rf "$WORK"' EXIT

# wait_for TEXT: poll the screen (bounded: 10 s) until TEXT shows.
wait_for() {
	local i
	for i in $(seq 1 100); do
		$T capture-pane -t t -p | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	echo "--- screen:"; $T capture-pane -t t -p
	return 1
}

check "prompt" wait_for 'RP/0/RP0/CPU0:router#'
$T send-keys -t t 'conf' Tab
check "TAB completes a unique keyword" wait_for 'router#configure'
$T send-keys -t t Enter
check "config prompt" wait_for 'router(config)#'
$T send-keys -t t 'hostname ?'
check "? lists the parameter with its help" wait_for 'HOSTNAME  This system'"'"'s network name'
$T send-keys -t t 'tty1' Enter
$T send-keys -t t 'crypto ca trustpoint t' Enter
$T send-keys -t t 'auto-enroll 70 re' Tab
check "TAB completes auto-enroll's regenerate" \
    wait_for 'router(config-trustp)#auto-enroll 70 regenerate'
$T send-keys -t t Enter 'exit' Enter
$T send-keys -t t 'do sh'
$T send-keys -t t Tab
check "TAB after do completes EXEC words" wait_for 'do show'
$T send-keys -t t C-u C-z
check "Ctrl-Z leaves config mode via the end prompt" \
    wait_for 'Uncommitted changes found, commit them? [yes]:'
$T send-keys -t t 'yes' Enter
check "new hostname in the EXEC prompt" wait_for 'RP/0/RP0/CPU0:tty1#'
$T send-keys -t t 'exit' Enter
sleep 0.3
check "committed to the state directory" grep -qx 'hostname tty1' "$WORK/s/config"
finish
