/* BFGS, a strong-Wolfe line search and Newton polishing; see optim.h. */
#include "model/optim.h"

#include <math.h>
#include <string.h>

#define N_MAX REBUY__OPTIM_MAX
#define C1 1e-4 /* sufficient decrease */
#define C2 0.9  /* curvature: a loose line search suits quasi-Newton */
#define LS_TRIES 60
#define STALL_ROUNDS 4

struct ctx {
	int n;
	rebuy__optim_fg fg;
	void *ud;
	int evals;
};

/* A point of the search: position, value, gradient. */
struct pt {
	double y[N_MAX], f, g[N_MAX];
};

static double dot(int n, const double *a, const double *b)
{
	double s = 0;
	for (int i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

static double max_abs(int n, const double *a)
{
	double m = 0;
	for (int i = 0; i < n; i++)
		m = fmax(m, fabs(a[i]));
	return m;
}

/* Evaluates at p->y; anything not finite makes the point outside (+inf). */
static enum rebuy_status eval(struct ctx *c, struct pt *p)
{
	c->evals++;
	enum rebuy_status st = c->fg(c->ud, p->y, &p->f, p->g);
	if (st != REBUY_OK)
		return st;
	int finite = isfinite(p->f);
	for (int i = 0; finite && i < c->n; i++)
		finite = isfinite(p->g[i]);
	if (!finite)
		p->f = INFINITY;
	return REBUY_OK;
}

static enum rebuy_status eval_at(struct ctx *c, const struct pt *x, const double *d, double a,
                                 struct pt *out)
{
	for (int i = 0; i < c->n; i++)
		out->y[i] = x->y[i] + a * d[i];
	return eval(c, out);
}

/* The minimizer of the cubic through (a, fa, da) and (b, fb, db), kept
 * well inside [a, b]; the midpoint when the cubic does not help. */
static double interpolate(double a, double fa, double da, double b, double fb, double db,
                          int has_db)
{
	double lo = fmin(a, b), hi = fmax(a, b), w = hi - lo, t = NAN;
	if (has_db && isfinite(fb)) {
		double d1 = da + db - 3 * (fa - fb) / (a - b);
		double disc = d1 * d1 - da * db;
		if (disc >= 0) {
			double d2 = copysign(sqrt(disc), b - a);
			t = b - (b - a) * (db + d2 - d1) / (db - da + 2 * d2);
		}
	}
	if (!(t >= lo + 0.1 * w && t <= hi - 0.1 * w))
		t = lo + 0.5 * w;
	return t;
}

/* Nocedal & Wright algorithms 3.5 and 3.6. On success *ok = 1 and *out is
 * the accepted point; it always has f < x->f. */
static enum rebuy_status line_search(struct ctx *c, const struct pt *x, const double *d, double a1,
                                     struct pt *out, int *ok)
{
	int n = c->n;
	*ok = 0;
	double dg0 = dot(n, x->g, d);
	if (!(dg0 < 0))
		return REBUY_OK;
	struct pt trial, lo_pt;
	double a_prev = 0, f_prev = x->f, dg_prev = dg0, a = a1, a_out = INFINITY;
	double lo = 0, hi = 0, f_lo = x->f, dg_lo = dg0, f_hi = 0, dg_hi = 0;
	int zoom = 0, has_dg_hi = 0, have_lo = 0;
	enum rebuy_status st;
	for (int it = 0; it < LS_TRIES && !zoom; it++) {
		if ((st = eval_at(c, x, d, a, &trial)) != REBUY_OK)
			return st;
		if (trial.f == INFINITY) { /* outside: come back towards the last good step */
			a_out = a;
			a = a_prev + 0.25 * (a - a_prev);
			if (a - a_prev <= 1e-16 * fmax(1, a_prev))
				break;
			continue;
		}
		double dga = dot(n, trial.g, d);
		if (trial.f > x->f + C1 * a * dg0 || (a_prev > 0 && trial.f >= f_prev)) {
			lo = a_prev, f_lo = f_prev, dg_lo = dg_prev;
			hi = a, f_hi = trial.f, dg_hi = dga, has_dg_hi = 1;
			zoom = 1;
			break;
		}
		if (fabs(dga) <= -C2 * dg0) {
			*out = trial;
			*ok = 1;
			return REBUY_OK;
		}
		lo_pt = trial;
		have_lo = 1;
		if (dga >= 0) {
			lo = a, f_lo = trial.f, dg_lo = dga;
			hi = a_prev, f_hi = f_prev, dg_hi = dg_prev, has_dg_hi = 1;
			zoom = 1;
			break;
		}
		a_prev = a, f_prev = trial.f, dg_prev = dga;
		a = isfinite(a_out) ? 0.5 * (a + a_out) : 2 * a;
	}
	if (zoom) {
		if (lo > 0 && !have_lo)
			return REBUY_OK; /* cannot happen: lo > 0 was evaluated */
		for (int it = 0; it < LS_TRIES; it++) {
			double t = interpolate(lo, f_lo, dg_lo, hi, f_hi, dg_hi, has_dg_hi);
			if (fabs(hi - lo) <= 1e-16 * fmax(1, fabs(lo)))
				break;
			if ((st = eval_at(c, x, d, t, &trial)) != REBUY_OK)
				return st;
			if (trial.f == INFINITY) {
				hi = t, f_hi = INFINITY, has_dg_hi = 0;
				continue;
			}
			double dgt = dot(n, trial.g, d);
			if (trial.f > x->f + C1 * t * dg0 || trial.f >= f_lo) {
				hi = t, f_hi = trial.f, dg_hi = dgt, has_dg_hi = 1;
				continue;
			}
			if (fabs(dgt) <= -C2 * dg0) {
				*out = trial;
				*ok = 1;
				return REBUY_OK;
			}
			if (dgt * (hi - lo) >= 0)
				hi = lo, f_hi = f_lo, dg_hi = dg_lo, has_dg_hi = 1;
			lo = t, f_lo = trial.f, dg_lo = dgt;
			lo_pt = trial;
			have_lo = 1;
		}
	}
	/* No Wolfe point, but a lower one is still progress. */
	if (have_lo && lo_pt.f < x->f) {
		*out = lo_pt;
		*ok = 1;
	}
	return REBUY_OK;
}

int rebuy__cholesky(int n, double *a)
{
	for (int j = 0; j < n; j++) {
		double s = a[j * n + j];
		for (int k = 0; k < j; k++)
			s -= a[j * n + k] * a[j * n + k];
		if (!(s > 0))
			return 0;
		double ljj = sqrt(s);
		a[j * n + j] = ljj;
		for (int i = j + 1; i < n; i++) {
			double t = a[i * n + j];
			for (int k = 0; k < j; k++)
				t -= a[i * n + k] * a[j * n + k];
			a[i * n + j] = t / ljj;
		}
	}
	return 1;
}

void rebuy__cholesky_solve(int n, const double *l, double *b)
{
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < i; k++)
			b[i] -= l[i * n + k] * b[k];
		b[i] /= l[i * n + i];
	}
	for (int i = n - 1; i >= 0; i--) {
		for (int k = i + 1; k < n; k++)
			b[i] -= l[k * n + i] * b[k];
		b[i] /= l[i * n + i];
	}
}

