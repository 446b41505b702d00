/* Synthetic orders from a known model: Pareto/NBD (Schmittlein, Morrison &
 * Colombo 1987) or BG/NBD (Fader, Hardie & Lee 2005) purchase and dropout,
 * Gamma-Gamma spend (Fader, Hardie & Lee 2005 note; Colombo & Jiang 1999).
 * Each customer draws from its own xoshiro stream, so its history depends on
 * (seed, customer) only. Pending purchases wait in a calendar queue (Brown
 * 1988): time buckets of unsorted keys, and a 4-ary heap for the bucket being
 * emitted. Memory: about 64 + 8 + 8 bytes a customer in use (state, heap,
 * buckets), plus 40 reserved for the truth, plus 80 with a campaign; all
 * allocated in rebuy_gen_new.
 *
 * A campaign (gen.h) gives each customer in it a second stream and a second
 * pending event, its next extra purchase: the customer's key in the calendar
 * is then the earlier of the two. Both outcomes of every customer in the
 * campaign are tallied as the stream runs; only the group's own is written.
 */
#include "rebuy/gen.h"

#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "rebuy/date.h"
#include "rebuy/money.h"

#define SECONDS_PER_WEEK (7.0 * 86400.0)
/* Keys hold the second within the horizon in their high 32 bits. */
#define MAX_WEEKS 5200.0          /* 100 years: 5200 weeks < 2^32 seconds */
#define MAX_CUSTOMERS 4294967294u /* 2^32 - 2: the index fits the key's low half */
#define MIN_START_DAY (-719162)   /* 0001-01-01 */
#define MAX_START_DAY 2932896     /* 9999-12-31 */
/* An order worth more than this many currency units (only reachable with a
 * heavy-tailed spend, q <= 2 or so) is capped, so that amounts and their sums
 * stay far from int64 overflow. */
#define MAX_AMOUNT 1e9
/* Calendar: at most this many buckets over the horizon (few enough that
 * their last chunks stay in cache: a bucket then holds a few thousand keys
 * at 10 million orders), each a chain of 512-byte chunks from one pool. */
#define N_BUCKETS_TARGET 16384
#define CHUNK_KEYS 63
#define NONE UINT32_MAX
/* UINT64_MAX keys after the last key of the heap: every node then has 4
 * children to compare, and h[1..4] can always be read. */
#define SENTINELS 4
/* Buckets of up to this many keys have their customers' lines (64 bytes
 * each) loaded ahead when the bucket comes up. */
#define PREFETCH_BUCKET_MAX 8192
/* Campaign bounds. */
#define MAX_EFFECT 1000.0
#define MAX_WINDOW_DAYS 3650
#define NOT_IN_CAMPAIGN (-1)
/* The campaign stream of customer k is stream k | this of the seed: customer
 * numbers stay below 2^32, so it never meets a customer's own stream. */
#define CAMPAIGN_STREAM (1ULL << 63)

/* What the next purchase of a customer needs: one cache line. */
struct customer {
	struct rebuy__rng rng;
	double t; /* time of the pending purchase, seconds from start */
	double lambda;
	double nu;
	union {
		double death; /* Pareto/NBD: birth + lifetime, seconds from start */
		/* BG/NBD: p, with the sign bit set until the first purchase is
		 * out (dropout follows repeat purchases only); -0.0 for p = 0. */
		double p;
	} u;
};
_Static_assert(sizeof(struct customer) == 64, "a customer is one cache line");

struct chunk {
	uint32_t next; /* the next chunk of the bucket, or of the free list */
	uint64_t keys[CHUNK_KEYS];
};

/* A customer's campaign: its second stream, its next extra purchase, and
 * what it did in the window without ([0]) and with ([1]) the campaign. */
struct campaign {
	struct rebuy__rng rng;
	double next_extra; /* seconds from start; INFINITY when none is pending */
	double extra_end;  /* extras come before this: window end, horizon, Pareto/NBD death */
	int64_t revenue[2];
	uint32_t orders[2];
	int group; /* 1 treatment, 0 control, NOT_IN_CAMPAIGN */
};

/* A bucket's keys: a chain of chunks, all full but the last. The fill of
 * the last is kept here, so that filing a key touches only its own line. */
struct bucket {
	uint32_t head, tail; /* NONE when empty */
	uint32_t n_tail;     /* keys in the tail chunk */
};

