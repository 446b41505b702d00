/* Special functions the customer-lifetime models need and libm lacks, and
 * log-space arithmetic. libm gives lgamma, log1p, expm1; the digamma
 * function is not in C or in a Debian library rebuy already depends on (GSL
 * has it, but pulling GSL in for one function, with its process-wide error
 * handler that aborts, is not worth it), so it is here.
 */
#ifndef REBUY_MODEL_SPECFUN_H
#define REBUY_MODEL_SPECFUN_H

#include <math.h>

/* psi(x) = d/dx log Gamma(x), x > 0: recurrence up to x >= 10, then the
 * asymptotic series to x^-14 (absolute error below 1e-16 there). NaN for
 * x <= 0 or NaN. */
double rebuy__digamma(double x);

/* psi(r + n) - psi(r) for r > 0 and integer n >= 0: the exact sum of
 * 1 / (r + k), k < n, for small n (no cancellation), the difference of the
 * two digammas otherwise. */
double rebuy__digamma_diff(double r, double n);

/* log Gamma(b + n) - log Gamma(b), b > 0, b + n > 0 (n may be negative),
 * without the cancellation of two large lgammas when both arguments are
 * large (the difference of Stirling's series term by term when both are >=
 * 16, a product for small whole n >= 0). */
double rebuy__lgamma_ratio(double b, double n);
/* psi(b + n) - psi(b), accurate for large b too. */
double rebuy__digamma_ratio(double b, double n);

/* log Gamma(x) for x > 0, safe to call from several threads at once
 * (lgamma itself writes the global signgam). */
double rebuy__lgamma(double x);

/* log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b), a, b > 0. */
double rebuy__lbeta(double a, double b);

/* log(exp(a) + exp(b)) without overflow; -inf + -inf = -inf. */
static inline double rebuy__logaddexp(double a, double b)
{
	if (a < b) {
		double t = a;
		a = b;
		b = t;
	}
	if (b == -INFINITY)
		return a;
	return a + log1p(exp(b - a));
}

/* log(exp(a) - exp(b)) for a >= b; -inf when a == b, NaN when a < b. */
static inline double rebuy__logsubexp(double a, double b)
{
	if (b == -INFINITY)
		return a;
	double d = b - a; /* <= 0 */
	if (d > 0)
		return NAN;
	/* log(1 - e^d): log(-expm1(d)) near 0, log1p(-exp(d)) further out
	 * (Maechler 2012, "Accurately computing log(1 - exp(-|a|))"). */
	return a + (d > -M_LN2 ? log(-expm1(d)) : log1p(-exp(d)));
}

#endif
