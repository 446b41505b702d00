/* How many new customers a fitted model keeps, and the same model with
 * fewer of them dropping out: the "what is better retention worth"
 * computation behind the report and `rebuy whatif`.
 *
 * The share of new customers still alive t after the first purchase:
 *   pnbd: the dropout time is exponential with rate mu ~ Gamma(s, beta), so
 *     S(t) = (beta / (beta + t))^s (Schmittlein, Morrison & Colombo 1987).
 *   bgnbd: a customer with purchase rate lambda and dropout probability p is
 *     alive at t when none of her Poisson(lambda t) repeat purchases ended
 *     her: E[(1 - p)^N] = exp(-lambda p t); over lambda ~ Gamma(r, alpha)
 *     that is (1 + p t / alpha)^-r, and over p ~ Beta(a, b) Euler's integral
 *     makes it 2F1(r, a; a + b; -t / alpha) (Fader, Hardie & Lee 2005 give
 *     the model; the integral is Abramowitz & Stegun 15.3.1). Pfaff's
 *     transformation (A&S 15.3.4) turns it into
 *       (1 + t/alpha)^-r 2F1(r, b; a + b; w),  w = (t/alpha) / (1 + t/alpha),
 *     a series of positive terms with ratio below w < 1.
 *   mbgnbd: the customer may also drop at the first purchase, one more
 *     factor (1 - p): b / (a + b) (1 + t/alpha)^-r 2F1(r, b + 1; a + b + 1; w)
 *     (Batislam, Denizel & Filiztekin 2007).
 *   bgbb: alive after n opportunities with dropout theta ~ Beta(gamma,
 *     delta): B(gamma, delta + n) / B(gamma, delta) (Fader, Hardie & Shang
 *     2010); sbg: the same with (alpha, beta) (Fader & Hardie 2007).
 *
 * Better retention lowers every customer's dropout: the Beta's second
 * shape (b, delta, beta of sbg) or the Gamma's scale (beta of pnbd) grows,
 * which makes the dropout stochastically smaller and S(t) larger at every
 * t. The factor that lifts S(t) by the asked points is found by bisection
 * on its logarithm; S is increasing in it and tends to 1.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/sbg.h"
#include "rebuy/clv.h"

/* 2F1(A, B; C; w) for A, B, C > 0 and 0 <= w < 1 by its series; NaN when
 * it has not converged after 10 million terms (w within 1e-6 of 1). */
static double hyp2f1_series(double A, double B, double C, double w)
{
	double sum = 1, term = 1;
	for (long k = 0; k < 10000000; k++) {
		term *= (A + k) * (B + k) / ((C + k) * (k + 1)) * w;
		sum += term;
		/* Once the ratio is below 1 the remainder is at most term * q / (1 - q). */
		double q = (A + k + 1) * (B + k + 1) / ((C + k + 1) * (k + 2)) * w;
		if (q < 1 && term * q / (1 - q) < 1e-16 * sum)
			return sum;
	}
	return NAN;
}

static double bgnbd_alive(const double *p, double t, int modified)
{
	double r = p[0], alpha = p[1], a = p[2], b = p[3];
	if (t == 0)
		return modified ? b / (a + b) : 1;
	double z = t / alpha, w = z / (1 + z);
	double lead = exp(-r * log1p(z));
	if (!modified)
		return lead * hyp2f1_series(r, b, a + b, w);
	return b / (a + b) * lead * hyp2f1_series(r, b + 1, a + b + 1, w);
}

static double beta_ratio_alive(double g, double d, double n)
{
	return exp(lgamma(d + n) + lgamma(g + d) - lgamma(d) - lgamma(g + d + n));
}

