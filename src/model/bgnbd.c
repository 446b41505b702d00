/* BG/NBD and MBG/NBD.
 *
 * Fader, Hardie & Lee (2005), "Counting your customers the easy way: an
 * alternative to the Pareto/NBD model", Marketing Science 24(2): while alive
 * a customer buys at Poisson rate lambda ~ Gamma(r, alpha) and drops out
 * after each repeat purchase with probability p ~ Beta(a, b). Batislam,
 * Denizel & Filiztekin (2007), "Empirical validation and comparison of
 * models for customer base analysis", IJRM 24(3): MBG/NBD, where the first
 * purchase is a dropout opportunity too. With m = 1 for MBG/NBD, 0 for
 * BG/NBD, and x' = x + m the opportunities survived, one customer gives
 *   L = B(a, b+x')/B(a,b) Gamma(r+x) alpha^r / Gamma(r)
 *       * [(alpha+T)^-(r+x) + [x' > 0] a/(b+x'-1) (alpha+t_x)^-(r+x)]   (FHL eq. 6)
 *   P(alive) = 1 / (1 + [x' > 0] a/(b+x'-1) ((alpha+T)/(alpha+t_x))^(r+x)).
 * Given alive at T, lambda ~ Gamma(r+x, alpha+T) and p ~ Beta(a, b+x'), and
 * what follows is a new BG/NBD customer with those parameters; CET and the
 * conditional pmf (Fader & Hardie's note on the BG/NBD conditional PMF) are
 * P(alive) times the new-customer expressions, which is how they are
 * computed here.
 *
 * Everything is in logs: x in the thousands and parameters from 1e-6 to 1e6
 * overflow any direct form. E[X(t)] is FHL eq. 9, 2F1 and all, but summed as
 * sum_n P(N(t) = n) sum_{j<n} B(a, b+j)/B(a,b) (N(t) the NBD count): the
 * same value, every term positive, and no division by a - 1, so a near 1
 * and a + b < 1 cost no digits.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/mem.h"
#include "model/bgnbd.h"
#include "model/clv_int.h"
#include "model/pairs.h"
#include "model/specfun.h"

/* Longest series summed before giving up with NaN (E[X(t)] when t dwarfs
 * alpha: about 40 (alpha + t) / alpha terms). */
#define MAX_TERMS (1L << 24)

static int params_ok(const double *p)
{
	for (int k = 0; k < 4; k++)
		if (!(p[k] > 0) || isinf(p[k]))
			return 0;
	return 1;
}

static int is_small_int(double n)
{
	return n <= 32 && n == floor(n);
}

/* log(1 + e^u) and 1 / (1 + e^-u) from one exp. */
static inline double softplus(double u, double *sigmoid)
{
	double e = exp(-fabs(u));
	if (sigmoid)
		*sigmoid = (u > 0 ? 1.0 : e) / (1.0 + e);
	return (u > 0 ? u : 0.0) + log1p(e);
}

/* softplus for the fit's inner loop: log(1 + e) in place of log1p(e), which
 * is several times slower in glibc; the absolute error stays below 2^-53,
 * far under a row's log-likelihood. (A ternary, not fmax, which gcc leaves
 * a library call.) */
static inline double softplus_fit(double u, double *sigmoid)
{
	double e = exp(-fabs(u)), d = 1.0 + e;
	*sigmoid = (u > 0 ? 1.0 : e) / d;
	return (u > 0 ? u : 0.0) + log(d);
}

/* log B(a, b+n) / B(a, b) = sum_{i<n} log(1 - a/(a+b+i)) for integer n:
 * exact when a << b, where two lgamma ratios would cancel. */
static double lbeta_ratio(double a, double b, double n)
{
	if (is_small_int(n)) {
		double s = 0;
		for (int i = 0; i < (int)n; i++)
			s += log1p(-a / (a + b + i));
		return s;
	}
	return rebuy__lgamma_ratio(b, n) - rebuy__lgamma_ratio(a + b, n);
}

