/* The data of a customer-lifetime fit: from the orders table, a
 * pre-summarized file, or survivor counts; see rebuy/clv.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/parallel.h"
#include "model/bgbb.h"
#include "model/clv_int.h"
#include "model/sbg.h"
#include "rebuy/clv.h"
#include "rebuy/date.h"
#include "rebuy/table.h"

struct rebuy__clv_data_priv {
	struct rebuy__arena arena; /* keys read from a file */
};

static void free_columns(struct rebuy_clv_data *d)
{
	rebuy__free(d->x);
	rebuy__free(d->t_x);
	rebuy__free(d->T);
	rebuy__free(d->w);
	rebuy__free(d->monetary);
	rebuy__free(d->x_holdout);
	rebuy__free(d->keys);
	rebuy__free(d->first_day);
	rebuy__free(d->repeat_by_day);
}

void rebuy_clv_data_free(struct rebuy_clv_data *d)
{
	if (!d)
		return;
	free_columns(d);
	if (d->priv) {
		rebuy__arena_release(&d->priv->arena);
		rebuy__free(d->priv);
	}
	rebuy__free(d);
}

/* A new data set of n entries with x, t_x, T and w allocated. */
static struct rebuy_clv_data *data_new(size_t n, enum rebuy_clv_layout layout)
{
	struct rebuy_clv_data *d = rebuy__calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->layout = layout;
	d->unit = REBUY_UNIT_WEEK;
	d->n = n;
	size_t m = n ? n : 1;
	d->x = rebuy__malloc(m * sizeof *d->x);
	d->t_x = rebuy__malloc(m * sizeof *d->t_x);
	d->T = rebuy__malloc(m * sizeof *d->T);
	d->w = rebuy__malloc(m * sizeof *d->w);
	d->priv = rebuy__calloc(1, sizeof *d->priv);
	if (!d->x || !d->t_x || !d->T || !d->w || !d->priv) {
		rebuy_clv_data_free(d);
		return NULL;
	}
	rebuy__arena_init(&d->priv->arena, 64 * 1024);
	return d;
}

/* ---- from orders ---- */

struct orders_job {
	const struct rebuy_orders *o;
	int64_t cal_end;
	enum rebuy_time_unit unit;
	struct rebuy_btyd *b; /* per customer */
	unsigned char *in;    /* 1: in the calibration period */
};

#define ORDERS_CHUNK 4096

static enum rebuy_status orders_chunk(void *ud, size_t item, unsigned thread)
{
	(void)thread;
	struct orders_job *j = ud;
	size_t lo = item * ORDERS_CHUNK, hi = lo + ORDERS_CHUNK;
	if (hi > j->o->n_customers)
		hi = j->o->n_customers;
	for (size_t c = lo; c < hi; c++)
		j->in[c] =
		        (unsigned char)rebuy_btyd_compute(j->o, c, j->cal_end, j->unit, &j->b[c]);
	return REBUY_OK;
}

/* Repeat purchase days per day over the whole data, for the customers in
 * the calibration cohort (the tracking curve's actual side). */
static enum rebuy_status count_repeat_days(const struct rebuy_orders *o, const unsigned char *in,
                                           struct rebuy_clv_data *d)
{
	if (!o->n_orders)
		return REBUY_OK;
	d->day0 = o->first_day;
	d->n_days = (size_t)(o->last_day - o->first_day + 1);
	if (!(d->repeat_by_day = rebuy__calloc(d->n_days, sizeof *d->repeat_by_day)))
		return REBUY_ENOMEM;
	for (size_t c = 0; c < o->n_customers; c++) {
		if (!in[c])
			continue;
		uint64_t a = o->cust_start[c], z = o->cust_start[c + 1];
		int64_t prev = INT64_MIN;
		for (uint64_t i = a; i < z; i++) {
			int64_t day = rebuy_day_of(o->ts[i]);
			if (day != prev && i != a)
				d->repeat_by_day[day - d->day0] += 1;
			prev = day;
		}
	}
	return REBUY_OK;
}

