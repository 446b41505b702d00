/* Load client for rebuy serve (bench/serve-load, tests/http/crash_test.sh).
 *
 * --clients threads, each with one keep-alive connection over raw sockets,
 * send --requests order accruals, of which --dup (a fraction) are
 * duplicates of another order sent close to it in time (so often at the
 * same moment by another client): half with the same Idempotency-Key, half
 * the same order under a new key (a backend that retries with a new request
 * id). Each order is worth a whole number of currency units and the program
 * gives 1 point per unit, so the client knows every customer's balance.
 * A request without an answer (connection refused or cut: the server was
 * killed) is sent again, same key, same body, until answered or the
 * --time-limit passes. Afterwards it checks:
 *   - every Idempotency-Key got byte-identical answers each time it was sent;
 *   - exactly one key per order got 201 (the accrual), the others 200;
 *   - every customer's available balance (GET /v1/customers/ID) equals the
 *     sum of its orders' amounts;
 * and prints throughput, latency percentiles, retries and the CPU split
 * (this process from getrusage, the server from /proc/PID/stat).
 * Exit 0 when every check passes, 1 when one fails, 2 on usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct item {
	uint32_t order;   /* the order's number */
	uint32_t slot;    /* its Idempotency-Key's slot */
	char key[40];
};

static struct {
	const char *addr_file, *key;
	int port;
	long requests, customers;
	double dup, time_limit;
	int clients;
	uint64_t seed;
	long server_pid;
	long kill_after; /* print READY-TO-KILL after this many answers (crash test) */
} opt = {NULL, NULL, 0, 100000, 2000, 0.3, 120, 32, 1, 0, 0};

static long n_orders;
static uint32_t *order_customer;
static int64_t *order_amount; /* whole units */
static struct item *items;
static long n_items;
static uint64_t *slot_hash; /* FNV-1a of status and body of the first answer, 0: none */
static uint32_t *order_created;

static long next_item;
static long answered, retries, mismatches, bad_status;
static double t_start, deadline;
static uint32_t *latency_us; /* per item */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng_state;
static uint64_t rng(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int read_port(void)
{
	if (!opt.addr_file)
		return opt.port;
	FILE *f = fopen(opt.addr_file, "r");
	if (!f)
		return 0;
	char line[256];
	int port = 0;
	while (fgets(line, sizeof line, f)) {
		char *colon = strrchr(line, ':');
		if (strstr(line, "listening on") && colon)
			port = (int)strtol(colon + 1, NULL, 10);
	}
	fclose(f);
	return port;
}

struct conn {
	int fd;
	char buf[1 << 16];
	size_t have;
};

static int conn_open(struct conn *c)
{
	int port = read_port();
	if (port <= 0)
		return -1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	c->fd = fd;
	c->have = 0;
	return 0;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->have = 0;
}

/* One request and its answer on the keep-alive connection. Returns 0 with
 * *status and body[0..*blen), or -1 when the connection failed. */
static int http_call(struct conn *c, const char *req, size_t n, int *status, char *body,
                     size_t cap, size_t *blen)
{
	if (c->fd < 0 && conn_open(c) != 0)
		return -1;
	for (size_t off = 0; off < n;) {
		ssize_t w = send(c->fd, req + off, n - off, MSG_NOSIGNAL);
		if (w <= 0) {
			conn_close(c);
			return -1;
		}
		off += (size_t)w;
	}
	char *end = NULL;
	for (;;) {
		c->buf[c->have] = 0;
		end = strstr(c->buf, "\r\n\r\n");
		if (end)
			break;
		if (c->have + 1 >= sizeof c->buf) {
			conn_close(c);
			return -1;
		}
		ssize_t r = recv(c->fd, c->buf + c->have, sizeof c->buf - 1 - c->have, 0);
		if (r <= 0) {
			conn_close(c);
			return -1;
		}
		c->have += (size_t)r;
	}
	size_t head = (size_t)(end - c->buf) + 4;
	if (sscanf(c->buf, "HTTP/1.%*d %d", status) != 1) {
		conn_close(c);
		return -1;
	}
	long clen = -1;
	int must_close = 0;
	for (char *p = c->buf; p < end; p = strstr(p, "\r\n") + 2) {
		if (strncasecmp(p, "Content-Length:", 15) == 0)
			clen = strtol(p + 15, NULL, 10);
		if (strncasecmp(p, "Connection: close", 17) == 0)
			must_close = 1;
	}
	if (clen < 0 || head + (size_t)clen >= sizeof c->buf) {
		conn_close(c);
		return -1;
	}
	while (c->have < head + (size_t)clen) {
		ssize_t r = recv(c->fd, c->buf + c->have, sizeof c->buf - 1 - c->have, 0);
		if (r <= 0) {
			conn_close(c);
			return -1;
		}
		c->have += (size_t)r;
	}
	size_t k = (size_t)clen < cap - 1 ? (size_t)clen : cap - 1;
	memcpy(body, c->buf + head, k);
	body[k] = 0;
	*blen = k;
	size_t used = head + (size_t)clen;
	memmove(c->buf, c->buf + used, c->have - used);
	c->have -= used;
	if (must_close)
		conn_close(c);
	return 0;
}

static uint64_t fnv(int status, const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)status;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h ? h : 1;
}

