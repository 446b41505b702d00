/* Cohort tables (DESIGN.md §4, docs/cohorts.md): cohort = period of the first
 * purchase day, offset k = periods since. One pass over each customer's
 * purchases adds to per-thread integer cells (customers, orders, exact money);
 * on-or-after, rolling and cumulative keep histograms (last offset, streak,
 * first repeat) or per-offset sums that become suffix or prefix sums after
 * the merge, so nothing depends on the split. Values = counts / size. */
#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "core/parallel.h"
#include "core/period.h"
#include "rebuy/cohorts.h"

#define MAX_CELLS ((size_t)1 << 24)
#define MAX_THREAD_CELLS ((size_t)1 << 25) /* all threads' cells together */
#define MAX_SPAN_DAYS (20 * 1000 * 1000)

struct rebuy__cohorts_priv {
	struct rebuy_cohort *rows;
	int64_t *counts;
	double *values;
	double *average;
	uint64_t *average_size;
	struct rebuy__arena strings;
	const char **by_values;
};

static const char *const mode_names[] = {"on", "on-or-after", "rolling", "cumulative"};
static const char *const metric_names[] = {"customers", "orders", "revenue", "ltv"};

enum rebuy_status rebuy_cohort_mode_from_name(const char *name, enum rebuy_cohort_mode *out,
                                              struct rebuy_error *err)
{
	for (size_t i = 0; i < sizeof mode_names / sizeof *mode_names; i++)
		if (strcmp(name, mode_names[i]) == 0) {
			*out = (enum rebuy_cohort_mode)i;
			return REBUY_OK;
		}
	return rebuy_error_set(err, REBUY_EARG,
	                       "--mode: '%s' is not on, on-or-after, rolling or cumulative", name);
}

const char *rebuy_cohort_mode_name(enum rebuy_cohort_mode mode)
{
	return (unsigned)mode < sizeof mode_names / sizeof *mode_names ? mode_names[mode] : "?";
}

enum rebuy_status rebuy_cohort_metric_from_name(const char *name, enum rebuy_cohort_metric *out,
                                                struct rebuy_error *err)
{
	for (size_t i = 0; i < sizeof metric_names / sizeof *metric_names; i++)
		if (strcmp(name, metric_names[i]) == 0) {
			*out = (enum rebuy_cohort_metric)i;
			return REBUY_OK;
		}
	return rebuy_error_set(err, REBUY_EARG,
	                       "--metric: '%s' is not customers, orders, revenue or ltv", name);
}

const char *rebuy_cohort_metric_name(enum rebuy_cohort_metric metric)
{
	return (unsigned)metric < sizeof metric_names / sizeof *metric_names ? metric_names[metric]
	                                                                     : "?";
}

void rebuy_cohorts_options_init(struct rebuy_cohorts_options *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->period = REBUY_PERIOD_MONTH;
	opts->mode = REBUY_COHORT_ON;
	opts->metric = REBUY_COHORT_CUSTOMERS;
	opts->max_offset = REBUY_COHORT_ALL_OFFSETS;
}

/* What one customer adds to the cells of their cohort row. */
enum kind {
	CUST_ON,           /* +1 at each offset with a purchase */
	CUST_LAST,         /* histogram of the last purchase offset (on-or-after) */
	CUST_STREAK,       /* histogram of s: purchases in every offset 1..s (rolling) */
	CUST_FIRST_REPEAT, /* histogram of the first offset >= 1 with a purchase (cumulative) */
	SUM_ON,            /* orders or revenue at their offset (on, cumulative, ltv) */
	SUM_CLAMPED,       /* the same with offsets past the last one added to it (on-or-after) */
	SUM_STREAK         /* orders or revenue at offsets 0..s only (rolling) */
};

/* How a row's cells are finished after the merge. */
enum finish { FINISH_NONE, FINISH_SUFFIX, FINISH_PREFIX, FINISH_PREFIX_FROM_1 };

struct acc {
	int64_t *cells;  /* n_rows x n_off */
	uint64_t *sizes; /* n_rows */
	int overflow;
};

struct job {
	const struct rebuy_orders *o;
	int64_t ts0;        /* the first second of the first purchase day */
	const int32_t *lut; /* day - first day -> period slot */
	size_t n_periods, n_off, n_rows;
	const uint32_t *by; /* attribute ids per purchase, or NULL */
	enum kind kind;
	int money; /* sums add purchase values, else 1 per purchase */
	size_t n_ranges;
	struct acc *accs;
};

