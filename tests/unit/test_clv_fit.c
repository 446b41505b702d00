/* Model fits against the maximum-likelihood optima of
 * ../shared/reference/clv.md: log-likelihoods to 2e-6 absolute (the
 * reference prints 6 decimals), well-conditioned parameters to 1e-5
 * relative, Pareto/NBD beta to 1e-3 relative (its surface is flat along
 * (s, beta)), standard errors to 1e-3 relative (the Hessian is taken by
 * differences of the analytic gradient); the holdout table of the reference;
 * and recovery of known parameters from `rebuy gen` data within 3 standard
 * errors. Tests that need ../shared skip when it is absent. */
#include "testutil.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/bgbb.h"
#include "model/bgnbd.h"
#include "model/clv_int.h"
#include "model/gg.h"
#include "model/pnbd.h"
#include "rebuy/alloc.h"
#include "rebuy/clv.h"
#include "rebuy/date.h"
#include "rebuy/gen.h"
#include "rebuy/orders.h"

static void near(double got, double want, double rel, const char *what)
{
	double err = fabs(got - want) / fmax(fabs(want), 1e-300);
	if (!(err <= rel)) {
		print_error("%s: got %.10g, want %.10g (relative error %.3g > %.3g)\n", what, got,
		            want, err, rel);
		fail();
	}
}

static void near_abs(double got, double want, double tol, const char *what)
{
	if (!(fabs(got - want) <= tol)) {
		print_error("%s: got %.10f, want %.10f (error %.3g > %.3g)\n", what, got, want,
		            fabs(got - want), tol);
		fail();
	}
}

struct optimum {
	enum rebuy_clv_model model;
	double params[4], ll, se[4];
	double beta_tol; /* relative tolerance of the last parameter */
};

static void check_estimate(const struct rebuy_clv_estimate *e, const double *params, double ll,
                           const double *se, double last_tol, const char *what)
{
	char buf[96];
	if (!e->converged)
		fail_msg("%s did not converge: %s", what, e->status);
	near_abs(e->log_likelihood, ll, 2e-6, what);
	for (int k = 0; k < e->n_params; k++) {
		snprintf(buf, sizeof buf, "%s %s", what, e->names[k]);
		near(e->params[k], params[k], k == e->n_params - 1 ? last_tol : 1e-5, buf);
		if (se && se[k] > 0) {
			snprintf(buf, sizeof buf, "%s se(%s)", what, e->names[k]);
			near(e->se[k], se[k], 1e-3, buf);
		}
	}
}

static void fit(const struct rebuy_clv_data *d, enum rebuy_clv_model model, int spend,
                struct rebuy_clv_fit *out)
{
	struct rebuy_clv_fit_options o;
	rebuy_clv_fit_options_init(&o);
	o.model = model;
	o.spend = spend;
	struct rebuy_error err = {0};
	if (rebuy_clv_fit(d, &o, out, &err) != REBUY_OK)
		fail_msg("fit %s: %s", rebuy_clv_model_name(model), err.msg);
}

static struct rebuy_clv_data *cdnow_b(void)
{
	const char *p = tu_shared_path("data/cdnow/CDNOW_sample.txt");
	if (!p)
		return NULL;
	struct rebuy_input_options in;
	rebuy_input_options_init(&in);
	in.path = p;
	in.columns = "_,customer,date,_,amount";
	struct rebuy_orders *o = NULL;
	struct rebuy_error err = {0};
	if (rebuy_orders_load(&o, &in, NULL, &err) != REBUY_OK)
		fail_msg("%s", err.msg);
	struct rebuy_clv_data *d = NULL;
	if (rebuy_clv_data_from_orders(o, rebuy_days_from_civil(1997, 9, 30), REBUY_UNIT_WEEK, &d,
	                               &err) != REBUY_OK)
		fail_msg("%s", err.msg);
	rebuy_orders_free(o);
	return d;
}

/* Data B: rebuy's own summary of CDNOW_sample.txt, calibration to
 * 1997-09-30, in weeks. */
static void test_clv_fit__cdnow_b_optima(void **state)
{
	(void)state;
	struct rebuy_clv_data *d = cdnow_b();
	if (!d) {
		skip();
		return;
	}
	assert_int_equal((int)d->n_customers, 2357);
	double sx = 0, sh = 0;
	for (size_t i = 0; i < d->n; i++) {
		sx += d->x[i];
		sh += d->x_holdout[i];
	}
	assert_true(sx == 2457 && sh == 1882);
	static const struct optimum want[] = {
	        {REBUY_CLV_BGNBD,
	         {0.242595, 4.413602, 0.792922, 2.425907},
	         -9582.429207,
	         {0.012557, 0.378224, 0.185734, 0.705414},
	         1e-5},
	        {REBUY_CLV_MBGNBD,
	         {0.524843, 6.183085, 0.891359, 1.614002},
	         -9582.135716,
	         {0.083268, 0.695622, 0.154791, 0.537497},
	         1e-5},
	        {REBUY_CLV_PNBD,
	         {0.553277, 10.577683, 0.606240, 11.668734},
	         -9594.976179,
	         {0.047628, 0.842723, 0.187281, 6.211107},
	         1e-3},
	};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		struct rebuy_clv_fit f;
		fit(d, want[i].model, i == 0, &f);
		check_estimate(&f.est, want[i].params, want[i].ll, want[i].se, want[i].beta_tol,
		               rebuy_clv_model_name(want[i].model));
		assert_int_equal((int)f.est.n_customers, 2357);
		if (i == 0) {
			/* Gamma-Gamma on the 946 repeat buyers' exact means. */
			const double gg[3] = {6.249572, 3.744225, 15.443521};
			assert_int_equal((int)f.spend.n_customers, 946);
			check_estimate(&f.spend, gg, -4055.917695, NULL, 1e-5, "gg B");
		}
	}
	rebuy_clv_data_free(d);
}

/* The calibration / holdout table of the reference: Pareto/NBD at the B
 * optimum, holdout 39 weeks (1997-10-01 .. 1998-06-30), by calibration x;
 * the reference prints 3 decimals. */
