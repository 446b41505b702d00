/* k-means with k-means++ starts (Arthur & Vassilvitskii 2007, "k-means++:
 * the advantages of careful seeding") and Lloyd's iterations (Lloyd 1982),
 * the silhouette (Rousseeuw 1987) and the Calinski-Harabasz index (Calinski
 * & Harabasz 1974); rebuy/cluster.h states the rules.
 *
 * Parallel over fixed chunks of rows (the assignment step and the k-means++
 * distance update, both O(n k d)); everything summed is summed in row
 * order or in chunk order, never in thread order, so results do not depend
 * on the thread count. The centre update is a sequential O(n d) pass.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "rebuy/cluster.h"

#define CHUNK 2048   /* rows per parallel item */
#define SIL_CHUNK 64 /* silhouette rows per parallel item (each is O(n d)) */

void rebuy_kmeans_options_init(struct rebuy_kmeans_options *o)
{
	memset(o, 0, sizeof *o);
	o->k = 2;
	o->restarts = REBUY_KMEANS_DEFAULT_RESTARTS;
	o->max_iter = REBUY_KMEANS_DEFAULT_MAX_ITER;
	o->seed = 1;
}

void rebuy_silhouette_options_init(struct rebuy_silhouette_options *o)
{
	memset(o, 0, sizeof *o);
	o->max_exact = REBUY_SILHOUETTE_DEFAULT_MAX;
	o->seed = 1;
}

static double dist2(const double *a, const double *b, size_t d)
{
	double s = 0;
	for (size_t j = 0; j < d; j++) {
		double t = a[j] - b[j];
		s += t * t;
	}
	return s;
}

/* A uniform integer in [0, range), range >= 1, without modulo bias
 * (rejection below 2^64 mod range). */
static uint64_t bounded(struct rebuy__rng *r, uint64_t range)
{
	uint64_t limit = -range % range; /* 2^64 mod range */
	for (;;) {
		uint64_t v = rebuy__rng_next(r);
		if (v >= limit)
			return v % range;
	}
}

static unsigned thread_count(unsigned asked, size_t items)
{
	unsigned t = asked ? asked : rebuy__cpu_count();
	return items < t ? (unsigned)(items ? items : 1) : t;
}

void rebuy_kmeans_free(struct rebuy_kmeans *km)
{
	if (!km)
		return;
	rebuy__free(km->label);
	rebuy__free(km->centroid);
	rebuy__free(km->size);
	rebuy__free(km->wss_by);
	rebuy__free(km);
}

/* ---- one start ---- */

struct job {
	const double *x;
	size_t n, d, k, n_chunks;
	uint32_t *label;   /* n */
	double *c;         /* k x d */
	double *d2;        /* n: k-means++ squared distance to the nearest centre */
	double *part;      /* n_chunks: chunk sums of d2 */
	size_t *changed;   /* n_chunks: rows that changed cluster */
	size_t new_centre; /* the centre whose distances the update adds */
	int first;         /* the first assignment: labels hold nothing yet */
	/* the centre update */
	double *sum; /* k x d */
	size_t *cnt; /* k */
};

static enum rebuy_status d2_chunk(void *ud, size_t item, unsigned thread)
{
	(void)thread;
	struct job *j = ud;
	size_t lo = item * CHUNK, hi = lo + CHUNK < j->n ? lo + CHUNK : j->n;
	const double *c = j->c + j->new_centre * j->d;
	double s = 0;
	for (size_t i = lo; i < hi; i++) {
		double v = dist2(j->x + i * j->d, c, j->d);
		if (j->new_centre == 0 || v < j->d2[i])
			j->d2[i] = v;
		s += j->d2[i];
	}
	j->part[item] = s;
	return REBUY_OK;
}

