/* rebuy survey: NPS or CSAT of a survey file, scores and reasons per group,
 * and, with --orders, what respondents bought after the survey. The input
 * options (--customer, --date, ...) describe the orders file; the survey's
 * own columns have their own flags (--survey-customer, --score, ...). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "rebuy/survey.h"
#include "rebuy/table.h"

enum {
	OPT_SCALE = 1,
	OPT_RESPONSES,
	OPT_S_CUSTOMER,
	OPT_S_DATE,
	OPT_SCORE,
	OPT_REASON,
	OPT_S_DELIMITER,
	OPT_S_DATE_FORMAT,
	OPT_S_NO_HEADER,
	OPT_S_MAX_MB,
	OPT_ORDERS,
	OPT_LAPSE_DAYS,
	OPT_TABLE,
};

static const struct cli_opt own_opts[] = {
        {"scale", "S", OPT_SCALE, "nps (0-10), csat (1-5) or auto (default: from the scores)"},
        {"responses", "R", OPT_RESPONSES,
         "latest (default: each customer's latest response counts) or all"},
        {"survey-customer", "COL", OPT_S_CUSTOMER,
         "the survey's customer column (a header name or a 1-based number)"},
        {"survey-date", "COL", OPT_S_DATE, "the survey's date column"},
        {"score", "COL", OPT_SCORE, "the score column"},
        {"reason", "COL", OPT_REASON, "the reason (comment) column"},
        {"survey-delimiter", "D", OPT_S_DELIMITER,
         "the survey's delimiter: ',' ';' tab '|' or whitespace (default: detected)"},
        {"survey-date-format", "F", OPT_S_DATE_FORMAT,
         "the survey's date format: iso, ymd, mdy, dmy, unix, unix_ms or a pattern (default: "
         "detected)"},
        {"survey-no-header", NULL, OPT_S_NO_HEADER,
         "the survey's first row is data (name its columns by number)"},
        {"survey-max-mb", "N", OPT_S_MAX_MB,
         "refuse a survey file larger than N MiB (default 256; it is read whole)"},
        {"orders", "FILE", OPT_ORDERS,
         "join the respondents to this order export: repurchase and lapse after the survey"},
        {"lapse-days", "N", OPT_LAPSE_DAYS,
         "with --orders: the window after the survey day, in days (default 90)"},
        {"only", "T", OPT_TABLE,
         "write only one table: scores, groups, reasons or lapsed (lapsed reasons)"},
        CLI_OPT_END,
};

static const struct cli_command_help help = {
        "rebuy survey [OPTIONS] SURVEY [--orders ORDERS]",
        "Survey measures: NPS (0-10: promoters 9-10 minus detractors 0-6) or CSAT (1-5: share\n"
        "of 4-5), respondents per score and per group, reasons tallied per group. With\n"
        "--orders, each respondent is followed for --lapse-days after the survey day:\n"
        "repurchase and lapse rates, orders and revenue per respondent, and the reasons of\n"
        "those who lapsed. SURVEY has columns customer, date, score and optionally reason\n"
        "(detected from the header). Definitions: docs/survey.md.\n"
        "The input options below describe the orders file; --strict applies to both files.",
        own_opts,
        1,
};

struct ctx {
	struct rebuy_survey_options s;
	struct rebuy_table_options t;
	const char *orders;
	const char *table;
};

static int number(const char *opt, const char *v, long lo, long hi, long *out)
{
	char *end;
	long n = strtol(v, &end, 10);
	if (*v == '\0' || *end || n < lo || n > hi) {
		cli_error("--%s: '%s' is not a number from %ld to %ld", opt, v, lo, hi);
		return EXIT_USAGE;
	}
	*out = n;
	return 0;
}

static int own(void *ud, int id, const char *v)
{
	struct ctx *x = ud;
	struct rebuy_error err = {0};
	long n;
	int r;
	switch (id) {
	case OPT_SCALE:
		if (rebuy_survey_scale_from_name(v, &x->s.scale, &err) != REBUY_OK)
			return cli_fail(&err);
		return 0;
	case OPT_RESPONSES:
		if (strcmp(v, "latest") == 0)
			x->s.each_response = 0;
		else if (strcmp(v, "all") == 0)
			x->s.each_response = 1;
		else {
			cli_error("--responses: '%s' is not latest or all", v);
			return EXIT_USAGE;
		}
		return 0;
	case OPT_S_CUSTOMER: x->s.column[REBUY_SURVEY_CUSTOMER] = v; return 0;
	case OPT_S_DATE: x->s.column[REBUY_SURVEY_DATE] = v; return 0;
	case OPT_SCORE: x->s.column[REBUY_SURVEY_SCORE] = v; return 0;
	case OPT_REASON: x->s.column[REBUY_SURVEY_REASON] = v; return 0;
	case OPT_S_DELIMITER:
		if (strcmp(v, "tab") == 0 || strcmp(v, "\\t") == 0)
			x->t.delimiter = '\t';
		else if (strcmp(v, "whitespace") == 0 || strcmp(v, "space") == 0)
			x->t.delimiter = REBUY_DELIM_WHITESPACE;
		else if (strlen(v) == 1 && strchr(",;\t|", v[0]))
			x->t.delimiter = v[0];
		else {
			cli_error("--survey-delimiter: '%s' is not one of , ; tab | whitespace", v);
			return EXIT_USAGE;
		}
		return 0;
	case OPT_S_DATE_FORMAT: {
		struct rebuy_date_format f;
		if (strcmp(v, "auto") != 0 && rebuy_date_format_parse(v, &f, &err) != REBUY_OK)
			return cli_fail(&err);
		x->s.date_format = v;
		return 0;
	}
	case OPT_S_NO_HEADER: x->t.header = 0; return 0;
	case OPT_S_MAX_MB:
		if ((r = number("survey-max-mb", v, 1, (long)(REBUY_TABLE_MAX_BYTES_LIMIT >> 20),
		                &n)))
			return r;
		x->t.max_bytes = (size_t)n << 20;
		return 0;
	case OPT_ORDERS: x->orders = v; return 0;
	case OPT_LAPSE_DAYS:
		if ((r = number("lapse-days", v, 1, REBUY_SURVEY_MAX_LAPSE_DAYS, &n)))
			return r;
		x->s.lapse_days = n;
		return 0;
	case OPT_TABLE:
		if (strcmp(v, "scores") && strcmp(v, "groups") && strcmp(v, "reasons") &&
		    strcmp(v, "lapsed")) {
			cli_error("--only: '%s' is not scores, groups, reasons or lapsed", v);
			return EXIT_USAGE;
		}
		x->table = v;
		return 0;
	}
	return 0;
}

/* The input options name the orders' columns: without --orders they would
 * be silently ignored, so say where the survey's own flags are. */
