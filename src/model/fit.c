/* Fitting the customer-lifetime models: the data compressed to unique rows
 * with counts, maximum likelihood on the log parameters from several
 * starts, standard errors from the Hessian, and a status that says how the
 * fit ended; see rebuy/clv.h. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/parallel.h"
#include "model/clv_int.h"
#include "model/optim.h"
#include "model/pairs.h"
#include "rebuy/clv.h"

/* |log param| beyond this (a parameter below 1e-6 or above 1e6 times one)
 * is a parameter running off to a boundary of the model. */
#define LOG_BOUND 13.815510557964274

static const struct rebuy__clv_model *const models[REBUY_CLV_MODEL_COUNT] = {
        [REBUY_CLV_BGNBD] = &rebuy__model_bgnbd, [REBUY_CLV_MBGNBD] = &rebuy__model_mbgnbd,
        [REBUY_CLV_PNBD] = &rebuy__model_pnbd,   [REBUY_CLV_BGBB] = &rebuy__model_bgbb,
        [REBUY_CLV_SBG] = &rebuy__model_sbg,
};

static const char *const model_names[REBUY_CLV_MODEL_COUNT] = {
        "bgnbd", "mbgnbd", "pnbd", "bgbb", "sbg",
};

const char *rebuy_clv_model_name(enum rebuy_clv_model m)
{
	return (unsigned)m < REBUY_CLV_MODEL_COUNT ? model_names[m] : "?";
}

const char *rebuy_clv_model_title(enum rebuy_clv_model m)
{
	static const char *const titles[REBUY_CLV_MODEL_COUNT] = {"BG/NBD", "MBG/NBD", "Pareto/NBD",
	                                                          "BG/BB", "sBG"};
	return (unsigned)m < REBUY_CLV_MODEL_COUNT ? titles[m] : "?";
}

enum rebuy_status rebuy_clv_model_from_name(const char *name, enum rebuy_clv_model *out,
                                            struct rebuy_error *err)
{
	for (int m = 0; m < REBUY_CLV_MODEL_COUNT; m++) {
		if (strcmp(name, model_names[m]) == 0) {
			*out = (enum rebuy_clv_model)m;
			return REBUY_OK;
		}
	}
	return rebuy_error_set(err, REBUY_EARG,
	                       "unknown model '%s' (bgnbd, mbgnbd, pnbd, bgbb or sbg)", name);
}

void rebuy_clv_fit_options_init(struct rebuy_clv_fit_options *o)
{
	memset(o, 0, sizeof *o);
	o->model = REBUY_CLV_PNBD;
}

/* What parameters at a bound mean, per model: one or two parameters with
 * their directions (0: -> 0, 1: -> infinity) and the words. Pairs come
 * first: a Gamma or Beta mixing distribution whose two parameters both run
 * to infinity (their ratio settling) is one with no spread left, which is
 * not what either limit means alone. */
struct bound_words {
	const char *model, *p1;
	int up1;
	const char *p2; /* NULL: a rule for p1 alone */
	int up2;
	const char *means;
};

