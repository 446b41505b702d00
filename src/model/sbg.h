/* The shifted-beta-geometric (sBG) model of contract duration (Fader &
 * Hardie 2007, "How to project customer retention"), with the discounted
 * expected lifetime and residual lifetime of Fader & Hardie 2010,
 * "Customer-base valuation in a contractual setting: the perils of ignoring
 * heterogeneity". Params p = {alpha, beta}, both > 0.
 *
 * Periods: a customer is acquired at the start of period 1 and at the end
 * of each period renews or leaves; T is the period in which she leaves, so
 * T > n means she has made n renewals. Every function is pure and
 * thread-safe, and returns NaN for parameters that are not finite and > 0
 * or for arguments outside the stated ranges.
 */
#ifndef REBUY_MODEL_SBG_H
#define REBUY_MODEL_SBG_H

#include <stddef.h>

#include "model/clv_int.h"
#include "rebuy/error.h"

/* S(t) = P(T > t) = B(alpha, beta + t) / B(alpha, beta), t >= 0. */
double rebuy__sbg_survival(const double *p, double t);

/* log S(t), t >= 0, finite where S(t) underflows (-inf at t = inf). BG/BB
 * takes both of its beta ratios from it. */
double rebuy__sbg_log_survival(const double *p, double t);

/* P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta), t >= 1. */
double rebuy__sbg_churn(const double *p, double t);

/* r(t) = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1), t >= 1:
 * the share of those active in period t who renew at its end. */
double rebuy__sbg_retention(const double *p, double t);

/* One contract's log-likelihood: log P(T = t) when it ended in period t
 * (is_active 0), log S(t) when it was still active after period t
 * (is_active 1, censored); t >= 1. */
double rebuy__sbg_ll(const double *p, double t, int is_active);

/* The sum over k = 1..m of S(n + k) / S(n): how many of her next m renewal
 * decisions a customer who has made n renewals is expected to renew at.
 * n >= 0 real, m >= 0 an integer. */
double rebuy__sbg_expected_renewals(const double *p, double n, double m);

/* Discounted expected lifetime of a customer just acquired, in payments:
 * DEL = sum over t >= 0 of S(t) / (1 + d)^t = 2F1(1, beta; alpha + beta;
 * 1 / (1 + d)), with the first payment (t = 0) undiscounted (Fader & Hardie
 * 2010, eq. for DEL). d >= 0 is the discount rate per period; at d = 0 this
 * is E[T] = (alpha + beta - 1) / (alpha - 1), +inf when alpha <= 1. */
double rebuy__sbg_del(const double *p, double d);

/* Discounted expected residual lifetime of a customer who has made n
 * renewals (n >= 0; the paper's "n - 1 renewals" is n - 1 here), standing at
 * the end of period n + 1 just before her next renewal decision: the sum
 * over t >= n + 1 of S(t) / S(n) / (1 + d)^(t - n - 1), which is
 *   (beta + n) / (alpha + beta + n) 2F1(1, beta + n + 1; alpha + beta + n + 1;
 *   1 / (1 + d)).
 * The payment of the renewal now being decided is undiscounted. DEL is not a
 * special case: DEL = 1 + DERL(n = 0) / (1 + d). d >= 0; +inf when d = 0 and
 * alpha <= 1. The series takes about (37 + ln(1 / d)) / d terms; below d of
 * about 1e-6 it would take more than 1e8 and NaN is returned instead. */
double rebuy__sbg_derl(const double *p, double n, double d);

/* Turns a survivor series into sBG rows (clv_int.h): survivors[0] is the
 * cohort at the start of period 1 and survivors[t] the number still active
 * after period t, t < n_survivors. Fills x, t_x and w, which the caller
 * provides with room for n_survivors values each: one row per period t =
 * 1..n_survivors - 1 for those who left in it (t_x = 0), then one row for
 * those still active after the last period (t_x = 1, censored). *rows
 * borrows x, t_x and w (valid while they are); rows->T is NULL. Counts need
 * not be integers (percentages work). Returns REBUY_OK, or REBUY_EDATA with
 * err filled when there are fewer than two counts, a count is negative or
 * not finite, the first count is 0, or a count is larger than the one before
 * it (survivors cannot come back). */
enum rebuy_status rebuy__sbg_rows_from_survivors(const double *survivors, size_t n_survivors,
                                                 double *x, double *t_x, double *w,
                                                 struct rebuy__clv_rows *rows,
                                                 struct rebuy_error *err);

#endif
