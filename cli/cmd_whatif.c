/* rebuy whatif: what the customer base is worth if retention, purchase
 * frequency or spend changed by given amounts, from a fitted lifetime model
 * (rebuy_clv_whatif in rebuy/clv.h, docs/whatif.md): the CLV, expected
 * purchases and revenue of the base as fitted and under each change alone
 * and all together, with the differences. The retention change is the
 * report's "what better retention is worth" computation. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
	OPT_RETENTION = 1,
	OPT_DROPOUT,
	OPT_FREQUENCY,
	OPT_SPEND_CHANGE,
	OPT_CLV_YEARS,
	OPT_MARGIN,
	OPT_DISCOUNT,
};

static const struct cli_opt own_opts[] = {
        {"model", "M", OPT_CLV_MODEL,
         "bgnbd (BG/NBD, the default), mbgnbd, pnbd (Pareto/NBD) or bgbb (a --summary with "
         "periods); rebuy report names the model it chose"},
        {"retention-points", "P", OPT_RETENTION,
         "better retention: P more of every 100 new customers still alive a year after their "
         "first purchase (the report's \"what better retention is worth\"; default 5 when no "
         "change is given)"},
        {"dropout-change", "PCT", OPT_DROPOUT,
         "retention as a relative change of every customer's dropout instead: -10 is a tenth "
         "less dropout (not with --retention-points)"},
        {"frequency-change", "PCT", OPT_FREQUENCY,
         "every customer buys PCT % more often from now on (-20: a fifth less often)"},
        {"spend-change", "PCT", OPT_SPEND_CHANGE,
         "every future purchase is worth PCT % more (-5: 5 % less)"},
        {"clv-years", "Y", OPT_CLV_YEARS, "the CLV horizon in years (default 3, as the report)"},
        {"margin", "M", OPT_MARGIN, "the share of spend that is profit, 0 to 1 (default 1)"},
        {"discount-rate", "R", OPT_DISCOUNT, "the yearly discount rate of CLV (default 0.1)"},
        CLI_OPT_END,
};

struct ctx {
	struct cli_clv clv;
	struct rebuy_clv_scenario sc;
	int has_retention, has_dropout, has_frequency, has_spend;
	double clv_years, margin, discount_rate;
};

/* "10", "+10", "-5.5" or "10%" -> 0.1, 0.1, -0.055, 0.1. */
static int percent(const char *opt, const char *v, double *out)
{
	char buf[64];
	size_t n = strlen(v);
	if (n == 0 || n >= sizeof buf) {
		cli_error("--%s: '%s' is not a percentage", opt, v);
		return EXIT_USAGE;
	}
	memcpy(buf, v, n + 1);
	if (buf[n - 1] == '%')
		buf[n - 1] = '\0';
	char *end;
	errno = 0;
	double d = strtod(buf, &end);
	if (buf[0] == '\0' || *end || errno == ERANGE || !isfinite(d)) {
		cli_error("--%s: '%s' is not a percentage (10 is +10 %%)", opt, v);
		return EXIT_USAGE;
	}
	*out = d / 100;
	return 0;
}

static int own(void *ud, int id, const char *v)
{
	struct ctx *x = ud;
	int r = cli_clv_option(&x->clv, id, v);
	if (r != -2)
		return r;
	double d;
	switch (id) {
	case OPT_RETENTION:
		if (percent("retention-points", v, &d))
			return EXIT_USAGE;
		if (!(d > 0 && d < 1)) {
			cli_error("--retention-points: '%s' is not a number of points above 0 and "
			          "below 100",
			          v);
			return EXIT_USAGE;
		}
		x->sc.retention_points = d;
		x->has_retention = 1;
		return 0;
	case OPT_DROPOUT:
	case OPT_FREQUENCY:
	case OPT_SPEND_CHANGE: {
		const char *name = id == OPT_DROPOUT     ? "dropout-change"
		                   : id == OPT_FREQUENCY ? "frequency-change"
		                                         : "spend-change";
		if (percent(name, v, &d))
			return EXIT_USAGE;
		if (!(d > -1)) {
			cli_error("--%s: '%s' is not above -100", name, v);
			return EXIT_USAGE;
		}
		if (id == OPT_DROPOUT) {
			x->sc.dropout_change = d;
			x->has_dropout = 1;
		} else if (id == OPT_FREQUENCY) {
			x->sc.frequency_change = d;
			x->has_frequency = 1;
		} else {
			x->sc.spend_change = d;
			x->has_spend = 1;
		}
		return 0;
	}
	case OPT_CLV_YEARS:
		if (cli_clv_number("clv-years", v, &d))
			return EXIT_USAGE;
		if (!(d > 0 && d <= 100)) {
			cli_error("--clv-years: '%s' is not a number of years above 0, at most 100",
			          v);
			return EXIT_USAGE;
		}
		x->clv_years = d;
		return 0;
	case OPT_MARGIN:
		if (cli_clv_number("margin", v, &d))
			return EXIT_USAGE;
		if (d < 0 || d > 1) {
			cli_error("--margin: '%s' is not a share from 0 to 1", v);
			return EXIT_USAGE;
		}
		x->margin = d;
		return 0;
	case OPT_DISCOUNT:
		if (cli_clv_number("discount-rate", v, &d))
			return EXIT_USAGE;
		if (d < 0 || d > 100) {
			cli_error(
			        "--discount-rate: '%s' is not a rate from 0 to 100 (0.1 is 10 %%)",
			        v);
			return EXIT_USAGE;
		}
		x->discount_rate = d;
		return 0;
	}
	return 0;
}