static const struct bound_words bounds[] = {
        {"bgnbd", "r", 1, "alpha", 1, "purchase rates become the same for every customer"},
        {"mbgnbd", "r", 1, "alpha", 1, "purchase rates become the same for every customer"},
        {"pnbd", "r", 1, "alpha", 1, "purchase rates become the same for every customer"},
        {"bgnbd", "a", 1, "b", 1, "the dropout probability becomes the same for every customer"},
        {"mbgnbd", "a", 1, "b", 1, "the dropout probability becomes the same for every customer"},
        {"pnbd", "s", 1, "beta", 1, "dropout rates become the same for every customer"},
        {"bgbb", "alpha", 1, "beta", 1,
         "the transaction probability becomes the same for every customer"},
        {"bgbb", "gamma", 1, "delta", 1,
         "the dropout probability becomes the same for every customer"},
        {"sbg", "alpha", 1, "beta", 1, "the churn probability becomes the same for every customer"},
        {"gg", "q", 1, "gamma", 1, "the spend level becomes the same for every customer"},
        {"gg", "p", 1, "gamma", 0, "each customer's purchases all have the same value"},
        {"bgnbd", "a", 0, "b", 1, "customers never drop out"},
        {"mbgnbd", "a", 0, "b", 1, "customers never drop out"},
        {"bgnbd", "a", 0, NULL, 0, "customers never drop out"},
        {"bgnbd", "b", 1, NULL, 0, "customers never drop out"},
        {"bgnbd", "b", 0, NULL, 0, "every customer drops out after the first repeat purchase"},
        {"mbgnbd", "a", 0, NULL, 0, "customers never drop out"},
        {"mbgnbd", "b", 1, NULL, 0, "customers never drop out"},
        {"mbgnbd", "b", 0, NULL, 0, "every customer drops out at the first purchase"},
        {"pnbd", "s", 0, "beta", 1, "customers never drop out"},
        {"pnbd", "s", 0, NULL, 0, "the dropout rate vanishes: customers never drop out"},
        {"pnbd", "beta", 1, NULL, 0, "the dropout rate vanishes: customers never drop out"},
        {"bgbb", "gamma", 0, NULL, 0, "customers never drop out"},
        {"bgbb", "delta", 1, NULL, 0, "customers never drop out"},
        {"sbg", "alpha", 0, NULL, 0, "no contract ever ends"},
        {"sbg", "beta", 1, NULL, 0, "no contract ever ends"},
};

static int param_index(const struct rebuy__clv_model *m, const char *name)
{
	for (int i = 0; i < m->n_params; i++)
		if (strcmp(m->param_names[i], name) == 0)
			return i;
	return -1;
}

/* Appends "p1 -> dir[, p2 -> dir][: means]" (one dir when both agree). */
static void emit(char *out, size_t size, size_t *len, const struct rebuy__clv_model *m,
                 const double *y, int a1, int a2, const char *means)
{
	const char *d1 = y[a1] > 0 ? "infinity" : "0", *sep = *len ? "; " : "boundary: ";
	char names[96];
	if (a2 < 0)
		snprintf(names, sizeof names, "%s -> %s", m->param_names[a1], d1);
	else if ((y[a1] > 0) == (y[a2] > 0))
		snprintf(names, sizeof names, "%s, %s -> %s", m->param_names[a1],
		         m->param_names[a2], d1);
	else
		snprintf(names, sizeof names, "%s -> %s, %s -> %s", m->param_names[a1], d1,
		         m->param_names[a2], y[a2] > 0 ? "infinity" : "0");
	int w = snprintf(out + *len, size - *len, "%s%s%s%s", sep, names, means ? ": " : "",
	                 means ? means : "");
	if (w > 0 && (size_t)w < size - *len)
		*len += (size_t)w;
}

/* "boundary: r, alpha -> infinity: purchase rates become the same for every
 * customer; ..." for the parameters beyond LOG_BOUND, each explained by the
 * first rule that covers it (those no rule covers are listed bare); "" when
 * none is at a bound. */
static void boundary_status(const struct rebuy__clv_model *m, const double *y, char *out,
                            size_t size)
{
	int done[REBUY__CLV_MAX_PARAMS] = {0};
	size_t len = 0;
	out[0] = '\0';
#define AT(i, up) ((i) >= 0 && !done[i] && fabs(y[i]) > LOG_BOUND && (y[i] > 0) == (up))
	for (size_t k = 0; k < sizeof bounds / sizeof *bounds; k++) {
		const struct bound_words *b = &bounds[k];
		if (strcmp(b->model, m->name) != 0)
			continue;
		int i = param_index(m, b->p1), j = b->p2 ? param_index(m, b->p2) : -1;
		if (!AT(i, b->up1) || (b->p2 && !AT(j, b->up2)))
			continue;
		emit(out, size, &len, m, y, i, j, b->means);
		done[i] = 1;
		if (j >= 0)
			done[j] = 1;
	}
	for (int i = 0; i < m->n_params; i++)
		if (AT(i, y[i] > 0))
			emit(out, size, &len, m, y, i, -1, NULL);
#undef AT
}

