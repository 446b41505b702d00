/* Durable accrual throughput of the loyalty ledger's library (no HTTP): a
 * fresh SQLite ledger, --threads callers each sending accruals (30 % of them
 * duplicates: the same Idempotency-Key again, or the same order with a new
 * key), then verify. Prints throughput, p50/p99 latency and the group
 * commit's calls per fsync as one JSON line. The peer in the same run is one
 * caller (every call its own transaction and fsync), so the ratio is what
 * group commit buys. Built and run by bench/run-loyalty.sh.
 * With --url URL (an empty PostgreSQL database) the group-commit run uses
 * PostgreSQL and the peer is the same 32-caller load on SQLite.
 * Usage: loyalty_bench DIR [--orders N] [--threads N] [--url URL]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rebuy/loyalty.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct worker {
	struct rebuy_loyalty *l;
	int id, n_threads;
	long n;
	double *lat;
	long failures;
};

static void *run(void *arg)
{
	struct worker *w = arg;
	unsigned s = (unsigned)w->id * 2654435761u + 7;
	for (long i = 0; i < w->n; i++) {
		long seq = i * w->n_threads + w->id; /* this call's number overall */
		s = s * 1103515245u + 12345u;
		long order = seq;
		char key[64], oid[32], cust[32];
		int dup = (s >> 8) % 100 < 30 && seq > 64;
		if (dup)
			order = (long)((s >> 12) %
			               (unsigned long)(seq - 32)); /* an earlier order */
		snprintf(oid, sizeof oid, "o%ld", order);
		snprintf(cust, sizeof cust, "c%ld", order % 20000);
		if (dup && (s >> 24) & 1)
			snprintf(key, sizeof key, "k%ld", order); /* a retry with its key */
		else
			snprintf(key, sizeof key, "k%ld-%d-%ld", order, w->id, i); /* a new key */
		if (!dup)
			snprintf(key, sizeof key, "k%ld", order);
		struct rebuy_loyalty_request req = {key, {0}};
		snprintf((char *)req.body_digest, sizeof req.body_digest, "%ld", order);
		struct rebuy_loyalty_order o = {
		        cust, oid, 1700000000 + order, (order % 500 + 1) * 10000, NULL, 0, NULL};
		struct rebuy_loyalty_reply r;
		double t0 = now();
		if (rebuy_loyalty_accrue(w->l, &req, &o, &r, NULL) != REBUY_OK ||
		    (r.status != 200 && r.status != 201))
			w->failures++;
		w->lat[i] = now() - t0;
		rebuy_loyalty_reply_release(&r);
	}
	return NULL;
}

static int bench(const char *dir, const char *name, int threads, long orders, const char *prog,
                 const char *url)
{
	char db[512];
	if (url) {
		snprintf(db, sizeof db, "%s", url);
	} else {
		snprintf(db, sizeof db, "%s/%s.db", dir, name);
		remove(db);
	}
	struct rebuy_error err;
	rebuy_error_clear(&err);
	struct rebuy_loyalty *l = NULL;
	if (rebuy_loyalty_init(db, prog, &err) || rebuy_loyalty_open(&l, db, &err)) {
		fprintf(stderr, "loyalty_bench: %s\n", err.msg);
		return 1;
	}
	long per = orders / threads;
	struct worker *w = calloc((size_t)threads, sizeof *w);
	pthread_t *t = calloc((size_t)threads, sizeof *t);
	double *lat = calloc((size_t)(per * threads), sizeof *lat);
	double t0 = now();
	for (int i = 0; i < threads; i++) {
		w[i] = (struct worker){l, i, threads, per, lat + i * per, 0};
		pthread_create(&t[i], NULL, run, &w[i]);
	}
	long failures = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		failures += w[i].failures;
	}
	double secs = now() - t0;
	long n = per * threads;
	qsort(lat, (size_t)n, sizeof *lat, cmp);
	struct rebuy_loyalty_stats s;
	rebuy_loyalty_stats(l, &s, &err);
	struct rebuy_loyalty_verify_report rep;
	double v0 = now();
	enum rebuy_status vst = rebuy_loyalty_verify(l, &rep, &err);
	double vsecs = now() - v0;
	printf("{\"run\":\"%s\",\"threads\":%d,\"calls\":%ld,\"seconds\":%.3f,\"calls_per_s\":%.0f,"
	       "\"orders_accrued\":%lld,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"calls_per_commit\":%.1f,"
	       "\"failures\":%ld,\"verify\":\"%s\",\"verify_s\":%.3f}\n",
	       name, threads, n, secs, (double)n / secs, (long long)s.orders, lat[n / 2] * 1e3,
	       lat[(long)(n * 0.99)] * 1e3,
	       s.commit_groups ? (double)s.commits / (double)s.commit_groups : 0.0, failures,
	       vst ? err.msg : "ok", vsecs);
	fflush(stdout);
	rebuy_loyalty_close(l);
	free(w);
	free(t);
	free(lat);
	return failures || vst ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: loyalty_bench DIR [--orders N] [--threads N]\n");
		return 2;
	}
	const char *dir = argv[1];
	long orders = 100000;
	int threads = 32;
	const char *url = NULL;
	for (int i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--orders") == 0)
			orders = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--threads") == 0)
			threads = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--url") == 0)
			url = argv[i + 1];
	}
	char prog[512];
	snprintf(prog, sizeof prog, "%s/program.txt", dir);
	FILE *f = fopen(prog, "w");
	if (!f)
		return 1;
	fputs("earn 1 per 1\norder_bonus 2 50\ntier silver spend 1000 multiplier 1.5\n"
	      "expiry_months 12\n",
	      f);
	fclose(f);
	if (url) {
		int rc = bench(dir, "postgresql_group_commit", threads, orders, prog, url);
		rc |= bench(dir, "sqlite_group_commit", threads, orders, prog, NULL);
		return rc;
	}
	int rc = bench(dir, "group_commit", threads, orders, prog, NULL);
	/* the peer: one caller, one transaction and one fsync per call (fewer
	 * calls: it is slow) */
	long peer = orders / 20 < 2000 ? 2000 : orders / 20;
	rc |= bench(dir, "one_caller", 1, peer, prog, NULL);
	return rc;
}
