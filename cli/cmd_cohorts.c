/* rebuy cohorts: the cohort matrix (docs/cohorts.md). JSON is the document
 * of rebuy_cohorts_doc; CSV is long form, one row per cell; the table is the
 * familiar triangle, one row per cohort and one column per offset, partial
 * cells marked with '*', and the size-weighted average row at the bottom. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "rebuy/cohorts.h"

enum { OPT_PERIOD = 1, OPT_MODE, OPT_METRIC, OPT_MAX_OFFSET, OPT_BY, OPT_COUNTS };

static const struct cli_opt own_opts[] = {
        {"period", "P", OPT_PERIOD,
         "day, week, month (default), quarter or year: the cohort and offset unit"},
        {"mode", "M", OPT_MODE,
         "on (default: bought in offset k), on-or-after (k or later), rolling (every offset "
         "1..k) or cumulative (at least once in 1..k; orders and revenue: summed over 0..k)"},
        {"metric", "M", OPT_METRIC,
         "customers (default: share of the cohort), orders or revenue (per cohort customer), "
         "ltv (revenue in offsets 0..k per cohort customer)"},
        {"max-offset", "N", OPT_MAX_OFFSET, "show offsets 0..N only (default: all)"},
        {"by", "COLUMN", OPT_BY,
         "split the cohorts by the value of COLUMN on each customer's first purchase"},
        {"counts", NULL, OPT_COUNTS,
         "table: show the counts (customers, orders, revenue) instead of the values"},
        CLI_OPT_END,
};

static const struct cli_command_help help = {
        "rebuy cohorts [OPTIONS] INPUT",
        "The cohort matrix: customers grouped by the period of their first purchase, and what\n"
        "each cohort did k periods later (the offset). Every cell has a count and a value =\n"
        "count / cohort size; cells whose period is cut off by the as-of date are partial (*),\n"
        "and the average row weights the cohorts by size over their complete cells.\n"
        "Definitions: docs/cohorts.md. INPUT is a CSV or whitespace-separated file, gzip or "
        "not,\nor - for standard input.",
        own_opts,
        1,
};

struct ctx {
	struct cli_common *c;
	struct rebuy_cohorts_options co;
	int mode_given, counts;
};

static int own(void *ud, int id, const char *v)
{
	struct ctx *x = ud;
	struct rebuy_error err = {0};
	switch (id) {
	case OPT_PERIOD:
		if (rebuy_period_from_name(v, &x->co.period, &err) != REBUY_OK)
			return cli_fail(&err);
		return 0;
	case OPT_MODE:
		if (rebuy_cohort_mode_from_name(v, &x->co.mode, &err) != REBUY_OK)
			return cli_fail(&err);
		x->mode_given = 1;
		return 0;
	case OPT_METRIC:
		if (rebuy_cohort_metric_from_name(v, &x->co.metric, &err) != REBUY_OK)
			return cli_fail(&err);
		return 0;
	case OPT_MAX_OFFSET: {
		char *end;
		long long n = strtoll(v, &end, 10);
		if (*v < '0' || *v > '9' || *end || n < 0 || n > 1000000) {
			cli_error("--max-offset: '%s' is not a number from 0 to 1000000", v);
			return EXIT_USAGE;
		}
		x->co.max_offset = (size_t)n;
		return 0;
	}
	case OPT_BY:
		if (x->co.has_by) {
			cli_error("--by is given twice");
			return EXIT_USAGE;
		}
		x->co.has_by = 1;
		x->co.by_attribute = x->c->in.n_attributes;
		x->c->in.attributes[x->c->in.n_attributes++] = v;
		return 0;
	case OPT_COUNTS: x->counts = 1; return 0;
	}
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int is_money(const struct rebuy_cohorts *r)
{
	return r->metric == REBUY_COHORT_REVENUE || r->metric == REBUY_COHORT_LTV;
}

/* ---- CSV: one row per cell -------------------------------------------------- */

