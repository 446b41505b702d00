/* Out of memory anywhere in the pipeline is an ordinary error: load the
 * orders, summarize, build the document and write it, failing the Nth
 * allocation for every N until the run completes. Each failed run must
 * return REBUY_ENOMEM (or a failed document), leak nothing (the ASan build
 * checks) and never crash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/rebuy.h"
#include "testutil.h"

static const char csv[] = "order_id,customer_id,order_date,amount\n"
                          "1,A,2024-01-05 10:00:00,10.00\n"
                          "2,B,2024-01-20 12:00:00,20.00\n"
                          "3,A,2024-02-03 09:30:00,15.50\n"
                          "4,C,2024-02-14 18:00:00,0\n"
                          "5,A,2024-03-01 08:00:00,5.25\n"
                          "5,A,2024-03-01 08:05:00,1.00\n"
                          "6,B,2024-03-10 11:00:00,-20.00\n"
                          "7,D,2024-03-15 10:00:00,30.00\n"
                          "INVOICE-0000000008,B,2024-04-02 10:00:00,12.00\n";

/* One whole run; returns 1 when it completed, 0 when an allocation failed. */
static int pipeline(unsigned threads, int gzip_like_dedupe)
{
	struct rebuy_input_options opts;
	rebuy_input_options_init(&opts);
	opts.path = "faults.csv";
	opts.data = csv;
	opts.data_len = strlen(csv);
	opts.n_threads = threads;
	opts.dedupe = gzip_like_dedupe;
	struct rebuy_orders *o = NULL;
	struct rebuy_error err = {0};
	enum rebuy_status st = rebuy_orders_load(&o, &opts, NULL, &err);
	if (st) {
		assert_int_equal(st, REBUY_ENOMEM);
		assert_null(o);
		return 0;
	}
	struct rebuy_summary_options so;
	rebuy_summary_options_init(&so);
	so.n_threads = threads;
	struct rebuy_summary *s = NULL;
	st = rebuy_summary_compute(o, &so, &s, &err);
	if (st) {
		assert_int_equal(st, REBUY_ENOMEM);
		rebuy_orders_free(o);
		return 0;
	}
	assert_int_equal(s->customers, 4);
	struct rebuy_doc *doc = rebuy_doc_new();
	int ok = doc != NULL;
	if (doc) {
		rebuy_summary_doc(s, &o->report, doc, rebuy_doc_root(doc));
		FILE *f = fopen("/dev/null", "w");
		st = rebuy_doc_write_json(doc, NULL, f);
		fclose(f);
		ok = st == REBUY_OK;
		if (!ok)
			assert_int_equal(st, REBUY_ENOMEM);
	}
	rebuy_doc_free(doc);
	rebuy_summary_free(s);
	rebuy_orders_free(o);
	return ok;
}

static void run_until_done(unsigned threads, int dedupe)
{
	long fail;
	for (fail = 0; fail < 100000; fail++) {
		tu_fail_after(fail);
		int done = pipeline(threads, dedupe);
		int triggered = tu_fail_triggered();
		tu_fail_after(-1);
		if (done && !triggered)
			break;
	}
	print_message("completed after %ld injected failures\n", fail);
	/* The loop ended because a run completed with no failure injected. */
	assert_true(fail > 10);
	assert_true(fail < 100000);
	assert_int_equal(rebuy_alloc_in_use(), 0);
}

static void test_faults__every_allocation_failure_is_clean_one_thread(void **state)
{
	(void)state;
	run_until_done(1, 0);
}

static void test_faults__every_allocation_failure_is_clean_two_threads(void **state)
{
	(void)state;
	run_until_done(2, 0);
}

static void test_faults__every_allocation_failure_is_clean_with_dedupe(void **state)
{
	(void)state;
	run_until_done(2, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_faults__every_allocation_failure_is_clean_one_thread),
	        cmocka_unit_test(test_faults__every_allocation_failure_is_clean_two_threads),
	        cmocka_unit_test(test_faults__every_allocation_failure_is_clean_with_dedupe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