/* d/db log B(a, b+n) / B(a, b) = psi(b+n) - psi(b) - psi(a+b+n) + psi(a+b). */
static double lbeta_ratio_db(double a, double b, double n)
{
	if (is_small_int(n)) {
		double s = 0;
		for (int i = 0; i < (int)n; i++)
			s += a / ((b + i) * (a + b + i));
		return s;
	}
	return rebuy__digamma_ratio(b, n) - rebuy__digamma_ratio(a + b, n);
}

/* ------------------------------------------------------------------------
 * One customer. */

/* log of everything in L but the bracket's sum, and u = log of the ratio of
 * the bracket's second term to its first (-inf when there is none). */
/* u of the likelihood's two terms, L = base (1 + e^u): the log of the
 * second term (the customer dropped out after the last purchase) over the
 * first. */
static double ll_u(const double *p, int m, double x, double t_x, double T)
{
	double r = p[0], alpha = p[1], a = p[2], b = p[3], xp = x + m;
	/* (r + x) log((alpha + T) / (alpha + t_x)) by log1p: it stays exact as
	 * r, alpha run to infinity (regular buyers). */
	return xp > 0 ? log(a) - log(b + xp - 1) + (r + x) * log1p((T - t_x) / (alpha + t_x))
	              : -INFINITY;
}

static double ll_parts(const double *p, int m, double x, double t_x, double T, double *u)
{
	double r = p[0], alpha = p[1], a = p[2], b = p[3], xp = x + m;
	/* r log alpha - (r + x) log(alpha + T) by log1p, as in ll_u: the plain
	 * form is a difference of numbers near 1e19 for regular buyers. */
	*u = ll_u(p, m, x, t_x, T);
	return rebuy__lgamma_ratio(r, x) + lbeta_ratio(a, b, xp) - r * log1p(T / alpha) -
	       x * log(alpha + T);
}

static double ll_one(const double *p, int m, double x, double t_x, double T)
{
	if (!params_ok(p))
		return NAN;
	double u, base = ll_parts(p, m, x, t_x, T, &u);
	return base + softplus(u, NULL);
}

static double log_palive(const double *p, int m, double x, double t_x, double T)
{
	if (!params_ok(p))
		return NAN;
	return -softplus(ll_u(p, m, x, t_x, T), NULL);
}

/* E[X(t)] of a new BG/NBD customer: sum_{n>=1} P(N = n) S_n, N ~ NBD(r, z =
 * t/(alpha+t)), S_n = sum_{j<n} g_j, g_j = B(a, b+j)/B(a,b). P(N = n) runs
 * scaled by e^-lscale so that a P(N = 0) below the smallest double (large r)
 * still starts the recurrence. */
static double expected_new(double r, double alpha, double a, double b, double t)
{
	if (!(t >= 0) || isinf(t))
		return NAN;
	if (t == 0)
		return 0;
	/* The rescalings are counted, not added to lscale one by one: each
	 * addition would round to an ulp of |lscale| (1e-10 at r = 1e6, with
	 * some 1,500 rescalings: 1e-8 of the result). What remains is the
	 * rounding of lscale itself and of z, about r ulps. */
	double z = t / (alpha + t), lscale = -r * log1p(t / alpha);
	double pn = 1, g = 1, s = 0, sum = 0;
	long n_rescaled = 0;
	for (long n = 1; n < MAX_TERMS; n++) {
		s += g;
		g *= (b + n - 1) / (a + b + n - 1);
		pn *= z * (r + n - 1) / n;
		double term = pn * s;
		sum += term;
		if (pn > 0x1p600) {
			pn *= 0x1p-600;
			sum *= 0x1p-600;
			n_rescaled++;
		}
		/* rho bounds the ratio of every later term to the one before:
		 * z (r+k)/(k+1) is monotone towards z, and S_{k+1}/S_k <= 1 + 1/k
		 * because g falls. The rest is then below term rho / (1 - rho). */
		double q = (r + n) / (n + 1); /* not fmax: a library call */
		double rho = z * (q > 1 ? q : 1) * (1.0 + 1.0 / n);
		if (rho < 1 && term * rho <= 1e-17 * (1 - rho) * sum)
			return sum > 0 ? exp(log(sum) + (lscale + (double)n_rescaled * 600 * M_LN2))
			               : 0;
	}
	return NAN;
}

