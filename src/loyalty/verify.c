/* rebuy loyalty verify and export. Verify reads the whole ledger in one read
 * transaction (a consistent snapshot) and recomputes everything that is
 * derived: each transaction's hash from its content and the previous hash,
 * each account's balance from the postings, each lot's remaining points from
 * its moves, each customer's balances from their lots and debt. It stops at
 * the first violation and names it. Memory: O(customers + lots).
 */
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "loyalty/loyalty_int.h"

struct vcust {
	char digest[HASH_HEX];
	int64_t debt, n_orders, forgotten;
	int64_t bal[2], posted[2]; /* available, pending */
	int64_t lots_released, lots_pending;
	int seen;
};

struct vlot {
	int64_t customer, tx, points, remaining, moved;
	int released, seen;
};

struct verify {
	struct conn *c;
	struct rebuy_loyalty_verify_report *rep;
	struct rebuy_error *err;
	struct vcust *cust; /* [1..n_cust] */
	int64_t n_cust;
	struct vlot *lot; /* [1..n_lot] */
	int64_t n_lot;
	int64_t prog_bal[N_PROGRAM_ACCOUNTS], prog_posted[N_PROGRAM_ACCOUNTS];
};

#define FAIL(...) rebuy_error_set(v->err, REBUY_EDATA, __VA_ARGS__)

static const char *acct_name(int64_t a, char *buf, size_t n)
{
	static const char *const prog[] = {"earned", "redeemed", "expired", "adjusted"};
	if (a < 0 && a >= -N_PROGRAM_ACCOUNTS)
		snprintf(buf, n, "program %s", prog[-a - 1]);
	else
		snprintf(buf, n, "customer %lld %s", (long long)(a / 2),
		         a % 2 ? "pending" : "available");
	return buf;
}

static enum rebuy_status load_customers(struct verify *v)
{
	struct conn *c = v->c;
	struct cursor *k;
	enum rebuy_status st = c->ops->run(c, Q_V_CUSTOMERS, NULL, 0, &k, v->err);
	if (st)
		return st;
	int r;
	while ((r = c->ops->next(k, v->err)) == 1) {
		int64_t id = c->ops->col_int(k, 0);
		if (id < 1 || id > v->n_cust) {
			st = FAIL("customer %lld: id outside 1..%lld (the chain head's count)",
			          (long long)id, (long long)v->n_cust);
			break;
		}
		struct vcust *x = &v->cust[id];
		snprintf(x->digest, sizeof x->digest, "%s", c->ops->col_text(k, 1, NULL));
		x->debt = c->ops->col_int(k, 2);
		x->forgotten = c->ops->col_int(k, 3);
		x->n_orders = c->ops->col_int(k, 4);
		x->seen = 1;
		v->rep->customers++;
		v->rep->forgotten += x->forgotten != 0;
		if (x->debt < 0) {
			st = FAIL("customer %lld: debt %lld is negative", (long long)id,
			          (long long)x->debt);
			break;
		}
	}
	c->ops->done(k);
	if (!st && r < 0)
		st = REBUY_EIO;
	for (int64_t i = 1; i <= v->n_cust && !st; i++)
		if (!v->cust[i].seen)
			st = FAIL("customer %lld is missing (ids run 1..%lld)", (long long)i,
			          (long long)v->n_cust);
	return st;
}