static int write_csv(struct cli_common *c, const struct rebuy_cohorts *r)
{
	const char *cols[8];
	size_t n = 0;
	cols[n++] = "cohort";
	if (r->has_by)
		cols[n++] = "by";
	cols[n++] = "size";
	cols[n++] = "offset";
	cols[n++] = "value";
	cols[n++] = "count";
	cols[n++] = "partial";
	struct cli_out out;
	int rc = cli_out_open(&out, c->output);
	if (rc)
		return rc;
	struct rebuy_csv_options copts = {.raw = c->raw};
	struct rebuy_rows *w = rebuy_rows_new(out.f, REBUY_FORMAT_CSV, NULL, cols, n, &copts);
	for (size_t i = 0; w && i < r->n_cohorts; i++) {
		const struct rebuy_cohort *h = &r->cohorts[i];
		char label[48];
		rebuy_period_label(r->period, h->index, label, sizeof label);
		for (size_t k = 0; k < h->n_offsets; k++) {
			rebuy_rows_str(w, label);
			if (r->has_by)
				rebuy_rows_str(w, r->by_values[h->by]);
			rebuy_rows_int(w, (int64_t)h->size);
			rebuy_rows_int(w, (int64_t)k);
			rebuy_rows_num(w, h->values[k]);
			if (is_money(r))
				rebuy_rows_money(w, h->counts[k]);
			else
				rebuy_rows_int(w, h->counts[k]);
			rebuy_rows_str(w,
			               h->has_partial && k >= h->partial_from ? "true" : "false");
			rebuy_rows_end_row(w);
		}
	}
	enum rebuy_status st = w ? rebuy_rows_finish(w) : REBUY_ENOMEM;
	if (st) {
		cli_out_abort(&out);
		cli_error("%s", st == REBUY_ENOMEM ? "out of memory" : "cannot write the output");
		return EXIT_FAIL;
	}
	return cli_out_commit(&out);
}

/* ---- the triangle ------------------------------------------------------------ */

/* Digits with thousands grouped: "1234567.89" -> "1,234,567.89". */
static void group(const char *s, char *buf, size_t size)
{
	size_t lead = s[0] == '-', n = strcspn(s + lead, "."), k = 0;
	if (lead && k + 1 < size)
		buf[k++] = '-';
	for (size_t i = 0; i < n && k + 2 < size; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[k++] = ',';
		buf[k++] = s[lead + i];
	}
	snprintf(buf + k, size - k, "%s", s + lead + n);
}

/* Exact money units to two decimals, half to even, grouped. */
static void money_units(int64_t units, char *buf, size_t size)
{
	int neg = units < 0;
	uint64_t u = neg ? (uint64_t)0 - (uint64_t)units : (uint64_t)units;
	uint64_t cents = u / 100, rem = u % 100;
	if (rem > 50 || (rem == 50 && (cents & 1)))
		cents++;
	char tmp[48];
	snprintf(tmp, sizeof tmp, "%s%" PRIu64 ".%02u", neg && cents ? "-" : "", cents / 100,
	         (unsigned)(cents % 100));
	group(tmp, buf, size);
}

static void value_text(const struct rebuy_cohorts *r, double v, char *buf, size_t size)
{
	char tmp[64];
	if (!isfinite(v))
		snprintf(buf, size, "-");
	else if (r->metric == REBUY_COHORT_CUSTOMERS)
		snprintf(buf, size, "%.1f%%", v * 100.0);
	else if (r->metric == REBUY_COHORT_ORDERS)
		snprintf(buf, size, "%.3f", v);
	else {
		snprintf(tmp, sizeof tmp, "%.2f", v);
		group(tmp, buf, size);
	}
}

static void count_text(const struct rebuy_cohorts *r, int64_t v, char *buf, size_t size)
{
	char tmp[32];
	if (is_money(r)) {
		money_units(v, buf, size);
		return;
	}
	snprintf(tmp, sizeof tmp, "%" PRId64, v);
	group(tmp, buf, size);
}

/* The text of cell k of a row (row NULL: the average row); "" past the row's
 * offsets. Partial cells end with '*', the others with a space. */
