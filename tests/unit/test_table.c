/* Unit tests for side tables (include/rebuy/table.h): cells, names and line
 * numbers of small hand-made files, gzip and BOM, the refusals with their
 * exact messages, the column finder, and allocation failures.
 *
 * Every expected cell, count and line number is read off the fixture by
 * hand (lines counted from 1 at the first byte, a quoted line break
 * counting as a line), never copied from the program's output.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "rebuy/alloc.h"
#include "rebuy/input.h"
#include "rebuy/table.h"

/* Reads text (n bytes) from memory as "x.csv"; fails the test on error. */
static struct rebuy_table *read_mem(const void *text, size_t n, char delim, int header)
{
	struct rebuy_table_options o;
	rebuy_table_options_init(&o);
	o.path = "x.csv";
	o.data = text;
	o.data_len = n;
	o.delimiter = delim;
	o.header = header;
	struct rebuy_table *t = NULL;
	struct rebuy_error err = {0};
	if (rebuy_table_read(&t, &o, &err) != REBUY_OK)
		fail_msg("reading the fixture: %s", err.msg);
	return t;
}

/* Reads and expects a failure with status st and exactly message msg. */
static void refused(const void *text, size_t n, size_t max_bytes, enum rebuy_status st,
                    const char *msg)
{
	struct rebuy_table_options o;
	rebuy_table_options_init(&o);
	o.path = "x.csv";
	o.data = text;
	o.data_len = n;
	o.max_bytes = max_bytes;
	struct rebuy_table *t = (struct rebuy_table *)1;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_table_read(&t, &o, &err), st);
	assert_null(t);
	assert_int_equal(err.code, st);
	assert_string_equal(err.msg, msg);
}

/* A BOM, CRLF, a header with blanks and an empty name, a quoted field with
 * "" and one with a line break, a blank line, a short row, a long row, and
 * a last row without a line break:
 *   line 1  header: " Customer ID " -> "Customer ID"; "date"; "" -> "column 3";
 *           "No<ESC>te" (quoted) -> "No te" (control characters read as spaces)
 *   line 2  row 0: a | 2024-01-01 | x | said "hi"           (4 fields)
 *   line 3  blank
 *   line 4  row 1: b | 2024-01-02 | "" | two<LF>lines       (4 fields, ends on line 5)
 *   line 6  row 2: c | 2024-01-03 | "" | ""                 (2 fields: short)
 *   line 7  row 3: d | 2024-01-04 | y | z                   (6 fields: 2 dropped)
 *   line 8  row 4: " e " | 2024-01-05 | "" (quoted empty) | w   (no line break)
 * 7 line breaks and a last line without one: 8 lines. */
static const char fixture_t1[] = "\xEF\xBB\xBF Customer ID ,date,,\"No\x1bte\"\r\n"
                                 "a,2024-01-01,x,\"said \"\"hi\"\"\"\r\n"
                                 "\r\n"
                                 "b,2024-01-02,,\"two\nlines\"\r\n"
                                 "c,2024-01-03\r\n"
                                 "d,2024-01-04,y,z,extra,more\r\n"
                                 " e ,2024-01-05,\"\",w";

