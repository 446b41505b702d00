/* rebuy forecast: orders, revenue, active customers and repeat revenue per
 * calendar period, or a plain series (--series FILE), forecast --horizon
 * periods ahead by automatic seasonal ARIMA, exponential smoothing (ETS, on
 * request) and seasonal naive, with prediction intervals; --backtest K
 * holds out the last K periods and prints the accuracy of each side by side
 * (docs/forecast.md). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rebuy/clv.h"
#include "rebuy/forecast.h"
#include "rebuy/summary.h"
#include "rebuy/table.h"

enum {
	OPT_PERIOD = 1,
	OPT_HORIZON,
	OPT_LEVEL,
	OPT_BACKTEST,
	OPT_SERIES,
	OPT_VALUE,
	OPT_SEASON,
	OPT_METHOD,
	OPT_MODEL,
};

static const struct cli_opt own_opts[] = {
        {"period", "P", OPT_PERIOD,
         "the calendar period of the series: day, week, month (default), "
         "quarter or year"},
        {"horizon", "N", OPT_HORIZON, "periods to forecast, 1 to 1000 (default 12)"},
        {"level", "X", OPT_LEVEL, "of the prediction intervals, 0.5 to 0.999 (default 0.95)"},
        {"backtest", "K", OPT_BACKTEST,
         "hold out the last K periods, forecast them from the rest and print MAPE, sMAPE and "
         "MASE of each method side by side"},
        {"series", "FILE", OPT_SERIES,
         "forecast a plain series instead of orders: a CSV with a date or label column and a "
         "value column"},
        {"value", "COL", OPT_VALUE, "the series file's value column (default: the last)"},
        {"season", "M", OPT_SEASON,
         "the seasonal period: 1 for none; default 12 for months, 52 for weeks, 4 for "
         "quarters, 7 for days, 1 for years and for --series"},
        {"method", "LIST", OPT_METHOD,
         "any of arima, ets (exponential smoothing) and snaive, comma-separated (default "
         "arima,snaive)"},
        {"model", "M", OPT_MODEL,
         "the lifetime model of the clv rows: bgnbd (default), mbgnbd or pnbd"},
        CLI_OPT_END,
};

static const struct cli_command_help help = {
        "rebuy forecast [OPTIONS] ORDERS | rebuy forecast --series FILE [OPTIONS]",
        "Forecasts per --period the orders, revenue, active customers (with a purchase in the\n"
        "period) and repeat revenue (from customers who bought before the period) of an order\n"
        "file, or one value column of --series FILE, --horizon periods ahead: seasonal ARIMA\n"
        "chosen by AICc (Hyndman-Khandakar stepwise search, exact maximum likelihood), with\n"
        "--method ets exponential smoothing chosen by AICc (ETS, maximum likelihood), and the\n"
        "seasonal naive forecast, each with a prediction interval at --level, and for orders\n"
        "the customer-lifetime forecast (--model's repeat purchases of the base plus forecast\n"
        "new customers). A period cut off\n"
        "by the end of the data is left out. --backtest K instead holds out the last K periods\n"
        "and prints MAPE, sMAPE and MASE (scaled by the in-sample seasonal naive) of each\n"
        "method side by side. Definitions: docs/forecast.md.",
        own_opts,
        1,
};

struct ctx {
	enum rebuy_period period;
	size_t horizon, backtest;
	double level;
	const char *series, *value;
	int season; /* 0: by period */
	int arima, snaive, ets;
	enum rebuy_clv_model model; /* of the clv rows */
};

static int whole(const char *opt, const char *v, unsigned long lo, unsigned long hi,
                 unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (*v == '\0' || *v == '-' || *end || errno || n < lo || n > hi) {
		cli_error("--%s: '%s' is not a whole number from %lu to %lu", opt, v, lo, hi);
		return EXIT_USAGE;
	}
	*out = n;
	return 0;
}

