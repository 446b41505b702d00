#!/bin/sh
# A sharded run: a coordinator PostgreSQL with the orders table partitioned
# by hash of customer over 3 worker PostgreSQL instances on loopback
# (postgres_fdw foreign partitions; the rebuy extension installed on each and
# listed in every foreign server's `extensions` option), with
# enable_partitionwise_aggregate on, so each worker computes rebuy_summary
# for its own customers. The per-customer summary gathered by the
# coordinator must equal `rebuy summary --customers` byte for byte, and the
# BG/NBD fit over it (rebuy_fit on the coordinator) must equal
# `rebuy fit --summary` to every printed digit. Every instance is started
# here and removed at the end.
#   tests/pg/sharded.sh REBUY SOURCE_DIR SHARED_DIR            (CDNOW, the test)
#   tests/pg/sharded.sh REBUY SOURCE_DIR - ORDERS.csv --time   (bench/run-sharded.sh)
set -eu
rebuy=$1
src=$(cd "$2" && pwd)
shared=$3
input=${4:-$shared/data/cdnow/CDNOW_master.txt}
timing=${5:-}
. "$src/tests/pg/cluster.sh"
[ -f "$input" ] || skip "$input not found (the shared reference data)"
pg_setup "$src"
out=$PGT/out
mkdir "$out"
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

for n in coord w0 w1 w2; do pg_start $n; done
for i in 0 1 2; do
	pg_sql w$i -c "CREATE EXTENSION rebuy;
		CREATE TABLE orders_p$i (customer text, ts timestamp, amount numeric, order_id text);"
done
pg_sql coord -c "CREATE EXTENSION rebuy; CREATE EXTENSION postgres_fdw;
	CREATE TABLE orders (customer text, ts timestamp, amount numeric, order_id text) PARTITION BY HASH (customer);"
for i in 0 1 2; do
	eval "port=\$PORT_w$i"
	pg_sql coord -c "CREATE SERVER w$i FOREIGN DATA WRAPPER postgres_fdw
			OPTIONS (host '127.0.0.1', port '$port', dbname 'postgres', extensions 'rebuy',
			         fetch_size '10000', batch_size '1000');
		CREATE USER MAPPING FOR postgres SERVER w$i OPTIONS (user 'postgres');
		CREATE FOREIGN TABLE orders_p$i PARTITION OF orders
			FOR VALUES WITH (MODULUS 3, REMAINDER $i) SERVER w$i;"
done

# Rows go in through the coordinator, which routes each to its customer's
# shard: COPY into a local staging table, then one INSERT ... SELECT, which
# postgres_fdw sends in batches (PostgreSQL 15's COPY into a foreign
# partition goes row by row).
# A generated CSV has order ids (lines with one id are one order, as the
# command line groups them); CDNOW has none (lines at one time are one order).
case "$input" in
*.csv)
	loader="awk -F, 'NR > 1 { printf \"%s\\t%s\\t%s\\t%s\\n\", \$1, \$3, \$4, \$2 }'"
	copy_cols="customer, ts, amount, order_id"
	agg_args="ts, amount, order_id" ;;
*)
	loader="awk 'NR > 1 { printf \"%s\\t%s\\t%s\\n\", \$1, \$2, \$4 }'"
	copy_cols="customer, ts, amount"
	agg_args="ts, amount" ;;
esac
t0=$(now)
pg_sql coord -c "CREATE UNLOGGED TABLE staging (customer text, ts timestamp, amount numeric, order_id text)"
eval "$loader" <"$input" | pg_sql coord -c "COPY staging ($copy_cols) FROM STDIN"
pg_sql coord -c "INSERT INTO orders SELECT * FROM staging; DROP TABLE staging"
load_s=$(since "$t0")
for i in 0 1 2; do pg_sql w$i -c "ANALYZE orders_p$i"; done
rows=$(pg_sql coord -At -c "SELECT count(*) FROM orders")
shards=$(for i in 0 1 2; do pg_sql w$i -At -c "SELECT count(*) FROM orders_p$i"; done | tr '\n' ' ')
echo "loaded $rows rows through the coordinator in $load_s s; per shard: $shards"
cal_end=$(pg_sql coord -At -c "SELECT max(ts)::date FROM orders")

