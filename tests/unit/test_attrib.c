/* Unit tests for attribution (include/rebuy/attrib.h, docs/attribute.md).
 *
 * Hand-computed values: tests/data/attrib/paths.csv (four paths over a, b,
 * c) and the journeys of tests/data/attrib/{orders,touchpoints}.csv, each
 * model's credits worked out in the comments. The Markov values there are
 * exact rationals from a Gaussian elimination over Python's fractions
 * (independent of rebuy's code), compared with a relative tolerance of
 * 1e-12. On ../shared/data/attribution/PathData.csv: first, last and linear
 * credits against ref_heuristic_models.csv (absolute 1e-9: the reference
 * prints 15 significant digits, about 1e-10 at 24,524), the Markov removal
 * effects and credits against ref_markov_order1_exact_absorbing.csv
 * (relative 1e-9), and every model's credits summing to the conversions and
 * the value (relative 1e-12). The removal effects from one factorisation
 * (markov.c) are also checked against a direct solve per removed channel
 * on random chains (relative 1e-9).
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrib/attrib_int.h"
#include "core/rng.h"
#include "rebuy/attrib.h"
#include "rebuy/doc.h"
#include "rebuy/orders.h"
#include "rebuy/report.h"
#include "rebuy/table.h"

static void near_(const char *what, double got, double want, double rel, double abs_tol,
                  const char *file, int line)
{
	double tol = fmax(abs_tol, rel * fabs(want));
	if (!(fabs(got - want) <= tol)) {
		print_error("%s = %.17g, want %.17g (tolerance %.3g)\n", what, got, want, tol);
		_fail(file, line);
	}
}

#define NEAR(got, want) near_(#got, (got), (want), 1e-12, 1e-14, __FILE__, __LINE__)
#define NEAR_REL(got, want, rel) near_(#got, (got), (want), (rel), 0, __FILE__, __LINE__)
#define NEAR_ABS(got, want, tol) near_(#got, (got), (want), 0, (tol), __FILE__, __LINE__)

static struct rebuy_table *read_table(const char *path)
{
	struct rebuy_table_options o;
	rebuy_table_options_init(&o);
	o.path = path;
	struct rebuy_table *t = NULL;
	struct rebuy_error err = {0};
	if (rebuy_table_read(&t, &o, &err) != REBUY_OK)
		fail_msg("reading %s: %s", path, err.msg);
	return t;
}

static struct rebuy_table *text_table(const char *name, const char *text)
{
	struct rebuy_table_options o;
	rebuy_table_options_init(&o);
	o.path = name;
	o.data = text;
	o.data_len = strlen(text);
	struct rebuy_table *t = NULL;
	struct rebuy_error err = {0};
	if (rebuy_table_read(&t, &o, &err) != REBUY_OK)
		fail_msg("reading %s: %s", name, err.msg);
	return t;
}

static struct rebuy_attrib_journeys *paths_of(const char *path)
{
	struct rebuy_table *t = read_table(path);
	struct rebuy_attrib_journeys *j = NULL;
	struct rebuy_error err = {0};
	if (rebuy_attrib_paths_read(t, NULL, &j, &err) != REBUY_OK)
		fail_msg("%s", err.msg);
	rebuy_table_free(t);
	return j;
}

static struct rebuy_attrib *compute(const struct rebuy_attrib_journeys *j,
                                    const struct rebuy_attrib_options *o)
{
	struct rebuy_attrib *a = NULL;
	struct rebuy_error err = {0};
	if (rebuy_attrib_compute(j, o, &a, &err) != REBUY_OK)
		fail_msg("%s", err.msg);
	return a;
}

static const struct rebuy_attrib_channel *chan(const struct rebuy_attrib *a, const char *name)
{
	for (size_t i = 0; i < a->n_channels; i++)
		if (strcmp(a->channels[i].name, name) == 0)
			return &a->channels[i];
	fail_msg("no channel '%s'", name);
	return NULL;
}

/* Each model's credits sum to the conversions and the value. */
static void check_sums(const struct rebuy_attrib *a)
{
	const struct rebuy_attrib_journeys *j = a->journeys;
	for (int m = 0; m < REBUY_ATTRIB_MODEL_COUNT; m++) {
		double c = 0, v = 0;
		for (size_t i = 0; i < a->n_channels; i++) {
			c += a->channels[i].conversions[m];
			v += a->channels[i].value[m];
		}
		NEAR_REL(c, j->conversions, 1e-12);
		NEAR_REL(v, j->value, 1e-12);
	}
}

