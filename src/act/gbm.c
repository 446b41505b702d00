/* Gradient-boosted regression trees on the logistic loss (rebuy/propensity.h):
 * Friedman 2001, "Greedy function approximation: a gradient boosting
 * machine", Ann. Statist. 29(5), with XGBoost's second-order split gain and
 * leaf values (Chen & Guestrin 2016, eq. 5-7, without the 1/2 and gamma)
 * and LightGBM's histogram split search over pre-binned inputs (Ke et al.
 * 2017). Trees grow level by level to a fixed depth; a node stays a leaf
 * when no split leaves min_leaf rows on both sides with a positive gain.
 *
 * Invariants: every input is binned once (bin = the number of boundaries
 * below the value, so bin <= k exactly when x <= boundary k); histograms are
 * built per input, each by one thread in row order, so the trees do not
 * depend on the thread count; the training log loss never rises.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/parallel.h"
#include "rebuy/propensity.h"

#define MAX_HALVINGS 30
#define SERIAL_CELLS 200000 /* rows x inputs below which one thread builds histograms */

void rebuy_gbm_options_init(struct rebuy_gbm_options *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->n_rounds = 200;
	opts->depth = 2;
	opts->learning_rate = 0.05;
	opts->l2 = 1.0;
	opts->min_leaf = 50;
	opts->n_bins = 128;
}

void rebuy_gbm_free(struct rebuy_gbm *g)
{
	if (!g)
		return;
	rebuy__free(g->tree_start);
	rebuy__free(g->nodes);
	rebuy__free(g->train_log_loss);
	rebuy__free(g->gain);
	rebuy__free(g);
}

static double sigmoid(double t)
{
	if (t >= 0)
		return 1.0 / (1.0 + exp(-t));
	double e = exp(t);
	return e / (1.0 + e);
}

static double softplus(double t)
{
	return t > 0 ? t + log1p(exp(-t)) : log1p(exp(t));
}

static double tree_value(const struct rebuy_gbm_node *nodes, const double *x)
{
	const struct rebuy_gbm_node *nd = nodes;
	while (nd->feature >= 0)
		nd = nodes + (x[nd->feature] <= nd->threshold ? nd->left : nd->right);
	return nd->value;
}

void rebuy_gbm_predict(const struct rebuy_gbm *g, const double *x, size_t n, double *p)
{
	for (size_t i = 0; i < n; i++) {
		const double *xi = x + i * g->n_features;
		double f = g->base;
		for (size_t t = 0; t < g->n_trees; t++)
			f += tree_value(g->nodes + g->tree_start[t], xi);
		p[i] = sigmoid(f);
	}
}

/* ---- binning ---- */

static int dbl_cmp(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return (a > b) - (a < b);
}

static double midpoint(double a, double b)
{
	return a / 2 + b / 2;
}

/* The first index in v[0..n) with v > a (v sorted). */
static size_t upper_bound(const double *v, size_t n, double a)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Boundaries of one input from its sorted training values. */
static size_t boundaries(const double *v, size_t n, int n_bins, double *edge)
{
	size_t ne = 0, distinct = 1;
	for (size_t i = 1; i < n && distinct <= (size_t)n_bins; i++)
		distinct += v[i] != v[i - 1];
	if (distinct <= (size_t)n_bins) {
		for (size_t i = 1; i < n; i++)
			if (v[i] != v[i - 1])
				edge[ne++] = midpoint(v[i - 1], v[i]);
		return ne;
	}
	for (int k = 1; k < n_bins; k++) {
		size_t idx = (size_t)k * n / (size_t)n_bins;
		double a = v[idx - 1];
		size_t up = upper_bound(v, n, a);
		if (up == n)
			break;
		double e = midpoint(a, v[up]);
		if (ne == 0 || e > edge[ne - 1])
			edge[ne++] = e;
	}
	return ne;
}

