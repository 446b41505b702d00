/* Customer segments by k-means on the behavioural features (rebuy/cluster.h,
 * docs/cluster.md): pick the columns, log1p the skewed ones, standardize,
 * cluster for each k, choose k by the silhouette, profile the clusters.
 *
 * A cluster's label names up to three features whose centre is at least
 * half a standard deviation from the customers' mean (in the clustered,
 * standardized units), the farthest first (ties: column order), "very"
 * from 1.5 standard deviations on; "typical" when none is.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "rebuy/cluster.h"

#define LABEL_Z 0.5
#define LABEL_VERY_Z 1.5
#define LABEL_WORDS 3

void rebuy_cluster_options_init(struct rebuy_cluster_options *o)
{
	memset(o, 0, sizeof *o);
	rebuy_features_options_init(&o->features);
	rebuy_kmeans_options_init(&o->kmeans);
	rebuy_silhouette_options_init(&o->silhouette);
	o->k_min = 2;
	o->k_max = 10;
}

void rebuy_cluster_free(struct rebuy_cluster *c)
{
	if (!c)
		return;
	if (c->profiles && c->km)
		for (size_t i = 0; i < c->km->k; i++) {
			rebuy__free(c->profiles[i].mean);
			rebuy__free(c->profiles[i].median);
			rebuy__free(c->profiles[i].z);
		}
	rebuy__free(c->profiles);
	rebuy_kmeans_free(c->km);
	rebuy__free(c->by_k);
	rebuy__free(c->col);
	rebuy__free(c->is_logged);
	rebuy__free(c->overall_median);
	rebuy_features_free(c->features);
	rebuy__free(c);
}

/* The words for a centre above (high) and below (low) the mean. */
struct words {
	const char *name, *high, *low;
};

static const struct words base_words[REBUY_FEAT_N_BASE] = {
        {"recency_days", "lapsed", "recent"},
        {"frequency", "frequent", "infrequent"},
        {"purchase_days", "many purchase days", "few purchase days"},
        {"revenue", "high spend", "low spend"},
        {"aov", "high order value", "low order value"},
        {"tenure_days", "long-standing", "new"},
        {"mean_gap_days", "long gaps", "short gaps"},
        {"overdue", "overdue", "on rhythm"},
        {"last_gap_days", "long last gap", "short last gap"},
        {"orders_recent", "active lately", "quiet lately"},
        {"revenue_recent", "high recent spend", "low recent spend"},
        {"returns", "many returns", "few returns"},
        {"return_share", "high return share", "low return share"},
};

/* ---- choosing the columns ---- */

static enum rebuy_status parse_columns(const struct rebuy_features *f, const char *list,
                                       struct rebuy_cluster *c, struct rebuy_error *err)
{
	size_t n = 1;
	for (const char *s = list; *s; s++)
		n += *s == ',';
	if (n > REBUY_CLUSTER_MAX_FEATURES)
		return rebuy_error_set(err, REBUY_EARG, "at most %d features (got %zu)",
		                       REBUY_CLUSTER_MAX_FEATURES, n);
	c->col = rebuy__malloc(n * sizeof *c->col);
	c->is_logged = rebuy__calloc(n, sizeof *c->is_logged);
	if (!c->col || !c->is_logged)
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	const char *s = list;
	for (size_t i = 0; i < n; i++) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		size_t j = 0;
		while (j < f->n_cols &&
		       !(strlen(f->names[j]) == len && memcmp(f->names[j], s, len) == 0))
			j++;
		if (j == f->n_cols)
			return rebuy_error_set(
			        err, REBUY_EARG,
			        "'%.*s' is not a feature (recency_days, frequency, "
			        "purchase_days, revenue, aov, tenure_days, mean_gap_days, "
			        "overdue, last_gap_days, orders_recent, revenue_recent, "
			        "returns, return_share)",
			        (int)(len > 100 ? 100 : len), s);
		for (size_t q = 0; q < i; q++)
			if (c->col[q] == j)
				return rebuy_error_set(err, REBUY_EARG,
				                       "feature '%s' is named twice", f->names[j]);
		c->col[i] = j;
		s = comma ? comma + 1 : s + len;
	}
	c->n_used = n;
	return REBUY_OK;
}

