/* The KPI pack and period metrics of DESIGN.md §4, in one pass over each
 * customer's purchases. Customers are split into ranges summed on several
 * threads; every accumulator is an integer (counts, exact money, day
 * histograms), so merging is exact and the result does not depend on the
 * split. Medians come from day histograms (the mean of the two middle values
 * for an even count). Retention follows the textbook definitions: CRR =
 * (E - N) / S, strict retention = |S n E| / S.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/parallel.h"
#include "core/period.h"
#include "rebuy/summary.h"

#define MAX_PERIODS 100000
#define MAX_SPAN_DAYS (20 * 1000 * 1000)

void rebuy_summary_options_init(struct rebuy_summary_options *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->period = REBUY_PERIOD_MONTH;
}

static inline int64_t day_of(int64_t ts)
{
	return ts >= 0 ? ts / 86400 : -((-ts + 86399) / 86400);
}

struct pacc {
	uint64_t E, N, retained, orders;
	int64_t revenue, revenue_new;
};

struct acc {
	uint64_t customers, orders, zero, repeat, repeat_days, n_gaps, gap_sum, n_second;
	int64_t revenue, first_day_revenue;
	uint64_t *gap_hist, *second_hist, *orders_hist;
	uint64_t *tail; /* orders of customers with REBUY_ORDERS_HIST or more */
	size_t n_tail, tail_cap;
	struct pacc *per, *mon;
	int overflow;
	int nomem; /* the orders tail could not grow */
};

struct job {
	const struct rebuy_orders *o;
	int64_t day0;           /* first day of the lookup tables */
	size_t span;            /* days in the lookup tables */
	const int32_t *per_lut; /* day - day0 -> period slot */
	const int32_t *mon_lut; /* day - day0 -> month slot, or NULL when period is month */
	size_t n_per, n_mon;
	size_t n_ranges;
	struct acc *accs; /* one per thread */
};

static inline void add_money(int64_t *sum, int64_t v, int *overflow)
{
	if (__builtin_add_overflow(*sum, v, sum))
		*overflow = 1;
}