/* Every purchase is on or after day0, so the day index is an unsigned
 * quotient (no floor division for times before 1970 needed here). */
static inline int64_t slot_of(const struct job *j, int64_t ts)
{
	return j->lut[(uint64_t)(ts - j->ts0) / 86400u];
}

static inline void add(int64_t *cell, int64_t v, int *overflow)
{
	if (__builtin_add_overflow(*cell, v, cell))
		*overflow = 1;
}

/* s: the largest s such that the customer bought in every offset 1..s,
 * capped at last. */
static size_t streak(const struct job *j, uint64_t lo, uint64_t hi, int64_t p0, size_t last)
{
	size_t s = 0;
	for (uint64_t i = lo + 1; i < hi && s < last; i++) {
		int64_t off = slot_of(j, j->o->ts[i]) - p0;
		if (off == (int64_t)s + 1)
			s++;
		else if (off > (int64_t)s + 1)
			break;
	}
	return s;
}

static void one_customer(const struct job *j, struct acc *a, uint64_t lo, uint64_t hi)
{
	const int64_t *ts = j->o->ts;
	const int64_t *value = j->o->value;
	int64_t p0 = slot_of(j, ts[lo]);
	size_t row = (j->by ? (size_t)j->by[lo] * j->n_periods : 0) + (size_t)p0;
	int64_t *cell = a->cells + row * j->n_off;
	const size_t last = j->n_off - 1;
	a->sizes[row]++;
	switch (j->kind) {
	case CUST_ON: {
		int64_t prev = -1;
		for (uint64_t i = lo; i < hi; i++) {
			int64_t off = slot_of(j, ts[i]) - p0;
			if (off == prev)
				continue;
			if (off > (int64_t)last)
				break;
			cell[off]++;
			prev = off;
		}
		break;
	}
	case CUST_LAST: {
		int64_t off = slot_of(j, ts[hi - 1]) - p0;
		cell[off > (int64_t)last ? (int64_t)last : off]++;
		break;
	}
	case CUST_STREAK: cell[streak(j, lo, hi, p0, last)]++; break;
	case CUST_FIRST_REPEAT:
		for (uint64_t i = lo + 1; i < hi; i++) {
			int64_t off = slot_of(j, ts[i]) - p0;
			if (off >= 1) {
				if (off <= (int64_t)last)
					cell[off]++;
				break;
			}
		}
		break;
	case SUM_ON:
	case SUM_CLAMPED:
	case SUM_STREAK: {
		size_t end = j->kind == SUM_STREAK ? streak(j, lo, hi, p0, last) : last;
		for (uint64_t i = lo; i < hi; i++) {
			int64_t off = slot_of(j, ts[i]) - p0;
			if (off > (int64_t)end) {
				if (j->kind != SUM_CLAMPED)
					break;
				off = (int64_t)end;
			}
			if (j->money)
				add(&cell[off], value[i], &a->overflow);
			else
				cell[off]++;
		}
		break;
	}
	}
}

static enum rebuy_status run_range(void *ud, size_t item, unsigned thread)
{
	const struct job *j = ud;
	const struct rebuy_orders *o = j->o;
	struct acc *a = &j->accs[thread];
	size_t n = o->n_customers;
	size_t c0 = n * item / j->n_ranges, c1 = n * (item + 1) / j->n_ranges;
	for (size_t c = c0; c < c1; c++) {
		uint64_t lo = o->cust_start[c], hi = o->cust_start[c + 1];
		if (lo < hi)
			one_customer(j, a, lo, hi);
	}
	return REBUY_OK;
}

static void kind_of(const struct rebuy_cohorts_options *opts, enum kind *kind, enum finish *finish)
{
	if (opts->metric == REBUY_COHORT_CUSTOMERS) {
		switch (opts->mode) {
		case REBUY_COHORT_ON: *kind = CUST_ON, *finish = FINISH_NONE; return;
		case REBUY_COHORT_ON_OR_AFTER: *kind = CUST_LAST, *finish = FINISH_SUFFIX; return;
		case REBUY_COHORT_ROLLING: *kind = CUST_STREAK, *finish = FINISH_SUFFIX; return;
		default: *kind = CUST_FIRST_REPEAT, *finish = FINISH_PREFIX_FROM_1; return;
		}
	}
	if (opts->metric == REBUY_COHORT_LTV) {
		*kind = SUM_ON, *finish = FINISH_PREFIX;
		return;
	}
	switch (opts->mode) {
	case REBUY_COHORT_ON: *kind = SUM_ON, *finish = FINISH_NONE; return;
	case REBUY_COHORT_ON_OR_AFTER: *kind = SUM_CLAMPED, *finish = FINISH_SUFFIX; return;
	case REBUY_COHORT_ROLLING: *kind = SUM_STREAK, *finish = FINISH_NONE; return;
	default: *kind = SUM_ON, *finish = FINISH_PREFIX; return;
	}
}