/* ---- compressing the data to unique rows ---- */

/* The rows come out sorted by (x, t_x, T) as numbers, each with the sum of
 * its entries' weights taken in a fixed order (the weight groups, smallest
 * weight first, each group one product count x weight), so that the
 * likelihood's sums, and so the fit, are the same bits for any order of the
 * customers and for a table that aggregates them with whole weights. */

struct rows {
	struct rebuy__clv_rows r;
	double *x, *t_x, *T, *w;
};

static void rows_free(struct rows *r)
{
	rebuy__free(r->x);
	rebuy__free(r->t_x);
	rebuy__free(r->T);
	rebuy__free(r->w);
}

static uint64_t bits_of(double v)
{
	uint64_t k;
	v += 0.0; /* -0 and 0 are one value */
	memcpy(&k, &v, sizeof k);
	return k;
}

/* The bits of v as an unsigned number in the order of the values: a total
 * order (negatives below positives, NaNs at the ends). */
static uint64_t order_key(double v)
{
	uint64_t k = bits_of(v);
	return k >> 63 ? ~k : k | (uint64_t)1 << 63;
}

struct ranked {
	uint64_t key;
	uint32_t id;
};

static int cmp_ranked(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;
	return (a->key > b->key) - (a->key < b->key);
}

/* key[i] = a number that orders col[0..u) as its values: the rank among
 * its distinct values, or, when all are whole numbers below 2^32, the value
 * less the smallest (counts and days need no table); *max the largest key,
 * 0 when every value is the same. REBUY_ENOMEM. */
static enum rebuy_status rank_column(const double *col, size_t u, uint32_t *key, uint32_t *max)
{
	int whole = 1;
	double lo = u ? col[0] : 0;
	for (size_t i = 0; i < u && whole; i++) {
		whole = col[i] >= 0 && col[i] < 4294967296.0 && col[i] == floor(col[i]);
		lo = col[i] < lo ? col[i] : lo;
	}
	*max = 0;
	if (whole) {
		for (size_t i = 0; i < u; i++) {
			key[i] = (uint32_t)(col[i] - lo);
			*max = key[i] > *max ? key[i] : *max;
		}
		return REBUY_OK;
	}
	struct rebuy__pair_table t = {0};
	struct ranked *v = NULL;
	uint32_t *rank = NULL;
	enum rebuy_status st;
	for (size_t i = 0; i < u; i++)
		if ((st = rebuy__pair_add(&t, col[i], 0, &key[i])) != REBUY_OK)
			goto out;
	st = REBUY_ENOMEM;
	if (!(v = rebuy__malloc(t.n * sizeof *v)) || !(rank = rebuy__malloc(t.n * sizeof *rank)))
		goto out;
	for (size_t j = 0; j < t.n; j++)
		v[j] = (struct ranked){order_key(t.vals[j].a), (uint32_t)j};
	qsort(v, t.n, sizeof *v, cmp_ranked); /* keys are distinct */
	for (size_t j = 0; j < t.n; j++)
		rank[v[j].id] = (uint32_t)j;
	for (size_t i = 0; i < u; i++)
		key[i] = rank[key[i]];
	*max = (uint32_t)(t.n - 1);
	st = REBUY_OK;
out:
	rebuy__free(v);
	rebuy__free(rank);
	rebuy__pair_table_release(&t);
	return st;
}

#define DIGIT_BITS 11

/* Stable LSD radix passes over (*a)[0..u) by key[(*a)[i]], b the scratch of
 * as many; the sorted order may end in either buffer (swapped into *a). */