static enum rebuy_status assign_chunk(void *ud, size_t item, unsigned thread)
{
	(void)thread;
	struct job *j = ud;
	size_t lo = item * CHUNK, hi = lo + CHUNK < j->n ? lo + CHUNK : j->n, changed = 0;
	for (size_t i = lo; i < hi; i++) {
		const double *xi = j->x + i * j->d;
		uint32_t best = 0;
		double bd = dist2(xi, j->c, j->d);
		for (size_t c = 1; c < j->k; c++) {
			double v = dist2(xi, j->c + c * j->d, j->d);
			if (v < bd) {
				bd = v;
				best = (uint32_t)c;
			}
		}
		if (j->first || j->label[i] != best)
			changed++;
		j->label[i] = best;
	}
	j->changed[item] = changed;
	return REBUY_OK;
}

/* k-means++: the first centre a uniform row, each next one a row drawn with
 * probability D(x)^2 / sum D^2. */
static enum rebuy_status seed_centres(struct job *j, struct rebuy__rng *rng, unsigned threads,
                                      struct rebuy_error *err)
{
	size_t d = j->d;
	size_t first = (size_t)bounded(rng, j->n);
	memcpy(j->c, j->x + first * d, d * sizeof *j->c);
	for (size_t c = 1; c < j->k; c++) {
		j->new_centre = c - 1;
		enum rebuy_status st = rebuy__parallel_for(threads, j->n_chunks, d2_chunk, j);
		if (st)
			return rebuy_error_set(err, st, "out of memory in k-means++");
		double total = 0;
		for (size_t q = 0; q < j->n_chunks; q++)
			total += j->part[q];
		if (!(total > 0))
			return rebuy_error_set(err, REBUY_EDATA,
			                       "the rows have only %zu distinct values: fewer than "
			                       "k = %zu clusters",
			                       c, j->k);
		double u = rebuy__rng_uniform(rng) * total, cum = 0;
		size_t q = 0;
		while (q + 1 < j->n_chunks && cum + j->part[q] <= u)
			cum += j->part[q++];
		size_t lo = q * CHUNK, hi = lo + CHUNK < j->n ? lo + CHUNK : j->n, pick = SIZE_MAX;
		for (size_t i = lo; i < hi; i++) {
			if (j->d2[i] > 0)
				pick = i; /* the last positive one, should rounding leave u
				             unreached */
			cum += j->d2[i];
			if (cum > u && j->d2[i] > 0)
				break;
		}
		if (pick == SIZE_MAX) /* the chunk's sum was 0: any row at a positive distance */
			for (size_t i = 0; i < j->n && pick == SIZE_MAX; i++)
				if (j->d2[i] > 0)
					pick = i;
		memcpy(j->c + c * d, j->x + pick * d, d * sizeof *j->c);
	}
	return REBUY_OK;
}

/* Centres to the means of their rows; an empty cluster takes the row
 * farthest from its centre among clusters of two rows or more. Returns the
 * clusters that were empty. */
static unsigned update_centres(struct job *j)
{
	size_t d = j->d, k = j->k;
	memset(j->sum, 0, k * d * sizeof *j->sum);
	memset(j->cnt, 0, k * sizeof *j->cnt);
	for (size_t i = 0; i < j->n; i++) {
		double *s = j->sum + (size_t)j->label[i] * d;
		const double *xi = j->x + i * d;
		for (size_t t = 0; t < d; t++)
			s[t] += xi[t];
		j->cnt[j->label[i]]++;
	}
	for (size_t c = 0; c < k; c++)
		if (j->cnt[c])
			for (size_t t = 0; t < d; t++)
				j->c[c * d + t] = j->sum[c * d + t] / (double)j->cnt[c];
	unsigned empty = 0;
	for (size_t c = 0; c < k; c++) {
		if (j->cnt[c])
			continue;
		empty++;
		size_t far = SIZE_MAX;
		double fd = -1;
		for (size_t i = 0; i < j->n; i++) {
			uint32_t l = j->label[i];
			if (j->cnt[l] < 2)
				continue;
			double v = dist2(j->x + i * d, j->c + (size_t)l * d, d);
			if (v > fd) {
				fd = v;
				far = i;
			}
		}
		if (far == SIZE_MAX)
			continue; /* cannot happen with n >= k */
		uint32_t from = j->label[far];
		const double *xf = j->x + far * d;
		j->label[far] = (uint32_t)c;
		j->cnt[from]--;
		j->cnt[c] = 1;
		for (size_t t = 0; t < d; t++) {
			j->sum[(size_t)from * d + t] -= xf[t];
			j->c[(size_t)from * d + t] =
			        j->sum[(size_t)from * d + t] / (double)j->cnt[from];
			j->sum[c * d + t] = xf[t];
			j->c[c * d + t] = xf[t];
		}
	}
	return empty;
}

