/* The Pareto/NBD model: Schmittlein, Morrison & Colombo (1987), "Counting
 * your customers: who are they and what will they do next?", Management
 * Science 33(1), 1-24; the likelihood, P(alive) and expectations as in Fader
 * & Hardie (2005), "A note on deriving the Pareto/NBD model and related
 * expressions"; DERT as in Fader, Hardie & Lee (2005), "RFM and CLV: using
 * iso-value curves for customer base analysis", JMR 42(4).
 *
 * Everything rests on one integral. A customer who made x repeat purchases,
 * the last at t_x, and was watched until T either is still alive at T or
 * died at some tau in (t_x, T]; integrating the purchase rate lambda ~
 * Gamma(r, alpha) and the death rate mu ~ Gamma(s, beta) out,
 *
 *   L = Gamma(r + x) alpha^r beta^s / Gamma(r)
 *       * [ (alpha + T)^-(r + x) (beta + T)^-s + s (J(x, t_x) - J(x, T)) ],
 *   J(x, y) = integral over (y, inf) of (alpha + u)^-(r + x) (beta + u)^-(s + 1) du.
 *
 * J is the Gauss hypergeometric function of the published likelihood
 * (2F1(r + s + x, s + 1; r + s + x + 1; (alpha - beta) / (alpha + y)) and its
 * alpha < beta twin). Written with M = max(alpha, beta), m = min, e1 and e2
 * the exponents of the (M + u) and (m + u) factors and p = r + s + x, Euler's
 * transformation gives a series whose terms fall at least as fast as z^k:
 *
 *   J = (M + y)^-e1 (m + y)^(1 - e2) / p * S,  S = sum over k of (e1)_k / (p + 1)_k z^k,
 *   z = (M - m) / (M + y) in [0, 1).
 *
 * Its terms are positive, so S is summed without cancellation, in double,
 * and J is kept as log J; P(alive) = term / (term + s (J(t_x) - J(T))) is
 * then computed as a log and never underflows. Where z is so close to 1 that
 * the series would need more than SERIES_MAX terms (m + y tiny next to M),
 * the integral is split at the point Y where z = 1/2: Gauss-Legendre over
 * (y, Y] in log(m + u), the series from Y on.
 *
 * The gradient of log J with respect to (r, alpha, s, beta) comes from the
 * same series (term by term) or the same quadrature nodes, so the fit has an
 * analytic gradient. The fit works on the distinct (x, y) pairs of the data
 * (y = t_x or T): a million customers have some tens of thousands of them,
 * and each row then costs one exp and one log.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/parallel.h"
#include "model/pairs.h"
#include "model/pnbd.h"
#include "model/specfun.h"

#define SERIES_MAX 4096
#define SERIES_EPS 1e-17

static int params_ok(const double *p)
{
	for (int i = 0; i < 4; i++)
		if (!(p[i] > 0) || !isfinite(p[i]))
			return 0;
	return 1;
}

static int history_ok(double x, double t_x, double T)
{
	return x >= 0 && isfinite(x) && t_x >= 0 && t_x <= T && isfinite(T) && (x > 0 || t_x == 0);
}

/* ---- J(x, y) ---- */

/* 20-point Gauss-Legendre on [-1, 1], the positive half. */
static const double gl_x[10] = {0.0765265211334973337546404, 0.2277858511416450780804962,
                                0.3737060887154195606725482, 0.5108670019508270980043641,
                                0.6360536807265150254528367, 0.7463319064601507926143051,
                                0.8391169718222188233945291, 0.9122344282513259058677524,
                                0.9639719272779137912676661, 0.9931285991850949247861224};
static const double gl_w[10] = {0.1527533871307258506980843, 0.1491729864726037467878287,
                                0.1420961093183820513292983, 0.1316886384491766268984945,
                                0.1181945319615184173123774, 0.1019301198172404350367501,
                                0.0832767415767047487247581, 0.0626720483341090635695065,
                                0.0406014298003869413310400, 0.0176140071391521183118620};

/* S = sum (e)_k / (c)_k z^k and what its derivatives need: sum t_k A_k with
 * A_k = sum_{j<k} 1 / (e + j), sum t_k C_k likewise with c, and sum k t_k / z.
 * Returns 0 when the series has not converged in SERIES_MAX terms. */