static int own(void *ud, int id, const char *v)
{
	struct ctx *x = ud;
	struct rebuy_error err = {0};
	unsigned long n;
	int r;
	switch (id) {
	case OPT_PERIOD:
		if (rebuy_period_from_name(v, &x->period, &err) != REBUY_OK) {
			cli_error("--period: '%s' is not day, week, month, quarter or year", v);
			return EXIT_USAGE;
		}
		return 0;
	case OPT_HORIZON:
		if ((r = whole("horizon", v, 1, 1000, &n)))
			return r;
		x->horizon = n;
		return 0;
	case OPT_BACKTEST:
		if ((r = whole("backtest", v, 1, 1000, &n)))
			return r;
		x->backtest = n;
		return 0;
	case OPT_SEASON:
		if ((r = whole("season", v, 1, REBUY_ARIMA_MAX_PERIOD, &n)))
			return r;
		x->season = (int)n;
		return 0;
	case OPT_LEVEL: {
		char *end;
		errno = 0;
		double d = strtod(v, &end);
		if (*v == '\0' || *end || errno || !(d >= 0.5 && d <= 0.999)) {
			cli_error("--level: '%s' is not a number from 0.5 to 0.999", v);
			return EXIT_USAGE;
		}
		x->level = d;
		return 0;
	}
	case OPT_SERIES: x->series = v; return 0;
	case OPT_VALUE: x->value = v; return 0;
	case OPT_METHOD: {
		x->arima = x->snaive = x->ets = 0;
		for (const char *p = v;;) {
			size_t len = strcspn(p, ",");
			if (len == 5 && strncmp(p, "arima", 5) == 0)
				x->arima = 1;
			else if (len == 6 && strncmp(p, "snaive", 6) == 0)
				x->snaive = 1;
			else if (len == 3 && strncmp(p, "ets", 3) == 0)
				x->ets = 1;
			else {
				if (len == strlen(v))
					cli_error("--method: '%s' is not arima, ets or snaive", v);
				else
					cli_error("--method: '%.*s' in '%s' is not arima, ets or "
					          "snaive",
					          (int)len, p, v);
				return EXIT_USAGE;
			}
			if (p[len] == '\0')
				break;
			p += len + 1;
		}
		return 0;
	}
	case OPT_MODEL: return cli_count_model(v, &x->model);
	}
	return 0;
}

/* One named series with the labels of its periods. */
struct named {
	const char *name;
	double *v;
	size_t n;
};

struct run {
	struct ctx *x;
	int m;
	struct rebuy_rows *w;
	const struct rebuy_series *plain; /* --series */
	const struct rebuy_summary *sum;  /* orders */
	const struct rebuy_orders *orders;
	size_t n_periods; /* of the fitted range */
	unsigned n_threads;
};

static void order_name(const struct rebuy_arima *f, char *buf, size_t size)
{
	const struct rebuy_arima_order *o = &f->order;
	const char *c = "";
	if (o->has_constant && o->d + o->D == 0)
		c = " with mean";
	else if (o->has_constant && o->d + o->D == 1)
		c = " with drift";
	if (o->m > 1)
		snprintf(buf, size, "ARIMA(%d,%d,%d)(%d,%d,%d)[%d]%s", o->p, o->d, o->q, o->P, o->D,
		         o->Q, o->m, c);
	else
		snprintf(buf, size, "ARIMA(%d,%d,%d)%s", o->p, o->d, o->q, c);
}

/* The label of the step-th period after the fitted ones (1-based). */
static void future_label(const struct run *r, size_t step, char *buf, size_t size)
{
	if (r->sum) {
		int64_t idx = r->sum->periods[0].index + (int64_t)r->n_periods + (int64_t)step - 1;
		rebuy_period_label(r->sum->period, idx, buf, size);
	} else {
		snprintf(buf, size, "%zu", step);
	}
}

/* Exponential smoothing chosen by AICc (the library drops a season longer
 * than 24 or than the series) into fe[3][h], its name into model. */