static void *client(void *arg)
{
	struct conn *c = calloc(1, sizeof *c);
	char req[1024], body[8192];
	(void)arg;
	c->fd = -1;
	for (;;) {
		long i = __atomic_fetch_add(&next_item, 1, __ATOMIC_RELAXED);
		if (i >= n_items)
			break;
		const struct item *it = &items[i];
		char json[256];
		int jn = snprintf(json, sizeof json,
		                  "{\"customer\":\"c%" PRIu32 "\",\"order_id\":\"o%" PRIu32
		                  "\",\"time\":%" PRIu32 ",\"amount\":\"%" PRId64 "\"}",
		                  order_customer[it->order], it->order, 1700000000u + it->order,
		                  order_amount[it->order]);
		int n = snprintf(req, sizeof req,
		                 "POST /v1/orders HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		                 "Authorization: Bearer %s\r\nIdempotency-Key: %s\r\n"
		                 "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		                 opt.key, it->key, jn, json);
		int status = 0;
		size_t blen = 0;
		double t0;
		for (;;) {
			t0 = now_s();
			if (http_call(c, req, (size_t)n, &status, body, sizeof body, &blen) == 0 &&
			    status != 503)
				break;
			__atomic_fetch_add(&retries, 1, __ATOMIC_RELAXED);
			if (now_s() > deadline) {
				fprintf(stderr, "serve_load: no answer for %s before the time limit\n",
				        it->key);
				free(c);
				return NULL;
			}
			usleep(20000);
		}
		double dt = now_s() - t0;
		latency_us[i] = (uint32_t)(dt * 1e6 + 0.5);
		if (status != 200 && status != 201) {
			if (__atomic_fetch_add(&bad_status, 1, __ATOMIC_RELAXED) < 5)
				fprintf(stderr, "serve_load: %s: status %d: %s\n", it->key, status, body);
		}
		uint64_t h = fnv(status, body, blen), expect = 0;
		if (__atomic_compare_exchange_n(&slot_hash[it->slot], &expect, h, 0, __ATOMIC_ACQ_REL,
		                                __ATOMIC_ACQUIRE)) {
			if (status == 201)
				__atomic_fetch_add(&order_created[it->order], 1, __ATOMIC_RELAXED);
		} else if (expect != h) {
			if (__atomic_fetch_add(&mismatches, 1, __ATOMIC_RELAXED) < 5)
				fprintf(stderr, "serve_load: %s: a retry got another answer: %d %s\n",
				        it->key, status, body);
		}
		long a = __atomic_add_fetch(&answered, 1, __ATOMIC_RELAXED);
		if (opt.kill_after && a == opt.kill_after) {
			printf("READY-TO-KILL\n");
			fflush(stdout);
		}
	}
	conn_close(c);
	free(c);
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_item_pos(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double proc_cpu(long pid)
{
	char path[64], line[1024];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(line, 1, sizeof line - 1, f);
	fclose(f);
	line[n] = 0;
	char *p = strrchr(line, ')');
	if (!p)
		return -1;
	unsigned long ut = 0, st = 0;
	/* after ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec * 1e-6;
}

/* The value of a metric line "name value" in the metrics text. */
static double metric(const char *text, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = text; (p = strstr(p, name)) != NULL; p += n)
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return -1;
}

static void build_workload(void)
{
	long n_dup = (long)(opt.requests * opt.dup + 0.5);
	n_orders = opt.requests - n_dup;
	n_items = opt.requests;
	order_customer = calloc((size_t)n_orders, sizeof *order_customer);
	order_amount = calloc((size_t)n_orders, sizeof *order_amount);
	order_created = calloc((size_t)n_orders, sizeof *order_created);
	items = calloc((size_t)n_items, sizeof *items);
	slot_hash = calloc((size_t)(n_orders + n_dup), sizeof *slot_hash);
	latency_us = calloc((size_t)n_items, sizeof *latency_us);
	double *pos = calloc((size_t)n_items * 2, sizeof *pos); /* (position, index) pairs */
	struct item *tmp = calloc((size_t)n_items, sizeof *tmp);
	rng_state = opt.seed;
	for (long j = 0; j < n_orders; j++) {
		order_customer[j] = (uint32_t)(rng() % (uint64_t)opt.customers);
		order_amount[j] = 1 + (int64_t)(rng() % 500);
		tmp[j].order = (uint32_t)j;
		tmp[j].slot = (uint32_t)j;
		snprintf(tmp[j].key, sizeof tmp[j].key, "k%ld", j);
		pos[2 * j] = (double)j;
		pos[2 * j + 1] = (double)j;
	}
	for (long k = 0; k < n_dup; k++) {
		long j = (long)(rng() % (uint64_t)n_orders), i = n_orders + k;
		tmp[i].order = (uint32_t)j;
		if (k % 2 == 0) {
			tmp[i].slot = (uint32_t)j; /* same key, same body */
			snprintf(tmp[i].key, sizeof tmp[i].key, "k%ld", j);
		} else {
			tmp[i].slot = (uint32_t)i; /* same order, a new key */
			snprintf(tmp[i].key, sizeof tmp[i].key, "k%ld-retry%ld", j, k);
		}
		/* within 8 places of the original: in flight with it */
		pos[2 * i] = (double)j + (double)(rng() % 8000) / 1000.0 + 1e-6;
		pos[2 * i + 1] = (double)i;
	}
	qsort(pos, (size_t)n_items, 2 * sizeof *pos, cmp_item_pos);
	for (long i = 0; i < n_items; i++)
		items[i] = tmp[(long)pos[2 * i + 1]];
	free(pos);
	free(tmp);
}

static int check_balances(void)
{
	int64_t *expect = calloc((size_t)opt.customers, sizeof *expect);
	for (long j = 0; j < n_orders; j++)
		expect[order_customer[j]] += order_amount[j];
	struct conn *c = calloc(1, sizeof *c);
	c->fd = -1;
	char req[512], body[8192];
	long wrong = 0, checked = 0;
	int64_t total = 0;
	for (long k = 0; k < opt.customers; k++) {
		if (!expect[k])
			continue;
		int n = snprintf(req, sizeof req,
		                 "GET /v1/customers/c%ld HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		                 "Authorization: Bearer %s\r\n\r\n",
		                 k, opt.key);
		int status;
		size_t blen;
		if (http_call(c, req, (size_t)n, &status, body, sizeof body, &blen) != 0 ||
		    status != 200) {
			fprintf(stderr, "serve_load: GET c%ld failed (status %d)\n", k, status);
			wrong++;
			continue;
		}
		const char *p = strstr(body, "\"available\":");
		long long got = p ? strtoll(p + 12, NULL, 10) : -1;
		checked++;
		total += got;
		if (got != expect[k] && wrong++ < 5)
			fprintf(stderr, "serve_load: c%ld: available %lld, expected %" PRId64 "\n", k,
			        got, expect[k]);
	}
	/* the ledger's own counters */
	int n = snprintf(req, sizeof req,
	                 "GET /v1/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	                 "Authorization: Bearer %s\r\n\r\n",
	                 opt.key);
	int status;
	size_t blen;
	static char mbuf[1 << 16];
	if (http_call(c, req, (size_t)n, &status, mbuf, sizeof mbuf, &blen) == 0 && status == 200) {
		double orders = metric(mbuf, "rebuy_loyalty_orders");
		double commits = metric(mbuf, "rebuy_loyalty_commits_total");
		double groups = metric(mbuf, "rebuy_loyalty_commit_groups_total");
		printf("ledger: %.0f orders accrued (expected %ld), %.0f commits in %.0f groups "
		       "(%.1f a group, since the last start)\n",
		       orders, n_orders, commits, groups, groups > 0 ? commits / groups : 0);
		if ((long)orders != n_orders) {
			fprintf(stderr, "serve_load: the ledger holds %.0f orders, not %ld\n", orders,
			        n_orders);
			wrong++;
		}
	}
	conn_close(c);
	free(c);
	printf("balances: %ld customers checked, %ld wrong; %" PRId64 " points in all\n", checked,
	       wrong, total);
	free(expect);
	return wrong == 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: serve_load (--port P | --addr-file F) --key KEY [--requests N] "
	                "[--dup F] [--clients N] [--customers N] [--seed N] [--time-limit S] "
	                "[--server-pid PID] [--kill-after N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (!strcmp(a, "--port")) opt.port = (int)strtol(v, NULL, 10);
		else if (!strcmp(a, "--addr-file")) opt.addr_file = v;
		else if (!strcmp(a, "--key")) opt.key = v;
		else if (!strcmp(a, "--requests")) opt.requests = strtol(v, NULL, 10);
		else if (!strcmp(a, "--dup")) opt.dup = atof(v);
		else if (!strcmp(a, "--clients")) opt.clients = (int)strtol(v, NULL, 10);
		else if (!strcmp(a, "--customers")) opt.customers = strtol(v, NULL, 10);
		else if (!strcmp(a, "--seed")) opt.seed = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--time-limit")) opt.time_limit = atof(v);
		else if (!strcmp(a, "--server-pid")) opt.server_pid = strtol(v, NULL, 10);
		else if (!strcmp(a, "--kill-after")) opt.kill_after = strtol(v, NULL, 10);
		else usage();
		i++;
	}
	if (!opt.key || (!opt.port && !opt.addr_file) || opt.requests < 1 || opt.dup < 0 ||
	    opt.dup >= 1 || opt.clients < 1 || opt.clients > 1024 || opt.customers < 1)
		usage();
	build_workload();
	double cpu0 = self_cpu(), scpu0 = opt.server_pid ? proc_cpu(opt.server_pid) : -1;
	t_start = now_s();
	deadline = t_start + opt.time_limit;
	pthread_t *th = calloc((size_t)opt.clients, sizeof *th);
	for (int i = 0; i < opt.clients; i++)
		pthread_create(&th[i], NULL, client, NULL);
	for (int i = 0; i < opt.clients; i++)
		pthread_join(th[i], NULL);
	double wall = now_s() - t_start;
	double cpu = self_cpu() - cpu0;
	double scpu = opt.server_pid ? proc_cpu(opt.server_pid) - scpu0 : -1;
	int ok = answered == n_items;

	uint32_t *lat = malloc((size_t)n_items * sizeof *lat);
	memcpy(lat, latency_us, (size_t)n_items * sizeof *lat);
	qsort(lat, (size_t)n_items, sizeof *lat, cmp_u32);
	long dup_accruals = 0, missing = 0;
	for (long j = 0; j < n_orders; j++) {
		dup_accruals += order_created[j] > 1;
		missing += order_created[j] == 0;
	}
	printf("requests: %ld answered of %ld (%ld orders, %ld duplicates: half same key, half a "
	       "new key), %d clients, %.2f s\n",
	       answered, n_items, n_orders, n_items - n_orders, opt.clients, wall);
	printf("throughput: %.0f requests/s, %.0f accruals/s (each durable before its answer)\n",
	       (double)answered / wall, (double)n_orders / wall);
	printf("latency: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
	       lat[(size_t)(0.50 * (double)(n_items - 1))] / 1000.0,
	       lat[(size_t)(0.90 * (double)(n_items - 1))] / 1000.0,
	       lat[(size_t)(0.99 * (double)(n_items - 1))] / 1000.0, lat[n_items - 1] / 1000.0);
	if (scpu >= 0)
		printf("cpu: server %.2f s (%.0f%% of a core), clients %.2f s (%.0f%% of a core), "
		       "wall %.2f s\n",
		       scpu, 100 * scpu / wall, cpu, 100 * cpu / wall, wall);
	else
		printf("cpu: clients %.2f s (%.0f%% of a core), wall %.2f s\n", cpu, 100 * cpu / wall,
		       wall);
	printf("exactly once: %ld retries after no answer, %ld keys answered differently, "
	       "%ld orders accrued twice, %ld orders never accrued (201), %ld other statuses\n",
	       retries, mismatches, dup_accruals, missing, bad_status);
	ok = ok && mismatches == 0 && dup_accruals == 0 && missing == 0 && bad_status == 0;
	ok = check_balances() && ok;
	printf("%s\n", ok ? "PASS" : "FAIL");
	free(th);
	free(lat);
	free(latency_us);
	free(items);
	free(slot_hash);
	free(order_customer);
	free(order_amount);
	free(order_created);
	return ok ? 0 : 1;
}
