/* Purchases per future period from a fitted customer-lifetime model
 * (include/rebuy/forecast.h): the existing base's conditional expectation
 * E[X(t) | x, t_x, T] (Fader, Hardie & Lee 2005, eq. 10 for the BG/NBD) at
 * each period end, differenced; new customers by the unconditional E[X(t)]
 * of a customer acquired at the middle of its period. */
#include <math.h>

#include "rebuy/clv.h"
#include "rebuy/forecast.h"

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
	for (size_t k = 0; k < h; k++)
		if (!(t_start[k] >= 0 && t_end[k] > t_start[k] &&
		      (k == 0 || t_start[k] >= t_end[k - 1])))
			return rebuy_error_set(
			        err, REBUY_EARG,
			        "clv forecast: period %zu runs from %g to %g, not after "
			        "the one before",
			        k + 1, t_start[k], t_end[k]);
	double prev = 0;
	for (size_t k = 0; k < h; k++) {
		double cum = 0;
		for (size_t i = 0; i < d->n; i++)
			cum += d->w[i] * rebuy_clv_expected_purchases(fit, d->x[i], d->t_x[i],
			                                              d->T[i], t_end[k]);
		base[k] = cum - prev;
		prev = cum;
	}
	if (!new_customers || !fresh)
		return REBUY_OK;
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
	return REBUY_OK;
}
