/* Unit tests for the CSV tokenizer, the row-boundary finder and delimiter
 * sniffing (src/ingest/csv.h). Expected rows are written out by hand from
 * RFC 4180 and the leniencies csv.h documents. A row is dumped as its fields,
 * "[plain]" or "{quoted}", then " N" (the line breaks it consumed) and "\n";
 * an unterminated quote ends the dump with "UNTERMINATED\n". The property
 * test checks what the multi-threaded block reader relies on: cutting the
 * text where rebuy__csv_last_row_end says, and tokenizing the pieces apart,
 * gives exactly the rows of the whole. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/csv.h"
#include "rebuy/input.h"

static const struct rebuy__csv_dialect comma = {',', 0};
static const struct rebuy__csv_dialect blanks = {',', 1};

struct out {
	char *p;
	size_t n, cap;
};

static void out_put(struct out *o, const char *s, size_t n)
{
	if (o->n + n + 1 > o->cap) {
		o->cap = (o->n + n + 1) * 2;
		o->p = realloc(o->p, o->cap);
		assert_non_null(o->p);
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
	o->p[o->n] = '\0';
}

/* Appends the dump of text[0..len) (tokenized on a copy) to o; returns the
 * number of rows. */
static size_t dump_into(struct out *o, const struct rebuy__csv_dialect *d, const char *text,
                        size_t len)
{
	char *buf = malloc(len + 1);
	assert_non_null(buf);
	memcpy(buf, text, len);
	struct rebuy__csv_field fields[64];
	size_t pos = 0, n_fields, rows = 0;
	uint64_t nl;
	for (;;) {
		size_t before = pos;
		enum rebuy__csv_row_status st =
		        rebuy__csv_row(d, buf, len, &pos, fields, 64, &n_fields, &nl);
		if (st == REBUY__CSV_END)
			break;
		if (st == REBUY__CSV_UNTERMINATED) {
			out_put(o, "UNTERMINATED\n", 13);
			break;
		}
		assert_true(pos > before); /* every row moves on */
		assert_true(n_fields >= 1 && n_fields <= 64);
		for (size_t i = 0; i < n_fields; i++) {
			out_put(o, fields[i].quoted ? "{" : "[", 1);
			out_put(o, fields[i].p, fields[i].n);
			out_put(o, fields[i].quoted ? "}" : "]", 1);
		}
		char tail[32];
		int k = snprintf(tail, sizeof tail, " %llu\n", (unsigned long long)nl);
		out_put(o, tail, (size_t)k);
		rows++;
	}
	free(buf);
	if (!o->p)
		out_put(o, "", 0);
	return rows;
}

static void expect_rows(const struct rebuy__csv_dialect *d, const char *text, const char *want)
{
	struct out o = {0};
	dump_into(&o, d, text, strlen(text));
	if (strcmp(o.p, want) != 0)
		fail_msg("tokenizing '%s':\n got: '%s'\nwant: '%s'", text, o.p, want);
	free(o.p);
}

/* ---- the tokenizer ------------------------------------------------------ */

static void test_csv__quoted_fields_hold_delimiters_and_doubled_quotes(void **state)
{
	(void)state;
	expect_rows(&comma, "a,\"b,c\",d\n", "[a]{b,c}[d] 1\n");
	/* "" inside quotes is one quote */
	expect_rows(&comma, "\"say \"\"hi\"\"\",x\n", "{say \"hi\"}[x] 1\n");
	/* a field that is only a doubled quote, and an empty quoted field */
	expect_rows(&comma, "\"\"\"\",\"\"\n", "{\"}{} 1\n");
	/* a quoted field can start any field, including the last */
	expect_rows(&comma, "1,\"2\"\n\"3\",4\n", "[1]{2} 1\n{3}[4] 1\n");
	/* other delimiters: the comma is then ordinary text */
	static const struct rebuy__csv_dialect semi = {';', 0}, tab = {'\t', 0}, pipe = {'|', 0};
	expect_rows(&semi, "a;\"b;c\";1,5\n", "[a]{b;c}[1,5] 1\n");
	expect_rows(&tab, "a b\t\"c\td\"\te,f\n", "[a b]{c\td}[e,f] 1\n");
	expect_rows(&pipe, "a|\"b|c\"|\n", "[a]{b|c}[] 1\n");
}

