/* Purchases per future period from a fitted customer-lifetime model
 * (include/rebuy/forecast.h): the existing base's conditional expectation
 * E[X(t) | x, t_x, T] (Fader, Hardie & Lee 2005, eq. 10 for the BG/NBD) at
 * each period end, differenced; new customers by the unconditional E[X(t)]
 * of a customer acquired at the middle of its period. The intervals
 * simulate every customer's future from the model's posterior. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "act/stats.h"
#include "core/mem.h"
#include "core/rng.h"
#include "model/bgnbd.h"
#include "model/pairs.h"
#include "model/pnbd.h"
#include "rebuy/clv.h"
#include "rebuy/date.h"
#include "rebuy/forecast.h"
#include "rebuy/summary.h"

static enum rebuy_status check_periods(const double *t_start, const double *t_end, size_t h,
                                       struct rebuy_error *err)
{
	for (size_t k = 0; k < h; k++)
		if (!(t_start[k] >= 0 && t_end[k] > t_start[k] &&
		      (k == 0 || t_start[k] >= t_end[k - 1])))
			return rebuy_error_set(
			        err, REBUY_EARG,
			        "clv forecast: period %zu runs from %g to %g, not after "
			        "the one before",
			        k + 1, t_start[k], t_end[k]);
	return REBUY_OK;
}

/* New customers' purchases per period: each counted at its period's
 * midpoint with its first purchase and its expected repeat purchases. */
static void fresh_of(const struct rebuy_clv_fit *fit, const double *t_start, const double *t_end,
                     size_t h, const double *new_customers, double *fresh)
{
	for (size_t k = 0; k < h; k++) {
		double v = new_customers[k];
		for (size_t j = 0; j <= k; j++) {
			double mid = 0.5 * (t_start[j] + t_end[j]);
			double hi = t_end[k] - mid, lo = (k == 0 ? t_start[0] : t_end[k - 1]) - mid;
			if (lo < 0)
				lo = 0;
			if (hi > lo)
				v += new_customers[j] * (rebuy_clv_expected_new(fit, hi) -
				                         rebuy_clv_expected_new(fit, lo));
		}
		fresh[k] = v;
	}
}

/* The BG/NBD family's base, cumulative at each t_end, without a series per
 * customer and period. Its conditional expectation is P(alive) times the
 * expectation of a customer alive at T, and the second factor depends on x
 * and T only: it is computed once per distinct (x, T) (far fewer than
 * customers: x counts purchases and T takes one value per day of first
 * purchase; model/pairs.h finds them), P(alive) once per customer, and the
 * products summed in row order, so every sum has the bits of the plain
 * loop over rebuy_clv_expected_purchases (1M customers: 0.1 s instead of
 * 1.6 s). */
static enum rebuy_status base_by_history(const struct rebuy_clv_fit *fit,
                                         const struct rebuy_clv_data *d, const double *t_end,
                                         size_t h, double *cum, struct rebuy_error *err)
{
	const double *p = fit->est.params;
	int mbg = fit->model == REBUY_CLV_MBGNBD;
	struct rebuy__pair_table seen = {0};
	double *vals = NULL; /* h values per distinct (x, T), in order of first sight */
	size_t cap_vals = 0;
	enum rebuy_status st = REBUY_OK;
	for (size_t k = 0; k < h; k++)
		cum[k] = 0;
	for (size_t i = 0; i < d->n && st == REBUY_OK; i++) {
		double x = d->x[i], T = d->T[i];
		size_t n_before = seen.n;
		uint32_t j;
		if ((st = rebuy__pair_add(&seen, x, T, &j)) ||
		    (seen.n > n_before && (st = rebuy__grow((void **)&vals, &cap_vals, seen.n,
		                                            h * sizeof *vals, SIZE_MAX))))
			break;
		double *v = vals + (size_t)j * h;
		if (seen.n > n_before)
			for (size_t k = 0; k < h; k++)
				v[k] = mbg ? rebuy__mbgnbd_cet_alive(p, x, T, t_end[k])
				           : rebuy__bgnbd_cet_alive(p, x, T, t_end[k]);
		double alive = exp(mbg ? rebuy__mbgnbd_log_palive(p, x, d->t_x[i], T)
		                       : rebuy__bgnbd_log_palive(p, x, d->t_x[i], T));
		for (size_t k = 0; k < h; k++)
			cum[k] += d->w[i] * (alive * v[k]);
	}
	rebuy__pair_table_release(&seen);
	rebuy__free(vals);
	if (st)
		return rebuy_error_set(err, st, "clv forecast: %s",
		                       st == REBUY_ENOMEM
		                               ? "out of memory"
		                               : "more distinct histories than it can hold");
	return REBUY_OK;
}

