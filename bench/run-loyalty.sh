#!/bin/sh
# Durable accrual throughput of the loyalty ledger's library on SQLite
# (bench/loyalty_bench.c): --threads callers (default 32) send --orders
# accruals (default 100,000; 30 % duplicates), then verify; the peer in the
# same run is a single caller, one fsync per call. The ledger lives in
# --dir (default a temporary directory on the disk under /var/tmp, since
# /tmp may be memory, where fsync costs nothing).
# Usage: bench/run-loyalty.sh [--orders N] [--threads N] [--dir DIR]
set -eu
cd "$(dirname "$0")/.."
orders=100000 threads=32 dir=""
while [ $# -gt 0 ]; do
	case "$1" in
	--orders) orders=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	--dir) dir=$2; shift 2 ;;
	*) echo "run-loyalty.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DREBUY_TESTS=OFF >/dev/null
cmake --build build-release -j2 --target rebuy_lib >/dev/null
cc -O2 -Iinclude -o build-release/loyalty_bench bench/loyalty_bench.c build-release/librebuy.a \
	$(pkg-config --libs sqlite3 libsodium libpq) -lz -lxxhash -lm -lpthread
if [ -z "$dir" ]; then
	dir=$(mktemp -d /var/tmp/rebuy-loyalty-bench.XXXXXX)
	trap 'rm -rf "$dir"' EXIT
fi
df -T "$dir" | tail -1 | awk '{print "filesystem: " $2 " (" $1 ")"}'
build-release/loyalty_bench "$dir" --orders "$orders" --threads "$threads"
