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
};

/* Defaults: Pareto/NBD and Gamma-Gamma at the CDNOW estimates (r 0.55,
 * alpha 10.58, s 0.61, beta 11.67; BG/NBD a 0.79, b 2.43; p 6.25, q 3.74,
 * gamma 15.44), 10,000 customers acquired over 12 weeks from 2024-01-01,
 * 78 weeks observed, seed 1. */
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

void rebuy_gen_free(struct rebuy_gen *g);

#ifdef __cplusplus
}
#endif
#endif