/* Walks one customer's purchases: day, period and month transitions. */
static void one_customer(const struct job *j, struct acc *a, uint64_t lo, uint64_t hi)
{
	const struct rebuy_orders *o = j->o;
	int64_t prev_day = INT64_MIN, first_day = 0;
	int32_t prev_p = -1, first_p = -1, prev_m = -1, first_m = -1;
	uint32_t days = 0;
	a->customers++;
	a->orders += hi - lo;
	for (uint64_t i = lo; i < hi; i++) {
		int64_t v = o->value[i];
		int64_t day = day_of(o->ts[i]);
		size_t d = (size_t)(day - j->day0);
		int32_t p = j->per_lut[d];
		int32_t m = j->mon_lut ? j->mon_lut[d] : p;
		if (day != prev_day) {
			days++;
			if (days == 1) {
				first_day = day;
			} else {
				uint64_t gap = (uint64_t)(day - prev_day);
				a->gap_hist[gap]++;
				a->gap_sum += gap;
				a->n_gaps++;
				if (days == 2) {
					a->second_hist[day - first_day]++;
					a->n_second++;
				}
			}
			prev_day = day;
			if (p != prev_p) {
				struct pacc *pp = &a->per[p];
				pp->E++;
				if (prev_p < 0) {
					pp->N++;
					first_p = p;
				} else if (prev_p == p - 1) {
					pp->retained++;
				}
				prev_p = p;
			}
			if (j->mon_lut && m != prev_m) {
				struct pacc *mm = &a->mon[m];
				mm->E++;
				if (prev_m < 0) {
					mm->N++;
					first_m = m;
				} else if (prev_m == m - 1) {
					mm->retained++;
				}
				prev_m = m;
			}
		}
		add_money(&a->revenue, v, &a->overflow);
		if (days == 1)
			add_money(&a->first_day_revenue, v, &a->overflow);
		a->zero += v == 0;
		a->per[p].orders++;
		add_money(&a->per[p].revenue, v, &a->overflow);
		if (p == first_p)
			add_money(&a->per[p].revenue_new, v, &a->overflow);
		if (j->mon_lut) {
			a->mon[m].orders++;
			add_money(&a->mon[m].revenue, v, &a->overflow);
			if (m == first_m)
				add_money(&a->mon[m].revenue_new, v, &a->overflow);
		}
	}
	a->repeat += hi - lo >= 2;
	a->repeat_days += days >= 2;
	uint64_t n = hi - lo;
	if (n < REBUY_ORDERS_HIST)
		a->orders_hist[n]++;
	else if (rebuy__grow((void **)&a->tail, &a->tail_cap, a->n_tail + 1, sizeof *a->tail,
	                     SIZE_MAX / sizeof *a->tail) == REBUY_OK)
		a->tail[a->n_tail++] = n;
	else
		a->nomem = 1;
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

static int cmp_u64(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
	return (a > b) - (a < b);
}

/* The value at 0-based rank r of the histogram then the tail. */
static double value_at_rank(const uint64_t *hist, size_t len, const uint64_t *tail, uint64_t r)
{
	uint64_t seen = 0;
	for (size_t k = 0; k < len; k++) {
		seen += hist[k];
		if (r < seen)
			return (double)k;
	}
	return (double)tail[r - seen];
}

double rebuy_hist_quantile(const uint64_t *hist, size_t len, const uint64_t *tail, size_t n_tail,
                           double p)
{
	uint64_t n = n_tail;
	for (size_t k = 0; k < len; k++)
		n += hist[k];
	if (n == 0 || !(p >= 0 && p <= 1))
		return NAN;
	double h = (double)(n - 1) * p;
	uint64_t lo = (uint64_t)floor(h);
	double x = value_at_rank(hist, len, tail, lo);
	if (lo + 1 >= n || h == (double)lo)
		return x;
	double y = value_at_rank(hist, len, tail, lo + 1);
	return x + (h - (double)lo) * (y - x);
}

double rebuy_hist_median(const uint64_t *hist, size_t len, uint64_t n)
{
	if (n == 0)
		return NAN;
	/* The values of rank n/2 and n/2 + 1 (1-based) when n is even, else
	 * rank (n + 1) / 2 twice. */
	uint64_t r1 = (n + 1) / 2, r2 = n / 2 + 1, seen = 0;
	double v1 = NAN, v2 = NAN;
	for (size_t k = 0; k < len; k++) {
		if (!hist[k])
			continue;
		uint64_t before = seen;
		seen += hist[k];
		if (isnan(v1) && r1 > before && r1 <= seen)
			v1 = (double)k;
		if (r2 > before && r2 <= seen) {
			v2 = (double)k;
			break;
		}
	}
	return (v1 + v2) / 2.0;
}

static double ratio(double a, double b)
{
	return b != 0 ? a / b : NAN;
}

static void acc_release(struct acc *a)
{
	rebuy__free(a->gap_hist);
	rebuy__free(a->second_hist);
	rebuy__free(a->orders_hist);
	rebuy__free(a->tail);
	rebuy__free(a->per);
	rebuy__free(a->mon);
}

static int acc_alloc(struct acc *a, size_t span, size_t n_per, size_t n_mon)
{
	memset(a, 0, sizeof *a);
	a->gap_hist = rebuy__calloc(span + 1, sizeof *a->gap_hist);
	a->second_hist = rebuy__calloc(span + 1, sizeof *a->second_hist);
	a->orders_hist = rebuy__calloc(REBUY_ORDERS_HIST, sizeof *a->orders_hist);
	a->per = rebuy__calloc(n_per, sizeof *a->per);
	a->mon = n_mon ? rebuy__calloc(n_mon, sizeof *a->mon) : NULL;
	return a->gap_hist && a->second_hist && a->orders_hist && a->per && (!n_mon || a->mon);
}

static void merge_pacc(struct pacc *dst, const struct pacc *src, size_t n, int *overflow)
{
	for (size_t i = 0; i < n; i++) {
		dst[i].E += src[i].E;
		dst[i].N += src[i].N;
		dst[i].retained += src[i].retained;
		dst[i].orders += src[i].orders;
		add_money(&dst[i].revenue, src[i].revenue, overflow);
		add_money(&dst[i].revenue_new, src[i].revenue_new, overflow);
	}
}

static void acc_merge(struct acc *dst, const struct acc *src, size_t span, size_t n_per,
                      size_t n_mon)
{
	dst->customers += src->customers;
	dst->orders += src->orders;
	dst->zero += src->zero;
	dst->repeat += src->repeat;
	dst->repeat_days += src->repeat_days;
	dst->n_gaps += src->n_gaps;
	dst->gap_sum += src->gap_sum;
	dst->n_second += src->n_second;
	add_money(&dst->revenue, src->revenue, &dst->overflow);
	add_money(&dst->first_day_revenue, src->first_day_revenue, &dst->overflow);
	dst->overflow |= src->overflow;
	dst->nomem |= src->nomem;
	for (size_t k = 0; k <= span; k++) {
		dst->gap_hist[k] += src->gap_hist[k];
		dst->second_hist[k] += src->second_hist[k];
	}
	for (size_t k = 0; k < REBUY_ORDERS_HIST; k++)
		dst->orders_hist[k] += src->orders_hist[k];
	for (size_t i = 0; i < src->n_tail; i++) {
		if (rebuy__grow((void **)&dst->tail, &dst->tail_cap, dst->n_tail + 1,
		                sizeof *dst->tail, SIZE_MAX / sizeof *dst->tail) != REBUY_OK) {
			dst->nomem = 1;
			break;
		}
		dst->tail[dst->n_tail++] = src->tail[i];
	}
	merge_pacc(dst->per, src->per, n_per, &dst->overflow);
	if (n_mon)
		merge_pacc(dst->mon, src->mon, n_mon, &dst->overflow);
}

/* Rows of the period table from the accumulated counts. */
static void fill_rows(struct rebuy_period_row *rows, const struct pacc *pa, size_t n,
                      enum rebuy_period period, int64_t p0, int64_t as_of_day)
{
	for (size_t i = 0; i < n; i++) {
		struct rebuy_period_row *r = &rows[i];
		r->index = p0 + (int64_t)i;
		r->start_day = rebuy_period_start(period, r->index);
		r->is_partial = rebuy_period_start(period, r->index + 1) > as_of_day;
		r->E = pa[i].E;
		r->N = pa[i].N;
		r->S = i > 0 ? pa[i - 1].E : 0;
		r->retained = pa[i].retained;
		r->reactivated = r->E - r->N - r->retained;
		r->dormant = r->S - r->retained;
		r->crr = ratio((double)(r->E - r->N), (double)r->S);
		r->strict_retention = ratio((double)r->retained, (double)r->S);
		r->churn = r->S ? 1.0 - r->strict_retention : NAN;
		r->orders = pa[i].orders;
		r->revenue = pa[i].revenue;
		r->aov = ratio((double)r->revenue / 1e4, (double)r->orders);
		r->revenue_new = pa[i].revenue_new;
		r->revenue_returning = pa[i].revenue - pa[i].revenue_new;
	}
}

/* simple_ltv: the mean churn over the complete months after the first that
 * have S > 0 (where churn is defined), and the revenue per active
 * customer-month over every complete month (a ratio of sums: a month's
 * revenue counts whether or not the month before had customers). */
static void simple_ltv(struct rebuy_summary *s, const struct rebuy_period_row *m, size_t n)
{
	double churn_sum = 0, revenue = 0, active = 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (m[i].is_partial)
			continue;
		revenue += (double)m[i].revenue / 1e4;
		active += (double)m[i].E;
		if (i == 0 || m[i].S == 0)
			continue;
		churn_sum += m[i].churn;
		k++;
	}
	s->simple_ltv.n_months = k;
	s->simple_ltv.mean_monthly_churn = k ? churn_sum / (double)k : NAN;
	s->simple_ltv.monthly_revenue_per_customer = ratio(revenue, active);
	s->simple_ltv.lifetime_months = k && s->simple_ltv.mean_monthly_churn > 0
	                                        ? 1.0 / s->simple_ltv.mean_monthly_churn
	                                        : NAN;
	s->simple_ltv.value =
	        s->simple_ltv.monthly_revenue_per_customer * s->simple_ltv.lifetime_months;
	if (!s->has_amount) {
		s->simple_ltv.monthly_revenue_per_customer = NAN;
		s->simple_ltv.value = NAN;
	}
}