static int series(double e, double c, double z, double *S, double *SA, double *SC, double *SZ)
{
	double t = 1, u = 1, s = 1, sa = 0, sc = 0, sz = 0, A = 0, C = 0;
	for (int k = 0; k < SERIES_MAX; k++) {
		double f = (e + k) / (c + k);
		u = t * f; /* t_{k+1} / z */
		A += 1 / (e + k);
		C += 1 / (c + k);
		t = u * z;
		s += t;
		sa += t * A;
		sc += t * C;
		sz += (k + 1) * u;
		/* The rest is below t q / (1 - q); the derivative sums'
		 * extra factors grow like log k and k, hence k + 2. */
		double q = z; /* e < c: every later ratio is below z */
		if (k >= 2 && t * (k + 2) * q <= SERIES_EPS * s * (1 - q) &&
		    (k + 2) * u * z <= SERIES_EPS * sz * (1 - q)) {
			*S = s;
			*SA = sa;
			*SC = sc;
			*SZ = sz;
			return 1;
		}
		if (t == 0 && u == 0)
			break;
	}
	*S = s;
	*SA = sa;
	*SC = sc;
	*SZ = sz;
	return t == 0 && u == 0 ? 1 : 0;
}

/* The exponents and offsets of the two factors of J's integrand. */
struct jshape {
	double r, alpha, s, beta, x;
	int a_big;      /* alpha >= beta: M = alpha */
	double M, m, D; /* max, min, M - m */
	double e1, e2;  /* exponents of (M + u), (m + u) */
};

static void jshape_init(struct jshape *j, const double *p, double x)
{
	j->r = p[0];
	j->alpha = p[1];
	j->s = p[2];
	j->beta = p[3];
	j->x = x;
	j->a_big = p[1] >= p[3];
	j->M = j->a_big ? p[1] : p[3];
	j->m = j->a_big ? p[3] : p[1];
	j->D = j->M - j->m;
	j->e1 = j->a_big ? p[0] + x : p[2] + 1;
	j->e2 = j->a_big ? p[2] + 1 : p[0] + x;
}

/* log term(y) = -(r + x) log(alpha + y) - s log(beta + y), the alive term
 * of the likelihood at y, and its gradient. */
static double log_term(const struct jshape *j, double y, double *g)
{
	double la = log(j->alpha + y), lb = log(j->beta + y);
	if (g) {
		g[0] = -la;
		g[1] = -(j->r + j->x) / (j->alpha + y);
		g[2] = -lb;
		g[3] = -j->s / (j->beta + y);
	}
	return -(j->r + j->x) * la - j->s * lb;
}

/* log R(y) = log J(y) - log term(y) by the series; 0 when it does not
 * converge. R has no large exponents (S / p, times (alpha + y) / (beta + y)
 * when alpha < beta), so it stays exact where J and the term are both far
 * outside double range (r + x in the millions). */
static int log_r_series(const struct jshape *j, double y, double *lr, double *g)
{
	double My = j->M + y, my = j->m + y, pp = j->e1 + j->e2 - 1;
	double z = j->D / My, S, SA, SC, SZ;
	if (!series(j->e1, pp + 1, z, &S, &SA, &SC, &SZ))
		return 0;
	*lr = log(S) - log(pp) + (j->a_big ? 0 : log(j->alpha + y) - log(j->beta + y));
	if (!g)
		return 1;
	/* d log S by e1 (SA / S), by c = p + 1 (-SC / S), by z (SZ / S), with
	 * z = (M - m) / (M + y). */
	double d_p = -1 / pp - SC / S, dS_z = SZ / S;
	double dz_M = my / (My * My), dz_m = -1 / My;
	if (j->a_big) {
		g[0] = SA / S + d_p;
		g[1] = dS_z * dz_M;
		g[2] = d_p;
		g[3] = dS_z * dz_m;
	} else {
		g[0] = d_p;
		g[1] = 1 / (j->alpha + y) + dS_z * dz_m;
		g[2] = SA / S + d_p;
		g[3] = -1 / (j->beta + y) + dS_z * dz_M;
	}
	return 1;
}

/* log(term(y0) / term(y1)), y0 <= y1: (r + x) log1p(d / (alpha + y0)) + s
 * log1p(d / (beta + y0)), d = y1 - y0, exact for any size of r + x; and
 * its gradient when g. */
static double log_term_ratio(const struct jshape *j, double y0, double y1, double *g)
{
	double d = y1 - y0, la = log1p(d / (j->alpha + y0)), lb = log1p(d / (j->beta + y0));
	if (g) {
		g[0] = la;
		g[1] = (j->r + j->x) * (1 / (j->alpha + y1) - 1 / (j->alpha + y0));
		g[2] = lb;
		g[3] = j->s * (1 / (j->beta + y1) - 1 / (j->beta + y0));
	}
	return (j->r + j->x) * la + j->s * lb;
}

