/* The summary and input report as a document: stable snake_case keys (the
 * JSON contract of docs/summary.md), a definition for every measure with
 * its denominator, and labels for the text table. No computing here. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rebuy/doc.h"
#include "rebuy/input.h"
#include "rebuy/summary.h"
#include "report/defs.h"

/* Definitions, in output order. Keys with a dot live in a nested object. */
static const struct rebuy__def defs[] = {
        {"customers", "Customers", "customers with at least one purchase (an order worth >= 0)"},
        {"orders", "Orders",
         "purchases: lines grouped by order key, or by (customer, time) without one; returns "
         "excluded"},
        {"revenue", "Revenue", "sum of purchase values"},
        {"zero_value_orders", "Zero-value orders",
         "purchases worth exactly 0 (free or sample orders); counted in orders"},
        {"returns.orders", "Orders", "orders worth < 0 (cancellations, refunds, credit notes)"},
        {"returns.value", "Value", "value of the returns, as a positive amount"},
        {"returns.return_rate", "Return rate", "returned value / revenue"},
        {"net_revenue", "Net revenue", "revenue - returned value"},
        {"repeat_customers", "Repeat customers", "customers with >= 2 orders"},
        {"repeat_purchase_rate", "Repeat purchase rate", "customers with >= 2 orders / customers"},
        {"repeat_purchase_rate_days", "Repeat rate (days)",
         "customers with >= 2 purchase days / customers"},
        {"purchase_frequency", "Purchase frequency", "orders / customers"},
        {"aov", "Average order value", "revenue / orders"},
        {"repeat_revenue_share", "Repeat revenue share",
         "revenue of purchase days after each customer's first purchase day / revenue"},
        {"mean_days_between_purchases", "Mean days between",
         "mean gap in days between consecutive purchase days of a customer, over all gaps"},
        {"median_days_between_purchases", "Median days between",
         "median of those gaps (the mean of the middle two for an even count)"},
        {"median_days_to_second_purchase", "Median days to 2nd",
         "median days from the first to the second purchase day, over customers with >= 2 purchase "
         "days"},
        {"historic_ltv", "Historic LTV", "revenue / customers"},
        {"simple_ltv.value", "Simple LTV",
         "monthly revenue per active customer x lifetime in months"},
        {"simple_ltv.monthly_revenue_per_customer", "Monthly revenue per customer",
         "revenue / active customers (E), each summed over the complete months"},
        {"simple_ltv.lifetime_months", "Lifetime (months)",
         "1 / mean monthly churn, over the complete months after the first that have S > 0"},
        {"periods.E", "E", "customers with a purchase in the period"},
        {"periods.N", "N", "customers whose first purchase is in the period"},
        {"periods.S", "S", "customers with a purchase in the previous period"},
        {"periods.crr", "CRR",
         "(E - N) / S, the textbook customer retention rate; it counts reactivated customers, so "
         "it can exceed 1"},
        {"periods.retained", "retained",
         "customers with a purchase in both the previous period and this one"},
        {"periods.strict_retention", "strict", "retained / S"},
        {"periods.churn", "churn", "1 - strict_retention"},
        {"periods.reactivated", "react.",
         "E - N - retained: back after a gap of one period or more"},
        {"periods.dormant", "dormant", "S - retained"},
        {"periods.aov", "AOV", "revenue / orders of the period"},
        {"periods.revenue_new", "new rev.",
         "revenue from customers whose first purchase is in the period"},
        {"periods.revenue_returning", "ret. rev.", "revenue from the other customers"},
        {"periods.partial", "partial",
         "the period's last day is on or after the as-of date: cut off by the end of the data"},
};

#define lab(doc, n, key) REBUY__LAB(doc, n, key, 1)

static struct rebuy_node *money_or_null(struct rebuy_doc *doc, struct rebuy_node *p,
                                        const char *key, int has, int64_t v)
{
	return has ? rebuy_doc_money(doc, p, key, v) : rebuy_doc_null(doc, p, key);
}