static enum rebuy_status load_accounts(struct verify *v)
{
	struct conn *c = v->c;
	struct cursor *k;
	char name[64];
	enum rebuy_status st = c->ops->run(c, Q_V_ACCOUNTS, NULL, 0, &k, v->err);
	if (st)
		return st;
	int r;
	while ((r = c->ops->next(k, v->err)) == 1) {
		int64_t id = c->ops->col_int(k, 0), bal = c->ops->col_int(k, 3);
		v->rep->accounts++;
		if (id < 0 && id >= -N_PROGRAM_ACCOUNTS) {
			v->prog_bal[-id - 1] = bal;
			continue;
		}
		int64_t cu = id / 2;
		if (id < 2 || cu > v->n_cust || c->ops->col_int(k, 1) != cu) {
			st = FAIL("account %lld belongs to no customer", (long long)id);
			break;
		}
		const char *kind = c->ops->col_text(k, 2, NULL);
		if (strcmp(kind, id % 2 ? "pending" : "available") != 0) {
			st = FAIL("account %lld (%s) has kind '%s'", (long long)id,
			          acct_name(id, name, sizeof name), kind);
			break;
		}
		v->cust[cu].bal[id % 2] = bal;
	}
	c->ops->done(k);
	return !st && r < 0 ? REBUY_EIO : st;
}

/* Three cursors follow the transactions: postings, lots and moves, each
 * ordered by transaction. */
struct stream {
	struct cursor *k;
	int has;    /* a row is current */
	int64_t tx; /* its transaction */
};

static enum rebuy_status advance(struct verify *v, struct stream *s, int tx_col)
{
	int r = v->c->ops->next(s->k, v->err);
	if (r < 0)
		return REBUY_EIO;
	s->has = r == 1;
	s->tx = s->has ? v->c->ops->col_int(s->k, tx_col) : INT64_MAX;
	return REBUY_OK;
}

