/* Unit tests for the per-customer summary and the BTYD calibration summary
 * (include/rebuy/customers.h, DESIGN.md §4 "Customer-level").
 *
 * The hand-worked customers below carry their arithmetic in comments. The
 * CDNOW reference (../shared/data/cdnow) is the exact calibration summary of
 * the 1/10 sample that BTYD's dc.ElogToCbsCbt gives with same-day purchases
 * merged and the calibration ending 1997-09-30 (reference/clv.md).
 *
 * Tolerances: counts, days and money exactly; t_x and T in weeks or months
 * (a whole number of days over 7 or 30.4375) to 1e-12 relative against the
 * hand fraction; the CDNOW files, printed by R with 15 significant digits,
 * to 1e-9 absolute.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/customers.h"
#include "rebuy/date.h"
#include "rebuy/input.h"
#include "rebuy/orders.h"

#define CENTS(c) ((int64_t)(c)*100)

static void near_(const char *what, double got, double want, double rel, const char *file, int line)
{
	if (!(got == want || fabs(got - want) <= rel * fabs(want))) {
		print_error("%s = %.17g, want %.17g\n", what, got, want);
		_fail(file, line);
	}
}

#define NEAR(got, want) near_(#got, (got), (want), 1e-12, __FILE__, __LINE__)

static int64_t day(int y, unsigned m, unsigned d)
{
	return rebuy_days_from_civil(y, m, d);
}

static int64_t ts(int y, unsigned m, unsigned d, int hh, int mm)
{
	return day(y, m, d) * 86400 + hh * 3600 + mm * 60;
}

static struct rebuy_orders *load_text(const char *text)
{
	struct rebuy_input_options in;
	rebuy_input_options_init(&in);
	in.path = "customers.csv";
	in.data = text;
	in.data_len = strlen(text);
	in.n_threads = 1;
	struct rebuy_orders *o = NULL;
	struct rebuy_error err = {0};
	if (rebuy_orders_load(&o, &in, NULL, &err) != REBUY_OK)
		fail_msg("loading the fixture: %s", err.msg);
	return o;
}

/* The id of the customer with a key. */
static size_t cust(const struct rebuy_orders *o, const char *key)
{
	for (size_t c = 0; c < o->n_customers; c++)
		if (strcmp(rebuy_orders_customer_key(o, c, NULL), key) == 0)
			return c;
	fail_msg("no customer '%s'", key);
	return 0;
}

/* ------------------------------------------------------------------------
 * The fixture: no order ids (lines are orders by customer and time), in
 * date order with customers interleaved, as shops export. 2021.
 *   k: Mar 1 09:00 10.00, Mar 1 17:00 5.00   -> day Mar 1 worth 15.00
 *      Mar 8 10:00 20.00, Mar 8 11:00 4.00   -> day Mar 8 worth 24.00
 *      Mar 29 30.00                          -> day Mar 29 worth 30.00
 *      Apr 5 10:00 6.00, Apr 5 12:00 2.00    -> holdout day
 *      Apr 20 1.00                           -> holdout day
 *   m: Mar 31 23:00 12.00 (first purchase on the calibration end), Apr 2 3.00
 *   n: Apr 10 7.00 (first seen after the calibration end)
 *   q: Mar 2 10.00, Mar 5 0.00 (a free order), Mar 9 9.00, Mar 31 00:00 3.00
 *   r: Feb 15 8.00, and a return Feb 20 -5.00
 *   z: a return only, Mar 3 -2.00
 * ------------------------------------------------------------------------ */
static const char fixture[] = "customer,date,amount\n"
                              "r,2021-02-15,8.00\n"
                              "r,2021-02-20,-5.00\n"
                              "k,2021-03-01 17:00,5.00\n"
                              "k,2021-03-01 09:00,10.00\n"
                              "q,2021-03-02,10.00\n"
                              "z,2021-03-03,-2.00\n"
                              "q,2021-03-05,0\n"
                              "k,2021-03-08 10:00,20.00\n"
                              "k,2021-03-08 11:00,4.00\n"
                              "q,2021-03-09,9.00\n"
                              "k,2021-03-29,30.00\n"
                              "q,2021-03-31 00:00,3.00\n"
                              "m,2021-03-31 23:00,12.00\n"
                              "m,2021-04-02,3.00\n"
                              "k,2021-04-05 12:00,2.00\n"
                              "k,2021-04-05 10:00,6.00\n"
                              "n,2021-04-10,7.00\n"
                              "k,2021-04-20,1.00\n";

