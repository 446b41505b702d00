/* Unit tests for the forecasts (include/rebuy/forecast.h, docs/forecast.md):
 * hand-checkable pieces (differences, KPSS, the AR(1) exact likelihood,
 * seasonal naive, sMAPE/MASE) and R's forecast::auto.arima on AirPassengers
 * (../shared/reference/forecast/airpassengers_ref.txt). */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/clv.h"
#include "rebuy/date.h"
#include "rebuy/forecast.h"
#include "rebuy/orders.h"
#include "rebuy/summary.h"

#include "core/rng.h"
#include "forecast/fc_int.h"

#ifndef assert_double_equal
#define assert_double_equal(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))
#endif

static void test_forecast__diff_lag_1_and_12(void **state)
{
	(void)state;
	double x[14], y[14];
	for (int i = 0; i < 14; i++)
		x[i] = i * i;
	assert_int_equal(rebuy_diff(x, 14, 1, y), 13);
	for (int i = 0; i < 13; i++)
		assert_true(y[i] == 2 * i + 1);
	assert_int_equal(rebuy_diff(x, 14, 12, y), 2);
	assert_true(y[0] == 144 && y[1] == 169 - 1);
	assert_int_equal(rebuy_diff(x, 12, 12, y), 0);
}

/* x = 1..5, no lags: e = -2..2, partial sums -2 -3 -3 -2 0, sum of squares
 * 26 / 25 over s2 = 10 / 5: 0.52. */
static void test_forecast__kpss_by_hand(void **state)
{
	(void)state;
	double x[] = {1, 2, 3, 4, 5};
	assert_double_equal(rebuy_kpss_stat(x, 5, 0), 0.52, 1e-15);
	/* one lag: denominator 2 + 2/5 * (1/2) * sum e_t e_{t-1} = 2 + 0.2 * 4 = 2.8 */
	assert_double_equal(rebuy_kpss_stat(x, 5, 1), 1.04 / 2.8, 1e-15);
}

/* The exact AR(1) likelihood with the variance profiled out:
 * S = (1 - phi^2) x1^2 + sum (x_t - phi x_{t-1})^2,
 * loglik = -n/2 (log(2 pi S / n) + 1) + log(1 - phi^2) / 2. */
static double ar1_loglik(const double *x, int n, double phi)
{
	double S = (1 - phi * phi) * x[0] * x[0];
	for (int t = 1; t < n; t++)
		S += (x[t] - phi * x[t - 1]) * (x[t] - phi * x[t - 1]);
	return -n / 2.0 * (log(2 * M_PI * S / n) + 1) + 0.5 * log(1 - phi * phi);
}

static void test_forecast__ar1_likelihood_is_the_direct_formula(void **state)
{
	(void)state;
	double x[200];
	unsigned s = 12345;
	double prev = 0;
	for (int i = 0; i < 200; i++) {
		double u = 0;
		for (int k = 0; k < 12; k++) {
			s = s * 1103515245u + 12345u;
			u += (s >> 8) / 16777216.0;
		}
		x[i] = prev = 0.6 * prev + (u - 6);
	}
	struct rebuy_arima_order o = {1, 0, 0, 0, 0, 0, 1, 0};
	struct rebuy_arima *fit = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_arima_fit(x, 200, &o, REBUY_ARIMA_CSS_ML, &fit, &err), REBUY_OK);
	double phi = fit->coef[0];
	assert_double_equal(fit->loglik, ar1_loglik(x, 200, phi), 1e-8);
	/* and it is the maximum, to the optimizer's tolerance */
	assert_true(ar1_loglik(x, 200, phi + 1e-3) < fit->loglik);
	assert_true(ar1_loglik(x, 200, phi - 1e-3) < fit->loglik);
	assert_true(phi > 0.4 && phi < 0.8);
	rebuy_arima_free(fit);
}

static void test_forecast__snaive_and_accuracy_by_hand(void **state)
{
	(void)state;
	double x[] = {1, 2, 3, 4}, f[3], lo[3], hi[3], y[] = {4, 4};
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_snaive_forecast(x, 4, 2, 3, 0.95, f, lo, hi, &err), REBUY_OK);
	assert_true(f[0] == 3 && f[1] == 4 && f[2] == 3);
	/* seasonal differences 2, 2: sigma 2; h = 3 is in the second season */
	assert_double_equal(hi[0] - f[0], 1.959963984540054 * 2, 1e-9);
	assert_double_equal(hi[2] - f[2], 1.959963984540054 * 2 * sqrt(2), 1e-9);
	struct rebuy_accuracy a;
	rebuy_forecast_accuracy(x, 4, 2, y, f, 2, &a);
	assert_double_equal(a.smape, 100.0 / 7, 1e-12);
	assert_double_equal(a.mape, 12.5, 1e-12);
	assert_double_equal(a.mase, 0.25, 1e-12);
}

