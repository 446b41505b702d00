/* Item-based top-N recommendations after Deshpande & Karypis 2004 ("Item-based
 * top-N recommendation algorithms", ACM TOIS 22(1)): customer-level
 * co-occurrence with inverse-user-frequency weights, their conditional
 * probability smoothed toward popularity (an m-estimate); every formula is
 * in include/rebuy/recommend.h. One row i of c(i,j) at a time is counted into a
 * dense per-thread array, so memory stays O(items x M) plus the inputs. Each
 * per-item and per-customer result is a fixed sum in a fixed order and the
 * evaluation adds customers in id order: nothing depends on the threads.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/parallel.h"
#include "rebuy/recommend.h"

#define NONE UINT32_MAX
#define WINDOW_ROWS 65536 /* rows buffered between parallel scoring and the callback */

void rebuy_recommend_options_init(struct rebuy_recommend_options *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->k = REBUY_RECOMMEND_DEFAULT_K;
	opts->n_neighbours = REBUY_RECOMMEND_DEFAULT_NEIGHBOURS;
	opts->alpha = 0;
	opts->smoothing = 5;
	opts->repeat_weight = 10;
}

/* One distinct item of a customer's training baskets. */
struct pitem {
	uint32_t item;
	uint32_t count; /* training baskets holding it */
	int64_t last;   /* last training day bought */
};

struct rebuy_recommender {
	struct rebuy_recommend_options opts; /* resolved: k, M, n_threads set */
	size_t n_items, n_customers;
	uint64_t *prof_start; /* n_customers + 1: P(u) at [prof_start[u], prof_start[u+1]) */
	struct pitem *prof;   /* each P(u) by (last desc, item asc): Q(u) is its head */
	uint32_t *n_baskets;  /* n(u) */
	int64_t *last_day;    /* last(u) */
	uint32_t *popularity; /* N p(j): training customers per item */
	uint32_t *popular;    /* items with popularity > 0 by (popularity desc, id asc) */
	size_t n_popular;
	double *q;          /* q(j) = p(j)^(1-alpha) */
	double *prior;      /* pr(i) = s / (c(i) + s) */
	uint32_t *nb_n;     /* while fitting: row i has nb_n[i] entries at i * M */
	uint64_t *nb_start; /* n_items + 1: row i at [nb_start[i], nb_start[i+1]) */
	uint32_t *nb_item;  /* each row by (nb desc, item asc) */
	double *nb_sim;     /* nb(i,j) */
	struct rebuy_recommender_info info;
};

/* ---- a bounded list of the best (score desc, id asc) -------------------- */

struct scored {
	uint32_t id;
	double score;
};

static inline int better(const struct scored *a, const struct scored *b)
{
	return a->score > b->score || (a->score == b->score && a->id < b->id);
}

/* A min-heap (the worst kept entry at the root) of at most cap entries. */
struct top {
	struct scored *h;
	size_t n, cap;
};

static void top_push(struct top *t, uint32_t id, double score)
{
	struct scored x = {id, score};
	size_t i;
	if (t->n < t->cap) {
		i = t->n++;
		while (i > 0 && better(&t->h[(i - 1) / 2], &x)) {
			t->h[i] = t->h[(i - 1) / 2];
			i = (i - 1) / 2;
		}
		t->h[i] = x;
		return;
	}
	if (t->cap == 0 || !better(&x, &t->h[0]))
		return;
	i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= t->n)
			break;
		if (c + 1 < t->n && better(&t->h[c], &t->h[c + 1]))
			c++;
		if (!better(&x, &t->h[c]))
			break;
		t->h[i] = t->h[c];
		i = c;
	}
	t->h[i] = x;
}

static int cmp_scored(const void *pa, const void *pb)
{
	const struct scored *a = pa, *b = pb;
	return better(a, b) ? -1 : better(b, a) ? 1 : 0;
}

/* Leaves the kept entries best first in t->h[0 .. t->n). */
static void top_sort(struct top *t)
{
	qsort(t->h, t->n, sizeof *t->h, cmp_scored);
}

/* ---- per-thread scratch ------------------------------------------------- */

/* Fitting uses acc (c(i,j) of the current row), touched and top; scoring
 * all of it. */
struct scratch {
	double *acc;      /* per item: c(i,j), or the score so far */
	double *best;     /* per item: its largest contribution */
	uint32_t *from;   /* per item: that contribution's source, NONE: untouched */
	uint32_t *bought; /* per item: == epoch when in the current customer's P(u) */
	uint32_t *intest; /* per item: == epoch when in the current customer's test set */
	uint32_t *touched;
	uint32_t *untouched; /* cap: popular candidates without a term */
	uint32_t epoch;
	struct top top;
};

static void scratch_release(struct scratch *s)
{
	rebuy__free(s->acc);
	rebuy__free(s->best);
	rebuy__free(s->from);
	rebuy__free(s->bought);
	rebuy__free(s->intest);
	rebuy__free(s->touched);
	rebuy__free(s->untouched);
	rebuy__free(s->top.h);
	memset(s, 0, sizeof *s);
}

