/* The first-order Markov removal effect, exactly (include/rebuy/attrib.h).
 *
 * The chain's transient states are start and the k channels; conversion
 * and null absorb. With A = I - Q (Q: transient to transient) and b the
 * one-step probabilities into conversion, x = A^-1 b holds the absorption
 * probabilities in conversion, P = x_start. Removing channel r sends every
 * transition into r to null: the journeys through r are lost and the others
 * kept, so P_-r = P - h_r x_r, where h_r = (A^-1)_{start,r} / (A^-1)_{r,r}
 * is the probability of ever reaching r from start (first-passage
 * decomposition: (A^-1)_{s,r} = h_r (A^-1)_{r,r}). Hence the removal
 * effect RE_r = 1 - P_-r / P = h_r x_r / P, with no cancellation, from one
 * LU factorisation and k + 1 solves: O(k^3) where a system per removal
 * would cost O(k^4). tests/unit/test_attrib.c checks it against the direct
 * removal solve.
 *
 * The factorisation is Gaussian elimination with partial pivoting, written
 * here: the matrix is at most 1025 x 1025 and dense, a BLAS/LAPACK
 * dependency for one dgesv would outweigh these 40 lines, and A is a
 * nonsingular M-matrix (every visited state leads to absorption), for
 * which partial pivoting is stable.
 */
#include <math.h>
#include <string.h>

#include "attrib/attrib_int.h"
#include "core/mem.h"

/* In-place LU of the n x n row-major a with row pivots perm; 0 when a
 * pivot vanishes. */
static int lu_factor(double *a, size_t n, size_t *perm)
{
	for (size_t i = 0; i < n; i++)
		perm[i] = i;
	for (size_t c = 0; c < n; c++) {
		size_t p = c;
		double best = fabs(a[c * n + c]);
		for (size_t r = c + 1; r < n; r++)
			if (fabs(a[r * n + c]) > best) {
				best = fabs(a[r * n + c]);
				p = r;
			}
		if (!(best > 1e-300))
			return 0;
		if (p != c) {
			for (size_t j = 0; j < n; j++) {
				double t = a[c * n + j];
				a[c * n + j] = a[p * n + j];
				a[p * n + j] = t;
			}
			size_t t = perm[c];
			perm[c] = perm[p];
			perm[p] = t;
		}
		double d = a[c * n + c];
		for (size_t r = c + 1; r < n; r++) {
			double f = a[r * n + c] / d;
			a[r * n + c] = f;
			if (f != 0)
				for (size_t j = c + 1; j < n; j++)
					a[r * n + j] -= f * a[c * n + j];
		}
	}
	return 1;
}

/* Solves LU x = P b into x (b and x may not alias). */
static void lu_solve(const double *a, size_t n, const size_t *perm, const double *b, double *x)
{
	for (size_t i = 0; i < n; i++) {
		double s = b[perm[i]];
		for (size_t j = 0; j < i; j++)
			s -= a[i * n + j] * x[j];
		x[i] = s;
	}
	for (size_t i = n; i-- > 0;) {
		double s = x[i];
		for (size_t j = i + 1; j < n; j++)
			s -= a[i * n + j] * x[j];
		x[i] = s / a[i * n + i];
	}
}

enum rebuy_status rebuy__attrib_markov_solve(const double *T, size_t k, double *P, double *re,
                                             struct rebuy_error *err)
{
	size_t n = k + 1, w = k + 3;
	double *a = rebuy__calloc(n * n + 4 * n, sizeof *a);
	size_t *perm = rebuy__calloc(n, sizeof *perm);
	if (!a || !perm) {
		rebuy__free(a);
		rebuy__free(perm);
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	}
	double *b = a + n * n, *x = b + n, *e = x + n, *z = e + n;
	for (size_t i = 0; i < n; i++) {
		double sum = 0;
		for (size_t j = 0; j < w; j++)
			sum += T[i * w + j];
		a[i * n + i] = 1;
		if (sum > 0) {
			for (size_t j = 0; j < n; j++)
				a[i * n + j] -= T[i * w + j] / sum;
			b[i] = T[i * w + k + 1] / sum;
		} /* else never left: never reached either, x_i = 0 */
	}
	enum rebuy_status st = REBUY_OK;
	if (!lu_factor(a, n, perm)) {
		st = rebuy_error_set(err, REBUY_EINTERNAL,
		                     "attribution: the Markov chain's system is singular");
		goto out;
	}
	lu_solve(a, n, perm, b, x);
	*P = x[0];
	for (size_t r = 1; r < n; r++) {
		memset(e, 0, n * sizeof *e);
		e[r] = 1;
		lu_solve(a, n, perm, e, z);
		/* z_r >= 1 (expected visits to r from r); z_0, x_r >= 0 in exact
		 * arithmetic: a rounding below 0 is 0. */
		double h = z[0] / z[r], x_r = x[r];
		if (!(h > 0) || !(x_r > 0))
			h = x_r = 0;
		re[r - 1] = x[0] > 0 ? fmin(1.0, h * x_r / x[0]) : NAN;
	}
out:
	rebuy__free(a);
	rebuy__free(perm);
	return st;
}
