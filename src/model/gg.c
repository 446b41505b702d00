/* The Gamma-Gamma spend model (Fader, Hardie & Lee 2005; Fader & Hardie,
 * "The Gamma-Gamma model of monetary value"). Given nu, the mean of x
 * values is Gamma(px, nu x); integrating nu ~ Gamma(q, gamma) out gives the
 * density of rebuy__gg_ll; the posterior of nu, Gamma(px + q, gamma + x
 * mean), gives E[value | x, mean] = p E[1 / nu | x, mean].
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/mem.h"

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

/* The model for the fit: rows hold x and t_x = the mean value. The gamma
 * functions depend on the row through x only, and a data set has few
 * distinct x (purchase counts), so they are computed once per distinct x
 * per evaluation; what is left per row is two log1p. */
struct state {
	size_t n_x;
	double *xs;  /* distinct valid x, increasing */
	uint32_t *xi; /* per row: the index of its x in xs (rows the model cannot read: any) */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void release(void *state)
{
	struct state *s = state;
	if (!s)
		return;
	rebuy__free(s->xs);
	rebuy__free(s->xi);
	rebuy__free(s);
}

static enum rebuy_status prepare(const struct rebuy__clv_rows *rows, void **out)
{
	*out = NULL;
	struct state *s = rebuy__calloc(1, sizeof *s);
	size_t n = rows->n ? rows->n : 1;
	if (!s || !(s->xs = rebuy__malloc(n * sizeof *s->xs)) ||
	    !(s->xi = rebuy__calloc(n, sizeof *s->xi))) {
		release(s);
		return REBUY_ENOMEM;
	}
	size_t m = 0;
	for (size_t i = 0; i < rows->n; i++)
		if (valid_row(rows->x[i], rows->t_x[i]))
			s->xs[m++] = rows->x[i];
	qsort(s->xs, m, sizeof *s->xs, cmp_double);
	size_t u = 0;
	for (size_t i = 0; i < m; i++)
		if (u == 0 || s->xs[i] != s->xs[u - 1])
			s->xs[u++] = s->xs[i];
	s->n_x = u;
	for (size_t i = 0; i < rows->n; i++) {
		if (!valid_row(rows->x[i], rows->t_x[i]))
			continue;
		size_t lo = 0, hi = u; /* the first xs >= x */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (s->xs[mid] < rows->x[i])
				lo = mid + 1;
			else
				hi = mid;
		}
		s->xi[i] = (uint32_t)lo;
	}
	*out = s;
	return REBUY_OK;
}

/* Per distinct x: lgamma(px + q) - lgamma(px), and the digammas of the
 * gradient. */
enum { T_LG, T_PSI_PQ, T_PSI_P, T_N };

struct job {
	const double *p;
	const struct rebuy__clv_rows *rows;
	const struct state *s;
	const double *t; /* n_x x T_N */
	int want_grad;
};

static void chunk(void *ud, size_t lo, size_t hi, double *acc)
{
	const struct job *j = ud;
	const struct rebuy__clv_rows *r = j->rows;
	double pp = j->p[0], q = j->p[1], c = j->p[2];
	double lg_q = rebuy__lgamma(q), psi_q = j->want_grad ? rebuy__digamma(q) : 0;
	for (size_t i = lo; i < hi; i++) {
		double w = r->w[i];
		if (w == 0)
			continue;
		double x = r->x[i], mean = r->t_x[i];
		/* A row the model cannot read has no likelihood: NaN, not a skip. */
		if (!(w > 0) || !valid_row(x, mean)) {
			acc[0] = NAN;
			continue;
		}
		const double *t = j->t + (size_t)j->s->xi[i] * T_N;
		double px = pp * x, xm = x * mean;
		double l_mean = -log1p(c / xm); /* log(x mean / (gamma + x mean)) */
		double l_gam = -log1p(xm / c);  /* log(gamma / (gamma + x mean)) */
		acc[0] += w * (t[T_LG] - lg_q + q * l_gam + px * l_mean - log(mean));
		if (j->want_grad) {
			acc[1] += w * (x * (t[T_PSI_PQ] - t[T_PSI_P] + l_mean));
			acc[2] += w * (t[T_PSI_PQ] - psi_q + l_gam);
			acc[3] += w * (q / c - (px + q) / (c + xm));
		}
	}
}

static enum rebuy_status gg_loglik(const double *params, const struct rebuy__clv_rows *rows,
                                   const void *state, unsigned n_threads, double *ll, double *grad)
{
	if (!valid(params))
		return rebuy__clv_loglik_sum(3, params, 0, rows, n_threads, NULL, ll, grad);
	void *own = NULL;
	enum rebuy_status st;
	if (!state) {
		if ((st = prepare(rows, &own)) != REBUY_OK)
			return st;
		state = own;
	}
	const struct state *s = state;
	double *t = rebuy__malloc((s->n_x ? s->n_x : 1) * T_N * sizeof *t);
	if (!t) {
		release(own);
		return REBUY_ENOMEM;
	}
	for (size_t k = 0; k < s->n_x; k++) {
		double px = params[0] * s->xs[k];
		t[k * T_N + T_LG] = rebuy__lgamma(px + params[1]) - rebuy__lgamma(px);
		t[k * T_N + T_PSI_PQ] = grad ? rebuy__digamma(px + params[1]) : 0;
		t[k * T_N + T_PSI_P] = grad ? rebuy__digamma(px) : 0;
	}
	struct job j = {.p = params, .rows = rows, .s = s, .t = t, .want_grad = grad != NULL};
	double acc[4];
	st = rebuy__clv_sum(n_threads, rows->n, 4, chunk, &j, acc);
	rebuy__free(t);
	release(own);
	if (st != REBUY_OK)
		return st;
	*ll = acc[0];
	for (int k = 0; grad && k < 3; k++)
		grad[k] = isfinite(acc[0]) ? params[k] * acc[1 + k] : NAN;
	return REBUY_OK;
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
        .prepare = prepare,
        .release = release,
        .loglik = gg_loglik,
        .start = gg_start,
};
