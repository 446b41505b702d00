/* Pareto/NBD: every closed-form value of ../shared/reference/clv.md (copied
 * here, so these tests do not need ../shared) at 1e-12 relative unless the
 * reference gives fewer digits, the log-likelihood's gradient against
 * central differences, and the likelihood's sum over rows against the
 * per-customer function. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/pnbd.h"

static void near(double got, double want, double rel, const char *what)
{
	double err = fabs(got - want) / fmax(fabs(want), 1e-300);
	if (!(err <= rel)) {
		print_error("%s: got %.17g, want %.17g (relative error %.3g > %.3g)\n", what, got,
		            want, err, rel);
		fail();
	}
}

static const double cdnow[4] = {0.5534, 10.5802, 0.6061, 11.6562};

static void test_pnbd__closed_forms_at_the_cdnow_parameters(void **state)
{
	(void)state;
	const double *p = cdnow;
	near(rebuy__pnbd_expected(p, 52), 1.47306699190199, 1e-12, "E[X(52)]");
	struct {
		double x, t_x, T, ll, pa, cet52, cet39, dert;
	} c[] = {
	        {26, 30.85714, 31, -39.1320832540746, 0.997873231043095, 25.4537774985305,
	         20.113662685815, 82.6952296303959},
	        {2, 30.43, 38.86, -9.55451069461442, 0.869110643968137, 1.8507607904287,
	         1.45509284384425, 6.22630285142691},
	        {0, 0, 38.86, -0.521129195973285, 0.294961486437042, 0.136132191292866,
	         0.107028946361676, 0.457973961411529},
	        {7, 29.43, 38.86, -21.5945446541356, 0.749408600029762, 4.72082089513135, NAN, NAN},
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		char what[64];
		snprintf(what, sizeof what, "(%g, %g, %g)", c[i].x, c[i].t_x, c[i].T);
		near(rebuy__pnbd_ll(p, c[i].x, c[i].t_x, c[i].T), c[i].ll, 1e-12, what);
		near(exp(rebuy__pnbd_log_palive(p, c[i].x, c[i].t_x, c[i].T)), c[i].pa, 1e-12,
		     what);
		near(rebuy__pnbd_cet(p, c[i].x, c[i].t_x, c[i].T, 52), c[i].cet52, 1e-12, what);
		if (!isnan(c[i].cet39))
			near(rebuy__pnbd_cet(p, c[i].x, c[i].t_x, c[i].T, 39), c[i].cet39, 1e-12,
			     what);
		if (!isnan(c[i].dert))
			near(rebuy__pnbd_dert(p, c[i].x, c[i].t_x, c[i].T, 0.15 / 52), c[i].dert,
			     1e-12, what);
	}
	/* More purchases long ago mean fewer expected. */
	const double cet[] = {0.705906954424963, 0.144174535345281, 0.0224971834118253,
	                      0.00309149995376517};
	for (int k = 0; k < 4; k++)
		near(rebuy__pnbd_cet(p, 10 + 5 * k, 20, 39, 52), cet[k], 1e-12,
		     "CET(52 | x, 20, 39)");
	/* The reference gives these to 10 decimals: half a unit of the last. */
	const double pmf[] = {0.5738321723, 0.1605271224, 0.0816881520,
	                      0.0501144141, 0.0336333605, 0.0237699579};
	for (int n = 0; n < 6; n++)
		assert_true(fabs(rebuy__pnbd_pmf(p, 52, n) - pmf[n]) <= 5e-11);
}

static void test_pnbd__hard_cases(void **state)
{
	(void)state;
	const double p[4] = {0.5143, 2.8845, 0.2856, 14.1087};
	struct {
		double x, t_x, T, pa, ll;
	} c[] = {
	        {221, 103.42857, 103.57143, 0.999596052317938, -61.5846485617292},
	        {254, 97.14286, 97.28571, 0.999558226123011, -19.6232922175118},
	        {161, 94.71429, 98.0, 0.749487752258105, -87.4292548633085},
	        {204, 98.57143, 99.42857, 0.994255079637896, -65.1983421892604},
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		near(exp(rebuy__pnbd_log_palive(p, c[i].x, c[i].t_x, c[i].T)), c[i].pa, 1e-12,
		     "hard P(alive)");
		near(rebuy__pnbd_ll(p, c[i].x, c[i].t_x, c[i].T), c[i].ll, 1e-12, "hard logL");
	}
}

