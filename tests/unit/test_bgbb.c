/* BG/BB (src/model/bgbb.h): every closed-form value of reference/clv.md,
 * its pmf and discounted residual transactions against identities, log
 * P(alive) where P underflows, finite answers at extreme inputs, and the
 * fit's log-likelihood (rebuy__model_bgbb): the sum of the rows, its
 * gradient, its independence of the thread count, and its value at the
 * donations optimum.
 *
 * Tolerances, stated at each check: closed forms 1e-12 relative against the
 * 14-15 digits clv.md prints; values beyond clv.md 1e-12 against mpmath (50
 * digits, the likelihood in bgbb.c's header summed term by term); the
 * donations log-likelihood 1e-6 absolute (clv.md prints six decimals);
 * gradients 1e-6 relative against central differences.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/bgbb.h"
#include "model/clv_int.h"

#define REL 1e-12

static void near_(const char *what, double got, double want, double rel, const char *file, int line)
{
	if (!(got == want || fabs(got - want) <= rel * fabs(want))) {
		print_error("%s = %.17g, want %.17g (rel %.3g)\n", what, got, want,
		            fabs(got - want) / fabs(want));
		_fail(file, line);
	}
}

#define NEAR(got, want, rel) near_(#got, (got), (want), (rel), __FILE__, __LINE__)

/* clv.md's parameters, (alpha, beta, gamma, delta), n = 6 opportunities. */
static const double bb[4] = {1.204, 0.750, 0.657, 2.783};

static double palive(const double *p, double x, double t_x, double n)
{
	return exp(rebuy__bgbb_log_palive(p, x, t_x, n));
}

static void test_bgbb__closed_forms_match_the_reference(void **state)
{
	(void)state;
	NEAR(rebuy__bgbb_ll(bb, 6, 6, 6), -2.1822484476183, REL);
	NEAR(rebuy__bgbb_ll(bb, 3, 6, 6), -5.80937207943543, REL);
	NEAR(rebuy__bgbb_ll(bb, 1, 1, 6), -2.28853168566626, REL);
	NEAR(rebuy__bgbb_ll(bb, 0, 0, 6), -1.16726247267389, REL);

	NEAR(palive(bb, 0, 0, 6), 0.108016584168674, REL);
	NEAR(palive(bb, 2, 4, 6), 0.589514116433698, REL);
	NEAR(palive(bb, 6, 6, 6), 0.930402542372881, REL);

	NEAR(rebuy__bgbb_expected(bb, 6), 2.2196313934873, REL);
	NEAR(rebuy__bgbb_expected(bb, 10), 3.17885432649229, REL);
	NEAR(rebuy__bgbb_expected(bb, 0), 0, 0);

	NEAR(rebuy__bgbb_cet(bb, 0, 0, 6, 5), 0.072802877475043, REL);
	NEAR(rebuy__bgbb_cet(bb, 4, 5, 6, 5), 2.0296230314778, REL);
	NEAR(rebuy__bgbb_cet(bb, 6, 6, 6, 5), 3.75211560759981, REL);
	NEAR(rebuy__bgbb_cet(bb, 0, 0, 6, 10), 0.130103791412849, REL);
	NEAR(rebuy__bgbb_cet(bb, 4, 5, 6, 10), 3.62707712514003, REL);
	NEAR(rebuy__bgbb_cet(bb, 4, 5, 6, 0), 0, 0);
}

/* P(X(n) = x) over x = 0..n sums to 1 and its mean is clv.md's E[X(n)]. */
static void test_bgbb__pmf_sums_to_one_with_the_reference_mean(void **state)
{
	(void)state;
	static const double n[2] = {6, 10}, mean[2] = {2.2196313934873, 3.17885432649229};
	for (int k = 0; k < 2; k++) {
		double s = 0, m = 0;
		for (double x = 0; x <= n[k]; x++) {
			double px = rebuy__bgbb_pmf(bb, n[k], x);
			assert_true(px > 0 && px < 1);
			s += px;
			m += x * px;
		}
		NEAR(s, 1, REL);
		NEAR(m, mean[k], REL);
		NEAR(rebuy__bgbb_pmf(bb, n[k], n[k] + 1), 0, 0);
		NEAR(rebuy__bgbb_pmf(bb, n[k], -1), 0, 0);
	}
	/* n = 0: nothing happens. */
	NEAR(rebuy__bgbb_pmf(bb, 0, 0), 1, REL);
}

