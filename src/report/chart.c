/* SVG charts for the HTML report: bars, stacked bars, lines, heatmaps,
 * histograms and scatter plots, each written as one <svg> with a viewBox.
 *
 * Layout. A plot rectangle sits inside the viewBox; its margins are measured
 * from the text around it, at 12px and about 0.6 em (7.2px) a character: the
 * left margin holds the widest y tick label, the top the legend (wrapped into
 * rows, more than one series only), the bottom the x labels. Category labels
 * show every k-th so that neighbours keep a gap, and turn -45 degrees only
 * when that would leave fewer than four; long labels are cut with "…", and
 * margins grow until the outermost labels fit, so nothing overlaps or leaves
 * the viewBox. Value axes take 4-6 ticks at 1, 2 or 5 x 10^k (never finer
 * than the axis format can tell apart); log axes tick at powers of ten.
 *
 * Colour. Marks carry classes rb-s0..rb-s7 that rebuy_chart_css() colours
 * with the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"),
 * told apart with the common colour-vision deficiencies. Heatmap cells carry
 * their fill from viridis (van der Walt & Smith, matplotlib 2015; the 9
 * stops of R's viridis(9), interpolated in sRGB): perceptually uniform and
 * readable in grey. Coordinates have one decimal and no trailing ".0",
 * written without printf's locale, so a chart is the same bytes everywhere.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "rebuy/chart.h"

#define FONT_PX 12.0
#define CHAR_W (0.6 * FONT_PX) /* an average character, a little generous */
#define CELL_CHAR_W (0.6 * 11) /* heatmap values are 11px */
#define PAD 8.0                /* the viewBox edge to any text */
#define TICK_GAP 6.0           /* a y tick label to the plot */
#define AXIS_LABEL 18.0        /* the band an axis label takes */
#define X_LABELS 20.0          /* the band unrotated x labels take */
#define LABEL_GAP 8.0          /* between neighbouring x labels */
#define ROT_PITCH 20.0         /* between rotated labels: 14px apart across them */
#define SIN45 0.7071
#define LEGEND_ROW 18.0
#define LABEL_CHARS 24  /* category and row labels are cut past this */
#define LEGEND_CHARS 32 /* series names in the legend */
#define HOVER_MAX 200   /* lines: a hover circle per vertex up to this many */
#define MARKER_H 16.0   /* room above the plot for a marker's label */
#define MAX_TICKS 12
#define NUM_TEXT 96 /* a formatted number */
#define DEFAULT_W 720
#define DEFAULT_H 300

struct ticks {
	size_t n;
	double v[MAX_TICKS]; /* the values (not their log10) */
	double lo, hi;       /* the axis span; log10 of it on a log axis */
	int log;
};

/* Maps data to pixels, clamped to the span. */
struct scale {
	double d0, d1, p0, p1;
	int log;
};

struct cat_axis {
	size_t every; /* labels 0, every, 2 every, ... are shown */
	size_t max_chars;
	int rotate;
	double label_h; /* the band the labels take under the plot */
};

struct ctx {
	const struct rebuy_chart *c;
	struct rebuy_sbuf *b;
	double w, h;
	double pl, pt, pr, pb; /* the plot: left, top, right, bottom */
};

/* ---- writing ---- */

/* v with one decimal, '.' in any locale, no ".0", no "-0". */
static void put_coord(struct rebuy_sbuf *b, double v)
{
	char s[32];
	if (!isfinite(v))
		v = 0;
	if (fabs(v) > 1e9)
		v = v < 0 ? -1e9 : 1e9;
	long long t = llround(v * 10);
	const char *sign = t < 0 ? "-" : "";
	if (t < 0)
		t = -t;
	if (t % 10)
		snprintf(s, sizeof s, "%s%lld.%lld", sign, t / 10, t % 10);
	else
		snprintf(s, sizeof s, "%s%lld", t ? sign : "", t / 10);
	rebuy_sbuf_puts(b, s);
}

/* Appends fmt with these conversions only: %v a coordinate (a double), %d
 * an int, %s a string as it is, %h a string escaped, %% a '%'. */
static void emit(struct rebuy_sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const char *run = fmt, *f = fmt;
	char tmp[32];
	for (; *f; f++) {
		if (*f != '%' || !f[1])
			continue;
		rebuy_sbuf_put(b, run, (size_t)(f - run));
		switch (*++f) {
		case 'v': put_coord(b, va_arg(ap, double)); break;
		case 'd':
			snprintf(tmp, sizeof tmp, "%d", va_arg(ap, int));
			rebuy_sbuf_puts(b, tmp);
			break;
		case 's': rebuy_sbuf_puts(b, va_arg(ap, const char *)); break;
		case 'h': rebuy_sbuf_html(b, va_arg(ap, const char *)); break;
		default: rebuy_sbuf_put(b, f, 1); break;
		}
		run = f + 1;
	}
	rebuy_sbuf_put(b, run, (size_t)(f - run));
	va_end(ap);
}

/* A coordinate as it will be written, so that neighbours computed from it
 * tile without hairline gaps. */
static double r1(double v)
{
	return llround(v * 10) / 10.0;
}

static size_t n_chars(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
		n += (*p & 0xC0) != 0x80;
	return n;
}

static double text_w(const char *s, size_t max_chars)
{
	size_t n = n_chars(s);
	return (double)(n < max_chars ? n : max_chars) * CHAR_W;
}

static const char *label_at(const char *const *labels, size_t i)
{
	return labels && labels[i] ? labels[i] : "";
}

static double widest(const char *const *labels, size_t n, size_t max_chars)
{
	double w = 0;
	for (size_t i = 0; i < n; i++) {
		double t = text_w(label_at(labels, i), max_chars);
		w = t > w ? t : w;
	}
	return w;
}

/* s escaped, cut to max_chars characters, the last one then "…". */
static void put_cut(struct rebuy_sbuf *b, const char *s, size_t max_chars)
{
	if (n_chars(s) <= max_chars) {
		rebuy_sbuf_html(b, s);
		return;
	}
	char tmp[256];
	size_t len = 0, chars = 0;
	for (const char *p = s; *p; p++) {
		if ((*p & 0xC0) != 0x80) {
			if (chars + 1 >= max_chars || len + 8 > sizeof tmp)
				break;
			chars++;
		}
		tmp[len++] = *p;
	}
	tmp[len] = '\0';
	rebuy_sbuf_html(b, tmp);
	rebuy_sbuf_puts(b, "\xE2\x80\xA6");
}

static void series_class(size_t k, char buf[16])
{
	snprintf(buf, 16, "rb-s%zu", k % 8);
}

/* <title>cat · series: value</title>, leaving out what is missing. */
static void put_title(struct ctx *g, const char *cat, const char *series, const char *value)
{
	int has_cat = cat && *cat, has_series = series && *series;
	rebuy_sbuf_puts(g->b, "<title>");
	if (has_cat)
		rebuy_sbuf_html(g->b, cat);
	if (has_cat && has_series)
		rebuy_sbuf_puts(g->b, " \xC2\xB7 ");
	if (has_series)
		rebuy_sbuf_html(g->b, series);
	if (has_cat || has_series)
		rebuy_sbuf_puts(g->b, ": ");
	rebuy_sbuf_html(g->b, value);
	rebuy_sbuf_puts(g->b, "</title>");
}

static const char *fmt_value(const struct ctx *g, const struct rebuy_chart_axis *a, double v,
                             char buf[NUM_TEXT])
{
	rebuy_format_num(g->c->lang, v, a->fmt, a->decimals, buf, NUM_TEXT);
	return buf;
}

/* A tick label: the axis format, or compact powers of ten on a log axis. */
static const char *tick_text(const struct ctx *g, const struct rebuy_chart_axis *a, int log,
                             double v, char buf[NUM_TEXT])
{
	if (log)
		rebuy_format_num(g->c->lang, v, REBUY_NUM_COMPACT, 0, buf, NUM_TEXT);
	else
		fmt_value(g, a, v, buf);
	return buf;
}

/* ---- scales and ticks ---- */

static double at(const struct scale *s, double v)
{
	if (s->log)
		v = log10(v);
	if (v < s->d0)
		v = s->d0;
	if (v > s->d1)
		v = s->d1;
	return s->p0 + (v - s->d0) / (s->d1 - s->d0) * (s->p1 - s->p0);
}

/* A 1px line drawn on whole pixels. */
static double crisp(double v)
{
	return floor(v) + 0.5;
}

static struct scale make_scale(const struct ticks *t, double p0, double p1)
{
	struct scale s = {t->lo, t->hi, p0, p1, t->log};
	return s;
}

