/* rebuy — what is bought together: baskets, frequent itemsets, association
 * rules, and next-product recommendations.
 *
 * A basket is a set of item ids (an order's products, or everything a
 * customer bought with --basket customer). Baskets come from the FIMI format
 * (one basket per line, item tokens separated by blanks) or from an order
 * export with a product column (line level: every line adds its product to
 * its order's basket).
 */
#ifndef REBUY_BASKET_H
#define REBUY_BASKET_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/error.h"
#include "rebuy/input.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Baskets in compressed rows: basket b holds items[start[b] .. start[b+1]),
 * ids ascending and distinct. Item ids are dense, 0 .. n_items - 1, in the
 * byte order of their names. Everything is owned by the struct (free with
 * rebuy_baskets_free); the arrays are read-only and may be read from
 * several threads at once. */
struct rebuy_baskets {
	size_t n_baskets;
	size_t n_items;
	const uint64_t *start; /* n_baskets + 1 */
	const uint32_t *items;
	const char *const *item_names;  /* n_items: the item as read (product key, FIMI token) */
	const char *const *item_labels; /* n_items, or NULL: a display name (e.g. Description) */
	/* From an order export (NULL / 0 from FIMI): the basket's customer and
	 * day, baskets sorted by (customer, day, basket key). */
	size_t n_customers;
	const uint32_t *customer;           /* n_baskets: customer id */
	const int64_t *day;                 /* n_baskets: days since 1970-01-01 */
	const char *const *customer_keys;   /* n_customers */
	uint64_t n_lines;                   /* lines read (FIMI: baskets) */
	uint64_t n_lines_skipped;           /* lines without a product or basket key */
	struct rebuy__baskets_priv *priv;
};

void rebuy_baskets_free(struct rebuy_baskets *b);

/* FIMI: one basket per line, tokens separated by spaces or tabs (each token
 * an item name of at most 255 bytes), blank lines are empty baskets; gzip
 * detected by content. path "-" is standard input; with data != NULL the
 * bytes are read instead (path names them in messages). Duplicated items in
 * a line count once. Errors name the line. */
enum rebuy_status rebuy_baskets_read_fimi(const char *path, const void *data, size_t data_len,
                                          struct rebuy_baskets **out, struct rebuy_error *err);

/* What a basket is in an order export. */
enum rebuy_basket_unit {
	REBUY_BASKET_ORDER,   /* an order: lines with one order key (per customer), or one
	                         customer's lines at one time when there is no order column */
	REBUY_BASKET_CUSTOMER /* everything one customer bought */
};

/* Reads an order export at line level: every line adds its product to its
 * basket. Columns are found as rebuy_orders_load finds them (header names,
 * --customer/--order/--product/--date flags in in->role_column, or
 * in->columns by position); the product column is required, and so is a
 * customer column for REBUY_BASKET_CUSTOMER or without an order column.
 * in->attributes[0], when given, names a column whose first value per
 * product becomes its label (e.g. Description). Lines without a product or
 * a basket key, with a date column but no readable date, or with a
 * negative quantity or amount (returns), are left out and counted in
 * n_lines_skipped. The file is held in memory while it
 * is read (at most 1 GiB of text). */
enum rebuy_status rebuy_baskets_read_orders(const struct rebuy_input_options *in,
                                            enum rebuy_basket_unit unit,
                                            struct rebuy_baskets **out, struct rebuy_error *err);

/* ---- frequent itemsets ---- */

#define REBUY_ITEMSET_MAX_LEN 64

enum rebuy_itemset_target {
	REBUY_ITEMSETS_ALL,     /* every frequent itemset */
	REBUY_ITEMSETS_CLOSED,  /* no proper superset has the same support */
	REBUY_ITEMSETS_MAXIMAL  /* no proper superset is frequent */
};

struct rebuy_mine_options {
	enum rebuy_itemset_target target;
	uint64_t min_count; /* absolute minimum support, >= 1 */
	size_t max_len;     /* 0: no limit (at most REBUY_ITEMSET_MAX_LEN) */
	unsigned n_threads; /* 0: one per online CPU; the result does not depend on it */
};

void rebuy_mine_options_init(struct rebuy_mine_options *opts);

/* Called once per itemset found, items ascending by id; the array is valid
 * during the call only. Return non-zero to stop the mining (it then ends
 * with REBUY_OK and result->stopped set). Calls come from the calling
 * thread, in a deterministic order. */
typedef int (*rebuy_itemset_fn)(void *ud, const uint32_t *items, size_t n, uint64_t count);

struct rebuy_mine_result {
	uint64_t n_itemsets;                          /* the empty set is not counted */
	uint64_t by_size[REBUY_ITEMSET_MAX_LEN + 1];  /* by_size[k]: itemsets of k items */
	size_t longest;
	size_t peak_bytes; /* the miner's own peak memory */
	int stopped;
};

/* Mines b. With fn NULL only the counts are computed, which is much faster
 * where many itemsets share perfect extensions (items in every basket of a
 * prefix: 2^k itemsets are counted, not listed). REBUY_EARG for bad
 * options; REBUY_ENOMEM. */
enum rebuy_status rebuy_itemsets_mine(const struct rebuy_baskets *b,
                                      const struct rebuy_mine_options *opts, rebuy_itemset_fn fn,
                                      void *ud, struct rebuy_mine_result *result,
                                      struct rebuy_error *err);

/* ---- association rules ---- */

struct rebuy_rule_options {
	double min_confidence; /* default 0.5 */
	double min_lift;       /* default 0: no limit */
	size_t top;            /* keep the best `top` after sorting; 0: all */
	/* Refuse (REBUY_ELIMIT, saying how many) when the frequent itemsets the
	 * rules need number more than this; default 20,000,000 (about 1.5 GB). */
	uint64_t max_itemsets;
};

void rebuy_rule_options_init(struct rebuy_rule_options *opts);

/* X -> y for a frequent itemset Z = X u {y} (one consequent item, as in
 * arules), with N baskets and counts c(.):
 *   support = c(Z) / N, confidence = c(Z) / c(X),
 *   lift = confidence / (c(y) / N), leverage = c(Z) / N - c(X) c(y) / N^2,
 *   conviction = (1 - c(y) / N) / (1 - confidence) (INFINITY at confidence 1). */
struct rebuy_rule {
	const uint32_t *antecedent; /* item ids ascending, owned by the rules */
	size_t n_antecedent;
	uint32_t consequent;
	uint64_t count;         /* c(Z) */
	uint64_t antecedent_count, consequent_count;
	double support, confidence, lift, leverage, conviction;
};

struct rebuy_rules {
	uint64_t n_baskets;
	uint64_t n_itemsets; /* the frequent itemsets the rules came from */
	size_t n_rules;      /* sorted: lift, then confidence, then support descending, then items */
	struct rebuy_rule *rules;
	size_t peak_bytes;
	struct rebuy__rules_priv *priv;
};

/* Mines the frequent itemsets of b with mine (target ALL; max_len bounds
 * |Z|) and derives every rule that passes the options. REBUY_ELIMIT when
 * there are more itemsets than rule->max_itemsets (the message says how
 * many), REBUY_EARG, REBUY_ENOMEM. */
enum rebuy_status rebuy_rules_mine(const struct rebuy_baskets *b,
                                   const struct rebuy_mine_options *mine,
                                   const struct rebuy_rule_options *opts,
                                   struct rebuy_rules **out, struct rebuy_error *err);

void rebuy_rules_free(struct rebuy_rules *rules);

#ifdef __cplusplus
}
#endif
#endif
