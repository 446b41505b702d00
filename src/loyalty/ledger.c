/* The loyalty handle: opening and creating stores, schema migrations, the
 * group commit, read connections, API keys and the read-only replies.
 *
 * Group commit: every write call becomes a job on a queue; one writer thread
 * takes all queued jobs, runs them in one write transaction (BEGIN
 * IMMEDIATE on SQLite; BEGIN plus a row lock on the chain head on
 * PostgreSQL), each inside its own SAVEPOINT so that a failing call undoes
 * only itself, commits once (one fsync), and only then answers the callers.
 * The chain head and the program accounts' balances are carried in memory
 * through the batch and written once before the COMMIT.
 */
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/mem.h"

#include "loyalty/loyalty_int.h"
#include "rebuy/money.h"

#define BATCH_MAX 1024

struct job {
	apply_fn fn;
	void *arg;
	struct rebuy_loyalty_reply *reply;
	struct rebuy_error err;
	enum rebuy_status st;
	sem_t done; /* posted by the writer once, as its last touch of the job */
	struct job *next;
};

struct sval sv_text(const char *s)
{
	struct sval v = {SV_NULL, 0, NULL, 0};
	if (s) {
		v.type = SV_TEXT;
		v.p = s;
		v.n = strlen(s);
	}
	return v;
}

enum rebuy_status db_run(struct conn *c, int q, const struct sval *p, size_t n,
                         struct rebuy_error *err)
{
	return c->ops->run(c, q, p, n, NULL, err);
}

enum rebuy_status db_int(struct conn *c, int q, const struct sval *p, size_t n, int64_t *out,
                         int *found, struct rebuy_error *err)
{
	struct cursor *k;
	enum rebuy_status st = c->ops->run(c, q, p, n, &k, err);
	if (st)
		return st;
	int r = c->ops->next(k, err);
	if (found)
		*found = r == 1;
	*out = r == 1 && !c->ops->is_null(k, 0) ? c->ops->col_int(k, 0) : 0;
	c->ops->done(k);
	return r < 0 ? REBUY_EIO : REBUY_OK;
}

static int is_pg_url(const char *db)
{
	return strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0;
}

static enum rebuy_status connect(const char *db, int create, struct conn **out,
                                 struct rebuy_error *err)
{
	if (is_pg_url(db))
		return rebuy__pg_open(out, db, create, err);
	return rebuy__sqlite_open(out, db, create, err);
}

/* ---- schema ---- */

static enum rebuy_status migrate(struct conn *c, int from, struct rebuy_error *err)
{
	for (int v = from + 1; v <= rebuy__n_migrations; v++) {
		char sql[96];
		char *ddl = rebuy__ddl(rebuy__migrations[v - 1],
		                       strcmp(c->ops->name, "postgresql") == 0);
		if (!ddl)
			return rebuy_error_set(err, REBUY_ENOMEM, "ledger: out of memory");
		enum rebuy_status st = c->ops->exec(c, ddl, err);
		rebuy__free(ddl);
		if (st)
			return st;
		snprintf(sql, sizeof sql, "INSERT INTO schema_version (version) VALUES (%d)", v);
		if ((st = c->ops->exec(c, sql, err)))
			return st;
	}
	return REBUY_OK;
}

enum rebuy_status rebuy_loyalty_init(const char *db, const char *program_path,
                                     struct rebuy_error *err)
{
	struct rebuy__program *prog = NULL;
	char *text = NULL;
	struct conn *c = NULL;
	enum rebuy_status st = rebuy__program_load(&prog, &text, program_path, err);
	if (st)
		return st;
	if ((st = connect(db, 1, &c, err)))
		goto out;
	if ((st = c->ops->exec(c, c->ops->begin_write, err)))
		goto out;
	if (c->ops->exec(c, "CREATE TABLE schema_version (version BIGINT NOT NULL)", NULL)) {
		c->ops->exec(c, "ROLLBACK", NULL);
		st = rebuy_error_set(err, REBUY_EARG, "%s: already holds a ledger", db);
		goto out;
	}
	unsigned char key[32];
	char key_hex[HASH_HEX], created[24];
	randombytes_buf(key, sizeof key);
	rebuy__hex(key, sizeof key, key_hex);
	sodium_memzero(key, sizeof key);
	snprintf(created, sizeof created, "%lld", (long long)time(NULL));
	struct sval p1[] = {sv_text("program"), sv_text(text)};
	struct sval p2[] = {sv_text("customer_key"), sv_text(key_hex)};
	struct sval p3[] = {sv_text("program_file"), sv_text(program_path)};
	struct sval p4[] = {sv_text("created"), sv_text(created)};
	if ((st = migrate(c, 0, err)) || (st = db_run(c, Q_META_PUT, p1, 2, err)) ||
	    (st = db_run(c, Q_META_PUT, p2, 2, err)) || (st = db_run(c, Q_META_PUT, p3, 2, err)) ||
	    (st = db_run(c, Q_META_PUT, p4, 2, err)) || (st = c->ops->exec(c, "COMMIT", err)))
		c->ops->exec(c, "ROLLBACK", NULL);
	sodium_memzero(key_hex, sizeof key_hex);
out:
	if (c)
		c->ops->close(c);
	rebuy__free(prog);
	rebuy__free(text);
	return st;
}