enum rebuy_status rebuy_clv_data_from_orders(const struct rebuy_orders *o, int64_t cal_end,
                                             enum rebuy_time_unit unit, struct rebuy_clv_data **out,
                                             struct rebuy_error *err)
{
	*out = NULL;
	size_t nc = o->n_customers;
	struct orders_job j = {.o = o, .cal_end = cal_end, .unit = unit};
	j.b = rebuy__malloc((nc ? nc : 1) * sizeof *j.b);
	j.in = rebuy__malloc(nc ? nc : 1);
	enum rebuy_status st = REBUY_ENOMEM;
	struct rebuy_clv_data *d = NULL;
	if (!j.b || !j.in)
		goto fail;
	if ((st = rebuy__parallel_for(rebuy__cpu_count(), (nc + ORDERS_CHUNK - 1) / ORDERS_CHUNK,
	                              orders_chunk, &j)) != REBUY_OK)
		goto fail;
	size_t n = 0;
	for (size_t c = 0; c < nc; c++)
		n += j.in[c];
	if (n == 0) {
		st = rebuy_error_set(
		        err, REBUY_EDATA,
		        "no customer made a first purchase on or before the calibration "
		        "end");
		goto fail;
	}
	st = REBUY_ENOMEM;
	if (!(d = data_new(n, REBUY_CLV_CONTINUOUS)))
		goto fail;
	d->unit = unit;
	d->x_holdout = rebuy__malloc(n * sizeof *d->x_holdout);
	d->keys = rebuy__malloc(n * sizeof *d->keys);
	d->first_day = rebuy__malloc(n * sizeof *d->first_day);
	if (o->has_amount)
		d->monetary = rebuy__malloc(n * sizeof *d->monetary);
	if (!d->x_holdout || !d->keys || !d->first_day || (o->has_amount && !d->monetary))
		goto fail;
	size_t k = 0;
	for (size_t c = 0; c < nc; c++) {
		if (!j.in[c])
			continue;
		const struct rebuy_btyd *b = &j.b[c];
		d->x[k] = b->x;
		d->t_x[k] = b->t_x;
		d->T[k] = b->T;
		d->w[k] = 1;
		d->x_holdout[k] = b->x_holdout;
		d->first_day[k] = b->first_day;
		d->keys[k] = rebuy_orders_customer_key(o, c, NULL);
		if (d->monetary)
			d->monetary[k] = b->monetary;
		k++;
	}
	d->n_customers = (double)n;
	d->has_cal_end = 1;
	d->cal_end = cal_end;
	if (o->n_orders && o->last_day > cal_end) {
		d->holdout_end = o->last_day;
		d->holdout_length = (double)(o->last_day - cal_end) / rebuy_time_unit_days(unit);
	}
	if ((st = count_repeat_days(o, j.in, d)) != REBUY_OK)
		goto fail;
	snprintf(d->source, sizeof d->source, "orders");
	rebuy__free(j.b);
	rebuy__free(j.in);
	*out = d;
	return REBUY_OK;
fail:
	rebuy__free(j.b);
	rebuy__free(j.in);
	rebuy_clv_data_free(d);
	if (st == REBUY_ENOMEM)
		rebuy_error_set(err, st, "out of memory");
	return st;
}

/* ---- from a summary file ---- */

static const char *const names_customer[] = {"customer", "customerid", "id", "cust",
                                             "client",   "clientid",   NULL};
static const char *const names_x[] = {"x", "frequency", NULL};
static const char *const names_t_x[] = {"tx", "t.x", "recency", NULL};
static const char *const names_T[] = {"t", "tcal", "t.cal", NULL};
static const char *const names_monetary[] = {"monetary", "zbar",      "monetaryvalue",
                                             "mx",       "meanspend", NULL};
static const char *const names_holdout[] = {"xholdout", "xstar", "x.star", "holdout", NULL};
static const char *const names_periods[] = {"periods", "n", "opportunities", NULL};
static const char *const names_weights[] = {"weights", "weight", "count", "customers", NULL};