static enum rebuy_status scratch_init(struct scratch *s, size_t n_items, size_t cap, int is_scoring)
{
	memset(s, 0, sizeof *s);
	size_t n = n_items ? n_items : 1;
	s->acc = rebuy__calloc(n, sizeof *s->acc);
	s->touched = rebuy__malloc(n * sizeof *s->touched);
	s->top.h = rebuy__malloc((cap ? cap : 1) * sizeof *s->top.h);
	s->top.cap = cap;
	int ok = s->acc && s->touched && s->top.h;
	if (ok && is_scoring) {
		s->best = rebuy__calloc(n, sizeof *s->best);
		s->from = rebuy__malloc(n * sizeof *s->from);
		s->bought = rebuy__calloc(n, sizeof *s->bought);
		s->intest = rebuy__calloc(n, sizeof *s->intest);
		s->untouched = rebuy__malloc((cap ? cap : 1) * sizeof *s->untouched);
		ok = s->best && s->from && s->bought && s->intest && s->untouched;
		if (ok)
			memset(s->from, 0xFF, n * sizeof *s->from);
	}
	if (!ok) {
		scratch_release(s);
		return REBUY_ENOMEM;
	}
	return REBUY_OK;
}

/* A fresh stamp for the stamp arrays; they are cleared when it wraps. */
static void scratch_next(struct scratch *s, size_t n_items)
{
	if (++s->epoch == 0) {
		memset(s->bought, 0, n_items * sizeof *s->bought);
		memset(s->intest, 0, n_items * sizeof *s->intest);
		s->epoch = 1;
	}
}

static void scratch_free_all(struct scratch *s, unsigned n)
{
	if (!s)
		return;
	for (unsigned t = 0; t < n; t++)
		scratch_release(&s[t]);
	rebuy__free(s);
}

static struct scratch *scratch_new_all(unsigned n, size_t n_items, size_t cap, int is_scoring)
{
	struct scratch *s = rebuy__calloc(n, sizeof *s);
	if (!s)
		return NULL;
	for (unsigned t = 0; t < n; t++)
		if (scratch_init(&s[t], n_items, cap, is_scoring) != REBUY_OK) {
			scratch_free_all(s, t);
			return NULL;
		}
	return s;
}

/* ---- options and input checks ------------------------------------------- */

static enum rebuy_status resolve_options(struct rebuy_recommend_options *o,
                                         const struct rebuy_recommend_options *given,
                                         struct rebuy_error *err)
{
	if (given)
		*o = *given;
	else
		rebuy_recommend_options_init(o);
	if (o->k == 0)
		o->k = REBUY_RECOMMEND_DEFAULT_K;
	if (o->n_neighbours == 0)
		o->n_neighbours = REBUY_RECOMMEND_DEFAULT_NEIGHBOURS;
	if (o->k > REBUY_RECOMMEND_MAX_K)
		return rebuy_error_set(err, REBUY_EARG, "recommend: k %zu is more than %d", o->k,
		                       REBUY_RECOMMEND_MAX_K);
	if (o->n_neighbours > REBUY_RECOMMEND_MAX_NEIGHBOURS)
		return rebuy_error_set(err, REBUY_EARG, "recommend: %zu neighbours is more than %d",
		                       o->n_neighbours, REBUY_RECOMMEND_MAX_NEIGHBOURS);
	if (!(o->alpha >= 0 && o->alpha <= 1))
		return rebuy_error_set(err, REBUY_EARG, "recommend: alpha %g is not from 0 to 1",
		                       o->alpha);
	if (!(o->smoothing >= 0 && o->smoothing < INFINITY))
		return rebuy_error_set(err, REBUY_EARG, "recommend: smoothing %g is not >= 0",
		                       o->smoothing);
	if (!(o->half_life_days >= 0 && o->half_life_days < INFINITY))
		return rebuy_error_set(err, REBUY_EARG, "recommend: half-life %g days is not >= 0",
		                       o->half_life_days);
	if (!(o->repeat_weight >= 0 && o->repeat_weight < INFINITY))
		return rebuy_error_set(err, REBUY_EARG, "recommend: repeat weight %g is not >= 0",
		                       o->repeat_weight);
	if (o->n_threads == 0)
		o->n_threads = rebuy__cpu_count();
	return REBUY_OK;
}

static enum rebuy_status check_baskets(const struct rebuy_baskets *b, struct rebuy_error *err)
{
	if (!b)
		return rebuy_error_set(err, REBUY_EARG, "recommend: no baskets");
	if (!b->customer || !b->day)
		return rebuy_error_set(err, REBUY_EDATA,
		                       "recommend: the baskets have no customers (they need an "
		                       "order export with a customer column)");
	if (b->n_items >= UINT32_MAX || b->n_customers >= UINT32_MAX)
		return rebuy_error_set(err, REBUY_ELIMIT,
		                       "recommend: %zu items and %zu customers: at most %u each",
		                       b->n_items, b->n_customers, UINT32_MAX - 1);
	if (b->n_baskets > 0 && (!b->start || b->start[0] != 0))
		return rebuy_error_set(err, REBUY_EARG,
		                       "recommend: basket offsets do not start at 0");
	for (size_t x = 0; x < b->n_baskets; x++) {
		if (b->customer[x] >= b->n_customers)
			return rebuy_error_set(err, REBUY_EARG,
			                       "recommend: basket %zu: customer %u of %zu", x,
			                       b->customer[x], b->n_customers);
		if (x > 0 && (b->customer[x] < b->customer[x - 1] ||
		              (b->customer[x] == b->customer[x - 1] && b->day[x] < b->day[x - 1])))
			return rebuy_error_set(
			        err, REBUY_EARG,
			        "recommend: basket %zu is not sorted by (customer, day)", x);
		if (b->start[x + 1] < b->start[x])
			return rebuy_error_set(err, REBUY_EARG,
			                       "recommend: basket %zu: offsets go backwards", x);
		for (uint64_t p = b->start[x]; p < b->start[x + 1]; p++)
			if (b->items[p] >= b->n_items ||
			    (p > b->start[x] && b->items[p] <= b->items[p - 1]))
				return rebuy_error_set(
				        err, REBUY_EARG,
				        "recommend: basket %zu: item %u out of range or "
				        "out of order",
				        x, b->items[p]);
	}
	return REBUY_OK;
}