static void test_pnbd__log_palive_where_palive_underflows(void **state)
{
	(void)state;
	const double p[4] = {10.465, 0.00798565181, 3.0516, 2.820};
	struct {
		double x, t_x, T, mant;
		int exp10;
	} c[] = {
	        {400, 5, 6, 5.13745811331938, -31},   {500, 1, 37, 7.92232266186513, -800},
	        {500, 4, 37, 2.13670679492316, -493}, {40, 5, 6, 1.88512818736085, -3},
	        {50, 1, 37, 1.41714429128661, -96},   {50, 4, 37, 6.73297487179916, -60},
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		double want = log(c[i].mant) + c[i].exp10 * M_LN10;
		double got = rebuy__pnbd_log_palive(p, c[i].x, c[i].t_x, c[i].T);
		/* log P is compared absolutely: 1e-12 relative on P itself. */
		if (!(fabs(got - want) <= 1e-12)) {
			print_error("log P(alive | %g, %g, %g) = %.17g, want %.17g\n", c[i].x,
			            c[i].t_x, c[i].T, got, want);
			fail();
		}
	}
	const double q[4] = {0.55, 10.58, 0.61, 11.67};
	near(rebuy__pnbd_cet(q, 132, 200, 200, 10), 6.20605178896293, 1e-12, "CET(10 | 132)");
	near(rebuy__pnbd_cet(q, 133, 200, 200, 10), 6.2528722475745, 1e-12, "CET(10 | 133)");
}

/* J by its definition: Simpson's rule in v = log(m + u), m = min(alpha,
 * beta), on 400,000 intervals over 80 units of v (the integrand falls like
 * exp(-(r + s + x) v) there); error far below 1e-11 for these parameters. */
static double j_by_simpson(const double *p, double x, double y)
{
	double m = fmin(p[1], p[3]), v0 = log(m + y), h = 80.0 / 400000, sum = 0;
	for (int i = 0; i <= 400000; i++) {
		double v = v0 + i * h, u = exp(v) - m;
		double f = exp(v - (p[0] + x) * log(p[1] + u) - (p[2] + 1) * log(p[3] + u));
		sum += f * (i == 0 || i == 400000 ? 1 : i % 2 ? 4 : 2);
	}
	return sum * h / 3;
}

/* log J by the series and by the split quadrature (z near 1) against its
 * definition, and its gradient against central differences. */
static void test_pnbd__j_series_and_quadrature(void **state)
{
	(void)state;
	/* alpha far below beta: z near 1 at y = 0, the split path. */
	const double ps[][4] = {
	        {0.24, 1e-4, 0.6, 50}, {0.24, 50, 0.6, 1e-4},   {2.5, 1e-5, 0.1, 3},
	        {0.5, 3, 1.5, 1e-6},   {0.7, 0.01, 0.01, 0.02}, {3, 7, 0.5, 7},
	};
	for (size_t i = 0; i < sizeof ps / sizeof *ps; i++) {
		for (double x = 0; x <= 40; x += 20) {
			double g[4];
			double lj = rebuy__pnbd_log_j(ps[i], x, 0, g);
			assert_true(isfinite(lj));
			if (x == 0 && ps[i][0] + ps[i][2] > 0.5)
				near(exp(lj), j_by_simpson(ps[i], x, 0), 1e-10, "J by definition");
			for (int k = 0; k < 4; k++)
				assert_true(isfinite(g[k]));
			/* the gradient against central differences */
			for (int k = 0; k < 4; k++) {
				double a[4], b[4], h = 1e-6 * ps[i][k];
				memcpy(a, ps[i], sizeof a);
				memcpy(b, ps[i], sizeof b);
				a[k] += h;
				b[k] -= h;
				double fd = (rebuy__pnbd_log_j(a, x, 0, NULL) -
				             rebuy__pnbd_log_j(b, x, 0, NULL)) /
				            (2 * h);
				if (!(fabs(fd - g[k]) <= 1e-5 * fmax(1, fabs(g[k])))) {
					print_error("set %zu x %g: d log J / d p%d = %.10g, "
					            "differences %.10g\n",
					            i, x, k, g[k], fd);
					fail();
				}
			}
		}
	}
}

static void test_pnbd__loglik_sums_rows_and_its_gradient_is_right(void **state)
{
	(void)state;
	const double x[] = {0, 1, 2, 2, 7, 26, 0, 3, 40};
	const double t_x[] = {0, 10, 30.43, 38.86, 29.43, 30.85714, 0, 5, 38};
	const double T[] = {38.86, 38.86, 38.86, 38.86, 38.86, 31, 20, 30, 38.5};
	const double w[] = {3, 1, 2, 1, 1, 1, 0, 5, 1};
	struct rebuy__clv_rows rows = {9, x, t_x, T, w};
	double ll, g[4], want = 0;
	for (int i = 0; i < 9; i++)
		want += w[i] * rebuy__pnbd_ll(cdnow, x[i], t_x[i], T[i]);
	void *st = NULL;
	assert_int_equal(rebuy__model_pnbd.prepare(&rows, &st), REBUY_OK);
	assert_int_equal(rebuy__model_pnbd.loglik(cdnow, &rows, st, 1, &ll, g), REBUY_OK);
	near(ll, want, 1e-13, "sum of the rows");
	for (int k = 0; k < 4; k++) {
		double a[4], b[4], la, lb, h = 1e-5;
		memcpy(a, cdnow, sizeof a);
		memcpy(b, cdnow, sizeof b);
		a[k] *= exp(h);
		b[k] *= exp(-h);
		rebuy__model_pnbd.loglik(a, &rows, st, 1, &la, NULL);
		rebuy__model_pnbd.loglik(b, &rows, st, 1, &lb, NULL);
		near(g[k], (la - lb) / (2 * h), 1e-7, "d LL / d log param");
	}
	double ll4, g4[4];
	assert_int_equal(rebuy__model_pnbd.loglik(cdnow, &rows, st, 4, &ll4, g4), REBUY_OK);
	assert_memory_equal(&ll, &ll4, sizeof ll);
	assert_memory_equal(g, g4, sizeof g);
	rebuy__model_pnbd.release(st);
}

