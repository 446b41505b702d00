/* Propensity models (rebuy/propensity.h): the metrics by hand and against
 * an O(n^2) pair count; the logit against its closed form and against an
 * independent long-double Newton; the boosted trees' falling training loss
 * and a known step function; thread-count independence; and the whole time
 * split on generated orders, which must rank buyers well above chance.
 * Tolerances are stated at each check. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/date.h"
#include "rebuy/features.h"
#include "rebuy/gen.h"
#include "rebuy/input.h"
#include "rebuy/propensity.h"
#include "testutil.h"

/* A small deterministic generator for test data (not rebuy's). */
static uint64_t lcg_state;

static double unif(void)
{
	lcg_state = lcg_state * 6364136223846793005u + 1442695040888963407u;
	return (double)(lcg_state >> 11) / 9007199254740992.0;
}

/* ---- metrics ---- */

static void test_auc__ties_count_half_by_hand(void **state)
{
	(void)state;
	struct rebuy_error err = {0};
	double auc;
	/* positives 0.35, 0.8, 0.4 against negatives 0.1, 0.4: the pairs are
	 * 1, 0, 1, 1, 1 and one tie (0.4, 0.4) = 1/2, so 4.5 / 6. */
	const double s[] = {0.1, 0.4, 0.35, 0.8, 0.4};
	const uint8_t y[] = {0, 0, 1, 1, 1};
	assert_int_equal(rebuy_metric_auc(s, y, 5, &auc, &err), REBUY_OK);
	assert_true(auc == 0.75); /* exact: 4.5 / 6 */
	/* All tied: every pair is one half. */
	const double flat[] = {0.3, 0.3, 0.3, 0.3};
	const uint8_t y2[] = {1, 0, 1, 0};
	assert_int_equal(rebuy_metric_auc(flat, y2, 4, &auc, &err), REBUY_OK);
	assert_true(auc == 0.5);
	/* Perfect and reversed rankings. */
	const double up[] = {0.1, 0.2, 0.3, 0.4};
	const uint8_t yu[] = {0, 0, 1, 1}, yd[] = {1, 1, 0, 0};
	assert_int_equal(rebuy_metric_auc(up, yu, 4, &auc, &err), REBUY_OK);
	assert_true(auc == 1);
	assert_int_equal(rebuy_metric_auc(up, yd, 4, &auc, &err), REBUY_OK);
	assert_true(auc == 0);
	/* One class only: undefined. */
	const uint8_t ones[] = {1, 1, 1, 1};
	assert_int_equal(rebuy_metric_auc(up, ones, 4, &auc, &err), REBUY_OK);
	assert_true(isnan(auc));
}

static void test_auc__equals_the_pair_count_on_random_ties(void **state)
{
	(void)state;
	enum { N = 1500 };
	static double s[N];
	static uint8_t y[N];
	lcg_state = 7;
	for (int trial = 0; trial < 5; trial++) {
		for (int i = 0; i < N; i++) {
			/* scores on a coarse grid: many ties; labels leaning on them */
			s[i] = floor(unif() * 20) / 20;
			y[i] = unif() < 0.3 + 0.4 * s[i];
		}
		double pairs = 0, n1 = 0, n0 = 0;
		for (int i = 0; i < N; i++) {
			n1 += y[i];
			for (int j = 0; j < N; j++)
				if (y[i] && !y[j])
					pairs += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
		}
		n0 = N - n1;
		double auc;
		struct rebuy_error err = {0};
		assert_int_equal(rebuy_metric_auc(s, y, N, &auc, &err), REBUY_OK);
		/* Both are the same multiple of 1/2 over n1 n0, each summed exactly
		 * in doubles and divided once: equal to the last bit. */
		assert_true(auc == pairs / (n1 * n0));
		assert_true(auc > 0.55 && auc < 0.8);
	}
}

