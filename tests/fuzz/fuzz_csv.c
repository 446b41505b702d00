/* Fuzz target for reading exports: the CSV tokenizer, row boundaries and
 * delimiter sniffing (src/ingest/csv.h) on the raw bytes, then the whole
 * loader (rebuy_orders_load) on the bytes after the first, with options
 * taken from the first byte:
 *   bits 0-1  delimiter: detect, ',', ';', whitespace
 *   bit 2     --strict          bit 3  --dedupe
 *   bits 4-5  --columns: none, customer,date,amount, the CDNOW layout
 *             customer,_,date,_,amount, or order,customer,date,quantity,
 *             price,product,currency
 *   bit 6     --decimal-comma   bit 7  --currency EUR and a window
 * Besides crashes and sanitizer reports it checks invariants: cutting the
 * text where rebuy__csv_last_row_end says gives the rows of the whole (what
 * the threaded reader relies on); a loaded table accounts for every row and
 * line, keeps purchases >= 0 and returns < 0 in time order per customer, and
 * every customer has one of them; a failure is a clean status and message;
 * --strict fails exactly with the first problem a lenient load reports, and
 * gives the same table when there is none.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/csv.h"
#include "rebuy/input.h"
#include "rebuy/orders.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_csv: %s:%d: check failed: %s\n", __FILE__, __LINE__, \
			        #cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* ---- the tokenizer ------------------------------------------------------ */

struct rows {
	unsigned char *p;
	size_t n, cap;
};

static void rows_put(struct rows *r, const void *s, size_t n)
{
	if (r->n + n > r->cap) {
		size_t cap = (r->n + n) * 2 + 64;
		unsigned char *p = realloc(r->p, cap);
		CHECK(p != NULL);
		r->p = p;
		r->cap = cap;
	}
	memcpy(r->p + r->n, s, n);
	r->n += n;
}

#define MAX_FIELDS 64

/* Tokenizes text[0..len) on a copy and appends every row to out: its field
 * count, line breaks and fields (quoted flag, length, bytes); an
 * unterminated quote appends a marker and ends it. */
static void tokenize(const struct rebuy__csv_dialect *d, const char *text, size_t len,
                     struct rows *out)
{
	char *buf = malloc(len ? len : 1);
	CHECK(buf != NULL);
	memcpy(buf, text, len);
	struct rebuy__csv_field f[MAX_FIELDS];
	size_t pos = 0;
	for (;;) {
		size_t before = pos, nf = 0;
		uint64_t nl = 0;
		enum rebuy__csv_row_status st =
		        rebuy__csv_row(d, buf, len, &pos, f, MAX_FIELDS, &nf, &nl);
		if (st == REBUY__CSV_END) {
			CHECK(pos >= len);
			break;
		}
		if (st == REBUY__CSV_UNTERMINATED) {
			CHECK(!d->whitespace);
			rows_put(out, "U", 1);
			break;
		}
		CHECK(st == REBUY__CSV_ROW);
		CHECK(pos > before && pos <= len);
		CHECK(nf >= 1);
		/* a row ends after its line break, or at the end (then 0 breaks) */
		CHECK(pos == len ? 1 : text[pos - 1] == '\n');
		CHECK(nl >= (pos < len ? 1u : 0u) && nl <= pos - before);
		rows_put(out, "R", 1);
		rows_put(out, &nf, sizeof nf);
		rows_put(out, &nl, sizeof nl);
		for (size_t i = 0; i < nf && i < MAX_FIELDS; i++) {
			/* fields lie inside this row's bytes */
			CHECK(f[i].p >= buf + before && f[i].p + f[i].n <= buf + pos);
			rows_put(out, &f[i].quoted, sizeof f[i].quoted);
			rows_put(out, &f[i].n, sizeof f[i].n);
			rows_put(out, f[i].p, f[i].n);
		}
	}
	free(buf);
}

