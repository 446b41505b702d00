/* The HTML report's frame: the computations every section reads, the page
 * around the sections (head, stylesheet, header, navigation, footer) and
 * the small writers the sections share. See rebuy/report.h.
 *
 * The page has no script and a Content-Security-Policy that forbids every
 * fetch, so it is self-contained by construction: the only resources are
 * the inline stylesheet and the inline SVG. The layout is one column of
 * sections with charts two abreast where the window is wide enough; tables
 * scroll inside their box instead of widening the page.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "rebuy/money.h"
#include "report/report_int.h"

const char *const rebuy_report_sections[] = {
        "kpis",  "growth", "retention",       "cohorts", "distributions",
        "rfm",   "model",  "retention_value", "forecast", "quality", NULL,
};

void rebuy_report_options_init(struct rebuy_report_options *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->lang = REBUY_LANG_EN;
	opts->period = REBUY_PERIOD_MONTH;
	opts->discount_rate = -1;
}

/* ---- small writers ---- */

const char *rpt_num(struct rpt *x, double v, enum rebuy_numfmt fmt, int decimals)
{
	char *buf = x->nbuf[x->nbi++ % RPT_NBUF];
	rebuy_format_num(x->lang, v, fmt, decimals, buf, sizeof x->nbuf[0]);
	return buf;
}

static const char *with_currency(struct rpt *x, const char *num)
{
	const char *cur = x->opt.currency;
	if (!cur || !*cur || strcmp(num, "\xe2\x80\x93") == 0)
		return num;
	char *buf = x->nbuf[x->nbi++ % RPT_NBUF];
	/* English puts a one-symbol currency before the number ($12.50);
	 * otherwise it follows after a no-break space (12,50 ₽, 12.50 EUR). */
	size_t n = strlen(cur);
	int symbol = n <= 3 && !((cur[0] >= 'A' && cur[0] <= 'Z') || (cur[0] >= 'a' && cur[0] <= 'z'));
	if (x->lang == REBUY_LANG_EN && symbol) {
		if (num[0] == '-')
			snprintf(buf, sizeof x->nbuf[0], "-%s%s", cur, num + 1);
		else
			snprintf(buf, sizeof x->nbuf[0], "%s%s", cur, num);
	} else {
		snprintf(buf, sizeof x->nbuf[0], "%s\xc2\xa0%s", num, cur);
	}
	return buf;
}

const char *rpt_money(struct rpt *x, double v)
{
	return with_currency(x, rpt_num(x, v, REBUY_NUM_DECIMAL, 2));
}

const char *rpt_money_compact(struct rpt *x, double v)
{
	return with_currency(x, rpt_num(x, v, REBUY_NUM_COMPACT, 0));
}

const char *rpt_day(struct rpt *x, int64_t day)
{
	char *buf = x->nbuf[x->nbi++ % RPT_NBUF];
	rpt_day_into(x->lang, day, buf, sizeof x->nbuf[0]);
	return buf;
}

void rpt_day_into(enum rebuy_lang lang, int64_t day, char *buf, size_t size)
{
	if (lang != REBUY_LANG_RU) {
		rebuy_format_day(day, buf, size);
		return;
	}
	int64_t y;
	unsigned m, d;
	rebuy_civil_from_days(day, &y, &m, &d);
	snprintf(buf, size, "%02u.%02u.%04lld", d, m, (long long)y);
}

void rpt_puts(struct rpt *x, const char *s)
{
	rebuy_sbuf_puts(x->b, s);
}

