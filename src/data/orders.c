/* The orders table (DESIGN.md §3-4): the records of the reading threads'
 * partials grouped into orders, bucket by bucket on several threads, and
 * laid out as columns.
 *
 * A bucket holds the same customers in every partial (buckets are by key
 * hash), so it is merged and grouped on its own: the partials' customers are
 * joined in one small table and numbered in hash order, a counting sort into
 * a per-thread scratch puts each customer's records together, a customer's
 * lines with the same order key (or, without keys, the same time) become one
 * order whose time is the earliest and whose value is the exact sum, and the
 * orders, sorted by (time, order key), are written straight into the final
 * columns at the bucket's place (an upper bound), closed up at the end.
 * Numbering by hash makes the table the same whatever thread read what.
 */
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/parallel.h"
#include "data/partial.h"
#include "ingest/ingest.h"
#include "ingest/roles.h"
#include "rebuy/orders.h"

struct rebuy__orders_priv {
	uint64_t *cust_start;
	int64_t *ts, *value;
	uint32_t *n_lines;
	uint32_t *ret_cust;
	uint64_t *ret_start;
	int64_t *ret_ts, *ret_value;
	uint64_t *key_offs; /* per customer: offset into key_chars << 16 | length */
	char *key_chars;
	size_t n_attrs;
	uint32_t *attr[REBUY_MAX_ATTRIBUTES];
	struct rebuy__strtab attr_values[REBUY_MAX_ATTRIBUTES]; /* every value of each attribute */
	uint32_t *attr_by_rank[REBUY_MAX_ATTRIBUTES];           /* final id -> id in attr_values */
	char *attr_names[REBUY_MAX_ATTRIBUTES];
};

struct bucket_out {
	size_t n_cust, n_orders, n_ret;
	uint64_t *n_purch; /* kept customer -> purchases */
	char *keys;        /* kept customers' keys, each followed by a NUL */
	size_t key_bytes, key_cap;
	uint32_t *ret_cust; /* bucket-local kept customer */
	int64_t *ret_ts, *ret_value;
	size_t ret_cap;
	uint64_t outside_window, duplicates, folded;
};

/* A record as the build works on it: unpacked, its customer numbered. */
struct work {
	int64_t ts;
	int64_t value;
	uint64_t key;
	uint32_t cust; /* rank within the bucket */
	uint32_t n_lines;
	uint32_t attr[REBUY_MAX_ATTRIBUTES]; /* final value ids */
};

/* What one thread reuses from bucket to bucket. */
struct scratch {
	struct work *recs;
	size_t recs_cap;
	uint64_t *hash;
	size_t hash_cap;
};

struct build {
	struct rebuy__partial *const *parts;
	size_t n_parts;
	int use_alt, has_key, has_hash;
	const struct rebuy_input_options *opts;
	size_t ub[REBUY__BUCKETS + 1]; /* the bucket's place in the columns: records before it */
	int64_t *ts, *value;           /* the columns, sized for every record */
	uint32_t *n_lines;
	size_t n_attrs;
	uint32_t *attr[REBUY_MAX_ATTRIBUTES];  /* the attribute columns, sized like ts */
	uint32_t **amap[REBUY_MAX_ATTRIBUTES]; /* per attribute, per partial: id -> final id */
	struct scratch *scratch;               /* one per thread */
	struct bucket_out out[REBUY__BUCKETS];
};

/* ---- sorting small runs ------------------------------------------------------ */

static inline int before_key_ts(const struct work *a, const struct work *b)
{
	return a->key < b->key || (a->key == b->key && a->ts < b->ts);
}

static inline int before_ts_key(const struct work *a, const struct work *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->key < b->key);
}

static int cmp_key_ts(const void *pa, const void *pb)
{
	const struct work *a = pa, *b = pb;
	return before_key_ts(a, b) ? -1 : before_key_ts(b, a);
}

static int cmp_ts_key(const void *pa, const void *pb)
{
	const struct work *a = pa, *b = pb;
	return before_ts_key(a, b) ? -1 : before_ts_key(b, a);
}

/* Sorts a customer's records, by (key, time) or by (time, key). Runs are
 * usually in order already, or made of a few sorted runs (one per reading
 * thread, when the export is in date order): the check comes first, then
 * insertion sort for short runs, and for long ones a natural merge sort,
 * which merges the sorted runs it finds (qsort if memory runs short).
 * Written out twice so that the comparisons inline. */
#define SORT_RECS(name, before, cmp)                                                               \
	static void name(struct work *r, size_t n)                                                 \
	{                                                                                          \
		size_t i = 1;                                                                      \
		while (i < n && !before(&r[i], &r[i - 1]))                                         \
			i++;                                                                       \
		if (i >= n)                                                                        \
			return;                                                                    \
		if (n <= 24) {                                                                     \
			for (; i < n; i++) {                                                       \
				struct work x = r[i];                                              \
				size_t j = i;                                                      \
				while (j > 0 && before(&x, &r[j - 1])) {                           \
					r[j] = r[j - 1];                                           \
					j--;                                                       \
				}                                                                  \
				r[j] = x;                                                          \
			}                                                                          \
			return;                                                                    \
		}                                                                                  \
		struct work *tmp = rebuy__malloc(n * sizeof *tmp);                                 \
		if (!tmp) {                                                                        \
			qsort(r, n, sizeof *r, cmp);                                               \
			return;                                                                    \
		}                                                                                  \
		struct work *src = r, *dst = tmp;                                                  \
		for (;;) {                                                                         \
			/* One pass: merge each pair of adjacent runs of src into dst. */          \
			size_t runs = 0, a = 0;                                                    \
			while (a < n) {                                                            \
				size_t b = a + 1;                                                  \
				while (b < n && !before(&src[b], &src[b - 1]))                     \
					b++;                                                       \
				size_t c = b;                                                      \
				if (b < n) {                                                       \
					c = b + 1;                                                 \
					while (c < n && !before(&src[c], &src[c - 1]))             \
						c++;                                               \
				}                                                                  \
				size_t x = a, y = b, k = a;                                        \
				while (x < b && y < c)                                             \
					dst[k++] = before(&src[y], &src[x]) ? src[y++] : src[x++]; \
				while (x < b)                                                      \
					dst[k++] = src[x++];                                       \
				while (y < c)                                                      \
					dst[k++] = src[y++];                                       \
				runs++;                                                            \
				a = c;                                                             \
			}                                                                          \
			struct work *t = src;                                                      \
			src = dst;                                                                 \
			dst = t;                                                                   \
			if (runs == 1)                                                             \
				break;                                                             \
		}                                                                                  \
		if (src != r)                                                                      \
			memcpy(r, src, n * sizeof *r);                                             \
		rebuy__free(tmp);                                                                  \
	}

