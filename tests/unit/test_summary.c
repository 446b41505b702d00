/* Unit tests for the KPI pack and the period metrics (include/rebuy/summary.h,
 * DESIGN.md §4) and for the CDNOW master file facts.
 *
 * Every expected value is worked out by hand in the comment above its
 * assertions, from the definitions in DESIGN.md §4 and docs/definitions.md,
 * never copied from the program's output. Day gaps were counted on a
 * calendar (and checked with Python's date subtraction); ISO week labels
 * with GNU `date +%G-W%V`.
 *
 * Tolerances: integers and money (1/10,000 units) are compared exactly;
 * doubles computed from exact sums are compared to the hand value with a
 * relative tolerance of 1e-12 (NaN must be NaN).
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/date.h"
#include "rebuy/doc.h"
#include "rebuy/input.h"
#include "rebuy/orders.h"
#include "rebuy/summary.h"

/* Money in cents, as 1/10,000 units. */
#define CENTS(c) ((int64_t)(c)*100)

#define REL_TOL 1e-12

static void near_(const char *what, double got, double want, const char *file, int line)
{
	int ok;
	if (isnan(want))
		ok = isnan(got);
	else
		ok = got == want || fabs(got - want) <= REL_TOL * fabs(want);
	if (!ok) {
		print_error("%s = %.17g, want %.17g\n", what, got, want);
		_fail(file, line);
	}
}

#define NEAR(got, want) near_(#got, (got), (want), __FILE__, __LINE__)

static int64_t day(int y, unsigned m, unsigned d)
{
	return rebuy_days_from_civil(y, m, d);
}

/* Loads CSV text from memory. opts may be NULL (defaults, one thread). */
static struct rebuy_orders *load(const char *text, struct rebuy_input_options *opts)
{
	struct rebuy_input_options local;
	if (!opts) {
		rebuy_input_options_init(&local);
		local.n_threads = 1;
		opts = &local;
	}
	opts->path = "fixture.csv";
	opts->data = text;
	opts->data_len = strlen(text);
	struct rebuy_orders *o = NULL;
	struct rebuy_error err = {0};
	if (rebuy_orders_load(&o, opts, NULL, &err) != REBUY_OK)
		fail_msg("loading the fixture: %s", err.msg);
	return o;
}

static struct rebuy_summary *summarize(const struct rebuy_orders *o, enum rebuy_period period,
                                       int64_t as_of_day, unsigned n_threads)
{
	struct rebuy_summary_options so;
	rebuy_summary_options_init(&so);
	so.period = period;
	so.n_threads = n_threads ? n_threads : 1;
	if (as_of_day) {
		so.has_as_of = 1;
		so.as_of_day = as_of_day;
	}
	struct rebuy_summary *s = NULL;
	struct rebuy_error err = {0};
	if (rebuy_summary_compute(o, &so, &s, &err) != REBUY_OK)
		fail_msg("summary: %s", err.msg);
	return s;
}

/* One expected period row. */
struct want_row {
	const char *label;
	int y, m, d; /* start day */
	int partial;
	uint64_t E, N, S, retained, reactivated, dormant;
	double crr, strict, churn;
	uint64_t orders;
	int64_t revenue;
	double aov;
	int64_t revenue_new, revenue_returning;
};

/* A period-row mismatch names the period and the field. */
static void row_int(const struct want_row *w, const char *field, int64_t got, int64_t want)
{
	if (got != want) {
		print_error("period %s: %s = %lld, want %lld\n", w->label, field, (long long)got,
		            (long long)want);
		_fail(__FILE__, __LINE__);
	}
}

static void row_near(const struct want_row *w, const char *field, double got, double want)
{
	int ok = isnan(want) ? isnan(got) : got == want || fabs(got - want) <= REL_TOL * fabs(want);
	if (!ok) {
		print_error("period %s: %s = %.17g, want %.17g\n", w->label, field, got, want);
		_fail(__FILE__, __LINE__);
	}
}

static void check_rows(const struct rebuy_summary *s, const struct want_row *want, size_t n)
{
	assert_int_equal(s->n_periods, n);
	for (size_t i = 0; i < n; i++) {
		const struct rebuy_period_row *r = &s->periods[i];
		const struct want_row *w = &want[i];
		char label[32];
		rebuy_period_label(s->period, r->index, label, sizeof label);
		if (strcmp(label, w->label) != 0)
			fail_msg("row %zu is %s, want %s", i, label, w->label);
		row_int(w, "start", r->start_day, day(w->y, (unsigned)w->m, (unsigned)w->d));
		row_int(w, "partial", r->is_partial, w->partial);
		row_int(w, "E", (int64_t)r->E, (int64_t)w->E);
		row_int(w, "N", (int64_t)r->N, (int64_t)w->N);
		row_int(w, "S", (int64_t)r->S, (int64_t)w->S);
		row_int(w, "retained", (int64_t)r->retained, (int64_t)w->retained);
		row_int(w, "reactivated", (int64_t)r->reactivated, (int64_t)w->reactivated);
		row_int(w, "dormant", (int64_t)r->dormant, (int64_t)w->dormant);
		row_near(w, "crr", r->crr, w->crr);
		row_near(w, "strict_retention", r->strict_retention, w->strict);
		row_near(w, "churn", r->churn, w->churn);
		row_int(w, "orders", (int64_t)r->orders, (int64_t)w->orders);
		row_int(w, "revenue", r->revenue, w->revenue);
		row_near(w, "aov", r->aov, w->aov);
		row_int(w, "revenue_new", r->revenue_new, w->revenue_new);
		row_int(w, "revenue_returning", r->revenue_returning, w->revenue_returning);
	}
}

/* ------------------------------------------------------------------------
 * Fixture A: order ids, some times, returns (one customer with a return
 * only), a zero-value order, a multi-line order with a negative line, two
 * orders on one day, a customer with one order, an empty month (April), a
 * reactivation after a skipped month (d in March and after the empty April
 * in May), and data ending mid-May (May partial). 2021 is not a leap year.
 *
 * Purchases (orders >= 0), per customer:
 *   a: o1 Jan 5 10:00 10.00, o2 Jan 5 15:30 5.00 (two orders, one day),
 *      o3 Feb 10 20.00, o4 Mar 1 30.00; return o17 Mar 5 -10.00
 *   b: o5 Jan 20 40.00 (one order); return o7 Jan 25 -15.00
 *   c: o8 Feb 3 09:00 12.50, o9 Feb 3 18:00 0.00 (zero value; one day)
 *   d: o10 Jan 31 8.00, o11 Mar 15 16.00, o12 May 10 24.00
 *   e: o13 Mar 2 100.00, o14 Mar 3 50.00,
 *      o15 Mar 20 = 7.25 + 3.75 - 1.00 = 10.00 (a purchase: the order is >= 0)
 *   f: return o16 Feb 14 -5.00 only (not a customer of the KPI pack)
 * ------------------------------------------------------------------------ */
static const char fixture_a[] = "customer,order,date,amount\n"
                                "a,o1,2021-01-05 10:00,10.00\n"
                                "a,o2,2021-01-05 15:30,5.00\n"
                                "b,o5,2021-01-20,40.00\n"
                                "b,o7,2021-01-25,-15.00\n"
                                "d,o10,2021-01-31,8\n"
                                "c,o8,2021-02-03 09:00,12.50\n"
                                "c,o9,2021-02-03 18:00,0.00\n"
                                "a,o3,2021-02-10,20.00\n"
                                "f,o16,2021-02-14,-5.00\n"
                                "a,o4,2021-03-01,30.00\n"
                                "e,o13,2021-03-02,100.00\n"
                                "e,o14,2021-03-03,50\n"
                                "a,o17,2021-03-05,-10.00\n"
                                "d,o11,2021-03-15,16.00\n"
                                "e,o15,2021-03-20 11:00,7.25\n"
                                "e,o15,2021-03-20 11:05,3.75\n"
                                "e,o15,2021-03-20 11:10,-1.00\n"
                                "d,o12,2021-05-10,24.00\n";

