/* The order generator: determinism, per-customer streams, the shape of the
 * output, and the model's closed-form expectations (Pareto/NBD: Schmittlein,
 * Morrison & Colombo 1987; BG/NBD: Fader, Hardie & Lee 2005, eq. 7;
 * Gamma-Gamma mean p gamma / (q - 1)). Statistical tolerances are 5 standard
 * errors estimated from the sample, under fixed seeds. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/alloc.h"
#include "rebuy/gen.h"

#define WEEK 604800.0

static struct rebuy_gen *gen_or_fail(const struct rebuy_gen_params *params)
{
	struct rebuy_error err;
	rebuy_error_clear(&err);
	struct rebuy_gen *g = rebuy_gen_new(params, &err);
	if (!g)
		fail_msg("rebuy_gen_new: %s", err.msg);
	return g;
}

static uint64_t fnv(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		h ^= (v >> (8 * i)) & 0xff;
		h *= 0x100000001b3u;
	}
	return h;
}

/* Hash of the whole stream; *n gets the number of orders. */
static uint64_t stream_hash(const struct rebuy_gen_params *params, uint64_t *n)
{
	struct rebuy_gen *g = gen_or_fail(params);
	struct rebuy_gen_order o;
	uint64_t h = 0xcbf29ce484222325u;
	*n = 0;
	while (rebuy_gen_next(g, &o)) {
		h = fnv(h, o.customer);
		h = fnv(h, o.order);
		h = fnv(h, (uint64_t)o.ts);
		h = fnv(h, (uint64_t)o.amount);
		(*n)++;
	}
	rebuy_gen_free(g);
	return h;
}

static int64_t days_from_1970(int y, int m, int d)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int64_t days = 0;
	for (int yy = 1970; yy < y; yy++)
		days += 365 + ((yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0);
	for (int mm = 1; mm < m; mm++)
		days += mdays[mm - 1] + (mm == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	return days + d - 1;
}

static void test_gen__defaults_are_the_documented_ones(void **state)
{
	(void)state;
	struct rebuy_gen_params P;
	rebuy_gen_params_init(&P);
	assert_int_equal(P.model, REBUY_GEN_PNBD);
	assert_int_equal(P.n_customers, 10000);
	assert_true(P.r == 0.55 && P.alpha == 10.58 && P.s == 0.61 && P.beta == 11.67);
	assert_true(P.a == 0.79 && P.b == 2.43);
	assert_true(P.p == 6.25 && P.q == 3.74 && P.gamma == 15.44);
	assert_int_equal(P.start_day, 19723);
	assert_int_equal(P.start_day, days_from_1970(2024, 1, 1));
	assert_true(P.acquisition_weeks == 12 && P.weeks == 78);
	assert_int_equal(P.seed, 1);
	struct rebuy_error err;
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_gen_params_check(&P, &err), REBUY_OK);
	assert_int_equal(err.code, REBUY_OK);
}

struct bad_case {
	const char *name; /* expected right after "gen: " */
	size_t offset;    /* of a double field, or SIZE_MAX for the special ones */
	double value;
};

#define FIELD(f) offsetof(struct rebuy_gen_params, f)

static void expect_rejected(const struct rebuy_gen_params *P, const char *name)
{
	struct rebuy_error err;
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_gen_params_check(P, &err), REBUY_EARG);
	assert_int_equal(err.code, REBUY_EARG);
	char prefix[64];
	snprintf(prefix, sizeof prefix, "gen: %s must", name);
	if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
		fail_msg("expected a message starting '%s', got '%s'", prefix, err.msg);
	/* rebuy_gen_new refuses them too, with the same error */
	rebuy_error_clear(&err);
	assert_null(rebuy_gen_new(P, &err));
	assert_int_equal(err.code, REBUY_EARG);
}

