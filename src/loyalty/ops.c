/* The ledger's movements: accrual, refund reversal, redemption, adjustment,
 * settlement (pending points released, lapsed lots expired), forget and
 * import. Each runs inside the writer's batch transaction and savepoint
 * (ledger.c), so it either happens whole or not at all, together with its
 * idempotency record and its business-key record.
 *
 * Every movement is built as a transaction (struct txb) whose postings must
 * sum to zero before it is chained and stored. Earned points are lots;
 * consumption is oldest lot first (FIFO by lot id). A reversal that finds
 * too few points left becomes the customer's debt (a negative available
 * balance) that later earnings repay first (docs/loyalty.md).
 */
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "loyalty/loyalty_int.h"
#include "rebuy/date.h"

#define MAX_LINES 1000
/* Times are 1970-01-01 .. 9999-12-31 (so that t + days and t + months never
 * overflow); money at most 10^10 currency units a call (so that sums of many
 * calls stay far inside 64 bits). */
#define TIME_MAX ((int64_t)253402300799)
#define AMOUNT_MAX ((int64_t)100000000000000)

static int bad_time(int64_t t)
{
	return t < 0 || t > TIME_MAX;
}

static const struct sval NUL_SV = {SV_NULL, 0, NULL, 0};

/* ---- validation ---- */

static int bad_id(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n == 0 || n > ID_MAX;
}

static int bad_birthday(const char *b)
{
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (strlen(b) != 5 || b[2] != '-')
		return 1;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (b[i] < '0' || b[i] > '9'))
			return 1;
	unsigned m = (unsigned)((b[0] - '0') * 10 + (b[1] - '0'));
	unsigned d = (unsigned)((b[3] - '0') * 10 + (b[4] - '0'));
	return m < 1 || m > 12 || d < 1 || d > mdays[m - 1];
}

static const char *bad_lines(const struct rebuy_loyalty_line *lines, size_t n)
{
	if (n > MAX_LINES)
		return "at most 1000 lines";
	if (n && !lines)
		return "lines missing";
	for (size_t i = 0; i < n; i++) {
		if (lines[i].quantity < 1)
			return "a line's quantity is at least 1";
		if (lines[i].amount < 0)
			return "a line's amount is not negative";
		if ((lines[i].product && strlen(lines[i].product) > ID_MAX) ||
		    (lines[i].category && strlen(lines[i].category) > ID_MAX))
			return "a product or category is at most 256 bytes";
	}
	return NULL;
}

static enum rebuy_status invalid(struct rebuy_loyalty_reply *reply, const char *what,
                                 struct rebuy_error *err)
{
	return rebuy__reply_error(reply, 400, "invalid_request", what, err);
}

/* ---- request idempotency ---- */

struct idem {
	const char *key;
	char digest[HASH_HEX];
};

/* *answered is set when the key was seen: the stored reply is replayed, or
 * 409 when the body differs. */
static enum rebuy_status idem_check(struct wctx *w, const struct rebuy_loyalty_request *req,
                                    struct idem *id, int *answered,
                                    struct rebuy_loyalty_reply *reply, struct rebuy_error *err)
{
	*answered = 0;
	id->key = NULL;
	if (!req || !req->idempotency_key)
		return REBUY_OK;
	size_t n = strlen(req->idempotency_key);
	if (n == 0 || n > 255) {
		*answered = 1;
		return invalid(reply, "an Idempotency-Key is 1..255 bytes", err);
	}
	id->key = req->idempotency_key;
	rebuy__hex(req->body_digest, 32, id->digest);
	struct cursor *k;
	struct sval p = sv_text(id->key);
	enum rebuy_status st = w->c->ops->run(w->c, Q_IDEM_GET, &p, 1, &k, err);
	if (st)
		return st;
	int r = w->c->ops->next(k, err);
	if (r == 1) {
		*answered = 1;
		if (strcmp(w->c->ops->col_text(k, 0, NULL), id->digest) == 0) {
			size_t len;
			const char *body = w->c->ops->col_text(k, 2, &len);
			st = rebuy__reply_copy(reply, (int)w->c->ops->col_int(k, 1), body, len,
			                       err);
		} else {
			st = rebuy__reply_error(reply, 409, "idempotency_conflict",
			                        "this Idempotency-Key was used with another body",
			                        err);
		}
	}
	w->c->ops->done(k);
	return r < 0 ? REBUY_EIO : st;
}

static enum rebuy_status idem_put(struct wctx *w, const struct idem *id, int64_t customer,
                                  const struct rebuy_loyalty_reply *reply, struct rebuy_error *err)
{
	if (!id->key)
		return REBUY_OK;
	struct sval p[] = {sv_text(id->key), sv_text(id->digest),
	                   customer ? sv_int(customer) : NUL_SV, sv_int(reply->status),
	                   sv_textn(reply->body, reply->len)};
	return db_run(w->c, Q_IDEM_PUT, p, 5, err);
}

/* The stored answer of an already done business key, replayed with 200. */
static enum rebuy_status done_get(struct wctx *w, const char *bkey, int *found, int64_t *customer,
                                  struct rebuy_loyalty_reply *reply, struct rebuy_error *err)
{
	struct cursor *k;
	struct sval p = sv_text(bkey);
	enum rebuy_status st = w->c->ops->run(w->c, Q_DONE_GET, &p, 1, &k, err);
	if (st)
		return st;
	int r = w->c->ops->next(k, err);
	*found = r == 1;
	if (r == 1) {
		size_t len;
		const char *body = w->c->ops->col_text(k, 1, &len);
		if (customer)
			*customer = w->c->ops->col_int(k, 2);
		st = reply ? rebuy__reply_copy(reply, 200, body, len, err) : REBUY_OK;
	}
	w->c->ops->done(k);
	return r < 0 ? REBUY_EIO : st;
}

static enum rebuy_status done_put(struct wctx *w, const char *bkey, int64_t customer,
                                  const struct rebuy_loyalty_reply *reply, struct rebuy_error *err)
{
	struct sval p[] = {sv_text(bkey), sv_int(customer), sv_int(reply->status),
	                   sv_textn(reply->body, reply->len)};
	return db_run(w->c, Q_DONE_PUT, p, 4, err);
}

/* ---- customers ---- */