static enum rebuy_status meta_get(struct conn *c, const char *name, char *out, size_t size,
                                  char **dup, struct rebuy_error *err)
{
	struct cursor *k;
	struct sval p = sv_text(name);
	enum rebuy_status st = c->ops->run(c, Q_META_GET, &p, 1, &k, err);
	if (st)
		return st;
	int r = c->ops->next(k, err);
	if (r != 1) {
		c->ops->done(k);
		return r < 0 ? REBUY_EIO
		             : rebuy_error_set(err, REBUY_EDATA, "ledger: meta '%s' is missing",
		                               name);
	}
	size_t n;
	const char *v = c->ops->col_text(k, 0, &n);
	if (dup) {
		*dup = rebuy__strndup(v, n);
		st = *dup ? REBUY_OK : rebuy_error_set(err, REBUY_ENOMEM, "ledger: out of memory");
	} else {
		snprintf(out, size, "%s", v);
	}
	c->ops->done(k);
	return st;
}

static enum rebuy_status load_program(struct rebuy_loyalty *l, struct rebuy_error *err)
{
	struct conn *c = l->writer;
	int64_t version = 0;
	int found;
	enum rebuy_status st;
	if (c->ops->exec(c, "SELECT 1 FROM schema_version", NULL))
		return rebuy_error_set(err, REBUY_EDATA,
		                       "%s: not a rebuy ledger (no schema_version)", l->where);
	if ((st = db_int(c, Q_VERSION_GET, NULL, 0, &version, &found, err)))
		return st;
	if (version > rebuy__n_migrations)
		return rebuy_error_set(err, REBUY_EDATA,
		                       "%s: schema version %lld is newer than this rebuy (%d)",
		                       l->where, (long long)version, rebuy__n_migrations);
	if (version < rebuy__n_migrations) {
		if ((st = c->ops->exec(c, c->ops->begin_write, err)))
			return st;
		if ((st = migrate(c, (int)version, err)) || (st = c->ops->exec(c, "COMMIT", err))) {
			c->ops->exec(c, "ROLLBACK", NULL);
			return st;
		}
	}
	char *text = NULL, key_hex[HASH_HEX + 8];
	if ((st = meta_get(c, "program", NULL, 0, &text, err)))
		return st;
	st = rebuy__program_parse(&l->program, text, strlen(text), "program", err);
	rebuy__free(text);
	if (st)
		return st;
	if ((st = meta_get(c, "customer_key", key_hex, sizeof key_hex, NULL, err)))
		return st;
	size_t bin_len = 0;
	if (sodium_hex2bin(l->customer_key, sizeof l->customer_key, key_hex, strlen(key_hex), NULL,
	                   &bin_len, NULL) != 0 ||
	    bin_len != sizeof l->customer_key)
		st = rebuy_error_set(err, REBUY_EDATA, "%s: the customer key is damaged", l->where);
	sodium_memzero(key_hex, sizeof key_hex);
	return st;
}

/* ---- the writer ---- */

/* SAVEPOINT, RELEASE, ROLLBACK TO: prepared once on SQLite, run as text on
 * PostgreSQL (which prepares only queries). */
static enum rebuy_status savepoint(struct rebuy_loyalty *l, int q, struct rebuy_error *err)
{
	struct conn *c = l->writer;
	if (!l->is_pg)
		return db_run(c, q, NULL, 0, err);
	return c->ops->exec(c, rebuy__sql_text(q), err);
}

static void run_batch(struct rebuy_loyalty *l, struct job *jobs)
{
	struct conn *c = l->writer;
	struct wctx w;
	memset(&w, 0, sizeof w);
	w.l = l;
	w.c = c;
	struct rebuy_error berr;
	rebuy_error_clear(&berr);
	enum rebuy_status st = c->ops->exec(c, c->ops->begin_write, &berr);
	int in_tx = st == REBUY_OK;
	if (!st) {
		struct cursor *k;
		st = c->ops->run(c, Q_HEAD_GET, NULL, 0, &k, &berr);
		if (!st) {
			int r = c->ops->next(k, &berr);
			if (r == 1) {
				w.head.seq = c->ops->col_int(k, 0);
				snprintf(w.head.hash, sizeof w.head.hash, "%s",
				         c->ops->col_text(k, 1, NULL));
				w.head.next_customer = c->ops->col_int(k, 2);
				w.head.next_lot = c->ops->col_int(k, 3);
			} else if (r == 0) {
				st = rebuy_error_set(&berr, REBUY_EDATA,
				                     "%s: the chain head is missing", l->where);
			} else {
				st = REBUY_EIO;
			}
			c->ops->done(k);
		}
	}
	int n_ok = 0;
	for (struct job *j = jobs; j && !st; j = j->next) {
		struct head saved = w.head;
		int64_t saved_delta[N_PROGRAM_ACCOUNTS];
		memcpy(saved_delta, w.program_delta, sizeof saved_delta);
		if ((st = savepoint(l, Q_SAVEPOINT, &berr)))
			break;
		j->st = j->fn(&w, j->arg, j->reply, &j->err);
		if (j->st == REBUY_OK) {
			st = savepoint(l, Q_RELEASE, &berr);
			n_ok++;
		} else {
			rebuy_loyalty_reply_release(j->reply);
			w.head = saved;
			memcpy(w.program_delta, saved_delta, sizeof saved_delta);
			if (!(st = savepoint(l, Q_ROLLBACK_TO, &berr)))
				st = savepoint(l, Q_RELEASE, &berr);
		}
	}
	for (int a = 0; a < N_PROGRAM_ACCOUNTS && !st; a++) {
		if (!w.program_delta[a])
			continue;
		static const char *const kinds[] = {"earned", "redeemed", "expired", "adjusted"};
		struct sval p[] = {sv_int(-1 - a),
		                   {SV_NULL, 0, NULL, 0},
		                   sv_text(kinds[a]),
		                   sv_int(w.program_delta[a])};
		st = db_run(c, Q_ACCT_ADD, p, 4, &berr);
	}
	if (!st && n_ok) {
		struct sval p[] = {sv_int(w.head.seq), sv_text(w.head.hash),
		                   sv_int(w.head.next_customer), sv_int(w.head.next_lot)};
		st = db_run(c, Q_HEAD_PUT, p, 4, &berr);
	}
	if (!st)
		st = c->ops->exec(c, "COMMIT", &berr);
	if (st && in_tx)
		c->ops->exec(c, "ROLLBACK", NULL);
	pthread_mutex_lock(&l->mu);
	if (!st) {
		l->commits += n_ok;
		l->commit_groups++;
	}
	pthread_mutex_unlock(&l->mu);
	if (!st)
		return;
	/* the batch did not commit: nothing of it happened */
	for (struct job *j = jobs; j; j = j->next) {
		if (j->st == REBUY_OK || j->err.code == REBUY_OK) {
			rebuy_loyalty_reply_release(j->reply);
			j->st = berr.code ? berr.code : REBUY_EIO;
			rebuy_error_clear(&j->err);
			rebuy_error_set(&j->err, j->st, "%s",
			                berr.msg[0] ? berr.msg : "commit failed");
		}
	}
}

