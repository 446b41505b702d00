/* Unit tests for cohorts (include/rebuy/cohorts.h, DESIGN.md §4,
 * docs/cohorts.md): every mode with every metric on hand-worked fixtures,
 * partial cells, empty cohorts, one-order customers, --max-offset, the
 * weighted average over complete cells only, days, ISO weeks, months,
 * quarters, --by, errors, allocation failures, the JSON document, and the
 * invariants on the grocery and CDNOW files of ../shared.
 *
 * Every expected count is worked out by hand in the comment above it from
 * the definitions, never copied from the program's output. Values are
 * counts / size by definition; where a table lists only counts, the test
 * checks each value against that quotient of the hand counts (money in
 * currency units). ISO week labels were checked with GNU `date +%G-W%V`.
 *
 * Tolerances: counts, sizes and money (1/10,000 units) are compared
 * exactly; values and averages to the hand value with a relative tolerance
 * of 1e-12 (NaN must be NaN).
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/alloc.h"
#include "rebuy/cohorts.h"
#include "rebuy/date.h"
#include "rebuy/doc.h"
#include "rebuy/input.h"
#include "rebuy/orders.h"

#define REL_TOL 1e-12
#define MAX_K 8
#define NONE (-1)
#define U(x) ((int64_t)(x)*10000) /* whole currency units as 1/10,000 units */

static int near(double got, double want)
{
	if (isnan(want))
		return isnan(got);
	return got == want || fabs(got - want) <= REL_TOL * fabs(want);
}

static int64_t day(int y, unsigned m, unsigned d)
{
	return rebuy_days_from_civil(y, m, d);
}

/* Loads CSV text from memory with one thread; attr names an attribute
 * column to keep (or NULL). */
static struct rebuy_orders *load(const char *text, const char *attr)
{
	struct rebuy_input_options in;
	rebuy_input_options_init(&in);
	in.n_threads = 1;
	in.path = "fixture.csv";
	in.data = text;
	in.data_len = strlen(text);
	if (attr) {
		in.attributes[0] = attr;
		in.n_attributes = 1;
	}
	struct rebuy_orders *o = NULL;
	struct rebuy_error err = {0};
	if (rebuy_orders_load(&o, &in, NULL, &err) != REBUY_OK)
		fail_msg("loading the fixture: %s", err.msg);
	return o;
}

struct run {
	enum rebuy_period period;
	enum rebuy_cohort_mode mode;
	enum rebuy_cohort_metric metric;
	size_t max_offset;
	int64_t as_of; /* 0: default */
	int by;
	unsigned threads;
};

static struct rebuy_cohorts *compute(const struct rebuy_orders *o, struct run r)
{
	struct rebuy_cohorts_options co;
	rebuy_cohorts_options_init(&co);
	co.period = r.period;
	co.mode = r.mode;
	co.metric = r.metric;
	co.max_offset = r.max_offset ? r.max_offset : REBUY_COHORT_ALL_OFFSETS;
	if (r.as_of) {
		co.has_as_of = 1;
		co.as_of_day = r.as_of;
	}
	co.has_by = r.by;
	co.n_threads = r.threads ? r.threads : 1;
	struct rebuy_cohorts *c = NULL;
	struct rebuy_error err = {0};
	if (rebuy_cohorts_compute(o, &co, &c, &err) != REBUY_OK)
		fail_msg("cohorts: %s", err.msg);
	return c;
}

/* One expected cohort: counts as hand-worked; values are checked against
 * counts / size (money / 10,000 / size), NaN for an empty cohort. */
struct want {
	const char *label;
	const char *by; /* NULL without by */
	uint64_t size;
	size_t n;
	int partial_from; /* NONE: no partial cell */
	int64_t counts[MAX_K];
};

static void check_cohorts(const struct rebuy_cohorts *c, const struct want *w, size_t n)
{
	if (c->n_cohorts != n)
		fail_msg("%zu cohorts, want %zu", c->n_cohorts, n);
	const int money = c->metric == REBUY_COHORT_REVENUE || c->metric == REBUY_COHORT_LTV;
	for (size_t i = 0; i < n; i++) {
		const struct rebuy_cohort *r = &c->cohorts[i];
		char label[32];
		rebuy_period_label(c->period, r->index, label, sizeof label);
		if (strcmp(label, w[i].label) != 0)
			fail_msg("cohort %zu is %s, want %s", i, label, w[i].label);
		if (w[i].by && strcmp(c->by_values[r->by], w[i].by) != 0)
			fail_msg("cohort %zu (%s) is by %s, want %s", i, label, c->by_values[r->by],
			         w[i].by);
		if (r->start_day != rebuy_period_start(c->period, r->index))
			fail_msg("cohort %s: wrong start day", label);
		if (r->size != w[i].size)
			fail_msg("cohort %s: size %llu, want %llu", label,
			         (unsigned long long)r->size, (unsigned long long)w[i].size);
		if (r->n_offsets != w[i].n)
			fail_msg("cohort %s: %zu offsets, want %zu", label, r->n_offsets, w[i].n);
		int pf = r->has_partial ? (int)r->partial_from : NONE;
		if (pf != w[i].partial_from)
			fail_msg("cohort %s: partial_from %d, want %d", label, pf,
			         w[i].partial_from);
		for (size_t k = 0; k < w[i].n; k++) {
			if (r->counts[k] != w[i].counts[k])
				fail_msg("cohort %s offset %zu: count %lld, want %lld", label, k,
				         (long long)r->counts[k], (long long)w[i].counts[k]);
			double want = w[i].size == 0 ? NAN
			              : money ? (double)w[i].counts[k] / 1e4 / (double)w[i].size
			                      : (double)w[i].counts[k] / (double)w[i].size;
			if (!near(r->values[k], want))
				fail_msg("cohort %s offset %zu: value %.17g, want %.17g", label, k,
				         r->values[k], want);
		}
	}
}

static void check_average(const struct rebuy_cohorts *c, const double *avg, const uint64_t *sizes,
                          size_t n)
{
	if (c->n_offsets != n)
		fail_msg("%zu offsets, want %zu", c->n_offsets, n);
	for (size_t k = 0; k < n; k++) {
		if (c->average_size[k] != sizes[k])
			fail_msg("average_size[%zu] = %llu, want %llu", k,
			         (unsigned long long)c->average_size[k],
			         (unsigned long long)sizes[k]);
		if (!near(c->average[k], avg[k]))
			fail_msg("average[%zu] = %.17g, want %.17g", k, c->average[k], avg[k]);
	}
}