SORT_RECS(sort_by_key_ts, before_key_ts, cmp_key_ts)
SORT_RECS(sort_by_ts_key, before_ts_key, cmp_ts_key)

static void sort_recs(struct work *r, size_t n, int by_key_first)
{
	if (by_key_first)
		sort_by_key_ts(r, n);
	else
		sort_by_ts_key(r, n);
}

struct hashed {
	uint64_t h0, h1;
	struct work rec;
};

static int cmp_hashed(const void *pa, const void *pb)
{
	const struct hashed *a = pa, *b = pb;
	if (a->h0 != b->h0)
		return a->h0 < b->h0 ? -1 : 1;
	if (a->h1 != b->h1)
		return a->h1 < b->h1 ? -1 : 1;
	return 0;
}

/* ---- one bucket ----------------------------------------------------------------- */

/* Customers and long order keys are numbered within a bucket in the order
 * of their 64-bit hash (keys break the rare ties): a numbering that depends
 * only on the keys, so the table is the same whatever thread read what, and
 * cheaper to sort than the strings themselves. */
struct hashed_id {
	uint64_t hash;
	uint32_t id;
};

static _Thread_local const struct rebuy__strtab *sort_table;

static int cmp_hashed_ids(const void *pa, const void *pb)
{
	const struct hashed_id *a = pa, *b = pb;
	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	size_t la, lb;
	const char *ka = rebuy__strtab_key(sort_table, a->id, &la);
	const char *kb = rebuy__strtab_key(sort_table, b->id, &lb);
	int c = memcmp(ka, kb, la < lb ? la : lb);
	return c ? c : (la > lb) - (la < lb);
}

/* rank[id] = position of id in hash order: three counting-sort passes of
 * 11 bits over the 33 hash bits below the bucket's own, then an insertion
 * pass over the full hash and key, which only moves the rare equal
 * prefixes. */
static uint32_t *rank_keys(const struct rebuy__strtab *t)
{
	size_t n = t->n;
	struct hashed_id *h = rebuy__malloc((n ? n : 1) * sizeof *h);
	struct hashed_id *tmp = rebuy__malloc((n ? n : 1) * sizeof *tmp);
	uint32_t *rank = rebuy__malloc((n ? n : 1) * sizeof *rank);
	uint32_t *count = rebuy__malloc(2048 * sizeof *count);
	if (!h || !tmp || !rank || !count) {
		rebuy__free(h);
		rebuy__free(tmp);
		rebuy__free(rank);
		rebuy__free(count);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len;
		const char *k = rebuy__strtab_key(t, (uint32_t)i, &len);
		h[i].hash = rebuy__strtab_hash(k, len);
		h[i].id = (uint32_t)i;
	}
	for (unsigned shift = 64 - REBUY__BUCKET_BITS - 33; shift < 64 - REBUY__BUCKET_BITS;
	     shift += 11) {
		memset(count, 0, 2048 * sizeof *count);
		for (size_t i = 0; i < n; i++)
			count[h[i].hash >> shift & 2047]++;
		uint32_t sum = 0;
		for (size_t d = 0; d < 2048; d++) {
			uint32_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[count[h[i].hash >> shift & 2047]++] = h[i];
		struct hashed_id *x = h;
		h = tmp;
		tmp = x;
	}
	sort_table = t;
	for (size_t i = 1; i < n; i++) {
		struct hashed_id x = h[i];
		size_t j = i;
		while (j > 0 && cmp_hashed_ids(&x, &h[j - 1]) < 0) {
			h[j] = h[j - 1];
			j--;
		}
		h[j] = x;
	}
	for (size_t i = 0; i < n; i++)
		rank[h[i].id] = (uint32_t)i;
	rebuy__free(h);
	rebuy__free(tmp);
	rebuy__free(count);
	return rank;
}

static int in_window(const struct rebuy_input_options *o, int64_t ts)
{
	int64_t day = ts >= 0 ? ts / 86400 : -((-ts + 86399) / 86400);
	if (o->has_from && day < o->from_day)
		return 0;
	if (o->has_to && day > o->to_day)
		return 0;
	if (o->has_as_of && day >= o->as_of_day)
		return 0;
	return 1;
}

/* Dedupe one customer's records by line hash; returns the new count. */
static enum rebuy_status dedupe_run(struct work *r, const uint64_t *hash, size_t n, size_t *out_n,
                                    uint64_t *dropped)
{
	struct hashed *h = rebuy__malloc((n ? n : 1) * sizeof *h);
	if (!h)
		return REBUY_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		h[i].h0 = hash[2 * i];
		h[i].h1 = hash[2 * i + 1];
		h[i].rec = r[i];
	}
	qsort(h, n, sizeof *h, cmp_hashed);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && h[i].h0 == h[i - 1].h0 && h[i].h1 == h[i - 1].h1) {
			(*dropped)++;
			continue;
		}
		r[k++] = h[i].rec;
	}
	rebuy__free(h);
	*out_n = k;
	return REBUY_OK;
}

