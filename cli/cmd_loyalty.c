/* rebuy loyalty: the ledger from the shell (docs/loyalty.md): init, API
 * keys, bulk import of an order history, export, expire, verify, forget. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "rebuy/date.h"
#include "rebuy/loyalty.h"

enum { OPT_LEDGER_DB = 100, OPT_PROGRAM, OPT_SCOPES, OPT_NOW };

static const struct cli_opt db_opt[] = {
        {"db", "PATH", OPT_LEDGER_DB, "the ledger: a SQLite file, or a postgresql:// URL"},
        CLI_OPT_END,
};
static const struct cli_opt init_opts[] = {
        {"db", "PATH", OPT_LEDGER_DB, "the ledger to create: a SQLite file, or a postgresql:// URL"},
        {"program", "FILE", OPT_PROGRAM, "the program rules file (docs/loyalty.md)"},
        CLI_OPT_END,
};
static const struct cli_opt key_create_opts[] = {
        {"db", "PATH", OPT_LEDGER_DB, "the ledger: a SQLite file, or a postgresql:// URL"},
        {"scopes", "LIST", OPT_SCOPES, "read, write, admin, comma-separated (default read)"},
        CLI_OPT_END,
};
static const struct cli_opt expire_opts[] = {
        {"db", "PATH", OPT_LEDGER_DB, "the ledger: a SQLite file, or a postgresql:// URL"},
        {"now", "DATE", OPT_NOW, "settle as of this day's end, YYYY-MM-DD (default: now)"},
        CLI_OPT_END,
};

struct opts {
	const char *db, *program, *scopes, *now;
};

static int on_opt(void *ctx, int id, const char *v)
{
	struct opts *o = ctx;
	switch (id) {
	case OPT_LEDGER_DB: o->db = v; return 0;
	case OPT_PROGRAM: o->program = v; return 0;
	case OPT_SCOPES: o->scopes = v; return 0;
	case OPT_NOW: o->now = v; return 0;
	default: return 0;
	}
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: rebuy loyalty SUBCOMMAND [OPTIONS]\n\n"
	        "Administers a loyalty ledger: a double-entry, hash-chained ledger of points\n"
	        "(docs/loyalty.md). rebuy serve answers the shop's backend over HTTP.\n\n"
	        "Subcommands:\n"
	        "  init --db PATH --program FILE   create a ledger with its program rules\n"
	        "  key create NAME [--scopes LIST] create an API key and print it (once)\n"
	        "  key revoke NAME                 revoke an API key\n"
	        "  key list                        the keys: name, id, scopes, created, revoked\n"
	        "  import ORDERS                   accrue an order history in one transaction\n"
	        "  export                          every posting, as CSV or JSON\n"
	        "  expire [--now DATE]             release pending points, expire lapsed ones\n"
	        "  verify                          recompute and check every balance, lot, hash\n"
	        "  forget CUSTOMER                 erase a customer's id, keeping the sums\n\n"
	        "Every subcommand takes --db PATH (a SQLite file or a postgresql:// URL) and\n"
	        "--help. Exit status: 0 ok, 1 data or runtime error (verify: a violation),\n"
	        "2 usage.\n");
}

static int parse(int argc, char **argv, const char *cmd, const char *use, const char *about,
                 const struct cli_opt *own, int reads_orders, struct cli_common *c, struct opts *o,
                 int min_pos, int max_pos)
{
	cli_common_init(c, cmd);
	struct cli_command_help help = {use, about, own, reads_orders};
	int r = cli_parse(argc, argv, c, &help, on_opt, o);
	if (r)
		return r;
	if (!o->db) {
		cli_error("%s: --db PATH is required (see rebuy %s --help)", cmd, cmd);
		return EXIT_USAGE;
	}
	if (c->n_positional < min_pos || c->n_positional > max_pos) {
		cli_error("%s: %s (see rebuy %s --help)", cmd,
		          c->n_positional < min_pos ? "an argument is missing"
		                                    : "too many arguments",
		          cmd);
		return EXIT_USAGE;
	}
	return 0;
}

static int open_ledger(const char *db, struct rebuy_loyalty **l)
{
	struct rebuy_error err = {0};
	if (rebuy_loyalty_open(l, db, &err))
		return cli_fail(&err);
	return 0;
}

/* Prints a reply body with a newline; a 4xx reply is an error. */
static int print_reply(struct rebuy_loyalty_reply *r)
{
	int rc = EXIT_OK;
	if (r->status >= 400) {
		cli_error("%.*s", (int)r->len, r->body);
		rc = EXIT_FAIL;
	} else {
		printf("%.*s\n", (int)r->len, r->body);
	}
	rebuy_loyalty_reply_release(r);
	return rc;
}

