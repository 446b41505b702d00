/* BG/NBD and MBG/NBD (src/model/bgnbd.h): every closed-form value of
 * reference/clv.md, the log of P(alive) where P underflows, finite answers
 * at extreme inputs, and the fit's log-likelihood (rebuy__model_bgnbd,
 * rebuy__model_mbgnbd): the sum of the rows, its gradient, its independence
 * of the thread count, and its value at the CDNOW optima.
 *
 * Tolerances, stated at each check: closed forms 1e-12 relative against the
 * 15-digit values of clv.md (15 digits are all it prints, and 1e-12 leaves
 * room for their rounding, 5e-15); P(alive | 1000, 10, 100) to the 5 digits
 * clv.md gives and, for the log form, 1e-12 against mpmath (50 digits, the
 * formula in bgnbd.c's header); CDNOW log-likelihoods 1e-6 absolute (clv.md
 * prints six decimals); gradients 1e-6 relative against central
 * differences.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/bgnbd.h"
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

/* The clv.md parameter sets. */
static const double bg[4] = {0.243, 4.414, 0.793, 2.426};
static const double bg2[4] = {0.25, 4, 0.8, 2.5};
static const double mbg[4] = {0.525, 6.183, 0.891, 1.614};

static double palive(const double *p, double x, double t_x, double T)
{
	return exp(rebuy__bgnbd_log_palive(p, x, t_x, T));
}

static void test_bgnbd__expected_purchases_match_the_reference(void **state)
{
	(void)state;
	static const double t[8] = {0.1429, 1, 3, 31.8571, 32, 39, 52, 78};
	static const double want[8] = {0.00782834751607216, 0.0532678911716583, 0.150865230893047,
	                               1.04199606085221,    1.04524332837444,   1.19672319332082,
	                               1.4460505953964,     1.86051905794277};
	for (int i = 0; i < 8; i++)
		NEAR(rebuy__bgnbd_expected(bg, t[i]), want[i], REL);
	NEAR(rebuy__bgnbd_expected(bg, 0), 0, 0);
}

static void test_bgnbd__palive_and_cet_match_the_reference(void **state)
{
	(void)state;
	NEAR(rebuy__bgnbd_cet(bg, 2, 30.43, 38.86, 39), 1.22602817476714, REL);
	NEAR(palive(bg, 2, 30.43, 38.86), 0.726578570080673, REL);
	NEAR(rebuy__bgnbd_cet(bg, 26, 30.85714, 31, 52), 25.7564905098875, REL);
	NEAR(palive(bg, 26, 30.85714, 31), 0.968851498698469, REL);
	/* No repeat purchase: BG/NBD has no dropout before the first repeat,
	 * so P(alive) = 1 (the bracket of FHL eq. 6 has one term). */
	NEAR(palive(bg, 0, 0, 38.86), 1, 0);
	NEAR(rebuy__bgnbd_cet(bg, 2, 30.43, 38.86, 0), 0, 0);
}

static void test_bgnbd__pmf_matches_the_reference(void **state)
{
	(void)state;
	NEAR(rebuy__bgnbd_pmf(bg, 2, 10), 1.07868964036915e-7, REL);
	NEAR(rebuy__bgnbd_pmf(bg, 39, 0), 0.573786352096009, REL);
	static const double want[10] = {0.00199952144747888,  0.00151702362996469,
	                                0.00116331500665615,  0.000900314789643643,
	                                0.000702363765887404, 0.000551790242649229,
	                                0.000436191280897699, 0.000346717139624221,
	                                0.000276961264840107, 0.000222226048006637};
	for (int n = 11; n <= 20; n++)
		NEAR(rebuy__bgnbd_pmf(bg, 30, n), want[n - 11], REL);
	NEAR(rebuy__bgnbd_pmf(bg, 30, -1), 0, 0);
}

/* The pmf and the conditional pmf are distributions whose means are the
 * reference E[X(32)] and CET(39 | 2, 30.43, 38.86). The tail falls like
 * z^n, z = t / (alpha + t) < 0.92 here, so 600 terms leave less than 1e-20. */
