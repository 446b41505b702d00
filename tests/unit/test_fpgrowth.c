/* Unit tests for frequent itemset mining (include/rebuy/basket.h,
 * src/basket/fpgrowth.c) and for the baskets it reads (the FIMI reader and
 * the builder of src/basket/baskets_int.h):
 *  - the example of Han, Pei & Yin (2000, Table 1) worked out by hand;
 *  - 60 random databases of up to 12 items and 30 baskets against a brute
 *    force over all subsets written here (support by bit masks; closed: no
 *    one-item extension keeps the support; maximal: no one-item extension
 *    is frequent), for every target, every minimum count and several
 *    max_len, comparing the counts by size and the itemsets listed;
 *  - the reference counts of ../shared/reference/basket_itemset_counts.tsv
 *    (Borgelt's fpgrowth, eclat and apriori) on the four FIMI data sets, in
 *    counting mode (test_fpgrowth_slow.c lists them through the callback);
 *  - the callback's order does not depend on n_threads, nor the counts;
 *  - every allocation failing in turn (miner, reader, builder);
 *  - the FIMI reader: gzip, CRLF, long tokens, repeats, blank lines, errors.
 * Counts are compared exactly.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "basket/baskets_int.h"
#include "core/mem.h"
#include "rebuy/alloc.h"
#include "rebuy/basket.h"

static struct rebuy_mine_options opts(enum rebuy_itemset_target t, uint64_t min_count,
                                      size_t max_len, unsigned threads)
{
	struct rebuy_mine_options o;
	rebuy_mine_options_init(&o);
	o.target = t;
	o.min_count = min_count;
	o.max_len = max_len;
	o.n_threads = threads;
	return o;
}

/* ---- a callback that keeps every itemset, as a bit mask of ids < 64 ---- */

struct found {
	uint64_t mask, count;
};

struct listing {
	struct found *v;
	size_t n, cap;
	int bad_order; /* items not strictly ascending */
	uint64_t hash; /* FNV-1a of the whole stream, order included */
	size_t stop_after;
};

static void hash_u64(uint64_t *h, uint64_t x)
{
	for (int k = 0; k < 8; k++) {
		*h ^= (x >> (8 * k)) & 0xff;
		*h *= 0x100000001b3ull;
	}
}

static int collect(void *ud, const uint32_t *items, size_t n, uint64_t count)
{
	struct listing *l = ud;
	uint64_t mask = 0;
	for (size_t k = 0; k < n; k++) {
		if (k && items[k] <= items[k - 1])
			l->bad_order = 1;
		if (items[k] < 64)
			mask |= (uint64_t)1 << items[k];
		hash_u64(&l->hash, items[k]);
	}
	hash_u64(&l->hash, count);
	hash_u64(&l->hash, n);
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->v = realloc(l->v, l->cap * sizeof *l->v);
		assert_non_null(l->v);
	}
	l->v[l->n++] = (struct found){mask, count};
	return l->stop_after && l->n >= l->stop_after;
}

static void listing_init(struct listing *l)
{
	memset(l, 0, sizeof *l);
	l->hash = 0xcbf29ce484222325ull;
}

/* ---- the reference counts ---- */

struct ref_row {
	char dataset[32], program[16];
	char target;
	uint64_t ntrans, minsup, count;
	uint64_t per_size[REBUY_ITEMSET_MAX_LEN + 1];
};

static size_t read_reference(struct ref_row *rows, size_t max)
{
	const char *path = tu_shared_path("reference/basket_itemset_counts.tsv");
	if (!path)
		return 0;
	char *text = tu_read_file(path, NULL);
	assert_non_null(text);
	size_t n = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "dataset\t", 8) == 0)
			continue;
		assert_true(n < max);
		struct ref_row *r = &rows[n];
		memset(r, 0, sizeof *r);
		char target[8], pct[32], wall[32], rss[32], per[1024];
		unsigned long long ntrans, minsup, count;
		int got = sscanf(line,
		                 "%31[^\t]\t%llu\t%15[^\t]\t%7[^\t]\t%llu\t%31[^\t]\t%llu\t%31[^\t]"
		                 "\t%31[^\t]\t%1023s",
		                 r->dataset, &ntrans, r->program, target, &minsup, pct, &count,
		                 wall, rss, per);
		assert_int_equal(got, 10);
		r->ntrans = ntrans;
		r->minsup = minsup;
		r->count = count;
		r->target = target[0];
		for (char *p = per; *p;) {
			char *end;
			unsigned long k = strtoul(p, &end, 10);
			assert_int_equal(*end, '=');
			unsigned long long v = strtoull(end + 1, &end, 10);
			assert_true(k <= REBUY_ITEMSET_MAX_LEN);
			r->per_size[k] = v;
			p = *end == ',' ? end + 1 : end;
		}
		n++;
	}
	free(text);
	return n;
}

static struct rebuy_baskets *load_dataset(const char *name)
{
	char rel[128];
	snprintf(rel, sizeof rel, "data/basket/%s.dat", name);
	const char *path = tu_shared_path(rel);
	if (!path)
		return NULL;
	struct rebuy_baskets *b = NULL;
	struct rebuy_error err = {0};
	if (rebuy_baskets_read_fimi(path, NULL, 0, &b, &err) != REBUY_OK)
		fail_msg("%s", err.msg);
	return b;
}