/* Room for one more return in o (three columns grown together). */
static enum rebuy_status grow_returns(struct bucket_out *o)
{
	if (o->n_ret < o->ret_cap)
		return REBUY_OK;
	size_t ncap = o->ret_cap ? o->ret_cap * 2 : 16;
	int64_t *ts = rebuy__realloc(o->ret_ts, ncap * sizeof *ts);
	if (!ts)
		return REBUY_ENOMEM;
	o->ret_ts = ts;
	int64_t *v = rebuy__realloc(o->ret_value, ncap * sizeof *v);
	if (!v)
		return REBUY_ENOMEM;
	o->ret_value = v;
	uint32_t *c = rebuy__realloc(o->ret_cust, ncap * sizeof *c);
	if (!c)
		return REBUY_ENOMEM;
	o->ret_cust = c;
	o->ret_cap = ncap;
	return REBUY_OK;
}

/* A bucket's table joined over the partials, numbered in hash order. */
struct joined {
	struct rebuy__strtab table;
	uint32_t **id_of;  /* per partial: its id -> id in table */
	uint32_t *rank;    /* id in table -> rank */
	uint32_t *by_rank; /* rank -> id in table */
	size_t n_parts;
};

static void joined_release(struct joined *j)
{
	rebuy__strtab_release(&j->table);
	if (j->id_of)
		for (size_t p = 0; p < j->n_parts; p++)
			rebuy__free(j->id_of[p]);
	rebuy__free(j->id_of);
	rebuy__free(j->rank);
	rebuy__free(j->by_rank);
	memset(j, 0, sizeof *j);
}

static const struct rebuy__strtab *table_of(struct rebuy__partial *p, unsigned bi, int customers)
{
	return customers ? &p->buckets[bi].customers : &p->buckets[bi].long_keys;
}

/* Interns every key of the partials' tables (long customer keys, or long
 * order keys) of bucket bi into j->table. */
static enum rebuy_status join_tables(struct joined *j, struct rebuy__partial *const *parts,
                                     size_t n_parts, unsigned bi, int customers, size_t reserve)
{
	rebuy__strtab_init(&j->table);
	j->n_parts = n_parts;
	size_t total = reserve;
	for (size_t p = 0; p < n_parts; p++)
		total += table_of(parts[p], bi, customers)->n;
	enum rebuy_status st = rebuy__strtab_reserve(&j->table, total);
	if (st)
		return st;
	if (!(j->id_of = rebuy__calloc(n_parts, sizeof *j->id_of)))
		return REBUY_ENOMEM;
	for (size_t p = 0; p < n_parts; p++) {
		const struct rebuy__strtab *t = table_of(parts[p], bi, customers);
		if (!(j->id_of[p] = rebuy__malloc((t->n ? t->n : 1) * sizeof **j->id_of)))
			return REBUY_ENOMEM;
		for (size_t i = 0; i < t->n; i++) {
			size_t len;
			const char *k = rebuy__strtab_key(t, (uint32_t)i, &len);
			if ((st = rebuy__strtab_intern(&j->table, k, len,
			                               rebuy__strtab_hash(k, len), &j->id_of[p][i],
			                               NULL)))
				return st;
		}
	}
	return REBUY_OK;
}

/* Numbers j->table in hash order. */
static enum rebuy_status join_rank(struct joined *j)
{
	size_t n = j->table.n;
	if (!(j->rank = rank_keys(&j->table)) ||
	    !(j->by_rank = rebuy__malloc((n ? n : 1) * sizeof *j->by_rank)))
		return REBUY_ENOMEM;
	for (size_t i = 0; i < n; i++)
		j->by_rank[j->rank[i]] = (uint32_t)i;
	return REBUY_OK;
}

static enum rebuy_status grow_scratch(struct scratch *sc, size_t n, int with_hash)
{
	if (rebuy__grow((void **)&sc->recs, &sc->recs_cap, n ? n : 1, sizeof *sc->recs,
	                SIZE_MAX / sizeof *sc->recs))
		return REBUY_ENOMEM;
	if (with_hash && rebuy__grow((void **)&sc->hash, &sc->hash_cap, 2 * (n ? n : 1),
	                             sizeof *sc->hash, SIZE_MAX / sizeof *sc->hash))
		return REBUY_ENOMEM;
	return REBUY_OK;
}

/* Keeps a customer: its purchase count and its key. */
static enum rebuy_status keep_customer(struct bucket_out *o, const char *key, size_t len,
                                       uint64_t purch)
{
	/* Two bytes of length (keys are at most 64 KiB - 1), the key, a NUL. */
	if (rebuy__grow((void **)&o->keys, &o->key_cap, o->key_bytes + len + 3, 1, SIZE_MAX / 2))
		return REBUY_ENOMEM;
	o->keys[o->key_bytes] = (char)(len & 0xFF);
	o->keys[o->key_bytes + 1] = (char)(len >> 8);
	memcpy(o->keys + o->key_bytes + 2, key, len + 1);
	o->key_bytes += len + 3;
	o->n_purch[o->n_cust++] = purch;
	return REBUY_OK;
}

