/* Attribution as a document: stable snake_case keys (the JSON contract of
 * docs/attribute.md), a definition for every measure, labels for the text
 * table. No computing here beyond the ROI ratio. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rebuy/attrib.h"
#include "rebuy/doc.h"
#include "rebuy/summary.h"
#include "report/defs.h"

static const struct rebuy__def defs[] = {
        {"source", "Source", "paths (pre-aggregated) or touchpoints (joined to the orders)"},
        {"file", "File", "the paths or touchpoints file"},
        {"journeys", "Journeys",
         "paths (rows of the paths file) or journeys built from the touchpoints"},
        {"touches", "Touches", "touches in the journeys"},
        {"channel_count", "Channels", "distinct channels in the journeys"},
        {"conversions", "Conversions",
         "total conversions of the journeys: what every model's credits sum to"},
        {"value", "Value", "total conversion value of the journeys"},
        {"non_converting", "Non-converting", "journeys that ended without a conversion"},
        {"position_first", "Position: first", "share of the first touch (U-shaped model)"},
        {"position_last", "Position: last", "share of the last touch"},
        {"position_middle", "Position: middle",
         "shared equally by the middle touches; a journey of two touches splits first : last"},
        {"time_decay_half_life", "Time decay half-life",
         "a touch's weight halves with every half-life of age at the conversion"},
        {"time_decay_unit", "Time decay unit",
         "days (touch times) or touches (steps before the last touch; paths carry no times)"},
        {"markov_conversion_probability", "Markov P(conversion)",
         "absorption probability in conversion from start of the first-order chain"},
        {"lookback_days", "Lookback (days)",
         "touches older than this before a purchase are not credited to it (0: none)"},
        {"repeat_only", "Repeat only",
         "only purchases after the customer's first purchase day are credited"},
        {"date_format", "Time format", "how the touch times were read"},
        {"touch_rows", "Touchpoint rows", "rows of the touchpoints file"},
        {"touches_unused", "Touches not credited",
         "before a first purchase under repeat_only, or older than the lookback"},
        {"orders", "Purchases considered", "purchases (repeat ones under repeat_only)"},
        {"orders_first_skipped", "First purchases left out",
         "purchases on the first purchase day, left out by repeat_only"},
        {"orders_without_touches", "Purchases without touches",
         "considered purchases with no touch before them: not credited to any channel"},
        {"value_without_touches", "Their value", "value of the purchases without touches"},
        {"customers_without_orders", "Touched, never bought",
         "touchpoint customers with no purchase: each is one non-converting journey"},
        {"channels", "By channel", "one row per channel, in byte order of the names"},
        {"first_touch", "first", "all of a journey's conversions and value to its first touch"},
        {"last_touch", "last", "all to the last touch"},
        {"linear", "linear", "1/n to each of the n touches (per occurrence)"},
        {"position", "position",
         "U-shaped: first and last position_first / position_last, the middle touches share "
         "the rest; one touch takes all; two split first : last"},
        {"time_decay", "decay", "touch i gets 2^(-age_i / half-life), normalised over the journey"},
        {"markov", "markov",
         "conversions x RE_k / sum of RE: the first-order removal effects of the absorbing "
         "chain, computed exactly; value likewise"},
        {"markov_removal_effect", "removal",
         "RE_k = 1 - P(conversion with channel k removed) / P(conversion); removing k sends "
         "its incoming transitions to null"},
        {"channels.touches", "touches", "occurrences of the channel in all journeys"},
        {"cost", "cost", "summed cost of the channel's touches in the journeys"},
        {"roi", "roi", "<model>_roi = <model>_value / cost"},
};

#define lab(doc, n, key) REBUY__LAB(doc, n, key, 1)

/* Short model names for the text table's column labels. */
static const char *const shown[REBUY_ATTRIB_MODEL_COUNT] = {"first",    "last",  "linear",
                                                            "position", "decay", "markov"};

