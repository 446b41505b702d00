/* rebuy fit: a customer-lifetime model fitted to orders, to a pre-summarized
 * table or to a cohort's survivor counts (rebuy/clv.h, docs/fit.md): the
 * parameters with standard errors, the log-likelihood, how the fit ended,
 * optionally the Gamma-Gamma spend model, and with a holdout period the
 * calibration / holdout comparison. Also the data and fit steps that
 * `rebuy predict` shares (cli.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- shared with rebuy predict ---- */

const struct cli_opt cli_clv_opts[] = {
        {"time-unit", "U", OPT_CLV_TIME_UNIT,
         "day, week (default) or month: the unit of t_x, T, the rates and the horizons"},
        {"calibration-end", "DATE", OPT_CLV_CAL_END,
         "the calibration period's last day, inclusive: the customers first seen on or before "
         "it, with their purchases up to it (default: the last purchase day)"},
        {"summary", "FILE", OPT_CLV_SUMMARY,
         "read a pre-summarized table instead of orders (no INPUT): columns x (or frequency), "
         "t_x (or recency), T, optional customer, monetary, x_holdout; for bgbb frequency, "
         "recency, periods, optional weights"},
        {"penalty", "X", OPT_CLV_PENALTY,
         "L2 penalty (default 0): maximize LL / customers - X x the sum of squared parameters"},
        {"max-iter", "N", OPT_CLV_MAX_ITER,
         "quasi-Newton iterations per starting point (default 1000)"},
        CLI_OPT_END,
};

const struct cli_opt *cli_clv_opts_join(struct cli_opt *out, size_t cap, const struct cli_opt *own)
{
	size_t n = 0;
	for (const struct cli_opt *t = own; t && t->name && n + 1 < cap; t++)
		out[n++] = *t;
	for (const struct cli_opt *t = cli_clv_opts; t->name && n + 1 < cap; t++)
		out[n++] = *t;
	out[n] = (struct cli_opt)CLI_OPT_END;
	return out;
}

void cli_clv_init(struct cli_clv *x)
{
	memset(x, 0, sizeof *x);
	x->model = REBUY_CLV_BGNBD;
	x->unit = REBUY_UNIT_WEEK;
	x->spend = -1;
	x->period = REBUY_PERIOD_MONTH;
	rebuy_clv_fit_options_init(&x->fit);
}

int cli_clv_number(const char *opt, const char *v, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (*v == '\0' || *end || errno == ERANGE || !isfinite(d)) {
		cli_error("--%s: '%s' is not a number", opt, v);
		return EXIT_USAGE;
	}
	*out = d;
	return 0;
}

int cli_clv_option(struct cli_clv *x, int id, const char *v)
{
	struct rebuy_error err = {0};
	double d;
	switch (id) {
	case OPT_CLV_MODEL:
		if (rebuy_clv_model_from_name(v, &x->model, &err) != REBUY_OK) {
			cli_error("--model: %s", err.msg);
			return EXIT_USAGE;
		}
		x->has_model = 1;
		return 0;
	case OPT_CLV_TIME_UNIT:
		if (rebuy_time_unit_from_name(v, &x->unit, &err) != REBUY_OK) {
			cli_error("--time-unit: '%s' is not day, week or month", v);
			return EXIT_USAGE;
		}
		x->has_unit = 1;
		return 0;
	case OPT_CLV_CAL_END: x->has_cal_end = 1; return cli_day("calibration-end", v, &x->cal_end);
	case OPT_CLV_SUMMARY: x->summary = v; return 0;
	case OPT_CLV_PENALTY:
		if (cli_clv_number("penalty", v, &d))
			return EXIT_USAGE;
		if (d < 0) {
			cli_error("--penalty: '%s' is not a number >= 0", v);
			return EXIT_USAGE;
		}
		x->fit.penalty = d;
		return 0;
	case OPT_CLV_MAX_ITER: {
		char *end;
		long n = strtol(v, &end, 10);
		if (*v == '\0' || *end || n < 1 || n > 1000000) {
			cli_error("--max-iter: '%s' is not a number from 1 to 1000000", v);
			return EXIT_USAGE;
		}
		x->fit.max_iter = (int)n;
		return 0;
	}
	case OPT_CLV_SPEND:
		if (strcmp(v, "gg") == 0)
			x->spend = 1;
		else if (strcmp(v, "none") == 0)
			x->spend = 0;
		else {
			cli_error("--spend: '%s' is not gg (Gamma-Gamma) or none", v);
			return EXIT_USAGE;
		}
		return 0;
	}
	return -2;
}

