/* The survey result as a document: stable snake_case keys (the JSON contract
 * of docs/survey.md), a definition for every measure with its denominator,
 * labels for the text table. Rates are fractions; the text table shows NPS
 * as the -100..100 score. No computing here. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rebuy/doc.h"
#include "rebuy/input.h"
#include "rebuy/summary.h"
#include "rebuy/survey.h"
#include "report/defs.h"

static const struct rebuy__def defs[] = {
        {"scale", "Scale",
         "nps: scores 0-10; csat: scores 1-5 (given with --scale, or detected: every score in "
         "1-5 reads as csat, else every score in 0-10 as nps)"},
        {"responses_counted", "Responses counted",
         "latest: each customer's latest response (latest day; the later row on one day); all: "
         "every response"},
        {"respondents", "Respondents", "responses counted"},
        {"customers", "Customers", "distinct customers among the respondents"},
        {"nps", "NPS as a fraction",
         "(promoters - detractors) / respondents: promoters score 9-10, detractors 0-6"},
        {"nps_score", "NPS", "100 x nps, from -100 to 100"},
        {"csat", "CSAT", "satisfied (4-5) / respondents"},
        {"promoters", "Promoters", "respondents scoring 9 or 10"},
        {"passives", "Passives", "respondents scoring 7 or 8"},
        {"detractors", "Detractors", "respondents scoring 0 to 6"},
        {"satisfied", "Satisfied", "respondents scoring 4 or 5"},
        {"neutral", "Neutral", "respondents scoring 3"},
        {"unsatisfied", "Unsatisfied", "respondents scoring 1 or 2"},
        {"mean_score", "Mean score", "mean of the scores of the respondents"},
        {"first_response", "First response", "the earliest survey day counted"},
        {"last_response", "Last response", "the latest survey day counted"},
        {"respondents_with_reason", "With a reason",
         "respondents whose reason is not empty (trimmed; control characters read as spaces)"},
        {"respondents_without_reason", "Without a reason", "respondents with an empty reason"},
        {"groups.share", "share", "respondents of the group / respondents"},
        {"scores.share", "share", "respondents with the score / respondents"},
        {"reasons.share", "share", "respondents with the reason / respondents with a reason"},
        {"after_survey.as_of", "As of",
         "the first day without data: --as-of, else the day after --to, else the day after the "
         "last purchase"},
        {"after_survey.lapse_days", "Window (days)",
         "each respondent is followed for this many days after the survey day (days s+1 .. "
         "s+lapse_days)"},
        {"after_survey.not_in_orders", "Not in orders",
         "respondents whose customer has no order in the orders file (or its window)"},
        {"after_survey.too_recent", "Too recent",
         "respondents whose window does not end before the as-of day"},
        {"after_survey.observed", "Observed",
         "the other respondents: the denominator of the rates below"},
        {"after_survey.repurchased", "Repurchased",
         "observed respondents with a purchase in their window"},
        {"after_survey.repurchase_rate", "Repurchase rate", "repurchased / observed"},
        {"after_survey.lapsed", "Lapsed", "observed respondents with no purchase in their window"},
        {"after_survey.lapse_rate", "Lapse rate", "lapsed / observed"},
        {"after_survey.orders", "Orders", "purchases in the windows of the observed respondents"},
        {"after_survey.revenue", "Revenue", "the value of those purchases"},
        {"after_survey.orders_per_respondent", "Orders per respondent", "orders / observed"},
        {"after_survey.revenue_per_respondent", "Revenue per respondent", "revenue / observed"},
        {"lapsed_reasons.share", "share",
         "lapsed respondents with the reason / lapsed respondents with a reason"},
        {"lapsed_reasons.lapse_rate", "lapse rate",
         "lapsed / observed, among the respondents giving the reason"},
};

#define lab(doc, n, key) REBUY__LAB(doc, n, key, 1)

static void day_text(int64_t day, char *buf, size_t size)
{
	rebuy_format_day(day, buf, size);
}

static void group_row(const struct rebuy_survey *s, const struct rebuy_survey_group *g,
                      struct rebuy_doc *doc, struct rebuy_node *arr)
{
	struct rebuy_node *o = rebuy_doc_obj(doc, arr, NULL);
	char band[16];
	snprintf(band, sizeof band, g->lo == g->hi ? "%d" : "%d-%d", g->lo, g->hi);
	rebuy_doc_str(doc, o, "group", g->name);
	rebuy_doc_str(doc, o, "scores", band);
	rebuy_doc_uint(doc, o, "respondents", g->respondents);
	rebuy_doc_num(doc, o, "share", g->share, REBUY_SHOW_RATE);
	if (!s->has_orders)
		return;
	rebuy_doc_label(doc, rebuy_doc_uint(doc, o, "not_in_orders", g->not_in_orders), "not found",
	                NULL);
	rebuy_doc_label(doc, rebuy_doc_uint(doc, o, "too_recent", g->too_recent), "too recent",
	                NULL);
	rebuy_doc_uint(doc, o, "observed", g->observed);
	rebuy_doc_table_hide(rebuy_doc_uint(doc, o, "repurchased", g->repurchased));
	rebuy_doc_label(
	        doc, rebuy_doc_num(doc, o, "repurchase_rate", g->repurchase_rate, REBUY_SHOW_RATE),
	        "repurchase", NULL);
	rebuy_doc_uint(doc, o, "lapsed", g->lapsed);
	rebuy_doc_label(doc, rebuy_doc_num(doc, o, "lapse_rate", g->lapse_rate, REBUY_SHOW_RATE),
	                "lapse rate", NULL);
	rebuy_doc_table_hide(rebuy_doc_uint(doc, o, "orders", g->orders));
	rebuy_doc_label(doc,
	                rebuy_doc_num(doc, o, "orders_per_respondent", g->orders_per_respondent,
	                              REBUY_SHOW_DECIMAL),
	                "orders/resp.", NULL);
	struct rebuy_node *rev = s->has_amount ? rebuy_doc_money(doc, o, "revenue", g->revenue)
	                                       : rebuy_doc_null(doc, o, "revenue");
	rebuy_doc_table_hide(rev);
	rebuy_doc_label(doc,
	                rebuy_doc_num(doc, o, "revenue_per_respondent", g->revenue_per_respondent,
	                              REBUY_SHOW_MONEY),
	                "revenue/resp.", NULL);
}

static void headline(const struct rebuy_survey *s, struct rebuy_doc *doc, struct rebuy_node *root)
{
	char buf[32];
	const int nps = s->scale == REBUY_SCALE_NPS;
	struct rebuy_node *n = rebuy_doc_str(doc, root, "scale", rebuy_survey_scale_name(s->scale));
	rebuy_doc_label(doc, n, "Scale", s->scale_reason);
	rebuy_doc_label(doc, rebuy_doc_bool(doc, root, "scale_detected", s->scale_detected),
	                "Scale detected", NULL);
	rebuy_doc_table_hide(rebuy_doc_str(doc, root, "scale_reason", s->scale_reason));
	lab(doc, rebuy_doc_str(doc, root, "responses_counted", s->each_response ? "all" : "latest"),
	    "responses_counted");
	lab(doc, rebuy_doc_uint(doc, root, "respondents", s->respondents), "respondents");
	lab(doc, rebuy_doc_uint(doc, root, "customers", s->customers), "customers");
	/* The other scale's measure is null: left out of the text table (and
	 * so of the metric rows of CSV), kept in JSON. */
	n = lab(doc, rebuy_doc_num(doc, root, "nps_score", s->nps_score, REBUY_SHOW_PLAIN),
	        "nps_score");
	if (!nps)
		rebuy_doc_table_hide(n);
	n = lab(doc, rebuy_doc_num(doc, root, "nps", s->nps, REBUY_SHOW_RATE), "nps");
	if (!nps)
		rebuy_doc_table_hide(n);
	n = lab(doc, rebuy_doc_num(doc, root, "csat", s->csat, REBUY_SHOW_RATE), "csat");
	if (nps)
		rebuy_doc_table_hide(n);
	for (int g = 0; g < 3; g++)
		lab(doc, rebuy_doc_uint(doc, root, s->groups[g].name, s->groups[g].respondents),
		    s->groups[g].name);
	lab(doc, rebuy_doc_num(doc, root, "mean_score", s->mean_score, REBUY_SHOW_DECIMAL),
	    "mean_score");
	day_text(s->first_day, buf, sizeof buf);
	lab(doc, rebuy_doc_str(doc, root, "first_response", buf), "first_response");
	day_text(s->last_day, buf, sizeof buf);
	lab(doc, rebuy_doc_str(doc, root, "last_response", buf), "last_response");
	if (s->has_reason) {
		lab(doc, rebuy_doc_uint(doc, root, "respondents_with_reason", s->with_reason),
		    "respondents_with_reason");
		lab(doc, rebuy_doc_uint(doc, root, "respondents_without_reason", s->without_reason),
		    "respondents_without_reason");
	}
}

