/* Audiences (rebuy/audiences.h): the definitions are in the header. One
 * pass builds each customer's fields (features, RFM, the lifetime model's
 * predictions now and `lookback` days ago), thresholds come from sorted
 * copies (R type 7 quantiles), products from the line-level baskets (repeat
 * intervals per customer and product; the item-to-item recommender), and
 * members are sorted by (audience, score desc, customer key).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act/act_int.h"
#include "core/mem.h"
#include "core/parallel.h"
#include "rebuy/audiences.h"
#include "rebuy/date.h"
#include "rebuy/features.h"
#include "rebuy/recommend.h"
#include "rebuy/rfm.h"

#define MAX_PRODUCTS 20

static const char *const builtin_names[REBUY_AUD_BUILTIN_COUNT] = {
        "second_purchase", "win_back", "at_risk", "replenishment", "vip", "cross_sell",
};

static const char *const builtin_actions[REBUY_AUD_BUILTIN_COUNT] = {
        "engagement: invite the second purchase (a welcome-back offer)",
        "retention: win-back offer",
        "retention: check in before they lapse",
        "remind to reorder the due products",
        "loyalty: VIP perks",
        "offer the recommended products",
};

const char *rebuy_audience_builtin_name(enum rebuy_audience_builtin a)
{
	return (unsigned)a < REBUY_AUD_BUILTIN_COUNT ? builtin_names[a] : NULL;
}

void rebuy_audience_options_init(struct rebuy_audience_options *o)
{
	memset(o, 0, sizeof *o);
	o->model = REBUY_CLV_BGNBD;
	o->margin = 1;
	o->discount_rate = 0.1;
	o->second_lo = 0.25;
	o->second_hi = 0.75;
	o->p_lapsed = 0.3;
	o->value_quantile = 0.5;
	o->overdue = 3;
	o->drift = 1.5;
	o->drop = 0.1;
	o->lookback_days = 30;
	o->lead_days = 7;
	o->late = 1;
	o->min_repeats = 2;
	o->vip_share = 0.05;
	o->cross_sell_share = 0.2;
	o->n_products = 3;
}

struct rebuy__audiences_priv {
	struct rebuy__arena arena;   /* products, reasons of replenishment, definitions */
	struct rebuy__arena *arenas; /* the member reasons of each slice of customers */
	size_t n_arenas;
};

void rebuy_audiences_free(struct rebuy_audiences *a)
{
	if (!a)
		return;
	if (a->priv) {
		rebuy__arena_release(&a->priv->arena);
		for (size_t i = 0; i < a->priv->n_arenas; i++)
			rebuy__arena_release(&a->priv->arenas[i]);
		rebuy__free(a->priv->arenas);
		rebuy__free(a->priv);
	}
	rebuy__free(a->audiences);
	rebuy__free(a->members);
	rebuy__free(a);
}

/* ---- work state ----------------------------------------------------------- */

/* Per feature row (customer with a purchase before the as-of day): kept
 * small, as a million customers' worth of it is touched several times. */
struct cust {
	double p_alive, p_purchase, expected, clv;
	int64_t next_day;
	int32_t second_gap; /* days from the first to the second purchase day; -1: none */
	uint32_t rank;      /* position in customer-key order */
};

/* Per feature row, with products only. */
struct prod {
	double rec_score;   /* the best co-purchase recommendation's score; NaN: none */
	int64_t rec_reason; /* its reason item */
	uint32_t rec_item;
	const char *products; /* recommended products, arena */
	const char *due;      /* replenishment: due products, arena; NULL: none */
	const char *due_reason;
	int64_t due_day;
	double due_score;
};

struct work {
	const struct rebuy_orders *o;
	const struct rebuy_baskets *b;
	const struct rebuy_audience_options *opts;
	struct rebuy_audiences *res;
	struct rebuy_features *f;
	struct rebuy_rfm *rfm;
	struct rebuy_clv_data *data;
	struct cust *c;
	struct prod *p; /* NULL without products */
	uint32_t *row_of_id; /* orders customer id -> feature row, UINT32_MAX: none */
	int32_t *bc_row;     /* baskets customer id -> feature row, -1: none */
	struct rebuy_error *err;
};

static const double *row(const struct work *w, size_t r)
{
	return w->f->x + r * w->f->n_cols;
}

/* The members found in one slice of customers, listed by one thread. */
struct sink {
	struct rebuy_audience_member *m;
	size_t n, cap;
	struct rebuy__arena *arena; /* the reasons */
};

static enum rebuy_status add_member(const struct work *w, struct sink *s, size_t r,
                                    unsigned audience, double score, const char *reason,
                                    const char *products, int64_t next_day)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		struct rebuy_audience_member *m = rebuy__realloc(s->m, cap * sizeof *m);
		if (!m)
			return REBUY_ENOMEM;
		s->m = m;
		s->cap = cap;
	}
	const char *rs = rebuy__arena_strndup(s->arena, reason, strlen(reason));
	if (!rs)
		return REBUY_ENOMEM;
	struct rebuy_audience_member *m = &s->m[s->n++];
	m->customer = w->f->customer[r];
	m->audience = audience;
	m->score = score;
	m->last_day = w->f->last_day[r];
	m->next_day = next_day;
	m->clv = w->c[r].clv;
	m->p_alive = w->c[r].p_alive;
	m->reason = rs;
	m->products = products ? products : "";
	return REBUY_OK;
}

/* Hoare's selection: afterwards v[k] is the k-th smallest of v[0..n) and
 * v[0..k) <= v[k] <= v[k+1..n). Median-of-three pivots; O(n) expected. */
static void select_double(double *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;
	while (hi > lo) {
		size_t mid = lo + (hi - lo) / 2;
		double a = v[lo], b = v[mid], c = v[hi];
		double pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
		size_t i = lo, j = hi;
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				double t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return;
	}
}

/* R type 7 quantile p of v[0..n) (reordered). */
static double quantile(double *v, size_t n, double p)
{
	if (n == 0)
		return NAN;
	double h = (double)(n - 1) * p;
	size_t lo = (size_t)floor(h);
	if (lo + 1 >= n) {
		select_double(v, n, n - 1);
		return v[n - 1];
	}
	select_double(v, n, lo);
	double next = v[lo + 1];
	for (size_t i = lo + 2; i < n; i++)
		if (v[i] < next)
			next = v[i];
	return v[lo] + (h - (double)lo) * (next - v[lo]);
}

