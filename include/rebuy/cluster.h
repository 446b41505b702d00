/* rebuy — clustering: k-means on a numeric matrix, the numbers that choose
 * k, and customer segments from the behavioural features (docs/cluster.md).
 *
 * k-means (Lloyd 1982) minimizes the within-cluster sum of squares
 *   WSS = sum_i ||x_i - c_(label i)||^2
 * from k-means++ starts (Arthur & Vassilvitskii 2007: the first centre a
 * uniform row, each next one a row drawn with probability proportional to
 * its squared distance D(x)^2 to the nearest centre chosen so far), keeping
 * the restart with the lowest WSS. Lloyd's iterations alternate "each row
 * to its nearest centre" (ties: the lowest centre index) and "each centre to
 * the mean of its rows" until no row changes cluster, or max_iter. A
 * cluster left empty by an assignment is given the row farthest from its
 * own centre (ties: the lowest row index), so every cluster keeps a row.
 *
 * Choosing k:
 *   explained = 1 - WSS / TSS, TSS = sum_i ||x_i - mean||^2 (the share of
 *     variance the clusters explain; the "elbow" is where it stops rising
 *     fast);
 *   silhouette (Rousseeuw 1987): for row i, a = mean distance to the other
 *     rows of its cluster, b = the lowest mean distance to the rows of
 *     another cluster, s = (b - a) / max(a, b) (0 for a row alone in its
 *     cluster, and when a = b = 0); the mean of s over the rows;
 *   Calinski & Harabasz (1974): ((TSS - WSS) / (k - 1)) / (WSS / (n - k)).
 *
 * Determinism: restart r draws from stream r of the seed; sums run over
 * fixed chunks of rows added in chunk order; so the same input, k and seed
 * give the same bytes for any thread count. Clusters are numbered by size,
 * largest first (ties: the centre that is smaller at the first coordinate
 * that differs), not by the order the starts happened to find them.
 *
 * Thread safety: the functions share nothing; a result may be read from
 * several threads.
 */
#ifndef REBUY_CLUSTER_H
#define REBUY_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/error.h"
#include "rebuy/features.h"
#include "rebuy/orders.h"