/* The KPI pack of fixture A does not depend on the period. */
static void check_kpis_a(const struct rebuy_summary *s)
{
	assert_int_equal(s->has_amount, 1);
	/* customers: a, b, c, d, e = 5 (f has a return only) */
	assert_int_equal(s->customers, 5);
	/* orders: a 4 + b 1 + c 2 + d 3 + e 3 = 13 */
	assert_int_equal(s->orders, 13);
	/* revenue: a 10+5+20+30 = 65, b 40, c 12.50, d 8+16+24 = 48,
	 * e 100+50+10 = 160; 65 + 40 + 12.5 + 48 + 160 = 325.50 */
	assert_int_equal(s->revenue, CENTS(32550));
	/* zero-value purchases: o9 */
	assert_int_equal(s->zero_value_orders, 1);
	/* returns: o7 15.00, o17 10.00, o16 5.00 -> 3 orders, 30.00 */
	assert_int_equal(s->return_orders, 3);
	assert_int_equal(s->return_value, CENTS(3000));
	NEAR(s->return_rate, 30.0 / 325.5);
	/* net revenue: 325.50 - 30.00 = 295.50 */
	assert_int_equal(s->net_revenue, CENTS(29550));
	/* >= 2 orders: a (4), c (2), d (3), e (3) = 4 of 5 */
	assert_int_equal(s->repeat_customers, 4);
	NEAR(s->repeat_purchase_rate, 0.8);
	/* >= 2 purchase days: a (Jan 5, Feb 10, Mar 1), d (3), e (3); c has one
	 * day -> 3 of 5 */
	assert_int_equal(s->repeat_customers_days, 3);
	NEAR(s->repeat_purchase_rate_days, 0.6);
	NEAR(s->purchase_frequency, 13.0 / 5.0);
	NEAR(s->aov, 325.5 / 13.0);
	/* revenue after each customer's first purchase day: a 20+30 = 50,
	 * b 0, c 0 (both orders on the first day), d 16+24 = 40, e 50+10 = 60;
	 * 150.00 of 325.50 */
	assert_int_equal(s->repeat_revenue, CENTS(15000));
	NEAR(s->repeat_revenue_share, 150.0 / 325.5);
	/* gaps between consecutive purchase days:
	 *   a: Jan 5 -> Feb 10 = 26 + 10 = 36; Feb 10 -> Mar 1 = 18 + 1 = 19
	 *   d: Jan 31 -> Mar 15 = 28 + 15 = 43; Mar 15 -> May 10 = 16 + 30 + 10 = 56
	 *   e: Mar 2 -> Mar 3 = 1; Mar 3 -> Mar 20 = 17
	 * six gaps, sum 172, mean 172/6; sorted 1 17 19 36 43 56, median
	 * (19 + 36) / 2 = 27.5 */
	assert_int_equal(s->n_gaps, 6);
	NEAR(s->mean_days_between_purchases, 172.0 / 6.0);
	NEAR(s->median_days_between_purchases, 27.5);
	/* first to second purchase day: a 36, d 43, e 1; sorted 1 36 43 ->
	 * median 36 (odd count) */
	NEAR(s->median_days_to_second_purchase, 36.0);
	/* the histograms behind the medians */
	assert_int_equal(s->gap_hist[1], 1);
	assert_int_equal(s->gap_hist[56], 1);
	assert_int_equal(s->second_hist[36], 1);
	assert_int_equal(s->second_hist[19], 0);
	NEAR(s->historic_ltv, 325.5 / 5.0);
	assert_int_equal(s->first_day, day(2021, 1, 5));
	assert_int_equal(s->last_day, day(2021, 5, 10));
}

/* The monthly table of fixture A as of 2021-05-11 (the default):
 *   2021-01: E = {a, b, d} = 3, N = 3, S = 0; orders a2 b1 d1 = 4,
 *            revenue 10+5+40+8 = 63.00, aov 15.75, all new.
 *   2021-02: E = {a, c} = 2, N = {c} = 1, S = E(Jan) = 3; retained = {a}
 *            = 1; reactivated = 2-1-1 = 0; dormant = 3-1 = 2 (b, d);
 *            crr = (2-1)/3, strict = 1/3, churn = 2/3; orders a1 c2 = 3,
 *            revenue 20+12.50+0 = 32.50, aov 32.5/3, new (c) 12.50,
 *            returning (a) 20.00.
 *   2021-03: E = {a, d, e} = 3, N = {e} = 1, S = 2 (a, c); retained = {a};
 *            reactivated = 3-1-1 = 1 (d, back after Feb); dormant = 1 (c);
 *            crr = 2/2 = 1, strict 1/2, churn 1/2; orders a1 d1 e3 = 5,
 *            revenue 30+16+160 = 206.00, aov 41.2, new (e) 160, ret. 46.
 *   2021-04: no purchases: E = N = 0, S = 3; retained 0, dormant 3,
 *            crr 0/3 = 0, strict 0, churn 1; aov 0/0 = NaN.
 *   2021-05: E = {d} = 1, N = 0, S = 0 (April was empty): crr, strict and
 *            churn NaN; reactivated 1; orders 1, revenue 24.00 returning;
 *            partial (June 1 is after the as-of day May 11). */
static const struct want_row months_a[] = {
        {"2021-01", 2021, 1, 1, 0, 3, 3, 0, 0, 0, 0, NAN, NAN, NAN, 4, CENTS(6300), 15.75,
         CENTS(6300), 0},
        {"2021-02", 2021, 2, 1, 0, 2, 1, 3, 1, 0, 2, 1.0 / 3, 1.0 / 3, 2.0 / 3, 3, CENTS(3250),
         32.5 / 3, CENTS(1250), CENTS(2000)},
        {"2021-03", 2021, 3, 1, 0, 3, 1, 2, 1, 1, 1, 1.0, 0.5, 0.5, 5, CENTS(20600), 41.2,
         CENTS(16000), CENTS(4600)},
        {"2021-04", 2021, 4, 1, 0, 0, 0, 3, 0, 0, 3, 0.0, 0.0, 1.0, 0, 0, NAN, 0, 0},
        {"2021-05", 2021, 5, 1, 1, 1, 0, 0, 0, 1, 0, NAN, NAN, NAN, 1, CENTS(2400), 24.0, 0,
         CENTS(2400)},
};

/* simple_ltv of fixture A (as of May 11): churn over the complete months
 * after the first with S > 0 (docs/definitions.md): Feb (churn 2/3), Mar
 * (1/2), Apr (1); May is partial. Mean churn (2/3 + 1/2 + 1)/3 = (13/6)/3 =
 * 13/18, lifetime 18/13 months. Revenue per active customer-month over
 * every complete month, Jan..Apr: (63.00 + 32.50 + 206.00 + 0) / (3 + 2 +
 * 3 + 0) = 301.5/8 = 37.6875; value 37.6875 * 18/13. */
static void check_simple_ltv_a(const struct rebuy_summary *s)
{
	assert_int_equal(s->simple_ltv.n_months, 3);
	NEAR(s->simple_ltv.mean_monthly_churn, 13.0 / 18.0);
	NEAR(s->simple_ltv.lifetime_months, 18.0 / 13.0);
	NEAR(s->simple_ltv.monthly_revenue_per_customer, 37.6875);
	NEAR(s->simple_ltv.value, 37.6875 * 18.0 / 13.0);
}

static void test_summary__kpis_and_months_of_a_hand_worked_shop(void **state)
{
	(void)state;
	struct rebuy_orders *o = load(fixture_a, NULL);
	/* the orders table keeps f (a return only): 6 customers, 13 purchases */
	assert_int_equal(o->n_customers, 6);
	assert_int_equal(o->n_orders, 13);
	struct rebuy_summary *s = summarize(o, REBUY_PERIOD_MONTH, 0, 1);
	check_kpis_a(s);
	assert_int_equal(s->as_of_day, day(2021, 5, 11));
	check_rows(s, months_a, sizeof months_a / sizeof *months_a);
	check_simple_ltv_a(s);
	rebuy_summary_free(s);
	rebuy_orders_free(o);
}

/* Quarters of fixture A:
 *   2021-Q1: E = {a, b, c, d, e} = 5 = N, S = 0; orders Jan 4 + Feb 3 +
 *            Mar 5 = 12, revenue 63 + 32.50 + 206 = 301.50, aov 301.5/12 =
 *            25.125, all new.
 *   2021-Q2: E = {d} = 1, N = 0, S = 5; retained = {d} = 1, reactivated 0,
 *            dormant 4; crr (1-0)/5 = 0.2, strict 0.2, churn 0.8; orders 1,
 *            revenue 24.00 returning; partial (Jul 1 > May 11).
 * Years: 2021: E = N = 5, S = 0, orders 13, revenue 325.50, all new,
 *            partial (2022-01-01 > May 11).
 * simple_ltv always uses calendar months: the same as with --period month. */
static void test_summary__quarters_and_years_of_the_same_shop(void **state)
{
	(void)state;
	static const struct want_row quarters[] = {
	        {"2021-Q1", 2021, 1, 1, 0, 5, 5, 0, 0, 0, 0, NAN, NAN, NAN, 12, CENTS(30150),
	         25.125, CENTS(30150), 0},
	        {"2021-Q2", 2021, 4, 1, 1, 1, 0, 5, 1, 0, 4, 0.2, 0.2, 0.8, 1, CENTS(2400), 24.0, 0,
	         CENTS(2400)},
	};
	static const struct want_row years[] = {
	        {"2021", 2021, 1, 1, 1, 5, 5, 0, 0, 0, 0, NAN, NAN, NAN, 13, CENTS(32550),
	         325.5 / 13, CENTS(32550), 0},
	};
	struct rebuy_orders *o = load(fixture_a, NULL);
	struct rebuy_summary *s = summarize(o, REBUY_PERIOD_QUARTER, 0, 1);
	check_kpis_a(s);
	check_rows(s, quarters, 2);
	check_simple_ltv_a(s);
	rebuy_summary_free(s);
	s = summarize(o, REBUY_PERIOD_YEAR, 0, 1);
	check_kpis_a(s);
	check_rows(s, years, 1);
	check_simple_ltv_a(s);
	rebuy_summary_free(s);
	rebuy_orders_free(o);
}

/* --as-of 2021-07-01, after the data: the table runs to June, the period
 * holding the day before the as-of day. May is now complete; June is empty
 * and complete (July 1 is not after the as-of day):
 *   2021-06: E = 0, N = 0, S = E(May) = 1 (d); retained 0, dormant 1,
 *            crr 0, strict 0, churn 1; aov NaN.
 * simple_ltv: churn over the months after the first, complete, with
 * S > 0: Feb 2/3, Mar 1/2, Apr 1, Jun 1 (May has S = 0). Mean churn (4/6 +
 * 3/6 + 6/6 + 6/6)/4 = 19/24, lifetime 24/19; revenue over every complete
 * month Jan..Jun (63 + 32.50 + 206 + 0 + 24 + 0 = 325.50) / active (3 + 2 +
 * 3 + 0 + 1 + 0 = 9) = 36.1666...; value 325.5/9 * 24/19.
 * With --as-of 2021-06-15 June is partial, the table still ends in June,
 * churn is over Feb, Mar, Apr again (13/18), revenue over Jan..May =
 * 325.50 / 9. */
