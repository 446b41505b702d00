/* Exponential smoothing state-space models ETS(error, trend, season)
 * (include/rebuy/forecast.h): the innovations forms of Hyndman, Koehler,
 * Snyder & Grose (2002) and Hyndman, Koehler, Ord & Snyder (2008,
 * "Forecasting with exponential smoothing", tables 2.2-2.3), fitted by
 * maximum likelihood as R's forecast::ets does: the criterion
 * n log(sum e_t^2) (+ 2 sum log|yhat_t| for multiplicative errors), the
 * Nelder-Mead simplex of Nash (1990, "Compact Numerical Methods",
 * algorithm 19) from R's starting values, smoothing parameters kept in the
 * usual region and the admissible one (Hyndman, Akram & Archibald 2008,
 * checked here by the Schur-Cohn test), selection by AICc. Prediction
 * variances in closed form for classes 1-3 (Hyndman et al. 2008, ch. 6);
 * a seeded simulation otherwise. States: l, b, then the m seasonal values
 * newest first.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act/stats.h"
#include "core/mem.h"
#include "core/rng.h"
#include "rebuy/forecast.h"

#define MAXS (2 + REBUY_ETS_MAX_PERIOD)     /* states */
#define MAXV (4 + 1 + REBUY_ETS_MAX_PERIOD) /* optimized values */
#define TOL 1e-10
#define HUGEN 1e10
#define LO 1e-4   /* R's lower bound of alpha, beta, gamma */
#define HI 0.9999 /* and upper */
#define PHI_LO 0.8
#define PHI_HI 0.98
#define NM_MAXIT 2000
#define NM_RELTOL 1.490116119384765625e-8 /* sqrt(DBL_EPSILON) */
#define NM_BIG 1.0e35
#define SIM_PATHS 5000
#define SIM_SEED 20080101u

struct par {
	double alpha, beta, gamma, phi;
};

static int n_season(const struct rebuy_ets_model *md)
{
	return md->season != REBUY_ETS_N ? md->m : 0;
}

/* The one-step forecast from (l, b, s); NaN for a negative multiplicative
 * growth (R flags it). */
static double one_step(const struct rebuy_ets_model *md, double phi, double l, double b,
                       const double *s)
{
	double f = l;
	if (md->trend == REBUY_ETS_A)
		f = l + phi * b;
	else if (md->trend == REBUY_ETS_M)
		f = b < 0 ? NAN : l * pow(b, phi);
	int m = n_season(md);
	if (md->season == REBUY_ETS_A)
		f += s[m - 1];
	else if (md->season == REBUY_ETS_M)
		f *= s[m - 1];
	return f;
}

/* The state update after value y, in the error-correction form (the same
 * for additive and multiplicative errors). */
static void update(const struct rebuy_ets_model *md, const struct par *p, double *l, double *b,
                   double *s, double y)
{
	int m = n_season(md);
	double q = *l, phib = 0;
	if (md->trend == REBUY_ETS_A) {
		phib = p->phi * *b;
		q = *l + phib;
	} else if (md->trend == REBUY_ETS_M) {
		phib = fabs(p->phi - 1) < TOL ? *b : pow(*b, p->phi);
		q = *l * phib;
	}
	double a = y;
	if (md->season == REBUY_ETS_A)
		a = y - s[m - 1];
	else if (md->season == REBUY_ETS_M)
		a = fabs(s[m - 1]) < TOL ? HUGEN : y / s[m - 1];
	double nl = q + p->alpha * (a - q);
	if (md->trend == REBUY_ETS_A)
		*b = phib + (p->beta / p->alpha) * (nl - *l - phib);
	else if (md->trend == REBUY_ETS_M)
		*b = phib + (p->beta / p->alpha) * ((fabs(*l) < TOL ? HUGEN : nl / *l) - phib);
	if (m > 0) {
		double t = md->season == REBUY_ETS_A ? y - q : (fabs(q) < TOL ? HUGEN : y / q);
		double ns = s[m - 1] + p->gamma * (t - s[m - 1]);
		memmove(s + 1, s, sizeof(double) * (size_t)(m - 1));
		s[0] = ns;
	}
	*l = nl;
}

static void state_split(const struct rebuy_ets_model *md, const double *x, double *l, double *b,
                        double *s)
{
	int it = md->trend != REBUY_ETS_N;
	*l = x[0];
	*b = it ? x[1] : 0;
	if (n_season(md) > 0)
		memcpy(s, x + 1 + it, sizeof(double) * (size_t)n_season(md));
}

static void state_join(const struct rebuy_ets_model *md, double l, double b, const double *s,
                       double *x)
{
	int it = md->trend != REBUY_ETS_N;
	x[0] = l;
	if (it)
		x[1] = b;
	if (n_season(md) > 0)
		memcpy(x + 1 + it, s, sizeof(double) * (size_t)n_season(md));
}

/* Runs the filter over y from the states x0: R's criterion n log(sum e^2)
 * (+ 2 sum log|yhat| for M errors), the errors into e and the final states
 * into xn (either may be NULL). NaN when a forecast is undefined. */
static double filter(const struct rebuy_ets_model *md, const struct par *p, const double *x0,
                     const double *y, size_t n, double *e, double *xn)
{
	double l, b, s[REBUY_ETS_MAX_PERIOD];
	state_split(md, x0, &l, &b, s);
	double sse = 0, slog = 0;
	for (size_t i = 0; i < n; i++) {
		double f = one_step(md, p->phi, l, b, s);
		if (isnan(f))
			return NAN;
		double ei = md->error == REBUY_ETS_A ? y[i] - f : (y[i] - f) / f;
		if (e)
			e[i] = ei;
		update(md, p, &l, &b, s, y[i]);
		sse += ei * ei;
		slog += log(fabs(f));
	}
	if (xn)
		state_join(md, l, b, s, xn);
	double lik = (double)n * log(sse);
	if (md->error == REBUY_ETS_M)
		lik += 2 * slog;
	return lik;
}

/* All roots of a[0] + a[1] z + ... + a[d] z^d (a[d] != 0) in the open unit
 * disk, by the Schur-Cohn recursion: |a0| < |ad| and the same for
 * (ad p(z) - a0 z^d p(1/z)) / z. */
static int schur_stable(double *a, int d)
{
	while (d > 0) {
		if (!(fabs(a[0]) < fabs(a[d])))
			return 0;
		double a0 = a[0], ad = a[d], big = 0, b[REBUY_ETS_MAX_PERIOD + 2];
		for (int k = 0; k < d; k++) {
			b[k] = ad * a[k + 1] - a0 * a[d - k - 1];
			if (fabs(b[k]) > big)
				big = fabs(b[k]);
		}
		memcpy(a, b, sizeof(double) * (size_t)d);
		d--;
		if (!(big > 0) || !isfinite(big))
			return 0;
		for (int k = 0; k <= d; k++)
			a[k] /= big;
	}
	return 1;
}

