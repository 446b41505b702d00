/* SVG charts, numbers for people and the string buffer (src/report/chart.c,
 * numfmt.c, sbuf.c). Each chart kind is compared byte for byte with a small
 * golden SVG under tests/data/chart; REBUY_REGEN=1 rewrites the goldens
 * instead, for review (view them with scripts or a browser, then diff). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/alloc.h"
#include "rebuy/chart.h"
#include "testutil.h"

#define NBSP "\xC2\xA0"

/* ---- helpers ---- */

static char *chart_text(const struct rebuy_chart *c)
{
	struct rebuy_sbuf b;
	struct rebuy_error err = {0};
	rebuy_sbuf_init(&b);
	enum rebuy_status st = rebuy_chart_svg(c, &b, &err);
	if (st != REBUY_OK)
		print_message("%s\n", err.msg);
	assert_int_equal(st, REBUY_OK);
	char *s = strdup(b.p);
	rebuy_sbuf_free(&b);
	return s;
}

/* Tags open and close in order (a stand-in for an XML parser). */
static void assert_well_formed(const char *s)
{
	char stack[64][32];
	int depth = 0;
	for (const char *p = strchr(s, '<'); p; p = strchr(p + 1, '<')) {
		int closing = p[1] == '/';
		const char *name = p + 1 + closing, *end = strchr(p, '>');
		assert_non_null(end);
		size_t n = strcspn(name, " >/\n");
		assert_true(n > 0 && n < 32);
		if (closing) {
			assert_true(depth > 0);
			depth--;
			assert_int_equal(strlen(stack[depth]), n);
			assert_memory_equal(stack[depth], name, n);
		} else if (end[-1] != '/') {
			assert_true(depth < 64);
			memcpy(stack[depth], name, n);
			stack[depth++][n] = '\0';
		}
	}
	assert_int_equal(depth, 0);
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;
	for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

static void check_golden(const char *name, const struct rebuy_chart *c)
{
	char *got = chart_text(c);
	assert_well_formed(got);
	assert_null(strstr(got, ".0\"")); /* coordinates are written short */
	assert_null(strstr(got, "nan"));
	char rel[128];
	snprintf(rel, sizeof rel, "chart/%s.svg", name);
	const char *path = tu_data_path(rel), *regen = getenv("REBUY_REGEN");
	if (regen && strcmp(regen, "1") == 0) {
		FILE *f = fopen(path, "wb");
		assert_non_null(f);
		fwrite(got, 1, strlen(got), f);
		fclose(f);
		print_message("rewrote %s\n", path);
	} else {
		char *want = tu_read_file(path, NULL);
		if (!want)
			print_message("%s is missing: run with REBUY_REGEN=1 and review it\n",
			              path);
		assert_non_null(want);
		assert_string_equal(got, want);
		free(want);
	}
	free(got);
}

/* ---- numbers ---- */

static void expect_num(enum rebuy_lang lang, double v, enum rebuy_numfmt fmt, int decimals,
                       const char *want)
{
	char buf[128];
	size_t n = rebuy_format_num(lang, v, fmt, decimals, buf, sizeof buf);
	if (strcmp(buf, want) != 0)
		print_message("%g (fmt %d, %d decimals, lang %d): got '%s', want '%s'\n", v,
		              (int)fmt, decimals, (int)lang, buf, want);
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

static void test_numfmt__english_groups_with_commas(void **state)
{
	(void)state;
	enum rebuy_lang en = REBUY_LANG_EN;
	expect_num(en, 1234.5, REBUY_NUM_DECIMAL, 1, "1,234.5");
	expect_num(en, 0.125, REBUY_NUM_PERCENT, 1, "12.5%");
	expect_num(en, 0.2, REBUY_NUM_PERCENT, 0, "20%");
	expect_num(en, -1234567, REBUY_NUM_INT, 0, "-1,234,567");
	expect_num(en, 999, REBUY_NUM_INT, 3, "999");
	expect_num(en, 1000, REBUY_NUM_INT, 0, "1,000");
	expect_num(en, 0.5, REBUY_NUM_DECIMAL, 3, "0.500");
	expect_num(en, 1234567, REBUY_NUM_COMPACT, 0, "1.23M");
	expect_num(en, 1234, REBUY_NUM_COMPACT, 0, "1.23k");
	expect_num(en, 12345, REBUY_NUM_COMPACT, 0, "12.3k");
	expect_num(en, 123, REBUY_NUM_COMPACT, 0, "123");
	expect_num(en, 1.5, REBUY_NUM_COMPACT, 0, "1.5");
	expect_num(en, 0.01234, REBUY_NUM_COMPACT, 0, "0.0123");
	expect_num(en, 1e6, REBUY_NUM_COMPACT, 0, "1M");
	expect_num(en, 2.5e9, REBUY_NUM_COMPACT, 0, "2.5B");
	expect_num(en, 999999, REBUY_NUM_COMPACT, 0, "1M"); /* rounds up into the next unit */
	expect_num(en, 999.6, REBUY_NUM_COMPACT, 0, "1k");
	expect_num(en, -45600, REBUY_NUM_COMPACT, 0, "-45.6k");
	expect_num(en, 0, REBUY_NUM_COMPACT, 0, "0");
	expect_num(en, 1.5e12, REBUY_NUM_COMPACT, 0, "1,500B");
}

static void test_numfmt__russian_uses_no_break_spaces_and_commas(void **state)
{
	(void)state;
	enum rebuy_lang ru = REBUY_LANG_RU;
	expect_num(ru, 1234.5, REBUY_NUM_DECIMAL, 1, "1" NBSP "234,5");
	expect_num(ru, 0.125, REBUY_NUM_PERCENT, 1, "12,5" NBSP "%");
	expect_num(ru, -1234567, REBUY_NUM_INT, 0, "-1" NBSP "234" NBSP "567");
	expect_num(ru, 1234567, REBUY_NUM_COMPACT, 0, "1,23" NBSP "млн");
	expect_num(ru, 45600, REBUY_NUM_COMPACT, 0, "45,6" NBSP "тыс.");
	expect_num(ru, 3e9, REBUY_NUM_COMPACT, 0, "3" NBSP "млрд");
	expect_num(ru, NAN, REBUY_NUM_PERCENT, 1, "\xE2\x80\x93");
}

static void test_numfmt__halves_round_away_from_zero(void **state)
{
	(void)state;
	enum rebuy_lang en = REBUY_LANG_EN;
	expect_num(en, 0.5, REBUY_NUM_INT, 0, "1");
	expect_num(en, 1.5, REBUY_NUM_INT, 0, "2");
	expect_num(en, 2.5, REBUY_NUM_INT, 0, "3"); /* not to even */
	expect_num(en, -2.5, REBUY_NUM_INT, 0, "-3");
	expect_num(en, 1.005, REBUY_NUM_DECIMAL, 2, "1.01"); /* as typed, not 1.00499... */
	expect_num(en, 0.125, REBUY_NUM_DECIMAL, 2, "0.13");
	expect_num(en, -0.125, REBUY_NUM_DECIMAL, 2, "-0.13");
	expect_num(en, 0.0005, REBUY_NUM_PERCENT, 1, "0.1%");
	expect_num(en, 99.95, REBUY_NUM_DECIMAL, 1, "100.0");
	expect_num(en, 999999.5, REBUY_NUM_INT, 0, "1,000,000");
	expect_num(en, 0.06, REBUY_NUM_DECIMAL, 1, "0.1");
	expect_num(en, 0.04, REBUY_NUM_DECIMAL, 1, "0.0");
	expect_num(en, 0.004, REBUY_NUM_DECIMAL, 1, "0.0");
}

static void test_numfmt__negative_zero_and_non_finite(void **state)
{
	(void)state;
	enum rebuy_lang en = REBUY_LANG_EN;
	expect_num(en, -0.0, REBUY_NUM_INT, 0, "0");
	expect_num(en, -0.0, REBUY_NUM_DECIMAL, 2, "0.00");
	expect_num(en, -0.04, REBUY_NUM_DECIMAL, 1, "0.0");
	expect_num(en, -0.4, REBUY_NUM_INT, 0, "0");
	expect_num(en, -0.0001, REBUY_NUM_COMPACT, 0, "-0.0001");
	expect_num(en, NAN, REBUY_NUM_INT, 0, "\xE2\x80\x93");
	expect_num(en, INFINITY, REBUY_NUM_DECIMAL, 2, "\xE2\x80\x93");
	expect_num(en, -INFINITY, REBUY_NUM_COMPACT, 0, "\xE2\x80\x93");
	expect_num(en, 1e308, REBUY_NUM_PERCENT, 0, "\xE2\x80\x93"); /* 1e310 % */
}

static void test_numfmt__small_buffers_cut_whole_characters(void **state)
{
	(void)state;
	char buf[8];
	/* "1 234 567" in ru is 11 bytes: 7 fit, but the 8th byte would split a
	 * no-break space, so the cut comes before it. */
	size_t n = rebuy_format_num(REBUY_LANG_RU, 1234567, REBUY_NUM_INT, 0, buf, 7);
	assert_string_equal(buf, "1" NBSP "234");
	assert_int_equal(n, 6);
	n = rebuy_format_num(REBUY_LANG_EN, 12345, REBUY_NUM_INT, 0, buf, 4);
	assert_string_equal(buf, "12,");
	assert_int_equal(n, 3);
	buf[0] = 'x';
	assert_int_equal(rebuy_format_num(REBUY_LANG_EN, 1, REBUY_NUM_INT, 0, buf, 0), 0);
	assert_int_equal(buf[0], 'x');
	n = rebuy_format_num(REBUY_LANG_EN, 1e300, REBUY_NUM_INT, 0, buf, sizeof buf);
	assert_int_equal(n, 7);
	assert_string_equal(buf, "1,000,0");
}

static void test_numfmt__language_names(void **state)
{
	(void)state;
	enum rebuy_lang lang = REBUY_LANG_RU;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_lang_from_name("en", &lang, &err), REBUY_OK);
	assert_int_equal(lang, REBUY_LANG_EN);
	assert_int_equal(rebuy_lang_from_name("ru", &lang, &err), REBUY_OK);
	assert_int_equal(lang, REBUY_LANG_RU);
	assert_int_equal(rebuy_lang_from_name("de", &lang, &err), REBUY_EARG);
	assert_string_equal(err.msg, "unknown language 'de' (expected en or ru)");
	assert_int_equal(lang, REBUY_LANG_RU);
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_lang_from_name(NULL, &lang, &err), REBUY_EARG);
	assert_int_equal(rebuy_lang_from_name("EN", &lang, NULL), REBUY_EARG);
}

