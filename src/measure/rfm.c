/* RFM of DESIGN.md §4: per customer, recency (as-of day - last purchase day),
 * frequency (purchases) and monetary (revenue) before the as-of day. Scores
 * are 1 + floor(B * #strictly smaller / n) (R: #strictly larger recency), a
 * step function of the value found by one radix sort per measure, so ties
 * share a score and nothing depends on input order or ids. Segment medians
 * sort each segment's values: the mean of the two middle ones for an even n.
 */
#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "core/parallel.h"
#include "rebuy/rfm.h"

void rebuy_rfm_options_init(struct rebuy_rfm_options *opts)
{
	memset(opts, 0, sizeof *opts);
}

/* A score is a nondecreasing step function of the key: score(k) = 1 + the
 * number of s in 2..bins with has[s] and k >= from[s]. */
struct steps {
	uint64_t from[REBUY_RFM_BINS_MAX + 1];
	uint8_t has[REBUY_RFM_BINS_MAX + 1];
};

/* The values and scores of every customer id as of one day. */
struct set {
	int64_t day;                   /* the as-of day */
	int64_t cut_ts;                /* purchases with ts < cut_ts count */
	struct rebuy_rfm_customer *c;  /* per id */
	struct steps steps[3];         /* each measure's score steps */
	struct rebuy_rfm_bin *bins[3]; /* bins rows (main set only) */
	size_t n;                      /* customers */
};

struct job {
	const struct rebuy_orders *o;
	unsigned bins;
	size_t n_ranges;
	struct set *main, *before; /* before: NULL without transitions */
};

/* ---- the pass over purchases -------------------------------------------- */

static inline int64_t day_of(int64_t ts)
{
	return ts >= 0 ? ts / 86400 : -((-ts + 86399) / 86400);
}

static enum rebuy_status pass_range(void *ud, size_t item, unsigned thread)
{
	const struct job *j = ud;
	const struct rebuy_orders *o = j->o;
	struct set *a = j->main, *b = j->before;
	size_t n = o->n_customers;
	size_t c0 = n * item / j->n_ranges, c1 = n * (item + 1) / j->n_ranges;
	for (size_t c = c0; c < c1; c++) {
		uint64_t lo = o->cust_start[c], hi = o->cust_start[c + 1], i = lo;
		int64_t rev = 0;
		if (b) {
			for (; i < hi && o->ts[i] < b->cut_ts; i++)
				if (__builtin_add_overflow(rev, o->value[i], &rev))
					return REBUY_ELIMIT;
			struct rebuy_rfm_customer *x = &b->c[c];
			x->frequency = (uint32_t)(i - lo);
			x->monetary = rev;
			x->recency_days = i > lo ? (int32_t)(b->day - day_of(o->ts[i - 1])) : 0;
		}
		for (; i < hi && o->ts[i] < a->cut_ts; i++)
			if (__builtin_add_overflow(rev, o->value[i], &rev))
				return REBUY_ELIMIT;
		struct rebuy_rfm_customer *x = &a->c[c];
		x->frequency = (uint32_t)(i - lo);
		x->monetary = rev;
		x->recency_days = i > lo ? (int32_t)(a->day - day_of(o->ts[i - 1])) : 0;
	}
	return REBUY_OK;
}

/* ---- scores --------------------------------------------------------------- */

/* Scratch of one thread: two arrays of n_ids keys and a radix histogram,
 * allocated on the thread's first item and reused after. */
struct scratch {
	uint64_t *a, *b;
	size_t (*hist)[256];
};

static int scratch_get(struct scratch *s, size_t n_ids)
{
	size_t n = n_ids ? n_ids : 1;
	if (!s->a)
		s->a = rebuy__malloc(n * sizeof *s->a);
	if (!s->b)
		s->b = rebuy__malloc(n * sizeof *s->b);
	if (!s->hist)
		s->hist = rebuy__malloc(8 * sizeof *s->hist);
	return s->a && s->b && s->hist;
}

static void scratch_release(struct scratch *s)
{
	rebuy__free(s->a);
	rebuy__free(s->b);
	rebuy__free(s->hist);
}

/* Sorts k[0..n) ascending, LSD on bytes, skipping the bytes all keys share;
 * k2 is scratch of the same size. Returns whichever of k and k2 holds the
 * result. */