static void day_text(int64_t day, char *buf, size_t size)
{
	rebuy_format_day(day, buf, size);
}

void rebuy_input_report_doc(const struct rebuy_input_report *rep, struct rebuy_doc *doc,
                            struct rebuy_node *parent)
{
	struct rebuy_node *in = rebuy_doc_obj(doc, parent, "input");
	rebuy_doc_label(doc, in, "Input", NULL);
	rebuy_doc_label(doc, rebuy_doc_str(doc, in, "file", rep->path), "File", NULL);
	rebuy_doc_label(doc, rebuy_doc_uint(doc, in, "rows", rep->rows), "Rows",
	                "data rows read (blank lines are not rows)");
	rebuy_doc_label(doc, rebuy_doc_uint(doc, in, "rows_used", rep->rows_used), "Rows used",
	                "rows that became part of an order");
	struct rebuy_node *rej = rebuy_doc_obj(doc, in, "rejected");
	rebuy_doc_label(doc, rej, "Rejected rows", NULL);
	for (int r = 0; r < REBUY_REASON_COUNT; r++)
		rebuy_doc_uint(doc, rej, rebuy_reason_name((enum rebuy_reason)r), rep->rejected[r]);
	rebuy_doc_label(doc, rebuy_doc_uint(doc, in, "rounded_amounts", rep->rounded_amounts),
	                "Rounded amounts",
	                "amounts with more than 4 decimals, rounded half to even");
	rebuy_doc_label(
	        doc, rebuy_doc_uint(doc, in, "orders_outside_window", rep->orders_outside_window),
	        "Orders outside window", "orders left out by --from, --to or --as-of");
	rebuy_doc_label(doc, rebuy_doc_uint(doc, in, "lines_merged", rep->lines_merged),
	                "Lines merged", "lines folded into an order with other lines");
	rebuy_doc_label(doc, rebuy_doc_uint(doc, in, "blank_lines", rep->blank_lines),
	                "Blank lines", NULL);
	char delim[16];
	if (rep->delimiter == REBUY_DELIM_WHITESPACE)
		snprintf(delim, sizeof delim, "whitespace");
	else if (rep->delimiter == '\t')
		snprintf(delim, sizeof delim, "tab");
	else
		snprintf(delim, sizeof delim, "%c", rep->delimiter ? rep->delimiter : ',');
	rebuy_doc_label(doc, rebuy_doc_str(doc, in, "delimiter", delim), "Delimiter", NULL);
	rebuy_doc_label(doc, rebuy_doc_bool(doc, in, "header", rep->has_header), "Header", NULL);
	rebuy_doc_label(doc,
	                rebuy_doc_str(doc, in, "date_format",
	                              rep->date_format.kind == REBUY_DATE_PATTERN
	                                      ? rep->date_format.pattern
	                              : rep->date_format_name ? rep->date_format_name
	                                                      : "auto"),
	                "Date format", NULL);
	rebuy_doc_label(doc, rebuy_doc_bool(doc, in, "decimal_comma", rep->decimal_comma),
	                "Decimal comma", NULL);
	if (rep->currency[0])
		rebuy_doc_label(doc, rebuy_doc_str(doc, in, "currency", rep->currency), "Currency",
		                NULL);
	struct rebuy_node *cols = rebuy_doc_obj(doc, in, "columns");
	rebuy_doc_label(doc, cols, "Columns by role", NULL);
	for (int r = 0; r < REBUY_ROLE_COUNT; r++) {
		int c = rep->role_column[r];
		if (c >= 0 && (size_t)c < rep->n_columns)
			rebuy_doc_str(doc, cols, rebuy_role_name((enum rebuy_role)r),
			              rep->column_names[c]);
	}
}

