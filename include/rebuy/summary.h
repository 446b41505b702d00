/* rebuy — the KPI pack and the period metrics (DESIGN.md §4).
 *
 * All measures are over purchases (orders worth >= 0) of the orders table,
 * which already holds only the analysis window. Money is summed exactly in
 * 1/10,000 units; ratios and means come from the exact sums. A ratio whose
 * denominator is zero is NaN ("not defined"), printed as null / "-".
 * Every value depends only on the orders, not on thread count or row order.
 */
#ifndef REBUY_SUMMARY_H
#define REBUY_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/date.h"
#include "rebuy/error.h"
#include "rebuy/orders.h"

#ifdef __cplusplus
extern "C" {
#endif

struct rebuy_summary_options {
	enum rebuy_period period; /* of the period metrics; default month */
	int has_as_of;
	int64_t as_of_day;  /* default: the day after the last purchase */
	unsigned n_threads; /* 0: one per online CPU */
};

void rebuy_summary_options_init(struct rebuy_summary_options *opts);

/* Metrics of one calendar period P (for P after the first; the first period
 * has S = 0 and its ratios are NaN). */
struct rebuy_period_row {
	int64_t index; /* rebuy_period_index of P */
	int64_t start_day;
	int is_partial;          /* P ends after the as-of day: cut off by the end of data */
	uint64_t E;              /* customers with a purchase in P */
	uint64_t N;              /* customers whose first purchase is in P */
	uint64_t S;              /* customers with a purchase in the period before P */
	uint64_t retained;       /* |S n E| */
	uint64_t reactivated;    /* E - N - retained: back after a gap of one period or more */
	uint64_t dormant;        /* S - retained */
	double crr;              /* (E - N) / S; counts reactivations, so it can exceed 1 */
	double strict_retention; /* retained / S */
	double churn;            /* 1 - strict_retention */
	uint64_t orders;
	int64_t revenue;
	double aov;          /* revenue / orders */
	int64_t revenue_new; /* from customers whose first purchase is in P */
	int64_t revenue_returning;
};

struct rebuy_summary {
	int has_amount;     /* 0: every money measure below is absent (0 / NaN) */
	uint64_t customers; /* with at least one purchase */
	uint64_t orders;    /* purchases */
	int64_t revenue;
	uint64_t zero_value_orders;
	uint64_t return_orders;
	int64_t return_value;           /* positive amount */
	double return_rate;             /* return_value / revenue */
	int64_t net_revenue;            /* revenue - return_value */
	uint64_t repeat_customers;      /* >= 2 orders */
	uint64_t repeat_customers_days; /* >= 2 purchase days */
	double repeat_purchase_rate;
	double repeat_purchase_rate_days;
	double purchase_frequency; /* orders / customers */
	double aov;                /* revenue / orders */
	int64_t repeat_revenue;    /* of purchase days after each customer's first */
	double repeat_revenue_share;
	uint64_t n_gaps; /* gaps between consecutive purchase days */
	double mean_days_between_purchases;
	double median_days_between_purchases;
	double median_days_to_second_purchase; /* over customers with >= 2 purchase days */
	double historic_ltv;                   /* revenue / customers */
	struct {
		double value; /* monthly revenue per active customer x lifetime */
		double monthly_revenue_per_customer;
		double lifetime_months; /* 1 / mean monthly churn */
		double mean_monthly_churn;
		size_t n_months; /* complete months the means are over */
	} simple_ltv;

	enum rebuy_period period;
	int64_t first_day, last_day; /* of purchases */
	int64_t as_of_day;
	size_t n_periods;
	struct rebuy_period_row *periods;

	/* Distributions, in days: hist[k] = how many gaps (or customers) of k days. */
	size_t gap_hist_len;
	uint64_t *gap_hist;    /* gaps between consecutive purchase days */
	uint64_t *second_hist; /* first to second purchase day */
	/* Orders per customer: counts of 0 .. REBUY_ORDERS_HIST - 1 orders in
	 * orders_hist, and the exact counts of the rare customers with more in
	 * orders_tail (sorted). */
	uint64_t *orders_hist;
	uint64_t *orders_tail;
	size_t n_orders_tail;
};

/* Computes the summary of orders. REBUY_EDATA when there is no purchase;
 * REBUY_ELIMIT when a sum does not fit 64 bits or the periods would be more
 * than 100,000. */
enum rebuy_status rebuy_summary_compute(const struct rebuy_orders *orders,
                                        const struct rebuy_summary_options *opts,
                                        struct rebuy_summary **out, struct rebuy_error *err);

void rebuy_summary_free(struct rebuy_summary *summary);

struct rebuy_doc;
struct rebuy_node;

/* Adds the summary to doc under parent: the KPI pack (keys of the JSON
 * contract in docs/summary.md), `input` (when report is not NULL),
 * `definitions`, and `periods`. */
void rebuy_summary_doc(const struct rebuy_summary *summary, const struct rebuy_input_report *report,
                       struct rebuy_doc *doc, struct rebuy_node *parent);

/* Adds `lifecycle`: per period active (E), new (N), returning (retained),
 * resurrecting (reactivated), dormant, the quick ratio (new + resurrecting)
 * / dormant, and revenue from new and returning customers. */
void rebuy_summary_lifecycle_doc(const struct rebuy_summary *summary, struct rebuy_doc *doc,
                                 struct rebuy_node *parent);

/* Adds `distributions`: days between purchase days, days to the second
 * purchase and orders per customer, each with n, mean, min, max, quantiles
 * (p05..p99, R type 7) and a histogram in fixed bins. */
void rebuy_summary_distributions_doc(const struct rebuy_summary *summary, struct rebuy_doc *doc,
                                     struct rebuy_node *parent);

/* Adds `histograms`: the histogram bins of the three distributions as one
 * flat table (distribution, from, to, count, share), for CSV. */
void rebuy_summary_histograms_doc(const struct rebuy_summary *summary, struct rebuy_doc *doc,
                                  struct rebuy_node *parent);

/* Adds the `input` block of a report (rows, rows used, rejected by reason,
 * the detected layout) under parent. */
void rebuy_input_report_doc(const struct rebuy_input_report *report, struct rebuy_doc *doc,
                            struct rebuy_node *parent);

#define REBUY_ORDERS_HIST 4096

/* The p-quantile (0 <= p <= 1) of n values given as a histogram
 * (hist[k] = how many values equal k, k < len) and a sorted tail of values
 * of len or more: R's type 7, linear between the order statistics at ranks
 * floor((n - 1) p) and the next. NaN when n is 0. */
double rebuy_hist_quantile(const uint64_t *hist, size_t len, const uint64_t *tail, size_t n_tail,
                           double p);

/* The median of a histogram of n values (mean of the middle two when n is
 * even); NaN when n is 0. */
double rebuy_hist_median(const uint64_t *hist, size_t len, uint64_t n);

#ifdef __cplusplus
}
#endif
#endif