static inline int in_training(const struct rebuy_recommend_options *o, int64_t day)
{
	return !o->has_train_end || day <= o->train_end_day;
}

/* ---- fitting ------------------------------------------------------------ */

static int cmp_pitem(const void *pa, const void *pb)
{
	const struct pitem *a = pa, *b = pb;
	if (a->last != b->last)
		return a->last > b->last ? -1 : 1;
	return a->item < b->item ? -1 : a->item > b->item;
}

/* Profiles: one pass over the training baskets with a dense item -> slot map. */
static enum rebuy_status build_profiles(struct rebuy_recommender *r, const struct rebuy_baskets *b)
{
	uint64_t bound = 0;
	for (size_t x = 0; x < b->n_baskets; x++)
		if (in_training(&r->opts, b->day[x]))
			bound += b->start[x + 1] - b->start[x];
	if (bound > SIZE_MAX / sizeof(struct pitem))
		return REBUY_ENOMEM;
	r->prof = rebuy__malloc((bound ? bound : 1) * sizeof *r->prof);
	uint32_t *owner = rebuy__calloc(r->n_items ? r->n_items : 1, sizeof *owner);
	uint32_t *slot = rebuy__malloc((r->n_items ? r->n_items : 1) * sizeof *slot);
	enum rebuy_status st = REBUY_ENOMEM;
	if (!r->prof || !owner || !slot)
		goto out;
	uint64_t n = 0;
	size_t x = 0;
	for (size_t u = 0; u < r->n_customers; u++) {
		r->prof_start[u] = n;
		for (; x < b->n_baskets && b->customer[x] == u; x++) {
			if (!in_training(&r->opts, b->day[x]))
				continue;
			r->n_baskets[u]++;
			r->last_day[u] = b->day[x];
			r->info.n_train_baskets++;
			for (uint64_t p = b->start[x]; p < b->start[x + 1]; p++) {
				uint32_t it = b->items[p];
				if (owner[it] != u + 1) {
					owner[it] = (uint32_t)u + 1;
					slot[it] = (uint32_t)(n - r->prof_start[u]);
					r->prof[n++] = (struct pitem){it, 1, b->day[x]};
				} else {
					struct pitem *e = &r->prof[r->prof_start[u] + slot[it]];
					e->count++;
					e->last = b->day[x];
				}
			}
		}
		size_t len = (size_t)(n - r->prof_start[u]);
		qsort(r->prof + r->prof_start[u], len, sizeof *r->prof, cmp_pitem);
		if (r->n_baskets[u] > 0)
			r->info.n_train_customers++;
		if (len > REBUY_RECOMMEND_PAIR_ITEMS)
			r->info.n_capped++;
	}
	r->prof_start[r->n_customers] = n;
	struct pitem *shrunk = rebuy__realloc(r->prof, (n ? n : 1) * sizeof *r->prof);
	if (shrunk) /* a shrink that fails keeps the larger block */
		r->prof = shrunk;
	st = REBUY_OK;
out:
	rebuy__free(owner);
	rebuy__free(slot);
	return st;
}

/* p(j); 0 for an item nobody bought in training. */
static inline double p_of(const struct rebuy_recommender *r, size_t j)
{
	return r->info.n_train_customers ? (double)r->popularity[j] / r->info.n_train_customers : 0;
}

/* qsort has no user pointer: the popularity counts are sorted by a key. */
struct popkey {
	uint32_t pop, item;
};

static int cmp_popkey(const void *pa, const void *pb)
{
	const struct popkey *a = pa, *b = pb;
	if (a->pop != b->pop)
		return a->pop > b->pop ? -1 : 1;
	return a->item < b->item ? -1 : a->item > b->item;
}

static enum rebuy_status build_popular(struct rebuy_recommender *r)
{
	for (uint64_t p = 0; p < r->prof_start[r->n_customers]; p++)
		r->popularity[r->prof[p].item]++;
	size_t n = 0;
	for (size_t i = 0; i < r->n_items; i++)
		n += r->popularity[i] > 0;
	struct popkey *keys = rebuy__malloc((n ? n : 1) * sizeof *keys);
	r->popular = rebuy__malloc((n ? n : 1) * sizeof *r->popular);
	if (!keys || !r->popular) {
		rebuy__free(keys);
		return REBUY_ENOMEM;
	}
	n = 0;
	for (size_t i = 0; i < r->n_items; i++)
		if (r->popularity[i] > 0)
			keys[n++] = (struct popkey){r->popularity[i], (uint32_t)i};
	qsort(keys, n, sizeof *keys, cmp_popkey);
	for (size_t x = 0; x < n; x++)
		r->popular[x] = keys[x].item;
	r->n_popular = n;
	r->info.n_train_items = n;
	for (size_t i = 0; i < r->n_items; i++)
		r->q[i] = r->popularity[i] ? pow(p_of(r, i), 1 - r->opts.alpha) : 0;
	rebuy__free(keys);
	return REBUY_OK;
}

