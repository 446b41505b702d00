/* Automatic ARIMA order selection (Hyndman & Khandakar 2008, "Automatic
 * time series forecasting: the forecast package for R", J. Stat. Softw.
 * 27(3)), with the defaults and the stepwise moves of forecast::auto.arima:
 * D from seasonal strength, d from KPSS, starting models (2,d,2)(1,D,1),
 * (0,d,0)(0,D,0), (1,d,0)(1,D,0), (0,d,1)(0,D,1), then the neighbours of
 * the best (P, Q, p, q by +-1 and together, the constant on or off) until
 * none improves the AICc. With the approximation the AICc comes from CSS
 * fits with an offset from an ML (1,d,0)(0,D,0) fit, and the models are then
 * refitted by ML in the order of that AICc until one passes the checks
 * (roots of AR and MA polynomials at least 1.01 away from the origin, a
 * Hessian that inverts to non-negative variances).
 */
#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "forecast/fc_int.h"

#define NMODELS 94

void rebuy_arima_auto_options_init(struct rebuy_arima_auto_options *o)
{
	memset(o, 0, sizeof *o);
	o->m = 1;
	o->d = o->D = -1;
	o->stepwise = 1;
	o->approximation = -1;
	o->max_p = o->max_q = 5;
	o->max_P = o->max_Q = 2;
	o->max_d = 2;
	o->max_D = 1;
}

struct search {
	const double *x;
	size_t n;
	int m, d, D, approx;
	double offset;
	struct rebuy_arima_order tried[NMODELS + 1];
	double ic[NMODELS + 1];
	int checked[NMODELS + 1];
	int k, refitting;
	struct rebuy_arima *best;
	double best_ic;
	enum rebuy_status st;
	struct rebuy_error *err;
};

/* The polynomial 1 + sign*c of an order's expanded AR or MA part, checked
 * factor by factor: roots of A(B^m) have modulus |root of A|^(1/m). */
static double min_root(const double *coef, int len, int m, double sign)
{
	double c[REBUY_ARIMA_MAX_ORDER];
	for (int i = 0; i < len; i++)
		c[i] = sign * coef[i];
	double r = rebuy__poly_min_root(c, len);
	if (m > 1 && r < 2)
		r = pow(r, 1.0 / m);
	return r;
}

static int checked_later(const struct search *s)
{
	return !s->refitting;
}

/* Fits one candidate and returns its information criterion (INFINITY when
 * the fit fails or is rejected); keeps ownership of *out with the caller. */
static double candidate(struct search *s, const struct rebuy_arima_order *o, int approx,
                        struct rebuy_arima **out, int *checked)
{
	*out = NULL;
	int hess_ok = 1;
	struct rebuy_error e = {0};
	enum rebuy_status st = rebuy__arima_fit_checked(
	        s->x, s->n, o, approx ? REBUY_ARIMA_CSS : REBUY_ARIMA_CSS_ML, 0, &hess_ok, out, &e);
	if (st == REBUY_ENOMEM) {
		s->st = rebuy_error_set(s->err, st, "%s", e.msg);
		return INFINITY;
	}
	if (st != REBUY_OK)
		return INFINITY;
	struct rebuy_arima *f = *out;
	int npar = f->n_coef + 1;
	double nstar = (double)f->n_used;
	double ic;
	if (approx) {
		double aic = s->offset + nstar * log(f->sigma2_ml) + 2 * npar;
		ic = aic + 2.0 * npar * (npar + 1) / (nstar - npar - 1);
		f->aic = aic;
		f->aicc = ic;
	} else {
		ic = f->aicc;
	}
	if (!isfinite(ic) || nstar - npar - 1 <= 0)
		return INFINITY;
	const struct rebuy_arima_order *r = &f->order;
	double mr = 2;
	if (r->p + r->P > 0) {
		double a = min_root(f->coef, r->p, 1, -1),
		       b = min_root(f->coef + r->p + r->q, r->P, r->m, -1);
		mr = fmin(mr, fmin(a, b));
	}
	if (r->q + r->Q > 0) {
		double a = min_root(f->coef + r->p, r->q, 1, 1),
		       b = min_root(f->coef + r->p + r->q + r->P, r->Q, r->m, 1);
		mr = fmin(mr, fmin(a, b));
	}
	if (mr < 1 + 1e-2)
		return INFINITY;
	/* The Hessian check costs more than the fit; a model that would not
	 * become the best cannot change the search, so it is checked later,
	 * if the ML refit ever reaches it. */
	*checked = 0;
	if (ic < s->best_ic || !checked_later(s)) {
		*checked = 1;
		if (rebuy__arima_hessian_check(f, &hess_ok) != REBUY_OK) {
			s->st = rebuy_error_set(s->err, REBUY_ENOMEM, "auto arima: out of memory");
			return INFINITY;
		}
		if (!hess_ok)
			return INFINITY;
	}
	return ic;
}