#define MAX_SURVIVORS 100000

/* "1000,631,468" -> the counts (checked as numbers here; whole and never
 * growing by the library). */
static int read_survivors(const char *list, struct rebuy_clv_data **out)
{
	size_t n = 1;
	for (const char *s = list; *s; s++)
		n += *s == ',';
	if (n > MAX_SURVIVORS) {
		cli_error("--survivors: more than %d counts", MAX_SURVIVORS);
		return EXIT_USAGE;
	}
	double *v = malloc(n * sizeof *v);
	if (!v) {
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	const char *s = list;
	for (size_t i = 0; i < n; i++) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		char item[64];
		char *end;
		snprintf(item, sizeof item, "%.*s",
		         (int)(len < sizeof item ? len : sizeof item - 1), s);
		errno = 0;
		v[i] = strtod(item, &end);
		if (len == 0 || len >= sizeof item || *end || errno == ERANGE || !isfinite(v[i])) {
			cli_error(
			        "--survivors: '%.*s' is not a number (give the counts at the start "
			        "of each period, comma-separated: 1000,631,468)",
			        (int)len, s);
			free(v);
			return EXIT_USAGE;
		}
		s = comma ? comma + 1 : s + len;
	}
	struct rebuy_error err = {0};
	enum rebuy_status st = rebuy_clv_data_from_survivors(v, n, out, &err);
	free(v);
	if (st != REBUY_OK) {
		if (st == REBUY_EARG) {
			cli_error("--%s", err.msg);
			return EXIT_USAGE;
		}
		return cli_fail(&err);
	}
	return 0;
}

/* The options that go together, before anything is read. */
static int check_options(const struct cli_common *c, const struct cli_clv *x)
{
	if (!!x->summary + !!x->survivors + !!x->contracts > 1) {
		cli_error("--summary, --survivors and --contracts are different inputs: give one");
		return EXIT_USAGE;
	}
	const char *replaces = x->summary     ? "--summary"
	                       : x->survivors ? "--survivors"
	                       : x->contracts ? "--contracts"
	                                      : NULL;
	if (replaces && c->n_positional) {
		cli_error("%s replaces INPUT: give one of them, not both ('%s')", replaces,
		          c->positional[0]);
		return EXIT_USAGE;
	}
	if (c->n_positional > 1) {
		cli_error("one INPUT at a time ('%s' and '%s')", c->positional[0],
		          c->positional[1]);
		return EXIT_USAGE;
	}
	if (replaces && x->has_cal_end) {
		cli_error("--calibration-end splits orders; %s is not orders", replaces);
		return EXIT_USAGE;
	}
	if (x->holdout_length > 0 && !x->summary) {
		cli_error("--holdout-length is for --summary: from orders the holdout runs from "
		          "the calibration end to the last purchase");
		return EXIT_USAGE;
	}
	if ((x->survivors || x->contracts) && x->model != REBUY_CLV_SBG) {
		cli_error("%s is the data of --model sbg, not %s", replaces,
		          rebuy_clv_model_name(x->model));
		return EXIT_USAGE;
	}
	if (x->model == REBUY_CLV_SBG && !x->survivors && !x->contracts) {
		cli_error(
		        "--model sbg needs --survivors LIST (the cohort's active customers at the "
		        "start of each period, the cohort size first: 1000,631,468,...) or "
		        "--contracts FILE");
		return EXIT_USAGE;
	}
	if (x->model == REBUY_CLV_BGBB && !x->summary) {
		cli_error("--model bgbb needs --summary FILE with columns frequency, recency, "
		          "periods (and optionally weights)");
		return EXIT_USAGE;
	}
	return 0;
}

