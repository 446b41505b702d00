/* rebuy — time-series forecasts (docs/forecast.md).
 *
 * Seasonal ARIMA(p,d,q)(P,D,Q)[m] fitted by exact Gaussian maximum
 * likelihood (a Kalman filter on the differenced series, started by
 * conditional sum of squares), automatic order selection by AICc with the
 * Hyndman–Khandakar stepwise search, seasonal naive and naive forecasts,
 * and the accuracy measures of the M4 competition. Every function is pure:
 * no I/O, thread-safe on distinct objects.
 */
#ifndef REBUY_FORECAST_H
#define REBUY_FORECAST_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/clv.h"
#include "rebuy/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bounds on what a model may hold (a hostile series file cannot size an
 * allocation past them). */
#define REBUY_ARIMA_MAX_ORDER 5   /* p, q */
#define REBUY_ARIMA_MAX_SORDER 2  /* P, Q */
#define REBUY_ARIMA_MAX_PERIOD 60 /* m */
#define REBUY_SERIES_MAX ((size_t)10000000)

struct rebuy_arima_order {
	int p, d, q;      /* non-seasonal AR, differences, MA */
	int P, D, Q;      /* seasonal AR, differences, MA */
	int m;            /* the seasonal period; 1: no seasonal part */
	int has_constant; /* a mean when d + D = 0, a drift when d + D = 1; ignored otherwise */
};

enum rebuy_arima_method {
	REBUY_ARIMA_CSS_ML, /* conditional sum of squares for a start, then exact ML (default) */
	REBUY_ARIMA_ML,     /* exact ML from zeros */
	REBUY_ARIMA_CSS     /* conditional sum of squares only */
};

/* A fitted model. Owns its memory. */
struct rebuy_arima {
	struct rebuy_arima_order order;
	enum rebuy_arima_method method;
	/* Coefficients in the order ar1..arp, ma1..maq, sar1..sarP, sma1..smaQ,
	 * then the mean (d + D = 0) or the drift per time step (d + D = 1). */
	double coef[2 * REBUY_ARIMA_MAX_ORDER + 2 * REBUY_ARIMA_MAX_SORDER + 1];
	int n_coef;
	double loglik; /* exact Gaussian log-likelihood of the differenced series (CSS: conditional)
	                */
	double sigma2; /* innovation variance: sum of squared residuals / (n* - k + 1), as R's
	                  forecast */
	double sigma2_ml;      /* the ML (or CSS) estimate: sum of squares / n* */
	double aic, aicc, bic; /* k = n_coef + 1 parameters, n* = n - d - m D observations */
	size_t n;              /* observations */
	size_t n_used;         /* n* */
	int is_converged;      /* the optimizer ended by its tolerance, not its iteration limit */
	double *x;             /* the series (n values), owned */
	int is_hessian_ok;     /* the Hessian at the optimum inverts to non-negative variances */
	double *resid; /* standardized one-step residuals of the differenced series (n_used), owned
	                */
};

/* Fits one model to x[0..n) (copied). REBUY_EDATA when the series is too
 * short for the model or the fit fails (non-stationary AR part from CSS, a
 * likelihood that is not finite at the start); REBUY_EARG for orders out of
 * bounds; REBUY_ENOMEM. */
enum rebuy_status rebuy_arima_fit(const double *x, size_t n, const struct rebuy_arima_order *order,
                                  enum rebuy_arima_method method, struct rebuy_arima **out,
                                  struct rebuy_error *err);
void rebuy_arima_free(struct rebuy_arima *fit);

/* Automatic selection (Hyndman & Khandakar 2008, as R's forecast::auto.arima
 * with its defaults): d by repeated KPSS tests at 5 %, D by seasonal
 * strength > 0.64, then the stepwise search over p, q <= 5, P, Q <= 2 with
 * or without a constant, by AICc; with more than 150 observations or m > 12
 * the search ranks models by CSS and refits the best by exact ML. */
struct rebuy_arima_auto_options {
	int m;             /* seasonal period (1: non-seasonal) */
	int d, D;          /* -1: chosen by the tests (default) */
	int stepwise;      /* 1 (only stepwise is implemented) */
	int approximation; /* -1: n > 150 || m > 12 (default); 0 or 1 to force */
	int max_p, max_q, max_P, max_Q, max_d, max_D;
	int n_tried; /* out: models fitted by the search */
};
void rebuy_arima_auto_options_init(struct rebuy_arima_auto_options *opts);
enum rebuy_status rebuy_arima_auto(const double *x, size_t n, struct rebuy_arima_auto_options *opts,
                                   struct rebuy_arima **out, struct rebuy_error *err);