static void cust_fill(struct wctx *w, struct cursor *k, struct cust *c, int by_id)
{
	const struct store_ops *o = w->c->ops;
	if (by_id) {
		snprintf(c->ext, sizeof c->ext, "%s",
		         o->is_null(k, 0) ? "" : o->col_text(k, 0, NULL));
	} else {
		c->id = o->col_int(k, 0);
	}
	snprintf(c->digest, sizeof c->digest, "%s", o->col_text(k, 1, NULL));
	c->birthday[0] = '\0';
	if (!o->is_null(k, 2))
		snprintf(c->birthday, sizeof c->birthday, "%s", o->col_text(k, 2, NULL));
	c->n_orders = o->col_int(k, 3);
	c->debt = o->col_int(k, 4);
	c->available = o->is_null(k, 5) ? 0 : o->col_int(k, 5);
	c->pending = o->is_null(k, 6) ? 0 : o->col_int(k, 6);
	c->exists = 1;
}

static enum rebuy_status cust_get(struct wctx *w, const char *ext, struct cust *c,
                                  struct rebuy_error *err)
{
	memset(c, 0, sizeof *c);
	snprintf(c->ext, sizeof c->ext, "%s", ext);
	struct cursor *k;
	struct sval p = sv_text(ext);
	enum rebuy_status st = w->c->ops->run(w->c, Q_CUST_BY_EXT, &p, 1, &k, err);
	if (st)
		return st;
	int r = w->c->ops->next(k, err);
	if (r == 1)
		cust_fill(w, k, c, 0);
	w->c->ops->done(k);
	return r < 0 ? REBUY_EIO : REBUY_OK;
}

static enum rebuy_status cust_by_id(struct wctx *w, int64_t id, struct cust *c,
                                    struct rebuy_error *err)
{
	memset(c, 0, sizeof *c);
	c->id = id;
	struct cursor *k;
	struct sval p = sv_int(id);
	enum rebuy_status st = w->c->ops->run(w->c, Q_CUST_BY_ID, &p, 1, &k, err);
	if (st)
		return st;
	int r = w->c->ops->next(k, err);
	if (r == 1)
		cust_fill(w, k, c, 1);
	w->c->ops->done(k);
	if (r == 0)
		return rebuy_error_set(err, REBUY_EDATA, "ledger: customer %lld is missing",
		                       (long long)id);
	return r < 0 ? REBUY_EIO : REBUY_OK;
}

static enum rebuy_status cust_make(struct wctx *w, struct cust *c, struct rebuy_error *err)
{
	c->id = w->head.next_customer++;
	rebuy__customer_digest(w->l, c->ext, strlen(c->ext), c->digest);
	struct sval p[] = {sv_int(c->id), sv_text(c->ext), sv_text(c->digest),
	                   c->birthday[0] ? sv_text(c->birthday) : NUL_SV};
	c->exists = 1;
	return db_run(w->c, Q_CUST_INSERT, p, 4, err);
}

static enum rebuy_status cust_save(struct wctx *w, const struct cust *c, struct rebuy_error *err)
{
	struct sval p[] = {c->birthday[0] ? sv_text(c->birthday) : NUL_SV, sv_int(c->debt),
	                   sv_int(c->id)};
	return db_run(w->c, Q_CUST_SET, p, 3, err);
}

/* ---- transactions ---- */

static void tx_start(struct txb *t, const char *kind, struct cust *c, const char *ref,
                     const char *rule, int64_t time)
{
	memset(t, 0, sizeof *t);
	t->cust = c;
	t->kind = kind;
	t->customer = c->id;
	t->digest = c->digest;
	t->ref = ref;
	t->rule = rule;
	t->time = time;
}

static void tx_release(struct txb *t)
{
	rebuy__free(t->moves);
	t->moves = NULL;
}

static void post(struct txb *t, int64_t account, int64_t amount)
{
	for (size_t i = 0; i < t->n_post; i++)
		if (t->post[i].account == account) {
			t->post[i].amount += amount;
			return;
		}
	/* at most 4 accounts are touched by one transaction; post[] holds 8 */
	t->post[t->n_post].account = account;
	t->post[t->n_post].amount = amount;
	t->n_post++;
}

static enum rebuy_status move(struct txb *t, int64_t lot, int64_t points, struct rebuy_error *err)
{
	if (rebuy__grow((void **)&t->moves, &t->cap_moves, t->n_moves + 1, sizeof *t->moves,
	                (size_t)1 << 24))
		return rebuy_error_set(err, REBUY_ENOMEM, "ledger: out of memory");
	t->moves[t->n_moves].lot = lot;
	t->moves[t->n_moves].points = points;
	t->n_moves++;
	return REBUY_OK;
}

static int64_t expiry_of(const struct rebuy__program *p, int64_t t)
{
	return p->expiry_months ? rebuy__add_months(t, p->expiry_months) : LP_NEVER;
}

/* A new lot of points for the customer; a released lot repays debt first. */
static enum rebuy_status new_lot(struct wctx *w, struct txb *t, struct cust *c, int64_t points,
                                 int released, int64_t available_at, int64_t expires_at,
                                 struct rebuy_error *err)
{
	struct new_lot *x = &t->lots[t->n_lots++];
	x->id = w->head.next_lot++;
	x->points = x->remaining = points;
	x->released = released;
	x->available_at = available_at;
	x->expires_at = expires_at;
	post(t, released ? ACCT_AVAILABLE(c->id) : ACCT_PENDING(c->id), points);
	if (released && c->debt > 0) {
		int64_t r = c->debt < points ? c->debt : points;
		x->remaining -= r;
		c->debt -= r;
		return move(t, x->id, r, err);
	}
	return REBUY_OK;
}