static double total_wss(const struct job *j)
{
	double s = 0;
	for (size_t i = 0; i < j->n; i++)
		s += dist2(j->x + i * j->d, j->c + (size_t)j->label[i] * j->d, j->d);
	return s;
}

struct start_result {
	unsigned iterations, reseeded;
	int converged;
};

static enum rebuy_status lloyd(struct job *j, unsigned max_iter, unsigned threads,
                               struct start_result *res, struct rebuy_error *err)
{
	memset(res, 0, sizeof *res);
	j->first = 1;
	enum rebuy_status st = rebuy__parallel_for(threads, j->n_chunks, assign_chunk, j);
	j->first = 0;
	for (unsigned it = 1; st == REBUY_OK && it <= max_iter; it++) {
		res->reseeded += update_centres(j);
		res->iterations = it;
		if ((st = rebuy__parallel_for(threads, j->n_chunks, assign_chunk, j)))
			break;
		size_t changed = 0;
		for (size_t q = 0; q < j->n_chunks; q++)
			changed += j->changed[q];
		if (changed == 0) {
			res->converged = 1;
			return REBUY_OK;
		}
	}
	if (st)
		return rebuy_error_set(err, st, "out of memory in k-means");
	/* Stopped by max_iter: the centres follow the last assignment. */
	res->reseeded += update_centres(j);
	return REBUY_OK;
}

/* ---- the result ---- */

/* Numbers clusters by size, largest first, ties by centre (cluster.h). An
 * insertion sort on k indices: qsort would need a file-static context,
 * and callers may cluster on several threads at once. */
static enum rebuy_status relabel(struct rebuy_kmeans *km)
{
	size_t k = km->k, d = km->d;
	size_t *order = rebuy__malloc(k * sizeof *order);
	uint32_t *new_of = rebuy__malloc(k * sizeof *new_of);
	double *c = rebuy__malloc(k * d * sizeof *c);
	size_t *size = rebuy__malloc(k * sizeof *size);
	enum rebuy_status st = REBUY_ENOMEM;
	if (!order || !new_of || !c || !size)
		goto out;
	for (size_t i = 0; i < k; i++)
		order[i] = i;
	/* by (size desc, centre asc, index asc) */
	for (size_t i = 1; i < k; i++) {
		size_t v = order[i], p = i;
		while (p > 0) {
			size_t u = order[p - 1];
			int less; /* v before u */
			if (km->size[v] != km->size[u]) {
				less = km->size[v] > km->size[u];
			} else {
				size_t t = 0;
				while (t < d && km->centroid[v * d + t] == km->centroid[u * d + t])
					t++;
				less = t < d ? km->centroid[v * d + t] < km->centroid[u * d + t]
				             : v < u;
			}
			if (!less)
				break;
			order[p] = u;
			p--;
		}
		order[p] = v;
	}
	for (size_t i = 0; i < k; i++) {
		new_of[order[i]] = (uint32_t)i;
		memcpy(c + i * d, km->centroid + order[i] * d, d * sizeof *c);
		size[i] = km->size[order[i]];
	}
	for (size_t i = 0; i < km->n; i++)
		km->label[i] = new_of[km->label[i]];
	memcpy(km->centroid, c, k * d * sizeof *c);
	memcpy(km->size, size, k * sizeof *size);
	st = REBUY_OK;
out:
	rebuy__free(order);
	rebuy__free(new_of);
	rebuy__free(c);
	rebuy__free(size);
	return st;
}

