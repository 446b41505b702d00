/* The Gamma-Gamma spend model (Fader, Hardie & Lee 2005; Fader & Hardie,
 * "The Gamma-Gamma model of monetary value"). Given nu, the mean of x
 * values is Gamma(px, nu x); integrating nu ~ Gamma(q, gamma) out gives the
 * density of rebuy__gg_ll; the posterior of nu, Gamma(px + q, gamma + x
 * mean), gives E[value | x, mean] = p E[1 / nu | x, mean].
 */
#include <math.h>

#include "model/gg.h"
#include "model/specfun.h"

static int valid(const double *p)
{
	for (int k = 0; k < 3; k++)
		if (!isfinite(p[k]) || !(p[k] > 0))
			return 0;
	return 1;
}

static int valid_row(double x, double mean)
{
	return isfinite(x) && x > 0 && isfinite(mean) && mean > 0;
}

/* log f and, when g is not NULL, d log f / d params (natural scale). The
 * logs of ratios are taken by log1p, so that a mean far from gamma / x
 * loses nothing. */
static double row_ll(const double *p, double x, double mean, double *g)
{
	double pp = p[0], q = p[1], c = p[2];
	double px = pp * x, xm = x * mean;
	double l_mean = -log1p(c / xm); /* log(x mean / (gamma + x mean)) */
	double l_gam = -log1p(xm / c);  /* log(gamma / (gamma + x mean)) */
	if (g) {
		double psi = rebuy__digamma(px + q);
		g[0] = x * (psi - rebuy__digamma(px) + l_mean);
		g[1] = psi - rebuy__digamma(q) + l_gam;
		g[2] = q / c - (px + q) / (c + xm);
	}
	return rebuy__lgamma(px + q) - rebuy__lgamma(px) - rebuy__lgamma(q) + q * l_gam +
	       px * l_mean - log(mean);
}

double rebuy__gg_ll(const double *p, double x, double mean)
{
	if (!valid(p) || !valid_row(x, mean))
		return NAN;
	return row_ll(p, x, mean, NULL);
}

double rebuy__gg_expected_spend(const double *p, double x, double mean)
{
	if (!valid(p) || !isfinite(x) || !(x >= 0))
		return NAN;
	if (x == 0)
		return rebuy__gg_population_mean(p);
	if (!isfinite(mean) || !(mean >= 0))
		return NAN;
	double den = p[0] * x + p[1] - 1;
	return den > 0 ? p[0] * (p[2] + x * mean) / den : INFINITY;
}

double rebuy__gg_population_mean(const double *p)
{
	if (!valid(p))
		return NAN;
	return p[1] > 1 ? p[0] * p[2] / (p[1] - 1) : INFINITY;
}

/* The model for the fit: rows hold x and t_x = the mean value. */

static void chunk(void *ud, size_t lo, size_t hi, double *acc)
{
	const struct rebuy__clv_job *j = ud;
	const struct rebuy__clv_rows *r = j->rows;
	for (size_t i = lo; i < hi; i++) {
		double w = r->w[i];
		if (w == 0)
			continue;
		/* A row the model cannot read has no likelihood: NaN, not a skip. */
		if (!(w > 0) || !valid_row(r->x[i], r->t_x[i])) {
			acc[0] = NAN;
			continue;
		}
		double g[3];
		acc[0] += w * row_ll(j->p, r->x[i], r->t_x[i], j->want_grad ? g : NULL);
		if (j->want_grad)
			for (int k = 0; k < 3; k++)
				acc[1 + k] += w * g[k];
	}
}

static enum rebuy_status gg_loglik(const double *params, const struct rebuy__clv_rows *rows,
                                   const void *state, unsigned n_threads, double *ll, double *grad)
{
	(void)state;
	return rebuy__clv_loglik_sum(3, params, valid(params), rows, n_threads, chunk, ll, grad);
}

/* Moments of the customers' means m (weights w): E[m] = p gamma / (q - 1)
 * and E[m^2] / E[m]^2 = (1 + E[1/x] / p) (q - 1) / (q - 2). Taking that
 * ratio, R1, among one-purchase customers and, R2 with H = E[1/x], among
 * the others gives p = (R2 - R1 H) / (R1 - R2), then q from R1 and gamma
 * from E[m]. Where a group is empty or a solution falls outside the domain,
 * p = 1 and q = 3 stand in, keeping gamma from the mean. */
struct moments {
	double w, m, m2, h;
};

static void add(struct moments *s, double w, double x, double m)
{
	s->w += w;
	s->m += w * m;
	s->m2 += w * m * m;
	s->h += w / x;
}

static void gg_start(const struct rebuy__clv_rows *rows, double *params)
{
	struct moments one = {0}, more = {0};
	for (size_t i = 0; i < rows->n; i++) {
		double w = rows->w[i], x = rows->x[i], m = rows->t_x[i];
		if (!(w > 0) || !valid_row(x, m))
			continue;
		add(x == 1 ? &one : &more, w, x, m);
	}
	double p = 1, q = 3, n = one.w + more.w;
	double mean = n > 0 ? (one.m + more.m) / n : 1;
	if (one.w > 0 && more.w > 0) {
		double r1 = one.m2 * one.w / (one.m * one.m);
		double r2 = more.m2 * more.w / (more.m * more.m), h = more.h / more.w;
		double pp = (r2 - r1 * h) / (r1 - r2), k = r1 / (1 + 1 / pp);
		if (isfinite(pp) && pp > 0 && isfinite(k) && k > 1) {
			p = pp;
			q = (2 * k - 1) / (k - 1);
		}
	}
	params[0] = p;
	params[1] = q;
	params[2] = mean * (q - 1) / p;
}

static const char *const param_names[] = {"p", "q", "gamma"};

const struct rebuy__clv_model rebuy__model_gg = {
        .name = "gg",
        .n_params = 3,
        .param_names = param_names,
        .prepare = NULL,
        .release = NULL,
        .loglik = gg_loglik,
        .start = gg_start,
};
