/* The SQLite store: a file in WAL mode with synchronous=FULL, so a COMMIT
 * returns only after the WAL is fsync'd (with NORMAL a WAL commit is durable
 * only at the next checkpoint, which is not "durable before the reply").
 * Writers take BEGIN IMMEDIATE, which serializes them across processes; the
 * group commit (ledger.c) makes one such transaction carry many calls.
 * Statements are prepared once per connection and cached by number.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

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
		case SV_INT: rc = sqlite3_bind_int64(s, (int)i + 1, params[i].i); break;
		case SV_TEXT:
			rc = sqlite3_bind_text64(s, (int)i + 1, params[i].p ? params[i].p : "",
			                         params[i].n, SQLITE_STATIC, SQLITE_UTF8);
			break;
		default: rc = sqlite3_bind_null(s, (int)i + 1);
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

/* ---- a VFS that buffers WAL appends ----
 * SQLite writes each WAL frame with two pwrite calls (header, page), so a
 * group commit of a few hundred pages costs a few hundred system calls, most
 * of the commit's time on a virtual machine. This shim over the default VFS
 * collects contiguous writes to the -wal file in memory and hands them to
 * the default VFS as one write before anything that needs them on disk or
 * visible: a sync (every commit: synchronous=FULL), a read, a truncate, a
 * size query, a file control, a close. Durability is unchanged: the commit's
 * fsync still comes after every byte of it is written. Other files pass
 * straight through. */

#define WALBUF_MAX (8u << 20)

struct bf_file {
	sqlite3_file base;
	sqlite3_file *real; /* the default VFS's file, right after this struct */
	int buffered;
	unsigned char *buf;
	size_t len, cap;
	sqlite3_int64 off;
	sqlite3_int64 pad; /* keeps real 8-byte aligned */
};

static sqlite3_vfs bf_vfs;
static sqlite3_vfs *bf_real;
static pthread_once_t bf_once = PTHREAD_ONCE_INIT;
static int bf_ok;

static int bf_flush(struct bf_file *f)
{
	/* the unix VFS writes at most 128 KiB - 1 per call (it masks the length) */
	int rc = SQLITE_OK;
	for (size_t k = 0; k < f->len && rc == SQLITE_OK; k += 65536) {
		size_t n = f->len - k < 65536 ? f->len - k : 65536;
		rc = f->real->pMethods->xWrite(f->real, f->buf + k, (int)n,
		                               f->off + (sqlite3_int64)k);
	}
	f->len = 0;
	return rc;
}

static int bf_close(sqlite3_file *file)
{
	struct bf_file *f = (struct bf_file *)file;
	int rc = bf_flush(f);
	int rc2 = f->real->pMethods->xClose(f->real);
	sqlite3_free(f->buf);
	f->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int bf_read(sqlite3_file *file, void *p, int amt, sqlite3_int64 off)
{
	struct bf_file *f = (struct bf_file *)file;
	int rc = bf_flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, p, amt, off);
}

static int bf_write(sqlite3_file *file, const void *p, int amt, sqlite3_int64 off)
{
	struct bf_file *f = (struct bf_file *)file;
	if (!f->buffered)
		return f->real->pMethods->xWrite(f->real, p, amt, off);
	size_t n = (size_t)amt;
	if (f->len && off >= f->off && off + (sqlite3_int64)n <= f->off + (sqlite3_int64)f->len) {
		/* a frame written again inside the same transaction */
		memcpy(f->buf + (off - f->off), p, n);
		return SQLITE_OK;
	}
	if (f->len && (off != f->off + (sqlite3_int64)f->len || f->len + n > WALBUF_MAX)) {
		int rc = bf_flush(f);
		if (rc != SQLITE_OK)
			return rc;
	}
	if (n > 65536)
		return f->real->pMethods->xWrite(f->real, p, amt, off);
	if (f->len + n > f->cap) {
		size_t cap = f->cap ? f->cap : 65536;
		while (cap < f->len + n)
			cap *= 2;
		unsigned char *b = sqlite3_realloc64(f->buf, cap);
		if (!b) {
			int rc = bf_flush(f);
			return rc != SQLITE_OK ? rc
			                       : f->real->pMethods->xWrite(f->real, p, amt, off);
		}
		f->buf = b;
		f->cap = cap;
	}
	if (!f->len)
		f->off = off;
	memcpy(f->buf + f->len, p, n);
	f->len += n;
	return SQLITE_OK;
}