static void test_log_loss_and_brier__by_hand(void **state)
{
	(void)state;
	/* p = 1 for a non-buyer is clipped to 1 - 1e-15, which is 1 -
	 * 9.992007221626409e-16 in doubles: -log of that is 34.53957599234088
	 * (not the 34.5388 of -log(1e-15)). */
	const double p[] = {0.8, 0.3, 1.0, 0.0};
	const uint8_t y[] = {1, 0, 0, 0};
	double want = (-log(0.8) - log(0.7) - log1p(-(1 - 1e-15)) - log1p(-1e-15)) / 4;
	assert_true(fabs(rebuy_metric_log_loss(p, y, 4) - want) < 1e-15);
	assert_true(fabs(rebuy_metric_log_loss(p, y, 4) -
	                 (0.22314355131420976 + 0.35667494393873245 + 34.53957599234088) / 4) <
	            1e-9);
	/* (0.2^2 + 0.3^2 + 1 + 0) / 4 */
	assert_true(fabs(rebuy_metric_brier(p, y, 4) - 0.2825) < 1e-16);
	assert_true(isnan(rebuy_metric_brier(p, y, 0)));
}

static void test_calibration__equal_count_deciles(void **state)
{
	(void)state;
	enum { N = 25 };
	double p[N];
	uint8_t y[N];
	/* given in reverse so that the table must sort them */
	for (int i = 0; i < N; i++) {
		p[i] = (double)(N - 1 - i) / N;
		y[i] = (N - 1 - i) % 5 == 0;
	}
	struct rebuy_classifier_metrics m;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_classifier_metrics(p, y, N, &m, &err), REBUY_OK);
	assert_int_equal(m.n_bins, 10);
	/* group g holds the sorted rows [25 g / 10, 25 (g + 1) / 10): sizes
	 * 2, 3, 2, 3, ... */
	static const size_t sizes[10] = {2, 3, 2, 3, 2, 3, 2, 3, 2, 3};
	size_t lo = 0;
	double ece = 0;
	for (int g = 0; g < 10; g++) {
		assert_int_equal(m.bins[g].n, sizes[g]);
		double sp = 0, sy = 0;
		for (size_t k = lo; k < lo + sizes[g]; k++) {
			sp += (double)k / N;
			sy += k % 5 == 0;
		}
		assert_true(fabs(m.bins[g].mean_predicted - sp / (double)sizes[g]) < 1e-15);
		assert_true(m.bins[g].observed == sy / (double)sizes[g]);
		assert_true(m.bins[g].p_min == (double)lo / N);
		ece += (double)sizes[g] / N * fabs(sp / (double)sizes[g] - sy / (double)sizes[g]);
		lo += sizes[g];
	}
	assert_true(fabs(m.calibration_error - ece) < 1e-15);
	assert_true(fabs(m.mean_predicted - 0.48) < 1e-15); /* (0 + ... + 24) / 25 / 25 */
	/* Fewer rows than deciles: one row each. */
	assert_int_equal(rebuy_classifier_metrics(p, y, 3, &m, &err), REBUY_OK);
	assert_int_equal(m.n_bins, 3);
}

/* ---- logistic regression ---- */

static struct rebuy_logit *logit_or_fail(const double *x, size_t n, size_t m, const uint8_t *y,
                                         const struct rebuy_logit_options *o)
{
	struct rebuy_logit *model = NULL;
	struct rebuy_error err = {0};
	if (rebuy_logit_fit(x, n, m, y, o, &model, &err) != REBUY_OK)
		fail_msg("rebuy_logit_fit: %s", err.msg);
	return model;
}

/* One binary input, no penalty: the MLE makes each group's fitted rate its
 * observed rate, so on the raw scale b0 = logit(3/10) and b1 = logit(14/20)
 * - logit(3/10); standardizing with mean 2/3 and sd sqrt(2/9) gives the
 * slope b1 sd and the intercept b0 + b1 mean. */