/* ---- the string buffer ---- */

static void expect_html(const char *in, const char *want)
{
	struct rebuy_sbuf b;
	rebuy_sbuf_init(&b);
	rebuy_sbuf_puts(&b, "[");
	rebuy_sbuf_html(&b, in);
	rebuy_sbuf_puts(&b, "]");
	assert_false(rebuy_sbuf_failed(&b));
	assert_string_equal(b.p, want);
	rebuy_sbuf_free(&b);
}

#define FFFD "\xEF\xBF\xBD"

static void test_sbuf__html_escapes_markup(void **state)
{
	(void)state;
	expect_html("a&b<c>\"d'e", "[a&amp;b&lt;c&gt;&quot;d&#39;e]");
	expect_html("", "[]");
	expect_html("Привет € 😀", "[Привет € 😀]");
	expect_html("tab\there\nline", "[tab\there\nline]");
	expect_html("bell\x07!", "[bell" FFFD "!]");
}

static void test_sbuf__html_replaces_each_bad_utf8_subpart(void **state)
{
	(void)state;
	expect_html("\xff", "[" FFFD "]");
	expect_html("a\x80z", "[a" FFFD "z]");               /* a lone continuation byte */
	expect_html("\xe2\x82", "[" FFFD "]");               /* cut short at the end */
	expect_html("\xe2\x82x", "[" FFFD "x]");             /* cut short in the middle */
	expect_html("\xf0\x9f\x98<", "[" FFFD "&lt;]");      /* one U+FFFD for the subpart */
	expect_html("\xc0\xaf", "[" FFFD FFFD "]");          /* overlong '/' */
	expect_html("\xed\xa0\x80", "[" FFFD FFFD FFFD "]"); /* a surrogate */
	expect_html("\xf4\x90\x80\x80", "[" FFFD FFFD FFFD FFFD "]"); /* past U+10FFFF */
	expect_html("\xc3\xa9\xc3", "[\xc3\xa9" FFFD "]");
}