/* DERL is the discounted sum of the expected transactions at n + k:
 * sum_k (CET(k) - CET(k - 1)) (1 + d)^-k. At d = 0.1 the terms beyond k =
 * 400 are below 1.1^-400 = 3e-17 of the first. */
static void test_bgbb__derl_is_the_discounted_sum_of_cet_steps(void **state)
{
	(void)state;
	static const double h[3][3] = {{0, 0, 6}, {4, 5, 6}, {6, 6, 6}};
	for (int i = 0; i < 3; i++) {
		double d = 0.1, s = 0, prev = 0, disc = 1;
		for (int k = 1; k <= 400; k++) {
			double c = rebuy__bgbb_cet(bb, h[i][0], h[i][1], h[i][2], k);
			disc /= 1 + d;
			s += (c - prev) * disc;
			prev = c;
		}
		NEAR(rebuy__bgbb_derl(bb, h[i][0], h[i][1], h[i][2], d), s, REL);
	}
	/* d = 0: all future transactions, +inf when gamma <= 1 (0.657 here). */
	assert_true(rebuy__bgbb_derl(bb, 6, 6, 6, 0) == INFINITY);
}

/* A customer who transacted at each of the first 1000 opportunities and at
 * none of the next 4000 is all but surely gone: P(alive) = e^-2495.3, below
 * the smallest double. mpmath (50 digits) of the alive term over L times
 * (delta + n) / (gamma + delta + n): log P(alive) =
 * -2495.2879103937665070200, log L = -16.351578065424585389962. And a
 * lighter case, (100, 200, 2000): log P(alive) = -257.46597289876029275. */
static void test_bgbb__log_palive_where_palive_underflows(void **state)
{
	(void)state;
	double lp = rebuy__bgbb_log_palive(bb, 1000, 1000, 5000);
	assert_true(isfinite(lp));
	NEAR(lp, -2495.2879103937665070200, REL);
	NEAR(rebuy__bgbb_ll(bb, 1000, 1000, 5000), -16.351578065424585389962, REL);
	NEAR(rebuy__bgbb_log_palive(bb, 100, 200, 2000), -257.46597289876029275, REL);
	NEAR(palive(bb, 1000, 1000, 5000), 0, 0);
	double c = rebuy__bgbb_cet(bb, 1000, 1000, 5000, 10);
	assert_true(c >= 0 && c < 1e-300);
}

/* Finite, in-range answers over parameters from 1e-6 to 1e6 and histories
 * from 6 to 100,000 opportunities: log L <= 0 (L is a probability; up to
 * 1e-12 of rounding where L is 1 to that many digits), log P(alive) <= 0,
 * CET and DERL finite and >= 0, E[X(n)] in [0, n], the pmf in [0, 1]. */
