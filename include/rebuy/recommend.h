/* rebuy — next-product recommendations: item-to-item co-purchase scores
 * learned from baskets with customers (an order export), top-k products per
 * customer, and a holdout evaluation against a popularity baseline.
 *
 * The method is item-based top-N (Deshpande & Karypis 2004, "Item-based
 * top-N recommendation algorithms", ACM TOIS 22(1)) on customer-level
 * co-occurrence, with their conditional-probability similarity estimated
 * with an m-estimate toward popularity. Training uses the baskets with
 * day <= the training end (all of them without one). A customer's profile
 * P(u) is the set of distinct items of their training baskets; N is the
 * number of customers with a training basket.
 *
 * Pair counts use the capped profile Q(u): the REBUY_RECOMMEND_PAIR_ITEMS
 * (256) most recent items of P(u) (by last day bought, then item id), which
 * bounds a customer's pairs at 256^2. Each customer counts with the weight
 * v(u) = 1 / |Q(u)| (inverse user frequency: one customer who bought 200
 * things is weaker evidence for any one pair than one who bought 3):
 *   c(i)   = sum of v(u) over customers with i in Q(u),
 *   c(i,j) = sum of v(u) over customers with i and j in Q(u), i != j,
 *   p(j)   = (customers with j in P(u)) / N   (the popularity of j).
 * The similarity of candidate j to bought item i is the smoothed
 * conditional probability, divided by p(j)^alpha as in D&K §4.2:
 *   sim(i,j) = P^(j|i) / p(j)^alpha,  P^(j|i) = (c(i,j) + s p(j)) / (c(i) + s)
 * with s = smoothing: with little evidence on i (c(i) small against s) it
 * falls back to j's popularity, with much it is c(i,j) / c(i). It splits
 * into a co-purchase part and a prior part:
 *   sim(i,j) = nb(i,j) + pr(i) q(j),  nb(i,j) = c(i,j) / ((c(i) + s) p(j)^alpha),
 *   pr(i) = s / (c(i) + s),  q(j) = p(j)^(1-alpha).
 * Each item keeps the co-purchase part of its M candidates with the largest
 * nb(i,j) (ties: smaller item id); beyond them nb counts as 0.
 *
 * A customer u's score for candidate j is
 *   score(u,j) = sum over i in P(u), i != j, of w(u,i) nb(i,j)
 *              + C(u) q(j),   C(u) = sum over i in P(u) of w(u,i) pr(i)
 *              + [repeatable and j in P(u)] repeat_weight n(u,j) / n(u),
 * w(u,i) = 2^(-(last(u) - last(u,i)) / half_life_days) (1 when half_life_days
 * is 0), last(u) the customer's last training day, last(u,i) the last
 * training day they bought i, n(u,j) their training baskets holding j and
 * n(u) their training baskets. For j not in P(u) this is the sum of
 * w(u,i) sim(i,j). The reason of a row is the co-purchase or repeat term
 * with the largest contribution (ties: the smaller source id): the bought
 * item i, or j itself for the repeat
 * term; a candidate with neither (scored by the prior alone) is "popular"
 * (REBUY_RECOMMEND_POPULAR). Such candidates rank among themselves by
 * popularity, then id; everything else by (score desc, item id asc).
 *
 * Memory: the model holds the neighbours (12 bytes each, at most
 * items x M) and the training profiles (16 bytes per distinct customer-item
 * pair); fitting adds the customer lists of the items (4 bytes per capped
 * pair) and, per thread, 12 bytes per item; scoring 32 bytes per item per
 * thread. c(i,j) is counted item by item (row i: the customers of i and
 * their capped profiles) into a dense per-thread array: no item x item table
 * is ever built. Time: sum over customers of |Q(u)|^2 to fit.
 */
#ifndef REBUY_RECOMMEND_H
#define REBUY_RECOMMEND_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/basket.h"
#include "rebuy/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define REBUY_RECOMMEND_DEFAULT_K 10
#define REBUY_RECOMMEND_DEFAULT_NEIGHBOURS 50
#define REBUY_RECOMMEND_MAX_K 1000
#define REBUY_RECOMMEND_MAX_NEIGHBOURS 10000
#define REBUY_RECOMMEND_PAIR_ITEMS 256 /* most recent items per customer for c(i,j) */
#define REBUY_RECOMMEND_POPULAR (-1)   /* reason of a popularity fallback row */

struct rebuy_recommend_options {
	size_t k;            /* rows per customer, 0: REBUY_RECOMMEND_DEFAULT_K */
	size_t n_neighbours; /* M, 0: REBUY_RECOMMEND_DEFAULT_NEIGHBOURS */
	int has_train_end;
	int64_t train_end_day; /* train on baskets with day <= this */
	int is_repeatable;     /* bought items may be recommended (replenishment) */
	double alpha;          /* exponent of p(j), 0..1 */
	double smoothing;      /* s >= 0; 0: D&K's unsmoothed c(i,j) / (c(i) p(j)^alpha) */
	double half_life_days; /* >= 0; 0: no recency weighting */
	double repeat_weight;  /* >= 0, used when is_repeatable */
	unsigned n_threads;    /* 0: one per online CPU; results do not depend on it */
};

/* The defaults: k 10, M 50, all days, not repeatable, alpha 0,
 * smoothing 5, no recency weighting, repeat_weight 10. */
void rebuy_recommend_options_init(struct rebuy_recommend_options *opts);

/* One recommendation: score is score(u, item) of the header comment. */
struct rebuy_recommendation {
	uint32_t customer;
	uint32_t rank; /* 1..k */
	uint32_t item;
	int64_t reason; /* a bought item, the item itself (bought before), or -1: popular */
	double score;
};

