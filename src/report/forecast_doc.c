/* The report's forecast section: the complete periods' orders and revenue
 * with the automatic ARIMA forecast of the next periods (include/rebuy/
 * forecast.h, docs/forecast.md) and its 95 % prediction interval as a band;
 * for orders also the lifetime model's forecast (BG/NBD, or the report's
 * --model: the expected purchases of the base plus forecast new customers)
 * with its interval.
 * A table below the charts gives the numbers, as rebuy forecast prints
 * them (--horizon 6, the report's period).
 *
 * The forecasts need only the orders and the summary, so with more than
 * one thread they are computed on a thread of their own while the
 * lifetime-model section fits its candidates (rpt_forecast_start, before
 * those fits), and the section waits for them; their results do not
 * depend on where they ran. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "core/parallel.h"
#include "rebuy/forecast.h"
#include "report/report_int.h"

#define FC_H 6
#define FC_MIN_PERIODS 8

/* The backtest's rows: orders by ARIMA, the lifetime model and seasonal
 * naive, revenue by ARIMA and seasonal naive. The lifetime model's needs a
 * second fit to every customer, so it is left out above BT_CLV_MAX
 * customers (a million cost the report 0.5-1 s, past its time budget);
 * rebuy forecast --backtest 6 prints it for any number. */
#define BT_CLV_MAX 200000
enum {
	BT_ORDERS_ARIMA,
	BT_ORDERS_CLV,
	BT_ORDERS_SNAIVE,
	BT_REVENUE_ARIMA,
	BT_REVENUE_SNAIVE,
	BT_ROWS
};

/* A forecast of FC_H periods: mean, then the interval's ends. */
struct fc {
	int ok;
	double f[3 * FC_H];
	char model[64];
};

/* What the forecasts are computed from, and their results. */
struct rpt_forecast {
	const struct rebuy_orders *o;
	const struct rebuy_summary *sum;
	size_t n;                   /* complete periods */
	double *v;                  /* their orders, then revenue */
	unsigned n_threads;         /* the lifetime model's fit's */
	enum rebuy_clv_model model; /* the report's --model when given, else BG/NBD */
	struct fc fc[3];            /* orders, lifetime model, revenue */
	/* the backtest: the last FC_H complete periods held out and forecast
	 * from the ones before, as rebuy forecast --backtest 6; NaN where a
	 * method could not run */
	int has_bt;
	struct rebuy_accuracy bt[BT_ROWS];
	enum rebuy_status st; /* REBUY_ENOMEM when one ran out of memory */
	pthread_t thread;
	int running, done;
};

static enum rebuy_status arima_of(const double *hist, size_t n, int season, struct fc *out)
{
	struct rebuy_arima_auto_options o;
	rebuy_arima_auto_options_init(&o);
	o.m = (size_t)season * 2 < n ? season : 1;
	struct rebuy_arima *fit = NULL;
	struct rebuy_error err = {0};
	enum rebuy_status st = rebuy_arima_auto(hist, n, &o, &fit, &err);
	if (!st)
		st = rebuy_arima_forecast(fit, FC_H, 0.95, out->f, out->f + FC_H, out->f + 2 * FC_H,
		                          &err);
	out->ok = st == REBUY_OK;
	if (out->ok) {
		const struct rebuy_arima_order *r = &fit->order;
		if (r->m > 1)
			snprintf(out->model, sizeof out->model, "ARIMA(%d,%d,%d)(%d,%d,%d)[%d]",
			         r->p, r->d, r->q, r->P, r->D, r->Q, r->m);
		else
			snprintf(out->model, sizeof out->model, "ARIMA(%d,%d,%d)", r->p, r->d,
			         r->q);
		size_t len = strlen(out->model);
		if (isfinite(fit->aicc)) /* not for a series without variation */
			snprintf(out->model + len, sizeof out->model - len, ", AICc %.1f",
			         fit->aicc);
	}
	rebuy_arima_free(fit);
	return st;
}

/* Point forecasts of v[nb .. nb + FC_H) from v[0 .. nb) by ARIMA and
 * seasonal naive (rebuy forecast's settings), scored against v. */
