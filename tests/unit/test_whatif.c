/* The share of new customers alive after t, and the fit with lower dropout
 * that lifts it (rebuy_clv_survival, rebuy_clv_shift_retention). The
 * BG/NBD share is checked against an independent quadrature of its
 * definition, E over p ~ Beta(a, b) of (1 + p t / alpha)^-r. The what-if
 * scenarios (rebuy_clv_whatif) against what is exactly true of them:
 * Pareto/NBD purchases scale with the rate, BG/NBD's run faster in time,
 * spend scales CLV, and the zero scenario is rebuy_clv_predict. */
#include <math.h>
#include <string.h>

#include "rebuy/clv.h"
#include "testutil.h"

static struct rebuy_clv_fit model(enum rebuy_clv_model m, double p0, double p1, double p2,
                                  double p3)
{
	struct rebuy_clv_fit f;
	memset(&f, 0, sizeof f);
	f.model = m;
	f.est.n_params = m == REBUY_CLV_SBG ? 2 : 4;
	f.est.params[0] = p0;
	f.est.params[1] = p1;
	f.est.params[2] = p2;
	f.est.params[3] = p3;
	return f;
}

/* Composite Simpson over p in (0, 1) of the Beta(a, b) density times
 * (1 - p)^extra (1 + p t / alpha)^-r; a, b >= 2 keep the integrand
 * smooth enough for 1e-9. */
static double quad_bgnbd(double r, double alpha, double a, double b, double t, int extra)
{
	const int n = 200000;
	double h = 1.0 / n, sum = 0;
	double lbeta = lgamma(a) + lgamma(b) - lgamma(a + b);
	for (int i = 0; i <= n; i++) {
		double p = i * h;
		double f = exp((a - 1) * log(p) + (b - 1) * log1p(-p) - lbeta) *
		           pow(1 - p, extra) * pow(1 + p * t / alpha, -r);
		if (i == 0 || i == n)
			f = (i == 0 && a == 1) || (i == n && b == 1) ? f : 0;
		sum += f * (i == 0 || i == n ? 1 : i % 2 ? 4 : 2);
	}
	return sum * h / 3;
}

static void test_whatif__bgnbd_survival_matches_quadrature(void **state)
{
	(void)state;
	const double cases[][5] = {
	        {0.243, 4.414, 2.5, 2.5, 52},  {2.0, 12.5, 2.0, 3.0, 104},
	        {0.8, 1.0, 2.2, 8.0, 10},      {5.0, 100.0, 3.0, 2.5, 52},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const double *c = cases[i];
		struct rebuy_clv_fit f = model(REBUY_CLV_BGNBD, c[0], c[1], c[2], c[3]);
		double s = rebuy_clv_survival(&f, c[4]);
		double q = quad_bgnbd(c[0], c[1], c[2], c[3], c[4], 0);
		print_message("bgnbd case %zu: series %.15f quadrature %.15f\n", i, s, q);
		assert_true(fabs(s - q) < 1e-9);
		f.model = REBUY_CLV_MBGNBD;
		s = rebuy_clv_survival(&f, c[4]);
		q = quad_bgnbd(c[0], c[1], c[2], c[3], c[4], 1);
		assert_true(fabs(s - q) < 1e-9);
	}
	struct rebuy_clv_fit f = model(REBUY_CLV_BGNBD, 0.5, 3, 1, 2);
	assert_true(rebuy_clv_survival(&f, 0) == 1);
	assert_true(rebuy_clv_survival(&f, INFINITY) == 0);
	assert_true(isnan(rebuy_clv_survival(&f, -1)));
	f.model = REBUY_CLV_MBGNBD;
	assert_true(fabs(rebuy_clv_survival(&f, 0) - 2.0 / 3) < 1e-15);
}

static void test_whatif__closed_forms(void **state)
{
	(void)state;
	struct rebuy_clv_fit f = model(REBUY_CLV_PNBD, 0.55, 10.58, 0.61, 11.67);
	assert_true(fabs(rebuy_clv_survival(&f, 52) - pow(11.67 / 63.67, 0.61)) < 1e-15);
	/* BG/BB: alive after n opportunities = prod_{k<n} (delta + k) / (gamma + delta + k). */
	f = model(REBUY_CLV_BGBB, 1.2, 0.75, 0.66, 2.78);
	double s = 1;
	for (int k = 0; k < 6; k++)
		s *= (2.78 + k) / (0.66 + 2.78 + k);
	assert_true(fabs(rebuy_clv_survival(&f, 6) - s) < 1e-13);
	f = model(REBUY_CLV_SBG, 0.704, 1.182, 0, 0);
	assert_true(fabs(rebuy_clv_survival(&f, 1) - 1.182 / 1.886) < 1e-14);
}

