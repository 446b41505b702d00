#!/bin/sh
# The sharded run of tests/pg/sharded.sh on a larger generated shop: a
# coordinator PostgreSQL and 3 worker instances on this machine (postgres_fdw
# partitions by hash of customer, rebuy_summary pushed to each shard), timed
# against `rebuy summary --customers` in one process on the same orders; the
# results must be identical (the script fails otherwise). Needs root (it
# installs the extension into PostgreSQL 15's directories) and the packages
# of scripts/test. On one machine the shards share its cores, so this shows
# the cost of the plumbing, not the speed-up of more machines.
#   bench/run-sharded.sh [CUSTOMERS]     (default 300000: about 830,000 orders)
set -eu
cd "$(dirname "$0")/.."
customers=${1:-300000}
build=${REBUY_BUILD:-build}
if [ ! -x "$build/rebuy" ]; then
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$build" -j "$(nproc)" >/dev/null
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
"$build/rebuy" gen --customers "$customers" --seed 3 -o "$tmp/orders.csv"
echo "orders: $(($(wc -l <"$tmp/orders.csv") - 1)) rows, $customers customers"
sh tests/pg/sharded.sh "$build/rebuy" . - "$tmp/orders.csv" --time
