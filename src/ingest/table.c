/* Side tables read whole (include/rebuy/table.h): the text is read into one
 * buffer under a size cap, checked (empty, binary, ZIP, UTF-16, an unclosed
 * quote), and cut into rows by the order reader's tokenizer (csv.h, RFC 4180
 * with its leniencies); each cell is NUL-terminated in place, so cells are
 * offsets into the text. Column names match as in DESIGN.md §3: normalized
 * (lower case, spaces and underscores removed), exact, never substrings. */
#include "rebuy/table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "ingest/csv.h"
#include "ingest/source.h"
#include "rebuy/input.h"

#define SNIFF_BYTES 65536
#define FIRST_READ ((size_t)1 << 16)

struct rebuy__table_priv {
	char *text;          /* the whole text, then a NUL; cells live inside it */
	uint32_t *cell;      /* offsets into text of every kept field, row by row */
	uint32_t *row_first; /* n_rows + 1 indexes into cell */
	uint32_t *row_nf;    /* fields each row had in the file (capped at UINT32_MAX) */
	uint32_t *row_line;  /* 1-based line of each row's start */
	char **names;        /* n_columns owned names */
	uint32_t empty;      /* the offset of a NUL: the cell of a missing field */
};

void rebuy_table_options_init(struct rebuy_table_options *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->path = "-";
	opts->header = 1;
}

void rebuy_table_free(struct rebuy_table *t)
{
	if (!t)
		return;
	struct rebuy__table_priv *p = t->priv;
	if (p) {
		if (p->names)
			for (size_t i = 0; i < t->n_columns; i++)
				rebuy__free(p->names[i]);
		rebuy__free(p->names);
		rebuy__free(p->text);
		rebuy__free(p->cell);
		rebuy__free(p->row_first);
		rebuy__free(p->row_nf);
		rebuy__free(p->row_line);
		rebuy__free(p);
	}
	rebuy__free(t);
}

const char *rebuy_table_column_name(const struct rebuy_table *t, size_t col)
{
	return col < t->n_columns ? t->priv->names[col] : "";
}

const char *rebuy_table_cell(const struct rebuy_table *t, size_t row, size_t col)
{
	const struct rebuy__table_priv *p = t->priv;
	if (row >= t->n_rows)
		return p->text + p->empty;
	uint32_t first = p->row_first[row], kept = p->row_first[row + 1] - first;
	return p->text + (col < kept ? p->cell[first + col] : p->empty);
}

size_t rebuy_table_row_fields(const struct rebuy_table *t, size_t row)
{
	return row < t->n_rows ? t->priv->row_nf[row] : 0;
}

uint64_t rebuy_table_row_line(const struct rebuy_table *t, size_t row)
{
	return row < t->n_rows ? t->priv->row_line[row] : 0;
}

/* ---- reading ---------------------------------------------------------------- */

/* Reads the whole source into *buf (a NUL after the text): at most max
 * bytes, REBUY_ELIMIT past them. */
static enum rebuy_status read_all(struct rebuy__source *src, const char *path, size_t max,
                                  char **buf, size_t *len, struct rebuy_error *err)
{
	size_t cap = FIRST_READ;
	/* A plain file of known size is read in one go. */
	if (!src->is_gzip && src->size > 0 && src->size < max)
		cap = (size_t)src->size + 1;
	if (cap > max + 1)
		cap = max + 1;
	char *b = rebuy__malloc(cap + 1);
	if (!b)
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	size_t n = 0;
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				rebuy__free(b);
				int mib = max % ((size_t)1 << 20) == 0;
				return rebuy_error_set(
				        err, REBUY_ELIMIT,
				        "%s: larger than %zu %s, the limit for a side "
				        "table (it is read whole into memory)",
				        path, mib ? max >> 20 : max, mib ? "MiB" : "bytes");
			}
			size_t ncap = cap > (max + 1) / 2 ? max + 1 : cap * 2;
			char *nb = rebuy__realloc(b, ncap + 1);
			if (!nb) {
				rebuy__free(b);
				return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
			}
			b = nb;
			cap = ncap;
		}
		size_t got;
		enum rebuy_status st = rebuy__source_read(src, b + n, cap - n, &got, err);
		if (st) {
			rebuy__free(b);
			return st;
		}
		if (got == 0)
			break;
		n += got;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return REBUY_OK;
}