/* log R(y) for z near 1: Gauss-Legendre in v = log(m + u) over (y, Y],
 * Y = M - 2m (where z = 1/2), plus J(Y) by the series. Every node's log
 * integrand is taken relative to its value at y by log1p, so that nothing
 * of the size of (r + x) log(alpha + y) is ever formed (it is 1e17 when r
 * runs to infinity, and its rounding would be the answer). The integrand
 * is log-concave in v, with slope 1 - e2 - e1 s(v), s(v) = e^v / (e^v + D)
 * rising from 0 to 1/2: each panel is as wide as keeps the slope times the
 * width under 8 at its end, and once past the peak the rest, below f /
 * |slope|, is dropped when it is under 1e-17 of the sum. More than
 * SPLIT_MAX panels (parameters far out) is a failure, not a guess. */
#define SPLIT_MAX 2048

static int log_r_split(const struct jshape *j, double y, double *lr, double *g)
{
	double Y = j->M - 2 * j->m, My = j->M + y, my = j->m + y;
	double ay = j->alpha + y, by = j->beta + y, rx = j->r + j->x;
	double v0 = log(my), v1 = log(j->D), lD = v1;
	/* f(y) (m + y) / term(y) */
	double pref = j->a_big ? 0 : log(ay) - log(by);
	double lmax = -INFINITY, sum = 0, gs[4] = {0, 0, 0, 0};
	int is_cut = 0;
	long k = 0;
	for (double lo = v0; lo < v1; k++) {
		if (k >= SPLIT_MAX)
			return 0;
		double w = 0.5;
		for (int it = 0; it < 2; it++) {
			double e = fmin(lo + w, v1), sg = 1 / (1 + exp(lD - e));
			w = fmin(0.5, 8 / (fabs(1 - j->e2 - j->e1 * sg) + j->e1 * sg + 1));
		}
		double hi = fmin(lo + w, v1), h = hi - lo, mid = lo + 0.5 * h;
		for (int i = 0; i < 20; i++) {
			double v = mid + (i < 10 ? -gl_x[i] : gl_x[i - 10]) * 0.5 * h;
			double wt = gl_w[i < 10 ? i : i - 10] * 0.5 * h;
			/* eu = u - y; m + u = e^v, M + u = M + y + eu */
			double dv = v - v0, eu = my * expm1(dv), lM = log1p(eu / My);
			double lf = (1 - j->e2) * dv - j->e1 * lM;
			if (lf > lmax) {
				double sc = exp(lmax - lf);
				sum *= sc;
				for (int q = 0; q < 4; q++)
					gs[q] *= sc;
				lmax = lf;
			}
			double f = wt * exp(lf - lmax);
			/* log((alpha + u) / (alpha + y)) and the same for beta */
			double la = j->a_big ? lM : dv, lb = j->a_big ? dv : lM;
			sum += f;
			gs[0] -= f * la;
			gs[1] += f * rx * eu / ((ay + eu) * ay);
			gs[2] -= f * lb;
			gs[3] += f * (j->s / by - (j->s + 1) / (by + eu));
		}
		lo = hi;
		/* past the peak (falling slope) and the rest negligible? */
		double sg = 1 / (1 + exp(lD - lo)), slope = 1 - j->e2 - j->e1 * sg;
		double dv = lo - v0, lf = (1 - j->e2) * dv - j->e1 * log1p(my * expm1(dv) / My);
		if (slope < 0 && lf - log(-slope) - lmax < log(1e-17 * sum)) {
			is_cut = 1;
			break;
		}
	}
	double lq = pref + lmax + log(sum);
	if (is_cut) {
		*lr = lq;
		if (g)
			for (int q = 0; q < 4; q++)
				g[q] = gs[q] / sum;
		return 1;
	}
	/* J(Y) / term(y) = R(Y) term(Y) / term(y) */
	double ly, gy[4], gt[4];
	if (!log_r_series(j, Y, &ly, g ? gy : NULL))
		return 0;
	ly -= log_term_ratio(j, y, Y, g ? gt : NULL);
	double top = fmax(lq, ly), wq = exp(lq - top), wy = exp(ly - top);
	*lr = top + log(wq + wy);
	if (g)
		for (int q = 0; q < 4; q++)
			g[q] = (gs[q] / sum * wq + (gy[q] - gt[q]) * wy) / (wq + wy);
	return 1;
}

/* log R(y) and its gradient: the series, or the split quadrature. NaN when
 * neither works. */
static double log_r(const struct jshape *j, double y, double *g)
{
	double lr;
	if (log_r_series(j, y, &lr, g) || log_r_split(j, y, &lr, g))
		return lr;
	if (g)
		for (int q = 0; q < 4; q++)
			g[q] = NAN;
	return NAN;
}

