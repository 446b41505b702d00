/* The beta-geometric/beta-Bernoulli (BG/BB) model of repeat transactions at
 * discrete opportunities (Fader, Hardie & Shang 2010, "Customer-base
 * analysis in a discrete-time noncontractual setting", Marketing Science
 * 29(6)). Params p = {alpha, beta, gamma, delta}, all > 0: while alive a
 * customer transacts at each opportunity with probability p ~ Beta(alpha,
 * beta), and before each opportunity dies with probability theta ~
 * Beta(gamma, delta).
 *
 * A customer's history is (x, t_x, n): x transactions in n opportunities,
 * the last at opportunity t_x (0 when x = 0), integers with 0 <= x <= t_x <=
 * n. Every function is pure and thread-safe; it returns NaN for parameters
 * that are not finite and > 0 or for a history or argument outside these
 * ranges.
 */
#ifndef REBUY_MODEL_BGBB_H
#define REBUY_MODEL_BGBB_H

#include "model/clv_int.h"

/* The most opportunities a history may span: the likelihood walks the
 * opportunities after the last transaction one by one (a million weekly
 * events is twenty thousand years). Beyond it the functions give NaN. */
#define REBUY__BGBB_MAX_N 1000000

/* log L(alpha, beta, gamma, delta | x, t_x, n). */
double rebuy__bgbb_ll(const double *p, double x, double t_x, double n);

/* log P(alive at opportunity n + 1 | x, t_x, n) in log form so that it
 * never underflows. */
double rebuy__bgbb_log_palive(const double *p, double x, double t_x, double n);

/* E[X(n)], the expected number of transactions of a new customer in n
 * opportunities. n >= 0 an integer. */
double rebuy__bgbb_expected(const double *p, double n);

/* P(X(n) = x) for a new customer; n >= 0 and 0 <= x <= n integers
 * (0 for an integer x outside 0..n). */
double rebuy__bgbb_pmf(const double *p, double n, double x);

/* Conditional expected transactions in the next n_star opportunities,
 * n + 1 .. n + n_star. n_star >= 0 an integer. */
double rebuy__bgbb_cet(const double *p, double x, double t_x, double n, double n_star);

/* Discounted expected residual transactions (the paper's eq. 14): the transactions at
 * opportunities n + 1, n + 2, ..., the one at n + k discounted by
 * (1 + d)^-k; d >= 0 the discount rate per opportunity. At d = 0 it is the
 * expected number of all future transactions, +inf when gamma <= 1. The
 * series behind it is rebuy__sbg_derl's, with its cost and its NaN below d
 * of about 1e-6. */
double rebuy__bgbb_derl(const double *p, double x, double t_x, double n, double d);

#endif