/* ------------------------------------------------------------------------
 * Fixture C: months of 2021, data ending Monday May 10 (as of May 11, so
 * May is partial). Purchases by customer (channel on each line):
 *   a: Jan 5 10:00 10.00 web, Jan 20 5.00 store (two orders in offset 0),
 *      Feb 10 20.00 web (offset 1), Apr 1 30.00 email (offset 3)
 *   b: Jan 31 40.00 store (one order only)
 *   c: Jan 15 8.00 web, Feb 1 12.00 store (1), Mar 3 16.00 web (2)
 *   d: Mar 10 50.00 store, May 5 10.00 web (offset 2)
 *   e: Mar 31 7.00 web (one order only)
 *   f: May 10 09:00 3.00 app, May 10 15:00 4.00 web (two orders, one day)
 *   g: a return only (Feb 2, -5.00): no purchase, in no cohort.
 * Cohorts (month of the first purchase day): Jan {a, b, c} = 3; Feb none
 * (an empty cohort between others); Mar {d, e} = 2; Apr none; May {f} = 1.
 * Offsets run to May: Jan 0..4, Feb 0..3, Mar 0..2, Apr 0..1, May 0; the
 * cell in May is partial in each row (June 1 > May 11): partial_from is 4,
 * 3, 2, 1, 0.
 * Offsets with purchases: a {0, 1, 3}, b {0}, c {0, 1, 2}, d {0, 2}, e {0},
 * f {0}. Streaks (every offset 1..s): a 1, b 0, c 2, d 0, e 0, f 0. First
 * offset >= 1: a 1, c 1, d 2 (b, e, f none). Last offset: a 3, b 0, c 2,
 * d 2, e 0, f 0.
 * Complete cells for the average: Jan 0..3, Feb 0..2, Mar 0..1, Apr 0;
 * sizes over them: k0 3+0+2+0 = 5, k1 3+0+2 = 5, k2 3+0 = 3, k3 3, k4 none.
 * ------------------------------------------------------------------------ */
static const char fixture_c[] = "customer,date,amount,channel\n"
                                "a,2021-01-05 10:00,10.00,web\n"
                                "c,2021-01-15,8.00,web\n"
                                "a,2021-01-20,5.00,store\n"
                                "b,2021-01-31,40.00,store\n"
                                "c,2021-02-01,12.00,store\n"
                                "g,2021-02-02,-5.00,web\n"
                                "a,2021-02-10,20.00,web\n"
                                "c,2021-03-03,16.00,web\n"
                                "d,2021-03-10,50.00,store\n"
                                "e,2021-03-31,7.00,web\n"
                                "a,2021-04-01,30.00,email\n"
                                "d,2021-05-05,10.00,web\n"
                                "f,2021-05-10 09:00,3.00,app\n"
                                "f,2021-05-10 15:00,4.00,web\n";

static const uint64_t sizes_c[] = {5, 5, 3, 3, 0};

/* Customers:
 *   on: Jan k0 {a,b,c} 3, k1 {a,c} 2, k2 {c} 1, k3 {a} 1, k4 0; Mar k0 2,
 *       k1 0, k2 {d} 1; May k0 1.
 *       average: k0 (3+0+2+0)/5 = 1, k1 (2+0+0)/5, k2 (1+0)/3, k3 1/3.
 *   on-or-after (last offset >= k): Jan 3, {a,c} 2, {a,c} 2, {a} 1, 0;
 *       Mar 2, {d} 1, {d} 1. average: 1, (2+1)/5, 2/3, 1/3.
 *   rolling (streak >= k): Jan 3, {a,c} 2, {c} 1, 0, 0; Mar 2, 0, 0.
 *       average: 1, 2/5, 1/3, 0.
 *   cumulative (first repeat <= k): Jan 3, {a,c} 2, 2, 2, 2; Mar 2, 0,
 *       {d} 1. average: 1, 2/5, 2/3, 2/3. */
static void test_cohorts__customers_in_every_mode(void **state)
{
	(void)state;
	static const struct want on[] = {
	        {"2021-01", NULL, 3, 5, 4, {3, 2, 1, 1, 0}},
	        {"2021-02", NULL, 0, 4, 3, {0}},
	        {"2021-03", NULL, 2, 3, 2, {2, 0, 1}},
	        {"2021-04", NULL, 0, 2, 1, {0}},
	        {"2021-05", NULL, 1, 1, 0, {1}},
	};
	static const struct want after[] = {
	        {"2021-01", NULL, 3, 5, 4, {3, 2, 2, 1, 0}},
	        {"2021-02", NULL, 0, 4, 3, {0}},
	        {"2021-03", NULL, 2, 3, 2, {2, 1, 1}},
	        {"2021-04", NULL, 0, 2, 1, {0}},
	        {"2021-05", NULL, 1, 1, 0, {1}},
	};
	static const struct want rolling[] = {
	        {"2021-01", NULL, 3, 5, 4, {3, 2, 1, 0, 0}},
	        {"2021-02", NULL, 0, 4, 3, {0}},
	        {"2021-03", NULL, 2, 3, 2, {2, 0, 0}},
	        {"2021-04", NULL, 0, 2, 1, {0}},
	        {"2021-05", NULL, 1, 1, 0, {1}},
	};
	static const struct want cumulative[] = {
	        {"2021-01", NULL, 3, 5, 4, {3, 2, 2, 2, 2}},
	        {"2021-02", NULL, 0, 4, 3, {0}},
	        {"2021-03", NULL, 2, 3, 2, {2, 0, 1}},
	        {"2021-04", NULL, 0, 2, 1, {0}},
	        {"2021-05", NULL, 1, 1, 0, {1}},
	};
	const double avg_on[] = {1, 0.4, 1.0 / 3, 1.0 / 3, NAN};
	const double avg_after[] = {1, 0.6, 2.0 / 3, 1.0 / 3, NAN};
	const double avg_rolling[] = {1, 0.4, 1.0 / 3, 0, NAN};
	const double avg_cumulative[] = {1, 0.4, 2.0 / 3, 2.0 / 3, NAN};
	struct rebuy_orders *o = load(fixture_c, NULL);
	struct run r = {.period = REBUY_PERIOD_MONTH, .metric = REBUY_COHORT_CUSTOMERS};
	const struct want *tables[] = {on, after, rolling, cumulative};
	const double *avgs[] = {avg_on, avg_after, avg_rolling, avg_cumulative};
	for (int m = 0; m < 4; m++) {
		r.mode = (enum rebuy_cohort_mode)m;
		struct rebuy_cohorts *c = compute(o, r);
		assert_int_equal(c->mode, m);
		assert_int_equal(c->customers, 6);
		assert_int_equal(c->as_of_day, day(2021, 5, 11));
		assert_int_equal(c->first_day, day(2021, 1, 5));
		assert_int_equal(c->last_day, day(2021, 5, 10));
		check_cohorts(c, tables[m], 5);
		check_average(c, avgs[m], sizes_c, 5);
		rebuy_cohorts_free(c);
	}
	rebuy_orders_free(o);
}

/* Orders (a 4, b 1, c 3, d 2, e 1, f 2):
 *   on: Jan k0 a2+b1+c1 = 4, k1 a1+c1 = 2, k2 c1, k3 a1, k4 0; Mar k0 2,
 *       k1 0, k2 d1; May k0 2. average (sum / 5, 5, 3, 3): 6/5, 2/5, 1/3,
 *       1/3.
 *   on-or-after (offsets >= k): Jan 8, 4 (a Feb, Apr; c Feb, Mar), 2, 1, 0;
 *       Mar 3, 1, 1; May 2. average: (8+3)/5, (4+1)/5, 2/3, 1/3.
 *   rolling (offset k, streak >= k): Jan a {0,0,1} + b {0} + c {0,1,2}:
 *       4, 2, 1, 0 (a's April order is after its streak ended), 0; Mar 2,
 *       0, 0 (d missed offset 1, April: its May order is not counted); May 2.
 *       average 6/5, 2/5, 1/3, 0.
 *   cumulative (offsets 0..k): Jan 4, 6, 7, 8, 8; Mar 2, 2, 3; May 2.
 *       average: 6/5, (6+2)/5, 7/3, 8/3. */