/* R's bounds = "both": the usual region, then the admissible one. */
static int params_ok(const struct rebuy_ets_model *md, const struct par *p)
{
	int has_t = md->trend != REBUY_ETS_N, has_s = md->season != REBUY_ETS_N;
	double a = p->alpha, b = has_t ? p->beta : 0, g = p->gamma, phi = p->phi;
	if (a < LO || a > HI)
		return 0;
	if (has_t && (b < LO || b > a || b > HI))
		return 0;
	if (md->is_damped && (phi < PHI_LO || phi > PHI_HI))
		return 0;
	if (has_s && (g < LO || g > 1 - a || g > HI))
		return 0;
	if (phi < 0 || phi > 1 + 1e-8)
		return 0;
	if (!has_s) {
		if (a < 1 - 1 / phi || a > 1 + 1 / phi)
			return 0;
		if (has_t && (b < a * (phi - 1) || b > (1 + phi) * (2 - a)))
			return 0;
		return 1;
	}
	int m = md->m;
	if (m <= 1)
		return 1;
	double lo = 1 - 1 / phi - a;
	if (g < (lo > 0 ? lo : 0) || g > 1 + 1 / phi - a)
		return 0;
	if (a < 1 - 1 / phi - g * (1 - m + phi + phi * m) / (2 * phi * m))
		return 0;
	if (b < -(1 - phi) * (g / m + a))
		return 0;
	/* the characteristic polynomial, lowest power first; its roots may lie
	 * up to 1e-10 outside the unit circle (R's tolerance): test p(rho z). */
	double c[REBUY_ETS_MAX_PERIOD + 2];
	c[0] = phi * (1 - a - g);
	c[1] = a + b - a * phi + g - 1;
	for (int k = 2; k < m; k++)
		c[k] = a + b - a * phi;
	c[m] = a + b - phi;
	c[m + 1] = 1;
	int deg = m + 1;
	if (!has_t && phi == 1) {
		/* without a trend the polynomial has the root 1 (the level and the
		 * seasonal states share it): divide it out, the rest must lie inside */
		double q[REBUY_ETS_MAX_PERIOD + 2];
		q[deg - 1] = c[deg];
		for (int k = deg - 1; k >= 1; k--)
			q[k - 1] = c[k] + q[k];
		deg--;
		memcpy(c, q, sizeof(double) * (size_t)(deg + 1));
	}
	double rho = 1 + 1e-10, r = 1;
	for (int k = 0; k <= deg; k++, r *= rho)
		c[k] *= r;
	return schur_stable(c, deg);
}

/* ---- R's starting values ---- */

/* Least squares of y on the columns of X (n x k, k <= 4, row major): the
 * normal equations by Gaussian elimination with pivoting. 0 when singular. */
static int least_squares(const double *X, const double *y, size_t n, int k, double *coef)
{
	double A[4][5] = {{0}};
	for (size_t t = 0; t < n; t++)
		for (int i = 0; i < k; i++) {
			for (int j = 0; j < k; j++)
				A[i][j] +=
				        X[t * (size_t)k + (size_t)i] * X[t * (size_t)k + (size_t)j];
			A[i][k] += X[t * (size_t)k + (size_t)i] * y[t];
		}
	for (int c = 0; c < k; c++) {
		int pv = c;
		for (int r = c + 1; r < k; r++)
			if (fabs(A[r][c]) > fabs(A[pv][c]))
				pv = r;
		if (!(fabs(A[pv][c]) > 0))
			return 0;
		for (int j = 0; j <= k; j++) {
			double t = A[c][j];
			A[c][j] = A[pv][j];
			A[pv][j] = t;
		}
		for (int r = 0; r < k; r++) {
			if (r == c)
				continue;
			double f = A[r][c] / A[c][c];
			for (int j = c; j <= k; j++)
				A[r][j] -= f * A[c][j];
		}
	}
	for (int i = 0; i < k; i++)
		coef[i] = A[i][k] / A[i][i];
	return 1;
}

/* The seasonal component of y (n values) as R's initstate takes it: a
 * classical decomposition (centred moving average, position means centred)
 * with 3 seasons or more, else the residual of a linear trend plus one pair
 * of Fourier terms. */
static int seasonal_component(const double *y, size_t n, int m, int mult, double *seas)
{
	if (n < 3 * (size_t)m) {
		double *X = rebuy__malloc(sizeof(double) * 4 * n);
		if (!X)
			return -1;
		int k = m == 2 ? 3 : 4;
		for (size_t t = 0; t < n; t++) {
			double tt = (double)(t + 1), w = 2 * M_PI * tt / m;
			double *row = X + t * (size_t)k;
			row[0] = 1;
			row[1] = tt;
			if (k == 4) {
				row[2] = sin(w);
				row[3] = cos(w);
			} else {
				row[2] = cos(w);
			}
		}
		double coef[4];
		int ok = least_squares(X, y, n, k, coef);
		rebuy__free(X);
		if (!ok)
			return 0;
		for (size_t t = 0; t < n; t++) {
			double tr = coef[0] + coef[1] * (double)(t + 1);
			seas[t] = mult ? y[t] / tr : y[t] - tr;
		}
		return 1;
	}
	double fig[REBUY_ETS_MAX_PERIOD] = {0};
	int cnt[REBUY_ETS_MAX_PERIOD] = {0};
	size_t half = (size_t)m / 2;
	for (size_t t = half; t + half < n; t++) {
		double tr = 0;
		if (m % 2 == 0) {
			tr = 0.5 * (y[t - half] + y[t + half]);
			for (size_t j = t - half + 1; j < t + half; j++)
				tr += y[j];
		} else {
			for (size_t j = t - half; j <= t + half; j++)
				tr += y[j];
		}
		tr /= m;
		fig[t % (size_t)m] += mult ? y[t] / tr : y[t] - tr;
		cnt[t % (size_t)m]++;
	}
	double mean = 0;
	for (int i = 0; i < m; i++) {
		fig[i] /= cnt[i];
		mean += fig[i];
	}
	mean /= m;
	for (int i = 0; i < m; i++)
		fig[i] = mult ? fig[i] / mean : fig[i] - mean;
	for (size_t t = 0; t < n; t++)
		seas[t] = fig[t % (size_t)m];
	return 1;
}

