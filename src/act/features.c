/* Per-customer behavioural features as of a cut-off day (rebuy/features.h):
 * one pass over each customer's purchases and returns before the cut-off.
 * Attribute indicators keep each attribute's most common first-purchase
 * values, counted over the customers with a row.
 */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "core/parallel.h"
#include "rebuy/features.h"

void rebuy_features_options_init(struct rebuy_features_options *opts)
{
	memset(opts, 0, sizeof *opts);
}

static const char *const base_names[REBUY_FEAT_N_BASE] = {
        "recency_days", "frequency",     "purchase_days",  "revenue",
        "aov",          "tenure_days",   "mean_gap_days",  "overdue",
        "last_gap_days", "orders_recent", "revenue_recent", "returns",
        "return_share",
};

static inline int64_t day_of(int64_t ts)
{
	return ts >= 0 ? ts / 86400 : -((-ts + 86399) / 86400);
}

void rebuy_features_free(struct rebuy_features *f)
{
	if (!f)
		return;
	if (f->names)
		for (size_t j = 0; j < f->n_cols; j++)
			rebuy__free(f->names[j]);
	rebuy__free(f->names);
	rebuy__free(f->customer);
	rebuy__free(f->x);
	rebuy__free(f->last_day);
	rebuy__free(f->indicator_attr);
	rebuy__free(f->indicator_value);
	rebuy__free(f);
}

/* The behavioural columns of customer c; 0 when c has no purchase before
 * as_of (row untouched). */
static int customer_row(const struct rebuy_orders *o, size_t c, int64_t as_of, int64_t window,
                        double *row, int64_t *last_day, uint64_t *first_i)
{
	uint64_t lo = o->cust_start[c], hi = o->cust_start[c + 1];
	int64_t first = 0, last = 0, prev_day = 0, last_gap = 0;
	int64_t revenue = 0, recent_rev = 0;
	uint64_t n = 0, days = 0, recent = 0;
	for (uint64_t i = lo; i < hi; i++) {
		int64_t d = day_of(o->ts[i]);
		if (d >= as_of)
			break;
		if (n == 0) {
			first = d;
			*first_i = i;
			days = 1;
		} else if (d != prev_day) {
			last_gap = d - prev_day;
			days++;
		}
		prev_day = last = d;
		n++;
		revenue += o->value[i];
		if (d >= as_of - window) {
			recent++;
			recent_rev += o->value[i];
		}
	}
	if (n == 0)
		return 0;
	int64_t returned = 0;
	uint64_t n_ret = 0;
	for (uint64_t i = o->ret_start[c]; i < o->ret_start[c + 1]; i++) {
		if (day_of(o->ret_ts[i]) >= as_of)
			break;
		n_ret++;
		returned -= o->ret_value[i];
	}
	double tenure = (double)(as_of - first);
	double recency = (double)(as_of - last);
	double mean_gap = days > 1 ? (double)(last - first) / (double)(days - 1) : tenure;
	row[REBUY_FEAT_RECENCY] = recency;
	row[REBUY_FEAT_FREQUENCY] = (double)n;
	row[REBUY_FEAT_PURCHASE_DAYS] = (double)days;
	row[REBUY_FEAT_REVENUE] = (double)revenue / 10000.0;
	row[REBUY_FEAT_AOV] = (double)revenue / 10000.0 / (double)n;
	row[REBUY_FEAT_TENURE] = tenure;
	row[REBUY_FEAT_MEAN_GAP] = mean_gap;
	row[REBUY_FEAT_OVERDUE] = days > 1 ? recency / mean_gap : 1.0;
	row[REBUY_FEAT_LAST_GAP] = days > 1 ? (double)last_gap : tenure;
	row[REBUY_FEAT_ORDERS_RECENT] = (double)recent;
	row[REBUY_FEAT_REVENUE_RECENT] = (double)recent_rev / 10000.0;
	row[REBUY_FEAT_RETURNS] = (double)n_ret;
	row[REBUY_FEAT_RETURN_SHARE] =
	        revenue + returned > 0 ? (double)returned / ((double)revenue + (double)returned) : 0.0;
	*last_day = last;
	return 1;
}