static enum rebuy_status build_bucket(void *ud, size_t bi, unsigned thread)
{
	struct build *bd = ud;
	struct bucket_out *o = &bd->out[bi];
	struct scratch *sc = &bd->scratch[thread];
	const int has_key = bd->has_key;
	size_t n_r = bd->ub[bi + 1] - bd->ub[bi];
	if (n_r == 0)
		return REBUY_OK;
	struct joined cj, kj;
	memset(&cj, 0, sizeof cj);
	memset(&kj, 0, sizeof kj);
	uint64_t *off = NULL;
	/* Customers: the long keys of every partial, then every short key as
	 * its records come (ids replace the packed keys in the records), counted
	 * by id as they come. */
	uint32_t *count = NULL;
	size_t count_cap = 0;
	enum rebuy_status st = join_tables(&cj, bd->parts, bd->n_parts, (unsigned)bi, 1, n_r / 4);
	for (size_t p = 0; p < bd->n_parts && !st; p++)
		for (struct rebuy__chunk *c = bd->parts[p]->buckets[bi].head; c && !st; c = c->next)
			for (size_t i = 0; i < c->n; i++) {
				struct rebuy__rec *r = &c->recs[i];
				unsigned len = rebuy__rec_cust_len(r);
				uint32_t id;
				if (len == REBUY__CUST_LONG) {
					id = cj.id_of[p][r->cust];
				} else if ((st = rebuy__strtab_intern_word(
				                    &cj.table, r->cust, len,
				                    rebuy__strtab_hash_word(r->cust, len), &id))) {
					break;
				}
				r->cust = id;
				if (id >= count_cap) {
					size_t old_cap = count_cap;
					if ((st = rebuy__grow((void **)&count, &count_cap,
					                      (size_t)id + 1, sizeof *count,
					                      UINT32_MAX)))
						break;
					memset(count + old_cap, 0,
					       (count_cap - old_cap) * sizeof *count);
				}
				count[id]++;
			}
	if (!st)
		st = join_rank(&cj);
	if (!st)
		st = join_tables(&kj, bd->parts, bd->n_parts, (unsigned)bi, 0, 0);
	if (!st)
		st = join_rank(&kj);
	size_t n_c = cj.table.n;
	if (!st && !(off = rebuy__calloc(n_c + 1, sizeof *off)))
		st = REBUY_ENOMEM;
	if (!st)
		st = grow_scratch(sc, n_r, bd->has_hash);
	if (!st && !(o->n_purch = rebuy__malloc((n_c ? n_c : 1) * sizeof *o->n_purch)))
		st = REBUY_ENOMEM;
	if (st) {
		rebuy__free(count);
		goto out;
	}
	/* Counting sort by customer rank, over every partial's chunks. */
	for (size_t id = 0; id < n_c; id++)
		off[cj.rank[id] + 1] = count[id];
	rebuy__free(count);
	for (size_t c = 0; c < n_c; c++)
		off[c + 1] += off[c];
	struct work *recs = sc->recs;
	uint64_t *hash = bd->has_hash ? sc->hash : NULL;
	for (size_t p = 0; p < bd->n_parts; p++) {
		const uint32_t *korder = kj.table.n ? kj.id_of[p] : NULL;
		for (const struct rebuy__chunk *c = bd->parts[p]->buckets[bi].head; c; c = c->next)
			for (size_t i = 0; i < c->n; i++) {
				const struct rebuy__rec *r = &c->recs[i];
				uint32_t cr = cj.rank[r->cust];
				uint64_t at = off[cr]++;
				struct work *w = &recs[at];
				w->ts = bd->use_alt ? c->alt[i] : rebuy__rec_ts(r);
				w->value = r->value;
				w->key = r->key;
				if ((w->key & REBUY__KEY_TAG_MASK) == REBUY__KEY_TAG_LONG)
					w->key = REBUY__KEY_TAG_LONG |
					         kj.rank[korder[w->key & 0xFFFFFFFFu]];
				w->cust = cr;
				w->n_lines = rebuy__rec_lines(r);
				for (size_t k = 0; k < bd->n_attrs; k++)
					w->attr[k] = bd->amap[k][p][c->attr[i * bd->n_attrs + k]];
				if (hash) {
					hash[2 * at] = c->line_hash[2 * i];
					hash[2 * at + 1] = c->line_hash[2 * i + 1];
				}
			}
	}
	/* off[c] is now the end of customer c's run; its start is off[c - 1]. */
	int64_t *ts = bd->ts + bd->ub[bi], *value = bd->value + bd->ub[bi];
	uint32_t *n_lines = bd->n_lines + bd->ub[bi];
	size_t w = 0;
	for (size_t c = 0; c < n_c; c++) {
		size_t lo = c ? off[c - 1] : 0;
		struct work *r = recs + lo;
		size_t n = off[c] - lo;
		if (hash && (st = dedupe_run(r, hash + 2 * lo, n, &n, &o->duplicates)))
			goto out;
		/* Fold lines of one order: same key, or same time without keys. */
		size_t m = 0;
		if (n > 0) {
			sort_recs(r, n, has_key);
			for (size_t i = 1; i < n; i++) {
				int same = has_key ? r[i].key == r[m].key : r[i].ts == r[m].ts;
				if (!same) {
					r[++m] = r[i];
					continue;
				}
				if (r[i].ts < r[m].ts) {
					r[m].ts = r[i].ts;
					memcpy(r[m].attr, r[i].attr, sizeof r[m].attr);
				} else if (r[i].ts == r[m].ts) {
					/* Lines at the same earliest time: the smallest value
					 * (final ids follow the byte order of values). */
					for (size_t k = 0; k < bd->n_attrs; k++)
						if (r[i].attr[k] < r[m].attr[k])
							r[m].attr[k] = r[i].attr[k];
				}
				if (__builtin_add_overflow(r[m].value, r[i].value, &r[m].value)) {
					st = REBUY_ELIMIT;
					goto out;
				}
				r[m].n_lines += r[i].n_lines;
				o->folded++; /* its own lines were counted when they were folded */
			}
			m++;
			if (has_key)
				sort_recs(r, m, 0);
		}
		size_t purch = 0, ret_before = o->n_ret;
		for (size_t i = 0; i < m; i++) {
			if (!in_window(bd->opts, r[i].ts)) {
				o->outside_window++;
				continue;
			}
			if (r[i].value < 0) {
				if ((st = grow_returns(o)))
					goto out;
				o->ret_ts[o->n_ret] = r[i].ts;
				o->ret_value[o->n_ret] = r[i].value;
				o->ret_cust[o->n_ret] = (uint32_t)o->n_cust;
				o->n_ret++;
				continue;
			}
			ts[w] = r[i].ts;
			value[w] = r[i].value;
			n_lines[w] = r[i].n_lines;
			for (size_t k = 0; k < bd->n_attrs; k++)
				bd->attr[k][bd->ub[bi] + w] = r[i].attr[k];
			w++;
			purch++;
		}
		if (purch > 0 || o->n_ret > ret_before) {
			size_t len;
			const char *key = rebuy__strtab_key(&cj.table, cj.by_rank[c], &len);
			if ((st = keep_customer(o, key, len, purch)))
				goto out;
		}
	}
	o->n_orders = w;
out:
	joined_release(&cj);
	joined_release(&kj);
	rebuy__free(off);
	return st;
}