/* Whether v lies on the axis span (a fixed range can leave data outside). */
static int in_span(const struct ticks *t, double v)
{
	double u = t->log ? log10(v) : v;
	double eps = (t->hi - t->lo) * 1e-9;
	return u >= t->lo - eps && u <= t->hi + eps;
}

/* The finest step the axis format can tell apart, so labels never repeat. */
static double finest_step(const struct rebuy_chart_axis *a)
{
	switch (a->fmt) {
	case REBUY_NUM_INT: return 1;
	case REBUY_NUM_DECIMAL: return pow(10, -a->decimals);
	case REBUY_NUM_PERCENT: return pow(10, -a->decimals - 2);
	default: return 0;
	}
}

/* Ticks at multiples of a 1-2-5 step over [lo, hi] (the data), widened to
 * whole steps unless the axis fixes an end. */
static void linear_ticks(double lo, double hi, const struct rebuy_chart_axis *a, struct ticks *t)
{
	if (a->has_min)
		lo = a->min;
	if (a->has_max)
		hi = a->max;
	lo = fmax(lo, -1e300); /* keeps hi - lo finite */
	hi = fmin(hi, 1e300);
	if (!(hi > lo)) {
		double v = a->has_min ? lo : hi, d = v != 0 ? fabs(v) * 0.1 : 1;
		if (a->has_min)
			hi = lo + d;
		else if (a->has_max)
			lo = hi - d;
		else if (v == 0)
			lo = 0, hi = 1;
		else
			lo = v - d, hi = v + d;
	}
	static const double mult[3] = {1, 2, 5};
	double finest = finest_step(a), step = 1;
	int e = (int)floor(log10(hi - lo)) - 2;
	if (finest > 0 && e < (int)floor(log10(finest) + 1e-9))
		e = (int)floor(log10(finest) + 1e-9); /* start at the finest step */
	finest *= 1 - 1e-9;
	for (int k = 0; k < 60; k++) {
		step = mult[k % 3] * pow(10, e + k / 3);
		if (step < finest)
			continue;
		if (ceil(hi / step - 1e-9) - floor(lo / step + 1e-9) + 1 <= 6)
			break;
	}
	t->log = 0;
	t->lo = a->has_min ? lo : floor(lo / step + 1e-9) * step;
	t->hi = a->has_max ? hi : ceil(hi / step - 1e-9) * step;
	t->n = 0;
	for (double k = ceil(t->lo / step - 1e-9); k * step <= t->hi + step * 1e-9; k++) {
		if (t->n == MAX_TICKS)
			break;
		t->v[t->n++] = k * step + 0.0; /* + 0.0: no -0 */
	}
}

/* Ticks at powers of ten over [lo, hi] (> 0), every m-th power when there
 * are more than six. */
static void log_ticks(double lo, double hi, const struct rebuy_chart_axis *a, struct ticks *t)
{
	if (a->has_min)
		lo = a->min;
	if (a->has_max)
		hi = a->max;
	if (!(hi > lo)) {
		if (a->has_max && !a->has_min)
			lo = hi / 10;
		else
			hi = lo * 10;
	}
	int e0 = (int)floor(log10(lo) + 1e-9), e1 = (int)ceil(log10(hi) - 1e-9);
	if (e1 <= e0)
		e1 = e0 + 1;
	int stride = (e1 - e0 + 4) / 5;
	e1 = e0 + stride * ((e1 - e0 + stride - 1) / stride);
	t->log = 1;
	t->lo = a->has_min ? log10(lo) : e0;
	t->hi = a->has_max ? log10(hi) : e1;
	t->n = 0;
	for (int e = e0; e <= e1 && t->n < MAX_TICKS; e += stride)
		if (e >= t->lo - 1e-9 && e <= t->hi + 1e-9)
			t->v[t->n++] = pow(10, e);
}

static void axis_ticks(double lo, double hi, const struct rebuy_chart_axis *a, struct ticks *t)
{
	if (a->log)
		log_ticks(lo, hi, a, t);
	else
		linear_ticks(lo, hi, a, t);
	if (t->n == 0) { /* a fixed range with no step inside: tick its ends */
		t->v[0] = t->log ? pow(10, t->lo) : t->lo;
		t->v[1] = t->log ? pow(10, t->hi) : t->hi;
		t->n = 2;
	}
}

static double widest_tick(const struct ctx *g, const struct rebuy_chart_axis *a,
                          const struct ticks *t)
{
	char buf[NUM_TEXT];
	double w = 0;
	for (size_t i = 0; i < t->n; i++) {
		double tw = text_w(tick_text(g, a, t->log, t->v[i], buf), SIZE_MAX);
		w = tw > w ? tw : w;
	}
	return w;
}

/* A running range of the finite values seen (and only positive ones for a
 * log axis). */
struct range {
	double lo, hi;
	int any;
};

static int usable(double v, int log)
{
	return isfinite(v) && (!log || v > 0);
}

static void range_add(struct range *r, double v, int log)
{
	if (!usable(v, log))
		return;
	if (fabs(v) > 1e300) /* keeps hi - lo finite */
		v = v < 0 ? -1e300 : 1e300;
	if (!r->any || v < r->lo)
		r->lo = v;
	if (!r->any || v > r->hi)
		r->hi = v;
	r->any = 1;
}

/* ---- layout ---- */

static double top_of_plot(double legend_h, double extra)
{
	return (legend_h > 0 ? PAD + legend_h + 6 : PAD + 6) + extra;
}

/* The width of one of n bands between the margins (never below 1/n px, so
 * that a squeezed chart still divides by something). */
static double band_of(const struct ctx *g, double left, double right, size_t n)
{
	double plot_w = g->w - left - right;
	return (plot_w > 1 ? plot_w : 1) / (double)n;
}

/* Show every k-th label so that shown ones are `pitch` apart or more. */
static size_t every_for(double pitch, double band)
{
	double k = ceil(pitch / band);
	return k < 1 ? 1 : k > 1e9 ? 1000000000 : (size_t)k;
}

/* Chooses which category labels show and whether they turn, and widens the
 * left and right margins until the outermost labels stay in the viewBox. */
static void fit_categories(const struct ctx *g, const char *const *labels, size_t n, int may_rotate,
                           double *left, double *right, struct cat_axis *ax)
{
	ax->every = 1;
	ax->max_chars = LABEL_CHARS;
	ax->rotate = 0;
	ax->label_h = X_LABELS;
	if (n == 0)
		return;
	double pitch = 0;
	for (int iter = 0; iter < 6; iter++) {
		double band = band_of(g, *left, *right, n);
		double maxw = widest(labels, n, LABEL_CHARS);
		size_t every = every_for(maxw + LABEL_GAP, band);
		size_t shown = (n + every - 1) / every;
		/* Turn the labels when thinning would leave fewer than 4, or would
		 * hide any of a dozen or fewer (names, not a time axis). */
		ax->rotate = may_rotate && (shown < (n < 4 ? n : 4) || (every > 1 && n <= 12));
		ax->max_chars = LABEL_CHARS;
		ax->label_h = X_LABELS;
		if (ax->rotate) {
			double fit = (0.3 * g->h - 16) / SIN45 / CHAR_W;
			ax->max_chars = fit < 4 ? 4 : fit < LABEL_CHARS ? (size_t)fit : LABEL_CHARS;
			maxw = widest(labels, n, ax->max_chars);
			every = every_for(ROT_PITCH, band);
			ax->label_h = maxw * SIN45 + 16;
		}
		pitch = ax->rotate ? ROT_PITCH : maxw + LABEL_GAP;
		ax->every = every;
		size_t last = (n - 1) / every * every;
		double w0 = text_w(label_at(labels, 0), ax->max_chars);
		double wl = text_w(label_at(labels, last), ax->max_chars);
		double first_c = *left + band / 2, last_c = *left + ((double)last + 0.5) * band;
		double over_l, over_r;
		if (ax->rotate) {
			over_l = PAD - (first_c + 4 - w0 * SIN45 - 6);
			over_r = last_c + 4 - (g->w - PAD);
		} else {
			over_l = PAD - (first_c - w0 / 2);
			over_r = last_c + wl / 2 - (g->w - PAD);
		}
		if (over_l <= 0.05 && over_r <= 0.05)
			break;
		if (over_l > 0.05)
			*left += over_l;
		if (over_r > 0.05)
			*right += over_r;
	}
	/* The last round may have moved the margins: keep the spacing. */
	size_t every = every_for(pitch, band_of(g, *left, *right, n));
	ax->every = every > ax->every ? every : ax->every;
}

