/* The share of new customers alive after t, and the fit with lower dropout
 * that lifts it (rebuy_clv_survival, rebuy_clv_shift_retention). The
 * BG/NBD share is checked against an independent quadrature of its
 * definition, E over p ~ Beta(a, b) of (1 + p t / alpha)^-r. */
#include <math.h>
#include <string.h>

#include "rebuy/clv.h"
#include "testutil.h"

static struct rebuy_clv_fit model(enum rebuy_clv_model m, double p0, double p1, double p2,
                                  double p3)
{
	struct rebuy_clv_fit f;
	memset(&f, 0, sizeof f);
	f.model = m;
	f.est.n_params = m == REBUY_CLV_SBG ? 2 : 4;
	f.est.params[0] = p0;
	f.est.params[1] = p1;
	f.est.params[2] = p2;
	f.est.params[3] = p3;
	return f;
}

/* Composite Simpson over p in (0, 1) of the Beta(a, b) density times
 * (1 - p)^extra (1 + p t / alpha)^-r; a, b >= 2 keep the integrand
 * smooth enough for 1e-9. */
static double quad_bgnbd(double r, double alpha, double a, double b, double t, int extra)
{
	const int n = 200000;
	double h = 1.0 / n, sum = 0;
	double lbeta = lgamma(a) + lgamma(b) - lgamma(a + b);
	for (int i = 0; i <= n; i++) {
		double p = i * h;
		double f = exp((a - 1) * log(p) + (b - 1) * log1p(-p) - lbeta) *
		           pow(1 - p, extra) * pow(1 + p * t / alpha, -r);
		if (i == 0 || i == n)
			f = (i == 0 && a == 1) || (i == n && b == 1) ? f : 0;
		sum += f * (i == 0 || i == n ? 1 : i % 2 ? 4 : 2);
	}
	return sum * h / 3;
}

static void test_whatif__bgnbd_survival_matches_quadrature(void **state)
{
	(void)state;
	const double cases[][5] = {
	        {0.243, 4.414, 2.5, 2.5, 52},  {2.0, 12.5, 2.0, 3.0, 104},
	        {0.8, 1.0, 2.2, 8.0, 10},      {5.0, 100.0, 3.0, 2.5, 52},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const double *c = cases[i];
		struct rebuy_clv_fit f = model(REBUY_CLV_BGNBD, c[0], c[1], c[2], c[3]);
		double s = rebuy_clv_survival(&f, c[4]);
		double q = quad_bgnbd(c[0], c[1], c[2], c[3], c[4], 0);
		print_message("bgnbd case %zu: series %.15f quadrature %.15f\n", i, s, q);
		assert_true(fabs(s - q) < 1e-9);
		f.model = REBUY_CLV_MBGNBD;
		s = rebuy_clv_survival(&f, c[4]);
		q = quad_bgnbd(c[0], c[1], c[2], c[3], c[4], 1);
		assert_true(fabs(s - q) < 1e-9);
	}
	struct rebuy_clv_fit f = model(REBUY_CLV_BGNBD, 0.5, 3, 1, 2);
	assert_true(rebuy_clv_survival(&f, 0) == 1);
	assert_true(rebuy_clv_survival(&f, INFINITY) == 0);
	assert_true(isnan(rebuy_clv_survival(&f, -1)));
	f.model = REBUY_CLV_MBGNBD;
	assert_true(fabs(rebuy_clv_survival(&f, 0) - 2.0 / 3) < 1e-15);
}

static void test_whatif__closed_forms(void **state)
{
	(void)state;
	struct rebuy_clv_fit f = model(REBUY_CLV_PNBD, 0.55, 10.58, 0.61, 11.67);
	assert_true(fabs(rebuy_clv_survival(&f, 52) - pow(11.67 / 63.67, 0.61)) < 1e-15);
	/* BG/BB: alive after n opportunities = prod_{k<n} (delta + k) / (gamma + delta + k). */
	f = model(REBUY_CLV_BGBB, 1.2, 0.75, 0.66, 2.78);
	double s = 1;
	for (int k = 0; k < 6; k++)
		s *= (2.78 + k) / (0.66 + 2.78 + k);
	assert_true(fabs(rebuy_clv_survival(&f, 6) - s) < 1e-13);
	f = model(REBUY_CLV_SBG, 0.704, 1.182, 0, 0);
	assert_true(fabs(rebuy_clv_survival(&f, 1) - 1.182 / 1.886) < 1e-14);
}

static void test_whatif__shift_hits_target(void **state)
{
	(void)state;
	const struct rebuy_clv_fit fits[] = {
	        model(REBUY_CLV_BGNBD, 0.243, 4.414, 0.793, 2.426),
	        model(REBUY_CLV_MBGNBD, 0.525, 6.183, 0.891, 1.614),
	        model(REBUY_CLV_PNBD, 0.553, 10.578, 0.606, 11.669),
	        model(REBUY_CLV_BGBB, 1.204, 0.750, 0.657, 2.783),
	        model(REBUY_CLV_SBG, 0.704, 1.182, 0, 0),
	};
	const double t[] = {52, 52, 52, 3, 4};
	for (size_t i = 0; i < sizeof fits / sizeof *fits; i++) {
		struct rebuy_clv_fit out;
		struct rebuy_error err = {0};
		double s0 = rebuy_clv_survival(&fits[i], t[i]);
		assert_int_equal(rebuy_clv_shift_retention(&fits[i], t[i], 0.05, &out, &err),
		                 REBUY_OK);
		double s1 = rebuy_clv_survival(&out, t[i]);
		print_message("%s: %.6f -> %.6f (%s)\n", rebuy_clv_model_name(fits[i].model), s0, s1,
		              out.est.status);
		assert_true(fabs(s1 - (s0 + 0.05)) < 1e-9);
		/* Only the dropout parameter moved, and upwards. */
		int k = fits[i].model == REBUY_CLV_SBG ? 1 : 3;
		for (int j = 0; j < fits[i].est.n_params; j++)
			if (j == k)
				assert_true(out.est.params[j] > fits[i].est.params[j]);
			else
				assert_true(out.est.params[j] == fits[i].est.params[j]);
		/* A lower dropout keeps more customers at every other horizon too. */
		assert_true(rebuy_clv_survival(&out, 2 * t[i]) > rebuy_clv_survival(&fits[i], 2 * t[i]));
	}
}

static void test_whatif__refuses_impossible(void **state)
{
	(void)state;
	struct rebuy_clv_fit f = model(REBUY_CLV_PNBD, 0.5, 10, 1, 5000), out;
	struct rebuy_error err = {0};
	/* 99 % survive a year: five more points would be over 100 %. */
	assert_int_equal(rebuy_clv_shift_retention(&f, 52, 0.05, &out, &err), REBUY_EARG);
	assert_non_null(strstr(err.msg, "100%"));
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_clv_shift_retention(&f, 0, 0.05, &out, &err), REBUY_EARG);
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_clv_shift_retention(&f, 52, -0.1, &out, &err), REBUY_EARG);
	rebuy_error_clear(&err);
	f.est.params[3] = 5;
	assert_int_equal(rebuy_clv_shift_retention(&f, 52, 0, &out, &err), REBUY_OK);
	assert_true(out.est.params[3] == 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_whatif__bgnbd_survival_matches_quadrature),
	        cmocka_unit_test(test_whatif__closed_forms),
	        cmocka_unit_test(test_whatif__shift_hits_target),
	        cmocka_unit_test(test_whatif__refuses_impossible),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