static void radix_by(const uint32_t *key, uint32_t max, uint32_t **a, uint32_t **b, size_t u)
{
	uint32_t count[1u << DIGIT_BITS];
	for (int shift = 0; shift < 32 && (max >> shift); shift += DIGIT_BITS) {
		uint32_t *src = *a, *dst = *b, mask = (1u << DIGIT_BITS) - 1;
		memset(count, 0, sizeof count);
		for (size_t i = 0; i < u; i++)
			count[key[src[i]] >> shift & mask]++;
		uint32_t sum = 0;
		for (size_t d = 0; d <= mask; d++) {
			uint32_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < u; i++)
			dst[count[key[src[i]] >> shift & mask]++] = src[i];
		*a = dst;
		*b = src;
	}
}

/* Puts row perm[k] at k for every column (perm is spent: it ends as the
 * identity). */
static void permute(struct rows *o, uint32_t *cnt, uint32_t *perm, size_t u)
{
	for (size_t i = 0; i < u; i++) {
		if (perm[i] == i)
			continue;
		double x = o->x[i], t = o->t_x[i], T = o->T[i], w = o->w[i];
		uint32_t c = cnt[i];
		size_t j = i;
		for (size_t k; (k = perm[j]) != i; j = k) {
			o->x[j] = o->x[k];
			o->t_x[j] = o->t_x[k];
			o->T[j] = o->T[k];
			o->w[j] = o->w[k];
			cnt[j] = cnt[k];
			perm[j] = (uint32_t)j;
		}
		o->x[j] = x;
		o->t_x[j] = t;
		o->T[j] = T;
		o->w[j] = w;
		cnt[j] = c;
		perm[j] = (uint32_t)j;
	}
}

/* Puts the row numbers in *a (0..u-1 on entry) in the order of the values
 * of cols[0], then cols[1], ...: each column ranked, then stable LSD radix
 * passes from the last column to the first, *b the scratch of as many; the
 * order may end in either buffer (swapped into *a). REBUY_ENOMEM. */
static enum rebuy_status order_by(const double *const *cols, size_t n_cols, size_t u, uint32_t **a,
                                  uint32_t **b)
{
	uint32_t *key = rebuy__malloc((u ? u : 1) * sizeof *key);
	if (!key)
		return REBUY_ENOMEM;
	for (size_t c = n_cols; c-- > 0;) {
		uint32_t max;
		enum rebuy_status st = rank_column(cols[c], u, key, &max);
		if (st != REBUY_OK) {
			rebuy__free(key);
			return st;
		}
		radix_by(key, max, a, b, u);
	}
	rebuy__free(key);
	return REBUY_OK;
}

/* Sorts the u distinct (x, t_x, T, w) of o by their values, with cnt
 * alongside; the row numbers live in buf (2u of them, the hash table's
 * memory). */
static enum rebuy_status sort_rows(struct rows *o, uint32_t *cnt, size_t u, uint32_t *buf)
{
	uint32_t *a = buf, *b = buf + u;
	for (size_t i = 0; i < u; i++)
		a[i] = (uint32_t)i;
	const double *cols[] = {o->x, o->t_x, o->T, o->w};
	enum rebuy_status st = order_by(cols, sizeof cols / sizeof *cols, u, &a, &b);
	if (st == REBUY_OK)
		permute(o, cnt, a, u);
	return st;
}