/* paths.csv:
 *   a > b > c  c=2 v=10 n=1
 *   b          c=1 v=4  n=0
 *   c > a      c=1 v=6  n=2
 *   a > c > c > b  c=0 n=1
 * first: a 2/10, b 1/4, c 1/6.  last: a 1/6, b 1/4, c 2/10.
 * linear: a 2/3 + 1/2 = 7/6 (10/3 + 3), b 2/3 + 1 = 5/3 (10/3 + 4), c 7/6.
 * position 40/20/40: a .8 + .5 = 1.3 (4 + 3), b .4 + 1 = 1.4 (2 + 4),
 *   c .8 + .5 = 1.3 (4 + 3).
 * time decay, half-life 1 touch: a b c weigh 1/4 1/2 1 (of 7/4), c a
 *   weigh 1/2 1: a 2/7 + 2/3 = 20/21 (10/7 + 4), b 4/7 + 1 = 11/7
 *   (20/7 + 4), c 8/7 + 1/3 = 31/21 (40/7 + 2).
 * Markov (exact rationals): P = 1/2; RE a 41/64, b 97/184, c 101/140;
 *   credits 4 RE / sum RE = 132020/97333, 108640/97333, 148672/97333. */
static void test_attrib__hand_computed_paths(void **state)
{
	(void)state;
	struct rebuy_attrib_journeys *j = paths_of(tu_data_path("attrib/paths.csv"));
	assert_int_equal(j->n_channels, 3);
	assert_int_equal(j->n_journeys, 4);
	assert_int_equal(j->n_touches, 10);
	NEAR(j->conversions, 4);
	NEAR(j->value, 20);
	NEAR(j->nulls, 4);
	struct rebuy_attrib *a = compute(j, NULL);
	const struct rebuy_attrib_channel *A = chan(a, "a"), *B = chan(a, "b"), *C = chan(a, "c");
	assert_ptr_equal(A, &a->channels[0]); /* byte order */
	NEAR(A->conversions[REBUY_ATTRIB_FIRST_TOUCH], 2);
	NEAR(A->value[REBUY_ATTRIB_FIRST_TOUCH], 10);
	NEAR(B->conversions[REBUY_ATTRIB_FIRST_TOUCH], 1);
	NEAR(C->value[REBUY_ATTRIB_FIRST_TOUCH], 6);
	NEAR(A->conversions[REBUY_ATTRIB_LAST_TOUCH], 1);
	NEAR(A->value[REBUY_ATTRIB_LAST_TOUCH], 6);
	NEAR(B->value[REBUY_ATTRIB_LAST_TOUCH], 4);
	NEAR(C->conversions[REBUY_ATTRIB_LAST_TOUCH], 2);
	NEAR(A->conversions[REBUY_ATTRIB_LINEAR], 7.0 / 6);
	NEAR(A->value[REBUY_ATTRIB_LINEAR], 19.0 / 3);
	NEAR(B->conversions[REBUY_ATTRIB_LINEAR], 5.0 / 3);
	NEAR(B->value[REBUY_ATTRIB_LINEAR], 22.0 / 3);
	NEAR(C->conversions[REBUY_ATTRIB_LINEAR], 7.0 / 6);
	NEAR(A->conversions[REBUY_ATTRIB_POSITION], 1.3);
	NEAR(A->value[REBUY_ATTRIB_POSITION], 7);
	NEAR(B->conversions[REBUY_ATTRIB_POSITION], 1.4);
	NEAR(B->value[REBUY_ATTRIB_POSITION], 6);
	NEAR(C->conversions[REBUY_ATTRIB_POSITION], 1.3);
	NEAR(A->conversions[REBUY_ATTRIB_TIME_DECAY], 20.0 / 21);
	NEAR(A->value[REBUY_ATTRIB_TIME_DECAY], 38.0 / 7);
	NEAR(B->conversions[REBUY_ATTRIB_TIME_DECAY], 11.0 / 7);
	NEAR(B->value[REBUY_ATTRIB_TIME_DECAY], 48.0 / 7);
	NEAR(C->conversions[REBUY_ATTRIB_TIME_DECAY], 31.0 / 21);
	NEAR(C->value[REBUY_ATTRIB_TIME_DECAY], 54.0 / 7);
	NEAR(a->p_conversion, 0.5);
	NEAR(A->removal_effect, 41.0 / 64);
	NEAR(B->removal_effect, 97.0 / 184);
	NEAR(C->removal_effect, 101.0 / 140);
	NEAR(A->conversions[REBUY_ATTRIB_MARKOV], 132020.0 / 97333);
	NEAR(B->conversions[REBUY_ATTRIB_MARKOV], 108640.0 / 97333);
	NEAR(C->conversions[REBUY_ATTRIB_MARKOV], 148672.0 / 97333);
	NEAR(C->value[REBUY_ATTRIB_MARKOV], 20 * 148672.0 / 97333 / 4);
	assert_int_equal(A->touches, 3);
	assert_int_equal(C->touches, 4);
	assert_int_equal(C->converting_touches, 2);
	check_sums(a);
	rebuy_attrib_free(a);
	rebuy_attrib_journeys_free(j);
}

