/* Per-customer predictions from a fitted model, and the calibration /
 * holdout validation; see rebuy/clv.h and docs/predict.md.
 *
 * Discounted expected purchases, the CLV's middle factor:
 *   pnbd: continuous discounting at delta = log(1 + annual rate) per year,
 *     integral over (0, h] of exp(-delta u) dCET(u); a customer alive at T
 *     buys at rate E[lambda | alive] = (r + x) / (alpha + T) and survives u
 *     more with probability ((beta + T) / (beta + T + u))^s, so the integral
 *     is P(alive) (r + x) / (alpha + T) K(T), K(T) = integral of
 *     exp(-delta u) ((beta + T) / (beta + T + u))^s over (0, h]: DERT
 *     (Fader, Hardie & Lee 2005) when h is infinite. K depends on T only and
 *     is computed once per distinct T by Gauss-Legendre quadrature.
 *   bgnbd, mbgnbd: a sum over months of the expected purchases in each month,
 *     discounted to the month's end at the annual rate.
 *   bgbb: a sum over opportunities, discounted per opportunity (DERL for an
 *     infinite horizon, Fader, Hardie & Shang 2010).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/parallel.h"
#include "model/bgbb.h"
#include "model/bgnbd.h"
#include "model/gg.h"
#include "model/pnbd.h"
#include "rebuy/clv.h"

#define DAYS_PER_YEAR 365.25
#define CHUNK 2048

void rebuy_clv_predict_options_init(struct rebuy_clv_predict_options *o)
{
	memset(o, 0, sizeof *o);
	o->margin = 1;
	o->discount_rate = 0.1;
	o->n_pmf = 0;
}

static double units_per_year(enum rebuy_time_unit unit)
{
	return DAYS_PER_YEAR / rebuy_time_unit_days(unit);
}

double rebuy_clv_expected_purchases(const struct rebuy_clv_fit *fit, double x, double t_x, double T,
                                    double t)
{
	const double *p = fit->est.params;
	switch (fit->model) {
	case REBUY_CLV_BGNBD: return rebuy__bgnbd_cet(p, x, t_x, T, t);
	case REBUY_CLV_MBGNBD: return rebuy__mbgnbd_cet(p, x, t_x, T, t);
	case REBUY_CLV_PNBD: return rebuy__pnbd_cet(p, x, t_x, T, t);
	case REBUY_CLV_BGBB: return rebuy__bgbb_cet(p, x, t_x, T, t);
	default: return NAN;
	}
}

double rebuy_clv_expected_new(const struct rebuy_clv_fit *fit, double t)
{
	const double *p = fit->est.params;
	switch (fit->model) {
	case REBUY_CLV_BGNBD: return rebuy__bgnbd_expected(p, t);
	case REBUY_CLV_MBGNBD: return rebuy__mbgnbd_expected(p, t);
	case REBUY_CLV_PNBD: return rebuy__pnbd_expected(p, t);
	case REBUY_CLV_BGBB: return rebuy__bgbb_expected(p, t);
	default: return NAN;
	}
}

static double log_palive(const struct rebuy_clv_fit *fit, double x, double t_x, double T)
{
	const double *p = fit->est.params;
	switch (fit->model) {
	case REBUY_CLV_BGNBD: return rebuy__bgnbd_log_palive(p, x, t_x, T);
	case REBUY_CLV_MBGNBD: return rebuy__mbgnbd_log_palive(p, x, t_x, T);
	case REBUY_CLV_PNBD: return rebuy__pnbd_log_palive(p, x, t_x, T);
	case REBUY_CLV_BGBB: return rebuy__bgbb_log_palive(p, x, t_x, T);
	default: return NAN;
	}
}

static double cond_pmf(const struct rebuy_clv_fit *fit, double x, double t_x, double T, double t,
                       int n)
{
	const double *p = fit->est.params;
	switch (fit->model) {
	case REBUY_CLV_BGNBD: return rebuy__bgnbd_cond_pmf(p, x, t_x, T, t, n);
	case REBUY_CLV_MBGNBD: return rebuy__mbgnbd_cond_pmf(p, x, t_x, T, t, n);
	case REBUY_CLV_PNBD: return rebuy__pnbd_cond_pmf(p, x, t_x, T, t, n);
	default: return NAN;
	}
}

struct pjob {
	const struct rebuy_clv_fit *fit;
	const struct rebuy_clv_data *d;
	const struct rebuy_clv_predict_options *o;
	struct rebuy_clv_prediction *out;
	double h, clv_h, delta; /* horizon, CLV horizon, pnbd discount rate per unit */
	double month;           /* a month in time units */
	double *uniq_T, *k_T;   /* pnbd: distinct T and K(T) */
	size_t n_uniq;
};

