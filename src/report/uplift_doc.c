/* The campaign evaluation as a document: stable snake_case keys (the JSON
 * contract of docs/uplift.md), a definition for every measure, labels for
 * the text table. Rates are fractions (percentages in the table). No
 * computing here. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rebuy/date.h"
#include "rebuy/doc.h"
#include "rebuy/summary.h"
#include "rebuy/uplift.h"
#include "report/defs.h"

static const struct rebuy__def defs[] = {
        {"campaign", "Campaign", "the campaign file"},
        {"window_days", "Window (days)",
         "each customer is followed over the days D <= d < D + window_days, D their send day "
         "(the send day included)"},
        {"level", "Level", "of the intervals; a result is significant when p < 1 - level"},
        {"as_of", "As of",
         "the first day without data: --as-of, else the day after --to, else the day after the "
         "last purchase"},
        {"first_send_date", "First send", "the earliest send day"},
        {"last_send_date", "Last send", "the latest send day"},
        {"customers", "Customers", "in the campaign file, each once"},
        {"treatment_customers", "Treated", "customers in the treatment group"},
        {"control_customers", "Control", "customers in the control group"},
        {"not_in_orders", "Without orders",
         "campaign customers with no order in the orders file: counted, as buying nothing"},
        {"incomplete_windows", "Incomplete windows",
         "customers whose window ends after the as-of day: they had less time to buy"},
        {"prior_incomplete_windows", "Incomplete prior windows",
         "customers whose prior window starts before the first purchase day in the data"},
        {"bootstrap", "Bootstrap replicates",
         "resamples of each group, with replacement, to its own size (0: none)"},
        {"seed", "Seed", "of the bootstrap: the same seed gives the same bytes"},
        {"rfm_as_of", "RFM segments as of",
         "the earliest send day: segments score the purchases before it"},
        {"groups.conversion_rate", "conversion",
         "customers with at least one purchase in their window / customers"},
        {"groups.orders_per_customer", "orders/cust.", "purchases in the windows / customers"},
        {"groups.revenue_per_customer", "revenue/cust.",
         "value of the purchases in the windows / customers"},
        {"groups.prior_conversion_rate", "prior conv.",
         "the same over the window_days days before the send day"},
        {"effects.difference", "difference", "treatment - control"},
        {"effects.difference_low", "low", "the interval of the difference at the level"},
        {"effects.relative", "relative", "treatment / control - 1"},
        {"effects.p_value", "p",
         "conversion: two-proportion z-test, pooled; orders and revenue (welch): Welch's t; "
         "revenue (bootstrap): 2 min(1 + #(d* <= 0), 1 + #(d* >= 0)) / (B + 1)"},
        {"effects.method", "method",
         "conversion: Newcombe's hybrid score interval (Wilson intervals of each rate); welch: "
         "difference +- t(df) SE, df by Welch-Satterthwaite; bootstrap: percentile interval of "
         "the resampled differences of means"},
        {"effects.relative_low", "relative low",
         "the interval of the relative uplift: the delta method on the log ratio, or the "
         "bootstrap percentiles"},
        {"effects.incremental", "incremental",
         "difference x treated customers: conversions, orders or revenue the campaign added"},
        {"balance.smd", "SMD",
         "standardized mean difference: (treatment - control) / sqrt((s_T^2 + s_C^2) / 2)"},
        {"balance.imbalanced", "imbalanced", "|SMD| > 0.1"},
        {"segments", "Segments",
         "the same effects within each segment: a campaign file column's values, or the RFM "
         "segment as of the earliest send day"},
};

#define lab(doc, n, key) REBUY__LAB(doc, n, key, 1)

/* How a measure's values are shown in the text table. */
static enum rebuy_show show_of(const char *measure)
{
	if (strstr(measure, "conversion"))
		return REBUY_SHOW_RATE;
	if (strstr(measure, "revenue"))
		return REBUY_SHOW_MONEY;
	return REBUY_SHOW_DECIMAL;
}

static struct rebuy_node *col(struct rebuy_doc *doc, struct rebuy_node *n, const char *label)
{
	rebuy_doc_label(doc, n, label, NULL);
	return n;
}