/* One touch takes all; two split first : last; the middle gets the rest. */
static void test_attrib__position_weights_and_short_paths(void **state)
{
	(void)state;
	struct rebuy_table *t = text_table("p.csv", "path,total_conversions\n"
	                                            "x,1\n"
	                                            "x > y,1\n"
	                                            "x > y > y > z,1\n");
	struct rebuy_attrib_journeys *j = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_attrib_paths_read(t, NULL, &j, &err), REBUY_OK);
	assert_int_equal(j->has_value, 0);
	struct rebuy_attrib_options o;
	rebuy_attrib_options_init(&o);
	o.position_first = 0.3;
	o.position_last = 0.6;
	struct rebuy_attrib *a = compute(j, &o);
	/* x: 1 + 0.3/0.9 + 0.3; y: 0.6/0.9 + 2 x 0.05; z: 0.6 */
	NEAR(chan(a, "x")->conversions[REBUY_ATTRIB_POSITION], 1 + 1.0 / 3 + 0.3);
	NEAR(chan(a, "y")->conversions[REBUY_ATTRIB_POSITION], 2.0 / 3 + 0.1);
	NEAR(chan(a, "z")->conversions[REBUY_ATTRIB_POSITION], 0.6);
	NEAR(chan(a, "x")->value[REBUY_ATTRIB_POSITION], 0);
	/* a path only of conversions: P = 1, and removing x (on every path)
	 * loses everything */
	NEAR(a->p_conversion, 1);
	NEAR(chan(a, "x")->removal_effect, 1);
	check_sums(a);
	rebuy_attrib_free(a);
	o.position_first = o.position_last = 0;
	a = compute(j, &o);
	/* two touches split evenly; the middle of x y y z shares everything */
	NEAR(chan(a, "x")->conversions[REBUY_ATTRIB_POSITION], 1.5);
	NEAR(chan(a, "y")->conversions[REBUY_ATTRIB_POSITION], 1.5);
	NEAR(chan(a, "z")->conversions[REBUY_ATTRIB_POSITION], 0);
	rebuy_attrib_free(a);
	o.position_first = 0.7;
	o.position_last = 0.4;
	assert_int_equal(rebuy_attrib_compute(j, &o, &a, &err), REBUY_EARG);
	assert_null(a);
	assert_non_null(strstr(err.msg, "--position-weights"));
	rebuy_attrib_journeys_free(j);
	rebuy_table_free(t);
}

/* ---- the reference data --------------------------------------------------- */

static double cell_num(const struct rebuy_table *t, size_t row, size_t col)
{
	return strtod(rebuy_table_cell(t, row, col), NULL);
}

static int col_of(const struct rebuy_table *t, const char *name)
{
	for (size_t c = 0; c < t->n_columns; c++)
		if (strcmp(rebuy_table_column_name(t, c), name) == 0)
			return (int)c;
	fail_msg("no column %s", name);
	return -1;
}

static void test_attrib__pathdata_matches_references(void **state)
{
	(void)state;
	const char *p = tu_shared_path("data/attribution/PathData.csv");
	if (!p) {
		skip();
		return;
	}
	struct rebuy_attrib_journeys *j = paths_of(p);
	assert_int_equal(j->n_journeys, 10000);
	assert_int_equal(j->n_channels, 12);
	NEAR(j->conversions, 19785);
	NEAR(j->nulls, 68602);
	struct rebuy_attrib *a = compute(j, NULL);
	check_sums(a);

	char ref[4096];
	snprintf(ref, sizeof ref, "%s",
	         tu_shared_path("reference/attribution/ref_heuristic_models.csv"));
	struct rebuy_table *h = read_table(ref);
	assert_int_equal(h->n_rows, 12);
	static const char *const hcols[3] = {"first_touch", "last_touch", "linear_touch"};
	static const int models[3] = {REBUY_ATTRIB_FIRST_TOUCH, REBUY_ATTRIB_LAST_TOUCH,
	                              REBUY_ATTRIB_LINEAR};
	for (size_t r = 0; r < h->n_rows; r++) {
		const struct rebuy_attrib_channel *ch = chan(a, rebuy_table_cell(h, r, 0));
		for (int k = 0; k < 3; k++) {
			char name[64];
			snprintf(name, sizeof name, "%s_conversions", hcols[k]);
			NEAR_ABS(ch->conversions[models[k]],
			         cell_num(h, r, (size_t)col_of(h, name)), 1e-9);
			snprintf(name, sizeof name, "%s_value", hcols[k]);
			NEAR_ABS(ch->value[models[k]], cell_num(h, r, (size_t)col_of(h, name)),
			         1e-9);
		}
	}
	rebuy_table_free(h);

	snprintf(ref, sizeof ref, "%s",
	         tu_shared_path("reference/attribution/ref_markov_order1_exact_absorbing.csv"));
	struct rebuy_table *m = read_table(ref);
	assert_int_equal(m->n_rows, 12);
	int re_col = col_of(m, "removal_effect"), conv_col = col_of(m, "total_conversions");
	for (size_t r = 0; r < m->n_rows; r++) {
		const struct rebuy_attrib_channel *ch = chan(a, rebuy_table_cell(m, r, 0));
		NEAR_REL(ch->removal_effect, cell_num(m, r, (size_t)re_col), 1e-9);
		NEAR_REL(ch->conversions[REBUY_ATTRIB_MARKOV], cell_num(m, r, (size_t)conv_col),
		         1e-9);
	}
	rebuy_table_free(m);
	rebuy_attrib_free(a);
	rebuy_attrib_journeys_free(j);
}

