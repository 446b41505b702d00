/* The report's Attribution section (docs/report.md, docs/attribute.md),
 * shown when the report is given attribution results (rebuy report
 * --touchpoints FILE or --paths FILE): the conversions and value credited
 * to each channel by every model, as a table, and one chart of horizontal
 * bars per model (channels down, credited conversions across), drawn here
 * as inline SVG with the chart stylesheet's classes. Channel names come
 * from the input and are escaped. No computing beyond scaling the bars. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rebuy/attrib.h"
#include "report/report_int.h"

static const char *const model_en[REBUY_ATTRIB_MODEL_COUNT] = {
        "First touch", "Last touch", "Linear", "Position (U)", "Time decay", "Markov"};
static const char *const model_ru[REBUY_ATTRIB_MODEL_COUNT] = {
        "Первое касание", "Последнее касание",    "Линейная",
        "По позиции (U)", "Затухание во времени", "Марковская"};

int rpt_has_attribution(const struct rpt *x)
{
	return x->opt.attrib != NULL;
}

/* Optional sections are named here rather than flagged in the section
 * table, so that the table keeps one line per section. */
int rpt_section_shown(const struct rpt *x, const struct rpt_section *sec)
{
	return strcmp(sec->name, "attribution") != 0 || rpt_has_attribution(x);
}

