/* Reading an order export (DESIGN.md §3).
 *
 * The reading thread decodes the source, strips a BOM, detects the dialect,
 * the header and the roles, and then cuts the stream into blocks of whole
 * rows (a quote-aware scan finds the last row end of each block). Worker
 * threads parse blocks in the order they were cut; each folds its rows into
 * its own partial. Everything that depends on order across blocks (line
 * numbers, the first problems, --strict) is settled afterwards from per-block
 * counts, so the result does not depend on the number of threads.
 */
#include "ingest/ingest.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#include "core/mem.h"
#include "core/parallel.h"
#include "ingest/csv.h"
#include "ingest/roles.h"
#include "ingest/side.h"
#include "ingest/source.h"
#include "rebuy/money.h"

#define BLOCK_SIZE ((size_t)2 << 20)
#define MAX_ROW_BYTES ((size_t)64 << 20)
#define SAMPLE_BYTES ((size_t)1 << 20)
#define SAMPLE_ROWS 2000

struct block {
	uint64_t index;
	char *buf;
	size_t len, cap;
};

/* A place in the input before line numbers are known: block and the line
 * within it (0-based). */
struct where {
	uint64_t block, line;
};

struct pending_problem {
	struct where at;
	struct rebuy_problem p;
};

struct example {
	int set;
	struct where at;
	char text[48];
};

struct block_lines {
	uint64_t block, newlines;
};

struct ingest;

struct worker {
	struct ingest *in;
	struct rebuy__partial *part;
	struct rebuy__last last;
	struct rebuy__csv_field *fields;
	uint64_t rows, blank, rounded, folded;
	uint64_t rejected[REBUY_REASON_COUNT];
	uint64_t n_mdy_only, n_dmy_only, n_ambiguous;
	struct example mdy_only, dmy_only, ambiguous;
	int n_currencies;
	struct example currencies[2];
	size_t n_problems;
	struct pending_problem problems[REBUY_MAX_PROBLEMS];
	int has_unterminated;
	struct where unterminated;
	struct block_lines *blines;
	size_t n_blines, cap_blines;
	char day_text[10]; /* the last ISO date read, and its midnight */
	int64_t day_ts;
	int has_day;
	enum rebuy_status status;
	struct rebuy_error err;
	pthread_t thread;
	int started;
};

struct ingest {
	const struct rebuy_input_options *opts;
	struct rebuy_input_report *rep;
	struct rebuy__csv_dialect dialect;
	struct rebuy_date_format date_fmt;
	char decimal;
	int col[REBUY_ROLE_COUNT];
	int attr_col[REBUY_MAX_ATTRIBUTES];
	size_t n_attrs;
	size_t need_fields;
	uint64_t header_lines; /* physical lines before the first data row */
	uint64_t text_bytes;   /* bytes read from the source, after decompression */
	size_t block_size;     /* BLOCK_SIZE, or less for a small plain input */
	char last_byte;        /* the last of them */

	pthread_mutex_t mu;
	pthread_cond_t cv_jobs, cv_free;
	struct block **jobs;
	size_t jobs_head, jobs_n, jobs_cap;
	struct block **pool;
	size_t pool_n, n_blocks_made, max_blocks;
	int done_reading;
	atomic_uint_fast64_t stop_block; /* blocks after this one are skipped */

	struct worker *workers;
	unsigned n_workers;
	uint64_t n_blocks;
};

unsigned rebuy__ingest_threads(const struct rebuy_input_options *opts)
{
	unsigned n = opts->n_threads ? opts->n_threads : rebuy__cpu_count();
	return n > 64 ? 64 : n;
}

/* ---- rows ---------------------------------------------------------------- */

static void note_problem(struct worker *w, struct where at, int kind, unsigned column,
                         const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 5, 6)))
#endif
        ;

static void note_problem(struct worker *w, struct where at, int kind, unsigned column,
                         const char *fmt, ...)
{
	if (w->n_problems < REBUY_MAX_PROBLEMS) {
		struct pending_problem *pp = &w->problems[w->n_problems++];
		pp->at = at;
		pp->p.kind = kind;
		pp->p.column = column;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(pp->p.message, sizeof pp->p.message, fmt, ap);
		va_end(ap);
	}
	if (w->in->opts->strict) {
		uint_fast64_t cur = atomic_load(&w->in->stop_block);
		while (at.block < cur &&
		       !atomic_compare_exchange_weak(&w->in->stop_block, &cur, at.block))
			;
	}
}

static int reject(struct worker *w, struct where at, enum rebuy_reason reason, int role,
                  const struct rebuy__csv_field *f, const char *what)
{
	w->rejected[reason]++;
	unsigned column = role >= 0 ? (unsigned)w->in->col[role] + 1 : 0;
	char text[64] = "";
	if (f)
		rebuy__cut_textn(text, sizeof text, f->p, f->n);
	switch (reason) {
	case REBUY_REASON_MISSING_CUSTOMER:
		note_problem(w, at, reason, column, "empty customer");
		break;
	case REBUY_REASON_BAD_DATE:
		note_problem(w, at, reason, column, "cannot read date '%s'", text);
		break;
	case REBUY_REASON_BAD_AMOUNT:
		note_problem(w, at, reason, column, "cannot read %s '%s'", what, text);
		break;
	case REBUY_REASON_OTHER_CURRENCY:
		note_problem(w, at, reason, column, "currency '%s' is not the selected %s", text,
		             w->in->opts->currency);
		break;
	default: note_problem(w, at, reason, column, "%s", what); break;
	}
	return w->in->opts->strict;
}

static void set_example(struct example *e, struct where at, const struct rebuy__csv_field *f)
{
	if (e->set)
		return;
	e->set = 1;
	e->at = at;
	rebuy__cut_textn(e->text, sizeof e->text, f->p, f->n);
}

/* Reads a money cell; returns 0 ok, 1 rounded, -1 unreadable. */
static int read_money(const struct ingest *in, const struct rebuy__csv_field *f, int64_t *v)
{
	switch (rebuy_money_parse(f->p, f->n, in->decimal, v)) {
	case REBUY_NUM_OK: return 0;
	case REBUY_NUM_ROUNDED: return 1;
	default: return -1;
	}
}

static void note_currency(struct worker *w, struct where at, const struct rebuy__csv_field *f,
                          const char *s, size_t n)
{
	/* Compared as kept, cut to fit: a value too long to keep whole is still
	 * a currency of its own, not left out of the check. */
	char text[sizeof w->currencies[0].text];
	rebuy__cut_textn(text, sizeof text, s, n);
	for (int i = 0; i < w->n_currencies; i++)
		if (strcmp(w->currencies[i].text, text) == 0)
			return;
	if (w->n_currencies < 2) {
		struct example *e = &w->currencies[w->n_currencies++];
		e->set = 1;
		e->at = at;
		memcpy(e->text, text, sizeof text);
	}
	(void)f;
}

static inline int digit2(const char *p, unsigned max, unsigned *v)
{
	unsigned a = (unsigned)(p[0] - '0'), b = (unsigned)(p[1] - '0');
	*v = a * 10 + b;
	return a <= 9 && b <= 9 && *v <= max;
}

/* Exports in date order repeat the same day row after row: an ISO value
 * ("YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS") whose date equals the last one
 * read costs only its time of day. Anything else goes to rebuy_date_parse. */
