/* The report's sections, in the order they appear. Each writes the body of
 * its <section> from what report.c computed (x->sum, x->coh, x->ltv,
 * x->rfm, x->m) and calls rpt_absent with the one-line reason when the data
 * does not allow it. Charts first, the numbers beside them, definitions
 * under each section. A new section is a function here and one line in
 * rpt_sections[] at the end (and its name in rebuy_report_sections).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "report/report_int.h"

/* A double array of n values, freed by the caller; NULL on out of memory
 * (the buffer is then marked failed, so the report fails). */
static double *vec(struct rpt *x, size_t n)
{
	double *v = rebuy__malloc((n ? n : 1) * sizeof *v);
	if (!v)
		x->b->failed = 1;
	return v;
}

static void open_charts(struct rpt *x)
{
	rpt_puts(x, "<div class=\"rb-charts\">\n");
}

static void close_div(struct rpt *x)
{
	rpt_puts(x, "</div>\n");
}

static double money(int64_t units)
{
	return (double)units / 10000;
}

static double ratio(double a, double b)
{
	return b != 0 ? a / b : NAN;
}

/* ---- headline KPIs ---- */

enum kpi_kind { K_COUNT, K_MONEY, K_MONEY_NUM, K_PCT, K_DEC1, K_DEC2 };

struct kpi {
	const char *key;
	enum kpi_kind kind;
	int needs_amount;
	const char *label_en, *label_ru, *def_en, *def_ru;
};

static const struct kpi kpis[] = {
        {"customers", K_COUNT, 0, "Customers", "Покупатели",
         "customers with at least one purchase (an order worth >= 0)",
         "покупатели хотя бы с одной покупкой (заказ на сумму >= 0)"},
        {"orders", K_COUNT, 0, "Orders", "Заказы", "purchases; returns excluded",
         "покупки; возвраты не входят"},
        {"revenue", K_MONEY, 1, "Revenue", "Выручка", "sum of purchase values",
         "сумма покупок"},
        {"aov", K_MONEY_NUM, 1, "Average order value", "Средний чек", "revenue / orders",
         "выручка / заказы"},
        {"repeat_purchase_rate", K_PCT, 0, "Repeat purchase rate", "Доля повторных покупателей",
         "customers with >= 2 orders / customers", "покупатели с >= 2 заказами / покупатели"},
        {"purchase_frequency", K_DEC2, 0, "Orders per customer", "Заказов на покупателя",
         "orders / customers", "заказы / покупатели"},
        {"repeat_revenue_share", K_PCT, 1, "Repeat revenue share", "Доля повторной выручки",
         "revenue of purchase days after each customer's first purchase day / revenue",
         "выручка дней покупок после первого дня покупки каждого покупателя / выручка"},
        {"median_days_between_purchases", K_DEC1, 0, "Median days between purchases",
         "Медиана дней между покупками",
         "median gap in days between consecutive purchase days of a customer",
         "медиана промежутков в днях между соседними днями покупок одного покупателя"},
        {"median_days_to_second_purchase", K_DEC1, 0, "Median days to the 2nd purchase",
         "Медиана дней до 2-й покупки",
         "median days from the first to the second purchase day, over customers with >= 2 "
         "purchase days",
         "медиана дней от первого до второго дня покупки, по покупателям с >= 2 днями покупок"},
        {"historic_ltv", K_MONEY_NUM, 1, "Historic LTV", "Историческая LTV",
         "revenue / customers: what a customer has been worth so far",
         "выручка / покупатели: сколько покупатель принёс до сих пор"},
        {"returns.return_rate", K_PCT, 1, "Return rate", "Доля возвратов",
         "returned value / revenue", "сумма возвратов / выручка"},
        {"net_revenue", K_MONEY, 1, "Net revenue", "Чистая выручка", "revenue - returned value",
         "выручка - сумма возвратов"},
};

static void kpi_value(struct rpt *x, const struct kpi *k)
{
	const struct rebuy_summary *s = x->sum;
	if (strcmp(k->key, "customers") == 0)
		rpt_data_count(x, k->key, s->customers);
	else if (strcmp(k->key, "orders") == 0)
		rpt_data_count(x, k->key, s->orders);
	else if (strcmp(k->key, "revenue") == 0)
		rpt_data_money(x, k->key, s->revenue);
	else if (strcmp(k->key, "aov") == 0)
		rpt_data_money_num(x, k->key, s->aov);
	else if (strcmp(k->key, "repeat_purchase_rate") == 0)
		rpt_data_num(x, k->key, s->repeat_purchase_rate, REBUY_NUM_PERCENT, 1);
	else if (strcmp(k->key, "purchase_frequency") == 0)
		rpt_data_num(x, k->key, s->purchase_frequency, REBUY_NUM_DECIMAL, 2);
	else if (strcmp(k->key, "repeat_revenue_share") == 0)
		rpt_data_num(x, k->key, s->repeat_revenue_share, REBUY_NUM_PERCENT, 1);
	else if (strcmp(k->key, "median_days_between_purchases") == 0)
		rpt_data_num(x, k->key, s->median_days_between_purchases, REBUY_NUM_DECIMAL, 1);
	else if (strcmp(k->key, "median_days_to_second_purchase") == 0)
		rpt_data_num(x, k->key, s->median_days_to_second_purchase, REBUY_NUM_DECIMAL, 1);
	else if (strcmp(k->key, "historic_ltv") == 0)
		rpt_data_money_num(x, k->key, s->historic_ltv);
	else if (strcmp(k->key, "returns.return_rate") == 0)
		rpt_data_num(x, k->key, s->return_rate, REBUY_NUM_PERCENT, 1);
	else if (strcmp(k->key, "net_revenue") == 0)
		rpt_data_money(x, k->key, s->net_revenue);
}

/* The last complete period that has one before it, or -1. */
static long last_complete(const struct rebuy_summary *s)
{
	for (size_t i = s->n_periods; i-- > 1;)
		if (!s->periods[i].is_partial)
			return (long)i;
	return -1;
}

/* "▲ 3.2% vs 2025-04" (relative) or "▲ 1.5 pp vs 2025-04" (points). */
static void delta_note(struct rpt *x, double now, double before, int points, const char *prev,
                       char *buf, size_t size)
{
	if (now == before) {
		snprintf(buf, size, "= %s %s", tr(x, "as in", "как в"), prev);
		return;
	}
	double d = points ? now - before : ratio(now - before, before);
	if (!(d == d) || d - d != 0) {
		snprintf(buf, size, "%s %s", tr(x, "nothing to compare with in", "не с чем сравнить в"),
		         prev);
		return;
	}
	const char *cls = d > 0 ? "rb-up" : d < 0 ? "rb-down" : "";
	const char *arrow = d > 0 ? "\xe2\x96\xb2" : d < 0 ? "\xe2\x96\xbc" : "=";
	const char *shown = points ? rpt_num(x, 100 * d, REBUY_NUM_DECIMAL, 1)
	                           : rpt_num(x, d, REBUY_NUM_PERCENT, 1);
	snprintf(buf, size, "<span class=\"%s\">%s %s%s%s</span> %s %s", cls, arrow,
	         d > 0 ? "+" : "", shown, points ? tr(x, " pp", "\xc2\xa0п.\xc2\xa0п.") : "",
	         tr(x, "vs", "к"), prev);
}

static void change_cards(struct rpt *x)
{
	const struct rebuy_summary *s = x->sum;
	long L = last_complete(s);
	if (L < 1) {
		rpt_note(x, tr(x, "No complete period with one before it: no change to show.",
		               "Нет полного периода с предыдущим: изменения не показаны."));
		return;
	}
	const struct rebuy_period_row *a = &s->periods[L], *p = &s->periods[L - 1];
	const char *lab = x->period_labels[L], *prev = x->period_labels[L - 1];
	rpt_printf(x, "<h3>%s %s %s %s</h3>\n", tr(x, "Last complete period:", "Последний полный период:"),
	           lab, tr(x, "against", "против"), prev);
	rpt_puts(x, "<div class=\"rb-cards\">");
	char note[256];
	struct {
		const char *en, *ru, *den, *dru;
		double now, before;
		int points, money, pct;
	} c[] = {
	        {"Active customers", "Активные покупатели", "customers with a purchase in the period",
	         "покупатели с покупкой в периоде", (double)a->E, (double)p->E, 0, 0, 0},
	        {"New customers", "Новые покупатели", "customers whose first purchase is in the period",
	         "покупатели, чья первая покупка в периоде", (double)a->N, (double)p->N, 0, 0, 0},
	        {"Orders", "Заказы", "purchases in the period", "покупки в периоде",
	         (double)a->orders, (double)p->orders, 0, 0, 0},
	        {"Revenue", "Выручка", "revenue of the period", "выручка периода", money(a->revenue),
	         money(p->revenue), 0, 1, 0},
	        {"Average order value", "Средний чек", "revenue / orders of the period",
	         "выручка / заказы периода", a->aov, p->aov, 0, 1, 0},
	        {"Strict retention", "Строгое удержание",
	         "customers who bought in the period before and in this one / customers of the period "
	         "before",
	         "купившие и в прошлом, и в этом периоде / покупатели прошлого периода",
	         a->strict_retention, p->strict_retention, 1, 0, 1},
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		if (c[i].money && !s->has_amount)
			continue;
		rpt_card_open(x, tr(x, c[i].en, c[i].ru), tr(x, c[i].den, c[i].dru));
		rpt_text(x, c[i].pct     ? rpt_num(x, c[i].now, REBUY_NUM_PERCENT, 1)
		            : c[i].money ? rpt_money(x, c[i].now)
		                         : rpt_num(x, c[i].now, REBUY_NUM_INT, 0));
		delta_note(x, c[i].now, c[i].before, c[i].points, prev, note, sizeof note);
		rpt_card_close(x, note);
	}
	close_div(x);
}

