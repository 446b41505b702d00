/* Internal allocation: every library allocation goes through the hook of
 * alloc.h. These wrappers keep the block size in a small header so that
 * callers free without passing sizes; the hook still sees exact sizes, which
 * is what accounting and fault injection need.
 */
#ifndef REBUY_CORE_MEM_H
#define REBUY_CORE_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/alloc.h"
#include "rebuy/error.h"

void *rebuy__malloc(size_t n);
void *rebuy__calloc(size_t count, size_t size); /* NULL on overflow too */
void *rebuy__realloc(void *p, size_t n);        /* on failure p is untouched */
void rebuy__free(void *p);                      /* NULL is a no-op */
char *rebuy__strndup(const char *s, size_t n);

/* Makes room for at least `need` elements of `size` bytes in *arr, whose
 * capacity is *cap, growing geometrically and never past `max` elements.
 * Returns REBUY_OK, REBUY_ENOMEM, or REBUY_ELIMIT (need > max). */
enum rebuy_status rebuy__grow(void **arr, size_t *cap, size_t need, size_t size, size_t max);

/* Multiplication that reports overflow instead of wrapping. */
static inline int rebuy__mul_overflows(size_t a, size_t b, size_t *out)
{
	return __builtin_mul_overflow(a, b, out);
}

/* A bump allocator for many small objects freed together. Blocks come from
 * the hook; rebuy__arena_release frees them all. */
struct rebuy__arena {
	struct rebuy__arena_block *head;
	size_t block_size;
};

void rebuy__arena_init(struct rebuy__arena *a, size_t block_size);
void *rebuy__arena_alloc(struct rebuy__arena *a, size_t n); /* 16-byte aligned, NULL on OOM */
char *rebuy__arena_strndup(struct rebuy__arena *a, const char *s, size_t n);
void rebuy__arena_release(struct rebuy__arena *a);

#endif