/* log I_x(a, b), the regularized incomplete beta function, from its
 * continued fraction (DLMF 8.17.22) by the modified Lentz method, on the
 * side of the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) where it converges fast.
 * y = 1 - x, lx = log x and l1x = log y are passed in for their accuracy. */
static double log_ibeta(double x, double y, double lx, double l1x, double a, double b)
{
	if (x <= 0)
		return -INFINITY;
	if (y <= 0)
		return 0;
	int is_swapped = x > (a + 1) / (a + b + 2);
	if (is_swapped) {
		double t = a;
		a = b;
		b = t;
		t = lx;
		lx = l1x;
		l1x = t;
		x = y;
	}
	const double tiny = 1e-300;
	double f = 1, c = 1, d = 0;
	int is_done = 0;
	for (long j = 1; j < 100000 && !is_done; j++) {
		long k = j / 2;
		double dj = j % 2 == 0
		                    ? k * (b - k) * x / ((a + 2 * k - 1) * (a + 2 * k))
		                    : -(a + k) * (a + b + k) * x / ((a + 2 * k) * (a + 2 * k + 1));
		d = 1 + dj * d;
		if (fabs(d) < tiny)
			d = tiny;
		d = 1 / d;
		c = 1 + dj / c;
		if (fabs(c) < tiny)
			c = tiny;
		double delta = c * d;
		f *= delta;
		is_done = fabs(delta - 1) < 1e-16;
	}
	if (!is_done)
		return NAN;
	double l = a * lx + b * l1x - log(a) - rebuy__lbeta(a, b) - log(f);
	return is_swapped ? rebuy__logsubexp(0, l) : l;
}

/* P(X(t) = n) for a new BG/NBD customer (FHL eq. 8):
 *   B(a,b+n)/B(a,b) P(N = n) + [n > 0] B(a+1,b+n-1)/B(a,b) P(N >= n),
 * with P(N >= n) = I_z(n, r). */
static double pmf_new(double r, double alpha, double a, double b, double t, int n)
{
	if (!(t >= 0) || isinf(t))
		return NAN;
	if (n < 0)
		return 0;
	if (t == 0)
		return n == 0;
	double l1z = -log1p(t / alpha), lz = log(t) - log(alpha + t);
	double lnbd =
	        rebuy__lgamma_ratio(r, n) - rebuy__lgamma(n + 1.0) + r * l1z + (n > 0 ? n * lz : 0);
	double p = exp(lbeta_ratio(a, b, n) + lnbd);
	if (n == 0)
		return p;
	double ltail = log_ibeta(t / (alpha + t), alpha / (alpha + t), lz, l1z, n, r);
	return p + exp(lbeta_ratio(a, b, n - 1) + log(a / (a + b + n - 1)) + ltail);
}

static double cet(const double *p, int m, double x, double t_x, double T, double t)
{
	if (!params_ok(p))
		return NAN;
	double lp = log_palive(p, m, x, t_x, T);
	return exp(lp) * expected_new(p[0] + x, p[1] + T, p[2], p[3] + x + m, t);
}

static double expected(const double *p, int m, double t)
{
	if (!params_ok(p))
		return NAN;
	double r = p[0], alpha = p[1], a = p[2], b = p[3];
	/* MBG/NBD: survive the first purchase (P = b/(a+b)), then p ~ Beta(a, b+1). */
	return m ? b / (a + b) * expected_new(r, alpha, a, b + 1, t)
	         : expected_new(r, alpha, a, b, t);
}

static double pmf(const double *p, int m, double t, int n)
{
	if (!params_ok(p))
		return NAN;
	double r = p[0], alpha = p[1], a = p[2], b = p[3];
	if (!m)
		return pmf_new(r, alpha, a, b, t, n);
	return (n == 0 ? a / (a + b) : 0) + b / (a + b) * pmf_new(r, alpha, a, b + 1, t, n);
}