static void test_whatif__shift_hits_target(void **state)
{
	(void)state;
	const struct rebuy_clv_fit fits[] = {
	        model(REBUY_CLV_BGNBD, 0.243, 4.414, 0.793, 2.426),
	        model(REBUY_CLV_MBGNBD, 0.525, 6.183, 0.891, 1.614),
	        model(REBUY_CLV_PNBD, 0.553, 10.578, 0.606, 11.669),
	        model(REBUY_CLV_BGBB, 1.204, 0.750, 0.657, 2.783),
	        model(REBUY_CLV_SBG, 0.704, 1.182, 0, 0),
	};
	const double t[] = {52, 52, 52, 3, 4};
	for (size_t i = 0; i < sizeof fits / sizeof *fits; i++) {
		struct rebuy_clv_fit out;
		struct rebuy_error err = {0};
		double s0 = rebuy_clv_survival(&fits[i], t[i]);
		assert_int_equal(rebuy_clv_shift_retention(&fits[i], t[i], 0.05, &out, &err),
		                 REBUY_OK);
		double s1 = rebuy_clv_survival(&out, t[i]);
		print_message("%s: %.6f -> %.6f (%s)\n", rebuy_clv_model_name(fits[i].model), s0, s1,
		              out.est.status);
		assert_true(fabs(s1 - (s0 + 0.05)) < 1e-9);
		/* Only the dropout parameter moved, and upwards. */
		int k = fits[i].model == REBUY_CLV_SBG ? 1 : 3;
		for (int j = 0; j < fits[i].est.n_params; j++)
			if (j == k)
				assert_true(out.est.params[j] > fits[i].est.params[j]);
			else
				assert_true(out.est.params[j] == fits[i].est.params[j]);
		/* A lower dropout keeps more customers at every other horizon too. */
		assert_true(rebuy_clv_survival(&out, 2 * t[i]) > rebuy_clv_survival(&fits[i], 2 * t[i]));
	}
}

static void test_whatif__refuses_impossible(void **state)
{
	(void)state;
	struct rebuy_clv_fit f = model(REBUY_CLV_PNBD, 0.5, 10, 1, 5000), out;
	struct rebuy_error err = {0};
	/* 99 % survive a year: five more points would be over 100 %. */
	assert_int_equal(rebuy_clv_shift_retention(&f, 52, 0.05, &out, &err), REBUY_EARG);
	assert_non_null(strstr(err.msg, "100%"));
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_clv_shift_retention(&f, 0, 0.05, &out, &err), REBUY_EARG);
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_clv_shift_retention(&f, 52, -0.1, &out, &err), REBUY_EARG);
	rebuy_error_clear(&err);
	f.est.params[3] = 5;
	assert_int_equal(rebuy_clv_shift_retention(&f, 52, 0, &out, &err), REBUY_OK);
	assert_true(out.est.params[3] == 5);
}


/* ---- scenarios ---- */

/* Customers with histories in weeks (x, t_x, T, mean spend). */
#define N_CUST 7
static double cx[N_CUST] = {0, 1, 2, 5, 0, 12, 3};
static double ct_x[N_CUST] = {0, 10, 30, 40, 0, 70, 5};
static double cT[N_CUST] = {60, 50, 45, 52, 5, 78, 70};
static double cw[N_CUST] = {1, 1, 1, 1, 1, 1, 1};
static double cm[N_CUST] = {0, 20, 35.5, 12, 0, 80, 41};

static struct rebuy_clv_data customers(void)
{
	struct rebuy_clv_data d;
	memset(&d, 0, sizeof d);
	d.layout = REBUY_CLV_CONTINUOUS;
	d.unit = REBUY_UNIT_WEEK;
	d.n = N_CUST;
	d.n_customers = N_CUST;
	d.x = cx;
	d.t_x = ct_x;
	d.T = cT;
	d.w = cw;
	d.monetary = cm;
	return d;
}

static struct rebuy_clv_fit with_spend(struct rebuy_clv_fit f)
{
	f.has_spend = 1;
	f.spend.n_params = 3;
	f.spend.params[0] = 6.25;
	f.spend.params[1] = 3.74;
	f.spend.params[2] = 15.44;
	return f;
}

static struct rebuy_clv_predict_options popts(void)
{
	struct rebuy_clv_predict_options o;
	rebuy_clv_predict_options_init(&o);
	o.horizon = 52;
	o.clv_horizon = 156;
	o.n_threads = 1;
	return o;
}

