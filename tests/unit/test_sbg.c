/* The shifted-beta-geometric model (src/model/sbg.h): Fader & Hardie 2007's
 * two survivor series, their optima and projections (reference/clv.md), and
 * DEL/DERL (Fader & Hardie 2010).
 *
 * Tolerances, stated at each check: closed forms to 1e-13 relative against
 * 40-digit values (mpmath: beta functions and hyp2f1, each also checked
 * against the plain sum of S(t) (1 + d)^-t) and against forms worked by
 * hand (S(t) = beta / (beta + t) at alpha = 1); log-likelihoods at the
 * optima to 1e-6 absolute (clv.md prints six decimals); analytic gradients
 * against central differences to 1e-6 relative.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/clv_int.h"
#include "model/sbg.h"

static void near_(const char *what, double got, double want, double rel, const char *file, int line)
{
	if (!(got == want || fabs(got - want) <= rel * fabs(want))) {
		print_error("%s = %.17g, want %.17g (rel %.3g)\n", what, got, want,
		            fabs(got - want) / fabs(want));
		_fail(file, line);
	}
}

#define NEAR(got, want, rel) near_(#got, (got), (want), (rel), __FILE__, __LINE__)

/* Fader & Hardie 2007, Table 1: 13 years of two cohorts of 1000; the fit
 * uses years 0..7 (clv.md) and years 8..12 are the holdout. */
static const double regular[13] = {1000, 631, 468, 382, 326, 289, 262,
                                   241,  223, 207, 194, 183, 173};
static const double high_end[13] = {1000, 869, 743, 653, 593, 551, 517,
                                    491,  468, 445, 427, 409, 394};

struct sbg_data {
	double x[16], t_x[16], w[16];
	struct rebuy__clv_rows rows;
};

static void rows_of(struct sbg_data *d, const double *survivors, size_t n)
{
	struct rebuy_error err = {0};
	assert_int_equal(
	        rebuy__sbg_rows_from_survivors(survivors, n, d->x, d->t_x, d->w, &d->rows, &err),
	        REBUY_OK);
}

static double loglik(const double *p, const struct rebuy__clv_rows *rows, unsigned n_threads,
                     double *grad)
{
	double ll;
	assert_int_equal(rebuy__model_sbg.loglik(p, rows, NULL, n_threads, &ll, grad), REBUY_OK);
	return ll;
}

static void test_sbg__closed_forms_at_the_regular_segment(void **state)
{
	(void)state;
	const double p[2] = {0.704, 1.182};
	/* mpmath, 40 digits. */
	NEAR(rebuy__sbg_survival(p, 7), 0.2390506416932444105780632524315076, 1e-13);
	NEAR(rebuy__sbg_churn(p, 7), 0.02343242157505486842759071703032322, 1e-13);
	NEAR(rebuy__sbg_retention(p, 7), 0.9107278721785442556429114887141770, 1e-15);
	/* P(T = 1) = alpha / (alpha + beta) and r(1) = beta / (alpha + beta). */
	NEAR(rebuy__sbg_churn(p, 1), 0.704 / 1.886, 1e-15);
	NEAR(rebuy__sbg_retention(p, 1), 1.182 / 1.886, 1e-15);
	NEAR(rebuy__sbg_survival(p, 0), 1, 0);
	/* S(t) = S(t - 1) r(t) = S(t - 1) - P(T = t), for every t up to 200. */
	for (double t = 1; t <= 200; t++) {
		double s = rebuy__sbg_survival(p, t), s1 = rebuy__sbg_survival(p, t - 1);
		NEAR(s, s1 * rebuy__sbg_retention(p, t), 1e-13);
		NEAR(s1 - rebuy__sbg_churn(p, t), s, 1e-12);
		NEAR(rebuy__sbg_ll(p, t, 1), log(s), 1e-14);
		NEAR(rebuy__sbg_ll(p, t, 0), log(rebuy__sbg_churn(p, t)), 1e-14);
	}
}