/* Turns a row's n cells into what the mode counts. */
static void finish_row(int64_t *cell, size_t n, uint64_t size, enum finish f, int *overflow)
{
	switch (f) {
	case FINISH_SUFFIX:
		for (size_t k = n - 1; k-- > 0;)
			add(&cell[k], cell[k + 1], overflow);
		break;
	case FINISH_PREFIX:
		for (size_t k = 1; k < n; k++)
			add(&cell[k], cell[k - 1], overflow);
		break;
	case FINISH_PREFIX_FROM_1:
		cell[0] = (int64_t)size;
		for (size_t k = 2; k < n; k++)
			cell[k] += cell[k - 1];
		break;
	default: break;
	}
}

void rebuy_cohorts_free(struct rebuy_cohorts *c)
{
	if (!c)
		return;
	struct rebuy__cohorts_priv *p = c->priv;
	if (p) {
		rebuy__free(p->rows);
		rebuy__free(p->counts);
		rebuy__free(p->values);
		rebuy__free(p->average);
		rebuy__free(p->average_size);
		rebuy__free(p->by_values);
		rebuy__arena_release(&p->strings);
		rebuy__free(p);
	}
	rebuy__free(c);
}

static void acc_release(struct acc *a)
{
	rebuy__free(a->cells);
	rebuy__free(a->sizes);
}

/* Checks the options against the orders; fills as_of. */
static enum rebuy_status check(const struct rebuy_orders *o,
                               const struct rebuy_cohorts_options *opts, int64_t *as_of,
                               struct rebuy_error *err)
{
	if (o->n_orders == 0)
		return rebuy_error_set(err, REBUY_EDATA,
		                       "%s: no purchases to put in cohorts (%llu rows read, %llu "
		                       "used)",
		                       o->report.path, (unsigned long long)o->report.rows,
		                       (unsigned long long)o->report.rows_used);
	if (!o->has_amount &&
	    (opts->metric == REBUY_COHORT_REVENUE || opts->metric == REBUY_COHORT_LTV))
		return rebuy_error_set(err, REBUY_EDATA,
		                       "%s: --metric %s needs an amount column (or quantity and "
		                       "price), and the input has none",
		                       o->report.path, rebuy_cohort_metric_name(opts->metric));
	if (opts->has_by && opts->by_attribute >= o->n_attributes)
		return rebuy_error_set(err, REBUY_EARG,
		                       "cohorts by attribute %zu: the orders keep %zu attributes",
		                       opts->by_attribute, o->n_attributes);
	*as_of = opts->has_as_of ? opts->as_of_day : o->last_day + 1;
	if (*as_of <= o->last_day)
		return rebuy_error_set(err, REBUY_EARG,
		                       "--as-of must be after the last purchase day in the data");
	if (*as_of - o->first_day > MAX_SPAN_DAYS)
		return rebuy_error_set(err, REBUY_ELIMIT, "the data spans more than %d days",
		                       MAX_SPAN_DAYS);
	return REBUY_OK;
}

/* The value of a cell: count / size, money in currency units. */
static double cell_value(int64_t count, uint64_t size, int money)
{
	if (size == 0)
		return NAN;
	return money ? (double)count / ((double)size * 1e4) : (double)count / (double)size;
}

/* Copies the attribute's name and value texts into the result. */
static int copy_by_names(struct rebuy_cohorts *c, struct rebuy__cohorts_priv *p,
                         const struct rebuy_orders *o, size_t k)
{
	size_t n = o->n_attr_values[k], len;
	const char *name = rebuy_orders_attribute_name(o, k);
	if (!(c->by_name = rebuy__arena_strndup(&p->strings, name, strlen(name))))
		return 0;
	if (!(p->by_values = rebuy__calloc(n ? n : 1, sizeof *p->by_values)))
		return 0;
	for (size_t v = 0; v < n; v++) {
		const char *s = rebuy_orders_attribute_value(o, k, (uint32_t)v, &len);
		if (!(p->by_values[v] = rebuy__arena_strndup(&p->strings, s, len)))
			return 0;
	}
	c->n_by_values = n;
	c->by_values = p->by_values;
	return 1;
}