static void cell_text(const struct rebuy_cohorts *r, const struct rebuy_cohort *h, size_t k,
                      int counts, char *buf, size_t size)
{
	char tmp[64];
	if (h && k >= h->n_offsets) {
		buf[0] = '\0';
		return;
	}
	if (!h)
		value_text(r, r->average[k], tmp, sizeof tmp);
	else if (counts)
		count_text(r, h->counts[k], tmp, sizeof tmp);
	else
		value_text(r, h->values[k], tmp, sizeof tmp);
	snprintf(buf, size, "%s%c", tmp, h && h->has_partial && k >= h->partial_from ? '*' : ' ');
}

/* Columns a string takes on a terminal (UTF-8 code points). */
static size_t text_width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

static size_t max_sz(size_t a, size_t b)
{
	return a > b ? a : b;
}

/* Column widths: cohort, by, size, then the offsets. */
static size_t *widths(const struct rebuy_cohorts *r, int counts)
{
	size_t n = 3 + r->n_offsets;
	size_t *w = calloc(n, sizeof *w);
	if (!w)
		return NULL;
	char buf[80];
	w[0] = strlen("average");
	w[1] = r->has_by ? text_width(r->by_name) : 0;
	w[2] = strlen("size");
	for (size_t k = 0; k < r->n_offsets; k++) {
		snprintf(buf, sizeof buf, "%zu ", k);
		w[3 + k] = strlen(buf);
		cell_text(r, NULL, k, 0, buf, sizeof buf);
		w[3 + k] = max_sz(w[3 + k], strlen(buf));
	}
	for (size_t i = 0; i < r->n_cohorts; i++) {
		const struct rebuy_cohort *h = &r->cohorts[i];
		rebuy_period_label(r->period, h->index, buf, sizeof buf);
		w[0] = max_sz(w[0], strlen(buf));
		if (r->has_by)
			w[1] = max_sz(w[1], text_width(r->by_values[h->by]));
		char num[32];
		snprintf(num, sizeof num, "%" PRIu64, h->size);
		group(num, buf, sizeof buf);
		w[2] = max_sz(w[2], strlen(buf));
		for (size_t k = 0; k < h->n_offsets; k++) {
			cell_text(r, h, k, counts, buf, sizeof buf);
			w[3 + k] = max_sz(w[3 + k], strlen(buf));
		}
	}
	return w;
}

/* Text written with trailing spaces held back, so that no line ends in
 * blanks (partial marks and the triangle's empty corner would leave some). */
struct line {
	FILE *f;
	size_t pending;
};

static void put(struct line *l, const char *s)
{
	for (; *s; s++) {
		if (*s == ' ') {
			l->pending++;
			continue;
		}
		for (; l->pending; l->pending--)
			fputc(' ', l->f);
		fputc(*s, l->f);
	}
}

static void put_padded(struct line *l, const char *s, size_t width, int right)
{
	size_t n = text_width(s);
	if (right)
		l->pending += width > n ? width - n : 0;
	put(l, s);
	if (!right)
		l->pending += width > n ? width - n : 0;
}

static void end_line(struct line *l)
{
	l->pending = 0;
	fputc('\n', l->f);
}

static void print_row(struct line *l, const struct rebuy_cohorts *r, const struct rebuy_cohort *h,
                      const size_t *w, int counts)
{
	char buf[80], num[32];
	if (r->has_by) {
		put_padded(l, h ? r->by_values[h->by] : "", w[1], 0);
		put(l, "  ");
	}
	if (h)
		rebuy_period_label(r->period, h->index, buf, sizeof buf);
	put_padded(l, h ? buf : "average", w[0], 0);
	put(l, "  ");
	buf[0] = '\0';
	if (h) {
		snprintf(num, sizeof num, "%" PRIu64, h->size);
		group(num, buf, sizeof buf);
	}
	put_padded(l, buf, w[2], 1);
	for (size_t k = 0; k < r->n_offsets; k++) {
		cell_text(r, h, k, h ? counts : 0, buf, sizeof buf);
		put(l, "  ");
		put_padded(l, buf, w[3 + k], 1);
	}
	end_line(l);
}