/* The plot of a chart with categories along x and values up y. */
static void layout_categories(struct ctx *g, const struct ticks *yt, double legend_h,
                              double extra_top, struct cat_axis *ax)
{
	const struct rebuy_chart *c = g->c;
	double left = PAD + (c->y.label ? AXIS_LABEL : 0) + widest_tick(g, &c->y, yt) + TICK_GAP;
	double right = PAD;
	fit_categories(g, c->categories, c->n_categories, 1, &left, &right, ax);
	g->pl = left;
	g->pr = g->w - right > left + 1 ? g->w - right : left + 1;
	g->pt = top_of_plot(legend_h, extra_top);
	g->pb = g->h - PAD - (c->x.label ? AXIS_LABEL : 0) - ax->label_h;
	if (g->pb < g->pt + 10)
		g->pb = g->pt + 10;
}

/* The plot of a chart with numbers along x: the first and last x labels
 * centre on the plot's edges at most. */
static void layout_numeric(struct ctx *g, const struct ticks *yt, double x_first_w, double x_last_w,
                           double legend_h, double extra_top)
{
	const struct rebuy_chart *c = g->c;
	double left = PAD + (c->y.label ? AXIS_LABEL : 0) + widest_tick(g, &c->y, yt) + TICK_GAP;
	if (left < PAD + x_first_w / 2)
		left = PAD + x_first_w / 2;
	g->pl = left;
	g->pr = g->w - PAD - x_last_w / 2 > left + 1 ? g->w - PAD - x_last_w / 2 : left + 1;
	g->pt = top_of_plot(legend_h, extra_top);
	g->pb = g->h - PAD - (c->x.label ? AXIS_LABEL : 0) - X_LABELS;
	if (g->pb < g->pt + 10)
		g->pb = g->pt + 10;
}

/* ---- shared pieces ---- */

/* The legend from the top-left, wrapped into rows no wider than the chart
 * and no taller than a third of it (series past that are left out of it).
 * Returns its height; writes it only when `draw`. */
static double legend(struct ctx *g, int line_swatch, int draw)
{
	const struct rebuy_chart *c = g->c;
	if (c->n_series < 2)
		return 0;
	double sw = line_swatch ? 16 : 10, px = PAD, py = PAD;
	size_t rows = 1, max_rows = (size_t)(g->h / 3 / LEGEND_ROW);
	max_rows = max_rows ? max_rows : 1;
	if (draw)
		rebuy_sbuf_puts(g->b, "<g class=\"rb-legend\">\n");
	for (size_t k = 0; k < c->n_series; k++) {
		const struct rebuy_chart_series *s = &c->series[k];
		const char *name = s->name ? s->name : "";
		double item_w = sw + 4 + text_w(name, LEGEND_CHARS);
		if (px > PAD && px + item_w > g->w - PAD) {
			if (rows == max_rows)
				break;
			rows++;
			px = PAD;
			py += LEGEND_ROW;
		}
		if (draw) {
			char cls[16];
			series_class(k, cls);
			if (line_swatch)
				emit(g->b, "<path class=\"rb-line %s%s%s\" d=\"M%v %vh16\"/>", cls,
				     s->emphasis ? " rb-strong" : "",
				     s->dashed || k >= 8 ? " rb-dash" : "", px, py + 6);
			else
				emit(g->b,
				     "<rect class=\"rb-sw %s\" x=\"%v\" y=\"%v\" width=\"10\" "
				     "height=\"10\"/>",
				     cls, px, py + 1);
			emit(g->b, "<text x=\"%v\" y=\"%v\">", px + sw + 4, py + 10);
			put_cut(g->b, name, LEGEND_CHARS);
			rebuy_sbuf_puts(g->b, "</text>\n");
		}
		px += item_w + 14;
	}
	if (draw)
		rebuy_sbuf_puts(g->b, "</g>\n");
	return (double)rows * LEGEND_ROW;
}

static void draw_y_label(struct ctx *g);

/* Horizontal gridlines and the y tick labels. */
static void draw_y_axis(struct ctx *g, const struct ticks *t, const struct scale *ys)
{
	const struct rebuy_chart *c = g->c;
	char buf[NUM_TEXT];
	rebuy_sbuf_puts(g->b, "<path class=\"rb-grid\" d=\"");
	for (size_t i = 0; i < t->n; i++)
		emit(g->b, "M%v %vH%v", g->pl, crisp(at(ys, t->v[i])), g->pr);
	rebuy_sbuf_puts(g->b, "\"/>\n<g class=\"rb-tick\" text-anchor=\"end\">\n");
	for (size_t i = 0; i < t->n; i++)
		emit(g->b, "<text x=\"%v\" y=\"%v\">%h</text>\n", g->pl - TICK_GAP,
		     at(ys, t->v[i]) + 4, tick_text(g, &c->y, t->log, t->v[i], buf));
	rebuy_sbuf_puts(g->b, "</g>\n");
	draw_y_label(g);
}

/* The y axis label, turned, left of everything. */
static void draw_y_label(struct ctx *g)
{
	const struct rebuy_chart *c = g->c;
	if (c->y.label) {
		double mid = (g->pt + g->pb) / 2;
		emit(g->b,
		     "<text class=\"rb-axis-label\" transform=\"rotate(-90)\" x=\"%v\" y=\"%v\" "
		     "text-anchor=\"middle\">",
		     -mid, PAD + 12);
		put_cut(g->b, c->y.label, (size_t)((g->pb - g->pt) / CHAR_W));
		rebuy_sbuf_puts(g->b, "</text>\n");
	}
}

/* The x axis label, centred under the plot. */
static void draw_x_label(struct ctx *g)
{
	const struct rebuy_chart *c = g->c;
	if (!c->x.label)
		return;
	emit(g->b, "<text class=\"rb-axis-label\" x=\"%v\" y=\"%v\" text-anchor=\"middle\">",
	     (g->pl + g->pr) / 2, g->h - PAD - 3);
	put_cut(g->b, c->x.label, (size_t)((g->w - 2 * PAD) / CHAR_W));
	rebuy_sbuf_puts(g->b, "</text>\n");
}

/* A line along the plot at y (the baseline, or zero). */
static void draw_baseline(struct ctx *g, double y)
{
	emit(g->b, "<path class=\"rb-axis\" d=\"M%v %vH%v\"/>\n", g->pl, crisp(y), g->pr);
}

/* Category labels under the plot, centred on their bands (rotated ones hang
 * from just under it). */
static void draw_categories(struct ctx *g, const struct cat_axis *ax)
{
	const struct rebuy_chart *c = g->c;
	size_t n = c->n_categories;
	double band = (g->pr - g->pl) / (double)n;
	emit(g->b, "<g class=\"rb-tick\" text-anchor=\"%s\">\n", ax->rotate ? "end" : "middle");
	for (size_t i = 0; i < n; i += ax->every) {
		const char *s = label_at(c->categories, i);
		double cx = g->pl + ((double)i + 0.5) * band;
		if (ax->rotate) {
			double ax_x = cx + 4, ax_y = g->pb + 10;
			emit(g->b, "<text x=\"%v\" y=\"%v\" transform=\"rotate(-45 %v %v)\">", ax_x,
			     ax_y, ax_x, ax_y);
		} else {
			double hw = text_w(s, ax->max_chars) / 2; /* a last guard on the edges */
			if (cx - hw < PAD)
				cx = PAD + hw;
			if (cx + hw > g->w - PAD)
				cx = g->w - PAD - hw;
			emit(g->b, "<text x=\"%v\" y=\"%v\">", cx, g->pb + 16);
		}
		put_cut(g->b, s, ax->max_chars);
		rebuy_sbuf_puts(g->b, "</text>\n");
	}
	rebuy_sbuf_puts(g->b, "</g>\n");
}

/* Labels under the plot at the x values v[0..n), each left out when it
 * would come closer than LABEL_GAP to the last one shown. */
static void draw_x_values(struct ctx *g, const double *v, size_t n, int log, const struct scale *xs)
{
	char buf[NUM_TEXT];
	double last_right = -1e9;
	rebuy_sbuf_puts(g->b, "<g class=\"rb-tick\" text-anchor=\"middle\">\n");
	for (size_t i = 0; i < n; i++) {
		const char *s = tick_text(g, &g->c->x, log, v[i], buf);
		double px = at(xs, v[i]), hw = text_w(s, SIZE_MAX) / 2;
		if (px - hw < last_right + LABEL_GAP)
			continue;
		emit(g->b, "<text x=\"%v\" y=\"%v\">%h</text>\n", px, g->pb + 16, s);
		last_right = px + hw;
	}
	rebuy_sbuf_puts(g->b, "</g>\n");
}

