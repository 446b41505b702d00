/* The optimizer and the special functions under the model fits: minima known
 * in closed form (Rosenbrock's valley, a quadratic, a function undefined
 * past a wall), functions without a minimum (which must say so), and
 * digamma against values from its closed forms at 1e-15. */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "model/optim.h"
#include "model/specfun.h"

static enum rebuy_status rosenbrock(void *ud, const double *y, double *f, double *g)
{
	(void)ud;
	double a = 1 - y[0], b = y[1] - y[0] * y[0];
	*f = a * a + 100 * b * b;
	g[0] = -2 * a - 400 * y[0] * b;
	g[1] = 200 * b;
	return REBUY_OK;
}

static void test_optim__finds_the_rosenbrock_minimum(void **state)
{
	(void)state;
	struct rebuy__optim_result r;
	const double y0[2] = {-1.2, 1};
	assert_int_equal(rebuy__optim_minimize(2, rosenbrock, NULL, y0, NULL, &r), REBUY_OK);
	assert_int_equal(r.end, REBUY__OPTIM_CONVERGED);
	assert_true(fabs(r.y[0] - 1) < 1e-10);
	assert_true(fabs(r.y[1] - 1) < 1e-10);
	assert_true(r.f < 1e-20);
	/* Hessian at (1, 1): [[802, -400], [-400, 200]]. */
	assert_true(r.has_hess && r.hess_definite);
	assert_true(fabs(r.hess[0] - 802) < 1e-5);
	assert_true(fabs(r.hess[1] + 400) < 1e-5);
	assert_true(fabs(r.hess[3] - 200) < 1e-5);
	assert_true(r.iterations < 100);
}

/* f = sum_i c_i (y_i - m_i)^2 + 0.5 (y_0 - m_0)(y_1 - m_1), badly scaled. */
static enum rebuy_status quadratic(void *ud, const double *y, double *f, double *g)
{
	(void)ud;
	static const double c[4] = {1e-3, 1, 10, 1e3}, m[4] = {3, -2, 0.5, 7};
	*f = 0.5 * (y[0] - m[0]) * (y[1] - m[1]);
	for (int i = 0; i < 4; i++) {
		*f += c[i] * (y[i] - m[i]) * (y[i] - m[i]);
		g[i] = 2 * c[i] * (y[i] - m[i]);
	}
	g[0] += 0.5 * (y[1] - m[1]);
	g[1] += 0.5 * (y[0] - m[0]);
	return REBUY_OK;
}

static void test_optim__solves_a_badly_scaled_quadratic(void **state)
{
	(void)state;
	struct rebuy__optim_result r;
	const double y0[4] = {0, 0, 0, 0};
	/* c_0 c_1 = 1e-3 < 0.25^2: indefinite in (y0, y1)... use a definite one. */
	assert_int_equal(rebuy__optim_minimize(4, quadratic, NULL, y0, NULL, &r), REBUY_OK);
	/* 4 c0 c1 = 0.004 < 0.25: the cross term makes it indefinite, so there
	 * is no minimum and the fit must not claim one. */
	assert_int_not_equal(r.end, REBUY__OPTIM_CONVERGED);
}

static enum rebuy_status quadratic_definite(void *ud, const double *y, double *f, double *g)
{
	(void)ud;
	static const double c[4] = {1e-3, 1, 10, 1e3}, m[4] = {3, -2, 0.5, 7};
	*f = 0.01 * (y[0] - m[0]) * (y[1] - m[1]);
	for (int i = 0; i < 4; i++) {
		*f += c[i] * (y[i] - m[i]) * (y[i] - m[i]);
		g[i] = 2 * c[i] * (y[i] - m[i]);
	}
	g[0] += 0.01 * (y[1] - m[1]);
	g[1] += 0.01 * (y[0] - m[0]);
	return REBUY_OK;
}

static void test_optim__solves_a_definite_quadratic_to_the_last_digits(void **state)
{
	(void)state;
	struct rebuy__optim_result r;
	const double y0[4] = {0, 0, 0, 0};
	static const double m[4] = {3, -2, 0.5, 7};
	assert_int_equal(rebuy__optim_minimize(4, quadratic_definite, NULL, y0, NULL, &r),
	                 REBUY_OK);
	assert_int_equal(r.end, REBUY__OPTIM_CONVERGED);
	for (int i = 0; i < 4; i++)
		assert_true(fabs(r.y[i] - m[i]) < 1e-7);
	assert_true(fabs(r.hess[0] - 2e-3) < 1e-9);
	assert_true(fabs(r.hess[15] - 2e3) < 1e-6);
}