static void score_rows(const struct rebuy_survey *s, struct rebuy_doc *doc, struct rebuy_node *root)
{
	struct rebuy_node *arr = rebuy_doc_arr(doc, root, "scores");
	rebuy_doc_label(doc, arr, "Scores", NULL);
	for (int v = s->min_score; v <= s->max_score; v++) {
		struct rebuy_node *o = rebuy_doc_obj(doc, arr, NULL);
		const struct rebuy_survey_group *g = &s->groups[0];
		for (int k = 0; k < 3; k++)
			if (v >= s->groups[k].lo && v <= s->groups[k].hi)
				g = &s->groups[k];
		rebuy_doc_int(doc, o, "score", v);
		rebuy_doc_uint(doc, o, "respondents", s->score_count[v]);
		rebuy_doc_num(doc, o, "share",
		              s->respondents ? (double)s->score_count[v] / (double)s->respondents
		                             : NAN,
		              REBUY_SHOW_RATE);
		rebuy_doc_str(doc, o, "group", g->name);
	}
}

static void reason_rows(const struct rebuy_survey *s, struct rebuy_doc *doc,
                        struct rebuy_node *root)
{
	struct rebuy_node *arr = rebuy_doc_arr(doc, root, "reasons");
	rebuy_doc_label(doc, arr, "Reasons", NULL);
	for (size_t i = 0; i < s->n_reasons; i++) {
		const struct rebuy_survey_reason *r = &s->reasons[i];
		struct rebuy_node *o = rebuy_doc_obj(doc, arr, NULL);
		rebuy_doc_str(doc, o, "reason", r->text);
		rebuy_doc_uint(doc, o, "respondents", r->respondents);
		rebuy_doc_num(doc, o, "share",
		              s->with_reason ? (double)r->respondents / (double)s->with_reason
		                             : NAN,
		              REBUY_SHOW_RATE);
		for (int g = 0; g < 3; g++)
			rebuy_doc_uint(doc, o, s->groups[g].name, r->by_group[g]);
		if (s->has_orders) {
			rebuy_doc_uint(doc, o, "observed", r->observed);
			rebuy_doc_uint(doc, o, "lapsed", r->lapsed);
			rebuy_doc_label(
			        doc,
			        rebuy_doc_num(doc, o, "lapse_rate", r->lapse_rate, REBUY_SHOW_RATE),
			        "lapse rate", NULL);
		}
	}
}