static void sums_of_squares(struct rebuy_kmeans *km, const double *x)
{
	size_t n = km->n, d = km->d;
	memset(km->wss_by, 0, km->k * sizeof *km->wss_by);
	double wss = 0;
	for (size_t i = 0; i < n; i++) {
		double v = dist2(x + i * d, km->centroid + (size_t)km->label[i] * d, d);
		km->wss_by[km->label[i]] += v;
		wss += v;
	}
	km->wss = wss;
	double tss = 0;
	for (size_t t = 0; t < d; t++) {
		double s = 0;
		for (size_t i = 0; i < n; i++)
			s += x[i * d + t];
		double mu = s / (double)n;
		for (size_t i = 0; i < n; i++) {
			double u = x[i * d + t] - mu;
			tss += u * u;
		}
	}
	km->tss = tss;
}

static enum rebuy_status check_input(const double *x, size_t n, size_t d,
                                     const struct rebuy_kmeans_options *o, struct rebuy_error *err)
{
	if (o->k < 1 || o->k > REBUY_KMEANS_MAX_K)
		return rebuy_error_set(err, REBUY_EARG, "k must be from 1 to %d (got %zu)",
		                       REBUY_KMEANS_MAX_K, o->k);
	if (o->restarts > REBUY_KMEANS_MAX_RESTARTS)
		return rebuy_error_set(err, REBUY_EARG, "restarts must be from 1 to %d (got %u)",
		                       REBUY_KMEANS_MAX_RESTARTS, o->restarts);
	if (d == 0)
		return rebuy_error_set(err, REBUY_EARG, "k-means needs at least one column");
	if (n < o->k)
		return rebuy_error_set(err, REBUY_EARG,
		                       "k = %zu clusters need at least %zu rows (got %zu)", o->k,
		                       o->k, n);
	size_t cells;
	if (rebuy__mul_overflows(n, d, &cells) || n > UINT32_MAX)
		return rebuy_error_set(err, REBUY_ELIMIT, "too many rows for k-means (%zu)", n);
	for (size_t i = 0; i < cells; i++)
		if (!isfinite(x[i]))
			return rebuy_error_set(err, REBUY_EDATA,
			                       "row %zu, column %zu: %g is not a finite number",
			                       i / d + 1, i % d + 1, x[i]);
	return REBUY_OK;
}