static int is_new(const struct search *s, const struct rebuy_arima_order *o)
{
	for (int i = 0; i < s->k; i++) {
		const struct rebuy_arima_order *t = &s->tried[i];
		if (t->p == o->p && t->q == o->q && t->P == o->P && t->Q == o->Q &&
		    t->has_constant == o->has_constant)
			return 0;
	}
	return 1;
}

/* Tries an order; returns 1 when it became the best. */
static int try_order(struct search *s, int p, int q, int P, int Q, int constant)
{
	struct rebuy_arima_order o = {p, s->d, q, P, s->D, Q, s->m, constant};
	if (s->k >= NMODELS)
		return 0;
	struct rebuy_arima *f;
	int checked = 1;
	double ic = candidate(s, &o, s->approx, &f, &checked);
	s->tried[s->k] = o;
	s->ic[s->k] = ic;
	s->checked[s->k] = checked;
	s->k++;
	if (ic < s->best_ic) {
		rebuy_arima_free(s->best);
		s->best = f;
		s->best_ic = ic;
		return 1;
	}
	rebuy_arima_free(f);
	return 0;
}

/* A series whose differences (d, D) do not vary at all, e.g. a constant
 * one: as R's auto.arima, the (0,d,0)(0,D,0) model with the differences'
 * value as its mean or drift (none when it is 0) and no innovation
 * variance. A likelihood fit would divide by that zero; this model's
 * residuals are all 0, its forecast continues the series exactly with an
 * interval of width 0, and its log-likelihood is +inf (AIC -inf). */
static enum rebuy_status exact_model(const double *x, size_t n, int d, int D, int m, double c,
                                     size_t n_used, struct rebuy_arima **out,
                                     struct rebuy_error *err)
{
	struct rebuy_arima *f = rebuy__calloc(1, sizeof *f);
	double *xs = rebuy__malloc(sizeof(double) * n);
	double *res = rebuy__calloc(n_used ? n_used : 1, sizeof(double));
	if (!f || !xs || !res) {
		rebuy__free(f);
		rebuy__free(xs);
		rebuy__free(res);
		return rebuy_error_set(err, REBUY_ENOMEM, "auto arima: out of memory");
	}
	memcpy(xs, x, sizeof(double) * n);
	f->order = (struct rebuy_arima_order){0, d, 0, 0, D, 0, m, d + D < 2 && c != 0};
	f->method = REBUY_ARIMA_CSS_ML;
	if (f->order.has_constant) {
		/* a drift is per time step: a seasonal difference holds m of them */
		f->coef[0] = d + D == 1 && D == 1 ? c / m : c;
		f->n_coef = 1;
	}
	f->loglik = INFINITY;
	f->sigma2 = f->sigma2_ml = 0;
	f->aic = f->aicc = f->bic = -INFINITY;
	f->n = n;
	f->n_used = n_used;
	f->is_converged = 1;
	f->is_hessian_ok = 1;
	f->x = xs;
	f->resid = res;
	*out = f;
	return REBUY_OK;
}