static void period_rows(const struct rebuy_summary *s, struct rebuy_doc *doc,
                        struct rebuy_node *parent)
{
	struct rebuy_node *arr = rebuy_doc_arr(doc, parent, "periods");
	char title[64];
	snprintf(title, sizeof title, "Periods (%s)", rebuy_period_name(s->period));
	rebuy_doc_label(doc, arr, title, NULL);
	const int money = s->has_amount;
	for (size_t i = 0; i < s->n_periods; i++) {
		const struct rebuy_period_row *r = &s->periods[i];
		struct rebuy_node *o = rebuy_doc_obj(doc, arr, NULL);
		char buf[32];
		rebuy_period_label(s->period, r->index, buf, sizeof buf);
		rebuy_doc_str(doc, o, "period", buf);
		day_text(r->start_day, buf, sizeof buf);
		rebuy_doc_table_hide(rebuy_doc_str(doc, o, "start", buf));
		lab(doc, rebuy_doc_bool(doc, o, "partial", r->is_partial), "periods.partial");
		lab(doc, rebuy_doc_uint(doc, o, "E", r->E), "periods.E");
		lab(doc, rebuy_doc_uint(doc, o, "N", r->N), "periods.N");
		lab(doc, rebuy_doc_uint(doc, o, "S", r->S), "periods.S");
		lab(doc, rebuy_doc_num(doc, o, "crr", r->crr, REBUY_SHOW_RATE), "periods.crr");
		lab(doc, rebuy_doc_uint(doc, o, "retained", r->retained), "periods.retained");
		lab(doc,
		    rebuy_doc_num(doc, o, "strict_retention", r->strict_retention, REBUY_SHOW_RATE),
		    "periods.strict_retention");
		lab(doc, rebuy_doc_num(doc, o, "churn", r->churn, REBUY_SHOW_RATE),
		    "periods.churn");
		lab(doc, rebuy_doc_uint(doc, o, "reactivated", r->reactivated),
		    "periods.reactivated");
		lab(doc, rebuy_doc_uint(doc, o, "dormant", r->dormant), "periods.dormant");
		rebuy_doc_uint(doc, o, "orders", r->orders);
		money_or_null(doc, o, "revenue", money, r->revenue);
		lab(doc, rebuy_doc_num(doc, o, "aov", money ? r->aov : NAN, REBUY_SHOW_MONEY),
		    "periods.aov");
		lab(doc, money_or_null(doc, o, "revenue_new", money, r->revenue_new),
		    "periods.revenue_new");
		lab(doc, money_or_null(doc, o, "revenue_returning", money, r->revenue_returning),
		    "periods.revenue_returning");
	}
}