/* The quantile p of the non-NaN values of one column of the work rows. */
static enum rebuy_status column_quantile(struct work *w, double (*get)(const struct work *, size_t),
                                         double p, double *out)
{
	size_t n = w->f->n_rows, k = 0;
	double *v = rebuy__malloc((n ? n : 1) * sizeof *v);
	if (!v)
		return rebuy_error_set(w->err, REBUY_ENOMEM, "out of memory computing audiences");
	for (size_t r = 0; r < n; r++) {
		double x = get(w, r);
		if (!isnan(x))
			v[k++] = x;
	}
	*out = quantile(v, k, p);
	rebuy__free(v);
	return REBUY_OK;
}

static double get_revenue(const struct work *w, size_t r)
{
	return row(w, r)[REBUY_FEAT_REVENUE];
}

static double get_clv(const struct work *w, size_t r)
{
	return w->c[r].clv;
}

static double get_second_gap(const struct work *w, size_t r)
{
	return w->c[r].second_gap >= 0 ? (double)w->c[r].second_gap : NAN;
}

static double get_rec_score(const struct work *w, size_t r)
{
	return w->p ? w->p[r].rec_score : NAN;
}

static void fmt_date(int64_t day, char *buf, size_t size)
{
	int64_t y;
	unsigned m, d;
	rebuy_civil_from_days(day, &y, &m, &d);
	snprintf(buf, size, "%04lld-%02u-%02u", (long long)y, m, d);
}

/* ---- the pieces ------------------------------------------------------------ */

static enum rebuy_status check_options(const struct rebuy_audience_options *o,
                                       struct rebuy_error *err)
{
#define IN01(v, name)                                                                         \
	if (!((v) >= 0 && (v) <= 1))                                                          \
		return rebuy_error_set(err, REBUY_EARG, "%s must be in [0, 1], not %g", name, (v));
	IN01(o->second_lo, "the second-purchase window's lower quantile")
	IN01(o->second_hi, "the second-purchase window's upper quantile")
	IN01(o->p_lapsed, "the lapsed P(alive)")
	IN01(o->value_quantile, "the value quantile")
	IN01(o->drop, "the P(alive) drop")
#undef IN01
	if (o->second_lo > o->second_hi)
		return rebuy_error_set(err, REBUY_EARG,
		                       "the second-purchase window's quantiles are reversed (%g > %g)",
		                       o->second_lo, o->second_hi);
	if (!(o->vip_share > 0 && o->vip_share <= 1) ||
	    !(o->cross_sell_share > 0 && o->cross_sell_share <= 1))
		return rebuy_error_set(err, REBUY_EARG, "the VIP and cross-sell shares must be in (0, 1]");
	if (!(o->overdue > 0 && o->overdue < 1e6) || !(o->drift > 0 && o->drift < 1e6) ||
	    !(o->late >= 0 && o->late < 1e6))
		return rebuy_error_set(err, REBUY_EARG, "the overdue, drift and late multiples must be "
		                                        "positive");
	if (o->lookback_days < 1 || o->lookback_days > 36525 || o->lead_days < 0 ||
	    o->lead_days > 36525)
		return rebuy_error_set(err, REBUY_EARG,
		                       "the lookback must be 1 to 36525 days and the lead 0 to 36525");
	if (o->min_repeats < 2 || o->min_repeats > 1000000)
		return rebuy_error_set(err, REBUY_EARG, "a replenished product is bought on 2 or more "
		                                        "days");
	if (o->n_products > MAX_PRODUCTS)
		return rebuy_error_set(err, REBUY_EARG, "at most %d products per member", MAX_PRODUCTS);
	if (o->model != REBUY_CLV_BGNBD && o->model != REBUY_CLV_MBGNBD && o->model != REBUY_CLV_PNBD)
		return rebuy_error_set(err, REBUY_EARG, "audiences need bgnbd, mbgnbd or pnbd");
	if (!(o->horizon_days >= 0 && o->horizon_days < 36525 * 10) || !(o->margin > 0) ||
	    !(o->discount_rate >= 0))
		return rebuy_error_set(err, REBUY_EARG,
		                       "the horizon, margin and discount rate must be positive");
	return REBUY_OK;
}

/* The second purchase day gap and key rank of every row. */
static enum rebuy_status walk_orders(struct work *w)
{
	const struct rebuy_orders *o = w->o;
	size_t n = o->n_customers;
	uint32_t *by_key = rebuy__malloc((n ? n : 1) * sizeof *by_key);
	w->row_of_id = rebuy__malloc((n ? n : 1) * sizeof *w->row_of_id);
	if (!by_key || !w->row_of_id || rebuy_orders_customers_by_key(o, by_key)) {
		rebuy__free(by_key);
		return rebuy_error_set(w->err, REBUY_ENOMEM, "out of memory computing audiences");
	}
	for (size_t c = 0; c < n; c++)
		w->row_of_id[c] = UINT32_MAX;
	for (size_t r = 0; r < w->f->n_rows; r++)
		w->row_of_id[w->f->customer[r]] = (uint32_t)r;
	for (size_t k = 0; k < n; k++) {
		uint32_t r = w->row_of_id[by_key[k]];
		if (r != UINT32_MAX)
			w->c[r].rank = (uint32_t)k;
	}
	rebuy__free(by_key);
	for (size_t r = 0; r < w->f->n_rows; r++) {
		size_t c = w->f->customer[r];
		int64_t first = 0, gap = -1;
		for (uint64_t i = o->cust_start[c]; i < o->cust_start[c + 1]; i++) {
			int64_t d = rebuy_day_of(o->ts[i]);
			if (d >= w->f->as_of_day)
				break;
			if (i == o->cust_start[c])
				first = d;
			else if (d != first) {
				gap = d - first;
				break;
			}
		}
		w->c[r].second_gap = gap > INT32_MAX ? INT32_MAX : (int32_t)gap;
	}
	return REBUY_OK;
}

/* Fits the lifetime model to the history and predicts now and `lookback`
 * days ago (P(alive) only, for the customers silent since). */
