/* Random draws. xoshiro256** and SplitMix64 after Blackman & Vigna 2018;
 * normals by the ziggurat of Marsaglia & Tsang 2000 (JSS 5(8); 256 layers,
 * layer, sign and abscissa from disjoint bits as Doornik 2005 advises; the
 * tail by Marsaglia 1964); Gamma by Marsaglia & Tsang 2000 (ACM TOMS 26(3)),
 * with Gamma(a) = Gamma(a + 1) * U^(1/a) for a < 1; Beta as X / (X + Y).
 */
#include "core/rng.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

uint64_t rebuy__splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void seed_from(struct rebuy__rng *r, uint64_t state)
{
	/* Four outputs of consecutive SplitMix64 states are distinct (its
	 * output function is a bijection), so at most one is zero and the
	 * xoshiro state is never all zero. */
	for (int i = 0; i < 4; i++)
		r->s[i] = rebuy__splitmix64(&state);
}

void rebuy__rng_seed(struct rebuy__rng *r, uint64_t seed)
{
	seed_from(r, seed);
}

void rebuy__rng_seed_stream(struct rebuy__rng *r, uint64_t seed, uint64_t stream)
{
	/* The seed is scrambled first, so that (seed, stream) and
	 * (seed + 1, stream - 1) land far apart; multiplying by an odd
	 * constant keeps distinct streams distinct. */
	uint64_t st = seed;
	uint64_t mixed = rebuy__splitmix64(&st) ^ (stream * 0xd1b54a32d192ed03u);
	seed_from(r, mixed);
}

/* The ziggurat: 256 layers of equal area ZIG_V under f(x) = exp(-x^2 / 2),
 * the base layer (0) holding the tail beyond ZIG_R. Layer i spans abscissas
 * [0, zig_x[i]) and ordinates [zig_f[i], zig_f[i + 1]); zig_x decreases to
 * zig_x[256] = 0. ZIG_R and ZIG_V are Marsaglia & Tsang's for 256 layers. */
#define ZIG_LAYERS 256
#define ZIG_R 3.6541528853610088
#define ZIG_V 4.92867323399e-3

static double zig_x[ZIG_LAYERS + 1], zig_f[ZIG_LAYERS + 1];
static pthread_once_t zig_once = PTHREAD_ONCE_INIT;
static atomic_int zig_ready;

static double zig_density(double x)
{
	return exp(-0.5 * x * x);
}

static void zig_build(void)
{
	zig_x[0] = ZIG_V / zig_density(ZIG_R); /* the base with its tail */
	zig_x[1] = ZIG_R;
	for (int i = 1; i < ZIG_LAYERS - 1; i++)
		zig_x[i + 1] = sqrt(-2.0 * log(ZIG_V / zig_x[i] + zig_density(zig_x[i])));
	zig_x[ZIG_LAYERS] = 0.0;
	for (int i = 0; i <= ZIG_LAYERS; i++)
		zig_f[i] = zig_density(zig_x[i]);
	atomic_store_explicit(&zig_ready, 1, memory_order_release);
}

/* Beyond ZIG_R: Marsaglia's tail method, R + a where a ~ Exp(R) is kept
 * with probability exp(-a^2 / 2). */
static double zig_tail(struct rebuy__rng *r)
{
	double a, b;
	do {
		a = -log(rebuy__rng_uniform(r)) / ZIG_R;
		b = -log(rebuy__rng_uniform(r));
	} while (b + b < a * a);
	return ZIG_R + a;
}

double rebuy__rng_normal(struct rebuy__rng *r)
{
	if (!atomic_load_explicit(&zig_ready, memory_order_acquire))
		pthread_once(&zig_once, zig_build);
	for (;;) {
		uint64_t bits = rebuy__rng_next(r);
		unsigned i = (unsigned)(bits & 0xff);
		double sign = bits & 0x100 ? -1.0 : 1.0;
		double x = (double)(bits >> 11) * 0x1.0p-53 * zig_x[i];
		if (x < zig_x[i + 1]) /* inside the layer's full-width part (99%) */
			return sign * x;
		if (i == 0)
			return sign * zig_tail(r);
		double y = zig_f[i] + rebuy__rng_uniform(r) * (zig_f[i + 1] - zig_f[i]);
		if (y < zig_density(x))
			return sign * x;
	}
}

double rebuy__rng_exp(struct rebuy__rng *r, double rate)
{
	double e = -log(rebuy__rng_uniform(r));
	return rate > 0 ? e / rate : INFINITY;
}

void rebuy__gamma_shape_init(struct rebuy__gamma_shape *gs, double shape)
{
	gs->is_boosted = shape < 1.0;
	gs->d = (gs->is_boosted ? shape + 1.0 : shape) - 1.0 / 3.0;
	gs->c = 1.0 / sqrt(9.0 * gs->d);
	gs->inv_shape = 1.0 / shape;
}

/* Marsaglia & Tsang: Gamma(d + 1/3, 1) as d * v, v = (1 + c x)^3, x normal,
 * accepted by a squeeze and then by the log test. */
static double std_gamma_mt(struct rebuy__rng *r, double d, double c)
{
	for (;;) {
		double x, v;
		do {
			x = rebuy__rng_normal(r);
			v = 1.0 + c * x;
		} while (v <= 0.0);
		v = v * v * v;
		double u = rebuy__rng_uniform(r);
		double x2 = x * x;
		if (u < 1.0 - 0.0331 * x2 * x2)
			return d * v;
		if (log(u) < 0.5 * x2 + d * (1.0 - v + log(v)))
			return d * v;
	}
}

double rebuy__rng_gamma_std(struct rebuy__rng *r, const struct rebuy__gamma_shape *gs)
{
	double g = std_gamma_mt(r, gs->d, gs->c);
	if (gs->is_boosted) /* U^(1/shape), as exp and log: faster than pow */
		g *= exp(log(rebuy__rng_uniform(r)) * gs->inv_shape);
	return g;
}

double rebuy__rng_gamma(struct rebuy__rng *r, double shape, double rate)
{
	struct rebuy__gamma_shape gs;
	rebuy__gamma_shape_init(&gs, shape);
	return rebuy__rng_gamma_std(r, &gs) / rate;
}

/* log of a Gamma(shape, 1) draw; the same draws as rebuy__rng_gamma, but
 * the shape < 1 boost stays finite where U^(1/shape) would underflow. */
static double log_std_gamma(struct rebuy__rng *r, double shape)
{
	struct rebuy__gamma_shape gs;
	rebuy__gamma_shape_init(&gs, shape);
	double lg = log(std_gamma_mt(r, gs.d, gs.c));
	if (gs.is_boosted)
		lg += log(rebuy__rng_uniform(r)) * gs.inv_shape;
	return lg;
}

double rebuy__rng_beta(struct rebuy__rng *r, double a, double b)
{
	double lx = log_std_gamma(r, a);
	double ly = log_std_gamma(r, b);
	/* X / (X + Y) = 1 / (1 + Y/X); exp overflows to inf (giving 0) or
	 * underflows to 0 (giving 1) instead of dividing 0 by 0. */
	return 1.0 / (1.0 + exp(ly - lx));
}