static double log_j(const struct jshape *j, double y, double *g)
{
	double gt[4], lj = log_r(j, y, g) + log_term(j, y, g ? gt : NULL);
	if (g)
		for (int q = 0; q < 4; q++)
			g[q] += gt[q];
	return lj;
}

double rebuy__pnbd_log_j(const double *p, double x, double y, double *grad)
{
	if (!params_ok(p) || !(x >= 0) || !isfinite(x) || !(y >= 0) || !isfinite(y)) {
		if (grad)
			for (int q = 0; q < 4; q++)
				grad[q] = NAN;
		return NAN;
	}
	struct jshape j;
	jshape_init(&j, p, x);
	return log_j(&j, y, grad);
}

/* ---- one customer ---- */

/* log(1 + e^l1 - e^l2), l2 <= l1, without cancellation or overflow. */
static double log1p_diff(double l1, double l2)
{
	if (l2 > l1)
		l2 = l1;
	double ld = rebuy__logsubexp(l1, l2); /* log(e^l1 - e^l2) */
	return rebuy__logaddexp(0, ld);
}

/* The likelihood's pieces: the constant with the alive term at T,
 *   log(Gamma(r + x) alpha^r beta^s / Gamma(r)) + log term(T)
 *   = lgamma ratio - r log1p(T / alpha) - x log(alpha + T) - s log1p(T / beta),
 * and log(1 + s (J(t_x) - J(T)) / term(T)) = log(1 + q1 - q2) with q1 = s
 * R(t_x) term(t_x) / term(T), q2 = s R(T). */
static int parts(const double *p, double x, double t_x, double T, double *lconst, double *lrest)
{
	if (!params_ok(p) || !history_ok(x, t_x, T))
		return 0;
	double r = p[0], alpha = p[1], s = p[2], beta = p[3];
	struct jshape j;
	jshape_init(&j, p, x);
	double l2 = log(s) + log_r(&j, T, NULL);
	double l1 =
	        t_x == T ? l2 : log(s) + log_r(&j, t_x, NULL) + log_term_ratio(&j, t_x, T, NULL);
	if (isnan(l1) || isnan(l2))
		return 0;
	*lconst = rebuy__lgamma_ratio(r, x) - r * log1p(T / alpha) - x * log(alpha + T) -
	          s * log1p(T / beta);
	*lrest = log1p_diff(l1, l2);
	return 1;
}

double rebuy__pnbd_ll(const double *p, double x, double t_x, double T)
{
	double c, rest;
	if (!parts(p, x, t_x, T, &c, &rest))
		return NAN;
	return c + rest;
}

double rebuy__pnbd_log_palive(const double *p, double x, double t_x, double T)
{
	double c, rest;
	if (!parts(p, x, t_x, T, &c, &rest))
		return NAN;
	return -rest;
}

/* (1 - (1 + t / b)^-e) / e, and t / b's log1p at e = 0. */
static double power_integral(double e, double t, double b)
{
	double l = log1p(t / b);
	return e == 0 ? l : -expm1(-e * l) / e;
}

double rebuy__pnbd_expected(const double *p, double t)
{
	if (!params_ok(p) || !(t >= 0) || !isfinite(t))
		return NAN;
	/* E[X(t)] = r beta / (alpha (s - 1)) (1 - (beta / (beta + t))^(s - 1)) */
	return p[0] / p[1] * p[3] * power_integral(p[2] - 1, t, p[3]);
}

double rebuy__pnbd_cet_from(const double *p, double lpa, double x, double T, double t)
{
	if (!(t >= 0) || !isfinite(t) || isnan(lpa))
		return NAN;
	double bT = p[3] + T;
	return exp(lpa) * (p[0] + x) / (p[1] + T) * bT * power_integral(p[2] - 1, t, bT);
}

double rebuy__pnbd_cet(const double *p, double x, double t_x, double T, double t)
{
	if (!(t >= 0) || !isfinite(t))
		return NAN;
	return rebuy__pnbd_cet_from(p, rebuy__pnbd_log_palive(p, x, t_x, T), x, T, t);
}

/* P(X(t) = n) for a customer alive at time 0 with lambda ~ Gamma(r, alpha),
 * mu ~ Gamma(s, beta): with tau the death time and lambda integrated out,
 * X(t) given tau is negative binomial with exposure min(tau, t), so
 *   P = (beta / (beta + t))^s NB(n; t) + integral over (0, t] of
 *       s beta^s (beta + tau)^-(s + 1) NB(n; tau) dtau.
 * For n = 0 the integral is s beta^s alpha^r (J(0, 0) - J(0, t)); for n > 0
 * it is taken by Gauss-Legendre in log(1 + tau / min(alpha, beta)), whose
 * integrand is smooth (tau^n near 0, a power law far out). */
