/* Streaming row writer for long tables: CSV (RFC 4180, formula cells
 * guarded as in csv_out.c), JSON (an array of objects, written as rows come)
 * or fixed-width text. Memory does not grow with the number of rows. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "rebuy/money.h"
#include "report/doc_int.h"

#define TABLE_WIDTH 12

struct rebuy_rows {
	FILE *out;
	enum rebuy_format format;
	int raw, has_key;
	uint64_t base; /* a fork: rows counted before its own */
	size_t n_columns, col;
	uint64_t n_rows;
	char **columns;
};

static void csv_text(FILE *out, const char *s, int raw)
{
	int guard = !raw && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
	                     s[0] == '\t' || s[0] == '\r');
	int quote = strpbrk(s, ",\"\r\n") != NULL;
	if (!quote && !guard) {
		fputs(s, out);
		return;
	}
	if (quote)
		fputc('"', out);
	if (guard)
		fputc('\'', out);
	/* Runs between quotes in one write each, every quote doubled. */
	for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
		fwrite(s, 1, (size_t)(q - s) + 1, out);
		fputc('"', out);
	}
	fputs(s, out);
	if (quote)
		fputc('"', out);
}

struct rebuy_rows *rebuy_rows_new(FILE *out, enum rebuy_format format, const char *json_key,
                                  const char *const *columns, size_t n_columns,
                                  const struct rebuy_csv_options *opts)
{
	struct rebuy_rows *w = rebuy__calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->out = out;
	w->format = format;
	w->raw = opts && opts->raw;
	w->n_columns = n_columns;
	w->columns = rebuy__calloc(n_columns ? n_columns : 1, sizeof *w->columns);
	if (!w->columns) {
		rebuy__free(w);
		return NULL;
	}
	for (size_t i = 0; i < n_columns; i++) {
		if (!(w->columns[i] = rebuy__strndup(columns[i], strlen(columns[i])))) {
			w->n_columns = i;
			rebuy_rows_finish(w);
			return NULL;
		}
	}
	switch (format) {
	case REBUY_FORMAT_CSV:
		for (size_t i = 0; i < n_columns; i++) {
			if (i)
				fputc(',', out);
			csv_text(out, columns[i], 1);
		}
		fputc('\n', out);
		break;
	case REBUY_FORMAT_JSON:
		if (json_key) {
			fputs("{\n  ", out);
			rebuy_json_string(out, json_key);
			fputs(": [", out);
			w->has_key = 1;
		} else {
			fputc('[', out);
		}
		break;
	default:
		for (size_t i = 0; i < n_columns; i++)
			fprintf(out, i ? "  %*s" : "%-*s", TABLE_WIDTH, columns[i]);
		fputc('\n', out);
		break;
	}
	return w;
}

/* Writes a cell whose text form is s; quoted marks a string for JSON. */
static void cell(struct rebuy_rows *w, const char *s, int is_string, int is_null)
{
	FILE *out = w->out;
	size_t i = w->col++;
	switch (w->format) {
	case REBUY_FORMAT_CSV:
		if (i)
			fputc(',', out);
		if (!is_null)
			csv_text(out, s, w->raw || !is_string);
		break;
	case REBUY_FORMAT_JSON:
		if (i == 0)
			fprintf(out, "%s\n%s{", w->n_rows ? "," : "", w->has_key ? "    " : "  ");
		else
			fputs(", ", out);
		rebuy_json_string(out, i < w->n_columns ? w->columns[i] : "");
		fputs(": ", out);
		if (is_null)
			fputs("null", out);
		else if (is_string)
			rebuy_json_string(out, s);
		else
			fputs(s, out);
		break;
	default: {
		if (is_null)
			s = "-";
		/* A terminal shows control characters from input as '?'. */
		char safe[256];
		snprintf(safe, sizeof safe, "%s", s);
		for (char *p = safe; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		if (i == 0)
			fprintf(out, "%-*s", TABLE_WIDTH, safe);
		else
			fprintf(out, "  %*s", TABLE_WIDTH, safe);
		break;
	}
	}
}

void rebuy_rows_str(struct rebuy_rows *w, const char *s)
{
	cell(w, s, 1, 0);
}

void rebuy_rows_int(struct rebuy_rows *w, int64_t v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%" PRId64, v);
	cell(w, buf, 0, 0);
}

void rebuy_rows_num(struct rebuy_rows *w, double v)
{
	char buf[40];
	if (!isfinite(v)) {
		cell(w, "", 0, 1);
		return;
	}
	rebuy_format_double(v, buf, sizeof buf);
	cell(w, buf, 0, 0);
}

void rebuy_rows_money(struct rebuy_rows *w, int64_t units)
{
	char buf[32];
	rebuy_money_format(units, buf, sizeof buf);
	cell(w, buf, 0, 0);
}

void rebuy_rows_null(struct rebuy_rows *w)
{
	cell(w, "", 0, 1);
}

void rebuy_rows_end_row(struct rebuy_rows *w)
{
	if (w->format == REBUY_FORMAT_JSON)
		fputc('}', w->out);
	else
		fputc('\n', w->out);
	w->col = 0;
	w->n_rows++;
}

struct rebuy_rows *rebuy__rows_fork(const struct rebuy_rows *w, FILE *out, int continues)
{
	struct rebuy_rows *f = rebuy__calloc(1, sizeof *f);
	if (!f)
		return NULL;
	*f = *w; /* columns borrowed from w */
	f->out = out;
	f->col = 0;
	f->n_rows = f->base = continues ? 1 : 0;
	return f;
}

uint64_t rebuy__rows_join(struct rebuy_rows *w, struct rebuy_rows *fork)
{
	uint64_t n = fork->n_rows - fork->base;
	rebuy__free(fork);
	w->n_rows += n;
	return n;
}

enum rebuy_status rebuy_rows_finish(struct rebuy_rows *w)
{
	if (!w)
		return REBUY_ENOMEM;
	if (w->format == REBUY_FORMAT_JSON)
		fputs(w->has_key ? (w->n_rows ? "\n  ]\n}\n" : "]\n}\n")
		                 : (w->n_rows ? "\n]\n" : "]\n"),
		      w->out);
	int bad = ferror(w->out);
	for (size_t i = 0; i < w->n_columns; i++)
		rebuy__free(w->columns[i]);
	rebuy__free(w->columns);
	rebuy__free(w);
	return bad ? REBUY_EIO : REBUY_OK;
}