static void test_logit__one_binary_input_has_the_closed_form(void **state)
{
	(void)state;
	enum { N = 30 };
	double x[N];
	uint8_t y[N];
	for (int i = 0; i < N; i++) {
		x[i] = i < 10 ? 0 : 1;
		y[i] = i < 10 ? i < 3 : i < 24;
	}
	struct rebuy_logit_options o;
	rebuy_logit_options_init(&o);
	o.l2 = 0;
	o.log_inputs = 0;
	struct rebuy_logit *m = logit_or_fail(x, N, 1, y, &o);
	double b0 = log(3.0 / 7.0), b1 = log(14.0 / 6.0) - b0;
	double mean = 2.0 / 3.0, sd = sqrt(2.0 / 9.0);
	assert_true(m->converged);
	assert_true(fabs(m->mean[0] - mean) < 1e-15);
	assert_true(fabs(m->sd[0] - sd) < 1e-15);
	/* Newton to a gradient of 1e-10: the parameters within ~1e-9. */
	assert_true(fabs(m->coef[0] - b1 * sd) < 1e-9);
	assert_true(fabs(m->intercept - (b0 + b1 * mean)) < 1e-9);
	double p[2], xs[2] = {0, 1};
	rebuy_logit_predict(m, xs, 2, p);
	assert_true(fabs(p[0] - 0.3) < 1e-10 && fabs(p[1] - 0.7) < 1e-10);
	/* The mean log loss at the MLE: the groups' entropies. */
	double ll = -(3 * log(0.3) + 7 * log(0.7) + 14 * log(0.7) + 6 * log(0.3)) / N;
	assert_true(fabs(m->log_loss - ll) < 1e-12);
	rebuy_logit_free(m);
}

/* Solves a 3 x 3 system by Gaussian elimination with partial pivoting. */
static void solve3(long double a[3][3], long double b[3], long double x[3])
{
	for (int c = 0; c < 3; c++) {
		int piv = c;
		for (int r = c + 1; r < 3; r++)
			if (fabsl(a[r][c]) > fabsl(a[piv][c]))
				piv = r;
		for (int k = 0; k < 3; k++) {
			long double t = a[c][k];
			a[c][k] = a[piv][k];
			a[piv][k] = t;
		}
		long double t = b[c];
		b[c] = b[piv];
		b[piv] = t;
		for (int r = c + 1; r < 3; r++) {
			long double f = a[r][c] / a[c][c];
			for (int k = c; k < 3; k++)
				a[r][k] -= f * a[c][k];
			b[r] -= f * b[c];
		}
	}
	for (int r = 2; r >= 0; r--) {
		long double s = b[r];
		for (int k = r + 1; k < 3; k++)
			s -= a[r][k] * x[k];
		x[r] = s / a[r][r];
	}
}

/* Two correlated inputs with an L2 penalty: a plain long-double Newton
 * written here from the objective's definition (no line search, 50 steps,
 * far past convergence) gives the reference. */
static void test_logit__matches_an_independent_newton(void **state)
{
	(void)state;
	enum { N = 200 };
	static double x[N * 2];
	static uint8_t y[N];
	lcg_state = 11;
	for (int i = 0; i < N; i++) {
		double a = unif() * 4 - 2, b = a * 0.5 + unif() * 3 - 1;
		x[2 * i] = a;
		x[2 * i + 1] = b;
		y[i] = unif() < 1 / (1 + exp(-(0.3 + 1.2 * a - 0.7 * b)));
	}
	const double l2 = 0.05;
	long double mu[2] = {0}, sd[2] = {0}, z[N][2];
	for (int j = 0; j < 2; j++) {
		for (int i = 0; i < N; i++)
			mu[j] += x[2 * i + j];
		mu[j] /= N;
		for (int i = 0; i < N; i++)
			sd[j] += (x[2 * i + j] - mu[j]) * (x[2 * i + j] - mu[j]);
		sd[j] = sqrtl(sd[j] / N);
		for (int i = 0; i < N; i++)
			z[i][j] = (x[2 * i + j] - mu[j]) / sd[j];
	}
	long double bref[3] = {0, 0, 0};
	for (int it = 0; it < 50; it++) {
		long double g[3] = {0}, h[3][3] = {{0}}, step[3];
		for (int i = 0; i < N; i++) {
			long double zi[3] = {1, z[i][0], z[i][1]};
			long double eta = bref[0] + bref[1] * zi[1] + bref[2] * zi[2];
			long double p = 1 / (1 + expl(-eta)), w = p * (1 - p);
			for (int a = 0; a < 3; a++) {
				g[a] += (p - y[i]) * zi[a] / N;
				for (int c = 0; c < 3; c++)
					h[a][c] += w * zi[a] * zi[c] / N;
			}
		}
		for (int a = 1; a < 3; a++) {
			g[a] += l2 * bref[a];
			h[a][a] += l2;
		}
		for (int a = 0; a < 3; a++)
			g[a] = -g[a];
		solve3(h, g, step);
		for (int a = 0; a < 3; a++)
			bref[a] += step[a];
	}
	struct rebuy_logit_options o;
	rebuy_logit_options_init(&o);
	o.l2 = l2;
	struct rebuy_logit *m = logit_or_fail(x, N, 2, y, &o);
	assert_true(m->converged);
	assert_false(m->is_log[0] || m->is_log[1]); /* the inputs go negative */
	/* gradient <= 1e-10 with a Hessian of order 0.1: parameters within 1e-8 */
	assert_true(fabsl(m->intercept - bref[0]) < 1e-8);
	assert_true(fabsl(m->coef[0] - bref[1]) < 1e-8);
	assert_true(fabsl(m->coef[1] - bref[2]) < 1e-8);
	assert_true(m->coef[0] > 0.5 && m->coef[1] < 0); /* the signs of the truth */
	rebuy_logit_free(m);
}