/* -log(y) - log(2 - y) + y: undefined outside (0, 2); minimum where
 * -1/y + 1/(2 - y) + 1 = 0, i.e. y^2 - 4y + 2 = 0, y = 2 - sqrt(2). */
static int outside_calls;
static enum rebuy_status walled(void *ud, const double *y, double *f, double *g)
{
	(void)ud;
	if (y[0] <= 0 || y[0] >= 2) {
		outside_calls++;
		*f = NAN;
		g[0] = NAN;
		return REBUY_OK;
	}
	*f = -log(y[0]) - log(2 - y[0]) + y[0];
	g[0] = -1 / y[0] + 1 / (2 - y[0]) + 1;
	return REBUY_OK;
}

static void test_optim__never_steps_outside_and_finds_the_minimum_near_a_wall(void **state)
{
	(void)state;
	struct rebuy__optim_result r;
	const double y0[1] = {1.999};
	outside_calls = 0;
	assert_int_equal(rebuy__optim_minimize(1, walled, NULL, y0, NULL, &r), REBUY_OK);
	assert_int_equal(r.end, REBUY__OPTIM_CONVERGED);
	assert_true(fabs(r.y[0] - (2 - sqrt(2))) < 1e-10);
	const double bad[1] = {3};
	assert_int_equal(rebuy__optim_minimize(1, walled, NULL, bad, NULL, &r), REBUY_OK);
	assert_int_equal(r.end, REBUY__OPTIM_START_OUTSIDE);
}

/* exp(-y0) + (y1 - 1)^2: y0 runs off to infinity; no minimum to report. */
static enum rebuy_status runaway(void *ud, const double *y, double *f, double *g)
{
	(void)ud;
	*f = exp(-y[0]) + (y[1] - 1) * (y[1] - 1);
	g[0] = -exp(-y[0]);
	g[1] = 2 * (y[1] - 1);
	return REBUY_OK;
}

static void test_optim__a_function_without_a_minimum_is_not_converged(void **state)
{
	(void)state;
	struct rebuy__optim_result r;
	const double y0[2] = {0, 0};
	struct rebuy__optim_options o = {.max_iter = 200};
	assert_int_equal(rebuy__optim_minimize(2, runaway, NULL, y0, &o, &r), REBUY_OK);
	/* Either the gradient test passes far out (then the Hessian is not
	 * definite) or the iterations run out; never "converged". */
	assert_int_not_equal(r.end, REBUY__OPTIM_CONVERGED);
	assert_true(r.y[0] > 5);
	assert_true(fabs(r.y[1] - 1) < 1e-6);
}

static enum rebuy_status failing(void *ud, const double *y, double *f, double *g)
{
	int *calls = ud;
	(void)y;
	if (++*calls > 3)
		return REBUY_ENOMEM;
	*f = y[0] * y[0];
	g[0] = 2 * y[0];
	return REBUY_OK;
}

static void test_optim__a_failing_objective_ends_the_search_with_its_status(void **state)
{
	(void)state;
	struct rebuy__optim_result r;
	int calls = 0;
	const double y0[1] = {5};
	assert_int_equal(rebuy__optim_minimize(1, failing, &calls, y0, NULL, &r), REBUY_ENOMEM);
}

static void test_optim__cholesky_solves_and_inverts(void **state)
{
	(void)state;
	double a[9] = {4, 12, -16, 12, 37, -43, -16, -43, 98};
	assert_true(rebuy__cholesky(3, a));
	/* L = [[2,0,0],[6,1,0],[-8,5,3]] (the textbook example). */
	assert_true(fabs(a[0] - 2) < 1e-14 && fabs(a[3] - 6) < 1e-14 && fabs(a[4] - 1) < 1e-14);
	assert_true(fabs(a[6] + 8) < 1e-14 && fabs(a[7] - 5) < 1e-14 && fabs(a[8] - 3) < 1e-14);
	double b[3] = {1, 2, 3};
	rebuy__cholesky_solve(3, a, b);
	/* A b = (1, 2, 3): residual check. */
	double orig[9] = {4, 12, -16, 12, 37, -43, -16, -43, 98};
	for (int i = 0; i < 3; i++) {
		double s = 0;
		for (int j = 0; j < 3; j++)
			s += orig[i * 3 + j] * b[j];
		assert_true(fabs(s - (i + 1)) < 1e-9);
	}
	double inv[9];
	rebuy__cholesky_inverse(3, a, inv);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++) {
			double s = 0;
			for (int k = 0; k < 3; k++)
				s += orig[i * 3 + k] * inv[k * 3 + j];
			assert_true(fabs(s - (i == j)) < 1e-9);
		}
	double nd[4] = {1, 2, 2, 1};
	assert_false(rebuy__cholesky(2, nd));
}

