/* rebuy — orders from a database, results back into one (docs/input.md,
 * "Databases").
 *
 * A source runs a query (or reads a whole table) and hands its rows to the
 * ordinary ingestion path as CSV text with a header row, so columns take
 * their roles by name exactly as a file's headers do. PostgreSQL streams the
 * rows with COPY (query) TO STDOUT (CSV); SQLite steps a read-only
 * statement. Memory: one row (SQLite) or one COPY message (PostgreSQL) at a
 * time. Messages never show a connection string (it may hold a password).
 */
#ifndef REBUY_DB_H
#define REBUY_DB_H

#include <stddef.h>

#include "rebuy/error.h"
#include "rebuy/input.h"

#ifdef __cplusplus
extern "C" {
#endif

struct rebuy_db_source;

/* 1 when `target` names a PostgreSQL database (a postgresql:// or
 * postgres:// URL, or a "key=value" connection string). */
int rebuy_db_is_postgres(const char *target);

/* Opens target (a PostgreSQL connection string, or a SQLite file, opened
 * read-only) and starts `query`, or reads table `table` (quoted as an
 * identifier; "schema.name" for PostgreSQL) when query is NULL. Exactly one
 * of query and table. On success *out is the caller's (rebuy_db_source_free).
 * Errors: REBUY_EARG, REBUY_EIO (cannot connect or open, the query fails),
 * REBUY_ENOMEM. */
enum rebuy_status rebuy_db_source_open(struct rebuy_db_source **out, const char *target,
                                       const char *query, const char *table,
                                       struct rebuy_error *err);

/* Points opts at the source (opts->read, read_ud, and path as a name for
 * messages); the source must outlive the reading. */
void rebuy_db_source_bind(struct rebuy_db_source *src, struct rebuy_input_options *opts);

void rebuy_db_source_free(struct rebuy_db_source *src);

/* Writes CSV text (a header row, then rows, as rebuy's CSV writer makes it)
 * into a new PostgreSQL table `table` in one transaction: CREATE TABLE with
 * a column per header name (bigint where every value is a whole number,
 * double precision where every value is a number, else text; empty cells
 * are NULL), then COPY FROM STDIN with the bytes as they are. Names are
 * quoted with PQescapeIdentifier; no value is ever put into SQL text.
 * REBUY_EIO when the table exists or the server refuses. */
enum rebuy_status rebuy_db_write_csv(const char *target, const char *table, const char *csv,
                                     size_t len, struct rebuy_error *err);

#ifdef __cplusplus
}
#endif
#endif