static enum rebuy_status check_tx(struct verify *v, struct cursor *t, char *prev, struct stream *ps,
                                  struct stream *ls, struct stream *ms, struct posting **post,
                                  size_t *cap_post, struct lot_move **moves, size_t *cap_moves,
                                  struct new_lot **lots, size_t *cap_lots)
{
	const struct store_ops *o = v->c->ops;
	char name[64];
	int64_t id = o->col_int(t, 0);
	int64_t customer = o->col_int(t, 2);
	int64_t points = o->col_int(t, 8);
	if (id != v->rep->transactions + 1)
		return FAIL("transaction %lld follows %lld: the ids have a gap", (long long)id,
		            (long long)v->rep->transactions);
	v->rep->transactions++;
	if (customer < 1 || customer > v->n_cust)
		return FAIL("transaction %lld: customer %lld does not exist", (long long)id,
		            (long long)customer);
	struct vcust *cu = &v->cust[customer];
	if (strcmp(o->col_text(t, 9, NULL), prev) != 0)
		return FAIL("transaction %lld: its previous hash is not transaction %lld's hash",
		            (long long)id, (long long)id - 1);
	if (ps->tx < id)
		return FAIL("posting of transaction %lld: no such transaction", (long long)ps->tx);
	size_t n_post = 0, n_moves = 0, n_lots = 0;
	int64_t sum = 0, cust_sum = 0;
	enum rebuy_status st = REBUY_OK;
	while (ps->has && ps->tx == id) {
		if (rebuy__grow((void **)post, cap_post, n_post + 1, sizeof **post,
		                (size_t)1 << 20))
			return rebuy_error_set(v->err, REBUY_ENOMEM, "verify: out of memory");
		int64_t a = o->col_int(ps->k, 1), amount = o->col_int(ps->k, 2);
		(*post)[n_post].account = a;
		(*post)[n_post].amount = amount;
		n_post++;
		sum += amount;
		v->rep->postings++;
		if (a < 0 && a >= -N_PROGRAM_ACCOUNTS) {
			v->prog_posted[-a - 1] += amount;
		} else if (a / 2 == customer && a >= 2) {
			cu->posted[a % 2] += amount;
			cust_sum += amount;
		} else {
			return FAIL("transaction %lld: posting to account %lld, not its customer's",
			            (long long)id, (long long)a);
		}
		if ((st = advance(v, ps, 0)))
			return st;
	}
	if (sum != 0)
		return FAIL("transaction %lld: postings sum to %lld, not 0", (long long)id,
		            (long long)sum);
	if (n_post < 2)
		return FAIL("transaction %lld: %zu posting(s); a movement has two sides",
		            (long long)id, n_post);
	if (cust_sum != points)
		return FAIL("transaction %lld: its points say %lld, its customer postings %lld",
		            (long long)id, (long long)points, (long long)cust_sum);
	if (ls->tx < id)
		return FAIL("lot of transaction %lld: no such transaction", (long long)ls->tx);
	while (ls->has && ls->tx == id) {
		if (rebuy__grow((void **)lots, cap_lots, n_lots + 1, sizeof **lots,
		                (size_t)1 << 20))
			return rebuy_error_set(v->err, REBUY_ENOMEM, "verify: out of memory");
		struct new_lot *x = &(*lots)[n_lots++];
		x->id = o->col_int(ls->k, 0);
		x->points = o->col_int(ls->k, 3);
		x->released = (int)o->col_int(ls->k, 5);
		x->available_at = o->col_int(ls->k, 6);
		x->expires_at = o->col_int(ls->k, 7);
		if (x->id < 1 || x->id > v->n_lot)
			return FAIL("lot %lld: id outside 1..%lld", (long long)x->id,
			            (long long)v->n_lot);
		struct vlot *y = &v->lot[x->id];
		if (y->seen)
			return FAIL("lot %lld appears twice", (long long)x->id);
		y->customer = o->col_int(ls->k, 1);
		y->tx = id;
		y->points = x->points;
		y->remaining = o->col_int(ls->k, 4);
		y->released = x->released;
		y->seen = 1;
		v->rep->lots++;
		if (y->customer != customer)
			return FAIL("lot %lld: customer %lld, but its transaction %lld is customer "
			            "%lld's",
			            (long long)x->id, (long long)y->customer, (long long)id,
			            (long long)customer);
		if ((st = advance(v, ls, 2)))
			return st;
	}
	if (ms->tx < id)
		return FAIL("lot move of transaction %lld: no such transaction", (long long)ms->tx);
	while (ms->has && ms->tx == id) {
		if (rebuy__grow((void **)moves, cap_moves, n_moves + 1, sizeof **moves,
		                (size_t)1 << 24))
			return rebuy_error_set(v->err, REBUY_ENOMEM, "verify: out of memory");
		int64_t lot = o->col_int(ms->k, 1), pts = o->col_int(ms->k, 2);
		(*moves)[n_moves].lot = lot;
		(*moves)[n_moves].points = pts;
		n_moves++;
		v->rep->lot_moves++;
		if (lot < 1 || lot > v->n_lot || !v->lot[lot].seen)
			return FAIL("transaction %lld: moves points of lot %lld, which does not "
			            "exist yet",
			            (long long)id, (long long)lot);
		if (v->lot[lot].customer != customer)
			return FAIL(
			        "transaction %lld: moves points of lot %lld, another customer's",
			        (long long)id, (long long)lot);
		if (pts <= 0)
			return FAIL("transaction %lld: moves %lld points of lot %lld",
			            (long long)id, (long long)pts, (long long)lot);
		v->lot[lot].moved += pts;
		if ((st = advance(v, ms, 0)))
			return st;
	}
	/* the hash sees the postings in account order, as stored and as built
	 * (tx_commit posts in the order built; both orders are sorted here) */
	for (size_t i = 1; i < n_post; i++)
		for (size_t j = i; j > 0 && (*post)[j - 1].account > (*post)[j].account; j--) {
			struct posting tmp = (*post)[j];
			(*post)[j] = (*post)[j - 1];
			(*post)[j - 1] = tmp;
		}
	const char *bkey = o->is_null(t, 5) ? NULL : o->col_text(t, 5, NULL);
	char hash[HASH_HEX];
	rebuy__tx_hash(prev, id, o->col_text(t, 1, NULL), cu->digest, o->col_text(t, 3, NULL),
	               o->col_text(t, 4, NULL), bkey, o->is_null(t, 6) ? 0 : o->col_int(t, 6),
	               o->col_int(t, 7), points, *post, n_post, *moves, n_moves, *lots, n_lots,
	               hash);
	const char *stored = o->col_text(t, 10, NULL);
	if (strcmp(hash, stored) != 0)
		return FAIL("transaction %lld: hash %.16s... does not match its content (%.16s...)",
		            (long long)id, stored, hash);
	memcpy(prev, hash, HASH_HEX);
	(void)name;
	return REBUY_OK;
}

