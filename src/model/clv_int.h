/* Customer-lifetime models: what every model gives the fitting and
 * prediction code. Each model lives in its own file (bgnbd.c for BG/NBD and
 * MBG/NBD, pnbd.c, bgbb.c, sbg.c, gg.c) that opens with its paper.
 *
 * Parameters are on their natural scale (all > 0) in the order the model
 * lists them; the optimizer works on their logarithms, so gradients are with
 * respect to log parameters: d ll / d log(theta) = theta * d ll / d theta.
 */
#ifndef REBUY_MODEL_CLV_INT_H
#define REBUY_MODEL_CLV_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/date.h"
#include "rebuy/error.h"

#define REBUY__CLV_MAX_PARAMS 4

/* The data a model is fitted to: unique rows, each with the number of
 * customers (or contracts) it stands for. What the three columns hold:
 *   bgnbd, mbgnbd, pnbd: x = repeat transactions, t_x = time of the last
 *       one from the first purchase (0 when x = 0), T = time from the first
 *       purchase to the end of calibration (all in the fit's time unit);
 *   bgbb: x = transactions in the n opportunities, t_x = the opportunity of
 *       the last one (0 when x = 0), T = n;
 *   sbg: x = the period t >= 1, t_x = 0 for contracts that ended in period t
 *       and 1 for contracts still active at the end of period t (censored),
 *       T unused;
 *   gg: x = repeat transactions (> 0), t_x = their mean value, T unused.
 * Rows with w = 0 are allowed and contribute nothing. */
struct rebuy__clv_rows {
	size_t n;
	const double *x, *t_x, *T, *w;
};

struct rebuy__clv_model {
	const char *name; /* "bgnbd", "mbgnbd", "pnbd", "bgbb", "sbg", "gg" */
	int n_params;
	const char *const *param_names; /* "r", "alpha", ... */
	/* Precomputes what the likelihood needs from the rows (tables of unique
	 * values, say) into *state, which may stay NULL. Returns REBUY_OK or
	 * REBUY_ENOMEM. Optional (NULL). */
	enum rebuy_status (*prepare)(const struct rebuy__clv_rows *rows, void **state);
	void (*release)(void *state); /* optional; NULL state is a no-op */
	/* The total weighted log-likelihood at params into *ll and, when grad is
	 * not NULL, its gradient with respect to the log parameters. Uses up to
	 * n_threads threads; the result does not depend on n_threads (sums are
	 * taken in a fixed order, see rebuy__clv_sum). Returns REBUY_OK or
	 * REBUY_ENOMEM. A value or gradient that cannot be computed is returned
	 * as NaN or -inf, never as a guess: the optimizer then treats params as
	 * outside the domain. */
	enum rebuy_status (*loglik)(const double *params, const struct rebuy__clv_rows *rows,
	                            const void *state, unsigned n_threads, double *ll,
	                            double *grad);
	/* A reasonable first point for the fit (moments, or fixed values). */
	void (*start)(const struct rebuy__clv_rows *rows, double *params);
};

extern const struct rebuy__clv_model rebuy__model_bgnbd;
extern const struct rebuy__clv_model rebuy__model_mbgnbd;
extern const struct rebuy__clv_model rebuy__model_pnbd;
extern const struct rebuy__clv_model rebuy__model_bgbb;
extern const struct rebuy__clv_model rebuy__model_sbg;
extern const struct rebuy__clv_model rebuy__model_gg;

/* Sums over rows in parallel, deterministically: rows are cut into chunks
 * of a fixed size, fn adds the sums of rows [lo, hi) into acc[0..n_acc)
 * (acc starts at zero for each chunk), and the chunks' sums are added in
 * chunk order, so the result is the same for any n_threads. n_acc <= 32.
 * Returns REBUY_OK or REBUY_ENOMEM. */
typedef void (*rebuy__clv_chunk_fn)(void *ud, size_t lo, size_t hi, double *acc);
enum rebuy_status rebuy__clv_sum(unsigned n_threads, size_t n, size_t n_acc, rebuy__clv_chunk_fn fn,
                                 void *ud, double *out);

/* The entries 0..n-1 of the columns cols[0..n_cols) (n each) in the order
 * of their values: by cols[0] as numbers, then cols[1], ... (entries equal
 * in every column in any order: they are the same numbers). Sums taken in
 * this order do not depend on the order of the entries. *out (n row
 * numbers) is the caller's, freed with rebuy__free. REBUY_ENOMEM (also for
 * n >= 2^32 - 1). */
enum rebuy_status rebuy__clv_value_order(const double *const *cols, size_t n_cols, size_t n,
                                         uint32_t **out);

/* What the row sums of bgbb, gg and sbg see: the parameters, the rows, and
 * whether to add the derivatives too. */
struct rebuy__clv_job {
	const double *p;
	const struct rebuy__clv_rows *rows;
	int want_grad;
};

/* The loglik of a model whose rows fn sums into 1 + n_params accumulators
 * (the log-likelihood, then its derivatives by the natural parameters),
 * given a struct rebuy__clv_job: NaN outside the domain (valid == 0), else
 * the sums with the gradient turned to log parameters (NaN when the
 * log-likelihood is not finite). */
enum rebuy_status rebuy__clv_loglik_sum(int n_params, const double *params, int valid,
                                        const struct rebuy__clv_rows *rows, unsigned n_threads,
                                        rebuy__clv_chunk_fn fn, double *ll, double *grad);

/* The summary and contracts readers of rebuy/clv.h on any table input
 * (bytes in memory, for the fuzz target). */
struct rebuy_table_options;
struct rebuy_clv_data;
enum rebuy_status rebuy__clv_read_summary(const struct rebuy_table_options *topts,
                                          struct rebuy_clv_data **out, struct rebuy_error *err);
enum rebuy_status rebuy__clv_read_contracts(const struct rebuy_table_options *topts,
                                            enum rebuy_period period, int has_as_of, int64_t as_of,
                                            struct rebuy_clv_data **out, size_t *n_young,
                                            struct rebuy_error *err);

/* rebuy_clv_predict with every customer's future purchase rate multiplied
 * by rate_scale > 0 (the what-if's frequency change, whatif.c): the
 * posterior given the history stays the fitted model's, and from T on the
 * rate is rate_scale x lambda, so the rate's posterior scale alpha + T
 * becomes (alpha + T) / rate_scale. rate_scale 1 is rebuy_clv_predict to
 * the bit. REBUY_EARG for bgbb (a purchase probability per opportunity has
 * no rate to scale) unless rate_scale is 1. */
struct rebuy_clv_fit;
struct rebuy_clv_predict_options;
struct rebuy_clv_prediction;
enum rebuy_status rebuy__clv_predict_scaled(const struct rebuy_clv_fit *fit,
                                            const struct rebuy_clv_data *d,
                                            const struct rebuy_clv_predict_options *o,
                                            double rate_scale, struct rebuy_clv_prediction *out,
                                            struct rebuy_error *err);

#endif