static void test_sbg__loglik_at_the_reference_optima(void **state)
{
	(void)state;
	struct sbg_data d;
	double g[2];
	const double reg[2] = {0.704077, 1.182043}, hi[2] = {0.668088, 3.806096};

	rows_of(&d, regular, 8);
	assert_int_equal(d.rows.n, 8);
	assert_true(fabs(loglik(reg, &d.rows, 1, g) - -1680.265188) < 1e-6);
	/* Parameters rounded to 1e-6 leave a gradient of about 1e-4 (measured
	 * 3e-5 and 1e-4); 2e-3 is far below what any step off the optimum gives
	 * (1e-3 away in alpha the gradient is about 0.7). */
	assert_true(fabs(g[0]) < 2e-3 && fabs(g[1]) < 2e-3);

	rows_of(&d, high_end, 8);
	assert_true(fabs(loglik(hi, &d.rows, 1, g) - -1611.158147) < 1e-6);
	assert_true(fabs(g[0]) < 2e-3 && fabs(g[1]) < 2e-3);

	const double off[2] = {0.704077 * 1.001, 1.182043};
	rows_of(&d, regular, 8);
	loglik(off, &d.rows, 1, g);
	assert_true(fabs(g[0]) > 0.1);
}

/* The fitted curves track the holdout years 8..12 (the paper's Figure 4/5):
 * regular 220, 204, 191, 180, 170 against 223, 207, 194, 183, 173; high end
 * 460, 436, 414, 395, 378 against 468, 445, 427, 409, 394. Within the fit
 * the worst miss is 18.3 (high end, year 1). Checked: every year 0..12
 * within 25 of 1000, and the holdout within 4.2% of the actual count. */
static void test_sbg__fitted_survival_projects_the_holdout_years(void **state)
{
	(void)state;
	const double reg[2] = {0.704077, 1.182043}, hi[2] = {0.668088, 3.806096};
	const double *series[2] = {regular, high_end}, *params[2] = {reg, hi};
	for (int k = 0; k < 2; k++) {
		double prev_r = 0;
		for (int t = 0; t <= 12; t++) {
			double s = 1000 * rebuy__sbg_survival(params[k], t);
			assert_true(fabs(s - series[k][t]) < 25);
			if (t >= 8)
				assert_true(fabs(s - series[k][t]) < 0.042 * series[k][t]);
			if (t >= 1) {
				/* Retention rises with tenure: the heterogeneity story. */
				double r = rebuy__sbg_retention(params[k], t);
				assert_true(r > prev_r);
				prev_r = r;
			}
		}
	}
	/* Year 12 of the regular segment: 170.04 (mpmath 170.03756). */
	NEAR(1000 * rebuy__sbg_survival(reg, 12), 170.03756, 1e-6);
}

static void test_sbg__del_and_derl_match_the_hypergeometric_forms(void **state)
{
	(void)state;
	const double p[2] = {0.704, 1.182}, hi[2] = {0.668, 3.806};
	/* 2F1 by mpmath, equal to the sum of S(t) (1 + d)^-t to 40 digits. */
	NEAR(rebuy__sbg_del(p, 0.1), 3.695147405574574104199366541740994746, 1e-13);
	NEAR(rebuy__sbg_derl(p, 0, 0.1), 2.964662146132031514619303195915094220, 1e-13);
	NEAR(rebuy__sbg_derl(p, 4, 0.1), 5.894422859844160044577219973379152554, 1e-13);
	NEAR(rebuy__sbg_derl(p, 10, 0.1), 7.460061079088001839460813594844224074, 1e-13);
	NEAR(rebuy__sbg_del(hi, 0.1), 5.922596407612764158701486118451414358, 1e-13);
	NEAR(rebuy__sbg_derl(hi, 3, 0.1), 6.620280323188251919707920080609530613, 1e-13);
	/* d = 0.001: some 40,000 terms, still to 1e-12. */
	NEAR(rebuy__sbg_derl(hi, 2, 0.001), 67.69293621244116800045134377534299553, 1e-12);
	/* DEL counts the first payment undiscounted: DEL = 1 + DERL(0) / (1 + d). */
	for (double d = 0.01; d < 2; d *= 3)
		NEAR(rebuy__sbg_del(p, d), 1 + rebuy__sbg_derl(p, 0, d) / (1 + d), 1e-13);
	/* d = 0: E[T] = (alpha + beta - 1) / (alpha - 1) = 6 at (1.5, 2.5), and
	 * the residual (beta + n) / (alpha - 1) = 11 at n = 3; diverges for alpha
	 * <= 1. */
	const double p15[2] = {1.5, 2.5};
	NEAR(rebuy__sbg_del(p15, 0), 6, 1e-15);
	NEAR(rebuy__sbg_derl(p15, 3, 0), 11, 1e-15);
	assert_true(rebuy__sbg_del(p, 0) == INFINITY);
	/* Below the series' reach: NaN, not a truncated sum. */
	assert_true(isnan(rebuy__sbg_derl(p15, 0, 1e-9)));
	assert_true(isnan(rebuy__sbg_derl(p, -1, 0.1)));
	assert_true(isnan(rebuy__sbg_del(p, -0.1)));
}