static void bucket_out_release(struct bucket_out *o)
{
	rebuy__free(o->n_purch);
	rebuy__free(o->keys);
	rebuy__free(o->ret_cust);
	rebuy__free(o->ret_ts);
	rebuy__free(o->ret_value);
	memset(o, 0, sizeof *o);
}

static void priv_free(struct rebuy__orders_priv *p)
{
	if (!p)
		return;
	rebuy__free(p->cust_start);
	rebuy__free(p->ts);
	rebuy__free(p->value);
	rebuy__free(p->n_lines);
	rebuy__free(p->ret_cust);
	rebuy__free(p->ret_start);
	rebuy__free(p->ret_ts);
	rebuy__free(p->ret_value);
	rebuy__free(p->key_offs);
	rebuy__free(p->key_chars);
	for (size_t k = 0; k < REBUY_MAX_ATTRIBUTES; k++) {
		rebuy__free(p->attr[k]);
		rebuy__strtab_release(&p->attr_values[k]);
		rebuy__free(p->attr_by_rank[k]);
		rebuy__free(p->attr_names[k]);
	}
	rebuy__free(p);
}

static _Thread_local const struct rebuy__strtab *value_table;

static int cmp_value_ids(const void *pa, const void *pb)
{
	size_t la, lb;
	const char *a = rebuy__strtab_key(value_table, *(const uint32_t *)pa, &la);
	const char *b = rebuy__strtab_key(value_table, *(const uint32_t *)pb, &lb);
	int c = memcmp(a, b, la < lb ? la : lb);
	return c ? c : (la > lb) - (la < lb);
}

/* Every value of attribute k over the partials, numbered in byte order (a
 * numbering that depends only on the values), and each partial's ids
 * mapped to it. Attributes have few values (channels, countries), so this
 * runs once, before the buckets. */