static void test_cohorts__orders_in_every_mode(void **state)
{
	(void)state;
	static const struct want on[] = {
	        {"2021-01", NULL, 3, 5, 4, {4, 2, 1, 1, 0}},
	        {"2021-02", NULL, 0, 4, 3, {0}},
	        {"2021-03", NULL, 2, 3, 2, {2, 0, 1}},
	        {"2021-04", NULL, 0, 2, 1, {0}},
	        {"2021-05", NULL, 1, 1, 0, {2}},
	};
	static const struct want after[] = {
	        {"2021-01", NULL, 3, 5, 4, {8, 4, 2, 1, 0}},
	        {"2021-02", NULL, 0, 4, 3, {0}},
	        {"2021-03", NULL, 2, 3, 2, {3, 1, 1}},
	        {"2021-04", NULL, 0, 2, 1, {0}},
	        {"2021-05", NULL, 1, 1, 0, {2}},
	};
	static const struct want rolling[] = {
	        {"2021-01", NULL, 3, 5, 4, {4, 2, 1, 0, 0}},
	        {"2021-02", NULL, 0, 4, 3, {0}},
	        {"2021-03", NULL, 2, 3, 2, {2, 0, 0}},
	        {"2021-04", NULL, 0, 2, 1, {0}},
	        {"2021-05", NULL, 1, 1, 0, {2}},
	};
	static const struct want cumulative[] = {
	        {"2021-01", NULL, 3, 5, 4, {4, 6, 7, 8, 8}},
	        {"2021-02", NULL, 0, 4, 3, {0}},
	        {"2021-03", NULL, 2, 3, 2, {2, 2, 3}},
	        {"2021-04", NULL, 0, 2, 1, {0}},
	        {"2021-05", NULL, 1, 1, 0, {2}},
	};
	const double avg_on[] = {1.2, 0.4, 1.0 / 3, 1.0 / 3, NAN};
	const double avg_after[] = {2.2, 1.0, 2.0 / 3, 1.0 / 3, NAN};
	const double avg_rolling[] = {1.2, 0.4, 1.0 / 3, 0, NAN};
	const double avg_cumulative[] = {1.2, 1.6, 7.0 / 3, 8.0 / 3, NAN};
	struct rebuy_orders *o = load(fixture_c, NULL);
	struct run r = {.period = REBUY_PERIOD_MONTH, .metric = REBUY_COHORT_ORDERS};
	const struct want *tables[] = {on, after, rolling, cumulative};
	const double *avgs[] = {avg_on, avg_after, avg_rolling, avg_cumulative};
	for (int m = 0; m < 4; m++) {
		r.mode = (enum rebuy_cohort_mode)m;
		struct rebuy_cohorts *c = compute(o, r);
		check_cohorts(c, tables[m], 5);
		check_average(c, avgs[m], sizes_c, 5);
		rebuy_cohorts_free(c);
	}
	rebuy_orders_free(o);
}

/* Revenue (a 10+5 | 20 | - | 30, b 40, c 8 | 12 | 16, d 50 | - | 10,
 * e 7, f 3+4):
 *   on: Jan k0 15+40+8 = 63, k1 20+12 = 32, k2 16, k3 30, k4 0; Mar 57, 0,
 *       10; May 7. average: (63+57)/5 = 24, 32/5 = 6.4, 16/3, 30/3 = 10.
 *   on-or-after: Jan 141, 78 (20+30+12+16), 46 (30+16), 30, 0; Mar 67, 10,
 *       10; May 7. average: (141+67)/5 = 41.6, (78+10)/5 = 17.6, 46/3, 10.
 *   rolling: Jan 63, 32, 16 (c only), 0 (a's 30 is after its streak), 0;
 *       Mar 57, 0, 0; May 7. average: 24, 6.4, 16/3, 0.
 *   cumulative = ltv: Jan 63, 95, 111, 141, 141; Mar 57, 57, 67; May 7.
 *       average: 24, (95+57)/5 = 30.4, 111/3 = 37, 141/3 = 47.
 * ltv is the same under every mode and the result says mode cumulative;
 * its value at Jan k1 is 95/3 per customer. */
static void test_cohorts__revenue_in_every_mode_and_ltv(void **state)
{
	(void)state;
	static const struct want on[] = {
	        {"2021-01", NULL, 3, 5, 4, {U(63), U(32), U(16), U(30), 0}},
	        {"2021-02", NULL, 0, 4, 3, {0}},
	        {"2021-03", NULL, 2, 3, 2, {U(57), 0, U(10)}},
	        {"2021-04", NULL, 0, 2, 1, {0}},
	        {"2021-05", NULL, 1, 1, 0, {U(7)}},
	};
	static const struct want after[] = {
	        {"2021-01", NULL, 3, 5, 4, {U(141), U(78), U(46), U(30), 0}},
	        {"2021-02", NULL, 0, 4, 3, {0}},
	        {"2021-03", NULL, 2, 3, 2, {U(67), U(10), U(10)}},
	        {"2021-04", NULL, 0, 2, 1, {0}},
	        {"2021-05", NULL, 1, 1, 0, {U(7)}},
	};
	static const struct want rolling[] = {
	        {"2021-01", NULL, 3, 5, 4, {U(63), U(32), U(16), 0, 0}},
	        {"2021-02", NULL, 0, 4, 3, {0}},
	        {"2021-03", NULL, 2, 3, 2, {U(57), 0, 0}},
	        {"2021-04", NULL, 0, 2, 1, {0}},
	        {"2021-05", NULL, 1, 1, 0, {U(7)}},
	};
	static const struct want cumulative[] = {
	        {"2021-01", NULL, 3, 5, 4, {U(63), U(95), U(111), U(141), U(141)}},
	        {"2021-02", NULL, 0, 4, 3, {0}},
	        {"2021-03", NULL, 2, 3, 2, {U(57), U(57), U(67)}},
	        {"2021-04", NULL, 0, 2, 1, {0}},
	        {"2021-05", NULL, 1, 1, 0, {U(7)}},
	};
	const double avg_on[] = {24, 6.4, 16.0 / 3, 10, NAN};
	const double avg_after[] = {41.6, 17.6, 46.0 / 3, 10, NAN};
	const double avg_rolling[] = {24, 6.4, 16.0 / 3, 0, NAN};
	const double avg_cumulative[] = {24, 30.4, 37, 47, NAN};
	struct rebuy_orders *o = load(fixture_c, NULL);
	struct run r = {.period = REBUY_PERIOD_MONTH, .metric = REBUY_COHORT_REVENUE};
	const struct want *tables[] = {on, after, rolling, cumulative};
	const double *avgs[] = {avg_on, avg_after, avg_rolling, avg_cumulative};
	for (int m = 0; m < 4; m++) {
		r.mode = (enum rebuy_cohort_mode)m;
		struct rebuy_cohorts *c = compute(o, r);
		check_cohorts(c, tables[m], 5);
		check_average(c, avgs[m], sizes_c, 5);
		rebuy_cohorts_free(c);
	}
	r.metric = REBUY_COHORT_LTV;
	for (int m = 0; m < 4; m++) {
		r.mode = (enum rebuy_cohort_mode)m;
		struct rebuy_cohorts *c = compute(o, r);
		assert_int_equal(c->metric, REBUY_COHORT_LTV);
		assert_int_equal(c->mode, REBUY_COHORT_CUMULATIVE);
		check_cohorts(c, cumulative, 5);
		check_average(c, avg_cumulative, sizes_c, 5);
		assert_true(near(c->cohorts[0].values[1], 95.0 / 3));
		rebuy_cohorts_free(c);
	}
	rebuy_orders_free(o);
}

