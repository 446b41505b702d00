/* Distributions the tests of campaign effects need and libm lacks: the
 * normal quantile (Wichura 1988, AS 241 PPND16: relative error about 1e-16),
 * the normal distribution function from erfc, and Student's t, whose tail is
 * the regularized incomplete beta function P(|T| >= t) = I_{v/(v+t^2)}(v/2,
 * 1/2) (Abramowitz & Stegun 26.7.1) from its continued fraction (DLMF
 * 8.17.22, modified Lentz), and its quantile by safeguarded Newton steps on
 * that tail. Pure functions, thread-safe.
 */
#ifndef REBUY_ACT_STATS_H
#define REBUY_ACT_STATS_H

/* P(Z <= z) for a standard normal Z. */
double rebuy__norm_cdf(double z);

/* The p-quantile of the standard normal, 0 < p < 1 (-inf at 0, +inf at 1,
 * NaN outside). */
double rebuy__norm_quantile(double p);

/* I_x(a, b), the regularized incomplete beta function, with y = 1 - x given
 * too (for its accuracy when x is near 1); a, b > 0, 0 <= x <= 1. NaN when
 * the continued fraction does not converge. */
double rebuy__ibeta(double x, double y, double a, double b);

/* P(|T| >= |t|) for T ~ Student's t with df > 0 degrees of freedom (df may
 * be fractional, as Welch's is; +inf gives the normal). */
double rebuy__t_two_sided_p(double t, double df);

/* The t with P(|T| >= t) = alpha, 0 < alpha < 1: the 1 - alpha/2 quantile,
 * what a two-sided interval at level 1 - alpha multiplies the standard error
 * by. Relative error in P below 1e-14 up to 1000 degrees of freedom, 1e-10
 * beyond. */
double rebuy__t_crit(double alpha, double df);

#endif