static void test_sbuf__grows_and_formats(void **state)
{
	(void)state;
	struct rebuy_sbuf b;
	rebuy_sbuf_init(&b);
	assert_null(b.p);
	for (int i = 0; i < 1000; i++)
		rebuy_sbuf_printf(&b, "%d,", i);
	rebuy_sbuf_put(&b, "xyz", 2);
	rebuy_sbuf_puts(&b, NULL);
	assert_false(rebuy_sbuf_failed(&b));
	assert_int_equal(b.len, strlen(b.p));
	assert_memory_equal(b.p, "0,1,2,", 6);
	assert_string_equal(b.p + b.len - 6, "999,xy");
	char big[600];
	memset(big, 'q', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	rebuy_sbuf_printf(&b, "<%s>", big); /* more than the room left at once */
	assert_int_equal(b.p[b.len - 1], '>');
	assert_int_equal(b.len, strlen(b.p));
	rebuy_sbuf_free(&b);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	rebuy_sbuf_free(NULL);
	assert_true(rebuy_sbuf_failed(NULL));
}

static void test_sbuf__a_failed_allocation_marks_the_buffer(void **state)
{
	(void)state;
	struct rebuy_sbuf b;
	rebuy_sbuf_init(&b);
	rebuy_sbuf_puts(&b, "kept");
	tu_fail_after(0);
	char big[400];
	memset(big, 'q', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	rebuy_sbuf_printf(&b, "%s", big);
	tu_fail_after(-1);
	assert_true(rebuy_sbuf_failed(&b));
	assert_string_equal(b.p, "kept"); /* still terminated where it was */
	rebuy_sbuf_puts(&b, "ignored");
	assert_string_equal(b.p, "kept");
	rebuy_sbuf_free(&b);
	assert_false(rebuy_sbuf_failed(&b));
	assert_int_equal(rebuy_alloc_in_use(), 0);
}

/* ---- golden charts ---- */

static const char *const months[] = {"2024-01", "2024-02", "2024-03",
                                     "2024-04", "2024-05", "2024-06"};

static void test_chart__bars_one_series(void **state)
{
	(void)state;
	static const double orders[] = {120, 340, 560, NAN, 410, 230};
	struct rebuy_chart_series s = {.name = "Orders", .n = 6, .y = orders};
	struct rebuy_chart c = {.kind = REBUY_CHART_BARS,
	                        .id = "bars-one",
	                        .title = "Orders per month",
	                        .width = 480,
	                        .height = 240,
	                        .n_categories = 6,
	                        .categories = months,
	                        .n_series = 1,
	                        .series = &s,
	                        .y = {.label = "Orders", .fmt = REBUY_NUM_INT}};
	check_golden("bars_one", &c);
}

static void test_chart__bars_two_series_with_a_legend(void **state)
{
	(void)state;
	static const char *const q[] = {"Q1", "Q2", "Q3", "Q4"};
	static const double fresh[] = {1234, 2345, 1800, 2100}, back[] = {800, 1500, 2600, 3100};
	struct rebuy_chart_series s[] = {{.name = "New", .n = 4, .y = fresh},
	                                 {.name = "Returning", .n = 4, .y = back}};
	struct rebuy_chart c = {.kind = REBUY_CHART_BARS,
	                        .id = "bars-two",
	                        .title = "Customers by quarter",
	                        .width = 480,
	                        .height = 240,
	                        .n_categories = 4,
	                        .categories = q,
	                        .n_series = 2,
	                        .series = s,
	                        .x = {.label = "Quarter"},
	                        .y = {.fmt = REBUY_NUM_INT}};
	check_golden("bars_two", &c);
}

static void test_chart__stacked(void **state)
{
	(void)state;
	static const char *const years[] = {"2021", "2022", "2023", "2024"};
	static const double one[] = {5200, 6100, 7000, 6400}, two[] = {1300, 1700, 2100, 2300},
	                    more[] = {400, 650, NAN, 1200};
	struct rebuy_chart_series s[] = {{.name = "1 order", .n = 4, .y = one},
	                                 {.name = "2 orders", .n = 4, .y = two},
	                                 {.name = "3+ orders", .n = 4, .y = more}};
	struct rebuy_chart c = {.kind = REBUY_CHART_STACKED,
	                        .id = "stacked",
	                        .title = "Customers by orders placed",
	                        .width = 480,
	                        .height = 260,
	                        .n_categories = 4,
	                        .categories = years,
	                        .n_series = 3,
	                        .series = s,
	                        .y = {.label = "Customers", .fmt = REBUY_NUM_COMPACT}};
	check_golden("stacked", &c);
}

static void test_chart__lines_with_band_gap_and_dashes(void **state)
{
	(void)state;
	static const char *const m[] = {"M1", "M2", "M3", "M4", "M5", "M6", "M7", "M8"};
	static const double actual[] = {1, 0.62, 0.48, NAN, 0.36, 0.33, 0.31, 0.3},
	                    lo[] = {1, 0.58, 0.44, NAN, 0.31, 0.28, 0.26, 0.24},
	                    hi[] = {1, 0.66, 0.52, NAN, 0.41, 0.38, 0.36, 0.36},
	                    expected[] = {1, 0.6, 0.47, 0.4, 0.35, 0.32, 0.3, 0.29},
	                    avg[] = {1, 0.55, 0.42, 0.37, 0.33, 0.3, 0.28, 0.27};
	struct rebuy_chart_series s[] = {
	        {.name = "Actual", .n = 8, .y = actual, .lo = lo, .hi = hi},
	        {.name = "Expected", .n = 8, .y = expected, .dashed = 1},
	        {.name = "All cohorts", .n = 8, .y = avg, .emphasis = 1}};
	struct rebuy_chart c = {
	        .kind = REBUY_CHART_LINES,
	        .id = "retention",
	        .title = "Retention by month since first order",
	        .width = 480,
	        .height = 260,
	        .n_categories = 8,
	        .categories = m,
	        .n_series = 3,
	        .series = s,
	        .x = {.label = "Months since first order"},
	        .y = {.label = "Retained", .fmt = REBUY_NUM_PERCENT, .has_min = 1, .min = 0},
	        .marker = 3,
	        .marker_label = "calibration end"};
	check_golden("lines", &c);
}

static void test_chart__heatmap_with_gaps_and_notes(void **state)
{
	(void)state;
	static const char *const rows[] = {"2024-01", "2024-02", "2024-03", "2024-04"},
	                         *const cols[] = {"0", "1", "2", "3", "4"},
	                         *const notes[] = {"312 customers", "280 customers",
	                                           "344 customers", "1 customer"};
	static const double cells[] = {1, 0.42, 0.31, 0.27, 0.25, /* */
	                               1, 0.38, 0.3,  NAN,  0.22, /* a missing cell */
	                               1, 0.45, 0.33, NAN,  NAN,  /* */
	                               1, NAN,  NAN,  NAN,  NAN};
	struct rebuy_chart c = {.kind = REBUY_CHART_HEATMAP,
	                        .id = "cohorts",
	                        .title = "Share of each cohort still buying",
	                        .width = 480,
	                        .height = 220,
	                        .n_categories = 5,
	                        .categories = cols,
	                        .n_rows = 4,
	                        .row_labels = rows,
	                        .cells = cells,
	                        .cell_fmt = REBUY_NUM_PERCENT,
	                        .row_notes = notes,
	                        .x = {.label = "Months since first order"},
	                        .y = {.label = "Cohort"}};
	check_golden("heatmap", &c);
}

static void test_chart__histogram_with_marker(void **state)
{
	(void)state;
	static const double edges[] = {0, 10, 20, 30, 40, 50, 60, 70, 80},
	                    counts[] = {42, 95, 130, 88, 51, 30, 12, 5};
	struct rebuy_chart_series s = {.name = "Customers", .n = 8, .y = counts};
	struct rebuy_chart c = {.kind = REBUY_CHART_HISTOGRAM,
	                        .id = "gaps",
	                        .title = "Days between orders",
	                        .width = 480,
	                        .height = 240,
	                        .n_categories = 8,
	                        .n_series = 1,
	                        .series = &s,
	                        .edges = edges,
	                        .marker = 24.5,
	                        .marker_label = "median 24.5",
	                        .x = {.label = "Days between orders"},
	                        .y = {.fmt = REBUY_NUM_INT}};
	check_golden("histogram", &c);
}

static void test_chart__scatter_on_log_x(void **state)
{
	(void)state;
	static const double revenue[] = {3, 12, 45, 80, 150, 420, 900, 1500, 4200, 0, 7800},
	                    orders[] = {1, 1, 2, 2, 3, 4, 6, 7, 12, 1, 20};
	static const char *const who[] = {"C-001", "C-002", "C-003", "C-004", "C-005",      "C-006",
	                                  "C-007", "C-008", "C-009", "C-010", "C-011 <top>"};
	struct rebuy_chart_series s = {
	        .name = "Customers", .n = 11, .x = revenue, .y = orders, .point_titles = who};
	struct rebuy_chart c = {.kind = REBUY_CHART_SCATTER,
	                        .id = "value",
	                        .title = "Orders against revenue",
	                        .width = 480,
	                        .height = 240,
	                        .n_series = 1,
	                        .series = &s,
	                        .x = {.label = "Revenue", .fmt = REBUY_NUM_COMPACT, .log = 1},
	                        .y = {.label = "Orders", .fmt = REBUY_NUM_INT}};
	check_golden("scatter", &c);
}

static void test_chart__empty_data_says_so(void **state)
{
	(void)state;
	static const double none[] = {NAN, NAN};
	static const char *const two[] = {"a", "b"};
	struct rebuy_chart_series s = {.name = "Orders", .n = 2, .y = none};
	struct rebuy_chart c = {.kind = REBUY_CHART_BARS,
	                        .id = "empty",
	                        .title = "Orders",
	                        .width = 320,
	                        .height = 160,
	                        .n_categories = 2,
	                        .categories = two,
	                        .n_series = 1,
	                        .series = &s};
	check_golden("empty", &c);
	/* Every kind says the same with nothing to draw. */
	char *want = chart_text(&c);
	enum rebuy_chart_kind kinds[] = {REBUY_CHART_STACKED, REBUY_CHART_LINES,
	                                 REBUY_CHART_HEATMAP, REBUY_CHART_HISTOGRAM,
	                                 REBUY_CHART_SCATTER};
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		struct rebuy_chart e = {.kind = kinds[k],
		                        .id = "empty",
		                        .title = "Orders",
		                        .width = 320,
		                        .height = 160};
		char *got = chart_text(&e);
		assert_string_equal(got, want);
		free(got);
	}
	free(want);
}

static void test_chart__russian(void **state)
{
	(void)state;
	static const char *const m[] = {"янв", "фев", "мар", "апр", "май", "июн", "июл"};
	static const double rev[] = {1250000, 1830000, 2410000, 1990000, 2760000, 3120000, 2880000};
	struct rebuy_chart_series s = {.name = "Выручка", .n = 7, .y = rev};
	struct rebuy_chart c = {.kind = REBUY_CHART_BARS,
	                        .id = "ru",
	                        .title = "Выручка по месяцам",
	                        .width = 480,
	                        .height = 240,
	                        .lang = REBUY_LANG_RU,
	                        .n_categories = 7,
	                        .categories = m,
	                        .n_series = 1,
	                        .series = &s,
	                        .y = {.label = "Выручка, ₽", .fmt = REBUY_NUM_COMPACT}};
	check_golden("ru", &c);
}

/* ---- layout guarantees ---- */

/* The x of each <text> in the first "rb-tick" group after `from`. */
static size_t label_xs(const char *s, const char *from, double *xs, size_t max)
{
	const char *g = strstr(strstr(s, from), "<g class=\"rb-tick\" text-anchor=\"middle\">");
	assert_non_null(g);
	const char *end = strstr(g, "</g>");
	size_t n = 0;
	for (const char *p = strstr(g, "<text x=\""); p && p < end && n < max;
	     p = strstr(p + 1, "<text x=\""))
		xs[n++] = strtod(p + 9, NULL);
	return n;
}

static void test_chart__many_categories_are_thinned_not_overlapped(void **state)
{
	(void)state;
	enum { N = 60 };
	static char names[N][16];
	static const char *labels[N];
	static double y[N];
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof names[i], "%d-%02d", 2020 + i / 12, i % 12 + 1);
		labels[i] = names[i];
		y[i] = 100 + i;
	}
	struct rebuy_chart_series s = {.name = "Orders", .n = N, .y = y};
	struct rebuy_chart c = {.kind = REBUY_CHART_BARS,
	                        .id = "thin",
	                        .n_categories = N,
	                        .categories = labels,
	                        .n_series = 1,
	                        .series = &s};
	char *svg = chart_text(&c);
	double xs[N];
	size_t n = label_xs(svg, "rb-axis", xs, N);
	assert_true(n >= 4 && n < N);
	for (size_t i = 1; i < n; i++) /* 7 characters of 7.2px, and a gap */
		assert_true(xs[i] - xs[i - 1] >= 7 * 7.2 + 8 - 0.1);
	assert_null(strstr(svg, "rotate(-45"));
	free(svg);
}