static void sec_kpis(struct rpt *x)
{
	const struct rebuy_summary *s = x->sum;
	size_t n = s->n_periods;
	/* The chart first: revenue (or orders) per period. */
	double *y = vec(x, n);
	if (!y)
		return;
	for (size_t i = 0; i < n; i++)
		y[i] = s->has_amount ? money(s->periods[i].revenue) : (double)s->periods[i].orders;
	struct rebuy_chart_series ser = {.name = s->has_amount ? tr(x, "Revenue", "Выручка")
	                                                       : tr(x, "Orders", "Заказы"),
	                                 .n = n,
	                                 .y = y};
	struct rebuy_chart c = {
	        .kind = REBUY_CHART_BARS,
	        .id = "kpi-per-period",
	        .title = s->has_amount ? tr(x, "Revenue per period", "Выручка по периодам")
	                               : tr(x, "Orders per period", "Заказы по периодам"),
	        .height = 240,
	        .n_categories = n,
	        .categories = (const char *const *)x->period_labels,
	        .n_series = 1,
	        .series = &ser,
	        .y = {.fmt = REBUY_NUM_COMPACT},
	};
	rpt_puts(x, "<div class=\"rb-cards\">");
	for (size_t i = 0; i < sizeof kpis / sizeof *kpis; i++) {
		const struct kpi *k = &kpis[i];
		if (k->needs_amount && !s->has_amount)
			continue;
		rpt_card_open(x, tr(x, k->label_en, k->label_ru), tr(x, k->def_en, k->def_ru));
		kpi_value(x, k);
		rpt_card_close(x, NULL);
	}
	close_div(x);
	open_charts(x);
	rpt_figure(x, &c,
	           s->has_amount
	                   ? tr(x, "Revenue per period; * marks a period cut off by the end of the data.",
	                        "Выручка по периодам; * отмечает период, обрезанный концом данных.")
	                   : tr(x, "Orders per period; * marks a period cut off by the end of the data.",
	                        "Заказы по периодам; * отмечает период, обрезанный концом данных."));
	for (size_t i = 0; i < n; i++)
		y[i] = (double)s->periods[i].E;
	ser.name = tr(x, "Active customers", "Активные покупатели");
	c.kind = REBUY_CHART_LINES;
	c.id = "kpi-active";
	c.title = tr(x, "Active customers per period", "Активные покупатели по периодам");
	c.y.has_min = 1;
	rpt_figure(x, &c,
	           tr(x, "Customers with a purchase in each period.",
	              "Покупатели с покупкой в каждом периоде."));
	close_div(x);
	rebuy__free(y);
	change_cards(x);
	if (!s->has_amount)
		rpt_note(x, tr(x, "The orders have no amounts: money measures are left out.",
		               "В заказах нет сумм: денежные показатели не показаны."));
	const char *defs[2 * (sizeof kpis / sizeof *kpis)];
	size_t nd = 0;
	for (size_t i = 0; i < sizeof kpis / sizeof *kpis; i++) {
		if (kpis[i].needs_amount && !s->has_amount)
			continue;
		defs[2 * nd] = tr(x, kpis[i].label_en, kpis[i].label_ru);
		defs[2 * nd + 1] = tr(x, kpis[i].def_en, kpis[i].def_ru);
		nd++;
	}
	rpt_definitions(x, defs, nd);
}

/* ---- new and returning ---- */

static void sec_growth(struct rpt *x)
{
	const struct rebuy_summary *s = x->sum;
	size_t n = s->n_periods;
	if (n < 2) {
		rpt_absent(x, tr(x, "New and returning customers need at least two periods of data.",
		                 "Для новых и вернувшихся покупателей нужны данные хотя бы за два "
		                 "периода."));
		return;
	}
	double *nw = vec(x, n), *ret = vec(x, n), *rn = vec(x, n), *rr = vec(x, n),
	       *share = vec(x, n);
	if (nw && ret && rn && rr && share) {
		for (size_t i = 0; i < n; i++) {
			const struct rebuy_period_row *p = &s->periods[i];
			nw[i] = (double)p->N;
			ret[i] = (double)(p->E - p->N);
			rn[i] = money(p->revenue_new);
			rr[i] = money(p->revenue_returning);
			share[i] = ratio(rr[i], money(p->revenue));
		}
		open_charts(x);
		struct rebuy_chart_series cs[2] = {
		        {.name = tr(x, "New", "Новые"), .n = n, .y = nw},
		        {.name = tr(x, "Returning", "Вернувшиеся"), .n = n, .y = ret},
		};
		struct rebuy_chart c = {.kind = REBUY_CHART_STACKED,
		                        .id = "growth-customers",
		                        .title = tr(x, "New and returning customers per period",
		                                    "Новые и вернувшиеся покупатели по периодам"),
		                        .n_categories = n,
		                        .categories = (const char *const *)x->period_labels,
		                        .n_series = 2,
		                        .series = cs,
		                        .y = {.fmt = REBUY_NUM_COMPACT}};
		rpt_figure(x, &c,
		           tr(x, "Active customers per period: new (first purchase in the period) and "
		                 "returning (bought before).",
		              "Активные покупатели по периодам: новые (первая покупка в периоде) и "
		              "вернувшиеся (покупали раньше)."));
		if (s->has_amount) {
			struct rebuy_chart_series rs[2] = {
			        {.name = tr(x, "From new customers", "От новых"), .n = n, .y = rn},
			        {.name = tr(x, "From returning customers", "От вернувшихся"),
			         .n = n,
			         .y = rr},
			};
			struct rebuy_chart r = c;
			r.id = "growth-revenue";
			r.title = tr(x, "Revenue from new and returning customers",
			             "Выручка от новых и вернувшихся покупателей");
			r.series = rs;
			rpt_figure(x, &r,
			           tr(x, "Revenue per period by whether the customer's first purchase "
			                 "is in the period.",
			              "Выручка по периодам: от покупателей, чья первая покупка в этом "
			              "периоде, и от остальных."));
			struct rebuy_chart_series ss = {
			        .name = tr(x, "Repeat revenue share", "Доля повторной выручки"),
			        .n = n,
			        .y = share};
			struct rebuy_chart l = {.kind = REBUY_CHART_LINES,
			                        .id = "growth-repeat-share",
			                        .title = tr(x, "Share of revenue from returning customers",
			                                    "Доля выручки от вернувшихся покупателей"),
			                        .height = 240,
			                        .n_categories = n,
			                        .categories = (const char *const *)x->period_labels,
			                        .n_series = 1,
			                        .series = &ss,
			                        .y = {.fmt = REBUY_NUM_PERCENT, .has_min = 1, .min = 0}};
			rpt_figure(x, &l,
			           tr(x, "Revenue from returning customers / revenue, per period.",
			              "Выручка от вернувшихся покупателей / выручка, по периодам."));
		}
		close_div(x);
		if (s->has_amount) {
			rpt_puts(x, "<p class=\"rb-big\">");
			rpt_text(x, tr(x, "Over the whole window, ", "За всё окно "));
			rpt_data_num(x, "repeat_revenue_share", s->repeat_revenue_share,
			             REBUY_NUM_PERCENT, 1);
			rpt_text(x, tr(x, " of revenue came from purchases after a customer's first day.",
			               " выручки пришлось на покупки после первого дня покупателя."));
			rpt_puts(x, "</p>\n");
		}
	}
	rebuy__free(nw);
	rebuy__free(ret);
	rebuy__free(rn);
	rebuy__free(rr);
	rebuy__free(share);
}

/* ---- retention ---- */