static void test_clv_fit__cdnow_holdout_table(void **state)
{
	(void)state;
	struct rebuy_clv_data *d = cdnow_b();
	if (!d) {
		skip();
		return;
	}
	struct rebuy_clv_fit f;
	fit(d, REBUY_CLV_PNBD, 0, &f);
	/* At the reference's parameters exactly, for the independent check. */
	const double ref[4] = {0.553277, 10.577683, 0.606240, 11.668734};
	memcpy(f.est.params, ref, sizeof ref);
	/* New customers alive after a year: (beta / (beta + 52))^s. */
	assert_true(fabs(rebuy_clv_survival(&f, 52) - pow(11.668734 / 63.668734, 0.606240)) <
	            1e-15);
	struct rebuy_clv_holdout *h = NULL;
	struct rebuy_error err = {0};
	if (rebuy_clv_holdout(&f, d, 1, &h, &err) != REBUY_OK)
		fail_msg("%s", err.msg);
	near_abs(h->length, 39, 1e-12, "holdout length");
	static const double actual[8] = {0.237, 0.697, 1.393, 1.560, 2.532, 2.947, 3.862, 6.359};
	static const double expected[8] = {0.138, 0.600, 1.196, 1.714, 2.399, 2.907, 3.819, 6.403};
	static const int customers[8] = {1411, 439, 214, 100, 62, 38, 29, 64};
	/* The same means computed independently with mpmath (30 digits, its
	 * hyp2f1, Fader & Hardie's P(alive) and CET) over cdnow_cbs_exact.csv.
	 * The reference's 0.600 for x = 1 is 0.59947 there: its last digit is
	 * off by one, hence the tolerance of one unit of it above. */
	static const double mp[8] = {0.138446877167293, 0.599470641236481, 1.19583667912261,
	                             1.71384332254112,  2.39830815502813,  2.90720766633202,
	                             3.81855925728894,  6.40306705039643};
	for (int k = 0; k < 8; k++) {
		assert_int_equal((int)h->by_x[k].customers, customers[k]);
		near_abs(h->by_x[k].actual, actual[k], 5e-4, "holdout actual");
		near_abs(h->by_x[k].expected, expected[k], 1e-3, "holdout expected");
		near(h->by_x[k].expected, mp[k], 1e-11, "holdout expected (mpmath)");
	}
	near_abs(h->total_actual, 1882, 1e-9, "holdout total");
	/* The model beats the naive rate-times-length forecast here. */
	assert_true(h->mae < h->mae_naive);
	/* The tracking curve covers the 78 weeks and ends at the data's totals. */
	assert_true(h->n_tracking >= 78);
	near_abs(h->tracking[h->n_tracking - 1].actual_cum, 2457 + 1882, 1e-9, "tracking actual");
	rebuy_clv_holdout_free(h);
	rebuy_clv_data_free(d);
}

/* rebuy_clv_predict computes per distinct (x, T) what a customer alive at T
 * does next; every value must equal the per-customer closed forms at
 * 1e-12 relative (1e-12 absolute for probabilities near 0). */
static void same(double got, double want, const char *what, size_t i)
{
	if (!(fabs(got - want) <= 1e-12 * fmax(fabs(want), 1) || (isnan(got) && isnan(want)))) {
		print_error("customer %zu %s: got %.17g, want %.17g\n", i, what, got, want);
		fail();
	}
}

static void test_clv_fit__predictions_equal_the_closed_forms(void **state)
{
	(void)state;
	struct rebuy_clv_data *d = cdnow_b();
	if (!d) {
		skip();
		return;
	}
	static const enum rebuy_clv_model models[] = {REBUY_CLV_PNBD, REBUY_CLV_BGNBD,
	                                              REBUY_CLV_MBGNBD};
	struct rebuy_clv_prediction *pr = calloc(d->n, sizeof *pr);
	assert_non_null(pr);
	for (size_t m = 0; m < 3; m++) {
		struct rebuy_clv_fit f;
		fit(d, models[m], 1, &f);
		struct rebuy_clv_predict_options o;
		rebuy_clv_predict_options_init(&o);
		o.horizon = 52;
		o.n_pmf = 4;
		o.margin = 0.3;
		o.discount_rate = 0.15 * 52; /* per year: 0.15 per week simple */
		if (models[m] == REBUY_CLV_PNBD)
			o.clv_horizon = INFINITY;
		else
			o.clv_horizon = 104;
		struct rebuy_error err = {0};
		if (rebuy_clv_predict(&f, d, &o, pr, &err) != REBUY_OK)
			fail_msg("%s", err.msg);
		const double *p = f.est.params;
		double (*lpa)(const double *, double, double, double) =
		        models[m] == REBUY_CLV_PNBD    ? rebuy__pnbd_log_palive
		        : models[m] == REBUY_CLV_BGNBD ? rebuy__bgnbd_log_palive
		                                       : rebuy__mbgnbd_log_palive;
		double (*cet)(const double *, double, double, double, double) =
		        models[m] == REBUY_CLV_PNBD    ? rebuy__pnbd_cet
		        : models[m] == REBUY_CLV_BGNBD ? rebuy__bgnbd_cet
		                                       : rebuy__mbgnbd_cet;
		double (*cpmf)(const double *, double, double, double, double, int) =
		        models[m] == REBUY_CLV_PNBD    ? rebuy__pnbd_cond_pmf
		        : models[m] == REBUY_CLV_BGNBD ? rebuy__bgnbd_cond_pmf
		                                       : rebuy__mbgnbd_cond_pmf;
		for (size_t i = 0; i < d->n; i++) {
			double x = d->x[i], t_x = d->t_x[i], T = d->T[i];
			same(pr[i].log_p_alive, lpa(p, x, t_x, T), "log P(alive)", i);
			same(pr[i].expected_purchases, cet(p, x, t_x, T, 52), "CET(52)", i);
			same(pr[i].p_no_purchase, cpmf(p, x, t_x, T, 52, 0), "P(0)", i);
			for (int n = 1; n < 4; n++)
				same(pr[i].pmf[n], cpmf(p, x, t_x, T, 52, n), "P(n)", i);
			assert_true(isnan(pr[i].pmf[4]));
			same(pr[i].next_purchase, (p[1] + T) * (pow(2, 1 / (p[0] + x)) - 1),
			     "next purchase", i);
			double disc;
			if (models[m] == REBUY_CLV_PNBD) {
				/* DERT at the continuous rate log(1 + 7.8) per year */
				disc = rebuy__pnbd_dert(p, x, t_x, T,
				                        log1p(0.15 * 52) / (365.25 / 7));
			} else {
				/* the expected purchases of each month, discounted to
				 * its end */
				double month = 365.25 / 7 / 12, prev = 0;
				disc = 0;
				for (double t = 0; t < 104;) {
					t = fmin(t + month, 104);
					double c = cet(p, x, t_x, T, t);
					disc += (c - prev) * pow(1 + 0.15 * 52, -t / (365.25 / 7));
					prev = c;
				}
			}
			same(pr[i].discounted_purchases, disc, "discounted purchases", i);
			double spend =
			        x > 0 ? rebuy__gg_expected_spend(f.spend.params, x, d->monetary[i])
			              : rebuy__gg_population_mean(f.spend.params);
			same(pr[i].expected_spend, spend, "spend", i);
			same(pr[i].clv, 0.3 * spend * disc, "clv", i);
		}
	}
	free(pr);
	rebuy_clv_data_free(d);
}

