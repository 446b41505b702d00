/* Times frequent itemset mining (rebuy_baskets_read_fimi + rebuy_itemsets_mine)
 * on a FIMI file, as a user of `rebuy` meets it: every run is a fresh process
 * (so the page faults of a one-shot run are paid, as they are by the peers),
 * timed inside (read, mine) and from outside (spawn to exit, like the
 * reference's wall_s). Two modes: counts only (no callback), and every
 * itemset written as CSV (items space-separated, size, count, support) to a
 * buffered FILE. Prints one JSON line per mode with the medians. Built and
 * run by bench/run-basket.sh.
 *
 * Usage: basket_bench FILE.dat MINSUP [--repeat N] [--threads N] [--out FILE]
 *        basket_bench --once MODE FILE.dat MINSUP THREADS OUT   (one run; internal)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rebuy/basket.h"

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

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* ---- the CSV writer of the callback mode ---- */

struct csv {
	FILE *f;
	const struct rebuy_baskets *b;
	size_t *name_len;
	double n;
	char buf[4096];
};

static char *put_u64(char *p, uint64_t v)
{
	char tmp[24];
	int k = 0;
	do {
		tmp[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (k)
		*p++ = tmp[--k];
	return p;
}

static int write_itemset(void *ud, const uint32_t *items, size_t n, uint64_t count)
{
	struct csv *c = ud;
	char *p = c->buf, *end = c->buf + sizeof c->buf - 64;
	for (size_t k = 0; k < n; k++) {
		size_t len = c->name_len[items[k]];
		if (p + len + 1 > end) {
			fwrite(c->buf, 1, (size_t)(p - c->buf), c->f);
			p = c->buf;
		}
		if (k)
			*p++ = ' ';
		memcpy(p, c->b->item_names[items[k]], len);
		p += len;
	}
	*p++ = ',';
	p = put_u64(p, n);
	*p++ = ',';
	p = put_u64(p, count);
	/* support with 6 decimals, rounded */
	uint64_t micro = (uint64_t)((double)count / c->n * 1e6 + 0.5);
	*p++ = ',';
	p = put_u64(p, micro / 1000000);
	*p++ = '.';
	char frac[6];
	uint64_t f = micro % 1000000;
	for (int k = 5; k >= 0; k--, f /= 10)
		frac[k] = (char)('0' + f % 10);
	memcpy(p, frac, 6);
	p += 6;
	*p++ = '\n';
	fwrite(c->buf, 1, (size_t)(p - c->buf), c->f);
	return 0;
}

/* One run in this process: prints "read mine write itemsets peak". */
static int once(const char *mode, const char *path, unsigned long long minsup, unsigned threads,
                const char *out)
{
	struct rebuy_error err = {0};
	struct rebuy_baskets *b = NULL;
	double t0 = now();
	if (rebuy_baskets_read_fimi(path, NULL, 0, &b, &err) != REBUY_OK) {
		fprintf(stderr, "basket_bench: %s\n", err.msg);
		return 1;
	}
	double t1 = now();
	struct rebuy_mine_options o;
	rebuy_mine_options_init(&o);
	o.min_count = minsup;
	o.n_threads = threads;
	struct rebuy_mine_result r;
	struct csv c = {.b = b, .n = (double)b->n_baskets};
	FILE *f = NULL;
	rebuy_itemset_fn fn = NULL;
	if (strcmp(mode, "csv") == 0) {
		f = fopen(out, "w");
		c.name_len = malloc((b->n_items + 1) * sizeof *c.name_len);
		if (!f || !c.name_len) {
			perror(out);
			return 1;
		}
		setvbuf(f, NULL, _IOFBF, 1 << 16);
		for (size_t x = 0; x < b->n_items; x++)
			c.name_len[x] = strlen(b->item_names[x]);
		fputs("items,size,count,support\n", f);
		c.f = f;
		fn = write_itemset;
	}
	if (rebuy_itemsets_mine(b, &o, fn, &c, &r, &err) != REBUY_OK) {
		fprintf(stderr, "basket_bench: %s\n", err.msg);
		return 1;
	}
	if (f && fclose(f) != 0) {
		perror(out);
		return 1;
	}
	double t2 = now();
	printf("%.6f %.6f %llu %zu %zu\n", t1 - t0, t2 - t1, (unsigned long long)r.n_itemsets,
	       r.peak_bytes, b->n_baskets);
	free(c.name_len);
	rebuy_baskets_free(b);
	return 0;
}

struct run {
	double read, mine, total, wall;
	unsigned long long itemsets;
	size_t peak, n_baskets;
	long maxrss_kb;
};

static int spawn(const char *self, const char *mode, const char *path, const char *minsup,
                 const char *threads, const char *out, struct run *r)
{
	int fd[2];
	if (pipe(fd) != 0)
		return -1;
	double t0 = now();
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(fd[0]);
		dup2(fd[1], 1);
		execl(self, self, "--once", mode, path, minsup, threads, out, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	char buf[256];
	ssize_t n = read(fd[0], buf, sizeof buf - 1);
	close(fd[0]);
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    n <= 0)
		return -1;
	r->wall = now() - t0;
	buf[n] = '\0';
	if (sscanf(buf, "%lf %lf %llu %zu %zu", &r->read, &r->mine, &r->itemsets, &r->peak,
	           &r->n_baskets) != 5)
		return -1;
	r->total = r->read + r->mine;
	r->maxrss_kb = ru.ru_maxrss;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--once") == 0) {
		if (argc != 7)
			return 2; /* never spawn from a child */
		return once(argv[2], argv[3], strtoull(argv[4], NULL, 10),
		            (unsigned)strtoul(argv[5], NULL, 10), argv[6]);
	}
	const char *path = NULL, *minsup = NULL, *threads = "0", *out = "/dev/null";
	int repeat = 5;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat = (int)strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			threads = argv[++i];
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out = argv[++i];
		else if (!path)
			path = argv[i];
		else
			minsup = argv[i];
	}
	if (!path || !minsup || repeat < 1 || repeat > 100) {
		fprintf(stderr, "usage: basket_bench FILE.dat MINSUP [--repeat N] [--threads N] "
		                "[--out FILE]\n");
		return 2;
	}
	static const char *modes[] = {"count", "csv"};
	for (int md = 0; md < 2; md++) {
		double rd[100], mn[100], tot[100], wall[100];
		struct run r = {0};
		for (int k = 0; k < repeat; k++) {
			if (spawn(argv[0], modes[md], path, minsup, threads, out, &r) != 0) {
				fprintf(stderr, "basket_bench: run %d of %s failed\n", k,
				        modes[md]);
				return 1;
			}
			rd[k] = r.read;
			mn[k] = r.mine;
			tot[k] = r.total;
			wall[k] = r.wall;
		}
		double m_rd = median(rd, repeat), m_mn = median(mn, repeat);
		double m_tot = median(tot, repeat), m_wall = median(wall, repeat);
		printf("{\"data\": \"%s\", \"minsup\": %s, \"mode\": \"%s\", \"threads\": %s, "
		       "\"runs\": %d, \"baskets\": %zu, \"itemsets\": %llu, \"read_s\": %.3f, "
		       "\"mine_s\": %.3f, \"read_mine_s\": %.3f, \"process_s\": %.3f, "
		       "\"min_read_mine_s\": %.3f, \"peak_bytes\": %zu, \"maxrss_kb\": %ld}\n",
		       path, minsup, modes[md], threads, repeat, r.n_baskets, r.itemsets, m_rd,
		       m_mn, m_tot, m_wall, tot[0], r.peak, r.maxrss_kb);
		fflush(stdout);
	}
	return 0;
}