static void sec_retention(struct rpt *x)
{
	const struct rebuy_summary *s = x->sum;
	size_t n = s->n_periods;
	if (n < 3) {
		rpt_absent(x, tr(x, "Retention needs at least three periods of data.",
		                 "Для удержания нужны данные хотя бы за три периода."));
		return;
	}
	double *crr = vec(x, n), *strict = vec(x, n), *kept = vec(x, n), *back = vec(x, n),
	       *nw = vec(x, n);
	if (crr && strict && kept && back && nw) {
		for (size_t i = 0; i < n; i++) {
			const struct rebuy_period_row *p = &s->periods[i];
			crr[i] = i ? p->crr : NAN;
			strict[i] = i ? p->strict_retention : NAN;
			kept[i] = (double)p->retained;
			back[i] = (double)p->reactivated;
			nw[i] = (double)p->N;
		}
		open_charts(x);
		struct rebuy_chart_series ls[2] = {
		        {.name = tr(x, "Textbook retention (E-N)/S", "Классическое удержание (E-N)/S"),
		         .n = n,
		         .y = crr},
		        {.name = tr(x, "Strict retention", "Строгое удержание"),
		         .n = n,
		         .y = strict,
		         .dashed = 1},
		};
		struct rebuy_chart l = {.kind = REBUY_CHART_LINES,
		                        .id = "retention-rates",
		                        .title = tr(x, "Retention rates per period",
		                                    "Показатели удержания по периодам"),
		                        .n_categories = n,
		                        .categories = (const char *const *)x->period_labels,
		                        .n_series = 2,
		                        .series = ls,
		                        .y = {.fmt = REBUY_NUM_PERCENT, .has_min = 1, .min = 0}};
		rpt_figure(x, &l,
		           tr(x, "Textbook rate: (active - new) / active in the period before. Strict: "
		                 "bought in both periods / active in the period before.",
		              "Классический показатель: (активные - новые) / активные в прошлом "
		              "периоде. Строгий: купившие в обоих периодах / активные в прошлом "
		              "периоде."));
		/* New first, in the colour it has in the growth section. */
		struct rebuy_chart_series bs[3] = {
		        {.name = tr(x, "New", "Новые"), .n = n, .y = nw},
		        {.name = tr(x, "Retained", "Удержанные"), .n = n, .y = kept},
		        {.name = tr(x, "Reactivated", "Вернувшиеся после паузы"), .n = n, .y = back},
		};
		struct rebuy_chart b = {.kind = REBUY_CHART_STACKED,
		                        .id = "retention-composition",
		                        .title = tr(x, "Who the active customers are",
		                                    "Из кого состоят активные покупатели"),
		                        .n_categories = n,
		                        .categories = (const char *const *)x->period_labels,
		                        .n_series = 3,
		                        .series = bs,
		                        .y = {.fmt = REBUY_NUM_COMPACT}};
		rpt_figure(x, &b,
		           tr(x, "Active customers per period: new, retained from the period before, "
		                 "and reactivated after a gap of a period or more.",
		              "Активные покупатели по периодам: новые, удержанные с прошлого периода и "
		              "вернувшиеся после паузы в период и более."));
		close_div(x);
		rpt_note(x, tr(x, "Why the textbook rate can exceed 100%: its numerator counts everyone "
		                  "active who is not new, including customers coming back after a pause, "
		                  "while its denominator counts only last period's customers. Strict "
		                  "retention counts only customers who bought in both periods.",
		               "Почему классический показатель бывает больше 100%: в числителе все "
		               "активные, кроме новых, в том числе вернувшиеся после паузы, а в "
		               "знаменателе только покупатели прошлого периода. Строгое удержание "
		               "считает лишь купивших в обоих периодах."));
		/* The last periods as a table. */
		size_t from = n > 12 ? n - 12 : 1;
		rpt_printf(x,
		           "<div class=\"rb-table-wrap\"><table class=\"rb-table\"><thead><tr><th>%s"
		           "</th><th>E</th><th>N</th><th>S</th><th>%s</th><th>%s</th><th>%s</th>"
		           "<th>%s</th></tr></thead><tbody>",
		           tr(x, "Period", "Период"), tr(x, "Retained", "Удержанные"),
		           tr(x, "Reactivated", "Вернувшиеся"), tr(x, "Textbook", "Классическое"),
		           tr(x, "Strict", "Строгое"));
		for (size_t i = from; i < n; i++) {
			const struct rebuy_period_row *p = &s->periods[i];
			rpt_printf(x, "<tr><td>%s</td>", x->period_labels[i]);
			rpt_printf(x, "<td>%s</td>", rpt_num(x, (double)p->E, REBUY_NUM_INT, 0));
			rpt_printf(x, "<td>%s</td>", rpt_num(x, (double)p->N, REBUY_NUM_INT, 0));
			rpt_printf(x, "<td>%s</td>", rpt_num(x, (double)p->S, REBUY_NUM_INT, 0));
			rpt_printf(x, "<td>%s</td>", rpt_num(x, (double)p->retained, REBUY_NUM_INT, 0));
			rpt_printf(x, "<td>%s</td>", rpt_num(x, (double)p->reactivated, REBUY_NUM_INT, 0));
			rpt_printf(x, "<td>%s</td>", rpt_num(x, p->crr, REBUY_NUM_PERCENT, 1));
			rpt_printf(x, "<td>%s</td></tr>", rpt_num(x, p->strict_retention, REBUY_NUM_PERCENT, 1));
		}
		rpt_puts(x, "</tbody></table></div>\n");
		const char *defs[] = {
		        "E", tr(x, "customers with a purchase in the period", "покупатели с покупкой в периоде"),
		        "N", tr(x, "customers whose first purchase is in the period",
		                "покупатели, чья первая покупка в периоде"),
		        "S", tr(x, "customers with a purchase in the period before",
		                "покупатели с покупкой в прошлом периоде"),
		        tr(x, "Textbook retention", "Классическое удержание"), "(E - N) / S",
		        tr(x, "Strict retention", "Строгое удержание"),
		        tr(x, "customers in both the period before and this one / S",
		           "покупатели и прошлого, и этого периода / S"),
		        tr(x, "Reactivated", "Вернувшиеся после паузы"),
		        tr(x, "E - N - retained: back after a gap of one period or more",
		           "E - N - удержанные: вернулись после паузы в период и более"),
		};
		rpt_definitions(x, defs, sizeof defs / sizeof *defs / 2);
	}
	rebuy__free(crr);
	rebuy__free(strict);
	rebuy__free(kept);
	rebuy__free(back);
	rebuy__free(nw);
}

/* ---- cohorts ---- */

#define MAX_COHORT_ROWS 24
#define MAX_COHORT_COLS 24
#define MAX_LTV_LINES 6

static int cell_complete(const struct rebuy_cohort *c, size_t k)
{
	return k < c->n_offsets && !(c->has_partial && k >= c->partial_from);
}

static void sec_cohorts(struct rpt *x)
{
	const struct rebuy_cohorts *h = x->coh;
	/* The most recent cohorts that have customers. */
	size_t idx[MAX_COHORT_ROWS], nr = 0;
	for (size_t i = h->n_cohorts; i-- > 0 && nr < MAX_COHORT_ROWS;)
		if (h->cohorts[i].size > 0)
			idx[nr++] = i;
	size_t ncol = h->n_offsets > 1 ? h->n_offsets - 1 : 0;
	if (ncol > MAX_COHORT_COLS)
		ncol = MAX_COHORT_COLS;
	if (nr < 2 || ncol == 0) {
		rpt_absent(x, tr(x, "Cohorts need customers starting in at least two periods and a "
		                    "period after them.",
		                 "Для когорт нужны покупатели, начавшие хотя бы в двух периодах, и "
		                 "период после них."));
		return;
	}
	double *cells = vec(x, nr * ncol);
	char(*rows)[32] = rebuy__malloc(nr * sizeof *rows);
	char(*notes)[64] = rebuy__malloc(nr * sizeof *notes);
	char(*cols)[8] = rebuy__malloc((MAX_COHORT_COLS + 1) * sizeof *cols);
	const char *rp[MAX_COHORT_ROWS], *np[MAX_COHORT_ROWS], *cp[MAX_COHORT_COLS + 1];
	size_t nl = x->ltv ? x->ltv->n_offsets : 0;
	if (nl > MAX_COHORT_COLS + 1)
		nl = MAX_COHORT_COLS + 1;
	struct rebuy_chart_series ls[MAX_LTV_LINES + 1];
	double *lv = vec(x, (MAX_LTV_LINES + 1) * (nl ? nl : 1));
	if (!cells || !rows || !notes || !cols || !lv) {
		x->b->failed = 1;
		goto done;
	}
	for (size_t j = 0; j <= MAX_COHORT_COLS; j++) {
		snprintf(cols[j], sizeof cols[j], "%zu", j);
		cp[j] = cols[j];
	}
	/* Oldest at the top. */
	for (size_t r = 0; r < nr; r++) {
		const struct rebuy_cohort *c = &h->cohorts[idx[nr - 1 - r]];
		rebuy_period_label(h->period, c->index, rows[r], sizeof rows[r]);
		snprintf(notes[r], sizeof notes[r], "%s %s", rpt_num(x, (double)c->size, REBUY_NUM_INT, 0),
		         tr(x, "customers", "покупателей"));
		rp[r] = rows[r];
		np[r] = notes[r];
		for (size_t j = 0; j < ncol; j++)
			cells[r * ncol + j] = cell_complete(c, j + 1) ? c->values[j + 1] : NAN;
	}
	open_charts(x);
	struct rebuy_chart hm = {.kind = REBUY_CHART_HEATMAP,
	                         .id = "cohort-retention",
	                         .title = tr(x, "Share of each cohort buying again, by period since "
	                                        "the first purchase",
	                                     "Доля когорты, купившей снова, по периодам после первой "
	                                     "покупки"),
	                         .height = (int)(nr < 4 ? 160 : 70 + 22 * nr),
	                         .n_categories = ncol,
	                         .categories = cp + 1,
	                         .n_rows = nr,
	                         .row_labels = rp,
	                         .row_notes = np,
	                         .cells = cells,
	                         .cell_fmt = REBUY_NUM_PERCENT,
	                         .cell_decimals = 0,
	                         .x = {.label = tr(x, "periods since the first purchase",
	                                           "периодов после первой покупки")}};
	rpt_figure(x, &hm,
	           tr(x, "Each row is the customers whose first purchase fell in that period; a cell "
	                 "is the share of them buying in the k-th period after it (complete periods "
	                 "only).",
	              "Строка: покупатели с первой покупкой в этом периоде; ячейка: доля из них, "
	              "купивших в k-м периоде после него (только полные периоды)."));
	if (x->ltv && nl > 1) {
		const struct rebuy_cohorts *v = x->ltv;
		size_t ns = 0;
		/* The average first, then the most recent cohorts with two complete cells or more. */
		double *avg = lv;
		for (size_t k = 0; k < nl; k++)
			avg[k] = v->average[k];
		ls[ns++] = (struct rebuy_chart_series){
		        .name = tr(x, "All cohorts", "Все когорты"), .n = nl, .y = avg, .emphasis = 1};
		for (size_t i = v->n_cohorts; i-- > 0 && ns <= MAX_LTV_LINES;) {
			const struct rebuy_cohort *c = &v->cohorts[i];
			if (c->size == 0 || !cell_complete(c, 1))
				continue;
			double *y = lv + ns * nl;
			for (size_t k = 0; k < nl; k++)
				y[k] = cell_complete(c, k) ? c->values[k] : NAN;
			/* The label text lives in the notes buffer's spare room: reuse rows[]. */
			ls[ns] = (struct rebuy_chart_series){.n = nl, .y = y};
			for (size_t r = 0; r < nr; r++)
				if (h->cohorts[idx[nr - 1 - r]].index == c->index)
					ls[ns].name = rows[r];
			if (!ls[ns].name)
				continue;
			ns++;
		}
		struct rebuy_chart lc = {.kind = REBUY_CHART_LINES,
		                         .id = "cohort-ltv",
		                         .title = tr(x, "Realized LTV per customer by cohort",
		                                     "Накопленная LTV на покупателя по когортам"),
		                         .n_categories = nl,
		                         .categories = cp,
		                         .n_series = ns,
		                         .series = ls,
		                         .x = {.label = tr(x, "periods since the first purchase",
		                                           "периодов после первой покупки")},
		                         .y = {.fmt = REBUY_NUM_COMPACT, .has_min = 1, .min = 0}};
		rpt_figure(x, &lc,
		           tr(x, "Revenue per cohort customer summed over the periods since the first "
		                 "purchase (the thick line: all cohorts together; complete periods "
		                 "only).",
		              "Выручка на покупателя когорты, накопленная по периодам после первой "
		              "покупки (толстая линия: все когорты вместе; только полные периоды)."));
	}
	close_div(x);
	{
		const char *defs[] = {
		        tr(x, "Cohort", "Когорта"),
		        tr(x, "the customers whose first purchase falls in one period",
		           "покупатели, чья первая покупка пришлась на один период"),
		        tr(x, "Retention cell", "Ячейка удержания"),
		        tr(x, "customers of the cohort with a purchase in period k after the first / "
		              "cohort size",
		           "покупатели когорты с покупкой в k-м периоде после первого / размер когорты"),
		        tr(x, "Realized LTV", "Накопленная LTV"),
		        tr(x, "revenue of the cohort in periods 0..k / cohort size",
		           "выручка когорты в периодах 0..k / размер когорты"),
		};
		rpt_definitions(x, defs, sizeof defs / sizeof *defs / 2);
	}
done:
	rebuy__free(cells);
	rebuy__free(rows);
	rebuy__free(notes);
	rebuy__free(cols);
	rebuy__free(lv);
}

