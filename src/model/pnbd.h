/* The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987, "Counting
 * your customers: who are they and what will they do next?", Management
 * Science 33(1)), with the expressions of Fader & Hardie, "A note on deriving
 * the Pareto/NBD model and related expressions" (2005) and Fader, Hardie &
 * Lee (2005) for DERT. Params p = {r, alpha, s, beta}, all > 0: while alive
 * a customer buys at rate lambda ~ Gamma(r, alpha) and dies at rate mu ~
 * Gamma(s, beta).
 *
 * A customer's history is (x, t_x, T) as in bgnbd.h. Every function is pure
 * and thread-safe and returns NaN for parameters that are not finite and > 0
 * or a history outside 0 <= t_x <= T (t_x = 0 when x = 0), never a guess.
 */
#ifndef REBUY_MODEL_PNBD_H
#define REBUY_MODEL_PNBD_H

#include "model/clv_int.h"

/* log J(x, y) and, when grad is not NULL, d log J / d (r, alpha, s, beta)
 * (natural parameters), where
 *   J(x, y) = integral over (y, inf) of (alpha + u)^-(r + x) (beta + u)^-(s + 1) du,
 * the Gauss hypergeometric function of the likelihood in integral form:
 *   J = (M + y)^-e1 (m + y)^-(e2 - 1) / (r + s + x) * 2F1(1, e1; r + s + x + 1; z),
 *   z = |alpha - beta| / (M + y), M = max(alpha, beta), m = min(alpha, beta),
 * (e1, e2) the exponents of the M and m factors. y >= 0, x >= 0. */
double rebuy__pnbd_log_j(const double *p, double x, double y, double *grad);

/* log P(alive) of every row of rows (w unused) into out, from log J on the
 * distinct (x, t_x) and (x, T) pairs: the same values as
 * rebuy__pnbd_log_palive row by row, at a fraction of the cost when
 * customers share pairs. History validity is the caller's (rows from
 * rebuy_clv_data are checked). REBUY_OK or REBUY_ENOMEM. */
enum rebuy_status rebuy__pnbd_log_palive_rows(const double *p, const struct rebuy__clv_rows *rows,
                                              unsigned n_threads, double *out);

/* Log-likelihood of one customer. */
double rebuy__pnbd_ll(const double *p, double x, double t_x, double T);
/* log P(alive at T | x, t_x, T); finite where P itself underflows. */
double rebuy__pnbd_log_palive(const double *p, double x, double t_x, double T);
/* E[purchases in (T, T + t] | x, t_x, T]. */
double rebuy__pnbd_cet(const double *p, double x, double t_x, double T, double t);
/* The same from lpa = rebuy__pnbd_log_palive(p, x, t_x, T), bit for bit:
 * several horizons of one customer need P(alive) once. */
double rebuy__pnbd_cet_from(const double *p, double lpa, double x, double T, double t);
/* E[X(t)] for a new customer. */
double rebuy__pnbd_expected(const double *p, double t);
/* P(X(t) = n) for a new customer; 0 for n < 0. */
double rebuy__pnbd_pmf(const double *p, double t, int n);
/* P(n purchases in (T, T + t] | x, t_x, T); 0 for n < 0. */
double rebuy__pnbd_cond_pmf(const double *p, double x, double t_x, double T, double t, int n);
/* Discounted expected residual transactions at continuous discount rate
 * delta > 0 per time unit (Fader, Hardie & Lee 2005). */
double rebuy__pnbd_dert(const double *p, double x, double t_x, double T, double delta);
/* The integral over (0, h] of exp(-delta u) (1 + u / b)^-s du (h may be
 * +inf when delta > 0 or s > 1): DERT's time factor, b = beta + T. */
double rebuy__pnbd_discount_factor(double b, double s, double delta, double h);

#endif