static int bf_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct bf_file *f = (struct bf_file *)file;
	int rc = bf_flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int bf_sync(sqlite3_file *file, int flags)
{
	struct bf_file *f = (struct bf_file *)file;
	int rc = bf_flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int bf_size(sqlite3_file *file, sqlite3_int64 *size)
{
	struct bf_file *f = (struct bf_file *)file;
	int rc = bf_flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int bf_lock(sqlite3_file *file, int l)
{
	struct bf_file *f = (struct bf_file *)file;
	return f->real->pMethods->xLock(f->real, l);
}

static int bf_unlock(sqlite3_file *file, int l)
{
	struct bf_file *f = (struct bf_file *)file;
	return f->real->pMethods->xUnlock(f->real, l);
}

static int bf_check_lock(sqlite3_file *file, int *out)
{
	struct bf_file *f = (struct bf_file *)file;
	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int bf_control(sqlite3_file *file, int op, void *arg)
{
	struct bf_file *f = (struct bf_file *)file;
	int rc = bf_flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int bf_sector(sqlite3_file *file)
{
	struct bf_file *f = (struct bf_file *)file;
	return f->real->pMethods->xSectorSize(f->real);
}

static int bf_device(sqlite3_file *file)
{
	struct bf_file *f = (struct bf_file *)file;
	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int bf_shm_map(sqlite3_file *file, int pg, int sz, int extend, void volatile **out)
{
	struct bf_file *f = (struct bf_file *)file;
	return f->real->pMethods->xShmMap(f->real, pg, sz, extend, out);
}

static int bf_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	struct bf_file *f = (struct bf_file *)file;
	return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void bf_shm_barrier(sqlite3_file *file)
{
	struct bf_file *f = (struct bf_file *)file;
	f->real->pMethods->xShmBarrier(f->real);
}

static int bf_shm_unmap(sqlite3_file *file, int del)
{
	struct bf_file *f = (struct bf_file *)file;
	return f->real->pMethods->xShmUnmap(f->real, del);
}

static int bf_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **pp)
{
	struct bf_file *f = (struct bf_file *)file;
	int rc = bf_flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xFetch(f->real, off, amt, pp);
}

static int bf_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	struct bf_file *f = (struct bf_file *)file;
	return f->real->pMethods->xUnfetch(f->real, off, p);
}

static const sqlite3_io_methods bf_methods = {
        3,           bf_close,       bf_read,       bf_write,   bf_truncate, bf_sync,   bf_size,
        bf_lock,     bf_unlock,      bf_check_lock, bf_control, bf_sector,   bf_device, bf_shm_map,
        bf_shm_lock, bf_shm_barrier, bf_shm_unmap,  bf_fetch,   bf_unfetch,
};

static int bf_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags,
                   int *out_flags)
{
	(void)vfs;
	struct bf_file *f = (struct bf_file *)file;
	memset(f, 0, sizeof *f);
	f->real = (sqlite3_file *)(f + 1);
	int rc = bf_real->xOpen(bf_real, name, f->real, flags, out_flags);
	if (rc != SQLITE_OK || !f->real->pMethods) {
		f->base.pMethods = NULL;
		return rc;
	}
	/* the methods above call version-3 entries only when the real file has them */
	if (f->real->pMethods->iVersion < 3) {
		f->real->pMethods->xClose(f->real);
		f->base.pMethods = NULL;
		return SQLITE_CANTOPEN;
	}
	f->buffered = (flags & SQLITE_OPEN_WAL) != 0;
	f->base.pMethods = &bf_methods;
	return SQLITE_OK;
}

static int bf_delete(sqlite3_vfs *v, const char *name, int sync)
{
	(void)v;
	return bf_real->xDelete(bf_real, name, sync);
}

static int bf_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	(void)v;
	return bf_real->xAccess(bf_real, name, flags, out);
}

static int bf_full(sqlite3_vfs *v, const char *name, int n, char *out)
{
	(void)v;
	return bf_real->xFullPathname(bf_real, name, n, out);
}

static void *bf_dlopen(sqlite3_vfs *v, const char *name)
{
	(void)v;
	return bf_real->xDlOpen(bf_real, name);
}

static void bf_dlerror(sqlite3_vfs *v, int n, char *msg)
{
	(void)v;
	bf_real->xDlError(bf_real, n, msg);
}

static void (*bf_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	(void)v;
	return bf_real->xDlSym(bf_real, h, sym);
}

static void bf_dlclose(sqlite3_vfs *v, void *h)
{
	(void)v;
	bf_real->xDlClose(bf_real, h);
}

static int bf_random(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return bf_real->xRandomness(bf_real, n, out);
}

static int bf_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return bf_real->xSleep(bf_real, us);
}