/* ---- distributions ---- */

/* A bin width from 1, 2, 5, 7, 10, 14, 30, ... days that gives at most
 * max_bins bins up to `upto`. */
static uint64_t day_bin(double upto, size_t max_bins)
{
	static const uint64_t w[] = {1, 2, 5, 7, 10, 14, 15, 30, 60, 90, 180, 365, 730, 1825, 3650};
	for (size_t i = 0; i < sizeof w / sizeof *w; i++)
		if ((upto + 1) / (double)w[i] <= (double)max_bins)
			return w[i];
	return (uint64_t)ceil((upto + 1) / (double)max_bins);
}

static void day_histogram(struct rpt *x, const char *id, const char *title, const uint64_t *hist,
                          size_t len, uint64_t n, double median, const char *caption)
{
	double p99 = rebuy_hist_quantile(hist, len, NULL, 0, 0.99);
	if (!(n > 0) || !(p99 == p99))
		return;
	uint64_t w = day_bin(p99, 30);
	size_t nb = (size_t)(p99 / (double)w) + 1;
	double *edges = vec(x, nb + 1), *y = vec(x, nb);
	if (!edges || !y) {
		rebuy__free(edges);
		rebuy__free(y);
		return;
	}
	uint64_t shown = 0;
	for (size_t b = 0; b <= nb; b++)
		edges[b] = (double)(b * w);
	for (size_t b = 0; b < nb; b++) {
		uint64_t s = 0;
		for (size_t k = b * w; k < (b + 1) * w && k < len; k++)
			s += hist[k];
		y[b] = (double)s;
		shown += s;
	}
	struct rebuy_chart_series ser = {.name = title, .n = nb, .y = y};
	char mlabel[96];
	snprintf(mlabel, sizeof mlabel, "%s %s", tr(x, "median", "медиана"),
	         rpt_num(x, median, REBUY_NUM_DECIMAL, 1));
	struct rebuy_chart c = {.kind = REBUY_CHART_HISTOGRAM,
	                        .id = id,
	                        .title = title,
	                        .n_categories = nb,
	                        .n_series = 1,
	                        .series = &ser,
	                        .edges = edges,
	                        .marker = median,
	                        .marker_label = mlabel,
	                        .x = {.label = tr(x, "days", "дней"), .fmt = REBUY_NUM_INT},
	                        .y = {.fmt = REBUY_NUM_COMPACT}};
	char cap[512];
	if (n > shown)
		snprintf(cap, sizeof cap, "%s %s %s %s.", caption, rpt_num(x, (double)(n - shown), REBUY_NUM_INT, 0),
		         tr(x, "above", "больше"), rpt_num(x, edges[nb], REBUY_NUM_INT, 0));
	else
		snprintf(cap, sizeof cap, "%s", caption);
	rpt_figure(x, &c, cap);
	rebuy__free(edges);
	rebuy__free(y);
}

static void sec_distributions(struct rpt *x)
{
	const struct rebuy_summary *s = x->sum;
	open_charts(x);
	if (s->n_gaps > 0) {
		day_histogram(x, "dist-gaps", tr(x, "Days between purchases", "Дней между покупками"),
		              s->gap_hist, s->gap_hist_len, s->n_gaps, s->median_days_between_purchases,
		              tr(x, "Gaps between consecutive purchase days of a customer; not shown:",
		                 "Промежутки между соседними днями покупок покупателя; не показаны:"));
		day_histogram(x, "dist-second",
		              tr(x, "Days to the second purchase", "Дней до второй покупки"),
		              s->second_hist, s->gap_hist_len, s->repeat_customers_days,
		              s->median_days_to_second_purchase,
		              tr(x, "From the first to the second purchase day; not shown:",
		                 "От первого до второго дня покупки; не показаны:"));
	}
	/* Orders per customer: 1 .. 9 and 10+. */
	static const char *const cats[] = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10+"};
	double y[10] = {0};
	for (size_t k = 1; k < REBUY_ORDERS_HIST; k++)
		y[k < 10 ? k - 1 : 9] += (double)s->orders_hist[k];
	y[9] += (double)s->n_orders_tail;
	struct rebuy_chart_series ser = {.name = tr(x, "Customers", "Покупатели"), .n = 10, .y = y};
	struct rebuy_chart c = {.kind = REBUY_CHART_BARS,
	                        .id = "dist-orders",
	                        .title = tr(x, "Customers by number of orders",
	                                    "Покупатели по числу заказов"),
	                        .n_categories = 10,
	                        .categories = cats,
	                        .n_series = 1,
	                        .series = &ser,
	                        .x = {.label = tr(x, "orders", "заказов")},
	                        .y = {.fmt = REBUY_NUM_COMPACT}};
	rpt_figure(x, &c,
	           tr(x, "How many customers placed 1, 2, ... orders: the first bar is the one-time "
	                 "buyers.",
	              "Сколько покупателей сделали 1, 2, ... заказа: первый столбец — купившие один "
	              "раз."));
	close_div(x);
	rpt_puts(x, "<p class=\"rb-big\">");
	rpt_data_count(x, "repeat_customers", s->repeat_customers);
	rpt_text(x, tr(x, " customers ordered twice or more (", " покупателей заказали дважды и более ("));
	rpt_data_num(x, "repeat_purchase_rate", s->repeat_purchase_rate, REBUY_NUM_PERCENT, 1);
	rpt_text(x, tr(x, "); the typical gap between purchases is ",
	               "); обычный промежуток между покупками — "));
	rpt_data_num(x, "median_days_between_purchases", s->median_days_between_purchases,
	             REBUY_NUM_DECIMAL, 1);
	rpt_text(x, tr(x, " days, and the mean ", " дн., средний — "));
	rpt_data_num(x, "mean_days_between_purchases", s->mean_days_between_purchases,
	             REBUY_NUM_DECIMAL, 1);
	rpt_text(x, tr(x, " days.", " дн."));
	rpt_puts(x, "</p>\n");
}

/* ---- RFM ---- */

static const char *segment_label(struct rpt *x, const char *name)
{
	static const char *const names[][3] = {
	        {"champions", "Champions", "Чемпионы"},
	        {"loyal", "Loyal", "Лояльные"},
	        {"potential_loyalists", "Potential loyalists", "Потенциально лояльные"},
	        {"new_customers", "New customers", "Новые"},
	        {"promising", "Promising", "Перспективные"},
	        {"need_attention", "Need attention", "Требуют внимания"},
	        {"about_to_sleep", "About to sleep", "Засыпающие"},
	        {"cant_lose", "Can't lose", "Нельзя потерять"},
	        {"at_risk", "At risk", "В зоне риска"},
	        {"hibernating", "Hibernating", "Спящие"},
	        {"other", "Other", "Прочие"},
	};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(name, names[i][0]) == 0)
			return tr(x, names[i][1], names[i][2]);
	return name;
}

