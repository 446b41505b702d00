/* Unit tests for RFM (include/rebuy/rfm.h, DESIGN.md §4, docs/rfm.md):
 * values, scores with ties, segments of the default map and of rules files,
 * the segment summary and its medians, transitions, recency edge cases, the
 * rules parser's errors, determinism under shuffled rows and thread counts,
 * and allocation failures.
 *
 * Every expected value is worked out by hand in the comment above its
 * assertions, from the definitions (score = 1 + floor(B * customers with a
 * strictly smaller value / n); for R, strictly larger recency), never copied
 * from the program's output. Day counts were taken on a calendar (2024 is a
 * leap year: February has 29 days). Integers and money are compared
 * exactly; doubles made from exact values (shares, medians) with a relative
 * tolerance of 1e-12.
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
#include "rebuy/rfm.h"

#define REL_TOL 1e-12
#define UNITS(x) ((int64_t)(x)*10000) /* whole currency units as 1/10,000 */

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

/* Loads CSV text from memory with one reading thread; as_of (0: none) is
 * given to the loader, which leaves out orders on or after it. */
static struct rebuy_orders *load_as_of(const char *text, int64_t as_of, unsigned threads)
{
	struct rebuy_input_options in;
	rebuy_input_options_init(&in);
	in.n_threads = threads ? threads : 1;
	in.path = "fixture.csv";
	in.data = text;
	in.data_len = strlen(text);
	if (as_of) {
		in.has_as_of = 1;
		in.as_of_day = as_of;
	}
	struct rebuy_orders *o = NULL;
	struct rebuy_error err = {0};
	if (rebuy_orders_load(&o, &in, NULL, &err) != REBUY_OK)
		fail_msg("loading the fixture: %s", err.msg);
	return o;
}

static struct rebuy_orders *load(const char *text)
{
	return load_as_of(text, 0, 1);
}

static struct rebuy_rfm *rfm_of(const struct rebuy_orders *o, const struct rebuy_rfm_options *opts)
{
	struct rebuy_rfm *x = NULL;
	struct rebuy_error err = {0};
	if (rebuy_rfm_compute(o, opts, &x, &err) != REBUY_OK)
		fail_msg("rfm: %s", err.msg);
	return x;
}

static struct rebuy_rfm *rfm_default(const struct rebuy_orders *o)
{
	struct rebuy_rfm_options ro;
	rebuy_rfm_options_init(&ro);
	ro.n_threads = 1;
	return rfm_of(o, &ro);
}

static struct rebuy_rfm_map *parse_ok(const char *text, unsigned bins)
{
	struct rebuy_rfm_map *m = NULL;
	struct rebuy_error err = {0};
	if (rebuy_rfm_map_parse(&m, text, strlen(text), "rules.csv", bins, &err) != REBUY_OK)
		fail_msg("rules: %s", err.msg);
	return m;
}

/* The record of the customer with key `key`. */
static const struct rebuy_rfm_customer *cust(const struct rebuy_rfm *x,
                                             const struct rebuy_orders *o, const char *key)
{
	for (size_t c = 0; c < o->n_customers; c++)
		if (strcmp(rebuy_orders_customer_key(o, c, NULL), key) == 0)
			return &x->customers[c];
	fail_msg("no customer %s", key);
	return NULL;
}

static size_t seg_index(const struct rebuy_rfm *x, const char *name)
{
	for (size_t g = 0; g < x->n_segments; g++)
		if (strcmp(x->segments[g].name, name) == 0)
			return g;
	fail_msg("no segment %s", name);
	return 0;
}

static const char *seg_name(const struct rebuy_rfm *x, uint8_t g)
{
	return g < x->n_segments ? x->segments[g].name : g == x->n_segments ? "new" : "(none)";
}

/* One customer's expected values. */
struct want_cust {
	const char *key;
	int32_t recency;
	uint32_t frequency;
	int64_t monetary; /* whole units */
	uint8_t r, f, m;
	const char *segment;
};

static void check_customers(const struct rebuy_rfm *x, const struct rebuy_orders *o,
                            const struct want_cust *want, size_t n)
{
	assert_int_equal(x->n_customers, n);
	for (size_t i = 0; i < n; i++) {
		const struct want_cust *w = &want[i];
		const struct rebuy_rfm_customer *c = cust(x, o, w->key);
		if (c->recency_days != w->recency || c->frequency != w->frequency ||
		    c->monetary != UNITS(w->monetary) || c->r != w->r || c->f != w->f ||
		    c->m != w->m || strcmp(seg_name(x, c->segment), w->segment) != 0)
			fail_msg("customer %s: recency %d frequency %u monetary %lld R%u F%u M%u "
			         "%s; "
			         "want %d %u %lld R%u F%u M%u %s",
			         w->key, c->recency_days, c->frequency,
			         (long long)(c->monetary / 10000), c->r, c->f, c->m,
			         seg_name(x, c->segment), w->recency, w->frequency,
			         (long long)w->monetary, w->r, w->f, w->m, w->segment);
	}
}

/* ------------------------------------------------------------------------
 * Fixture T: ten customers with ties in all three measures, one-order
 * customers and a zero-value order. The last purchase is on 2024-03-31, so
 * the as-of date is 2024-04-01 and recency = 2024-04-01 - last purchase day:
 *   c01: 03-31 10.00                          -> recency 1, F 1, M 10
 *   c02: 03-31 10.00                          -> 1, 1, 10 (ties c01 in all)
 *   c03: 03-01 5.00, 03-21 5.00               -> 11, 2, 10
 *   c04: 03-21 50.00                          -> 11, 1, 50
 *   c05: 02-01, 02-15, 03-01 20.00 each       -> 31, 3, 60
 *   c06: 03-01 0.00 (a zero-value purchase)   -> 31, 1, 0
 *   c07: 01-31 100.00                         -> 29 + 31 + 1 = 61, 1, 100
 *   c08: 01-01 25.00, 01-31 25.00             -> 61, 2, 50
 *   c09: 2023-12-31 10.00                     -> 1 + 31 + 29 + 31 = 92, 1, 10
 *   c10: 2023-12-01, 01-15, 02-15, 03-10, 03-30 4.00 each -> 2, 5, 20
 * n = 10, B = 5: score = 1 + floor(5 * k / 10) = 1 + floor(k / 2), k the
 * customers strictly smaller (R: strictly larger recency).
 * R: recency 1 (c01 c02): 8 larger -> 5; 2 (c10): 7 -> 1 + 3 = 4;
 *    11 (c03 c04): 5 -> 3; 31 (c05 c06): 3 -> 2; 61 (c07 c08): 1 -> 1;
 *    92 (c09): 0 -> 1.
 * F: 1 order (c01 c02 c04 c06 c07 c09): 0 smaller -> 1; 2 (c03 c08): 6 ->
 *    4; 3 (c05): 8 -> 5; 5 (c10): 9 -> 1 + 4 = 5. Ties skip F2 and F3.
 * M: 0 (c06): 0 -> 1; 10 (c01 c02 c03 c09): 1 -> 1; 20 (c10): 5 -> 3;
 *    50 (c04 c08): 6 -> 4; 60 (c05): 8 -> 5; 100 (c07): 9 -> 5.
 * Segments (R, F), first match in the default map:
 *   c01, c02 (5,1) new_customers; c03 (3,4) loyal; c04 (3,1)
 *   about_to_sleep; c05 (2,5) cant_lose; c06 (2,1), c07 (1,1), c09 (1,1)
 *   hibernating; c08 (1,4) at_risk; c10 (4,5) loyal.
 * ------------------------------------------------------------------------ */
static const char fixture_t[] = "customer,order,date,amount\n"
                                "c09,o1,2023-12-31 10:00,10.00\n"
                                "c10,o2,2023-12-01,4.00\n"
                                "c08,o3,2024-01-01,25.00\n"
                                "c10,o4,2024-01-15,4.00\n"
                                "c07,o5,2024-01-31 09:00,100.00\n"
                                "c08,o6,2024-01-31 18:00,25.00\n"
                                "c05,o7,2024-02-01,20.00\n"
                                "c05,o8,2024-02-15,20.00\n"
                                "c10,o9,2024-02-15,4.00\n"
                                "c03,o10,2024-03-01,5.00\n"
                                "c05,o11,2024-03-01,20.00\n"
                                "c06,o12,2024-03-01,0.00\n"
                                "c10,o13,2024-03-10,4.00\n"
                                "c03,o14,2024-03-21,5.00\n"
                                "c04,o15,2024-03-21,50.00\n"
                                "c10,o16,2024-03-30,4.00\n"
                                "c01,o17,2024-03-31 08:00,10.00\n"
                                "c02,o18,2024-03-31 23:59:59,10.00\n";