void rebuy_summary_doc(const struct rebuy_summary *s, const struct rebuy_input_report *rep,
                       struct rebuy_doc *doc, struct rebuy_node *root)
{
	const int money = s->has_amount;
	char buf[32];
	lab(doc, rebuy_doc_uint(doc, root, "customers", s->customers), "customers");
	lab(doc, rebuy_doc_uint(doc, root, "orders", s->orders), "orders");
	lab(doc, money_or_null(doc, root, "revenue", money, s->revenue), "revenue");
	lab(doc,
	    money ? rebuy_doc_uint(doc, root, "zero_value_orders", s->zero_value_orders)
	          : rebuy_doc_null(doc, root, "zero_value_orders"),
	    "zero_value_orders");
	struct rebuy_node *ret = rebuy_doc_obj(doc, root, "returns");
	rebuy_doc_label(doc, ret, "Returns", NULL);
	lab(doc,
	    money ? rebuy_doc_uint(doc, ret, "orders", s->return_orders)
	          : rebuy_doc_null(doc, ret, "orders"),
	    "returns.orders");
	lab(doc, money_or_null(doc, ret, "value", money, s->return_value), "returns.value");
	lab(doc, rebuy_doc_num(doc, ret, "return_rate", s->return_rate, REBUY_SHOW_RATE),
	    "returns.return_rate");
	lab(doc, money_or_null(doc, root, "net_revenue", money, s->net_revenue), "net_revenue");
	lab(doc, rebuy_doc_uint(doc, root, "repeat_customers", s->repeat_customers),
	    "repeat_customers");
	lab(doc,
	    rebuy_doc_num(doc, root, "repeat_purchase_rate", s->repeat_purchase_rate,
	                  REBUY_SHOW_RATE),
	    "repeat_purchase_rate");
	lab(doc,
	    rebuy_doc_num(doc, root, "repeat_purchase_rate_days", s->repeat_purchase_rate_days,
	                  REBUY_SHOW_RATE),
	    "repeat_purchase_rate_days");
	lab(doc,
	    rebuy_doc_num(doc, root, "purchase_frequency", s->purchase_frequency,
	                  REBUY_SHOW_DECIMAL),
	    "purchase_frequency");
	lab(doc, rebuy_doc_num(doc, root, "aov", s->aov, REBUY_SHOW_MONEY), "aov");
	lab(doc,
	    rebuy_doc_num(doc, root, "repeat_revenue_share", s->repeat_revenue_share,
	                  REBUY_SHOW_RATE),
	    "repeat_revenue_share");
	lab(doc,
	    rebuy_doc_num(doc, root, "mean_days_between_purchases", s->mean_days_between_purchases,
	                  REBUY_SHOW_DAYS),
	    "mean_days_between_purchases");
	lab(doc,
	    rebuy_doc_num(doc, root, "median_days_between_purchases",
	                  s->median_days_between_purchases, REBUY_SHOW_DAYS),
	    "median_days_between_purchases");
	lab(doc,
	    rebuy_doc_num(doc, root, "median_days_to_second_purchase",
	                  s->median_days_to_second_purchase, REBUY_SHOW_DAYS),
	    "median_days_to_second_purchase");
	lab(doc, rebuy_doc_num(doc, root, "historic_ltv", s->historic_ltv, REBUY_SHOW_MONEY),
	    "historic_ltv");
	struct rebuy_node *sl = rebuy_doc_obj(doc, root, "simple_ltv");
	rebuy_doc_label(doc, sl, "Simple LTV", NULL);
	lab(doc, rebuy_doc_num(doc, sl, "value", s->simple_ltv.value, REBUY_SHOW_MONEY),
	    "simple_ltv.value");
	lab(doc,
	    rebuy_doc_num(doc, sl, "monthly_revenue_per_customer",
	                  s->simple_ltv.monthly_revenue_per_customer, REBUY_SHOW_MONEY),
	    "simple_ltv.monthly_revenue_per_customer");
	lab(doc,
	    rebuy_doc_num(doc, sl, "lifetime_months", s->simple_ltv.lifetime_months,
	                  REBUY_SHOW_DECIMAL),
	    "simple_ltv.lifetime_months");
	rebuy_doc_label(doc,
	                rebuy_doc_num(doc, sl, "mean_monthly_churn",
	                              s->simple_ltv.mean_monthly_churn, REBUY_SHOW_RATE),
	                "Mean monthly churn", "mean of the monthly churn over those months");
	rebuy_doc_label(doc, rebuy_doc_uint(doc, sl, "months", s->simple_ltv.n_months), "Months",
	                "complete months after the first with S > 0 (the churn months)");

	rebuy_doc_label(doc, rebuy_doc_str(doc, root, "period", rebuy_period_name(s->period)),
	                "Period", NULL);
	day_text(s->first_day, buf, sizeof buf);
	rebuy_doc_label(doc, rebuy_doc_str(doc, root, "first_purchase", buf), "First purchase",
	                NULL);
	day_text(s->last_day, buf, sizeof buf);
	rebuy_doc_label(doc, rebuy_doc_str(doc, root, "last_purchase", buf), "Last purchase", NULL);
	day_text(s->as_of_day, buf, sizeof buf);
	rebuy_doc_label(doc, rebuy_doc_str(doc, root, "as_of", buf), "As of",
	                "the analysis date: purchases before it count");

	if (rep)
		rebuy_input_report_doc(rep, doc, root);
	struct rebuy_node *d = rebuy_doc_obj(doc, root, "definitions");
	rebuy_doc_table_hide(d);
	for (size_t i = 0; i < sizeof defs / sizeof *defs; i++)
		rebuy_doc_str(doc, d, defs[i].key, defs[i].text);
	period_rows(s, doc, root);
}

/* ---- lifecycle and distributions ------------------------------------------ */