static void test_gen__params_check_names_each_bad_parameter(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		size_t offset;
	} positive[] = {
	        {"r", FIELD(r)},       {"alpha", FIELD(alpha)}, {"s", FIELD(s)},
	        {"beta", FIELD(beta)}, {"a", FIELD(a)},         {"b", FIELD(b)},
	        {"p", FIELD(p)},       {"q", FIELD(q)},         {"gamma", FIELD(gamma)},
	};
	const double bad[] = {0.0, -1.0, NAN, INFINITY, -INFINITY};
	struct rebuy_gen_params P;
	for (size_t i = 0; i < sizeof positive / sizeof positive[0]; i++)
		for (size_t j = 0; j < sizeof bad / sizeof bad[0]; j++) {
			rebuy_gen_params_init(&P);
			memcpy((char *)&P + positive[i].offset, &bad[j], sizeof(double));
			expect_rejected(&P, positive[i].name);
		}

	rebuy_gen_params_init(&P);
	P.alpha = -1;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	rebuy_gen_params_check(&P, &err);
	assert_string_equal(err.msg, "gen: alpha must be a positive number, got -1");

	rebuy_gen_params_init(&P);
	P.n_customers = 0;
	expect_rejected(&P, "n_customers");
	P.n_customers = 4294967295u; /* 2^32 - 1 */
	expect_rejected(&P, "n_customers");
	P.n_customers = 4294967294u; /* the largest allowed */
	assert_int_equal(rebuy_gen_params_check(&P, NULL), REBUY_OK);

	const double bad_weeks[] = {0.0, -1.0, NAN, INFINITY, 5200.5};
	for (size_t j = 0; j < sizeof bad_weeks / sizeof bad_weeks[0]; j++) {
		rebuy_gen_params_init(&P);
		P.weeks = bad_weeks[j];
		expect_rejected(&P, "weeks");
	}
	const double bad_acq[] = {0.0, -1.0, NAN, INFINITY, 78.001};
	for (size_t j = 0; j < sizeof bad_acq / sizeof bad_acq[0]; j++) {
		rebuy_gen_params_init(&P);
		P.acquisition_weeks = bad_acq[j];
		expect_rejected(&P, "acquisition_weeks");
	}
	rebuy_gen_params_init(&P);
	P.acquisition_weeks = P.weeks; /* the bound itself is allowed */
	assert_int_equal(rebuy_gen_params_check(&P, NULL), REBUY_OK);

	rebuy_gen_params_init(&P);
	P.start_day = -719163; /* 0000-12-31 */
	expect_rejected(&P, "start_day");
	P.start_day = 2932897; /* 10000-01-01 */
	expect_rejected(&P, "start_day");

	rebuy_gen_params_init(&P);
	P.model = (enum rebuy_gen_model)7;
	expect_rejected(&P, "model");

	rebuy_error_clear(&err);
	assert_int_equal(rebuy_gen_params_check(NULL, &err), REBUY_EARG);
}

static void test_gen__same_params_same_stream(void **state)
{
	(void)state;
	struct rebuy_gen_params P;
	rebuy_gen_params_init(&P);
	uint64_t n1, n2;
	uint64_t h1 = stream_hash(&P, &n1), h2 = stream_hash(&P, &n2);
	assert_int_equal(n1, n2);
	assert_int_equal(h1, h2);
	/* Expected orders: n (1 + E[X(t)]) with t about 72 weeks: about 2.6 per
	 * customer. */
	assert_in_range(n1, 20000, 30000);
	/* Pinned: the default stream of this version (the same on x86-64 AMD
	 * and Intel, -O0 and -O2, with glibc's libm). A change here changes
	 * every data set made with `rebuy gen`; update it only on purpose. */
	if (n1 != 27738 || h1 != 0xf439534ebb582decu)
		fail_msg("default stream: %llu orders, hash %016llx", (unsigned long long)n1,
		         (unsigned long long)h1);

	P.model = REBUY_GEN_BGNBD;
	uint64_t h3 = stream_hash(&P, &n1), h4 = stream_hash(&P, &n2);
	assert_int_equal(n1, n2);
	assert_int_equal(h3, h4);
	assert_int_not_equal(h1, h3);
}

static void test_gen__seed_changes_stream(void **state)
{
	(void)state;
	struct rebuy_gen_params P;
	rebuy_gen_params_init(&P);
	uint64_t n1, n2;
	uint64_t h1 = stream_hash(&P, &n1);
	P.seed = 2;
	uint64_t h2 = stream_hash(&P, &n2);
	assert_int_not_equal(h1, h2);
}

/* The orders of customer `who`, as (ts, amount) pairs; returns the count. */
static size_t history(const struct rebuy_gen_params *P, uint64_t who, int64_t *ts, int64_t *amount,
                      size_t cap)
{
	struct rebuy_gen *g = gen_or_fail(P);
	struct rebuy_gen_order o;
	size_t n = 0;
	while (rebuy_gen_next(g, &o))
		if (o.customer == who) {
			assert_true(n < cap);
			ts[n] = o.ts;
			amount[n] = o.amount;
			n++;
		}
	rebuy_gen_free(g);
	return n;
}