double rebuy_clv_survival(const struct rebuy_clv_fit *fit, double t)
{
	const double *p = fit->est.params;
	if (!(t >= 0))
		return NAN;
	switch (fit->model) {
	case REBUY_CLV_SBG: return rebuy__sbg_survival(p, t);
	case REBUY_CLV_PNBD:
		return t == INFINITY ? 0 : exp(-p[2] * log1p(t / p[3]));
	case REBUY_CLV_BGNBD:
	case REBUY_CLV_MBGNBD:
		return t == INFINITY ? 0 : bgnbd_alive(p, t, fit->model == REBUY_CLV_MBGNBD);
	case REBUY_CLV_BGBB:
		return t == INFINITY ? 0 : beta_ratio_alive(p[2], p[3], floor(t));
	default: return NAN;
	}
}

/* The parameter better retention raises. */
static int dropout_param(enum rebuy_clv_model m)
{
	return m == REBUY_CLV_SBG ? 1 : 3;
}

enum rebuy_status rebuy_clv_shift_retention(const struct rebuy_clv_fit *fit, double t,
                                            double points, struct rebuy_clv_fit *out,
                                            struct rebuy_error *err)
{
	if ((unsigned)fit->model >= REBUY_CLV_MODEL_COUNT)
		return rebuy_error_set(err, REBUY_EARG, "unknown model");
	if (!(t > 0) || !isfinite(t))
		return rebuy_error_set(err, REBUY_EARG, "the retention horizon must be > 0 (got %g)",
		                       t);
	if (!(points >= 0) || !(points < 1))
		return rebuy_error_set(err, REBUY_EARG,
		                       "the retention lift must be in [0, 1) (got %g)", points);
	double s0 = rebuy_clv_survival(fit, t);
	if (!isfinite(s0))
		return rebuy_error_set(err, REBUY_EARG,
		                       "the share of customers alive after %g time units cannot be "
		                       "computed for these parameters",
		                       t);
	double target = s0 + points;
	if (!(target < 1))
		return rebuy_error_set(err, REBUY_EARG,
		                       "%.1f%% of customers are alive after %g time units: %g points "
		                       "more would be 100%% or more",
		                       100 * s0, t, 100 * points);
	*out = *fit;
	if (points == 0)
		return REBUY_OK;
	int k = dropout_param(fit->model);
	double base = fit->est.params[k];
	/* lo: S(base e^lo) < target; hi: S >= target. */
	double lo = 0, hi = 1;
	for (;;) {
		out->est.params[k] = base * exp(hi);
		double s = rebuy_clv_survival(out, t);
		if (!isfinite(s))
			return rebuy_error_set(err, REBUY_EARG,
			                       "the lifted retention cannot be computed for these "
			                       "parameters");
		if (s >= target)
			break;
		lo = hi;
		hi *= 2;
		if (hi > 700)
			return rebuy_error_set(err, REBUY_EARG,
			                       "no lower dropout rate lifts retention by %g points",
			                       100 * points);
	}
	for (int it = 0; it < 200 && hi - lo > 1e-13 * (1 + hi); it++) {
		double mid = 0.5 * (lo + hi);
		out->est.params[k] = base * exp(mid);
		double s = rebuy_clv_survival(out, t);
		if (!isfinite(s))
			return rebuy_error_set(err, REBUY_EARG,
			                       "the lifted retention cannot be computed for these "
			                       "parameters");
		if (s >= target)
			hi = mid;
		else
			lo = mid;
	}
	out->est.params[k] = base * exp(hi);
	/* The standard errors and covariance belong to the fitted parameters. */
	out->est.has_cov = 0;
	for (int i = 0; i < REBUY_CLV_MAX_PARAMS; i++)
		out->est.se[i] = NAN;
	snprintf(out->est.status, sizeof out->est.status,
	         "%s x %.6g: %.4g%% of new customers alive after %g time units instead of %.4g%%",
	         out->est.names[k] ? out->est.names[k] : "dropout parameter", exp(hi),
	         100 * rebuy_clv_survival(out, t), t, 100 * s0);
	return REBUY_OK;
}