static enum rebuy_status backtest_series(const double *v, size_t nb, int season,
                                         struct rebuy_accuracy *arima,
                                         struct rebuy_accuracy *snaive)
{
	struct fc a;
	double f[3 * FC_H];
	int lag = (size_t)season < nb ? season : 1;
	struct rebuy_error err = {0};
	enum rebuy_status st = arima_of(v, nb, season, &a);
	if (a.ok)
		rebuy_forecast_accuracy(v, nb, lag, v + nb, a.f, FC_H, arima);
	enum rebuy_status s2 = rebuy_snaive_forecast(v, nb, (size_t)season <= nb ? season : 1, FC_H,
	                                             0.95, f, f + FC_H, f + 2 * FC_H, &err);
	if (!s2)
		rebuy_forecast_accuracy(v, nb, lag, v + nb, f, FC_H, snaive);
	return st == REBUY_ENOMEM || s2 == REBUY_ENOMEM ? REBUY_ENOMEM : REBUY_OK;
}

static enum rebuy_status backtest(struct rpt_forecast *f, int season)
{
	for (int k = 0; k < BT_ROWS; k++)
		f->bt[k] = (struct rebuy_accuracy){NAN, NAN, NAN};
	size_t nb = f->n - FC_H;
	enum rebuy_status st = backtest_series(f->v, nb, season, &f->bt[BT_ORDERS_ARIMA],
	                                       &f->bt[BT_ORDERS_SNAIVE]);
	if (f->sum->has_amount && backtest_series(f->v + f->n, nb, season, &f->bt[BT_REVENUE_ARIMA],
	                                          &f->bt[BT_REVENUE_SNAIVE]) == REBUY_ENOMEM)
		st = REBUY_ENOMEM;
	if (f->sum->customers > BT_CLV_MAX) {
		f->has_bt = 1;
		return st;
	}
	double c[FC_H];
	struct rebuy_error err = {0};
	enum rebuy_status sc = rebuy_clv_orders_forecast(f->o, f->sum, nb, FC_H, season, f->model,
	                                                 0.95, f->n_threads, c, NULL, NULL, &err);
	if (!sc)
		rebuy_forecast_accuracy(f->v, nb, (size_t)season < nb ? season : 1, f->v + nb, c,
		                        FC_H, &f->bt[BT_ORDERS_CLV]);
	f->has_bt = 1;
	return sc == REBUY_ENOMEM ? REBUY_ENOMEM : st;
}

/* The three forecasts. A model that cannot be fitted leaves its chart or
 * line out; running out of memory fails the report. */
static void *compute_all(void *arg)
{
	struct rpt_forecast *f = arg;
	const struct rebuy_summary *s = f->sum;
	int season = rebuy_period_season(s->period);
	enum rebuy_status st[3];
	st[0] = arima_of(f->v, f->n, season, &f->fc[0]);
	st[2] = s->has_amount ? arima_of(f->v + f->n, f->n, season, &f->fc[2]) : REBUY_OK;
	/* the lifetime model's, when it can be made (it needs a fit of the
	 * model to the orders); otherwise the chart shows ARIMA alone */
	struct rebuy_error err = {0};
	double *c = f->fc[1].f;
	st[1] = rebuy_clv_orders_forecast(f->o, s, f->n, FC_H, season, f->model, 0.95, f->n_threads,
	                                  c, c + FC_H, c + 2 * FC_H, &err);
	f->fc[1].ok = st[1] == REBUY_OK;
	snprintf(f->fc[1].model, sizeof f->fc[1].model, "%s", rebuy_clv_model_title(f->model));
	for (int k = 0; k < 3; k++)
		if (st[k] == REBUY_ENOMEM)
			f->st = REBUY_ENOMEM;
	if (f->n >= FC_MIN_PERIODS + FC_H && backtest(f, season) == REBUY_ENOMEM)
		f->st = REBUY_ENOMEM;
	f->done = 1;
	return NULL;
}

void rpt_forecast_start(struct rpt *x)
{
	const struct rebuy_summary *s = x->sum;
	size_t n = s->n_periods;
	while (n > 0 && s->periods[n - 1].is_partial)
		n--;
	if (n < FC_MIN_PERIODS || x->fc)
		return;
	struct rpt_forecast *f = rebuy__calloc(1, sizeof *f);
	double *v = rebuy__calloc(n * 2, sizeof(double));
	if (!f || !v) {
		rebuy__free(f);
		rebuy__free(v);
		return; /* the section says so */
	}
	for (size_t i = 0; i < n; i++) {
		v[i] = (double)s->periods[i].orders;
		v[n + i] = (double)s->periods[i].revenue / 10000.0;
	}
	f->o = x->o;
	f->sum = s;
	f->n = n;
	f->v = v;
	f->model = x->opt.has_model ? x->opt.model : REBUY_CLV_BGNBD;
	unsigned threads = x->opt.n_threads ? x->opt.n_threads : rebuy__cpu_count();
	f->n_threads = threads;
	x->fc = f;
	if (threads > 1 && pthread_create(&f->thread, NULL, compute_all, f) == 0) {
		f->running = 1;
		f->n_threads = 1; /* beside the report's other work */
	}
}

