/* Normal and Student's t distributions for the campaign tests (stats.h):
 * Wichura's AS 241 (Applied Statistics 37(3), 1988) for the normal quantile,
 * erfc for its distribution function, the incomplete beta continued fraction
 * (DLMF 8.17.22) for the t tail, Newton steps kept inside a bracket for the
 * t quantile. */
#include "act/stats.h"

#include <math.h>

#include "model/specfun.h"

double rebuy__norm_cdf(double z)
{
	return 0.5 * erfc(-z * M_SQRT1_2);
}

/* c[0] r^(n-1) + ... + c[n-1] by Horner's rule, highest power first. */
static double horner(const double *c, int n, double r)
{
	double v = c[0];
	for (int i = 1; i < n; i++)
		v = v * r + c[i];
	return v;
}

/* AS 241 PPND16: rational approximations in three regions of p, the
 * coefficients as Wichura printed them (highest power first). */
static const double central_num[8] = {
        2509.0809287301226727, 33430.575583588128105, 67265.770927008700853, 45921.953931549871457,
        13731.693765509461125, 1971.5909503065514427, 133.14166789178437745, 3.387132872796366608};
static const double central_den[8] = {
        5226.495278852545925,  28729.085735721942674, 39307.89580009271061,  21213.794301586595867,
        5394.1960214247511077, 687.1870074920579083,  42.313330701600911252, 1.0};
static const double near_num[8] = {7.7454501427834140764e-4, .0227238449892691845833,
                                   .24178072517745061177,    1.27045825245236838258,
                                   3.64784832476320460504,   5.7694972214606914055,
                                   4.6303378461565452959,    1.42343711074968357734};
static const double near_den[8] = {1.05075007164441684324e-9, 5.475938084995344946e-4,
                                   .0151986665636164571966,   .14810397642748007459,
                                   .68976733498510000455,     1.6763848301838038494,
                                   2.05319162663775882187,    1.0};
static const double far_num[8] = {2.01033439929228813265e-7, 2.71155556874348757815e-5,
                                  .0012426609473880784386,   .026532189526576123093,
                                  .29656057182850489123,     1.7848265399172913358,
                                  5.4637849111641143699,     6.6579046435011037772};
static const double far_den[8] = {2.04426310338993978564e-15, 1.4215117583164458887e-7,
                                  1.8463183175100546818e-5,   7.868691311456132591e-4,
                                  .0148753612908506148525,    .13692988092273580531,
                                  .59983220655588793769,      1.0};

double rebuy__norm_quantile(double p)
{
	if (!(p >= 0 && p <= 1))
		return NAN;
	if (p == 0)
		return -INFINITY;
	if (p == 1)
		return INFINITY;
	double q = p - 0.5, r, v;
	if (fabs(q) <= 0.425) {
		r = 0.180625 - q * q;
		return q * horner(central_num, 8, r) / horner(central_den, 8, r);
	}
	r = sqrt(-log(q < 0 ? p : 1 - p));
	if (r <= 5) {
		r -= 1.6;
		v = horner(near_num, 8, r) / horner(near_den, 8, r);
	} else {
		r -= 5;
		v = horner(far_num, 8, r) / horner(far_den, 8, r);
	}
	return q < 0 ? -v : v;
}

/* The continued fraction of I_x(a, b) / (x^a y^b / (a B(a, b))), modified
 * Lentz; it converges fast for x < (a + 1) / (a + b + 2). */
static double ibeta_cf(double x, double a, double b)
{
	const double tiny = 1e-300;
	double f = 1, c = 1, d = 0;
	for (long j = 1; j < 100000; j++) {
		long k = j / 2;
		double dj = j % 2 == 0
		                    ? k * (b - k) * x / ((a + 2 * k - 1) * (a + 2 * k))
		                    : -(a + k) * (a + b + k) * x / ((a + 2 * k) * (a + 2 * k + 1));
		d = 1 + dj * d;
		if (fabs(d) < tiny)
			d = tiny;
		d = 1 / d;
		c = 1 + dj / c;
		if (fabs(c) < tiny)
			c = tiny;
		double delta = c * d;
		f *= delta;
		if (fabs(delta - 1) < 1e-16)
			return f;
	}
	return NAN;
}

/* log B(a, b) = lgamma(s) - (lgamma(l + s) - lgamma(l)) for the smaller s
 * and larger l, the difference without the cancellation of two large
 * lgammas (t with many degrees of freedom has a = df / 2 large). */
static double lbeta(double a, double b)
{
	double s = a < b ? a : b, l = a < b ? b : a;
	return rebuy__lgamma(s) - rebuy__lgamma_ratio(l, s);
}

double rebuy__ibeta(double x, double y, double a, double b)
{
	if (!(a > 0 && b > 0 && x >= 0 && y >= 0))
		return NAN;
	if (x == 0)
		return 0;
	if (y == 0)
		return 1;
	int is_swapped = x > (a + 1) / (a + b + 2);
	if (is_swapped) {
		double t = a;
		a = b;
		b = t;
		t = x;
		x = y;
		y = t;
	}
	/* log x and log y, each from whichever of x and y is the smaller:
	 * the other is near 1, where log() of it would lose digits. */
	double lx = x <= 0.5 ? log(x) : log1p(-y), ly = x <= 0.5 ? log1p(-x) : log(y);
	double l = a * lx + b * ly - log(a) - lbeta(a, b);
	double v = exp(l) / ibeta_cf(x, a, b);
	return is_swapped ? 1 - v : v;
}

double rebuy__t_two_sided_p(double t, double df)
{
	if (isnan(t) || !(df > 0))
		return NAN;
	if (isinf(df))
		return erfc(fabs(t) * M_SQRT1_2);
	if (isinf(t))
		return 0;
	double t2 = t * t;
	/* x = df / (df + t^2) and y = t^2 / (df + t^2), each without
	 * cancellation. */
	return rebuy__ibeta(df / (df + t2), t2 / (df + t2), df / 2, 0.5);
}

/* The density of Student's t at t. */
static double t_density(double t, double df)
{
	double l = rebuy__lgamma_ratio(df / 2, 0.5) - 0.5 * log(df * M_PI) -
	           (df + 1) / 2 * log1p(t * t / df);
	return exp(l);
}

double rebuy__t_crit(double alpha, double df)
{
	if (!(alpha > 0 && alpha < 1) || !(df > 0))
		return NAN;
	double z = rebuy__norm_quantile(1 - alpha / 2);
	if (isinf(df) || df > 1e12)
		return z;
	/* A bracket [lo, hi] around the root of g(t) = P(|T| >= t) - alpha,
	 * which falls in t; a start from the Cornish-Fisher expansion
	 * (A&S 26.7.5). */
	double lo = 0, hi = z > 1 ? z : 1;
	for (int i = 0; i < 2000 && rebuy__t_two_sided_p(hi, df) > alpha; i++) {
		lo = hi;
		hi *= 2;
	}
	double t = z + (z * z * z + z) / (4 * df) +
	           (5 * pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * df * df);
	if (!(t > lo && t < hi))
		t = (lo + hi) / 2;
	for (int i = 0; i < 200; i++) {
		double g = rebuy__t_two_sided_p(t, df) - alpha;
		if (g > 0)
			lo = t;
		else
			hi = t;
		double step = g / (2 * t_density(t, df)); /* g'(t) = -2 f(t) */
		double next = t + step;
		if (!(next > lo && next < hi))
			next = (lo + hi) / 2;
		if (fabs(next - t) <= 1e-15 * t || hi - lo <= 1e-15 * hi)
			return next;
		t = next;
	}
	return t;
}
