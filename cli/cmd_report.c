/* rebuy report: the whole analysis as one self-contained HTML file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "rebuy/attrib.h"
#include "rebuy/report.h"
#include "rebuy/table.h"

enum {
	OPT_TITLE = 1,
	OPT_LANG,
	OPT_PERIOD,
	OPT_MODEL,
	OPT_CAL_END,
	OPT_CLV_YEARS,
	OPT_MARGIN,
	OPT_DISCOUNT,
	OPT_LIFT,
	OPT_TOUCHPOINTS,
	OPT_PATHS,
	OPT_LOOKBACK,
	OPT_REPEAT_ONLY,
};

static const struct cli_opt own_opts[] = {
        {"title", "TEXT", OPT_TITLE, "the report's title (default: \"Repeat sales report\")"},
        {"lang", "L", OPT_LANG, "en (default) or ru: every label, note and number format"},
        {"period", "P", OPT_PERIOD,
         "week, month (default), quarter or year: the period charts' and cohorts' unit"},
        {"model", "M", OPT_MODEL,
         "bgnbd, mbgnbd or pnbd (default: the better of BG/NBD and Pareto/NBD on a holdout, "
         "else by likelihood; the forecast's lifetime model then is BG/NBD)"},
        {"calibration-end", "DATE", OPT_CAL_END,
         "the last day of the holdout check's calibration period (default: two thirds into the "
         "history when it spans 16 weeks or more)"},
        {"clv-years", "Y", OPT_CLV_YEARS, "the CLV horizon in years (default 3)"},
        {"margin", "X", OPT_MARGIN, "share of spend that is profit, in (0, 1] (default 1)"},
        {"discount-rate", "X", OPT_DISCOUNT, "annual discount rate of CLV (default 0.1)"},
        {"retention-lift", "PTS", OPT_LIFT,
         "percentage points of one-year retention the \"better retention\" section adds "
         "(default 5)"},
        {"touchpoints", "FILE", OPT_TOUCHPOINTS,
         "adds an Attribution section: touch events (customer, time, channel[, cost]) joined "
         "to the orders (see rebuy attribute)"},
        {"paths", "FILE", OPT_PATHS,
         "adds an Attribution section from pre-aggregated paths (see rebuy attribute)"},
        {"lookback", "DAYS", OPT_LOOKBACK, "with --touchpoints: as rebuy attribute --lookback"},
        {"repeat-only", NULL, OPT_REPEAT_ONLY, "with --touchpoints: credit only repeat purchases"},
        CLI_OPT_END,
};

static const struct cli_command_help help = {
        "rebuy report [OPTIONS] INPUT [-o report.html]",
        "One self-contained HTML report of the orders (no network needed to view it; charts\n"
        "drawn by rebuy as inline SVG; prints cleanly to PDF): headline KPIs and their change,\n"
        "new and returning customers, retention, cohorts, purchase rhythm, RFM segments, a\n"
        "customer-lifetime model checked on a holdout with P(alive) and CLV, what better\n"
        "retention is worth, and data quality. --currency X also names the money shown.\n"
        "Written atomically to -o (default report.html). Sections: docs/report.md.",
        own_opts,
        1,
};

struct ctx {
	struct rebuy_report_options r;
	struct rebuy_attrib_touch_options t;
	const char *touchpoints, *paths;
};

static int own(void *ud, int id, const char *v)
{
	struct ctx *x = ud;
	struct rebuy_error err = {0};
	double d;
	int r;
	switch (id) {
	case OPT_TITLE: x->r.title = v; return 0;
	case OPT_LANG:
		if (rebuy_lang_from_name(v, &x->r.lang, &err) != REBUY_OK)
			return cli_fail(&err);
		return 0;
	case OPT_PERIOD:
		if (rebuy_period_from_name(v, &x->r.period, &err) != REBUY_OK)
			return cli_fail(&err);
		if (x->r.period == REBUY_PERIOD_DAY) {
			cli_error("--period day is too fine for a report: week, month, quarter or year");
			return EXIT_USAGE;
		}
		return 0;
	case OPT_MODEL:
		if (rebuy_clv_model_from_name(v, &x->r.model, &err) != REBUY_OK)
			return cli_fail(&err);
		x->r.has_model = 1;
		return 0;
	case OPT_CAL_END: x->r.has_cal_end = 1; return cli_day("calibration-end", v, &x->r.cal_end);
	case OPT_CLV_YEARS:
		if ((r = cli_clv_number("clv-years", v, &d)))
			return r;
		if (!(d > 0 && d <= 100)) {
			cli_error("--clv-years must be in (0, 100] (got '%s')", v);
			return EXIT_USAGE;
		}
		x->r.clv_years = d;
		return 0;
	case OPT_MARGIN:
		if ((r = cli_clv_number("margin", v, &d)))
			return r;
		if (!(d > 0 && d <= 1)) {
			cli_error("--margin must be in (0, 1] (got '%s')", v);
			return EXIT_USAGE;
		}
		x->r.margin = d;
		return 0;
	case OPT_DISCOUNT:
		if ((r = cli_clv_number("discount-rate", v, &d)))
			return r;
		if (!(d >= 0 && d <= 10)) {
			cli_error("--discount-rate must be in [0, 10] (got '%s')", v);
			return EXIT_USAGE;
		}
		x->r.discount_rate = d;
		return 0;
	case OPT_LIFT:
		if ((r = cli_clv_number("retention-lift", v, &d)))
			return r;
		if (!(d > 0 && d < 100)) {
			cli_error("--retention-lift is in percentage points, in (0, 100) (got '%s')", v);
			return EXIT_USAGE;
		}
		x->r.retention_lift = d / 100;
		return 0;
	case OPT_TOUCHPOINTS: x->touchpoints = v; return 0;
	case OPT_PATHS: x->paths = v; return 0;
	case OPT_LOOKBACK: {
		char *end;
		long long n = strtoll(v, &end, 10);
		if (*v == '\0' || *end || n < 1 || n > REBUY_ATTRIB_MAX_LOOKBACK_DAYS) {
			cli_error("--lookback: '%s' is not a whole number from 1 to %d", v,
			          REBUY_ATTRIB_MAX_LOOKBACK_DAYS);
			return EXIT_USAGE;
		}
		x->t.lookback_days = n;
		return 0;
	}
	case OPT_REPEAT_ONLY: x->t.repeat_only = 1; return 0;
	}
	return 0;
}

static int quiet_flag;

static void step(void *ud, const char *name)
{
	(void)ud;
	if (!quiet_flag && isatty(STDERR_FILENO)) {
		fprintf(stderr, "\r\033[Krebuy: report: %s", name);
		fflush(stderr);
	}
}

/* The attribution results of --touchpoints or --paths (none without). */
static int attribution(struct ctx *x, const struct rebuy_orders *o,
                       struct rebuy_attrib_journeys **j, struct rebuy_attrib **a)
{
	if (x->touchpoints && x->paths) {
		cli_error("give --touchpoints or --paths, not both");
		return EXIT_USAGE;
	}
	if (!x->touchpoints && !x->paths)
		return 0;
	if (x->paths && (x->t.lookback_days || x->t.repeat_only)) {
		cli_error("--lookback and --repeat-only need --touchpoints (paths have no times)");
		return EXIT_USAGE;
	}
	struct rebuy_table_options to;
	rebuy_table_options_init(&to);
	to.path = x->paths ? x->paths : x->touchpoints;
	struct rebuy_error err = {0};
	struct rebuy_table *t = NULL;
	enum rebuy_status st = rebuy_table_read(&t, &to, &err);
	if (!st)
		st = x->paths ? rebuy_attrib_paths_read(t, NULL, j, &err)
		              : rebuy_attrib_journeys_build(t, o, &x->t, j, &err);
	if (!st)
		st = rebuy_attrib_compute(*j, NULL, a, &err);
	rebuy_table_free(t);
	return st ? cli_fail(&err) : 0;
}