static void sec_rfm(struct rpt *x)
{
	const struct rebuy_rfm *r = x->rfm;
	unsigned B = r->bins;
	if (r->n_customers == 0 || B == 0 || B > REBUY_RFM_BINS_MAX) {
		rpt_absent(x, tr(x, "No customer bought before the as-of date.",
		                 "Никто не покупал до отчётной даты."));
		return;
	}
	double cnt[REBUY_RFM_BINS_MAX * REBUY_RFM_BINS_MAX] = {0};
	double rev[REBUY_RFM_BINS_MAX * REBUY_RFM_BINS_MAX] = {0};
	double total_rev = 0;
	for (size_t i = 0; i < r->n_ids; i++) {
		const struct rebuy_rfm_customer *c = &r->customers[i];
		if (c->frequency == 0)
			continue;
		/* Rows: R from B (recent) at the top down to 1. */
		size_t cell = (size_t)(B - c->r) * B + (size_t)(c->f - 1);
		cnt[cell] += 1;
		rev[cell] += money(c->monetary);
		total_rev += money(c->monetary);
	}
	for (size_t i = 0; i < (size_t)B * B; i++)
		rev[i] = ratio(rev[i], total_rev);
	char rl[REBUY_RFM_BINS_MAX][24], cl[REBUY_RFM_BINS_MAX][8];
	const char *rp[REBUY_RFM_BINS_MAX], *cp[REBUY_RFM_BINS_MAX];
	for (unsigned i = 0; i < B; i++) {
		snprintf(rl[i], sizeof rl[i], "R %u", B - i);
		snprintf(cl[i], sizeof cl[i], "F %u", i + 1);
		rp[i] = rl[i];
		cp[i] = cl[i];
	}
	open_charts(x);
	struct rebuy_chart hm = {.kind = REBUY_CHART_HEATMAP,
	                         .id = "rfm-grid-customers",
	                         .title = tr(x, "Customers by recency and frequency score",
	                                     "Покупатели по оценкам давности и частоты"),
	                         .width = 480,
	                         .height = 300,
	                         .n_categories = B,
	                         .categories = cp,
	                         .n_rows = B,
	                         .row_labels = rp,
	                         .cells = cnt,
	                         .cell_fmt = REBUY_NUM_COMPACT};
	rpt_figure(x, &hm,
	           tr(x, "Customers in each R x F cell: R 5 bought most recently, F 5 most often.",
	              "Покупатели в каждой ячейке R x F: R 5 — покупали недавно, F 5 — чаще всех."));
	if (r->has_amount) {
		struct rebuy_chart hr = hm;
		hr.id = "rfm-grid-revenue";
		hr.title = tr(x, "Share of revenue by recency and frequency score",
		              "Доля выручки по оценкам давности и частоты");
		hr.cells = rev;
		hr.cell_fmt = REBUY_NUM_PERCENT;
		rpt_figure(x, &hr,
		           tr(x, "Each cell's share of all these customers' revenue.",
		              "Доля ячейки во всей выручке этих покупателей."));
	}
	size_t ns = r->n_segments;
	double *cs = vec(x, ns), *rs = vec(x, ns);
	const char **names = rebuy__malloc((ns ? ns : 1) * sizeof *names);
	if (cs && rs && names) {
		for (size_t i = 0; i < ns; i++) {
			cs[i] = r->segments[i].share;
			rs[i] = r->segments[i].revenue_share;
			names[i] = segment_label(x, r->segments[i].name);
		}
		struct rebuy_chart_series bs[2] = {
		        {.name = tr(x, "Share of customers", "Доля покупателей"), .n = ns, .y = cs},
		        {.name = tr(x, "Share of revenue", "Доля выручки"), .n = ns, .y = rs},
		};
		struct rebuy_chart b = {.kind = REBUY_CHART_BARS,
		                        .id = "rfm-segments",
		                        .title = tr(x, "Segments: customers and revenue",
		                                    "Сегменты: покупатели и выручка"),
		                        .n_categories = ns,
		                        .categories = names,
		                        .n_series = r->has_amount ? 2 : 1,
		                        .series = bs,
		                        .y = {.fmt = REBUY_NUM_PERCENT}};
		rpt_figure(x, &b,
		           tr(x, "Each segment's share of the customers and of their revenue.",
		              "Доля каждого сегмента среди покупателей и в их выручке."));
	} else {
		x->b->failed = 1;
	}
	close_div(x);
	rpt_printf(x,
	           "<div class=\"rb-table-wrap\"><table class=\"rb-table\"><thead><tr><th>%s</th>"
	           "<th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
	           "</tr></thead><tbody>",
	           tr(x, "Segment", "Сегмент"), tr(x, "Customers", "Покупатели"),
	           tr(x, "Share", "Доля"), tr(x, "Revenue", "Выручка"),
	           tr(x, "Revenue share", "Доля выручки"),
	           tr(x, "Median days since last purchase", "Медиана дней с последней покупки"),
	           tr(x, "Median purchases", "Медиана покупок"),
	           tr(x, "Median revenue", "Медиана выручки"));
	for (size_t i = 0; i < ns && names; i++) {
		const struct rebuy_rfm_segment *g = &r->segments[i];
		rpt_puts(x, "<tr><td>");
		rpt_text(x, names[i]);
		rpt_printf(x, "</td><td>%s</td><td>%s</td>", rpt_num(x, (double)g->customers, REBUY_NUM_INT, 0),
		           rpt_num(x, g->share, REBUY_NUM_PERCENT, 1));
		rpt_printf(x, "<td>%s</td><td>%s</td>",
		           r->has_amount ? rpt_money(x, money(g->revenue)) : "\xe2\x80\x93",
		           rpt_num(x, g->revenue_share, REBUY_NUM_PERCENT, 1));
		rpt_printf(x, "<td>%s</td><td>%s</td><td>%s</td></tr>",
		           rpt_num(x, g->median_recency_days, REBUY_NUM_DECIMAL, 1),
		           rpt_num(x, g->median_frequency, REBUY_NUM_DECIMAL, 1),
		           r->has_amount ? rpt_money(x, g->median_monetary) : "\xe2\x80\x93");
	}
	rpt_puts(x, "</tbody></table></div>\n");
	const char *defs[] = {
	        "R", tr(x, "recency score 1..5 by days since the last purchase (5: most recent)",
	                "оценка давности 1..5 по дням с последней покупки (5: самые недавние)"),
	        "F", tr(x, "frequency score 1..5 by number of purchases (5: most)",
	                "оценка частоты 1..5 по числу покупок (5: больше всех)"),
	        tr(x, "Segment", "Сегмент"),
	        tr(x, "a named region of the R x F grid (docs/rfm.md lists the default map)",
	           "именованная область сетки R x F (карта по умолчанию — в docs/rfm.md)"),
	};
	rpt_definitions(x, defs, sizeof defs / sizeof *defs / 2);
	rebuy__free(cs);
	rebuy__free(rs);
	rebuy__free(names);
}

/* ---- the lifetime model ---- */

#define TOP_N 20
#define SCATTER_MAX 1500
#define WINBACK_P_ALIVE 0.3

/* Indices of the top n entries by key (descending, ties by entry order),
 * among those keep() accepts; returns how many. */
static size_t top_by(const double *key, const unsigned char *keep, size_t n_all, size_t *out,
                     size_t n)
{
	size_t got = 0;
	for (size_t i = 0; i < n_all; i++) {
		if ((keep && !keep[i]) || !(key[i] == key[i]))
			continue;
		if (got == n && !(key[i] > key[out[n - 1]]))
			continue;
		size_t j = got < n ? got++ : n - 1;
		while (j > 0 && key[i] > key[out[j - 1]]) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = i;
	}
	return got;
}

static void customer_table(struct rpt *x, const size_t *rows, size_t n)
{
	const struct rpt_model *m = &x->m;
	rpt_printf(x,
	           "<div class=\"rb-table-wrap\"><table class=\"rb-table\"><thead><tr><th>%s</th>"
	           "<th>%s</th><th>%s</th><th>%s</th><th>P(alive)</th><th>%s</th>%s</tr></thead>"
	           "<tbody>",
	           tr(x, "Customer", "Покупатель"), tr(x, "Orders", "Заказы"),
	           tr(x, "Revenue so far", "Выручка до сих пор"),
	           tr(x, "Last purchase", "Последняя покупка"),
	           tr(x, "Purchases next year", "Покупок за след. год"),
	           m->has_spend ? "<th>CLV</th>" : "");
	for (size_t i = 0; i < n; i++) {
		size_t k = rows[i];
		uint32_t c = m->cid[k];
		const struct rebuy_rfm_customer *rc = &x->rfm->customers[c];
		rpt_puts(x, "<tr><td>");
		rpt_text(x, m->data->keys[k]);
		rpt_printf(x, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>",
		           rpt_num(x, (double)rc->frequency, REBUY_NUM_INT, 0),
		           rpt_money(x, money(rc->monetary)),
		           rpt_day(x, x->rfm->as_of_day - rc->recency_days),
		           rpt_num(x, m->pred[k].p_alive, REBUY_NUM_PERCENT, 0),
		           rpt_num(x, m->pred[k].expected_purchases, REBUY_NUM_DECIMAL, 2));
		if (m->has_spend)
			rpt_printf(x, "<td>%s</td>", rpt_money(x, m->pred[k].clv));
		rpt_puts(x, "</tr>");
	}
	rpt_puts(x, "</tbody></table></div>\n");
}

static void model_choice(struct rpt *x)
{
	const struct rpt_model *m = &x->m;
	const char *name = rebuy_clv_model_title(m->cand[m->chosen]);
	rpt_puts(x, "<p class=\"rb-big\">");
	if (x->opt.has_model)
		rpt_printf(x, "%s <b>%s</b>.", tr(x, "The model asked for:", "Выбранная модель:"), name);
	else if (m->has_holdout)
		rpt_printf(x, "<b>%s</b> %s %s.", name,
		           tr(x, "predicted the holdout period best (smallest mean absolute error per "
		                 "customer); calibration up to",
		              "лучше предсказала контрольный период (меньшая средняя абсолютная "
		              "ошибка на покупателя); калибровка до"),
		           rpt_day(x, m->cal_end));
	else
		rpt_printf(x, "<b>%s</b> %s", name,
		           tr(x, "has the larger likelihood (the history is too short for a holdout "
		                 "check).",
		              "имеет большее правдоподобие (история слишком коротка для проверки на "
		              "контрольном периоде)."));
	rpt_puts(x, "</p>\n");
	rpt_printf(x,
	           "<div class=\"rb-table-wrap\"><table class=\"rb-table\"><thead><tr><th>%s</th>"
	           "<th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
	           tr(x, "Candidate", "Кандидат"), tr(x, "Log-likelihood", "Лог-правдоподобие"),
	           tr(x, "Holdout MAE", "MAE на контроле"), tr(x, "Holdout RMSE", "RMSE на контроле"));
	for (size_t i = 0; i < m->n_cand; i++) {
		rpt_printf(x, "<tr><td>%s%s</td>", rebuy_clv_model_title(m->cand[i]),
		           i == m->chosen ? " \xe2\x9c\x93" : "");
		if (m->cand_ok[i] || (m->has_holdout == 0 && i == m->chosen))
			rpt_printf(x, "<td>%s</td><td>%s</td><td>%s</td></tr>",
			           rpt_num(x, m->n_cand > 1 || m->has_holdout ? m->cal_fit[i].est.log_likelihood
			                                                      : m->fit.est.log_likelihood,
			                   REBUY_NUM_DECIMAL, 1),
			           rpt_num(x, m->mae[i], REBUY_NUM_DECIMAL, 3),
			           rpt_num(x, m->rmse[i], REBUY_NUM_DECIMAL, 3));
		else {
			rpt_puts(x, "<td colspan=\"3\">");
			rpt_text(x, m->cand_why[i]);
			rpt_puts(x, "</td></tr>");
		}
	}
	if (m->has_holdout)
		rpt_printf(x, "<tr><td>%s</td><td>\xe2\x80\x93</td><td>%s</td><td>\xe2\x80\x93</td></tr>",
		           tr(x, "Naive: calibration rate continued", "Наивный: прежний темп"),
		           rpt_num(x, m->mae_naive, REBUY_NUM_DECIMAL, 3));
	rpt_puts(x, "</tbody></table></div>\n");
	/* The final fit, one parameter a row. */
	const struct rebuy_clv_estimate *e = &m->fit.est;
	rpt_printf(x, "<h3>%s</h3>", tr(x, "Fitted to all the data (weeks)", "Оценка по всем данным (недели)"));
	rpt_printf(x,
	           "<div class=\"rb-table-wrap\"><table class=\"rb-table\"><thead><tr><th>%s</th>"
	           "<th>%s</th><th>%s</th></tr></thead><tbody>",
	           tr(x, "Parameter", "Параметр"), tr(x, "Estimate", "Оценка"),
	           tr(x, "Standard error", "Ст. ошибка"));
	for (int i = 0; i < e->n_params; i++)
		rpt_printf(x, "<tr><td>%s</td><td>%s</td><td>%s</td></tr>", e->names[i],
		           rpt_num(x, e->params[i], REBUY_NUM_DECIMAL, 4),
		           rpt_num(x, e->se[i], REBUY_NUM_DECIMAL, 4));
	if (m->has_spend)
		for (int i = 0; i < m->fit.spend.n_params; i++)
			rpt_printf(x, "<tr><td>%s %s</td><td>%s</td><td>%s</td></tr>",
			           tr(x, "spend", "траты"), m->fit.spend.names[i],
			           rpt_num(x, m->fit.spend.params[i], REBUY_NUM_DECIMAL, 4),
			           rpt_num(x, m->fit.spend.se[i], REBUY_NUM_DECIMAL, 4));
	rpt_printf(x, "<tr><td>%s</td><td>%s</td><td></td></tr>", tr(x, "Customers", "Покупатели"),
	           rpt_num(x, e->n_customers, REBUY_NUM_INT, 0));
	rpt_printf(x, "<tr><td>%s</td><td>%s</td><td></td></tr></tbody></table></div>\n",
	           tr(x, "Log-likelihood", "Лог-правдоподобие"),
	           rpt_num(x, e->log_likelihood, REBUY_NUM_DECIMAL, 1));
	if (!e->converged) {
		rpt_puts(x, "<p class=\"rb-note\">");
		rpt_text(x, tr(x, "The fit did not converge: ", "Оценка не сошлась: "));
		rpt_text(x, e->status);
		rpt_puts(x, "</p>\n");
	} else if (strcmp(e->status, "converged") != 0) {
		rpt_note(x, e->status);
	}
	if (m->spend_why[0])
		rpt_note(x, m->spend_why);
}