static void test_bgnbd__pmfs_sum_to_one_with_the_reference_means(void **state)
{
	(void)state;
	double s = 0, m = 0, cs = 0, cm = 0;
	for (int n = 0; n < 600; n++) {
		double pn = rebuy__bgnbd_pmf(bg, 32, n);
		double cn = rebuy__bgnbd_cond_pmf(bg, 2, 30.43, 38.86, 39, n);
		assert_true(pn >= 0 && cn >= 0);
		s += pn;
		m += n * pn;
		cs += cn;
		cm += n * cn;
	}
	NEAR(s, 1, REL);
	NEAR(m, 1.04524332837444, REL);
	NEAR(cs, 1, REL);
	NEAR(cm, 1.22602817476714, REL);
	/* MBG/NBD: the mean of its pmf is the reference E[X(39)]. */
	s = m = 0;
	for (int n = 0; n < 600; n++) {
		double pn = rebuy__mbgnbd_pmf(mbg, 39, n);
		s += pn;
		m += n * pn;
	}
	NEAR(s, 1, REL);
	NEAR(m, 1.18295366559717, REL);
}

static void test_bgnbd__loglik_matches_the_reference(void **state)
{
	(void)state;
	NEAR(rebuy__bgnbd_ll(bg, 2, 30.43, 38.86), -9.45860630706627, REL);
	NEAR(rebuy__bgnbd_ll(bg, 0, 0, 38.86), -0.554713276438158, REL);
	NEAR(rebuy__bgnbd_ll(bg2, 0, 0, 40), -0.599473818199593, REL);
	NEAR(rebuy__bgnbd_ll(bg2, 200, 38, 40), 100.795693092706, REL);
}

/* P(alive | 1000, 10, 100) = 8.2824e-858 (clv.md, 5 digits), below the
 * smallest double. log(8.2824e-858) = log(8.2824) - 858 log(10), and the
 * 5 digits bound it to +-0.00005 / 8.2824 = 6.04e-6. mpmath (50 digits) of
 * -log1p(a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x)) gives
 * -1973.503877057766575613 (P = 8.28239958302138e-858). */
static void test_bgnbd__log_palive_where_palive_underflows(void **state)
{
	(void)state;
	double lp = rebuy__bgnbd_log_palive(bg, 1000, 10, 100);
	assert_true(isfinite(lp));
	assert_true(fabs(lp - (log(8.2824) - 858 * log(10))) <= 0.00005 / 8.2824);
	NEAR(lp, -1973.503877057766575613, REL);
	NEAR(palive(bg, 1000, 10, 100), 0, 0); /* underflows to 0, not NaN */
	/* Everything that rests on it stays a number: CET is P(alive) times a
	 * finite expectation, and the customer is sure to buy nothing. */
	double c = rebuy__bgnbd_cet(bg, 1000, 10, 100, 52);
	assert_true(isfinite(c) && c >= 0 && c < 1e-300);
	NEAR(rebuy__bgnbd_cond_pmf(bg, 1000, 10, 100, 52, 0), 1, REL);
	assert_true(isfinite(rebuy__bgnbd_ll(bg, 1000, 10, 100)));
	/* MBG/NBD: the same customer with one more dropout chance. Its u (the
	 * log of the bracket's second term over its first) has b + x in place
	 * of b + x - 1, so u falls by log(1002.426 / 1001.426), and with u near
	 * 1973, log P(alive) = -log1p(e^u) = -u - e^-u rises by as much. Both
	 * are near 1973 with 1e-13 relative error, so the difference has about
	 * 4e-13 / 1e-3 of its own: 1e-8 relative. */
	double lm = rebuy__mbgnbd_log_palive(bg, 1000, 10, 100);
	assert_true(isfinite(lm));
	NEAR(lm - lp, log(1002.426 / 1001.426), 1e-8);
}

/* Finite, in-range answers over a grid of parameters from 1e-6 to 1e6 and
 * customers from none to a million purchases: log-likelihood and log
 * P(alive) everywhere; CET, the conditional pmf, E[X(t)] and the pmf where
 * their series stays under its 2^24 terms (documented: beyond, NaN). The
 * series runs over the purchase count of an NBD with mean r t / alpha and
 * a tail like (t / (alpha + t))^n, so it needs about r t / alpha + 40 (alpha
 * + t) / alpha terms; the grid keeps both below 1e5 (a few ms a call). */
