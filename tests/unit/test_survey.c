/* Unit tests for the survey measures (include/rebuy/survey.h, DESIGN.md §4,
 * docs/survey.md): NPS and CSAT with ties at the band edges, the scale's
 * detection, invalid scores, repeated responders, reasons, the join with
 * the orders (repurchase and lapse in the window after the survey day,
 * respondents not in the orders and too recent), the JSON contract, and
 * allocation failures.
 *
 * Every expected value is worked out by hand in the comment above its
 * assertions, from the definitions, never copied from the program's output.
 * Window ends were counted on a calendar (2024 is a leap year: Jan 10 + 30
 * days = Feb 9, Jan 15 + 30 = Feb 14, Mar 1 + 30 = Mar 31).
 *
 * Tolerances: counts and money (1/10,000 units) exactly; ratios of counts
 * with a relative tolerance of 1e-12 (NaN must be NaN).
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/alloc.h"
#include "rebuy/date.h"
#include "rebuy/doc.h"
#include "rebuy/input.h"
#include "rebuy/orders.h"
#include "rebuy/survey.h"
#include "rebuy/table.h"

#define CENTS(c) ((int64_t)(c)*100)
#define REL_TOL 1e-12

static void near_(const char *what, double got, double want, const char *file, int line)
{
	int ok = isnan(want) ? isnan(got) : got == want || fabs(got - want) <= REL_TOL * fabs(want);
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

static struct rebuy_table *table(const char *text)
{
	struct rebuy_table_options o;
	rebuy_table_options_init(&o);
	o.path = "survey.csv";
	o.data = text;
	o.data_len = strlen(text);
	struct rebuy_table *t = NULL;
	struct rebuy_error err = {0};
	if (rebuy_table_read(&t, &o, &err) != REBUY_OK)
		fail_msg("reading the survey: %s", err.msg);
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

/* Computes; fails the test on error. opts may be NULL (defaults). */
static struct rebuy_survey *compute(const struct rebuy_table *t, const struct rebuy_orders *o,
                                    const struct rebuy_survey_options *opts)
{
	struct rebuy_survey_options def;
	if (!opts) {
		rebuy_survey_options_init(&def);
		opts = &def;
	}
	struct rebuy_survey *s = NULL;
	struct rebuy_error err = {0};
	if (rebuy_survey_compute(t, o, opts, &s, &err) != REBUY_OK)
		fail_msg("survey: %s", err.msg);
	return s;
}

/* Expects the computation to fail with st and exactly msg. */
static void fails(const char *text, const struct rebuy_survey_options *opts, enum rebuy_status st,
                  const char *msg)
{
	struct rebuy_table *t = table(text);
	struct rebuy_survey_options def;
	if (!opts) {
		rebuy_survey_options_init(&def);
		opts = &def;
	}
	struct rebuy_survey *s = (struct rebuy_survey *)1;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_survey_compute(t, NULL, opts, &s, &err), st);
	assert_null(s);
	assert_string_equal(err.msg, msg);
	rebuy_table_free(t);
}

/* ------------------------------------------------------------------------
 * NPS with every score 0..10 once, and one more 9 and one more 6 (ties at
 * the band edges 6/7, 8/9): 13 respondents.
 *   promoters 9, 9, 10 = 3; passives 7, 8 = 2; detractors 0..6 and 6 = 8.
 *   nps = (3 - 8) / 13 = -5/13; nps_score = -500/13 = -38.46...
 *   mean = (0 + 1 + ... + 10 + 9 + 6) / 13 = (55 + 15) / 13 = 70/13.
 *   shares: promoters 3/13, passives 2/13, detractors 8/13.
 * ------------------------------------------------------------------------ */
static const char nps_fixture[] = "customer,date,score\n"
                                  "c0,2024-01-01,0\n"
                                  "c1,2024-01-01,1\n"
                                  "c2,2024-01-01,2\n"
                                  "c3,2024-01-01,3\n"
                                  "c4,2024-01-01,4\n"
                                  "c5,2024-01-02,5\n"
                                  "c6,2024-01-02,6\n"
                                  "c7,2024-01-02,7\n"
                                  "c8,2024-01-02,8\n"
                                  "c9,2024-01-03,9\n"
                                  "c10,2024-01-03,10\n"
                                  "c11,2024-01-04,9\n"
                                  "c12,2024-01-05,6\n";

