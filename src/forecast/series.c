/* Series tools for the forecasts: differences, the KPSS statistic
 * (Kwiatkowski, Phillips, Schmidt & Shin 1992, level stationarity, Bartlett
 * window, critical value 0.463 at 5 %), seasonal strength (Wang, Smith &
 * Hyndman 2006, on a classical moving-average decomposition), polynomial
 * roots (Durand–Kerner iteration), seasonal naive forecasts and the M4
 * accuracy measures (sMAPE, MASE).
 */
#include <complex.h>
#include <math.h>
#include <string.h>

#include "act/stats.h"
#include "core/mem.h"
#include "forecast/fc_int.h"

size_t rebuy_diff(const double *x, size_t n, int lag, double *y)
{
	if (lag < 1 || n <= (size_t)lag)
		return 0;
	for (size_t i = 0; i + (size_t)lag < n; i++)
		y[i] = x[i + (size_t)lag] - x[i];
	return n - (size_t)lag;
}

/* Roots of 1 + c[0] z + ... + c[n-1] z^n (c[n-1] != 0). */
void rebuy__poly_roots(const double *c, int n, double *re, double *im);
void rebuy__poly_roots(const double *c, int n, double *re, double *im)
{
	double complex z[FC_DEG_MAX + 1], a[FC_DEG_MAX + 2];
	/* monic: z^n + a[n-1] z^{n-1} + ... + a[0] */
	double lead = c[n - 1];
	a[0] = 1.0 / lead;
	for (int i = 1; i < n; i++)
		a[i] = c[i - 1] / lead;
	for (int i = 0; i < n; i++)
		z[i] = cpow(0.4 + 0.9 * I, i);
	for (int it = 0; it < 500; it++) {
		double change = 0;
		for (int i = 0; i < n; i++) {
			double complex p = 1;
			for (int j = n - 1; j >= 0; j--)
				p = p * z[i] + a[j];
			double complex d = 1;
			for (int j = 0; j < n; j++)
				if (j != i)
					d *= z[i] - z[j];
			double complex step = d != 0 ? p / d : 0;
			z[i] -= step;
			if (cabs(step) > change)
				change = cabs(step);
		}
		if (change < 1e-14)
			break;
	}
	for (int i = 0; i < n; i++) {
		re[i] = creal(z[i]);
		im[i] = cimag(z[i]);
	}
}

double rebuy__poly_min_root(const double *c, int n)
{
	while (n > 0 && fabs(c[n - 1]) <= 1e-8)
		n--;
	if (n == 0)
		return 2;
	double re[FC_DEG_MAX + 1], im[FC_DEG_MAX + 1], best = 2;
	rebuy__poly_roots(c, n, re, im);
	for (int i = 0; i < n; i++) {
		double m = hypot(re[i], im[i]);
		if (m < best)
			best = m;
	}
	return best;
}

double rebuy_kpss_stat(const double *x, size_t n, int lags)
{
	if (n < 2)
		return NAN;
	if (lags < 0)
		lags = (int)trunc(3 * sqrt((double)n) / 13);
	double mean = 0;
	for (size_t i = 0; i < n; i++)
		mean += x[i];
	mean /= (double)n;
	double S = 0, nom = 0, s2 = 0;
	for (size_t i = 0; i < n; i++) {
		double e = x[i] - mean;
		S += e;
		nom += S * S;
		s2 += e * e;
	}
	double nn = (double)n;
	nom /= nn * nn;
	s2 /= nn;
	double denom = s2;
	for (int l = 1; l <= lags && (size_t)l < n; l++) {
		double cov = 0;
		for (size_t i = (size_t)l; i < n; i++)
			cov += (x[i] - mean) * (x[i - (size_t)l] - mean);
		denom += 2.0 / nn * (1 - (double)l / (lags + 1)) * cov;
	}
	return nom / denom;
}

static int is_constant(const double *x, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (x[i] != x[0])
			return 0;
	return 1;
}

/* KPSS p-value below 0.05: R's urca interpolates the table (0.347 10 %,
 * 0.463 5 %, 0.574 2.5 %, 0.739 1 %), so p < 0.05 iff the statistic > 0.463. */
int rebuy_ndiffs(const double *x, size_t n, int max_d)
{
	if (n < 2 || is_constant(x, n))
		return 0;
	double *w = rebuy__malloc(sizeof(double) * n);
	if (!w)
		return 0;
	memcpy(w, x, sizeof(double) * n);
	int d = 0;
	size_t len = n;
	while (d < max_d && rebuy_kpss_stat(w, len, -1) > 0.463) {
		d++;
		len = rebuy_diff(w, len, 1, w);
		if (len < 2 || is_constant(w, len))
			break;
	}
	rebuy__free(w);
	return d;
}