static void test_table__cells_names_and_lines_of_a_messy_file(void **state)
{
	(void)state;
	struct rebuy_table *t = read_mem(fixture_t1, sizeof fixture_t1 - 1, ',', 1);
	assert_int_equal(t->has_bom, 1);
	assert_int_equal(t->is_gzip, 0);
	assert_int_equal(t->has_header, 1);
	assert_int_equal(t->delimiter, ',');
	assert_int_equal(t->n_columns, 4);
	assert_int_equal(t->n_rows, 5);
	assert_int_equal(t->lines, 8);
	assert_int_equal(t->blank_lines, 1);
	assert_int_equal(t->bytes, sizeof fixture_t1 - 1);
	assert_string_equal(t->path, "x.csv");
	assert_string_equal(rebuy_table_column_name(t, 0), "Customer ID");
	assert_string_equal(rebuy_table_column_name(t, 1), "date");
	assert_string_equal(rebuy_table_column_name(t, 2), "column 3");
	assert_string_equal(rebuy_table_column_name(t, 3), "No te");

	static const uint64_t lines[5] = {2, 4, 6, 7, 8};
	static const size_t fields[5] = {4, 4, 2, 6, 4};
	static const char *const cells[5][4] = {
	        {"a", "2024-01-01", "x", "said \"hi\""},
	        {"b", "2024-01-02", "", "two\nlines"},
	        {"c", "2024-01-03", "", ""},
	        {"d", "2024-01-04", "y", "z"},
	        {" e ", "2024-01-05", "", "w"},
	};
	for (size_t r = 0; r < 5; r++) {
		assert_int_equal(rebuy_table_row_line(t, r), lines[r]);
		assert_int_equal(rebuy_table_row_fields(t, r), fields[r]);
		for (size_t c = 0; c < 4; c++)
			assert_string_equal(rebuy_table_cell(t, r, c), cells[r][c]);
	}
	/* Out of range: "" and 0, never a crash. */
	assert_string_equal(rebuy_table_cell(t, 5, 0), "");
	assert_string_equal(rebuy_table_cell(t, 0, 4), "");
	assert_int_equal(rebuy_table_row_line(t, 9), 0);
	assert_string_equal(rebuy_table_column_name(t, 4), "");
	rebuy_table_free(t);
	rebuy_table_free(NULL);
}

/* The delimiter is detected from the text: ';' splits every line of this
 * file into 3 fields, ',' into 1 or 2. Headerless, the first row is data
 * and the columns are "column 1..3". */
static void test_table__detects_the_delimiter_and_reads_without_a_header(void **state)
{
	(void)state;
	static const char text[] = "17850;2011-12-01;3,5\n"
	                           "12583;2011-12-02;1,25\n"
	                           "12583;2011-12-09;2\n";
	struct rebuy_table *t = read_mem(text, sizeof text - 1, 0, 0);
	assert_int_equal(t->delimiter, ';');
	assert_int_equal(t->has_header, 0);
	assert_int_equal(t->n_columns, 3);
	assert_int_equal(t->n_rows, 3);
	assert_int_equal(t->lines, 3);
	assert_string_equal(rebuy_table_column_name(t, 0), "column 1");
	assert_string_equal(rebuy_table_column_name(t, 2), "column 3");
	assert_int_equal(rebuy_table_row_line(t, 0), 1);
	assert_string_equal(rebuy_table_cell(t, 0, 0), "17850");
	assert_string_equal(rebuy_table_cell(t, 1, 2), "1,25");
	assert_string_equal(rebuy_table_cell(t, 2, 1), "2011-12-09");
	rebuy_table_free(t);

	/* Runs of blanks (the CDNOW layout), detected; blank lines between
	 * rows; a tab inside a run. Quotes mean nothing there. */
	static const char cdnow[] = "00001 19970101 1 11.77\n"
	                            "\n"
	                            "00002  19970112\t2 \"12.00\n"
	                            "   \n"
	                            "00003 19970102 2 20.76\n";
	t = read_mem(cdnow, sizeof cdnow - 1, 0, 0);
	assert_int_equal(t->delimiter, REBUY_DELIM_WHITESPACE);
	assert_int_equal(t->n_rows, 3);
	assert_int_equal(t->blank_lines, 2);
	assert_int_equal(rebuy_table_row_line(t, 1), 3);
	assert_int_equal(rebuy_table_row_line(t, 2), 5);
	assert_string_equal(rebuy_table_cell(t, 1, 2), "2");
	assert_string_equal(rebuy_table_cell(t, 1, 3), "\"12.00");
	rebuy_table_free(t);

	/* A given delimiter wins over detection: '|' gives one field per row
	 * here, where ',' would give two. */
	static const char piped[] = "a,b\nc,d\n";
	t = read_mem(piped, sizeof piped - 1, '|', 1);
	assert_int_equal(t->n_columns, 1);
	assert_string_equal(rebuy_table_column_name(t, 0), "a,b");
	assert_string_equal(rebuy_table_cell(t, 0, 0), "c,d");
	rebuy_table_free(t);
}