static void test_summary__as_of_after_the_data_adds_empty_periods(void **state)
{
	(void)state;
	struct want_row rows[6];
	memcpy(rows, months_a, sizeof months_a);
	rows[4].partial = 0;
	rows[5] = (struct want_row){"2021-06", 2021, 6,   1,   0, 0, 0,   1, 0, 0,
	                            1,         0.0,  0.0, 1.0, 0, 0, NAN, 0, 0};
	struct rebuy_orders *o = load(fixture_a, NULL);
	struct rebuy_summary *s = summarize(o, REBUY_PERIOD_MONTH, day(2021, 7, 1), 1);
	check_kpis_a(s);
	assert_int_equal(s->as_of_day, day(2021, 7, 1));
	check_rows(s, rows, 6);
	assert_int_equal(s->simple_ltv.n_months, 4);
	NEAR(s->simple_ltv.mean_monthly_churn, 19.0 / 24.0);
	NEAR(s->simple_ltv.lifetime_months, 24.0 / 19.0);
	NEAR(s->simple_ltv.monthly_revenue_per_customer, 325.5 / 9.0);
	NEAR(s->simple_ltv.value, 325.5 / 9.0 * 24.0 / 19.0);
	rebuy_summary_free(s);

	rows[5].partial = 1;
	s = summarize(o, REBUY_PERIOD_MONTH, day(2021, 6, 15), 1);
	check_rows(s, rows, 6);
	assert_int_equal(s->simple_ltv.n_months, 3);
	NEAR(s->simple_ltv.mean_monthly_churn, 13.0 / 18.0);
	NEAR(s->simple_ltv.monthly_revenue_per_customer, 325.5 / 9.0);
	NEAR(s->simple_ltv.value, 325.5 / 9.0 * 18.0 / 13.0);
	rebuy_summary_free(s);

	/* --as-of on the first of a month: the table ends with the month before,
	 * complete. As of 2021-06-01: Jan..May, May complete. As of 2021-05-31
	 * (purchases before May 31 count) May 31 is not covered: May is
	 * partial. */
	s = summarize(o, REBUY_PERIOD_MONTH, day(2021, 6, 1), 1);
	check_rows(s, rows, 5);
	rebuy_summary_free(s);
	s = summarize(o, REBUY_PERIOD_MONTH, day(2021, 5, 31), 1);
	check_rows(s, months_a, 5);
	rebuy_summary_free(s);

	/* An as-of day on or before the last purchase day is refused. */
	struct rebuy_summary_options so;
	rebuy_summary_options_init(&so);
	so.has_as_of = 1;
	so.as_of_day = day(2021, 5, 10);
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_summary_compute(o, &so, &s, &err), REBUY_EARG);
	assert_null(s);
	rebuy_orders_free(o);
}

/* Fixture A in the window --from 2021-02-01 --to 2021-03-31:
 *   purchases: a Feb 10 20.00, Mar 1 30.00; c Feb 3 12.50 + 0.00;
 *              d Mar 15 16.00 (its first purchase in the window);
 *              e Mar 2 100, Mar 3 50, Mar 20 10.
 *   returns in the window: f Feb 14 5.00, a Mar 5 10.00 (b's Jan 25 is out).
 * customers 4 (a, c, d, e); orders 2 + 2 + 1 + 3 = 8; revenue 20 + 30 +
 * 12.50 + 16 + 160 = 238.50; zero-value 1; returns 2, 15.00, rate
 * 15/238.5; net 223.50. >= 2 orders: a, c, e = 3/4; >= 2 days: a, e = 2/4.
 * frequency 8/4 = 2; aov 238.5/8 = 29.8125. Repeat revenue: a 30, e 60 =
 * 90.00, share 90/238.5. Gaps: a 19; e 1, 17 -> mean 37/3, sorted 1 17 19,
 * median 17. Second purchase: a 19, e 1 -> median (1 + 19)/2 = 10 (even).
 * historic_ltv 238.5/4 = 59.625.
 * As of the day after the last purchase (Mar 21):
 *   2021-02: E = {a, c} = N = 2; orders 3, revenue 32.50, all new.
 *   2021-03: E = {a, d, e} = 3, N = {d, e} = 2, S = 2; retained {a} = 1;
 *            reactivated 3-2-1 = 0; dormant 1 (c); crr (3-2)/2 = 0.5,
 *            strict 0.5, churn 0.5; orders 5, revenue 206.00, aov 41.2,
 *            new d 16 + e 160 = 176.00, returning 30.00; partial.
 *   simple_ltv: no complete month after the first -> no churn, NaN
 *   lifetime and value; revenue per active customer over the complete
 *   month Feb: 32.50 / 2 = 16.25.
 * With --as-of 2021-04-01 (given to the loader and the summary, as the
 * command does) March is complete: churn over March 0.5, lifetime 2;
 * revenue (32.50 + 206) / (2 + 3) = 47.7 per active customer; value 95.4. */
static void test_summary__window_keeps_orders_between_from_and_to(void **state)
{
	(void)state;
	static const struct want_row rows[] = {
	        {"2021-02", 2021, 2, 1, 0, 2, 2, 0, 0, 0, 0, NAN, NAN, NAN, 3, CENTS(3250),
	         32.5 / 3, CENTS(3250), 0},
	        {"2021-03", 2021, 3, 1, 1, 3, 2, 2, 1, 0, 1, 0.5, 0.5, 0.5, 5, CENTS(20600), 41.2,
	         CENTS(17600), CENTS(3000)},
	};
	struct rebuy_input_options in;
	rebuy_input_options_init(&in);
	in.n_threads = 1;
	in.has_from = in.has_to = 1;
	in.from_day = day(2021, 2, 1);
	in.to_day = day(2021, 3, 31);
	struct rebuy_orders *o = load(fixture_a, &in);
	struct rebuy_summary *s = summarize(o, REBUY_PERIOD_MONTH, 0, 1);
	assert_int_equal(s->customers, 4);
	assert_int_equal(s->orders, 8);
	assert_int_equal(s->revenue, CENTS(23850));
	assert_int_equal(s->zero_value_orders, 1);
	assert_int_equal(s->return_orders, 2);
	assert_int_equal(s->return_value, CENTS(1500));
	NEAR(s->return_rate, 15.0 / 238.5);
	assert_int_equal(s->net_revenue, CENTS(22350));
	assert_int_equal(s->repeat_customers, 3);
	NEAR(s->repeat_purchase_rate, 0.75);
	assert_int_equal(s->repeat_customers_days, 2);
	NEAR(s->repeat_purchase_rate_days, 0.5);
	NEAR(s->purchase_frequency, 2.0);
	NEAR(s->aov, 29.8125);
	assert_int_equal(s->repeat_revenue, CENTS(9000));
	NEAR(s->repeat_revenue_share, 90.0 / 238.5);
	assert_int_equal(s->n_gaps, 3);
	NEAR(s->mean_days_between_purchases, 37.0 / 3.0);
	NEAR(s->median_days_between_purchases, 17.0);
	NEAR(s->median_days_to_second_purchase, 10.0);
	NEAR(s->historic_ltv, 59.625);
	assert_int_equal(s->as_of_day, day(2021, 3, 21));
	check_rows(s, rows, 2);
	assert_int_equal(s->simple_ltv.n_months, 0);
	NEAR(s->simple_ltv.mean_monthly_churn, NAN);
	NEAR(s->simple_ltv.lifetime_months, NAN);
	NEAR(s->simple_ltv.monthly_revenue_per_customer, 16.25);
	NEAR(s->simple_ltv.value, NAN);
	rebuy_summary_free(s);
	rebuy_orders_free(o);

	in.has_as_of = 1;
	in.as_of_day = day(2021, 4, 1);
	o = load(fixture_a, &in);
	s = summarize(o, REBUY_PERIOD_MONTH, day(2021, 4, 1), 1);
	assert_int_equal(s->revenue, CENTS(23850));
	assert_int_equal(s->n_periods, 2);
	assert_int_equal(s->periods[1].is_partial, 0);
	assert_int_equal(s->simple_ltv.n_months, 1);
	NEAR(s->simple_ltv.mean_monthly_churn, 0.5);
	NEAR(s->simple_ltv.lifetime_months, 2.0);
	NEAR(s->simple_ltv.monthly_revenue_per_customer, 47.7);
	NEAR(s->simple_ltv.value, 95.4);
	rebuy_summary_free(s);
	rebuy_orders_free(o);
}

/* ------------------------------------------------------------------------
 * Fixture W: ISO weeks across the 2020/2021 year boundary (2020 has 53 ISO
 * weeks), no order ids (lines grouped by customer and time), times of day.
 *   2020-W52 = Mon 2020-12-21 .. Sun 12-27; 2020-W53 = 12-28 .. 2021-01-03;
 *   2021-W01 = 01-04 .. 01-10; 2021-W02 = 01-11 .. 01-17.
 * Orders:
 *   p: Tue 12-22 10, Tue 12-29 20, Tue 01-05 30
 *   q: Thu 12-31 5, Sun 01-03 7 (both W53), Thu 01-14 9
 *   r: Sun 12-27 23:59:59 4 (W52), Mon 01-11 00:00:01 6 (W02)
 *   s: Mon 01-04 00:00 3, 12:00 1.5 + 2.5 (two lines, one time: one order
 *      of 4), 23:59:59 2 -> three orders on one day
 * ------------------------------------------------------------------------ */