static void test_csv__quoted_line_breaks_are_counted(void **state)
{
	(void)state;
	/* the row consumes 2 line breaks: the one inside quotes and its own */
	expect_rows(&comma, "\"line1\nline2\",x\ny\n", "{line1\nline2}[x] 2\n[y] 1\n");
	/* CR LF inside quotes stays as written; the row's own CR LF is dropped */
	expect_rows(&comma, "\"a\r\nb\r\nc\",x\r\n", "{a\r\nb\r\nc}[x] 3\n");
	/* a quoted field of line breaks only */
	expect_rows(&comma, "\"\n\n\n\"\n", "{\n\n\n} 4\n");
}

static void test_csv__crlf_and_lf_both_end_rows(void **state)
{
	(void)state;
	expect_rows(&comma, "a,b\r\nc,d\r\n", "[a][b] 1\n[c][d] 1\n");
	expect_rows(&comma, "a,b\r\nc,d\ne,f\r\n", "[a][b] 1\n[c][d] 1\n[e][f] 1\n");
	/* after a quoted field too */
	expect_rows(&comma, "\"a\"\r\n\"b\"\r\n", "{a} 1\n{b} 1\n");
	/* a lone CR inside a row is text, before a delimiter too */
	expect_rows(&comma, "a\rb,c\n", "[a\rb][c] 1\n");
	expect_rows(&comma, "a\r,b\r\n", "[a\r][b] 1\n");
}

static void test_csv__last_row_without_line_break(void **state)
{
	(void)state;
	expect_rows(&comma, "a,b\nc,d", "[a][b] 1\n[c][d] 0\n");
	expect_rows(&comma, "a,\"b\"", "[a]{b} 0\n");
	/* a trailing CR at the very end is dropped too */
	expect_rows(&comma, "a,b\r", "[a][b] 0\n");
	expect_rows(&comma, "\"a\"\r", "{a} 0\n");
}

static void test_csv__empty_fields_and_trailing_delimiter(void **state)
{
	(void)state;
	expect_rows(&comma, ",,\n", "[][][] 1\n");
	expect_rows(&comma, "a,,b\n", "[a][][b] 1\n");
	expect_rows(&comma, "a,b,\n", "[a][b][] 1\n");
	expect_rows(&comma, "a,b,", "[a][b][] 0\n");
	expect_rows(&comma, "a,b,\r\n", "[a][b][] 1\n");
	expect_rows(&comma, "\"\",x\n", "{}[x] 1\n");
}

static void test_csv__lenient_quotes(void **state)
{
	(void)state;
	/* a quote inside an unquoted field is an ordinary character */
	expect_rows(&comma, "12\" pizza,5\n", "[12\" pizza][5] 1\n");
	expect_rows(&comma, "a\"b\"c,\"d\"\n", "[a\"b\"c]{d} 1\n");
	/* ... and does not open a quoted section: the comma still splits */
	expect_rows(&comma, "x\"y,z\"\n", "[x\"y][z\"] 1\n");
	/* text after a closing quote joins the field */
	expect_rows(&comma, "\"a\"b,c\n", "{ab}[c] 1\n");
	expect_rows(&comma, "\"a\" ,c\n", "{a }[c] 1\n");
	expect_rows(&comma, "\"a\"b\"c\",d\n", "{ab\"c\"}[d] 1\n");
	expect_rows(&comma, "\"a\"bc\r\n", "{abc} 1\n");
}

static void test_csv__blank_lines_are_rows_of_one_empty_field(void **state)
{
	(void)state;
	expect_rows(&comma, "a\n\nb\n", "[a] 1\n[] 1\n[b] 1\n");
	expect_rows(&comma, "\r\n\r\n", "[] 1\n[] 1\n");
	expect_rows(&comma, "\n", "[] 1\n");
	expect_rows(&comma, "", "");
}