/* A predictor run over uneven ranges gives rebuy_clv_predict's bytes
 * (bgnbd, pnbd, mbgnbd on CDNOW); a range past the end is refused. */
static void test_clv_fit__predictor_ranges_equal_one_prediction(void **state)
{
	(void)state;
	struct rebuy_clv_data *d = cdnow_b();
	if (!d) {
		skip();
		return;
	}
	enum rebuy_clv_model models[] = {REBUY_CLV_BGNBD, REBUY_CLV_PNBD, REBUY_CLV_MBGNBD};
	for (size_t m = 0; m < sizeof models / sizeof *models; m++) {
		struct rebuy_clv_fit f;
		fit(d, models[m], 1, &f);
		struct rebuy_clv_predict_options o;
		rebuy_clv_predict_options_init(&o);
		o.horizon = 39;
		o.n_pmf = 3;
		struct rebuy_clv_prediction *all = calloc(d->n, sizeof *all);
		struct rebuy_clv_prediction *part = calloc(d->n, sizeof *part);
		assert_non_null(all);
		assert_non_null(part);
		struct rebuy_error err = {0};
		assert_int_equal(rebuy_clv_predict(&f, d, &o, all, &err), REBUY_OK);
		struct rebuy_clv_predictor *p;
		assert_int_equal(rebuy_clv_predictor_new(&f, d, &o, &p, &err), REBUY_OK);
		size_t lo = 0, step = 1;
		while (lo < d->n) {
			size_t n = d->n - lo < step ? d->n - lo : step;
			assert_int_equal(rebuy_clv_predictor_run(p, lo, n, part + lo, &err), REBUY_OK);
			lo += n;
			step = step * 3 + 1;
		}
		assert_memory_equal(all, part, d->n * sizeof *all);
		assert_int_equal(rebuy_clv_predictor_run(p, d->n, 1, part, &err), REBUY_EARG);
		rebuy_clv_predictor_free(p);
		free(all);
		free(part);
	}
	rebuy_clv_data_free(d);
}

/* Bootstrap intervals against the delta method: for a customer, the 90%
 * interval of expected purchases from 1,000 draws should be close to +-1.645
 * delta-method standard errors (the gradient of CET by log parameters by
 * central differences, times the covariance of the log parameters): within
 * 15% for these well-determined CDNOW parameters. Also: reproducible, and
 * lo <= estimate <= hi for nearly every customer. */
static void test_clv_fit__bootstrap_intervals_match_the_delta_method(void **state)
{
	(void)state;
	struct rebuy_clv_data *d = cdnow_b();
	if (!d) {
		skip();
		return;
	}
	struct rebuy_clv_fit f;
	fit(d, REBUY_CLV_PNBD, 1, &f);
	assert_true(f.est.has_cov && f.spend.has_cov);
	struct rebuy_clv_predict_options o;
	rebuy_clv_predict_options_init(&o);
	o.horizon = 52;
	struct rebuy_clv_prediction *pr = calloc(d->n, sizeof *pr);
	struct rebuy_clv_interval *iv = calloc(d->n, sizeof *iv), *iv2 = calloc(d->n, sizeof *iv2);
	assert_non_null(pr);
	assert_non_null(iv);
	assert_non_null(iv2);
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_clv_predict(&f, d, &o, pr, &err), REBUY_OK);
	if (rebuy_clv_predict_intervals(&f, d, &o, 1000, 0.9, 7, iv, &err) != REBUY_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(rebuy_clv_predict_intervals(&f, d, &o, 1000, 0.9, 7, iv2, &err), REBUY_OK);
	assert_memory_equal(iv, iv2, d->n * sizeof *iv);
	size_t inside = 0;
	for (size_t i = 0; i < d->n; i++) {
		assert_true(iv[i].expected_lo <= iv[i].expected_hi && iv[i].clv_lo <= iv[i].clv_hi);
		inside += iv[i].expected_lo <= pr[i].expected_purchases &&
		          pr[i].expected_purchases <= iv[i].expected_hi &&
		          iv[i].clv_lo <= pr[i].clv && pr[i].clv <= iv[i].clv_hi;
	}
	assert_true(inside >= d->n * 95 / 100);
	/* customers 0 (x = 2), 2 (x = 0) and the first with x >= 10 */
	size_t who[3] = {0, 2, 0};
	for (size_t i = 0; i < d->n; i++)
		if (d->x[i] >= 10) {
			who[2] = i;
			break;
		}
	for (int k = 0; k < 3; k++) {
		size_t i = who[k];
		double g[4], var = 0;
		for (int j = 0; j < 4; j++) {
			double a[4], b[4], h = 1e-5;
			memcpy(a, f.est.params, sizeof a);
			memcpy(b, f.est.params, sizeof b);
			a[j] *= exp(h);
			b[j] *= exp(-h);
			g[j] = (rebuy__pnbd_cet(a, d->x[i], d->t_x[i], d->T[i], 52) -
			        rebuy__pnbd_cet(b, d->x[i], d->t_x[i], d->T[i], 52)) /
			       (2 * h);
		}
		for (int j = 0; j < 4; j++)
			for (int l = 0; l < 4; l++)
				var += g[j] * f.est.cov_log[j * 4 + l] * g[l];
		double half = (iv[i].expected_hi - iv[i].expected_lo) / 2;
		print_message("  half-width %g, delta %g\n", half, 1.6448536269514722 * sqrt(var));
		near(half, 1.6448536269514722 * sqrt(var), 0.15, "interval half-width");
	}
	struct rebuy_clv_fit flat = f;
	flat.est.has_cov = 0;
	assert_int_equal(rebuy_clv_predict_intervals(&flat, d, &o, 100, 0.9, 7, iv, &err),
	                 REBUY_EARG);
	free(pr);
	free(iv);
	free(iv2);
	rebuy_clv_data_free(d);
}