/* gzip is read by content (from memory here), and a file by path. */
static void test_table__reads_gzip_and_files(void **state)
{
	(void)state;
	static const char text[] = "id,score\n1,9\n2,10\n";
	unsigned char gz[256];
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (unsigned char *)text;
	zs.avail_in = sizeof text - 1;
	zs.next_out = gz;
	zs.avail_out = sizeof gz;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	size_t gz_len = sizeof gz - zs.avail_out;
	deflateEnd(&zs);
	assert_int_equal(gz[0], 0x1f);

	struct rebuy_table *t = read_mem(gz, gz_len, 0, 1);
	assert_int_equal(t->is_gzip, 1);
	assert_int_equal(t->bytes, sizeof text - 1);
	assert_int_equal(t->n_rows, 2);
	assert_string_equal(rebuy_table_cell(t, 1, 1), "10");
	assert_int_equal(rebuy_table_row_line(t, 1), 3);
	rebuy_table_free(t);

	const char *path = tu_temp_file(0, gz, gz_len);
	struct rebuy_table_options o;
	rebuy_table_options_init(&o);
	o.path = path;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_table_read(&t, &o, &err), REBUY_OK);
	assert_string_equal(t->path, path);
	assert_int_equal(t->is_gzip, 1);
	assert_string_equal(rebuy_table_cell(t, 0, 0), "1");
	rebuy_table_free(t);

	/* A truncated gzip stream is an error, not a short table. */
	refused(gz, gz_len - 12, 0, REBUY_EDATA,
	        "x.csv: the gzip data ends early (truncated file?)");

	o.path = "/nonexistent/survey.csv";
	t = (struct rebuy_table *)1;
	assert_int_equal(rebuy_table_read(&t, &o, &err), REBUY_EIO);
	assert_null(t);
	assert_non_null(strstr(err.msg, "/nonexistent/survey.csv: cannot open"));
}

static void test_table__refuses_what_is_not_a_table_with_its_reason(void **state)
{
	(void)state;
	refused("", 0, 0, REBUY_EDATA, "x.csv: the file is empty");
	refused("\n\r\n\n", 4, 0, REBUY_EDATA, "x.csv: the file holds only blank lines");
	/* "a,b\n1," is 6 bytes: the NUL is at offset 6. */
	refused("a,b\n1,\0\n", 8, 0, REBUY_EDATA,
	        "x.csv: binary data (a NUL byte at offset 6): not a CSV export");
	refused("PK\x03\x04\x14\0\0\0", 8, 0, REBUY_EDATA,
	        "x.csv: this is a ZIP archive (an .xlsx workbook?), not CSV text: save the "
	        "sheet as CSV");
	refused("\xFF\xFE"
	        "a\0,\0",
	        6, 0, REBUY_EDATA, "x.csv: the text is UTF-16; save it as UTF-8 CSV");
	/* The quote opens on line 3 and nothing closes it. */
	refused("a,b\n1,2\n3,\"x\n4,5\n", 17, 0, REBUY_EDATA,
	        "x.csv:3: a quoted field opened here is never closed");
	/* The row starts on line 2 with a quoted line break closed on line 3;
	 * the quote that is never closed opens on line 3. */
	refused("a,b\n\"x\ny\",\"z\nw\n", 15, 0, REBUY_EDATA,
	        "x.csv:3: a quoted field opened here is never closed");
	/* A header of 4097 fields. */
	char *wide = malloc(2 * 4097 + 1);
	assert_non_null(wide);
	for (size_t i = 0; i < 4097; i++) {
		wide[2 * i] = 'c';
		wide[2 * i + 1] = i + 1 < 4097 ? ',' : '\n';
	}
	refused(wide, 2 * 4097, 0, REBUY_ELIMIT, "x.csv:1: more than 4096 columns");
	free(wide);
}

