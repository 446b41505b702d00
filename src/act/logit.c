/* L2-penalized logistic regression (rebuy/propensity.h) by Newton's method
 * (iteratively reweighted least squares; Hastie, Tibshirani & Friedman,
 * The Elements of Statistical Learning, 2nd ed., §4.4.1 and §4.4.4).
 *
 * On standardized inputs z, with p_i = 1 / (1 + exp(-eta_i)), eta_i =
 * b0 + sum_j b_j z_ij, it minimizes the mean penalized loss
 *   f(b) = (1/n) sum_i [log(1 + exp(eta_i)) - y_i eta_i] + (l2/2) sum_{j>=1} b_j^2,
 * whose gradient and Hessian are
 *   g = (1/n) Z'(p - y) + l2 b~,   H = (1/n) Z' W Z + l2 I~,   W = diag(p (1 - p)),
 * (Z with a leading column of ones; ~: the intercept's entry is 0). Each
 * step solves H d = -g by Cholesky and backtracks (Armijo, c = 1e-4) until f
 * falls. Converged when max |g| <= tolerance. The sums run over fixed blocks
 * of rows, each summed in row order and the blocks added in block order, so
 * the result does not depend on how many threads summed them.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "core/parallel.h"
#include "rebuy/propensity.h"

#define BLOCK_ROWS 2048
#define MAX_BLOCKS 64
#define ARMIJO 1e-4
#define MAX_HALVINGS 60

void rebuy_logit_options_init(struct rebuy_logit_options *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->l2 = 1e-4;
	opts->tolerance = 1e-10;
	opts->max_iter = 100;
	opts->log_inputs = 1;
}

void rebuy_logit_free(struct rebuy_logit *m)
{
	if (!m)
		return;
	rebuy__free(m->coef);
	rebuy__free(m->mean);
	rebuy__free(m->sd);
	rebuy__free(m->is_log);
	rebuy__free(m->is_constant);
	rebuy__free(m);
}

/* log(1 + exp(t)) without overflow. */
static double softplus(double t)
{
	return t > 0 ? t + log1p(exp(-t)) : log1p(exp(t));
}

static double sigmoid(double t)
{
	if (t >= 0)
		return 1.0 / (1.0 + exp(-t));
	double e = exp(t);
	return e / (1.0 + e);
}

/* log(1 + x), mirrored below 0 (only rows the model was not fitted on can
 * be negative in an input that was never negative in training). */
static double log_input(double x)
{
	return x >= 0 ? log1p(x) : -log1p(-x);
}

static double standardized(const struct rebuy_logit *m, size_t j, double x)
{
	double u = m->is_log[j] ? log_input(x) : x;
	return (u - m->mean[j]) / m->sd[j];
}

void rebuy_logit_predict(const struct rebuy_logit *m, const double *x, size_t n, double *p)
{
	size_t k = m->n_features;
	for (size_t i = 0; i < n; i++) {
		double eta = m->intercept;
		for (size_t j = 0; j < k; j++)
			if (m->coef[j] != 0)
				eta += m->coef[j] * standardized(m, j, x[i * k + j]);
		p[i] = sigmoid(eta);
	}
}

/* ---- the fit ---- */

struct fit {
	const double *z; /* n x m standardized inputs */
	const uint8_t *y;
	size_t n, m, d; /* d = m + 1 parameters, the intercept first */
	const uint8_t *active;
	const double *b; /* parameters at which the sums are taken */
	size_t n_blocks;
	int want_hessian;
	double *block_loss; /* n_blocks */
	double *block_grad; /* n_blocks x d */
	double *block_hess; /* n_blocks x d x d, upper triangle */
};

static enum rebuy_status sum_block(void *ud, size_t blk, unsigned thread)
{
	(void)thread;
	struct fit *f = ud;
	size_t d = f->d, lo = blk * f->n / f->n_blocks, hi = (blk + 1) * f->n / f->n_blocks;
	double loss = 0, *g = f->block_grad + blk * d, *h = f->block_hess + blk * d * d;
	memset(g, 0, d * sizeof *g);
	if (f->want_hessian)
		memset(h, 0, d * d * sizeof *h);
	for (size_t i = lo; i < hi; i++) {
		const double *zi = f->z + i * f->m;
		double eta = f->b[0];
		for (size_t j = 0; j < f->m; j++)
			eta += f->b[j + 1] * zi[j];
		double yi = f->y[i] ? 1.0 : 0.0;
		loss += softplus(eta) - yi * eta;
		double p = sigmoid(eta), r = p - yi, w = p * (1 - p);
		g[0] += r;
		for (size_t j = 0; j < f->m; j++)
			g[j + 1] += r * zi[j];
		if (!f->want_hessian)
			continue;
		h[0] += w;
		for (size_t a = 0; a < f->m; a++) {
			double wa = w * zi[a];
			double *row = h + (a + 1) * d;
			row[0] += wa; /* H[a+1][0], mirrored below */
			for (size_t c = a; c < f->m; c++)
				row[c + 1] += wa * zi[c];
		}
	}
	f->block_loss[blk] = loss;
	return REBUY_OK;
}