static void test_sbg__expected_renewals_sum_and_closed_form_agree(void **state)
{
	(void)state;
	/* (gamma, delta) of the BG/BB donations fit; mpmath's closed form. */
	const double p[2] = {0.657, 2.783};
	NEAR(rebuy__sbg_expected_renewals(p, 3, 4096), 140.2941255672072591394303013504114586,
	     1e-12);
	/* Past 4096 terms the closed form, b / (a - 1) (1 - (b + 1)_m / (b +
	 * a)_m), whose Pochhammer ratio is taken from Stirling differences: a
	 * difference of lgamma(5000)-sized values would lose 2e-11 here. */
	NEAR(rebuy__sbg_expected_renewals(p, 6, 5000), 197.3199937951420026934467003161776639,
	     1e-12);
	NEAR(rebuy__sbg_expected_renewals(p, 0, 100000), 276.7116470758920358746584324978412269,
	     1e-12);
	NEAR(rebuy__sbg_expected_renewals(p, 0, 1e6), 619.3295709331981217746850689538916027,
	     1e-12);
	const double p15[2] = {1.5, 2.5};
	NEAR(rebuy__sbg_expected_renewals(p15, 3, 1e5), 10.91300542830276602965888372589491750,
	     1e-12);
	/* The two paths meet: 4097 terms by the closed form, 4096 summed, plus
	 * the last term S(n + 4097) / S(n). */
	double last = rebuy__sbg_survival(p, 3 + 4097) / rebuy__sbg_survival(p, 3);
	NEAR(rebuy__sbg_expected_renewals(p, 3, 4097),
	     rebuy__sbg_expected_renewals(p, 3, 4096) + last, 1e-11);
	/* alpha = 1: S(n + k) / S(n) = b / (b + k) with b = beta + n = 3, so
	 * the 4097th term is 3 / (3 + 4097). */
	const double one[2] = {1, 2};
	double direct = rebuy__sbg_expected_renewals(one, 1, 4096) + 3.0 / (3 + 4097);
	NEAR(rebuy__sbg_expected_renewals(one, 1, 4097), direct, 1e-12);
	NEAR(rebuy__sbg_expected_renewals(p, 2, 0), 0, 0);
	assert_true(isnan(rebuy__sbg_expected_renewals(p, 2, 1.5)));
}

static void check_gradient(const double *p, const struct rebuy__clv_rows *rows)
{
	double g[2], ll = loglik(p, rows, 1, g);
	assert_true(isfinite(ll));
	for (int k = 0; k < 2; k++) {
		double h = 1e-5, up[2] = {p[0], p[1]}, dn[2] = {p[0], p[1]};
		up[k] *= exp(h);
		dn[k] *= exp(-h);
		double num = (loglik(up, rows, 1, NULL) - loglik(dn, rows, 1, NULL)) / (2 * h);
		if (!(fabs(num - g[k]) <= 1e-6 * fabs(g[k]) + 1e-9 * fabs(ll))) {
			print_error("d/dlog p[%d] at (%g, %g): analytic %.12g, numeric %.12g\n", k,
			            p[0], p[1], g[k], num);
			fail();
		}
	}
}

