/* CSV and whitespace-separated rows, zero-copy.
 *
 * RFC 4180: a field that starts with a quote runs to the matching quote, and
 * "" inside it is one quote; quoted fields may hold delimiters and newlines.
 * Leniency where exports are sloppy: a quote inside an unquoted field is an
 * ordinary character (12" pizza), text after a closing quote is appended to
 * the field ("a"b -> ab), CRLF and LF both end rows, a trailing CR is
 * dropped. Whitespace mode (the CDNOW layout): fields are runs of non-blank
 * bytes separated by spaces or tabs; quotes have no meaning there.
 *
 * Fields are slices of the caller's buffer, valid until the buffer is reused;
 * unescaping a quoted field rewrites the buffer in place (it only shrinks).
 */
#ifndef REBUY_INGEST_CSV_H
#define REBUY_INGEST_CSV_H

#include <stddef.h>
#include <stdint.h>

#define REBUY__CSV_MAX_FIELDS 4096

struct rebuy__csv_field {
	const char *p;
	uint32_t n;
	uint32_t quoted;
};

struct rebuy__csv_dialect {
	char delim;     /* , ; \t | (ignored in whitespace mode) */
	int whitespace; /* fields separated by runs of blanks */
};

enum rebuy__csv_row_status {
	REBUY__CSV_ROW,         /* a row was read */
	REBUY__CSV_END,         /* no more rows in the buffer */
	REBUY__CSV_UNTERMINATED /* a quoted field runs past the end of the buffer */
};

/* Reads the row starting at *pos in buf[0..len). Stores up to max_fields
 * fields; *n_fields gets the row's real field count (which may exceed
 * max_fields). *newlines gets the number of line breaks consumed (the row's
 * own terminator included, so 0 only for a last row without one). A blank
 * line is a row with one empty field. */
enum rebuy__csv_row_status rebuy__csv_row(const struct rebuy__csv_dialect *d, char *buf, size_t len,
                                          size_t *pos, struct rebuy__csv_field *fields,
                                          size_t max_fields, size_t *n_fields, uint64_t *newlines);

/* Where the last complete row in buf[0..len) ends (the offset just past its
 * line break), reading buf as starting at a row start; 0 when no row is
 * complete. Does not modify buf. */
size_t rebuy__csv_last_row_end(const struct rebuy__csv_dialect *d, const char *buf, size_t len);

/* Counts delimiter candidates per line to pick the delimiter of a sample
 * (the first rows of a file): returns one of , ; \t | when one splits the
 * sample's lines into the same number (> 1) of fields on most lines, else
 * REBUY_DELIM_WHITESPACE when runs of blanks do, else ','. */
char rebuy__csv_sniff_delimiter(const char *buf, size_t len);

#endif