/* The expected counts of a row. Borgelt's programs (all three agree) leave
 * out the sets made only of items that are in every basket (the perfect
 * extensions of the empty set: item 85 of mushroom), though such a set is
 * frequent, and closed when it is all of them; rebuy reports them (the
 * brute-force test covers such data). With e0 such items the row gains
 * C(e0, j) sets of j items (all), the one set of e0 items (closed), or it
 * when nothing else is frequent (maximal). e0 is counted here from the
 * baskets, independently of the miner. */
static void expected_counts(const struct ref_row *row, const struct rebuy_baskets *b,
                            uint64_t *want)
{
	memcpy(want, row->per_size, sizeof row->per_size);
	uint64_t *supp = calloc(b->n_items + 1, sizeof *supp);
	for (uint64_t k = 0; k < b->start[b->n_baskets]; k++)
		supp[b->items[k]]++;
	size_t e0 = 0, other = 0;
	for (size_t x = 0; x < b->n_items; x++) {
		e0 += supp[x] == b->n_baskets;
		other += supp[x] >= row->minsup && supp[x] < b->n_baskets;
	}
	free(supp);
	if (e0 == 0 || row->minsup > b->n_baskets)
		return;
	if (row->target == 's') {
		uint64_t c = 1;
		for (size_t j = 1; j <= e0; j++) {
			c = c * (e0 - j + 1) / j;
			want[j] += c;
		}
	} else if (row->target == 'c' || other == 0) {
		want[e0]++;
	}
}

static int count_by_size(void *ud, const uint32_t *items, size_t n, uint64_t count)
{
	(void)items;
	(void)count;
	((uint64_t *)ud)[n]++;
	return 0;
}

/* Mines every reference row (fpgrowth, eclat and apriori rows alike, as
 * they must agree); with listing the sets also go through the callback,
 * which counts them by size. */
static void check_reference_rows(int listing, unsigned threads)
{
	static struct ref_row rows[256];
	size_t n = read_reference(rows, 256);
	if (n == 0) {
		skip();
		return;
	}
	assert_true(n >= 60);
	struct rebuy_baskets *b = NULL;
	char loaded[32] = "";
	for (size_t k = 0; k < n; k++) {
		const struct ref_row *row = &rows[k];
		if (strcmp(row->dataset, loaded) != 0) {
			rebuy_baskets_free(b);
			b = load_dataset(row->dataset);
			if (!b) {
				skip();
				return;
			}
			memcpy(loaded, row->dataset, sizeof loaded);
		}
		assert_int_equal(b->n_baskets, row->ntrans);
		enum rebuy_itemset_target t = row->target == 's'   ? REBUY_ITEMSETS_ALL
		                              : row->target == 'c' ? REBUY_ITEMSETS_CLOSED
		                                                   : REBUY_ITEMSETS_MAXIMAL;
		struct rebuy_mine_options o = opts(t, row->minsup, 0, threads);
		struct rebuy_mine_result r;
		struct rebuy_error err = {0};
		uint64_t want[REBUY_ITEMSET_MAX_LEN + 1], total = 0;
		expected_counts(row, b, want);
		uint64_t listed[REBUY_ITEMSET_MAX_LEN + 1];
		if (listing) {
			memset(listed, 0, sizeof listed);
			assert_int_equal(
			        rebuy_itemsets_mine(b, &o, count_by_size, listed, &r, &err),
			        REBUY_OK);
		} else {
			assert_int_equal(rebuy_itemsets_mine(b, &o, NULL, NULL, &r, &err),
			                 REBUY_OK);
		}
		for (size_t s = 0; s <= REBUY_ITEMSET_MAX_LEN; s++) {
			if (r.by_size[s] != want[s] || (listing && listed[s] != want[s]))
				fail_msg("%s %s %c %llu: %zu-sets %llu (listed %llu), want %llu",
				         row->dataset, row->program, row->target,
				         (unsigned long long)row->minsup, s,
				         (unsigned long long)r.by_size[s],
				         (unsigned long long)(listing ? listed[s] : 0),
				         (unsigned long long)want[s]);
			total += want[s];
		}
		assert_int_equal(r.n_itemsets, total);
	}
	rebuy_baskets_free(b);
}

#ifndef REBUY_FPGROWTH_SLOW
/* What follows is test_fpgrowth.c's own; test_fpgrowth_slow.c includes
 * this file for the helpers above. */

static struct rebuy_baskets *fimi(const char *text)
{
	struct rebuy_baskets *b = NULL;
	struct rebuy_error err = {0};
	if (rebuy_baskets_read_fimi("test.dat", text, strlen(text), &b, &err) != REBUY_OK)
		fail_msg("reading baskets: %s", err.msg);
	return b;
}

static unsigned char *gzip_bytes(const void *data, size_t n, size_t *out_len)
{
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&zs, (uLong)n) + 64;
	unsigned char *out = malloc(cap);
	zs.next_in = (unsigned char *)(uintptr_t)data;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*out_len = cap - zs.avail_out;
	deflateEnd(&zs);
	return out;
}

static uint32_t item_id(const struct rebuy_baskets *b, const char *name)
{
	for (size_t x = 0; x < b->n_items; x++)
		if (strcmp(b->item_names[x], name) == 0)
			return (uint32_t)x;
	fail_msg("no item %s", name);
	return 0;
}

