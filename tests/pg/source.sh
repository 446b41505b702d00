#!/bin/sh
# The command line's PostgreSQL source and sink against its file input and
# CSV output, on a throwaway cluster: `--db URL --table/--query` reads the
# same orders as the CSV file (byte-identical summaries), and
# `--output-table` writes rfm, predict and audiences results that read back
# (COPY ... TO STDOUT CSV) as the same bytes the CSV output has, with typed
# columns, under a table name that needs quoting.
#   tests/pg/source.sh REBUY SOURCE_DIR
set -eu
rebuy=$1
src=$(cd "$2" && pwd)
. "$src/tests/pg/cluster.sh"
pg_setup "$src"
pg_start one
out=$PGT/out
mkdir "$out"
url="postgresql://postgres@127.0.0.1:$PORT_one/postgres"
fail() { echo "FAIL: $*"; exit 1; }

"$rebuy" gen --customers 3000 --seed 5 -o "$out/orders.csv"
pg_sql one -c "CREATE TABLE orders (customer_id text, order_id text, order_date timestamp, amount numeric)"
pg_sql one -c "COPY orders FROM STDIN WITH (FORMAT csv, HEADER)" <"$out/orders.csv"

"$rebuy" summary --customers --format csv --quiet "$out/orders.csv" -o "$out/file.csv"
"$rebuy" summary --customers --format csv --quiet --db "$url" --table orders -o "$out/table.csv"
cmp -s "$out/file.csv" "$out/table.csv" || fail "--db --table differs from the file"
"$rebuy" summary --customers --format csv --quiet --db "$url" \
	--query "SELECT customer_id AS customer, order_date::date + (order_date::time) AS created_at, amount AS revenue FROM orders WHERE amount >= 0" \
	-o "$out/query.csv"
cmp -s "$out/file.csv" "$out/query.csv" || fail "--db --query differs from the file"
echo "ok: --db --table and --db --query read the same $(($(wc -l <"$out/file.csv") - 1)) customers as the file"

# A bad query is one line naming the query, exit 1.
if "$rebuy" summary --db "$url" --query "SELECT nope FROM orders" 2>"$out/err"; then
	fail "a bad query succeeded"
fi
grep -q '^rebuy: error: query: ERROR:  column "nope" does not exist$' "$out/err" ||
	{ cat "$out/err"; fail "the bad query's message"; }

check_table() { # COMMAND... : its CSV output and --output-table must agree
	tbl=$1
	shift
	"$rebuy" "$@" --format csv --raw --quiet "$out/orders.csv" -o "$out/$tbl.file.csv"
	"$rebuy" "$@" --quiet --db "$url" --table orders --output-table "$tbl"
	ident=$(printf '%s' "$tbl" | sed 's/"/""/g')
	pg_sql one -c "COPY \"$ident\" TO STDOUT WITH (FORMAT csv, HEADER)" >"$out/$tbl.db.csv"
	cmp -s "$out/$tbl.file.csv" "$out/$tbl.db.csv" || {
		diff "$out/$tbl.file.csv" "$out/$tbl.db.csv" | head
		fail "$* --output-table differs from its CSV"
	}
	echo "ok: $1 --output-table '$tbl': $(($(wc -l <"$out/$tbl.db.csv") - 1)) rows, as its CSV"
}
check_table rfm_customers rfm --customers
check_table 'pred"; DROP TABLE orders; --' predict
check_table audiences audiences
types=$(pg_sql one -At -c "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position)
	FROM information_schema.columns WHERE table_name = 'rfm_customers'")
[ "$types" = "customer bigint, recency_days bigint, frequency bigint, monetary double precision, r bigint, f bigint, m bigint, segment text" ] ||
	fail "rfm_customers column types: $types"
echo "ok: column types: $types"
pg_sql one -At -c "SELECT count(*) FROM orders" >/dev/null || fail "the orders table is gone"
if "$rebuy" rfm --customers --quiet --db "$url" --table orders --output-table rfm_customers 2>"$out/err"; then
	fail "--output-table over an existing table succeeded"
fi
grep -q 'already exists' "$out/err" || { cat "$out/err"; fail "the existing table's message"; }
echo "ok: an existing table is an error: $(cat "$out/err")"
