/* Seasonal ARIMA by exact Gaussian maximum likelihood (include/rebuy/forecast.h).
 * The series is differenced (1-B)^d (1-B^m)^D; the ARMA part of the
 * differenced series is put in Harvey's state-space form (Harvey 1989,
 * §3.4; the form R's arima uses) and its likelihood computed by the Kalman
 * filter started from the stationary state covariance, which is built from
 * the ARMA autocovariances (Brockwell & Davis 1991, §3.3). AR parameters are
 * optimized through the partial autocorrelations (tanh, Durbin–Levinson;
 * Jones 1980), MA roots inside the unit circle are flipped out, and the
 * start is the conditional-sum-of-squares fit — the CSS-ML scheme of R's
 * arima. The optimizer is the variable metric method of Nash (1990,
 * "Compact Numerical Methods", algorithm 21) with central differences of
 * step 1e-3 on scaled parameters: auto.arima's choices depend on where that
 * optimizer stops, so rebuy follows the same rules (rebuy's optim.c is for
 * n <= 8 and polishes further, which would change which models win).
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "act/stats.h"
#include "core/mem.h"
#include "forecast/fc_int.h"

#define NDEPS 1e-3
#define RELTOL 1.490116119384765625e-8
#define MAXIT 100
#define STEADY_TOL 1e-11
/* Parameter vectors whose CSS objective css_values computes together. */
#define CSS_LANES 8
typedef double css_pair __attribute__((vector_size(2 * sizeof(double))));
typedef int64_t css_mask __attribute__((vector_size(2 * sizeof(int64_t))));
typedef struct {
	css_pair h[CSS_LANES / 2];
} css_lanes;

struct obj {
	const double *w; /* the differenced series */
	int nw;
	const struct rebuy_arima_order *o;
	int k, narma;
	double cmul; /* the constant's multiplier on the differenced scale */
	double parscale[FC_K_MAX];
	int ml, trans;
	double phi[FC_DEG_MAX + 1], theta[FC_DEG_MAX + 1];
	int np, nq, r;
	double *e;              /* nw: CSS residuals or standardized innovations */
	double *eb;             /* (nw + 1) x CSS_LANES: the residuals of css_values' lanes */
	double *wc;             /* nw: w minus the constant */
	double *P, *M, *a, *an; /* r x r, r x r, r, r */
	double *gam, *psi, *lu; /* autocovariances, psi weights, (np+1)^2 */
	double ssq;
	int nu;
	/* the gradient value_ahead computed at spec_x */
	double spec_x[FC_K_MAX], spec_g[FC_K_MAX];
	int spec_ok, spec_rc;
};

/* Maps unconstrained values to the coefficients of a stationary AR(p). */
static void partrans(int p, const double *raw, double *out)
{
	double work[REBUY_ARIMA_MAX_ORDER];
	for (int j = 0; j < p; j++)
		work[j] = out[j] = tanh(raw[j]);
	for (int j = 1; j < p; j++) {
		double a = out[j];
		for (int k = 0; k < j; k++)
			work[k] -= a * out[j - k - 1];
		for (int k = 0; k < j; k++)
			out[k] = work[k];
	}
}

static void invpartrans(int p, const double *phi, double *out)
{
	double work[REBUY_ARIMA_MAX_ORDER];
	for (int j = 0; j < p; j++)
		work[j] = out[j] = phi[j];
	for (int j = p - 1; j > 0; j--) {
		double a = out[j];
		for (int k = 0; k < j; k++)
			work[k] = (out[k] + a * out[j - k - 1]) / (1 - a * a);
		for (int k = 0; k < j; k++)
			out[k] = work[k];
	}
	for (int j = 0; j < p; j++)
		out[j] = atanh(out[j]);
}

/* Applies the AR transformation to the non-seasonal and seasonal parts. */
static void transpars(const struct rebuy_arima_order *o, const double *in, double *out, int k)
{
	memcpy(out, in, sizeof(double) * (size_t)k);
	if (o->p > 0)
		partrans(o->p, in, out);
	if (o->P > 0)
		partrans(o->P, in + o->p + o->q, out + o->p + o->q);
}

static void expand(struct obj *c, const double *par)
{
	const struct rebuy_arima_order *o = c->o;
	int m = o->m, p = o->p, q = o->q;
	c->np = p + m * o->P;
	c->nq = q + m * o->Q;
	memset(c->phi, 0, sizeof(double) * (size_t)(c->np + 1));
	memset(c->theta, 0, sizeof(double) * (size_t)(c->nq + 1));
	for (int i = 0; i < p; i++)
		c->phi[i] = par[i];
	for (int i = 0; i < q; i++)
		c->theta[i] = par[p + i];
	for (int j = 0; j < o->P; j++) {
		double s = par[p + q + j];
		c->phi[(j + 1) * m - 1] += s;
		for (int i = 0; i < p; i++)
			c->phi[(j + 1) * m + i] -= par[i] * s;
	}
	for (int j = 0; j < o->Q; j++) {
		double s = par[p + q + o->P + j];
		c->theta[(j + 1) * m - 1] += s;
		for (int i = 0; i < q; i++)
			c->theta[(j + 1) * m + i] += par[p + i] * s;
	}
	c->r = c->np > c->nq + 1 ? c->np : c->nq + 1;
}

static double constant_of(const struct obj *c, const double *par)
{
	return c->o->has_constant ? par[c->narma] * c->cmul : 0.0;
}

/* 0.5 log(conditional mean square), the CSS objective. */
static double css_value(struct obj *c, const double *par)
{
	expand(c, par);
	/* e_l = w_l - c0 - sum phi_j w_{l-j} - sum theta_j e_{l-j}, the
	 * residuals before np taken as 0 */
	double mu = constant_of(c, par), ssq = 0, phisum = 0;
	int nu = 0, np = c->np, nq = c->nq, nw = c->nw;
	const double *w = c->w;
	double *e = c->e;
	for (int j = 0; j < np; j++)
		phisum += c->phi[j];
	double c0 = mu * (1 - phisum);
	for (int l = 0; l < np && l < nw; l++)
		e[l] = 0;
	/* the lags with a coefficient (a seasonal polynomial has gaps;
	 * subtracting 0 x w changes nothing) */
	int ar[FC_DEG_MAX], ma[FC_DEG_MAX], nar = 0, nma = 0;
	for (int j = 0; j < np; j++)
		if (c->phi[j] != 0)
			ar[nar++] = j;
	for (int j = 0; j < nq; j++)
		if (c->theta[j] != 0)
			ma[nma++] = j;
	/* the MA lags from the farthest, so that the newest residual enters
	 * last and a row waits on the one before it for one multiply-subtract */
	double phc[FC_DEG_MAX], thc[FC_DEG_MAX];
	for (int a = 0; a < nar; a++)
		phc[a] = c->phi[ar[a]];
	for (int a = 0; a < nma; a++)
		thc[a] = c->theta[ma[a]];
	/* the first nq rows see fewer MA lags, the rest all of them */
	int full = np + nq < nw ? np + nq : nw;
	for (int l = np; l < nw; l++) {
		double t = w[l] - c0;
		for (int a = 0; a < nar; a++)
			t -= phc[a] * w[l - ar[a] - 1];
		if (l < full) {
			for (int a = nma - 1; a >= 0; a--)
				if (ma[a] < l - np)
					t -= thc[a] * e[l - ma[a] - 1];
		} else {
			for (int a = nma - 1; a >= 0; a--)
				t -= thc[a] * e[l - ma[a] - 1];
		}
		e[l] = t;
		ssq += t * t;
		nu++;
	}
	c->ssq = ssq;
	c->nu = nu;
	if (nu == 0)
		return NAN;
	return 0.5 * log(ssq / nu);
}