static void test_forecast__bad_orders_and_short_series_are_errors(void **state)
{
	(void)state;
	double x[5] = {1, 2, 3, 4, 5};
	struct rebuy_arima *fit = NULL;
	struct rebuy_error err = {0};
	struct rebuy_arima_order o = {6, 0, 0, 0, 0, 0, 1, 0};
	assert_int_equal(rebuy_arima_fit(x, 5, &o, REBUY_ARIMA_CSS_ML, &fit, &err), REBUY_EARG);
	assert_null(fit);
	struct rebuy_arima_order o2 = {0, 1, 1, 0, 1, 1, 12, 0};
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_arima_fit(x, 5, &o2, REBUY_ARIMA_CSS_ML, &fit, &err), REBUY_EDATA);
	assert_non_null(strstr(err.msg, "too few"));
	double bad[3] = {1, NAN, 2};
	struct rebuy_arima_auto_options ao;
	rebuy_arima_auto_options_init(&ao);
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_arima_auto(bad, 3, &ao, &fit, &err), REBUY_EDATA);
}

/* The reference line that starts with prefix, or skips. */
static const char *ref_line(const char *prefix, char *buf, size_t size)
{
	const char *path = tu_shared_path("reference/forecast/airpassengers_ref.txt");
	if (!path)
		return NULL;
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(buf, (int)size, f))
		if (strncmp(buf, prefix, strlen(prefix)) == 0) {
			fclose(f);
			return buf;
		}
	fclose(f);
	fail_msg("no line '%s' in the reference", prefix);
	return NULL;
}

static double ref_value(const char *line, const char *key)
{
	const char *p = strstr(line, key);
	assert_non_null(p);
	return strtod(p + strlen(key), NULL);
}

/* auto.arima(AirPassengers): (2,1,1)(0,1,0)[12]; coefficients to 1e-3 and
 * the log-likelihood to 0.01 (rebuy differences where R uses a diffuse
 * prior; the two agree to about 1e-3). */
static void test_forecast__auto_arima_airpassengers(void **state)
{
	(void)state;
	double x[144];
	char buf[1024];
	if (!tu_load_airpassengers(x) || !ref_line("auto.arima(AirPassengers):", buf, sizeof buf))
		skip();
	struct rebuy_arima_auto_options o;
	rebuy_arima_auto_options_init(&o);
	o.m = 12;
	struct rebuy_arima *fit = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_arima_auto(x, 144, &o, &fit, &err), REBUY_OK);
	const struct rebuy_arima_order *r = &fit->order;
	assert_true(r->p == 2 && r->d == 1 && r->q == 1 && r->P == 0 && r->D == 1 && r->Q == 0 &&
	            r->m == 12);
	assert_int_equal(fit->n_coef, 3);
	assert_double_equal(fit->coef[0], ref_value(buf, "ar1="), 1e-3);
	assert_double_equal(fit->coef[1], ref_value(buf, "ar2="), 1e-3);
	assert_double_equal(fit->coef[2], ref_value(buf, "ma1="), 1e-3);
	assert_double_equal(fit->loglik, ref_value(buf, "loglik="), 0.01);
	assert_double_equal(fit->aicc, ref_value(buf, "AICc="), 0.02);
	double f[12];
	assert_int_equal(rebuy_arima_forecast(fit, 12, 0.95, f, NULL, NULL, &err), REBUY_OK);
	const char *fl = ref_line("auto.arima(AirPassengers) 12-step", buf, sizeof buf);
	const char *p = strchr(fl, ':') + 1;
	for (int i = 0; i < 12; i++) {
		char *end;
		double v = strtod(p, &end);
		assert_double_equal(f[i], v, 0.01);
		p = end;
	}
	rebuy_arima_free(fit);
}

/* The airline model (0,1,1)(0,1,1)[12] on log AirPassengers: coefficients
 * to 1e-3, log-likelihood to 0.01, exp of the 12 forecasts to 0.01. */