static enum rebuy_status tx_commit(struct wctx *w, struct txb *t, struct rebuy_error *err)
{
	int64_t sum = 0;
	for (size_t i = 0; i < t->n_post; i++)
		sum += t->post[i].amount;
	if (sum != 0) {
		tx_release(t);
		return rebuy_error_set(err, REBUY_EINTERNAL,
		                       "ledger: a %s transaction's postings sum to %lld", t->kind,
		                       (long long)sum);
	}
	/* the canonical form the hash and verify see: postings by account
	 * without zeros, moves by lot */
	size_t k = 0;
	for (size_t i = 0; i < t->n_post; i++)
		if (t->post[i].amount != 0)
			t->post[k++] = t->post[i];
	t->n_post = k;
	for (size_t i = 1; i < t->n_post; i++)
		for (size_t j = i; j > 0 && t->post[j - 1].account > t->post[j].account; j--) {
			struct posting tmp = t->post[j];
			t->post[j] = t->post[j - 1];
			t->post[j - 1] = tmp;
		}
	for (size_t i = 1; i < t->n_moves; i++)
		for (size_t j = i; j > 0 && t->moves[j - 1].lot > t->moves[j].lot; j--) {
			struct lot_move tmp = t->moves[j];
			t->moves[j] = t->moves[j - 1];
			t->moves[j - 1] = tmp;
		}
	t->id = w->head.seq + 1;
	char hash[HASH_HEX];
	const char *bkey = t->has_bkey ? t->bkey : NULL;
	rebuy__tx_hash(w->head.hash, t->id, t->kind, t->digest, t->ref, t->rule, bkey, t->refers,
	               t->time, t->points, t->post, t->n_post, t->moves, t->n_moves, t->lots,
	               t->n_lots, hash);
	struct sval p[] = {sv_int(t->id),
	                   sv_text(t->kind),
	                   sv_int(t->customer),
	                   sv_text(t->ref),
	                   sv_text(t->rule),
	                   bkey ? sv_text(bkey) : NUL_SV,
	                   t->refers ? sv_int(t->refers) : NUL_SV,
	                   sv_int(t->time),
	                   sv_int(t->points),
	                   sv_text(w->head.hash),
	                   sv_text(hash)};
	enum rebuy_status st = db_run(w->c, Q_TX_INSERT, p, 11, err);
	for (size_t i = 0; i < t->n_post && !st; i++) {
		const struct posting *x = &t->post[i];
		if (x->amount == 0)
			continue;
		struct sval pp[] = {sv_int(t->id), sv_int(x->account), sv_int(x->amount)};
		st = db_run(w->c, Q_POSTING_INSERT, pp, 3, err);
		if (st)
			break;
		if (x->account < 0) {
			w->program_delta[-x->account - 1] += x->amount;
		} else {
			struct sval pa[] = {sv_int(x->account), sv_int(t->customer),
			                    sv_text(x->account % 2 ? "pending" : "available"),
			                    sv_int(x->amount)};
			st = db_run(w->c, Q_ACCT_ADD, pa, 4, err);
			if (!st && x->account % 2)
				t->cust->pending += x->amount;
			else if (!st)
				t->cust->available += x->amount;
		}
	}
	for (size_t i = 0; i < t->n_lots && !st; i++) {
		const struct new_lot *x = &t->lots[i];
		struct sval pl[] = {sv_int(x->id),           sv_int(t->customer),
		                    sv_int(t->id),           sv_int(x->points),
		                    sv_int(x->remaining),    sv_int(x->released),
		                    sv_int(x->available_at), sv_int(x->expires_at)};
		st = db_run(w->c, Q_LOT_INSERT, pl, 8, err);
	}
	for (size_t i = 0; i < t->n_moves && !st; i++) {
		struct sval pm[] = {sv_int(t->id), sv_int(t->moves[i].lot),
		                    sv_int(t->moves[i].points)};
		st = db_run(w->c, Q_MOVE_INSERT, pm, 3, err);
	}
	tx_release(t);
	if (st)
		return st;
	w->head.seq = t->id;
	memcpy(w->head.hash, hash, sizeof hash);
	return REBUY_OK;
}

/* ---- lots ---- */

struct open_lot {
	int64_t id, tx, remaining, available_at, expires_at;
	int released;
};

struct lots {
	struct open_lot *v;
	size_t n, cap;
};

static enum rebuy_status lots_load(struct wctx *w, int64_t customer, struct lots *ls,
                                   struct rebuy_error *err)
{
	ls->n = 0;
	struct cursor *k;
	struct sval p = sv_int(customer);
	enum rebuy_status st = w->c->ops->run(w->c, Q_LOTS_OPEN, &p, 1, &k, err);
	if (st)
		return st;
	int r;
	while ((r = w->c->ops->next(k, err)) == 1) {
		if (rebuy__grow((void **)&ls->v, &ls->cap, ls->n + 1, sizeof *ls->v,
		                (size_t)1 << 26)) {
			w->c->ops->done(k);
			return rebuy_error_set(err, REBUY_ENOMEM, "ledger: out of memory");
		}
		struct open_lot *x = &ls->v[ls->n++];
		x->id = w->c->ops->col_int(k, 0);
		x->tx = w->c->ops->col_int(k, 1);
		x->remaining = w->c->ops->col_int(k, 2);
		x->released = (int)w->c->ops->col_int(k, 3);
		x->available_at = w->c->ops->col_int(k, 4);
		x->expires_at = w->c->ops->col_int(k, 5);
	}
	w->c->ops->done(k);
	return r < 0 ? REBUY_EIO : REBUY_OK;
}

static enum rebuy_status take(struct wctx *w, struct txb *t, struct open_lot *x, int64_t n,
                              struct rebuy_error *err)
{
	x->remaining -= n;
	post(t, x->released ? ACCT_AVAILABLE(t->customer) : ACCT_PENDING(t->customer), -n);
	enum rebuy_status st = move(t, x->id, n, err);
	if (st)
		return st;
	struct sval p[] = {sv_int(x->remaining), sv_int(t->customer), sv_int(x->id)};
	return db_run(w->c, Q_LOT_SET, p, 3, err);
}

/* Consumes up to need points: first the lots made by transaction prefer
 * (pending or not; 0: none), then released lots oldest first. */
static enum rebuy_status consume(struct wctx *w, struct txb *t, struct lots *ls, int64_t prefer,
                                 int64_t need, int64_t *taken, struct rebuy_error *err)
{
	*taken = 0;
	for (int pass = prefer ? 0 : 1; pass < 2; pass++)
		for (size_t i = 0; i < ls->n && *taken < need; i++) {
			struct open_lot *x = &ls->v[i];
			if (x->remaining <= 0 || (pass == 0 && x->tx != prefer) ||
			    (pass == 1 && !x->released))
				continue;
			int64_t n = need - *taken < x->remaining ? need - *taken : x->remaining;
			enum rebuy_status st = take(w, t, x, n, err);
			if (st)
				return st;
			*taken += n;
		}
	return REBUY_OK;
}

/* Releases the customer's pending lots whose date has come and expires the
 * lots past their expiry, as of t: two transactions at most. */
