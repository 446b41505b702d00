/* rebuy predict: fits a customer-lifetime model as `rebuy fit` does and
 * writes, per customer, P(alive), the expected purchases and the chance of
 * none in the horizon, expected spend, CLV and the next purchase date
 * (rebuy/clv.h, docs/predict.md), highest CLV first. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
	OPT_HORIZON = 1,
	OPT_CLV_HORIZON,
	OPT_MARGIN,
	OPT_DISCOUNT,
	OPT_PMF,
	OPT_INTERVALS,
	OPT_LEVEL
};

static const struct cli_opt own_opts[] = {
        {"model", "M", OPT_CLV_MODEL,
         "bgnbd (BG/NBD, the default), mbgnbd, pnbd (Pareto/NBD) or bgbb (BG/BB: a --summary "
         "with periods; the default for one)"},
        {"spend", "gg|none", OPT_CLV_SPEND,
         "the Gamma-Gamma spend model for expected_spend and clv (default gg when the orders "
         "have amounts or the summary a monetary column, else none)"},
        {"horizon", "T", OPT_HORIZON,
         "the prediction horizon in time units (default one year: 52.18 weeks, 365.25 days, "
         "12 months; for bgbb 1 opportunity)"},
        {"clv-horizon", "T|inf", OPT_CLV_HORIZON,
         "the CLV horizon in time units (default: --horizon); inf, the whole residual "
         "lifetime, for pnbd and bgbb"},
        {"margin", "M", OPT_MARGIN, "the share of spend that is profit, 0 to 1 (default 1)"},
        {"discount-rate", "R", OPT_DISCOUNT,
         "the yearly discount rate for CLV (default 0.1; per opportunity for bgbb)"},
        {"pmf", "K", OPT_PMF,
         "also columns p_0 .. p_K-1: P(n purchases in the horizon), K from 1 to 16"},
        {"intervals", "N", OPT_INTERVALS,
         "also columns expected_purchases_lo/_hi and clv_lo/_hi: parametric-bootstrap "
         "intervals from N draws of the parameters (10 to 10000; 200 is a good start; the "
         "run takes about N times as long)"},
        {"level", "P", OPT_LEVEL, "the intervals' coverage, 0 to 1 (default 0.9)"},
        CLI_OPT_END,
};

struct ctx {
	struct cli_clv clv;
	double horizon, clv_horizon, margin, discount_rate, level;
	int n_pmf, draws;
};

static int own(void *ud, int id, const char *v)
{
	struct ctx *x = ud;
	int r = cli_clv_option(&x->clv, id, v);
	if (r != -2)
		return r;
	double d;
	switch (id) {
	case OPT_HORIZON:
		if (cli_clv_number("horizon", v, &d))
			return EXIT_USAGE;
		if (!(d > 0)) {
			cli_error("--horizon: '%s' is not a number > 0", v);
			return EXIT_USAGE;
		}
		x->horizon = d;
		return 0;
	case OPT_CLV_HORIZON:
		if (strcmp(v, "inf") == 0 || strcmp(v, "infinity") == 0) {
			x->clv_horizon = INFINITY;
			return 0;
		}
		if (cli_clv_number("clv-horizon", v, &d))
			return EXIT_USAGE;
		if (!(d > 0)) {
			cli_error("--clv-horizon: '%s' is not a number > 0 or inf", v);
			return EXIT_USAGE;
		}
		x->clv_horizon = d;
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
	case OPT_PMF: {
		char *end;
		long n = strtol(v, &end, 10);
		if (*v == '\0' || *end || n < 1 || n > REBUY_CLV_MAX_PMF) {
			cli_error("--pmf: '%s' is not a number from 1 to %d", v, REBUY_CLV_MAX_PMF);
			return EXIT_USAGE;
		}
		x->n_pmf = (int)n;
		return 0;
	}
	case OPT_INTERVALS: {
		char *end;
		long n = strtol(v, &end, 10);
		if (*v == '\0' || *end || n < 10 || n > 10000) {
			cli_error("--intervals: '%s' is not a number of draws from 10 to 10000", v);
			return EXIT_USAGE;
		}
		x->draws = (int)n;
		return 0;
	}
	case OPT_LEVEL:
		if (cli_clv_number("level", v, &d))
			return EXIT_USAGE;
		if (!(d > 0 && d < 1)) {
			cli_error("--level: '%s' is not a share between 0 and 1 (0.9 is 90 %%)", v);
			return EXIT_USAGE;
		}
		x->level = d;
		return 0;
	}
	return 0;
}

/* ---- order: highest CLV first, then customer key ---- */