static double pnbd_k(const struct pjob *j, double T)
{
	size_t lo = 0, hi = j->n_uniq;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (j->uniq_T[mid] < T)
			lo = mid + 1;
		else
			hi = mid;
	}
	return j->k_T[lo];
}

static double discounted(const struct pjob *j, double x, double t_x, double T, double pa)
{
	const struct rebuy_clv_fit *fit = j->fit;
	const double *p = fit->est.params;
	if (fit->model == REBUY_CLV_PNBD)
		return pa * (p[0] + x) / (p[1] + T) * pnbd_k(j, T);
	if (fit->model == REBUY_CLV_BGBB) {
		if (isinf(j->clv_h))
			return rebuy__bgbb_derl(p, x, t_x, T, j->o->discount_rate);
		double sum = 0, prev = 0;
		for (double i = 1; i <= j->clv_h; i++) {
			double c = rebuy__bgbb_cet(p, x, t_x, T, i);
			sum += (c - prev) / pow(1 + j->o->discount_rate, i);
			prev = c;
		}
		return sum;
	}
	/* Months, the last one cut at the horizon. */
	double sum = 0, prev = 0, upy = units_per_year(j->d->unit);
	for (double t = 0; t < j->clv_h;) {
		t = fmin(t + j->month, j->clv_h);
		double c = rebuy_clv_expected_purchases(fit, x, t_x, T, t);
		sum += (c - prev) * pow(1 + j->o->discount_rate, -t / upy);
		prev = c;
	}
	return sum;
}

