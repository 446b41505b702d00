/* Gamma-Gamma spend (src/model/gg.h): the conditional expected spend and the
 * population mean of reference/clv.md, the density against hand-worked
 * values, finite answers at extreme inputs, and the fit's log-likelihood
 * (rebuy__model_gg): the sum of the rows, its gradient, its independence of
 * the thread count, and its value at the two CDNOW optima.
 *
 * Tolerances, stated at each check: closed forms 1e-12 relative against the
 * 15 digits clv.md prints and against values worked by hand; CDNOW
 * log-likelihoods 1e-6 absolute (clv.md prints six decimals); gradients
 * 1e-6 relative against central differences.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/clv_int.h"
#include "model/gg.h"

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

static const double gg[3] = {6.25, 3.74, 15.44};

/* clv.md: E[spend | x, mean] for customers 1..10 of summary A. Their x and
 * zbar, from data/cdnow/cdnow_customers_summary_with_transactions.csv
 * (ID,x,t_x,T,zbar): 1: 2, 22.35; 2: 1, 11.77; 3-5: 0; 6: 7, 73.74; 7: 1,
 * 11.77; 8: 0; 9: 2, 25.55; 10: 0. The zeros have no repeat purchase and get
 * the population mean p gamma / (q - 1) = 6.25 * 15.44 / 2.74. */
static void test_gg__expected_spend_matches_the_reference(void **state)
{
	(void)state;
	static const double x[10] = {2, 1, 0, 0, 0, 7, 1, 0, 2, 0};
	static const double zbar[10] = {22.35, 11.77, 0, 0, 0, 73.74, 11.77, 0, 25.55, 0};
	static const double want[10] = {24.6637139107612, 18.916852057842,  35.2189781021898,
	                                35.2189781021898, 35.2189781021898, 71.4696708969671,
	                                18.916852057842,  35.2189781021898, 27.2883858267717,
	                                35.2189781021898};
	for (int i = 0; i < 10; i++)
		NEAR(rebuy__gg_expected_spend(gg, x[i], zbar[i]), want[i], REL);
	NEAR(rebuy__gg_population_mean(gg), 35.2189781021898, REL);
	NEAR(rebuy__gg_population_mean(gg), 6.25 * 15.44 / 2.74, REL);
}

/* The same customers read from the file, so that the table above is the
 * file's. */
static void test_gg__reference_customers_are_the_files(void **state)
{
	(void)state;
	const char *path =
	        tu_shared_path("data/cdnow/cdnow_customers_summary_with_transactions.csv");
	if (!path) {
		skip();
		return;
	}
	size_t len;
	char *text = tu_read_file(path, &len);
	assert_non_null(text);
	static const double want[10] = {24.6637139107612, 18.916852057842,  35.2189781021898,
	                                35.2189781021898, 35.2189781021898, 71.4696708969671,
	                                18.916852057842,  35.2189781021898, 27.2883858267717,
	                                35.2189781021898};
	char *line = strchr(text, '\n');
	for (int i = 0; i < 10; i++) {
		assert_non_null(line);
		char *end;
		double id = strtod(line + 1, &end);
		double x = strtod(end + 1, &end);
		strtod(end + 1, &end); /* t_x */
		strtod(end + 1, &end); /* T */
		double zbar = strtod(end + 1, &end);
		NEAR(id, i + 1, 0);
		NEAR(rebuy__gg_expected_spend(gg, x, zbar), want[i], REL);
		line = strchr(end, '\n');
	}
	free(text);
}

/* The density of the mean of x values,
 *   Gamma(px + q) / (Gamma(px) Gamma(q)) gamma^q x^(px) mean^(px - 1)
 *   / (gamma + x mean)^(px + q),
 * worked by hand at small integers:
 *   (1, 1, 1), x = 1, mean = 1: 1! / (0! 0!) 1 1 1 / 2^2 = 1/4;
 *   (2, 3, 4), x = 2, mean = 3: 6! / (3! 2!) 4^3 2^4 3^3 / 10^7 = 60 * 64
 *       * 16 * 27 / 10^7 = 0.165888;
 *   (0.5, 2, 1), x = 1, mean = 1: Gamma(2.5) / (Gamma(0.5) 1!) 1 / 2^2.5 =
 *       (3/4) / 2^2.5 = 0.75 / (4 sqrt(2)). */