enum rebuy_status rebuy_clv_forecast(const struct rebuy_clv_fit *fit,
                                     const struct rebuy_clv_data *d, const double *t_start,
                                     const double *t_end, size_t h, const double *new_customers,
                                     double *base, double *fresh, struct rebuy_error *err)
{
	if (fit->model == REBUY_CLV_SBG || fit->model == REBUY_CLV_BGBB)
		return rebuy_error_set(
		        err, REBUY_EARG,
		        "clv forecast: the %s model has no purchase counts per period",
		        rebuy_clv_model_name(fit->model));
	enum rebuy_status st = check_periods(t_start, t_end, h, err);
	if (st)
		return st;
	if (fit->model == REBUY_CLV_BGNBD || fit->model == REBUY_CLV_MBGNBD) {
		if ((st = base_by_history(fit, d, t_end, h, base, err)))
			return st;
	} else if (fit->model == REBUY_CLV_PNBD) {
		/* P(alive) once per customer, the rest is a closed form */
		const double *p = fit->est.params;
		for (size_t k = 0; k < h; k++)
			base[k] = 0;
		for (size_t i = 0; i < d->n; i++) {
			double lpa = rebuy__pnbd_log_palive(p, d->x[i], d->t_x[i], d->T[i]);
			for (size_t k = 0; k < h; k++)
				base[k] += d->w[i] *
				           rebuy__pnbd_cet_from(p, lpa, d->x[i], d->T[i], t_end[k]);
		}
	} else {
		for (size_t k = 0; k < h; k++) {
			double cum = 0;
			for (size_t i = 0; i < d->n; i++)
				cum += d->w[i] * rebuy_clv_expected_purchases(fit, d->x[i],
				                                              d->t_x[i], d->T[i],
				                                              t_end[k]);
			base[k] = cum;
		}
	}
	double prev = 0;
	for (size_t k = 0; k < h; k++) {
		double cum = base[k];
		base[k] = cum - prev;
		prev = cum;
	}
	if (!new_customers || !fresh)
		return REBUY_OK;
	fresh_of(fit, t_start, t_end, h, new_customers, fresh);
	return REBUY_OK;
}

/* The period (0..h-1) holding time t, or -1 (before, between or after). */
static long period_of(const double *t_start, const double *t_end, size_t h, double t)
{
	size_t lo = 0, hi = h;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t > t_end[mid])
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < h && t > t_start[lo] ? (long)lo : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Type 7 quantile of sorted v[0..n). */
static double quantile7(const double *v, size_t n, double q)
{
	double h = (double)(n - 1) * q;
	size_t i = (size_t)floor(h);
	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (h - (double)i) * (v[i + 1] - v[i]);
}

/* n_paths futures of customer row i, each purchase adding the row's
 * weight to paths[s * h + period]. */
