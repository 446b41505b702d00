/* k-means, the silhouette and customer clustering (rebuy/cluster.h): blobs
 * recovered exactly, WSS, TSS, Calinski-Harabasz and silhouettes against
 * hand computations, determinism over seeds and thread counts, restarts,
 * errors, and allocation failures. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/cluster.h"
#include "rebuy/input.h"
#include "testutil.h"

static struct rebuy_kmeans *fit(const double *x, size_t n, size_t d, size_t k, unsigned restarts,
                                uint64_t seed, unsigned threads)
{
	struct rebuy_kmeans_options o;
	rebuy_kmeans_options_init(&o);
	o.k = k;
	o.restarts = restarts;
	o.seed = seed;
	o.n_threads = threads;
	struct rebuy_kmeans *km = NULL;
	struct rebuy_error err = {0};
	if (rebuy_kmeans_fit(x, n, d, &o, &km, &err) != REBUY_OK)
		fail_msg("k-means: %s", err.msg);
	return km;
}

/* A deterministic jitter in [-1, 1]. */
static double jitter(unsigned i)
{
	uint32_t h = i * 2654435761u;
	h ^= h >> 15;
	return (double)(h % 2001) / 1000.0 - 1.0;
}

/* Three blobs of 30, 20 and 10 points around (0, 0), (100, 0) and (0, 100),
 * interleaved: row i belongs to blob[i]. */
static void blobs(double *x, int *blob)
{
	static const double centre[3][2] = {{0, 0}, {100, 0}, {0, 100}};
	static const int size[3] = {30, 20, 10};
	int left[3] = {30, 20, 10};
	for (unsigned i = 0; i < 60; i++) {
		int b = (int)(i % 3);
		while (left[b] == 0)
			b = (b + 1) % 3;
		left[b]--;
		blob[i] = b;
		x[2 * i] = centre[b][0] + jitter(2 * i);
		x[2 * i + 1] = centre[b][1] + jitter(2 * i + 1);
	}
	(void)size;
}

static void test_kmeans__blobs_recovered_exactly(void **state)
{
	(void)state;
	double x[120];
	int blob[60];
	blobs(x, blob);
	for (uint64_t seed = 1; seed <= 5; seed++) {
		struct rebuy_kmeans *km = fit(x, 60, 2, 3, 10, seed, 1);
		/* clusters by size: blob 0 (30) is cluster 0, and so on */
		for (int i = 0; i < 60; i++)
			assert_int_equal(km->label[i], blob[i]);
		assert_int_equal(km->size[0], 30);
		assert_int_equal(km->size[1], 20);
		assert_int_equal(km->size[2], 10);
		for (int c = 0; c < 3; c++) {
			double sx = 0, sy = 0;
			int n = 0;
			for (int i = 0; i < 60; i++)
				if (blob[i] == c) {
					sx += x[2 * i];
					sy += x[2 * i + 1];
					n++;
				}
			assert_true(fabs(km->centroid[2 * c] - sx / n) < 1e-12);
			assert_true(fabs(km->centroid[2 * c + 1] - sy / n) < 1e-12);
		}
		assert_true(km->converged);
		rebuy_kmeans_free(km);
	}
}

/* 0, 2, 10, 12 in one dimension: clusters {0, 2} and {10, 12}. */
static void test_kmeans__sums_of_squares_by_hand(void **state)
{
	(void)state;
	const double x[] = {12, 0, 10, 2};
	struct rebuy_kmeans *km = fit(x, 4, 1, 2, 3, 7, 1);
	/* equal sizes: the smaller centre first */
	assert_true(km->centroid[0] == 1 && km->centroid[1] == 11);
	assert_int_equal(km->label[0], 1);
	assert_int_equal(km->label[1], 0);
	assert_int_equal(km->label[2], 1);
	assert_int_equal(km->label[3], 0);
	assert_true(km->wss == 4); /* 1 + 1 + 1 + 1 */
	assert_true(km->wss_by[0] == 2 && km->wss_by[1] == 2);
	assert_true(km->tss == 104); /* mean 6: 36 + 36 + 16 + 16 */
	/* (TSS - WSS) / (k - 1) / (WSS / (n - k)) = 100 / 2 */
	assert_true(fabs(rebuy_kmeans_calinski_harabasz(km) - 50) < 1e-12);
	rebuy_kmeans_free(km);
}

