#!/bin/sh
# The extension's rebuy_summary aggregate against `rebuy summary --customers`
# on CDNOW (69,659 lines, 23,570 customers): the same customers with the same
# orders, days, first and last purchase, revenue, x, t_x, T, monetary,
# byte for byte, with parallel workers forced on (EXPLAIN must show a Gather
# over a Partial Aggregate, and workers must launch) and off. Then rebuy_fit
# over the summary against `rebuy fit --summary` of the command line's
# summary file: the same parameters to every printed digit.
#   tests/pg/summary.sh REBUY SOURCE_DIR SHARED_DIR
set -eu
rebuy=$1
src=$(cd "$2" && pwd)
shared=$3
. "$src/tests/pg/cluster.sh"
cdnow=$shared/data/cdnow/CDNOW_master.txt
[ -f "$cdnow" ] || skip "$cdnow not found (the shared reference data)"
pg_setup "$src"
pg_start one
out=$PGT/out
mkdir "$out"

pg_sql one -c "CREATE EXTENSION rebuy;
	CREATE TABLE orders (customer text, ts timestamp, cds integer, amount numeric);"
awk 'NR > 1 { printf "%s\t%s\t%s\t%s\n", $1, $2, $3, $4 }' "$cdnow" |
	pg_sql one -c "COPY orders FROM STDIN"
pg_sql one -c "ANALYZE orders"
cal_end=$(pg_sql one -At -c "SELECT max(ts)::date FROM orders")
[ "$cal_end" = 1998-06-30 ] || { echo "FAIL: last day $cal_end, expected 1998-06-30"; exit 1; }

query="SELECT customer, (s).orders, (s).purchase_days,
	to_char((s).first_purchase, 'YYYY-MM-DD HH24:MI:SS') AS first_purchase,
	to_char((s).last_purchase, 'YYYY-MM-DD HH24:MI:SS') AS last_purchase,
	(s).revenue, (s).returns, (s).returned, (s).x, (s).t_x, (s).\"T\", (s).monetary, (s).x_holdout
	FROM (SELECT customer, rebuy_summary(ts, amount, DATE '$cal_end', 'week') AS s
	      FROM orders GROUP BY customer) q ORDER BY customer"
parallel_on="SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
	SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2;"
parallel_off="SET max_parallel_workers_per_gather = 0;"

"$rebuy" summary --customers --format csv --quiet "$cdnow" -o "$out/cli.csv"
for mode in on off; do
	eval "set_mode=\$parallel_$mode"
	pg_sql one -c "$set_mode EXPLAIN (ANALYZE, COSTS OFF) $query" >"$out/plan_$mode.txt"
	if [ $mode = on ]; then
		grep -q "Partial .*Aggregate" "$out/plan_$mode.txt" && grep -q "Gather" "$out/plan_$mode.txt" &&
			grep -q "Workers Launched: [12]" "$out/plan_$mode.txt" || {
			cat "$out/plan_$mode.txt"
			echo "FAIL: parallel on: no Partial Aggregate under a Gather with workers launched"
			exit 1
		}
	elif grep -q "Gather\|Partial" "$out/plan_$mode.txt"; then
		cat "$out/plan_$mode.txt"
		echo "FAIL: parallel off: the plan is parallel"
		exit 1
	fi
	pg_sql one -c "$set_mode COPY ($query) TO STDOUT WITH (FORMAT csv, HEADER)" >"$out/pg_$mode.csv"
	if ! cmp -s "$out/cli.csv" "$out/pg_$mode.csv"; then
		diff "$out/cli.csv" "$out/pg_$mode.csv" | head -20
		echo "FAIL: parallel $mode: rebuy_summary differs from rebuy summary --customers"
		exit 1
	fi
	echo "ok: parallel $mode: $(($(wc -l <"$out/pg_$mode.csv") - 1)) customers identical to rebuy summary --customers"
done
grep -E "Partial|Gather|Workers" "$out/plan_on.txt" | sed 's/^ */  plan: /'

# The fit: over the summary, in SQL and on the command line.
pg_sql one -c "CREATE TABLE summary AS SELECT customer, (rebuy_summary(ts, amount, DATE '$cal_end', 'week')).* FROM orders GROUP BY customer"
pg_sql one -At -c "$parallel_on SELECT rebuy_fit('bgnbd', customer, x, t_x, \"T\") FROM summary" >"$out/fit_pg.json"
"$rebuy" fit --model bgnbd --summary "$out/cli.csv" --format json --quiet -o "$out/fit_cli.json"
params() { tr -d ' \n' <"$1" | sed 's/.*"params":{\([^}]*\)}.*/\1/' | tr ',' '\n' | sort; }
params "$out/fit_cli.json" >"$out/p_cli"
params "$out/fit_pg.json" >"$out/p_pg"
# jsonb keeps a number's digits as written; compare the values as doubles
if ! awk -F: 'NR == FNR { v[$1] = $2; next } { if (!($1 in v) || v[$1] + 0 != $2 + 0) bad = 1; n++ }
	END { exit (bad || n != 4) }' "$out/p_cli" "$out/p_pg"; then
	cat "$out/p_cli" "$out/p_pg"
	echo "FAIL: rebuy_fit differs from rebuy fit --summary"
	exit 1
fi
echo "ok: rebuy_fit('bgnbd') = rebuy fit --summary: $(tr '\n' ' ' <"$out/p_pg")"