static void test_gen__customer_history_does_not_depend_on_others(void **state)
{
	(void)state;
	/* A customer with several purchases, so the comparison means something. */
	struct rebuy_gen_params P;
	rebuy_gen_params_init(&P);
	P.r = 5;       /* about 0.5 purchases a week */
	P.beta = 1000; /* and a long life */
	P.n_customers = 10;
	enum { CAP = 4096 };
	static int64_t ts1[CAP], am1[CAP], ts2[CAP], am2[CAP], ts3[CAP], am3[CAP];
	size_t n1 = history(&P, 7, ts1, am1, CAP);
	P.n_customers = 1000;
	size_t n2 = history(&P, 7, ts2, am2, CAP);
	assert_true(n1 >= 3);
	assert_int_equal(n1, n2);
	assert_memory_equal(ts1, ts2, n1 * sizeof ts1[0]);
	assert_memory_equal(am1, am2, n1 * sizeof am1[0]);

	/* A longer horizon extends the history and keeps its beginning. */
	P.weeks = 156;
	size_t n3 = history(&P, 7, ts3, am3, CAP);
	assert_true(n3 >= n1);
	assert_memory_equal(ts1, ts3, n1 * sizeof ts1[0]);
	assert_memory_equal(am1, am3, n1 * sizeof am1[0]);

	/* and the drawn truth is the same too */
	P.weeks = 78;
	P.n_customers = 10;
	struct rebuy_gen *g1 = gen_or_fail(&P);
	P.n_customers = 1000;
	struct rebuy_gen *g2 = gen_or_fail(&P);
	assert_memory_equal(rebuy_gen_customer(g1, 7), rebuy_gen_customer(g2, 7),
	                    sizeof(struct rebuy_gen_truth));
	rebuy_gen_free(g1);
	rebuy_gen_free(g2);
}

static void check_well_formed(const struct rebuy_gen_params *P)
{
	struct rebuy_gen *g = gen_or_fail(P);
	uint64_t n = P->n_customers;
	uint32_t *count = calloc(n + 1, sizeof *count);
	assert_non_null(count);
	int64_t start = P->start_day * 86400;
	struct rebuy_gen_order o, prev = {0, 0, INT64_MIN, 0};
	uint64_t n_orders = 0;
	while (rebuy_gen_next(g, &o)) {
		n_orders++;
		assert_int_equal(o.order, n_orders);
		assert_in_range(o.customer, 1, n);
		assert_true(o.ts >= prev.ts);
		if (o.ts == prev.ts)
			assert_true(o.customer >= prev.customer);
		assert_true(o.ts >= start);
		assert_true((double)(o.ts - start) < P->weeks * WEEK);
		assert_true(o.amount > 0);
		assert_int_equal(o.amount % 100, 0);
		const struct rebuy_gen_truth *t = rebuy_gen_customer(g, o.customer);
		assert_non_null(t);
		if (count[o.customer]++ == 0) {
			/* the first purchase is at birth, inside the acquisition window */
			assert_int_equal(o.ts, t->birth_ts);
			assert_true((double)(o.ts - start) < P->acquisition_weeks * WEEK);
		} else {
			assert_true(o.ts >= t->birth_ts);
		}
		prev = o;
	}
	/* the end is sticky */
	assert_int_equal(rebuy_gen_next(g, &o), 0);
	assert_int_equal(rebuy_gen_next(g, &o), 0);
	for (uint64_t c = 1; c <= n; c++)
		assert_true(count[c] >= 1); /* everyone buys at birth */
	assert_true(n_orders > n);          /* and some buy again */
	free(count);
	rebuy_gen_free(g);
}

static void test_gen__orders_are_sorted_and_well_formed(void **state)
{
	(void)state;
	struct rebuy_gen_params P;
	rebuy_gen_params_init(&P);
	check_well_formed(&P);
	P.model = REBUY_GEN_BGNBD;
	check_well_formed(&P);
	P.n_customers = 1; /* a heap of one */
	P.r = 20;          /* who buys again */
	check_well_formed(&P);
	P.r = 0.55;
	/* Many orders in the same second: ties must come out by customer. */
	P.model = REBUY_GEN_PNBD;
	P.n_customers = 300;
	P.acquisition_weeks = 1.0 / WEEK; /* every birth in the first second */
	P.weeks = 10.0 / WEEK;            /* ten seconds */
	P.r = 50;
	P.alpha = 1.0 / WEEK; /* lambda about 50 a second */
	check_well_formed(&P);
}

/* Per customer: number of orders and the first order's amount. */
struct tally {
	uint32_t *count;
	double *first_amount;
};