static void test_survey__nps_counts_band_edges_into_the_right_group(void **state)
{
	(void)state;
	struct rebuy_table *t = table(nps_fixture);
	struct rebuy_survey *s = compute(t, NULL, NULL);
	assert_int_equal(s->scale, REBUY_SCALE_NPS);
	assert_int_equal(s->scale_detected, 1);
	assert_int_equal(s->min_score, 0);
	assert_int_equal(s->max_score, 10);
	assert_int_equal(s->rows, 13);
	assert_int_equal(s->rows_used, 13);
	assert_int_equal(s->respondents, 13);
	assert_int_equal(s->customers, 13);
	assert_string_equal(s->groups[0].name, "promoters");
	assert_string_equal(s->groups[1].name, "passives");
	assert_string_equal(s->groups[2].name, "detractors");
	assert_string_equal(s->groups[3].name, "all");
	assert_int_equal(s->groups[0].respondents, 3);
	assert_int_equal(s->groups[1].respondents, 2);
	assert_int_equal(s->groups[2].respondents, 8);
	assert_int_equal(s->groups[3].respondents, 13);
	NEAR(s->groups[0].share, 3.0 / 13);
	NEAR(s->groups[2].share, 8.0 / 13);
	NEAR(s->groups[3].share, 1.0);
	NEAR(s->nps, -5.0 / 13);
	NEAR(s->nps_score, -500.0 / 13);
	assert_true(isnan(s->csat));
	NEAR(s->mean_score, 70.0 / 13);
	static const uint64_t counts[11] = {1, 1, 1, 1, 1, 1, 2, 1, 1, 2, 1};
	for (int v = 0; v <= 10; v++)
		assert_int_equal(s->score_count[v], counts[v]);
	assert_int_equal(s->first_day, day(2024, 1, 1));
	assert_int_equal(s->last_day, day(2024, 1, 5));
	/* no reason column, no join: the join's rates are not defined */
	assert_int_equal(s->has_reason, 0);
	assert_int_equal(s->has_orders, 0);
	assert_true(isnan(s->groups[3].repurchase_rate));
	rebuy_survey_free(s);
	rebuy_table_free(t);
}

/* CSAT, detected (every score in 1..5): 1, 2, 3, 3, 4, 5, 5.
 *   satisfied 4, 5, 5 = 3; neutral 3, 3 = 2; unsatisfied 1, 2 = 2.
 *   csat = 3/7; mean = 23/7; nps not defined. */
static void test_survey__csat_is_the_share_of_four_and_five(void **state)
{
	(void)state;
	struct rebuy_table *t = table("customer,date,rating\n"
	                              "a,2024-02-01,1\nb,2024-02-01,2\nc,2024-02-01,3\n"
	                              "d,2024-02-01,3\ne,2024-02-01,4\nf,2024-02-01,5\n"
	                              "g,2024-02-01,5\n");
	struct rebuy_survey *s = compute(t, NULL, NULL);
	assert_int_equal(s->scale, REBUY_SCALE_CSAT);
	assert_int_equal(s->scale_detected, 1);
	assert_string_equal(s->scale_reason, "detected: every score is between 1 and 5");
	assert_int_equal(s->min_score, 1);
	assert_int_equal(s->max_score, 5);
	assert_string_equal(s->groups[0].name, "satisfied");
	assert_string_equal(s->groups[1].name, "neutral");
	assert_string_equal(s->groups[2].name, "unsatisfied");
	assert_int_equal(s->groups[0].respondents, 3);
	assert_int_equal(s->groups[1].respondents, 2);
	assert_int_equal(s->groups[2].respondents, 2);
	NEAR(s->csat, 3.0 / 7);
	NEAR(s->mean_score, 23.0 / 7);
	assert_true(isnan(s->nps));
	assert_int_equal(s->score_count[0], 0);
	assert_int_equal(s->score_count[3], 2);
	assert_int_equal(s->score_count[5], 2);
	rebuy_survey_free(s);
	rebuy_table_free(t);
}

/* Detection: all in 1..5 -> csat; a 6 or a 0 -> nps; a value outside 0..10
 * -> an error naming it, unless the scale is given, when it is out of range.
 * A given scale turns the other scale's values out of range. */
static void test_survey__scale_is_detected_or_given(void **state)
{
	(void)state;
	struct rebuy_survey_options o;
	rebuy_survey_options_init(&o);
	struct rebuy_table *t = table("customer,date,score\na,2024-01-01,1\nb,2024-01-01,6\n");
	struct rebuy_survey *s = compute(t, NULL, NULL);
	assert_int_equal(s->scale, REBUY_SCALE_NPS);
	assert_string_equal(s->scale_reason,
	                    "detected: the scores run 0-10 (a 0 or a score above 5 was seen)");
	rebuy_survey_free(s);
	rebuy_table_free(t);

	t = table("customer,date,score\na,2024-01-01,0\nb,2024-01-01,3\n");
	s = compute(t, NULL, NULL);
	assert_int_equal(s->scale, REBUY_SCALE_NPS);
	/* 0 and 3 are detractors: nps = (0 - 2) / 2 = -1 */
	NEAR(s->nps, -1.0);
	rebuy_survey_free(s);
	/* given csat: 0 is out of range (line 2, column 3), 3 is neutral */
	o.scale = REBUY_SCALE_CSAT;
	s = compute(t, NULL, &o);
	assert_int_equal(s->scale_detected, 0);
	assert_int_equal(s->rejected[REBUY_SURVEY_SCORE_OUT_OF_RANGE], 1);
	assert_int_equal(s->respondents, 1);
	NEAR(s->csat, 0.0);
	assert_int_equal(s->n_problems, 1);
	assert_int_equal(s->problems[0].line, 2);
	assert_int_equal(s->problems[0].column, 3);
	assert_string_equal(s->problems[0].message, "score '0' is outside the CSAT scale (1-5)");
	rebuy_survey_free(s);
	rebuy_table_free(t);

	fails("customer,date,score\na,2024-01-01,9\nb,2024-01-02,11\n", NULL, REBUY_EDATA,
	      "survey.csv:3:3: score '11' is outside both scales (0-10 for NPS, 1-5 for CSAT): "
	      "give the scale (nps or csat) to count such scores as out of range");
	o.scale = REBUY_SCALE_NPS;
	t = table("customer,date,score\na,2024-01-01,9\nb,2024-01-02,11\nc,2024-01-02,-1\n");
	s = compute(t, NULL, &o);
	assert_int_equal(s->rejected[REBUY_SURVEY_SCORE_OUT_OF_RANGE], 2);
	assert_int_equal(s->respondents, 1);
	NEAR(s->nps, 1.0);
	rebuy_survey_free(s);
	rebuy_table_free(t);

	enum rebuy_survey_scale sc;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_survey_scale_from_name("csat", &sc, &err), REBUY_OK);
	assert_int_equal(sc, REBUY_SCALE_CSAT);
	assert_int_equal(rebuy_survey_scale_from_name("ces", &sc, &err), REBUY_EARG);
	assert_string_equal(err.msg, "scale 'ces' is not nps, csat or auto");
}