static struct {
	const struct rebuy_clv_prediction *p;
	const struct rebuy_clv_data *d;
	int by_clv;
} sort_ctx;

static double sort_value(size_t i)
{
	const struct rebuy_clv_prediction *p = &sort_ctx.p[i];
	return sort_ctx.by_clv ? p->clv : p->expected_purchases;
}

static int cmp_entries(const void *pa, const void *pb)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	double va = sort_value(a), vb = sort_value(b);
	int na = isnan(va), nb = isnan(vb);
	if (na != nb)
		return na ? 1 : -1;
	if (!na && va != vb)
		return va > vb ? -1 : 1;
	const char *const *keys = sort_ctx.d->keys;
	if (keys) {
		int c = rebuy_key_compare(keys[a], strlen(keys[a]), keys[b], strlen(keys[b]));
		if (c)
			return c;
	}
	return a < b ? -1 : a > b;
}

/* ---- output ---- */

static void json_num(FILE *f, double v)
{
	char buf[40];
	if (!isfinite(v)) {
		fputs("null", f);
		return;
	}
	rebuy_format_double(v, buf, sizeof buf);
	fputs(buf, f);
}

static void json_params(FILE *f, const struct rebuy_clv_estimate *e)
{
	fputc('{', f);
	for (int i = 0; i < e->n_params; i++) {
		fputs(i ? ", " : "", f);
		rebuy_json_string(f, e->names[i]);
		fputs(": ", f);
		json_num(f, e->params[i]);
	}
	fputc('}', f);
}

/* The JSON object's fields before the customers (rebuy_rows writes them as
 * an array after). */
static void json_head(FILE *f, const struct rebuy_clv_fit *fit, const struct rebuy_clv_data *d,
                      const struct rebuy_clv_predict_options *po, int draws, double level)
{
	fputs("{\n  \"model\": ", f);
	rebuy_json_string(f, rebuy_clv_model_name(fit->model));
	fputs(",\n  \"params\": ", f);
	json_params(f, &fit->est);
	fputs(",\n  \"horizon\": ", f);
	json_num(f, po->horizon);
	fputs(",\n  \"clv_horizon\": ", f);
	json_num(f, po->clv_horizon);
	fputs(",\n  \"time_unit\": ", f);
	if (d->layout == REBUY_CLV_CONTINUOUS)
		rebuy_json_string(f, rebuy_time_unit_name(d->unit));
	else
		fputs("null", f);
	fputs(",\n  \"calibration_end\": ", f);
	if (d->has_cal_end) {
		char buf[48];
		rebuy_format_day(d->cal_end, buf, sizeof buf);
		rebuy_json_string(f, buf);
	} else {
		fputs("null", f);
	}
	fputs(",\n  \"margin\": ", f);
	json_num(f, po->margin);
	fputs(",\n  \"discount_rate\": ", f);
	json_num(f, po->discount_rate);
	fputs(",\n  \"converged\": ", f);
	fputs(fit->est.converged ? "true" : "false", f);
	fputs(",\n  \"status\": ", f);
	rebuy_json_string(f, fit->est.status);
	fputs(",\n  \"spend\": ", f);
	if (fit->has_spend) {
		fputs("{\"model\": \"gg\", \"params\": ", f);
		json_params(f, &fit->spend);
		fprintf(f, ", \"converged\": %s, \"status\": ",
		        fit->spend.converged ? "true" : "false");
		rebuy_json_string(f, fit->spend.status);
		fputc('}', f);
	} else {
		fputs("null", f);
	}
	if (draws) {
		fprintf(f, ",\n  \"intervals\": {\"draws\": %d, \"level\": ", draws);
		json_num(f, level);
		fputc('}', f);
	} else {
		fputs(",\n  \"intervals\": null", f);
	}
	fputs(",\n  \"customers\": ", f);
}

static const char *const base_cols[] = {
        "customer",
        "x",
        "t_x",
        "T",
        "p_alive",
        "log_p_alive",
        "expected_purchases",
        "p_no_purchase",
        "expected_spend",
        "clv",
        "next_purchase_date",
};

#define N_BASE (sizeof base_cols / sizeof *base_cols)

static const char *const interval_cols[] = {"expected_purchases_lo", "expected_purchases_hi",
                                            "clv_lo", "clv_hi"};