/* What the rows are counted from: the capped profiles, their weights and
 * the customers of each item. */
struct pairs {
	struct rebuy_recommender *r;
	uint32_t *n_cust;    /* customers with i in Q(u) */
	double *c;           /* c(i) */
	double *v;           /* v(u) = 1 / |Q(u)| */
	uint64_t *inv_start; /* n_items + 1 */
	uint32_t *inv_cust;  /* customers of item i, ascending */
	struct scratch *s;   /* per thread */
	unsigned n_scratch;
	uint64_t *n_touched; /* per item: j with c(i,j) > 0 */
};

static inline size_t capped_len(const struct rebuy_recommender *r, size_t u)
{
	size_t len = (size_t)(r->prof_start[u + 1] - r->prof_start[u]);
	return len < REBUY_RECOMMEND_PAIR_ITEMS ? len : REBUY_RECOMMEND_PAIR_ITEMS;
}

static enum rebuy_status build_inverted(struct pairs *pr)
{
	const struct rebuy_recommender *r = pr->r;
	size_t ni = r->n_items;
	for (size_t u = 0; u < r->n_customers; u++) {
		const struct pitem *p = r->prof + r->prof_start[u];
		size_t len = capped_len(r, u);
		pr->v[u] = len ? 1.0 / (double)len : 0;
		for (size_t x = 0; x < len; x++) {
			pr->n_cust[p[x].item]++;
			pr->c[p[x].item] += pr->v[u];
		}
	}
	uint64_t total = 0;
	for (size_t i = 0; i < ni; i++) {
		pr->inv_start[i] = total;
		total += pr->n_cust[i];
	}
	pr->inv_start[ni] = total;
	pr->inv_cust = rebuy__malloc((total ? total : 1) * sizeof *pr->inv_cust);
	uint64_t *fill = rebuy__malloc((ni ? ni : 1) * sizeof *fill);
	if (!pr->inv_cust || !fill) {
		rebuy__free(fill);
		return REBUY_ENOMEM;
	}
	memcpy(fill, pr->inv_start, ni * sizeof *fill);
	for (size_t u = 0; u < r->n_customers; u++) {
		const struct pitem *p = r->prof + r->prof_start[u];
		for (size_t x = 0, len = capped_len(r, u); x < len; x++)
			pr->inv_cust[fill[p[x].item]++] = (uint32_t)u;
	}
	rebuy__free(fill);
	return REBUY_OK;
}

/* nb(i,j) from c(i,j) and c(i). */
static inline double co_purchase(const struct rebuy_recommender *r, double cij, double ci, size_t j)
{
	double d = ci + r->opts.smoothing;
	if (r->opts.alpha > 0)
		d *= pow(p_of(r, j), r->opts.alpha);
	return d > 0 ? cij / d : 0;
}

/* Row i: c(i,j) for every j through the customers of i, then the top M. */
static enum rebuy_status fit_row(void *ud, size_t i, unsigned thread)
{
	struct pairs *pr = ud;
	struct rebuy_recommender *r = pr->r;
	struct scratch *s = &pr->s[thread];
	size_t m = r->opts.n_neighbours, nt = 0;
	for (uint64_t q = pr->inv_start[i]; q < pr->inv_start[i + 1]; q++) {
		size_t u = pr->inv_cust[q];
		const struct pitem *p = r->prof + r->prof_start[u];
		for (size_t x = 0, len = capped_len(r, u); x < len; x++) {
			uint32_t j = p[x].item;
			if (j == i)
				continue;
			if (s->acc[j] == 0)
				s->touched[nt++] = j;
			s->acc[j] += pr->v[u];
		}
	}
	s->top.n = 0;
	for (size_t x = 0; x < nt; x++) {
		uint32_t j = s->touched[x];
		top_push(&s->top, j, co_purchase(r, s->acc[j], pr->c[i], j));
		s->acc[j] = 0;
	}
	top_sort(&s->top);
	for (size_t x = 0; x < s->top.n; x++) {
		r->nb_item[i * m + x] = s->top.h[x].id;
		r->nb_sim[i * m + x] = s->top.h[x].score;
	}
	r->nb_n[i] = (uint32_t)s->top.n;
	pr->n_touched[i] = nt;
	return REBUY_OK;
}

static unsigned threads_for(const struct rebuy_recommender *r, size_t n)
{
	unsigned nt = r->opts.n_threads;
	if (nt > n)
		nt = n ? (unsigned)n : 1;
	return nt;
}