static void hide(struct rebuy_node *n)
{
	rebuy_doc_table_hide(n);
}

static void group_row(const struct rebuy_uplift *u, const char *name,
                      const struct rebuy_uplift_group *g, struct rebuy_doc *doc,
                      struct rebuy_node *arr)
{
	struct rebuy_node *o = rebuy_doc_obj(doc, arr, NULL);
	rebuy_doc_str(doc, o, "group", name);
	rebuy_doc_uint(doc, o, "customers", g->customers);
	col(doc, rebuy_doc_uint(doc, o, "not_in_orders", g->not_in_orders), "no orders");
	hide(rebuy_doc_uint(doc, o, "incomplete_windows", g->incomplete));
	rebuy_doc_uint(doc, o, "converted", g->converted);
	col(doc, rebuy_doc_num(doc, o, "conversion_rate", g->conversion_rate, REBUY_SHOW_RATE),
	    "conversion");
	hide(rebuy_doc_uint(doc, o, "orders", g->orders));
	col(doc,
	    rebuy_doc_num(doc, o, "orders_per_customer", g->orders_per_customer,
	                  REBUY_SHOW_DECIMAL),
	    "orders/cust.");
	hide(u->has_amount ? rebuy_doc_money(doc, o, "revenue", g->revenue)
	                   : rebuy_doc_null(doc, o, "revenue"));
	col(doc,
	    rebuy_doc_num(doc, o, "revenue_per_customer", g->revenue_per_customer,
	                  REBUY_SHOW_MONEY),
	    "revenue/cust.");
	hide(rebuy_doc_uint(doc, o, "prior_converted", g->prior_converted));
	col(doc,
	    rebuy_doc_num(doc, o, "prior_conversion_rate", g->prior_conversion_rate,
	                  REBUY_SHOW_RATE),
	    "prior conv.");
	col(doc,
	    rebuy_doc_num(doc, o, "prior_orders_per_customer", g->prior_orders_per_customer,
	                  REBUY_SHOW_DECIMAL),
	    "prior orders");
	col(doc,
	    rebuy_doc_num(doc, o, "prior_revenue_per_customer", g->prior_revenue_per_customer,
	                  REBUY_SHOW_MONEY),
	    "prior revenue");
}

/* The columns of an effect, in a row object o. */
static void effect_cols(const struct rebuy_uplift_effect *e, struct rebuy_doc *doc,
                        struct rebuy_node *o)
{
	enum rebuy_show show = show_of(e->measure);
	rebuy_doc_str(doc, o, "measure", e->measure);
	rebuy_doc_str(doc, o, "method", e->method);
	rebuy_doc_num(doc, o, "treatment", e->treatment, show);
	rebuy_doc_num(doc, o, "control", e->control, show);
	col(doc, rebuy_doc_num(doc, o, "difference", e->difference, show), "difference");
	col(doc, rebuy_doc_num(doc, o, "difference_low", e->low, show), "low");
	col(doc, rebuy_doc_num(doc, o, "difference_high", e->high, show), "high");
	rebuy_doc_num(doc, o, "relative", e->relative, REBUY_SHOW_RATE);
	hide(rebuy_doc_num(doc, o, "relative_low", e->relative_low, REBUY_SHOW_RATE));
	hide(rebuy_doc_num(doc, o, "relative_high", e->relative_high, REBUY_SHOW_RATE));
	hide(rebuy_doc_num(doc, o, "statistic", e->statistic, REBUY_SHOW_DECIMAL));
	hide(rebuy_doc_num(doc, o, "df", e->df, REBUY_SHOW_DECIMAL));
	col(doc, rebuy_doc_num(doc, o, "p_value", e->p_value, REBUY_SHOW_DECIMAL), "p");
	col(doc, rebuy_doc_bool(doc, o, "significant", e->is_significant), "sig.");
	enum rebuy_show inc = show == REBUY_SHOW_MONEY ? show : REBUY_SHOW_DECIMAL;
	rebuy_doc_num(doc, o, "incremental", e->incremental, inc);
	hide(rebuy_doc_num(doc, o, "incremental_low", e->incremental_low, inc));
	hide(rebuy_doc_num(doc, o, "incremental_high", e->incremental_high, inc));
}