/* log(1 + x) inputs are the same model as raw inputs that were log1p'd
 * beforehand; a constant input is left out with coefficient 0. */
static void test_logit__log_inputs_and_constant_columns(void **state)
{
	(void)state;
	enum { N = 300 };
	static double x[N * 3], xl[N * 3];
	static uint8_t y[N];
	lcg_state = 5;
	for (int i = 0; i < N; i++) {
		double a = floor(unif() * 50), b = unif() * 1000;
		x[3 * i] = a;
		x[3 * i + 1] = b;
		x[3 * i + 2] = 7;
		xl[3 * i] = log1p(a);
		xl[3 * i + 1] = log1p(b);
		xl[3 * i + 2] = log1p(7.0);
		y[i] = unif() < 1 / (1 + exp(-(log1p(a) - 2)));
	}
	struct rebuy_logit_options o;
	rebuy_logit_options_init(&o);
	struct rebuy_logit *m = logit_or_fail(x, N, 3, y, &o);
	o.log_inputs = 0;
	struct rebuy_logit *r = logit_or_fail(xl, N, 3, y, &o);
	assert_true(m->converged && r->converged);
	assert_true(m->is_log[0] && m->is_log[1] && m->is_log[2]);
	for (int j = 0; j < 3; j++)
		assert_true(fabs(m->coef[j] - r->coef[j]) < 1e-9);
	assert_true(m->coef[2] == 0 && m->sd[2] == 1 && m->is_constant[2]);
	assert_false(m->is_constant[0] || m->is_constant[1]);
	assert_true(m->coef[0] > 0.5);
	rebuy_logit_free(m);
	rebuy_logit_free(r);
}

/* ---- boosted trees ---- */

static struct rebuy_gbm *gbm_or_fail(const double *x, size_t n, size_t m, const uint8_t *y,
                                     const struct rebuy_gbm_options *o)
{
	struct rebuy_gbm *g = NULL;
	struct rebuy_error err = {0};
	if (rebuy_gbm_fit(x, n, m, y, o, &g, &err) != REBUY_OK)
		fail_msg("rebuy_gbm_fit: %s", err.msg);
	return g;
}