void rebuy_summary_lifecycle_doc(const struct rebuy_summary *s, struct rebuy_doc *doc,
                                 struct rebuy_node *parent)
{
	struct rebuy_node *arr = rebuy_doc_arr(doc, parent, "lifecycle");
	char title[64];
	snprintf(title, sizeof title, "Lifecycle (%s)", rebuy_period_name(s->period));
	rebuy_doc_label(doc, arr, title, NULL);
	for (size_t i = 0; i < s->n_periods; i++) {
		const struct rebuy_period_row *r = &s->periods[i];
		struct rebuy_node *o = rebuy_doc_obj(doc, arr, NULL);
		char buf[32];
		rebuy_period_label(s->period, r->index, buf, sizeof buf);
		rebuy_doc_str(doc, o, "period", buf);
		day_text(r->start_day, buf, sizeof buf);
		rebuy_doc_table_hide(rebuy_doc_str(doc, o, "start", buf));
		rebuy_doc_bool(doc, o, "partial", r->is_partial);
		rebuy_doc_uint(doc, o, "active", r->E);
		rebuy_doc_uint(doc, o, "new", r->N);
		rebuy_doc_uint(doc, o, "returning", r->retained);
		rebuy_doc_uint(doc, o, "resurrecting", r->reactivated);
		rebuy_doc_uint(doc, o, "dormant", r->dormant);
		/* Growth accounting: what came in over what went out. */
		double quick =
		        r->dormant ? (double)(r->N + r->reactivated) / (double)r->dormant : NAN;
		rebuy_doc_label(doc,
		                rebuy_doc_num(doc, o, "quick_ratio", quick, REBUY_SHOW_DECIMAL),
		                "quick", NULL);
		if (s->has_amount) {
			rebuy_doc_label(doc, rebuy_doc_money(doc, o, "revenue_new", r->revenue_new),
			                "new rev.", NULL);
			rebuy_doc_label(
			        doc,
			        rebuy_doc_money(doc, o, "revenue_returning", r->revenue_returning),
			        "ret. rev.", NULL);
		}
	}
}

/* How many histogram values (and tail values) lie in [from, to]. */
static uint64_t count_between(const uint64_t *hist, size_t len, const uint64_t *tail, size_t n_tail,
                              uint64_t from, uint64_t to)
{
	uint64_t n = 0;
	for (uint64_t k = from; k < len && k <= to; k++)
		n += hist[k];
	for (size_t i = 0; i < n_tail; i++)
		n += tail[i] >= from && tail[i] <= to;
	return n;
}

struct bin {
	uint64_t from, to; /* inclusive; UINT64_MAX: no upper end */
};

static const struct bin day_bins[] = {{1, 7},   {8, 14},   {15, 30},   {31, 60},
                                      {61, 90}, {91, 180}, {181, 365}, {366, UINT64_MAX}};
static const struct bin order_bins[] = {{1, 1},  {2, 2},   {3, 3},   {4, 4},          {5, 5},
                                        {6, 10}, {11, 20}, {21, 50}, {51, UINT64_MAX}};

/* One distribution as an object under parent, or, when flat is set, only
 * its histogram rows appended to the array flat (for CSV). */
