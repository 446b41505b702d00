/* The ledger's SQL, written once for SQLite and PostgreSQL: standard types
 * (BIGINT, TEXT), '?' placeholders (the PostgreSQL store numbers them), and
 * INSERT ... ON CONFLICT, which both accept. Every value is a bound
 * parameter. Account ids: customer c (>= 1) has available 2c and pending
 * 2c+1; the program accounts are -1 earned, -2 redeemed, -3 expired,
 * -4 adjusted (docs/loyalty.md, "Chart of accounts").
 */
#include <stddef.h>
#include <string.h>

#include "core/mem.h"

#include "loyalty/sql.h"
#include "loyalty/store.h"

static const char *const texts[Q_COUNT] = {
        [Q_VERSION_GET] = "SELECT MAX(version) FROM schema_version",
        [Q_META_GET] = "SELECT value FROM meta WHERE name = ?",
        [Q_META_PUT] = "INSERT INTO meta (name, value) VALUES (?, ?)",
        [Q_HEAD_GET] = "SELECT seq, hash, next_customer, next_lot FROM chain_head WHERE id = 1",
        [Q_HEAD_PUT] = "UPDATE chain_head SET seq = ?, hash = ?, next_customer = ?, next_lot = ? "
                       "WHERE id = 1",
        [Q_CUST_BY_EXT] = "SELECT id, digest, birthday, 0, debt, "
                          "(SELECT balance FROM accounts WHERE id = 2 * customers.id), "
                          "(SELECT balance FROM accounts WHERE id = 2 * customers.id + 1) "
                          "FROM customers WHERE ext = ?",
        [Q_CUST_BY_ID] = "SELECT ext, digest, birthday, 0, debt, "
                         "(SELECT balance FROM accounts WHERE id = 2 * customers.id), "
                         "(SELECT balance FROM accounts WHERE id = 2 * customers.id + 1) "
                         "FROM customers WHERE id = ?",
        [Q_CUST_INSERT] = "INSERT INTO customers (id, ext, digest, birthday, debt, forgotten) "
                          "VALUES (?, ?, ?, ?, 0, 0)",
        [Q_CUST_SET] = "UPDATE customers SET birthday = ?, debt = ? WHERE id = ?",
        [Q_CUST_ORDERS] = "SELECT COUNT(*) FROM orders WHERE customer = ?",
        [Q_CUST_FORGET] = "UPDATE customers SET ext = NULL, birthday = NULL, forgotten = ? "
                          "WHERE id = ?",
        [Q_ACCT_ADD] = "INSERT INTO accounts (id, customer, kind, balance) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (id) DO UPDATE SET balance = accounts.balance + "
                       "excluded.balance",
        [Q_ACCT_GET] = "SELECT balance FROM accounts WHERE id = ?",
        [Q_TX_INSERT] = "INSERT INTO txs (id, kind, customer, ref, rule, bkey, refers, time, "
                        "points, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [Q_POSTING_INSERT] = "INSERT INTO postings (tx, account, amount) VALUES (?, ?, ?)",
        [Q_LOT_INSERT] = "INSERT INTO lots (id, customer, tx, points, remaining, released, "
                         "available_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [Q_LOT_SET] = "UPDATE lots SET remaining = ? WHERE customer = ? AND id = ?",
        [Q_LOTS_OPEN] = "SELECT id, tx, remaining, released, available_at, expires_at FROM lots "
                        "WHERE customer = ? AND remaining > 0 ORDER BY id",
        [Q_MOVE_INSERT] = "INSERT INTO lot_moves (tx, lot, points) VALUES (?, ?, ?)",
        [Q_ORDER_GET] = "SELECT customer, time, amount, refunded, tier_factor FROM orders "
                        "WHERE order_id = ?",
        [Q_ORDER_REPLY] = "SELECT reply, customer FROM orders WHERE order_id = ?",
        [Q_ORDER_INSERT] = "INSERT INTO orders (order_id, customer, time, amount, refunded, "
                           "tier_factor, reply) VALUES (?, ?, ?, ?, 0, ?, ?)",
        [Q_ORDER_FORGET] = "UPDATE orders SET reply = ? WHERE customer = ?",
        [Q_ORDER_REFUND] = "UPDATE orders SET refunded = ? WHERE order_id = ?",
        [Q_SPEND_WINDOW] = "SELECT COALESCE(SUM(amount - refunded), 0) FROM orders "
                           "WHERE customer = ? AND time > ? AND time <= ?",
        [Q_POINTS_WINDOW] = "SELECT COALESCE(SUM(points), 0) FROM txs WHERE customer = ? AND "
                            "kind IN ('accrue', 'reverse') AND time > ? AND time <= ?",
        [Q_TX_RULE_EXISTS] = "SELECT COUNT(*) FROM txs WHERE customer = ? AND rule = ?",
        [Q_ORDER_ACCRUALS] = "SELECT id, rule, points FROM txs WHERE customer = ? AND "
                             "kind = 'accrue' AND ref = ? ORDER BY id",
        [Q_REVERSED_SUM] = "SELECT COALESCE(SUM(points), 0) FROM txs WHERE refers = ?",
        [Q_DONE_GET] = "SELECT status, reply, customer FROM done WHERE bkey = ?",
        [Q_DONE_PUT] = "INSERT INTO done (bkey, customer, status, reply) VALUES (?, ?, ?, ?)",
        [Q_DONE_FORGET] = "UPDATE done SET reply = ? WHERE customer = ?",
        [Q_IDEM_GET] = "SELECT digest, status, reply FROM idem WHERE key = ?",
        [Q_IDEM_PUT] = "INSERT INTO idem (key, digest, customer, status, reply) "
                       "VALUES (?, ?, ?, ?, ?)",
        [Q_IDEM_FORGET] = "DELETE FROM idem WHERE customer = ?",
        [Q_KEY_INSERT] = "INSERT INTO api_keys (id, name, salt, digest, scopes, created, revoked) "
                         "VALUES (?, ?, ?, ?, ?, ?, NULL)",
        [Q_KEY_GET] = "SELECT salt, digest, scopes, revoked FROM api_keys WHERE id = ?",
        [Q_KEY_BY_NAME] = "SELECT id FROM api_keys WHERE name = ?",
        [Q_KEY_REVOKE] = "UPDATE api_keys SET revoked = ? WHERE name = ? AND revoked IS NULL",
        [Q_KEY_LIST] = "SELECT name, id, scopes, created, revoked FROM api_keys ORDER BY name",
        [Q_LEDGER_PAGE] = "SELECT id, kind, ref, rule, refers, time, points FROM txs "
                          "WHERE customer = ? AND id < ? ORDER BY id DESC LIMIT ?",
        [Q_PROGRAM_BALANCES] = "SELECT id, balance FROM accounts WHERE id < 0 ORDER BY id",
        [Q_COUNT_ORDERS] = "SELECT COUNT(*) FROM orders",
        [Q_ORDERS_ALL] = "SELECT c.ext, c.digest, o.order_id, o.time, o.amount FROM orders o "
                         "JOIN customers c ON c.id = o.customer ORDER BY o.time, o.order_id",
        [Q_SETTLE_CUSTOMERS] = "SELECT DISTINCT customer FROM lots WHERE remaining > 0 AND "
                               "(expires_at <= ? OR (released = 0 AND available_at <= ?)) "
                               "ORDER BY customer",
        [Q_V_TXS] = "SELECT id, kind, customer, ref, rule, bkey, refers, time, points, prev, "
                    "hash FROM txs ORDER BY id",
        [Q_V_POSTINGS] = "SELECT tx, account, amount FROM postings ORDER BY tx, account",
        [Q_V_LOTS] = "SELECT id, customer, tx, points, remaining, released, available_at, "
                     "expires_at FROM lots ORDER BY id",
        [Q_V_MOVES] = "SELECT tx, lot, points FROM lot_moves ORDER BY tx, lot",
        [Q_V_ACCOUNTS] = "SELECT id, customer, kind, balance FROM accounts ORDER BY id",
        [Q_V_CUSTOMERS] = "SELECT id, digest, debt, forgotten, 0 FROM customers ORDER BY id",
        [Q_V_DUPLICATES] = "SELECT kind, ref, rule, COUNT(*) FROM txs WHERE kind IN ('accrue', "
                           "'reverse') GROUP BY kind, ref, rule HAVING COUNT(*) > 1 "
                           "ORDER BY kind, ref, rule",
        [Q_V_ORDERS] = "SELECT customer, COUNT(*) FROM orders GROUP BY customer ORDER BY customer",
        [Q_EXPORT] = "SELECT t.id, t.time, t.kind, c.ext, c.digest, t.ref, t.rule, t.refers, "
                     "t.points, t.hash, p.account, p.amount FROM txs t JOIN customers c "
                     "ON c.id = t.customer JOIN postings p ON p.tx = t.id ORDER BY t.id, p.account",
        [Q_HEAD_READ] = "SELECT seq, hash, next_customer, next_lot FROM chain_head WHERE id = 1",
        [Q_SAVEPOINT] = "SAVEPOINT call",
        [Q_RELEASE] = "RELEASE call",
        [Q_ROLLBACK_TO] = "ROLLBACK TO call",
};