static void test_gg__density_matches_hand_values(void **state)
{
	(void)state;
	const double p1[3] = {1, 1, 1}, p2[3] = {2, 3, 4}, p3[3] = {0.5, 2, 1};
	NEAR(rebuy__gg_ll(p1, 1, 1), log(0.25), REL);
	NEAR(rebuy__gg_ll(p2, 2, 3), log(0.165888), REL);
	NEAR(rebuy__gg_ll(p3, 1, 1), log(0.75 / (4 * sqrt(2))), REL);
	/* E[value | x, mean] = p (gamma + x mean) / (p x + q - 1): at p2, x = 2,
	 * mean = 3: 2 * 10 / 6. */
	NEAR(rebuy__gg_expected_spend(p2, 2, 3), 20.0 / 6, REL);
	/* Where the expectation diverges, +inf: p x + q <= 1. */
	const double low[3] = {0.1, 0.5, 1};
	assert_true(rebuy__gg_expected_spend(low, 2, 3) == INFINITY);
	assert_true(rebuy__gg_population_mean(low) == INFINITY);
}

/* Finite answers over parameters from 1e-6 to 1e6 and (x, mean) from (0.5,
 * 1e3) to (1e6, 1e6): the log density, and a positive expected spend. */
static void test_gg__extreme_inputs_give_numbers(void **state)
{
	(void)state;
	static const double v[5] = {1e-6, 1e-3, 1, 1e3, 1e6};
	static const double xm[][2] = {{1, 1e-6},  {1, 1e6}, {1e6, 1e-3},
	                               {1e6, 1e6}, {3, 20},  {0.5, 1e3}};
	for (int i = 0; i < 125; i++) {
		const double p[3] = {v[i % 5], v[i / 5 % 5], v[i / 25]};
		for (size_t k = 0; k < sizeof xm / sizeof *xm; k++) {
			double l = rebuy__gg_ll(p, xm[k][0], xm[k][1]);
			double e = rebuy__gg_expected_spend(p, xm[k][0], xm[k][1]);
			if (!isfinite(l) || !(e > 0))
				fail_msg("gg at (%g, %g, %g) | (%g, %g): ll %g, E %g", p[0], p[1],
				         p[2], xm[k][0], xm[k][1], l, e);
		}
	}
}

static void test_gg__bad_arguments_give_nan(void **state)
{
	(void)state;
	static const double bad[][3] = {{0, 1, 1}, {1, -1, 1}, {1, 1, NAN}, {INFINITY, 1, 1}};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_true(isnan(rebuy__gg_ll(bad[i], 2, 3)));
		assert_true(isnan(rebuy__gg_expected_spend(bad[i], 2, 3)));
		assert_true(isnan(rebuy__gg_population_mean(bad[i])));
		double ll, g[3];
		struct rebuy__clv_rows rows = {0};
		assert_int_equal(rebuy__model_gg.loglik(bad[i], &rows, NULL, 1, &ll, g), REBUY_OK);
		assert_true(isnan(ll) && isnan(g[0]) && isnan(g[2]));
	}
	assert_true(isnan(rebuy__gg_ll(gg, 0, 3)));
	assert_true(isnan(rebuy__gg_ll(gg, 2, 0)));
	assert_true(isnan(rebuy__gg_ll(gg, 2, -1)));
	assert_true(isnan(rebuy__gg_expected_spend(gg, -1, 3)));
	assert_true(isnan(rebuy__gg_expected_spend(gg, 2, NAN)));
}

/* ------------------------------------------------------------------------
 * The fit's log-likelihood. */

static double loglik(const double *p, const struct rebuy__clv_rows *rows, unsigned n_threads,
                     double *grad)
{
	double ll;
	assert_int_equal(rebuy__model_gg.loglik(p, rows, NULL, n_threads, &ll, grad), REBUY_OK);
	return ll;
}

/* Six customers with fractional and zero weights; the zero-weight row is
 * one the model cannot read (x = 0) and must not count. */
static const double rx[6] = {2, 1, 7, 2, 0, 30};
static const double rm[6] = {22.35, 11.77, 73.74, 25.55, 0, 3.5};
static const double rw[6] = {1, 2.5, 1, 4, 0, 0.25};

static void test_gg__loglik_is_the_weighted_sum_of_the_rows(void **state)
{
	(void)state;
	struct rebuy__clv_rows rows = {.n = 6, .x = rx, .t_x = rm, .w = rw};
	static const double pts[][3] = {{6.25, 3.74, 15.44}, {1, 1, 1}, {0.3, 40, 2e3}};
	for (size_t i = 0; i < sizeof pts / sizeof *pts; i++) {
		double sum = 0;
		for (int k = 0; k < 6; k++)
			if (rw[k] > 0)
				sum += rw[k] * rebuy__gg_ll(pts[i], rx[k], rm[k]);
		NEAR(loglik(pts[i], &rows, 1, NULL), sum, REL);
	}
	double w2[6];
	memcpy(w2, rw, sizeof w2);
	w2[4] = 1;
	struct rebuy__clv_rows bad = {.n = 6, .x = rx, .t_x = rm, .w = w2};
	double g[3];
	assert_true(isnan(loglik(gg, &bad, 1, g)));
	assert_true(isnan(g[1]));
}