static const struct want_cust want_t[] = {
        {"c01", 1, 1, 10, 5, 1, 1, "new_customers"}, {"c02", 1, 1, 10, 5, 1, 1, "new_customers"},
        {"c03", 11, 2, 10, 3, 4, 1, "loyal"},        {"c04", 11, 1, 50, 3, 1, 4, "about_to_sleep"},
        {"c05", 31, 3, 60, 2, 5, 5, "cant_lose"},    {"c06", 31, 1, 0, 2, 1, 1, "hibernating"},
        {"c07", 61, 1, 100, 1, 1, 5, "hibernating"}, {"c08", 61, 2, 50, 1, 4, 4, "at_risk"},
        {"c09", 92, 1, 10, 1, 1, 1, "hibernating"},  {"c10", 2, 5, 20, 4, 5, 3, "loyal"},
};

static void test_rfm__ties_share_a_score_and_one_order_customers_get_f1(void **state)
{
	(void)state;
	struct rebuy_orders *o = load(fixture_t);
	struct rebuy_rfm *x = rfm_default(o);
	assert_int_equal(x->as_of_day, day(2024, 4, 1));
	assert_int_equal(x->bins, 5);
	check_customers(x, o, want_t, 10);
	/* Scores per measure (customers, value range), from the lists above:
	 * R: 1 -> 3 customers 61..92, 2 -> 2 (31), 3 -> 2 (11), 4 -> 1 (2),
	 *    5 -> 2 (1).
	 * F: 1 -> 6 (1 order), 2 and 3 -> none, 4 -> 2 (2), 5 -> 2 (3..5).
	 * M: 1 -> 5 (0..10), 2 -> none, 3 -> 1 (20), 4 -> 2 (50),
	 *    5 -> 2 (60..100). */
	static const uint64_t n_r[5] = {3, 2, 2, 1, 2}, n_f[5] = {6, 0, 0, 2, 2},
	                      n_m[5] = {5, 0, 1, 2, 2};
	static const int64_t r_lo[5] = {61, 31, 11, 2, 1}, r_hi[5] = {92, 31, 11, 2, 1};
	for (int s = 0; s < 5; s++) {
		assert_int_equal(x->scores[REBUY_RFM_R][s].customers, n_r[s]);
		assert_int_equal(x->scores[REBUY_RFM_R][s].min, r_lo[s]);
		assert_int_equal(x->scores[REBUY_RFM_R][s].max, r_hi[s]);
		assert_int_equal(x->scores[REBUY_RFM_F][s].customers, n_f[s]);
		assert_int_equal(x->scores[REBUY_RFM_M][s].customers, n_m[s]);
	}
	assert_int_equal(x->scores[REBUY_RFM_F][4].min, 3);
	assert_int_equal(x->scores[REBUY_RFM_F][4].max, 5);
	assert_int_equal(x->scores[REBUY_RFM_M][0].min, 0);
	assert_int_equal(x->scores[REBUY_RFM_M][0].max, UNITS(10));
	assert_int_equal(x->scores[REBUY_RFM_M][4].min, UNITS(60));
	assert_int_equal(x->scores[REBUY_RFM_M][4].max, UNITS(100));
	rebuy_rfm_free(x);
	rebuy_orders_free(o);
}

/* The segment summary of fixture T. Revenue: 10+10+10+50+60+0+100+50+10+20
 * = 320.
 *   new_customers c01 c02: 2 (0.2), revenue 20; recency 1 1 -> 1; F 1 1
 *     -> 1; M 10 10 -> 10.
 *   loyal c03 c10: 2, revenue 30; recency 11 2 -> (2 + 11) / 2 = 6.5; F 2 5
 *     -> 3.5; M 10 20 -> 15.
 *   about_to_sleep c04: 1 (0.1), 50; 11, 1, 50.
 *   cant_lose c05: 1, 60; 31, 3, 60.
 *   hibernating c06 c07 c09: 3 (0.3), 0 + 100 + 10 = 110; recency 31 61 92
 *     -> 61; F 1 1 1 -> 1; M 0 10 100 -> 10.
 *   at_risk c08: 1, 50; 61, 2, 50.
 *   champions, potential_loyalists, promising, need_attention: none
 *     (share 0, revenue 0, medians not defined). */
static void test_rfm__segment_summary_counts_shares_and_medians(void **state)
{
	(void)state;
	struct rebuy_orders *o = load(fixture_t);
	struct rebuy_rfm *x = rfm_default(o);
	assert_int_equal(x->n_segments, 10); /* the default map covers every cell: no other */
	assert_int_equal(x->revenue, UNITS(320));
	static const struct {
		const char *name;
		uint64_t n;
		int64_t revenue;
		double med_r, med_f, med_m;
	} want[] = {
	        {"champions", 0, 0, NAN, NAN, NAN},
	        {"loyal", 2, 30, 6.5, 3.5, 15},
	        {"potential_loyalists", 0, 0, NAN, NAN, NAN},
	        {"new_customers", 2, 20, 1, 1, 10},
	        {"promising", 0, 0, NAN, NAN, NAN},
	        {"need_attention", 0, 0, NAN, NAN, NAN},
	        {"about_to_sleep", 1, 50, 11, 1, 50},
	        {"cant_lose", 1, 60, 31, 3, 60},
	        {"at_risk", 1, 50, 61, 2, 50},
	        {"hibernating", 3, 110, 61, 1, 10},
	};
	for (size_t g = 0; g < 10; g++) {
		const struct rebuy_rfm_segment *s = &x->segments[g];
		assert_string_equal(s->name, want[g].name);
		assert_int_equal(s->customers, want[g].n);
		assert_int_equal(s->revenue, UNITS(want[g].revenue));
		NEAR(s->share, (double)want[g].n / 10.0);
		NEAR(s->revenue_share, (double)want[g].revenue / 320.0);
		NEAR(s->median_recency_days, want[g].med_r);
		NEAR(s->median_frequency, want[g].med_f);
		NEAR(s->median_monetary, want[g].med_m);
	}
	rebuy_rfm_free(x);
	rebuy_orders_free(o);
}

/* The per-customer CSV of fixture T, sorted by key, exactly: the columns
 * of the issue, money as exact decimals. */
static void test_rfm__customer_csv_is_sorted_by_key(void **state)
{
	(void)state;
	static const char want[] = "customer,recency_days,frequency,monetary,r,f,m,segment\n"
	                           "c01,1,1,10,5,1,1,new_customers\n"
	                           "c02,1,1,10,5,1,1,new_customers\n"
	                           "c03,11,2,10,3,4,1,loyal\n"
	                           "c04,11,1,50,3,1,4,about_to_sleep\n"
	                           "c05,31,3,60,2,5,5,cant_lose\n"
	                           "c06,31,1,0,2,1,1,hibernating\n"
	                           "c07,61,1,100,1,1,5,hibernating\n"
	                           "c08,61,2,50,1,4,4,at_risk\n"
	                           "c09,92,1,10,1,1,1,hibernating\n"
	                           "c10,2,5,20,4,5,3,loyal\n";
	struct rebuy_orders *o = load(fixture_t);
	struct rebuy_rfm *x = rfm_default(o);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(rebuy_rfm_write_customers(x, o, NULL, f, REBUY_FORMAT_CSV, NULL),
	                 REBUY_OK);
	fclose(f);
	assert_string_equal(buf, want);
	free(buf);
	/* --segment hibernating,at_risk: c06 c07 c08 c09 */
	unsigned char keep[10] = {0};
	keep[seg_index(x, "hibernating")] = 1;
	keep[seg_index(x, "at_risk")] = 1;
	f = open_memstream(&buf, &len);
	assert_int_equal(rebuy_rfm_write_customers(x, o, keep, f, REBUY_FORMAT_CSV, NULL),
	                 REBUY_OK);
	fclose(f);
	assert_string_equal(buf, "customer,recency_days,frequency,monetary,r,f,m,segment\n"
	                         "c06,31,1,0,2,1,1,hibernating\n"
	                         "c07,61,1,100,1,1,5,hibernating\n"
	                         "c08,61,2,50,1,4,4,at_risk\n"
	                         "c09,92,1,10,1,1,1,hibernating\n");
	free(buf);
	rebuy_rfm_free(x);
	rebuy_orders_free(o);
}

