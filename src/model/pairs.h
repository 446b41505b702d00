/* Distinct pairs of doubles (by their bits, with -0 and 0 one value): the
 * model code computes its expensive terms once per distinct (x, t_x) or
 * (x, T) instead of once per customer. Open addressing, grown at half
 * full. */
#ifndef REBUY_MODEL_PAIRS_H
#define REBUY_MODEL_PAIRS_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/error.h"

struct rebuy__pair {
	double a, b;
};

struct rebuy__pair_table {
	uint32_t *slots; /* index + 1; 0 = empty */
	size_t cap, n, vcap;
	struct rebuy__pair *vals; /* the distinct pairs, in order of first sight */
};

/* Adds (a, b) if new; *idx is its index either way. REBUY_ENOMEM, or
 * REBUY_ELIMIT past 2^32 - 2 pairs. */
enum rebuy_status rebuy__pair_add(struct rebuy__pair_table *t, double a, double b, uint32_t *idx);
/* Sizes an empty table for up to n distinct pairs, so that filling it does
 * not rehash (a hint: more still fit). REBUY_ENOMEM. */
enum rebuy_status rebuy__pair_table_reserve(struct rebuy__pair_table *t, size_t n);
void rebuy__pair_table_release(struct rebuy__pair_table *t);

#endif