static void test_bgnbd__extreme_inputs_give_numbers(void **state)
{
	(void)state;
	static const double v[5] = {1e-6, 1e-3, 1, 1e3, 1e6};
	static const double cust[][3] = {
	        {0, 0, 39},    {1, 0.5, 39},    {2, 30.43, 38.86}, {1000, 10, 100}, {1e5, 38, 39},
	        {1e6, 39, 39}, {50, 1e-9, 1e4}, {3, 1e4, 1e4},     {7, 39, 39},
	};
	for (int i = 0; i < 625; i++) {
		const double p[4] = {v[i % 5], v[i / 5 % 5], v[i / 25 % 5], v[i / 125]};
		for (int m = 0; m < 2; m++) {
			for (size_t k = 0; k < sizeof cust / sizeof *cust; k++) {
				double x = cust[k][0], t_x = cust[k][1], T = cust[k][2];
				double ll = m ? rebuy__mbgnbd_ll(p, x, t_x, T)
				              : rebuy__bgnbd_ll(p, x, t_x, T);
				double lp = m ? rebuy__mbgnbd_log_palive(p, x, t_x, T)
				              : rebuy__bgnbd_log_palive(p, x, t_x, T);
				if (!isfinite(ll) || !isfinite(lp) || lp > 0)
					fail_msg("%s at (%g, %g, %g, %g) | (%g, %g, %g): ll %g, "
					         "log P(alive) %g",
					         m ? "mbgnbd" : "bgnbd", p[0], p[1], p[2], p[3], x,
					         t_x, T, ll, lp);
				/* CET's series is a new customer's at (r + x, alpha + T):
				 * for the million-purchase customers a million terms, so
				 * they are checked once, below, not over the grid. */
				double r = p[0] + x, a = p[1] + T;
				if (x > 1000 || r * 39 / a > 1e5 || 40 * (a + 39) / a > 1e5)
					continue;
				double c = m ? rebuy__mbgnbd_cet(p, x, t_x, T, 39)
				             : rebuy__bgnbd_cet(p, x, t_x, T, 39);
				double c0 = m ? rebuy__mbgnbd_cond_pmf(p, x, t_x, T, 39, 0)
				              : rebuy__bgnbd_cond_pmf(p, x, t_x, T, 39, 0);
				if (!isfinite(c) || c < 0 || !(c0 >= 0 && c0 <= 1 + 1e-12))
					fail_msg("%s at (%g, %g, %g, %g) | (%g, %g, %g): CET %g, "
					         "P(0) %g",
					         m ? "mbgnbd" : "bgnbd", p[0], p[1], p[2], p[3], x,
					         t_x, T, c, c0);
			}
			if (p[0] * 39 / p[1] > 1e5 || 40 * (p[1] + 39) / p[1] > 1e5)
				continue;
			double e = m ? rebuy__mbgnbd_expected(p, 39) : rebuy__bgnbd_expected(p, 39);
			double pm = m ? rebuy__mbgnbd_pmf(p, 39, 3) : rebuy__bgnbd_pmf(p, 39, 3);
			if (!isfinite(e) || e < 0 || !(pm >= 0 && pm <= 1))
				fail_msg("%s at (%g, %g, %g, %g): E[X(39)] %g, P(X(39) = 3) %g",
				         m ? "mbgnbd" : "bgnbd", p[0], p[1], p[2], p[3], e, pm);
		}
	}
	/* Ten thousand and a million purchases in 39 weeks (t_x = T = 39),
	 * CET(39), against mpmath (40 digits) of P(alive) times the integral
	 * over p ~ Beta(a, b + x) of (1 - (alpha' / (alpha' + p t))^r') / p,
	 * r' = r + x, alpha' = alpha + T (FHL's E[X(t)] given p, averaged; the
	 * same integral gives all 15 digits of clv.md's CET(39 | 2, 30.43, 38.86)).
	 * The series behind CET rounds z and the NBD's scale, about r' ulps:
	 * 1e-12 at x = 1e4, 1e-10 at x = 1e6. */
	NEAR(rebuy__bgnbd_cet(bg, 1e4, 39, 39, 39), 6854.317050870342425355788, REL);
	NEAR(rebuy__mbgnbd_cet(bg, 1e4, 39, 39, 39), 6854.462110059737484746767, REL);
	NEAR(rebuy__bgnbd_cet(bg, 1e6, 39, 39, 39), 685440.6443495976453043614, 1e-10);
	NEAR(rebuy__bgnbd_cet(bg, 1e6 - 1, 39, 39, 39), 685439.9589088629753269463, 1e-10);
	NEAR(rebuy__mbgnbd_cet(bg, 1e6, 39, 39, 39), 685440.7894261045110421842, 1e-10);
	/* Beyond the series' reach: NaN, not a truncated sum (r t / alpha =
	 * 3.9e10 purchases). */
	const double far[4] = {1e3, 1e-6, 1, 1};
	assert_true(isnan(rebuy__bgnbd_expected(far, 39)));
}