static void test_gbm__training_loss_never_rises(void **state)
{
	(void)state;
	enum { N = 3000, M = 4 };
	static double x[N * M];
	static uint8_t y[N];
	lcg_state = 3;
	for (int i = 0; i < N; i++) {
		for (int j = 0; j < M; j++)
			x[i * M + j] = unif();
		double f = 3 * (x[i * M] > 0.6) - 2 * x[i * M + 1] * x[i * M + 2] - 0.5;
		y[i] = unif() < 1 / (1 + exp(-f));
	}
	struct rebuy_gbm_options o;
	rebuy_gbm_options_init(&o);
	/* A full Newton step with deep trees and small leaves overshoots now
	 * and then: the halving must catch it. */
	o.n_rounds = 150;
	o.depth = 4;
	o.learning_rate = 1;
	o.l2 = 0;
	o.min_leaf = 1;
	struct rebuy_gbm *g = gbm_or_fail(x, N, M, y, &o);
	assert_true(g->n_trees > 10);
	assert_true(g->n_halved > 0); /* the guard was needed */
	for (size_t t = 1; t <= g->n_trees; t++)
		assert_true(g->train_log_loss[t] <= g->train_log_loss[t - 1]);
	assert_true(g->train_log_loss[g->n_trees] < 0.8 * g->train_log_loss[0]);
	/* The recorded loss is the model's: predict agrees. */
	static double p[N];
	rebuy_gbm_predict(g, x, N, p);
	assert_true(fabs(rebuy_metric_log_loss(p, y, N) - g->train_log_loss[g->n_trees]) < 1e-12);
	rebuy_gbm_free(g);
	/* The defaults too, on the same data. */
	rebuy_gbm_options_init(&o);
	g = gbm_or_fail(x, N, M, y, &o);
	for (size_t t = 1; t <= g->n_trees; t++)
		assert_true(g->train_log_loss[t] <= g->train_log_loss[t - 1]);
	assert_int_equal(g->n_trees, o.n_rounds);
	rebuy_gbm_free(g);
}

/* A step function: P(y = 1) = 0.2 below x = 0.5 and 0.8 above, with the
 * labels laid out so that every block of 5 rows holds exactly that share.
 * 1280 distinct values in 128 bins put 10 rows (two blocks) in each bin, so
 * no split inside a side can gain; stumps must split at the step and
 * converge to the two rates. */
static void test_gbm__fits_a_step_function(void **state)
{
	(void)state;
	enum { N = 1280 };
	static double x[N], p[N];
	static uint8_t y[N];
	for (int i = 0; i < N; i++) {
		x[i] = (double)i / N;
		y[i] = i < N / 2 ? i % 5 == 0 : i % 5 != 0;
	}
	struct rebuy_gbm_options o;
	rebuy_gbm_options_init(&o);
	o.depth = 1;
	o.n_rounds = 300;
	o.learning_rate = 0.5;
	o.min_leaf = 1;
	struct rebuy_gbm *g = gbm_or_fail(x, N, 1, y, &o);
	/* Every tree is one split at the step, midway between 639/1280 and
	 * 640/1280, until the fit has converged (about 50 rounds at this rate);
	 * trees after that only move rounding noise (values below 1e-12). */
	assert_int_equal(g->n_trees, 300);
	for (size_t t = 0; t < g->n_trees; t++) {
		const struct rebuy_gbm_node *root = g->nodes + g->tree_start[t];
		assert_int_equal(root->feature, 0);
		int at_step = root->threshold == (639.0 / N) / 2 + (640.0 / N) / 2;
		if (t < 40)
			assert_true(at_step);
		else if (!at_step)
			assert_true(fabs(g->nodes[g->tree_start[t] + 1].value) < 1e-12 &&
			            fabs(g->nodes[g->tree_start[t] + 2].value) < 1e-12);
	}
	rebuy_gbm_predict(g, x, N, p);
	/* Damped Newton steps that each halve the error: converged to 1e-12. */
	for (int i = 0; i < N; i++)
		assert_true(fabs(p[i] - (i < N / 2 ? 0.2 : 0.8)) < 1e-12);
	assert_true(g->gain[0] > 0);
	rebuy_gbm_free(g);
}

/* Same data, 1 or 3 threads: the same trees and coefficients, bit for bit
 * (40,000 x 6 cells: past the size where threads are used). */