/* R's initstate: l0, b0 and the m - 1 newest seasonal states into x;
 * returns how many (0: cannot, -1: out of memory). */
static int initial_states(const struct rebuy_ets_model *md, const double *y, size_t n, double *x)
{
	int m = n_season(md), mult = md->season == REBUY_ETS_M, k = 0;
	double *ysa = rebuy__malloc(sizeof(double) * 2 * n);
	if (!ysa)
		return -1;
	double *seas = ysa + n, init_s[REBUY_ETS_MAX_PERIOD];
	if (m > 0) {
		int r = seasonal_component(y, n, m, mult, seas);
		if (r <= 0) {
			rebuy__free(ysa);
			return r;
		}
		for (int j = 0; j < m - 1; j++)
			init_s[j] = seas[m - 1 - j];
		if (mult) {
			double sum = 0;
			for (int j = 0; j < m - 1; j++) {
				if (init_s[j] < 1e-2)
					init_s[j] = 1e-2;
				sum += init_s[j];
			}
			if (sum > m)
				for (int j = 0; j < m - 1; j++)
					init_s[j] /= sum + 1e-2 * (m - 1);
		}
		for (size_t t = 0; t < n; t++)
			ysa[t] = mult ? y[t] / (seas[t] > 1e-2 ? seas[t] : 1e-2) : y[t] - seas[t];
	} else {
		memcpy(ysa, y, sizeof(double) * n);
	}
	size_t mm = m > 0 ? (size_t)m : 1;
	size_t maxn = 2 * mm > 10 ? 2 * mm : 10;
	if (maxn > n)
		maxn = n;
	if (md->trend == REBUY_ETS_N) {
		double s = 0;
		for (size_t t = 0; t < maxn; t++)
			s += ysa[t];
		x[k++] = s / (double)maxn;
	} else {
		double mx = ((double)maxn + 1) / 2, my = 0, sxy = 0, sxx = 0;
		for (size_t t = 0; t < maxn; t++)
			my += ysa[t];
		my /= (double)maxn;
		for (size_t t = 0; t < maxn; t++) {
			double dx = (double)(t + 1) - mx;
			sxy += dx * (ysa[t] - my);
			sxx += dx * dx;
		}
		double slope = sxy / sxx, icpt = my - slope * mx, l0, b0;
		if (md->trend == REBUY_ETS_A) {
			l0 = icpt;
			b0 = slope;
			if (fabs(l0 + b0) < 1e-8) {
				l0 *= 1 + 1e-3;
				b0 *= 1 - 1e-3;
			}
		} else {
			l0 = icpt + slope;
			if (fabs(l0) < 1e-8)
				l0 = 1e-7;
			b0 = (icpt + 2 * slope) / l0;
			l0 = l0 / b0;
			if (fabs(b0) > 1e10)
				b0 = b0 > 0 ? 1e10 : -1e10;
			if (l0 < 1e-8 || b0 < 1e-8) {
				l0 = ysa[0] > 1e-3 ? ysa[0] : 1e-3;
				b0 = ysa[1] / ysa[0] > 1e-3 ? ysa[1] / ysa[0] : 1e-3;
			}
		}
		x[k++] = l0;
		x[k++] = b0;
	}
	for (int j = 0; j < m - 1; j++)
		x[k++] = init_s[j];
	rebuy__free(ysa);
	return k;
}

/* R's initparam: alpha, beta, gamma, phi as far as the model has them. */
static int initial_params(const struct rebuy_ets_model *md, double *v)
{
	int k = 0, m = md->season != REBUY_ETS_N ? md->m : 1;
	double alpha = LO + 0.2 * (HI - LO) / m;
	if (alpha > 1 || alpha < 0)
		alpha = LO + 2e-3;
	v[k++] = alpha;
	if (md->trend != REBUY_ETS_N) {
		double up = HI < alpha ? HI : alpha, beta = LO + 0.1 * (up - LO);
		if (beta < 0 || beta > alpha)
			beta = alpha - 1e-3;
		v[k++] = beta;
	}
	if (md->season != REBUY_ETS_N) {
		double up = HI < 1 - alpha ? HI : 1 - alpha, gamma = LO + 0.05 * (up - LO);
		if (gamma < 0 || gamma > 1 - alpha)
			gamma = 1 - alpha - 1e-3;
		v[k++] = gamma;
	}
	if (md->is_damped)
		v[k++] = PHI_LO + 0.99 * (PHI_HI - PHI_LO);
	return k;
}

/* ---- the objective and the simplex ---- */

struct obj {
	const struct rebuy_ets_model *md;
	const double *y;
	size_t n;
	int n_smooth; /* smoothing parameters first in the vector */
	/* the least-squares fallback (Holt or simple smoothing, R's HoltWinters) */
	int is_hw;
	double l0, b0;
};

static void unpack(const struct rebuy_ets_model *md, const double *v, struct par *p)
{
	int k = 0;
	p->alpha = v[k++];
	p->beta = md->trend != REBUY_ETS_N ? v[k++] : NAN;
	p->gamma = md->season != REBUY_ETS_N ? v[k++] : NAN;
	p->phi = md->is_damped ? v[k++] : 1;
}

/* The free initial states plus the last seasonal one, which makes the
 * seasonal states sum to m (M) or 0 (A). */
static void full_states(const struct rebuy_ets_model *md, const double *free_states, double *x)
{
	int it = md->trend != REBUY_ETS_N, m = n_season(md);
	int nf = 1 + it + (m > 0 ? m - 1 : 0);
	memcpy(x, free_states, sizeof(double) * (size_t)nf);
	if (m > 0) {
		double sum = 0;
		for (int j = 1 + it; j < nf; j++)
			sum += x[j];
		x[nf] = (md->season == REBUY_ETS_M ? m : 0) - sum;
	}
}

/* Holt's (or simple) exponential smoothing's sum of squared errors, started
 * from l0 = y1 and b0 = y2 - y1 at the first value, as R's HoltWinters. */
static double hw_sse(const struct obj *o, double alpha, double beta, double *res, double *l_out,
                     double *b_out)
{
	int has_t = o->md->trend != REBUY_ETS_N;
	double l = o->l0, b = has_t ? o->b0 : 0, sse = 0;
	for (size_t i = 0; i < o->n; i++) {
		double f = l + b, r = o->y[i] - f;
		if (res)
			res[i] = r;
		sse += r * r;
		double nl = alpha * o->y[i] + (1 - alpha) * f;
		if (has_t)
			b = beta * (nl - l) + (1 - beta) * b;
		l = nl;
	}
	if (l_out)
		*l_out = l, *b_out = b;
	return sse;
}