static void test_csv__unterminated_quote_is_reported(void **state)
{
	(void)state;
	expect_rows(&comma, "a,\"bc\nd", "UNTERMINATED\n");
	/* the rows before it are read */
	expect_rows(&comma, "x\ny,\"z\n", "[x] 1\nUNTERMINATED\n");
	/* a doubled quote at the end is an escaped quote, not a closing one */
	expect_rows(&comma, "\"a\"\"", "UNTERMINATED\n");
	expect_rows(&comma, "\"", "UNTERMINATED\n");
}

static void test_csv__whitespace_mode_splits_on_runs_of_blanks(void **state)
{
	(void)state;
	/* the CDNOW layout: leading blanks, runs of spaces, CR LF */
	expect_rows(&blanks, " 00001 19970101  1   11.77\r\n 00002 19970112  1   12.00\r\n",
	            "[00001][19970101][1][11.77] 1\n[00002][19970112][1][12.00] 1\n");
	/* tabs count as blanks; a trailing blank run makes no empty field */
	expect_rows(&blanks, "a\t \tb  \n", "[a][b] 1\n");
	/* quotes and commas have no meaning */
	expect_rows(&blanks, "\"a b\" c,d\n", "[\"a][b\"][c,d] 1\n");
	/* blank lines (also of blanks only) are rows of one empty field */
	expect_rows(&blanks, "a\n\n   \nb", "[a] 1\n[] 1\n[] 1\n[b] 0\n");
	expect_rows(&blanks, "\r\n", "[] 1\n");
}

static void test_csv__rows_read_the_same_wherever_they_sit_in_the_buffer(void **state)
{
	(void)state;
	/* a row alone, and the same row with a long one after it (room for
	 * any scanning ahead): the same fields and line breaks */
	static const char *const rows[] = {
	        "a\r,b\n", "a,b\r\r\n",      "\r,\r\n",   "x\r\r,y\n",        ",,\n",
	        "a,b\r\n", "12\" pizza,5\n", "\"q\",r\n", "a,\"b\nc\",d\r\n", "\n",
	        "\r\n",    "a b,c\td|e;f\n",
	};
	static const char pad[] = "0123456789,0123456789,0123456789,0123456789\n";
	static const struct rebuy__csv_dialect semi = {';', 0};
	const struct rebuy__csv_dialect *dialects[] = {&comma, &semi, &blanks};
	for (size_t d = 0; d < 3; d++)
		for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
			struct out alone = {0}, padded = {0};
			char text[128];
			snprintf(text, sizeof text, "%s%s", rows[i], pad);
			dump_into(&alone, dialects[d], rows[i], strlen(rows[i]));
			dump_into(&padded, dialects[d], text, strlen(text));
			if (strncmp(alone.p, padded.p, alone.n) != 0)
				fail_msg("row '%s' alone: '%s', followed by more: '%s'", rows[i],
				         alone.p, padded.p);
			free(alone.p);
			free(padded.p);
		}
}

static void test_csv__field_count_beyond_max_fields_is_reported(void **state)
{
	(void)state;
	char text[] = "a,b,c,d,e\nf\n";
	struct rebuy__csv_field f[2];
	size_t pos = 0, n;
	uint64_t nl = 99;
	assert_int_equal(rebuy__csv_row(&comma, text, strlen(text), &pos, f, 2, &n, &nl),
	                 REBUY__CSV_ROW);
	assert_int_equal(n, 5);
	assert_int_equal(nl, 1);
	assert_int_equal(pos, 10);
	assert_int_equal(f[0].n, 1);
	assert_memory_equal(f[0].p, "a", 1);
	assert_memory_equal(f[1].p, "b", 1);
	assert_int_equal(rebuy__csv_row(&comma, text, strlen(text), &pos, f, 2, &n, &nl),
	                 REBUY__CSV_ROW);
	assert_int_equal(n, 1);
	assert_int_equal(pos, 12);
	assert_int_equal(rebuy__csv_row(&comma, text, strlen(text), &pos, f, 2, &n, &nl),
	                 REBUY__CSV_END);
}

