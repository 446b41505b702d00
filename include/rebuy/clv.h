/* rebuy — customer-lifetime models: fit them to a customer base and predict
 * each customer's future (docs/fit.md, docs/predict.md).
 *
 * Models: BG/NBD (Fader, Hardie & Lee 2005), MBG/NBD (Batislam, Denizel &
 * Filiztekin 2007), Pareto/NBD (Schmittlein, Morrison & Colombo 1987) for
 * purchases in continuous time; BG/BB (Fader, Hardie & Shang 2010) for
 * discrete opportunities; the shifted-beta-geometric (Fader & Hardie 2007)
 * for contract retention; Gamma-Gamma (Fader, Hardie & Lee 2005) for spend.
 *
 * Fits are maximum likelihood on the log parameters (BFGS, then Newton
 * polishing) over the unique data rows with their counts. A fit that ends on
 * a parameter boundary or short of convergence is still a result: converged
 * is 0 and status says what happened; only a fit that yields no parameters
 * at all is an error.
 */
#ifndef REBUY_CLV_H
#define REBUY_CLV_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/customers.h"
#include "rebuy/date.h"
#include "rebuy/error.h"
#include "rebuy/orders.h"

#ifdef __cplusplus
extern "C" {
#endif

enum rebuy_clv_model {
	REBUY_CLV_BGNBD,
	REBUY_CLV_MBGNBD,
	REBUY_CLV_PNBD,
	REBUY_CLV_BGBB,
	REBUY_CLV_SBG,
	REBUY_CLV_MODEL_COUNT
};

/* "bgnbd", "mbgnbd", "pnbd", "bgbb", "sbg". */
const char *rebuy_clv_model_name(enum rebuy_clv_model model);
/* As people write them: "BG/NBD", "MBG/NBD", "Pareto/NBD", "BG/BB", "sBG". */
const char *rebuy_clv_model_title(enum rebuy_clv_model model);
enum rebuy_status rebuy_clv_model_from_name(const char *name, enum rebuy_clv_model *out,
                                            struct rebuy_error *err);

/* How the data describe customers. */
enum rebuy_clv_layout {
	/* x repeat purchases, the last at t_x, observed for T time units since
	 * the first purchase (bgnbd, mbgnbd, pnbd) */
	REBUY_CLV_CONTINUOUS,
	/* x purchases in T = n opportunities, the last at opportunity t_x (bgbb) */
	REBUY_CLV_DISCRETE,
	/* contracts: x = the period t >= 1 they ended in, or were last seen
	 * active in when t_x = 1 (sbg) */
	REBUY_CLV_SURVIVAL
};

/* The customers to fit and predict: one entry per customer, or per row of
 * a pre-aggregated table with its weight (a count of customers). */
struct rebuy_clv_data {
	enum rebuy_clv_layout layout;
	enum rebuy_time_unit unit; /* of t_x and T (continuous) */
	size_t n;                  /* entries */
	double n_customers;        /* sum of the weights */
	double *x, *t_x, *T, *w;
	double *monetary;   /* mean repeat-purchase value; NULL when unknown */
	double *x_holdout;  /* purchases after the calibration period; NULL when unknown */
	const char **keys;  /* customer keys, or NULL (then entries are numbered from 1) */
	int64_t *first_day; /* first purchase day, or NULL */
	int has_cal_end;
	int64_t cal_end;       /* the calibration period's last day */
	double holdout_length; /* time units after cal_end to the end of the data; 0: none */
	int64_t holdout_end;   /* the last day of the holdout period */
	/* From orders: repeat purchase days of these customers per day, days
	 * day0 .. day0 + n_days - 1 (the tracking curve's actual side). */
	double *repeat_by_day;
	int64_t day0;
	size_t n_days;
	char source[256]; /* for messages */
	struct rebuy__clv_data_priv *priv;
};

/* The BTYD summary (customers.h) of every customer whose first purchase is on
 * or before cal_end, with monetary (when the orders have amounts), the
 * holdout purchases up to the end of the data, keys and first days. */
enum rebuy_status rebuy_clv_data_from_orders(const struct rebuy_orders *orders, int64_t cal_end,
                                             enum rebuy_time_unit unit, struct rebuy_clv_data **out,
                                             struct rebuy_error *err);

/* A pre-summarized table (CSV or whitespace-separated): continuous layout
 * with columns customer (optional), x or frequency, t_x or recency, T,
 * and optionally monetary (or zbar, monetary_value) and x_holdout (or
 * x_star); the discrete layout when there is a column periods (or n):
 * frequency, recency, periods and optionally weights (or count). Every
 * value is checked (x whole and >= 0, 0 <= t_x <= T, t_x = 0 when x = 0,
 * recency >= frequency in the discrete layout ...): a bad one is an error
 * naming the file, line and column. */
enum rebuy_status rebuy_clv_data_read_summary(const char *path, struct rebuy_clv_data **out,
                                              struct rebuy_error *err);

/* Survival data from a cohort's survivor counts at the start of periods
 * 0, 1, ..., n-1 (survivors[0] is the cohort size); counts must be whole
 * and never grow. */
enum rebuy_status rebuy_clv_data_from_survivors(const double *survivors, size_t n,
                                                struct rebuy_clv_data **out,
                                                struct rebuy_error *err);

/* Survival data from a contracts file (CSV or whitespace-separated): one
 * row per contract with a start date and an end date (empty, or after
 * as_of: still active), and optionally a customer; dates in any form of
 * docs/input.md (a/b/YYYY only where one reading is a date). Periods are
 * calendar periods of `period` counted from each contract's start (whole
 * months from the same day of the month, and so on): a contract that ended
 * k periods and a bit after its start ended in period k + 1 (at an exact
 * boundary, in period k; at least 1); one still active at as_of has renewed
 * at the end of each of the k whole periods behind it (censored), and one
 * younger than a period says nothing yet and is left out (*n_young).
 * has_as_of 0: as_of is the latest date in the file. A bad row is an error
 * naming the file, line and column. */
enum rebuy_status rebuy_clv_data_read_contracts(const char *path, enum rebuy_period period,
                                                int has_as_of, int64_t as_of,
                                                struct rebuy_clv_data **out, size_t *n_young,
                                                struct rebuy_error *err);

void rebuy_clv_data_free(struct rebuy_clv_data *data);

#define REBUY_CLV_MAX_PARAMS 4
#define REBUY_CLV_STATUS_MAX 512

struct rebuy_clv_fit_options {
	enum rebuy_clv_model model;
	int spend;          /* also fit Gamma-Gamma spend (needs monetary) */
	double penalty;     /* L2: maximizes LL / customers - penalty * sum(params^2); 0: none */
	unsigned n_threads; /* 0: all CPUs; results do not depend on it */
	int max_iter;       /* quasi-Newton iterations per start; 0: 1,000 */
};

void rebuy_clv_fit_options_init(struct rebuy_clv_fit_options *opts);

/* One maximum-likelihood fit. */
struct rebuy_clv_estimate {
	int n_params;
	const char *names[REBUY_CLV_MAX_PARAMS];
	double params[REBUY_CLV_MAX_PARAMS];
	double se[REBUY_CLV_MAX_PARAMS]; /* from the Hessian; NaN when it is not definite */
	/* Covariance of the log parameters (row major, n_params x n_params),
	 * the inverse Hessian of the log-likelihood; has_cov 0 when it is
	 * not definite. */
	int has_cov;
	double cov_log[REBUY_CLV_MAX_PARAMS * REBUY_CLV_MAX_PARAMS];
	double log_likelihood; /* total, at params (without the penalty) */
	double n_customers;    /* sum of weights of the rows used */
	size_t n_rows;         /* unique rows the likelihood ran over */
	int converged;
	int iterations, evaluations, starts;
	double gradient_max;               /* max |d LL / d log param| at the end */
	char status[REBUY_CLV_STATUS_MAX]; /* "converged", or what happened */
};

struct rebuy_clv_fit {
	enum rebuy_clv_model model;
	struct rebuy_clv_estimate est;
	int has_spend;
	struct rebuy_clv_estimate spend; /* Gamma-Gamma p, q, gamma */
	double seconds;                  /* wall time of the fits */
};

/* Fits opts->model (and Gamma-Gamma when opts->spend) to data. Errors:
 * REBUY_EARG (a model that does not take the data's layout; spend without
 * monetary values), REBUY_EDATA (no customers; no repeat buyers for spend;
 * the likelihood is not finite at any start), REBUY_ENOMEM. */
enum rebuy_status rebuy_clv_fit(const struct rebuy_clv_data *data,
                                const struct rebuy_clv_fit_options *opts, struct rebuy_clv_fit *out,
                                struct rebuy_error *err);

/* ---- predictions ---- */

#define REBUY_CLV_MAX_PMF 16

struct rebuy_clv_predict_options {
	/* The prediction horizon in time units (opportunities for bgbb); 0: one
	 * year (52.18 weeks, 365.25 days, 12 months; 1 opportunity). */
	double horizon;
	/* The CLV horizon; 0: the prediction horizon. INFINITY: the whole
	 * residual lifetime (pnbd and bgbb, which have closed forms). */
	double clv_horizon;
	double margin;        /* share of spend that is profit; default 1 */
	double discount_rate; /* per year (per opportunity for bgbb); default 0.1 */
	int n_pmf;            /* P(n purchases in the horizon) for n < n_pmf (<= 16) */
	unsigned n_threads;   /* 0: all CPUs */
};

void rebuy_clv_predict_options_init(struct rebuy_clv_predict_options *opts);

struct rebuy_clv_prediction {
	double p_alive, log_p_alive;
	double expected_purchases; /* in the horizon, given the history */
	double p_no_purchase;      /* P(0 purchases in the horizon | history) */
	double expected_spend;     /* Gamma-Gamma mean spend given the history; NaN without */
	double clv; /* margin x spend x discounted expected purchases; NaN without spend */
	double discounted_purchases;
	double next_purchase; /* median wait for the next purchase given alive, time units
	                         after the calibration end; NaN for bgbb */
	double pmf[REBUY_CLV_MAX_PMF];
};

/* Predictions for every entry of d from a fit (d may be the data fitted or
 * other customers of the same layout and unit). out has d->n entries.
 * REBUY_EARG for options the model cannot serve (sbg has no customer-level
 * predictions; an infinite CLV horizon needs pnbd or bgbb). */
enum rebuy_status rebuy_clv_predict(const struct rebuy_clv_fit *fit, const struct rebuy_clv_data *d,
                                    const struct rebuy_clv_predict_options *opts,
                                    struct rebuy_clv_prediction *out, struct rebuy_error *err);

/* The same predictions a range of entries at a time, in bounded memory:
 * rebuy_clv_predictor_new does the work shared by all customers (once per
 * distinct history), rebuy_clv_predictor_run fills out[0 .. n) for the
 * entries first .. first + n - 1 of d (which must outlive the predictor).
 * Results equal rebuy_clv_predict's. A predictor runs one range at a time. */
struct rebuy_clv_predictor;
enum rebuy_status rebuy_clv_predictor_new(const struct rebuy_clv_fit *fit,
                                          const struct rebuy_clv_data *d,
                                          const struct rebuy_clv_predict_options *opts,
                                          struct rebuy_clv_predictor **out,
                                          struct rebuy_error *err);
enum rebuy_status rebuy_clv_predictor_run(struct rebuy_clv_predictor *p, size_t first, size_t n,
                                          struct rebuy_clv_prediction *out,
                                          struct rebuy_error *err);
void rebuy_clv_predictor_free(struct rebuy_clv_predictor *p);

/* Parametric-bootstrap intervals: the parameters (and the spend model's)
 * are drawn from the asymptotic normal of their logarithms (mean the
 * estimate, covariance cov_log), the predictions recomputed for each draw,
 * and each customer's interval is the central `level` share of the draws
 * (quantiles by linear interpolation between order statistics). */
struct rebuy_clv_interval {
	double expected_lo, expected_hi; /* expected purchases in the horizon */
	double clv_lo, clv_hi;           /* NaN without a spend model */
};

/* Intervals for every entry of d from `draws` parameter draws (10 ..
 * 10,000) at `level` (0 < level < 1) with a fixed seed, so the same call
 * gives the same intervals. Costs about `draws` times rebuy_clv_predict.
 * REBUY_EARG when a fit has no covariance (its Hessian is not definite) or
 * the arguments are out of range. */
enum rebuy_status
rebuy_clv_predict_intervals(const struct rebuy_clv_fit *fit, const struct rebuy_clv_data *d,
                            const struct rebuy_clv_predict_options *opts, int draws, double level,
                            uint64_t seed, struct rebuy_clv_interval *out, struct rebuy_error *err);

/* The share of new customers still alive t time units (opportunities,
 * periods) after their first purchase (the start of a contract): S(t) =
 * (beta / (beta + t))^s for pnbd, 2F1(r, a; a + b; -t / alpha) for bgnbd
 * (mbgnbd: the first purchase may end it too), B(gamma, delta + t) /
 * B(gamma, delta) for bgbb, B(alpha, beta + t) / B(alpha, beta) for sbg.
 * rebuy_clv_retention (sbg only): the retention rate of period t, S(t) /
 * S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1) (Fader & Hardie 2007).
 * NaN for t out of range (t >= 0; t >= 1 for retention). */
double rebuy_clv_survival(const struct rebuy_clv_fit *fit, double t);
double rebuy_clv_retention(const struct rebuy_clv_fit *fit, double t);

/* Better retention: *out is fit with every customer's dropout lowered (the
 * dropout Beta's second shape b / delta / beta, or Pareto/NBD's dropout
 * scale beta, multiplied by one factor) so that the share of new customers
 * alive after t, rebuy_clv_survival(fit, t), rises by `points` (0.05: five
 * percentage points). The factor is found by bisection to 1e-13; out's
 * standard errors are NaN and its status says what was changed.
 * REBUY_EARG when t <= 0, points is outside [0, 1) or the lifted share
 * would reach 100 %. */
enum rebuy_status rebuy_clv_shift_retention(const struct rebuy_clv_fit *fit, double t,
                                            double points, struct rebuy_clv_fit *out,
                                            struct rebuy_error *err);

/* Lower dropout by a relative amount: every customer's dropout scaled by
 * (1 + change), change > -1 (-0.1: a tenth less dropout). pnbd: the
 * dropout rate mu ~ Gamma(s, beta) becomes (1 + change) mu, which is
 * Gamma(s, beta / (1 + change)) exactly. The Beta models (bgnbd and mbgnbd:
 * the dropout probability after a purchase, p ~ Beta(a, b); bgbb:
 * theta ~ Beta(gamma, delta); sbg: Beta(alpha, beta)) have no Beta that is
 * a scaled Beta, so their mean a / (a + b) is scaled instead, keeping the
 * first shape: b' = (a + b) / (1 + change) - a. REBUY_EARG when change <= -1
 * or the scaled mean would reach 1. out's standard errors are NaN and its
 * status says what was changed. */
enum rebuy_status rebuy_clv_shift_dropout(const struct rebuy_clv_fit *fit, double change,
                                          struct rebuy_clv_fit *out, struct rebuy_error *err);

/* ---- what-if: the base's value under changed behaviour ----
 *
 * One scenario changes, for the customers in the data, from the fitted
 * model (see whatif.c for the derivations):
 *   retention: rebuy_clv_shift_retention(fit, retention_t, retention_points)
 *     (the report's "what better retention is worth"), or
 *     rebuy_clv_shift_dropout(fit, dropout_change). The changed model
 *     replaces the fitted one everywhere, P(alive | history) included: the
 *     customers are re-read by a model in which fewer drop out.
 *   frequency: every customer's purchase rate from now on is (1 + f) lambda.
 *     For a new customer, lambda ~ Gamma(r, alpha) becomes Gamma(r,
 *     alpha / (1 + f)). For a customer with history (x, t_x, T) the
 *     history was made at the old rate, so P(alive | history) and the
 *     posteriors stay the fitted ones; alive at T her rate is Gamma(r + x,
 *     alpha + T), and the changed future rate (1 + f) lambda is Gamma(r + x,
 *     (alpha + T) / (1 + f)). So:
 *       pnbd (dropout independent of purchases): expected purchases in any
 *         horizon, discounted purchases and CLV all scale by (1 + f)
 *         exactly, and so does a new customer's E[X(t)];
 *       bgnbd, mbgnbd (a customer can drop out only right after a
 *         purchase): buying (1 + f) times as fast runs the whole future
 *         (1 + f) times as fast, dropout included: E[X(t) | history] becomes
 *         E[X((1 + f) t) | history], and a new customer's E[X(t)] becomes
 *         E[X((1 + f) t)] -- less than (1 + f) times as much, and the share
 *         alive after t falls.
 *     bgbb has no rate (REBUY_EARG).
 *   spend: every future purchase is worth (1 + m) times as much: each
 *     customer's Gamma-Gamma expected spend, so expected revenue and CLV,
 *     scale by (1 + m). (Scaling the prior's gamma alone would not do it:
 *     the posterior mean leans on the customer's own past spend.)
 * The changes combine in that order: the dropout change makes the model,
 * the frequency change runs its future faster, the spend change scales
 * the value. Zero everywhere is the baseline: rebuy_clv_predict exactly.
 */
struct rebuy_clv_scenario {
	double retention_points; /* lift S(retention_t) by this (0.05: five points), [0, 1) */
	double retention_t;      /* time units; 0: one year (1 opportunity or period for
	                            bgbb and sbg) */
	double dropout_change;   /* > -1; 0: none; not with retention_points */
	double frequency_change; /* > -1; 0: none */
	double spend_change;     /* > -1; 0: none */
};

struct rebuy_clv_whatif {
	/* The model the customers are read by: fit with the dropout change
	 * (its status then says what changed), else a copy of fit. */
	struct rebuy_clv_fit fit;
	double survival_t;      /* retention_t, in time units */
	double survival_before; /* rebuy_clv_survival(fitted, t) */
	double survival_after;  /* the same under the scenario (frequency included) */
	/* Sums over the customers, each entry weighted by d->w, compensated
	 * (Kahan-Babuska) so that they do not depend on rounding noise; an
	 * entry whose value is NaN (no spend model) is left out. */
	double customers;
	double expected_purchases; /* in opts->horizon */
	double expected_revenue;   /* expected purchases x expected spend, in opts->horizon */
	double clv;                /* over opts->clv_horizon */
};

/* The scenario's predictions for every entry of d into pred (d->n entries;
 * NULL: not kept) and their sums into *out. Errors: REBUY_EARG (a change
 * out of range, both retention changes, a frequency change for bgbb, those
 * of rebuy_clv_predict and the shifts), REBUY_ENOMEM. */
enum rebuy_status rebuy_clv_whatif(const struct rebuy_clv_fit *fit, const struct rebuy_clv_data *d,
                                   const struct rebuy_clv_predict_options *opts,
                                   const struct rebuy_clv_scenario *scenario,
                                   struct rebuy_clv_prediction *pred, struct rebuy_clv_whatif *out,
                                   struct rebuy_error *err);

/* Expected purchases in (T, T + t] given the history, one customer. */
double rebuy_clv_expected_purchases(const struct rebuy_clv_fit *fit, double x, double t_x, double T,
                                    double t);
/* P(alive at T) given x repeat purchases, the last at t_x (continuous
 * models and bgbb), one customer: what rebuy_clv_predict gives as p_alive. */
double rebuy_clv_p_alive(const struct rebuy_clv_fit *fit, double x, double t_x, double T);
/* E[X(t)]: expected repeat purchases of a new customer t after the first. */
double rebuy_clv_expected_new(const struct rebuy_clv_fit *fit, double t);

/* ---- calibration / holdout validation ---- */

#define REBUY_CLV_HOLDOUT_BINS 8 /* calibration x = 0, 1, ..., 6, 7+ */

struct rebuy_clv_holdout_bin {
	double customers;
	double actual, expected, naive; /* mean holdout purchases per customer */
};

struct rebuy_clv_tracking_point {
	int64_t day;                     /* the period's last day */
	double t;                        /* time units from day0 to the end of that day */
	double actual, expected;         /* repeat purchases in the period */
	double actual_cum, expected_cum; /* since the start */
};

struct rebuy_clv_holdout {
	double length; /* time units */
	double customers;
	struct rebuy_clv_holdout_bin by_x[REBUY_CLV_HOLDOUT_BINS];
	double total_actual, total_expected, total_naive;
	double mae, mae_naive; /* mean absolute error per customer */
	double rmse, rmse_naive;
	/* The tracking curve, one point per time unit (from orders only). */
	size_t n_tracking;
	struct rebuy_clv_tracking_point *tracking;
};

/* Compares the fit's expectations over the holdout period with what the
 * customers did (d->x_holdout over d->holdout_length), by calibration
 * frequency, against the naive forecast x / T * length; and the tracking
 * curve when d came from orders. REBUY_EARG when d has no holdout. */
enum rebuy_status rebuy_clv_holdout(const struct rebuy_clv_fit *fit, const struct rebuy_clv_data *d,
                                    unsigned n_threads, struct rebuy_clv_holdout **out,
                                    struct rebuy_error *err);
void rebuy_clv_holdout_free(struct rebuy_clv_holdout *h);

#ifdef __cplusplus
}
#endif
#endif
