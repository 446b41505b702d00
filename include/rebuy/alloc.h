/* rebuy — the allocation hook.
 *
 * Every allocation the library makes goes through one hook (after Lua's
 * lua_Alloc): fn(ud, ptr, old_size, new_size) behaves like realloc when
 * new_size > 0 and like free (returning NULL) when new_size == 0. A hook that
 * returns NULL for new_size > 0 signals out of memory; the library then
 * returns REBUY_ENOMEM from the call in progress and leaks nothing.
 *
 * The hook is process-wide: set it before any other rebuy call and do not
 * change it while rebuy objects are alive. It may be called from several
 * threads at once, so it must be thread-safe (the default one is).
 */
#ifndef REBUY_ALLOC_H
#define REBUY_ALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void *(*rebuy_alloc_fn)(void *ud, void *ptr, size_t old_size, size_t new_size);

/* Installs fn (NULL restores the default, built on realloc/free). */
void rebuy_alloc_set(rebuy_alloc_fn fn, void *ud);

/* Bytes currently allocated through the hook, and the highest value seen
 * since the last rebuy_alloc_reset_peak(). Thread-safe. */
size_t rebuy_alloc_in_use(void);
size_t rebuy_alloc_peak(void);
void rebuy_alloc_reset_peak(void);

#ifdef __cplusplus
}
#endif
#endif