static void test_forecast__airline_model_on_the_logs(void **state)
{
	(void)state;
	double x[144];
	char buf[1024];
	if (!tu_load_airpassengers(x) ||
	    !ref_line("Arima(log, (0,1,1)(0,1,1)[12]) airline:", buf, sizeof buf))
		skip();
	for (int i = 0; i < 144; i++)
		x[i] = log(x[i]);
	struct rebuy_arima_order o = {0, 1, 1, 0, 1, 1, 12, 0};
	struct rebuy_arima *fit = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_arima_fit(x, 144, &o, REBUY_ARIMA_CSS_ML, &fit, &err), REBUY_OK);
	assert_double_equal(fit->coef[0], ref_value(buf, "ma1="), 1e-3);
	assert_double_equal(fit->coef[1], ref_value(buf, "sma1="), 1e-3);
	assert_double_equal(fit->loglik, ref_value(buf, "loglik="), 0.01);
	double f[12], lo[12], hi[12];
	assert_int_equal(rebuy_arima_forecast(fit, 12, 0.95, f, lo, hi, &err), REBUY_OK);
	const char *fl = ref_line("airline model 12-step", buf, sizeof buf);
	const char *p = strchr(fl, ':') + 1;
	for (int i = 0; i < 12; i++) {
		char *end;
		double v = strtod(p, &end);
		assert_double_equal(exp(f[i]), v, 0.01);
		assert_true(lo[i] < f[i] && f[i] < hi[i]);
		if (i > 0)
			assert_true(hi[i] - lo[i] > hi[i - 1] - lo[i - 1]);
		p = end;
	}
	rebuy_arima_free(fit);
}

/* A lifetime model with four parameters, as if fitted. */
static struct rebuy_clv_fit clv_fit_of(enum rebuy_clv_model model, const double *p)
{
	struct rebuy_clv_fit fit;
	memset(&fit, 0, sizeof fit);
	fit.model = model;
	fit.est.n_params = 4;
	memcpy(fit.est.params, p, 4 * sizeof *p);
	return fit;
}

/* BG/NBD on CDNOW (Fader, Hardie & Lee 2005): r, alpha, a, b. */
static const double cdnow_bgnbd[4] = {0.243, 4.414, 0.793, 2.426};

/* The customer-lifetime forecast against ../shared/reference/clv.md's
 * BG/NBD values at (0.243, 4.414, 0.793, 2.426): one customer
 * (2, 30.43, 38.86) twice over (weight 2) gives 2 x CET(39) = 2 x
 * 1.22602817476714 summed over periods ending at 13, 26 and 39 weeks; one
 * new customer in the first period (midpoint 6.5) has 1 + E[X(39 - 6.5)]
 * by the end, and E[X(t)] at 32 is 1.04524332837444 (t = 32.5 is checked
 * to lie between E[X(32)] and E[X(39)]). Tolerance 1e-9. */
static void test_forecast__clv_forecast_adds_up_to_the_published_cet(void **state)
{
	(void)state;
	struct rebuy_clv_fit fit = clv_fit_of(REBUY_CLV_BGNBD, cdnow_bgnbd);
	double x = 2, tx = 30.43, T = 38.86, w = 2;
	struct rebuy_clv_data d;
	memset(&d, 0, sizeof d);
	d.n = 1;
	d.x = &x, d.t_x = &tx, d.T = &T, d.w = &w;
	double ts[3] = {0, 13, 26}, te[3] = {13, 26, 39}, nn[3] = {1, 0, 0}, base[3], fresh[3];
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_clv_forecast(&fit, &d, ts, te, 3, nn, base, fresh, &err), REBUY_OK);
	assert_double_equal(base[0] + base[1] + base[2], 2 * 1.22602817476714, 1e-9);
	assert_true(base[0] > base[1] && base[1] > base[2] && base[2] > 0);
	double by_end = fresh[0] + fresh[1] + fresh[2];
	assert_double_equal(by_end, 1 + rebuy_clv_expected_new(&fit, 32.5), 1e-12);
	assert_double_equal(rebuy_clv_expected_new(&fit, 32), 1.04524332837444, 1e-9);
	assert_true(by_end > 1 + 1.04524332837444 && by_end < 1 + 1.19672319332082);
	double bad_te[3] = {13, 12, 39};
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_clv_forecast(&fit, &d, ts, bad_te, 3, nn, base, fresh, &err),
	                 REBUY_EARG);
}

