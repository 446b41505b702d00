/* Fuzz target for side tables and surveys: rebuy_table_read on the bytes
 * after the first two, then the column finder and rebuy_survey_compute on
 * the table (alone, and joined to a small fixed orders table). Options
 * come from the first two bytes:
 *   byte 0  bits 0-2  delimiter: detect, ',', ';', tab, '|', whitespace,
 *                     detect, detect
 *           bit 3     no header        bit 4  --strict
 *           bit 5     every response   bits 6-7  scale: auto, nps, csat, auto
 *   byte 1  bit 0     a size cap of 64 + (byte 1 >> 1) bytes
 *           bit 1     the join          bits 2-4  lapse days 1 << k
 *           bit 5     columns by number (1, 2, 3, 4)
 * Besides crashes and sanitizer reports it checks invariants: a read table
 * holds exactly the rows and cells the tokenizer (csv.h) gives on a copy,
 * lines increase; an unclosed-quote error happens exactly when the
 * tokenizer meets an unterminated quote; a failure is a clean status and
 * a one-line message; survey counts add up (rows = used + rejected, groups
 * and scores sum to the respondents, observed = repurchased + lapsed, ...);
 * --strict fails exactly with the first problem a lenient run reports.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/csv.h"
#include "rebuy/input.h"
#include "rebuy/orders.h"
#include "rebuy/survey.h"
#include "rebuy/table.h"

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "fuzz_table: %s:%d: check failed: %s\n", __FILE__, \
			        __LINE__, #cond);                                          \
			abort();                                                           \
		}                                                                          \
	} while (0)

static void check_error(enum rebuy_status st, const struct rebuy_error *err)
{
	CHECK(err->code == st && err->msg[0] != '\0' && strchr(err->msg, '\n') == NULL);
}

/* The rows of text as the tokenizer gives them on a copy: compared with
 * the table cell by cell. Returns 1 when it met an unterminated quote. */
static int same_as_tokenizer(const struct rebuy_table *t, const uint8_t *data, size_t size,
                             char delim, int header)
{
	size_t start = size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	char *buf = malloc(size - start + 1);
	CHECK(buf != NULL);
	memcpy(buf, data + start, size - start);
	struct rebuy__csv_dialect d = {.delim = delim == REBUY_DELIM_WHITESPACE ? ',' : delim,
	                               .whitespace = delim == REBUY_DELIM_WHITESPACE};
	static struct rebuy__csv_field f[REBUY_TABLE_MAX_COLUMNS];
	size_t pos = 0, row = 0, len = size - start;
	int seen_first = 0, unterminated = 0;
	for (;;) {
		size_t nf;
		uint64_t nl;
		enum rebuy__csv_row_status rs =
		        rebuy__csv_row(&d, buf, len, &pos, f, REBUY_TABLE_MAX_COLUMNS, &nf, &nl);
		if (rs == REBUY__CSV_END)
			break;
		if (rs == REBUY__CSV_UNTERMINATED) {
			unterminated = 1;
			break;
		}
		if (nf == 1 && f[0].n == 0 && !f[0].quoted)
			continue;
		if (!seen_first) {
			seen_first = 1;
			if (t)
				CHECK(t->n_columns == nf);
			if (header)
				continue;
		}
		if (t) {
			CHECK(row < t->n_rows);
			CHECK(rebuy_table_row_fields(t, row) == nf);
			for (size_t c = 0; c < t->n_columns; c++) {
				const char *cell = rebuy_table_cell(t, row, c);
				size_t n = c < nf ? f[c].n : 0;
				CHECK(strlen(cell) == n);
				CHECK(n == 0 || memcmp(cell, f[c].p, n) == 0);
			}
		}
		row++;
	}
	if (t && !unterminated)
		CHECK(row == t->n_rows);
	free(buf);
	return unterminated;
}

static struct rebuy_orders *fixed_orders(void)
{
	static struct rebuy_orders *o;
	if (!o) {
		static const char text[] =
		        "customer,date,amount\n"
		        "a,2024-01-02,10\nb,2024-01-05,5\n1,2023-12-31,1\n"
		        "a,2024-02-01,7.5\n2,2024-03-01,0\nc,2024-01-02 10:00,3\n";
		struct rebuy_input_options io;
		rebuy_input_options_init(&io);
		io.n_threads = 1;
		io.path = "orders.csv";
		io.data = text;
		io.data_len = sizeof text - 1;
		struct rebuy_error err = {0};
		CHECK(rebuy_orders_load(&o, &io, NULL, &err) == REBUY_OK);
	}
	return o;
}