/* The wording of the order reader's checks (src/ingest/ingest.c), with the
 * NUL looked for in the whole text: cells are C strings. */
static enum rebuy_status check_content(const char *path, const unsigned char *p, size_t n,
                                       struct rebuy_error *err)
{
	if (n == 0)
		return rebuy_error_set(err, REBUY_EDATA, "%s: the file is empty", path);
	if (n >= 4 && p[0] == 'P' && p[1] == 'K' && p[2] == 3 && p[3] == 4)
		return rebuy_error_set(
		        err, REBUY_EDATA,
		        "%s: this is a ZIP archive (an .xlsx workbook?), not CSV text: "
		        "save the sheet as CSV",
		        path);
	if (n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF)))
		return rebuy_error_set(err, REBUY_EDATA,
		                       "%s: the text is UTF-16; save it as UTF-8 CSV", path);
	const unsigned char *nul = memchr(p, 0, n);
	if (nul)
		return rebuy_error_set(
		        err, REBUY_EDATA,
		        "%s: binary data (a NUL byte at offset %zu): not a CSV export", path,
		        (size_t)(nul - p));
	return REBUY_OK;
}

/* The offset of a quote that opens a field and is never closed, or len.
 * The same walk as the tokenizer (csv.c): a field is quoted when its first
 * byte is a quote; "" inside is one quote; after the closing quote, and in
 * an unquoted field, quotes are ordinary up to the delimiter or line break. */
static size_t unclosed_quote(const char *buf, size_t len, char delim)
{
	size_t i = 0;
	while (i < len) {
		if (buf[i] == '"') {
			size_t open = i++;
			for (;;) {
				const char *q = memchr(buf + i, '"', len - i);
				if (!q)
					return open;
				i = (size_t)(q - buf) + 1;
				if (i < len && buf[i] == '"') {
					i++;
					continue;
				}
				break;
			}
		}
		while (i < len && buf[i] != delim && buf[i] != '\n')
			i++;
		i++; /* past the delimiter or line break: a field starts */
	}
	return len;
}

static uint64_t count_lines(const char *p, size_t n)
{
	uint64_t k = 0;
	const char *end = p + n;
	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		k++;
		p++;
	}
	return k;
}

static int is_blank_row(const struct rebuy__csv_field *f, size_t nf)
{
	return nf == 1 && f[0].n == 0 && !f[0].quoted;
}

static enum rebuy_status oom(struct rebuy_error *err)
{
	return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
}

struct reader {
	struct rebuy_table *t;
	struct rebuy__table_priv *p;
	size_t cell_cap, row_cap, meta_cap;
};

static enum rebuy_status take_names(struct reader *r, const struct rebuy__csv_field *f, size_t nf,
                                    int from_header, struct rebuy_error *err)
{
	struct rebuy_table *t = r->t;
	if (!(r->p->names = rebuy__calloc(nf, sizeof *r->p->names)))
		return oom(err);
	t->n_columns = nf;
	for (size_t i = 0; i < nf; i++) {
		const char *s = from_header ? f[i].p : "";
		size_t n = from_header ? f[i].n : 0;
		while (n > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			n--;
		}
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		char tmp[32];
		if (n == 0) {
			n = (size_t)snprintf(tmp, sizeof tmp, "column %zu", i + 1);
			s = tmp;
		}
		char *name = rebuy__strndup(s, n);
		if (!(r->p->names[i] = name))
			return oom(err);
		/* Names reach terminals and messages: no control characters. */
		for (size_t k = 0; k < n; k++)
			if ((unsigned char)name[k] < 0x20 || name[k] == 0x7f)
				name[k] = ' ';
	}
	return REBUY_OK;
}

