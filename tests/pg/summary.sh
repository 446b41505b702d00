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

# Per-customer predictions from the SQL fit (with Gamma-Gamma spend) against
# `rebuy predict --summary` over the same summary file: P(alive), expected
# purchases in a year (365.25 / 7 weeks, predict's default horizon) and CLV
# (margin 1, 10% a year), equal as doubles for every customer.
pg_sql one -At -c "$parallel_on SELECT rebuy_fit('bgnbd', customer, x, t_x, \"T\", monetary) FROM summary" >"$out/fit_spend.json"
"$rebuy" predict --summary "$out/cli.csv" --format csv --quiet -o "$out/predict_cli.csv"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{ print $c["customer"] "," $c["p_alive"] "," $c["expected_purchases"] "," $c["clv"] }' \
	"$out/predict_cli.csv" | sort >"$out/pred_cli"
fit=$(cat "$out/fit_spend.json")
pg_sql one -At -F, -c "SELECT customer, rebuy_p_alive('$fit', x, t_x, \"T\"),
	rebuy_expected_purchases('$fit', 365.25 / 7, x, t_x, \"T\"),
	rebuy_clv('$fit', x, t_x, \"T\", monetary) FROM summary" | sort >"$out/pred_pg"
if ! awk -F, 'NR == FNR { v[$1] = $0; next }
	{ split(v[$1], a, ","); if (a[2] + 0 != $2 + 0 || a[3] + 0 != $3 + 0 || a[4] + 0 != $4 + 0) { print; bad++ } n++ }
	END { exit (bad || n != 23570) }' "$out/pred_cli" "$out/pred_pg" >"$out/pred_bad"; then
	head -5 "$out/pred_bad"
	echo "FAIL: rebuy_p_alive / rebuy_expected_purchases / rebuy_clv differ from rebuy predict --summary"
	exit 1
fi
echo "ok: rebuy_p_alive, rebuy_expected_purchases, rebuy_clv = rebuy predict --summary for 23570 customers"

# RFM with window functions and rebuy_rfm_score / rebuy_rfm_segment against
# `rebuy rfm --customers` (as of the day after the last purchase).
pg_sql one -c "COPY (WITH c AS (SELECT customer, (DATE '$cal_end' + 1) - (last_purchase::date) AS recency_days,
		orders AS frequency, revenue AS monetary FROM summary),
	s AS (SELECT *, rebuy_rfm_score(rank() OVER (ORDER BY recency_days DESC) - 1, count(*) OVER ()) AS r,
		rebuy_rfm_score(rank() OVER (ORDER BY frequency) - 1, count(*) OVER ()) AS f,
		rebuy_rfm_score(rank() OVER (ORDER BY monetary) - 1, count(*) OVER ()) AS m FROM c)
	SELECT *, rebuy_rfm_segment(r, f) AS segment FROM s ORDER BY customer) TO STDOUT WITH (FORMAT csv, HEADER)" \
	>"$out/rfm_pg.csv"
"$rebuy" rfm --customers --format csv --raw --quiet "$cdnow" -o "$out/rfm_cli.csv"
cmp -s "$out/rfm_cli.csv" "$out/rfm_pg.csv" || {
	diff "$out/rfm_cli.csv" "$out/rfm_pg.csv" | head
	echo "FAIL: SQL RFM differs from rebuy rfm --customers"
	exit 1
}
echo "ok: RFM scores and segments in SQL = rebuy rfm --customers"

# Cohort counts (month cohorts, customers who bought in offset k) against
# `rebuy cohorts --mode on`, and period labels by hand (DESIGN.md §4).
pg_sql one -c "CREATE VIEW order_days AS SELECT customer, ts::date AS day FROM orders"
pg_sql one -At -F, -c "SELECT * FROM rebuy_cohort_counts('order_days', 'month')" >"$out/cohorts_pg"
"$rebuy" cohorts --format csv --mode on --quiet "$cdnow" |
	awk -F, 'NR > 1 && $5 > 0 { print $1 "," $3 "," $5 }' >"$out/cohorts_cli"
