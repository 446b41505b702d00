/* The slow part of test_fpgrowth.c (labelled slow in CTest): every row of
 * ../shared/reference/basket_itemset_counts.tsv mined again with the sets
 * listed one by one through the callback (mushroom at 82 baskets lists
 * 90,751,401 sets, the perfect extensions enumerated instead of counted)
 * and with counting on two threads; and the callback's stream, order
 * included, compared between one and two threads on the denser data sets.
 * The helpers (reference parsing, the expected counts) are test_fpgrowth.c's.
 */
#define REBUY_FPGROWTH_SLOW 1
#include "test_fpgrowth.c"

static void test_fpgrowth_slow__reference_rows_listed_one_by_one(void **state)
{
	(void)state;
	check_reference_rows(1, 1);
}

static void test_fpgrowth_slow__reference_rows_counted_on_two_threads(void **state)
{
	(void)state;
	check_reference_rows(0, 2);
}

static void test_fpgrowth_slow__listing_order_does_not_depend_on_threads(void **state)
{
	(void)state;
	static const struct {
		const char *data;
		uint64_t min_count;
	} cases[] = {{"chess", 2238}, {"mushroom", 813}, {"T10I4D100K", 100}};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct rebuy_baskets *b = load_dataset(cases[c].data);
		if (!b) {
			skip();
			return;
		}
		for (int t = 0; t < 3; t++) {
			uint64_t hash[2];
			size_t n[2];
			for (unsigned threads = 1; threads <= 2; threads++) {
				struct rebuy_mine_options o = opts((enum rebuy_itemset_target)t,
				                                   cases[c].min_count, 0, threads);
				struct rebuy_mine_result r;
				struct rebuy_error err = {0};
				struct listing l;
				listing_init(&l);
				assert_int_equal(rebuy_itemsets_mine(b, &o, collect, &l, &r, &err),
				                 REBUY_OK);
				assert_false(l.bad_order);
				assert_int_equal(l.n, r.n_itemsets);
				hash[threads - 1] = l.hash;
				n[threads - 1] = l.n;
				free(l.v);
			}
			assert_int_equal(n[0], n[1]);
			assert_true(hash[0] == hash[1]);
		}
		rebuy_baskets_free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fpgrowth_slow__reference_rows_listed_one_by_one),
	        cmocka_unit_test(test_fpgrowth_slow__reference_rows_counted_on_two_threads),
	        cmocka_unit_test(test_fpgrowth_slow__listing_order_does_not_depend_on_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