/* Scores that are not whole numbers, empty ones, and the other reasons a
 * row is left out, counted by reason with the first problems in file order:
 *   line 2  a  9.0   read as 9 (a spreadsheet integer)
 *   line 3  b  " 7 " read as 7 (blanks trimmed)
 *   line 4  c  +8    read as 8
 *   line 5  d  9.5   bad_score
 *   line 6  e  ten   bad_score
 *   line 7  f  ""    missing_score
 *   line 8  "" ...   missing_customer
 *   line 9  g  31/02/2024  bad_date (no Feb 31 either way)
 *   line 10 h  (2 fields) short_row
 *   line 11 i  10    read
 * used: a, b, c, i = 4: promoters 9, 10 = 2, passives 7, 8 = 2; nps = 2/4. */
static const char bad_fixture[] = "customer,date,score\n"
                                  "a,2024-01-01,9.0\n"
                                  "b,2024-01-01, 7 \n"
                                  "c,2024-01-01,+8\n"
                                  "d,2024-01-01,9.5\n"
                                  "e,2024-01-01,ten\n"
                                  "f,2024-01-01,\n"
                                  ",2024-01-01,5\n"
                                  "g,31/02/2024,5\n"
                                  "h,2024-01-01\n"
                                  "i,2024-01-02,10\n";

static void test_survey__invalid_scores_are_counted_by_reason(void **state)
{
	(void)state;
	struct rebuy_survey_options o;
	rebuy_survey_options_init(&o);
	o.scale = REBUY_SCALE_NPS;
	struct rebuy_table *t = table(bad_fixture);
	struct rebuy_survey *s = compute(t, NULL, &o);
	assert_int_equal(s->rows, 10);
	assert_int_equal(s->rows_used, 4);
	assert_int_equal(s->rejected[REBUY_SURVEY_BAD_SCORE], 2);
	assert_int_equal(s->rejected[REBUY_SURVEY_MISSING_SCORE], 1);
	assert_int_equal(s->rejected[REBUY_SURVEY_MISSING_CUSTOMER], 1);
	assert_int_equal(s->rejected[REBUY_SURVEY_BAD_DATE], 1);
	assert_int_equal(s->rejected[REBUY_SURVEY_SHORT_ROW], 1);
	assert_int_equal(s->rejected[REBUY_SURVEY_SCORE_OUT_OF_RANGE], 0);
	assert_int_equal(s->groups[0].respondents, 2);
	assert_int_equal(s->groups[1].respondents, 2);
	NEAR(s->nps, 0.5);
	NEAR(s->mean_score, 34.0 / 4);
	assert_int_equal(s->n_problems, 6);
	static const uint64_t lines[6] = {5, 6, 7, 8, 9, 10};
	static const unsigned cols[6] = {3, 3, 3, 1, 2, 0};
	static const char *const msgs[6] = {
	        "score '9.5' is not a whole number",
	        "score 'ten' is not a whole number",
	        "empty score",
	        "empty customer",
	        "cannot read date '31/02/2024'",
	        "the row has 2 fields; the score column is field 3",
	};
	for (int i = 0; i < 6; i++) {
		assert_int_equal(s->problems[i].line, lines[i]);
		assert_int_equal(s->problems[i].column, cols[i]);
		assert_string_equal(s->problems[i].message, msgs[i]);
	}
	rebuy_survey_free(s);
	rebuy_table_free(t);

	/* --strict: the first one is the error, with file:line:column. */
	o.strict = 1;
	fails(bad_fixture, &o, REBUY_EDATA, "survey.csv:5:3: score '9.5' is not a whole number");
	/* Nothing usable at all. */
	fails("customer,date,score\na,2024-01-01,x\nb,2024-01-01,\n", NULL, REBUY_EDATA,
	      "survey.csv: no response could be used (2 rows: missing_score 1, bad_score 1)");
}

/* Repeated responders. Rows:
 *   line 2  a  2024-01-01  0
 *   line 3  b  2024-03-01  9
 *   line 4  a  2024-02-01  10   a's latest day
 *   line 5  b  2024-02-01  2    earlier than b's first row: b keeps 9
 *   line 6  c  2024-01-05  3
 *   line 7  c  2024-01-05  8    same day: the later row wins
 * latest (default): a 10, b 9, c 8: 3 respondents, 3 superseded; promoters
 *   2, passives 1, detractors 0: nps = 2/3.
 * all: 6 respondents: promoters 10, 9 = 2; passives 8 = 1; detractors 0,
 *   2, 3 = 3: nps = (2 - 3)/6 = -1/6; 3 customers. */
