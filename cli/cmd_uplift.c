/* rebuy uplift: what a campaign did to repeat purchase, treatment against
 * control, in a window after each customer's send day (docs/uplift.md).
 * The input options describe the orders file; the campaign file's own
 * columns have their own flags (--campaign-customer, --group, --send-date). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rebuy/table.h"
#include "rebuy/uplift.h"

enum {
	OPT_CAMPAIGN = 1,
	OPT_WINDOW,
	OPT_LEVEL,
	OPT_BOOTSTRAP,
	OPT_SEED,
	OPT_SEGMENT_BY,
	OPT_C_CUSTOMER,
	OPT_C_GROUP,
	OPT_C_DATE,
	OPT_C_DATE_FORMAT,
	OPT_C_DELIMITER,
	OPT_TABLE,
};

static const struct cli_opt own_opts[] = {
        {"campaign", "FILE", OPT_CAMPAIGN,
         "the campaign: one row per customer with its group (treatment or control) and send "
         "date"},
        {"window", "DAYS", OPT_WINDOW,
         "follow each customer for DAYS days from the send day, which counts (default 30)"},
        {"level", "X", OPT_LEVEL, "of the intervals, 0.5 to 0.9999 (default 0.95)"},
        {"bootstrap", "B", OPT_BOOTSTRAP,
         "bootstrap replicates for revenue, 100 to 100000, or 0 for none (default 2000)"},
        {"seed", "N", OPT_SEED, "the bootstrap's seed (default 1): the same seed, the same bytes"},
        {"segment-by", "LIST", OPT_SEGMENT_BY,
         "also per segment: rfm (the RFM segment as of the earliest send day) and/or campaign "
         "file columns, comma-separated"},
        {"campaign-customer", "COL", OPT_C_CUSTOMER,
         "the campaign file's customer column (a header name or a 1-based number)"},
        {"group", "COL", OPT_C_GROUP, "the campaign file's group column"},
        {"send-date", "COL", OPT_C_DATE, "the campaign file's send date column"},
        {"campaign-date-format", "F", OPT_C_DATE_FORMAT,
         "the send dates' format: iso, ymd, mdy, dmy, unix, unix_ms or a pattern (default: "
         "detected)"},
        {"campaign-delimiter", "D", OPT_C_DELIMITER,
         "the campaign file's delimiter: ',' ';' tab '|' or whitespace (default: detected)"},
        {"only", "T", OPT_TABLE,
         "write only one table: groups, effects (the CSV default), balance or segments"},
        CLI_OPT_END,
};

static const struct cli_command_help help = {
        "rebuy uplift [OPTIONS] ORDERS --campaign FILE",
        "Campaign evaluation: for the treatment and the control group of a campaign, the\n"
        "repeat purchase (conversion) rate, orders and revenue per customer in the --window\n"
        "days from each customer's send day; the difference, relative uplift and incremental\n"
        "conversions, orders and revenue with intervals at --level and p-values (pooled\n"
        "two-proportion z-test and Newcombe interval for the rate, Welch for the means, a\n"
        "seeded percentile bootstrap for revenue); the groups' balance before the send; and\n"
        "the same per segment. The campaign file has columns customer, group\n"
        "(treatment/control, test/holdout, t/c, 1/0) and send date, detected from the header.\n"
        "Definitions: docs/uplift.md. The input options below describe the orders file.",
        own_opts,
        1,
};

struct ctx {
	struct rebuy_uplift_options u;
	struct rebuy_table_options t;
	const char *campaign;
	const char *table;
	char segment_list[1024];
};

static int whole(const char *opt, const char *v, unsigned long long lo, unsigned long long hi,
                 unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (*v == '\0' || *v == '-' || *end || errno || n < lo || n > hi) {
		cli_error("--%s: '%s' is not a whole number from %llu to %llu", opt, v, lo, hi);
		return EXIT_USAGE;
	}
	*out = n;
	return 0;
}

/* --segment-by a,b (also given more than once): the names point into a
 * copy of the list. */
