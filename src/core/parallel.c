/* A parallel for-loop on POSIX threads with dynamic claiming of items. */
#if defined(__linux__)
#define _GNU_SOURCE /* sched_getaffinity */
#include <sched.h>
#endif
#include "core/parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"

struct loop {
	rebuy__item_fn fn;
	void *ud;
	size_t n;
	atomic_size_t next;
	atomic_int status;
};

struct slot {
	struct loop *loop;
	unsigned thread;
};

static void run(struct loop *l, unsigned thread)
{
	for (;;) {
		if (atomic_load(&l->status) != REBUY_OK)
			return;
		size_t i = atomic_fetch_add(&l->next, 1);
		if (i >= l->n)
			return;
		enum rebuy_status st = l->fn(l->ud, i, thread);
		if (st != REBUY_OK) {
			int expected = REBUY_OK;
			atomic_compare_exchange_strong(&l->status, &expected, (int)st);
			return;
		}
	}
}

static void *thread_main(void *arg)
{
	struct slot *s = arg;
	run(s->loop, s->thread);
	return NULL;
}

enum rebuy_status rebuy__parallel_for(unsigned n_threads, size_t n, rebuy__item_fn fn, void *ud)
{
	struct loop l = {.fn = fn, .ud = ud, .n = n};
	atomic_init(&l.next, 0);
	atomic_init(&l.status, REBUY_OK);
	if (n_threads > n)
		n_threads = (unsigned)n;
	if (n_threads <= 1) {
		run(&l, 0);
		return (enum rebuy_status)atomic_load(&l.status);
	}
	pthread_t *threads = rebuy__malloc(n_threads * sizeof *threads);
	struct slot *slots = rebuy__malloc(n_threads * sizeof *slots);
	if (!threads || !slots) {
		rebuy__free(threads);
		rebuy__free(slots);
		return REBUY_ENOMEM;
	}
	unsigned started = 0;
	for (unsigned t = 1; t < n_threads; t++) {
		slots[t].loop = &l;
		slots[t].thread = t;
		if (pthread_create(&threads[t], NULL, thread_main, &slots[t]) != 0)
			break; /* fewer threads: the loop still completes */
		started = t;
	}
	run(&l, 0);
	for (unsigned t = 1; t <= started; t++)
		pthread_join(threads[t], NULL);
	rebuy__free(threads);
	rebuy__free(slots);
	return (enum rebuy_status)atomic_load(&l.status);
}

unsigned rebuy__cpu_count(void)
{
	long n = 0;
#if defined(__linux__)
	/* The CPUs this process may run on (taskset, containers), not all the
	 * machine's. */
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) == 0)
		n = CPU_COUNT(&set);
#endif
	if (n < 1)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	return n > 256 ? 256u : (unsigned)n;
}

double rebuy__now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