static void scenario(const struct rebuy_clv_fit *f, const struct rebuy_clv_scenario *sc,
                     const struct rebuy_clv_predict_options *o, struct rebuy_clv_prediction *p,
                     struct rebuy_clv_whatif *w)
{
	struct rebuy_clv_data d = customers();
	struct rebuy_error err = {0};
	if (rebuy_clv_whatif(f, &d, o, sc, p, w, &err) != REBUY_OK)
		fail_msg("whatif: %s", err.msg);
}

static int close_rel(double a, double b, double tol)
{
	return fabs(a - b) <= tol * fabs(b);
}

/* Nothing changed: rebuy_clv_predict to the bit, and compensated sums. */
static void test_whatif__zero_scenario_is_predict(void **state)
{
	(void)state;
	struct rebuy_clv_fit f = with_spend(model(REBUY_CLV_PNBD, 0.55, 10.58, 0.61, 11.67));
	struct rebuy_clv_predict_options o = popts();
	struct rebuy_clv_prediction a[N_CUST], b[N_CUST];
	struct rebuy_clv_data d = customers();
	assert_int_equal(rebuy_clv_predict(&f, &d, &o, a, NULL), REBUY_OK);
	struct rebuy_clv_scenario none = {0};
	struct rebuy_clv_whatif w;
	scenario(&f, &none, &o, b, &w);
	assert_memory_equal(a, b, sizeof a);
	double clv = 0, e = 0, r = 0;
	for (int i = 0; i < N_CUST; i++) {
		clv += a[i].clv;
		e += a[i].expected_purchases;
		r += a[i].expected_purchases * a[i].expected_spend;
	}
	assert_true(close_rel(w.clv, clv, 1e-14));
	assert_true(close_rel(w.expected_purchases, e, 1e-14));
	assert_true(close_rel(w.expected_revenue, r, 1e-14));
	assert_true(w.customers == N_CUST);
	assert_true(w.survival_before == w.survival_after);
	assert_true(w.survival_t == 365.25 / 7);
}

/* The retention scenario is rebuy_clv_shift_retention then predict: the
 * report's computation. */
static void test_whatif__retention_is_the_shift(void **state)
{
	(void)state;
	struct rebuy_clv_fit f = with_spend(model(REBUY_CLV_BGNBD, 0.243, 4.414, 0.793, 2.426));
	struct rebuy_clv_predict_options o = popts();
	struct rebuy_clv_fit shifted;
	assert_int_equal(rebuy_clv_shift_retention(&f, 52, 0.05, &shifted, NULL), REBUY_OK);
	struct rebuy_clv_prediction a[N_CUST], b[N_CUST];
	struct rebuy_clv_data d = customers();
	assert_int_equal(rebuy_clv_predict(&shifted, &d, &o, a, NULL), REBUY_OK);
	struct rebuy_clv_scenario sc = {.retention_points = 0.05, .retention_t = 52};
	struct rebuy_clv_whatif w;
	scenario(&f, &sc, &o, b, &w);
	assert_memory_equal(a, b, sizeof a);
	assert_memory_equal(w.fit.est.params, shifted.est.params, sizeof shifted.est.params);
	assert_true(fabs(w.survival_after - (w.survival_before + 0.05)) < 1e-9);
}

/* Pareto/NBD: purchase and dropout are independent, so a purchase rate
 * (1 + f) times as high gives (1 + f) times the purchases in any horizon,
 * for a new customer (alpha / (1 + f)) and for every customer given their
 * history, and the same factor on the discounted purchases and CLV. */
static void test_whatif__pnbd_frequency_scales_purchases(void **state)
{
	(void)state;
	struct rebuy_clv_fit f = with_spend(model(REBUY_CLV_PNBD, 0.55, 10.58, 0.61, 11.67));
	struct rebuy_clv_fit g = f;
	g.est.params[1] /= 1.1;
	for (double t = 1; t <= 200; t *= 3)
		assert_true(close_rel(rebuy_clv_expected_new(&g, t), 1.1 * rebuy_clv_expected_new(&f, t),
		                      1e-14));
	struct rebuy_clv_predict_options o = popts();
	struct rebuy_clv_prediction a[N_CUST], b[N_CUST];
	struct rebuy_clv_scenario none = {0}, sc = {.frequency_change = 0.1};
	struct rebuy_clv_whatif w0, w1;
	scenario(&f, &none, &o, a, &w0);
	scenario(&f, &sc, &o, b, &w1);
	for (int i = 0; i < N_CUST; i++) {
		assert_true(a[i].p_alive == b[i].p_alive); /* the history is read as fitted */
		assert_true(close_rel(b[i].expected_purchases, 1.1 * a[i].expected_purchases, 1e-14));
		assert_true(close_rel(b[i].discounted_purchases, 1.1 * a[i].discounted_purchases, 1e-14));
		assert_true(close_rel(b[i].clv, 1.1 * a[i].clv, 1e-14));
		assert_true(b[i].expected_spend == a[i].expected_spend);
		/* the median wait given alive shrinks by the same factor */
		assert_true(close_rel(b[i].next_purchase, a[i].next_purchase / 1.1, 1e-14));
	}
	assert_true(close_rel(w1.clv, 1.1 * w0.clv, 1e-14));
	assert_true(close_rel(w1.expected_purchases, 1.1 * w0.expected_purchases, 1e-14));
	/* Pareto/NBD survival does not depend on the purchase rate */
	assert_true(w1.survival_after == w0.survival_after);
}