static const char fixture_w[] = "customer,date,amount\n"
                                "p,2020-12-22 08:00:00,10\n"
                                "r,2020-12-27 23:59:59,4\n"
                                "p,2020-12-29 12:00:00,20\n"
                                "q,2020-12-31 10:00:00,5\n"
                                "q,2021-01-03 10:00:00,7\n"
                                "s,2021-01-04 00:00:00,3\n"
                                "s,2021-01-04 12:00:00,1.5\n"
                                "s,2021-01-04 12:00:00,2.5\n"
                                "s,2021-01-04 23:59:59,2\n"
                                "p,2021-01-05 09:00:00,30\n"
                                "r,2021-01-11 00:00:01,6\n"
                                "q,2021-01-14 16:00:00,9\n";

/* Weeks of fixture W as of 2021-01-15:
 *   2020-W52: E = {p, r} = N = 2; orders 2, revenue 14, aov 7, all new.
 *   2020-W53: E = {p, q} = 2, N = {q} = 1, S = 2 (p, r); retained {p} = 1;
 *             reactivated 0; dormant 1 (r); crr 1/2, strict 1/2, churn 1/2;
 *             orders p1 q2 = 3, revenue 20+5+7 = 32, aov 32/3, new (q) 12,
 *             returning (p) 20.
 *   2021-W01: E = {p, s} = 2, N = {s} = 1, S = 2 (p, q); retained {p};
 *             reactivated 0; dormant 1 (q); crr 1/2; orders p1 s3 = 4,
 *             revenue 30 + 9 = 39, aov 9.75, new 9, returning 30.
 *   2021-W02: E = {q, r} = 2, N = 0, S = 2 (p, s); retained 0;
 *             reactivated 2 (r after two weeks away, q after one); dormant
 *             2; crr 2/2 = 1, strict 0, churn 1; orders 2, revenue 15,
 *             aov 7.5, all returning; partial (W03 starts Jan 18 > Jan 15). */
static const struct want_row weeks_w[] = {
        {"2020-W52", 2020, 12, 21, 0, 2, 2, 0, 0, 0, 0, NAN, NAN, NAN, 2, CENTS(1400), 7.0,
         CENTS(1400), 0},
        {"2020-W53", 2020, 12, 28, 0, 2, 1, 2, 1, 0, 1, 0.5, 0.5, 0.5, 3, CENTS(3200), 32.0 / 3,
         CENTS(1200), CENTS(2000)},
        {"2021-W01", 2021, 1, 4, 0, 2, 1, 2, 1, 0, 1, 0.5, 0.5, 0.5, 4, CENTS(3900), 9.75,
         CENTS(900), CENTS(3000)},
        {"2021-W02", 2021, 1, 11, 1, 2, 0, 2, 0, 2, 2, 1.0, 0.0, 1.0, 2, CENTS(1500), 7.5, 0,
         CENTS(1500)},
};

/* KPIs of W: customers 4; orders p3 q3 r2 s3 = 11; revenue p60 q21 r10
 * s9 = 100; no returns (rate 0/100 = 0). >= 2 orders: all 4; >= 2 days:
 * p, q, r = 3/4. frequency 11/4; aov 100/11. Repeat revenue: p 20+30, q
 * 7+9, r 6, s 0 = 72 -> 0.72. Gaps: p 7, 7; q 3, 11; r 15 -> mean 43/5,
 * sorted 3 7 7 11 15, median 7 (odd). Second purchase: p 7, q 3, r 15 ->
 * median 7. historic_ltv 25. Months (for simple_ltv): 2020-12 and a
 * partial 2021-01: no complete month after the first, so no churn and a
 * NaN value; revenue per active customer over December: 39 / 3 = 13. */
static void test_summary__iso_weeks_cross_the_year_boundary(void **state)
{
	(void)state;
	struct rebuy_orders *o = load(fixture_w, NULL);
	assert_int_equal(o->has_order_key, 0);
	struct rebuy_summary *s = summarize(o, REBUY_PERIOD_WEEK, 0, 1);
	assert_int_equal(s->customers, 4);
	assert_int_equal(s->orders, 11);
	assert_int_equal(s->revenue, CENTS(10000));
	assert_int_equal(s->zero_value_orders, 0);
	assert_int_equal(s->return_orders, 0);
	assert_int_equal(s->return_value, 0);
	NEAR(s->return_rate, 0.0);
	assert_int_equal(s->net_revenue, CENTS(10000));
	assert_int_equal(s->repeat_customers, 4);
	NEAR(s->repeat_purchase_rate, 1.0);
	assert_int_equal(s->repeat_customers_days, 3);
	NEAR(s->repeat_purchase_rate_days, 0.75);
	NEAR(s->purchase_frequency, 2.75);
	NEAR(s->aov, 100.0 / 11.0);
	assert_int_equal(s->repeat_revenue, CENTS(7200));
	NEAR(s->repeat_revenue_share, 0.72);
	assert_int_equal(s->n_gaps, 5);
	NEAR(s->mean_days_between_purchases, 8.6);
	NEAR(s->median_days_between_purchases, 7.0);
	NEAR(s->median_days_to_second_purchase, 7.0);
	NEAR(s->historic_ltv, 25.0);
	check_rows(s, weeks_w, 4);
	assert_int_equal(s->simple_ltv.n_months, 0);
	NEAR(s->simple_ltv.mean_monthly_churn, NAN);
	NEAR(s->simple_ltv.monthly_revenue_per_customer, 13.0);
	NEAR(s->simple_ltv.value, NAN);
	rebuy_summary_free(s);

	/* As of Mon 2021-01-25 the table gains 2021-W03 (Jan 18..24), empty and
	 * complete: S = 2 (q, r), dormant 2, crr 0, churn 1; W02 is complete.
	 * As of Wed 2021-01-20, W03 is partial. */
	struct want_row rows[5];
	memcpy(rows, weeks_w, sizeof weeks_w);
	rows[3].partial = 0;
	rows[4] = (struct want_row){"2021-W03", 2021, 1,   18,  0, 0, 0,   2, 0, 0,
	                            2,          0.0,  0.0, 1.0, 0, 0, NAN, 0, 0};
	s = summarize(o, REBUY_PERIOD_WEEK, day(2021, 1, 25), 1);
	check_rows(s, rows, 5);
	rebuy_summary_free(s);
	rows[4].partial = 1;
	s = summarize(o, REBUY_PERIOD_WEEK, day(2021, 1, 20), 1);
	check_rows(s, rows, 5);
	rebuy_summary_free(s);
	rebuy_orders_free(o);
}

/* Months of fixture W as of 2021-01-15:
 *   2020-12: E = {p, r, q} = N = 3; orders p2 r1 q1 = 4, revenue 10+20+4+5
 *            = 39, aov 9.75.
 *   2021-01: E = {q, s, p, r} = 4, N = {s} = 1, S = 3; retained {p, q, r}
 *            = 3; reactivated 0; dormant 0; crr 3/3 = 1, strict 1, churn 0;
 *            orders q2 s3 p1 r1 = 7, revenue 7+9+9+30+6 = 61, aov 61/7,
 *            new 9, returning 52; partial. */
static void test_summary__months_of_the_week_fixture(void **state)
{
	(void)state;
	static const struct want_row rows[] = {
	        {"2020-12", 2020, 12, 1, 0, 3, 3, 0, 0, 0, 0, NAN, NAN, NAN, 4, CENTS(3900), 9.75,
	         CENTS(3900), 0},
	        {"2021-01", 2021, 1, 1, 1, 4, 1, 3, 3, 0, 0, 1.0, 1.0, 0.0, 7, CENTS(6100),
	         61.0 / 7, CENTS(900), CENTS(5200)},
	};
	struct rebuy_orders *o = load(fixture_w, NULL);
	struct rebuy_summary *s = summarize(o, REBUY_PERIOD_MONTH, 0, 1);
	check_rows(s, rows, 2);
	rebuy_summary_free(s);
	rebuy_orders_free(o);
}