static void test_pnbd__no_nan_for_finite_input(void **state)
{
	(void)state;
	const double ps[][4] = {
	        {1e-6, 1e-6, 1e-6, 1e-6}, {1e6, 1e6, 1e6, 1e6}, {1e-6, 1e6, 1e6, 1e-6},
	        {1e6, 1e-6, 1e-6, 1e6},   {0.5, 10, 0.6, 11},
	};
	const double hs[][3] = {
	        {0, 0, 0}, {0, 0, 1e4}, {1, 0.5, 1}, {1000, 1, 1e4}, {5000, 300, 300}};
	for (size_t i = 0; i < sizeof ps / sizeof *ps; i++) {
		for (size_t k = 0; k < sizeof hs / sizeof *hs; k++) {
			double x = hs[k][0], t_x = hs[k][1], T = hs[k][2];
			double ll = rebuy__pnbd_ll(ps[i], x, t_x, T);
			double lp = rebuy__pnbd_log_palive(ps[i], x, t_x, T);
			double c = rebuy__pnbd_cet(ps[i], x, t_x, T, 52);
			if (!isfinite(ll) || !(lp <= 0) || !isfinite(lp) || !isfinite(c) || c < 0) {
				print_error(
				        "params %zu history %zu: ll %g log P(alive) %g CET %g\n", i,
				        k, ll, lp, c);
				fail();
			}
		}
	}
	assert_true(isnan(rebuy__pnbd_ll(cdnow, 1, 5, 4)));
	assert_true(isnan(rebuy__pnbd_ll(cdnow, 0, 5, 6)));
	const double bad[4] = {0.5, -1, 0.5, 1};
	assert_true(isnan(rebuy__pnbd_ll(bad, 1, 1, 2)));
}

/* As r, alpha -> infinity with r / alpha = lambda the purchase rate is the
 * same for everyone, and the likelihood tends to
 *   lambda^x [e^(-lambda T) (beta / (beta + T))^s
 *             + s beta^s integral over (t_x, T) of e^(-lambda u) (beta + u)^-(s+1) du]
 * (the gap is of order 1 / r). Regular buyers drive fits there, so the
 * likelihood must stay exact at r = 1e15, where its pieces are of size 1e16
 * and naive forms round to garbage. The integral by Simpson's rule. */
static void test_pnbd__exact_where_purchase_rates_become_equal(void **state)
{
	(void)state;
	const double lambda = 1.2, s = 0.02, beta = 1500;
	const double h[][3] = {{28, 23.5, 24}, {20, 19, 25}, {1, 0.5, 30}, {0, 0, 12}};
	for (int k = 0; k < 4; k++) {
		double x = h[k][0], t_x = h[k][1], T = h[k][2];
		double p[4] = {1e15, 1e15 / lambda, s, beta};
		int n = 20000;
		double dx = (T - t_x) / n, sum = 0;
		for (int i = 0; i <= n; i++) {
			double u = t_x + i * dx;
			double f = exp(-lambda * u - (s + 1) * log(beta + u));
			sum += f * (i == 0 || i == n ? 1 : i % 2 ? 4 : 2);
		}
		double want = x * log(lambda) + log(exp(-lambda * T + s * log(beta / (beta + T))) +
		                                     s * exp(s * log(beta)) * sum * dx / 3);
		near(rebuy__pnbd_ll(p, x, t_x, T), want, 1e-9, "limit r -> infinity");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_pnbd__closed_forms_at_the_cdnow_parameters),
	        cmocka_unit_test(test_pnbd__hard_cases),
	        cmocka_unit_test(test_pnbd__log_palive_where_palive_underflows),
	        cmocka_unit_test(test_pnbd__j_series_and_quadrature),
	        cmocka_unit_test(test_pnbd__loglik_sums_rows_and_its_gradient_is_right),
	        cmocka_unit_test(test_pnbd__no_nan_for_finite_input),
	        cmocka_unit_test(test_pnbd__exact_where_purchase_rates_become_equal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