static int run_init(int argc, char **argv)
{
	struct cli_common c;
	struct opts o = {0};
	int r = parse(argc, argv, "loyalty init", "rebuy loyalty init --db PATH --program FILE",
	              "Creates a ledger (a new SQLite file, or the tables in an empty PostgreSQL\n"
	              "database) with the program rules of FILE (docs/loyalty.md). Fails when the\n"
	              "ledger exists.",
	              init_opts, 0, &c, &o, 0, 0);
	if (r)
		return r < 0 ? EXIT_OK : r;
	if (!o.program) {
		cli_error("loyalty init: --program FILE is required");
		return EXIT_USAGE;
	}
	struct rebuy_error err = {0};
	if (rebuy_loyalty_init(o.db, o.program, &err))
		return cli_fail(&err);
	fprintf(stderr, "rebuy: created the ledger %s\n", o.db);
	return EXIT_OK;
}

static int read_scopes(const char *s, unsigned *out)
{
	*out = 0;
	if (!s) {
		*out = REBUY_SCOPE_READ;
		return 0;
	}
	while (*s) {
		const char *e = strchr(s, ',');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (n == 4 && strncmp(s, "read", 4) == 0)
			*out |= REBUY_SCOPE_READ;
		else if (n == 5 && strncmp(s, "write", 5) == 0)
			*out |= REBUY_SCOPE_WRITE;
		else if (n == 5 && strncmp(s, "admin", 5) == 0)
			*out |= REBUY_SCOPE_ADMIN;
		else {
			cli_error("--scopes: '%.*s' is not read, write or admin", (int)n, s);
			return EXIT_USAGE;
		}
		s += n + (e != NULL);
	}
	return 0;
}

static int key_row(void *ctx, const struct rebuy_loyalty_key_info *k)
{
	(void)ctx;
	printf("%s,%s,%s%s%s,%lld,%lld\n", k->name, k->id, k->scopes & REBUY_SCOPE_READ ? "r" : "",
	       k->scopes & REBUY_SCOPE_WRITE ? "w" : "", k->scopes & REBUY_SCOPE_ADMIN ? "a" : "",
	       (long long)k->created, (long long)k->revoked);
	return 0;
}

static int run_key(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	struct cli_common c;
	struct opts o = {0};
	int r;
	if (strcmp(sub, "create") == 0)
		r = parse(
		        argc - 1, argv + 1, "loyalty key create",
		        "rebuy loyalty key create NAME --db PATH [--scopes read,write,admin]",
		        "Creates an API key named NAME and prints it once: rbk_<id>_<secret>. The\n"
		        "ledger keeps only a salted BLAKE2b digest of the secret.",
		        key_create_opts, 0, &c, &o, 1, 1);
	else if (strcmp(sub, "revoke") == 0)
		r = parse(argc - 1, argv + 1, "loyalty key revoke",
		          "rebuy loyalty key revoke NAME --db PATH",
		          "Revokes the API key named NAME: it is refused from then on.", db_opt, 0,
		          &c, &o, 1, 1);
	else if (strcmp(sub, "list") == 0)
		r = parse(argc - 1, argv + 1, "loyalty key list",
		          "rebuy loyalty key list --db PATH",
		          "Lists the API keys as CSV: name, id, scopes (r, w, a), created and "
		          "revoked\n"
		          "(Unix seconds; 0: active). Secrets are never shown again.",
		          db_opt, 0, &c, &o, 0, 0);
	else {
		if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
			printf("usage: rebuy loyalty key create NAME --db PATH [--scopes "
			       "read,write,admin]\n"
			       "       rebuy loyalty key revoke NAME --db PATH\n"
			       "       rebuy loyalty key list --db PATH\n\n"
			       "rebuy loyalty key SUBCOMMAND --help shows its options.\n");
			return EXIT_OK;
		}
		cli_error(
		        "loyalty key: expected create, revoke or list (see rebuy loyalty --help)");
		return EXIT_USAGE;
	}
	if (r)
		return r < 0 ? EXIT_OK : r;
	unsigned scopes = 0;
	if (sub[0] == 'c' && (r = read_scopes(o.scopes, &scopes)))
		return r;
	struct rebuy_loyalty *l;
	if ((r = open_ledger(o.db, &l)))
		return r;
	struct rebuy_error err = {0};
	enum rebuy_status st;
	if (sub[0] == 'c') {
		char key[128];
		st = rebuy_loyalty_key_create(l, c.positional[0], scopes, key, sizeof key, &err);
		if (!st)
			printf("%s\n", key);
	} else if (sub[0] == 'r') {
		st = rebuy_loyalty_key_revoke(l, c.positional[0], &err);
	} else {
		printf("name,id,scopes,created,revoked\n");
		st = rebuy_loyalty_key_list(l, key_row, NULL, &err);
	}
	rebuy_loyalty_close(l);
	return st ? cli_fail(&err) : EXIT_OK;
}