static void simulate(const struct rebuy_clv_fit *fit, const struct rebuy_clv_data *d, size_t i,
                     const double *t_start, const double *t_end, size_t h, unsigned n_paths,
                     struct rebuy__rng *rng, double *paths)
{
	enum rebuy_clv_model model = fit->model;
	const double *p = fit->est.params;
	double horizon = t_end[h - 1];
	double x = d->x[i], T = d->T[i], w = d->w ? d->w[i] : 1.0;
	double pa = rebuy_clv_p_alive(fit, x, d->t_x[i], T);
	if (!(pa > 0))
		return;
	for (unsigned s = 0; s < n_paths; s++) {
		if (rebuy__rng_uniform(rng) >= pa)
			continue;
		double lambda = rebuy__rng_gamma(rng, p[0] + x, p[1] + T);
		if (!(lambda > 0))
			continue;
		double t = 0, end = horizon, drop = 0;
		if (model == REBUY_CLV_PNBD) {
			double mu = rebuy__rng_gamma(rng, p[2], p[3] + T);
			double life = mu > 0 ? rebuy__rng_exp(rng, mu) : INFINITY;
			if (life < end)
				end = life;
		} else {
			drop = rebuy__rng_beta(rng, p[2],
			                       p[3] + x + (model == REBUY_CLV_MBGNBD ? 1 : 0));
		}
		for (;;) {
			t += rebuy__rng_exp(rng, lambda);
			if (!(t <= end))
				break;
			long k = period_of(t_start, t_end, h, t);
			if (k >= 0)
				paths[(size_t)s * h + (size_t)k] += w;
			if (model != REBUY_CLV_PNBD && rebuy__rng_uniform(rng) < drop)
				break;
		}
	}
}

/* Past this many customer futures (rows x paths) the interval of a large
 * base is taken from the central limit theorem instead (clt_interval). */
#define FULL_BUDGET 20000000.0
#define CLT_SAMPLE 20000
#define CLT_PATHS 200

/* A large base: its total is the sum of many independent customers, so
 * normal with the closed-form mean (center - the new customers' part) and
 * the sum of the customers' variances, estimated from CLT_PATHS futures of
 * CLT_SAMPLE rows drawn at random (with replacement) and scaled by rows /
 * CLT_SAMPLE; the new customers add sum_j c_kj^2 sd_j^2, c_kj what one new
 * customer of period j adds to period k. lo is cut at 0. */
static enum rebuy_status clt_interval(const struct rebuy_clv_fit *fit,
                                      const struct rebuy_clv_data *d, const double *t_start,
                                      const double *t_end, size_t h, const double *new_sd,
                                      const double *center, double level, struct rebuy__rng *rng,
                                      double *lo, double *hi, struct rebuy_error *err)
{
	double *paths = rebuy__malloc(sizeof(double) * CLT_PATHS * h);
	double *var = rebuy__calloc(3 * h, sizeof(double)), *unit = var + h, *col = unit + h;
	if (!paths || !var) {
		rebuy__free(paths);
		rebuy__free(var);
		return rebuy_error_set(err, REBUY_ENOMEM, "clv forecast: out of memory");
	}
	for (unsigned m = 0; m < CLT_SAMPLE; m++) {
		size_t i = (size_t)(rebuy__rng_uniform(rng) * (double)d->n);
		if (i >= d->n)
			i = d->n - 1;
		memset(paths, 0, sizeof(double) * CLT_PATHS * h);
		simulate(fit, d, i, t_start, t_end, h, CLT_PATHS, rng, paths);
		for (size_t k = 0; k < h; k++) {
			double sum = 0, ss = 0;
			for (unsigned s = 0; s < CLT_PATHS; s++)
				sum += paths[(size_t)s * h + k];
			double mean = sum / CLT_PATHS;
			for (unsigned s = 0; s < CLT_PATHS; s++) {
				double e = paths[(size_t)s * h + k] - mean;
				ss += e * e;
			}
			var[k] += ss / (CLT_PATHS - 1);
		}
	}
	double scale = (double)d->n / CLT_SAMPLE;
	for (size_t k = 0; k < h; k++)
		var[k] *= scale;
	if (new_sd)
		for (size_t j = 0; j < h; j++) {
			if (!(new_sd[j] > 0))
				continue;
			for (size_t k = 0; k < h; k++)
				unit[k] = k == j;
			fresh_of(fit, t_start, t_end, h, unit, col);
			for (size_t k = j; k < h; k++)
				var[k] += col[k] * col[k] * new_sd[j] * new_sd[j];
		}
	double z = rebuy__norm_quantile(0.5 + level / 2);
	for (size_t k = 0; k < h; k++) {
		double sd = sqrt(var[k]);
		lo[k] = center[k] - z * sd > 0 ? center[k] - z * sd : 0;
		hi[k] = center[k] + z * sd;
	}
	rebuy__free(paths);
	rebuy__free(var);
	return REBUY_OK;
}