static enum rebuy_status predict_chunk(void *ud, size_t item, unsigned thread)
{
	(void)thread;
	const struct pjob *j = ud;
	const struct rebuy_clv_fit *fit = j->fit;
	const struct rebuy_clv_data *d = j->d;
	const double *p = fit->est.params;
	size_t lo = item * CHUNK, hi = lo + CHUNK < d->n ? lo + CHUNK : d->n;
	for (size_t i = lo; i < hi; i++) {
		struct rebuy_clv_prediction *r = &j->out[i];
		double x = d->x[i], t_x = d->t_x[i], T = d->T[i];
		r->log_p_alive = log_palive(fit, x, t_x, T);
		r->p_alive = exp(r->log_p_alive);
		r->expected_purchases = rebuy_clv_expected_purchases(fit, x, t_x, T, j->h);
		if (fit->model == REBUY_CLV_BGBB) {
			/* No purchase in h opportunities: dead, or alive and no hit. */
			r->p_no_purchase = NAN;
			for (int n = 0; n < REBUY_CLV_MAX_PMF; n++)
				r->pmf[n] = NAN;
			r->next_purchase = NAN;
		} else {
			r->p_no_purchase = cond_pmf(fit, x, t_x, T, j->h, 0);
			for (int n = 0; n < j->o->n_pmf && n < REBUY_CLV_MAX_PMF; n++)
				r->pmf[n] = n == 0 ? r->p_no_purchase
				                   : cond_pmf(fit, x, t_x, T, j->h, n);
			for (int n = j->o->n_pmf; n < REBUY_CLV_MAX_PMF; n++)
				r->pmf[n] = NAN;
			/* Given alive, lambda ~ Gamma(r + x, alpha + T): the wait is
			 * Lomax, median (alpha + T)(2^(1 / (r + x)) - 1). */
			r->next_purchase = (p[1] + T) * expm1(M_LN2 / (p[0] + x));
		}
		r->expected_spend = NAN;
		if (fit->has_spend) {
			double m = d->monetary ? d->monetary[i] : 0;
			r->expected_spend =
			        x > 0 && m > 0 ? rebuy__gg_expected_spend(fit->spend.params, x, m)
			                       : rebuy__gg_population_mean(fit->spend.params);
		}
		r->discounted_purchases = discounted(j, x, t_x, T, r->p_alive);
		r->clv = j->o->margin * r->expected_spend * r->discounted_purchases;
	}
	return REBUY_OK;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

enum rebuy_status rebuy_clv_predict(const struct rebuy_clv_fit *fit, const struct rebuy_clv_data *d,
                                    const struct rebuy_clv_predict_options *o,
                                    struct rebuy_clv_prediction *out, struct rebuy_error *err)
{
	if (fit->model == REBUY_CLV_SBG)
		return rebuy_error_set(
		        err, REBUY_EARG,
		        "sbg describes a cohort of contracts, not customers: rebuy fit "
		        "--model sbg prints its survival and retention");
	struct pjob j = {.fit = fit, .d = d, .o = o, .out = out};
	double upy = fit->model == REBUY_CLV_BGBB ? 1 : units_per_year(d->unit);
	j.h = o->horizon > 0 ? o->horizon : upy;
	j.clv_h = o->clv_horizon > 0 ? o->clv_horizon : j.h;
	j.month = upy / 12;
	if (!isfinite(j.h))
		return rebuy_error_set(err, REBUY_EARG, "the prediction horizon must be finite");
	if (isinf(j.clv_h) && fit->model != REBUY_CLV_PNBD && fit->model != REBUY_CLV_BGBB)
		return rebuy_error_set(
		        err, REBUY_EARG,
		        "an unlimited CLV horizon needs pnbd or bgbb (closed forms); "
		        "give --clv-horizon in time units");
	if (fit->model == REBUY_CLV_BGBB && isfinite(j.clv_h) && j.clv_h != floor(j.clv_h))
		return rebuy_error_set(err, REBUY_EARG, "bgbb horizons are whole opportunities");
	if (!(o->discount_rate > -1))
		return rebuy_error_set(err, REBUY_EARG, "the discount rate must be above -1");
	enum rebuy_status st = REBUY_OK;
	if (fit->model == REBUY_CLV_PNBD && d->n) {
		j.delta = log1p(o->discount_rate) / upy;
		j.uniq_T = rebuy__malloc(d->n * sizeof *j.uniq_T);
		j.k_T = rebuy__malloc(d->n * sizeof *j.k_T);
		if (!j.uniq_T || !j.k_T) {
			st = REBUY_ENOMEM;
			goto out;
		}
		memcpy(j.uniq_T, d->T, d->n * sizeof *j.uniq_T);
		qsort(j.uniq_T, d->n, sizeof *j.uniq_T, cmp_double);
		size_t u = 0;
		for (size_t i = 0; i < d->n; i++)
			if (u == 0 || j.uniq_T[i] != j.uniq_T[u - 1])
				j.uniq_T[u++] = j.uniq_T[i];
		j.n_uniq = u;
		const double *p = fit->est.params;
		for (size_t i = 0; i < u; i++)
			j.k_T[i] = rebuy__pnbd_discount_factor(p[3] + j.uniq_T[i], p[2], j.delta,
			                                       j.clv_h);
	}
	unsigned threads = o->n_threads ? o->n_threads : rebuy__cpu_count();
	st = rebuy__parallel_for(threads, (d->n + CHUNK - 1) / CHUNK, predict_chunk, &j);
out:
	rebuy__free(j.uniq_T);
	rebuy__free(j.k_T);
	if (st != REBUY_OK)
		return rebuy_error_set(err, st, "out of memory");
	return REBUY_OK;
}

/* ---- holdout ---- */

void rebuy_clv_holdout_free(struct rebuy_clv_holdout *h)
{
	if (!h)
		return;
	rebuy__free(h->tracking);
	rebuy__free(h);
}

static enum rebuy_status tracking(const struct rebuy_clv_fit *fit, const struct rebuy_clv_data *d,
                                  struct rebuy_clv_holdout *h)
{
	double unit_days = rebuy_time_unit_days(d->unit);
	size_t n_points = (size_t)ceil((double)d->n_days / unit_days);
	if (n_points == 0)
		return REBUY_OK;
	/* Customers per first purchase day. */
	double *cohort = rebuy__calloc(d->n_days, sizeof *cohort);
	h->tracking = rebuy__calloc(n_points, sizeof *h->tracking);
	if (!cohort || !h->tracking) {
		rebuy__free(cohort);
		return REBUY_ENOMEM;
	}
	for (size_t i = 0; i < d->n; i++)
		cohort[d->first_day[i] - d->day0] += d->w[i];
	double actual_cum = 0;
	for (size_t k = 0; k < n_points; k++) {
		struct rebuy_clv_tracking_point *pt = &h->tracking[k];
		/* The period covers days [k u, (k + 1) u); a whole day counts when
		 * it starts inside. */
		size_t a = (size_t)ceil((double)k * unit_days);
		size_t b = (size_t)ceil((double)(k + 1) * unit_days);
		if (b > d->n_days)
			b = d->n_days;
		double actual = 0;
		for (size_t day = a; day < b; day++)
			actual += d->repeat_by_day[day];
		actual_cum += actual;
		pt->day = d->day0 + (int64_t)b - 1;
		pt->t = (double)b / unit_days;
		/* By the end of day b - 1, a customer whose first purchase was on
		 * day f has been a customer for (b - 1 - f) days (purchases on the
		 * first day's later days count from the next day on). */
		double e = 0;
		for (size_t f = 0; f < b; f++)
			if (cohort[f] > 0)
				e += cohort[f] *
				     rebuy_clv_expected_new(fit, (double)(b - 1 - f) / unit_days);
		pt->actual = actual;
		pt->actual_cum = actual_cum;
		pt->expected_cum = e;
		pt->expected = k ? e - h->tracking[k - 1].expected_cum : e;
	}
	h->n_tracking = n_points;
	rebuy__free(cohort);
	return REBUY_OK;
}

enum rebuy_status rebuy_clv_holdout(const struct rebuy_clv_fit *fit, const struct rebuy_clv_data *d,
                                    unsigned n_threads, struct rebuy_clv_holdout **out,
                                    struct rebuy_error *err)
{
	*out = NULL;
	if (!d->x_holdout || !(d->holdout_length > 0))
		return rebuy_error_set(
		        err, REBUY_EARG,
		        "no holdout period: give a calibration end before the last "
		        "purchase (or a summary with x_holdout and --holdout-length)");
	if (fit->model == REBUY_CLV_SBG || fit->model == REBUY_CLV_BGBB)
		return rebuy_error_set(err, REBUY_EARG,
		                       "holdout validation is for purchase histories");
	struct rebuy_clv_holdout *h = rebuy__calloc(1, sizeof *h);
	struct rebuy_clv_prediction *pred = rebuy__malloc((d->n ? d->n : 1) * sizeof *pred);
	enum rebuy_status st = REBUY_ENOMEM;
	if (!h || !pred)
		goto fail;
	struct rebuy_clv_predict_options po;
	rebuy_clv_predict_options_init(&po);
	po.horizon = d->holdout_length;
	po.n_threads = n_threads;
	/* Only expected purchases are needed; the rest is cheap next to them. */
	if ((st = rebuy_clv_predict(fit, d, &po, pred, err)) != REBUY_OK)
		goto fail_quiet;
	h->length = d->holdout_length;
	double se = 0, se_naive = 0;
	for (size_t i = 0; i < d->n; i++) {
		double w = d->w[i], act = d->x_holdout[i], exp_ = pred[i].expected_purchases;
		double naive = d->T[i] > 0 ? d->x[i] / d->T[i] * d->holdout_length : 0;
		int bin = d->x[i] >= REBUY_CLV_HOLDOUT_BINS - 1 ? REBUY_CLV_HOLDOUT_BINS - 1
		                                                : (int)d->x[i];
		struct rebuy_clv_holdout_bin *b = &h->by_x[bin];
		b->customers += w;
		b->actual += w * act;
		b->expected += w * exp_;
		b->naive += w * naive;
		h->customers += w;
		h->total_actual += w * act;
		h->total_expected += w * exp_;
		h->total_naive += w * naive;
		h->mae += w * fabs(exp_ - act);
		h->mae_naive += w * fabs(naive - act);
		se += w * (exp_ - act) * (exp_ - act);
		se_naive += w * (naive - act) * (naive - act);
	}
	for (int k = 0; k < REBUY_CLV_HOLDOUT_BINS; k++) {
		struct rebuy_clv_holdout_bin *b = &h->by_x[k];
		if (b->customers > 0) {
			b->actual /= b->customers;
			b->expected /= b->customers;
			b->naive /= b->customers;
		}
	}
	if (h->customers > 0) {
		h->mae /= h->customers;
		h->mae_naive /= h->customers;
		h->rmse = sqrt(se / h->customers);
		h->rmse_naive = sqrt(se_naive / h->customers);
	}
	if (d->repeat_by_day && d->first_day && (st = tracking(fit, d, h)) != REBUY_OK)
		goto fail;
	rebuy__free(pred);
	*out = h;
	return REBUY_OK;
fail:
	rebuy_error_set(err, st, "out of memory");
fail_quiet:
	rebuy__free(pred);
	rebuy_clv_holdout_free(h);
	return st;
}
