/* Survey measures (DESIGN.md §4; definitions in include/rebuy/survey.h and
 * docs/survey.md): NPS = share of 9-10 minus share of 0-6 on 0..10 (Reichheld,
 * "The One Number You Need to Grow", HBR 2003), CSAT = share of 4-5 on 1..5;
 * scores per value, reasons tallied per group, and, joined to the orders,
 * repurchase and lapse within a fixed window after each survey day.
 * Two passes over the rows in file order: read every cell, then, once the
 * date order and the scale are settled, judge each response. */
#include "rebuy/survey.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/strtab.h"
#include "data/partial.h"
#include "ingest/side.h"
#include "rebuy/date.h"
#include "rebuy/money.h"

static const char *const role_names[REBUY_SURVEY_ROLE_COUNT] = {"customer", "date", "score",
                                                                "reason"};

/* Normalized header names per role: the customer names of DESIGN.md §3, the
 * date names of survey exports (not order dates: a survey row may carry the
 * date of the order it asks about), and the Russian ones. */
static const char *const customer_headers[] = {"customer",    "customerid", "clientid",  "userid",
                                               "householdid", "cust",       "id",        "клиент",
                                               "покупатель",  "кодклиента", "idклиента", NULL};
static const char *const date_headers[] = {
        "date",        "surveydate", "responsedate", "respondedat", "answeredat",
        "submittedat", "submitdate", "completedat",  "createdat",   "timestamp",
        "дата",        "датаопроса", "датаответа",   NULL};
static const char *const score_headers[] = {"score",     "rating", "nps",    "npsscore", "csat",
                                            "csatscore", "answer", "оценка", "балл",     NULL};
static const char *const reason_headers[] = {"reason",      "reasons",  "comment",  "comments",
                                             "why",         "feedback", "verbatim", "причина",
                                             "комментарий", "отзыв",    NULL};

static const char *const *const role_headers[REBUY_SURVEY_ROLE_COUNT] = {
        customer_headers, date_headers, score_headers, reason_headers};

static const char *const reject_names[REBUY_SURVEY_REJECT_COUNT] = {
        "short_row",     "missing_customer", "bad_date",
        "missing_score", "bad_score",        "score_out_of_range"};

static const char *const default_flags[REBUY_SURVEY_ROLE_COUNT] = {"survey-customer", "survey-date",
                                                                   "score", "reason"};

const char *rebuy_survey_role_name(enum rebuy_survey_role role)
{
	return (unsigned)role < REBUY_SURVEY_ROLE_COUNT ? role_names[role] : "unknown";
}

const char *const *rebuy_survey_role_headers(enum rebuy_survey_role role)
{
	static const char *const none[] = {NULL};
	return (unsigned)role < REBUY_SURVEY_ROLE_COUNT ? role_headers[role] : none;
}

const char *rebuy_survey_reject_name(enum rebuy_survey_reject reason)
{
	return (unsigned)reason < REBUY_SURVEY_REJECT_COUNT ? reject_names[reason] : "unknown";
}

const char *rebuy_survey_scale_name(enum rebuy_survey_scale scale)
{
	switch (scale) {
	case REBUY_SCALE_NPS: return "nps";
	case REBUY_SCALE_CSAT: return "csat";
	default: return "auto";
	}
}

enum rebuy_status rebuy_survey_scale_from_name(const char *name, enum rebuy_survey_scale *out,
                                               struct rebuy_error *err)
{
	static const enum rebuy_survey_scale all[] = {REBUY_SCALE_AUTO, REBUY_SCALE_NPS,
	                                              REBUY_SCALE_CSAT};
	for (size_t i = 0; i < 3; i++)
		if (strcmp(name, rebuy_survey_scale_name(all[i])) == 0) {
			*out = all[i];
			return REBUY_OK;
		}
	return rebuy_error_set(err, REBUY_EARG, "scale '%s' is not nps, csat or auto", name);
}

void rebuy_survey_options_init(struct rebuy_survey_options *opts)
{
	memset(opts, 0, sizeof *opts);
	for (int r = 0; r < REBUY_SURVEY_ROLE_COUNT; r++)
		opts->flag_names[r] = default_flags[r];
	opts->date_format_flag = "survey-date-format";
	opts->lapse_days = REBUY_SURVEY_DEFAULT_LAPSE_DAYS;
}

struct rebuy__survey_priv {
	struct rebuy__strtab reasons; /* the reason texts */
};

void rebuy_survey_free(struct rebuy_survey *s)
{
	if (!s)
		return;
	for (int r = 0; r < REBUY_SURVEY_ROLE_COUNT; r++)
		rebuy__free(s->column_name[r]);
	if (s->priv) {
		rebuy__strtab_release(&s->priv->reasons);
		rebuy__free(s->priv);
	}
	rebuy__free(s->reasons);
	rebuy__free(s->lapsed_order);
	rebuy__free(s);
}