static void test_sbg__gradient_matches_central_differences(void **state)
{
	(void)state;
	struct sbg_data d;
	rows_of(&d, regular, 13);
	static const double points[][2] = {
	        {0.704, 1.182}, {1e-3, 1e-3}, {1e-3, 1e3}, {1e3, 1e-3},
	        {50, 200},      {0.05, 30},   {7, 0.2},
	};
	for (size_t i = 0; i < sizeof points / sizeof *points; i++)
		check_gradient(points[i], &d.rows);
	/* A long series: periods up to 500. */
	double x[2] = {500, 500}, t_x[2] = {0, 1}, w[2] = {3, 7};
	struct rebuy__clv_rows far = {.n = 2, .x = x, .t_x = t_x, .w = w};
	check_gradient(points[0], &far);
	check_gradient(points[2], &far);
}

/* One row per customer (1000 rows, weight 1) against the eight weighted
 * rows: the same sums in another order, 1e-12 relative. */
static void test_sbg__weighted_rows_equal_the_plain_sum(void **state)
{
	(void)state;
	struct sbg_data d;
	rows_of(&d, regular, 8);
	size_t n = 0;
	double *x = malloc(1000 * sizeof *x), *t_x = malloc(1000 * sizeof *t_x);
	double *w = malloc(1000 * sizeof *w);
	assert_true(x && t_x && w);
	for (size_t r = 0; r < d.rows.n; r++)
		for (double k = 0; k < d.rows.w[r]; k++, n++) {
			x[n] = d.rows.x[r];
			t_x[n] = d.rows.t_x[r];
			w[n] = 1;
		}
	assert_int_equal(n, 1000);
	struct rebuy__clv_rows plain = {.n = n, .x = x, .t_x = t_x, .w = w};
	const double p[2] = {0.9, 1.4};
	double g1[2], g2[2];
	NEAR(loglik(p, &plain, 1, g1), loglik(p, &d.rows, 1, g2), 1e-12);
	NEAR(g1[0], g2[0], 1e-10);
	NEAR(g1[1], g2[1], 1e-10);
	free(x);
	free(t_x);
	free(w);
}

/* Enough rows for several chunks of rebuy__clv_sum: 1, 2, 3 and 4 threads
 * give the same bits. Zero-weight rows in between contribute nothing, even ones the
 * model could not read. */
static void test_sbg__threads_do_not_change_the_sum(void **state)
{
	(void)state;
	enum { N = 10000 };
	double *x = malloc(N * sizeof *x), *t_x = malloc(N * sizeof *t_x),
	       *w = malloc(N * sizeof *w);
	assert_true(x && t_x && w);
	for (size_t i = 0; i < N; i++) {
		x[i] = (double)(1 + i % 13);
		t_x[i] = (double)(i % 3 == 0);
		w[i] = (double)(i % 7);
		if (i % 7 == 0)
			x[i] = -5; /* unreadable, but weight 0 */
	}
	struct rebuy__clv_rows rows = {.n = N, .x = x, .t_x = t_x, .w = w};
	const double p[2] = {0.8, 2.1};
	double g1[2], g3[2];
	double l1 = loglik(p, &rows, 1, g1);
	assert_true(isfinite(l1));
	for (unsigned k = 2; k <= 4; k++) {
		double l = loglik(p, &rows, k, g3);
		assert_memory_equal(&l1, &l, sizeof l1);
		assert_memory_equal(g1, g3, sizeof g1);
	}
	/* A row with weight that the model cannot read makes the sum NaN. */
	w[0] = 1;
	assert_true(isnan(loglik(p, &rows, 3, g3)));
	assert_true(isnan(g3[0]) && isnan(g3[1]));
	free(x);
	free(t_x);
	free(w);
}

/* The fit's sum is the weighted sum of rebuy__sbg_ll over the rows: 1e-12
 * relative (the same terms, summed in chunks). */