/* A key is (second within horizon << 32) | customer index, so keys order
 * purchases by time, then customer. Every live customer has exactly one key:
 * in the heap when its second falls in bucket `cur`, else in its bucket. */
struct rebuy_gen {
	struct rebuy_gen_params params;
	struct customer *cust; /* 64-byte aligned inside cust_block */
	/* Filled by rebuy_gen_customer, one customer at a time, by drawing the
	 * customer again: generating never touches it, so a run that does not
	 * ask for the truth never has these pages in memory. */
	struct rebuy_gen_truth *truth;
	/* 4-ary min-heap of the keys of bucket `cur`, then SENTINELS; aligned
	 * so that each block of 4 children shares a cache line. Room for all
	 * customers: one bucket may hold them all. */
	uint64_t *heap;
	size_t n_heap;
	/* Buckets of 2^width_log seconds. The pool holds n / CHUNK_KEYS +
	 * min(buckets, n) + 1 chunks: every chunk in use but a bucket's last
	 * is full, and there are at most n keys, so it never runs out. */
	struct chunk *chunks;
	struct bucket *buckets;
	uint32_t free_chunk; /* a free list of returned chunks */
	uint32_t n_fresh;    /* chunks[n_fresh..] were never used */
	uint32_t n_buckets;
	uint32_t cur;       /* the bucket in the heap; NONE before the first */
	unsigned width_log; /* buckets are 2^width_log seconds wide */
	struct rebuy__gamma_shape shape_r, shape_s, shape_q, shape_p;
	void *cust_block, *heap_block;
	uint64_t n_orders;
	int64_t start_ts;
	double horizon_s; /* weeks * SECONDS_PER_WEEK: purchases come before it */
	/* The campaign, or NULL: one per customer, and the window in seconds
	 * from start. */
	struct campaign *camp;
	double send_s, window_end_s;
	int is_done;      /* rebuy_gen_next returned 0 */
	int has_overflow; /* a campaign revenue sum went beyond int64 */
};

void rebuy_gen_params_init(struct rebuy_gen_params *params)
{
	memset(params, 0, sizeof *params);
	params->model = REBUY_GEN_PNBD;
	params->n_customers = 10000;
	params->r = 0.55;
	params->alpha = 10.58;
	params->s = 0.61;
	params->beta = 11.67;
	params->a = 0.79;
	params->b = 2.43;
	params->p = 6.25;
	params->q = 3.74;
	params->gamma = 15.44;
	params->start_day = 19723; /* 2024-01-01 */
	params->acquisition_weeks = 12;
	params->weeks = 78;
	params->seed = 1;
	params->campaign_share = 0.5;
	params->campaign_effect = 0;
	params->campaign_window_days = 30;
}

static enum rebuy_status check_positive(const char *name, double v, struct rebuy_error *err)
{
	if (isfinite(v) && v > 0)
		return REBUY_OK;
	return rebuy_error_set(err, REBUY_EARG, "gen: %s must be a positive number, got %g", name,
	                       v);
}

static enum rebuy_status check_campaign(const struct rebuy_gen_params *P, struct rebuy_error *err)
{
	/* The last day with a moment before the horizon. */
	int64_t last = P->start_day + (int64_t)ceil(P->weeks * 7.0) - 1;
	if (P->campaign_day <= P->start_day || P->campaign_day > last) {
		char lo[48], hi[48], got[48];
		rebuy_format_day(P->start_day + 1, lo, sizeof lo);
		rebuy_format_day(last, hi, sizeof hi);
		rebuy_format_day(P->campaign_day, got, sizeof got);
		return rebuy_error_set(err, REBUY_EARG,
		                       "gen: campaign_day must be a day from %s to %s (after the "
		                       "start, before the end), got %s",
		                       lo, hi, got);
	}
	if (!(P->campaign_share > 0 && P->campaign_share < 1))
		return rebuy_error_set(
		        err, REBUY_EARG,
		        "gen: campaign_share must be strictly between 0 and 1, got %g",
		        P->campaign_share);
	if (!(P->seasonality >= 0 && P->seasonality < 1))
		return rebuy_error_set(err, REBUY_EARG,
		                       "gen: seasonality must be from 0 to below 1, got %g",
		                       P->seasonality);
	if (!(P->campaign_effect >= -1 && P->campaign_effect <= MAX_EFFECT))
		return rebuy_error_set(err, REBUY_EARG,
		                       "gen: campaign_effect must be from -1 to %g, got %g",
		                       MAX_EFFECT, P->campaign_effect);
	if (P->campaign_window_days < 1 || P->campaign_window_days > MAX_WINDOW_DAYS)
		return rebuy_error_set(err, REBUY_EARG,
		                       "gen: campaign_window_days must be from 1 to %d, got %lld",
		                       MAX_WINDOW_DAYS, (long long)P->campaign_window_days);
	return REBUY_OK;
}