/* Transitions of fixture T from 2024-03-01 (purchases before it: day <
 * Mar 1) to 2024-04-01:
 *   c05: 02-01, 02-15 -> recency Mar 1 - Feb 15 = 15, F 2, M 40
 *   c07: 01-31 -> 30, 1, 100;  c08: 01-01, 01-31 -> 30, 2, 50
 *   c09: 2023-12-31 -> 1 + 31 + 29 = 61, 1, 10
 *   c10: 2023-12-01, 01-15, 02-15 -> 15, 3, 12
 *   c01 c02 c03 c04 c06: no purchase before Mar 1 (c03, c06 bought on it)
 *     -> new.
 * n = 5: score = 1 + floor(5k / 5) = 1 + k.
 *   R: 15 (c05 c10): 3 larger -> 4; 30 (c07 c08): 1 -> 2; 61 (c09): 1.
 *   F: 1 (c07 c09) -> 1; 2 (c05 c08): 2 smaller -> 3; 3 (c10): 4 -> 5.
 * Then: c05 (4,3) potential_loyalists, c10 (4,5) loyal, c07 (2,1)
 * hibernating, c08 (2,3) at_risk, c09 (1,1) hibernating.
 * Now (above): c05 cant_lose, c10 loyal, c07 c09 hibernating, c08 at_risk;
 * new: c01 c02 new_customers, c03 loyal, c04 about_to_sleep, c06
 * hibernating.
 * Matrix: potential_loyalists -> cant_lose 1; loyal -> loyal 1;
 * at_risk -> at_risk 1; hibernating -> hibernating 2; new -> new_customers
 * 2, loyal 1, about_to_sleep 1, hibernating 1 (row shares 0.4 0.2 0.2
 * 0.2). Every other cell 0. */
static void test_rfm__transitions_between_two_dates(void **state)
{
	(void)state;
	struct rebuy_orders *o = load(fixture_t);
	struct rebuy_rfm_options ro;
	rebuy_rfm_options_init(&ro);
	ro.n_threads = 1;
	ro.has_transitions = 1;
	ro.transitions_day = day(2024, 3, 1);
	struct rebuy_rfm *x = rfm_of(o, &ro);
	check_customers(x, o, want_t, 10); /* the main as-of date is unchanged */
	assert_int_equal(x->n_customers_before, 5);
	static const struct {
		const char *key, *then;
	} then[] = {{"c01", "new"},
	            {"c02", "new"},
	            {"c03", "new"},
	            {"c04", "new"},
	            {"c05", "potential_loyalists"},
	            {"c06", "new"},
	            {"c07", "hibernating"},
	            {"c08", "at_risk"},
	            {"c09", "hibernating"},
	            {"c10", "loyal"}};
	for (size_t i = 0; i < 10; i++)
		assert_string_equal(seg_name(x, cust(x, o, then[i].key)->segment_before),
		                    then[i].then);
	size_t ns = x->n_segments;
	uint64_t want[11][10];
	memset(want, 0, sizeof want);
	want[seg_index(x, "potential_loyalists")][seg_index(x, "cant_lose")] = 1;
	want[seg_index(x, "loyal")][seg_index(x, "loyal")] = 1;
	want[seg_index(x, "at_risk")][seg_index(x, "at_risk")] = 1;
	want[seg_index(x, "hibernating")][seg_index(x, "hibernating")] = 2;
	want[ns][seg_index(x, "new_customers")] = 2;
	want[ns][seg_index(x, "loyal")] = 1;
	want[ns][seg_index(x, "about_to_sleep")] = 1;
	want[ns][seg_index(x, "hibernating")] = 1;
	for (size_t a = 0; a <= ns; a++)
		for (size_t b = 0; b < ns; b++)
			if (x->transitions[a * ns + b] != want[a][b])
				fail_msg("transitions %s -> %s = %llu, want %llu",
				         seg_name(x, (uint8_t)a), seg_name(x, (uint8_t)b),
				         (unsigned long long)x->transitions[a * ns + b],
				         (unsigned long long)want[a][b]);
	/* the shares of the new row, as the document writes them */
	struct rebuy_doc *doc = rebuy_doc_new();
	rebuy_rfm_doc(x, NULL, doc, rebuy_doc_root(doc));
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(rebuy_doc_write_json(doc, rebuy_doc_root(doc), f), REBUY_OK);
	fclose(f);
	assert_non_null(strstr(buf,
	                       "{\"segment\": \"new\", \"champions\": 0, \"loyal\": 0.2, "
	                       "\"potential_loyalists\": 0, \"new_customers\": 0.4, "
	                       "\"promising\": 0, \"need_attention\": 0, \"about_to_sleep\": "
	                       "0.2, \"cant_lose\": 0, \"at_risk\": 0, \"hibernating\": 0.2}"));
	assert_non_null(strstr(buf, "\"customers_before\": 5,\n"));
	assert_non_null(strstr(buf, "\"new_customers\": 5,\n"));
	free(buf);
	rebuy_doc_free(doc);
	/* the CSV gains previous_segment */
	f = open_memstream(&buf, &len);
	assert_int_equal(rebuy_rfm_write_customers(x, o, NULL, f, REBUY_FORMAT_CSV, NULL),
	                 REBUY_OK);
	fclose(f);
	assert_non_null(
	        strstr(buf, "segment,previous_segment\nc01,1,1,10,5,1,1,new_customers,new\n"));
	assert_non_null(strstr(buf, "\nc05,31,3,60,2,5,5,cant_lose,potential_loyalists\n"));
	free(buf);
	rebuy_rfm_free(x);
	rebuy_orders_free(o);
}

/* A transitions date on or before the first purchase: nobody was a
 * customer then, so every customer is in the new row (10 of them). */
static void test_rfm__transitions_before_the_data_make_everyone_new(void **state)
{
	(void)state;
	struct rebuy_orders *o = load(fixture_t);
	struct rebuy_rfm_options ro;
	rebuy_rfm_options_init(&ro);
	ro.n_threads = 1;
	ro.has_transitions = 1;
	ro.transitions_day = day(2000, 1, 1);
	struct rebuy_rfm *x = rfm_of(o, &ro);
	assert_int_equal(x->n_customers_before, 0);
	uint64_t n_new = 0;
	for (size_t b = 0; b < x->n_segments; b++)
		n_new += x->transitions[x->n_segments * x->n_segments + b];
	assert_int_equal(n_new, 10);
	rebuy_rfm_free(x);
	rebuy_orders_free(o);
}

/* ------------------------------------------------------------------------
 * Recency edges. Purchases: x 2024-05-10 23:59:59; y 2024-05-09 and
 * 2024-05-10 00:00:00; z 2024-05-01.
 *   default as-of 2024-05-11: x 1, y 1 (the day counts, not the time), z 10.
 *   --as-of 2024-05-20 (after the data): x 10, y 10, z 19.
 *   --as-of 2024-05-10 given to the loader too (orders on or after it left
 *     out): x has no purchase (not a customer), y 1 (05-09), z 9.
 *   --as-of 2024-05-10 on the full table: the last purchase is not before
 *     it -> an error, not a negative recency.
 * ------------------------------------------------------------------------ */
static const char fixture_edges[] = "customer,date,amount\n"
                                    "z,2024-05-01 12:00,3.00\n"
                                    "y,2024-05-09 23:00,1.00\n"
                                    "y,2024-05-10 00:00:00,1.00\n"
                                    "x,2024-05-10 23:59:59,2.00\n";