static unsigned read_date(struct worker *w, const struct rebuy__csv_field *f, int64_t *ts,
                          int64_t *ts_alt)
{
	const struct ingest *in = w->in;
	if (in->date_fmt.kind != REBUY_DATE_ISO || (f->n != 10 && f->n != 19))
		return rebuy_date_parse(f->p, f->n, &in->date_fmt, ts, ts_alt);
	const char *p = f->p;
	if (w->has_day && memcmp(p, w->day_text, 10) == 0) {
		if (f->n == 10) {
			*ts = w->day_ts;
			return REBUY_DATE_OK;
		}
		unsigned h, m, sec;
		if ((p[10] == ' ' || p[10] == 'T') && p[13] == ':' && p[16] == ':' &&
		    digit2(p + 11, 23, &h) && digit2(p + 14, 59, &m) && digit2(p + 17, 59, &sec)) {
			*ts = w->day_ts + (int64_t)h * 3600 + (int64_t)m * 60 + (int64_t)sec;
			return REBUY_DATE_OK | REBUY_DATE_HAS_TIME;
		}
	}
	unsigned flags = rebuy_date_parse(p, f->n, &in->date_fmt, ts, ts_alt);
	/* A fixed-position value carries no offset ("2024-01-05 01:00+03" has 19
	 * bytes too, but no ':' at 16): its midnight is exact. */
	if ((flags & REBUY_DATE_OK) && p[4] == '-' && p[7] == '-' &&
	    (f->n == 10 || ((p[10] == ' ' || p[10] == 'T') && p[13] == ':' && p[16] == ':'))) {
		memcpy(w->day_text, p, 10);
		w->day_ts = rebuy_day_of(*ts) * REBUY_SECONDS_PER_DAY;
		w->has_day = 1;
	}
	return flags;
}

/* Parses and cleans one row into *out. Returns LINE_READY when *out holds a
 * line to record, LINE_SKIP for a blank or rejected row, LINE_STOP when
 * --strict met a problem. */
enum { LINE_SKIP = 0, LINE_STOP = 1, LINE_READY = 2 };

static int parse_row(struct worker *w, struct where at, const struct rebuy__csv_field *fields,
                     size_t n_fields, const char *row, size_t row_len, struct rebuy__line *out)
{
	struct ingest *in = w->in;
	if (n_fields == 1 && fields[0].n == 0 && !fields[0].quoted) {
		w->blank++;
		return 0;
	}
	w->rows++;
	if (n_fields < in->need_fields) {
		char what[96];
		int role = 0;
		for (int r = 0; r < REBUY_ROLE_COUNT; r++)
			if (in->col[r] >= (int)n_fields) {
				role = r;
				break;
			}
		snprintf(what, sizeof what, "the row has %zu fields; the %s column is field %d",
		         n_fields, rebuy_role_name((enum rebuy_role)role), in->col[role] + 1);
		return reject(w, at, REBUY_REASON_SHORT_ROW, role, NULL, what);
	}
	/* Parsed in place: the batch slot is the line. */
	struct rebuy__line *const line = out;
	line->line_hash[0] = line->line_hash[1] = 0;
	const struct rebuy__csv_field *fc = &fields[in->col[REBUY_ROLE_CUSTOMER]];
	line->cust = fc->p;
	line->cust_len = rebuy__key_normalize(&line->cust, fc->n, in->decimal);
	if (line->cust_len == 0)
		return reject(w, at, REBUY_REASON_MISSING_CUSTOMER, REBUY_ROLE_CUSTOMER, fc, NULL);

	if (in->col[REBUY_ROLE_CURRENCY] >= 0) {
		const struct rebuy__csv_field *f = &fields[in->col[REBUY_ROLE_CURRENCY]];
		size_t n = f->n;
		const char *s = rebuy__trim_blanks(f->p, &n);
		if (in->opts->currency) {
			if (strlen(in->opts->currency) != n ||
			    memcmp(in->opts->currency, s, n) != 0)
				return reject(w, at, REBUY_REASON_OTHER_CURRENCY,
				              REBUY_ROLE_CURRENCY, f, NULL);
		} else if (n > 0) {
			note_currency(w, at, f, s, n);
		}
	}

	const struct rebuy__csv_field *fd = &fields[in->col[REBUY_ROLE_DATE]];
	unsigned flags = read_date(w, fd, &line->ts, &line->ts_alt);
	if (!(flags & REBUY_DATE_OK))
		return reject(w, at, REBUY_REASON_BAD_DATE, REBUY_ROLE_DATE, fd, NULL);
	if (flags & REBUY_DATE_SLASH) {
		int mdy = (flags & REBUY_DATE_MDY_VALID) != 0,
		    dmy = (flags & REBUY_DATE_DMY_VALID) != 0;
		if (mdy && dmy) {
			w->n_ambiguous++;
			set_example(&w->ambiguous, at, fd);
		} else if (mdy) {
			w->n_mdy_only++;
			set_example(&w->mdy_only, at, fd);
			line->ts_alt = line->ts;
		} else {
			w->n_dmy_only++;
			set_example(&w->dmy_only, at, fd);
			line->ts = line->ts_alt;
		}
	} else {
		line->ts_alt = line->ts;
	}

	int rounded = 0;
	line->value = 0;
	if (in->col[REBUY_ROLE_AMOUNT] >= 0) {
		const struct rebuy__csv_field *f = &fields[in->col[REBUY_ROLE_AMOUNT]];
		int r = read_money(in, f, &line->value);
		if (r < 0)
			return reject(w, at, REBUY_REASON_BAD_AMOUNT, REBUY_ROLE_AMOUNT, f,
			              "amount");
		rounded = r;
	} else if (in->col[REBUY_ROLE_PRICE] >= 0 && in->col[REBUY_ROLE_QUANTITY] >= 0) {
		const struct rebuy__csv_field *fq = &fields[in->col[REBUY_ROLE_QUANTITY]];
		const struct rebuy__csv_field *fp = &fields[in->col[REBUY_ROLE_PRICE]];
		int64_t q, p;
		int rq = read_money(in, fq, &q);
		if (rq < 0)
			return reject(w, at, REBUY_REASON_BAD_AMOUNT, REBUY_ROLE_QUANTITY, fq,
			              "quantity");
		int rp = read_money(in, fp, &p);
		if (rp < 0)
			return reject(w, at, REBUY_REASON_BAD_AMOUNT, REBUY_ROLE_PRICE, fp,
			              "price");
		enum rebuy_num_result rm = rebuy_money_mul(q, p, &line->value);
		if (rm == REBUY_NUM_RANGE)
			return reject(w, at, REBUY_REASON_BAD_AMOUNT, REBUY_ROLE_PRICE, fp,
			              "quantity x price of");
		rounded = rq || rp || rm == REBUY_NUM_ROUNDED;
	}
	if (rounded) {
		w->rounded++;
		int role = in->col[REBUY_ROLE_AMOUNT] >= 0 ? REBUY_ROLE_AMOUNT : REBUY_ROLE_PRICE;
		char text[64];
		const struct rebuy__csv_field *f = &fields[in->col[role]];
		rebuy__cut_textn(text, sizeof text, f->p, f->n);
		note_problem(w, at, REBUY_PROBLEM_ROUNDED, (unsigned)in->col[role] + 1,
		             "%s '%s' has more than 4 decimals (rounded half to even)",
		             role == REBUY_ROLE_AMOUNT ? "amount" : "quantity x price", text);
		if (in->opts->strict)
			return 1;
	}

	for (size_t k = 0; k < in->n_attrs; k++) {
		const struct rebuy__csv_field *f = &fields[in->attr_col[k]];
		size_t n = f->n;
		const char *v = rebuy__trim_blanks(f->p, &n);
		enum rebuy_status ast =
		        rebuy__strtab_intern(&w->part->attr_values[k], v, n,
		                             rebuy__strtab_hash(v, n), &line->attr[k], NULL);
		if (ast) {
			w->status = ast;
			rebuy_error_set(&w->err, ast, "%s",
			                ast == REBUY_ELIMIT
			                        ? "an attribute value longer than 64 KiB"
			                        : "out of memory");
			return LINE_STOP;
		}
	}

	line->okey = NULL;
	line->okey_len = 0;
	if (in->col[REBUY_ROLE_ORDER] >= 0) {
		const struct rebuy__csv_field *f = &fields[in->col[REBUY_ROLE_ORDER]];
		line->okey = f->p;
		line->okey_len = rebuy__key_normalize(&line->okey, f->n, in->decimal);
	}
	if (in->opts->dedupe) {
		while (row_len > 0 && (row[row_len - 1] == '\n' || row[row_len - 1] == '\r'))
			row_len--;
		XXH128_hash_t h = XXH3_128bits(row, row_len);
		line->line_hash[0] = h.low64;
		line->line_hash[1] = h.high64;
	}
	rebuy__line_hash_customer(line);
	return LINE_READY;
}