static enum rebuy_status settle(struct wctx *w, struct cust *c, int64_t t, int64_t *released,
                                int64_t *expired, struct rebuy_error *err)
{
	struct lots ls = {0};
	struct txb tx;
	enum rebuy_status st = lots_load(w, c->id, &ls, err);
	int64_t rel = 0, exp = 0;
	int any = 0;
	for (size_t i = 0; i < ls.n && !st; i++)
		any |= !ls.v[i].released && ls.v[i].available_at <= t && ls.v[i].remaining > 0;
	/* at most 4 new lots per transaction: matured lots are released 4 at a time */
	while (!st && any) {
		tx_start(&tx, "release", c, "", "pending_days", t);
		for (size_t i = 0; i < ls.n && !st && tx.n_lots < 4; i++) {
			struct open_lot *x = &ls.v[i];
			if (x->released || x->available_at > t || x->remaining <= 0)
				continue;
			int64_t n = x->remaining;
			if (!(st = take(w, &tx, x, n, err)))
				st = new_lot(w, &tx, c, n, 1, x->available_at, x->expires_at, err);
			rel += n;
		}
		st = st ? (tx_release(&tx), st) : tx_commit(w, &tx, err);
		any = 0;
		for (size_t i = 0; i < ls.n && !st; i++)
			any |= !ls.v[i].released && ls.v[i].available_at <= t &&
			       ls.v[i].remaining > 0;
		if (!st && !any)
			st = lots_load(w, c->id, &ls, err);
	}
	any = 0;
	for (size_t i = 0; i < ls.n && !st; i++)
		any |= ls.v[i].released && ls.v[i].expires_at <= t && ls.v[i].remaining > 0;
	if (!st && any) {
		tx_start(&tx, "expire", c, "", "expiry", t);
		for (size_t i = 0; i < ls.n && !st; i++) {
			struct open_lot *x = &ls.v[i];
			if (!x->released || x->expires_at > t || x->remaining <= 0)
				continue;
			int64_t n = x->remaining;
			st = take(w, &tx, x, n, err);
			exp += n;
		}
		post(&tx, ACCT_EXPIRED, exp);
		tx.points = -exp;
		st = st ? (tx_release(&tx), st) : tx_commit(w, &tx, err);
	}
	rebuy__free(ls.v);
	if (released)
		*released += rel;
	if (expired)
		*expired += exp;
	return st;
}

/* ---- replies ---- */

struct txlist {
	int64_t id[24], points[24];
	const char *rule[24];
	char rules[24][64];
	size_t n;
};

static void txlist_add(struct txlist *l, const struct txb *t)
{
	if (l->n == 24)
		return;
	l->id[l->n] = t->id;
	l->points[l->n] = t->points;
	snprintf(l->rules[l->n], sizeof l->rules[l->n], "%s", t->rule);
	l->n++;
}

static void put_txlist(struct jbuf *b, const struct txlist *l)
{
	jb_str(b, ",\"transactions\":[");
	for (size_t i = 0; i < l->n; i++) {
		jb_printf(b, "%s{\"id\":%lld,\"rule\":", i ? "," : "", (long long)l->id[i]);
		jb_jsonz(b, l->rules[i]);
		jb_printf(b, ",\"points\":%lld}", (long long)l->points[i]);
	}
	jb_str(b, "]");
}

static enum rebuy_status put_balances(struct wctx *w, struct jbuf *b, const struct cust *c,
                                      struct rebuy_error *err)
{
	(void)w;
	(void)err;
	jb_printf(b, ",\"available\":%lld,\"pending\":%lld,\"debt\":%lld", (long long)c->available,
	          (long long)c->pending, (long long)c->debt);
	return REBUY_OK;
}

/* ---- accrual ---- */

static const char *bad_order(const struct rebuy_loyalty_order *o)
{
	if (bad_id(o->customer))
		return "customer is 1..256 bytes";
	if (bad_id(o->order_id))
		return "order_id is 1..256 bytes";
	if (o->amount < 0)
		return "amount is not negative";
	if (o->amount > AMOUNT_MAX)
		return "amount is at most 10000000000";
	if (bad_time(o->time))
		return "time is between 1970-01-01 and 9999-12-31";
	if (o->birthday && bad_birthday(o->birthday))
		return "birthday is MM-DD";
	const char *m = bad_lines(o->lines, o->n_lines);
	if (m)
		return m;
	if (o->n_lines) {
		int64_t sum = 0;
		for (size_t i = 0; i < o->n_lines; i++)
			if (__builtin_add_overflow(sum, o->lines[i].amount, &sum))
				return "the lines' amounts overflow";
		if (sum != o->amount)
			return "amount is not the sum of the lines' amounts";
	}
	return NULL;
}

static int month_of(int64_t t, int64_t *year)
{
	int64_t day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	unsigned m, d;
	rebuy_civil_from_days(day, year, &m, &d);
	return (int)m;
}

/* One bonus or base transaction of an accrual. */
static enum rebuy_status accrue_tx(struct wctx *w, struct cust *c,
                                   const struct rebuy_loyalty_order *o, const char *rule,
                                   int64_t points, struct txlist *list, struct rebuy_error *err)
{
	const struct rebuy__program *p = w->l->program;
	struct txb t;
	tx_start(&t, "accrue", c, o->order_id, rule, o->time);
	t.has_bkey = 1;
	snprintf(t.bkey, sizeof t.bkey, "accrue|%s|%s", o->order_id, rule);
	t.points = points;
	post(&t, ACCT_EARNED, -points);
	int released = p->pending_days == 0;
	enum rebuy_status st =
	        new_lot(w, &t, c, points, released, o->time + p->pending_days * 86400,
	                expiry_of(p, o->time), err);
	if (!st)
		st = tx_commit(w, &t, err);
	else
		tx_release(&t);
	if (!st)
		txlist_add(list, &t);
	return st;
}

/* Accrues o (already validated); *dup when the order was accrued before
 * (reply: the stored answer, 200). */
