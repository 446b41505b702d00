/* Unit tests for database sources (include/rebuy/db.h) on SQLite files made
 * here: a table and a query read into the same orders as the same rows in a
 * CSV file (customers, orders, revenue, first and last times compared
 * exactly), text with commas, quotes and line breaks survives the CSV
 * framing, NULL cells are empty, and bad input is one error naming what:
 * a missing file, a missing table, a writing statement, both or neither of
 * query and table. The PostgreSQL side runs against a real server in
 * tests/pg/source.sh. */
#include "testutil.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/customers.h"
#include "rebuy/db.h"
#include "rebuy/input.h"
#include "rebuy/orders.h"

static const char *const csv =
        "customer,order_id,created_at,amount,note\n"
        "a,1,2024-01-02 10:00:00,10.50,\"x, \"\"quoted\"\"\"\n"
        "b,2,2024-01-03 11:00:00,7,\n"
        "a,3,2024-02-02 09:30:00,4.25,\"two\nlines\"\n"
        "c,4,2024-02-05 00:00:00,-3,\n"
        "c,5,2024-02-06 00:00:00,12.0001,plain\n";

static const char *make_db(void)
{
	const char *path = tu_temp_text(1, "");
	remove(path);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	const char *sql =
	        "CREATE TABLE \"my orders\" (customer TEXT, order_id INTEGER, created_at TEXT, "
	        "amount REAL, note TEXT);"
	        "INSERT INTO \"my orders\" VALUES ('a', 1, '2024-01-02 10:00:00', 10.5, "
	        "'x, \"quoted\"'), ('b', 2, '2024-01-03 11:00:00', 7, NULL), "
	        "('a', 3, '2024-02-02 09:30:00', 4.25, 'two' || char(10) || 'lines'), "
	        "('c', 4, '2024-02-05 00:00:00', -3, NULL), "
	        "('c', 5, '2024-02-06 00:00:00', '12.0001', 'plain');";
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	return path;
}

static struct rebuy_orders *load_db(const char *path, const char *query, const char *table)
{
	struct rebuy_db_source *s = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_db_source_open(&s, path, query, table, &err), REBUY_OK);
	struct rebuy_input_options o;
	rebuy_input_options_init(&o);
	o.n_threads = 1;
	rebuy_db_source_bind(s, &o);
	struct rebuy_orders *orders = NULL;
	enum rebuy_status st = rebuy_orders_load(&orders, &o, NULL, &err);
	if (st)
		fail_msg("%s", err.msg);
	rebuy_db_source_free(s);
	return orders;
}

static struct rebuy_orders *load_csv(void)
{
	struct rebuy_input_options o;
	rebuy_input_options_init(&o);
	o.n_threads = 1;
	o.path = "orders.csv";
	o.data = csv;
	o.data_len = strlen(csv);
	struct rebuy_orders *orders = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_orders_load(&orders, &o, NULL, &err), REBUY_OK);
	return orders;
}

static void same_orders(const struct rebuy_orders *a, const struct rebuy_orders *b)
{
	assert_int_equal(a->n_customers, b->n_customers);
	assert_int_equal(a->n_orders, b->n_orders);
	assert_int_equal(a->n_returns, b->n_returns);
	uint32_t ia[8], ib[8];
	assert_true(a->n_customers <= 8);
	rebuy_orders_customers_by_key(a, ia);
	rebuy_orders_customers_by_key(b, ib);
	for (size_t i = 0; i < a->n_customers; i++) {
		assert_string_equal(rebuy_orders_customer_key(a, ia[i], NULL),
		                    rebuy_orders_customer_key(b, ib[i], NULL));
		struct rebuy_customer ca, cb;
		assert_int_equal(rebuy_customer_compute(a, ia[i], &ca), REBUY_OK);
		assert_int_equal(rebuy_customer_compute(b, ib[i], &cb), REBUY_OK);
		assert_int_equal(ca.n_orders, cb.n_orders);
		assert_int_equal(ca.revenue, cb.revenue);
		assert_int_equal(ca.first_ts, cb.first_ts);
		assert_int_equal(ca.last_ts, cb.last_ts);
		assert_int_equal(ca.returned, cb.returned);
	}
}