/* d ll / d log(theta_k) against the fourth-order central difference with
 * step 1e-3 in log(theta_k); tolerance 1e-6 |g_k| + 1e-10 |ll| (rounding
 * of the difference quotient, 1e-16 |ll| / h). */
static void check_gradient(const double *p, const struct rebuy__clv_rows *rows)
{
	double g[3], ll = loglik(p, rows, 1, g);
	assert_true(isfinite(ll));
	const double h = 1e-3;
	static const double steps[4] = {-2, -1, 1, 2};
	for (int k = 0; k < 3; k++) {
		double f[4];
		for (int s = 0; s < 4; s++) {
			double q[3] = {p[0], p[1], p[2]};
			q[k] *= exp(steps[s] * h);
			f[s] = loglik(q, rows, 1, NULL);
		}
		double num = (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h);
		if (!(fabs(num - g[k]) <= 1e-6 * fabs(g[k]) + 1e-10 * fabs(ll)))
			fail_msg("d/dlog p[%d] at (%g, %g, %g): analytic %.12g, numeric %.12g", k,
			         p[0], p[1], p[2], g[k], num);
	}
}

static void test_gg__gradient_matches_central_differences(void **state)
{
	(void)state;
	struct rebuy__clv_rows rows = {.n = 6, .x = rx, .t_x = rm, .w = rw};
	static const double pts[][3] = {{6.25, 3.74, 15.44}, {1, 1, 1},   {0.3, 40, 2e3},
	                                {1e-3, 0.01, 0.5},   {200, 5, 1}, {3, 1e3, 1e4}};
	for (size_t i = 0; i < sizeof pts / sizeof *pts; i++)
		check_gradient(pts[i], &rows);
}

/* 10,000 rows (five chunks of rebuy__clv_sum): 1, 2 and 4 threads give the
 * same bits. */
static void test_gg__threads_do_not_change_the_sum(void **state)
{
	(void)state;
	enum { N = 10000 };
	double *x = malloc(N * sizeof *x), *m = malloc(N * sizeof *m), *w = malloc(N * sizeof *w);
	assert_true(x && m && w);
	for (size_t i = 0; i < N; i++) {
		x[i] = (double)(1 + i % 9);
		m[i] = 5 + (double)(i % 101) * 0.37;
		w[i] = (double)(i % 3);
	}
	struct rebuy__clv_rows rows = {.n = N, .x = x, .t_x = m, .w = w};
	double g1[3], g[3], l1 = loglik(gg, &rows, 1, g1);
	assert_true(isfinite(l1));
	static const unsigned threads[2] = {2, 4};
	for (int k = 0; k < 2; k++) {
		double l = loglik(gg, &rows, threads[k], g);
		assert_memory_equal(&l, &l1, sizeof l);
		assert_memory_equal(g, g1, sizeof g);
	}
	free(x);
	free(m);
	free(w);
}

/* Lines of a CSV after its header, as a malloc'd array of line starts. */
static char **lines_of(char *text, size_t *n)
{
	size_t cap = 4096;
	char **v = malloc(cap * sizeof *v);
	assert_non_null(v);
	*n = 0;
	char *line = strchr(text, '\n');
	while (line && line[1]) {
		if (*n == cap) {
			cap *= 2;
			v = realloc(v, cap * sizeof *v);
			assert_non_null(v);
		}
		v[(*n)++] = ++line;
		line = strchr(line, '\n');
	}
	return v;
}

/* clv.md: the 946 repeat buyers of CDNOW at two optima, log-likelihood to
 * 1e-6 absolute (parameters rounded to six digits move it by a
 * second-order amount, below 1e-8):
 *   B: x from cdnow_cbs_exact.csv ("",x,t.x,T.cal,x.star), the mean from
 *      cdnow_mx_exact.csv (value), at (6.249572, 3.744225, 15.443521):
 *      -4055.917695;
 *   A: x and zbar of cdnow_customers_summary_with_transactions.csv at
 *      (6.248802, 3.744588, 15.447748): -4055.923244. */