static enum rebuy_status forecast_ets(const struct run *r, const double *v, size_t n, size_t h,
                                      double *fe, char *model, size_t msize,
                                      struct rebuy_error *err)
{
	struct rebuy_ets_auto_options o;
	rebuy_ets_auto_options_init(&o);
	o.m = r->m;
	struct rebuy_ets *fit = NULL;
	enum rebuy_status st = rebuy_ets_auto(v, n, &o, &fit, err);
	if (st)
		return st;
	rebuy_ets_name(&fit->model, model, msize);
	st = rebuy_ets_forecast(fit, h, r->x->level, fe, fe + h, fe + 2 * h, err);
	rebuy_ets_free(fit);
	return st;
}

/* Fits the methods to v[0..n) and forecasts h steps into f[method][3][h]. */
static enum rebuy_status forecast_one(const struct run *r, const double *v, size_t n, size_t h,
                                      double *fa, double *fs, char *model, size_t msize,
                                      struct rebuy_error *err)
{
	int m = r->m;
	if (r->x->arima) {
		struct rebuy_arima_auto_options o;
		rebuy_arima_auto_options_init(&o);
		o.m = (size_t)m * 2 < n ? m : 1;
		struct rebuy_arima *fit = NULL;
		enum rebuy_status st = rebuy_arima_auto(v, n, &o, &fit, err);
		if (st)
			return st;
		order_name(fit, model, msize);
		st = rebuy_arima_forecast(fit, h, r->x->level, fa, fa + h, fa + 2 * h, err);
		rebuy_arima_free(fit);
		if (st)
			return st;
	}
	if (r->x->snaive)
		return rebuy_snaive_forecast(v, n, (size_t)m <= n ? m : 1, h, r->x->level, fs,
		                             fs + h, fs + 2 * h, err);
	return REBUY_OK;
}

static enum rebuy_status do_series(struct run *r, const struct named *s, struct rebuy_error *err)
{
	struct ctx *x = r->x;
	size_t h = x->backtest ? x->backtest : x->horizon;
	size_t n = x->backtest ? s->n - x->backtest : s->n;
	double *buf = malloc(sizeof(double) * 12 * h);
	if (!buf)
		return rebuy_error_set(err, REBUY_ENOMEM, "forecast: out of memory");
	char model[64] = "", ets_model[32] = "";
	enum rebuy_status st =
	        forecast_one(r, s->v, n, h, buf, buf + 3 * h, model, sizeof model, err);
	double *fe = buf + 9 * h;
	if (st == REBUY_OK && x->ets)
		st = forecast_ets(r, s->v, n, h, fe, ets_model, sizeof ets_model, err);
	int has_clv = r->orders && strcmp(s->name, "orders") == 0;
	double *fc = buf + 6 * h;
	for (size_t i = 0; i < 3 * h; i++)
		fc[i] = NAN;
	if (st == REBUY_OK && has_clv)
		st = rebuy_clv_orders_forecast(r->orders, r->sum, n, h, r->m, x->model, x->level,
		                               r->n_threads, fc, x->backtest ? NULL : fc + h,
		                               x->backtest ? NULL : fc + 2 * h, err);
	if (st) {
		free(buf);
		return st;
	}
	if (x->backtest) {
		struct rebuy_accuracy cl = {NAN, NAN, NAN};
		struct rebuy_accuracy a = {NAN, NAN, NAN}, b = {NAN, NAN, NAN}, e = {NAN, NAN, NAN};
		int lag = (size_t)r->m < n ? r->m : 1;
		if (x->arima)
			rebuy_forecast_accuracy(s->v, n, lag, s->v + n, buf, h, &a);
		if (x->snaive)
			rebuy_forecast_accuracy(s->v, n, lag, s->v + n, buf + 3 * h, h, &b);
		if (x->ets)
			rebuy_forecast_accuracy(s->v, n, lag, s->v + n, fe, h, &e);
		/* the ets columns only when asked for, so the default table stays as it was */
		rebuy_rows_str(r->w, s->name);
		rebuy_rows_str(r->w, model);
		if (x->ets)
			rebuy_rows_str(r->w, ets_model);
		rebuy_rows_num(r->w, a.mape);
		if (x->ets)
			rebuy_rows_num(r->w, e.mape);
		rebuy_rows_num(r->w, b.mape);
		rebuy_rows_num(r->w, a.smape);
		if (x->ets)
			rebuy_rows_num(r->w, e.smape);
		rebuy_rows_num(r->w, b.smape);
		rebuy_rows_num(r->w, a.mase);
		if (x->ets)
			rebuy_rows_num(r->w, e.mase);
		rebuy_rows_num(r->w, b.mase);
		if (has_clv)
			rebuy_forecast_accuracy(s->v, n, lag, s->v + n, fc, h, &cl);
		rebuy_rows_num(r->w, cl.mape);
		rebuy_rows_num(r->w, cl.smape);
		rebuy_rows_num(r->w, cl.mase);
		rebuy_rows_end_row(r->w);
		free(buf);
		return REBUY_OK;
	}
	/* rows in the order arima, ets, snaive, clv; buf holds arima, snaive,
	 * clv, ets */
	static const char *const names[4] = {"arima", "ets", "snaive", "clv"};
	static const size_t slot[4] = {0, 3, 1, 2};
	for (int meth = 0; meth < 4; meth++) {
		if ((meth == 0 && !x->arima) || (meth == 1 && !x->ets) ||
		    (meth == 2 && !x->snaive) || (meth == 3 && !has_clv))
			continue;
		const double *f = buf + 3 * h * slot[meth];
		const char *label_model = meth == 0   ? model
		                          : meth == 1 ? ets_model
		                          : meth == 3 ? rebuy_clv_model_title(x->model)
		                                      : "";
		for (size_t i = 0; i < h; i++) {
			char label[32];
			future_label(r, i + 1, label, sizeof label);
			rebuy_rows_str(r->w, s->name);
			rebuy_rows_str(r->w, label);
			rebuy_rows_str(r->w, names[meth]);
			rebuy_rows_str(r->w, label_model);
			rebuy_rows_num(r->w, f[i]);
			rebuy_rows_num(r->w, f[h + i]);
			rebuy_rows_num(r->w, f[2 * h + i]);
			rebuy_rows_end_row(r->w);
		}
	}
	free(buf);
	return REBUY_OK;
}

