/* The HTML report as a library call: every section of a year of orders,
 * the same bytes for any thread count, both languages, the one-line
 * reasons of sections tiny data does not allow, refused options, and every
 * allocation failure ending in REBUY_ENOMEM with nothing leaked. What the
 * page looks like and that its numbers equal `rebuy summary` is checked in
 * a browser (tests/browser/report_test.py). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/alloc.h"
#include "rebuy/input.h"
#include "rebuy/orders.h"
#include "rebuy/report.h"
#include "testutil.h"

/* 40 customers over a year (the orders of the report_small CLI case). */
static struct rebuy_orders *load_year(void)
{
	size_t n = 0;
	char *text = tu_read_file(REBUY_TEST_DATA "/../cli/cases/report_small/orders.csv", &n);
	assert_non_null(text);
	struct rebuy_orders *o = tu_load_orders_text(text, n);
	free(text);
	return o;
}

static char *build(const struct rebuy_orders *o, const struct rebuy_report_options *opts,
                   enum rebuy_status want, struct rebuy_error *err)
{
	struct rebuy_sbuf b;
	rebuy_sbuf_init(&b);
	struct rebuy_error e = {0};
	enum rebuy_status st = rebuy_report_build(o, opts, &b, err ? err : &e);
	assert_int_equal(st, want);
	char *copy = st == REBUY_OK ? strdup(b.p) : NULL;
	rebuy_sbuf_free(&b);
	assert_true(st != REBUY_OK || copy);
	return copy;
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

static void test_report__every_section_same_bytes_any_threads(void **state)
{
	(void)state;
	struct rebuy_orders *o = load_year();
	struct rebuy_report_options opts;
	rebuy_report_options_init(&opts);
	opts.n_threads = 1;
	char *a = build(o, &opts, REBUY_OK, NULL);
	opts.n_threads = 2;
	char *b = build(o, &opts, REBUY_OK, NULL);
	assert_string_equal(a, b);
	for (size_t i = 0; rebuy_report_sections[i]; i++) {
		char want[96];
		snprintf(want, sizeof want, "data-section=\"%s\">", rebuy_report_sections[i]);
		if (!strstr(a, want))
			fail_msg("section %s is missing or absent", rebuy_report_sections[i]);
	}
	assert_null(strstr(a, "data-absent"));
	assert_null(strstr(a, "<script"));
	assert_non_null(strstr(a, "Content-Security-Policy"));
	assert_true(count(a, "<svg") >= 20);
	assert_int_equal(count(a, "<svg"), count(a, "</svg>"));
	assert_int_equal(count(a, "<section"), count(a, "</section>"));
	assert_non_null(strstr(a, "<html lang=\"en\">"));
	/* The chosen model is named with its holdout check. */
	assert_non_null(strstr(a, "predicted the holdout period best"));
	assert_string_equal(a + strlen(a) - 8, "</html>\n");
	free(a);
	free(b);
	rebuy_orders_free(o);
}

static void test_report__russian(void **state)
{
	(void)state;
	struct rebuy_orders *o = load_year();
	struct rebuy_report_options opts;
	rebuy_report_options_init(&opts);
	opts.lang = REBUY_LANG_RU;
	opts.currency = "₽";
	opts.title = "Магазин <у дома>";
	char *a = build(o, &opts, REBUY_OK, NULL);
	assert_non_null(strstr(a, "<html lang=\"ru\">"));
	assert_non_null(strstr(a, "<h1>Магазин &lt;у дома&gt;</h1>"));
	assert_non_null(strstr(a, "<h2>Удержание</h2>"));
	assert_non_null(strstr(a, "Определения"));
	/* 3035.36 in Russian: a no-break space between thousands, a decimal
	 * comma, the currency after a no-break space. */
	assert_non_null(strstr(a, "value=\"3035.36\" data-fmt=\"money\" data-decimals=\"2\">"
	                          "3\xc2\xa0" "035,36\xc2\xa0₽</data>"));
	assert_null(strstr(a, "Retention</h2>"));
	free(a);
	rebuy_orders_free(o);
}

static void test_report__tiny_data_says_why(void **state)
{
	(void)state;
	const char *text = "customer,date,amount\nA,2024-01-05,10\nB,2024-01-20,5\n";
	struct rebuy_orders *o = tu_load_orders_text(text, strlen(text));
	struct rebuy_report_options opts;
	rebuy_report_options_init(&opts);
	char *a = build(o, &opts, REBUY_OK, NULL);
	assert_non_null(strstr(a, "data-section=\"growth\" data-absent=\"1\""));
	assert_non_null(strstr(a, "data-section=\"model\" data-absent=\"1\""));
	assert_non_null(strstr(a, "data-section=\"retention_value\" data-absent=\"1\""));
	assert_non_null(strstr(a, "A lifetime model needs at least 10 customers"));
	assert_non_null(strstr(a, "data-section=\"kpis\">"));
	assert_non_null(strstr(a, "data-section=\"quality\">"));
	free(a);
	rebuy_orders_free(o);
}

static void test_report__refuses_bad_options(void **state)
{
	(void)state;
	struct rebuy_orders *o = load_year();
	struct rebuy_report_options opts;
	struct rebuy_error err = {0};
	rebuy_report_options_init(&opts);
	opts.currency = "<b>";
	build(o, &opts, REBUY_EARG, &err);
	assert_non_null(strstr(err.msg, "HTML characters"));
	rebuy_report_options_init(&opts);
	opts.has_model = 1;
	opts.model = REBUY_CLV_SBG;
	rebuy_error_clear(&err);
	build(o, &opts, REBUY_EARG, &err);
	assert_non_null(strstr(err.msg, "bgnbd, mbgnbd or pnbd"));
	rebuy_report_options_init(&opts);
	opts.margin = 2;
	rebuy_error_clear(&err);
	build(o, &opts, REBUY_EARG, &err);
	rebuy_report_options_init(&opts);
	opts.retention_lift = 1;
	rebuy_error_clear(&err);
	build(o, &opts, REBUY_EARG, &err);
	rebuy_orders_free(o);
}

/* Allocation failures at every allocation of a report (BG/NBD only: a
 * Pareto/NBD calibration fit of these 40 customers runs to its boundary and
 * takes a second, too long to repeat thousands of times): each build ends
 * in REBUY_ENOMEM (or, where the failing allocation was optional, the same
 * report) and frees everything. */
static void test_report__allocation_failures(void **state)
{
	(void)state;
	struct rebuy_orders *o = load_year();
	size_t base = rebuy_alloc_in_use();
	struct rebuy_report_options opts;
	rebuy_report_options_init(&opts);
	opts.n_threads = 2;
	opts.has_model = 1;
	opts.model = REBUY_CLV_BGNBD;
	tu_fail_after(1L << 40);
	char *full = build(o, &opts, REBUY_OK, NULL);
	long total = tu_alloc_count();
	tu_fail_after(-1);
	print_message("a report of 40 customers makes %ld allocations\n", total);
	assert_true(total > 100);
	int failed = 0;
	for (long k = 0; k < total; k++) {
		struct rebuy_sbuf b;
		rebuy_sbuf_init(&b);
		struct rebuy_error err = {0};
		tu_fail_after(k);
		enum rebuy_status st = rebuy_report_build(o, &opts, &b, &err);
		int hit = tu_fail_triggered();
		tu_fail_after(-1);
		if (hit && st != REBUY_ENOMEM && st != REBUY_OK)
			fail_msg("failing allocation %ld: status %d (%s)", k, (int)st, err.msg);
		if (st == REBUY_OK)
			assert_string_equal(b.p, full);
		failed += st == REBUY_ENOMEM;
		rebuy_sbuf_free(&b);
		if (rebuy_alloc_in_use() != base)
			fail_msg("failing allocation %ld (status %d, %s): %zu bytes leaked", k, (int)st,
			         err.msg, rebuy_alloc_in_use() - base);
	}
	assert_true(failed > 50);
	free(full);
	rebuy_orders_free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_report__every_section_same_bytes_any_threads),
	        cmocka_unit_test(test_report__russian),
	        cmocka_unit_test(test_report__tiny_data_says_why),
	        cmocka_unit_test(test_report__refuses_bad_options),
	        cmocka_unit_test(test_report__allocation_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
