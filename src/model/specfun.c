/* Special functions; see specfun.h. */
#define _GNU_SOURCE /* lgamma_r */
#include <math.h>

#include "model/specfun.h"

double rebuy__digamma(double x)
{
	if (!(x > 0) || isinf(x))
		return x == INFINITY ? INFINITY : NAN;
	double acc = 0;
	while (x < 10) {
		acc -= 1.0 / x;
		x += 1.0;
	}
	double x2 = 1.0 / (x * x);
	/* Bernoulli numbers: B_2k / (2k) for k = 1..7. */
	double series =
	        x2 *
	        (1.0 / 12 -
	         x2 * (1.0 / 120 -
	               x2 * (1.0 / 252 - x2 * (1.0 / 240 - x2 * (1.0 / 132 - x2 * (691.0 / 32760 -
	                                                                           x2 / 12.0))))));
	return acc + log(x) - 0.5 / x - series;
}

double rebuy__digamma_diff(double r, double n)
{
	if (n <= 0)
		return 0;
	if (n <= 32 && n == floor(n)) {
		double s = 0;
		for (int k = (int)n - 1; k >= 0; k--) /* small terms first */
			s += 1.0 / (r + k);
		return s;
	}
	return rebuy__digamma(r + n) - rebuy__digamma(r);
}

double rebuy__lgamma(double x)
{
	int sign;
	return lgamma_r(x, &sign);
}

double rebuy__lbeta(double a, double b)
{
	return rebuy__lgamma(a) + rebuy__lgamma(b) - rebuy__lgamma(a + b);
}

/* n a whole number small enough to multiply out. */
static int small_int(double n)
{
	return n >= 0 && n <= 32 && n == floor(n);
}

/* Stirling's series for log Gamma(y) - (y - 1/2) log y + y - log(2 pi)/2,
 * y >= 16, to below 1e-18. */
static double stirling_corr(double y)
{
	double y2 = 1.0 / (y * y);
	return (1.0 / 12 -
	        y2 * (1.0 / 360 -
	              y2 * (1.0 / 1260 -
	                    y2 * (1.0 / 1680 -
	                          y2 * (1.0 / 1188 - y2 * (691.0 / 360360 - y2 / 156.0)))))) /
	       y;
}

/* log Gamma(b + n) / Gamma(b), b > 0, n >= 0, without the cancellation of
 * two large lgammas when b is large. */
double rebuy__lgamma_ratio(double b, double n)
{
	if (n == 0)
		return 0;
	if (b >= 16 && b + n >= 16)
		return (b - 0.5) * log1p(n / b) + n * (log(b + n) - 1) + stirling_corr(b + n) -
		       stirling_corr(b);
	if (small_int(n)) {
		double prod = 1; /* at most 47^32 */
		for (int i = 0; i < (int)n; i++)
			prod *= b + i;
		return log(prod);
	}
	return rebuy__lgamma(b + n) - rebuy__lgamma(b);
}

/* psi(b + n) - psi(b), accurate for large b too. */
double rebuy__digamma_ratio(double b, double n)
{
	if (n == 0)
		return 0;
	if (b >= 16 && !small_int(n)) {
		/* psi(y) = log y - 1/(2y) - sum B_2k / (2k y^2k) */
		double s = log1p(n / b) + n / (2 * b * (b + n));
		double y = b + n, u = 1.0 / (b * b), v = 1.0 / (y * y);
		double u2 = u * u, v2 = v * v;
		s += (u - v) / 12 - (u2 - v2) / 120 + (u2 * u - v2 * v) / 252 -
		     (u2 * u2 - v2 * v2) / 240 + (u2 * u2 * u - v2 * v2 * v) / 132;
		return s;
	}
	return rebuy__digamma_diff(b, n);
}