static void test_rfm__recency_is_days_from_the_last_purchase_day_to_the_as_of_date(void **state)
{
	(void)state;
	struct rebuy_orders *o = load(fixture_edges);
	struct rebuy_rfm *x = rfm_default(o);
	assert_int_equal(x->as_of_day, day(2024, 5, 11));
	assert_int_equal(cust(x, o, "x")->recency_days, 1);
	assert_int_equal(cust(x, o, "y")->recency_days, 1);
	assert_int_equal(cust(x, o, "z")->recency_days, 10);
	rebuy_rfm_free(x);

	struct rebuy_rfm_options ro;
	rebuy_rfm_options_init(&ro);
	ro.n_threads = 1;
	ro.has_as_of = 1;
	ro.as_of_day = day(2024, 5, 20);
	x = rfm_of(o, &ro);
	assert_int_equal(cust(x, o, "x")->recency_days, 10);
	assert_int_equal(cust(x, o, "y")->recency_days, 10);
	assert_int_equal(cust(x, o, "z")->recency_days, 19);
	rebuy_rfm_free(x);

	ro.as_of_day = day(2024, 5, 10);
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_rfm_compute(o, &ro, &x, &err), REBUY_EARG);
	assert_null(x);
	assert_string_equal(err.msg, "--as-of must be after the last purchase day in the data");
	rebuy_orders_free(o);

	o = load_as_of(fixture_edges, day(2024, 5, 10), 1);
	x = rfm_of(o, &ro);
	assert_int_equal(x->n_customers, 2);
	assert_int_equal(cust(x, o, "y")->recency_days, 1);
	assert_int_equal(cust(x, o, "y")->frequency, 1);
	assert_int_equal(cust(x, o, "z")->recency_days, 9);
	rebuy_rfm_free(x);
	rebuy_orders_free(o);
}

/* ------------------------------------------------------------------------
 * Fixture S (built in code): 20 customers k01..k20; customer k's last
 * purchase is k days before the as-of date 2024-07-01 and it has freq[k]
 * orders of 10.00, 30 days apart. Recencies 1..20 are distinct:
 *   R = 1 + floor(5 * (20 - k) / 20) = 1 + floor((20 - k) / 4):
 *   k01-k04 R5, k05-k08 R4, k09-k12 R3, k13-k16 R2, k17-k20 R1.
 * Four customers have each frequency 1..5, so frequency f has 4(f - 1)
 * customers below it: F = 1 + floor(5 * 4(f - 1) / 20) = f.
 * ------------------------------------------------------------------------ */
static const unsigned freq_s[21] = {0, 5, 4, 1, 2, 1, 4, 3, 5, 3, 1, 2, 5, 5, 3, 4, 2, 1, 2, 4, 3};

static char *fixture_s(void)
{
	size_t cap = 8192, len = 0;
	char *t = malloc(cap);
	assert_non_null(t);
	len += (size_t)snprintf(t, cap, "customer,order,date,amount\n");
	int64_t as_of = day(2024, 7, 1);
	for (int k = 1; k <= 20; k++)
		for (unsigned i = 0; i < freq_s[k]; i++) {
			char d[16];
			rebuy_format_day(as_of - k - 30 * (int64_t)i, d, sizeof d);
			len += (size_t)snprintf(t + len, cap - len, "k%02d,k%02d-%u,%s,10.00\n", k,
			                        k, i, d);
			assert_true(len < cap);
		}
	return t;
}

/* Every segment of the default map, from the (R, F) of each customer:
 *   k01 (5,5) k02 (5,4) champions; k03 (5,1) new_customers; k04 (5,2)
 *   potential_loyalists; k05 (4,1) promising; k06 (4,4) loyal; k07 (4,3)
 *   potential_loyalists; k08 (4,5) loyal; k09 (3,3) need_attention; k10
 *   (3,1) k11 (3,2) about_to_sleep; k12 (3,5) loyal; k13 (2,5) cant_lose;
 *   k14 (2,3) k15 (2,4) at_risk; k16 (2,2) hibernating; k17 (1,1) k18
 *   (1,2) hibernating; k19 (1,4) k20 (1,3) at_risk.
 * Counts: champions 2, loyal 3, potential_loyalists 2, new_customers 1,
 * promising 1, need_attention 1, about_to_sleep 2, cant_lose 1, at_risk 4,
 * hibernating 3. */
static void test_rfm__every_default_segment_is_reached(void **state)
{
	(void)state;
	static const char *const want[21] = {NULL,
	                                     "champions",
	                                     "champions",
	                                     "new_customers",
	                                     "potential_loyalists",
	                                     "promising",
	                                     "loyal",
	                                     "potential_loyalists",
	                                     "loyal",
	                                     "need_attention",
	                                     "about_to_sleep",
	                                     "about_to_sleep",
	                                     "loyal",
	                                     "cant_lose",
	                                     "at_risk",
	                                     "at_risk",
	                                     "hibernating",
	                                     "hibernating",
	                                     "hibernating",
	                                     "at_risk",
	                                     "at_risk"};
	static const unsigned want_r[21] = {0, 5, 5, 5, 5, 4, 4, 4, 4, 3, 3,
	                                    3, 3, 2, 2, 2, 2, 1, 1, 1, 1};
	static const uint64_t counts[10] = {2, 3, 2, 1, 1, 1, 2, 1, 4, 3};
	char *text = fixture_s();
	struct rebuy_orders *o = load(text);
	struct rebuy_rfm *x = rfm_default(o);
	assert_int_equal(x->n_customers, 20);
	for (int k = 1; k <= 20; k++) {
		char key[8];
		snprintf(key, sizeof key, "k%02d", k);
		const struct rebuy_rfm_customer *c = cust(x, o, key);
		assert_int_equal(c->recency_days, k);
		assert_int_equal(c->r, want_r[k]);
		assert_int_equal(c->f, freq_s[k]);
		if (strcmp(seg_name(x, c->segment), want[k]) != 0)
			fail_msg("%s is %s, want %s", key, seg_name(x, c->segment), want[k]);
	}
	for (size_t g = 0; g < 10; g++)
		assert_int_equal(x->segments[g].customers, counts[g]);
	rebuy_rfm_free(x);
	rebuy_orders_free(o);
	free(text);
}

/* Three bins on fixture S, with a rules file that leaves cells to "other":
 *   R = 1 + floor(3 (20 - k) / 20): 20 - k in 0..6 -> 1 (k14-k20), 7..13 ->
 *     2 (k07-k13), 14..19 -> 3 (k01-k06).
 *   F (and M = 10 F, the same ranks): frequency 1 -> 1 + floor(3*0/20) = 1;
 *     2 -> floor(12/20) = 0 -> 1; 3 -> floor(24/20) = 1 -> 2; 4 -> 36/20 ->
 *     2; 5 -> 48/20 -> 3.
 * Rules: best R3 F3; active R3 F1-2; lapsing R2 (any F); lost R1 M1. Cells
 * not covered: R1 with M 2-3, any F: 3 x 2 = 6 of 27.
 *   k01 (3, freq 5 -> F3) best; k02-k06 (R3, freq 4 1 2 1 4 -> F 2 1 1 1 2)
 *   active; k07-k13 lapsing; R1: k14 (freq 3, M2) other, k15 (4, M2)
 *   other, k16 (2, M1) lost, k17 (1, M1) lost, k18 (2, M1) lost, k19 (4,
 *   M2) other, k20 (3, M2) other.
 * Counts: best 1, active 5, lapsing 7, lost 3, other 4. */
static void test_rfm__three_bins_with_a_rules_file_and_other(void **state)
{
	(void)state;
	struct rebuy_rfm_map *map = parse_ok("# three bins\n"
	                                     "bins,3\n"
	                                     "segment,r,f,m\n"
	                                     "best,3,3\n"
	                                     "active,3,1-2\n"
	                                     "lapsing,2,*\n"
	                                     "lost,1,*,1\n",
	                                     0);
	assert_int_equal(map->bins, 3);
	assert_int_equal(map->uses_m, 1);
	assert_int_equal(map->n_cells, 27);
	assert_int_equal(map->n_uncovered, 6);
	assert_int_equal(map->has_other, 1);
	char *text = fixture_s();
	struct rebuy_orders *o = load(text);
	struct rebuy_rfm_options ro;
	rebuy_rfm_options_init(&ro);
	ro.n_threads = 1;
	ro.map = map;
	struct rebuy_rfm *x = rfm_of(o, &ro);
	rebuy_rfm_map_free(map); /* the result keeps its own copy */
	assert_int_equal(x->bins, 3);
	assert_int_equal(x->n_segments, 5);
	static const char *const names[5] = {"best", "active", "lapsing", "lost", "other"};
	static const uint64_t counts[5] = {1, 5, 7, 3, 4};
	for (size_t g = 0; g < 5; g++) {
		assert_string_equal(x->segments[g].name, names[g]);
		assert_int_equal(x->segments[g].customers, counts[g]);
	}
	static const char *const want[21] = {
	        NULL,      "best",    "active",  "active",  "active",  "active",  "active",
	        "lapsing", "lapsing", "lapsing", "lapsing", "lapsing", "lapsing", "lapsing",
	        "other",   "other",   "lost",    "lost",    "lost",    "other",   "other"};
	for (int k = 1; k <= 20; k++) {
		char key[8];
		snprintf(key, sizeof key, "k%02d", k);
		assert_string_equal(seg_name(x, cust(x, o, key)->segment), want[k]);
	}
	char rule[64];
	rebuy_rfm_map_describe(x->map, 3, rule, sizeof rule);
	assert_string_equal(rule, "R1 M1");
	rebuy_rfm_map_describe(x->map, 4, rule, sizeof rule);
	assert_string_equal(rule, "no rule matches");
	rebuy_rfm_free(x);
	rebuy_orders_free(o);
	free(text);
}