/* Keys that only journeys built from touchpoints have. */
static int is_touch_key(const char *k)
{
	static const char *const keys[] = {"lookback_days",         "repeat_only",
	                                   "date_format",           "touch_rows",
	                                   "touches_unused",        "orders",
	                                   "orders_first_skipped",  "orders_without_touches",
	                                   "value_without_touches", "customers_without_orders"};
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		if (strcmp(k, keys[i]) == 0)
			return 1;
	return 0;
}

static void hide(struct rebuy_node *n)
{
	rebuy_doc_table_hide(n);
}

static struct rebuy_node *col(struct rebuy_doc *doc, struct rebuy_node *n, const char *label)
{
	rebuy_doc_label(doc, n, label, NULL);
	return n;
}

static void headline(const struct rebuy_attrib *a, struct rebuy_doc *doc, struct rebuy_node *root)
{
	const struct rebuy_attrib_journeys *j = a->journeys;
	lab(doc, rebuy_doc_str(doc, root, "source", j->from_touchpoints ? "touchpoints" : "paths"),
	    "source");
	lab(doc, rebuy_doc_str(doc, root, "file", j->path), "file");
	lab(doc, rebuy_doc_uint(doc, root, "journeys", j->n_journeys), "journeys");
	lab(doc, rebuy_doc_uint(doc, root, "touches", j->n_touches), "touches");
	lab(doc, rebuy_doc_uint(doc, root, "channel_count", j->n_channels), "channel_count");
	lab(doc, rebuy_doc_num(doc, root, "conversions", j->conversions, REBUY_SHOW_PLAIN),
	    "conversions");
	if (j->has_value)
		lab(doc, rebuy_doc_num(doc, root, "value", j->value, REBUY_SHOW_MONEY), "value");
	else
		lab(doc, rebuy_doc_null(doc, root, "value"), "value");
	lab(doc, rebuy_doc_num(doc, root, "non_converting", j->nulls, REBUY_SHOW_PLAIN),
	    "non_converting");
	lab(doc,
	    rebuy_doc_num(doc, root, "position_first", a->opts.position_first, REBUY_SHOW_RATE),
	    "position_first");
	lab(doc, rebuy_doc_num(doc, root, "position_last", a->opts.position_last, REBUY_SHOW_RATE),
	    "position_last");
	double mid = 1 - a->opts.position_first - a->opts.position_last;
	lab(doc, rebuy_doc_num(doc, root, "position_middle", mid < 0 ? 0 : mid, REBUY_SHOW_RATE),
	    "position_middle");
	lab(doc,
	    rebuy_doc_num(doc, root, "time_decay_half_life",
	                  a->decay_by_touches ? a->opts.half_life_touches : a->opts.half_life_days,
	                  REBUY_SHOW_DECIMAL),
	    "time_decay_half_life");
	lab(doc,
	    rebuy_doc_str(doc, root, "time_decay_unit", a->decay_by_touches ? "touches" : "days"),
	    "time_decay_unit");
	lab(doc,
	    rebuy_doc_num(doc, root, "markov_conversion_probability", a->p_conversion,
	                  REBUY_SHOW_RATE),
	    "markov_conversion_probability");
	if (!j->from_touchpoints)
		return;
	lab(doc, rebuy_doc_int(doc, root, "lookback_days", j->lookback_days), "lookback_days");
	lab(doc, rebuy_doc_bool(doc, root, "repeat_only", j->repeat_only), "repeat_only");
	lab(doc, rebuy_doc_str(doc, root, "date_format", j->date_format_name), "date_format");
	lab(doc, rebuy_doc_uint(doc, root, "touch_rows", j->touch_rows), "touch_rows");
	lab(doc, rebuy_doc_uint(doc, root, "touches_unused", j->touches_unused), "touches_unused");
	lab(doc, rebuy_doc_uint(doc, root, "orders", j->orders), "orders");
	lab(doc, rebuy_doc_uint(doc, root, "orders_first_skipped", j->orders_first_skipped),
	    "orders_first_skipped");
	lab(doc, rebuy_doc_uint(doc, root, "orders_without_touches", j->orders_without_touches),
	    "orders_without_touches");
	if (j->has_value)
		lab(doc,
		    rebuy_doc_num(doc, root, "value_without_touches", j->value_without_touches,
		                  REBUY_SHOW_MONEY),
		    "value_without_touches");
	lab(doc, rebuy_doc_uint(doc, root, "customers_without_orders", j->customers_without_orders),
	    "customers_without_orders");
}