/* ---- the chain against a direct solve per removal ------------------------ */

/* P of the chain with channel r (1-based state; 0: none) removed, by plain
 * Gauss-Jordan elimination of the reduced system. */
static double direct_p(const double *T, size_t k, size_t r)
{
	size_t n = k + 1, w = k + 3;
	if (r == 0)
		r = SIZE_MAX;
	double *M = calloc(n * (n + 1), sizeof *M);
	assert_non_null(M);
	for (size_t i = 0; i < n; i++) {
		double sum = 0;
		for (size_t j = 0; j < w; j++)
			sum += T[i * w + j];
		M[i * (n + 1) + i] = 1;
		if (i == r || sum == 0)
			continue;
		for (size_t j = 0; j < n; j++)
			if (j != r)
				M[i * (n + 1) + j] -= T[i * w + j] / sum;
		M[i * (n + 1) + n] = T[i * w + k + 1] / sum;
	}
	for (size_t c = 0; c < n; c++) {
		size_t p = c;
		for (size_t i = c + 1; i < n; i++)
			if (fabs(M[i * (n + 1) + c]) > fabs(M[p * (n + 1) + c]))
				p = i;
		for (size_t j = 0; j <= n; j++) {
			double x = M[c * (n + 1) + j];
			M[c * (n + 1) + j] = M[p * (n + 1) + j];
			M[p * (n + 1) + j] = x;
		}
		for (size_t i = 0; i < n; i++) {
			if (i == c)
				continue;
			double f = M[i * (n + 1) + c] / M[c * (n + 1) + c];
			for (size_t j = c; j <= n; j++)
				M[i * (n + 1) + j] -= f * M[c * (n + 1) + j];
		}
	}
	double p0 = M[n] / M[0];
	free(M);
	return p0;
}

static void test_attrib__removal_effects_equal_direct_solves(void **state)
{
	(void)state;
	struct rebuy__rng rng;
	rebuy__rng_seed(&rng, 7);
	for (int trial = 0; trial < 50; trial++) {
		size_t k = 1 + rebuy__rng_next(&rng) % 15, w = k + 3;
		double *T = calloc((k + 1) * w, sizeof *T), *re = calloc(k, sizeof *re);
		assert_non_null(T);
		assert_non_null(re);
		/* random journeys: a start, a walk, an end in conversion or null */
		for (int path = 0; path < 40; path++) {
			size_t from = 0, len = 1 + rebuy__rng_next(&rng) % 6;
			double wgt = 1 + (double)(rebuy__rng_next(&rng) % 5);
			for (size_t s = 0; s < len; s++) {
				size_t to = 1 + rebuy__rng_next(&rng) % k;
				T[from * w + to] += wgt;
				from = to;
			}
			T[from * w + k + 1 + rebuy__rng_next(&rng) % 2] += wgt;
		}
		double P;
		struct rebuy_error err = {0};
		assert_int_equal(rebuy__attrib_markov_solve(T, k, &P, re, &err), REBUY_OK);
		double p0 = direct_p(T, k, 0);
		NEAR_REL(P, p0, 1e-12);
		for (size_t r = 0; r < k; r++) {
			double want = p0 > 0 ? 1 - direct_p(T, k, r + 1) / p0 : NAN;
			if (isnan(want))
				assert_true(isnan(re[r]));
			else
				NEAR_ABS(re[r], want, 1e-12);
		}
		free(T);
		free(re);
	}
}

/* ---- journeys from touchpoints and orders -------------------------------- */