static double pmf_alive(const double *p, double t, int n)
{
	double r = p[0], alpha = p[1], s = p[2], beta = p[3];
	if (n < 0)
		return 0;
	if (t == 0)
		return n == 0;
	double lnb = rebuy__lgamma(r + n) - rebuy__lgamma(r) - rebuy__lgamma(n + 1.0);
	double alive = exp(s * (log(beta) - log(beta + t)) + lnb +
	                   r * (log(alpha) - log(alpha + t)) + n * (log(t) - log(alpha + t)));
	if (n == 0) {
		struct jshape j;
		jshape_init(&j, p, 0);
		double l0 = log_j(&j, 0, NULL), lt = log_j(&j, t, NULL);
		double ld = rebuy__logsubexp(l0, fmin(lt, l0));
		return alive + exp(log(s) + s * log(beta) + r * log(alpha) + ld);
	}
	double c = fmin(alpha, beta), v1 = log1p(t / c);
	int n_panels = 32;
	double h = v1 / n_panels, sum = 0;
	double lk = log(s) + s * log(beta) + lnb + r * log(alpha);
	for (int k = 0; k < n_panels; k++) {
		double mid = (k + 0.5) * h;
		for (int i = 0; i < 20; i++) {
			double v = mid + (i < 10 ? -gl_x[i] : gl_x[i - 10]) * 0.5 * h;
			double wt = gl_w[i < 10 ? i : i - 10] * 0.5 * h;
			double tau = c * expm1(v), la = log(alpha + tau);
			double lf = lk - (s + 1) * log(beta + tau) - r * la + n * (log(tau) - la) +
			            log(c) + v; /* dtau = (c + tau) dv */
			sum += wt * exp(lf);
		}
	}
	return alive + sum;
}

double rebuy__pnbd_pmf(const double *p, double t, int n)
{
	if (!params_ok(p) || !(t >= 0) || !isfinite(t))
		return NAN;
	return pmf_alive(p, t, n);
}

double rebuy__pnbd_cond_pmf(const double *p, double x, double t_x, double T, double t, int n)
{
	if (!(t >= 0) || !isfinite(t))
		return NAN;
	double lpa = rebuy__pnbd_log_palive(p, x, t_x, T);
	if (isnan(lpa))
		return NAN;
	if (n < 0)
		return 0;
	/* Given alive at T: lambda ~ Gamma(r + x, alpha + T), mu ~ Gamma(s, beta + T). */
	double post[4] = {p[0] + x, p[1] + T, p[2], p[3] + T};
	double pa = exp(lpa), pm = pmf_alive(post, t, n);
	return n == 0 ? -expm1(lpa) + pa * pm : pa * pm;
}

static double k_integrand(double u, double delta, double b, double s)
{
	return exp(-delta * u - s * log1p(u / b));
}

static double gl_panel(double lo, double hi, double delta, double b, double s)
{
	double m = 0.5 * (lo + hi), h = 0.5 * (hi - lo), sum = 0;
	for (int i = 0; i < 10; i++)
		sum += gl_w[i] * (k_integrand(m - h * gl_x[i], delta, b, s) +
		                  k_integrand(m + h * gl_x[i], delta, b, s));
	return h * sum;
}

/* Panels that double in width from b / 64 (the integrand is smooth and
 * decreasing, steepest at 0) up to h, or on an infinite range until what is
 * left, below the integrand at the panel's end over its decay rate, is under
 * 1e-17 of the sum. */
double rebuy__pnbd_discount_factor(double b, double s, double delta, double h)
{
	if (!(b > 0) || !(s > 0) || !(delta >= 0) || !(h >= 0) || isnan(h) ||
	    (isinf(h) && !(delta > 0) && !(s > 1)) || !isfinite(b) || !isfinite(s) ||
	    !isfinite(delta))
		return NAN;
	if (isinf(h) && delta == 0)
		return b / (s - 1);
	double a = 0, w = b / 64, sum = 0;
	for (int k = 0; k < 4096 && a < h; k++) {
		double e = fmin(a + w, h);
		sum += gl_panel(a, e, delta, b, s);
		a = e;
		w *= 2;
		if (isinf(h)) {
			double f = k_integrand(a, delta, b, s);
			double rate = delta + s / (b + a);
			if (f / rate <= 1e-17 * sum)
				break;
		}
	}
	return sum;
}

double rebuy__pnbd_dert(const double *p, double x, double t_x, double T, double delta)
{
	if (!(delta > 0) || !isfinite(delta))
		return NAN;
	double lpa = rebuy__pnbd_log_palive(p, x, t_x, T);
	if (isnan(lpa))
		return NAN;
	return exp(lpa) * (p[0] + x) / (p[1] + T) *
	       rebuy__pnbd_discount_factor(p[3] + T, p[2], delta, INFINITY);
}

