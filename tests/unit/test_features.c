/* Customer features (rebuy/features.h) on hand-built histories: every
 * column checked against a hand computation, labels, attributes, moments. */
#include <math.h>
#include <string.h>

#include "rebuy/date.h"
#include "rebuy/features.h"
#include "rebuy/input.h"
#include "testutil.h"

static struct rebuy_orders *load(const char *text, const char *attribute)
{
	struct rebuy_input_options in;
	rebuy_input_options_init(&in);
	in.n_threads = 1;
	in.path = "fixture.csv";
	in.data = text;
	in.data_len = strlen(text);
	if (attribute) {
		in.attributes[0] = attribute;
		in.n_attributes = 1;
	}
	struct rebuy_orders *o = NULL;
	struct rebuy_error err = {0};
	if (rebuy_orders_load(&o, &in, NULL, &err) != REBUY_OK)
		fail_msg("loading the fixture: %s", err.msg);
	return o;
}

/* The row of the customer with key k. */
static const double *row_of(const struct rebuy_orders *o, const struct rebuy_features *f,
                            const char *k)
{
	for (size_t r = 0; r < f->n_rows; r++)
		if (strcmp(rebuy_orders_customer_key(o, f->customer[r], NULL), k) == 0)
			return f->x + r * f->n_cols;
	fail_msg("no row for %s", k);
	return NULL;
}

static int64_t day(int y, unsigned m, unsigned d)
{
	return rebuy_days_from_civil(y, m, d);
}

/* a: 3 orders on 3 days (Jan 1, Jan 11, Jan 31) and a return on Feb 1;
 * b: 2 orders on Jan 5 (one day); c: first purchase after the as-of day. */
static const char *const shop = "customer,date,amount,channel\n"
                                "a,2024-01-01,10.00,web\n"
                                "b,2024-01-05,5.00,shop\n"
                                "b,2024-01-05 12:00,7.50,web\n"
                                "a,2024-01-11,20.00,shop\n"
                                "a,2024-01-31,30.00,web\n"
                                "a,2024-02-01,-6.00,web\n"
                                "c,2024-02-20,1.00,web\n"
                                "a,2024-02-25,40.00,web\n";

static void test_columns(void **state)
{
	(void)state;
	struct rebuy_orders *o = load(shop, NULL);
	struct rebuy_features_options opts;
	rebuy_features_options_init(&opts);
	opts.has_as_of = 1;
	opts.as_of_day = day(2024, 2, 10);
	opts.window_days = 30;
	struct rebuy_features *f = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_features_compute(o, &opts, &f, &err), REBUY_OK);
	assert_int_equal(f->n_rows, 2); /* c buys only after the as-of day */
	assert_int_equal(f->n_cols, REBUY_FEAT_N_BASE);
	assert_string_equal(f->names[REBUY_FEAT_OVERDUE], "overdue");
	const double *a = row_of(o, f, "a"), *b = row_of(o, f, "b");
	size_t ra = (size_t)(a - f->x) / f->n_cols;
	/* a: last Jan 31 -> recency 10; first Jan 1 -> tenure 40; gaps 10, 20. */
	assert_true(a[REBUY_FEAT_RECENCY] == 10);
	assert_true(a[REBUY_FEAT_FREQUENCY] == 3);
	assert_true(a[REBUY_FEAT_PURCHASE_DAYS] == 3);
	assert_true(a[REBUY_FEAT_REVENUE] == 60);
	assert_true(a[REBUY_FEAT_AOV] == 20);
	assert_true(a[REBUY_FEAT_TENURE] == 40);
	assert_true(a[REBUY_FEAT_MEAN_GAP] == 15);
	assert_true(fabs(a[REBUY_FEAT_OVERDUE] - 10.0 / 15.0) < 1e-15);
	assert_true(a[REBUY_FEAT_LAST_GAP] == 20);
	/* window [Jan 11, Feb 10): the Jan 11 and Jan 31 orders. */
	assert_true(a[REBUY_FEAT_ORDERS_RECENT] == 2);
	assert_true(a[REBUY_FEAT_REVENUE_RECENT] == 50);
	assert_true(a[REBUY_FEAT_RETURNS] == 1);
	assert_true(fabs(a[REBUY_FEAT_RETURN_SHARE] - 6.0 / 66.0) < 1e-15);
	/* b: one day, two orders; tenure = recency = 36. */
	assert_true(b[REBUY_FEAT_RECENCY] == 36);
	assert_true(b[REBUY_FEAT_FREQUENCY] == 2);
	assert_true(b[REBUY_FEAT_PURCHASE_DAYS] == 1);
	assert_true(b[REBUY_FEAT_REVENUE] == 12.5);
	assert_true(b[REBUY_FEAT_MEAN_GAP] == 36);
	assert_true(b[REBUY_FEAT_OVERDUE] == 1);
	assert_true(b[REBUY_FEAT_LAST_GAP] == 36);
	assert_true(b[REBUY_FEAT_ORDERS_RECENT] == 0);
	assert_true(b[REBUY_FEAT_RETURN_SHARE] == 0);

	/* Labels: a buys on Feb 25, 15 days after the as-of day. */
	uint8_t y[2];
	assert_int_equal(rebuy_features_label(o, f, 14, y), 0);
	assert_int_equal(rebuy_features_label(o, f, 16, y), 1);
	assert_int_equal(y[ra], 1);
	assert_int_equal(y[1 - ra], 0);

	double mean[REBUY_FEAT_N_BASE], sd[REBUY_FEAT_N_BASE];
	rebuy_features_moments(f, mean, sd);
	assert_true(mean[REBUY_FEAT_RECENCY] == 23 && sd[REBUY_FEAT_RECENCY] == 13);
	assert_true(sd[REBUY_FEAT_RETURNS] == 0.5);
	rebuy_features_scale(f, mean, sd);
	assert_true(a[REBUY_FEAT_RECENCY] == -1 && b[REBUY_FEAT_RECENCY] == 1);
	rebuy_features_free(f);
	rebuy_orders_free(o);
}