static enum rebuy_status accrue_core(struct wctx *w, const struct rebuy_loyalty_order *o,
                                     struct cust *c, int *dup, int64_t *total,
                                     struct rebuy_loyalty_reply *reply, struct rebuy_error *err)
{
	const struct rebuy__program *p = w->l->program;
	*total = 0;
	memset(c, 0, sizeof *c);
	/* the business key: one accrual per order (the order row holds its answer) */
	struct cursor *k;
	struct sval pk = sv_text(o->order_id);
	enum rebuy_status st = w->c->ops->run(w->c, Q_ORDER_REPLY, &pk, 1, &k, err);
	if (st)
		return st;
	int r = w->c->ops->next(k, err);
	*dup = r == 1;
	if (r == 1) {
		size_t len;
		const char *body = w->c->ops->col_text(k, 0, &len);
		c->id = w->c->ops->col_int(k, 1);
		st = rebuy__reply_copy(reply, 200, body, len, err);
	}
	w->c->ops->done(k);
	if (r < 0 || st || *dup)
		return r < 0 ? REBUY_EIO : st;
	if ((st = cust_get(w, o->customer, c, err)))
		return st;
	/* the customer row is written only when it changes (birthday, debt) */
	int dirty = 0;
	if (o->birthday && strcmp(o->birthday, c->birthday) != 0) {
		snprintf(c->birthday, sizeof c->birthday, "%s", o->birthday);
		dirty = 1;
	}
	if (!c->exists) {
		if ((st = cust_make(w, c, err)))
			return st;
		dirty = 0;
	} else if (p->n_bonus) {
		/* the order count matters only to order bonuses */
		struct sval pc = sv_int(c->id);
		if ((st = db_int(w->c, Q_CUST_ORDERS, &pc, 1, &c->n_orders, NULL, err)))
			return st;
	}
	int64_t debt_before = c->debt;
	if ((st = settle(w, c, o->time, NULL, NULL, err)))
		return st;
	int tier;
	int64_t spend, tpoints;
	if ((st = rebuy__tier_at(w->l, w->c, c->id, o->time, &tier, &spend, &tpoints, err)))
		return st;
	int64_t factor = tier >= 0 ? p->tier[tier].factor : LP_FACTOR_ONE;
	c->n_orders++;
	struct txlist list;
	memset(&list, 0, sizeof list);
	int64_t base = rebuy__program_points(p, o->amount, o->lines, o->n_lines, factor);
	if (base > 0 && (st = accrue_tx(w, c, o, "base", base, &list, err)))
		return st;
	*total += base;
	for (size_t i = 0; i < p->n_bonus && !st; i++) {
		if (p->bonus[i].nth != c->n_orders)
			continue;
		char rule[48];
		snprintf(rule, sizeof rule, "order_bonus:%lld", (long long)p->bonus[i].nth);
		st = accrue_tx(w, c, o, rule, p->bonus[i].points, &list, err);
		*total += p->bonus[i].points;
	}
	if (!st && p->birthday_points > 0 && c->birthday[0]) {
		int64_t year;
		int m = month_of(o->time, &year);
		if (m == (c->birthday[0] - '0') * 10 + (c->birthday[1] - '0')) {
			char rule[48];
			snprintf(rule, sizeof rule, "birthday:%lld", (long long)year);
			int64_t n = 0;
			struct sval pr[] = {sv_int(c->id), sv_text(rule)};
			if (!(st = db_int(w->c, Q_TX_RULE_EXISTS, pr, 2, &n, NULL, err)) &&
			    n == 0) {
				st = accrue_tx(w, c, o, rule, p->birthday_points, &list, err);
				*total += p->birthday_points;
			}
		}
	}
	if (!st && (dirty || c->debt != debt_before))
		st = cust_save(w, c, err);
	if (st)
		return st;
	struct jbuf b;
	jb_init(&b);
	jb_str(&b, "{\"customer\":");
	jb_jsonz(&b, o->customer);
	jb_str(&b, ",\"order_id\":");
	jb_jsonz(&b, o->order_id);
	jb_printf(&b, ",\"points\":%lld", (long long)*total);
	put_txlist(&b, &list);
	jb_str(&b, ",\"tier\":");
	jb_jsonz(&b, tier >= 0 ? p->tier[tier].name : "none");
	if ((st = put_balances(w, &b, c, err))) {
		jb_release(&b);
		return st;
	}
	jb_str(&b, "}");
	if ((st = rebuy__reply_take(reply, 201, &b, err)))
		return st;
	struct sval po[] = {sv_text(o->order_id), sv_int(c->id),
	                    sv_int(o->time),      sv_int(o->amount),
	                    sv_int(factor),       sv_textn(reply->body, reply->len)};
	return db_run(w->c, Q_ORDER_INSERT, po, 6, err);
}

struct accrue_arg {
	const struct rebuy_loyalty_request *req;
	const struct rebuy_loyalty_order *o;
};

static enum rebuy_status accrue_apply(struct wctx *w, void *arg, struct rebuy_loyalty_reply *reply,
                                      struct rebuy_error *err)
{
	struct accrue_arg *a = arg;
	struct idem id;
	int answered;
	enum rebuy_status st = idem_check(w, a->req, &id, &answered, reply, err);
	if (st || answered)
		return st;
	const char *bad = bad_order(a->o);
	struct cust c;
	memset(&c, 0, sizeof c);
	if (bad) {
		st = invalid(reply, bad, err);
	} else {
		int dup;
		int64_t total;
		st = accrue_core(w, a->o, &c, &dup, &total, reply, err);
	}
	if (!st)
		st = idem_put(w, &id, c.id, reply, err);
	return st;
}

enum rebuy_status rebuy_loyalty_accrue(struct rebuy_loyalty *l,
                                       const struct rebuy_loyalty_request *req,
                                       const struct rebuy_loyalty_order *o,
                                       struct rebuy_loyalty_reply *reply, struct rebuy_error *err)
{
	struct accrue_arg a = {req, o};
	return rebuy__submit(l, accrue_apply, &a, reply, err);
}

/* ---- refunds ---- */

struct refund_arg {
	const struct rebuy_loyalty_request *req;
	const struct rebuy_loyalty_refund *r;
};