/* Data A: the summary with recency and T rounded to 0.01 week. */
static void test_clv_fit__cdnow_a_optima(void **state)
{
	(void)state;
	const char *p = tu_shared_path("data/cdnow/cdnow_customers_summary_with_transactions.csv");
	if (!p) {
		skip();
		return;
	}
	struct rebuy_clv_data *d = NULL;
	struct rebuy_error err = {0};
	if (rebuy_clv_data_read_summary(p, &d, &err) != REBUY_OK)
		fail_msg("%s", err.msg);
	assert_int_equal((int)d->n, 2357);
	struct rebuy_clv_fit f;
	fit(d, REBUY_CLV_BGNBD, 1, &f);
	const double bg[4] = {0.242593, 4.413532, 0.792886, 2.425753};
	const double bg_se[4] = {0.012557, 0.378221, 0.185719, 0.705345};
	check_estimate(&f.est, bg, -9582.425561, bg_se, 1e-5, "bgnbd A");
	const double gg[3] = {6.248802, 3.744588, 15.447748};
	check_estimate(&f.spend, gg, -4055.923244, NULL, 1e-5, "gg A");
	fit(d, REBUY_CLV_PNBD, 0, &f);
	const double pn[4] = {0.553276, 10.577612, 0.606214, 11.667910};
	check_estimate(&f.est, pn, -9594.973930, NULL, 1e-3, "pnbd A");
	fit(d, REBUY_CLV_MBGNBD, 0, &f);
	const double mbg[4] = {0.524838, 6.182992, 0.891356, 1.613999};
	check_estimate(&f.est, mbg, -9582.132685, NULL, 1e-5, "mbgnbd A");
	rebuy_clv_data_free(d);
}

static void test_clv_fit__bgbb_donations(void **state)
{
	(void)state;
	const char *p = tu_shared_path("data/cdnow/donations.csv");
	if (!p) {
		skip();
		return;
	}
	struct rebuy_clv_data *d = NULL;
	struct rebuy_error err = {0};
	if (rebuy_clv_data_read_summary(p, &d, &err) != REBUY_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(d->layout, REBUY_CLV_DISCRETE);
	assert_int_equal((int)d->n_customers, 11104);
	struct rebuy_clv_fit f;
	fit(d, REBUY_CLV_BGBB, 0, &f);
	const double bb[4] = {1.203522, 0.749716, 0.656718, 2.783442};
	const double se[4] = {0.069391, 0.029448, 0.051010, 0.320820};
	check_estimate(&f.est, bb, -33225.581274, se, 1e-5, "bgbb");
	rebuy_clv_data_free(d);
}

static void test_clv_fit__sbg_survivors(void **state)
{
	(void)state;
	static const double regular[8] = {1000, 631, 468, 382, 326, 289, 262, 241};
	static const double high_end[8] = {1000, 869, 743, 653, 593, 551, 517, 491};
	const double want[2][2] = {{0.704077, 1.182043}, {0.668088, 3.806096}};
	const double ll[2] = {-1680.265188, -1611.158147};
	for (int k = 0; k < 2; k++) {
		struct rebuy_clv_data *d = NULL;
		struct rebuy_error err = {0};
		if (rebuy_clv_data_from_survivors(k ? high_end : regular, 8, &d, &err) != REBUY_OK)
			fail_msg("%s", err.msg);
		struct rebuy_clv_fit f;
		fit(d, REBUY_CLV_SBG, 0, &f);
		check_estimate(&f.est, want[k], ll[k], NULL, 1e-5,
		               k ? "sbg high end" : "sbg regular");
		/* survival and retention by hand: S(1) = b / (a + b), S(2) = S(1) (b + 1) /
		 * (a + b + 1), r(t) = (b + t - 1) / (a + b + t - 1) */
		double a = f.est.params[0], b = f.est.params[1];
		near(rebuy_clv_survival(&f, 0), 1, 1e-15, "S(0)");
		near(rebuy_clv_survival(&f, 1), b / (a + b), 1e-14, "S(1)");
		near(rebuy_clv_survival(&f, 2), b / (a + b) * (b + 1) / (a + b + 1), 1e-14, "S(2)");
		for (int t = 1; t <= 12; t++)
			near(rebuy_clv_retention(&f, t), (b + t - 1) / (a + b + t - 1), 1e-14,
			     "r(t)");
		rebuy_clv_data_free(d);
	}
}

/* The summary of gen's orders in continuous time (seconds to weeks), so
 * that the test is about the estimator and not about same-day merging,
 * written as a summary file and read back. */
static struct rebuy_clv_data *gen_summary(const struct rebuy_gen_params *gp)
{
	struct rebuy_error err = {0};
	struct rebuy_gen *g = rebuy_gen_new(gp, &err);
	if (!g)
		fail_msg("%s", err.msg);
	size_t n = gp->n_customers;
	int64_t *first = calloc(n, sizeof *first), *last = calloc(n, sizeof *last);
	long *count = calloc(n, sizeof *count);
	assert_non_null(first);
	assert_non_null(last);
	assert_non_null(count);
	struct rebuy_gen_order o;
	while (rebuy_gen_next(g, &o)) {
		size_t c = o.customer - 1;
		if (count[c]++ == 0)
			first[c] = o.ts;
		last[c] = o.ts;
	}
	rebuy_gen_free(g);
	double end = (double)gp->start_day * 86400 + gp->weeks * 604800;
	size_t cap = 64 + n * 64, len = 0;
	char *csv = malloc(cap);
	assert_non_null(csv);
	len += (size_t)snprintf(csv, cap, "customer,x,t_x,T\n");
	size_t used = 0;
	for (size_t c = 0; c < n; c++) {
		if (!count[c])
			continue;
		used++;
		double t_x = (double)(last[c] - first[c]) / 604800,
		       T = (end - (double)first[c]) / 604800;
		len += (size_t)snprintf(csv + len, cap - len, "%zu,%ld,%.17g,%.17g\n", c + 1,
		                        count[c] - 1, count[c] > 1 ? t_x : 0.0, T);
	}
	assert_true(used > n * 9 / 10);
	const char *path = tu_temp_file(0, csv, len);
	free(csv);
	free(first);
	free(last);
	free(count);
	struct rebuy_clv_data *d = NULL;
	if (rebuy_clv_data_read_summary(path, &d, &err) != REBUY_OK)
		fail_msg("%s", err.msg);
	return d;
}

static void check_recovered(const struct rebuy_clv_estimate *e, const double *truth)
{
	if (!e->converged)
		fail_msg("did not converge: %s", e->status);
	for (int k = 0; k < e->n_params; k++) {
		double z = (e->params[k] - truth[k]) / e->se[k];
		print_message("  %s: %.6f (se %.6f), truth %g, z %.2f\n", e->names[k], e->params[k],
		              e->se[k], truth[k], z);
		if (!(fabs(z) <= 3))
			fail_msg("%s = %g is %.2f standard errors from the truth %g", e->names[k],
			         e->params[k], z, truth[k]);
	}
}

/* 100,000 customers acquired over 12 weeks, watched for 78, at the CDNOW
 * estimates (gen's defaults), fixed seeds. */
static void test_clv_fit__recovers_known_parameters(void **state)
{
	(void)state;
	struct rebuy_gen_params gp;
	rebuy_gen_params_init(&gp);
	gp.n_customers = 100000;
	gp.seed = 11;
	struct rebuy_clv_data *d = gen_summary(&gp);
	struct rebuy_clv_fit f;
	fit(d, REBUY_CLV_PNBD, 0, &f);
	const double pn[4] = {gp.r, gp.alpha, gp.s, gp.beta};
	check_recovered(&f.est, pn);
	rebuy_clv_data_free(d);

	gp.model = REBUY_GEN_BGNBD;
	gp.seed = 12;
	d = gen_summary(&gp);
	fit(d, REBUY_CLV_BGNBD, 0, &f);
	const double bg[4] = {gp.r, gp.alpha, gp.a, gp.b};
	check_recovered(&f.est, bg);
	rebuy_clv_data_free(d);
}

/* ---- the same fit in any order of the customers ---- */

static int same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof a) == 0;
}

