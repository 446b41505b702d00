/* The shifted-beta-geometric model (Fader & Hardie 2007, "How to project
 * customer retention"; DEL and DERL from Fader & Hardie 2010, "Customer-base
 * valuation in a contractual setting: the perils of ignoring
 * heterogeneity"). Each customer leaves at the end of a period with a
 * probability theta ~ Beta(alpha, beta), so
 *   S(t)     = B(alpha, beta + t) / B(alpha, beta),
 *   P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)
 *            = S(t - 1) alpha / (alpha + beta + t - 1),
 * and S(n + k) / S(n) = (beta + n)_k / (alpha + beta + n)_k (Pochhammer).
 * log S is never taken as a difference of four log-gammas, which loses
 * ulps of lgamma(beta + t) (1e-12 relative at t = 5000, 1e-9 at beta = 1e6):
 * short integer spans are summed, long ones use Stirling's series for each
 * ratio of gammas a shift apart.
 */
#include <math.h>

#include "model/sbg.h"
#include "model/specfun.h"

/* Past this many terms the series of 2F1 gives up (about d < 1e-6). */
#define MAX_SERIES_TERMS 100000000L
/* Up to this many periods the expected renewals are summed term by term
 * (error below m ulps); past it the closed form is cheaper. */
#define MAX_DIRECT_TERMS 4096
/* Up to this many periods log S(t) is a sum of t logs. */
#define MAX_LOG_TERMS 64

static int valid(const double *p)
{
	return isfinite(p[0]) && isfinite(p[1]) && p[0] > 0 && p[1] > 0;
}

static int is_count(double v)
{
	return isfinite(v) && v >= 0 && v == floor(v);
}

/* log((beta)_t / (alpha + beta)_t), t >= 0: log S(t) at p = {alpha, beta}. */
static double log_surv(double a, double b, double t)
{
	if (t == 0)
		return 0;
	if (t <= MAX_LOG_TERMS && t == floor(t)) {
		/* Each factor 1 - q, q = a / (a + b + k), in the form that
		 * keeps its digits: log1p(-q) while q < 1/2, else the log of
		 * (b + k) / (a + b + k), which 1 - q would round away. */
		double s = 0;
		for (double k = 0; k < t; k++) {
			double q = a / (a + b + k);
			s += q < 0.5 ? log1p(-q) : log((b + k) / (a + b + k));
		}
		return s;
	}
	/* Two gamma ratios, each of the size of its shift times a log: the
	 * smaller of alpha and t as the shift keeps their rounding smallest. */
	if (a <= t)
		return rebuy__lgamma_ratio(b, a) - rebuy__lgamma_ratio(b + t, a);
	return rebuy__lgamma_ratio(b, t) - rebuy__lgamma_ratio(a + b, t);
}

double rebuy__sbg_log_survival(const double *p, double t)
{
	if (!valid(p) || !(t >= 0))
		return NAN;
	if (t == INFINITY)
		return -INFINITY;
	return log_surv(p[0], p[1], t);
}

double rebuy__sbg_survival(const double *p, double t)
{
	if (!valid(p) || !(t >= 0))
		return NAN;
	if (t == INFINITY)
		return 0;
	return exp(log_surv(p[0], p[1], t));
}

/* log P(T = t) = log S(t - 1) + log(alpha / (alpha + beta + t - 1)). */
static double log_churn(double a, double b, double t)
{
	return log_surv(a, b, t - 1) + log(a / (a + b + t - 1));
}

double rebuy__sbg_churn(const double *p, double t)
{
	if (!valid(p) || !(t >= 1) || t == INFINITY)
		return NAN;
	return exp(log_churn(p[0], p[1], t));
}

double rebuy__sbg_retention(const double *p, double t)
{
	if (!valid(p) || !(t >= 1) || t == INFINITY)
		return NAN;
	return (p[1] + t - 1) / (p[0] + p[1] + t - 1);
}

/* log P(T = t) or log S(t), and when g is not NULL their derivatives with
 * respect to alpha and beta (natural scale). */