static void sec_model(struct rpt *x)
{
	struct rpt_model *m = &x->m;
	if (!m->ok) {
		rpt_absent(x, m->why[0] ? m->why
		                        : tr(x, "No lifetime model could be fitted.",
		                             "Модель жизненного цикла оценить не удалось."));
		return;
	}
	size_t n = m->data->n;
	open_charts(x);
	if (m->has_holdout && m->holdout) {
		const struct rebuy_clv_holdout *h = m->holdout;
		static const char *const cats[] = {"0", "1", "2", "3", "4", "5", "6", "7+"};
		double act[REBUY_CLV_HOLDOUT_BINS], exp_[REBUY_CLV_HOLDOUT_BINS];
		for (size_t i = 0; i < REBUY_CLV_HOLDOUT_BINS; i++) {
			act[i] = h->by_x[i].actual;
			exp_[i] = h->by_x[i].expected;
		}
		struct rebuy_chart_series bs[2] = {
		        {.name = tr(x, "Actual", "Факт"), .n = REBUY_CLV_HOLDOUT_BINS, .y = act},
		        {.name = tr(x, "Expected by the model", "Ожидание модели"),
		         .n = REBUY_CLV_HOLDOUT_BINS,
		         .y = exp_},
		};
		struct rebuy_chart b = {.kind = REBUY_CHART_BARS,
		                        .id = "model-holdout",
		                        .title = tr(x, "Holdout purchases by calibration purchases",
		                                    "Покупки в контрольном периоде по покупкам калибровки"),
		                        .n_categories = REBUY_CLV_HOLDOUT_BINS,
		                        .categories = cats,
		                        .n_series = 2,
		                        .series = bs,
		                        .x = {.label = tr(x, "repeat purchases in the calibration period",
		                                          "повторных покупок в калибровке")},
		                        .y = {.fmt = REBUY_NUM_DECIMAL, .decimals = 1}};
		rpt_figure(x, &b,
		           tr(x, "Mean purchases per customer in the holdout period, grouped by the "
		                 "customer's repeat purchases in the calibration period.",
		              "Среднее число покупок на покупателя в контрольном периоде по числу его "
		              "повторных покупок в калибровке."));
		size_t nt = h->n_tracking;
		double *ta = vec(x, nt), *te = vec(x, nt);
		char(*lab)[16] = rebuy__malloc((nt ? nt : 1) * sizeof *lab);
		const char **lp = rebuy__malloc((nt ? nt : 1) * sizeof *lp);
		if (ta && te && lab && lp && nt > 1) {
			double marker = NAN;
			for (size_t i = 0; i < nt; i++) {
				ta[i] = h->tracking[i].actual_cum;
				te[i] = h->tracking[i].expected_cum;
				rpt_day_into(x->lang, h->tracking[i].day, lab[i], sizeof lab[i]);
				lp[i] = lab[i];
				if (marker != marker && h->tracking[i].day >= m->cal_end)
					marker = (double)i;
			}
			struct rebuy_chart_series ls[2] = {
			        {.name = tr(x, "Actual", "Факт"), .n = nt, .y = ta},
			        {.name = tr(x, "Expected by the model", "Ожидание модели"),
			         .n = nt,
			         .y = te,
			         .dashed = 1},
			};
			struct rebuy_chart l = {.kind = REBUY_CHART_LINES,
			                        .id = "model-tracking",
			                        .title = tr(x, "Cumulative repeat purchases: actual and "
			                                       "expected",
			                                    "Накопленные повторные покупки: факт и ожидание"),
			                        .n_categories = nt,
			                        .categories = lp,
			                        .n_series = 2,
			                        .series = ls,
			                        .marker = marker,
			                        .marker_label = marker == marker
			                                                ? tr(x, "calibration end",
			                                                     "конец калибровки")
			                                                : NULL,
			                        .y = {.fmt = REBUY_NUM_COMPACT, .has_min = 1, .min = 0}};
			rpt_figure(x, &l,
			           tr(x, "Repeat purchases of the calibration customers, week by week, "
			                 "against the model fitted to the calibration period only.",
			              "Повторные покупки покупателей калибровки по неделям против модели, "
			              "оценённой только на калибровке."));
		} else if (!(ta && te && lab && lp)) {
			x->b->failed = 1;
		}
		rebuy__free(ta);
		rebuy__free(te);
		rebuy__free(lab);
		rebuy__free(lp);
	}
	/* P(alive) in 20 bins. */
	double edges[21], pa[20] = {0};
	for (int i = 0; i <= 20; i++)
		edges[i] = i / 20.0;
	for (size_t k = 0; k < n; k++) {
		double p = m->pred[k].p_alive;
		if (p == p)
			pa[p >= 1 ? 19 : (int)(p * 20)] += 1;
	}
	struct rebuy_chart_series ps = {.name = tr(x, "Customers", "Покупатели"), .n = 20, .y = pa};
	struct rebuy_chart ph = {.kind = REBUY_CHART_HISTOGRAM,
	                         .id = "model-p-alive",
	                         .title = tr(x, "P(alive) of the customers", "P(alive) покупателей"),
	                         .n_categories = 20,
	                         .n_series = 1,
	                         .series = &ps,
	                         .edges = edges,
	                         .x = {.label = "P(alive)", .fmt = REBUY_NUM_PERCENT},
	                         .y = {.fmt = REBUY_NUM_COMPACT}};
	rpt_figure(x, &ph,
	           tr(x, "The model's probability that each customer is still a customer (has not "
	                 "dropped out) as of the end of the data.",
	              "Вероятность по модели, что покупатель ещё активен (не ушёл) на конец данных."));
	double *clv = NULL, *past = NULL;
	if (m->has_spend && (clv = vec(x, n)) && (past = vec(x, n))) {
		for (size_t k = 0; k < n; k++) {
			clv[k] = m->pred[k].clv;
			past[k] = money(x->rfm->customers[m->cid[k]].monetary);
		}
		/* CLV up to its 99th percentile in 20 bins: the percentile from a
		 * 1000-bin histogram of [0, max], to a thousandth of the max. */
		double mx = 0, hi = 0;
		size_t n_fin = 0;
		for (size_t k = 0; k < n; k++) {
			if (!(clv[k] == clv[k]))
				continue;
			n_fin++;
			if (clv[k] > mx)
				mx = clv[k];
		}
		uint64_t *hb = rebuy__calloc(1000, sizeof *hb);
		if (!hb) {
			x->b->failed = 1;
		} else if (mx > 0) {
			for (size_t k = 0; k < n; k++)
				if (clv[k] == clv[k])
					hb[clv[k] >= mx ? 999 : clv[k] <= 0 ? 0 : (size_t)(clv[k] / mx * 1000)]++;
			uint64_t want = (uint64_t)ceil(0.99 * (double)n_fin), acc = 0;
			for (size_t k = 0; k < 1000 && !(hi > 0); k++)
				if ((acc += hb[k]) >= want)
					hi = mx * (double)(k + 1) / 1000;
		}
		rebuy__free(hb);
		if (!(hi > 0))
			hi = mx > 0 ? mx : 1;
		/* 20 bins or fewer of a 1-2-5 width. */
		double step = pow(10, floor(log10(hi / 20)));
		if (hi / step > 100)
			step *= 5;
		else if (hi / step > 40)
			step *= 2;
		int nbins = (int)ceil(hi / step - 1e-9);
		if (nbins < 1)
			nbins = 1;
		if (nbins > 20)
			nbins = 20;
		hi = step * nbins;
		double ce[21], cy[20] = {0};
		for (int i = 0; i <= nbins; i++)
			ce[i] = step * i;
		size_t over = 0;
		for (size_t k = 0; k < n; k++) {
			double v = clv[k];
			if (!(v == v))
				continue;
			if (v > hi) {
				over++;
				continue;
			}
			int b = v <= 0 ? 0 : (int)(v / step);
			cy[b < nbins ? b : nbins - 1] += 1;
		}
		struct rebuy_chart_series cs = {.name = tr(x, "Customers", "Покупатели"),
		                                .n = (size_t)nbins,
		                                .y = cy};
		char clabel[128];
		snprintf(clabel, sizeof clabel, "CLV, %s", tr(x, "next", "след."));
		struct rebuy_chart ch = {.kind = REBUY_CHART_HISTOGRAM,
		                         .id = "model-clv",
		                         .title = tr(x, "Customer lifetime value", "Пожизненная ценность (CLV)"),
		                         .n_categories = (size_t)nbins,
		                         .n_series = 1,
		                         .series = &cs,
		                         .edges = ce,
		                         .x = {.label = "CLV", .fmt = REBUY_NUM_COMPACT},
		                         .y = {.fmt = REBUY_NUM_COMPACT}};
		char cap[400];
		snprintf(cap, sizeof cap, "%s %s %s; %s %s.",
		         tr(x, "CLV over the next", "CLV на следующие"),
		         rpt_num(x, x->opt.clv_years, REBUY_NUM_DECIMAL, x->opt.clv_years == floor(x->opt.clv_years) ? 0 : 1),
		         tr(x, "years (margin and discounting as set)", "года (с заданными маржой и дисконтом)"),
		         rpt_num(x, (double)over, REBUY_NUM_INT, 0),
		         tr(x, "customers above the top 1% cut not shown", "покупателей выше верхнего 1% не показаны"));
		rpt_figure(x, &ch, cap);
		/* Past value against P(alive), a deterministic sample. */
		size_t stride = n > SCATTER_MAX ? (n + SCATTER_MAX - 1) / SCATTER_MAX : 1;
		size_t np = (n + stride - 1) / stride;
		double *sx = vec(x, np), *sy = vec(x, np);
		if (sx && sy) {
			size_t j = 0;
			for (size_t k = 0; k < n && j < np; k += stride, j++) {
				sx[j] = past[k] > 0 ? past[k] : NAN;
				sy[j] = m->pred[k].p_alive;
			}
			struct rebuy_chart_series ss = {.name = tr(x, "Customers", "Покупатели"),
			                                .n = j,
			                                .x = sx,
			                                .y = sy};
			struct rebuy_chart sc = {.kind = REBUY_CHART_SCATTER,
			                         .id = "model-value-alive",
			                         .title = tr(x, "Revenue so far against P(alive)",
			                                     "Выручка до сих пор против P(alive)"),
			                         .n_series = 1,
			                         .series = &ss,
			                         .x = {.label = tr(x, "revenue so far", "выручка до сих пор"),
			                               .fmt = REBUY_NUM_COMPACT,
			                               .log = 1},
			                         .y = {.label = "P(alive)",
			                               .fmt = REBUY_NUM_PERCENT,
			                               .has_min = 1,
			                               .min = 0,
			                               .has_max = 1,
			                               .max = 1}};
			char scap[400];
			snprintf(scap, sizeof scap, "%s %s %s %s.",
			         tr(x, "Bottom right: valuable customers the model thinks are gone, the ones "
			               "worth winning back. Shown:",
			            "Справа внизу: ценные покупатели, которых модель считает ушедшими, — их "
			            "стоит вернуть. Показано:"),
			         rpt_num(x, (double)j, REBUY_NUM_INT, 0), tr(x, "of", "из"),
			         rpt_num(x, (double)n, REBUY_NUM_INT, 0));
			rpt_figure(x, &sc, scap);
		}
		rebuy__free(sx);
		rebuy__free(sy);
	}
	close_div(x);
	model_choice(x);
	if (clv && past) {
		size_t rows[TOP_N];
		size_t got = top_by(clv, NULL, n, rows, TOP_N);
		rpt_printf(x, "<h3>%s</h3>\n", tr(x, "Top customers by CLV", "Лучшие покупатели по CLV"));
		customer_table(x, rows, got);
		unsigned char *keep = rebuy__malloc(n ? n : 1);
		if (keep) {
			for (size_t k = 0; k < n; k++)
				keep[k] = m->pred[k].p_alive < WINBACK_P_ALIVE;
			got = top_by(past, keep, n, rows, TOP_N);
			rpt_printf(x, "<h3>%s</h3>\n", tr(x, "Most worth winning back", "Кого стоит вернуть в первую очередь"));
			rpt_note(x, tr(x, "The customers with the highest revenue so far whose P(alive) is "
			                  "below 30%.",
			               "Покупатели с наибольшей выручкой до сих пор, у которых P(alive) ниже "
			               "30%."));
			if (got)
				customer_table(x, rows, got);
			rebuy__free(keep);
		} else {
			x->b->failed = 1;
		}
	}
	rebuy__free(clv);
	rebuy__free(past);
	const char *defs[] = {
	        "P(alive)", tr(x, "the probability that the customer has not dropped out, given "
	                          "their purchase count and the time since their last purchase",
	                       "вероятность, что покупатель не ушёл, при его числе покупок и времени с "
	                       "последней покупки"),
	        tr(x, "Purchases next year", "Покупок за след. год"),
	        tr(x, "expected purchases in the 52.18 weeks after the end of the data",
	           "ожидаемые покупки за 52,18 недели после конца данных"),
	        "CLV", tr(x, "margin x expected spend per order (Gamma-Gamma) x expected purchases "
	                     "over the horizon, discounted at the annual rate",
	                  "маржа x ожидаемый чек (Gamma-Gamma) x ожидаемые покупки за горизонт, "
	                  "дисконтированные по годовой ставке"),
	        tr(x, "Holdout MAE", "MAE на контроле"),
	        tr(x, "mean over calibration customers of |actual - expected| holdout purchases",
	           "среднее по покупателям калибровки |факт - ожидание| покупок в контроле"),
	};
	rpt_definitions(x, defs, sizeof defs / sizeof *defs / 2);
}