static void lapsed_reason_rows(const struct rebuy_survey *s, struct rebuy_doc *doc,
                               struct rebuy_node *root)
{
	struct rebuy_node *arr = rebuy_doc_arr(doc, root, "lapsed_reasons");
	rebuy_doc_label(doc, arr, "Reasons of lapsed respondents", NULL);
	for (size_t i = 0; i < s->n_lapsed_reasons; i++) {
		const struct rebuy_survey_reason *r = &s->reasons[s->lapsed_order[i]];
		struct rebuy_node *o = rebuy_doc_obj(doc, arr, NULL);
		rebuy_doc_str(doc, o, "reason", r->text);
		rebuy_doc_uint(doc, o, "lapsed", r->lapsed);
		rebuy_doc_num(doc, o, "share",
		              s->lapsed_with_reason
		                      ? (double)r->lapsed / (double)s->lapsed_with_reason
		                      : NAN,
		              REBUY_SHOW_RATE);
		rebuy_doc_uint(doc, o, "observed", r->observed);
		rebuy_doc_label(doc,
		                rebuy_doc_num(doc, o, "lapse_rate", r->lapse_rate, REBUY_SHOW_RATE),
		                "lapse rate", NULL);
	}
}

static void after_survey(const struct rebuy_survey *s, const struct rebuy_input_report *rep,
                         struct rebuy_doc *doc, struct rebuy_node *root)
{
	const struct rebuy_survey_group *all = &s->groups[3];
	struct rebuy_node *a = rebuy_doc_obj(doc, root, "after_survey");
	rebuy_doc_label(doc, a, "After the survey", NULL);
	char buf[32];
	day_text(s->as_of_day, buf, sizeof buf);
	lab(doc, rebuy_doc_str(doc, a, "as_of", buf), "after_survey.as_of");
	lab(doc, rebuy_doc_int(doc, a, "lapse_days", s->lapse_days), "after_survey.lapse_days");
	lab(doc, rebuy_doc_uint(doc, a, "not_in_orders", all->not_in_orders),
	    "after_survey.not_in_orders");
	lab(doc, rebuy_doc_uint(doc, a, "too_recent", all->too_recent), "after_survey.too_recent");
	lab(doc, rebuy_doc_uint(doc, a, "observed", all->observed), "after_survey.observed");
	lab(doc, rebuy_doc_uint(doc, a, "repurchased", all->repurchased),
	    "after_survey.repurchased");
	lab(doc, rebuy_doc_num(doc, a, "repurchase_rate", all->repurchase_rate, REBUY_SHOW_RATE),
	    "after_survey.repurchase_rate");
	lab(doc, rebuy_doc_uint(doc, a, "lapsed", all->lapsed), "after_survey.lapsed");
	lab(doc, rebuy_doc_num(doc, a, "lapse_rate", all->lapse_rate, REBUY_SHOW_RATE),
	    "after_survey.lapse_rate");
	lab(doc, rebuy_doc_uint(doc, a, "orders", all->orders), "after_survey.orders");
	lab(doc,
	    s->has_amount ? rebuy_doc_money(doc, a, "revenue", all->revenue)
	                  : rebuy_doc_null(doc, a, "revenue"),
	    "after_survey.revenue");
	lab(doc,
	    rebuy_doc_num(doc, a, "orders_per_respondent", all->orders_per_respondent,
	                  REBUY_SHOW_DECIMAL),
	    "after_survey.orders_per_respondent");
	lab(doc,
	    rebuy_doc_num(doc, a, "revenue_per_respondent", all->revenue_per_respondent,
	                  REBUY_SHOW_MONEY),
	    "after_survey.revenue_per_respondent");
	if (rep) {
		rebuy_input_report_doc(rep, doc, a);
		rebuy_doc_table_hide(rebuy_doc_get(a, "input"));
	}
}

