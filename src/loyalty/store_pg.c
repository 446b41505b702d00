/* The PostgreSQL store (libpq): the same statements as SQLite with '?'
 * numbered $1, $2, ... and prepared once per connection; every value is a
 * parameter (PQexecPrepared), never spliced into SQL text.
 *
 * Isolation: writers run at READ COMMITTED and first lock the chain head row
 * (SELECT ... FOR UPDATE), so writers from any number of processes apply one
 * after another, each seeing what the previous committed (READ COMMITTED
 * takes a fresh snapshot per statement); readers never wait. Verify reads in
 * one REPEATABLE READ snapshot. Durability is the server's (synchronous_commit
 * on, the default), and one COMMIT carries a whole group of calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/mem.h"
#include "loyalty/sql.h"
#include "loyalty/store.h"

#define PG_MAX_PARAMS 16

struct cursor {
	struct pg_conn *c;
	PGresult *res;
	int row, rows;
};

struct pg_conn {
	struct conn base;
	PGconn *pg;
	char *sql[Q_COUNT];
	int n_params[Q_COUNT];
	int prepared[Q_COUNT];
	struct cursor k[Q_COUNT];
	int64_t changes;
	char where[256];
};

static enum rebuy_status pg_fail(struct pg_conn *c, struct rebuy_error *err, const char *what,
                                 const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(c->pg);
	enum rebuy_status code = state && strncmp(state, "23", 2) == 0 ? REBUY_EDATA : REBUY_EIO;
	return rebuy_error_set(err, code, "%s: %s: %s", c->where, what,
	                       msg && *msg ? msg : "failed");
}

static void pg_done(struct cursor *k)
{
	if (k && k->res) {
		PQclear(k->res);
		k->res = NULL;
	}
}

static void pg_close(struct conn *base)
{
	struct pg_conn *c = (struct pg_conn *)base;
	if (!c)
		return;
	for (int i = 0; i < Q_COUNT; i++) {
		pg_done(&c->k[i]);
		rebuy__free(c->sql[i]);
	}
	if (c->pg)
		PQfinish(c->pg);
	rebuy__free(c);
}

static enum rebuy_status pg_exec(struct conn *base, const char *sql, struct rebuy_error *err)
{
	struct pg_conn *c = (struct pg_conn *)base;
	PGresult *res = PQexec(c->pg, sql);
	ExecStatusType s = PQresultStatus(res);
	enum rebuy_status st = REBUY_OK;
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		st = pg_fail(c, err, "exec", res);
	PQclear(res);
	return st;
}

/* The statement in PostgreSQL's form: '?' numbered, the head row locked. */
static enum rebuy_status translate(struct pg_conn *c, int q, struct rebuy_error *err)
{
	const char *s = rebuy__sql_text(q);
	size_t n = strlen(s);
	char *out = rebuy__malloc(n * 4 + 32);
	if (!out)
		return rebuy_error_set(err, REBUY_ENOMEM, "postgresql: out of memory");
	size_t k = 0;
	int np = 0, in_str = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'')
			in_str = !in_str;
		if (s[i] == '?' && !in_str) {
			k += (size_t)snprintf(out + k, 8, "$%d", ++np);
			continue;
		}
		out[k++] = s[i];
	}
	out[k] = '\0';
	if (q == Q_HEAD_GET)
		memcpy(out + k, " FOR UPDATE", 12);
	c->sql[q] = out;
	c->n_params[q] = np;
	return REBUY_OK;
}