int cli_clv_load(struct cli_common *c, struct cli_clv *x, struct rebuy_orders **orders,
                 struct rebuy_clv_data **data)
{
	*orders = NULL;
	*data = NULL;
	if (!x->has_model && (x->survivors || x->contracts))
		x->model = REBUY_CLV_SBG;
	int r = check_options(c, x);
	if (r)
		return r;
	struct rebuy_error err = {0};
	if (x->survivors) {
		r = read_survivors(x->survivors, data);
	} else if (x->contracts) {
		size_t young = 0;
		if (rebuy_clv_data_read_contracts(x->contracts, x->period, c->in.has_as_of,
		                                  c->in.as_of_day, data, &young, &err) != REBUY_OK)
			return cli_fail(&err);
		if (young && !c->quiet)
			cli_warn("%zu contract%s younger than a %s at the as-of date say%s nothing "
			         "yet and %s left out",
			         young, young == 1 ? "" : "s", rebuy_period_name(x->period),
			         young == 1 ? "s" : "", young == 1 ? "is" : "are");
	} else if (x->summary) {
		if (rebuy_clv_data_read_summary(x->summary, data, &err) != REBUY_OK)
			return cli_fail(&err);
		struct rebuy_clv_data *d = *data;
		if (!x->has_model && d->layout == REBUY_CLV_DISCRETE)
			x->model = REBUY_CLV_BGBB;
		d->unit = x->unit;
		if (x->holdout_length > 0) {
			if (!d->x_holdout) {
				cli_error("--holdout-length: %s has no x_holdout column (the "
				          "purchases in the holdout period)",
				          x->summary);
				r = EXIT_USAGE;
			}
			d->holdout_length = x->holdout_length;
		}
	} else {
		if ((r = cli_load_orders(c, orders)))
			return r;
		const struct rebuy_orders *o = *orders;
		int64_t cal_end = x->has_cal_end ? x->cal_end : o->last_day;
		if (o->n_orders && cal_end < o->first_day) {
			char a[48], b[48];
			rebuy_format_day(cal_end, a, sizeof a);
			rebuy_format_day(o->first_day, b, sizeof b);
			cli_error("--calibration-end %s is before the first purchase (%s): no "
			          "customer to fit",
			          a, b);
			rebuy_orders_free(*orders);
			*orders = NULL;
			return EXIT_USAGE;
		}
		if (rebuy_clv_data_from_orders(o, cal_end, x->unit, data, &err) != REBUY_OK)
			r = cli_fail(&err);
	}
	if (!r && x->has_unit && (x->model == REBUY_CLV_BGBB || x->model == REBUY_CLV_SBG)) {
		cli_error("--time-unit does not apply to %s: its time is counted in %s",
		          rebuy_clv_model_name(x->model),
		          x->model == REBUY_CLV_BGBB ? "opportunities" : "periods");
		r = EXIT_USAGE;
	}
	if (r) {
		rebuy_clv_data_free(*data);
		rebuy_orders_free(*orders);
		*data = NULL;
		*orders = NULL;
	}
	return r;
}

static void warn_estimate(const char *what, const struct rebuy_clv_estimate *e)
{
	if (!e->converged)
		cli_warn("the %s fit did not converge: %s (the result says converged: false)", what,
		         e->status);
}

int cli_clv_fit(struct cli_common *c, const struct cli_clv *x, const struct rebuy_clv_data *d,
                int spend, struct rebuy_clv_fit *fit)
{
	struct rebuy_clv_fit_options o = x->fit;
	o.model = x->model;
	o.spend = spend;
	o.n_threads = c->in.n_threads;
	struct rebuy_error err = {0};
	if (rebuy_clv_fit(d, &o, fit, &err) != REBUY_OK)
		return cli_fail(&err);
	if (getenv("REBUY_TIMINGS"))
		fprintf(stderr, "rebuy: timings: fit %.3f s\n", fit->seconds);
	if (!c->quiet) {
		warn_estimate(rebuy_clv_model_name(fit->model), &fit->est);
		if (fit->has_spend)
			warn_estimate("gg spend", &fit->spend);
	}
	return 0;
}

/* ---- rebuy fit ---- */

enum { OPT_SURVIVORS = 1, OPT_HOLDOUT_LENGTH, OPT_CONTRACTS, OPT_PERIOD };

