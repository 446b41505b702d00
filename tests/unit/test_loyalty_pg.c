/* The loyalty ledger on PostgreSQL (src/loyalty/store_pg.c): the same
 * movements, idempotency, verify, forget and concurrent duplicates as on
 * SQLite, against a throwaway cluster this test starts itself (initdb and
 * pg_ctl from Debian's postgresql-15, run as the postgres user when root, on
 * a free loopback port, in a temporary directory removed at the end). It
 * skips, saying why, when the server binaries are missing.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rebuy/date.h"
#include "rebuy/loyalty.h"

#define PG_BIN "/usr/lib/postgresql/15/bin"
#define U 10000

static char dir[256];
static char url[128];
static int started;

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t n = sizeof a;
	int port = -1;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &n) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* Runs a command as the postgres user when root (initdb refuses root). */
static int as_pg(const char *cmd)
{
	char buf[1024];
	if (geteuid() == 0)
		snprintf(buf, sizeof buf, "runuser -u postgres -- sh -c '%s' >>'%s/setup.log' 2>&1",
		         cmd, dir);
	else
		snprintf(buf, sizeof buf, "sh -c '%s' >>'%s/setup.log' 2>&1", cmd, dir);
	return system(buf);
}

static int setup(void **state)
{
	(void)state;
	if (access(PG_BIN "/initdb", X_OK) != 0 || access(PG_BIN "/pg_ctl", X_OK) != 0)
		return 0; /* each test skips */
	snprintf(dir, sizeof dir, "/tmp/rebuy-pg-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	char cmd[1024];
	if (geteuid() == 0) {
		snprintf(cmd, sizeof cmd, "chown postgres '%s'", dir);
		if (system(cmd) != 0)
			return -1;
	}
	int port = free_port();
	snprintf(cmd, sizeof cmd,
	         PG_BIN "/initdb -D %s/data -A trust -U postgres --no-sync -E UTF8", dir);
	if (as_pg(cmd) != 0)
		return -1;
	snprintf(cmd, sizeof cmd,
	         PG_BIN "/pg_ctl -D %s/data -w -l %s/server.log -o \"-p %d -k %s "
	                "-c listen_addresses=127.0.0.1 -c fsync=off\" start",
	         dir, dir, port, dir);
	if (as_pg(cmd) != 0)
		return -1;
	started = 1;
	snprintf(url, sizeof url, "postgresql://postgres@127.0.0.1:%d/postgres", port);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (!dir[0])
		return 0;
	char cmd[1024];
	if (started) {
		snprintf(cmd, sizeof cmd, PG_BIN "/pg_ctl -D %s/data -m immediate -w stop", dir);
		as_pg(cmd);
	}
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void need_server(void)
{
	if (!started) {
		print_message("SKIP: " PG_BIN "/initdb or pg_ctl missing (apt-get install "
		              "postgresql-15)\n");
		skip();
	}
}

static int64_t at(int y, unsigned m, unsigned d)
{
	return rebuy_days_from_civil(y, m, d) * 86400 + 12 * 3600;
}

static int64_t num(const char *json, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = strstr(json, pat);
	if (!p)
		fail_msg("no %s in %s", key, json);
	return strtoll(p + strlen(pat), NULL, 10);
}

static struct rebuy_loyalty_reply accrue(struct rebuy_loyalty *l, const char *key,
                                         const char *customer, const char *id, int64_t t,
                                         int64_t amount)
{
	struct rebuy_loyalty_request req = {key, {0}};
	snprintf((char *)req.body_digest, sizeof req.body_digest, "%s|%lld", id, (long long)amount);
	struct rebuy_loyalty_order o = {customer, id, t, amount, NULL, 0, NULL};
	struct rebuy_loyalty_reply r;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	if (rebuy_loyalty_accrue(l, key ? &req : NULL, &o, &r, &err) != REBUY_OK)
		fail_msg("accrue: %s", err.msg);
	return r;
}

static void test_loyalty_pg__movements_and_verify(void **state)
{
	(void)state;
	need_server();
	char prog[300];
	snprintf(prog, sizeof prog, "%s/program.txt", dir);
	FILE *f = fopen(prog, "w");
	assert_non_null(f);
	fputs("earn 1 per 1\norder_bonus 2 50\nmin_redemption 10\nexpiry_months 12\n", f);
	fclose(f);
	struct rebuy_error err;
	rebuy_error_clear(&err);
	if (rebuy_loyalty_init(url, prog, &err) != REBUY_OK)
		fail_msg("init: %s", err.msg);
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_loyalty_init(url, prog, &err), REBUY_EARG); /* once */
	struct rebuy_loyalty *l = NULL;
	rebuy_error_clear(&err);
	if (rebuy_loyalty_open(&l, url, &err) != REBUY_OK)
		fail_msg("open: %s", err.msg);
	struct rebuy_loyalty_reply a = accrue(l, "k1", "c1", "o1", at(2025, 1, 10), 100 * U);
	assert_int_equal(a.status, 201);
	assert_int_equal(num(a.body, "points"), 100);
	struct rebuy_loyalty_reply b = accrue(l, "k1", "c1", "o1", at(2025, 1, 10), 100 * U);
	assert_int_equal(b.status, 201);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.body, b.body, a.len);
	rebuy_loyalty_reply_release(&b);
	b = accrue(l, "k1", "c1", "o1", at(2025, 1, 10), 101 * U);
	assert_int_equal(b.status, 409);
	rebuy_loyalty_reply_release(&b);
	b = accrue(l, "k2", "c1", "o1", at(2025, 1, 10), 100 * U);
	assert_int_equal(b.status, 200);
	assert_memory_equal(a.body, b.body, a.len);
	rebuy_loyalty_reply_release(&b);
	rebuy_loyalty_reply_release(&a);
	/* second order: 20 + 50; refund half of it: 10 back, the bonus stays */
	b = accrue(l, NULL, "c1", "o2", at(2025, 2, 10), 20 * U);
	assert_int_equal(num(b.body, "points"), 70);
	rebuy_loyalty_reply_release(&b);
	struct rebuy_loyalty_refund rf = {"c1", "f1", "o2", at(2025, 2, 11), 10 * U, NULL, 0};
	assert_int_equal(rebuy_loyalty_refund(l, NULL, &rf, &b, &err), REBUY_OK);
	assert_int_equal(b.status, 201);
	assert_int_equal(num(b.body, "points_reversed"), 10);
	rebuy_loyalty_reply_release(&b);
	struct rebuy_loyalty_redemption rd = {"c1", "r1", at(2025, 2, 12), 200, "mug"};
	assert_int_equal(rebuy_loyalty_redeem(l, NULL, &rd, &b, &err), REBUY_OK);
	assert_int_equal(b.status, 422); /* 160 available */
	rebuy_loyalty_reply_release(&b);
	rd.points = 150;
	assert_int_equal(rebuy_loyalty_redeem(l, NULL, &rd, &b, &err), REBUY_OK);
	assert_int_equal(b.status, 201);
	assert_int_equal(num(b.body, "available"), 10);
	rebuy_loyalty_reply_release(&b);
	/* expiry a year later: the 10 left of the February lots */
	assert_int_equal(rebuy_loyalty_expire(l, at(2026, 2, 11), &b, &err), REBUY_OK);
	assert_int_equal(num(b.body, "expired"), 10);
	rebuy_loyalty_reply_release(&b);
	char key[128];
	assert_int_equal(
	        rebuy_loyalty_key_create(l, "shop", REBUY_SCOPE_WRITE, key, sizeof key, &err),
	        REBUY_OK);
	assert_int_equal(rebuy_loyalty_key_check(l, key, strlen(key)), REBUY_SCOPE_WRITE);
	assert_int_equal(rebuy_loyalty_forget(l, "c1", &b, &err), REBUY_OK);
	assert_int_equal(b.status, 200);
	rebuy_loyalty_reply_release(&b);
	struct rebuy_loyalty_verify_report rep;
	if (rebuy_loyalty_verify(l, &rep, &err) != REBUY_OK)
		fail_msg("verify: %s", err.msg);
	assert_int_equal(rep.transactions, 6); /* 3 accruals, 1 reversal, 1 redemption, 1 expiry */
	assert_int_equal(rep.forgotten, 1);
	assert_int_equal(rep.points_outstanding, 0);
	rebuy_loyalty_close(l);
}