/* BG/NBD: a dropout can only follow a purchase, so buying (1 + f) times as
 * fast runs the future (1 + f) times as fast: E[X(t) | history] becomes
 * E[X((1 + f) t) | history] -- not (1 + f) times E[X(t)]. */
static void test_whatif__bgnbd_frequency_runs_time_faster(void **state)
{
	(void)state;
	struct rebuy_clv_fit f = with_spend(model(REBUY_CLV_BGNBD, 0.243, 4.414, 0.793, 2.426));
	struct rebuy_clv_fit g = f;
	g.est.params[1] /= 1.1;
	for (double t = 1; t <= 200; t *= 3)
		assert_true(close_rel(rebuy_clv_expected_new(&g, t), rebuy_clv_expected_new(&f, 1.1 * t),
		                      1e-12));
	struct rebuy_clv_predict_options o = popts(), o_long = popts();
	o_long.horizon = 1.1 * o.horizon;
	struct rebuy_clv_prediction a[N_CUST], b[N_CUST];
	struct rebuy_clv_data d = customers();
	assert_int_equal(rebuy_clv_predict(&f, &d, &o_long, a, NULL), REBUY_OK);
	struct rebuy_clv_scenario sc = {.frequency_change = 0.1};
	struct rebuy_clv_whatif w;
	scenario(&f, &sc, &o, b, &w);
	struct rebuy_clv_prediction base[N_CUST];
	assert_int_equal(rebuy_clv_predict(&f, &d, &o, base, NULL), REBUY_OK);
	for (int i = 0; i < N_CUST; i++) {
		assert_true(b[i].p_alive == base[i].p_alive);
		assert_true(close_rel(b[i].expected_purchases, a[i].expected_purchases, 1e-12));
		assert_true(close_rel(b[i].p_no_purchase, a[i].p_no_purchase, 1e-12));
		assert_true(b[i].expected_purchases > base[i].expected_purchases);
		assert_true(b[i].expected_purchases < 1.1 * base[i].expected_purchases);
	}
	/* faster buying is faster leaving: fewer new customers alive after a year */
	assert_true(w.survival_after < w.survival_before);
	assert_true(close_rel(w.survival_after, rebuy_clv_survival(&f, 1.1 * w.survival_t), 1e-12));
}

/* Spend +10 %: each customer's expected spend and CLV x 1.1 (to rounding:
 * margin x (1.1 s) x D against 1.1 x (margin x s x D)), purchases as they
 * were. */
static void test_whatif__spend_scales_clv(void **state)
{
	(void)state;
	const enum rebuy_clv_model ms[] = {REBUY_CLV_PNBD, REBUY_CLV_BGNBD, REBUY_CLV_MBGNBD};
	for (size_t k = 0; k < 3; k++) {
		struct rebuy_clv_fit f = with_spend(ms[k] == REBUY_CLV_PNBD
		                                            ? model(ms[k], 0.55, 10.58, 0.61, 11.67)
		                                            : model(ms[k], 0.243, 4.414, 0.793, 2.426));
		struct rebuy_clv_predict_options o = popts();
		o.margin = 0.3;
		struct rebuy_clv_prediction a[N_CUST], b[N_CUST];
		struct rebuy_clv_scenario none = {0}, sc = {.spend_change = 0.1};
		struct rebuy_clv_whatif w0, w1;
		scenario(&f, &none, &o, a, &w0);
		scenario(&f, &sc, &o, b, &w1);
		for (int i = 0; i < N_CUST; i++) {
			assert_true(b[i].expected_purchases == a[i].expected_purchases);
			assert_true(b[i].discounted_purchases == a[i].discounted_purchases);
			assert_true(close_rel(b[i].expected_spend, 1.1 * a[i].expected_spend, 3e-16));
			assert_true(close_rel(b[i].clv, 1.1 * a[i].clv, 5e-16));
		}
		assert_true(close_rel(w1.clv, 1.1 * w0.clv, 1e-15));
		assert_true(close_rel(w1.expected_revenue, 1.1 * w0.expected_revenue, 1e-15));
		assert_true(w1.expected_purchases == w0.expected_purchases);
	}
}