/* --max-offset 1 on fixture C: every row has offsets 0..1 (May: 0). The
 * May cells of Jan, Feb and Mar are past offset 1, so those rows have no
 * partial cell; Apr's offset 1 (May) and May's offset 0 stay partial.
 * Sizes over complete cells: k0 3+0+2+0 = 5, k1 3+0+2 = 5.
 *   customers on-or-after: purchases past offset 1 still count for k <= 1:
 *       Jan 3, {a,c} 2; Mar 2, {d} 1 (d's offset-2 purchase); average 1,
 *       3/5.
 *   customers rolling: Jan 3, 2; Mar 2, 0; average 1, 2/5.
 *   orders on-or-after: Jan 8, 4; Mar 3, 1; May 2; average 11/5, 5/5.
 *   revenue cumulative: Jan 63, 95; Mar 57, 57; average 24, 30.4.
 * --max-offset 0: one cell per row; only May's is partial; customers
 * on: 3, 0, 2, 0, 1; average (3+2)/5 = 1. */
static void test_cohorts__max_offset_keeps_later_purchases_for_on_or_after(void **state)
{
	(void)state;
	static const struct want after[] = {
	        {"2021-01", NULL, 3, 2, NONE, {3, 2}}, {"2021-02", NULL, 0, 2, NONE, {0, 0}},
	        {"2021-03", NULL, 2, 2, NONE, {2, 1}}, {"2021-04", NULL, 0, 2, 1, {0, 0}},
	        {"2021-05", NULL, 1, 1, 0, {1}},
	};
	static const struct want rolling[] = {
	        {"2021-01", NULL, 3, 2, NONE, {3, 2}}, {"2021-02", NULL, 0, 2, NONE, {0, 0}},
	        {"2021-03", NULL, 2, 2, NONE, {2, 0}}, {"2021-04", NULL, 0, 2, 1, {0, 0}},
	        {"2021-05", NULL, 1, 1, 0, {1}},
	};
	static const struct want orders_after[] = {
	        {"2021-01", NULL, 3, 2, NONE, {8, 4}}, {"2021-02", NULL, 0, 2, NONE, {0, 0}},
	        {"2021-03", NULL, 2, 2, NONE, {3, 1}}, {"2021-04", NULL, 0, 2, 1, {0, 0}},
	        {"2021-05", NULL, 1, 1, 0, {2}},
	};
	static const struct want ltv[] = {
	        {"2021-01", NULL, 3, 2, NONE, {U(63), U(95)}},
	        {"2021-02", NULL, 0, 2, NONE, {0, 0}},
	        {"2021-03", NULL, 2, 2, NONE, {U(57), U(57)}},
	        {"2021-04", NULL, 0, 2, 1, {0, 0}},
	        {"2021-05", NULL, 1, 1, 0, {U(7)}},
	};
	static const struct want zero[] = {
	        {"2021-01", NULL, 3, 1, NONE, {3}}, {"2021-02", NULL, 0, 1, NONE, {0}},
	        {"2021-03", NULL, 2, 1, NONE, {2}}, {"2021-04", NULL, 0, 1, NONE, {0}},
	        {"2021-05", NULL, 1, 1, 0, {1}},
	};
	const uint64_t sizes[] = {5, 5};
	struct rebuy_orders *o = load(fixture_c, NULL);
	struct run r = {.period = REBUY_PERIOD_MONTH, .max_offset = 1};
	r.mode = REBUY_COHORT_ON_OR_AFTER;
	struct rebuy_cohorts *c = compute(o, r);
	assert_int_equal(c->max_offset, 1);
	check_cohorts(c, after, 5);
	check_average(c, (const double[]){1, 0.6}, sizes, 2);
	rebuy_cohorts_free(c);
	r.mode = REBUY_COHORT_ROLLING;
	c = compute(o, r);
	check_cohorts(c, rolling, 5);
	check_average(c, (const double[]){1, 0.4}, sizes, 2);
	rebuy_cohorts_free(c);
	r.mode = REBUY_COHORT_ON_OR_AFTER;
	r.metric = REBUY_COHORT_ORDERS;
	c = compute(o, r);
	check_cohorts(c, orders_after, 5);
	check_average(c, (const double[]){2.2, 1.0}, sizes, 2);
	rebuy_cohorts_free(c);
	r.metric = REBUY_COHORT_LTV;
	c = compute(o, r);
	check_cohorts(c, ltv, 5);
	check_average(c, (const double[]){24, 30.4}, sizes, 2);
	rebuy_cohorts_free(c);

	/* max_offset 0 is "offset 0 only": the struct run's 0 means "none", so
	 * set the option directly. */
	struct rebuy_cohorts_options co;
	rebuy_cohorts_options_init(&co);
	co.max_offset = 0;
	co.n_threads = 1;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_cohorts_compute(o, &co, &c, &err), REBUY_OK);
	check_cohorts(c, zero, 5);
	check_average(c, (const double[]){1}, (const uint64_t[]){5}, 1);
	rebuy_cohorts_free(c);
	rebuy_orders_free(o);
}

/* Quarters of fixture C (as of May 11, so 2021-Q2 is partial):
 *   2021-Q1 {a, b, c, d, e} = 5, offsets 0..1, partial from 1;
 *   2021-Q2 {f} = 1, offset 0, partial.
 *   customers on: Q1 5, {a (Apr), d (May)} 2; Q2 1. average: k0 5/5 = 1
 *       (Q2's cell is partial), k1 no complete cell: NaN over size 0.
 *   revenue on-or-after: Q1 141 + 67 = 208, a 30 + d 10 = 40; Q2 7. */
static void test_cohorts__quarters(void **state)
{
	(void)state;
	static const struct want on[] = {
	        {"2021-Q1", NULL, 5, 2, 1, {5, 2}},
	        {"2021-Q2", NULL, 1, 1, 0, {1}},
	};
	static const struct want after[] = {
	        {"2021-Q1", NULL, 5, 2, 1, {U(208), U(40)}},
	        {"2021-Q2", NULL, 1, 1, 0, {U(7)}},
	};
	struct rebuy_orders *o = load(fixture_c, NULL);
	struct run r = {.period = REBUY_PERIOD_QUARTER};
	struct rebuy_cohorts *c = compute(o, r);
	check_cohorts(c, on, 2);
	check_average(c, (const double[]){1, NAN}, (const uint64_t[]){5, 0}, 2);
	rebuy_cohorts_free(c);
	r.metric = REBUY_COHORT_REVENUE;
	r.mode = REBUY_COHORT_ON_OR_AFTER;
	c = compute(o, r);
	check_cohorts(c, after, 2);
	check_average(c, (const double[]){41.6, NAN}, (const uint64_t[]){5, 0}, 2);
	rebuy_cohorts_free(c);
	rebuy_orders_free(o);
}

