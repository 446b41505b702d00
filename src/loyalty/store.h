/* The loyalty ledger's store interface: one connection to a SQL database
 * behind a small table of functions, so that the ledger's logic (ledger.c)
 * is written once for SQLite and PostgreSQL.
 *
 * Statements are named by number (enum q in ledger_sql.h) and written once
 * with '?' placeholders; a back end prepares each statement at most once per
 * connection and caches it. Values are bound as parameters, never pasted into
 * SQL. A connection is used by one thread at a time.
 */
#ifndef REBUY_LOYALTY_STORE_H
#define REBUY_LOYALTY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/error.h"

enum sval_type { SV_NULL, SV_INT, SV_TEXT };

/* A parameter: an integer, or text (p, n: not NUL-terminated; borrowed). */
struct sval {
	enum sval_type type;
	int64_t i;
	const char *p;
	size_t n;
};

static inline struct sval sv_int(int64_t i)
{
	struct sval v = {SV_INT, i, NULL, 0};
	return v;
}
struct sval sv_text(const char *s); /* NULL gives SV_NULL */
static inline struct sval sv_textn(const char *s, size_t n)
{
	struct sval v = {SV_TEXT, 0, s, n};
	return v;
}

struct conn;
struct cursor;

struct store_ops {
	const char *name;
	void (*close)(struct conn *c);
	/* Runs SQL text without parameters (schema, BEGIN, COMMIT, SAVEPOINT). */
	enum rebuy_status (*exec)(struct conn *c, const char *sql, struct rebuy_error *err);
	/* Runs statement q with params; rows are read with next/col_*. The
	 * cursor lives until done (or the next run of the same q). */
	enum rebuy_status (*run)(struct conn *c, int q, const struct sval *params, size_t n,
	                         struct cursor **out, struct rebuy_error *err);
	/* 1: a row, 0: no more rows, -1: an error (in err). */
	int (*next)(struct cursor *k, struct rebuy_error *err);
	int (*is_null)(struct cursor *k, int col);
	int64_t (*col_int)(struct cursor *k, int col);
	/* Borrowed, NUL-terminated, valid until the next call on the cursor. */
	const char *(*col_text)(struct cursor *k, int col, size_t *len);
	void (*done)(struct cursor *k);
	/* Rows changed by the last run statement. */
	int64_t (*changes)(struct conn *c);
	/* Begins the write transaction that serializes writers. */
	const char *begin_write;
	/* Makes c the process's writer connection (SQLite: checkpoints move to
	 * a thread of their own, off the commit path). May be NULL. */
	enum rebuy_status (*make_writer)(struct conn *c, struct rebuy_error *err);
};

struct conn {
	const struct store_ops *ops;
};

/* The back ends. `where` is the SQLite path or the postgresql:// URL. When
 * create is set the SQLite file must not exist yet. */
enum rebuy_status rebuy__sqlite_open(struct conn **out, const char *where, int create,
                                     struct rebuy_error *err);
enum rebuy_status rebuy__pg_open(struct conn **out, const char *where, int create,
                                 struct rebuy_error *err);

/* The text of statement q in SQLite's dialect ('?' placeholders). */
const char *rebuy__sql_text(int q);
int rebuy__sql_count(void);

#endif