static void test_bgbb__extreme_inputs_give_numbers(void **state)
{
	(void)state;
	static const double v[5] = {1e-6, 1e-3, 1, 1e3, 1e6};
	static const double hist[][3] = {
	        {0, 0, 6},          {6, 6, 6},       {3, 5, 6},   {1, 1, 1000},
	        {1000, 1000, 1000}, {500, 1e4, 1e4}, {0, 0, 1e5}, {99999, 1e5, 1e5},
	};
	for (int i = 0; i < 625; i++) {
		const double p[4] = {v[i % 5], v[i / 5 % 5], v[i / 25 % 5], v[i / 125]};
		for (size_t k = 0; k < sizeof hist / sizeof *hist; k++) {
			double x = hist[k][0], t_x = hist[k][1], n = hist[k][2];
			double ll = rebuy__bgbb_ll(p, x, t_x, n);
			double lp = rebuy__bgbb_log_palive(p, x, t_x, n);
			double c = rebuy__bgbb_cet(p, x, t_x, n, 10);
			double dl = rebuy__bgbb_derl(p, x, t_x, n, 0.1);
			if (!(ll <= 1e-12) || !(lp <= 0) || !isfinite(lp) || !isfinite(ll) ||
			    !(c >= 0 && c <= 10) || !(dl >= 0 && isfinite(dl)))
				fail_msg("bgbb at (%g, %g, %g, %g) | (%g, %g, %g): ll %g, log "
				         "P(alive) "
				         "%g, CET %g, DERL %g",
				         p[0], p[1], p[2], p[3], x, t_x, n, ll, lp, c, dl);
		}
		double e = rebuy__bgbb_expected(p, 1e5), pm = rebuy__bgbb_pmf(p, 1000, 3);
		if (!(e >= 0 && e <= 1e5) || !(pm >= 0 && pm <= 1))
			fail_msg("bgbb at (%g, %g, %g, %g): E[X(1e5)] %g, P(X(1000) = 3) %g", p[0],
			         p[1], p[2], p[3], e, pm);
	}
}

static void test_bgbb__bad_arguments_give_nan(void **state)
{
	(void)state;
	static const double bad[][4] = {
	        {0, 1, 1, 1}, {1, -1, 1, 1}, {1, 1, NAN, 1}, {1, 1, 1, INFINITY}};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_true(isnan(rebuy__bgbb_ll(bad[i], 2, 3, 6)));
		assert_true(isnan(rebuy__bgbb_log_palive(bad[i], 2, 3, 6)));
		assert_true(isnan(rebuy__bgbb_cet(bad[i], 2, 3, 6, 5)));
		assert_true(isnan(rebuy__bgbb_expected(bad[i], 6)));
		assert_true(isnan(rebuy__bgbb_pmf(bad[i], 6, 2)));
		assert_true(isnan(rebuy__bgbb_derl(bad[i], 2, 3, 6, 0.1)));
		double ll, g[4];
		struct rebuy__clv_rows rows = {0};
		assert_int_equal(rebuy__model_bgbb.loglik(bad[i], &rows, NULL, 1, &ll, g),
		                 REBUY_OK);
		assert_true(isnan(ll) && isnan(g[0]) && isnan(g[3]));
	}
	/* Histories outside 0 <= x <= t_x <= n, x = 0 with t_x > 0, and
	 * non-integers. */
	static const double badh[][3] = {{3, 2, 6}, {2, 7, 6}, {0, 2, 6}, {1.5, 2, 6}, {-1, 0, 6}};
	for (size_t i = 0; i < sizeof badh / sizeof *badh; i++) {
		assert_true(isnan(rebuy__bgbb_ll(bb, badh[i][0], badh[i][1], badh[i][2])));
		assert_true(isnan(rebuy__bgbb_cet(bb, badh[i][0], badh[i][1], badh[i][2], 5)));
	}
	assert_true(isnan(rebuy__bgbb_cet(bb, 2, 3, 6, 2.5)));
	assert_true(isnan(rebuy__bgbb_derl(bb, 2, 3, 6, -0.1)));
	assert_true(isnan(rebuy__bgbb_expected(bb, 1.5)));
}

/* ------------------------------------------------------------------------
 * The fit's log-likelihood. */

static double loglik(const double *p, const struct rebuy__clv_rows *rows, unsigned n_threads,
                     double *grad)
{
	double ll;
	assert_int_equal(rebuy__model_bgbb.loglik(p, rows, NULL, n_threads, &ll, grad), REBUY_OK);
	return ll;
}

/* Seven histories at n = 6 and two longer ones, with a zero weight (on a
 * history the model cannot read: it must not count) and fractional
 * weights. */
static const double rx[9] = {0, 1, 3, 6, 2, 4, 5, 30, 3};
static const double rtx[9] = {0, 1, 6, 6, 4, 5, 0, 40, 3};
static const double rn[9] = {6, 6, 6, 6, 6, 6, 6, 100, 50};
static const double rw[9] = {3464, 1091, 357, 1203, 2.5, 0.25, 0, 1, 7};