static double cond_pmf(const double *p, int m, double x, double t_x, double T, double t, int n)
{
	if (!params_ok(p))
		return NAN;
	double u;
	ll_parts(p, m, x, t_x, T, &u);
	double sig, lp = -softplus(u, &sig); /* sig = P(dead at T) */
	double alive = exp(lp) * pmf_new(p[0] + x, p[1] + T, p[2], p[3] + x + m, t, n);
	return (n == 0 ? sig : 0) + alive;
}

double rebuy__bgnbd_ll(const double *p, double x, double t_x, double T)
{
	return ll_one(p, 0, x, t_x, T);
}

double rebuy__bgnbd_log_palive(const double *p, double x, double t_x, double T)
{
	return log_palive(p, 0, x, t_x, T);
}

double rebuy__bgnbd_cet(const double *p, double x, double t_x, double T, double t)
{
	return cet(p, 0, x, t_x, T, t);
}

double rebuy__bgnbd_cet_alive(const double *p, double x, double T, double t)
{
	return params_ok(p) ? expected_new(p[0] + x, p[1] + T, p[2], p[3] + x, t) : NAN;
}

double rebuy__bgnbd_expected(const double *p, double t)
{
	return expected(p, 0, t);
}

double rebuy__bgnbd_pmf(const double *p, double t, int n)
{
	return pmf(p, 0, t, n);
}

double rebuy__bgnbd_cond_pmf(const double *p, double x, double t_x, double T, double t, int n)
{
	return cond_pmf(p, 0, x, t_x, T, t, n);
}

double rebuy__mbgnbd_ll(const double *p, double x, double t_x, double T)
{
	return ll_one(p, 1, x, t_x, T);
}

double rebuy__mbgnbd_log_palive(const double *p, double x, double t_x, double T)
{
	return log_palive(p, 1, x, t_x, T);
}

double rebuy__mbgnbd_cet(const double *p, double x, double t_x, double T, double t)
{
	return cet(p, 1, x, t_x, T, t);
}

double rebuy__mbgnbd_cet_alive(const double *p, double x, double T, double t)
{
	return params_ok(p) ? expected_new(p[0] + x, p[1] + T, p[2], p[3] + x + 1, t) : NAN;
}

double rebuy__mbgnbd_expected(const double *p, double t)
{
	return expected(p, 1, t);
}

double rebuy__mbgnbd_pmf(const double *p, double t, int n)
{
	return pmf(p, 1, t, n);
}

double rebuy__mbgnbd_cond_pmf(const double *p, double x, double t_x, double T, double t, int n)
{
	return cond_pmf(p, 1, x, t_x, T, t, n);
}

/* ------------------------------------------------------------------------
 * The fit. prepare maps each row to its distinct x and to the distinct
 * times of its t_x and T, so that a call computes the lgammas and digammas
 * once per distinct x and the logs once per distinct time; a row is then
 * one exp and one log1p. */

struct state {
	size_t n_rows, n_x, n_times;
	uint32_t *ix, *itx, *iT;        /* per row */
	struct rebuy__pair *xs, *times; /* distinct values, in .a */
};

static void state_free(void *state)
{
	struct state *s = state;
	if (!s)
		return;
	rebuy__free(s->ix);
	rebuy__free(s->xs);
	rebuy__free(s->times);
	rebuy__free(s);
}

