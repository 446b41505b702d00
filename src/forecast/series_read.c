/* A series from a small table (include/rebuy/forecast.h): one value column
 * read with strtod after trimming blanks, every value checked finite; the
 * first bad cell is the error, with its file and line. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "rebuy/forecast.h"
#include "rebuy/table.h"

void rebuy_series_free(struct rebuy_series *s)
{
	if (!s)
		return;
	rebuy__free(s->values);
	rebuy__free(s);
}

const char *rebuy_series_label(const struct rebuy_series *s, size_t i)
{
	if (s->label_col < 0 || i >= s->n)
		return "";
	return rebuy_table_cell(s->table, i, (size_t)s->label_col);
}

static int parse_value(const char *cell, double *v)
{
	while (*cell == ' ' || *cell == '\t')
		cell++;
	if (*cell == '\0')
		return 0;
	char *end;
	errno = 0;
	double d = strtod(cell, &end);
	while (*end == ' ' || *end == '\t' || *end == '\r')
		end++;
	if (end == cell || *end != '\0' || !isfinite(d))
		return 0;
	*v = d;
	return 1;
}

enum rebuy_status rebuy_series_read(const struct rebuy_table *t, const char *value_ref,
                                    struct rebuy_series **out, struct rebuy_error *err)
{
	*out = NULL;
	if (t->n_columns == 0 || t->n_rows == 0)
		return rebuy_error_set(err, REBUY_EDATA, "%s: no values", t->path);
	if (t->n_rows > REBUY_SERIES_MAX)
		return rebuy_error_set(err, REBUY_ELIMIT,
		                       "%s: %zu rows, a series holds at most %zu", t->path,
		                       t->n_rows, REBUY_SERIES_MAX);
	int col = (int)t->n_columns - 1;
	if (value_ref) {
		static const char *const none[] = {NULL};
		struct rebuy_table_role role = {"value", "value", value_ref, none, 1};
		enum rebuy_status st = rebuy_table_find_column(t, &role, &col, err);
		if (st)
			return st;
	}
	struct rebuy_series *s = rebuy__calloc(1, sizeof *s);
	if (!s || !(s->values = rebuy__malloc(sizeof(double) * t->n_rows))) {
		rebuy__free(s);
		return rebuy_error_set(err, REBUY_ENOMEM, "%s: out of memory", t->path);
	}
	s->table = t;
	s->value_col = col;
	s->label_col = t->n_columns > 1 ? (col == 0 ? 1 : 0) : -1;
	for (size_t i = 0; i < t->n_rows; i++) {
		const char *cell = rebuy_table_cell(t, i, (size_t)col);
		if (!parse_value(cell, &s->values[i])) {
			char shown[64];
			size_t len = strlen(cell);
			snprintf(shown, sizeof shown, "%.*s%s", (int)(len > 40 ? 40 : len), cell,
			         len > 40 ? "..." : "");
			for (char *c = shown; *c; c++)
				if ((unsigned char)*c < 0x20)
					*c = '?';
			rebuy_error_set(err, REBUY_EDATA,
			                "%s:%llu: value '%s' in column '%s' is not a finite number",
			                t->path, (unsigned long long)rebuy_table_row_line(t, i),
			                shown, rebuy_table_column_name(t, (size_t)col));
			rebuy_series_free(s);
			return REBUY_EDATA;
		}
	}
	s->n = t->n_rows;
	*out = s;
	return REBUY_OK;
}