static double objective(const struct obj *o, const double *v)
{
	if (o->is_hw) {
		int has_t = o->md->trend != REBUY_ETS_N;
		if (v[0] < 0 || v[0] > 1 || (has_t && (v[1] < 0 || v[1] > 1)))
			return INFINITY;
		return hw_sse(o, v[0], has_t ? v[1] : 0, NULL, NULL, NULL);
	}
	const struct rebuy_ets_model *md = o->md;
	struct par p;
	unpack(md, v, &p);
	if (!params_ok(md, &p))
		return INFINITY;
	double x0[MAXS];
	full_states(md, v + o->n_smooth, x0);
	if (md->season == REBUY_ETS_M) {
		int m = md->m, s0 = 1 + (md->trend != REBUY_ETS_N);
		for (int j = s0; j < s0 + m; j++)
			if (x0[j] < 0)
				return INFINITY;
	}
	double lik = filter(md, &p, x0, o->y, o->n, NULL, NULL);
	if (lik < -1e10)
		lik = -1e10; /* a perfect fit */
	if (isnan(lik))
		lik = INFINITY;
	return lik;
}

static double nm_value(const struct obj *o, const double *v, int *count)
{
	(*count)++;
	double f = objective(o, v);
	return isfinite(f) ? f : NM_BIG;
}

/* Nelder-Mead as Nash's algorithm 19 (reflection 1, contraction 0.5,
 * expansion 2; the simplex built from steps of a tenth of the largest
 * |x_i|; stop when the spread of the values is within reltol of the
 * start's value, or after NM_MAXIT evaluations). x: start in, best out.
 * Returns 0 when converged, 1 at the evaluation limit, 10 when a shrink
 * failed to shrink, -1 when the start is outside the domain. */
static int nelder_mead(const struct obj *o, int n, double *x, double *fmin, int *n_evals)
{
	double P[MAXV + 1][MAXV], F[MAXV + 1], c[MAXV], xr[MAXV], xe[MAXV];
	int count = 1, fail = 0;
	double f0 = objective(o, x);
	*n_evals = 1;
	if (!isfinite(f0))
		return -1;
	double convtol = NM_RELTOL * (fabs(f0) + NM_RELTOL), step = 0, size = 0;
	for (int i = 0; i < n; i++)
		if (0.1 * fabs(x[i]) > step)
			step = 0.1 * fabs(x[i]);
	if (step == 0)
		step = 0.1;
	memcpy(P[0], x, sizeof(double) * (size_t)n);
	F[0] = f0;
	for (int j = 1; j <= n; j++) {
		memcpy(P[j], x, sizeof(double) * (size_t)n);
		double trystep = step;
		while (P[j][j - 1] == x[j - 1]) {
			P[j][j - 1] = x[j - 1] + trystep;
			trystep *= 10;
		}
		size += trystep;
	}
	double oldsize = size;
	int L = 0, calcvert = 1;
	for (;;) {
		if (calcvert) {
			for (int j = 0; j <= n; j++)
				if (j != L)
					F[j] = nm_value(o, P[j], &count);
			calcvert = 0;
		}
		double VL = F[L], VH = VL;
		int H = L;
		for (int j = 0; j <= n; j++) {
			if (j == L)
				continue;
			if (F[j] < VL)
				L = j, VL = F[j];
			if (F[j] > VH)
				H = j, VH = F[j];
		}
		if (VH <= VL + convtol)
			break;
		for (int i = 0; i < n; i++) {
			double t = -P[H][i];
			for (int j = 0; j <= n; j++)
				t += P[j][i];
			c[i] = t / n;
		}
		for (int i = 0; i < n; i++)
			xr[i] = 2.0 * c[i] - 1.0 * P[H][i];
		double VR = nm_value(o, xr, &count);
		if (VR < VL) {
			for (int i = 0; i < n; i++)
				xe[i] = 2.0 * xr[i] + (1 - 2.0) * c[i];
			double fe = nm_value(o, xe, &count);
			if (fe < VR) {
				memcpy(P[H], xe, sizeof(double) * (size_t)n);
				F[H] = fe;
			} else {
				memcpy(P[H], xr, sizeof(double) * (size_t)n);
				F[H] = VR;
			}
		} else {
			if (VR < VH) {
				memcpy(P[H], xr, sizeof(double) * (size_t)n);
				F[H] = VR;
			}
			for (int i = 0; i < n; i++)
				xe[i] = (1 - 0.5) * P[H][i] + 0.5 * c[i];
			double fc = nm_value(o, xe, &count);
			if (fc < F[H]) {
				memcpy(P[H], xe, sizeof(double) * (size_t)n);
				F[H] = fc;
			} else if (VR >= VH) {
				calcvert = 1;
				size = 0;
				for (int j = 0; j <= n; j++) {
					if (j == L)
						continue;
					for (int i = 0; i < n; i++) {
						P[j][i] = 0.5 * (P[j][i] - P[L][i]) + P[L][i];
						size += fabs(P[j][i] - P[L][i]);
					}
				}
				if (size < oldsize) {
					oldsize = size;
				} else {
					fail = 10;
					break;
				}
			}
		}
		if (count > NM_MAXIT)
			break;
	}
	memcpy(x, P[L], sizeof(double) * (size_t)n);
	*fmin = F[L];
	*n_evals = count;
	if (fail == 0 && count > NM_MAXIT)
		fail = 1;
	return fail;
}

/* ---- fits ---- */

static int n_free_states(const struct rebuy_ets_model *md)
{
	int m = n_season(md);
	return 1 + (md->trend != REBUY_ETS_N) + (m > 0 ? m - 1 : 0);
}

static struct rebuy_ets *fit_new(const struct rebuy_ets_model *md, const double *y, size_t n)
{
	struct rebuy_ets *f = rebuy__calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->x = rebuy__malloc(sizeof(double) * n);
	f->resid = rebuy__malloc(sizeof(double) * n);
	if (!f->x || !f->resid) {
		rebuy_ets_free(f);
		return NULL;
	}
	memcpy(f->x, y, sizeof(double) * n);
	f->model = *md;
	if (md->season == REBUY_ETS_N)
		f->model.m = 1;
	f->n = n;
	f->n_states = n_free_states(md) + (n_season(md) > 0);
	return f;
}

void rebuy_ets_free(struct rebuy_ets *fit)
{
	if (!fit)
		return;
	rebuy__free(fit->x);
	rebuy__free(fit->resid);
	rebuy__free(fit);
}

