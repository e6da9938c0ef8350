# Sourced by run.sh (with $WORK, $NETPKI, $NS): enrollment on a real
# terminal (tmux) against a CA that never decides.  The challenge password
# is not echoed; Ctrl-C stops the polling and leaves the request pending;
# entering the command again resumes it; cancel-enroll forgets it.
ctrlc_test() {
	local sock=$WORK/tmux.sock T st=$WORK/ctrlc-state i
	T="tmux -S $sock"
	mkdir -p "$st"
	cat > "$st/config" <<'CFG'
!generation 1
hostname r1
crypto ca trustpoint tp
 enrollment url http://127.0.0.1:8080/pendingforever
 enrollment retry count 100
!
CFG
	$T new-session -d -s t -x 200 -y 60 \
	    "NETPKI_NOW=1700000000 NETPKI_MINUTE=1000 ip netns exec $NS '$NETPKI' --state '$st'; sleep 30"
	wait_for() {
		for i in $(seq 1 100); do
			$T capture-pane -t t -p | grep -qF -- "$1" && return 0
			sleep 0.1
		done
		echo "ctrlc: did not see: $1"
		$T capture-pane -t t -p
		return 1
	}
	local ok=1
	wait_for 'RP/0/RP0/CPU0:r1#' || ok=0
	$T send-keys -t t 'crypto ca authenticate tp' Enter
	wait_for 'Do you accept this certificate??' || ok=0
	$T send-keys -t t 'yes' Enter
	$T send-keys -t t 'crypto ca enroll tp' Enter
	wait_for 'Password:' || ok=0
	$T send-keys -t t 'hunter2' Enter
	wait_for 'Re-enter Password:' || ok=0
	$T send-keys -t t 'hunter2' Enter
	wait_for '% Poll 1 of 100: still pending' || ok=0
	$T send-keys -t t C-c
	wait_for '% Stopped waiting: the request stays pending.' || ok=0
	if $T capture-pane -t t -p | grep -q hunter2; then
		echo "ctrlc: the password was echoed"
		ok=0
	fi
	[ -f "$st/trustpoints/tp/pending/general" ] ||
		{ echo "ctrlc: no pending request after Ctrl-C"; ok=0; }
	$T send-keys -t t 'crypto ca enroll tp' Enter
	wait_for '% Resuming the pending General Purpose key request' || ok=0
	$T send-keys -t t C-c
	sleep 0.3
	$T send-keys -t t 'crypto ca cancel-enroll tp' Enter
	wait_for 'Do you really want to cancel the pending enrollment?' || ok=0
	$T send-keys -t t 'yes' Enter
	wait_for '% Pending enrollment request for trustpoint tp removed' || ok=0
	$T send-keys -t t 'exit' Enter
	$T kill-server 2>/dev/null
	grep -rq hunter2 "$st" && { echo "ctrlc: password on disk"; ok=0; }
	[ $ok = 1 ]
}
