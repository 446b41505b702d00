/* The interning table and the partial order records (src/core/strtab.c,
 * src/data/partial.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strtab.h"
#include "data/partial.h"
#include "testutil.h"

static void intern(struct rebuy__strtab *t, const char *k, uint32_t *id, int *is_new)
{
	assert_int_equal(
	        rebuy__strtab_intern(t, k, strlen(k), rebuy__strtab_hash(k, strlen(k)), id, is_new),
	        REBUY_OK);
}

static void test_strtab__ids_are_dense_in_first_seen_order(void **state)
{
	(void)state;
	struct rebuy__strtab t;
	rebuy__strtab_init(&t);
	uint32_t id;
	int is_new;
	intern(&t, "b", &id, &is_new);
	assert_int_equal(id, 0);
	assert_true(is_new);
	intern(&t, "a", &id, &is_new);
	assert_int_equal(id, 1);
	intern(&t, "b", &id, &is_new);
	assert_int_equal(id, 0);
	assert_false(is_new);
	assert_int_equal(t.n, 2);
	size_t len;
	assert_string_equal(rebuy__strtab_key(&t, 1, &len), "a");
	assert_int_equal(len, 1);
	rebuy__strtab_release(&t);
}

/* Keys of 8 bytes live in the slot, longer ones in the key store: keys that
 * share their first 8 bytes, and keys that differ only in length, must stay
 * apart; the empty key is a key. */
static void test_strtab__short_and_long_keys_never_collide(void **state)
{
	(void)state;
	const char *keys[] = {"",
	                      "a",
	                      "a\0",
	                      "abcdefgh",
	                      "abcdefghi",
	                      "abcdefghj",
	                      "abcdefgh\0",
	                      "12345678901234567890",
	                      "1234567890123456789"};
	const size_t lens[] = {0, 1, 2, 8, 9, 9, 9, 20, 19};
	struct rebuy__strtab t;
	rebuy__strtab_init(&t);
	for (size_t round = 0; round < 2; round++)
		for (size_t i = 0; i < 9; i++) {
			uint32_t id;
			int is_new;
			assert_int_equal(rebuy__strtab_intern(&t, keys[i], lens[i],
			                                      rebuy__strtab_hash(keys[i], lens[i]),
			                                      &id, &is_new),
			                 REBUY_OK);
			assert_int_equal(id, i);
			assert_int_equal(is_new, round == 0);
		}
	rebuy__strtab_release(&t);
}

/* Growth keeps every key findable: 200,000 keys, then each looked up. */
static void test_strtab__finds_every_key_after_growth(void **state)
{
	(void)state;
	struct rebuy__strtab t;
	rebuy__strtab_init(&t);
	char k[32];
	for (int i = 0; i < 200000; i++) {
		int n = snprintf(k, sizeof k, i % 2 ? "%d" : "customer-%d@example.com", i);
		uint32_t id;
		assert_int_equal(rebuy__strtab_intern(&t, k, (size_t)n,
		                                      rebuy__strtab_hash(k, (size_t)n), &id, NULL),
		                 REBUY_OK);
		assert_int_equal(id, (uint32_t)i);
	}
	for (int i = 0; i < 200000; i++) {
		int n = snprintf(k, sizeof k, i % 2 ? "%d" : "customer-%d@example.com", i);
		uint32_t id = 0;
		assert_true(rebuy__strtab_find(&t, k, (size_t)n, rebuy__strtab_hash(k, (size_t)n),
		                               &id));
		assert_int_equal(id, (uint32_t)i);
	}
	assert_false(
	        rebuy__strtab_find(&t, "nope", 4, rebuy__strtab_hash("nope", 4), &(uint32_t){0}));
	rebuy__strtab_release(&t);
}

static void test_strtab__refuses_keys_over_64k(void **state)
{
	(void)state;
	struct rebuy__strtab t;
	rebuy__strtab_init(&t);
	size_t n = REBUY__STRTAB_KEY_MAX + 1;
	char *k = calloc(n, 1);
	uint32_t id;
	assert_int_equal(rebuy__strtab_intern(&t, k, n, rebuy__strtab_hash(k, n), &id, NULL),
	                 REBUY_ELIMIT);
	free(k);
	rebuy__strtab_release(&t);
}