static struct rebuy_orders *fixture_orders(void)
{
	struct rebuy_input_options o;
	rebuy_input_options_init(&o);
	o.n_threads = 1;
	o.path = tu_data_path("attrib/orders.csv");
	struct rebuy_orders *t = NULL;
	struct rebuy_error err = {0};
	if (rebuy_orders_load(&t, &o, NULL, &err) != REBUY_OK)
		fail_msg("%s", err.msg);
	return t;
}

static struct rebuy_attrib_journeys *journeys(const struct rebuy_attrib_touch_options *to)
{
	char path[4096];
	snprintf(path, sizeof path, "%s", tu_data_path("attrib/touchpoints.csv"));
	struct rebuy_table *t = read_table(path);
	struct rebuy_orders *o = fixture_orders();
	struct rebuy_attrib_journeys *j = NULL;
	struct rebuy_error err = {0};
	if (rebuy_attrib_journeys_build(t, o, to, &j, &err) != REBUY_OK)
		fail_msg("%s", err.msg);
	rebuy_orders_free(o);
	rebuy_table_free(t);
	return j;
}

/* orders: c1 01-10 100, 02-10 50, 03-10 30; c2 01-05 20, 01-20 40; c3
 * 01-15 10. Touches: c1 search 01-01, email 01-08 | email 02-01, social
 * 02-09, email 02-10 (the purchase's own day: its) | social 03-15 (after
 * the last purchase); c2 search 01-03 | display 01-12; c4 (never bought)
 * display 01-02, email 01-09. Journeys:
 *   J1 search email -> 100; J2 email social email -> 50; J3 social (null);
 *   J4 search -> 20; J5 display -> 40; J6 display email (null);
 *   c1's 03-10 and c3's purchase have no touch (value 40).
 * first: search 2 (120), email 1 (50), display 1 (40).
 * last: email 2 (150), search 1 (20), display 1 (40).
 * linear: search 1.5 (70), email 7/6 (250/3), social 1/3 (50/3), display 1.
 * position: J2's first and last are both email: email .5 + .8 = 1.3 (90),
 *   social .2 (10), search 1.5 (70).
 * time decay, 7 days: J1 ages 9, 2 days: search 1/3, email 2/3; J2 ages 9,
 *   1, 0: email (2^(-9/7) + 1) / s, social 2^(-1/7) / s.
 * Markov (exact rationals): P = 2/3, RE display 11/28, email 1/2, search
 *   11/28, social 1/8; conversions 4 RE / sum = 88/79, 112/79, 88/79, 28/79.
 * cost: search 1 + 1, email 4 x 0.5, social 2 + 2, display 3 + 3. */
static void test_attrib__journeys_hand_computed(void **state)
{
	(void)state;
	struct rebuy_attrib_touch_options to;
	rebuy_attrib_touch_options_init(&to);
	struct rebuy_attrib_journeys *j = journeys(&to);
	assert_int_equal(j->n_journeys, 6);
	assert_int_equal(j->n_touches, 10);
	assert_int_equal(j->touch_rows, 10);
	assert_int_equal(j->orders, 6);
	assert_int_equal(j->orders_without_touches, 2);
	NEAR(j->value_without_touches, 40);
	assert_int_equal(j->customers_without_orders, 1);
	assert_int_equal(j->touches_unused, 0);
	NEAR(j->conversions, 4);
	NEAR(j->value, 210);
	NEAR(j->nulls, 2);
	assert_true(j->has_cost);
	struct rebuy_attrib *a = compute(j, NULL);
	const struct rebuy_attrib_channel *disp = chan(a, "display"), *email = chan(a, "email"),
	                                  *search = chan(a, "search"), *social = chan(a, "social");
	NEAR(search->conversions[REBUY_ATTRIB_FIRST_TOUCH], 2);
	NEAR(search->value[REBUY_ATTRIB_FIRST_TOUCH], 120);
	NEAR(email->value[REBUY_ATTRIB_FIRST_TOUCH], 50);
	NEAR(disp->value[REBUY_ATTRIB_FIRST_TOUCH], 40);
	NEAR(social->conversions[REBUY_ATTRIB_FIRST_TOUCH], 0);
	NEAR(email->conversions[REBUY_ATTRIB_LAST_TOUCH], 2);
	NEAR(email->value[REBUY_ATTRIB_LAST_TOUCH], 150);
	NEAR(search->value[REBUY_ATTRIB_LAST_TOUCH], 20);
	NEAR(search->conversions[REBUY_ATTRIB_LINEAR], 1.5);
	NEAR(search->value[REBUY_ATTRIB_LINEAR], 70);
	NEAR(email->conversions[REBUY_ATTRIB_LINEAR], 7.0 / 6);
	NEAR(email->value[REBUY_ATTRIB_LINEAR], 250.0 / 3);
	NEAR(social->value[REBUY_ATTRIB_LINEAR], 50.0 / 3);
	NEAR(email->conversions[REBUY_ATTRIB_POSITION], 1.3);
	NEAR(email->value[REBUY_ATTRIB_POSITION], 90);
	NEAR(social->value[REBUY_ATTRIB_POSITION], 10);
	assert_false(a->decay_by_touches);
	double s = exp2(-9.0 / 7) + exp2(-1.0 / 7) + 1;
	NEAR(search->conversions[REBUY_ATTRIB_TIME_DECAY], 1.0 / 3 + 1);
	NEAR(email->conversions[REBUY_ATTRIB_TIME_DECAY], 2.0 / 3 + (exp2(-9.0 / 7) + 1) / s);
	NEAR(social->value[REBUY_ATTRIB_TIME_DECAY], 50 * exp2(-1.0 / 7) / s);
	NEAR(a->p_conversion, 2.0 / 3);
	NEAR(disp->removal_effect, 11.0 / 28);
	NEAR(email->removal_effect, 0.5);
	NEAR(social->removal_effect, 0.125);
	NEAR(email->conversions[REBUY_ATTRIB_MARKOV], 112.0 / 79);
	NEAR(social->value[REBUY_ATTRIB_MARKOV], 210 * 28.0 / 79 / 4);
	NEAR(search->cost, 2);
	NEAR(email->cost, 2);
	NEAR(social->cost, 4);
	NEAR(disp->cost, 6);
	check_sums(a);
	rebuy_attrib_free(a);
	rebuy_attrib_journeys_free(j);
}