static const struct cli_opt own_opts[] = {
        {"model", "M", OPT_CLV_MODEL,
         "bgnbd (BG/NBD, the default), mbgnbd, pnbd (Pareto/NBD), bgbb (BG/BB: a --summary "
         "with periods; the default for one) or sbg (--survivors; the default with it)"},
        {"spend", "gg", OPT_CLV_SPEND,
         "also fit the Gamma-Gamma spend model to the repeat buyers' mean spend (needs amounts "
         "or a monetary column; default none)"},
        {"survivors", "LIST", OPT_SURVIVORS,
         "sbg data instead of INPUT: a cohort's active customers at the start of each period, "
         "the cohort size first (1000,631,468,...)"},
        {"contracts", "FILE", OPT_CONTRACTS,
         "sbg data instead of INPUT: one row per contract with start and end dates (end empty "
         "while active) and optionally customer; --as-of is the observation day (default the "
         "latest date in the file)"},
        {"period", "P", OPT_PERIOD,
         "with --contracts: the renewal period, day, week, month (default), quarter or year"},
        {"holdout-length", "T", OPT_HOLDOUT_LENGTH,
         "with a --summary that has x_holdout: the holdout period's length in time units, for "
         "the calibration / holdout comparison (from orders the holdout runs from "
         "--calibration-end to the last purchase)"},
        CLI_OPT_END,
};

struct ctx {
	struct cli_clv clv;
};

static int own(void *ud, int id, const char *v)
{
	struct ctx *x = ud;
	int r = cli_clv_option(&x->clv, id, v);
	if (r != -2)
		return r;
	switch (id) {
	case OPT_SURVIVORS: x->clv.survivors = v; return 0;
	case OPT_CONTRACTS: x->clv.contracts = v; return 0;
	case OPT_PERIOD: {
		struct rebuy_error err = {0};
		if (rebuy_period_from_name(v, &x->clv.period, &err) != REBUY_OK) {
			cli_error("--period: '%s' is not day, week, month, quarter or year", v);
			return EXIT_USAGE;
		}
		return 0;
	}
	case OPT_HOLDOUT_LENGTH: {
		double d;
		if (cli_clv_number("holdout-length", v, &d))
			return EXIT_USAGE;
		if (!(d > 0)) {
			cli_error("--holdout-length: '%s' is not a number > 0", v);
			return EXIT_USAGE;
		}
		x->clv.holdout_length = d;
		return 0;
	}
	}
	return 0;
}

/* Labels and definitions, in output order. */
struct def {
	const char *key, *label, *text;
};

static const char *const model_papers[REBUY_CLV_MODEL_COUNT] = {
        [REBUY_CLV_BGNBD] = "BG/NBD (Fader, Hardie & Lee 2005), parameters r, alpha, a, b",
        [REBUY_CLV_MBGNBD] = "MBG/NBD (Batislam, Denizel & Filiztekin 2007), parameters r, "
                             "alpha, a, b",
        [REBUY_CLV_PNBD] = "Pareto/NBD (Schmittlein, Morrison & Colombo 1987), parameters r, "
                           "alpha, s, beta",
        [REBUY_CLV_BGBB] = "BG/BB (Fader, Hardie & Shang 2010), parameters alpha, beta, gamma, "
                           "delta",
        [REBUY_CLV_SBG] = "shifted beta-geometric (Fader & Hardie 2007), parameters alpha, "
                          "beta",
};