/* Every number of two estimates to the bit: parameters, standard errors,
 * covariance, log-likelihood, gradient, and how the optimizer got there. */
static void same_estimate(const struct rebuy_clv_estimate *a, const struct rebuy_clv_estimate *b,
                          const char *what)
{
	assert_int_equal(a->n_params, b->n_params);
	for (int k = 0; k < a->n_params; k++)
		if (!same_bits(a->params[k], b->params[k]) || !same_bits(a->se[k], b->se[k]))
			fail_msg("%s %s: %.17g (se %.17g) against %.17g (se %.17g)", what,
			         a->names[k], a->params[k], a->se[k], b->params[k], b->se[k]);
	assert_int_equal(a->has_cov, b->has_cov);
	for (int k = 0; k < a->n_params * a->n_params; k++)
		if (!same_bits(a->cov_log[k], b->cov_log[k]))
			fail_msg("%s: cov_log[%d] differs", what, k);
	if (!same_bits(a->log_likelihood, b->log_likelihood))
		fail_msg("%s: log-likelihood %.17g against %.17g", what, a->log_likelihood,
		         b->log_likelihood);
	if (!same_bits(a->gradient_max, b->gradient_max) ||
	    !same_bits(a->n_customers, b->n_customers))
		fail_msg("%s: gradient %.17g against %.17g, customers %.17g against %.17g", what,
		         a->gradient_max, b->gradient_max, a->n_customers, b->n_customers);
	assert_int_equal(a->n_rows, b->n_rows);
	assert_int_equal(a->iterations, b->iterations);
	assert_int_equal(a->evaluations, b->evaluations);
	assert_int_equal(a->converged, b->converged);
	assert_string_equal(a->status, b->status);
}

/* d's entries in the order perm (its own arrays, freed by order_free): only
 * what the fit reads. */
struct reordered {
	struct rebuy_clv_data d;
	double *cols;
};

static void order_apply(struct reordered *o, const struct rebuy_clv_data *d, const size_t *perm)
{
	size_t n = d->n;
	o->cols = malloc(6 * (n ? n : 1) * sizeof *o->cols);
	assert_non_null(o->cols);
	o->d = *d;
	o->d.x = o->cols;
	o->d.t_x = o->cols + n;
	o->d.T = o->cols + 2 * n;
	o->d.w = o->cols + 3 * n;
	o->d.monetary = d->monetary ? o->cols + 4 * n : NULL;
	o->d.x_holdout = d->x_holdout ? o->cols + 5 * n : NULL;
	o->d.keys = NULL;
	o->d.first_day = NULL;
	o->d.repeat_by_day = NULL;
	o->d.priv = NULL;
	for (size_t i = 0; i < n; i++) {
		size_t j = perm[i];
		o->d.x[i] = d->x[j];
		o->d.t_x[i] = d->t_x[j];
		o->d.T[i] = d->T[j];
		o->d.w[i] = d->w[j];
		if (d->monetary)
			o->d.monetary[i] = d->monetary[j];
		if (d->x_holdout)
			o->d.x_holdout[i] = d->x_holdout[j];
	}
}

/* The holdout comparisons of two fits to the same customers in two orders:
 * every sum to the bit (the tracking curve, from orders only, aside). */
static void same_holdout(const struct rebuy_clv_fit *fa, const struct rebuy_clv_data *a,
                         const struct rebuy_clv_fit *fb, const struct rebuy_clv_data *b,
                         const char *what)
{
	struct rebuy_clv_holdout *ha = NULL, *hb = NULL;
	struct rebuy_error err = {0};
	if (rebuy_clv_holdout(fa, a, 0, &ha, &err) != REBUY_OK ||
	    rebuy_clv_holdout(fb, b, 0, &hb, &err) != REBUY_OK)
		fail_msg("%s: %s", what, err.msg);
	if (memcmp(ha, hb, offsetof(struct rebuy_clv_holdout, n_tracking)) != 0)
		fail_msg("%s: holdout sums differ (total expected %.17g against %.17g, mae %.17g "
		         "against %.17g)",
		         what, ha->total_expected, hb->total_expected, ha->mae, hb->mae);
	rebuy_clv_holdout_free(ha);
	rebuy_clv_holdout_free(hb);
}

/* The orders tried: reversed, and two shuffles (Fisher-Yates on a fixed
 * linear congruential sequence). */
static void order_make(size_t *perm, size_t n, int which)
{
	for (size_t i = 0; i < n; i++)
		perm[i] = which == 0 ? n - 1 - i : i;
	uint64_t s = 0x2545f4914f6cdd1du * (uint64_t)which;
	for (size_t i = n; which && i > 1; i--) {
		s = s * 6364136223846793005u + 1442695040888963407u;
		size_t j = (size_t)((s >> 33) % i), t = perm[i - 1];
		perm[i - 1] = perm[j];
		perm[j] = t;
	}
}

