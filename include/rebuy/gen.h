/* rebuy — synthetic orders from a known model.
 *
 * Customers are acquired uniformly over an acquisition window; each buys at
 * acquisition (time 0 of its own clock) and then repeatedly as a Poisson
 * process with rate lambda ~ Gamma(r, alpha) while alive. Dropout follows
 * Pareto/NBD (lifetime ~ Exp(mu), mu ~ Gamma(s, beta); Schmittlein, Morrison
 * & Colombo 1987) or BG/NBD (after each repeat purchase the customer leaves
 * with probability p ~ Beta(a, b); Fader, Hardie & Lee 2005). Each order's
 * amount follows Gamma-Gamma spend (Fader, Hardie & Lee 2005 note): nu ~
 * Gamma(q, gamma) per customer, amount ~ Gamma(p, nu), rounded to cents.
 * Gamma(shape, rate) throughout; rates are per week.
 *
 * Orders come out in time order with customers interleaved, as shops export
 * them. The stream is a pure function of the parameters: the same seed gives
 * the same orders, byte for byte, on every machine. Each customer draws from
 * its own random stream, so a customer's history does not change when the
 * number of customers or the horizon changes.
 *
 * Memory is O(customers): a heap of each live customer's next purchase.
 *
 * A campaign (optional, has_campaign): every customer whose first purchase
 * comes before the send day D (00:00 of D) is in the campaign, and is in the
 * treatment group with probability campaign_share (an independent draw per
 * customer), else in the control group. During the window [D, D +
 * campaign_window_days) a treated customer who is still alive buys at rate
 * lambda (1 + effect) instead of lambda, and nothing else changes (the
 * lifetime and the purchases outside the window are the same):
 *   effect > 0: the customer's own purchases plus extra ones, a Poisson
 *     process of rate lambda * effect (the superposition of two Poisson
 *     processes is one of the summed rate), each with a Gamma-Gamma amount;
 *   effect < 0: each of the customer's purchases in the window is kept with
 *     probability 1 + effect (thinning, which leaves a Poisson process of
 *     rate lambda (1 + effect)).
 * Extras and thinning draw from a second random stream of each customer, so
 * a customer's purchases without the campaign are exactly the purchases the
 * generator makes with effect 0 (which are the purchases it makes with no
 * campaign at all). Both outcomes are drawn for every customer in the
 * campaign, treated or not, from the same draws: the true effect on them is
 * then known exactly (rebuy_gen_campaign_truth), not only its expectation.
 * "Alive" is Pareto/NBD's lifetime, or, for BG/NBD, until the purchase
 * after which the customer left; extras never end a lifetime.
 */
#ifndef REBUY_GEN_H
#define REBUY_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum rebuy_gen_model { REBUY_GEN_PNBD, REBUY_GEN_BGNBD };

struct rebuy_gen_params {
	enum rebuy_gen_model model;
	uint64_t n_customers;     /* 1 .. 2^32 - 2 */
	double r, alpha;          /* purchase rate: lambda ~ Gamma(r, alpha), per week */
	double s, beta;           /* Pareto/NBD dropout: mu ~ Gamma(s, beta), per week */
	double a, b;              /* BG/NBD dropout: p ~ Beta(a, b) */
	double p, q, gamma;       /* Gamma-Gamma spend */
	int64_t start_day;        /* day number of the first possible purchase (years 1-9999) */
	double acquisition_weeks; /* first purchases uniform over [start, start + this) */
	double weeks;             /* purchases happen in [start, start + weeks); <= 5200 */
	uint64_t seed;
	/* The campaign (see above); off when has_campaign is 0. */
	int has_campaign;
	int64_t campaign_day;         /* the send day: start_day < D < start_day + weeks * 7 */
	double campaign_share;        /* P(treatment), strictly between 0 and 1 */
	double campaign_effect;       /* -1 .. 1000: the window's rate is lambda (1 + effect) */
	int64_t campaign_window_days; /* 1 .. 3650 */
	/* Yearly seasonality of repeat purchases, 0 <= A < 1 (0: none): the
	 * purchase rate is lambda (1 + A cos(2 pi (day - 15 December) / 365.2425)). */
	double seasonality;
};