static const struct def defs[] = {
        {"model", "Model", NULL /* model_papers */},
        {"params", "Parameters",
         "maximum-likelihood estimates; rates and scales are in the time unit"},
        {"se", "Standard errors",
         "from the inverse Hessian of the log-likelihood (delta method from the log scale); "
         "null where the Hessian is not definite"},
        {"log_likelihood", "Log-likelihood",
         "the total log-likelihood at params, without the penalty"},
        {"n_customers", "Customers",
         "customers fitted: first purchase on or before the calibration end (the sum of the "
         "weights of a summary; the cohort size for sbg)"},
        {"converged", "Converged",
         "true when the fit ended at an interior optimum with a zero gradient; false: still a "
         "result, status says what happened"},
        {"iterations", "Iterations", "quasi-Newton iterations, over every starting point tried"},
        {"status", "Status",
         "converged, or boundary: a parameter went to 0 or infinity (and what that means), or "
         "why the optimizer stopped"},
        {"gradient_max", "Largest gradient", "max |d LL / d log(param)| at the end"},
        {"time_unit", "Time unit", "of t_x, T, the rates and the holdout (null for bgbb, sbg)"},
        {"calibration_end", "Calibration end",
         "the calibration period's last day, inclusive (null for a summary or survivors)"},
        {"n_rows", "Unique rows", "distinct (x, t_x, T) rows the likelihood ran over"},
        {"spend", "Spend (Gamma-Gamma)",
         "Gamma-Gamma spend (Fader, Hardie & Lee 2005) over the repeat buyers with a positive "
         "mean spend; null without --spend gg"},
        {"spend.n_customers", "Customers",
         "repeat buyers (x > 0) of the calibration period with a mean spend > 0"},
        {"spend.n_rows", "Unique rows", "distinct (x, mean spend) rows the likelihood ran over"},
        {"periods", "Survival by period",
         "sbg: per period t, the contracts at risk in it and those that ended in it (from the "
         "data), the share still active after it (survival_actual, Kaplan-Meier; model: "
         "survival, S(t) = B(alpha, beta + t) / B(alpha, beta)) and its retention rate "
         "(retention_actual = 1 - ended / at_risk; model: retention, S(t) / S(t - 1)); the "
         "model is projected to twice the periods observed (at least 12)"},
        {"holdout", "Calibration vs holdout",
         "the fit's expectations over the holdout period against what the calibration "
         "customers did; null without a holdout"},
        {"holdout.length", "Holdout length", "in time units, from the calibration end"},
        {"holdout.end", "Holdout end", "the holdout period's last day (null for a summary)"},
        {"holdout.customers", "Customers", "the calibration customers"},
        {"holdout.by_x", "By calibration frequency",
         "mean holdout purchases per customer by calibration x (0..6, 7+): actual, expected "
         "by the model, naive = x / T x length"},
        {"holdout.total_actual", "Actual", "holdout repeat purchases (purchase days)"},
        {"holdout.total_expected", "Expected",
         "the sum of the customers' conditional expectations"},
        {"holdout.total_naive", "Naive", "the sum of x / T x length (0 when T = 0)"},
        {"holdout.mae", "MAE", "mean |expected - actual| per customer"},
        {"holdout.mae_naive", "MAE naive", "mean |naive - actual| per customer"},
        {"holdout.rmse", "RMSE", "root mean squared (expected - actual) per customer"},
        {"holdout.rmse_naive", "RMSE naive", "root mean squared (naive - actual) per customer"},
        {"holdout.tracking", "Tracking",
         "repeat purchases of the calibration customers per time unit from the first day of "
         "the data: actual, and expected for the cohort by first purchase day (new customers "
         "of the holdout period are not in it)"},
};

static struct rebuy_node *lab(struct rebuy_doc *doc, struct rebuy_node *n, const char *key)
{
	for (size_t i = 0; i < sizeof defs / sizeof *defs; i++)
		if (strcmp(defs[i].key, key) == 0)
			rebuy_doc_label(doc, n, defs[i].label, defs[i].text);
	return n;
}

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The definitions of the fields this result has. */
static void definitions_node(struct rebuy_doc *doc, struct rebuy_node *root,
                             const struct rebuy_clv_fit *fit, int has_holdout)
{
	struct rebuy_node *d = rebuy_doc_obj(doc, root, "definitions");
	rebuy_doc_table_hide(d);
	for (size_t i = 0; i < sizeof defs / sizeof *defs; i++) {
		const char *key = defs[i].key, *text = defs[i].text;
		if (strcmp(key, "model") == 0)
			text = model_papers[fit->model];
		if ((fit->model != REBUY_CLV_SBG && strcmp(key, "periods") == 0) ||
		    (!fit->has_spend && starts_with(key, "spend.")) ||
		    (!has_holdout && starts_with(key, "holdout.")))
			continue;
		rebuy_doc_str(doc, d, key, text);
	}
}

static void day_node(struct rebuy_doc *doc, struct rebuy_node *p, const char *key, int has,
                     int64_t day)
{
	char buf[48];
	if (!has) {
		lab(doc, rebuy_doc_null(doc, p, key), key);
		return;
	}
	rebuy_format_day(day, buf, sizeof buf);
	lab(doc, rebuy_doc_str(doc, p, key, buf), key);
}

static void params_node(struct rebuy_doc *doc, struct rebuy_node *parent, const char *key,
                        const struct rebuy_clv_estimate *e, int se)
{
	struct rebuy_node *o = lab(doc, rebuy_doc_obj(doc, parent, key), key);
	for (int i = 0; i < e->n_params; i++)
		rebuy_doc_num(doc, o, e->names[i], se ? e->se[i] : e->params[i],
		              REBUY_SHOW_DECIMAL);
}