/* Forecasts h steps with central prediction intervals at level (0.8,
 * 0.95, ...): mean[h], lo[h], hi[h] (lo and hi may be NULL). The interval's
 * variance is sigma2 times the sum of the squared psi-weights of the
 * integrated model. */
enum rebuy_status rebuy_arima_forecast(const struct rebuy_arima *fit, size_t h, double level,
                                       double *mean, double *lo, double *hi,
                                       struct rebuy_error *err);

/* The KPSS level-stationarity statistic with `lags` Bartlett-weighted
 * autocovariances (Kwiatkowski et al. 1992); lags < 0: trunc(3 sqrt(n)/13). */
double rebuy_kpss_stat(const double *x, size_t n, int lags);
/* Regular differences by KPSS at 5 % (at most max_d). */
int rebuy_ndiffs(const double *x, size_t n, int max_d);
/* Seasonal strength of a classical decomposition, 0..1. */
double rebuy_seasonal_strength(const double *x, size_t n, int m);
/* Seasonal differences: 1 when the seasonal strength is above 0.64. */
int rebuy_nsdiffs(const double *x, size_t n, int m);
/* y[i] = x[i + lag] - x[i], i < n - lag; returns n - lag (0 when n <= lag). */
size_t rebuy_diff(const double *x, size_t n, int lag, double *y);

/* Seasonal naive: mean[i] = x[n - m + (i mod m)]; intervals from the
 * in-sample seasonal differences (sigma = their root mean square) with
 * sd_h = sigma sqrt(floor((h - 1)/m) + 1). m = 1 is the naive forecast. */
enum rebuy_status rebuy_snaive_forecast(const double *x, size_t n, int m, size_t h, double level,
                                        double *mean, double *lo, double *hi,
                                        struct rebuy_error *err);

/* Exponential smoothing, ETS(error, trend, season) (Hyndman, Koehler, Snyder
 * & Grose 2002; Hyndman, Koehler, Ord & Snyder 2008), as R's forecast::ets
 * with its defaults: maximum likelihood by Nelder-Mead, parameters inside
 * the usual and the admissible region ("both"), R's initial states. */
#define REBUY_ETS_MAX_PERIOD 24     /* a seasonal model's m; auto drops the season above it */
#define REBUY_ETS_MAX_HORIZON 10000 /* forecast steps (the variances are O(h^2)) */

enum rebuy_ets_kind {
	REBUY_ETS_N = 0, /* none (trend, season) */
	REBUY_ETS_A = 1, /* additive */
	REBUY_ETS_M = 2  /* multiplicative */
};

struct rebuy_ets_model {
	enum rebuy_ets_kind error;  /* A or M */
	enum rebuy_ets_kind trend;  /* N, A or M */
	enum rebuy_ets_kind season; /* N, A or M */
	int is_damped;              /* damped trend (needs a trend) */
	int m;                      /* seasonal period; 1 without a season */
};

/* A fitted model. Owns its memory. States are l, b (with a trend), then the
 * m seasonal values newest first (the last one is the season of the next
 * step). */
struct rebuy_ets {
	struct rebuy_ets_model model;
	double alpha, beta, gamma, phi; /* beta NaN without a trend, gamma NaN without a season,
	                                   phi 1 undamped; beta is the error-correction form's
	                                   (alpha times Holt's) */
	double init[2 + REBUY_ETS_MAX_PERIOD]; /* the initial states (n_states) */
	double last[2 + REBUY_ETS_MAX_PERIOD]; /* the states after the last value */
	int n_states;
	int n_par;             /* estimated: smoothing parameters and free initial states */
	double loglik;         /* R's: -n/2 log(sum e^2) (- sum log|yhat| for M errors) */
	double aic, aicc, bic; /* k = n_par + 1 */
	double sigma2;         /* sum e^2 / (n - n_par); e relative for M errors */
	size_t n;
	int is_converged; /* Nelder-Mead met its tolerance within 2,000 evaluations */
	int is_fallback;  /* too few values for ETS: Holt's or simple exponential smoothing
	                     by least squares (R's HoltWinters fallback); no likelihood */
	double *x;        /* the series (n values), owned */
	double *resid;    /* the one-step errors (n), relative for M errors, owned */
};