/* Vertical gridlines at the x ticks. */
static void draw_x_grid(struct ctx *g, const struct ticks *t, const struct scale *xs)
{
	rebuy_sbuf_puts(g->b, "<path class=\"rb-grid\" d=\"");
	for (size_t i = 0; i < t->n; i++)
		emit(g->b, "M%v %vV%v", crisp(at(xs, t->v[i])), g->pt, g->pb);
	rebuy_sbuf_puts(g->b, "\"/>\n");
}

/* ---- bars and stacked bars ---- */

/* Where series k starts in category i of a stack: positive values stack up
 * from zero, negative ones (a refund-heavy period) down from it. */
static double stack_base(const struct rebuy_chart *c, size_t k, size_t i, int negative)
{
	double base = 0;
	for (size_t j = 0; j < k; j++) {
		double v = c->series[j].y[i];
		if (isfinite(v) && (v < 0) == negative)
			base += v;
	}
	return base;
}

static void chart_bars(struct ctx *g)
{
	const struct rebuy_chart *c = g->c;
	int stacked = c->kind == REBUY_CHART_STACKED;
	size_t n = c->n_categories;
	struct range r = {0, 0, 1}; /* bars stand on zero */
	for (size_t i = 0; i < n; i++) {
		if (stacked) {
			range_add(&r, stack_base(c, c->n_series, i, 0), 0);
			range_add(&r, stack_base(c, c->n_series, i, 1), 0);
		} else
			for (size_t k = 0; k < c->n_series; k++)
				range_add(&r, c->series[k].y[i], 0);
	}
	struct ticks yt;
	struct cat_axis ax;
	axis_ticks(r.lo, r.hi, &c->y, &yt);
	layout_categories(g, &yt, legend(g, 0, 0), 0, &ax);
	struct scale ys = make_scale(&yt, g->pb, g->pt);
	legend(g, 0, 1);
	draw_y_axis(g, &yt, &ys);

	double band = (g->pr - g->pl) / (double)n;
	double group = band * (c->n_series > 1 && !stacked ? 0.8 : 0.7);
	double bar_w = stacked ? group : group / (double)c->n_series;
	char buf[NUM_TEXT], cls[16];
	for (size_t k = 0; k < c->n_series; k++) {
		const struct rebuy_chart_series *s = &c->series[k];
		series_class(k, cls);
		emit(g->b, "<g class=\"rb-bar %s\">\n", cls);
		for (size_t i = 0; i < n; i++) {
			double v = s->y[i];
			if (!isfinite(v))
				continue;
			double v0 = stacked ? stack_base(c, k, i, v < 0) : 0, v1 = v0 + v;
			double x0 = g->pl + (double)i * band + (band - group) / 2;
			if (!stacked)
				x0 += (double)k * bar_w;
			double ya = r1(at(&ys, v0)), yb = r1(at(&ys, v1));
			double y0 = ya < yb ? ya : yb, y1 = ya < yb ? yb : ya;
			emit(g->b, "<rect x=\"%v\" y=\"%v\" width=\"%v\" height=\"%v\">", r1(x0),
			     y0, r1(x0 + bar_w) - r1(x0), y1 - y0);
			put_title(g, label_at(c->categories, i), s->name,
			          fmt_value(g, &c->y, v, buf));
			rebuy_sbuf_puts(g->b, "</rect>\n");
		}
		rebuy_sbuf_puts(g->b, "</g>\n");
	}
	draw_baseline(g, at(&ys, 0));
	draw_categories(g, &ax);
	draw_x_label(g);
}

/* ---- lines ---- */

struct line_geo {
	const struct ctx *g;
	int numeric_x;
	struct scale xs, ys;
	double band;
};

static int vertex_ok(const struct line_geo *lg, const struct rebuy_chart_series *s, size_t i)
{
	const struct rebuy_chart *c = lg->g->c;
	if (!usable(s->y[i], c->y.log))
		return 0;
	return !lg->numeric_x || usable(s->x[i], c->x.log);
}

static double vertex_x(const struct line_geo *lg, const struct rebuy_chart_series *s, size_t i)
{
	if (lg->numeric_x)
		return at(&lg->xs, s->x[i]);
	return lg->g->pl + ((double)i + 0.5) * lg->band;
}

/* The band between lo and hi, one closed path per run of usable values. */
static void draw_band(struct ctx *g, const struct line_geo *lg, const struct rebuy_chart_series *s,
                      size_t k)
{
	const struct rebuy_chart *c = g->c;
	char cls[16];
	series_class(k, cls);
	emit(g->b, "<path class=\"rb-band %s\" d=\"", cls);
	size_t n = s->n;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && usable(s->lo[j], c->y.log) && usable(s->hi[j], c->y.log) &&
		       (!lg->numeric_x || usable(s->x[j], c->x.log)))
			j++;
		if (j > i) {
			for (size_t m = i; m < j; m++)
				emit(g->b,
				     m == i       ? "M%v %v"
				     : m == i + 1 ? "L%v %v"
				                  : " %v %v",
				     vertex_x(lg, s, m), at(&lg->ys, s->hi[m]));
			for (size_t m = j; m-- > i;)
				emit(g->b, j - i == 1 ? "L%v %v" : " %v %v", vertex_x(lg, s, m),
				     at(&lg->ys, s->lo[m]));
			rebuy_sbuf_puts(g->b, "Z");
		}
		i = j < n ? j + 1 : n;
	}
	rebuy_sbuf_puts(g->b, "\"/>\n");
}

/* The line, broken where a value is missing; a lone value is a dot. */
static void draw_line(struct ctx *g, const struct line_geo *lg, const struct rebuy_chart_series *s,
                      size_t k)
{
	char cls[16];
	series_class(k, cls);
	emit(g->b, "<path class=\"rb-line %s%s%s\" d=\"", cls, s->emphasis ? " rb-strong" : "",
	     s->dashed || k >= 8 ? " rb-dash" : "");
	size_t run = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (!vertex_ok(lg, s, i)) {
			if (run == 1)
				rebuy_sbuf_puts(g->b, "h0");
			run = 0;
			continue;
		}
		emit(g->b,
		     run == 0   ? "M%v %v"
		     : run == 1 ? "L%v %v"
		                : " %v %v",
		     vertex_x(lg, s, i), at(&lg->ys, s->y[i]));
		run++;
	}
	if (run == 1)
		rebuy_sbuf_puts(g->b, "h0");
	if (s->n > HOVER_MAX && s->name) {
		rebuy_sbuf_puts(g->b, "\"><title>");
		rebuy_sbuf_html(g->b, s->name);
		rebuy_sbuf_puts(g->b, "</title></path>\n");
	} else {
		rebuy_sbuf_puts(g->b, "\"/>\n");
	}
}

/* Invisible circles on the vertices, for their tooltips. */
static void draw_hover(struct ctx *g, const struct line_geo *lg, const struct rebuy_chart_series *s)
{
	const struct rebuy_chart *c = g->c;
	char val[NUM_TEXT], xbuf[NUM_TEXT];
	rebuy_sbuf_puts(g->b, "<g class=\"rb-hover\" fill=\"transparent\">\n");
	for (size_t i = 0; i < s->n; i++) {
		if (!vertex_ok(lg, s, i))
			continue;
		const char *cat = c->categories ? label_at(c->categories, i)
		                                : fmt_value(g, &c->x, s->x[i], xbuf);
		emit(g->b, "<circle cx=\"%v\" cy=\"%v\" r=\"5\">", vertex_x(lg, s, i),
		     at(&lg->ys, s->y[i]));
		put_title(g, cat, s->name, fmt_value(g, &c->y, s->y[i], val));
		rebuy_sbuf_puts(g->b, "</circle>\n");
	}
	rebuy_sbuf_puts(g->b, "</g>\n");
}

static void draw_marker(struct ctx *g, const struct scale *xs);