void rebuy_summary_free(struct rebuy_summary *s)
{
	if (!s)
		return;
	rebuy__free(s->periods);
	rebuy__free(s->gap_hist);
	rebuy__free(s->second_hist);
	rebuy__free(s->orders_hist);
	rebuy__free(s->orders_tail);
	rebuy__free(s);
}

enum rebuy_status rebuy_summary_compute(const struct rebuy_orders *o,
                                        const struct rebuy_summary_options *opts,
                                        struct rebuy_summary **out, struct rebuy_error *err)
{
	*out = NULL;
	if (o->n_orders == 0)
		return rebuy_error_set(err, REBUY_EDATA,
		                       "%s: no purchases to summarize (%llu rows "
		                       "read, %llu used)",
		                       o->report.path, (unsigned long long)o->report.rows,
		                       (unsigned long long)o->report.rows_used);
	int64_t as_of = opts->has_as_of ? opts->as_of_day : o->last_day + 1;
	if (as_of <= o->last_day)
		return rebuy_error_set(err, REBUY_EARG,
		                       "--as-of must be after the last purchase day in the data");
	struct job j = {.o = o, .day0 = o->first_day};
	if (as_of - o->first_day > MAX_SPAN_DAYS)
		return rebuy_error_set(err, REBUY_ELIMIT, "the data spans more than %d days",
		                       MAX_SPAN_DAYS);
	j.span = (size_t)(as_of - o->first_day);
	enum rebuy_status st = REBUY_ENOMEM;
	struct rebuy_summary *s = rebuy__calloc(1, sizeof *s);
	int32_t *per_lut = NULL, *mon_lut = NULL;
	struct acc *accs = NULL;
	unsigned threads = opts->n_threads ? opts->n_threads : rebuy__cpu_count();
	if (!s)
		goto out;
	int64_t p0 = 0, m0 = 0;
	if (!(per_lut = rebuy__period_lut(opts->period, j.day0, j.span, MAX_PERIODS, &p0,
	                                  &j.n_per))) {
		if (j.n_per > MAX_PERIODS) {
			st = rebuy_error_set(
			        err, REBUY_ELIMIT,
			        "%zu periods of a %s: more than %d (choose a longer --period)",
			        j.n_per, rebuy_period_name(opts->period), MAX_PERIODS);
		}
		goto out;
	}
	if (opts->period != REBUY_PERIOD_MONTH &&
	    !(mon_lut = rebuy__period_lut(REBUY_PERIOD_MONTH, j.day0, j.span, SIZE_MAX, &m0,
	                                  &j.n_mon)))
		goto out;
	if (opts->period == REBUY_PERIOD_MONTH)
		m0 = p0;
	j.per_lut = per_lut;
	j.mon_lut = mon_lut;
	j.n_ranges = o->n_customers < 1024 ? 1 : 256;
	if (!(accs = rebuy__calloc(threads, sizeof *accs)))
		goto out;
	j.accs = accs;
	for (unsigned t = 0; t < threads; t++)
		if (!acc_alloc(&accs[t], j.span, j.n_per, j.n_mon))
			goto out;
	if ((st = rebuy__parallel_for(threads, j.n_ranges, run_range, &j)))
		goto out;
	for (unsigned t = 1; t < threads; t++)
		acc_merge(&accs[0], &accs[t], j.span, j.n_per, j.n_mon);
	struct acc *a = &accs[0];