/* The forecasts, waited for or computed now. */
static struct rpt_forecast *forecast_done(struct rpt *x)
{
	struct rpt_forecast *f = x->fc;
	if (!f)
		return NULL;
	if (f->running) {
		pthread_join(f->thread, NULL);
		f->running = 0;
	} else if (!f->done) {
		compute_all(f);
	}
	return f;
}

void rpt_forecast_release(struct rpt *x)
{
	struct rpt_forecast *f = x->fc;
	if (!f)
		return;
	if (f->running)
		pthread_join(f->thread, NULL);
	rebuy__free(f->v);
	rebuy__free(f);
	x->fc = NULL;
}

/* The FC_H + 1 points a forecast line or band is drawn through: the last
 * actual value, then the forecast (cut at 0: orders and revenue are never
 * below it), NaN before. */
static void joined(const double *hist, size_t n, const double *f, double *out)
{
	for (size_t i = 0; i < n + FC_H; i++)
		out[i] = i + 1 < n ? NAN : i + 1 == n ? hist[i] : fmax(f[i - n], 0);
}

/* One chart: history, then the ARIMA line and band and, when clv is
 * given, the lifetime model's, joined to the last actual value. */
static void chart_one(struct rpt *x, const double *hist, size_t n, const char *const *labels,
                      const char *id, const char *title, const char *name, const struct fc *arima,
                      const struct fc *clv)
{
	size_t total = n + FC_H;
	double *y = rebuy__calloc(total * 7, sizeof(double));
	if (!y)
		return;
	double *pt[6];
	for (int k = 0; k < 6; k++)
		pt[k] = y + (size_t)(k + 1) * total;
	for (size_t i = 0; i < total; i++)
		y[i] = i < n ? hist[i] : NAN;
	for (int k = 0; k < 3; k++) {
		joined(hist, n, arima->f + k * FC_H, pt[k]);
		if (clv)
			joined(hist, n, clv->f + k * FC_H, pt[3 + k]);
	}
	struct rebuy_chart_series cs[3] = {
	        {.name = name, .n = total, .y = y},
	        {.name = clv ? tr(x, "ARIMA forecast", "Прогноз ARIMA")
	                     : tr(x, "Forecast (95% interval)", "Прогноз (95% интервал)"),
	         .n = total,
	         .y = pt[0],
	         .lo = pt[1],
	         .hi = pt[2],
	         .dashed = 1},
	        {.name = tr(x, "Lifetime-model forecast", "Прогноз по модели клиентов"),
	         .n = total,
	         .y = pt[3],
	         .lo = pt[4],
	         .hi = pt[5],
	         .dashed = 1},
	};
	struct rebuy_chart c = {.kind = REBUY_CHART_LINES,
	                        .id = id,
	                        .title = title,
	                        .n_categories = total,
	                        .categories = labels,
	                        .n_series = clv ? 3 : 2,
	                        .series = cs,
	                        .y = {.fmt = REBUY_NUM_COMPACT}};
	char cap[160];
	snprintf(cap, sizeof cap, "%s%s%s", arima->model,
	         clv ? tr(x, "; lifetime model: ", "; модель клиентов: ") : "",
	         clv ? clv->model : "");
	rpt_figure(x, &c, cap);
	rebuy__free(y);
}

/* A forecast and its interval in two cells, cut at 0 as drawn; the
 * values in value=. */
static void cells(struct rpt *x, const struct fc *fc, size_t k, int money)
{
	double v[3] = {fmax(fc->f[k], 0), fmax(fc->f[FC_H + k], 0), fmax(fc->f[2 * FC_H + k], 0)};
	const char *shown[3];
	char buf[3][64];
	for (int i = 0; i < 3; i++) {
		shown[i] = money ? rpt_money(x, v[i]) : rpt_num(x, v[i], REBUY_NUM_INT, 0);
		snprintf(buf[i], sizeof buf[i], "%s", shown[i]);
	}
	rpt_printf(x, "<td><data value=\"%.17g\">", v[0]);
	rpt_text(x, buf[0]);
	rpt_printf(x, "</data></td><td><data value=\"%.17g\">", v[1]);
	rpt_text(x, buf[1]);
	rpt_printf(x, "</data> – <data value=\"%.17g\">", v[2]);
	rpt_text(x, buf[2]);
	rpt_puts(x, "</data></td>");
}

