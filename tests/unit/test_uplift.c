/* Unit tests for campaign evaluation (include/rebuy/uplift.h,
 * docs/uplift.md): the window and the prior window, customers without
 * orders, the tests and intervals against independent values, the campaign
 * file's errors with their lines, segments, determinism across threads,
 * allocation failures, and, on campaigns simulated by rebuy gen with a known
 * effect, that the effect is recovered inside its interval and that a
 * campaign without effect is not called significant more often than the
 * stated level.
 *
 * Reference values: Newcombe's intervals are those published in Newcombe
 * (1998), Stat Med 17, Table II, method 10 (4 decimals: tolerance 5e-5).
 * The p-values, Welch intervals and Katz intervals were computed with
 * SciPy 1.10 (scipy.stats.ttest_ind(equal_var=False), chi2_contingency(
 * correction=False), t.ppf, norm.ppf), independently of rebuy's code; they
 * are compared with a relative tolerance of 1e-9 (rebuy's t quantile and t
 * tail are accurate to about 1e-14 at these degrees of freedom). Counts and
 * money are compared exactly.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/alloc.h"
#include "rebuy/date.h"
#include "rebuy/doc.h"
#include "rebuy/gen.h"
#include "rebuy/input.h"
#include "rebuy/orders.h"
#include "rebuy/table.h"
#include "rebuy/uplift.h"

#define REL_TOL 1e-9

static void near_(const char *what, double got, double want, double tol, const char *file, int line)
{
	int ok = isnan(want) ? isnan(got) : got == want || fabs(got - want) <= tol * fabs(want);
	if (!ok) {
		print_error("%s = %.17g, want %.17g\n", what, got, want);
		_fail(file, line);
	}
}

#define NEAR(got, want) near_(#got, (got), (want), REL_TOL, __FILE__, __LINE__)
/* An absolute tolerance, for the published 4-decimal values. */
#define NEAR4(got, want)                                                                     \
	do {                                                                                 \
		if (!(fabs((got) - (want)) <= 5e-5)) {                                       \
			print_error("%s = %.17g, want %.4f\n", #got, (double)(got), (want)); \
			_fail(__FILE__, __LINE__);                                           \
		}                                                                            \
	} while (0)

static struct rebuy_table *table(const char *text)
{
	struct rebuy_table_options o;
	rebuy_table_options_init(&o);
	o.path = "campaign.csv";
	o.data = text;
	o.data_len = strlen(text);
	struct rebuy_table *t = NULL;
	struct rebuy_error err = {0};
	if (rebuy_table_read(&t, &o, &err) != REBUY_OK)
		fail_msg("reading the campaign: %s", err.msg);
	return t;
}

static struct rebuy_orders *orders(const char *text)
{
	struct rebuy_input_options o;
	rebuy_input_options_init(&o);
	o.n_threads = 1;
	o.path = "orders.csv";
	o.data = text;
	o.data_len = strlen(text);
	struct rebuy_orders *t = NULL;
	struct rebuy_error err = {0};
	if (rebuy_orders_load(&t, &o, NULL, &err) != REBUY_OK)
		fail_msg("loading the orders: %s", err.msg);
	return t;
}

static struct rebuy_uplift *compute(const char *campaign, const struct rebuy_orders *o,
                                    const struct rebuy_uplift_options *opts)
{
	struct rebuy_uplift_options def;
	if (!opts) {
		rebuy_uplift_options_init(&def);
		def.n_threads = 1;
		opts = &def;
	}
	struct rebuy_table *t = table(campaign);
	struct rebuy_uplift *u = NULL;
	struct rebuy_error err = {0};
	if (rebuy_uplift_compute(t, o, opts, &u, &err) != REBUY_OK)
		fail_msg("uplift: %s", err.msg);
	rebuy_table_free(t);
	return u;
}

/* Expects the campaign to be refused with st and exactly msg. */
static void fails(const char *campaign, const struct rebuy_orders *o,
                  const struct rebuy_uplift_options *opts, enum rebuy_status st, const char *msg)
{
	struct rebuy_uplift_options def;
	if (!opts) {
		rebuy_uplift_options_init(&def);
		opts = &def;
	}
	struct rebuy_table *t = table(campaign);
	struct rebuy_uplift *u = (struct rebuy_uplift *)1;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_uplift_compute(t, o, opts, &u, &err), st);
	assert_null(u);
	assert_string_equal(err.msg, msg);
	rebuy_table_free(t);
}

/* ------------------------------------------------------------------------
 * A hand-made campaign, send day 2024-03-01, window 30 days: the window is
 * Mar 1 .. Mar 30 (Mar 1 + 30 = Mar 31 is out), the prior window Jan 31 ..
 * Feb 29 (2024 is a leap year: Mar 1 - 30 = Jan 31).
 *   T1 buys on the send day (in): 1 order, 10.00
 *   T2 Mar 5 and Mar 30 (both in): 2 orders, 25.00
 *   T3 Mar 31 (out), Feb 15 (prior): 0 orders; prior 1, 8.00
 *   T4 has no order at all (counted, as buying nothing)
 *   C1 Feb 29 (prior): 0; prior 1, 3.00
 *   C2 Mar 10: 1 order, 4.00
 *   C3 Apr 1 (out): 0
 *   C4 Jan 31 (prior, its first day) and Jan 30 (before it): 0; prior 1, 2.00
 *   C5 Mar 15 and Mar 16: 2 orders, 8.00
 * Treatment (4): converted 2 (rate 1/2), orders [1,2,0,0], revenue
 * [10,25,0,0] (mean 8.75). Control (5): converted 2 (rate 2/5), orders
 * [0,1,0,0,2], revenue [0,4,0,0,8] (mean 2.4).
 * ------------------------------------------------------------------------ */
