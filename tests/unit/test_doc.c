/* The result document and its writers (src/report/): JSON, CSV, tables and
 * the streaming row writer. Expected texts are written out in full. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/doc.h"
#include "testutil.h"

/* Runs a writer into memory and returns the text (malloc'd). */
static char *capture(int (*write)(void *ud, FILE *f), void *ud, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	*rc = write(ud, f);
	fclose(f);
	return buf;
}

struct job {
	struct rebuy_doc *doc;
	struct rebuy_node *node;
	int kind;
};

static int run(void *ud, FILE *f)
{
	struct job *j = ud;
	struct rebuy_csv_options raw = {.raw = 1}, guarded = {.raw = 0};
	switch (j->kind) {
	case 0: return rebuy_doc_write_json(j->doc, j->node, f);
	case 1: return rebuy_doc_write_csv(j->doc, j->node, &guarded, f);
	case 2: return rebuy_doc_write_csv(j->doc, j->node, &raw, f);
	case 3: return rebuy_doc_write_table(j->doc, j->node, f);
	default: return rebuy_doc_write_csv_fields(j->doc, j->node, &guarded, f);
	}
}

static char *write_doc(struct rebuy_doc *doc, struct rebuy_node *node, int kind)
{
	struct job j = {doc, node, kind};
	int rc;
	char *s = capture(run, &j, &rc);
	assert_int_equal(rc, REBUY_OK);
	return s;
}

static void test_doc__json_keeps_order_and_writes_exact_values(void **state)
{
	(void)state;
	struct rebuy_doc *d = rebuy_doc_new();
	struct rebuy_node *r = rebuy_doc_root(d);
	rebuy_doc_uint(d, r, "customers", 23570);
	rebuy_doc_money(d, r, "revenue", 25003156300);
	rebuy_doc_money(d, r, "refund", -1);
	rebuy_doc_num(d, r, "rate", 0.1, REBUY_SHOW_RATE);
	rebuy_doc_num(d, r, "third", 1.0 / 3.0, REBUY_SHOW_PLAIN);
	rebuy_doc_num(d, r, "undefined", NAN, REBUY_SHOW_RATE);
	rebuy_doc_num(d, r, "huge", INFINITY, REBUY_SHOW_PLAIN);
	rebuy_doc_int(d, r, "neg", -5);
	rebuy_doc_bool(d, r, "ok", 1);
	rebuy_doc_str(d, r, "s", NULL);
	struct rebuy_node *o = rebuy_doc_obj(d, r, "nested");
	rebuy_doc_str(d, o, "k", "v");
	struct rebuy_node *a = rebuy_doc_arr(d, r, "list");
	rebuy_doc_uint(d, a, "ignored-key", 1);
	rebuy_doc_uint(d, a, NULL, 2);
	rebuy_doc_arr(d, r, "empty");
	char *s = write_doc(d, NULL, 0);
	assert_string_equal(s, "{\n"
	                       "  \"customers\": 23570,\n"
	                       "  \"revenue\": 2500315.63,\n"
	                       "  \"refund\": -0.0001,\n"
	                       "  \"rate\": 0.1,\n"
	                       "  \"third\": 0.3333333333333333,\n"
	                       "  \"undefined\": null,\n"
	                       "  \"huge\": null,\n"
	                       "  \"neg\": -5,\n"
	                       "  \"ok\": true,\n"
	                       "  \"s\": null,\n"
	                       "  \"nested\": {\n"
	                       "    \"k\": \"v\"\n"
	                       "  },\n"
	                       "  \"list\": [1, 2],\n"
	                       "  \"empty\": []\n"
	                       "}\n");
	free(s);
	rebuy_doc_free(d);
}

/* Strings from input files are hostile: quotes, backslashes, control
 * characters and broken UTF-8 must still give valid JSON. */
static void test_doc__json_escapes_and_repairs_strings(void **state)
{
	(void)state;
	struct rebuy_doc *d = rebuy_doc_new();
	struct rebuy_node *r = rebuy_doc_root(d);
	rebuy_doc_str(d, r, "q\"k", "a\"b\\c\n\t\x01</script>");
	rebuy_doc_str(d, r, "utf8", "Mosk\xc3\xa9va \xe2\x82\xbd");
	rebuy_doc_str(d, r, "bad", "x\xff y\xc3 z\xed\xa0\x80 w\xc0\xaf");
	char *s = write_doc(d, NULL, 0);
	assert_string_equal(
	        s, "{\n"
	           "  \"q\\\"k\": \"a\\\"b\\\\c\\n\\t\\u0001</script>\",\n"
	           "  \"utf8\": \"Mosk\xc3\xa9va \xe2\x82\xbd\",\n"
	           "  \"bad\": \"x\xef\xbf\xbd y\xef\xbf\xbd z\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
	           "w\xef\xbf\xbd\xef\xbf\xbd\"\n"
	           "}\n");
	free(s);
	rebuy_doc_free(d);
}