/* ---- scenarios ---- */

struct scenario {
	const char *name;
	char change[160];
	struct rebuy_clv_scenario sc;
	struct rebuy_clv_whatif w;
};

#define MAX_SCENARIOS 5

static void describe(char *buf, size_t size, const struct ctx *x, int retention, int frequency,
                     int spend)
{
	size_t n = 0;
	buf[0] = '\0';
	if (retention && x->has_dropout)
		n += (size_t)snprintf(buf + n, size - n, "dropout %+g%%",
		                      100 * x->sc.dropout_change);
	else if (retention)
		n += (size_t)snprintf(buf + n, size - n,
		                      "retention %+g points (new customers alive after a year)",
		                      100 * x->sc.retention_points);
	if (frequency && n < size)
		n += (size_t)snprintf(buf + n, size - n, "%spurchase frequency %+g%%",
		                      n ? "; " : "", 100 * x->sc.frequency_change);
	if (spend && n < size)
		n += (size_t)snprintf(buf + n, size - n, "%sspend per purchase %+g%%",
		                      n ? "; " : "", 100 * x->sc.spend_change);
	if (n == 0)
		snprintf(buf, size, "as fitted");
}

/* The scenarios asked for: the baseline, each change alone, all together
 * when there are two or more. */
static size_t plan(const struct ctx *x, struct scenario *s)
{
	size_t n = 0;
	int has_ret = x->has_retention || x->has_dropout;
	int changes = has_ret + x->has_frequency + x->has_spend;
	s[n].name = "baseline";
	describe(s[n].change, sizeof s[n].change, x, 0, 0, 0);
	n++;
	if (has_ret) {
		s[n].name = "retention";
		s[n].sc.retention_points = x->sc.retention_points;
		s[n].sc.dropout_change = x->sc.dropout_change;
		describe(s[n].change, sizeof s[n].change, x, 1, 0, 0);
		n++;
	}
	if (x->has_frequency) {
		s[n].name = "frequency";
		s[n].sc.frequency_change = x->sc.frequency_change;
		describe(s[n].change, sizeof s[n].change, x, 0, 1, 0);
		n++;
	}
	if (x->has_spend) {
		s[n].name = "spend";
		s[n].sc.spend_change = x->sc.spend_change;
		describe(s[n].change, sizeof s[n].change, x, 0, 0, 1);
		n++;
	}
	if (changes > 1) {
		s[n].name = "combined";
		s[n].sc = x->sc;
		describe(s[n].change, sizeof s[n].change, x, has_ret, x->has_frequency,
		         x->has_spend);
		n++;
	}
	return n;
}

/* ---- the document ---- */

struct def {
	const char *key, *label, *text;
};