static void test_strtab__out_of_memory_leaves_table_usable(void **state)
{
	(void)state;
	for (long fail = 0; fail < 64; fail++) {
		struct rebuy__strtab t;
		rebuy__strtab_init(&t);
		tu_fail_after(fail);
		enum rebuy_status st = REBUY_OK;
		char k[32];
		int i;
		for (i = 0; i < 300 && st == REBUY_OK; i++) {
			int n = snprintf(k, sizeof k, "key-number-%d", i);
			uint32_t id;
			st = rebuy__strtab_intern(&t, k, (size_t)n,
			                          rebuy__strtab_hash(k, (size_t)n), &id, NULL);
		}
		tu_fail_after(-1);
		if (st == REBUY_OK) {
			rebuy__strtab_release(&t);
			break;
		}
		assert_int_equal(st, REBUY_ENOMEM);
		/* Every key added before the failure is still there. */
		for (int j = 0; j < (int)t.n; j++) {
			int n = snprintf(k, sizeof k, "key-number-%d", j);
			uint32_t id;
			assert_true(rebuy__strtab_find(&t, k, (size_t)n,
			                               rebuy__strtab_hash(k, (size_t)n), &id));
			assert_int_equal(id, (uint32_t)j);
		}
		rebuy__strtab_release(&t);
	}
}