static void test_csv__fields_point_into_the_buffer(void **state)
{
	(void)state;
	/* zero-copy: an unquoted field is a slice of the buffer; a quoted one
	 * is unescaped in place, starting just after its opening quote */
	char text[] = "ab,\"c\"\"d\"\n";
	struct rebuy__csv_field f[4];
	size_t pos = 0, n;
	uint64_t nl;
	assert_int_equal(rebuy__csv_row(&comma, text, strlen(text), &pos, f, 4, &n, &nl),
	                 REBUY__CSV_ROW);
	assert_int_equal(n, 2);
	assert_ptr_equal(f[0].p, text);
	assert_ptr_equal(f[1].p, text + 4);
	assert_int_equal(f[1].n, 3);
	assert_memory_equal(f[1].p, "c\"d", 3);
	assert_int_equal(f[1].quoted, 1);
	assert_int_equal(f[0].quoted, 0);
}

/* ---- row boundaries --------------------------------------------------------- */

static size_t last_end(const struct rebuy__csv_dialect *d, const char *s)
{
	return rebuy__csv_last_row_end(d, s, strlen(s));
}

static void test_csv__last_row_end_finds_the_last_complete_row(void **state)
{
	(void)state;
	assert_int_equal(last_end(&comma, ""), 0);
	assert_int_equal(last_end(&comma, "a,b"), 0);
	assert_int_equal(last_end(&comma, "a,b\n"), 4);
	assert_int_equal(last_end(&comma, "a,b\nc,d"), 4);
	assert_int_equal(last_end(&comma, "a,b\r\nc,d\r\n"), 10);
	assert_int_equal(last_end(&comma, "\n\n"), 2);
}

static void test_csv__last_row_end_skips_line_breaks_inside_quotes(void **state)
{
	(void)state;
	/* a,"b\nc"\n: the break at 4 is inside quotes; the row ends at 8 */
	assert_int_equal(last_end(&comma, "a,\"b\nc\"\n"), 8);
	assert_int_equal(last_end(&comma, "x\na,\"b\nc\"\nd"), 10);
	/* an unclosed quote: only the rows before it are complete */
	assert_int_equal(last_end(&comma, "x\na,\"b\nc\n"), 2);
	assert_int_equal(last_end(&comma, "a,\"b\nc\n"), 0);
	/* doubled quotes do not close the field */
	assert_int_equal(last_end(&comma, "\"a\"\"\nb\"\n"), 8);
	/* a quote at the very end: "" or a closing quote? not known yet */
	assert_int_equal(last_end(&comma, "x\n\"a\nb\""), 2);
	/* a quote inside an unquoted field opens nothing */
	assert_int_equal(last_end(&comma, "12\" pizza\n5\n"), 12);
	/* another delimiter: a quote after ';' opens a field, after ',' not */
	static const struct rebuy__csv_dialect semi = {';', 0};
	assert_int_equal(last_end(&semi, "a;\"b\nc\"\n"), 8);
	assert_int_equal(last_end(&semi, "a,\"b\nc"), 5);
	assert_int_equal(last_end(&comma, "a,\"b\nc"), 0);
	/* whitespace mode: quotes mean nothing */
	assert_int_equal(last_end(&blanks, "a \"b\nc\"\n"), 8);
	assert_int_equal(last_end(&blanks, "a \"b\nc"), 5);
}

/* ---- the split property -------------------------------------------------------- */

struct rng {
	uint64_t s;
};

static uint32_t rnd(struct rng *r, uint32_t n)
{
	/* splitmix64 */
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	z ^= z >> 31;
	return (uint32_t)(z % n);
}

static void put_char(struct out *o, char c)
{
	out_put(o, &c, 1);
}

/* One random CSV text: rows of 1-5 fields, random quoting with embedded
 * delimiters, quotes, LF and CR LF; lenient forms; blank lines; LF or CR LF
 * row ends; sometimes no final line break; sometimes an unclosed quote. */