/* A series whose differences do not vary: a constant, all zeros, a line
 * and a repeating season of 4. auto.arima (as R's) returns the plain
 * (0,d,0)(0,D,0) with the differences' value as mean or drift and no
 * innovation variance; the forecast continues the series exactly (1e-9)
 * with an interval of width 0, where a likelihood fit used to fail on the
 * zero variance (rebuy forecast stopped on a shop's all-zero repeat
 * revenue). */
static void test_forecast__series_without_variation_continue_exactly(void **state)
{
	(void)state;
	enum { N = 24, H = 5 };
	double x[4][N];
	static const double season[4] = {3, 7, 1, 5};
	for (int t = 0; t < N; t++) {
		x[0][t] = 5;
		x[1][t] = 0;
		x[2][t] = 3 + 2 * t;
		x[3][t] = season[t % 4];
	}
	const int m[4] = {1, 1, 1, 4};
	for (int k = 0; k < 4; k++) {
		struct rebuy_arima_auto_options o;
		rebuy_arima_auto_options_init(&o);
		o.m = (size_t)m[k];
		struct rebuy_arima *fit = NULL;
		struct rebuy_error err = {0};
		assert_int_equal(rebuy_arima_auto(x[k], N, &o, &fit, &err), REBUY_OK);
		double f[H], lo[H], hi[H];
		assert_int_equal(rebuy_arima_forecast(fit, H, 0.95, f, lo, hi, &err), REBUY_OK);
		for (int j = 0; j < H; j++) {
			int t = N + j;
			double want = k == 0 ? 5 : k == 1 ? 0 : k == 2 ? 3 + 2 * t : season[t % 4];
			assert_double_equal(f[j], want, 1e-9);
			assert_double_equal(lo[j], want, 1e-9);
			assert_double_equal(hi[j], want, 1e-9);
		}
		if (k <= 1) {
			assert_int_equal(fit->order.p + fit->order.d + fit->order.q, 0);
			assert_int_equal(fit->order.has_constant, k == 0);
		}
		rebuy_arima_free(fit);
	}
}

/* The BG/NBD family's base is computed once per distinct (x, T) and
 * P(alive) once per customer, Pareto/NBD's with P(alive) once per
 * customer; the sums must be the bits of the plain loop over
 * rebuy_clv_expected_purchases, in row order. 6,000 customers on 1,200
 * distinct (x, T) (so the table grows twice) with t_x all different, for
 * BG/NBD, MBG/NBD and Pareto/NBD (CDNOW's published parameters). */
static void test_forecast__clv_base_by_history_is_the_plain_sum(void **state)
{
	(void)state;
	enum { N = 6000 };
	static double x[N], tx[N], T[N], w[N];
	struct rebuy__rng rng;
	rebuy__rng_seed(&rng, 7);
	for (size_t i = 0; i < N; i++) {
		x[i] = (double)(rebuy__rng_next(&rng) % 30);
		T[i] = 5 + (double)(rebuy__rng_next(&rng) % 40) * 1.75;
		tx[i] = x[i] > 0 ? T[i] * rebuy__rng_uniform(&rng) : 0;
		w[i] = 1 + (double)(i % 3);
	}
	struct rebuy_clv_data d;
	memset(&d, 0, sizeof d);
	d.n = N;
	d.x = x, d.t_x = tx, d.T = T, d.w = w;
	double ts[4] = {0, 4.3, 8.6, 13}, te[4] = {4.3, 8.6, 13, 30};
	const enum rebuy_clv_model models[3] = {REBUY_CLV_BGNBD, REBUY_CLV_MBGNBD, REBUY_CLV_PNBD};
	static const double cdnow_pnbd[4] = {0.553, 10.58, 0.606, 11.67};
	for (int m = 0; m < 3; m++) {
		struct rebuy_clv_fit fit = clv_fit_of(
		        models[m], models[m] == REBUY_CLV_PNBD ? cdnow_pnbd : cdnow_bgnbd);
		double base[4], want[4], prev = 0;
		struct rebuy_error err = {0};
		assert_int_equal(rebuy_clv_forecast(&fit, &d, ts, te, 4, NULL, base, NULL, &err),
		                 REBUY_OK);
		for (size_t k = 0; k < 4; k++) {
			double cum = 0;
			for (size_t i = 0; i < N; i++)
				cum += w[i] *
				       rebuy_clv_expected_purchases(&fit, x[i], tx[i], T[i], te[k]);
			want[k] = cum - prev;
			prev = cum;
		}
		assert_memory_equal(base, want, sizeof base);
		assert_true(base[0] > 0 && base[3] > 0);
	}
}

