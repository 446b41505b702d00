/* rebuy attribute: credit conversions (repeat purchases) to touchpoints with
 * first touch, last touch, linear, position-based, time decay and the
 * first-order Markov removal effect, side by side (docs/attribute.md).
 * Input: pre-aggregated paths (--paths FILE), or a touchpoints file
 * (--touchpoints FILE) joined to the orders file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rebuy/attrib.h"
#include "rebuy/table.h"

enum {
	OPT_PATHS = 1,
	OPT_TOUCHPOINTS,
	OPT_LOOKBACK,
	OPT_REPEAT_ONLY,
	OPT_POSITION_WEIGHTS,
	OPT_HALF_LIFE,
	OPT_HALF_LIFE_TOUCHES,
	OPT_T_CUSTOMER,
	OPT_T_TIME,
	OPT_T_CHANNEL,
	OPT_T_COST,
	OPT_T_DATE_FORMAT,
	OPT_T_DELIMITER,
	OPT_SEPARATOR,
	OPT_P_PATH,
	OPT_P_CONV,
	OPT_P_VALUE,
	OPT_P_NULL,
};

static const struct cli_opt own_opts[] = {
        {"paths", "FILE", OPT_PATHS,
         "pre-aggregated paths: columns path ('a > b > c'), total_conversions, "
         "total_conversion_value, total_null (no orders file then)"},
        {"touchpoints", "FILE", OPT_TOUCHPOINTS,
         "touchpoint events: customer, time, channel[, cost], joined to the orders file"},
        {"lookback", "DAYS", OPT_LOOKBACK,
         "credit a purchase only with touches at most DAYS days before it (default: all since "
         "the previous purchase)"},
        {"repeat-only", NULL, OPT_REPEAT_ONLY,
         "credit only repeat purchases (after the customer's first purchase day)"},
        {"position-weights", "F,L", OPT_POSITION_WEIGHTS,
         "the position model's shares of the first and last touch (default 0.4,0.4)"},
        {"half-life", "DAYS", OPT_HALF_LIFE,
         "time decay: a touch's weight halves every DAYS days before the purchase (default 7)"},
        {"half-life-touches", "N", OPT_HALF_LIFE_TOUCHES,
         "time decay by position: the weight halves every N touches back from the last "
         "(paths have no times: default 1 there)"},
        {"touch-customer", "COL", OPT_T_CUSTOMER,
         "the touchpoints file's customer column (a header name or a 1-based number)"},
        {"touch-time", "COL", OPT_T_TIME, "the touchpoints file's time column"},
        {"channel", "COL", OPT_T_CHANNEL,
         "the touchpoints file's column to credit (default: channel; give campaign to credit "
         "campaigns)"},
        {"cost", "COL", OPT_T_COST, "the touchpoints file's cost column (gives ROI)"},
        {"touch-date-format", "F", OPT_T_DATE_FORMAT,
         "the touch times' format: iso, ymd, mdy, dmy, unix, unix_ms or a pattern (default: "
         "detected)"},
        {"touch-delimiter", "D", OPT_T_DELIMITER,
         "the paths or touchpoints file's delimiter: ',' ';' tab '|' or whitespace (default: "
         "detected)"},
        {"separator", "C", OPT_SEPARATOR, "the character between a path's channels (default >)"},
        {"path-column", "COL", OPT_P_PATH, "the paths file's path column (default: path)"},
        {"conversions-column", "COL", OPT_P_CONV,
         "the paths file's conversions column (default: total_conversions)"},
        {"value-column", "COL", OPT_P_VALUE,
         "the paths file's value column (default: total_conversion_value; optional)"},
        {"null-column", "COL", OPT_P_NULL,
         "the paths file's non-conversions column (default: total_null; optional)"},
        CLI_OPT_END,
};

static const struct cli_command_help help = {
        "rebuy attribute --paths FILE [OPTIONS]\n"
        "       rebuy attribute [OPTIONS] ORDERS --touchpoints FILE",
        "Attribution: which channels bring conversions (repeat purchases) and their value,\n"
        "credited by six models side by side: first touch, last touch, linear, position\n"
        "(U-shaped 40/20/40), time decay, and the first-order Markov removal effect solved\n"
        "exactly from the absorbing chain. Credits of every model sum to the conversions.\n"
        "With --touchpoints each purchase takes the customer's touches since their previous\n"
        "purchase (or --lookback DAYS); touches after the last purchase are a journey that did\n"
        "not convert. With a cost column, ROI per channel and model. Definitions:\n"
        "docs/attribute.md. The input options below describe the orders file.",
        own_opts,
        1,
};

struct ctx {
	struct rebuy_attrib_options a;
	struct rebuy_attrib_touch_options t;
	struct rebuy_attrib_paths_options p;
	struct rebuy_table_options tab;
	const char *paths, *touchpoints;
	int has_half_life;
};

static int number(const char *opt, const char *v, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (*v == '\0' || *end || errno || !(d >= lo && d <= hi)) {
		cli_error("--%s: '%s' is not a number from %g to %g", opt, v, lo, hi);
		return EXIT_USAGE;
	}
	*out = d;
	return 0;
}

static int weights(struct ctx *x, const char *v)
{
	char *end;
	errno = 0;
	double f = strtod(v, &end);
	int ok = end != v && *end == ',' && errno == 0;
	double l = 0;
	if (ok) {
		const char *s = end + 1;
		l = strtod(s, &end);
		ok = end != s && *end == '\0' && errno == 0;
	}
	if (!ok || !(f >= 0 && l >= 0 && f + l <= 1 + 1e-12)) {
		cli_error("--position-weights: '%s' is not F,L with F, L >= 0 and F + L <= 1 "
		          "(e.g. 0.4,0.4)",
		          v);
		return EXIT_USAGE;
	}
	x->a.position_first = f;
	x->a.position_last = l;
	return 0;
}

static int own(void *ud, int id, const char *v)
{
	struct ctx *x = ud;
	struct rebuy_error err = {0};
	double d;
	int r;
	switch (id) {
	case OPT_PATHS: x->paths = v; return 0;
	case OPT_TOUCHPOINTS: x->touchpoints = v; return 0;
	case OPT_LOOKBACK:
		if ((r = number("lookback", v, 1, REBUY_ATTRIB_MAX_LOOKBACK_DAYS, &d)))
			return r;
		if (d != (double)(int64_t)d) {
			cli_error("--lookback: '%s' is not a whole number of days", v);
			return EXIT_USAGE;
		}
		x->t.lookback_days = (int64_t)d;
		return 0;
	case OPT_REPEAT_ONLY: x->t.repeat_only = 1; return 0;
	case OPT_POSITION_WEIGHTS: return weights(x, v);
	case OPT_HALF_LIFE:
		if ((r = number("half-life", v, 1e-6, 1e6, &x->a.half_life_days)))
			return r;
		x->has_half_life = 1;
		return 0;
	case OPT_HALF_LIFE_TOUCHES:
		return number("half-life-touches", v, 1e-6, 1e6, &x->a.half_life_touches);
	case OPT_T_CUSTOMER: x->t.column[REBUY_ATTRIB_TOUCH_CUSTOMER] = v; return 0;
	case OPT_T_TIME: x->t.column[REBUY_ATTRIB_TOUCH_TIME] = v; return 0;
	case OPT_T_CHANNEL: x->t.column[REBUY_ATTRIB_TOUCH_CHANNEL] = v; return 0;
	case OPT_T_COST: x->t.column[REBUY_ATTRIB_TOUCH_COST] = v; return 0;
	case OPT_T_DATE_FORMAT: {
		struct rebuy_date_format f;
		if (strcmp(v, "auto") != 0 && rebuy_date_format_parse(v, &f, &err) != REBUY_OK)
			return cli_fail(&err);
		x->t.date_format = v;
		return 0;
	}
	case OPT_T_DELIMITER:
		if (strcmp(v, "tab") == 0 || strcmp(v, "\\t") == 0)
			x->tab.delimiter = '\t';
		else if (strcmp(v, "whitespace") == 0 || strcmp(v, "space") == 0)
			x->tab.delimiter = REBUY_DELIM_WHITESPACE;
		else if (strlen(v) == 1 && strchr(",;\t|", v[0]))
			x->tab.delimiter = v[0];
		else {
			cli_error("--touch-delimiter: '%s' is not one of , ; tab | whitespace", v);
			return EXIT_USAGE;
		}
		return 0;
	case OPT_SEPARATOR:
		if (strlen(v) != 1 || v[0] == ' ' || v[0] == '\t') {
			cli_error("--separator: '%s' is not one character (not a blank)", v);
			return EXIT_USAGE;
		}
		x->p.separator = v[0];
		return 0;
	case OPT_P_PATH: x->p.path_column = v; return 0;
	case OPT_P_CONV: x->p.conversions_column = v; return 0;
	case OPT_P_VALUE: x->p.value_column = v; return 0;
	case OPT_P_NULL: x->p.null_column = v; return 0;
	}
	return 0;
}

static int check_usage(const struct cli_common *c, const struct ctx *x)
{
	if (!x->paths == !x->touchpoints) {
		cli_error(x->paths ? "give --paths or --touchpoints, not both"
		                   : "no journeys: give --paths FILE, or ORDERS with --touchpoints "
		                     "FILE; see rebuy attribute --help");
		return EXIT_USAGE;
	}
	if (x->paths && c->n_positional > 0) {
		cli_error("--paths needs no orders file ('%s'): paths carry their conversions",
		          c->positional[0]);
		return EXIT_USAGE;
	}
	if (x->paths && (x->has_half_life || x->t.lookback_days || x->t.repeat_only)) {
		cli_error("%s needs touch times and orders (--touchpoints); paths have neither "
		          "(time decay on paths: --half-life-touches)",
		          x->has_half_life   ? "--half-life"
		          : x->t.repeat_only ? "--repeat-only"
		                             : "--lookback");
		return EXIT_USAGE;
	}
	if (x->touchpoints && c->n_positional > 1) {
		cli_error("one orders file, please (the touchpoints go with --touchpoints)");
		return EXIT_USAGE;
	}
	if (x->touchpoints && strcmp(x->touchpoints, "-") == 0 &&
	    (c->n_positional == 0 || strcmp(c->positional[0], "-") == 0)) {
		cli_error("the touchpoints and the orders cannot both be standard input");
		return EXIT_USAGE;
	}
	return 0;
}

static void warn(const struct rebuy_attrib_journeys *j)
{
	if (j->from_touchpoints && j->orders > 0 && j->orders_without_touches * 2 > j->orders)
		cli_warn("%llu of %llu purchases have no touch before them and are credited to "
		         "no channel: do the customer keys match?",
		         (unsigned long long)j->orders_without_touches,
		         (unsigned long long)j->orders);
	if (j->conversions == 0)
		cli_warn("no journey converts: every credit is 0");
}

int cmd_attribute(int argc, char **argv)
{
	struct cli_common c;
	cli_common_init(&c, "attribute");
	struct ctx x;
	memset(&x, 0, sizeof x);
	rebuy_attrib_options_init(&x.a);
	rebuy_attrib_touch_options_init(&x.t);
	rebuy_attrib_paths_options_init(&x.p);
	rebuy_table_options_init(&x.tab);
	int r = cli_parse(argc, argv, &c, &help, own, &x);
	if (r)
		return r < 0 ? EXIT_OK : r;
	if ((r = check_usage(&c, &x)))
		return r;
	x.tab.path = x.paths ? x.paths : x.touchpoints;
	struct rebuy_error err = {0};
	struct rebuy_table *t = NULL;
	struct rebuy_orders *o = NULL;
	struct rebuy_attrib_journeys *j = NULL;
	struct rebuy_attrib *a = NULL;
	struct rebuy_doc *doc = NULL;
	if (rebuy_table_read(&t, &x.tab, &err) != REBUY_OK) {
		r = cli_fail(&err);
		goto out;
	}
	if (x.paths) {
		if (rebuy_attrib_paths_read(t, &x.p, &j, &err) != REBUY_OK) {
			r = cli_fail(&err);
			goto out;
		}
	} else {
		if ((r = cli_load_orders(&c, &o)))
			goto out;
		if (rebuy_attrib_journeys_build(t, o, &x.t, &j, &err) != REBUY_OK) {
			r = cli_fail(&err);
			goto out;
		}
	}
	if (rebuy_attrib_compute(j, &x.a, &a, &err) != REBUY_OK) {
		r = cli_fail(&err);
		goto out;
	}
	if (!c.quiet)
		warn(j);
	doc = rebuy_doc_new();
	struct rebuy_node *root = rebuy_doc_root(doc);
	rebuy_attrib_doc(a, o ? &o->report : NULL, doc, root);
	r = cli_write_doc(&c, doc, rebuy_doc_get(root, "channels"));
out:
	rebuy_doc_free(doc);
	rebuy_attrib_free(a);
	rebuy_attrib_journeys_free(j);
	rebuy_orders_free(o);
	rebuy_table_free(t);
	return r;
}