enum rebuy_status rebuy_kmeans_fit(const double *x, size_t n, size_t d,
                                   const struct rebuy_kmeans_options *o, struct rebuy_kmeans **out,
                                   struct rebuy_error *err)
{
	*out = NULL;
	enum rebuy_status st = check_input(x, n, d, o, err);
	if (st)
		return st;
	size_t k = o->k;
	unsigned restarts = o->restarts ? o->restarts : REBUY_KMEANS_DEFAULT_RESTARTS;
	unsigned max_iter = o->max_iter ? o->max_iter : REBUY_KMEANS_DEFAULT_MAX_ITER;
	struct job j = {.x = x, .n = n, .d = d, .k = k, .n_chunks = (n + CHUNK - 1) / CHUNK};
	unsigned threads = thread_count(o->n_threads, j.n_chunks);
	struct rebuy_kmeans *km = rebuy__calloc(1, sizeof *km);
	if (!km)
		goto oom;
	km->n = n;
	km->d = d;
	km->k = k;
	km->label = rebuy__malloc(n * sizeof *km->label);
	km->centroid = rebuy__malloc(k * d * sizeof *km->centroid);
	km->size = rebuy__calloc(k, sizeof *km->size);
	km->wss_by = rebuy__calloc(k, sizeof *km->wss_by);
	j.label = rebuy__malloc(n * sizeof *j.label);
	j.c = rebuy__malloc(k * d * sizeof *j.c);
	j.d2 = rebuy__malloc(n * sizeof *j.d2);
	j.part = rebuy__malloc(j.n_chunks * sizeof *j.part);
	j.changed = rebuy__malloc(j.n_chunks * sizeof *j.changed);
	j.sum = rebuy__malloc(k * d * sizeof *j.sum);
	j.cnt = rebuy__malloc(k * sizeof *j.cnt);
	if (!km->label || !km->centroid || !km->size || !km->wss_by || !j.label || !j.c || !j.d2 ||
	    !j.part || !j.changed || !j.sum || !j.cnt)
		goto oom;
	double best = INFINITY;
	for (unsigned r = 0; r < restarts; r++) {
		struct rebuy__rng rng;
		rebuy__rng_seed_stream(&rng, o->seed, r);
		struct start_result res;
		if ((st = seed_centres(&j, &rng, threads, err)) ||
		    (st = lloyd(&j, max_iter, threads, &res, err)))
			goto fail;
		double wss = total_wss(&j);
		if (r == 0 || wss < best) {
			best = wss;
			memcpy(km->label, j.label, n * sizeof *j.label);
			memcpy(km->centroid, j.c, k * d * sizeof *j.c);
			memcpy(km->size, j.cnt, k * sizeof *j.cnt);
			km->iterations = res.iterations;
			km->converged = res.converged;
			km->restart = r;
			km->n_reseeded = res.reseeded;
		}
	}
	if (relabel(km))
		goto oom;
	sums_of_squares(km, x);
	st = REBUY_OK;
	goto out;
oom:
	st = rebuy_error_set(err, REBUY_ENOMEM, "out of memory for k-means of %zu rows", n);
fail:
	rebuy_kmeans_free(km);
	km = NULL;
out:
	rebuy__free(j.label);
	rebuy__free(j.c);
	rebuy__free(j.d2);
	rebuy__free(j.part);
	rebuy__free(j.changed);
	rebuy__free(j.sum);
	rebuy__free(j.cnt);
	*out = km;
	return st;
}

double rebuy_kmeans_calinski_harabasz(const struct rebuy_kmeans *km)
{
	if (km->k < 2 || km->k >= km->n || !(km->wss > 0))
		return NAN;
	return ((km->tss - km->wss) / (double)(km->k - 1)) / (km->wss / (double)(km->n - km->k));
}

/* ---- silhouette ----
 * Several labellings of the same rows at once (the k table's): each pair's
 * distance is computed once and added to every labelling's sums. */

struct sil_job {
	size_t d, m, n_lab, k_total;
	const double *xs;    /* m x d: the rows used, gathered */
	const uint32_t *lab; /* n_lab x m: their labels */
	const size_t *k;     /* n_lab */
	const size_t *off;   /* n_lab: where each labelling's sums start (sum of k before) */
	const size_t *cnt;   /* k_total: rows used per cluster */
	double *acc;         /* n_threads x k_total */
	double *s;           /* n_lab x m */
};

static enum rebuy_status sil_chunk(void *ud, size_t item, unsigned thread)
{
	struct sil_job *j = ud;
	size_t lo = item * SIL_CHUNK, hi = lo + SIL_CHUNK < j->m ? lo + SIL_CHUNK : j->m;
	double *acc = j->acc + (size_t)thread * j->k_total;
	for (size_t a = lo; a < hi; a++) {
		const double *xa = j->xs + a * j->d;
		memset(acc, 0, j->k_total * sizeof *acc);
		for (size_t b = 0; b < j->m; b++) {
			double v = sqrt(dist2(xa, j->xs + b * j->d, j->d));
			for (size_t l = 0; l < j->n_lab; l++)
				acc[j->off[l] + j->lab[l * j->m + b]] += v;
		}
		for (size_t l = 0; l < j->n_lab; l++) {
			const double *al = acc + j->off[l];
			const size_t *cl = j->cnt + j->off[l];
			uint32_t own = j->lab[l * j->m + a];
			double *s = &j->s[l * j->m + a];
			if (cl[own] < 2) {
				*s = 0; /* alone in its cluster (Rousseeuw 1987) */
				continue;
			}
			double in = al[own] / (double)(cl[own] - 1), out = INFINITY;
			for (size_t c = 0; c < j->k[l]; c++)
				if (c != own && cl[c] > 0 && al[c] / (double)cl[c] < out)
					out = al[c] / (double)cl[c];
			double mx = in > out ? in : out;
			*s = isinf(out) || !(mx > 0) ? 0 : (out - in) / mx;
		}
	}
	return REBUY_OK;
}