static void test_bgbb__loglik_is_the_weighted_sum_of_the_rows(void **state)
{
	(void)state;
	struct rebuy__clv_rows rows = {.n = 9, .x = rx, .t_x = rtx, .T = rn, .w = rw};
	static const double pts[][4] = {
	        {1.204, 0.750, 0.657, 2.783}, {1, 1, 1, 1}, {0.05, 20, 3, 0.4}};
	for (size_t i = 0; i < sizeof pts / sizeof *pts; i++) {
		double sum = 0, g[4];
		for (int k = 0; k < 9; k++)
			if (rw[k] > 0)
				sum += rw[k] * rebuy__bgbb_ll(pts[i], rx[k], rtx[k], rn[k]);
		NEAR(loglik(pts[i], &rows, 1, g), sum, REL);
	}
	/* A weighted row the model cannot read makes the sum NaN, not a skip. */
	double w2[9];
	memcpy(w2, rw, sizeof w2);
	w2[6] = 1;
	struct rebuy__clv_rows bad = {.n = 9, .x = rx, .t_x = rtx, .T = rn, .w = w2};
	double g[4];
	assert_true(isnan(loglik(bb, &bad, 1, g)));
	assert_true(isnan(g[0]));
}

/* d ll / d log(theta_k) against the fourth-order central difference with
 * step 1e-3 in log(theta_k): truncation about h^4 of the fifth derivative,
 * rounding about 1e-16 |ll| / h; tolerance 1e-6 |g_k| + 1e-10 |ll|. */
static void check_gradient(const double *p, const struct rebuy__clv_rows *rows)
{
	double g[4], ll = loglik(p, rows, 1, g);
	assert_true(isfinite(ll));
	const double h = 1e-3;
	static const double steps[4] = {-2, -1, 1, 2};
	for (int k = 0; k < 4; k++) {
		double f[4];
		for (int s = 0; s < 4; s++) {
			double q[4] = {p[0], p[1], p[2], p[3]};
			q[k] *= exp(steps[s] * h);
			f[s] = loglik(q, rows, 1, NULL);
		}
		double num = (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h);
		if (!(fabs(num - g[k]) <= 1e-6 * fabs(g[k]) + 1e-10 * fabs(ll)))
			fail_msg("d/dlog p[%d] at (%g, %g, %g, %g): analytic %.12g, numeric %.12g",
			         k, p[0], p[1], p[2], p[3], g[k], num);
	}
}

static void test_bgbb__gradient_matches_central_differences(void **state)
{
	(void)state;
	struct rebuy__clv_rows rows = {.n = 9, .x = rx, .t_x = rtx, .T = rn, .w = rw};
	static const double pts[][4] = {
	        {1.204, 0.750, 0.657, 2.783}, {1, 1, 1, 1},         {0.05, 20, 3, 0.4},
	        {1e-3, 1e-3, 1e-3, 1e-3},     {300, 50, 1e-2, 800}, {2, 0.3, 40, 1e3},
	};
	for (size_t i = 0; i < sizeof pts / sizeof *pts; i++)
		check_gradient(pts[i], &rows);
}

/* 10,000 rows (five chunks of rebuy__clv_sum): 1, 2 and 4 threads give the
 * same bits. */
static void test_bgbb__threads_do_not_change_the_sum(void **state)
{
	(void)state;
	enum { N = 10000 };
	double *x = malloc(N * sizeof *x), *t_x = malloc(N * sizeof *t_x);
	double *n = malloc(N * sizeof *n), *w = malloc(N * sizeof *w);
	assert_true(x && t_x && n && w);
	for (size_t i = 0; i < N; i++) {
		n[i] = (double)(6 + i % 5);
		t_x[i] = (double)(i % 7) < n[i] ? (double)(i % 7) : n[i];
		x[i] = t_x[i] > 0 ? 1 + (double)(i % 3) : 0;
		if (x[i] > t_x[i])
			x[i] = t_x[i];
		w[i] = (double)(i % 4);
	}
	struct rebuy__clv_rows rows = {.n = N, .x = x, .t_x = t_x, .T = n, .w = w};
	double g1[4], g[4], l1 = loglik(bb, &rows, 1, g1);
	assert_true(isfinite(l1));
	static const unsigned threads[2] = {2, 4};
	for (int k = 0; k < 2; k++) {
		double l = loglik(bb, &rows, threads[k], g);
		assert_memory_equal(&l, &l1, sizeof l);
		assert_memory_equal(g, g1, sizeof g);
	}
	free(x);
	free(t_x);
	free(n);
	free(w);
}

