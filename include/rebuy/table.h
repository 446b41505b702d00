/* rebuy — small side tables read whole into memory.
 *
 * Surveys, campaign lists, contracts and touchpoints are small tables beside
 * the order export. rebuy_table_read reads one (a path, "-" for stdin, or
 * bytes in memory; gzip detected by content; a UTF-8 BOM skipped; CRLF or
 * LF; RFC 4180 quoting as in the order reader; the delimiter , ; TAB | or
 * runs of blanks detected from the first 64 KiB unless given) into a table
 * of cells: NUL-terminated strings, row-major, each row with the 1-based
 * physical line it starts on. The whole text is held once, and the cells
 * point into it (quotes removed, nothing else changed: no trimming).
 *
 * Memory: the text (at most max_bytes, 256 MiB by default, counted after
 * decompression, so a gzip bomb stops there) plus 4 bytes per cell and 12
 * per row. Blank lines are not rows. A row with fewer fields than the table
 * has columns reads "" for the missing ones; the fields of a row beyond the
 * table's columns are dropped (rebuy_table_row_fields still counts them).
 *
 * A read table is immutable and may be read from several threads at once.
 */
#ifndef REBUY_TABLE_H
#define REBUY_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The default cap on a table's text, and the largest cap that may be set. */
#define REBUY_TABLE_MAX_BYTES ((size_t)256 << 20)
#define REBUY_TABLE_MAX_BYTES_LIMIT ((size_t)1 << 30)
/* Columns a table may have (as the order reader). */
#define REBUY_TABLE_MAX_COLUMNS 4096

struct rebuy_table_options {
	const char *path; /* a file, or "-" for stdin; with data: a name for messages */
	const void *data; /* read these bytes instead (borrowed during the call; may be gzip) */
	size_t data_len;
	char delimiter;   /* 0: detect; or , ; \t | or REBUY_DELIM_WHITESPACE (' ') */
	int header;       /* 1 (default): the first non-blank row holds the column names */
	size_t max_bytes; /* 0: REBUY_TABLE_MAX_BYTES; at most REBUY_TABLE_MAX_BYTES_LIMIT */
};

/* Defaults: stdin, delimiter detected, a header row, 256 MiB. */
void rebuy_table_options_init(struct rebuy_table_options *opts);

struct rebuy_table {
	char path[256];       /* for messages: the path, "(stdin)" or the name given with data */
	int is_gzip;          /* the input was gzip-compressed */
	int has_bom;          /* a UTF-8 byte order mark was skipped */
	int has_header;       /* the column names came from the first non-blank row */
	char delimiter;       /* as used; REBUY_DELIM_WHITESPACE for runs of blanks */
	size_t n_columns;     /* the header's fields, or the first row's without a header */
	size_t n_rows;        /* data rows (blank lines are not rows) */
	uint64_t bytes;       /* text bytes read, after decompression, BOM included */
	uint64_t lines;       /* physical lines */
	uint64_t blank_lines; /* blank lines, before the header too */
	struct rebuy__table_priv *priv;
};

/* Reads a table. On success *out owns a new table (free with
 * rebuy_table_free); on failure *out is NULL and err says where and what:
 * REBUY_EIO (cannot open or read), REBUY_EDATA (empty, only blank lines,
 * binary data, a ZIP archive or .xlsx, UTF-16 text, corrupt gzip, or
 * "file:line: a quoted field opened here is never closed"), REBUY_ELIMIT
 * (larger than max_bytes, or more than REBUY_TABLE_MAX_COLUMNS columns),
 * REBUY_EARG (a bad option), REBUY_ENOMEM. Never prints; thread-safe. */
enum rebuy_status rebuy_table_read(struct rebuy_table **out, const struct rebuy_table_options *opts,
                                   struct rebuy_error *err);

void rebuy_table_free(struct rebuy_table *table);

/* The name of column col (< n_columns): the header cell trimmed of spaces
 * and tabs, control characters (a line break in a quoted name) read as
 * spaces; "column N" (1-based) for an empty header cell and for every
 * column of a table without a header. Borrowed, valid while the table
 * lives. */
const char *rebuy_table_column_name(const struct rebuy_table *table, size_t col);

/* The cell of row (< n_rows) and column (< n_columns), NUL-terminated, as
 * read (quotes removed, not trimmed); "" when the row has fewer fields.
 * Borrowed, valid while the table lives. A cell never holds a NUL byte (such
 * input is refused as binary). */
const char *rebuy_table_cell(const struct rebuy_table *table, size_t row, size_t col);

/* How many fields row had in the file (may be more or fewer than n_columns). */
size_t rebuy_table_row_fields(const struct rebuy_table *table, size_t row);

/* The 1-based physical line row starts on. */
uint64_t rebuy_table_row_line(const struct rebuy_table *table, size_t row);

/* How one column is looked for. */
struct rebuy_table_role {
	const char *role; /* "customer": for messages */
	const char
	        *flag; /* the option naming it, without dashes ("survey-customer"), for messages */
	const char *ref; /* that option's value, or NULL: a header name or a 1-based number */
	const char *const *names; /* normalized names that take the role, NULL-terminated */
	int is_required;
};

/* Finds role's column. With ref: the column whose name equals ref, else
 * whose normalized name equals ref's, else the ref-th column (1-based);
 * none is REBUY_EARG naming the flag, the value and the columns. Without
 * ref: the column whose normalized name (lower case, ASCII and Cyrillic;
 * spaces and underscores removed) equals one of names exactly; two such
 * columns are REBUY_EDATA naming both; none is REBUY_EDATA listing the
 * columns when is_required, else *col = -1 and REBUY_OK. */
enum rebuy_status rebuy_table_find_column(const struct rebuy_table *table,
                                          const struct rebuy_table_role *role, int *col,
                                          struct rebuy_error *err);

/* Finds the columns of n roles (rebuy_table_find_column each, into
 * col[0..n)), then refuses two roles on one column: REBUY_EARG "path: the
 * A and the B would both be column 'C' (name them with --FA and --FB)". */
enum rebuy_status rebuy_table_find_columns(const struct rebuy_table *table,
                                           const struct rebuy_table_role *roles, size_t n, int *col,
                                           struct rebuy_error *err);

/* Writes the normalized form of name (as above) into out, cut to size - 1
 * bytes and NUL-terminated. */
void rebuy_table_normalize_name(const char *name, char *out, size_t size);

#ifdef __cplusplus
}
#endif
#endif