static void check_survey(const struct rebuy_survey *s, const struct rebuy_survey_options *o)
{
	uint64_t rejected = 0;
	for (int r = 0; r < REBUY_SURVEY_REJECT_COUNT; r++)
		rejected += s->rejected[r];
	CHECK(s->rows_used + rejected == s->rows);
	CHECK(s->rows_used > 0);
	if (o->strict)
		CHECK(rejected == 0 && s->n_problems == 0);
	CHECK(s->n_problems == (rejected < REBUY_MAX_PROBLEMS ? rejected : REBUY_MAX_PROBLEMS));
	for (size_t i = 1; i < s->n_problems; i++)
		CHECK(s->problems[i].line > s->problems[i - 1].line);
	if (o->each_response)
		CHECK(s->respondents == s->rows_used && s->superseded == 0);
	else
		CHECK(s->respondents + s->superseded == s->rows_used &&
		      s->respondents == s->customers);
	CHECK(s->customers <= s->respondents);
	CHECK(s->scale == REBUY_SCALE_NPS || s->scale == REBUY_SCALE_CSAT);
	if (o->scale != REBUY_SCALE_AUTO)
		CHECK(s->scale == o->scale && !s->scale_detected);
	uint64_t sum = 0;
	for (int v = 0; v <= 10; v++) {
		if (v < s->min_score || v > s->max_score)
			CHECK(s->score_count[v] == 0);
		sum += s->score_count[v];
	}
	CHECK(sum == s->respondents);
	CHECK(s->groups[0].respondents + s->groups[1].respondents + s->groups[2].respondents ==
	      s->respondents);
	CHECK(s->groups[3].respondents == s->respondents);
	CHECK(s->mean_score >= s->min_score && s->mean_score <= s->max_score);
	if (s->scale == REBUY_SCALE_NPS)
		CHECK(s->nps >= -1 && s->nps <= 1 && isnan(s->csat));
	else
		CHECK(s->csat >= 0 && s->csat <= 1 && isnan(s->nps));
	CHECK(s->first_day <= s->last_day);
	for (int g = 0; g < 4; g++) {
		const struct rebuy_survey_group *gr = &s->groups[g];
		CHECK(gr->not_in_orders + gr->too_recent + gr->observed ==
		      (s->has_orders ? gr->respondents : 0));
		CHECK(gr->repurchased + gr->lapsed == gr->observed);
		CHECK(gr->orders >= gr->repurchased && gr->revenue >= 0);
	}
	if (!s->has_reason) {
		CHECK(s->n_reasons == 0 && s->with_reason == 0);
		return;
	}
	CHECK(s->with_reason + s->without_reason == s->respondents);
	uint64_t with = 0, lapsed = 0;
	for (size_t i = 0; i < s->n_reasons; i++) {
		const struct rebuy_survey_reason *r = &s->reasons[i];
		size_t n = strlen(r->text);
		CHECK(n > 0 && r->text[0] != ' ' && r->text[n - 1] != ' ');
		for (size_t k = 0; k < n; k++)
			CHECK((unsigned char)r->text[k] >= 0x20 && r->text[k] != 0x7f);
		CHECK(r->by_group[0] + r->by_group[1] + r->by_group[2] == r->respondents);
		CHECK(r->lapsed <= r->observed && r->observed <= r->respondents);
		CHECK(i == 0 || r->respondents < r[-1].respondents ||
		      (r->respondents == r[-1].respondents && strcmp(r[-1].text, r->text) < 0));
		with += r->respondents;
		lapsed += r->lapsed;
	}
	CHECK(with == s->with_reason);
	CHECK(lapsed == s->lapsed_with_reason && lapsed <= s->groups[3].lapsed);
	for (size_t i = 1; i < s->n_lapsed_reasons; i++)
		CHECK(s->reasons[s->lapsed_order[i]].lapsed <=
		      s->reasons[s->lapsed_order[i - 1]].lapsed);
}