static void test_db__sqlite_table_reads_as_the_csv(void **state)
{
	(void)state;
	struct rebuy_orders *f = load_csv(), *d = load_db(make_db(), NULL, "my orders");
	same_orders(f, d);
	/* by hand: a has 10.50 + 4.25, c has 12.0001 and a return of 3 */
	assert_int_equal(d->n_customers, 3);
	assert_int_equal(d->n_orders, 4);
	assert_int_equal(d->n_returns, 1);
	rebuy_orders_free(f);
	rebuy_orders_free(d);
}

static void test_db__sqlite_query_renames_columns(void **state)
{
	(void)state;
	struct rebuy_orders *f = load_csv();
	struct rebuy_orders *d = load_db(
	        make_db(),
	        "SELECT customer AS client_id, created_at AS order_date, amount AS revenue, note "
	        "FROM \"my orders\" ORDER BY order_id",
	        NULL);
	same_orders(f, d);
	rebuy_orders_free(f);
	rebuy_orders_free(d);
}

static void expect_error(const char *path, const char *query, const char *table,
                         enum rebuy_status code, const char *needle)
{
	struct rebuy_db_source *s = (struct rebuy_db_source *)1;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_db_source_open(&s, path, query, table, &err), code);
	assert_null(s);
	if (!strstr(err.msg, needle))
		fail_msg("'%s' does not say '%s'", err.msg, needle);
	assert_null(strchr(err.msg, '\n'));
}

static void test_db__bad_input_is_one_error(void **state)
{
	(void)state;
	const char *path = make_db();
	expect_error("/nonexistent/x.db", NULL, "t", REBUY_EIO, "cannot open");
	expect_error(path, NULL, "nope", REBUY_EIO, "no such table: nope");
	expect_error(path, "DELETE FROM \"my orders\"", NULL, REBUY_EARG, "must only read");
	expect_error(path, "SELECT", NULL, REBUY_EIO, "query");
	expect_error(path, NULL, NULL, REBUY_EARG, "--query SQL or --table NAME");
	expect_error(path, "SELECT 1", "t", REBUY_EARG, "--query SQL or --table NAME");
	expect_error(path, "", NULL, REBUY_EARG, "--query is empty");
}

static void test_db__postgres_targets_are_recognized(void **state)
{
	(void)state;
	assert_true(rebuy_db_is_postgres("postgresql://u@h/db"));
	assert_true(rebuy_db_is_postgres("postgres://h"));
	assert_true(rebuy_db_is_postgres("host=localhost dbname=shop"));
	assert_false(rebuy_db_is_postgres("shop.db"));
	assert_false(rebuy_db_is_postgres("/data/a=b/shop.db"));
}

/* Every allocation failure while opening and reading a SQLite source is an
 * error (out of memory), never a crash or a leak (ASan's leak check). */
static void test_db__allocation_failures_return_cleanly(void **state)
{
	(void)state;
	const char *path = make_db();
	int done = 0;
	for (long n = 0; n < 100000 && !done; n++) {
		tu_fail_after(n);
		struct rebuy_db_source *s = NULL;
		struct rebuy_error err = {0};
		enum rebuy_status st = rebuy_db_source_open(&s, path, NULL, "my orders", &err);
		struct rebuy_orders *o = NULL;
		if (st == REBUY_OK) {
			struct rebuy_input_options opts;
			rebuy_input_options_init(&opts);
			opts.n_threads = 1;
			rebuy_db_source_bind(s, &opts);
			st = rebuy_orders_load(&o, &opts, NULL, &err);
			rebuy_db_source_free(s);
		}
		int failed = tu_fail_triggered();
		tu_fail_after(-1);
		if (st == REBUY_OK) {
			assert_int_equal(o->n_orders, 4);
			rebuy_orders_free(o);
			done = !failed;
		} else {
			assert_true(failed);
			assert_null(o);
		}
	}
	assert_true(done);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_db__sqlite_table_reads_as_the_csv),
	        cmocka_unit_test(test_db__sqlite_query_renames_columns),
	        cmocka_unit_test(test_db__bad_input_is_one_error),
	        cmocka_unit_test(test_db__postgres_targets_are_recognized),
	        cmocka_unit_test(test_db__allocation_failures_return_cleanly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