static const char *const hand_orders = "customer,date,amount\n"
                                       "T1,2024-03-01,10.00\n"
                                       "T2,2024-03-05,5.00\n"
                                       "T2,2024-03-30 23:59:59,20.00\n"
                                       "T3,2024-03-31,7.00\n"
                                       "T3,2024-02-15,8.00\n"
                                       "C1,2024-02-29,3.00\n"
                                       "C2,2024-03-10,4.00\n"
                                       "C3,2024-04-01,9.00\n"
                                       "C4,2024-01-31,2.00\n"
                                       "C4,2024-01-30,1.00\n"
                                       "C5,2024-03-15,6.50\n"
                                       "C5,2024-03-16,1.50\n";

static const char *const hand_campaign = "customer_id,group,send_date\n"
                                         "T1,treatment,2024-03-01\n"
                                         "T2,Treatment,2024-03-01\n"
                                         "T3,t,2024-03-01\n"
                                         "T4,1,2024-03-01\n"
                                         "C1,control,2024-03-01\n"
                                         "C2,holdout,2024-03-01\n"
                                         "C3,C,2024-03-01\n"
                                         "C4,0,2024-03-01\n"
                                         "C5, control ,2024-03-01\n";

static void test_uplift__window_counts_the_send_day_and_not_the_day_after(void **state)
{
	(void)state;
	struct rebuy_orders *o = orders(hand_orders);
	struct rebuy_uplift *u = compute(hand_campaign, o, NULL);
	const struct rebuy_uplift_group *t = &u->all.groups[1], *c = &u->all.groups[0];
	assert_int_equal(u->customers, 9);
	assert_int_equal(u->first_send_day, rebuy_days_from_civil(2024, 3, 1));
	assert_int_equal(u->as_of_day, rebuy_days_from_civil(2024, 4, 2));
	assert_int_equal(u->incomplete, 0);
	assert_int_equal(u->not_in_orders, 1);
	assert_int_equal(t->customers, 4);
	assert_int_equal(t->not_in_orders, 1);
	assert_int_equal(t->converted, 2);
	assert_int_equal(t->orders, 3);
	assert_int_equal(t->revenue, 350000);
	NEAR(t->conversion_rate, 0.5);
	NEAR(t->orders_per_customer, 0.75);
	NEAR(t->revenue_per_customer, 8.75);
	assert_int_equal(c->customers, 5);
	assert_int_equal(c->not_in_orders, 0);
	assert_int_equal(c->converted, 2);
	assert_int_equal(c->orders, 3);
	assert_int_equal(c->revenue, 120000);
	NEAR(c->revenue_per_customer, 2.4);
	/* prior: T3 8.00; C1 3.00, C4 2.00 (Jan 30 is before the window) */
	assert_int_equal(t->prior_converted, 1);
	assert_int_equal(t->prior_revenue, 80000);
	assert_int_equal(c->prior_converted, 2);
	assert_int_equal(c->prior_orders, 2);
	assert_int_equal(c->prior_revenue, 50000);
	rebuy_uplift_free(u);

	/* A one-day window holds only the send day: T1 alone. */
	struct rebuy_uplift_options opts;
	rebuy_uplift_options_init(&opts);
	opts.window_days = 1;
	u = compute(hand_campaign, o, &opts);
	assert_int_equal(u->all.groups[1].converted, 1);
	assert_int_equal(u->all.groups[1].revenue, 100000);
	assert_int_equal(u->all.groups[0].converted, 0);
	rebuy_uplift_free(u);

	/* A window past the data: every customer's is incomplete. */
	opts.window_days = 40; /* Mar 1 + 40 = Apr 10 > as-of Apr 2 */
	u = compute(hand_campaign, o, &opts);
	assert_int_equal(u->incomplete, 9);
	assert_int_equal(u->all.groups[0].converted, 3); /* C3's Apr 1 now counts */
	rebuy_uplift_free(u);
	rebuy_orders_free(o);
}

/* Conversion 2/4 against 2/5 (SciPy: chi-square p 0.76417715562209454,
 * z = 0.3), Newcombe by its formula (worked in Python), Katz's log ratio;
 * Welch for orders [1,2,0,0] vs [0,1,0,0,2] and revenue [10,25,0,0] vs
 * [0,4,0,0,8]. */
