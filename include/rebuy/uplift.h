/* rebuy — campaign evaluation: what a campaign did to repeat purchase,
 * treatment against control (DESIGN.md §5 `uplift`, docs/uplift.md).
 *
 * A campaign file lists customers with their group (treatment or control)
 * and send day D. Each customer is followed over their own window, the days
 * D <= d < D + W (the send day included: the file has days, not times), for
 * every customer in the file, with orders or not (one without orders bought
 * nothing). Per group g of n_g customers: x_g converted (at least one
 * purchase in the window), the conversion rate p_g = x_g / n_g, and the
 * means m_g and sample standard deviations s_g (n - 1) of orders and revenue
 * per customer. alpha = 1 - level; z = the normal 1 - alpha/2 quantile.
 *
 * Conversion rate, d = p_T - p_C:
 *   p-value: the two-proportion z-test with the pooled standard error
 *     (Fleiss, Levin & Paik 2003, §2.6; equal to Pearson's chi-square
 *     without continuity correction): p = (x_T + x_C) / (n_T + n_C),
 *     z = d / sqrt(p (1 - p) (1/n_T + 1/n_C)), P = erfc(|z| / sqrt 2);
 *     P = 1 when p is 0 or 1 (then d = 0).
 *   interval: Newcombe's hybrid score interval (Newcombe 1998, Stat Med 17,
 *     method 10), not the Wald interval, which undercovers at small rates:
 *     Wilson intervals (l_g, u_g) of each rate, then
 *     [d - sqrt((p_T - l_T)^2 + (u_C - p_C)^2), d + sqrt((u_T - p_T)^2 +
 *     (p_C - l_C)^2)]. Near the boundary the interval and the pooled test
 *     can disagree; `significant` follows the p-value.
 *   relative uplift p_T / p_C - 1: the delta method on the log ratio
 *     (Katz, Baptista, Azen & Pike 1978): exp(log(p_T / p_C) +- z
 *     sqrt(1/x_T - 1/n_T + 1/x_C - 1/n_C)) - 1; undefined when x_T or x_C
 *     is 0.
 * Orders and revenue per customer, d = m_T - m_C:
 *   Welch (Welch 1947; Satterthwaite 1946): v_g = s_g^2 / n_g, SE = sqrt(v_T
 *     + v_C), df = SE^4 / (v_T^2 / (n_T - 1) + v_C^2 / (n_C - 1)), interval
 *     d +- t(df, 1 - alpha/2) SE, P = P(|T_df| >= |d| / SE); relative
 *     m_T / m_C - 1 by the delta method on the log ratio, exp(log(m_T / m_C)
 *     +- z sqrt(v_T / m_T^2 + v_C / m_C^2)) - 1. Undefined with fewer than
 *     two customers in a group; with no spread in either group P is 1 when
 *     d is 0 and undefined otherwise.
 *   Revenue also by the bootstrap (Efron & Tibshirani 1993, ch. 13): B
 *     replicates, each group resampled with replacement to its own size;
 *     d*_b = mean of the treatment resample - mean of the control resample;
 *     the percentile interval is the alpha/2 and 1 - alpha/2 quantiles of
 *     the d*_b (R's type 7), the relative one those of m*_T / m*_C - 1, and
 *     P = min(1, 2 min(1 + #{d* <= 0}, 1 + #{d* >= 0}) / (B + 1)), the
 *     p-value that inverts the percentile interval (with the +1 of Davison
 *     & Hinkley 1997, §4.4). This is the revenue row whose p-value decides
 *     `significant` for revenue; the Welch row is beside it. Replicate b of
 *     result set k draws from the xoshiro256** stream (seed, k 2^32 + b), so
 *     the result does not depend on the number of threads.
 * Incremental = d x n_T (conversions, orders, revenue), with the interval's
 *   bounds x n_T: what the campaign added over the treated customers, if the
 *   control group shows what they would have done without it.
 * Balance, over the W days before each send day (D - W <= d < D): the same
 *   three measures per group, their standardized mean difference (Austin
 *   2009) SMD = (m_T - m_C) / sqrt((s_T^2 + s_C^2) / 2) (s^2 = p (1 - p) for
 *   a rate), flagged when |SMD| > 0.1, and the p-value of the same test as
 *   above (pooled z for the rate, Welch for the means).
 * A result is significant when P < alpha.
 *
 * Segments: the same result for the customers of each value of a campaign
 * file column, or of their RFM segment (rfm.h, the default map) as of the
 * earliest send day, over every customer of the orders (customers without a
 * purchase before it: "no_prior_purchase").
 *
 * Everything here is computed, never printed; the same inputs and options
 * give the same result on any number of threads. Memory: about 150 bytes per
 * campaign customer, 12 more per customer and segmentation, and 16 B bytes
 * per result set (the campaign and each segment) for the bootstrap; time
 * O(B x customers x (1 + segmentations)) for the bootstrap.
 */