enum rebuy_status rebuy_gen_params_check(const struct rebuy_gen_params *params,
                                         struct rebuy_error *err)
{
	if (!params)
		return rebuy_error_set(err, REBUY_EARG, "gen: no parameters");
	const struct rebuy_gen_params *P = params;
	if (P->model != REBUY_GEN_PNBD && P->model != REBUY_GEN_BGNBD)
		return rebuy_error_set(err, REBUY_EARG, "gen: model must be pnbd or bgnbd, got %d",
		                       (int)P->model);
	if (P->n_customers < 1 || P->n_customers > MAX_CUSTOMERS)
		return rebuy_error_set(err, REBUY_EARG,
		                       "gen: n_customers must be between 1 and %u, got %llu",
		                       MAX_CUSTOMERS, (unsigned long long)P->n_customers);
	const struct {
		const char *name;
		double v;
	} shapes[] = {
	        {"r", P->r}, {"alpha", P->alpha}, {"s", P->s}, {"beta", P->beta},   {"a", P->a},
	        {"b", P->b}, {"p", P->p},         {"q", P->q}, {"gamma", P->gamma},
	};
	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
		if (check_positive(shapes[i].name, shapes[i].v, err) != REBUY_OK)
			return REBUY_EARG;
	if (!(isfinite(P->weeks) && P->weeks > 0 && P->weeks <= MAX_WEEKS))
		return rebuy_error_set(err, REBUY_EARG,
		                       "gen: weeks must be a number above 0 and at most %g, got %g",
		                       MAX_WEEKS, P->weeks);
	if (!(isfinite(P->acquisition_weeks) && P->acquisition_weeks > 0 &&
	      P->acquisition_weeks <= P->weeks))
		return rebuy_error_set(err, REBUY_EARG,
		                       "gen: acquisition_weeks must be above 0 and at most weeks "
		                       "(%g), got %g",
		                       P->weeks, P->acquisition_weeks);
	if (P->start_day < MIN_START_DAY || P->start_day > MAX_START_DAY)
		return rebuy_error_set(err, REBUY_EARG,
		                       "gen: start_day must be a day of years 1 to 9999 (%d..%d), "
		                       "got %lld",
		                       MIN_START_DAY, MAX_START_DAY, (long long)P->start_day);
	return P->has_campaign ? check_campaign(P, err) : REBUY_OK;
}

/* ---- the heap of the current bucket: 4-ary, smallest key on top ---- */

/* Index of the smallest of h[c..c+3], without branches: keys are unique, so
 * the comparisons are a coin toss that a branch predictor would lose. */
static inline size_t min4(const uint64_t *h, size_t c)
{
	size_t a = h[c + 1] < h[c] ? c + 1 : c;
	size_t b = h[c + 3] < h[c + 2] ? c + 3 : c + 2;
	return h[b] < h[a] ? b : a;
}

static void sift_down(uint64_t *h, size_t n, size_t i, uint64_t key)
{
	for (size_t c = 4 * i + 1; c < n; c = 4 * i + 1) {
		size_t best = min4(h, c);
		if (h[best] >= key)
			break;
		h[i] = h[best];
		i = best;
	}
	h[i] = key;
}

static void sift_up(uint64_t *h, size_t i, uint64_t key)
{
	while (i > 0) {
		size_t parent = (i - 1) / 4;
		if (h[parent] <= key)
			break;
		h[i] = h[parent];
		i = parent;
	}
	h[i] = key;
}

/* Removes the top of a heap of n + 1 keys (Floyd's bottom-up way: the hole
 * sinks to a leaf, then the last key rises into it; the last key is usually
 * among the largest, so it rarely rises, and the descent has no early exit
 * to mispredict). */