static void test_uplift__tests_match_independent_values(void **state)
{
	(void)state;
	struct rebuy_orders *o = orders(hand_orders);
	struct rebuy_uplift *u = compute(hand_campaign, o, NULL);
	const struct rebuy_uplift_effect *e = &u->all.effects[REBUY_UPLIFT_CONVERSION];
	assert_string_equal(e->measure, "conversion_rate");
	assert_string_equal(e->method, "newcombe_pooled_z");
	NEAR(e->difference, 0.1);
	NEAR(e->statistic, 0.30000000000000016);
	NEAR(e->p_value, 0.76417715562209454);
	NEAR(e->low, -0.40876051886203457);
	NEAR(e->high, 0.5496784809823777);
	NEAR(e->relative, 0.25);
	NEAR(e->relative_low, -0.70782567235632965);
	NEAR(e->relative_high, 4.3478346732283484);
	assert_false(e->is_significant);
	NEAR(e->incremental, 0.4); /* 0.1 x 4 treated */

	e = &u->all.effects[REBUY_UPLIFT_ORDERS];
	NEAR(e->difference, 0.15);
	NEAR(e->statistic, 0.24044925831536923);
	NEAR(e->df, 6.3353151356114399);
	NEAR(e->p_value, 0.81757512725783743);
	NEAR(e->low, -1.357090440741755);
	NEAR(e->high, 1.6570904407417553);
	NEAR(e->relative_low, -0.79522046009675984);
	NEAR(e->relative_high, 6.6301568054029865);

	e = &u->all.effects[REBUY_UPLIFT_REVENUE_WELCH];
	assert_string_equal(e->method, "welch");
	NEAR(e->difference, 6.35);
	NEAR(e->statistic, 1.037561846435237);
	NEAR(e->df, 3.4424177882336657);
	NEAR(e->p_value, 0.36678350264660742);
	NEAR(e->low, -11.784651875013106);
	NEAR(e->high, 24.484651875013107);
	NEAR(e->relative, 2.6458333333333335);
	NEAR(e->relative_low, -0.43222743695920174);
	NEAR(e->relative_high, 22.41095988023169);
	NEAR(e->incremental, 25.4);

	/* Balance: prior conversion 1/4 vs 2/5 (chi-square p
	 * 0.63525629599724831), SMD (0.25 - 0.4) / sqrt((0.1875 + 0.24) / 2);
	 * prior orders [0,0,1,0] vs [1,0,0,1,0], Welch p 0.68145528012801382. */
	const struct rebuy_uplift_balance *b = u->all.balance;
	assert_string_equal(b[0].measure, "prior_conversion_rate");
	NEAR(b[0].p_value, 0.63525629599724831);
	NEAR(b[0].smd, -0.32444284226152514);
	assert_true(b[0].is_imbalanced);
	NEAR(b[1].smd, -0.28603877677367773);
	NEAR(b[1].p_value, 0.68145528012801382);
	NEAR(b[2].p_value, 0.66100852132592658);
	rebuy_uplift_free(u);
	rebuy_orders_free(o);
}

/* A campaign of tr/nt treated and co/nc controls, each converter with one
 * purchase of 10.00 on the send day. */
static void binary_campaign(int tr, int nt, int co, int nc, char **campaign, char **orders_text)
{
	size_t cap = 64 + (size_t)(nt + nc) * 64;
	char *c = malloc(cap), *o = malloc(cap);
	size_t nc_len = (size_t)snprintf(c, cap, "customer,group,send_date\n");
	size_t no_len = (size_t)snprintf(o, cap, "customer,date,amount\n");
	for (int i = 0; i < nt + nc; i++) {
		int treated = i < nt, k = treated ? i : i - nt;
		nc_len +=
		        (size_t)snprintf(c + nc_len, cap - nc_len, "%c%d,%s,2024-05-01\n",
		                         treated ? 't' : 'c', k, treated ? "treatment" : "control");
		if (k < (treated ? tr : co))
			no_len += (size_t)snprintf(o + no_len, cap - no_len, "%c%d,2024-05-01,10\n",
			                           treated ? 't' : 'c', k);
	}
	/* the data run to the end of the window */
	snprintf(o + no_len, cap - no_len, "other,2024-06-30,1\n");
	*campaign = c;
	*orders_text = o;
}

/* Newcombe (1998), Table II, method 10: the published intervals. */
static void test_uplift__newcombe_interval_matches_the_published_table(void **state)
{
	(void)state;
	static const struct {
		int tr, nt, co, nc;
		double lo, hi;
	} cases[] = {
	        {56, 70, 48, 80, 0.0524, 0.3339}, {9, 10, 3, 10, 0.1705, 0.8090},
	        {6, 7, 2, 7, 0.0582, 0.8062},     {5, 56, 0, 29, -0.0381, 0.1926},
	        {0, 10, 0, 20, -0.1611, 0.2775},  {0, 10, 0, 10, -0.2775, 0.2775},
	        {10, 10, 0, 20, 0.6791, 1.0000},  {10, 10, 0, 10, 0.6075, 1.0000},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *campaign, *text;
		binary_campaign(cases[i].tr, cases[i].nt, cases[i].co, cases[i].nc, &campaign,
		                &text);
		struct rebuy_orders *o = orders(text);
		struct rebuy_uplift *u = compute(campaign, o, NULL);
		const struct rebuy_uplift_effect *e = &u->all.effects[REBUY_UPLIFT_CONVERSION];
		NEAR4(e->low, cases[i].lo);
		NEAR4(e->high, cases[i].hi);
		if (i == 0) {
			/* SciPy chi-square without correction: p 0.0080450813681965851,
			 * z = sqrt(chi2) = 2.6501719512585322. */
			NEAR(e->p_value, 0.0080450813681965851);
			NEAR(e->statistic, 2.6501719512585322);
			assert_true(e->is_significant);
		}
		if (cases[i].tr == 0 && cases[i].co == 0) {
			/* nobody bought: the pooled rate is 0, d = 0, P = 1; the
			 * relative uplift is undefined */
			NEAR(e->p_value, 1.0);
			assert_true(isnan(e->statistic) && isnan(e->relative));
		}
		if (cases[i].co == 0)
			assert_true(isnan(e->relative)); /* no control converter */
		rebuy_uplift_free(u);
		rebuy_orders_free(o);
		free(campaign);
		free(text);
	}
}