/* ---- cells --------------------------------------------------------------- */

/* A whole number: blanks, an optional sign, digits, and optionally a
 * decimal mark followed by zeros only ("9.0", "9,0": spreadsheets write
 * integers so). Returns 1 and *v (clamped to +-10^9) when it is one. */
static int parse_score(const char *s, size_t n, int64_t *v)
{
	s = rebuy__trim_blanks(s, &n);
	size_t i = 0;
	int neg = 0;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	size_t d0 = i;
	int64_t x = 0;
	while (i < n && s[i] >= '0' && s[i] <= '9') {
		if (x < 1000000000)
			x = x * 10 + (s[i] - '0');
		i++;
	}
	if (i == d0)
		return 0;
	if (i < n && (s[i] == '.' || s[i] == ',')) {
		i++;
		while (i < n && s[i] == '0')
			i++;
	}
	if (i != n)
		return 0;
	*v = neg ? -x : x;
	return 1;
}

/* ---- reading the responses ---------------------------------------------- */

enum { OK_ROW = -1 };

struct resp {
	int64_t ts, ts_alt;
	int64_t score;
	int reject; /* an enum rebuy_survey_reject, or OK_ROW */
	unsigned slash;
};

struct example {
	int set;
	size_t row;
};

struct reading {
	const struct rebuy_table *t;
	const struct rebuy_survey_options *opts;
	struct rebuy_survey *s;
	struct rebuy_date_format fmt;
	struct resp *rows;
	struct example mdy_only, dmy_only, ambiguous;
	unsigned shapes; /* the date shapes seen (AUTO): bits of enum shape */
};

/* How an AUTO date was written, for the report (as the order reader names
 * them). */
enum shape {
	SHAPE_ISO,
	SHAPE_YMD8,
	SHAPE_UNIX,
	SHAPE_UNIX_MS,
	SHAPE_SLASH,
	SHAPE_DOT,
	SHAPE_OTHER
};

static enum shape date_shape(const char *s, size_t n, unsigned flags)
{
	s = rebuy__trim_blanks(s, &n);
	size_t digits = 0;
	while (digits < n && s[digits] >= '0' && s[digits] <= '9')
		digits++;
	if (digits == n)
		return n == 8 ? SHAPE_YMD8 : n == 13 ? SHAPE_UNIX_MS : SHAPE_UNIX;
	if (flags & REBUY_DATE_SLASH)
		return SHAPE_SLASH;
	if (digits >= 1 && digits <= 2 && s[digits] == '.')
		return SHAPE_DOT;
	if (digits == 4 && s[4] == '-')
		return SHAPE_ISO;
	return SHAPE_OTHER;
}

static const char *cell(const struct reading *rd, size_t row, int role)
{
	return rebuy_table_cell(rd->t, row, (size_t)rd->s->column[role]);
}

static void note_example(struct example *e, size_t row)
{
	if (!e->set) {
		e->set = 1;
		e->row = row;
	}
}

/* Pass 1: every cell but the score's range. */
static void read_row(struct reading *rd, size_t row)
{
	struct rebuy_survey *s = rd->s;
	struct resp *r = &rd->rows[row];
	r->reject = OK_ROW;
	size_t need = 0;
	for (int k = 0; k < REBUY_SURVEY_REASON; k++)
		if ((size_t)s->column[k] + 1 > need)
			need = (size_t)s->column[k] + 1;
	if (rebuy_table_row_fields(rd->t, row) < need) {
		r->reject = REBUY_SURVEY_SHORT_ROW;
		return;
	}
	const char *c = cell(rd, row, REBUY_SURVEY_CUSTOMER);
	size_t n = strlen(c);
	rebuy__trim_blanks(c, &n);
	if (n == 0) {
		r->reject = REBUY_SURVEY_MISSING_CUSTOMER;
		return;
	}
	const char *d = cell(rd, row, REBUY_SURVEY_DATE);
	unsigned flags = rebuy_date_parse(d, strlen(d), &rd->fmt, &r->ts, &r->ts_alt);
	if (!(flags & REBUY_DATE_OK)) {
		r->reject = REBUY_SURVEY_BAD_DATE;
		return;
	}
	if (rd->fmt.kind == REBUY_DATE_AUTO)
		rd->shapes |= 1u << date_shape(d, strlen(d), flags);
	if (flags & REBUY_DATE_SLASH) {
		int mdy = (flags & REBUY_DATE_MDY_VALID) != 0,
		    dmy = (flags & REBUY_DATE_DMY_VALID) != 0;
		r->slash = 1;
		if (mdy && dmy)
			note_example(&rd->ambiguous, row);
		else if (mdy)
			note_example(&rd->mdy_only, row);
		else
			note_example(&rd->dmy_only, row);
		if (!mdy)
			r->ts = r->ts_alt;
		if (!dmy)
			r->ts_alt = r->ts;
	}
	const char *sc = cell(rd, row, REBUY_SURVEY_SCORE);
	n = strlen(sc);
	rebuy__trim_blanks(sc, &n);
	if (n == 0)
		r->reject = REBUY_SURVEY_MISSING_SCORE;
	else if (!parse_score(sc, strlen(sc), &r->score))
		r->reject = REBUY_SURVEY_BAD_SCORE;
}