static struct rebuy_silhouette *silhouette(const double *x, size_t n, size_t d,
                                           const uint32_t *label, size_t k, size_t max_exact)
{
	struct rebuy_silhouette_options o;
	rebuy_silhouette_options_init(&o);
	o.max_exact = max_exact;
	o.n_threads = 1;
	struct rebuy_silhouette *s = NULL;
	struct rebuy_error err = {0};
	if (rebuy_silhouette_compute(x, n, d, label, k, &o, &s, &err) != REBUY_OK)
		fail_msg("silhouette: %s", err.msg);
	return s;
}

static void test_kmeans__silhouette_by_hand(void **state)
{
	(void)state;
	/* 0 and 12: a = 2, b = 11, s = 9/11; 2 and 10: a = 2, b = 9, s = 7/9. */
	const double x[] = {0, 2, 10, 12};
	const uint32_t l[] = {0, 0, 1, 1};
	struct rebuy_silhouette *s = silhouette(x, 4, 1, l, 2, 0);
	double want = (9.0 / 11 + 7.0 / 9) / 2;
	assert_true(fabs(s->mean - want) < 1e-15);
	assert_true(fabs(s->by_label[0] - want) < 1e-15);
	assert_false(s->is_sampled);
	assert_int_equal(s->n_used, 4);
	rebuy_silhouette_free(s);
	/* Two dimensions and a row alone in its cluster (s = 0): (0,0) and
	 * (3,4) together, (0,8) alone. (0,0): a = 5, b = 8 -> 3/8; (3,4):
	 * a = 5, b = 5 -> 0; (0,8): 0. */
	const double y[] = {0, 0, 3, 4, 0, 8};
	const uint32_t m[] = {0, 0, 1};
	s = silhouette(y, 3, 2, m, 2, 0);
	assert_true(fabs(s->mean - (3.0 / 8) / 3) < 1e-15);
	assert_true(s->by_label[1] == 0);
	rebuy_silhouette_free(s);
	/* One cluster: undefined. */
	const uint32_t one[] = {0, 0, 0, 0};
	s = silhouette(x, 4, 1, one, 1, 0);
	assert_true(isnan(s->mean));
	rebuy_silhouette_free(s);
}

/* n rows of d uniform values from a fixed generator. */
static double *random_rows(size_t n, size_t d, uint32_t seed)
{
	double *x = malloc(n * d * sizeof *x);
	uint64_t s = seed;
	for (size_t i = 0; i < n * d; i++) {
		s = s * 6364136223846793005u + 1442695040888963407u;
		x[i] = (double)(s >> 11) / 9007199254740992.0;
	}
	return x;
}

static void test_kmeans__deterministic_over_seeds_and_threads(void **state)
{
	(void)state;
	size_t n = 9000, d = 3; /* several chunks of rows */
	double *x = random_rows(n, d, 42);
	struct rebuy_kmeans *a = fit(x, n, d, 5, 3, 11, 1);
	struct rebuy_kmeans *b = fit(x, n, d, 5, 3, 11, 4);
	struct rebuy_kmeans *c = fit(x, n, d, 5, 3, 11, 1);
	assert_memory_equal(a->label, b->label, n * sizeof *a->label);
	assert_memory_equal(a->centroid, b->centroid, 5 * d * sizeof *a->centroid);
	assert_memory_equal(&a->wss, &b->wss, sizeof a->wss);
	assert_memory_equal(a->label, c->label, n * sizeof *a->label);
	assert_memory_equal(&a->wss, &c->wss, sizeof a->wss);
	/* sizes are non-increasing */
	for (size_t k = 1; k < 5; k++)
		assert_true(a->size[k] <= a->size[k - 1]);
	rebuy_kmeans_free(a);
	rebuy_kmeans_free(b);
	rebuy_kmeans_free(c);
	/* the silhouette's sample, and its threads */
	struct rebuy_silhouette_options o;
	rebuy_silhouette_options_init(&o);
	o.max_exact = 1500;
	struct rebuy_kmeans *km = fit(x, n, d, 4, 2, 3, 2);
	struct rebuy_silhouette *s1 = NULL, *s2 = NULL;
	o.n_threads = 1;
	assert_int_equal(rebuy_silhouette_compute(x, n, d, km->label, 4, &o, &s1, NULL), REBUY_OK);
	o.n_threads = 3;
	assert_int_equal(rebuy_silhouette_compute(x, n, d, km->label, 4, &o, &s2, NULL), REBUY_OK);
	assert_true(s1->is_sampled);
	assert_int_equal(s1->n_used, 1500);
	assert_memory_equal(&s1->mean, &s2->mean, sizeof s1->mean);
	assert_true(s1->mean > 0 && s1->mean < 1);
	rebuy_silhouette_free(s1);
	rebuy_silhouette_free(s2);
	rebuy_kmeans_free(km);
	free(x);
}