static void input_block(const struct rebuy_survey *s, struct rebuy_doc *doc,
                        struct rebuy_node *root)
{
	struct rebuy_node *in = rebuy_doc_obj(doc, root, "input");
	rebuy_doc_label(doc, in, "Input", NULL);
	rebuy_doc_label(doc, rebuy_doc_str(doc, in, "file", s->path), "File", NULL);
	rebuy_doc_label(doc, rebuy_doc_uint(doc, in, "rows", s->rows), "Rows",
	                "data rows read (blank lines are not rows)");
	rebuy_doc_label(doc, rebuy_doc_uint(doc, in, "rows_used", s->rows_used), "Rows used",
	                "responses with a customer, a date and a score on the scale");
	struct rebuy_node *rej = rebuy_doc_obj(doc, in, "rejected");
	rebuy_doc_label(doc, rej, "Rejected rows", NULL);
	for (int r = 0; r < REBUY_SURVEY_REJECT_COUNT; r++)
		rebuy_doc_uint(doc, rej, rebuy_survey_reject_name((enum rebuy_survey_reject)r),
		               s->rejected[r]);
	rebuy_doc_label(doc, rebuy_doc_uint(doc, in, "superseded_responses", s->superseded),
	                "Superseded responses",
	                "earlier responses of customers who answered again (not counted)");
	rebuy_doc_label(doc, rebuy_doc_uint(doc, in, "blank_lines", s->blank_lines), "Blank lines",
	                NULL);
	char delim[16];
	if (s->delimiter == REBUY_DELIM_WHITESPACE)
		snprintf(delim, sizeof delim, "whitespace");
	else if (s->delimiter == '\t')
		snprintf(delim, sizeof delim, "tab");
	else
		snprintf(delim, sizeof delim, "%c", s->delimiter ? s->delimiter : ',');
	rebuy_doc_label(doc, rebuy_doc_str(doc, in, "delimiter", delim), "Delimiter", NULL);
	rebuy_doc_label(doc, rebuy_doc_bool(doc, in, "header", s->has_header), "Header", NULL);
	rebuy_doc_label(doc,
	                rebuy_doc_str(doc, in, "date_format",
	                              s->date_format_pattern[0] ? s->date_format_pattern
	                              : s->date_format_name     ? s->date_format_name
	                                                        : "auto"),
	                "Date format", NULL);
	struct rebuy_node *cols = rebuy_doc_obj(doc, in, "columns");
	rebuy_doc_label(doc, cols, "Columns by role", NULL);
	for (int r = 0; r < REBUY_SURVEY_ROLE_COUNT; r++)
		if (s->column_name[r])
			rebuy_doc_str(doc, cols, rebuy_survey_role_name((enum rebuy_survey_role)r),
			              s->column_name[r]);
}

