/* rebuy — purchase propensity: who buys within the next horizon
 * (docs/propensity.md).
 *
 * Two learners on the per-customer features of rebuy/features.h plus two
 * BG/NBD outputs, trained on a past cut-off and scored on the next period,
 * with the BG/NBD P(purchase) as the baseline they must beat:
 *
 *   logit  L2-penalized logistic regression on standardized inputs, fitted
 *          by Newton's method with a Cholesky solve (src/act/logit.c);
 *   tree   gradient-boosted regression trees on the logistic loss
 *          (Friedman 2001; second-order leaf values and split gains as in
 *          XGBoost, Chen & Guestrin 2016; histogram split candidates as in
 *          LightGBM, Ke et al. 2017) (src/act/gbm.c).
 *
 * Boosting rather than a single CART tree: a CART leaf gives one frequency
 * per leaf, so its probabilities are coarse steps and its ranking (AUC) is
 * poor between leaves; shallow boosted trees give a smooth, well-ranked
 * score, capture the interactions a logit misses (recency x frequency), and
 * need no pruning pass: shrinkage and the leaf penalty do the regularizing.
 *
 * The time split (src/act/propensity.c): with horizon h days and as_of the
 * first day after the data, train on features at cut1 = as_of - 2h labelled
 * by a purchase in [cut1, cut1 + h), test on features at cut2 = as_of - h
 * labelled by [cut2, cut2 + h) = [cut2, as_of). Each cut-off's BG/NBD is
 * fitted to the purchases before it (calibration end cut - 1, weeks), so
 * nothing from a label's window reaches its features.
 *
 * Everything is deterministic: no random numbers, sums in a fixed order, and
 * results that do not depend on the number of threads.
 */
#ifndef REBUY_PROPENSITY_H
#define REBUY_PROPENSITY_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/clv.h"
#include "rebuy/error.h"
#include "rebuy/orders.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- classification metrics (src/act/metrics.c) ---- */

/* Log loss clips each probability to [REBUY_P_CLIP, 1 - REBUY_P_CLIP]. */
#define REBUY_P_CLIP 1e-15
#define REBUY_CALIBRATION_BINS 10

/* AUC: the Mann-Whitney probability that a random positive scores above a
 * random negative, ties counted one half: with r_i the mid-ranks of the
 * scores (tied scores share the mean of their ranks), n1 positives and n0
 * negatives, AUC = (sum of r_i over positives - n1 (n1 + 1) / 2) / (n1 n0).
 * Exact, O(n log n). NaN when a class is empty or a score is NaN. Allocates
 * n pairs: REBUY_ENOMEM. */
enum rebuy_status rebuy_metric_auc(const double *score, const uint8_t *y, size_t n, double *auc,
                                   struct rebuy_error *err);
/* Mean of -(y log p + (1 - y) log(1 - p)), p clipped as above; NaN for n 0. */
double rebuy_metric_log_loss(const double *p, const uint8_t *y, size_t n);
/* Brier score: mean of (p - y)^2; NaN for n 0. */
double rebuy_metric_brier(const double *p, const uint8_t *y, size_t n);

/* One group of a calibration table. */
struct rebuy_calibration_bin {
	size_t n;              /* customers */
	double p_min, p_max;   /* the group's predicted probabilities */
	double mean_predicted; /* their mean */
	double observed;       /* the share of them with y = 1 */
};

struct rebuy_classifier_metrics {
	double auc, log_loss, brier;
	double mean_predicted; /* against the base rate: calibration in the large */
	/* Equal-count groups by predicted probability (deciles): rows sorted by
	 * p (ties by row), group g holds the sorted rows [g n / G, (g + 1) n / G)
	 * with G = REBUY_CALIBRATION_BINS (fewer groups when n < G). */
	size_t n_bins;
	struct rebuy_calibration_bin bins[REBUY_CALIBRATION_BINS];
	/* sum over groups of n_g / n |mean_predicted_g - observed_g| */
	double calibration_error;
};

/* All of the above for probabilities p of labels y. */
enum rebuy_status rebuy_classifier_metrics(const double *p, const uint8_t *y, size_t n,
                                           struct rebuy_classifier_metrics *out,
                                           struct rebuy_error *err);

/* ---- logistic regression (src/act/logit.c) ---- */

struct rebuy_logit_options {
	/* L2 penalty on the standardized slopes (not the intercept): minimizes
	 * mean log loss + l2 / 2 x sum of squared slopes, i.e. lambda = l2 x n
	 * on the summed loss. Default 1e-4; 0 is plain maximum likelihood. */
	double l2;
	double tolerance; /* converged when max |gradient of that mean| <= this; default 1e-10 */
	int max_iter;     /* Newton iterations; default 100 */
	/* Inputs that are never negative and go past 1 in the training rows
	 * (counts, money, durations: skewed) enter as log(1 + x) before
	 * standardizing; shares and indicators in [0, 1] stay. Default 1. */
	int log_inputs;
	unsigned n_threads; /* 0: all CPUs; the result does not depend on it */
};

void rebuy_logit_options_init(struct rebuy_logit_options *opts);