static void chart_lines(struct ctx *g)
{
	const struct rebuy_chart *c = g->c;
	struct line_geo lg = {.g = g, .numeric_x = c->series[0].x != NULL};
	struct range xr = {0, 0, 0}, yr = {0, 0, 0};
	for (size_t k = 0; k < c->n_series; k++) {
		const struct rebuy_chart_series *s = &c->series[k];
		for (size_t i = 0; i < s->n; i++) {
			if (lg.numeric_x && !usable(s->x[i], c->x.log))
				continue;
			if (usable(s->y[i], c->y.log) && lg.numeric_x)
				range_add(&xr, s->x[i], c->x.log);
			range_add(&yr, s->y[i], c->y.log);
			if (s->lo)
				range_add(&yr, s->lo[i], c->y.log);
			if (s->hi)
				range_add(&yr, s->hi[i], c->y.log);
		}
	}
	struct ticks xt, yt;
	struct cat_axis ax;
	axis_ticks(yr.lo, yr.hi, &c->y, &yt);
	double lh = legend(g, 1, 0);
	if (lg.numeric_x) {
		char buf[NUM_TEXT];
		axis_ticks(xr.lo, xr.hi, &c->x, &xt);
		double w0 = text_w(tick_text(g, &c->x, xt.log, xt.v[0], buf), SIZE_MAX);
		double wl = text_w(tick_text(g, &c->x, xt.log, xt.v[xt.n - 1], buf), SIZE_MAX);
		layout_numeric(g, &yt, w0, wl, lh, c->marker_label ? MARKER_H : 0);
		lg.xs = make_scale(&xt, g->pl, g->pr);
	} else {
		layout_categories(g, &yt, lh, c->marker_label ? MARKER_H : 0, &ax);
		lg.band = (g->pr - g->pl) / (double)c->n_categories;
	}
	lg.ys = make_scale(&yt, g->pb, g->pt);
	legend(g, 1, 1);
	if (lg.numeric_x)
		draw_x_grid(g, &xt, &lg.xs);
	draw_y_axis(g, &yt, &lg.ys);
	draw_baseline(g, g->pb);
	if (lg.numeric_x)
		draw_x_values(g, xt.v, xt.n, xt.log, &lg.xs);
	else
		draw_categories(g, &ax);
	draw_x_label(g);
	for (size_t k = 0; k < c->n_series; k++)
		if (c->series[k].lo)
			draw_band(g, &lg, &c->series[k], k);
	rebuy_sbuf_puts(g->b, "<g fill=\"none\">\n");
	for (size_t k = 0; k < c->n_series; k++)
		draw_line(g, &lg, &c->series[k], k);
	rebuy_sbuf_puts(g->b, "</g>\n");
	for (size_t k = 0; k < c->n_series; k++)
		if (c->series[k].n <= HOVER_MAX)
			draw_hover(g, &lg, &c->series[k]);
	if (c->marker_label) {
		/* Categories: the marker is a category index, drawn at its centre. */
		struct scale ms = lg.numeric_x ? lg.xs
		                               : (struct scale){-0.5, (double)c->n_categories - 0.5,
		                                                g->pl, g->pr, 0};
		draw_marker(g, &ms);
	}
}

/* ---- scatter ---- */

static int point_ok(const struct rebuy_chart *c, const struct rebuy_chart_series *s, size_t i)
{
	double xv = s->x ? s->x[i] : (double)i;
	return usable(xv, c->x.log) && usable(s->y[i], c->y.log);
}

/* "x label: 1.5 · y label: 20" for points that came without a title. */
static void point_title(struct ctx *g, const struct rebuy_chart_series *s, double xv, double yv)
{
	const struct rebuy_chart *c = g->c;
	char xb[NUM_TEXT], yb[NUM_TEXT];
	rebuy_sbuf_puts(g->b, "<title>");
	if (s->name && *s->name)
		emit(g->b, "%h \xC2\xB7 ", s->name);
	emit(g->b, "%h: %h \xC2\xB7 %h: %h</title>", c->x.label ? c->x.label : "x",
	     fmt_value(g, &c->x, xv, xb), c->y.label ? c->y.label : "y",
	     fmt_value(g, &c->y, yv, yb));
}

static void chart_scatter(struct ctx *g)
{
	const struct rebuy_chart *c = g->c;
	struct range xr = {0, 0, 0}, yr = {0, 0, 0};
	for (size_t k = 0; k < c->n_series; k++)
		for (size_t i = 0; i < c->series[k].n; i++)
			if (point_ok(c, &c->series[k], i)) {
				const struct rebuy_chart_series *s = &c->series[k];
				range_add(&xr, s->x ? s->x[i] : (double)i, c->x.log);
				range_add(&yr, s->y[i], c->y.log);
			}
	struct ticks xt, yt;
	char buf[NUM_TEXT];
	axis_ticks(xr.lo, xr.hi, &c->x, &xt);
	axis_ticks(yr.lo, yr.hi, &c->y, &yt);
	double w0 = text_w(tick_text(g, &c->x, xt.log, xt.v[0], buf), SIZE_MAX);
	double wl = text_w(tick_text(g, &c->x, xt.log, xt.v[xt.n - 1], buf), SIZE_MAX);
	layout_numeric(g, &yt, w0, wl, legend(g, 0, 0), 0);
	struct scale xs = make_scale(&xt, g->pl, g->pr), ys = make_scale(&yt, g->pb, g->pt);
	legend(g, 0, 1);
	draw_x_grid(g, &xt, &xs);
	draw_y_axis(g, &yt, &ys);
	draw_baseline(g, g->pb);
	draw_x_values(g, xt.v, xt.n, xt.log, &xs);
	draw_x_label(g);
	char cls[16];
	for (size_t k = 0; k < c->n_series; k++) {
		const struct rebuy_chart_series *s = &c->series[k];
		int titled = s->point_titles || s->n <= HOVER_MAX;
		series_class(k, cls);
		emit(g->b, "<g class=\"%s rb-pt\">\n", cls);
		for (size_t i = 0; i < s->n; i++) {
			double xv = s->x ? s->x[i] : (double)i, yv = s->y[i];
			if (!point_ok(c, s, i) || !in_span(&xt, xv) || !in_span(&yt, yv))
				continue;
			emit(g->b, "<circle cx=\"%v\" cy=\"%v\" r=\"2.5\"", at(&xs, xv),
			     at(&ys, yv));
			if (!titled || (s->point_titles && !s->point_titles[i])) {
				rebuy_sbuf_puts(g->b, "/>\n");
				continue;
			}
			rebuy_sbuf_puts(g->b, ">");
			if (s->point_titles)
				emit(g->b, "<title>%h</title>", s->point_titles[i]);
			else
				point_title(g, s, xv, yv);
			rebuy_sbuf_puts(g->b, "</circle>\n");
		}
		rebuy_sbuf_puts(g->b, "</g>\n");
	}
}

/* ---- histogram ---- */

static void draw_marker(struct ctx *g, const struct scale *xs)
{
	const struct rebuy_chart *c = g->c;
	double mx = at(xs, c->marker);
	size_t max_chars = (size_t)((g->w - 2 * PAD) / CHAR_W);
	double hw = text_w(c->marker_label, max_chars) / 2, tx = mx;
	if (tx - hw < PAD)
		tx = PAD + hw;
	if (tx + hw > g->w - PAD)
		tx = g->w - PAD - hw;
	emit(g->b,
	     "<g class=\"rb-marker\"><path d=\"M%v %vV%v\"/>"
	     "<text x=\"%v\" y=\"%v\" text-anchor=\"middle\">",
	     crisp(mx), g->pt - 2, g->pb, tx, g->pt - 6);
	put_cut(g->b, c->marker_label, max_chars);
	rebuy_sbuf_puts(g->b, "</text></g>\n");
}

static void chart_histogram(struct ctx *g)
{
	const struct rebuy_chart *c = g->c;
	size_t n = c->n_categories;
	const double *count = c->series[0].y, *edges = c->edges;
	struct range r = {0, 0, 1}, xr = {edges[0], edges[n], 1};
	for (size_t i = 0; i < n; i++)
		range_add(&r, count[i], 0);
	if (c->marker_label)
		range_add(&xr, c->marker, 0);
	struct ticks yt;
	axis_ticks(r.lo, r.hi, &c->y, &yt);
	char buf[NUM_TEXT];
	double w0 = text_w(fmt_value(g, &c->x, edges[0], buf), SIZE_MAX);
	double wl = text_w(fmt_value(g, &c->x, edges[n], buf), SIZE_MAX);
	layout_numeric(g, &yt, w0, wl, 0, c->marker_label ? MARKER_H : 0);
	struct scale xs = {xr.lo, xr.hi, g->pl, g->pr, 0}, ys = make_scale(&yt, g->pb, g->pt);
	draw_y_axis(g, &yt, &ys);
	char from[NUM_TEXT], to[NUM_TEXT], val[NUM_TEXT];
	/* crispEdges: bins touch without antialiased seams between them */
	rebuy_sbuf_puts(g->b, "<g class=\"rb-bar rb-s0\" shape-rendering=\"crispEdges\">\n");
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(count[i]))
			continue;
		double x0 = r1(at(&xs, edges[i])), x1 = r1(at(&xs, edges[i + 1]));
		double y0 = r1(at(&ys, count[i])), y1 = r1(at(&ys, 0));
		emit(g->b,
		     "<rect x=\"%v\" y=\"%v\" width=\"%v\" height=\"%v\"><title>%h\xE2\x80\x93%h: "
		     "%h</title></rect>\n",
		     x0, y0, x1 - x0, y1 - y0, fmt_value(g, &c->x, edges[i], from),
		     fmt_value(g, &c->x, edges[i + 1], to), fmt_value(g, &c->y, count[i], val));
	}
	rebuy_sbuf_puts(g->b, "</g>\n");
	draw_baseline(g, g->pb);
	draw_x_values(g, edges, n + 1, 0, &xs);
	draw_x_label(g);
	if (c->marker_label)
		draw_marker(g, &xs);
}