static void *writer_main(void *arg)
{
	struct rebuy_loyalty *l = arg;
	pthread_mutex_lock(&l->mu);
	for (;;) {
		while (!l->head && !l->stop)
			pthread_cond_wait(&l->wake, &l->mu);
		if (!l->head)
			break;
		struct job *batch = l->head, *last = l->head;
		int n = 1;
		while (last->next && n < BATCH_MAX) {
			last = last->next;
			n++;
		}
		l->head = last->next;
		if (!l->head)
			l->tail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&l->mu);
		for (struct job *j = batch; j; j = j->next)
			j->st = REBUY_EINTERNAL;
		run_batch(l, batch);
		/* Without the lock, so that a woken caller does not block on it;
		 * the post is the last touch (the job lives on its caller's stack,
		 * gone once sem_wait returns: glibc's sem_post allows that). */
		for (struct job *j = batch, *next; j; j = next) {
			next = j->next;
			sem_post(&j->done);
		}
		pthread_mutex_lock(&l->mu);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

enum rebuy_status rebuy__submit(struct rebuy_loyalty *l, apply_fn fn, void *arg,
                                struct rebuy_loyalty_reply *reply, struct rebuy_error *err)
{
	reply->status = 0;
	reply->body = NULL;
	reply->len = 0;
	struct job j;
	memset(&j, 0, sizeof j);
	j.fn = fn;
	j.arg = arg;
	j.reply = reply;
	rebuy_error_clear(&j.err);
	if (sem_init(&j.done, 0, 0) != 0)
		return rebuy_error_set(err, REBUY_ENOMEM, "loyalty: cannot make a semaphore");
	pthread_mutex_lock(&l->mu);
	if (l->tail)
		l->tail->next = &j;
	else
		l->head = &j;
	l->tail = &j;
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->mu);
	while (sem_wait(&j.done) != 0)
		; /* EINTR */
	sem_destroy(&j.done);
	if (j.st) {
		rebuy_error_set(err, j.st, "%s", j.err.msg);
		return j.st;
	}
	return REBUY_OK;
}

/* ---- open and close ---- */

enum rebuy_status rebuy_loyalty_open(struct rebuy_loyalty **out, const char *db,
                                     struct rebuy_error *err)
{
	*out = NULL;
	if (sodium_init() < 0)
		return rebuy_error_set(err, REBUY_EINTERNAL, "loyalty: libsodium cannot start");
	struct rebuy_loyalty *l = rebuy__calloc(1, sizeof *l);
	if (!l)
		return rebuy_error_set(err, REBUY_ENOMEM, "loyalty: out of memory");
	snprintf(l->where, sizeof l->where, "%s", db);
	l->is_pg = is_pg_url(db);
	pthread_mutex_init(&l->mu, NULL);
	pthread_mutex_init(&l->pool_mu, NULL);
	pthread_mutex_init(&l->keys_mu, NULL);
	randombytes_buf(l->keys_seen_key, sizeof l->keys_seen_key);
	pthread_cond_init(&l->wake, NULL);
	pthread_cond_init(&l->done, NULL);
	enum rebuy_status st = connect(db, 0, &l->writer, err);
	if (!st)
		st = load_program(l, err);
	if (!st && l->writer->ops->make_writer)
		st = l->writer->ops->make_writer(l->writer, err);
	if (!st) {
		if (pthread_create(&l->thread, NULL, writer_main, l) != 0)
			st = rebuy_error_set(err, REBUY_ENOMEM,
			                     "loyalty: cannot start the writer thread");
		else
			l->has_thread = 1;
	}
	if (st) {
		rebuy_loyalty_close(l);
		return st;
	}
	*out = l;
	return REBUY_OK;
}