static const struct def defs[] = {
        {"model", "Model", "the lifetime model fitted (rebuy fit), with Gamma-Gamma spend"},
        {"time_unit", "Time unit", "of the horizons (null for bgbb: opportunities)"},
        {"calibration_end", "Calibration end",
         "the customers first seen on or before it, valued from it on (null for a summary)"},
        {"customers", "Customers", "the customers valued (the sum of a summary's weights)"},
        {"horizon", "Horizon", "of expected purchases and revenue: one year, in time units"},
        {"clv_horizon", "CLV horizon", "--clv-years, in time units"},
        {"margin", "Margin", "the share of spend that is profit"},
        {"discount_rate", "Discount rate", "per year"},
        {"retention_horizon", "Retention after",
         "the t of S(t), the share of new customers alive t after their first purchase: one "
         "year"},
        {"scenarios", "Scenarios", NULL},
        {"scenarios.scenario", "scenario", NULL},
        {"scenarios.change", "change", NULL},
        {"scenarios.survival", "alive after a year",
         "the model's share of new customers alive a year after their first purchase"},
        {"scenarios.clv", "CLV", "the sum of the customers' CLV over the CLV horizon"},
        {"scenarios.clv_per_customer", "CLV / customer", "clv / customers"},
        {"scenarios.clv_change", "CLV change", "clv - the baseline's clv"},
        {"scenarios.clv_change_share", "CLV change %", "clv_change / the baseline's clv"},
        {"scenarios.expected_purchases", "purchases",
         "expected repeat purchases of the customers in the horizon"},
        {"scenarios.expected_purchases_change", "purchases change",
         "expected_purchases - the baseline's"},
        {"scenarios.expected_purchases_change_share", "purchases change %",
         "expected_purchases_change / the baseline's"},
        {"scenarios.expected_revenue", "revenue",
         "the sum of expected purchases x expected spend in the horizon (undiscounted)"},
        {"scenarios.expected_revenue_change", "revenue change",
         "expected_revenue - the baseline's"},
        {"scenarios.expected_revenue_change_share", "revenue change %",
         "expected_revenue_change / the baseline's"},
        {"scenarios.model_change", "model change",
         "how the retention change moved the model's dropout parameter (empty when it did "
         "not)"},
};

static struct rebuy_node *lab(struct rebuy_doc *doc, struct rebuy_node *n, const char *key,
                              int note)
{
	for (size_t i = 0; i < sizeof defs / sizeof *defs; i++)
		if (strcmp(defs[i].key, key) == 0)
			rebuy_doc_label(doc, n, defs[i].label, note ? defs[i].text : NULL);
	return n;
}

static void params_node(struct rebuy_doc *doc, struct rebuy_node *parent, const char *key,
                        const struct rebuy_clv_estimate *e)
{
	struct rebuy_node *o = rebuy_doc_obj(doc, parent, key);
	for (int i = 0; i < e->n_params; i++)
		rebuy_doc_num(doc, o, e->names[i], e->params[i], REBUY_SHOW_DECIMAL);
}

static double share(double change, double base)
{
	return base != 0 ? change / base : NAN;
}

static void scenario_row(struct rebuy_doc *doc, struct rebuy_node *arr, const struct scenario *s,
                         const struct rebuy_clv_whatif *base)
{
	const struct rebuy_clv_whatif *w = &s->w;
	struct rebuy_node *o = rebuy_doc_obj(doc, arr, NULL);
	static const char *const k[] = {"scenarios.scenario",
	                                "scenarios.change",
	                                "scenarios.survival",
	                                "scenarios.clv",
	                                "scenarios.clv_per_customer",
	                                "scenarios.clv_change",
	                                "scenarios.clv_change_share",
	                                "scenarios.expected_purchases",
	                                "scenarios.expected_purchases_change",
	                                "scenarios.expected_purchases_change_share",
	                                "scenarios.expected_revenue",
	                                "scenarios.expected_revenue_change",
	                                "scenarios.expected_revenue_change_share",
	                                "scenarios.model_change"};
	double dc = w->clv - base->clv, de = w->expected_purchases - base->expected_purchases;
	double dr = w->expected_revenue - base->expected_revenue;
	lab(doc, rebuy_doc_str(doc, o, "scenario", s->name), k[0], 0);
	lab(doc, rebuy_doc_str(doc, o, "change", s->change), k[1], 0);
	lab(doc, rebuy_doc_num(doc, o, "survival", w->survival_after, REBUY_SHOW_RATE), k[2], 0);
	lab(doc, rebuy_doc_num(doc, o, "clv", w->clv, REBUY_SHOW_MONEY), k[3], 0);
	lab(doc,
	    rebuy_doc_num(doc, o, "clv_per_customer", share(w->clv, w->customers),
	                  REBUY_SHOW_MONEY),
	    k[4], 0);
	lab(doc, rebuy_doc_num(doc, o, "clv_change", dc, REBUY_SHOW_MONEY), k[5], 0);
	lab(doc, rebuy_doc_num(doc, o, "clv_change_share", share(dc, base->clv), REBUY_SHOW_RATE),
	    k[6], 0);
	lab(doc,
	    rebuy_doc_num(doc, o, "expected_purchases", w->expected_purchases, REBUY_SHOW_DECIMAL),
	    k[7], 0);
	lab(doc, rebuy_doc_num(doc, o, "expected_purchases_change", de, REBUY_SHOW_DECIMAL), k[8],
	    0);
	lab(doc,
	    rebuy_doc_num(doc, o, "expected_purchases_change_share",
	                  share(de, base->expected_purchases), REBUY_SHOW_RATE),
	    k[9], 0);
	lab(doc, rebuy_doc_num(doc, o, "expected_revenue", w->expected_revenue, REBUY_SHOW_MONEY),
	    k[10], 0);
	lab(doc, rebuy_doc_num(doc, o, "expected_revenue_change", dr, REBUY_SHOW_MONEY), k[11], 0);
	lab(doc,
	    rebuy_doc_num(doc, o, "expected_revenue_change_share",
	                  share(dr, base->expected_revenue), REBUY_SHOW_RATE),
	    k[12], 0);
	int moved = s->sc.retention_points != 0 || s->sc.dropout_change != 0;
	lab(doc, rebuy_doc_str(doc, o, "model_change", moved ? w->fit.est.status : ""), k[13], 0);
}