/* ------------------------------------------------------------------------
 * Fixture Y: years and quarters with reactivations, a leap year (2020).
 *   u: 2019-06-01 10, 2020-02-01 10, 2021-03-01 10
 *   v: 2019-12-31 20, 2021-01-01 20
 *   w: 2020-07-01 30
 * as of 2021-03-02.
 * KPIs: customers 3, orders 6, revenue 100; >= 2 orders = >= 2 days = u, v
 * = 2/3. Gaps: u Jun 1 2019 -> Feb 1 2020 = 30+31+31+30+31+30+31+31 = 245,
 * Feb 1 2020 -> Mar 1 2021 = 366 + 28 = 394; v Dec 31 2019 -> Jan 1 2021 =
 * 366 + 1 = 367. Mean 1006/3, sorted 245 367 394 -> median 367. Second:
 * u 245, v 367 -> median (245 + 367)/2 = 306. Repeat revenue u 20 + v 20 =
 * 40 -> 0.4. historic_ltv 100/3.
 * Years:
 *   2019: E = {u, v} = N = 2; orders 2, revenue 30, aov 15, all new.
 *   2020: E = {u, w} = 2, N = {w} = 1, S = 2; retained {u}; reactivated 0;
 *         dormant 1 (v); crr 1/2, strict 1/2, churn 1/2; orders 2, revenue
 *         40, aov 20, new 30, returning 10.
 *   2021: E = {v, u} = 2, N = 0, S = 2 (u, w); retained {u}; reactivated
 *         {v} = 1; dormant {w} = 1; crr 2/2 = 1, strict 1/2, churn 1/2;
 *         orders 2, revenue 30, aov 15, returning 30; partial.
 * Quarters:
 *   2019-Q2: u: E = N = 1, S = 0; revenue 10.
 *   2019-Q3: empty: S = 1, dormant 1, crr 0, strict 0, churn 1.
 *   2019-Q4: v: E = N = 1, S = 0 (NaN ratios); revenue 20 new.
 *   2020-Q1: u: E = 1, N = 0, S = 1 (v); retained 0; reactivated 1;
 *            dormant 1; crr 1/1 = 1, strict 0, churn 1; revenue 10 ret.
 *   2020-Q2: empty: S = 1, dormant 1, crr 0, churn 1.
 *   2020-Q3: w: E = N = 1, S = 0; revenue 30 new.
 *   2020-Q4: empty: S = 1, dormant 1, crr 0, churn 1.
 *   2021-Q1: v, u: E = 2, N = 0, S = 0 (NaN ratios); reactivated 2;
 *            orders 2, revenue 30 returning, aov 15; partial.
 * simple_ltv (months 2019-06 .. 2021-03): the complete months after the
 * first with S > 0 are the months right after a purchase month: 2019-07,
 * 2020-01, 2020-03, 2020-08, 2021-02 (2021-03 is partial). Each has E = 0,
 * churn 1: n 5, mean churn 1, lifetime 1. Revenue per active customer over
 * every complete month (2019-06 .. 2021-02): the months with purchases are
 * 2019-06 (u 10), 2019-12 (v 20), 2020-02 (u 10), 2020-07 (w 30), 2021-01
 * (v 20): 90 / 5 = 18; value 18 * 1 = 18.
 * ------------------------------------------------------------------------ */
static const char fixture_y[] = "customer,date,amount\n"
                                "u,2019-06-01,10\n"
                                "v,2019-12-31,20\n"
                                "u,2020-02-01,10\n"
                                "w,2020-07-01,30\n"
                                "v,2021-01-01,20\n"
                                "u,2021-03-01,10\n";

static void test_summary__years_and_quarters_count_reactivations(void **state)
{
	(void)state;
	static const struct want_row years[] = {
	        {"2019", 2019, 1, 1, 0, 2, 2, 0, 0, 0, 0, NAN, NAN, NAN, 2, CENTS(3000), 15.0,
	         CENTS(3000), 0},
	        {"2020", 2020, 1, 1, 0, 2, 1, 2, 1, 0, 1, 0.5, 0.5, 0.5, 2, CENTS(4000), 20.0,
	         CENTS(3000), CENTS(1000)},
	        {"2021", 2021, 1, 1, 1, 2, 0, 2, 1, 1, 1, 1.0, 0.5, 0.5, 2, CENTS(3000), 15.0, 0,
	         CENTS(3000)},
	};
	static const struct want_row quarters[] = {
	        {"2019-Q2", 2019, 4, 1, 0, 1, 1, 0, 0, 0, 0, NAN, NAN, NAN, 1, CENTS(1000), 10.0,
	         CENTS(1000), 0},
	        {"2019-Q3", 2019, 7, 1, 0, 0, 0, 1, 0, 0, 1, 0.0, 0.0, 1.0, 0, 0, NAN, 0, 0},
	        {"2019-Q4", 2019, 10, 1, 0, 1, 1, 0, 0, 0, 0, NAN, NAN, NAN, 1, CENTS(2000), 20.0,
	         CENTS(2000), 0},
	        {"2020-Q1", 2020, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1.0, 0.0, 1.0, 1, CENTS(1000), 10.0, 0,
	         CENTS(1000)},
	        {"2020-Q2", 2020, 4, 1, 0, 0, 0, 1, 0, 0, 1, 0.0, 0.0, 1.0, 0, 0, NAN, 0, 0},
	        {"2020-Q3", 2020, 7, 1, 0, 1, 1, 0, 0, 0, 0, NAN, NAN, NAN, 1, CENTS(3000), 30.0,
	         CENTS(3000), 0},
	        {"2020-Q4", 2020, 10, 1, 0, 0, 0, 1, 0, 0, 1, 0.0, 0.0, 1.0, 0, 0, NAN, 0, 0},
	        {"2021-Q1", 2021, 1, 1, 1, 2, 0, 0, 0, 2, 0, NAN, NAN, NAN, 2, CENTS(3000), 15.0, 0,
	         CENTS(3000)},
	};
	struct rebuy_orders *o = load(fixture_y, NULL);
	struct rebuy_summary *s = summarize(o, REBUY_PERIOD_YEAR, 0, 1);
	assert_int_equal(s->customers, 3);
	assert_int_equal(s->orders, 6);
	assert_int_equal(s->revenue, CENTS(10000));
	NEAR(s->repeat_purchase_rate, 2.0 / 3.0);
	NEAR(s->repeat_purchase_rate_days, 2.0 / 3.0);
	NEAR(s->purchase_frequency, 2.0);
	NEAR(s->aov, 100.0 / 6.0);
	NEAR(s->repeat_revenue_share, 0.4);
	NEAR(s->mean_days_between_purchases, 1006.0 / 3.0);
	NEAR(s->median_days_between_purchases, 367.0);
	NEAR(s->median_days_to_second_purchase, 306.0);
	NEAR(s->historic_ltv, 100.0 / 3.0);
	check_rows(s, years, 3);
	assert_int_equal(s->simple_ltv.n_months, 5);
	NEAR(s->simple_ltv.mean_monthly_churn, 1.0);
	NEAR(s->simple_ltv.lifetime_months, 1.0);
	NEAR(s->simple_ltv.monthly_revenue_per_customer, 18.0);
	NEAR(s->simple_ltv.value, 18.0);
	rebuy_summary_free(s);
	s = summarize(o, REBUY_PERIOD_QUARTER, 0, 1);
	check_rows(s, quarters, 8);
	rebuy_summary_free(s);
	rebuy_orders_free(o);
}

/* When no customer ever leaves in a complete month, mean churn is 0 and the
 * lifetime 1/0 is not defined: NaN, and so is the value (docs: "null ...
 * when the mean churn is 0"). g and h buy in Jan, Feb and Mar 2022; as of
 * 2022-04-01 Feb and Mar are complete with S = 2, retained 2, churn 0.
 * revenue per active customer-month over Jan..Mar: (1 + 1) + (2 + 4) +
 * (3 + 5) over 6 = 16/6. */
static void test_summary__zero_churn_leaves_simple_ltv_undefined(void **state)
{
	(void)state;
	static const char text[] = "customer,date,amount\n"
	                           "g,2022-01-10,1\n"
	                           "h,2022-01-11,1\n"
	                           "g,2022-02-10,2\n"
	                           "h,2022-02-11,4\n"
	                           "g,2022-03-10,3\n"
	                           "h,2022-03-11,5\n";
	struct rebuy_orders *o = load(text, NULL);
	struct rebuy_summary *s = summarize(o, REBUY_PERIOD_MONTH, day(2022, 4, 1), 1);
	assert_int_equal(s->simple_ltv.n_months, 2);
	NEAR(s->simple_ltv.mean_monthly_churn, 0.0);
	NEAR(s->simple_ltv.lifetime_months, NAN);
	NEAR(s->simple_ltv.monthly_revenue_per_customer, 16.0 / 6.0);
	NEAR(s->simple_ltv.value, NAN);
	assert_int_equal(s->periods[2].is_partial, 0);
	NEAR(s->periods[2].crr, 1.0);
	NEAR(s->periods[2].churn, 0.0);
	rebuy_summary_free(s);
	rebuy_orders_free(o);
}

/* ------------------------------------------------------------------------
 * No amount column: money measures are absent (has_amount 0, NaN ratios,
 * 0 sums), counts are still there.
 *   x: 2022-03-01 09:00, 2022-03-01 10:00 (two orders, one day), 2022-04-02
 *   y: 2022-03-15 08:00, 2022-03-15 20:00 (two orders, one day)
 * customers 2, orders 5; >= 2 orders: both (1.0); >= 2 days: x (0.5);
 * frequency 2.5; one gap, x: Mar 1 -> Apr 2 = 30 + 2 = 32 (mean, median and
 * second purchase 32).
 * As of 2022-05-01:
 *   2022-03: E = N = 2; orders 4.
 *   2022-04: E = {x} = 1, N = 0, S = 2; retained 1; dormant 1 (y); crr 0.5,
 *            strict 0.5, churn 0.5; orders 1; complete (May 1 <= May 1).
 * simple_ltv: April: churn 0.5, lifetime 2; money NaN.
 * ------------------------------------------------------------------------ */
static const char fixture_no_amount[] = "customer,date\n"
                                        "x,2022-03-01 09:00\n"
                                        "x,2022-03-01 10:00\n"
                                        "y,2022-03-15 08:00\n"
                                        "y,2022-03-15 20:00\n"
                                        "x,2022-04-02\n";

