/* The cohort table as a document: the JSON contract of docs/cohorts.md,
 * with a definition of values, counts, partial_from and the average under
 * the result's mode and metric. No computing here: every number comes from
 * struct rebuy_cohorts (src/measure/cohorts.c). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rebuy/cohorts.h"
#include "rebuy/doc.h"
#include "rebuy/summary.h"

/* Definitions of values and counts, by metric then mode (on, on-or-after,
 * rolling, cumulative). */
static const char *const values_defs[3][4] = {
        {"share of the cohort who bought in offset k (counts / size)",
         "share of the cohort who bought in offset k or later, up to the as-of date (counts / "
         "size)",
         "share of the cohort who bought in every offset 1..k (counts / size)",
         "share of the cohort who bought at least once in offsets 1..k; 1 at offset 0 (counts / "
         "size)"},
        {"orders in offset k per cohort customer (counts / size)",
         "orders in offsets k and later, up to the as-of date, per cohort customer (counts / "
         "size)",
         "orders in offset k by the customers who bought in every offset 1..k, per cohort "
         "customer (counts / size)",
         "orders in offsets 0..k per cohort customer (counts / size)"},
        {"revenue in offset k per cohort customer (counts / size)",
         "revenue in offsets k and later, up to the as-of date, per cohort customer (counts / "
         "size)",
         "revenue in offset k from the customers who bought in every offset 1..k, per cohort "
         "customer (counts / size)",
         "revenue in offsets 0..k per cohort customer (counts / size)"},
};

static const char *const counts_defs[3][4] = {
        {"customers of the cohort who bought in offset k",
         "customers of the cohort whose last purchase is in offset k or later",
         "customers of the cohort who bought in every offset 1..k (offset 0: all)",
         "customers of the cohort who bought at least once in offsets 1..k (offset 0: all)"},
        {"orders of the cohort in offset k", "orders of the cohort in offsets k and later",
         "orders in offset k by the customers who bought in every offset 1..k",
         "orders of the cohort in offsets 0..k"},
        {"revenue of the cohort in offset k", "revenue of the cohort in offsets k and later",
         "revenue in offset k from the customers who bought in every offset 1..k",
         "revenue of the cohort in offsets 0..k"},
};

const char *rebuy_cohorts_values_definition(const struct rebuy_cohorts *c)
{
	if (c->metric == REBUY_COHORT_LTV)
		return "realized LTV: revenue in offsets 0..k per cohort customer (counts / size)";
	return values_defs[c->metric][c->mode];
}

const char *rebuy_cohorts_counts_definition(const struct rebuy_cohorts *c)
{
	if (c->metric == REBUY_COHORT_LTV)
		return counts_defs[REBUY_COHORT_REVENUE][REBUY_COHORT_CUMULATIVE];
	return counts_defs[c->metric][c->mode];
}

static enum rebuy_show show_of(const struct rebuy_cohorts *c)
{
	switch (c->metric) {
	case REBUY_COHORT_CUSTOMERS: return REBUY_SHOW_RATE;
	case REBUY_COHORT_ORDERS: return REBUY_SHOW_DECIMAL;
	default: return REBUY_SHOW_MONEY;
	}
}

static void add_count(struct rebuy_doc *doc, struct rebuy_node *arr, const struct rebuy_cohorts *c,
                      int64_t v)
{
	if (c->metric == REBUY_COHORT_REVENUE || c->metric == REBUY_COHORT_LTV)
		rebuy_doc_money(doc, arr, NULL, v);
	else
		rebuy_doc_int(doc, arr, NULL, v);
}