static enum rebuy_status prepare(const struct rebuy__clv_rows *rows, void **out)
{
	*out = NULL;
	struct rebuy__pair_table ux = {0}, ut = {0};
	enum rebuy_status st = REBUY_ENOMEM;
	struct state *s = rebuy__calloc(1, sizeof *s);
	size_t n_idx;
	if (!s || rebuy__mul_overflows(rows->n ? rows->n : 1, 3 * sizeof *s->ix, &n_idx))
		goto out;
	if (!(s->ix = rebuy__malloc(n_idx)))
		goto out;
	s->n_rows = rows->n;
	s->itx = s->ix + rows->n;
	s->iT = s->itx + rows->n;
	for (size_t i = 0; i < rows->n; i++) {
		if ((st = rebuy__pair_add(&ux, rows->x[i], 0, &s->ix[i])) != REBUY_OK ||
		    (st = rebuy__pair_add(&ut, rows->t_x[i], 0, &s->itx[i])) != REBUY_OK ||
		    (st = rebuy__pair_add(&ut, rows->T[i], 0, &s->iT[i])) != REBUY_OK)
			goto out;
	}
	s->n_x = ux.n;
	s->n_times = ut.n;
	s->xs = ux.vals;
	s->times = ut.vals;
	ux.vals = ut.vals = NULL;
	*out = s;
	s = NULL;
	st = REBUY_OK;
out:
	rebuy__pair_table_release(&ux);
	rebuy__pair_table_release(&ut);
	state_free(s);
	return st;
}

/* Per distinct x, with q = r + x and x' = x + m (row terms in brackets):
 *   ll   = k - r P_T - x L_T + softplus(u),  u = lc + q (L_T - L_tx)
 *   r dr = dr - r P_T + r s (L_T - L_tx)                s = sigmoid(u)
 *   alpha d alpha = r G_T - x H_T + s q (G_tx - G_T)
 *   a da = da + s,  b db = db - s eb
 * with L = log(alpha + time), P = log1p(time / alpha), H = alpha / (alpha +
 * time), G = time / (alpha + time), and L_T - L_tx by log1p when q is large:
 * the forms without r log alpha - (r + x) log(alpha + T), which are
 * differences of numbers near 1e19 when r runs to infinity. */
enum { X_K, X_Q, X_X, X_LC, X_DR, X_DA, X_DB, X_EB, X_N };

struct call {
	const struct state *s;
	const double *w;
	const double *xt; /* n_x * X_N */
	/* per distinct time t: log(alpha + t), log1p(t / alpha), alpha / (alpha
	 * + t) and t / (alpha + t) */
	const double *l, *lp, *h, *g;
	const double *times;
	double alpha;
	double r;
};

static void fill_x(const double *p, int m, double x, double *o)
{
	double r = p[0], a = p[2], b = p[3], xp = x + m;
	o[X_K] = rebuy__lgamma_ratio(r, x) + lbeta_ratio(a, b, xp);
	o[X_Q] = r + x;
	o[X_X] = x; /* not q - r, which rounds x away when r is large */
	o[X_LC] = xp > 0 ? log(a) - log(b + xp - 1) : -INFINITY;
	o[X_DR] = r * rebuy__digamma_ratio(r, x);
	o[X_DA] = -a * rebuy__digamma_ratio(a + b, xp);
	o[X_DB] = b * lbeta_ratio_db(a, b, xp);
	o[X_EB] = xp > 0 ? b / (b + xp - 1) : 0;
}

static void chunk(void *ud, size_t lo, size_t hi, double *acc)
{
	const struct call *c = ud;
	const struct state *s = c->s;
	const double *w = c->w, *l = c->l, *lp = c->lp, *h = c->h, *g = c->g;
	double r = c->r;
	double ll = 0, llc = 0, gr = 0, ga = 0, gaa = 0, gb = 0;
	for (size_t i = lo; i < hi; i++) {
		double wi = w ? w[i] : 1.0;
		if (wi == 0)
			continue;
		const double *xt = c->xt + (size_t)s->ix[i] * X_N;
		uint32_t jt = s->itx[i], jT = s->iT[i];
		double lT = l[jT], q = xt[X_Q], hT = h[jT], d = lT - l[jt];
		/* log((alpha + T) / (alpha + t_x)) by log1p where q times the
		 * logs would round to more than 1e-13 */
		if (q * fabs(lT) >= 1e3)
			d = log1p((c->times[jT] - c->times[jt]) / (c->alpha + c->times[jt]));
		double sig, sp = softplus_fit(xt[X_LC] + q * d, &sig);
		/* Neumaier's compensated sum: near the optimum the fit compares
		 * objectives that differ by less than a plain sum's rounding. */
		double term = wi * (xt[X_K] - r * lp[jT] - xt[X_X] * lT + sp), t = ll + term;
		llc += fabs(ll) >= fabs(term) ? (ll - t) + term : (term - t) + ll;
		ll = t;
		gr += wi * (xt[X_DR] - r * lp[jT] + r * sig * d);
		ga += wi * (r * g[jT] - xt[X_X] * hT + sig * q * (g[jt] - g[jT]));
		gaa += wi * (xt[X_DA] + sig);
		gb += wi * (xt[X_DB] - sig * xt[X_EB]);
	}
	acc[0] += ll + llc;
	acc[1] += gr;
	acc[2] += ga;
	acc[3] += gaa;
	acc[4] += gb;
}