static int cmp_found(const void *a, const void *b)
{
	const struct found *x = a, *y = b;
	if (x->mask != y->mask)
		return x->mask < y->mask ? -1 : 1;
	return (x->count > y->count) - (x->count < y->count);
}

static uint64_t mask_of(const struct rebuy_baskets *b, const char *names)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", names);
	uint64_t m = 0;
	char *save = NULL;
	for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
		m |= (uint64_t)1 << item_id(b, t);
	return m;
}

/* ---- the example of Han, Pei & Yin (2000), minimum support 3 ---- */

static const char *han_db = "f a c d g i m p\n"
                            "a b c f l m o\n"
                            "b f h j o\n"
                            "b c k s p\n"
                            "a f c e l p m n\n";

static void expect_sets(const struct rebuy_baskets *b, enum rebuy_itemset_target t,
                        const char *const *sets, const uint64_t *counts, size_t n)
{
	struct rebuy_mine_options o = opts(t, 3, 0, 1);
	struct rebuy_mine_result r;
	struct rebuy_error err = {0};
	struct listing l;
	listing_init(&l);
	assert_int_equal(rebuy_itemsets_mine(b, &o, collect, &l, &r, &err), REBUY_OK);
	assert_int_equal(l.n, n);
	assert_int_equal(r.n_itemsets, n);
	assert_false(l.bad_order);
	struct found *want = calloc(n, sizeof *want);
	for (size_t k = 0; k < n; k++)
		want[k] = (struct found){mask_of(b, sets[k]), counts[k]};
	qsort(want, n, sizeof *want, cmp_found);
	if (l.n)
		qsort(l.v, l.n, sizeof *l.v, cmp_found);
	for (size_t k = 0; k < n; k++) {
		assert_int_equal(l.v[k].mask, want[k].mask);
		assert_int_equal(l.v[k].count, want[k].count);
	}
	free(want);
	free(l.v);
}

/* Frequent items f:4 c:4 a:3 b:3 m:3 p:3; the paper's conditional pattern
 * bases give p: cp:3; m: fm cm am fcm fam cam fcam (all 3); b: none;
 * a: fa ca fca (3); c: fc:3. */
static void test_fpgrowth__han_example_all(void **state)
{
	(void)state;
	struct rebuy_baskets *b = fimi(han_db);
	static const char *const sets[] = {"f",     "c",       "a",   "b",   "m",     "p",
	                                   "c p",   "f m",     "c m", "a m", "f c m", "f a m",
	                                   "c a m", "f c a m", "f a", "c a", "f c a", "f c"};
	static const uint64_t counts[] = {4, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3};
	expect_sets(b, REBUY_ITEMSETS_ALL, sets, counts, 18);
	rebuy_baskets_free(b);
}

/* Closed: f (T100 T200 T300 T500 share only f), c, b, cp (T100 T400 T500
 * share c p), fcam (every basket with f and c also has a and m). Maximal:
 * b (bc, bf have 2), cp (fcp has 2), fcam. */
static void test_fpgrowth__han_example_closed_and_maximal(void **state)
{
	(void)state;
	struct rebuy_baskets *b = fimi(han_db);
	static const char *const closed[] = {"f", "c", "b", "c p", "f c a m"};
	static const uint64_t closed_n[] = {4, 4, 3, 3, 3};
	expect_sets(b, REBUY_ITEMSETS_CLOSED, closed, closed_n, 5);
	static const char *const maximal[] = {"b", "c p", "f c a m"};
	static const uint64_t maximal_n[] = {3, 3, 3};
	expect_sets(b, REBUY_ITEMSETS_MAXIMAL, maximal, maximal_n, 3);
	rebuy_baskets_free(b);
}

/* ---- brute force over all subsets ---- */

struct brute {
	size_t n_items;
	uint32_t *supp; /* per subset mask */
};

static void brute_init(struct brute *bf, const struct rebuy_baskets *b)
{
	assert_true(b->n_items <= 16);
	bf->n_items = b->n_items;
	size_t n_sets = (size_t)1 << b->n_items;
	bf->supp = calloc(n_sets, sizeof *bf->supp);
	for (size_t t = 0; t < b->n_baskets; t++) {
		uint32_t bm = 0;
		for (uint64_t k = b->start[t]; k < b->start[t + 1]; k++)
			bm |= 1u << b->items[k];
		/* every subset of bm */
		for (uint32_t x = bm;; x = (x - 1) & bm) {
			bf->supp[x]++;
			if (!x)
				break;
		}
	}
}

/* The sets the miner should give, sorted as cmp_found sorts. */
static size_t brute_sets(const struct brute *bf, enum rebuy_itemset_target t, uint64_t min_count,
                         size_t max_len, struct found *out, uint64_t *by_size)
{
	size_t n = 0, n_sets = (size_t)1 << bf->n_items;
	memset(by_size, 0, (REBUY_ITEMSET_MAX_LEN + 1) * sizeof *by_size);
	for (size_t x = 1; x < n_sets; x++) {
		uint32_t s = bf->supp[x];
		if (s < min_count)
			continue;
		size_t size = (size_t)__builtin_popcount((unsigned)x);
		if (max_len && size > max_len)
			continue;
		int keep = 1;
		for (size_t y = 0; y < bf->n_items && keep; y++) {
			if (x & ((size_t)1 << y))
				continue;
			uint32_t sy = bf->supp[x | ((size_t)1 << y)];
			if (t == REBUY_ITEMSETS_CLOSED && sy == s)
				keep = 0;
			if (t == REBUY_ITEMSETS_MAXIMAL && sy >= min_count)
				keep = 0;
		}
		if (!keep)
			continue;
		out[n++] = (struct found){x, s};
		by_size[size]++;
	}
	qsort(out, n, sizeof *out, cmp_found);
	return n;
}

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)((rng_state >> 33) % n);
}