static void test_bgnbd__mbgnbd_matches_the_reference(void **state)
{
	(void)state;
	NEAR(rebuy__mbgnbd_expected(mbg, 39), 1.18295366559717, REL);
	NEAR(rebuy__mbgnbd_expected(mbg, 52), 1.41972375771275, REL);
	NEAR(rebuy__mbgnbd_cet(mbg, 2, 30.43, 38.86, 39), 1.26296062326737, REL);
	NEAR(exp(rebuy__mbgnbd_log_palive(mbg, 2, 30.43, 38.86)), 0.706202265118487, REL);
	NEAR(exp(rebuy__mbgnbd_log_palive(mbg, 0, 0, 38.86)), 0.389735080918763, REL);
}

static void test_bgnbd__bad_arguments_give_nan(void **state)
{
	(void)state;
	static const double bad[][4] = {
	        {0, 1, 1, 1}, {1, -1, 1, 1}, {1, 1, NAN, 1}, {1, 1, 1, INFINITY}};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_true(isnan(rebuy__bgnbd_ll(bad[i], 2, 30, 39)));
		assert_true(isnan(rebuy__mbgnbd_log_palive(bad[i], 2, 30, 39)));
		assert_true(isnan(rebuy__bgnbd_cet(bad[i], 2, 30, 39, 10)));
		assert_true(isnan(rebuy__mbgnbd_expected(bad[i], 10)));
		assert_true(isnan(rebuy__bgnbd_pmf(bad[i], 10, 1)));
		double ll, g[4];
		struct rebuy__clv_rows rows = {0};
		assert_int_equal(rebuy__model_bgnbd.loglik(bad[i], &rows, NULL, 1, &ll, g),
		                 REBUY_OK);
		assert_true(isnan(ll) && isnan(g[0]) && isnan(g[3]));
	}
	assert_true(isnan(rebuy__bgnbd_expected(bg, -1)));
	assert_true(isnan(rebuy__bgnbd_cet(bg, 2, 30, 39, -1)));
	assert_true(isnan(rebuy__bgnbd_pmf(bg, INFINITY, 1)));
}

/* ------------------------------------------------------------------------
 * The fit's log-likelihood. */

static double loglik(const struct rebuy__clv_model *m, const double *p,
                     const struct rebuy__clv_rows *rows, const void *st, unsigned n_threads,
                     double *grad)
{
	double ll;
	assert_int_equal(m->loglik(p, rows, st, n_threads, &ll, grad), REBUY_OK);
	return ll;
}

/* Eight customers, with repeats, a zero weight and fractional weights. */
static const double rx[8] = {0, 2, 26, 7, 1, 0, 1000, 2};
static const double rtx[8] = {0, 30.43, 30.85714, 29.43, 1.71, 0, 10, 30.43};
static const double rT[8] = {38.86, 38.86, 31, 38.86, 38.86, 20, 100, 38.86};
static const double rw[8] = {3, 1, 2.5, 0, 1, 1000, 1, 4};