/* Several labellings at once give what each gives alone. */
static void test_kmeans__silhouette_many_matches_one(void **state)
{
	(void)state;
	size_t n = 700, d = 2;
	double *x = random_rows(n, d, 5);
	struct rebuy_kmeans *k2 = fit(x, n, d, 2, 2, 1, 1), *k5 = fit(x, n, d, 5, 2, 1, 1);
	const uint32_t *labels[] = {k2->label, k5->label};
	const size_t ks[] = {2, 5};
	struct rebuy_silhouette_options o;
	rebuy_silhouette_options_init(&o);
	o.max_exact = 300; /* sampled: the same sample for both */
	struct rebuy_silhouette *many[2], *one;
	assert_int_equal(rebuy_silhouette_compute_many(x, n, d, 2, labels, ks, &o, many, NULL),
	                 REBUY_OK);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(
		        rebuy_silhouette_compute(x, n, d, labels[i], ks[i], &o, &one, NULL),
		        REBUY_OK);
		assert_memory_equal(&one->mean, &many[i]->mean, sizeof one->mean);
		rebuy_silhouette_free(one);
		rebuy_silhouette_free(many[i]);
	}
	rebuy_kmeans_free(k2);
	rebuy_kmeans_free(k5);
	free(x);
}

static void test_kmeans__restarts_never_worse(void **state)
{
	(void)state;
	size_t n = 400, d = 2;
	double *x = random_rows(n, d, 9);
	for (uint64_t seed = 1; seed <= 20; seed++) {
		/* start 0 is the same in both runs: more starts can only keep a
		 * better one */
		struct rebuy_kmeans *one = fit(x, n, d, 8, 1, seed, 1);
		struct rebuy_kmeans *ten = fit(x, n, d, 8, 10, seed, 1);
		assert_true(ten->wss <= one->wss);
		rebuy_kmeans_free(one);
		rebuy_kmeans_free(ten);
	}
	free(x);
}

static void test_kmeans__errors(void **state)
{
	(void)state;
	const double x[] = {1, 2, 3};
	struct rebuy_kmeans_options o;
	rebuy_kmeans_options_init(&o);
	struct rebuy_kmeans *km = NULL;
	struct rebuy_error err = {0};
	o.k = 4;
	assert_int_equal(rebuy_kmeans_fit(x, 3, 1, &o, &km, &err), REBUY_EARG);
	assert_null(km);
	assert_non_null(strstr(err.msg, "at least 4 rows (got 3)"));
	rebuy_error_clear(&err);
	o.k = 0;
	assert_int_equal(rebuy_kmeans_fit(x, 3, 1, &o, &km, &err), REBUY_EARG);
	rebuy_error_clear(&err);
	o.k = 2;
	assert_int_equal(rebuy_kmeans_fit(x, 3, 0, &o, &km, &err), REBUY_EARG);
	rebuy_error_clear(&err);
	const double bad[] = {1, 2, 3, NAN};
	assert_int_equal(rebuy_kmeans_fit(bad, 2, 2, &o, &km, &err), REBUY_EDATA);
	assert_non_null(strstr(err.msg, "row 2, column 2"));
	rebuy_error_clear(&err);
	const uint32_t l[] = {0, 3, 1};
	struct rebuy_silhouette *s = NULL;
	struct rebuy_silhouette_options so;
	rebuy_silhouette_options_init(&so);
	assert_int_equal(rebuy_silhouette_compute(x, 3, 1, l, 2, &so, &s, &err), REBUY_EARG);
	assert_null(s);
}

static void test_kmeans__identical_points(void **state)
{
	(void)state;
	double x[20];
	for (int i = 0; i < 20; i++)
		x[i] = 3.5;
	struct rebuy_kmeans *km = fit(x, 10, 2, 1, 3, 1, 1);
	assert_true(km->wss == 0 && km->tss == 0);
	assert_int_equal(km->size[0], 10);
	assert_true(km->centroid[0] == 3.5 && km->centroid[1] == 3.5);
	assert_true(isnan(rebuy_kmeans_calinski_harabasz(km)));
	rebuy_kmeans_free(km);
	/* two clusters need two distinct rows */
	struct rebuy_kmeans_options o;
	rebuy_kmeans_options_init(&o);
	o.k = 2;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_kmeans_fit(x, 10, 2, &o, &km, &err), REBUY_EDATA);
	assert_non_null(strstr(err.msg, "only 1 distinct"));
	assert_null(km);
	/* with two distinct values, k = 2 splits them, and the silhouette of
	 * identical points within each cluster is 1 */
	x[0] = x[1] = x[2] = x[3] = -1;
	km = fit(x, 10, 2, 2, 3, 1, 1);
	assert_int_equal(km->size[0], 8);
	assert_int_equal(km->size[1], 2);
	assert_true(km->wss == 0);
	struct rebuy_silhouette *s = silhouette(x, 10, 2, km->label, 2, 0);
	assert_true(s->mean == 1);
	rebuy_silhouette_free(s);
	rebuy_kmeans_free(km);
}