/* A random FIMI text: densities vary per item; some items are in every
 * basket, some baskets are repeated, some are empty. */
static char *random_db(size_t *n_baskets)
{
	size_t n_items = 1 + rnd(12), nb = 1 + rnd(30);
	double dens[12];
	for (size_t y = 0; y < n_items; y++)
		dens[y] = rnd(5) == 0 ? 1.0 : (double)rnd(100) / 100.0;
	char *text = malloc(nb * 64 + 1);
	size_t at = 0;
	char prev[64] = "";
	for (size_t t = 0; t < nb; t++) {
		char line[64];
		size_t len = 0;
		if (t > 0 && rnd(6) == 0) {
			len = (size_t)snprintf(line, sizeof line, "%s", prev);
		} else {
			for (size_t y = 0; y < n_items; y++)
				if ((double)rnd(1000) / 1000.0 < dens[y])
					len += (size_t)snprintf(line + len, sizeof line - len,
					                        "%zu ", y);
			line[len] = '\0';
		}
		memcpy(text + at, line, len);
		at += len;
		text[at++] = '\n';
		memcpy(prev, line, len + 1);
	}
	text[at] = '\0';
	*n_baskets = nb;
	return text;
}

static void check_against_brute(const struct rebuy_baskets *b, const struct brute *bf,
                                enum rebuy_itemset_target t, uint64_t min_count, size_t max_len)
{
	static struct found want[1 << 12];
	uint64_t by_size[REBUY_ITEMSET_MAX_LEN + 1];
	size_t n_want = brute_sets(bf, t, min_count, max_len, want, by_size);
	struct rebuy_mine_result r;
	struct rebuy_error err = {0};
	/* counting */
	for (unsigned threads = 1; threads <= 2; threads++) {
		struct rebuy_mine_options o = opts(t, min_count, max_len, threads);
		assert_int_equal(rebuy_itemsets_mine(b, &o, NULL, NULL, &r, &err), REBUY_OK);
		if (r.n_itemsets != n_want)
			fail_msg("target %d min %llu max_len %zu: %llu sets, want %zu", (int)t,
			         (unsigned long long)min_count, max_len,
			         (unsigned long long)r.n_itemsets, n_want);
		for (size_t k = 0; k <= REBUY_ITEMSET_MAX_LEN; k++)
			assert_int_equal(r.by_size[k], by_size[k]);
		size_t longest = 0;
		for (size_t k = 0; k <= REBUY_ITEMSET_MAX_LEN; k++)
			if (by_size[k])
				longest = k;
		assert_int_equal(r.longest, longest);
		assert_false(r.stopped);
	}
	/* listing */
	struct rebuy_mine_options o = opts(t, min_count, max_len, 1);
	struct listing l;
	listing_init(&l);
	assert_int_equal(rebuy_itemsets_mine(b, &o, collect, &l, &r, &err), REBUY_OK);
	assert_false(l.bad_order);
	assert_int_equal(l.n, n_want);
	assert_int_equal(r.n_itemsets, n_want);
	if (l.n)
		qsort(l.v, l.n, sizeof *l.v, cmp_found);
	for (size_t k = 0; k < n_want; k++) {
		if (l.v[k].mask != want[k].mask || l.v[k].count != want[k].count)
			fail_msg("target %d min %llu max_len %zu: set %zu is %llx:%llu, want "
			         "%llx:%llu",
			         (int)t, (unsigned long long)min_count, max_len, k,
			         (unsigned long long)l.v[k].mask, (unsigned long long)l.v[k].count,
			         (unsigned long long)want[k].mask,
			         (unsigned long long)want[k].count);
	}
	free(l.v);
}

static void test_fpgrowth__random_databases_match_brute_force(void **state)
{
	(void)state;
	rng_state = 20240611;
	for (int db = 0; db < 60; db++) {
		size_t nb;
		char *text = random_db(&nb);
		struct rebuy_baskets *b = fimi(text);
		assert_int_equal(b->n_baskets, nb);
		struct brute bf;
		brute_init(&bf, b);
		static const size_t lens[] = {0, 1, 2, 4};
		for (int t = 0; t < 3; t++)
			for (uint64_t mc = 1; mc <= nb + 1; mc++)
				for (int k = 0; k < 4; k++)
					check_against_brute(b, &bf, (enum rebuy_itemset_target)t,
					                    mc, lens[k]);
		free(bf.supp);
		rebuy_baskets_free(b);
		free(text);
	}
}

/* ---- options, limits, stopping ---- */