/* An attribute's kept values: the most common first-purchase values. */
struct level {
	uint32_t id;
	uint64_t count;
};

static int level_cmp(const void *pa, const void *pb)
{
	const struct level *a = pa, *b = pb;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static enum rebuy_status pick_levels(const struct rebuy_orders *o, size_t k,
                                     const uint64_t *first_i, size_t n_rows, size_t max_levels,
                                     struct level **out, size_t *n_out)
{
	size_t nv = o->n_attr_values[k];
	struct level *lv = rebuy__calloc(nv ? nv : 1, sizeof *lv);
	if (!lv)
		return REBUY_ENOMEM;
	for (size_t v = 0; v < nv; v++)
		lv[v].id = (uint32_t)v;
	for (size_t r = 0; r < n_rows; r++)
		lv[o->attr[k][first_i[r]]].count++;
	qsort(lv, nv, sizeof *lv, level_cmp);
	size_t n = 0;
	while (n < nv && n < max_levels && lv[n].count > 0)
		n++;
	*out = lv;
	*n_out = n;
	return REBUY_OK;
}

static char *column_name(const struct rebuy_orders *o, size_t k, uint32_t id)
{
	const char *col = rebuy_orders_attribute_name(o, k);
	const char *val = rebuy_orders_attribute_value(o, k, id, NULL);
	size_t len = strlen(col) + strlen(val) + 2;
	char *s = rebuy__malloc(len);
	if (s)
		snprintf(s, len, "%s=%s", col, val);
	return s;
}

/* Another features' indicator columns, as each attribute's levels. */
static enum rebuy_status copy_levels(const struct rebuy_orders *o, const struct rebuy_features *like,
                                     struct level **lv, size_t *nl)
{
	size_t n_ind = like->n_cols - REBUY_FEAT_N_BASE;
	for (size_t k = 0; k < o->n_attributes; k++)
		if (!(lv[k] = rebuy__calloc(n_ind ? n_ind : 1, sizeof *lv[k])))
			return REBUY_ENOMEM;
	for (size_t c = 0; c < n_ind; c++) {
		uint32_t k = like->indicator_attr[c], v = like->indicator_value[c];
		if (k >= o->n_attributes || v >= o->n_attr_values[k])
			return REBUY_EARG;
		lv[k][nl[k]++].id = v;
	}
	return REBUY_OK;
}

/* Adds the indicator columns after the base ones: x is re-laid out with
 * the final width. */
static enum rebuy_status add_attributes(const struct rebuy_orders *o, struct rebuy_features *f,
                                        const uint64_t *first_i, size_t max_levels,
                                        const struct rebuy_features *like)
{
	struct level *lv[REBUY_MAX_ATTRIBUTES] = {0};
	size_t nl[REBUY_MAX_ATTRIBUTES] = {0}, extra = 0;
	enum rebuy_status st = REBUY_OK;
	if (like) {
		if ((st = copy_levels(o, like, lv, nl)))
			goto out;
	} else {
		for (size_t k = 0; k < o->n_attributes; k++)
			if ((st = pick_levels(o, k, first_i, f->n_rows, max_levels, &lv[k],
			                      &nl[k])))
				goto out;
	}
	for (size_t k = 0; k < o->n_attributes; k++)
		extra += nl[k];
	if (extra == 0)
		goto out;
	size_t cols = f->n_cols + extra, cells;
	if (rebuy__mul_overflows(f->n_rows, cols, &cells)) {
		st = REBUY_ENOMEM;
		goto out;
	}
	double *x = rebuy__calloc(cells ? cells : 1, sizeof *x);
	char **names = rebuy__calloc(cols, sizeof *names);
	f->indicator_attr = rebuy__calloc(extra, sizeof *f->indicator_attr);
	f->indicator_value = rebuy__calloc(extra, sizeof *f->indicator_value);
	if (!x || !names || !f->indicator_attr || !f->indicator_value) {
		rebuy__free(x);
		rebuy__free(names);
		st = REBUY_ENOMEM;
		goto out;
	}
	for (size_t j = 0; j < f->n_cols; j++)
		names[j] = f->names[j];
	size_t j = f->n_cols;
	for (size_t k = 0; k < o->n_attributes; k++)
		for (size_t l = 0; l < nl[k]; l++) {
			f->indicator_attr[j - f->n_cols] = (uint32_t)k;
			f->indicator_value[j - f->n_cols] = lv[k][l].id;
			if (!(names[j++] = column_name(o, k, lv[k][l].id)))
				st = REBUY_ENOMEM;
		}
	for (size_t r = 0; r < f->n_rows; r++) {
		double *dst = x + r * cols;
		memcpy(dst, f->x + r * f->n_cols, f->n_cols * sizeof *dst);
		size_t c = f->n_cols;
		for (size_t k = 0; k < o->n_attributes; k++) {
			uint32_t v = o->attr[k][first_i[r]];
			for (size_t l = 0; l < nl[k]; l++, c++)
				dst[c] = lv[k][l].id == v ? 1.0 : 0.0;
		}
	}
	rebuy__free(f->x);
	rebuy__free(f->names);
	f->x = x;
	f->names = names;
	f->n_cols = cols; /* names past a failed one are NULL: free is safe */
out:
	for (size_t k = 0; k < o->n_attributes; k++)
		rebuy__free(lv[k]);
	return st;
}

/* Rows of customers [item * ROW_SLICE, ...) at their own index; has[c]
 * says whether customer c bought before the as-of day. */
#define ROW_SLICE 16384

struct rows_job {
	const struct rebuy_orders *o;
	int64_t as_of, window;
	struct rebuy_features *f;
	uint64_t *first_i;
	uint8_t *has;
};

static enum rebuy_status rows_slice(void *ud, size_t item, unsigned thread)
{
	(void)thread;
	const struct rows_job *j = ud;
	size_t n = j->o->n_customers, lo = item * ROW_SLICE;
	size_t hi = lo + ROW_SLICE < n ? lo + ROW_SLICE : n;
	for (size_t c = lo; c < hi; c++)
		j->has[c] = (uint8_t)customer_row(j->o, c, j->as_of, j->window,
		                                  j->f->x + c * REBUY_FEAT_N_BASE,
		                                  &j->f->last_day[c], &j->first_i[c]);
	return REBUY_OK;
}

enum rebuy_status rebuy_features_compute(const struct rebuy_orders *o,
                                         const struct rebuy_features_options *opts,
                                         struct rebuy_features **out, struct rebuy_error *err)
{
	*out = NULL;
	if (o->n_orders == 0)
		return rebuy_error_set(err, REBUY_EDATA,
		                       opts->has_as_of ? "no purchases before the as-of day"
		                                       : "no purchases to compute features from");
	int64_t as_of = opts->has_as_of ? opts->as_of_day : o->last_day + 1;
	int64_t window = opts->window_days ? opts->window_days : REBUY_FEATURES_DEFAULT_WINDOW;
	if (as_of <= o->first_day)
		return rebuy_error_set(err, REBUY_EARG,
		                       "the as-of day is not after the first purchase day");
	if (window < 0)
		return rebuy_error_set(err, REBUY_EARG, "the recent window must be at least 1 day");
	if (!opts->same_levels && opts->attribute_levels > REBUY_FEATURES_MAX_LEVELS)
		return rebuy_error_set(err, REBUY_EARG, "at most %d indicator columns per attribute",
		                       REBUY_FEATURES_MAX_LEVELS);

	enum rebuy_status st = REBUY_ENOMEM;
	size_t n = o->n_customers, cells;
	uint64_t *first_i = NULL;
	uint8_t *has = NULL;
	struct rebuy_features *f = rebuy__calloc(1, sizeof *f);
	if (!f || rebuy__mul_overflows(n ? n : 1, REBUY_FEAT_N_BASE, &cells))
		goto fail;
	f->as_of_day = as_of;
	f->n_cols = REBUY_FEAT_N_BASE;
	f->x = rebuy__malloc(cells * sizeof *f->x);
	f->customer = rebuy__malloc((n ? n : 1) * sizeof *f->customer);
	f->last_day = rebuy__malloc((n ? n : 1) * sizeof *f->last_day);
	f->names = rebuy__calloc(REBUY_FEAT_N_BASE, sizeof *f->names);
	first_i = rebuy__malloc((n ? n : 1) * sizeof *first_i);
	if (!f->x || !f->customer || !f->last_day || !f->names || !first_i)
		goto fail;
	for (size_t j = 0; j < REBUY_FEAT_N_BASE; j++)
		if (!(f->names[j] = rebuy__strndup(base_names[j], strlen(base_names[j]))))
			goto fail;
	/* Every customer's row at its index on several threads, then the rows
	 * of those who bought before the as-of day moved together, in order. */
	if (!(has = rebuy__malloc(n ? n : 1)))
		goto fail;
	struct rows_job rj = {o, as_of, window, f, first_i, has};
	if ((st = rebuy__parallel_for(opts->n_threads ? opts->n_threads : rebuy__cpu_count(),
	                              (n + ROW_SLICE - 1) / ROW_SLICE, rows_slice, &rj)))
		goto fail;
	for (size_t c = 0; c < n; c++) {
		if (!has[c])
			continue;
		size_t r = f->n_rows++;
		f->customer[r] = (uint32_t)c;
		if (r != c) {
			memcpy(f->x + r * REBUY_FEAT_N_BASE, f->x + c * REBUY_FEAT_N_BASE,
			       REBUY_FEAT_N_BASE * sizeof *f->x);
			f->last_day[r] = f->last_day[c];
			first_i[r] = first_i[c];
		}
	}
	if (f->n_rows == 0) {
		st = rebuy_error_set(err, REBUY_EDATA, "no customer has a purchase before the as-of day");
		goto fail_set;
	}
	const struct rebuy_features *like = opts->same_levels;
	if (o->n_attributes && (like ? like->n_cols > REBUY_FEAT_N_BASE : opts->attribute_levels) &&
	    (st = add_attributes(o, f, first_i, opts->attribute_levels, like))) {
		if (st == REBUY_EARG) {
			st = rebuy_error_set(err, REBUY_EARG,
			                     "the indicator columns to repeat are not of this "
			                     "orders table");
			goto fail_set;
		}
		goto fail;
	}
	rebuy__free(first_i);
	rebuy__free(has);
	*out = f;
	return REBUY_OK;
fail:
	st = rebuy_error_set(err, REBUY_ENOMEM, "out of memory computing customer features");
fail_set:
	rebuy__free(first_i);
	rebuy__free(has);
	rebuy_features_free(f);
	return st;
}

size_t rebuy_features_label(const struct rebuy_orders *o, const struct rebuy_features *f,
                            int64_t horizon_days, uint8_t *y)
{
	size_t pos = 0;
	int64_t lo = f->as_of_day, hi = f->as_of_day + horizon_days;
	for (size_t r = 0; r < f->n_rows; r++) {
		size_t c = f->customer[r];
		y[r] = 0;
		for (uint64_t i = o->cust_start[c]; i < o->cust_start[c + 1]; i++) {
			int64_t d = day_of(o->ts[i]);
			if (d >= hi)
				break;
			if (d >= lo) {
				y[r] = 1;
				pos++;
				break;
			}
		}
	}
	return pos;
}

void rebuy_features_moments(const struct rebuy_features *f, double *mean, double *sd)
{
	size_t m = f->n_cols, n = f->n_rows;
	for (size_t j = 0; j < m; j++) {
		/* Two passes (mean, then squared deviations): no cancellation. */
		double s = 0;
		for (size_t r = 0; r < n; r++)
			s += f->x[r * m + j];
		double mu = n ? s / (double)n : 0.0, v = 0;
		for (size_t r = 0; r < n; r++) {
			double d = f->x[r * m + j] - mu;
			v += d * d;
		}
		double sdev = n ? sqrt(v / (double)n) : 0.0;
		mean[j] = mu;
		sd[j] = sdev > 0 ? sdev : 1.0;
	}
}

void rebuy_features_scale(struct rebuy_features *f, const double *mean, const double *sd)
{
	size_t m = f->n_cols;
	for (size_t r = 0; r < f->n_rows; r++)
		for (size_t j = 0; j < m; j++)
			f->x[r * m + j] = (f->x[r * m + j] - mean[j]) / sd[j];
}