static void test_chart__long_labels_turn_and_stay_inside(void **state)
{
	(void)state;
	static const char *const names[] = {"Subscriptions and memberships", "One-off purchases",
	                                    "Gift cards"};
	static const double y[] = {10, 20, 30};
	struct rebuy_chart_series s = {.name = "Revenue", .n = 3, .y = y};
	struct rebuy_chart c = {.kind = REBUY_CHART_BARS,
	                        .id = "turn",
	                        .width = 200,
	                        .n_categories = 3,
	                        .categories = names,
	                        .n_series = 1,
	                        .series = &s};
	char *svg = chart_text(&c);
	assert_int_equal(count(svg, "rotate(-45"), 3);
	assert_non_null(strstr(svg, "\xE2\x80\xA6")); /* cut to fit under the plot */
	free(svg);
}

/* The y of the <rect> whose tooltip is `title`. */
static double rect_y(const char *svg, const char *title)
{
	const char *t = strstr(svg, title);
	assert_non_null(t);
	const char *r = t;
	while (r > svg && strncmp(r, "<rect ", 6) != 0)
		r--;
	const char *y = strstr(r, " y=\"");
	assert_non_null(y);
	return strtod(y + 4, NULL);
}

static void test_chart__stacks_take_negative_values_below_zero(void **state)
{
	(void)state;
	static const char *const two[] = {"a", "b"};
	static const double sales[] = {5, 4}, refunds[] = {-3, NAN}, more[] = {2, 1};
	struct rebuy_chart_series s[] = {{.name = "Sales", .n = 2, .y = sales},
	                                 {.name = "Refunds", .n = 2, .y = refunds},
	                                 {.name = "More", .n = 2, .y = more}};
	struct rebuy_chart c = {.kind = REBUY_CHART_STACKED,
	                        .id = "neg",
	                        .n_categories = 2,
	                        .categories = two,
	                        .n_series = 3,
	                        .series = s};
	char *svg = chart_text(&c);
	const char *axis = strstr(svg, "<path class=\"rb-axis\" d=\"M");
	assert_non_null(axis);
	double zero = strtod(strchr(axis + 29, ' ') + 1, NULL);
	assert_true(rect_y(svg, "a · Refunds: -3") >= zero - 0.5);             /* hangs from zero */
	assert_true(rect_y(svg, "a · More: 2") < rect_y(svg, "a · Sales: 5")); /* on top of 5 */
	assert_non_null(strstr(svg, ">-5</text>")); /* the axis goes below zero */
	free(svg);
}