static void test_fpgrowth__bad_options_are_refused(void **state)
{
	(void)state;
	struct rebuy_baskets *b = fimi("1 2\n2 3\n");
	struct rebuy_mine_result r;
	struct rebuy_error err = {0};
	struct rebuy_mine_options o = opts(REBUY_ITEMSETS_ALL, 0, 0, 1);
	assert_int_equal(rebuy_itemsets_mine(b, &o, NULL, NULL, &r, &err), REBUY_EARG);
	assert_non_null(strstr(err.msg, "minimum support"));
	rebuy_error_clear(&err);
	o = opts(REBUY_ITEMSETS_ALL, 1, REBUY_ITEMSET_MAX_LEN + 1, 1);
	assert_int_equal(rebuy_itemsets_mine(b, &o, NULL, NULL, &r, &err), REBUY_EARG);
	rebuy_error_clear(&err);
	o = opts((enum rebuy_itemset_target)7, 1, 0, 1);
	assert_int_equal(rebuy_itemsets_mine(b, &o, NULL, NULL, &r, &err), REBUY_EARG);
	/* more than there are baskets: nothing, and no error */
	rebuy_error_clear(&err);
	o = opts(REBUY_ITEMSETS_CLOSED, 3, 0, 1);
	assert_int_equal(rebuy_itemsets_mine(b, &o, NULL, NULL, &r, &err), REBUY_OK);
	assert_int_equal(r.n_itemsets, 0);
	rebuy_baskets_free(b);
}

/* 70 items in every basket: 2^70 - 1 sets, more than 64 items long. */
static void test_fpgrowth__sets_longer_than_64_items_need_max_len(void **state)
{
	(void)state;
	char text[1024];
	size_t at = 0;
	for (int line = 0; line < 2; line++) {
		for (int y = 0; y < 70; y++)
			at += (size_t)snprintf(text + at, sizeof text - at, "%d ", y);
		text[at++] = '\n';
	}
	at += (size_t)snprintf(text + at, sizeof text - at, "1 2 3 100\n");
	struct rebuy_baskets *b = fimi(text);
	struct rebuy_mine_result r;
	struct rebuy_error err = {0};
	struct rebuy_mine_options o = opts(REBUY_ITEMSETS_ALL, 2, 0, 1);
	assert_int_equal(rebuy_itemsets_mine(b, &o, NULL, NULL, &r, &err), REBUY_ELIMIT);
	assert_non_null(strstr(err.msg, "more than 64 items"));
	/* with max_len 3: C(70,1) + C(70,2) + C(70,3) = 70 + 2415 + 54740 */
	o = opts(REBUY_ITEMSETS_ALL, 2, 3, 1);
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_itemsets_mine(b, &o, NULL, NULL, &r, &err), REBUY_OK);
	assert_int_equal(r.by_size[1], 70);
	assert_int_equal(r.by_size[2], 2415);
	assert_int_equal(r.by_size[3], 54740);
	assert_int_equal(r.n_itemsets, 57225);
	/* listed too */
	struct listing l;
	listing_init(&l);
	assert_int_equal(rebuy_itemsets_mine(b, &o, collect, &l, &r, &err), REBUY_OK);
	assert_int_equal(l.n, 57225);
	free(l.v);
	/* closed: {0..69} (2 baskets) and {1,2,3} (3 baskets), the first one too long */
	o = opts(REBUY_ITEMSETS_CLOSED, 2, 0, 1);
	assert_int_equal(rebuy_itemsets_mine(b, &o, NULL, NULL, &r, &err), REBUY_ELIMIT);
	o = opts(REBUY_ITEMSETS_CLOSED, 2, 64, 1);
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_itemsets_mine(b, &o, NULL, NULL, &r, &err), REBUY_OK);
	assert_int_equal(r.n_itemsets, 1);
	assert_int_equal(r.by_size[3], 1);
	/* maximal: only {0..69}, left out by max_len */
	o = opts(REBUY_ITEMSETS_MAXIMAL, 2, 10, 1);
	assert_int_equal(rebuy_itemsets_mine(b, &o, NULL, NULL, &r, &err), REBUY_OK);
	assert_int_equal(r.n_itemsets, 0);
	rebuy_baskets_free(b);
}

static void test_fpgrowth__a_callback_can_stop_the_mining(void **state)
{
	(void)state;
	struct rebuy_baskets *b = fimi(han_db);
	struct rebuy_mine_options o = opts(REBUY_ITEMSETS_ALL, 1, 0, 1);
	struct rebuy_mine_result r;
	struct rebuy_error err = {0};
	struct listing l;
	listing_init(&l);
	l.stop_after = 5;
	assert_int_equal(rebuy_itemsets_mine(b, &o, collect, &l, &r, &err), REBUY_OK);
	assert_true(r.stopped);
	assert_int_equal(l.n, 5);
	assert_int_equal(r.n_itemsets, 5);
	free(l.v);
	rebuy_baskets_free(b);
}

static void test_fpgrowth__reference_counts_of_borgelts_programs(void **state)
{
	(void)state;
	check_reference_rows(0, 1);
}

/* ---- threads ---- */