static void test_survey__repeated_responders_count_once_with_their_latest(void **state)
{
	(void)state;
	struct rebuy_table *t = table("customer,date,score\n"
	                              "a,2024-01-01,0\nb,2024-03-01,9\na,2024-02-01,10\n"
	                              "b,2024-02-01,2\nc,2024-01-05,3\nc,2024-01-05,8\n");
	struct rebuy_survey *s = compute(t, NULL, NULL);
	assert_int_equal(s->respondents, 3);
	assert_int_equal(s->customers, 3);
	assert_int_equal(s->superseded, 3);
	assert_int_equal(s->each_response, 0);
	assert_int_equal(s->groups[0].respondents, 2);
	assert_int_equal(s->groups[1].respondents, 1);
	assert_int_equal(s->groups[2].respondents, 0);
	assert_int_equal(s->score_count[10], 1);
	assert_int_equal(s->score_count[9], 1);
	assert_int_equal(s->score_count[8], 1);
	assert_int_equal(s->score_count[3], 0);
	NEAR(s->nps, 2.0 / 3);
	/* first and last day of the responses counted: c Jan 5, b Mar 1 */
	assert_int_equal(s->first_day, day(2024, 1, 5));
	assert_int_equal(s->last_day, day(2024, 3, 1));
	rebuy_survey_free(s);

	struct rebuy_survey_options o;
	rebuy_survey_options_init(&o);
	o.each_response = 1;
	s = compute(t, NULL, &o);
	assert_int_equal(s->respondents, 6);
	assert_int_equal(s->customers, 3);
	assert_int_equal(s->superseded, 0);
	assert_int_equal(s->groups[0].respondents, 2);
	assert_int_equal(s->groups[1].respondents, 1);
	assert_int_equal(s->groups[2].respondents, 3);
	NEAR(s->nps, -1.0 / 6);
	rebuy_survey_free(s);
	rebuy_table_free(t);
}

/* Reasons: trimmed, case kept, control characters read as spaces, empty =
 * no reason. Respondents and reasons:
 *   a 10 " Price "        -> "Price"
 *   b 9  "Price"          -> "Price"
 *   c 2  "price"          -> "price" (case kept: another reason)
 *   d 0  "Slow\tdelivery" -> "Slow delivery"
 *   e 8  "  "             -> none
 *   f 6  "Slow delivery"  -> "Slow delivery"
 *   g 7  ""               -> none
 * with a reason 5, without 2. Tally, most first, ties by byte order
 * ("Price" < "Slow delivery" < "price"):
 *   Price 2 (promoters 2), Slow delivery 2 (detractors 2), price 1
 *   (detractors 1); shares 2/5, 2/5, 1/5. */
static void test_survey__reasons_are_tallied_per_group(void **state)
{
	(void)state;
	struct rebuy_table *t = table("customer,date,score,Comment\n"
	                              "a,2024-01-01,10, Price \n"
	                              "b,2024-01-01,9,Price\n"
	                              "c,2024-01-01,2,price\n"
	                              "d,2024-01-01,0,\"Slow\tdelivery\"\n"
	                              "e,2024-01-01,8,  \n"
	                              "f,2024-01-01,6,Slow delivery\n"
	                              "g,2024-01-01,7,\n");
	struct rebuy_survey *s = compute(t, NULL, NULL);
	assert_int_equal(s->has_reason, 1);
	assert_int_equal(s->column[REBUY_SURVEY_REASON], 3);
	assert_string_equal(s->column_name[REBUY_SURVEY_REASON], "Comment");
	assert_int_equal(s->with_reason, 5);
	assert_int_equal(s->without_reason, 2);
	assert_int_equal(s->n_reasons, 3);
	assert_string_equal(s->reasons[0].text, "Price");
	assert_int_equal(s->reasons[0].respondents, 2);
	assert_int_equal(s->reasons[0].by_group[0], 2);
	assert_int_equal(s->reasons[0].by_group[2], 0);
	assert_string_equal(s->reasons[1].text, "Slow delivery");
	assert_int_equal(s->reasons[1].respondents, 2);
	assert_int_equal(s->reasons[1].by_group[2], 2);
	assert_string_equal(s->reasons[2].text, "price");
	assert_int_equal(s->reasons[2].respondents, 1);
	assert_int_equal(s->reasons[2].by_group[2], 1);
	/* no join: nothing lapsed */
	assert_int_equal(s->n_lapsed_reasons, 0);
	assert_true(isnan(s->reasons[0].lapse_rate));
	rebuy_survey_free(s);
	rebuy_table_free(t);
}