static enum rebuy_status walk_chain(struct verify *v, const char *head_hash)
{
	struct conn *c = v->c;
	struct stream ps = {0}, ls = {0}, ms = {0};
	struct cursor *t = NULL;
	struct posting *post = NULL;
	struct lot_move *moves = NULL;
	struct new_lot *lots = NULL;
	size_t cap_post = 0, cap_moves = 0, cap_lots = 0;
	char prev[HASH_HEX];
	memset(prev, '0', 64);
	prev[64] = '\0';
	enum rebuy_status st;
	if ((st = c->ops->run(c, Q_V_POSTINGS, NULL, 0, &ps.k, v->err)) ||
	    (st = advance(v, &ps, 0)) || (st = c->ops->run(c, Q_V_LOTS, NULL, 0, &ls.k, v->err)) ||
	    (st = advance(v, &ls, 2)) || (st = c->ops->run(c, Q_V_MOVES, NULL, 0, &ms.k, v->err)) ||
	    (st = advance(v, &ms, 0)) || (st = c->ops->run(c, Q_V_TXS, NULL, 0, &t, v->err)))
		goto out;
	int r;
	while ((r = c->ops->next(t, v->err)) == 1) {
		if ((st = check_tx(v, t, prev, &ps, &ls, &ms, &post, &cap_post, &moves, &cap_moves,
		                   &lots, &cap_lots)))
			goto out;
	}
	if (r < 0) {
		st = REBUY_EIO;
		goto out;
	}
	if (ps.has)
		st = FAIL("posting of transaction %lld: no such transaction", (long long)ps.tx);
	else if (ls.has)
		st = FAIL("lot of transaction %lld: no such transaction", (long long)ls.tx);
	else if (ms.has)
		st = FAIL("lot move of transaction %lld: no such transaction", (long long)ms.tx);
	else if (strcmp(prev, head_hash) != 0)
		st = FAIL("the chain head %.16s... is not the last transaction's hash %.16s...",
		          head_hash, prev);
	memcpy(v->rep->head, prev, sizeof v->rep->head);
out:
	if (t)
		c->ops->done(t);
	if (ps.k)
		c->ops->done(ps.k);
	if (ls.k)
		c->ops->done(ls.k);
	if (ms.k)
		c->ops->done(ms.k);
	rebuy__free(post);
	rebuy__free(moves);
	rebuy__free(lots);
	return st;
}

