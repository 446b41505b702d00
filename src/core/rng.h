/* Random numbers: xoshiro256** (Blackman & Vigna 2018, "Scrambled linear
 * pseudorandom number generators") seeded through SplitMix64 (Steele, Lea &
 * Flood 2014), with the draws the models need. Every draw is a pure function
 * of the state, so a seed reproduces a stream on every machine whose libm
 * gives the same log/exp (glibc does). State is 32 bytes and is never all
 * zero. Not for cryptography. Thread-safe per state.
 */
#ifndef REBUY_CORE_RNG_H
#define REBUY_CORE_RNG_H

#include <stdint.h>

struct rebuy__rng {
	uint64_t s[4];
};

/* One SplitMix64 step: advances *state and returns the next output. */
uint64_t rebuy__splitmix64(uint64_t *state);

/* Seeds from one 64-bit value (four SplitMix64 outputs). */
void rebuy__rng_seed(struct rebuy__rng *r, uint64_t seed);

/* Seeds stream `stream` of `seed`: streams of one seed, and equal streams of
 * different seeds, start from unrelated states (one per customer, say). */
void rebuy__rng_seed_stream(struct rebuy__rng *r, uint64_t seed, uint64_t stream);

/* The next 64 raw bits. */
static inline uint64_t rebuy__rng_next(struct rebuy__rng *r)
{
	uint64_t *s = r->s;
	uint64_t x = s[1] * 5;
	uint64_t result = ((x << 7) | (x >> 57)) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = (s[3] << 45) | (s[3] >> 19);
	return result;
}

/* 64 random bits to a double in (0, 1): the top 52 bits k give
 * (2k + 1) / 2^53, the centre of one of 2^52 equal cells, so the result lies
 * in [2^-53, 1 - 2^-53] and log() of it is finite. (k + 0.5) * 2^-53 from 53
 * bits would not do: 2^53 - 0.5 rounds to 2^53, giving exactly 1.) */
static inline double rebuy__rng_u01_from_bits(uint64_t bits)
{
	return (double)((bits >> 11) | 1) * 0x1.0p-53;
}

/* Uniform in (0, 1), never exactly 0 or 1. */
static inline double rebuy__rng_uniform(struct rebuy__rng *r)
{
	return rebuy__rng_u01_from_bits(rebuy__rng_next(r));
}

/* Standard normal (a 256-layer ziggurat; one 64-bit draw 99% of the time).
 * Its tables are built once, on first use, thread-safely. */
double rebuy__rng_normal(struct rebuy__rng *r);

/* Exponential with the given rate (mean 1/rate); +inf when rate is 0. */
double rebuy__rng_exp(struct rebuy__rng *r, double rate);

/* Gamma(shape, rate): mean shape/rate, variance shape/rate^2. shape > 0,
 * rate > 0. May underflow to 0 for tiny shapes. */
double rebuy__rng_gamma(struct rebuy__rng *r, double shape, double rate);

/* The same draws with the per-shape constants worked out once, for many
 * draws of one shape: rebuy__rng_gamma_std(r, &gs) / rate equals
 * rebuy__rng_gamma(r, shape, rate) bit for bit. */
struct rebuy__gamma_shape {
	double d, c;      /* Marsaglia & Tsang's d = a - 1/3 and 1 / sqrt(9 d) */
	double inv_shape; /* 1 / shape, for the boost of shapes below 1 */
	int is_boosted;   /* shape < 1: draw Gamma(shape + 1) * U^(1/shape) */
};
void rebuy__gamma_shape_init(struct rebuy__gamma_shape *gs, double shape);
/* Gamma(shape, 1). */
double rebuy__rng_gamma_std(struct rebuy__rng *r, const struct rebuy__gamma_shape *gs);

/* Beta(a, b), a, b > 0, from two Gammas taken in log space so that tiny
 * shapes give 0 or 1 rather than 0/0. Result in [0, 1]. */
double rebuy__rng_beta(struct rebuy__rng *r, double a, double b);

#endif