/* A 5-day lookback drops c1's search (9 days), email 02-01 (9) and c2's
 * display (8): c2's second purchase has no touch left. */
static void test_attrib__journeys_lookback(void **state)
{
	(void)state;
	struct rebuy_attrib_touch_options to;
	rebuy_attrib_touch_options_init(&to);
	to.lookback_days = 5;
	struct rebuy_attrib_journeys *j = journeys(&to);
	assert_int_equal(j->touches_unused, 3);
	assert_int_equal(j->orders, 6);
	assert_int_equal(j->orders_without_touches, 3);
	NEAR(j->value_without_touches, 80);
	NEAR(j->conversions, 3);
	struct rebuy_attrib *a = compute(j, NULL);
	NEAR(chan(a, "email")->value[REBUY_ATTRIB_FIRST_TOUCH], 100);
	NEAR(chan(a, "social")->value[REBUY_ATTRIB_FIRST_TOUCH], 50);
	NEAR(chan(a, "search")->value[REBUY_ATTRIB_FIRST_TOUCH], 20);
	NEAR(chan(a, "display")->conversions[REBUY_ATTRIB_FIRST_TOUCH], 0);
	NEAR(chan(a, "search")->cost, 1);
	NEAR(chan(a, "email")->cost, 1.5);
	NEAR(chan(a, "display")->cost, 3);
	check_sums(a);
	rebuy_attrib_free(a);
	rebuy_attrib_journeys_free(j);
}

/* Repeat purchases only: the first purchases (c1 01-10, c2 01-05, c3
 * 01-15) and the touches before them are left out, and so is c4, who
 * never bought. */
static void test_attrib__journeys_repeat_only(void **state)
{
	(void)state;
	struct rebuy_attrib_touch_options to;
	rebuy_attrib_touch_options_init(&to);
	to.repeat_only = 1;
	struct rebuy_attrib_journeys *j = journeys(&to);
	assert_int_equal(j->orders_first_skipped, 3);
	assert_int_equal(j->orders, 3);
	assert_int_equal(j->orders_without_touches, 1);
	assert_int_equal(j->touches_unused, 5);
	assert_int_equal(j->n_journeys, 3);
	NEAR(j->conversions, 2);
	NEAR(j->value, 90);
	NEAR(j->nulls, 1);
	struct rebuy_attrib *a = compute(j, NULL);
	NEAR(chan(a, "email")->value[REBUY_ATTRIB_FIRST_TOUCH], 50);
	NEAR(chan(a, "display")->value[REBUY_ATTRIB_FIRST_TOUCH], 40);
	NEAR(chan(a, "search")->conversions[REBUY_ATTRIB_LINEAR], 0);
	check_sums(a);
	rebuy_attrib_free(a);
	rebuy_attrib_journeys_free(j);
}