/* ---- what better retention is worth ---- */

static void sec_retention_value(struct rpt *x)
{
	struct rpt_model *m = &x->m;
	if (!m->ok) {
		rpt_absent(x, m->why[0] ? m->why
		                        : tr(x, "No lifetime model could be fitted.",
		                             "Модель жизненного цикла оценить не удалось."));
		return;
	}
	if (!m->lift_ok) {
		rpt_absent(x, m->lift_why);
		return;
	}
	double gain = m->clv_total_lift - m->clv_total;
	double share = ratio(gain, m->clv_total);
	double pts = 100 * x->opt.retention_lift;
	char years[32];
	snprintf(years, sizeof years, "%s",
	         rpt_num(x, x->opt.clv_years, REBUY_NUM_DECIMAL,
	                 x->opt.clv_years == floor(x->opt.clv_years) ? 0 : 1));
	const char *n_pts = rpt_num(x, pts, REBUY_NUM_DECIMAL, pts == floor(pts) ? 0 : 1);
	const char *p1 = rpt_num(x, m->s1, REBUY_NUM_PERCENT, 1);
	const char *p0 = rpt_num(x, m->s0, REBUY_NUM_PERCENT, 1);
	const char *g = rpt_money(x, gain);
	const char *sh = rpt_num(x, share, REBUY_NUM_PERCENT, 1);
	rpt_puts(x, "<p class=\"rb-big\">");
	if (x->lang == REBUY_LANG_RU)
		rpt_printf(x,
		           "Если бы через год после первой покупки оставались ещё %s из каждых 100 "
		           "новых покупателей (%s вместо %s), нынешние покупатели принесли бы за "
		           "следующие %s года на <b>%s</b> больше: <b>%s</b> их CLV.",
		           n_pts, p1, p0, years, g, sh);
	else
		rpt_printf(x,
		           "If %s more of every 100 new customers were still buying a year after their "
		           "first purchase (%s instead of %s), the customers you have today would be "
		           "worth <b>%s</b> more over the next %s years: <b>%s</b> of their CLV.",
		           n_pts, p1, p0, g, years, sh);
	rpt_puts(x, "</p>\n<div class=\"rb-cards\">");
	rpt_card_open(x, tr(x, "Alive after a year, now", "Активны через год, сейчас"),
	              tr(x, "share of new customers the model expects to be still buying a year "
	                    "after their first purchase",
	                 "доля новых покупателей, которые по модели ещё покупают через год после "
	                 "первой покупки"));
	rpt_text(x, rpt_num(x, m->s0, REBUY_NUM_PERCENT, 1));
	rpt_card_close(x, NULL);
	rpt_card_open(x, tr(x, "With better retention", "При лучшем удержании"),
	              tr(x, "the same share with every customer's dropout lowered",
	                 "та же доля при сниженном уходе каждого покупателя"));
	rpt_text(x, rpt_num(x, m->s1, REBUY_NUM_PERCENT, 1));
	rpt_card_close(x, NULL);
	rpt_card_open(x, tr(x, "CLV of the customers now", "CLV покупателей сейчас"),
	              tr(x, "sum of the customers' CLV", "сумма CLV покупателей"));
	rpt_text(x, rpt_money_compact(x, m->clv_total));
	rpt_card_close(x, NULL);
	rpt_card_open(x, tr(x, "With better retention", "При лучшем удержании"),
	              tr(x, "the same sum from the model with lowered dropout",
	                 "та же сумма по модели со сниженным уходом"));
	rpt_text(x, rpt_money_compact(x, m->clv_total_lift));
	rpt_card_close(x, NULL);
	rpt_card_open(x, tr(x, "Worth", "Ценность"),
	              tr(x, "the difference, and its share of the CLV now",
	                 "разница и её доля в нынешней CLV"));
	rpt_text(x, rpt_money_compact(x, gain));
	char note[64];
	snprintf(note, sizeof note, "+%s", rpt_num(x, share, REBUY_NUM_PERCENT, 1));
	rpt_card_close(x, note);
	close_div(x);
	/* Survival of new customers over the CLV horizon, monthly. */
	size_t nmon = (size_t)ceil(x->opt.clv_years * 12);
	if (nmon > 120)
		nmon = 120;
	double *s0 = vec(x, nmon + 1), *s1 = vec(x, nmon + 1);
	char(*lab)[8] = rebuy__malloc((nmon + 1) * sizeof *lab);
	const char **lp = rebuy__malloc((nmon + 1) * sizeof *lp);
	if (s0 && s1 && lab && lp) {
		for (size_t i = 0; i <= nmon; i++) {
			double t = m->year * (double)i / 12;
			s0[i] = rebuy_clv_survival(&m->fit, t);
			s1[i] = rebuy_clv_survival(&m->lift_fit, t);
			snprintf(lab[i], sizeof lab[i], "%zu", i);
			lp[i] = lab[i];
		}
		struct rebuy_chart_series ls[2] = {
		        {.name = tr(x, "Now", "Сейчас"), .n = nmon + 1, .y = s0},
		        {.name = tr(x, "With better retention", "При лучшем удержании"),
		         .n = nmon + 1,
		         .y = s1,
		         .dashed = 1},
		};
		struct rebuy_chart l = {.kind = REBUY_CHART_LINES,
		                        .id = "retention-value-survival",
		                        .title = tr(x, "New customers still buying, by months since the "
		                                       "first purchase",
		                                    "Новые покупатели, ещё покупающие, по месяцам после "
		                                    "первой покупки"),
		                        .n_categories = nmon + 1,
		                        .categories = lp,
		                        .n_series = 2,
		                        .series = ls,
		                        .marker = 12,
		                        .marker_label = tr(x, "one year", "один год"),
		                        .x = {.label = tr(x, "months", "месяцев")},
		                        .y = {.fmt = REBUY_NUM_PERCENT, .has_min = 1, .min = 0,
		                              .has_max = 1, .max = 1}};
		/* The gain by RFM segment, largest first. */
		size_t ns = x->rfm->n_segments, order[REBUY_RFM_MAX_SEGMENTS + 1];
		double gv[REBUY_RFM_MAX_SEGMENTS + 1];
		const char *gc[REBUY_RFM_MAX_SEGMENTS + 1];
		for (size_t i = 0; i < ns; i++)
			order[i] = i;
		for (size_t i = 1; i < ns; i++)
			for (size_t j = i; j > 0 && m->seg_gain[order[j]] > m->seg_gain[order[j - 1]]; j--) {
				size_t t = order[j];
				order[j] = order[j - 1];
				order[j - 1] = t;
			}
		for (size_t i = 0; i < ns; i++) {
			gv[i] = m->seg_gain[order[i]];
			gc[i] = segment_label(x, x->rfm->segments[order[i]].name);
		}
		struct rebuy_chart_series bs = {.name = tr(x, "CLV gained", "Прирост CLV"), .n = ns, .y = gv};
		struct rebuy_chart b = {.kind = REBUY_CHART_BARS,
		                        .id = "retention-value-segments",
		                        .title = tr(x, "Where the value of better retention goes",
		                                    "Куда приходится ценность лучшего удержания"),
		                        .n_categories = ns,
		                        .categories = gc,
		                        .n_series = 1,
		                        .series = &bs,
		                        .y = {.fmt = REBUY_NUM_COMPACT}};
		open_charts(x);
		rpt_figure(x, &l,
		           tr(x, "The model's share of new customers who have not dropped out, now and "
		                 "with dropout lowered so that the one-year share is higher by the lift.",
		              "Доля новых покупателей, не ушедших по модели, сейчас и при сниженном уходе, "
		              "когда доля через год выше на заданные пункты."));
		rpt_figure(x, &b,
		           tr(x, "The CLV gained by the customers of each RFM segment: whose staying "
		                 "longer the gain is made of.",
		              "Прирост CLV покупателей каждого RFM-сегмента: чьё более долгое "
		                 "удержание даёт прирост."));
		close_div(x);
	} else {
		x->b->failed = 1;
	}
	rebuy__free(s0);
	rebuy__free(s1);
	rebuy__free(lab);
	rebuy__free(lp);
	const char *defs[] = {
	        tr(x, "Better retention", "Лучшее удержание"),
	        tr(x, "every customer's dropout rate scaled down by one factor, found so that the "
	              "model's share of new customers alive after a year rises by the lift "
	              "(rebuy_clv_shift_retention); purchase rates and spend stay as fitted",
	           "уход каждого покупателя уменьшен в одно и то же число раз так, чтобы доля новых "
	           "покупателей, активных через год, выросла на заданные пункты; частота покупок и "
	           "траты как в модели"),
	        tr(x, "Worth", "Ценность"),
	        tr(x, "sum of CLV with better retention - sum of CLV now, over the customers in the "
	              "data; new customers to come are not counted",
	           "сумма CLV при лучшем удержании - сумма CLV сейчас по покупателям в данных; "
	           "будущие новые покупатели не учтены"),
	};
	rpt_definitions(x, defs, sizeof defs / sizeof *defs / 2);
}

