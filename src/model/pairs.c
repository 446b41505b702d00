/* Distinct pairs of doubles; see pairs.h. */
#include "model/pairs.h"

#include <string.h>

#include "core/mem.h"

static uint64_t bits(double v)
{
	uint64_t k;
	v += 0.0;
	memcpy(&k, &v, sizeof k);
	return k;
}

static size_t slot_of(double a, double b, size_t cap)
{
	uint64_t h = bits(a) * 0x9e3779b97f4a7c15u ^ bits(b);
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9u;
	h ^= h >> 32;
	return (size_t)h & (cap - 1);
}

static enum rebuy_status grow_to(struct rebuy__pair_table *t, size_t cap)
{
	uint32_t *slots = rebuy__calloc(cap, sizeof *slots);
	if (!slots)
		return REBUY_ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->slots[i])
			continue;
		const struct rebuy__pair *v = &t->vals[t->slots[i] - 1];
		size_t s = slot_of(v->a, v->b, cap);
		while (slots[s])
			s = (s + 1) & (cap - 1);
		slots[s] = t->slots[i];
	}
	rebuy__free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return REBUY_OK;
}

static enum rebuy_status grow(struct rebuy__pair_table *t)
{
	return grow_to(t, t->cap ? 2 * t->cap : 1024);
}

enum rebuy_status rebuy__pair_table_reserve(struct rebuy__pair_table *t, size_t n)
{
	size_t cap = 1024;
	while (cap < 2 * n && cap < ((size_t)1 << 40))
		cap *= 2;
	if (cap > t->cap && grow_to(t, cap) != REBUY_OK)
		return REBUY_ENOMEM;
	return rebuy__grow((void **)&t->vals, &t->vcap, n ? n : 1, sizeof *t->vals, SIZE_MAX);
}

enum rebuy_status rebuy__pair_add(struct rebuy__pair_table *t, double a, double b, uint32_t *idx)
{
	if (2 * (t->n + 1) > t->cap && grow(t) != REBUY_OK)
		return REBUY_ENOMEM;
	uint64_t ka = bits(a), kb = bits(b);
	size_t s = slot_of(a, b, t->cap);
	while (t->slots[s]) {
		const struct rebuy__pair *v = &t->vals[t->slots[s] - 1];
		if (bits(v->a) == ka && bits(v->b) == kb) {
			*idx = t->slots[s] - 1;
			return REBUY_OK;
		}
		s = (s + 1) & (t->cap - 1);
	}
	if (t->n >= UINT32_MAX - 1)
		return REBUY_ELIMIT;
	enum rebuy_status st =
	        rebuy__grow((void **)&t->vals, &t->vcap, t->n + 1, sizeof *t->vals, SIZE_MAX);
	if (st != REBUY_OK)
		return st;
	t->vals[t->n] = (struct rebuy__pair){a + 0.0, b + 0.0};
	t->slots[s] = (uint32_t)(t->n + 1);
	*idx = (uint32_t)t->n++;
	return REBUY_OK;
}

void rebuy__pair_table_release(struct rebuy__pair_table *t)
{
	rebuy__free(t->slots);
	rebuy__free(t->vals);
	memset(t, 0, sizeof *t);
}