/* ------------------------------------------------------------------------
 * The join. Survey (NPS detected), as-of 2024-04-01, window 30 days:
 *   p1 2024-01-10 10 Quality   window Jan 11..Feb 9: Jan 20 50.00, Feb 9
 *                              25.00 (the last day); Feb 10 99.00 outside
 *                              -> repurchased, 2 orders, 75.00
 *   p2 2024-01-10 9  Quality   Jan 10 23:59 40.00 is the survey day itself,
 *                              Feb 10 is day 31 -> lapsed
 *   p3 2024-03-02 9  Price     Mar 2 + 30 = Apr 1, not before the as-of
 *                              day -> too recent
 *   n1 2024-02-01 8  Price     Feb 15 20.00 -> repurchased, 1 order
 *   n2 2024-02-01 7  (none)    not in the orders
 *   d1 2024-01-15 6  Delivery  only Dec 1 2023 (before) -> lapsed
 *   d2 2024-01-15 0  Delivery  Jan 16 7.50, Feb 14 12.50 (the last day)
 *                              -> repurchased, 2 orders, 20.00
 *   d3 2024-03-01 3  Delivery  Mar 1 + 30 = Mar 31 < Apr 1: observed;
 *                              only Feb 1 (before) -> lapsed
 *   d4 2024-01-20 5  price     not in the orders
 * x1 buys on 2024-03-31: the default as-of is then Apr 1 too.
 *
 * promoters 3, passives 2, detractors 4: nps = (3 - 4)/9 = -1/9.
 * promoters:  too recent 1, observed 2, repurchased 1, lapsed 1,
 *             orders 2, revenue 75.00: rates 1/2, 1/2; per respondent 1
 *             order, 37.50.
 * passives:   not in orders 1, observed 1, repurchased 1: rate 1, lapse 0;
 *             1 order, 20.00 per respondent.
 * detractors: not in orders 1, observed 3, repurchased 1, lapsed 2:
 *             repurchase 1/3, lapse 2/3; orders 2, revenue 20.00: 2/3 and
 *             20/3 per respondent.
 * all:        not in orders 2, too recent 1, observed 6, repurchased 3,
 *             lapsed 3: 1/2 and 1/2; orders 5, revenue 115.00: 5/6 and
 *             115/6.
 * Reasons (8 with one, n2 without): Delivery 3 (detractors 3; observed 3,
 * lapsed 2), then the ties at 2 in byte order: Price (promoters 1, passives
 * 1; observed 1 (n1; p3 is too recent), lapsed 0), Quality (promoters 2;
 * observed 2, lapsed 1); price 1 (detractors 1; observed 0: rate not
 * defined). Lapsed with a reason: 3 (p2, d1, d3); lapsed reasons, most
 * first: Delivery 2, Quality 1.
 * ------------------------------------------------------------------------ */
static const char join_survey[] = "customer,date,score,reason\n"
                                  "p1,2024-01-10,10,Quality\n"
                                  "p2,2024-01-10 08:00,9,Quality\n"
                                  "p3,2024-03-02,9,Price\n"
                                  "n1,2024-02-01,8,Price\n"
                                  "n2,2024-02-01,7,\n"
                                  "d1,2024-01-15,6,Delivery\n"
                                  "d2,2024-01-15,0,Delivery\n"
                                  "d3,2024-03-01,3,Delivery\n"
                                  "d4,2024-01-20,5,price\n";

static const char join_orders[] = "customer,date,amount\n"
                                  "p1,2024-01-20,50.00\n"
                                  "p1,2024-02-09,25.00\n"
                                  "p1,2024-02-10,99.00\n"
                                  "p2,2024-01-10 23:59,40.00\n"
                                  "p2,2024-02-10,10.00\n"
                                  "p3,2024-03-05,5.00\n"
                                  "n1,2024-02-15,20.00\n"
                                  "d1,2023-12-01,30.00\n"
                                  "d2,2024-01-16,7.50\n"
                                  "d2,2024-02-14,12.50\n"
                                  "d3,2024-02-01,10.00\n"
                                  "x1,2024-03-31,1.00\n";

struct want_group {
	uint64_t respondents, not_in_orders, too_recent, observed, repurchased, lapsed, orders;
	int64_t revenue;
	double repurchase_rate, lapse_rate, orders_per, revenue_per;
};

static void check_group(const struct rebuy_survey_group *g, const struct want_group *w)
{
	assert_int_equal(g->respondents, w->respondents);
	assert_int_equal(g->not_in_orders, w->not_in_orders);
	assert_int_equal(g->too_recent, w->too_recent);
	assert_int_equal(g->observed, w->observed);
	assert_int_equal(g->repurchased, w->repurchased);
	assert_int_equal(g->lapsed, w->lapsed);
	assert_int_equal(g->orders, w->orders);
	assert_int_equal(g->revenue, w->revenue);
	NEAR(g->repurchase_rate, w->repurchase_rate);
	NEAR(g->lapse_rate, w->lapse_rate);
	NEAR(g->orders_per_respondent, w->orders_per);
	NEAR(g->revenue_per_respondent, w->revenue_per);
}