void rebuy_loyalty_close(struct rebuy_loyalty *l)
{
	if (!l)
		return;
	if (l->has_thread) {
		pthread_mutex_lock(&l->mu);
		l->stop = 1;
		pthread_cond_signal(&l->wake);
		pthread_mutex_unlock(&l->mu);
		pthread_join(l->thread, NULL);
	}
	for (size_t i = 0; i < l->n_pool; i++)
		l->pool[i]->ops->close(l->pool[i]);
	if (l->writer)
		l->writer->ops->close(l->writer);
	rebuy__free(l->program);
	sodium_memzero(l->customer_key, sizeof l->customer_key);
	pthread_mutex_destroy(&l->mu);
	pthread_mutex_destroy(&l->pool_mu);
	pthread_mutex_destroy(&l->keys_mu);
	sodium_memzero(l->keys_seen, sizeof l->keys_seen);
	pthread_cond_destroy(&l->wake);
	pthread_cond_destroy(&l->done);
	rebuy__free(l);
}

enum rebuy_status rebuy__reader(struct rebuy_loyalty *l, struct conn **out, struct rebuy_error *err)
{
	pthread_mutex_lock(&l->pool_mu);
	if (l->n_pool) {
		*out = l->pool[--l->n_pool];
		pthread_mutex_unlock(&l->pool_mu);
		return REBUY_OK;
	}
	pthread_mutex_unlock(&l->pool_mu);
	return connect(l->where, 0, out, err);
}

