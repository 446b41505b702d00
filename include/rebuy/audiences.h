/* rebuy — audiences: who to contact now, why, and with what (docs/audiences.md).
 *
 * Everything is judged as of the as-of day A from the purchases before it:
 * the customer features (features.h), the RFM segments (rfm.h), a
 * customer-lifetime model fitted to that history (clv.h: P(alive), P(a
 * purchase in the horizon), expected purchases, CLV with Gamma-Gamma spend
 * when there are amounts) and, when the orders have products, the
 * products' repeat intervals and the recommender (recommend.h).
 *
 * The built-in audiences (a customer may be in several):
 *   second_purchase  one purchase day only, and the days since it lie in
 *                    [Q(lo), Q(hi)] of the days from first to second purchase
 *                    of the customers who made one (lo 0.25, hi 0.75):
 *                    the window in which second purchases usually happen.
 *                    Score: P(a purchase in the horizon).
 *   win_back         valuable (revenue or CLV at least the value quantile of
 *                    the customers, 0.5) and gone: P(alive) < p_lapsed (0.3),
 *                    or two or more purchase days and recency >= overdue
 *                    (3) x their own mean gap. Score: revenue so far.
 *   at_risk          two or more purchase days, not win_back and not gone,
 *                    but drifting: recency >= drift (1.5) x their mean gap,
 *                    or P(alive) fell by >= drop (0.1) over the last
 *                    lookback (30) days with no purchase in them. Score:
 *                    CLV (expected purchases without amounts).
 *   replenishment    with products: a product bought on >= 2 days (min
 *                    repeats) whose next purchase is due: its interval I is
 *                    the customer's mean gap between the days they bought it,
 *                    shrunk toward the product's median interval over all
 *                    such customers, I = ((n - 1) g + m) / n with n the days
 *                    they bought it; due = last bought + I; listed when
 *                    due <= A + lead (7 days) and A <= due + late x I (late
 *                    1). Score: the most days any due product was bought on.
 *   vip              the top share (0.05) by CLV (by expected purchases
 *                    without amounts), at least one customer. Score: CLV.
 *   cross_sell       with products: P(alive) >= p_lapsed and the best
 *                    co-purchase recommendation's score is in the top share
 *                    (0.2) of such scores. Score: that recommendation's score.
 * Rules files add audiences (rebuy_audience_rules_parse). Quantiles are R's
 * type 7; every threshold is an option. Members are listed by audience (the
 * built-ins in the order above, then the rules'), score descending, then
 * customer key; nothing depends on the thread count.
 */
#ifndef REBUY_AUDIENCES_H
#define REBUY_AUDIENCES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rebuy/basket.h"
#include "rebuy/clv.h"
#include "rebuy/doc.h"
#include "rebuy/error.h"
#include "rebuy/orders.h"

