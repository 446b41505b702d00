/* Database sources and the PostgreSQL sink (include/rebuy/db.h). Each back
 * end is a small table of functions (open, next bytes, close), so the
 * ingestion path sees one reader. PostgreSQL: libpq's COPY protocol, CSV
 * with a header (https://www.postgresql.org/docs/15/sql-copy.html); SQLite:
 * a read-only prepared statement, each row written as an RFC 4180 line. */
#include "rebuy/db.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "rebuy/table.h"

struct backend {
	const char *name;
	enum rebuy_status (*next)(struct rebuy_db_source *s, struct rebuy_error *err);
	void (*close)(struct rebuy_db_source *s);
};

struct rebuy_db_source {
	const struct backend *be;
	char name[256]; /* for messages: "query" or the table's name */
	/* bytes of the current row (or COPY message) not yet handed out */
	char *buf;
	size_t len, pos, cap;
	int at_end;
	PGconn *pg;
	char *pg_msg; /* libpq's buffer, freed with PQfreemem */
	sqlite3 *db;
	sqlite3_stmt *st;
	int header_done;
};

int rebuy_db_is_postgres(const char *t)
{
	return strncmp(t, "postgresql://", 13) == 0 || strncmp(t, "postgres://", 11) == 0 ||
	       (strchr(t, '=') != NULL && strchr(t, '/') == NULL);
}

/* The first line of libpq's message, for a one-line error. */
static const char *first_line(const char *msg, char *buf, size_t size)
{
	size_t n = strcspn(msg, "\n");
	if (n >= size)
		n = size - 1;
	memcpy(buf, msg, n);
	buf[n] = 0;
	return buf;
}

static enum rebuy_status reserve(struct rebuy_db_source *s, size_t more)
{
	if (s->len + more <= s->cap)
		return REBUY_OK;
	size_t cap = s->cap ? s->cap : 4096;
	while (cap < s->len + more) {
		if (cap > ((size_t)1 << 30))
			return REBUY_ELIMIT;
		cap *= 2;
	}
	char *b = rebuy__realloc(s->buf, cap);
	if (!b)
		return REBUY_ENOMEM;
	s->buf = b;
	s->cap = cap;
	return REBUY_OK;
}

/* ---- PostgreSQL ---- */

static enum rebuy_status pg_next(struct rebuy_db_source *s, struct rebuy_error *err)
{
	char line[256];
	if (s->pg_msg) {
		PQfreemem(s->pg_msg);
		s->pg_msg = NULL;
	}
	int n = PQgetCopyData(s->pg, &s->pg_msg, 0);
	if (n >= 0) {
		/* handed out straight from libpq's buffer */
		s->len = (size_t)n;
		s->pos = 0;
		return REBUY_OK;
	}
	if (n == -2)
		return rebuy_error_set(err, REBUY_EIO, "%s: %s", s->name,
		                       first_line(PQerrorMessage(s->pg), line, sizeof line));
	PGresult *r = PQgetResult(s->pg);
	enum rebuy_status st = REBUY_OK;
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		st = rebuy_error_set(err, REBUY_EIO, "%s: %s", s->name,
		                     first_line(PQresultErrorMessage(r), line, sizeof line));
	PQclear(r);
	s->at_end = 1;
	s->len = s->pos = 0;
	return st;
}

static void pg_close(struct rebuy_db_source *s)
{
	if (s->pg_msg)
		PQfreemem(s->pg_msg);
	s->pg_msg = NULL;
	if (s->pg)
		PQfinish(s->pg);
	s->pg = NULL;
}

static const struct backend pg_backend = {"postgresql", pg_next, pg_close};

static enum rebuy_status pg_connect(PGconn **out, const char *target, struct rebuy_error *err)
{
	char line[256];
	*out = PQconnectdb(target);
	if (!*out)
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory (libpq)");
	if (PQstatus(*out) != CONNECTION_OK) {
		rebuy_error_set(err, REBUY_EIO, "cannot connect to PostgreSQL: %s",
		                first_line(PQerrorMessage(*out), line, sizeof line));
		PQfinish(*out);
		*out = NULL;
		return REBUY_EIO;
	}
	return REBUY_OK;
}