/* The fields of one estimate, in the JSON contract's order. */
static void estimate_nodes(struct rebuy_doc *doc, struct rebuy_node *o,
                           const struct rebuy_clv_estimate *e, int is_spend)
{
	params_node(doc, o, "params", e, 0);
	params_node(doc, o, "se", e, 1);
	lab(doc, rebuy_doc_num(doc, o, "log_likelihood", e->log_likelihood, REBUY_SHOW_DECIMAL),
	    "log_likelihood");
	lab(doc, rebuy_doc_num(doc, o, "n_customers", e->n_customers, REBUY_SHOW_PLAIN),
	    is_spend ? "spend.n_customers" : "n_customers");
	lab(doc, rebuy_doc_bool(doc, o, "converged", e->converged), "converged");
	lab(doc, rebuy_doc_int(doc, o, "iterations", e->iterations), "iterations");
	lab(doc, rebuy_doc_str(doc, o, "status", e->status), "status");
	lab(doc, rebuy_doc_num(doc, o, "gradient_max", e->gradient_max, REBUY_SHOW_PLAIN),
	    "gradient_max");
}

static void holdout_node(struct rebuy_doc *doc, struct rebuy_node *root,
                         const struct rebuy_clv_data *d, const struct rebuy_clv_holdout *h)
{
	struct rebuy_node *o = lab(doc, rebuy_doc_obj(doc, root, "holdout"), "holdout");
	lab(doc, rebuy_doc_num(doc, o, "length", h->length, REBUY_SHOW_PLAIN), "holdout.length");
	char buf[48];
	if (d->has_cal_end && d->holdout_end > d->cal_end) {
		rebuy_format_day(d->holdout_end, buf, sizeof buf);
		lab(doc, rebuy_doc_str(doc, o, "end", buf), "holdout.end");
	} else {
		lab(doc, rebuy_doc_null(doc, o, "end"), "holdout.end");
	}
	lab(doc, rebuy_doc_num(doc, o, "customers", h->customers, REBUY_SHOW_PLAIN),
	    "holdout.customers");
	struct rebuy_node *bx = lab(doc, rebuy_doc_arr(doc, o, "by_x"), "holdout.by_x");
	for (int k = 0; k < REBUY_CLV_HOLDOUT_BINS; k++) {
		const struct rebuy_clv_holdout_bin *b = &h->by_x[k];
		struct rebuy_node *row = rebuy_doc_obj(doc, bx, NULL);
		if (k == REBUY_CLV_HOLDOUT_BINS - 1)
			snprintf(buf, sizeof buf, "%d+", k);
		else
			snprintf(buf, sizeof buf, "%d", k);
		rebuy_doc_str(doc, row, "x", buf);
		rebuy_doc_num(doc, row, "customers", b->customers, REBUY_SHOW_PLAIN);
		int has = b->customers > 0;
		rebuy_doc_num(doc, row, "actual", has ? b->actual : NAN, REBUY_SHOW_DECIMAL);
		rebuy_doc_num(doc, row, "expected", has ? b->expected : NAN, REBUY_SHOW_DECIMAL);
		rebuy_doc_num(doc, row, "naive", has ? b->naive : NAN, REBUY_SHOW_DECIMAL);
	}
	static const char *const totals[] = {"total_actual", "total_expected", "total_naive", "mae",
	                                     "mae_naive",    "rmse",           "rmse_naive"};
	const double values[] = {h->total_actual, h->total_expected, h->total_naive, h->mae,
	                         h->mae_naive,    h->rmse,           h->rmse_naive};
	for (size_t i = 0; i < sizeof totals / sizeof *totals; i++) {
		char key[48];
		snprintf(key, sizeof key, "holdout.%s", totals[i]);
		lab(doc,
		    rebuy_doc_num(doc, o, totals[i], values[i],
		                  i == 0 ? REBUY_SHOW_PLAIN : REBUY_SHOW_DECIMAL),
		    key);
	}
	struct rebuy_node *tr = lab(doc, rebuy_doc_arr(doc, o, "tracking"), "holdout.tracking");
	for (size_t k = 0; k < h->n_tracking; k++) {
		const struct rebuy_clv_tracking_point *p = &h->tracking[k];
		struct rebuy_node *row = rebuy_doc_obj(doc, tr, NULL);
		rebuy_format_day(p->day, buf, sizeof buf);
		rebuy_doc_str(doc, row, "day", buf);
		rebuy_doc_num(doc, row, "t", p->t, REBUY_SHOW_PLAIN);
		rebuy_doc_num(doc, row, "actual", p->actual, REBUY_SHOW_PLAIN);
		rebuy_doc_num(doc, row, "expected", p->expected, REBUY_SHOW_DECIMAL);
		rebuy_doc_num(doc, row, "actual_cum", p->actual_cum, REBUY_SHOW_PLAIN);
		rebuy_doc_num(doc, row, "expected_cum", p->expected_cum, REBUY_SHOW_DECIMAL);
	}
}

