/* End-to-end tests of reading order exports through the public
 * rebuy_orders_load (include/rebuy/orders.h, DESIGN.md §3). Inputs are made
 * in memory (or written to temporary files); every expected value is worked
 * out by hand from the text: Unix times with `date -u -d 2020-01-01 +%s`
 * (1577836800; one day is 86400 s), money in units of 1/10,000, physical
 * line numbers by counting the line breaks, the header included. The CDNOW
 * sample's totals were computed with a few lines of Python (Decimal) over
 * the file. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "rebuy/input.h"
#include "rebuy/orders.h"

#define D20200101 INT64_C(1577836800)
#define DAY INT64_C(86400)

/* ---- helpers ---------------------------------------------------------------- */

static void opts_text(struct rebuy_input_options *o, const char *text, size_t len)
{
	rebuy_input_options_init(o);
	o->path = "orders.csv";
	o->data = text;
	o->data_len = len;
	o->n_threads = 1;
}

/* Loads text with o (data and name set here); fails the test on an error. */
static struct rebuy_orders *load_ok(const char *text, struct rebuy_input_options *o)
{
	struct rebuy_input_options local;
	if (!o) {
		rebuy_input_options_init(&local);
		local.n_threads = 1;
		o = &local;
	}
	o->path = "orders.csv";
	o->data = text;
	o->data_len = strlen(text);
	struct rebuy_orders *t = NULL;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	enum rebuy_status st = rebuy_orders_load(&t, o, NULL, &err);
	if (st != REBUY_OK)
		fail_msg("load failed (%d): %s", (int)st, err.msg);
	assert_non_null(t);
	return t;
}

/* Loads text with o and expects the error code and the exact message. */
static void expect_error_len(const char *text, size_t len, struct rebuy_input_options *o,
                             enum rebuy_status code, const char *msg)
{
	struct rebuy_input_options local;
	if (!o) {
		rebuy_input_options_init(&local);
		local.n_threads = 1;
		o = &local;
	}
	o->path = "orders.csv";
	o->data = text;
	o->data_len = len;
	struct rebuy_orders *t = (struct rebuy_orders *)1;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	enum rebuy_status st = rebuy_orders_load(&t, o, NULL, &err);
	assert_null(t);
	if (st != code || err.code != code || strcmp(err.msg, msg) != 0)
		fail_msg("got %d '%s'\nwant %d '%s'", (int)st, err.msg, (int)code, msg);
}

static void expect_error(const char *text, struct rebuy_input_options *o, enum rebuy_status code,
                         const char *msg)
{
	expect_error_len(text, strlen(text), o, code, msg);
}

static size_t customer(const struct rebuy_orders *t, const char *key)
{
	for (size_t c = 0; c < t->n_customers; c++) {
		size_t len;
		const char *k = rebuy_orders_customer_key(t, c, &len);
		if (len == strlen(key) && memcmp(k, key, len) == 0 && k[len] == '\0')
			return c;
	}
	fail_msg("no customer '%s'", key);
	return 0;
}

/* Customer key's purchases are exactly ts[0..n), value[0..n). */
static void expect_purchases(const struct rebuy_orders *t, const char *key, size_t n,
                             const int64_t *ts, const int64_t *value)
{
	size_t c = customer(t, key);
	size_t a = (size_t)t->cust_start[c], z = (size_t)t->cust_start[c + 1];
	if (z - a != n)
		fail_msg("customer '%s': %zu purchases, want %zu", key, z - a, n);
	for (size_t i = 0; i < n; i++)
		if (t->ts[a + i] != ts[i] || t->value[a + i] != value[i])
			fail_msg("customer '%s' purchase %zu: ts %lld value %lld, want %lld %lld",
			         key, i, (long long)t->ts[a + i], (long long)t->value[a + i],
			         (long long)ts[i], (long long)value[i]);
}

#define PURCHASES(t, key, ...)                                    \
	do {                                                      \
		const int64_t pairs_[] = {__VA_ARGS__};           \
		size_t n_ = sizeof pairs_ / sizeof pairs_[0] / 2; \
		int64_t ts_[16], v_[16];                          \
		for (size_t i_ = 0; i_ < n_; i_++) {              \
			ts_[i_] = pairs_[2 * i_];                 \
			v_[i_] = pairs_[2 * i_ + 1];              \
		}                                                 \
		expect_purchases(t, key, n_, ts_, v_);            \
	} while (0)

static void expect_no_rejects(const struct rebuy_input_report *r)
{
	for (int k = 0; k < REBUY_REASON_COUNT; k++)
		if (r->rejected[k])
			fail_msg("%llu rows rejected as %s", (unsigned long long)r->rejected[k],
			         rebuy_reason_name((enum rebuy_reason)k));
}

struct buf {
	char *p;
	size_t n, cap;
};

static void buf_add(struct buf *b, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 2, 3)))
#endif
        ;

static void buf_add(struct buf *b, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
		va_end(ap);
		assert_true(k >= 0);
		if (b->p && b->n + (size_t)k < b->cap) {
			b->n += (size_t)k;
			return;
		}
		b->cap = (b->cap + (size_t)k + 1) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
}

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	z ^= z >> 31;
	return (uint32_t)(z % n);
}

/* ---- reading plain files ------------------------------------------------------ */

static void test_ingest__reads_a_plain_csv(void **state)
{
	(void)state;
	struct rebuy_orders *t = load_ok("customer,date,amount\n"
	                                 "1,2020-01-01,10.50\n"
	                                 "2,2020-01-02,3\n"
	                                 "1,2020-01-05,4.25\n",
	                                 NULL);
	const struct rebuy_input_report *r = &t->report;
	assert_int_equal(t->n_customers, 2);
	assert_int_equal(t->n_orders, 3);
	assert_int_equal(t->n_returns, 0);
	assert_int_equal(t->has_amount, 1);
	assert_int_equal(t->has_order_key, 0);
	/* 2020-01-05 is 4 days after 2020-01-01 */
	PURCHASES(t, "1", D20200101, 105000, D20200101 + 4 * DAY, 42500);
	PURCHASES(t, "2", D20200101 + DAY, 30000);
	assert_int_equal(t->first_day, 18262);
	assert_int_equal(t->last_day, 18266);
	assert_int_equal(r->delimiter, ',');
	assert_int_equal(r->has_header, 1);
	assert_int_equal(r->has_bom, 0);
	assert_int_equal(r->is_gzip, 0);
	assert_int_equal(r->decimal_comma, 0);
	assert_string_equal(r->date_format_name, "iso");
	assert_string_equal(r->path, "orders.csv");
	assert_int_equal(r->n_columns, 3);
	assert_string_equal(r->column_names[0], "customer");
	assert_string_equal(r->column_names[2], "amount");
	assert_int_equal(r->role_column[REBUY_ROLE_CUSTOMER], 0);
	assert_int_equal(r->role_column[REBUY_ROLE_DATE], 1);
	assert_int_equal(r->role_column[REBUY_ROLE_AMOUNT], 2);
	assert_int_equal(r->role_column[REBUY_ROLE_ORDER], -1);
	assert_int_equal(r->role_by_flag[REBUY_ROLE_CUSTOMER], 0);
	assert_int_equal(r->rows, 3);
	assert_int_equal(r->rows_used, 3);
	assert_int_equal(r->lines, 4);
	assert_int_equal(r->blank_lines, 0);
	assert_int_equal(r->bytes, 73);
	assert_int_equal(r->n_problems, 0);
	expect_no_rejects(r);
	/* the column infos of the first rows */
	assert_non_null(r->columns);
	assert_string_equal(r->columns[0].type, "integer");
	assert_string_equal(r->columns[1].type, "date");
	assert_string_equal(r->columns[2].type, "decimal");
	assert_int_equal(r->columns[0].n_sampled, 3);
	assert_string_equal(r->columns[0].sample[0], "1");
	assert_string_equal(r->columns[0].sample[1], "2");
	assert_string_equal(r->columns[0].sample[2], "");
	rebuy_orders_free(t);
}

static void test_ingest__bom_crlf_and_blank_lines(void **state)
{
	(void)state;
	/* a BOM, CR LF everywhere, a blank line before the header and one in
	 * the middle: lines are 1 blank, 2 header, 3-4 data, 5 blank, 6 data */
	struct rebuy_orders *t = load_ok("\xEF\xBB\xBF\r\n"
	                                 "Customer ID,Order Date,Amount\r\n"
	                                 "7,2020-01-02,1.5\r\n"
	                                 "8,2020-01-03,2\r\n"
	                                 "\r\n"
	                                 "7,2020-01-04,0.25\r\n",
	                                 NULL);
	const struct rebuy_input_report *r = &t->report;
	assert_int_equal(r->has_bom, 1);
	assert_string_equal(r->column_names[0], "Customer ID");
	assert_string_equal(r->column_names[2], "Amount");
	assert_int_equal(r->role_column[REBUY_ROLE_CUSTOMER], 0);
	assert_int_equal(r->role_column[REBUY_ROLE_DATE], 1);
	assert_int_equal(r->role_column[REBUY_ROLE_AMOUNT], 2);
	assert_int_equal(r->rows, 3);
	assert_int_equal(r->blank_lines, 1);
	assert_int_equal(r->lines, 6);
	PURCHASES(t, "7", D20200101 + DAY, 15000, D20200101 + 3 * DAY, 2500);
	PURCHASES(t, "8", D20200101 + 2 * DAY, 20000);
	rebuy_orders_free(t);
}