/* The matrix clustered: the chosen columns, log1p where skewed, standardized. */
static double *design_matrix(struct rebuy_cluster *c, int no_log)
{
	const struct rebuy_features *f = c->features;
	size_t n = f->n_rows, m = c->n_used;
	double *z = rebuy__malloc(n * m * sizeof *z);
	if (!z)
		return NULL;
	for (size_t q = 0; q < m; q++)
		c->is_logged[q] = !no_log && c->col[q] < REBUY_FEAT_N_BASE &&
		                  c->col[q] != REBUY_FEAT_RETURN_SHARE;
	for (size_t r = 0; r < n; r++)
		for (size_t q = 0; q < m; q++) {
			double v = f->x[r * f->n_cols + c->col[q]];
			/* every logged column is >= 0 (features.h); max keeps log1p defined */
			z[r * m + q] = c->is_logged[q] ? log1p(v > 0 ? v : 0) : v;
		}
	/* standardize: two passes per column, as rebuy_features_moments */
	for (size_t q = 0; q < m; q++) {
		double s = 0, v = 0;
		for (size_t r = 0; r < n; r++)
			s += z[r * m + q];
		double mu = s / (double)n;
		for (size_t r = 0; r < n; r++) {
			double d = z[r * m + q] - mu;
			v += d * d;
		}
		double sd = sqrt(v / (double)n);
		if (!(sd > 0))
			sd = 1;
		for (size_t r = 0; r < n; r++)
			z[r * m + q] = (z[r * m + q] - mu) / sd;
	}
	return z;
}

/* ---- profiles ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The median of v[0 .. n) (sorted in place); the mean of the middle two
 * for an even n (DESIGN.md §4). */