static void write_row(struct rebuy_rows *w, const struct rebuy_clv_data *d, size_t i,
                      const struct rebuy_clv_prediction *p, int n_pmf,
                      const struct rebuy_clv_interval *iv)
{
	char buf[48];
	if (d->keys) {
		rebuy_rows_str(w, d->keys[i]);
	} else {
		snprintf(buf, sizeof buf, "%zu", i + 1);
		rebuy_rows_str(w, buf);
	}
	rebuy_rows_num(w, d->x[i]);
	rebuy_rows_num(w, d->t_x[i]);
	rebuy_rows_num(w, d->T[i]);
	rebuy_rows_num(w, p->p_alive);
	rebuy_rows_num(w, p->log_p_alive + 0.0); /* log 1 as 0, not -0 */
	rebuy_rows_num(w, p->expected_purchases);
	rebuy_rows_num(w, p->p_no_purchase);
	rebuy_rows_num(w, p->expected_spend);
	rebuy_rows_num(w, p->clv);
	/* Whole days after the calibration end; no date past year 9999. */
	double days = p->next_purchase * rebuy_time_unit_days(d->unit);
	double last = (double)(rebuy_days_from_civil(9999, 12, 31) - d->cal_end);
	if (d->has_cal_end && d->layout == REBUY_CLV_CONTINUOUS && days >= 0 && days <= last &&
	    (double)llround(days) <= last) {
		rebuy_format_day(d->cal_end + (int64_t)llround(days), buf, sizeof buf);
		rebuy_rows_str(w, buf);
	} else {
		rebuy_rows_null(w);
	}
	for (int n = 0; n < n_pmf; n++)
		rebuy_rows_num(w, p->pmf[n]);
	if (iv) {
		rebuy_rows_num(w, iv->expected_lo);
		rebuy_rows_num(w, iv->expected_hi);
		rebuy_rows_num(w, iv->clv_lo);
		rebuy_rows_num(w, iv->clv_hi);
	}
	rebuy_rows_end_row(w);
}

static int write_predictions(struct cli_common *c, const struct rebuy_clv_fit *fit,
                             const struct rebuy_clv_data *d,
                             const struct rebuy_clv_predict_options *po,
                             const struct rebuy_clv_prediction *pred,
                             const struct rebuy_clv_interval *iv, int draws, double level,
                             const size_t *order)
{
	char pmf_names[REBUY_CLV_MAX_PMF][16];
	const char *cols[N_BASE + REBUY_CLV_MAX_PMF + 4];
	memcpy(cols, base_cols, sizeof base_cols);
	size_t n_cols = N_BASE;
	for (int n = 0; n < po->n_pmf; n++) {
		snprintf(pmf_names[n], sizeof pmf_names[n], "p_%d", n);
		cols[n_cols++] = pmf_names[n];
	}
	for (size_t k = 0; iv && k < 4; k++)
		cols[n_cols++] = interval_cols[k];
	struct cli_out out;
	int r = cli_out_open(&out, c->output);
	if (r)
		return r;
	enum rebuy_format fmt = cli_row_format(c);
	if (fmt == REBUY_FORMAT_JSON)
		json_head(out.f, fit, d, po, iv ? draws : 0, level);
	struct rebuy_csv_options copts = {.raw = c->raw};
	struct rebuy_rows *w = rebuy_rows_new(out.f, fmt, NULL, cols, n_cols, &copts);
	for (size_t k = 0; w && k < d->n; k++)
		write_row(w, d, order[k], &pred[order[k]], po->n_pmf, iv ? &iv[order[k]] : NULL);
	enum rebuy_status st = rebuy_rows_finish(w);
	if (st == REBUY_OK && fmt == REBUY_FORMAT_JSON)
		fputs("}\n", out.f);
	if (st != REBUY_OK) {
		cli_out_abort(&out);
		cli_error("%s", st == REBUY_ENOMEM ? "out of memory" : "cannot write the output");
		return EXIT_FAIL;
	}
	return cli_out_commit(&out);
}

/* --spend's default: gg when there are values to fit it to. */
static int default_spend(const struct cli_common *c, const struct rebuy_clv_data *d)
{
	if (!d->monetary)
		return 0;
	for (size_t i = 0; i < d->n; i++)
		if (d->x[i] > 0 && d->monetary[i] > 0 && d->w[i] > 0)
			return 1;
	if (!c->quiet)
		cli_warn("no repeat buyer has a purchase value > 0: no spend model, so "
		         "expected_spend and clv are empty");
	return 0;
}