/* Month or day first for a/b/YYYY dates, from the whole column (a value
 * that reads only one way decides), as the order reader does. */
static enum rebuy_status decide_slash(struct reading *rd, struct rebuy_error *err)
{
	struct rebuy_survey *s = rd->s;
	const struct rebuy_table *t = rd->t;
	const char *flag = rd->opts->date_format_flag ? rd->opts->date_format_flag : "date-format";
	char a[48], b[48];
	if (rd->fmt.kind != REBUY_DATE_AUTO) {
		s->date_format_name = rebuy__date_kind_name(rd->fmt.kind);
		return REBUY_OK;
	}
	static const char *const shape_names[] = {"iso", "ymd", "unix", "unix_ms", "", "dmy", ""};
	s->date_format_name = "auto";
	for (unsigned k = 0; k < sizeof shape_names / sizeof *shape_names; k++)
		if (rd->shapes == 1u << k && shape_names[k][0])
			s->date_format_name = shape_names[k];
	if (rd->mdy_only.set && rd->dmy_only.set) {
		rebuy__cut_text(a, sizeof a, cell(rd, rd->mdy_only.row, REBUY_SURVEY_DATE));
		rebuy__cut_text(b, sizeof b, cell(rd, rd->dmy_only.row, REBUY_SURVEY_DATE));
		return rebuy_error_set(
		        err, REBUY_EDATA,
		        "%s: the dates mix month/day ('%s' on line %llu) and day/month ('%s' on "
		        "line %llu): give --%s mdy or dmy",
		        s->path, a, (unsigned long long)rebuy_table_row_line(t, rd->mdy_only.row),
		        b, (unsigned long long)rebuy_table_row_line(t, rd->dmy_only.row), flag);
	}
	int use_alt = 0;
	const int only_slash = rd->shapes == 1u << SHAPE_SLASH;
	if (rd->dmy_only.set) {
		use_alt = 1;
		s->date_format_name = only_slash ? "dmy" : "auto";
	} else if (rd->mdy_only.set) {
		s->date_format_name = only_slash ? "mdy" : "auto";
	} else if (rd->ambiguous.set) {
		rebuy__cut_text(a, sizeof a, cell(rd, rd->ambiguous.row, REBUY_SURVEY_DATE));
		return rebuy_error_set(
		        err, REBUY_EDATA,
		        "%s: every date reads both as month/day and as day/month (e.g. '%s' on "
		        "line "
		        "%llu): give --%s mdy or dmy",
		        s->path, a, (unsigned long long)rebuy_table_row_line(t, rd->ambiguous.row),
		        flag);
	}
	if (use_alt)
		for (size_t i = 0; i < t->n_rows; i++)
			if (rd->rows[i].reject == OK_ROW && rd->rows[i].slash)
				rd->rows[i].ts = rd->rows[i].ts_alt;
	return REBUY_OK;
}

static void set_scale(struct rebuy_survey *s, enum rebuy_survey_scale scale)
{
	s->scale = scale;
	s->min_score = scale == REBUY_SCALE_NPS ? 0 : 1;
	s->max_score = scale == REBUY_SCALE_NPS ? 10 : 5;
}

/* The scale: given, or from the scores that read as whole numbers. */
static enum rebuy_status decide_scale(struct reading *rd, struct rebuy_error *err)
{
	struct rebuy_survey *s = rd->s;
	if (rd->opts->scale != REBUY_SCALE_AUTO) {
		set_scale(s, rd->opts->scale);
		s->scale_reason = "given";
		return REBUY_OK;
	}
	s->scale_detected = 1;
	int any = 0, all_csat = 1;
	size_t outside = 0;
	int has_outside = 0;
	for (size_t i = 0; i < rd->t->n_rows; i++) {
		const struct resp *r = &rd->rows[i];
		if (r->reject != OK_ROW)
			continue;
		any = 1;
		if (r->score < 1 || r->score > 5)
			all_csat = 0;
		if ((r->score < 0 || r->score > 10) && !has_outside) {
			has_outside = 1;
			outside = i;
		}
	}
	if (has_outside) {
		char text[48];
		rebuy__cut_text(text, sizeof text, cell(rd, outside, REBUY_SURVEY_SCORE));
		return rebuy_error_set(
		        err, REBUY_EDATA,
		        "%s:%llu:%d: score '%s' is outside both scales (0-10 for NPS, "
		        "1-5 for CSAT): give the scale (nps or csat) to count such "
		        "scores as out of range",
		        s->path, (unsigned long long)rebuy_table_row_line(rd->t, outside),
		        s->column[REBUY_SURVEY_SCORE] + 1, text);
	}
	if (any && all_csat) {
		set_scale(s, REBUY_SCALE_CSAT);
		s->scale_reason = "detected: every score is between 1 and 5";
	} else {
		set_scale(s, REBUY_SCALE_NPS);
		s->scale_reason = any ? "detected: the scores run 0-10 (a 0 or a score above 5 was "
		                        "seen)"
		                      : "detected: no score could be read";
	}
	return REBUY_OK;
}