int cmd_report(int argc, char **argv)
{
	struct cli_common c;
	cli_common_init(&c, "report");
	struct ctx x;
	memset(&x, 0, sizeof x);
	rebuy_report_options_init(&x.r);
	rebuy_attrib_touch_options_init(&x.t);
	int r = cli_parse(argc, argv, &c, &help, own, &x);
	if (r)
		return r < 0 ? EXIT_OK : r;
	if (c.format != FORMAT_AUTO) {
		cli_error("the report is HTML: --format does not apply");
		return EXIT_USAGE;
	}
	x.r.n_threads = c.in.n_threads;
	cli_as_of(&c, &x.r.has_as_of, &x.r.as_of_day);
	quiet_flag = c.quiet;
	x.r.progress = step;
	const char *path = c.output ? c.output : "report.html";
	struct rebuy_orders *o = NULL;
	if ((r = cli_load_orders(&c, &o)))
		return r;
	if (o->report.currency[0])
		x.r.currency = o->report.currency;
	struct rebuy_attrib_journeys *aj = NULL;
	struct rebuy_attrib *attrib = NULL;
	if ((r = attribution(&x, o, &aj, &attrib))) {
		rebuy_attrib_journeys_free(aj);
		rebuy_orders_free(o);
		return r;
	}
	x.r.attrib = attrib;
	struct rebuy_sbuf page;
	rebuy_sbuf_init(&page);
	struct rebuy_error err = {0};
	enum rebuy_status st = rebuy_report_build(o, &x.r, &page, &err);
	rebuy_attrib_free(attrib);
	rebuy_attrib_journeys_free(aj);
	if (!quiet_flag && isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr);
	rebuy_orders_free(o);
	if (st) {
		rebuy_sbuf_free(&page);
		return cli_fail(&err);
	}
	struct cli_out out;
	if ((r = cli_out_open(&out, path))) {
		rebuy_sbuf_free(&page);
		return r;
	}
	if (fwrite(page.p, 1, page.len, out.f) != page.len) {
		cli_out_abort(&out);
		rebuy_sbuf_free(&page);
		cli_error("cannot write %s", path);
		return EXIT_FAIL;
	}
	size_t len = page.len;
	rebuy_sbuf_free(&page);
	if ((r = cli_out_commit(&out)))
		return r;
	if (!c.quiet && strcmp(path, "-") != 0)
		fprintf(stderr, "rebuy: report written to %s (%zu KB)\n", path, (len + 1023) / 1024);
	return EXIT_OK;
}