enum rebuy_status rebuy__clv_value_order(const double *const *cols, size_t n_cols, size_t n,
                                         uint32_t **out)
{
	*out = NULL;
	size_t m = n ? n : 1;
	uint32_t *perm = n < UINT32_MAX ? rebuy__malloc(m * sizeof *perm) : NULL;
	uint32_t *scratch = perm ? rebuy__malloc(m * sizeof *scratch) : NULL;
	if (!scratch) {
		rebuy__free(perm);
		return REBUY_ENOMEM;
	}
	uint32_t *a = perm, *b = scratch;
	for (size_t i = 0; i < n; i++)
		a[i] = (uint32_t)i;
	enum rebuy_status st = order_by(cols, n_cols, n, &a, &b);
	if (st == REBUY_OK && a != perm)
		memcpy(perm, a, n * sizeof *perm);
	rebuy__free(scratch);
	if (st != REBUY_OK) {
		rebuy__free(perm);
		return st;
	}
	*out = perm;
	return REBUY_OK;
}

/* The unique (x, t_x, T) of the entries that `use` accepts (all when NULL)
 * and have a weight > 0, sorted, with their summed weights (see above): one
 * pass with an open-addressing table of row numbers over the output columns
 * themselves finds the distinct (x, t_x, T, w) and counts them, a radix
 * sort orders them, and the runs of one (x, t_x, T) are summed. For spend
 * fits, t_x is the monetary value. Memory per entry: the four columns and a
 * count (36 bytes) and the table (8 to 16 bytes, the sort's row numbers
 * after), plus a key per distinct row and the tables of ranks while sorting;
 * O(n) time but for the ranks' sort of each column's distinct values. */
static enum rebuy_status compress(const double *x, const double *t_x, const double *T,
                                  const double *w, size_t n, const unsigned char *use,
                                  struct rows *out)
{
	memset(out, 0, sizeof *out);
	size_t cap = 1024, m = n ? n : 1, u = 0;
	while (cap < 2 * m)
		cap *= 2;
	uint32_t *slots = n > UINT32_MAX - 1 ? NULL : rebuy__calloc(cap, sizeof *slots);
	uint32_t *cnt = rebuy__malloc(m * sizeof *cnt);
	out->x = rebuy__malloc(m * sizeof *out->x);
	out->t_x = rebuy__malloc(m * sizeof *out->t_x);
	out->T = rebuy__malloc(m * sizeof *out->T);
	out->w = rebuy__malloc(m * sizeof *out->w);
	enum rebuy_status st = REBUY_ENOMEM;
	if (!slots || !cnt || !out->x || !out->t_x || !out->T || !out->w)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		if ((use && !use[i]) || !(w[i] > 0))
			continue;
		double xi = x[i], ti = t_x[i], Ti = T ? T[i] : 0;
		uint64_t kx = bits_of(xi), kt = bits_of(ti), kT = bits_of(Ti), kw = bits_of(w[i]);
		uint64_t h = ((kx * 0x9e3779b97f4a7c15u ^ kt) * 0xbf58476d1ce4e5b9u ^ kT) *
		                     0x9e3779b97f4a7c15u ^
		             kw;
		h ^= h >> 31;
		h *= 0x94d049bb133111ebu;
		size_t sl = (size_t)(h >> 17) & (cap - 1);
		for (;; sl = (sl + 1) & (cap - 1)) {
			uint32_t r = slots[sl];
			if (!r) {
				slots[sl] = (uint32_t)(u + 1);
				out->x[u] = xi + 0.0;
				out->t_x[u] = ti + 0.0;
				out->T[u] = Ti + 0.0;
				out->w[u] = w[i];
				cnt[u++] = 1;
				break;
			}
			if (bits_of(out->x[r - 1]) == kx && bits_of(out->t_x[r - 1]) == kt &&
			    bits_of(out->T[r - 1]) == kT && bits_of(out->w[r - 1]) == kw) {
				cnt[r - 1]++;
				break;
			}
		}
	}
	/* cap >= 2 m >= 2 u: the table's memory holds the sort's row numbers. */
	if ((st = sort_rows(out, cnt, u, slots)) != REBUY_OK)
		goto fail;
	size_t k = 0;
	for (size_t i = 0; i < u; k++) {
		double sum = cnt[i] * out->w[i];
		size_t j = i + 1;
		for (; j < u && bits_of(out->x[j]) == bits_of(out->x[i]) &&
		       bits_of(out->t_x[j]) == bits_of(out->t_x[i]) &&
		       bits_of(out->T[j]) == bits_of(out->T[i]);
		     j++)
			sum += cnt[j] * out->w[j];
		out->x[k] = out->x[i];
		out->t_x[k] = out->t_x[i];
		out->T[k] = out->T[i];
		out->w[k] = sum;
		i = j;
	}
	rebuy__free(slots);
	rebuy__free(cnt);
	out->r = (struct rebuy__clv_rows){k, out->x, out->t_x, out->T, out->w};
	return REBUY_OK;
