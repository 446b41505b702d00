/* rebuy — the loyalty ledger: points for purchases, tiers, rewards, expiry.
 *
 * A double-entry, append-only ledger kept in a store (a SQLite file by
 * default, PostgreSQL when the location is a postgresql:// URL). Every
 * movement is one transaction whose postings sum to zero; balances are
 * derived from postings and checkable (rebuy_loyalty_verify); earned points
 * are lots with their own expiry, consumed oldest first; transactions are
 * chained by hash so that tampering shows.
 *
 * Writes are exactly-once at two levels: the request's idempotency key (a
 * retry with the same key and the same body gets the first answer; the same
 * key with another body is a conflict) and the business key (one accrual per
 * order and rule, one reversal per refund), because backends retry with new
 * request ids.
 *
 * The service layer (rebuy serve) parses and validates HTTP requests into
 * the structs below and passes the ledger's replies through unchanged: the
 * ledger decides the HTTP status and writes the JSON body, and stores that
 * answer with the idempotency key in the same database transaction as the
 * movement, so a retry gets byte-identical bytes.
 *
 * One handle may be used by many threads at once: writes are queued to the
 * store's writer, which commits them in groups (one fsync for many calls)
 * and answers each call only after its group is durable.
 *
 * Money is in 1/10,000 currency units (money.h); points are whole int64.
 * Times are Unix seconds (UTC).
 */
#ifndef REBUY_LOYALTY_H
#define REBUY_LOYALTY_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct rebuy_loyalty;

/* API key scopes (a bit set). */
enum {
	REBUY_SCOPE_READ = 1,
	REBUY_SCOPE_WRITE = 2,
	REBUY_SCOPE_ADMIN = 4
};

/* Creates the store at db (a SQLite path or a postgresql:// URL), runs the
 * schema migrations, and installs the program read from the rules file at
 * program_path. Fails when db already holds a ledger. */
enum rebuy_status rebuy_loyalty_init(const char *db, const char *program_path,
                                     struct rebuy_error *err);

/* Opens an existing store (running pending migrations). */
enum rebuy_status rebuy_loyalty_open(struct rebuy_loyalty **out, const char *db,
                                     struct rebuy_error *err);
void rebuy_loyalty_close(struct rebuy_loyalty *l);

/* --- API keys. A key is shown once, at creation; the store keeps a digest. */

/* Creates a key named name with the scopes; writes the secret text (NUL-terminated) to key. */
enum rebuy_status rebuy_loyalty_key_create(struct rebuy_loyalty *l, const char *name,
                                           unsigned scopes, char *key, size_t key_size,
                                           struct rebuy_error *err);
enum rebuy_status rebuy_loyalty_key_revoke(struct rebuy_loyalty *l, const char *name,
                                           struct rebuy_error *err);
/* The scopes of the presented key, 0 when it is unknown or revoked. The
 * secret is compared in constant time. Cheap enough to call per request. */
unsigned rebuy_loyalty_key_check(struct rebuy_loyalty *l, const char *key, size_t len);

/* --- Writes. Each returns REBUY_OK with *reply filled (a business refusal such
 * as too few points is a reply with status 4xx, not an error), or an error
 * status when the store failed (the service answers 500, nothing changed). */

struct rebuy_loyalty_reply {
	int status;  /* HTTP status: 200 (replayed or duplicate), 201, 404, 409, 422, ... */
	char *body;  /* JSON object, malloc'd; rebuy_loyalty_reply_release frees it */
	size_t len;
};
void rebuy_loyalty_reply_release(struct rebuy_loyalty_reply *r);

/* The request identity: the Idempotency-Key header and a digest of the body
 * (the service hashes the raw bytes). */
struct rebuy_loyalty_request {
	const char *idempotency_key;
	unsigned char body_digest[32];
};

struct rebuy_loyalty_line {
	const char *product;  /* may be NULL */
	const char *category; /* may be NULL */
	int64_t quantity;     /* whole units, >= 1 */
	int64_t amount;       /* line value, 1/10,000 units, >= 0 */
};