static int segment_by(struct ctx *x, const char *v)
{
	size_t used = 0;
	for (size_t k = 0; k < x->u.n_segment_by; k++)
		used += strlen(x->u.segment_by[k]) + 1;
	size_t n = strlen(v);
	if (used + n + 1 > sizeof x->segment_list) {
		cli_error("--segment-by: the list is too long");
		return EXIT_USAGE;
	}
	char *p = x->segment_list + used;
	memcpy(p, v, n + 1);
	for (char *s = p;;) {
		char *comma = strchr(s, ',');
		if (comma)
			*comma = '\0';
		if (*s == '\0') {
			cli_error("--segment-by: '%s' has an empty name", v);
			return EXIT_USAGE;
		}
		if (x->u.n_segment_by == REBUY_UPLIFT_MAX_SEGMENT_BY) {
			cli_error("--segment-by: at most %d segmentations",
			          REBUY_UPLIFT_MAX_SEGMENT_BY);
			return EXIT_USAGE;
		}
		x->u.segment_by[x->u.n_segment_by++] = s;
		if (!comma)
			break;
		s = comma + 1;
	}
	return 0;
}

static int own(void *ud, int id, const char *v)
{
	struct ctx *x = ud;
	struct rebuy_error err = {0};
	unsigned long long n;
	int r;
	switch (id) {
	case OPT_CAMPAIGN: x->campaign = v; return 0;
	case OPT_WINDOW:
		if ((r = whole("window", v, 1, REBUY_UPLIFT_MAX_WINDOW_DAYS, &n)))
			return r;
		x->u.window_days = (int64_t)n;
		return 0;
	case OPT_LEVEL: {
		char *end;
		errno = 0;
		double d = strtod(v, &end);
		if (*v == '\0' || *end || errno || !(d >= 0.5 && d <= 0.9999)) {
			cli_error("--level: '%s' is not a number from 0.5 to 0.9999", v);
			return EXIT_USAGE;
		}
		x->u.level = d;
		return 0;
	}
	case OPT_BOOTSTRAP:
		if ((r = whole("bootstrap", v, 0, REBUY_UPLIFT_MAX_BOOTSTRAP, &n)))
			return r;
		if (n != 0 && n < 100) {
			cli_error("--bootstrap: %llu replicates are too few for a 95%% interval "
			          "(give "
			          "100 or more, or 0 for none)",
			          n);
			return EXIT_USAGE;
		}
		x->u.n_bootstrap = (uint32_t)n;
		return 0;
	case OPT_SEED:
		if ((r = whole("seed", v, 0, UINT64_MAX, &n)))
			return r;
		x->u.seed = n;
		return 0;
	case OPT_SEGMENT_BY: return segment_by(x, v);
	case OPT_C_CUSTOMER: x->u.column[REBUY_UPLIFT_CUSTOMER] = v; return 0;
	case OPT_C_GROUP: x->u.column[REBUY_UPLIFT_GROUP] = v; return 0;
	case OPT_C_DATE: x->u.column[REBUY_UPLIFT_SEND_DATE] = v; return 0;
	case OPT_C_DATE_FORMAT: {
		struct rebuy_date_format f;
		if (strcmp(v, "auto") != 0 && rebuy_date_format_parse(v, &f, &err) != REBUY_OK)
			return cli_fail(&err);
		x->u.date_format = v;
		return 0;
	}
	case OPT_C_DELIMITER:
		if (strcmp(v, "tab") == 0 || strcmp(v, "\\t") == 0)
			x->t.delimiter = '\t';
		else if (strcmp(v, "whitespace") == 0 || strcmp(v, "space") == 0)
			x->t.delimiter = REBUY_DELIM_WHITESPACE;
		else if (strlen(v) == 1 && strchr(",;\t|", v[0]))
			x->t.delimiter = v[0];
		else {
			cli_error("--campaign-delimiter: '%s' is not one of , ; tab | whitespace",
			          v);
			return EXIT_USAGE;
		}
		return 0;
	case OPT_TABLE:
		if (strcmp(v, "groups") && strcmp(v, "effects") && strcmp(v, "balance") &&
		    strcmp(v, "segments")) {
			cli_error("--only: '%s' is not groups, effects, balance or segments", v);
			return EXIT_USAGE;
		}
		x->table = v;
		return 0;
	}
	return 0;
}