static void test_fpgrowth__results_do_not_depend_on_threads(void **state)
{
	(void)state;
	struct rebuy_baskets *b = load_dataset("retail");
	if (!b) {
		skip();
		return;
	}
	for (int t = 0; t < 3; t++) {
		struct rebuy_mine_result r1, r2, r3;
		struct rebuy_error err = {0};
		struct rebuy_mine_options o = opts((enum rebuy_itemset_target)t, 44, 0, 1);
		assert_int_equal(rebuy_itemsets_mine(b, &o, NULL, NULL, &r1, &err), REBUY_OK);
		o.n_threads = 2;
		assert_int_equal(rebuy_itemsets_mine(b, &o, NULL, NULL, &r2, &err), REBUY_OK);
		o.n_threads = 3;
		assert_int_equal(rebuy_itemsets_mine(b, &o, NULL, NULL, &r3, &err), REBUY_OK);
		assert_memory_equal(r1.by_size, r2.by_size, sizeof r1.by_size);
		assert_memory_equal(r1.by_size, r3.by_size, sizeof r1.by_size);
		/* the listing, order included */
		struct listing l1, l2;
		listing_init(&l1);
		listing_init(&l2);
		o.n_threads = 1;
		assert_int_equal(rebuy_itemsets_mine(b, &o, collect, &l1, &r1, &err), REBUY_OK);
		o.n_threads = 2;
		assert_int_equal(rebuy_itemsets_mine(b, &o, collect, &l2, &r2, &err), REBUY_OK);
		assert_int_equal(l1.n, l2.n);
		assert_int_equal(l1.n, r1.n_itemsets);
		assert_true(l1.hash == l2.hash);
		assert_memory_equal(l1.v, l2.v, l1.n * sizeof *l1.v);
		free(l1.v);
		free(l2.v);
	}
	rebuy_baskets_free(b);
}

/* ---- allocation failures ---- */

static void test_fpgrowth__every_allocation_failure_is_clean(void **state)
{
	(void)state;
	rng_state = 7;
	char text[8192];
	size_t at = 0;
	for (int t = 0; t < 150; t++) {
		for (int y = 0; y < 20; y++)
			if (rnd(100) < (uint32_t)(10 + 3 * y))
				at += (size_t)snprintf(text + at, sizeof text - at, "%d ", y);
		text[at++] = '\n';
	}
	text[at] = '\0';
	struct rebuy_baskets *b = fimi(text);
	size_t base = rebuy_alloc_in_use();
	for (int t = 0; t < 3; t++) {
		for (int with_fn = 0; with_fn < 2; with_fn++) {
			struct rebuy_mine_options o = opts((enum rebuy_itemset_target)t, 6, 0, 1);
			struct rebuy_mine_result want;
			struct rebuy_error err = {0};
			assert_int_equal(rebuy_itemsets_mine(b, &o, NULL, NULL, &want, &err),
			                 REBUY_OK);
			long fail;
			for (fail = 0; fail < 100000; fail++) {
				struct rebuy_mine_result r;
				struct listing l;
				listing_init(&l);
				rebuy_error_clear(&err);
				tu_fail_after(fail);
				enum rebuy_status st = rebuy_itemsets_mine(
				        b, &o, with_fn ? collect : NULL, &l, &r, &err);
				int triggered = tu_fail_triggered();
				tu_fail_after(-1);
				free(l.v);
				assert_int_equal(rebuy_alloc_in_use(), base);
				if (!triggered) {
					assert_int_equal(st, REBUY_OK);
					assert_int_equal(r.n_itemsets, want.n_itemsets);
					break;
				}
				assert_int_equal(st, REBUY_ENOMEM);
				assert_int_equal(err.code, REBUY_ENOMEM);
			}
			assert_true(fail > 10);
		}
	}
	/* with two threads the order of allocations varies: fail a few */
	for (long fail = 0; fail < 60; fail++) {
		struct rebuy_mine_options o = opts(REBUY_ITEMSETS_ALL, 2, 0, 2);
		struct rebuy_mine_result r;
		struct rebuy_error err = {0};
		tu_fail_after(fail);
		enum rebuy_status st = rebuy_itemsets_mine(b, &o, NULL, NULL, &r, &err);
		int triggered = tu_fail_triggered();
		tu_fail_after(-1);
		assert_int_equal(rebuy_alloc_in_use(), base);
		assert_int_equal(st, triggered ? REBUY_ENOMEM : REBUY_OK);
	}
	uint64_t n_pairs = b->start[b->n_baskets];
	rebuy_baskets_free(b);
	/* the reader, on plain and gzip bytes */
	size_t gz_len;
	unsigned char *gz = gzip_bytes(text, strlen(text), &gz_len);
	for (int g = 0; g < 2; g++) {
		base = rebuy_alloc_in_use();
		long fail;
		for (fail = 0; fail < 100000; fail++) {
			struct rebuy_baskets *rb = NULL;
			struct rebuy_error err = {0};
			tu_fail_after(fail);
			enum rebuy_status st =
			        g ? rebuy_baskets_read_fimi("t.dat.gz", gz, gz_len, &rb, &err)
			          : rebuy_baskets_read_fimi("t.dat", text, strlen(text), &rb, &err);
			int triggered = tu_fail_triggered();
			tu_fail_after(-1);
			if (st == REBUY_OK) {
				/* a failed shrink of the items array is no error */
				assert_int_equal(rb->n_baskets, 150);
				assert_int_equal(rb->start[150], n_pairs);
				rebuy_baskets_free(rb);
				assert_int_equal(rebuy_alloc_in_use(), base);
				if (!triggered)
					break;
				continue;
			}
			assert_int_equal(st, REBUY_ENOMEM);
			assert_null(rb);
			assert_int_equal(rebuy_alloc_in_use(), base);
		}
		assert_true(fail > 3);
	}
	free(gz);
}