static void whatif_doc(struct rebuy_doc *doc, const struct rebuy_clv_fit *fit,
                       const struct rebuy_clv_data *d, const struct rebuy_clv_predict_options *po,
                       const struct ctx *x, const struct scenario *s, size_t n_s)
{
	struct rebuy_node *root = rebuy_doc_root(doc);
	char buf[48];
	lab(doc, rebuy_doc_str(doc, root, "model", rebuy_clv_model_name(fit->model)), "model", 1);
	params_node(doc, root, "params", &fit->est);
	rebuy_doc_bool(doc, root, "converged", fit->est.converged);
	if (fit->has_spend)
		params_node(doc, root, "spend_params", &fit->spend);
	else
		rebuy_doc_null(doc, root, "spend_params");
	if (d->layout == REBUY_CLV_CONTINUOUS)
		lab(doc, rebuy_doc_str(doc, root, "time_unit", rebuy_time_unit_name(d->unit)),
		    "time_unit", 1);
	else
		lab(doc, rebuy_doc_null(doc, root, "time_unit"), "time_unit", 1);
	if (d->has_cal_end) {
		rebuy_format_day(d->cal_end, buf, sizeof buf);
		lab(doc, rebuy_doc_str(doc, root, "calibration_end", buf), "calibration_end", 1);
	} else {
		lab(doc, rebuy_doc_null(doc, root, "calibration_end"), "calibration_end", 1);
	}
	lab(doc, rebuy_doc_num(doc, root, "customers", s[0].w.customers, REBUY_SHOW_PLAIN),
	    "customers", 1);
	lab(doc, rebuy_doc_num(doc, root, "horizon", po->horizon, REBUY_SHOW_DECIMAL), "horizon",
	    1);
	lab(doc, rebuy_doc_num(doc, root, "clv_horizon", po->clv_horizon, REBUY_SHOW_DECIMAL),
	    "clv_horizon", 1);
	rebuy_doc_table_hide(rebuy_doc_num(doc, root, "clv_years", x->clv_years, REBUY_SHOW_PLAIN));
	lab(doc, rebuy_doc_num(doc, root, "margin", po->margin, REBUY_SHOW_DECIMAL), "margin", 1);
	lab(doc, rebuy_doc_num(doc, root, "discount_rate", po->discount_rate, REBUY_SHOW_RATE),
	    "discount_rate", 1);
	lab(doc,
	    rebuy_doc_num(doc, root, "retention_horizon", s[0].w.survival_t, REBUY_SHOW_DECIMAL),
	    "retention_horizon", 1);
	struct rebuy_node *arr = lab(doc, rebuy_doc_arr(doc, root, "scenarios"), "scenarios", 0);
	for (size_t i = 0; i < n_s; i++)
		scenario_row(doc, arr, &s[i], &s[0].w);
	struct rebuy_node *dn = rebuy_doc_obj(doc, root, "definitions");
	rebuy_doc_table_hide(dn);
	for (size_t i = 0; i < sizeof defs / sizeof *defs; i++)
		if (defs[i].text)
			rebuy_doc_str(doc, dn, defs[i].key, defs[i].text);
}