static struct tally tally_run(const struct rebuy_gen_params *P)
{
	struct rebuy_gen *g = gen_or_fail(P);
	struct tally t = {calloc(P->n_customers + 1, sizeof(uint32_t)),
	                  calloc(P->n_customers + 1, sizeof(double))};
	assert_non_null(t.count);
	assert_non_null(t.first_amount);
	struct rebuy_gen_order o;
	while (rebuy_gen_next(g, &o))
		if (t.count[o.customer]++ == 0)
			t.first_amount[o.customer] = (double)o.amount / 10000.0;
	rebuy_gen_free(g);
	return t;
}

static void tally_free(struct tally *t)
{
	free(t->count);
	free(t->first_amount);
}

/* Sample mean and its standard error over customers 1..n. */
static void mean_se(const double *x, size_t n, double *mean, double *se)
{
	double sum = 0, ss = 0;
	for (size_t i = 1; i <= n; i++)
		sum += x[i];
	*mean = sum / (double)n;
	for (size_t i = 1; i <= n; i++)
		ss += (x[i] - *mean) * (x[i] - *mean);
	*se = sqrt(ss / (double)(n - 1) / (double)n);
}

/* Mean repeat purchases per customer when every customer is observed for
 * `weeks` after birth (acquisition within the first 1e-6 week). */
static void repeat_mean(struct rebuy_gen_params *P, double *mean, double *se)
{
	P->acquisition_weeks = 1e-6;
	struct tally t = tally_run(P);
	double *x = malloc((P->n_customers + 1) * sizeof *x);
	assert_non_null(x);
	for (uint64_t c = 1; c <= P->n_customers; c++)
		x[c] = (double)t.count[c] - 1.0;
	mean_se(x, P->n_customers, mean, se);
	free(x);
	tally_free(&t);
}

static double pnbd_expected_repeats(double r, double alpha, double s, double beta, double t)
{
	return r * beta / (alpha * (s - 1)) * (1 - pow(beta / (beta + t), s - 1));
}

static void check_pnbd(double r, double alpha, double s, double beta, double t, uint64_t seed)
{
	struct rebuy_gen_params P;
	rebuy_gen_params_init(&P);
	P.n_customers = 200000;
	P.r = r, P.alpha = alpha, P.s = s, P.beta = beta;
	P.weeks = t;
	P.seed = seed;
	double mean, se, want = pnbd_expected_repeats(r, alpha, s, beta, t);
	repeat_mean(&P, &mean, &se);
	print_message("pnbd E[X(%g)]: %.4f, expected %.4f, se %.4f\n", t, mean, want, se);
	assert_true(fabs(mean - want) < 5 * se);
}

static void test_gen__pnbd_mean_repeats_match_closed_form(void **state)
{
	(void)state;
	check_pnbd(0.55, 10.58, 0.61, 11.67, 52, 3); /* CDNOW: E about 1.46 */
	check_pnbd(2.0, 4.0, 3.0, 20.0, 26, 4);      /* s > 1 */
}

/* 2F1(a, b; c; z) by its series, 0 <= z < 1. */
static double hyp2f1(double a, double b, double c, double z)
{
	double term = 1, sum = 1;
	for (int n = 0; n < 1000000; n++) {
		term *= (a + n) * (b + n) / ((c + n) * (n + 1)) * z;
		sum += term;
		if (fabs(term) < 1e-16 * fabs(sum))
			break;
	}
	return sum;
}

static double bgnbd_expected_repeats(double r, double alpha, double a, double b, double t)
{
	double z = t / (alpha + t);
	return (a + b - 1) / (a - 1) *
	       (1 - pow(alpha / (alpha + t), r) * hyp2f1(r, b, a + b - 1, z));
}

static void check_bgnbd(double r, double alpha, double a, double b, double t, uint64_t seed)
{
	struct rebuy_gen_params P;
	rebuy_gen_params_init(&P);
	P.model = REBUY_GEN_BGNBD;
	P.n_customers = 200000;
	P.r = r, P.alpha = alpha, P.a = a, P.b = b;
	P.weeks = t;
	P.seed = seed;
	double mean, se, want = bgnbd_expected_repeats(r, alpha, a, b, t);
	repeat_mean(&P, &mean, &se);
	print_message("bgnbd E[X(%g)]: %.4f, expected %.4f, se %.4f\n", t, mean, want, se);
	assert_true(fabs(mean - want) < 5 * se);
}

static void test_gen__bgnbd_mean_repeats_match_closed_form(void **state)
{
	(void)state;
	/* The 2F1 series against a value it must give: 2F1(1, 1; 2; z) =
	 * -log(1 - z) / z. */
	assert_true(fabs(hyp2f1(1, 1, 2, 0.5) - 2 * log(2.0)) < 1e-12);
	check_bgnbd(0.243, 4.414, 0.793, 2.426, 52, 5); /* CDNOW BG/NBD: about 1.45 */
	check_bgnbd(2.0, 5.0, 1.5, 4.0, 39, 6);         /* a > 1, heavier buyers */
}