/* The cap is on the text after decompression: 1 MiB passes at exactly 1 MiB
 * and is refused one byte later. */
static void test_table__refuses_a_file_over_the_size_cap(void **state)
{
	(void)state;
	const size_t mib = (size_t)1 << 20;
	char *text = malloc(mib + 1);
	assert_non_null(text);
	/* "k,v\n" then rows "1,2\n" up to 1 MiB (4 bytes each, a multiple of 4). */
	for (size_t i = 0; i + 4 <= mib + 1; i += 4)
		memcpy(text + i, i == 0 ? "k,v\n" : "1,2\n", 4);
	text[mib] = '\n';
	struct rebuy_table_options o;
	rebuy_table_options_init(&o);
	o.path = "big.csv";
	o.data = text;
	o.data_len = mib;
	o.max_bytes = mib;
	struct rebuy_table *t = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_table_read(&t, &o, &err), REBUY_OK);
	/* 2^20 / 4 lines, the first the header */
	assert_int_equal(t->n_rows, mib / 4 - 1);
	assert_int_equal(rebuy_table_row_line(t, t->n_rows - 1), mib / 4);
	rebuy_table_free(t);
	o.data_len = mib + 1;
	assert_int_equal(rebuy_table_read(&t, &o, &err), REBUY_ELIMIT);
	assert_null(t);
	assert_string_equal(err.msg, "big.csv: larger than 1 MiB, the limit for a side table (it "
	                             "is read whole into memory)");
	free(text);

	/* A cap that is not whole MiB is named in bytes: 12 bytes over 10. */
	refused("k,v\n1,2\n3,4\n", 12, 10, REBUY_ELIMIT,
	        "x.csv: larger than 10 bytes, the limit for a side table (it is read whole into "
	        "memory)");

	/* Options out of bounds. */
	rebuy_table_options_init(&o);
	o.data = "a\n";
	o.data_len = 2;
	o.max_bytes = REBUY_TABLE_MAX_BYTES_LIMIT + 1;
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_table_read(&t, &o, &err), REBUY_EARG);
	o.max_bytes = 0;
	o.delimiter = 'x';
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_table_read(&t, &o, &err), REBUY_EARG);
	assert_string_equal(err.msg, "delimiter 'x' is not one of , ; tab | whitespace");
}

static const char *const customer_names[] = {"customer", "customerid", "clientid", "userid", NULL};
static const char *const date_names[] = {"date", "surveydate", NULL};
static const char *const reason_names[] = {"reason", NULL};

static int find(const struct rebuy_table *t, const char *role, const char *ref,
                const char *const *names, int required, enum rebuy_status want, const char *msg)
{
	struct rebuy_table_role r = {role, "survey-customer", ref, names, required};
	if (strcmp(role, "reason") == 0)
		r.flag = "reason";
	int col = -2;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_table_find_column(t, &r, &col, &err), want);
	if (msg)
		assert_string_equal(err.msg, msg);
	return col;
}