enum rebuy_status rebuy_clv_forecast_interval(const struct rebuy_clv_fit *fit,
                                              const struct rebuy_clv_data *d, const double *t_start,
                                              const double *t_end, size_t h,
                                              const double *new_customers, const double *new_sd,
                                              const double *center, double level, unsigned n_paths,
                                              uint64_t seed, double *lo, double *hi,
                                              double *sim_mean, struct rebuy_error *err)
{
	enum rebuy_clv_model model = fit->model;
	if (model != REBUY_CLV_BGNBD && model != REBUY_CLV_MBGNBD && model != REBUY_CLV_PNBD)
		return rebuy_error_set(err, REBUY_EARG,
		                       "clv forecast: no simulation for the %s model",
		                       rebuy_clv_model_name(model));
	if (!(level > 0 && level < 1))
		return rebuy_error_set(err, REBUY_EARG, "clv forecast: level %g is not in (0, 1)",
		                       level);
	if (n_paths < 100 || n_paths > 100000)
		return rebuy_error_set(err, REBUY_EARG,
		                       "clv forecast: %u paths, from 100 to 100000", n_paths);
	enum rebuy_status st = check_periods(t_start, t_end, h, err);
	if (st || h == 0)
		return st;
	struct rebuy__rng rng;
	rebuy__rng_seed(&rng, seed);
	if ((double)d->n * n_paths > FULL_BUDGET) {
		double *mean = rebuy__malloc(sizeof(double) * 2 * h), *fresh = mean + h;
		if (!mean)
			return rebuy_error_set(err, REBUY_ENOMEM, "clv forecast: out of memory");
		if (center) {
			memcpy(mean, center, sizeof(double) * h);
		} else {
			st = rebuy_clv_forecast(fit, d, t_start, t_end, h, new_customers, mean,
			                        new_customers ? fresh : NULL, err);
			for (size_t k = 0; k < h && !st; k++)
				mean[k] += new_customers ? fresh[k] : 0;
		}
		if (!st)
			st = clt_interval(fit, d, t_start, t_end, h, new_customers ? new_sd : NULL,
			                  mean, level, &rng, lo, hi, err);
		if (!st && sim_mean)
			memcpy(sim_mean, mean, sizeof(double) * h);
		rebuy__free(mean);
		return st;
	}
	double *paths = rebuy__calloc((size_t)n_paths * h, sizeof(double));
	double *col = rebuy__malloc(sizeof(double) * (n_paths > 2 * h ? n_paths : 2 * h));
	if (!paths || !col) {
		rebuy__free(paths);
		rebuy__free(col);
		return rebuy_error_set(err, REBUY_ENOMEM, "clv forecast: out of memory");
	}
	/* every customer's futures, a path at a time; paths[s * h + k] */
	for (size_t i = 0; i < d->n; i++)
		simulate(fit, d, i, t_start, t_end, h, n_paths, &rng, paths);
	/* the new customers of each path */
	if (new_customers) {
		double *draw = col, *fresh = col + h;
		for (unsigned s = 0; s < n_paths; s++) {
			for (size_t k = 0; k < h; k++) {
				double sd = new_sd && new_sd[k] > 0 ? new_sd[k] : 0;
				draw[k] = new_customers[k] + sd * rebuy__rng_normal(&rng);
			}
			fresh_of(fit, t_start, t_end, h, draw, fresh);
			for (size_t k = 0; k < h; k++)
				paths[(size_t)s * h + k] += fresh[k];
		}
	}
	for (size_t k = 0; k < h; k++) {
		double sum = 0;
		for (unsigned s = 0; s < n_paths; s++) {
			double v = paths[(size_t)s * h + k];
			sum += v;
			col[s] = v > 0 ? v : 0; /* fewer new customers than none: none */
		}
		qsort(col, n_paths, sizeof *col, cmp_double);
		lo[k] = quantile7(col, n_paths, 0.5 * (1 - level));
		hi[k] = quantile7(col, n_paths, 0.5 * (1 + level));
		if (sim_mean)
			sim_mean[k] = sum / n_paths;
	}
	rebuy__free(paths);
	rebuy__free(col);
	return REBUY_OK;
}