static void gen_csv(struct rng *r, char delim, struct out *o)
{
	static const char plain[] = "ab1 .-x\r"; /* a lone CR too: sloppy exports */
	size_t rows = 1 + rnd(r, 10);
	for (size_t i = 0; i < rows; i++) {
		if (rnd(r, 8) == 0) {
			out_put(o, rnd(r, 2) ? "\r\n" : "\n", rnd(r, 2) ? 2 : 1);
			continue;
		}
		size_t nf = 1 + rnd(r, 5);
		for (size_t f = 0; f < nf; f++) {
			if (f)
				put_char(o, delim);
			unsigned kind = rnd(r, 6);
			if (kind == 0)
				continue; /* empty */
			if (kind <= 2) {
				size_t n = 1 + rnd(r, 6);
				for (size_t k = 0; k < n; k++) {
					char c = plain[rnd(r, sizeof plain - 1)];
					if (k > 0 && rnd(r, 10) == 0)
						c = '"'; /* lenient: a quote inside */
					put_char(o, c);
				}
				continue;
			}
			put_char(o, '"');
			size_t n = rnd(r, 8);
			for (size_t k = 0; k < n; k++) {
				switch (rnd(r, 8)) {
				case 0: put_char(o, delim); break;
				case 1: out_put(o, "\"\"", 2); break;
				case 2: put_char(o, '\n'); break;
				case 3: out_put(o, "\r\n", 2); break;
				case 4: put_char(o, ','); break;
				default: put_char(o, plain[rnd(r, sizeof plain - 1)]); break;
				}
			}
			put_char(o, '"');
			if (rnd(r, 10) == 0)
				out_put(o, "z\"", 2); /* lenient: text after the closing quote */
		}
		if (i + 1 < rows || rnd(r, 3)) {
			if (rnd(r, 3) == 0)
				out_put(o, "\r\n", 2);
			else
				put_char(o, '\n');
		}
	}
	if (rnd(r, 25) == 0) {
		put_char(o, delim);
		put_char(o, '"');
		put_char(o, 'u');
	}
}

static void gen_blank_separated(struct rng *r, struct out *o)
{
	static const char chars[] = "ab1\"., \t  ";
	size_t rows = 1 + rnd(r, 8);
	for (size_t i = 0; i < rows; i++) {
		size_t n = rnd(r, 20);
		for (size_t k = 0; k < n; k++)
			put_char(o, chars[rnd(r, sizeof chars - 1)]);
		if (i + 1 < rows || rnd(r, 2)) {
			if (rnd(r, 2))
				put_char(o, '\r');
			put_char(o, '\n');
		}
	}
}

/* The dump of text cut into pieces at rebuy__csv_last_row_end, as the block
 * reader cuts: blocks of `block` bytes, grown while no row is complete,
 * everything left at the end. */
static void dump_in_blocks(const struct rebuy__csv_dialect *d, const char *text, size_t len,
                           size_t block, struct out *o)
{
	size_t start = 0;
	while (start < len) {
		size_t want = block;
		size_t cut;
		for (;;) {
			size_t avail = len - start < want ? len - start : want;
			if (start + avail == len) {
				cut = len;
				break;
			}
			cut = start + rebuy__csv_last_row_end(d, text + start, avail);
			if (cut > start)
				break;
			want *= 2;
		}
		assert_true(cut == len || text[cut - 1] == '\n');
		dump_into(o, d, text + start, cut - start);
		start = cut;
	}
	if (!o->p)
		out_put(o, "", 0);
}