/* Reads cell (row, col) as a finite number >= 0; whole when whole is set. */
static enum rebuy_status number(const struct rebuy_table *t, size_t row, int col, int whole,
                                double *out, struct rebuy_error *err)
{
	const char *s = rebuy_table_cell(t, row, (size_t)col);
	while (*s == ' ' || *s == '\t')
		s++;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	while (*end == ' ' || *end == '\t')
		end++;
	if (*s == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v) || v < 0 ||
	    (whole && v != floor(v))) {
		return rebuy_error_set(err, REBUY_EDATA, "%s:%llu: %s '%s' is not %s", t->path,
		                       (unsigned long long)rebuy_table_row_line(t, row),
		                       rebuy_table_column_name(t, (size_t)col), s,
		                       whole ? "a whole number >= 0" : "a number >= 0");
	}
	*out = v;
	return REBUY_OK;
}

static enum rebuy_status find(const struct rebuy_table *t, const char *role,
                              const char *const *names, int required, int *col,
                              struct rebuy_error *err)
{
	struct rebuy_table_role r = {
	        .role = role, .flag = "summary", .names = names, .is_required = required};
	enum rebuy_status st = rebuy_table_find_column(t, &r, col, err);
	/* A summary has no flag to name a column: say which names it takes. */
	char *hint = st && err ? strstr(err->msg, " (name it with --summary") : NULL;
	if (hint) {
		*hint = '\0';
		size_t n = strlen(err->msg);
		snprintf(
		        err->msg + n, sizeof err->msg - n,
		        " (a summary has columns x or frequency, t_x or recency, T, and optionally "
		        "customer, monetary, x_holdout, periods, weights)");
	}
	return st;
}

enum rebuy_status rebuy_clv_data_read_summary(const char *path, struct rebuy_clv_data **out,
                                              struct rebuy_error *err)
{
	struct rebuy_table_options topts;
	rebuy_table_options_init(&topts);
	topts.path = path;
	return rebuy__clv_read_summary(&topts, out, err);
}

