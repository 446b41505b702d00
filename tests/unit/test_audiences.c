/* Audiences (rebuy/audiences.h) on hand-built order histories whose right
 * members are known: each test isolates one rule by its options. Days are
 * counted back from the as-of day A = 2024-07-01. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/audiences.h"
#include "rebuy/basket.h"
#include "rebuy/date.h"
#include "rebuy/input.h"
#include "testutil.h"

struct text {
	char *s;
	size_t len, cap;
};

static int64_t A(void)
{
	return rebuy_days_from_civil(2024, 7, 1);
}

/* A line: customer, the day `ago` days before A, amount, product. */
static void add(struct text *t, const char *cust, int ago, double amount, const char *product)
{
	char line[256], day[16];
	rebuy_format_day(A() - ago, day, sizeof day);
	int n = snprintf(line, sizeof line, "%s,%s,%.2f,%s\n", cust, day, amount,
	                 product ? product : "");
	if (t->len + (size_t)n + 1 > t->cap) {
		t->cap = (t->cap + (size_t)n + 1) * 2;
		t->s = realloc(t->s, t->cap);
		assert_non_null(t->s);
	}
	memcpy(t->s + t->len, line, (size_t)n + 1);
	t->len += (size_t)n;
}

static void init_text(struct text *t)
{
	memset(t, 0, sizeof *t);
	static const char header[] = "customer,date,amount,product\n";
	t->cap = 4096;
	t->s = malloc(t->cap);
	assert_non_null(t->s);
	memcpy(t->s, header, sizeof header);
	t->len = sizeof header - 1;
}

/* Every `gap` days from `from` days ago down to `to` days ago. */
static void every(struct text *t, const char *cust, int from, int to, int gap, double amount,
                  const char *product)
{
	for (int ago = from; ago >= to; ago -= gap)
		add(t, cust, ago, amount, product);
}

static void input(struct rebuy_input_options *in, const struct text *t)
{
	rebuy_input_options_init(in);
	in->n_threads = 1;
	in->path = "fixture.csv";
	in->data = t->s;
	in->data_len = t->len;
}

struct run {
	struct rebuy_orders *o;
	struct rebuy_baskets *b;
	struct rebuy_audiences *a;
};

static void compute(struct run *r, const struct text *t, struct rebuy_audience_options *opts,
                    int products)
{
	struct rebuy_input_options in;
	input(&in, t);
	struct rebuy_error err = {0};
	memset(r, 0, sizeof *r);
	if (rebuy_orders_load(&r->o, &in, NULL, &err) != REBUY_OK)
		fail_msg("orders: %s", err.msg);
	if (products && rebuy_baskets_read_orders(&in, REBUY_BASKET_ORDER, &r->b, &err) != REBUY_OK)
		fail_msg("baskets: %s", err.msg);
	opts->has_as_of = 1;
	opts->as_of_day = A();
	opts->n_threads = 1;
	if (rebuy_audiences_compute(r->o, r->b, opts, &r->a, &err) != REBUY_OK)
		fail_msg("audiences: %s", err.msg);
}

static void release(struct run *r)
{
	rebuy_audiences_free(r->a);
	rebuy_baskets_free(r->b);
	rebuy_orders_free(r->o);
}

/* The members of audience k as "key,key,..." in listed order. */
static const char *members(const struct run *r, unsigned k)
{
	static char buf[4096];
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < r->a->n_members; i++) {
		const struct rebuy_audience_member *m = &r->a->members[i];
		if (m->audience != k)
			continue;
		const char *key = rebuy_orders_customer_key(r->o, m->customer, NULL);
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", len ? "," : "", key);
	}
	return buf;
}

static const struct rebuy_audience_member *member(const struct run *r, unsigned k,
                                                  const char *key)
{
	for (size_t i = 0; i < r->a->n_members; i++) {
		const struct rebuy_audience_member *m = &r->a->members[i];
		if (m->audience == k && strcmp(rebuy_orders_customer_key(r->o, m->customer, NULL), key) == 0)
			return m;
	}
	return NULL;
}