static enum rebuy_status predict(struct work *w)
{
	const struct rebuy_audience_options *opts = w->opts;
	struct rebuy_audiences *a = w->res;
	enum rebuy_status st;
	int64_t as_of = w->f->as_of_day;
	if ((st = rebuy_clv_data_from_orders(w->o, as_of - 1, REBUY_UNIT_WEEK, &w->data, w->err)))
		return st;
	struct rebuy_clv_data *d = w->data;
	if (d->n != w->f->n_rows)
		return rebuy_error_set(w->err, REBUY_EINTERNAL,
		                       "audiences: %zu model rows for %zu customers", d->n,
		                       w->f->n_rows);
	struct rebuy_clv_fit_options fo;
	rebuy_clv_fit_options_init(&fo);
	fo.model = opts->model;
	fo.n_threads = opts->n_threads;
	fo.spend = w->o->has_amount;
	st = rebuy_clv_fit(d, &fo, &a->fit, w->err);
	if (st == REBUY_EDATA && fo.spend) {
		/* No repeat buyer with spend to fit Gamma-Gamma: purchases only. */
		struct rebuy_error e2 = {0};
		fo.spend = 0;
		st = rebuy_clv_fit(d, &fo, &a->fit, &e2);
		if (st && w->err)
			*w->err = e2;
	}
	if (st)
		return st;
	struct rebuy_clv_predict_options po;
	rebuy_clv_predict_options_init(&po);
	double horizon_days = opts->horizon_days > 0 ? opts->horizon_days : 365.25;
	po.horizon = horizon_days / 7.0;
	po.clv_horizon = po.horizon;
	po.margin = opts->margin;
	po.discount_rate = opts->discount_rate;
	po.n_threads = opts->n_threads;
	/* In slices, so that the predictions (some 200 bytes a customer) take
	 * a few MB whatever the number of customers; the work per distinct
	 * history is done once, for all. */
	struct rebuy_clv_predictor *pr;
	if ((st = rebuy_clv_predictor_new(&a->fit, d, &po, &pr, w->err)))
		return st;
	size_t n = d->n, slice = (size_t)1 << 16;
	struct rebuy_clv_prediction *p = rebuy__malloc((n < slice ? (n ? n : 1) : slice) * sizeof *p);
	if (!p) {
		rebuy_clv_predictor_free(pr);
		return rebuy_error_set(w->err, REBUY_ENOMEM, "out of memory computing audiences");
	}
	for (size_t lo = 0; lo < n; lo += slice) {
		size_t len = n - lo < slice ? n - lo : slice;
		if ((st = rebuy_clv_predictor_run(pr, lo, len, p, w->err)))
			break;
		for (size_t k = 0; k < len; k++) {
			size_t r = lo + k;
			struct cust *c = &w->c[r];
			c->p_alive = p[k].p_alive;
			c->p_purchase = 1.0 - p[k].p_no_purchase;
			c->expected = p[k].expected_purchases;
			c->clv = a->fit.has_spend ? p[k].clv : NAN;
			c->next_day = isfinite(p[k].next_purchase)
			                      ? as_of - 1 + (int64_t)llround(p[k].next_purchase * 7.0)
			                      : INT64_MIN;
		}
	}
	rebuy_clv_predictor_free(pr);
	rebuy__free(p);
	return st;
}

/* ---- products: recommendations and replenishment --------------------------- */

/* Matches the baskets' customers to feature rows by key. */
static enum rebuy_status match_baskets(struct work *w, int32_t **row_of_bc)
{
	const struct rebuy_baskets *b = w->b;
	size_t nb = b->n_customers;
	int32_t *map = rebuy__malloc((nb ? nb : 1) * sizeof *map);
	uint32_t *ids = rebuy__malloc((w->o->n_customers ? w->o->n_customers : 1) * sizeof *ids);
	uint32_t *bids = rebuy__malloc((nb ? nb : 1) * sizeof *bids);
	enum rebuy_status st = REBUY_OK;
	if (!map || !ids || !bids || rebuy_orders_customers_by_key(w->o, ids)) {
		st = rebuy_error_set(w->err, REBUY_ENOMEM, "out of memory computing audiences");
		goto out;
	}
	/* Baskets' customers in key order: an insertion-free merge needs them
	 * sorted the same way as the orders'. */
	for (size_t i = 0; i < nb; i++)
		bids[i] = (uint32_t)i;
	/* Sort bids by key (rebuy_key_compare). */
	for (size_t gap = nb / 2; gap > 0; gap /= 2) /* shell sort: keys are few-ish and */
		for (size_t i = gap; i < nb; i++) {  /* this keeps the code dependency-free */
			uint32_t t = bids[i];
			const char *kt = b->customer_keys[t];
			size_t j = i;
			while (j >= gap && rebuy_key_compare(b->customer_keys[bids[j - gap]],
			                                     strlen(b->customer_keys[bids[j - gap]]), kt,
			                                     strlen(kt)) > 0) {
				bids[j] = bids[j - gap];
				j -= gap;
			}
			bids[j] = t;
		}
	for (size_t i = 0; i < nb; i++)
		map[i] = -1;
	size_t i = 0, k = 0, no = w->o->n_customers;
	while (i < nb && k < no) {
		size_t lo;
		const char *ko = rebuy_orders_customer_key(w->o, ids[k], &lo);
		const char *kb = b->customer_keys[bids[i]];
		int c = rebuy_key_compare(kb, strlen(kb), ko, lo);
		if (c < 0)
			i++;
		else if (c > 0)
			k++;
		else {
			uint32_t r = w->row_of_id[ids[k]];
			map[bids[i]] = r == UINT32_MAX ? -1 : (int32_t)r;
			i++;
			k++;
		}
	}
out:
	rebuy__free(ids);
	rebuy__free(bids);
	if (st) {
		rebuy__free(map);
		map = NULL;
	}
	*row_of_bc = map;
	return st;
}

struct rec_ctx {
	struct work *w;
	const int32_t *row_of_bc;
	enum rebuy_status st;
};

static int on_recs(void *ud, uint32_t customer, const struct rebuy_recommendation *rows, size_t n)
{
	struct rec_ctx *x = ud;
	struct work *w = x->w;
	int32_t r = x->row_of_bc[customer];
	if (r < 0)
		return 0;
	struct prod *c = &w->p[r];
	char buf[MAX_PRODUCTS * 64];
	size_t len = 0, np = w->opts->n_products;
	for (size_t i = 0; i < n; i++) {
		if (i < np) {
			const char *name = w->b->item_names[rows[i].item];
			int wr = snprintf(buf + len, sizeof buf - len, "%s%s", len ? " " : "", name);
			if (wr > 0 && (size_t)wr < sizeof buf - len)
				len += (size_t)wr;
		}
		if (isnan(c->rec_score) && rows[i].reason != REBUY_RECOMMEND_POPULAR &&
		    (uint64_t)rows[i].reason != rows[i].item) {
			c->rec_score = rows[i].score;
			c->rec_item = rows[i].item;
			c->rec_reason = rows[i].reason;
		}
	}
	if (!(c->products = rebuy__arena_strndup(&w->res->priv->arena, buf, len))) {
		x->st = rebuy_error_set(w->err, REBUY_ENOMEM, "out of memory computing audiences");
		return 1;
	}
	return 0;
}