static void test_uplift__keys_match_as_the_orders_read_them(void **state)
{
	(void)state;
	struct rebuy_orders *o = orders("customer,date,amount\n"
	                                "17850,2024-05-02,5\n"
	                                "17851.0,2024-05-03,6\n"
	                                "x,2024-06-30,1\n");
	struct rebuy_uplift *u = compute("Customer ID;Variant;Sent At\n"
	                                 " 17850.0 ;TEST;2024-05-01 10:30\n"
	                                 "17851;Holdout;2024-05-01T08:00:00Z\n"
	                                 "99;holdout;2024-05-01\n",
	                                 o, NULL);
	assert_int_equal(u->all.groups[1].converted, 1);
	assert_int_equal(u->all.groups[0].converted, 1);
	assert_int_equal(u->all.groups[0].not_in_orders, 1);
	assert_string_equal(u->column_name[REBUY_UPLIFT_CUSTOMER], "Customer ID");
	assert_string_equal(u->column_name[REBUY_UPLIFT_GROUP], "Variant");
	assert_string_equal(u->column_name[REBUY_UPLIFT_SEND_DATE], "Sent At");
	rebuy_uplift_free(u);
	rebuy_orders_free(o);

	assert_int_equal(rebuy_uplift_group_parse(" Treated ", 9), 1);
	assert_int_equal(rebuy_uplift_group_parse("T", 1), 1);
	assert_int_equal(rebuy_uplift_group_parse("HOLDOUT", 7), 0);
	assert_int_equal(rebuy_uplift_group_parse("b", 1), -1);
	assert_int_equal(rebuy_uplift_group_parse("", 0), -1);
	assert_int_equal(rebuy_uplift_group_parse("2", 1), -1);
}

static void test_uplift__bad_campaign_rows_name_their_line(void **state)
{
	(void)state;
	struct rebuy_orders *o = orders(hand_orders);
	fails("customer,group,send_date\nT1,treatment,2024-03-01\nT2,B,2024-03-01\n", o, NULL,
	      REBUY_EDATA,
	      "campaign.csv:3:2: group 'B' is neither treatment (treatment, treated, test, t, 1) "
	      "nor control (control, holdout, c, 0)");
	fails("customer,group,send_date\nT1,treatment,2024-03-01\nC1,control,2024-03-01\n"
	      " T1 ,control,2024-03-02\n",
	      o, NULL, REBUY_EDATA,
	      "campaign.csv:4: customer 'T1' is listed again (first on line 2)");
	fails("customer,group,send_date\n17850.0,treatment,2024-03-01\n17850,control,2024-03-01\n",
	      o, NULL, REBUY_EDATA,
	      "campaign.csv:3: customer '17850' is listed again (first on line 2)");
	fails("customer,group,send_date\nT1,treatment,2024-03-01\nC1,control,2024-02-30\n", o, NULL,
	      REBUY_EDATA, "campaign.csv:3:3: cannot read send date '2024-02-30'");
	fails("customer,group,send_date\nT1,treatment,2024-03-01\n ,control,2024-03-01\n", o, NULL,
	      REBUY_EDATA, "campaign.csv:3:1: empty customer");
	fails("customer,group,send_date\nT1,treatment,2024-03-01\nC1,control\n", o, NULL,
	      REBUY_EDATA, "campaign.csv:3: the row has 2 fields; the send date column is field 3");
	/* the first wrong row in file order wins */
	fails("customer,group,send_date\nT1,x,2024-03-01\nT1,control,nope\n", o, NULL, REBUY_EDATA,
	      "campaign.csv:2:2: group 'x' is neither treatment (treatment, treated, test, t, 1) "
	      "nor control (control, holdout, c, 0)");
	fails("customer,group,send_date\nT1,treatment,2024-03-01\nT2,test,2024-03-01\n", o, NULL,
	      REBUY_EDATA,
	      "campaign.csv: the campaign has no control customer (2 treated): uplift compares "
	      "the two groups");
	fails("customer,arm,when\nT1,treatment,2024-03-01\n", o, NULL, REBUY_EDATA,
	      "campaign.csv: no send date column: the columns are customer, arm, when (name it "
	      "with --send-date COLUMN)");
	fails("customer,group,send_date\nT1,treatment,3/4/2024\nC1,control,3/13/2024\n"
	      "C2,control,13/3/2024\n",
	      o, NULL, REBUY_EDATA,
	      "campaign.csv: the send dates mix month/day ('3/13/2024' on line 3) and day/month "
	      "('13/3/2024' on line 4): give --campaign-date-format mdy or dmy");
	struct rebuy_uplift_options opts;
	rebuy_uplift_options_init(&opts);
	opts.segment_by[0] = "channel";
	opts.n_segment_by = 1;
	fails(hand_campaign, o, &opts, REBUY_EARG,
	      "--segment-by channel: campaign.csv has no such column (the columns are: "
	      "customer_id, group, send_date)");
	rebuy_uplift_options_init(&opts);
	opts.window_days = 0;
	fails(hand_campaign, o, &opts, REBUY_EARG, "--window 0 is not from 1 to 3650 days");
	rebuy_uplift_options_init(&opts);
	opts.n_bootstrap = 50;
	fails(hand_campaign, o, &opts, REBUY_EARG,
	      "--bootstrap 50 is not 0 (none) or from 100 to 100000");
	rebuy_orders_free(o);
}