static void check_join(const struct rebuy_survey *s)
{
	assert_int_equal(s->has_orders, 1);
	assert_int_equal(s->has_amount, 1);
	assert_int_equal(s->as_of_day, day(2024, 4, 1));
	assert_int_equal(s->lapse_days, 30);
	assert_int_equal(s->respondents, 9);
	NEAR(s->nps, -1.0 / 9);
	static const struct want_group want[4] = {
	        {3, 0, 1, 2, 1, 1, 2, CENTS(7500), 0.5, 0.5, 1.0, 37.5},
	        {2, 1, 0, 1, 1, 0, 1, CENTS(2000), 1.0, 0.0, 1.0, 20.0},
	        {4, 1, 0, 3, 1, 2, 2, CENTS(2000), 1.0 / 3, 2.0 / 3, 2.0 / 3, 20.0 / 3},
	        {9, 2, 1, 6, 3, 3, 5, CENTS(11500), 0.5, 0.5, 5.0 / 6, 115.0 / 6},
	};
	for (int g = 0; g < 4; g++)
		check_group(&s->groups[g], &want[g]);

	assert_int_equal(s->with_reason, 8);
	assert_int_equal(s->without_reason, 1);
	assert_int_equal(s->n_reasons, 4);
	static const char *const texts[4] = {"Delivery", "Price", "Quality", "price"};
	static const uint64_t resp[4] = {3, 2, 2, 1}, obs[4] = {3, 1, 2, 0}, lap[4] = {2, 0, 1, 0};
	static const double rate[4] = {2.0 / 3, 0.0, 0.5, NAN};
	for (int i = 0; i < 4; i++) {
		assert_string_equal(s->reasons[i].text, texts[i]);
		assert_int_equal(s->reasons[i].respondents, resp[i]);
		assert_int_equal(s->reasons[i].observed, obs[i]);
		assert_int_equal(s->reasons[i].lapsed, lap[i]);
		NEAR(s->reasons[i].lapse_rate, rate[i]);
	}
	assert_int_equal(s->reasons[1].by_group[0], 1);
	assert_int_equal(s->reasons[1].by_group[1], 1);
	assert_int_equal(s->lapsed_with_reason, 3);
	assert_int_equal(s->n_lapsed_reasons, 2);
	assert_string_equal(s->reasons[s->lapsed_order[0]].text, "Delivery");
	assert_string_equal(s->reasons[s->lapsed_order[1]].text, "Quality");
}

static void test_survey__join_follows_each_respondent_for_the_window(void **state)
{
	(void)state;
	struct rebuy_table *t = table(join_survey);
	struct rebuy_orders *o = orders(join_orders);
	struct rebuy_survey_options opts;
	rebuy_survey_options_init(&opts);
	opts.lapse_days = 30;
	opts.has_as_of = 1;
	opts.as_of_day = day(2024, 4, 1);
	struct rebuy_survey *s = compute(t, o, &opts);
	check_join(s);
	rebuy_survey_free(s);
	/* The default as-of: the day after the last purchase (x1, Mar 31). */
	opts.has_as_of = 0;
	s = compute(t, o, &opts);
	check_join(s);
	rebuy_survey_free(s);

	/* 60 days, as of Apr 1: observed only when s + 60 < Apr 1, i.e. s
	 * before Feb 1 (Jan 31 + 60 = Mar 31): p1, p2, d1, d2 (d4 is not in
	 * the orders). n1 (Feb 1 + 60 = Apr 1), p3, d3 are too recent.
	 *   p1: Jan 11..Mar 10: Jan 20, Feb 9, Feb 10 -> 3 orders, 174.00
	 *   p2: Jan 11..Mar 10: Feb 10 10.00 -> repurchased
	 *   d1: lapsed; d2: Jan 16, Feb 14 -> 2 orders, 20.00
	 * promoters: observed 2, repurchased 2, orders 4, revenue 184.00
	 * detractors: observed 2, repurchased 1, lapsed 1
	 * all: too recent 3, observed 4, repurchased 3, lapsed 1, orders 6,
	 *      revenue 204.00 */
	opts.lapse_days = 60;
	s = compute(t, o, &opts);
	assert_int_equal(s->groups[0].observed, 2);
	assert_int_equal(s->groups[0].repurchased, 2);
	assert_int_equal(s->groups[0].orders, 4);
	assert_int_equal(s->groups[0].revenue, CENTS(18400));
	assert_int_equal(s->groups[1].too_recent, 1);
	assert_int_equal(s->groups[1].observed, 0);
	assert_true(isnan(s->groups[1].repurchase_rate));
	assert_int_equal(s->groups[2].observed, 2);
	assert_int_equal(s->groups[2].lapsed, 1);
	assert_int_equal(s->groups[3].too_recent, 3);
	assert_int_equal(s->groups[3].observed, 4);
	assert_int_equal(s->groups[3].repurchased, 3);
	assert_int_equal(s->groups[3].orders, 6);
	assert_int_equal(s->groups[3].revenue, CENTS(20400));
	NEAR(s->groups[3].lapse_rate, 0.25);
	rebuy_survey_free(s);

	opts.lapse_days = 0;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_survey_compute(t, o, &opts, &s, &err), REBUY_EARG);
	assert_string_equal(err.msg, "lapse days 0 is not between 1 and 36500");
	rebuy_orders_free(o);
	rebuy_table_free(t);
}

/* Keys match as the order reader reads them ("42.0" is "42", blanks
 * trimmed); without an amount column revenue is not defined. A CSAT join
 * names the groups satisfied / neutral / unsatisfied.
 *   "42.0" 2024-01-01 5 -> satisfied; orders 42 on Jan 2 -> repurchased
 *   " 7 "  2024-01-01 1 -> unsatisfied; orders 7 on Jan 1 only -> lapsed
 * as of Jan 2 + 1 = Jan 3, window 1 day: Jan 1 + 1 = Jan 2 < Jan 3. */