static int run(struct cli_common *c, struct ctx *x)
{
	struct rebuy_orders *o = NULL;
	struct rebuy_clv_data *d = NULL;
	struct rebuy_clv_prediction *pred = NULL;
	struct rebuy_clv_interval *iv = NULL;
	size_t *order = NULL;
	struct rebuy_clv_fit fit;
	if (isinf(x->clv_horizon) && x->clv.model != REBUY_CLV_PNBD &&
	    x->clv.model != REBUY_CLV_BGBB && !(x->clv.summary && !x->clv.has_model)) {
		cli_error(
		        "--clv-horizon inf needs --model pnbd or bgbb (closed forms for the whole "
		        "lifetime); give %s a horizon in time units",
		        rebuy_clv_model_name(x->clv.model));
		return EXIT_USAGE;
	}
	if (isinf(x->clv_horizon) && !(x->discount_rate > 0)) {
		cli_error("--clv-horizon inf needs a --discount-rate > 0 (an undiscounted lifetime "
		          "can be unbounded)");
		return EXIT_USAGE;
	}
	if (x->clv.model == REBUY_CLV_SBG) {
		cli_error(
		        "sbg describes a cohort of contracts, not customers: rebuy fit --model sbg "
		        "--survivors LIST fits it");
		return EXIT_USAGE;
	}
	int r = cli_clv_load(c, &x->clv, &o, &d);
	if (r)
		return r;
	struct rebuy_clv_predict_options po;
	rebuy_clv_predict_options_init(&po);
	po.horizon = x->horizon;
	if (!(po.horizon > 0))
		po.horizon =
		        x->clv.model == REBUY_CLV_BGBB ? 1 : 365.25 / rebuy_time_unit_days(d->unit);
	po.clv_horizon = x->clv_horizon > 0 ? x->clv_horizon : po.horizon;
	po.margin = x->margin;
	po.discount_rate = x->discount_rate;
	po.n_pmf = x->n_pmf;
	po.n_threads = c->in.n_threads;
	int spend = x->clv.spend >= 0 ? x->clv.spend : default_spend(c, d);
	if ((r = cli_clv_fit(c, &x->clv, d, spend, &fit)))
		goto out;
	pred = malloc((d->n ? d->n : 1) * sizeof *pred);
	order = malloc((d->n ? d->n : 1) * sizeof *order);
	if (!pred || !order) {
		cli_error("out of memory");
		r = EXIT_FAIL;
		goto out;
	}
	struct rebuy_error err = {0};
	if (rebuy_clv_predict(&fit, d, &po, pred, &err) != REBUY_OK) {
		r = cli_fail(&err);
		goto out;
	}
	if (x->draws) {
		/* a fixed seed: the same run gives the same intervals */
		iv = malloc((d->n ? d->n : 1) * sizeof *iv);
		if (!iv) {
			cli_error("out of memory");
			r = EXIT_FAIL;
			goto out;
		}
		if (rebuy_clv_predict_intervals(&fit, d, &po, x->draws, x->level, 1, iv, &err) !=
		    REBUY_OK) {
			r = cli_fail(&err);
			goto out;
		}
	}
	for (size_t i = 0; i < d->n; i++)
		order[i] = i;
	sort_ctx.p = pred;
	sort_ctx.d = d;
	sort_ctx.by_clv = fit.has_spend;
	qsort(order, d->n, sizeof *order, cmp_entries);
	r = write_predictions(c, &fit, d, &po, pred, iv, x->draws, x->level, order);
out:
	free(pred);
	free(iv);
	free(order);
	rebuy_clv_data_free(d);
	rebuy_orders_free(o);
	return r;
}

int cmd_predict(int argc, char **argv)
{
	struct cli_opt opts[32];
	const struct cli_command_help help = {
	        "rebuy predict [OPTIONS] INPUT\n"
	        "       rebuy predict [OPTIONS] --summary FILE",
	        "Fits a customer-lifetime model as rebuy fit does (BG/NBD by default; Gamma-Gamma\n"
	        "spend when there are amounts) and writes one row per customer of the calibration\n"
	        "period: customer, x, t_x, T, p_alive, log_p_alive, expected_purchases and\n"
	        "p_no_purchase in the horizon, expected_spend, clv (margin x expected spend x\n"
	        "discounted expected purchases) and next_purchase_date, highest CLV first "
	        "(highest\n"
	        "expected purchases without a spend model; ties by customer). Definitions and how\n"
	        "CLV is discounted: docs/predict.md.\n"
	        "INPUT is a CSV or whitespace-separated file, gzip or not, or - for standard "
	        "input.",
	        cli_clv_opts_join(opts, sizeof opts / sizeof *opts, own_opts),
	        1,
	};
	struct cli_common c;
	cli_common_init(&c, "predict");
	struct ctx x = {.margin = 1, .discount_rate = 0.1, .level = 0.9};
	cli_clv_init(&x.clv);
	int r = cli_parse(argc, argv, &c, &help, own, &x);
	if (r)
		return r < 0 ? EXIT_OK : r;
	return run(&c, &x);
}