/* Fits every model of `models` (the first with Gamma-Gamma when `spend`)
 * to d and to d in three other orders, and asks for the same bits. */
static void check_any_order(const struct rebuy_clv_data *d, const enum rebuy_clv_model *models,
                            size_t n_models, int spend)
{
	size_t *perm = malloc((d->n ? d->n : 1) * sizeof *perm);
	assert_non_null(perm);
	for (size_t m = 0; m < n_models; m++) {
		struct rebuy_clv_fit want;
		fit(d, models[m], spend && m == 0, &want);
		for (int which = 0; which < 3; which++) {
			struct reordered o;
			order_make(perm, d->n, which);
			order_apply(&o, d, perm);
			struct rebuy_clv_fit got;
			fit(&o.d, models[m], spend && m == 0, &got);
			char what[64];
			snprintf(what, sizeof what, "%s, order %d", rebuy_clv_model_name(models[m]),
			         which);
			same_estimate(&want.est, &got.est, what);
			if (spend && m == 0) {
				assert_true(want.has_spend && got.has_spend);
				same_estimate(&want.spend, &got.spend, "gg");
			}
			if (d->x_holdout && d->holdout_length > 0)
				same_holdout(&want, d, &got, &o.d, what);
			free(o.cols);
		}
	}
	free(perm);
}

static const enum rebuy_clv_model continuous[] = {REBUY_CLV_BGNBD, REBUY_CLV_MBGNBD,
                                                  REBUY_CLV_PNBD};

/* CDNOW's 2,357 customers (data B) shuffled: BG/NBD with Gamma-Gamma,
 * MBG/NBD and Pareto/NBD give the same bits, and so do their holdout
 * comparisons; they did not when the unique rows, and the customers of the
 * holdout sums, were summed in the order first seen (`rebuy fit` of the
 * orders and of their `summary --customers` differed in the 15th digit). */
static void test_clv_fit__cdnow_fits_do_not_depend_on_customer_order(void **state)
{
	(void)state;
	struct rebuy_clv_data *d = cdnow_b();
	if (!d) {
		skip();
		return;
	}
	check_any_order(d, continuous, 3, 1);
	rebuy_clv_data_free(d);
}

struct row3 {
	double x, t_x, T, w;
};

static int cmp_row3(const void *pa, const void *pb)
{
	const struct row3 *a = pa, *b = pb;
	if (a->x != b->x)
		return a->x < b->x ? -1 : 1;
	if (a->t_x != b->t_x)
		return a->t_x < b->t_x ? -1 : 1;
	return (a->T > b->T) - (a->T < b->T);
}

/* Generated customers (no ../shared needed), with a made-up spend for the
 * repeat buyers: any order gives the same bits, and so does the table that
 * aggregates them into unique (x, t_x, T) rows with whole weights. */
static void test_clv_fit__generated_fits_do_not_depend_on_customer_order(void **state)
{
	(void)state;
	struct rebuy_gen_params gp;
	rebuy_gen_params_init(&gp);
	gp.n_customers = 20000;
	gp.seed = 5;
	struct rebuy_clv_data *d = gen_summary(&gp);
	assert_null(d->monetary);
	d->monetary = malloc(d->n * sizeof *d->monetary);
	assert_non_null(d->monetary);
	for (size_t i = 0; i < d->n; i++)
		d->monetary[i] = d->x[i] > 0 ? 5 + (double)(i * 7919 % 1000) / 8 : 0;
	check_any_order(d, continuous, 3, 1);
	free(d->monetary);
	d->monetary = NULL;

	/* the same customers as a table of unique rows with counts */
	struct rebuy_clv_data agg = *d;
	struct row3 *r = malloc(d->n * sizeof *r);
	double *cols = malloc(4 * d->n * sizeof *cols);
	assert_non_null(r);
	assert_non_null(cols);
	for (size_t i = 0; i < d->n; i++)
		r[i] = (struct row3){d->x[i], d->t_x[i], d->T[i], d->w[i]};
	qsort(r, d->n, sizeof *r, cmp_row3);
	agg.x = cols;
	agg.t_x = cols + d->n;
	agg.T = cols + 2 * d->n;
	agg.w = cols + 3 * d->n;
	agg.n = 0;
	for (size_t i = 0; i < d->n; i++) {
		if (agg.n && cmp_row3(&r[i], &r[i - 1]) == 0) {
			agg.w[agg.n - 1] += r[i].w;
			continue;
		}
		agg.x[agg.n] = r[i].x;
		agg.t_x[agg.n] = r[i].t_x;
		agg.T[agg.n] = r[i].T;
		agg.w[agg.n++] = r[i].w;
	}
	free(r);
	assert_true(agg.n < d->n);
	agg.x_holdout = NULL;
	agg.keys = NULL;
	agg.first_day = NULL;
	agg.priv = NULL;
	for (size_t m = 0; m < 3; m++) {
		struct rebuy_clv_fit a, b;
		fit(d, continuous[m], 0, &a);
		fit(&agg, continuous[m], 0, &b);
		same_estimate(&a.est, &b.est, rebuy_clv_model_name(continuous[m]));
	}
	free(cols);
	rebuy_clv_data_free(d);
}

/* sBG on survivor counts, BG/BB on the donations (rows with weights), and
 * BG/BB with every row split into three entries of fractional weights (a
 * row's weights are summed in one order whatever the order of its entries;
 * two would not tell, a + b being b + a), each shuffled. */
static void test_clv_fit__weighted_fits_do_not_depend_on_row_order(void **state)
{
	(void)state;
	static const double survivors[8] = {1000, 631, 468, 382, 326, 289, 262, 241};
	struct rebuy_clv_data *d = NULL;
	struct rebuy_error err = {0};
	if (rebuy_clv_data_from_survivors(survivors, 8, &d, &err) != REBUY_OK)
		fail_msg("%s", err.msg);
	check_any_order(d, (const enum rebuy_clv_model[]){REBUY_CLV_SBG}, 1, 0);
	rebuy_clv_data_free(d);

	const char *p = tu_shared_path("data/cdnow/donations.csv");
	if (!p) {
		skip();
		return;
	}
	if (rebuy_clv_data_read_summary(p, &d, &err) != REBUY_OK)
		fail_msg("%s", err.msg);
	const enum rebuy_clv_model bgbb[] = {REBUY_CLV_BGBB};
	check_any_order(d, bgbb, 1, 0);
	struct rebuy_clv_data split = *d;
	static const double part[3] = {0.1, 0.2, 0.7};
	double *cols = malloc(12 * d->n * sizeof *cols);
	assert_non_null(cols);
	split.n = 3 * d->n;
	split.x = cols;
	split.t_x = cols + split.n;
	split.T = cols + 2 * split.n;
	split.w = cols + 3 * split.n;
	split.keys = NULL;
	split.priv = NULL;
	for (size_t i = 0; i < d->n; i++) {
		for (size_t h = 0; h < 3; h++) {
			split.x[3 * i + h] = d->x[i];
			split.t_x[3 * i + h] = d->t_x[i];
			split.T[3 * i + h] = d->T[i];
			split.w[3 * i + h] = d->w[i] * part[h];
		}
	}
	check_any_order(&split, bgbb, 1, 0);
	free(cols);
	rebuy_clv_data_free(d);
}