static void only(struct rebuy_audience_options *o, enum rebuy_audience_builtin k)
{
	rebuy_audience_options_init(o);
	o->builtins = 1u << k;
}

/* Second gaps 10, 20, 30, 40, 50 days: Q(0.25) = 20, Q(0.75) = 40 (type 7). */
static void repeaters(struct text *t)
{
	add(t, "r10", 300, 10, "X");
	add(t, "r10", 290, 10, "X");
	add(t, "r20", 300, 10, "X");
	add(t, "r20", 280, 10, "X");
	add(t, "r30", 300, 10, "X");
	add(t, "r30", 270, 10, "X");
	add(t, "r40", 300, 10, "X");
	add(t, "r40", 260, 10, "X");
	add(t, "r50", 300, 10, "X");
	add(t, "r50", 250, 10, "X");
}

static void test_second_purchase(void **state)
{
	(void)state;
	struct text t;
	init_text(&t);
	repeaters(&t);
	add(&t, "o15", 15, 10, "X"); /* too soon */
	add(&t, "o20", 20, 30, "X"); /* the window's first day */
	add(&t, "o33", 33, 10, "X");
	add(&t, "o33", 33, 10, "Y"); /* two lines, one order: still one purchase day */
	add(&t, "o40", 40, 10, "X"); /* the last day */
	add(&t, "o41", 41, 10, "X"); /* past it */
	add(&t, "o99", 99, 10, "X");
	struct rebuy_audience_options o;
	only(&o, REBUY_AUD_SECOND_PURCHASE);
	struct run r;
	compute(&r, &t, &o, 0);
	assert_true(r.a->second_q_lo == 20 && r.a->second_q_hi == 40);
	/* Score: P(a purchase in the horizon), larger the sooner after the first. */
	assert_string_equal(members(&r, REBUY_AUD_SECOND_PURCHASE), "o20,o33,o40");
	const struct rebuy_audience_member *m = member(&r, REBUY_AUD_SECOND_PURCHASE, "o33");
	assert_non_null(m);
	assert_true(m->last_day == A() - 33);
	assert_non_null(strstr(m->reason, "one purchase, 33 days ago"));
	assert_int_equal(r.a->audiences[REBUY_AUD_WIN_BACK].n_members, 0); /* not asked for */
	release(&r);

	/* A narrower window by option: [Q(0.5), Q(0.5)] = [30, 30]. */
	only(&o, REBUY_AUD_SECOND_PURCHASE);
	o.second_lo = o.second_hi = 0.5;
	compute(&r, &t, &o, 0);
	assert_string_equal(members(&r, REBUY_AUD_SECOND_PURCHASE), "");
	release(&r);
	free(t.s);
}

/* Weekly buyers with different silences, one of them small. */
static void weekly(struct text *t)
{
	every(t, "gone", 297, 150, 7, 50, "X");  /* 22 purchases, silent 150 days: P(alive) ~ 0 */
	every(t, "late", 197, 36, 7, 50, "X");   /* 24, silent 36 days: 5.1 x gap */
	every(t, "drift", 196, 14, 7, 50, "X");  /* 27, silent 14 days: 2 x gap */
	every(t, "fresh", 198, 2, 7, 50, "X");   /* 29, bought 2 days ago */
	every(t, "small", 297, 150, 7, 1, "X");  /* like gone, but spent little */
	add(t, "once", 10, 5, "X");
}

