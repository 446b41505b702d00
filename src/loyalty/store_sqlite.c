/* The SQLite store: a file in WAL mode with synchronous=FULL, so a COMMIT
 * returns only after the WAL is fsync'd (with NORMAL a WAL commit is durable
 * only at the next checkpoint, which is not "durable before the reply").
 * Writers take BEGIN IMMEDIATE, which serializes them across processes; the
 * group commit (ledger.c) makes one such transaction carry many calls.
 * Statements are prepared once per connection and cached by number.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "core/mem.h"
#include "loyalty/sql.h"
#include "loyalty/store.h"

struct sq_conn {
	struct conn base;
	sqlite3 *db;
	sqlite3_stmt *stmt[Q_COUNT];
	char path[1024];
	/* the writer's checkpointer */
	int has_thread, stop;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
};

struct cursor {
	struct sq_conn *c;
	sqlite3_stmt *s;
	int q;
};

/* One cursor per statement: a statement is one row stream at a time. */
struct sq_conn_cursors {
	struct cursor k[Q_COUNT];
};

struct sq_full {
	struct sq_conn c;
	struct sq_conn_cursors k;
};

static enum rebuy_status sq_fail(struct sq_conn *c, struct rebuy_error *err, const char *what)
{
	return rebuy_error_set(err, REBUY_EIO, "%s: %s: %s", c->path, what, sqlite3_errmsg(c->db));
}

static void sq_close(struct conn *base)
{
	struct sq_conn *c = (struct sq_conn *)base;
	if (!c)
		return;
	if (c->has_thread) {
		pthread_mutex_lock(&c->mu);
		c->stop = 1;
		pthread_cond_signal(&c->cond);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->thread, NULL);
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cond);
	}
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(c->stmt[i]);
	sqlite3_close(c->db);
	rebuy__free(c);
}

static enum rebuy_status sq_exec(struct conn *base, const char *sql, struct rebuy_error *err)
{
	struct sq_conn *c = (struct sq_conn *)base;
	char *msg = NULL;
	if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		enum rebuy_status st = rebuy_error_set(err, REBUY_EIO, "%s: %s", c->path,
		                                       msg ? msg : sqlite3_errmsg(c->db));
		sqlite3_free(msg);
		return st;
	}
	return REBUY_OK;
}

static enum rebuy_status sq_run(struct conn *base, int q, const struct sval *params, size_t n,
                                struct cursor **out, struct rebuy_error *err)
{
	struct sq_full *f = (struct sq_full *)base;
	struct sq_conn *c = &f->c;
	sqlite3_stmt *s = c->stmt[q];
	if (!s) {
		if (sqlite3_prepare_v3(c->db, rebuy__sql_text(q), -1, SQLITE_PREPARE_PERSISTENT, &s,
		                       NULL) != SQLITE_OK)
			return sq_fail(c, err, "prepare");
		c->stmt[q] = s;
	} else {
		sqlite3_reset(s);
	}
	for (size_t i = 0; i < n; i++) {
		int rc;
		switch (params[i].type) {
		case SV_INT:
			rc = sqlite3_bind_int64(s, (int)i + 1, params[i].i);
			break;
		case SV_TEXT:
			rc = sqlite3_bind_text64(s, (int)i + 1, params[i].p ? params[i].p : "",
			                         params[i].n, SQLITE_STATIC, SQLITE_UTF8);
			break;
		default:
			rc = sqlite3_bind_null(s, (int)i + 1);
		}
		if (rc != SQLITE_OK)
			return sq_fail(c, err, "bind");
	}
	struct cursor *k = &f->k.k[q];
	k->c = c;
	k->s = s;
	k->q = q;
	if (out) {
		*out = k;
		return REBUY_OK;
	}
	/* a statement without rows: run it now */
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		if (rc == SQLITE_CONSTRAINT)
			return rebuy_error_set(err, REBUY_EDATA, "%s: %s", c->path,
			                       sqlite3_errmsg(c->db));
		return sq_fail(c, err, "step");
	}
	return REBUY_OK;
}

