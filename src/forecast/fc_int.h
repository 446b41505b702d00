/* Internal pieces shared by the forecast modules. */
#ifndef REBUY_FORECAST_INT_H
#define REBUY_FORECAST_INT_H

#include "rebuy/forecast.h"

/* Largest expanded AR or MA polynomial degree: p + m P. */
#define FC_DEG_MAX (REBUY_ARIMA_MAX_ORDER + REBUY_ARIMA_MAX_SORDER * REBUY_ARIMA_MAX_PERIOD)
#define FC_K_MAX (2 * REBUY_ARIMA_MAX_ORDER + 2 * REBUY_ARIMA_MAX_SORDER + 1)

/* The smallest modulus of the roots of 1 + c[0] z + ... + c[n-1] z^n
 * (trailing |c| <= 1e-8 dropped); 2 when there is no root left. */
double rebuy__poly_min_root(const double *c, int n);

/* Fits like rebuy_arima_fit; when check is set also takes the numerical
 * Hessian of the objective at the optimum and sets *hessian_ok to whether
 * its inverse gives finite, non-negative variances (as R's arima reports
 * var.coef, whose NaN square roots auto.arima rejects). */
enum rebuy_status rebuy__arima_fit_checked(const double *x, size_t n,
                                           const struct rebuy_arima_order *order,
                                           enum rebuy_arima_method method, int check,
                                           int *hessian_ok, struct rebuy_arima **out,
                                           struct rebuy_error *err);

/* The Hessian check of rebuy__arima_fit_checked on a fit already made. */
enum rebuy_status rebuy__arima_hessian_check(const struct rebuy_arima *fit, int *ok);

/* For the tests: the objective (CSS, or exact ML on transformed AR
 * parameters when ml) of order o on x at npars scaled parameter vectors
 * (k each, k the order's coefficient count), batched into fbatch with the
 * lanes of isa (1: pairs, 2: fours, 3: eights) and one at a time into
 * fsingle.
 * Returns 0 when the instruction set is missing or memory ran out. */
int rebuy__arima_lanes_check(const double *x, size_t n, const struct rebuy_arima_order *o, int ml,
                             const double *pars, int npars, int isa, double *fbatch,
                             double *fsingle);

#endif