/* f(b), its gradient and (when want_hessian) its Hessian, at f->b. */
static enum rebuy_status evaluate(struct fit *f, unsigned n_threads, double l2, double *obj,
                                  double *grad, double *hess)
{
	enum rebuy_status st = rebuy__parallel_for(n_threads, f->n_blocks, sum_block, f);
	if (st)
		return st;
	size_t d = f->d;
	double loss = 0;
	memset(grad, 0, d * sizeof *grad);
	if (f->want_hessian)
		memset(hess, 0, d * d * sizeof *hess);
	for (size_t blk = 0; blk < f->n_blocks; blk++) {
		loss += f->block_loss[blk];
		for (size_t a = 0; a < d; a++)
			grad[a] += f->block_grad[blk * d + a];
		if (!f->want_hessian)
			continue;
		const double *h = f->block_hess + blk * d * d;
		hess[0] += h[0];
		for (size_t a = 1; a < d; a++) {
			hess[a * d] += h[a * d];
			for (size_t c = a; c < d; c++)
				hess[a * d + c] += h[a * d + c];
		}
	}
	double nn = (double)f->n, pen = 0;
	*obj = loss / nn;
	for (size_t a = 0; a < d; a++)
		grad[a] /= nn;
	for (size_t a = 1; a < d; a++) {
		pen += f->b[a] * f->b[a];
		grad[a] += l2 * f->b[a];
	}
	*obj += l2 / 2 * pen;
	if (!f->want_hessian)
		return REBUY_OK;
	for (size_t a = 0; a < d; a++) {
		for (size_t c = a; c < d; c++) {
			double v = (a == 0 ? hess[c * d] : hess[a * d + c]) / nn;
			if (a == c && a > 0)
				v += l2;
			hess[a * d + c] = hess[c * d + a] = v;
		}
	}
	/* Inputs left out: the identity keeps their step at 0. */
	for (size_t j = 0; j < f->m; j++) {
		if (f->active[j])
			continue;
		for (size_t c = 0; c < d; c++)
			hess[(j + 1) * d + c] = hess[c * d + j + 1] = 0;
		hess[(j + 1) * d + j + 1] = 1;
		grad[j + 1] = 0;
	}
	return REBUY_OK;
}

/* Solves A x = b for symmetric positive definite A (d x d, destroyed: its
 * lower triangle becomes the Cholesky factor). 0 when A is not definite. */
static int cholesky_solve(double *a, size_t d, const double *b, double *x)
{
	for (size_t j = 0; j < d; j++) {
		double s = a[j * d + j];
		for (size_t k = 0; k < j; k++)
			s -= a[j * d + k] * a[j * d + k];
		if (!(s > 0))
			return 0;
		double l = sqrt(s);
		a[j * d + j] = l;
		for (size_t i = j + 1; i < d; i++) {
			double t = a[i * d + j];
			for (size_t k = 0; k < j; k++)
				t -= a[i * d + k] * a[j * d + k];
			a[i * d + j] = t / l;
		}
	}
	for (size_t i = 0; i < d; i++) {
		double t = b[i];
		for (size_t k = 0; k < i; k++)
			t -= a[i * d + k] * x[k];
		x[i] = t / a[i * d + i];
	}
	for (size_t i = d; i-- > 0;) {
		double t = x[i];
		for (size_t k = i + 1; k < d; k++)
			t -= a[k * d + i] * x[k];
		x[i] = t / a[i * d + i];
	}
	return 1;
}

/* The Newton direction: H s = -g, with a growing ridge when H is not
 * definite (l2 = 0 and collinear inputs). */
static int newton_step(const double *hess, const double *grad, size_t d, double *work, double *step)
{
	double ridge = 0;
	for (int tries = 0; tries < 20; tries++) {
		memcpy(work, hess, d * d * sizeof *work);
		for (size_t a = 0; a < d; a++)
			work[a * d + a] += ridge;
		for (size_t a = 0; a < d; a++)
			step[a] = -grad[a];
		if (cholesky_solve(work, d, step, step))
			return 1;
		ridge = ridge ? ridge * 10 : 1e-10;
	}
	return 0;
}