/* The number of boundaries below x. */
static uint8_t bin_of(const double *edge, size_t ne, double x)
{
	size_t lo = 0, hi = ne;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (edge[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (uint8_t)lo;
}

/* ---- state of a fit ---- */

struct cell {
	double g, h;
	uint32_t c;
};

struct split {
	int feature; /* -1: none */
	int bin;     /* rows with bin <= this go left */
	double gain, gl, hl;
	uint32_t cl;
};

struct tnode {
	double g, h;
	uint32_t c;
	int feature, bin, left, right; /* left -1: a leaf */
	double gain, value;
};

struct state {
	size_t n, m;
	int n_bins;
	const struct rebuy_gbm_options *o;
	uint8_t *bins;   /* m x n, column-major */
	double *edge;    /* m x (n_bins - 1) */
	size_t *n_edges; /* m */
	double *f, *g, *h, *delta;
	int32_t *pos;      /* each row's node in the current level, -1 when settled */
	int32_t *leaf;     /* each row's node in the tree being built */
	struct cell *hist; /* level nodes x m x n_bins */
	size_t n_level;
	struct tnode *tn; /* the tree being built */
	int n_tn;
	int32_t *level, *next; /* node ids of the level */
};

static enum rebuy_status hist_feature(void *ud, size_t j, unsigned thread)
{
	(void)thread;
	struct state *s = ud;
	size_t nb = (size_t)s->n_bins, m = s->m;
	for (size_t t = 0; t < s->n_level; t++)
		memset(s->hist + (t * m + j) * nb, 0, nb * sizeof *s->hist);
	const uint8_t *bj = s->bins + j * s->n;
	for (size_t i = 0; i < s->n; i++) {
		int32_t t = s->pos[i];
		if (t < 0)
			continue;
		struct cell *c = s->hist + ((size_t)t * m + j) * nb + bj[i];
		c->g += s->g[i];
		c->h += s->h[i];
		c->c++;
	}
	return REBUY_OK;
}

static double score(double g, double h, double l2)
{
	return g * g / (h + l2);
}

/* The best split of level node t over every input and boundary. */
static struct split best_split(const struct state *s, size_t t, const struct tnode *nd)
{
	struct split best = {.feature = -1};
	double l2 = s->o->l2, parent = score(nd->g, nd->h, l2);
	size_t nb = (size_t)s->n_bins, min_leaf = s->o->min_leaf ? s->o->min_leaf : 1;
	for (size_t j = 0; j < s->m; j++) {
		const struct cell *c = s->hist + (t * s->m + j) * nb;
		double gl = 0, hl = 0;
		uint32_t cl = 0;
		for (size_t k = 0; k < s->n_edges[j]; k++) {
			gl += c[k].g;
			hl += c[k].h;
			cl += c[k].c;
			if (cl < min_leaf)
				continue;
			if (nd->c - cl < min_leaf)
				break;
			double children = score(gl, hl, l2) + score(nd->g - gl, nd->h - hl, l2);
			double gain = children - parent;
			/* Rounding leaves gains of about 1e-16 of the terms on useless splits. */
			if (gain > 1e-12 * (children + parent) && gain > best.gain) {
				best = (struct split){(int)j, (int)k, gain, gl, hl, cl};
			}
		}
	}
	return best;
}

static int add_node(struct state *s, double g, double h, uint32_t c)
{
	struct tnode *nd = &s->tn[s->n_tn];
	*nd = (struct tnode){.g = g, .h = h, .c = c, .feature = -1, .left = -1, .right = -1};
	return s->n_tn++;
}

/* Grows one tree on the current g, h; leaves each row's node in leaf. */
static enum rebuy_status grow(struct state *s, unsigned threads)
{
	double g = 0, h = 0;
	for (size_t i = 0; i < s->n; i++) {
		g += s->g[i];
		h += s->h[i];
		s->pos[i] = 0;
		s->leaf[i] = 0;
	}
	s->n_tn = 0;
	s->level[0] = add_node(s, g, h, (uint32_t)s->n);
	s->n_level = 1;
	for (int depth = 0; depth < s->o->depth && s->n_level; depth++) {
		enum rebuy_status st = rebuy__parallel_for(threads, s->m, hist_feature, s);
		if (st)
			return st;
		size_t n_next = 0;
		int32_t map[2 * (1 << REBUY_GBM_MAX_DEPTH)]; /* level slot -> left child's slot */
		for (size_t t = 0; t < s->n_level; t++) {
			struct tnode *nd = &s->tn[s->level[t]];
			struct split b = best_split(s, t, nd);
			map[t] = -1;
			if (b.feature < 0)
				continue;
			nd->feature = b.feature;
			nd->bin = b.bin;
			nd->gain = b.gain;
			nd->left = add_node(s, b.gl, b.hl, b.cl);
			nd = &s->tn[s->level[t]];
			nd->right = add_node(s, nd->g - b.gl, nd->h - b.hl, nd->c - b.cl);
			map[t] = (int32_t)n_next;
			s->next[n_next++] = nd->left;
			s->next[n_next++] = nd->right;
		}
		for (size_t i = 0; i < s->n; i++) {
			int32_t t = s->pos[i];
			if (t < 0)
				continue;
			if (map[t] < 0) {
				s->pos[i] = -1;
				continue;
			}
			const struct tnode *nd = &s->tn[s->level[t]];
			int right = s->bins[(size_t)nd->feature * s->n + i] > nd->bin;
			s->pos[i] = map[t] + right;
			s->leaf[i] = right ? nd->right : nd->left;
		}
		memcpy(s->level, s->next, n_next * sizeof *s->level);
		s->n_level = n_next;
	}
	for (int k = 0; k < s->n_tn; k++)
		if (s->tn[k].left < 0)
			s->tn[k].value =
			        -s->o->learning_rate * s->tn[k].g / (s->tn[k].h + s->o->l2);
	return REBUY_OK;
}

static double mean_loss(const double *f, const uint8_t *y, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += softplus(f[i]) - (y[i] ? f[i] : 0.0);
	return s / (double)n;
}

/* The change of the summed loss when each margin f moves by scale x
 * delta, summed from each row's own change: near the optimum the loss is
 * flat to the rounding of its value long before the margins stop moving,
 * so comparing two sums of losses would stall the fit at ~1e-8 of it. A
 * row's change, log(1 - p + p e^d) - y d with p = sigmoid(f), is
 * log1p(p expm1(d)) - y d for small d, exact to rounding. */
static double loss_change(const double *f, const double *delta, const uint8_t *y, size_t n,
                          double scale)
{
	double s = 0;
	for (size_t i = 0; i < n; i++) {
		double d = scale * delta[i], c;
		if (fabs(d) <= 1)
			c = log1p(sigmoid(f[i]) * expm1(d));
		else
			c = softplus(f[i] + d) - softplus(f[i]);
		s += c - (y[i] ? d : 0.0);
	}
	return s;
}

/* Appends the tree in s->tn to the model, its leaf values times scale. */
static enum rebuy_status keep_tree(struct state *s, struct rebuy_gbm *g, size_t *cap, double scale)
{
	size_t at = g->tree_start[g->n_trees];
	enum rebuy_status st = rebuy__grow((void **)&g->nodes, cap, at + (size_t)s->n_tn,
	                                   sizeof *g->nodes, SIZE_MAX / 64);
	if (st)
		return st;
	for (int k = 0; k < s->n_tn; k++) {
		const struct tnode *t = &s->tn[k];
		struct rebuy_gbm_node *nd = &g->nodes[at + (size_t)k];
		nd->feature = t->left < 0 ? -1 : t->feature;
		nd->left = t->left;
		nd->right = t->right;
		nd->threshold = t->left < 0 ? 0.0
		                            : s->edge[(size_t)t->feature * (size_t)(s->n_bins - 1) +
		                                      (size_t)t->bin];
		nd->value = t->left < 0 ? t->value * scale : 0.0;
		if (t->left >= 0)
			g->gain[t->feature] += t->gain;
	}
	g->n_trees++;
	g->tree_start[g->n_trees] = at + (size_t)s->n_tn;
	return REBUY_OK;
}

static enum rebuy_status check(const double *x, size_t n, size_t m, const uint8_t *y,
                               const struct rebuy_gbm_options *o, size_t *pos,
                               struct rebuy_error *err)
{
	size_t cells;
	if (n == 0 || m == 0 || n > UINT32_MAX || rebuy__mul_overflows(n, m, &cells))
		return rebuy_error_set(err, REBUY_EARG,
		                       "boosting needs 1 to 2^32 - 1 rows and inputs");
	if (o->n_rounds < 1 || o->n_rounds > REBUY_GBM_MAX_ROUNDS)
		return rebuy_error_set(err, REBUY_EARG, "rounds must be from 1 to %d",
		                       REBUY_GBM_MAX_ROUNDS);
	if (o->depth < 1 || o->depth > REBUY_GBM_MAX_DEPTH)
		return rebuy_error_set(err, REBUY_EARG, "the tree depth must be from 1 to %d",
		                       REBUY_GBM_MAX_DEPTH);
	if (!(o->learning_rate > 0 && o->learning_rate <= 1))
		return rebuy_error_set(err, REBUY_EARG, "the learning rate must be in (0, 1]");
	if (!(o->l2 >= 0) || !isfinite(o->l2))
		return rebuy_error_set(err, REBUY_EARG, "the leaf penalty must be a number >= 0");
	if (o->n_bins < 2 || o->n_bins > REBUY_GBM_MAX_BINS)
		return rebuy_error_set(err, REBUY_EARG, "bins must be from 2 to %d",
		                       REBUY_GBM_MAX_BINS);
	for (size_t i = 0; i < cells; i++)
		if (!isfinite(x[i]))
			return rebuy_error_set(err, REBUY_EDATA,
			                       "input %zu of row %zu is not a finite number",
			                       i % m + 1, i / m + 1);
	*pos = 0;
	for (size_t i = 0; i < n; i++)
		*pos += y[i] != 0;
	if (*pos == 0 || *pos == n)
		return rebuy_error_set(err, REBUY_EDATA,
		                       "boosting needs both labels in the training rows (all %zu "
		                       "are %d)",
		                       n, *pos ? 1 : 0);
	return REBUY_OK;
}

static void state_free(struct state *s)
{
	rebuy__free(s->bins);
	rebuy__free(s->edge);
	rebuy__free(s->n_edges);
	rebuy__free(s->f);
	rebuy__free(s->g);
	rebuy__free(s->h);
	rebuy__free(s->delta);
	rebuy__free(s->pos);
	rebuy__free(s->leaf);
	rebuy__free(s->hist);
	rebuy__free(s->tn);
	rebuy__free(s->level);
	rebuy__free(s->next);
}

static enum rebuy_status state_init(struct state *s, const double *x, size_t n, size_t m,
                                    const struct rebuy_gbm_options *o)
{
	size_t nb = (size_t)o->n_bins, cells, max_nodes = ((size_t)2 << o->depth) - 1;
	size_t level_max = (size_t)1 << o->depth;
	memset(s, 0, sizeof *s);
	s->n = n;
	s->m = m;
	s->n_bins = o->n_bins;
	s->o = o;
	if (rebuy__mul_overflows(n, m, &cells))
		return REBUY_ENOMEM;
	s->bins = rebuy__malloc(cells);
	s->edge = rebuy__calloc(m * (nb - 1), sizeof *s->edge);
	s->n_edges = rebuy__calloc(m, sizeof *s->n_edges);
	s->f = rebuy__calloc(n, sizeof *s->f);
	s->g = rebuy__calloc(n, sizeof *s->g);
	s->h = rebuy__calloc(n, sizeof *s->h);
	s->delta = rebuy__calloc(n, sizeof *s->delta);
	s->pos = rebuy__calloc(n, sizeof *s->pos);
	s->leaf = rebuy__calloc(n, sizeof *s->leaf);
	s->hist = rebuy__calloc(level_max / 2 * m * nb, sizeof *s->hist);
	s->tn = rebuy__calloc(max_nodes, sizeof *s->tn);
	s->level = rebuy__calloc(level_max, sizeof *s->level);
	s->next = rebuy__calloc(level_max, sizeof *s->next);
	double *col = rebuy__malloc(n * sizeof *col);
	enum rebuy_status st = REBUY_ENOMEM;
	if (!s->bins || !s->edge || !s->n_edges || !s->f || !s->g || !s->h || !s->delta ||
	    !s->pos || !s->leaf || !s->hist || !s->tn || !s->level || !s->next || !col)
		goto out;
	for (size_t j = 0; j < m; j++) {
		double *edge = s->edge + j * (nb - 1);
		for (size_t i = 0; i < n; i++)
			col[i] = x[i * m + j];
		qsort(col, n, sizeof *col, dbl_cmp);
		s->n_edges[j] = boundaries(col, n, o->n_bins, edge);
		for (size_t i = 0; i < n; i++)
			s->bins[j * n + i] = bin_of(edge, s->n_edges[j], x[i * m + j]);
	}
	st = REBUY_OK;
out:
	rebuy__free(col);
	return st;
}

/* One round: a tree on the current gradients, its step halved until the
 * loss does not rise. *kept 0 when no step lowered it. */
static enum rebuy_status round_once(struct state *s, struct rebuy_gbm *g, size_t *cap,
                                    const uint8_t *y, unsigned threads, double *loss, int *kept)
{
	for (size_t i = 0; i < s->n; i++) {
		double p = sigmoid(s->f[i]);
		s->g[i] = p - (y[i] ? 1.0 : 0.0);
		s->h[i] = p * (1 - p);
	}
	enum rebuy_status st = grow(s, threads);
	if (st)
		return st;
	for (size_t i = 0; i < s->n; i++)
		s->delta[i] = s->tn[s->leaf[i]].value;
	double scale = 1;
	*kept = 0;
	for (int k = 0; k <= MAX_HALVINGS; k++, scale /= 2) {
		double change = loss_change(s->f, s->delta, y, s->n, scale);
		if (change <= 0) {
			if (k)
				g->n_halved++;
			if ((st = keep_tree(s, g, cap, scale)))
				return st;
			for (size_t i = 0; i < s->n; i++)
				s->f[i] += scale * s->delta[i];
			*loss += change / (double)s->n; /* adding a change <= 0: never up */
			*kept = 1;
			return REBUY_OK;
		}
	}
	return REBUY_OK;
}

enum rebuy_status rebuy_gbm_fit(const double *x, size_t n, size_t m, const uint8_t *y,
                                const struct rebuy_gbm_options *o, struct rebuy_gbm **out,
                                struct rebuy_error *err)
{
	*out = NULL;
	size_t pos = 0;
	enum rebuy_status st = check(x, n, m, y, o, &pos, err);
	if (st)
		return st;
	struct state s;
	size_t cap = 0;
	struct rebuy_gbm *g = rebuy__calloc(1, sizeof *g);
	st = REBUY_ENOMEM;
	if (!g || (st = state_init(&s, x, n, m, o)) != REBUY_OK) {
		if (g)
			state_free(&s);
		goto out;
	}
	st = REBUY_ENOMEM;
	g->n_features = m;
	g->tree_start = rebuy__calloc((size_t)o->n_rounds + 1, sizeof *g->tree_start);
	g->train_log_loss = rebuy__calloc((size_t)o->n_rounds + 1, sizeof *g->train_log_loss);
	g->gain = rebuy__calloc(m, sizeof *g->gain);
	if (!g->tree_start || !g->train_log_loss || !g->gain)
		goto done;
	g->base = log((double)pos / (double)(n - pos));
	for (size_t i = 0; i < n; i++)
		s.f[i] = g->base;
	double loss = mean_loss(s.f, y, n);
	g->train_log_loss[0] = loss;
	unsigned threads = n * m < SERIAL_CELLS ? 1
	                   : o->n_threads       ? o->n_threads
	                                        : rebuy__cpu_count();
	for (int r = 0; r < o->n_rounds; r++) {
		int kept;
		if ((st = round_once(&s, g, &cap, y, threads, &loss, &kept)))
			goto done;
		if (!kept)
			break; /* no tree lowers the loss: boosting has converged */
		g->train_log_loss[g->n_trees] = loss;
		if (o->progress)
			o->progress(o->progress_ud, (uint64_t)r + 1, (uint64_t)o->n_rounds);
	}
	st = REBUY_OK;
	*out = g;
	g = NULL;
done:
	state_free(&s);
out:
	if (st == REBUY_ENOMEM)
		rebuy_error_set(err, st, "out of memory fitting the boosted trees");
	rebuy_gbm_free(g);
	return st;
}