enum rebuy_status rebuy__clv_read_summary(const struct rebuy_table_options *topts,
                                          struct rebuy_clv_data **out, struct rebuy_error *err)
{
	*out = NULL;
	struct rebuy_table *t = NULL;
	enum rebuy_status st = rebuy_table_read(&t, topts, err);
	if (st)
		return st;
	struct rebuy_clv_data *d = NULL;
	int c_cust, c_x, c_tx, c_T = -1, c_m, c_h, c_n, c_w;
	if ((st = find(t, "periods", names_periods, 0, &c_n, err)))
		goto fail;
	int discrete = c_n >= 0;
	if ((st = find(t, "customer", names_customer, 0, &c_cust, err)) ||
	    (st = find(t, "x", names_x, 1, &c_x, err)) ||
	    (st = find(t, "t_x", names_t_x, 1, &c_tx, err)) ||
	    (!discrete && (st = find(t, "T", names_T, 1, &c_T, err))) ||
	    (st = find(t, "monetary", names_monetary, 0, &c_m, err)) ||
	    (st = find(t, "x_holdout", names_holdout, 0, &c_h, err)) ||
	    (st = find(t, "weights", names_weights, 0, &c_w, err)))
		goto fail;
	if (t->n_rows == 0) {
		st = rebuy_error_set(err, REBUY_EDATA, "%s: no rows", t->path);
		goto fail;
	}
	st = REBUY_ENOMEM;
	if (!(d = data_new(t->n_rows, discrete ? REBUY_CLV_DISCRETE : REBUY_CLV_CONTINUOUS)))
		goto fail;
	if (c_m >= 0 && !(d->monetary = rebuy__malloc(t->n_rows * sizeof *d->monetary)))
		goto fail;
	if (c_h >= 0 && !(d->x_holdout = rebuy__malloc(t->n_rows * sizeof *d->x_holdout)))
		goto fail;
	if (c_cust >= 0 && !(d->keys = rebuy__malloc(t->n_rows * sizeof *d->keys)))
		goto fail;
	d->n_customers = 0;
	for (size_t i = 0; i < t->n_rows; i++) {
		double x, tx, T, w = 1;
		if ((st = number(t, i, c_x, 1, &x, err)) ||
		    (st = number(t, i, c_tx, !!discrete, &tx, err)) ||
		    (st = number(t, i, discrete ? c_n : c_T, !!discrete, &T, err)) ||
		    (c_w >= 0 && (st = number(t, i, c_w, 0, &w, err))))
			goto fail;
		unsigned long long line = (unsigned long long)rebuy_table_row_line(t, i);
		const char *why = NULL;
		if (tx > T)
			why = discrete ? "recency is after the last period"
			               : "t_x is greater than T";
		else if (x == 0 && tx != 0)
			why = "a customer without repeat purchases has a recency other than 0";
		else if (discrete && x > tx)
			why = "more purchases than opportunities up to the recency";
		else if (x > 0 && tx == 0 && discrete)
			why = "purchases without a last opportunity (recency 0)";
		else if (discrete && T > REBUY__BGBB_MAX_N)
			why = "more than 1,000,000 opportunities";
		if (why) {
			st = rebuy_error_set(err, REBUY_EDATA, "%s:%llu: %s", t->path, line, why);
			goto fail;
		}
		d->x[i] = x;
		d->t_x[i] = tx;
		d->T[i] = T;
		d->w[i] = w;
		d->n_customers += w;
		if (d->monetary && (st = number(t, i, c_m, 0, &d->monetary[i], err)))
			goto fail;
		if (d->x_holdout && (st = number(t, i, c_h, 1, &d->x_holdout[i], err)))
			goto fail;
		if (d->keys) {
			const char *key = rebuy_table_cell(t, i, (size_t)c_cust);
			if (!(d->keys[i] =
			              rebuy__arena_strndup(&d->priv->arena, key, strlen(key)))) {
				st = REBUY_ENOMEM;
				goto fail;
			}
		}
	}
	snprintf(d->source, sizeof d->source, "%s", t->path);
	rebuy_table_free(t);
	*out = d;
	return REBUY_OK;
fail:
	if (st == REBUY_ENOMEM)
		rebuy_error_set(err, st, "out of memory");
	rebuy_table_free(t);
	rebuy_clv_data_free(d);
	return st;
}

/* ---- from survivor counts ---- */

enum rebuy_status rebuy_clv_data_from_survivors(const double *s, size_t n,
                                                struct rebuy_clv_data **out,
                                                struct rebuy_error *err)
{
	*out = NULL;
	if (n < 2)
		return rebuy_error_set(
		        err, REBUY_EARG,
		        "survivors: need the cohort size and at least one later count");
	for (size_t i = 0; i < n; i++) {
		if (!(s[i] >= 0) || !isfinite(s[i]) || s[i] != floor(s[i]))
			return rebuy_error_set(
			        err, REBUY_EARG,
			        "survivors: count %zu (%g) is not a whole number >= 0", i + 1,
			        s[i]);
		if (i > 0 && s[i] > s[i - 1])
			return rebuy_error_set(
			        err, REBUY_EARG,
			        "survivors: count %zu (%g) is more than the one before "
			        "it (%g); survivors can only fall",
			        i + 1, s[i], s[i - 1]);
	}
	if (s[0] == 0)
		return rebuy_error_set(err, REBUY_EARG, "survivors: the cohort is empty");
	/* Periods 1..n-1 lose s[t-1] - s[t]; s[n-1] are still active after
	 * period n-1 (the rows of sbg.c). */
	struct rebuy_clv_data *d = data_new(n, REBUY_CLV_SURVIVAL);
	if (!d)
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	struct rebuy__clv_rows rows;
	enum rebuy_status st = rebuy__sbg_rows_from_survivors(s, n, d->x, d->t_x, d->w, &rows, err);
	if (st != REBUY_OK) {
		rebuy_clv_data_free(d);
		return st;
	}
	memset(d->T, 0, n * sizeof *d->T);
	d->n_customers = s[0];
	snprintf(d->source, sizeof d->source, "survivors");
	*out = d;
	return REBUY_OK;
}

