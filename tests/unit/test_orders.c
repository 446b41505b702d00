/* The orders table's grouping and ordering (src/data/orders.c) on inputs
 * where a customer has many records out of order: the paths that sort runs
 * longer than the insertion-sort cut-off. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/rebuy.h"
#include "testutil.h"

static struct rebuy_orders *load(const char *text, unsigned threads)
{
	struct rebuy_input_options opts;
	rebuy_input_options_init(&opts);
	opts.path = "orders.csv";
	opts.data = text;
	opts.data_len = strlen(text);
	opts.n_threads = threads;
	struct rebuy_orders *o = NULL;
	struct rebuy_error err = {0};
	if (rebuy_orders_load(&o, &opts, NULL, &err) != REBUY_OK)
		fail_msg("load: %s", err.msg);
	return o;
}

/* Customer C has 200 orders (order ids 1..200, day k on 2024-01-01 + k)
 * written in a shuffled order, each as two lines of 1.00 and 2.00 that are
 * far apart in the file; customer D has one order. Whatever the order of
 * the lines, C must end with 200 orders of 3.00 in time order. */
static void test_orders__long_shuffled_runs_group_and_sort(void **state)
{
	(void)state;
	enum { N = 200 };
	int perm[2 * N];
	for (int i = 0; i < 2 * N; i++)
		perm[i] = i;
	unsigned seed = 12345;
	for (int i = 2 * N - 1; i > 0; i--) {
		seed = seed * 1103515245u + 12345u;
		int j = (int)((seed >> 8) % (unsigned)(i + 1));
		int t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	size_t cap = 64 * 2 * N + 128, len = 0;
	char *text = malloc(cap);
	len += (size_t)snprintf(text + len, cap - len,
	                        "customer,order,date,amount\nD,9999,2024-06-01,5\n");
	for (int i = 0; i < 2 * N; i++) {
		int k = perm[i] % N, part = perm[i] / N;
		int64_t day = rebuy_days_from_civil(2024, 1, 1) + k;
		char date[16];
		rebuy_format_day(day, date, sizeof date);
		len += (size_t)snprintf(text + len, cap - len, "C,%d,%s %02d:00:00,%s\n", k + 1,
		                        date, part ? 12 : 9, part ? "2.00" : "1.00");
	}
	for (unsigned threads = 1; threads <= 2; threads++) {
		struct rebuy_orders *o = load(text, threads);
		assert_int_equal(o->n_customers, 2);
		assert_int_equal(o->n_orders, N + 1);
		uint32_t ids[2];
		rebuy_orders_customers_by_key(o, ids);
		assert_string_equal(rebuy_orders_customer_key(o, ids[0], NULL), "C");
		uint64_t a = o->cust_start[ids[0]], z = o->cust_start[ids[0] + 1];
		assert_int_equal(z - a, N);
		for (uint64_t i = a; i < z; i++) {
			int64_t k = (int64_t)(i - a);
			/* the earliest line of order k is the 09:00 one */
			assert_int_equal(o->ts[i], (rebuy_days_from_civil(2024, 1, 1) + k) * 86400 +
			                                   9 * 3600);
			assert_int_equal(o->value[i], 30000);
			assert_int_equal(o->n_lines[i], 2);
		}
		assert_int_equal(o->report.lines_merged, N);
		rebuy_orders_free(o);
	}
	free(text);
}

/* Without order keys, lines of one customer at one time are one order,
 * however far apart; 300 times written backwards come out forwards. */
static void test_orders__without_keys_long_reversed_runs_sort(void **state)
{
	(void)state;
	enum { N = 300 };
	size_t cap = 48 * 2 * N + 64, len = 0;
	char *text = malloc(cap);
	len += (size_t)snprintf(text + len, cap - len, "customer,date,amount\n");
	for (int rep = 0; rep < 2; rep++)
		for (int i = N - 1; i >= 0; i--)
			len += (size_t)snprintf(text + len, cap - len, "X,%lld,1\n",
			                        (long long)(1700000000 + (int64_t)i * 3600));
	struct rebuy_orders *o = load(text, 2);
	assert_int_equal(o->n_orders, N);
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(o->ts[i], 1700000000 + (int64_t)i * 3600);
		assert_int_equal(o->value[i], 20000);
	}
	rebuy_orders_free(o);
	free(text);
}

/* Russian and German Excel exports: ';' between fields, a decimal comma,
 * points between thousands. The marks are read from the amounts: the later
 * mark of "1.234,56" is the decimal one, and "1.000" (three digits after a
 * lone mark) decides nothing. */