/* ------------------------------------------------------------------------
 * Fixture W: ISO weeks across the 2020/2021 boundary (2020 has 53 weeks):
 *   2020-W53 = Mon 2020-12-28 .. Sun 2021-01-03; 2021-W01 = 01-04 .. 01-10;
 *   2021-W02 = 01-11 .. 01-17; 2021-W03 = 01-18 .. 01-24.
 *   p: Mon 12-28 1 (W53), Wed 01-06 8 (W01), Sun 01-17 23:00 32 (W02)
 *   q: Sun 01-03 2 (W53), Mon 01-11 16 (W02)
 *   r: Mon 01-04 4 (W01), one order
 * The data ends on Sunday Jan 17, so as of Jan 18 (the default) W02 is
 * complete: no partial cell at all. Cohorts: W53 {p, q} 2 (offsets 0..2),
 * W01 {r} 1 (0..1), W02 none (0).
 *   customers on: W53 2, {p} 1, {p, q} 2; W01 1, 0; W02 0.
 *       average over sizes 3, 3, 2: 1, 1/3, 1.
 *   customers rolling (p streak 2; q misses W01: 0): W53 2, 1, 1; W01 1, 0.
 *       average 1, 1/3, 1/2.
 *   ltv: W53 1+2 = 3, +8 = 11, +16+32 = 59; W01 4, 4; W02 0.
 *       average (3+4)/3, (11+4)/3 = 5, 59/2 = 29.5.
 * As of Wed 2021-01-20 W03 joins, partial: W53 offsets 0..3 partial from
 * 3, W01 0..2 from 2, W02 0..1 from 1, W03 (empty) 0 from 0.
 *   customers on: W53 2, 1, 2, 0; W01 1, 0, 0; W02 0, 0; W03 0.
 *   average over complete cells: k0 W53 + W01 + W02 = 3 -> 1; k1 W53 +
 *   W01 = 3 -> 1/3; k2 W53 = 2 -> 1; k3 none -> NaN.
 * ------------------------------------------------------------------------ */
static const char fixture_w[] = "customer,date,amount\n"
                                "p,2020-12-28,1\n"
                                "q,2021-01-03,2\n"
                                "r,2021-01-04,4\n"
                                "p,2021-01-06,8\n"
                                "q,2021-01-11,16\n"
                                "p,2021-01-17 23:00,32\n";

static void test_cohorts__iso_weeks_and_a_complete_last_week(void **state)
{
	(void)state;
	static const struct want on[] = {
	        {"2020-W53", NULL, 2, 3, NONE, {2, 1, 2}},
	        {"2021-W01", NULL, 1, 2, NONE, {1, 0}},
	        {"2021-W02", NULL, 0, 1, NONE, {0}},
	};
	static const struct want rolling[] = {
	        {"2020-W53", NULL, 2, 3, NONE, {2, 1, 1}},
	        {"2021-W01", NULL, 1, 2, NONE, {1, 0}},
	        {"2021-W02", NULL, 0, 1, NONE, {0}},
	};
	static const struct want ltv[] = {
	        {"2020-W53", NULL, 2, 3, NONE, {U(3), U(11), U(59)}},
	        {"2021-W01", NULL, 1, 2, NONE, {U(4), U(4)}},
	        {"2021-W02", NULL, 0, 1, NONE, {0}},
	};
	static const struct want later[] = {
	        {"2020-W53", NULL, 2, 4, 3, {2, 1, 2, 0}},
	        {"2021-W01", NULL, 1, 3, 2, {1, 0, 0}},
	        {"2021-W02", NULL, 0, 2, 1, {0, 0}},
	        {"2021-W03", NULL, 0, 1, 0, {0}},
	};
	struct rebuy_orders *o = load(fixture_w, NULL);
	struct run r = {.period = REBUY_PERIOD_WEEK};
	struct rebuy_cohorts *c = compute(o, r);
	assert_int_equal(c->as_of_day, day(2021, 1, 18));
	check_cohorts(c, on, 3);
	check_average(c, (const double[]){1, 1.0 / 3, 1}, (const uint64_t[]){3, 3, 2}, 3);
	rebuy_cohorts_free(c);
	r.mode = REBUY_COHORT_ROLLING;
	c = compute(o, r);
	check_cohorts(c, rolling, 3);
	check_average(c, (const double[]){1, 1.0 / 3, 0.5}, (const uint64_t[]){3, 3, 2}, 3);
	rebuy_cohorts_free(c);
	r.metric = REBUY_COHORT_LTV;
	c = compute(o, r);
	check_cohorts(c, ltv, 3);
	check_average(c, (const double[]){7.0 / 3, 5, 29.5}, (const uint64_t[]){3, 3, 2}, 3);
	rebuy_cohorts_free(c);
	r = (struct run){.period = REBUY_PERIOD_WEEK, .as_of = day(2021, 1, 20)};
	c = compute(o, r);
	check_cohorts(c, later, 4);
	check_average(c, (const double[]){1, 1.0 / 3, 1, NAN}, (const uint64_t[]){3, 3, 2, 0}, 4);
	rebuy_cohorts_free(c);
	rebuy_orders_free(o);
}

/* Days: x buys on 2021-03-01 at 10:00 (1) and 18:00 (2), and on 03-03 (8);
 * y on 03-02 (4). A day cell is never partial (the as-of date is a day).
 * Cohorts: 03-01 {x} offsets 0..2; 03-02 {y} 0..1; 03-03 none, 0.
 *   customers on: 1, 0, 1; 1, 0; 0. average over sizes 2, 2, 1: 1, 0, 1.
 *   customers on-or-after (x last offset 2, y 0): 1, 1, 1; 1, 0.
 *   customers cumulative (x first repeat 2): 1, 0, 1; 1, 0.
 *   orders on: 2, 0, 1; 1, 0; 0. average 3/2, 0, 1. */
static void test_cohorts__days(void **state)
{
	(void)state;
	static const char text[] = "customer,date,amount\n"
	                           "x,2021-03-01 10:00,1\n"
	                           "x,2021-03-01 18:00,2\n"
	                           "y,2021-03-02,4\n"
	                           "x,2021-03-03,8\n";
	static const struct want on[] = {
	        {"2021-03-01", NULL, 1, 3, NONE, {1, 0, 1}},
	        {"2021-03-02", NULL, 1, 2, NONE, {1, 0}},
	        {"2021-03-03", NULL, 0, 1, NONE, {0}},
	};
	static const struct want after[] = {
	        {"2021-03-01", NULL, 1, 3, NONE, {1, 1, 1}},
	        {"2021-03-02", NULL, 1, 2, NONE, {1, 0}},
	        {"2021-03-03", NULL, 0, 1, NONE, {0}},
	};
	static const struct want orders[] = {
	        {"2021-03-01", NULL, 1, 3, NONE, {2, 0, 1}},
	        {"2021-03-02", NULL, 1, 2, NONE, {1, 0}},
	        {"2021-03-03", NULL, 0, 1, NONE, {0}},
	};
	const uint64_t sizes[] = {2, 2, 1};
	struct rebuy_orders *o = load(text, NULL);
	struct run r = {.period = REBUY_PERIOD_DAY};
	struct rebuy_cohorts *c = compute(o, r);
	check_cohorts(c, on, 3);
	check_average(c, (const double[]){1, 0, 1}, sizes, 3);
	rebuy_cohorts_free(c);
	r.mode = REBUY_COHORT_ON_OR_AFTER;
	c = compute(o, r);
	check_cohorts(c, after, 3);
	rebuy_cohorts_free(c);
	r.mode = REBUY_COHORT_CUMULATIVE;
	c = compute(o, r);
	check_cohorts(c, on, 3); /* the same counts as on, by the hand table */
	rebuy_cohorts_free(c);
	r.mode = REBUY_COHORT_ON;
	r.metric = REBUY_COHORT_ORDERS;
	c = compute(o, r);
	check_cohorts(c, orders, 3);
	check_average(c, (const double[]){1.5, 0, 1}, sizes, 3);
	rebuy_cohorts_free(c);
	rebuy_orders_free(o);
}