static void test_chart__legend_wraps_into_rows(void **state)
{
	(void)state;
	static const double y[] = {1, 2};
	static const char *const two[] = {"a", "b"};
	struct rebuy_chart_series s[10];
	for (int k = 0; k < 10; k++)
		s[k] = (struct rebuy_chart_series){
		        .name = "A fairly long series name", .n = 2, .y = y};
	struct rebuy_chart c = {.kind = REBUY_CHART_LINES,
	                        .id = "legend",
	                        .width = 480,
	                        .height = 400,
	                        .n_categories = 2,
	                        .categories = two,
	                        .n_series = 10,
	                        .series = s};
	char *svg = chart_text(&c);
	/* ~200px an item: two to a row of 480px, so five rows at 18px. */
	assert_non_null(strstr(svg, "y=\"90\">A fairly long series name</text>"));
	assert_null(strstr(svg, "y=\"108\">A fairly long"));
	/* Series 8 and 9 reuse colours 0 and 1, dashed. */
	assert_non_null(strstr(svg, "class=\"rb-line rb-s0 rb-dash\""));
	assert_non_null(strstr(svg, "class=\"rb-line rb-s1 rb-dash\""));
	free(svg);
}

static void test_chart__big_grids_stay_compact(void **state)
{
	(void)state;
	enum { R = 24, C = 24 };
	static char rl[R][16], cl[C][8], nl[R][32];
	static const char *rows[R], *cols[C], *notes[R];
	static double cells[R * C];
	for (int r = 0; r < R; r++) {
		snprintf(rl[r], sizeof rl[r], "%d-%02d", 2022 + r / 12, r % 12 + 1);
		snprintf(nl[r], sizeof nl[r], "%d customers", 1000 + 37 * r);
		rows[r] = rl[r];
		notes[r] = nl[r];
	}
	for (int k = 0; k < C; k++) {
		snprintf(cl[k], sizeof cl[k], "%d", k);
		cols[k] = cl[k];
	}
	for (int i = 0; i < R * C; i++)
		cells[i] = 0.05 + 0.9 * ((i * 7919) % 1000) / 1000.0;
	struct rebuy_chart c = {.kind = REBUY_CHART_HEATMAP,
	                        .id = "big",
	                        .title = "Retention",
	                        .height = 420,
	                        .n_categories = C,
	                        .categories = cols,
	                        .n_rows = R,
	                        .row_labels = rows,
	                        .cells = cells,
	                        .cell_fmt = REBUY_NUM_PERCENT,
	                        .row_notes = notes};
	char *svg = chart_text(&c);
	print_message("24 x 24 heatmap: %zu bytes\n", strlen(svg));
	assert_true(strlen(svg) < 60 * 1024);
	assert_int_equal(count(svg, "<path d=\"M"), R * C);
	assert_int_equal(count(svg, "customers</title>"), R * C);
	assert_well_formed(svg);
	free(svg);
}