static void test_ingest__detects_every_delimiter(void **state)
{
	(void)state;
	static const char delims[] = {',', ';', '\t', '|'};
	for (size_t i = 0; i < sizeof delims; i++) {
		char d = delims[i];
		char text[256];
		/* the note column holds the other delimiters as text */
		snprintf(text, sizeof text,
		         "customer%cdate%camount%cnote\n"
		         "a%c2020-01-01%c1.25%c\"x y,z;w|v\"\n"
		         "b%c2020-01-02%c2%c\"q%cq\"\n",
		         d, d, d, d, d, d, d, d, d, d);
		struct rebuy_orders *t = load_ok(text, NULL);
		assert_int_equal(t->report.delimiter, d);
		assert_int_equal(t->report.n_columns, 4);
		PURCHASES(t, "a", D20200101, 12500);
		PURCHASES(t, "b", D20200101 + DAY, 20000);
		expect_no_rejects(&t->report);
		rebuy_orders_free(t);
	}
	/* whitespace-separated, detected */
	struct rebuy_orders *t = load_ok(" customer_id  date  dollar_value\n"
	                                 " 00001 19970101   11.77\n"
	                                 " 00002\t19970118 \t 12.00\n",
	                                 NULL);
	assert_int_equal(t->report.delimiter, REBUY_DELIM_WHITESPACE);
	assert_string_equal(t->report.date_format_name, "ymd");
	/* 1997-01-01 is 852076800; 1997-01-18 is 853545600 */
	PURCHASES(t, "00001", INT64_C(852076800), 117700);
	PURCHASES(t, "00002", INT64_C(853545600), 120000);
	rebuy_orders_free(t);
	/* CR LF blank lines do not hide the delimiter */
	t = load_ok("customer;date;amount\r\n\r\n1;2020-01-01;5\r\n\r\n2;2020-01-02;6\r\n", NULL);
	assert_int_equal(t->report.delimiter, ';');
	assert_int_equal(t->report.blank_lines, 2);
	PURCHASES(t, "2", D20200101 + DAY, 60000);
	rebuy_orders_free(t);
	/* given explicitly: a ';' file read with ',' has one column */
	struct rebuy_input_options o;
	rebuy_input_options_init(&o);
	o.n_threads = 1;
	o.delimiter = ';';
	t = load_ok("customer;date;amount\n1;2020-01-01;5\n", &o);
	assert_int_equal(t->report.delimiter, ';');
	PURCHASES(t, "1", D20200101, 50000);
	rebuy_orders_free(t);
	rebuy_input_options_init(&o);
	o.n_threads = 1;
	o.delimiter = ',';
	expect_error("customer;date;amount\n1;2020-01-01;5\n", &o, REBUY_EDATA,
	             "orders.csv: no customer column: the columns are customer;date;amount (name "
	             "it with "
	             "--customer COLUMN, or give every role by position with --columns)");
}

/* ---- roles ---------------------------------------------------------------------- */

static void test_ingest__headerless_cdnow_layout_by_columns(void **state)
{
	(void)state;
	struct rebuy_input_options o;
	rebuy_input_options_init(&o);
	o.n_threads = 1;
	o.columns = "customer,_,date,_,amount";
	/* the first lines of CDNOW_sample.txt */
	struct rebuy_orders *t = load_ok(" 00004 0001 19970101  2   29.33\r\n"
	                                 " 00004 0001 19970118  2   29.73\r\n"
	                                 " 00018 0002 19970102  2   20.99\r\n",
	                                 &o);
	assert_int_equal(t->report.has_header, 0);
	assert_int_equal(t->report.delimiter, REBUY_DELIM_WHITESPACE);
	assert_int_equal(t->report.rows, 3);
	assert_string_equal(t->report.column_names[0], "column 1");
	assert_string_equal(t->report.column_names[4], "column 5");
	assert_int_equal(t->report.role_column[REBUY_ROLE_CUSTOMER], 0);
	assert_int_equal(t->report.role_column[REBUY_ROLE_DATE], 2);
	assert_int_equal(t->report.role_column[REBUY_ROLE_AMOUNT], 4);
	assert_int_equal(t->report.role_by_flag[REBUY_ROLE_DATE], 1);
	PURCHASES(t, "00004", INT64_C(852076800), 293300, INT64_C(853545600), 297300);
	PURCHASES(t, "00018", INT64_C(852076800) + DAY, 209900);
	rebuy_orders_free(t);

	const char *path = tu_shared_path("data/cdnow/CDNOW_sample.txt");
	if (!path)
		return;
	size_t n;
	char *text = tu_read_file(path, &n);
	assert_non_null(text);
	rebuy_input_options_init(&o);
	o.n_threads = 2;
	o.columns = "customer,_,date,_,amount";
	t = load_ok(text, &o);
	/* from the file: 6919 rows, 2357 customers, 6696 distinct (customer,
	 * day) orders, none negative, summing to 244091.94 */
	assert_int_equal(t->report.rows, 6919);
	assert_int_equal(t->report.lines, 6919);
	assert_int_equal(t->report.rows_used, 6919);
	assert_int_equal(t->report.lines_merged, 6919 - 6696);
	assert_int_equal(t->n_customers, 2357);
	assert_int_equal(t->n_orders, 6696);
	assert_int_equal(t->n_returns, 0);
	int64_t sum = 0;
	for (size_t i = 0; i < t->n_orders; i++)
		sum += t->value[i];
	assert_int_equal(sum, INT64_C(2440919400));
	/* 1997-01-01 .. 1998-06-30 */
	assert_int_equal(t->first_day, 9862);
	assert_int_equal(t->last_day, 10407);
	free(text);
	rebuy_orders_free(t);
}

static void test_ingest__roles_by_flag_name_and_number(void **state)
{
	(void)state;
	struct rebuy_input_options o;
	rebuy_input_options_init(&o);
	o.n_threads = 1;
	/* by exact name, by a 1-based number, by a name matched normalized */
	o.role_column[REBUY_ROLE_CUSTOMER] = "client";
	o.role_column[REBUY_ROLE_DATE] = "2";
	o.role_column[REBUY_ROLE_AMOUNT] = "PAID";
	struct rebuy_orders *t = load_ok("client,when,paid,total\nk,2020-01-03,4,999\n", &o);
	assert_int_equal(t->report.role_column[REBUY_ROLE_CUSTOMER], 0);
	assert_int_equal(t->report.role_column[REBUY_ROLE_DATE], 1);
	assert_int_equal(t->report.role_column[REBUY_ROLE_AMOUNT], 2);
	assert_int_equal(t->report.role_by_flag[REBUY_ROLE_AMOUNT], 1);
	/* the flag wins over the "total" header */
	PURCHASES(t, "k", D20200101 + 2 * DAY, 40000);
	rebuy_orders_free(t);

	/* a flag settles an ambiguity: the other candidate is a free column */
	rebuy_input_options_init(&o);
	o.n_threads = 1;
	assert_int_equal(rebuy_input_set_role(&o, "customer", "customer_id", NULL), REBUY_OK);
	t = load_ok("customer_id,customer,date,amount\nA,B,2020-01-01,1\n", &o);
	assert_int_equal(t->report.role_column[REBUY_ROLE_CUSTOMER], 0);
	PURCHASES(t, "A", D20200101, 10000);
	rebuy_orders_free(t);

	/* no header: numbers only */
	rebuy_input_options_init(&o);
	o.n_threads = 1;
	o.header = 0;
	o.role_column[REBUY_ROLE_CUSTOMER] = "3";
	o.role_column[REBUY_ROLE_DATE] = "1";
	t = load_ok("2020-01-02,x,c9\n2020-01-03,y,c9\n", &o);
	assert_int_equal(t->report.rows, 2);
	assert_int_equal(t->has_amount, 0);
	PURCHASES(t, "c9", D20200101 + DAY, 0, D20200101 + 2 * DAY, 0);
	rebuy_orders_free(t);

	struct rebuy_error err;
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_input_set_role(&o, "client", "x", &err), REBUY_EARG);
	assert_string_equal(err.msg, "unknown column role 'client'");

	rebuy_input_options_init(&o);
	o.role_column[REBUY_ROLE_CUSTOMER] = "nope";
	expect_error("a,date\n1,2020-01-01\n", &o, REBUY_EARG,
	             "--customer nope: orders.csv has no such column (the columns are: a, date)");
	rebuy_input_options_init(&o);
	o.role_column[REBUY_ROLE_DATE] = "3";
	expect_error("customer,b\n1,2020-01-01\n", &o, REBUY_EARG,
	             "--date 3: orders.csv has no such column (the columns are: customer, b)");
}

static void test_ingest__header_given_with_columns(void **state)
{
	(void)state;
	struct rebuy_input_options o;
	rebuy_input_options_init(&o);
	o.n_threads = 1;
	o.columns = " customer , _ ,date";
	o.header = 1;
	struct rebuy_orders *t = load_ok("a,b,c\n1,x,2020-01-01\n", &o);
	assert_int_equal(t->report.has_header, 1);
	assert_int_equal(t->report.rows, 1);
	assert_string_equal(t->report.column_names[1], "b");
	assert_int_equal(t->report.role_column[REBUY_ROLE_DATE], 2);
	PURCHASES(t, "1", D20200101, 0);
	rebuy_orders_free(t);

	rebuy_input_options_init(&o);
	o.columns = "customer,_,day";
	expect_error("1,x,2020-01-01\n", &o, REBUY_EARG,
	             "--columns: unknown role 'day' at position 3 (roles: customer, date, amount, "
	             "quantity, price, order, product, currency, or _ to skip)");
	o.columns = "customer,date,customer";
	expect_error("1,2020-01-01,5\n", &o, REBUY_EARG,
	             "--columns: role 'customer' is given twice");
	o.columns = "customer,_,_,date";
	expect_error("1,2020-01-01,5\n", &o, REBUY_EDATA,
	             "--columns names 4 or more columns but the first row has 3");
}