fail:
	rebuy__free(slots);
	rebuy__free(cnt);
	rows_free(out);
	memset(out, 0, sizeof *out);
	return st;
}

/* ---- the objective ---- */

struct objective {
	const struct rebuy__clv_model *m;
	const struct rebuy__clv_rows *rows;
	const void *state;
	unsigned n_threads;
	double total_w, penalty;
};

/* f(y) = -LL(exp y) / W + penalty * sum(exp(2 y)): the mean keeps the scale
 * of f and of its gradient the same for any number of customers. */
static enum rebuy_status objective(void *ud, const double *y, double *f, double *g)
{
	const struct objective *o = ud;
	double p[REBUY__CLV_MAX_PARAMS], ll, grad[REBUY__CLV_MAX_PARAMS];
	int n = o->m->n_params;
	for (int i = 0; i < n; i++) {
		p[i] = exp(y[i]);
		if (!(p[i] > 0) || !isfinite(p[i])) {
			*f = NAN;
			return REBUY_OK;
		}
	}
	enum rebuy_status st = o->m->loglik(p, o->rows, o->state, o->n_threads, &ll, grad);
	if (st != REBUY_OK)
		return st;
	*f = -ll / o->total_w;
	for (int i = 0; i < n; i++) {
		g[i] = -grad[i] / o->total_w;
		if (o->penalty > 0) {
			*f += o->penalty * p[i] * p[i];
			g[i] += 2 * o->penalty * p[i] * p[i];
		}
	}
	return REBUY_OK;
}

/* Deterministic extra starts around the first: each parameter scaled by
 * 10^(+-1) in a fixed pattern. */
static const signed char start_pattern[][REBUY__CLV_MAX_PARAMS] = {
        {-1, -1, -1, -1}, {1, 1, 1, 1},   {-1, 1, -1, 1},
        {1, -1, 1, -1},   {-1, -1, 1, 1}, {1, 1, -1, -1},
};

static int ranks_better(const struct rebuy__optim_result *a, int a_ok,
                        const struct rebuy__optim_result *b, int b_ok)
{
	if (a_ok != b_ok)
		return a_ok > b_ok;
	return a->f < b->f;
}