static void test_win_back(void **state)
{
	(void)state;
	struct text t;
	init_text(&t);
	weekly(&t);
	struct rebuy_audience_options o;
	only(&o, REBUY_AUD_WIN_BACK);
	o.p_lapsed = 0; /* the overdue path alone */
	o.value_quantile = 0;
	struct run r;
	compute(&r, &t, &o, 0);
	/* overdue >= 3 x own gap: gone (150/7), small, late (36/7); by revenue desc, key. */
	assert_string_equal(members(&r, REBUY_AUD_WIN_BACK), "late,gone,small");
	const struct rebuy_audience_member *m = member(&r, REBUY_AUD_WIN_BACK, "late");
	assert_true(m->score == 50.0 * 24);
	assert_non_null(strstr(m->reason, "36 days since the last purchase, 5.1 x their usual 7-day gap"));
	release(&r);

	/* The value filter: revenue or CLV at least their quantile 0.3. Revenues
	 * 5, 22, 1100, 1200, 1350, 1450: Q(0.3) = 22 + 0.5 x 1078 = 561 (type
	 * 7). "small" spent 22 and, lapsed, is worth nothing more. */
	only(&o, REBUY_AUD_WIN_BACK);
	o.p_lapsed = 0;
	o.value_quantile = 0.3;
	compute(&r, &t, &o, 0);
	assert_string_equal(members(&r, REBUY_AUD_WIN_BACK), "late,gone");
	release(&r);

	/* The P(alive) path: a weekly buyer silent for 150 days, or for 36 (five
	 * of their gaps: the model sees 24 weekly purchases and then none), is
	 * lapsed; one silent for 14 days (two gaps) is not, nor is "once" (BG/NBD
	 * has no dropout before the first repeat purchase: P(alive) 1). */
	only(&o, REBUY_AUD_WIN_BACK);
	o.overdue = 1e5;
	o.value_quantile = 0;
	compute(&r, &t, &o, 0);
	assert_string_equal(members(&r, REBUY_AUD_WIN_BACK), "late,gone,small");
	m = member(&r, REBUY_AUD_WIN_BACK, "gone");
	assert_true(m->p_alive < 0.01);
	assert_non_null(strstr(m->reason, "P(alive) < 0.01, below 0.30"));
	release(&r);
	free(t.s);
}

static void test_at_risk(void **state)
{
	(void)state;
	struct text t;
	init_text(&t);
	weekly(&t);
	struct rebuy_audience_options o;
	only(&o, REBUY_AUD_AT_RISK);
	o.drop = 1; /* the drift path alone: 1.5 x gap <= recency < 3 x gap */
	struct run r;
	compute(&r, &t, &o, 0);
	assert_string_equal(members(&r, REBUY_AUD_AT_RISK), "drift");
	const struct rebuy_audience_member *m = member(&r, REBUY_AUD_AT_RISK, "drift");
	assert_non_null(strstr(m->reason, "14 days since the last purchase, 2.0 x their usual 7-day gap"));
	release(&r);

	/* The falling path: no drift; P(alive) of a weekly buyer silent for
	 * the whole 30-day lookback falls, a buyer of 2 days ago's does not. */
	only(&o, REBUY_AUD_AT_RISK);
	o.drift = 1e5;
	o.overdue = 1e5;
	o.p_lapsed = 0;
	o.lookback_days = 10;
	compute(&r, &t, &o, 0);
	const char *got = members(&r, REBUY_AUD_AT_RISK);
	assert_non_null(strstr(got, "late"));
	assert_null(strstr(got, "fresh"));
	assert_null(strstr(got, "drift"));
	m = member(&r, REBUY_AUD_AT_RISK, "late");
	assert_non_null(strstr(m->reason, "P(alive) fell from"));
	release(&r);
	free(t.s);
}