static void pop_top(uint64_t *h, size_t n)
{
	uint64_t last = h[n];
	h[n] = UINT64_MAX;
	if (n == 0)
		return;
	size_t i = 0;
	for (size_t c = 1; c < n; c = 4 * i + 1) {
		size_t best = min4(h, c);
		h[i] = h[best];
		i = best;
	}
	sift_up(h, i, last);
}

static void heapify(uint64_t *h, size_t n)
{
	if (n < 2)
		return;
	for (size_t i = (n - 2) / 4 + 1; i-- > 0;)
		sift_down(h, n, i, h[i]);
}

/* n bytes whose address a satisfies a % 64 == phase, from *block (to free). */
static void *alloc_aligned(void **block, size_t n, size_t phase)
{
	if (n > SIZE_MAX - 64 || !(*block = rebuy__malloc(n + 64)))
		return NULL;
	uintptr_t a = (uintptr_t)*block;
	a += (phase + 64 - a % 64) % 64;
	return (void *)a;
}

/* ---- the calendar ---- */

static void bucket_push(struct rebuy_gen *g, uint32_t b, uint64_t key)
{
	struct bucket *bk = &g->buckets[b];
	if (bk->tail == NONE || bk->n_tail == CHUNK_KEYS) {
		uint32_t k = g->free_chunk;
		if (k != NONE)
			g->free_chunk = g->chunks[k].next;
		else /* never past the pool: see its size */
			k = g->n_fresh++;
		g->chunks[k].next = NONE;
		if (bk->tail == NONE)
			bk->head = k;
		else
			g->chunks[bk->tail].next = k;
		bk->tail = k;
		bk->n_tail = 0;
	}
	g->chunks[bk->tail].keys[bk->n_tail++] = key;
}

/* Files the pending purchase of customer `index`, at or after the purchase
 * just emitted (so never in a bucket before `cur`). */
static void push(struct rebuy_gen *g, uint64_t key)
{
	uint32_t b = (uint32_t)(key >> 32 >> g->width_log);
	if (b != g->cur) {
		bucket_push(g, b, key);
		return;
	}
	size_t n = g->n_heap++;
	g->heap[n + SENTINELS] = UINT64_MAX; /* h[n] leaves the sentinels */
	sift_up(g->heap, n, key);
}

/* Moves the next non-empty bucket into the heap; 0 when none is left. */
static int load_next_bucket(struct rebuy_gen *g)
{
	uint32_t b = g->cur == NONE ? 0 : g->cur + 1;
	while (b < g->n_buckets && g->buckets[b].head == NONE)
		b++;
	if (b >= g->n_buckets) {
		g->cur = g->n_buckets; /* later calls do not scan again */
		return 0;
	}
	struct bucket *bk = &g->buckets[b];
	size_t n = 0;
	for (uint32_t k = bk->head, next; k != NONE; k = next) {
		struct chunk *c = &g->chunks[k];
		size_t m = k == bk->tail ? bk->n_tail : CHUNK_KEYS;
		memcpy(g->heap + n, c->keys, m * sizeof c->keys[0]);
		n += m;
		next = c->next;
		c->next = g->free_chunk;
		g->free_chunk = k;
	}
	bk->head = bk->tail = NONE;
	for (size_t i = n; i < n + SENTINELS; i++)
		g->heap[i] = UINT64_MAX;
	g->n_heap = n;
	g->cur = b;
	/* The bucket's customers come up in random order: start loading all
	 * their lines now, many at a time, when they fit in cache. */
	if (n <= PREFETCH_BUCKET_MAX)
		for (size_t i = 0; i < n; i++)
			__builtin_prefetch(&g->cust[(uint32_t)g->heap[i]]);
	heapify(g->heap, n);
	return 1;
}

/* ---- customers ---- */

/* The heap key of a purchase at t seconds from start, 0 <= t < horizon_s
 * <= 5200 weeks of seconds < 2^32. The clock runs in seconds (not weeks) so
 * that the horizon check and the whole second written out cannot disagree. */
static uint64_t key_of(double t, uint32_t index)
{
	return ((uint64_t)t << 32) | index;
}

/* The draws of customer number (1-based), in their fixed order: birth,
 * lambda, dropout (mu and lifetime, or p), nu. */