#ifdef __cplusplus
extern "C" {
#endif

enum rebuy_audience_builtin {
	REBUY_AUD_SECOND_PURCHASE,
	REBUY_AUD_WIN_BACK,
	REBUY_AUD_AT_RISK,
	REBUY_AUD_REPLENISHMENT,
	REBUY_AUD_VIP,
	REBUY_AUD_CROSS_SELL,
	REBUY_AUD_BUILTIN_COUNT
};

/* "second_purchase", ...; NULL out of range. */
const char *rebuy_audience_builtin_name(enum rebuy_audience_builtin a);

/* ---- rules files ----------------------------------------------------------
 * Blocks of lines; '#' starts a comment; keywords first on their line:
 *   audience NAME          starts an audience (NAME: letters, digits, _ -)
 *   when EXPRESSION        who is in it (required)
 *   action TEXT            the suggested action (default: "contact")
 *   score FIELD            the numeric field to rank by (default clv, or
 *                          p_alive without amounts)
 *   reason TEXT            the reason (default: the expression as written)
 * EXPRESSION: comparisons FIELD OP VALUE (OP one of < <= > >= = !=), FIELD in
 * (V, ...), FIELD not in (V, ...), joined by and / or / not and parentheses
 * (not binds tightest, then and, then or). Numeric fields: the features'
 * columns (recency_days, frequency, purchase_days, revenue, aov, tenure_days,
 * mean_gap_days, overdue, last_gap_days, orders_recent, revenue_recent,
 * returns, return_share), p_alive, p_purchase, expected_purchases, clv, r, f,
 * m; date fields (compared with YYYY-MM-DD): first_purchase, last_purchase,
 * expected_next_purchase; text fields (compared with 'quoted' or bare words):
 * segment, and each attribute column of the orders (the value on the
 * customer's last purchase). A comparison with a missing value (clv without
 * amounts) is false. Errors name the line and column. */
struct rebuy_audience_rules;

enum rebuy_status rebuy_audience_rules_parse(const char *name, const char *text, size_t len,
                                             struct rebuy_audience_rules **out,
                                             struct rebuy_error *err);
enum rebuy_status rebuy_audience_rules_load(const char *path, struct rebuy_audience_rules **out,
                                            struct rebuy_error *err);
void rebuy_audience_rules_free(struct rebuy_audience_rules *rules);
size_t rebuy_audience_rules_count(const struct rebuy_audience_rules *rules);
/* The fields the rules name that are not rebuy's own: attribute columns to
 * read with the orders. Writes up to max names (borrowed from rules) and
 * returns how many there are (possibly more than max). */
size_t rebuy_audience_rules_attributes(const struct rebuy_audience_rules *rules,
                                       const char **names, size_t max);

/* ---- options -------------------------------------------------------------- */

struct rebuy_audience_options {
	int has_as_of;
	int64_t as_of_day;     /* default: the day after the last purchase */
	unsigned builtins;     /* bit (1 << REBUY_AUD_x) per built-in to compute; 0: all */
	enum rebuy_clv_model model; /* bgnbd (default), mbgnbd or pnbd */
	double horizon_days;   /* of p_purchase, expected_purchases and CLV; 0: 365.25 */
	double margin;         /* default 1 */
	double discount_rate;  /* per year, default 0.1 */
	double second_lo, second_hi; /* quantiles, default 0.25 and 0.75 */
	double p_lapsed;       /* default 0.3 */
	double value_quantile; /* default 0.5 */
	double overdue;        /* default 3 */
	double drift;          /* default 1.5 */
	double drop;           /* default 0.1 */
	int64_t lookback_days; /* default 30 */
	int64_t lead_days;     /* default 7 */
	double late;           /* default 1 */
	unsigned min_repeats;  /* default 2 */
	double vip_share;      /* default 0.05 */
	double cross_sell_share; /* default 0.2 */
	size_t n_products;     /* recommended products per member, default 3 (0..20) */
	const struct rebuy_audience_rules *rules; /* NULL: none */
	unsigned n_threads;    /* 0: all CPUs */
};

void rebuy_audience_options_init(struct rebuy_audience_options *opts);

/* ---- the result ----------------------------------------------------------- */

struct rebuy_audience_member {
	uint32_t customer;   /* id in the orders table */
	uint32_t audience;   /* < n_audiences */
	double score;
	int64_t last_day;    /* last purchase day before the as-of day */
	int64_t next_day;    /* expected next purchase day; INT64_MIN: none */
	double clv, p_alive; /* NaN when absent */
	const char *reason;  /* borrowed from the result */
	const char *products; /* space-separated product keys, "" when none; borrowed */
};

struct rebuy_audience_info {
	const char *name;   /* borrowed */
	const char *action; /* borrowed */
	const char *definition; /* the rule in words, with the thresholds used */
	uint64_t n_members;
};

struct rebuy_audiences {
	int64_t as_of_day;
	uint64_t n_customers; /* with a purchase before the as-of day */
	int has_amount, has_products;
	struct rebuy_clv_fit fit; /* the lifetime model used */
	double second_q_lo, second_q_hi; /* days, the second-purchase window; NaN: no repeaters */
	size_t n_audiences;
	struct rebuy_audience_info *audiences;
	size_t n_members;
	struct rebuy_audience_member *members;
	struct rebuy__audiences_priv *priv;
};

/* Computes every enabled audience. baskets (from rebuy_baskets_read_orders
 * on the same input, or NULL) gives the products: without them
 * replenishment and cross_sell are empty and products are "". Their
 * customers are matched to the orders' by key. *out is owned by the caller
 * (rebuy_audiences_free). REBUY_EARG for options out of range (a quantile
 * outside [0, 1], lo > hi, shares outside (0, 1], ...), REBUY_EDATA when no
 * customer has a purchase before the as-of day or the model cannot be
 * fitted, REBUY_ENOMEM. */
enum rebuy_status rebuy_audiences_compute(const struct rebuy_orders *orders,
                                          const struct rebuy_baskets *baskets,
                                          const struct rebuy_audience_options *opts,
                                          struct rebuy_audiences **out, struct rebuy_error *err);

void rebuy_audiences_free(struct rebuy_audiences *a);

/* Writes the members as rows in a format of doc.h (JSON: {"members":
 * [...]}): customer (its key in o, the orders they came from), audience,
 * reason, score, suggested_action, last_purchase, expected_next_purchase
 * (YYYY-MM-DD or empty), clv, p_alive, products. Rows are formatted on
 * n_threads threads (0: all CPUs) and written in member order: the bytes do
 * not depend on the count. REBUY_EIO when writing fails, REBUY_ENOMEM. */
#define REBUY_AUDIENCES_WRITE_SLOTS 64
enum rebuy_status rebuy_audiences_write(const struct rebuy_audiences *a,
                                        const struct rebuy_orders *o, FILE *out,
                                        enum rebuy_format format,
                                        const struct rebuy_csv_options *opts, unsigned n_threads,
                                        struct rebuy_error *err);

#ifdef __cplusplus
}
#endif
#endif