static void test_bgnbd__loglik_is_the_weighted_sum_of_the_rows(void **state)
{
	(void)state;
	struct rebuy__clv_rows rows = {.n = 8, .x = rx, .t_x = rtx, .T = rT, .w = rw};
	static const double pts[][4] = {
	        {0.243, 4.414, 0.793, 2.426}, {0.25, 4, 0.8, 2.5}, {3, 0.2, 1e-3, 50}};
	for (size_t i = 0; i < sizeof pts / sizeof *pts; i++) {
		double bsum = 0, msum = 0;
		for (int k = 0; k < 8; k++) {
			bsum += rw[k] * rebuy__bgnbd_ll(pts[i], rx[k], rtx[k], rT[k]);
			msum += rw[k] * rebuy__mbgnbd_ll(pts[i], rx[k], rtx[k], rT[k]);
		}
		/* Row by row the fit takes log(1 + e) for log1p(e) (bgnbd.c):
		 * 2^-53 absolute a row, far below 1e-12 of these sums. */
		NEAR(loglik(&rebuy__model_bgnbd, pts[i], &rows, NULL, 1, NULL), bsum, REL);
		NEAR(loglik(&rebuy__model_mbgnbd, pts[i], &rows, NULL, 1, NULL), msum, REL);
	}
	/* No rows: zero. */
	struct rebuy__clv_rows none = {.n = 0, .x = rx, .t_x = rtx, .T = rT, .w = rw};
	double g[4];
	NEAR(loglik(&rebuy__model_bgnbd, bg, &none, NULL, 1, g), 0, 0);
	NEAR(g[0], 0, 0);
}

/* d ll / d log(theta_k) against the fourth-order central difference with
 * step h = 1e-3 in log(theta_k): truncation h^4 f^(5) / 30, some 1e-13 of
 * the gradient here, and rounding about 1e-16 |ll| / h. The tolerance is
 * 1e-6 |g_k| plus 1e-10 |ll| for that rounding. */
static void check_gradient(const struct rebuy__clv_model *m, const double *p,
                           const struct rebuy__clv_rows *rows)
{
	double g[4], ll = loglik(m, p, rows, NULL, 1, g);
	assert_true(isfinite(ll));
	const double h = 1e-3;
	for (int k = 0; k < 4; k++) {
		double f[4];
		static const double steps[4] = {-2, -1, 1, 2};
		for (int s = 0; s < 4; s++) {
			double q[4] = {p[0], p[1], p[2], p[3]};
			q[k] *= exp(steps[s] * h);
			f[s] = loglik(m, q, rows, NULL, 1, NULL);
		}
		double num = (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h);
		if (!(fabs(num - g[k]) <= 1e-6 * fabs(g[k]) + 1e-10 * fabs(ll)))
			fail_msg("%s: d/dlog p[%d] at (%g, %g, %g, %g): analytic %.12g, numeric "
			         "%.12g",
			         m->name, k, p[0], p[1], p[2], p[3], g[k], num);
	}
}

static void test_bgnbd__gradient_matches_central_differences(void **state)
{
	(void)state;
	struct rebuy__clv_rows rows = {.n = 8, .x = rx, .t_x = rtx, .T = rT, .w = rw};
	static const double pts[][4] = {
	        {0.243, 4.414, 0.793, 2.426}, {0.525, 6.183, 0.891, 1.614}, {2, 0.5, 0.1, 10},
	        {1e-3, 1e-2, 5, 0.3},         {50, 300, 1.5, 0.7},          {0.9, 40, 30, 1e3},
	};
	for (size_t i = 0; i < sizeof pts / sizeof *pts; i++) {
		check_gradient(&rebuy__model_bgnbd, pts[i], &rows);
		check_gradient(&rebuy__model_mbgnbd, pts[i], &rows);
	}
}

/* 10,000 rows, five chunks of rebuy__clv_sum: 1, 2 and 4 threads, with and
 * without the prepared state, give the same bits. */