	s->has_amount = o->has_amount;
	s->customers = a->customers;
	s->orders = a->orders;
	s->revenue = a->revenue;
	/* Without amounts every value reads 0: no order is known to be free. */
	s->zero_value_orders = o->has_amount ? a->zero : 0;
	s->return_orders = o->n_returns;
	for (size_t i = 0; i < o->n_returns; i++)
		if (__builtin_sub_overflow(s->return_value, o->ret_value[i], &s->return_value))
			a->overflow = 1;
	if (__builtin_sub_overflow(s->revenue, s->return_value, &s->net_revenue))
		a->overflow = 1;
	if (a->nomem) {
		st = REBUY_ENOMEM;
		goto out;
	}
	if (a->overflow) {
		st = rebuy_error_set(err, REBUY_ELIMIT,
		                     "a revenue total is beyond what rebuy holds (+-922 trillion)");
		goto out;
	}
	double revenue = (double)s->revenue / 1e4;
	s->return_rate = ratio((double)s->return_value / 1e4, revenue);
	s->repeat_customers = a->repeat;
	s->repeat_customers_days = a->repeat_days;
	s->repeat_purchase_rate = ratio((double)a->repeat, (double)a->customers);
	s->repeat_purchase_rate_days = ratio((double)a->repeat_days, (double)a->customers);
	s->purchase_frequency = ratio((double)a->orders, (double)a->customers);
	s->aov = ratio(revenue, (double)a->orders);
	s->repeat_revenue = s->revenue - a->first_day_revenue;
	s->repeat_revenue_share = ratio((double)s->repeat_revenue / 1e4, revenue);
	s->n_gaps = a->n_gaps;
	s->mean_days_between_purchases = ratio((double)a->gap_sum, (double)a->n_gaps);
	s->median_days_between_purchases = rebuy_hist_median(a->gap_hist, j.span + 1, a->n_gaps);
	s->median_days_to_second_purchase =
	        rebuy_hist_median(a->second_hist, j.span + 1, a->n_second);
	s->historic_ltv = ratio(revenue, (double)a->customers);
	if (!s->has_amount) {
		s->return_rate = s->aov = s->repeat_revenue_share = s->historic_ltv = NAN;
	}
	s->period = opts->period;
	s->first_day = o->first_day;
	s->last_day = o->last_day;
	s->as_of_day = as_of;
	if (!(s->periods = rebuy__calloc(j.n_per, sizeof *s->periods)))
		goto out;
	s->n_periods = j.n_per;
	fill_rows(s->periods, a->per, j.n_per, opts->period, p0, as_of);
	if (!s->has_amount)
		for (size_t i = 0; i < j.n_per; i++)
			s->periods[i].aov = NAN;
	if (opts->period == REBUY_PERIOD_MONTH) {
		simple_ltv(s, s->periods, s->n_periods);
	} else {
		struct rebuy_period_row *months = rebuy__calloc(j.n_mon, sizeof *months);
		if (!months)
			goto out;
		fill_rows(months, a->mon, j.n_mon, REBUY_PERIOD_MONTH, m0, as_of);
		simple_ltv(s, months, j.n_mon);
		rebuy__free(months);
	}
	/* Hand the histograms over. */
	s->gap_hist_len = j.span + 1;
	s->gap_hist = a->gap_hist;
	s->second_hist = a->second_hist;
	s->orders_hist = a->orders_hist;
	if (a->n_tail > 1)
		qsort(a->tail, a->n_tail, sizeof *a->tail, cmp_u64);
	s->orders_tail = a->tail;
	s->n_orders_tail = a->n_tail;
	a->gap_hist = a->second_hist = a->orders_hist = a->tail = NULL;
	st = REBUY_OK;
out:
	if (st == REBUY_ENOMEM)
		rebuy_error_set(err, st, "out of memory");
	if (accs)
		for (unsigned t = 0; t < threads; t++)
			acc_release(&accs[t]);
	rebuy__free(accs);
	rebuy__free(per_lut);
	rebuy__free(mon_lut);
	if (st) {
		rebuy_summary_free(s);
		return st;
	}
	*out = s;
	return REBUY_OK;
}