enum rebuy_status rebuy_arima_auto(const double *x, size_t n, struct rebuy_arima_auto_options *opt,
                                   struct rebuy_arima **out, struct rebuy_error *err)
{
	*out = NULL;
	if (n < 3)
		return rebuy_error_set(err, REBUY_EDATA, "auto arima: %zu observations, at least 3",
		                       n);
	if (n > REBUY_SERIES_MAX)
		return rebuy_error_set(err, REBUY_ELIMIT,
		                       "auto arima: %zu observations, at most %zu", n,
		                       REBUY_SERIES_MAX);
	if (opt->m < 1 || opt->m > REBUY_ARIMA_MAX_PERIOD)
		return rebuy_error_set(err, REBUY_EARG, "auto arima: period %d is not in 1..%d",
		                       opt->m, REBUY_ARIMA_MAX_PERIOD);
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return rebuy_error_set(err, REBUY_EDATA,
			                       "auto arima: observation %zu is not a finite number",
			                       i + 1);
	struct search s;
	memset(&s, 0, sizeof s);
	s.x = x;
	s.n = n;
	s.err = err;
	s.best_ic = INFINITY;
	int m = opt->m;
	int max_p = opt->max_p, max_q = opt->max_q, max_P = opt->max_P, max_Q = opt->max_Q;
	int third = (int)(n / 3);
	if (max_p > third)
		max_p = third;
	if (max_q > third)
		max_q = third;
	if (max_P > third / m)
		max_P = (int)(n / 3 / (size_t)m);
	if (max_Q > third / m)
		max_Q = (int)(n / 3 / (size_t)m);
	int D = opt->D;
	if (m == 1) {
		D = 0;
		max_P = max_Q = 0;
	} else if (D < 0 && n <= 2 * (size_t)m) {
		D = 0;
	} else if (D < 0) {
		D = opt->max_D > 0 ? rebuy_nsdiffs(x, n, m) : 0;
	}
	double *dx = rebuy__malloc(sizeof(double) * n);
	if (!dx)
		return rebuy_error_set(err, REBUY_ENOMEM, "auto arima: out of memory");
	size_t len = n;
	memcpy(dx, x, sizeof(double) * n);
	if (D > 0)
		len = rebuy_diff(dx, len, m, dx);
	int d = opt->d;
	if (d < 0)
		d = rebuy_ndiffs(dx, len, opt->max_d);
	for (int i = 0; i < d; i++)
		len = rebuy_diff(dx, len, 1, dx);
	int constant_dx = len > 0;
	for (size_t i = 1; i < len; i++)
		if (dx[i] != dx[0])
			constant_dx = 0;
	double dx0 = len > 0 ? dx[0] : 0;
	rebuy__free(dx);
	if (len == 0)
		return rebuy_error_set(
		        err, REBUY_EDATA,
		        "auto arima: nothing left after %d and %d seasonal differences", d, D);
	s.m = m;
	s.d = d;
	s.D = D;
	if (constant_dx && (d + D < 2 || dx0 == 0)) {
		opt->n_tried = 1;
		return exact_model(x, n, d, D, m, dx0, len, out, err);
	}
	if (constant_dx) {
		/* a differenced series without variation: the plain (0,d,0)(0,D,0) */
		struct rebuy_arima_order o = {0, d, 0, 0, D, 0, m, d + D < 2};
		enum rebuy_status st = rebuy_arima_fit(x, n, &o, REBUY_ARIMA_CSS_ML, out, err);
		opt->n_tried = 1;
		return st;
	}
	if (m > 1) {
		if (max_P > 0 && max_p > m - 1)
			max_p = m - 1;
		if (max_Q > 0 && max_q > m - 1)
			max_q = m - 1;
	}
	s.approx = opt->approximation >= 0 ? opt->approximation : (n > 150 || m > 12);
	if (s.approx) {
		struct rebuy_arima_order o = {1, d, 0, 0, D, 0, m, d + D == 0};
		struct rebuy_arima *f = NULL;
		struct rebuy_error e = {0};
		if (rebuy_arima_fit(x, n, &o, REBUY_ARIMA_CSS_ML, &f, &e) == REBUY_OK)
			s.offset = -2 * f->loglik - (double)n * log(f->sigma2_ml);
		rebuy_arima_free(f);
	}
	int constant = d + D <= 1;
	int p = 2, q = 2, P = 1, Q = 1;
	if (n < 10) {
		p = q = 1;
		P = Q = 0;
	}
	p = p < max_p ? p : max_p;
	q = q < max_q ? q : max_q;
	P = P < max_P ? P : max_P;
	Q = Q < max_Q ? Q : max_Q;
	try_order(&s, p, q, P, Q, constant);
	if (try_order(&s, 0, 0, 0, 0, constant))
		p = q = P = Q = 0;
	if (max_p > 0 || max_P > 0) {
		int np = max_p > 0, nP = m > 1 && max_P > 0;
		if (try_order(&s, np, 0, nP, 0, constant)) {
			p = np;
			P = nP;
			q = Q = 0;
		}
	}
	if (max_q > 0 || max_Q > 0) {
		int nq = max_q > 0, nQ = m > 1 && max_Q > 0;
		if (try_order(&s, 0, nq, 0, nQ, constant)) {
			p = P = 0;
			q = nq;
			Q = nQ;
		}
	}
	if (constant)
		if (try_order(&s, 0, 0, 0, 0, 0))
			p = q = P = Q = 0, constant = 0;
	int startk = 0;
	while (startk < s.k && s.k < NMODELS && s.st == REBUY_OK) {
		startk = s.k;
		static const int moves[][4] = {
		        {0, 0, -1, 0},  {0, 0, 0, -1}, {0, 0, 1, 0},  {0, 0, 0, 1},
		        {0, 0, -1, -1}, {0, 0, -1, 1}, {0, 0, 1, -1}, {0, 0, 1, 1},
		        {-1, 0, 0, 0},  {0, -1, 0, 0}, {1, 0, 0, 0},  {0, 1, 0, 0},
		        {-1, -1, 0, 0}, {-1, 1, 0, 0}, {1, -1, 0, 0}, {1, 1, 0, 0},
		};
		int improved = 0;
		for (size_t i = 0; i < sizeof moves / sizeof moves[0] && !improved; i++) {
			int np = p + moves[i][0], nq = q + moves[i][1];
			int nP = P + moves[i][2], nQ = Q + moves[i][3];
			if (np < 0 || nq < 0 || nP < 0 || nQ < 0 || np > max_p || nq > max_q ||
			    nP > max_P || nQ > max_Q)
				continue;
			struct rebuy_arima_order o = {np, d, nq, nP, D, nQ, m, constant};
			if (!is_new(&s, &o))
				continue;
			if (try_order(&s, np, nq, nP, nQ, constant)) {
				p = np, q = nq, P = nP, Q = nQ;
				improved = 1;
			}
		}
		if (!improved && d + D <= 1) {
			struct rebuy_arima_order o = {p, d, q, P, D, Q, m, !constant};
			if (is_new(&s, &o) && try_order(&s, p, q, P, Q, !constant))
				constant = !constant;
		}
	}
	opt->n_tried = s.k;
	if (s.st != REBUY_OK) {
		rebuy_arima_free(s.best);
		return s.st;
	}
	if (s.approx && s.best) {
		/* refit by ML in the order of the approximate criterion */
		rebuy_arima_free(s.best);
		s.best = NULL;
		int idx[NMODELS];
		for (int i = 0; i < s.k; i++)
			idx[i] = i;
		for (int i = 1; i < s.k; i++) /* stable insertion sort */
			for (int j = i; j > 0 && s.ic[idx[j]] < s.ic[idx[j - 1]]; j--) {
				int t = idx[j];
				idx[j] = idx[j - 1];
				idx[j - 1] = t;
			}
		s.refitting = 1;
		for (int i = 0; i < s.k && isfinite(s.ic[idx[i]]); i++) {
			struct rebuy_arima *f;
			int checked = 1;
			if (!s.checked[idx[i]]) {
				/* the CSS fit's deferred Hessian check */
				double ic = candidate(&s, &s.tried[idx[i]], 1, &f, &checked);
				rebuy_arima_free(f);
				if (s.st != REBUY_OK)
					return s.st;
				if (!isfinite(ic))
					continue;
			}
			double ic = candidate(&s, &s.tried[idx[i]], 0, &f, &checked);
			if (s.st != REBUY_OK)
				return s.st;
			if (isfinite(ic)) {
				s.best = f;
				break;
			}
			rebuy_arima_free(f);
		}
	}
	if (!s.best)
		return rebuy_error_set(err, REBUY_EDATA,
		                       "auto arima: no suitable ARIMA model found");
	*out = s.best;
	return REBUY_OK;
}