/* ---- heatmap ---- */

/* R's viridis(9). */
static const unsigned char viridis[9][3] = {
        {0x44, 0x01, 0x54}, {0x47, 0x2D, 0x7B}, {0x3B, 0x52, 0x8B},
        {0x2C, 0x72, 0x8E}, {0x21, 0x90, 0x8C}, {0x27, 0xAD, 0x81},
        {0x5D, 0xC8, 0x63}, {0xAA, 0xDC, 0x32}, {0xFD, 0xE7, 0x25},
};

static void viridis_at(double t, unsigned char rgb[3])
{
	t = t < 0 ? 0 : t > 1 ? 1 : t;
	double f = t * 8;
	int k = f >= 8 ? 7 : (int)f;
	double u = f - k;
	for (int i = 0; i < 3; i++)
		rgb[i] = (unsigned char)lround(viridis[k][i] +
		                               (viridis[k + 1][i] - viridis[k][i]) * u);
}

/* Black text on light fills, white on dark: WCAG relative luminance, with
 * the crossing where both contrasts are equal (L = 0.179). */
static int wants_dark_text(const unsigned char rgb[3])
{
	double lin[3];
	for (int i = 0; i < 3; i++) {
		double v = rgb[i] / 255.0;
		lin[i] = v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
	}
	return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2] > 0.179;
}