#ifdef __cplusplus
extern "C" {
#endif

#define REBUY_KMEANS_MAX_K 1000
#define REBUY_KMEANS_MAX_RESTARTS 1000
#define REBUY_KMEANS_DEFAULT_RESTARTS 10
#define REBUY_KMEANS_DEFAULT_MAX_ITER 300
#define REBUY_SILHOUETTE_DEFAULT_MAX 20000

/* ---- k-means on a matrix ---- */

struct rebuy_kmeans_options {
	size_t k;           /* clusters, 1 .. REBUY_KMEANS_MAX_K */
	unsigned restarts;  /* k-means++ starts; 0: 10 */
	unsigned max_iter;  /* Lloyd iterations per start; 0: 300 */
	uint64_t seed;      /* of the starts */
	unsigned n_threads; /* 0: all CPUs; the result does not depend on it */
};

void rebuy_kmeans_options_init(struct rebuy_kmeans_options *opts);

struct rebuy_kmeans {
	size_t n, d, k;
	uint32_t *label;     /* n: the cluster of each row, 0 .. k - 1 */
	double *centroid;    /* k x d, row-major: the mean of each cluster's rows */
	size_t *size;        /* k: rows per cluster (>= 1), non-increasing */
	double *wss_by;      /* k: each cluster's sum of squares around its centre */
	double wss;          /* their sum */
	double tss;          /* the sum of squares around the grand mean */
	unsigned iterations; /* Lloyd iterations of the kept start */
	int converged;       /* the kept start ended with no row changing cluster */
	unsigned restart;    /* which start was kept (0-based; ties: the first) */
	unsigned n_reseeded; /* empty clusters given a row, over the kept start */
};

/* Clusters the n x d row-major matrix x (borrowed; not kept). *out is owned
 * by the caller (rebuy_kmeans_free). Errors: REBUY_EARG (k or restarts out
 * of range, d = 0, fewer rows than k), REBUY_EDATA (a value that is not
 * finite, named by row and column; fewer distinct rows than k, as k-means++
 * then finds no further centre), REBUY_ENOMEM. Memory: O(n + k d) besides
 * x. Time: O(restarts x iterations x n k d). */
enum rebuy_status rebuy_kmeans_fit(const double *x, size_t n, size_t d,
                                   const struct rebuy_kmeans_options *opts,
                                   struct rebuy_kmeans **out, struct rebuy_error *err);

void rebuy_kmeans_free(struct rebuy_kmeans *km);

/* Calinski-Harabasz from a result; NaN when k < 2, k >= n or WSS = 0. */
double rebuy_kmeans_calinski_harabasz(const struct rebuy_kmeans *km);

struct rebuy_silhouette_options {
	size_t max_exact;   /* rows up to which it is exact (O(n^2)); 0: 20,000 */
	uint64_t seed;      /* of the sample above max_exact */
	unsigned n_threads; /* 0: all CPUs; the result does not depend on it */
};

void rebuy_silhouette_options_init(struct rebuy_silhouette_options *opts);

struct rebuy_silhouette {
	double mean;      /* over the rows used; NaN when k < 2 */
	size_t n_used;    /* n, or max_exact rows drawn without replacement */
	int is_sampled;   /* 1 when n > max_exact */
	double *by_label; /* k: the mean over each cluster's rows used (NaN if none) */
};

/* The silhouette of the labelling label[0 .. n) (values < k) of x. Above
 * max_exact rows it is the exact silhouette of a uniform sample of
 * max_exact rows (a partial Fisher-Yates shuffle seeded by opts->seed),
 * computed within the sample as if it were the data, so the cost stays
 * O(max_exact^2 d). *out is owned by the caller
 * (rebuy_silhouette_free). Errors: REBUY_EARG (k = 0, a label >= k),
 * REBUY_ENOMEM. */
enum rebuy_status rebuy_silhouette_compute(const double *x, size_t n, size_t d,
                                           const uint32_t *label, size_t k,
                                           const struct rebuy_silhouette_options *opts,
                                           struct rebuy_silhouette **out, struct rebuy_error *err);

/* The silhouettes of n_lab labellings of the same rows (labels[l] with
 * values < ks[l]) in one pass over the pairs, each as
 * rebuy_silhouette_compute would give it (the same sample): out[l] for
 * each, all NULL on failure. */
enum rebuy_status rebuy_silhouette_compute_many(const double *x, size_t n, size_t d, size_t n_lab,
                                                const uint32_t *const *labels, const size_t *ks,
                                                const struct rebuy_silhouette_options *opts,
                                                struct rebuy_silhouette **out,
                                                struct rebuy_error *err);

void rebuy_silhouette_free(struct rebuy_silhouette *s);

/* ---- customer segments ---- */

/* The features clustered when none are named: when customers last bought,
 * how often, how much per order, at what rhythm and since when (the RFM
 * triple with revenue split into frequency x order value, so that
 * frequency does not count twice, plus the buying rhythm and the age of the
 * relationship). */
#define REBUY_CLUSTER_DEFAULT_FEATURES "recency_days,frequency,aov,mean_gap_days,tenure_days"

#define REBUY_CLUSTER_MAX_FEATURES 64

struct rebuy_cluster_options {
	struct rebuy_features_options features; /* the as-of day, window, attributes */
	/* Feature names (columns of rebuy/features.h, or "<column>=<value>"
	 * indicators when features.attribute_levels > 0), comma-separated;
	 * NULL: REBUY_CLUSTER_DEFAULT_FEATURES. */
	const char *columns;
	/* 1: no log1p. Otherwise log1p(x) is taken of the skewed columns, every
	 * base column but return_share (money, counts, days and overdue are all
	 * >= 0 with long right tails), before standardizing. */
	int no_log;
	size_t k_min, k_max;                /* the ks tried, 1 <= k_min <= k_max; 0, 0: 2 .. 10 */
	struct rebuy_kmeans_options kmeans; /* k is set per k tried */
	struct rebuy_silhouette_options silhouette;
};

void rebuy_cluster_options_init(struct rebuy_cluster_options *opts);

/* One row of the table that chooses k. */
struct rebuy_cluster_k {
	size_t k;
	double wss, explained, silhouette, calinski_harabasz; /* NaN where undefined */
	unsigned iterations;
	int converged;
};

struct rebuy_cluster_profile {
	size_t customers;
	double share;         /* customers / all customers */
	double revenue;       /* their revenue before the as-of day, currency units */
	double revenue_share; /* revenue / all revenue; NaN when that is 0 */
	double *mean;         /* n_used: of the raw (untransformed) features */
	double *median;       /* n_used */
	double *z;            /* n_used: the centre in standardized units */
	/* Up to three features whose centre is 0.5 standard deviations or more
	 * from the mean, the farthest first, "very" from 1.5 on: "very
	 * frequent, recent, high order value"; "typical" when none is. */
	char label[160];
};

struct rebuy_cluster {
	struct rebuy_features *features; /* raw values, one row per customer */
	size_t n_used;                   /* features clustered */
	size_t *col;                     /* n_used: their columns in features */
	int *is_logged;                  /* n_used: log1p taken */
	double *overall_median;          /* n_used: over all customers, raw */
	size_t n_k;
	struct rebuy_cluster_k *by_k; /* n_k, k ascending */
	size_t recommended_k;         /* the highest silhouette (ties: smaller k); k_min
	                                 when only one k was tried */
	size_t silhouette_n;          /* rows the silhouettes used */
	int silhouette_is_sampled;
	/* The clustering at recommended_k: */
	struct rebuy_kmeans *km;                /* km->label[r] is row r's cluster */
	struct rebuy_cluster_profile *profiles; /* km->k */
	double total_revenue;
};

/* Computes the features of the orders as of opts->features, keeps the named
 * columns, takes log1p of the skewed ones, standardizes each to mean 0 and
 * standard deviation 1 over the customers (rebuy_features_moments), runs
 * k-means for each k in k_min .. k_max with its WSS, explained share,
 * silhouette and Calinski-Harabasz, and profiles the clusters at the
 * recommended k. *out is owned by the caller (rebuy_cluster_free). Errors:
 * REBUY_EARG (an unknown or repeated feature name, a bad k range), REBUY_EDATA
 * (fewer customers than k_max, fewer distinct customers than k), those of
 * rebuy_features_compute, REBUY_ENOMEM. */
enum rebuy_status rebuy_cluster_customers(const struct rebuy_orders *orders,
                                          const struct rebuy_cluster_options *opts,
                                          struct rebuy_cluster **out, struct rebuy_error *err);

void rebuy_cluster_free(struct rebuy_cluster *c);

#ifdef __cplusplus
}
#endif
#endif
