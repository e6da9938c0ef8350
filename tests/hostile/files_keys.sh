#!/bin/bash
# Hostile local files and the process itself:
#  1. a symbolic link where a key belongs: generate and zeroize refuse it,
#     naming the file, and its target keeps every byte;
#  2. a FIFO or a directory there: refused, no hang;
#  3. netpki and netpki agent are not dumpable (their /proc/PID is root's)
#     and have a core limit of 0, while waiting at a prompt / between rounds;
#  4. stale ".NAME.XXXXXX" temporary files (a kill -9 mid-write) are removed
#     at the next start; other names, links and their targets are not.
#   files_keys.sh NETPKI
set -u
NETPKI=$1
W=$(mktemp -d /tmp/netpki-hostile-files.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
export NETPKI_NOW=1700000000
fail() { echo "FAIL: $*"; exit 1; }
np() {	# np STATE COMMAND...: output in $W/out, status returned
	local s=$1; shift
	local a=()
	for c in "$@"; do a+=(-c "$c"); done
	timeout 20 "$NETPKI" --state "$W/$s" "${a[@]}" > "$W/out" 2>&1
}

refused() {	# refused STATE TEXT COMMAND: fails, and says TEXT
	np "$1" "$3" yes && fail "$1: '$3' succeeded"
	grep -q "^% .*$2" "$W/out" || { cat "$W/out"; fail "'$3': no '$2'"; }
}

# 1. symbolic links
mkdir -p "$W/s/keys/ec"
printf 'precious\n' > "$W/target"
ln -s "$W/target" "$W/s/keys/ec/k.pem"
link="keys/ec/k.pem: a symbolic link; refused"
refused s "$link" 'crypto key generate ecdsa nistp256 k'
refused s "$link" 'crypto key zeroize ecdsa k'
refused s "$link" 'crypto key zeroize ecdsa'
# An imported authentication key is a state file too.
mkdir -p "$W/s/authkeys"
ln -s "$W/target" "$W/s/authkeys/admin.pem"
np s 'crypto key import authentication rsa admin' yes \
    "$(cat "$(dirname "$0")/../data/keystore/pub.ssh")" '' &&
    fail "import over a symlink succeeded"
grep -q '^% .*authkeys/admin.pem: a symbolic link; refused' "$W/out" ||
    { cat "$W/out"; fail "import over a symlink: no clear error"; }
refused s "authkeys/admin.pem: a symbolic link; refused" \
    'crypto key zeroize authentication rsa admin'
[ "$(cat "$W/target")" = precious ] || fail "the symlink's target was changed"
[ -L "$W/s/keys/ec/k.pem" ] || fail "the symlink is gone"
# A key beside it is still usable, and zeroize of it alone works.
np s 'crypto key generate ecdsa nistp256 ok' 'crypto key zeroize ecdsa ok' yes ||
    { cat "$W/out"; fail "a key beside the symlink"; }
echo "symlink: refused, target intact"

# 2. a FIFO and a directory where a key belongs
mkdir -p "$W/f/keys/ec/d.pem"
mkfifo "$W/f/keys/ec/p.pem"
for k in p d; do
	refused f "keys/ec/$k.pem: not a regular file; refused" \
	    "crypto key generate ecdsa nistp256 $k"
	refused f "keys/ec/$k.pem: not a regular file; refused" \
	    "crypto key zeroize ecdsa $k"
	np f 'show crypto key mypubkey ecdsa' || true	# must not hang
done
[ -p "$W/f/keys/ec/p.pem" ] && [ -d "$W/f/keys/ec/d.pem" ] ||
    fail "the FIFO or the directory was replaced"
echo "FIFO, directory: refused"

# 3. not dumpable, no core: the shell blocked reading its next line (a
# prompt), the agent between rounds.  The kernel gives a non-dumpable
# process's /proc/PID files to root: so the processes run as an unprivileged
# user (nobody when the test runs as root), whose own they would be.
as=()
if [ "$(id -u)" = 0 ]; then
	as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	chmod 711 "$W"
	mkdir -p "$W/d" && chown 65534:65534 "$W/d"
fi
dumpable() {	# dumpable PID: "owner-of-/proc/PID core-limit"
	local i
	for i in $(seq 1 100); do
		grep -q '^State:.*S (sleeping)' "/proc/$1/status" 2>/dev/null && break
		sleep 0.05
	done
	printf '%s %s\n' "$(stat -c %u "/proc/$1/status")" \
	    "$(awk '/^Max core file size/ {print $5}' "/proc/$1/limits")"
}
mkfifo "$W/in"
"${as[@]}" "$NETPKI" --state "$W/d" < "$W/in" > "$W/shell.out" 2>&1 &
pid=$!
exec 3> "$W/in"
printf 'crypto key generate ecdsa nistp256 k\ncrypto key generate ecdsa nistp256 k\n' >&3
# The first key is written, then it waits for the answer to "replace?".
for _ in $(seq 1 100); do [ -f "$W/d/keys/ec/k.pem" ] && break; sleep 0.05; done
[ -f "$W/d/keys/ec/k.pem" ] || { cat "$W/shell.out"; fail "netpki did not start"; }
got=$(dumpable "$pid")
exec 3>&-
wait "$pid"; pid=
echo "netpki at a prompt: /proc owner, core limit: $got"
[ "$got" = "0 0" ] || fail "netpki is dumpable or may dump core: $got"
"${as[@]}" "$NETPKI" agent --state "$W/d" > /dev/null 2>&1 &
pid=$!
got=$(dumpable "$pid")
kill "$pid"; wait "$pid"; pid=
echo "netpki agent: /proc owner, core limit: $got"
[ "$got" = "0 0" ] || fail "netpki agent is dumpable or may dump core: $got"
# The check can fail: a dumpable process of the same user is not root's.
"${as[@]}" sleep 5 &
pid=$!
got=$(dumpable "$pid")
kill "$pid"; wait "$pid" 2>/dev/null; pid=
[ "${got%% *}" != 0 ] || fail "the /proc owner check cannot tell: $got"

# 4. stale temporary files
mkdir -p "$W/t/keys/ec"
np t 'crypto key generate ecdsa nistp256 k' || fail "generate"
printf 'half a config' > "$W/t/.config.Ab12Cd"
printf 'half a key' > "$W/t/keys/ec/.k.pem.Zz9Yy8"
printf 'mine' > "$W/t/.config.bak"		# not the pattern
printf 'outside' > "$W/outside"
ln -s "$W/outside" "$W/t/.link.Qq1Ww2"		# a link: not touched
np t 'show crypto key mypubkey ecdsa' || { cat "$W/out"; fail "start"; }
[ -e "$W/t/.config.Ab12Cd" ] && fail "stale .config.Ab12Cd left"
[ -e "$W/t/keys/ec/.k.pem.Zz9Yy8" ] && fail "stale keys/ec/.k.pem.Zz9Yy8 left"
[ -f "$W/t/.config.bak" ] || fail ".config.bak removed"
[ -L "$W/t/.link.Qq1Ww2" ] && [ "$(cat "$W/outside")" = outside ] ||
    fail "a symlink or its target was touched"
grep -q 'Key label: k' "$W/out" || fail "the key is gone"
echo "stale temporary files: removed at start"
echo PASS