/* A fitted model: opaque, read-only once fitted; any number of threads may
 * use one model at once. It owns its memory and does not borrow the
 * baskets it was fitted on. */
struct rebuy_recommender;

struct rebuy_recommender_info {
	size_t n_items;             /* of the baskets */
	size_t n_customers;         /* of the baskets */
	uint64_t n_train_baskets;   /* baskets with day <= the training end */
	uint64_t n_train_customers; /* customers with >= 1 training basket */
	uint64_t n_train_items;     /* items bought in training */
	uint64_t n_capped;          /* customers with more than PAIR_ITEMS training items */
	uint64_t n_pairs;           /* ordered pairs (i,j) with c(i,j) > 0 */
	uint64_t n_links;           /* neighbours kept, <= n_items x M */
	size_t model_bytes;         /* memory the model holds */
	double fit_seconds;
};

/* Fits a model on b, which must come from an order export (customer and
 * day set; REBUY_EDATA otherwise) and keep the order of basket.h: baskets
 * sorted by (customer, day), items ascending within a basket (REBUY_EARG
 * otherwise, naming the basket). REBUY_EARG for bad options; REBUY_ENOMEM.
 * *out is owned by the caller (rebuy_recommender_free). */
enum rebuy_status rebuy_recommender_fit(const struct rebuy_baskets *b,
                                        const struct rebuy_recommend_options *opts,
                                        struct rebuy_recommender **out, struct rebuy_error *err);

void rebuy_recommender_free(struct rebuy_recommender *r);

void rebuy_recommender_info(const struct rebuy_recommender *r, struct rebuy_recommender_info *info);

/* Item i's kept neighbours, largest nb(i, j) first (ties: smaller id):
 * *items and *sims (nb(i, items[x]), the co-purchase part of the
 * similarity) are borrowed until rebuy_recommender_free. Returns their
 * number (0 for an item out of range). */
size_t rebuy_recommender_neighbours(const struct rebuy_recommender *r, uint32_t item,
                                    const uint32_t **items, const double **sims);

/* Called once per customer, in customer id order, from the calling thread:
 * rows[0..n) by rank (n = k unless fewer items were bought in training than
 * the customer may be shown). rows is valid during the call only. Return
 * non-zero to stop (rebuy_recommend then returns REBUY_OK). */
typedef int (*rebuy_recommend_fn)(void *ud, uint32_t customer,
                                  const struct rebuy_recommendation *rows, size_t n);

/* Top-k for every customer of the baskets the model was fitted on, in the
 * order of the header comment, bought items excluded unless repeatable. As
 * every item bought in training has a prior, the list is short of k only
 * when fewer such items remain. A customer without training baskets gets
 * the most popular items with score 0 and reason popular. The rows do not
 * depend on the thread count. REBUY_ENOMEM. */
enum rebuy_status rebuy_recommend(const struct rebuy_recommender *r, rebuy_recommend_fn fn,
                                  void *ud, struct rebuy_error *err);

/* The same for one customer: rows (room for k) get *n rows. Each call
 * allocates its own scratch (32 bytes per item), so calls may run on one
 * model from several threads at once. REBUY_EARG for a customer out of
 * range; REBUY_ENOMEM. */
enum rebuy_status rebuy_recommend_customer(const struct rebuy_recommender *r, uint32_t customer,
                                           struct rebuy_recommendation *rows, size_t *n,
                                           struct rebuy_error *err);

/* ---- holdout evaluation ------------------------------------------------ */

/* Means over the evaluated customers u, with L(u) the k rows given to u
 * (fewer only when the candidates run out), T(u) u's test set, hit(r) = 1
 * when the item at rank r is in T(u) and h(u) = sum of hit(r) over L(u):
 *   precision = h(u) / k                       (k even when |L(u)| < k)
 *   recall    = h(u) / |T(u)|
 *   hit_rate  = [h(u) >= 1]
 *   map       = AP@k(u) = sum over r with hit(r) of (hits in ranks 1..r) / r,
 *               divided by min(k, |T(u)|)
 */
struct rebuy_recommend_metrics {
	double precision, recall, hit_rate, map;
};

struct rebuy_recommend_eval {
	size_t k;
	uint64_t n_customers;       /* evaluated */
	uint64_t n_train_customers; /* customers with >= 1 training basket */
	uint64_t n_train_items;     /* items bought in training */
	uint64_t n_test_items;      /* sum of |T(u)| over the evaluated customers */
	uint64_t n_cold;            /* customers with test purchases and no training basket */
	struct rebuy_recommend_metrics model;   /* rebuy_recommend's rows */
	struct rebuy_recommend_metrics popular; /* the baseline */
	double seconds;                         /* fit and evaluation */
};

/* Trains on the baskets with day <= cal_end_day (opts->has_train_end and
 * train_end_day are ignored) and tests on the later ones. T(u) = the
 * distinct items u bought after cal_end_day that u did not buy in training
 * (with opts->is_repeatable: all of them). Evaluated customers: those with
 * >= 1 training basket and a non-empty T(u). The baseline gives each of
 * them the k most popular training items (by training customers, then id)
 * that u did not buy in training (with is_repeatable: the k most popular).
 * opts NULL: the defaults. Errors as rebuy_recommender_fit. */
enum rebuy_status rebuy_recommend_evaluate(const struct rebuy_baskets *b, int64_t cal_end_day,
                                           const struct rebuy_recommend_options *opts,
                                           struct rebuy_recommend_eval *result,
                                           struct rebuy_error *err);

#ifdef __cplusplus
}
#endif
#endif
