/* The attribution models over journeys (include/rebuy/attrib.h, where each
 * is defined; docs/attribute.md). The heuristic models split every
 * journey's conversions c and value v among its touches; the Markov model
 * builds the transition counts in the same pass and solves the chain
 * (markov.c). One pass over the touches, O(k^2) memory for k channels.
 */
#include <math.h>
#include <string.h>

#include "attrib/attrib_int.h"
#include "core/mem.h"

void rebuy_attrib_options_init(struct rebuy_attrib_options *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->position_first = REBUY_ATTRIB_DEFAULT_FIRST;
	opts->position_last = REBUY_ATTRIB_DEFAULT_LAST;
	opts->half_life_days = REBUY_ATTRIB_DEFAULT_HALF_LIFE_DAYS;
	opts->half_life_touches = 0;
}

void rebuy_attrib_free(struct rebuy_attrib *a)
{
	if (!a)
		return;
	rebuy__free(a->channels);
	rebuy__free(a);
}

static enum rebuy_status check_options(const struct rebuy_attrib_options *o,
                                       struct rebuy_error *err)
{
	double f = o->position_first, l = o->position_last;
	if (!(f >= 0 && l >= 0 && f + l <= 1 + 1e-12))
		return rebuy_error_set(err, REBUY_EARG,
		                       "--position-weights: first %g and last %g must be >= 0 and "
		                       "sum to at most 1 (the middle gets the rest)",
		                       f, l);
	if (!(o->half_life_days > 0 && isfinite(o->half_life_days)))
		return rebuy_error_set(err, REBUY_EARG,
		                       "--half-life: %g is not a number of days > 0",
		                       o->half_life_days);
	if (!(o->half_life_touches >= 0 && isfinite(o->half_life_touches)))
		return rebuy_error_set(err, REBUY_EARG,
		                       "--half-life-touches: %g is not a number > 0",
		                       o->half_life_touches);
	return REBUY_OK;
}

/* Credits w of the journey's c and v to channel ch under model m. */
static inline void credit(struct rebuy_attrib_channel *ch, int m, double w, double c, double v)
{
	ch->conversions[m] += w * c;
	ch->value[m] += w * v;
}

/* The heuristic models for one converting journey. wbuf holds len doubles. */
static void heuristics(struct rebuy_attrib *a, const struct rebuy__attrib_journey *jr,
                       const uint32_t *touch, const double *age, double half_life, double *wbuf)
{
	struct rebuy_attrib_channel *ch = a->channels;
	double c = jr->conversions, v = jr->value;
	uint32_t n = jr->len;
	credit(&ch[touch[0]], REBUY_ATTRIB_FIRST_TOUCH, 1, c, v);
	credit(&ch[touch[n - 1]], REBUY_ATTRIB_LAST_TOUCH, 1, c, v);
	double lin = 1.0 / n;
	for (uint32_t i = 0; i < n; i++)
		credit(&ch[touch[i]], REBUY_ATTRIB_LINEAR, lin, c, v);
	/* position: U-shaped */
	double f = a->opts.position_first, l = a->opts.position_last;
	if (n == 1) {
		credit(&ch[touch[0]], REBUY_ATTRIB_POSITION, 1, c, v);
	} else if (n == 2) {
		double wf = f + l > 0 ? f / (f + l) : 0.5;
		credit(&ch[touch[0]], REBUY_ATTRIB_POSITION, wf, c, v);
		credit(&ch[touch[1]], REBUY_ATTRIB_POSITION, 1 - wf, c, v);
	} else {
		double mid = fmax(0.0, 1 - f - l) / (n - 2);
		credit(&ch[touch[0]], REBUY_ATTRIB_POSITION, f, c, v);
		for (uint32_t i = 1; i + 1 < n; i++)
			credit(&ch[touch[i]], REBUY_ATTRIB_POSITION, mid, c, v);
		credit(&ch[touch[n - 1]], REBUY_ATTRIB_POSITION, l, c, v);
	}
	/* time decay: 2^(-age / H), ages taken from the youngest touch so that
	 * its weight is 1 and the sum never underflows */
	double youngest = INFINITY;
	for (uint32_t i = 0; i < n; i++) {
		wbuf[i] = age ? age[i] : (double)(n - 1 - i);
		youngest = fmin(youngest, wbuf[i]);
	}
	double sum = 0;
	for (uint32_t i = 0; i < n; i++) {
		wbuf[i] = exp2(-(wbuf[i] - youngest) / half_life);
		sum += wbuf[i];
	}
	for (uint32_t i = 0; i < n; i++)
		credit(&ch[touch[i]], REBUY_ATTRIB_TIME_DECAY, wbuf[i] / sum, c, v);
}