static void test_ingest__two_candidates_for_a_role_is_an_error_naming_both(void **state)
{
	(void)state;
	expect_error("customer_id,customer,date,amount\n1,2,2020-01-01,5\n", NULL, REBUY_EDATA,
	             "orders.csv: two columns could be the customer: 'customer_id' and 'customer' "
	             "(choose one "
	             "with --customer COLUMN)");
	expect_error("customer,date,Order Date,amount\n1,2020-01-01,2020-01-01,5\n", NULL,
	             REBUY_EDATA,
	             "orders.csv: two columns could be the date: 'date' and 'Order Date' (choose "
	             "one with "
	             "--date COLUMN)");
	/* exact matches only: "customer_name" and "amount_eur" take no role */
	struct rebuy_orders *t = load_ok(
	        "customer,customer_name,date,amount,amount_eur\n1,Ann,2020-01-01,5,4\n", NULL);
	assert_int_equal(t->report.role_column[REBUY_ROLE_CUSTOMER], 0);
	assert_int_equal(t->report.role_column[REBUY_ROLE_AMOUNT], 3);
	rebuy_orders_free(t);
}

static void test_ingest__missing_role_column_lists_the_columns(void **state)
{
	(void)state;
	expect_error("date,amount\nx,5\n", NULL, REBUY_EDATA,
	             "orders.csv: no customer column: the columns are date, amount (name it with "
	             "--customer "
	             "COLUMN, or give every role by position with --columns)");
	expect_error("customer,amount,when\n1,5,x\n", NULL, REBUY_EDATA,
	             "orders.csv: no date column: the columns are customer, amount, when (name it "
	             "with --date "
	             "COLUMN, or give every role by position with --columns)");
}

static void test_ingest__first_row_of_data_is_not_taken_for_a_header(void **state)
{
	(void)state;
	expect_error("1,2020-01-01,5\n2,2020-01-02,6\n", NULL, REBUY_EDATA,
	             "orders.csv:1: the first row holds no column names (it reads "
	             "'1,2020-01-01,5'): give the roles by position with --columns, e.g. "
	             "--columns customer,_,date,amount");
	/* CDNOW without --columns; the blank line before it counts */
	expect_error("\n 00001 19970101  1   11.77\r\n", NULL, REBUY_EDATA,
	             "orders.csv:2: the first row holds no column names (it reads "
	             "' 00001 19970101  1   11.77'): give the roles by position with --columns, "
	             "e.g. --columns customer,_,date,amount");
}

/* ---- values ----------------------------------------------------------------------- */

static void test_ingest__decimal_comma_is_detected_with_semicolons(void **state)
{
	(void)state;
	struct rebuy_orders *t = load_ok("customer;date;amount\n"
	                                 "1;2020-01-01;12,50\n"
	                                 "2;2020-01-02;3\n"
	                                 "2;2020-01-03;-0,0001\n",
	                                 NULL);
	assert_int_equal(t->report.delimiter, ';');
	assert_int_equal(t->report.decimal_comma, 1);
	PURCHASES(t, "1", D20200101, 125000);
	PURCHASES(t, "2", D20200101 + DAY, 30000);
	assert_int_equal(t->n_returns, 1);
	assert_int_equal(t->ret_value[0], -1);
	rebuy_orders_free(t);

	/* "1,500" alone could be thousands: not detected, so unreadable ... */
	struct rebuy_input_options o;
	rebuy_input_options_init(&o);
	o.n_threads = 1;
	t = load_ok("customer;date;amount\n1;2020-01-01;1,500\n2;2020-01-01;2\n", &o);
	assert_int_equal(t->report.decimal_comma, 0);
	assert_int_equal(t->report.rejected[REBUY_REASON_BAD_AMOUNT], 1);
	assert_int_equal(t->report.n_problems, 1);
	assert_int_equal(t->report.problems[0].line, 2);
	assert_int_equal(t->report.problems[0].column, 3);
	assert_int_equal(t->report.problems[0].kind, REBUY_REASON_BAD_AMOUNT);
	assert_string_equal(t->report.problems[0].message, "cannot read amount '1,500'");
	assert_int_equal(t->n_customers, 1);
	rebuy_orders_free(t);
	/* ... unless the decimal comma is given */
	rebuy_input_options_init(&o);
	o.n_threads = 1;
	o.decimal_comma = 1;
	t = load_ok("customer;date;amount\n1;2020-01-01;1,500\n", &o);
	assert_int_equal(t->report.decimal_comma, 1);
	PURCHASES(t, "1", D20200101, 15000);
	rebuy_orders_free(t);
	/* and a decimal point given explicitly reads "12,50" as nothing */
	rebuy_input_options_init(&o);
	o.n_threads = 1;
	o.decimal_comma = 0;
	t = load_ok("customer;date;amount\n1;2020-01-01;12,50\n", &o);
	assert_int_equal(t->report.rejected[REBUY_REASON_BAD_AMOUNT], 1);
	assert_int_equal(t->n_customers, 0);
	rebuy_orders_free(t);
}

static void test_ingest__amount_is_quantity_times_price(void **state)
{
	(void)state;
	/* 3 x 2.50 = 7.5; 1.5 x 0.0003 = 0.00045 = 4.5 units, half to even 4;
	 * a price of 0.33335 is itself rounded to 0.3334 (3333.5 -> 3334), and
	 * 2 x 0.3334 = 0.6668 */
	struct rebuy_input_options o;
	rebuy_input_options_init(&o);
	o.n_threads = 1;
	struct rebuy_orders *t = load_ok("customer,date,quantity,unit_price\n"
	                                 "1,2020-01-01,3,2.50\n"
	                                 "1,2020-01-02,1.5,0.0003\n"
	                                 "1,2020-01-03,2,0.33335\n"
	                                 "1,2020-01-04,x,1\n",
	                                 &o);
	assert_int_equal(t->has_amount, 1);
	assert_int_equal(t->report.role_column[REBUY_ROLE_QUANTITY], 2);
	assert_int_equal(t->report.role_column[REBUY_ROLE_PRICE], 3);
	PURCHASES(t, "1", D20200101, 75000, D20200101 + DAY, 4, D20200101 + 2 * DAY, 6668);
	assert_int_equal(t->report.rounded_amounts, 2);
	assert_int_equal(t->report.rows_used, 3);
	assert_int_equal(t->report.rejected[REBUY_REASON_BAD_AMOUNT], 1);
	assert_int_equal(t->report.n_problems, 3);
	assert_int_equal(t->report.problems[0].kind, REBUY_PROBLEM_ROUNDED);
	assert_int_equal(t->report.problems[0].line, 3);
	assert_int_equal(t->report.problems[0].column, 4);
	assert_string_equal(
	        t->report.problems[0].message,
	        "quantity x price '0.0003' has more than 4 decimals (rounded half to even)");
	assert_int_equal(t->report.problems[2].line, 5);
	assert_int_equal(t->report.problems[2].column, 3);
	assert_string_equal(t->report.problems[2].message, "cannot read quantity 'x'");
	rebuy_orders_free(t);

	/* with an amount column, quantity is units and is not multiplied */
	t = load_ok("customer,date,qty,amount\n1,2020-01-01,3,10\n", NULL);
	PURCHASES(t, "1", D20200101, 100000);
	rebuy_orders_free(t);
	/* price without quantity: no revenue */
	t = load_ok("customer,date,price\n1,2020-01-01,3\n", NULL);
	assert_int_equal(t->has_amount, 0);
	PURCHASES(t, "1", D20200101, 0);
	rebuy_orders_free(t);
}

static void test_ingest__returns_are_kept_apart_and_zero_orders_are_purchases(void **state)
{
	(void)state;
	struct rebuy_orders *t = load_ok("invoice,customer,date,amount\n"
	                                 "A1,1,2020-01-01,10\n"
	                                 "A1,1,2020-01-01,-3\n"
	                                 "C2,1,2020-01-03,-5\n"
	                                 "Z3,1,2020-01-04,0\n"
	                                 "R9,2,2020-01-02,-1.25\n",
	                                 NULL);
	assert_int_equal(t->has_order_key, 1);
	assert_int_equal(t->n_customers, 2);
	/* A1 nets to 7; Z3 is worth 0 and still a purchase */
	PURCHASES(t, "1", D20200101, 70000, D20200101 + 3 * DAY, 0);
	size_t c1 = customer(t, "1"), c2 = customer(t, "2");
	assert_int_equal(t->n_lines[t->cust_start[c1]], 2);
	assert_int_equal(t->n_orders, 2);
	assert_int_equal(t->n_returns, 2);
	/* customer 2 has a return and no purchase: still a customer */
	assert_int_equal(t->cust_start[c2 + 1] - t->cust_start[c2], 0);
	assert_int_equal(t->ret_start[c1 + 1] - t->ret_start[c1], 1);
	assert_int_equal(t->ret_start[c2 + 1] - t->ret_start[c2], 1);
	size_t r1 = (size_t)t->ret_start[c1], r2 = (size_t)t->ret_start[c2];
	assert_int_equal(t->ret_value[r1], -50000);
	assert_int_equal(t->ret_ts[r1], D20200101 + 2 * DAY);
	assert_int_equal(t->ret_cust[r1], c1);
	assert_int_equal(t->ret_value[r2], -12500);
	assert_int_equal(t->ret_cust[r2], c2);
	assert_int_equal(t->report.lines_merged, 1);
	assert_int_equal(t->report.rows_used, 5);
	rebuy_orders_free(t);
}

