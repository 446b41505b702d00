/* rebuy — per-customer behavioural features as of a cut-off day, the
 * inputs of the propensity models, the clustering and the audiences.
 *
 * Everything is computed from the purchases and returns with day < as_of
 * (the as-of day itself is the first day of the future, as in RFM), so a
 * model trained on the features at one cut-off and labelled by what follows
 * never sees its own label. Rows are the customers with at least one
 * purchase before as_of, in customer-id order of the orders table; nothing
 * depends on the thread count.
 *
 * The columns, in this order (days are whole calendar days):
 *   recency_days    as_of - last purchase day (>= 1)
 *   frequency       purchases (orders)
 *   purchase_days   distinct purchase days
 *   revenue         sum of purchases, currency units (0 without amounts)
 *   aov             revenue / frequency
 *   tenure_days     as_of - first purchase day
 *   mean_gap_days   (last - first purchase day) / (purchase_days - 1); for a
 *                   one-day customer the tenure (the gap so far, a lower bound)
 *   overdue         recency_days / mean_gap_days (how many of their own gaps
 *                   they are late); 1 for a one-day customer
 *   last_gap_days   days between the last two purchase days; the tenure for
 *                   a one-day customer
 *   orders_recent   purchases in [as_of - window, as_of)
 *   revenue_recent  their revenue, currency units
 *   returns         returns (orders worth < 0)
 *   return_share    returned value / (revenue + returned value), 0 when both are 0
 * then, with opts.attribute_levels > 0, for each attribute column of the
 * orders table and each of its most common values (by customers, at most
 * attribute_levels of them, ties by value byte order) an indicator
 * "<column>=<value>" that the customer's first purchase carries that value;
 * with opts.same_levels, the indicator columns of those features instead
 * (so that features at two cut-offs of one orders table share columns).
 */
#ifndef REBUY_FEATURES_H
#define REBUY_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/error.h"
#include "rebuy/orders.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
	REBUY_FEAT_RECENCY,
	REBUY_FEAT_FREQUENCY,
	REBUY_FEAT_PURCHASE_DAYS,
	REBUY_FEAT_REVENUE,
	REBUY_FEAT_AOV,
	REBUY_FEAT_TENURE,
	REBUY_FEAT_MEAN_GAP,
	REBUY_FEAT_OVERDUE,
	REBUY_FEAT_LAST_GAP,
	REBUY_FEAT_ORDERS_RECENT,
	REBUY_FEAT_REVENUE_RECENT,
	REBUY_FEAT_RETURNS,
	REBUY_FEAT_RETURN_SHARE,
	REBUY_FEAT_N_BASE /* the number of behavioural columns */
};

#define REBUY_FEATURES_DEFAULT_WINDOW 90
#define REBUY_FEATURES_MAX_LEVELS 64

struct rebuy_features_options {
	int has_as_of;
	int64_t as_of_day;       /* default: the day after the last purchase */
	int64_t window_days;     /* of the *_recent columns; 0: 90 */
	size_t attribute_levels; /* indicator columns per attribute, <= 64; 0: none */
	/* Features of the same orders table whose indicator columns to repeat
	 * (attribute_levels is then not used); NULL: pick them. Borrowed for
	 * the call only. */
	const struct rebuy_features *same_levels;
	unsigned n_threads; /* 0: all CPUs; the features do not depend on it */
};

void rebuy_features_options_init(struct rebuy_features_options *opts);

struct rebuy_features {
	int64_t as_of_day;
	size_t n_rows;     /* customers with a purchase before as_of */
	size_t n_cols;     /* REBUY_FEAT_N_BASE + the indicator columns */
	uint32_t *customer; /* n_rows: the customer id of each row (ascending) */
	double *x;          /* n_rows x n_cols, row-major */
	char **names;       /* n_cols column names */
	int64_t *last_day;  /* n_rows: last purchase day before as_of */
	/* For each indicator column (n_cols - REBUY_FEAT_N_BASE of them): its
	 * attribute and value id in the orders table; NULL when there are none. */
	uint32_t *indicator_attr, *indicator_value;
};

/* Computes the features of every customer as of opts->as_of_day. *out is
 * owned by the caller (rebuy_features_free). REBUY_EARG when as_of is not
 * after the first purchase day or window_days < 0 or attribute_levels is
 * too large; REBUY_EDATA when no customer has a purchase before as_of;
 * REBUY_ENOMEM. Memory: 8 x (n_cols + 2) bytes per row. */
enum rebuy_status rebuy_features_compute(const struct rebuy_orders *orders,
                                         const struct rebuy_features_options *opts,
                                         struct rebuy_features **out, struct rebuy_error *err);

void rebuy_features_free(struct rebuy_features *f);

/* The label of each row for a future window: y[i] = 1 when row i's customer
 * has a purchase with as_of <= day < as_of + horizon_days, else 0. y has
 * room for f->n_rows. Returns the number of positives. */
size_t rebuy_features_label(const struct rebuy_orders *orders, const struct rebuy_features *f,
                            int64_t horizon_days, uint8_t *y);

/* Column means and population standard deviations of f (a column with
 * sd 0 gets sd 1, so that scaling leaves it at 0). mean and sd have room
 * for n_cols values. */
void rebuy_features_moments(const struct rebuy_features *f, double *mean, double *sd);

/* x[., j] = (x[., j] - mean[j]) / sd[j] in place: mean and sd from
 * rebuy_features_moments, of these features or of a training set's. */
void rebuy_features_scale(struct rebuy_features *f, const double *mean, const double *sd);

#ifdef __cplusplus
}
#endif
#endif