static void cohort_rows(const struct rebuy_cohorts *c, struct rebuy_doc *doc,
                        struct rebuy_node *parent)
{
	struct rebuy_node *arr = rebuy_doc_arr(doc, parent, "cohorts");
	const enum rebuy_show show = show_of(c);
	char buf[48];
	for (size_t i = 0; i < c->n_cohorts; i++) {
		const struct rebuy_cohort *r = &c->cohorts[i];
		struct rebuy_node *o = rebuy_doc_obj(doc, arr, NULL);
		rebuy_period_label(c->period, r->index, buf, sizeof buf);
		rebuy_doc_str(doc, o, "cohort", buf);
		if (c->has_by)
			rebuy_doc_str(doc, o, "by", c->by_values[r->by]);
		rebuy_format_day(r->start_day, buf, sizeof buf);
		rebuy_doc_str(doc, o, "start", buf);
		rebuy_doc_uint(doc, o, "size", r->size);
		struct rebuy_node *vals = rebuy_doc_arr(doc, o, "values");
		for (size_t k = 0; k < r->n_offsets; k++)
			rebuy_doc_num(doc, vals, NULL, r->values[k], show);
		struct rebuy_node *cnts = rebuy_doc_arr(doc, o, "counts");
		for (size_t k = 0; k < r->n_offsets; k++)
			add_count(doc, cnts, c, r->counts[k]);
		if (r->has_partial)
			rebuy_doc_uint(doc, o, "partial_from", r->partial_from);
		else
			rebuy_doc_null(doc, o, "partial_from");
	}
}

void rebuy_cohorts_doc(const struct rebuy_cohorts *c, const struct rebuy_input_report *rep,
                       struct rebuy_doc *doc, struct rebuy_node *root)
{
	char buf[48];
	rebuy_doc_str(doc, root, "period", rebuy_period_name(c->period));
	rebuy_doc_str(doc, root, "mode", rebuy_cohort_mode_name(c->mode));
	rebuy_doc_str(doc, root, "metric", rebuy_cohort_metric_name(c->metric));
	if (c->has_by)
		rebuy_doc_str(doc, root, "by", c->by_name);
	rebuy_format_day(c->as_of_day, buf, sizeof buf);
	rebuy_doc_str(doc, root, "as_of", buf);
	rebuy_format_day(c->first_day, buf, sizeof buf);
	rebuy_doc_str(doc, root, "first_purchase", buf);
	rebuy_format_day(c->last_day, buf, sizeof buf);
	rebuy_doc_str(doc, root, "last_purchase", buf);
	rebuy_doc_uint(doc, root, "customers", c->customers);
	if (c->max_offset == REBUY_COHORT_ALL_OFFSETS)
		rebuy_doc_null(doc, root, "max_offset");
	else
		rebuy_doc_uint(doc, root, "max_offset", c->max_offset);
	cohort_rows(c, doc, root);
	const enum rebuy_show show = show_of(c);
	struct rebuy_node *avg = rebuy_doc_arr(doc, root, "average");
	for (size_t k = 0; k < c->n_offsets; k++)
		rebuy_doc_num(doc, avg, NULL, c->average[k], show);
	struct rebuy_node *avs = rebuy_doc_arr(doc, root, "average_size");
	for (size_t k = 0; k < c->n_offsets; k++)
		rebuy_doc_uint(doc, avs, NULL, c->average_size[k]);

	struct rebuy_node *d = rebuy_doc_obj(doc, root, "definitions");
	rebuy_doc_str(doc, d, "cohort",
	              c->has_by ? "the period of the customer's first purchase day, and the value "
	                          "of the attribute on their first purchase"
	                        : "the period of the customer's first purchase day");
	rebuy_doc_str(doc, d, "offset",
	              "k = periods from the cohort's period to the purchase's; 0 is the "
	              "acquisition period");
	rebuy_doc_str(doc, d, "size",
	              "customers of the cohort (0 for a period without new customers)");
	rebuy_doc_str(doc, d, "values", rebuy_cohorts_values_definition(c));
	rebuy_doc_str(doc, d, "counts", rebuy_cohorts_counts_definition(c));
	rebuy_doc_str(doc, d, "partial_from",
	              "the first offset whose period ends after the as-of date (cut off by the end "
	              "of the data), or null");
	rebuy_doc_str(doc, d, "average",
	              "per offset: sum of counts / sum of sizes over the cohorts whose cell is "
	              "complete (the average of values weighted by cohort size)");
	rebuy_doc_str(doc, d, "average_size", "per offset: the sum of sizes the average is over");
	if (rep)
		rebuy_input_report_doc(rep, doc, root);
}
