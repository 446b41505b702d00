/* rebuy — cohorts (DESIGN.md §4, docs/cohorts.md).
 *
 * A customer's cohort is the calendar period of their first purchase day;
 * offset k of a purchase is the number of periods from the cohort to the
 * purchase's period. Each cell (cohort, k) holds a count — customers,
 * orders, or revenue in exact 1/10,000 units — and a value, the count
 * divided by the cohort's size (a share of the cohort, orders or revenue
 * per cohort customer). Offset 0 is the acquisition period: its customer
 * count is the cohort's size in every mode.
 *
 * Modes, for customers: on (bought in offset k), on-or-after (bought in
 * offset k or later: last purchase offset >= k), rolling (bought in every
 * offset 1..k), cumulative (bought at least once in offsets 1..k). For
 * orders and revenue the mode picks the purchases summed in cell k: on
 * (those in offset k), on-or-after (offsets k and later), rolling (those in
 * offset k of the customers who bought in every offset 1..k), cumulative
 * (offsets 0..k, the acquisition period included). ltv is revenue summed
 * over offsets 0..k per cohort customer (the realized LTV curve) whatever
 * the mode.
 *
 * A cell is partial when its period ends after the as-of day (it is cut
 * off by the end of the data). The average row weights each cohort by its
 * size over the cohorts whose cell k is complete: sum of counts / sum of
 * sizes. Every value depends only on the orders, not on thread count.
 */
#ifndef REBUY_COHORTS_H
#define REBUY_COHORTS_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/date.h"
#include "rebuy/error.h"
#include "rebuy/input.h"
#include "rebuy/orders.h"