static void test_models__do_not_depend_on_the_thread_count(void **state)
{
	(void)state;
	enum { N = 40000, M = 6 };
	double *x = malloc(N * M * sizeof *x), *p1 = malloc(N * sizeof *p1),
	       *p3 = malloc(N * sizeof *p3);
	uint8_t *y = malloc(N);
	assert_non_null(x);
	assert_non_null(p1);
	assert_non_null(p3);
	assert_non_null(y);
	lcg_state = 99;
	for (int i = 0; i < N; i++) {
		double f = -1;
		for (int j = 0; j < M; j++) {
			x[i * M + j] = unif() * (j + 1);
			f += (j % 2 ? -0.4 : 0.3) * x[i * M + j];
		}
		y[i] = unif() < 1 / (1 + exp(-f));
	}
	struct rebuy_gbm_options go;
	rebuy_gbm_options_init(&go);
	go.n_rounds = 30;
	go.depth = 3;
	go.n_threads = 1;
	struct rebuy_gbm *g1 = gbm_or_fail(x, N, M, y, &go);
	go.n_threads = 3;
	struct rebuy_gbm *g3 = gbm_or_fail(x, N, M, y, &go);
	rebuy_gbm_predict(g1, x, N, p1);
	rebuy_gbm_predict(g3, x, N, p3);
	assert_memory_equal(p1, p3, N * sizeof *p1);
	assert_memory_equal(g1->train_log_loss, g3->train_log_loss,
	                    (g1->n_trees + 1) * sizeof *g1->train_log_loss);
	rebuy_gbm_free(g1);
	rebuy_gbm_free(g3);
	struct rebuy_logit_options lo;
	rebuy_logit_options_init(&lo);
	lo.n_threads = 1;
	struct rebuy_logit *l1 = logit_or_fail(x, N, M, y, &lo);
	lo.n_threads = 3;
	struct rebuy_logit *l3 = logit_or_fail(x, N, M, y, &lo);
	assert_memory_equal(l1->coef, l3->coef, M * sizeof *l1->coef);
	assert_true(l1->intercept == l3->intercept);
	rebuy_logit_free(l1);
	rebuy_logit_free(l3);
	free(x);
	free(p1);
	free(p3);
	free(y);
}

static void test_models__refuse_bad_input(void **state)
{
	(void)state;
	double x[4] = {1, 2, 3, NAN};
	uint8_t y[4] = {0, 1, 0, 1}, same[4] = {1, 1, 1, 1};
	struct rebuy_error err = {0};
	struct rebuy_logit *l = NULL;
	struct rebuy_gbm *g = NULL;
	struct rebuy_logit_options lo;
	struct rebuy_gbm_options go;
	rebuy_logit_options_init(&lo);
	rebuy_gbm_options_init(&go);
	assert_int_equal(rebuy_logit_fit(x, 4, 1, y, &lo, &l, &err), REBUY_EDATA);
	assert_non_null(strstr(err.msg, "row 4"));
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_gbm_fit(x, 3, 1, same, &go, &g, &err), REBUY_EDATA);
	assert_non_null(strstr(err.msg, "both labels"));
	go.depth = 7;
	assert_int_equal(rebuy_gbm_fit(x, 3, 1, y, &go, &g, &err), REBUY_EARG);
	lo.l2 = -1;
	assert_int_equal(rebuy_logit_fit(x, 3, 1, y, &lo, &l, &err), REBUY_EARG);
	assert_null(l);
	assert_null(g);
}

/* ---- the time split on generated orders ---- */

/* gen's orders as a CSV in memory: customer, date (day), amount. */
static char *gen_csv(uint64_t customers, uint64_t seed, size_t *len)
{
	struct rebuy_gen_params gp;
	rebuy_gen_params_init(&gp);
	gp.n_customers = customers;
	gp.seed = seed;
	struct rebuy_error err = {0};
	struct rebuy_gen *g = rebuy_gen_new(&gp, &err);
	if (!g)
		fail_msg("%s", err.msg);
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	n += (size_t)snprintf(buf, cap, "customer,order,date,amount\n");
	struct rebuy_gen_order o;
	while (rebuy_gen_next(g, &o)) {
		if (cap - n < 128) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		char ts[48];
		rebuy_format_ts(o.ts, ts, sizeof ts);
		n += (size_t)snprintf(buf + n, cap - n, "c%llu,%llu,%s,%lld.%02lld\n",
		                      (unsigned long long)o.customer, (unsigned long long)o.order,
		                      ts, (long long)(o.amount / 10000),
		                      (long long)(o.amount % 10000 / 100));
	}
	rebuy_gen_free(g);
	*len = n;
	return buf;
}