static enum rebuy_status build_neighbours(struct rebuy_recommender *r)
{
	size_t ni = r->n_items, m = r->opts.n_neighbours, cells;
	struct pairs pr = {.r = r};
	enum rebuy_status st = REBUY_ENOMEM;
	if (rebuy__mul_overflows(ni, m, &cells))
		return REBUY_ENOMEM;
	r->nb_n = rebuy__calloc(ni ? ni : 1, sizeof *r->nb_n);
	r->nb_item = rebuy__malloc((cells ? cells : 1) * sizeof *r->nb_item);
	r->nb_sim = rebuy__malloc((cells ? cells : 1) * sizeof *r->nb_sim);
	pr.n_cust = rebuy__calloc(ni ? ni : 1, sizeof *pr.n_cust);
	pr.c = rebuy__calloc(ni ? ni : 1, sizeof *pr.c);
	pr.v = rebuy__calloc(r->n_customers ? r->n_customers : 1, sizeof *pr.v);
	pr.inv_start = rebuy__malloc((ni + 1) * sizeof *pr.inv_start);
	pr.n_touched = rebuy__calloc(ni ? ni : 1, sizeof *pr.n_touched);
	if (!r->nb_n || !r->nb_item || !r->nb_sim || !pr.n_cust || !pr.c || !pr.v ||
	    !pr.inv_start || !pr.n_touched)
		goto out;
	if ((st = build_inverted(&pr)) != REBUY_OK)
		goto out;
	for (size_t i = 0; i < ni; i++) {
		double d = pr.c[i] + r->opts.smoothing;
		r->prior[i] = d > 0 ? r->opts.smoothing / d : 0;
	}
	unsigned nt = threads_for(r, ni);
	st = REBUY_ENOMEM;
	if (!(pr.s = scratch_new_all(nt, ni, m, 0)))
		goto out;
	pr.n_scratch = nt;
	if ((st = rebuy__parallel_for(nt, ni, fit_row, &pr)) != REBUY_OK)
		goto out;
	for (size_t i = 0; i < ni; i++) {
		r->info.n_pairs += pr.n_touched[i];
		r->info.n_links += r->nb_n[i];
	}
out:
	scratch_free_all(pr.s, pr.n_scratch);
	rebuy__free(pr.n_cust);
	rebuy__free(pr.c);
	rebuy__free(pr.v);
	rebuy__free(pr.inv_start);
	rebuy__free(pr.inv_cust);
	rebuy__free(pr.n_touched);
	return st;
}

/* Rows were written at i * M; moves them together (forward, so in place)
 * and gives back the unused tail. */
static enum rebuy_status compact_neighbours(struct rebuy_recommender *r)
{
	size_t ni = r->n_items, m = r->opts.n_neighbours;
	r->nb_start = rebuy__malloc((ni + 1) * sizeof *r->nb_start);
	if (!r->nb_start)
		return REBUY_ENOMEM;
	uint64_t n = 0;
	for (size_t i = 0; i < ni; i++) {
		r->nb_start[i] = n;
		memmove(r->nb_item + n, r->nb_item + i * m, r->nb_n[i] * sizeof *r->nb_item);
		memmove(r->nb_sim + n, r->nb_sim + i * m, r->nb_n[i] * sizeof *r->nb_sim);
		n += r->nb_n[i];
	}
	r->nb_start[ni] = n;
	void *p = rebuy__realloc(r->nb_item, (n ? n : 1) * sizeof *r->nb_item);
	if (p) /* a shrink that fails keeps the larger block */
		r->nb_item = p;
	p = rebuy__realloc(r->nb_sim, (n ? n : 1) * sizeof *r->nb_sim);
	if (p)
		r->nb_sim = p;
	rebuy__free(r->nb_n);
	r->nb_n = NULL;
	return REBUY_OK;
}

void rebuy_recommender_free(struct rebuy_recommender *r)
{
	if (!r)
		return;
	rebuy__free(r->prof_start);
	rebuy__free(r->prof);
	rebuy__free(r->n_baskets);
	rebuy__free(r->last_day);
	rebuy__free(r->popularity);
	rebuy__free(r->popular);
	rebuy__free(r->q);
	rebuy__free(r->prior);
	rebuy__free(r->nb_n);
	rebuy__free(r->nb_start);
	rebuy__free(r->nb_item);
	rebuy__free(r->nb_sim);
	rebuy__free(r);
}

static size_t model_bytes(const struct rebuy_recommender *r)
{
	size_t nc = r->n_customers, ni = r->n_items;
	return sizeof *r + (nc + 1) * sizeof *r->prof_start +
	       (size_t)r->prof_start[nc] * sizeof *r->prof +
	       nc * (sizeof *r->n_baskets + sizeof *r->last_day) +
	       ni * (sizeof *r->popularity + sizeof *r->q + sizeof *r->prior) +
	       r->n_popular * sizeof *r->popular + (ni + 1) * sizeof *r->nb_start +
	       (size_t)r->info.n_links * (sizeof *r->nb_item + sizeof *r->nb_sim);
}