static void check_spend(double p, double q, double gamma, uint64_t seed)
{
	struct rebuy_gen_params P;
	rebuy_gen_params_init(&P);
	P.n_customers = 400000;
	P.weeks = 1;
	P.acquisition_weeks = 1;
	P.p = p, P.q = q, P.gamma = gamma;
	P.seed = seed;
	/* First orders only: one independent Gamma-Gamma draw per customer. */
	struct tally t = tally_run(&P);
	double mean, se, want = p * gamma / (q - 1);
	mean_se(t.first_amount, P.n_customers, &mean, &se);
	print_message("spend mean %.4f, expected %.4f, se %.4f\n", mean, want, se);
	/* Rounding to cents moves the mean by far less than 0.005. */
	assert_true(fabs(mean - want) < 5 * se + 0.005);
	tally_free(&t);
}

static void test_gen__mean_amount_matches_gamma_gamma(void **state)
{
	(void)state;
	check_spend(6.25, 3.74, 15.44, 7); /* CDNOW: mean about 35.2, tail ~ x^-4.74 */
	check_spend(2.0, 8.0, 70.0, 8);    /* lighter tail, mean 20 */
}

static void test_gen__amounts_are_whole_cents_at_least_one(void **state)
{
	(void)state;
	/* Mean spend of a tenth of a cent: almost every draw rounds to 0.00. */
	struct rebuy_gen_params P;
	rebuy_gen_params_init(&P);
	P.n_customers = 2000;
	P.p = 1, P.q = 100, P.gamma = 0.099; /* mean 0.001 */
	struct rebuy_gen *g = gen_or_fail(&P);
	struct rebuy_gen_order o;
	uint64_t n = 0, n_one_cent = 0;
	while (rebuy_gen_next(g, &o)) {
		n++;
		assert_true(o.amount >= 100);
		assert_int_equal(o.amount % 100, 0);
		n_one_cent += o.amount == 100;
	}
	assert_true(n_one_cent > n * 9 / 10);
	rebuy_gen_free(g);
}

static void test_gen__truth_is_drawn_from_the_priors(void **state)
{
	(void)state;
	struct rebuy_gen_params P;
	rebuy_gen_params_init(&P);
	P.n_customers = 200000;
	for (int model = 0; model < 2; model++) {
		P.model = model ? REBUY_GEN_BGNBD : REBUY_GEN_PNBD;
		struct rebuy_gen *g = gen_or_fail(&P);
		size_t n = P.n_customers;
		double *lambda = malloc((n + 1) * sizeof(double));
		double *drop = malloc((n + 1) * sizeof(double));
		double *nu = malloc((n + 1) * sizeof(double));
		assert_true(lambda && drop && nu);
		int64_t start = P.start_day * 86400;
		for (uint64_t c = 1; c <= n; c++) {
			const struct rebuy_gen_truth *t = rebuy_gen_customer(g, c);
			assert_non_null(t);
			lambda[c] = t->lambda;
			nu[c] = t->nu;
			assert_true(t->birth_ts >= start);
			assert_true((double)(t->birth_ts - start) < P.acquisition_weeks * WEEK);
			if (model) {
				assert_true(t->mu == 0 && t->p >= 0 && t->p <= 1);
				drop[c] = t->p;
			} else {
				assert_true(t->p == 0 && t->mu >= 0);
				drop[c] = t->mu;
			}
		}
		assert_null(rebuy_gen_customer(g, 0));
		assert_null(rebuy_gen_customer(g, n + 1));
		assert_null(rebuy_gen_customer(NULL, 1));
		double mean, se;
		mean_se(lambda, n, &mean, &se);
		assert_true(fabs(mean - P.r / P.alpha) < 5 * se);
		mean_se(nu, n, &mean, &se);
		assert_true(fabs(mean - P.q / P.gamma) < 5 * se);
		mean_se(drop, n, &mean, &se);
		double want = model ? P.a / (P.a + P.b) : P.s / P.beta;
		assert_true(fabs(mean - want) < 5 * se);
		free(lambda);
		free(drop);
		free(nu);
		rebuy_gen_free(g);
	}
}