/* Ten bins on fixture S, with a segment given by two rules (a union):
 *   R = 1 + floor(10 (20 - k) / 20) = 1 + floor((20 - k) / 2): k01 k02 10,
 *     k03 k04 9, k05 k06 8, k07 k08 7, k09 k10 6, k11 k12 5, k13 k14 4,
 *     k15 k16 3, k17 k18 2, k19 k20 1.
 *   F: frequency f has 4(f - 1) below: 1 + floor(10 * 4(f-1) / 20) =
 *     1 + 2(f - 1): 1 -> 1, 2 -> 3, 3 -> 5, 4 -> 7, 5 -> 9 (even scores
 *     empty).
 * Rules: vip R9-10 F9-10; vip R7-10 F7-10; regular F3-8; rest (any).
 *   k01 (10, F9) vip; k02 (10, F7) vip; k03 (9, F1) rest; k04 (9, F3)
 *   regular; k05 (8, F1) rest; k06 (8, F7) vip; k07 (7, F5) regular; k08
 *   (7, F9) vip; k09 (6, F5) regular; k10 (6, F1) rest; k11 (5, F3)
 *   regular; k12 (5, F9) rest; k13 (4, F9) rest; k14 (4, F5) regular; k15
 *   (3, F7) regular; k16 (3, F3) regular; k17 (2, F1) rest; k18 (2, F3)
 *   regular; k19 (1, F7) regular; k20 (1, F5) regular.
 * Counts: vip 4, regular 10, rest 6; no other (the last rule covers all). */
static void test_rfm__ten_bins_with_a_segment_of_two_rules(void **state)
{
	(void)state;
	struct rebuy_rfm_map *map = parse_ok("vip,9-10,9-10\n"
	                                     "vip,7-10,7-10\n"
	                                     "regular,*,3-8\n"
	                                     "rest,*,*\n",
	                                     10);
	assert_int_equal(map->bins, 10);
	assert_int_equal(map->n_segments, 3);
	assert_int_equal(map->n_rules, 4);
	assert_int_equal(map->has_other, 0);
	char *text = fixture_s();
	struct rebuy_orders *o = load(text);
	struct rebuy_rfm_options ro;
	rebuy_rfm_options_init(&ro);
	ro.n_threads = 2;
	ro.bins = 10;
	ro.map = map;
	struct rebuy_rfm *x = rfm_of(o, &ro);
	static const unsigned want_r[21] = {0, 10, 10, 9, 9, 8, 8, 7, 7, 6, 6,
	                                    5, 5,  4,  4, 3, 3, 2, 2, 1, 1};
	static const char *const want[21] = {
	        NULL,      "vip",     "vip",     "rest", "regular", "rest",    "vip",
	        "regular", "vip",     "regular", "rest", "regular", "rest",    "rest",
	        "regular", "regular", "regular", "rest", "regular", "regular", "regular"};
	for (int k = 1; k <= 20; k++) {
		char key[8];
		snprintf(key, sizeof key, "k%02d", k);
		const struct rebuy_rfm_customer *c = cust(x, o, key);
		assert_int_equal(c->r, want_r[k]);
		assert_int_equal(c->f, 1 + 2 * (freq_s[k] - 1));
		assert_string_equal(seg_name(x, c->segment), want[k]);
	}
	assert_int_equal(x->segments[0].customers, 4);
	assert_int_equal(x->segments[1].customers, 10);
	assert_int_equal(x->segments[2].customers, 6);
	for (int s = 2; s <= 10; s += 2)
		assert_int_equal(x->scores[REBUY_RFM_F][s - 1].customers, 0);
	char rule[64];
	rebuy_rfm_map_describe(x->map, 0, rule, sizeof rule);
	assert_string_equal(rule, "R9-10 F9-10 or R7-10 F7-10");
	rebuy_rfm_free(x);
	rebuy_rfm_map_free(map);
	rebuy_orders_free(o);
	free(text);
}

/* The default map covers all 25 (R, F) cells (DESIGN.md §4), M never
 * matters, and it prints as a rules file that reads back the same. */
static void test_rfm__default_map_covers_every_cell(void **state)
{
	(void)state;
	/* want[r-1][f-1], from the table in DESIGN.md §4, first match */
	static const char *const want[5][5] = {
	        {"hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"},
	        {"hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"},
	        {"about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"},
	        {"promising", "potential_loyalists", "potential_loyalists", "loyal", "loyal"},
	        {"new_customers", "potential_loyalists", "potential_loyalists", "champions",
	         "champions"},
	};
	struct rebuy_rfm_map *map = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_rfm_map_default(&map, &err), REBUY_OK);
	assert_int_equal(map->bins, 5);
	assert_int_equal(map->n_segments, 10);
	assert_int_equal(map->uses_m, 0);
	assert_int_equal(map->n_cells, 25);
	assert_int_equal(map->n_uncovered, 0);
	assert_int_equal(map->has_other, 0);
	assert_string_equal(map->source, "default");
	for (unsigned r = 1; r <= 5; r++)
		for (unsigned f = 1; f <= 5; f++)
			for (unsigned m = 1; m <= 5; m++)
				assert_string_equal(
				        rebuy_rfm_map_segment_name(
				                map, rebuy_rfm_map_classify(map, r, f, m)),
				        want[r - 1][f - 1]);
	size_t n = rebuy_rfm_map_format(map, NULL, 0);
	char *text = malloc(n + 1);
	assert_int_equal(rebuy_rfm_map_format(map, text, n + 1), n);
	assert_non_null(strstr(text, "\nbins,5\nsegment,r,f\nchampions,5,4-5\nloyal,3-4,4-5\n"));
	struct rebuy_rfm_map *back = parse_ok(text, 0);
	assert_int_equal(back->n_rules, map->n_rules);
	assert_memory_equal(back->cell, map->cell, sizeof map->cell);
	for (size_t i = 0; i < map->n_segments; i++)
		assert_string_equal(back->names[i], map->names[i]);
	/* a cut buffer stays terminated and the length is still the whole */
	char small[10];
	assert_int_equal(rebuy_rfm_map_format(map, small, sizeof small), n);
	assert_int_equal(strlen(small), 9);
	free(text);
	rebuy_rfm_map_free(back);
	rebuy_rfm_map_free(map);
}

/* What a spreadsheet or an editor leaves in a file is read: a byte-order
 * mark, CRLF, comments, blank lines, spaces, ';' and tab separators,
 * trailing empty fields, "4 - 5", a UTF-8 name; the rules keep file order
 * and line numbers. */