/* A fitted model: p = 1 / (1 + exp(-(intercept + sum_j coef[j] z_j))),
 * z_j = (u_j - mean[j]) / sd[j], u_j = log(1 + x_j) when is_log[j] else x_j.
 * Inputs with sd 0 in the training rows have coef 0 and are not fitted. */
struct rebuy_logit {
	size_t n_features;
	double intercept;
	double *coef;         /* n_features, on the standardized scale */
	double *mean;         /* of u_j over the training rows */
	double *sd;           /* population sd of u_j (1 when 0) */
	uint8_t *is_log;      /* u_j = log(1 + x_j) */
	uint8_t *is_constant; /* sd 0 in the training rows: left out, coef 0 */
	double l2;
	int converged;
	int iterations;
	double gradient_max; /* max |gradient| at the end */
	double log_loss;     /* mean training log loss at the end (without the penalty) */
	char status[128];    /* "converged" or what stopped it */
};

/* Fits y on x (n rows x m columns, row-major). *out is owned by the caller
 * (rebuy_logit_free). A fit that stops short of the tolerance is still a
 * model: converged 0 and status say why. REBUY_EARG (n or m 0, l2 < 0),
 * REBUY_EDATA (a label class is empty; a value is not finite),
 * REBUY_ENOMEM. Memory: O(m^2) per block of rows, at most 64 blocks. */
enum rebuy_status rebuy_logit_fit(const double *x, size_t n, size_t m, const uint8_t *y,
                                  const struct rebuy_logit_options *opts, struct rebuy_logit **out,
                                  struct rebuy_error *err);
/* p[i] for each of n rows of x (m = model->n_features columns). */
void rebuy_logit_predict(const struct rebuy_logit *model, const double *x, size_t n, double *p);
void rebuy_logit_free(struct rebuy_logit *model);

/* ---- gradient-boosted trees (src/act/gbm.c) ---- */

#define REBUY_GBM_MAX_DEPTH 6
#define REBUY_GBM_MAX_ROUNDS 100000
#define REBUY_GBM_MAX_BINS 255

struct rebuy_gbm_options {
	int n_rounds;         /* trees; default 200 */
	int depth;            /* 1 (stumps) .. REBUY_GBM_MAX_DEPTH; default 2 */
	double learning_rate; /* shrinkage, (0, 1]; default 0.05 */
	double l2;            /* lambda on leaf values; default 1 */
	size_t min_leaf;      /* rows in a leaf at least; default 50 */
	int n_bins;           /* split candidates per input, 2 .. 255; default 128 */
	unsigned n_threads;   /* 0: all CPUs; the result does not depend on it */
	/* Called after each round; may be NULL. */
	void (*progress)(void *ud, uint64_t done, uint64_t total);
	void *progress_ud;
};

void rebuy_gbm_options_init(struct rebuy_gbm_options *opts);

struct rebuy_gbm_node {
	int32_t feature;  /* -1 for a leaf */
	int32_t left;     /* index of the child for x[feature] <= threshold */
	int32_t right;    /* and for x[feature] > threshold (or NaN) */
	double threshold; /* a midpoint between two training values */
	double value;     /* a leaf's addition to the log-odds, shrinkage included */
};

/* F(x) = base + sum over trees of the value of the leaf x falls in;
 * p = 1 / (1 + exp(-F)). */
struct rebuy_gbm {
	size_t n_features;
	double base; /* log(rate / (1 - rate)) of the training labels */
	size_t n_trees;
	size_t *tree_start; /* n_trees + 1 offsets into nodes; a tree's root first */
	struct rebuy_gbm_node *nodes;
	/* n_trees + 1: before any tree, then after each (the first plus the
	 * rows' changes: equal to the log loss of the predictions to rounding) */
	double *train_log_loss;
	double *gain; /* n_features: summed split gain per input */
	int n_halved; /* rounds whose step was halved to keep the loss falling */
};

/* Fits y on x (n rows x m columns, row-major). Each round fits one tree to
 * the gradient g = p - y and Hessian h = p (1 - p) of the log loss: a split
 * maximizes G_L^2 / (H_L + l2) + G_R^2 / (H_R + l2) - G^2 / (H + l2) over
 * the inputs' bin boundaries (ties: the lower input, then the lower
 * boundary), and a leaf adds -learning_rate G / (H + l2). A round whose
 * step would raise the training log loss (summed from each row's change)
 * has its leaf values halved until it does not (at most 30 times; then the
 * tree is dropped and boosting stops), so the training log loss never
 * rises. Bin boundaries: midpoints between consecutive
 * distinct training values, or, past n_bins of them, between the values at
 * the k n / n_bins order statistics and the next larger value. REBUY_EARG
 * (bad options, n or m 0), REBUY_EDATA (one label class; a value not
 * finite), REBUY_ENOMEM. Memory: n x m bytes of bins plus 8 doubles per
 * row. */
enum rebuy_status rebuy_gbm_fit(const double *x, size_t n, size_t m, const uint8_t *y,
                                const struct rebuy_gbm_options *opts, struct rebuy_gbm **out,
                                struct rebuy_error *err);