static void test_uplift__slash_dates_are_decided_from_the_column(void **state)
{
	(void)state;
	struct rebuy_orders *o = orders(hand_orders);
	/* 13/2/2024 reads only day first: the column is D/M, so 1/3/2024 is
	 * March 1st. */
	struct rebuy_uplift *u = compute("customer,group,send_date\nT1,t,1/3/2024\n"
	                                 "C1,c,13/2/2024\n",
	                                 o, NULL);
	assert_int_equal(u->first_send_day, rebuy_days_from_civil(2024, 2, 13));
	assert_int_equal(u->last_send_day, rebuy_days_from_civil(2024, 3, 1));
	assert_string_equal(u->date_format_name, "dmy");
	assert_int_equal(u->all.groups[1].converted, 1); /* T1's Mar 1 */
	rebuy_uplift_free(u);
	rebuy_orders_free(o);
}

static void test_uplift__segments_split_the_campaign(void **state)
{
	(void)state;
	struct rebuy_orders *o = orders(hand_orders);
	struct rebuy_uplift_options opts;
	rebuy_uplift_options_init(&opts);
	opts.segment_by[0] = "channel";
	opts.segment_by[1] = REBUY_UPLIFT_RFM;
	opts.n_segment_by = 2;
	struct rebuy_uplift *u = compute("customer,group,send_date,channel\n"
	                                 "T1,t,2024-03-01,sms\n"
	                                 "T2,t,2024-03-01,email\n"
	                                 "T3,t,2024-03-01,\n"
	                                 "T4,t,2024-03-01,email\n"
	                                 "C1,c,2024-03-01,email\n"
	                                 "C2,c,2024-03-01,sms\n"
	                                 "C3,c,2024-03-01,email\n"
	                                 "C4,c,2024-03-01,email\n"
	                                 "C5,c,2024-03-01, sms\n",
	                                 o, &opts);
	/* channel: (empty) < email < sms in byte order */
	assert_true(u->n_segments >= 3);
	assert_string_equal(u->segments[0].by, "channel");
	assert_string_equal(u->segments[0].name, "(empty)");
	assert_int_equal(u->segments[0].result.groups[1].customers, 1);
	assert_int_equal(u->segments[0].result.groups[0].customers, 0);
	assert_true(isnan(u->segments[0].result.effects[REBUY_UPLIFT_CONVERSION].difference));
	assert_string_equal(u->segments[1].name, "email");
	assert_int_equal(u->segments[1].result.groups[1].customers, 2);
	assert_int_equal(u->segments[1].result.groups[0].customers, 3);
	assert_int_equal(u->segments[1].result.groups[1].revenue, 250000); /* T2 */
	assert_string_equal(u->segments[2].name, "sms");
	assert_int_equal(u->segments[2].result.groups[1].revenue, 100000); /* T1 */
	assert_int_equal(u->segments[2].result.groups[0].revenue, 120000); /* C2 + C5 */
	/* RFM as of Mar 1: purchases before it are T3 (Feb 15), C1 (Feb 29),
	 * C4 (Jan 30, 31); everyone else has no prior purchase. */
	assert_int_equal(u->has_rfm, 1);
	assert_int_equal(u->rfm_day, rebuy_days_from_civil(2024, 3, 1));
	uint64_t rfm_customers = 0, no_prior = 0;
	for (size_t i = 3; i < u->n_segments; i++) {
		assert_string_equal(u->segments[i].by, "rfm");
		const struct rebuy_uplift_result *r = &u->segments[i].result;
		rfm_customers += r->groups[0].customers + r->groups[1].customers;
		if (strcmp(u->segments[i].name, REBUY_UPLIFT_NO_PRIOR) == 0) {
			no_prior = r->groups[0].customers + r->groups[1].customers;
			assert_int_equal(i, u->n_segments - 1); /* last */
		}
	}
	assert_int_equal(rfm_customers, 9);
	assert_int_equal(no_prior, 6);
	rebuy_uplift_free(u);
	rebuy_orders_free(o);
}

/* ---- simulated campaigns ------------------------------------------------ */

