/* The report's forecast section: the complete periods' orders and revenue
 * with the automatic ARIMA forecast of the next periods (include/rebuy/
 * forecast.h, docs/forecast.md) and its 95 % prediction interval as a band. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "rebuy/forecast.h"
#include "report/report_int.h"

#define FC_H 6
#define FC_MIN_PERIODS 8

static int season_of(enum rebuy_period p)
{
	switch (p) {
	case REBUY_PERIOD_DAY: return 7;
	case REBUY_PERIOD_WEEK: return 52;
	case REBUY_PERIOD_MONTH: return 12;
	case REBUY_PERIOD_QUARTER: return 4;
	case REBUY_PERIOD_YEAR: return 1;
	}
	return 1;
}

/* One chart: history, then the forecast line and band joined to the last
 * actual value. Returns 0 when the model could not be fitted. */
static int chart_one(struct rpt *x, const double *hist, size_t n, const char *const *labels,
                     const char *id, const char *title, const char *name)
{
	size_t total = n + FC_H;
	double *y = rebuy__calloc(total * 4, sizeof(double));
	if (!y)
		return 0;
	double *f = y + total, *lo = f + total, *hi = lo + total;
	struct rebuy_arima_auto_options o;
	rebuy_arima_auto_options_init(&o);
	int m = season_of(x->sum->period);
	o.m = (size_t)m * 2 < n ? m : 1;
	struct rebuy_arima *fit = NULL;
	struct rebuy_error err = {0};
	int ok = rebuy_arima_auto(hist, n, &o, &fit, &err) == REBUY_OK &&
	         rebuy_arima_forecast(fit, FC_H, 0.95, f + n, lo + n, hi + n, &err) == REBUY_OK;
	if (ok) {
		for (size_t i = 0; i < total; i++) {
			y[i] = i < n ? hist[i] : NAN;
			if (i < n - 1)
				f[i] = lo[i] = hi[i] = NAN;
		}
		f[n - 1] = lo[n - 1] = hi[n - 1] = hist[n - 1];
		struct rebuy_chart_series cs[2] = {
		        {.name = name, .n = total, .y = y},
		        {.name = tr(x, "Forecast (95% interval)", "Прогноз (95% интервал)"),
		         .n = total,
		         .y = f,
		         .lo = lo,
		         .hi = hi,
		         .dashed = 1},
		};
		struct rebuy_chart c = {.kind = REBUY_CHART_LINES,
		                        .id = id,
		                        .title = title,
		                        .n_categories = total,
		                        .categories = labels,
		                        .n_series = 2,
		                        .series = cs,
		                        .y = {.fmt = REBUY_NUM_COMPACT}};
		char cap[256];
		const struct rebuy_arima_order *r = &fit->order;
		if (r->m > 1)
			snprintf(cap, sizeof cap, "ARIMA(%d,%d,%d)(%d,%d,%d)[%d], AICc %.1f", r->p,
			         r->d, r->q, r->P, r->D, r->Q, r->m, fit->aicc);
		else
			snprintf(cap, sizeof cap, "ARIMA(%d,%d,%d), AICc %.1f", r->p, r->d, r->q,
			         fit->aicc);
		rpt_figure(x, &c, cap);
	}
	rebuy_arima_free(fit);
	rebuy__free(y);
	return ok;
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
	size_t total = n + FC_H;
	char(*lab)[16] = rebuy__calloc(total, sizeof *lab);
	const char **labels = rebuy__calloc(total, sizeof *labels);
	double *v = rebuy__calloc(n * 2, sizeof(double));
	if (lab && labels && v) {
		for (size_t i = 0; i < total; i++) {
			rebuy_period_label(s->period, s->periods[0].index + (int64_t)i, lab[i],
			                   sizeof lab[i]);
			labels[i] = lab[i];
		}
		for (size_t i = 0; i < n; i++) {
			v[i] = (double)s->periods[i].orders;
			v[n + i] = (double)s->periods[i].revenue / 10000.0;
		}
		rpt_puts(x, "<div class=\"rb-charts\">\n");
		chart_one(
		        x, v, n, labels, "forecast-orders",
		        tr(x, "Orders per period and the forecast", "Заказы по периодам и прогноз"),
		        tr(x, "Orders", "Заказы"));
		if (s->has_amount)
			chart_one(x, v + n, n, labels, "forecast-revenue",
			          tr(x, "Revenue per period and the forecast",
			             "Выручка по периодам и прогноз"),
			          tr(x, "Revenue", "Выручка"));
		rpt_puts(x, "</div>\n");
		rpt_note(x, tr(x,
		               "Seasonal ARIMA chosen by AICc (Hyndman-Khandakar), fitted to the "
		               "complete periods; the band is the 95% prediction interval. See "
		               "docs/forecast.md.",
		               "Сезонная ARIMA, выбранная по AICc (Hyndman-Khandakar), по полным "
		               "периодам; полоса — 95% интервал прогноза. См. docs/forecast.md."));
	}
	rebuy__free(lab);
	rebuy__free(labels);
	rebuy__free(v);
}