void rpt_printf(struct rpt *x, const char *fmt, ...)
{
	char small[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		rebuy_sbuf_put(x->b, small, (size_t)n);
		return;
	}
	char *big = rebuy__malloc((size_t)n + 1);
	if (!big) {
		x->b->failed = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rebuy_sbuf_put(x->b, big, (size_t)n);
	rebuy__free(big);
}

void rpt_text(struct rpt *x, const char *s)
{
	rebuy_sbuf_html(x->b, s);
}

static const char *fmt_name(enum rebuy_numfmt fmt)
{
	switch (fmt) {
	case REBUY_NUM_INT: return "int";
	case REBUY_NUM_DECIMAL: return "decimal";
	case REBUY_NUM_PERCENT: return "percent";
	case REBUY_NUM_COMPACT: return "compact";
	}
	return "decimal";
}

static void data_open(struct rpt *x, const char *key, const char *raw, const char *fmt,
                      int decimals)
{
	rpt_puts(x, "<data class=\"rb-num\" data-key=\"");
	rpt_text(x, key);
	rpt_printf(x, "\" value=\"%s\" data-fmt=\"%s\" data-decimals=\"%d\">", raw, fmt, decimals);
}

void rpt_data_num(struct rpt *x, const char *key, double v, enum rebuy_numfmt fmt, int decimals)
{
	char raw[40] = "";
	if (v == v && v - v == 0)
		rebuy_format_double(v, raw, sizeof raw);
	data_open(x, key, raw, fmt_name(fmt), decimals);
	rpt_text(x, rpt_num(x, v, fmt, decimals));
	rpt_puts(x, "</data>");
}

void rpt_data_count(struct rpt *x, const char *key, uint64_t v)
{
	char raw[32];
	snprintf(raw, sizeof raw, "%llu", (unsigned long long)v);
	data_open(x, key, raw, "int", 0);
	rpt_text(x, rpt_num(x, (double)v, REBUY_NUM_INT, 0));
	rpt_puts(x, "</data>");
}

void rpt_data_money(struct rpt *x, const char *key, int64_t units)
{
	char raw[32];
	rebuy_money_format(units, raw, sizeof raw);
	data_open(x, key, raw, "money", 2);
	rpt_text(x, rpt_money(x, (double)units / 10000));
	rpt_puts(x, "</data>");
}

void rpt_data_money_num(struct rpt *x, const char *key, double v)
{
	char raw[40] = "";
	if (v == v && v - v == 0)
		rebuy_format_double(v, raw, sizeof raw);
	data_open(x, key, raw, "money", 2);
	rpt_text(x, rpt_money(x, v));
	rpt_puts(x, "</data>");
}

void rpt_card_open(struct rpt *x, const char *label, const char *definition)
{
	rpt_puts(x, "<div class=\"rb-card\" title=\"");
	rpt_text(x, definition);
	rpt_puts(x, "\"><div class=\"rb-card-label\">");
	rpt_text(x, label);
	rpt_puts(x, "</div><div class=\"rb-card-value\">");
}

void rpt_card_close(struct rpt *x, const char *note_html)
{
	rpt_puts(x, "</div>");
	if (note_html && *note_html) {
		rpt_puts(x, "<div class=\"rb-card-note\">");
		rpt_puts(x, note_html);
		rpt_puts(x, "</div>");
	}
	rpt_puts(x, "</div>\n");
}

void rpt_figure(struct rpt *x, struct rebuy_chart *chart, const char *caption)
{
	if (x->st)
		return;
	chart->lang = x->lang;
	rpt_puts(x, "<figure class=\"rb-chart\" data-chart=\"");
	rpt_text(x, chart->id);
	rpt_puts(x, "\">");
	enum rebuy_status st = rebuy_chart_svg(chart, x->b, x->err);
	if (st) {
		x->st = st;
		return;
	}
	rpt_puts(x, "<figcaption>");
	rpt_text(x, caption);
	rpt_puts(x, "</figcaption></figure>\n");
}

void rpt_note(struct rpt *x, const char *text)
{
	rpt_puts(x, "<p class=\"rb-note\">");
	rpt_text(x, text);
	rpt_puts(x, "</p>\n");
}

void rpt_absent(struct rpt *x, const char *reason)
{
	x->section_absent = 1;
	rpt_puts(x, "<p class=\"rb-absent\">");
	rpt_text(x, reason);
	rpt_puts(x, "</p>\n");
}

void rpt_definitions(struct rpt *x, const char *const *pairs, size_t n)
{
	rpt_printf(x, "<details class=\"rb-defs\"><summary>%s</summary><dl>",
	           tr(x, "Definitions", "Определения"));
	for (size_t i = 0; i < n; i++) {
		rpt_puts(x, "<dt>");
		rpt_text(x, pairs[2 * i]);
		rpt_puts(x, "</dt><dd>");
		rpt_text(x, pairs[2 * i + 1]);
		rpt_puts(x, "</dd>");
	}
	rpt_puts(x, "</dl></details>\n");
}

/* ---- the page ---- */

static const char page_css[] =
        ":root{color-scheme:light dark;--bg:#ffffff;--fg:#1d1d1f;--muted:#5f6368;--card:#f5f6f8;"
        "--line:#d9dce1;--accent:#0072B2;--up:#007a4d;--down:#b4380a}\n"
        "@media (prefers-color-scheme:dark){:root{--bg:#16181c;--fg:#e8e8e8;--muted:#a3a9b1;"
        "--card:#22252b;--line:#3a3f47;--accent:#56B4E9;--up:#3fcf8e;--down:#ff8a5c}}\n"
        "*{box-sizing:border-box}\n"
        "body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"
        "'Segoe UI',Roboto,'DejaVu Sans',sans-serif}\n"
        "header.rb-head,main{max-width:1180px;margin:0 auto;padding:0 20px}\n"
        "header.rb-head{padding-top:24px}\n"
        "h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:0 0 10px}"
        "h3{font-size:15px;margin:18px 0 6px}\n"
        ".rb-meta{color:var(--muted);margin:0 0 12px}\n"
        "nav.rb-nav{display:flex;flex-wrap:wrap;gap:6px 14px;padding:10px 0;"
        "border-bottom:1px solid var(--line)}\n"
        "nav.rb-nav a{color:var(--accent);text-decoration:none}\n"
        "section.rb-section{padding:22px 0;border-bottom:1px solid var(--line)}\n"
        ".rb-cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));"
        "gap:10px;margin:0 0 14px}\n"
        ".rb-card{background:var(--card);border-radius:8px;padding:10px 12px;min-width:0}\n"
        ".rb-card-label{color:var(--muted);font-size:13px}\n"
        ".rb-card-value{font-size:20px;font-weight:600;font-variant-numeric:tabular-nums;"
        "white-space:nowrap;overflow:hidden;text-overflow:ellipsis}\n"
        ".rb-card-note{color:var(--muted);font-size:12px}\n"
        ".rb-up{color:var(--up)}.rb-down{color:var(--down)}\n"
        ".rb-charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:14px}\n"
        "figure.rb-chart{margin:0;min-width:0}\n"
        "figure.rb-chart svg{display:block;width:100%;height:auto}\n"
        "figcaption{color:var(--muted);font-size:13px;margin-top:2px}\n"
        ".rb-note{color:var(--muted);font-size:13px;max-width:900px}\n"
        ".rb-absent{color:var(--muted);font-style:italic}\n"
        ".rb-big{font-size:18px;max-width:900px}\n"
        ".rb-table-wrap{overflow-x:auto;max-width:100%;margin:6px 0 10px}\n"
        "table.rb-table{border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums}\n"
        "table.rb-table th,table.rb-table td{padding:4px 8px;border-bottom:1px solid var(--line);"
        "text-align:right;white-space:nowrap}\n"
        "table.rb-table th:first-child,table.rb-table td:first-child{text-align:left}\n"
        "table.rb-table th{color:var(--muted);font-weight:600;white-space:normal;"
        "vertical-align:bottom;min-width:4em}\n"
        "table.rb-table td:first-child{max-width:22em;overflow:hidden;text-overflow:ellipsis}\n"
        "details.rb-defs{font-size:13px;color:var(--muted);margin-top:8px}\n"
        "details.rb-defs dt{font-weight:600;color:var(--fg);margin-top:4px}\n"
        "details.rb-defs dd{margin:0 0 0 14px}\n"
        "footer.rb-foot{max-width:1180px;margin:0 auto;padding:16px 20px 40px;color:var(--muted);"
        "font-size:12px}\n"
        "@media (max-width:900px){.rb-charts{grid-template-columns:minmax(0,1fr)}"
        "table.rb-table{font-size:12px}table.rb-table th,table.rb-table td{padding:3px 6px}}\n"
        "@media print{:root{--bg:#fff;--fg:#000;--muted:#444;--card:#f3f3f3;--line:#ccc}"
        "nav.rb-nav{display:none}section.rb-section{break-inside:auto}"
        "figure.rb-chart,.rb-card,table.rb-table tr{break-inside:avoid}"
        ".rb-charts{grid-template-columns:minmax(0,1fr)}details.rb-defs{display:none}}\n";

static void write_head(struct rpt *x, const char *title)
{
	rpt_printf(x, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n",
	           x->lang == REBUY_LANG_RU ? "ru" : "en");
	rpt_puts(x, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	            "style-src 'unsafe-inline'; img-src data:\">\n"
	            "<meta name=\"generator\" content=\"rebuy " REBUY_VERSION "\">\n<title>");
	rpt_text(x, title);
	rpt_puts(x, "</title>\n<style>\n");
	rpt_puts(x, page_css);
	rpt_puts(x, rebuy_chart_css());
	rpt_puts(x, "</style>\n</head>\n<body>\n");
}

static void write_header(struct rpt *x, const char *title)
{
	const struct rebuy_summary *s = x->sum;
	rpt_puts(x, "<header class=\"rb-head\">\n<h1>");
	rpt_text(x, title);
	rpt_puts(x, "</h1>\n<p class=\"rb-meta\">");
	const char *path = x->o->report.path;
	const char *base = strrchr(path, '/');
	rpt_text(x, base ? base + 1 : path);
	rpt_printf(x, " \xc2\xb7 %s %s \xe2\x80\x93 %s \xc2\xb7 %s %s \xc2\xb7 ",
	           tr(x, "purchases", "покупки"), rpt_day(x, s->first_day), rpt_day(x, s->last_day),
	           tr(x, "as of", "на дату"), rpt_day(x, s->as_of_day));
	static const char *const period_en[] = {"by day", "by week", "by month", "by quarter",
	                                        "by year"};
	static const char *const period_ru[] = {"по дням", "по неделям", "по месяцам",
	                                        "по кварталам", "по годам"};
	unsigned p = (unsigned)s->period < 5 ? (unsigned)s->period : 2;
	rpt_text(x, tr(x, period_en[p], period_ru[p]));
	rpt_puts(x, "</p>\n<nav class=\"rb-nav\">");
	for (size_t i = 0; i < rpt_n_sections; i++) {
		if (!rpt_section_shown(x, &rpt_sections[i]))
			continue;
		rpt_printf(x, "<a href=\"#sec-%s\">", rpt_sections[i].name);
		rpt_text(x, tr(x, rpt_sections[i].title_en, rpt_sections[i].title_ru));
		rpt_puts(x, "</a>");
	}
	rpt_puts(x, "</nav>\n</header>\n<main>\n");
}

static void write_footer(struct rpt *x)
{
	rpt_puts(x, "</main>\n<footer class=\"rb-foot\">");
	rpt_text(x, tr(x,
	               "Made by rebuy " REBUY_VERSION ". Every number is defined under its section "
	               "(Definitions) and in docs/definitions.md; hover a chart for its values.",
	               "Сделано rebuy " REBUY_VERSION ". Каждое число определено в своём разделе "
	               "(Определения) и в docs/definitions.md; наведите на график, чтобы увидеть "
	               "значения."));
	rpt_puts(x, "</footer>\n</body>\n</html>\n");
}

/* ---- the computations ---- */

static void step(struct rpt *x, const char *name)
{
	if (x->opt.progress)
		x->opt.progress(x->opt.progress_ud, name);
}

static enum rebuy_status compute(struct rpt *x)
{
	enum rebuy_status st;
	const struct rebuy_orders *o = x->o;
	step(x, "summary");
	struct rebuy_summary_options so;
	rebuy_summary_options_init(&so);
	so.period = x->opt.period;
	so.has_as_of = x->opt.has_as_of;
	so.as_of_day = x->opt.as_of_day;
	so.n_threads = x->opt.n_threads;
	if ((st = rebuy_summary_compute(o, &so, &x->sum, x->err)))
		return st;
	x->period_labels = rebuy__calloc(x->sum->n_periods ? x->sum->n_periods : 1,
	                                 sizeof *x->period_labels);
	if (!x->period_labels)
		return rebuy_error_set(x->err, REBUY_ENOMEM, "out of memory");
	for (size_t i = 0; i < x->sum->n_periods; i++) {
		const struct rebuy_period_row *pr = &x->sum->periods[i];
		char buf[40];
		size_t n = rebuy_period_label(x->sum->period, pr->index, buf, sizeof buf - 1);
		if (pr->is_partial && n + 1 < sizeof buf) {
			buf[n++] = '*';
			buf[n] = 0;
		}
		if (!(x->period_labels[i] = rebuy__strndup(buf, n)))
			return rebuy_error_set(x->err, REBUY_ENOMEM, "out of memory");
	}

	step(x, "cohorts");
	struct rebuy_cohorts_options co;
	rebuy_cohorts_options_init(&co);
	co.period = x->opt.period;
	co.has_as_of = x->opt.has_as_of;
	co.as_of_day = x->opt.as_of_day;
	co.n_threads = x->opt.n_threads;
	if ((st = rebuy_cohorts_compute(o, &co, &x->coh, x->err)))
		return st;
	if (o->has_amount) {
		co.metric = REBUY_COHORT_LTV;
		if ((st = rebuy_cohorts_compute(o, &co, &x->ltv, x->err)))
			return st;
	}

	step(x, "rfm");
	struct rebuy_rfm_options ro;
	rebuy_rfm_options_init(&ro);
	ro.has_as_of = x->opt.has_as_of;
	ro.as_of_day = x->opt.as_of_day;
	ro.n_threads = x->opt.n_threads;
	if ((st = rebuy_rfm_compute(o, &ro, &x->rfm, x->err)))
		return st;

	rpt_forecast_start(x); /* beside the lifetime model's fits */
	return rpt_model_compute(x);
}

static void release(struct rpt *x)
{
	rpt_forecast_release(x); /* first: its thread reads the summary and the orders */
	if (x->period_labels && x->sum)
		for (size_t i = 0; i < x->sum->n_periods; i++)
			rebuy__free(x->period_labels[i]);
	rebuy__free(x->period_labels);
	rebuy_summary_free(x->sum);
	rebuy_cohorts_free(x->coh);
	rebuy_cohorts_free(x->ltv);
	rebuy_rfm_free(x->rfm);
	rpt_model_release(&x->m);
}

enum rebuy_status rebuy_report_build(const struct rebuy_orders *orders,
                                     const struct rebuy_report_options *opts,
                                     struct rebuy_sbuf *out, struct rebuy_error *err)
{
	struct rpt *x = rebuy__calloc(1, sizeof *x);
	if (!x)
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	x->o = orders;
	x->opt = *opts;
	x->lang = opts->lang;
	x->b = out;
	x->err = err;
	if (!(x->opt.clv_years > 0))
		x->opt.clv_years = 3;
	if (!(x->opt.margin > 0))
		x->opt.margin = 1;
	if (!(x->opt.discount_rate >= 0))
		x->opt.discount_rate = 0.1;
	if (!(x->opt.retention_lift > 0))
		x->opt.retention_lift = 0.05;
	enum rebuy_status st = REBUY_OK;
	if (x->opt.clv_years > 100 || x->opt.margin > 1 || x->opt.discount_rate > 10 ||
	    x->opt.retention_lift >= 1) {
		st = rebuy_error_set(err, REBUY_EARG,
		                     "report options out of range: CLV years in (0, 100], margin in "
		                     "(0, 1], discount rate in [0, 10], retention lift in (0, 1)");
		goto done;
	}
	if (x->opt.currency && strpbrk(x->opt.currency, "<>&\"'")) {
		st = rebuy_error_set(err, REBUY_EARG, "the currency '%s' holds HTML characters",
		                     x->opt.currency);
		goto done;
	}
	if (x->opt.has_model && x->opt.model != REBUY_CLV_BGNBD &&
	    x->opt.model != REBUY_CLV_MBGNBD && x->opt.model != REBUY_CLV_PNBD) {
		st = rebuy_error_set(err, REBUY_EARG,
		                     "the report's model is bgnbd, mbgnbd or pnbd (%s needs other data "
		                     "than orders)",
		                     rebuy_clv_model_name(x->opt.model));
		goto done;
	}
	if ((st = compute(x)))
		goto done;

	step(x, "writing");
	const char *title = x->opt.title && *x->opt.title
	                            ? x->opt.title
	                            : tr(x, "Repeat sales report", "Отчёт о повторных продажах");
	write_head(x, title);
	write_header(x, title);
	for (size_t i = 0; i < rpt_n_sections && !x->st; i++) {
		const struct rpt_section *sec = &rpt_sections[i];
		if (!rpt_section_shown(x, sec))
			continue;
		/* The body goes to its own buffer first, so that the section's
		 * element can say whether it is absent. */
		struct rebuy_sbuf body;
		rebuy_sbuf_init(&body);
		struct rebuy_sbuf *page = x->b;
		x->b = &body;
		x->section_absent = 0;
		sec->write(x);
		x->b = page;
		rpt_printf(x, "<section class=\"rb-section\" id=\"sec-%s\" data-section=\"%s\"%s>\n<h2>",
		           sec->name, sec->name, x->section_absent ? " data-absent=\"1\"" : "");
		rpt_text(x, tr(x, sec->title_en, sec->title_ru));
		rpt_puts(x, "</h2>\n");
		if (body.failed)
			x->b->failed = 1;
		else if (body.len)
			rebuy_sbuf_put(x->b, body.p, body.len);
		rebuy_sbuf_free(&body);
		rpt_puts(x, "</section>\n");
	}
	write_footer(x);
	st = x->st;
	if (!st && rebuy_sbuf_failed(out))
		st = rebuy_error_set(err, REBUY_ENOMEM, "out of memory while writing the report");
done:
	release(x);
	rebuy__free(x);
	return st;
}