/* Records the parsed lines of a batch; -1 on a fatal error (w->status). */
static int record_lines(struct worker *w, const struct rebuy__line *lines, size_t n)
{
	struct ingest *in = w->in;
	for (size_t i = 0; i < n; i++) {
		int r = rebuy__partial_add(w->part, &lines[i], &w->last);
		if (r >= 0) {
			w->folded += (uint64_t)r;
			continue;
		}
		w->status = (enum rebuy_status) - r;
		if (w->status == REBUY_ELIMIT)
			rebuy_error_set(&w->err, REBUY_ELIMIT,
			                "%s: too many distinct customers or keys, a key longer "
			                "than 64 KiB, "
			                "or an order worth more than +-922 trillion",
			                in->rep->path);
		else
			rebuy_error_set(&w->err, w->status, "out of memory");
		return -1;
	}
	return 0;
}

static int note_block_lines(struct worker *w, uint64_t block, uint64_t newlines)
{
	if (rebuy__grow((void **)&w->blines, &w->cap_blines, w->n_blines + 1, sizeof *w->blines,
	                SIZE_MAX / sizeof *w->blines)) {
		w->status = REBUY_ENOMEM;
		rebuy_error_set(&w->err, REBUY_ENOMEM, "out of memory");
		return -1;
	}
	w->blines[w->n_blines].block = block;
	w->blines[w->n_blines++].newlines = newlines;
	return 0;
}

#define BATCH 32

static void process_block(struct worker *w, struct block *b)
{
	struct ingest *in = w->in;
	size_t pos = 0;
	struct where at = {b->index, 0};
	const size_t max_fields = in->need_fields;
	struct rebuy__line batch[BATCH];
	size_t n_batch = 0;
	while (pos < b->len) {
		if (atomic_load_explicit(&in->stop_block, memory_order_relaxed) < b->index)
			break;
		size_t start = pos, n_fields;
		uint64_t nl;
		enum rebuy__csv_row_status st = rebuy__csv_row(
		        &in->dialect, b->buf, b->len, &pos, w->fields, max_fields, &n_fields, &nl);
		if (st == REBUY__CSV_END)
			break;
		if (st == REBUY__CSV_UNTERMINATED) {
			if (!w->has_unterminated) {
				w->has_unterminated = 1;
				w->unterminated = at;
			}
			uint_fast64_t cur = atomic_load(&in->stop_block);
			while (b->index < cur &&
			       !atomic_compare_exchange_weak(&in->stop_block, &cur, b->index))
				;
			break;
		}
		int r = parse_row(w, at, w->fields, n_fields, b->buf + start, pos - start,
		                  &batch[n_batch]);
		if (r == LINE_STOP)
			break;
		if (r == LINE_READY) {
			rebuy__partial_prefetch(w->part, &batch[n_batch]);
			if (++n_batch == BATCH) {
				if (record_lines(w, batch, n_batch) < 0)
					return;
				n_batch = 0;
			}
		}
		at.line += nl;
	}
	if (record_lines(w, batch, n_batch) < 0)
		return;
	note_block_lines(w, b->index, at.line);
}

/* ---- the block queue ------------------------------------------------------ */

static void block_free(struct block *b)
{
	if (b) {
		rebuy__free(b->buf);
		rebuy__free(b);
	}
}

/* A block buffer from the pool, or a new one while fewer than max_blocks
 * exist; waits for a worker to give one back otherwise. */
static struct block *take_block(struct ingest *in)
{
	struct block *b = NULL;
	pthread_mutex_lock(&in->mu);
	for (;;) {
		if (in->pool_n > 0) {
			b = in->pool[--in->pool_n];
			break;
		}
		if (in->n_blocks_made < in->max_blocks) {
			in->n_blocks_made++;
			break;
		}
		pthread_cond_wait(&in->cv_free, &in->mu);
	}
	pthread_mutex_unlock(&in->mu);
	if (!b) {
		b = rebuy__calloc(1, sizeof *b);
		if (b && !(b->buf = rebuy__malloc(in->block_size))) {
			rebuy__free(b);
			b = NULL;
		}
		if (b)
			b->cap = in->block_size;
		if (!b) {
			pthread_mutex_lock(&in->mu);
			in->n_blocks_made--;
			pthread_mutex_unlock(&in->mu);
		}
	}
	if (b)
		b->len = 0;
	return b;
}

static void give_back(struct ingest *in, struct block *b)
{
	pthread_mutex_lock(&in->mu);
	in->pool[in->pool_n++] = b;
	pthread_cond_signal(&in->cv_free);
	pthread_mutex_unlock(&in->mu);
}

static void push_job(struct ingest *in, struct block *b)
{
	pthread_mutex_lock(&in->mu);
	in->jobs[(in->jobs_head + in->jobs_n) % in->jobs_cap] = b;
	in->jobs_n++;
	pthread_cond_signal(&in->cv_jobs);
	pthread_mutex_unlock(&in->mu);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct ingest *in = w->in;
	for (;;) {
		pthread_mutex_lock(&in->mu);
		while (in->jobs_n == 0 && !in->done_reading)
			pthread_cond_wait(&in->cv_jobs, &in->mu);
		if (in->jobs_n == 0) {
			pthread_mutex_unlock(&in->mu);
			return NULL;
		}
		struct block *b = in->jobs[in->jobs_head];
		in->jobs_head = (in->jobs_head + 1) % in->jobs_cap;
		in->jobs_n--;
		pthread_mutex_unlock(&in->mu);
		if (w->status == REBUY_OK)
			process_block(w, b);
		give_back(in, b);
	}
}

/* ---- detection from the first rows ---------------------------------------- */

