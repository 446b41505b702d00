/* rebuy — survey measures (DESIGN.md §4, "Survey measures").
 *
 * A survey is a side table (table.h) of responses: customer, date, score
 * and, optionally, a reason. Scores are whole numbers on one of two scales:
 *   NPS, 0..10: promoters 9-10, passives 7-8, detractors 0-6;
 *     nps = (promoters - detractors) / respondents, a fraction in -1..1
 *     (nps_score = 100 x nps is the -100..100 number survey tools print);
 *   CSAT, 1..5: satisfied 4-5, neutral 3, unsatisfied 1-2;
 *     csat = satisfied / respondents.
 * The scale is detected from the scores unless given: every score in 1..5
 * reads as CSAT, else every score in 0..10 as NPS, else it is an error.
 * A customer who answered more than once counts once, with their latest
 * response (latest day; the later row on one day), unless every response is
 * asked to count. Reasons are trimmed (control characters read as spaces),
 * case kept; an empty reason is no reason.
 *
 * Joined to an orders table, each respondent is followed for lapse_days
 * days after the survey day (days s+1 .. s+lapse_days; purchases on the
 * survey day itself do not count): a respondent who bought in that window
 * repurchased, one who did not lapsed. The window must end before the as-of
 * day (the first day without data) to be observed; respondents surveyed
 * later are "too recent", and respondents whose key is not in the orders
 * table are "not in orders"; both are counted apart and left out of the
 * rates. Keys match as the order reader reads them (trimmed; "17850.0" is
 * "17850").
 *
 * Everything here is computed, never printed; the result does not depend
 * on thread count, and rows of one file in another order give the same
 * result except where the latest of two same-day responses is chosen.
 */
#ifndef REBUY_SURVEY_H
#define REBUY_SURVEY_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/error.h"
#include "rebuy/input.h"
#include "rebuy/orders.h"
#include "rebuy/table.h"