static double max_abs(const double *v, size_t d)
{
	double m = 0;
	for (size_t a = 0; a < d; a++)
		if (fabs(v[a]) > m)
			m = fabs(v[a]);
	return m;
}

/* Standardizes the inputs into z; fills is_log, mean, sd and active. */
static enum rebuy_status standardize(const double *x, size_t n, size_t m, int log_inputs,
                                     struct rebuy_logit *model, uint8_t *active, double *z,
                                     struct rebuy_error *err)
{
	for (size_t j = 0; j < m; j++) {
		double lo = INFINITY, hi = -INFINITY;
		for (size_t i = 0; i < n; i++) {
			double v = x[i * m + j];
			if (!isfinite(v))
				return rebuy_error_set(
				        err, REBUY_EDATA,
				        "input %zu of row %zu is not a finite number", j + 1,
				        i + 1);
			if (v < lo)
				lo = v;
			if (v > hi)
				hi = v;
		}
		/* Shares and indicators in [0, 1] stay as they are. */
		model->is_log[j] = (uint8_t)(log_inputs && lo >= 0 && hi > 1);
		double s = 0;
		for (size_t i = 0; i < n; i++) {
			double u = model->is_log[j] ? log_input(x[i * m + j]) : x[i * m + j];
			z[i * m + j] = u;
			s += u;
		}
		double mu = s / (double)n, v = 0;
		for (size_t i = 0; i < n; i++) {
			double dlt = z[i * m + j] - mu;
			v += dlt * dlt;
		}
		double sd = sqrt(v / (double)n);
		/* A constant column leaves rounding noise in sd: treat it as 0. */
		active[j] = (uint8_t)(sd > 1e-12 * (fabs(mu) > 1 ? fabs(mu) : 1));
		model->is_constant[j] = (uint8_t)!active[j];
		model->mean[j] = mu;
		model->sd[j] = active[j] ? sd : 1.0;
		for (size_t i = 0; i < n; i++)
			z[i * m + j] = active[j] ? (z[i * m + j] - mu) / sd : 0.0;
	}
	return REBUY_OK;
}

static enum rebuy_status check_args(size_t n, size_t m, const uint8_t *y,
                                    const struct rebuy_logit_options *o, struct rebuy_error *err)
{
	if (n == 0 || m == 0)
		return rebuy_error_set(err, REBUY_EARG,
		                       "logistic regression needs rows and inputs");
	if (!(o->l2 >= 0) || !isfinite(o->l2))
		return rebuy_error_set(err, REBUY_EARG, "the L2 penalty must be a number >= 0");
	if (!(o->tolerance > 0) || o->max_iter < 1)
		return rebuy_error_set(err, REBUY_EARG,
		                       "the tolerance must be > 0 and max_iter at least 1");
	size_t pos = 0;
	for (size_t i = 0; i < n; i++)
		pos += y[i] != 0;
	if (pos == 0 || pos == n)
		return rebuy_error_set(err, REBUY_EDATA,
		                       "logistic regression needs both labels in the training "
		                       "rows (all %zu are %d)",
		                       n, pos ? 1 : 0);
	return REBUY_OK;
}

/* The Newton iterations from b = 0 with the intercept at the base rate. */
static enum rebuy_status iterate(struct fit *f, const struct rebuy_logit_options *o,
                                 struct rebuy_logit *model, double *b, double *work)
{
	size_t d = f->d;
	double *grad = work, *hess = grad + d, *chol = hess + d * d, *step = chol + d * d;
	double *trial = step + d, *tgrad = trial + d;
	unsigned thr = o->n_threads ? o->n_threads : rebuy__cpu_count();
	double obj;
	enum rebuy_status st;
	f->b = b;
	f->want_hessian = 1;
	if ((st = evaluate(f, thr, o->l2, &obj, grad, hess)))
		return st;
	snprintf(model->status, sizeof model->status, "stopped after %d iterations", o->max_iter);
	for (model->iterations = 0;; model->iterations++) {
		model->gradient_max = max_abs(grad, d);
		if (model->gradient_max <= o->tolerance) {
			model->converged = 1;
			snprintf(model->status, sizeof model->status, "converged");
			break;
		}
		if (model->iterations >= o->max_iter)
			break;
		if (!newton_step(hess, grad, d, chol, step)) {
			snprintf(model->status, sizeof model->status,
			         "the Hessian is not positive definite");
			break;
		}
		double slope = 0, t = 1, tobj = obj;
		for (size_t a = 0; a < d; a++)
			slope += grad[a] * step[a];
		int ok = 0;
		f->b = trial;
		f->want_hessian = 0;
		for (int h = 0; h < MAX_HALVINGS; h++, t /= 2) {
			for (size_t a = 0; a < d; a++)
				trial[a] = b[a] + t * step[a];
			if ((st = evaluate(f, thr, o->l2, &tobj, tgrad, NULL)))
				return st;
			if (tobj <= obj + ARMIJO * t * slope) {
				ok = 1;
				break;
			}
		}
		if (!ok) {
			snprintf(model->status, sizeof model->status,
			         "no step lowers the loss (max |gradient| %.3g)",
			         model->gradient_max);
			break;
		}
		memcpy(b, trial, d * sizeof *b);
		f->b = b;
		f->want_hessian = 1;
		if ((st = evaluate(f, thr, o->l2, &obj, grad, hess)))
			return st;
	}
	return REBUY_OK;
}

