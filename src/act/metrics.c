/* Metrics of probabilistic classifiers (rebuy/propensity.h): AUC as the
 * Mann-Whitney U statistic on mid-ranks (Hanley & McNeil 1982, "The meaning
 * and use of the area under a ROC curve", Radiology 143), log loss with
 * clipped probabilities, the Brier score (Brier 1950), and a calibration
 * table over equal-count groups of the predictions with its expected
 * calibration error (Naeini, Cooper & Hauskrecht 2015).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "rebuy/propensity.h"

struct scored {
	double s;
	uint32_t row;
	uint8_t y;
};

/* By score, then row: a total order, so the sort's result is unique. */
static int scored_cmp(const void *pa, const void *pb)
{
	const struct scored *a = pa, *b = pb;
	if (a->s != b->s)
		return a->s < b->s ? -1 : 1;
	return (a->row > b->row) - (a->row < b->row);
}

static struct scored *sorted_pairs(const double *s, const uint8_t *y, size_t n)
{
	if (n > UINT32_MAX)
		return NULL;
	struct scored *v = rebuy__malloc((n ? n : 1) * sizeof *v);
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = (struct scored){s[i], (uint32_t)i, (uint8_t)(y[i] != 0)};
	qsort(v, n, sizeof *v, scored_cmp);
	return v;
}

/* The AUC of sorted pairs; NaN when a class is empty. Tied scores share
 * the mean of their 1-based ranks (i + 1 .. j): (i + 1 + j) / 2. */
static double auc_sorted(const struct scored *v, size_t n)
{
	double n1 = 0, rank_sum = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		double pos = 0;
		while (j < n && v[j].s == v[i].s)
			pos += v[j++].y;
		rank_sum += pos * ((double)(i + 1) + (double)j) / 2.0;
		n1 += pos;
		i = j;
	}
	double n0 = (double)n - n1;
	if (n1 == 0 || n0 == 0)
		return NAN;
	return (rank_sum - n1 * (n1 + 1) / 2.0) / (n1 * n0);
}

static int any_nan(const double *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (isnan(s[i]))
			return 1;
	return 0;
}

enum rebuy_status rebuy_metric_auc(const double *score, const uint8_t *y, size_t n, double *auc,
                                   struct rebuy_error *err)
{
	*auc = NAN;
	if (any_nan(score, n))
		return REBUY_OK;
	struct scored *v = sorted_pairs(score, y, n);
	if (!v)
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory computing the AUC");
	*auc = auc_sorted(v, n);
	rebuy__free(v);
	return REBUY_OK;
}

static double clip(double p)
{
	return p < REBUY_P_CLIP ? REBUY_P_CLIP : p > 1 - REBUY_P_CLIP ? 1 - REBUY_P_CLIP : p;
}

double rebuy_metric_log_loss(const double *p, const uint8_t *y, size_t n)
{
	if (n == 0)
		return NAN;
	double s = 0;
	for (size_t i = 0; i < n; i++) {
		double q = clip(p[i]);
		s -= y[i] ? log(q) : log1p(-q);
	}
	return s / (double)n;
}

double rebuy_metric_brier(const double *p, const uint8_t *y, size_t n)
{
	if (n == 0)
		return NAN;
	double s = 0;
	for (size_t i = 0; i < n; i++) {
		double d = p[i] - (y[i] ? 1.0 : 0.0);
		s += d * d;
	}
	return s / (double)n;
}

static void calibration(const struct scored *v, size_t n, struct rebuy_classifier_metrics *m)
{
	size_t g_count = n < REBUY_CALIBRATION_BINS ? n : REBUY_CALIBRATION_BINS;
	double ece = 0;
	m->n_bins = g_count;
	for (size_t g = 0; g < g_count; g++) {
		size_t lo = g * n / g_count, hi = (g + 1) * n / g_count;
		struct rebuy_calibration_bin *b = &m->bins[g];
		double sp = 0, sy = 0;
		for (size_t i = lo; i < hi; i++) {
			sp += v[i].s;
			sy += v[i].y;
		}
		b->n = hi - lo;
		b->p_min = v[lo].s;
		b->p_max = v[hi - 1].s;
		b->mean_predicted = sp / (double)b->n;
		b->observed = sy / (double)b->n;
		ece += (double)b->n / (double)n * fabs(b->mean_predicted - b->observed);
	}
	m->calibration_error = g_count ? ece : NAN;
}

enum rebuy_status rebuy_classifier_metrics(const double *p, const uint8_t *y, size_t n,
                                           struct rebuy_classifier_metrics *out,
                                           struct rebuy_error *err)
{
	memset(out, 0, sizeof *out);
	out->log_loss = rebuy_metric_log_loss(p, y, n);
	out->brier = rebuy_metric_brier(p, y, n);
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += p[i];
	out->mean_predicted = n ? s / (double)n : NAN;
	out->auc = NAN;
	out->calibration_error = NAN;
	if (n == 0 || any_nan(p, n))
		return REBUY_OK;
	struct scored *v = sorted_pairs(p, y, n);
	if (!v)
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory computing the metrics");
	out->auc = auc_sorted(v, n);
	calibration(v, n, out);
	rebuy__free(v);
	return REBUY_OK;
}