/* sbg: the observed survival (Kaplan-Meier over the data's rows: contracts
 * that ended in period x when t_x = 0, seen active after period x when
 * t_x = 1) next to the model's survival and retention, projected on. With
 * one cohort (--survivors) it is the share still active. */
static void periods_node(struct rebuy_doc *doc, struct rebuy_node *root,
                         const struct rebuy_clv_fit *fit, const struct rebuy_clv_data *d)
{
	int last = 0;
	for (size_t i = 0; i < d->n; i++)
		if (d->x[i] > last && d->x[i] < 10000)
			last = (int)d->x[i];
	int upto = 2 * last > 12 ? 2 * last : 12;
	struct rebuy_node *arr = lab(doc, rebuy_doc_arr(doc, root, "periods"), "periods");
	double km = 1;
	for (int t = 0; t <= upto; t++) {
		struct rebuy_node *row = rebuy_doc_obj(doc, arr, NULL);
		rebuy_doc_int(doc, row, "t", t);
		/* at risk in period t: ended in t or later, or seen active after t
		 * or later; ended in t */
		double at_risk = 0, ended = 0;
		for (size_t i = 0; t >= 1 && i < d->n; i++) {
			if (d->x[i] >= t)
				at_risk += d->w[i];
			if (d->t_x[i] == 0 && d->x[i] == t)
				ended += d->w[i];
		}
		if (t == 0) {
			rebuy_doc_num(doc, row, "at_risk", d->n_customers, REBUY_SHOW_PLAIN);
			rebuy_doc_num(doc, row, "ended", 0, REBUY_SHOW_PLAIN);
			rebuy_doc_num(doc, row, "survival_actual", 1, REBUY_SHOW_DECIMAL);
		} else if (t <= last && at_risk > 0) {
			km *= 1 - ended / at_risk;
			rebuy_doc_num(doc, row, "at_risk", at_risk, REBUY_SHOW_PLAIN);
			rebuy_doc_num(doc, row, "ended", ended, REBUY_SHOW_PLAIN);
			rebuy_doc_num(doc, row, "survival_actual", km, REBUY_SHOW_DECIMAL);
		} else {
			rebuy_doc_null(doc, row, "at_risk");
			rebuy_doc_null(doc, row, "ended");
			rebuy_doc_null(doc, row, "survival_actual");
		}
		rebuy_doc_num(doc, row, "survival", rebuy_clv_survival(fit, t), REBUY_SHOW_DECIMAL);
		if (t >= 1 && t <= last && at_risk > 0)
			rebuy_doc_num(doc, row, "retention_actual", 1 - ended / at_risk,
			              REBUY_SHOW_DECIMAL);
		else
			rebuy_doc_null(doc, row, "retention_actual");
		rebuy_doc_num(doc, row, "retention", t >= 1 ? rebuy_clv_retention(fit, t) : NAN,
		              REBUY_SHOW_DECIMAL);
	}
}