static void test_gg__loglik_at_the_cdnow_optima(void **state)
{
	(void)state;
	const char *p = tu_shared_path("data/cdnow/cdnow_cbs_exact.csv");
	if (!p) {
		skip();
		return;
	}
	size_t len, n_cbs, n_mx, n_a;
	char *cbs = tu_read_file(p, &len);
	char *mx = tu_read_file(tu_shared_path("data/cdnow/cdnow_mx_exact.csv"), &len);
	char *sa = tu_read_file(
	        tu_shared_path("data/cdnow/cdnow_customers_summary_with_transactions.csv"), &len);
	assert_true(cbs && mx && sa);
	char **lc = lines_of(cbs, &n_cbs), **lm = lines_of(mx, &n_mx), **la = lines_of(sa, &n_a);
	assert_int_equal(n_cbs, 2357);
	assert_int_equal(n_mx, 2357);
	assert_int_equal(n_a, 2357);
	double *x = malloc(2 * 2357 * sizeof *x), *m = malloc(2 * 2357 * sizeof *m);
	double *w = malloc(2357 * sizeof *w);
	assert_true(x && m && w);
	size_t nb = 0, na = 0;
	for (size_t i = 0; i < 2357; i++) {
		char *end;
		double xb = strtod(strchr(lc[i], ',') + 1, &end);
		double mb = strtod(lm[i], &end);
		if (xb > 0) {
			x[nb] = xb;
			m[nb++] = mb;
		}
		strtod(la[i], &end); /* ID */
		double xa = strtod(end + 1, &end);
		strtod(end + 1, &end); /* t_x */
		strtod(end + 1, &end); /* T */
		double za = strtod(end + 1, &end);
		if (xa > 0) {
			x[2357 + na] = xa;
			m[2357 + na++] = za;
		}
		w[i] = 1;
	}
	assert_int_equal(nb, 946);
	assert_int_equal(na, 946);
	struct rebuy__clv_rows rb = {.n = nb, .x = x, .t_x = m, .w = w};
	struct rebuy__clv_rows ra = {.n = na, .x = x + 2357, .t_x = m + 2357, .w = w};
	const double opt_b[3] = {6.249572, 3.744225, 15.443521};
	const double opt_a[3] = {6.248802, 3.744588, 15.447748};
	double g[3];
	assert_true(fabs(loglik(opt_b, &rb, 2, g) - -4055.917695) <= 1e-6);
	/* What the rounding leaves of the gradient (measured 4e-4); 1% off in
	 * q it is above 1. */
	for (int k = 0; k < 3; k++)
		assert_true(fabs(g[k]) < 0.01);
	const double off[3] = {opt_b[0], opt_b[1] * 1.01, opt_b[2]};
	loglik(off, &rb, 2, g);
	assert_true(fabs(g[1]) > 1);
	assert_true(fabs(loglik(opt_a, &ra, 2, NULL) - -4055.923244) <= 1e-6);

	/* The start (moments) matches the population mean to the sample's:
	 * p gamma / (q - 1) = the mean of the customers' means. */
	double st[3], mean = 0;
	rebuy__model_gg.start(&ra, st);
	for (size_t i = 0; i < na; i++)
		mean += m[2357 + i] / (double)na;
	assert_true(st[0] > 0 && st[1] > 1 && st[2] > 0);
	NEAR(st[0] * st[2] / (st[1] - 1), mean, REL);
	free(x);
	free(m);
	free(w);
	free(lc);
	free(lm);
	free(la);
	free(cbs);
	free(mx);
	free(sa);
}

/* With only one-purchase customers the moments cannot separate p from q:
 * p = 1, q = 3 and gamma = mean (q - 1) / p. Means 10 and 20, weights 1
 * and 3: mean 17.5, gamma 35. */
static void test_gg__start_with_one_group(void **state)
{
	(void)state;
	const double x[2] = {1, 1}, m[2] = {10, 20}, w[2] = {1, 3};
	struct rebuy__clv_rows rows = {.n = 2, .x = x, .t_x = m, .w = w};
	double p[3];
	rebuy__model_gg.start(&rows, p);
	NEAR(p[0], 1, 0);
	NEAR(p[1], 3, 0);
	NEAR(p[2], 35, REL);
	assert_string_equal(rebuy__model_gg.name, "gg");
	assert_int_equal(rebuy__model_gg.n_params, 3);
	assert_string_equal(rebuy__model_gg.param_names[2], "gamma");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_gg__expected_spend_matches_the_reference),
	        cmocka_unit_test(test_gg__reference_customers_are_the_files),
	        cmocka_unit_test(test_gg__density_matches_hand_values),
	        cmocka_unit_test(test_gg__extreme_inputs_give_numbers),
	        cmocka_unit_test(test_gg__bad_arguments_give_nan),
	        cmocka_unit_test(test_gg__loglik_is_the_weighted_sum_of_the_rows),
	        cmocka_unit_test(test_gg__gradient_matches_central_differences),
	        cmocka_unit_test(test_gg__threads_do_not_change_the_sum),
	        cmocka_unit_test(test_gg__loglik_at_the_cdnow_optima),
	        cmocka_unit_test(test_gg__start_with_one_group),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