static enum rebuy_status refund_core(struct wctx *w, const struct rebuy_loyalty_refund *r,
                                     struct cust *c, struct rebuy_loyalty_reply *reply,
                                     struct rebuy_error *err)
{
	const struct rebuy__program *p = w->l->program;
	char bkey[ID_MAX + 16];
	snprintf(bkey, sizeof bkey, "refund|%s", r->refund_id);
	int dup;
	enum rebuy_status st = done_get(w, bkey, &dup, &c->id, reply, err);
	if (st || dup)
		return st;
	struct cursor *k;
	struct sval po = sv_text(r->order_id);
	if ((st = w->c->ops->run(w->c, Q_ORDER_GET, &po, 1, &k, err)))
		return st;
	int rr = w->c->ops->next(k, err);
	int64_t ocust = 0, oamount = 0, refunded = 0, factor = LP_FACTOR_ONE;
	if (rr == 1) {
		ocust = w->c->ops->col_int(k, 0);
		oamount = w->c->ops->col_int(k, 2);
		refunded = w->c->ops->col_int(k, 3);
		factor = w->c->ops->col_int(k, 4);
	}
	w->c->ops->done(k);
	if (rr < 0)
		return REBUY_EIO;
	if (rr == 0)
		return rebuy__reply_error(reply, 404, "unknown_order",
		                          "no accrual for this order_id", err);
	if ((st = cust_get(w, r->customer, c, err)))
		return st;
	if (!c->exists || c->id != ocust)
		return rebuy__reply_error(reply, 422, "customer_mismatch",
		                          "the order belongs to another customer", err);
	if (r->amount > oamount - refunded)
		return rebuy__reply_error(reply, 422, "refund_exceeds_order",
		                          "the refund is more than the order's unrefunded value",
		                          err);
	if ((st = settle(w, c, r->time, NULL, NULL, err)))
		return st;
	int64_t cum = refunded + r->amount;
	/* the order's accruals: at most 1 base + 16 bonuses + 1 birthday */
	int64_t acc_id[24], acc_points[24];
	char acc_rule[24][64];
	size_t n_acc = 0;
	struct sval pa[] = {sv_int(c->id), sv_text(r->order_id)};
	if ((st = w->c->ops->run(w->c, Q_ORDER_ACCRUALS, pa, 2, &k, err)))
		return st;
	while ((rr = w->c->ops->next(k, err)) == 1 && n_acc < 24) {
		acc_id[n_acc] = w->c->ops->col_int(k, 0);
		snprintf(acc_rule[n_acc], sizeof acc_rule[n_acc], "%s",
		         w->c->ops->col_text(k, 1, NULL));
		acc_points[n_acc] = w->c->ops->col_int(k, 2);
		n_acc++;
	}
	w->c->ops->done(k);
	if (rr < 0)
		return REBUY_EIO;
	struct txlist list;
	memset(&list, 0, sizeof list);
	struct lots ls = {0};
	int64_t total = 0, debt_added = 0;
	for (size_t i = 0; i < n_acc && !st; i++) {
		int64_t reversed = 0;
		struct sval pr = sv_int(acc_id[i]);
		if ((st = db_int(w->c, Q_REVERSED_SUM, &pr, 1, &reversed, NULL, err)))
			break;
		reversed = -reversed;
		int64_t left = acc_points[i] - reversed, x;
		if (strcmp(acc_rule[i], "base") == 0) {
			if (r->n_lines) {
				x = rebuy__program_points(p, r->amount, r->lines, r->n_lines,
				                          factor);
			} else {
				__extension__ __int128 target =
				        oamount > 0 ? (__extension__(__int128) acc_points[i] *
				                       cum) / oamount
				                    : acc_points[i];
				x = (int64_t)target - reversed;
			}
			if (cum == oamount)
				x = left; /* a full refund reverses everything left */
		} else {
			x = cum == oamount ? left : 0;
		}
		if (x > left)
			x = left;
		if (x <= 0)
			continue;
		if ((st = lots_load(w, c->id, &ls, err)))
			break;
		struct txb t;
		tx_start(&t, "reverse", c, r->refund_id, acc_rule[i], r->time);
		t.has_bkey = 1;
		snprintf(t.bkey, sizeof t.bkey, "reverse|%s|%s", r->refund_id, acc_rule[i]);
		t.refers = acc_id[i];
		t.points = -x;
		int64_t got;
		if ((st = consume(w, &t, &ls, acc_id[i], x, &got, err))) {
			tx_release(&t);
			break;
		}
		if (got < x) {
			post(&t, ACCT_AVAILABLE(c->id), -(x - got));
			c->debt += x - got;
			debt_added += x - got;
		}
		post(&t, ACCT_EARNED, x);
		if ((st = tx_commit(w, &t, err)))
			break;
		txlist_add(&list, &t);
		total += x;
	}
	rebuy__free(ls.v);
	if (st)
		return st;
	struct sval pu[] = {sv_int(cum), sv_text(r->order_id)};
	if ((st = db_run(w->c, Q_ORDER_REFUND, pu, 2, err)) || (st = cust_save(w, c, err)))
		return st;
	struct jbuf b;
	jb_init(&b);
	jb_str(&b, "{\"customer\":");
	jb_jsonz(&b, r->customer);
	jb_str(&b, ",\"refund_id\":");
	jb_jsonz(&b, r->refund_id);
	jb_str(&b, ",\"order_id\":");
	jb_jsonz(&b, r->order_id);
	jb_printf(&b, ",\"points_reversed\":%lld,\"debt_added\":%lld", (long long)total,
	          (long long)debt_added);
	put_txlist(&b, &list);
	if ((st = put_balances(w, &b, c, err))) {
		jb_release(&b);
		return st;
	}
	jb_str(&b, "}");
	if ((st = rebuy__reply_take(reply, 201, &b, err)))
		return st;
	return done_put(w, bkey, c->id, reply, err);
}

static enum rebuy_status refund_apply(struct wctx *w, void *arg, struct rebuy_loyalty_reply *reply,
                                      struct rebuy_error *err)
{
	struct refund_arg *a = arg;
	const struct rebuy_loyalty_refund *r = a->r;
	struct idem id;
	int answered;
	enum rebuy_status st = idem_check(w, a->req, &id, &answered, reply, err);
	if (st || answered)
		return st;
	const char *bad = NULL;
	if (bad_id(r->customer))
		bad = "customer is 1..256 bytes";
	else if (bad_id(r->refund_id))
		bad = "refund_id is 1..256 bytes";
	else if (bad_id(r->order_id))
		bad = "order_id is 1..256 bytes";
	else if (r->amount <= 0)
		bad = "amount is positive";
	else if (r->amount > AMOUNT_MAX)
		bad = "amount is at most 10000000000";
	else if (bad_time(r->time))
		bad = "time is between 1970-01-01 and 9999-12-31";
	else
		bad = bad_lines(r->lines, r->n_lines);
	struct cust c;
	memset(&c, 0, sizeof c);
	st = bad ? invalid(reply, bad, err) : refund_core(w, r, &c, reply, err);
	if (!st)
		st = idem_put(w, &id, c.id, reply, err);
	return st;
}