/* The state of ml_values' lanes for the row loop (lane-minor arrays). */
struct ml_lanes {
	const double *w;
	int nw, r;
	double *P, *M, *a, *an, *Rv, *phi;
	double mu[CSS_LANES], ssq[CSS_LANES], sumlog[CSS_LANES];
	int fast[CSS_LANES], bad[CSS_LANES], nfast;
};

/* The recursions of css_values and ml_values, in SSE2 pairs (every x86-64
 * has them; other machines' compilers lower the same vectors) and, where
 * the processor has AVX2, in fours. No FMA: a fused multiply-add would
 * round differently from the one-vector code. */
typedef double lanes_v2 __attribute__((vector_size(2 * sizeof(double)), aligned(8)));
typedef int64_t lanes_m2 __attribute__((vector_size(2 * sizeof(int64_t)), aligned(8)));
#define LANES_V lanes_v2
#define LANES_M lanes_m2
#define LANES_W 2
#define LANES_FN(name) name##_v2
#define LANES_ATTR
#include "forecast/arima_lanes.h"
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LANES_AVX2 1
typedef double lanes_v4 __attribute__((vector_size(4 * sizeof(double)), aligned(8)));
typedef int64_t lanes_m4 __attribute__((vector_size(4 * sizeof(int64_t)), aligned(8)));
#define LANES_V lanes_v4
#define LANES_M lanes_m4
#define LANES_W 4
#define LANES_FN(name) name##_v4
#define LANES_ATTR __attribute__((target("avx2")))
#include "forecast/arima_lanes.h"
typedef double lanes_v8 __attribute__((vector_size(8 * sizeof(double)), aligned(8)));
typedef int64_t lanes_m8 __attribute__((vector_size(8 * sizeof(int64_t)), aligned(8)));
#define LANES_V lanes_v8
#define LANES_M lanes_m8
#define LANES_W 8
#define LANES_FN(name) name##_v8
#define LANES_ATTR __attribute__((target("avx512f")))
#include "forecast/arima_lanes.h"
#endif

/* 0: by the processor; 1: pairs; 2: fours; 3: eights
 * (rebuy__arima_lanes_check) */
static int lanes_forced;

static int lanes_isa(void)
{
	if (lanes_forced)
		return lanes_forced;
#ifdef LANES_AVX2
	if (__builtin_cpu_supports("avx512f"))
		return 3;
	if (__builtin_cpu_supports("avx2"))
		return 2;
#endif
	return 1;
}

static void css_rows(const double *w, double *eb, int from, int to, const double *phic,
                     const int *arofs, int nar, const double *thetac, const int *maofs, int nma,
                     const double *c0, double *ssq)
{
	switch (lanes_isa()) {
#ifdef LANES_AVX2
	case 3: css_rows_v8(w, eb, from, to, phic, arofs, nar, thetac, maofs, nma, c0, ssq); return;
	case 2: css_rows_v4(w, eb, from, to, phic, arofs, nar, thetac, maofs, nma, c0, ssq); return;
#endif
	default: css_rows_v2(w, eb, from, to, phic, arofs, nar, thetac, maofs, nma, c0, ssq);
	}
}

static void ml_rows(struct ml_lanes *s)
{
	switch (lanes_isa()) {
#ifdef LANES_AVX2
	case 3: ml_rows_v8(s); return;
	case 2: ml_rows_v4(s); return;
#endif
	default: ml_rows_v2(s);
	}
}

/* The CSS objective at n scaled parameter vectors (row major, c->k each)
 * into f[n], CSS_LANES at a time. Each lane does css_value's arithmetic in
 * css_value's order, so every value has css_value's bits: the lanes only
 * interleave, so that the chain of dependent subtractions in one lane's MA
 * recursion overlaps the other lanes' (the recursion is bound by that
 * latency, not by arithmetic). Lags whose coefficient is zero in every lane
 * (the gaps of a seasonal polynomial) are skipped: subtracting 0 x e
 * changes nothing. The numeric gradient and Hessian are where the fit
 * spends its time, and they are batches of such vectors. */
#define CSS_LANE(v, i) ((v).h[(i) / 2][(i) % 2])
static void css_values(struct obj *c, const double *scaled, int n, double *f)
{
	enum { L = CSS_LANES };
	const double *w = c->w;
	int nw = c->nw, k = c->k;
	/* aligned for the vector type (the buffer has a spare lane group) */
	css_lanes *eb = (css_lanes *)(((uintptr_t)c->eb + sizeof(css_lanes) - 1) &
	                              ~(uintptr_t)(sizeof(css_lanes) - 1));
	for (int g0 = 0; g0 < n; g0 += L) {
		/* coefficients lag-major: phi[j] holds lag j + 1 of every lane */
		css_lanes phi[FC_DEG_MAX], theta[FC_DEG_MAX], c0, ssq;
		int np = 0, nq = 0;
		for (int lane = 0; lane < L; lane++) {
			int src = g0 + lane < n ? g0 + lane : g0;
			double par[FC_K_MAX];
			for (int i = 0; i < k; i++)
				par[i] = scaled[src * k + i] * c->parscale[i];
			expand(c, par);
			np = c->np;
			nq = c->nq;
			double phisum = 0;
			for (int j = 0; j < np; j++) {
				CSS_LANE(phi[j], lane) = c->phi[j];
				phisum += c->phi[j];
			}
			for (int j = 0; j < nq; j++)
				CSS_LANE(theta[j], lane) = c->theta[j];
			CSS_LANE(c0, lane) = constant_of(c, par) * (1 - phisum);
			CSS_LANE(ssq, lane) = 0;
		}
		/* the lags with a coefficient in some lane, and their offsets */
		css_lanes phic[FC_DEG_MAX], thetac[FC_DEG_MAX];
		int arofs[FC_DEG_MAX], maofs[FC_DEG_MAX], nar = 0, nma = 0;
		for (int j = 0; j < np; j++)
			for (int lane = 0; lane < L; lane++)
				if (CSS_LANE(phi[j], lane) != 0) {
					phic[nar] = phi[j];
					arofs[nar++] = j + 1;
					break;
				}
		for (int j = 0; j < nq; j++)
			for (int lane = 0; lane < L; lane++)
				if (CSS_LANE(theta[j], lane) != 0) {
					thetac[nma] = theta[j];
					maofs[nma++] = j + 1;
					break;
				}
		for (int l = 0; l < np && l < nw; l++)
			memset(&eb[l], 0, sizeof eb[l]);
		/* the first nq rows see fewer MA lags (residuals before np are 0) */
		int full = np + nq < nw ? np + nq : nw;
		for (int lane = 0; lane < L; lane++)
			for (int l = np; l < full; l++) {
				double t = w[l] - CSS_LANE(c0, lane);
				for (int a = 0; a < nar; a++)
					t -= CSS_LANE(phic[a], lane) * w[l - arofs[a]];
				for (int a = nma - 1; a >= 0; a--)
					if (maofs[a] <= l - np)
						t -= CSS_LANE(thetac[a], lane) *
						     CSS_LANE(eb[l - maofs[a]], lane);
				CSS_LANE(eb[l], lane) = t;
				CSS_LANE(ssq, lane) += t * t;
			}
		if (full < nw)
			css_rows(w, (double *)eb, full, nw, (const double *)phic, arofs, nar,
			         (const double *)thetac, maofs, nma, (const double *)&c0,
			         (double *)&ssq);
		int nu = nw > np ? nw - np : 0;
		for (int lane = 0; lane < L && g0 + lane < n; lane++)
			f[g0 + lane] = nu == 0 ? NAN : 0.5 * log(CSS_LANE(ssq, lane) / nu);
	}
}