static enum rebuy_status join_attribute(struct build *bd, struct rebuy__orders_priv *p, size_t k)
{
	struct rebuy__strtab *all = &p->attr_values[k];
	uint32_t **map = rebuy__calloc(bd->n_parts, sizeof *map);
	if (!map)
		return REBUY_ENOMEM;
	bd->amap[k] = map;
	for (size_t q = 0; q < bd->n_parts; q++) {
		const struct rebuy__strtab *t = &bd->parts[q]->attr_values[k];
		if (!(map[q] = rebuy__malloc((t->n ? t->n : 1) * sizeof **map)))
			return REBUY_ENOMEM;
		for (size_t i = 0; i < t->n; i++) {
			size_t len;
			const char *v = rebuy__strtab_key(t, (uint32_t)i, &len);
			enum rebuy_status st = rebuy__strtab_intern(
			        all, v, len, rebuy__strtab_hash(v, len), &map[q][i], NULL);
			if (st)
				return st;
		}
	}
	size_t n = all->n;
	uint32_t *by_rank = rebuy__malloc((n ? n : 1) * sizeof *by_rank);
	uint32_t *rank = rebuy__malloc((n ? n : 1) * sizeof *rank);
	if (!by_rank || !rank) {
		rebuy__free(by_rank);
		rebuy__free(rank);
		return REBUY_ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		by_rank[i] = (uint32_t)i;
	value_table = all;
	qsort(by_rank, n, sizeof *by_rank, cmp_value_ids);
	for (size_t r = 0; r < n; r++)
		rank[by_rank[r]] = (uint32_t)r;
	for (size_t q = 0; q < bd->n_parts; q++)
		for (size_t i = 0; i < bd->parts[q]->attr_values[k].n; i++)
			map[q][i] = rank[map[q][i]];
	rebuy__free(rank);
	p->attr_by_rank[k] = by_rank;
	return REBUY_OK;
}

static void *alloc_n(size_t n, size_t size)
{
	return rebuy__malloc((n ? n : 1) * size);
}

static int64_t day_of(int64_t ts)
{
	return ts >= 0 ? ts / 86400 : -((-ts + 86399) / 86400);
}

/* Closes up the columns (each bucket's orders move down to follow the
 * previous bucket's) and lays out the customers, keys and returns. */
static enum rebuy_status assemble(struct rebuy_orders *t, struct build *bd,
                                  struct rebuy__orders_priv *p)
{
	size_t n_c = 0, n_o = 0, n_ret = 0, key_bytes = 0;
	for (unsigned b = 0; b < REBUY__BUCKETS; b++) {
		n_c += bd->out[b].n_cust;
		n_ret += bd->out[b].n_ret;
		key_bytes += bd->out[b].key_bytes;
	}
	if (n_c > UINT32_MAX - 1)
		return REBUY_ELIMIT;
	p->cust_start = alloc_n(n_c + 1, sizeof *p->cust_start);
	p->ret_cust = alloc_n(n_ret, sizeof *p->ret_cust);
	p->ret_start = alloc_n(n_c + 1, sizeof *p->ret_start);
	p->ret_ts = alloc_n(n_ret, sizeof *p->ret_ts);
	p->ret_value = alloc_n(n_ret, sizeof *p->ret_value);
	p->key_offs = alloc_n(n_c, sizeof *p->key_offs);
	p->key_chars = alloc_n(key_bytes, 1);
	if (!p->cust_start || !p->ret_cust || !p->ret_start || !p->ret_ts || !p->ret_value ||
	    !p->key_offs || !p->key_chars)
		return REBUY_ENOMEM;
	size_t c0 = 0, r0 = 0, kb = 0;
	for (unsigned b = 0; b < REBUY__BUCKETS; b++) {
		const struct bucket_out *o = &bd->out[b];
		size_t from = bd->ub[b];
		if (from != n_o && o->n_orders) {
			memmove(p->ts + n_o, p->ts + from, o->n_orders * sizeof *p->ts);
			memmove(p->value + n_o, p->value + from, o->n_orders * sizeof *p->value);
			memmove(p->n_lines + n_o, p->n_lines + from,
			        o->n_orders * sizeof *p->n_lines);
			for (size_t k = 0; k < p->n_attrs; k++)
				memmove(p->attr[k] + n_o, p->attr[k] + from,
				        o->n_orders * sizeof *p->attr[k]);
		}
		const unsigned char *key = (const unsigned char *)o->keys;
		for (size_t c = 0; c < o->n_cust; c++) {
			size_t len = (size_t)key[0] | (size_t)key[1] << 8;
			p->cust_start[c0 + c] = n_o;
			n_o += o->n_purch[c];
			memcpy(p->key_chars + kb, key + 2, len + 1);
			p->key_offs[c0 + c] = (uint64_t)kb << 16 | len;
			kb += len + 1;
			key += len + 3;
		}
		for (size_t i = 0; i < o->n_ret; i++) {
			p->ret_cust[r0 + i] = (uint32_t)(c0 + o->ret_cust[i]);
			p->ret_ts[r0 + i] = o->ret_ts[i];
			p->ret_value[r0 + i] = o->ret_value[i];
		}
		c0 += o->n_cust;
		r0 += o->n_ret;
		t->report.orders_outside_window += o->outside_window;
		t->report.rejected[REBUY_REASON_DUPLICATE_LINE] += o->duplicates;
		t->report.lines_merged += o->folded;
	}
	p->cust_start[n_c] = n_o;
	memset(p->ret_start, 0, (n_c + 1) * sizeof *p->ret_start);
	for (size_t i = 0; i < n_ret; i++)
		p->ret_start[p->ret_cust[i] + 1]++;
	for (size_t c = 0; c < n_c; c++)
		p->ret_start[c + 1] += p->ret_start[c];
	t->report.rows_used -= t->report.rejected[REBUY_REASON_DUPLICATE_LINE];
	t->n_customers = n_c;
	t->n_orders = n_o;
	t->n_returns = n_ret;
	if (n_o > 0) {
		int64_t lo = INT64_MAX, hi = INT64_MIN;
		for (size_t c = 0; c < n_c; c++) {
			uint64_t a = p->cust_start[c], z = p->cust_start[c + 1];
			if (a == z)
				continue;
			if (p->ts[a] < lo)
				lo = p->ts[a];
			if (p->ts[z - 1] > hi)
				hi = p->ts[z - 1];
		}
		t->first_day = day_of(lo);
		t->last_day = day_of(hi);
	}
	return REBUY_OK;
}

/* Groups the partials' records into t's columns. The partials are freed as
 * soon as their records are no longer needed (and on failure). */
static enum rebuy_status build_orders(struct rebuy_orders *t, struct rebuy__partial **parts,
                                      size_t n_parts, int use_alt,
                                      const struct rebuy_input_options *opts,
                                      struct rebuy_error *err)
{
	unsigned threads = rebuy__ingest_threads(opts);
	double t0 = rebuy__now();
	enum rebuy_status st = REBUY_ENOMEM;
	struct rebuy__orders_priv *p = rebuy__calloc(1, sizeof *p);
	struct build *bd = rebuy__calloc(1, sizeof *bd);
	if (!p || !bd)
		goto out;
	bd->parts = parts;
	bd->n_parts = n_parts;
	bd->use_alt = use_alt;
	bd->opts = opts;
	bd->has_key = parts[0]->has_order_key;
	bd->has_hash = parts[0]->has_line_hash;
	for (unsigned b = 0; b < REBUY__BUCKETS; b++) {
		size_t n = 0;
		for (size_t q = 0; q < n_parts; q++)
			n += parts[q]->buckets[b].n_recs;
		bd->ub[b + 1] = bd->ub[b] + n;
	}
	size_t n_recs = bd->ub[REBUY__BUCKETS];
	if (!(bd->scratch = rebuy__calloc(threads, sizeof *bd->scratch)))
		goto out;
	p->ts = alloc_n(n_recs, sizeof *p->ts);
	p->value = alloc_n(n_recs, sizeof *p->value);
	p->n_lines = alloc_n(n_recs, sizeof *p->n_lines);
	if (!p->ts || !p->value || !p->n_lines)
		goto out;
	bd->ts = p->ts;
	bd->value = p->value;
	bd->n_lines = p->n_lines;
	bd->n_attrs = p->n_attrs = parts[0]->n_attrs;
	for (size_t k = 0; k < bd->n_attrs; k++) {
		rebuy__strtab_init(&p->attr_values[k]);
		if (!(p->attr[k] = alloc_n(n_recs, sizeof *p->attr[k])) ||
		    (st = join_attribute(bd, p, k)) != REBUY_OK) {
			st = st ? st : REBUY_ENOMEM;
			goto out;
		}
		bd->attr[k] = p->attr[k];
		const char *name = t->report.column_names[t->report.attr_column[k]];
		if (!(p->attr_names[k] = rebuy__strndup(name, strlen(name)))) {
			st = REBUY_ENOMEM;
			goto out;
		}
	}
	if ((st = rebuy__parallel_for(threads, REBUY__BUCKETS, build_bucket, bd)))
		goto out;
	/* The records are in the columns: free them before laying out the rest. */
	for (size_t q = 0; q < n_parts; q++) {
		rebuy__partial_free(parts[q]);
		parts[q] = NULL;
	}
	if ((st = assemble(t, bd, p)))
		goto out;
	t->has_order_key = bd->has_key;
	t->n_attributes = p->n_attrs;
	for (size_t k = 0; k < p->n_attrs; k++) {
		t->attr[k] = p->attr[k];
		t->n_attr_values[k] = p->attr_values[k].n;
	}
	t->cust_start = p->cust_start;
	t->ts = p->ts;
	t->value = p->value;
	t->n_lines = p->n_lines;
	t->ret_cust = p->ret_cust;
	t->ret_start = p->ret_start;
	t->ret_ts = p->ret_ts;
	t->ret_value = p->ret_value;
	t->priv = p;
	p = NULL;
	t->report.seconds_group = rebuy__now() - t0;
out:
	if (st == REBUY_ELIMIT)
		rebuy_error_set(err, st,
		                "an order's value is beyond what rebuy holds (+-922 trillion), "
		                "or more than 4,294,967,294 customers");
	else if (st)
		rebuy_error_set(err, st, "out of memory");
	if (bd) {
		for (unsigned b = 0; b < REBUY__BUCKETS; b++)
			bucket_out_release(&bd->out[b]);
		if (bd->scratch)
			for (unsigned k = 0; k < threads; k++) {
				rebuy__free(bd->scratch[k].recs);
				rebuy__free(bd->scratch[k].hash);
			}
		rebuy__free(bd->scratch);
		for (size_t k = 0; k < REBUY_MAX_ATTRIBUTES; k++) {
			if (bd->amap[k])
				for (size_t q = 0; q < n_parts; q++)
					rebuy__free(bd->amap[k][q]);
			rebuy__free(bd->amap[k]);
		}
	}
	rebuy__free(bd);
	priv_free(p);
	for (size_t q = 0; q < n_parts; q++)
		rebuy__partial_free(parts[q]);
	return st;
}

/* The caller's copy of a report, with its own column names and infos
 * (left out when memory runs short: a report is informative). */
static void copy_report(struct rebuy_input_report *dst, const struct rebuy_input_report *src)
{
	*dst = *src;
	dst->column_names = NULL;
	dst->columns = NULL;
	dst->n_columns = 0;
	if (!src->n_columns)
		return;
	dst->column_names = rebuy__calloc(src->n_columns, sizeof(char *));
	if (!dst->column_names)
		return;
	dst->n_columns = src->n_columns;
	for (size_t i = 0; i < src->n_columns; i++) {
		dst->column_names[i] =
		        rebuy__strndup(src->column_names[i], strlen(src->column_names[i]));
		if (!dst->column_names[i]) {
			rebuy__report_release_names(dst);
			return;
		}
	}
	if (src->columns && (dst->columns = rebuy__malloc(src->n_columns * sizeof *dst->columns)))
		memcpy(dst->columns, src->columns, src->n_columns * sizeof *dst->columns);
}

enum rebuy_status rebuy_orders_load(struct rebuy_orders **out,
                                    const struct rebuy_input_options *opts,
                                    struct rebuy_input_report *report, struct rebuy_error *err)
{
	*out = NULL;
	if (report)
		memset(report, 0, sizeof *report);
	struct rebuy_orders *t = rebuy__calloc(1, sizeof *t);
	if (!t)
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	struct rebuy__partial **parts = NULL;
	size_t n_parts = 0;
	int use_alt = 0;
	enum rebuy_status st =
	        rebuy__ingest_read(opts, &t->report, &parts, &n_parts, &use_alt, err);
	if (st == REBUY_OK) {
		t->has_amount = t->report.role_column[REBUY_ROLE_AMOUNT] >= 0 ||
		                (t->report.role_column[REBUY_ROLE_PRICE] >= 0 &&
		                 t->report.role_column[REBUY_ROLE_QUANTITY] >= 0);
		st = build_orders(t, parts, n_parts, use_alt, opts, err);
	}
	rebuy__free(parts);
	if (report)
		copy_report(report, &t->report);
	if (st) {
		rebuy_orders_free(t);
		return st;
	}
	*out = t;
	return REBUY_OK;
}

void rebuy_input_report_release(struct rebuy_input_report *report)
{
	if (report)
		rebuy__report_release_names(report);
}

void rebuy_orders_free(struct rebuy_orders *t)
{
	if (!t)
		return;
	priv_free(t->priv);
	rebuy__report_release_names(&t->report);
	rebuy__free(t);
}

const char *rebuy_orders_attribute_name(const struct rebuy_orders *t, size_t k)
{
	return k < t->n_attributes ? t->priv->attr_names[k] : NULL;
}

const char *rebuy_orders_attribute_value(const struct rebuy_orders *t, size_t k, uint32_t id,
                                         size_t *len)
{
	if (k >= t->n_attributes || id >= t->n_attr_values[k])
		return NULL;
	return rebuy__strtab_key(&t->priv->attr_values[k], t->priv->attr_by_rank[k][id], len);
}

const char *rebuy_orders_customer_key(const struct rebuy_orders *t, size_t c, size_t *len)
{
	uint64_t o = t->priv->key_offs[c];
	if (len)
		*len = (size_t)(o & 0xFFFF);
	return t->priv->key_chars + (o >> 16);
}

static _Thread_local const struct rebuy_orders *sort_orders;

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n > 0;
}

