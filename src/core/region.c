/* Region allocation: blocks grow geometrically so that small inputs stay
 * small and large ones use few, huge-page-backed blocks. */
#include "core/region.h"

#include <stdint.h>
#include <string.h>

#include "core/mem.h"

#define FIRST_BLOCK ((size_t)256 << 10)
#define MAX_BLOCK ((size_t)64 << 20)

struct rebuy__region_block {
	struct rebuy__region_block *next;
	size_t size;
};

void rebuy__region_init(struct rebuy__region *r)
{
	memset(r, 0, sizeof *r);
	r->next_size = FIRST_BLOCK;
}

void *rebuy__region_alloc(struct rebuy__region *r, size_t n)
{
	n = (n + 63) & ~(size_t)63;
	if (n > r->left) {
		size_t size = r->next_size;
		if (size < MAX_BLOCK)
			r->next_size = size * 2;
		if (n + 64 > size)
			size = n + 64;
		struct rebuy__region_block *b = rebuy__malloc(sizeof *b + size + 64);
		if (!b)
			return NULL;
		b->size = size;
		b->next = r->head;
		r->head = b;
		uintptr_t start = ((uintptr_t)(b + 1) + 63) & ~(uintptr_t)63;
		r->cur = (char *)start;
		r->left = size;
		r->total += size;
	}
	void *p = r->cur;
	r->cur += n;
	r->left -= n;
	return p;
}

void rebuy__region_release(struct rebuy__region *r)
{
	struct rebuy__region_block *b = r->head;
	while (b) {
		struct rebuy__region_block *next = b->next;
		rebuy__free(b);
		b = next;
	}
	rebuy__region_init(r);
}
