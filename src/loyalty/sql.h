/* The ledger's statements, by number (the texts are in sql.c). */
#ifndef REBUY_LOYALTY_SQL_H
#define REBUY_LOYALTY_SQL_H

enum q {
	Q_VERSION_GET,
	Q_META_GET,
	Q_META_PUT,
	Q_HEAD_GET, /* PostgreSQL adds FOR UPDATE: the lock that serializes writers */
	Q_HEAD_PUT,
	Q_CUST_BY_EXT,
	Q_CUST_BY_ID,
	Q_CUST_INSERT,
	Q_CUST_SET,
	Q_CUST_ORDERS,
	Q_CUST_FORGET,
	Q_ACCT_ADD,
	Q_ACCT_GET,
	Q_TX_INSERT,
	Q_POSTING_INSERT,
	Q_LOT_INSERT,
	Q_LOT_SET,
	Q_LOTS_OPEN,
	Q_MOVE_INSERT,
	Q_ORDER_GET,
	Q_ORDER_REPLY,
	Q_ORDER_INSERT,
	Q_ORDER_FORGET,
	Q_ORDER_REFUND,
	Q_SPEND_WINDOW,
	Q_POINTS_WINDOW,
	Q_TX_RULE_EXISTS,
	Q_ORDER_ACCRUALS,
	Q_REVERSED_SUM,
	Q_DONE_GET,
	Q_DONE_PUT,
	Q_DONE_FORGET,
	Q_IDEM_GET,
	Q_IDEM_PUT,
	Q_IDEM_FORGET,
	Q_KEY_INSERT,
	Q_KEY_GET,
	Q_KEY_BY_NAME,
	Q_KEY_REVOKE,
	Q_KEY_LIST,
	Q_LEDGER_PAGE,
	Q_PROGRAM_BALANCES,
	Q_COUNT_ORDERS,
	Q_ORDERS_ALL,
	Q_SETTLE_CUSTOMERS,
	Q_V_TXS,
	Q_V_POSTINGS,
	Q_V_LOTS,
	Q_V_MOVES,
	Q_V_ACCOUNTS,
	Q_V_CUSTOMERS,
	Q_V_DUPLICATES,
	Q_V_ORDERS,
	Q_EXPORT,
	Q_HEAD_READ, /* without the lock, for readers */
	Q_SAVEPOINT, /* SQLite only: PostgreSQL cannot prepare these */
	Q_RELEASE,
	Q_ROLLBACK_TO,
	Q_COUNT
};

/* Schema migrations: migration i (1-based) brings the schema to version i. */
extern const char *const rebuy__migrations[];
extern const int rebuy__n_migrations;
/* A migration's text for the back end ({ID}, {WR} replaced); rebuy__free it. */
char *rebuy__ddl(const char *text, int is_pg);

#endif