static void test_summary__without_amount_money_measures_are_absent(void **state)
{
	(void)state;
	struct rebuy_orders *o = load(fixture_no_amount, NULL);
	struct rebuy_summary *s = summarize(o, REBUY_PERIOD_MONTH, day(2022, 5, 1), 1);
	assert_int_equal(s->has_amount, 0);
	assert_int_equal(s->customers, 2);
	assert_int_equal(s->orders, 5);
	assert_int_equal(s->revenue, 0);
	assert_int_equal(s->zero_value_orders, 0); /* absent, not "every order is free" */
	assert_int_equal(s->return_orders, 0);
	assert_int_equal(s->net_revenue, 0);
	NEAR(s->return_rate, NAN);
	NEAR(s->aov, NAN);
	NEAR(s->repeat_revenue_share, NAN);
	NEAR(s->historic_ltv, NAN);
	NEAR(s->repeat_purchase_rate, 1.0);
	NEAR(s->repeat_purchase_rate_days, 0.5);
	NEAR(s->purchase_frequency, 2.5);
	NEAR(s->mean_days_between_purchases, 32.0);
	NEAR(s->median_days_between_purchases, 32.0);
	NEAR(s->median_days_to_second_purchase, 32.0);
	assert_int_equal(s->simple_ltv.n_months, 1);
	NEAR(s->simple_ltv.mean_monthly_churn, 0.5);
	NEAR(s->simple_ltv.lifetime_months, 2.0);
	NEAR(s->simple_ltv.monthly_revenue_per_customer, NAN);
	NEAR(s->simple_ltv.value, NAN);
	static const struct want_row rows[] = {
	        {"2022-03", 2022, 3, 1, 0, 2, 2, 0, 0, 0, 0, NAN, NAN, NAN, 4, 0, NAN, 0, 0},
	        {"2022-04", 2022, 4, 1, 0, 1, 0, 2, 1, 0, 1, 0.5, 0.5, 0.5, 1, 0, NAN, 0, 0},
	};
	check_rows(s, rows, 2);
	rebuy_summary_free(s);
	rebuy_orders_free(o);
}

/* Writes the summary document as JSON into a malloc'd string. */
static char *summary_json(const struct rebuy_summary *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	struct rebuy_doc *doc = rebuy_doc_new();
	rebuy_summary_doc(s, NULL, doc, rebuy_doc_root(doc));
	assert_int_equal(rebuy_doc_write_json(doc, rebuy_doc_root(doc), f), REBUY_OK);
	rebuy_doc_free(doc);
	fclose(f);
	return buf;
}

static void expect_in(const char *json, const char *text)
{
	if (!strstr(json, text))
		fail_msg("'%s' is not in the JSON:\n%s", text, json);
}

/* The JSON keys of docs/summary.md, in order, with values worked out above
 * for fixture A (money as exact decimals, undefined ratios as null), and
 * null money without an amount column. */
static void test_summary__json_has_the_documented_keys_and_nulls(void **state)
{
	(void)state;
	static const char *const keys[] = {
	        "\"customers\"",
	        "\"orders\"",
	        "\"revenue\"",
	        "\"zero_value_orders\"",
	        "\"returns\"",
	        "\"return_rate\"",
	        "\"net_revenue\"",
	        "\"repeat_customers\"",
	        "\"repeat_purchase_rate\"",
	        "\"repeat_purchase_rate_days\"",
	        "\"purchase_frequency\"",
	        "\"aov\"",
	        "\"repeat_revenue_share\"",
	        "\"mean_days_between_purchases\"",
	        "\"median_days_between_purchases\"",
	        "\"median_days_to_second_purchase\"",
	        "\"historic_ltv\"",
	        "\"simple_ltv\"",
	        "\"monthly_revenue_per_customer\"",
	        "\"lifetime_months\"",
	        "\"mean_monthly_churn\"",
	        "\"months\"",
	        "\"period\"",
	        "\"first_purchase\"",
	        "\"last_purchase\"",
	        "\"as_of\"",
	        "\"definitions\"",
	        "\"periods\"",
	        "\"start\"",
	        "\"partial\"",
	        "\"E\"",
	        "\"N\"",
	        "\"S\"",
	        "\"crr\"",
	        "\"retained\"",
	        "\"strict_retention\"",
	        "\"churn\"",
	        "\"reactivated\"",
	        "\"dormant\"",
	        "\"revenue_new\"",
	        "\"revenue_returning\"",
	};
	struct rebuy_orders *o = load(fixture_a, NULL);
	struct rebuy_summary *s = summarize(o, REBUY_PERIOD_MONTH, 0, 1);
	char *json = summary_json(s);
	const char *at = json;
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		const char *k = strstr(at, keys[i]);
		if (!k)
			fail_msg("key %s missing or out of order", keys[i]);
		at = k;
	}
	expect_in(json, "\"customers\": 5,");
	expect_in(json, "\"revenue\": 325.5,");
	expect_in(json, "\"net_revenue\": 295.5,");
	expect_in(json, "\"purchase_frequency\": 2.6,");
	expect_in(json, "\"median_days_between_purchases\": 27.5,");
	expect_in(json, "\"first_purchase\": \"2021-01-05\"");
	expect_in(json, "\"as_of\": \"2021-05-11\"");
	expect_in(json, "\"period\": \"2021-05\"");
	expect_in(json, "\"start\": \"2021-04-01\"");
	/* the first month's crr and April's aov are not defined */
	expect_in(json, "\"crr\": null");
	expect_in(json, "\"aov\": null");
	free(json);
	rebuy_summary_free(s);
	rebuy_orders_free(o);

	o = load(fixture_no_amount, NULL);
	s = summarize(o, REBUY_PERIOD_MONTH, 0, 1);
	json = summary_json(s);
	expect_in(json, "\"revenue\": null,");
	expect_in(json, "\"zero_value_orders\": null,");
	expect_in(json, "\"net_revenue\": null,");
	expect_in(json, "\"historic_ltv\": null,");
	expect_in(json, "\"return_rate\": null");
	expect_in(json, "\"purchase_frequency\": 2.5,");
	free(json);
	rebuy_summary_free(s);
	rebuy_orders_free(o);
}

/* An input with no purchase at all (a return only) is an error, not a
 * summary of zeros. */
static void test_summary__no_purchase_is_an_error(void **state)
{
	(void)state;
	static const char text[] = "customer,date,amount\n"
	                           "a,2022-01-10,-5\n";
	struct rebuy_orders *o = load(text, NULL);
	struct rebuy_summary_options so;
	rebuy_summary_options_init(&so);
	so.n_threads = 1;
	struct rebuy_summary *s = (struct rebuy_summary *)&so; /* must be reset to NULL */
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_summary_compute(o, &so, &s, &err), REBUY_EDATA);
	assert_null(s);
	rebuy_orders_free(o);
}

/* ------------------------------------------------------------------------
 * rebuy_hist_median, by hand: hist[k] = how many values equal k.
 * ------------------------------------------------------------------------ */
static void test_summary__hist_median_takes_the_middle_or_the_mean_of_two(void **state)
{
	(void)state;
	static const uint64_t h0[] = {0, 0, 0};
	static const uint64_t h1[] = {0, 0, 3};                         /* 2 2 2 -> 2 */
	static const uint64_t h2[] = {1, 0, 0, 1};                      /* 0 3 -> 1.5 */
	static const uint64_t h3[] = {0, 2, 0, 2};                      /* 1 1 3 3 -> 2 */
	static const uint64_t h4[] = {0, 1, 2, 0, 1};                   /* 1 2 2 4 -> 2 */
	static const uint64_t h5[] = {5};                               /* 0 0 0 0 0 -> 0 */
	static const uint64_t h6[] = {0, 1, 1, 1, 0, 0, 1, 1};          /* 1 2 3 6 7 -> 3 */
	static const uint64_t h7[] = {0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1}; /* 1 10 -> 5.5 */
	static const uint64_t h8[] = {0, 3, 0, 0, 0, 0, 0, 3};          /* 1 1 1 7 7 7 -> 4 */
	static const uint64_t h9[] = {0, 0, 0, 0, 1};                   /* 4 -> 4 */
	NEAR(rebuy_hist_median(h0, 3, 0), NAN);
	NEAR(rebuy_hist_median(h1, 3, 3), 2.0);
	NEAR(rebuy_hist_median(h2, 4, 2), 1.5);
	NEAR(rebuy_hist_median(h3, 4, 4), 2.0);
	NEAR(rebuy_hist_median(h4, 5, 4), 2.0);
	NEAR(rebuy_hist_median(h5, 1, 5), 0.0);
	NEAR(rebuy_hist_median(h6, 8, 5), 3.0);
	NEAR(rebuy_hist_median(h7, 11, 2), 5.5);
	NEAR(rebuy_hist_median(h8, 8, 6), 4.0);
	NEAR(rebuy_hist_median(h9, 5, 1), 4.0);
}

/* R type 7 quantiles over a histogram and a sorted tail:
 *   values 1 2 2 4 (hist {0,1,2,0,1}) and tail 7 100: n = 6, sorted
 *   1 2 2 4 7 100; h = 5p: p 0 -> 1; p 0.25 -> h 1.25 -> 2 + .25*(2-2) = 2;
 *   p 0.5 -> h 2.5 -> 2 + .5*(4-2) = 3; p 0.9 -> h 4.5 -> 7 + .5*93 = 53.5;
 *   p 1 -> 100. One value: every quantile is that value. None: NaN. */