void rebuy_gbm_predict(const struct rebuy_gbm *model, const double *x, size_t n, double *p);
void rebuy_gbm_free(struct rebuy_gbm *model);

/* ---- the propensity study (src/act/propensity.c) ---- */

enum {
	REBUY_PROPENSITY_LOGIT = 1,
	REBUY_PROPENSITY_TREE = 2,
	REBUY_PROPENSITY_ALL = 3,
};

#define REBUY_PROPENSITY_DEFAULT_HORIZON 90
#define REBUY_PROPENSITY_DEFAULT_LEVELS 10

struct rebuy_propensity_options {
	int64_t horizon_days; /* h; default 90 */
	int has_as_of;
	int64_t as_of_day; /* default: the day after the last purchase */
	/* Explicit cut-offs instead of as_of - 2h and as_of - h: train_cut + h
	 * <= test_cut and test_cut + h <= as_of. */
	int has_cuts;
	int64_t train_cut, test_cut;
	unsigned models;         /* REBUY_PROPENSITY_LOGIT | _TREE; default both */
	size_t attribute_levels; /* indicator columns per attribute of the orders; default 10 */
	int64_t window_days;     /* of the features' *_recent columns; 0: h */
	struct rebuy_logit_options logit;
	struct rebuy_gbm_options gbm; /* its progress is replaced by the one below */
	unsigned n_threads;           /* 0: all CPUs; the results do not depend on it */
	/* Called now and then with the step done of the steps in total; may be
	 * NULL. */
	void (*progress)(void *ud, uint64_t done, uint64_t total);
	void *progress_ud;
};

void rebuy_propensity_options_init(struct rebuy_propensity_options *opts);

/* The columns the learners see: the features of rebuy/features.h (with the
 * attribute indicators), then these two from the cut-off's BG/NBD fit. */
#define REBUY_PROPENSITY_BGNBD_COLUMNS 2 /* bgnbd_p_alive, bgnbd_expected_purchases */

/* One side of the split. */
struct rebuy_propensity_sample {
	int64_t cut_day;                 /* features before it, labels in [cut, cut + h) */
	size_t n;                        /* customers with a purchase before the cut */
	size_t n_positive;               /* of them, buyers in the window */
	double base_rate;                /* n_positive / n */
	struct rebuy_clv_estimate bgnbd; /* the BG/NBD fitted to the purchases before the cut */
};

struct rebuy_propensity_eval {
	int64_t horizon_days, as_of_day;
	unsigned models;
	struct rebuy_propensity_sample train, test;
	size_t n_features;
	char **names; /* n_features column names */
	/* The test metrics of each learner and of the baseline 1 - P(no purchase
	 * in h | BG/NBD at the test cut); the training metrics of the learners
	 * (the baseline is not trained on labels). Only the chosen models' are
	 * filled. */
	struct rebuy_classifier_metrics logit, tree, bgnbd;
	struct rebuy_classifier_metrics logit_train, tree_train;
	struct rebuy_logit *logit_model; /* NULL when not chosen */
	struct rebuy_gbm *gbm_model;     /* NULL when not chosen */
};

/* Trains on the earlier cut-off and tests on the later one. *out is owned
 * by the caller (rebuy_propensity_eval_free). REBUY_EARG (bad options; not
 * enough history for the cut-offs, with the dates in the message),
 * REBUY_EDATA (no buyer or no non-buyer in the training window; a BG/NBD fit
 * without parameters), REBUY_ENOMEM. */
enum rebuy_status rebuy_propensity_evaluate(const struct rebuy_orders *orders,
                                            const struct rebuy_propensity_options *opts,
                                            struct rebuy_propensity_eval **out,
                                            struct rebuy_error *err);
void rebuy_propensity_eval_free(struct rebuy_propensity_eval *e);

/* Scores for every customer with a purchase before as_of. */
struct rebuy_propensity_scores {
	int64_t horizon_days, as_of_day;
	unsigned models;
	struct rebuy_propensity_sample train; /* the latest complete split: cut as_of - h */
	struct rebuy_clv_estimate bgnbd;      /* fitted to everything before as_of */
	size_t n;
	uint32_t *customer; /* n customer ids of the orders table, in key order */
	double *p_logit;    /* P(purchase in [as_of, as_of + h)); NULL when not chosen */
	double *p_tree;     /* NULL when not chosen */
	double *p_bgnbd;    /* 1 - P(no purchase in h) */
};

/* Trains the chosen learners on the latest complete split (features at
 * as_of - h labelled by [as_of - h, as_of); explicit cut-offs are not used)
 * and scores every customer as of as_of. Errors as for evaluate. */
enum rebuy_status rebuy_propensity_score(const struct rebuy_orders *orders,
                                         const struct rebuy_propensity_options *opts,
                                         struct rebuy_propensity_scores **out,
                                         struct rebuy_error *err);
void rebuy_propensity_scores_free(struct rebuy_propensity_scores *s);

#ifdef __cplusplus
}
#endif
#endif