static void warn(const struct rebuy_uplift *u, const char *orders_path)
{
	char day[48];
	if (u->not_in_orders == u->customers)
		cli_warn("none of the %llu campaign customers has an order in %s: do the customer "
		         "keys match?",
		         (unsigned long long)u->customers, orders_path);
	if (u->incomplete > 0) {
		rebuy_format_day(u->as_of_day, day, sizeof day);
		cli_warn("%llu of %llu campaign customers have a window that runs past the end of "
		         "the data (as of %s): they had less than %lld days to buy",
		         (unsigned long long)u->incomplete, (unsigned long long)u->customers, day,
		         (long long)u->window_days);
	}
	uint64_t nt = u->all.groups[1].customers, nc = u->all.groups[0].customers;
	if (nt < 30 || nc < 30)
		cli_warn("%llu treated and %llu control customers: with fewer than 30 in a group "
		         "the "
		         "intervals and p-values are rough (the bootstrap's too narrow)",
		         (unsigned long long)nt, (unsigned long long)nc);
	/* Both practically (SMD) and statistically: with a few customers a
	 * large SMD is chance, with very many a tiny p is. */
	for (int k = 0; k < REBUY_UPLIFT_BALANCE_COUNT; k++) {
		const struct rebuy_uplift_balance *b = &u->all.balance[k];
		if (b->is_imbalanced && b->p_value < 1 - u->level)
			cli_warn("the groups differ before the send: %s SMD %.3f, p %.2g: was the "
			         "assignment random?",
			         b->measure, b->smd, b->p_value);
	}
}

int cmd_uplift(int argc, char **argv)
{
	struct cli_common c;
	cli_common_init(&c, "uplift");
	struct ctx x;
	memset(&x, 0, sizeof x);
	rebuy_uplift_options_init(&x.u);
	rebuy_table_options_init(&x.t);
	int r = cli_parse(argc, argv, &c, &help, own, &x);
	if (r)
		return r < 0 ? EXIT_OK : r;
	if (!x.campaign) {
		cli_error(
		        "no campaign: give --campaign FILE (customer, group, send date); see rebuy "
		        "uplift --help");
		return EXIT_USAGE;
	}
	if (c.n_positional > 1) {
		cli_error("one orders file, please (the campaign goes with --campaign)");
		return EXIT_USAGE;
	}
	if (strcmp(x.campaign, "-") == 0 &&
	    (c.n_positional == 0 || strcmp(c.positional[0], "-") == 0)) {
		cli_error("the campaign and the orders cannot both be standard input");
		return EXIT_USAGE;
	}
	if (x.table && strcmp(x.table, "segments") == 0 && x.u.n_segment_by == 0) {
		cli_error("--only segments needs --segment-by");
		return EXIT_USAGE;
	}
	x.t.path = x.campaign;
	struct rebuy_error err = {0};
	struct rebuy_table *t = NULL;
	if (rebuy_table_read(&t, &x.t, &err) != REBUY_OK)
		return cli_fail(&err);
	struct rebuy_orders *o = NULL;
	if ((r = cli_load_orders(&c, &o))) {
		rebuy_table_free(t);
		return r;
	}
	cli_as_of(&c, &x.u.has_as_of, &x.u.as_of_day);
	x.u.n_threads = c.in.n_threads;
	struct rebuy_uplift *u = NULL;
	if (rebuy_uplift_compute(t, o, &x.u, &u, &err) != REBUY_OK) {
		rebuy_table_free(t);
		rebuy_orders_free(o);
		return cli_fail(&err);
	}
	if (!c.quiet)
		warn(u, o->report.path);
	struct rebuy_doc *doc = rebuy_doc_new();
	struct rebuy_node *root = rebuy_doc_root(doc);
	rebuy_uplift_doc(u, &o->report, doc, root);
	if (x.table)
		r = cli_write_node(&c, doc, rebuy_doc_get(root, x.table));
	else
		r = cli_write_doc(&c, doc, rebuy_doc_get(root, "effects"));
	rebuy_doc_free(doc);
	rebuy_uplift_free(u);
	rebuy_table_free(t);
	rebuy_orders_free(o);
	return r;
}