/* Fits one model to x[0..n) (copied). REBUY_EARG for a model R forbids
 * (A errors with an M trend or season, M trend with A season, a damped
 * model without a trend, a season with m < 2 or m > REBUY_ETS_MAX_PERIOD);
 * REBUY_EDATA for non-finite values, M parts with a value <= 0, fewer
 * values than the model needs (more than its parameters plus 4), or a fit
 * whose start is outside the admissible region; REBUY_ELIMIT past
 * REBUY_SERIES_MAX; REBUY_ENOMEM. */
enum rebuy_status rebuy_ets_fit(const double *x, size_t n, const struct rebuy_ets_model *model,
                                struct rebuy_ets **out, struct rebuy_error *err);
void rebuy_ets_free(struct rebuy_ets *fit);

/* Automatic selection by AICc over R's default models: errors A and M,
 * trends N, A, Ad (and M, Md when allow_multiplicative_trend), seasons N, A
 * and M when 1 < m <= 24 and n > m, none of R's forbidden combinations and
 * no M error on data with a value <= 0. A constant series gives simple
 * exponential smoothing with alpha 0.99999; with 6 values or fewer, Holt or
 * simple smoothing fitted by least squares. REBUY_EDATA for fewer than 3
 * values, non-finite values, or no model that fits. */
struct rebuy_ets_auto_options {
	int m;                          /* seasonal period (1: non-seasonal) */
	int allow_multiplicative_trend; /* 0 (default, as R) */
	int n_tried;                    /* out: models fitted */
};
void rebuy_ets_auto_options_init(struct rebuy_ets_auto_options *opts);
enum rebuy_status rebuy_ets_auto(const double *x, size_t n, struct rebuy_ets_auto_options *opts,
                                 struct rebuy_ets **out, struct rebuy_error *err);

/* Forecasts h steps with central prediction intervals at level (lo and hi
 * may be NULL). Means and variances in closed form for Hyndman et al.'s
 * classes 1 to 3 (all models but those with an M trend); for an M trend,
 * the point forecast and the quantiles of 5,000 simulated paths (fixed
 * seed: the same numbers every run). */
enum rebuy_status rebuy_ets_forecast(const struct rebuy_ets *fit, size_t h, double level,
                                     double *mean, double *lo, double *hi, struct rebuy_error *err);

/* R's name of the model: "ETS(M,Ad,M)". */
void rebuy_ets_name(const struct rebuy_ets_model *model, char *buf, size_t size);

/* Accuracy of a forecast f of the actuals y (h values), scaled for MASE by
 * the in-sample mean absolute seasonal difference of x (n values, lag m).
 * sMAPE and MAPE in percent; NaN where undefined. */
struct rebuy_accuracy {
	double smape, mape, mase;
};
void rebuy_forecast_accuracy(const double *x, size_t n, int m, const double *y, const double *f,
                             size_t h, struct rebuy_accuracy *out);

/* A series read from a table (a date or label column and a value column):
 * values in row order; labels borrowed from the table (valid while it
 * lives). */
struct rebuy_table;
struct rebuy_series {
	size_t n;
	double *values;                  /* owned */
	const struct rebuy_table *table; /* borrowed: the labels */
	int label_col;                   /* -1: none */
	int value_col;
};
/* Reads the series of table: the value column is value_ref (a header name
 * or a 1-based number) or, when NULL, the last column; the label column is
 * the first when there are two or more. Every value must be a finite
 * number: the first that is not is REBUY_EDATA "path:line: ...". Also
 * REBUY_EARG for an unknown column, REBUY_ELIMIT past REBUY_SERIES_MAX rows,
 * REBUY_ENOMEM. */
enum rebuy_status rebuy_series_read(const struct rebuy_table *table, const char *value_ref,
                                    struct rebuy_series **out, struct rebuy_error *err);
/* The label of value i ("" without a label column). */
const char *rebuy_series_label(const struct rebuy_series *s, size_t i);
void rebuy_series_free(struct rebuy_series *s);