/* k: 8 orders on 5 days (Mar 1, Mar 8, Mar 29, Apr 5, Apr 20); revenue
 * 15 + 24 + 30 + 8 + 1 = 78.00; first day worth 15.00; second day Mar 8;
 * first order Mar 1 09:00 (the file lists 17:00 first), last Apr 20 00:00. */
static void test_customers__stats_merge_same_day_orders_into_days(void **state)
{
	(void)state;
	struct rebuy_orders *o = load_text(fixture);
	/* k m n q r z: every customer with a purchase or a return */
	assert_int_equal(o->n_customers, 6);
	struct rebuy_customer c;
	assert_int_equal(rebuy_customer_compute(o, cust(o, "k"), &c), REBUY_OK);
	assert_int_equal(c.n_orders, 8);
	assert_int_equal(c.n_days, 5);
	assert_int_equal(c.first_ts, ts(2021, 3, 1, 9, 0));
	assert_int_equal(c.last_ts, ts(2021, 4, 20, 0, 0));
	assert_int_equal(c.first_day, day(2021, 3, 1));
	assert_int_equal(c.last_day, day(2021, 4, 20));
	assert_int_equal(c.second_day, day(2021, 3, 8));
	assert_int_equal(c.revenue, CENTS(7800));
	assert_int_equal(c.first_day_revenue, CENTS(1500));
	assert_int_equal(c.n_returns, 0);
	assert_int_equal(c.returned, 0);

	/* q: 4 orders (the free one too) on 4 days, revenue 22.00 */
	assert_int_equal(rebuy_customer_compute(o, cust(o, "q"), &c), REBUY_OK);
	assert_int_equal(c.n_orders, 4);
	assert_int_equal(c.n_days, 4);
	assert_int_equal(c.revenue, CENTS(2200));
	assert_int_equal(c.first_day_revenue, CENTS(1000));
	assert_int_equal(c.second_day, day(2021, 3, 5));

	/* n: one order: the second day is the first day */
	assert_int_equal(rebuy_customer_compute(o, cust(o, "n"), &c), REBUY_OK);
	assert_int_equal(c.n_orders, 1);
	assert_int_equal(c.n_days, 1);
	assert_int_equal(c.first_day, day(2021, 4, 10));
	assert_int_equal(c.second_day, day(2021, 4, 10));
	assert_int_equal(c.revenue, CENTS(700));

	/* r: one purchase of 8.00 and one return of 5.00 */
	assert_int_equal(rebuy_customer_compute(o, cust(o, "r"), &c), REBUY_OK);
	assert_int_equal(c.n_orders, 1);
	assert_int_equal(c.revenue, CENTS(800));
	assert_int_equal(c.n_returns, 1);
	assert_int_equal(c.returned, CENTS(500));

	/* z: a return only: no purchase, no days */
	assert_int_equal(rebuy_customer_compute(o, cust(o, "z"), &c), REBUY_OK);
	assert_int_equal(c.n_orders, 0);
	assert_int_equal(c.n_days, 0);
	assert_int_equal(c.revenue, 0);
	assert_int_equal(c.n_returns, 1);
	assert_int_equal(c.returned, CENTS(200));
	rebuy_orders_free(o);
}

static void test_customers__time_units_are_a_day_a_week_and_a_twelfth_year(void **state)
{
	(void)state;
	assert_true(rebuy_time_unit_days(REBUY_UNIT_DAY) == 1.0);
	assert_true(rebuy_time_unit_days(REBUY_UNIT_WEEK) == 7.0);
	assert_true(rebuy_time_unit_days(REBUY_UNIT_MONTH) == 30.4375); /* 365.25 / 12 */
	enum rebuy_time_unit u = REBUY_UNIT_DAY;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_time_unit_from_name("month", &u, &err), REBUY_OK);
	assert_int_equal(u, REBUY_UNIT_MONTH);
	assert_string_equal(rebuy_time_unit_name(REBUY_UNIT_WEEK), "week");
	assert_int_equal(rebuy_time_unit_from_name("fortnight", &u, &err), REBUY_EARG);
}

/* Calibration end 2021-03-31 (inclusive).
 * k: calibration days Mar 1, 8, 29 -> x = 2; t_x = Mar 29 - Mar 1 = 28
 *    days; T = Mar 31 - Mar 1 = 30 days; monetary = (24.00 + 30.00)/2 =
 *    27.00 (the first day's 15.00 is not a repeat); holdout days Apr 5 and
 *    Apr 20 = 2. In weeks t_x 28/7 = 4, T 30/7; in months (30.4375 days)
 *    t_x 28/30.4375, T 30/30.4375.
 * q: days Mar 2, 5, 9, 31 (on the calibration end: in) -> x = 3; t_x = T
 *    = 29 days; monetary (0 + 9 + 3)/3 = 4.00; holdout 0.
 * m: first purchase on the calibration end -> x 0, t_x 0, T 0, monetary 0;
 *    holdout 1 (Apr 2).
 * r: x 0, t_x 0, T = Feb 15 -> Mar 31 = 13 + 31 = 44 days; monetary 0; the
 *    return is not a purchase.
 * n (first seen Apr 10) and z (no purchase): not in the calibration
 *    period, 0 returned and the output left alone. */