/* ---- data quality ---- */

static void sec_quality(struct rpt *x)
{
	const struct rebuy_input_report *r = &x->o->report;
	const struct rebuy_summary *s = x->sum;
	static const char *const reason_en[REBUY_REASON_COUNT] = {
	        "Missing customer", "Unreadable date", "Unreadable amount",
	        "Short row",        "Other currency",  "Duplicate line"};
	static const char *const reason_ru[REBUY_REASON_COUNT] = {
	        "Нет покупателя", "Нечитаемая дата", "Нечитаемая сумма",
	        "Короткая строка", "Другая валюта", "Повтор строки"};
	double y[REBUY_REASON_COUNT + 1];
	const char *cats[REBUY_REASON_COUNT + 1];
	y[0] = (double)r->rows_used;
	cats[0] = tr(x, "Used", "Использовано");
	for (int i = 0; i < REBUY_REASON_COUNT; i++) {
		y[i + 1] = (double)r->rejected[i];
		cats[i + 1] = tr(x, reason_en[i], reason_ru[i]);
	}
	struct rebuy_chart_series ser = {.name = tr(x, "Rows", "Строки"),
	                                 .n = REBUY_REASON_COUNT + 1,
	                                 .y = y};
	struct rebuy_chart c = {.kind = REBUY_CHART_BARS,
	                        .id = "quality-rows",
	                        .width = 1100,
	                        .title = tr(x, "Rows used and rejected", "Строки: использованные и "
	                                                                  "отброшенные"),
	                        .height = 240,
	                        .n_categories = REBUY_REASON_COUNT + 1,
	                        .categories = cats,
	                        .n_series = 1,
	                        .series = &ser,
	                        .y = {.fmt = REBUY_NUM_COMPACT}};
	rpt_figure(x, &c,
	           tr(x, "Every data row is used or rejected for one reason; nothing is dropped "
	                 "silently.",
	              "Каждая строка данных использована или отброшена по одной причине; ничего не "
	              "теряется молча."));
	rpt_puts(x, "<div class=\"rb-cards\">");
	rpt_card_open(x, tr(x, "Rows read", "Прочитано строк"),
	              tr(x, "data rows (blank lines are not rows)", "строки данных (пустые не считаются)"));
	rpt_data_count(x, "input.rows", r->rows);
	rpt_card_close(x, NULL);
	rpt_card_open(x, tr(x, "Rows used", "Использовано строк"),
	              tr(x, "rows that became part of an order", "строки, вошедшие в заказ"));
	rpt_data_count(x, "input.rows_used", r->rows_used);
	rpt_card_close(x, NULL);
	for (int i = 0; i < REBUY_REASON_COUNT; i++) {
		char key[64];
		snprintf(key, sizeof key, "input.rejected.%s", rebuy_reason_name((enum rebuy_reason)i));
		rpt_card_open(x, tr(x, reason_en[i], reason_ru[i]),
		              tr(x, "rows rejected for this reason", "строки, отброшенные по этой причине"));
		rpt_data_count(x, key, r->rejected[i]);
		rpt_card_close(x, NULL);
	}
	rpt_card_open(x, tr(x, "Returns", "Возвраты"),
	              tr(x, "orders worth < 0 (cancellations, refunds)", "заказы с суммой < 0 (отмены, возвраты)"));
	rpt_data_count(x, "returns.orders", s->return_orders);
	rpt_card_close(x, NULL);
	if (s->has_amount) {
		rpt_card_open(x, tr(x, "Returned value", "Сумма возвратов"),
		              tr(x, "value of the returns, as a positive amount", "сумма возвратов, положительная"));
		rpt_data_money(x, "returns.value", s->return_value);
		rpt_card_close(x, NULL);
	}
	rpt_card_open(x, tr(x, "Zero-value orders", "Заказы на 0"),
	              tr(x, "purchases worth exactly 0; counted in orders", "покупки на сумму 0; входят в заказы"));
	rpt_data_count(x, "zero_value_orders", s->zero_value_orders);
	rpt_card_close(x, NULL);
	rpt_card_open(x, tr(x, "Amounts rounded", "Округлённые суммы"),
	              tr(x, "amounts with more than 4 decimals, rounded (rows kept)",
	                 "суммы с более чем 4 знаками после запятой, округлены (строки оставлены)"));
	rpt_data_count(x, "input.rounded_amounts", r->rounded_amounts);
	rpt_card_close(x, NULL);
	rpt_card_open(x, tr(x, "Lines merged into orders", "Строк слито в заказы"),
	              tr(x, "lines folded into an order with others", "строки, объединённые с другими в один заказ"));
	rpt_data_count(x, "input.lines_merged", r->lines_merged);
	rpt_card_close(x, NULL);
	rpt_card_open(x, tr(x, "Orders outside the window", "Заказы вне окна"),
	              tr(x, "orders left out by --from, --to or --as-of", "заказы, исключённые --from, --to или --as-of"));
	rpt_data_count(x, "input.orders_outside_window", r->orders_outside_window);
	rpt_card_close(x, NULL);
	close_div(x);
	if (r->n_problems) {
		rpt_printf(x, "<h3>%s</h3><ul class=\"rb-note\">", tr(x, "First problems", "Первые проблемы"));
		for (size_t i = 0; i < r->n_problems && i < 10; i++) {
			const struct rebuy_problem *p = &r->problems[i];
			rpt_printf(x, "<li>%s %llu", tr(x, "line", "строка"), (unsigned long long)p->line);
			if (p->column)
				rpt_printf(x, ", %s %u", tr(x, "column", "столбец"), p->column);
			rpt_puts(x, ": ");
			rpt_text(x, p->message);
			rpt_puts(x, "</li>");
		}
		rpt_puts(x, "</ul>\n");
	}
}

const struct rpt_section rpt_sections[] = {
        {"kpis", "Headline", "Главное", sec_kpis},
        {"growth", "New and returning", "Новые и вернувшиеся", sec_growth},
        {"retention", "Retention", "Удержание", sec_retention},
        {"cohorts", "Cohorts", "Когорты", sec_cohorts},
        {"distributions", "Purchase rhythm", "Ритм покупок", sec_distributions},
        {"rfm", "RFM segments", "RFM-сегменты", sec_rfm},
        {"model", "Customer lifetime model", "Модель жизненного цикла", sec_model},
        {"retention_value", "What better retention is worth", "Сколько стоит лучшее удержание",
         sec_retention_value},
        {"attribution", "Attribution", "Атрибуция", rpt_sec_attribution},
        {"forecast", "Forecast", "Прогноз", rpt_sec_forecast},
        {"quality", "Data quality", "Качество данных", sec_quality},
};
const size_t rpt_n_sections = sizeof rpt_sections / sizeof *rpt_sections;