/* rebuy_clv_orders_forecast from an order file, against its parts put
 * together here: 60 customers from 2024-01-01 to 2024-09-14, monthly, the
 * 8 complete months (January to August) fitted, so the BG/NBD's data end
 * on 2024-08-31 and the next three months are 0-30, 30-61 and 61-91 days
 * after (in weeks); the new customers are automatic ARIMA's forecast of
 * the monthly new-customer counts (at least 0). Tolerance 1e-9 relative.
 * The 90 % interval holds the forecast and is the same twice; bad
 * arguments are errors. */
static void test_forecast__clv_orders_forecast_is_its_parts(void **state)
{
	(void)state;
	size_t cap = 1 << 16, len = 0;
	char *csv = malloc(cap);
	assert_non_null(csv);
	len += (size_t)snprintf(csv, cap, "customer,date,amount\n");
	int64_t first = rebuy_days_from_civil(2024, 1, 1),
	        last = rebuy_days_from_civil(2024, 9, 14);
	for (int i = 0; i < 60; i++)
		for (int64_t t = first + i * 4; t <= last && t < first + i * 4 + 200;
		     t += 7 + (i % 5) * 9) {
			char date[16];
			rebuy_format_day(t, date, sizeof date);
			len += (size_t)snprintf(csv + len, cap - len, "c%02d,%s,10.00\n", i, date);
			assert_true(len < cap);
		}
	struct rebuy_orders *o = tu_load_orders_text(csv, len);
	struct rebuy_error err = {0};
	struct rebuy_summary_options so;
	rebuy_summary_options_init(&so);
	so.period = REBUY_PERIOD_MONTH;
	so.n_threads = 1;
	struct rebuy_summary *s = NULL;
	assert_int_equal(rebuy_summary_compute(o, &so, &s, &err), REBUY_OK);
	assert_int_equal(s->n_periods, 9);
	assert_true(s->periods[8].is_partial && !s->periods[7].is_partial);

	double mean[3], lo[3], hi[3], lo2[3], hi2[3];
	assert_int_equal(rebuy_clv_orders_forecast(o, s, 8, 3, 12, REBUY_CLV_BGNBD, 0.9, 1, mean,
	                                           lo, hi, &err),
	                 REBUY_OK);

	struct rebuy_clv_data *d = NULL;
	assert_int_equal(rebuy_clv_data_from_orders(o, rebuy_days_from_civil(2024, 8, 31),
	                                            REBUY_UNIT_WEEK, &d, &err),
	                 REBUY_OK);
	struct rebuy_clv_fit_options fo;
	rebuy_clv_fit_options_init(&fo);
	fo.model = REBUY_CLV_BGNBD;
	fo.n_threads = 1;
	struct rebuy_clv_fit fit;
	assert_int_equal(rebuy_clv_fit(d, &fo, &fit, &err), REBUY_OK);
	double hist[8], nn[3], nlo[3], nhi[3], base[3], fresh[3];
	for (int i = 0; i < 8; i++)
		hist[i] = (double)s->periods[i].N;
	struct rebuy_arima_auto_options ao;
	rebuy_arima_auto_options_init(&ao);
	ao.m = 1; /* 8 months are too few for a season of 12 */
	struct rebuy_arima *af = NULL;
	assert_int_equal(rebuy_arima_auto(hist, 8, &ao, &af, &err), REBUY_OK);
	assert_int_equal(rebuy_arima_forecast(af, 3, 0.95, nn, nlo, nhi, &err), REBUY_OK);
	rebuy_arima_free(af);
	for (int k = 0; k < 3; k++)
		nn[k] = nn[k] > 0 ? nn[k] : 0;
	double ts[3] = {0, 30 / 7.0, 61 / 7.0}, te[3] = {30 / 7.0, 61 / 7.0, 91 / 7.0};
	assert_int_equal(rebuy_clv_forecast(&fit, d, ts, te, 3, nn, base, fresh, &err), REBUY_OK);
	for (int k = 0; k < 3; k++) {
		double want = base[k] + fresh[k];
		assert_true(want > 0);
		assert_double_equal(mean[k], want, 1e-9 * want);
		assert_true(lo[k] <= mean[k] && mean[k] <= hi[k] && lo[k] < hi[k]);
	}
	assert_int_equal(rebuy_clv_orders_forecast(o, s, 8, 3, 12, REBUY_CLV_BGNBD, 0.9, 1, mean,
	                                           lo2, hi2, &err),
	                 REBUY_OK);
	assert_memory_equal(lo, lo2, sizeof lo);
	assert_memory_equal(hi, hi2, sizeof hi);
	/* no interval asked for: the same forecast */
	double mean2[3];
	assert_int_equal(rebuy_clv_orders_forecast(o, s, 8, 3, 12, REBUY_CLV_BGNBD, 0.9, 1, mean2,
	                                           NULL, NULL, &err),
	                 REBUY_OK);
	assert_memory_equal(mean, mean2, sizeof mean);
	/* bad arguments: no periods, more than the summary's, lo without hi, a
	 * level outside (0, 1), a model without purchase counts */
	static const struct {
		size_t n;
		enum rebuy_clv_model model;
		double level;
		int hi;
	} bad[] = {{0, REBUY_CLV_BGNBD, 0.9, 1},
	           {10, REBUY_CLV_BGNBD, 0.9, 1},
	           {8, REBUY_CLV_BGNBD, 0.9, 0},
	           {8, REBUY_CLV_BGNBD, 1.5, 1},
	           {8, REBUY_CLV_SBG, 0.9, 1}};
	for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
		rebuy_error_clear(&err);
		assert_int_equal(rebuy_clv_orders_forecast(o, s, bad[k].n, 3, 12, bad[k].model,
		                                           bad[k].level, 1, mean, lo,
		                                           bad[k].hi ? hi : NULL, &err),
		                 REBUY_EARG);
	}
	/* MBG/NBD and Pareto/NBD: their own fits, the same composition */
	const enum rebuy_clv_model others[2] = {REBUY_CLV_MBGNBD, REBUY_CLV_PNBD};
	for (int k = 0; k < 2; k++) {
		struct rebuy_clv_fit of;
		fo.model = others[k];
		assert_int_equal(rebuy_clv_fit(d, &fo, &of, &err), REBUY_OK);
		double ob[3], ofr[3];
		assert_int_equal(rebuy_clv_forecast(&of, d, ts, te, 3, nn, ob, ofr, &err),
		                 REBUY_OK);
		assert_int_equal(rebuy_clv_orders_forecast(o, s, 8, 3, 12, others[k], 0.9, 1, mean,
		                                           lo, hi, &err),
		                 REBUY_OK);
		for (int j = 0; j < 3; j++) {
			assert_double_equal(mean[j], ob[j] + ofr[j], 1e-9 * mean[j]);
			assert_true(lo[j] <= mean[j] && mean[j] <= hi[j]);
		}
	}
	rebuy_clv_data_free(d);
	rebuy_summary_free(s);
	rebuy_orders_free(o);
	free(csv);
}