int rebuy_key_compare(const char *a, size_t la, const char *b, size_t lb)
{
	int da = all_digits(a, la), db = all_digits(b, lb);
	if (da != db)
		return da ? -1 : 1;
	if (da) {
		const char *sa = a, *sb = b;
		size_t na = la, nb = lb;
		while (na > 1 && *sa == '0') {
			sa++;
			na--;
		}
		while (nb > 1 && *sb == '0') {
			sb++;
			nb--;
		}
		if (na != nb)
			return na < nb ? -1 : 1;
		int c = memcmp(sa, sb, na);
		if (c)
			return c;
	}
	int c = memcmp(a, b, la < lb ? la : lb);
	return c ? c : (la > lb) - (la < lb);
}

static int cmp_customer_keys(const void *pa, const void *pb)
{
	size_t la, lb;
	const char *a = rebuy_orders_customer_key(sort_orders, *(const uint32_t *)pa, &la);
	const char *b = rebuy_orders_customer_key(sort_orders, *(const uint32_t *)pb, &lb);
	return rebuy_key_compare(a, la, b, lb);
}

/* A customer's place in key order, precomputed so that most comparisons
 * are two integers: keys of up to 19 significant digits carry their value. */
struct key_order {
	uint64_t num; /* the value of a numeric key (leading zeros dropped) */
	uint32_t id;
	uint32_t cls; /* 0: numeric and fits, 1: numeric and longer, 2: other */
};

