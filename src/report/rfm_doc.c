/* The RFM result as a document (the JSON contract of docs/rfm.md: stable
 * snake_case keys, a definition for every measure, labels for the text
 * table) and the streamed per-customer table, sorted by customer key so
 * that it does not depend on input order. No computing here. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "rebuy/date.h"
#include "rebuy/rfm.h"
#include "rebuy/summary.h"
#include "report/defs.h"

/* Definitions, in output order. */
static const struct rebuy__def defs[] = {
        {"as_of", "As of",
         "the analysis date: purchases before it count (default: the day after the last "
         "purchase)"},
        {"bins", "Bins",
         "scores 1..B; F = 1 + floor(B x customers with a strictly smaller frequency / "
         "customers), M the same over monetary, R over strictly larger recency (recent = "
         "high); ties share a score"},
        {"segment_map", "Segment map",
         "rules tried in order, the first that matches a customer's scores wins"},
        {"n_customers", "Customers", "customers with a purchase before the as-of date"},
        {"revenue", "Revenue", "their purchases' value"},
        {"recency_days", "recency",
         "as-of date - last purchase day, in days (1 for a purchase the day before the as-of "
         "date)"},
        {"frequency", "orders", "purchases before the as-of date"},
        {"monetary", "revenue", "sum of the purchases before the as-of date"},
        {"r", "R", "recency score"},
        {"f", "F", "frequency score"},
        {"m", "M", "monetary score"},
        {"other", "other",
         "customers whose scores no rule matches (only when the map leaves cells uncovered)"},
        {"segments.segment", "segment", NULL},
        {"segments.rule", "rule", NULL},
        {"segments.customers", "customers", NULL},
        {"segments.share", "share", "customers / all customers"},
        {"segments.revenue", "revenue", NULL},
        {"segments.revenue_share", "rev. share", "the segment's revenue / all revenue"},
        {"segments.median_recency_days", "med. recency",
         "median recency_days in the segment (the mean of the middle two for an even count)"},
        {"segments.median_frequency", "med. orders", "median frequency in the segment"},
        {"segments.median_monetary", "med. revenue", "median monetary in the segment"},
        {"scores", "Scores",
         "per score: its customers and the range of their values, for R, F and M; a score "
         "that ties skip has 0 customers"},
        {"transitions", "Transitions",
         "rows: the segment as of `from` (over the purchases before it; `new`: customers "
         "whose first purchase is on or after it), columns: the segment as of `to`"},
        {"transitions.matrix", "Customers", "customers moving from the row's segment to each"},
        {"transitions.shares", "Shares of the row", "matrix cell / the row's customers"},
};

#define lab(doc, n, key) REBUY__LAB(doc, n, key, 1)

/* A label without the note (for table columns). */
#define col(doc, n, key) REBUY__LAB(doc, n, key, 0)

static void day_node(struct rebuy_doc *doc, struct rebuy_node *p, const char *key, int64_t day,
                     const char *def_key)
{
	char buf[48];
	rebuy_format_day(day, buf, sizeof buf);
	struct rebuy_node *n = rebuy_doc_str(doc, p, key, buf);
	if (def_key)
		lab(doc, n, def_key);
}

static void segment_rows(const struct rebuy_rfm *x, struct rebuy_doc *doc, struct rebuy_node *root)
{
	struct rebuy_node *arr = rebuy_doc_arr(doc, root, "segments");
	rebuy_doc_label(doc, arr, "Segments", NULL);
	char rule[512];
	for (size_t g = 0; g < x->n_segments; g++) {
		const struct rebuy_rfm_segment *s = &x->segments[g];
		struct rebuy_node *o = rebuy_doc_obj(doc, arr, NULL);
		col(doc, rebuy_doc_str(doc, o, "segment", s->name), "segments.segment");
		rebuy_rfm_map_describe(x->map, g, rule, sizeof rule);
		col(doc, rebuy_doc_str(doc, o, "rule", rule), "segments.rule");
		col(doc, rebuy_doc_uint(doc, o, "customers", s->customers), "segments.customers");
		col(doc, rebuy_doc_num(doc, o, "share", s->share, REBUY_SHOW_RATE),
		    "segments.share");
		col(doc,
		    x->has_amount ? rebuy_doc_money(doc, o, "revenue", s->revenue)
		                  : rebuy_doc_null(doc, o, "revenue"),
		    "segments.revenue");
		col(doc, rebuy_doc_num(doc, o, "revenue_share", s->revenue_share, REBUY_SHOW_RATE),
		    "segments.revenue_share");
		col(doc,
		    rebuy_doc_num(doc, o, "median_recency_days", s->median_recency_days,
		                  REBUY_SHOW_DAYS),
		    "segments.median_recency_days");
		col(doc,
		    rebuy_doc_num(doc, o, "median_frequency", s->median_frequency,
		                  REBUY_SHOW_PLAIN),
		    "segments.median_frequency");
		col(doc,
		    rebuy_doc_num(doc, o, "median_monetary", s->median_monetary, REBUY_SHOW_MONEY),
		    "segments.median_monetary");
	}
}