static enum rebuy_status recommend(struct work *w, const int32_t *row_of_bc)
{
	struct rebuy_recommend_options ro;
	rebuy_recommend_options_init(&ro);
	ro.k = w->opts->n_products > 5 ? w->opts->n_products : 5;
	ro.has_train_end = 1;
	ro.train_end_day = w->f->as_of_day - 1;
	ro.n_threads = w->opts->n_threads;
	struct rebuy_recommender *rec = NULL;
	enum rebuy_status st = rebuy_recommender_fit(w->b, &ro, &rec, w->err);
	if (st)
		return st;
	struct rec_ctx x = {w, row_of_bc, REBUY_OK};
	st = rebuy_recommend(rec, on_recs, &x, w->err);
	rebuy_recommender_free(rec);
	return st ? st : x.st;
}

/* One customer x product bought on >= min_repeats days before the as-of day. */
struct pair {
	uint32_t row, item, n_days;
	int64_t last, due;
	double gap;      /* the customer's mean interval, days */
	double interval; /* I, shrunk toward the product's median */
};

static int cmp_u64(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
	return (a > b) - (a < b);
}

static int pair_by_item(const void *pa, const void *pb)
{
	const struct pair *a = pa, *b = pb;
	if (a->item != b->item)
		return a->item < b->item ? -1 : 1;
	if (a->gap != b->gap)
		return a->gap < b->gap ? -1 : 1;
	return a->row < b->row ? -1 : a->row > b->row;
}

static int pair_by_row(const void *pa, const void *pb)
{
	const struct pair *a = pa, *b = pb;
	if (a->row != b->row)
		return a->row < b->row ? -1 : 1;
	if (a->due != b->due)
		return a->due < b->due ? -1 : 1;
	return a->item < b->item ? -1 : a->item > b->item;
}

/* Appends the pairs of the baskets [i, j) of one customer (row r). keys is
 * scratch with room for their lines. */
static enum rebuy_status customer_pairs(struct work *w, size_t i, size_t j, uint32_t r,
                                        uint64_t *keys, struct pair **pairs, size_t *n,
                                        size_t *cap)
{
	const struct rebuy_baskets *b = w->b;
	int64_t as_of = w->f->as_of_day, day0 = b->day[i];
	size_t nk = 0;
	for (size_t q = i; q < j && b->day[q] < as_of; q++)
		for (uint64_t t = b->start[q]; t < b->start[q + 1]; t++)
			keys[nk++] = (uint64_t)b->items[t] << 32 | (uint64_t)(b->day[q] - day0);
	qsort(keys, nk, sizeof *keys, cmp_u64);
	for (size_t x = 0; x < nk;) {
		uint32_t item = (uint32_t)(keys[x] >> 32), days = 0;
		size_t y = x;
		for (uint64_t prev = UINT64_MAX; y < nk && (uint32_t)(keys[y] >> 32) == item; y++) {
			days += keys[y] != prev;
			prev = keys[y];
		}
		if (days >= w->opts->min_repeats) {
			if (*n == *cap) {
				size_t nc = *cap ? *cap * 2 : 1024;
				struct pair *np = rebuy__realloc(*pairs, nc * sizeof *np);
				if (!np)
					return REBUY_ENOMEM;
				*pairs = np;
				*cap = nc;
			}
			struct pair *p = &(*pairs)[(*n)++];
			int64_t first = day0 + (int64_t)(uint32_t)keys[x];
			p->row = r;
			p->item = item;
			p->n_days = days;
			p->last = day0 + (int64_t)(uint32_t)keys[y - 1];
			p->gap = (double)(p->last - first) / (double)(days - 1);
		}
		x = y;
	}
	return REBUY_OK;
}

/* The due products of each customer into w->p[].due*. */
static enum rebuy_status list_due(struct work *w, struct pair *pairs, size_t n)
{
	const struct rebuy_audience_options *opts = w->opts;
	int64_t as_of = w->f->as_of_day;
	if (n)
		qsort(pairs, n, sizeof *pairs, pair_by_row);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && pairs[j].row == pairs[i].row)
			j++;
		char names[MAX_PRODUCTS * 64], reason[512], day[16];
		size_t len = 0, listed = 0;
		uint32_t most = 0;
		for (size_t k = i; k < j; k++) {
			const struct pair *p = &pairs[k];
			if (p->due > as_of + opts->lead_days ||
			    (double)as_of > (double)p->due + opts->late * p->interval)
				continue;
			if (listed < MAX_PRODUCTS) {
				int wr = snprintf(names + len, sizeof names - len, "%s%s", len ? " " : "",
				                  w->b->item_names[p->item]);
				if (wr > 0 && (size_t)wr < sizeof names - len)
					len += (size_t)wr;
			}
			if (listed == 0) {
				fmt_date(p->due, day, sizeof day);
				snprintf(reason, sizeof reason,
				         "buys %s about every %.0f days (on %u days, last %lld days ago); "
				         "due %s",
				         w->b->item_names[p->item], p->interval, p->n_days,
				         (long long)(as_of - p->last), day);
				w->p[p->row].due_day = p->due;
			}
			if (p->n_days > most)
				most = p->n_days;
			listed++;
		}
		if (listed) {
			struct prod *c = &w->p[pairs[i].row];
			if (listed > 1) {
				size_t rl = strlen(reason);
				snprintf(reason + rl, sizeof reason - rl, "; %zu more due", listed - 1);
			}
			c->due = rebuy__arena_strndup(&w->res->priv->arena, names, len);
			c->due_reason = rebuy__arena_strndup(&w->res->priv->arena, reason, strlen(reason));
			if (!c->due || !c->due_reason)
				return REBUY_ENOMEM;
			c->due_score = most;
		}
		i = j;
	}
	return REBUY_OK;
}