static void test_replenishment(void **state)
{
	(void)state;
	struct text t;
	init_text(&t);
	every(&t, "p1", 42, 14, 14, 5, "A"); /* A every 14 days, last 14 ago: due today */
	every(&t, "p4", 38, 10, 14, 5, "A"); /* A last 10 days ago: due in 4 */
	every(&t, "p2", 65, 5, 30, 5, "B");  /* B every 30 days, last 5 ago: due in 25 */
	every(&t, "p3", 55, 35, 10, 5, "C"); /* C every 10, last 35 ago: 2.5 intervals late */
	add(&t, "p3", 3, 5, "D");            /* p3 is still a customer */
	add(&t, "p5", 20, 5, "A");           /* A once: no interval */
	struct rebuy_audience_options o;
	only(&o, REBUY_AUD_REPLENISHMENT);
	struct run r;
	compute(&r, &t, &o, 1);
	/* Scores: days bought (p1 3, p4 3); ties by key. */
	assert_string_equal(members(&r, REBUY_AUD_REPLENISHMENT), "p1,p4");
	const struct rebuy_audience_member *m = member(&r, REBUY_AUD_REPLENISHMENT, "p4");
	assert_string_equal(m->products, "A");
	assert_true(m->next_day == A() + 4);
	assert_non_null(strstr(m->reason, "buys A about every 14 days (on 3 days, last 10 days ago)"));
	release(&r);

	/* late 3: C (due 25 days ago, interval 10) is back in. */
	only(&o, REBUY_AUD_REPLENISHMENT);
	o.late = 3;
	o.lead_days = 30; /* and B, due in 25 days */
	compute(&r, &t, &o, 1);
	assert_string_equal(members(&r, REBUY_AUD_REPLENISHMENT), "p1,p2,p3,p4");
	release(&r);

	/* Without products there is nothing to replenish. */
	only(&o, REBUY_AUD_REPLENISHMENT);
	compute(&r, &t, &o, 0);
	assert_int_equal(r.a->n_members, 0);
	release(&r);
	free(t.s);
}

/* A product interval shrinks toward the product's median: A bought every
 * 10 days by q1 (3 days) and every 30 by q2, q3 (2 days each): median of
 * the mean gaps {10, 30, 30} is 30; q1's I = (2 x 10 + 30) / 3 = 16.67. */
static void test_replenishment_shrinkage(void **state)
{
	(void)state;
	struct text t;
	init_text(&t);
	every(&t, "q1", 37, 17, 10, 5, "A"); /* last 17 days ago: due in -0.33 -> today */
	every(&t, "q2", 100, 70, 30, 5, "A");
	every(&t, "q3", 100, 70, 30, 5, "A");
	add(&t, "q2", 1, 5, "Z");
	add(&t, "q3", 1, 5, "Z");
	struct rebuy_audience_options o;
	only(&o, REBUY_AUD_REPLENISHMENT);
	o.lead_days = 0;
	o.late = 0;
	struct run r;
	compute(&r, &t, &o, 1);
	/* q1: due = last + round(16.67) = A - 17 + 17 = A. q2, q3: I = (30 + 30) / 2 = 30,
	 * due = A - 70 + 30 = A - 40: more than 0 intervals late. */
	assert_string_equal(members(&r, REBUY_AUD_REPLENISHMENT), "q1");
	assert_true(member(&r, REBUY_AUD_REPLENISHMENT, "q1")->next_day == A());
	release(&r);
	free(t.s);
}

static void test_vip(void **state)
{
	(void)state;
	struct text t;
	init_text(&t);
	weekly(&t);
	every(&t, "whale", 200, 3, 7, 900, "X");
	struct rebuy_audience_options o;
	only(&o, REBUY_AUD_VIP);
	o.vip_share = 0.01; /* 1% of 7: at least one */
	struct run r;
	compute(&r, &t, &o, 0);
	assert_string_equal(members(&r, REBUY_AUD_VIP), "whale");
	const struct rebuy_audience_member *m = member(&r, REBUY_AUD_VIP, "whale");
	assert_true(m->score == m->clv && m->clv > 0);
	assert_non_null(strstr(m->reason, "rank 1 of 7"));
	release(&r);

	/* The top 3 are the 3 largest CLVs of all customers (checked against a
	 * rules audience that lists everyone with their CLV). */
	struct rebuy_audience_rules *rules = NULL;
	struct rebuy_error err = {0};
	const char *text = "audience everyone\nwhen frequency >= 1\nscore clv\n";
	assert_int_equal(rebuy_audience_rules_parse("all.rules", text, strlen(text), &rules, &err),
	                 REBUY_OK);
	only(&o, REBUY_AUD_VIP);
	o.vip_share = 3.0 / 7.0;
	o.rules = rules;
	compute(&r, &t, &o, 0);
	char top3[256];
	snprintf(top3, sizeof top3, "%s", members(&r, REBUY_AUD_BUILTIN_COUNT));
	*strchr(strchr(strchr(top3, ',') + 1, ',') + 1, ',') = '\0';
	assert_string_equal(members(&r, REBUY_AUD_VIP), top3);
	assert_int_equal(r.a->audiences[REBUY_AUD_BUILTIN_COUNT].n_members, 7);
	release(&r);
	rebuy_audience_rules_free(rules);
	free(t.s);
}