static int write_table(struct cli_common *c, const struct rebuy_cohorts *r, int counts)
{
	size_t *w = widths(r, counts);
	if (!w) {
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	struct cli_out out;
	int rc = cli_out_open(&out, c->output);
	if (rc) {
		free(w);
		return rc;
	}
	FILE *f = out.f;
	char buf[80], day[32];
	fprintf(f, "Cohorts by %s of first purchase, mode %s, metric %s%s%s\n",
	        rebuy_period_name(r->period), rebuy_cohort_mode_name(r->mode),
	        rebuy_cohort_metric_name(r->metric), r->has_by ? ", by " : "",
	        r->has_by ? r->by_name : "");
	fprintf(f, "%s: %s\n", counts ? "Counts" : "Values",
	        counts ? rebuy_cohorts_counts_definition(r) : rebuy_cohorts_values_definition(r));
	rebuy_format_day(r->as_of_day, day, sizeof day);
	fprintf(f,
	        "As of %s: * marks a partial cell (its period ends after the as-of date); the "
	        "average\nweights the cohorts by size over their complete cells%s.\n\n",
	        day, counts ? " (it shows values, not counts)" : "");
	struct line l = {.f = f};
	if (r->has_by) {
		put_padded(&l, r->by_name, w[1], 0);
		put(&l, "  ");
	}
	put_padded(&l, "cohort", w[0], 0);
	put(&l, "  ");
	put_padded(&l, "size", w[2], 1);
	for (size_t k = 0; k < r->n_offsets; k++) {
		snprintf(buf, sizeof buf, "%zu ", k);
		put(&l, "  ");
		put_padded(&l, buf, w[3 + k], 1);
	}
	end_line(&l);
	for (size_t i = 0; i < r->n_cohorts; i++)
		print_row(&l, r, &r->cohorts[i], w, counts);
	print_row(&l, r, NULL, w, counts);
	free(w);
	return cli_out_commit(&out);
}

int cmd_cohorts(int argc, char **argv)
{
	struct cli_common c;
	cli_common_init(&c, "cohorts");
	struct ctx x = {.c = &c};
	rebuy_cohorts_options_init(&x.co);
	int r = cli_parse(argc, argv, &c, &help, own, &x);
	if (r)
		return r < 0 ? EXIT_OK : r;
	if (x.co.metric == REBUY_COHORT_LTV && x.mode_given &&
	    x.co.mode != REBUY_COHORT_CUMULATIVE && !c.quiet)
		cli_warn("--metric ltv is revenue in offsets 0..k per cohort customer: --mode %s "
		         "is not used",
		         rebuy_cohort_mode_name(x.co.mode));
	x.co.n_threads = c.in.n_threads;
	cli_as_of(&c, &x.co.has_as_of, &x.co.as_of_day);
	struct rebuy_orders *o = NULL;
	if ((r = cli_load_orders(&c, &o)))
		return r;
	double t0 = now();
	struct rebuy_cohorts *res = NULL;
	struct rebuy_error err = {0};
	if (rebuy_cohorts_compute(o, &x.co, &res, &err) != REBUY_OK) {
		rebuy_orders_free(o);
		return cli_fail(&err);
	}
	double t1 = now();
	switch (cli_format_of(&c)) {
	case FORMAT_JSON: {
		struct rebuy_doc *doc = rebuy_doc_new();
		rebuy_cohorts_doc(res, &o->report, doc, rebuy_doc_root(doc));
		r = cli_write_doc(&c, doc, NULL);
		rebuy_doc_free(doc);
		break;
	}
	case FORMAT_TABLE: r = write_table(&c, res, x.counts); break;
	default: r = write_csv(&c, res); break;
	}
	if (getenv("REBUY_TIMINGS"))
		fprintf(stderr, "rebuy: timings: cohorts %.3f s, writing %.3f s\n", t1 - t0,
		        now() - t1);
	rebuy_cohorts_free(res);
	rebuy_orders_free(o);
	return r;
}
