/* The orders table (DESIGN.md §3-4): records of a partial grouped into
 * orders, bucket by bucket on several threads, then laid out as columns.
 *
 * Within a bucket, customers are numbered in key order and a counting sort
 * puts each customer's records together; a customer's lines with the same
 * order key (or, without keys, the same time) become one order whose time
 * is the earliest and whose value is the exact sum; orders are sorted by
 * (time, order key). Numbering by key inside buckets makes the table the
 * same whatever the thread count.
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
};

struct bucket_out {
	size_t n_cust, n_orders, n_ret, key_bytes;
	uint32_t *key_id;        /* kept customer -> id in the bucket's customer table */
	uint64_t *n_purch;       /* kept customer -> purchases */
	struct rebuy__rec *recs; /* the purchases, grouped, in customer then time order */
	uint32_t *ret_cust;      /* bucket-local kept customer */
	int64_t *ret_ts, *ret_value;
	uint64_t outside_window, duplicates, folded;
};

struct build {
	struct rebuy__partial *part;
	int use_alt;
	const struct rebuy_input_options *opts;
	struct bucket_out out[REBUY__BUCKETS];
	/* assembly */
	struct rebuy__orders_priv *priv;
	size_t cust_base[REBUY__BUCKETS + 1], order_base[REBUY__BUCKETS + 1],
		ret_base[REBUY__BUCKETS + 1], key_base[REBUY__BUCKETS + 1];
};

/* ---- sorting small runs ------------------------------------------------------ */

static inline int before_key_ts(const struct rebuy__rec *a, const struct rebuy__rec *b)
{
	return a->key < b->key || (a->key == b->key && a->ts < b->ts);
}

static inline int before_ts_key(const struct rebuy__rec *a, const struct rebuy__rec *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->key < b->key);
}

static int cmp_key_ts(const void *pa, const void *pb)
{
	const struct rebuy__rec *a = pa, *b = pb;
	return before_key_ts(a, b) ? -1 : before_key_ts(b, a);
}

static int cmp_ts_key(const void *pa, const void *pb)
{
	const struct rebuy__rec *a = pa, *b = pb;
	return before_ts_key(a, b) ? -1 : before_ts_key(b, a);
}

static void sort_recs(struct rebuy__rec *r, size_t n, int by_key_first)
{
	int (*before)(const struct rebuy__rec *, const struct rebuy__rec *) =
		by_key_first ? before_key_ts : before_ts_key;
	size_t i = 1;
	while (i < n && !before(&r[i], &r[i - 1]))
		i++;
	if (i >= n)
		return; /* already in order: the usual case for exports in date order */
	if (n > 24) {
		qsort(r, n, sizeof *r, by_key_first ? cmp_key_ts : cmp_ts_key);
		return;
	}
	for (; i < n; i++) {
		struct rebuy__rec x = r[i];
		size_t j = i;
		while (j > 0 && before(&x, &r[j - 1])) {
			r[j] = r[j - 1];
			j--;
		}
		r[j] = x;
	}
}