static void test_chart__thousands_of_points_stay_compact(void **state)
{
	(void)state;
	enum { N = 3000 };
	static double x[N], y[N];
	for (int i = 0; i < N; i++) {
		x[i] = 1 + (i * 7919) % 10007;
		y[i] = 1 + (i * 104729) % 97;
	}
	struct rebuy_chart_series s = {.name = "Customers", .n = N, .x = x, .y = y};
	struct rebuy_chart c = {.kind = REBUY_CHART_SCATTER,
	                        .id = "many",
	                        .n_series = 1,
	                        .series = &s,
	                        .x = {.log = 1},
	                        .y = {.fmt = REBUY_NUM_INT}};
	char *svg = chart_text(&c);
	print_message("3000 points: %zu bytes\n", strlen(svg));
	assert_int_equal(count(svg, "<circle "), N);
	assert_true(strlen(svg) < 40 * N);
	char *again = chart_text(&c);
	assert_string_equal(svg, again); /* deterministic */
	free(again);
	free(svg);
}

static void test_chart__long_lines_get_one_title(void **state)
{
	(void)state;
	enum { N = 365 };
	static double y[N];
	static char names[N][8];
	static const char *labels[N];
	for (int i = 0; i < N; i++) {
		y[i] = sin(i / 20.0) * 100;
		snprintf(names[i], sizeof names[i], "d%d", i);
		labels[i] = names[i];
	}
	struct rebuy_chart_series s = {.name = "Daily", .n = N, .y = y};
	struct rebuy_chart c = {.kind = REBUY_CHART_LINES,
	                        .id = "long",
	                        .n_categories = N,
	                        .categories = labels,
	                        .n_series = 1,
	                        .series = &s};
	char *svg = chart_text(&c);
	assert_null(strstr(svg, "<circle"));
	assert_int_equal(count(svg, "<title>Daily</title>"), 1);
	assert_non_null(strstr(svg, ">-100</text>")); /* y spans the data, negatives too */
	free(svg);
}

static void test_chart__css_has_the_palette_and_dark_mode(void **state)
{
	(void)state;
	const char *css = rebuy_chart_css();
	const char *want[] = {"#0072B2",
	                      "#E69F00",
	                      "#009E73",
	                      "#CC79A7",
	                      "#56B4E9",
	                      "#D55E00",
	                      "#F0E442",
	                      "#B8A000",
	                      "#000000",
	                      "#e8e8e8",
	                      ".rb-s7",
	                      "prefers-color-scheme:dark",
	                      "@media print",
	                      "system-ui,sans-serif",
	                      ".rb-band{fill:var(--rb-c);stroke:none;opacity:.2}",
	                      "rb-dash",
	                      "stroke-width:3"};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		assert_non_null(strstr(css, want[i]));
}