static void test_gen__pnbd_lifetime_ends_purchases(void **state)
{
	(void)state;
	/* With mu huge, lifetimes are minutes: nobody buys again, however high
	 * lambda is; with mu tiny, high lambda customers all buy again. */
	struct rebuy_gen_params P;
	rebuy_gen_params_init(&P);
	P.n_customers = 1000;
	P.r = 100, P.alpha = 1;    /* lambda about 100 a week */
	P.s = 100, P.beta = 0.001; /* mu about 1e5 a week: life ~ 6 seconds */
	struct tally t = tally_run(&P);
	uint64_t repeats = 0;
	for (uint64_t c = 1; c <= P.n_customers; c++)
		repeats += t.count[c] - 1;
	assert_true(repeats < 20); /* expected about 1000 * 100/1e5 = 1 */
	tally_free(&t);

	P.s = 1, P.beta = 1e6; /* mu about 1e-6: nobody leaves */
	t = tally_run(&P);
	for (uint64_t c = 1; c <= P.n_customers; c++)
		assert_true(t.count[c] > 1);
	tally_free(&t);
}

static void test_gen__new_fails_cleanly_without_memory(void **state)
{
	(void)state;
	struct rebuy_gen_params P;
	rebuy_gen_params_init(&P);
	P.n_customers = 50;
	size_t before = rebuy_alloc_in_use();
	struct rebuy_gen *g = NULL;
	long k;
	for (k = 0; k < 100; k++) {
		struct rebuy_error err;
		rebuy_error_clear(&err);
		tu_fail_after(k);
		g = rebuy_gen_new(&P, &err);
		int triggered = tu_fail_triggered();
		tu_fail_after(-1);
		if (g) {
			assert_false(triggered);
			break;
		}
		assert_true(triggered);
		assert_int_equal(err.code, REBUY_ENOMEM);
		assert_non_null(strstr(err.msg, "memory"));
		assert_int_equal(rebuy_alloc_in_use(), before);
	}
	assert_non_null(g);
	assert_true(k >= 1); /* at least one failure was exercised */
	struct rebuy_gen_order o;
	assert_int_equal(rebuy_gen_next(g, &o), 1);
	assert_int_equal(o.order, 1);
	rebuy_gen_free(g);
	assert_int_equal(rebuy_alloc_in_use(), before);
	rebuy_gen_free(NULL);
}

/* ---- campaigns ---------------------------------------------------------- */

/* Every order of a stream as (customer, ts, amount), sorted. */
struct key3 {
	uint64_t customer;
	int64_t ts, amount;
};

static int cmp_key3(const void *pa, const void *pb)
{
	const struct key3 *a = pa, *b = pb;
	if (a->customer != b->customer)
		return a->customer < b->customer ? -1 : 1;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return (a->amount > b->amount) - (a->amount < b->amount);
}

struct run {
	struct key3 *o;
	size_t n;
	int group[2001]; /* per customer (<= 2000 in these tests) */
	struct rebuy_gen_campaign_truth truth;
	/* The observed outcome tallied from the stream, per group. */
	uint64_t converted[2], orders[2];
	int64_t revenue[2];
};

static void run_campaign(const struct rebuy_gen_params *P, struct run *r)
{
	memset(r, 0, sizeof *r);
	struct rebuy_gen *g = gen_or_fail(P);
	size_t cap = 1024;
	r->o = malloc(cap * sizeof *r->o);
	struct rebuy_gen_order o;
	int64_t send = P->campaign_day * 86400, end = send + P->campaign_window_days * 86400;
	static uint32_t in_window[2001];
	memset(in_window, 0, sizeof in_window);
	uint64_t last_order = 0;
	while (rebuy_gen_next(g, &o)) {
		assert_int_equal(o.order, ++last_order);
		if (r->n == cap)
			r->o = realloc(r->o, (cap *= 2) * sizeof *r->o);
		r->o[r->n++] = (struct key3){o.customer, o.ts, o.amount};
		int k = rebuy_gen_campaign_group(g, o.customer);
		if (k >= 0 && o.ts >= send && o.ts < end) {
			r->converted[k] += in_window[o.customer]++ == 0;
			r->orders[k]++;
			r->revenue[k] += o.amount;
		}
	}
	for (uint64_t c = 1; c <= P->n_customers; c++)
		r->group[c] = rebuy_gen_campaign_group(g, c);
	struct rebuy_error err;
	rebuy_error_clear(&err);
	if (rebuy_gen_campaign_truth(g, &r->truth, &err) != REBUY_OK)
		fail_msg("truth: %s", err.msg);
	rebuy_gen_free(g);
	qsort(r->o, r->n, sizeof *r->o, cmp_key3);
}