static struct rebuy_orders *load_text(const char *text, size_t len)
{
	struct rebuy_input_options in;
	rebuy_input_options_init(&in);
	in.path = "gen.csv";
	in.data = text;
	in.data_len = len;
	in.n_threads = 1;
	struct rebuy_orders *o = NULL;
	struct rebuy_error err = {0};
	if (rebuy_orders_load(&o, &in, NULL, &err) != REBUY_OK)
		fail_msg("%s", err.msg);
	return o;
}

static void test_propensity__gen_split_ranks_buyers(void **state)
{
	(void)state;
	size_t len;
	char *csv = gen_csv(4000, 1, &len);
	struct rebuy_orders *o = load_text(csv, len);
	free(csv);
	struct rebuy_propensity_options po;
	rebuy_propensity_options_init(&po);
	po.gbm.n_rounds = 100;
	struct rebuy_propensity_eval *e = NULL, *e2 = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_propensity_evaluate(o, &po, &e, &err), REBUY_OK);
	/* 78 weeks of data from 2024-01-01: as of 2025-06-30 - the last
	 * purchase day + 1; cut-offs 90 and 180 days before. */
	assert_true(e->as_of_day == o->last_day + 1);
	assert_true(e->test.cut_day == e->as_of_day - 90);
	assert_true(e->train.cut_day == e->as_of_day - 180);
	assert_int_equal(e->n_features, REBUY_FEAT_N_BASE + REBUY_PROPENSITY_BGNBD_COLUMNS);
	assert_string_equal(e->names[e->n_features - 1], "bgnbd_expected_purchases");
	assert_true(e->train.n > 3500 && e->test.n >= e->train.n);
	assert_true(e->test.n_positive > 100 && e->test.n_positive < e->test.n / 2);
	/* Buyers ranked well above chance by all three (the data are BTYD, so
	 * the baseline is strong too); the tests' threshold is far from the
	 * observed ~0.89. */
	assert_true(e->logit.auc > 0.8);
	assert_true(e->tree.auc > 0.8);
	assert_true(e->bgnbd.auc > 0.8);
	/* and better than the base rate alone in log loss */
	double r = e->test.base_rate, base_ll = -(r * log(r) + (1 - r) * log1p(-r));
	assert_true(e->logit.log_loss < base_ll && e->tree.log_loss < base_ll);
	/* Deterministic: the same numbers again. */
	assert_int_equal(rebuy_propensity_evaluate(o, &po, &e2, &err), REBUY_OK);
	assert_memory_equal(&e->logit, &e2->logit, sizeof e->logit);
	assert_memory_equal(&e->tree, &e2->tree, sizeof e->tree);
	assert_memory_equal(&e->bgnbd, &e2->bgnbd, sizeof e->bgnbd);
	rebuy_propensity_eval_free(e2);

	/* Scores as of the as-of day: every customer, by key, in (0, 1). */
	struct rebuy_propensity_scores *s = NULL;
	assert_int_equal(rebuy_propensity_score(o, &po, &s, &err), REBUY_OK);
	assert_int_equal(s->n, o->n_customers);
	assert_true(s->train.cut_day == e->test.cut_day);
	for (size_t i = 0; i < s->n; i++) {
		assert_true(s->p_logit[i] > 0 && s->p_logit[i] < 1);
		assert_true(s->p_tree[i] > 0 && s->p_tree[i] < 1);
		assert_true(s->p_bgnbd[i] >= 0 && s->p_bgnbd[i] <= 1);
		if (i) {
			const char *a = rebuy_orders_customer_key(o, s->customer[i - 1], NULL);
			const char *b = rebuy_orders_customer_key(o, s->customer[i], NULL);
			assert_true(rebuy_key_compare(a, strlen(a), b, strlen(b)) < 0);
		}
	}
	rebuy_propensity_scores_free(s);
	rebuy_propensity_eval_free(e);
	rebuy_orders_free(o);
}