/* Pass 2: the score's range; the problems in file order. */
static enum rebuy_status judge_rows(struct reading *rd, struct rebuy_error *err)
{
	struct rebuy_survey *s = rd->s;
	const struct rebuy_table *t = rd->t;
	for (size_t i = 0; i < t->n_rows; i++) {
		struct resp *r = &rd->rows[i];
		if (r->reject == OK_ROW && (r->score < s->min_score || r->score > s->max_score))
			r->reject = REBUY_SURVEY_SCORE_OUT_OF_RANGE;
		if (r->reject == OK_ROW) {
			s->rows_used++;
			continue;
		}
		s->rejected[r->reject]++;
		if (s->n_problems >= REBUY_MAX_PROBLEMS)
			continue;
		struct rebuy_problem *p = &s->problems[s->n_problems++];
		p->kind = r->reject;
		p->line = rebuy_table_row_line(t, i);
		char text[64];
		switch (r->reject) {
		case REBUY_SURVEY_SHORT_ROW: {
			int role = 0;
			for (int k = 0; k < REBUY_SURVEY_REASON; k++)
				if ((size_t)s->column[k] >= rebuy_table_row_fields(t, i)) {
					role = k;
					break;
				}
			p->column = 0;
			snprintf(p->message, sizeof p->message,
			         "the row has %zu fields; the %s column is field %d",
			         rebuy_table_row_fields(t, i), role_names[role],
			         s->column[role] + 1);
			break;
		}
		case REBUY_SURVEY_MISSING_CUSTOMER:
			p->column = (unsigned)s->column[REBUY_SURVEY_CUSTOMER] + 1;
			snprintf(p->message, sizeof p->message, "empty customer");
			break;
		case REBUY_SURVEY_BAD_DATE:
			p->column = (unsigned)s->column[REBUY_SURVEY_DATE] + 1;
			rebuy__cut_text(text, sizeof text, cell(rd, i, REBUY_SURVEY_DATE));
			snprintf(p->message, sizeof p->message, "cannot read date '%s'", text);
			break;
		case REBUY_SURVEY_MISSING_SCORE:
			p->column = (unsigned)s->column[REBUY_SURVEY_SCORE] + 1;
			snprintf(p->message, sizeof p->message, "empty score");
			break;
		case REBUY_SURVEY_BAD_SCORE:
			p->column = (unsigned)s->column[REBUY_SURVEY_SCORE] + 1;
			rebuy__cut_text(text, sizeof text, cell(rd, i, REBUY_SURVEY_SCORE));
			snprintf(p->message, sizeof p->message, "score '%s' is not a whole number",
			         text);
			break;
		default:
			p->column = (unsigned)s->column[REBUY_SURVEY_SCORE] + 1;
			rebuy__cut_text(text, sizeof text, cell(rd, i, REBUY_SURVEY_SCORE));
			snprintf(p->message, sizeof p->message,
			         "score '%s' is outside the %s scale (%d-%d)", text,
			         s->scale == REBUY_SCALE_NPS ? "NPS" : "CSAT", s->min_score,
			         s->max_score);
			break;
		}
		if (rd->opts->strict)
			return rebuy_error_set(err, REBUY_EDATA, "%s:%llu:%u: %s", s->path,
			                       (unsigned long long)p->line, p->column, p->message);
	}
	return REBUY_OK;
}

/* ---- columns ---------------------------------------------------------------- */

static enum rebuy_status find_columns(const struct rebuy_table *t,
                                      const struct rebuy_survey_options *opts,
                                      struct rebuy_survey *s, struct rebuy_error *err)
{
	struct rebuy_table_role roles[REBUY_SURVEY_ROLE_COUNT];
	for (int k = 0; k < REBUY_SURVEY_ROLE_COUNT; k++)
		roles[k] = (struct rebuy_table_role){
		        .role = role_names[k],
		        .flag = opts->flag_names[k] ? opts->flag_names[k] : default_flags[k],
		        .ref = opts->column[k],
		        .names = role_headers[k],
		        .is_required = k != REBUY_SURVEY_REASON,
		};
	enum rebuy_status st =
	        rebuy_table_find_columns(t, roles, REBUY_SURVEY_ROLE_COUNT, s->column, err);
	if (st)
		return st;
	for (int k = 0; k < REBUY_SURVEY_ROLE_COUNT; k++) {
		if (s->column[k] < 0)
			continue;
		const char *name = rebuy_table_column_name(t, (size_t)s->column[k]);
		if (!(s->column_name[k] = rebuy__strndup(name, strlen(name))))
			return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	}
	s->has_reason = s->column[REBUY_SURVEY_REASON] >= 0;
	return REBUY_OK;
}