/* One model's credits as horizontal bars. */
static void bars(struct rpt *x, const struct rebuy_attrib *a, int m)
{
	const double row = 22, top = 8, label_w = 120, value_w = 70, width = 520;
	double h = top * 2 + row * (double)a->n_channels, plot = width - label_w - value_w;
	double max = 0;
	for (size_t c = 0; c < a->n_channels; c++)
		max = fmax(max, a->channels[c].conversions[m]);
	char id[64];
	snprintf(id, sizeof id, "attribution-%s", rebuy_attrib_model_name(m));
	for (char *p = id; *p; p++)
		if (*p == '_')
			*p = '-';
	const char *title = tr(x, model_en[m], model_ru[m]);
	rpt_printf(x, "<figure class=\"rb-chart\" data-chart=\"%s\">", id);
	rpt_printf(x,
	           "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"%s\" class=\"rb-chart\" "
	           "viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" role=\"img\" aria-label=\"",
	           id, width, h);
	rpt_text(x, title);
	rpt_puts(x, "\" font-family=\"system-ui,sans-serif\" font-size=\"12\">\n<title>");
	rpt_text(x, title);
	rpt_printf(x, "</title>\n<g class=\"rb-bar rb-s%d\">\n", m % 8);
	for (size_t c = 0; c < a->n_channels; c++) {
		const struct rebuy_attrib_channel *ch = &a->channels[c];
		double v = ch->conversions[m], y = top + row * (double)c;
		double w = max > 0 ? plot * v / max : 0;
		rpt_printf(x, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>",
		           label_w, y + 3, w, row - 6);
		rpt_text(x, ch->name);
		rpt_puts(x, " \xc2\xb7 ");
		rpt_text(x, title);
		rpt_puts(x, ": ");
		rpt_text(x, rpt_num(x, v, REBUY_NUM_DECIMAL, 1));
		rpt_puts(x, "</title></rect>\n");
	}
	rpt_puts(x, "</g>\n<g class=\"rb-tick\">\n");
	for (size_t c = 0; c < a->n_channels; c++) {
		const struct rebuy_attrib_channel *ch = &a->channels[c];
		double y = top + row * (double)c + row / 2 + 4;
		double w = max > 0 ? plot * ch->conversions[m] / max : 0;
		/* names longer than the label column are cut by the viewBox edge
		 * only in the tooltip-less text; the bar's tooltip has the whole */
		rpt_printf(x, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", label_w - 6, y);
		char name[24];
		size_t n = strlen(ch->name);
		if (n < sizeof name) {
			rpt_text(x, ch->name);
		} else {
			/* cut at a UTF-8 character boundary and mark the cut */
			size_t k = sizeof name - 4;
			while (k > 0 && ((unsigned char)ch->name[k] & 0xC0) == 0x80)
				k--;
			memcpy(name, ch->name, k);
			memcpy(name + k, "\xe2\x80\xa6", 4);
			rpt_text(x, name);
		}
		rpt_printf(x, "</text><text x=\"%.1f\" y=\"%.1f\">", label_w + w + 4, y);
		rpt_text(x, rpt_num(x, ch->conversions[m], REBUY_NUM_DECIMAL, 1));
		rpt_puts(x, "</text>\n");
	}
	rpt_puts(x, "</g>\n</svg>\n<figcaption>");
	rpt_text(x, title);
	rpt_text(x, tr(x, ": conversions credited to each channel",
	               ": конверсии, отнесённые на каждый канал"));
	rpt_puts(x, "</figcaption></figure>\n");
}

static void table(struct rpt *x, const struct rebuy_attrib *a, int value)
{
	const struct rebuy_attrib_journeys *j = a->journeys;
	rpt_printf(x, "<h3>%s</h3>",
	           value ? tr(x, "Value credited", "Отнесённая выручка")
	                 : tr(x, "Conversions credited", "Отнесённые конверсии"));
	rpt_printf(x,
	           "<div class=\"rb-table-wrap\"><table class=\"rb-table\" data-table=\"%s\">"
	           "<thead><tr><th>%s</th>",
	           value ? "attribution-value" : "attribution-conversions",
	           tr(x, "Channel", "Канал"));
	for (int m = 0; m < REBUY_ATTRIB_MODEL_COUNT; m++) {
		rpt_puts(x, "<th>");
		rpt_text(x, tr(x, model_en[m], model_ru[m]));
		rpt_puts(x, "</th>");
	}
	if (!value)
		rpt_printf(x, "<th>%s</th>", tr(x, "Removal effect", "Эффект удаления"));
	if (value && j->has_cost)
		rpt_printf(x, "<th>%s</th><th>%s</th>", tr(x, "Cost", "Затраты"),
		           tr(x, "ROI (Markov)", "ROI (Марков)"));
	rpt_puts(x, "</tr></thead><tbody>\n");
	for (size_t c = 0; c < a->n_channels; c++) {
		const struct rebuy_attrib_channel *ch = &a->channels[c];
		rpt_puts(x, "<tr><td>");
		rpt_text(x, ch->name);
		rpt_puts(x, "</td>");
		for (int m = 0; m < REBUY_ATTRIB_MODEL_COUNT; m++) {
			rpt_puts(x, "<td>");
			if (value)
				rpt_text(x, rpt_money(x, ch->value[m]));
			else
				rpt_text(x, rpt_num(x, ch->conversions[m], REBUY_NUM_DECIMAL, 1));
			rpt_puts(x, "</td>");
		}
		if (!value) {
			rpt_puts(x, "<td>");
			rpt_text(x, rpt_num(x, ch->removal_effect, REBUY_NUM_PERCENT, 1));
			rpt_puts(x, "</td>");
		}
		if (value && j->has_cost) {
			double roi = ch->cost > 0 ? ch->value[REBUY_ATTRIB_MARKOV] / ch->cost : NAN;
			rpt_puts(x, "<td>");
			rpt_text(x, rpt_money(x, ch->cost));
			rpt_puts(x, "</td><td>");
			rpt_text(x, rpt_num(x, roi, REBUY_NUM_DECIMAL, 2));
			rpt_puts(x, "</td>");
		}
		rpt_puts(x, "</tr>\n");
	}
	rpt_puts(x, "</tbody></table></div>\n");
}

void rpt_sec_attribution(struct rpt *x)
{
	const struct rebuy_attrib *a = x->opt.attrib;
	const struct rebuy_attrib_journeys *j = a->journeys;
	if (a->n_channels == 0 || !(j->conversions > 0)) {
		rpt_absent(x, tr(x, "No journey converts: there is nothing to attribute.",
		                 "Ни один путь не привёл к покупке: нечего распределять."));
		return;
	}
	rpt_puts(x, "<p class=\"rb-big\">");
	if (j->from_touchpoints) {
		rpt_text(x, rpt_num(x, j->conversions, REBUY_NUM_INT, 0));
		rpt_text(x, tr(x, " purchases with touches before them (",
		               " покупок с касаниями перед ними ("));
		rpt_text(x, rpt_num(x, (double)j->orders_without_touches, REBUY_NUM_INT, 0));
		rpt_text(x, tr(x, " without any, worth ", " без касаний, на сумму "));
		rpt_text(x, rpt_money(x, j->value_without_touches));
		rpt_text(x, tr(x, ") and ", ") и "));
		rpt_text(x, rpt_num(x, j->nulls, REBUY_NUM_INT, 0));
		rpt_text(x, tr(x, " journeys that did not convert", " путей без покупки"));
		if (j->repeat_only)
			rpt_text(x, tr(x, "; repeat purchases only", "; только повторные покупки"));
	} else {
		rpt_text(x, rpt_num(x, (double)j->n_journeys, REBUY_NUM_INT, 0));
		rpt_text(x, tr(x, " paths: ", " путей: "));
		rpt_text(x, rpt_num(x, j->conversions, REBUY_NUM_INT, 0));
		rpt_text(x, tr(x, " conversions and ", " конверсий и "));
		rpt_text(x, rpt_num(x, j->nulls, REBUY_NUM_INT, 0));
		rpt_text(x, tr(x, " journeys that did not convert", " путей без конверсии"));
	}
	rpt_text(x, tr(x, "; channels: ", "; каналов: "));
	rpt_text(x, rpt_num(x, (double)a->n_channels, REBUY_NUM_INT, 0));
	rpt_puts(x, ".</p>\n");
	table(x, a, 0);
	if (j->has_value)
		table(x, a, 1);
	rpt_puts(x, "<div class=\"rb-charts\">\n");
	for (int m = 0; m < REBUY_ATTRIB_MODEL_COUNT; m++)
		bars(x, a, m);
	rpt_puts(x, "</div>\n");
	static const char *const defs_en[] = {
	        "Journey",
	        "a purchase's journey is the customer's touches after their previous purchase and "
	        "at or before it; touches after the last purchase are a journey without one",
	        "First, last touch",
	        "all of a purchase to its first, or last, touch",
	        "Linear",
	        "1/n to each of its n touches",
	        "Position (U)",
	        "40% to the first touch, 40% to the last, 20% shared by the middle",
	        "Time decay",
	        "a touch's weight halves with every half-life of its age at the purchase",
	        "Markov",
	        "conversions x removal effect / sum of removal effects; the removal effect of a "
	        "channel is the share of conversions the first-order chain loses without it, "
	        "computed exactly",
	};
	static const char *const defs_ru[] = {
	        "Путь",
	        "путь покупки: касания клиента после его предыдущей покупки и не позже неё; "
	        "касания после последней покупки — путь без покупки",
	        "Первое, последнее касание",
	        "вся покупка — первому или последнему касанию",
	        "Линейная",
	        "по 1/n каждому из n касаний",
	        "По позиции (U)",
	        "40% первому касанию, 40% последнему, 20% делят средние",
	        "Затухание во времени",
	        "вес касания уменьшается вдвое с каждым периодом полураспада его давности к "
	        "моменту покупки",
	        "Марковская",
	        "конверсии x эффект удаления / сумма эффектов; эффект удаления канала — доля "
	        "конверсий, которую цепь Маркова первого порядка теряет без него (точно)",
	};
	rpt_definitions(x, x->lang == REBUY_LANG_RU ? defs_ru : defs_en, 6);
	rpt_note(x, tr(x, "Definitions: docs/attribute.md.", "Определения: docs/attribute.md."));
}