/* Fits one (valid) model by maximum likelihood. REBUY_EDATA when the series
 * is too short for its parameters or the start is outside the region. */
static enum rebuy_status fit_ml(const struct rebuy_ets_model *md, const double *y, size_t n,
                                struct rebuy_ets **out, struct rebuy_error *err)
{
	char name[32];
	rebuy_ets_name(md, name, sizeof name);
	double v[MAXV];
	int ns = initial_params(md, v);
	int nst = initial_states(md, y, n, v + ns);
	if (nst < 0)
		return rebuy_error_set(err, REBUY_ENOMEM, "ets: out of memory");
	if (nst == 0)
		return rebuy_error_set(err, REBUY_EDATA,
		                       "ets: %s: no initial states (singular "
		                       "seasonal regression)",
		                       name);
	int np = ns + nst;
	if ((size_t)np + 1 >= n)
		return rebuy_error_set(err, REBUY_EDATA,
		                       "ets: %s: %zu values are too few for %d parameters", name, n,
		                       np);
	struct obj o = {md, y, n, ns, 0, 0, 0};
	double fmin;
	int evals, r = nelder_mead(&o, np, v, &fmin, &evals);
	if (r < 0 || !(fmin < NM_BIG))
		return rebuy_error_set(err, REBUY_EDATA,
		                       "ets: %s: the likelihood is not finite at the start", name);
	struct rebuy_ets *f = fit_new(md, y, n);
	if (!f)
		return rebuy_error_set(err, REBUY_ENOMEM, "ets: out of memory");
	struct par p;
	unpack(md, v, &p);
	f->alpha = p.alpha;
	f->beta = p.beta;
	f->gamma = p.gamma;
	f->phi = p.phi;
	full_states(md, v + ns, f->init);
	double lik = filter(md, &p, f->init, y, n, f->resid, f->last);
	double sse = 0;
	for (size_t i = 0; i < n; i++)
		sse += f->resid[i] * f->resid[i];
	f->n_par = np;
	double k = np + 1, nn = (double)n;
	f->loglik = -0.5 * lik;
	f->aic = lik + 2 * k;
	f->bic = lik + log(nn) * k;
	f->aicc = nn - k - 1 > 0 ? f->aic + 2 * k * (k + 1) / (nn - k - 1) : INFINITY;
	f->sigma2 = sse / (nn - np);
	f->is_converged = r == 0;
	*out = f;
	return REBUY_OK;
}

/* R's fallback for very short series: Holt's linear method (has_trend) or
 * simple exponential smoothing by least squares from l0 = y1, b0 = y2 - y1
 * (alpha fixed when alpha_fixed is a number). No likelihood. */
static enum rebuy_status fit_hw(const double *y, size_t n, int has_trend, double alpha_fixed,
                                struct rebuy_ets **out, struct rebuy_error *err)
{
	struct rebuy_ets_model md = {REBUY_ETS_A, has_trend ? REBUY_ETS_A : REBUY_ETS_N,
	                             REBUY_ETS_N, 0, 1};
	struct obj o = {&md, y, n, 0, 1, y[0], n > 1 ? y[1] - y[0] : 0};
	double v[2] = {0.2, 0.02}, fmin;
	int evals, r = 0;
	if (isnan(alpha_fixed))
		r = nelder_mead(&o, has_trend ? 2 : 1, v, &fmin, &evals);
	else
		v[0] = alpha_fixed;
	struct rebuy_ets *f = fit_new(&md, y, n);
	if (!f)
		return rebuy_error_set(err, REBUY_ENOMEM, "ets: out of memory");
	double l, b, sse = hw_sse(&o, v[0], has_trend ? v[1] : 0, f->resid, &l, &b);
	f->alpha = v[0];
	f->beta = has_trend ? v[0] * v[1] : NAN;
	f->gamma = NAN;
	f->phi = 1;
	f->init[0] = o.l0;
	f->init[1] = o.b0;
	f->last[0] = l;
	f->last[1] = b;
	f->n_par = has_trend ? 4 : 2;
	f->loglik = f->aic = f->aicc = f->bic = NAN;
	f->sigma2 = sse / (double)n;
	f->is_converged = r == 0;
	f->is_fallback = 1;
	*out = f;
	return REBUY_OK;
}

static enum rebuy_status check_series(const char *who, const double *x, size_t n, int *is_positive,
                                      struct rebuy_error *err)
{
	if (n > REBUY_SERIES_MAX)
		return rebuy_error_set(err, REBUY_ELIMIT, "%s: %zu values are more than %zu", who,
		                       n, REBUY_SERIES_MAX);
	*is_positive = 1;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(x[i]))
			return rebuy_error_set(err, REBUY_EDATA,
			                       "%s: value %zu is not a finite number", who, i + 1);
		if (x[i] <= 0)
			*is_positive = 0;
	}
	return REBUY_OK;
}

static int is_forbidden(const struct rebuy_ets_model *md)
{
	if (md->error == REBUY_ETS_A && (md->trend == REBUY_ETS_M || md->season == REBUY_ETS_M))
		return 1;
	return md->error == REBUY_ETS_M && md->trend == REBUY_ETS_M && md->season == REBUY_ETS_A;
}

enum rebuy_status rebuy_ets_fit(const double *x, size_t n, const struct rebuy_ets_model *model,
                                struct rebuy_ets **out, struct rebuy_error *err)
{
	*out = NULL;
	const struct rebuy_ets_model *md = model;
	char name[32];
	if ((md->error != REBUY_ETS_A && md->error != REBUY_ETS_M) ||
	    (md->trend != REBUY_ETS_N && md->trend != REBUY_ETS_A && md->trend != REBUY_ETS_M) ||
	    (md->season != REBUY_ETS_N && md->season != REBUY_ETS_A && md->season != REBUY_ETS_M))
		return rebuy_error_set(err, REBUY_EARG, "ets: unknown model components");
	rebuy_ets_name(md, name, sizeof name);
	if (is_forbidden(md) || (md->is_damped && md->trend == REBUY_ETS_N))
		return rebuy_error_set(err, REBUY_EARG, "ets: %s is a forbidden combination", name);
	if (md->season != REBUY_ETS_N && (md->m < 2 || md->m > REBUY_ETS_MAX_PERIOD))
		return rebuy_error_set(err, REBUY_EARG,
		                       "ets: %s: the seasonal period %d is not 2 to %d", name,
		                       md->m, REBUY_ETS_MAX_PERIOD);
	int pos;
	enum rebuy_status st = check_series("ets", x, n, &pos, err);
	if (st)
		return st;
	if (!pos && md->error == REBUY_ETS_M)
		return rebuy_error_set(err, REBUY_EDATA,
		                       "ets: %s needs positive values; the series has one <= 0",
		                       name);
	size_t npars = 2 + (md->trend != REBUY_ETS_N ? 2 : 0) +
	               (md->season != REBUY_ETS_N ? (size_t)md->m : 0) + (md->is_damped != 0);
	if (n <= npars + 4)
		return rebuy_error_set(err, REBUY_EDATA,
		                       "ets: %s needs more than %zu values; the series has %zu",
		                       name, npars + 4, n);
	return fit_ml(md, x, n, out, err);
}