void rebuy_survey_doc(const struct rebuy_survey *s, const struct rebuy_input_report *orders_report,
                      struct rebuy_doc *doc, struct rebuy_node *root)
{
	headline(s, doc, root);
	struct rebuy_node *groups = rebuy_doc_arr(doc, root, "groups");
	rebuy_doc_label(doc, groups, "Groups", NULL);
	for (int g = 0; g < 4; g++)
		group_row(s, &s->groups[g], doc, groups);
	score_rows(s, doc, root);
	if (s->has_reason)
		reason_rows(s, doc, root);
	if (s->has_orders) {
		after_survey(s, orders_report, doc, root);
		if (s->has_reason)
			lapsed_reason_rows(s, doc, root);
	}
	input_block(s, doc, root);
	struct rebuy_node *d = rebuy_doc_obj(doc, root, "definitions");
	rebuy_doc_table_hide(d);
	const int nps = s->scale == REBUY_SCALE_NPS;
	for (size_t i = 0; i < sizeof defs / sizeof *defs; i++) {
		const char *k = defs[i].key;
		/* The other scale's groups, and the join without one, are left out. */
		int other = nps ? (strcmp(k, "satisfied") == 0 || strcmp(k, "neutral") == 0 ||
		                   strcmp(k, "unsatisfied") == 0)
		                : (strcmp(k, "promoters") == 0 || strcmp(k, "passives") == 0 ||
		                   strcmp(k, "detractors") == 0);
		int join = strncmp(k, "after_survey.", 13) == 0 ||
		           strncmp(k, "lapsed_reasons.", 15) == 0;
		int reason = strncmp(k, "reasons.", 8) == 0 || strstr(k, "reason") != NULL;
		if (other || (join && !s->has_orders) || (reason && !s->has_reason))
			continue;
		rebuy_doc_str(doc, d, k, defs[i].text);
	}
}
