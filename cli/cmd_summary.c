/* rebuy summary: the KPI pack and period metrics, or the per-customer
 * summary with --customers. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
	OPT_PERIOD = 1,
	OPT_PERIODS,
	OPT_CUSTOMERS,
	OPT_CAL_END,
	OPT_TIME_UNIT,
	OPT_LIFECYCLE,
	OPT_DISTRIBUTIONS
};

static const struct cli_opt own_opts[] = {
        {"period", "P", OPT_PERIOD,
         "week, month (default), quarter or year: the period metrics' unit"},
        {"periods", NULL, OPT_PERIODS, "write only the period table (the CSV is then that table)"},
        {"lifecycle", NULL, OPT_LIFECYCLE,
         "write only the lifecycle per period: active, new, returning, resurrecting, dormant, "
         "quick ratio"},
        {"distributions", NULL, OPT_DISTRIBUTIONS,
         "write only the distributions of days between purchases, days to the second purchase "
         "and orders per customer: quantiles and histograms (the CSV is the histogram bins)"},
        {"customers", NULL, OPT_CUSTOMERS,
         "write the per-customer summary instead: orders, purchase days, revenue and the BTYD "
         "x, t_x, T, monetary (sorted by customer)"},
        {"calibration-end", "DATE", OPT_CAL_END,
         "with --customers: the last day of the calibration period (default: the last purchase "
         "day)"},
        {"time-unit", "U", OPT_TIME_UNIT, "with --customers: day, week (default) or month"},
        CLI_OPT_END,
};

static const struct cli_command_help help = {
        "rebuy summary [OPTIONS] INPUT",
        "The repeat-sales KPI pack (customers, orders, revenue, returns, repeat purchase rate,\n"
        "purchase frequency, average order value, repeat revenue share, days between purchases,\n"
        "historic and simple LTV) and the period metrics (E, N, S, CRR, strict retention, churn,\n"
        "reactivations, revenue from new and returning customers). Definitions: "
        "docs/definitions.md.\n"
        "INPUT is a CSV or whitespace-separated file, gzip or not, or - for standard input.",
        own_opts,
        1,
};

struct ctx {
	struct rebuy_summary_options s;
	int periods_only, customers, lifecycle, distributions;
	int has_cal_end;
	int64_t cal_end;
	enum rebuy_time_unit unit;
};

static int own(void *ud, int id, const char *v)
{
	struct ctx *x = ud;
	struct rebuy_error err = {0};
	switch (id) {
	case OPT_PERIOD:
		if (rebuy_period_from_name(v, &x->s.period, &err) != REBUY_OK)
			return cli_fail(&err);
		return 0;
	case OPT_PERIODS: x->periods_only = 1; return 0;
	case OPT_LIFECYCLE: x->lifecycle = 1; return 0;
	case OPT_DISTRIBUTIONS: x->distributions = 1; return 0;
	case OPT_CUSTOMERS: x->customers = 1; return 0;
	case OPT_CAL_END: x->has_cal_end = 1; return cli_day("calibration-end", v, &x->cal_end);
	case OPT_TIME_UNIT:
		if (rebuy_time_unit_from_name(v, &x->unit, &err) != REBUY_OK)
			return cli_fail(&err);
		return 0;
	}
	return 0;
}

static int write_customers(struct cli_common *c, const struct rebuy_orders *o, struct ctx *x)
{
	static const char *const cols[] = {
	        "customer",
	        "orders",
	        "purchase_days",
	        "first_purchase",
	        "last_purchase",
	        "revenue",
	        "returns",
	        "returned",
	        "x",
	        "t_x",
	        "T",
	        "monetary",
	        "x_holdout",
	};
	uint32_t *ids = malloc((o->n_customers ? o->n_customers : 1) * sizeof *ids);
	if (!ids) {
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	rebuy_orders_customers_by_key(o, ids);
	int64_t cal_end = x->has_cal_end ? x->cal_end : o->last_day;
	struct cli_out out;
	int r = cli_out_open(&out, c->output);
	if (r) {
		free(ids);
		return r;
	}
	struct rebuy_csv_options copts = {.raw = c->raw};
	struct rebuy_rows *w = rebuy_rows_new(out.f, cli_row_format(c), "customers", cols,
	                                      sizeof cols / sizeof *cols, &copts);
	enum rebuy_status st = w ? REBUY_OK : REBUY_ENOMEM;
	for (size_t i = 0; w && i < o->n_customers && st == REBUY_OK; i++) {
		uint32_t cid = ids[i];
		struct rebuy_customer cs;
		if ((st = rebuy_customer_compute(o, cid, &cs)))
			break;
		char buf[32];
		rebuy_rows_str(w, rebuy_orders_customer_key(o, cid, NULL));
		rebuy_rows_int(w, cs.n_orders);
		rebuy_rows_int(w, cs.n_days);
		if (cs.n_orders) {
			rebuy_format_ts(cs.first_ts, buf, sizeof buf);
			rebuy_rows_str(w, buf);
			rebuy_format_ts(cs.last_ts, buf, sizeof buf);
			rebuy_rows_str(w, buf);
		} else {
			rebuy_rows_null(w);
			rebuy_rows_null(w);
		}
		if (o->has_amount)
			rebuy_rows_money(w, cs.revenue);
		else
			rebuy_rows_null(w);
		rebuy_rows_int(w, cs.n_returns);
		if (o->has_amount)
			rebuy_rows_money(w, cs.returned);
		else
			rebuy_rows_null(w);
		struct rebuy_btyd b;
		if (rebuy_btyd_compute(o, cid, cal_end, x->unit, &b)) {
			rebuy_rows_num(w, b.x);
			rebuy_rows_num(w, b.t_x);
			rebuy_rows_num(w, b.T);
			if (o->has_amount)
				rebuy_rows_num(w, b.monetary);
			else
				rebuy_rows_null(w);
			rebuy_rows_int(w, b.x_holdout);
		} else {
			for (int k = 0; k < 5; k++)
				rebuy_rows_null(w);
		}
		rebuy_rows_end_row(w);
	}
	free(ids);
	enum rebuy_status fst = rebuy_rows_finish(w);
	if (st || fst) {
		cli_out_abort(&out);
		cli_error("%s", st == REBUY_ELIMIT ? "a customer's revenue is beyond +-922 trillion"
		                : st || fst == REBUY_ENOMEM ? "out of memory"
		                                            : "cannot write the output");
		return EXIT_FAIL;
	}
	return cli_out_commit(&out);
}

int cmd_summary(int argc, char **argv)
{
	struct cli_common c;
	cli_common_init(&c, "summary");
	struct ctx x = {.unit = REBUY_UNIT_WEEK};
	rebuy_summary_options_init(&x.s);
	int r = cli_parse(argc, argv, &c, &help, own, &x);
	if (r)
		return r < 0 ? EXIT_OK : r;
	x.s.n_threads = c.in.n_threads;
	cli_as_of(&c, &x.s.has_as_of, &x.s.as_of_day);
	struct rebuy_orders *o = NULL;
	if ((r = cli_load_orders(&c, &o)))
		return r;
	if (x.customers) {
		r = write_customers(&c, o, &x);
		rebuy_orders_free(o);
		return r;
	}
	struct rebuy_summary *s = NULL;
	struct rebuy_error err = {0};
	if (rebuy_summary_compute(o, &x.s, &s, &err) != REBUY_OK) {
		rebuy_orders_free(o);
		return cli_fail(&err);
	}
	struct rebuy_doc *doc = rebuy_doc_new();
	struct rebuy_node *root = rebuy_doc_root(doc);
	if (x.lifecycle) {
		rebuy_summary_lifecycle_doc(s, doc, root);
		r = cli_write_node(&c, doc, rebuy_doc_get(root, "lifecycle"));
	} else if (x.distributions) {
		if (cli_format_of(&c) == FORMAT_CSV) {
			rebuy_summary_histograms_doc(s, doc, root);
			r = cli_write_node(&c, doc, rebuy_doc_get(root, "histograms"));
		} else {
			rebuy_summary_distributions_doc(s, doc, root);
			r = cli_write_node(&c, doc, rebuy_doc_get(root, "distributions"));
		}
	} else {
		rebuy_summary_doc(s, &o->report, doc, root);
		struct rebuy_node *periods = rebuy_doc_get(root, "periods");
		r = x.periods_only ? cli_write_node(&c, doc, periods)
		                   : cli_write_doc(&c, doc, NULL);
	}
	rebuy_doc_free(doc);
	rebuy_summary_free(s);
	rebuy_orders_free(o);
	return r;
}