static void test_ingest__order_key_groups_lines_anywhere_at_the_earliest_time(void **state)
{
	(void)state;
	/* order 100 has lines 2 and 4, not adjacent; its time is 09:30 */
	for (unsigned threads = 1; threads <= 2; threads++) {
		struct rebuy_input_options o;
		rebuy_input_options_init(&o);
		o.n_threads = threads;
		struct rebuy_orders *t = load_ok("order_id,customer,date,amount\n"
		                                 "100,1,2020-01-05 10:00:00,10\n"
		                                 "200,2,2020-01-01,1\n"
		                                 "100,1,2020-01-05 09:30:00,5\n"
		                                 "300,1,2020-01-07,2\n"
		                                 "100,2,2020-01-02,4\n",
		                                 &o);
		/* 2020-01-05 09:30 is 1578216600 */
		PURCHASES(t, "1", INT64_C(1578216600), 150000, D20200101 + 6 * DAY, 20000);
		/* the same key under another customer is another order */
		PURCHASES(t, "2", D20200101, 10000, D20200101 + DAY, 40000);
		size_t c1 = customer(t, "1");
		assert_int_equal(t->n_lines[t->cust_start[c1]], 2);
		assert_int_equal(t->n_lines[t->cust_start[c1] + 1], 1);
		assert_int_equal(t->report.lines_merged, 1);
		assert_int_equal(t->report.role_column[REBUY_ROLE_ORDER], 0);
		rebuy_orders_free(t);
	}
	/* long (interned) keys group too */
	struct rebuy_orders *t = load_ok("basket_id,customer,date,amount\n"
	                                 "INV-2020-000000001,1,2020-01-01,1\n"
	                                 "INV-2020-000000002,1,2020-01-01 10:00,2\n"
	                                 "INV-2020-000000001,1,2020-01-02,4\n",
	                                 NULL);
	PURCHASES(t, "1", D20200101, 50000, D20200101 + 36000, 20000);
	rebuy_orders_free(t);
}

static void test_ingest__lines_merged_counts_each_folded_line_once(void **state)
{
	(void)state;
	/* order A has three lines, the last two adjacent: two of them are
	 * folded into the order (4 lines, 2 orders) however they were met */
	struct rebuy_orders *t = load_ok("order_id,customer,date,amount\n"
	                                 "A,1,2020-01-01,1\n"
	                                 "B,1,2020-01-02,1\n"
	                                 "A,1,2020-01-01,1\n"
	                                 "A,1,2020-01-01,1\n",
	                                 NULL);
	PURCHASES(t, "1", D20200101, 30000, D20200101 + DAY, 10000);
	assert_int_equal(t->n_lines[t->cust_start[0]], 3);
	assert_int_equal(t->report.lines_merged, 2);
	rebuy_orders_free(t);
	/* the same grouped by time */
	t = load_ok("customer,date,amount\n"
	            "1,2020-01-01,1\n"
	            "1,2020-01-02,1\n"
	            "1,2020-01-01,1\n"
	            "1,2020-01-01,1\n",
	            NULL);
	PURCHASES(t, "1", D20200101, 30000, D20200101 + DAY, 10000);
	assert_int_equal(t->report.lines_merged, 2);
	rebuy_orders_free(t);
}

static void test_ingest__without_order_key_lines_group_by_customer_and_time(void **state)
{
	(void)state;
	struct rebuy_orders *t = load_ok("customer,date,amount\n"
	                                 "1,2020-01-01 10:00,5\n"
	                                 "1,2020-01-01 10:00,7\n"
	                                 "2,2020-01-01 10:00,1\n"
	                                 "1,2020-01-01 11:00,2\n"
	                                 "1,2020-01-01 10:00,3\n",
	                                 NULL);
	/* 10:00 is +36000 s, 11:00 is +39600 s */
	PURCHASES(t, "1", D20200101 + 36000, 150000, D20200101 + 39600, 20000);
	PURCHASES(t, "2", D20200101 + 36000, 10000);
	size_t c1 = customer(t, "1");
	assert_int_equal(t->n_lines[t->cust_start[c1]], 3);
	assert_int_equal(t->report.lines_merged, 2);
	assert_int_equal(t->has_order_key, 0);
	rebuy_orders_free(t);
}

static void
test_ingest__customer_keys_are_trimmed_and_spreadsheet_ids_read_as_integers(void **state)
{
	(void)state;
	struct rebuy_orders *t = load_ok("customer,date,amount\n"
	                                 "17850.0,2020-01-01,1\n"
	                                 " 17850 ,2020-01-02,2\n"
	                                 "\"17850\",2020-01-03,3\n"
	                                 "17850.50,2020-01-04,4\n"
	                                 "\"  \",2020-01-05,5\n"
	                                 ",2020-01-06,6\n",
	                                 NULL);
	assert_int_equal(t->n_customers, 2);
	PURCHASES(t, "17850", D20200101, 10000, D20200101 + DAY, 20000, D20200101 + 2 * DAY, 30000);
	PURCHASES(t, "17850.50", D20200101 + 3 * DAY, 40000);
	assert_int_equal(t->report.rejected[REBUY_REASON_MISSING_CUSTOMER], 2);
	assert_int_equal(t->report.rows, 6);
	assert_int_equal(t->report.rows_used, 4);
	assert_int_equal(t->report.problems[0].line, 6);
	assert_int_equal(t->report.problems[0].column, 1);
	assert_string_equal(t->report.problems[0].message, "empty customer");
	/* keys of digits first, by value */
	uint32_t ids[2];
	assert_int_equal(rebuy_orders_customers_by_key(t, ids), REBUY_OK);
	assert_string_equal(rebuy_orders_customer_key(t, ids[0], NULL), "17850");
	assert_string_equal(rebuy_orders_customer_key(t, ids[1], NULL), "17850.50");
	rebuy_orders_free(t);
}

static void test_ingest__dedupe_drops_exact_repeats_only(void **state)
{
	(void)state;
	const char *text = "customer,date,amount\n"
	                   "1,2020-01-01,5\n"
	                   "1,2020-01-01,5\r\n"
	                   "1,2020-01-01,5.0\n"
	                   "2,2020-01-02,1\n"
	                   "1,2020-01-01,5";
	/* kept: one order of four lines, 5 + 5 + 5 + 5 */
	struct rebuy_orders *t = load_ok(text, NULL);
	PURCHASES(t, "1", D20200101, 200000);
	assert_int_equal(t->n_lines[t->cust_start[customer(t, "1")]], 4);
	assert_int_equal(t->report.rejected[REBUY_REASON_DUPLICATE_LINE], 0);
	rebuy_orders_free(t);
	/* --dedupe: the 2nd and 5th repeat the 1st (line ends aside); "5.0" is
	 * other text */
	struct rebuy_input_options o;
	rebuy_input_options_init(&o);
	o.n_threads = 1;
	o.dedupe = 1;
	t = load_ok(text, &o);
	PURCHASES(t, "1", D20200101, 100000);
	PURCHASES(t, "2", D20200101 + DAY, 10000);
	assert_int_equal(t->n_lines[t->cust_start[customer(t, "1")]], 2);
	assert_int_equal(t->report.rejected[REBUY_REASON_DUPLICATE_LINE], 2);
	assert_int_equal(t->report.rows, 5);
	assert_int_equal(t->report.rows_used, 3);
	/* five line breaks and a last line without one */
	assert_int_equal(t->report.lines, 6);
	rebuy_orders_free(t);
}

/* ---- cleaning and --strict ---------------------------------------------------------- */

static const char multiline_text[] = "customer,date,amount,note\n"   /* 1 */
                                     "1,2020-01-01,5,\"multi\n"      /* 2 */
                                     "line\r\n"                      /* 3 */
                                     "note, with \"\"quotes\"\"\"\n" /* 4 */
                                     "2,2020-13-45,6,x\n"            /* 5 */
                                     "3,2020-01-02,abc,y\n"          /* 6 */
                                     "4,2020-01-02\n"                /* 7 */
                                     "5,2020-01-03,7,z\n";           /* 8 */

static void test_ingest__problems_name_physical_lines_after_multiline_quotes(void **state)
{
	(void)state;
	struct rebuy_orders *t = load_ok(multiline_text, NULL);
	const struct rebuy_input_report *r = &t->report;
	assert_int_equal(r->lines, 8);
	assert_int_equal(r->rows, 5);
	assert_int_equal(r->rows_used, 2);
	assert_int_equal(r->rejected[REBUY_REASON_BAD_DATE], 1);
	assert_int_equal(r->rejected[REBUY_REASON_BAD_AMOUNT], 1);
	assert_int_equal(r->rejected[REBUY_REASON_SHORT_ROW], 1);
	assert_int_equal(r->n_problems, 3);
	assert_int_equal(r->problems[0].line, 5);
	assert_int_equal(r->problems[0].column, 2);
	assert_int_equal(r->problems[0].kind, REBUY_REASON_BAD_DATE);
	assert_string_equal(r->problems[0].message, "cannot read date '2020-13-45'");
	assert_int_equal(r->problems[1].line, 6);
	assert_int_equal(r->problems[1].column, 3);
	assert_string_equal(r->problems[1].message, "cannot read amount 'abc'");
	assert_int_equal(r->problems[2].line, 7);
	assert_int_equal(r->problems[2].column, 3);
	assert_int_equal(r->problems[2].kind, REBUY_REASON_SHORT_ROW);
	assert_string_equal(r->problems[2].message,
	                    "the row has 2 fields; the amount column is field 3");
	PURCHASES(t, "1", D20200101, 50000);
	PURCHASES(t, "5", D20200101 + 2 * DAY, 70000);
	rebuy_orders_free(t);
}