static void test_sbg__loglik_is_the_weighted_sum_of_rebuy_sbg_ll(void **state)
{
	(void)state;
	struct sbg_data d;
	rows_of(&d, high_end, 13);
	static const double pts[][2] = {{0.668, 3.806}, {1e-3, 50}, {20, 0.5}};
	for (size_t i = 0; i < sizeof pts / sizeof *pts; i++) {
		double sum = 0;
		for (size_t r = 0; r < d.rows.n; r++)
			sum += d.rows.w[r] * rebuy__sbg_ll(pts[i], d.rows.x[r], d.rows.t_x[r] == 1);
		NEAR(loglik(pts[i], &d.rows, 1, NULL), sum, 1e-12);
	}
}

/* log S(t), and S(t) itself, at real t, at long horizons and where S
 * underflows. Hand forms: at alpha = 1, S(t) = (beta)_t / (beta + 1)_t =
 * beta / (beta + t); at beta = 1, S(t) = Gamma(1 + t) Gamma(alpha + 1) /
 * Gamma(alpha + 1 + t) = 1 / C(alpha + t, t), which at alpha = 200, t = 1e6
 * is e^-1899.89 (mpmath, 50 digits: -1899.8902230572340011273816). */
static void test_sbg__log_survival_where_survival_underflows(void **state)
{
	(void)state;
	const double p[2] = {0.704, 1.182};
	/* mpmath: S(2.5), S(100.5), S(5000). */
	NEAR(rebuy__sbg_survival(p, 2.5), 0.4257675868397705786918359478721131, 1e-13);
	NEAR(rebuy__sbg_survival(p, 100.5), 0.04008723882722826763284546359895269, 1e-13);
	NEAR(rebuy__sbg_survival(p, 5000), 0.002579426488322060079938126278518257, 1e-13);
	NEAR(rebuy__sbg_log_survival(p, 5000), log(0.002579426488322060079938126278518257), 1e-14);
	NEAR(rebuy__sbg_log_survival(p, 0), 0, 0);
	assert_true(rebuy__sbg_log_survival(p, INFINITY) == -INFINITY);

	const double one[2] = {1, 2};
	static const double t[5] = {1, 7, 64, 65, 1e6};
	for (int i = 0; i < 5; i++) {
		NEAR(rebuy__sbg_survival(one, t[i]), 2 / (2 + t[i]), 1e-13);
		NEAR(rebuy__sbg_log_survival(one, t[i]), log(2 / (2 + t[i])), 1e-13);
	}
	/* beta = 1, alpha = 2: S(t) = 2 / ((t + 1) (t + 2)). */
	const double two[2] = {2, 1};
	NEAR(rebuy__sbg_survival(two, 1e4), 2 / (10001.0 * 10002.0), 1e-12);

	const double p200[2] = {200, 1};
	double l = rebuy__sbg_log_survival(p200, 1e6);
	assert_true(isfinite(l));
	NEAR(l, -1899.8902230572340011273816, 1e-13);
	NEAR(rebuy__sbg_survival(p200, 1e6), 0, 0);
	/* log P(T = t) = log S(t - 1) + log(alpha / (alpha + beta + t - 1)):
	 * finite too. */
	NEAR(rebuy__sbg_ll(p200, 1e6 + 1, 0), l + log(200 / (201 + 1e6)), 1e-13);
	/* A huge alpha and a tiny beta (mpmath: -7917.6897410506485874469),
	 * and a tiny alpha and a huge beta, where S(6) is 1 - 6e-9 (mpmath
	 * log: -5.999984997055014776918e-9): a difference of lgamma(1e6)-sized
	 * values would keep none of its digits. */
	const double big_a[2] = {1e6, 1e-3}, big_b[2] = {1e-3, 1e6};
	NEAR(rebuy__sbg_log_survival(big_a, 1000), -7917.6897410506485874469, 1e-13);
	NEAR(rebuy__sbg_log_survival(big_b, 6), -5.999984997055014776918e-9, 1e-13);
	assert_true(isnan(rebuy__sbg_log_survival(p, -1)));
	const double bad[2] = {0, 1};
	assert_true(isnan(rebuy__sbg_log_survival(bad, 1)));
}

