# syslog_capture DIR LOG CMD [ARG...]: run CMD in a private mount namespace
# whose /dev holds a datagram socket /dev/log (the host's /dev untouched),
# the messages appended to LOG as syslog(3) sends them ("<PRI>TIMESTAMP
# ident[pid]: message").  DIR is a scratch directory for that /dev.
# Status 2 when mount namespaces are not available here.  Sourced (bash).
syslog_capture() {
	local dir=$1 log=$2
	shift 2
	unshare -m true 2>/dev/null || return 2
	mkdir -p "$dir/dev"
	unshare -m --propagation private bash -c '
		set -e
		dir=$1 log=$2
		shift 2
		touch "$dir/dev/null"
		mount --bind /dev/null "$dir/dev/null"
		mount --bind "$dir/dev" /dev
		socat -u UNIX-RECV:/dev/log OPEN:"$log",creat,append &
		pid=$!
		for i in $(seq 1 50); do [ -S /dev/log ] && break; sleep 0.1; done
		"$@"
		sleep 0.3
		kill $pid
	' sh "$dir" "$log" "$@"
}