static void channel_rows(const struct rebuy_attrib *a, struct rebuy_doc *doc,
                         struct rebuy_node *arr)
{
	const struct rebuy_attrib_journeys *j = a->journeys;
	char key[48], label[48];
	for (size_t c = 0; c < a->n_channels; c++) {
		const struct rebuy_attrib_channel *ch = &a->channels[c];
		struct rebuy_node *o = rebuy_doc_obj(doc, arr, NULL);
		rebuy_doc_str(doc, o, "channel", ch->name);
		for (int m = 0; m < REBUY_ATTRIB_MODEL_COUNT; m++) {
			const char *name = rebuy_attrib_model_name((enum rebuy_attrib_model)m);
			snprintf(key, sizeof key, "%s_conversions", name);
			snprintf(label, sizeof label, "%s conv.", shown[m]);
			col(doc, rebuy_doc_num(doc, o, key, ch->conversions[m], REBUY_SHOW_DECIMAL),
			    label);
			snprintf(key, sizeof key, "%s_value", name);
			snprintf(label, sizeof label, "%s value", shown[m]);
			col(doc,
			    j->has_value
			            ? rebuy_doc_num(doc, o, key, ch->value[m], REBUY_SHOW_MONEY)
			            : rebuy_doc_null(doc, o, key),
			    label);
		}
		col(doc,
		    rebuy_doc_num(doc, o, "markov_removal_effect", ch->removal_effect,
		                  REBUY_SHOW_RATE),
		    "removal");
		col(doc, rebuy_doc_uint(doc, o, "touches", ch->touches), "touches");
		if (!j->has_cost)
			continue;
		col(doc, rebuy_doc_num(doc, o, "cost", ch->cost, REBUY_SHOW_MONEY), "cost");
		for (int m = 0; m < REBUY_ATTRIB_MODEL_COUNT; m++) {
			const char *name = rebuy_attrib_model_name((enum rebuy_attrib_model)m);
			snprintf(key, sizeof key, "%s_roi", name);
			snprintf(label, sizeof label, "%s roi", shown[m]);
			double roi = j->has_value && ch->cost > 0 ? ch->value[m] / ch->cost : NAN;
			col(doc, rebuy_doc_num(doc, o, key, roi, REBUY_SHOW_DECIMAL), label);
		}
	}
}

void rebuy_attrib_doc(const struct rebuy_attrib *a, const struct rebuy_input_report *rep,
                      struct rebuy_doc *doc, struct rebuy_node *root)
{
	headline(a, doc, root);
	struct rebuy_node *arr = rebuy_doc_arr(doc, root, "channels");
	rebuy_doc_label(doc, arr, "By channel", NULL);
	channel_rows(a, doc, arr);
	if (rep) {
		rebuy_input_report_doc(rep, doc, root);
		hide(rebuy_doc_get(root, "input"));
	}
	struct rebuy_node *d = rebuy_doc_obj(doc, root, "definitions");
	hide(d);
	const struct rebuy_attrib_journeys *j = a->journeys;
	for (size_t i = 0; i < sizeof defs / sizeof *defs; i++) {
		const char *k = defs[i].key;
		if (!j->from_touchpoints && is_touch_key(k))
			continue;
		if (!j->has_cost && (strcmp(k, "cost") == 0 || strcmp(k, "roi") == 0))
			continue;
		rebuy_doc_str(doc, d, k, defs[i].text);
	}
}