/* "name" or "schema.name", each part quoted as an identifier. */
static char *pg_table_name(PGconn *c, const char *table)
{
	const char *dot = strchr(table, '.');
	char *a = NULL, *b = NULL, *out = NULL;
	if (dot) {
		a = PQescapeIdentifier(c, table, (size_t)(dot - table));
		b = PQescapeIdentifier(c, dot + 1, strlen(dot + 1));
	} else {
		b = PQescapeIdentifier(c, table, strlen(table));
	}
	if (b && (!dot || a)) {
		size_t n = (a ? strlen(a) + 1 : 0) + strlen(b) + 1;
		out = rebuy__malloc(n);
		if (out)
			snprintf(out, n, "%s%s%s", a ? a : "", a ? "." : "", b);
	}
	PQfreemem(a);
	PQfreemem(b);
	return out;
}

static enum rebuy_status pg_open(struct rebuy_db_source *s, const char *target, const char *query,
                                 const char *table, struct rebuy_error *err)
{
	char line[256];
	enum rebuy_status st = pg_connect(&s->pg, target, err);
	if (st)
		return st;
	s->be = &pg_backend;
	char *name = table ? pg_table_name(s->pg, table) : NULL;
	if (table && !name)
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	const char *what = table ? name : query;
	size_t n = strlen(what) + 64;
	char *sql = rebuy__malloc(n);
	if (!sql) {
		rebuy__free(name);
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	}
	/* The query is the user's own SQL, run as the user: it is the input,
	 * like a file name, not a value spliced into ours. */
	snprintf(sql, n, "COPY (%s%s) TO STDOUT WITH (FORMAT csv, HEADER)",
	         table ? "SELECT * FROM " : "", what);
	rebuy__free(name);
	PGresult *r = PQexec(s->pg, sql);
	rebuy__free(sql);
	if (PQresultStatus(r) != PGRES_COPY_OUT) {
		rebuy_error_set(err, REBUY_EIO, "%s: %s", s->name,
		                first_line(PQresultErrorMessage(r), line, sizeof line));
		PQclear(r);
		return REBUY_EIO;
	}
	PQclear(r);
	return REBUY_OK;
}

/* ---- SQLite ---- */

static enum rebuy_status put_field(struct rebuy_db_source *s, const char *v, size_t n, int first)
{
	int quote = 0;
	for (size_t i = 0; i < n && !quote; i++)
		quote = v[i] == ',' || v[i] == '"' || v[i] == '\n' || v[i] == '\r';
	if (reserve(s, 2 * n + 4))
		return REBUY_ENOMEM;
	if (!first)
		s->buf[s->len++] = ',';
	if (quote)
		s->buf[s->len++] = '"';
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '"')
			s->buf[s->len++] = '"';
		s->buf[s->len++] = v[i];
	}
	if (quote)
		s->buf[s->len++] = '"';
	return REBUY_OK;
}

static enum rebuy_status sq_next(struct rebuy_db_source *s, struct rebuy_error *err)
{
	s->len = s->pos = 0;
	int nc = sqlite3_column_count(s->st);
	if (!s->header_done) {
		s->header_done = 1;
		for (int c = 0; c < nc; c++) {
			const char *h = sqlite3_column_name(s->st, c);
			if (!h || put_field(s, h, strlen(h), c == 0))
				return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
		}
	} else {
		int rc = sqlite3_step(s->st);
		if (rc == SQLITE_DONE) {
			s->at_end = 1;
			return REBUY_OK;
		}
		if (rc != SQLITE_ROW)
			return rebuy_error_set(err, REBUY_EIO, "%s: %s", s->name,
			                       sqlite3_errmsg(s->db));
		for (int c = 0; c < nc; c++) {
			const char *v = (const char *)sqlite3_column_text(s->st, c);
			size_t n = v ? (size_t)sqlite3_column_bytes(s->st, c) : 0;
			if (put_field(s, v ? v : "", n, c == 0))
				return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
		}
	}
	if (reserve(s, 1))
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	s->buf[s->len++] = '\n';
	return REBUY_OK;
}

static void sq_close(struct rebuy_db_source *s)
{
	sqlite3_finalize(s->st);
	s->st = NULL;
	sqlite3_close(s->db);
	s->db = NULL;
}