static void test_whatif__dropout_change(void **state)
{
	(void)state;
	struct rebuy_clv_fit f = model(REBUY_CLV_PNBD, 0.55, 10.58, 0.61, 11.67), out;
	struct rebuy_error err = {0};
	/* mu x 0.8 is Gamma(s, beta / 0.8) */
	assert_int_equal(rebuy_clv_shift_dropout(&f, -0.2, &out, &err), REBUY_OK);
	assert_true(out.est.params[3] == 11.67 / 0.8);
	assert_true(rebuy_clv_survival(&out, 52) > rebuy_clv_survival(&f, 52));
	/* Beta models: the mean dropout probability scaled, a kept */
	f = model(REBUY_CLV_BGNBD, 0.243, 4.414, 0.793, 2.426);
	assert_int_equal(rebuy_clv_shift_dropout(&f, -0.1, &out, &err), REBUY_OK);
	double a = 0.793, m0 = a / (a + 2.426), m1 = a / (a + out.est.params[3]);
	assert_true(out.est.params[2] == a);
	assert_true(close_rel(m1, 0.9 * m0, 1e-14));
	f = model(REBUY_CLV_SBG, 0.704, 1.182, 0, 0);
	assert_int_equal(rebuy_clv_shift_dropout(&f, 0.25, &out, &err), REBUY_OK);
	assert_true(close_rel(0.704 / (0.704 + out.est.params[1]), 1.25 * 0.704 / 1.886, 1e-14));
	/* a mean of 37 % cannot grow by 200 % */
	assert_int_equal(rebuy_clv_shift_dropout(&f, 2, &out, &err), REBUY_EARG);
	assert_non_null(strstr(err.msg, "100%"));
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_clv_shift_dropout(&f, -1, &out, &err), REBUY_EARG);
}

static void test_whatif__scenario_errors(void **state)
{
	(void)state;
	struct rebuy_clv_fit f = with_spend(model(REBUY_CLV_PNBD, 0.55, 10.58, 0.61, 11.67));
	struct rebuy_clv_predict_options o = popts();
	struct rebuy_clv_data d = customers();
	struct rebuy_clv_whatif w;
	struct rebuy_error err = {0};
	struct rebuy_clv_scenario both = {.retention_points = 0.05, .dropout_change = -0.1};
	assert_int_equal(rebuy_clv_whatif(&f, &d, &o, &both, NULL, &w, &err), REBUY_EARG);
	rebuy_error_clear(&err);
	struct rebuy_clv_scenario down = {.frequency_change = -1};
	assert_int_equal(rebuy_clv_whatif(&f, &d, &o, &down, NULL, &w, &err), REBUY_EARG);
	rebuy_error_clear(&err);
	struct rebuy_clv_scenario spend = {.spend_change = -2};
	assert_int_equal(rebuy_clv_whatif(&f, &d, &o, &spend, NULL, &w, &err), REBUY_EARG);
	rebuy_error_clear(&err);
	struct rebuy_clv_fit bb = with_spend(model(REBUY_CLV_BGBB, 1.204, 0.750, 0.657, 2.783));
	struct rebuy_clv_scenario freq = {.frequency_change = 0.1};
	assert_int_equal(rebuy_clv_whatif(&bb, &d, &o, &freq, NULL, &w, &err), REBUY_EARG);
	assert_non_null(strstr(err.msg, "no purchase rate"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_whatif__bgnbd_survival_matches_quadrature),
	        cmocka_unit_test(test_whatif__closed_forms),
	        cmocka_unit_test(test_whatif__shift_hits_target),
	        cmocka_unit_test(test_whatif__refuses_impossible),
	        cmocka_unit_test(test_whatif__zero_scenario_is_predict),
	        cmocka_unit_test(test_whatif__retention_is_the_shift),
	        cmocka_unit_test(test_whatif__pnbd_frequency_scales_purchases),
	        cmocka_unit_test(test_whatif__bgnbd_frequency_runs_time_faster),
	        cmocka_unit_test(test_whatif__spend_scales_clv),
	        cmocka_unit_test(test_whatif__dropout_change),
	        cmocka_unit_test(test_whatif__scenario_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