/* The campaign column credited instead of the channel. */
static void test_attrib__journeys_by_campaign(void **state)
{
	(void)state;
	struct rebuy_attrib_touch_options to;
	rebuy_attrib_touch_options_init(&to);
	to.column[REBUY_ATTRIB_TOUCH_CHANNEL] = "campaign";
	struct rebuy_attrib_journeys *j = journeys(&to);
	assert_int_equal(j->n_channels, 4); /* brand launch newsletter welcome */
	struct rebuy_attrib *a = compute(j, NULL);
	/* J1 brand welcome, J2 newsletter launch newsletter, J4 brand, J5 launch */
	NEAR(chan(a, "brand")->value[REBUY_ATTRIB_FIRST_TOUCH], 120);
	NEAR(chan(a, "newsletter")->value[REBUY_ATTRIB_LAST_TOUCH], 50);
	NEAR(chan(a, "launch")->conversions[REBUY_ATTRIB_LINEAR], 1 + 1.0 / 3);
	rebuy_attrib_free(a);
	rebuy_attrib_journeys_free(j);
}

/* ---- errors --------------------------------------------------------------- */

static void expect_paths_error(const char *file, enum rebuy_status want, const char *msg)
{
	char path[4096];
	snprintf(path, sizeof path, "%s", tu_data_path(file));
	struct rebuy_table *t = read_table(path);
	struct rebuy_attrib_journeys *j = (struct rebuy_attrib_journeys *)&t; /* must be reset */
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_attrib_paths_read(t, NULL, &j, &err), want);
	assert_null(j);
	if (!strstr(err.msg, msg))
		fail_msg("'%s' does not hold '%s'", err.msg, msg);
	rebuy_table_free(t);
}

static void expect_touch_error(const char *file, const char *msg)
{
	char path[4096];
	snprintf(path, sizeof path, "%s", tu_data_path(file));
	struct rebuy_table *t = read_table(path);
	struct rebuy_orders *o = fixture_orders();
	struct rebuy_attrib_journeys *j = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_attrib_journeys_build(t, o, NULL, &j, &err), REBUY_EDATA);
	assert_null(j);
	if (!strstr(err.msg, msg))
		fail_msg("'%s' does not hold '%s'", err.msg, msg);
	rebuy_orders_free(o);
	rebuy_table_free(t);
}

static void test_attrib__bad_input_names_line_and_column(void **state)
{
	(void)state;
	expect_paths_error("attrib/bad_channel.csv", REBUY_EDATA,
	                   "bad_channel.csv:3:1: an empty channel in path 'a >  > b'");
	expect_paths_error("attrib/bad_count.csv", REBUY_EDATA,
	                   "bad_count.csv:3:2: conversions 'x' is not a number from 0 to 1e15");
	expect_paths_error("attrib/negative.csv", REBUY_EDATA,
	                   "negative.csv:2:2: conversions '-1' is not a number from 0 to 1e15");
	expect_paths_error("attrib/touchpoints.csv", REBUY_EDATA, "no path column");
	expect_touch_error("attrib/bad_time.csv",
	                   "bad_time.csv:3:2: cannot read time '2024-13-01'");
	expect_touch_error("attrib/empty_channel.csv", "empty_channel.csv:3:3: empty channel");
	expect_touch_error("attrib/bad_cost.csv", "bad_cost.csv:3:4: cost '$3' is not a number");
	struct rebuy_table *t = text_table("e.csv", "path,total_conversions\n\"\",1\n");
	struct rebuy_attrib_journeys *j = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_attrib_paths_read(t, NULL, &j, &err), REBUY_EDATA);
	assert_string_equal(err.msg, "e.csv:2:1: an empty path");
	rebuy_table_free(t);
}

/* ---- the report's section ----------------------------------------------- */

static char *report_with(const struct rebuy_attrib *a)
{
	struct rebuy_orders *o = fixture_orders();
	struct rebuy_report_options ro;
	rebuy_report_options_init(&ro);
	ro.n_threads = 1;
	ro.attrib = a;
	struct rebuy_sbuf page;
	rebuy_sbuf_init(&page);
	struct rebuy_error err = {0};
	if (rebuy_report_build(o, &ro, &page, &err) != REBUY_OK)
		fail_msg("%s", err.msg);
	rebuy_orders_free(o);
	char *html = strdup(page.p);
	rebuy_sbuf_free(&page);
	return html;
}

/* The section is there only with attribution results; it holds the table,
 * one bar chart per model, and escapes channel names from the input. */