/* --by channel on fixture C: the channel of each customer's first purchase:
 * a web (Jan 5; its later store and email orders do not matter), b store,
 * c web, d store, e web, f app (09:00 before 15:00). Value ids follow the
 * byte order of all values seen: app 0, email 1, store 2, web 3; email
 * starts no customer and has no rows. Each value's rows run from its first
 * cohort to May, empty months included:
 *   app:   May {f} 1: on 1 (partial).
 *   store: Jan {b} 1: 1, 0, 0, 0, 0; Feb 0; Mar {d} 1: 1, 0, 1; Apr 0; May 0.
 *   web:   Jan {a, c} 2: 2, 2, 1 (c), 1 (a), 0; Feb 0; Mar {e} 1: 1, 0, 0;
 *          Apr 0; May 0.
 * The average is over every row: the same as without by (1, 2/5, 1/3, 1/3).
 * revenue cumulative for web Jan: a 15, +20, +0, +30 / c 8, +12, +16 ->
 * 23, 55, 71, 101, 101. */
static void test_cohorts__by_the_first_purchase_attribute(void **state)
{
	(void)state;
	static const struct want on[] = {
	        {"2021-05", "app", 1, 1, 0, {1}},
	        {"2021-01", "store", 1, 5, 4, {1, 0, 0, 0, 0}},
	        {"2021-02", "store", 0, 4, 3, {0}},
	        {"2021-03", "store", 1, 3, 2, {1, 0, 1}},
	        {"2021-04", "store", 0, 2, 1, {0}},
	        {"2021-05", "store", 0, 1, 0, {0}},
	        {"2021-01", "web", 2, 5, 4, {2, 2, 1, 1, 0}},
	        {"2021-02", "web", 0, 4, 3, {0}},
	        {"2021-03", "web", 1, 3, 2, {1, 0, 0}},
	        {"2021-04", "web", 0, 2, 1, {0}},
	        {"2021-05", "web", 0, 1, 0, {0}},
	};
	struct rebuy_orders *o = load(fixture_c, "channel");
	assert_int_equal(o->n_attributes, 1);
	struct run r = {.period = REBUY_PERIOD_MONTH, .by = 1};
	struct rebuy_cohorts *c = compute(o, r);
	assert_int_equal(c->has_by, 1);
	assert_string_equal(c->by_name, "channel");
	assert_int_equal(c->n_by_values, 4);
	assert_string_equal(c->by_values[0], "app");
	assert_string_equal(c->by_values[1], "email");
	assert_string_equal(c->by_values[2], "store");
	assert_string_equal(c->by_values[3], "web");
	check_cohorts(c, on, sizeof on / sizeof *on);
	check_average(c, (const double[]){1, 0.4, 1.0 / 3, 1.0 / 3, NAN}, sizes_c, 5);
	assert_int_equal(c->customers, 6);
	rebuy_cohorts_free(c);
	r.metric = REBUY_COHORT_REVENUE;
	r.mode = REBUY_COHORT_CUMULATIVE;
	c = compute(o, r);
	assert_int_equal(c->n_cohorts, 11);
	const int64_t web_jan[] = {U(23), U(55), U(71), U(101), U(101)};
	assert_memory_equal(c->cohorts[6].counts, web_jan, sizeof web_jan);
	rebuy_cohorts_free(c);
	rebuy_orders_free(o);
}

/* Errors: no purchase (a return only), revenue without amounts, an as-of
 * day on the last purchase day, a by attribute the orders do not keep, and
 * a table too big (days over 20 years: 7,306 cohorts x 7,306 offsets >
 * 2^24 cells) unless --max-offset makes it small. */
static void test_cohorts__errors_name_the_problem(void **state)
{
	(void)state;
	struct rebuy_cohorts_options co;
	struct rebuy_cohorts *c = (struct rebuy_cohorts *)&co; /* must become NULL */
	struct rebuy_error err = {0};
	struct rebuy_orders *o = load("customer,date,amount\nz,2021-01-01,-5\n", NULL);
	rebuy_cohorts_options_init(&co);
	assert_int_equal(rebuy_cohorts_compute(o, &co, &c, &err), REBUY_EDATA);
	assert_null(c);
	assert_non_null(strstr(err.msg, "no purchases"));
	rebuy_orders_free(o);

	o = load("customer,date\nx,2021-01-01\nx,2021-02-01\n", NULL);
	rebuy_error_clear(&err);
	co.metric = REBUY_COHORT_REVENUE;
	assert_int_equal(rebuy_cohorts_compute(o, &co, &c, &err), REBUY_EDATA);
	assert_non_null(strstr(err.msg, "amount"));
	co.metric = REBUY_COHORT_LTV;
	assert_int_equal(rebuy_cohorts_compute(o, &co, &c, &err), REBUY_EDATA);
	/* customers and orders need no amount: x is cohort Jan, back in Feb */
	co.metric = REBUY_COHORT_ORDERS;
	assert_int_equal(rebuy_cohorts_compute(o, &co, &c, &err), REBUY_OK);
	assert_int_equal(c->n_cohorts, 2);
	assert_int_equal(c->cohorts[0].counts[1], 1);
	rebuy_cohorts_free(c);

	rebuy_error_clear(&err);
	co.metric = REBUY_COHORT_CUSTOMERS;
	co.has_as_of = 1;
	co.as_of_day = day(2021, 2, 1);
	assert_int_equal(rebuy_cohorts_compute(o, &co, &c, &err), REBUY_EARG);
	assert_non_null(strstr(err.msg, "as-of"));
	co.has_as_of = 0;
	rebuy_error_clear(&err);
	co.has_by = 1;
	assert_int_equal(rebuy_cohorts_compute(o, &co, &c, &err), REBUY_EARG);
	co.has_by = 0;
	rebuy_orders_free(o);

	o = load("customer,date\nx,2000-01-01\ny,2020-01-01\n", NULL);
	rebuy_error_clear(&err);
	co.period = REBUY_PERIOD_DAY;
	assert_int_equal(rebuy_cohorts_compute(o, &co, &c, &err), REBUY_ELIMIT);
	assert_non_null(strstr(err.msg, "--max-offset"));
	/* 2000-01-01 .. 2020-01-01: 20 years with 5 leap days (2000, 04, 08,
	 * 12, 16) = 7,305 days, so 7,306 day cohorts; with --max-offset 10 the
	 * first has 11 cells, x in offset 0 only. */
	co.max_offset = 10;
	assert_int_equal(rebuy_cohorts_compute(o, &co, &c, &err), REBUY_OK);
	assert_int_equal(c->n_cohorts, 7306);
	assert_int_equal(c->cohorts[0].n_offsets, 11);
	assert_int_equal(c->cohorts[0].counts[0], 1);
	assert_int_equal(c->cohorts[0].counts[1], 0);
	assert_int_equal(c->cohorts[7305].size, 1);
	rebuy_cohorts_free(c);
	rebuy_orders_free(o);
}