static void effect_rows(const struct rebuy_uplift_result *r, struct rebuy_doc *doc,
                        struct rebuy_node *arr)
{
	for (int k = 0; k < REBUY_UPLIFT_MEASURE_COUNT; k++)
		effect_cols(&r->effects[k], doc, rebuy_doc_obj(doc, arr, NULL));
}

static void balance_rows(const struct rebuy_uplift_result *r, struct rebuy_doc *doc,
                         struct rebuy_node *arr)
{
	for (int k = 0; k < REBUY_UPLIFT_BALANCE_COUNT; k++) {
		const struct rebuy_uplift_balance *b = &r->balance[k];
		enum rebuy_show show = show_of(b->measure);
		struct rebuy_node *o = rebuy_doc_obj(doc, arr, NULL);
		rebuy_doc_str(doc, o, "measure", b->measure);
		rebuy_doc_num(doc, o, "treatment", b->treatment, show);
		rebuy_doc_num(doc, o, "control", b->control, show);
		rebuy_doc_num(doc, o, "difference", b->difference, show);
		col(doc, rebuy_doc_num(doc, o, "smd", b->smd, REBUY_SHOW_DECIMAL), "SMD");
		col(doc, rebuy_doc_num(doc, o, "p_value", b->p_value, REBUY_SHOW_DECIMAL), "p");
		rebuy_doc_bool(doc, o, "imbalanced", b->is_imbalanced);
	}
}

static void segment_rows(const struct rebuy_uplift *u, struct rebuy_doc *doc,
                         struct rebuy_node *arr)
{
	for (size_t i = 0; i < u->n_segments; i++) {
		const struct rebuy_uplift_segment *s = &u->segments[i];
		for (int k = 0; k < REBUY_UPLIFT_MEASURE_COUNT; k++) {
			struct rebuy_node *o = rebuy_doc_obj(doc, arr, NULL);
			rebuy_doc_str(doc, o, "by", s->by);
			rebuy_doc_str(doc, o, "segment", s->name);
			col(doc,
			    rebuy_doc_uint(doc, o, "treatment_customers",
			                   s->result.groups[1].customers),
			    "treated");
			col(doc,
			    rebuy_doc_uint(doc, o, "control_customers",
			                   s->result.groups[0].customers),
			    "control n");
			effect_cols(&s->result.effects[k], doc, o);
		}
	}
}

static void day_str(struct rebuy_doc *doc, struct rebuy_node *o, const char *key, int64_t day)
{
	char buf[48];
	rebuy_format_day(day, buf, sizeof buf);
	lab(doc, rebuy_doc_str(doc, o, key, buf), key);
}

static void headline(const struct rebuy_uplift *u, struct rebuy_doc *doc, struct rebuy_node *root)
{
	lab(doc, rebuy_doc_str(doc, root, "campaign", u->path), "campaign");
	lab(doc, rebuy_doc_int(doc, root, "window_days", u->window_days), "window_days");
	lab(doc, rebuy_doc_num(doc, root, "level", u->level, REBUY_SHOW_RATE), "level");
	day_str(doc, root, "as_of", u->as_of_day);
	day_str(doc, root, "first_send_date", u->first_send_day);
	day_str(doc, root, "last_send_date", u->last_send_day);
	lab(doc, rebuy_doc_uint(doc, root, "customers", u->customers), "customers");
	lab(doc, rebuy_doc_uint(doc, root, "treatment_customers", u->all.groups[1].customers),
	    "treatment_customers");
	lab(doc, rebuy_doc_uint(doc, root, "control_customers", u->all.groups[0].customers),
	    "control_customers");
	lab(doc, rebuy_doc_uint(doc, root, "not_in_orders", u->not_in_orders), "not_in_orders");
	lab(doc, rebuy_doc_uint(doc, root, "incomplete_windows", u->incomplete),
	    "incomplete_windows");
	lab(doc, rebuy_doc_uint(doc, root, "prior_incomplete_windows", u->prior_incomplete),
	    "prior_incomplete_windows");
	lab(doc, rebuy_doc_uint(doc, root, "bootstrap", u->n_bootstrap), "bootstrap");
	lab(doc, rebuy_doc_uint(doc, root, "seed", u->seed), "seed");
	if (u->has_rfm)
		day_str(doc, root, "rfm_as_of", u->rfm_day);
}