/* Solves a x = b (n x n, row major, destroyed) by partial pivoting; 0 when
 * singular. */
static int solve(int n, double *a, double *b)
{
	for (int col = 0; col < n; col++) {
		int piv = col;
		for (int i = col + 1; i < n; i++)
			if (fabs(a[i * n + col]) > fabs(a[piv * n + col]))
				piv = i;
		if (a[piv * n + col] == 0 || !isfinite(a[piv * n + col]))
			return 0;
		if (piv != col) {
			for (int j = 0; j < n; j++) {
				double t = a[col * n + j];
				a[col * n + j] = a[piv * n + j];
				a[piv * n + j] = t;
			}
			double t = b[col];
			b[col] = b[piv];
			b[piv] = t;
		}
		for (int i = col + 1; i < n; i++) {
			double f = a[i * n + col] / a[col * n + col];
			if (f == 0)
				continue;
			for (int j = col; j < n; j++)
				a[i * n + j] -= f * a[col * n + j];
			b[i] -= f * b[col];
		}
	}
	for (int i = n - 1; i >= 0; i--) {
		double s = b[i];
		for (int j = i + 1; j < n; j++)
			s -= a[i * n + j] * b[j];
		b[i] = s / a[i * n + i];
	}
	return 1;
}

/* The stationary covariance of Harvey's state (unit innovation variance)
 * into c->P: with a_t[i] = sum_s phi_{i+s+1} y_{t-1-s} + theta_{i+s} e_{t-s},
 * P = A G A' + B B' + A C B' + B C' A', G the autocovariances of y and
 * C[s][l] = E y_{t-1-s} e_{t-l} = psi_{l-1-s}. */
static int stationary_cov(struct obj *c)
{
	int np = c->np, nq = c->nq, r = c->r;
	double *psi = c->psi, *g = c->gam;
	/* psi weights up to r */
	for (int j = 0; j <= r; j++) {
		double s = j == 0 ? 1.0 : (j <= nq ? c->theta[j - 1] : 0.0);
		for (int i = 1; i <= np && i <= j; i++)
			s += c->phi[i - 1] * psi[j - i];
		psi[j] = s;
	}
	/* autocovariances gamma_0..gamma_np from the (np+1) equations */
	int n1 = np + 1;
	double *A = c->lu;
	memset(A, 0, sizeof(double) * (size_t)n1 * (size_t)n1);
	for (int k = 0; k <= np; k++) {
		A[k * n1 + k] += 1;
		for (int i = 1; i <= np; i++)
			A[k * n1 + abs(k - i)] -= c->phi[i - 1];
		double s = 0;
		for (int j = k; j <= nq; j++)
			s += (j == 0 ? 1.0 : c->theta[j - 1]) * psi[j - k];
		g[k] = s;
	}
	if (!solve(n1, A, g))
		return 0;
	for (int k = np + 1; k <= r; k++) {
		double s = 0;
		for (int i = 1; i <= np; i++)
			s += c->phi[i - 1] * g[k - i];
		for (int j = k; j <= nq; j++)
			s += c->theta[j - 1] * psi[j - k];
		g[k] = s;
	}
	/* P[i][k] = sum_{s,l} a_is a_kl G[s][l] + b_is b_kl [s=l] + a_is b_kl C[s][l] + b_is a_kl
	 * C[l][s] */
	double *P = c->P;
	for (int i = 0; i < r; i++) {
		for (int k = i; k < r; k++) {
			double v = 0;
			for (int s = 0; s + i < r; s++) {
				double ai = i + s < np ? c->phi[i + s] : 0.0;
				double bi = i + s == 0 ? 1.0
				                       : (i + s <= nq ? c->theta[i + s - 1] : 0.0);
				for (int l = 0; l + k < r; l++) {
					double ak = k + l < np ? c->phi[k + l] : 0.0;
					double bk = k + l == 0 ? 1.0
					                       : (k + l <= nq ? c->theta[k + l - 1]
					                                      : 0.0);
					if (ai != 0 && ak != 0)
						v += ai * ak * g[abs(s - l)];
					if (s == l)
						v += bi * bk;
					if (ai != 0 && l >= s + 1)
						v += ai * bk * psi[l - 1 - s];
					if (ak != 0 && s >= l + 1)
						v += bi * ak * psi[s - 1 - l];
				}
			}
			P[i * r + k] = P[k * r + i] = v;
		}
	}
	for (int i = 0; i < r * r; i++)
		if (!isfinite(P[i]))
			return 0;
	return 1;
}

/* The Kalman filter over w - mu: fills c->ssq, c->nu, the standardized
 * innovations in c->e, the filtered state in c->a; returns sum log F, or
 * NaN when a prediction variance is not positive. */
static double kalman(struct obj *c, double mu)
{
	int r = c->r;
	double *a = c->a, *an = c->an, *P = c->P, *M = c->M;
	double ssq = 0, sumlog = 0;
	int fast = 0;
	memset(a, 0, sizeof(double) * (size_t)r);
	/* R = (1, theta_1, ..., theta_{r-1}) */
	double Rv[FC_DEG_MAX + 2];
	for (int i = 0; i < r; i++)
		Rv[i] = i == 0 ? 1.0 : (i <= c->nq ? c->theta[i - 1] : 0.0);
	for (int l = 0; l < c->nw; l++) {
		double a0 = a[0];
		for (int i = 0; i < r; i++)
			an[i] = (i + 1 < r ? a[i + 1] : 0.0) + (i < c->np ? c->phi[i] * a0 : 0.0);
		double v = c->w[l] - mu - an[0];
		if (fast) {
			ssq += v * v;
			c->e[l] = v;
			for (int i = 0; i < r; i++)
				a[i] = an[i] + Rv[i] * v;
			continue;
		}
		if (l > 0) {
			/* M = T P; P = M T' + R R' */
			for (int i = 0; i < r; i++) {
				double ph = i < c->np ? c->phi[i] : 0.0;
				for (int j = 0; j < r; j++)
					M[i * r + j] =
					        ph * P[j] + (i + 1 < r ? P[(i + 1) * r + j] : 0.0);
			}
			for (int i = 0; i < r; i++)
				for (int j = i; j < r; j++) {
					double ph = j < c->np ? c->phi[j] : 0.0;
					double t = M[i * r] * ph +
					           (j + 1 < r ? M[i * r + j + 1] : 0.0) +
					           Rv[i] * Rv[j];
					P[i * r + j] = P[j * r + i] = t;
				}
		}
		double F = P[0];
		if (!(F > 0) || !isfinite(F))
			return NAN;
		ssq += v * v / F;
		sumlog += log(F);
		c->e[l] = v / sqrt(F);
		for (int i = 0; i < r; i++)
			a[i] = an[i] + P[i] * v / F;
		double big = 0;
		for (int i = 0; i < r; i++) {
			double pi0 = P[i] / F;
			for (int j = i; j < r; j++) {
				double t = P[i * r + j] - pi0 * P[j];
				M[i * r + j] = t;
			}
		}
		for (int i = 0; i < r; i++)
			for (int j = i; j < r; j++) {
				P[i * r + j] = P[j * r + i] = M[i * r + j];
				if (fabs(M[i * r + j]) > big)
					big = fabs(M[i * r + j]);
			}
		if (big < STEADY_TOL)
			fast = 1;
	}
	c->ssq = ssq;
	c->nu = c->nw;
	return sumlog;
}