static enum rebuy_status check_sums(struct verify *v)
{
	static const char *const prog[] = {"earned", "redeemed", "expired", "adjusted"};
	int64_t program = 0, customers = 0;
	for (int a = 0; a < N_PROGRAM_ACCOUNTS; a++) {
		if (v->prog_bal[a] != v->prog_posted[a])
			return FAIL("account %s: balance %lld, its postings sum to %lld", prog[a],
			            (long long)v->prog_bal[a], (long long)v->prog_posted[a]);
		program += v->prog_bal[a];
	}
	for (int64_t i = 1; i <= v->n_lot; i++) {
		struct vlot *x = &v->lot[i];
		if (!x->seen)
			return FAIL("lot %lld is missing (ids run 1..%lld)", (long long)i,
			            (long long)v->n_lot);
		if (x->remaining != x->points - x->moved || x->remaining < 0)
			return FAIL("lot %lld: %lld points remaining, but %lld earned - %lld moved "
			            "= %lld",
			            (long long)i, (long long)x->remaining, (long long)x->points,
			            (long long)x->moved, (long long)(x->points - x->moved));
		struct vcust *cu = &v->cust[x->customer];
		if (x->released)
			cu->lots_released += x->remaining;
		else
			cu->lots_pending += x->remaining;
	}
	for (int64_t i = 1; i <= v->n_cust; i++) {
		struct vcust *cu = &v->cust[i];
		for (int k = 0; k < 2; k++)
			if (cu->bal[k] != cu->posted[k])
				return FAIL("account %lld (customer %lld %s): balance %lld, its "
				            "postings sum "
				            "to %lld",
				            (long long)(2 * i + k), (long long)i,
				            k ? "pending" : "available", (long long)cu->bal[k],
				            (long long)cu->posted[k]);
		if (cu->bal[0] != cu->lots_released - cu->debt)
			return FAIL("customer %lld: available %lld, but lots hold %lld and debt is "
			            "%lld",
			            (long long)i, (long long)cu->bal[0],
			            (long long)cu->lots_released, (long long)cu->debt);
		if (cu->bal[1] != cu->lots_pending)
			return FAIL("customer %lld: pending %lld, but pending lots hold %lld",
			            (long long)i, (long long)cu->bal[1],
			            (long long)cu->lots_pending);
		if (cu->debt > 0 && cu->lots_released > 0)
			return FAIL(
			        "customer %lld: debt %lld while lots hold %lld available points",
			        (long long)i, (long long)cu->debt, (long long)cu->lots_released);
		customers += cu->bal[0] + cu->bal[1];
	}
	if (customers != -program)
		return FAIL("the customers' balances sum to %lld, the program accounts to %lld",
		            (long long)customers, (long long)program);
	v->rep->points_outstanding = customers;
	return REBUY_OK;
}

static enum rebuy_status check_keys(struct verify *v)
{
	struct conn *c = v->c;
	struct cursor *k;
	enum rebuy_status st = c->ops->run(c, Q_V_DUPLICATES, NULL, 0, &k, v->err);
	if (st)
		return st;
	int r = c->ops->next(k, v->err);
	if (r == 1)
		st = FAIL("%s of '%s' by rule '%s' is recorded %lld times",
		          c->ops->col_text(k, 0, NULL), c->ops->col_text(k, 1, NULL),
		          c->ops->col_text(k, 2, NULL), (long long)c->ops->col_int(k, 3));
	c->ops->done(k);
	if (st || r < 0)
		return r < 0 ? REBUY_EIO : st;
	if ((st = c->ops->run(c, Q_V_ORDERS, NULL, 0, &k, v->err)))
		return st;
	while ((r = c->ops->next(k, v->err)) == 1) {
		int64_t cu = c->ops->col_int(k, 0), n = c->ops->col_int(k, 1);
		v->rep->orders += n;
		if (cu < 1 || cu > v->n_cust) {
			st = FAIL("orders of customer %lld, who does not exist", (long long)cu);
			break;
		}
	}
	c->ops->done(k);
	if (!st && r < 0)
		st = REBUY_EIO;
	return st;
}