static enum rebuy_status loglik(const double *p, int m, const struct rebuy__clv_rows *rows,
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
	size_t n_buf = s->n_x * X_N + 5 * s->n_times;
	if (!(buf = rebuy__malloc((n_buf ? n_buf : 1) * sizeof *buf))) {
		st = REBUY_ENOMEM;
		goto out;
	}
	double *l = buf + s->n_x * X_N, *lp = l + s->n_times, *h = lp + s->n_times,
	       *g = h + s->n_times, *times = g + s->n_times;
	for (size_t j = 0; j < s->n_x; j++)
		fill_x(p, m, s->xs[j].a, buf + j * X_N);
	for (size_t j = 0; j < s->n_times; j++) {
		double t = s->times[j].a;
		l[j] = log(p[1] + t);
		lp[j] = log1p(t / p[1]);
		h[j] = p[1] / (p[1] + t);
		g[j] = t / (p[1] + t);
		times[j] = t;
	}
	struct call c = {.s = s,
	                 .w = rows->w,
	                 .xt = buf,
	                 .l = l,
	                 .lp = lp,
	                 .h = h,
	                 .g = g,
	                 .times = times,
	                 .r = p[0],
	                 .alpha = p[1]};
	double sums[5];
	if ((st = rebuy__clv_sum(n_threads, s->n_rows, 5, chunk, &c, sums)) != REBUY_OK)
		goto out;
	*ll = sums[0];
	if (grad)
		memcpy(grad, sums + 1, 4 * sizeof *grad);
out:
	rebuy__free(buf);
	state_free(own);
	return st;
}

static enum rebuy_status loglik_bg(const double *p, const struct rebuy__clv_rows *rows,
                                   const void *state, unsigned n_threads, double *ll, double *grad)
{
	return loglik(p, 0, rows, state, n_threads, ll, grad);
}

static enum rebuy_status loglik_mbg(const double *p, const struct rebuy__clv_rows *rows,
                                    const void *state, unsigned n_threads, double *ll, double *grad)
{
	return loglik(p, 1, rows, state, n_threads, ll, grad);
}

/* r = 1 and alpha from the mean purchase rate, so the first purchase-rate
 * guess is of the right size in any time unit; a = 1, b = 3 (a mean dropout
 * chance of 1/4 per purchase). */
static void start(const struct rebuy__clv_rows *rows, double *p)
{
	double sx = 0, sT = 0;
	for (size_t i = 0; i < rows->n; i++) {
		double wi = rows->w ? rows->w[i] : 1.0;
		sx += wi * rows->x[i];
		sT += wi * rows->T[i];
	}
	double alpha = sx > 0 && sT > 0 ? sT / sx : 1.0;
	p[0] = 1;
	p[1] = fmin(fmax(alpha, 1e-3), 1e6);
	p[2] = 1;
	p[3] = 3;
}

static const char *const param_names[] = {"r", "alpha", "a", "b"};

const struct rebuy__clv_model rebuy__model_bgnbd = {
        .name = "bgnbd",
        .n_params = 4,
        .param_names = param_names,
        .prepare = prepare,
        .release = state_free,
        .loglik = loglik_bg,
        .start = start,
};

const struct rebuy__clv_model rebuy__model_mbgnbd = {
        .name = "mbgnbd",
        .n_params = 4,
        .param_names = param_names,
        .prepare = prepare,
        .release = state_free,
        .loglik = loglik_mbg,
        .start = start,
};