struct hashed {
	uint64_t h0, h1;
	struct rebuy__rec rec;
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

/* rank[id] = position of id in hash order. */
static uint32_t *rank_keys(const struct rebuy__strtab *t)
{
	struct hashed_id *h = rebuy__malloc((t->n ? t->n : 1) * sizeof *h);
	uint32_t *rank = rebuy__malloc((t->n ? t->n : 1) * sizeof *rank);
	if (!h || !rank) {
		rebuy__free(h);
		rebuy__free(rank);
		return NULL;
	}
	for (size_t i = 0; i < t->n; i++) {
		size_t len;
		const char *k = rebuy__strtab_key(t, (uint32_t)i, &len);
		h[i].hash = rebuy__strtab_hash(k, len);
		h[i].id = (uint32_t)i;
	}
	sort_table = t;
	qsort(h, t->n, sizeof *h, cmp_hashed_ids);
	for (size_t i = 0; i < t->n; i++)
		rank[h[i].id] = (uint32_t)i;
	rebuy__free(h);
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
static enum rebuy_status dedupe_run(struct rebuy__rec *r, const uint64_t *hash, size_t n,
                                    size_t *out_n, uint64_t *dropped)
{
	struct hashed *h = rebuy__malloc(n * sizeof *h);
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
static enum rebuy_status grow_returns(struct bucket_out *o, size_t *cap)
{
	if (o->n_ret < *cap)
		return REBUY_OK;
	size_t ncap = *cap ? *cap * 2 : 16;
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
	*cap = ncap;
	return REBUY_OK;
}

static enum rebuy_status build_bucket(void *ud, size_t bi, unsigned thread)
{
	struct build *bd = ud;
	struct rebuy__bucket *b = &bd->part->buckets[bi];
	struct bucket_out *o = &bd->out[bi];
	const int has_key = bd->part->has_order_key;
	const int has_hash = bd->part->has_line_hash;
	(void)thread;
	size_t n_c = b->customers.n, n_r = b->n_recs;
	if (n_c == 0)
		return REBUY_OK;
	enum rebuy_status st = REBUY_ENOMEM;
	uint32_t *rank = NULL, *krank = NULL;
	uint64_t *off = NULL, *hash = NULL;
	struct rebuy__rec *recs = NULL;
	if (!(rank = rank_keys(&b->customers)))
		goto out;
	if (b->long_keys.n && !(krank = rank_keys(&b->long_keys)))
		goto out;
	off = rebuy__calloc(n_c + 1, sizeof *off);
	recs = rebuy__malloc((n_r ? n_r : 1) * sizeof *recs);
	if (!off || !recs)
		goto out;
	if (has_hash && !(hash = rebuy__malloc((n_r ? n_r : 1) * 2 * sizeof *hash)))
		goto out;
	/* Counting sort by customer rank. */
	for (struct rebuy__chunk *c = b->head; c; c = c->next)
		for (size_t i = 0; i < c->n; i++)
			off[rank[c->recs[i].cust] + 1]++;
	for (size_t c = 0; c < n_c; c++)
		off[c + 1] += off[c];
	/* Chunks are newest first: walk them oldest first so each run keeps
	 * input order (sorting is then usually a no-op). */
	size_t n_chunks = 0;
	for (struct rebuy__chunk *c = b->head; c; c = c->next)
		n_chunks++;
	struct rebuy__chunk **chunks = rebuy__malloc((n_chunks ? n_chunks : 1) * sizeof *chunks);
	if (!chunks)
		goto out;
	size_t k = n_chunks;
	for (struct rebuy__chunk *c = b->head; c; c = c->next)
		chunks[--k] = c;
	uint64_t *fillp = rebuy__malloc((n_c ? n_c : 1) * sizeof *fillp);
	if (!fillp) {
		rebuy__free(chunks);
		goto out;
	}
	memcpy(fillp, off, n_c * sizeof *fillp);
	for (size_t ci = 0; ci < n_chunks; ci++) {
		struct rebuy__chunk *c = chunks[ci];
		for (size_t i = 0; i < c->n; i++) {
			struct rebuy__rec r = c->recs[i];
			uint32_t cr = rank[r.cust];
			uint64_t at = fillp[cr]++;
			r.cust = cr;
			if (bd->use_alt)
				r.ts = c->alt[i];
			if ((r.key & REBUY__KEY_TAG_MASK) == REBUY__KEY_TAG_LONG)
				r.key = REBUY__KEY_TAG_LONG | krank[r.key & 0xFFFFFFFFu];
			recs[at] = r;
			if (hash) {
				hash[2 * at] = c->line_hash[2 * i];
				hash[2 * at + 1] = c->line_hash[2 * i + 1];
			}
		}
	}
	rebuy__free(fillp);
	rebuy__free(chunks);

	rebuy__bucket_free_chunks(b);

	/* Group each customer's records into orders, compacting the purchases
	 * to the front of recs (the write point never passes the read point). */
	o->key_id = rebuy__malloc(n_c * sizeof *o->key_id);
	o->n_purch = rebuy__malloc(n_c * sizeof *o->n_purch);
	uint32_t *by_rank = rebuy__malloc(n_c * sizeof *by_rank);
	if (!o->key_id || !o->n_purch || !by_rank) {
		rebuy__free(by_rank);
		goto out;
	}
	for (size_t id = 0; id < n_c; id++)
		by_rank[rank[id]] = (uint32_t)id;
	size_t ret_cap = 0, w = 0;
	for (size_t c = 0; c < n_c; c++) {
		struct rebuy__rec *r = recs + off[c];
		size_t n = (size_t)(off[c + 1] - off[c]);
		if (hash && (st = dedupe_run(r, hash + 2 * off[c], n, &n, &o->duplicates))) {
			rebuy__free(by_rank);
			goto out;
		}
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
				if (r[i].ts < r[m].ts)
					r[m].ts = r[i].ts;
				if (__builtin_add_overflow(r[m].value, r[i].value, &r[m].value)) {
					rebuy__free(by_rank);
					st = REBUY_ELIMIT;
					goto out;
				}
				r[m].n_lines += r[i].n_lines;
				o->folded += r[i].n_lines;
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
				if ((st = grow_returns(o, &ret_cap))) {
					rebuy__free(by_rank);
					goto out;
				}
				o->ret_ts[o->n_ret] = r[i].ts;
				o->ret_value[o->n_ret] = r[i].value;
				o->ret_cust[o->n_ret] = (uint32_t)o->n_cust;
				o->n_ret++;
				continue;
			}
			recs[w++] = r[i];
			purch++;
		}
		if (purch > 0 || o->n_ret > ret_before) {
			size_t len;
			uint32_t id = by_rank[c];
			rebuy__strtab_key(&b->customers, id, &len);
			o->key_id[o->n_cust] = id;
			o->n_purch[o->n_cust] = purch;
			o->key_bytes += len + 1;
			o->n_cust++;
		}
	}
	rebuy__free(by_rank);
	o->n_orders = w;
	o->recs = recs;
	recs = NULL;
	st = REBUY_OK;
out:
	rebuy__free(rank);
	rebuy__free(krank);
	rebuy__free(off);
	rebuy__free(hash);
	rebuy__free(recs);
	return st;
}

static void bucket_out_release(struct bucket_out *o)
{
	rebuy__free(o->key_id);
	rebuy__free(o->n_purch);
	rebuy__free(o->recs);
	rebuy__free(o->ret_cust);
	rebuy__free(o->ret_ts);
	rebuy__free(o->ret_value);
	memset(o, 0, sizeof *o);
}

/* Copies bucket bi into the final columns and frees its parts. */
static enum rebuy_status assemble_bucket(void *ud, size_t bi, unsigned thread)
{
	struct build *bd = ud;
	struct bucket_out *o = &bd->out[bi];
	struct rebuy__orders_priv *p = bd->priv;
	const struct rebuy__bucket *b = &bd->part->buckets[bi];
	(void)thread;
	size_t c0 = bd->cust_base[bi], o0 = bd->order_base[bi], r0 = bd->ret_base[bi];
	size_t kb = bd->key_base[bi];
	for (size_t i = 0; i < o->n_orders; i++) {
		p->ts[o0 + i] = o->recs[i].ts;
		p->value[o0 + i] = o->recs[i].value;
		p->n_lines[o0 + i] = o->recs[i].n_lines;
	}
	size_t at = o0;
	for (size_t c = 0; c < o->n_cust; c++) {
		p->cust_start[c0 + c] = at;
		at += o->n_purch[c];
		size_t len;
		const char *key = rebuy__strtab_key(&b->customers, o->key_id[c], &len);
		memcpy(p->key_chars + kb, key, len + 1);
		p->key_offs[c0 + c] = (uint64_t)kb << 16 | len;
		kb += len + 1;
	}
	for (size_t i = 0; i < o->n_ret; i++) {
		p->ret_cust[r0 + i] = (uint32_t)(c0 + o->ret_cust[i]);
		p->ret_ts[r0 + i] = o->ret_ts[i];
		p->ret_value[r0 + i] = o->ret_value[i];
	}
	bucket_out_release(o);
	return REBUY_OK;
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
	rebuy__free(p);
}

static void *alloc_n(size_t n, size_t size)
{
	return rebuy__malloc((n ? n : 1) * size);
}

static enum rebuy_status build_orders(struct rebuy_orders *t, struct rebuy__partial *part,
                                      int use_alt, const struct rebuy_input_options *opts,
                                      struct rebuy_error *err)
{
	unsigned threads = rebuy__ingest_threads(opts);
	double t0 = rebuy__now();
	struct build *bd = rebuy__calloc(1, sizeof *bd);
	if (!bd)
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	bd->part = part;
	bd->use_alt = use_alt;
	bd->opts = opts;
	enum rebuy_status st = rebuy__parallel_for(threads, REBUY__BUCKETS, build_bucket, bd);
	if (st)
		goto out;
	for (unsigned b = 0; b < REBUY__BUCKETS; b++) {
		const struct bucket_out *o = &bd->out[b];
		bd->cust_base[b + 1] = bd->cust_base[b] + o->n_cust;
		bd->order_base[b + 1] = bd->order_base[b] + o->n_orders;
		bd->ret_base[b + 1] = bd->ret_base[b] + o->n_ret;
		bd->key_base[b + 1] = bd->key_base[b] + o->key_bytes;
		t->report.orders_outside_window += o->outside_window;
		t->report.rejected[REBUY_REASON_DUPLICATE_LINE] += o->duplicates;
		t->report.lines_merged += o->folded;
	}
	t->report.rows_used -= t->report.rejected[REBUY_REASON_DUPLICATE_LINE];
	size_t n_c = bd->cust_base[REBUY__BUCKETS], n_o = bd->order_base[REBUY__BUCKETS];
	size_t n_ret = bd->ret_base[REBUY__BUCKETS];
	if (n_c > UINT32_MAX - 1) {
		st = rebuy_error_set(err, REBUY_ELIMIT, "more than 4,294,967,294 customers");
		goto out;
	}
	struct rebuy__orders_priv *p = rebuy__calloc(1, sizeof *p);
	if (!p) {
		st = REBUY_ENOMEM;
		goto out;
	}
	bd->priv = p;
	p->cust_start = alloc_n(n_c + 1, sizeof *p->cust_start);
	p->ts = alloc_n(n_o, sizeof *p->ts);
	p->value = alloc_n(n_o, sizeof *p->value);
	p->n_lines = alloc_n(n_o, sizeof *p->n_lines);
	p->ret_cust = alloc_n(n_ret, sizeof *p->ret_cust);
	p->ret_start = alloc_n(n_c + 1, sizeof *p->ret_start);
	p->ret_ts = alloc_n(n_ret, sizeof *p->ret_ts);
	p->ret_value = alloc_n(n_ret, sizeof *p->ret_value);
	p->key_offs = alloc_n(n_c, sizeof *p->key_offs);
	p->key_chars = alloc_n(bd->key_base[REBUY__BUCKETS], 1);
	if (!p->cust_start || !p->ts || !p->value || !p->n_lines || !p->ret_cust || !p->ret_start || !p->ret_ts ||
	    !p->ret_value || !p->key_offs || !p->key_chars) {
		st = REBUY_ENOMEM;
		goto out;
	}
	if ((st = rebuy__parallel_for(threads, REBUY__BUCKETS, assemble_bucket, bd)))
		goto out;
	p->cust_start[n_c] = n_o;
	/* Returns are in customer order: their offsets follow from a count. */
	memset(p->ret_start, 0, (n_c + 1) * sizeof *p->ret_start);
	for (size_t i = 0; i < n_ret; i++)
		p->ret_start[p->ret_cust[i] + 1]++;
	for (size_t c = 0; c < n_c; c++)
		p->ret_start[c + 1] += p->ret_start[c];
	t->ret_start = p->ret_start;
	t->priv = p;
	bd->priv = NULL;
	t->n_customers = n_c;
	t->n_orders = n_o;
	t->n_returns = n_ret;
	t->cust_start = p->cust_start;
	t->ts = p->ts;
	t->value = p->value;
	t->n_lines = p->n_lines;
	t->ret_cust = p->ret_cust;
	t->ret_ts = p->ret_ts;
	t->ret_value = p->ret_value;
	t->has_order_key = part->has_order_key;
	t->report.seconds_group = rebuy__now() - t0;
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
		t->first_day = lo >= 0 ? lo / 86400 : -((-lo + 86399) / 86400);
		t->last_day = hi >= 0 ? hi / 86400 : -((-hi + 86399) / 86400);
	}
out:
	if (st == REBUY_ELIMIT)
		rebuy_error_set(err, st, "an order's value is beyond what rebuy holds (+-922 trillion)");
	else if (st)
		rebuy_error_set(err, st, "out of memory");
	for (unsigned b = 0; b < REBUY__BUCKETS; b++)
		bucket_out_release(&bd->out[b]);
	priv_free(bd->priv);
	rebuy__free(bd);
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
		dst->column_names[i] = rebuy__strndup(src->column_names[i], strlen(src->column_names[i]));
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
	struct rebuy_orders *t = rebuy__calloc(1, sizeof *t);
	if (!t)
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	struct rebuy__partial *part = rebuy__malloc(sizeof *part);
	if (!part) {
		rebuy__free(t);
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	}
	int use_alt = 0;
	enum rebuy_status st = rebuy__ingest_read(opts, &t->report, part, &use_alt, err);
	if (st == REBUY_OK) {
		t->has_amount = t->report.role_column[REBUY_ROLE_AMOUNT] >= 0 ||
		                (t->report.role_column[REBUY_ROLE_PRICE] >= 0 &&
		                 t->report.role_column[REBUY_ROLE_QUANTITY] >= 0);
		st = build_orders(t, part, use_alt, opts, err);
		rebuy__partial_release(part);
	}
	rebuy__free(part);
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

/* Keys of digits only first, by numeric value; then bytes. */
static int cmp_customer_keys(const void *pa, const void *pb)
{
	size_t la, lb;
	const char *a = rebuy_orders_customer_key(sort_orders, *(const uint32_t *)pa, &la);
	const char *b = rebuy_orders_customer_key(sort_orders, *(const uint32_t *)pb, &lb);
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

enum rebuy_status rebuy_orders_customers_by_key(const struct rebuy_orders *t, uint32_t *ids)
{
	for (size_t c = 0; c < t->n_customers; c++)
		ids[c] = (uint32_t)c;
	sort_orders = t;
	qsort(ids, t->n_customers, sizeof *ids, cmp_customer_keys);
	return REBUY_OK;
}