static void test_rfm__rules_files_as_people_write_them(void **state)
{
	(void)state;
	static const char text[] =
	        "\xEF\xBB\xBF# my map\r\n"
	        "\r\n"
	        "Segment;R;F;M\r\n"
	        "  best ; 5 ; 4 - 5 ;\r\n"
	        "\xD0\xBB\xD0\xBE\xD1\x8F\xD0\xBB\xD1\x8C\xD0\xBD\xD1\x8B\xD0\xB5\t"
	        "3-5\t3-5\t\r\n"
	        "rest,*,*,,\n";
	struct rebuy_rfm_map *m = parse_ok(text, 5);
	assert_int_equal(m->bins, 5);
	assert_int_equal(m->n_rules, 3);
	assert_int_equal(m->n_segments, 3);
	assert_string_equal(m->names[0], "best");
	assert_string_equal(m->names[1],
	                    "\xD0\xBB\xD0\xBE\xD1\x8F\xD0\xBB\xD1\x8C\xD0\xBD\xD1\x8B\xD0\xB5");
	assert_string_equal(m->names[2], "rest");
	assert_int_equal(m->rules[0].line, 4);
	assert_int_equal(m->rules[0].r.lo, 5);
	assert_int_equal(m->rules[0].f.lo, 4);
	assert_int_equal(m->rules[0].f.hi, 5);
	assert_int_equal(m->rules[0].m.lo, 1); /* empty M: any */
	assert_int_equal(m->rules[0].m.hi, 5);
	assert_int_equal(m->rules[1].line, 5);
	assert_int_equal(m->rules[2].line, 6);
	assert_int_equal(m->uses_m, 0);
	assert_int_equal(m->has_other, 0);
	/* (5,5) best; (4,3) the Cyrillic one; (5,3): best needs F4-5, so the
	 * second rule; (2,2) rest */
	assert_int_equal(rebuy_rfm_map_classify(m, 5, 5, 1), 0);
	assert_int_equal(rebuy_rfm_map_classify(m, 4, 3, 1), 1);
	assert_int_equal(rebuy_rfm_map_classify(m, 5, 3, 1), 1);
	assert_int_equal(rebuy_rfm_map_classify(m, 2, 2, 5), 2);
	rebuy_rfm_map_free(m);
}

/* Each mistake is an error naming the file and line and what is wrong. */
static void test_rfm__rules_errors_name_the_file_and_line(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		unsigned bins;
		enum rebuy_status st;
		const char *msg;
	} cases[] = {
	        {"a,5,6\n", 5, REBUY_EARG,
	         "rules.csv:1: F range '6' is outside 1..5 (the scores of 5 bins)"},
	        {"# c\na,5-4,1\n", 5, REBUY_EARG,
	         "rules.csv:2: R range '5-4' runs backwards (write 4-5)"},
	        {"a,x,1\n", 5, REBUY_EARG,
	         "rules.csv:1: cannot read the R range 'x' (a score like 4, a range like 4-5, or "
	         "*)"},
	        {"a,0,1\n", 5, REBUY_EARG,
	         "rules.csv:1: R range '0' is outside 1..5 (the scores of 5 bins)"},
	        {"a,1,1,100\n", 5, REBUY_EARG,
	         "rules.csv:1: M range '100' is outside 1..5 (the scores of 5 bins)"},
	        {"a,1,\n", 5, REBUY_EARG,
	         "rules.csv:1: cannot read the F range '' (a score like 4, a range like 4-5, or "
	         "*)"},
	        {"a,1\n", 5, REBUY_EARG, "rules.csv:1: 2 fields: a rule is segment,R,F[,M]"},
	        {"a,1,1,1,1\n", 5, REBUY_EARG,
	         "rules.csv:1: more than 4 fields: a rule is segment,R,F[,M]"},
	        {"other,1,1\n", 5, REBUY_EARG,
	         "rules.csv:1: segment name 'other' is reserved (other, new, segment, customers "
	         "and "
	         "bins have a meaning of their own)"},
	        {"New,1,1\n", 5, REBUY_EARG,
	         "rules.csv:1: segment name 'New' is reserved (other, new, segment, customers and "
	         "bins have a meaning of their own)"},
	        {"1st,1,1\n", 5, REBUY_EARG,
	         "rules.csv:1: segment name '1st' must start with a letter"},
	        {"a=b,1,1\n", 5, REBUY_EARG,
	         "rules.csv:1: segment name 'a=b' has '=': use letters, digits, '_', '-', '.' and "
	         "spaces"},
	        {"a\xC3,1,1\n", 5, REBUY_EARG, "rules.csv:1: segment name 'a?' is not valid UTF-8"},
	        {",1,1\n", 5, REBUY_EARG, "rules.csv:1: the segment name is empty"},
	        {"bins,7\na,1,1\n", 5, REBUY_EARG,
	         "rules.csv:1: the rules are for 7 bins but --bins is 5"},
	        {"bins,11\n", 0, REBUY_EARG, "rules.csv:1: bins '11' is not from 3 to 10"},
	        {"bins,x\n", 0, REBUY_EARG,
	         "rules.csv:1: a bins line is 'bins,N' with N from 3 to 10"},
	        {"a,1,1\nbins,5\n", 0, REBUY_EARG,
	         "rules.csv:2: the bins line must come first, once"},
	        {"a,1,1\nsegment,r,f\n", 0, REBUY_EARG,
	         "rules.csv:2: the header line must come before the rules"},
	        {"a,1,1\nb,1,1\x01\n", 0, REBUY_EARG,
	         "rules.csv:2: cannot read the F range '1?' (a score like 4, a range like 4-5, or "
	         "*)"},
	        {"# nothing\n\n", 0, REBUY_EARG,
	         "rules.csv: no rules (a rule is a line segment,R,F[,M]; see docs/rfm.md)"},
	        {"", 0, REBUY_EARG,
	         "rules.csv: no rules (a rule is a line segment,R,F[,M]; see docs/rfm.md)"},
	        {"a,6,1\n", 0, REBUY_EARG,
	         "rules.csv:1: R range '6' is outside 1..5 (the scores of 5 bins)"},
	        {"a,1,1\n", 2, REBUY_EARG, "--bins 2 is not from 3 to 10"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct rebuy_rfm_map *m = (struct rebuy_rfm_map *)1;
		struct rebuy_error err = {0};
		enum rebuy_status st = rebuy_rfm_map_parse(&m, cases[i].text, strlen(cases[i].text),
		                                           "rules.csv", cases[i].bins, &err);
		if (st != cases[i].st || strcmp(err.msg, cases[i].msg) != 0)
			fail_msg("case %zu: status %d '%s', want %d '%s'", i, st, err.msg,
			         cases[i].st, cases[i].msg);
		assert_null(m);
	}
	/* a NUL byte (the length is explicit, so it is inside the text) */
	struct rebuy_rfm_map *m = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_rfm_map_parse(&m, "a,1,1\nb,1\0,1\n", 13, "r", 0, &err), REBUY_EARG);
	assert_string_equal(err.msg, "r:2: a NUL byte: this is not a text file");
}

/* The size bounds: a file over 64 KiB, a line over 1024 bytes, more than
 * 256 rules, more than 64 segments. */
static void test_rfm__rules_files_are_bounded(void **state)
{
	(void)state;
	size_t cap = REBUY_RFM_RULES_MAX_BYTES + 16;
	char *t = malloc(cap);
	memset(t, '#', cap);
	struct rebuy_rfm_map *m = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_rfm_map_parse(&m, t, REBUY_RFM_RULES_MAX_BYTES + 1, "big", 0, &err),
	                 REBUY_ELIMIT);
	assert_string_equal(err.msg, "big: larger than 64 KiB (a rules file is a few lines)");
	/* one 1025-byte comment line */
	t[1025] = '\n';
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_rfm_map_parse(&m, t, 1026, "long", 0, &err), REBUY_ELIMIT);
	assert_string_equal(err.msg, "long:1: the line is longer than 1024 bytes");
	/* 257 rules of one segment */
	size_t len = 0;
	for (int i = 0; i < 257; i++)
		len += (size_t)snprintf(t + len, cap - len, "a,1,1\n");
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_rfm_map_parse(&m, t, len, "many", 0, &err), REBUY_ELIMIT);
	assert_string_equal(err.msg, "many:257: more than 256 rules");
	/* 65 segments */
	len = 0;
	for (int i = 0; i < 65; i++)
		len += (size_t)snprintf(t + len, cap - len, "s%d,1,1\n", i);
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_rfm_map_parse(&m, t, len, "wide", 0, &err), REBUY_ELIMIT);
	assert_string_equal(err.msg, "wide:65: more than 64 segments");
	assert_null(m);
	free(t);
	/* a file that is not there */
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_rfm_map_load(&m, "/nonexistent/rules.csv", 0, &err), REBUY_EIO);
	assert_string_equal(err.msg,
	                    "/nonexistent/rules.csv: cannot open the rules file: No such file or "
	                    "directory");
	/* and one that is */
	const char *path = tu_temp_text(0, "bins,4\nhigh,3-4,3-4\n");
	assert_int_equal(rebuy_rfm_map_load(&m, path, 0, &err), REBUY_OK);
	assert_int_equal(m->bins, 4);
	assert_string_equal(m->source, path);
	/* 16 cells, 12 not covered */
	assert_int_equal(m->n_uncovered, 12);
	rebuy_rfm_map_free(m);
}