void rebuy_ets_auto_options_init(struct rebuy_ets_auto_options *opts)
{
	opts->m = 1;
	opts->allow_multiplicative_trend = 0;
	opts->n_tried = 0;
}

enum rebuy_status rebuy_ets_auto(const double *x, size_t n, struct rebuy_ets_auto_options *opts,
                                 struct rebuy_ets **out, struct rebuy_error *err)
{
	*out = NULL;
	opts->n_tried = 0;
	if (opts->m < 1)
		return rebuy_error_set(err, REBUY_EARG, "ets: the seasonal period %d is below 1",
		                       opts->m);
	int pos;
	enum rebuy_status st = check_series("ets", x, n, &pos, err);
	if (st)
		return st;
	if (n < 3)
		return rebuy_error_set(err, REBUY_EDATA, "ets: %zu values are too few (3 at least)",
		                       n);
	int is_constant = 1;
	for (size_t i = 1; i < n; i++)
		if (x[i] != x[0])
			is_constant = 0;
	if (is_constant) {
		opts->n_tried = 1;
		return fit_hw(x, n, 0, 0.99999, out, err);
	}
	if (n <= 6) {
		struct rebuy_ets *holt = NULL, *ses = NULL;
		if ((st = fit_hw(x, n, 1, NAN, &holt, err)) ||
		    (st = fit_hw(x, n, 0, NAN, &ses, err))) {
			rebuy_ets_free(holt);
			return st;
		}
		opts->n_tried = 2;
		int holt_wins = holt->sigma2 < ses->sigma2;
		*out = holt_wins ? holt : ses;
		rebuy_ets_free(holt_wins ? ses : holt);
		return REBUY_OK;
	}
	int m = opts->m, seasonal = m > 1 && m <= REBUY_ETS_MAX_PERIOD && n > (size_t)m;
	static const enum rebuy_ets_kind kinds[3] = {REBUY_ETS_N, REBUY_ETS_A, REBUY_ETS_M};
	int n_trends = opts->allow_multiplicative_trend ? 3 : 2, n_seasons = seasonal ? 3 : 1;
	struct rebuy_ets *best = NULL;
	double best_ic = INFINITY;
	for (int e = 1; e <= 2; e++)
		for (int t = 0; t < n_trends; t++)
			for (int s = 0; s < n_seasons; s++)
				for (int d = 1; d >= 0; d--) {
					struct rebuy_ets_model md = {kinds[e], kinds[t], kinds[s],
					                             d, seasonal ? m : 1};
					if ((t == 0 && d) || is_forbidden(&md) || (!pos && e == 2))
						continue;
					struct rebuy_ets *f = NULL;
					struct rebuy_error e1 = {0};
					opts->n_tried++;
					st = fit_ml(&md, x, n, &f, &e1);
					if (st == REBUY_ENOMEM) {
						rebuy_ets_free(best);
						return rebuy_error_set(err, st, "%s", e1.msg);
					}
					if (st == REBUY_OK && f->aicc < best_ic) {
						rebuy_ets_free(best);
						best = f;
						best_ic = f->aicc;
					} else {
						rebuy_ets_free(f);
					}
				}
	if (!best)
		return rebuy_error_set(err, REBUY_EDATA,
		                       "ets: no model could be fitted to the %zu "
		                       "values",
		                       n);
	*out = best;
	return REBUY_OK;
}

/* ---- forecasts ---- */

/* Point forecasts from the final states (R's etsforecast): NaN for an M
 * trend whose growth went negative. */
static void point_forecast(const struct rebuy_ets *fit, size_t h, double *f)
{
	const struct rebuy_ets_model *md = &fit->model;
	double l, b, s[REBUY_ETS_MAX_PERIOD], phi = fit->phi, phistar = phi;
	state_split(md, fit->last, &l, &b, s);
	int m = n_season(md);
	for (size_t i = 0; i < h; i++) {
		double v = l;
		if (md->trend == REBUY_ETS_A)
			v = l + phistar * b;
		else if (md->trend == REBUY_ETS_M)
			v = b < 0 ? NAN : l * pow(b, phistar);
		if (m > 0) {
			double sj = s[m - 1 - (int)(i % (size_t)m)];
			v = md->season == REBUY_ETS_A ? v + sj : v * sj;
		}
		f[i] = v;
		/* phi_h = phi + ... + phi^h (R's etsforecast adds phi^(h-1) instead,
		 * which its closed-form means for classes 1-2 do not) */
		if (fabs(phi - 1) < TOL)
			phistar += 1;
		else
			phistar += pow(phi, (double)(i + 2));
	}
}

/* c_j = alpha + beta (phi + ... + phi^j) + gamma [j mod m = 0], j = 1..h-1
 * (Hyndman et al. 2008, table 6.1), into c[0..h-1). */
static void class1_c(const struct rebuy_ets *fit, size_t h, double *c)
{
	const struct rebuy_ets_model *md = &fit->model;
	double phisum = 0, pk = 1;
	for (size_t j = 1; j < h; j++) {
		pk *= fit->phi;
		phisum += pk;
		double v = fit->alpha;
		if (md->trend != REBUY_ETS_N)
			v += fit->beta * phisum;
		if (md->season != REBUY_ETS_N && j % (size_t)md->m == 0)
			v += fit->gamma;
		c[j - 1] = v;
	}
}

/* A d x d matrix by its non-zero entries, row by row. */
struct sparse {
	int d, n_nz;
	int *row; /* d + 1 starts */
	int *col; /* n_nz */
	double *val;
};

static void sparse_from(struct sparse *sp, const double *a, int d)
{
	int k = 0;
	sp->d = d;
	for (int r = 0; r < d; r++) {
		sp->row[r] = k;
		for (int c = 0; c < d; c++)
			if (a[(size_t)r * (size_t)d + (size_t)c] != 0) {
				sp->col[k] = c;
				sp->val[k++] = a[(size_t)r * (size_t)d + (size_t)c];
			}
	}
	sp->row[d] = k;
	sp->n_nz = k;
}