static void test_summary__hist_quantile_is_r_type_7(void **state)
{
	(void)state;
	static const uint64_t h[] = {0, 1, 2, 0, 1};
	static const uint64_t tail[] = {7, 100};
	NEAR(rebuy_hist_quantile(h, 5, tail, 2, 0.0), 1.0);
	NEAR(rebuy_hist_quantile(h, 5, tail, 2, 0.25), 2.0);
	NEAR(rebuy_hist_quantile(h, 5, tail, 2, 0.5), 3.0);
	NEAR(rebuy_hist_quantile(h, 5, tail, 2, 0.9), 53.5);
	NEAR(rebuy_hist_quantile(h, 5, tail, 2, 1.0), 100.0);
	static const uint64_t one[] = {0, 0, 0, 1};
	NEAR(rebuy_hist_quantile(one, 4, NULL, 0, 0.37), 3.0);
	static const uint64_t none[] = {0, 0};
	NEAR(rebuy_hist_quantile(none, 2, NULL, 0, 0.5), NAN);
	NEAR(rebuy_hist_quantile(h, 5, NULL, 0, 0.5), 2.0); /* 1 2 2 4 -> h 1.5 -> 2 */
}

/* Distributions of fixture A (gaps and second purchases as in
 * check_kpis_a):
 *   gaps 1 17 19 36 43 56: n 6; p25 h 1.25 -> 17 + .25*2 = 17.5; p50 h 2.5
 *   -> 19 + .5*17 = 27.5; p90 h 4.5 -> 43 + .5*13 = 49.5. Bins: [1,7] 1,
 *   [15,30] 2 (17, 19), [31,60] 3.
 *   days to second 1 36 43: p50 36, p25 h .5 -> 1 + .5*35 = 18.5.
 *   orders per customer a 4, b 1, c 2, d 3, e 3: sorted 1 2 3 3 4, p50 3,
 *   p25 h 1 -> 2; hist[1..4] = 1 1 2 1; no tail. */
static void test_summary__distributions_of_a_hand_worked_shop(void **state)
{
	(void)state;
	struct rebuy_orders *o = load(fixture_a, NULL);
	struct rebuy_summary *s = summarize(o, REBUY_PERIOD_MONTH, 0, 1);
	NEAR(rebuy_hist_quantile(s->gap_hist, s->gap_hist_len, NULL, 0, 0.25), 17.5);
	NEAR(rebuy_hist_quantile(s->gap_hist, s->gap_hist_len, NULL, 0, 0.5), 27.5);
	NEAR(rebuy_hist_quantile(s->gap_hist, s->gap_hist_len, NULL, 0, 0.9), 49.5);
	NEAR(rebuy_hist_quantile(s->second_hist, s->gap_hist_len, NULL, 0, 0.5), 36.0);
	NEAR(rebuy_hist_quantile(s->second_hist, s->gap_hist_len, NULL, 0, 0.25), 18.5);
	assert_int_equal(s->orders_hist[0], 0);
	assert_int_equal(s->orders_hist[1], 1);
	assert_int_equal(s->orders_hist[2], 1);
	assert_int_equal(s->orders_hist[3], 2);
	assert_int_equal(s->orders_hist[4], 1);
	assert_int_equal(s->n_orders_tail, 0);
	NEAR(rebuy_hist_quantile(s->orders_hist, REBUY_ORDERS_HIST, NULL, 0, 0.5), 3.0);
	NEAR(rebuy_hist_quantile(s->orders_hist, REBUY_ORDERS_HIST, NULL, 0, 0.25), 2.0);
	/* The document: bins and quantiles as computed above. */
	struct rebuy_doc *doc = rebuy_doc_new();
	rebuy_summary_distributions_doc(s, doc, rebuy_doc_root(doc));
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(rebuy_doc_write_json(doc, NULL, f), REBUY_OK);
	fclose(f);
	assert_non_null(strstr(buf, "\"days_between_purchases\": {\n      \"n\": 6,"));
	assert_non_null(strstr(buf, "\"p25\": 17.5,"));
	assert_non_null(strstr(buf, "{\"distribution\": \"days_between_purchases\", \"from\": 15, "
	                            "\"to\": 30, \"count\": 2, \"share\": 0.3333333333333333}"));
	assert_non_null(strstr(buf, "{\"distribution\": \"orders_per_customer\", \"from\": 3, "
	                            "\"to\": 3, \"count\": 2, \"share\": 0.4}"));
	assert_non_null(strstr(buf, "{\"distribution\": \"orders_per_customer\", \"from\": 51, "
	                            "\"to\": null, \"count\": 0, \"share\": 0}"));
	free(buf);
	rebuy_doc_free(doc);
	rebuy_summary_free(s);
	rebuy_orders_free(o);
}

/* Lifecycle of fixture A by month (as months_a): quick ratio = (new +
 * resurrecting) / dormant: Jan dormant 0 -> null; Feb (1 + 0)/2 = 0.5;
 * Mar (1 + 1)/1 = 2; Apr (0 + 0)/3 = 0; May dormant 0 -> null. */
static void test_summary__lifecycle_counts_and_quick_ratio(void **state)
{
	(void)state;
	struct rebuy_orders *o = load(fixture_a, NULL);
	struct rebuy_summary *s = summarize(o, REBUY_PERIOD_MONTH, 0, 1);
	struct rebuy_doc *doc = rebuy_doc_new();
	rebuy_summary_lifecycle_doc(s, doc, rebuy_doc_root(doc));
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct rebuy_csv_options co = {0};
	assert_int_equal(
	        rebuy_doc_write_csv(doc, rebuy_doc_get(rebuy_doc_root(doc), "lifecycle"), &co, f),
	        REBUY_OK);
	fclose(f);
	assert_string_equal(buf, "period,start,partial,active,new,returning,resurrecting,dormant,"
	                         "quick_ratio,revenue_new,revenue_returning\n"
	                         "2021-01,2021-01-01,false,3,3,0,0,0,,63,0\n"
	                         "2021-02,2021-02-01,false,2,1,1,0,2,0.5,12.5,20\n"
	                         "2021-03,2021-03-01,false,3,1,1,1,1,2,160,46\n"
	                         "2021-04,2021-04-01,false,0,0,0,0,3,0,0,0\n"
	                         "2021-05,2021-05-01,true,1,0,0,1,0,,0,24\n");
	free(buf);
	rebuy_doc_free(doc);
	rebuy_summary_free(s);
	rebuy_orders_free(o);
}

/* ------------------------------------------------------------------------
 * Invariance: the same orders give the same summary whatever the thread
 * count and the row order. A synthetic shop of 3,000 customers (more than
 * the 1,024 below which the summary does not split the work) from a fixed
 * seed; its lines are then shuffled with another fixed seed.
 * ------------------------------------------------------------------------ */
static uint64_t lcg(uint64_t *x)
{
	*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
	return *x >> 33;
}

struct text {
	char *buf;
	size_t len, cap;
};

static void text_add(struct text *t, const char *line)
{
	size_t n = strlen(line);
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->buf = realloc(t->buf, t->cap);
		assert_non_null(t->buf);
	}
	memcpy(t->buf + t->len, line, n + 1);
	t->len += n;
}

static void synthetic_shop(size_t *n_lines, char ***lines_out)
{
	uint64_t seed = 20240501;
	size_t cap = 0, n = 0;
	char **lines = NULL;
	for (int c = 0; c < 3000; c++) {
		int n_orders = 1 + (int)(lcg(&seed) % 6);
		for (int k = 0; k < n_orders; k++) {
			int64_t d = day(2019, 11, 20) + (int64_t)(lcg(&seed) % 800);
			int64_t y;
			unsigned m, dd;
			rebuy_civil_from_days(d, &y, &m, &dd);
			long cents = (long)(lcg(&seed) % 20000) - 1500; /* some returns and zeros */
			if (lcg(&seed) % 7 == 0)
				cents = 0;
			int n_items = 1 + (int)(lcg(&seed) % 3);
			for (int li = 0; li < n_items; li++) {
				char line[128];
				snprintf(line, sizeof line,
				         "c%d,o%d_%d,%04d-%02u-%02u %02d:%02d,%s%ld.%02ld\n", c, c,
				         k, (int)y, m, dd, (int)(lcg(&seed) % 24),
				         (int)(lcg(&seed) % 60), cents < 0 ? "-" : "",
				         labs(cents) / 100, labs(cents) % 100);
				if (n == cap) {
					cap = cap ? cap * 2 : 1024;
					lines = realloc(lines, cap * sizeof *lines);
					assert_non_null(lines);
				}
				lines[n++] = strdup(line);
			}
		}
	}
	*n_lines = n;
	*lines_out = lines;
}

static char *join(char **lines, size_t n)
{
	struct text t = {0};
	text_add(&t, "customer,order,date,amount\n");
	for (size_t i = 0; i < n; i++)
		text_add(&t, lines[i]);
	return t.buf;
}