/* ---- errors ---- */

struct bad_case {
	const char *what, *msg; /* msg: a part of the expected message */
};

static void expect_earg(const struct rebuy_chart *c, const char *msg)
{
	struct rebuy_sbuf b;
	struct rebuy_error err = {0};
	rebuy_sbuf_init(&b);
	rebuy_sbuf_puts(&b, "before");
	assert_int_equal(rebuy_chart_svg(c, &b, &err), REBUY_EARG);
	assert_int_equal(err.code, REBUY_EARG);
	if (!strstr(err.msg, msg))
		print_message("message '%s' lacks '%s'\n", err.msg, msg);
	assert_non_null(strstr(err.msg, msg));
	assert_string_equal(b.p, "before"); /* nothing written */
	rebuy_sbuf_free(&b);
}

static void test_chart__inconsistent_descriptions_are_refused(void **state)
{
	(void)state;
	static const char *const cats[] = {"a", "b", "c"};
	static const double y3[] = {1, 2, 3}, neg[] = {1, -2, 3}, edges[] = {0, 1, 1, 2};
	struct rebuy_chart_series s3 = {.name = "S", .n = 3, .y = y3};
	const struct rebuy_chart ok = {.kind = REBUY_CHART_BARS,
	                               .id = "c1",
	                               .n_categories = 3,
	                               .categories = cats,
	                               .n_series = 1,
	                               .series = &s3};
	struct rebuy_sbuf b;
	rebuy_sbuf_init(&b);
	assert_int_equal(rebuy_chart_svg(&ok, &b, NULL), REBUY_OK);
	rebuy_sbuf_free(&b);
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_chart_svg(NULL, &b, &err), REBUY_EARG);
	assert_string_equal(err.msg, "chart: no chart or no output buffer");
	assert_int_equal(rebuy_chart_svg(&ok, NULL, NULL), REBUY_EARG);

	struct rebuy_chart c;

	c = ok;
	c.id = NULL;
	expect_earg(&c, "chart: no id");

	c = ok;
	c.id = "";
	expect_earg(&c, "chart: no id");

	c = ok;
	c.id = "a b";
	expect_earg(&c, "id 'a b' may hold only");

	c = ok;
	c.id = "x\"><script>";
	expect_earg(&c, "may hold only");

	c = ok;
	c.id = "a123456789a123456789a123456789a123456789a123456789a123456789a12345";
	expect_earg(&c, "longer than 64");

	c = ok;
	c.kind = (enum rebuy_chart_kind)42;
	expect_earg(&c, "chart 'c1': unknown chart kind 42");

	c = ok;
	c.width = 100;
	expect_earg(&c, "width 100 is outside");

	c = ok;
	c.width = -1;
	expect_earg(&c, "width -1 is outside");

	c = ok;
	c.height = 20000;
	expect_earg(&c, "height 20000 is outside");

	c = ok;
	c.lang = (enum rebuy_lang)7;
	expect_earg(&c, "unknown language 7");

	c = ok;
	c.y.fmt = (enum rebuy_numfmt)9;
	expect_earg(&c, "y axis: unknown number format 9");

	c = ok;
	c.x.decimals = 7;
	expect_earg(&c, "x axis: 7 decimals is outside 0..6");

	c = ok;
	c.y.decimals = -1;
	expect_earg(&c, "y axis: -1 decimals");

	c = ok;
	c.y.has_min = 1;
	c.y.min = NAN;
	expect_earg(&c, "y axis: a fixed end is not");

	c = ok;
	c.y.has_min = c.y.has_max = 1;
	c.y.min = 2;
	c.y.max = 2;
	expect_earg(&c, "y axis: min 2 is not below max 2");

	c = ok;
	c.y.log = 1;
	expect_earg(&c, "y axis: a log scale is for scatter");

	c = ok;
	c.n_series = 2;
	c.series = NULL;
	expect_earg(&c, "n_series is 2 but series is NULL");

	c = ok;
	c.n_categories = 2;
	expect_earg(&c, "series 0 ('S') has 3 values for 2 categories");

	c = ok;
	c.categories = NULL;
	expect_earg(&c, "n_categories is 3 but categories is NULL");

	struct rebuy_chart_series s = s3;

	c = ok;
	c.series = &s;
	s.y = NULL;
	expect_earg(&c, "series 0 ('S') has no y values");

	/* lines */
	struct rebuy_chart_series two[2] = {s3, s3};
	two[0].x = y3;

	c = ok;
	c.kind = REBUY_CHART_LINES;
	c.n_series = 2;
	c.series = two;
	expect_earg(&c, "series 1 ('S'): x values for some series only");
	two[1].x = y3;
	two[1].lo = y3;
	expect_earg(&c, "series 1 ('S'): a band needs both lo and hi");
	two[1].lo = NULL;
	c.x.log = 1;
	c.x.has_min = 1;
	c.x.min = 0;
	expect_earg(&c, "x axis: a log scale needs fixed ends above 0");

	c = ok; /* lines over categories */
	c.kind = REBUY_CHART_LINES;
	c.x.log = 1;
	expect_earg(&c, "x axis: a log scale is for");

	/* heatmap */
	c = ok;
	c.kind = REBUY_CHART_HEATMAP;
	c.n_series = 0;
	c.n_rows = 2;
	c.cells = y3;
	expect_earg(&c, "n_rows is 2 but row_labels is NULL");
	c.row_labels = cats;
	c.cells = NULL;
	expect_earg(&c, "the heatmap has 6 cells but cells is NULL");
	c.cells = y3;
	c.n_rows = SIZE_MAX;
	expect_earg(&c, "cells is too many");
	c.n_rows = 1;
	c.cell_decimals = 9;
	expect_earg(&c, "cell format 0 with 9 decimals");

	/* histogram */
	c = ok;
	c.kind = REBUY_CHART_HISTOGRAM;
	c.categories = NULL;
	c.n_series = 0;
	expect_earg(&c, "a histogram takes one series of counts, not 0");
	c.n_series = 1;
	expect_earg(&c, "3 bins but edges is NULL");
	c.edges = edges;
	expect_earg(&c, "edge 2 (1) does not increase");
	c.series = &s;
	s.y = neg;
	expect_earg(&c, "value -2 at 1 is negative");
	static const double good_edges[] = {0, 1, 2, 3};
	s = s3;
	c.edges = good_edges;
	c.marker_label = "m";
	c.marker = NAN;
	expect_earg(&c, "the marker 'm' is not at a finite x");

	/* scatter takes any length but needs y */
	struct rebuy_chart_series pts = {.n = 5, .x = y3};

	c = ok;
	c.kind = REBUY_CHART_SCATTER;
	c.series = &pts;
	expect_earg(&c, "series 0 ('') has no y values");
}