static void test_customers__btyd_summary_in_days_weeks_and_months(void **state)
{
	(void)state;
	struct rebuy_orders *o = load_text(fixture);
	const int64_t cal = day(2021, 3, 31);
	struct rebuy_btyd b;

	assert_int_equal(rebuy_btyd_compute(o, cust(o, "k"), cal, REBUY_UNIT_DAY, &b), 1);
	assert_true(b.x == 2.0);
	assert_true(b.t_x == 28.0);
	assert_true(b.T == 30.0);
	assert_true(b.monetary == 27.0);
	assert_int_equal(b.x_holdout, 2);
	assert_int_equal(b.first_day, day(2021, 3, 1));
	assert_int_equal(rebuy_btyd_compute(o, cust(o, "k"), cal, REBUY_UNIT_WEEK, &b), 1);
	assert_true(b.x == 2.0);
	NEAR(b.t_x, 4.0);
	NEAR(b.T, 30.0 / 7.0);
	assert_true(b.monetary == 27.0);
	assert_int_equal(rebuy_btyd_compute(o, cust(o, "k"), cal, REBUY_UNIT_MONTH, &b), 1);
	NEAR(b.t_x, 28.0 / 30.4375);
	NEAR(b.T, 30.0 / 30.4375);
	assert_int_equal(b.x_holdout, 2);

	assert_int_equal(rebuy_btyd_compute(o, cust(o, "q"), cal, REBUY_UNIT_WEEK, &b), 1);
	assert_true(b.x == 3.0);
	NEAR(b.t_x, 29.0 / 7.0);
	NEAR(b.T, 29.0 / 7.0);
	assert_true(b.monetary == 4.0);
	assert_int_equal(b.x_holdout, 0);

	assert_int_equal(rebuy_btyd_compute(o, cust(o, "m"), cal, REBUY_UNIT_WEEK, &b), 1);
	assert_true(b.x == 0.0);
	assert_true(b.t_x == 0.0);
	assert_true(b.T == 0.0);
	assert_true(b.monetary == 0.0);
	assert_int_equal(b.x_holdout, 1);
	assert_int_equal(b.first_day, cal);

	assert_int_equal(rebuy_btyd_compute(o, cust(o, "r"), cal, REBUY_UNIT_DAY, &b), 1);
	assert_true(b.x == 0.0);
	assert_true(b.t_x == 0.0);
	assert_true(b.T == 44.0);
	assert_true(b.monetary == 0.0);
	assert_int_equal(b.x_holdout, 0);

	struct rebuy_btyd untouched;
	memset(&untouched, 0x5a, sizeof untouched);
	b = untouched;
	assert_int_equal(rebuy_btyd_compute(o, cust(o, "n"), cal, REBUY_UNIT_WEEK, &b), 0);
	assert_memory_equal(&b, &untouched, sizeof b);
	assert_int_equal(rebuy_btyd_compute(o, cust(o, "z"), cal, REBUY_UNIT_WEEK, &b), 0);
	assert_memory_equal(&b, &untouched, sizeof b);
	rebuy_orders_free(o);
}

/* Moving the calibration end moves days between the periods.
 * End 2021-03-08: k has Mar 1 and Mar 8 -> x 1, t_x 7 days, T 7 days,
 *   monetary 24.00 (the Mar 8 day: 20 + 4), holdout Mar 29, Apr 5, Apr 20 =
 *   3; q has Mar 2 and Mar 5 -> x 1, monetary 0.00 (the free order),
 *   t_x 3, T 6, holdout 2 (Mar 9, Mar 31); m is new in the holdout period.
 * End 2021-02-28: only r is in the calibration period (T 13 days). */