/* The simulated futures of rebuy_clv_forecast_interval: their mean must be
 * the closed-form expectation rebuy_clv_forecast gives (so the posterior
 * draws are right), for BG/NBD, MBG/NBD and Pareto/NBD at CDNOW-like
 * parameters on 280 customers of every kind of history; tolerance 1.5 %
 * of the period's total, over 7 Monte Carlo standard errors at 20,000
 * paths; past the simulation budget, the normal approximation agrees with
 * those paths' quantiles. And one CDNOW customer of the published example (weight 2): 2 x
 * 1.22603 purchases in 39 weeks. The interval holds the mean, the same seed
 * gives the same bits, and bad arguments are errors. */
static void test_forecast__clv_intervals_simulate_the_expectation(void **state)
{
	(void)state;
	enum { N = 280, H = 4 };
	double x[N], tx[N], T[N], w[N];
	for (int i = 0; i < N; i++) {
		T[i] = i % 2 ? 39 : 26;
		x[i] = i % 7;
		tx[i] = x[i] == 0 ? 0 : T[i] * ((i * 37) % 100 + 1) / 101.0;
		w[i] = 1 + i % 3;
	}
	struct rebuy_clv_data d;
	memset(&d, 0, sizeof d);
	d.n = N;
	d.x = x, d.t_x = tx, d.T = T, d.w = w;
	double ts[H] = {0, 13, 26, 39}, te[H] = {13, 26, 39, 52};
	static const struct {
		enum rebuy_clv_model model;
		double p[4];
	} models[] = {
	        {REBUY_CLV_BGNBD, {0.243, 4.414, 0.793, 2.426}},
	        {REBUY_CLV_MBGNBD, {0.525, 6.183, 0.891, 1.614}},
	        {REBUY_CLV_PNBD, {0.553, 10.58, 0.606, 11.67}},
	};
	struct rebuy_error err = {0};
	for (size_t m = 0; m < sizeof models / sizeof models[0]; m++) {
		struct rebuy_clv_fit fit = clv_fit_of(models[m].model, models[m].p);
		double base[H], lo[H], hi[H], mean[H];
		assert_int_equal(rebuy_clv_forecast(&fit, &d, ts, te, H, NULL, base, NULL, &err),
		                 REBUY_OK);
		assert_int_equal(rebuy_clv_forecast_interval(&fit, &d, ts, te, H, NULL, NULL, NULL,
		                                             0.9, 20000, 7, lo, hi, mean, &err),
		                 REBUY_OK);
		for (int k = 0; k < H; k++) {
			assert_true(fabs(mean[k] - base[k]) < 0.015 * base[k]);
			assert_true(lo[k] <= base[k] && base[k] <= hi[k] && lo[k] < hi[k]);
		}
		/* 280 rows x 100,000 paths is past the budget: the normal
		 * approximation, centred on the closed form, within 3 % of the
		 * simulated quantiles (it gave 1-2 % when written) */
		double lo2[H], hi2[H], mean2[H];
		assert_int_equal(rebuy_clv_forecast_interval(&fit, &d, ts, te, H, NULL, NULL, NULL,
		                                             0.9, 100000, 7, lo2, hi2, mean2, &err),
		                 REBUY_OK);
		/* the caller's own closed form as the centre: the same interval */
		double lo3[H], hi3[H];
		assert_int_equal(rebuy_clv_forecast_interval(&fit, &d, ts, te, H, NULL, NULL, base,
		                                             0.9, 100000, 7, lo3, hi3, NULL, &err),
		                 REBUY_OK);
		assert_memory_equal(lo3, lo2, sizeof lo2);
		assert_memory_equal(hi3, hi2, sizeof hi2);
		for (int k = 0; k < H; k++) {
			assert_true(mean2[k] == base[k]);
			assert_true(fabs(lo2[k] - lo[k]) < 0.03 * lo[k]);
			assert_true(fabs(hi2[k] - hi[k]) < 0.03 * hi[k]);
		}
	}
	/* one customer: the published 39-week expectation */
	struct rebuy_clv_fit fit = clv_fit_of(REBUY_CLV_BGNBD, cdnow_bgnbd);
	double x1 = 2, tx1 = 30.43, T1 = 38.86, w1 = 2;
	struct rebuy_clv_data one;
	memset(&one, 0, sizeof one);
	one.n = 1;
	one.x = &x1, one.t_x = &tx1, one.T = &T1, one.w = &w1;
	double t0[1] = {0}, t39[1] = {39}, lo1, hi1, mean1;
	assert_int_equal(rebuy_clv_forecast_interval(&fit, &one, t0, t39, 1, NULL, NULL, NULL, 0.95,
	                                             100000, 3, &lo1, &hi1, &mean1, &err),
	                 REBUY_OK);
	assert_double_equal(mean1, 2 * 1.22602817476714, 0.03);
	assert_true(lo1 == 0 && hi1 >= 8); /* a 0.95 interval of a count that is often 0 */
	/* new customers widen it; the same seed, the same bits */
	double nn[H] = {50, 50, 50, 50}, sd[H] = {5, 8, 10, 12}, a[2][2 * H];
	for (int r = 0; r < 2; r++)
		assert_int_equal(rebuy_clv_forecast_interval(&fit, &d, ts, te, H, nn, sd, NULL, 0.8,
		                                             500, 11, a[r], a[r] + H, NULL, &err),
		                 REBUY_OK);
	assert_memory_equal(a[0], a[1], sizeof a[0]);
	/* errors */
	assert_int_equal(rebuy_clv_forecast_interval(&fit, &d, ts, te, H, NULL, NULL, NULL, 1.0,
	                                             500, 1, a[0], a[1], NULL, &err),
	                 REBUY_EARG);
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_clv_forecast_interval(&fit, &d, ts, te, H, NULL, NULL, NULL, 0.9, 10,
	                                             1, a[0], a[1], NULL, &err),
	                 REBUY_EARG);
	rebuy_error_clear(&err);
	fit.model = REBUY_CLV_SBG;
	assert_int_equal(rebuy_clv_forecast_interval(&fit, &d, ts, te, H, NULL, NULL, NULL, 0.9,
	                                             500, 1, a[0], a[1], NULL, &err),
	                 REBUY_EARG);
}