static enum rebuy_status pg_run(struct conn *base, int q, const struct sval *params, size_t n,
                                struct cursor **out, struct rebuy_error *err)
{
	struct pg_conn *c = (struct pg_conn *)base;
	enum rebuy_status st;
	if (n > PG_MAX_PARAMS)
		return rebuy_error_set(err, REBUY_EINTERNAL, "postgresql: too many parameters");
	if (!c->sql[q] && (st = translate(c, q, err)))
		return st;
	char name[16];
	snprintf(name, sizeof name, "q%d", q);
	if (!c->prepared[q]) {
		PGresult *res = PQprepare(c->pg, name, c->sql[q], c->n_params[q], NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			st = pg_fail(c, err, "prepare", res);
			PQclear(res);
			return st;
		}
		PQclear(res);
		c->prepared[q] = 1;
	}
	char ints[PG_MAX_PARAMS][24];
	const char *values[PG_MAX_PARAMS];
	int lengths[PG_MAX_PARAMS], formats[PG_MAX_PARAMS];
	char *texts[PG_MAX_PARAMS] = {0};
	for (size_t i = 0; i < n; i++) {
		formats[i] = 0;
		lengths[i] = 0;
		switch (params[i].type) {
		case SV_INT:
			snprintf(ints[i], sizeof ints[i], "%lld", (long long)params[i].i);
			values[i] = ints[i];
			break;
		case SV_TEXT:
			/* text parameters are NUL-terminated for libpq */
			texts[i] = rebuy__strndup(params[i].p ? params[i].p : "", params[i].n);
			if (!texts[i]) {
				for (size_t j = 0; j < i; j++)
					rebuy__free(texts[j]);
				return rebuy_error_set(err, REBUY_ENOMEM,
				                       "postgresql: out of memory");
			}
			values[i] = texts[i];
			break;
		default: values[i] = NULL;
		}
	}
	PGresult *res = PQexecPrepared(c->pg, name, (int)n, values, lengths, formats, 0);
	for (size_t i = 0; i < n; i++)
		rebuy__free(texts[i]);
	ExecStatusType s = PQresultStatus(res);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		st = pg_fail(c, err, "query", res);
		PQclear(res);
		return st;
	}
	const char *changed = PQcmdTuples(res);
	c->changes = changed && *changed ? strtoll(changed, NULL, 10) : 0;
	if (!out) {
		PQclear(res);
		return REBUY_OK;
	}
	struct cursor *k = &c->k[q];
	pg_done(k);
	k->c = c;
	k->res = res;
	k->row = -1;
	k->rows = PQntuples(res);
	*out = k;
	return REBUY_OK;
}

static int pg_next(struct cursor *k, struct rebuy_error *err)
{
	(void)err;
	if (k->row + 1 >= k->rows)
		return 0;
	k->row++;
	return 1;
}

static int pg_is_null(struct cursor *k, int col)
{
	return PQgetisnull(k->res, k->row, col);
}

static int64_t pg_col_int(struct cursor *k, int col)
{
	const char *v = PQgetvalue(k->res, k->row, col);
	return v ? strtoll(v, NULL, 10) : 0;
}

static const char *pg_col_text(struct cursor *k, int col, size_t *len)
{
	const char *v = PQgetvalue(k->res, k->row, col);
	if (len)
		*len = (size_t)PQgetlength(k->res, k->row, col);
	return v ? v : "";
}

static int64_t pg_changes(struct conn *base)
{
	return ((struct pg_conn *)base)->changes;
}

static const struct store_ops pg_ops = {
        .name = "postgresql",
        .close = pg_close,
        .exec = pg_exec,
        .run = pg_run,
        .next = pg_next,
        .is_null = pg_is_null,
        .col_int = pg_col_int,
        .col_text = pg_col_text,
        .done = pg_done,
        .changes = pg_changes,
        .begin_write = "BEGIN ISOLATION LEVEL READ COMMITTED",
};

enum rebuy_status rebuy__pg_open(struct conn **out, const char *where, int create,
                                 struct rebuy_error *err)
{
	(void)create; /* init tells an existing ledger by its schema_version table */
	*out = NULL;
	struct pg_conn *c = rebuy__calloc(1, sizeof *c);
	if (!c)
		return rebuy_error_set(err, REBUY_ENOMEM, "postgresql: out of memory");
	c->base.ops = &pg_ops;
	/* the URL may hold a password: messages name only the scheme and host part */
	const char *at = strchr(where, '@');
	snprintf(c->where, sizeof c->where, "postgresql://%s", at ? at + 1 : where + 13);
	c->pg = PQconnectdb(where);
	if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
		enum rebuy_status st =
		        rebuy_error_set(err, REBUY_EIO, "%s: cannot connect: %s", c->where,
		                        c->pg ? PQerrorMessage(c->pg) : "out of memory");
		pg_close(&c->base);
		return st;
	}
	enum rebuy_status st = pg_exec(&c->base, "SET client_min_messages = warning", err);
	if (st) {
		pg_close(&c->base);
		return st;
	}
	*out = &c->base;
	return REBUY_OK;
}
