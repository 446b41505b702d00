/* Allocation through the process-wide hook, with a size header per block so
 * that frees need no size, and atomic accounting of bytes in use and peak. */
#include "core/mem.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#define HEADER 16 /* keeps 16-byte alignment of the payload */

static void *default_alloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
	(void)ud;
	(void)old_size;
	if (new_size == 0) {
		free(ptr);
		return NULL;
	}
	return realloc(ptr, new_size);
}

static rebuy_alloc_fn hook = default_alloc;
static void *hook_ud;
static _Atomic size_t in_use;
static _Atomic size_t peak;

void rebuy_alloc_set(rebuy_alloc_fn fn, void *ud)
{
	hook = fn ? fn : default_alloc;
	hook_ud = fn ? ud : NULL;
}

size_t rebuy_alloc_in_use(void)
{
	return atomic_load(&in_use);
}
size_t rebuy_alloc_peak(void)
{
	return atomic_load(&peak);
}
void rebuy_alloc_reset_peak(void)
{
	atomic_store(&peak, atomic_load(&in_use));
}

static void account(size_t added, size_t removed)
{
	size_t now;
	if (added >= removed)
		now = atomic_fetch_add(&in_use, added - removed) + (added - removed);
	else
		now = atomic_fetch_sub(&in_use, removed - added) - (removed - added);
	size_t p = atomic_load(&peak);
	while (now > p && !atomic_compare_exchange_weak(&peak, &p, now))
		;
}

/* Large tables are read at random: 2 MiB pages spare the TLB and cut page
 * faults 512-fold. Only a hint; where the kernel says no, nothing changes. */
static void advise_huge(void *p, size_t n)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
	if (n < ((size_t)4 << 20))
		return;
	uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
	uintptr_t z = ((uintptr_t)p + n) & ~(uintptr_t)4095;
	if (z > a)
		madvise((void *)a, z - a, MADV_HUGEPAGE);
#else
	(void)p;
	(void)n;
#endif
}

void *rebuy__realloc(void *p, size_t n)
{
	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - HEADER)
		return NULL;
	unsigned char *base = p ? (unsigned char *)p - HEADER : NULL;
	size_t old = 0;
	if (base)
		memcpy(&old, base, sizeof old);
	unsigned char *nb = hook(hook_ud, base, base ? old + HEADER : 0, n + HEADER);
	if (!nb)
		return NULL;
	memcpy(nb, &n, sizeof n);
	account(n, old);
	advise_huge(nb, n + HEADER);
	return nb + HEADER;
}

void *rebuy__malloc(size_t n)
{
	return rebuy__realloc(NULL, n);
}

void *rebuy__calloc(size_t count, size_t size)
{
	size_t n;
	if (rebuy__mul_overflows(count, size, &n))
		return NULL;
	void *p = rebuy__malloc(n);
	if (p)
		memset(p, 0, n);
	return p;
}

void rebuy__free(void *p)
{
	if (!p)
		return;
	unsigned char *base = (unsigned char *)p - HEADER;
	size_t old;
	memcpy(&old, base, sizeof old);
	hook(hook_ud, base, old + HEADER, 0);
	account(0, old);
}

char *rebuy__strndup(const char *s, size_t n)
{
	char *d = rebuy__malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

enum rebuy_status rebuy__grow(void **arr, size_t *cap, size_t need, size_t size, size_t max)
{
	if (need <= *cap)
		return REBUY_OK;
	if (need > max)
		return REBUY_ELIMIT;
	size_t ncap = *cap ? *cap : 16;
	while (ncap < need)
		ncap = ncap > max / 2 ? max : ncap * 2;
	size_t bytes;
	if (rebuy__mul_overflows(ncap, size, &bytes))
		return REBUY_ENOMEM;
	void *p = rebuy__realloc(*arr, bytes);
	if (!p)
		return REBUY_ENOMEM;
	*arr = p;
	*cap = ncap;
	return REBUY_OK;
}

struct rebuy__arena_block {
	struct rebuy__arena_block *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

void rebuy__arena_init(struct rebuy__arena *a, size_t block_size)
{
	a->head = NULL;
	a->block_size = block_size ? block_size : 64 * 1024;
}

void *rebuy__arena_alloc(struct rebuy__arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct rebuy__arena_block *b = a->head;
	if (!b || b->size - b->used < n) {
		size_t size = n > a->block_size ? n : a->block_size;
		b = rebuy__malloc(sizeof *b + size);
		if (!b)
			return NULL;
		b->size = size;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	void *p = b->data + b->used;
	b->used += n;
	return p;
}

char *rebuy__arena_strndup(struct rebuy__arena *a, const char *s, size_t n)
{
	char *d = rebuy__arena_alloc(a, n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

void rebuy__arena_release(struct rebuy__arena *a)
{
	struct rebuy__arena_block *b = a->head;
	while (b) {
		struct rebuy__arena_block *next = b->next;
		rebuy__free(b);
		b = next;
	}
	a->head = NULL;
}