void rebuy__cholesky_inverse(int n, const double *l, double *inv)
{
	double col[N_MAX];
	for (int j = 0; j < n; j++) {
		for (int i = 0; i < n; i++)
			col[i] = i == j;
		rebuy__cholesky_solve(n, l, col);
		for (int i = 0; i < n; i++)
			inv[i * n + j] = col[i];
	}
}

/* The Hessian at x by central differences of the gradient, symmetrized.
 * *ok = 0 when a neighbour is outside the domain. */
static enum rebuy_status hessian(struct ctx *c, const struct pt *x, double h, double *hess, int *ok)
{
	int n = c->n;
	struct pt p, m;
	*ok = 0;
	for (int j = 0; j < n; j++) {
		double e[N_MAX] = {0};
		e[j] = 1;
		enum rebuy_status st;
		if ((st = eval_at(c, x, e, h, &p)) != REBUY_OK ||
		    (st = eval_at(c, x, e, -h, &m)) != REBUY_OK)
			return st;
		if (p.f == INFINITY || m.f == INFINITY)
			return REBUY_OK;
		for (int i = 0; i < n; i++)
			hess[i * n + j] = (p.g[i] - m.g[i]) / (2 * h);
	}
	for (int i = 0; i < n; i++)
		for (int j = 0; j < i; j++)
			hess[i * n + j] = hess[j * n + i] =
			        0.5 * (hess[i * n + j] + hess[j * n + i]);
	*ok = 1;
	return REBUY_OK;
}

