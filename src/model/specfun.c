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