static void test_survey__join_matches_keys_as_the_orders_read_them(void **state)
{
	(void)state;
	struct rebuy_table *t =
	        table("customer,date,score\n42.0,2024-01-01,5\n\" 7 \",2024-01-01,1\n");
	struct rebuy_orders *o = orders("customer,date\n42,2024-01-02\n7,2024-01-01\n");
	assert_int_equal(o->has_amount, 0);
	struct rebuy_survey_options opts;
	rebuy_survey_options_init(&opts);
	opts.lapse_days = 1;
	struct rebuy_survey *s = compute(t, o, &opts);
	assert_int_equal(s->scale, REBUY_SCALE_CSAT);
	assert_int_equal(s->as_of_day, day(2024, 1, 3));
	assert_string_equal(s->groups[0].name, "satisfied");
	assert_int_equal(s->groups[0].repurchased, 1);
	assert_int_equal(s->groups[2].lapsed, 1);
	assert_int_equal(s->groups[3].not_in_orders, 0);
	assert_int_equal(s->groups[3].observed, 2);
	assert_int_equal(s->has_amount, 0);
	assert_true(isnan(s->groups[3].revenue_per_respondent));
	NEAR(s->groups[3].orders_per_respondent, 0.5);
	rebuy_survey_free(s);
	rebuy_orders_free(o);
	rebuy_table_free(t);
}

/* Dates: a/b/YYYY is decided from the whole column (a value > 12 decides),
 * as the order reader does; a column that never decides, or mixes the two
 * orders, is an error asking for the format. */
static void test_survey__slash_dates_are_decided_from_the_column(void **state)
{
	(void)state;
	/* 13/02/2024 reads only day first: 01/02/2024 is Feb 1, not Jan 2 */
	struct rebuy_table *t = table("customer,date,score\na,01/02/2024,9\nb,13/02/2024,10\n");
	struct rebuy_survey *s = compute(t, NULL, NULL);
	assert_string_equal(s->date_format_name, "dmy");
	assert_int_equal(s->first_day, day(2024, 2, 1));
	assert_int_equal(s->last_day, day(2024, 2, 13));
	rebuy_survey_free(s);
	/* Given as mdy, 13/02/2024 is not a date */
	struct rebuy_survey_options o;
	rebuy_survey_options_init(&o);
	o.date_format = "mdy";
	s = compute(t, NULL, &o);
	assert_string_equal(s->date_format_name, "mdy");
	assert_int_equal(s->rejected[REBUY_SURVEY_BAD_DATE], 1);
	assert_int_equal(s->first_day, day(2024, 1, 2));
	rebuy_survey_free(s);
	rebuy_table_free(t);

	fails("customer,date,score\na,01/02/2024,9\nb,02/03/2024,10\n", NULL, REBUY_EDATA,
	      "survey.csv: every date reads both as month/day and as day/month (e.g. "
	      "'01/02/2024' on line 2): give --survey-date-format mdy or dmy");
	fails("customer,date,score\na,12/13/2024,9\nb,13/12/2024,10\n", NULL, REBUY_EDATA,
	      "survey.csv: the dates mix month/day ('12/13/2024' on line 2) and day/month "
	      "('13/12/2024' on line 3): give --survey-date-format mdy or dmy");
	o.date_format = "%d.%m.%Y";
	t = table("customer,date,score\na,05.01.2024,9\n");
	s = compute(t, NULL, &o);
	assert_string_equal(s->date_format_pattern, "%d.%m.%Y");
	assert_int_equal(s->first_day, day(2024, 1, 5));
	rebuy_survey_free(s);
	rebuy_table_free(t);
}

/* Columns: detected from normalized names, named by flags, by number
 * without a header; two candidates, one column for two roles, and a
 * missing column are errors that say so. */
static void test_survey__columns_are_found_or_the_error_names_them(void **state)
{
	(void)state;
	/* "Client ID" -> clientid, "Survey Date" -> surveydate, "NPS" -> nps,
	 * "Feedback" -> feedback; "order_date" takes no role here. */
	struct rebuy_table *t = table("order_date,Client ID,Survey Date,NPS,Feedback\n"
	                              "2023-12-01,a,2024-01-01,10,Great\n");
	struct rebuy_survey *s = compute(t, NULL, NULL);
	assert_int_equal(s->column[REBUY_SURVEY_CUSTOMER], 1);
	assert_int_equal(s->column[REBUY_SURVEY_DATE], 2);
	assert_int_equal(s->column[REBUY_SURVEY_SCORE], 3);
	assert_int_equal(s->column[REBUY_SURVEY_REASON], 4);
	assert_int_equal(s->first_day, day(2024, 1, 1));
	rebuy_survey_free(s);
	/* A flag overrides: the survey date is the order date now. */
	struct rebuy_survey_options o;
	rebuy_survey_options_init(&o);
	o.column[REBUY_SURVEY_DATE] = "order_date";
	s = compute(t, NULL, &o);
	assert_int_equal(s->first_day, day(2023, 12, 1));
	rebuy_survey_free(s);
	/* The same column for two roles. */
	o.column[REBUY_SURVEY_DATE] = NULL;
	o.column[REBUY_SURVEY_REASON] = "NPS";
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_survey_compute(t, NULL, &o, &s, &err), REBUY_EARG);
	assert_string_equal(err.msg, "survey.csv: the score and the reason would both be column "
	                             "'NPS' (name them with --score and --reason)");
	rebuy_table_free(t);

	fails("customer,user_id,date,score\na,b,2024-01-01,9\n", NULL, REBUY_EDATA,
	      "survey.csv: two columns could be the customer: 'customer' and 'user_id' (choose "
	      "one with --survey-customer COLUMN)");
	fails("customer,when,score\na,2024-01-01,9\n", NULL, REBUY_EDATA,
	      "survey.csv: no date column: the columns are customer, when, score (name it with "
	      "--survey-date COLUMN)");
	rebuy_survey_options_init(&o);
	o.column[REBUY_SURVEY_SCORE] = "grade";
	fails("customer,date,score\na,2024-01-01,9\n", &o, REBUY_EARG,
	      "--score grade: survey.csv has no such column (the columns are: customer, date, "
	      "score)");
}