/* T += coef X S Y' (S dense d x d, row major; z: d x d scratch). */
static void sandwich(const struct sparse *X, const double *S, const struct sparse *Y, double coef,
                     double *z, double *T)
{
	size_t d = (size_t)X->d;
	memset(z, 0, sizeof(double) * d * d);
	for (size_t r = 0; r < d; r++)
		for (int k = X->row[r]; k < X->row[r + 1]; k++) {
			const double *srow = S + (size_t)X->col[k] * d;
			double v = X->val[k];
			for (size_t c = 0; c < d; c++)
				z[r * d + c] += v * srow[c];
		}
	for (size_t r = 0; r < d; r++)
		for (size_t c = 0; c < d; c++) {
			double acc = 0;
			for (int k = Y->row[c]; k < Y->row[c + 1]; k++)
				acc += z[r * d + (size_t)Y->col[k]] * Y->val[k];
			T[r * d + c] += coef * acc;
		}
}

/* Class 3 (M errors, N or A trend, M season): the recursions of Hyndman et
 * al. (2008, ch. 6) for M_h = E[x s'] (x = (l, b), s the seasonal states)
 * and V_h = Var(vec M_h), with y_h mean H1 M_h H2' and variance
 * (1 + s2) H21 V_h H21' + s2 mu_h^2. A damped trend enters through
 * F1 = [1 phi; 0 phi], G1 = [a a phi; b b phi], H1 = [1 phi]. */
static enum rebuy_status class3(const struct rebuy_ets *fit, size_t h, double *mu, double *var)
{
	const struct rebuy_ets_model *md = &fit->model;
	int k = md->trend != REBUY_ETS_N ? 2 : 1, m = md->m, d = k * m;
	double s2 = fit->sigma2, phi = fit->phi, a = fit->alpha, b = fit->beta, g = fit->gamma;
	double F1[2][2] = {{1, phi}, {0, phi}}, G1[2][2] = {{a, a * phi}, {b, b * phi}};
	double H1[2] = {1, phi};
	if (k == 1)
		F1[0][0] = 1, G1[0][0] = a, H1[0] = 1;
	size_t dd = (size_t)d * (size_t)d;
	double *mem = rebuy__malloc(sizeof(double) * (9 * dd + (size_t)d));
	int *imem = rebuy__malloc(sizeof(int) * (3 * ((size_t)d + 1) + 3 * dd));
	if (!mem || !imem) {
		rebuy__free(mem);
		rebuy__free(imem);
		return REBUY_ENOMEM;
	}
	double *V = mem, *T = V + dd, *U = T + dd, *W = U + dd, *Z = W + dd, *dense = Z + dd;
	double *vals = dense + dd, *vm = vals + 3 * dd;
	size_t per = (size_t)d + 1 + dd;
	struct sparse F21 = {d, 0, imem, imem + d + 1, vals};
	struct sparse G21 = {d, 0, imem + per, imem + per + d + 1, vals + dd};
	struct sparse K = {d, 0, imem + 2 * per, imem + 2 * per + d + 1, vals + 2 * dd};
	/* Kronecker products in column-major vec order:
	 * (A (x) B)[i1 k + i2][j1 k + j2] = A[i1][j1] B[i2][j2]; F2 has a 1 at
	 * (0, m - 1) and (r, r - 1); G2 has gamma at (0, m - 1). */
	double *kd = dense;
	memset(kd, 0, sizeof(double) * dd);
	for (int i1 = 0; i1 < m; i1++) {
		int j1 = i1 == 0 ? m - 1 : i1 - 1;
		for (int i2 = 0; i2 < k; i2++)
			for (int j2 = 0; j2 < k; j2++)
				kd[(size_t)(i1 * k + i2) * (size_t)d + (size_t)(j1 * k + j2)] =
				        F1[i2][j2];
	}
	sparse_from(&F21, kd, d);
	memset(kd, 0, sizeof(double) * dd);
	for (int i2 = 0; i2 < k; i2++)
		for (int j2 = 0; j2 < k; j2++)
			kd[(size_t)i2 * (size_t)d + (size_t)((m - 1) * k + j2)] = g * G1[i2][j2];
	sparse_from(&G21, kd, d);
	/* K = G2 (x) F1 + F2 (x) G1 */
	memset(kd, 0, sizeof(double) * dd);
	for (int i2 = 0; i2 < k; i2++)
		for (int j2 = 0; j2 < k; j2++)
			kd[(size_t)i2 * (size_t)d + (size_t)((m - 1) * k + j2)] += g * F1[i2][j2];
	for (int i1 = 0; i1 < m; i1++) {
		int j1 = i1 == 0 ? m - 1 : i1 - 1;
		for (int i2 = 0; i2 < k; i2++)
			for (int j2 = 0; j2 < k; j2++)
				kd[(size_t)(i1 * k + i2) * (size_t)d + (size_t)(j1 * k + j2)] +=
				        G1[i2][j2];
	}
	sparse_from(&K, kd, d);
	double M[2][REBUY_ETS_MAX_PERIOD], Mn[2][REBUY_ETS_MAX_PERIOD];
	for (int i = 0; i < k; i++)
		for (int j = 0; j < m; j++)
			M[i][j] = fit->last[i] * fit->last[k + j];
	memset(V, 0, sizeof(double) * dd);
	for (size_t step = 0; step < h; step++) {
		double mv = 0, hv = 0;
		for (int i = 0; i < k; i++)
			mv += H1[i] * M[i][m - 1];
		for (int i = 0; i < k; i++)
			for (int j = 0; j < k; j++)
				hv += H1[i] * H1[j] *
				      V[(size_t)((m - 1) * k + i) * (size_t)d +
				        (size_t)((m - 1) * k + j)];
		mu[step] = mv;
		var[step] = (1 + s2) * hv + s2 * mv * mv;
		if (step + 1 == h)
			break;
		for (int j = 0; j < m; j++)
			for (int i = 0; i < k; i++)
				vm[j * k + i] = M[i][j];
		for (size_t i = 0; i < dd; i++) {
			double vv = vm[i / (size_t)d] * vm[i % (size_t)d];
			U[i] = V[i] + vv;
			W[i] = 3 * V[i] + 2 * vv;
		}
		/* V' = F V F' + s2 (F V G' + G V F' + K (V + vv') K' + s2 G (3V + 2vv') G') */
		memset(T, 0, sizeof(double) * dd);
		sandwich(&F21, V, &F21, 1, Z, T);
		sandwich(&F21, V, &G21, s2, Z, T);
		sandwich(&G21, V, &F21, s2, Z, T);
		sandwich(&K, U, &K, s2, Z, T);
		sandwich(&G21, W, &G21, s2 * s2, Z, T);
		memcpy(V, T, sizeof(double) * dd);
		/* M' = F1 M F2' + s2 G1 M G2' */
		for (int i = 0; i < k; i++)
			for (int j = 0; j < m; j++) {
				int jp = j == 0 ? m - 1 : j - 1;
				double v = 0;
				for (int q = 0; q < k; q++)
					v += F1[i][q] * M[q][jp];
				if (j == 0)
					for (int q = 0; q < k; q++)
						v += s2 * g * G1[i][q] * M[q][m - 1];
				Mn[i][j] = v;
			}
		memcpy(M, Mn, sizeof M);
	}
	rebuy__free(mem);
	rebuy__free(imem);
	return REBUY_OK;
}