static double row_ll(const double *p, double t, int is_active, double *g)
{
	double a = p[0], b = p[1];
	double dab = rebuy__digamma_diff(a + b, t); /* psi(a + b + t) - psi(a + b) */
	if (is_active) {
		if (g) {
			g[0] = -dab;
			g[1] = rebuy__digamma_diff(b, t) - dab;
		}
		return log_surv(a, b, t);
	}
	if (g) {
		g[0] = 1 / a - dab;
		g[1] = rebuy__digamma_diff(b, t - 1) - dab;
	}
	return log_churn(a, b, t);
}

double rebuy__sbg_ll(const double *p, double t, int is_active)
{
	if (!valid(p) || !(t >= 1) || t == INFINITY)
		return NAN;
	return row_ll(p, t, is_active != 0, NULL);
}

double rebuy__sbg_expected_renewals(const double *p, double n, double m)
{
	if (!valid(p) || !(n >= 0) || n == INFINITY || !is_count(m))
		return NAN;
	double a = p[0], b = p[1] + n;
	if (m <= MAX_DIRECT_TERMS) {
		double term = 1, sum = 0;
		for (double k = 0; k < m; k++) {
			term *= (b + k) / (a + b + k);
			sum += term;
		}
		return sum;
	}
	/* sum_{k=1..m} (b)_k / (b + a)_k = b / (a - 1) [1 - (b + 1)_m / (b + a)_m],
	 * which telescopes; at a = 1 its limit is b [psi(b + 1 + m) - psi(b + 1)].
	 * log (b + 1)_m / (b + a)_m is taken as two gamma ratios a - 1 apart. */
	if (a == 1)
		return b * rebuy__digamma_diff(b + 1, m);
	double lr = rebuy__lgamma_ratio(b + 1, a - 1) - rebuy__lgamma_ratio(b + 1 + m, a - 1);
	return b / (a - 1) * -expm1(lr);
}

/* 2F1(1, b; c; 1 / (1 + d)) = sum_{k>=0} (b)_k / (c)_k (1 + d)^-k for
 * c > b > 0, d >= 0. All terms are positive, so the plain series loses
 * nothing to cancellation; its term ratios (b + k) / (c + k) / (1 + d) grow
 * towards 1 / (1 + d), so what is left after a term is at most term / d,
 * which is the stopping rule. At d = 0 it is (c - 1) / (c - b - 1) when
 * c - b > 1 (Gauss's sum) and diverges otherwise. */
static double hyp2f1_1(double b, double c, double d)
{
	if (d == 0)
		return c - b > 1 ? (c - 1) / (c - b - 1) : INFINITY;
	double z = 1 / (1 + d), term = 1, sum = 1;
	for (long k = 0; k < MAX_SERIES_TERMS; k++) {
		term *= (b + k) / (c + k) * z;
		sum += term;
		if (term <= 0x1p-54 * d * sum)
			return sum;
	}
	return NAN;
}

double rebuy__sbg_del(const double *p, double d)
{
	if (!valid(p) || !(d >= 0) || d == INFINITY)
		return NAN;
	return hyp2f1_1(p[1], p[0] + p[1], d);
}

double rebuy__sbg_derl(const double *p, double n, double d)
{
	if (!valid(p) || !(n >= 0) || n == INFINITY || !(d >= 0) || d == INFINITY)
		return NAN;
	double a = p[0], b = p[1] + n;
	return b / (a + b) * hyp2f1_1(b + 1, a + b + 1, d);
}