struct rebuy_loyalty_order {
	const char *customer;
	const char *order_id;
	int64_t time;
	int64_t amount; /* order value, 1/10,000 units, >= 0 (the sum of lines when there are lines) */
	const struct rebuy_loyalty_line *lines;
	size_t n_lines;
	const char *birthday; /* "MM-DD" or NULL: stored on the customer for the birthday bonus */
};

struct rebuy_loyalty_refund {
	const char *customer;
	const char *refund_id;
	const char *order_id; /* the order refunded (in part) */
	int64_t time;
	int64_t amount; /* refunded value, 1/10,000 units, > 0 */
	const struct rebuy_loyalty_line *lines;
	size_t n_lines;
};

struct rebuy_loyalty_redemption {
	const char *customer;
	const char *redemption_id;
	int64_t time;
	int64_t points; /* > 0 */
	const char *reward; /* may be NULL */
};

struct rebuy_loyalty_adjustment {
	const char *customer;
	const char *adjustment_id;
	int64_t time;
	int64_t points; /* non-zero, either sign */
	const char *reason;
};

enum rebuy_status rebuy_loyalty_accrue(struct rebuy_loyalty *l,
                                       const struct rebuy_loyalty_request *req,
                                       const struct rebuy_loyalty_order *o,
                                       struct rebuy_loyalty_reply *reply, struct rebuy_error *err);
enum rebuy_status rebuy_loyalty_refund(struct rebuy_loyalty *l,
                                       const struct rebuy_loyalty_request *req,
                                       const struct rebuy_loyalty_refund *r,
                                       struct rebuy_loyalty_reply *reply, struct rebuy_error *err);
enum rebuy_status rebuy_loyalty_redeem(struct rebuy_loyalty *l,
                                       const struct rebuy_loyalty_request *req,
                                       const struct rebuy_loyalty_redemption *r,
                                       struct rebuy_loyalty_reply *reply, struct rebuy_error *err);
enum rebuy_status rebuy_loyalty_adjust(struct rebuy_loyalty *l,
                                       const struct rebuy_loyalty_request *req,
                                       const struct rebuy_loyalty_adjustment *a,
                                       struct rebuy_loyalty_reply *reply, struct rebuy_error *err);

/* --- Reads, as JSON replies. now is the time expiry and tier windows are judged at. */

/* Balance (available, pending), tier, progress to the next tier, points expiring soon. 404 when unknown. */
enum rebuy_status rebuy_loyalty_customer(struct rebuy_loyalty *l, const char *customer,
                                         int64_t now, struct rebuy_loyalty_reply *reply,
                                         struct rebuy_error *err);
/* The customer's transactions, newest first, limit per page (1..1000), after an opaque cursor (NULL: first page). */
enum rebuy_status rebuy_loyalty_ledger(struct rebuy_loyalty *l, const char *customer,
                                       const char *cursor, int limit,
                                       struct rebuy_loyalty_reply *reply,
                                       struct rebuy_error *err);

/* Counters for /metrics and /health. */
struct rebuy_loyalty_stats {
	int64_t customers, transactions, orders;
	int64_t points_outstanding;
	int64_t commits, commit_groups; /* group commit: calls committed, fsync'd groups */
};
enum rebuy_status rebuy_loyalty_stats(struct rebuy_loyalty *l, struct rebuy_loyalty_stats *s,
                                      struct rebuy_error *err);

/* The accrued orders the ledger holds (for analytics): called once per order
 * in time order; a non-zero return from fn stops the walk. */
typedef int (*rebuy_loyalty_order_fn)(void *ctx, const char *customer, const char *order_id,
                                      int64_t time, int64_t amount);
enum rebuy_status rebuy_loyalty_orders(struct rebuy_loyalty *l, rebuy_loyalty_order_fn fn,
                                       void *ctx, struct rebuy_error *err);