/* Out of memory anywhere in a fit (the unique rows, the ranks and the sort
 * that order them, the likelihood's scratch, the spend fit) is REBUY_ENOMEM
 * with nothing left allocated: fail every allocation from the Nth on, for
 * every N until the fit completes. Times in sevenths of a week, so that the
 * rows are ranked through a table of distinct values. */
static void test_clv_fit__out_of_memory_in_a_fit_is_an_error(void **state)
{
	(void)state;
	enum { N = 40 };
	double x[N], t_x[N], T[N], w[N], mon[N];
	for (int i = 0; i < N; i++) {
		x[i] = i % 5;
		T[i] = 20 + (double)(i % 9) / 7;
		t_x[i] = x[i] > 0 ? T[i] * (double)(i % 6 + 1) / 7 : 0;
		w[i] = 1 + i % 2;
		mon[i] = x[i] > 0 ? 10 + i % 13 : 0;
	}
	struct rebuy_clv_data d;
	memset(&d, 0, sizeof d);
	d.layout = REBUY_CLV_CONTINUOUS;
	d.unit = REBUY_UNIT_WEEK;
	d.n = N;
	d.x = x;
	d.t_x = t_x;
	d.T = T;
	d.w = w;
	d.monetary = mon;
	snprintf(d.source, sizeof d.source, "made up");
	struct rebuy_clv_fit_options o;
	rebuy_clv_fit_options_init(&o);
	o.model = REBUY_CLV_BGNBD;
	o.spend = 1;
	o.n_threads = 2;
	size_t in_use = rebuy_alloc_in_use();
	long fail;
	for (fail = 0; fail < 100000; fail++) {
		struct rebuy_clv_fit f;
		struct rebuy_error err = {0};
		tu_fail_after(fail);
		enum rebuy_status st = rebuy_clv_fit(&d, &o, &f, &err);
		int triggered = tu_fail_triggered();
		tu_fail_after(-1);
		assert_int_equal(rebuy_alloc_in_use(), in_use);
		if (!triggered) {
			assert_int_equal(st, REBUY_OK);
			assert_true(f.has_spend);
			break;
		}
		assert_int_equal(st, REBUY_ENOMEM);
	}
	assert_true(fail > 10 && fail < 100000);
}

/* Customers who buy like clockwork and are all still buying: the data say
 * purchase rates are all the same (r, alpha -> infinity), which Pareto/NBD
 * can only approach. The fit must end, say so, and keep an exact
 * likelihood out there (r + x near 1e16), not one made of rounding. */
static void test_clv_fit__regular_buyers_end_on_a_named_boundary(void **state)
{
	(void)state;
	char csv[2048];
	size_t len = (size_t)snprintf(csv, sizeof csv, "customer,x,t_x,T\n");
	for (int c = 0; c < 12; c++) {
		double T = 24 + c % 3, gap = 0.8 + 0.1 * (c % 5);
		int x = (int)((T - 1) / gap);
		len += (size_t)snprintf(csv + len, sizeof csv - len, "%d,%d,%.4f,%.4f\n", c, x,
		                        x * gap, T);
	}
	struct rebuy_clv_data *d = NULL;
	struct rebuy_error err = {0};
	if (rebuy_clv_data_read_summary(tu_temp_file(1, csv, len), &d, &err) != REBUY_OK)
		fail_msg("%s", err.msg);
	struct rebuy_clv_fit f;
	fit(d, REBUY_CLV_PNBD, 0, &f);
	assert_false(f.est.converged);
	assert_non_null(strstr(f.est.status, "boundary: r, alpha -> infinity: purchase rates "
	                                     "become the same for every customer"));
	assert_true(isfinite(f.est.log_likelihood) && f.est.log_likelihood < 0);
	/* the likelihood at the end is the sum of the customers' */
	double sum = 0;
	for (size_t i = 0; i < d->n; i++)
		sum += rebuy__pnbd_ll(f.est.params, d->x[i], d->t_x[i], d->T[i]);
	near(f.est.log_likelihood, sum, 1e-9, "log-likelihood at the boundary");
	/* BG/NBD runs to the same boundary model (one purchase rate, nobody
	 * drops out), so the two log-likelihoods meet; and its sum over rows
	 * there equals the per-customer values (at r = 1e20, q - r once
	 * rounded x away and the sum came out +11156). */
	struct rebuy_clv_fit b;
	fit(d, REBUY_CLV_BGNBD, 0, &b);
	assert_false(b.est.converged);
	assert_string_equal(b.est.status,
	                    "boundary: r, alpha -> infinity: purchase rates become the same for "
	                    "every customer; a -> 0, b -> infinity: customers never drop out");
	near(b.est.log_likelihood, f.est.log_likelihood, 1e-6, "bgnbd and pnbd at the boundary");
	const double far[4] = {1e20, 1e20 / 1.2, 1e-40, 1e40};
	struct rebuy__clv_rows rows = {d->n, d->x, d->t_x, d->T, d->w};
	double ll, g[4];
	assert_int_equal(rebuy__model_bgnbd.loglik(far, &rows, NULL, 1, &ll, g), REBUY_OK);
	sum = 0;
	for (size_t i = 0; i < d->n; i++)
		sum += rebuy__bgnbd_ll(far, d->x[i], d->t_x[i], d->T[i]);
	near(ll, sum, 1e-12, "bgnbd rows at r = 1e20");
	rebuy_clv_data_free(d);
}

/* The "regular" cohort again, as a contracts file: 1,000 yearly contracts
 * from 2000-01-01, those that end in year t ending 100 days into it (one
 * exactly on a renewal day, 2001-01-01, ends in year 1), 241 still open at
 * the as-of day 2007-01-01. Same rows, so the same optimum as the survivor
 * counts; then the same contracts started a month later, whose last year is
 * not complete at the as-of day and are censored a year earlier. */