static double ml_value(struct obj *c, const double *par_in)
{
	double par[FC_K_MAX];
	if (c->trans)
		transpars(c->o, par_in, par, c->k);
	else
		memcpy(par, par_in, sizeof(double) * (size_t)c->k);
	expand(c, par);
	if (!stationary_cov(c))
		return DBL_MAX;
	double sumlog = kalman(c, constant_of(c, par));
	if (!isfinite(sumlog) || c->nu == 0)
		return NAN;
	return 0.5 * (log(c->ssq / c->nu) + sumlog / c->nu);
}

/* The exact-likelihood objective at n scaled parameter vectors into f[n],
 * CSS_LANES at a time: ml_value's arithmetic lane by lane in its order (the
 * same bits), the Kalman recursions of the lanes interleaved. A lane whose
 * covariance has reached its steady state takes the fast step while the
 * others go on updating theirs. Returns 0 without memory (the caller falls
 * back to one vector at a time). */
static int ml_values(struct obj *c, const double *scaled, int n, double *f)
{
	enum { L = CSS_LANES };
	int k = c->k, nw = c->nw;
	/* the order fixes r: expand once to size the buffers */
	{
		double par[FC_K_MAX] = {0};
		expand(c, par);
	}
	int r = c->r, np = c->np, nq = c->nq, r1 = r + 1;
	/* lane-minor arrays: P has a row of zeros below it, M (stride r + 1) a
	 * column of zeros right of it, a a zero after it, so that the shifts
	 * of the transition read the 0.0 ml_value's kalman adds there */
	size_t need = (size_t)L * ((size_t)r1 * r + (size_t)r * r1 + 4 * (size_t)r1);
	double *buf = rebuy__calloc(need, sizeof(double));
	if (!buf)
		return 0;
	struct ml_lanes s;
	s.w = c->w;
	s.nw = nw;
	s.r = r;
	s.P = buf;
	s.M = s.P + r1 * r * L;
	s.a = s.M + r * r1 * L;
	s.an = s.a + r1 * L;
	s.Rv = s.an + r1 * L;
	s.phi = s.Rv + r1 * L;
	int live[L];
	for (int g0 = 0; g0 < n; g0 += L) {
		s.nfast = 0;
		for (int z = 0; z < L; z++) {
			int src = g0 + z < n ? g0 + z : g0;
			double raw[FC_K_MAX], par[FC_K_MAX];
			for (int i = 0; i < k; i++)
				raw[i] = scaled[src * k + i] * c->parscale[i];
			if (c->trans)
				transpars(c->o, raw, par, k);
			else
				memcpy(par, raw, sizeof(double) * (size_t)k);
			expand(c, par);
			live[z] = stationary_cov(c);
			s.bad[z] = 0;
			s.fast[z] = !live[z];
			s.nfast += s.fast[z];
			s.ssq[z] = s.sumlog[z] = 0;
			s.mu[z] = constant_of(c, par);
			for (int i = 0; i < r; i++) {
				s.phi[i * L + z] = i < np ? c->phi[i] : 0.0;
				s.Rv[i * L + z] = i == 0 ? 1.0 : (i <= nq ? c->theta[i - 1] : 0.0);
				s.a[i * L + z] = 0;
				for (int j = 0; j < r; j++)
					s.P[(i * r + j) * L + z] = live[z] ? c->P[i * r + j] : 0.0;
			}
		}
		ml_rows(&s);
		for (int z = 0; z < L && g0 + z < n; z++) {
			if (!live[z])
				f[g0 + z] = DBL_MAX;
			else if (s.bad[z] || !isfinite(s.sumlog[z]) || nw == 0)
				f[g0 + z] = NAN;
			else
				f[g0 + z] = 0.5 * (log(s.ssq[z] / nw) + s.sumlog[z] / nw);
		}
	}
	rebuy__free(buf);
	return 1;
}

static double value(struct obj *c, const double *scaled)
{
	double par[FC_K_MAX];
	for (int i = 0; i < c->k; i++)
		par[i] = scaled[i] * c->parscale[i];
	return c->ml ? ml_value(c, par) : css_value(c, par);
}

/* The objective at the n vectors xs (c->k values each) into fs; 0 when
 * the batch could not be had (no memory). */
static int values(struct obj *c, const double *xs, int n, double *fs)
{
	if (!c->ml) {
		css_values(c, xs, n, fs);
		return 1;
	}
	return ml_values(c, xs, n, fs);
}

/* The 2k points of the central differences at x, after xs[0..off) */
static void gradient_points(const struct obj *c, const double *x, double *xs)
{
	int k = c->k;
	for (int i = 0; i < k; i++) {
		double *x1 = xs + (2 * i) * k, *x2 = x1 + k;
		memcpy(x1, x, sizeof(double) * (size_t)k);
		memcpy(x2, x, sizeof(double) * (size_t)k);
		x1[i] = x[i] + NDEPS;
		x2[i] = x[i] - NDEPS;
	}
}

static int gradient_of(const struct obj *c, const double *fs, double *g)
{
	for (int i = 0; i < c->k; i++) {
		if (!isfinite(fs[2 * i]) || !isfinite(fs[2 * i + 1]))
			return 0;
		g[i] = (fs[2 * i] - fs[2 * i + 1]) / (2 * NDEPS);
	}
	return 1;
}

static int gradient(struct obj *c, double *x, double *g)
{
	int k = c->k;
	if (c->spec_ok && memcmp(x, c->spec_x, sizeof(double) * (size_t)k) == 0) {
		c->spec_ok = 0;
		memcpy(g, c->spec_g, sizeof(double) * (size_t)k);
		return c->spec_rc;
	}
	/* the 2k points of the central differences, evaluated together */
	double xs[2 * FC_K_MAX * FC_K_MAX], fs[2 * FC_K_MAX];
	gradient_points(c, x, xs);
	if (!values(c, xs, 2 * k, fs))
		for (int i = 0; i < 2 * k; i++)
			fs[i] = value(c, xs + i * k);
	return gradient_of(c, fs, g);
}

/* The objective at x, for a line search's first step: when the gradient's
 * points leave a lane of their last batch free, x rides in it and the
 * gradient at x is kept for the gradient call that follows when the step
 * is taken (most are). The same values as value and gradient. */
static double value_ahead(struct obj *c, const double *x)
{
	int k = c->k;
	c->spec_ok = 0;
	if ((2 * k) % CSS_LANES == 0)
		return value(c, x);
	double xs[(2 * FC_K_MAX + 1) * FC_K_MAX], fs[2 * FC_K_MAX + 1];
	gradient_points(c, x, xs);
	memcpy(xs + 2 * k * k, x, sizeof(double) * (size_t)k);
	if (!values(c, xs, 2 * k + 1, fs))
		return value(c, x);
	c->spec_rc = gradient_of(c, fs, c->spec_g);
	memcpy(c->spec_x, x, sizeof(double) * (size_t)k);
	c->spec_ok = 1;
	return fs[2 * k];
}

/* Nash's variable metric minimizer on scaled parameters b (in/out).
 * Returns 1 (converged), 0 (iteration limit), -1 (not finite at the
 * start), -2 (a finite difference not finite). */