enum rebuy_status rebuy_logit_fit(const double *x, size_t n, size_t m, const uint8_t *y,
                                  const struct rebuy_logit_options *o, struct rebuy_logit **out,
                                  struct rebuy_error *err)
{
	*out = NULL;
	enum rebuy_status st = check_args(n, m, y, o, err);
	if (st)
		return st;
	size_t d = m + 1, cells, sq;
	struct fit f = {.y = y, .n = n, .m = m, .d = d};
	f.n_blocks = (n + BLOCK_ROWS - 1) / BLOCK_ROWS;
	if (f.n_blocks > MAX_BLOCKS)
		f.n_blocks = MAX_BLOCKS;
	double *z = NULL, *b = NULL, *work = NULL;
	uint8_t *active = NULL;
	struct rebuy_logit *model = rebuy__calloc(1, sizeof *model);
	st = REBUY_ENOMEM;
	if (!model || rebuy__mul_overflows(n, m, &cells) || rebuy__mul_overflows(d, d, &sq))
		goto out;
	model->n_features = m;
	model->l2 = o->l2;
	model->coef = rebuy__calloc(m, sizeof *model->coef);
	model->mean = rebuy__calloc(m, sizeof *model->mean);
	model->sd = rebuy__calloc(m, sizeof *model->sd);
	model->is_log = rebuy__calloc(m, 1);
	model->is_constant = rebuy__calloc(m, 1);
	active = rebuy__calloc(m, 1);
	z = rebuy__calloc(cells, sizeof *z);
	b = rebuy__calloc(d, sizeof *b);
	work = rebuy__calloc(2 * sq + 5 * d, sizeof *work);
	f.block_loss = rebuy__calloc(f.n_blocks, sizeof *f.block_loss);
	f.block_grad = rebuy__calloc(f.n_blocks * d, sizeof *f.block_grad);
	f.block_hess = rebuy__calloc(f.n_blocks, sq * sizeof *f.block_hess);
	if (!model->coef || !model->mean || !model->sd || !model->is_log || !model->is_constant ||
	    !active || !z || !b || !work || !f.block_loss || !f.block_grad || !f.block_hess)
		goto out;
	if ((st = standardize(x, n, m, o->log_inputs, model, active, z, err)))
		goto out;
	f.z = z;
	f.active = active;
	size_t pos = 0;
	for (size_t i = 0; i < n; i++)
		pos += y[i] != 0;
	b[0] = log((double)pos / (double)(n - pos));
	if ((st = iterate(&f, o, model, b, work)))
		goto out;
	model->intercept = b[0];
	for (size_t j = 0; j < m; j++)
		model->coef[j] = active[j] ? b[j + 1] : 0.0;
	/* The plain mean log loss at the end: f without the penalty. */
	f.b = b;
	f.want_hessian = 0;
	double obj;
	if ((st = evaluate(&f, o->n_threads ? o->n_threads : rebuy__cpu_count(), 0, &obj, work,
	                   NULL)))
		goto out;
	model->log_loss = obj;
	*out = model;
	model = NULL;
out:
	if (st == REBUY_ENOMEM)
		rebuy_error_set(err, st, "out of memory fitting the logistic regression");
	rebuy_logit_free(model);
	rebuy__free(active);
	rebuy__free(z);
	rebuy__free(b);
	rebuy__free(work);
	rebuy__free(f.block_loss);
	rebuy__free(f.block_grad);
	rebuy__free(f.block_hess);
	return st;
}