static void campaign_defaults(struct rebuy_gen_params *P, double effect)
{
	rebuy_gen_params_init(P);
	P->n_customers = 2000;
	P->seed = 9;
	P->weeks = 30;
	P->has_campaign = 1;
	P->campaign_day = P->start_day + 10 * 7; /* week 10: most are acquired */
	P->campaign_effect = effect;
}

/* The truth's observed outcomes are what the stream shows. */
static void check_observed(const struct run *r)
{
	for (int k = 0; k < 2; k++) {
		int w = k; /* treatment shows its outcome with, control without */
		assert_int_equal(r->converted[k], r->truth.converted[k][w]);
		assert_int_equal(r->orders[k], r->truth.orders[k][w]);
		assert_int_equal(r->revenue[k], r->truth.revenue[k][w]);
	}
}

static void test_gen__campaign_without_effect_changes_no_order(void **state)
{
	(void)state;
	struct rebuy_gen_params P;
	campaign_defaults(&P, 0);
	uint64_t n0, n1;
	uint64_t h1 = stream_hash(&P, &n1);
	P.has_campaign = 0;
	uint64_t h0 = stream_hash(&P, &n0);
	assert_int_equal(n0, n1);
	assert_int_equal(h0, h1);
	P.has_campaign = 1;
	struct run r;
	run_campaign(&P, &r);
	check_observed(&r);
	/* both outcomes are the same: every true effect is exactly 0 */
	for (int k = 0; k < 2; k++) {
		assert_int_equal(r.truth.converted[k][0], r.truth.converted[k][1]);
		assert_int_equal(r.truth.revenue[k][0], r.truth.revenue[k][1]);
	}
	assert_true(r.truth.ate_conversion == 0 && r.truth.att_revenue == 0);
	assert_int_equal(r.truth.incremental_revenue, 0);
	/* customers acquired before week 10 are in it, split about evenly */
	uint64_t in = r.truth.customers[0] + r.truth.customers[1];
	assert_in_range(in, 1550, 1780); /* 2000 x 10/12 = 1667 +- 5 sd */
	assert_in_range(r.truth.customers[1], in / 2 - 120, in / 2 + 120);
	free(r.o);
}

/* effect > 0: the treated keep every purchase of their own and gain extras
 * in the window; nobody else changes. */
static void test_gen__campaign_adds_purchases_to_the_treated_in_the_window(void **state)
{
	(void)state;
	struct rebuy_gen_params P;
	struct run base, with;
	campaign_defaults(&P, 0);
	run_campaign(&P, &base);
	P.campaign_effect = 2.0;
	run_campaign(&P, &with);
	check_observed(&with);
	assert_true(with.n > base.n);
	int64_t send = P.campaign_day * 86400, end = send + P.campaign_window_days * 86400;
	/* every base order is in `with`; every extra is a treated customer's,
	 * in the window */
	size_t i = 0, extras = 0;
	for (size_t k = 0; k < with.n; k++) {
		if (i < base.n && cmp_key3(&base.o[i], &with.o[k]) == 0) {
			i++;
			continue;
		}
		extras++;
		assert_int_equal(with.group[with.o[k].customer], 1);
		assert_true(with.o[k].ts >= send && with.o[k].ts < end);
	}
	assert_int_equal(i, base.n);
	assert_int_equal(extras, with.n - base.n);
	assert_int_equal(extras, with.truth.orders[1][1] - with.truth.orders[1][0]);
	/* the counterfactual without the campaign is the base run */
	for (int k = 0; k < 2; k++) {
		assert_int_equal(with.truth.converted[k][0], base.truth.converted[k][0]);
		assert_int_equal(with.truth.revenue[k][0], base.truth.revenue[k][0]);
		assert_true(with.truth.orders[k][1] > with.truth.orders[k][0]);
	}
	assert_true(with.truth.ate_conversion > 0 && with.truth.att_revenue > 0);
	assert_int_equal(with.truth.incremental_revenue,
	                 with.truth.revenue[1][1] - with.truth.revenue[1][0]);
	/* the expected effect on orders: extras at rate lambda x effect over
	 * the part of the window each lives; about twice the base's orders */
	double ratio = (double)(with.truth.orders[0][1] + with.truth.orders[1][1]) /
	               (double)(with.truth.orders[0][0] + with.truth.orders[1][0]);
	assert_true(ratio > 2.5 && ratio < 3.5);
	free(base.o);
	free(with.o);
}