static void test_ingest__strict_reports_line_after_multiline_quote(void **state)
{
	(void)state;
	for (unsigned threads = 1; threads <= 2; threads++) {
		struct rebuy_input_options o;
		rebuy_input_options_init(&o);
		o.n_threads = threads;
		o.strict = 1;
		expect_error(multiline_text, &o, REBUY_EDATA,
		             "orders.csv:5:2: cannot read date '2020-13-45'");
	}
	/* the caller's report holds that first problem only: threads stop
	 * at different rows after it */
	struct rebuy_input_options o;
	rebuy_input_options_init(&o);
	opts_text(&o, multiline_text, strlen(multiline_text));
	o.n_threads = 2;
	o.strict = 1;
	struct rebuy_orders *t = NULL;
	struct rebuy_input_report rep;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_orders_load(&t, &o, &rep, &err), REBUY_EDATA);
	assert_int_equal(rep.n_problems, 1);
	assert_int_equal(rep.problems[0].line, 5);
	assert_int_equal(rep.problems[0].column, 2);
	rebuy_input_report_release(&rep);
	/* a rounded amount is a change: an error under --strict */
	rebuy_input_options_init(&o);
	o.strict = 1;
	expect_error("customer,date,amount\n1,2020-01-01,1.00005\n", &o, REBUY_EDATA,
	             "orders.csv:2:3: amount '1.00005' has more than 4 decimals (rounded half to "
	             "even)");
	/* a clean file loads under --strict */
	rebuy_input_options_init(&o);
	o.strict = 1;
	o.n_threads = 1;
	t = load_ok("customer,date,amount\n1,2020-01-01,1\n", &o);
	assert_int_equal(t->n_orders, 1);
	rebuy_orders_free(t);
}

/* A large export: each row's note spans two lines, so physical lines and
 * rows differ; the bad date sits on line 2 * k + 2 for row k. */
static char *multiline_export(size_t n_rows, size_t bad_row)
{
	struct buf b = {0};
	buf_add(&b, "customer,date,amount,note\n");
	for (size_t k = 0; k < n_rows; k++)
		buf_add(&b, "c%zu,%s,%zu.25,\"line one, of row %zu\nline two\"\n", k % 1000,
		        k == bad_row ? "2020-02-30" : "2020-01-02", k % 50, k);
	return b.p;
}

static void test_ingest__strict_line_is_right_beyond_the_first_block(void **state)
{
	(void)state;
	/* ~55 bytes a row: 80000 rows are ~4.4 MiB, three blocks */
	const size_t bad = 70000;
	char *text = multiline_export(80000, bad);
	assert_true(strlen(text) > ((size_t)4 << 20));
	char want[128];
	snprintf(want, sizeof want, "orders.csv:%zu:2: cannot read date '2020-02-30'", 2 * bad + 2);
	for (unsigned threads = 1; threads <= 4; threads *= 2) {
		struct rebuy_input_options o;
		rebuy_input_options_init(&o);
		o.n_threads = threads;
		o.strict = 1;
		expect_error(text, &o, REBUY_EDATA, want);
		/* without --strict, the same line in the report */
		o.strict = 0;
		struct rebuy_orders *t = load_ok(text, &o);
		assert_int_equal(t->report.n_problems, 1);
		assert_int_equal(t->report.problems[0].line, 2 * bad + 2);
		assert_int_equal(t->report.lines, 2 * 80000 + 1);
		assert_int_equal(t->report.rows, 80000);
		assert_int_equal(t->report.rows_used, 79999);
		rebuy_orders_free(t);
	}
	free(text);
}

static void test_ingest__currency_is_selected_or_must_be_single(void **state)
{
	(void)state;
	const char *text = "customer,date,amount,currency\n"
	                   "1,2020-01-01,5,EUR\n"
	                   "2,2020-01-02,6, USD \n"
	                   "1,2020-01-03,7,EUR\n";
	expect_error(
	        text, NULL, REBUY_EDATA,
	        "orders.csv: the currency column holds more than one currency ('EUR' on line 2, "
	        "'USD' on line 3): choose one with --currency");
	struct rebuy_input_options o;
	rebuy_input_options_init(&o);
	o.n_threads = 1;
	o.currency = "EUR";
	struct rebuy_orders *t = load_ok(text, &o);
	assert_int_equal(t->n_customers, 1);
	PURCHASES(t, "1", D20200101, 50000, D20200101 + 2 * DAY, 70000);
	assert_int_equal(t->report.rejected[REBUY_REASON_OTHER_CURRENCY], 1);
	assert_string_equal(t->report.currency, "EUR");
	assert_int_equal(t->report.problems[0].line, 3);
	assert_int_equal(t->report.problems[0].column, 4);
	assert_string_equal(t->report.problems[0].message,
	                    "currency ' USD ' is not the selected EUR");
	rebuy_orders_free(t);
	o.currency = "USD";
	t = load_ok(text, &o);
	PURCHASES(t, "2", D20200101 + DAY, 60000);
	rebuy_orders_free(t);
	/* a value too long to show whole is another currency all the same */
	expect_error(
	        "customer,date,amount,currency\n1,2020-01-01,5,EUR\n"
	        "2,2020-01-01,5,XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n",
	        NULL, REBUY_EDATA,
	        "orders.csv: the currency column holds more than one currency ('EUR' on line 2, "
	        "'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX...' on line 3): choose one with "
	        "--currency");
	/* one currency: reported */
	t = load_ok("customer,date,amount,currency\n1,2020-01-01,5,GBP\n2,2020-01-01,5,\n", NULL);
	assert_string_equal(t->report.currency, "GBP");
	assert_int_equal(t->n_customers, 2);
	rebuy_orders_free(t);
}

static void test_ingest__currency_error_names_the_first_two_in_file_order(void **state)
{
	(void)state;
	/* EUR, then a run of USD across the first block boundary (2 MiB), so
	 * that the second block starts with USD, then EUR again. Whichever
	 * thread reads which block, the message names the first two currencies
	 * in file order: EUR on line 2, then the first USD */
	struct buf b = {0};
	buf_add(&b, "customer,date,amount,currency\n");
	size_t n = 0, first_usd = 0;
	while (b.n < ((size_t)5 << 20)) {
		int usd = b.n >= 2000000 && b.n < 2300000;
		if (usd && !first_usd)
			first_usd = n;
		buf_add(&b, "%zu,2020-01-01,1,%s\n", n % 977, usd ? "USD" : "EUR");
		n++;
	}
	assert_true(first_usd > 0);
	char want[256];
	snprintf(want, sizeof want,
	         "orders.csv: the currency column holds more than one currency ('EUR' on line 2, "
	         "'USD' on line %zu): choose one with --currency",
	         first_usd + 2);
	for (int round = 0; round < 3; round++)
		for (unsigned threads = 1; threads <= 4; threads *= 2) {
			struct rebuy_input_options o;
			rebuy_input_options_init(&o);
			o.n_threads = threads;
			expect_error(b.p, &o, REBUY_EDATA, want);
		}
	free(b.p);
}

static void test_ingest__window_leaves_orders_out_and_counts_them(void **state)
{
	(void)state;
	const char *text = "customer,date,amount\n"
	                   "1,2020-01-01,1\n"
	                   "1,2020-01-05,2\n"
	                   "1,2020-01-10,3\n"
	                   "2,2020-01-10,4\n"
	                   "3,2019-12-31,5\n";
	struct rebuy_input_options o;
	rebuy_input_options_init(&o);
	o.n_threads = 1;
	o.has_from = o.has_to = 1;
	o.from_day = 18263; /* 2020-01-02 */
	o.to_day = 18271;   /* 2020-01-10, inclusive */
	struct rebuy_orders *t = load_ok(text, &o);
	assert_int_equal(t->n_customers, 2);
	PURCHASES(t, "1", D20200101 + 4 * DAY, 20000, D20200101 + 9 * DAY, 30000);
	PURCHASES(t, "2", D20200101 + 9 * DAY, 40000);
	assert_int_equal(t->report.orders_outside_window, 2);
	assert_int_equal(t->first_day, 18266);
	assert_int_equal(t->last_day, 18271);
	rebuy_orders_free(t);
	/* --as-of 2020-01-10: that day and later are left out */
	rebuy_input_options_init(&o);
	o.n_threads = 1;
	o.has_as_of = 1;
	o.as_of_day = 18271;
	t = load_ok(text, &o);
	assert_int_equal(t->n_customers, 2);
	PURCHASES(t, "1", D20200101, 10000, D20200101 + 4 * DAY, 20000);
	PURCHASES(t, "3", D20200101 - DAY, 50000);
	assert_int_equal(t->report.orders_outside_window, 2);
	rebuy_orders_free(t);
}

/* ---- dates ------------------------------------------------------------------------------ */

/* Over 2 MiB of rows whose slash dates all read both ways, then the rows in
 * tail. The first row is customer "a" on 01/02/2020. */
static char *ambiguous_export(const char *tail, size_t *n_rows)
{
	struct buf b = {0};
	buf_add(&b, "customer,date,amount\na,01/02/2020,1\n");
	size_t n = 1;
	while (b.n < ((size_t)5 << 19)) {
		buf_add(&b, "c%u,%02u/%02u/2020,1\n", rnd(5000), 1 + rnd(12), 1 + rnd(12));
		n++;
	}
	buf_add(&b, "%s", tail);
	*n_rows = n;
	return b.p;
}