static int vmmin(struct obj *c, double *b, double *fmin)
{
	int n = c->k;
	double g[FC_K_MAX], t[FC_K_MAX], X[FC_K_MAX], cc[FC_K_MAX], B[FC_K_MAX][FC_K_MAX];
	c->spec_ok = 0;
	double f = value(c, b);
	if (!isfinite(f))
		return -1;
	*fmin = f;
	if (n == 0)
		return 1;
	if (!gradient(c, b, g))
		return -2;
	int iter = 1, gradcount = 1, ilast = gradcount, count;
	do {
		if (ilast == gradcount)
			for (int i = 0; i < n; i++)
				for (int j = 0; j < n; j++)
					B[i][j] = i == j;
		for (int i = 0; i < n; i++) {
			X[i] = b[i];
			cc[i] = g[i];
		}
		double gradproj = 0;
		for (int i = 0; i < n; i++) {
			double s = 0;
			for (int j = 0; j <= i; j++)
				s -= B[i][j] * g[j];
			for (int j = i + 1; j < n; j++)
				s -= B[j][i] * g[j];
			t[i] = s;
			gradproj += s * g[i];
		}
		if (gradproj < 0) {
			double step = 1.0;
			int accpoint = 0;
			do {
				count = 0;
				for (int i = 0; i < n; i++) {
					b[i] = X[i] + step * t[i];
					if (10.0 + X[i] == 10.0 + b[i])
						count++;
				}
				if (count < n) {
					f = step == 1.0 ? value_ahead(c, b) : value(c, b);
					accpoint =
					        isfinite(f) && f <= *fmin + gradproj * step * 1e-4;
					if (!accpoint)
						step *= 0.2;
				}
			} while (!(count == n || accpoint));
			int enough = fabs(f - *fmin) > RELTOL * (fabs(*fmin) + RELTOL);
			if (!enough) {
				count = n;
				*fmin = f;
			}
			if (count < n) {
				*fmin = f;
				if (!gradient(c, b, g))
					return -2;
				gradcount++;
				iter++;
				double D1 = 0;
				for (int i = 0; i < n; i++) {
					t[i] *= step;
					cc[i] = g[i] - cc[i];
					D1 += t[i] * cc[i];
				}
				if (D1 > 0) {
					double D2 = 0;
					for (int i = 0; i < n; i++) {
						double s = 0;
						for (int j = 0; j <= i; j++)
							s += B[i][j] * cc[j];
						for (int j = i + 1; j < n; j++)
							s += B[j][i] * cc[j];
						X[i] = s;
						D2 += s * cc[i];
					}
					D2 = 1.0 + D2 / D1;
					for (int i = 0; i < n; i++)
						for (int j = 0; j <= i; j++)
							B[i][j] += (D2 * t[i] * t[j] - X[i] * t[j] -
							            t[i] * X[j]) /
							           D1;
				} else {
					ilast = gradcount;
				}
			} else if (ilast < gradcount) {
				count = 0;
				ilast = gradcount;
			}
		} else {
			count = 0;
			if (ilast == gradcount)
				count = n;
			else
				ilast = gradcount;
		}
		if (iter >= MAXIT)
			break;
		if (gradcount - ilast > 2 * n)
			ilast = gradcount;
	} while (count != n || ilast != gradcount);
	return iter < MAXIT;
}

/* All roots of the AR polynomial 1 - c1 z - ... outside the unit circle. */
static int ar_ok(const double *ar, int p)
{
	double c[REBUY_ARIMA_MAX_ORDER];
	for (int i = 0; i < p; i++)
		c[i] = -ar[i];
	return rebuy__poly_min_root(c, p) > 1;
}

void rebuy__poly_roots(const double *c, int n, double *re, double *im);

/* Flips MA roots inside the unit circle (the likelihood does not change). */
static void ma_invert(double *ma, int q)
{
	int q0 = 0;
	for (int i = 0; i < q; i++)
		if (ma[i] != 0)
			q0 = i + 1;
	if (q0 == 0)
		return;
	double re[REBUY_ARIMA_MAX_ORDER], im[REBUY_ARIMA_MAX_ORDER];
	rebuy__poly_roots(ma, q0, re, im);
	int any = 0;
	for (int i = 0; i < q0; i++)
		if (hypot(re[i], im[i]) < 1)
			any = 1;
	if (!any)
		return;
	if (q0 == 1) {
		ma[0] = 1 / ma[0];
		for (int i = 1; i < q; i++)
			ma[i] = 0;
		return;
	}
	for (int i = 0; i < q0; i++) {
		double m2 = re[i] * re[i] + im[i] * im[i];
		if (m2 < 1) {
			re[i] = re[i] / m2;
			im[i] = -im[i] / m2;
		}
	}
	/* x(z) = prod (1 - z/r_i), complex arithmetic */
	double xr[REBUY_ARIMA_MAX_ORDER + 1] = {1}, xi[REBUY_ARIMA_MAX_ORDER + 1] = {0};
	int deg = 0;
	for (int i = 0; i < q0; i++) {
		double m2 = re[i] * re[i] + im[i] * im[i];
		double ir = re[i] / m2, ii = -im[i] / m2; /* 1/r */
		double nr[REBUY_ARIMA_MAX_ORDER + 1], ni[REBUY_ARIMA_MAX_ORDER + 1];
		for (int j = 0; j <= deg + 1; j++) {
			double ar_ = j <= deg ? xr[j] : 0, ai = j <= deg ? xi[j] : 0;
			double br = j > 0 ? xr[j - 1] : 0, bi = j > 0 ? xi[j - 1] : 0;
			nr[j] = ar_ - (br * ir - bi * ii);
			ni[j] = ai - (br * ii + bi * ir);
		}
		deg++;
		memcpy(xr, nr, sizeof(double) * (size_t)(deg + 1));
		memcpy(xi, ni, sizeof(double) * (size_t)(deg + 1));
	}
	for (int i = 0; i < q; i++)
		ma[i] = i < q0 ? xr[i + 1] : 0;
}

static void ma_invert_all(const struct rebuy_arima_order *o, double *par)
{
	if (o->q > 0)
		ma_invert(par + o->p, o->q);
	if (o->Q > 0)
		ma_invert(par + o->p + o->q + o->P, o->Q);
}

/* Inverts the k x k matrix a in place (Gauss-Jordan); 0 when singular or
 * computationally singular (reciprocal 1-norm condition < DBL_EPSILON). */
static int invert(int k, double *a)
{
	double tmp[FC_K_MAX * FC_K_MAX], inv[FC_K_MAX * FC_K_MAX];
	double norm = 0;
	for (int j = 0; j < k; j++) {
		double s = 0;
		for (int i = 0; i < k; i++)
			s += fabs(a[i * k + j]);
		if (s > norm)
			norm = s;
	}
	for (int col = 0; col < k; col++) {
		memcpy(tmp, a, sizeof(double) * (size_t)(k * k));
		double b[FC_K_MAX] = {0};
		b[col] = 1;
		if (!solve(k, tmp, b))
			return 0;
		for (int i = 0; i < k; i++)
			inv[i * k + col] = b[i];
	}
	double ninv = 0;
	for (int j = 0; j < k; j++) {
		double s = 0;
		for (int i = 0; i < k; i++)
			s += fabs(inv[i * k + j]);
		if (s > ninv)
			ninv = s;
	}
	if (!(1.0 / (norm * ninv) >= DBL_EPSILON))
		return 0;
	memcpy(a, inv, sizeof(double) * (size_t)(k * k));
	return 1;
}

/* R's optimHess on the scaled objective, then the variances as arima
 * reports them (through the Jacobian of the AR transformation for ML). */