static void table(struct rpt *x, const char *const *labels, size_t n, const struct fc *orders,
                  const struct fc *clv, const struct fc *revenue)
{
	const char *iv = tr(x, "95% interval", "95% интервал");
	rpt_printf(x,
	           "<h3>%s</h3><div class=\"rb-table-wrap\"><table class=\"rb-table\" "
	           "data-table=\"forecast\"><thead><tr><th>%s</th>",
	           tr(x, "The next periods", "Следующие периоды"), tr(x, "Period", "Период"));
	rpt_printf(x, "<th data-col=\"orders_arima\">%s</th><th>%s</th>",
	           tr(x, "Orders, ARIMA", "Заказы, ARIMA"), iv);
	if (clv->ok)
		rpt_printf(x, "<th data-col=\"orders_clv\">%s</th><th>%s</th>",
		           tr(x, "Orders, lifetime model", "Заказы, модель клиентов"), iv);
	if (revenue)
		rpt_printf(x, "<th data-col=\"revenue_arima\">%s</th><th>%s</th>",
		           tr(x, "Revenue, ARIMA", "Выручка, ARIMA"), iv);
	rpt_puts(x, "</tr></thead><tbody>\n");
	for (size_t k = 0; k < FC_H; k++) {
		rpt_puts(x, "<tr><td>");
		rpt_text(x, labels[n + k]);
		rpt_puts(x, "</td>");
		cells(x, orders, k, 0);
		if (clv->ok)
			cells(x, clv, k, 0);
		if (revenue)
			cells(x, revenue, k, 1);
		rpt_puts(x, "</tr>\n");
	}
	rpt_puts(x, "</tbody></table></div>\n");
}

/* How each method did on the held-out periods: MAPE and MASE, the raw
 * values in value=. */
static void backtest_table(struct rpt *x, const struct rpt_forecast *f, const char *const *labels)
{
	static const char *const en[BT_ROWS] = {"Orders, ARIMA", "Orders, lifetime model",
	                                        "Orders, seasonal naive", "Revenue, ARIMA",
	                                        "Revenue, seasonal naive"};
	static const char *const ru[BT_ROWS] = {"Заказы, ARIMA", "Заказы, модель клиентов",
	                                        "Заказы, сезонный наивный", "Выручка, ARIMA",
	                                        "Выручка, сезонный наивный"};
	static const char *const key[BT_ROWS] = {"orders_arima", "orders_clv", "orders_snaive",
	                                         "revenue_arima", "revenue_snaive"};
	size_t nb = f->n - FC_H;
	rpt_printf(x, "<h3>%s</h3><p class=\"rb-note\">",
	           tr(x, "How the forecasts did", "Как прогнозы справились"));
	rpt_text(x, tr(x, "The last 6 complete periods (", "Последние 6 полных периодов ("));
	rpt_text(x, labels[nb]);
	rpt_text(x, " – ");
	rpt_text(x, labels[f->n - 1]);
	rpt_text(x, tr(x,
	               ") held out and forecast from the ones before, as rebuy forecast "
	               "--backtest 6 does. MAPE: the mean absolute error in % of the actual "
	               "values; MASE: the mean absolute error over that of the seasonal naive "
	               "forecast within the fitted periods (below 1: better than it).",
	               ") отложены и спрогнозированы по предыдущим, как в rebuy forecast "
	               "--backtest 6. MAPE — средняя абсолютная ошибка в % от факта; MASE — "
	               "средняя абсолютная ошибка, делённая на ошибку сезонного наивного "
	               "прогноза внутри обучающих периодов (меньше 1 — лучше него)."));
	rpt_printf(x,
	           "</p><div class=\"rb-table-wrap\"><table class=\"rb-table\" "
	           "data-table=\"forecast-backtest\"><thead><tr><th>%s</th><th>MAPE</th>"
	           "<th>MASE</th></tr></thead><tbody>\n",
	           tr(x, "Forecast", "Прогноз"));
	for (int k = 0; k < BT_ROWS; k++) {
		const struct rebuy_accuracy *a = &f->bt[k];
		if (isnan(a->mape) && isnan(a->mase))
			continue;
		rpt_printf(x, "<tr data-row=\"%s\"><td>", key[k]);
		rpt_text(x, tr(x, en[k], ru[k]));
		rpt_printf(x, "</td><td><data value=\"%.17g\">", a->mape);
		rpt_text(x, rpt_num(x, a->mape / 100, REBUY_NUM_PERCENT, 1));
		rpt_printf(x, "</data></td><td><data value=\"%.17g\">", a->mase);
		rpt_text(x, rpt_num(x, a->mase, REBUY_NUM_DECIMAL, 2));
		rpt_puts(x, "</data></td></tr>\n");
	}
	rpt_puts(x, "</tbody></table></div>\n");
	if (f->sum->customers > BT_CLV_MAX)
		rpt_note(x,
		         tr(x,
		            "The lifetime model's backtest is left out above 200,000 customers, "
		            "as it needs a second fit to all of them; rebuy forecast --backtest 6 "
		            "prints it.",
		            "Проверка модели клиентов на отложенных периодах не делается, когда "
		            "клиентов больше 200 000: ей нужна вторая подгонка по всем; её "
		            "печатает rebuy forecast --backtest 6."));
}