enum rebuy_status rebuy_loyalty_refund(struct rebuy_loyalty *l,
                                       const struct rebuy_loyalty_request *req,
                                       const struct rebuy_loyalty_refund *r,
                                       struct rebuy_loyalty_reply *reply, struct rebuy_error *err)
{
	struct refund_arg a = {req, r};
	return rebuy__submit(l, refund_apply, &a, reply, err);
}

/* ---- redemptions and adjustments ---- */

struct spend_arg {
	const struct rebuy_loyalty_request *req;
	const char *customer, *id, *text;
	int64_t time, points;
	int is_adjustment;
};

static enum rebuy_status spend_core(struct wctx *w, const struct spend_arg *a, struct cust *c,
                                    struct rebuy_loyalty_reply *reply, struct rebuy_error *err)
{
	const struct rebuy__program *p = w->l->program;
	char bkey[ID_MAX + 16];
	snprintf(bkey, sizeof bkey, "%s|%s", a->is_adjustment ? "adjustment" : "redemption", a->id);
	int dup;
	enum rebuy_status st = done_get(w, bkey, &dup, &c->id, reply, err);
	if (st || dup)
		return st;
	if ((st = cust_get(w, a->customer, c, err)))
		return st;
	if (!c->exists) {
		if (!a->is_adjustment || a->points < 0)
			return rebuy__reply_error(reply, 404, "unknown_customer",
			                          "no such customer in the ledger", err);
		if ((st = cust_make(w, c, err)))
			return st;
	}
	if ((st = settle(w, c, a->time, NULL, NULL, err)))
		return st;
	int64_t need = a->points < 0 ? -a->points : a->points;
	if (!a->is_adjustment && need < p->min_redemption) {
		char msg[96];
		snprintf(msg, sizeof msg, "the minimum redemption is %lld points",
		         (long long)p->min_redemption);
		return rebuy__reply_error(reply, 422, "below_minimum", msg, err);
	}
	struct txb t;
	char rule[320];
	if (a->is_adjustment)
		snprintf(rule, sizeof rule, "manual:%s", a->text ? a->text : "");
	else
		snprintf(rule, sizeof rule, "reward:%s", a->text ? a->text : "");
	tx_start(&t, a->is_adjustment ? "adjust" : "redeem", c, a->id, rule, a->time);
	t.has_bkey = 1;
	snprintf(t.bkey, sizeof t.bkey, "%s", bkey);
	if (a->is_adjustment && a->points > 0) {
		post(&t, ACCT_ADJUSTED, -a->points);
		t.points = a->points;
		st = new_lot(w, &t, c, a->points, 1, a->time, expiry_of(p, a->time), err);
	} else {
		int64_t available = c->available;
		if (available < need) {
			char msg[128];
			snprintf(msg, sizeof msg, "%lld points asked, %lld available",
			         (long long)need, (long long)available);
			return rebuy__reply_error(reply, 422, "insufficient_points", msg, err);
		}
		struct lots ls = {0};
		int64_t got = 0;
		st = lots_load(w, c->id, &ls, err);
		if (!st)
			st = consume(w, &t, &ls, 0, need, &got, err);
		rebuy__free(ls.v);
		if (!st && got != need)
			st = rebuy_error_set(
			        err, REBUY_EINTERNAL,
			        "ledger: customer %lld: %lld available but lots hold %lld",
			        (long long)c->id, (long long)available, (long long)got);
		post(&t, a->is_adjustment ? ACCT_ADJUSTED : ACCT_REDEEMED, need);
		t.points = -need;
	}
	if (st) {
		tx_release(&t);
		return st;
	}
	if ((st = tx_commit(w, &t, err)) || (st = cust_save(w, c, err)))
		return st;
	struct jbuf b;
	jb_init(&b);
	jb_str(&b, "{\"customer\":");
	jb_jsonz(&b, a->customer);
	jb_str(&b, a->is_adjustment ? ",\"adjustment_id\":" : ",\"redemption_id\":");
	jb_jsonz(&b, a->id);
	jb_printf(&b, ",\"points\":%lld,\"transaction\":%lld", (long long)a->points,
	          (long long)t.id);
	jb_str(&b, a->is_adjustment ? ",\"reason\":" : ",\"reward\":");
	jb_jsonz(&b, a->text);
	if ((st = put_balances(w, &b, c, err))) {
		jb_release(&b);
		return st;
	}
	jb_str(&b, "}");
	if ((st = rebuy__reply_take(reply, 201, &b, err)))
		return st;
	return done_put(w, bkey, c->id, reply, err);
}

static enum rebuy_status spend_apply(struct wctx *w, void *arg, struct rebuy_loyalty_reply *reply,
                                     struct rebuy_error *err)
{
	struct spend_arg *a = arg;
	struct idem id;
	int answered;
	enum rebuy_status st = idem_check(w, a->req, &id, &answered, reply, err);
	if (st || answered)
		return st;
	const char *bad = NULL;
	if (bad_id(a->customer))
		bad = "customer is 1..256 bytes";
	else if (bad_id(a->id))
		bad = a->is_adjustment ? "adjustment_id is 1..256 bytes"
		                       : "redemption_id is 1..256 bytes";
	else if (bad_time(a->time))
		bad = "time is between 1970-01-01 and 9999-12-31";
	else if (a->is_adjustment ? a->points == 0 : a->points <= 0)
		bad = a->is_adjustment ? "points is not zero" : "points is positive";
	else if (a->points > 1000000000000000 || a->points < -1000000000000000)
		bad = "points is at most 10^15";
	else if (a->text && strlen(a->text) > ID_MAX)
		bad = a->is_adjustment ? "reason is at most 256 bytes"
		                       : "reward is at most 256 bytes";
	struct cust c;
	memset(&c, 0, sizeof c);
	st = bad ? invalid(reply, bad, err) : spend_core(w, a, &c, reply, err);
	if (!st)
		st = idem_put(w, &id, c.id, reply, err);
	return st;
}

