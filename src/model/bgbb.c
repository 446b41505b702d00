/* The BG/BB model (Fader, Hardie & Shang 2010, "Customer-base analysis in a
 * discrete-time noncontractual setting"). With A(x, m) = B(alpha + x, beta +
 * m - x) / B(alpha, beta) and the dropout process's survival S(m) = B(gamma,
 * delta + m) / B(gamma, delta) (an sBG in gamma, delta: sbg.c),
 *   L(x, t_x, n) = A(x, n) S(n)
 *       + sum_{m = t_x}^{n - 1} A(x, m) B(gamma + 1, delta + m) / B(gamma, delta):
 * alive through opportunity n, or died just after opportunity m. The first
 * term over L is P(alive at n | history); the forecasts are that times
 * E[p | history] = (alpha + x) / (alpha + beta + n) times the sBG sums of
 * S(n + k) / S(n). Every beta ratio is an sBG log-survival (sbg.c), never a
 * difference of log-gammas, which would lose ulps of lgamma(1e6) = 1.3e7
 * when a parameter is large.
 */
#include <math.h>

#include "model/bgbb.h"
#include "model/sbg.h"
#include "model/specfun.h"

static int valid(const double *p)
{
	for (int k = 0; k < 4; k++)
		if (!isfinite(p[k]) || !(p[k] > 0))
			return 0;
	return 1;
}

static int is_count(double v)
{
	return isfinite(v) && v >= 0 && v == floor(v);
}

static int valid_history(double x, double t_x, double n)
{
	return is_count(x) && is_count(t_x) && is_count(n) && x <= t_x && t_x <= n &&
	       (x > 0 || t_x == 0) && n <= REBUY__BGBB_MAX_N;
}

/* log A(x, m) = log (alpha)_x (beta)_(m - x) / (alpha + beta)_m: the sBG
 * survival S(x) at {beta, alpha}, (alpha)_x / (alpha + beta)_x, times S(m -
 * x) at {alpha + x, beta}. */
static double log_a(double a, double b, double x, double m)
{
	const double p1[2] = {b, a}, p2[2] = {a + x, b};
	return rebuy__sbg_log_survival(p1, x) + rebuy__sbg_log_survival(p2, m - x);
}

/* log B(gamma + 1, delta + m) / B(gamma, delta) = log S(m) gamma / (gamma +
 * delta + m): dying just after opportunity m. */
static double log_death(const double *p, double m)
{
	return rebuy__sbg_log_survival(p + 2, m) + log(p[2] / (p[2] + p[3] + m));
}

/* log L, the log of its alive term A(x, n) S(n) into *log_alive, and when g
 * is not NULL d log L / d params (natural scale). The dead terms are walked
 * from m = t_x up by their ratio, (beta + m - x) / (alpha + beta + m) times
 * (delta + m) / (gamma + delta + m + 1), which is below 1: no term overflows
 * and only the first needs the beta ratios. */
static double row_ll(const double *p, double x, double t_x, double n, double *log_alive, double *g)
{
	double a = p[0], b = p[1], c = p[2], d = p[3];
	double la = log_a(a, b, x, n) + rebuy__sbg_log_survival(p + 2, n);
	*log_alive = la;
	if (t_x == n) {
		if (g) {
			double dn = rebuy__digamma_diff(a + b, n),
			       cn = rebuy__digamma_diff(c + d, n);
			g[0] = rebuy__digamma_diff(a, x) - dn;
			g[1] = rebuy__digamma_diff(b, n - x) - dn;
			g[2] = -cn;
			g[3] = rebuy__digamma_diff(d, n) - cn;
		}
		return la;
	}
	double l0 = log_a(a, b, x, t_x) + log_death(p, t_x);
	/* s = sum of the dead terms over the first; sc = sum of each term over
	 * the first times the derivative of its log ratio to the first. */
	double rho = 1, s = 0, cum[4] = {0}, sc[4] = {0};
	for (double m = t_x; m < n; m++) {
		s += rho;
		if (g)
			for (int k = 0; k < 4; k++)
				sc[k] += rho * cum[k];
		double u = b + m - x, v = a + b + m, e = d + m, f = c + d + m + 1;
		rho *= u / v * (e / f);
		if (g) {
			cum[0] -= 1 / v;
			cum[1] += 1 / u - 1 / v;
			cum[2] -= 1 / f;
			cum[3] += 1 / e - 1 / f;
		}
	}
	double ll = rebuy__logaddexp(la, l0 + log(s));
	if (g) {
		double wa = exp(la - ll), wd = exp(l0 - ll);
		double dn = rebuy__digamma_diff(a + b, n), cn = rebuy__digamma_diff(c + d, n);
		double dt = rebuy__digamma_diff(a + b, t_x),
		       ct = rebuy__digamma_diff(c + d, t_x + 1);
		double dx = rebuy__digamma_diff(a, x);
		double alive[4] = {dx - dn, rebuy__digamma_diff(b, n - x) - dn, -cn,
		                   rebuy__digamma_diff(d, n) - cn};
		double first[4] = {dx - dt, rebuy__digamma_diff(b, t_x - x) - dt, 1 / c - ct,
		                   rebuy__digamma_diff(d, t_x) - ct};
		for (int k = 0; k < 4; k++)
			g[k] = wa * alive[k] + wd * (s * first[k] + sc[k]);
	}
	return ll;
}