/* Appends a row of nf fields (kept: the first n_columns of them). */
static enum rebuy_status add_row(struct reader *r, const char *text,
                                 const struct rebuy__csv_field *f, size_t nf, uint64_t line,
                                 struct rebuy_error *err)
{
	struct rebuy_table *t = r->t;
	struct rebuy__table_priv *p = r->p;
	size_t kept = nf < t->n_columns ? nf : t->n_columns;
	size_t first = p->row_first[t->n_rows];
	enum rebuy_status st;
	if ((st = rebuy__grow((void **)&p->cell, &r->cell_cap, first + kept, sizeof *p->cell,
	                      UINT32_MAX)) ||
	    (st = rebuy__grow((void **)&p->row_first, &r->row_cap, t->n_rows + 2,
	                      sizeof *p->row_first, UINT32_MAX)))
		return st == REBUY_ENOMEM ? oom(err)
		                          : rebuy_error_set(err, st, "%s: too many cells", t->path);
	/* The per-row arrays follow row_first's capacity. */
	if (r->meta_cap < r->row_cap) {
		uint32_t *nf_arr = rebuy__realloc(p->row_nf, r->row_cap * sizeof *p->row_nf);
		if (!nf_arr)
			return oom(err);
		p->row_nf = nf_arr;
		uint32_t *line_arr = rebuy__realloc(p->row_line, r->row_cap * sizeof *p->row_line);
		if (!line_arr)
			return oom(err);
		p->row_line = line_arr;
		r->meta_cap = r->row_cap;
	}
	for (size_t i = 0; i < kept; i++) {
		/* The byte after a field is its delimiter, line break, CR, closing
		 * quote or the NUL after the text: free to overwrite. */
		char *cell = (char *)f[i].p;
		cell[f[i].n] = '\0';
		p->cell[first + i] = (uint32_t)(cell - text);
	}
	p->row_nf[t->n_rows] = nf > UINT32_MAX ? UINT32_MAX : (uint32_t)nf;
	p->row_line[t->n_rows] = (uint32_t)line;
	p->row_first[t->n_rows + 1] = (uint32_t)(first + kept);
	t->n_rows++;
	return REBUY_OK;
}

static enum rebuy_status cut_rows(struct reader *r, const struct rebuy_table_options *opts,
                                  char *text, size_t start, size_t len, struct rebuy_error *err)
{
	struct rebuy_table *t = r->t;
	struct rebuy__csv_dialect d = {
	        .delim = t->delimiter == REBUY_DELIM_WHITESPACE ? ',' : t->delimiter,
	        .whitespace = t->delimiter == REBUY_DELIM_WHITESPACE};
	struct rebuy__csv_field *f = rebuy__malloc(REBUY_TABLE_MAX_COLUMNS * sizeof *f);
	if (!f)
		return oom(err);
	enum rebuy_status st = REBUY_OK;
	size_t pos = start, max_fields = REBUY_TABLE_MAX_COLUMNS;
	uint64_t line = 1;
	int have_columns = 0;
	for (;;) {
		size_t nf;
		uint64_t nl;
		enum rebuy__csv_row_status rs =
		        rebuy__csv_row(&d, text, len, &pos, f, max_fields, &nf, &nl);
		if (rs == REBUY__CSV_END)
			break;
		if (rs == REBUY__CSV_UNTERMINATED) {
			/* unclosed_quote() finds these first; kept as a guard. */
			st = rebuy_error_set(err, REBUY_EDATA,
			                     "%s:%llu: a quoted field opened here is never closed",
			                     t->path, (unsigned long long)line);
			goto out;
		}
		if (is_blank_row(f, nf)) {
			t->blank_lines++;
			line += nl;
			continue;
		}
		if (!have_columns) {
			if (nf > REBUY_TABLE_MAX_COLUMNS) {
				st = rebuy_error_set(
				        err, REBUY_ELIMIT, "%s:%llu: more than %d columns", t->path,
				        (unsigned long long)line, REBUY_TABLE_MAX_COLUMNS);
				goto out;
			}
			have_columns = 1;
			max_fields = nf;
			if ((st = take_names(r, f, nf, opts->header, err)))
				goto out;
			if (opts->header) {
				line += nl;
				continue;
			}
		}
		if ((st = add_row(r, text, f, nf, line, err)))
			goto out;
		line += nl;
	}
	if (!have_columns)
		st = rebuy_error_set(err, REBUY_EDATA, "%s: the file holds only blank lines",
		                     t->path);
out:
	rebuy__free(f);
	return st;
}