static const char *date_kind_name(enum rebuy_date_kind k)
{
	switch (k) {
	case REBUY_DATE_AUTO: return "auto";
	case REBUY_DATE_ISO: return "iso";
	case REBUY_DATE_YMD8: return "ymd";
	case REBUY_DATE_MDY: return "mdy";
	case REBUY_DATE_DMY: return "dmy";
	case REBUY_DATE_UNIX: return "unix";
	case REBUY_DATE_UNIX_MS: return "unix_ms";
	case REBUY_DATE_PATTERN: return "pattern";
	}
	return "auto";
}

enum shape {
	SHAPE_NONE,
	SHAPE_ISO,
	SHAPE_YMD8,
	SHAPE_UNIX,
	SHAPE_UNIX_MS,
	SHAPE_SLASH,
	SHAPE_YSLASH,
	SHAPE_DOT,
	SHAPE_COUNT
};

static enum shape date_shape(const char *s, size_t n, unsigned flags)
{
	s = rebuy__trim_blanks(s, &n);
	size_t digits = 0;
	while (digits < n && s[digits] >= '0' && s[digits] <= '9')
		digits++;
	if (digits == n) {
		if (n == 8)
			return SHAPE_YMD8;
		if (n == 9 || n == 10)
			return SHAPE_UNIX;
		if (n == 13)
			return SHAPE_UNIX_MS;
		return SHAPE_NONE;
	}
	if (flags & REBUY_DATE_SLASH)
		return SHAPE_SLASH;
	if (digits == 4 && s[4] == '/')
		return SHAPE_YSLASH;
	if (digits >= 1 && digits <= 2 && s[digits] == '.')
		return SHAPE_DOT;
	return SHAPE_ISO;
}

struct sample_stats {
	uint64_t shapes[SHAPE_COUNT];
	uint64_t n_dates, n_unreadable;
	struct example bad_date;
	uint64_t money_values, comma_decimal, point_decimal;
};

static void sample_row(struct ingest *in, struct sample_stats *ss, const struct rebuy__csv_field *f,
                       size_t nf, uint64_t line)
{
	struct where at = {0, line};
	if (nf == 1 && f[0].n == 0)
		return;
	int dc = in->col[REBUY_ROLE_DATE];
	if (dc < (int)nf && f[dc].n > 0) {
		struct rebuy_date_format autofmt = {.kind = REBUY_DATE_AUTO};
		int64_t ts, alt;
		unsigned flags = rebuy_date_parse(f[dc].p, f[dc].n, &autofmt, &ts, &alt);
		ss->n_dates++;
		if (!(flags & REBUY_DATE_OK)) {
			ss->n_unreadable++;
			set_example(&ss->bad_date, at, &f[dc]);
		} else {
			ss->shapes[date_shape(f[dc].p, f[dc].n, flags)]++;
		}
	}
	static const enum rebuy_role money_roles[] = {REBUY_ROLE_AMOUNT, REBUY_ROLE_PRICE,
	                                              REBUY_ROLE_QUANTITY};
	for (size_t k = 0; k < 3; k++) {
		int c = in->col[money_roles[k]];
		if (c < 0 || c >= (int)nf)
			continue;
		const char *s = f[c].p;
		size_t n = f[c].n;
		s = rebuy__trim_blanks(s, &n);
		if (n == 0)
			continue;
		ss->money_values++;
		/* Which mark is the decimal one: the later of the two when both
		 * appear ("1.234,56"); a lone mark followed by exactly three digits
		 * may be a thousands separator and decides nothing. */
		const char *comma = NULL, *point = NULL;
		for (size_t i = 0; i < n; i++) {
			if (s[i] == ',')
				comma = s + i;
			else if (s[i] == '.')
				point = s + i;
		}
		if (comma && point) {
			if (comma > point)
				ss->comma_decimal++;
			else
				ss->point_decimal++;
		} else if (comma || point) {
			const char *m = comma ? comma : point;
			size_t after = 0;
			for (const char *p = m + 1; p < s + n && *p >= '0' && *p <= '9'; p++)
				after++;
			if (after != 3) {
				if (comma)
					ss->comma_decimal++;
				else
					ss->point_decimal++;
			}
		}
	}
}

enum { TYPE_INTEGER = 1, TYPE_DECIMAL = 2, TYPE_DATE = 4, TYPE_TEXT = 8 };

/* What one sample value could be. */
static unsigned value_types(const struct ingest *in, const char *s, size_t n)
{
	unsigned t = TYPE_TEXT;
	size_t i = (n > 0 && (s[0] == '-' || s[0] == '+')) ? 1 : 0, digits = 0;
	while (i + digits < n && s[i + digits] >= '0' && s[i + digits] <= '9')
		digits++;
	if (digits > 0 && i + digits == n)
		t |= TYPE_INTEGER | TYPE_DECIMAL;
	int64_t v;
	enum rebuy_num_result r = rebuy_money_parse(s, n, in->decimal, &v);
	if (r == REBUY_NUM_OK || r == REBUY_NUM_ROUNDED)
		t |= TYPE_DECIMAL;
	struct rebuy_date_format autofmt = {.kind = REBUY_DATE_AUTO};
	int64_t ts, alt;
	if (rebuy_date_parse(s, n, &autofmt, &ts, &alt) & REBUY_DATE_OK)
		t |= TYPE_DATE;
	return t;
}

/* Types and first values of every column, from the sample rows. */
static enum rebuy_status column_infos(struct ingest *in, char *sample, size_t len,
                                      struct rebuy__csv_field *f, struct rebuy_error *err)
{
	struct rebuy_input_report *rep = in->rep;
	size_t nc = rep->n_columns;
	rep->columns = rebuy__calloc(nc ? nc : 1, sizeof *rep->columns);
	unsigned *types = rebuy__malloc((nc ? nc : 1) * sizeof *types);
	if (!rep->columns || !types) {
		rebuy__free(types);
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	}
	for (size_t c = 0; c < nc; c++)
		types[c] = TYPE_INTEGER | TYPE_DECIMAL | TYPE_DATE | TYPE_TEXT;
	size_t pos = 0, n_fields;
	uint64_t nl;
	for (size_t rows = 0; rows < SAMPLE_ROWS; rows++) {
		if (rebuy__csv_row(&in->dialect, sample, len, &pos, f, nc, &n_fields, &nl) !=
		    REBUY__CSV_ROW)
			break;
		if (n_fields == 1 && f[0].n == 0)
			continue;
		for (size_t c = 0; c < nc && c < n_fields; c++) {
			struct rebuy_column_info *ci = &rep->columns[c];
			size_t n = f[c].n;
			const char *s = rebuy__trim_blanks(f[c].p, &n);
			ci->n_sampled++;
			if (n == 0) {
				ci->n_empty++;
				continue;
			}
			types[c] &= value_types(in, s, n);
			int k = 0, seen = 0;
			for (; k < REBUY_COLUMN_SAMPLES && ci->sample[k][0]; k++) {
				char t[48];
				rebuy__cut_textn(t, sizeof t, s, n);
				seen |= strcmp(t, ci->sample[k]) == 0;
			}
			if (!seen && k < REBUY_COLUMN_SAMPLES)
				rebuy__cut_textn(ci->sample[k], sizeof ci->sample[k], s, n);
		}
	}
	for (size_t c = 0; c < nc; c++) {
		struct rebuy_column_info *ci = &rep->columns[c];
		unsigned t = types[c];
		if (ci->n_sampled == ci->n_empty)
			ci->type = "empty";
		else if ((int)c == in->col[REBUY_ROLE_DATE] && (t & TYPE_DATE))
			ci->type = "date";
		else if (t & TYPE_INTEGER)
			ci->type = "integer";
		else if (t & TYPE_DECIMAL)
			ci->type = "decimal";
		else if (t & TYPE_DATE)
			ci->type = "date";
		else
			ci->type = "text";
	}
	rebuy__free(types);
	return REBUY_OK;
}