static int sq_next(struct cursor *k, struct rebuy_error *err)
{
	int rc = sqlite3_step(k->s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	sq_fail(k->c, err, "step");
	return -1;
}

static int sq_is_null(struct cursor *k, int col)
{
	return sqlite3_column_type(k->s, col) == SQLITE_NULL;
}

static int64_t sq_col_int(struct cursor *k, int col)
{
	return sqlite3_column_int64(k->s, col);
}

static const char *sq_col_text(struct cursor *k, int col, size_t *len)
{
	const char *t = (const char *)sqlite3_column_text(k->s, col);
	if (len)
		*len = t ? (size_t)sqlite3_column_bytes(k->s, col) : 0;
	return t ? t : "";
}

static void sq_done(struct cursor *k)
{
	if (k && k->s) {
		sqlite3_reset(k->s);
		sqlite3_clear_bindings(k->s);
	}
}

static int64_t sq_changes(struct conn *base)
{
	return sqlite3_changes64(((struct sq_conn *)base)->db);
}

/* Checkpoints every 100 ms on a connection of its own: the WAL's pages are
 * copied into the database file (and that file fsync'd) while the writer
 * goes on appending and committing to the WAL. PASSIVE never blocks the
 * writer; a reader that holds an old snapshot only delays the copy. */
static void *checkpointer(void *arg)
{
	struct sq_conn *c = arg;
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) ==
	    SQLITE_OK)
		sqlite3_busy_timeout(db, 100);
	pthread_mutex_lock(&c->mu);
	while (!c->stop) {
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += 100 * 1000000L;
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&c->cond, &c->mu, &t);
		if (c->stop)
			break;
		pthread_mutex_unlock(&c->mu);
		if (db)
			sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	if (db) {
		sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		sqlite3_close(db);
	}
	return NULL;
}

static enum rebuy_status sq_make_writer(struct conn *base, struct rebuy_error *err)
{
	struct sq_conn *c = (struct sq_conn *)base;
	enum rebuy_status st = sq_exec(base, "PRAGMA wal_autocheckpoint=0", err);
	if (st)
		return st;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cond, NULL);
	if (pthread_create(&c->thread, NULL, checkpointer, c) != 0) {
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cond);
		/* without the thread, SQLite checkpoints in the commits as usual */
		return sq_exec(base, "PRAGMA wal_autocheckpoint=1000", err);
	}
	c->has_thread = 1;
	return REBUY_OK;
}

static const struct store_ops sqlite_ops = {
        .name = "sqlite",
        .close = sq_close,
        .exec = sq_exec,
        .run = sq_run,
        .next = sq_next,
        .is_null = sq_is_null,
        .col_int = sq_col_int,
        .col_text = sq_col_text,
        .done = sq_done,
        .changes = sq_changes,
        .begin_write = "BEGIN IMMEDIATE",
        .make_writer = sq_make_writer,
};

enum rebuy_status rebuy__sqlite_open(struct conn **out, const char *where, int create,
                                     struct rebuy_error *err)
{
	*out = NULL;
	struct stat sb;
	int exists = stat(where, &sb) == 0;
	if (create && exists)
		return rebuy_error_set(err, REBUY_EARG, "%s: already exists (a ledger is created once)",
		                       where);
	if (!create && !exists)
		return rebuy_error_set(err, REBUY_EIO,
		                       "%s: no such ledger (create it with rebuy loyalty init)", where);
	struct sq_full *f = rebuy__calloc(1, sizeof *f);
	if (!f)
		return rebuy_error_set(err, REBUY_ENOMEM, "%s: out of memory", where);
	struct sq_conn *c = &f->c;
	c->base.ops = &sqlite_ops;
	snprintf(c->path, sizeof c->path, "%s", where);
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(where, &c->db, flags, NULL) != SQLITE_OK) {
		enum rebuy_status st = rebuy_error_set(err, REBUY_EIO, "%s: cannot open: %s", where,
		                                       c->db ? sqlite3_errmsg(c->db) : "out of memory");
		sq_close(&c->base);
		return st;
	}
	sqlite3_busy_timeout(c->db, 10000);
	enum rebuy_status st = sq_exec(&c->base,
	                               "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
	                               "PRAGMA foreign_keys=OFF; PRAGMA cache_size=-65536;",
	                               err);
	if (st) {
		sq_close(&c->base);
		return st;
	}
	*out = &c->base;
	return REBUY_OK;
}