static void range_nodes(struct rebuy_doc *doc, struct rebuy_node *o, const char *what,
                        const char *what_label, const struct rebuy_rfm_bin *b, int is_money,
                        int has)
{
	char key[48], label[48];
	snprintf(key, sizeof key, "%s_min", what);
	struct rebuy_node *lo, *hi;
	if (!b->customers || !has)
		lo = rebuy_doc_null(doc, o, key);
	else
		lo = is_money ? rebuy_doc_money(doc, o, key, b->min)
		              : rebuy_doc_int(doc, o, key, b->min);
	snprintf(label, sizeof label, "%s from", what_label);
	rebuy_doc_label(doc, lo, label, NULL);
	snprintf(key, sizeof key, "%s_max", what);
	if (!b->customers || !has)
		hi = rebuy_doc_null(doc, o, key);
	else
		hi = is_money ? rebuy_doc_money(doc, o, key, b->max)
		              : rebuy_doc_int(doc, o, key, b->max);
	rebuy_doc_label(doc, hi, "to", NULL);
}

static void score_rows(const struct rebuy_rfm *x, struct rebuy_doc *doc, struct rebuy_node *root)
{
	struct rebuy_node *arr = rebuy_doc_arr(doc, root, "scores");
	lab(doc, arr, "scores");
	static const char *const cust_keys[3] = {"r_customers", "f_customers", "m_customers"};
	static const char *const cust_labels[3] = {"R customers", "F customers", "M customers"};
	static const char *const what[3] = {"recency_days", "frequency", "monetary"};
	static const char *const what_labels[3] = {"recency", "orders", "revenue"};
	for (unsigned s = 1; s <= x->bins; s++) {
		struct rebuy_node *o = rebuy_doc_obj(doc, arr, NULL);
		rebuy_doc_uint(doc, o, "score", s);
		for (int m = 0; m < 3; m++) {
			const struct rebuy_rfm_bin *b = &x->scores[m][s - 1];
			int has = m != REBUY_RFM_M || x->has_amount;
			rebuy_doc_label(doc,
			                has ? rebuy_doc_uint(doc, o, cust_keys[m], b->customers)
			                    : rebuy_doc_null(doc, o, cust_keys[m]),
			                cust_labels[m], NULL);
			range_nodes(doc, o, what[m], what_labels[m], b, m == REBUY_RFM_M, has);
		}
	}
}

static void transition_rows(const struct rebuy_rfm *x, struct rebuy_doc *doc,
                            struct rebuy_node *root)
{
	struct rebuy_node *t = rebuy_doc_obj(doc, root, "transitions");
	lab(doc, t, "transitions");
	size_t ns = x->n_segments;
	day_node(doc, t, "from", x->transitions_day, NULL);
	rebuy_doc_label(doc, rebuy_doc_get(t, "from"), "From",
	                "the earlier as-of date: segments over the purchases before it");
	day_node(doc, t, "to", x->as_of_day, NULL);
	rebuy_doc_label(doc, rebuy_doc_get(t, "to"), "To", "the as-of date");
	uint64_t n_new = 0;
	for (size_t c = 0; c < ns; c++)
		n_new += x->transitions[ns * ns + c];
	rebuy_doc_label(doc, rebuy_doc_uint(doc, t, "customers_before", x->n_customers_before),
	                "Customers then", "customers with a purchase before `from`");
	rebuy_doc_label(doc, rebuy_doc_uint(doc, t, "new_customers", n_new), "New customers",
	                "customers whose first purchase is between `from` and `to`");
	struct rebuy_node *mat = lab(doc, rebuy_doc_arr(doc, t, "matrix"), "transitions.matrix");
	struct rebuy_node *shr = lab(doc, rebuy_doc_arr(doc, t, "shares"), "transitions.shares");
	for (size_t g = 0; g <= ns; g++) {
		const uint64_t *row = &x->transitions[g * ns];
		uint64_t total = 0;
		for (size_t c = 0; c < ns; c++)
			total += row[c];
		const char *name = g < ns ? x->segments[g].name : "new";
		struct rebuy_node *o = rebuy_doc_obj(doc, mat, NULL);
		rebuy_doc_label(doc, rebuy_doc_str(doc, o, "segment", name), "from \\ to", NULL);
		rebuy_doc_uint(doc, o, "customers", total);
		struct rebuy_node *s = rebuy_doc_obj(doc, shr, NULL);
		rebuy_doc_label(doc, rebuy_doc_str(doc, s, "segment", name), "from \\ to", NULL);
		for (size_t c = 0; c < ns; c++) {
			rebuy_doc_uint(doc, o, x->segments[c].name, row[c]);
			rebuy_doc_num(doc, s, x->segments[c].name,
			              total ? (double)row[c] / (double)total : NAN,
			              REBUY_SHOW_RATE);
		}
	}
}