static void test_ingest__slash_dates_are_decided_by_a_value_anywhere(void **state)
{
	(void)state;
	rng_state = 7;
	size_t n;
	/* a day > 12 in the first place, far beyond the sampled first rows */
	char *text = ambiguous_export("z,25/03/2020,1\n", &n);
	for (unsigned threads = 1; threads <= 2; threads++) {
		struct rebuy_input_options o;
		rebuy_input_options_init(&o);
		o.n_threads = threads;
		struct rebuy_orders *t = load_ok(text, &o);
		assert_string_equal(t->report.date_format_name, "dmy");
		assert_int_equal(t->report.rows_used, n + 1);
		/* 01/02/2020 is 1 February: 1580515200; 25/03/2020 is 1585094400 */
		PURCHASES(t, "a", INT64_C(1580515200), 10000);
		PURCHASES(t, "z", INT64_C(1585094400), 10000);
		rebuy_orders_free(t);
	}
	free(text);
	/* a month first */
	text = ambiguous_export("z,03/25/2020,1\n", &n);
	struct rebuy_orders *t = load_ok(text, NULL);
	assert_string_equal(t->report.date_format_name, "mdy");
	PURCHASES(t, "a", D20200101 + DAY, 10000);
	PURCHASES(t, "z", INT64_C(1585094400), 10000);
	rebuy_orders_free(t);
	free(text);
	/* both: an error naming each, with its line (n rows after the header) */
	text = ambiguous_export("y,03/25/2020,1\nz,25/03/2020,1\n", &n);
	char want[256];
	snprintf(want, sizeof want,
	         "orders.csv: the dates mix month/day ('03/25/2020' on line %zu) and day/month "
	         "('25/03/2020' on line %zu): give --date-format mdy or dmy",
	         n + 2, n + 3);
	struct rebuy_input_options o;
	rebuy_input_options_init(&o);
	o.n_threads = 2;
	expect_error(text, &o, REBUY_EDATA, want);
	/* --date-format settles it: the month-first value is then unreadable */
	rebuy_input_options_init(&o);
	o.n_threads = 1;
	o.date_format = "dmy";
	t = load_ok(text, &o);
	assert_int_equal(t->report.rejected[REBUY_REASON_BAD_DATE], 1);
	assert_string_equal(t->report.date_format_name, "dmy");
	PURCHASES(t, "a", INT64_C(1580515200), 10000);
	rebuy_orders_free(t);
	free(text);
}

static void
test_ingest__slash_dates_mixing_is_an_error_even_when_the_first_rows_decide(void **state)
{
	(void)state;
	/* the first rows show month/day only; a day/month value comes much
	 * later: the column as a whole mixes both */
	rng_state = 8;
	size_t n;
	struct buf b = {0};
	buf_add(&b, "customer,date,amount\nm,12/31/2019,1\n");
	char *body = ambiguous_export("z,25/03/2020,1\n", &n);
	buf_add(&b, "%s", body + strlen("customer,date,amount\n"));
	free(body);
	char want[256];
	snprintf(want, sizeof want,
	         "orders.csv: the dates mix month/day ('12/31/2019' on line 2) and day/month "
	         "('25/03/2020' on line %zu): give --date-format mdy or dmy",
	         n + 3);
	expect_error(b.p, NULL, REBUY_EDATA, want);
	free(b.p);
}

static void test_ingest__dates_that_read_both_ways_are_an_error(void **state)
{
	(void)state;
	expect_error("customer,date,amount\n1,01/02/2020,1\n2,03/04/2020 10:00,2\n", NULL,
	             REBUY_EDATA,
	             "orders.csv: every date reads both as month/day and as day/month (e.g. "
	             "'01/02/2020' on line 2): give --date-format mdy or dmy");
	/* dotted dates are always day first */
	struct rebuy_orders *t = load_ok("customer,date,amount\n1,01.02.2020,1\n", NULL);
	assert_string_equal(t->report.date_format_name, "dmy");
	PURCHASES(t, "1", INT64_C(1580515200), 10000);
	rebuy_orders_free(t);
	/* no date of the first rows reads: say so, with the first one */
	expect_error(
	        "customer,date,amount\n1,yesterday,1\n2,today,1\n", NULL, REBUY_EDATA,
	        "orders.csv:2: cannot read the dates of column 'date' (e.g. 'yesterday'); give "
	        "the format with --date-format");
}

static void test_ingest__date_format_option_reads_a_pattern(void **state)
{
	(void)state;
	struct rebuy_input_options o;
	rebuy_input_options_init(&o);
	o.n_threads = 1;
	o.date_format = "%d-%b-%Y %H:%M";
	/* 5 January 2020 at 13:30 is 4 days and 48600 s after 2020-01-01 */
	struct rebuy_orders *t =
	        load_ok("customer,date,amount\n1,05-Jan-2020 13:30,1\n2,5-jan-2020,1\n", &o);
	assert_string_equal(t->report.date_format_name, "pattern");
	PURCHASES(t, "1", D20200101 + 4 * DAY + 48600, 10000);
	assert_int_equal(t->report.rejected[REBUY_REASON_BAD_DATE], 1);
	assert_string_equal(t->report.problems[0].message, "cannot read date '5-jan-2020'");
	rebuy_orders_free(t);
	/* a format that is not one is the caller's error */
	rebuy_input_options_init(&o);
	o.date_format = "%d";
	o.data = "customer,date\n1,05\n";
	o.data_len = strlen(o.data);
	struct rebuy_error err;
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_orders_load(&t, &o, NULL, &err), REBUY_EARG);
	assert_null(t);
	assert_true(strstr(err.msg, "%d") != NULL);
}

/* ---- what is not an export ----------------------------------------------------------- */

static void test_ingest__inputs_that_are_not_csv_have_clear_errors(void **state)
{
	(void)state;
	expect_error("", NULL, REBUY_EDATA, "orders.csv: the file is empty");
	expect_error("\n\r\n\n", NULL, REBUY_EDATA, "orders.csv: the file holds only blank lines");
	expect_error_len("customer,date\n1,\0\0\0", 19, NULL, REBUY_EDATA,
	                 "orders.csv: binary data (a NUL byte at offset 16): not a CSV export");
	expect_error_len(
	        "PK\x03\x04\x14\0\0\0", 8, NULL, REBUY_EDATA,
	        "orders.csv: this is a ZIP archive (an .xlsx workbook?), not CSV text: save "
	        "the sheet as CSV");
	expect_error_len("\xFF\xFE"
	                 "c\0u\0s\0",
	                 8, NULL, REBUY_EDATA,
	                 "orders.csv: the text is UTF-16; save it as UTF-8 CSV");
	expect_error_len("\xFE\xFF\0c\0u", 6, NULL, REBUY_EDATA,
	                 "orders.csv: the text is UTF-16; save it as UTF-8 CSV");
}

static void test_ingest__unterminated_quote_names_its_line(void **state)
{
	(void)state;
	for (unsigned threads = 1; threads <= 2; threads++) {
		struct rebuy_input_options o;
		rebuy_input_options_init(&o);
		o.n_threads = threads;
		expect_error("customer,date,amount\n"
		             "1,2020-01-01,5\n"
		             "2,2020-01-02,\"6\n"
		             "3,2020-01-03,7\n",
		             &o, REBUY_EDATA,
		             "orders.csv:3: a quoted field opened in this row is never closed");
	}
	expect_error("customer,\"date,amount\n1,2020-01-01,5\n", NULL, REBUY_EDATA,
	             "orders.csv:1: the first row has an unclosed quote");
}

static void test_ingest__unterminated_quote_far_into_a_large_input_names_its_line(void **state)
{
	(void)state;
	/* 3 MiB of rows, an unclosed quote on row k, 3 MiB more: the reader
	 * grows its block to the end looking for the row's end */
	struct buf b = {0};
	buf_add(&b, "customer,date,amount\n");
	size_t n = 0, bad = 0;
	while (b.n < ((size_t)6 << 20)) {
		if (!bad && b.n >= ((size_t)3 << 20)) {
			bad = n;
			buf_add(&b, "%zu,2020-01-01,\"1\n", n % 100);
		} else {
			buf_add(&b, "%zu,2020-01-01,1\n", n % 100);
		}
		n++;
	}
	char want[128];
	snprintf(want, sizeof want,
	         "orders.csv:%zu: a quoted field opened in this row is never closed", bad + 2);
	for (unsigned threads = 1; threads <= 2; threads++) {
		struct rebuy_input_options o;
		rebuy_input_options_init(&o);
		o.n_threads = threads;
		expect_error(b.p, &o, REBUY_EDATA, want);
	}
	free(b.p);
}

static void test_ingest__row_longer_than_a_block_still_parses(void **state)
{
	(void)state;
	/* a 3 MiB quoted note with a line break in its middle */
	const size_t big = (size_t)3 << 20;
	struct buf b = {0};
	buf_add(&b, "customer,date,amount,note\n1,2020-01-01,5,\"");
	char *x = malloc(big + 1);
	memset(x, 'x', big);
	x[big / 2] = '\n';
	x[big] = '\0';
	buf_add(&b, "%s", x);
	free(x);
	buf_add(&b, "\"\n2,2020-01-02,6,y\n3,bad,7,z\n");
	for (unsigned threads = 1; threads <= 2; threads++) {
		struct rebuy_input_options o;
		rebuy_input_options_init(&o);
		o.n_threads = threads;
		struct rebuy_orders *t = load_ok(b.p, &o);
		PURCHASES(t, "1", D20200101, 50000);
		PURCHASES(t, "2", D20200101 + DAY, 60000);
		/* header, two lines of row 1, rows 2 and 3 */
		assert_int_equal(t->report.lines, 5);
		assert_int_equal(t->report.rows, 3);
		assert_int_equal(t->report.problems[0].line, 5);
		assert_string_equal(t->report.problems[0].message, "cannot read date 'bad'");
		rebuy_orders_free(t);
	}
	free(b.p);
}

/* ---- sources ------------------------------------------------------------------------------- */

static const char small_export[] = "customer,date,amount\n"
                                   "1,2020-01-01,10.50\n"
                                   "2,2020-01-02,3\n";

static void check_small_export(struct rebuy_orders *t)
{
	assert_int_equal(t->n_customers, 2);
	PURCHASES(t, "1", D20200101, 105000);
	PURCHASES(t, "2", D20200101 + DAY, 30000);
}