static void test_key_normalize__trims_and_reads_spreadsheet_ids(void **state)
{
	(void)state;
	struct {
		const char *in, *out;
	} cases[] = {
	        {"17850.0", "17850"},
	        {"17850.000", "17850"},
	        {" 42 ", "42"},
	        {"\t7.0\t", "7"},
	        {"17850.5", "17850.5"},
	        {"1.", "1."},
	        {".0", ".0"},
	        {"A.0", "A.0"},
	        {"0.0", "0"},
	        {"", ""},
	        {"  ", ""},
	        {"00042.0", "00042"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const char *s = cases[i].in;
		size_t n = rebuy__key_normalize(&s, strlen(s), '.');
		assert_int_equal(n, strlen(cases[i].out));
		assert_memory_equal(s, cases[i].out, n);
	}
	/* A comma only where the file's decimal mark is one. */
	const char *s = "17850,0";
	assert_int_equal(rebuy__key_normalize(&s, 7, '.'), 7);
	s = "17850,00";
	assert_int_equal(rebuy__key_normalize(&s, 8, ','), 5);
	s = "17850.0";
	assert_int_equal(rebuy__key_normalize(&s, 7, ','), 7);
}

static void add_line(struct rebuy__partial *p, struct rebuy__last *last, const char *cust,
                     const char *okey, int64_t ts, int64_t value, int expect_folded)
{
	struct rebuy__line l;
	memset(&l, 0, sizeof l);
	l.cust = cust;
	l.cust_len = strlen(cust);
	rebuy__line_hash_customer(&l);
	l.okey = okey;
	l.okey_len = okey ? strlen(okey) : 0;
	l.ts = l.ts_alt = ts;
	l.value = value;
	assert_int_equal(rebuy__partial_add(p, &l, last), expect_folded);
}

/* Order keys are encoded exactly: numbers, short strings, long strings
 * interned; "007" and "7" are different keys. */
static void test_partial__order_keys_encode_exactly(void **state)
{
	(void)state;
	struct rebuy__bucket b;
	memset(&b, 0, sizeof b);
	rebuy__strtab_init(&b.long_keys);
	uint64_t k1, k2, k3, k4, k5, k6;
	assert_int_equal(rebuy__order_key_encode(&b, "7", 1, &k1), REBUY_OK);
	assert_int_equal(rebuy__order_key_encode(&b, "007", 3, &k2), REBUY_OK);
	assert_int_equal(rebuy__order_key_encode(&b, "999999999999999999", 18, &k3), REBUY_OK);
	assert_int_equal(rebuy__order_key_encode(&b, "1000000000000000000", 19, &k4), REBUY_OK);
	assert_int_equal(rebuy__order_key_encode(&b, "INV-0001-XYZ", 12, &k5), REBUY_OK);
	assert_int_equal(rebuy__order_key_encode(&b, "INV-0001-XYZ", 12, &k6), REBUY_OK);
	assert_int_equal(k1, 7);
	assert_int_equal(k3, 999999999999999999ULL);
	assert_true(k2 != k1);
	assert_int_equal(k2 & REBUY__KEY_TAG_MASK, REBUY__KEY_TAG_SHORT);
	assert_int_equal(k4 & REBUY__KEY_TAG_MASK, REBUY__KEY_TAG_LONG);
	assert_int_equal(k5, k6);
	assert_true(k5 != k4);
	assert_int_equal(b.long_keys.n, 2);
	rebuy__strtab_release(&b.long_keys);
}

/* Adjacent lines of one order fold into one record (earliest time, summed
 * value); a line of another customer or order starts a new record. */
static void test_partial__adjacent_lines_of_one_order_fold(void **state)
{
	(void)state;
	struct rebuy__partial *p = rebuy__partial_new(1, 0, 0, 0);
	assert_non_null(p);
	struct rebuy__last last = {0};
	add_line(p, &last, "A", "1", 200, 10000, 0);
	add_line(p, &last, "A", "1", 100, 25000, 1);
	add_line(p, &last, "B", "1", 300, 5000, 0);
	add_line(p, &last, "A", "2", 400, 1, 0);
	size_t total = 0;
	for (unsigned b = 0; b < REBUY__BUCKETS; b++)
		total += p->buckets[b].n_recs;
	assert_int_equal(total, 3);
	uint64_t h = rebuy__strtab_hash("A", 1);
	const struct rebuy__bucket *ba = &p->buckets[rebuy__bucket_of(h)];
	const struct rebuy__chunk *c = ba->tail;
	/* The first record of A (the chunk may hold B's record too when A and B
	 * share a bucket). */
	const struct rebuy__rec *r = NULL;
	for (size_t i = 0; i < c->n; i++)
		if (c->recs[i].key == 1 && rebuy__rec_lines(&c->recs[i]) == 2)
			r = &c->recs[i];
	assert_non_null(r);
	assert_int_equal(rebuy__rec_ts(r), 100);
	assert_int_equal(r->value, 35000);
	rebuy__partial_free(p);
}

/* Partials of two slices merge into the partial of the union: the same
 * customer read by two threads is one customer. */
static void test_partial__merge_joins_the_same_customer(void **state)
{
	(void)state;
	struct rebuy__partial *a = rebuy__partial_new(1, 0, 0, 0), *b = rebuy__partial_new(1, 0, 0, 0);
	assert_non_null(a);
	assert_non_null(b);
	struct rebuy__last la = {0}, lb = {0};
	add_line(a, &la, "X", "1", 100, 1, 0);
	add_line(a, &la, "Y", "2", 100, 2, 0);
	add_line(b, &lb, "Z", "3", 100, 3, 0);
	add_line(b, &lb, "X", "4", 200, 4, 0);
	add_line(b, &lb, "X", "LONG-ORDER-KEY-5", 300, 5, 0);
	add_line(b, &lb, "customer-number-42", "6", 400, 6, 0);
	for (unsigned k = 0; k < REBUY__BUCKETS; k++)
		assert_int_equal(rebuy__partial_merge_bucket(a, b, k), REBUY_OK);
	size_t customers = 0, recs = 0;
	for (unsigned k = 0; k < REBUY__BUCKETS; k++) {
		customers += a->buckets[k].customers.n;
		recs += a->buckets[k].n_recs;
		assert_int_equal(b->buckets[k].n_recs, 0);
	}
	/* Short customer keys travel inside the records: only the long one
	 * ("customer-number-42") is in a table. */
	assert_int_equal(customers, 1);
	assert_int_equal(recs, 6);
	/* X's three records carry X's packed key in X's bucket. */
	uint64_t h = rebuy__strtab_hash("X", 1);
	struct rebuy__bucket *bx = &a->buckets[rebuy__bucket_of(h)];
	int n_x = 0, long_ok = 0;
	for (const struct rebuy__chunk *c = bx->head; c; c = c->next)
		for (size_t i = 0; i < c->n; i++)
			if (rebuy__rec_cust_len(&c->recs[i]) == 1 && c->recs[i].cust == 'X') {
				n_x++;
				uint64_t key = c->recs[i].key;
				if ((key & REBUY__KEY_TAG_MASK) == REBUY__KEY_TAG_LONG) {
					size_t len;
					const char *k = rebuy__strtab_key(
					        &bx->long_keys, (uint32_t)(key & 0xFFFFFFFFu),
					        &len);
					long_ok =
					        len == 16 && memcmp(k, "LONG-ORDER-KEY-5", 16) == 0;
				}
			}
	assert_int_equal(n_x, 3);
	assert_true(long_ok);
	rebuy__partial_free(a);
	rebuy__partial_free(b);
}

/* A record packs time, key length and line count into one word: times from
 * year 1 to 9999 (negative before 1970) come back exactly. */
static void test_partial__record_meta_round_trips(void **state)
{
	(void)state;
	const int64_t times[] = {-62135596800LL, -1, 0, 1, 253402300799LL};
	for (size_t i = 0; i < 5; i++) {
		struct rebuy__rec r = {0};
		r.meta = rebuy__rec_meta(times[i], REBUY__CUST_LONG, REBUY__REC_MAX_LINES);
		assert_int_equal(rebuy__rec_ts(&r), times[i]);
		assert_int_equal(rebuy__rec_cust_len(&r), REBUY__CUST_LONG);
		assert_int_equal(rebuy__rec_lines(&r), REBUY__REC_MAX_LINES);
		r.meta = rebuy__rec_meta(times[i], 3, 1);
		assert_int_equal(rebuy__rec_ts(&r), times[i]);
		assert_int_equal(rebuy__rec_cust_len(&r), 3);
		assert_int_equal(rebuy__rec_lines(&r), 1);
	}
}

/* A run of lines longer than a record can count starts a new record. */
static void test_partial__a_record_counts_at_most_its_maximum_lines(void **state)
{
	(void)state;
	struct rebuy__partial *p = rebuy__partial_new(1, 0, 0, 0);
	struct rebuy__last last = {0};
	for (unsigned i = 0; i < REBUY__REC_MAX_LINES + 2; i++) {
		struct rebuy__line l;
		memset(&l, 0, sizeof l);
		l.cust = "A";
		l.cust_len = 1;
		rebuy__line_hash_customer(&l);
		l.okey = "9";
		l.okey_len = 1;
		l.value = 1;
		assert_true(rebuy__partial_add(p, &l, &last) >= 0);
	}
	const struct rebuy__bucket *b = &p->buckets[rebuy__bucket_of(rebuy__strtab_hash("A", 1))];
	assert_int_equal(b->n_recs, 2);
	assert_int_equal(rebuy__rec_lines(&b->head->recs[0]), REBUY__REC_MAX_LINES);
	assert_int_equal(rebuy__rec_lines(&b->head->recs[1]), 2);
	rebuy__partial_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_strtab__ids_are_dense_in_first_seen_order),
	        cmocka_unit_test(test_strtab__short_and_long_keys_never_collide),
	        cmocka_unit_test(test_strtab__finds_every_key_after_growth),
	        cmocka_unit_test(test_strtab__refuses_keys_over_64k),
	        cmocka_unit_test(test_strtab__out_of_memory_leaves_table_usable),
	        cmocka_unit_test(test_key_normalize__trims_and_reads_spreadsheet_ids),
	        cmocka_unit_test(test_partial__order_keys_encode_exactly),
	        cmocka_unit_test(test_partial__adjacent_lines_of_one_order_fold),
	        cmocka_unit_test(test_partial__merge_joins_the_same_customer),
	        cmocka_unit_test(test_partial__record_meta_round_trips),
	        cmocka_unit_test(test_partial__a_record_counts_at_most_its_maximum_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