/* ---- faults ---- */

static enum rebuy_status full_chart(void)
{
	static const char *const m[] = {"M1", "M2", "M3", "M4"};
	static const double a[] = {0.5, 0.4, NAN, 0.3}, lo[] = {0.45, 0.35, NAN, 0.2},
	                    hi[] = {0.55, 0.45, NAN, 0.4}, b[] = {0.6, 0.5, 0.45, 0.4};
	struct rebuy_chart_series s[] = {{.name = "A & B", .n = 4, .y = a, .lo = lo, .hi = hi},
	                                 {.name = "Expected", .n = 4, .y = b, .dashed = 1}};
	struct rebuy_chart c = {.kind = REBUY_CHART_LINES,
	                        .id = "faults",
	                        .title = "Faults",
	                        .n_categories = 4,
	                        .categories = m,
	                        .n_series = 2,
	                        .series = s,
	                        .x = {.label = "Month"},
	                        .y = {.label = "Share", .fmt = REBUY_NUM_PERCENT}};
	struct rebuy_sbuf out;
	struct rebuy_error err = {0};
	rebuy_sbuf_init(&out);
	enum rebuy_status st = rebuy_chart_svg(&c, &out, &err);
	if (st == REBUY_ENOMEM)
		assert_string_equal(err.msg, "chart 'faults': out of memory");
	else
		assert_int_equal(out.p[out.len - 1], '\n');
	rebuy_sbuf_free(&out);
	return st;
}

static void test_chart__every_allocation_failure_is_clean(void **state)
{
	(void)state;
	long fail;
	for (fail = 0; fail < 1000; fail++) {
		tu_fail_after(fail);
		enum rebuy_status st = full_chart();
		int triggered = tu_fail_triggered();
		tu_fail_after(-1);
		assert_int_equal(rebuy_alloc_in_use(), 0);
		if (!triggered) {
			assert_int_equal(st, REBUY_OK);
			break;
		}
		assert_int_equal(st, REBUY_ENOMEM);
	}
	print_message("completed after %ld injected failures\n", fail);
	assert_true(fail >= 2); /* the buffer grew more than once */
	assert_true(fail < 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_numfmt__english_groups_with_commas),
	        cmocka_unit_test(test_numfmt__russian_uses_no_break_spaces_and_commas),
	        cmocka_unit_test(test_numfmt__halves_round_away_from_zero),
	        cmocka_unit_test(test_numfmt__negative_zero_and_non_finite),
	        cmocka_unit_test(test_numfmt__small_buffers_cut_whole_characters),
	        cmocka_unit_test(test_numfmt__language_names),
	        cmocka_unit_test(test_sbuf__html_escapes_markup),
	        cmocka_unit_test(test_sbuf__html_replaces_each_bad_utf8_subpart),
	        cmocka_unit_test(test_sbuf__grows_and_formats),
	        cmocka_unit_test(test_sbuf__a_failed_allocation_marks_the_buffer),
	        cmocka_unit_test(test_chart__bars_one_series),
	        cmocka_unit_test(test_chart__bars_two_series_with_a_legend),
	        cmocka_unit_test(test_chart__stacked),
	        cmocka_unit_test(test_chart__lines_with_band_gap_and_dashes),
	        cmocka_unit_test(test_chart__heatmap_with_gaps_and_notes),
	        cmocka_unit_test(test_chart__histogram_with_marker),
	        cmocka_unit_test(test_chart__scatter_on_log_x),
	        cmocka_unit_test(test_chart__empty_data_says_so),
	        cmocka_unit_test(test_chart__russian),
	        cmocka_unit_test(test_chart__many_categories_are_thinned_not_overlapped),
	        cmocka_unit_test(test_chart__long_labels_turn_and_stay_inside),
	        cmocka_unit_test(test_chart__stacks_take_negative_values_below_zero),
	        cmocka_unit_test(test_chart__legend_wraps_into_rows),
	        cmocka_unit_test(test_chart__big_grids_stay_compact),
	        cmocka_unit_test(test_chart__thousands_of_points_stay_compact),
	        cmocka_unit_test(test_chart__long_lines_get_one_title),
	        cmocka_unit_test(test_chart__css_has_the_palette_and_dark_mode),
	        cmocka_unit_test(test_chart__inconsistent_descriptions_are_refused),
	        cmocka_unit_test(test_chart__every_allocation_failure_is_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