/* An empty cluster gets the farthest row: Lloyd from these starts would
 * otherwise leave a centre with nothing. Checked through the invariant:
 * every cluster has a row, for many seeds and a k close to n. */
static void test_kmeans__no_empty_cluster(void **state)
{
	(void)state;
	const double x[] = {0, 0, 0, 1, 1, 1, 5, 5, 9, 9, 9.5, 20};
	for (uint64_t seed = 1; seed <= 50; seed++) {
		struct rebuy_kmeans *km = fit(x, 12, 1, 5, 1, seed, 1);
		size_t total = 0;
		for (size_t c = 0; c < 5; c++) {
			assert_true(km->size[c] >= 1);
			total += km->size[c];
		}
		assert_int_equal(total, 12);
		rebuy_kmeans_free(km);
	}
}

static void test_kmeans__out_of_memory(void **state)
{
	(void)state;
	size_t n = 300, d = 2;
	double *x = random_rows(n, d, 3);
	struct rebuy_kmeans_options o;
	rebuy_kmeans_options_init(&o);
	o.k = 3;
	o.restarts = 2;
	o.n_threads = 1;
	for (long k = 0;; k++) {
		struct rebuy_kmeans *km = NULL;
		struct rebuy_error err = {0};
		tu_fail_after(k);
		enum rebuy_status st = rebuy_kmeans_fit(x, n, d, &o, &km, &err);
		int hit = tu_fail_triggered();
		tu_fail_after(-1);
		if (!hit) {
			assert_int_equal(st, REBUY_OK);
			rebuy_kmeans_free(km);
			break;
		}
		assert_int_equal(st, REBUY_ENOMEM);
		assert_null(km);
	}
	uint32_t *l = malloc(n * sizeof *l);
	for (size_t i = 0; i < n; i++)
		l[i] = (uint32_t)(i % 3);
	struct rebuy_silhouette_options so;
	rebuy_silhouette_options_init(&so);
	so.n_threads = 1;
	so.max_exact = 100;
	for (long k = 0;; k++) {
		struct rebuy_silhouette *s = NULL;
		tu_fail_after(k);
		enum rebuy_status st = rebuy_silhouette_compute(x, n, d, l, 3, &so, &s, NULL);
		int hit = tu_fail_triggered();
		tu_fail_after(-1);
		if (!hit) {
			assert_int_equal(st, REBUY_OK);
			rebuy_silhouette_free(s);
			break;
		}
		assert_int_equal(st, REBUY_ENOMEM);
		assert_null(s);
	}
	free(l);
	free(x);
}

/* ---- customers ---- */

static struct rebuy_orders *load(const char *text)
{
	struct rebuy_input_options in;
	rebuy_input_options_init(&in);
	in.n_threads = 1;
	in.path = "fixture.csv";
	in.data = text;
	in.data_len = strlen(text);
	struct rebuy_orders *o = NULL;
	struct rebuy_error err = {0};
	if (rebuy_orders_load(&o, &in, NULL, &err) != REBUY_OK)
		fail_msg("loading the fixture: %s", err.msg);
	return o;
}

/* Six frequent big spenders who bought lately and six one-off small buyers
 * from long ago. */
static char *two_kinds(void)
{
	size_t cap = 8192, len = 0;
	char *s = malloc(cap);
	len += (size_t)snprintf(s + len, cap - len, "customer,date,amount\n");
	for (int c = 0; c < 6; c++)
		for (int k = 0; k < 8; k++)
			len += (size_t)snprintf(s + len, cap - len, "vip%d,2024-%02d-%02d,%d.00\n",
			                        c, 3 + k, 1 + c, 200 + 10 * c + k);
	for (int c = 0; c < 6; c++)
		len += (size_t)snprintf(s + len, cap - len, "once%d,2024-01-%02d,%d.00\n", c, 2 + c,
		                        10 + c);
	return s;
}

