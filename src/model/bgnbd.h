/* BG/NBD (Fader, Hardie & Lee 2005) and MBG/NBD (Batislam, Denizel &
 * Filiztekin 2007): per-customer closed forms, and the models the fit uses
 * (rebuy__model_bgnbd, rebuy__model_mbgnbd in clv_int.h).
 *
 * p = {r, alpha, a, b}, all > 0; x = repeat purchases, t_x = time of the
 * last one from the first purchase (0 when x = 0), T = time from the first
 * purchase to the end of calibration, t = a horizon, all in the fit's time
 * unit. The functions are pure and safe to call from several threads. They
 * return NaN when a value cannot be computed (parameters <= 0 or not finite,
 * t < 0, or a series that would need more than 2^24 terms), never a guess.
 */
#ifndef REBUY_MODEL_BGNBD_H
#define REBUY_MODEL_BGNBD_H

/* Log-likelihood of one customer (the log of a density in t_x). */
double rebuy__bgnbd_ll(const double *p, double x, double t_x, double T);
/* log P(alive at T | x, t_x, T); finite where P itself underflows. */
double rebuy__bgnbd_log_palive(const double *p, double x, double t_x, double T);
/* E[purchases in (T, T + t] | x, t_x, T]. */
double rebuy__bgnbd_cet(const double *p, double x, double t_x, double T, double t);
/* The same for a customer alive at T: it depends on x and T only, and
 * cet = exp(log_palive) * cet_alive, bit for bit. */
double rebuy__bgnbd_cet_alive(const double *p, double x, double T, double t);
/* E[X(t)]: expected repeat purchases of a new customer in (0, t]. */
double rebuy__bgnbd_expected(const double *p, double t);
/* P(X(t) = n) for a new customer; 0 for n < 0. */
double rebuy__bgnbd_pmf(const double *p, double t, int n);
/* P(n purchases in (T, T + t] | x, t_x, T); 0 for n < 0. */
double rebuy__bgnbd_cond_pmf(const double *p, double x, double t_x, double T, double t, int n);

/* The same for MBG/NBD, where a customer may also drop out right at the
 * first purchase, so x = 0 no longer means alive. */
double rebuy__mbgnbd_ll(const double *p, double x, double t_x, double T);
double rebuy__mbgnbd_log_palive(const double *p, double x, double t_x, double T);
double rebuy__mbgnbd_cet(const double *p, double x, double t_x, double T, double t);
double rebuy__mbgnbd_cet_alive(const double *p, double x, double T, double t);
double rebuy__mbgnbd_expected(const double *p, double t);
double rebuy__mbgnbd_pmf(const double *p, double t, int n);
double rebuy__mbgnbd_cond_pmf(const double *p, double x, double t_x, double T, double t, int n);

#endif