sharded="SET enable_partitionwise_aggregate = on;"
summary="SELECT customer, rebuy_summary($agg_args, DATE '$cal_end', 'week') AS s
	FROM orders GROUP BY customer"
query="WITH q AS MATERIALIZED ($summary)
	SELECT customer, (s).orders, (s).purchase_days,
	to_char((s).first_purchase, 'YYYY-MM-DD HH24:MI:SS') AS first_purchase,
	to_char((s).last_purchase, 'YYYY-MM-DD HH24:MI:SS') AS last_purchase,
	(s).revenue, (s).returns, (s).returned, (s).x, (s).t_x, (s).\"T\", (s).monetary, (s).x_holdout
	FROM q ORDER BY customer"

pg_sql coord -c "$sharded EXPLAIN (VERBOSE, COSTS OFF) $query" >"$out/plan.txt"
pushed=$(grep -c "Remote SQL: SELECT customer, public.rebuy_summary($agg_args, " "$out/plan.txt" || true)
if [ "$pushed" != 3 ]; then
	cat "$out/plan.txt"
	echo "FAIL: rebuy_summary is not pushed down to all 3 shards ($pushed)"
	exit 1
fi
grep -m1 "Remote SQL" "$out/plan.txt" | sed 's/^ */  plan: /'
grep -q "Gather\|HashAggregate\|GroupAggregate" "$out/plan.txt" && {
	cat "$out/plan.txt"
	echo "FAIL: the coordinator aggregates rows itself"
	exit 1
}

t0=$(now)
"$rebuy" summary --customers --format csv --quiet "$input" -o "$out/cli.csv"
cli_s=$(since "$t0")
t0=$(now)
pg_sql coord -c "$sharded COPY ($query) TO STDOUT WITH (FORMAT csv, HEADER)" >"$out/sharded.csv"
sharded_s=$(since "$t0")
# Row order: SQL sorts keys as text, rebuy numeric keys by value; compare
# the header and the sorted rows.
canon() { head -1 "$1"; tail -n +2 "$1" | LC_ALL=C sort; }
canon "$out/cli.csv" >"$out/cli.sorted"
canon "$out/sharded.csv" >"$out/sharded.sorted"
if ! cmp -s "$out/cli.sorted" "$out/sharded.sorted"; then
	diff "$out/cli.sorted" "$out/sharded.sorted" | head -20
	echo "FAIL: the sharded summary differs from rebuy summary --customers"
	exit 1
fi
echo "ok: sharded summary of $(($(wc -l <"$out/sharded.csv") - 1)) customers identical to rebuy summary --customers"

# The fit runs on the coordinator over the summaries the shards return.
t0=$(now)
pg_sql coord -At -c "$sharded WITH q AS MATERIALIZED ($summary)
	SELECT rebuy_fit('bgnbd', customer, (s).x, (s).t_x, (s).\"T\") FROM q" >"$out/fit_pg.json"
fit_s=$(since "$t0")
"$rebuy" fit --model bgnbd --summary "$out/cli.csv" --format json --quiet -o "$out/fit_cli.json"
params() { tr -d ' \n' <"$1" | sed 's/.*"params":{\([^}]*\)}.*/\1/' | tr ',' '\n' | sort; }
params "$out/fit_cli.json" >"$out/p_cli"
params "$out/fit_pg.json" >"$out/p_pg"
if ! awk -F: 'NR == FNR { v[$1] = $2; next } { if (!($1 in v) || v[$1] + 0 != $2 + 0) bad = 1; n++ }
	END { exit (bad || n != 4) }' "$out/p_cli" "$out/p_pg"; then
	cat "$out/p_cli" "$out/p_pg"
	echo "FAIL: the sharded rebuy_fit differs from rebuy fit --summary"
	exit 1
fi
echo "ok: sharded rebuy_fit('bgnbd') = rebuy fit --summary: $(tr '\n' ' ' <"$out/p_pg")"
if [ "$timing" = --time ]; then
	echo "timing: rebuy summary --customers (one process): $cli_s s"
	echo "timing: sharded summary through the coordinator (3 shards): $sharded_s s"
	echo "timing: sharded summary + fit on the coordinator: $fit_s s"
fi