/* Finite answers over parameters from 1e-6 to 1e6 and periods from 1 to
 * 1e9: S and P(T = t) in [0, 1], their logs finite, expected renewals in
 * [0, m], DERL finite and >= 0. */
static void test_sbg__extreme_inputs_give_numbers(void **state)
{
	(void)state;
	static const double v[5] = {1e-6, 1e-3, 1, 1e3, 1e6};
	static const double t[6] = {1, 7, 65, 1000, 1e6, 1e9};
	for (int i = 0; i < 25; i++) {
		const double p[2] = {v[i % 5], v[i / 5]};
		for (int k = 0; k < 6; k++) {
			double s = rebuy__sbg_survival(p, t[k]), c = rebuy__sbg_churn(p, t[k]);
			double l0 = rebuy__sbg_ll(p, t[k], 0), l1 = rebuy__sbg_ll(p, t[k], 1);
			double er = rebuy__sbg_expected_renewals(p, t[k], 1e6);
			double dl = rebuy__sbg_derl(p, t[k], 0.1);
			if (!(s >= 0 && s <= 1) || !(c >= 0 && c <= 1) || !isfinite(l0) ||
			    !isfinite(l1) || l0 > 0 || l1 > 0 || !(er >= 0 && er <= 1e6) ||
			    !(dl >= 0 && isfinite(dl)))
				fail_msg("sbg at (%g, %g), t = %g: S %g, P(T = t) %g, ll %g %g, "
				         "renewals %g, DERL %g",
				         p[0], p[1], t[k], s, c, l0, l1, er, dl);
		}
	}
}

static void test_sbg__bad_parameters_give_nan(void **state)
{
	(void)state;
	struct sbg_data d;
	rows_of(&d, regular, 8);
	static const double bad[][2] = {{0, 1}, {-1, 1}, {1, NAN}, {INFINITY, 1}};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		double g[2];
		assert_true(isnan(loglik(bad[i], &d.rows, 1, g)));
		assert_true(isnan(g[0]) && isnan(g[1]));
		assert_true(isnan(rebuy__sbg_survival(bad[i], 2)));
		assert_true(isnan(rebuy__sbg_churn(bad[i], 2)));
		assert_true(isnan(rebuy__sbg_derl(bad[i], 2, 0.1)));
	}
	const double p[2] = {1, 1};
	assert_true(isnan(rebuy__sbg_churn(p, 0)));
	assert_true(isnan(rebuy__sbg_retention(p, 0.5)));
	assert_true(isnan(rebuy__sbg_survival(p, -1)));
	assert_true(isnan(rebuy__sbg_ll(p, 0, 1)));
}