static void draw_customer(struct customer *c, struct rebuy_gen_truth *truth,
                          const struct rebuy_gen *g, uint64_t number)
{
	const struct rebuy_gen_params *P = &g->params;
	struct rebuy__rng *r = &c->rng;
	rebuy__rng_seed_stream(r, P->seed, number);
	/* acquisition_s <= horizon_s (rounding is monotone), so every
	 * customer buys at least once. */
	double acquisition_s = P->acquisition_weeks * SECONDS_PER_WEEK;
	double birth = rebuy__rng_uniform(r) * acquisition_s;
	if (birth >= acquisition_s) /* a product rounded up */
		birth = nextafter(acquisition_s, 0.0);
	c->t = birth;
	truth->birth_ts = g->start_ts + (int64_t)birth;
	truth->lambda = c->lambda = rebuy__rng_gamma_std(r, &g->shape_r) / P->alpha;
	if (P->model == REBUY_GEN_PNBD) {
		truth->mu = rebuy__rng_gamma_std(r, &g->shape_s) / P->beta;
		truth->p = 0;
		c->u.death = birth + rebuy__rng_exp(r, truth->mu) * SECONDS_PER_WEEK;
	} else {
		truth->mu = 0;
		truth->p = rebuy__rng_beta(r, P->a, P->b);
		c->u.p = -truth->p;
	}
	truth->nu = c->nu = rebuy__rng_gamma_std(r, &g->shape_q) / P->gamma;
}

/* Gamma(p, nu) rounded half to even to cents, at least one cent (a draw that
 * rounds to 0.00 is sold for 0.01: orders are purchases, and rebuy counts
 * zero-value orders apart), in 1/10,000 units. */
static int64_t draw_amount(struct rebuy__rng *rng, double nu, const struct rebuy__gamma_shape *p)
{
	double x = rebuy__rng_gamma_std(rng, p) / nu;
	if (!(x < MAX_AMOUNT)) /* also catches +inf when nu underflowed to 0 */
		x = MAX_AMOUNT;
	double cents = x * 100.0;
	double f = floor(cents), frac = cents - f;
	int64_t n = (int64_t)f;
	if (frac > 0.5 || (frac == 0.5 && (n & 1)))
		n++;
	return (n < 1 ? 1 : n) * 100;
}

/* The next purchase time of a customer with rate lambda from c->t: an
 * exponential gap, or with a yearly seasonal factor
 * 1 + A cos(2 pi (day - 15 December) / 365.2425) on the rate, the thinning
 * of Lewis & Shedler (1979): candidates at rate lambda (1 + A), each kept
 * with probability factor / (1 + A). */
static void next_time(struct customer *c, const struct rebuy_gen_params *P)
{
	double A = P->seasonality;
	if (!(A > 0)) {
		c->t += rebuy__rng_exp(&c->rng, c->lambda) * SECONDS_PER_WEEK;
		return;
	}
	for (;;) {
		c->t += rebuy__rng_exp(&c->rng, c->lambda * (1 + A)) * SECONDS_PER_WEEK;
		if (!isfinite(c->t))
			return;
		double day = (double)P->start_day + c->t / 86400.0 - 348.0; /* 1970-12-15 */
		double f = 1 + A * cos(2 * M_PI * day / 365.2425);
		if (rebuy__rng_uniform(&c->rng) * (1 + A) < f)
			return;
	}
}

/* Moves c to its next purchase; 0 when it has left. A lambda that
 * underflowed to 0 gives an infinite gap, which the horizon check drops. */
static int advance(struct customer *c, const struct rebuy_gen_params *P)
{
	if (P->model == REBUY_GEN_BGNBD) {
		if (signbit(c->u.p)) /* the first purchase: no dropout after it */
			c->u.p = -c->u.p;
		else if (rebuy__rng_uniform(&c->rng) < c->u.p)
			return 0;
		next_time(c, P);
		return 1;
	}
	next_time(c, P);
	return c->t < c->u.death;
}

/* ---- the campaign ---- */

/* The customer's campaign, in its fixed order of draws: the group, then
 * (effect > 0) the first extra purchase after the send. The extras of a
 * customer in either group are drawn, so that its counterfactual is known. */