void rebuy_rfm_doc(const struct rebuy_rfm *x, const struct rebuy_input_report *rep,
                   struct rebuy_doc *doc, struct rebuy_node *root)
{
	day_node(doc, root, "as_of", x->as_of_day, "as_of");
	lab(doc, rebuy_doc_uint(doc, root, "bins", x->bins), "bins");
	lab(doc, rebuy_doc_str(doc, root, "segment_map", x->map->source), "segment_map");
	lab(doc, rebuy_doc_uint(doc, root, "n_customers", x->n_customers), "n_customers");
	lab(doc,
	    x->has_amount ? rebuy_doc_money(doc, root, "revenue", x->revenue)
	                  : rebuy_doc_null(doc, root, "revenue"),
	    "revenue");
	day_node(doc, root, "first_purchase", x->first_day, NULL);
	rebuy_doc_label(doc, rebuy_doc_get(root, "first_purchase"), "First purchase", NULL);
	day_node(doc, root, "last_purchase", x->last_day, NULL);
	rebuy_doc_label(doc, rebuy_doc_get(root, "last_purchase"), "Last purchase", NULL);
	segment_rows(x, doc, root);
	score_rows(x, doc, root);
	if (x->has_transitions)
		transition_rows(x, doc, root);
	if (rep) {
		rebuy_input_report_doc(rep, doc, root);
		rebuy_doc_table_hide(rebuy_doc_get(root, "input"));
	}
	struct rebuy_node *d = rebuy_doc_obj(doc, root, "definitions");
	rebuy_doc_table_hide(d);
	for (size_t i = 0; i < sizeof defs / sizeof *defs; i++)
		if (defs[i].text && (strcmp(defs[i].key, "other") != 0 || x->map->has_other))
			rebuy_doc_str(doc, d, defs[i].key, defs[i].text);
}

enum rebuy_status rebuy_rfm_write_customers(const struct rebuy_rfm *x, const struct rebuy_orders *o,
                                            const unsigned char *keep, FILE *out,
                                            enum rebuy_format format,
                                            const struct rebuy_csv_options *opts)
{
	static const char *const cols[] = {
	        "customer", "recency_days", "frequency",       "monetary", "r", "f",
	        "m",        "segment",      "previous_segment"};
	if (o->n_customers != x->n_ids)
		return REBUY_EINTERNAL;
	uint32_t *ids = rebuy__malloc((x->n_ids ? x->n_ids : 1) * sizeof *ids);
	if (!ids || rebuy_orders_customers_by_key(o, ids) != REBUY_OK) {
		rebuy__free(ids);
		return REBUY_ENOMEM;
	}
	size_t n_cols = sizeof cols / sizeof *cols - (x->has_transitions ? 0 : 1);
	struct rebuy_rows *w = rebuy_rows_new(out, format, "customers", cols, n_cols, opts);
	if (!w) {
		rebuy__free(ids);
		return REBUY_ENOMEM;
	}
	for (size_t i = 0; i < x->n_ids; i++) {
		/* ids run in key order, not memory order: fetch ahead. */
		if (i + 16 < x->n_ids)
			__builtin_prefetch(&x->customers[ids[i + 16]]);
		const struct rebuy_rfm_customer *y = &x->customers[ids[i]];
		if (y->segment == REBUY_RFM_NONE || (keep && !keep[y->segment]))
			continue;
		rebuy_rows_str(w, rebuy_orders_customer_key(o, ids[i], NULL));
		rebuy_rows_int(w, y->recency_days);
		rebuy_rows_int(w, y->frequency);
		if (x->has_amount)
			rebuy_rows_money(w, y->monetary);
		else
			rebuy_rows_null(w);
		rebuy_rows_int(w, y->r);
		rebuy_rows_int(w, y->f);
		if (x->has_amount)
			rebuy_rows_int(w, y->m);
		else
			rebuy_rows_null(w);
		rebuy_rows_str(w, x->segments[y->segment].name);
		if (x->has_transitions) {
			uint8_t b = y->segment_before;
			rebuy_rows_str(w, b < x->n_segments ? x->segments[b].name : "new");
		}
		rebuy_rows_end_row(w);
	}
	rebuy__free(ids);
	return rebuy_rows_finish(w);
}