static int same_double(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

static void assert_same_summary(const struct rebuy_summary *a, const struct rebuy_summary *b)
{
	assert_int_equal(a->has_amount, b->has_amount);
	assert_int_equal(a->customers, b->customers);
	assert_int_equal(a->orders, b->orders);
	assert_int_equal(a->revenue, b->revenue);
	assert_int_equal(a->zero_value_orders, b->zero_value_orders);
	assert_int_equal(a->return_orders, b->return_orders);
	assert_int_equal(a->return_value, b->return_value);
	assert_int_equal(a->net_revenue, b->net_revenue);
	assert_int_equal(a->repeat_customers, b->repeat_customers);
	assert_int_equal(a->repeat_customers_days, b->repeat_customers_days);
	assert_int_equal(a->repeat_revenue, b->repeat_revenue);
	assert_int_equal(a->n_gaps, b->n_gaps);
	const double da[] = {a->return_rate,
	                     a->repeat_purchase_rate,
	                     a->repeat_purchase_rate_days,
	                     a->purchase_frequency,
	                     a->aov,
	                     a->repeat_revenue_share,
	                     a->mean_days_between_purchases,
	                     a->median_days_between_purchases,
	                     a->median_days_to_second_purchase,
	                     a->historic_ltv,
	                     a->simple_ltv.value,
	                     a->simple_ltv.monthly_revenue_per_customer,
	                     a->simple_ltv.lifetime_months,
	                     a->simple_ltv.mean_monthly_churn};
	const double db[] = {b->return_rate,
	                     b->repeat_purchase_rate,
	                     b->repeat_purchase_rate_days,
	                     b->purchase_frequency,
	                     b->aov,
	                     b->repeat_revenue_share,
	                     b->mean_days_between_purchases,
	                     b->median_days_between_purchases,
	                     b->median_days_to_second_purchase,
	                     b->historic_ltv,
	                     b->simple_ltv.value,
	                     b->simple_ltv.monthly_revenue_per_customer,
	                     b->simple_ltv.lifetime_months,
	                     b->simple_ltv.mean_monthly_churn};
	for (size_t i = 0; i < sizeof da / sizeof *da; i++)
		if (!same_double(da[i], db[i]))
			fail_msg("measure %zu differs: %.17g vs %.17g", i, da[i], db[i]);
	assert_int_equal(a->simple_ltv.n_months, b->simple_ltv.n_months);
	assert_int_equal(a->first_day, b->first_day);
	assert_int_equal(a->last_day, b->last_day);
	assert_int_equal(a->as_of_day, b->as_of_day);
	assert_int_equal(a->gap_hist_len, b->gap_hist_len);
	assert_memory_equal(a->gap_hist, b->gap_hist, a->gap_hist_len * sizeof *a->gap_hist);
	assert_memory_equal(a->second_hist, b->second_hist,
	                    a->gap_hist_len * sizeof *a->second_hist);
	assert_int_equal(a->n_periods, b->n_periods);
	for (size_t i = 0; i < a->n_periods; i++) {
		const struct rebuy_period_row *p = &a->periods[i], *q = &b->periods[i];
		assert_int_equal(p->index, q->index);
		assert_int_equal(p->is_partial, q->is_partial);
		assert_int_equal(p->E, q->E);
		assert_int_equal(p->N, q->N);
		assert_int_equal(p->S, q->S);
		assert_int_equal(p->retained, q->retained);
		assert_int_equal(p->reactivated, q->reactivated);
		assert_int_equal(p->dormant, q->dormant);
		assert_int_equal(p->orders, q->orders);
		assert_int_equal(p->revenue, q->revenue);
		assert_int_equal(p->revenue_new, q->revenue_new);
		assert_int_equal(p->revenue_returning, q->revenue_returning);
		assert_true(same_double(p->crr, q->crr));
		assert_true(same_double(p->strict_retention, q->strict_retention));
		assert_true(same_double(p->churn, q->churn));
		assert_true(same_double(p->aov, q->aov));
	}
}

static void test_summary__same_result_for_any_thread_count_and_row_order(void **state)
{
	(void)state;
	size_t n = 0;
	char **lines = NULL;
	synthetic_shop(&n, &lines);
	char *text = join(lines, n);
	uint64_t seed = 7;
	for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
		size_t j = (size_t)(lcg(&seed) % (i + 1));
		char *t = lines[i];
		lines[i] = lines[j];
		lines[j] = t;
	}
	char *shuffled = join(lines, n);
	assert_string_not_equal(text, shuffled);

	struct rebuy_input_options in;
	rebuy_input_options_init(&in);
	in.n_threads = 1;
	struct rebuy_orders *o1 = load(text, &in);
	rebuy_input_options_init(&in);
	in.n_threads = 2;
	struct rebuy_orders *o2 = load(shuffled, &in);
	assert_true(o1->n_customers > 1024);
	static const enum rebuy_period periods[] = {REBUY_PERIOD_WEEK, REBUY_PERIOD_MONTH,
	                                            REBUY_PERIOD_QUARTER, REBUY_PERIOD_YEAR};
	for (size_t k = 0; k < 4; k++) {
		struct rebuy_summary *a = summarize(o1, periods[k], 0, 1);
		struct rebuy_summary *b = summarize(o1, periods[k], 0, 2);
		struct rebuy_summary *c = summarize(o2, periods[k], 0, 2);
		struct rebuy_summary *d = summarize(o2, periods[k], 0, 1);
		assert_true(a->return_orders > 0);
		assert_true(a->zero_value_orders > 0);
		assert_same_summary(a, b);
		assert_same_summary(a, c);
		assert_same_summary(a, d);
		rebuy_summary_free(a);
		rebuy_summary_free(b);
		rebuy_summary_free(c);
		rebuy_summary_free(d);
	}
	rebuy_orders_free(o1);
	rebuy_orders_free(o2);
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	free(text);
	free(shuffled);
}

/* ------------------------------------------------------------------------
 * CDNOW master (../shared/data/cdnow/CDNOW_master.txt, DESIGN.md §7):
 * whitespace-separated with a header "customer_id date number_of_cds
 * dollar_value"; 69,659 transactions of 23,570 customers; revenue
 * 2,500,315.63. Orders, zero-value orders and repeat customers were counted
 * independently with awk over (customer, date) pairs:
 *   awk 'NR>1{k=$1" "$2; v[k]+=$4*100; if(!(k in s)){s[k]=1; n[$1]++}} ...'
 * -> 67,591 orders (same-day lines without an order key are one order),
 * 80 of them worth 0, 11,516 customers with >= 2 orders (= >= 2 days, the
 * file has no times).
 * ------------------------------------------------------------------------ */
static void test_summary__cdnow_master_is_read_with_detected_layout(void **state)
{
	(void)state;
	const char *path = tu_shared_path("data/cdnow/CDNOW_master.txt");
	if (!path)
		skip();
	struct rebuy_input_options in;
	rebuy_input_options_init(&in);
	in.path = path;
	struct rebuy_input_report rep = {0};
	struct rebuy_orders *o = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_orders_load(&o, &in, &rep, &err), REBUY_OK);
	assert_int_equal(rep.delimiter, REBUY_DELIM_WHITESPACE);
	assert_int_equal(rep.has_header, 1);
	assert_int_equal(rep.role_column[REBUY_ROLE_CUSTOMER], 0);
	assert_int_equal(rep.role_column[REBUY_ROLE_DATE], 1);
	assert_int_equal(rep.role_column[REBUY_ROLE_AMOUNT], 3);
	assert_int_equal(rep.role_column[REBUY_ROLE_ORDER], -1);
	assert_int_equal(rep.rows, 69659);
	assert_int_equal(rep.rows_used, 69659);
	assert_int_equal(o->n_customers, 23570);
	assert_int_equal(o->has_amount, 1);
	int64_t sum = 0;
	for (size_t i = 0; i < o->n_orders; i++)
		sum += o->value[i];
	assert_int_equal(sum, 25003156300LL);

	struct rebuy_summary *s1 = summarize(o, REBUY_PERIOD_MONTH, 0, 1);
	struct rebuy_summary *s2 = summarize(o, REBUY_PERIOD_MONTH, 0, 2);
	assert_int_equal(s1->customers, 23570);
	assert_int_equal(s1->revenue, 25003156300LL);
	assert_int_equal(s1->orders, 67591);
	assert_int_equal(s1->zero_value_orders, 80);
	assert_int_equal(s1->return_orders, 0);
	assert_int_equal(s1->repeat_customers, 11516);
	assert_int_equal(s1->repeat_customers_days, 11516);
	assert_int_equal(s1->first_day, day(1997, 1, 1));
	assert_int_equal(s1->last_day, day(1998, 6, 30));
	/* 1997-01 .. 1998-06, the last one complete (as of 1998-07-01) */
	assert_int_equal(s1->n_periods, 18);
	assert_int_equal(s1->periods[17].is_partial, 0);
	assert_same_summary(s1, s2);
	rebuy_summary_free(s1);
	rebuy_summary_free(s2);
	rebuy_orders_free(o);
	rebuy_input_report_release(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_summary__kpis_and_months_of_a_hand_worked_shop),
	        cmocka_unit_test(test_summary__quarters_and_years_of_the_same_shop),
	        cmocka_unit_test(test_summary__as_of_after_the_data_adds_empty_periods),
	        cmocka_unit_test(test_summary__window_keeps_orders_between_from_and_to),
	        cmocka_unit_test(test_summary__iso_weeks_cross_the_year_boundary),
	        cmocka_unit_test(test_summary__months_of_the_week_fixture),
	        cmocka_unit_test(test_summary__years_and_quarters_count_reactivations),
	        cmocka_unit_test(test_summary__zero_churn_leaves_simple_ltv_undefined),
	        cmocka_unit_test(test_summary__without_amount_money_measures_are_absent),
	        cmocka_unit_test(test_summary__json_has_the_documented_keys_and_nulls),
	        cmocka_unit_test(test_summary__no_purchase_is_an_error),
	        cmocka_unit_test(test_summary__hist_median_takes_the_middle_or_the_mean_of_two),
	        cmocka_unit_test(test_summary__hist_quantile_is_r_type_7),
	        cmocka_unit_test(test_summary__distributions_of_a_hand_worked_shop),
	        cmocka_unit_test(test_summary__lifecycle_counts_and_quick_ratio),
	        cmocka_unit_test(test_summary__same_result_for_any_thread_count_and_row_order),
	        cmocka_unit_test(test_summary__cdnow_master_is_read_with_detected_layout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
