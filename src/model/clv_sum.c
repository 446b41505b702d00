/* Deterministic parallel sums over the rows of a fit; see clv_int.h. */
#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "core/parallel.h"
#include "model/clv_int.h"

/* Rows per chunk: big enough that a chunk outweighs claiming it, small enough
 * that two threads stay balanced on a few thousand rows. */
#define CHUNK_ROWS 2048
#define MAX_ACC 32

struct job {
	rebuy__clv_chunk_fn fn;
	void *ud;
	size_t n, n_acc;
	double *sums; /* n_chunks x n_acc */
};

static enum rebuy_status chunk(void *ud, size_t item, unsigned thread)
{
	(void)thread;
	struct job *j = ud;
	size_t lo = item * CHUNK_ROWS, hi = lo + CHUNK_ROWS < j->n ? lo + CHUNK_ROWS : j->n;
	double *acc = j->sums + item * j->n_acc;
	memset(acc, 0, j->n_acc * sizeof *acc);
	j->fn(j->ud, lo, hi, acc);
	return REBUY_OK;
}

enum rebuy_status rebuy__clv_sum(unsigned n_threads, size_t n, size_t n_acc, rebuy__clv_chunk_fn fn,
                                 void *ud, double *out)
{
	if (n_acc > MAX_ACC)
		return REBUY_EINTERNAL;
	memset(out, 0, n_acc * sizeof *out);
	size_t n_chunks = (n + CHUNK_ROWS - 1) / CHUNK_ROWS;
	if (n_chunks <= 1 || n_threads <= 1) {
		/* The same chunks, one after the other. */
		double acc[MAX_ACC];
		for (size_t c = 0; c < n_chunks; c++) {
			size_t lo = c * CHUNK_ROWS, hi = lo + CHUNK_ROWS < n ? lo + CHUNK_ROWS : n;
			memset(acc, 0, n_acc * sizeof *acc);
			fn(ud, lo, hi, acc);
			for (size_t k = 0; k < n_acc; k++)
				out[k] += acc[k];
		}
		return REBUY_OK;
	}
	struct job j = {.fn = fn, .ud = ud, .n = n, .n_acc = n_acc};
	if (!(j.sums = rebuy__calloc(n_chunks, n_acc * sizeof *j.sums)))
		return REBUY_ENOMEM;
	enum rebuy_status st = rebuy__parallel_for(n_threads, n_chunks, chunk, &j);
	if (st == REBUY_OK) {
		for (size_t c = 0; c < n_chunks; c++)
			for (size_t k = 0; k < n_acc; k++)
				out[k] += j.sums[c * n_acc + k];
	}
	rebuy__free(j.sums);
	return st;
}

enum rebuy_status rebuy__clv_loglik_sum(int n_params, const double *params, int valid,
                                        const struct rebuy__clv_rows *rows, unsigned n_threads,
                                        rebuy__clv_chunk_fn fn, double *ll, double *grad)
{
	if (!valid) {
		*ll = NAN;
		for (int k = 0; grad && k < n_params; k++)
			grad[k] = NAN;
		return REBUY_OK;
	}
	struct rebuy__clv_job j = {.p = params, .rows = rows, .want_grad = grad != NULL};
	double acc[1 + REBUY__CLV_MAX_PARAMS];
	enum rebuy_status st =
	        rebuy__clv_sum(n_threads, rows->n, 1 + (size_t)n_params, fn, &j, acc);
	if (st != REBUY_OK)
		return st;
	*ll = acc[0];
	for (int k = 0; grad && k < n_params; k++)
		grad[k] = isfinite(acc[0]) ? params[k] * acc[1 + k] : NAN;
	return REBUY_OK;
}