static void test_orders__decimal_comma_with_point_groups_is_detected(void **state)
{
	(void)state;
	static const char text[] = "customer;date;amount\n"
	                           "A;05.03.2024;1.234,56\n"
	                           "A;06.03.2024;12,50\n"
	                           "B;07.03.2024;1.000\n";
	struct rebuy_orders *o = load(text, 1);
	assert_int_equal(o->report.delimiter, ';');
	assert_true(o->report.decimal_comma);
	assert_string_equal(o->report.date_format_name, "dmy");
	uint32_t ids[2];
	rebuy_orders_customers_by_key(o, ids);
	uint64_t a = o->cust_start[ids[0]];
	assert_int_equal(o->value[a], 12345600);
	assert_int_equal(o->value[a + 1], 125000);
	assert_int_equal(o->ts[a], rebuy_days_from_civil(2024, 3, 5) * 86400);
	assert_int_equal(o->value[o->cust_start[ids[1]]], 10000000);
	rebuy_orders_free(o);
}

/* Attributes: kept per order as the value on its earliest line (the
 * smallest value among lines at that time), ids in byte order of values,
 * the same for any thread count.
 *   order 1 (A): web 10:00, app 09:00 -> app (earliest)
 *   order 2 (A): shop 12:00, email 12:00 -> email (tie: smallest)
 *   order 3 (B): "" (empty cell) -> ""
 *   order 4 (C): web
 * values in byte order: "" app email web -> ids 0 1 2 3 (shop is seen on
 * a line but is no order's value; it still has an id: 3, web 4). */
static void test_orders__attributes_take_the_earliest_line(void **state)
{
	(void)state;
	static const char text[] = "order,customer,date,amount,channel\n"
	                           "1,A,2024-01-01 10:00:00,1,web\n"
	                           "2,A,2024-01-02 12:00:00,1,shop\n"
	                           "3,B,2024-01-03 08:00:00,1,\n"
	                           "1,A,2024-01-01 09:00:00,1,app\n"
	                           "4,C,2024-01-04 08:00:00,1,web\n"
	                           "2,A,2024-01-02 12:00:00,1,email\n";
	for (unsigned threads = 1; threads <= 2; threads++) {
		struct rebuy_input_options opts;
		rebuy_input_options_init(&opts);
		opts.path = "orders.csv";
		opts.data = text;
		opts.data_len = strlen(text);
		opts.n_threads = threads;
		opts.attributes[0] = "channel";
		opts.n_attributes = 1;
		struct rebuy_orders *o = NULL;
		struct rebuy_error err = {0};
		assert_int_equal(rebuy_orders_load(&o, &opts, NULL, &err), REBUY_OK);
		assert_int_equal(o->n_attributes, 1);
		assert_string_equal(rebuy_orders_attribute_name(o, 0), "channel");
		assert_int_equal(o->n_attr_values[0], 5);
		static const char *const values[] = {"", "app", "email", "shop", "web"};
		for (uint32_t v = 0; v < 5; v++)
			assert_string_equal(rebuy_orders_attribute_value(o, 0, v, NULL), values[v]);
		assert_null(rebuy_orders_attribute_value(o, 0, 5, NULL));
		uint32_t ids[3];
		rebuy_orders_customers_by_key(o, ids);
		uint64_t a = o->cust_start[ids[0]];
		assert_int_equal(o->attr[0][a], 1);     /* app */
		assert_int_equal(o->attr[0][a + 1], 2); /* email */
		assert_int_equal(o->attr[0][o->cust_start[ids[1]]], 0);
		assert_int_equal(o->attr[0][o->cust_start[ids[2]]], 4);
		rebuy_orders_free(o);
	}
	/* A column that is not there is an error naming the columns. */
	struct rebuy_input_options opts;
	rebuy_input_options_init(&opts);
	opts.path = "orders.csv";
	opts.data = text;
	opts.data_len = strlen(text);
	opts.attributes[0] = "country";
	opts.n_attributes = 1;
	struct rebuy_orders *o = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_orders_load(&o, &opts, NULL, &err), REBUY_EARG);
	assert_string_equal(err.msg, "orders.csv has no column 'country' (the columns are: order, "
	                             "customer, date, amount, channel)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_orders__long_shuffled_runs_group_and_sort),
	        cmocka_unit_test(test_orders__without_keys_long_reversed_runs_sort),
	        cmocka_unit_test(test_orders__decimal_comma_with_point_groups_is_detected),
	        cmocka_unit_test(test_orders__attributes_take_the_earliest_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