static void test_clv_fit__sbg_from_a_contracts_file(void **state)
{
	(void)state;
	static const int ended[8] = {0, 369, 163, 86, 56, 37, 27, 21};
	size_t cap = 64 * 1024, len = 0;
	char *csv = malloc(cap);
	assert_non_null(csv);
	len += (size_t)snprintf(csv, cap, "customer,start,end\n");
	int id = 0;
	for (int shift = 0; shift < 2; shift++) {
		for (int t = 1; t <= 7; t++)
			for (int k = 0; k < ended[t]; k++) {
				int64_t start = rebuy_days_from_civil(2000, 1 + shift, 1);
				int64_t end =
				        t == 1 && k == 0 && !shift
				                ? rebuy_days_from_civil(2001, 1, 1)
				                : rebuy_days_from_civil(1999 + t, 1 + shift, 1) +
				                          100;
				char a[16], b[16];
				rebuy_format_day(start, a, sizeof a);
				rebuy_format_day(end, b, sizeof b);
				len += (size_t)snprintf(csv + len, cap - len, "c%d,%s,%s\n", id++,
				                        a, b);
			}
		for (int k = 0; k < 241; k++)
			len += (size_t)snprintf(csv + len, cap - len, "c%d,%s,\n", id++,
			                        shift ? "2000-02-01" : "2000-01-01");
		if (shift == 0) {
			const char *path = tu_temp_file(2, csv, len);
			struct rebuy_clv_data *d = NULL;
			size_t young = 0;
			struct rebuy_error err = {0};
			if (rebuy_clv_data_read_contracts(path, REBUY_PERIOD_YEAR, 1,
			                                  rebuy_days_from_civil(2007, 1, 1), &d,
			                                  &young, &err) != REBUY_OK)
				fail_msg("%s", err.msg);
			assert_int_equal((int)d->n_customers, 1000);
			assert_int_equal((int)young, 0);
			struct rebuy_clv_fit f;
			fit(d, REBUY_CLV_SBG, 0, &f);
			const double want[2] = {0.704077, 1.182043};
			check_estimate(&f.est, want, -1680.265188, NULL, 1e-5, "sbg contracts");
			rebuy_clv_data_free(d);
		}
	}
	const char *path = tu_temp_file(2, csv, len);
	free(csv);
	struct rebuy_clv_data *d = NULL;
	size_t young = 0;
	struct rebuy_error err = {0};
	if (rebuy_clv_data_read_contracts(path, REBUY_PERIOD_YEAR, 1,
	                                  rebuy_days_from_civil(2007, 1, 1), &d, &young,
	                                  &err) != REBUY_OK)
		fail_msg("%s", err.msg);
	/* the second cohort's open contracts have 6 whole years behind them;
	 * its year-7 leavers (ended 2006-02-01 + 100 days) are still leavers */
	double censored6 = 0, censored7 = 0;
	for (size_t i = 0; i < d->n; i++) {
		censored6 += d->t_x[i] == 1 && d->x[i] == 6;
		censored7 += d->t_x[i] == 1 && d->x[i] == 7;
	}
	assert_true(censored6 == 241 && censored7 == 241 && d->n_customers == 2000);
	rebuy_clv_data_free(d);
	/* a bad date names its line */
	const char *bad = tu_temp_text(3, "start,end\n2000-01-01,\n2000-13-01,\n");
	assert_int_equal(
	        rebuy_clv_data_read_contracts(bad, REBUY_PERIOD_MONTH, 0, 0, &d, &young, &err),
	        REBUY_EDATA);
	assert_non_null(strstr(err.msg, ":3: start '2000-13-01' is not a date"));
	const char *backwards = tu_temp_text(4, "start,end\n2000-05-01,2000-01-01\n");
	err = (struct rebuy_error){0};
	assert_int_equal(rebuy_clv_data_read_contracts(backwards, REBUY_PERIOD_MONTH, 0, 0, &d,
	                                               &young, &err),
	                 REBUY_EDATA);
	assert_non_null(strstr(err.msg, ":2: the contract ends before it starts"));
}

/* BG/BB walks the opportunities after the last transaction one by one: a
 * summary with more than a million is refused with its line, not fitted for
 * hours (the fuzz target found one with 10^15). */
static void test_clv_fit__bgbb_refuses_endless_opportunities(void **state)
{
	(void)state;
	const char *p = tu_temp_text(5, "frequency,recency,periods,weights\n1,1,6,10\n"
	                                "2,5,1000001,3\n");
	struct rebuy_clv_data *d = NULL;
	struct rebuy_error err = {0};
	assert_int_equal(rebuy_clv_data_read_summary(p, &d, &err), REBUY_EDATA);
	assert_non_null(strstr(err.msg, ":3: more than 1,000,000 opportunities"));
	assert_true(isnan(rebuy__bgbb_ll((const double[4]){1, 1, 1, 1}, 2, 5, 2e6)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_clv_fit__cdnow_b_optima),
	        cmocka_unit_test(test_clv_fit__cdnow_holdout_table),
	        cmocka_unit_test(test_clv_fit__predictions_equal_the_closed_forms),
	        cmocka_unit_test(test_clv_fit__bootstrap_intervals_match_the_delta_method),
	        cmocka_unit_test(test_clv_fit__cdnow_a_optima),
	        cmocka_unit_test(test_clv_fit__bgbb_donations),
	        cmocka_unit_test(test_clv_fit__bgbb_refuses_endless_opportunities),
	        cmocka_unit_test(test_clv_fit__sbg_survivors),
	        cmocka_unit_test(test_clv_fit__sbg_from_a_contracts_file),
	        cmocka_unit_test(test_clv_fit__predictor_ranges_equal_one_prediction),
	        cmocka_unit_test(test_clv_fit__recovers_known_parameters),
	        cmocka_unit_test(test_clv_fit__regular_buyers_end_on_a_named_boundary),
	        cmocka_unit_test(test_clv_fit__cdnow_fits_do_not_depend_on_customer_order),
	        cmocka_unit_test(test_clv_fit__generated_fits_do_not_depend_on_customer_order),
	        cmocka_unit_test(test_clv_fit__weighted_fits_do_not_depend_on_row_order),
	        cmocka_unit_test(test_clv_fit__out_of_memory_in_a_fit_is_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