static void campaign_init(struct rebuy_gen *g, struct campaign *cs, const struct customer *c,
                          uint64_t number)
{
	const struct rebuy_gen_params *P = &g->params;
	memset(cs, 0, sizeof *cs);
	cs->next_extra = INFINITY;
	cs->group = NOT_IN_CAMPAIGN;
	if (!(c->t < g->send_s)) /* acquired on or after the send day */
		return;
	rebuy__rng_seed_stream(&cs->rng, P->seed, number | CAMPAIGN_STREAM);
	cs->group = rebuy__rng_uniform(&cs->rng) < P->campaign_share;
	double end = g->window_end_s < g->horizon_s ? g->window_end_s : g->horizon_s;
	if (P->model == REBUY_GEN_PNBD && c->u.death < end)
		end = c->u.death;
	cs->extra_end = end;
	if (P->campaign_effect > 0) {
		double t = g->send_s + rebuy__rng_exp(&cs->rng, c->lambda * P->campaign_effect) *
		                               SECONDS_PER_WEEK;
		cs->next_extra = t < end ? t : INFINITY;
	}
}

/* Files the customer's next event, the earlier of its own purchase and its
 * next extra one, when there is one before the horizon. */
static void campaign_push(struct rebuy_gen *g, uint32_t index)
{
	double t = g->cust[index].t, e = g->camp[index].next_extra;
	if (e < t)
		t = e;
	if (t < g->horizon_s)
		push(g, key_of(t, index));
}

static void tally(struct rebuy_gen *g, struct campaign *cs, int outcome, int64_t amount)
{
	cs->orders[outcome]++;
	g->has_overflow |=
	        __builtin_add_overflow(cs->revenue[outcome], amount, &cs->revenue[outcome]);
}

/* rebuy_gen_next with a campaign: the same calendar, with extra purchases
 * among the events and some events not written (the other group's
 * outcome). Returns 1 with *out filled, or 0 at the end. */
static int next_with_campaign(struct rebuy_gen *g, struct rebuy_gen_order *out)
{
	const struct rebuy_gen_params *P = &g->params;
	for (;;) {
		if (g->n_heap == 0 && !load_next_bucket(g)) {
			g->is_done = 1;
			return 0;
		}
		uint64_t key = g->heap[0];
		uint32_t index = (uint32_t)key;
		struct customer *c = &g->cust[index];
		struct campaign *cs = &g->camp[index];
		pop_top(g->heap, --g->n_heap);
		int64_t amount;
		int is_written;
		if (cs->next_extra < c->t) {
			/* An extra purchase: it happens with the campaign only. */
			amount = draw_amount(&cs->rng, c->nu, &g->shape_p);
			tally(g, cs, 1, amount);
			double t = cs->next_extra +
			           rebuy__rng_exp(&cs->rng, c->lambda * P->campaign_effect) *
			                   SECONDS_PER_WEEK;
			cs->next_extra = t < cs->extra_end ? t : INFINITY;
			is_written = cs->group == 1;
		} else {
			amount = draw_amount(&c->rng, c->nu, &g->shape_p);
			is_written = 1;
			if (cs->group != NOT_IN_CAMPAIGN && c->t >= g->send_s &&
			    c->t < g->window_end_s) {
				tally(g, cs, 0, amount);
				/* Thinning: kept with probability 1 + effect. */
				int is_kept = !(P->campaign_effect < 0 &&
				                rebuy__rng_uniform(&cs->rng) < -P->campaign_effect);
				if (is_kept)
					tally(g, cs, 1, amount);
				else if (cs->group == 1)
					is_written = 0;
			}
			int is_alive = advance(c, P);
			if (!is_alive && P->model == REBUY_GEN_BGNBD)
				cs->next_extra = INFINITY; /* left after this purchase */
			if (!is_alive || !(c->t < g->horizon_s))
				c->t = INFINITY;
		}
		campaign_push(g, index);
		if (!is_written)
			continue;
		out->customer = (uint64_t)index + 1;
		out->order = ++g->n_orders;
		out->ts = g->start_ts + (int64_t)(key >> 32);
		out->amount = amount;
		return 1;
	}
}

int rebuy_gen_campaign_group(const struct rebuy_gen *g, uint64_t c)
{
	if (!g || !g->camp || c < 1 || c > g->params.n_customers)
		return NOT_IN_CAMPAIGN;
	return g->camp[c - 1].group;
}

