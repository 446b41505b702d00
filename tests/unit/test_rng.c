/* Random draws: reference outputs of SplitMix64 and xoshiro256** (values of
 * the authors' C code, also in rand_xoshiro's tests), and moment and CDF
 * checks of the distributions with tolerances of 5 standard errors under
 * fixed seeds. */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "core/rng.h"

#define N_DRAWS 400000

static void test_rng__splitmix64_matches_reference(void **state)
{
	(void)state;
	static const uint64_t expected[] = {6457827717110365317u, 3203168211198807973u,
	                                    9817491932198370423u, 4593380528125082431u,
	                                    16408922859458223821u};
	uint64_t st = 1234567;
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(rebuy__splitmix64(&st), expected[i]);
}

static void test_rng__xoshiro256ss_matches_reference(void **state)
{
	(void)state;
	static const uint64_t expected[] = {11520u,
	                                    0u,
	                                    1509978240u,
	                                    1215971899390074240u,
	                                    1216172134540287360u,
	                                    607988272756665600u,
	                                    16172922978634559625u,
	                                    8476171486693032832u,
	                                    10595114339597558777u,
	                                    2904607092377533576u};
	struct rebuy__rng r = {{1, 2, 3, 4}};
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(rebuy__rng_next(&r), expected[i]);
}

static void test_rng__seed_is_splitmix_of_the_seed(void **state)
{
	(void)state;
	struct rebuy__rng r;
	rebuy__rng_seed(&r, 1234567);
	assert_int_equal(r.s[0], 6457827717110365317u);
	assert_int_equal(r.s[3], 4593380528125082431u);
}

static void test_rng__streams_are_distinct_and_repeatable(void **state)
{
	(void)state;
	struct rebuy__rng a, b, c, d;
	rebuy__rng_seed_stream(&a, 1, 1);
	rebuy__rng_seed_stream(&b, 1, 2);
	rebuy__rng_seed_stream(&c, 2, 1);
	rebuy__rng_seed_stream(&d, 1, 1);
	assert_memory_not_equal(&a, &b, sizeof a);
	assert_memory_not_equal(&a, &c, sizeof a);
	assert_memory_not_equal(&b, &c, sizeof a);
	assert_memory_equal(&a, &d, sizeof a);
	/* streams differ from the first draw on */
	assert_int_not_equal(rebuy__rng_next(&a), rebuy__rng_next(&b));
}

static void test_rng__uniform_is_strictly_inside_0_1(void **state)
{
	(void)state;
	double lo = rebuy__rng_u01_from_bits(0);
	double hi = rebuy__rng_u01_from_bits(UINT64_MAX);
	assert_true(lo == 0x1.0p-53);
	assert_true(hi == 1.0 - 0x1.0p-53);
	assert_true(hi < 1.0);
	assert_true(isfinite(log(lo)) && log(hi) < 0);

	struct rebuy__rng r;
	rebuy__rng_seed(&r, 42);
	double sum = 0;
	for (int i = 0; i < N_DRAWS; i++) {
		double u = rebuy__rng_uniform(&r);
		assert_true(u > 0.0 && u < 1.0);
		sum += u;
	}
	double mean = sum / N_DRAWS, se = sqrt(1.0 / 12.0 / N_DRAWS);
	assert_true(fabs(mean - 0.5) < 5 * se);
}

struct moments {
	double mean, var;
	size_t n;
};

static struct moments moments_of(const double *x, size_t n)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += x[i];
	double mean = sum / (double)n, ss = 0;
	for (size_t i = 0; i < n; i++)
		ss += (x[i] - mean) * (x[i] - mean);
	return (struct moments){mean, ss / (double)(n - 1), n};
}

/* Regularized lower incomplete gamma P(a, x) by its series (x moderate). */
static double gamma_p(double a, double x)
{
	double term = 1.0 / a, sum = term;
	for (int n = 1; n < 10000; n++) {
		term *= x / (a + n);
		sum += term;
		if (term < sum * 1e-17)
			break;
	}
	return sum * exp(a * log(x) - x - lgamma(a));
}