static enum rebuy_status bfgs(struct ctx *c, struct pt *x, int max_iter, double gtol,
                              int *iterations, enum rebuy__optim_end *end)
{
	int n = c->n, stalls = 0, fresh = 1;
	double hinv[N_MAX * N_MAX];
	enum rebuy_status st;
	*end = REBUY__OPTIM_MAX_ITER;
	for (int it = 0; it < max_iter; it++) {
		if (max_abs(n, x->g) <= gtol) {
			*end = REBUY__OPTIM_CONVERGED;
			return REBUY_OK;
		}
		if (fresh) {
			memset(hinv, 0, sizeof hinv);
			for (int i = 0; i < n; i++)
				hinv[i * n + i] = 1;
		}
		double d[N_MAX];
		for (int i = 0; i < n; i++)
			d[i] = -dot(n, &hinv[i * n], x->g);
		/* A fresh start has no scale: its first step moves y by at most 1. */
		double a1 = fresh ? fmin(1.0, 1.0 / max_abs(n, d)) : 1.0;
		struct pt next;
		int ok;
		if ((st = line_search(c, x, d, a1, &next, &ok)) != REBUY_OK)
			return st;
		(*iterations)++;
		if (!ok) {
			if (fresh) {
				*end = REBUY__OPTIM_STALLED;
				return REBUY_OK;
			}
			fresh = 1; /* the curvature memory misleads: start it over */
			continue;
		}
		double s[N_MAX], yv[N_MAX];
		for (int i = 0; i < n; i++) {
			s[i] = next.y[i] - x->y[i];
			yv[i] = next.g[i] - x->g[i];
		}
		double sy = dot(n, s, yv), yy = dot(n, yv, yv);
		if (fresh && sy > 0 && yy > 0) { /* Shanno & Phua scaling of the first H */
			for (int i = 0; i < n; i++)
				hinv[i * n + i] = sy / yy;
		}
		if (sy > 1e-14 * sqrt(dot(n, s, s) * yy)) {
			double rho = 1 / sy, hy[N_MAX];
			for (int i = 0; i < n; i++)
				hy[i] = dot(n, &hinv[i * n], yv);
			double yhy = dot(n, yv, hy);
			for (int i = 0; i < n; i++)
				for (int j = 0; j < n; j++)
					hinv[i * n + j] += rho * ((1 + rho * yhy) * s[i] * s[j] -
					                          hy[i] * s[j] - s[i] * hy[j]);
		}
		fresh = 0;
		double gain = x->f - next.f;
		*x = next;
		if (gain <= 1e-15 * fabs(x->f)) {
			if (++stalls >= STALL_ROUNDS) {
				*end = REBUY__OPTIM_STALLED;
				return REBUY_OK;
			}
		} else {
			stalls = 0;
		}
	}
	return REBUY_OK;
}