/* Options the computation refuses, each with its message. */
static void test_rfm__bad_options_are_errors(void **state)
{
	(void)state;
	struct rebuy_orders *o = load(fixture_t);
	struct rebuy_rfm_options ro;
	struct rebuy_rfm *x = NULL;
	struct rebuy_error err = {0};
	/* --bins 7 with the default map */
	rebuy_rfm_options_init(&ro);
	ro.bins = 7;
	assert_int_equal(rebuy_rfm_compute(o, &ro, &x, &err), REBUY_EARG);
	assert_string_equal(err.msg, "--bins 7 needs a rules file (--rules FILE): the default "
	                             "segment map is for 5 bins (docs/rfm.md)");
	/* a 3-bin map with --bins 5 */
	struct rebuy_rfm_map *map = parse_ok("bins,3\na,*,*\n", 0);
	ro.bins = 5;
	ro.map = map;
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_rfm_compute(o, &ro, &x, &err), REBUY_EARG);
	assert_string_equal(err.msg, "rules.csv: the rules are for 3 bins but --bins is 5");
	rebuy_rfm_map_free(map);
	/* --bins 11 */
	rebuy_rfm_options_init(&ro);
	ro.bins = 11;
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_rfm_compute(o, &ro, &x, &err), REBUY_EARG);
	assert_string_equal(err.msg, "--bins 11 is not from 3 to 10");
	/* transitions on the as-of date */
	rebuy_rfm_options_init(&ro);
	ro.has_transitions = 1;
	ro.transitions_day = day(2024, 4, 1);
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_rfm_compute(o, &ro, &x, &err), REBUY_EARG);
	assert_string_equal(err.msg, "--transitions must be a day before the as-of date");
	assert_null(x);
	rebuy_orders_free(o);
	/* returns only: no purchase to score */
	o = load("customer,date,amount\na,2024-01-01,-5.00\n");
	rebuy_rfm_options_init(&ro);
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_rfm_compute(o, &ro, &x, &err), REBUY_EDATA);
	assert_string_equal(err.msg, "fixture.csv: no purchases to score (1 rows read, 1 used)");
	rebuy_orders_free(o);
}

/* Without an amount column the money measures are absent: monetary is 0
 * for all, so everyone ties at M1; revenue shares and median monetary are
 * not defined; the CSV leaves monetary and m empty; a map that limits M is
 * refused. Purchases: a 2024-01-01, 2024-01-02; b 2024-01-02: as of
 * 2024-01-03, a has recency 1, F 2; b recency 1, F 1. R: both tie at
 * recency 1 (none larger) -> R1; F: b 1 -> 1, a (1 smaller of 2) -> 1 +
 * floor(5/2) = 3. Segments (1,3) at_risk, (1,1) hibernating. A customer
 * with only a return (c) has no RFM. */
static void test_rfm__without_amounts_monetary_is_absent(void **state)
{
	(void)state;
	struct rebuy_orders *o = load("customer,date\na,2024-01-01\na,2024-01-02\nb,2024-01-02\n");
	assert_int_equal(o->has_amount, 0);
	struct rebuy_rfm *x = rfm_default(o);
	assert_int_equal(x->has_amount, 0);
	const struct rebuy_rfm_customer *a = cust(x, o, "a"), *b = cust(x, o, "b");
	assert_int_equal(a->r, 1);
	assert_int_equal(a->f, 3);
	assert_int_equal(a->m, 1);
	assert_int_equal(b->f, 1);
	assert_string_equal(seg_name(x, a->segment), "at_risk");
	assert_string_equal(seg_name(x, b->segment), "hibernating");
	NEAR(x->segments[seg_index(x, "at_risk")].revenue_share, NAN);
	NEAR(x->segments[seg_index(x, "at_risk")].median_monetary, NAN);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(rebuy_rfm_write_customers(x, o, NULL, f, REBUY_FORMAT_CSV, NULL),
	                 REBUY_OK);
	fclose(f);
	assert_string_equal(buf, "customer,recency_days,frequency,monetary,r,f,m,segment\n"
	                         "a,1,2,,1,3,,at_risk\n"
	                         "b,1,1,,1,1,,hibernating\n");
	free(buf);
	rebuy_rfm_free(x);
	struct rebuy_rfm_map *map = parse_ok("big,*,*,5\nrest,*,*\n", 0);
	struct rebuy_rfm_options ro;
	rebuy_rfm_options_init(&ro);
	ro.map = map;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_rfm_compute(o, &ro, &x, &err), REBUY_EARG);
	assert_string_equal(err.msg,
	                    "rules.csv: the rules limit M, but the input has no amount column");
	rebuy_rfm_map_free(map);
	rebuy_orders_free(o);

	o = load("customer,date,amount\na,2024-01-01,1\nc,2024-01-01,-1\n");
	x = rfm_default(o);
	assert_int_equal(x->n_ids, 2);
	assert_int_equal(x->n_customers, 1);
	assert_int_equal(cust(x, o, "c")->segment, REBUY_RFM_NONE);
	assert_int_equal(cust(x, o, "c")->frequency, 0);
	rebuy_rfm_free(x);
	rebuy_orders_free(o);
}

/* ------------------------------------------------------------------------
 * Determinism: the same rows in another order, read and computed with
 * other thread counts, give byte-identical JSON and CSV.
 * ------------------------------------------------------------------------ */
static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

/* 3,000 customers (more than one range of the parallel passes), 1 to 12
 * orders each over 2023, amounts from 0.00 to 400.00 with ties (whole
 * euros) and some returns; the lines of an order are never split. */
static char **shop_lines(size_t *n_out)
{
	uint64_t seed = 42;
	size_t n = 0, cap = 0;
	char **lines = NULL;
	for (int c = 0; c < 3000; c++) {
		int n_orders = 1 + (int)(lcg(&seed) % 12);
		for (int k = 0; k < n_orders; k++) {
			int64_t d = day(2023, 1, 1) + (int64_t)(lcg(&seed) % 365);
			char date[16], line[128];
			rebuy_format_day(d, date, sizeof date);
			long amount = (long)(lcg(&seed) % 401);
			if (lcg(&seed) % 50 == 0)
				amount = -amount;
			snprintf(line, sizeof line, "u%d,o%d-%d,%s %02d:%02d,%ld.00\n", c, c, k,
			         date, (int)(lcg(&seed) % 24), (int)(lcg(&seed) % 60), amount);
			if (n == cap) {
				cap = cap ? 2 * cap : 1024;
				lines = realloc(lines, cap * sizeof *lines);
				assert_non_null(lines);
			}
			lines[n++] = strdup(line);
		}
	}
	*n_out = n;
	return lines;
}

static char *join(char **lines, size_t n)
{
	size_t len = strlen("customer,order,date,amount\n");
	for (size_t i = 0; i < n; i++)
		len += strlen(lines[i]);
	char *t = malloc(len + 1), *p = t;
	p += snprintf(p, len + 1, "customer,order,date,amount\n");
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(lines[i]);
		memcpy(p, lines[i], k);
		p += k;
	}
	*p = '\0';
	return t;
}

/* The JSON document and the customer CSV of one run, as one string. */
static char *outputs(const char *text, unsigned load_threads, unsigned threads)
{
	struct rebuy_orders *o = load_as_of(text, 0, load_threads);
	struct rebuy_rfm_options ro;
	rebuy_rfm_options_init(&ro);
	ro.n_threads = threads;
	ro.has_transitions = 1;
	ro.transitions_day = day(2023, 7, 1);
	struct rebuy_rfm *x = rfm_of(o, &ro);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct rebuy_doc *doc = rebuy_doc_new();
	rebuy_rfm_doc(x, &o->report, doc, rebuy_doc_root(doc));
	assert_int_equal(rebuy_doc_write_json(doc, rebuy_doc_root(doc), f), REBUY_OK);
	assert_int_equal(rebuy_rfm_write_customers(x, o, NULL, f, REBUY_FORMAT_CSV, NULL),
	                 REBUY_OK);
	fclose(f);
	rebuy_doc_free(doc);
	assert_true(x->n_customers > 2900);
	assert_true(x->n_customers_before > 1000);
	rebuy_rfm_free(x);
	rebuy_orders_free(o);
	return buf;
}