static double fraction_below(const double *x, size_t n, double v)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += x[i] <= v;
	return (double)k / (double)n;
}

static void check_gamma(double shape, double rate, uint64_t seed)
{
	static double x[N_DRAWS];
	struct rebuy__rng r;
	rebuy__rng_seed(&r, seed);
	for (size_t i = 0; i < N_DRAWS; i++) {
		x[i] = rebuy__rng_gamma(&r, shape, rate);
		assert_true(x[i] >= 0 && isfinite(x[i]));
	}
	struct moments m = moments_of(x, N_DRAWS);
	double mean = shape / rate, var = shape / (rate * rate);
	/* Var of the sample variance: sigma^4 (2 + excess kurtosis 6/k) / n. */
	double se_mean = sqrt(var / N_DRAWS);
	double se_var = var * sqrt((2.0 + 6.0 / shape) / N_DRAWS);
	print_message("gamma(%g, %g): mean %.5f (%.5f +- %.5f), var %.5f (%.5f +- %.5f)\n", shape,
	              rate, m.mean, mean, se_mean, m.var, var, se_var);
	assert_true(fabs(m.mean - mean) < 5 * se_mean);
	assert_true(fabs(m.var - var) < 5 * se_var);
	/* The shape, not just two moments: CDF at the mean and at a fifth of it. */
	for (double f = 0.2; f < 1.5; f += 0.8) {
		double v = f * mean, p = gamma_p(shape, v * rate);
		double got = fraction_below(x, N_DRAWS, v);
		assert_true(fabs(got - p) < 5 * sqrt(p * (1 - p) / N_DRAWS));
	}
}

static void test_rng__gamma_shape_below_one(void **state)
{
	(void)state;
	check_gamma(0.3, 2.0, 11);
	check_gamma(0.55, 10.58, 14);
}

static void test_rng__gamma_shape_one(void **state)
{
	(void)state;
	check_gamma(1.0, 0.5, 12);
}

static void test_rng__gamma_shape_above_one(void **state)
{
	(void)state;
	check_gamma(6.25, 15.44, 13);
}

static void test_rng__exponential_mean_and_cdf(void **state)
{
	(void)state;
	static double x[N_DRAWS];
	struct rebuy__rng r;
	rebuy__rng_seed(&r, 21);
	for (size_t i = 0; i < N_DRAWS; i++)
		x[i] = rebuy__rng_exp(&r, 4.0);
	struct moments m = moments_of(x, N_DRAWS);
	assert_true(fabs(m.mean - 0.25) < 5 * 0.25 / sqrt(N_DRAWS));
	double p = 1 - exp(-1.0); /* P(X <= 1/rate) */
	assert_true(fabs(fraction_below(x, N_DRAWS, 0.25) - p) < 5 * sqrt(p * (1 - p) / N_DRAWS));
	assert_true(isinf(rebuy__rng_exp(&r, 0.0)));
}

static void test_rng__normal_mean_variance_and_cdf(void **state)
{
	(void)state;
	/* Many draws, counted on the fly, so that the ziggurat's tail (beyond
	 * 3.654 on either side: 2.6e-4 of the mass) is seen about 1000 times. */
	enum { N = 4000000 };
	const double at[] = {-4.5, -4.0, -3.7, -2.5, -1.0, -0.3, 0.0, 0.2, 1.5, 3.0, 3.7, 4.2};
	enum { N_AT = sizeof at / sizeof at[0] };
	size_t below[N_AT] = {0};
	struct rebuy__rng r;
	rebuy__rng_seed(&r, 31);
	double sum = 0, sum2 = 0;
	for (size_t i = 0; i < N; i++) {
		double z = rebuy__rng_normal(&r);
		sum += z;
		sum2 += z * z;
		for (size_t k = 0; k < N_AT; k++)
			below[k] += z <= at[k];
	}
	double mean = sum / N, var = sum2 / N - mean * mean;
	assert_true(fabs(mean) < 5 / sqrt(N));
	assert_true(fabs(var - 1) < 5 * sqrt(2.0 / N));
	for (size_t k = 0; k < N_AT; k++) {
		double p = 0.5 * erfc(-at[k] / sqrt(2.0));
		double got = (double)below[k] / N;
		if (fabs(got - p) >= 5 * sqrt(p * (1 - p) / N) + 1.0 / N)
			fail_msg("P(Z <= %g) = %g, expected %g", at[k], got, p);
	}
}

