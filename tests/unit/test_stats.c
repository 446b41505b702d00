/* The distributions behind the campaign tests (src/act/stats.h) against
 * values computed with mpmath at 40 digits (the normal quantile from erfinv,
 * the t tail from the regularized incomplete beta, the t quantile by
 * bisection on that tail), independently of rebuy's code. Tolerances: the
 * normal quantile 1e-15 relative; the t tail and quantile 1e-13 relative
 * (the continued fraction and Newton steps reach about 1e-14 up to 1000
 * degrees of freedom, stats.h).
 */
#include "testutil.h"

#include <math.h>

#include "act/stats.h"

static void rel_(const char *what, double got, double want, double tol, const char *file, int line)
{
	if (!(fabs(got - want) <= tol * fabs(want))) {
		print_error("%s = %.17g, want %.17g (relative error %.3g)\n", what, got, want,
		            fabs(got - want) / fabs(want));
		_fail(file, line);
	}
}

#define REL(got, want, tol) rel_(#got, (got), (want), (tol), __FILE__, __LINE__)

static void test_stats__normal_quantile_matches_erfinv(void **state)
{
	(void)state;
	static const struct {
		double p, q;
	} cases[] = {
	        {1e-20, -9.2623400897984075737}, {0.001, -3.0902323061678135415},
	        {0.025, -1.9599639845400542355}, {0.3, -0.52440051270804078404},
	        {0.975, 1.9599639845400542355},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		REL(rebuy__norm_quantile(cases[i].p), cases[i].q, 1e-15);
	assert_true(rebuy__norm_quantile(0.5) == 0);
	assert_true(isinf(rebuy__norm_quantile(0)) && rebuy__norm_quantile(0) < 0);
	assert_true(isinf(rebuy__norm_quantile(1)) && rebuy__norm_quantile(1) > 0);
	assert_true(isnan(rebuy__norm_quantile(1.5)) && isnan(rebuy__norm_quantile(NAN)));
	/* the distribution function inverts it */
	REL(rebuy__norm_cdf(rebuy__norm_quantile(0.3)), 0.3, 1e-15);
}

static void test_stats__t_tail_and_quantile_match_mpmath(void **state)
{
	(void)state;
	static const struct {
		double df, alpha, t;
	} crit[] = {
	        {1, 0.05, 12.706204736174704646},   {1, 0.001, 636.61924876871961621},
	        {2, 0.05, 4.3026527297494638523},   {2, 0.001, 31.599054576443620733},
	        {3.5, 0.05, 2.9400886379827297938}, {3.5, 0.001, 10.204828631655880421},
	        {7.3, 0.05, 2.345066736547703644},  {7.3, 0.001, 5.283211758939399536},
	        {30, 0.05, 2.04227245630123831},    {30, 0.001, 3.6459586350420218161},
	        {1000, 0.05, 1.962339080826408485}, {1000, 0.001, 3.3002826484239129098},
	};
	for (size_t i = 0; i < sizeof crit / sizeof *crit; i++)
		REL(rebuy__t_crit(crit[i].alpha, crit[i].df), crit[i].t, 1e-13);
	static const struct {
		double t, df, p;
	} tail[] = {
	        {2.1, 1, 0.28292605624301794027},     {2.1, 7.3, 0.072246713424853373841},
	        {0.01, 5, 0.99240801804258190292},    {40, 3, 0.000034380680789158528283},
	        {2.1, 1000, 0.035978874310781962931},
	};
	for (size_t i = 0; i < sizeof tail / sizeof *tail; i++) {
		REL(rebuy__t_two_sided_p(tail[i].t, tail[i].df), tail[i].p, 1e-13);
		REL(rebuy__t_two_sided_p(-tail[i].t, tail[i].df), tail[i].p, 1e-13);
	}
	/* infinite degrees of freedom: the normal */
	REL(rebuy__t_crit(0.05, INFINITY), 1.9599639845400542355, 1e-15);
	REL(rebuy__t_two_sided_p(1.9599639845400542355, INFINITY), 0.05, 1e-14);
	assert_true(rebuy__t_two_sided_p(0, 4) == 1);
	assert_true(isnan(rebuy__t_crit(0, 4)) && isnan(rebuy__t_crit(0.05, 0)));
	assert_true(isnan(rebuy__t_two_sided_p(NAN, 4)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_stats__normal_quantile_matches_erfinv),
	        cmocka_unit_test(test_stats__t_tail_and_quantile_match_mpmath),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