static void test_cross_sell(void **state)
{
	(void)state;
	struct text t;
	init_text(&t);
	/* Five customers buy X and Y together, three of them Q later; c6 bought
	 * X only, c7 only Z. */
	const char *pairs[] = {"c1", "c2", "c3", "c4", "c5"};
	for (int i = 0; i < 5; i++) {
		add(&t, pairs[i], 20 + i, 10, "X");
		add(&t, pairs[i], 20 + i, 10, "Y");
		if (i < 3)
			add(&t, pairs[i], 5 + i, 10, "Q");
	}
	add(&t, "c6", 4, 10, "X");
	add(&t, "c7", 4, 10, "Z");
	struct rebuy_audience_options o;
	only(&o, REBUY_AUD_CROSS_SELL);
	o.cross_sell_share = 1;
	o.n_products = 2;
	struct run r;
	compute(&r, &t, &o, 1);
	const struct rebuy_audience_member *m = member(&r, REBUY_AUD_CROSS_SELL, "c6");
	assert_non_null(m);
	assert_string_equal(m->products, "Y Q");
	assert_string_equal(m->reason, "bought X; customers who buy it often buy Y");
	/* c7's only product was bought with nothing: popular fallbacks only. */
	assert_null(member(&r, REBUY_AUD_CROSS_SELL, "c7"));
	release(&r);
	free(t.s);
}

static void test_rules(void **state)
{
	(void)state;
	struct text t;
	init_text(&t);
	weekly(&t);
	const char *text = "# lapsed big spenders\n"
	                   "audience lapsed_big\n"
	                   "  when revenue >= 1000 and (recency_days > 100 or overdue >= 5)\n"
	                   "  action call them\n"
	                   "  score revenue\n"
	                   "\n"
	                   "audience recent_or_once\n"
	                   "when last_purchase >= 2024-06-20 or frequency = 1\n"
	                   "reason bought lately\n"
	                   "audience not_in\n"
	                   "when segment not in (champions, 'loyal') and not frequency < 2\n"
	                   "audience counts\n"
	                   "when frequency in (22, 24) and last_purchase not in (2024-05-26)\n";
	struct rebuy_audience_rules *rules = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_audience_rules_parse("my.rules", text, strlen(text), &rules, &err),
	                 REBUY_OK);
	assert_int_equal(rebuy_audience_rules_count(rules), 4);
	struct rebuy_audience_options o;
	rebuy_audience_options_init(&o);
	o.builtins = 1u << REBUY_AUD_BUILTIN_COUNT; /* none */
	o.rules = rules;
	struct run r;
	compute(&r, &t, &o, 0);
	unsigned k = REBUY_AUD_BUILTIN_COUNT;
	/* gone: 22 x 50 = 1,100, 150 days; late: 24 x 50 = 1,200, overdue 5.14. */
	assert_string_equal(members(&r, k), "late,gone");
	assert_string_equal(r.a->audiences[k].action, "call them");
	assert_string_equal(member(&r, k, "late")->reason,
	                    "revenue >= 1000 and (recency_days > 100 or overdue >= 5)");
	const char *recent = members(&r, k + 1);
	assert_non_null(strstr(recent, "fresh"));
	assert_non_null(strstr(recent, "once"));
	assert_null(strstr(recent, "drift")); /* last bought 14 days ago: June 17 */
	assert_string_equal(member(&r, k + 1, "once")->reason, "bought lately");
	/* RFM as of A (by hand): fresh R5 F5 champions, drift R3 F4 loyal, late
	 * R2 F3 at_risk, gone and small R1 F1 hibernating, once R4 F1 promising. */
	assert_int_equal(r.a->audiences[k + 2].n_members, 3);
	assert_non_null(member(&r, k + 2, "late"));
	assert_non_null(member(&r, k + 2, "gone"));
	assert_non_null(member(&r, k + 2, "small"));
	/* 22 purchases: gone and small; 24: late, whose last purchase (36 days
	 * before A) is 2024-05-26 and so left out. */
	assert_int_equal(r.a->audiences[k + 3].n_members, 2);
	assert_non_null(member(&r, k + 3, "gone"));
	assert_non_null(member(&r, k + 3, "small"));
	release(&r);
	rebuy_audience_rules_free(rules);
	free(t.s);
}