/* ---- the FIMI reader ---- */

static void expect_basket(const struct rebuy_baskets *b, size_t k, const char *names)
{
	char buf[512] = "";
	size_t at = 0;
	for (uint64_t j = b->start[k]; j < b->start[k + 1]; j++) {
		if (j > b->start[k])
			assert_true(b->items[j] > b->items[j - 1]);
		at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%s", at ? " " : "",
		                       b->item_names[b->items[j]]);
	}
	assert_string_equal(buf, names);
}

/* Ids follow the byte order of the names ("10" < "2" < "a"); a basket's
 * ids ascend and repeats count once; blank lines are empty baskets; CR and
 * tabs are blanks; a last line without a newline counts. */
static void test_fimi__ids_follow_name_order_and_lines_are_baskets(void **state)
{
	(void)state;
	struct rebuy_baskets *b = fimi("2 10 a\r\n\r\n a\t2  2 a\n\n   \n10");
	assert_int_equal(b->n_items, 3);
	assert_string_equal(b->item_names[0], "10");
	assert_string_equal(b->item_names[1], "2");
	assert_string_equal(b->item_names[2], "a");
	assert_int_equal(b->n_baskets, 6);
	assert_int_equal(b->n_lines, 6);
	expect_basket(b, 0, "10 2 a");
	expect_basket(b, 1, "");
	expect_basket(b, 2, "2 a");
	expect_basket(b, 3, "");
	expect_basket(b, 4, "");
	expect_basket(b, 5, "10");
	assert_null(b->item_labels);
	assert_null(b->customer);
	assert_int_equal(b->n_customers, 0);
	rebuy_baskets_free(b);
	/* nothing at all: no baskets */
	b = fimi("");
	assert_int_equal(b->n_baskets, 0);
	assert_int_equal(b->n_items, 0);
	assert_int_equal(b->start[0], 0);
	rebuy_baskets_free(b);
}

static void test_fimi__gzip_is_read_by_content(void **state)
{
	(void)state;
	/* long enough to cross the reader's 1 MiB chunks */
	size_t n = 300000, at = 0;
	char *text = malloc(n * 12 + 1);
	for (size_t t = 0; t < n; t++)
		at += (size_t)snprintf(text + at, 13, "%zu %zu\n", t % 1000, 1000 + t % 7);
	size_t gz_len;
	unsigned char *gz = gzip_bytes(text, at, &gz_len);
	const char *path = tu_temp_file(0, gz, gz_len);
	struct rebuy_baskets *b = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_baskets_read_fimi(path, NULL, 0, &b, &err), REBUY_OK);
	assert_int_equal(b->n_baskets, n);
	assert_int_equal(b->n_items, 1007);
	expect_basket(b, 0, "0 1000");
	expect_basket(b, n - 1, "1000 999"); /* 299999 = 7 x 42857 */
	struct rebuy_baskets *plain = fimi(text);
	assert_int_equal(plain->start[n], b->start[n]);
	assert_memory_equal(plain->items, b->items, b->start[n] * sizeof *b->items);
	rebuy_baskets_free(plain);
	rebuy_baskets_free(b);
	free(gz);
	free(text);
}

static void test_fimi__errors_name_the_file_and_line(void **state)
{
	(void)state;
	struct rebuy_baskets *b = NULL;
	struct rebuy_error err = {0};
	char text[1024];
	/* 255 bytes are fine, 256 are not */
	memset(text, 'x', 255);
	snprintf(text + 255, sizeof text - 255, "\n1 2\n");
	assert_int_equal(rebuy_baskets_read_fimi("a.dat", text, strlen(text), &b, &err), REBUY_OK);
	assert_int_equal(strlen(b->item_names[2]), 255);
	rebuy_baskets_free(b);
	snprintf(text, sizeof text, "1 2\n3\n4 ");
	memset(text + 8, 'y', 256);
	text[8 + 256] = '\0';
	b = (struct rebuy_baskets *)text; /* must be reset */
	assert_int_equal(rebuy_baskets_read_fimi("a.dat", text, strlen(text), &b, &err),
	                 REBUY_ELIMIT);
	assert_null(b);
	assert_string_equal(err.msg, "a.dat:3: an item name longer than 255 bytes");
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_baskets_read_fimi("b.dat", "1\n2 x\0y\n", 8, &b, &err), REBUY_EDATA);
	assert_string_equal(err.msg, "b.dat:2: a NUL byte in an item name");
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_baskets_read_fimi("/nonexistent/x.dat", NULL, 0, &b, &err),
	                 REBUY_EIO);
	assert_non_null(strstr(err.msg, "/nonexistent/x.dat: cannot open"));
	rebuy_error_clear(&err);
	unsigned char bad_gz[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3};
	assert_int_equal(rebuy_baskets_read_fimi("c.gz", bad_gz, sizeof bad_gz, &b, &err),
	                 REBUY_EDATA);
	assert_non_null(strstr(err.msg, "c.gz"));
}

/* ---- the builder ---- */

static char **names_of(const char *const *s, size_t n)
{
	char **v = rebuy__malloc(n * sizeof *v);
	for (size_t k = 0; k < n; k++)
		v[k] = rebuy__strndup(s[k], strlen(s[k]));
	return v;
}