void rebuy__reader_back(struct rebuy_loyalty *l, struct conn *c)
{
	pthread_mutex_lock(&l->pool_mu);
	if (l->n_pool < sizeof l->pool / sizeof *l->pool) {
		l->pool[l->n_pool++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&l->pool_mu);
	if (c)
		c->ops->close(c);
}

/* ---- API keys ----
 * A key is "rbk_<id>_<secret>": id is 6 random bytes in hex (the lookup
 * handle), secret 32 random bytes in URL-safe base64. The store keeps
 * BLAKE2b-256 of the secret keyed by a per-key random salt. A 256-bit random
 * secret cannot be guessed, so a slow password hash would add cost per
 * request and no safety; the salt keeps equal secrets (there are none) and
 * precomputed tables out (docs/loyalty.md, "API keys"). */

#define KEY_ID_BYTES 6
#define KEY_SECRET_BYTES 32
#define KEY_SALT_BYTES 16

struct key_create_arg {
	const char *name;
	unsigned scopes;
	char *key;
	size_t key_size;
};

static void key_digest(const unsigned char *secret, const unsigned char *salt, char out[HASH_HEX])
{
	unsigned char h[32];
	crypto_generichash(h, sizeof h, secret, KEY_SECRET_BYTES, salt, KEY_SALT_BYTES);
	rebuy__hex(h, sizeof h, out);
}

static enum rebuy_status key_create_apply(struct wctx *w, void *arg,
                                          struct rebuy_loyalty_reply *reply,
                                          struct rebuy_error *err)
{
	struct key_create_arg *a = arg;
	int64_t v;
	int found;
	struct sval pn = sv_text(a->name);
	enum rebuy_status st = db_int(w->c, Q_KEY_BY_NAME, &pn, 1, &v, &found, err);
	if (st)
		return st;
	if (found)
		return rebuy_error_set(err, REBUY_EARG, "key '%s' already exists", a->name);
	unsigned char id[KEY_ID_BYTES], secret[KEY_SECRET_BYTES], salt[KEY_SALT_BYTES];
	char id_hex[2 * KEY_ID_BYTES + 1], salt_hex[2 * KEY_SALT_BYTES + 1], digest[HASH_HEX];
	char b64[sodium_base64_ENCODED_LEN(KEY_SECRET_BYTES,
	                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	randombytes_buf(id, sizeof id);
	randombytes_buf(secret, sizeof secret);
	randombytes_buf(salt, sizeof salt);
	rebuy__hex(id, sizeof id, id_hex);
	rebuy__hex(salt, sizeof salt, salt_hex);
	key_digest(secret, salt, digest);
	sodium_bin2base64(b64, sizeof b64, secret, sizeof secret,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	int n = snprintf(a->key, a->key_size, "rbk_%s_%s", id_hex, b64);
	sodium_memzero(secret, sizeof secret);
	sodium_memzero(b64, sizeof b64);
	if (n < 0 || (size_t)n >= a->key_size)
		return rebuy_error_set(err, REBUY_EARG,
		                       "key: the buffer holds %zu bytes, %d needed", a->key_size,
		                       n + 1);
	struct sval p[] = {sv_text(id_hex), sv_text(a->name),  sv_text(salt_hex),
	                   sv_text(digest), sv_int(a->scopes), sv_int((int64_t)time(NULL))};
	if ((st = db_run(w->c, Q_KEY_INSERT, p, 6, err)))
		return st;
	return rebuy__reply_copy(reply, 201, "{}", 2, err);
}

static enum rebuy_status check_key_name(const char *name, struct rebuy_error *err)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > 64)
		return rebuy_error_set(err, REBUY_EARG, "a key name is 1..64 bytes");
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return rebuy_error_set(
			        err, REBUY_EARG,
			        "key name '%.64s': letters, digits, '-', '_', '.' only", name);
	}
	return REBUY_OK;
}

enum rebuy_status rebuy_loyalty_key_create(struct rebuy_loyalty *l, const char *name,
                                           unsigned scopes, char *key, size_t key_size,
                                           struct rebuy_error *err)
{
	enum rebuy_status st = check_key_name(name, err);
	if (st)
		return st;
	if (scopes == 0 || (scopes & ~7u))
		return rebuy_error_set(err, REBUY_EARG,
		                       "key '%s': scopes must be read, write, admin", name);
	struct key_create_arg a = {name, scopes, key, key_size};
	struct rebuy_loyalty_reply r;
	st = rebuy__submit(l, key_create_apply, &a, &r, err);
	rebuy_loyalty_reply_release(&r);
	return st;
}

static enum rebuy_status key_revoke_apply(struct wctx *w, void *arg,
                                          struct rebuy_loyalty_reply *reply,
                                          struct rebuy_error *err)
{
	const char *name = arg;
	struct sval p[] = {sv_int((int64_t)time(NULL)), sv_text(name)};
	enum rebuy_status st = db_run(w->c, Q_KEY_REVOKE, p, 2, err);
	if (st)
		return st;
	if (w->c->ops->changes(w->c) != 1)
		return rebuy_error_set(err, REBUY_EARG, "no active key named '%s'", name);
	return rebuy__reply_copy(reply, 200, "{}", 2, err);
}

enum rebuy_status rebuy_loyalty_key_revoke(struct rebuy_loyalty *l, const char *name,
                                           struct rebuy_error *err)
{
	enum rebuy_status st = check_key_name(name, err);
	if (st)
		return st;
	struct rebuy_loyalty_reply r;
	st = rebuy__submit(l, key_revoke_apply, (void *)name, &r, err);
	rebuy_loyalty_reply_release(&r);
	if (!st) {
		/* keys this handle trusted are checked again from now on */
		pthread_mutex_lock(&l->keys_mu);
		memset(l->keys_seen, 0, sizeof l->keys_seen);
		pthread_mutex_unlock(&l->keys_mu);
	}
	return st;
}

/* How long a key found valid is trusted without reading the key table: a
 * key revoked by another process (rebuy loyalty key revoke) stops working
 * within this time; one revoked through this handle at once. */
#define KEY_TRUST_S 1.0

static double mono_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

unsigned rebuy_loyalty_key_check(struct rebuy_loyalty *l, const char *key, size_t len)
{
	const size_t id_len = 2 * KEY_ID_BYTES;
	if (!key || len < 4 + id_len + 2 || len > 128 || memcmp(key, "rbk_", 4) != 0 ||
	    key[4 + id_len] != '_')
		return 0;
	char id[2 * KEY_ID_BYTES + 1];
	memcpy(id, key + 4, id_len);
	id[id_len] = '\0';
	for (size_t i = 0; i < id_len; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	unsigned char secret[KEY_SECRET_BYTES];
	size_t secret_len = 0;
	const char *b64 = key + 4 + id_len + 1;
	if (sodium_base642bin(secret, sizeof secret, b64, len - (size_t)(b64 - key), NULL,
	                      &secret_len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    secret_len != sizeof secret)
		return 0;
	unsigned char seen[32];
	crypto_generichash(seen, sizeof seen, (const unsigned char *)key, len, l->keys_seen_key,
	                   sizeof l->keys_seen_key);
	struct key_seen *slot =
	        &l->keys_seen[seen[0] % (sizeof l->keys_seen / sizeof l->keys_seen[0])];
	double now = mono_now();
	unsigned scopes = 0;
	pthread_mutex_lock(&l->keys_mu);
	if (strcmp(slot->id, id) == 0 && now < slot->until &&
	    sodium_memcmp(slot->digest, seen, sizeof seen) == 0)
		scopes = slot->scopes;
	pthread_mutex_unlock(&l->keys_mu);
	if (scopes) {
		sodium_memzero(secret, sizeof secret);
		return scopes;
	}
	struct conn *c;
	if (rebuy__reader(l, &c, NULL))
		return 0;
	struct cursor *k;
	struct sval p = sv_text(id);
	if (c->ops->run(c, Q_KEY_GET, &p, 1, &k, NULL) == REBUY_OK) {
		if (c->ops->next(k, NULL) == 1 && c->ops->is_null(k, 3)) {
			unsigned char salt[KEY_SALT_BYTES], want[32], got[32];
			size_t n1 = 0, n2 = 0;
			const char *salt_hex = c->ops->col_text(k, 0, NULL);
			const char *digest_hex = c->ops->col_text(k, 1, NULL);
			if (sodium_hex2bin(salt, sizeof salt, salt_hex, strlen(salt_hex), NULL, &n1,
			                   NULL) == 0 &&
			    n1 == sizeof salt &&
			    sodium_hex2bin(want, sizeof want, digest_hex, strlen(digest_hex), NULL,
			                   &n2, NULL) == 0 &&
			    n2 == sizeof want) {
				crypto_generichash(got, sizeof got, secret, sizeof secret, salt,
				                   sizeof salt);
				if (sodium_memcmp(got, want, sizeof got) == 0)
					scopes = (unsigned)c->ops->col_int(k, 2) & 7u;
			}
		}
		c->ops->done(k);
	}
	sodium_memzero(secret, sizeof secret);
	rebuy__reader_back(l, c);
	if (scopes) {
		pthread_mutex_lock(&l->keys_mu);
		memcpy(slot->id, id, id_len + 1);
		memcpy(slot->digest, seen, sizeof seen);
		slot->scopes = scopes;
		slot->until = now + KEY_TRUST_S;
		pthread_mutex_unlock(&l->keys_mu);
	}
	return scopes;
}

enum rebuy_status rebuy_loyalty_key_list(struct rebuy_loyalty *l, rebuy_loyalty_key_fn fn,
                                         void *ctx, struct rebuy_error *err)
{
	struct conn *c;
	enum rebuy_status st = rebuy__reader(l, &c, err);
	if (st)
		return st;
	struct cursor *k;
	if (!(st = c->ops->run(c, Q_KEY_LIST, NULL, 0, &k, err))) {
		int r;
		while ((r = c->ops->next(k, err)) == 1) {
			struct rebuy_loyalty_key_info info = {
			        c->ops->col_text(k, 0, NULL), c->ops->col_text(k, 1, NULL),
			        (unsigned)c->ops->col_int(k, 2), c->ops->col_int(k, 3),
			        c->ops->is_null(k, 4) ? 0 : c->ops->col_int(k, 4)};
			if (fn(ctx, &info))
				break;
		}
		if (r < 0)
			st = REBUY_EIO;
		c->ops->done(k);
	}
	rebuy__reader_back(l, c);
	return st;
}

/* ---- reads ---- */

enum rebuy_status rebuy__tier_at(struct rebuy_loyalty *l, struct conn *c, int64_t customer,
                                 int64_t t, int *tier, int64_t *spend, int64_t *points,
                                 struct rebuy_error *err)
{
	const struct rebuy__program *p = l->program;
	*tier = -1;
	*spend = *points = 0;
	if (p->n_tiers == 0)
		return REBUY_OK;
	int64_t from = t - p->tier_window_days * 86400;
	struct sval q[] = {sv_int(customer), sv_int(from), sv_int(t)};
	int need_spend = 0, need_points = 0;
	for (size_t i = 0; i < p->n_tiers; i++) {
		need_spend |= p->tier[i].basis == LP_SPEND;
		need_points |= p->tier[i].basis == LP_POINTS;
	}
	enum rebuy_status st = REBUY_OK;
	if (need_spend)
		st = db_int(c, Q_SPEND_WINDOW, q, 3, spend, NULL, err);
	if (!st && need_points)
		st = db_int(c, Q_POINTS_WINDOW, q, 3, points, NULL, err);
	if (!st)
		*tier = rebuy__program_tier(p, *spend, *points);
	return st;
}

static void put_money(struct jbuf *b, int64_t v)
{
	char s[32];
	rebuy_money_format(v, s, sizeof s);
	jb_json(b, s, strlen(s));
}

static void put_tier(struct jbuf *b, const struct rebuy__program *p, int tier)
{
	if (tier < 0) {
		jb_str(b, "{\"name\":\"none\",\"multiplier\":\"1\",\"perks\":[]}");
		return;
	}
	const struct lp_tier *t = &p->tier[tier];
	jb_str(b, "{\"name\":");
	jb_jsonz(b, t->name);
	jb_str(b, ",\"multiplier\":");
	put_money(b, t->factor);
	jb_str(b, ",\"perks\":[");
	for (size_t i = 0; i < t->n_perks; i++) {
		if (i)
			jb_str(b, ",");
		jb_jsonz(b, t->perks[i]);
	}
	jb_str(b, "]}");
}

static enum rebuy_status customer_reply(struct rebuy_loyalty *l, struct conn *c,
                                        const char *customer, int64_t now,
                                        struct rebuy_loyalty_reply *reply, struct rebuy_error *err)
{
	struct cursor *k;
	struct sval pc = sv_text(customer);
	enum rebuy_status st = c->ops->run(c, Q_CUST_BY_EXT, &pc, 1, &k, err);
	if (st)
		return st;
	int r = c->ops->next(k, err);
	if (r <= 0) {
		c->ops->done(k);
		return r < 0 ? REBUY_EIO
		             : rebuy__reply_error(reply, 404, "unknown_customer",
		                                  "no such customer in the ledger", err);
	}
	int64_t id = c->ops->col_int(k, 0), n_orders = 0, debt = c->ops->col_int(k, 4);
	char birthday[8] = "";
	if (!c->ops->is_null(k, 2))
		snprintf(birthday, sizeof birthday, "%s", c->ops->col_text(k, 2, NULL));
	c->ops->done(k);
	int64_t available = 0, pending = 0;
	struct sval pa = sv_int(ACCT_AVAILABLE(id)), pp = sv_int(ACCT_PENDING(id)), pi = sv_int(id);
	if ((st = db_int(c, Q_CUST_ORDERS, &pi, 1, &n_orders, NULL, err)) ||
	    (st = db_int(c, Q_ACCT_GET, &pa, 1, &available, NULL, err)) ||
	    (st = db_int(c, Q_ACCT_GET, &pp, 1, &pending, NULL, err)))
		return st;
	int tier;
	int64_t spend, points;
	if ((st = rebuy__tier_at(l, c, id, now, &tier, &spend, &points, err)))
		return st;
	const struct rebuy__program *p = l->program;
	struct jbuf b;
	jb_init(&b);
	jb_str(&b, "{\"customer\":");
	jb_jsonz(&b, customer);
	jb_printf(&b, ",\"available\":%lld,\"pending\":%lld,\"debt\":%lld,\"orders\":%lld",
	          (long long)available, (long long)pending, (long long)debt, (long long)n_orders);
	jb_str(&b, ",\"birthday\":");
	jb_jsonz(&b, birthday[0] ? birthday : NULL);
	jb_str(&b, ",\"as_of\":");
	jb_time(&b, now);
	jb_str(&b, ",\"tier\":");
	put_tier(&b, p, tier);
	jb_str(&b, ",\"window\":{\"days\":");
	jb_printf(&b, "%lld,\"spend\":", (long long)p->tier_window_days);
	put_money(&b, spend);
	jb_printf(&b, ",\"points\":%lld}", (long long)points);
	/* the next tier: the first one after the current in file order not reached */
	jb_str(&b, ",\"next_tier\":");
	int next = -1;
	for (size_t i = (size_t)(tier + 1); i < p->n_tiers; i++) {
		int64_t v = p->tier[i].basis == LP_SPEND ? spend : points;
		if (v < p->tier[i].threshold) {
			next = (int)i;
			break;
		}
	}
	if (next < 0) {
		jb_str(&b, "null");
	} else {
		const struct lp_tier *t = &p->tier[next];
		int64_t v = t->basis == LP_SPEND ? spend : points;
		int64_t progress =
		        t->threshold > 0
		                ? (int64_t)((__extension__(__int128) v * 10000) / t->threshold)
		                : 10000;
		if (progress < 0)
			progress = 0;
		jb_str(&b, "{\"name\":");
		jb_jsonz(&b, t->name);
		if (t->basis == LP_SPEND) {
			jb_str(&b, ",\"basis\":\"spend\",\"threshold\":");
			put_money(&b, t->threshold);
			jb_str(&b, ",\"needed\":");
			put_money(&b, t->threshold - v);
		} else {
			jb_printf(&b, ",\"basis\":\"points\",\"threshold\":%lld,\"needed\":%lld",
			          (long long)t->threshold, (long long)(t->threshold - v));
		}
		jb_str(&b, ",\"progress\":");
		put_money(&b, progress);
		jb_str(&b, "}");
	}
	/* points expiring in the next 30 days, and pending points with their date */
	jb_str(&b, ",\"expiring\":[");
	struct sval pl = sv_int(id);
	if ((st = c->ops->run(c, Q_LOTS_OPEN, &pl, 1, &k, err))) {
		jb_release(&b);
		return st;
	}
	int first = 1;
	int64_t expiring = 0;
	while ((r = c->ops->next(k, err)) == 1) {
		int64_t rem = c->ops->col_int(k, 2), exp = c->ops->col_int(k, 5);
		if (exp == LP_NEVER || exp > now + 30 * 86400)
			continue;
		expiring += rem;
		jb_str(&b, first ? "{" : ",{");
		first = 0;
		jb_printf(&b, "\"points\":%lld,\"expires_at\":", (long long)rem);
		jb_time(&b, exp);
		jb_str(&b, "}");
	}
	c->ops->done(k);
	if (r < 0) {
		jb_release(&b);
		return REBUY_EIO;
	}
	jb_printf(&b, "],\"expiring_points\":%lld}", (long long)expiring);
	return rebuy__reply_take(reply, 200, &b, err);
}

enum rebuy_status rebuy_loyalty_customer(struct rebuy_loyalty *l, const char *customer, int64_t now,
                                         struct rebuy_loyalty_reply *reply, struct rebuy_error *err)
{
	reply->body = NULL;
	reply->len = 0;
	if (!customer || !customer[0] || strlen(customer) > ID_MAX)
		return rebuy__reply_error(reply, 400, "invalid_request",
		                          "a customer id is 1..256 bytes", err);
	if (now < 0 || now > (int64_t)253402300799)
		return rebuy__reply_error(reply, 400, "invalid_request",
		                          "now is between 1970-01-01 and 9999-12-31", err);
	struct conn *c;
	enum rebuy_status st = rebuy__reader(l, &c, err);
	if (st)
		return st;
	st = customer_reply(l, c, customer, now, reply, err);
	rebuy__reader_back(l, c);
	return st;
}

enum rebuy_status rebuy_loyalty_ledger(struct rebuy_loyalty *l, const char *customer,
                                       const char *cursor, int limit,
                                       struct rebuy_loyalty_reply *reply, struct rebuy_error *err)
{
	reply->body = NULL;
	reply->len = 0;
	if (limit < 1 || limit > 1000)
		return rebuy__reply_error(reply, 400, "invalid_request", "limit is 1..1000", err);
	int64_t before = INT64_MAX;
	if (cursor) {
		size_t n = strlen(cursor);
		int ok = n > 0 && n <= 18;
		before = 0;
		for (size_t i = 0; ok && i < n; i++) {
			ok = cursor[i] >= '0' && cursor[i] <= '9';
			before = before * 10 + (cursor[i] - '0');
		}
		if (!ok)
			return rebuy__reply_error(reply, 400, "invalid_request", "bad cursor", err);
	}
	if (!customer || !customer[0] || strlen(customer) > ID_MAX)
		return rebuy__reply_error(reply, 400, "invalid_request",
		                          "a customer id is 1..256 bytes", err);
	struct conn *c;
	enum rebuy_status st = rebuy__reader(l, &c, err);
	if (st)
		return st;
	struct cursor *k;
	int64_t id;
	int found;
	struct sval pc = sv_text(customer);
	if ((st = c->ops->run(c, Q_CUST_BY_EXT, &pc, 1, &k, err)))
		goto out;
	int r = c->ops->next(k, err);
	found = r == 1;
	id = found ? c->ops->col_int(k, 0) : 0;
	c->ops->done(k);
	if (r < 0) {
		st = REBUY_EIO;
		goto out;
	}
	if (!found) {
		st = rebuy__reply_error(reply, 404, "unknown_customer",
		                        "no such customer in the ledger", err);
		goto out;
	}
	struct sval p[] = {sv_int(id), sv_int(before), sv_int(limit + 1)};
	if ((st = c->ops->run(c, Q_LEDGER_PAGE, p, 3, &k, err)))
		goto out;
	struct jbuf b;
	jb_init(&b);
	jb_str(&b, "{\"customer\":");
	jb_jsonz(&b, customer);
	jb_str(&b, ",\"transactions\":[");
	int n = 0;
	int64_t last = 0, more = 0;
	while ((r = c->ops->next(k, err)) == 1) {
		if (n == limit) {
			more = 1;
			break;
		}
		last = c->ops->col_int(k, 0);
		jb_printf(&b, "%s{\"id\":%lld,\"kind\":", n ? "," : "", (long long)last);
		jb_jsonz(&b, c->ops->col_text(k, 1, NULL));
		jb_str(&b, ",\"ref\":");
		jb_jsonz(&b, c->ops->col_text(k, 2, NULL));
		jb_str(&b, ",\"rule\":");
		jb_jsonz(&b, c->ops->col_text(k, 3, NULL));
		if (c->ops->is_null(k, 4))
			jb_str(&b, ",\"refers\":null");
		else
			jb_printf(&b, ",\"refers\":%lld", (long long)c->ops->col_int(k, 4));
		jb_str(&b, ",\"time\":");
		jb_time(&b, c->ops->col_int(k, 5));
		jb_printf(&b, ",\"points\":%lld}", (long long)c->ops->col_int(k, 6));
		n++;
	}
	c->ops->done(k);
	if (r < 0) {
		jb_release(&b);
		st = REBUY_EIO;
		goto out;
	}
	if (more)
		jb_printf(&b, "],\"next_cursor\":\"%lld\"}", (long long)last);
	else
		jb_str(&b, "],\"next_cursor\":null}");
	st = rebuy__reply_take(reply, 200, &b, err);
out:
	rebuy__reader_back(l, c);
	return st;
}

enum rebuy_status rebuy_loyalty_stats(struct rebuy_loyalty *l, struct rebuy_loyalty_stats *s,
                                      struct rebuy_error *err)
{
	memset(s, 0, sizeof *s);
	struct conn *c;
	enum rebuy_status st = rebuy__reader(l, &c, err);
	if (st)
		return st;
	struct cursor *k;
	if (!(st = c->ops->run(c, Q_HEAD_READ, NULL, 0, &k, err))) {
		if (c->ops->next(k, err) == 1) {
			s->transactions = c->ops->col_int(k, 0);
			s->customers = c->ops->col_int(k, 2) - 1;
		}
		c->ops->done(k);
	}
	if (!st)
		st = db_int(c, Q_COUNT_ORDERS, NULL, 0, &s->orders, NULL, err);
	if (!st && !(st = c->ops->run(c, Q_PROGRAM_BALANCES, NULL, 0, &k, err))) {
		while (c->ops->next(k, err) == 1)
			s->points_outstanding -= c->ops->col_int(k, 1);
		c->ops->done(k);
	}
	rebuy__reader_back(l, c);
	pthread_mutex_lock(&l->mu);
	s->commits = l->commits;
	s->commit_groups = l->commit_groups;
	pthread_mutex_unlock(&l->mu);
	return st;
}

enum rebuy_status rebuy_loyalty_orders(struct rebuy_loyalty *l, rebuy_loyalty_order_fn fn,
                                       void *ctx, struct rebuy_error *err)
{
	struct conn *c;
	enum rebuy_status st = rebuy__reader(l, &c, err);
	if (st)
		return st;
	struct cursor *k;
	if (!(st = c->ops->run(c, Q_ORDERS_ALL, NULL, 0, &k, err))) {
		int r;
		while ((r = c->ops->next(k, err)) == 1) {
			char tomb[40];
			const char *cust;
			if (c->ops->is_null(k, 0)) {
				snprintf(tomb, sizeof tomb, "forgotten:%.16s",
				         c->ops->col_text(k, 1, NULL));
				cust = tomb;
			} else {
				cust = c->ops->col_text(k, 0, NULL);
			}
			if (fn(ctx, cust, c->ops->col_text(k, 2, NULL), c->ops->col_int(k, 3),
			       c->ops->col_int(k, 4)))
				break;
		}
		if (r < 0)
			st = REBUY_EIO;
		c->ops->done(k);
	}
	rebuy__reader_back(l, c);
	return st;
}