static enum rebuy_status replenishment(struct work *w)
{
	const struct rebuy_baskets *b = w->b;
	int64_t as_of = w->f->as_of_day;
	struct pair *pairs = NULL;
	uint64_t *keys = NULL;
	size_t n = 0, cap = 0, cap_keys = 0;
	enum rebuy_status st = REBUY_ENOMEM;
	for (size_t i = 0; i < b->n_baskets;) {
		uint32_t bc = b->customer[i];
		size_t j = i, need = 0;
		while (j < b->n_baskets && b->customer[j] == bc) {
			if (b->day[j] < as_of)
				need += b->start[j + 1] - b->start[j];
			j++;
		}
		if (w->bc_row[bc] >= 0 && need > 1) {
			if (need > cap_keys) {
				rebuy__free(keys);
				if (!(keys = rebuy__malloc(need * sizeof *keys)))
					goto out;
				cap_keys = need;
			}
			if (customer_pairs(w, i, j, (uint32_t)w->bc_row[bc], keys, &pairs, &n, &cap))
				goto out;
		}
		i = j;
	}
	/* The product's median interval m over its customers, then I and due. */
	if (n)
		qsort(pairs, n, sizeof *pairs, pair_by_item);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && pairs[j].item == pairs[i].item)
			j++;
		size_t k = j - i;
		double m = k % 2 ? pairs[i + k / 2].gap
		                 : (pairs[i + k / 2 - 1].gap + pairs[i + k / 2].gap) / 2.0;
		for (size_t q = i; q < j; q++) {
			struct pair *p = &pairs[q];
			double nd = (double)p->n_days;
			p->interval = ((nd - 1.0) * p->gap + m) / nd;
			p->due = p->last + (int64_t)llround(p->interval);
		}
		i = j;
	}
	st = list_due(w, pairs, n);
out:
	if (st)
		st = rebuy_error_set(w->err, REBUY_ENOMEM, "out of memory computing replenishment");
	rebuy__free(keys);
	rebuy__free(pairs);
	return st;
}

/* ---- the audiences ---------------------------------------------------------- */

/* A probability for a reason: two decimals, "< 0.01" below them. */
static const char *prob(double p, char *buf, size_t size)
{
	if (p < 0.005)
		snprintf(buf, size, "< 0.01");
	else
		snprintf(buf, size, "%.2f", p);
	return buf;
}

static const char *money(double v, char *buf, size_t size)
{
	snprintf(buf, size, "%.2f", v);
	return buf;
}

struct thresholds {
	double second_lo, second_hi, revenue, clv, rec;
	double vip_clv; /* the VIP cut: members have value >= this and rank below vip_n */
	uint64_t vip_n;
};

/* The VIP cut: rows ranked by (value desc, key asc); the first m. */
struct ranked {
	double v;
	uint32_t rank, row;
};

static int ranked_cmp(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;
	if (a->v != b->v)
		return a->v > b->v ? -1 : 1;
	return a->rank < b->rank ? -1 : a->rank > b->rank;
}

/* select_double for ranked rows in ranked_cmp order (a total order: ranks
 * differ). */