static void test_baskets__builder_renumbers_sorts_and_attaches(void **state)
{
	(void)state;
	size_t base = rebuy_alloc_in_use();
	static const char *const names[] = {"milk", "bread", "apple", "zucchini"};
	/* provisional ids: milk 0, bread 1, apple 2, zucchini 3 (unused) */
	uint32_t pb[] = {1, 0, 2, 0, 1, 0, 2, 0};
	uint32_t pi[] = {0, 0, 1, 1, 2, 2, 0, 0};
	struct rebuy_baskets *b = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy__baskets_build(&b, 4, 8, pb, pi, 4, names_of(names, 4), &err),
	                 REBUY_OK);
	assert_int_equal(b->n_items, 4);
	assert_int_equal(b->n_baskets, 4);
	assert_string_equal(b->item_names[0], "apple");
	assert_string_equal(b->item_names[1], "bread");
	assert_string_equal(b->item_names[2], "milk");
	assert_string_equal(b->item_names[3], "zucchini");
	assert_int_equal(rebuy__baskets_final_id(b, 0), 2);
	assert_int_equal(rebuy__baskets_final_id(b, 2), 0);
	expect_basket(b, 0, "apple bread milk"); /* milk twice */
	expect_basket(b, 1, "apple milk");
	expect_basket(b, 2, "bread milk");
	expect_basket(b, 3, "");
	/* labels by provisional id end up by final id */
	static const char *const labels[] = {"Milk 1l", "Bread", "Apples", "Zucchini"};
	rebuy__baskets_attach_labels(b, names_of(labels, 4));
	assert_string_equal(b->item_labels[0], "Apples");
	assert_string_equal(b->item_labels[1], "Bread");
	assert_string_equal(b->item_labels[2], "Milk 1l");
	assert_string_equal(b->item_labels[3], "Zucchini");
	uint32_t *cust = rebuy__malloc(4 * sizeof *cust);
	int64_t *day = rebuy__malloc(4 * sizeof *day);
	for (int k = 0; k < 4; k++) {
		cust[k] = (uint32_t)(k / 2);
		day[k] = 19000 + k;
	}
	static const char *const keys[] = {"c1", "c2"};
	rebuy__baskets_attach_customers(b, 2, cust, day, names_of(keys, 2));
	assert_int_equal(b->n_customers, 2);
	assert_int_equal(b->customer[3], 1);
	assert_int_equal(b->day[2], 19002);
	assert_string_equal(b->customer_keys[1], "c2");
	rebuy_baskets_free(b);
	assert_int_equal(rebuy_alloc_in_use(), base);

	/* errors take the names over too */
	uint32_t bad_item[] = {4};
	uint32_t zero[] = {0};
	assert_int_equal(
	        rebuy__baskets_build(&b, 1, 1, zero, bad_item, 4, names_of(names, 4), &err),
	        REBUY_EARG);
	assert_null(b);
	static const char *const twice[] = {"a", "b", "a"};
	rebuy_error_clear(&err);
	assert_int_equal(rebuy__baskets_build(&b, 1, 1, zero, zero, 3, names_of(twice, 3), &err),
	                 REBUY_EARG);
	assert_non_null(strstr(err.msg, "'a'"));
	assert_int_equal(rebuy_alloc_in_use(), base);

	/* every allocation failing in turn */
	long fail;
	for (fail = 0; fail < 1000; fail++) {
		char **nm = names_of(names, 4);
		tu_fail_after(fail);
		enum rebuy_status st = rebuy__baskets_build(&b, 4, 8, pb, pi, 4, nm, &err);
		int triggered = tu_fail_triggered();
		tu_fail_after(-1);
		if (st == REBUY_OK) {
			/* a failed shrink of the items array is no error */
			expect_basket(b, 1, "apple milk");
			rebuy_baskets_free(b);
			assert_int_equal(rebuy_alloc_in_use(), base);
			if (!triggered)
				break;
			continue;
		}
		assert_int_equal(st, REBUY_ENOMEM);
		assert_null(b);
		assert_int_equal(rebuy_alloc_in_use(), base);
	}
	assert_int_equal(rebuy_alloc_in_use(), base);
	assert_true(fail > 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fpgrowth__han_example_all),
	        cmocka_unit_test(test_fpgrowth__han_example_closed_and_maximal),
	        cmocka_unit_test(test_fpgrowth__random_databases_match_brute_force),
	        cmocka_unit_test(test_fpgrowth__bad_options_are_refused),
	        cmocka_unit_test(test_fpgrowth__sets_longer_than_64_items_need_max_len),
	        cmocka_unit_test(test_fpgrowth__a_callback_can_stop_the_mining),
	        cmocka_unit_test(test_fpgrowth__reference_counts_of_borgelts_programs),
	        cmocka_unit_test(test_fpgrowth__results_do_not_depend_on_threads),
	        cmocka_unit_test(test_fpgrowth__every_allocation_failure_is_clean),
	        cmocka_unit_test(test_fimi__ids_follow_name_order_and_lines_are_baskets),
	        cmocka_unit_test(test_fimi__gzip_is_read_by_content),
	        cmocka_unit_test(test_fimi__errors_name_the_file_and_line),
	        cmocka_unit_test(test_baskets__builder_renumbers_sorts_and_attaches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