static int bf_time(sqlite3_vfs *v, double *out)
{
	(void)v;
	return bf_real->xCurrentTime(bf_real, out);
}

static int bf_last_error(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return bf_real->xGetLastError(bf_real, n, out);
}

static int bf_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	(void)v;
	return bf_real->xCurrentTimeInt64(bf_real, out);
}

static void bf_register(void)
{
	bf_real = sqlite3_vfs_find(NULL);
	if (!bf_real || bf_real->iVersion < 2 || !bf_real->xCurrentTimeInt64)
		return;
	bf_vfs.iVersion = 2;
	bf_vfs.szOsFile = (int)sizeof(struct bf_file) + bf_real->szOsFile;
	bf_vfs.mxPathname = bf_real->mxPathname;
	bf_vfs.zName = "rebuy-walbuf";
	bf_vfs.xOpen = bf_open;
	bf_vfs.xDelete = bf_delete;
	bf_vfs.xAccess = bf_access;
	bf_vfs.xFullPathname = bf_full;
	bf_vfs.xDlOpen = bf_dlopen;
	bf_vfs.xDlError = bf_dlerror;
	bf_vfs.xDlSym = bf_dlsym;
	bf_vfs.xDlClose = bf_dlclose;
	bf_vfs.xRandomness = bf_random;
	bf_vfs.xSleep = bf_sleep;
	bf_vfs.xCurrentTime = bf_time;
	bf_vfs.xGetLastError = bf_last_error;
	bf_vfs.xCurrentTimeInt64 = bf_time64;
	bf_ok = sqlite3_vfs_register(&bf_vfs, 0) == SQLITE_OK;
}

/* The buffering VFS's name, or NULL (the default VFS) when it cannot be made. */
static const char *walbuf_vfs(void)
{
	pthread_once(&bf_once, bf_register);
	return bf_ok ? bf_vfs.zName : NULL;
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
		return rebuy_error_set(err, REBUY_EARG,
		                       "%s: already exists (a ledger is created once)", where);
	if (!create && !exists)
		return rebuy_error_set(err, REBUY_EIO,
		                       "%s: no such ledger (create it with rebuy loyalty init)",
		                       where);
	struct sq_full *f = rebuy__calloc(1, sizeof *f);
	if (!f)
		return rebuy_error_set(err, REBUY_ENOMEM, "%s: out of memory", where);
	struct sq_conn *c = &f->c;
	c->base.ops = &sqlite_ops;
	snprintf(c->path, sizeof c->path, "%s", where);
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(where, &c->db, flags, walbuf_vfs()) != SQLITE_OK) {
		enum rebuy_status st =
		        rebuy_error_set(err, REBUY_EIO, "%s: cannot open: %s", where,
		                        c->db ? sqlite3_errmsg(c->db) : "out of memory");
		sq_close(&c->base);
		return st;
	}
	sqlite3_busy_timeout(c->db, 10000);
	enum rebuy_status st = sq_exec(&c->base,
	                               "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
	                               "PRAGMA foreign_keys=OFF; PRAGMA cache_size=-65536; "
	                               "PRAGMA temp_store=MEMORY; PRAGMA secure_delete=FAST;",
	                               err);
	if (st) {
		sq_close(&c->base);
		return st;
	}
	*out = &c->base;
	return REBUY_OK;
}