static void check_split_property(const struct rebuy__csv_dialect *d, const char *text, size_t len,
                                 struct rng *r)
{
	struct out whole = {0};
	dump_into(&whole, d, text, len);
	/* one cut at the last row end of every prefix */
	for (size_t p = 0; p <= len; p++) {
		size_t cut = rebuy__csv_last_row_end(d, text, p);
		assert_true(cut <= p);
		if (cut > 0 && text[cut - 1] != '\n')
			fail_msg("cut %zu of prefix %zu is not after a line break", cut, p);
		struct out parts = {0};
		dump_into(&parts, d, text, cut);
		dump_into(&parts, d, text + cut, len - cut);
		if (strcmp(parts.p, whole.p) != 0)
			fail_msg("text '%.*s' cut at %zu (prefix %zu):\n got: '%s'\nwant: '%s'",
			         (int)len, text, cut, p, parts.p, whole.p);
		free(parts.p);
	}
	/* blocks, as the reader cuts them */
	struct out blocks = {0};
	dump_in_blocks(d, text, len, 1 + rnd(r, 24), &blocks);
	if (strcmp(blocks.p, whole.p) != 0)
		fail_msg("text '%.*s' in blocks:\n got: '%s'\nwant: '%s'", (int)len, text, blocks.p,
		         whole.p);
	free(blocks.p);
	free(whole.p);
}

static void test_csv__cutting_at_last_row_end_gives_the_same_rows(void **state)
{
	(void)state;
	static const char delims[] = {',', ';', '\t', '|'};
	struct rng r = {20240611};
	size_t n_quoted = 0, n_multiline = 0, n_unterminated = 0;
	for (int i = 0; i < 1500; i++) {
		struct rebuy__csv_dialect d = {delims[i % 4], 0};
		struct out o = {0};
		gen_csv(&r, d.delim, &o);
		if (!o.p)
			out_put(&o, "", 0);
		check_split_property(&d, o.p, o.n, &r);
		/* the generator must reach the cases that matter */
		n_quoted += memchr(o.p, '"', o.n) != NULL;
		struct out w = {0};
		dump_into(&w, &d, o.p, o.n);
		n_unterminated += strstr(w.p, "UNTERMINATED") != NULL;
		n_multiline += strstr(w.p, " 2\n") != NULL || strstr(w.p, " 3\n") != NULL;
		free(w.p);
		free(o.p);
	}
	assert_true(n_quoted > 1000);
	assert_true(n_multiline > 300);
	assert_true(n_unterminated > 20);
	for (int i = 0; i < 300; i++) {
		struct out o = {0};
		gen_blank_separated(&r, &o);
		if (!o.p)
			out_put(&o, "", 0);
		check_split_property(&blanks, o.p, o.n, &r);
		free(o.p);
	}
}

/* ---- delimiter sniffing ------------------------------------------------------------ */

static char sniff(const char *s)
{
	return rebuy__csv_sniff_delimiter(s, strlen(s));
}

static void test_csv__sniffs_each_delimiter(void **state)
{
	(void)state;
	assert_int_equal(sniff("customer,date,amount\n1,2020-01-01,5\n2,2020-01-02,6\n"), ',');
	assert_int_equal(sniff("customer;date;amount\n1;2020-01-01;5\n2;2020-01-02;6\n"), ';');
	assert_int_equal(sniff("customer\tdate\tamount\n1\t2020-01-01\t5\n"), '\t');
	assert_int_equal(sniff("customer|date|amount\n1|2020-01-01|5\n"), '|');
	/* blank lines, LF or CR LF, are not lines of one field */
	assert_int_equal(sniff("a;b;c\n\n1;2;3\n\n4;5;6\n"), ';');
	assert_int_equal(sniff("a;b;c\r\n\r\n1;2;3\r\n\r\n4;5;6\r\n"), ';');
	assert_int_equal(sniff("a|b\r\n\r\n\r\n1|2\r\n"), '|');
	/* a sample cut inside its last line: only whole lines count */
	assert_int_equal(sniff("a;b;c\n1;2;3\n4;5,6,7,8,9,10,11"), ';');
}