static void test_sbg__rows_from_survivors(void **state)
{
	(void)state;
	struct sbg_data d;
	rows_of(&d, regular, 8);
	/* 369 left in year 1, ..., 21 in year 7, 241 still active after it. */
	static const double want_w[8] = {369, 163, 86, 56, 37, 27, 21, 241};
	for (size_t t = 0; t < 8; t++) {
		NEAR(d.rows.x[t], t < 7 ? (double)(t + 1) : 7, 0);
		NEAR(d.rows.t_x[t], t < 7 ? 0 : 1, 0);
		NEAR(d.rows.w[t], want_w[t], 0);
	}
	assert_null(d.rows.T);

	struct rebuy_error err = {0};
	struct rebuy__clv_rows rows;
	const double grows[4] = {1000, 631, 700, 500};
	assert_int_equal(rebuy__sbg_rows_from_survivors(grows, 4, d.x, d.t_x, d.w, &rows, &err),
	                 REBUY_EDATA);
	assert_int_equal(err.code, REBUY_EDATA);
	assert_non_null(strstr(err.msg, "count 2 (700) is larger than count 1 (631)"));

	const double negative[3] = {1000, -1, 0};
	rebuy_error_clear(&err);
	assert_int_equal(rebuy__sbg_rows_from_survivors(negative, 3, d.x, d.t_x, d.w, &rows, &err),
	                 REBUY_EDATA);
	assert_non_null(strstr(err.msg, "count 1 is -1"));

	const double not_a_number[3] = {1000, NAN, 0};
	rebuy_error_clear(&err);
	assert_int_equal(
	        rebuy__sbg_rows_from_survivors(not_a_number, 3, d.x, d.t_x, d.w, &rows, &err),
	        REBUY_EDATA);

	const double empty[3] = {0, 0, 0};
	rebuy_error_clear(&err);
	assert_int_equal(rebuy__sbg_rows_from_survivors(empty, 3, d.x, d.t_x, d.w, &rows, &err),
	                 REBUY_EDATA);
	assert_non_null(strstr(err.msg, "empty"));

	rebuy_error_clear(&err);
	assert_int_equal(rebuy__sbg_rows_from_survivors(regular, 1, d.x, d.t_x, d.w, &rows, &err),
	                 REBUY_EDATA);
	assert_non_null(strstr(err.msg, "1 count;"));
	/* No error struct: still the status. */
	assert_int_equal(rebuy__sbg_rows_from_survivors(grows, 4, d.x, d.t_x, d.w, &rows, NULL),
	                 REBUY_EDATA);

	/* Flat stretches and everyone gone are fine; so are percentages. */
	const double flat[4] = {100, 63.1, 63.1, 0};
	assert_int_equal(rebuy__sbg_rows_from_survivors(flat, 4, d.x, d.t_x, d.w, &rows, NULL),
	                 REBUY_OK);
	NEAR(rows.w[0], 100 - 63.1, 1e-15);
	NEAR(rows.w[1], 0, 0);
	NEAR(rows.w[3], 0, 0);
}

/* The start from the first two retention rates: r1 = 0.631, r2 = 468/631,
 * alpha + beta = (1 - r2) / (r2 - r1). */
static void test_sbg__start_from_the_first_two_retention_rates(void **state)
{
	(void)state;
	struct sbg_data d;
	rows_of(&d, regular, 8);
	double p[2];
	rebuy__model_sbg.start(&d.rows, p);
	double r1 = 0.631, r2 = 468.0 / 631, s = (1 - r2) / (r2 - r1);
	NEAR(p[0], (1 - r1) * s, 1e-12);
	NEAR(p[1], r1 * s, 1e-12);
	/* Falling retention has no beta-mixture moments: the fixed start. */
	const double falling[4] = {1000, 900, 700, 400};
	rows_of(&d, falling, 4);
	rebuy__model_sbg.start(&d.rows, p);
	NEAR(p[0], 1, 0);
	NEAR(p[1], 1, 0);
	assert_string_equal(rebuy__model_sbg.name, "sbg");
	assert_int_equal(rebuy__model_sbg.n_params, 2);
	assert_string_equal(rebuy__model_sbg.param_names[1], "beta");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sbg__closed_forms_at_the_regular_segment),
	        cmocka_unit_test(test_sbg__loglik_at_the_reference_optima),
	        cmocka_unit_test(test_sbg__fitted_survival_projects_the_holdout_years),
	        cmocka_unit_test(test_sbg__del_and_derl_match_the_hypergeometric_forms),
	        cmocka_unit_test(test_sbg__expected_renewals_sum_and_closed_form_agree),
	        cmocka_unit_test(test_sbg__gradient_matches_central_differences),
	        cmocka_unit_test(test_sbg__weighted_rows_equal_the_plain_sum),
	        cmocka_unit_test(test_sbg__threads_do_not_change_the_sum),
	        cmocka_unit_test(test_sbg__loglik_is_the_weighted_sum_of_rebuy_sbg_ll),
	        cmocka_unit_test(test_sbg__log_survival_where_survival_underflows),
	        cmocka_unit_test(test_sbg__extreme_inputs_give_numbers),
	        cmocka_unit_test(test_sbg__bad_parameters_give_nan),
	        cmocka_unit_test(test_sbg__rows_from_survivors),
	        cmocka_unit_test(test_sbg__start_from_the_first_two_retention_rates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