#ifndef REBUY_UPLIFT_H
#define REBUY_UPLIFT_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/doc.h"
#include "rebuy/error.h"
#include "rebuy/input.h"
#include "rebuy/orders.h"
#include "rebuy/table.h"

#ifdef __cplusplus
extern "C" {
#endif

#define REBUY_UPLIFT_DEFAULT_WINDOW_DAYS 30
#define REBUY_UPLIFT_MAX_WINDOW_DAYS 3650
#define REBUY_UPLIFT_DEFAULT_LEVEL 0.95
#define REBUY_UPLIFT_DEFAULT_BOOTSTRAP 2000
#define REBUY_UPLIFT_MAX_BOOTSTRAP 100000
#define REBUY_UPLIFT_MAX_SEGMENT_BY 4 /* segmentations */
#define REBUY_UPLIFT_MAX_SEGMENTS 256 /* values of one segmentation */
#define REBUY_UPLIFT_SMD_FLAG 0.1     /* |SMD| above this is imbalance */
#define REBUY_UPLIFT_RFM "rfm"        /* segment_by naming the RFM segment */
#define REBUY_UPLIFT_NO_PRIOR "no_prior_purchase"

/* Column roles of a campaign file. */
enum rebuy_uplift_role {
	REBUY_UPLIFT_CUSTOMER,
	REBUY_UPLIFT_GROUP,
	REBUY_UPLIFT_SEND_DATE,
	REBUY_UPLIFT_ROLE_COUNT
};

const char *rebuy_uplift_role_name(enum rebuy_uplift_role role);
/* The normalized header names that take a role (NULL-terminated):
 * customer, customer_id, ...; group, variant, arm, ...; send_date, date,
 * sent_at, ... (docs/uplift.md). */
const char *const *rebuy_uplift_role_headers(enum rebuy_uplift_role role);

/* Reads a group value: treatment, treated, test, t, 1 -> 1; control,
 * holdout, c, 0 -> 0 (any case, blanks around ignored); -1 otherwise. */
int rebuy_uplift_group_parse(const char *s, size_t n);

struct rebuy_uplift_options {
	/* Column references (a header name or a 1-based number), or NULL to
	 * detect; flag_names[role] names the option for messages. */
	const char *column[REBUY_UPLIFT_ROLE_COUNT];
	const char *flag_names[REBUY_UPLIFT_ROLE_COUNT];
	const char *date_format;      /* NULL or "auto": detect (rebuy_date_format_parse) */
	const char *date_format_flag; /* the option giving it, for messages */
	int64_t window_days;          /* 1 .. REBUY_UPLIFT_MAX_WINDOW_DAYS */
	double level;                 /* of the intervals, 0.5 .. 0.9999 */
	uint32_t n_bootstrap;         /* 0 (no bootstrap) or 100 .. REBUY_UPLIFT_MAX_BOOTSTRAP */
	uint64_t seed;
	/* Segmentations: REBUY_UPLIFT_RFM, or a column of the campaign file
	 * (a header name or a 1-based number). Borrowed during the call. */
	const char *segment_by[REBUY_UPLIFT_MAX_SEGMENT_BY];
	size_t n_segment_by;
	int has_as_of;
	int64_t as_of_day;  /* the first day without data; default: the day after the last purchase
	                     */
	unsigned n_threads; /* 0: one per online CPU */
};

/* Defaults: columns and date format detected, a 30-day window, level 0.95,
 * 2000 bootstrap replicates, seed 1, no segments, as-of from the orders. */
void rebuy_uplift_options_init(struct rebuy_uplift_options *opts);

/* What one group did. Rates are fractions, revenue in currency units per
 * customer; NaN when undefined (no customer, or no amounts). */
struct rebuy_uplift_group {
	uint64_t customers;
	uint64_t not_in_orders; /* customers with no order in the orders table at all */
	uint64_t incomplete;    /* customers whose window ends after the as-of day */
	uint64_t converted;
	uint64_t orders;
	int64_t revenue; /* 1/10,000 units */
	double conversion_rate, orders_per_customer, revenue_per_customer;
	double orders_sd, revenue_sd; /* sample standard deviations per customer */
	/* The W days before the send day. */
	uint64_t prior_converted, prior_orders;
	int64_t prior_revenue;
	double prior_conversion_rate, prior_orders_per_customer, prior_revenue_per_customer;
};

/* The rows of effects, in this order. */
enum rebuy_uplift_measure {
	REBUY_UPLIFT_CONVERSION,    /* conversion_rate: Newcombe interval, pooled z-test */
	REBUY_UPLIFT_ORDERS,        /* orders_per_customer: Welch */
	REBUY_UPLIFT_REVENUE,       /* revenue_per_customer: percentile bootstrap */
	REBUY_UPLIFT_REVENUE_WELCH, /* revenue_per_customer: Welch */
	REBUY_UPLIFT_MEASURE_COUNT
};

/* One effect: treatment against control. NaN where undefined. */
struct rebuy_uplift_effect {
	const char *measure; /* "conversion_rate", "orders_per_customer", "revenue_per_customer" */
	const char *method;  /* "newcombe_pooled_z", "welch", "bootstrap" (static) */
	double treatment, control;
	double difference, low, high;                 /* treatment - control and its interval */
	double relative, relative_low, relative_high; /* treatment / control - 1 */
	double statistic;                             /* z or t; NaN for the bootstrap */
	double df; /* Welch's degrees of freedom; NaN otherwise */
	double p_value;
	int is_significant;                                    /* p_value < 1 - level */
	double incremental, incremental_low, incremental_high; /* difference x treated customers */
};

enum { REBUY_UPLIFT_BALANCE_COUNT = 3 };

/* A balance row over the W days before the send day. */
struct rebuy_uplift_balance {
	const char *measure; /* "prior_conversion_rate", "prior_orders_per_customer",
	                        "prior_revenue_per_customer" (static) */
	double treatment, control, difference;
	double smd; /* standardized mean difference */
	double p_value;
	int is_imbalanced; /* |smd| > REBUY_UPLIFT_SMD_FLAG */
};

/* The result over one set of customers: the campaign, or a segment. */
struct rebuy_uplift_result {
	struct rebuy_uplift_group groups[2]; /* [0] control, [1] treatment */
	struct rebuy_uplift_effect effects[REBUY_UPLIFT_MEASURE_COUNT];
	struct rebuy_uplift_balance balance[REBUY_UPLIFT_BALANCE_COUNT];
};

struct rebuy_uplift_segment {
	const char *by;   /* "rfm" or the column's name (owned by the result) */
	const char *name; /* the segment: the column's value, trimmed ("(empty)" for ""), or the
	                     RFM segment (owned by the result) */
	struct rebuy_uplift_result result;
};

struct rebuy_uplift {
	/* Reading the campaign file. */
	char path[256];
	char delimiter;
	int has_header;
	uint64_t rows;
	const char *date_format_name;               /* "iso", "dmy", ... (static) */
	int column[REBUY_UPLIFT_ROLE_COUNT];        /* 0-based */
	char *column_name[REBUY_UPLIFT_ROLE_COUNT]; /* owned */

	/* Settings as used. */
	int64_t window_days;
	double level;
	uint32_t n_bootstrap;
	uint64_t seed;
	int64_t as_of_day;
	int has_amount;
	int64_t first_send_day, last_send_day;
	int has_rfm;
	int64_t rfm_day; /* the RFM segments are as of this day (the earliest send day) */

	uint64_t customers;        /* in the campaign file */
	uint64_t not_in_orders;    /* of them, with no order at all */
	uint64_t incomplete;       /* of them, whose window ends after the as-of day */
	uint64_t prior_incomplete; /* whose prior window starts before the first day with data */

	struct rebuy_uplift_result all;
	/* Segmentations in the order given; within one, RFM segments in the
	 * map's order then no_prior_purchase, column values in byte order.
	 * Only segments with customers. */
	size_t n_segments;
	struct rebuy_uplift_segment *segments;
	struct rebuy__uplift_priv *priv;
};

/* Evaluates the campaign in table against orders. On success *out owns a
 * new result (free with rebuy_uplift_free). Errors: REBUY_EDATA with
 * "file:line:col: what" for a row (an empty customer, a group that is not
 * one of the values above, a date that cannot be read, a customer listed
 * again), a missing column or two candidates for one, no treatment or no
 * control customer, a segment column with more than
 * REBUY_UPLIFT_MAX_SEGMENTS values; REBUY_EARG for a bad option or a
 * column flag naming no column; REBUY_ELIMIT for a revenue sum beyond
 * int64; REBUY_ENOMEM. The table and orders are only read; may run on
 * several threads (n_threads). */
enum rebuy_status rebuy_uplift_compute(const struct rebuy_table *table,
                                       const struct rebuy_orders *orders,
                                       const struct rebuy_uplift_options *opts,
                                       struct rebuy_uplift **out, struct rebuy_error *err);

void rebuy_uplift_free(struct rebuy_uplift *uplift);

/* Adds the result to doc under parent (the JSON contract of
 * docs/uplift.md): the settings and counts, `groups`, `effects`, `balance`,
 * `segments` (with segmentations), `campaign_input`, `input` (the orders'
 * report, when not NULL; hidden in text tables) and `definitions`. */
void rebuy_uplift_doc(const struct rebuy_uplift *uplift,
                      const struct rebuy_input_report *orders_report, struct rebuy_doc *doc,
                      struct rebuy_node *parent);

#ifdef __cplusplus
}
#endif
#endif