void rpt_sec_forecast(struct rpt *x)
{
	const struct rebuy_summary *s = x->sum;
	size_t n = s->n_periods;
	while (n > 0 && s->periods[n - 1].is_partial)
		n--;
	if (n < FC_MIN_PERIODS) {
		rpt_absent(x, tr(x, "A forecast needs at least 8 complete periods.",
		                 "Для прогноза нужно хотя бы 8 полных периодов."));
		return;
	}
	struct rpt_forecast *f = forecast_done(x); /* NULL: rpt_forecast_start ran out of memory */
	size_t total = n + FC_H;
	char(*lab)[16] = rebuy__calloc(total, sizeof *lab);
	const char **labels = rebuy__calloc(total, sizeof *labels);
	if (!f || !lab || !labels || f->st) {
		x->st = rebuy_error_set(x->err, REBUY_ENOMEM, "out of memory in the forecast");
		goto out;
	}
	for (size_t i = 0; i < total; i++) {
		rebuy_period_label(s->period, s->periods[0].index + (int64_t)i, lab[i],
		                   sizeof lab[i]);
		labels[i] = lab[i];
	}
	const struct fc *fc = f->fc;
	rpt_puts(x, "<div class=\"rb-charts\">\n");
	if (fc[0].ok)
		chart_one(
		        x, f->v, n, labels, "forecast-orders",
		        tr(x, "Orders per period and the forecast", "Заказы по периодам и прогноз"),
		        tr(x, "Orders", "Заказы"), &fc[0], fc[1].ok ? &fc[1] : NULL);
	if (fc[2].ok)
		chart_one(x, f->v + n, n, labels, "forecast-revenue",
		          tr(x, "Revenue per period and the forecast",
		             "Выручка по периодам и прогноз"),
		          tr(x, "Revenue", "Выручка"), &fc[2], NULL);
	rpt_puts(x, "</div>\n");
	if (fc[0].ok)
		table(x, labels, n, &fc[0], &fc[1], fc[2].ok ? &fc[2] : NULL);
	if (f->has_bt)
		backtest_table(x, f, labels);
	rpt_note(x, tr(x,
	               "Seasonal ARIMA chosen by AICc (Hyndman-Khandakar), fitted to the "
	               "complete periods; the band is the 95% prediction interval. The "
	               "charts and the table cut the forecasts at 0, as orders and "
	               "revenue never go below it. See docs/forecast.md.",
	               "Сезонная ARIMA, выбранная по AICc (Hyndman-Khandakar), по полным "
	               "периодам; полоса — 95% интервал прогноза. Графики и таблица "
	               "обрезают прогнозы на 0: заказы и выручка не бывают меньше. См. "
	               "docs/forecast.md."));
	if (fc[1].ok) {
		char note[640];
		if (x->lang == REBUY_LANG_RU)
			snprintf(
			        note, sizeof note,
			        "Прогноз заказов по модели жизни клиента: модель %s по клиентам на "
			        "конец последнего полного периода, их ожидаемые покупки и новые "
			        "клиенты по прогнозу ARIMA с их первыми и повторными покупками; "
			        "интервал моделирует будущее клиентов. В таблице то же, что "
			        "печатает "
			        "rebuy forecast --horizon 6 --model %s в строках arima и clv, "
			        "обрезанное на 0.",
			        fc[1].model, rebuy_clv_model_name(f->model));
		else
			snprintf(
			        note, sizeof note,
			        "The lifetime-model forecast of orders: the %s model fitted to the "
			        "customers as they stood at the end of the last complete period, "
			        "their expected purchases, plus new customers forecast by ARIMA "
			        "with "
			        "their first and repeat purchases; the interval simulates the "
			        "customers' futures. The table holds what rebuy forecast --horizon "
			        "6 "
			        "--model %s prints in its arima and clv rows, cut at 0.",
			        fc[1].model, rebuy_clv_model_name(f->model));
		rpt_note(x, note);
	}
out:
	rebuy__free(lab);
	rebuy__free(labels);
}