#ifdef __cplusplus
extern "C" {
#endif

enum rebuy_cohort_mode {
	REBUY_COHORT_ON,
	REBUY_COHORT_ON_OR_AFTER,
	REBUY_COHORT_ROLLING,
	REBUY_COHORT_CUMULATIVE
};

enum rebuy_cohort_metric {
	REBUY_COHORT_CUSTOMERS,
	REBUY_COHORT_ORDERS,
	REBUY_COHORT_REVENUE,
	REBUY_COHORT_LTV
};

/* "on", "on-or-after", "rolling", "cumulative" -> *out; REBUY_EARG (with a
 * message naming the value) otherwise. */
enum rebuy_status rebuy_cohort_mode_from_name(const char *name, enum rebuy_cohort_mode *out,
                                              struct rebuy_error *err);
const char *rebuy_cohort_mode_name(enum rebuy_cohort_mode mode);
/* "customers", "orders", "revenue", "ltv" -> *out; REBUY_EARG otherwise. */
enum rebuy_status rebuy_cohort_metric_from_name(const char *name, enum rebuy_cohort_metric *out,
                                                struct rebuy_error *err);
const char *rebuy_cohort_metric_name(enum rebuy_cohort_metric metric);

/* No limit on the offsets (all offsets up to the end of the data). */
#define REBUY_COHORT_ALL_OFFSETS SIZE_MAX

struct rebuy_cohorts_options {
	enum rebuy_period period;        /* cohort and offset unit; default month */
	enum rebuy_cohort_mode mode;     /* default on */
	enum rebuy_cohort_metric metric; /* default customers */
	size_t max_offset; /* the last offset kept; default REBUY_COHORT_ALL_OFFSETS */
	int has_as_of;
	int64_t as_of_day; /* default: the day after the last purchase */
	int has_by;
	size_t by_attribute; /* with has_by: split by attribute k of the first purchase */
	unsigned n_threads;  /* 0: one per online CPU */
};

void rebuy_cohorts_options_init(struct rebuy_cohorts_options *opts);

/* One cohort: the customers whose first purchase day falls in one period
 * (and, with by, whose first purchase has one attribute value). */
struct rebuy_cohort {
	int64_t index;     /* rebuy_period_index of the cohort's period */
	int64_t start_day; /* its first day */
	uint32_t by;       /* with by: the attribute value id (see by_values) */
	uint64_t size;     /* customers; 0 for a period without new customers */
	size_t n_offsets;  /* cells 0..n_offsets-1: up to the as-of day or max_offset */
	int has_partial;
	size_t partial_from; /* with has_partial: the first partial offset */
	/* n_offsets cells. counts: customers, orders, or revenue in 1/10,000
	 * units (revenue and ltv). values: counts / size (revenue in currency
	 * units); NaN when size is 0. */
	const int64_t *counts;
	const double *values;
};

struct rebuy_cohorts {
	enum rebuy_period period;
	enum rebuy_cohort_mode mode;
	enum rebuy_cohort_metric metric;
	int has_amount;              /* of the orders; revenue and ltv need it */
	int64_t first_day, last_day; /* of purchases */
	int64_t as_of_day;
	size_t max_offset;  /* as asked (REBUY_COHORT_ALL_OFFSETS: none) */
	uint64_t customers; /* with at least one purchase = the sum of the sizes */

	/* With by: the attribute's column name and the text of every value id
	 * (n_by_values of them; a value no customer started with still has its
	 * text). Owned by this result. */
	int has_by;
	const char *by_name;
	size_t n_by_values;
	const char *const *by_values;

	/* Without by: one cohort for every period from the first purchase's to
	 * the one holding the day before the as-of day, in time order, periods
	 * without new customers included (size 0). With by: for every value
	 * that starts at least one customer, the periods from its first cohort
	 * to that same last period, ordered by value text then time. */
	size_t n_cohorts;
	const struct rebuy_cohort *cohorts;

	/* The average row: n_offsets entries (the most any cohort has).
	 * average[k] = sum of counts[k] / sum of sizes over the cohorts whose
	 * cell k exists and is complete (money in currency units); NaN when
	 * that sum of sizes is 0. average_size[k] is that sum of sizes. */
	size_t n_offsets;
	const double *average;
	const uint64_t *average_size;

	struct rebuy__cohorts_priv *priv;
};

/* Computes the cohort table of orders. REBUY_EDATA when there is no
 * purchase, or when the metric is revenue or ltv and the orders have no
 * amounts; REBUY_EARG when the as-of day is not after the last purchase day
 * or by_attribute is not an attribute of the orders; REBUY_ELIMIT when a
 * sum does not fit 64 bits or the table would exceed 16,777,216 cells
 * (choose a longer period or --max-offset). On success *out owns a new
 * result (free with rebuy_cohorts_free); on failure *out is NULL. Reads
 * orders from several threads; orders must stay unchanged meanwhile. */
enum rebuy_status rebuy_cohorts_compute(const struct rebuy_orders *orders,
                                        const struct rebuy_cohorts_options *opts,
                                        struct rebuy_cohorts **out, struct rebuy_error *err);

void rebuy_cohorts_free(struct rebuy_cohorts *cohorts);

struct rebuy_doc;
struct rebuy_node;

/* Adds the cohort table to doc under parent (the JSON contract of
 * docs/cohorts.md): period, mode, metric, [by], as_of, first_purchase,
 * last_purchase, customers, max_offset, cohorts [{cohort, [by], start,
 * size, values, counts, partial_from}], average, average_size,
 * definitions, and `input` when report is not NULL. Borrows nothing after
 * it returns. */
void rebuy_cohorts_doc(const struct rebuy_cohorts *cohorts, const struct rebuy_input_report *report,
                       struct rebuy_doc *doc, struct rebuy_node *parent);

/* The definition texts used in the document, for tables: of `values` and
 * `counts` under the result's mode and metric. Static strings. */
const char *rebuy_cohorts_values_definition(const struct rebuy_cohorts *cohorts);
const char *rebuy_cohorts_counts_definition(const struct rebuy_cohorts *cohorts);

#ifdef __cplusplus
}
#endif
#endif