static void test_kmeans__customers_two_kinds(void **state)
{
	(void)state;
	char *text = two_kinds();
	struct rebuy_orders *o = load(text);
	struct rebuy_cluster_options opts;
	rebuy_cluster_options_init(&opts);
	opts.k_min = 2;
	opts.k_max = 4;
	opts.kmeans.n_threads = opts.silhouette.n_threads = 1;
	struct rebuy_cluster *c = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_cluster_customers(o, &opts, &c, &err), REBUY_OK);
	assert_int_equal(c->n_k, 3);
	assert_int_equal(c->recommended_k, 2);
	assert_int_equal(c->km->k, 2);
	assert_int_equal(c->n_used, 5);
	for (size_t q = 0; q < 5; q++)
		assert_true(c->is_logged[q]);
	/* equal sizes, so the cluster whose centre is lower at recency (the
	 * first feature) comes first: the recent buyers */
	assert_int_equal(c->profiles[0].customers, 6);
	assert_int_equal(c->profiles[1].customers, 6);
	/* the three farthest centres: frequency (z = 1 exactly: two values),
	 * then the gaps and the tenure (the vips started later) */
	for (size_t q = 0; q < 5; q++)
		print_message("%s z = %.6f\n", c->features->names[c->col[q]], c->profiles[0].z[q]);
	assert_true(fabs(c->profiles[0].z[1] - 1) < 1e-12 && fabs(c->profiles[1].z[1] + 1) < 1e-12);
	assert_string_equal(c->profiles[0].label, "frequent, short gaps, new");
	assert_string_equal(c->profiles[1].label, "infrequent, long gaps, long-standing");
	assert_true(c->profiles[0].median[1] == 8); /* frequency */
	assert_true(c->profiles[1].median[1] == 1);
	/* revenue: 6 x (8 x 200 + 28) + 60 x 8 of the vips; once: 10 + ... + 15 */
	double vip = 6 * (8 * 200 + 28) + 80 * 15, once = 75;
	assert_true(c->profiles[0].revenue == vip);
	assert_true(c->profiles[1].revenue == once);
	assert_true(fabs(c->profiles[0].revenue_share - vip / (vip + once)) < 1e-15);
	for (size_t r = 0; r < c->features->n_rows; r++) {
		const char *key = rebuy_orders_customer_key(o, c->features->customer[r], NULL);
		assert_int_equal(c->km->label[r], key[0] == 'v' ? 0 : 1);
	}
	assert_true(c->by_k[0].silhouette > 0.5);
	rebuy_cluster_free(c);

	/* names */
	opts.columns = "frequency,nope";
	assert_int_equal(rebuy_cluster_customers(o, &opts, &c, &err), REBUY_EARG);
	assert_non_null(strstr(err.msg, "'nope' is not a feature"));
	rebuy_error_clear(&err);
	opts.columns = "frequency,frequency";
	assert_int_equal(rebuy_cluster_customers(o, &opts, &c, &err), REBUY_EARG);
	rebuy_error_clear(&err);
	opts.columns = "frequency,return_share";
	opts.k_min = opts.k_max = 2;
	assert_int_equal(rebuy_cluster_customers(o, &opts, &c, &err), REBUY_OK);
	assert_true(c->is_logged[0] && !c->is_logged[1]);
	rebuy_cluster_free(c);
	/* too few customers */
	opts.columns = NULL;
	opts.k_min = 2;
	opts.k_max = 13;
	assert_int_equal(rebuy_cluster_customers(o, &opts, &c, &err), REBUY_EDATA);
	assert_null(c);
	rebuy_error_clear(&err);

	/* allocation failures */
	opts.k_max = 3;
	for (long k = 0;; k++) {
		tu_fail_after(k);
		enum rebuy_status st = rebuy_cluster_customers(o, &opts, &c, NULL);
		int hit = tu_fail_triggered();
		tu_fail_after(-1);
		if (!hit) {
			assert_int_equal(st, REBUY_OK);
			rebuy_cluster_free(c);
			break;
		}
		assert_int_equal(st, REBUY_ENOMEM);
		assert_null(c);
	}
	rebuy_orders_free(o);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_kmeans__blobs_recovered_exactly),
	        cmocka_unit_test(test_kmeans__sums_of_squares_by_hand),
	        cmocka_unit_test(test_kmeans__silhouette_by_hand),
	        cmocka_unit_test(test_kmeans__deterministic_over_seeds_and_threads),
	        cmocka_unit_test(test_kmeans__silhouette_many_matches_one),
	        cmocka_unit_test(test_kmeans__restarts_never_worse),
	        cmocka_unit_test(test_kmeans__errors),
	        cmocka_unit_test(test_kmeans__identical_points),
	        cmocka_unit_test(test_kmeans__no_empty_cluster),
	        cmocka_unit_test(test_kmeans__out_of_memory),
	        cmocka_unit_test(test_kmeans__customers_two_kinds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