static void campaign_input(const struct rebuy_uplift *u, struct rebuy_doc *doc,
                           struct rebuy_node *root)
{
	struct rebuy_node *in = rebuy_doc_obj(doc, root, "campaign_input");
	rebuy_doc_label(doc, in, "Campaign file", NULL);
	rebuy_doc_label(doc, rebuy_doc_str(doc, in, "file", u->path), "File", NULL);
	rebuy_doc_label(doc, rebuy_doc_uint(doc, in, "rows", u->rows), "Rows",
	                "data rows (blank lines are not rows); every row is a customer");
	char delim[16];
	if (u->delimiter == REBUY_DELIM_WHITESPACE)
		snprintf(delim, sizeof delim, "whitespace");
	else if (u->delimiter == '\t')
		snprintf(delim, sizeof delim, "tab");
	else
		snprintf(delim, sizeof delim, "%c", u->delimiter ? u->delimiter : ',');
	rebuy_doc_label(doc, rebuy_doc_str(doc, in, "delimiter", delim), "Delimiter", NULL);
	rebuy_doc_label(doc, rebuy_doc_bool(doc, in, "header", u->has_header), "Header", NULL);
	rebuy_doc_label(doc,
	                rebuy_doc_str(doc, in, "date_format",
	                              u->date_format_name ? u->date_format_name : "auto"),
	                "Date format", NULL);
	struct rebuy_node *cols = rebuy_doc_obj(doc, in, "columns");
	rebuy_doc_label(doc, cols, "Columns by role", NULL);
	static const char *const keys[REBUY_UPLIFT_ROLE_COUNT] = {"customer", "group", "send_date"};
	for (int r = 0; r < REBUY_UPLIFT_ROLE_COUNT; r++)
		if (u->column_name[r])
			rebuy_doc_str(doc, cols, keys[r], u->column_name[r]);
}

void rebuy_uplift_doc(const struct rebuy_uplift *u, const struct rebuy_input_report *rep,
                      struct rebuy_doc *doc, struct rebuy_node *root)
{
	headline(u, doc, root);
	struct rebuy_node *groups = rebuy_doc_arr(doc, root, "groups");
	rebuy_doc_label(doc, groups, "Groups (in the window after the send)", NULL);
	group_row(u, "treatment", &u->all.groups[1], doc, groups);
	group_row(u, "control", &u->all.groups[0], doc, groups);
	struct rebuy_node *effects = rebuy_doc_arr(doc, root, "effects");
	rebuy_doc_label(doc, effects, "Effects (treatment - control)", NULL);
	effect_rows(&u->all, doc, effects);
	struct rebuy_node *bal = rebuy_doc_arr(doc, root, "balance");
	rebuy_doc_label(doc, bal, "Balance (the window before the send)", NULL);
	balance_rows(&u->all, doc, bal);
	if (u->n_segments > 0) {
		struct rebuy_node *seg = rebuy_doc_arr(doc, root, "segments");
		rebuy_doc_label(doc, seg, "Segments", NULL);
		segment_rows(u, doc, seg);
	}
	campaign_input(u, doc, root);
	if (rep) {
		rebuy_input_report_doc(rep, doc, root);
		hide(rebuy_doc_get(root, "input"));
	}
	struct rebuy_node *d = rebuy_doc_obj(doc, root, "definitions");
	hide(d);
	for (size_t i = 0; i < sizeof defs / sizeof *defs; i++) {
		const char *k = defs[i].key;
		if ((strcmp(k, "rfm_as_of") == 0 && !u->has_rfm) ||
		    (strcmp(k, "segments") == 0 && u->n_segments == 0))
			continue;
		rebuy_doc_str(doc, d, k, defs[i].text);
	}
}