static enum rebuy_status decide_date_format(struct ingest *in, const struct sample_stats *ss,
                                            int *has_alt, struct rebuy_error *err)
{
	struct rebuy_input_report *rep = in->rep;
	const char *colname = rep->column_names[in->col[REBUY_ROLE_DATE]];
	*has_alt = 0;
	if (in->opts->date_format && strcmp(in->opts->date_format, "auto") != 0) {
		enum rebuy_status st =
		        rebuy_date_format_parse(in->opts->date_format, &in->date_fmt, err);
		if (st)
			return st;
		return REBUY_OK;
	}
	uint64_t readable = ss->n_dates - ss->n_unreadable;
	if (ss->n_dates > 0 && readable == 0)
		return rebuy_error_set(
		        err, REBUY_EDATA,
		        "%s:%llu: cannot read the dates of column '%s' (e.g. '%s'); "
		        "give the format with --date-format",
		        rep->path,
		        (unsigned long long)(in->header_lines + ss->bad_date.at.line + 1), colname,
		        ss->bad_date.text);
	int kinds = 0;
	enum shape only = SHAPE_NONE;
	for (int s = 1; s < SHAPE_COUNT; s++)
		if (ss->shapes[s]) {
			kinds++;
			only = (enum shape)s;
		}
	in->date_fmt.kind = REBUY_DATE_AUTO;
	if (kinds == 1) {
		switch (only) {
		case SHAPE_ISO: in->date_fmt.kind = REBUY_DATE_ISO; break;
		case SHAPE_YMD8: in->date_fmt.kind = REBUY_DATE_YMD8; break;
		case SHAPE_UNIX: in->date_fmt.kind = REBUY_DATE_UNIX; break;
		case SHAPE_UNIX_MS: in->date_fmt.kind = REBUY_DATE_UNIX_MS; break;
		case SHAPE_DOT: in->date_fmt.kind = REBUY_DATE_DMY; break;
		case SHAPE_SLASH:
			/* Month or day first is settled from the whole column after
			 * reading, even when the first rows show one order: a later
			 * value of the other order is then an error, not a bad date. */
			break;
		default: break;
		}
	}
	*has_alt = in->date_fmt.kind == REBUY_DATE_AUTO;
	return REBUY_OK;
}

static void decide_decimal(struct ingest *in, const struct sample_stats *ss)
{
	if (in->opts->decimal_comma >= 0) {
		in->decimal = in->opts->decimal_comma ? ',' : '.';
		return;
	}
	in->decimal = ss->comma_decimal > 0 && ss->point_decimal == 0 ? ',' : '.';
}

/* ---- the reading thread ---------------------------------------------------- */

/* Reads until buf holds `want` bytes or the source ends. */
static enum rebuy_status fill(struct ingest *in, struct rebuy__source *src, char *buf, size_t *len,
                              size_t want, struct rebuy_error *err)
{
	while (*len < want) {
		size_t got;
		enum rebuy_status st = rebuy__source_read(src, buf + *len, want - *len, &got, err);
		if (st)
			return st;
		if (got == 0)
			break;
		*len += got;
		in->text_bytes += got;
		in->last_byte = buf[*len - 1];
	}
	return REBUY_OK;
}

static enum rebuy_status grow_block(struct block *b, size_t cap, struct rebuy_error *err)
{
	char *nb = rebuy__realloc(b->buf, cap);
	if (!nb)
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	b->buf = nb;
	b->cap = cap;
	return REBUY_OK;
}

static enum rebuy_status check_content(const char *path, const unsigned char *p, size_t n,
                                       struct rebuy_error *err)
{
	if (n >= 4 && p[0] == 'P' && p[1] == 'K' && p[2] == 3 && p[3] == 4)
		return rebuy_error_set(
		        err, REBUY_EDATA,
		        "%s: this is a ZIP archive (an .xlsx workbook?), not CSV text: "
		        "save the sheet as CSV",
		        path);
	if (n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF)))
		return rebuy_error_set(err, REBUY_EDATA,
		                       "%s: the text is UTF-16; save it as UTF-8 CSV", path);
	const unsigned char *nul = memchr(p, 0, n < 65536 ? n : 65536);
	if (nul)
		return rebuy_error_set(
		        err, REBUY_EDATA,
		        "%s: binary data (a NUL byte at offset %zu): not a CSV export", path,
		        (size_t)(nul - p));
	return REBUY_OK;
}

/* Finds the first complete row in b (reading more when needed); *end gets
 * the offset after it. */
static enum rebuy_status first_row_end(struct ingest *in, struct rebuy__source *src,
                                       struct block *b, size_t start, size_t *end,
                                       struct rebuy_error *err)
{
	for (;;) {
		size_t cut = rebuy__csv_last_row_end(&in->dialect, b->buf + start, b->len - start);
		if (cut > 0 || src->at_eof) {
			if (cut > 0) {
				/* The first row's end, not the last complete one. */
				struct rebuy__csv_dialect d = in->dialect;
				size_t lo = 0;
				for (;;) {
					const char *nl =
					        memchr(b->buf + start + lo, '\n', cut - lo);
					size_t e = (size_t)(nl - (b->buf + start)) + 1;
					if (rebuy__csv_last_row_end(&d, b->buf + start, e) == e) {
						*end = start + e;
						return REBUY_OK;
					}
					lo = e;
				}
			}
			*end = b->len;
			return REBUY_OK;
		}
		if (b->cap >= MAX_ROW_BYTES)
			return rebuy_error_set(
			        err, REBUY_ELIMIT,
			        "%s:%llu: a row longer than 64 MiB (an unclosed quote?)",
			        in->rep->path, (unsigned long long)in->header_lines + 1);
		enum rebuy_status st = grow_block(b, b->cap * 2, err);
		if (!st)
			st = fill(in, src, b->buf, &b->len, b->cap, err);
		if (st)
			return st;
	}
}

static void progress(struct ingest *in, const struct rebuy__source *src)
{
	if (in->opts->progress)
		in->opts->progress(in->opts->progress_ud, src->raw_read, src->size);
}

/* Dispatches a block to the workers, or parses it here with one thread. */
static void dispatch(struct ingest *in, struct block *b)
{
	b->index = in->n_blocks++;
	if (in->n_workers == 1 || !in->workers[1].started) {
		struct worker *w = &in->workers[0];
		if (w->status == REBUY_OK)
			process_block(w, b);
		give_back(in, b);
		return;
	}
	push_job(in, b);
}

static enum rebuy_status start_workers(struct ingest *in, struct rebuy_error *err)
{
	if (in->n_workers <= 1)
		return REBUY_OK;
	for (unsigned t = 0; t < in->n_workers; t++) {
		if (pthread_create(&in->workers[t].thread, NULL, worker_main, &in->workers[t]) !=
		    0) {
			if (t == 0) {
				in->n_workers = 1; /* parse on the reading thread */
				return REBUY_OK;
			}
			in->n_workers = t;
			return REBUY_OK;
		}
		in->workers[t].started = 1;
	}
	(void)err;
	return REBUY_OK;
}