static void cell_colour(double v, double lo, double hi, char hex[8], int *dark_text)
{
	unsigned char rgb[3];
	viridis_at(hi > lo ? (v - lo) / (hi - lo) : 0.5, rgb);
	snprintf(hex, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
	*dark_text = wants_dark_text(rgb);
}

/* Pixel edges on whole pixels: crisp, and short to write. */
static int edge(double origin, double size, size_t i)
{
	return (int)lround(origin + size * (double)i);
}

/* A 1px gap between cells, when they are big enough to spare it. */
static int cell_gap(double cw, double ch)
{
	return cw >= 6 && ch >= 6;
}

/* Values are written in the cells when every one of them fits. */
static int values_fit(const struct ctx *g, double cw, double ch)
{
	const struct rebuy_chart *c = g->c;
	if (cw < 28 || ch < 14)
		return 0;
	char buf[NUM_TEXT];
	for (size_t i = 0; i < c->n_rows * c->n_categories; i++) {
		if (!isfinite(c->cells[i]))
			continue;
		rebuy_format_num(c->lang, c->cells[i], c->cell_fmt, c->cell_decimals, buf,
		                 sizeof buf);
		if ((double)n_chars(buf) * CELL_CHAR_W > cw - 4)
			return 0;
	}
	return 1;
}

static void draw_cells(struct ctx *g, double lo, double hi, double cw, double ch)
{
	const struct rebuy_chart *c = g->c;
	size_t nc = c->n_categories;
	int gap = cell_gap(cw, ch), dark;
	char hex[8], val[NUM_TEXT];
	rebuy_sbuf_puts(g->b, "<g class=\"rb-cells\">\n");
	for (size_t r = 0; r < c->n_rows; r++) {
		int y0 = edge(g->pt, ch, r), y1 = edge(g->pt, ch, r + 1);
		for (size_t col = 0; col < nc; col++) {
			double v = c->cells[r * nc + col];
			if (!isfinite(v))
				continue;
			int x0 = edge(g->pl, cw, col), x1 = edge(g->pl, cw, col + 1);
			cell_colour(v, lo, hi, hex, &dark);
			emit(g->b, "<path d=\"M%d %dh%dv%dh%dz\" fill=\"%s\">", x0, y0,
			     x1 - x0 - gap, y1 - y0 - gap, -(x1 - x0 - gap), hex);
			rebuy_format_num(c->lang, v, c->cell_fmt, c->cell_decimals, val,
			                 sizeof val);
			rebuy_sbuf_puts(g->b, "<title>");
			emit(g->b, "%h \xC2\xB7 %h: %h", label_at(c->row_labels, r),
			     label_at(c->categories, col), val);
			if (c->row_notes && c->row_notes[r])
				emit(g->b, "\n%h", c->row_notes[r]);
			rebuy_sbuf_puts(g->b, "</title></path>\n");
		}
	}
	rebuy_sbuf_puts(g->b, "</g>\n");
}

static void draw_cell_values(struct ctx *g, double lo, double hi, double cw, double ch)
{
	const struct rebuy_chart *c = g->c;
	size_t nc = c->n_categories;
	int gap = cell_gap(cw, ch), dark;
	char hex[8], val[NUM_TEXT];
	rebuy_sbuf_puts(g->b,
	                "<g class=\"rb-cell\" text-anchor=\"middle\" pointer-events=\"none\">\n");
	for (size_t r = 0; r < c->n_rows; r++) {
		int y0 = edge(g->pt, ch, r), y1 = edge(g->pt, ch, r + 1);
		for (size_t col = 0; col < nc; col++) {
			double v = c->cells[r * nc + col];
			if (!isfinite(v))
				continue;
			int x0 = edge(g->pl, cw, col), x1 = edge(g->pl, cw, col + 1);
			cell_colour(v, lo, hi, hex, &dark);
			rebuy_format_num(c->lang, v, c->cell_fmt, c->cell_decimals, val,
			                 sizeof val);
			emit(g->b, "<text x=\"%v\" y=\"%v\" fill=\"%s\">%h</text>\n",
			     (x0 + x1 - gap) / 2.0, (y0 + y1 - gap) / 2.0 + 4,
			     dark ? "#000" : "#fff", val);
		}
	}
	rebuy_sbuf_puts(g->b, "</g>\n");
}

/* Row labels left of the grid, every k-th when rows are under 14px. */
static void draw_row_labels(struct ctx *g, double cw, double ch, size_t max_chars)
{
	const struct rebuy_chart *c = g->c;
	size_t every = ch >= 14 ? 1 : (size_t)ceil(14 / ch);
	int gap = cell_gap(cw, ch);
	rebuy_sbuf_puts(g->b, "<g class=\"rb-tick\" text-anchor=\"end\">\n");
	for (size_t r = 0; r < c->n_rows; r += every) {
		int y0 = edge(g->pt, ch, r), y1 = edge(g->pt, ch, r + 1);
		emit(g->b, "<text x=\"%v\" y=\"%v\">", g->pl - TICK_GAP, (y0 + y1 - gap) / 2.0 + 4);
		put_cut(g->b, label_at(c->row_labels, r), max_chars);
		rebuy_sbuf_puts(g->b, "</text>\n");
	}
	rebuy_sbuf_puts(g->b, "</g>\n");
}

/* Column labels over the grid, centred on the cells as drawn. */
static void draw_column_labels(struct ctx *g, const struct cat_axis *ax, double cw, double ch)
{
	const struct rebuy_chart *c = g->c;
	int gap = cell_gap(cw, ch);
	rebuy_sbuf_puts(g->b, "<g class=\"rb-tick\" text-anchor=\"middle\">\n");
	for (size_t col = 0; col < c->n_categories; col += ax->every) {
		int x0 = edge(g->pl, cw, col), x1 = edge(g->pl, cw, col + 1);
		emit(g->b, "<text x=\"%v\" y=\"%v\">", (x0 + x1 - gap) / 2.0, g->pt - 6);
		put_cut(g->b, label_at(c->categories, col), ax->max_chars);
		rebuy_sbuf_puts(g->b, "</text>\n");
	}
	rebuy_sbuf_puts(g->b, "</g>\n");
}

/* The colour key under the grid: lowest value, the nine stops, highest. */
static void draw_key(struct ctx *g, double lo, double hi)
{
	const struct rebuy_chart *c = g->c;
	char a[NUM_TEXT], z[NUM_TEXT];
	rebuy_format_num(c->lang, lo, c->cell_fmt, c->cell_decimals, a, sizeof a);
	rebuy_format_num(c->lang, hi, c->cell_fmt, c->cell_decimals, z, sizeof z);
	double wa = text_w(a, SIZE_MAX), total = wa + 8 + 9 * 12 + 8 + text_w(z, SIZE_MAX);
	double x = g->pl, y = g->h - PAD - 10;
	if (x + total > g->w - PAD)
		x = g->w - PAD - total;
	if (x < PAD)
		x = PAD;
	emit(g->b, "<g class=\"rb-key\"><text class=\"rb-tick\" x=\"%v\" y=\"%v\">%h</text>", x,
	     y + 9, a);
	x += wa + 8;
	for (int i = 0; i < 9; i++) {
		char hex[8];
		snprintf(hex, sizeof hex, "#%02x%02x%02x", viridis[i][0], viridis[i][1],
		         viridis[i][2]);
		emit(g->b, "<rect x=\"%v\" y=\"%v\" width=\"12\" height=\"10\" fill=\"%s\"/>",
		     x + 12 * i, y, hex);
	}
	emit(g->b, "<text class=\"rb-tick\" x=\"%v\" y=\"%v\">%h</text></g>\n", x + 9 * 12 + 8,
	     y + 9, z);
}

static void chart_heatmap(struct ctx *g)
{
	const struct rebuy_chart *c = g->c;
	size_t nr = c->n_rows, nc = c->n_categories;
	struct range r = {0, 0, 0};
	for (size_t i = 0; i < nr * nc; i++)
		range_add(&r, c->cells[i], 0);
	/* Row labels take at most 30% of the width. */
	double fit = 0.3 * g->w / CHAR_W;
	size_t row_chars = fit < 4 ? 4 : fit < LABEL_CHARS ? (size_t)fit : LABEL_CHARS;
	double left = PAD + (c->y.label ? AXIS_LABEL : 0) + widest(c->row_labels, nr, row_chars) +
	              TICK_GAP;
	double right = PAD;
	struct cat_axis ax;
	fit_categories(g, c->categories, nc, 0, &left, &right, &ax);
	g->pl = left;
	g->pr = g->w - right > left + 1 ? g->w - right : left + 1;
	g->pt = PAD + (c->x.label ? AXIS_LABEL : 0) + X_LABELS;
	g->pb = g->h - PAD - 10 - 8;
	if (g->pb < g->pt + 10)
		g->pb = g->pt + 10;
	double cw = (g->pr - g->pl) / (double)nc, ch = (g->pb - g->pt) / (double)nr;
	draw_cells(g, r.lo, r.hi, cw, ch);
	if (values_fit(g, cw, ch))
		draw_cell_values(g, r.lo, r.hi, cw, ch);
	draw_row_labels(g, cw, ch, row_chars);
	draw_column_labels(g, &ax, cw, ch);
	if (c->x.label) {
		emit(g->b,
		     "<text class=\"rb-axis-label\" x=\"%v\" y=\"%v\" text-anchor=\"middle\">",
		     (g->pl + g->pr) / 2, PAD + 12);
		put_cut(g->b, c->x.label, (size_t)((g->w - 2 * PAD) / CHAR_W));
		rebuy_sbuf_puts(g->b, "</text>\n");
	}
	draw_y_label(g);
	draw_key(g, r.lo, r.hi);
}

/* ---- no data ---- */

static void chart_empty(struct ctx *g)
{
	emit(g->b,
	     "<rect class=\"rb-frame\" x=\"%v\" y=\"%v\" width=\"%v\" height=\"%v\" "
	     "fill=\"none\"/>\n"
	     "<text class=\"rb-empty\" x=\"%v\" y=\"%v\" text-anchor=\"middle\">%s</text>\n",
	     PAD + 0.5, PAD + 0.5, g->w - 2 * PAD - 1, g->h - 2 * PAD - 1, g->w / 2, g->h / 2 + 4,
	     g->c->lang == REBUY_LANG_RU ? "Нет данных" : "No data");
}

static int has_data(const struct rebuy_chart *c)
{
	for (size_t k = 0; k < c->n_series; k++) {
		const struct rebuy_chart_series *s = &c->series[k];
		for (size_t i = 0; i < s->n; i++) {
			switch (c->kind) {
			case REBUY_CHART_LINES:
				if (usable(s->y[i], c->y.log) &&
				    (!s->x || usable(s->x[i], c->x.log)))
					return 1;
				break;
			case REBUY_CHART_SCATTER:
				if (point_ok(c, s, i))
					return 1;
				break;
			default:
				if (isfinite(s->y[i]))
					return 1;
				break;
			}
		}
	}
	return 0;
}

static int heatmap_has_data(const struct rebuy_chart *c)
{
	for (size_t i = 0; i < c->n_rows * c->n_categories; i++)
		if (isfinite(c->cells[i]))
			return 1;
	return 0;
}

/* ---- checking the description ---- */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static enum rebuy_status
bad(struct rebuy_error *err, const struct rebuy_chart *c, const char *fmt, ...)
{
	char msg[REBUY_ERROR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return rebuy_error_set(err, REBUY_EARG, "chart '%.64s': %s", c->id, msg);
}

static const char *series_name(const struct rebuy_chart_series *s)
{
	return s->name ? s->name : "";
}

static enum rebuy_status check_id(const struct rebuy_chart *c, struct rebuy_error *err)
{
	if (!c->id || !*c->id)
		return rebuy_error_set(err, REBUY_EARG, "chart: no id");
	size_t n = 0;
	for (const char *p = c->id; *p; p++, n++) {
		char ch = *p;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-'))
			return rebuy_error_set(
			        err, REBUY_EARG,
			        "chart: id '%.64s' may hold only ASCII letters, digits "
			        "and '-'",
			        c->id);
	}
	if (n > 64)
		return bad(err, c, "the id is longer than 64 characters");
	return REBUY_OK;
}

static enum rebuy_status check_axis(const struct rebuy_chart *c, const struct rebuy_chart_axis *a,
                                    const char *name, int log_ok, struct rebuy_error *err)
{
	if ((unsigned)a->fmt > REBUY_NUM_COMPACT)
		return bad(err, c, "%s axis: unknown number format %d", name, (int)a->fmt);
	if (a->decimals < 0 || a->decimals > 6)
		return bad(err, c, "%s axis: %d decimals is outside 0..6", name, a->decimals);
	if ((a->has_min && !isfinite(a->min)) || (a->has_max && !isfinite(a->max)))
		return bad(err, c, "%s axis: a fixed end is not a finite number", name);
	if (a->has_min && a->has_max && !(a->min < a->max))
		return bad(err, c, "%s axis: min %g is not below max %g", name, a->min, a->max);
	if (a->log && !log_ok)
		return bad(err, c,
		           "%s axis: a log scale is for scatter plots and lines over x values",
		           name);
	if (a->log && ((a->has_min && a->min <= 0) || (a->has_max && a->max <= 0)))
		return bad(err, c, "%s axis: a log scale needs fixed ends above 0", name);
	return REBUY_OK;
}

static enum rebuy_status check_series(const struct rebuy_chart *c, struct rebuy_error *err)
{
	if (c->n_series > 0 && !c->series)
		return bad(err, c, "n_series is %zu but series is NULL", c->n_series);
	for (size_t k = 0; k < c->n_series; k++) {
		const struct rebuy_chart_series *s = &c->series[k];
		if (c->kind != REBUY_CHART_SCATTER && s->n != c->n_categories)
			return bad(err, c, "series %zu ('%.64s') has %zu values for %zu categories",
			           k, series_name(s), s->n, c->n_categories);
		if (s->n > 0 && !s->y)
			return bad(err, c, "series %zu ('%.64s') has no y values", k,
			           series_name(s));
		if (c->kind == REBUY_CHART_LINES && (s->x != NULL) != (c->series[0].x != NULL))
			return bad(err, c, "series %zu ('%.64s'): x values for some series only", k,
			           series_name(s));
		if (c->kind == REBUY_CHART_LINES && (s->lo != NULL) != (s->hi != NULL))
			return bad(err, c, "series %zu ('%.64s'): a band needs both lo and hi", k,
			           series_name(s));
		if (c->kind == REBUY_CHART_HISTOGRAM)
			for (size_t i = 0; i < s->n; i++)
				if (s->y[i] < 0)
					return bad(
					        err, c,
					        "series %zu ('%.64s'): value %g at %zu is negative",
					        k, series_name(s), s->y[i], i);
	}
	return REBUY_OK;
}

static enum rebuy_status check_kind(const struct rebuy_chart *c, struct rebuy_error *err)
{
	enum rebuy_chart_kind kind = c->kind;
	int over_x = kind == REBUY_CHART_LINES && c->n_series > 0 && c->series[0].x;
	int need_categories = kind == REBUY_CHART_BARS || kind == REBUY_CHART_STACKED ||
	                      kind == REBUY_CHART_HEATMAP || (kind == REBUY_CHART_LINES && !over_x);
	if (need_categories && c->n_categories > 0 && !c->categories)
		return bad(err, c, "n_categories is %zu but categories is NULL", c->n_categories);
	if (kind == REBUY_CHART_HEATMAP) {
		size_t n;
		if (rebuy__mul_overflows(c->n_rows, c->n_categories, &n))
			return bad(err, c, "%zu x %zu cells is too many", c->n_rows,
			           c->n_categories);
		if (c->n_rows > 0 && !c->row_labels)
			return bad(err, c, "n_rows is %zu but row_labels is NULL", c->n_rows);
		if (n > 0 && !c->cells)
			return bad(err, c, "the heatmap has %zu cells but cells is NULL", n);
		if ((unsigned)c->cell_fmt > REBUY_NUM_COMPACT || c->cell_decimals < 0 ||
		    c->cell_decimals > 6)
			return bad(err, c, "cell format %d with %d decimals is not one rebuy knows",
			           (int)c->cell_fmt, c->cell_decimals);
	}
	if (kind == REBUY_CHART_HISTOGRAM) {
		size_t n = c->n_categories;
		if (c->n_series > 1 || (n > 0 && c->n_series != 1))
			return bad(err, c, "a histogram takes one series of counts, not %zu",
			           c->n_series);
		if (n > 0 && !c->edges)
			return bad(err, c, "%zu bins but edges is NULL", n);
		for (size_t i = 0; n > 0 && i <= n; i++)
			if (!isfinite(c->edges[i]) || (i > 0 && !(c->edges[i] > c->edges[i - 1])))
				return bad(err, c,
				           "edge %zu (%g) does not increase from the one before", i,
				           c->edges[i]);
		if (c->marker_label && !isfinite(c->marker))
			return bad(err, c, "the marker '%.64s' is not at a finite x",
			           c->marker_label);
	}
	return REBUY_OK;
}

static enum rebuy_status check(const struct rebuy_chart *c, struct rebuy_error *err)
{
	enum rebuy_status st = check_id(c, err);
	if (st != REBUY_OK)
		return st;
	if ((unsigned)c->kind > REBUY_CHART_SCATTER)
		return bad(err, c, "unknown chart kind %d", (int)c->kind);
	if (c->width != 0 && (c->width < 160 || c->width > 10000))
		return bad(err, c, "width %d is outside 160..10000", c->width);
	if (c->height != 0 && (c->height < 120 || c->height > 10000))
		return bad(err, c, "height %d is outside 120..10000", c->height);
	if ((unsigned)c->lang > REBUY_LANG_RU)
		return bad(err, c, "unknown language %d", (int)c->lang);
	int scatter = c->kind == REBUY_CHART_SCATTER, lines = c->kind == REBUY_CHART_LINES;
	int over_x = lines && c->n_series > 0 && c->series && c->series[0].x;
	if ((st = check_axis(c, &c->x, "x", scatter || over_x, err)) != REBUY_OK ||
	    (st = check_axis(c, &c->y, "y", scatter || lines, err)) != REBUY_OK ||
	    (st = check_series(c, err)) != REBUY_OK)
		return st;
	return check_kind(c, err);
}

/* ---- the chart ---- */

enum rebuy_status rebuy_chart_svg(const struct rebuy_chart *c, struct rebuy_sbuf *out,
                                  struct rebuy_error *err)
{
	if (!c || !out)
		return rebuy_error_set(err, REBUY_EARG, "chart: no chart or no output buffer");
	enum rebuy_status st = check(c, err);
	if (st != REBUY_OK)
		return st;
	struct ctx g = {.c = c, .b = out};
	g.w = c->width ? c->width : DEFAULT_W;
	g.h = c->height ? c->height : DEFAULT_H;
	const char *name = c->title ? c->title : c->id;
	emit(out,
	     "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"%s\" class=\"rb-chart\" "
	     "viewBox=\"0 0 %v %v\" width=\"100%%\" role=\"img\" aria-label=\"%h\" "
	     "font-family=\"system-ui,sans-serif\" font-size=\"12\">\n<title>%h</title>\n",
	     c->id, g.w, g.h, name, name);
	int data = c->kind == REBUY_CHART_HEATMAP ? heatmap_has_data(c) : has_data(c);
	if (!data) {
		chart_empty(&g);
	} else {
		switch (c->kind) {
		case REBUY_CHART_BARS:
		case REBUY_CHART_STACKED: chart_bars(&g); break;
		case REBUY_CHART_LINES: chart_lines(&g); break;
		case REBUY_CHART_HEATMAP: chart_heatmap(&g); break;
		case REBUY_CHART_HISTOGRAM: chart_histogram(&g); break;
		case REBUY_CHART_SCATTER: chart_scatter(&g); break;
		}
	}
	rebuy_sbuf_puts(out, "</svg>\n");
	if (rebuy_sbuf_failed(out))
		return rebuy_error_set(err, REBUY_ENOMEM, "chart '%s': out of memory", c->id);
	return REBUY_OK;
}

const char *rebuy_chart_css(void)
{
	return ".rb-chart{--rb-text:#1f1f1f;--rb-muted:#555;--rb-axis:#8c8c8c;--rb-grid:#e4e4e4;"
	       "--rb-frame:#c8c8c8;font-family:system-ui,sans-serif;font-size:12px}\n"
	       ".rb-s0{--rb-c:#0072B2}\n"
	       ".rb-s1{--rb-c:#E69F00}\n"
	       ".rb-s2{--rb-c:#009E73}\n"
	       ".rb-s3{--rb-c:#CC79A7}\n"
	       ".rb-s4{--rb-c:#56B4E9}\n"
	       ".rb-s5{--rb-c:#D55E00}\n"
	       ".rb-s6{--rb-c:#F0E442;--rb-cs:#B8A000}\n"
	       ".rb-s7{--rb-c:#000000}\n"
	       ".rb-bar,.rb-sw{fill:var(--rb-c)}\n"
	       ".rb-line{fill:none;stroke:var(--rb-cs,var(--rb-c));stroke-width:2;"
	       "stroke-linecap:round;stroke-linejoin:round}\n"
	       ".rb-strong{stroke-width:3}\n"
	       ".rb-dash{stroke-dasharray:6 4}\n"
	       ".rb-band{fill:var(--rb-c);stroke:none;opacity:.2}\n"
	       ".rb-pt{fill:var(--rb-c);stroke:var(--rb-cs,var(--rb-c));fill-opacity:.6}\n"
	       ".rb-hover circle{fill:transparent;stroke:none}\n"
	       ".rb-hover circle:hover{fill:var(--rb-text);fill-opacity:.25}\n"
	       ".rb-grid{fill:none;stroke:var(--rb-grid);stroke-width:1}\n"
	       ".rb-axis{fill:none;stroke:var(--rb-axis);stroke-width:1}\n"
	       ".rb-frame{fill:none;stroke:var(--rb-frame)}\n"
	       ".rb-legend,.rb-axis-label,.rb-marker text{fill:var(--rb-text)}\n"
	       ".rb-tick,.rb-empty{fill:var(--rb-muted)}\n"
	       ".rb-marker path{fill:none;stroke:var(--rb-text);stroke-width:1.5;"
	       "stroke-dasharray:4 3}\n"
	       ".rb-cell{font-size:11px}\n"
	       ".rb-cells path:hover{stroke:var(--rb-text);stroke-width:1.5}\n"
	       "@media (prefers-color-scheme:dark){"
	       ".rb-chart{--rb-text:#e8e8e8;--rb-muted:#b4b4b4;--rb-axis:#8c8c8c;"
	       "--rb-grid:#3a3a3a;--rb-frame:#5a5a5a}"
	       ".rb-s6{--rb-cs:#F0E442}.rb-s7{--rb-c:#e8e8e8}}\n"
	       "@media print{"
	       ".rb-chart{--rb-text:#1f1f1f;--rb-muted:#555;--rb-axis:#8c8c8c;"
	       "--rb-grid:#e4e4e4;--rb-frame:#c8c8c8}"
	       ".rb-s6{--rb-cs:#B8A000}.rb-s7{--rb-c:#000000}}\n";
}