static unsigned char *gzip_bytes(const char *text, size_t len, size_t *out_len)
{
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	assert_int_equal(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	                              Z_DEFAULT_STRATEGY),
	                 Z_OK);
	size_t cap = deflateBound(&zs, (uLong)len) + 64;
	unsigned char *out = malloc(cap);
	zs.next_in = (unsigned char *)(uintptr_t)text;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*out_len = cap - zs.avail_out;
	deflateEnd(&zs);
	return out;
}

static void test_ingest__reads_gzip_from_memory_and_files(void **state)
{
	(void)state;
	size_t n;
	unsigned char *gz = gzip_bytes(small_export, strlen(small_export), &n);
	struct rebuy_input_options o;
	opts_text(&o, (const char *)gz, n);
	struct rebuy_orders *t = NULL;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_orders_load(&t, &o, NULL, &err), REBUY_OK);
	assert_int_equal(t->report.is_gzip, 1);
	/* bytes of text, after decompression */
	assert_int_equal(t->report.bytes, strlen(small_export));
	check_small_export(t);
	rebuy_orders_free(t);

	/* two members one after the other read as one text */
	size_t n2;
	unsigned char *gz2 = gzip_bytes("3,2020-01-03,1\n", 15, &n2);
	unsigned char *both = malloc(n + n2);
	memcpy(both, gz, n);
	memcpy(both + n, gz2, n2);
	opts_text(&o, (const char *)both, n + n2);
	assert_int_equal(rebuy_orders_load(&t, &o, NULL, &err), REBUY_OK);
	assert_int_equal(t->n_customers, 3);
	PURCHASES(t, "3", D20200101 + 2 * DAY, 10000);
	rebuy_orders_free(t);
	free(both);
	free(gz2);

	/* cut short */
	opts_text(&o, (const char *)gz, n - 12);
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_orders_load(&t, &o, NULL, &err), REBUY_EDATA);
	assert_string_equal(err.msg, "orders.csv: the gzip data ends early (truncated file?)");
	assert_null(t);
	free(gz);

	/* a .gz file written by gzwrite */
	const char *path = tu_temp_text(1, "");
	assert_non_null(path);
	gzFile f = gzopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(gzwrite(f, small_export, (unsigned)strlen(small_export)),
	                 (int)strlen(small_export));
	assert_int_equal(gzclose(f), Z_OK);
	rebuy_input_options_init(&o);
	o.path = path;
	o.n_threads = 2;
	assert_int_equal(rebuy_orders_load(&t, &o, NULL, &err), REBUY_OK);
	assert_int_equal(t->report.is_gzip, 1);
	assert_string_equal(t->report.path, path);
	check_small_export(t);
	rebuy_orders_free(t);
}

static void test_ingest__reads_files_and_says_when_it_cannot(void **state)
{
	(void)state;
	const char *path = tu_temp_text(0, small_export);
	assert_non_null(path);
	struct rebuy_input_options o;
	rebuy_input_options_init(&o);
	o.path = path;
	o.n_threads = 1;
	struct rebuy_orders *t = NULL;
	struct rebuy_input_report rep;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_orders_load(&t, &o, &rep, &err), REBUY_OK);
	check_small_export(t);
	assert_int_equal(rep.n_columns, 3);
	assert_string_equal(rep.column_names[1], "date");
	assert_int_equal(rep.bytes, strlen(small_export));
	rebuy_input_report_release(&rep);
	rebuy_orders_free(t);

	o.path = "/nonexistent/rebuy/orders.csv";
	assert_int_equal(rebuy_orders_load(&t, &o, NULL, &err), REBUY_EIO);
	assert_string_equal(
	        err.msg, "/nonexistent/rebuy/orders.csv: cannot open: No such file or directory");
	o.path = "/tmp";
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_orders_load(&t, &o, NULL, &err), REBUY_EIO);
	assert_string_equal(err.msg, "/tmp: is a directory, not a file");

	/* bytes in memory need no name */
	opts_text(&o, small_export, strlen(small_export));
	o.path = NULL;
	assert_int_equal(rebuy_orders_load(&t, &o, NULL, &err), REBUY_OK);
	assert_string_equal(t->report.path, "(memory)");
	rebuy_orders_free(t);

	/* a failed load still reports what it saw */
	path = tu_temp_text(2, "a,b\n1,2\n");
	rebuy_input_options_init(&o);
	o.path = path;
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_orders_load(&t, &o, &rep, &err), REBUY_EDATA);
	assert_null(t);
	assert_int_equal(rep.n_columns, 2);
	assert_string_equal(rep.column_names[0], "a");
	assert_int_equal(rep.role_column[REBUY_ROLE_CUSTOMER], -1);
	rebuy_input_report_release(&rep);
}

/* ---- threads ------------------------------------------------------------------------------- */

/* A messy export of about 5 MiB: order keys (lines of one order spread
 * over the file), quoted notes with delimiters, quotes and line breaks,
 * returns, amounts to round, blank lines and bad rows. */
static char *messy_export(void)
{
	struct buf b = {0};
	rng_state = 12345;
	buf_add(&b, "order_id,customer,date,amount,note\r\n");
	while (b.n < ((size_t)5 << 20)) {
		unsigned kind = rnd(100);
		if (kind == 0) {
			buf_add(&b, "\r\n");
			continue;
		}
		unsigned cust = rnd(4000);
		buf_add(&b, "O%u,", cust * 8 + rnd(8));
		if (kind == 1)
			buf_add(&b, ",");
		else
			buf_add(&b, " %u.0 ,", cust);
		if (kind == 2)
			buf_add(&b, "2020-02-30,");
		else
			buf_add(&b, "20%02u-%02u-%02u %02u:%02u,", 19 + rnd(2), 1 + rnd(12),
			        1 + rnd(28), rnd(24), rnd(60));
		if (kind == 3)
			buf_add(&b, "n/a,");
		else if (kind == 4)
			buf_add(&b, "1.00005,");
		else
			buf_add(&b, "%s%u.%02u,", rnd(10) == 0 ? "-" : "", rnd(300), rnd(100));
		switch (rnd(4)) {
		case 0: buf_add(&b, "plain\r\n"); break;
		case 1: buf_add(&b, "\"a, b; \"\"c\"\"\"\r\n"); break;
		case 2: buf_add(&b, "\"two\r\nlines\"\r\n"); break;
		default: buf_add(&b, "\r\n"); break;
		}
	}
	return b.p;
}

struct snapshot {
	size_t n_customers, n_orders, n_returns;
	char **keys;
	int64_t *ts, *value, *ret_ts, *ret_value;
	uint32_t *n_lines;
	size_t *n_purch, *n_ret;
	struct rebuy_input_report rep;
};

/* The table in key order, independent of internal customer ids. */
static void snapshot_take(struct snapshot *s, const struct rebuy_orders *t)
{
	memset(s, 0, sizeof *s);
	s->n_customers = t->n_customers;
	s->n_orders = t->n_orders;
	s->n_returns = t->n_returns;
	uint32_t *ids = malloc((t->n_customers + 1) * sizeof *ids);
	assert_int_equal(rebuy_orders_customers_by_key(t, ids), REBUY_OK);
	s->keys = calloc(t->n_customers + 1, sizeof *s->keys);
	s->ts = malloc((t->n_orders + 1) * sizeof *s->ts);
	s->value = malloc((t->n_orders + 1) * sizeof *s->value);
	s->n_lines = malloc((t->n_orders + 1) * sizeof *s->n_lines);
	s->ret_ts = malloc((t->n_returns + 1) * sizeof *s->ret_ts);
	s->ret_value = malloc((t->n_returns + 1) * sizeof *s->ret_value);
	s->n_purch = malloc((t->n_customers + 1) * sizeof *s->n_purch);
	s->n_ret = malloc((t->n_customers + 1) * sizeof *s->n_ret);
	size_t o = 0, r = 0;
	for (size_t i = 0; i < t->n_customers; i++) {
		uint32_t c = ids[i];
		s->keys[i] = strdup(rebuy_orders_customer_key(t, c, NULL));
		s->n_purch[i] = (size_t)(t->cust_start[c + 1] - t->cust_start[c]);
		for (uint64_t k = t->cust_start[c]; k < t->cust_start[c + 1]; k++, o++) {
			s->ts[o] = t->ts[k];
			s->value[o] = t->value[k];
			s->n_lines[o] = t->n_lines[k];
		}
		s->n_ret[i] = (size_t)(t->ret_start[c + 1] - t->ret_start[c]);
		for (uint64_t k = t->ret_start[c]; k < t->ret_start[c + 1]; k++, r++) {
			assert_int_equal(t->ret_cust[k], c);
			s->ret_ts[r] = t->ret_ts[k];
			s->ret_value[r] = t->ret_value[k];
		}
	}
	assert_int_equal(o, t->n_orders);
	assert_int_equal(r, t->n_returns);
	s->rep = t->report;
	s->rep.column_names = NULL;
	s->rep.columns = NULL;
	free(ids);
}

static void snapshot_release(struct snapshot *s)
{
	for (size_t i = 0; i < s->n_customers; i++)
		free(s->keys[i]);
	free(s->keys);
	free(s->ts);
	free(s->value);
	free(s->n_lines);
	free(s->ret_ts);
	free(s->ret_value);
	free(s->n_purch);
	free(s->n_ret);
}