static struct rebuy_node *csv_rows(struct rebuy_doc *d)
{
	struct rebuy_node *a = rebuy_doc_arr(d, rebuy_doc_root(d), "rows");
	struct rebuy_node *o = rebuy_doc_obj(d, a, NULL);
	rebuy_doc_str(d, o, "customer", "=HYPERLINK(\"x\")");
	rebuy_doc_money(d, o, "revenue", -150000);
	struct rebuy_node *n = rebuy_doc_obj(d, o, "ret");
	rebuy_doc_num(d, n, "rate", NAN, REBUY_SHOW_RATE);
	o = rebuy_doc_obj(d, a, NULL);
	rebuy_doc_str(d, o, "customer", "a,b \"c\"\nd");
	rebuy_doc_money(d, o, "revenue", 5);
	n = rebuy_doc_obj(d, o, "ret");
	rebuy_doc_num(d, n, "rate", 0.25, REBUY_SHOW_RATE);
	return a;
}

/* CSV: quoting per RFC 4180, nested keys flattened, formula cells guarded
 * (but never numbers: -15 stays a number), --raw leaves text alone. */
static void test_doc__csv_quotes_flattens_and_guards_formulas(void **state)
{
	(void)state;
	struct rebuy_doc *d = rebuy_doc_new();
	struct rebuy_node *a = csv_rows(d);
	char *s = write_doc(d, a, 1);
	assert_string_equal(s, "customer,revenue,ret.rate\n"
	                       "\"'=HYPERLINK(\"\"x\"\")\",-15,\n"
	                       "\"a,b \"\"c\"\"\nd\",0.0005,0.25\n");
	free(s);
	s = write_doc(d, a, 2);
	assert_string_equal(s, "customer,revenue,ret.rate\n"
	                       "\"=HYPERLINK(\"\"x\"\")\",-15,\n"
	                       "\"a,b \"\"c\"\"\nd\",0.0005,0.25\n");
	free(s);
	rebuy_doc_free(d);
}

static void test_doc__csv_fields_lists_scalars_with_notes(void **state)
{
	(void)state;
	struct rebuy_doc *d = rebuy_doc_new();
	struct rebuy_node *r = rebuy_doc_root(d);
	rebuy_doc_label(d, rebuy_doc_uint(d, r, "customers", 3), "Customers", "with a purchase");
	struct rebuy_node *o = rebuy_doc_obj(d, r, "returns");
	rebuy_doc_label(d, rebuy_doc_money(d, o, "value", 12345), "Value",
	                "as a positive amount, x");
	rebuy_doc_table_hide(rebuy_doc_str(d, r, "hidden", "h"));
	rebuy_doc_arr(d, r, "periods");
	char *s = write_doc(d, NULL, 4);
	assert_string_equal(s, "metric,value,definition\n"
	                       "customers,3,with a purchase\n"
	                       "returns.value,1.2345,\"as a positive amount, x\"\n");
	free(s);
	rebuy_doc_free(d);
}

/* Tables: rates as percentages, money with two decimals half to even and
 * grouped thousands, undefined as "-", labels and notes. */
static void test_doc__table_formats_for_people(void **state)
{
	(void)state;
	struct rebuy_doc *d = rebuy_doc_new();
	struct rebuy_node *r = rebuy_doc_root(d);
	rebuy_doc_label(d, rebuy_doc_uint(d, r, "customers", 1234567), "Customers",
	                "with a purchase");
	rebuy_doc_label(d, rebuy_doc_money(d, r, "revenue", 25003156250), "Revenue", NULL);
	rebuy_doc_label(d, rebuy_doc_money(d, r, "odd", 25003156350), "Odd", NULL);
	rebuy_doc_label(d, rebuy_doc_num(d, r, "rate", 0.48858, REBUY_SHOW_RATE), "Rate", NULL);
	rebuy_doc_label(d, rebuy_doc_num(d, r, "none", NAN, REBUY_SHOW_RATE), "None", NULL);
	struct rebuy_node *a = rebuy_doc_arr(d, r, "rows");
	rebuy_doc_label(d, a, "Rows", NULL);
	struct rebuy_node *o = rebuy_doc_obj(d, a, NULL);
	rebuy_doc_str(d, o, "period", "2024-01");
	rebuy_doc_uint(d, o, "E", 12);
	o = rebuy_doc_obj(d, a, NULL);
	rebuy_doc_str(d, o, "period", "2024-02");
	rebuy_doc_uint(d, o, "E", 3456);
	char *s = write_doc(d, NULL, 3);
	/* Labels padded to the longest (9) + 2, values right-aligned to the
	 * widest (12); 2,500,315.625 -> .62 and .635 -> .64 (half to even). */
	assert_string_equal(s, "Customers     1,234,567  with a purchase\n"
	                       "Revenue    2,500,315.62\n"
	                       "Odd        2,500,315.64\n"
	                       "Rate              48.9%\n"
	                       "None                  -\n"
	                       "\n"
	                       "Rows\n"
	                       "  period       E\n"
	                       "  2024-01     12\n"
	                       "  2024-02  3,456\n");
	free(s);
	rebuy_doc_free(d);
}