static int hessian_ok(struct obj *c, const double *scaled, const double *raw)
{
	int k = c->k;
	if (k == 0)
		return 1;
	double x[FC_K_MAX], g1[FC_K_MAX], g2[FC_K_MAX], H[FC_K_MAX * FC_K_MAX];
	c->spec_ok = 0;
	memcpy(x, scaled, sizeof(double) * (size_t)k);
	/* the 4k^2 points of the 2k gradients in one batch */
	int np2 = 2 * k, npts = 2 * k * np2;
	double *xs = rebuy__malloc(sizeof(double) * (size_t)npts * (size_t)k);
	double *fs = rebuy__malloc(sizeof(double) * (size_t)npts);
	int batched = 0;
	if (xs && fs) {
		for (int i = 0; i < k; i++) {
			double eps = NDEPS / c->parscale[i];
			x[i] = scaled[i] + eps;
			gradient_points(c, x, xs + (size_t)(2 * i) * np2 * k);
			x[i] = scaled[i] - eps;
			gradient_points(c, x, xs + (size_t)(2 * i + 1) * np2 * k);
			x[i] = scaled[i];
		}
		batched = values(c, xs, npts, fs);
	}
	rebuy__free(xs);
	for (int i = 0; i < k; i++) {
		double eps = NDEPS / c->parscale[i];
		if (batched) {
			if (!gradient_of(c, fs + (2 * i) * np2, g1) ||
			    !gradient_of(c, fs + (2 * i + 1) * np2, g2)) {
				rebuy__free(fs);
				return 0;
			}
		} else {
			x[i] = scaled[i] + eps;
			int ok = gradient(c, x, g1);
			x[i] = scaled[i] - eps;
			ok = ok && gradient(c, x, g2);
			x[i] = scaled[i];
			if (!ok) {
				rebuy__free(fs);
				return 0;
			}
		}
		for (int j = 0; j < k; j++)
			H[i * k + j] =
			        (g1[j] - g2[j]) / (2 * eps * c->parscale[i] * c->parscale[j]);
	}
	rebuy__free(fs);
	for (int i = 0; i < k; i++)
		for (int j = 0; j < i; j++)
			H[i * k + j] = H[j * k + i] = 0.5 * (H[i * k + j] + H[j * k + i]);
	for (int i = 0; i < k * k; i++)
		H[i] *= c->nw;
	if (!invert(k, H))
		return 0;
	if (!c->ml || !c->trans) {
		for (int i = 0; i < k; i++)
			if (!(H[i * k + i] >= 0))
				return 0;
		return 1;
	}
	/* A[i][j] = d trans_j / d raw_i (forward differences of 1e-3, as R) */
	double A[FC_K_MAX * FC_K_MAX] = {0}, w1[FC_K_MAX], w2[FC_K_MAX], w3[FC_K_MAX];
	for (int i = 0; i < k; i++)
		A[i * k + i] = 1;
	const struct rebuy_arima_order *o = c->o;
	int blocks[2][2] = {{0, o->p}, {o->p + o->q, o->P}};
	for (int bl = 0; bl < 2; bl++) {
		int off = blocks[bl][0], len = blocks[bl][1];
		if (len == 0)
			continue;
		memcpy(w1, raw + off, sizeof(double) * (size_t)len);
		partrans(len, w1, w2);
		for (int i = 0; i < len; i++) {
			w1[i] += 1e-3;
			partrans(len, w1, w3);
			for (int j = 0; j < len; j++)
				A[(off + i) * k + off + j] = (w3[j] - w2[j]) / 1e-3;
			w1[i] -= 1e-3;
		}
	}
	for (int j = 0; j < k; j++) {
		double v = 0;
		for (int a = 0; a < k; a++)
			for (int b = 0; b < k; b++)
				v += A[a * k + j] * H[a * k + b] * A[b * k + j];
		if (!(v >= 0))
			return 0;
	}
	return 1;
}

static enum rebuy_status check_order(const struct rebuy_arima_order *o, struct rebuy_error *err)
{
	if (o->p < 0 || o->q < 0 || o->p > REBUY_ARIMA_MAX_ORDER || o->q > REBUY_ARIMA_MAX_ORDER ||
	    o->P < 0 || o->Q < 0 || o->P > REBUY_ARIMA_MAX_SORDER ||
	    o->Q > REBUY_ARIMA_MAX_SORDER || o->d < 0 || o->d > 2 || o->D < 0 || o->D > 1 ||
	    o->m < 1 || o->m > REBUY_ARIMA_MAX_PERIOD || (o->m == 1 && (o->P || o->Q || o->D)))
		return rebuy_error_set(err, REBUY_EARG,
		                       "arima: order (%d,%d,%d)(%d,%d,%d)[%d] is out of bounds "
		                       "(p, q <= %d, P, Q <= %d, d <= 2, D <= 1, 1 <= m <= %d, "
		                       "seasonal terms need m > 1)",
		                       o->p, o->d, o->q, o->P, o->D, o->Q, o->m,
		                       REBUY_ARIMA_MAX_ORDER, REBUY_ARIMA_MAX_SORDER,
		                       REBUY_ARIMA_MAX_PERIOD);
	return REBUY_OK;
}

/* Differences x into w; returns the length. */
static int difference(const double *x, int n, const struct rebuy_arima_order *o, double *w)
{
	memcpy(w, x, sizeof(double) * (size_t)n);
	int len = n;
	for (int i = 0; i < o->d; i++)
		len = (int)rebuy_diff(w, (size_t)len, 1, w);
	for (int i = 0; i < o->D; i++)
		len = (int)rebuy_diff(w, (size_t)len, o->m, w);
	return len;
}

void rebuy_arima_free(struct rebuy_arima *fit)
{
	if (!fit)
		return;
	rebuy__free(fit->x);
	rebuy__free(fit->resid);
	rebuy__free(fit);
}

static enum rebuy_status obj_alloc(struct obj *c, int nw)
{
	int r = FC_DEG_MAX + 1;
	c->e = rebuy__calloc((size_t)(nw > 0 ? nw : 1), sizeof(double));
	c->eb = rebuy__calloc((size_t)(nw > 0 ? nw : 1) * CSS_LANES + CSS_LANES, sizeof(double));
	c->wc = rebuy__calloc((size_t)(nw > 0 ? nw : 1), sizeof(double));
	c->P = rebuy__calloc((size_t)(r * r), sizeof(double));
	c->M = rebuy__calloc((size_t)(r * r), sizeof(double));
	c->a = rebuy__calloc((size_t)r, sizeof(double));
	c->an = rebuy__calloc((size_t)r, sizeof(double));
	c->gam = rebuy__calloc((size_t)r + 1, sizeof(double));
	c->psi = rebuy__calloc((size_t)r + 1, sizeof(double));
	c->lu = rebuy__calloc((size_t)(r * r), sizeof(double));
	if (!c->e || !c->eb || !c->wc || !c->P || !c->M || !c->a || !c->an || !c->gam || !c->psi ||
	    !c->lu)
		return REBUY_ENOMEM;
	return REBUY_OK;
}

static void obj_release(struct obj *c)
{
	rebuy__free(c->e);
	rebuy__free(c->eb);
	rebuy__free(c->wc);
	rebuy__free(c->P);
	rebuy__free(c->M);
	rebuy__free(c->a);
	rebuy__free(c->an);
	rebuy__free(c->gam);
	rebuy__free(c->psi);
	rebuy__free(c->lu);
}

/* Differences x into w and sets up the objective for order o: the
 * constant's start by least squares on the differenced regressor and the
 * parameter scales of R's arima (1, and 10 standard errors for the
 * constant). */