enum rebuy_status rebuy_loyalty_verify(struct rebuy_loyalty *l,
                                       struct rebuy_loyalty_verify_report *report,
                                       struct rebuy_error *err)
{
	memset(report, 0, sizeof *report);
	struct verify v;
	memset(&v, 0, sizeof v);
	v.rep = report;
	v.err = err;
	enum rebuy_status st = rebuy__reader(l, &v.c, err);
	if (st)
		return st;
	struct conn *c = v.c;
	const char *begin = l->is_pg ? "BEGIN ISOLATION LEVEL REPEATABLE READ" : "BEGIN";
	if ((st = c->ops->exec(c, begin, err)))
		goto out;
	struct cursor *k;
	char head_hash[HASH_HEX] = "";
	int64_t seq = 0;
	if ((st = c->ops->run(c, Q_HEAD_READ, NULL, 0, &k, err)))
		goto rollback;
	if (c->ops->next(k, err) == 1) {
		seq = c->ops->col_int(k, 0);
		snprintf(head_hash, sizeof head_hash, "%s", c->ops->col_text(k, 1, NULL));
		v.n_cust = c->ops->col_int(k, 2) - 1;
		v.n_lot = c->ops->col_int(k, 3) - 1;
	} else {
		st = rebuy_error_set(err, REBUY_EDATA, "%s: the chain head is missing", l->where);
	}
	c->ops->done(k);
	if (st)
		goto rollback;
	if (v.n_cust < 0 || v.n_lot < 0 || v.n_cust > ((int64_t)1 << 32) ||
	    v.n_lot > ((int64_t)1 << 34)) {
		st = rebuy_error_set(err, REBUY_EDATA, "%s: the chain head's counts are damaged",
		                     l->where);
		goto rollback;
	}
	v.cust = rebuy__calloc((size_t)v.n_cust + 1, sizeof *v.cust);
	v.lot = rebuy__calloc((size_t)v.n_lot + 1, sizeof *v.lot);
	if (!v.cust || !v.lot) {
		st = rebuy_error_set(err, REBUY_ENOMEM, "verify: out of memory");
		goto rollback;
	}
	if ((st = load_customers(&v)) || (st = load_accounts(&v)) ||
	    (st = walk_chain(&v, head_hash)))
		goto rollback;
	if (report->transactions != seq) {
		st = rebuy_error_set(
		        err, REBUY_EDATA,
		        "the chain head counts %lld transactions, the ledger holds %lld",
		        (long long)seq, (long long)report->transactions);
		goto rollback;
	}
	if ((st = check_sums(&v)))
		goto rollback;
	st = check_keys(&v);
rollback:
	c->ops->exec(c, "ROLLBACK", NULL);
out:
	rebuy__free(v.cust);
	rebuy__free(v.lot);
	rebuy__reader_back(l, c);
	return st;
}

enum rebuy_status rebuy_loyalty_export(struct rebuy_loyalty *l, rebuy_loyalty_export_fn fn,
                                       void *ctx, struct rebuy_error *err)
{
	struct conn *c;
	enum rebuy_status st = rebuy__reader(l, &c, err);
	if (st)
		return st;
	static const char *const prog[] = {"earned", "redeemed", "expired", "adjusted"};
	struct cursor *k;
	if (!(st = c->ops->run(c, Q_EXPORT, NULL, 0, &k, err))) {
		int r;
		while ((r = c->ops->next(k, err)) == 1) {
			char tomb[40], account[16];
			const char *cust;
			if (c->ops->is_null(k, 3)) {
				snprintf(tomb, sizeof tomb, "forgotten:%.16s",
				         c->ops->col_text(k, 4, NULL));
				cust = tomb;
			} else {
				cust = c->ops->col_text(k, 3, NULL);
			}
			int64_t a = c->ops->col_int(k, 10);
			if (a < 0 && a >= -N_PROGRAM_ACCOUNTS)
				snprintf(account, sizeof account, "%s", prog[-a - 1]);
			else
				snprintf(account, sizeof account, "%s",
				         a % 2 ? "pending" : "available");
			struct rebuy_loyalty_export_row row = {
			        .tx = c->ops->col_int(k, 0),
			        .time = c->ops->col_int(k, 1),
			        .kind = c->ops->col_text(k, 2, NULL),
			        .customer = cust,
			        .ref = c->ops->col_text(k, 5, NULL),
			        .rule = c->ops->col_text(k, 6, NULL),
			        .refers = c->ops->is_null(k, 7) ? 0 : c->ops->col_int(k, 7),
			        .points = c->ops->col_int(k, 8),
			        .hash = c->ops->col_text(k, 9, NULL),
			        .account = account,
			        .amount = c->ops->col_int(k, 11),
			};
			if (fn(ctx, &row))
				break;
		}
		if (r < 0)
			st = REBUY_EIO;
		c->ops->done(k);
	}
	rebuy__reader_back(l, c);
	return st;
}