static double ratio(double a, uint64_t b)
{
	return b ? a / (double)b : NAN;
}

enum rebuy_status rebuy_gen_campaign_truth(const struct rebuy_gen *g,
                                           struct rebuy_gen_campaign_truth *out,
                                           struct rebuy_error *err)
{
	if (!g || !g->camp)
		return rebuy_error_set(err, REBUY_EARG, "gen: the generator has no campaign");
	if (!g->is_done)
		return rebuy_error_set(
		        err, REBUY_EARG,
		        "gen: the campaign's truth is known once every order is out");
	if (g->has_overflow)
		return rebuy_error_set(err, REBUY_ELIMIT,
		                       "gen: a campaign revenue sum is beyond +-922 trillion");
	memset(out, 0, sizeof *out);
	int overflow = 0;
	for (size_t i = 0; i < g->params.n_customers; i++) {
		const struct campaign *cs = &g->camp[i];
		if (cs->group == NOT_IN_CAMPAIGN)
			continue;
		int k = cs->group;
		out->customers[k]++;
		for (int o = 0; o < 2; o++) {
			out->converted[k][o] += cs->orders[o] > 0;
			out->orders[k][o] += cs->orders[o];
			overflow |= __builtin_add_overflow(out->revenue[k][o], cs->revenue[o],
			                                   &out->revenue[k][o]);
		}
	}
	int64_t d[2];
	overflow |= __builtin_sub_overflow(out->revenue[1][1], out->revenue[1][0], &d[1]);
	overflow |= __builtin_sub_overflow(out->revenue[0][1], out->revenue[0][0], &d[0]);
	if (overflow)
		return rebuy_error_set(err, REBUY_ELIMIT,
		                       "gen: a campaign revenue sum is beyond +-922 trillion");
	const uint64_t n = out->customers[0] + out->customers[1], nt = out->customers[1];
	double conv[2], ord[2];
	for (int k = 0; k < 2; k++) {
		conv[k] = (double)out->converted[k][1] - (double)out->converted[k][0];
		ord[k] = (double)out->orders[k][1] - (double)out->orders[k][0];
	}
	out->ate_conversion = ratio(conv[0] + conv[1], n);
	out->att_conversion = ratio(conv[1], nt);
	out->ate_orders = ratio(ord[0] + ord[1], n);
	out->att_orders = ratio(ord[1], nt);
	out->ate_revenue = ratio(((double)d[0] + (double)d[1]) / REBUY_MONEY_SCALE, n);
	out->att_revenue = ratio((double)d[1] / REBUY_MONEY_SCALE, nt);
	out->incremental_revenue = d[1];
	return REBUY_OK;
}

static enum rebuy_status alloc_all(struct rebuy_gen *g, size_t n)
{
	size_t bytes, n_chunks;
	if (rebuy__mul_overflows(n, sizeof *g->cust, &bytes) ||
	    !(g->cust = alloc_aligned(&g->cust_block, bytes, 0)))
		return REBUY_ENOMEM;
	if (rebuy__mul_overflows(n, sizeof *g->truth, &bytes) || !(g->truth = rebuy__malloc(bytes)))
		return REBUY_ENOMEM;
	/* &heap[5], the root's first grandchild, starts a line. */
	if (rebuy__mul_overflows(n + SENTINELS, sizeof *g->heap, &bytes) ||
	    !(g->heap = alloc_aligned(&g->heap_block, bytes, 64 - 5 * sizeof *g->heap)))
		return REBUY_ENOMEM;
	n_chunks = n / CHUNK_KEYS + (n < g->n_buckets ? n : g->n_buckets) + 1;
	if (rebuy__mul_overflows(n_chunks, sizeof *g->chunks, &bytes) ||
	    !(g->chunks = rebuy__malloc(bytes)))
		return REBUY_ENOMEM;
	if (!(g->buckets = rebuy__malloc(g->n_buckets * sizeof *g->buckets)))
		return REBUY_ENOMEM;
	if (g->params.has_campaign && !(g->camp = rebuy__calloc(n, sizeof *g->camp)))
		return REBUY_ENOMEM;
	for (uint32_t b = 0; b < g->n_buckets; b++)
		g->buckets[b] = (struct bucket){NONE, NONE, 0};
	/* Chunks are taken in order when first needed, so that pages of the
	 * pool a run never uses are never touched. */
	g->free_chunk = NONE;
	g->n_fresh = 0;
	return REBUY_OK;
}