/* ---- the fit's likelihood over distinct (x, y) pairs ---- */

struct state {
	size_t n_rows, n_pairs, n_x;
	uint32_t *p1, *p2, *ix;    /* per row: pair (x, t_x), pair (x, T), distinct x */
	struct rebuy__pair *pairs; /* distinct (x, y) as (a, b) */
	double *xs;                /* distinct x */
};

static void state_free(void *state)
{
	struct state *s = state;
	if (!s)
		return;
	rebuy__free(s->p1);
	rebuy__free(s->pairs);
	rebuy__free(s->xs);
	rebuy__free(s);
}

static enum rebuy_status prepare(const struct rebuy__clv_rows *rows, void **out)
{
	*out = NULL;
	struct rebuy__pair_table tp = {0}, tx = {0};
	enum rebuy_status st = REBUY_ENOMEM;
	struct state *s = rebuy__calloc(1, sizeof *s);
	size_t bytes;
	if (!s || rebuy__mul_overflows(rows->n ? rows->n : 1, 3 * sizeof *s->p1, &bytes) ||
	    !(s->p1 = rebuy__malloc(bytes)))
		goto out;
	s->n_rows = rows->n;
	s->p2 = s->p1 + rows->n;
	s->ix = s->p2 + rows->n;
	for (size_t i = 0; i < rows->n; i++) {
		double x = rows->x[i];
		if ((st = rebuy__pair_add(&tp, x, rows->t_x[i], &s->p1[i])) ||
		    (st = rebuy__pair_add(&tp, x, rows->T[i], &s->p2[i])) ||
		    (st = rebuy__pair_add(&tx, x, 0, &s->ix[i])))
			goto out;
	}
	s->n_pairs = tp.n;
	s->n_x = tx.n;
	st = REBUY_ENOMEM;
	if (!(s->xs = rebuy__malloc((tx.n ? tx.n : 1) * sizeof *s->xs)))
		goto out;
	for (size_t i = 0; i < tx.n; i++)
		s->xs[i] = tx.vals[i].a;
	s->pairs = tp.vals;
	tp.vals = NULL;
	*out = s;
	s = NULL;
	st = REBUY_OK;
out:
	rebuy__pair_table_release(&tp);
	rebuy__pair_table_release(&tx);
	state_free(s);
	return st;
}

/* Per pair (x, y): log R and its gradient; log(alpha + y), log(beta + y)
 * and their reciprocals; the constant at y used when y is a T,
 *   C(y) = -r log1p(y / alpha) - x log(alpha + y) - s log1p(y / beta),
 * with its gradient; and q = s R(y). */
enum { P_LR, P_GR, P_LA = P_GR + 4, P_LB, P_IA, P_IB, P_C, P_GC, P_Q = P_GC + 4, P_N };
/* Per distinct x: log Gamma(r + x) / Gamma(r) and its r derivative. */
enum { X_C, X_DR, X_N };

struct call {
	const double *p;
	const struct state *s;
	const struct rebuy__clv_rows *rows;
	double *pt, *xt;
	int no_grad; /* log R only */
	int bad;     /* a pair whose R could not be computed */
	double *out; /* rebuy__pnbd_log_palive_rows */
};

#define PAIR_CHUNK 256

static enum rebuy_status pair_chunk(void *ud, size_t item, unsigned thread)
{
	(void)thread;
	struct call *c = ud;
	const double *p = c->p;
	const struct state *s = c->s;
	size_t lo = item * PAIR_CHUNK,
	       hi = lo + PAIR_CHUNK < s->n_pairs ? lo + PAIR_CHUNK : s->n_pairs;
	double r = p[0], alpha = p[1], sp = p[2], beta = p[3], ls = log(sp);
	for (size_t i = lo; i < hi; i++) {
		double x = s->pairs[i].a, y = s->pairs[i].b, *o = c->pt + i * P_N;
		struct jshape j;
		jshape_init(&j, p, x);
		o[P_LR] = log_r(&j, y, c->no_grad ? NULL : o + P_GR);
		if (isnan(o[P_LR]))
			__atomic_store_n(&c->bad, 1, __ATOMIC_RELAXED);
		o[P_LA] = log(alpha + y);
		o[P_LB] = log(beta + y);
		o[P_IA] = 1 / (alpha + y);
		o[P_IB] = 1 / (beta + y);
		double l1a = log1p(y / alpha), l1b = log1p(y / beta);
		o[P_C] = -r * l1a - x * o[P_LA] - sp * l1b;
		o[P_GC + 0] = -l1a;
		o[P_GC + 1] = r * y / (alpha * (alpha + y)) - x * o[P_IA];
		o[P_GC + 2] = -l1b;
		o[P_GC + 3] = sp * y / (beta * (beta + y));
		o[P_Q] = exp(ls + o[P_LR]);
	}
	return REBUY_OK;
}