static void prepare(struct obj *c, const double *x, size_t n, const struct rebuy_arima_order *o,
                    double *w, double *init)
{
	int narma = o->p + o->q + o->P + o->Q, k = narma + (o->has_constant ? 1 : 0);
	int nw = difference(x, (int)n, o, w);
	c->w = w;
	c->nw = nw;
	c->o = o;
	c->k = k;
	c->narma = narma;
	c->cmul = o->d + o->D == 0 ? 1.0 : (o->D == 1 ? (double)o->m : 1.0);
	for (int i = 0; i < FC_K_MAX; i++)
		init[i] = 0;
	for (int i = 0; i < k; i++)
		c->parscale[i] = 1;
	if (o->has_constant) {
		const double *v = o->d + o->D == 0 ? x : w;
		int len = o->d + o->D == 0 ? (int)n : nw;
		double mean = 0, ss = 0;
		for (int i = 0; i < len; i++)
			mean += v[i];
		mean /= len;
		for (int i = 0; i < len; i++)
			ss += (v[i] - mean) * (v[i] - mean);
		double se = len > 1 ? sqrt(ss / (len - 1)) / sqrt((double)len) / c->cmul : 0;
		init[narma] = mean / c->cmul;
		c->parscale[narma] = se > 0 ? 10 * se : 1;
	}
}

enum rebuy_status rebuy__arima_fit_checked(const double *x, size_t n,
                                           const struct rebuy_arima_order *order,
                                           enum rebuy_arima_method method, int check, int *hess_ok,
                                           struct rebuy_arima **out, struct rebuy_error *err)
{
	*out = NULL;
	enum rebuy_status st = check_order(order, err);
	if (st)
		return st;
	struct rebuy_arima_order o = *order;
	if (o.d + o.D > 1)
		o.has_constant = 0;
	int narma = o.p + o.q + o.P + o.Q, k = narma + (o.has_constant ? 1 : 0);
	int ndiff = o.d + o.m * o.D, np = o.p + o.m * o.P;
	if (n > REBUY_SERIES_MAX)
		return rebuy_error_set(err, REBUY_ELIMIT, "arima: %zu observations, at most %zu", n,
		                       REBUY_SERIES_MAX);
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return rebuy_error_set(err, REBUY_EDATA,
			                       "arima: observation %zu is not a finite number",
			                       i + 1);
	if ((int)n <= ndiff + np + 1)
		return rebuy_error_set(err, REBUY_EDATA,
		                       "arima: %zu observations are too few for "
		                       "(%d,%d,%d)(%d,%d,%d)[%d]",
		                       n, o.p, o.d, o.q, o.P, o.D, o.Q, o.m);
	struct rebuy_arima *fit = rebuy__calloc(1, sizeof *fit);
	struct obj c;
	memset(&c, 0, sizeof c);
	double *w = rebuy__malloc(sizeof(double) * n);
	if (!fit || !w || obj_alloc(&c, (int)n) != REBUY_OK) {
		st = rebuy_error_set(err, REBUY_ENOMEM, "arima: out of memory");
		goto fail;
	}
	fit->x = rebuy__malloc(sizeof(double) * n);
	if (!fit->x) {
		st = rebuy_error_set(err, REBUY_ENOMEM, "arima: out of memory");
		goto fail;
	}
	memcpy(fit->x, x, sizeof(double) * n);
	double init[FC_K_MAX];
	prepare(&c, x, n, &o, w, init);
	int nw = c.nw;
	double b[FC_K_MAX], f;
	int rc, converged = 1;
	if (method != REBUY_ARIMA_ML) {
		c.ml = 0;
		for (int i = 0; i < k; i++)
			b[i] = init[i] / c.parscale[i];
		rc = vmmin(&c, b, &f);
		if (rc < 0) {
			st = rebuy_error_set(err, REBUY_EDATA,
			                     "arima: the conditional sum of squares is not finite");
			goto fail;
		}
		if (method == REBUY_ARIMA_CSS) {
			converged = rc == 1;
			for (int i = 0; i < k; i++)
				fit->coef[i] = b[i] * c.parscale[i];
			css_value(&c, fit->coef);
			fit->sigma2_ml = c.ssq / c.nu;
			fit->loglik = -0.5 * (2 * nw * f + nw + nw * log(2 * M_PI));
			if (check)
				*hess_ok = hessian_ok(&c, b, NULL);
			goto done;
		}
		if (rc == 1)
			for (int i = 0; i < k; i++)
				init[i] = b[i] * c.parscale[i];
		if ((o.p > 0 && !ar_ok(init, o.p)) || (o.P > 0 && !ar_ok(init + o.p + o.q, o.P))) {
			st = rebuy_error_set(err, REBUY_EDATA,
			                     "arima: non-stationary AR part from CSS");
			goto fail;
		}
	}
	/* exact ML in the transformed space */
	c.ml = 1;
	c.trans = 1;
	if (o.p > 0)
		invpartrans(o.p, init, init);
	if (o.P > 0)
		invpartrans(o.P, init + o.p + o.q, init + o.p + o.q);
	ma_invert_all(&o, init);
	for (int i = 0; i < k; i++)
		b[i] = init[i] / c.parscale[i];
	rc = vmmin(&c, b, &f);
	if (rc < 0) {
		st = rebuy_error_set(err, REBUY_EDATA, "arima: the likelihood is not finite");
		goto fail;
	}
	converged = rc == 1;
	double raw[FC_K_MAX];
	for (int i = 0; i < k; i++)
		raw[i] = b[i] * c.parscale[i];
	double inv[FC_K_MAX];
	memcpy(inv, raw, sizeof raw);
	ma_invert_all(&o, inv);
	if (memcmp(inv, raw, sizeof(double) * (size_t)k) != 0) {
		memcpy(raw, inv, sizeof raw);
		for (int i = 0; i < k; i++)
			b[i] = raw[i] / c.parscale[i];
		f = value(&c, b);
	}
	if (check)
		*hess_ok = hessian_ok(&c, b, raw);
	transpars(&o, raw, fit->coef, k);
	c.trans = 0;
	ml_value(&c, fit->coef);
	fit->sigma2_ml = c.ssq / nw;
	fit->loglik = -0.5 * (2 * nw * f + nw + nw * log(2 * M_PI));
done:
	fit->order = o;
	fit->method = method;
	fit->n_coef = k;
	fit->n = n;
	fit->n_used = (size_t)nw;
	fit->is_converged = converged;
	{
		int npar = k + 1;
		if (method == REBUY_ARIMA_CSS)
			fit->aic = nw * log(fit->sigma2_ml) + 2 * npar;
		else
			fit->aic = -2 * fit->loglik + 2 * npar;
		fit->bic = fit->aic + npar * (log((double)nw) - 2);
		fit->aicc = nw - npar - 1 > 0 ? fit->aic + 2.0 * npar * (npar + 1) / (nw - npar - 1)
		                              : INFINITY;
		double ss = 0;
		for (int i = 0; i < nw; i++)
			ss += c.e[i] * c.e[i];
		fit->sigma2 = ss / (nw - npar + 1);
	}
	fit->resid = c.e;
	c.e = NULL;
	obj_release(&c);
	rebuy__free(w);
	*out = fit;
	return REBUY_OK;
fail:
	obj_release(&c);
	rebuy__free(w);
	rebuy_arima_free(fit);
	return st;
}