enum rebuy_status rebuy_clv_orders_forecast(const struct rebuy_orders *orders,
                                            const struct rebuy_summary *sum, size_t n, size_t h,
                                            int m, enum rebuy_clv_model model, double level,
                                            unsigned n_threads, double *mean, double *lo,
                                            double *hi, struct rebuy_error *err)
{
	if (!orders || !sum || !mean || n == 0 || n > sum->n_periods || h == 0 || m < 1)
		return rebuy_error_set(err, REBUY_EARG,
		                       "clv forecast: no orders, or %zu periods of %zu", n,
		                       sum ? sum->n_periods : 0);
	if (model != REBUY_CLV_BGNBD && model != REBUY_CLV_MBGNBD && model != REBUY_CLV_PNBD)
		return rebuy_error_set(err, REBUY_EARG,
		                       "clv forecast: the model is bgnbd, mbgnbd or pnbd, not %s",
		                       rebuy_clv_model_name(model));
	if ((lo || hi) && !(lo && hi && level > 0 && level < 1))
		return rebuy_error_set(
		        err, REBUY_EARG,
		        "clv forecast: an interval needs lo, hi and a level in (0, 1)");
	enum rebuy_period per = sum->period;
	int64_t i0 = sum->periods[0].index;
	int64_t cal_end = rebuy_period_start(per, i0 + (int64_t)n) - 1;
	struct rebuy_clv_data *d = NULL;
	struct rebuy_arima *af = NULL;
	double *mem = rebuy__calloc(6 * h + n, sizeof(double));
	if (!mem)
		return rebuy_error_set(err, REBUY_ENOMEM, "clv forecast: out of memory");
	double *ts = mem, *te = ts + h, *nn = te + h, *base = nn + h, *nlo = base + h;
	double *nsd = nlo + h, *hist = nsd + h;
	enum rebuy_status st =
	        rebuy_clv_data_from_orders(orders, cal_end, REBUY_UNIT_WEEK, &d, err);
	if (st)
		goto out;
	struct rebuy_clv_fit_options fo;
	rebuy_clv_fit_options_init(&fo);
	fo.model = model;
	fo.n_threads = n_threads;
	struct rebuy_clv_fit fit;
	if ((st = rebuy_clv_fit(d, &fo, &fit, err)))
		goto out;
	for (size_t k = 0; k < h; k++) {
		int64_t a = rebuy_period_start(per, i0 + (int64_t)(n + k));
		int64_t b = rebuy_period_start(per, i0 + (int64_t)(n + k + 1)) - 1;
		ts[k] = (double)(a - 1 - cal_end) / 7.0;
		te[k] = (double)(b - cal_end) / 7.0;
	}
	for (size_t i = 0; i < n; i++)
		hist[i] = (double)sum->periods[i].N;
	struct rebuy_arima_auto_options o;
	rebuy_arima_auto_options_init(&o);
	o.m = (size_t)m * 2 < n ? (size_t)m : 1;
	if ((st = rebuy_arima_auto(hist, n, &o, &af, err)) ||
	    (st = rebuy_arima_forecast(af, h, 0.95, nn, nlo, nsd, err)))
		goto out;
	for (size_t k = 0; k < h; k++) {
		nsd[k] = (nsd[k] - nlo[k]) / (2 * 1.959963984540054); /* the 95 % interval's sd */
		if (nn[k] < 0)
			nn[k] = 0;
	}
	if ((st = rebuy_clv_forecast(&fit, d, ts, te, h, nn, base, mean, err)))
		goto out;
	for (size_t k = 0; k < h; k++)
		mean[k] += base[k];
	if (lo) {
		/* about 10 million customer futures in all, 100 to 1000 paths */
		double each = 1e7 / (d->n > 0 ? (double)d->n : 1);
		unsigned paths = each < 100 ? 100 : each > 1000 ? 1000 : (unsigned)each;
		st = rebuy_clv_forecast_interval(&fit, d, ts, te, h, nn, nsd, mean, level, paths, 1,
		                                 lo, hi, NULL, err);
	}
out:
	rebuy_arima_free(af);
	rebuy_clv_data_free(d);
	rebuy__free(mem);
	return st;
}