void rebuy_silhouette_free(struct rebuy_silhouette *s)
{
	if (!s)
		return;
	rebuy__free(s->by_label);
	rebuy__free(s);
}

/* The rows used: all, or m of them drawn uniformly without replacement (a
 * partial Fisher-Yates shuffle), in ascending order. */
static size_t *pick_rows(size_t n, size_t m, uint64_t seed)
{
	size_t *rows = rebuy__malloc((n ? n : 1) * sizeof *rows);
	if (!rows)
		return NULL;
	for (size_t i = 0; i < n; i++)
		rows[i] = i;
	if (m == n)
		return rows;
	struct rebuy__rng rng;
	rebuy__rng_seed(&rng, seed);
	for (size_t i = 0; i < m; i++) {
		size_t r = i + (size_t)bounded(&rng, n - i), t = rows[i];
		rows[i] = rows[r];
		rows[r] = t;
	}
	/* ascending, by marking the drawn rows: O(n), no sort */
	unsigned char *used = rebuy__calloc(n, 1);
	if (!used) {
		rebuy__free(rows);
		return NULL;
	}
	for (size_t i = 0; i < m; i++)
		used[rows[i]] = 1;
	size_t q = 0;
	for (size_t i = 0; i < n; i++)
		if (used[i])
			rows[q++] = i;
	rebuy__free(used);
	return rows;
}

static enum rebuy_status check_labels(size_t n, size_t n_lab, const uint32_t *const *labels,
                                      const size_t *ks, size_t *k_total, struct rebuy_error *err)
{
	*k_total = 0;
	for (size_t l = 0; l < n_lab; l++) {
		if (ks[l] == 0 || ks[l] > REBUY_KMEANS_MAX_K)
			return rebuy_error_set(err, REBUY_EARG,
			                       "the silhouette needs 1 to %d clusters (got %zu)",
			                       REBUY_KMEANS_MAX_K, ks[l]);
		for (size_t i = 0; i < n; i++)
			if (labels[l][i] >= ks[l])
				return rebuy_error_set(err, REBUY_EARG,
				                       "row %zu: label %u is not below k = %zu",
				                       i + 1, (unsigned)labels[l][i], ks[l]);
		*k_total += ks[l];
	}
	return REBUY_OK;
}

/* One result from the rows' silhouettes s[0 .. m) of one labelling. */
static struct rebuy_silhouette *sil_result(const double *s, const uint32_t *lab, size_t m, size_t k,
                                           size_t n)
{
	struct rebuy_silhouette *r = rebuy__calloc(1, sizeof *r);
	size_t *by_n = rebuy__calloc(k, sizeof *by_n);
	if (!r || !by_n || !(r->by_label = rebuy__calloc(k, sizeof *r->by_label))) {
		rebuy__free(by_n);
		rebuy_silhouette_free(r);
		return NULL;
	}
	r->n_used = m;
	r->is_sampled = m < n;
	double total = 0;
	for (size_t a = 0; a < m && k >= 2; a++) {
		total += s[a];
		r->by_label[lab[a]] += s[a];
		by_n[lab[a]]++;
	}
	r->mean = k >= 2 && m > 0 ? total / (double)m : NAN;
	for (size_t c = 0; c < k; c++)
		r->by_label[c] = by_n[c] ? r->by_label[c] / (double)by_n[c] : NAN;
	rebuy__free(by_n);
	return r;
}