enum rebuy_status rebuy_arima_fit(const double *x, size_t n, const struct rebuy_arima_order *order,
                                  enum rebuy_arima_method method, struct rebuy_arima **out,
                                  struct rebuy_error *err)
{
	int ok = 1;
	enum rebuy_status st = rebuy__arima_fit_checked(x, n, order, method, 1, &ok, out, err);
	if (st == REBUY_OK)
		(*out)->is_hessian_ok = ok;
	return st;
}

enum rebuy_status rebuy_arima_forecast(const struct rebuy_arima *fit, size_t h, double level,
                                       double *mean, double *lo, double *hi,
                                       struct rebuy_error *err)
{
	if (!(level > 0 && level < 1))
		return rebuy_error_set(err, REBUY_EARG, "arima forecast: level %g is not in (0, 1)",
		                       level);
	if (h > REBUY_SERIES_MAX)
		return rebuy_error_set(err, REBUY_ELIMIT, "arima forecast: horizon %zu is too long",
		                       h);
	const struct rebuy_arima_order *o = &fit->order;
	int n = (int)fit->n;
	struct obj c;
	memset(&c, 0, sizeof c);
	double *w = rebuy__malloc(sizeof(double) * (size_t)n);
	double *y = rebuy__malloc(sizeof(double) * ((size_t)n + h));
	double *psi = rebuy__malloc(sizeof(double) * (h + 1));
	enum rebuy_status st = REBUY_OK;
	if (!w || !y || !psi || obj_alloc(&c, n) != REBUY_OK) {
		st = rebuy_error_set(err, REBUY_ENOMEM, "arima forecast: out of memory");
		goto out;
	}
	int nw = difference(fit->x, n, o, w);
	c.w = w;
	c.nw = nw;
	c.o = o;
	c.k = fit->n_coef;
	c.narma = o->p + o->q + o->P + o->Q;
	c.cmul = o->d + o->D == 0 ? 1.0 : (o->D == 1 ? (double)o->m : 1.0);
	expand(&c, fit->coef);
	double mu = constant_of(&c, fit->coef);
	if (!stationary_cov(&c) || !isfinite(kalman(&c, mu))) {
		st = rebuy_error_set(err, REBUY_EDATA,
		                     "arima forecast: the model's state cannot be filtered");
		goto out;
	}
	/* the differencing polynomial delta: y_t = w_t + sum delta_i y_{t-i} */
	int nd = o->d + o->m * o->D;
	double delta[2 + REBUY_ARIMA_MAX_PERIOD + 2] = {0};
	double poly[4 + REBUY_ARIMA_MAX_PERIOD] = {1};
	int deg = 0;
	for (int i = 0; i < o->d + o->D; i++) {
		int lag = i < o->d ? 1 : o->m;
		for (int j = deg + lag; j >= lag; j--)
			poly[j] -= poly[j - lag];
		deg += lag;
	}
	for (int i = 1; i <= nd; i++)
		delta[i] = -poly[i];
	memcpy(y, fit->x, sizeof(double) * (size_t)n);
	int r = c.r;
	double *a = c.a, *an = c.an;
	for (size_t s = 0; s < h; s++) {
		double a0 = a[0];
		for (int i = 0; i < r; i++)
			an[i] = (i + 1 < r ? a[i + 1] : 0.0) + (i < c.np ? c.phi[i] * a0 : 0.0);
		memcpy(a, an, sizeof(double) * (size_t)r);
		double v = a[0] + mu;
		size_t t = (size_t)n + s;
		for (int i = 1; i <= nd; i++)
			v += delta[i] * y[t - (size_t)i];
		y[t] = v;
		mean[s] = v;
	}
	if (lo || hi) {
		/* psi weights of theta(B) / (phi(B) delta(B)) */
		double ar[FC_DEG_MAX + 4 + REBUY_ARIMA_MAX_PERIOD] = {0};
		int nar = c.np + nd;
		for (int i = 0; i <= c.np; i++) {
			double pi = i == 0 ? 1.0 : -c.phi[i - 1];
			for (int j = 0; j <= nd; j++)
				ar[i + j] += pi * poly[j];
		}
		double sum = 0, z = rebuy__norm_quantile(0.5 + level / 2);
		for (size_t j = 0; j < h; j++) {
			double s = j == 0 ? 1.0 : ((int)j <= c.nq ? c.theta[j - 1] : 0.0);
			for (int i = 1; i <= nar && (size_t)i <= j; i++)
				s -= ar[i] * psi[j - (size_t)i];
			psi[j] = s;
			sum += s * s;
			double sd = sqrt(fit->sigma2 * sum);
			if (lo)
				lo[j] = mean[j] - z * sd;
			if (hi)
				hi[j] = mean[j] + z * sd;
		}
	}
out:
	obj_release(&c);
	rebuy__free(w);
	rebuy__free(y);
	rebuy__free(psi);
	return st;
}

enum rebuy_status rebuy__arima_hessian_check(const struct rebuy_arima *fit, int *ok)
{
	struct obj c;
	memset(&c, 0, sizeof c);
	double *w = rebuy__malloc(sizeof(double) * fit->n);
	enum rebuy_status st = REBUY_OK;
	if (!w || obj_alloc(&c, (int)fit->n) != REBUY_OK) {
		st = REBUY_ENOMEM;
		goto out;
	}
	double init[FC_K_MAX], raw[FC_K_MAX], b[FC_K_MAX];
	prepare(&c, fit->x, fit->n, &fit->order, w, init);
	const struct rebuy_arima_order *o = &fit->order;
	memcpy(raw, fit->coef, sizeof raw);
	if (fit->method == REBUY_ARIMA_CSS) {
		c.ml = 0;
	} else {
		c.ml = 1;
		c.trans = 1;
		if (o->p > 0)
			invpartrans(o->p, fit->coef, raw);
		if (o->P > 0)
			invpartrans(o->P, fit->coef + o->p + o->q, raw + o->p + o->q);
	}
	for (int i = 0; i < c.k; i++)
		b[i] = raw[i] / c.parscale[i];
	*ok = hessian_ok(&c, b, raw);
out:
	obj_release(&c);
	rebuy__free(w);
	return st;
}

int rebuy__arima_lanes_check(const double *x, size_t n, const struct rebuy_arima_order *order,
                             int ml, const double *pars, int npars, int isa, double *fbatch,
                             double *fsingle)
{
	struct rebuy_arima_order o = *order;
	if (o.d + o.D > 1)
		o.has_constant = 0;
	if (check_order(&o, NULL) != REBUY_OK || n > REBUY_SERIES_MAX ||
	    (int)n <= o.d + o.m * o.D + o.p + o.m * o.P + 1)
		return 0;
	if (isa < 1 || isa > 3)
		return 0;
#ifdef LANES_AVX2
	if ((isa == 2 && !__builtin_cpu_supports("avx2")) ||
	    (isa == 3 && !__builtin_cpu_supports("avx512f")))
		return 0;
#else
	if (isa > 1)
		return 0;
#endif
	struct obj c;
	memset(&c, 0, sizeof c);
	double *w = rebuy__malloc(sizeof(double) * n), init[FC_K_MAX];
	int ok = 0;
	if (!w || obj_alloc(&c, (int)n) != REBUY_OK)
		goto done;
	prepare(&c, x, n, &o, w, init);
	c.ml = ml;
	c.trans = ml;
	lanes_forced = isa;
	ok = values(&c, pars, npars, fbatch);
	lanes_forced = 0;
	for (int i = 0; ok && i < npars; i++)
		fsingle[i] = value(&c, pars + i * c.k);
done:
	obj_release(&c);
	rebuy__free(w);
	return ok;
}