enum rebuy_status rebuy_table_read(struct rebuy_table **out, const struct rebuy_table_options *opts,
                                   struct rebuy_error *err)
{
	*out = NULL;
	size_t max = opts->max_bytes ? opts->max_bytes : REBUY_TABLE_MAX_BYTES;
	if (max > REBUY_TABLE_MAX_BYTES_LIMIT)
		return rebuy_error_set(err, REBUY_EARG,
		                       "a side table may be at most %zu MiB (%zu MiB asked)",
		                       REBUY_TABLE_MAX_BYTES_LIMIT >> 20, max >> 20);
	char delim = opts->delimiter;
	if (delim && !strchr(",;\t|", delim) && delim != REBUY_DELIM_WHITESPACE)
		return rebuy_error_set(err, REBUY_EARG,
		                       "delimiter '%c' is not one of , ; tab | "
		                       "whitespace",
		                       delim);
	struct rebuy_table *t = rebuy__calloc(1, sizeof *t);
	if (!t)
		return oom(err);
	struct reader r = {.t = t};
	enum rebuy_status st;
	if (!(t->priv = r.p = rebuy__calloc(1, sizeof *r.p))) {
		st = oom(err);
		goto fail;
	}
	const char *path = opts->path ? opts->path : opts->data ? "(memory)" : "-";
	snprintf(t->path, sizeof t->path, "%s", strcmp(path, "-") ? path : "(stdin)");
	t->has_header = opts->header != 0;

	struct rebuy__source src;
	st = opts->data ? rebuy__source_open_memory(&src, t->path, opts->data, opts->data_len, err)
	                : rebuy__source_open(&src, path, err);
	if (st)
		goto fail;
	t->is_gzip = src.is_gzip;
	size_t len = 0;
	st = read_all(&src, t->path, max, &r.p->text, &len, err);
	rebuy__source_close(&src);
	if (st)
		goto fail;
	char *text = r.p->text;
	t->bytes = len;
	r.p->empty = (uint32_t)len; /* the NUL after the text */
	if ((st = check_content(t->path, (const unsigned char *)text, len, err)))
		goto fail;
	size_t start = 0;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
		t->has_bom = 1;
		start = 3;
	}
	if (!delim)
		delim = rebuy__csv_sniff_delimiter(
		        text + start, len - start < SNIFF_BYTES ? len - start : SNIFF_BYTES);
	t->delimiter = delim;
	t->lines = count_lines(text, len) + (text[len - 1] != '\n');
	if (delim != REBUY_DELIM_WHITESPACE) {
		size_t q = unclosed_quote(text + start, len - start, delim);
		if (q < len - start) {
			st = rebuy_error_set(
			        err, REBUY_EDATA,
			        "%s:%llu: a quoted field opened here is never closed", t->path,
			        (unsigned long long)(count_lines(text, start + q) + 1));
			goto fail;
		}
	}
	if (!(r.p->row_first = rebuy__calloc(1, sizeof *r.p->row_first))) {
		st = oom(err);
		goto fail;
	}
	r.row_cap = 1;
	if ((st = cut_rows(&r, opts, text, start, len, err)))
		goto fail;
	*out = t;
	return REBUY_OK;
fail:
	rebuy_table_free(t);
	return st;
}

/* ---- columns ----------------------------------------------------------------- */

/* Lower case (ASCII and Cyrillic in UTF-8), spaces and underscores removed:
 * the rule of the order reader's roles (src/ingest/roles.c). */
void rebuy_table_normalize_name(const char *s, char *out, size_t size)
{
	size_t k = 0, n = strlen(s);
	if (size == 0)
		return;
	for (size_t i = 0; i < n && k + 2 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '_')
			continue;
		if (c >= 'A' && c <= 'Z') {
			out[k++] = (char)(c - 'A' + 'a');
			continue;
		}
		if (c == 0xD0 && i + 1 < n) {
			unsigned char d = (unsigned char)s[i + 1];
			/* А..П (D0 90..9F) -> а..п (D0 B0..BF); Р..Я (D0 A0..AF) -> р..я
			 * (D1 80..8F); Ё (D0 81) -> ё (D1 91). */
			if (d >= 0x90 && d <= 0x9F) {
				out[k++] = (char)0xD0;
				out[k++] = (char)(d + 0x20);
				i++;
				continue;
			}
			if (d >= 0xA0 && d <= 0xAF) {
				out[k++] = (char)0xD1;
				out[k++] = (char)(d - 0x20);
				i++;
				continue;
			}
			if (d == 0x81) {
				out[k++] = (char)0xD1;
				out[k++] = (char)0x91;
				i++;
				continue;
			}
		}
		out[k++] = (char)c;
	}
	/* A last byte that did not fit with room to spare still fits alone. */
	out[k] = '\0';
}