static void close_to(double got, double want, double rel)
{
	if (!(fabs(got - want) <= rel * fabs(want))) {
		print_error("got %.17g, want %.17g (relative %.3g)\n", got, want,
		            fabs(got - want) / fabs(want));
		fail();
	}
}

static void test_specfun__digamma_matches_closed_forms(void **state)
{
	(void)state;
	const double euler = 0.57721566490153286061;
	close_to(rebuy__digamma(1), -euler, 1e-15);
	close_to(rebuy__digamma(0.5), -euler - 2 * M_LN2, 1e-15);
	close_to(rebuy__digamma(2), 1 - euler, 1e-15);
	/* psi(n) = H_{n-1} - gamma. */
	double h = 0;
	for (int k = 1; k < 1000; k++)
		h += 1.0 / k;
	close_to(rebuy__digamma(1000), h - euler, 1e-15);
	/* psi(1/4) = -gamma - pi/2 - 3 log 2; psi(3/4) = -gamma + pi/2 - 3 log 2. */
	close_to(rebuy__digamma(0.25), -euler - M_PI / 2 - 3 * M_LN2, 1e-15);
	close_to(rebuy__digamma(0.75), -euler + M_PI / 2 - 3 * M_LN2, 1e-14);
	/* psi(x) ~ -1/x - gamma near 0. */
	close_to(rebuy__digamma(1e-10), -1e10 - euler, 1e-15);
	close_to(rebuy__digamma(1e10), log(1e10) - 0.5e-10, 1e-15);
	assert_true(isnan(rebuy__digamma(0)));
	assert_true(isnan(rebuy__digamma(-1)));
	assert_true(isnan(rebuy__digamma(NAN)));
	/* Differences: exact sums and digamma differences agree. */
	close_to(rebuy__digamma_diff(0.3, 5), rebuy__digamma(5.3) - rebuy__digamma(0.3), 1e-14);
	close_to(rebuy__digamma_diff(0.3, 500), rebuy__digamma(500.3) - rebuy__digamma(0.3), 1e-15);
	assert_true(rebuy__digamma_diff(0.3, 0) == 0);
	close_to(rebuy__lbeta(2, 3), log(1.0 / 12), 1e-15);
	close_to(rebuy__lgamma(0.5), 0.5 * log(M_PI), 1e-15);
}

static void test_specfun__log_space_sums(void **state)
{
	(void)state;
	close_to(rebuy__logaddexp(log(2), log(3)), log(5), 1e-15);
	close_to(rebuy__logaddexp(-1000, -1000), -1000 + M_LN2, 1e-15);
	assert_true(rebuy__logaddexp(-INFINITY, -INFINITY) == -INFINITY);
	close_to(rebuy__logaddexp(1e3, 0), 1e3, 1e-15);
	close_to(rebuy__logsubexp(log(5), log(3)), log(2), 1e-15);
	close_to(rebuy__logsubexp(0, -1e-20), log(1e-20), 1e-15);
	close_to(rebuy__logsubexp(-2000, -2000 - M_LN2), -2000 - M_LN2, 1e-15);
	assert_true(rebuy__logsubexp(1, 1) == -INFINITY);
	assert_true(isnan(rebuy__logsubexp(1, 2)));
	assert_true(rebuy__logsubexp(1, -INFINITY) == 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_optim__finds_the_rosenbrock_minimum),
	        cmocka_unit_test(test_optim__solves_a_badly_scaled_quadratic),
	        cmocka_unit_test(test_optim__solves_a_definite_quadratic_to_the_last_digits),
	        cmocka_unit_test(test_optim__never_steps_outside_and_finds_the_minimum_near_a_wall),
	        cmocka_unit_test(test_optim__a_function_without_a_minimum_is_not_converged),
	        cmocka_unit_test(test_optim__a_failing_objective_ends_the_search_with_its_status),
	        cmocka_unit_test(test_optim__cholesky_solves_and_inverts),
	        cmocka_unit_test(test_specfun__digamma_matches_closed_forms),
	        cmocka_unit_test(test_specfun__log_space_sums),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