struct rebuy_gen *rebuy_gen_new(const struct rebuy_gen_params *params, struct rebuy_error *err)
{
	if (rebuy_gen_params_check(params, err) != REBUY_OK)
		return NULL;
	size_t n = (size_t)params->n_customers;
	struct rebuy_gen *g = rebuy__malloc(sizeof *g);
	if (!g)
		goto nomem;
	memset(g, 0, sizeof *g);
	g->params = *params;
	g->start_ts = params->start_day * 86400;
	g->horizon_s = params->weeks * SECONDS_PER_WEEK;
	/* Seconds of a key run 0 .. ceil(horizon_s) - 1 < 2^32. */
	uint64_t last_second = (uint64_t)ceil(g->horizon_s) - 1;
	while (last_second >> g->width_log >= N_BUCKETS_TARGET)
		g->width_log++;
	g->n_buckets = (uint32_t)(last_second >> g->width_log) + 1;
	g->cur = NONE;
	rebuy__gamma_shape_init(&g->shape_r, params->r);
	rebuy__gamma_shape_init(&g->shape_s, params->s);
	rebuy__gamma_shape_init(&g->shape_q, params->q);
	rebuy__gamma_shape_init(&g->shape_p, params->p);
	if (params->has_campaign) {
		g->send_s = (double)(params->campaign_day - params->start_day) * 86400.0;
		g->window_end_s = g->send_s + (double)params->campaign_window_days * 86400.0;
	}
	if (alloc_all(g, n) != REBUY_OK)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		struct rebuy_gen_truth unused;
		draw_customer(&g->cust[i], &unused, g, (uint64_t)i + 1);
		if (g->camp)
			campaign_init(g, &g->camp[i], &g->cust[i], (uint64_t)i + 1);
		push(g, key_of(g->cust[i].t, (uint32_t)i));
	}
	return g;
nomem:
	rebuy_gen_free(g);
	rebuy_error_set(err, REBUY_ENOMEM, "gen: out of memory for %llu customers",
	                (unsigned long long)params->n_customers);
	return NULL;
}

int rebuy_gen_next(struct rebuy_gen *g, struct rebuy_gen_order *out)
{
	if (!g)
		return 0;
	if (g->camp)
		return next_with_campaign(g, out);
	if (g->n_heap == 0 && !load_next_bucket(g)) {
		g->is_done = 1;
		return 0;
	}
	uint64_t *h = g->heap;
	uint64_t key = h[0];
	uint32_t index = (uint32_t)key;
	struct customer *c = &g->cust[index];
	out->customer = (uint64_t)index + 1;
	out->order = ++g->n_orders;
	out->ts = g->start_ts + (int64_t)(key >> 32);
	out->amount = draw_amount(&c->rng, c->nu, &g->shape_p);

	/* Take the key off the heap, then file the customer's next one. */
	pop_top(h, --g->n_heap);
	if (advance(c, &g->params) && c->t < g->horizon_s)
		push(g, key_of(c->t, index));
	/* The next two calls start with these customers (unless a purchase
	 * lands in between): load them while this order is written out. A
	 * sentinel's index is 2^32 - 1: skip it. */
	uint64_t first = h[0], second = h[min4(h, 1)];
	if (first != UINT64_MAX)
		__builtin_prefetch(&g->cust[(uint32_t)first]);
	if (second != UINT64_MAX)
		__builtin_prefetch(&g->cust[(uint32_t)second]);
	return 1;
}

const struct rebuy_gen_truth *rebuy_gen_customer(const struct rebuy_gen *g, uint64_t c)
{
	if (!g || c < 1 || c > g->params.n_customers)
		return NULL;
	/* The same draws again give the same values: no need to remember
	 * which customers were filled in. */
	struct customer again;
	draw_customer(&again, &g->truth[c - 1], g, c);
	return &g->truth[c - 1];
}

void rebuy_gen_free(struct rebuy_gen *g)
{
	if (!g)
		return;
	rebuy__free(g->cust_block);
	rebuy__free(g->truth);
	rebuy__free(g->heap_block);
	rebuy__free(g->chunks);
	rebuy__free(g->buckets);
	rebuy__free(g->camp);
	rebuy__free(g);
}