static void test_customers__calibration_end_is_inclusive(void **state)
{
	(void)state;
	struct rebuy_orders *o = load_text(fixture);
	struct rebuy_btyd b;
	int64_t cal = day(2021, 3, 8);
	assert_int_equal(rebuy_btyd_compute(o, cust(o, "k"), cal, REBUY_UNIT_DAY, &b), 1);
	assert_true(b.x == 1.0);
	assert_true(b.t_x == 7.0);
	assert_true(b.T == 7.0);
	assert_true(b.monetary == 24.0);
	assert_int_equal(b.x_holdout, 3);
	assert_int_equal(rebuy_btyd_compute(o, cust(o, "q"), cal, REBUY_UNIT_DAY, &b), 1);
	assert_true(b.x == 1.0);
	assert_true(b.t_x == 3.0);
	assert_true(b.T == 6.0);
	assert_true(b.monetary == 0.0);
	assert_int_equal(b.x_holdout, 2);
	assert_int_equal(rebuy_btyd_compute(o, cust(o, "m"), cal, REBUY_UNIT_DAY, &b), 0);

	cal = day(2021, 2, 28);
	size_t in_calibration = 0;
	for (size_t c = 0; c < o->n_customers; c++)
		in_calibration += (size_t)rebuy_btyd_compute(o, c, cal, REBUY_UNIT_DAY, &b);
	assert_int_equal(in_calibration, 1);
	assert_int_equal(rebuy_btyd_compute(o, cust(o, "r"), cal, REBUY_UNIT_DAY, &b), 1);
	assert_true(b.T == 13.0);
	rebuy_orders_free(o);
}

/* ------------------------------------------------------------------------
 * CDNOW 1/10 sample against BTYD's exact calibration summary.
 * ------------------------------------------------------------------------ */

/* Reads a CSV of numbers with one header line: n_cols numbers per row after
 * a skipped first field when skip_first. Returns the rows read. */
static size_t read_numbers(const char *path, int skip_first, size_t n_cols, double *out,
                           size_t max_rows)
{
	size_t len = 0;
	char *text = tu_read_file(path, &len);
	assert_non_null(text);
	char *line = strchr(text, '\n');
	size_t rows = 0;
	while (line && *++line) {
		char *p = line;
		if (skip_first) {
			p = strchr(p, ',');
			assert_non_null(p);
			p++;
		}
		assert_true(rows < max_rows);
		for (size_t k = 0; k < n_cols; k++) {
			char *end;
			out[rows * n_cols + k] = strtod(p, &end);
			assert_true(end != p);
			p = end + (*end == ',');
		}
		rows++;
		line = strchr(line, '\n');
	}
	free(text);
	return rows;
}

#define CDNOW_N 2357
#define CDNOW_MAX_ID 23570

/* The reference rows are in the order of the sample ids (column 2 of
 * CDNOW_sample.txt, 1..2357: BTYD reads that column as the customer), which
 * is not the order of the master customer ids (column 1): customer 00018
 * has sample id 58, customer 00021 sample id 2. row_of[master id] = the
 * 0-based reference row, read from the sample file itself. */
static int *sample_rows(const char *path)
{
	int *row_of = calloc(CDNOW_MAX_ID + 1, sizeof *row_of);
	assert_non_null(row_of);
	for (int i = 0; i <= CDNOW_MAX_ID; i++)
		row_of[i] = -1;
	char *text = tu_read_file(path, NULL);
	assert_non_null(text);
	char *line = text;
	while (*line) {
		char *end;
		long id = strtol(line, &end, 10);
		if (end != line) {
			long sid = strtol(end, NULL, 10);
			assert_true(id >= 1 && id <= CDNOW_MAX_ID && sid >= 1 && sid <= CDNOW_N);
			assert_true(row_of[id] == -1 || row_of[id] == (int)sid - 1);
			row_of[id] = (int)sid - 1;
		}
		char *nl = strchr(line, '\n');
		if (!nl)
			break;
		line = nl + 1;
	}
	free(text);
	return row_of;
}

struct cdnow_ref {
	double cbs[CDNOW_N * 4]; /* x, t.x, T.cal, x.star */
	double mx[CDNOW_N];
};

/* Compares the BTYD summary of every customer of o (taken in key order) with
 * the reference row row_of(key); returns the number of repeat buyers. */