/* "a, b, c" into buf, cut with "..." when long. */
static void list_columns(const struct rebuy_table *t, char *buf, size_t size)
{
	size_t k = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < t->n_columns; i++) {
		int w = snprintf(buf + k, size - k, "%s%s", i ? ", " : "",
		                 rebuy_table_column_name(t, i));
		if (w < 0 || (size_t)w >= size - k) {
			if (size > 4)
				memcpy(buf + size - 4, "...", 4);
			return;
		}
		k += (size_t)w;
	}
}

#define NAME_MAX_NORM 256

static int find_ref(const struct rebuy_table *t, const char *ref)
{
	for (size_t i = 0; i < t->n_columns; i++)
		if (strcmp(rebuy_table_column_name(t, i), ref) == 0)
			return (int)i;
	char want[NAME_MAX_NORM], have[NAME_MAX_NORM];
	rebuy_table_normalize_name(ref, want, sizeof want);
	for (size_t i = 0; i < t->n_columns && want[0]; i++) {
		rebuy_table_normalize_name(rebuy_table_column_name(t, i), have, sizeof have);
		if (strcmp(want, have) == 0)
			return (int)i;
	}
	char *end;
	long k = strtol(ref, &end, 10);
	if (*ref >= '0' && *ref <= '9' && !*end && k >= 1 && (size_t)k <= t->n_columns)
		return (int)k - 1;
	return -1;
}

enum rebuy_status rebuy_table_find_column(const struct rebuy_table *t,
                                          const struct rebuy_table_role *role, int *col,
                                          struct rebuy_error *err)
{
	char cols[300];
	*col = -1;
	if (role->ref) {
		int c = find_ref(t, role->ref);
		if (c < 0) {
			list_columns(t, cols, sizeof cols);
			return rebuy_error_set(
			        err, REBUY_EARG,
			        "--%s %s: %s has no such column (the columns are: %s)", role->flag,
			        role->ref, t->path, cols);
		}
		*col = c;
		return REBUY_OK;
	}
	int found = -1;
	char have[NAME_MAX_NORM];
	for (size_t i = 0; i < t->n_columns && t->has_header; i++) {
		rebuy_table_normalize_name(rebuy_table_column_name(t, i), have, sizeof have);
		for (size_t k = 0; role->names && role->names[k]; k++) {
			if (strcmp(have, role->names[k]) != 0)
				continue;
			if (found >= 0)
				return rebuy_error_set(
				        err, REBUY_EDATA,
				        "%s: two columns could be the %s: '%s' and '%s' "
				        "(choose one with --%s COLUMN)",
				        t->path, role->role,
				        rebuy_table_column_name(t, (size_t)found),
				        rebuy_table_column_name(t, i), role->flag);
			found = (int)i;
			break;
		}
	}
	if (found < 0 && role->is_required) {
		list_columns(t, cols, sizeof cols);
		return rebuy_error_set(err, REBUY_EDATA,
		                       "%s: no %s column: the columns are %s (name it with --%s "
		                       "COLUMN)",
		                       t->path, role->role, cols, role->flag);
	}
	*col = found;
	return REBUY_OK;
}

enum rebuy_status rebuy_table_find_columns(const struct rebuy_table *t,
                                           const struct rebuy_table_role *roles, size_t n, int *col,
                                           struct rebuy_error *err)
{
	for (size_t k = 0; k < n; k++) {
		enum rebuy_status st = rebuy_table_find_column(t, &roles[k], &col[k], err);
		if (st)
			return st;
	}
	for (size_t a = 0; a < n; a++)
		for (size_t b = a + 1; b < n; b++)
			if (col[a] >= 0 && col[a] == col[b])
				return rebuy_error_set(err, REBUY_EARG,
				                       "%s: the %s and the %s would both be column "
				                       "'%s' (name them with --%s and --%s)",
				                       t->path, roles[a].role, roles[b].role,
				                       rebuy_table_column_name(t, (size_t)col[a]),
				                       roles[a].flag, roles[b].flag);
	return REBUY_OK;
}