static int same_rows(const struct rows *a, const struct rows *b)
{
	return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

/* The rows of text cut at the last row end of prefix p, tokenized apart. */
static void check_cut(const struct rebuy__csv_dialect *d, const char *text, size_t len, size_t p,
                      const struct rows *whole)
{
	size_t cut = rebuy__csv_last_row_end(d, text, p);
	CHECK(cut <= p);
	CHECK(cut == 0 || text[cut - 1] == '\n');
	struct rows parts = {0};
	tokenize(d, text, cut, &parts);
	tokenize(d, text + cut, len - cut, &parts);
	CHECK(same_rows(&parts, whole));
	free(parts.p);
}

/* The reader's way: blocks of `block` bytes, doubled while no row ends. */
static void check_blocks(const struct rebuy__csv_dialect *d, const char *text, size_t len,
                         size_t block, const struct rows *whole)
{
	struct rows parts = {0};
	size_t start = 0;
	while (start < len) {
		size_t want = block, cut;
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
		tokenize(d, text + start, cut - start, &parts);
		start = cut;
	}
	CHECK(same_rows(&parts, whole));
	free(parts.p);
}

static void fuzz_tokenizer(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char sniffed = rebuy__csv_sniff_delimiter(text, size);
	CHECK(sniffed == ',' || sniffed == ';' || sniffed == '\t' || sniffed == '|' ||
	      sniffed == REBUY_DELIM_WHITESPACE);
	static const char delims[] = {',', ';', '\t', '|'};
	unsigned sel = size ? data[0] : 0;
	struct rebuy__csv_dialect d;
	d.delim = delims[sel & 3];
	d.whitespace = (sel >> 2) % 5 == 0;
	if (size > 4096)
		size = 4096; /* the prefixes below are quadratic */
	struct rows whole = {0};
	tokenize(&d, text, size, &whole);
	/* every prefix for short inputs, 64 spread ones for longer */
	size_t step = size < 512 ? 1 : size / 64;
	for (size_t p = 0; p <= size; p += step)
		check_cut(&d, text, size, p, &whole);
	check_cut(&d, text, size, size, &whole);
	check_blocks(&d, text, size, 1 + (size > 1 ? data[1] % 64 : 0), &whole);
	free(whole.p);
}

/* ---- the loader -------------------------------------------------------------- */

static const char *const column_specs[4] = {
        NULL,
        "customer,date,amount",
        "customer,_,date,_,amount",
        "order,customer,date,quantity,price,product,currency",
};

static int64_t day_of(int64_t ts)
{
	return ts >= 0 ? ts / 86400 : -((-ts + 86399) / 86400);
}

static void check_table(const struct rebuy_orders *t, const struct rebuy_input_options *o)
{
	const struct rebuy_input_report *r = &t->report;
	uint64_t rejected = 0;
	for (int k = 0; k < REBUY_REASON_COUNT; k++)
		rejected += r->rejected[k];
	CHECK(r->rows_used + rejected == r->rows);
	CHECK(r->rows + r->blank_lines <= r->lines);
	CHECK(r->rounded_amounts <= r->rows_used);
	if (o->strict)
		CHECK(rejected == 0 && r->rounded_amounts == 0 && r->n_problems == 0);
	if (!o->dedupe)
		CHECK(r->rejected[REBUY_REASON_DUPLICATE_LINE] == 0);
	if (!o->currency)
		CHECK(r->rejected[REBUY_REASON_OTHER_CURRENCY] == 0);
	else if (r->role_column[REBUY_ROLE_CURRENCY] >= 0)
		CHECK(strcmp(r->currency, o->currency) == 0);
	if (!o->has_from && !o->has_to && !o->has_as_of)
		CHECK(r->orders_outside_window == 0);
	/* every used line is one order, or folded into one, or left out with
	 * its order by the window: each counted once */
	CHECK(t->n_orders + t->n_returns + r->orders_outside_window + r->lines_merged ==
	      r->rows_used);
	CHECK(r->n_problems <= REBUY_MAX_PROBLEMS);
	for (size_t i = 0; i < r->n_problems; i++) {
		CHECK(r->problems[i].line >= 1 && r->problems[i].line <= r->lines);
		CHECK(i == 0 || r->problems[i].line >= r->problems[i - 1].line);
		CHECK(r->problems[i].column <= r->n_columns);
		CHECK(memchr(r->problems[i].message, '\0', sizeof r->problems[i].message));
	}
	CHECK(r->role_column[REBUY_ROLE_CUSTOMER] >= 0 && r->role_column[REBUY_ROLE_DATE] >= 0);
	for (int k = 0; k < REBUY_ROLE_COUNT; k++)
		CHECK(r->role_column[k] < (int)r->n_columns);

	CHECK(t->cust_start[0] == 0 && t->cust_start[t->n_customers] == t->n_orders);
	CHECK(t->ret_start[0] == 0 && t->ret_start[t->n_customers] == t->n_returns);
	__int128 sum_by_customer = 0, sum = 0, lines = 0;
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	for (size_t c = 0; c < t->n_customers; c++) {
		uint64_t a = t->cust_start[c], z = t->cust_start[c + 1];
		uint64_t ra = t->ret_start[c], rz = t->ret_start[c + 1];
		CHECK(a <= z && ra <= rz);
		CHECK(z > a || rz > ra); /* a purchase or a return */
		for (uint64_t i = a; i < z; i++) {
			CHECK(t->value[i] >= 0);
			CHECK(t->n_lines[i] >= 1);
			CHECK(i == a || t->ts[i] >= t->ts[i - 1]);
			if (!t->has_amount)
				CHECK(t->value[i] == 0);
			sum_by_customer += t->value[i];
			lines += t->n_lines[i];
			lo = t->ts[i] < lo ? t->ts[i] : lo;
			hi = t->ts[i] > hi ? t->ts[i] : hi;
		}
		for (uint64_t i = ra; i < rz; i++) {
			CHECK(t->ret_value[i] < 0);
			CHECK(t->ret_cust[i] == c);
			CHECK(i == ra || t->ret_ts[i] >= t->ret_ts[i - 1]);
		}
		size_t len;
		const char *key = rebuy_orders_customer_key(t, c, &len);
		CHECK(len > 0 && key[len] == '\0');
		CHECK(key[0] != ' ' && key[0] != '\t' && key[len - 1] != ' ' &&
		      key[len - 1] != '\t');
	}
	for (size_t i = 0; i < t->n_orders; i++)
		sum += t->value[i];
	CHECK(sum == sum_by_customer);
	CHECK(lines <= r->rows_used);
	if (t->n_orders) {
		CHECK(t->first_day == day_of(lo) && t->last_day == day_of(hi));
		if (o->has_from)
			CHECK(t->first_day >= o->from_day);
		if (o->has_to)
			CHECK(t->last_day <= o->to_day);
		if (o->has_as_of)
			CHECK(t->last_day < o->as_of_day);
	}
	/* keys are distinct */
	uint32_t *ids = malloc((t->n_customers + 1) * sizeof *ids);
	CHECK(ids != NULL);
	CHECK(rebuy_orders_customers_by_key(t, ids) == REBUY_OK);
	for (size_t i = 1; i < t->n_customers; i++) {
		size_t la, lb;
		const char *a = rebuy_orders_customer_key(t, ids[i - 1], &la);
		const char *b = rebuy_orders_customer_key(t, ids[i], &lb);
		CHECK(la != lb || memcmp(a, b, la) != 0);
	}
	free(ids);
}

static void same_tables(const struct rebuy_orders *a, const struct rebuy_orders *b)
{
	CHECK(a->n_customers == b->n_customers && a->n_orders == b->n_orders &&
	      a->n_returns == b->n_returns);
	CHECK(memcmp(a->cust_start, b->cust_start, (a->n_customers + 1) * sizeof *a->cust_start) ==
	      0);
	CHECK(memcmp(a->ret_start, b->ret_start, (a->n_customers + 1) * sizeof *a->ret_start) == 0);
	for (size_t i = 0; i < a->n_orders; i++)
		CHECK(a->ts[i] == b->ts[i] && a->value[i] == b->value[i] &&
		      a->n_lines[i] == b->n_lines[i]);
	for (size_t i = 0; i < a->n_returns; i++)
		CHECK(a->ret_ts[i] == b->ret_ts[i] && a->ret_value[i] == b->ret_value[i]);
	for (size_t c = 0; c < a->n_customers; c++)
		CHECK(strcmp(rebuy_orders_customer_key(a, c, NULL),
		             rebuy_orders_customer_key(b, c, NULL)) == 0);
}

/* Under --strict (o), a lenient load of the same input tells what to
 * expect: its first problem as the error, or, with none, the same table. */
static void check_strict(const struct rebuy_input_options *o, enum rebuy_status st,
                         const struct rebuy_orders *t, const struct rebuy_error *err)
{
	struct rebuy_input_options lenient = *o;
	lenient.strict = 0;
	struct rebuy_orders *l = NULL;
	struct rebuy_error lerr;
	rebuy_error_clear(&lerr);
	enum rebuy_status lst = rebuy_orders_load(&l, &lenient, NULL, &lerr);
	if (lst != REBUY_OK) {
		CHECK(st != REBUY_OK);
		return;
	}
	const struct rebuy_input_report *r = &l->report;
	if (r->n_problems == 0) {
		CHECK(st == REBUY_OK);
		same_tables(t, l);
	} else {
		char want[REBUY_ERROR_MSG_MAX];
		snprintf(want, sizeof want, "%s:%llu:%u: %s", r->path,
		         (unsigned long long)r->problems[0].line, r->problems[0].column,
		         r->problems[0].message);
		CHECK(st == REBUY_EDATA && strcmp(err->msg, want) == 0);
	}
	rebuy_orders_free(l);
}

static void fuzz_load(const uint8_t *data, size_t size)
{
	if (size == 0)
		return;
	unsigned sel = data[0];
	struct rebuy_input_options o;
	rebuy_input_options_init(&o);
	o.path = "fuzz.csv";
	o.data = data + 1;
	o.data_len = size - 1;
	o.n_threads = 1;
	static const char delims[] = {0, ',', ';', REBUY_DELIM_WHITESPACE};
	o.delimiter = delims[sel & 3];
	o.strict = (sel >> 2) & 1;
	o.dedupe = (sel >> 3) & 1;
	o.columns = column_specs[(sel >> 4) & 3];
	o.decimal_comma = (sel >> 6) & 1 ? 1 : -1;
	if (sel & 0x80) {
		o.currency = "EUR";
		o.has_from = o.has_to = o.has_as_of = 1;
		o.from_day = 10957;  /* 2000-01-01 */
		o.to_day = 21914;    /* 2029-12-31 */
		o.as_of_day = 18628; /* 2021-01-01 */
	}
	/* Odd sizes also keep the second column as an attribute. */
	if (size & 1) {
		o.attributes[0] = "2";
		o.n_attributes = 1;
	}
	struct rebuy_orders *t = (struct rebuy_orders *)1;
	struct rebuy_input_report rep;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	enum rebuy_status st = rebuy_orders_load(&t, &o, &rep, &err);
	if (o.strict)
		check_strict(&o, st, st == REBUY_OK ? t : NULL, &err);
	if (st == REBUY_OK) {
		CHECK(t != NULL && err.code == REBUY_OK);
		CHECK(rep.rows == t->report.rows && rep.lines == t->report.lines);
		check_table(t, &o);
		CHECK(t->n_attributes == o.n_attributes);
		for (size_t k = 0; k < t->n_attributes; k++) {
			CHECK(rebuy_orders_attribute_name(t, k) != NULL);
			for (size_t i = 0; i < t->n_orders; i++)
				CHECK(t->attr[k][i] < t->n_attr_values[k]);
			for (uint32_t v = 0; v < t->n_attr_values[k]; v++)
				CHECK(rebuy_orders_attribute_value(t, k, v, NULL) != NULL);
		}
		rebuy_orders_free(t);
	} else {
		CHECK(t == NULL);
		CHECK(st == REBUY_EDATA || st == REBUY_EARG || st == REBUY_ELIMIT);
		CHECK(err.code == st && err.msg[0] != '\0' && strchr(err.msg, '\n') == NULL);
	}
	CHECK(rep.n_columns == 0 || rep.column_names != NULL);
	rebuy_input_report_release(&rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_tokenizer(data, size);
	fuzz_load(data, size);
	return 0;
}