/* A value read from a file may carry terminal escape sequences: tables show
 * control characters as '?', JSON escapes them, CSV keeps them (data). */
static void test_doc__tables_neutralize_control_characters(void **state)
{
	(void)state;
	struct rebuy_doc *d = rebuy_doc_new();
	rebuy_doc_str(d, rebuy_doc_root(d), "name", "\x1b[31mred\x07");
	char *s = write_doc(d, NULL, 3);
	assert_string_equal(s, "name  ?[31mred?\n");
	free(s);
	s = write_doc(d, NULL, 0);
	assert_string_equal(s, "{\n  \"name\": \"\\u001b[31mred\\u0007\"\n}\n");
	free(s);
	rebuy_doc_free(d);
}

/* Building after an allocation failure is a no-op; writers then say so. */
static void test_doc__allocation_failure_is_reported_by_writers(void **state)
{
	(void)state;
	for (long fail = 0; fail < 200; fail++) {
		tu_fail_after(fail);
		struct rebuy_doc *d = rebuy_doc_new();
		if (d) {
			struct rebuy_node *r = rebuy_doc_root(d);
			for (int i = 0; i < 2000; i++)
				rebuy_doc_str(d, rebuy_doc_obj(d, r, "o"), "a-long-key-name",
				              "value");
		}
		int failed = tu_fail_triggered();
		tu_fail_after(-1);
		if (!d) {
			assert_true(failed);
			continue;
		}
		struct job j = {d, NULL, 0};
		int rc;
		char *s = capture(run, &j, &rc);
		assert_int_equal(rc, failed ? REBUY_ENOMEM : REBUY_OK);
		free(s);
		rebuy_doc_free(d);
		if (!failed)
			break;
	}
}

static void rows_fill(struct rebuy_rows *w)
{
	rebuy_rows_str(w, "=1+1");
	rebuy_rows_int(w, -3);
	rebuy_rows_money(w, 1234500);
	rebuy_rows_num(w, 0.5);
	rebuy_rows_end_row(w);
	rebuy_rows_str(w, "b\"q");
	rebuy_rows_null(w);
	rebuy_rows_money(w, 0);
	rebuy_rows_num(w, NAN);
	rebuy_rows_end_row(w);
}

static int run_rows(void *ud, FILE *f)
{
	static const char *const cols[] = {"customer", "n", "revenue", "p"};
	enum rebuy_format fmt = *(enum rebuy_format *)ud;
	struct rebuy_rows *w = rebuy_rows_new(f, fmt, fmt == REBUY_FORMAT_JSON ? "customers" : NULL,
	                                      cols, 4, NULL);
	rows_fill(w);
	return rebuy_rows_finish(w);
}

static void test_rows__stream_csv_json_and_table(void **state)
{
	(void)state;
	int rc;
	enum rebuy_format fmt = REBUY_FORMAT_CSV;
	char *s = capture(run_rows, &fmt, &rc);
	assert_int_equal(rc, REBUY_OK);
	assert_string_equal(s, "customer,n,revenue,p\n'=1+1,-3,123.45,0.5\n\"b\"\"q\",,0,\n");
	free(s);
	fmt = REBUY_FORMAT_JSON;
	s = capture(run_rows, &fmt, &rc);
	assert_string_equal(
	        s, "{\n  \"customers\": [\n"
	           "    {\"customer\": \"=1+1\", \"n\": -3, \"revenue\": 123.45, \"p\": 0.5},\n"
	           "    {\"customer\": \"b\\\"q\", \"n\": null, \"revenue\": 0, \"p\": null}\n"
	           "  ]\n}\n");
	free(s);
	fmt = REBUY_FORMAT_TABLE;
	s = capture(run_rows, &fmt, &rc);
	assert_string_equal(s, "customer                 n       revenue             p\n"
	                       "=1+1                    -3        123.45           0.5\n"
	                       "b\"q                      -             0             -\n");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_doc__json_keeps_order_and_writes_exact_values),
	        cmocka_unit_test(test_doc__json_escapes_and_repairs_strings),
	        cmocka_unit_test(test_doc__csv_quotes_flattens_and_guards_formulas),
	        cmocka_unit_test(test_doc__csv_fields_lists_scalars_with_notes),
	        cmocka_unit_test(test_doc__table_formats_for_people),
	        cmocka_unit_test(test_doc__tables_neutralize_control_characters),
	        cmocka_unit_test(test_doc__allocation_failure_is_reported_by_writers),
	        cmocka_unit_test(test_rows__stream_csv_json_and_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