/* ---- the measures ------------------------------------------------------------ */

/* The group of a score: 0 top (promoters, satisfied), 1 middle, 2 bottom. */
static int group_of(const struct rebuy_survey *s, int64_t score)
{
	if (s->scale == REBUY_SCALE_NPS)
		return score >= 9 ? 0 : score >= 7 ? 1 : 2;
	return score >= 4 ? 0 : score == 3 ? 1 : 2;
}

static void name_groups(struct rebuy_survey *s)
{
	static const char *const nps_names[3] = {"promoters", "passives", "detractors"};
	static const char *const csat_names[3] = {"satisfied", "neutral", "unsatisfied"};
	static const int nps_lo[3] = {9, 7, 0}, nps_hi[3] = {10, 8, 6};
	static const int csat_lo[3] = {4, 3, 1}, csat_hi[3] = {5, 3, 2};
	int nps = s->scale == REBUY_SCALE_NPS;
	for (int g = 0; g < 3; g++) {
		s->groups[g].name = nps ? nps_names[g] : csat_names[g];
		s->groups[g].lo = nps ? nps_lo[g] : csat_lo[g];
		s->groups[g].hi = nps ? nps_hi[g] : csat_hi[g];
	}
	s->groups[3].name = "all";
	s->groups[3].lo = s->min_score;
	s->groups[3].hi = s->max_score;
}

/* A respondent counted: the row, their key id, the reason id (-1: none). */
struct counted {
	size_t row;
	uint32_t key;
	int64_t reason;
	int64_t day;
	int64_t score;
};

struct work {
	struct rebuy__strtab keys;
	size_t *latest; /* per key: the row of the latest response */
	struct counted *resp;
	size_t n_resp;
	char *clean; /* a reason being cleaned */
	size_t clean_cap;
	uint64_t *reason_count; /* per reason id, by group then the join: 6 per id */
	size_t reason_cap;
	uint32_t *cust_of_key; /* the orders' customer of each key, or UINT32_MAX */
};

static void work_release(struct work *w)
{
	rebuy__strtab_release(&w->keys);
	rebuy__free(w->latest);
	rebuy__free(w->resp);
	rebuy__free(w->clean);
	rebuy__free(w->reason_count);
	rebuy__free(w->cust_of_key);
}

static enum rebuy_status nomem(struct rebuy_error *err)
{
	return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
}

static enum rebuy_status status_of(enum rebuy_status st, const char *what, struct rebuy_error *err)
{
	if (st == REBUY_ENOMEM)
		return nomem(err);
	return rebuy_error_set(err, st, "too many %s", what);
}

/* The responses counted: every usable one, or each customer's latest. */
static enum rebuy_status select_responses(struct reading *rd, struct work *w, char decimal,
                                          struct rebuy_error *err)
{
	struct rebuy_survey *s = rd->s;
	const struct rebuy_table *t = rd->t;
	size_t n = (size_t)s->rows_used;
	if (!(w->resp = rebuy__calloc(n ? n : 1, sizeof *w->resp)) ||
	    !(w->latest = rebuy__calloc(n ? n : 1, sizeof *w->latest)))
		return nomem(err);
	enum rebuy_status st;
	for (size_t i = 0; i < t->n_rows; i++) {
		const struct resp *r = &rd->rows[i];
		if (r->reject != OK_ROW)
			continue;
		const char *key = cell(rd, i, REBUY_SURVEY_CUSTOMER);
		size_t len = rebuy__key_normalize(&key, strlen(key), decimal);
		uint32_t id;
		int is_new;
		if ((st = rebuy__strtab_intern(&w->keys, key, len, rebuy__strtab_hash(key, len),
		                               &id, &is_new)))
			return status_of(st, "customers", err);
		int64_t day = rebuy_day_of(r->ts);
		struct counted *c = &w->resp[w->n_resp];
		if (!rd->opts->each_response && !is_new) {
			/* The later of two: later day, or the later row on one day. */
			struct counted *old = &w->resp[w->latest[id]];
			s->superseded++;
			if (day < old->day)
				continue;
			c = old;
		} else {
			w->latest[id] = w->n_resp++;
		}
		c->row = i;
		c->key = id;
		c->day = day;
		c->score = r->score;
		c->reason = -1;
	}
	s->customers = w->keys.n;
	return REBUY_OK;
}

/* Trims the reason of a row into w->clean, control characters read as
 * spaces; returns its length. */