enum rebuy_status rebuy_recommender_fit(const struct rebuy_baskets *b,
                                        const struct rebuy_recommend_options *opts,
                                        struct rebuy_recommender **out, struct rebuy_error *err)
{
	double t0 = rebuy__now();
	struct rebuy_recommend_options o;
	enum rebuy_status st;
	*out = NULL;
	if ((st = resolve_options(&o, opts, err)) != REBUY_OK ||
	    (st = check_baskets(b, err)) != REBUY_OK)
		return st;
	struct rebuy_recommender *r = rebuy__calloc(1, sizeof *r);
	if (!r)
		goto nomem;
	r->opts = o;
	r->n_items = b->n_items;
	r->n_customers = b->n_customers;
	size_t nc = b->n_customers ? b->n_customers : 1, ni = b->n_items ? b->n_items : 1;
	r->prof_start = rebuy__malloc((b->n_customers + 1) * sizeof *r->prof_start);
	r->n_baskets = rebuy__calloc(nc, sizeof *r->n_baskets);
	r->last_day = rebuy__calloc(nc, sizeof *r->last_day);
	r->popularity = rebuy__calloc(ni, sizeof *r->popularity);
	r->q = rebuy__calloc(ni, sizeof *r->q);
	r->prior = rebuy__calloc(ni, sizeof *r->prior);
	if (!r->prof_start || !r->n_baskets || !r->last_day || !r->popularity || !r->q || !r->prior)
		goto nomem;
	if (build_profiles(r, b) != REBUY_OK || build_popular(r) != REBUY_OK ||
	    build_neighbours(r) != REBUY_OK || compact_neighbours(r) != REBUY_OK)
		goto nomem;
	r->info.n_items = b->n_items;
	r->info.n_customers = b->n_customers;
	r->info.model_bytes = model_bytes(r);
	r->info.fit_seconds = rebuy__now() - t0;
	*out = r;
	return REBUY_OK;
nomem:
	rebuy_recommender_free(r);
	return rebuy_error_set(err, REBUY_ENOMEM,
	                       "recommend: out of memory fitting the model "
	                       "(%zu items, %zu customers)",
	                       b->n_items, b->n_customers);
}

void rebuy_recommender_info(const struct rebuy_recommender *r, struct rebuy_recommender_info *info)
{
	*info = r->info;
}

size_t rebuy_recommender_neighbours(const struct rebuy_recommender *r, uint32_t item,
                                    const uint32_t **items, const double **sims)
{
	if (item >= r->n_items) {
		*items = NULL;
		*sims = NULL;
		return 0;
	}
	*items = r->nb_item + r->nb_start[item];
	*sims = r->nb_sim + r->nb_start[item];
	return (size_t)(r->nb_start[item + 1] - r->nb_start[item]);
}

/* ---- scoring ------------------------------------------------------------ */

/* A fresh stamp, with customer u's training items marked bought. */
static void begin_customer(const struct rebuy_recommender *r, struct scratch *s, size_t u)
{
	scratch_next(s, r->n_items);
	for (uint64_t p = r->prof_start[u]; p < r->prof_start[u + 1]; p++)
		s->bought[r->prof[p].item] = s->epoch;
}

static inline void add(struct scratch *s, uint32_t j, uint32_t from, double v, size_t *nt)
{
	if (s->from[j] == NONE) {
		s->touched[(*nt)++] = j;
		s->acc[j] = v;
		s->best[j] = v;
		s->from[j] = from;
		return;
	}
	s->acc[j] += v;
	if (v > s->best[j] || (v == s->best[j] && from < s->from[j])) {
		s->best[j] = v;
		s->from[j] = from;
	}
}

/* A row with its padding zeroed, so that rows compare and hash by bytes. */
static inline void put_row(struct rebuy_recommendation *row, size_t u, size_t n, uint32_t item,
                           int64_t reason, double score)
{
	memset(row, 0, sizeof *row);
	row->customer = (uint32_t)u;
	row->rank = (uint32_t)(n + 1);
	row->item = item;
	row->reason = reason;
	row->score = score;
}

/* The baseline: the k most popular items not excluded. */
static size_t popular_rows(const struct rebuy_recommender *r, const struct scratch *s, size_t u,
                           struct rebuy_recommendation *out)
{
	size_t n = 0;
	for (size_t x = 0; x < r->n_popular && n < r->opts.k; x++) {
		uint32_t j = r->popular[x];
		if (!r->opts.is_repeatable && s->bought[j] == s->epoch)
			continue;
		put_row(&out[n], u, n, j, REBUY_RECOMMEND_POPULAR, p_of(r, j));
		n++;
	}
	return n;
}

/* The terms of score(u,j) other than C(u) q(j), into the scratch; returns
 * C(u). */
static double add_terms(const struct rebuy_recommender *r, struct scratch *s, size_t u, size_t *nt)
{
	const struct rebuy_recommend_options *o = &r->opts;
	const struct pitem *p = r->prof + r->prof_start[u];
	size_t len = (size_t)(r->prof_start[u + 1] - r->prof_start[u]);
	double prior = 0;
	for (size_t x = 0; x < len; x++) {
		uint32_t i = p[x].item;
		double w = 1;
		if (o->half_life_days > 0)
			w = exp2(-(double)(r->last_day[u] - p[x].last) / o->half_life_days);
		prior += w * r->prior[i];
		for (uint64_t y = r->nb_start[i]; y < r->nb_start[i + 1]; y++) {
			uint32_t j = r->nb_item[y];
			if (o->is_repeatable || s->bought[j] != s->epoch)
				add(s, j, i, w * r->nb_sim[y], nt);
		}
	}
	if (o->is_repeatable && o->repeat_weight > 0)
		for (size_t x = 0; x < len; x++)
			add(s, p[x].item, p[x].item,
			    o->repeat_weight * p[x].count / (double)r->n_baskets[u], nt);
	return prior;
}

/* Customer u's rows into out[0 .. k), after begin_customer: the best
 * touched candidates merged with the first untouched popular ones, whose
 * score C(u) q(j) follows the popularity order. */