static int check_orders_flags(const struct cli_common *c, const struct ctx *x)
{
	static const char *const survey_flag[REBUY_ROLE_COUNT] = {
	        [REBUY_ROLE_CUSTOMER] = "--survey-customer",
	        [REBUY_ROLE_DATE] = "--survey-date",
	};
	if (x->orders)
		return 0;
	for (int r = 0; r < REBUY_ROLE_COUNT; r++)
		if (c->in.role_column[r]) {
			const char *name = rebuy_role_name((enum rebuy_role)r);
			if (survey_flag[r])
				cli_error("--%s names a column of the orders file (--orders); the "
				          "survey's is %s",
				          name, survey_flag[r]);
			else
				cli_error("--%s names a column of the orders file, and there is no "
				          "--orders",
				          name);
			return EXIT_USAGE;
		}
	/* The survey's counterpart, when it has one. */
	const char *other = NULL, *hint = "";
	if (c->in.columns)
		other = "--columns";
	else if (c->in.delimiter)
		other = "--delimiter", hint = "; the survey's is --survey-delimiter";
	else if (c->in.date_format)
		other = "--date-format", hint = "; the survey's is --survey-date-format";
	else if (c->in.header >= 0)
		other = "--header/--no-header", hint = "; the survey's is --survey-no-header";
	else if (c->in.has_as_of || c->in.has_from || c->in.has_to)
		other = "--as-of, --from and --to";
	else if (c->in.dedupe || c->in.currency || c->in.decimal_comma >= 0)
		other = "--dedupe, --currency and --decimal-comma/--decimal-point";
	if (other) {
		cli_error("%s: an option of the orders file, and there is no --orders%s", other,
		          hint);
		return EXIT_USAGE;
	}
	return 0;
}