static void fuzz_survey(const struct rebuy_table *t, unsigned sel, unsigned sel2)
{
	struct rebuy_survey_options o;
	rebuy_survey_options_init(&o);
	o.strict = (sel >> 4) & 1;
	o.each_response = (sel >> 5) & 1;
	static const enum rebuy_survey_scale scales[4] = {REBUY_SCALE_AUTO, REBUY_SCALE_NPS,
	                                                  REBUY_SCALE_CSAT, REBUY_SCALE_AUTO};
	o.scale = scales[(sel >> 6) & 3];
	o.lapse_days = (int64_t)1 << ((sel2 >> 2) & 7);
	if (sel2 & 0x20) {
		static const char *const nums[4] = {"1", "2", "3", "4"};
		for (int r = 0; r < REBUY_SURVEY_ROLE_COUNT; r++)
			o.column[r] = nums[r];
	}
	const struct rebuy_orders *orders = (sel2 & 2) ? fixed_orders() : NULL;
	struct rebuy_survey *s = (struct rebuy_survey *)1;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	enum rebuy_status st = rebuy_survey_compute(t, orders, &o, &s, &err);
	if (st != REBUY_OK) {
		CHECK(s == NULL);
		CHECK(st == REBUY_EDATA || st == REBUY_EARG);
		check_error(st, &err);
	} else {
		CHECK(s != NULL && s->has_orders == (orders != NULL));
		check_survey(s, &o);
	}
	if (o.strict) {
		/* A lenient run tells what to expect. */
		struct rebuy_survey_options lo = o;
		lo.strict = 0;
		struct rebuy_survey *l = NULL;
		struct rebuy_error lerr;
		rebuy_error_clear(&lerr);
		if (rebuy_survey_compute(t, orders, &lo, &l, &lerr) == REBUY_OK) {
			if (l->n_problems == 0) {
				CHECK(st == REBUY_OK && s->respondents == l->respondents);
			} else {
				char want[REBUY_ERROR_MSG_MAX];
				snprintf(want, sizeof want, "%s:%llu:%u: %s", l->path,
				         (unsigned long long)l->problems[0].line,
				         l->problems[0].column, l->problems[0].message);
				CHECK(st == REBUY_EDATA && strcmp(err.msg, want) == 0);
			}
			rebuy_survey_free(l);
		}
	}
	if (st == REBUY_OK)
		rebuy_survey_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	unsigned sel = data[0], sel2 = data[1];
	data += 2;
	size -= 2;
	static const char delims[8] = {0, ',', ';', '\t', '|', REBUY_DELIM_WHITESPACE, 0, 0};
	struct rebuy_table_options o;
	rebuy_table_options_init(&o);
	o.path = "fuzz.csv";
	o.data = data;
	o.data_len = size;
	o.delimiter = delims[sel & 7];
	o.header = !((sel >> 3) & 1);
	if (sel2 & 1)
		o.max_bytes = 64 + (sel2 >> 1);
	struct rebuy_table *t = (struct rebuy_table *)1;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	enum rebuy_status st = rebuy_table_read(&t, &o, &err);
	int gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
	if (st != REBUY_OK) {
		CHECK(t == NULL);
		CHECK(st == REBUY_EDATA || st == REBUY_ELIMIT);
		check_error(st, &err);
		/* Only the unterminated quote the tokenizer meets is called so
		 * (plain text that passed the other checks). */
		if (!gz && strstr(err.msg, "never closed")) {
			char delim = o.delimiter ? o.delimiter : ',';
			if (!o.delimiter) {
				size_t start =
				        size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
				size_t n = size - start < 65536 ? size - start : 65536;
				delim = rebuy__csv_sniff_delimiter((const char *)data + start, n);
			}
			CHECK(same_as_tokenizer(NULL, data, size, delim, o.header));
		}
		return 0;
	}
	CHECK(t->n_columns >= 1 && t->n_columns <= REBUY_TABLE_MAX_COLUMNS);
	CHECK(t->has_header == o.header);
	if (!gz)
		CHECK(t->bytes == size);
	if (o.max_bytes)
		CHECK(t->bytes <= o.max_bytes);
	for (size_t c = 0; c < t->n_columns; c++)
		CHECK(rebuy_table_column_name(t, c)[0] != '\0');
	for (size_t r = 0; r < t->n_rows; r++) {
		CHECK(rebuy_table_row_line(t, r) >= 1 && rebuy_table_row_line(t, r) <= t->lines);
		CHECK(r == 0 || rebuy_table_row_line(t, r) > rebuy_table_row_line(t, r - 1));
		CHECK(rebuy_table_row_fields(t, r) >= 1);
	}
	CHECK(t->n_rows + t->blank_lines + (t->has_header ? 1 : 0) <= t->lines);
	if (!gz)
		CHECK(!same_as_tokenizer(t, data, size, t->delimiter, o.header));
	/* The finder never fails on a ref it can resolve, and always names. */
	static const char *const names[] = {"customer", "date", "score", NULL};
	struct rebuy_table_role role = {"customer", "survey-customer", NULL, names, 1};
	int col;
	rebuy_error_clear(&err);
	st = rebuy_table_find_column(t, &role, &col, &err);
	if (st)
		check_error(st, &err);
	else
		CHECK(col >= 0 && (size_t)col < t->n_columns);
	fuzz_survey(t, sel, sel2);
	rebuy_table_free(t);
	return 0;
}