static size_t check_cdnow(const struct rebuy_orders *o, const struct cdnow_ref *ref,
                          const int *row_of)
{
	assert_int_equal(o->n_customers, CDNOW_N);
	uint32_t *ids = malloc(CDNOW_N * sizeof *ids);
	assert_non_null(ids);
	assert_int_equal(rebuy_orders_customers_by_key(o, ids), REBUY_OK);
	const int64_t cal = day(1997, 9, 30);
	double sum_x = 0, sum_star = 0;
	size_t n_repeat = 0;
	char seen[CDNOW_N] = {0};
	for (size_t i = 0; i < CDNOW_N; i++) {
		const char *key = rebuy_orders_customer_key(o, ids[i], NULL);
		size_t row = row_of ? (size_t)row_of[atoi(key)] : i;
		assert_true(row < CDNOW_N && !seen[row]);
		seen[row] = 1;
		struct rebuy_btyd b;
		if (!rebuy_btyd_compute(o, ids[i], cal, REBUY_UNIT_WEEK, &b))
			fail_msg("customer %s is not in the calibration period", key);
		const double *want = &ref->cbs[row * 4];
		const double got[4] = {b.x, b.t_x, b.T, (double)b.x_holdout};
		static const char *const names[4] = {"x", "t.x", "T.cal", "x.star"};
		for (int k = 0; k < 4; k++)
			if (fabs(got[k] - want[k]) > 1e-9)
				fail_msg("customer %s (row \"%zu\"): %s = %.15g, want %.15g", key,
				         row + 1, names[k], got[k], want[k]);
		if (fabs(b.monetary - ref->mx[row]) > 1e-9)
			fail_msg("customer %s (row %zu): monetary = %.15g, want %.15g", key,
			         row + 1, b.monetary, ref->mx[row]);
		sum_x += b.x;
		sum_star += b.x_holdout;
		n_repeat += b.x > 0;
	}
	assert_true(sum_x == 2457.0);
	assert_true(sum_star == 1882.0);
	free(ids);
	return n_repeat;
}

static struct rebuy_orders *load_cdnow(const char *path, const char *columns)
{
	struct rebuy_input_options in;
	rebuy_input_options_init(&in);
	in.path = path;
	in.columns = columns;
	struct rebuy_orders *o = NULL;
	struct rebuy_error err = {0};
	if (rebuy_orders_load(&o, &in, NULL, &err) != REBUY_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(o->report.rows, 6919);
	return o;
}

/* x, t.x, T.cal, x.star of cdnow_cbs_exact.csv for all 2,357 customers, to
 * 1e-9 absolute; sum of x = 2,457 and of x.star = 1,882 (reference/clv.md).
 * cdnow_mx_exact.csv holds one column "value", one row per customer in the
 * same order: the mean value of the repeat purchase days of the calibration
 * period (0 for the 1,411 customers with x = 0), e.g. row 1 (customer
 * 00004): repeat days 1997-01-18 29.73 and 1997-08-02 14.96 -> 22.345. It
 * is compared with monetary to 1e-9 absolute; the 946 customers with x > 0
 * are the Gamma-Gamma sample of reference/clv.md.
 * Loaded with the master id as the customer (customer,_,date,_,amount),
 * each customer is matched to its row through its sample id; loaded with
 * the sample id as the customer (_,customer,date,_,amount), the key order
 * of rebuy_orders_customers_by_key is the row order itself. */
static void test_customers__cdnow_sample_matches_the_btyd_reference(void **state)
{
	(void)state;
	char sample[4096], cbs_path[4096], mx_path[4096];
	const char *p = tu_shared_path("data/cdnow/CDNOW_sample.txt");
	if (!p)
		skip();
	snprintf(sample, sizeof sample, "%s", p);
	p = tu_shared_path("data/cdnow/cdnow_cbs_exact.csv");
	if (!p)
		skip();
	snprintf(cbs_path, sizeof cbs_path, "%s", p);
	p = tu_shared_path("data/cdnow/cdnow_mx_exact.csv");
	if (!p)
		skip();
	snprintf(mx_path, sizeof mx_path, "%s", p);

	struct cdnow_ref *ref = malloc(sizeof *ref);
	assert_non_null(ref);
	assert_int_equal(read_numbers(cbs_path, 1, 4, ref->cbs, CDNOW_N), CDNOW_N);
	assert_int_equal(read_numbers(mx_path, 0, 1, ref->mx, CDNOW_N), CDNOW_N);
	int *row_of = sample_rows(sample);

	struct rebuy_orders *o = load_cdnow(sample, "customer,_,date,_,amount");
	assert_int_equal(check_cdnow(o, ref, row_of), 946);
	rebuy_orders_free(o);

	o = load_cdnow(sample, "_,customer,date,_,amount");
	assert_int_equal(check_cdnow(o, ref, NULL), 946);
	rebuy_orders_free(o);
	free(row_of);
	free(ref);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_customers__stats_merge_same_day_orders_into_days),
	        cmocka_unit_test(test_customers__time_units_are_a_day_a_week_and_a_twelfth_year),
	        cmocka_unit_test(test_customers__btyd_summary_in_days_weeks_and_months),
	        cmocka_unit_test(test_customers__calibration_end_is_inclusive),
	        cmocka_unit_test(test_customers__cdnow_sample_matches_the_btyd_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