static void expect_error(const char *text, const char *want)
{
	struct rebuy_audience_rules *rules = NULL;
	struct rebuy_error err = {0};
	enum rebuy_status st = rebuy_audience_rules_parse("bad.rules", text, strlen(text), &rules, &err);
	if (st == REBUY_OK) {
		/* Field errors show when binding to the orders. */
		struct text t;
		init_text(&t);
		add(&t, "a", 10, 5, "X");
		add(&t, "a", 5, 5, "X");
		struct rebuy_input_options in;
		input(&in, &t);
		struct rebuy_orders *o = NULL;
		assert_int_equal(rebuy_orders_load(&o, &in, NULL, &err), REBUY_OK);
		struct rebuy_audience_options opts;
		rebuy_audience_options_init(&opts);
		opts.rules = rules;
		struct rebuy_audiences *a = NULL;
		st = rebuy_audiences_compute(o, NULL, &opts, &a, &err);
		rebuy_audiences_free(a);
		rebuy_orders_free(o);
		rebuy_audience_rules_free(rules);
		free(t.s);
	}
	assert_int_not_equal(st, REBUY_OK);
	if (!strstr(err.msg, want))
		fail_msg("'%s': got '%s', want '%s'", text, err.msg, want);
}

static void test_rule_errors(void **state)
{
	(void)state;
	expect_error("when x > 1\n", "bad.rules:1:1: expected 'audience NAME' before 'when'");
	expect_error("audience a\n", "bad.rules:1: audience 'a' has no 'when' line");
	expect_error("audience a\nwhen revenue >\n", "bad.rules:2:15: a value is expected");
	expect_error("audience a\nwhen (revenue > 1\n", "bad.rules:2:18: ')' is expected");
	expect_error("audience a\nwhen revenue > 1 frequency\n",
	             "bad.rules:2:18: 'and', 'or' or the end of the line is expected");
	expect_error("audience a\nwhen revenue ~ 1\n", "bad.rules:2:14: a comparison");
	expect_error("audience a b\nwhen revenue > 1\n", "bad.rules:1:10: an audience name");
	expect_error("audience vip\nwhen revenue > 1\n", "'vip' is a built-in audience");
	expect_error("audience a\nwhen revenue > 1\naudience a\nwhen revenue > 2\n",
	             "bad.rules:3:10: audience 'a' is defined twice (line 1)");
	expect_error("audience a\nwhen revenue > 1\ncolour red\n", "bad.rules:3:1: unknown keyword");
	expect_error("audience a\nwhen segment in (a, b\n", "',' or ')' is expected in the list");
	expect_error("audience a\nwhen segment = 'x\n", "a quoted value is not closed");
	expect_error("# nothing\n", "bad.rules: no audience is defined");
	/* Bound against the orders: */
	expect_error("audience a\nwhen revenu > 1\n", "bad.rules:2:6: unknown field 'revenu'");
	expect_error("audience a\nwhen segment > 1\n", "bad.rules:2:6: segment is text");
	expect_error("audience a\nwhen last_purchase > 5\n",
	             "bad.rules:2:6: last_purchase is a date: compare it with a YYYY-MM-DD date");
	expect_error("audience a\nwhen revenue > lots\n", "bad.rules:2:6: revenue is a number");
	expect_error("audience a\nwhen revenue > 1\nscore segment\n",
	             "bad.rules:3:7: score needs a numeric field, not 'segment'");
	/* Nesting is bounded, not a stack overflow. */
	char deep[2200];
	size_t n = (size_t)snprintf(deep, sizeof deep, "audience a\nwhen ");
	for (int i = 0; i < 300; i++)
		deep[n++] = '(';
	snprintf(deep + n, sizeof deep - n, "revenue > 1\n");
	expect_error(deep, "the expression nests too deep");
}