static void test_rfm__shuffled_rows_give_identical_json_and_csv(void **state)
{
	(void)state;
	size_t n = 0;
	char **lines = shop_lines(&n);
	char *text = join(lines, n);
	uint64_t seed = 7;
	for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates with a fixed seed */
		size_t j = (size_t)(lcg(&seed) % (i + 1));
		char *t = lines[i];
		lines[i] = lines[j];
		lines[j] = t;
	}
	char *shuffled = join(lines, n);
	assert_string_not_equal(text, shuffled);
	char *a = outputs(text, 1, 1);
	char *b = outputs(shuffled, 1, 1);
	char *c = outputs(shuffled, 2, 2);
	char *d = outputs(text, 2, 3);
	assert_string_equal(a, b);
	assert_string_equal(a, c);
	assert_string_equal(a, d);
	/* the output is not trivially empty: every default segment is listed */
	assert_non_null(strstr(a, "\"segment\": \"hibernating\""));
	assert_non_null(strstr(a, "customer,recency_days,frequency,monetary,r,f,m,segment,"
	                          "previous_segment\nu"));
	free(a);
	free(b);
	free(c);
	free(d);
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	free(text);
	free(shuffled);
}

/* Scores never depend on anything but the values: for every bin count
 * 3..10, each customer's score equals 1 + floor(B k / n) with k counted
 * directly (O(n^2) over the 3,000-customer shop, many ties: whole-euro
 * amounts, 1..12 orders, 365 possible last days). */
static void test_rfm__scores_match_a_direct_count(void **state)
{
	(void)state;
	size_t n_lines = 0;
	char **lines = shop_lines(&n_lines);
	char *text = join(lines, n_lines);
	struct rebuy_orders *o = load(text);
	for (unsigned bins = REBUY_RFM_BINS_MIN; bins <= REBUY_RFM_BINS_MAX; bins++) {
		char rules[32];
		snprintf(rules, sizeof rules, "bins,%u\nall,*,*\n", bins);
		struct rebuy_rfm_map *map = bins == 5 ? NULL : parse_ok(rules, 0);
		struct rebuy_rfm_options ro;
		rebuy_rfm_options_init(&ro);
		ro.n_threads = 2;
		ro.bins = bins;
		ro.map = map;
		struct rebuy_rfm *x = rfm_of(o, &ro);
		size_t n = x->n_customers;
		uint64_t per_score[3][REBUY_RFM_BINS_MAX] = {{0}};
		for (size_t c = 0; c < x->n_ids; c++) {
			const struct rebuy_rfm_customer *a = &x->customers[c];
			if (!a->frequency)
				continue;
			size_t kr = 0, kf = 0, km = 0;
			for (size_t e = 0; e < x->n_ids; e++) {
				const struct rebuy_rfm_customer *b = &x->customers[e];
				if (!b->frequency)
					continue;
				kr += b->recency_days > a->recency_days;
				kf += b->frequency < a->frequency;
				km += b->monetary < a->monetary;
			}
			if (a->r != 1 + bins * kr / n || a->f != 1 + bins * kf / n ||
			    a->m != 1 + bins * km / n)
				fail_msg("bins %u, customer %s: R%u F%u M%u, want R%zu F%zu M%zu",
				         bins, rebuy_orders_customer_key(o, c, NULL), a->r, a->f,
				         a->m, 1 + bins * kr / n, 1 + bins * kf / n,
				         1 + bins * km / n);
			per_score[0][a->r - 1]++;
			per_score[1][a->f - 1]++;
			per_score[2][a->m - 1]++;
		}
		for (int m = 0; m < 3; m++)
			for (unsigned s = 0; s < bins; s++)
				assert_int_equal(x->scores[m][s].customers, per_score[m][s]);
		rebuy_rfm_free(x);
		rebuy_rfm_map_free(map);
	}
	rebuy_orders_free(o);
	free(text);
	for (size_t i = 0; i < n_lines; i++)
		free(lines[i]);
	free(lines);
}

/* Every allocation failure during the computation, the document and the
 * rules parser returns REBUY_ENOMEM, leaks nothing and leaves nothing
 * half-made. */
static void test_rfm__allocation_failures_are_clean(void **state)
{
	(void)state;
	struct rebuy_orders *o = load(fixture_t);
	size_t in_use = rebuy_alloc_in_use();
	long fail;
	for (fail = 0; fail < 10000; fail++) {
		struct rebuy_rfm_options ro;
		rebuy_rfm_options_init(&ro);
		ro.n_threads = 1;
		ro.has_transitions = 1;
		ro.transitions_day = day(2024, 3, 1);
		struct rebuy_rfm *x = NULL;
		struct rebuy_error err = {0};
		tu_fail_after(fail);
		enum rebuy_status st = rebuy_rfm_compute(o, &ro, &x, &err);
		int ok = st == REBUY_OK;
		if (ok) {
			struct rebuy_doc *doc = rebuy_doc_new();
			rebuy_rfm_doc(x, &o->report, doc, rebuy_doc_root(doc));
			ok = doc && !rebuy_doc_failed(doc);
			rebuy_doc_free(doc);
			FILE *f = fopen("/dev/null", "w");
			ok = ok && rebuy_rfm_write_customers(x, o, NULL, f, REBUY_FORMAT_JSON,
			                                     NULL) == REBUY_OK;
			fclose(f);
		} else {
			assert_int_equal(st, REBUY_ENOMEM);
			assert_string_equal(err.msg, "out of memory");
			assert_null(x);
		}
		int triggered = tu_fail_triggered();
		tu_fail_after(-1);
		rebuy_rfm_free(x);
		assert_int_equal(rebuy_alloc_in_use(), in_use);
		if (ok && !triggered)
			break;
	}
	print_message("rfm: completed after %ld injected failures\n", fail);
	assert_true(fail > 10);
	assert_true(fail < 10000);
	for (fail = 0; fail < 1000; fail++) {
		struct rebuy_rfm_map *m = NULL;
		struct rebuy_error err = {0};
		tu_fail_after(fail);
		enum rebuy_status st =
		        rebuy_rfm_map_parse(&m, "a,1,1\nb,2,2\na,3,3\n", 18, "r", 0, &err);
		int triggered = tu_fail_triggered();
		tu_fail_after(-1);
		if (st != REBUY_OK)
			assert_int_equal(st, REBUY_ENOMEM);
		rebuy_rfm_map_free(m);
		assert_int_equal(rebuy_alloc_in_use(), in_use);
		if (st == REBUY_OK && !triggered)
			break;
	}
	assert_true(fail > 3);
	rebuy_orders_free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rfm__ties_share_a_score_and_one_order_customers_get_f1),
	        cmocka_unit_test(test_rfm__segment_summary_counts_shares_and_medians),
	        cmocka_unit_test(test_rfm__customer_csv_is_sorted_by_key),
	        cmocka_unit_test(test_rfm__transitions_between_two_dates),
	        cmocka_unit_test(test_rfm__transitions_before_the_data_make_everyone_new),
	        cmocka_unit_test(
	                test_rfm__recency_is_days_from_the_last_purchase_day_to_the_as_of_date),
	        cmocka_unit_test(test_rfm__every_default_segment_is_reached),
	        cmocka_unit_test(test_rfm__three_bins_with_a_rules_file_and_other),
	        cmocka_unit_test(test_rfm__ten_bins_with_a_segment_of_two_rules),
	        cmocka_unit_test(test_rfm__default_map_covers_every_cell),
	        cmocka_unit_test(test_rfm__rules_files_as_people_write_them),
	        cmocka_unit_test(test_rfm__rules_errors_name_the_file_and_line),
	        cmocka_unit_test(test_rfm__rules_files_are_bounded),
	        cmocka_unit_test(test_rfm__bad_options_are_errors),
	        cmocka_unit_test(test_rfm__without_amounts_monetary_is_absent),
	        cmocka_unit_test(test_rfm__shuffled_rows_give_identical_json_and_csv),
	        cmocka_unit_test(test_rfm__scores_match_a_direct_count),
	        cmocka_unit_test(test_rfm__allocation_failures_are_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