static void select_ranked(struct ranked *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;
	while (hi > lo) {
		struct ranked pivot = v[lo + (hi - lo) / 2];
		size_t i = lo, j = hi;
		while (i <= j) {
			while (ranked_cmp(&v[i], &pivot) < 0)
				i++;
			while (ranked_cmp(&v[j], &pivot) > 0)
				j--;
			if (i <= j) {
				struct ranked t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return;
	}
}

static enum rebuy_status mark_vips(struct work *w, uint8_t *is_vip, uint32_t *vip_pos)
{
	size_t n = w->f->n_rows;
	struct ranked *v = rebuy__malloc((n ? n : 1) * sizeof *v);
	if (!v)
		return rebuy_error_set(w->err, REBUY_ENOMEM, "out of memory computing audiences");
	int by_clv = w->res->fit.has_spend;
	for (size_t r = 0; r < n; r++) {
		double x = by_clv ? w->c[r].clv : w->c[r].expected;
		v[r] = (struct ranked){isnan(x) ? -INFINITY : x, w->c[r].rank, (uint32_t)r};
	}
	size_t m = (size_t)ceil(w->opts->vip_share * (double)n);
	if (m < 1)
		m = 1;
	if (m > n)
		m = n;
	select_ranked(v, n, m - 1);
	qsort(v, m, sizeof *v, ranked_cmp);
	for (size_t k = 0; k < m; k++) {
		is_vip[v[k].row] = 1;
		vip_pos[v[k].row] = (uint32_t)k;
	}
	rebuy__free(v);
	return REBUY_OK;
}

/* P(alive) of row r `lookback` days ago when silent since: the same
 * history with T shortened; P(alive) now when not silent. */
static double p_alive_before(const struct work *w, size_t r)
{
	const struct rebuy_clv_data *d = w->data;
	double L = (double)w->opts->lookback_days / 7.0;
	int silent = w->f->last_day[r] < w->f->as_of_day - w->opts->lookback_days;
	if (!silent || d->T[r] - L < d->t_x[r])
		return w->c[r].p_alive;
	return rebuy_clv_p_alive(&w->res->fit, d->x[r], d->t_x[r], d->T[r] - L);
}

static enum rebuy_status builtin_members(const struct work *w, struct sink *s, size_t r,
                                         const struct thresholds *t, const uint8_t *is_vip,
                                         const uint32_t *vip_pos)
{
	const struct rebuy_audience_options *o = w->opts;
	const double *x = row(w, r);
	const struct cust *c = &w->c[r];
	const struct prod *pr = w->p ? &w->p[r] : NULL;
	unsigned on = o->builtins ? o->builtins : (1u << REBUY_AUD_BUILTIN_COUNT) - 1;
	char reason[512], m1[32], m2[32];
	enum rebuy_status st;
	double recency = x[REBUY_FEAT_RECENCY], gap = x[REBUY_FEAT_MEAN_GAP];
	int repeat = x[REBUY_FEAT_PURCHASE_DAYS] >= 2;
	const char *prods = pr ? pr->products : "";
	int has_amount = w->res->has_amount;

	if ((on & 1u << REBUY_AUD_SECOND_PURCHASE) && !repeat && !isnan(t->second_lo) &&
	    recency >= t->second_lo && recency <= t->second_hi) {
		snprintf(reason, sizeof reason,
		         "one purchase, %.0f days ago; second purchases usually come %.0f-%.0f days "
		         "after the first",
		         recency, t->second_lo, t->second_hi);
		if ((st = add_member(w, s, r, REBUY_AUD_SECOND_PURCHASE, c->p_purchase, reason, prods,
		                     c->next_day)))
			return st;
	}

	int valuable = x[REBUY_FEAT_REVENUE] >= t->revenue || (!isnan(c->clv) && c->clv >= t->clv);
	if (!has_amount)
		valuable = 1; /* no money: every customer counts as worth winning back */
	int lapsed = c->p_alive < o->p_lapsed;
	int overdue = repeat && recency >= o->overdue * gap;
	int is_win_back = valuable && (lapsed || overdue);
	if ((on & 1u << REBUY_AUD_WIN_BACK) && is_win_back) {
		int n = has_amount ? snprintf(reason, sizeof reason, "spent %s; ",
		                              money(x[REBUY_FEAT_REVENUE], m1, sizeof m1))
		                   : 0;
		if (lapsed)
			snprintf(reason + n, sizeof reason - (size_t)n, "P(alive) %s, below %.2f",
			         prob(c->p_alive, m2, sizeof m2), o->p_lapsed);
		else
			snprintf(reason + n, sizeof reason - (size_t)n,
			         "%.0f days since the last purchase, %.1f x their usual %.0f-day gap",
			         recency, recency / gap, gap);
		if ((st = add_member(w, s, r, REBUY_AUD_WIN_BACK,
		                     has_amount ? x[REBUY_FEAT_REVENUE] : x[REBUY_FEAT_FREQUENCY],
		                     reason, prods, c->next_day)))
			return st;
	}

	if ((on & 1u << REBUY_AUD_AT_RISK) && repeat && !is_win_back && !lapsed &&
	    recency < o->overdue * gap) {
		int drifting = recency >= o->drift * gap;
		double before = p_alive_before(w, r);
		int falling = before - c->p_alive >= o->drop;
		if (drifting || falling) {
			if (drifting)
				snprintf(reason, sizeof reason,
				         "%.0f days since the last purchase, %.1f x their usual %.0f-day gap",
				         recency, recency / gap, gap);
			else
				snprintf(reason, sizeof reason,
				         "P(alive) fell from %.2f to %s over the last %lld days",
				         before, prob(c->p_alive, m2, sizeof m2),
				         (long long)o->lookback_days);
			if ((st = add_member(w, s, r, REBUY_AUD_AT_RISK,
			                     w->res->fit.has_spend ? c->clv : c->expected, reason, prods,
			                     c->next_day)))
				return st;
		}
	}

	if ((on & 1u << REBUY_AUD_REPLENISHMENT) && pr && pr->due) {
		if ((st = add_member(w, s, r, REBUY_AUD_REPLENISHMENT, pr->due_score, pr->due_reason,
		                     pr->due, pr->due_day)))
			return st;
	}

	if ((on & 1u << REBUY_AUD_VIP) && is_vip[r]) {
		if (w->res->fit.has_spend)
			snprintf(reason, sizeof reason, "CLV %s, rank %u of %zu (top %g%%)",
			         money(c->clv, m2, sizeof m2), vip_pos[r] + 1, w->f->n_rows,
			         o->vip_share * 100);
		else
			snprintf(reason, sizeof reason,
			         "%.2f expected purchases, rank %u of %zu (top %g%%)", c->expected,
			         vip_pos[r] + 1, w->f->n_rows, o->vip_share * 100);
		if ((st = add_member(w, s, r, REBUY_AUD_VIP,
		                     w->res->fit.has_spend ? c->clv : c->expected, reason, prods,
		                     c->next_day)))
			return st;
	}

	if ((on & 1u << REBUY_AUD_CROSS_SELL) && pr && !isnan(pr->rec_score) && !lapsed &&
	    pr->rec_score >= t->rec) {
		snprintf(reason, sizeof reason, "bought %s; customers who buy it often buy %s",
		         w->b->item_names[pr->rec_reason], w->b->item_names[pr->rec_item]);
		if ((st = add_member(w, s, r, REBUY_AUD_CROSS_SELL, pr->rec_score, reason, prods,
		                     c->next_day)))
			return st;
	}
	return REBUY_OK;
}

/* The fields a rule reads, for row r. */
static void rule_fields(const struct work *w, size_t r, double *num, const char **text,
                        uint64_t last_i)
{
	const double *x = row(w, r);
	const struct cust *c = &w->c[r];
	for (size_t j = 0; j < REBUY_FEAT_N_BASE; j++)
		num[j] = x[j];
	if (!w->res->has_amount) {
		num[REBUY_FEAT_REVENUE] = num[REBUY_FEAT_AOV] = num[REBUY_FEAT_REVENUE_RECENT] = NAN;
		num[REBUY_FEAT_RETURN_SHARE] = NAN;
	}
	num[RULE_P_ALIVE] = c->p_alive;
	num[RULE_P_PURCHASE] = c->p_purchase;
	num[RULE_EXPECTED] = c->expected;
	num[RULE_CLV] = c->clv;
	size_t id = w->f->customer[r];
	const struct rebuy_rfm_customer *rc = &w->rfm->customers[id];
	num[RULE_R] = rc->r;
	num[RULE_F] = rc->f;
	num[RULE_M] = w->res->has_amount ? rc->m : NAN;
	num[RULE_FIRST_PURCHASE] = (double)(w->f->as_of_day - (int64_t)x[REBUY_FEAT_TENURE]);
	num[RULE_LAST_PURCHASE] = (double)w->f->last_day[r];
	num[RULE_NEXT_PURCHASE] = c->next_day == INT64_MIN ? NAN : (double)c->next_day;
	text[RULE_TEXT_SEGMENT] = rc->segment < w->rfm->n_segments
	                                  ? w->rfm->segments[rc->segment].name
	                                  : "other";
	for (size_t k = 0; k < w->o->n_attributes; k++)
		text[1 + k] = rebuy_orders_attribute_value(w->o, k, w->o->attr[k][last_i], NULL);
}

/* The index of the last purchase of row r before the as-of day. */
static uint64_t last_purchase(const struct work *w, size_t r)
{
	size_t c = w->f->customer[r];
	uint64_t i = w->o->cust_start[c];
	while (i + 1 < w->o->cust_start[c + 1] && rebuy_day_of(w->o->ts[i + 1]) < w->f->as_of_day)
		i++;
	return i;
}

static enum rebuy_status rule_members(const struct work *w, struct sink *s, size_t r)
{
	const struct rebuy_audience_rules *rules = w->opts->rules;
	double num[RULE_N_NUMERIC];
	const char *text[1 + REBUY_MAX_ATTRIBUTES];
	rule_fields(w, r, num, text, last_purchase(w, r));
	size_t nr = rebuy_audience_rules_count(rules);
	for (size_t k = 0; k < nr; k++) {
		if (!rebuy__audience_rule_match(rules, k, num, text))
			continue;
		int sf = rebuy__audience_rule_score(rules, k);
		double score = sf >= 0 ? num[sf] : w->res->fit.has_spend ? num[RULE_CLV] : num[RULE_P_ALIVE];
		enum rebuy_status st = add_member(w, s, r, (unsigned)(REBUY_AUD_BUILTIN_COUNT + k), score,
		                                  rebuy__audience_rule_reason(rules, k),
		                                  w->p ? w->p[r].products : "", w->c[r].next_day);
		if (st)
			return st;
	}
	return REBUY_OK;
}

#define MEMBER_SLICE 65536

struct members_job {
	const struct work *w;
	const struct thresholds *t;
	const uint8_t *is_vip;
	const uint32_t *vip_pos;
	struct sink *sinks;
};

static enum rebuy_status members_slice(void *ud, size_t item, unsigned thread)
{
	(void)thread;
	const struct members_job *j = ud;
	struct sink *s = &j->sinks[item];
	size_t n = j->w->f->n_rows, lo = item * MEMBER_SLICE;
	size_t hi = lo + MEMBER_SLICE < n ? lo + MEMBER_SLICE : n;
	enum rebuy_status st = REBUY_OK;
	for (size_t r = lo; r < hi && !st; r++) {
		st = builtin_members(j->w, s, r, j->t, j->is_vip, j->vip_pos);
		if (!st && j->w->opts->rules)
			st = rule_members(j->w, s, r);
	}
	return st;
}

/* Every customer's memberships, slices of customers on several threads,
 * joined in customer order into the result. */
static enum rebuy_status list_members(struct work *w, const struct thresholds *t,
                                      const uint8_t *is_vip, const uint32_t *vip_pos)
{
	struct rebuy_audiences *a = w->res;
	size_t n = w->f->n_rows, n_slices = (n + MEMBER_SLICE - 1) / MEMBER_SLICE;
	struct sink *sinks = rebuy__calloc(n_slices ? n_slices : 1, sizeof *sinks);
	struct rebuy__arena *arenas = rebuy__calloc(n_slices ? n_slices : 1, sizeof *arenas);
	enum rebuy_status st = REBUY_ENOMEM;
	if (!sinks || !arenas) {
		rebuy__free(sinks);
		rebuy__free(arenas);
		return rebuy_error_set(w->err, st, "out of memory listing audiences");
	}
	for (size_t i = 0; i < n_slices; i++) {
		rebuy__arena_init(&arenas[i], 1 << 20);
		sinks[i].arena = &arenas[i];
	}
	a->priv->arenas = arenas; /* freed with the result from here on */
	a->priv->n_arenas = n_slices;
	struct members_job j = {w, t, is_vip, vip_pos, sinks};
	unsigned threads = w->opts->n_threads ? w->opts->n_threads : rebuy__cpu_count();
	st = rebuy__parallel_for(threads, n_slices, members_slice, &j);
	size_t total = 0;
	for (size_t i = 0; i < n_slices; i++)
		total += sinks[i].n;
	if (!st && !(a->members = rebuy__malloc((total ? total : 1) * sizeof *a->members)))
		st = REBUY_ENOMEM;
	for (size_t i = 0; i < n_slices; i++) {
		if (!st && sinks[i].n) {
			memcpy(a->members + a->n_members, sinks[i].m, sinks[i].n * sizeof *sinks[i].m);
			a->n_members += sinks[i].n;
		}
		rebuy__free(sinks[i].m);
	}
	rebuy__free(sinks);
	if (st)
		return rebuy_error_set(w->err, st, "out of memory listing audiences");
	for (size_t i = 0; i < a->n_members; i++)
		a->audiences[a->members[i].audience].n_members++;
	return REBUY_OK;
}

struct member_key {
	uint32_t audience, rank;
	double score;
	uint32_t index;
};

static int member_cmp(const void *pa, const void *pb)
{
	const struct member_key *a = pa, *b = pb;
	if (a->audience != b->audience)
		return a->audience < b->audience ? -1 : 1;
	double sa = isnan(a->score) ? -INFINITY : a->score, sb = isnan(b->score) ? -INFINITY : b->score;
	if (sa != sb)
		return sa > sb ? -1 : 1;
	return a->rank < b->rank ? -1 : a->rank > b->rank;
}

static enum rebuy_status sort_members(struct work *w)
{
	struct rebuy_audiences *a = w->res;
	size_t n = a->n_members;
	struct member_key *k = rebuy__malloc((n ? n : 1) * sizeof *k);
	struct rebuy_audience_member *m = rebuy__malloc((n ? n : 1) * sizeof *m);
	if (!k || !m) {
		rebuy__free(k);
		rebuy__free(m);
		return rebuy_error_set(w->err, REBUY_ENOMEM, "out of memory sorting audiences");
	}
	for (size_t i = 0; i < n; i++) {
		const struct rebuy_audience_member *x = &a->members[i];
		k[i] = (struct member_key){x->audience, w->c[w->row_of_id[x->customer]].rank, x->score,
		                          (uint32_t)i};
	}
	qsort(k, n, sizeof *k, member_cmp);
	for (size_t i = 0; i < n; i++)
		m[i] = a->members[k[i].index];
	rebuy__free(a->members);
	rebuy__free(k);
	a->members = m;
	return REBUY_OK;
}

static enum rebuy_status describe(struct work *w, const struct thresholds *t)
{
	struct rebuy_audiences *a = w->res;
	const struct rebuy_audience_options *o = w->opts;
	char buf[1024];
	for (size_t k = 0; k < a->n_audiences; k++) {
		struct rebuy_audience_info *info = &a->audiences[k];
		if (k >= REBUY_AUD_BUILTIN_COUNT) {
			size_t q = k - REBUY_AUD_BUILTIN_COUNT;
			info->name = rebuy__audience_rule_name(o->rules, q);
			info->action = rebuy__audience_rule_action(o->rules, q);
			info->definition = rebuy__audience_rule_reason(o->rules, q);
			continue;
		}
		info->name = builtin_names[k];
		info->action = builtin_actions[k];
		switch (k) {
		case REBUY_AUD_SECOND_PURCHASE:
			snprintf(buf, sizeof buf,
			         "one purchase day, %.0f to %.0f days ago (quantiles %g and %g of the days "
			         "to the second purchase)",
			         t->second_lo, t->second_hi, o->second_lo, o->second_hi);
			break;
		case REBUY_AUD_WIN_BACK:
			snprintf(buf, sizeof buf,
			         "revenue >= %.2f or CLV >= %.2f (quantile %g), and P(alive) < %g or "
			         "recency >= %g x their mean gap",
			         t->revenue, t->clv, o->value_quantile, o->p_lapsed, o->overdue);
			break;
		case REBUY_AUD_AT_RISK:
			snprintf(buf, sizeof buf,
			         "repeat buyers not lapsed: recency >= %g x their mean gap, or P(alive) "
			         "down >= %g over %lld silent days",
			         o->drift, o->drop, (long long)o->lookback_days);
			break;
		case REBUY_AUD_REPLENISHMENT:
			if (!a->has_products) {
				snprintf(buf, sizeof buf, "needs products (a product column)");
				break;
			}
			snprintf(buf, sizeof buf,
			         "a product bought on >= %u days, due within %lld days or up to %g "
			         "intervals late",
			         o->min_repeats, (long long)o->lead_days, o->late);
			break;
		case REBUY_AUD_VIP:
			snprintf(buf, sizeof buf, "the top %g%% by %s", o->vip_share * 100,
			         a->fit.has_spend ? "CLV" : "expected purchases");
			break;
		default:
			if (!a->has_products) {
				snprintf(buf, sizeof buf, "needs products (a product column)");
				break;
			}
			snprintf(buf, sizeof buf,
			         "not lapsed, and the best co-purchase recommendation scores >= %.6g "
			         "(top %g%%)",
			         t->rec, o->cross_sell_share * 100);
			break;
		}
		if (!(info->definition = rebuy__arena_strndup(&a->priv->arena, buf, strlen(buf))))
			return rebuy_error_set(w->err, REBUY_ENOMEM, "out of memory");
	}
	return REBUY_OK;
}

enum rebuy_status rebuy_audiences_compute(const struct rebuy_orders *orders,
                                          const struct rebuy_baskets *baskets,
                                          const struct rebuy_audience_options *opts,
                                          struct rebuy_audiences **out, struct rebuy_error *err)
{
	*out = NULL;
	enum rebuy_status st;
	if ((st = check_options(opts, err)))
		return st;
	struct work w = {.o = orders, .b = baskets, .opts = opts, .err = err};
	uint8_t *is_vip = NULL;
	uint32_t *vip_pos = NULL;
	struct rebuy_audiences *a = rebuy__calloc(1, sizeof *a);
	size_t n_rules = rebuy_audience_rules_count(opts->rules);
	if (!a || !(a->priv = rebuy__calloc(1, sizeof *a->priv)) ||
	    !(a->audiences = rebuy__calloc(REBUY_AUD_BUILTIN_COUNT + n_rules, sizeof *a->audiences))) {
		st = rebuy_error_set(err, REBUY_ENOMEM, "out of memory computing audiences");
		goto fail;
	}
	rebuy__arena_init(&a->priv->arena, 1 << 20);
	w.res = a;
	a->n_audiences = REBUY_AUD_BUILTIN_COUNT + n_rules;
	a->has_amount = orders->has_amount;
	a->has_products = baskets != NULL;

	struct rebuy_features_options fo;
	rebuy_features_options_init(&fo);
	fo.has_as_of = opts->has_as_of;
	fo.as_of_day = opts->as_of_day;
	fo.n_threads = opts->n_threads;
	if ((st = rebuy_features_compute(orders, &fo, &w.f, err)))
		goto fail;
	a->as_of_day = w.f->as_of_day;
	a->n_customers = w.f->n_rows;
	size_t n = w.f->n_rows;
	if (!(w.c = rebuy__malloc(n * sizeof *w.c)) || !(is_vip = rebuy__calloc(n, 1)) ||
	    !(vip_pos = rebuy__malloc(n * sizeof *vip_pos)) ||
	    (baskets && !(w.p = rebuy__malloc(n * sizeof *w.p)))) {
		st = rebuy_error_set(err, REBUY_ENOMEM, "out of memory computing audiences");
		goto fail;
	}
	for (size_t r = 0; w.p && r < n; r++)
		w.p[r] = (struct prod){NAN, 0, 0, "", NULL, NULL, 0, 0};
	if ((st = walk_orders(&w)) || (st = predict(&w)))
		goto fail;
	if (opts->rules) {
		struct rebuy_rfm_options ro;
		rebuy_rfm_options_init(&ro);
		ro.has_as_of = 1;
		ro.as_of_day = a->as_of_day;
		ro.n_threads = opts->n_threads;
		if ((st = rebuy_rfm_compute(orders, &ro, &w.rfm, err)))
			goto fail;
		const char *names[REBUY_MAX_ATTRIBUTES];
		for (size_t k = 0; k < orders->n_attributes; k++)
			names[k] = rebuy_orders_attribute_name(orders, k);
		/* Binding writes field indices into the rules: a private copy
		 * would be cleaner, but the rules are the caller's and bound to the
		 * same orders layout every time. */
		if ((st = rebuy__audience_rules_bind((struct rebuy_audience_rules *)opts->rules, names,
		                                     orders->n_attributes, err)))
			goto fail;
	}
	if (baskets) {
		if ((st = match_baskets(&w, &w.bc_row)))
			goto fail;
		if (baskets->n_baskets && ((st = recommend(&w, w.bc_row)) || (st = replenishment(&w))))
			goto fail;
	}

	struct thresholds t;
	if ((st = column_quantile(&w, get_second_gap, opts->second_lo, &t.second_lo)) ||
	    (st = column_quantile(&w, get_second_gap, opts->second_hi, &t.second_hi)) ||
	    (st = column_quantile(&w, get_revenue, opts->value_quantile, &t.revenue)) ||
	    (st = column_quantile(&w, get_clv, opts->value_quantile, &t.clv)) ||
	    (st = column_quantile(&w, get_rec_score, 1.0 - opts->cross_sell_share, &t.rec)) ||
	    (st = mark_vips(&w, is_vip, vip_pos)))
		goto fail;
	a->second_q_lo = t.second_lo;
	a->second_q_hi = t.second_hi;
	if ((st = list_members(&w, &t, is_vip, vip_pos)))
		goto fail;
	if ((st = sort_members(&w)) || (st = describe(&w, &t)))
		goto fail;
	*out = a;
	a = NULL;
fail:
	rebuy_audiences_free(a);
	rebuy_features_free(w.f);
	rebuy_rfm_free(w.rfm);
	rebuy_clv_data_free(w.data);
	rebuy__free(w.c);
	rebuy__free(w.p);
	rebuy__free(w.row_of_id);
	rebuy__free(w.bc_row);
	rebuy__free(is_vip);
	rebuy__free(vip_pos);
	return st;
}
