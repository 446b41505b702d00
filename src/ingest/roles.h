/* Column roles: header names normalized (lower case, spaces and underscores
 * removed) and matched exactly against the lists of DESIGN.md §3, overridden
 * by flags (--customer COL ...) or given by position (--columns). */
#ifndef REBUY_INGEST_ROLES_H
#define REBUY_INGEST_ROLES_H

#include <stddef.h>

#include "ingest/csv.h"
#include "rebuy/input.h"

/* Fills report->column_names, n_columns, role_column and role_by_flag from
 * the first row (names when has_header, else "column N") and the options.
 * Errors name what was seen: two candidates for one role, a flag naming no
 * column, no customer or no date column (listing the columns). */
enum rebuy_status rebuy__roles_assign(struct rebuy_input_report *report,
                                      const struct rebuy__csv_field *fields, size_t n_fields,
                                      int has_header, const struct rebuy_input_options *opts,
                                      struct rebuy_error *err);

/* The column a flag refers to: a header name (exact, then normalized) or a
 * 1-based number; -1 when none. */
int rebuy__roles_find_column(const struct rebuy_input_report *report, const char *ref);

/* "a, b, c" into buf, cut with "..." when long. */
void rebuy__roles_list_columns(const struct rebuy_input_report *report, char *buf, size_t size);

/* The normalized header names that take a role, NULL-terminated (for
 * readers of other layouts that detect the same columns). */
const char *const *rebuy__role_headers(enum rebuy_role role);

/* Releases the column names held by a report. */
void rebuy__report_release_names(struct rebuy_input_report *report);

#endif