/* The complete periods of the summary as four series. */
static int orders_series(const struct rebuy_summary *s, struct named *out, double *mem,
                         size_t *n_out)
{
	size_t n = s->n_periods;
	while (n > 0 && s->periods[n - 1].is_partial)
		n--;
	for (int k = 0; k < 4; k++)
		out[k].v = mem + (size_t)k * n, out[k].n = n;
	out[0].name = "orders";
	out[1].name = "revenue";
	out[2].name = "active_customers";
	out[3].name = "repeat_revenue";
	for (size_t i = 0; i < n; i++) {
		const struct rebuy_period_row *p = &s->periods[i];
		out[0].v[i] = (double)p->orders;
		out[1].v[i] = (double)p->revenue / 10000.0;
		out[2].v[i] = (double)p->E;
		out[3].v[i] = (double)p->revenue_returning / 10000.0;
	}
	*n_out = n;
	return s->has_amount ? 4 : 2;
}

int cmd_forecast(int argc, char **argv)
{
	struct cli_common c;
	cli_common_init(&c, "forecast");
	struct ctx x = {REBUY_PERIOD_MONTH, 12, 0, 0.95, NULL, NULL, 0, 1, 1, 0, REBUY_CLV_BGNBD};
	int r = cli_parse(argc, argv, &c, &help, own, &x);
	if (r)
		return r < 0 ? EXIT_OK : r;
	if (x.series && c.n_positional > 0) {
		cli_error("give either an orders file or --series FILE, not both");
		return EXIT_USAGE;
	}
	if (!x.series && c.n_positional > 1) {
		cli_error("one orders file, please");
		return EXIT_USAGE;
	}
	struct rebuy_error err = {0};
	struct rebuy_table *t = NULL;
	struct rebuy_series *ps = NULL;
	struct rebuy_orders *o = NULL;
	struct rebuy_summary *sum = NULL;
	struct named named[4];
	double *mem = NULL;
	int n_named = 0;
	struct run run = {&x, 1, NULL, NULL, NULL, NULL, 0, 0};
	if (x.series) {
		struct rebuy_table_options to;
		rebuy_table_options_init(&to);
		to.path = x.series;
		if (rebuy_table_read(&t, &to, &err) != REBUY_OK ||
		    rebuy_series_read(t, x.value, &ps, &err) != REBUY_OK) {
			r = cli_fail(&err);
			goto out;
		}
		named[0].name = rebuy_table_column_name(t, (size_t)ps->value_col);
		named[0].v = ps->values;
		named[0].n = ps->n;
		n_named = 1;
		run.plain = ps;
		run.m = x.season ? x.season : 1;
		run.n_periods = ps->n;
	} else {
		if ((r = cli_load_orders(&c, &o)))
			goto out;
		struct rebuy_summary_options so;
		rebuy_summary_options_init(&so);
		so.period = x.period;
		cli_as_of(&c, &so.has_as_of, &so.as_of_day);
		so.n_threads = c.in.n_threads;
		if (rebuy_summary_compute(o, &so, &sum, &err) != REBUY_OK) {
			r = cli_fail(&err);
			goto out;
		}
		mem = malloc(sizeof(double) * 4 * (sum->n_periods + 1));
		if (!mem) {
			cli_error("out of memory");
			r = EXIT_FAIL;
			goto out;
		}
		n_named = orders_series(sum, named, mem, &run.n_periods);
		run.sum = sum;
		run.orders = o;
		run.n_threads = c.in.n_threads;
		run.m = x.season ? x.season : rebuy_period_season(x.period);
	}
	size_t need = x.backtest ? x.backtest + 3 : 3;
	if (named[0].n < need) {
		cli_error("%zu values (complete periods) are too few: at least %zu are needed%s",
		          named[0].n, need, x.backtest ? " with --backtest" : "");
		r = EXIT_FAIL;
		goto out;
	}
	static const char *const fc_cols[] = {"series",   "period", "method", "model",
	                                      "forecast", "lo",     "hi"};
	static const char *const bt_cols[] = {"series",      "arima_model", "arima_mape",
	                                      "snaive_mape", "arima_smape", "snaive_smape",
	                                      "arima_mase",  "snaive_mase", "clv_mape",
	                                      "clv_smape",   "clv_mase"};
	static const char *const bt_ets_cols[] = {
	        "series",      "arima_model", "ets_model", "arima_mape",   "ets_mape",
	        "snaive_mape", "arima_smape", "ets_smape", "snaive_smape", "arima_mase",
	        "ets_mase",    "snaive_mase", "clv_mape",  "clv_smape",    "clv_mase"};
	struct cli_out out;
	if ((r = cli_out_open(&out, c.output)))
		goto out;
	struct rebuy_csv_options copts = {.raw = c.raw};
	run.w = x.backtest && x.ets
	                ? rebuy_rows_new(out.f, cli_row_format(&c), "backtest", bt_ets_cols,
	                                 sizeof bt_ets_cols / sizeof *bt_ets_cols, &copts)
	        : x.backtest ? rebuy_rows_new(out.f, cli_row_format(&c), "backtest", bt_cols,
	                                      sizeof bt_cols / sizeof *bt_cols, &copts)
	                     : rebuy_rows_new(out.f, cli_row_format(&c), "forecast", fc_cols,
	                                      sizeof fc_cols / sizeof *fc_cols, &copts);
	enum rebuy_status st = run.w ? REBUY_OK : REBUY_ENOMEM;
	for (int k = 0; k < n_named && st == REBUY_OK; k++)
		st = do_series(&run, &named[k], &err);
	enum rebuy_status wst = run.w ? rebuy_rows_finish(run.w) : REBUY_ENOMEM;
	if (st != REBUY_OK) {
		cli_out_abort(&out);
		r = cli_fail(&err);
		goto out;
	}
	if (wst != REBUY_OK) {
		cli_out_abort(&out);
		cli_error("cannot write the output");
		r = EXIT_FAIL;
		goto out;
	}
	r = cli_out_commit(&out);
out:
	free(mem);
	rebuy_summary_free(sum);
	rebuy_orders_free(o);
	rebuy_series_free(ps);
	rebuy_table_free(t);
	return r;
}