static size_t score_customer(const struct rebuy_recommender *r, struct scratch *s, size_t u,
                             struct rebuy_recommendation *out)
{
	size_t nt = 0, k = r->opts.k;
	double prior = add_terms(r, s, u, &nt);
	s->top.n = 0;
	for (size_t x = 0; x < nt; x++) {
		uint32_t j = s->touched[x];
		top_push(&s->top, j, s->acc[j] + prior * r->q[j]);
	}
	top_sort(&s->top);
	size_t nu = 0;
	for (size_t x = 0; x < r->n_popular && nu < k; x++) {
		uint32_t j = r->popular[x];
		if (s->from[j] == NONE && (r->opts.is_repeatable || s->bought[j] != s->epoch))
			s->untouched[nu++] = j;
	}
	size_t n = 0, a = 0, b = 0;
	for (; n < k && (a < s->top.n || b < nu); n++) {
		struct scored ub = {0, 0};
		if (b < nu)
			ub = (struct scored){s->untouched[b], prior * r->q[s->untouched[b]]};
		if (a < s->top.n && (b == nu || !better(&ub, &s->top.h[a]))) {
			uint32_t j = s->top.h[a++].id;
			put_row(&out[n], u, n, j, s->from[j], s->top.h[a - 1].score);
		} else {
			put_row(&out[n], u, n, ub.id, REBUY_RECOMMEND_POPULAR, ub.score);
			b++;
		}
	}
	for (size_t x = 0; x < nt; x++) {
		uint32_t j = s->touched[x];
		s->acc[j] = 0;
		s->best[j] = 0;
		s->from[j] = NONE;
	}
	return n;
}

/* ---- top-k for every customer ------------------------------------------ */

struct batch {
	const struct rebuy_recommender *r;
	struct scratch *s;
	size_t first;                      /* customer of item 0 */
	struct rebuy_recommendation *rows; /* k per customer of the window */
	size_t *n;
};

static enum rebuy_status batch_customer(void *ud, size_t item, unsigned thread)
{
	struct batch *bt = ud;
	struct scratch *s = &bt->s[thread];
	size_t u = bt->first + item;
	begin_customer(bt->r, s, u);
	bt->n[item] = score_customer(bt->r, s, u, bt->rows + item * bt->r->opts.k);
	return REBUY_OK;
}

static size_t window_of(const struct rebuy_recommender *r)
{
	size_t w = WINDOW_ROWS / r->opts.k;
	return w < 64 ? 64 : w;
}

enum rebuy_status rebuy_recommend(const struct rebuy_recommender *r, rebuy_recommend_fn fn,
                                  void *ud, struct rebuy_error *err)
{
	size_t w = window_of(r), k = r->opts.k;
	unsigned nt = threads_for(r, r->n_customers < w ? r->n_customers : w);
	struct batch bt = {.r = r};
	enum rebuy_status st = REBUY_ENOMEM;
	bt.s = scratch_new_all(nt, r->n_items, k, 1);
	bt.rows = rebuy__malloc(w * k * sizeof *bt.rows);
	bt.n = rebuy__malloc(w * sizeof *bt.n);
	if (!bt.s || !bt.rows || !bt.n)
		goto out;
	for (bt.first = 0; bt.first < r->n_customers; bt.first += w) {
		size_t wn = r->n_customers - bt.first < w ? r->n_customers - bt.first : w;
		if ((st = rebuy__parallel_for(nt, wn, batch_customer, &bt)) != REBUY_OK)
			goto out;
		for (size_t x = 0; x < wn; x++)
			if (fn(ud, (uint32_t)(bt.first + x), bt.rows + x * k, bt.n[x]))
				goto done;
	}
done:
	st = REBUY_OK;
out:
	scratch_free_all(bt.s, bt.s ? nt : 0);
	rebuy__free(bt.rows);
	rebuy__free(bt.n);
	if (st != REBUY_OK)
		return rebuy_error_set(err, st, "recommend: out of memory scoring %zu customers",
		                       r->n_customers);
	return REBUY_OK;
}

enum rebuy_status rebuy_recommend_customer(const struct rebuy_recommender *r, uint32_t customer,
                                           struct rebuy_recommendation *rows, size_t *n,
                                           struct rebuy_error *err)
{
	*n = 0;
	if (customer >= r->n_customers)
		return rebuy_error_set(err, REBUY_EARG, "recommend: customer %u of %zu", customer,
		                       r->n_customers);
	struct scratch s;
	if (scratch_init(&s, r->n_items, r->opts.k, 1) != REBUY_OK)
		return rebuy_error_set(err, REBUY_ENOMEM,
		                       "recommend: out of memory scoring customer %u", customer);
	begin_customer(r, &s, customer);
	*n = score_customer(r, &s, customer, rows);
	scratch_release(&s);
	return REBUY_OK;
}

/* ---- holdout evaluation ------------------------------------------------- */

enum { PRECISION, RECALL, HIT, MAP, N_METRICS };

struct ev_customer {
	int is_evaluated, is_cold;
	uint32_t n_test;
	double model[N_METRICS], popular[N_METRICS];
};

struct ev {
	const struct rebuy_recommender *r;
	const struct rebuy_baskets *b;
	const uint64_t *cust_start; /* n_customers + 1: each customer's baskets */
	struct scratch *s;
	struct rebuy_recommendation *rows; /* k per thread */
	size_t first;
	struct ev_customer *c;
};

static void metrics(const struct rebuy_recommendation *rows, size_t n, size_t k,
                    const struct scratch *s, size_t n_test, double *m)
{
	size_t hits = 0;
	double ap = 0;
	for (size_t x = 0; x < n; x++)
		if (s->intest[rows[x].item] == s->epoch) {
			hits++;
			ap += (double)hits / (double)(x + 1);
		}
	m[PRECISION] = (double)hits / (double)k;
	m[RECALL] = (double)hits / (double)n_test;
	m[HIT] = hits > 0;
	m[MAP] = ap / (double)(k < n_test ? k : n_test);
}

