-- sqlite3 peer for bench/summary.py: the work of `rebuy summary`, done the way a SQL user would.
-- The harness replaces @INPUT@ and @OUTPUT@ with paths and feeds this to the sqlite3 CLI
-- (a fresh :memory: database by default, or a fresh file with --sqlite-db disk).
-- INPUT is `rebuy gen` output: customer_id, order_id, order_date, amount; one row per order.
.bail on
.headers off
.mode csv
PRAGMA temp_store = MEMORY;
CREATE TABLE orders(customer_id INTEGER, order_id INTEGER, order_date TEXT, amount REAL);
.import --skip 1 '@INPUT@' orders

-- Per customer: orders, revenue in integer cents, first and last order time, purchase days.
CREATE TEMP TABLE per_customer AS
SELECT customer_id,
       count(*) AS orders,
       sum(CAST(round(amount * 100) AS INTEGER)) AS cents,
       min(order_date) AS first_ts,
       max(order_date) AS last_ts,
       count(DISTINCT substr(order_date, 1, 10)) AS days
FROM orders
GROUP BY customer_id;

.output '@OUTPUT@'
-- The KPI totals: customers, orders, revenue (cents), repeat customers (>= 2 orders),
-- customers with >= 2 purchase days, average order value, first and last purchase day.
SELECT 'totals', count(*), sum(orders), sum(cents), sum(orders >= 2), sum(days >= 2),
       sum(cents) / 100.0 / sum(orders), substr(min(first_ts), 1, 10), substr(max(last_ts), 1, 10)
FROM per_customer;

-- Per calendar month: active customers, orders, revenue (cents).
SELECT 'month', m, count(DISTINCT customer_id), count(*), sum(CAST(round(amount * 100) AS INTEGER))
FROM (SELECT substr(order_date, 1, 7) AS m, customer_id, amount FROM orders)
GROUP BY m
ORDER BY m;

-- Per calendar month: new customers (first purchase in the month).
SELECT 'new', substr(first_ts, 1, 7) AS m, count(*)
FROM per_customer
GROUP BY m
ORDER BY m;
.output stdout