static void test_propensity__refuses_short_history_and_bad_cuts(void **state)
{
	(void)state;
	size_t len;
	char *csv = gen_csv(300, 2, &len);
	struct rebuy_orders *o = load_text(csv, len);
	free(csv);
	struct rebuy_propensity_options po;
	rebuy_propensity_options_init(&po);
	struct rebuy_propensity_eval *e = NULL;
	struct rebuy_error err = {0};
	po.horizon_days = 300; /* 78 weeks < 600 days */
	assert_int_equal(rebuy_propensity_evaluate(o, &po, &e, &err), REBUY_EARG);
	assert_non_null(strstr(err.msg, "not enough history"));
	assert_null(e);
	po.horizon_days = 90;
	po.has_cuts = 1;
	po.train_cut = rebuy_days_from_civil(2024, 6, 1);
	po.test_cut = rebuy_days_from_civil(2024, 7, 1); /* 30 days: labels overlap */
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_propensity_evaluate(o, &po, &e, &err), REBUY_EARG);
	assert_non_null(strstr(err.msg, "at least the horizon"));
	po.test_cut = rebuy_days_from_civil(2025, 6, 1); /* + 90 days is past the data */
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_propensity_evaluate(o, &po, &e, &err), REBUY_EARG);
	assert_non_null(strstr(err.msg, "incomplete"));
	po.test_cut = rebuy_days_from_civil(2024, 12, 1);
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_propensity_evaluate(o, &po, &e, &err), REBUY_OK);
	assert_true(e->train.cut_day == po.train_cut && e->test.cut_day == po.test_cut);
	rebuy_propensity_eval_free(e);
	rebuy_orders_free(o);
}

/* Out of memory at every allocation of a small run: a clean REBUY_ENOMEM
 * each time (the ASan build checks for leaks), then a result. */
static void test_propensity__every_allocation_failure_is_clean(void **state)
{
	(void)state;
	size_t len;
	char *csv = gen_csv(200, 3, &len);
	struct rebuy_orders *o = load_text(csv, len);
	free(csv);
	struct rebuy_propensity_options po;
	rebuy_propensity_options_init(&po);
	po.gbm.n_rounds = 3;
	po.n_threads = 1;
	long fail;
	for (fail = 0; fail < 100000; fail++) {
		struct rebuy_propensity_eval *e = NULL;
		struct rebuy_propensity_scores *s = NULL;
		struct rebuy_error err = {0};
		tu_fail_after(fail);
		enum rebuy_status st = rebuy_propensity_evaluate(o, &po, &e, &err);
		if (st == REBUY_OK)
			st = rebuy_propensity_score(o, &po, &s, &err);
		int triggered = tu_fail_triggered();
		tu_fail_after(-1);
		rebuy_propensity_eval_free(e);
		rebuy_propensity_scores_free(s);
		if (st == REBUY_OK && !triggered)
			break;
		if (st != REBUY_OK)
			assert_int_equal(st, REBUY_ENOMEM);
	}
	assert_true(fail > 10 && fail < 100000);
	rebuy_orders_free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_auc__ties_count_half_by_hand),
	        cmocka_unit_test(test_auc__equals_the_pair_count_on_random_ties),
	        cmocka_unit_test(test_log_loss_and_brier__by_hand),
	        cmocka_unit_test(test_calibration__equal_count_deciles),
	        cmocka_unit_test(test_logit__one_binary_input_has_the_closed_form),
	        cmocka_unit_test(test_logit__matches_an_independent_newton),
	        cmocka_unit_test(test_logit__log_inputs_and_constant_columns),
	        cmocka_unit_test(test_gbm__training_loss_never_rises),
	        cmocka_unit_test(test_gbm__fits_a_step_function),
	        cmocka_unit_test(test_models__do_not_depend_on_the_thread_count),
	        cmocka_unit_test(test_models__refuse_bad_input),
	        cmocka_unit_test(test_propensity__gen_split_ranks_buyers),
	        cmocka_unit_test(test_propensity__refuses_short_history_and_bad_cuts),
	        cmocka_unit_test(test_propensity__every_allocation_failure_is_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