double rebuy_seasonal_strength(const double *x, size_t n, int m)
{
	if (m < 2 || n < 2 * (size_t)m + 1)
		return 0;
	double *trend = rebuy__malloc(sizeof(double) * n);
	double *det = rebuy__malloc(sizeof(double) * n);
	double seas[REBUY_ARIMA_MAX_PERIOD] = {0};
	int cnt[REBUY_ARIMA_MAX_PERIOD] = {0};
	double strength = 0;
	if (!trend || !det)
		goto out;
	/* centred moving average of order m (2 x m when m is even) */
	size_t h = (size_t)m / 2;
	for (size_t t = 0; t < n; t++) {
		trend[t] = NAN;
		if (t < h || t + h >= n)
			continue;
		double s = 0;
		if (m % 2 == 0) {
			s = 0.5 * x[t - h] + 0.5 * x[t + h];
			for (size_t j = t - h + 1; j < t + h; j++)
				s += x[j];
		} else {
			for (size_t j = t - h; j <= t + h; j++)
				s += x[j];
		}
		trend[t] = s / m;
	}
	for (size_t t = 0; t < n; t++) {
		det[t] = x[t] - trend[t];
		if (!isnan(det[t])) {
			seas[t % (size_t)m] += det[t];
			cnt[t % (size_t)m]++;
		}
	}
	double smean = 0;
	for (int i = 0; i < m; i++) {
		seas[i] = cnt[i] ? seas[i] / cnt[i] : 0;
		smean += seas[i];
	}
	smean /= m;
	double mr = 0, msr = 0;
	size_t k = 0;
	for (size_t t = 0; t < n; t++) {
		if (isnan(det[t]))
			continue;
		double s = seas[t % (size_t)m] - smean, rem = det[t] - s;
		mr += rem;
		msr += s + rem;
		k++;
	}
	mr /= (double)k;
	msr /= (double)k;
	double vr = 0, vsr = 0;
	for (size_t t = 0; t < n; t++) {
		if (isnan(det[t]))
			continue;
		double s = seas[t % (size_t)m] - smean, rem = det[t] - s;
		vr += (rem - mr) * (rem - mr);
		vsr += (s + rem - msr) * (s + rem - msr);
	}
	strength = vsr > 0 ? 1 - vr / vsr : 0;
	if (strength < 0)
		strength = 0;
out:
	rebuy__free(trend);
	rebuy__free(det);
	return strength;
}

int rebuy_nsdiffs(const double *x, size_t n, int m)
{
	if (m < 2 || n <= 2 * (size_t)m || is_constant(x, n))
		return 0;
	return rebuy_seasonal_strength(x, n, m) > 0.64;
}

enum rebuy_status rebuy_snaive_forecast(const double *x, size_t n, int m, size_t h, double level,
                                        double *mean, double *lo, double *hi,
                                        struct rebuy_error *err)
{
	if (m < 1 || n < (size_t)m)
		return rebuy_error_set(err, REBUY_EDATA,
		                       "seasonal naive: %zu observations, at least %d needed", n,
		                       m);
	if (!(level > 0 && level < 1))
		return rebuy_error_set(err, REBUY_EARG, "seasonal naive: level %g is not in (0, 1)",
		                       level);
	double ss = 0;
	size_t k = 0;
	for (size_t i = (size_t)m; i < n; i++, k++)
		ss += (x[i] - x[i - (size_t)m]) * (x[i] - x[i - (size_t)m]);
	double sigma = k > 0 ? sqrt(ss / (double)k) : NAN;
	double z = rebuy__norm_quantile(0.5 + level / 2);
	for (size_t i = 0; i < h; i++) {
		mean[i] = x[n - (size_t)m + i % (size_t)m];
		double sd = sigma * sqrt((double)(i / (size_t)m + 1));
		if (lo)
			lo[i] = mean[i] - z * sd;
		if (hi)
			hi[i] = mean[i] + z * sd;
	}
	return REBUY_OK;
}

void rebuy_forecast_accuracy(const double *x, size_t n, int m, const double *y, const double *f,
                             size_t h, struct rebuy_accuracy *out)
{
	double sm = 0, mp = 0, ae = 0, scale = 0;
	size_t nm = 0, ns = 0;
	for (size_t i = 0; i < h; i++) {
		double e = fabs(y[i] - f[i]);
		ae += e;
		if (fabs(y[i]) + fabs(f[i]) > 0)
			sm += 2 * e / (fabs(y[i]) + fabs(f[i]));
		if (y[i] != 0) {
			mp += e / fabs(y[i]);
			nm++;
		}
	}
	for (size_t i = (size_t)m; i < n; i++, ns++)
		scale += fabs(x[i] - x[i - (size_t)m]);
	out->smape = h ? 100 * sm / (double)h : NAN;
	out->mape = nm ? 100 * mp / (double)nm : NAN;
	out->mase = ns && scale > 0 && h ? (ae / (double)h) / (scale / (double)ns) : NAN;
}