/* The fit evaluates the numeric gradient's points in lanes, eight at a
 * time, in SSE2 pairs, AVX2 fours or AVX-512 eights. Each lane must do the arithmetic of
 * the one-point objective in its order: the values are compared bit for
 * bit, CSS and exact ML, for plain, seasonal, constant and drift orders,
 * with a count of points that leaves a lane group part empty, and with
 * parameters far enough out that some lanes fail (non-stationary: DBL_MAX,
 * or a Kalman variance that is not positive). */
static void test_forecast__lanes_give_the_one_point_bits(void **state)
{
	(void)state;
	enum { N = 240, NPTS = 21 };
	double x[N];
	struct rebuy__rng rng;
	rebuy__rng_seed(&rng, 11);
	double e1 = 0, e2 = 0, lvl = 100;
	for (int t = 0; t < N; t++) {
		double e = rebuy__rng_normal(&rng);
		lvl += 0.3 + 0.6 * e + 0.3 * e1 - 0.2 * e2;
		x[t] = lvl + 8 * sin(2 * M_PI * t / 12.0);
		e2 = e1;
		e1 = e;
	}
	const struct rebuy_arima_order orders[] = {
	        {2, 1, 2, 0, 0, 0, 1, 1},  {1, 0, 1, 0, 0, 0, 1, 1},  {3, 0, 0, 0, 0, 0, 1, 0},
	        {0, 1, 5, 0, 0, 0, 1, 0},  {1, 1, 1, 1, 1, 1, 12, 0}, {0, 1, 3, 0, 1, 1, 12, 0},
	        {5, 1, 0, 2, 0, 0, 12, 1},
	};
	int compared = 0;
	for (size_t oi = 0; oi < sizeof orders / sizeof orders[0]; oi++) {
		const struct rebuy_arima_order *o = &orders[oi];
		int k = o->p + o->q + o->P + o->Q + (o->has_constant && o->d + o->D <= 1);
		double pars[NPTS * FC_K_MAX], fb[NPTS], fs[NPTS];
		for (int i = 0; i < NPTS * k; i++)
			pars[i] = (rebuy__rng_uniform(&rng) - 0.5) * (i % 7 == 0 ? 6 : 0.8);
		for (int ml = 0; ml <= 1; ml++)
			for (int isa = 1; isa <= 3; isa++) {
				if (!rebuy__arima_lanes_check(x, N, o, ml, pars, NPTS, isa, fb,
				                              fs)) {
					assert_true(isa >= 2); /* no AVX2 or AVX-512 here */
					continue;
				}
				for (int i = 0; i < NPTS; i++) {
					if (isnan(fs[i]))
						assert_true(isnan(fb[i]));
					else
						assert_memory_equal(&fb[i], &fs[i], sizeof(double));
				}
				compared++;
			}
	}
	assert_true(compared >= 14);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_forecast__diff_lag_1_and_12),
	        cmocka_unit_test(test_forecast__lanes_give_the_one_point_bits),
	        cmocka_unit_test(test_forecast__kpss_by_hand),
	        cmocka_unit_test(test_forecast__ar1_likelihood_is_the_direct_formula),
	        cmocka_unit_test(test_forecast__snaive_and_accuracy_by_hand),
	        cmocka_unit_test(test_forecast__bad_orders_and_short_series_are_errors),
	        cmocka_unit_test(test_forecast__auto_arima_airpassengers),
	        cmocka_unit_test(test_forecast__airline_model_on_the_logs),
	        cmocka_unit_test(test_forecast__clv_forecast_adds_up_to_the_published_cet),
	        cmocka_unit_test(test_forecast__series_without_variation_continue_exactly),
	        cmocka_unit_test(test_forecast__clv_base_by_history_is_the_plain_sum),
	        cmocka_unit_test(test_forecast__clv_orders_forecast_is_its_parts),
	        cmocka_unit_test(test_forecast__clv_intervals_simulate_the_expectation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
