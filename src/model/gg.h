/* The Gamma-Gamma model of spend per transaction (Colombo & Jiang 1999;
 * Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves for
 * customer base analysis"; Fader & Hardie, "The Gamma-Gamma model of
 * monetary value", 2013 note). Params p = {p, q, gamma}, all > 0: a
 * customer's transaction values are Gamma(p, nu), and nu ~ Gamma(q, gamma)
 * across customers. A customer is seen through x > 0 repeat transactions and
 * their mean value mean > 0. Every function is pure and thread-safe and
 * returns NaN for parameters that are not finite and > 0 or for x, mean
 * outside their ranges.
 */
#ifndef REBUY_MODEL_GG_H
#define REBUY_MODEL_GG_H

#include "model/clv_int.h"

/* log f(mean | p, q, gamma; x), the density of the mean of x values:
 *   Gamma(px + q) / (Gamma(px) Gamma(q)) gamma^q x^(px) mean^(px - 1)
 *   / (gamma + x mean)^(px + q).
 * x > 0 (need not be an integer), mean > 0. */
double rebuy__gg_ll(const double *p, double x, double mean);

/* E[value | x, mean] = p (gamma + x mean) / (p x + q - 1): a weighted
 * average of the population mean and the customer's own mean. x >= 0; at x
 * = 0 mean is ignored and this is the population mean. +inf when p x + q <=
 * 1, where the expectation diverges. */
double rebuy__gg_expected_spend(const double *p, double x, double mean);

/* E[value] for a new customer, p gamma / (q - 1); +inf when q <= 1 (the
 * mean of 1 / nu does not exist). */
double rebuy__gg_population_mean(const double *p);

#endif