static void warn_left_out(const struct rebuy_survey *s)
{
	uint64_t left = s->rows - s->rows_used;
	if (left == 0 || s->n_problems == 0)
		return;
	char what[256] = "";
	size_t k = 0;
	for (int i = 0; i < REBUY_SURVEY_REJECT_COUNT; i++)
		if (s->rejected[i] && k < sizeof what)
			k += (size_t)snprintf(what + k, sizeof what - k, "%s%s %llu", k ? ", " : "",
			                      rebuy_survey_reject_name((enum rebuy_survey_reject)i),
			                      (unsigned long long)s->rejected[i]);
	const struct rebuy_problem *p = &s->problems[0];
	cli_warn("%s: %llu of %llu rows left out (%s); the first: line %llu: %s", s->path,
	         (unsigned long long)left, (unsigned long long)s->rows, what,
	         (unsigned long long)p->line, p->message);
}

static struct rebuy_node *one_table(struct rebuy_node *root, const char *name)
{
	if (!name)
		return NULL;
	return rebuy_doc_get(root, strcmp(name, "lapsed") == 0 ? "lapsed_reasons" : name);
}

int cmd_survey(int argc, char **argv)
{
	struct cli_common c;
	cli_common_init(&c, "survey");
	struct ctx x;
	memset(&x, 0, sizeof x);
	rebuy_survey_options_init(&x.s);
	rebuy_table_options_init(&x.t);
	int r = cli_parse(argc, argv, &c, &help, own, &x);
	if (r)
		return r < 0 ? EXIT_OK : r;
	if ((r = check_orders_flags(&c, &x)))
		return r;
	if (c.n_positional > 1) {
		cli_error("one survey file, please (the orders go with --orders); see rebuy survey "
		          "--help");
		return EXIT_USAGE;
	}
	if (c.n_positional == 0 && isatty(STDIN_FILENO)) {
		cli_error(
		        "no input: give a survey file (or - for standard input); see rebuy survey "
		        "--help");
		return EXIT_USAGE;
	}
	x.t.path = c.n_positional ? c.positional[0] : "-";
	if (x.orders && strcmp(x.orders, "-") == 0 && strcmp(x.t.path, "-") == 0) {
		cli_error("the survey and the orders cannot both be standard input");
		return EXIT_USAGE;
	}
	const char *which = x.table;
	if (which && (strcmp(which, "lapsed") == 0) && !x.orders) {
		cli_error("--only lapsed needs --orders");
		return EXIT_USAGE;
	}
	x.s.strict = c.in.strict;
	struct rebuy_error err = {0};
	struct rebuy_table *t = NULL;
	if (rebuy_table_read(&t, &x.t, &err) != REBUY_OK)
		return cli_fail(&err);
	struct rebuy_orders *o = NULL;
	if (x.orders) {
		struct cli_common oc = c;
		oc.positional[0] = x.orders;
		oc.n_positional = 1;
		if ((r = cli_load_orders(&oc, &o))) {
			rebuy_table_free(t);
			return r;
		}
		cli_as_of(&c, &x.s.has_as_of, &x.s.as_of_day);
	}
	struct rebuy_survey *s = NULL;
	if (rebuy_survey_compute(t, o, &x.s, &s, &err) != REBUY_OK) {
		rebuy_table_free(t);
		rebuy_orders_free(o);
		return cli_fail(&err);
	}
	if (!c.quiet) {
		warn_left_out(s);
		if (s->scale_detected && s->scale == REBUY_SCALE_CSAT)
			cli_warn(
			        "every score is between 1 and 5: read as CSAT (give --scale nps if "
			        "the survey asked 0-10)");
	}
	if (which && (strcmp(which, "reasons") == 0 || strcmp(which, "lapsed") == 0) &&
	    !s->has_reason) {
		cli_error("%s has no reason column (name it with --reason)", s->path);
		r = EXIT_USAGE;
		goto out;
	}
	struct rebuy_doc *doc = rebuy_doc_new();
	struct rebuy_node *root = rebuy_doc_root(doc);
	rebuy_survey_doc(s, o ? &o->report : NULL, doc, root);
	struct rebuy_node *node = one_table(root, which);
	r = node ? cli_write_node(&c, doc, node) : cli_write_doc(&c, doc, NULL);
	rebuy_doc_free(doc);
out:
	rebuy_survey_free(s);
	rebuy_table_free(t);
	rebuy_orders_free(o);
	return r;
}
