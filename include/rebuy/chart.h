/* rebuy — SVG charts and locale-aware numbers, for the HTML report.
 *
 * A chart is described by a plain struct (the data is borrowed) and written
 * as one inline <svg> element: axes with ticks, a legend when there is more
 * than one series, and a <title> tooltip on every bar, point and cell. The
 * SVG carries no colours of its own: marks carry classes (rb-s0 .. rb-s7 for
 * series, rb-axis, rb-grid, rb-tick, ...) that the report's stylesheet
 * colours for light and dark mode with a colour-blind-safe palette
 * (Okabe & Ito); heatmap cells carry their fill (a sequential scale) and a
 * text colour that contrasts with it. Output is deterministic: the same
 * chart gives the same bytes.
 *
 * Building never fails loudly: an allocation failure marks the buffer and
 * later writes are ignored (rebuy_sbuf_failed tells).
 *
 * Nothing here keeps global state: every function may run on several threads
 * at once, on different buffers.
 */
#ifndef REBUY_CHART_H
#define REBUY_CHART_H

#include <stdarg.h>
#include <stddef.h>

#include "rebuy/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- a growable string ---- */

/* p is owned by the buffer (freed by rebuy_sbuf_free) and moves as it grows.
 * A buffer holds at most 1 GiB; growing past that, or a failed allocation,
 * sets `failed`, and the text written so far stays NUL-terminated. */
struct rebuy_sbuf {
	char *p; /* NUL-terminated when len > 0 */
	size_t len, cap;
	int failed;
};

void rebuy_sbuf_init(struct rebuy_sbuf *b);
void rebuy_sbuf_free(struct rebuy_sbuf *b);
void rebuy_sbuf_put(struct rebuy_sbuf *b, const char *s, size_t n);
void rebuy_sbuf_puts(struct rebuy_sbuf *b, const char *s);
void rebuy_sbuf_printf(struct rebuy_sbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 2, 3)))
#endif
        ;
/* s as HTML/XML text or attribute value: & < > " ' escaped; invalid UTF-8
 * replaced by U+FFFD (one per maximal ill-formed subpart, as browsers do),
 * and so are control characters XML forbids (all below U+0020 but tab, LF
 * and CR, and DEL). s NULL writes nothing. */
void rebuy_sbuf_html(struct rebuy_sbuf *b, const char *s);
int rebuy_sbuf_failed(const struct rebuy_sbuf *b);

/* ---- numbers for people ---- */

enum rebuy_lang { REBUY_LANG_EN, REBUY_LANG_RU };

/* "en" or "ru" (exactly); REBUY_EARG otherwise, *out untouched. */
enum rebuy_status rebuy_lang_from_name(const char *name, enum rebuy_lang *out,
                                       struct rebuy_error *err);

enum rebuy_numfmt {
	REBUY_NUM_INT,     /* rounded to an integer, grouped thousands: 12,345 */
	REBUY_NUM_DECIMAL, /* `decimals` decimals, grouped: 1,234.5 */
	REBUY_NUM_PERCENT, /* a fraction as a percentage with `decimals` decimals: 12.5% */
	REBUY_NUM_COMPACT /* 3 significant digits with k / M / B (ru: тыс. / млн / млрд) */
};

/* Writes v into buf (always NUL-terminated when size > 0) the way lang
 * writes numbers: en "1,234.5" and "12.5%"; ru "1 234,5" and "12,5 %" (the
 * group and percent separators are U+00A0 no-break spaces). NaN and
 * infinities are written as "–" (an en dash); -0, and a negative value that
 * rounds to zero, as "0". Rounding is decimal, halves away from zero, on the
 * value as 15 significant digits give it (1.005 to 2 decimals is "1.01").
 * decimals is clamped to 0..12 (INT and COMPACT ignore it); COMPACT drops
 * trailing zeros ("1M", "1.5k") and goes no further than B / млрд.
 * Returns the bytes written without the NUL; a number longer than size - 1
 * is cut before a whole UTF-8 character. */
size_t rebuy_format_num(enum rebuy_lang lang, double v, enum rebuy_numfmt fmt, int decimals,
                        char *buf, size_t size);

/* ---- charts ---- */