struct buf {
	char *p;
	size_t n, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

/* Runs the generator: the orders as CSV, the campaign file, and the truth. */
static void simulate(const struct rebuy_gen_params *P, struct buf *orders_csv,
                     struct buf *campaign_csv, struct rebuy_gen_campaign_truth *truth)
{
	struct rebuy_error err = {0};
	struct rebuy_gen *g = rebuy_gen_new(P, &err);
	if (!g)
		fail_msg("gen: %s", err.msg);
	const char *h = "customer_id,order_id,order_date,amount\n";
	put(orders_csv, h, strlen(h));
	struct rebuy_gen_order ord;
	char line[128], ts[48];
	while (rebuy_gen_next(g, &ord)) {
		rebuy_format_ts(ord.ts, ts, sizeof ts);
		int n = snprintf(line, sizeof line, "%llu,%llu,%s,%lld.%02lld\n",
		                 (unsigned long long)ord.customer, (unsigned long long)ord.order,
		                 ts, (long long)(ord.amount / 10000),
		                 (long long)(ord.amount / 100 % 100));
		put(orders_csv, line, (size_t)n);
	}
	if (rebuy_gen_campaign_truth(g, truth, &err) != REBUY_OK)
		fail_msg("truth: %s", err.msg);
	char day[48];
	rebuy_format_day(P->campaign_day, day, sizeof day);
	h = "customer_id,group,send_date\n";
	put(campaign_csv, h, strlen(h));
	for (uint64_t c = 1; c <= P->n_customers; c++) {
		int k = rebuy_gen_campaign_group(g, c);
		if (k < 0)
			continue;
		int n = snprintf(line, sizeof line, "%llu,%s,%s\n", (unsigned long long)c,
		                 k ? "treatment" : "control", day);
		put(campaign_csv, line, (size_t)n);
	}
	rebuy_gen_free(g);
}

/* A short history: 12 weeks of acquisition, a campaign sent in week 16 with
 * a 30-day window, data to week 26. */
static void campaign_params(struct rebuy_gen_params *P, uint64_t n, uint64_t seed, double effect)
{
	rebuy_gen_params_init(P);
	P->n_customers = n;
	P->seed = seed;
	P->weeks = 26;
	P->acquisition_weeks = 12;
	P->has_campaign = 1;
	P->campaign_day = P->start_day + 16 * 7;
	P->campaign_window_days = 30;
	P->campaign_share = 0.5;
	P->campaign_effect = effect;
}

static struct rebuy_uplift *evaluate(const struct buf *orders_csv, const struct buf *campaign_csv,
                                     uint32_t n_bootstrap, unsigned threads)
{
	struct rebuy_orders *o = orders(orders_csv->p);
	struct rebuy_uplift_options opts;
	rebuy_uplift_options_init(&opts);
	opts.n_bootstrap = n_bootstrap;
	opts.n_threads = threads;
	struct rebuy_uplift *u = compute(campaign_csv->p, o, &opts);
	rebuy_orders_free(o);
	return u;
}

static int inside(const struct rebuy_uplift_effect *e, double truth)
{
	return e->low <= truth && truth <= e->high;
}

/* The Done-when test: a known injected effect (purchase rate doubled in the
 * window for the treated) is recovered inside its 95% interval, and is
 * significant. The truth is the generator's: every campaign customer's
 * window with and without the campaign, from the same draws (gen.h). */
static void test_uplift__recovers_a_known_effect_inside_its_interval(void **state)
{
	(void)state;
	struct rebuy_gen_params P;
	campaign_params(&P, 20000, 20240501, 1.0);
	struct buf oc = {0}, cc = {0};
	struct rebuy_gen_campaign_truth truth;
	simulate(&P, &oc, &cc, &truth);
	struct rebuy_uplift *u = evaluate(&oc, &cc, 2000, 0);
	const struct rebuy_uplift_group *t = &u->all.groups[1], *c = &u->all.groups[0];
	/* What uplift reads is what the generator wrote: the observed outcome
	 * of each group, exactly. */
	assert_int_equal(t->customers, truth.customers[1]);
	assert_int_equal(c->customers, truth.customers[0]);
	assert_int_equal(t->converted, truth.converted[1][1]);
	assert_int_equal(c->converted, truth.converted[0][0]);
	assert_int_equal(t->orders, truth.orders[1][1]);
	assert_int_equal(c->orders, truth.orders[0][0]);
	assert_int_equal(t->revenue, truth.revenue[1][1]);
	assert_int_equal(c->revenue, truth.revenue[0][0]);
	assert_int_equal(u->incomplete, 0);
	const struct rebuy_uplift_effect *e = u->all.effects;
	print_message("conversion: truth %.5f, estimate %.5f [%.5f, %.5f], p %.3g\n",
	              truth.ate_conversion, e[0].difference, e[0].low, e[0].high, e[0].p_value);
	print_message("orders/customer: truth %.5f, estimate %.5f [%.5f, %.5f], p %.3g\n",
	              truth.ate_orders, e[1].difference, e[1].low, e[1].high, e[1].p_value);
	print_message("revenue/customer: truth %.4f, bootstrap %.4f [%.4f, %.4f], p %.3g; "
	              "welch [%.4f, %.4f]\n",
	              truth.ate_revenue, e[2].difference, e[2].low, e[2].high, e[2].p_value,
	              e[3].low, e[3].high);
	assert_true(truth.ate_conversion > 0.02); /* an effect worth finding */
	for (int k = 0; k < REBUY_UPLIFT_MEASURE_COUNT; k++) {
		double want = k == REBUY_UPLIFT_CONVERSION ? truth.ate_conversion
		              : k == REBUY_UPLIFT_ORDERS   ? truth.ate_orders
		                                           : truth.ate_revenue;
		if (!inside(&e[k], want))
			fail_msg("%s (%s): truth %.6g outside [%.6g, %.6g]", e[k].measure,
			         e[k].method, want, e[k].low, e[k].high);
		assert_true(e[k].is_significant);
	}
	/* The incremental revenue's interval holds the true incremental revenue
	 * of the treated, up to the difference between their effect (ATT) and
	 * everyone's (ATE): checked against ATE x treated. */
	double inc = truth.ate_revenue * (double)truth.customers[1];
	assert_true(e[REBUY_UPLIFT_REVENUE].incremental_low <= inc &&
	            inc <= e[REBUY_UPLIFT_REVENUE].incremental_high);
	/* Balance holds under random assignment. */
	for (int k = 0; k < REBUY_UPLIFT_BALANCE_COUNT; k++)
		assert_false(u->all.balance[k].is_imbalanced);
	rebuy_uplift_free(u);
	free(oc.p);
	free(cc.p);
}

/* Null campaigns (effect 0) over N seeded runs: the share called significant
 * at 0.05 must not exceed 0.05 + 3 sqrt(0.05 x 0.95 / N) (a one-sided
 * binomial allowance of three standard errors: 0.0962 at N = 200), for the
 * conversion test, Welch on orders and the revenue bootstrap. */
static void test_uplift__null_campaigns_are_significant_at_the_stated_rate(void **state)
{
	(void)state;
	enum { N = 200 };
	int hits[REBUY_UPLIFT_MEASURE_COUNT] = {0};
	for (int run = 0; run < N; run++) {
		struct rebuy_gen_params P;
		campaign_params(&P, 2000, 1000 + (uint64_t)run, 0.0);
		struct buf oc = {0}, cc = {0};
		struct rebuy_gen_campaign_truth truth;
		simulate(&P, &oc, &cc, &truth);
		assert_true(truth.ate_conversion == 0 && truth.ate_revenue == 0);
		struct rebuy_uplift *u = evaluate(&oc, &cc, 500, 1);
		for (int k = 0; k < REBUY_UPLIFT_MEASURE_COUNT; k++)
			hits[k] += u->all.effects[k].is_significant;
		rebuy_uplift_free(u);
		free(oc.p);
		free(cc.p);
	}
	double allowance = 0.05 + 3 * sqrt(0.05 * 0.95 / N);
	for (int k = 0; k < REBUY_UPLIFT_MEASURE_COUNT; k++) {
		print_message("null: %d of %d runs significant (%s)\n", hits[k], N,
		              k == 0   ? "conversion"
		              : k == 1 ? "orders"
		              : k == 2 ? "revenue, bootstrap"
		                       : "revenue, welch");
		assert_true((double)hits[k] / N <= allowance);
	}
}

/* ---- determinism, documents, faults -------------------------------------- */

static char *json_of(const struct rebuy_uplift *u)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct rebuy_doc *doc = rebuy_doc_new();
	rebuy_uplift_doc(u, NULL, doc, rebuy_doc_root(doc));
	assert_int_equal(rebuy_doc_write_json(doc, NULL, f), REBUY_OK);
	rebuy_doc_free(doc);
	fclose(f);
	return buf;
}