double rebuy__bgbb_ll(const double *p, double x, double t_x, double n)
{
	if (!valid(p) || !valid_history(x, t_x, n))
		return NAN;
	double la;
	return row_ll(p, x, t_x, n, &la, NULL);
}

/* log P(alive through opportunity n | history). */
static double log_alive_n(const double *p, double x, double t_x, double n)
{
	double la, ll = row_ll(p, x, t_x, n, &la, NULL);
	return la - ll;
}

double rebuy__bgbb_log_palive(const double *p, double x, double t_x, double n)
{
	if (!valid(p) || !valid_history(x, t_x, n))
		return NAN;
	/* Alive at n + 1 is alive at n and surviving one more: S(n + 1) / S(n). */
	return log_alive_n(p, x, t_x, n) + log((p[3] + n) / (p[2] + p[3] + n));
}

double rebuy__bgbb_expected(const double *p, double n)
{
	if (!valid(p) || !is_count(n))
		return NAN;
	return p[0] / (p[0] + p[1]) * rebuy__sbg_expected_renewals(p + 2, 0, n);
}

double rebuy__bgbb_pmf(const double *p, double n, double x)
{
	if (!valid(p) || !is_count(n) || !isfinite(x) || x != floor(x))
		return NAN;
	if (x < 0 || x > n)
		return 0;
	double a = p[0], b = p[1], lfx = rebuy__lgamma(x + 1);
	/* Alive through all n opportunities with x transactions among them, or
	 * alive through i (x <= i < n) with x among those, then gone. */
	double sum = exp(rebuy__lgamma(n + 1) - lfx - rebuy__lgamma(n - x + 1) + log_a(a, b, x, n) +
	                 rebuy__sbg_log_survival(p + 2, n));
	for (double i = x; i < n; i++)
		sum += exp(rebuy__lgamma(i + 1) - lfx - rebuy__lgamma(i - x + 1) +
		           log_a(a, b, x, i) + log_death(p, i));
	return sum;
}

double rebuy__bgbb_cet(const double *p, double x, double t_x, double n, double n_star)
{
	if (!valid(p) || !valid_history(x, t_x, n) || !is_count(n_star))
		return NAN;
	double ep = (p[0] + x) / (p[0] + p[1] + n);
	return ep * exp(log_alive_n(p, x, t_x, n)) * rebuy__sbg_expected_renewals(p + 2, n, n_star);
}

double rebuy__bgbb_derl(const double *p, double x, double t_x, double n, double d)
{
	if (!valid(p) || !valid_history(x, t_x, n) || !(d >= 0) || d == INFINITY)
		return NAN;
	double ep = (p[0] + x) / (p[0] + p[1] + n);
	/* sum_{k >= 1} S(n + k) / S(n) (1 + d)^-k is the sBG residual lifetime
	 * of one who has survived n, discounted one period further. */
	return ep * exp(log_alive_n(p, x, t_x, n)) * rebuy__sbg_derl(p + 2, n, d) / (1 + d);
}

/* The model for the fit: rows hold x, t_x and T = n (clv_int.h). */

static void chunk(void *ud, size_t lo, size_t hi, double *acc)
{
	const struct rebuy__clv_job *j = ud;
	const struct rebuy__clv_rows *r = j->rows;
	for (size_t i = lo; i < hi; i++) {
		double w = r->w[i];
		if (w == 0)
			continue;
		/* A row the model cannot read has no likelihood: NaN, not a skip. */
		if (!(w > 0) || !valid_history(r->x[i], r->t_x[i], r->T[i])) {
			acc[0] = NAN;
			continue;
		}
		double la, g[4];
		acc[0] +=
		        w * row_ll(j->p, r->x[i], r->t_x[i], r->T[i], &la, j->want_grad ? g : NULL);
		if (j->want_grad)
			for (int k = 0; k < 4; k++)
				acc[1 + k] += w * g[k];
	}
}

static enum rebuy_status bgbb_loglik(const double *params, const struct rebuy__clv_rows *rows,
                                     const void *state, unsigned n_threads, double *ll,
                                     double *grad)
{
	(void)state;
	return rebuy__clv_loglik_sum(4, params, valid(params), rows, n_threads, chunk, ll, grad);
}

/* The paper's model has no moment estimators; the fit starts from the
 * uniform mixing distributions, Beta(1, 1) for both p and theta. */
static void bgbb_start(const struct rebuy__clv_rows *rows, double *params)
{
	(void)rows;
	for (int k = 0; k < 4; k++)
		params[k] = 1;
}

static const char *const param_names[] = {"alpha", "beta", "gamma", "delta"};

const struct rebuy__clv_model rebuy__model_bgbb = {
        .name = "bgbb",
        .n_params = 4,
        .param_names = param_names,
        .prepare = NULL,
        .release = NULL,
        .loglik = bgbb_loglik,
        .start = bgbb_start,
};