/* Quantile of type 8 (Hyndman & Fan 1996) of the sorted v[0..n). */
static double quantile8(const double *v, size_t n, double p)
{
	double nppm = p * (double)n + (p + 1) / 3;
	double j = floor(nppm), g = nppm - j;
	if (j < 1)
		return v[0];
	if (j >= (double)n)
		return v[n - 1];
	size_t i = (size_t)j;
	return (1 - g) * v[i - 1] + g * v[i];
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Intervals of SIM_PATHS simulated futures (Gaussian errors, a fixed seed). */
static enum rebuy_status simulate(const struct rebuy_ets *fit, size_t h, double level, double *lo,
                                  double *hi)
{
	const struct rebuy_ets_model *md = &fit->model;
	size_t ns = (size_t)fit->n_states;
	double *st = rebuy__malloc(sizeof(double) * (SIM_PATHS * (ns + 1)));
	if (!st)
		return REBUY_ENOMEM;
	double *yv = st + SIM_PATHS * ns, sd = sqrt(fit->sigma2);
	struct par p = {fit->alpha, fit->beta, fit->gamma, fit->phi};
	for (size_t k = 0; k < SIM_PATHS; k++)
		memcpy(st + k * ns, fit->last, sizeof(double) * ns);
	struct rebuy__rng rng;
	rebuy__rng_seed(&rng, SIM_SEED);
	for (size_t i = 0; i < h; i++) {
		size_t n_ok = 0;
		for (size_t k = 0; k < SIM_PATHS; k++) {
			double l, b, s[REBUY_ETS_MAX_PERIOD];
			state_split(md, st + k * ns, &l, &b, s);
			double f = one_step(md, p.phi, l, b, s), e = sd * rebuy__rng_normal(&rng);
			if (isnan(f) || isnan(l))
				continue;
			double y = md->error == REBUY_ETS_A ? f + e : f * (1 + e);
			update(md, &p, &l, &b, s, y);
			state_join(md, l, b, s, st + k * ns);
			if (isfinite(y))
				yv[n_ok++] = y;
		}
		if (n_ok == 0) {
			if (lo)
				lo[i] = NAN;
			if (hi)
				hi[i] = NAN;
			continue;
		}
		qsort(yv, n_ok, sizeof *yv, cmp_double);
		if (lo)
			lo[i] = quantile8(yv, n_ok, 0.5 - level / 2);
		if (hi)
			hi[i] = quantile8(yv, n_ok, 0.5 + level / 2);
	}
	rebuy__free(st);
	return REBUY_OK;
}

enum rebuy_status rebuy_ets_forecast(const struct rebuy_ets *fit, size_t h, double level,
                                     double *mean, double *lo, double *hi, struct rebuy_error *err)
{
	if (!(level > 0 && level < 1))
		return rebuy_error_set(err, REBUY_EARG, "ets forecast: level %g is not in (0, 1)",
		                       level);
	if (h > REBUY_ETS_MAX_HORIZON)
		return rebuy_error_set(err, REBUY_ELIMIT,
		                       "ets forecast: horizon %zu is longer than %d", h,
		                       REBUY_ETS_MAX_HORIZON);
	if (h == 0)
		return REBUY_OK;
	const struct rebuy_ets_model *md = &fit->model;
	point_forecast(fit, h, mean);
	if (!lo && !hi)
		return REBUY_OK;
	if (md->trend == REBUY_ETS_M) {
		if (simulate(fit, h, level, lo, hi) != REBUY_OK)
			return rebuy_error_set(err, REBUY_ENOMEM, "ets forecast: out of memory");
		return REBUY_OK;
	}
	double *var = rebuy__malloc(sizeof(double) * 3 * h);
	if (!var)
		return rebuy_error_set(err, REBUY_ENOMEM, "ets forecast: out of memory");
	double *c = var + h, *theta = c + h, s2 = fit->sigma2;
	if (md->error == REBUY_ETS_M && md->season == REBUY_ETS_M) {
		if (class3(fit, h, mean, var) != REBUY_OK) {
			rebuy__free(var);
			return rebuy_error_set(err, REBUY_ENOMEM, "ets forecast: out of memory");
		}
	} else {
		class1_c(fit, h, c);
		if (md->error == REBUY_ETS_A) {
			double acc = 1;
			var[0] = s2;
			for (size_t j = 1; j < h; j++) {
				acc += c[j - 1] * c[j - 1];
				var[j] = s2 * acc;
			}
		} else {
			/* class 2: theta_j = mu_j^2 + s2 sum_{i<j} c_i^2 theta_{j-i} */
			for (size_t j = 0; j < h; j++) {
				double t = mean[j] * mean[j];
				for (size_t i = 1; i <= j; i++)
					t += s2 * c[i - 1] * c[i - 1] * theta[j - i];
				theta[j] = t;
				var[j] = (1 + s2) * t - mean[j] * mean[j];
			}
		}
	}
	double z = rebuy__norm_quantile(0.5 + level / 2);
	for (size_t j = 0; j < h; j++) {
		double w = z * sqrt(var[j] > 0 ? var[j] : 0);
		if (lo)
			lo[j] = mean[j] - w;
		if (hi)
			hi[j] = mean[j] + w;
	}
	rebuy__free(var);
	return REBUY_OK;
}

void rebuy_ets_name(const struct rebuy_ets_model *model, char *buf, size_t size)
{
	static const char letter[3] = {'N', 'A', 'M'};
	int e = model->error, t = model->trend, s = model->season;
	if (e < 0 || e > 2 || t < 0 || t > 2 || s < 0 || s > 2) {
		snprintf(buf, size, "ETS(?)");
		return;
	}
	snprintf(buf, size, "ETS(%c,%c%s,%c)", letter[e], letter[t], model->is_damped ? "d" : "",
	         letter[s]);
}