static void distribution(struct rebuy_doc *doc, struct rebuy_node *parent, struct rebuy_node *flat,
                         const char *key, const char *label, const char *what, const uint64_t *hist,
                         size_t len, const uint64_t *tail, size_t n_tail, const struct bin *bins,
                         size_t n_bins)
{
	uint64_t n = n_tail, sum = 0;
	double min = NAN, max = NAN;
	for (size_t k = 0; k < len; k++) {
		if (!hist[k])
			continue;
		n += hist[k];
		sum += hist[k] * k;
		if (isnan(min))
			min = (double)k;
		max = (double)k;
	}
	for (size_t i = 0; i < n_tail; i++) {
		sum += tail[i];
		if (isnan(min))
			min = (double)tail[i];
		max = (double)tail[i];
	}
	struct rebuy_node *d = flat ? NULL : rebuy_doc_obj(doc, parent, key);
	rebuy_doc_label(doc, d, label, what);
	rebuy_doc_label(doc, rebuy_doc_uint(doc, d, "n", n), "Count", NULL);
	rebuy_doc_label(doc,
	                rebuy_doc_num(doc, d, "mean", n ? (double)sum / (double)n : NAN,
	                              REBUY_SHOW_DECIMAL),
	                "Mean", NULL);
	rebuy_doc_label(doc, rebuy_doc_num(doc, d, "min", min, REBUY_SHOW_PLAIN), "Min", NULL);
	rebuy_doc_label(doc, rebuy_doc_num(doc, d, "max", max, REBUY_SHOW_PLAIN), "Max", NULL);
	struct rebuy_node *q = rebuy_doc_obj(doc, d, "quantiles");
	rebuy_doc_label(doc, q, "Quantiles", "R type 7: linear between order statistics");
	static const struct {
		const char *key;
		double p;
	} ps[] = {{"p05", 0.05}, {"p10", 0.10}, {"p25", 0.25}, {"p50", 0.50},
	          {"p75", 0.75}, {"p90", 0.90}, {"p95", 0.95}, {"p99", 0.99}};
	for (size_t i = 0; i < sizeof ps / sizeof *ps; i++)
		rebuy_doc_num(doc, q, ps[i].key,
		              rebuy_hist_quantile(hist, len, tail, n_tail, ps[i].p),
		              REBUY_SHOW_DECIMAL);
	struct rebuy_node *h = flat ? flat : rebuy_doc_arr(doc, d, "histogram");
	rebuy_doc_label(doc, h, "Histogram", NULL);
	for (size_t i = 0; i < n_bins; i++) {
		struct rebuy_node *b = rebuy_doc_obj(doc, h, NULL);
		uint64_t c = count_between(hist, len, tail, n_tail, bins[i].from, bins[i].to);
		rebuy_doc_table_hide(rebuy_doc_str(doc, b, "distribution", key));
		rebuy_doc_uint(doc, b, "from", bins[i].from);
		if (bins[i].to == UINT64_MAX)
			rebuy_doc_null(doc, b, "to");
		else
			rebuy_doc_uint(doc, b, "to", bins[i].to);
		rebuy_doc_uint(doc, b, "count", c);
		rebuy_doc_num(doc, b, "share", n ? (double)c / (double)n : NAN, REBUY_SHOW_RATE);
	}
}

static void distributions(const struct rebuy_summary *s, struct rebuy_doc *doc,
                          struct rebuy_node *d, struct rebuy_node *flat)
{
	distribution(doc, d, flat, "days_between_purchases", "Days between purchases",
	             "gaps in days between consecutive purchase days of a customer", s->gap_hist,
	             s->gap_hist_len, NULL, 0, day_bins, sizeof day_bins / sizeof *day_bins);
	distribution(doc, d, flat, "days_to_second_purchase", "Days to the second purchase",
	             "days from the first to the second purchase day, customers with two or more",
	             s->second_hist, s->gap_hist_len, NULL, 0, day_bins,
	             sizeof day_bins / sizeof *day_bins);
	distribution(doc, d, flat, "orders_per_customer", "Orders per customer",
	             "purchases of each customer", s->orders_hist, REBUY_ORDERS_HIST,
	             s->orders_tail, s->n_orders_tail, order_bins,
	             sizeof order_bins / sizeof *order_bins);
}

void rebuy_summary_distributions_doc(const struct rebuy_summary *s, struct rebuy_doc *doc,
                                     struct rebuy_node *parent)
{
	struct rebuy_node *d = rebuy_doc_obj(doc, parent, "distributions");
	rebuy_doc_label(doc, d, "Distributions", NULL);
	distributions(s, doc, d, NULL);
}

void rebuy_summary_histograms_doc(const struct rebuy_summary *s, struct rebuy_doc *doc,
                                  struct rebuy_node *parent)
{
	distributions(s, doc, NULL, rebuy_doc_arr(doc, parent, "histograms"));
}