const char *rebuy__sql_text(int q)
{
	return q >= 0 && q < Q_COUNT ? texts[q] : NULL;
}

int rebuy__sql_count(void)
{
	return Q_COUNT;
}

/* Version 1: the whole ledger. {ID} is the id column's type (SQLite's
 * INTEGER PRIMARY KEY is the row id itself, one B-tree instead of two;
 * PostgreSQL's INTEGER is 32 bits, so BIGINT there) and {WR} SQLite's WITHOUT
 * ROWID for tables keyed by text or pairs: fewer B-trees to write per call,
 * which is most of a commit's cost. Later versions append ALTERs here; a store
 * records each applied version in schema_version in the same transaction. */
static const char v1[] =
        "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL){WR};\n"
        "CREATE TABLE chain_head (id {ID}, seq BIGINT NOT NULL, "
        "hash TEXT NOT NULL, next_customer BIGINT NOT NULL, next_lot BIGINT NOT NULL);\n"
        "INSERT INTO chain_head (id, seq, hash, next_customer, next_lot) VALUES (1, 0, "
        "'0000000000000000000000000000000000000000000000000000000000000000', 1, 1);\n"
        "CREATE TABLE customers (id {ID}, ext TEXT UNIQUE, digest TEXT NOT NULL, "
        "birthday TEXT, debt BIGINT NOT NULL, "
        "forgotten BIGINT NOT NULL);\n"
        "CREATE TABLE accounts (id {ID}, customer BIGINT, kind TEXT NOT NULL, "
        "balance BIGINT NOT NULL);\n"
        "INSERT INTO accounts (id, customer, kind, balance) VALUES (-1, NULL, 'earned', 0), "
        "(-2, NULL, 'redeemed', 0), (-3, NULL, 'expired', 0), (-4, NULL, 'adjusted', 0);\n"
        "CREATE TABLE txs (id {ID}, kind TEXT NOT NULL, customer BIGINT NOT NULL, "
        "ref TEXT NOT NULL, rule TEXT NOT NULL, bkey TEXT, refers BIGINT, "
        "time BIGINT NOT NULL, points BIGINT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL);\n"
        "CREATE INDEX txs_customer ON txs (customer, id);\n"
        "CREATE INDEX txs_refers ON txs (refers) WHERE refers IS NOT NULL;\n"
        "CREATE TABLE postings (tx BIGINT NOT NULL, account BIGINT NOT NULL, "
        "amount BIGINT NOT NULL, PRIMARY KEY (tx, account)){WR};\n"
        "CREATE TABLE lots (customer BIGINT NOT NULL, id BIGINT NOT NULL, tx BIGINT NOT NULL, "
        "points BIGINT NOT NULL, remaining BIGINT NOT NULL, released BIGINT NOT NULL, "
        "available_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, "
        "PRIMARY KEY (customer, id)){WR};\n"
        "CREATE TABLE lot_moves (tx BIGINT NOT NULL, lot BIGINT NOT NULL, points BIGINT NOT NULL, "
        "PRIMARY KEY (tx, lot)){WR};\n"
        "CREATE TABLE orders (order_id TEXT PRIMARY KEY, customer BIGINT NOT NULL, "
        "time BIGINT NOT NULL, amount BIGINT NOT NULL, refunded BIGINT NOT NULL, "
        "tier_factor BIGINT NOT NULL, reply TEXT NOT NULL){WR};\n"
        "CREATE INDEX orders_customer ON orders (customer, time);\n"
        "CREATE TABLE done (bkey TEXT PRIMARY KEY, customer BIGINT NOT NULL, "
        "status BIGINT NOT NULL, reply TEXT NOT NULL){WR};\n"
        "CREATE TABLE idem (key TEXT PRIMARY KEY, digest TEXT NOT NULL, customer BIGINT, "
        "status BIGINT NOT NULL, reply TEXT NOT NULL){WR};\n"
        "CREATE TABLE api_keys (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
        "salt TEXT NOT NULL, digest TEXT NOT NULL, scopes BIGINT NOT NULL, "
        "created BIGINT NOT NULL, revoked BIGINT);\n";

const char *const rebuy__migrations[] = {v1};
const int rebuy__n_migrations = 1;

char *rebuy__ddl(const char *text, int is_pg)
{
	const char *id = is_pg ? "BIGINT PRIMARY KEY" : "INTEGER PRIMARY KEY";
	const char *wr = is_pg ? "" : " WITHOUT ROWID";
	size_t n = strlen(text), k = 0;
	char *out = rebuy__malloc(2 * n + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		const char *sub = NULL;
		if (strncmp(text + i, "{ID}", 4) == 0)
			sub = id;
		else if (strncmp(text + i, "{WR}", 4) == 0)
			sub = wr;
		if (sub) {
			memcpy(out + k, sub, strlen(sub));
			k += strlen(sub);
			i += 4;
		} else {
			out[k++] = text[i++];
		}
	}
	out[k] = '\0';
	return out;
}