/* Adds the journey's transitions (weight c + n) to the counts T. */
static void transitions(double *T, size_t k, const struct rebuy__attrib_journey *jr,
                        const uint32_t *touch)
{
	size_t w = k + 3;
	double weight = jr->conversions + jr->nulls;
	if (!(weight > 0))
		return;
	size_t from = 0;
	for (uint32_t i = 0; i < jr->len; i++) {
		size_t to = (size_t)touch[i] + 1;
		T[from * w + to] += weight;
		from = to;
	}
	T[from * w + k + 1] += jr->conversions;
	T[from * w + k + 2] += jr->nulls;
}

enum rebuy_status rebuy_attrib_compute(const struct rebuy_attrib_journeys *j,
                                       const struct rebuy_attrib_options *opts,
                                       struct rebuy_attrib **out, struct rebuy_error *err)
{
	*out = NULL;
	struct rebuy_attrib_options defaults;
	if (!opts) {
		rebuy_attrib_options_init(&defaults);
		opts = &defaults;
	}
	enum rebuy_status st = check_options(opts, err);
	if (st)
		return st;
	size_t k = j->n_channels;
	const struct rebuy__attrib_priv *p = j->priv;
	struct rebuy_attrib *a = rebuy__calloc(1, sizeof *a);
	double *T = NULL, *re = NULL, *wbuf = NULL;
	uint32_t max_len = 1;
	for (size_t i = 0; i < j->n_journeys; i++)
		if (p->jr[i].len > max_len)
			max_len = p->jr[i].len;
	if (!a || !(a->channels = rebuy__calloc(k ? k : 1, sizeof *a->channels)) ||
	    !(T = rebuy__calloc((k + 1) * (k + 3), sizeof *T)) ||
	    !(re = rebuy__calloc(k ? k : 1, sizeof *re)) ||
	    !(wbuf = rebuy__calloc(max_len, sizeof *wbuf))) {
		st = rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
		goto out;
	}
	a->journeys = j;
	a->opts = *opts;
	a->n_channels = k;
	a->decay_by_touches = !j->from_touchpoints || opts->half_life_touches > 0;
	double half_life = a->decay_by_touches ? (opts->half_life_touches > 0
	                                                  ? opts->half_life_touches
	                                                  : REBUY_ATTRIB_DEFAULT_HALF_LIFE_TOUCHES)
	                                       : opts->half_life_days;
	a->opts.half_life_touches = a->decay_by_touches ? half_life : 0;
	for (size_t c = 0; c < k; c++)
		a->channels[c].name = rebuy_attrib_channel_name(j, c);
	for (size_t i = 0; i < j->n_journeys; i++) {
		const struct rebuy__attrib_journey *jr = &p->jr[i];
		const uint32_t *touch = p->touch + jr->start;
		for (uint32_t t = 0; t < jr->len; t++) {
			a->channels[touch[t]].touches++;
			if (jr->conversions > 0)
				a->channels[touch[t]].converting_touches++;
		}
		if (jr->conversions > 0 || jr->value > 0)
			heuristics(a, jr, touch,
			           a->decay_by_touches || !p->age ? NULL : p->age + jr->start,
			           half_life, wbuf);
		transitions(T, k, jr, touch);
	}
	if (p->cost)
		for (size_t c = 0; c < k; c++)
			a->channels[c].cost = p->cost[c];
	a->p_conversion = NAN;
	if (k > 0 && (st = rebuy__attrib_markov_solve(T, k, &a->p_conversion, re, err)))
		goto out;
	double sum = 0;
	for (size_t c = 0; c < k; c++)
		if (!isnan(re[c]))
			sum += re[c];
	a->removal_effect_sum = sum;
	for (size_t c = 0; c < k; c++) {
		struct rebuy_attrib_channel *ch = &a->channels[c];
		ch->removal_effect = re[c];
		double share = sum > 0 ? re[c] / sum : 0;
		ch->conversions[REBUY_ATTRIB_MARKOV] = j->conversions * share;
		ch->value[REBUY_ATTRIB_MARKOV] = j->value * share;
	}
out:
	rebuy__free(T);
	rebuy__free(re);
	rebuy__free(wbuf);
	if (st) {
		rebuy_attrib_free(a);
		return st;
	}
	*out = a;
	return REBUY_OK;
}