static void check_beta(double a, double b, uint64_t seed)
{
	static double x[N_DRAWS];
	struct rebuy__rng r;
	rebuy__rng_seed(&r, seed);
	for (size_t i = 0; i < N_DRAWS; i++) {
		x[i] = rebuy__rng_beta(&r, a, b);
		assert_true(x[i] >= 0.0 && x[i] <= 1.0); /* false for NaN too */
	}
	struct moments m = moments_of(x, N_DRAWS);
	double mean = a / (a + b), var = a * b / ((a + b) * (a + b) * (a + b + 1));
	print_message("beta(%g, %g): mean %.5f (%.5f), var %.5f (%.5f)\n", a, b, m.mean, mean,
	              m.var, var);
	assert_true(fabs(m.mean - mean) < 5 * sqrt(var / N_DRAWS));
	/* Beta's fourth central moment is below var (values in [0, 1]), so
	 * Var(s^2) < var / n: a loose but safe bound. */
	assert_true(fabs(m.var - var) < 5 * sqrt(var / N_DRAWS));
}

static void test_rng__beta_mean_and_variance(void **state)
{
	(void)state;
	check_beta(0.79, 2.43, 41);
	check_beta(0.5, 0.5, 42);
	check_beta(3.0, 1.5, 43);
}

static void test_rng__beta_with_tiny_shapes_stays_in_0_1(void **state)
{
	(void)state;
	/* Both Gammas underflow to 0 here most of the time; X/(X+Y) would be
	 * 0/0. The mass sits at the ends, half on each side. */
	check_beta(0.01, 0.01, 44);
}

static void test_rng__same_seed_same_draws(void **state)
{
	(void)state;
	struct rebuy__rng a, b;
	rebuy__rng_seed(&a, 7);
	rebuy__rng_seed(&b, 7);
	for (int i = 0; i < 1000; i++) {
		double x = rebuy__rng_gamma(&a, 0.3, 1.0), y = rebuy__rng_gamma(&b, 0.3, 1.0);
		assert_memory_equal(&x, &y, sizeof x);
	}
	assert_memory_equal(&a, &b, sizeof a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rng__splitmix64_matches_reference),
	        cmocka_unit_test(test_rng__xoshiro256ss_matches_reference),
	        cmocka_unit_test(test_rng__seed_is_splitmix_of_the_seed),
	        cmocka_unit_test(test_rng__streams_are_distinct_and_repeatable),
	        cmocka_unit_test(test_rng__uniform_is_strictly_inside_0_1),
	        cmocka_unit_test(test_rng__gamma_shape_below_one),
	        cmocka_unit_test(test_rng__gamma_shape_one),
	        cmocka_unit_test(test_rng__gamma_shape_above_one),
	        cmocka_unit_test(test_rng__exponential_mean_and_cdf),
	        cmocka_unit_test(test_rng__normal_mean_variance_and_cdf),
	        cmocka_unit_test(test_rng__beta_mean_and_variance),
	        cmocka_unit_test(test_rng__beta_with_tiny_shapes_stays_in_0_1),
	        cmocka_unit_test(test_rng__same_seed_same_draws),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