static int run_import(int argc, char **argv)
{
	struct cli_common c;
	struct opts o = {0};
	int r = parse(
	        argc, argv, "loyalty import", "rebuy loyalty import ORDERS --db PATH [OPTIONS]",
	        "Accrues the purchases of an order history (read as every rebuy command reads\n"
	        "orders) in one transaction, each customer's in time order, so a shop can\n"
	        "start its program from its history. Each order gets the id\n"
	        "import:<pseudonym>:<unix time>:<n> (the customer's keyed digest, never the\n"
	        "id, and the purchase's number), so importing the same file again accrues\n"
	        "nothing twice and forget leaves no customer id in the references.\n"
	        "Returns are not refunds here: they carry no order to reverse.",
	        db_opt, 1, &c, &o, 0, 1);
	if (r)
		return r < 0 ? EXIT_OK : r;
	struct rebuy_orders *orders;
	if ((r = cli_load_orders(&c, &orders)))
		return r;
	size_t n = orders->n_orders;
	struct rebuy_loyalty_order *v = calloc(n ? n : 1, sizeof *v);
	char *ids = calloc(n ? n : 1, 96);
	if (!v || !ids) {
		free(v);
		free(ids);
		rebuy_orders_free(orders);
		cli_error("loyalty import: out of memory");
		return EXIT_FAIL;
	}
	struct rebuy_loyalty *l;
	if ((r = open_ledger(o.db, &l)) == 0) {
		/* ids name the customer by their pseudonym, never by the id, so that
		 * forget leaves no id in the references */
		size_t k = 0;
		for (size_t cu = 0; cu < orders->n_customers; cu++) {
			const char *key = rebuy_orders_customer_key(orders, cu, NULL);
			char pseudonym[65];
			rebuy_loyalty_pseudonym(l, key, pseudonym, sizeof pseudonym);
			for (uint64_t i = orders->cust_start[cu]; i < orders->cust_start[cu + 1]; i++) {
				char *id = ids + 96 * k;
				snprintf(id, 96, "import:%.32s:%lld:%llu", pseudonym,
				         (long long)orders->ts[i],
				         (unsigned long long)(i - orders->cust_start[cu] + 1));
				v[k] = (struct rebuy_loyalty_order){
				        key, id, orders->ts[i], orders->value[i], NULL, 0, NULL};
				k++;
			}
		}
		struct rebuy_loyalty_reply reply;
		struct rebuy_error err = {0};
		if (rebuy_loyalty_import(l, v, k, &reply, &err))
			r = cli_fail(&err);
		else
			r = print_reply(&reply);
		rebuy_loyalty_close(l);
	}
	free(v);
	free(ids);
	rebuy_orders_free(orders);
	return r;
}

struct export_ctx {
	FILE *f;
	int json, n, raw;
};