/* Defaults: Pareto/NBD and Gamma-Gamma at the CDNOW estimates (r 0.55,
 * alpha 10.58, s 0.61, beta 11.67; BG/NBD a 0.79, b 2.43; p 6.25, q 3.74,
 * gamma 15.44), 10,000 customers acquired over 12 weeks from 2024-01-01,
 * 78 weeks observed, seed 1; no campaign (when one is turned on: share
 * 0.5, effect 0, a 30-day window). */
void rebuy_gen_params_init(struct rebuy_gen_params *params);

/* Checks every parameter; REBUY_EARG with a message naming the bad one. */
enum rebuy_status rebuy_gen_params_check(const struct rebuy_gen_params *params,
                                         struct rebuy_error *err);

struct rebuy_gen_order {
	uint64_t customer; /* 1 .. n_customers */
	uint64_t order;    /* 1, 2, ... in output order */
	int64_t ts;        /* seconds since the epoch, whole seconds */
	int64_t amount;    /* 1/10,000 units, a whole number of cents, > 0 (a draw
	                    * under half a cent sells for a cent; 10^9 currency units at most) */
};

/* What each customer was drawn with, for tests that recover parameters. */
struct rebuy_gen_truth {
	int64_t birth_ts; /* first purchase */
	double lambda;    /* purchase rate per week */
	double mu;        /* Pareto/NBD dropout rate per week (0 for BG/NBD) */
	double p;         /* BG/NBD dropout probability (0 for Pareto/NBD) */
	double nu;        /* spend scale: mean amount p / nu */
};

struct rebuy_gen;

/* A generator over the parameters (copied). NULL with err filled on bad
 * parameters (REBUY_EARG) or memory (REBUY_ENOMEM). */
struct rebuy_gen *rebuy_gen_new(const struct rebuy_gen_params *params, struct rebuy_error *err);

/* The next order in time order (ties broken by customer, then by the
 * customer's own sequence). Returns 1 and fills *out, or 0 at the end. */
int rebuy_gen_next(struct rebuy_gen *g, struct rebuy_gen_order *out);

/* The draws of customer c (1-based); NULL when c is out of range. The
 * pointer is borrowed and valid until rebuy_gen_free. Each call redraws the
 * customer into that slot (same values every time), so calls on one
 * generator must not overlap across threads. */
const struct rebuy_gen_truth *rebuy_gen_customer(const struct rebuy_gen *g, uint64_t c);

/* The campaign group of customer c (1-based): 1 treatment, 0 control, -1
 * not in the campaign (acquired on or after the send day, out of range, or
 * no campaign). */
int rebuy_gen_campaign_group(const struct rebuy_gen *g, uint64_t c);

/* What the campaign truly did, over the customers in it. For each group
 * ([0] control, [1] treatment) and each outcome ([0] without the campaign,
 * [1] with it), sums over the group's customers of what they did in their
 * window (purchases before the horizon only, as the data shows them). The
 * treatment group's outcome [1] and the control group's outcome [0] are
 * the ones in the orders; the other two are the counterfactuals. */
struct rebuy_gen_campaign_truth {
	uint64_t customers[2];
	uint64_t converted[2][2]; /* customers with at least one purchase in the window */
	uint64_t orders[2][2];
	int64_t revenue[2][2]; /* 1/10,000 units */
	/* The true average effects, with - without: over every customer in the
	 * campaign (ate_*, the sample average treatment effect that the
	 * difference of the groups' means estimates) and over the treated
	 * (att_*). Conversion as a fraction, orders and revenue (currency
	 * units) per customer. */
	double ate_conversion, att_conversion;
	double ate_orders, att_orders;
	double ate_revenue, att_revenue;
	int64_t incremental_revenue; /* treated: with - without, 1/10,000 units */
};

/* Fills *out once the stream has ended (rebuy_gen_next returned 0).
 * REBUY_EARG without a campaign or before the end; REBUY_ELIMIT when a
 * revenue sum went beyond int64. */
enum rebuy_status rebuy_gen_campaign_truth(const struct rebuy_gen *g,
                                           struct rebuy_gen_campaign_truth *out,
                                           struct rebuy_error *err);

void rebuy_gen_free(struct rebuy_gen *g);

#ifdef __cplusplus
}
#endif
#endif