static enum rebuy_status fit_one(const struct rebuy__clv_model *m,
                                 const struct rebuy__clv_rows *rows, double total_w,
                                 const struct rebuy_clv_fit_options *opts,
                                 struct rebuy_clv_estimate *est, struct rebuy_error *err)
{
	memset(est, 0, sizeof *est);
	int n = m->n_params;
	est->n_params = n;
	for (int i = 0; i < n; i++)
		est->names[i] = m->param_names[i];
	est->n_customers = total_w;
	est->n_rows = rows->n;
	void *state = NULL;
	enum rebuy_status st;
	if (m->prepare && (st = m->prepare(rows, &state)) != REBUY_OK)
		return rebuy_error_set(err, st, "out of memory");
	struct objective ob = {m,       rows,
	                       state,   opts->n_threads ? opts->n_threads : rebuy__cpu_count(),
	                       total_w, opts->penalty};
	double p0[REBUY__CLV_MAX_PARAMS], y0[REBUY__CLV_MAX_PARAMS];
	m->start(rows, p0);
	for (int i = 0; i < n; i++)
		y0[i] = log(p0[i]);
	struct rebuy__optim_options oo = {.max_iter = opts->max_iter};
	struct rebuy__optim_result best, res;
	int best_ok = -1, iterations = 0, evaluations = 0, starts = 0;
	size_t n_starts = 1 + sizeof start_pattern / sizeof *start_pattern;
	for (size_t s = 0; s < n_starts; s++) {
		double y[REBUY__CLV_MAX_PARAMS];
		for (int i = 0; i < n; i++)
			y[i] = y0[i] + (s ? start_pattern[s - 1][i] * M_LN10 : 0);
		if ((st = rebuy__optim_minimize(n, objective, &ob, y, &oo, &res)) != REBUY_OK) {
			if (m->release)
				m->release(state);
			return rebuy_error_set(err, st, "out of memory");
		}
		starts++;
		iterations += res.iterations;
		evaluations += res.evaluations;
		if (res.end == REBUY__OPTIM_START_OUTSIDE)
			continue;
		int in_bounds = 1;
		for (int i = 0; i < n; i++)
			in_bounds &= fabs(res.y[i]) <= LOG_BOUND;
		int ok = res.end == REBUY__OPTIM_CONVERGED && in_bounds;
		if (best_ok < 0 || ranks_better(&res, ok, &best, best_ok)) {
			best = res;
			best_ok = ok;
		}
		/* A clean end from the first start is the answer; otherwise
		 * look around, and stop at the first clean one that is at least
		 * as good as anything seen. */
		if (ok && best_ok && res.f <= best.f)
			break;
	}
	if (m->release)
		m->release(state);
	est->iterations = iterations;
	est->evaluations = evaluations;
	est->starts = starts;
	if (best_ok < 0)
		return rebuy_error_set(err, REBUY_EDATA,
		                       "%s: the likelihood is not finite at any starting point",
		                       m->name);
	double hcov[REBUY__OPTIM_MAX * REBUY__OPTIM_MAX];
	int has_cov = 0;
	if (best.hess_definite) {
		double l[REBUY__OPTIM_MAX * REBUY__OPTIM_MAX];
		memcpy(l, best.hess, sizeof l);
		if (rebuy__cholesky(n, l)) {
			rebuy__cholesky_inverse(n, l, hcov);
			has_cov = 1;
		}
	}
	est->has_cov = has_cov;
	for (int i = 0; has_cov && i < n * n; i++)
		est->cov_log[i] = hcov[i] / total_w;
	double gmax = 0;
	for (int i = 0; i < n; i++) {
		est->params[i] = exp(best.y[i]);
		/* Var(log theta) = (H_mean * W)^-1; delta method to theta. */
		est->se[i] = has_cov ? est->params[i] * sqrt(hcov[i * n + i] / total_w) : NAN;
		gmax = fmax(gmax, fabs(best.g[i]) * total_w);
	}
	est->gradient_max = gmax;
	/* The log-likelihood without the penalty. */
	double pen = 0;
	for (int i = 0; i < n; i++)
		pen += opts->penalty * est->params[i] * est->params[i];
	est->log_likelihood = -(best.f - pen) * total_w;
	est->converged = best_ok == 1;
	if (est->converged) {
		snprintf(est->status, sizeof est->status, "converged");
		return REBUY_OK;
	}
	boundary_status(m, best.y, est->status, sizeof est->status);
	if (est->status[0])
		return REBUY_OK;
	switch (best.end) {
	case REBUY__OPTIM_MAX_ITER:
		snprintf(est->status, sizeof est->status,
		         "not converged: the iteration limit was reached (%d iterations)",
		         iterations);
		break;
	case REBUY__OPTIM_NOT_DEFINITE:
		snprintf(est->status, sizeof est->status,
		         "not converged: the likelihood is flat or saddle-shaped at the end (the "
		         "Hessian is not definite); parameters are not identified by these data");
		break;
	default:
		snprintf(est->status, sizeof est->status,
		         "not converged: no step improves the likelihood, but its gradient is not "
		         "zero (largest %.3g)",
		         gmax);
		break;
	}
	return REBUY_OK;
}