/* The document: stable keys, nps as a fraction and as a score, csat null on
 * an NPS survey, the join's block and the lapsed reasons. */
static void test_survey__json_has_the_documented_keys(void **state)
{
	(void)state;
	struct rebuy_table *t = table(join_survey);
	struct rebuy_orders *o = orders(join_orders);
	struct rebuy_survey_options opts;
	rebuy_survey_options_init(&opts);
	opts.lapse_days = 30;
	struct rebuy_survey *s = compute(t, o, &opts);
	struct rebuy_doc *doc = rebuy_doc_new();
	rebuy_survey_doc(s, &o->report, doc, rebuy_doc_root(doc));
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(rebuy_doc_write_json(doc, NULL, f), REBUY_OK);
	fclose(f);
	static const char *const want[] = {
	        "\"scale\": \"nps\"",
	        "\"respondents\": 9",
	        /* -1/9 and -100/9 */
	        "\"nps\": -0.1111111111111111",
	        "\"nps_score\": -11.11111111111111",
	        "\"csat\": null",
	        "\"promoters\": 3",
	        "\"detractors\": 4",
	        "{\"group\": \"promoters\", \"scores\": \"9-10\", \"respondents\": 3",
	        "\"repurchase_rate\": 0.5",
	        "{\"score\": 6, \"respondents\": 1",
	        "{\"reason\": \"Delivery\", \"respondents\": 3, \"share\": 0.375",
	        "\"after_survey\": {",
	        "\"as_of\": \"2024-04-01\"",
	        "\"lapse_days\": 30",
	        "\"revenue\": 115",
	        "\"lapsed_reasons\": [",
	        "{\"reason\": \"Quality\", \"lapsed\": 1",
	        "\"superseded_responses\": 0",
	        "\"columns\": {\"customer\": \"customer\", \"date\": \"date\", \"score\": "
	        "\"score\", "
	        "\"reason\": \"reason\"}",
	        "\"definitions\": {",
	        "\"nps\": \"(promoters - detractors) / respondents",
	};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		if (!strstr(buf, want[i]))
			fail_msg("the JSON lacks %s:\n%s", want[i], buf);
	/* a CSAT survey has no promoters */
	assert_null(strstr(buf, "\"satisfied\""));
	free(buf);
	rebuy_doc_free(doc);
	rebuy_survey_free(s);
	rebuy_orders_free(o);
	rebuy_table_free(t);
}

/* Every allocation failure in reading, computing and documenting returns
 * cleanly and leaks nothing. */
static int pipeline(void)
{
	struct rebuy_table_options to;
	rebuy_table_options_init(&to);
	to.data = join_survey;
	to.data_len = sizeof join_survey - 1;
	struct rebuy_input_options io;
	rebuy_input_options_init(&io);
	io.n_threads = 1;
	io.data = join_orders;
	io.data_len = sizeof join_orders - 1;
	struct rebuy_table *t = NULL;
	struct rebuy_orders *o = NULL;
	struct rebuy_survey *s = NULL;
	struct rebuy_doc *doc = NULL;
	struct rebuy_error err = {0};
	int done = 0;
	if (rebuy_table_read(&t, &to, &err) || rebuy_orders_load(&o, &io, NULL, &err))
		goto out;
	struct rebuy_survey_options so;
	rebuy_survey_options_init(&so);
	so.lapse_days = 30;
	enum rebuy_status st = rebuy_survey_compute(t, o, &so, &s, &err);
	if (st) {
		assert_int_equal(st, REBUY_ENOMEM);
		assert_null(s);
		goto out;
	}
	doc = rebuy_doc_new();
	if (!doc)
		goto out;
	rebuy_survey_doc(s, &o->report, doc, rebuy_doc_root(doc));
	FILE *f = fopen("/dev/null", "w");
	done = rebuy_doc_write_json(doc, NULL, f) == REBUY_OK;
	fclose(f);
out:
	rebuy_doc_free(doc);
	rebuy_survey_free(s);
	rebuy_orders_free(o);
	rebuy_table_free(t);
	return done;
}

static void test_survey__every_allocation_failure_is_clean(void **state)
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
	        cmocka_unit_test(test_survey__nps_counts_band_edges_into_the_right_group),
	        cmocka_unit_test(test_survey__csat_is_the_share_of_four_and_five),
	        cmocka_unit_test(test_survey__scale_is_detected_or_given),
	        cmocka_unit_test(test_survey__invalid_scores_are_counted_by_reason),
	        cmocka_unit_test(test_survey__repeated_responders_count_once_with_their_latest),
	        cmocka_unit_test(test_survey__reasons_are_tallied_per_group),
	        cmocka_unit_test(test_survey__join_follows_each_respondent_for_the_window),
	        cmocka_unit_test(test_survey__join_matches_keys_as_the_orders_read_them),
	        cmocka_unit_test(test_survey__slash_dates_are_decided_from_the_column),
	        cmocka_unit_test(test_survey__columns_are_found_or_the_error_names_them),
	        cmocka_unit_test(test_survey__json_has_the_documented_keys),
	        cmocka_unit_test(test_survey__every_allocation_failure_is_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