#define THREADS 6
#define PER 150

struct worker {
	struct rebuy_loyalty *l;
	int seed, bad;
	char sent[300];
};

static void *run(void *arg)
{
	struct worker *w = arg;
	unsigned s = (unsigned)w->seed * 2654435761u + 3;
	for (int i = 0; i < PER; i++) {
		s = s * 1103515245u + 12345u;
		int k = (int)((s >> 8) % 300);
		char id[32], cust[32], key[64];
		snprintf(id, sizeof id, "t%d", k);
		snprintf(cust, sizeof cust, "tc%d", k % 13);
		snprintf(key, sizeof key, (s >> 20) & 1 ? "tk%d" : "tk%d-%d-%d", k, w->seed, i);
		struct rebuy_loyalty_reply r =
		        accrue(w->l, key, cust, id, at(2025, 5, 1), (k + 1) * U);
		w->sent[k] = 1;
		if ((r.status != 200 && r.status != 201) || num(r.body, "points") < k + 1)
			w->bad++;
		rebuy_loyalty_reply_release(&r);
	}
	return NULL;
}

static void test_loyalty_pg__threads_with_duplicates(void **state)
{
	(void)state;
	need_server();
	struct rebuy_loyalty *l = NULL;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	if (rebuy_loyalty_open(&l, url, &err) != REBUY_OK)
		fail_msg("open: %s", err.msg);
	struct rebuy_loyalty_stats before;
	assert_int_equal(rebuy_loyalty_stats(l, &before, &err), REBUY_OK);
	static struct worker w[THREADS];
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].l = l;
		w[i].seed = i + 1;
		pthread_create(&t[i], NULL, run, &w[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].bad, 0);
	}
	int64_t orders = 0;
	for (int k = 0; k < 300; k++) {
		int any = 0;
		for (int i = 0; i < THREADS; i++)
			any |= w[i].sent[k];
		orders += any;
	}
	struct rebuy_loyalty_stats after;
	assert_int_equal(rebuy_loyalty_stats(l, &after, &err), REBUY_OK);
	assert_int_equal(after.orders - before.orders, orders);
	struct rebuy_loyalty_verify_report rep;
	if (rebuy_loyalty_verify(l, &rep, &err) != REBUY_OK)
		fail_msg("verify: %s", err.msg);
	rebuy_loyalty_close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_loyalty_pg__movements_and_verify),
	        cmocka_unit_test(test_loyalty_pg__threads_with_duplicates),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