static void test_cohorts__names_of_modes_and_metrics(void **state)
{
	(void)state;
	static const char *const modes[] = {"on", "on-or-after", "rolling", "cumulative"};
	static const char *const metrics[] = {"customers", "orders", "revenue", "ltv"};
	struct rebuy_error err = {0};
	for (int i = 0; i < 4; i++) {
		enum rebuy_cohort_mode m;
		enum rebuy_cohort_metric x;
		assert_int_equal(rebuy_cohort_mode_from_name(modes[i], &m, &err), REBUY_OK);
		assert_int_equal(m, i);
		assert_string_equal(rebuy_cohort_mode_name(m), modes[i]);
		assert_int_equal(rebuy_cohort_metric_from_name(metrics[i], &x, &err), REBUY_OK);
		assert_int_equal(x, i);
		assert_string_equal(rebuy_cohort_metric_name(x), metrics[i]);
	}
	enum rebuy_cohort_mode m;
	assert_int_equal(rebuy_cohort_mode_from_name("weekly", &m, &err), REBUY_EARG);
	assert_non_null(strstr(err.msg, "'weekly'"));
}

static char *json_of(const struct rebuy_cohorts *c)
{
	struct rebuy_doc *doc = rebuy_doc_new();
	rebuy_cohorts_doc(c, NULL, doc, rebuy_doc_root(doc));
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(rebuy_doc_write_json(doc, NULL, f), REBUY_OK);
	fclose(f);
	rebuy_doc_free(doc);
	return buf;
}

/* The JSON contract of docs/cohorts.md on fixture C: an empty cohort has
 * size 0, null values and zero counts; partial_from is a number or null;
 * revenue counts are exact money; the average is null where no cell is
 * complete. */
static void test_cohorts__json_document(void **state)
{
	(void)state;
	struct rebuy_orders *o = load(fixture_c, "channel");
	struct rebuy_cohorts *c = compute(o, (struct run){.period = REBUY_PERIOD_MONTH});
	char *js = json_of(c);
	static const char *const want[] = {
	        "\"period\": \"month\",\n  \"mode\": \"on\",\n  \"metric\": \"customers\"",
	        "\"as_of\": \"2021-05-11\"",
	        "\"max_offset\": null",
	        "\"cohort\": \"2021-01\",\n      \"start\": \"2021-01-01\",\n      \"size\": 3,\n"
	        "      \"values\": [1, 0.6666666666666666, 0.3333333333333333, "
	        "0.3333333333333333, 0],\n      \"counts\": [3, 2, 1, 1, 0],\n"
	        "      \"partial_from\": 4",
	        "\"cohort\": \"2021-02\",\n      \"start\": \"2021-02-01\",\n      \"size\": 0,\n"
	        "      \"values\": [null, null, null, null],\n      \"counts\": [0, 0, 0, 0],\n"
	        "      \"partial_from\": 3",
	        "\"average\": [1, 0.4, 0.3333333333333333, 0.3333333333333333, "
	        "null]",
	        "\"average_size\": [5, 5, 3, 3, 0]",
	        "\"values\": \"share of the cohort who bought in offset k (counts / size)\"",
	};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		if (!strstr(js, want[i]))
			fail_msg("the JSON lacks %s:\n%s", want[i], js);
	assert_null(strstr(js, "\"by\""));
	free(js);
	rebuy_cohorts_free(c);

	c = compute(o, (struct run){.period = REBUY_PERIOD_MONTH,
	                            .metric = REBUY_COHORT_REVENUE,
	                            .max_offset = 1,
	                            .by = 1});
	js = json_of(c);
	static const char *const want_by[] = {
	        "\"by\": \"channel\"",
	        "\"max_offset\": 1",
	        "\"cohort\": \"2021-01\",\n      \"by\": \"web\"",
	        /* web Jan: a 15 + c 8 = 23, then 20 + 12 = 32; over 2 customers */
	        "\"values\": [11.5, 16],\n      \"counts\": [23, 32],\n      \"partial_from\": "
	        "null",
	};
	for (size_t i = 0; i < sizeof want_by / sizeof *want_by; i++)
		if (!strstr(js, want_by[i]))
			fail_msg("the JSON lacks %s:\n%s", want_by[i], js);
	free(js);
	rebuy_cohorts_free(c);
	rebuy_orders_free(o);
}

/* Every allocation of compute and the document fails in turn: each failure
 * is REBUY_ENOMEM with *out NULL (or a failed document), nothing leaks.
 * Once on fixture C with by, once on 1,200 customers (enough for the
 * customer ranges to be split over two threads). */
static void fail_every_allocation(const struct rebuy_orders *o, int by)
{
	size_t in_use = rebuy_alloc_in_use();
	struct rebuy_cohorts_options co;
	rebuy_cohorts_options_init(&co);
	co.has_by = by;
	co.n_threads = 2;
	long fail;
	for (fail = 0; fail < 10000; fail++) {
		struct rebuy_cohorts *c = NULL;
		struct rebuy_error err = {0};
		tu_fail_after(fail);
		enum rebuy_status st = rebuy_cohorts_compute(o, &co, &c, &err);
		int ok = st == REBUY_OK;
		if (ok) {
			struct rebuy_doc *doc = rebuy_doc_new();
			rebuy_cohorts_doc(c, &o->report, doc, rebuy_doc_root(doc));
			ok = doc && !rebuy_doc_failed(doc);
			rebuy_doc_free(doc);
		} else {
			assert_int_equal(st, REBUY_ENOMEM);
			assert_null(c);
		}
		int triggered = tu_fail_triggered();
		tu_fail_after(-1);
		rebuy_cohorts_free(c);
		assert_int_equal(rebuy_alloc_in_use(), in_use);
		if (ok && !triggered)
			break;
	}
	print_message("completed after %ld injected failures\n", fail);
	assert_true(fail > 5);
	assert_true(fail < 10000);
}

static void test_cohorts__every_allocation_failure_is_clean(void **state)
{
	(void)state;
	struct rebuy_orders *o = load(fixture_c, "channel");
	fail_every_allocation(o, 1);
	rebuy_orders_free(o);
	size_t cap = 64 * 1200, len = 0;
	char *text = malloc(cap);
	len += (size_t)snprintf(text, cap, "customer,date,amount\n");
	for (int i = 0; i < 1200; i++)
		len += (size_t)snprintf(text + len, cap - len,
		                        "c%d,2021-%02d-01,1\nc%d,2021-%02d-15,2\n", i, 1 + i % 6, i,
		                        1 + (i * 7) % 12);
	o = load(text, NULL);
	assert_int_equal(o->n_customers, 1200);
	fail_every_allocation(o, 0);
	rebuy_orders_free(o);
	free(text);
}