static int cmp_key_order(const void *pa, const void *pb)
{
	const struct key_order *a = pa, *b = pb;
	if (a->cls == 0 && b->cls == 0 && a->num != b->num)
		return a->num < b->num ? -1 : 1;
	if ((a->cls == 2) != (b->cls == 2))
		return a->cls == 2 ? 1 : -1;
	uint32_t ia = a->id, ib = b->id;
	return cmp_customer_keys(&ia, &ib);
}

/* Sorts k like cmp_key_order when every key is numeric and fits (shops'
 * ids mostly are): an LSD radix sort on the value, 8 bits a pass (passes
 * whose byte is the same everywhere skipped), then equal values ("7" and
 * "007") by the comparator. 0 when it does not apply or lacks memory. */
static int radix_numeric(struct key_order *k, size_t n)
{
	uint64_t all_or = 0, all_and = ~(uint64_t)0;
	for (size_t i = 0; i < n; i++) {
		if (k[i].cls != 0)
			return 0;
		all_or |= k[i].num;
		all_and &= k[i].num;
	}
	struct key_order *tmp = rebuy__malloc((n ? n : 1) * sizeof *tmp);
	if (!tmp)
		return 0;
	struct key_order *src = k, *dst = tmp;
	for (unsigned shift = 0; shift < 64; shift += 8) {
		if ((((all_or ^ all_and) >> shift) & 0xff) == 0)
			continue; /* the same byte in every key */
		size_t count[257] = {0};
		for (size_t i = 0; i < n; i++)
			count[((src[i].num >> shift) & 0xff) + 1]++;
		for (int b = 0; b < 256; b++)
			count[b + 1] += count[b];
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i].num >> shift) & 0xff]++] = src[i];
		struct key_order *t = src;
		src = dst;
		dst = t;
	}
	if (src != k)
		memcpy(k, src, n * sizeof *k);
	rebuy__free(tmp);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && k[j].num == k[i].num)
			j++;
		if (j - i > 1)
			qsort(k + i, j - i, sizeof *k, cmp_key_order);
		i = j;
	}
	return 1;
}

enum rebuy_status rebuy_orders_customers_by_key(const struct rebuy_orders *t, uint32_t *ids)
{
	size_t n = t->n_customers;
	struct key_order *k = rebuy__malloc((n ? n : 1) * sizeof *k);
	sort_orders = t;
	if (!k) {
		/* Slower, but no memory needed. */
		for (size_t c = 0; c < n; c++)
			ids[c] = (uint32_t)c;
		qsort(ids, n, sizeof *ids, cmp_customer_keys);
		return REBUY_OK;
	}
	for (size_t c = 0; c < n; c++) {
		size_t len;
		const char *key = rebuy_orders_customer_key(t, c, &len);
		k[c].id = (uint32_t)c;
		k[c].num = 0;
		if (!all_digits(key, len)) {
			k[c].cls = 2;
			continue;
		}
		size_t i = 0;
		while (i + 1 < len && key[i] == '0')
			i++;
		if (len - i > 19) {
			k[c].cls = 1;
			continue;
		}
		k[c].cls = 0;
		for (; i < len; i++)
			k[c].num = k[c].num * 10 + (uint64_t)(key[i] - '0');
	}
	if (!radix_numeric(k, n))
		qsort(k, n, sizeof *k, cmp_key_order);
	for (size_t c = 0; c < n; c++)
		ids[c] = k[c].id;
	rebuy__free(k);
	return REBUY_OK;
}