static void test_uplift__same_bytes_on_any_number_of_threads(void **state)
{
	(void)state;
	struct rebuy_gen_params P;
	campaign_params(&P, 3000, 5, 0.5);
	struct buf oc = {0}, cc = {0};
	struct rebuy_gen_campaign_truth truth;
	simulate(&P, &oc, &cc, &truth);
	struct rebuy_orders *o = orders(oc.p);
	struct rebuy_uplift_options opts;
	rebuy_uplift_options_init(&opts);
	opts.n_bootstrap = 300;
	opts.segment_by[0] = REBUY_UPLIFT_RFM;
	opts.n_segment_by = 1;
	char *first = NULL;
	const unsigned threads[] = {1, 2, 7, 1};
	for (size_t i = 0; i < sizeof threads / sizeof *threads; i++) {
		opts.n_threads = threads[i];
		struct rebuy_uplift *u = compute(cc.p, o, &opts);
		char *j = json_of(u);
		if (!first)
			first = j;
		else {
			assert_string_equal(j, first);
			free(j);
		}
		rebuy_uplift_free(u);
	}
	/* another seed, another bootstrap */
	opts.seed = 2;
	struct rebuy_uplift *u = compute(cc.p, o, &opts);
	char *j = json_of(u);
	assert_string_not_equal(j, first);
	free(j);
	rebuy_uplift_free(u);
	free(first);
	rebuy_orders_free(o);
	free(oc.p);
	free(cc.p);
}