static void stop_workers(struct ingest *in)
{
	pthread_mutex_lock(&in->mu);
	in->done_reading = 1;
	pthread_cond_broadcast(&in->cv_jobs);
	pthread_mutex_unlock(&in->mu);
	for (unsigned t = 0; t < in->n_workers; t++)
		if (in->workers[t].started) {
			pthread_join(in->workers[t].thread, NULL);
			in->workers[t].started = 0;
		}
}

/* Reads the header and first rows, decides the dialect, roles and formats,
 * then streams every block to the workers. */
static enum rebuy_status read_stream(struct ingest *in, struct rebuy__source *src, int *has_alt,
                                     struct rebuy_error *err)
{
	struct rebuy_input_report *rep = in->rep;
	const struct rebuy_input_options *opts = in->opts;
	enum rebuy_status st;
	struct rebuy__csv_field *hdr = NULL;
	char *sample = NULL;
	struct block *b = take_block(in);
	if (!b)
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	if ((st = fill(in, src, b->buf, &b->len, b->cap, err)))
		goto out;
	if (b->len == 0) {
		st = rebuy_error_set(err, REBUY_EDATA, "%s: the file is empty", rep->path);
		goto out;
	}
	if ((st = check_content(rep->path, (const unsigned char *)b->buf, b->len, err)))
		goto out;
	size_t start = 0;
	if (b->len >= 3 && memcmp(b->buf, "\xEF\xBB\xBF", 3) == 0) {
		rep->has_bom = 1;
		start = 3;
	}
	char delim = opts->delimiter;
	if (!delim)
		delim = rebuy__csv_sniff_delimiter(b->buf + start,
		                                   b->len - start < 65536 ? b->len - start : 65536);
	in->dialect.whitespace = delim == REBUY_DELIM_WHITESPACE;
	in->dialect.delim = in->dialect.whitespace ? ',' : delim;
	rep->delimiter = delim;