static void test_attrib__report_section(void **state)
{
	(void)state;
	char *plain = report_with(NULL);
	assert_null(strstr(plain, "data-section=\"attribution\""));
	assert_null(strstr(plain, "#sec-attribution"));
	free(plain);
	struct rebuy_table *t =
	        text_table("p.csv", "path,total_conversions,total_conversion_value\n"
	                            "\"<b onmouseover='x'&c > b\",3,30\n"
	                            "b,1,5\n");
	struct rebuy_attrib_journeys *j = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_attrib_paths_read(t, NULL, &j, &err), REBUY_OK);
	struct rebuy_attrib *a = compute(j, NULL);
	char *html = report_with(a);
	const char *sec = strstr(html, "data-section=\"attribution\">");
	assert_non_null(sec);
	assert_non_null(strstr(html, "href=\"#sec-attribution\""));
	assert_true(sec < strstr(html, "data-section=\"quality\""));
	assert_null(strstr(html, "<b onmouseover"));
	assert_non_null(strstr(sec, "&lt;b onmouseover=&#39;x&#39;&amp;c"));
	assert_non_null(strstr(sec, "data-table=\"attribution-conversions\""));
	assert_non_null(strstr(sec, "data-table=\"attribution-value\""));
	for (int m = 0; m < REBUY_ATTRIB_MODEL_COUNT; m++) {
		char id[64];
		snprintf(id, sizeof id, "data-chart=\"attribution-%s\"",
		         m == REBUY_ATTRIB_FIRST_TOUCH  ? "first-touch"
		         : m == REBUY_ATTRIB_LAST_TOUCH ? "last-touch"
		         : m == REBUY_ATTRIB_TIME_DECAY ? "time-decay"
		                                        : rebuy_attrib_model_name(m));
		if (!strstr(sec, id))
			fail_msg("no %s", id);
	}
	/* first touch: the hostile channel 3 of 4 conversions, b 1 */
	assert_non_null(strstr(sec, "<td>3.0</td>"));
	free(html);
	rebuy_attrib_free(a);
	rebuy_attrib_journeys_free(j);
	rebuy_table_free(t);
}

/* ---- allocation failures -------------------------------------------------- */

static void test_attrib__allocation_failures_are_clean(void **state)
{
	(void)state;
	char path[4096];
	snprintf(path, sizeof path, "%s", tu_data_path("attrib/paths.csv"));
	struct rebuy_table *t = read_table(path);
	int completed = 0;
	for (long n = 0; n < 2000 && !completed; n++) {
		struct rebuy_attrib_journeys *j = NULL;
		struct rebuy_attrib *a = NULL;
		struct rebuy_doc *doc = NULL;
		struct rebuy_error err = {0};
		tu_fail_after(n);
		enum rebuy_status st = rebuy_attrib_paths_read(t, NULL, &j, &err);
		if (st == REBUY_OK)
			st = rebuy_attrib_compute(j, NULL, &a, &err);
		int failed = tu_fail_triggered();
		tu_fail_after(-1);
		if (st != REBUY_OK) {
			assert_int_equal(st, REBUY_ENOMEM);
			assert_true(failed);
		} else {
			completed = !failed;
			doc = rebuy_doc_new();
			rebuy_attrib_doc(a, NULL, doc, rebuy_doc_root(doc));
			assert_false(rebuy_doc_failed(doc));
		}
		rebuy_doc_free(doc);
		rebuy_attrib_free(a);
		rebuy_attrib_journeys_free(j);
	}
	assert_true(completed);
	rebuy_table_free(t);
	/* the journeys from touchpoints, likewise */
	snprintf(path, sizeof path, "%s", tu_data_path("attrib/touchpoints.csv"));
	t = read_table(path);
	struct rebuy_orders *o = fixture_orders();
	struct rebuy_attrib_touch_options to;
	rebuy_attrib_touch_options_init(&to);
	to.lookback_days = 30;
	completed = 0;
	for (long n = 0; n < 2000 && !completed; n++) {
		struct rebuy_attrib_journeys *j = NULL;
		struct rebuy_error err = {0};
		tu_fail_after(n);
		enum rebuy_status st = rebuy_attrib_journeys_build(t, o, &to, &j, &err);
		int failed = tu_fail_triggered();
		tu_fail_after(-1);
		if (st != REBUY_OK) {
			assert_int_equal(st, REBUY_ENOMEM);
			assert_true(failed);
			assert_null(j);
		} else {
			completed = !failed;
			assert_int_equal(j->n_journeys, 6);
		}
		rebuy_attrib_journeys_free(j);
	}
	assert_true(completed);
	rebuy_orders_free(o);
	rebuy_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_attrib__hand_computed_paths),
	        cmocka_unit_test(test_attrib__position_weights_and_short_paths),
	        cmocka_unit_test(test_attrib__pathdata_matches_references),
	        cmocka_unit_test(test_attrib__removal_effects_equal_direct_solves),
	        cmocka_unit_test(test_attrib__journeys_hand_computed),
	        cmocka_unit_test(test_attrib__journeys_lookback),
	        cmocka_unit_test(test_attrib__journeys_repeat_only),
	        cmocka_unit_test(test_attrib__journeys_by_campaign),
	        cmocka_unit_test(test_attrib__bad_input_names_line_and_column),
	        cmocka_unit_test(test_attrib__report_section),
	        cmocka_unit_test(test_attrib__allocation_failures_are_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