/* The customer-lifetime forecast of purchases per future period. Period k
 * (0-based) runs from t_start[k] to t_end[k] time units (of the data's unit)
 * after the calibration end d->cal_end; the periods follow each other.
 * base[k]: expected repeat purchases of the customers in d (rebuy_clv_
 * expected_purchases summed with the weights, differenced between period
 * ends). new_customers (may be NULL): customers acquired in each period,
 * counted at the period's midpoint; fresh[k] gets their first purchases in
 * period k plus the expected repeat purchases (rebuy_clv_expected_new) of
 * every new cohort so far. REBUY_EARG for a model that has no expected
 * purchases (sbg) or periods out of order. */
struct rebuy_clv_fit;
struct rebuy_clv_data;
enum rebuy_status rebuy_clv_forecast(const struct rebuy_clv_fit *fit,
                                     const struct rebuy_clv_data *d, const double *t_start,
                                     const double *t_end, size_t h, const double *new_customers,
                                     double *base, double *fresh, struct rebuy_error *err);

/* Prediction intervals for base + fresh of rebuy_clv_forecast, by
 * simulating n_paths futures (100 to 100000) of every customer in d from
 * the model's posterior: alive with probability P(alive | x, t_x, T); if
 * alive, rates from their distribution given the history and survival
 * (BG/NBD: lambda ~ Gamma(r + x, alpha + T), p ~ Beta(a, b + x); MBG/NBD:
 * p ~ Beta(a, b + x + 1); Pareto/NBD: lambda as BG/NBD, mu ~ Gamma(s,
 * beta + T)), then purchases by the model's process (a Poisson stream,
 * with a dropout chance after each purchase, or an exponential lifetime).
 * New customers, when given, are drawn per period from a normal with mean
 * new_customers[k] and sd new_sd[k] (the new-customer forecast's own
 * distribution, so that the paths stay centred on it) and add their first
 * and expected repeat purchases as in rebuy_clv_forecast; a path below 0
 * counts as 0. lo[k], hi[k]: the central `level` interval of the paths
 * (quantiles of type 7); sim_mean (may be NULL): the paths' mean before
 * that cut, which estimates base + fresh. A large base (rows x n_paths
 * over 20 million) is not simulated whole: its total is taken as normal,
 * with the closed-form mean and the sum of the customers' variances
 * estimated from 200 futures of each of 20,000 rows drawn at random, and
 * the new customers' normal added; lo is then cut at 0 and sim_mean is
 * that mean: center[k] (base + fresh as rebuy_clv_forecast gave them)
 * when the caller has it, else computed (center may be NULL). Parameter
 * uncertainty is not included. Deterministic for a seed. Errors as
 * rebuy_clv_forecast, REBUY_EARG for a level outside (0, 1) or n_paths out
 * of range, REBUY_ENOMEM. */
enum rebuy_status rebuy_clv_forecast_interval(const struct rebuy_clv_fit *fit,
                                              const struct rebuy_clv_data *d, const double *t_start,
                                              const double *t_end, size_t h,
                                              const double *new_customers, const double *new_sd,
                                              const double *center, double level, unsigned n_paths,
                                              uint64_t seed, double *lo, double *hi,
                                              double *sim_mean, struct rebuy_error *err);

/* The lifetime model's forecast of orders (purchase days) in the h periods
 * after the first n periods of sum, which was made from orders: the model
 * (REBUY_CLV_BGNBD, MBGNBD or PNBD) fitted to the customers as they stood
 * at the end of period n and their expected purchases, plus new customers
 * forecast by automatic ARIMA
 * (season m, 1 for none) on the summary's new-customer series, each with
 * its first and expected repeat purchases (rebuy_clv_forecast). With lo and
 * hi (both or neither), the central `level` prediction interval of
 * rebuy_clv_forecast_interval, seed 1, 100 to 1000 paths (about ten million
 * customer futures in all). n_threads: the fit's (0: all CPUs; the result
 * does not depend on it). REBUY_EARG for n outside 1..sum->n_periods,
 * h = 0, a bad level or another model; the fit's and the ARIMA's errors. */
struct rebuy_orders;
struct rebuy_summary;
enum rebuy_status rebuy_clv_orders_forecast(const struct rebuy_orders *orders,
                                            const struct rebuy_summary *sum, size_t n, size_t h,
                                            int m, enum rebuy_clv_model model, double level,
                                            unsigned n_threads, double *mean, double *lo,
                                            double *hi, struct rebuy_error *err);

#ifdef __cplusplus
}
#endif
#endif