static enum rebuy_status ev_customer(void *ud, size_t item, unsigned thread)
{
	struct ev *e = ud;
	const struct rebuy_recommender *r = e->r;
	const struct rebuy_baskets *b = e->b;
	struct scratch *s = &e->s[thread];
	struct ev_customer *c = &e->c[item];
	size_t u = e->first + item, k = r->opts.k;
	memset(c, 0, sizeof *c);
	begin_customer(r, s, u);
	uint32_t n_test = 0;
	for (uint64_t x = e->cust_start[u]; x < e->cust_start[u + 1]; x++) {
		if (in_training(&r->opts, b->day[x]))
			continue;
		for (uint64_t p = b->start[x]; p < b->start[x + 1]; p++) {
			uint32_t j = b->items[p];
			if (s->intest[j] == s->epoch ||
			    (!r->opts.is_repeatable && s->bought[j] == s->epoch))
				continue;
			s->intest[j] = s->epoch;
			n_test++;
		}
	}
	if (n_test == 0)
		return REBUY_OK;
	if (r->n_baskets[u] == 0) {
		c->is_cold = 1;
		return REBUY_OK;
	}
	c->is_evaluated = 1;
	c->n_test = n_test;
	struct rebuy_recommendation *rows = e->rows + (size_t)thread * k;
	size_t n = score_customer(r, s, u, rows);
	metrics(rows, n, k, s, n_test, c->model);
	n = popular_rows(r, s, u, rows);
	metrics(rows, n, k, s, n_test, c->popular);
	return REBUY_OK;
}

static void ev_sum(struct rebuy_recommend_eval *res, const struct ev_customer *c, double *sm,
                   double *sp)
{
	if (c->is_cold)
		res->n_cold++;
	if (!c->is_evaluated)
		return;
	res->n_customers++;
	res->n_test_items += c->n_test;
	for (int x = 0; x < N_METRICS; x++) {
		sm[x] += c->model[x];
		sp[x] += c->popular[x];
	}
}

static void ev_mean(struct rebuy_recommend_metrics *m, const double *sum, uint64_t n)
{
	double d = n ? (double)n : 1;
	m->precision = sum[PRECISION] / d;
	m->recall = sum[RECALL] / d;
	m->hit_rate = sum[HIT] / d;
	m->map = sum[MAP] / d;
}

enum rebuy_status rebuy_recommend_evaluate(const struct rebuy_baskets *b, int64_t cal_end_day,
                                           const struct rebuy_recommend_options *opts,
                                           struct rebuy_recommend_eval *result,
                                           struct rebuy_error *err)
{
	double t0 = rebuy__now();
	struct rebuy_recommend_options o;
	if (opts)
		o = *opts;
	else
		rebuy_recommend_options_init(&o);
	o.has_train_end = 1;
	o.train_end_day = cal_end_day;
	memset(result, 0, sizeof *result);
	struct rebuy_recommender *r = NULL;
	enum rebuy_status st = rebuy_recommender_fit(b, &o, &r, err);
	if (st != REBUY_OK)
		return st;
	size_t w = window_of(r), k = r->opts.k;
	unsigned nt = threads_for(r, r->n_customers < w ? r->n_customers : w);
	struct ev e = {.r = r, .b = b};
	uint64_t *cs = rebuy__calloc(r->n_customers + 1, sizeof *cs);
	e.s = scratch_new_all(nt, r->n_items, k, 1);
	e.rows = rebuy__malloc(nt * k * sizeof *e.rows);
	e.c = rebuy__malloc(w * sizeof *e.c);
	st = REBUY_ENOMEM;
	if (!cs || !e.s || !e.rows || !e.c)
		goto out;
	for (size_t x = 0; x < b->n_baskets; x++)
		cs[b->customer[x] + 1]++;
	for (size_t u = 0; u < r->n_customers; u++)
		cs[u + 1] += cs[u];
	e.cust_start = cs;
	double sm[N_METRICS] = {0}, sp[N_METRICS] = {0};
	for (e.first = 0; e.first < r->n_customers; e.first += w) {
		size_t wn = r->n_customers - e.first < w ? r->n_customers - e.first : w;
		if ((st = rebuy__parallel_for(nt, wn, ev_customer, &e)) != REBUY_OK)
			goto out;
		for (size_t x = 0; x < wn; x++)
			ev_sum(result, &e.c[x], sm, sp);
	}
	result->k = k;
	result->n_train_customers = r->info.n_train_customers;
	result->n_train_items = r->info.n_train_items;
	ev_mean(&result->model, sm, result->n_customers);
	ev_mean(&result->popular, sp, result->n_customers);
	result->seconds = rebuy__now() - t0;
out:
	scratch_free_all(e.s, e.s ? nt : 0);
	rebuy__free(e.rows);
	rebuy__free(e.c);
	rebuy__free(cs);
	rebuy_recommender_free(r);
	if (st != REBUY_OK) {
		memset(result, 0, sizeof *result);
		return rebuy_error_set(err, st, "recommend: out of memory evaluating %zu customers",
		                       b->n_customers);
	}
	return REBUY_OK;
}