static enum rebuy_status clean_reason(struct work *w, const char *text, size_t *len,
                                      struct rebuy_error *err)
{
	size_t n = strlen(text);
	if (n + 1 > w->clean_cap) {
		char *p = rebuy__realloc(w->clean, n + 1);
		if (!p)
			return nomem(err);
		w->clean = p;
		w->clean_cap = n + 1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		w->clean[i] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	const char *p = w->clean;
	size_t k = n;
	while (k > 0 && *p == ' ') {
		p++;
		k--;
	}
	while (k > 0 && p[k - 1] == ' ')
		k--;
	memmove(w->clean, p, k);
	*len = k;
	return REBUY_OK;
}

enum { RC_GROUP0, RC_GROUP1, RC_GROUP2, RC_OBSERVED, RC_LAPSED, RC_N };

static enum rebuy_status tally_reasons(struct reading *rd, struct work *w,
                                       struct rebuy__strtab *texts, struct rebuy_error *err)
{
	struct rebuy_survey *s = rd->s;
	enum rebuy_status st;
	for (size_t i = 0; i < w->n_resp; i++) {
		struct counted *c = &w->resp[i];
		size_t len = 0;
		if ((st = clean_reason(w, cell(rd, c->row, REBUY_SURVEY_REASON), &len, err)))
			return st;
		if (len == 0) {
			s->without_reason++;
			continue;
		}
		s->with_reason++;
		uint32_t id;
		int is_new;
		if ((st = rebuy__strtab_intern(texts, w->clean, len,
		                               rebuy__strtab_hash(w->clean, len), &id, &is_new)))
			return status_of(st, "distinct reasons", err);
		if (is_new) {
			size_t cap = w->reason_cap;
			if ((st = rebuy__grow((void **)&w->reason_count, &w->reason_cap,
			                      ((size_t)id + 1) * RC_N, sizeof *w->reason_count,
			                      SIZE_MAX / sizeof *w->reason_count)))
				return status_of(st, "distinct reasons", err);
			memset(w->reason_count + cap, 0,
			       (w->reason_cap - cap) * sizeof *w->reason_count);
		}
		c->reason = id;
		w->reason_count[(size_t)id * RC_N + (size_t)group_of(s, c->score)]++;
	}
	return REBUY_OK;
}

/* The first purchase of customer c at or after ts (binary search). */
static uint64_t first_at_or_after(const struct rebuy_orders *o, uint32_t c, int64_t ts)
{
	uint64_t lo = o->cust_start[c], hi = o->cust_start[c + 1];
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (o->ts[mid] < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static enum rebuy_status join_orders(struct reading *rd, struct work *w,
                                     const struct rebuy_orders *o, struct rebuy_error *err)
{
	struct rebuy_survey *s = rd->s;
	size_t nk = w->keys.n;
	if (!(w->cust_of_key = rebuy__malloc((nk ? nk : 1) * sizeof *w->cust_of_key)))
		return nomem(err);
	for (size_t k = 0; k < nk; k++)
		w->cust_of_key[k] = UINT32_MAX;
	/* One pass over the orders' customers, looked up among the few keys. */
	for (size_t c = 0; c < o->n_customers && nk > 0; c++) {
		size_t len;
		const char *key = rebuy_orders_customer_key(o, c, &len);
		uint32_t id;
		if (rebuy__strtab_find(&w->keys, key, len, rebuy__strtab_hash(key, len), &id))
			w->cust_of_key[id] = (uint32_t)c;
	}
	const int64_t L = s->lapse_days;
	for (size_t i = 0; i < w->n_resp; i++) {
		const struct counted *c = &w->resp[i];
		int g = group_of(s, c->score);
		uint64_t *rc = c->reason >= 0 ? &w->reason_count[(size_t)c->reason * RC_N] : NULL;
		uint32_t cust = w->cust_of_key[c->key];
		struct rebuy_survey_group *gs[2] = {&s->groups[g], &s->groups[3]};
		if (cust == UINT32_MAX) {
			gs[0]->not_in_orders++;
			gs[1]->not_in_orders++;
			continue;
		}
		if (c->day + L >= s->as_of_day) {
			gs[0]->too_recent++;
			gs[1]->too_recent++;
			continue;
		}
		int64_t from = (c->day + 1) * REBUY_SECONDS_PER_DAY;
		int64_t to = (c->day + L + 1) * REBUY_SECONDS_PER_DAY;
		uint64_t n = 0;
		int64_t value = 0;
		for (uint64_t k = first_at_or_after(o, cust, from);
		     k < o->cust_start[cust + 1] && o->ts[k] < to; k++) {
			n++;
			if (__builtin_add_overflow(value, o->value[k], &value))
				return rebuy_error_set(
				        err, REBUY_ELIMIT,
				        "revenue after the survey beyond +-922 trillion");
		}
		for (int k = 0; k < 2; k++) {
			gs[k]->observed++;
			gs[k]->orders += n;
			if (__builtin_add_overflow(gs[k]->revenue, value, &gs[k]->revenue))
				return rebuy_error_set(
				        err, REBUY_ELIMIT,
				        "revenue after the survey beyond +-922 trillion");
			if (n > 0)
				gs[k]->repurchased++;
			else
				gs[k]->lapsed++;
		}
		if (rc) {
			rc[RC_OBSERVED]++;
			rc[RC_LAPSED] += n == 0;
		}
	}
	return REBUY_OK;
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : NAN;
}

static void group_rates(struct rebuy_survey *s)
{
	for (int g = 0; g < 4; g++) {
		struct rebuy_survey_group *gr = &s->groups[g];
		gr->share = ratio(gr->respondents, s->respondents);
		gr->repurchase_rate = s->has_orders ? ratio(gr->repurchased, gr->observed) : NAN;
		gr->lapse_rate = s->has_orders ? ratio(gr->lapsed, gr->observed) : NAN;
		gr->orders_per_respondent = s->has_orders ? ratio(gr->orders, gr->observed) : NAN;
		gr->revenue_per_respondent =
		        s->has_orders && s->has_amount && gr->observed
		                ? (double)gr->revenue / REBUY_MONEY_SCALE / (double)gr->observed
		                : NAN;
	}
}

static int cmp_reason(const void *pa, const void *pb)
{
	const struct rebuy_survey_reason *a = pa, *b = pb;
	if (a->respondents != b->respondents)
		return a->respondents > b->respondents ? -1 : 1;
	return strcmp(a->text, b->text);
}

struct lapsed_key {
	uint64_t lapsed;
	uint32_t idx;
};

static int cmp_lapsed(const void *pa, const void *pb)
{
	const struct lapsed_key *a = pa, *b = pb;
	if (a->lapsed != b->lapsed)
		return a->lapsed > b->lapsed ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static enum rebuy_status build_reasons(struct rebuy_survey *s, const struct work *w,
                                       struct rebuy_error *err)
{
	const struct rebuy__strtab *texts = &s->priv->reasons;
	size_t n = texts->n;
	s->n_reasons = n;
	if (!(s->reasons = rebuy__calloc(n ? n : 1, sizeof *s->reasons)))
		return nomem(err);
	for (size_t i = 0; i < n; i++) {
		struct rebuy_survey_reason *r = &s->reasons[i];
		const uint64_t *rc = &w->reason_count[i * RC_N];
		r->text = rebuy__strtab_key(texts, (uint32_t)i, NULL);
		for (int g = 0; g < 3; g++) {
			r->by_group[g] = rc[g];
			r->respondents += rc[g];
		}
		r->observed = rc[RC_OBSERVED];
		r->lapsed = rc[RC_LAPSED];
		r->lapse_rate = s->has_orders ? ratio(r->lapsed, r->observed) : NAN;
		s->lapsed_with_reason += r->lapsed;
	}
	if (n > 1)
		qsort(s->reasons, n, sizeof *s->reasons, cmp_reason);
	struct lapsed_key *keys = rebuy__calloc(n ? n : 1, sizeof *keys);
	if (!keys || !(s->lapsed_order = rebuy__calloc(n ? n : 1, sizeof *s->lapsed_order))) {
		rebuy__free(keys);
		return nomem(err);
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (s->reasons[i].lapsed > 0)
			keys[k++] = (struct lapsed_key){s->reasons[i].lapsed, (uint32_t)i};
	if (k > 1)
		qsort(keys, k, sizeof *keys, cmp_lapsed);
	for (size_t i = 0; i < k; i++)
		s->lapsed_order[i] = keys[i].idx;
	s->n_lapsed_reasons = k;
	rebuy__free(keys);
	return REBUY_OK;
}

static enum rebuy_status measure(struct reading *rd, struct work *w,
                                 const struct rebuy_orders *orders, struct rebuy_error *err)
{
	struct rebuy_survey *s = rd->s;
	enum rebuy_status st;
	name_groups(s);
	int64_t sum = 0;
	s->respondents = w->n_resp;
	for (size_t i = 0; i < w->n_resp; i++) {
		const struct counted *c = &w->resp[i];
		s->score_count[c->score]++;
		sum += c->score;
		s->groups[group_of(s, c->score)].respondents++;
		if (i == 0 || c->day < s->first_day)
			s->first_day = c->day;
		if (i == 0 || c->day > s->last_day)
			s->last_day = c->day;
	}
	s->groups[3].respondents = s->respondents;
	s->mean_score = ratio((uint64_t)sum, s->respondents);
	/* (P - D) / n in one division: the nearest double to the fraction. */
	const double top = (double)s->groups[0].respondents,
	             bottom = (double)s->groups[2].respondents;
	const double n = (double)s->respondents;
	s->nps = s->scale == REBUY_SCALE_NPS ? (top - bottom) / n : NAN;
	s->nps_score = s->scale == REBUY_SCALE_NPS ? 100.0 * (top - bottom) / n : NAN;
	s->csat = s->scale == REBUY_SCALE_CSAT ? top / n : NAN;
	if (s->has_reason && (st = tally_reasons(rd, w, &s->priv->reasons, err)))
		return st;
	if (orders && (st = join_orders(rd, w, orders, err)))
		return st;
	group_rates(s);
	if (s->has_reason && (st = build_reasons(s, w, err)))
		return st;
	return REBUY_OK;
}

static void reject_summary(const struct rebuy_survey *s, char *buf, size_t size)
{
	size_t k = 0;
	buf[0] = '\0';
	for (int r = 0; r < REBUY_SURVEY_REJECT_COUNT && k < size; r++)
		if (s->rejected[r]) {
			int w = snprintf(buf + k, size - k, "%s%s %llu", k ? ", " : "",
			                 reject_names[r], (unsigned long long)s->rejected[r]);
			if (w < 0)
				break;
			k += (size_t)w;
		}
}

enum rebuy_status rebuy_survey_compute(const struct rebuy_table *t,
                                       const struct rebuy_orders *orders,
                                       const struct rebuy_survey_options *opts,
                                       struct rebuy_survey **out, struct rebuy_error *err)
{
	*out = NULL;
	if (opts->lapse_days < 1 || opts->lapse_days > REBUY_SURVEY_MAX_LAPSE_DAYS)
		return rebuy_error_set(err, REBUY_EARG, "lapse days %lld is not between 1 and %d",
		                       (long long)opts->lapse_days, REBUY_SURVEY_MAX_LAPSE_DAYS);
	struct rebuy_survey *s = rebuy__calloc(1, sizeof *s);
	struct work w;
	memset(&w, 0, sizeof w);
	rebuy__strtab_init(&w.keys);
	struct reading rd = {.t = t, .opts = opts, .s = s};
	enum rebuy_status st = REBUY_OK;
	if (!s || !(s->priv = rebuy__calloc(1, sizeof *s->priv))) {
		st = nomem(err);
		goto fail;
	}
	rebuy__strtab_init(&s->priv->reasons);
	snprintf(s->path, sizeof s->path, "%s", t->path);
	s->delimiter = t->delimiter;
	s->has_header = t->has_header;
	s->each_response = opts->each_response;
	s->rows = t->n_rows;
	s->blank_lines = t->blank_lines;
	s->lapse_days = opts->lapse_days;
	for (int k = 0; k < REBUY_SURVEY_ROLE_COUNT; k++)
		s->column[k] = -1;
	if ((st = find_columns(t, opts, s, err)))
		goto fail;
	rd.fmt.kind = REBUY_DATE_AUTO;
	if (opts->date_format && strcmp(opts->date_format, "auto") != 0 &&
	    (st = rebuy_date_format_parse(opts->date_format, &rd.fmt, err)))
		goto fail;
	if (rd.fmt.kind == REBUY_DATE_PATTERN)
		snprintf(s->date_format_pattern, sizeof s->date_format_pattern, "%s",
		         rd.fmt.pattern);
	if (!(rd.rows = rebuy__calloc(t->n_rows ? t->n_rows : 1, sizeof *rd.rows))) {
		st = nomem(err);
		goto fail;
	}
	for (size_t i = 0; i < t->n_rows; i++)
		read_row(&rd, i);
	if ((st = decide_slash(&rd, err)) || (st = decide_scale(&rd, err)) ||
	    (st = judge_rows(&rd, err)))
		goto fail;
	if (s->rows_used == 0) {
		char why[200];
		reject_summary(s, why, sizeof why);
		st = rebuy_error_set(err, REBUY_EDATA,
		                     "%s: no response could be used (%llu rows%s%s)", s->path,
		                     (unsigned long long)s->rows, why[0] ? ": " : "", why);
		goto fail;
	}
	if (orders) {
		s->has_orders = 1;
		s->has_amount = orders->has_amount;
		if (opts->has_as_of) {
			s->as_of_day = opts->as_of_day;
		} else if (orders->n_orders > 0) {
			s->as_of_day = orders->last_day + 1;
		} else {
			st = rebuy_error_set(
			        err, REBUY_EDATA,
			        "%s: the orders hold no purchase, so the end of the data "
			        "is not known: give the as-of date",
			        orders->report.path);
			goto fail;
		}
	}
	char decimal = orders && orders->report.decimal_comma ? ',' : '.';
	if ((st = select_responses(&rd, &w, decimal, err)) || (st = measure(&rd, &w, orders, err)))
		goto fail;
	rebuy__free(rd.rows);
	work_release(&w);
	*out = s;
	return REBUY_OK;
fail:
	rebuy__free(rd.rows);
	work_release(&w);
	rebuy_survey_free(s);
	return st;
}