/* --- Administration (rebuy loyalty). */

/* One API key as listed: the secret is never kept, only its digest. */
struct rebuy_loyalty_key_info {
	const char *name, *id; /* borrowed for the call */
	unsigned scopes;
	int64_t created;
	int64_t revoked; /* 0: active */
};
typedef int (*rebuy_loyalty_key_fn)(void *ctx, const struct rebuy_loyalty_key_info *k);
/* Calls fn for every key, by name; a non-zero return stops the walk. */
enum rebuy_status rebuy_loyalty_key_list(struct rebuy_loyalty *l, rebuy_loyalty_key_fn fn,
                                         void *ctx, struct rebuy_error *err);

/* Settles every customer at now, in one transaction: pending points whose
 * holding period has ended become available, and lots past their expiry
 * expire (each customer's writes settle that customer too). Reply 200:
 * {"as_of":..,"customers":N,"released":P,"expired":P}. */
enum rebuy_status rebuy_loyalty_expire(struct rebuy_loyalty *l, int64_t now,
                                       struct rebuy_loyalty_reply *reply,
                                       struct rebuy_error *err);

/* Right to erasure: the customer's id and birthday are replaced by a
 * tombstone, stored replies that name them are scrubbed; transactions,
 * balances, lots and the chain stay (and verify). Reply 200, or 404. */
enum rebuy_status rebuy_loyalty_forget(struct rebuy_loyalty *l, const char *customer,
                                       struct rebuy_loyalty_reply *reply,
                                       struct rebuy_error *err);

/* Accrues n orders in one transaction (a shop starting from its history);
 * orders already accrued are skipped by their business key, so a repeated
 * import changes nothing. Reply 200: {"orders":N,"accrued":A,"duplicates":D,
 * "invalid":I,"points":P}. */
enum rebuy_status rebuy_loyalty_import(struct rebuy_loyalty *l,
                                       const struct rebuy_loyalty_order *orders, size_t n,
                                       struct rebuy_loyalty_reply *reply,
                                       struct rebuy_error *err);

/* The customer's pseudonym in this ledger: 64 hex digits of BLAKE2b keyed
 * with the ledger's secret key (the name the hash chain uses), NUL-
 * terminated in out (size >= 65). For references that must not carry the id,
 * such as imported orders' ids. Thread-safe. */
void rebuy_loyalty_pseudonym(const struct rebuy_loyalty *l, const char *customer, char *out,
                             size_t size);

/* What verify checked. */
struct rebuy_loyalty_verify_report {
	int64_t transactions, postings, accounts, customers, forgotten, lots, lot_moves, orders;
	int64_t points_outstanding; /* the customers' balances: minus the program accounts' sum */
	char head[65];              /* the chain's last hash */
};
/* Recomputes every balance, lot and hash from the transactions and checks
 * every invariant (docs/loyalty.md, "Invariants"). REBUY_EDATA with the
 * first violation named ("transaction 12: postings sum to 5, not 0"). */
enum rebuy_status rebuy_loyalty_verify(struct rebuy_loyalty *l,
                                       struct rebuy_loyalty_verify_report *report,
                                       struct rebuy_error *err);

/* One posting of the ledger, as exported (strings borrowed for the call). */
struct rebuy_loyalty_export_row {
	int64_t tx, time;
	const char *kind, *customer, *ref, *rule, *hash, *account;
	int64_t refers; /* 0: none */
	int64_t points; /* the transaction's effect on the customer */
	int64_t amount; /* this posting */
};
typedef int (*rebuy_loyalty_export_fn)(void *ctx, const struct rebuy_loyalty_export_row *r);
/* Every posting in transaction order; a non-zero return from fn stops. */
enum rebuy_status rebuy_loyalty_export(struct rebuy_loyalty *l, rebuy_loyalty_export_fn fn,
                                       void *ctx, struct rebuy_error *err);

#ifdef __cplusplus
}
#endif
#endif
