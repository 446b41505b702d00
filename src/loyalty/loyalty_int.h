/* The loyalty ledger's insides, shared by ledger.c (handle, group commit,
 * reads, keys), ops.c (the movements), verify.c (checks, export) and json.c.
 */
#ifndef REBUY_LOYALTY_INT_H
#define REBUY_LOYALTY_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "loyalty/program.h"
#include "loyalty/sql.h"
#include "loyalty/store.h"
#include "rebuy/loyalty.h"

#define ACCT_EARNED (-1)
#define ACCT_REDEEMED (-2)
#define ACCT_EXPIRED (-3)
#define ACCT_ADJUSTED (-4)
#define N_PROGRAM_ACCOUNTS 4
#define ACCT_AVAILABLE(c) (2 * (c))
#define ACCT_PENDING(c) (2 * (c) + 1)

#define HASH_HEX 65 /* 32 bytes as hex + NUL */
#define ID_MAX 256  /* bytes of a customer, order, refund or key id */

/* ---- growable text (JSON replies, hash input) ---- */
struct jbuf {
	char *p;
	size_t n, cap;
	int failed; /* an allocation failed: the text is incomplete */
};
void jb_init(struct jbuf *b);
void jb_release(struct jbuf *b);
void jb_put(struct jbuf *b, const char *s, size_t n);
void jb_str(struct jbuf *b, const char *s); /* raw */
void jb_printf(struct jbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 2, 3)))
#endif
        ;
void jb_json(struct jbuf *b, const char *s, size_t n); /* a quoted, escaped JSON string */
void jb_jsonz(struct jbuf *b, const char *s);          /* NULL gives null */
void jb_time(struct jbuf *b, int64_t t);               /* "YYYY-MM-DDTHH:MM:SSZ" */
void rebuy__hex(const unsigned char *in, size_t n, char *out);

/* ---- the chain head and counters a write batch carries ---- */
struct head {
	int64_t seq, next_customer, next_lot;
	char hash[HASH_HEX];
};

struct wctx {
	struct rebuy_loyalty *l;
	struct conn *c;
	struct head head;
	int64_t program_delta[N_PROGRAM_ACCOUNTS]; /* flushed to accounts at the end of a batch */
};

/* ---- a transaction being built ---- */
struct posting {
	int64_t account, amount;
};
struct lot_move {
	int64_t lot, points;
};
struct new_lot {
	int64_t id, points, remaining, available_at, expires_at;
	int released;
};

struct txb {
	const char *kind, *ref, *rule;
	char bkey[3 * ID_MAX];
	int has_bkey;
	int64_t customer, refers, time, points;
	const char *digest; /* the customer's keyed digest (hex) */
	struct cust *cust;  /* whose cached balances follow the postings */
	struct posting post[8];
	size_t n_post;
	struct lot_move *moves;
	size_t n_moves, cap_moves;
	struct new_lot lots[4];
	size_t n_lots;
	int64_t id; /* set by tx_commit */
};

struct cust {
	int64_t id;
	char ext[ID_MAX + 1];
	char digest[HASH_HEX];
	char birthday[8];
	int64_t n_orders, debt;
	int64_t available, pending; /* balances, kept up to date by tx_commit */
	int exists;
};

/* ---- the handle ---- */
struct job;

struct rebuy_loyalty {
	char where[1024];
	int is_pg;
	struct conn *writer;
	struct rebuy__program *program;
	unsigned char customer_key[32];

	pthread_mutex_t mu;
	pthread_cond_t wake; /* the writer waits for work */
	pthread_cond_t done; /* callers wait for their answer */
	struct job *head, *tail;
	int stop;
	pthread_t thread;
	int has_thread;
	int64_t commits, commit_groups;

	pthread_mutex_t pool_mu;
	struct conn *pool[32];
	size_t n_pool;

	/* API keys found valid lately (rebuy_loyalty_key_check): a keyed digest
	 * of the presented key and its scopes, trusted until `until` (a
	 * monotonic clock), so that a busy service does not read the key
	 * table on every request */
	pthread_mutex_t keys_mu;
	unsigned char keys_seen_key[32];
	struct key_seen {
		char id[16];
		unsigned char digest[32];
		unsigned scopes;
		double until;
	} keys_seen[16];
};

/* A write call: apply runs inside the batch's transaction, in a savepoint. */
typedef enum rebuy_status (*apply_fn)(struct wctx *w, void *arg, struct rebuy_loyalty_reply *reply,
                                      struct rebuy_error *err);
enum rebuy_status rebuy__submit(struct rebuy_loyalty *l, apply_fn fn, void *arg,
                                struct rebuy_loyalty_reply *reply, struct rebuy_error *err);

/* Read connections: borrowed from a pool, given back after use. */
enum rebuy_status rebuy__reader(struct rebuy_loyalty *l, struct conn **out,
                                struct rebuy_error *err);
void rebuy__reader_back(struct rebuy_loyalty *l, struct conn *c);

/* Runs q; row == NULL for statements without rows. One-row helpers: */
enum rebuy_status db_run(struct conn *c, int q, const struct sval *p, size_t n,
                         struct rebuy_error *err);
/* Reads the first column of the only row as an integer (*found 0: no row). */
enum rebuy_status db_int(struct conn *c, int q, const struct sval *p, size_t n, int64_t *out,
                         int *found, struct rebuy_error *err);

/* The keyed digest of a customer id (hex). */
void rebuy__customer_digest(const struct rebuy_loyalty *l, const char *ext, size_t n,
                            char out[HASH_HEX]);
/* A transaction's hash over its content and the previous hash. */
void rebuy__tx_hash(const char *prev, int64_t id, const char *kind, const char *digest,
                    const char *ref, const char *rule, const char *bkey, int64_t refers,
                    int64_t time, int64_t points, const struct posting *post, size_t n_post,
                    const struct lot_move *moves, size_t n_moves, const struct new_lot *lots,
                    size_t n_lots, char out[HASH_HEX]);

/* Replies. */
enum rebuy_status rebuy__reply_take(struct rebuy_loyalty_reply *r, int status, struct jbuf *b,
                                    struct rebuy_error *err);
enum rebuy_status rebuy__reply_copy(struct rebuy_loyalty_reply *r, int status, const char *s,
                                    size_t n, struct rebuy_error *err);
enum rebuy_status rebuy__reply_error(struct rebuy_loyalty_reply *r, int status, const char *code,
                                     const char *message, struct rebuy_error *err);

/* The tier of customer c at time t (index or -1) and the values it was judged on. */
enum rebuy_status rebuy__tier_at(struct rebuy_loyalty *l, struct conn *c, int64_t customer,
                                 int64_t t, int *tier, int64_t *spend, int64_t *points,
                                 struct rebuy_error *err);

#endif