/* log term(t_x) / term(T) and, when g, its gradient, from the pairs' logs
 * where that is exact to far below 1e-12 ((r + x) |log(alpha + T)| under
 * 1e3), from log1p otherwise. */
static double row_ratio(const double *p, double x, double t_x, double T, const double *a,
                        const double *b, double *g)
{
	double rx = p[0] + x, s = p[2], da, db;
	if (rx * fabs(b[P_LA]) + s * fabs(b[P_LB]) < 1e3) {
		da = b[P_LA] - a[P_LA];
		db = b[P_LB] - a[P_LB];
	} else {
		da = log1p((T - t_x) * a[P_IA]);
		db = log1p((T - t_x) * a[P_IB]);
	}
	if (g) {
		g[0] = da;
		g[1] = rx * (b[P_IA] - a[P_IA]);
		g[2] = db;
		g[3] = s * (b[P_IB] - a[P_IB]);
	}
	return rx * da + s * db;
}

static void row_chunk(void *ud, size_t lo, size_t hi, double *acc)
{
	const struct call *c = ud;
	const struct state *s = c->s;
	const struct rebuy__clv_rows *rows = c->rows;
	const double *w = rows->w;
	double ls = log(c->p[2]), inv_s = 1 / c->p[2];
	double ll = 0, llc = 0, g[4] = {0, 0, 0, 0};
	for (size_t i = lo; i < hi; i++) {
		double wi = w ? w[i] : 1.0;
		if (wi == 0)
			continue;
		const double *a = c->pt + (size_t)s->p1[i] * P_N; /* (x, t_x) */
		const double *b = c->pt + (size_t)s->p2[i] * P_N; /* (x, T) */
		const double *xt = c->xt + (size_t)s->ix[i] * X_N;
		double rest = 0, w1 = 0, w2 = 0, ge[4] = {0, 0, 0, 0};
		if (s->p1[i] != s->p2[i]) {
			/* rest = log(1 + q1 - q2); the gradient's weights are
			 * q / (1 + q1 - q2). */
			double l1 = ls + a[P_LR] +
			            row_ratio(c->p, rows->x[i], rows->t_x[i], rows->T[i], a, b, ge);
			if (l1 < 30) {
				double q1 = exp(l1), q2 = b[P_Q], den = 1 + q1 - q2;
				rest = log(den);
				w1 = q1 / den;
				w2 = q2 / den;
			} else {
				double l2 = ls + b[P_LR];
				rest = log1p_diff(l1, l2);
				w1 = exp(l1 - rest);
				w2 = exp(fmin(l2, l1) - rest);
			}
		}
		/* Neumaier's compensated sum: near the optimum the fit compares
		 * objectives that differ by less than a plain sum's rounding. */
		double term = wi * (xt[X_C] + b[P_C] + rest), t = ll + term;
		llc += fabs(ll) >= fabs(term) ? (ll - t) + term : (term - t) + ll;
		ll = t;
		for (int k = 0; k < 4; k++) {
			double ds = k == 2 ? inv_s : 0;
			double d1 = ds + a[P_GR + k] + ge[k], d2 = ds + b[P_GR + k];
			g[k] += wi * ((k == 0 ? xt[X_DR] : 0) + b[P_GC + k] + w1 * d1 - w2 * d2);
		}
	}
	acc[0] += ll + llc;
	for (int k = 0; k < 4; k++)
		acc[1 + k] += g[k];
}