static void test_csv__sniffs_whitespace_layout(void **state)
{
	(void)state;
	/* the first lines of CDNOW_master.txt */
	assert_int_equal(sniff(" customer_id  date number_of_cds  dollar_value\r\n"
	                       " 00001 19970101  1   11.77\r\n"
	                       " 00002 19970112  1   12.00\r\n"
	                       " 00002 19970112  5   77.00\r\n"),
	                 REBUY_DELIM_WHITESPACE);
	/* tab-and-space runs too */
	assert_int_equal(sniff("1 \t2020-01-01\t\t5\n2 2020-01-02 \t 6\n"), REBUY_DELIM_WHITESPACE);
	const char *path = tu_shared_path("data/cdnow/CDNOW_master.txt");
	if (!path)
		return;
	size_t n;
	char *text = tu_read_file(path, &n);
	assert_non_null(text);
	assert_int_equal(rebuy__csv_sniff_delimiter(text, n < 65536 ? n : 65536),
	                 REBUY_DELIM_WHITESPACE);
	free(text);
}

static void test_csv__semicolon_with_decimal_commas_picks_semicolon(void **state)
{
	(void)state;
	assert_int_equal(sniff("1;2020-01-01;12,50\n"), ';');
	assert_int_equal(sniff("kunde;datum;betrag\n1;2020-01-01;12,50\n2;2020-01-02;3,99\n"), ';');
	/* some amounts without a comma: ',' splits unevenly */
	assert_int_equal(sniff("1;2020-01-01;12\n2;2020-01-02;12,50\n3;2020-01-03;7\n"), ';');
}

static void test_csv__sniffing_respects_quotes(void **state)
{
	(void)state;
	/* the commas are inside quotes: ';' splits every line in 3 */
	assert_int_equal(sniff("\"a,b\";\"c,d\";e\n\"f,g\";\"h,i\";j\n"), ';');
	/* quoted semicolons inside a comma file */
	assert_int_equal(
	        sniff("name,date,amount\n\"x;y;z\",2020-01-01,5\n\"p;q;r\",2020-01-02,6\n"), ',');
	/* a quoted field over two lines does not break the count */
	assert_int_equal(sniff("a,b,c\n1,\"x\ny\",3\n4,5,6\n"), ',');
}

static void test_csv__sniffing_falls_back_to_comma(void **state)
{
	(void)state;
	/* one column, no blanks: nothing splits */
	assert_int_equal(sniff("customer\n1\n2\n"), ',');
	assert_int_equal(sniff(""), ',');
	assert_int_equal(sniff("\n\n"), ',');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_csv__quoted_fields_hold_delimiters_and_doubled_quotes),
	        cmocka_unit_test(test_csv__quoted_line_breaks_are_counted),
	        cmocka_unit_test(test_csv__crlf_and_lf_both_end_rows),
	        cmocka_unit_test(test_csv__last_row_without_line_break),
	        cmocka_unit_test(test_csv__empty_fields_and_trailing_delimiter),
	        cmocka_unit_test(test_csv__lenient_quotes),
	        cmocka_unit_test(test_csv__blank_lines_are_rows_of_one_empty_field),
	        cmocka_unit_test(test_csv__unterminated_quote_is_reported),
	        cmocka_unit_test(test_csv__whitespace_mode_splits_on_runs_of_blanks),
	        cmocka_unit_test(test_csv__rows_read_the_same_wherever_they_sit_in_the_buffer),
	        cmocka_unit_test(test_csv__field_count_beyond_max_fields_is_reported),
	        cmocka_unit_test(test_csv__fields_point_into_the_buffer),
	        cmocka_unit_test(test_csv__last_row_end_finds_the_last_complete_row),
	        cmocka_unit_test(test_csv__last_row_end_skips_line_breaks_inside_quotes),
	        cmocka_unit_test(test_csv__cutting_at_last_row_end_gives_the_same_rows),
	        cmocka_unit_test(test_csv__sniffs_each_delimiter),
	        cmocka_unit_test(test_csv__sniffs_whitespace_layout),
	        cmocka_unit_test(test_csv__semicolon_with_decimal_commas_picks_semicolon),
	        cmocka_unit_test(test_csv__sniffing_respects_quotes),
	        cmocka_unit_test(test_csv__sniffing_falls_back_to_comma),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