static void snapshot_compare(const struct snapshot *a, const struct snapshot *b)
{
	assert_int_equal(a->n_customers, b->n_customers);
	assert_int_equal(a->n_orders, b->n_orders);
	assert_int_equal(a->n_returns, b->n_returns);
	for (size_t i = 0; i < a->n_customers; i++) {
		assert_string_equal(a->keys[i], b->keys[i]);
		assert_int_equal(a->n_purch[i], b->n_purch[i]);
		assert_int_equal(a->n_ret[i], b->n_ret[i]);
	}
	assert_memory_equal(a->ts, b->ts, a->n_orders * sizeof *a->ts);
	assert_memory_equal(a->value, b->value, a->n_orders * sizeof *a->value);
	assert_memory_equal(a->n_lines, b->n_lines, a->n_orders * sizeof *a->n_lines);
	assert_memory_equal(a->ret_ts, b->ret_ts, a->n_returns * sizeof *a->ret_ts);
	assert_memory_equal(a->ret_value, b->ret_value, a->n_returns * sizeof *a->ret_value);
	const struct rebuy_input_report *x = &a->rep, *y = &b->rep;
	assert_int_equal(x->lines, y->lines);
	assert_int_equal(x->rows, y->rows);
	assert_int_equal(x->blank_lines, y->blank_lines);
	assert_int_equal(x->rows_used, y->rows_used);
	assert_int_equal(x->rounded_amounts, y->rounded_amounts);
	assert_int_equal(x->orders_outside_window, y->orders_outside_window);
	assert_int_equal(x->bytes, y->bytes);
	for (int k = 0; k < REBUY_REASON_COUNT; k++)
		assert_int_equal(x->rejected[k], y->rejected[k]);
	assert_int_equal(x->n_problems, y->n_problems);
	for (size_t i = 0; i < x->n_problems; i++) {
		assert_int_equal(x->problems[i].line, y->problems[i].line);
		assert_int_equal(x->problems[i].column, y->problems[i].column);
		assert_int_equal(x->problems[i].kind, y->problems[i].kind);
		assert_string_equal(x->problems[i].message, y->problems[i].message);
	}
	assert_int_equal(x->lines_merged, y->lines_merged);
}

static void test_ingest__thread_count_does_not_change_the_table(void **state)
{
	(void)state;
	char *text = messy_export();
	struct snapshot base;
	for (unsigned threads = 1; threads <= 4; threads *= 2) {
		struct rebuy_input_options o;
		rebuy_input_options_init(&o);
		o.n_threads = threads;
		struct rebuy_orders *t = load_ok(text, &o);
		struct snapshot s;
		snapshot_take(&s, t);
		if (threads == 1) {
			/* the input reaches what it was made for */
			const struct rebuy_input_report *r = &t->report;
			assert_true(r->rows > 50000);
			assert_true(r->blank_lines > 100);
			assert_true(r->lines > r->rows + r->blank_lines + 10000);
			assert_true(r->rejected[REBUY_REASON_MISSING_CUSTOMER] > 100);
			assert_true(r->rejected[REBUY_REASON_BAD_DATE] > 100);
			assert_true(r->rejected[REBUY_REASON_BAD_AMOUNT] > 100);
			assert_true(r->rounded_amounts > 100);
			assert_true(r->lines_merged > 1000);
			assert_true(t->n_returns > 100);
			assert_int_equal(r->n_problems, REBUY_MAX_PROBLEMS);
			for (size_t i = 1; i < r->n_problems; i++)
				assert_true(r->problems[i].line > r->problems[i - 1].line);
			assert_int_equal(r->rows_used + r->rejected[REBUY_REASON_MISSING_CUSTOMER] +
			                         r->rejected[REBUY_REASON_BAD_DATE] +
			                         r->rejected[REBUY_REASON_BAD_AMOUNT],
			                 r->rows);
			base = s;
		} else {
			snapshot_compare(&base, &s);
			snapshot_release(&s);
		}
		rebuy_orders_free(t);
	}
	/* every used line is one order or folded into one, counted once */
	assert_int_equal(base.n_orders + base.n_returns + base.rep.lines_merged,
	                 base.rep.rows_used);
	snapshot_release(&base);
	free(text);
}

/* ---- out of memory -------------------------------------------------------------------------- */

static const char fault_text[] = "invoice,customer,date,amount,currency,note\n"
                                 "INV-000000001,17850.0,01/02/2020 10:00,5.5,EUR,\"a,b\"\n"
                                 "INV-000000001,17850,01/02/2020 10:05,-1,EUR,x\n"
                                 "INV-000000002,13047,13/02/2020,(2.00),EUR,\"multi\nline\"\n"
                                 "INV-000000003,,01/03/2020,1,EUR,\n"
                                 "\n"
                                 "INV-000000004,12583,02/03/2020,1.000005,EUR,y\n"
                                 "INV-000000004,12583,02/03/2020,1.000005,EUR,y\n";

static void run_fault_loop(const void *data, size_t len, unsigned threads, int dedupe)
{
	struct rebuy_input_options o;
	opts_text(&o, data, len);
	o.n_threads = threads;
	o.dedupe = dedupe;
	long k;
	size_t failures = 0;
	for (k = 0; k < 100000; k++) {
		struct rebuy_orders *t = (struct rebuy_orders *)1;
		struct rebuy_input_report rep;
		/* zeroed: rebuy_orders_load returns before it fills the report
		 * when its very first allocation fails */
		memset(&rep, 0, sizeof rep);
		struct rebuy_error err;
		rebuy_error_clear(&err);
		tu_fail_after(k);
		enum rebuy_status st = rebuy_orders_load(&t, &o, &rep, &err);
		int triggered = tu_fail_triggered();
		tu_fail_after(-1);
		rebuy_input_report_release(&rep);
		if (st == REBUY_OK) {
			/* the same table as without faults (a failure may have been
			 * absorbed: the caller's copy of the report is optional) */
			assert_int_equal(t->n_customers, 3);
			PURCHASES(t, "17850", INT64_C(1580551200), 45000);
			assert_int_equal(t->n_returns, 1);
			rebuy_orders_free(t);
			if (!triggered)
				break;
			continue;
		}
		assert_null(t);
		assert_true(triggered);
		if (st != REBUY_ENOMEM || err.code != REBUY_ENOMEM || err.msg[0] == '\0')
			fail_msg("allocation %ld failed: status %d '%s'", k, (int)st, err.msg);
		failures++;
	}
	assert_true(failures > 20);
	assert_true(k < 100000);
}

static void test_ingest__every_failed_allocation_is_a_clean_enomem(void **state)
{
	(void)state;
	/* 01/02/2020 10:00 read day first (13/02 decides) is 1580551200 */
	run_fault_loop(fault_text, strlen(fault_text), 1, 0);
	run_fault_loop(fault_text, strlen(fault_text), 2, 0);
	run_fault_loop(fault_text, strlen(fault_text), 1, 1);
	size_t n;
	unsigned char *gz = gzip_bytes(fault_text, strlen(fault_text), &n);
	run_fault_loop(gz, n, 2, 1);
	free(gz);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ingest__reads_a_plain_csv),
	        cmocka_unit_test(test_ingest__bom_crlf_and_blank_lines),
	        cmocka_unit_test(test_ingest__detects_every_delimiter),
	        cmocka_unit_test(test_ingest__headerless_cdnow_layout_by_columns),
	        cmocka_unit_test(test_ingest__roles_by_flag_name_and_number),
	        cmocka_unit_test(test_ingest__header_given_with_columns),
	        cmocka_unit_test(test_ingest__two_candidates_for_a_role_is_an_error_naming_both),
	        cmocka_unit_test(test_ingest__missing_role_column_lists_the_columns),
	        cmocka_unit_test(test_ingest__first_row_of_data_is_not_taken_for_a_header),
	        cmocka_unit_test(test_ingest__decimal_comma_is_detected_with_semicolons),
	        cmocka_unit_test(test_ingest__amount_is_quantity_times_price),
	        cmocka_unit_test(test_ingest__returns_are_kept_apart_and_zero_orders_are_purchases),
	        cmocka_unit_test(test_ingest__order_key_groups_lines_anywhere_at_the_earliest_time),
	        cmocka_unit_test(test_ingest__lines_merged_counts_each_folded_line_once),
	        cmocka_unit_test(test_ingest__without_order_key_lines_group_by_customer_and_time),
	        cmocka_unit_test(
	                test_ingest__customer_keys_are_trimmed_and_spreadsheet_ids_read_as_integers),
	        cmocka_unit_test(test_ingest__dedupe_drops_exact_repeats_only),
	        cmocka_unit_test(test_ingest__problems_name_physical_lines_after_multiline_quotes),
	        cmocka_unit_test(test_ingest__strict_reports_line_after_multiline_quote),
	        cmocka_unit_test(test_ingest__strict_line_is_right_beyond_the_first_block),
	        cmocka_unit_test(test_ingest__currency_is_selected_or_must_be_single),
	        cmocka_unit_test(test_ingest__currency_error_names_the_first_two_in_file_order),
	        cmocka_unit_test(test_ingest__window_leaves_orders_out_and_counts_them),
	        cmocka_unit_test(test_ingest__slash_dates_are_decided_by_a_value_anywhere),
	        cmocka_unit_test(
	                test_ingest__slash_dates_mixing_is_an_error_even_when_the_first_rows_decide),
	        cmocka_unit_test(test_ingest__dates_that_read_both_ways_are_an_error),
	        cmocka_unit_test(test_ingest__date_format_option_reads_a_pattern),
	        cmocka_unit_test(test_ingest__inputs_that_are_not_csv_have_clear_errors),
	        cmocka_unit_test(test_ingest__unterminated_quote_names_its_line),
	        cmocka_unit_test(
	                test_ingest__unterminated_quote_far_into_a_large_input_names_its_line),
	        cmocka_unit_test(test_ingest__row_longer_than_a_block_still_parses),
	        cmocka_unit_test(test_ingest__reads_gzip_from_memory_and_files),
	        cmocka_unit_test(test_ingest__reads_files_and_says_when_it_cannot),
	        cmocka_unit_test(test_ingest__thread_count_does_not_change_the_table),
	        cmocka_unit_test(test_ingest__every_failed_allocation_is_a_clean_enomem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