static void test_attributes(void **state)
{
	(void)state;
	struct rebuy_orders *o = load(shop, "channel");
	struct rebuy_features_options opts;
	rebuy_features_options_init(&opts);
	opts.attribute_levels = 1; /* the most common first-purchase value only */
	struct rebuy_features *f = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_features_compute(o, &opts, &f, &err), REBUY_OK);
	assert_int_equal(f->n_rows, 3);
	assert_int_equal(f->n_cols, REBUY_FEAT_N_BASE + 1);
	/* first purchases: a web, b shop, c web -> "web" is kept. */
	assert_string_equal(f->names[REBUY_FEAT_N_BASE], "channel=web");
	assert_true(row_of(o, f, "a")[REBUY_FEAT_N_BASE] == 1);
	assert_true(row_of(o, f, "b")[REBUY_FEAT_N_BASE] == 0);
	assert_true(row_of(o, f, "c")[REBUY_FEAT_N_BASE] == 1);
	/* Default as-of: the day after the last purchase (Feb 26). */
	assert_true(row_of(o, f, "a")[REBUY_FEAT_RECENCY] == 1);
	rebuy_features_free(f);
	rebuy_orders_free(o);
}

/* Features at a later cut-off repeat an earlier one's indicator columns,
 * even where the most common value has changed since. */
static void test_same_levels(void **state)
{
	(void)state;
	struct rebuy_orders *o = load(shop, "channel");
	struct rebuy_features_options opts;
	rebuy_features_options_init(&opts);
	opts.has_as_of = 1;
	opts.as_of_day = day(2024, 1, 6); /* a (web) and b (shop): a tie, "shop" first */
	opts.attribute_levels = 1;
	struct rebuy_features *early = NULL, *late = NULL, *own = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_features_compute(o, &opts, &early, &err), REBUY_OK);
	assert_string_equal(early->names[REBUY_FEAT_N_BASE], "channel=shop");
	opts.has_as_of = 0; /* c (web) too: web is now the most common */
	assert_int_equal(rebuy_features_compute(o, &opts, &own, &err), REBUY_OK);
	assert_string_equal(own->names[REBUY_FEAT_N_BASE], "channel=web");
	opts.same_levels = early;
	assert_int_equal(rebuy_features_compute(o, &opts, &late, &err), REBUY_OK);
	assert_int_equal(late->n_cols, REBUY_FEAT_N_BASE + 1);
	assert_string_equal(late->names[REBUY_FEAT_N_BASE], "channel=shop");
	assert_true(row_of(o, late, "b")[REBUY_FEAT_N_BASE] == 1);
	assert_true(row_of(o, late, "c")[REBUY_FEAT_N_BASE] == 0);
	rebuy_features_free(early);
	rebuy_features_free(own);
	rebuy_features_free(late);
	rebuy_orders_free(o);
}

static void test_errors(void **state)
{
	(void)state;
	struct rebuy_orders *o = load(shop, NULL);
	struct rebuy_features_options opts;
	rebuy_features_options_init(&opts);
	opts.has_as_of = 1;
	opts.as_of_day = day(2024, 1, 1);
	struct rebuy_features *f = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_features_compute(o, &opts, &f, &err), REBUY_EARG);
	assert_null(f);
	opts.as_of_day = day(2024, 2, 10);
	for (long k = 0;; k++) {
		struct rebuy_error e2 = {0};
		tu_fail_after(k);
		enum rebuy_status st = rebuy_features_compute(o, &opts, &f, &e2);
		int hit = tu_fail_triggered();
		tu_fail_after(-1);
		if (!hit) {
			assert_int_equal(st, REBUY_OK);
			rebuy_features_free(f);
			break;
		}
		assert_int_equal(st, REBUY_ENOMEM);
		assert_null(f);
	}
	rebuy_orders_free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_columns),
	        cmocka_unit_test(test_attributes),
	        cmocka_unit_test(test_same_levels),
	        cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