static void test_uplift__json_has_the_documented_keys(void **state)
{
	(void)state;
	struct rebuy_orders *o = orders(hand_orders);
	struct rebuy_uplift_options opts;
	rebuy_uplift_options_init(&opts);
	opts.segment_by[0] = "group";
	opts.n_segment_by = 1;
	struct rebuy_uplift *u = compute(hand_campaign, o, &opts);
	char *j = json_of(u);
	static const char *const keys[] = {
	        "\"campaign\": \"campaign.csv\"",
	        "\"window_days\": 30",
	        "\"level\": 0.95",
	        "\"as_of\": \"2024-04-02\"",
	        "\"first_send_date\": \"2024-03-01\"",
	        "\"customers\": 9",
	        "\"treatment_customers\": 4",
	        "\"control_customers\": 5",
	        "\"not_in_orders\": 1",
	        "\"incomplete_windows\": 0",
	        "\"bootstrap\": 2000",
	        "\"seed\": 1",
	        "\"groups\": [",
	        "\"effects\": [",
	        "\"balance\": [",
	        "\"segments\": [",
	        "\"campaign_input\": {",
	        "\"definitions\": {",
	        "\"measure\": \"conversion_rate\"",
	        "\"method\": \"newcombe_pooled_z\"",
	        "\"difference_low\"",
	        "\"difference_high\"",
	        "\"relative_low\"",
	        "\"p_value\"",
	        "\"significant\": false",
	        "\"incremental_high\"",
	        "\"smd\"",
	        "\"imbalanced\"",
	        "\"by\": \"group\"",
	        "\"segment\": \"Treatment\"",
	        "\"revenue\": 35,",
	};
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		if (!strstr(j, keys[i]))
			fail_msg("no %s in\n%s", keys[i], j);
	free(j);
	rebuy_uplift_free(u);
	rebuy_orders_free(o);
}

static int pipeline(void)
{
	struct rebuy_orders *o = NULL;
	struct rebuy_table *t = NULL;
	struct rebuy_uplift *u = NULL;
	struct rebuy_doc *doc = NULL;
	int done = 0;
	struct rebuy_input_options in;
	rebuy_input_options_init(&in);
	in.n_threads = 1;
	in.path = "orders.csv";
	in.data = hand_orders;
	in.data_len = strlen(hand_orders);
	struct rebuy_error err = {0};
	if (rebuy_orders_load(&o, &in, NULL, &err) != REBUY_OK)
		goto out;
	struct rebuy_table_options to;
	rebuy_table_options_init(&to);
	to.path = "campaign.csv";
	const char *text =
	        "customer,group,send_date,channel\nT1,t,2024-03-01,a\nT2,t,2024-03-01,b\n"
	        "C1,c,2024-03-01,a\nC2,c,2024-03-01,b\nC5,c,2024-03-01,b\n";
	to.data = text;
	to.data_len = strlen(text);
	if (rebuy_table_read(&t, &to, &err) != REBUY_OK)
		goto out;
	struct rebuy_uplift_options opts;
	rebuy_uplift_options_init(&opts);
	opts.n_bootstrap = 100;
	opts.n_threads = 2;
	opts.segment_by[0] = "channel";
	opts.segment_by[1] = REBUY_UPLIFT_RFM;
	opts.n_segment_by = 2;
	if (rebuy_uplift_compute(t, o, &opts, &u, &err) != REBUY_OK) {
		assert_int_equal(err.code, REBUY_ENOMEM);
		goto out;
	}
	doc = rebuy_doc_new();
	if (!doc)
		goto out;
	rebuy_uplift_doc(u, &o->report, doc, rebuy_doc_root(doc));
	FILE *f = fopen("/dev/null", "w");
	done = rebuy_doc_write_json(doc, NULL, f) == REBUY_OK;
	fclose(f);
out:
	rebuy_doc_free(doc);
	rebuy_uplift_free(u);
	rebuy_orders_free(o);
	rebuy_table_free(t);
	return done;
}

static void test_uplift__every_allocation_failure_is_clean(void **state)
{
	(void)state;
	long fail;
	for (fail = 0; fail < 100000; fail++) {
		tu_fail_after(fail);
		int done = pipeline();
		int triggered = tu_fail_triggered();
		tu_fail_after(-1);
		assert_int_equal(rebuy_alloc_in_use(), 0);
		if (done && !triggered)
			break;
	}
	assert_true(fail > 20);
	assert_true(fail < 100000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_uplift__window_counts_the_send_day_and_not_the_day_after),
	        cmocka_unit_test(test_uplift__tests_match_independent_values),
	        cmocka_unit_test(test_uplift__newcombe_interval_matches_the_published_table),
	        cmocka_unit_test(test_uplift__keys_match_as_the_orders_read_them),
	        cmocka_unit_test(test_uplift__bad_campaign_rows_name_their_line),
	        cmocka_unit_test(test_uplift__slash_dates_are_decided_from_the_column),
	        cmocka_unit_test(test_uplift__segments_split_the_campaign),
	        cmocka_unit_test(test_uplift__recovers_a_known_effect_inside_its_interval),
	        cmocka_unit_test(test_uplift__null_campaigns_are_significant_at_the_stated_rate),
	        cmocka_unit_test(test_uplift__same_bytes_on_any_number_of_threads),
	        cmocka_unit_test(test_uplift__json_has_the_documented_keys),
	        cmocka_unit_test(test_uplift__every_allocation_failure_is_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