static enum rebuy_status loglik(const double *p, const struct rebuy__clv_rows *rows,
                                const void *state, unsigned n_threads, double *ll, double *grad)
{
	enum rebuy_status st = REBUY_OK;
	void *own = NULL;
	double *buf = NULL;
	if (!params_ok(p)) {
		*ll = NAN;
		if (grad)
			for (int k = 0; k < 4; k++)
				grad[k] = NAN;
		return REBUY_OK;
	}
	if (!state) {
		if ((st = prepare(rows, &own)) != REBUY_OK)
			return st;
		state = own;
	}
	const struct state *s = state;
	size_t n_buf = s->n_pairs * P_N + s->n_x * X_N;
	if (!(buf = rebuy__malloc((n_buf ? n_buf : 1) * sizeof *buf))) {
		st = REBUY_ENOMEM;
		goto out;
	}
	struct call c = {.p = p, .s = s, .rows = rows, .pt = buf, .xt = buf + s->n_pairs * P_N};
	for (size_t k = 0; k < s->n_x; k++) {
		double x = s->xs[k], *o = c.xt + k * X_N;
		o[X_C] = rebuy__lgamma_ratio(p[0], x);
		o[X_DR] = rebuy__digamma_ratio(p[0], x);
	}
	unsigned threads = n_threads ? n_threads : 1;
	if ((st = rebuy__parallel_for(threads, (s->n_pairs + PAIR_CHUNK - 1) / PAIR_CHUNK,
	                              pair_chunk, &c)) != REBUY_OK)
		goto out;
	if (c.bad) {
		*ll = NAN;
		if (grad)
			for (int k = 0; k < 4; k++)
				grad[k] = NAN;
		goto out;
	}
	double sums[5];
	if ((st = rebuy__clv_sum(threads, s->n_rows, 5, row_chunk, &c, sums)) != REBUY_OK)
		goto out;
	*ll = sums[0];
	if (grad)
		for (int k = 0; k < 4; k++)
			grad[k] = sums[1 + k] * p[k]; /* by log parameter */
out:
	rebuy__free(buf);
	state_free(own);
	return st;
}

#define ROW_CHUNK 4096

static enum rebuy_status palive_chunk(void *ud, size_t item, unsigned thread)
{
	(void)thread;
	struct call *c = ud;
	const struct state *s = c->s;
	size_t lo = item * ROW_CHUNK, hi = lo + ROW_CHUNK < s->n_rows ? lo + ROW_CHUNK : s->n_rows;
	double ls = log(c->p[2]);
	for (size_t i = lo; i < hi; i++) {
		const double *a = c->pt + (size_t)s->p1[i] * P_N,
		             *b = c->pt + (size_t)s->p2[i] * P_N;
		const struct rebuy__clv_rows *rows = c->rows;
		double l1 = ls + a[P_LR] +
		            row_ratio(c->p, rows->x[i], rows->t_x[i], rows->T[i], a, b, NULL);
		c->out[i] = s->p1[i] == s->p2[i] ? 0 : -log1p_diff(l1, ls + b[P_LR]);
	}
	return REBUY_OK;
}

enum rebuy_status rebuy__pnbd_log_palive_rows(const double *p, const struct rebuy__clv_rows *rows,
                                              unsigned n_threads, double *out)
{
	if (!params_ok(p)) {
		for (size_t i = 0; i < rows->n; i++)
			out[i] = NAN;
		return REBUY_OK;
	}
	void *state = NULL;
	enum rebuy_status st = prepare(rows, &state);
	if (st != REBUY_OK)
		return st;
	const struct state *s = state;
	double *buf = rebuy__malloc((s->n_pairs ? s->n_pairs : 1) * P_N * sizeof *buf);
	if (!buf) {
		state_free(state);
		return REBUY_ENOMEM;
	}
	struct call c = {.p = p, .s = s, .rows = rows, .pt = buf, .no_grad = 1, .out = out};
	unsigned threads = n_threads ? n_threads : 1;
	st = rebuy__parallel_for(threads, (s->n_pairs + PAIR_CHUNK - 1) / PAIR_CHUNK, pair_chunk,
	                         &c);
	if (st == REBUY_OK)
		st = rebuy__parallel_for(threads, (s->n_rows + ROW_CHUNK - 1) / ROW_CHUNK,
		                         palive_chunk, &c);
	rebuy__free(buf);
	state_free(state);
	return st;
}

/* r = 1 and alpha from the mean purchase rate, so the first guess is of the
 * right size in any time unit; s = 1 and beta = the mean T (a mean lifetime
 * of about the observation span). */
static void start(const struct rebuy__clv_rows *rows, double *p)
{
	double sx = 0, sT = 0, sw = 0;
	for (size_t i = 0; i < rows->n; i++) {
		double wi = rows->w ? rows->w[i] : 1.0;
		sx += wi * rows->x[i];
		sT += wi * rows->T[i];
		sw += wi;
	}
	double alpha = sx > 0 && sT > 0 ? sT / sx : 1.0;
	double beta = sw > 0 && sT > 0 ? sT / sw : 1.0;
	p[0] = 1;
	p[1] = fmin(fmax(alpha, 1e-3), 1e6);
	p[2] = 1;
	p[3] = fmin(fmax(beta, 1e-3), 1e6);
}

static const char *const param_names[] = {"r", "alpha", "s", "beta"};

const struct rebuy__clv_model rebuy__model_pnbd = {
        .name = "pnbd",
        .n_params = 4,
        .param_names = param_names,
        .prepare = prepare,
        .release = state_free,
        .loglik = loglik,
        .start = start,
};