static uint64_t *radix_sort(uint64_t *k, uint64_t *k2, size_t n, size_t (*hist)[256])
{
	memset(hist, 0, 8 * sizeof *hist);
	for (size_t i = 0; i < n; i++) {
		uint64_t v = k[i];
		for (int b = 0; b < 8; b++)
			hist[b][(v >> (8 * b)) & 0xFF]++;
	}
	for (int b = 0; b < 8 && n > 0; b++) {
		if (hist[b][(k[0] >> (8 * b)) & 0xFF] == n)
			continue;
		size_t sum = 0;
		for (int d = 0; d < 256; d++) {
			size_t c = hist[b][d];
			hist[b][d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			k2[hist[b][(k[i] >> (8 * b)) & 0xFF]++] = k[i];
		uint64_t *t = k;
		k = k2;
		k2 = t;
	}
	return k;
}

/* The sort key of measure m: ascending keys run from the lowest score up
 * (for R, from the largest recency down). */
static inline uint64_t key_of(const struct rebuy_rfm_customer *x, int m)
{
	switch (m) {
	case REBUY_RFM_R: return (uint64_t)((int64_t)INT32_MAX - x->recency_days);
	case REBUY_RFM_F: return x->frequency;
	default: return (uint64_t)x->monetary ^ (UINT64_C(1) << 63);
	}
}

static inline int64_t value_of_key(int m, uint64_t k)
{
	switch (m) {
	case REBUY_RFM_R: return (int64_t)INT32_MAX - (int64_t)k;
	case REBUY_RFM_F: return (int64_t)k;
	default: return (int64_t)(k ^ (UINT64_C(1) << 63));
	}
}

static inline uint8_t score_of_key(const struct steps *t, unsigned bins, uint64_t k)
{
	unsigned s = 1;
	for (unsigned i = 2; i <= bins; i++)
		s += t->has[i] && k >= t->from[i];
	return (uint8_t)s;
}

/* Scores one measure of one set from its sorted keys: the customer at
 * sorted position p has score 1 + floor(B * q / n), where q is the first
 * position of its run of equal keys, that is the number of customers with
 * a strictly smaller key. Records the steps, and the customers and value
 * range of each score (main set only). */
static enum rebuy_status score_measure(const struct job *j, struct set *s, int m,
                                       struct scratch *sc)
{
	size_t n = s->n, i = 0;
	if (!scratch_get(sc, j->o->n_customers))
		return REBUY_ENOMEM;
	for (size_t c = 0; c < j->o->n_customers; c++)
		if (s->c[c].frequency)
			sc->a[i++] = key_of(&s->c[c], m);
	const uint64_t *ks = radix_sort(sc->a, sc->b, n, sc->hist);
	struct steps *t = &s->steps[m];
	struct rebuy_rfm_bin *bins = s->bins[m];
	memset(t, 0, sizeof *t);
	unsigned score = 0;
	for (size_t p = 0; p < n; p++) {
		if (p == 0 || ks[p] != ks[p - 1]) {
			unsigned now = 1 + (unsigned)((uint64_t)j->bins * p / n);
			/* scores skipped by a long run start at the same key */
			for (unsigned q = score + 1; q <= now; q++) {
				t->from[q] = ks[p];
				t->has[q] = 1;
			}
			score = now;
		}
		if (bins) {
			struct rebuy_rfm_bin *b = &bins[score - 1];
			int64_t v = value_of_key(m, ks[p]);
			if (b->customers == 0 || v < b->min)
				b->min = v;
			if (b->customers == 0 || v > b->max)
				b->max = v;
			b->customers++;
		}
	}
	return REBUY_OK;
}

struct score_job {
	const struct job *j;
	struct scratch *scratch; /* per thread */
};

static enum rebuy_status score_item(void *ud, size_t item, unsigned thread)
{
	const struct score_job *sj = ud;
	struct set *s = item < 3 ? sj->j->main : sj->j->before;
	return score_measure(sj->j, s, (int)(item % 3), &sj->scratch[thread]);
}

/* Gives every customer of a range its scores, in memory order. */
static void assign(const struct job *j, struct set *s, size_t c0, size_t c1)
{
	for (size_t c = c0; c < c1; c++) {
		struct rebuy_rfm_customer *x = &s->c[c];
		if (!x->frequency)
			continue;
		x->r = score_of_key(&s->steps[REBUY_RFM_R], j->bins, key_of(x, REBUY_RFM_R));
		x->f = score_of_key(&s->steps[REBUY_RFM_F], j->bins, key_of(x, REBUY_RFM_F));
		x->m = score_of_key(&s->steps[REBUY_RFM_M], j->bins, key_of(x, REBUY_RFM_M));
	}
}

static enum rebuy_status assign_range(void *ud, size_t item, unsigned thread)
{
	const struct job *j = ud;
	size_t n = j->o->n_customers;
	size_t c0 = n * item / j->n_ranges, c1 = n * (item + 1) / j->n_ranges;
	assign(j, j->main, c0, c1);
	if (j->before)
		assign(j, j->before, c0, c1);
	return REBUY_OK;
}

/* ---- medians -------------------------------------------------------------- */

struct median_job {
	const struct job *j;
	struct rebuy_rfm_segment *segs;
	size_t n_segs;
	const size_t *start; /* n_segs + 1 offsets of each segment's keys */
	struct scratch *scratch;
};

/* The median of measure m in each segment: the keys of each segment are
 * gathered into a region of their own (in memory order), each region is
 * sorted, and the median is the mean of the values at sorted positions
 * (k-1)/2 and k/2 of its k keys. */
static enum rebuy_status median_item(void *ud, size_t item, unsigned thread)
{
	const struct median_job *mj = ud;
	const struct set *s = mj->j->main;
	int m = (int)item;
	struct scratch *sc = &mj->scratch[thread];
	size_t ns = mj->n_segs;
	size_t *at = rebuy__malloc(ns * sizeof *at);
	if (!at || !scratch_get(sc, mj->j->o->n_customers)) {
		rebuy__free(at);
		return REBUY_ENOMEM;
	}
	memcpy(at, mj->start, ns * sizeof *at);
	for (size_t c = 0; c < mj->j->o->n_customers; c++) {
		const struct rebuy_rfm_customer *x = &s->c[c];
		if (x->frequency)
			sc->a[at[x->segment]++] = key_of(x, m);
	}
	rebuy__free(at);
	for (size_t g = 0; g < ns; g++) {
		size_t lo = mj->start[g], k = mj->start[g + 1] - lo;
		double med = NAN;
		if (k) {
			const uint64_t *ks = radix_sort(sc->a + lo, sc->b + lo, k, sc->hist);
			med = ((double)value_of_key(m, ks[(k - 1) / 2]) +
			       (double)value_of_key(m, ks[k / 2])) /
			      2.0;
		}
		struct rebuy_rfm_segment *x = &mj->segs[g];
		if (m == REBUY_RFM_R)
			x->median_recency_days = med;
		else if (m == REBUY_RFM_F)
			x->median_frequency = med;
		else
			x->median_monetary = mj->j->o->has_amount ? med / 1e4 : NAN;
	}
	return REBUY_OK;
}

/* ---- the result ----------------------------------------------------------- */

static struct rebuy_rfm_map *map_clone(const struct rebuy_rfm_map *src)
{
	struct rebuy_rfm_map *m = rebuy__calloc(1, sizeof *m);
	if (!m)
		return NULL;
	*m = *src;
	m->source = NULL;
	m->names = NULL;
	m->rules = NULL;
	m->n_segments = 0;
	if (!(m->source = rebuy__strndup(src->source, strlen(src->source))) ||
	    !(m->names = rebuy__calloc(src->n_segments ? src->n_segments : 1, sizeof *m->names)) ||
	    !(m->rules = rebuy__calloc(src->n_rules ? src->n_rules : 1, sizeof *m->rules)))
		goto fail;
	memcpy(m->rules, src->rules, src->n_rules * sizeof *m->rules);
	for (; m->n_segments < src->n_segments; m->n_segments++) {
		const char *name = src->names[m->n_segments];
		if (!(m->names[m->n_segments] = rebuy__strndup(name, strlen(name))))
			goto fail;
	}
	return m;
fail:
	rebuy_rfm_map_free(m);
	return NULL;
}

static void set_release(struct set *s)
{
	rebuy__free(s->c);
}

static int set_alloc(struct set *s, size_t n_ids, int64_t day, int64_t cut_day)
{
	memset(s, 0, sizeof *s);
	s->day = day;
	s->cut_ts = cut_day * REBUY_SECONDS_PER_DAY;
	s->c = rebuy__calloc(n_ids ? n_ids : 1, sizeof *s->c);
	return s->c != NULL;
}

void rebuy_rfm_free(struct rebuy_rfm *rfm)
{
	if (!rfm)
		return;
	rebuy_rfm_map_free(rfm->map);
	rebuy__free(rfm->customers);
	rebuy__free(rfm->segments);
	rebuy__free(rfm->transitions);
	rebuy__free(rfm);
}

static enum rebuy_status check_options(const struct rebuy_orders *o,
                                       const struct rebuy_rfm_options *opts,
                                       const struct rebuy_rfm_map *map, unsigned bins,
                                       int64_t as_of, struct rebuy_error *err)
{
	if (o->n_orders == 0)
		return rebuy_error_set(err, REBUY_EDATA,
		                       "%s: no purchases to score (%llu rows read, %llu used)",
		                       o->report.path, (unsigned long long)o->report.rows,
		                       (unsigned long long)o->report.rows_used);
	if (bins < REBUY_RFM_BINS_MIN || bins > REBUY_RFM_BINS_MAX)
		return rebuy_error_set(err, REBUY_EARG, "--bins %u is not from %d to %d", bins,
		                       REBUY_RFM_BINS_MIN, REBUY_RFM_BINS_MAX);
	if (!opts->map && bins != REBUY_RFM_DEFAULT_BINS)
		return rebuy_error_set(err, REBUY_EARG,
		                       "--bins %u needs a rules file (--rules FILE): the default "
		                       "segment map is for %d bins (docs/rfm.md)",
		                       bins, REBUY_RFM_DEFAULT_BINS);
	if (map->bins != bins)
		return rebuy_error_set(err, REBUY_EARG,
		                       "%s: the rules are for %u bins but --bins is %u",
		                       map->source, map->bins, bins);
	if (map->uses_m && !o->has_amount)
		return rebuy_error_set(err, REBUY_EARG,
		                       "%s: the rules limit M, but the input has no amount column",
		                       map->source);
	if (as_of <= o->last_day)
		return rebuy_error_set(err, REBUY_EARG,
		                       "--as-of must be after the last purchase day in the data");
	if (as_of - o->first_day > INT32_MAX)
		return rebuy_error_set(err, REBUY_ELIMIT,
		                       "the as-of day is too far after the data");
	if (opts->has_transitions && opts->transitions_day >= as_of)
		return rebuy_error_set(err, REBUY_EARG,
		                       "--transitions must be a day before the as-of date");
	return REBUY_OK;
}

/* Segments of the main set, their counts and revenue. */
static enum rebuy_status segment_all(struct rebuy_rfm *x, struct set *s)
{
	int overflow = 0;
	for (size_t c = 0; c < x->n_ids; c++) {
		struct rebuy_rfm_customer *y = &s->c[c];
		y->segment_before = REBUY_RFM_NONE;
		if (!y->frequency) {
			y->segment = REBUY_RFM_NONE;
			continue;
		}
		size_t g = rebuy_rfm_map_classify(x->map, y->r, y->f, y->m);
		y->segment = (uint8_t)g;
		x->segments[g].customers++;
		overflow |= __builtin_add_overflow(x->segments[g].revenue, y->monetary,
		                                   &x->segments[g].revenue);
		overflow |= __builtin_add_overflow(x->revenue, y->monetary, &x->revenue);
	}
	if (overflow)
		return REBUY_ELIMIT;
	for (size_t g = 0; g < x->n_segments; g++) {
		struct rebuy_rfm_segment *seg = &x->segments[g];
		seg->name = rebuy_rfm_map_segment_name(x->map, g);
		seg->share = (double)seg->customers / (double)x->n_customers;
		seg->revenue_share = x->has_amount && x->revenue > 0
		                             ? (double)seg->revenue / (double)x->revenue
		                             : NAN;
	}
	return REBUY_OK;
}

static enum rebuy_status transitions(struct rebuy_rfm *x, struct set *a, const struct set *b)
{
	size_t ns = x->n_segments;
	x->transitions = rebuy__calloc((ns + 1) * ns, sizeof *x->transitions);
	if (!x->transitions)
		return REBUY_ENOMEM;
	x->n_customers_before = b->n;
	for (size_t c = 0; c < x->n_ids; c++) {
		struct rebuy_rfm_customer *now = &a->c[c];
		const struct rebuy_rfm_customer *then = &b->c[c];
		if (now->segment == REBUY_RFM_NONE)
			continue;
		size_t g = then->frequency
		                   ? rebuy_rfm_map_classify(x->map, then->r, then->f, then->m)
		                   : ns;
		now->segment_before = (uint8_t)g;
		x->transitions[g * ns + now->segment]++;
	}
	return REBUY_OK;
}

static size_t count_customers(const struct set *s, size_t n_ids)
{
	size_t n = 0;
	for (size_t c = 0; c < n_ids; c++)
		n += s->c[c].frequency != 0;
	return n;
}

enum rebuy_status rebuy_rfm_compute(const struct rebuy_orders *o,
                                    const struct rebuy_rfm_options *opts, struct rebuy_rfm **out,
                                    struct rebuy_error *err)
{
	*out = NULL;
	struct rebuy_rfm_map *own_map = NULL;
	const struct rebuy_rfm_map *map = opts->map;
	enum rebuy_status st;
	if (!map) {
		if ((st = rebuy_rfm_map_default(&own_map, err)))
			return st;
		map = own_map;
	}
	unsigned bins = opts->bins ? opts->bins : map->bins;
	int64_t as_of = opts->has_as_of ? opts->as_of_day : o->last_day + 1;
	struct set main_set, before_set;
	memset(&main_set, 0, sizeof main_set);
	memset(&before_set, 0, sizeof before_set);
	struct rebuy_rfm *x = NULL;
	struct scratch *scratch = NULL;
	size_t *start = NULL;
	unsigned threads = opts->n_threads ? opts->n_threads : rebuy__cpu_count();
	if ((st = check_options(o, opts, map, bins, as_of, err)))
		goto out;
	st = REBUY_ENOMEM;
	if (!(x = rebuy__calloc(1, sizeof *x)) || !(x->map = map_clone(map)))
		goto out;
	x->bins = bins;
	x->has_amount = o->has_amount;
	x->as_of_day = as_of;
	x->first_day = o->first_day;
	x->last_day = o->last_day;
	x->n_ids = o->n_customers;
	x->n_segments = map->n_segments + (size_t)map->has_other;
	if (!(x->segments = rebuy__calloc(x->n_segments, sizeof *x->segments)) ||
	    !set_alloc(&main_set, x->n_ids, as_of, as_of))
		goto out;
	struct job j = {.o = o, .bins = bins, .main = &main_set};
	if (opts->has_transitions) {
		x->has_transitions = 1;
		x->transitions_day = opts->transitions_day;
		/* No purchase is before the first day: cutting there keeps
		 * the product in range for any earlier day. */
		int64_t cut =
		        opts->transitions_day > o->first_day ? opts->transitions_day : o->first_day;
		if (!set_alloc(&before_set, x->n_ids, opts->transitions_day, cut))
			goto out;
		j.before = &before_set;
	}
	for (int m = 0; m < 3; m++)
		main_set.bins[m] = x->scores[m];
	j.n_ranges = o->n_customers < 1024 ? 1 : 256;
	if ((st = rebuy__parallel_for(threads, j.n_ranges, pass_range, &j))) {
		if (st == REBUY_ELIMIT)
			rebuy_error_set(err, st, "a customer's revenue is beyond +-922 trillion");
		goto out;
	}
	main_set.n = count_customers(&main_set, x->n_ids);
	x->n_customers = main_set.n;
	if (j.before)
		before_set.n = count_customers(&before_set, x->n_ids);
	st = REBUY_ENOMEM;
	if (!(scratch = rebuy__calloc(threads, sizeof *scratch)))
		goto out;
	struct score_job sj = {.j = &j, .scratch = scratch};
	if ((st = rebuy__parallel_for(threads, j.before ? 6 : 3, score_item, &sj)) ||
	    (st = rebuy__parallel_for(threads, j.n_ranges, assign_range, &j)))
		goto out;
	if ((st = segment_all(x, &main_set))) {
		rebuy_error_set(err, st,
		                "a revenue total is beyond what rebuy holds (+-922 trillion)");
		goto out;
	}
	st = REBUY_ENOMEM;
	if (!(start = rebuy__malloc((x->n_segments + 1) * sizeof *start)))
		goto out;
	start[0] = 0;
	for (size_t g = 0; g < x->n_segments; g++)
		start[g + 1] = start[g] + x->segments[g].customers;
	struct median_job mj = {.j = &j,
	                        .segs = x->segments,
	                        .n_segs = x->n_segments,
	                        .start = start,
	                        .scratch = scratch};
	if ((st = rebuy__parallel_for(threads, 3, median_item, &mj)))
		goto out;
	if (j.before && (st = transitions(x, &main_set, &before_set)))
		goto out;
	/* Hand the per-customer records over. */
	x->customers = main_set.c;
	main_set.c = NULL;
	st = REBUY_OK;
out:
	if (st == REBUY_ENOMEM)
		rebuy_error_set(err, st, "out of memory");
	if (scratch)
		for (unsigned t = 0; t < threads; t++)
			scratch_release(&scratch[t]);
	rebuy__free(scratch);
	rebuy__free(start);
	set_release(&main_set);
	set_release(&before_set);
	rebuy_rfm_map_free(own_map);
	if (st) {
		rebuy_rfm_free(x);
		return st;
	}
	*out = x;
	return REBUY_OK;
}