static void fit_doc(struct rebuy_doc *doc, const struct rebuy_clv_fit *fit,
                    const struct rebuy_clv_data *d, const struct rebuy_clv_holdout *h,
                    const struct rebuy_orders *o)
{
	struct rebuy_node *root = rebuy_doc_root(doc);
	rebuy_doc_label(doc, rebuy_doc_str(doc, root, "model", rebuy_clv_model_name(fit->model)),
	                "Model", model_papers[fit->model]);
	estimate_nodes(doc, root, &fit->est, 0);
	if (d->layout == REBUY_CLV_CONTINUOUS)
		lab(doc, rebuy_doc_str(doc, root, "time_unit", rebuy_time_unit_name(d->unit)),
		    "time_unit");
	else
		lab(doc, rebuy_doc_null(doc, root, "time_unit"), "time_unit");
	day_node(doc, root, "calibration_end", d->has_cal_end, d->cal_end);
	lab(doc, rebuy_doc_uint(doc, root, "n_rows", fit->est.n_rows), "n_rows");
	if (fit->has_spend) {
		struct rebuy_node *s = lab(doc, rebuy_doc_obj(doc, root, "spend"), "spend");
		rebuy_doc_str(doc, s, "model", "gg");
		estimate_nodes(doc, s, &fit->spend, 1);
		lab(doc, rebuy_doc_uint(doc, s, "n_rows", fit->spend.n_rows), "spend.n_rows");
	} else {
		lab(doc, rebuy_doc_null(doc, root, "spend"), "spend");
	}
	if (fit->model == REBUY_CLV_SBG)
		periods_node(doc, root, fit, d);
	if (h)
		holdout_node(doc, root, d, h);
	else
		lab(doc, rebuy_doc_null(doc, root, "holdout"), "holdout");
	if (o) {
		rebuy_input_report_doc(&o->report, doc, root);
		rebuy_doc_table_hide(rebuy_doc_get(root, "input"));
	}
	definitions_node(doc, root, fit, h != NULL);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* JSON unless asked otherwise (--format, or -o's extension). */
static void default_format(struct cli_common *c)
{
	if (c->format != FORMAT_AUTO)
		return;
	c->format = FORMAT_JSON;
	if (c->output && ends_with(c->output, ".csv"))
		c->format = FORMAT_CSV;
	else if (c->output && ends_with(c->output, ".txt"))
		c->format = FORMAT_TABLE;
}

static int run(struct cli_common *c, struct ctx *x)
{
	struct rebuy_orders *o = NULL;
	struct rebuy_clv_data *d = NULL;
	struct rebuy_clv_holdout *h = NULL;
	struct rebuy_doc *doc = NULL;
	struct rebuy_clv_fit fit;
	int r = cli_clv_load(c, &x->clv, &o, &d);
	if (r)
		return r;
	if ((r = cli_clv_fit(c, &x->clv, d, x->clv.spend == 1, &fit)))
		goto out;
	if (d->layout == REBUY_CLV_CONTINUOUS && d->x_holdout && d->holdout_length > 0) {
		struct rebuy_error err = {0};
		if (rebuy_clv_holdout(&fit, d, c->in.n_threads, &h, &err) != REBUY_OK) {
			r = cli_fail(&err);
			goto out;
		}
	}
	if (!(doc = rebuy_doc_new())) {
		cli_error("out of memory");
		r = EXIT_FAIL;
		goto out;
	}
	fit_doc(doc, &fit, d, h, o);
	default_format(c);
	r = cli_write_doc(c, doc, NULL);
out:
	rebuy_doc_free(doc);
	rebuy_clv_holdout_free(h);
	rebuy_clv_data_free(d);
	rebuy_orders_free(o);
	return r;
}

int cmd_fit(int argc, char **argv)
{
	struct cli_opt opts[32];
	const struct cli_command_help help = {
	        "rebuy fit [OPTIONS] INPUT\n"
	        "       rebuy fit [OPTIONS] --summary FILE\n"
	        "       rebuy fit --model sbg --survivors LIST\n"
	        "       rebuy fit --model sbg --contracts FILE [--period P]",
	        "Fits a customer-lifetime model by maximum likelihood: BG/NBD (the default),\n"
	        "MBG/NBD or Pareto/NBD to the customers' purchase histories (x repeat purchase "
	        "days,\n"
	        "the last at t_x, observed for T since the first, in the time unit), BG/BB to\n"
	        "discrete opportunities, the shifted beta-geometric to a cohort's survivor "
	        "counts;\n"
	        "with --spend gg also the Gamma-Gamma spend model. Writes the parameters, "
	        "standard\n"
	        "errors, log-likelihood and how the fit ended (converged, status), and with a\n"
	        "calibration end before the last purchase the calibration / holdout comparison.\n"
	        "JSON unless --format or -o's extension says otherwise. A fit that ends on a\n"
	        "boundary or short of convergence is still written (exit 0, converged: false, a\n"
	        "warning on stderr). Models, fields and the calibration rule: docs/fit.md.\n"
	        "INPUT is a CSV or whitespace-separated file, gzip or not, or - for standard "
	        "input.",
	        cli_clv_opts_join(opts, sizeof opts / sizeof *opts, own_opts),
	        1,
	};
	struct cli_common c;
	cli_common_init(&c, "fit");
	struct ctx x;
	cli_clv_init(&x.clv);
	int r = cli_parse(argc, argv, &c, &help, own, &x);
	if (r)
		return r < 0 ? EXIT_OK : r;
	return run(&c, &x);
}
