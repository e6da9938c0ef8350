# shellcheck shell=bash
# A private PostgreSQL server for the tests and the benchmark: initdb in a
# temp dir as the postgres user (initdb refuses root), listening only on
# 127.0.0.1 (a free port) and on a socket in that dir; a role "netpki"
# with a password (scram) and its database "netpki".  The password is in
# PGPASSFILE (exported), never in the URI.
#   . pglib.sh
#   pglib_find || exit 77     # needs root and /usr/lib/postgresql/*/bin
#   pglib_start || fail ...   # sets PGDIR PGDATA PGLOG PGPORT PGURI PGUP
#   pglib_stop                # on every exit path; safe to call twice
PGUP=0
PGDIR=

pglib_find() {
	[ "$(id -u)" = 0 ] || { echo "skip: initdb runs as the postgres user: needs root"; return 1; }
	PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ] ||
		[ ! -x "$PGBIN/psql" ] || ! id postgres > /dev/null 2>&1; then
		echo "skip: PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin"
		return 1
	fi
}

# pglib_pg PROGRAM ARGS...: a server binary, as the postgres user.
pglib_pg() {
	local prog=$1
	shift
	runuser -u postgres -- "$PGBIN/$prog" "$@"
}

# A free port: try a few at random that nothing listens on.
pglib_free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return 0; }
	done
	return 1
}

# (Re)start the server made by pglib_start, on $PGPORT.
pglib_up() {
	pglib_pg pg_ctl -D "$PGDATA" -l "$PGLOG" -w -t 60 -o \
		"-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGDIR" start > /dev/null 2>&1 &&
		PGUP=1
}

pglib_down() {
	[ "$PGUP" = 1 ] || return 0
	pglib_pg pg_ctl -D "$PGDATA" -m fast -w stop > /dev/null 2>&1 && PGUP=0
}

pglib_sql() {
	pglib_pg psql -q -h "$PGDIR" -p "$PGPORT" -U postgres -v ON_ERROR_STOP=1 "$@"
}

pglib_start() {
	PGDIR=$(mktemp -d /tmp/netpki-pg.XXXXXX)
	PGDATA=$PGDIR/data
	PGLOG=$PGDIR/server.log
	chown postgres: "$PGDIR"
	chmod 700 "$PGDIR"
	printf 'secret-pg-pw\n' > "$PGDIR/pw"
	chown postgres: "$PGDIR/pw"
	if ! pglib_pg initdb -D "$PGDATA" -U postgres --auth-local=trust \
		--auth-host=scram-sha-256 --pwfile="$PGDIR/pw" > "$PGDIR/initdb.log" 2>&1; then
		cat "$PGDIR/initdb.log"
		return 1
	fi
	for _ in 1 2 3; do
		PGPORT=$(pglib_free_port) || return 1
		pglib_up && break
	done
	[ "$PGUP" = 1 ] || { echo "postgres did not start"; tail -n 5 "$PGLOG"; return 1; }
	pglib_sql -d postgres -c "CREATE ROLE netpki LOGIN PASSWORD 'secret-pg-pw'" \
		-c "CREATE DATABASE netpki OWNER netpki" > /dev/null || return 1
	export PGPASSFILE=$PGDIR/pgpass
	printf '127.0.0.1:%s:netpki:netpki:secret-pg-pw\n' "$PGPORT" > "$PGPASSFILE"
	chmod 600 "$PGPASSFILE"
	# shellcheck disable=SC2034 # for the caller
	PGURI=postgresql://netpki@127.0.0.1:$PGPORT/netpki
}

# Empty the database between runs (the tables are made again on open).
pglib_reset() {
	pglib_sql -d netpki -c "SET client_min_messages = warning" \
		-c "DROP TABLE IF EXISTS requests, certs, meta, challenges, ca_generations" > /dev/null
}

pglib_stop() {
	[ "$PGUP" = 1 ] && pglib_pg pg_ctl -D "$PGDATA" -m immediate -w stop > /dev/null 2>&1
	PGUP=0
	[ -n "$PGDIR" ] && rm -rf "$PGDIR"
	PGDIR=
}

# Two serve instances A and B on the shared database: their clean-up,
# failure report and start-up.  After pglib_instances:
#   pglib_serve NAME DIR [serve options]: sets NAME_PID, NAME_PORT, NAME_URL
pglib_instances() {
	A_PID=
	B_PID=
	trap pglib_cleanup EXIT
	# A failure shows both instances' logs and the server's.
	fail() {
		echo "FAIL: $*"
		for f in "$WORK"/A.log "$WORK"/B.log "$PGLOG"; do
			[ -f "$f" ] || continue
			echo "--- $f:"
			tail -n 25 "$f"
		done
		exit 1
	}
}

pglib_cleanup() {
	local p
	for p in $A_PID $B_PID; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	pglib_stop
	cleanup
}

# pglib_serve NAME DIR [serve options] (lib.sh's ca_serve, log WORK/NAME.log)
pglib_serve() {
	local name=$1 dir=$2
	shift 2
	ca_serve "$dir" "$WORK/$name.log" "$@"
	printf -v "${name}_PID" %s "$SERVE_PID"
	printf -v "${name}_PORT" %s "$SERVE_PORT"
	printf -v "${name}_URL" %s "http://127.0.0.1:$SERVE_PORT/scep"
}