/* The first period slot kept for value v: every period without by; with
 * by, the value's first cohort (n_periods, no row, when it starts nobody). */
static size_t first_row(const struct job *j, const struct acc *a, size_t v)
{
	size_t q = 0;
	if (j->by)
		while (q < j->n_periods && !a->sizes[v * j->n_periods + q])
			q++;
	return q;
}

/* Builds the cohort rows and the average from the merged accumulator. */
static enum rebuy_status build(struct rebuy_cohorts *c, struct rebuy__cohorts_priv *p,
                               const struct job *j, struct acc *a, int64_t p0, enum finish finish)
{
	const int money = j->money;
	const int last_partial =
	        rebuy_period_start(c->period, p0 + (int64_t)j->n_periods) > c->as_of_day;
	size_t n_vals = j->n_rows / j->n_periods, n_rows = 0, n_cells = 0;
	for (size_t v = 0; v < n_vals; v++) {
		for (size_t q = first_row(j, a, v); q < j->n_periods; q++) {
			size_t left = j->n_periods - 1 - q;
			n_cells += (left < j->n_off ? left + 1 : j->n_off);
			n_rows++;
		}
	}
	p->rows = rebuy__calloc(n_rows ? n_rows : 1, sizeof *p->rows);
	p->counts = rebuy__calloc(n_cells ? n_cells : 1, sizeof *p->counts);
	p->values = rebuy__calloc(n_cells ? n_cells : 1, sizeof *p->values);
	p->average = rebuy__calloc(j->n_off, sizeof *p->average);
	p->average_size = rebuy__calloc(j->n_off, sizeof *p->average_size);
	int64_t *avg_sum = rebuy__calloc(j->n_off, sizeof *avg_sum);
	if (!p->rows || !p->counts || !p->values || !p->average || !p->average_size || !avg_sum) {
		rebuy__free(avg_sum);
		return REBUY_ENOMEM;
	}
	size_t r = 0, cell0 = 0;
	for (size_t v = 0; v < n_vals; v++) {
		for (size_t q = first_row(j, a, v); q < j->n_periods; q++) {
			struct rebuy_cohort *row = &p->rows[r++];
			size_t left = j->n_periods - 1 - q;
			size_t n = left < j->n_off ? left + 1 : j->n_off;
			int64_t *cnt = p->counts + cell0;
			double *val = p->values + cell0;
			cell0 += n;
			row->index = p0 + (int64_t)q;
			row->start_day = rebuy_period_start(c->period, row->index);
			row->by = (uint32_t)v;
			row->size = a->sizes[v * j->n_periods + q];
			row->n_offsets = n;
			row->has_partial = last_partial && left < n;
			row->partial_from = row->has_partial ? left : 0;
			memcpy(cnt, a->cells + (v * j->n_periods + q) * j->n_off, n * sizeof *cnt);
			finish_row(cnt, n, row->size, finish, &a->overflow);
			for (size_t k = 0; k < n; k++) {
				val[k] = cell_value(cnt[k], row->size, money);
				if (row->has_partial && k >= row->partial_from)
					continue;
				add(&avg_sum[k], cnt[k], &a->overflow);
				p->average_size[k] += row->size;
			}
			row->counts = cnt;
			row->values = val;
			c->customers += row->size;
		}
	}
	for (size_t k = 0; k < j->n_off; k++)
		p->average[k] = cell_value(avg_sum[k], p->average_size[k], money);
	rebuy__free(avg_sum);
	c->n_cohorts = n_rows;
	c->cohorts = p->rows;
	c->n_offsets = j->n_off;
	c->average = p->average;
	c->average_size = p->average_size;
	return REBUY_OK;
}