/* ---- from a contracts file ---- */

static const char *const names_start[] = {"start",   "startdate", "started", "begin",
                                          "created", "from",      "since",   NULL};
static const char *const names_end[] = {"end",      "enddate",  "ended",   "cancelled",
                                        "canceled", "churned",  "to",      "until",
                                        "stop",     "stopdate", "stopped", NULL};

/* A date cell: 1 and *day when there is one, 0 when it is empty, -1 (err
 * set) when it cannot be read or is ambiguous. */
static int date_cell(const struct rebuy_table *t, size_t row, int col, int64_t *day,
                     struct rebuy_error *err)
{
	const char *s = rebuy_table_cell(t, row, (size_t)col);
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	if (n == 0)
		return 0;
	int64_t ts, alt;
	unsigned f = rebuy_date_parse(s, n, NULL, &ts, &alt);
	if (f & REBUY_DATE_SLASH) {
		int mdy = !!(f & REBUY_DATE_MDY_VALID), dmy = !!(f & REBUY_DATE_DMY_VALID);
		if (mdy && dmy && ts != alt)
			f = 0;
		else if (!mdy)
			ts = alt;
	}
	if (!f) {
		rebuy_error_set(err, REBUY_EDATA,
		                "%s:%llu: %s '%.*s' is not a date (or reads both as month/day and "
		                "day/month: write YYYY-MM-DD)",
		                t->path, (unsigned long long)rebuy_table_row_line(t, row),
		                rebuy_table_column_name(t, (size_t)col), (int)n, s);
		return -1;
	}
	*day = rebuy_day_of(ts);
	return 1;
}

/* Whole calendar periods from day a to day b >= a, and whether b is exactly
 * on a period boundary counted from a. */
static int64_t whole_periods(enum rebuy_period p, int64_t a, int64_t b, int *exact)
{
	if (p == REBUY_PERIOD_DAY || p == REBUY_PERIOD_WEEK) {
		int64_t len = p == REBUY_PERIOD_DAY ? 1 : 7;
		*exact = (b - a) % len == 0;
		return (b - a) / len;
	}
	int64_t y1, y2;
	unsigned m1, d1, m2, d2;
	rebuy_civil_from_days(a, &y1, &m1, &d1);
	rebuy_civil_from_days(b, &y2, &m2, &d2);
	int64_t months = (y2 - y1) * 12 + ((int64_t)m2 - (int64_t)m1) - (d2 < d1 ? 1 : 0);
	int64_t per = p == REBUY_PERIOD_MONTH ? 1 : p == REBUY_PERIOD_QUARTER ? 3 : 12;
	*exact = d2 == d1 && months % per == 0;
	return months / per;
}

enum rebuy_status rebuy_clv_data_read_contracts(const char *path, enum rebuy_period period,
                                                int has_as_of, int64_t as_of,
                                                struct rebuy_clv_data **out, size_t *n_young,
                                                struct rebuy_error *err)
{
	struct rebuy_table_options topts;
	rebuy_table_options_init(&topts);
	topts.path = path;
	return rebuy__clv_read_contracts(&topts, period, has_as_of, as_of, out, n_young, err);
}