enum rebuy_status rebuy__sbg_rows_from_survivors(const double *survivors, size_t n_survivors,
                                                 double *x, double *t_x, double *w,
                                                 struct rebuy__clv_rows *rows,
                                                 struct rebuy_error *err)
{
	if (n_survivors < 2)
		return rebuy_error_set(err, REBUY_EDATA,
		                       "survivors: %zu count%s; need the cohort and at least one "
		                       "period after it",
		                       n_survivors, n_survivors == 1 ? "" : "s");
	for (size_t t = 0; t < n_survivors; t++) {
		double s = survivors[t];
		if (!isfinite(s) || s < 0)
			return rebuy_error_set(
			        err, REBUY_EDATA,
			        "survivors: count %zu is %g; counts must be finite and "
			        ">= 0",
			        t, s);
		if (t == 0 && s == 0)
			return rebuy_error_set(err, REBUY_EDATA,
			                       "survivors: the cohort (count 0) is empty");
		if (t > 0 && s > survivors[t - 1])
			return rebuy_error_set(err, REBUY_EDATA,
			                       "survivors: count %zu (%g) is larger than count %zu "
			                       "(%g); survivors cannot grow",
			                       t, s, t - 1, survivors[t - 1]);
	}
	for (size_t t = 1; t < n_survivors; t++) {
		x[t - 1] = (double)t;
		t_x[t - 1] = 0;
		w[t - 1] = survivors[t - 1] - survivors[t];
	}
	x[n_survivors - 1] = (double)(n_survivors - 1);
	t_x[n_survivors - 1] = 1;
	w[n_survivors - 1] = survivors[n_survivors - 1];
	*rows = (struct rebuy__clv_rows){.n = n_survivors, .x = x, .t_x = t_x, .T = NULL, .w = w};
	return REBUY_OK;
}

/* The model for the fit. */

static void chunk(void *ud, size_t lo, size_t hi, double *acc)
{
	const struct rebuy__clv_job *j = ud;
	const struct rebuy__clv_rows *r = j->rows;
	for (size_t i = lo; i < hi; i++) {
		double w = r->w[i], t = r->x[i], state = r->t_x[i];
		if (w == 0)
			continue;
		/* A row the model cannot read has no likelihood: NaN, not a skip. */
		if (!(w > 0) || !is_count(t) || t < 1 || (state != 0 && state != 1)) {
			acc[0] = NAN;
			continue;
		}
		double g[2];
		acc[0] += w * row_ll(j->p, t, state == 1, j->want_grad ? g : NULL);
		if (j->want_grad) {
			acc[1] += w * g[0];
			acc[2] += w * g[1];
		}
	}
}

static enum rebuy_status sbg_loglik(const double *params, const struct rebuy__clv_rows *rows,
                                    const void *state, unsigned n_threads, double *ll, double *grad)
{
	(void)state;
	return rebuy__clv_loglik_sum(2, params, valid(params), rows, n_threads, chunk, ll, grad);
}

/* Moments: the retention rates of periods 1 and 2, r1 = beta / (alpha +
 * beta) and r2 = (beta + 1) / (alpha + beta + 1), give alpha + beta = (1 -
 * r2) / (r2 - r1). They need r2 > r1 (retention rising, as heterogeneity
 * makes it); otherwise the start is (1, 1). */
static void sbg_start(const struct rebuy__clv_rows *rows, double *params)
{
	double at_risk[3] = {0}, left[3] = {0};
	for (size_t i = 0; i < rows->n; i++) {
		double w = rows->w[i], t = rows->x[i];
		if (!(w > 0) || !(t >= 1))
			continue;
		for (int k = 1; k <= 2; k++)
			if (t >= k)
				at_risk[k] += w;
		if (rows->t_x[i] == 0 && (t == 1 || t == 2))
			left[(int)t] += w;
	}
	params[0] = params[1] = 1;
	if (!(at_risk[1] > 0) || !(at_risk[2] > 0))
		return;
	double r1 = 1 - left[1] / at_risk[1], r2 = 1 - left[2] / at_risk[2];
	if (!(r2 > r1) || !(r1 > 0) || !(r2 < 1))
		return;
	double s = (1 - r2) / (r2 - r1);
	params[0] = (1 - r1) * s;
	params[1] = r1 * s;
}

static const char *const param_names[] = {"alpha", "beta"};

const struct rebuy__clv_model rebuy__model_sbg = {
        .name = "sbg",
        .n_params = 2,
        .param_names = param_names,
        .prepare = NULL,
        .release = NULL,
        .loglik = sbg_loglik,
        .start = sbg_start,
};