enum rebuy_status rebuy_clv_fit(const struct rebuy_clv_data *d,
                                const struct rebuy_clv_fit_options *opts, struct rebuy_clv_fit *out,
                                struct rebuy_error *err)
{
	memset(out, 0, sizeof *out);
	if ((unsigned)opts->model >= REBUY_CLV_MODEL_COUNT)
		return rebuy_error_set(err, REBUY_EARG, "unknown model");
	const struct rebuy__clv_model *m = models[opts->model];
	out->model = opts->model;
	enum rebuy_clv_layout want = opts->model == REBUY_CLV_BGBB  ? REBUY_CLV_DISCRETE
	                             : opts->model == REBUY_CLV_SBG ? REBUY_CLV_SURVIVAL
	                                                            : REBUY_CLV_CONTINUOUS;
	static const char *const layout_words[] = {
	        "purchase histories (x, t_x, T)",
	        "discrete opportunities (frequency, recency, periods)",
	        "contract survival",
	};
	if (d->layout != want)
		return rebuy_error_set(err, REBUY_EARG, "model %s needs %s, but %s holds %s",
		                       m->name, layout_words[want], d->source,
		                       layout_words[d->layout]);
	if (opts->spend && !d->monetary)
		return rebuy_error_set(err, REBUY_EARG,
		                       "--spend gg needs purchase values (a monetary column, or "
		                       "orders with amounts)");
	if (!(opts->penalty >= 0) || !isfinite(opts->penalty))
		return rebuy_error_set(err, REBUY_EARG, "the penalty must be a number >= 0");
	double t0 = rebuy__now();
	struct rows rows;
	enum rebuy_status st = compress(d->x, d->t_x, d->layout == REBUY_CLV_SURVIVAL ? NULL : d->T,
	                                d->w, d->n, NULL, &rows);
	if (st != REBUY_OK)
		return rebuy_error_set(err, st, "out of memory");
	double total = 0;
	for (size_t i = 0; i < rows.r.n; i++)
		total += rows.r.w[i];
	if (!(total > 0)) {
		rows_free(&rows);
		return rebuy_error_set(err, REBUY_EDATA, "%s: no customers to fit", d->source);
	}
	st = fit_one(m, &rows.r, total, opts, &out->est, err);
	rows_free(&rows);
	if (st != REBUY_OK)
		return st;
	if (opts->spend) {
		/* Repeat buyers with a positive mean spend. */
		unsigned char *use = rebuy__malloc(d->n ? d->n : 1);
		if (!use)
			return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
		size_t n_use = 0;
		for (size_t i = 0; i < d->n; i++) {
			use[i] = d->x[i] > 0 && d->monetary[i] > 0 && isfinite(d->monetary[i]);
			n_use += use[i];
		}
		if (n_use == 0) {
			rebuy__free(use);
			return rebuy_error_set(
			        err, REBUY_EDATA,
			        "--spend gg: no customer has repeat purchases with a "
			        "positive value");
		}
		st = compress(d->x, d->monetary, NULL, d->w, d->n, use, &rows);
		rebuy__free(use);
		if (st != REBUY_OK)
			return rebuy_error_set(err, st, "out of memory");
		total = 0;
		for (size_t i = 0; i < rows.r.n; i++)
			total += rows.r.w[i];
		st = fit_one(&rebuy__model_gg, &rows.r, total, opts, &out->spend, err);
		rows_free(&rows);
		if (st != REBUY_OK)
			return st;
		out->has_spend = 1;
	}
	out->seconds = rebuy__now() - t0;
	return REBUY_OK;
}