static void csv_text(FILE *f, const char *s, int raw)
{
	/* formula injection: a text cell starting =, +, -, @ gets a leading ' */
	int quote = strpbrk(s, ",\"\n\r") != NULL;
	int neutral = !raw && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@');
	if (!quote && !neutral) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	if (neutral)
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void json_text(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static int export_row(void *ctx, const struct rebuy_loyalty_export_row *r)
{
	struct export_ctx *x = ctx;
	int64_t day = r->time >= 0 ? r->time / 86400 : -((-r->time + 86399) / 86400);
	int64_t y;
	unsigned m, d;
	rebuy_civil_from_days(day, &y, &m, &d);
	int64_t sec = r->time - day * 86400;
	char when[32];
	snprintf(when, sizeof when, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d,
	         (int)(sec / 3600), (int)(sec / 60 % 60), (int)(sec % 60));
	if (x->json) {
		fprintf(x->f, "%s{\"tx\":%lld,\"time\":\"%s\",\"kind\":", x->n ? ",\n" : "\n",
		        (long long)r->tx, when);
		json_text(x->f, r->kind);
		fputs(",\"customer\":", x->f);
		json_text(x->f, r->customer);
		fputs(",\"ref\":", x->f);
		json_text(x->f, r->ref);
		fputs(",\"rule\":", x->f);
		json_text(x->f, r->rule);
		if (r->refers)
			fprintf(x->f, ",\"refers\":%lld", (long long)r->refers);
		else
			fputs(",\"refers\":null", x->f);
		fprintf(x->f,
		        ",\"points\":%lld,\"account\":\"%s\",\"amount\":%lld,\"hash\":\"%s\"}",
		        (long long)r->points, r->account, (long long)r->amount, r->hash);
	} else {
		fprintf(x->f, "%lld,%s,%s,", (long long)r->tx, when, r->kind);
		csv_text(x->f, r->customer, x->raw);
		fputc(',', x->f);
		csv_text(x->f, r->ref, x->raw);
		fputc(',', x->f);
		csv_text(x->f, r->rule, x->raw);
		if (r->refers)
			fprintf(x->f, ",%lld", (long long)r->refers);
		else
			fputs(",", x->f);
		fprintf(x->f, ",%lld,%s,%lld,%s\n", (long long)r->points, r->account,
		        (long long)r->amount, r->hash);
	}
	x->n++;
	return ferror(x->f) ? 1 : 0;
}

static int run_export(int argc, char **argv)
{
	struct cli_common c;
	struct opts o = {0};
	int r = parse(argc, argv, "loyalty export",
	              "rebuy loyalty export --db PATH [--format csv|json] [-o FILE]",
	              "Writes every posting of the ledger in transaction order: transaction id,\n"
	              "time, kind, customer (a tombstone once forgotten), reference, rule, the\n"
	              "transaction it reverses, its points, the account, the posting's amount and\n"
	              "the transaction's hash. CSV by default; --format json writes one array.",
	              db_opt, 0, &c, &o, 0, 0);
	if (r)
		return r < 0 ? EXIT_OK : r;
	enum cli_format fmt = cli_format_of(&c);
	struct cli_out out;
	if ((r = cli_out_open(&out, c.output)))
		return r;
	struct rebuy_loyalty *l;
	if ((r = open_ledger(o.db, &l))) {
		cli_out_abort(&out);
		return r;
	}
	struct export_ctx x = {out.f, fmt == FORMAT_JSON, 0, c.raw};
	if (x.json)
		fputs("[", out.f);
	else
		fputs("tx,time,kind,customer,ref,rule,refers,points,account,amount,hash\n", out.f);
	struct rebuy_error err = {0};
	enum rebuy_status st = rebuy_loyalty_export(l, export_row, &x, &err);
	rebuy_loyalty_close(l);
	if (x.json)
		fputs(x.n ? "\n]\n" : "]\n", out.f);
	if (st) {
		cli_out_abort(&out);
		return cli_fail(&err);
	}
	return cli_out_commit(&out);
}

static int run_expire(int argc, char **argv)
{
	struct cli_common c;
	struct opts o = {0};
	int r = parse(argc, argv, "loyalty expire", "rebuy loyalty expire --db PATH [--now DATE]",
	              "Settles every customer as of --now (the end of that day, UTC; default the\n"
	              "current time) in one transaction: pending points whose holding period has\n"
	              "ended become available, and lots past their expiry expire, oldest first.\n"
	              "Prints what it did as JSON. Run it daily (cron); running it twice changes\n"
	              "nothing the second time.",
	              expire_opts, 0, &c, &o, 0, 0);
	if (r)
		return r < 0 ? EXIT_OK : r;
	int64_t now = (int64_t)time(NULL);
	if (o.now) {
		int64_t day;
		if ((r = cli_day("now", o.now, &day)))
			return r;
		now = day * 86400 + 86399;
	}
	struct rebuy_loyalty *l;
	if ((r = open_ledger(o.db, &l)))
		return r;
	struct rebuy_loyalty_reply reply;
	struct rebuy_error err = {0};
	enum rebuy_status st = rebuy_loyalty_expire(l, now, &reply, &err);
	rebuy_loyalty_close(l);
	return st ? cli_fail(&err) : print_reply(&reply);
}

static int run_verify(int argc, char **argv)
{
	struct cli_common c;
	struct opts o = {0};
	int r = parse(
	        argc, argv, "loyalty verify", "rebuy loyalty verify --db PATH",
	        "Recomputes every transaction's hash along the chain, every account's\n"
	        "balance from its postings, every lot's remaining points from its moves and\n"
	        "every customer's balances from their lots and debt; checks that postings sum\n"
	        "to zero, that no order or refund is counted twice, and that the customers'\n"
	        "balances equal the program accounts'. Prints what it checked; exit 1 with\n"
	        "the first violation.",
	        db_opt, 0, &c, &o, 0, 0);
	if (r)
		return r < 0 ? EXIT_OK : r;
	struct rebuy_loyalty *l;
	if ((r = open_ledger(o.db, &l)))
		return r;
	struct rebuy_loyalty_verify_report rep;
	struct rebuy_error err = {0};
	enum rebuy_status st = rebuy_loyalty_verify(l, &rep, &err);
	rebuy_loyalty_close(l);
	if (st)
		return cli_fail(&err);
	printf("transactions: %lld (hash chain intact, head %.16s)\n"
	       "postings: %lld (every transaction sums to 0)\n"
	       "accounts: %lld (every balance equals its postings)\n"
	       "customers: %lld (%lld forgotten; balances equal their lots and debt)\n"
	       "lots: %lld, lot moves: %lld (remaining = earned - moved)\n"
	       "orders: %lld (one accrual per order and rule, one reversal per refund)\n"
	       "points outstanding: %lld (= minus the program accounts)\n"
	       "ok\n",
	       (long long)rep.transactions, rep.head, (long long)rep.postings,
	       (long long)rep.accounts, (long long)rep.customers, (long long)rep.forgotten,
	       (long long)rep.lots, (long long)rep.lot_moves, (long long)rep.orders,
	       (long long)rep.points_outstanding);
	return EXIT_OK;
}

static int run_forget(int argc, char **argv)
{
	struct cli_common c;
	struct opts o = {0};
	int r = parse(
	        argc, argv, "loyalty forget", "rebuy loyalty forget CUSTOMER --db PATH",
	        "Right to erasure: replaces the customer's id and birthday by a tombstone\n"
	        "and scrubs stored answers that name them. Transactions, balances, lots and\n"
	        "the hash chain (built over a keyed digest of the id, never the id) stay and\n"
	        "still verify.",
	        db_opt, 0, &c, &o, 1, 1);
	if (r)
		return r < 0 ? EXIT_OK : r;
	struct rebuy_loyalty *l;
	if ((r = open_ledger(o.db, &l)))
		return r;
	struct rebuy_loyalty_reply reply;
	struct rebuy_error err = {0};
	enum rebuy_status st = rebuy_loyalty_forget(l, c.positional[0], &reply, &err);
	rebuy_loyalty_close(l);
	return st ? cli_fail(&err) : print_reply(&reply);
}

int cmd_loyalty(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	static const struct {
		const char *name;
		int (*run)(int, char **);
	} subs[] = {{"init", run_init},     {"key", run_key},       {"import", run_import},
	            {"export", run_export}, {"expire", run_expire}, {"verify", run_verify},
	            {"forget", run_forget}};
	for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
		if (strcmp(subs[i].name, sub) == 0)
			return subs[i].run(argc - 1, argv + 1);
	cli_error("loyalty: unknown subcommand '%s' (see rebuy loyalty --help)", sub);
	return EXIT_USAGE;
}