enum rebuy_status rebuy_loyalty_redeem(struct rebuy_loyalty *l,
                                       const struct rebuy_loyalty_request *req,
                                       const struct rebuy_loyalty_redemption *r,
                                       struct rebuy_loyalty_reply *reply, struct rebuy_error *err)
{
	struct spend_arg a = {req, r->customer, r->redemption_id, r->reward, r->time, r->points, 0};
	return rebuy__submit(l, spend_apply, &a, reply, err);
}

enum rebuy_status rebuy_loyalty_adjust(struct rebuy_loyalty *l,
                                       const struct rebuy_loyalty_request *req,
                                       const struct rebuy_loyalty_adjustment *x,
                                       struct rebuy_loyalty_reply *reply, struct rebuy_error *err)
{
	struct spend_arg a = {req, x->customer, x->adjustment_id, x->reason, x->time, x->points, 1};
	return rebuy__submit(l, spend_apply, &a, reply, err);
}

/* ---- expire, forget, import ---- */

static enum rebuy_status expire_apply(struct wctx *w, void *arg, struct rebuy_loyalty_reply *reply,
                                      struct rebuy_error *err)
{
	int64_t now = *(const int64_t *)arg;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	struct cursor *k;
	struct sval p[] = {sv_int(now), sv_int(now)};
	enum rebuy_status st = w->c->ops->run(w->c, Q_SETTLE_CUSTOMERS, p, 2, &k, err);
	if (st)
		return st;
	int r;
	while ((r = w->c->ops->next(k, err)) == 1) {
		if (rebuy__grow((void **)&ids, &cap, n + 1, sizeof *ids, (size_t)1 << 30)) {
			st = rebuy_error_set(err, REBUY_ENOMEM, "ledger: out of memory");
			break;
		}
		ids[n++] = w->c->ops->col_int(k, 0);
	}
	w->c->ops->done(k);
	if (r < 0)
		st = REBUY_EIO;
	int64_t released = 0, expired = 0;
	for (size_t i = 0; i < n && !st; i++) {
		struct cust c;
		if (!(st = cust_by_id(w, ids[i], &c, err)) &&
		    !(st = settle(w, &c, now, &released, &expired, err)))
			st = cust_save(w, &c, err);
	}
	rebuy__free(ids);
	if (st)
		return st;
	struct jbuf b;
	jb_init(&b);
	jb_str(&b, "{\"as_of\":");
	jb_time(&b, now);
	jb_printf(&b, ",\"customers\":%zu,\"released\":%lld,\"expired\":%lld}", n,
	          (long long)released, (long long)expired);
	return rebuy__reply_take(reply, 200, &b, err);
}

enum rebuy_status rebuy_loyalty_expire(struct rebuy_loyalty *l, int64_t now,
                                       struct rebuy_loyalty_reply *reply, struct rebuy_error *err)
{
	if (bad_time(now))
		return rebuy_error_set(err, REBUY_EARG, "expire: now is between 1970 and 9999");
	return rebuy__submit(l, expire_apply, &now, reply, err);
}

static enum rebuy_status forget_apply(struct wctx *w, void *arg, struct rebuy_loyalty_reply *reply,
                                      struct rebuy_error *err)
{
	const char *customer = arg;
	struct cust c;
	enum rebuy_status st = cust_get(w, customer, &c, err);
	if (st)
		return st;
	if (!c.exists)
		return rebuy__reply_error(reply, 404, "unknown_customer",
		                          "no such customer in the ledger", err);
	static const char scrubbed[] = "{\"forgotten\":true}";
	struct sval p1[] = {sv_int(1), sv_int(c.id)};
	struct sval p2 = sv_int(c.id);
	struct sval p3[] = {sv_text(scrubbed), sv_int(c.id)};
	if ((st = db_run(w->c, Q_CUST_FORGET, p1, 2, err)) ||
	    (st = db_run(w->c, Q_IDEM_FORGET, &p2, 1, err)) ||
	    (st = db_run(w->c, Q_DONE_FORGET, p3, 2, err)) ||
	    (st = db_run(w->c, Q_ORDER_FORGET, p3, 2, err)))
		return st;
	struct jbuf b;
	jb_init(&b);
	jb_printf(&b, "{\"forgotten\":true,\"tombstone\":\"forgotten:%.16s\"}", c.digest);
	return rebuy__reply_take(reply, 200, &b, err);
}

enum rebuy_status rebuy_loyalty_forget(struct rebuy_loyalty *l, const char *customer,
                                       struct rebuy_loyalty_reply *reply, struct rebuy_error *err)
{
	if (bad_id(customer))
		return rebuy_error_set(err, REBUY_EARG, "forget: a customer id is 1..256 bytes");
	return rebuy__submit(l, forget_apply, (void *)customer, reply, err);
}

struct import_arg {
	const struct rebuy_loyalty_order *orders;
	size_t n;
};

static enum rebuy_status import_apply(struct wctx *w, void *arg, struct rebuy_loyalty_reply *reply,
                                      struct rebuy_error *err)
{
	struct import_arg *a = arg;
	int64_t accrued = 0, dups = 0, bad = 0, points = 0;
	enum rebuy_status st = REBUY_OK;
	for (size_t i = 0; i < a->n && !st; i++) {
		if (bad_order(&a->orders[i])) {
			bad++;
			continue;
		}
		struct cust c;
		struct rebuy_loyalty_reply r = {0, NULL, 0};
		int dup = 0;
		int64_t total = 0;
		st = accrue_core(w, &a->orders[i], &c, &dup, &total, &r, err);
		rebuy_loyalty_reply_release(&r);
		if (st)
			break;
		if (dup)
			dups++;
		else
			accrued++;
		points += total;
	}
	if (st)
		return st;
	struct jbuf b;
	jb_init(&b);
	jb_printf(&b,
	          "{\"orders\":%zu,\"accrued\":%lld,\"duplicates\":%lld,\"invalid\":%lld,"
	          "\"points\":%lld}",
	          a->n, (long long)accrued, (long long)dups, (long long)bad, (long long)points);
	return rebuy__reply_take(reply, 200, &b, err);
}

enum rebuy_status rebuy_loyalty_import(struct rebuy_loyalty *l,
                                       const struct rebuy_loyalty_order *orders, size_t n,
                                       struct rebuy_loyalty_reply *reply, struct rebuy_error *err)
{
	struct import_arg a = {orders, n};
	return rebuy__submit(l, import_apply, &a, reply, err);
}