static int run(struct cli_common *c, struct ctx *x)
{
	if (x->clv.model == REBUY_CLV_SBG || x->clv.survivors || x->clv.contracts) {
		cli_error("sbg describes a cohort of contracts, not customers with a value: rebuy "
		          "whatif needs bgnbd, mbgnbd, pnbd or bgbb");
		return EXIT_USAGE;
	}
	if (x->has_retention && x->has_dropout) {
		cli_error(
		        "--retention-points and --dropout-change both change retention: give one");
		return EXIT_USAGE;
	}
	if (!x->has_retention && !x->has_dropout && !x->has_frequency && !x->has_spend) {
		x->sc.retention_points = 0.05; /* the report's question */
		x->has_retention = 1;
	}
	struct rebuy_orders *o = NULL;
	struct rebuy_clv_data *d = NULL;
	struct rebuy_doc *doc = NULL;
	struct rebuy_clv_fit fit;
	struct scenario s[MAX_SCENARIOS];
	memset(s, 0, sizeof s);
	int r = cli_clv_load(c, &x->clv, &o, &d);
	if (r)
		return r;
	if (!d->monetary) {
		cli_error("rebuy whatif values customers: it needs amounts (or a summary with a "
		          "monetary column) for the Gamma-Gamma spend model");
		r = EXIT_FAIL;
		goto out;
	}
	if ((r = cli_clv_fit(c, &x->clv, d, 1, &fit)))
		goto out;
	struct rebuy_clv_predict_options po;
	rebuy_clv_predict_options_init(&po);
	double year = fit.model == REBUY_CLV_BGBB ? 1 : 365.25 / rebuy_time_unit_days(d->unit);
	po.horizon = year;
	po.clv_horizon = x->clv_years * year;
	po.margin = x->margin;
	po.discount_rate = x->discount_rate;
	po.n_threads = c->in.n_threads;
	size_t n_s = plan(x, s);
	struct rebuy_error err = {0};
	for (size_t i = 0; i < n_s; i++) {
		s[i].sc.retention_t = year;
		if (rebuy_clv_whatif(&fit, d, &po, &s[i].sc, NULL, &s[i].w, &err) != REBUY_OK) {
			r = cli_fail(&err);
			goto out;
		}
	}
	if (!(doc = rebuy_doc_new())) {
		cli_error("out of memory");
		r = EXIT_FAIL;
		goto out;
	}
	whatif_doc(doc, &fit, d, &po, x, s, n_s);
	r = cli_write_doc(c, doc, rebuy_doc_get(rebuy_doc_root(doc), "scenarios"));
out:
	rebuy_doc_free(doc);
	rebuy_clv_data_free(d);
	rebuy_orders_free(o);
	return r;
}

int cmd_whatif(int argc, char **argv)
{
	struct cli_opt opts[32];
	const struct cli_command_help help = {
	        "rebuy whatif [OPTIONS] INPUT\n"
	        "       rebuy whatif [OPTIONS] --summary FILE",
	        "Fits a customer-lifetime model with Gamma-Gamma spend as rebuy predict does and\n"
	        "writes what the customers are worth as fitted (the baseline) and if retention,\n"
	        "purchase frequency or spend per purchase changed: the sum of their CLV over\n"
	        "--clv-years, their expected purchases and revenue over the next year, and each\n"
	        "one's change from the baseline, for each change alone and all together. With no\n"
	        "change given: --retention-points 5, the report's \"what better retention is\n"
	        "worth\". How each change enters the model: docs/whatif.md.\n"
	        "INPUT is a CSV or whitespace-separated file, gzip or not, or - for standard "
	        "input.",
	        cli_clv_opts_join(opts, sizeof opts / sizeof *opts, own_opts),
	        1,
	};
	struct cli_common c;
	cli_common_init(&c, "whatif");
	struct ctx x;
	memset(&x, 0, sizeof x);
	x.clv_years = 3;
	x.margin = 1;
	x.discount_rate = 0.1;
	cli_clv_init(&x.clv);
	int r = cli_parse(argc, argv, &c, &help, own, &x);
	if (r)
		return r < 0 ? EXIT_OK : r;
	return run(&c, &x);
}
