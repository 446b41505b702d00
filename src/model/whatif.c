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
 *
 * A scenario (rebuy_clv_whatif, the formulas in rebuy/clv.h) is one
 * prediction pass: the dropout change makes a model, the frequency change
 * divides every customer's posterior rate scale alpha + T by (1 + f) inside
 * the prediction (rebuy__clv_predict_scaled), and the spend change scales
 * each expected spend before the CLV is formed. Why the frequency change
 * cannot be a changed alpha: refitting the history with alpha / (1 + f)
 * would also change P(alive | history) and the rate's posterior, as if the
 * customers had bought faster in the past too. For the record, the exact
 * consequences: with lambda' = c lambda from T on, the Pareto/NBD's
 * E[X(t) | alive, lambda, mu] = c lambda / mu (1 - e^(-mu t)) is c times
 * the old one, and so are its discounted integral and a new customer's
 * E[X(t)] = r beta / (alpha' (s - 1)) (1 - (beta / (beta + t))^(s - 1)) with
 * alpha' = alpha / c; the BG/NBD's purchases and dropouts both come at
 * rate c lambda (a dropout happens at a purchase), so X'(t) = X(c t) in
 * distribution.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "model/clv_int.h"
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

enum rebuy_status rebuy_clv_shift_dropout(const struct rebuy_clv_fit *fit, double change,
                                          struct rebuy_clv_fit *out, struct rebuy_error *err)
{
	if ((unsigned)fit->model >= REBUY_CLV_MODEL_COUNT)
		return rebuy_error_set(err, REBUY_EARG, "unknown model");
	if (!(change > -1) || !isfinite(change))
		return rebuy_error_set(err, REBUY_EARG, "the dropout change must be > -100%% (got %g%%)",
		                       100 * change);
	*out = *fit;
	if (change == 0)
		return REBUY_OK;
	int k = dropout_param(fit->model);
	const double *p = fit->est.params;
	double scaled;
	if (fit->model == REBUY_CLV_PNBD) {
		scaled = p[k] / (1 + change);
	} else {
		double a = p[k - 1], b = p[k];
		scaled = (a + b) / (1 + change) - a;
		if (!(scaled > 0))
			return rebuy_error_set(err, REBUY_EARG,
			                       "the mean dropout probability is %.4g%%: %+g%% of it would "
			                       "be 100%% or more",
			                       100 * a / (a + b), 100 * change);
	}
	if (!isfinite(scaled) || !(scaled > 0))
		return rebuy_error_set(err, REBUY_EARG,
		                       "a dropout change of %+g%% leaves no valid parameter", 100 * change);
	out->est.params[k] = scaled;
	out->est.has_cov = 0;
	for (int i = 0; i < REBUY_CLV_MAX_PARAMS; i++)
		out->est.se[i] = NAN;
	snprintf(out->est.status, sizeof out->est.status,
	         "dropout x %.6g: %s %.6g instead of %.6g", 1 + change,
	         out->est.names[k] ? out->est.names[k] : "dropout parameter", scaled, p[k]);
	return REBUY_OK;
}

/* ---- scenarios ---- */

/* A compensated sum (Neumaier's variant of Kahan's): the total does not
 * depend on the rounding noise of the order, and values that are NaN
 * (no spend model) are left out. */
struct csum {
	double s, c;
};

static void csum_add(struct csum *a, double v)
{
	if (!(v == v))
		return;
	double t = a->s + v;
	a->c += fabs(a->s) >= fabs(v) ? (a->s - t) + v : (v - t) + a->s;
	a->s = t;
}

static enum rebuy_status check_scenario(const struct rebuy_clv_fit *fit,
                                        const struct rebuy_clv_scenario *sc,
                                        struct rebuy_error *err)
{
	if (sc->retention_points != 0 && sc->dropout_change != 0)
		return rebuy_error_set(err, REBUY_EARG,
		                       "give the retention change once: as points of survival or as a "
		                       "relative dropout change, not both");
	if (!(sc->frequency_change > -1) || !isfinite(sc->frequency_change))
		return rebuy_error_set(err, REBUY_EARG,
		                       "the frequency change must be > -100%% (got %g%%)",
		                       100 * sc->frequency_change);
	if (!(sc->spend_change > -1) || !isfinite(sc->spend_change))
		return rebuy_error_set(err, REBUY_EARG, "the spend change must be > -100%% (got %g%%)",
		                       100 * sc->spend_change);
	if (sc->frequency_change != 0 &&
	    (fit->model == REBUY_CLV_BGBB || fit->model == REBUY_CLV_SBG))
		return rebuy_error_set(err, REBUY_EARG,
		                       "%s has no purchase rate: a frequency change needs bgnbd, "
		                       "mbgnbd or pnbd",
		                       rebuy_clv_model_name(fit->model));
	return REBUY_OK;
}

/* The new customers' share alive after t under the scenario: the changed
 * model, with the rate's prior scale alpha / (1 + f). */
static double scenario_survival(const struct rebuy_clv_fit *changed, double f, double t)
{
	struct rebuy_clv_fit g = *changed;
	if (f != 0 && (g.model == REBUY_CLV_BGNBD || g.model == REBUY_CLV_MBGNBD ||
	               g.model == REBUY_CLV_PNBD))
		g.est.params[1] /= 1 + f;
	return rebuy_clv_survival(&g, t);
}

enum rebuy_status rebuy_clv_whatif(const struct rebuy_clv_fit *fit, const struct rebuy_clv_data *d,
                                   const struct rebuy_clv_predict_options *opts,
                                   const struct rebuy_clv_scenario *sc,
                                   struct rebuy_clv_prediction *pred, struct rebuy_clv_whatif *out,
                                   struct rebuy_error *err)
{
	memset(out, 0, sizeof *out);
	enum rebuy_status st = check_scenario(fit, sc, err);
	if (st)
		return st;
	int discrete = fit->model == REBUY_CLV_BGBB || fit->model == REBUY_CLV_SBG;
	double t = sc->retention_t > 0 ? sc->retention_t
	           : discrete      ? 1
	                           : 365.25 / rebuy_time_unit_days(d->unit);
	out->survival_t = t;
	out->survival_before = rebuy_clv_survival(fit, t);
	if (sc->retention_points != 0)
		st = rebuy_clv_shift_retention(fit, t, sc->retention_points, &out->fit, err);
	else if (sc->dropout_change != 0)
		st = rebuy_clv_shift_dropout(fit, sc->dropout_change, &out->fit, err);
	else
		out->fit = *fit;
	if (st)
		return st;
	out->survival_after = scenario_survival(&out->fit, sc->frequency_change, t);
	struct rebuy_clv_prediction *p = pred;
	if (!p && !(p = rebuy__malloc((d->n ? d->n : 1) * sizeof *p)))
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	st = rebuy__clv_predict_scaled(&out->fit, d, opts, 1 + sc->frequency_change, p, err);
	if (st == REBUY_OK) {
		struct csum n = {0}, e = {0}, r = {0}, v = {0};
		double m = 1 + sc->spend_change;
		for (size_t i = 0; i < d->n; i++) {
			struct rebuy_clv_prediction *q = &p[i];
			if (m != 1) {
				q->expected_spend *= m;
				q->clv = opts->margin * q->expected_spend * q->discounted_purchases;
			}
			double w = d->w ? d->w[i] : 1;
			csum_add(&n, w);
			csum_add(&e, w * q->expected_purchases);
			csum_add(&r, w * q->expected_purchases * q->expected_spend);
			csum_add(&v, w * q->clv);
		}
		out->customers = n.s + n.c;
		out->expected_purchases = e.s + e.c;
		out->expected_revenue = r.s + r.c;
		out->clv = v.s + v.c;
	}
	if (p != pred)
		rebuy__free(p);
	return st;
}