static void test_determinism_and_oom(void **state)
{
	(void)state;
	struct text t;
	init_text(&t);
	weekly(&t);
	repeaters(&t);
	every(&t, "p1", 42, 14, 14, 5, "A");
	every(&t, "p4", 38, 10, 14, 5, "A");
	struct rebuy_audience_options o;
	rebuy_audience_options_init(&o);
	struct run r1, r2;
	compute(&r1, &t, &o, 1);
	rebuy_audience_options_init(&o);
	o.n_threads = 4;
	compute(&r2, &t, &o, 1);
	assert_int_equal(r1.a->n_members, r2.a->n_members);
	for (size_t i = 0; i < r1.a->n_members; i++) {
		const struct rebuy_audience_member *a = &r1.a->members[i], *b = &r2.a->members[i];
		assert_int_equal(a->audience, b->audience);
		assert_string_equal(rebuy_orders_customer_key(r1.o, a->customer, NULL),
		                    rebuy_orders_customer_key(r2.o, b->customer, NULL));
		assert_string_equal(a->reason, b->reason);
		assert_true(a->score == b->score || (isnan(a->score) && isnan(b->score)));
	}
	/* Allocations failing at 60 points spread over a run give an error,
	 * never a crash or a leak (the fit alone makes thousands, so every
	 * one in turn would take minutes). */
	rebuy_audience_options_init(&o);
	o.has_as_of = 1;
	o.as_of_day = A();
	o.n_threads = 1;
	struct rebuy_error err = {0};
	struct rebuy_audiences *a = NULL;
	tu_fail_after(1L << 40);
	assert_int_equal(rebuy_audiences_compute(r1.o, r1.b, &o, &a, &err), REBUY_OK);
	long total = tu_alloc_count();
	tu_fail_after(-1);
	rebuy_audiences_free(a);
	for (long i = 0; i < 60; i++) {
		long k = i < 30 ? i : 30 + (total - 30) * (i - 30) / 30;
		a = NULL;
		tu_fail_after(k);
		enum rebuy_status st = rebuy_audiences_compute(r1.o, r1.b, &o, &a, &err);
		int hit = tu_fail_triggered();
		tu_fail_after(-1);
		if (hit) {
			assert_int_not_equal(st, REBUY_OK);
			assert_null(a);
		}
		rebuy_audiences_free(a);
	}
	release(&r1);
	release(&r2);
	free(t.s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_second_purchase),
	        cmocka_unit_test(test_win_back),
	        cmocka_unit_test(test_at_risk),
	        cmocka_unit_test(test_replenishment),
	        cmocka_unit_test(test_replenishment_shrinkage),
	        cmocka_unit_test(test_vip),
	        cmocka_unit_test(test_cross_sell),
	        cmocka_unit_test(test_rules),
	        cmocka_unit_test(test_rule_errors),
	        cmocka_unit_test(test_determinism_and_oom),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