static void test_table__finds_columns_by_normalized_name_flag_or_number(void **state)
{
	(void)state;
	static const char text[] =
	        "Customer ID,user_id,Survey Date,NPS,Comment\n1,2,2024-01-01,9,ok\n";
	struct rebuy_table *t = read_mem(text, sizeof text - 1, 0, 1);
	/* "Customer ID" and "user_id" normalize to customerid and userid: both
	 * are customer names. */
	find(t, "customer", NULL, customer_names, 1, REBUY_EDATA,
	     "x.csv: two columns could be the customer: 'Customer ID' and 'user_id' (choose one "
	     "with --survey-customer COLUMN)");
	/* A flag value: exact name, then normalized, then a number. */
	assert_int_equal(find(t, "customer", "user_id", customer_names, 1, REBUY_OK, NULL), 1);
	assert_int_equal(find(t, "customer", "customer id", customer_names, 1, REBUY_OK, NULL), 0);
	assert_int_equal(find(t, "customer", "4", customer_names, 1, REBUY_OK, NULL), 3);
	find(t, "customer", "9", customer_names, 1, REBUY_EARG,
	     "--survey-customer 9: x.csv has no such column (the columns are: Customer ID, "
	     "user_id, Survey Date, NPS, Comment)");
	find(t, "customer", "0", customer_names, 1, REBUY_EARG, NULL);
	find(t, "customer", "", customer_names, 1, REBUY_EARG, NULL);
	/* "Survey Date" -> surveydate: exact, not a substring of anything. */
	assert_int_equal(find(t, "date", NULL, date_names, 1, REBUY_OK, NULL), 2);
	/* No reason column: -1 when optional, an error listing the columns when
	 * required. */
	assert_int_equal(find(t, "reason", NULL, reason_names, 0, REBUY_OK, NULL), -1);
	find(t, "reason", NULL, reason_names, 1, REBUY_EDATA,
	     "x.csv: no reason column: the columns are Customer ID, user_id, Survey Date, NPS, "
	     "Comment (name it with --reason COLUMN)");
	rebuy_table_free(t);

	/* Without a header names never match (the first row is data), numbers do. */
	static const char data[] = "date,customer\n2024-01-01,a\n";
	t = read_mem(data, sizeof data - 1, 0, 0);
	assert_int_equal(find(t, "date", NULL, date_names, 0, REBUY_OK, NULL), -1);
	assert_int_equal(find(t, "date", "1", date_names, 1, REBUY_OK, NULL), 0);
	assert_int_equal(find(t, "date", "column 2", date_names, 1, REBUY_OK, NULL), 1);
	rebuy_table_free(t);

	char out[32];
	rebuy_table_normalize_name("Customer_ ID", out, sizeof out);
	assert_string_equal(out, "customerid");
	rebuy_table_normalize_name("Дата Опроса", out, sizeof out);
	assert_string_equal(out, "датаопроса");
	rebuy_table_normalize_name("ABCDEFGH", out, 4);
	assert_string_equal(out, "ab");
}

/* Every allocation failure returns REBUY_ENOMEM cleanly and leaks nothing;
 * the loop ends when a read completes with no failure injected. */
static void test_table__every_allocation_failure_is_clean(void **state)
{
	(void)state;
	long fail;
	for (fail = 0; fail < 1000; fail++) {
		tu_fail_after(fail);
		struct rebuy_table_options o;
		rebuy_table_options_init(&o);
		o.path = "x.csv";
		o.data = fixture_t1;
		o.data_len = sizeof fixture_t1 - 1;
		struct rebuy_table *t = NULL;
		struct rebuy_error err = {0};
		enum rebuy_status st = rebuy_table_read(&t, &o, &err);
		int triggered = tu_fail_triggered();
		tu_fail_after(-1);
		if (st == REBUY_OK) {
			assert_string_equal(rebuy_table_cell(t, 1, 3), "two\nlines");
			rebuy_table_free(t);
			if (!triggered)
				break;
		} else {
			assert_int_equal(st, REBUY_ENOMEM);
			assert_null(t);
		}
		assert_int_equal(rebuy_alloc_in_use(), 0);
	}
	/* text, the table, its private part, names, rows: several allocations */
	assert_true(fail > 5);
	assert_true(fail < 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_table__cells_names_and_lines_of_a_messy_file),
	        cmocka_unit_test(test_table__detects_the_delimiter_and_reads_without_a_header),
	        cmocka_unit_test(test_table__reads_gzip_and_files),
	        cmocka_unit_test(test_table__refuses_what_is_not_a_table_with_its_reason),
	        cmocka_unit_test(test_table__refuses_a_file_over_the_size_cap),
	        cmocka_unit_test(test_table__finds_columns_by_normalized_name_flag_or_number),
	        cmocka_unit_test(test_table__every_allocation_failure_is_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