/* ------------------------------------------------------------------------
 * The shared files (DESIGN.md §7): grocery (dates only: customers and
 * orders) and the CDNOW master (with amounts). For every period, mode and
 * metric the counts add up:
 *   - the sizes add up to the customers with a purchase, and every
 *     cohort's offset-0 customer count is its size, in every mode;
 *   - on-or-after and rolling never increase with the offset, cumulative
 *     never decreases (for customers from offset 1 on: offset 0 is the
 *     whole cohort in every mode, offset 1 the first repeat period);
 *   - rolling[k] <= on[k] <= on-or-after[k] and on[k] <= cumulative[k]
 *     for k >= 1 (a streak through k has a purchase in k, which is a
 *     purchase in 1..k and at or after k);
 *   - for orders and revenue, on-or-after[0] = cumulative[last] = the sum
 *     of on over the offsets (every purchase of the cohort, once), and
 *     their sum over cohorts is every purchase (or the revenue) of the
 *     file; ltv equals revenue cumulative;
 *   - one and two threads give the same cells.
 * ------------------------------------------------------------------------ */
static void check_file(const char *path, enum rebuy_period period)
{
	struct rebuy_input_options in;
	rebuy_input_options_init(&in);
	in.path = path;
	struct rebuy_orders *o = NULL;
	struct rebuy_error err = {0};
	if (rebuy_orders_load(&o, &in, NULL, &err) != REBUY_OK)
		fail_msg("%s: %s", path, err.msg);
	uint64_t buyers = 0;
	int64_t revenue = 0;
	for (size_t i = 0; i < o->n_customers; i++)
		buyers += o->cust_start[i + 1] > o->cust_start[i];
	for (size_t i = 0; i < o->n_orders; i++)
		revenue += o->value[i];
	/* customers, orders and, with amounts, revenue; ltv (mode-free) is
	 * checked against revenue cumulative */
	int n_metrics = o->has_amount ? 3 : 2;
	for (int metric = 0; metric < n_metrics; metric++) {
		struct rebuy_cohorts *c[4];
		for (int mode = 0; mode < 4; mode++) {
			struct run r = {.period = period,
			                .mode = (enum rebuy_cohort_mode)mode,
			                .metric = (enum rebuy_cohort_metric)metric};
			c[mode] = compute(o, r);
			r.threads = 2;
			struct rebuy_cohorts *c2 = compute(o, r);
			assert_int_equal(c2->n_cohorts, c[mode]->n_cohorts);
			for (size_t i = 0; i < c2->n_cohorts; i++) {
				assert_int_equal(c2->cohorts[i].size, c[mode]->cohorts[i].size);
				assert_memory_equal(c2->cohorts[i].counts,
				                    c[mode]->cohorts[i].counts,
				                    c2->cohorts[i].n_offsets * sizeof(int64_t));
			}
			rebuy_cohorts_free(c2);
			assert_int_equal(c[mode]->customers, buyers);
		}
		int64_t total = 0;
		uint64_t sizes = 0;
		for (size_t i = 0; i < c[0]->n_cohorts; i++) {
			const struct rebuy_cohort *on = &c[0]->cohorts[i],
			                          *after = &c[1]->cohorts[i],
			                          *roll = &c[2]->cohorts[i],
			                          *cum = &c[3]->cohorts[i];
			size_t n = on->n_offsets;
			sizes += on->size;
			for (size_t k = 0; k < n; k++) {
				if (k > 0) {
					assert_true(after->counts[k] <= after->counts[k - 1]);
					/* customers: from offset 1 on (offset 0 is the
					 * whole cohort in every mode) */
					if (metric != REBUY_COHORT_CUSTOMERS || k >= 2)
						assert_true(cum->counts[k] >= cum->counts[k - 1]);
				}
				if (metric == REBUY_COHORT_CUSTOMERS) {
					if (k == 0) {
						assert_int_equal(on->counts[0], on->size);
						assert_int_equal(after->counts[0], on->size);
						assert_int_equal(roll->counts[0], on->size);
						assert_int_equal(cum->counts[0], on->size);
						continue;
					}
					assert_true(roll->counts[k] <= roll->counts[k - 1]);
					assert_true(roll->counts[k] <= on->counts[k]);
					assert_true(on->counts[k] <= after->counts[k]);
					assert_true(on->counts[k] <= cum->counts[k]);
				}
			}
			if (metric != REBUY_COHORT_CUSTOMERS) {
				int64_t sum_on = 0;
				for (size_t k = 0; k < n; k++)
					sum_on += on->counts[k];
				assert_int_equal(after->counts[0], sum_on);
				assert_int_equal(cum->counts[n - 1], sum_on);
				total += sum_on;
			}
		}
		assert_int_equal(sizes, buyers);
		if (metric == REBUY_COHORT_ORDERS)
			assert_int_equal(total, (int64_t)o->n_orders);
		if (metric == REBUY_COHORT_REVENUE) {
			assert_int_equal(total, revenue);
			struct rebuy_cohorts *ltv = compute(
			        o, (struct run){.period = period, .metric = REBUY_COHORT_LTV});
			for (size_t i = 0; i < ltv->n_cohorts; i++)
				assert_memory_equal(ltv->cohorts[i].counts, c[3]->cohorts[i].counts,
				                    ltv->cohorts[i].n_offsets * sizeof(int64_t));
			rebuy_cohorts_free(ltv);
		}
		for (int mode = 0; mode < 4; mode++)
			rebuy_cohorts_free(c[mode]);
	}
	rebuy_orders_free(o);
}

static void test_cohorts__counts_add_up_on_grocery_and_cdnow(void **state)
{
	(void)state;
	const char *grocery = tu_shared_path("data/grocery/groceryElog.csv");
	if (!grocery)
		skip();
	char path[4096];
	snprintf(path, sizeof path, "%s", grocery);
	for (int p = REBUY_PERIOD_DAY; p <= REBUY_PERIOD_QUARTER; p++)
		check_file(path, (enum rebuy_period)p);
	const char *cdnow = tu_shared_path("data/cdnow/CDNOW_master.txt");
	if (!cdnow)
		skip();
	snprintf(path, sizeof path, "%s", cdnow);
	for (int p = REBUY_PERIOD_DAY; p <= REBUY_PERIOD_QUARTER; p++)
		check_file(path, (enum rebuy_period)p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cohorts__customers_in_every_mode),
	        cmocka_unit_test(test_cohorts__orders_in_every_mode),
	        cmocka_unit_test(test_cohorts__revenue_in_every_mode_and_ltv),
	        cmocka_unit_test(test_cohorts__max_offset_keeps_later_purchases_for_on_or_after),
	        cmocka_unit_test(test_cohorts__quarters),
	        cmocka_unit_test(test_cohorts__iso_weeks_and_a_complete_last_week),
	        cmocka_unit_test(test_cohorts__days),
	        cmocka_unit_test(test_cohorts__by_the_first_purchase_attribute),
	        cmocka_unit_test(test_cohorts__errors_name_the_problem),
	        cmocka_unit_test(test_cohorts__names_of_modes_and_metrics),
	        cmocka_unit_test(test_cohorts__json_document),
	        cmocka_unit_test(test_cohorts__every_allocation_failure_is_clean),
	        cmocka_unit_test(test_cohorts__counts_add_up_on_grocery_and_cdnow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