enum rebuy_chart_kind {
	/* One bar per category for each series; several series are grouped
	 * side by side. */
	REBUY_CHART_BARS,
	/* Series stacked in each category: positive values up from zero,
	 * negative ones down from it. */
	REBUY_CHART_STACKED,
	/* One line per series over the categories (or over series[k].x when
	 * given); lo/hi draw a shaded band; NaN leaves a gap. */
	REBUY_CHART_LINES,
	/* A grid of n_rows x n_categories cells, cells[row * n_categories +
	 * col]; NaN cells are left empty. */
	REBUY_CHART_HEATMAP,
	/* Bins [edges[k], edges[k + 1]) with counts series[0].y[k]; n_categories
	 * bins, n_categories + 1 edges. */
	REBUY_CHART_HISTOGRAM,
	/* Points (series[k].x[i], series[k].y[i]), i < series[k].n. */
	REBUY_CHART_SCATTER
};

struct rebuy_chart_series {
	const char *name;
	size_t n;              /* points; for every kind but scatter, n_categories */
	const double *y;       /* values (NaN: none) */
	const double *x;       /* lines and scatter: x values (NULL: the category index);
	                          lines: for every series or none */
	const double *lo, *hi; /* lines: a band, or NULL */
	int emphasis;          /* lines: drawn thicker (e.g. an average over the others) */
	int dashed;            /* lines: dashed (e.g. expected against actual) */
	/* scatter: a tooltip per point, or NULL */
	const char *const *point_titles;
};

struct rebuy_chart_axis {
	const char *label; /* or NULL */
	enum rebuy_numfmt fmt;
	int decimals;
	int log; /* a log10 scale, values <= 0 skipped: y of scatter and lines, x of
	            scatter and of lines over series[k].x; ticks at powers of ten */
	int has_min, has_max;
	double min, max; /* fixed range; otherwise from the data (y from 0 for bars) */
};

struct rebuy_chart {
	enum rebuy_chart_kind kind;
	const char *id;    /* element id (ASCII letters, digits, '-'; 1-64), required */
	const char *title; /* accessible name (aria-label and <title>); NULL: the id */
	int width, height; /* the viewBox; 0: 720 x 300 */
	enum rebuy_lang lang;

	size_t n_categories;
	const char *const *categories; /* x labels (rows' columns for the heatmap) */
	size_t n_series;
	const struct rebuy_chart_series *series;
	struct rebuy_chart_axis x, y;

	/* heatmap */
	size_t n_rows;
	const char *const *row_labels;
	const double *cells;
	enum rebuy_numfmt cell_fmt;
	int cell_decimals;
	/* heatmap: an extra line in each cell's tooltip (e.g. the cohort size),
	 * n_rows entries, or NULL */
	const char *const *row_notes;

	/* histogram */
	const double *edges;
	/* Histograms and lines: a vertical marker line at this x with this
	 * label (e.g. the median), when marker_label is not NULL; for lines over
	 * categories x is a category index (drawn at the category's centre). */
	double marker;
	const char *marker_label;
};

/* Appends the chart as an <svg> element to out (a whole standalone SVG
 * document: it carries xmlns, and ends with a newline). REBUY_EARG (with a
 * message naming the chart id) when the description is inconsistent (no id,
 * a series of the wrong length, edges that do not increase, a negative
 * histogram count, a log scale where there is no numeric axis, a
 * width outside 160..10000 or height outside 120..10000, decimals outside
 * 0..6); nothing is appended then. REBUY_ENOMEM when out failed, before or
 * during the call: out then holds a cut chart, to be freed.
 * Empty data (no category, no point, every value NaN) gives a framed box
 * saying "No data" / "Нет данных".
 *
 * What the reader gets, by kind: every bar, point, vertex and cell has a
 * <title> tooltip ("category · series: value", values in the axis format);
 * lines get invisible hover circles only for series of at most 200 points
 * (longer ones get one title per line), and scatter series without
 * point_titles get "x: … · y: …" titles likewise only up to 200 points.
 * A heatmap's rows share the plot height (height 0: 300px) and its columns
 * the width; each cell prints its value (cell_fmt) when cells are at least
 * 28 x 14px and every value fits, else the value is in the tooltip only; row
 * labels sit left, column labels on top, a colour key (min .. max) below.
 * Give a heatmap height = 20 * n_rows + 70 or so for printed values. */
enum rebuy_status rebuy_chart_svg(const struct rebuy_chart *chart, struct rebuy_sbuf *out,
                                  struct rebuy_error *err);

/* The CSS the charts' classes need (palette, light and dark, and print),
 * to go inside the report's <style> (or a standalone SVG's). A static
 * string: do not free it. */
const char *rebuy_chart_css(void);

#ifdef __cplusplus
}
#endif
#endif