static double median(double *v, size_t n)
{
	if (n == 0)
		return NAN;
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void make_label(const struct rebuy_cluster *c, struct rebuy_cluster_profile *p)
{
	const struct rebuy_features *f = c->features;
	size_t pick[LABEL_WORDS], n_pick = 0;
	int used[REBUY_CLUSTER_MAX_FEATURES] = {0};
	while (n_pick < LABEL_WORDS) {
		size_t best = SIZE_MAX;
		for (size_t q = 0; q < c->n_used; q++)
			if (!used[q] && fabs(p->z[q]) >= LABEL_Z &&
			    (best == SIZE_MAX || fabs(p->z[q]) > fabs(p->z[best])))
				best = q;
		if (best == SIZE_MAX)
			break;
		used[best] = 1;
		pick[n_pick++] = best;
	}
	if (n_pick == 0) {
		snprintf(p->label, sizeof p->label, "typical");
		return;
	}
	size_t len = 0;
	p->label[0] = '\0';
	for (size_t i = 0; i < n_pick; i++) {
		size_t q = pick[i], col = c->col[q];
		int high = p->z[q] > 0;
		char word[96];
		const char *very = fabs(p->z[q]) >= LABEL_VERY_Z ? "very " : "";
		if (col < REBUY_FEAT_N_BASE)
			snprintf(word, sizeof word, "%s%s", very,
			         high ? base_words[col].high : base_words[col].low);
		else
			snprintf(word, sizeof word, "%s%.80s", high ? "" : "not ", f->names[col]);
		int w = snprintf(p->label + len, sizeof p->label - len, "%s%s", i ? ", " : "",
		                 word);
		if (w < 0 || (size_t)w >= sizeof p->label - len)
			break;
		len += (size_t)w;
	}
}

/* A revenue feature back in 1/10,000 units: it is units / 10000 rounded
 * once, so rounding the product recovers the units below 2^53. */
static int64_t units(double v)
{
	return llround(v * 10000.0);
}

static enum rebuy_status profile(struct rebuy_cluster *c)
{
	const struct rebuy_features *f = c->features;
	const struct rebuy_kmeans *km = c->km;
	size_t n = f->n_rows, m = c->n_used, k = km->k;
	double *buf = rebuy__malloc(n * sizeof *buf);
	size_t *start = rebuy__calloc(k + 1, sizeof *start), *fill = rebuy__calloc(k, sizeof *fill);
	size_t *rows = rebuy__malloc(n * sizeof *rows);
	enum rebuy_status st = REBUY_ENOMEM;
	c->profiles = rebuy__calloc(k, sizeof *c->profiles);
	c->overall_median = rebuy__malloc(m * sizeof *c->overall_median);
	if (!buf || !start || !fill || !rows || !c->profiles || !c->overall_median)
		goto out;
	/* rows grouped by cluster, in row order within each */
	for (size_t r = 0; r < n; r++)
		start[km->label[r] + 1]++;
	for (size_t i = 0; i < k; i++)
		start[i + 1] += start[i];
	for (size_t r = 0; r < n; r++) {
		uint32_t l = km->label[r];
		rows[start[l] + fill[l]++] = r;
	}
	/* Revenue is exact money (1/10,000 units) in the orders: summed as such,
	 * so that the totals carry no rounding noise. */
	int64_t total = 0;
	for (size_t r = 0; r < n; r++)
		total += units(f->x[r * f->n_cols + REBUY_FEAT_REVENUE]);
	c->total_revenue = (double)total / 10000.0;
	for (size_t q = 0; q < m; q++) {
		for (size_t r = 0; r < n; r++)
			buf[r] = f->x[r * f->n_cols + c->col[q]];
		c->overall_median[q] = median(buf, n);
	}
	for (size_t i = 0; i < k; i++) {
		struct rebuy_cluster_profile *p = &c->profiles[i];
		size_t lo = start[i], hi = start[i + 1];
		p->customers = hi - lo;
		p->share = (double)p->customers / (double)n;
		p->mean = rebuy__malloc(m * sizeof *p->mean);
		p->median = rebuy__malloc(m * sizeof *p->median);
		p->z = rebuy__malloc(m * sizeof *p->z);
		if (!p->mean || !p->median || !p->z)
			goto out;
		int64_t rev = 0;
		for (size_t a = lo; a < hi; a++)
			rev += units(f->x[rows[a] * f->n_cols + REBUY_FEAT_REVENUE]);
		p->revenue = (double)rev / 10000.0;
		p->revenue_share = total > 0 ? (double)rev / (double)total : NAN;
		for (size_t q = 0; q < m; q++) {
			double s = 0;
			for (size_t a = lo; a < hi; a++) {
				buf[a - lo] = f->x[rows[a] * f->n_cols + c->col[q]];
				s += buf[a - lo];
			}
			p->mean[q] = s / (double)(hi - lo);
			p->median[q] = median(buf, hi - lo);
			p->z[q] = km->centroid[i * m + q];
		}
		make_label(c, p);
	}
	st = REBUY_OK;
out:
	rebuy__free(buf);
	rebuy__free(start);
	rebuy__free(fill);
	rebuy__free(rows);
	return st;
}

/* ---- the run ---- */

static enum rebuy_status check_options(const struct rebuy_cluster_options *o, size_t *k_min,
                                       size_t *k_max, struct rebuy_error *err)
{
	*k_min = o->k_min ? o->k_min : 2;
	*k_max = o->k_max ? o->k_max : (o->k_min ? o->k_min : 10);
	if (*k_min < 1 || *k_min > *k_max || *k_max > REBUY_KMEANS_MAX_K)
		return rebuy_error_set(err, REBUY_EARG,
		                       "the k range must be 1 <= A <= B <= %d (got %zu..%zu)",
		                       REBUY_KMEANS_MAX_K, *k_min, *k_max);
	return REBUY_OK;
}

/* Runs k-means for each k, then the silhouettes of all of them in one pass
 * over the pairs; keeps the recommended k's clustering. */
static enum rebuy_status run_ks(struct rebuy_cluster *c, const double *z,
                                const struct rebuy_cluster_options *o, size_t k_min, size_t k_max,
                                struct rebuy_error *err)
{
	size_t n = c->features->n_rows, m = c->n_used, n_k = k_max - k_min + 1;
	struct rebuy_kmeans **km = rebuy__calloc(n_k, sizeof *km);
	struct rebuy_silhouette **sil = rebuy__calloc(n_k, sizeof *sil);
	const uint32_t **labels = rebuy__calloc(n_k, sizeof *labels);
	size_t *ks = rebuy__calloc(n_k, sizeof *ks);
	c->by_k = rebuy__calloc(n_k, sizeof *c->by_k);
	enum rebuy_status st;
	if (!km || !sil || !labels || !ks || !c->by_k) {
		st = rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
		goto out;
	}
	c->n_k = n_k;
	for (size_t i = 0; i < n_k; i++) {
		struct rebuy_kmeans_options ko = o->kmeans;
		ko.k = k_min + i;
		if ((st = rebuy_kmeans_fit(z, n, m, &ko, &km[i], err)))
			goto out;
		labels[i] = km[i]->label;
		ks[i] = km[i]->k;
	}
	if ((st = rebuy_silhouette_compute_many(z, n, m, n_k, labels, ks, &o->silhouette, sil,
	                                        err)))
		goto out;
	size_t best = 0;
	for (size_t i = 0; i < n_k; i++) {
		struct rebuy_cluster_k *row = &c->by_k[i];
		row->k = km[i]->k;
		row->wss = km[i]->wss;
		row->explained = km[i]->tss > 0 ? 1 - km[i]->wss / km[i]->tss : NAN;
		row->silhouette = sil[i]->mean;
		row->calinski_harabasz = rebuy_kmeans_calinski_harabasz(km[i]);
		row->iterations = km[i]->iterations;
		row->converged = km[i]->converged;
		c->silhouette_n = sil[i]->n_used;
		c->silhouette_is_sampled = sil[i]->is_sampled;
		/* the highest silhouette, ties to the smaller k (a NaN never wins) */
		if (row->silhouette > c->by_k[best].silhouette || isnan(c->by_k[best].silhouette))
			best = i;
	}
	c->recommended_k = km[best]->k;
	c->km = km[best];
	km[best] = NULL;
	st = REBUY_OK;
out:
	for (size_t i = 0; km && sil && i < n_k; i++) {
		rebuy_kmeans_free(km[i]);
		rebuy_silhouette_free(sil[i]);
	}
	rebuy__free(km);
	rebuy__free(sil);
	rebuy__free(labels);
	rebuy__free(ks);
	return st;
}

enum rebuy_status rebuy_cluster_customers(const struct rebuy_orders *orders,
                                          const struct rebuy_cluster_options *o,
                                          struct rebuy_cluster **out, struct rebuy_error *err)
{
	*out = NULL;
	size_t k_min, k_max;
	enum rebuy_status st = check_options(o, &k_min, &k_max, err);
	if (st)
		return st;
	double *z = NULL;
	struct rebuy_cluster *c = rebuy__calloc(1, sizeof *c);
	if (!c)
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	if ((st = rebuy_features_compute(orders, &o->features, &c->features, err)))
		goto fail;
	if ((st = parse_columns(c->features,
	                        o->columns ? o->columns : REBUY_CLUSTER_DEFAULT_FEATURES, c, err)))
		goto fail;
	if (c->features->n_rows < k_max) {
		st = rebuy_error_set(
		        err, REBUY_EDATA,
		        "%zu customers bought before the as-of day: too few for k = %zu "
		        "clusters",
		        c->features->n_rows, k_max);
		goto fail;
	}
	if (!(z = design_matrix(c, o->no_log))) {
		st = rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
		goto fail;
	}
	if ((st = run_ks(c, z, o, k_min, k_max, err)))
		goto fail;
	if ((st = profile(c))) {
		st = rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
		goto fail;
	}
	rebuy__free(z);
	*out = c;
	return REBUY_OK;
fail:
	rebuy__free(z);
	rebuy_cluster_free(c);
	return st;
}
