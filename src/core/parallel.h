/* A parallel for-loop over items 0..n-1 on up to n_threads threads (the
 * caller's thread is one of them). Items are claimed one at a time from an
 * atomic counter, so uneven items balance. The first non-OK status stops
 * the claiming of further items and is returned. */
#ifndef REBUY_CORE_PARALLEL_H
#define REBUY_CORE_PARALLEL_H

#include <stddef.h>

#include "rebuy/error.h"

typedef enum rebuy_status (*rebuy__item_fn)(void *ud, size_t item, unsigned thread);

enum rebuy_status rebuy__parallel_for(unsigned n_threads, size_t n, rebuy__item_fn fn, void *ud);

/* Seconds on a monotonic clock, for timings reported to the caller. */
double rebuy__now(void);

/* The number of online CPUs (at least 1, at most 256). */
unsigned rebuy__cpu_count(void);

#endif