/* effect < 0: the treated lose purchases in the window (thinning). */
static void test_gen__negative_effect_removes_purchases_of_the_treated(void **state)
{
	(void)state;
	struct rebuy_gen_params P;
	struct run base, with;
	campaign_defaults(&P, 0);
	P.model = REBUY_GEN_BGNBD;
	run_campaign(&P, &base);
	P.campaign_effect = -0.5;
	run_campaign(&P, &with);
	check_observed(&with);
	assert_true(with.n < base.n);
	size_t i = 0;
	for (size_t k = 0; k < base.n; k++) {
		if (i < with.n && cmp_key3(&with.o[i], &base.o[k]) == 0) {
			i++;
			continue;
		}
		assert_int_equal(base.group[base.o[k].customer], 1);
	}
	assert_int_equal(i, with.n);
	double kept = (double)with.truth.orders[0][1] / (double)with.truth.orders[0][0];
	assert_true(kept > 0.4 && kept < 0.6);
	assert_true(with.truth.ate_conversion < 0 && with.truth.incremental_revenue < 0);
	free(base.o);
	free(with.o);
}

static void test_gen__campaign_params_are_checked(void **state)
{
	(void)state;
	struct rebuy_gen_params P;
	campaign_defaults(&P, 0);
	assert_int_equal(rebuy_gen_params_check(&P, NULL), REBUY_OK);
	P.campaign_day = P.start_day;
	expect_rejected(&P, "campaign_day");
	P.campaign_day = P.start_day + 30 * 7; /* the day after the last */
	expect_rejected(&P, "campaign_day");
	P.campaign_day = P.start_day + 30 * 7 - 1;
	assert_int_equal(rebuy_gen_params_check(&P, NULL), REBUY_OK);
	const double bad_share[] = {0, 1, -0.1, NAN};
	for (size_t i = 0; i < 4; i++) {
		campaign_defaults(&P, 0);
		P.campaign_share = bad_share[i];
		expect_rejected(&P, "campaign_share");
	}
	const double bad_effect[] = {-1.01, 1000.5, NAN, INFINITY};
	for (size_t i = 0; i < 4; i++) {
		campaign_defaults(&P, bad_effect[i]);
		expect_rejected(&P, "campaign_effect");
	}
	campaign_defaults(&P, 0);
	P.campaign_window_days = 0;
	expect_rejected(&P, "campaign_window_days");
	/* no campaign: its fields are not looked at */
	P.has_campaign = 0;
	assert_int_equal(rebuy_gen_params_check(&P, NULL), REBUY_OK);
	/* the truth: only with a campaign, and once the stream has ended */
	struct rebuy_gen *g = gen_or_fail(&P);
	struct rebuy_gen_campaign_truth t;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_gen_campaign_truth(g, &t, &err), REBUY_EARG);
	assert_int_equal(rebuy_gen_campaign_group(g, 1), -1);
	rebuy_gen_free(g);
	campaign_defaults(&P, 1);
	g = gen_or_fail(&P);
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_gen_campaign_truth(g, &t, &err), REBUY_EARG);
	assert_string_equal(err.msg, "gen: the campaign's truth is known once every order is out");
	assert_int_equal(rebuy_gen_campaign_group(g, 0), -1);
	assert_int_equal(rebuy_gen_campaign_group(g, 2001), -1);
	rebuy_gen_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_gen__defaults_are_the_documented_ones),
	        cmocka_unit_test(test_gen__params_check_names_each_bad_parameter),
	        cmocka_unit_test(test_gen__same_params_same_stream),
	        cmocka_unit_test(test_gen__seed_changes_stream),
	        cmocka_unit_test(test_gen__customer_history_does_not_depend_on_others),
	        cmocka_unit_test(test_gen__orders_are_sorted_and_well_formed),
	        cmocka_unit_test(test_gen__pnbd_mean_repeats_match_closed_form),
	        cmocka_unit_test(test_gen__bgnbd_mean_repeats_match_closed_form),
	        cmocka_unit_test(test_gen__mean_amount_matches_gamma_gamma),
	        cmocka_unit_test(test_gen__amounts_are_whole_cents_at_least_one),
	        cmocka_unit_test(test_gen__truth_is_drawn_from_the_priors),
	        cmocka_unit_test(test_gen__pnbd_lifetime_ends_purchases),
	        cmocka_unit_test(test_gen__new_fails_cleanly_without_memory),
	        cmocka_unit_test(test_gen__campaign_without_effect_changes_no_order),
	        cmocka_unit_test(test_gen__campaign_adds_purchases_to_the_treated_in_the_window),
	        cmocka_unit_test(test_gen__negative_effect_removes_purchases_of_the_treated),
	        cmocka_unit_test(test_gen__campaign_params_are_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
