# Throwaway PostgreSQL clusters for tests (sourced by tests/pg/*.sh).
#
# pg_setup SRC      checks for the server binaries and headers (exit 77 with
#                   a message when absent), builds the extension out of the
#                   source tree and installs it into the server's directories
#                   (PostgreSQL 15 has no per-cluster extension path, so this
#                   needs root or a writable lib dir: CI runs as root on a
#                   fresh machine); makes $PGT, a temporary directory removed
#                   with every cluster by the EXIT trap.
# pg_start NAME     initdb + pg_ctl start of cluster NAME on a free loopback
#                   port (as the postgres user when run as root, since initdb
#                   refuses root); sets PORT_<NAME>.
# pg_sql NAME ...   psql on cluster NAME, stopping at the first error.
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_CLUSTERS=""

skip() {
	echo "SKIP: $*"
	exit 77
}

pg_cleanup() {
	for c in $PG_CLUSTERS; do
		as_pg "$PG_BIN/pg_ctl" -D "$PGT/$c" -m immediate -w stop >/dev/null 2>&1 || true
	done
	[ -n "${PGT:-}" ] && rm -rf "$PGT"
}

as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_setup() {
	src=$1
	[ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] ||
		skip "PostgreSQL 15 server not found in $PG_BIN (apt-get install postgresql)"
	[ -x "$PG_BIN/pg_config" ] && [ -f "$($PG_BIN/pg_config --pgxs)" ] ||
		skip "PostgreSQL server headers not found (apt-get install postgresql-server-dev-15)"
	command -v psql >/dev/null || skip "psql not found (apt-get install postgresql-client)"
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || skip "no postgres user to run the server as"
	fi
	libdir=$("$PG_BIN/pg_config" --pkglibdir)
	sharedir=$("$PG_BIN/pg_config" --sharedir)
	[ -w "$libdir" ] && [ -w "$sharedir/extension" ] ||
		skip "cannot install the extension into $libdir (run as root, as CI does)"
	PGT=$(mktemp -d /tmp/rebuy-pg.XXXXXX)
	chmod 755 "$PGT"
	trap pg_cleanup EXIT
	trap 'exit 1' INT TERM
	mkdir "$PGT/ext"
	make -s -C "$PGT/ext" -f "$src/pg/Makefile" PG_CONFIG="$PG_BIN/pg_config" \
		-j2 >"$PGT/ext.log" 2>&1 || { cat "$PGT/ext.log"; echo "FAIL: building the extension"; exit 1; }
	make -s -C "$PGT/ext" -f "$src/pg/Makefile" PG_CONFIG="$PG_BIN/pg_config" \
		install >>"$PGT/ext.log" 2>&1 || { cat "$PGT/ext.log"; echo "FAIL: installing the extension"; exit 1; }
	[ "$(id -u)" = 0 ] && chown postgres "$PGT"
	return 0
}

# A port nothing listens on (bash's /dev/tcp is not in sh: ask psql).
free_port() {
	p=$(( (($$ * 7919) + $(date +%N | sed 's/^0*//;s/^$/0/')) % 20000 + 30000 ))
	while "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$p" >/dev/null 2>&1 ||
		[ $? -ne 2 ]; do
		p=$((p + 1))
	done
	echo "$p"
}

pg_start() {
	name=$1
	as_pg "$PG_BIN/initdb" -D "$PGT/$name" -A trust -U postgres --no-sync >"$PGT/$name.initdb.log" 2>&1 ||
		{ cat "$PGT/$name.initdb.log"; echo "FAIL: initdb $name"; exit 1; }
	for _ in 1 2 3 4 5; do
		port=$(free_port)
		if as_pg "$PG_BIN/pg_ctl" -D "$PGT/$name" -w -t 60 -l "$PGT/$name.log" \
			-o "-p $port -k $PGT -c listen_addresses=127.0.0.1 -c fsync=off -c max_worker_processes=16 -c max_parallel_workers=8" \
			start >/dev/null 2>&1; then
			PG_CLUSTERS="$PG_CLUSTERS $name"
			eval "PORT_$name=$port"
			return 0
		fi
	done
	cat "$PGT/$name.log"
	echo "FAIL: cannot start cluster $name"
	exit 1
}

pg_sql() {
	name=$1
	shift
	eval "port=\$PORT_$name"
	psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres "$@"
}