/* clv.md: the donations data (11,104 donors, 6 opportunities; 22 rows of
 * frequency, recency, periods, weights) at the optimum (1.203522, 0.749716,
 * 0.656718, 2.783442), log-likelihood -33225.581274, to 1e-6 absolute
 * (parameters rounded to six digits move it by a second-order amount,
 * below 1e-8). */
static void test_bgbb__loglik_at_the_donations_optimum(void **state)
{
	(void)state;
	const char *path = tu_shared_path("data/cdnow/donations.csv");
	if (!path) {
		skip();
		return;
	}
	size_t len;
	char *text = tu_read_file(path, &len);
	assert_non_null(text);
	double x[64], t_x[64], n[64], w[64], donors = 0;
	size_t k = 0;
	char *line = strchr(text, '\n');
	while (line && line[1] && k < 64) {
		char *end;
		x[k] = strtod(line + 1, &end);
		t_x[k] = strtod(end + 1, &end);
		n[k] = strtod(end + 1, &end);
		w[k] = strtod(end + 1, &end);
		donors += w[k++];
		line = strchr(end, '\n');
	}
	free(text);
	assert_int_equal(k, 22);
	NEAR(donors, 11104, 0);
	struct rebuy__clv_rows rows = {.n = k, .x = x, .t_x = t_x, .T = n, .w = w};
	const double opt[4] = {1.203522, 0.749716, 0.656718, 2.783442};
	double g[4];
	assert_true(fabs(loglik(opt, &rows, 2, g) - -33225.581274) <= 1e-6);
	/* The gradient there is what the rounding leaves (measured below
	 * 0.01); 1% off in alpha it is above 10. */
	for (int i = 0; i < 4; i++)
		assert_true(fabs(g[i]) < 0.01);
	const double off[4] = {opt[0] * 1.01, opt[1], opt[2], opt[3]};
	loglik(off, &rows, 2, g);
	assert_true(fabs(g[0]) > 10);
}

static void test_bgbb__start_and_names(void **state)
{
	(void)state;
	double p[4];
	struct rebuy__clv_rows rows = {.n = 9, .x = rx, .t_x = rtx, .T = rn, .w = rw};
	rebuy__model_bgbb.start(&rows, p);
	for (int k = 0; k < 4; k++)
		NEAR(p[k], 1, 0); /* Beta(1, 1) for both p and theta */
	assert_string_equal(rebuy__model_bgbb.name, "bgbb");
	assert_int_equal(rebuy__model_bgbb.n_params, 4);
	assert_string_equal(rebuy__model_bgbb.param_names[3], "delta");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_bgbb__closed_forms_match_the_reference),
	        cmocka_unit_test(test_bgbb__pmf_sums_to_one_with_the_reference_mean),
	        cmocka_unit_test(test_bgbb__derl_is_the_discounted_sum_of_cet_steps),
	        cmocka_unit_test(test_bgbb__log_palive_where_palive_underflows),
	        cmocka_unit_test(test_bgbb__extreme_inputs_give_numbers),
	        cmocka_unit_test(test_bgbb__bad_arguments_give_nan),
	        cmocka_unit_test(test_bgbb__loglik_is_the_weighted_sum_of_the_rows),
	        cmocka_unit_test(test_bgbb__gradient_matches_central_differences),
	        cmocka_unit_test(test_bgbb__threads_do_not_change_the_sum),
	        cmocka_unit_test(test_bgbb__loglik_at_the_donations_optimum),
	        cmocka_unit_test(test_bgbb__start_and_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