enum rebuy_status rebuy_silhouette_compute_many(const double *x, size_t n, size_t d, size_t n_lab,
                                                const uint32_t *const *labels, const size_t *ks,
                                                const struct rebuy_silhouette_options *o,
                                                struct rebuy_silhouette **out,
                                                struct rebuy_error *err)
{
	for (size_t l = 0; l < n_lab; l++)
		out[l] = NULL;
	size_t k_total;
	enum rebuy_status st = check_labels(n, n_lab, labels, ks, &k_total, err);
	if (st)
		return st;
	size_t limit = o->max_exact ? o->max_exact : REBUY_SILHOUETTE_DEFAULT_MAX;
	size_t m = n > limit ? limit : n;
	struct sil_job j = {.d = d, .m = m, .n_lab = n_lab, .k_total = k_total, .k = ks};
	unsigned threads = thread_count(o->n_threads, (m + SIL_CHUNK - 1) / SIL_CHUNK);
	size_t *rows = pick_rows(n, m, o->seed);
	double *xs = rebuy__malloc((m ? m : 1) * d * sizeof *xs);
	uint32_t *lab = rebuy__malloc((m ? m : 1) * (n_lab ? n_lab : 1) * sizeof *lab);
	size_t *off = rebuy__malloc((n_lab ? n_lab : 1) * sizeof *off);
	size_t *cnt = rebuy__calloc(k_total ? k_total : 1, sizeof *cnt);
	j.acc = rebuy__malloc((size_t)threads * (k_total ? k_total : 1) * sizeof *j.acc);
	j.s = rebuy__malloc((m ? m : 1) * (n_lab ? n_lab : 1) * sizeof *j.s);
	st = REBUY_ENOMEM;
	if (!rows || !xs || !lab || !off || !cnt || !j.acc || !j.s)
		goto out;
	for (size_t a = 0; a < m; a++)
		memcpy(xs + a * d, x + rows[a] * d, d * sizeof *xs);
	for (size_t l = 0, sum = 0; l < n_lab; sum += ks[l], l++) {
		off[l] = sum;
		for (size_t a = 0; a < m; a++) {
			lab[l * m + a] = labels[l][rows[a]];
			cnt[sum + lab[l * m + a]]++;
		}
	}
	j.xs = xs;
	j.lab = lab;
	j.off = off;
	j.cnt = cnt;
	if ((st = rebuy__parallel_for(threads, (m + SIL_CHUNK - 1) / SIL_CHUNK, sil_chunk, &j)))
		goto out;
	for (size_t l = 0; l < n_lab; l++)
		if (!(out[l] = sil_result(j.s + l * m, lab + l * m, m, ks[l], n))) {
			st = REBUY_ENOMEM;
			goto out;
		}
	st = REBUY_OK;
out:
	if (st) {
		for (size_t l = 0; l < n_lab; l++) {
			rebuy_silhouette_free(out[l]);
			out[l] = NULL;
		}
		st = rebuy_error_set(err, REBUY_ENOMEM,
		                     "out of memory for the silhouette of %zu rows", m);
	}
	rebuy__free(rows);
	rebuy__free(xs);
	rebuy__free(lab);
	rebuy__free(off);
	rebuy__free(cnt);
	rebuy__free(j.acc);
	rebuy__free(j.s);
	return st;
}

enum rebuy_status rebuy_silhouette_compute(const double *x, size_t n, size_t d,
                                           const uint32_t *label, size_t k,
                                           const struct rebuy_silhouette_options *o,
                                           struct rebuy_silhouette **out, struct rebuy_error *err)
{
	return rebuy_silhouette_compute_many(x, n, d, 1, &label, &k, o, out, err);
}
