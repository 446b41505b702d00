/* rebuy serve: the loyalty ledger's HTTP JSON API (docs/serve.md,
 * docs/openapi.yaml). Opens the ledger, listens, prints the bound address on
 * stdout (so a script that asked for port 0 can read it), and runs until
 * SIGINT or SIGTERM, then finishes the requests in flight and exits 0. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rebuy/loyalty.h"
#include "rebuy/service.h"

enum {
	OPT_LEDGER_DB = 1,
	OPT_LISTEN,
	OPT_ORDERS,
	OPT_SERVE_THREADS,
	OPT_MAX_BODY,
	OPT_RATE,
	OPT_BURST,
	OPT_AUTH_RATE,
	OPT_MAX_CONN,
	OPT_TIMEOUT,
};

static const struct cli_opt own_opts[] = {
        {"db", "DB", OPT_LEDGER_DB,
         "the ledger: a SQLite file or a postgresql:// URL (made by rebuy loyalty init)"},
        {"listen", "HOST:PORT", OPT_LISTEN,
         "the address to listen on (default 127.0.0.1:8080; port 0 picks a free one; "
         "IPv6 as [::1]:8080)"},
        {"orders", "FILE", OPT_ORDERS,
         "an order export with a product column: the products behind the insights' "
         "recommendations and audiences (the ledger keeps order values only)"},
        {"threads", "N", OPT_SERVE_THREADS,
         "0: a thread per connection (default); N: a pool of N threads"},
        {"max-body", "BYTES", OPT_MAX_BODY, "larger request bodies get 413 (default 65536)"},
        {"rate", "N", OPT_RATE, "requests a second per API key, 0 for no limit (default 1000)"},
        {"burst", "N", OPT_BURST, "requests a key may send at once (default 2 x --rate)"},
        {"auth-rate", "N", OPT_AUTH_RATE,
         "failed authentications a second per client address before 429, 0 for no limit "
         "(default 10)"},
        {"max-connections", "N", OPT_MAX_CONN, "open connections at most (default 512)"},
        {"timeout", "SECONDS", OPT_TIMEOUT, "idle connections are closed after it (default 60)"},
        CLI_OPT_END,
};

static const struct cli_command_help help = {
        "rebuy serve --db DB [--listen HOST:PORT] [OPTIONS]",
        "The loyalty ledger as an HTTP JSON API under /v1: orders, refunds, redemptions,\n"
        "adjustments, customers' balances and ledgers, insights, the HTML report, health and\n"
        "Prometheus metrics. Requests carry an API key (Authorization: Bearer KEY, made by\n"
        "rebuy loyalty key create); writes carry an Idempotency-Key. Prints 'listening on\n"
        "http://HOST:PORT' on stdout once bound; SIGINT or SIGTERM stops it after the\n"
        "requests in flight. Plain HTTP: put TLS in a reverse proxy. Reference:\n"
        "docs/serve.md and docs/openapi.yaml.",
        own_opts,
        0,
};

struct ctx {
	const char *db;
	char host[64];
	struct rebuy_service_options o;
};

static int whole(const char *opt, const char *v, unsigned long long lo, unsigned long long hi,
                 unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (*v < '0' || *v > '9' || *end || errno || n < lo || n > hi) {
		cli_error("--%s: '%s' is not a whole number from %llu to %llu", opt, v, lo, hi);
		return EXIT_USAGE;
	}
	*out = n;
	return 0;
}

static int listen_at(struct ctx *x, const char *v)
{
	const char *colon = strrchr(v, ':');
	const char *h = v;
	size_t hn = colon ? (size_t)(colon - v) : 0;
	if (hn >= 2 && v[0] == '[' && v[hn - 1] == ']') {
		h = v + 1;
		hn -= 2;
	}
	if (!colon || hn == 0 || hn >= sizeof x->host) {
		cli_error("--listen: '%s' is not HOST:PORT", v);
		return EXIT_USAGE;
	}
	memcpy(x->host, h, hn);
	x->host[hn] = 0;
	unsigned long long port;
	int r = whole("listen", colon + 1, 0, 65535, &port);
	if (r)
		return r;
	x->o.host = x->host;
	x->o.port = (unsigned)port;
	return 0;
}

static int own(void *ud, int id, const char *v)
{
	struct ctx *x = ud;
	unsigned long long n;
	int r;
	switch (id) {
	case OPT_LEDGER_DB: x->db = v; return 0;
	case OPT_LISTEN: return listen_at(x, v);
	case OPT_ORDERS: x->o.orders_path = v; return 0;
	case OPT_SERVE_THREADS:
		if ((r = whole("threads", v, 0, 1024, &n)))
			return r;
		x->o.threads = (unsigned)n;
		return 0;
	case OPT_MAX_BODY:
		if ((r = whole("max-body", v, 64, 64u << 20, &n)))
			return r;
		x->o.max_body = (size_t)n;
		return 0;
	case OPT_RATE:
		if ((r = whole("rate", v, 0, 10000000, &n)))
			return r;
		x->o.rate = (double)n;
		return 0;
	case OPT_BURST:
		if ((r = whole("burst", v, 1, 100000000, &n)))
			return r;
		x->o.burst = (double)n;
		return 0;
	case OPT_AUTH_RATE:
		if ((r = whole("auth-rate", v, 0, 10000000, &n)))
			return r;
		x->o.auth_rate = (double)n;
		return 0;
	case OPT_MAX_CONN:
		if ((r = whole("max-connections", v, 1, 100000, &n)))
			return r;
		x->o.max_connections = (unsigned)n;
		return 0;
	case OPT_TIMEOUT:
		if ((r = whole("timeout", v, 1, 86400, &n)))
			return r;
		x->o.timeout_s = (unsigned)n;
		return 0;
	}
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	struct cli_common c;
	struct ctx x;
	memset(&x, 0, sizeof x);
	rebuy_service_options_init(&x.o);
	cli_common_init(&c, "serve");
	int r = cli_parse(argc, argv, &c, &help, own, &x);
	if (r)
		return r < 0 ? EXIT_OK : r;
	if (c.n_positional) {
		cli_error("serve takes no input file (did you mean --db %s?)", c.positional[0]);
		return EXIT_USAGE;
	}
	if (!x.db) {
		cli_error("serve needs --db (a SQLite file or a postgresql:// URL)");
		return EXIT_USAGE;
	}
	/* Block the stop signals in every thread (the HTTP threads inherit the
	 * mask), and wait for them here. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct rebuy_error err = {0};
	struct rebuy_loyalty *l = NULL;
	if (rebuy_loyalty_open(&l, x.db, &err) != REBUY_OK)
		return cli_fail(&err);
	struct rebuy_service *s = NULL;
	if (rebuy_service_start(&s, l, &x.o, &err) != REBUY_OK) {
		rebuy_loyalty_close(l);
		return cli_fail(&err);
	}
	const char *host = x.o.host ? x.o.host : "127.0.0.1";
	int v6 = strchr(host, ':') != NULL;
	printf("listening on http://%s%s%s:%u\n", v6 ? "[" : "", host, v6 ? "]" : "",
	       rebuy_service_port(s));
	fflush(stdout);
	int sig = 0;
	sigwait(&stop, &sig);
	rebuy_service_free(s);
	rebuy_loyalty_close(l);
	return EXIT_OK;
}