enum rebuy_status rebuy__optim_minimize(int n, rebuy__optim_fg fg, void *ud, const double *y0,
                                        const struct rebuy__optim_options *opts,
                                        struct rebuy__optim_result *res)
{
	struct ctx c = {.n = n, .fg = fg, .ud = ud};
	int max_iter = opts && opts->max_iter > 0 ? opts->max_iter : 1000;
	double gtol = opts && opts->gtol > 0 ? opts->gtol : 1e-8;
	int newton =
	        opts && opts->newton_steps ? (opts->newton_steps < 0 ? 0 : opts->newton_steps) : 20;
	double h = opts && opts->hess_step > 0 ? opts->hess_step : 1e-4;
	memset(res, 0, sizeof *res);
	res->decrement = NAN;
	if (n < 1 || n > N_MAX)
		return REBUY_EINTERNAL;
	struct pt x;
	memcpy(x.y, y0, (size_t)n * sizeof *y0);
	enum rebuy_status st = eval(&c, &x);
	if (st != REBUY_OK)
		return st;
	if (x.f == INFINITY) {
		memcpy(res->y, x.y, sizeof res->y);
		res->f = NAN;
		res->end = REBUY__OPTIM_START_OUTSIDE;
		res->evaluations = c.evals;
		return REBUY_OK;
	}
	int iterations = 0;
	enum rebuy__optim_end end;
	if ((st = bfgs(&c, &x, max_iter, gtol, &iterations, &end)) != REBUY_OK)
		return st;
	/* Newton polishing. The Hessian is that of the final point, or of a
	 * point within 1e-6 of it: after so short a step it is kept, since it
	 * differs by less than its own differencing error (and costs 2n
	 * evaluations). */
	double hess[N_MAX * N_MAX], l[N_MAX * N_MAX];
	int has = 0, definite = 0, keep = 0;
	double dec = NAN;
	for (int k = 0;; k++) {
		if (!keep && (st = hessian(&c, &x, h, hess, &has)) != REBUY_OK)
			return st;
		if (!has)
			break;
		memcpy(l, hess, sizeof hess);
		definite = rebuy__cholesky(n, l);
		if (!definite)
			break;
		double d[N_MAX];
		for (int i = 0; i < n; i++)
			d[i] = -x.g[i];
		rebuy__cholesky_solve(n, l, d);
		dec = -dot(n, x.g, d);
		/* Converged: no gain left above the objective's rounding, and the
		 * Newton step itself is tiny. A tiny gain with a long step is a
		 * valley that keeps falling (a parameter running off to a bound):
		 * keep stepping, and let the step budget say "not converged". */
		int small_gain = dec <= 1e-15 * fmax(1, fabs(x.f));
		int small_step = max_abs(n, d) <= 1e-10;
		if (small_gain && small_step) {
			end = REBUY__OPTIM_CONVERGED;
			break;
		}
		if (k >= newton) {
			if (small_gain)
				end = REBUY__OPTIM_MAX_ITER;
			break;
		}
		/* With a gain below the objective's rounding, f cannot tell a
		 * better point: the full step is taken when it does not raise f
		 * beyond that rounding and shrinks the gradient, and shorter ones
		 * are not tried (at a gradient's own noise floor none would do). */
		struct pt next;
		int moved = 0;
		double a = 1, tol = 1e-15 * fmax(1, fabs(x.f));
		for (; a > (small_gain ? 0.75 : 1e-4); a *= 0.5) {
			if ((st = eval_at(&c, &x, d, a, &next)) != REBUY_OK)
				return st;
			if (next.f < x.f ||
			    (next.f <= x.f + (small_gain ? tol : 0) &&
			     max_abs(n, next.g) < max_abs(n, x.g))) {
				moved = 1;
				break;
			}
		}
		if (!moved) {
			/* At the limit of the objective's precision: as good as it gets
			 * when the predicted gain and the step are small. */
			if (dec <= 1e-9 * fmax(1, fabs(x.f)) && max_abs(n, d) <= 1e-3)
				end = REBUY__OPTIM_CONVERGED;
			else if (end == REBUY__OPTIM_CONVERGED)
				end = REBUY__OPTIM_STALLED;
			break;
		}
		keep = a * max_abs(n, d) <= 1e-6;
		x = next;
		iterations++;
		end = REBUY__OPTIM_MAX_ITER; /* until the next round says otherwise */
	}
	if (!has || !definite)
		end = end == REBUY__OPTIM_MAX_ITER ? end : REBUY__OPTIM_NOT_DEFINITE;
	memcpy(res->y, x.y, sizeof res->y);
	memcpy(res->g, x.g, sizeof res->g);
	res->f = x.f;
	if (has)
		memcpy(res->hess, hess, sizeof res->hess);
	res->has_hess = has;
	res->hess_definite = has && definite;
	res->decrement = definite ? dec : NAN;
	res->iterations = iterations;
	res->evaluations = c.evals;
	res->end = end;
	return REBUY_OK;
}