static void test_bgnbd__threads_do_not_change_the_sum(void **state)
{
	(void)state;
	enum { N = 10000 };
	double *x = malloc(N * sizeof *x), *t_x = malloc(N * sizeof *t_x);
	double *T = malloc(N * sizeof *T), *w = malloc(N * sizeof *w);
	assert_true(x && t_x && T && w);
	for (size_t i = 0; i < N; i++) {
		T[i] = 20 + (double)(i % 97) / 7;
		x[i] = (double)(i % 11);
		t_x[i] = x[i] > 0 ? T[i] * (double)(i % 13 + 1) / 14 : 0;
		w[i] = (double)(i % 5);
	}
	struct rebuy__clv_rows rows = {.n = N, .x = x, .t_x = t_x, .T = T, .w = w};
	const struct rebuy__clv_model *models[2] = {&rebuy__model_bgnbd, &rebuy__model_mbgnbd};
	for (int mi = 0; mi < 2; mi++) {
		const struct rebuy__clv_model *m = models[mi];
		void *st = NULL;
		assert_int_equal(m->prepare(&rows, &st), REBUY_OK);
		double g1[4], g[4];
		double l1 = loglik(m, bg, &rows, NULL, 1, g1);
		assert_true(isfinite(l1));
		static const unsigned threads[3] = {1, 2, 4};
		for (int k = 0; k < 3; k++) {
			double l = loglik(m, bg, &rows, NULL, threads[k], g);
			assert_memory_equal(&l, &l1, sizeof l);
			assert_memory_equal(g, g1, sizeof g);
			l = loglik(m, bg, &rows, st, threads[k], g);
			assert_memory_equal(&l, &l1, sizeof l);
			assert_memory_equal(g, g1, sizeof g);
		}
		m->release(st);
	}
	free(x);
	free(t_x);
	free(T);
	free(w);
}

/* ------------------------------------------------------------------------
 * The CDNOW calibration summaries (../shared). */

struct cols {
	size_t n;
	double *v[3];
};

static void cols_free(struct cols *c)
{
	for (int k = 0; k < 3; k++)
		free(c->v[k]);
}

/* Columns first..first+2 of a CSV with a header line (fields may be quoted
 * numbers). Returns 0 and skips the test when ../shared is absent. */
static int load3(const char *rel, int first, struct cols *c)
{
	const char *path = tu_shared_path(rel);
	if (!path)
		return 0;
	size_t len;
	char *text = tu_read_file(path, &len);
	assert_non_null(text);
	memset(c, 0, sizeof *c);
	size_t cap = 0;
	char *line = strchr(text, '\n');
	while (line && line[1]) {
		line++;
		if (c->n == cap) {
			cap = cap ? 2 * cap : 1024;
			for (int k = 0; k < 3; k++) {
				c->v[k] = realloc(c->v[k], cap * sizeof *c->v[k]);
				assert_non_null(c->v[k]);
			}
		}
		char *f = line;
		for (int col = 0; col < first + 3; col++) {
			if (*f == '"')
				f++;
			char *end;
			double v = strtod(f, &end);
			if (col >= first) {
				assert_true(end != f);
				c->v[col - first][c->n] = v;
			}
			f = strchr(f, ',');
			if (col < first + 2)
				assert_non_null(f);
			if (f)
				f++;
		}
		c->n++;
		line = strchr(line, '\n');
	}
	free(text);
	return 1;
}

/* Data B (exact 1/7 weeks, columns x, t.x, T.cal after the row name) and A
 * (two decimals), 2,357 customers each, at clv.md's optima: the log-
 * likelihood to 1e-6 absolute. The optima are printed to six digits; off
 * the exact optimum by half a unit of the sixth digit the log-likelihood
 * moves by a second-order amount, below 1e-8 here. */