	/* Skip blank lines before the header. */
	while (start < b->len && (b->buf[start] == '\n' || b->buf[start] == '\r')) {
		if (b->buf[start] == '\n')
			in->header_lines++;
		start++;
	}
	if (start >= b->len) {
		st = rebuy_error_set(err, REBUY_EDATA, "%s: the file holds only blank lines",
		                     rep->path);
		goto out;
	}
	size_t row_end = 0;
	if ((st = first_row_end(in, src, b, start, &row_end, err)))
		goto out;
	if (!(hdr = rebuy__malloc(REBUY__CSV_MAX_FIELDS * sizeof *hdr))) {
		st = rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
		goto out;
	}
	int has_header = opts->header >= 0 ? opts->header : !opts->columns;
	rep->has_header = has_header;
	/* Tokenize the first row on a copy: headerless, it is also data. */
	size_t first_len = row_end - start;
	if (!(sample = rebuy__malloc(first_len + 1))) {
		st = rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(sample, b->buf + start, first_len);
	size_t pos = 0, n_fields;
	uint64_t nl;
	if (rebuy__csv_row(&in->dialect, sample, first_len, &pos, hdr, REBUY__CSV_MAX_FIELDS,
	                   &n_fields, &nl) != REBUY__CSV_ROW) {
		st = rebuy_error_set(err, REBUY_EDATA,
		                     "%s:%llu: the first row has an unclosed quote", rep->path,
		                     (unsigned long long)in->header_lines + 1);
		goto out;
	}
	if (n_fields > REBUY__CSV_MAX_FIELDS) {
		st = rebuy_error_set(err, REBUY_ELIMIT, "%s: more than %d columns", rep->path,
		                     REBUY__CSV_MAX_FIELDS);
		goto out;
	}
	if ((st = rebuy__roles_assign(rep, hdr, n_fields, has_header, opts, err))) {
		/* A header made of data is the usual cause: say so. */
		if (has_header && !opts->columns && err) {
			struct rebuy_date_format autofmt = {.kind = REBUY_DATE_AUTO};
			int64_t ts, alt;
			for (size_t i = 0; i < n_fields; i++)
				if (rebuy_date_parse(hdr[i].p, hdr[i].n, &autofmt, &ts, &alt) &
				    REBUY_DATE_OK) {
					char text[80];
					rebuy__cut_textn(text, sizeof text, sample, first_len);
					size_t k = strlen(text);
					while (k > 0 && text[k - 1] == ' ')
						text[--k] = '\0';
					rebuy_error_clear(err);
					st = rebuy_error_set(
					        err, REBUY_EDATA,
					        "%s:%llu: the first row holds no column names (it "
					        "reads '%s'): give the roles by position with "
					        "--columns, e.g. --columns customer,_,date,amount",
					        rep->path, (unsigned long long)in->header_lines + 1,
					        text);
					break;
				}
		}
		goto out;
	}
	for (int r = 0; r < REBUY_ROLE_COUNT; r++) {
		in->col[r] = rep->role_column[r];
		if (in->col[r] >= 0 && (size_t)in->col[r] + 1 > in->need_fields)
			in->need_fields = (size_t)in->col[r] + 1;
	}
	in->n_attrs = opts->n_attributes < REBUY_MAX_ATTRIBUTES ? opts->n_attributes
	                                                        : REBUY_MAX_ATTRIBUTES;
	for (size_t k = 0; k < in->n_attrs; k++) {
		int c = rebuy__roles_find_column(rep, opts->attributes[k]);
		if (c < 0) {
			char cols[256];
			rebuy__roles_list_columns(rep, cols, sizeof cols);
			st = rebuy_error_set(err, REBUY_EARG,
			                     "%s has no column '%s' (the columns are: %s)",
			                     rep->path, opts->attributes[k], cols);
			goto out;
		}
		in->attr_col[k] = c;
		rep->attr_column[k] = c;
		if ((size_t)c + 1 > in->need_fields)
			in->need_fields = (size_t)c + 1;
	}
	rep->n_attributes = in->n_attrs;
	if (has_header) {
		in->header_lines += nl;
		start = row_end;
	}
	rebuy__free(sample);
	sample = NULL;

	/* Detection from the first rows, on a copy (parsing rewrites quotes). */
	size_t avail = b->len - start < SAMPLE_BYTES ? b->len - start : SAMPLE_BYTES;
	size_t sample_len = src->at_eof && avail == b->len - start
	                            ? avail
	                            : rebuy__csv_last_row_end(&in->dialect, b->buf + start, avail);
	if (!(sample = rebuy__malloc(sample_len + 1))) {
		st = rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(sample, b->buf + start, sample_len);
	struct sample_stats ss;
	memset(&ss, 0, sizeof ss);
	pos = 0;
	uint64_t line = 0;
	for (size_t rows = 0; rows < SAMPLE_ROWS; rows++) {
		enum rebuy__csv_row_status rs =
		        rebuy__csv_row(&in->dialect, sample, sample_len, &pos, hdr, in->need_fields,
		                       &n_fields, &nl);
		if (rs != REBUY__CSV_ROW)
			break;
		sample_row(in, &ss, hdr, n_fields < in->need_fields ? n_fields : in->need_fields,
		           line);
		line += nl;
	}
	if ((st = decide_date_format(in, &ss, has_alt, err)))
		goto out;
	decide_decimal(in, &ss);
	/* Column infos read a fresh copy: the first pass unescaped quotes. */
	memcpy(sample, b->buf + start, sample_len);
	if ((st = column_infos(in, sample, sample_len, hdr, err)))
		goto out;
	rep->decimal_comma = in->decimal == ',';
	rep->date_format = in->date_fmt;
	rep->date_format_name = date_kind_name(in->date_fmt.kind);

	for (unsigned t = 0; t < in->n_workers; t++) {
		struct worker *w = &in->workers[t];
		w->part = rebuy__partial_new(in->col[REBUY_ROLE_ORDER] >= 0, *has_alt, opts->dedupe,
		                             in->n_attrs);
		w->fields = rebuy__malloc((in->need_fields + 1) * sizeof *w->fields);
		if (!w->part || !w->fields) {
			st = rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
			goto out;
		}
	}
	if ((st = start_workers(in, err)))
		goto out;

	/* Stream: b holds bytes [start, len) of unparsed rows. */
	for (;;) {
		if (atomic_load(&in->stop_block) != UINT64_MAX)
			break; /* --strict met a problem: what follows cannot matter */
		if ((st = fill(in, src, b->buf, &b->len, b->cap, err)))
			goto out;
		progress(in, src);
		size_t cut;
		if (src->at_eof) {
			cut = b->len;
		} else {
			cut = start +
			      rebuy__csv_last_row_end(&in->dialect, b->buf + start, b->len - start);
			if (cut == start) {
				if (b->cap >= MAX_ROW_BYTES) {
					st = rebuy_error_set(
					        err, REBUY_ELIMIT,
					        "%s: a row longer than 64 MiB (an unclosed quote?)",
					        rep->path);
					goto out;
				}
				if ((st = grow_block(b, b->cap * 2, err)))
					goto out;
				continue;
			}
		}
		struct block *next = NULL;
		if (cut < b->len || !src->at_eof) {
			next = take_block(in);
			if (!next) {
				st = rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
				goto out;
			}
			size_t tail = b->len - cut;
			if (tail > next->cap && (st = grow_block(next, tail * 2, err))) {
				give_back(in, next);
				goto out;
			}
			memcpy(next->buf, b->buf + cut, tail);
			next->len = tail;
		}
		/* The block handed over holds rows [start, cut). */
		if (start > 0) {
			memmove(b->buf, b->buf + start, cut - start);
			cut -= start;
			start = 0;
		}
		b->len = cut;
		dispatch(in, b);
		b = next;
		if (!b)
			break;
	}
out:
	if (b)
		give_back(in, b);
	rebuy__free(hdr);
	rebuy__free(sample);
	return st;
}

/* ---- after reading ---------------------------------------------------------- */

struct line_base {
	uint64_t *base; /* physical lines before each block, header included */
	uint64_t n;
};

static uint64_t line_of(const struct ingest *in, const struct line_base *lb, struct where at)
{
	uint64_t base = at.block < lb->n ? lb->base[at.block] : in->header_lines;
	return base + at.line + 1;
}

static enum rebuy_status make_line_base(struct ingest *in, struct line_base *lb,
                                        struct rebuy_error *err)
{
	lb->n = in->n_blocks;
	lb->base = rebuy__calloc(in->n_blocks + 1, sizeof *lb->base);
	if (!lb->base)
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	uint64_t *count = lb->base; /* first the count of each block, then prefix sums */
	for (unsigned t = 0; t < in->n_workers; t++)
		for (size_t i = 0; i < in->workers[t].n_blines; i++)
			count[in->workers[t].blines[i].block + 1] =
			        in->workers[t].blines[i].newlines;
	count[0] = in->header_lines;
	for (uint64_t k = 1; k <= in->n_blocks; k++)
		count[k] += count[k - 1];
	return REBUY_OK;
}

static int where_before(struct where a, struct where b)
{
	return a.block < b.block || (a.block == b.block && a.line < b.line);
}

/* The first examples over all workers. */
static const struct example *first_example(struct ingest *in, size_t offset)
{
	const struct example *best = NULL;
	for (unsigned t = 0; t < in->n_workers; t++) {
		const struct example *e =
		        (const struct example *)((const char *)&in->workers[t] + offset);
		if (e->set && (!best || where_before(e->at, best->at)))
			best = e;
	}
	return best;
}

static enum rebuy_status settle(struct ingest *in, int has_alt, int *use_alt,
                                struct rebuy_error *err)
{
	struct rebuy_input_report *rep = in->rep;
	struct line_base lb = {0};
	enum rebuy_status st = make_line_base(in, &lb, err);
	if (st)
		return st;
	/* An unclosed quote ends the input early: always an error. */
	const struct worker *wu = NULL;
	for (unsigned t = 0; t < in->n_workers; t++)
		if (in->workers[t].has_unterminated &&
		    (!wu || where_before(in->workers[t].unterminated, wu->unterminated)))
			wu = &in->workers[t];
	/* The first problems in file order: each worker saw its blocks in order. */
	struct pending_problem *all[64 * REBUY_MAX_PROBLEMS];
	size_t n_all = 0;
	for (unsigned t = 0; t < in->n_workers; t++)
		for (size_t i = 0; i < in->workers[t].n_problems; i++)
			all[n_all++] = &in->workers[t].problems[i];
	for (size_t i = 1; i < n_all; i++)
		for (size_t j = i; j > 0 && where_before(all[j]->at, all[j - 1]->at); j--) {
			struct pending_problem *tmp = all[j];
			all[j] = all[j - 1];
			all[j - 1] = tmp;
		}
	if (wu && (n_all == 0 || !in->opts->strict || where_before(wu->unterminated, all[0]->at))) {
		st = rebuy_error_set(err, REBUY_EDATA,
		                     "%s:%llu: a quoted field opened in this row is never closed",
		                     rep->path,
		                     (unsigned long long)line_of(in, &lb, wu->unterminated));
		goto out;
	}
	rep->n_problems = 0;
	for (size_t i = 0; i < n_all && rep->n_problems < REBUY_MAX_PROBLEMS; i++) {
		struct rebuy_problem *p = &rep->problems[rep->n_problems++];
		*p = all[i]->p;
		p->line = line_of(in, &lb, all[i]->at);
	}
	if (in->opts->strict && rep->n_problems > 0) {
		/* Threads stop at different rows after it: later ones would vary. */
		rep->n_problems = 1;
		const struct rebuy_problem *p = &rep->problems[0];
		st = rebuy_error_set(err, REBUY_EDATA, "%s:%llu:%u: %s", rep->path,
		                     (unsigned long long)p->line, p->column, p->message);
		goto out;
	}
	/* One currency, unless one was chosen. */
	if (in->col[REBUY_ROLE_CURRENCY] >= 0 && !in->opts->currency) {
		/* The first currency in file order, then the first other one: each
		 * worker kept its first two, which include both, so the message
		 * does not depend on which thread read which block. */
		const struct example *a = NULL, *bb = NULL;
		for (unsigned t = 0; t < in->n_workers; t++)
			for (int i = 0; i < in->workers[t].n_currencies; i++) {
				const struct example *e = &in->workers[t].currencies[i];
				if (!a || where_before(e->at, a->at))
					a = e;
			}
		for (unsigned t = 0; t < in->n_workers; t++)
			for (int i = 0; i < in->workers[t].n_currencies; i++) {
				const struct example *e = &in->workers[t].currencies[i];
				if (strcmp(a->text, e->text) != 0 &&
				    (!bb || where_before(e->at, bb->at)))
					bb = e;
			}
		if (a && bb) {
			st = rebuy_error_set(
			        err, REBUY_EDATA,
			        "%s: the currency column holds more than one currency ('%s' "
			        "on line %llu, '%s' on line %llu): choose one with --currency",
			        rep->path, a->text, (unsigned long long)line_of(in, &lb, a->at),
			        bb->text, (unsigned long long)line_of(in, &lb, bb->at));
			goto out;
		}
		if (a)
			snprintf(rep->currency, sizeof rep->currency, "%.15s", a->text);
	} else if (in->opts->currency) {
		snprintf(rep->currency, sizeof rep->currency, "%.15s", in->opts->currency);
	}
	/* Slash dates: month first or day first, from the whole column. */
	*use_alt = 0;
	if (has_alt) {
		const struct example *m = first_example(in, offsetof(struct worker, mdy_only));
		const struct example *d = first_example(in, offsetof(struct worker, dmy_only));
		const struct example *a = first_example(in, offsetof(struct worker, ambiguous));
		if (m && d) {
			st = rebuy_error_set(
			        err, REBUY_EDATA,
			        "%s: the dates mix month/day ('%s' on line %llu) and day/month "
			        "('%s' on line %llu): give --date-format mdy or dmy",
			        rep->path, m->text, (unsigned long long)line_of(in, &lb, m->at),
			        d->text, (unsigned long long)line_of(in, &lb, d->at));
			goto out;
		}
		if (d) {
			*use_alt = 1;
			rep->date_format.kind = REBUY_DATE_DMY;
			rep->date_format_name = "dmy";
		} else if (m) {
			rep->date_format.kind = REBUY_DATE_MDY;
			rep->date_format_name = "mdy";
		} else if (a) {
			st = rebuy_error_set(
			        err, REBUY_EDATA,
			        "%s: every date reads both as month/day and as day/month "
			        "(e.g. '%s' on line %llu): give --date-format mdy or dmy",
			        rep->path, a->text, (unsigned long long)line_of(in, &lb, a->at));
			goto out;
		}
	}
	/* Line breaks, and the last line when it has none. */
	rep->lines = lb.base[in->n_blocks] + (in->text_bytes > 0 && in->last_byte != '\n');
out:
	rebuy__free(lb.base);
	return st;
}

static void free_workers(struct ingest *in)
{
	for (unsigned t = 0; t < in->n_workers; t++) {
		struct worker *w = &in->workers[t];
		rebuy__partial_free(w->part);
		rebuy__free(w->fields);
		rebuy__free(w->blines);
	}
	rebuy__free(in->workers);
	in->workers = NULL;
}

enum rebuy_status rebuy__ingest_read(const struct rebuy_input_options *opts,
                                     struct rebuy_input_report *rep, struct rebuy__partial ***parts,
                                     size_t *n_parts, int *use_alt, struct rebuy_error *err)
{
	struct ingest in;
	memset(&in, 0, sizeof in);
	memset(rep, 0, sizeof *rep);
	const char *path = opts->path ? opts->path : opts->data ? "(memory)" : "-";
	snprintf(rep->path, sizeof rep->path, "%s", strcmp(path, "-") ? path : "(stdin)");
	for (int r = 0; r < REBUY_ROLE_COUNT; r++) {
		in.col[r] = -1;
		rep->role_column[r] = -1;
	}
	in.opts = opts;
	in.rep = rep;
	in.n_workers = rebuy__ingest_threads(opts);
	in.max_blocks = 2 * (size_t)in.n_workers + 2;
	in.jobs_cap = in.max_blocks + 1;
	atomic_init(&in.stop_block, UINT64_MAX);
	pthread_mutex_init(&in.mu, NULL);
	pthread_cond_init(&in.cv_jobs, NULL);
	pthread_cond_init(&in.cv_free, NULL);
	*use_alt = 0;
	*parts = NULL;
	*n_parts = 0;

	struct rebuy__source src;
	enum rebuy_status st = opts->read   ? rebuy__source_open_reader(&src, rep->path, opts->read,
	                                                                opts->read_ud, err)
	                       : opts->data ? rebuy__source_open_memory(&src, rep->path, opts->data,
	                                                                opts->data_len, err)
	                                    : rebuy__source_open(&src, path, err);
	if (st)
		goto out_sync;
	rep->is_gzip = src.is_gzip;
	/* A small input gets small blocks (a request body need not cost 2 MiB);
	 * blocks only ever cut at row ends, so the result is the same. */
	in.block_size = BLOCK_SIZE;
	if (!src.is_gzip && src.size > 0 && src.size < BLOCK_SIZE)
		in.block_size = (size_t)src.size + 64 > 4096 ? (size_t)src.size + 64 : 4096;
	in.workers = rebuy__calloc(in.n_workers, sizeof *in.workers);
	in.jobs = rebuy__calloc(in.jobs_cap, sizeof *in.jobs);
	in.pool = rebuy__calloc(in.max_blocks, sizeof *in.pool);
	if (!in.workers || !in.jobs || !in.pool) {
		st = rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
		goto out;
	}
	for (unsigned t = 0; t < in.n_workers; t++)
		in.workers[t].in = &in;
	int has_alt = 0;
	double t0 = rebuy__now();
	st = read_stream(&in, &src, &has_alt, err);
	stop_workers(&in);
	progress(&in, &src);
	rep->bytes = in.text_bytes;
	if (st)
		goto out;
	for (unsigned t = 0; t < in.n_workers; t++) {
		if (in.workers[t].status) {
			st = rebuy_error_set(err, in.workers[t].status, "%s",
			                     in.workers[t].err.msg);
			goto out;
		}
	}
	if ((st = settle(&in, has_alt, use_alt, err)))
		goto out;
	for (unsigned t = 0; t < in.n_workers; t++) {
		const struct worker *w = &in.workers[t];
		rep->rows += w->rows;
		rep->blank_lines += w->blank;
		rep->rounded_amounts += w->rounded;
		rep->lines_merged += w->folded;
		for (int r = 0; r < REBUY_REASON_COUNT; r++)
			rep->rejected[r] += w->rejected[r];
	}
	rep->rows_used = rep->rows;
	for (int r = 0; r < REBUY_REASON_COUNT; r++)
		rep->rows_used -= rep->rejected[r];
	rep->seconds_read = rebuy__now() - t0;
	/* The partials go to the caller, which merges them bucket by bucket. */
	if (!(*parts = rebuy__malloc(in.n_workers * sizeof **parts))) {
		st = rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
		goto out;
	}
	for (unsigned t = 0; t < in.n_workers; t++) {
		(*parts)[t] = in.workers[t].part;
		in.workers[t].part = NULL;
	}
	*n_parts = in.n_workers;
out:
	if (in.workers)
		free_workers(&in);
	for (size_t i = 0; i < in.pool_n; i++)
		block_free(in.pool[i]);
	rebuy__free(in.pool);
	rebuy__free(in.jobs);
	rebuy__source_close(&src);
out_sync:
	pthread_mutex_destroy(&in.mu);
	pthread_cond_destroy(&in.cv_jobs);
	pthread_cond_destroy(&in.cv_free);
	return st;
}