enum rebuy_status rebuy_cohorts_compute(const struct rebuy_orders *o,
                                        const struct rebuy_cohorts_options *opts,
                                        struct rebuy_cohorts **out, struct rebuy_error *err)
{
	*out = NULL;
	int64_t as_of = 0;
	enum rebuy_status st = check(o, opts, &as_of, err);
	if (st)
		return st;
	struct job j = {.o = o, .ts0 = o->first_day * 86400};
	j.money = opts->metric == REBUY_COHORT_REVENUE || opts->metric == REBUY_COHORT_LTV;
	enum finish finish;
	kind_of(opts, &j.kind, &finish);
	size_t span = (size_t)(as_of - o->first_day);
	struct rebuy_cohorts *c = rebuy__calloc(1, sizeof *c);
	struct rebuy__cohorts_priv *p = rebuy__calloc(1, sizeof *p);
	int32_t *lut = NULL;
	struct acc *accs = NULL;
	unsigned threads = opts->n_threads ? opts->n_threads : rebuy__cpu_count();
	st = REBUY_ENOMEM;
	if (!c || !p)
		goto out;
	c->priv = p;
	rebuy__arena_init(&p->strings, 4096);
	int64_t p0;
	if (!(lut = rebuy__period_lut(opts->period, o->first_day, span, SIZE_MAX, &p0,
	                              &j.n_periods)))
		goto out;
	j.lut = lut;
	j.n_off = j.n_periods;
	if (opts->max_offset < j.n_off)
		j.n_off = opts->max_offset + 1;
	size_t n_vals = 1;
	if (opts->has_by) {
		n_vals = o->n_attr_values[opts->by_attribute];
		j.by = o->attr[opts->by_attribute];
		if (!copy_by_names(c, p, o, opts->by_attribute))
			goto out;
	}
	size_t cells;
	if (rebuy__mul_overflows(n_vals, j.n_periods, &j.n_rows) ||
	    rebuy__mul_overflows(j.n_rows, j.n_off, &cells) || cells > MAX_CELLS) {
		st = rebuy_error_set(err, REBUY_ELIMIT,
		                     "%zu cohorts of a %s%s with up to %zu offsets are more than "
		                     "%zu cells (choose a longer --period or a --max-offset)",
		                     j.n_rows, rebuy_period_name(opts->period),
		                     opts->has_by ? " and attribute value" : "", j.n_off,
		                     MAX_CELLS);
		goto out;
	}
	j.n_ranges = o->n_customers < 1024 ? 1 : 256;
	if (threads > j.n_ranges)
		threads = (unsigned)j.n_ranges;
	if ((size_t)threads * cells > MAX_THREAD_CELLS)
		threads = (unsigned)(MAX_THREAD_CELLS / cells);
	if (threads < 1)
		threads = 1;
	if (!(accs = rebuy__calloc(threads, sizeof *accs)))
		goto out;
	j.accs = accs;
	for (unsigned t = 0; t < threads; t++) {
		accs[t].cells = rebuy__calloc(cells, sizeof *accs[t].cells);
		accs[t].sizes = rebuy__calloc(j.n_rows, sizeof *accs[t].sizes);
		if (!accs[t].cells || !accs[t].sizes)
			goto out;
	}
	if ((st = rebuy__parallel_for(threads, j.n_ranges, run_range, &j)))
		goto out;
	st = REBUY_ENOMEM;
	struct acc *a = &accs[0];
	for (unsigned t = 1; t < threads; t++) {
		for (size_t i = 0; i < cells; i++)
			add(&a->cells[i], accs[t].cells[i], &a->overflow);
		for (size_t i = 0; i < j.n_rows; i++)
			a->sizes[i] += accs[t].sizes[i];
		a->overflow |= accs[t].overflow;
	}
	c->period = opts->period;
	c->mode = opts->metric == REBUY_COHORT_LTV ? REBUY_COHORT_CUMULATIVE : opts->mode;
	c->metric = opts->metric;
	c->has_amount = o->has_amount;
	c->first_day = o->first_day;
	c->last_day = o->last_day;
	c->as_of_day = as_of;
	c->max_offset = opts->max_offset;
	c->has_by = opts->has_by;
	if ((st = build(c, p, &j, a, p0, finish)))
		goto out;
	if (a->overflow) {
		st = rebuy_error_set(err, REBUY_ELIMIT,
		                     "a revenue total is beyond what rebuy holds (+-922 trillion)");
		goto out;
	}
	st = REBUY_OK;
out:
	if (st == REBUY_ENOMEM)
		rebuy_error_set(err, st, "out of memory");
	if (accs)
		for (unsigned t = 0; t < threads; t++)
			acc_release(&accs[t]);
	rebuy__free(accs);
	rebuy__free(lut);
	if (st) {
		if (c)
			rebuy_cohorts_free(c);
		else
			rebuy__free(p);
		return st;
	}
	*out = c;
	return REBUY_OK;
}
