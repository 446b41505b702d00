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
#include "core/rng.h"
#include "model/bgbb.h"
#include "model/clv_int.h"
#include "model/bgnbd.h"
#include "model/gg.h"
#include "model/optim.h"
#include "model/pairs.h"
#include "model/pnbd.h"
#include "model/sbg.h"
#include "rebuy/clv.h"

#define DAYS_PER_YEAR 365.25

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

double rebuy_clv_retention(const struct rebuy_clv_fit *fit, double t)
{
	return fit->model == REBUY_CLV_SBG ? rebuy__sbg_retention(fit->est.params, t) : NAN;
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

double rebuy_clv_p_alive(const struct rebuy_clv_fit *fit, double x, double t_x, double T)
{
	return exp(log_palive(fit, x, t_x, T));
}

/* What a customer alive at T, with x repeat purchases, does next depends on
 * (x, T) only: the posterior of the purchase rate is Gamma(r + x, alpha +
 * T) and that of the dropout Beta(a, b + x) (bgnbd; b + x + 1 for mbgnbd,
 * which can drop at the first purchase) or Gamma(s, beta + T) (pnbd), and
 * from T on she is a new customer of the model at those parameters. So
 * every prediction is P(alive) times a quantity of the distinct (x, T)
 * pair, computed once per pair (a million customers have some tens of
 * thousands), plus (1 - P(alive)) for "no purchase". */
enum { F_E, F_P0, F_DISC, F_NEXT, F_PMF };

struct pjob {
	const struct rebuy_clv_fit *fit;
	const struct rebuy_clv_data *d;
	const struct rebuy_clv_predict_options *o;
	struct rebuy_clv_prediction *out; /* entries first .. first + count - 1 of d */
	size_t first, count;
	unsigned threads;
	double h, clv_h, delta; /* horizon, CLV horizon, pnbd discount rate per unit */
	double rate_scale;      /* future purchase rates x this (what-if); 1: as fitted */
	double month, upy;      /* a month and a year in time units */
	int n_pmf;
	/* continuous models */
	const struct rebuy__pair *pairs; /* distinct (x, T) */
	size_t n_pairs, width;           /* F_PMF + n_pmf values per pair */
	uint32_t *pair_of;               /* per customer */
	double *fut;                     /* n_pairs x width */
	double *lpa;                     /* pnbd: log P(alive) per customer */
	double *uniq_T, *k_T;            /* pnbd: distinct T of the pairs and K(T) */
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

/* The parameters of a new customer equivalent to one alive at T after x. */
static void posterior(const struct rebuy_clv_fit *fit, double x, double T, double *q)
{
	const double *p = fit->est.params;
	q[0] = p[0] + x;
	q[1] = p[1] + T;
	q[2] = p[2];
	q[3] = fit->model == REBUY_CLV_PNBD     ? p[3] + T
	       : fit->model == REBUY_CLV_MBGNBD ? p[3] + x + 1
	                                        : p[3] + x;
}

static double new_expected(const struct rebuy_clv_fit *fit, const double *q, double t)
{
	return fit->model == REBUY_CLV_PNBD ? rebuy__pnbd_expected(q, t)
	                                    : rebuy__bgnbd_expected(q, t);
}

static double new_pmf(const struct rebuy_clv_fit *fit, const double *q, double t, int n)
{
	return fit->model == REBUY_CLV_PNBD ? rebuy__pnbd_pmf(q, t, n) : rebuy__bgnbd_pmf(q, t, n);
}

static enum rebuy_status pair_chunk(void *ud, size_t item, unsigned thread)
{
	(void)thread;
	const struct pjob *j = ud;
	const struct rebuy_clv_fit *fit = j->fit;
	size_t lo = item * 256, hi = lo + 256 < j->n_pairs ? lo + 256 : j->n_pairs;
	for (size_t k = lo; k < hi; k++) {
		double x = j->pairs[k].a, T = j->pairs[k].b, q[4], *f = j->fut + k * j->width;
		posterior(fit, x, T, q);
		q[1] /= j->rate_scale; /* the rate's scale: rate_scale x Gamma(r + x, alpha + T) */
		f[F_E] = new_expected(fit, q, j->h);
		f[F_P0] = new_pmf(fit, q, j->h, 0);
		for (int n = 1; n < j->n_pmf; n++)
			f[F_PMF + n] = new_pmf(fit, q, j->h, n);
		/* Given alive, lambda ~ Gamma(r + x, alpha + T): the wait is
		 * Lomax, median (alpha + T)(2^(1 / (r + x)) - 1). */
		f[F_NEXT] = q[1] * expm1(M_LN2 / q[0]);
		if (fit->model == REBUY_CLV_PNBD) {
			f[F_DISC] = q[0] / q[1] * pnbd_k(j, T);
		} else {
			/* Months, the last one cut at the horizon. */
			double sum = 0, prev = 0;
			for (double t = 0; t < j->clv_h;) {
				t = fmin(t + j->month, j->clv_h);
				double c = new_expected(fit, q, t);
				sum += (c - prev) * pow(1 + j->o->discount_rate, -t / j->upy);
				prev = c;
			}
			f[F_DISC] = sum;
		}
	}
	return REBUY_OK;
}

static void spend(const struct pjob *j, size_t i, struct rebuy_clv_prediction *r)
{
	const struct rebuy_clv_fit *fit = j->fit;
	r->expected_spend = NAN;
	if (fit->has_spend) {
		double x = j->d->x[i], m = j->d->monetary ? j->d->monetary[i] : 0;
		r->expected_spend = x > 0 && m > 0
		                            ? rebuy__gg_expected_spend(fit->spend.params, x, m)
		                            : rebuy__gg_population_mean(fit->spend.params);
	}
	r->clv = j->o->margin * r->expected_spend * r->discounted_purchases;
}

#define CHUNK 4096

static enum rebuy_status customer_chunk(void *ud, size_t item, unsigned thread)
{
	(void)thread;
	const struct pjob *j = ud;
	const struct rebuy_clv_data *d = j->d;
	size_t end = j->first + j->count, lo = j->first + item * CHUNK;
	size_t hi = lo + CHUNK < end ? lo + CHUNK : end;
	for (size_t i = lo; i < hi; i++) {
		struct rebuy_clv_prediction *r = &j->out[i - j->first];
		const double *f = j->fut + (size_t)j->pair_of[i] * j->width;
		double lpa = j->lpa ? j->lpa[i] : log_palive(j->fit, d->x[i], d->t_x[i], d->T[i]);
		double pa = exp(lpa);
		r->log_p_alive = lpa;
		r->p_alive = pa;
		r->expected_purchases = pa * f[F_E];
		r->p_no_purchase = -expm1(lpa) + pa * f[F_P0];
		for (int n = 0; n < REBUY_CLV_MAX_PMF; n++)
			r->pmf[n] = n >= j->n_pmf ? NAN
			            : n == 0      ? r->p_no_purchase
			                          : pa * f[F_PMF + n];
		r->next_purchase = f[F_NEXT];
		r->discounted_purchases = pa * f[F_DISC];
		spend(j, i, r);
	}
	return REBUY_OK;
}

/* BG/BB: few distinct rows (opportunities are few), one at a time. */
static enum rebuy_status bgbb_chunk(void *ud, size_t item, unsigned thread)
{
	(void)thread;
	const struct pjob *j = ud;
	const struct rebuy_clv_data *d = j->d;
	const double *p = j->fit->est.params;
	size_t end = j->first + j->count, lo = j->first + item * CHUNK;
	size_t hi = lo + CHUNK < end ? lo + CHUNK : end;
	for (size_t i = lo; i < hi; i++) {
		struct rebuy_clv_prediction *r = &j->out[i - j->first];
		double x = d->x[i], t_x = d->t_x[i], T = d->T[i];
		r->log_p_alive = rebuy__bgbb_log_palive(p, x, t_x, T);
		r->p_alive = exp(r->log_p_alive);
		r->expected_purchases = rebuy__bgbb_cet(p, x, t_x, T, j->h);
		r->p_no_purchase = NAN;
		for (int n = 0; n < REBUY_CLV_MAX_PMF; n++)
			r->pmf[n] = NAN;
		r->next_purchase = NAN;
		if (isinf(j->clv_h)) {
			r->discounted_purchases =
			        rebuy__bgbb_derl(p, x, t_x, T, j->o->discount_rate);
		} else {
			double sum = 0, prev = 0;
			for (double k = 1; k <= j->clv_h; k++) {
				double c = rebuy__bgbb_cet(p, x, t_x, T, k);
				sum += (c - prev) / pow(1 + j->o->discount_rate, k);
				prev = c;
			}
			r->discounted_purchases = sum;
		}
		spend(j, i, r);
	}
	return REBUY_OK;
}

static int cmp_double_nan_last(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	if (isnan(x) || isnan(y))
		return isnan(x) - isnan(y);
	return x < y ? -1 : x > y;
}

static enum rebuy_status prepare_pairs(struct pjob *j, unsigned threads)
{
	const struct rebuy_clv_data *d = j->d;
	const struct rebuy_clv_fit *fit = j->fit;
	struct rebuy__pair_table t = {0};
	enum rebuy_status st = REBUY_ENOMEM;
	if (!(j->pair_of = rebuy__malloc((d->n ? d->n : 1) * sizeof *j->pair_of)))
		return st;
	for (size_t i = 0; i < d->n; i++)
		if ((st = rebuy__pair_add(&t, d->x[i], d->T[i], &j->pair_of[i])) != REBUY_OK)
			goto out;
	j->n_pairs = t.n;
	j->pairs = t.vals;
	st = REBUY_ENOMEM;
	if (fit->model == REBUY_CLV_PNBD) {
		struct rebuy__clv_rows rows = {d->n, d->x, d->t_x, d->T, NULL};
		if (!(j->lpa = rebuy__malloc((d->n ? d->n : 1) * sizeof *j->lpa)) ||
		    (st = rebuy__pnbd_log_palive_rows(fit->est.params, &rows, threads, j->lpa)))
			goto out;
		st = REBUY_ENOMEM;
		/* K(T) once per distinct T. */
		if (!(j->uniq_T = rebuy__malloc((t.n ? t.n : 1) * sizeof *j->uniq_T)) ||
		    !(j->k_T = rebuy__malloc((t.n ? t.n : 1) * sizeof *j->k_T)))
			goto out;
		for (size_t k = 0; k < t.n; k++)
			j->uniq_T[k] = t.vals[k].b;
		qsort(j->uniq_T, t.n, sizeof *j->uniq_T, cmp_double_nan_last);
		size_t u = 0;
		for (size_t k = 0; k < t.n; k++)
			if (u == 0 || j->uniq_T[k] != j->uniq_T[u - 1])
				j->uniq_T[u++] = j->uniq_T[k];
		j->n_uniq = u;
		const double *p = fit->est.params;
		for (size_t k = 0; k < u; k++)
			j->k_T[k] = rebuy__pnbd_discount_factor(p[3] + j->uniq_T[k], p[2], j->delta,
			                                        j->clv_h);
	}
	j->width = F_PMF + (size_t)(j->n_pmf > 1 ? j->n_pmf : 1);
	if (!(j->fut = rebuy__malloc((t.n ? t.n : 1) * j->width * sizeof *j->fut)))
		goto out;
	st = rebuy__parallel_for(threads, (t.n + 255) / 256, pair_chunk, j);
out:
	if (j->pairs == t.vals)
		t.vals = NULL; /* j->pairs owns them (a failure inside the loop above leaves them to t) */
	rebuy__pair_table_release(&t);
	return st;
}

struct rebuy_clv_predictor {
	struct pjob j;
};

void rebuy_clv_predictor_free(struct rebuy_clv_predictor *p)
{
	if (!p)
		return;
	rebuy__free(p->j.pair_of);
	rebuy__free((void *)p->j.pairs);
	rebuy__free(p->j.fut);
	rebuy__free(p->j.lpa);
	rebuy__free(p->j.uniq_T);
	rebuy__free(p->j.k_T);
	rebuy__free(p);
}

enum rebuy_status rebuy__clv_predictor_new(const struct rebuy_clv_fit *fit,
                                           const struct rebuy_clv_data *d,
                                           const struct rebuy_clv_predict_options *o,
                                           double rate_scale, struct rebuy_clv_predictor **out,
                                           struct rebuy_error *err)
{
	*out = NULL;
	if (fit->model == REBUY_CLV_SBG)
		return rebuy_error_set(
		        err, REBUY_EARG,
		        "sbg describes a cohort of contracts, not customers: rebuy fit "
		        "--model sbg prints its survival and retention");
	if (!(rate_scale > 0) || !isfinite(rate_scale))
		return rebuy_error_set(err, REBUY_EARG,
		                       "the purchase rate factor must be > 0 (got %g)", rate_scale);
	if (fit->model == REBUY_CLV_BGBB && rate_scale != 1)
		return rebuy_error_set(err, REBUY_EARG,
		                       "bgbb has a purchase probability per opportunity, not a rate: "
		                       "a frequency change needs bgnbd, mbgnbd or pnbd");
	struct pjob j = {.fit = fit, .d = d, .o = o, .rate_scale = rate_scale};
	j.upy = fit->model == REBUY_CLV_BGBB ? 1 : units_per_year(d->unit);
	j.h = o->horizon > 0 ? o->horizon : j.upy;
	j.clv_h = o->clv_horizon > 0 ? o->clv_horizon : j.h;
	j.month = j.upy / 12;
	j.n_pmf = o->n_pmf < 0 ? 0 : o->n_pmf > REBUY_CLV_MAX_PMF ? REBUY_CLV_MAX_PMF : o->n_pmf;
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
	j.delta = log1p(o->discount_rate) / j.upy;
	j.threads = o->n_threads ? o->n_threads : rebuy__cpu_count();
	struct rebuy_clv_predictor *p = rebuy__calloc(1, sizeof *p);
	if (!p)
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	p->j = j;
	enum rebuy_status st = REBUY_OK;
	if (fit->model != REBUY_CLV_BGBB)
		st = prepare_pairs(&p->j, p->j.threads);
	if (st != REBUY_OK) {
		rebuy_clv_predictor_free(p);
		return rebuy_error_set(err, st, "out of memory");
	}
	*out = p;
	return REBUY_OK;
}

enum rebuy_status rebuy_clv_predictor_new(const struct rebuy_clv_fit *fit,
                                          const struct rebuy_clv_data *d,
                                          const struct rebuy_clv_predict_options *opts,
                                          struct rebuy_clv_predictor **out,
                                          struct rebuy_error *err)
{
	return rebuy__clv_predictor_new(fit, d, opts, 1, out, err);
}

enum rebuy_status rebuy_clv_predictor_run(struct rebuy_clv_predictor *p, size_t first, size_t n,
                                          struct rebuy_clv_prediction *out,
                                          struct rebuy_error *err)
{
	struct pjob *j = &p->j;
	if (first > j->d->n || n > j->d->n - first)
		return rebuy_error_set(err, REBUY_EARG,
		                       "predictions for entries %zu..%zu of %zu asked", first,
		                       first + n, j->d->n);
	j->out = out;
	j->first = first;
	j->count = n;
	enum rebuy_status st = rebuy__parallel_for(
	        j->threads, (n + CHUNK - 1) / CHUNK,
	        j->fit->model == REBUY_CLV_BGBB ? bgbb_chunk : customer_chunk, j);
	if (st != REBUY_OK)
		return rebuy_error_set(err, st, "out of memory");
	return REBUY_OK;
}

enum rebuy_status rebuy__clv_predict_scaled(const struct rebuy_clv_fit *fit,
                                            const struct rebuy_clv_data *d,
                                            const struct rebuy_clv_predict_options *o,
                                            double rate_scale, struct rebuy_clv_prediction *out,
                                            struct rebuy_error *err)
{
	struct rebuy_clv_predictor *p;
	enum rebuy_status st = rebuy__clv_predictor_new(fit, d, o, rate_scale, &p, err);
	if (st == REBUY_OK)
		st = rebuy_clv_predictor_run(p, 0, d->n, out, err);
	rebuy_clv_predictor_free(p);
	return st;
}

enum rebuy_status rebuy_clv_predict(const struct rebuy_clv_fit *fit, const struct rebuy_clv_data *d,
                                    const struct rebuy_clv_predict_options *o,
                                    struct rebuy_clv_prediction *out, struct rebuy_error *err)
{
	return rebuy__clv_predict_scaled(fit, d, o, 1, out, err);
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
	uint32_t *order = NULL;
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
	/* The sums over customers in the order of their values, so that they
	 * do not depend on the customers' order. */
	const double *cols[] = {d->x, d->t_x, d->T, d->x_holdout, d->w};
	if ((st = rebuy__clv_value_order(cols, sizeof cols / sizeof *cols, d->n, &order)) !=
	    REBUY_OK)
		goto fail;
	h->length = d->holdout_length;
	double se = 0, se_naive = 0;
	for (size_t k = 0; k < d->n; k++) {
		size_t i = order[k];
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
	rebuy__free(order);
	rebuy__free(pred);
	*out = h;
	return REBUY_OK;
fail:
	rebuy_error_set(err, st, "out of memory");
fail_quiet:
	rebuy__free(order);
	rebuy__free(pred);
	rebuy_clv_holdout_free(h);
	return st;
}

/* ---- parametric-bootstrap intervals ---- */

/* A parameter draw: exp(log estimate + L z), L the Cholesky factor of the
 * covariance of the log parameters. 0 when the covariance is not definite. */
static int draw_params(const struct rebuy_clv_estimate *e, struct rebuy__rng *rng, double *out)
{
	int n = e->n_params;
	double l[REBUY_CLV_MAX_PARAMS * REBUY_CLV_MAX_PARAMS], z[REBUY_CLV_MAX_PARAMS];
	memcpy(l, e->cov_log, sizeof l);
	if (!e->has_cov || !rebuy__cholesky(n, l))
		return 0;
	for (int i = 0; i < n; i++)
		z[i] = rebuy__rng_normal(rng);
	for (int i = 0; i < n; i++) {
		double y = log(e->params[i]);
		for (int j = 0; j <= i; j++)
			y += l[i * n + j] * z[j];
		out[i] = exp(y);
	}
	return 1;
}

/* The central `level` share of v[0..n) (sorted here; NaN last): quantiles
 * by linear interpolation between order statistics (type 7). NaN when fewer
 * than half the draws gave a number. */
static void central(double *v, int n, double level, double *lo, double *hi)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double_nan_last);
	int m = 0;
	while (m < n && !isnan(v[m]))
		m++;
	if (2 * m < n || m < 2) {
		*lo = *hi = NAN;
		return;
	}
	double q[2] = {(1 - level) / 2, (1 + level) / 2}, *o[2] = {lo, hi};
	for (int k = 0; k < 2; k++) {
		double h = (m - 1) * q[k];
		int i = (int)h;
		*o[k] = i + 1 < m ? v[i] + (h - i) * (v[i + 1] - v[i]) : v[m - 1];
	}
}

#define INTERVAL_BLOCK 8192

enum rebuy_status
rebuy_clv_predict_intervals(const struct rebuy_clv_fit *fit, const struct rebuy_clv_data *d,
                            const struct rebuy_clv_predict_options *o, int draws, double level,
                            uint64_t seed, struct rebuy_clv_interval *out, struct rebuy_error *err)
{
	if (draws < 10 || draws > 10000)
		return rebuy_error_set(err, REBUY_EARG, "intervals take 10 to 10,000 draws");
	if (!(level > 0 && level < 1))
		return rebuy_error_set(err, REBUY_EARG,
		                       "the interval level must be between 0 and 1");
	if (!fit->est.has_cov || (fit->has_spend && !fit->spend.has_cov))
		return rebuy_error_set(err, REBUY_EARG,
		                       "intervals need the parameters' covariance, and the fit's "
		                       "Hessian is not definite (%s)",
		                       fit->est.has_cov ? fit->spend.status : fit->est.status);
	struct rebuy_clv_fit *fits = rebuy__malloc((size_t)draws * sizeof *fits);
	size_t block = d->n < INTERVAL_BLOCK ? (d->n ? d->n : 1) : INTERVAL_BLOCK;
	double *ve = rebuy__malloc((size_t)draws * block * sizeof *ve);
	double *vc = rebuy__malloc((size_t)draws * block * sizeof *vc);
	struct rebuy_clv_prediction *pred = rebuy__malloc(block * sizeof *pred);
	enum rebuy_status st = REBUY_ENOMEM;
	if (!fits || !ve || !vc || !pred) {
		rebuy_error_set(err, st, "out of memory");
		goto out;
	}
	struct rebuy__rng rng;
	rebuy__rng_seed(&rng, seed);
	for (int b = 0; b < draws; b++) {
		fits[b] = *fit;
		if (!draw_params(&fit->est, &rng, fits[b].est.params) ||
		    (fit->has_spend && !draw_params(&fit->spend, &rng, fits[b].spend.params))) {
			st = rebuy_error_set(err, REBUY_EARG, "the covariance is not definite");
			goto out;
		}
	}
	struct rebuy_clv_predict_options po = *o;
	po.n_pmf = 0;
	for (size_t lo = 0; lo < d->n; lo += block) {
		size_t m = d->n - lo < block ? d->n - lo : block;
		/* The customers lo .. lo + m as data of their own. */
		struct rebuy_clv_data v = *d;
		v.n = m;
		v.x = d->x + lo;
		v.t_x = d->t_x + lo;
		v.T = d->T + lo;
		v.w = d->w + lo;
		v.monetary = d->monetary ? d->monetary + lo : NULL;
		v.x_holdout = d->x_holdout ? d->x_holdout + lo : NULL;
		v.keys = d->keys ? d->keys + lo : NULL;
		v.first_day = d->first_day ? d->first_day + lo : NULL;
		for (int b = 0; b < draws; b++) {
			if ((st = rebuy_clv_predict(&fits[b], &v, &po, pred, err)) != REBUY_OK)
				goto out;
			for (size_t i = 0; i < m; i++) {
				ve[i * (size_t)draws + (size_t)b] = pred[i].expected_purchases;
				vc[i * (size_t)draws + (size_t)b] = pred[i].clv;
			}
		}
		for (size_t i = 0; i < m; i++) {
			struct rebuy_clv_interval *r = &out[lo + i];
			central(ve + i * (size_t)draws, draws, level, &r->expected_lo,
			        &r->expected_hi);
			r->clv_lo = r->clv_hi = NAN;
			if (fit->has_spend)
				central(vc + i * (size_t)draws, draws, level, &r->clv_lo,
				        &r->clv_hi);
		}
	}
	st = REBUY_OK;
out:
	rebuy__free(fits);
	rebuy__free(ve);
	rebuy__free(vc);
	rebuy__free(pred);
	return st;
}
