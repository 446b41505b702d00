/* Fuzz target for the FIMI reader (rebuy_baskets_read_fimi) and, on what it
 * reads, the itemset miner (rebuy_itemsets_mine). Besides crashes and
 * sanitizer reports it checks invariants: an error is one printable line
 * naming the input and no baskets come back; read baskets have ids below
 * n_items, strictly ascending in each basket, and names in strict byte
 * order, 1..255 bytes without blanks. With few items the baskets are mined
 * for min_count 1..3, every target, with and without max_len: the counts by
 * size sum to n_itemsets, the callback lists as many sets as counted (items
 * ascending, support >= min_count), maximal <= closed <= all, and with at
 * most 10 items the counts equal a brute force over all subsets.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/basket.h"

#define CHECK(cond)                                                                       \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "fuzz_fimi: %s:%d: check failed: %s\n", __FILE__, \
			        __LINE__, #cond);                                         \
			abort();                                                          \
		}                                                                         \
	} while (0)

static void check_error(enum rebuy_status st, const struct rebuy_error *err,
                        const struct rebuy_baskets *b)
{
	CHECK(st == REBUY_EDATA || st == REBUY_ELIMIT || st == REBUY_ENOMEM);
	CHECK(b == NULL);
	CHECK(err->code == st);
	size_t n = strlen(err->msg);
	CHECK(n > 0 && n < REBUY_ERROR_MSG_MAX);
	CHECK(strncmp(err->msg, "fuzz.dat", 8) == 0);
	for (size_t i = 0; i < n; i++)
		CHECK((unsigned char)err->msg[i] >= 0x20 && err->msg[i] != 0x7f);
}

static void check_baskets(const struct rebuy_baskets *b)
{
	CHECK(b->start[0] == 0);
	for (size_t t = 0; t < b->n_baskets; t++) {
		CHECK(b->start[t] <= b->start[t + 1]);
		for (uint64_t k = b->start[t]; k < b->start[t + 1]; k++) {
			CHECK(b->items[k] < b->n_items);
			CHECK(k == b->start[t] || b->items[k] > b->items[k - 1]);
		}
	}
	for (size_t x = 0; x < b->n_items; x++) {
		const char *s = b->item_names[x];
		size_t n = strlen(s);
		CHECK(n >= 1 && n <= 255);
		CHECK(!strpbrk(s, " \t\r\n"));
		CHECK(x == 0 || strcmp(b->item_names[x - 1], s) < 0);
	}
	CHECK(b->n_lines == b->n_baskets);
	CHECK(b->customer == NULL && b->item_labels == NULL);
}

struct listed {
	uint64_t n, min_count;
	uint64_t by_size[REBUY_ITEMSET_MAX_LEN + 1];
};

static int count_listed(void *ud, const uint32_t *items, size_t n, uint64_t count)
{
	struct listed *l = ud;
	CHECK(n >= 1 && n <= REBUY_ITEMSET_MAX_LEN);
	for (size_t k = 1; k < n; k++)
		CHECK(items[k] > items[k - 1]);
	CHECK(count >= l->min_count);
	l->n++;
	l->by_size[n]++;
	return 0;
}

/* Counts of all, closed and maximal sets by brute force (n_items <= 10). */
static void brute(const struct rebuy_baskets *b, uint64_t min_count, size_t max_len,
                  uint64_t out[3])
{
	uint32_t supp[1 << 10] = {0};
	for (size_t t = 0; t < b->n_baskets; t++) {
		uint32_t bm = 0;
		for (uint64_t k = b->start[t]; k < b->start[t + 1]; k++)
			bm |= 1u << b->items[k];
		for (uint32_t x = bm;; x = (x - 1) & bm) {
			supp[x]++;
			if (!x)
				break;
		}
	}
	out[0] = out[1] = out[2] = 0;
	for (uint32_t x = 1; x < (1u << b->n_items); x++) {
		if (supp[x] < min_count)
			continue;
		if (max_len && (size_t)__builtin_popcount(x) > max_len)
			continue;
		int closed = 1, maximal = 1;
		for (size_t y = 0; y < b->n_items; y++) {
			if (x & (1u << y))
				continue;
			closed &= supp[x | (1u << y)] < supp[x];
			maximal &= supp[x | (1u << y)] < min_count;
		}
		out[0]++;
		out[1] += (uint64_t)closed;
		out[2] += (uint64_t)maximal;
	}
}

static void mine_all(const struct rebuy_baskets *b, size_t max_len)
{
	for (uint64_t mc = 1; mc <= 3; mc++) {
		uint64_t n[3];
		for (int t = 0; t < 3; t++) {
			struct rebuy_mine_options o;
			rebuy_mine_options_init(&o);
			o.target = (enum rebuy_itemset_target)t;
			o.min_count = mc;
			o.max_len = max_len;
			o.n_threads = 1;
			struct rebuy_mine_result r;
			struct rebuy_error err = {0};
			enum rebuy_status st = rebuy_itemsets_mine(b, &o, NULL, NULL, &r, &err);
			if (st == REBUY_ELIMIT) {
				/* a set of more than 64 items, without max_len */
				CHECK(max_len == 0);
				return;
			}
			CHECK(st == REBUY_OK);
			uint64_t sum = 0;
			size_t longest = 0;
			for (size_t k = 0; k <= REBUY_ITEMSET_MAX_LEN; k++) {
				sum += r.by_size[k];
				if (r.by_size[k])
					longest = k;
			}
			CHECK(r.by_size[0] == 0);
			CHECK(sum == r.n_itemsets);
			CHECK(r.longest == longest);
			CHECK(!max_len || longest <= max_len);
			CHECK(!r.stopped);
			n[t] = r.n_itemsets;
			if (r.n_itemsets > 100000)
				continue;
			struct listed l;
			memset(&l, 0, sizeof l);
			l.min_count = mc;
			CHECK(rebuy_itemsets_mine(b, &o, count_listed, &l, &r, &err) == REBUY_OK);
			CHECK(l.n == n[t]);
			CHECK(memcmp(l.by_size, r.by_size, sizeof l.by_size) == 0);
		}
		CHECK(n[1] <= n[0]);
		CHECK(n[2] <= n[1]);
		if (b->n_items <= 10) {
			uint64_t want[3];
			brute(b, mc, max_len, want);
			CHECK(n[0] == want[0] && n[1] == want[1] && n[2] == want[2]);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rebuy_baskets *b = (struct rebuy_baskets *)&size; /* must be reset */
	struct rebuy_error err;
	rebuy_error_clear(&err);
	enum rebuy_status st = rebuy_baskets_read_fimi("fuzz.dat", data, size, &b, &err);
	if (st != REBUY_OK) {
		check_error(st, &err, b);
		return 0;
	}
	CHECK(b != NULL && err.code == REBUY_OK);
	check_baskets(b);
	if (b->n_items <= 16 && b->n_baskets <= 500) {
		mine_all(b, 0);
		mine_all(b, 1 + size % 4);
	}
	rebuy_baskets_free(b);
	return 0;
}
