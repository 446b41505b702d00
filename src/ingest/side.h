/* Small text helpers shared by the order reader and the readers of side
 * tables (campaigns, surveys, touchpoints, attribution paths). */
#ifndef REBUY_INGEST_SIDE_H
#define REBUY_INGEST_SIDE_H

#include <stddef.h>

#include "rebuy/date.h"

/* s[0..n) cut to fit size for a message, control characters as spaces,
 * "..." at the end when cut. size must be at least 1. */
void rebuy__cut_textn(char *dst, size_t size, const char *s, size_t n);
/* The same for a NUL-terminated s. */
void rebuy__cut_text(char *dst, size_t size, const char *s);

/* s[0..*n) without leading and trailing spaces and tabs (*n updated).
 * Inline: the order reader calls it for every field. */
static inline const char *rebuy__trim_blanks(const char *s, size_t *n)
{
	while (*n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		(*n)--;
	}
	while (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
		(*n)--;
	return s;
}

/* The --date-format name of a date kind ("iso", "dmy", ...). */
const char *rebuy__date_kind_name(enum rebuy_date_kind k);

#endif