static const struct backend sqlite_backend = {"sqlite", sq_next, sq_close};

static enum rebuy_status sq_open(struct rebuy_db_source *s, const char *path, const char *query,
                                 const char *table, struct rebuy_error *err)
{
	s->be = &sqlite_backend;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return rebuy_error_set(err, REBUY_EIO, "%s: cannot open: %s", path,
		                       s->db ? sqlite3_errmsg(s->db) : "out of memory");
	char *sql = table ? sqlite3_mprintf("SELECT * FROM \"%w\"", table) : NULL;
	if (table && !sql)
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	int rc = sqlite3_prepare_v2(s->db, sql ? sql : query, -1, &s->st, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return rebuy_error_set(err, REBUY_EIO, "%s: %s: %s", path, s->name,
		                       sqlite3_errmsg(s->db));
	if (!s->st)
		return rebuy_error_set(err, REBUY_EARG, "%s: the query is empty", path);
	if (!sqlite3_stmt_readonly(s->st))
		return rebuy_error_set(err, REBUY_EARG, "%s: the query must only read (a SELECT)",
		                       path);
	return REBUY_OK;
}

/* ---- the source ---- */

enum rebuy_status rebuy_db_source_open(struct rebuy_db_source **out, const char *target,
                                       const char *query, const char *table,
                                       struct rebuy_error *err)
{
	*out = NULL;
	if (!target || !*target)
		return rebuy_error_set(err, REBUY_EARG, "no database given");
	if ((query == NULL) == (table == NULL))
		return rebuy_error_set(err, REBUY_EARG,
		                       "a database input needs --query SQL or --table NAME (one)");
	if ((query && !*query) || (table && !*table))
		return rebuy_error_set(err, REBUY_EARG, "--%s is empty", query ? "query" : "table");
	struct rebuy_db_source *s = rebuy__calloc(1, sizeof *s);
	if (!s)
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	if (table)
		snprintf(s->name, sizeof s->name, "table %s", table);
	else
		snprintf(s->name, sizeof s->name, "query");
	enum rebuy_status st = rebuy_db_is_postgres(target) ? pg_open(s, target, query, table, err)
	                                                    : sq_open(s, target, query, table, err);
	if (st) {
		rebuy_db_source_free(s);
		return st;
	}
	*out = s;
	return REBUY_OK;
}

static enum rebuy_status source_read(void *ud, char *buf, size_t n, size_t *got,
                                     struct rebuy_error *err)
{
	struct rebuy_db_source *s = ud;
	size_t done = 0;
	while (done < n && !s->at_end) {
		if (s->pos == s->len) {
			enum rebuy_status st = s->be->next(s, err);
			if (st)
				return st;
			continue;
		}
		const char *src = s->pg_msg ? s->pg_msg : s->buf;
		size_t k = s->len - s->pos < n - done ? s->len - s->pos : n - done;
		memcpy(buf + done, src + s->pos, k);
		s->pos += k;
		done += k;
	}
	*got = done;
	return REBUY_OK;
}

void rebuy_db_source_bind(struct rebuy_db_source *s, struct rebuy_input_options *opts)
{
	opts->read = source_read;
	opts->read_ud = s;
	opts->path = s->name;
	opts->data = NULL;
}

void rebuy_db_source_free(struct rebuy_db_source *s)
{
	if (!s)
		return;
	if (s->be)
		s->be->close(s);
	else if (s->pg)
		pg_close(s);
	else if (s->db)
		sq_close(s);
	rebuy__free(s->buf);
	rebuy__free(s);
}

/* ---- the PostgreSQL sink ---- */

/* 2: a whole number (fits bigint), 1: another number, 0: text. A key
 * written with leading zeros ("00017") is text, so it keeps them. */
static int cell_kind(const char *v)
{
	const char *p = v;
	if (*p == '-')
		p++;
	if (!isdigit((unsigned char)*p) || (p[0] == '0' && isdigit((unsigned char)p[1])))
		return 0;
	size_t digits = strspn(p, "0123456789");
	if (p[digits] == 0)
		return digits <= 18 ? 2 : 0;
	char *end;
	strtod(v, &end);
	return *end == 0 ? 1 : 0;
}

enum rebuy_status rebuy_db_write_csv(const char *target, const char *table, const char *csv,
                                     size_t len, struct rebuy_error *err)
{
	char line[256];
	if (!rebuy_db_is_postgres(target))
		return rebuy_error_set(err, REBUY_EARG,
		                       "--output-table writes to PostgreSQL: give a postgresql:// URL");
	struct rebuy_table_options topts;
	rebuy_table_options_init(&topts);
	topts.path = "output";
	topts.data = csv;
	topts.data_len = len;
	topts.delimiter = ',';
	struct rebuy_table *t = NULL;
	enum rebuy_status st = rebuy_table_read(&t, &topts, err);
	if (st)
		return st;
	PGconn *c = NULL;
	char *name = NULL;
	int *kind = NULL;
	PGresult *r = NULL;
	char *sql = NULL;
	size_t sql_len = 0;
	FILE *f = NULL;
	if ((st = pg_connect(&c, target, err)))
		goto out;
	st = REBUY_ENOMEM;
	if (!(name = pg_table_name(c, table)) || !(kind = rebuy__calloc(t->n_columns + 1, sizeof *kind)))
		goto oom;
	for (size_t col = 0; col < t->n_columns; col++) {
		int k = 2, any = 0;
		for (size_t row = 0; row < t->n_rows && k; row++) {
			const char *v = rebuy_table_cell(t, row, col);
			if (!v || !*v)
				continue;
			any = 1;
			int ck = cell_kind(v);
			k = ck < k ? ck : k;
		}
		kind[col] = any ? k : 0;
	}
	if (!(f = open_memstream(&sql, &sql_len)))
		goto oom;
	fprintf(f, "CREATE TABLE %s (", name);
	for (size_t col = 0; col < t->n_columns; col++) {
		const char *cn = rebuy_table_column_name(t, col);
		char *id = PQescapeIdentifier(c, cn, strlen(cn));
		if (!id)
			goto oom;
		fprintf(f, "%s%s %s", col ? ", " : "", id,
		        kind[col] == 2 ? "bigint" : kind[col] == 1 ? "double precision" : "text");
		PQfreemem(id);
	}
	fprintf(f, ")");
	if (fclose(f)) {
		f = NULL;
		goto oom;
	}
	f = NULL;
	r = PQexec(c, "BEGIN");
	PQclear(r);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		st = rebuy_error_set(err, REBUY_EIO, "--output-table %s: %s", table,
		                     first_line(PQresultErrorMessage(r), line, sizeof line));
		goto out;
	}
	PQclear(r);
	free(sql);
	sql = NULL;
	size_t n = strlen(name) + 64;
	if (!(sql = malloc(n)))
		goto oom;
	snprintf(sql, n, "COPY %s FROM STDIN WITH (FORMAT csv, HEADER)", name);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		st = rebuy_error_set(err, REBUY_EIO, "--output-table %s: %s", table,
		                     first_line(PQresultErrorMessage(r), line, sizeof line));
		goto out;
	}
	PQclear(r);
	r = NULL;
	for (size_t off = 0; off < len;) {
		size_t k = len - off > (1u << 20) ? (1u << 20) : len - off;
		if (PQputCopyData(c, csv + off, (int)k) != 1)
			break;
		off += k;
	}
	PQputCopyEnd(c, NULL);
	r = PQgetResult(c);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		st = rebuy_error_set(err, REBUY_EIO, "--output-table %s: %s", table,
		                     first_line(PQresultErrorMessage(r), line, sizeof line));
		goto out;
	}
	PQclear(r);
	r = PQexec(c, "COMMIT");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		st = rebuy_error_set(err, REBUY_EIO, "--output-table %s: %s", table,
		                     first_line(PQresultErrorMessage(r), line, sizeof line));
		goto out;
	}
	st = REBUY_OK;
	goto out;
oom:
	st = rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
out:
	if (f)
		fclose(f);
	free(sql);
	PQclear(r);
	if (c)
		PQfinish(c);
	rebuy__free(name);
	rebuy__free(kind);
	rebuy_table_free(t);
	return st;
}
