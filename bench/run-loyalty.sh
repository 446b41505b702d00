#!/bin/sh
# Durable accrual throughput of the loyalty ledger's library on SQLite
# (bench/loyalty_bench.c): --threads callers (default 32) send --orders
# accruals (default 100,000; 30 % duplicates), then verify; the peer in the
# same run is a single caller, one fsync per call. The ledger lives in
# --dir (default a temporary directory on the disk under /var/tmp, since
# /tmp may be memory, where fsync costs nothing).
# With --pg the group-commit run is on PostgreSQL: a throwaway cluster (initdb and
# pg_ctl from postgresql-15, as the postgres user when root, fsync on, a free
# loopback port, in DIR), against the same load on SQLite.
# Usage: bench/run-loyalty.sh [--orders N] [--threads N] [--dir DIR] [--pg]
set -eu
cd "$(dirname "$0")/.."
orders=100000 threads=32 dir="" pg=0
while [ $# -gt 0 ]; do
	case "$1" in
	--orders) orders=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	--dir) dir=$2; shift 2 ;;
	--pg) pg=1; shift ;;
	*) echo "run-loyalty.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DREBUY_TESTS=OFF >/dev/null
cmake --build build-release -j2 --target rebuy_lib >/dev/null
cc -O2 -Iinclude -o build-release/loyalty_bench bench/loyalty_bench.c build-release/librebuy.a \
	$(pkg-config --libs sqlite3 libsodium libpq) -lz -lxxhash -lm -lpthread
made=0
if [ -z "$dir" ]; then
	dir=$(mktemp -d /var/tmp/rebuy-loyalty-bench.XXXXXX)
	made=1
	trap 'rm -rf "$dir"' EXIT
fi
df -T "$dir" | tail -1 | awk '{print "filesystem: " $2 " (" $1 ")"}'
if [ "$pg" = 0 ]; then
	build-release/loyalty_bench "$dir" --orders "$orders" --threads "$threads"
	exit 0
fi
bin=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- sh -c "$1"; else sh -c "$1"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$dir"
rm -rf "$dir/pg"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg "$bin/initdb -D $dir/pg -A trust -U postgres -E UTF8 >/dev/null"
as_pg "$bin/pg_ctl -D $dir/pg -w -l $dir/pg.log -o '-p $port -k $dir -c listen_addresses=127.0.0.1' start >/dev/null"
trap 'as_pg "$bin/pg_ctl -D $dir/pg -m immediate -w stop >/dev/null"; rm -rf "$dir/pg"; [ "$made" = 1 ] && rm -rf "$dir"' EXIT
build-release/loyalty_bench "$dir" --orders "$orders" --threads "$threads" \
	--url "postgresql://postgres@127.0.0.1:$port/postgres"