static void test_bgnbd__loglik_at_the_cdnow_optima(void **state)
{
	(void)state;
	struct cols b, a;
	if (!load3("data/cdnow/cdnow_cbs_exact.csv", 1, &b)) {
		skip();
		return;
	}
	assert_true(load3("data/cdnow/cdnow_customers_summary.csv", 1, &a));
	assert_int_equal(b.n, 2357);
	assert_int_equal(a.n, 2357);
	double *w = malloc(b.n * sizeof *w), sx = 0;
	assert_non_null(w);
	for (size_t i = 0; i < b.n; i++) {
		w[i] = 1;
		sx += b.v[0][i];
	}
	NEAR(sx, 2457, 0); /* clv.md: sum of x = 2,457 */
	struct rebuy__clv_rows rb = {.n = b.n, .x = b.v[0], .t_x = b.v[1], .T = b.v[2], .w = w};
	struct rebuy__clv_rows ra = {.n = a.n, .x = a.v[0], .t_x = a.v[1], .T = a.v[2], .w = w};
	static const double bg_b[4] = {0.242595, 4.413602, 0.792922, 2.425907};
	static const double bg_a[4] = {0.242593, 4.413532, 0.792886, 2.425753};
	static const double mbg_b[4] = {0.524843, 6.183085, 0.891359, 1.614002};
	static const double mbg_a[4] = {0.524838, 6.182992, 0.891356, 1.613999};
	double g[4];
	assert_true(fabs(loglik(&rebuy__model_bgnbd, bg_b, &rb, NULL, 2, g) - -9582.429207) <=
	            1e-6);
	/* At an optimum printed to six digits the gradient is what the
	 * rounding leaves: below 0.01 in each log parameter (measured 2e-3),
	 * where a step of 1% in r alone gives about 10 (checked below). */
	for (int k = 0; k < 4; k++)
		assert_true(fabs(g[k]) < 0.01);
	const double off[4] = {bg_b[0] * 1.01, bg_b[1], bg_b[2], bg_b[3]};
	loglik(&rebuy__model_bgnbd, off, &rb, NULL, 2, g);
	assert_true(fabs(g[0]) > 1);
	assert_true(fabs(loglik(&rebuy__model_bgnbd, bg_a, &ra, NULL, 2, NULL) - -9582.425561) <=
	            1e-6);
	assert_true(fabs(loglik(&rebuy__model_mbgnbd, mbg_b, &rb, NULL, 2, g) - -9582.135716) <=
	            1e-6);
	for (int k = 0; k < 4; k++)
		assert_true(fabs(g[k]) < 0.01);
	assert_true(fabs(loglik(&rebuy__model_mbgnbd, mbg_a, &ra, NULL, 2, NULL) - -9582.132685) <=
	            1e-6);
	free(w);
	cols_free(&a);
	cols_free(&b);
}

static void test_bgnbd__start_and_names(void **state)
{
	(void)state;
	/* start: r = 1, alpha = sum(w T) / sum(w x), a = 1, b = 3. Rows: x = 2,
	 * 1 with T = 30, 40 and weights 1, 2: alpha = (30 + 80) / (2 + 2). */
	const double x[2] = {2, 1}, t_x[2] = {10, 5}, T[2] = {30, 40}, w[2] = {1, 2};
	struct rebuy__clv_rows rows = {.n = 2, .x = x, .t_x = t_x, .T = T, .w = w};
	double p[4];
	rebuy__model_bgnbd.start(&rows, p);
	NEAR(p[0], 1, 0);
	NEAR(p[1], 110.0 / 4, REL);
	NEAR(p[2], 1, 0);
	NEAR(p[3], 3, 0);
	assert_string_equal(rebuy__model_bgnbd.name, "bgnbd");
	assert_string_equal(rebuy__model_mbgnbd.name, "mbgnbd");
	assert_int_equal(rebuy__model_bgnbd.n_params, 4);
	assert_string_equal(rebuy__model_mbgnbd.param_names[1], "alpha");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_bgnbd__expected_purchases_match_the_reference),
	        cmocka_unit_test(test_bgnbd__palive_and_cet_match_the_reference),
	        cmocka_unit_test(test_bgnbd__pmf_matches_the_reference),
	        cmocka_unit_test(test_bgnbd__pmfs_sum_to_one_with_the_reference_means),
	        cmocka_unit_test(test_bgnbd__loglik_matches_the_reference),
	        cmocka_unit_test(test_bgnbd__log_palive_where_palive_underflows),
	        cmocka_unit_test(test_bgnbd__extreme_inputs_give_numbers),
	        cmocka_unit_test(test_bgnbd__mbgnbd_matches_the_reference),
	        cmocka_unit_test(test_bgnbd__bad_arguments_give_nan),
	        cmocka_unit_test(test_bgnbd__loglik_is_the_weighted_sum_of_the_rows),
	        cmocka_unit_test(test_bgnbd__gradient_matches_central_differences),
	        cmocka_unit_test(test_bgnbd__threads_do_not_change_the_sum),
	        cmocka_unit_test(test_bgnbd__loglik_at_the_cdnow_optima),
	        cmocka_unit_test(test_bgnbd__start_and_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
