/* Smooth minimization for model fits: BFGS with a strong-Wolfe line search
 * (Nocedal & Wright 2006, "Numerical Optimization", algorithms 6.1, 3.5 and
 * 3.6), then Newton steps on a Hessian taken by central differences of the
 * gradient, which both polishes the optimum to the last digits and gives the
 * curvature for standard errors. Points where the objective is not finite
 * are outside the domain: a step that lands there is shortened, never taken.
 * Small problems only (n <= 8).
 */
#ifndef REBUY_MODEL_OPTIM_H
#define REBUY_MODEL_OPTIM_H

#include "rebuy/error.h"

#define REBUY__OPTIM_MAX 8

/* Objective and gradient at y. A non-finite *f means outside the domain. May
 * fail only with REBUY_ENOMEM (or another status), which ends the search. */
typedef enum rebuy_status (*rebuy__optim_fg)(void *ud, const double *y, double *f, double *g);

enum rebuy__optim_end {
	REBUY__OPTIM_CONVERGED,    /* gradient ~0 and the Hessian positive definite */
	REBUY__OPTIM_MAX_ITER,     /* the iteration limit came first */
	REBUY__OPTIM_STALLED,      /* no step lowers the objective, gradient not ~0 */
	REBUY__OPTIM_NOT_DEFINITE, /* stationary or stalled, Hessian not positive definite */
	REBUY__OPTIM_START_OUTSIDE /* the objective is not finite at the start */
};

struct rebuy__optim_options {
	int max_iter;     /* BFGS iterations; 0: 1,000 */
	double gtol;      /* stop BFGS when max |g_i| <= gtol; 0: 1e-8 */
	int newton_steps; /* Newton polishing steps at most; 0: 20, -1: none */
	double hess_step; /* central-difference step in y; 0: 1e-4 */
};

struct rebuy__optim_result {
	double y[REBUY__OPTIM_MAX], f, g[REBUY__OPTIM_MAX];
	double hess[REBUY__OPTIM_MAX * REBUY__OPTIM_MAX]; /* at y, when has_hess */
	int has_hess, hess_definite;
	double decrement; /* Newton decrement g' H^-1 g at the end (NaN without a Hessian) */
	int iterations;   /* BFGS iterations + Newton steps */
	int evaluations;  /* calls of fg */
	enum rebuy__optim_end end;
};

/* Minimizes fg over y in R^n from y0. Returns REBUY_OK with *res filled
 * (res->end says how it ended), or the status fg failed with. */
enum rebuy_status rebuy__optim_minimize(int n, rebuy__optim_fg fg, void *ud, const double *y0,
                                        const struct rebuy__optim_options *opts,
                                        struct rebuy__optim_result *res);

/* Cholesky factor of the n x n symmetric a (row major) in place (lower
 * triangle); returns 0 when a is not positive definite. */
int rebuy__cholesky(int n, double *a);
/* Solves L L' x = b with the factor from rebuy__cholesky; b becomes x. */
void rebuy__cholesky_solve(int n, const double *l, double *b);
/* The inverse of the matrix whose factor is l, into inv (n x n). */
void rebuy__cholesky_inverse(int n, const double *l, double *inv);

#endif