cmp -s "$out/cohorts_cli" "$out/cohorts_pg" || {
	diff "$out/cohorts_cli" "$out/cohorts_pg" | head
	echo "FAIL: rebuy_cohort_counts differs from rebuy cohorts --mode on"
	exit 1
}
labels=$(pg_sql one -At -c "SELECT string_agg(rebuy_period_label(p, DATE '2011-03-05'), ' ' ORDER BY o)
	FROM (VALUES (1, 'day'), (2, 'week'), (3, 'month'), (4, 'quarter'), (5, 'year')) v(o, p)")
[ "$labels" = "2011-03-05 2011-W09 2011-03 2011-Q1 2011" ] || { echo "FAIL: period labels: $labels"; exit 1; }
echo "ok: cohort counts ($(wc -l <"$out/cohorts_pg") cells) = rebuy cohorts; labels $labels"

# Order keys: rebuy_summary(ts, amount, order_id) groups lines by order as
# the command line does with an order column. The generated file gets a
# second order at the very second of another (two orders, not one) and a
# second line of an order an hour later (one order, at the earlier time).
"$rebuy" gen --customers 20000 --seed 9 -o "$out/gen.csv"
awk -F, 'NR == 1 { print; next } { print }
	NR % 50 == 0 { print $1 ",extra-" NR "," $3 ",1.25" }
	NR % 70 == 0 { split($3, d, " "); print $1 "," $2 "," d[1] " 23:59:59,0.5" }' \
	"$out/gen.csv" >"$out/gen2.csv"
pg_sql one -c "CREATE TABLE keyed (customer text, order_id text, ts timestamp, amount numeric)"
pg_sql one -c "COPY keyed FROM STDIN WITH (FORMAT csv, HEADER)" <"$out/gen2.csv"
pg_sql one -c "ANALYZE keyed"
gcal=$(pg_sql one -At -c "SELECT max(ts)::date FROM keyed")
kquery="SELECT customer, (s).orders, (s).purchase_days,
	to_char((s).first_purchase, 'YYYY-MM-DD HH24:MI:SS'), to_char((s).last_purchase, 'YYYY-MM-DD HH24:MI:SS'),
	(s).revenue, (s).returns, (s).returned, (s).x, (s).t_x, (s).\"T\", (s).monetary, (s).x_holdout
	FROM (SELECT customer, rebuy_summary(ts, amount, order_id, DATE '$gcal', 'week') AS s
	      FROM keyed GROUP BY customer) q"
pg_sql one -c "$parallel_on COPY ($kquery) TO STDOUT WITH (FORMAT csv)" | LC_ALL=C sort >"$out/keyed_pg"
"$rebuy" summary --customers --format csv --quiet "$out/gen2.csv" | tail -n +2 | LC_ALL=C sort >"$out/keyed_cli"
cmp -s "$out/keyed_cli" "$out/keyed_pg" || {
	diff "$out/keyed_cli" "$out/keyed_pg" | head
	echo "FAIL: rebuy_summary with order keys differs from rebuy summary --customers"
	exit 1
}
echo "ok: with order keys, $(wc -l <"$out/keyed_pg") customers identical to rebuy summary --customers"

# Bad arguments are one ERROR line saying what, never a crash.
expect_error() { # SQL, the message it must give
	if pg_sql one -c "$1" >/dev/null 2>"$out/err"; then
		echo "FAIL: '$1' succeeded"
		exit 1
	fi
	grep -q "$2" "$out/err" || { cat "$out/err"; echo "FAIL: '$1' does not say '$2'"; exit 1; }
}
expect_error "SELECT rebuy_fit('nope', customer, x, t_x, \"T\") FROM summary" "unknown model"
expect_error "SELECT rebuy_p_alive('{}', 1, 1, 2)" "a fit is a JSON object with model and params"
expect_error "SELECT rebuy_p_alive('{\"model\": \"bgnbd\", \"params\": {\"r\": 1}}', 1, 1, 2)" "the fit has no number params.alpha"
expect_error "SELECT rebuy_p_alive('$fit', 1, 3, 2)" "0 <= t_x <= T"
expect_error "SELECT rebuy_clv('{\"model\": \"bgnbd\", \"params\": {\"r\": 1, \"alpha\": 1, \"a\": 1, \"b\": 1}}', 1, 1, 2, 10)" "no spend model"
expect_error "SELECT rebuy_summary(now()::timestamp, 1e20) " "out of range"
expect_error "SELECT rebuy_summary(now()::timestamp, 1, DATE '2020-01-01', 'year')" "invalid input value for enum"
expect_error "SELECT rebuy_rfm_segment(6, 1)" "scores are 1..5"
expect_error "SELECT rebuy_period_label('fortnight', DATE '2020-01-01')" "fortnight"
echo "ok: bad arguments are errors that say what"