enum rebuy_status rebuy__clv_read_contracts(const struct rebuy_table_options *topts,
                                            enum rebuy_period period, int has_as_of, int64_t as_of,
                                            struct rebuy_clv_data **out, size_t *n_young,
                                            struct rebuy_error *err)
{
	*out = NULL;
	*n_young = 0;
	struct rebuy_table *t = NULL;
	enum rebuy_status st = rebuy_table_read(&t, topts, err);
	if (st)
		return st;
	struct rebuy_clv_data *d = NULL;
	int64_t *start = NULL, *end = NULL;
	int c_cust, c_start, c_end;
	if ((st = find(t, "customer", names_customer, 0, &c_cust, err)) ||
	    (st = find(t, "start", names_start, 1, &c_start, err)) ||
	    (st = find(t, "end", names_end, 1, &c_end, err)))
		goto fail;
	st = REBUY_ENOMEM;
	size_t n = t->n_rows;
	if (!(start = rebuy__malloc((n ? n : 1) * sizeof *start)) ||
	    !(end = rebuy__malloc((n ? n : 1) * sizeof *end)))
		goto fail;
	/* Read every date first: as_of defaults to the latest of them. */
	int64_t latest = INT64_MIN;
	for (size_t i = 0; i < n; i++) {
		int has_start = date_cell(t, i, c_start, &start[i], err);
		int has_end = has_start < 0 ? -1 : date_cell(t, i, c_end, &end[i], err);
		if (has_start < 0 || has_end < 0) {
			st = REBUY_EDATA;
			goto fail;
		}
		if (!has_start) {
			st = rebuy_error_set(err, REBUY_EDATA,
			                     "%s:%llu: a contract without a start", t->path,
			                     (unsigned long long)rebuy_table_row_line(t, i));
			goto fail;
		}
		if (!has_end)
			end[i] = INT64_MAX;
		else if (end[i] < start[i]) {
			st = rebuy_error_set(err, REBUY_EDATA,
			                     "%s:%llu: the contract ends before it starts", t->path,
			                     (unsigned long long)rebuy_table_row_line(t, i));
			goto fail;
		}
		latest = start[i] > latest ? start[i] : latest;
		if (has_end && end[i] > latest)
			latest = end[i];
	}
	if (!has_as_of)
		as_of = latest;
	st = REBUY_ENOMEM;
	if (!(d = data_new(n ? n : 1, REBUY_CLV_SURVIVAL)))
		goto fail;
	if (c_cust >= 0 && !(d->keys = rebuy__malloc((n ? n : 1) * sizeof *d->keys)))
		goto fail;
	size_t m = 0;
	d->n_customers = 0;
	for (size_t i = 0; i < n; i++) {
		if (start[i] > as_of)
			continue; /* not a contract yet */
		int exact;
		if (end[i] <= as_of) {
			int64_t k = whole_periods(period, start[i], end[i], &exact);
			d->x[m] = (double)(exact ? (k > 0 ? k : 1) : k + 1);
			d->t_x[m] = 0;
		} else {
			int64_t k = whole_periods(period, start[i], as_of, &exact);
			if (k < 1) {
				(*n_young)++;
				continue;
			}
			d->x[m] = (double)k;
			d->t_x[m] = 1;
		}
		d->T[m] = 0;
		d->w[m] = 1;
		d->n_customers += 1;
		if (d->keys) {
			const char *key = rebuy_table_cell(t, i, (size_t)c_cust);
			if (!(d->keys[m] =
			              rebuy__arena_strndup(&d->priv->arena, key, strlen(key)))) {
				st = REBUY_ENOMEM;
				goto fail;
			}
		}
		m++;
	}
	d->n = m;
	if (m == 0) {
		st = rebuy_error_set(err, REBUY_EDATA,
		                     "%s: no contract is a whole %s old at the as-of date", t->path,
		                     rebuy_period_name(period));
		goto fail;
	}
	d->has_cal_end = 1;
	d->cal_end = as_of;
	snprintf(d->source, sizeof d->source, "%s", t->path);
	rebuy__free(start);
	rebuy__free(end);
	rebuy_table_free(t);
	*out = d;
	return REBUY_OK;
fail:
	if (st == REBUY_ENOMEM)
		rebuy_error_set(err, st, "out of memory");
	rebuy__free(start);
	rebuy__free(end);
	rebuy_table_free(t);
	rebuy_clv_data_free(d);
	return st;
}