#ifdef __cplusplus
extern "C" {
#endif

enum rebuy_survey_scale { REBUY_SCALE_AUTO, REBUY_SCALE_NPS, REBUY_SCALE_CSAT };

/* "auto", "nps", "csat" -> *out; REBUY_EARG otherwise. */
enum rebuy_status rebuy_survey_scale_from_name(const char *name, enum rebuy_survey_scale *out,
                                               struct rebuy_error *err);
const char *rebuy_survey_scale_name(enum rebuy_survey_scale scale);

/* Column roles of a survey, and the normalized header names that take them
 * (see rebuy_table_find_column). */
enum rebuy_survey_role {
	REBUY_SURVEY_CUSTOMER,
	REBUY_SURVEY_DATE,
	REBUY_SURVEY_SCORE,
	REBUY_SURVEY_REASON, /* optional */
	REBUY_SURVEY_ROLE_COUNT
};

const char *rebuy_survey_role_name(enum rebuy_survey_role role);
/* The NULL-terminated list of normalized header names of a role. */
const char *const *rebuy_survey_role_headers(enum rebuy_survey_role role);

/* Why a response was left out. */
enum rebuy_survey_reject {
	REBUY_SURVEY_SHORT_ROW,          /* fewer fields than the customer, date or score column */
	REBUY_SURVEY_MISSING_CUSTOMER,   /* empty customer */
	REBUY_SURVEY_BAD_DATE,           /* unreadable date */
	REBUY_SURVEY_MISSING_SCORE,      /* empty score */
	REBUY_SURVEY_BAD_SCORE,          /* not a whole number ("9.5", "ten") */
	REBUY_SURVEY_SCORE_OUT_OF_RANGE, /* a whole number outside the scale */
	REBUY_SURVEY_REJECT_COUNT
};

/* "short_row", "missing_customer", ... */
const char *rebuy_survey_reject_name(enum rebuy_survey_reject reason);

#define REBUY_SURVEY_DEFAULT_LAPSE_DAYS 90
#define REBUY_SURVEY_MAX_LAPSE_DAYS 36500

struct rebuy_survey_options {
	/* Column references (a header name or a 1-based number), or NULL to
	 * detect; flag_names[role] names the option for messages. */
	const char *column[REBUY_SURVEY_ROLE_COUNT];
	const char *flag_names[REBUY_SURVEY_ROLE_COUNT];
	const char *date_format;       /* NULL or "auto": detect (see rebuy_date_format_parse) */
	const char *date_format_flag;  /* the option giving it, for messages */
	enum rebuy_survey_scale scale; /* AUTO: detect */
	int each_response;             /* 1: every response counts; 0: the latest per customer */
	int strict;                    /* the first response left out is an error */
	/* The join (when orders are given). */
	int64_t lapse_days; /* the window after the survey, 1..REBUY_SURVEY_MAX_LAPSE_DAYS */
	int has_as_of;
	int64_t as_of_day; /* the first day without data; default: the day after the last purchase
	                    */
};

/* Defaults: columns detected, scale detected, the latest response per
 * customer, 90 lapse days, as-of from the orders. */
void rebuy_survey_options_init(struct rebuy_survey_options *opts);

/* One of the three groups of a scale (promoters, passives, detractors; or
 * satisfied, neutral, unsatisfied), or every respondent. */
struct rebuy_survey_group {
	const char *name; /* "promoters", ... "all" (static) */
	int lo, hi;       /* scores in the group */
	uint64_t respondents;
	double share; /* respondents / all respondents */
	/* The join. */
	uint64_t not_in_orders;        /* key not in the orders table */
	uint64_t too_recent;           /* the window does not end before the as-of day */
	uint64_t observed;             /* the others: the denominator below */
	uint64_t repurchased;          /* a purchase in the window */
	uint64_t lapsed;               /* none: observed - repurchased */
	double repurchase_rate;        /* repurchased / observed */
	double lapse_rate;             /* lapsed / observed */
	uint64_t orders;               /* purchases in the windows of the observed */
	int64_t revenue;               /* their value (1/10,000 units) */
	double orders_per_respondent;  /* orders / observed */
	double revenue_per_respondent; /* revenue / observed, in currency units */
};

/* A distinct reason, with how many respondents gave it. */
struct rebuy_survey_reason {
	const char *text; /* owned by the result */
	uint64_t respondents;
	uint64_t by_group[3];      /* in the order of groups[0..2] */
	uint64_t observed, lapsed; /* the join */
	double lapse_rate;         /* lapsed / observed */
};

struct rebuy_survey {
	enum rebuy_survey_scale scale;
	int scale_detected;       /* 0: given */
	const char *scale_reason; /* why (static text) */
	int min_score, max_score; /* 0..10 or 1..5 */
	int each_response;

	/* Reading. */
	char path[256];
	char delimiter;
	int has_header;
	const char *date_format_name; /* "iso", "dmy", ... (static) */
	char date_format_pattern[REBUY_DATE_PATTERN_MAX];
	int column[REBUY_SURVEY_ROLE_COUNT];        /* 0-based; -1 when absent (reason only) */
	char *column_name[REBUY_SURVEY_ROLE_COUNT]; /* owned; NULL when absent */
	uint64_t rows, blank_lines, rows_used;
	uint64_t rejected[REBUY_SURVEY_REJECT_COUNT];
	uint64_t superseded; /* earlier responses of a customer who answered again */
	size_t n_problems;
	struct rebuy_problem problems[REBUY_MAX_PROBLEMS]; /* kind: enum rebuy_survey_reject */

	/* Measures over the respondents (responses counted). */
	uint64_t respondents;
	uint64_t customers;          /* distinct customers among them */
	int64_t first_day, last_day; /* of the responses counted */
	uint64_t score_count[11];    /* respondents per score, index = score */
	double mean_score;
	double nps;                          /* NaN on CSAT */
	double nps_score;                    /* 100 x nps */
	double csat;                         /* NaN on NPS */
	struct rebuy_survey_group groups[4]; /* the scale's three, then "all" */

	int has_reason;
	uint64_t with_reason, without_reason;
	size_t n_reasons;
	struct rebuy_survey_reason *reasons; /* by respondents, most first; ties by text */
	uint64_t lapsed_with_reason;
	size_t n_lapsed_reasons;
	uint32_t *lapsed_order; /* indexes into reasons with lapsed > 0, most lapsed first */

	/* The join (has_orders). */
	int has_orders, has_amount;
	int64_t as_of_day, lapse_days;
	struct rebuy__survey_priv *priv;
};

/* Computes the measures of the survey in table; orders may be NULL (no
 * join). On success *out owns a new result (free with rebuy_survey_free).
 * Errors: REBUY_EDATA (a missing column, two candidate columns, no usable
 * response, scores outside both scales without a given scale, dates that
 * read both month- and day-first, --strict and a response left out:
 * "file:line:col: message"), REBUY_EARG (a column flag naming no column,
 * one column for two roles, a bad option), REBUY_ELIMIT (a revenue sum
 * beyond int64), REBUY_ENOMEM. */
enum rebuy_status rebuy_survey_compute(const struct rebuy_table *table,
                                       const struct rebuy_orders *orders,
                                       const struct rebuy_survey_options *opts,
                                       struct rebuy_survey **out, struct rebuy_error *err);

void rebuy_survey_free(struct rebuy_survey *survey);

struct rebuy_doc;
struct rebuy_node;

/* Adds the result to doc under parent (the JSON contract of docs/survey.md):
 * the scale and headline measures, `groups`, `scores`, `reasons`,
 * `after_survey` and `lapsed_reasons` with a join, `input`, and
 * `definitions`. orders_report (may be NULL) adds the orders' input block
 * inside `after_survey` (hidden from text tables). */
void rebuy_survey_doc(const struct rebuy_survey *survey,
                      const struct rebuy_input_report *orders_report, struct rebuy_doc *doc,
                      struct rebuy_node *parent);

#ifdef __cplusplus
}
#endif
#endif
