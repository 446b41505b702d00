/* Partial order records: append, fold adjacent lines of one order, merge
 * partials bucket by bucket (see partial.h for the layout and key coding). */
#include "data/partial.h"

#include <stdio.h>
#include <string.h>

#include "core/mem.h"

struct rebuy__partial *rebuy__partial_new(int has_order_key, int has_alt, int has_line_hash,
                                          size_t n_attrs)
{
	struct rebuy__partial *p = rebuy__malloc(sizeof *p);
	if (!p)
		return NULL;
	memset(p, 0, sizeof *p);
	rebuy__region_init(&p->region);
	for (unsigned b = 0; b < REBUY__BUCKETS; b++) {
		rebuy__strtab_init_region(&p->buckets[b].customers, &p->region);
		rebuy__strtab_init_region(&p->buckets[b].long_keys, &p->region);
	}
	p->has_order_key = has_order_key;
	p->has_alt = has_alt;
	p->has_line_hash = has_line_hash;
	p->n_attrs = n_attrs < REBUY_MAX_ATTRIBUTES ? n_attrs : REBUY_MAX_ATTRIBUTES;
	for (size_t k = 0; k < REBUY_MAX_ATTRIBUTES; k++)
		rebuy__strtab_init(&p->attr_values[k]);
	return p;
}

void rebuy__partial_free(struct rebuy__partial *p)
{
	if (!p)
		return;
	for (unsigned b = 0; b < REBUY__BUCKETS; b++) {
		rebuy__strtab_release(&p->buckets[b].customers);
		rebuy__strtab_release(&p->buckets[b].long_keys);
	}
	for (size_t k = 0; k < REBUY_MAX_ATTRIBUTES; k++)
		rebuy__strtab_release(&p->attr_values[k]);
	rebuy__region_release(&p->region);
	rebuy__free(p);
}

static inline int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

size_t rebuy__key_normalize(const char **start, size_t n, char decimal)
{
	const char *s = *start;
	/* The usual key: no blank at either end, not ending in 0. */
	if (n > 0 && !is_blank(s[0]) && !is_blank(s[n - 1]) && s[n - 1] != '0')
		return n;
	while (n > 0 && is_blank(*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_blank(s[n - 1]))
		n--;
	*start = s;
	/* digits, the decimal mark, zeros -> digits */
	size_t dot = 0;
	while (dot < n && s[dot] >= '0' && s[dot] <= '9')
		dot++;
	if (dot == 0 || dot >= n - 1 || s[dot] != decimal)
		return n;
	for (size_t i = dot + 1; i < n; i++)
		if (s[i] != '0')
			return n;
	return dot;
}

enum rebuy_status rebuy__order_key_encode(struct rebuy__bucket *b, const char *k, size_t n,
                                          uint64_t *out)
{
	if (n > 0 && n <= 18 && (k[0] != '0' || n == 1)) {
		uint64_t v = 0;
		size_t i = 0;
		unsigned d;
		while (i < n && (d = (unsigned)((unsigned char)k[i] - '0')) <= 9) {
			v = v * 10 + d;
			i++;
		}
		if (i == n) {
			*out = v;
			return REBUY_OK;
		}
	}
	if (n <= 7) {
		uint64_t v = 0;
		memcpy(&v, k, n);
		*out = REBUY__KEY_TAG_SHORT | (uint64_t)n << 56 | (v & 0x00FFFFFFFFFFFFFFULL);
		return REBUY_OK;
	}
	uint32_t id;
	enum rebuy_status st =
	        rebuy__strtab_intern(&b->long_keys, k, n, rebuy__strtab_hash(k, n), &id, NULL);
	if (st)
		return st;
	*out = REBUY__KEY_TAG_LONG | id;
	return REBUY_OK;
}

/* A chunk and its side arrays, in one piece of the region. */
static struct rebuy__chunk *new_chunk(struct rebuy__partial *p)
{
	size_t size = sizeof(struct rebuy__chunk);
	size_t alt_at = size;
	if (p->has_alt)
		size += REBUY__CHUNK_RECS * sizeof(int64_t);
	size_t hash_at = size;
	if (p->has_line_hash)
		size += REBUY__CHUNK_RECS * 2 * sizeof(uint64_t);
	size_t attr_at = size;
	size += REBUY__CHUNK_RECS * p->n_attrs * sizeof(uint32_t);
	char *m = rebuy__region_alloc(&p->region, size);
	if (!m)
		return NULL;
	struct rebuy__chunk *c = (struct rebuy__chunk *)m;
	c->next = NULL;
	c->n = 0;
	c->alt = p->has_alt ? (int64_t *)(m + alt_at) : NULL;
	c->line_hash = p->has_line_hash ? (uint64_t *)(m + hash_at) : NULL;
	c->attr = p->n_attrs ? (uint32_t *)(m + attr_at) : NULL;
	return c;
}

/* 1 when value id a sorts before value id b in byte order. */
static int value_before(const struct rebuy__strtab *t, uint32_t a, uint32_t b)
{
	size_t la, lb;
	const char *x = rebuy__strtab_key(t, a, &la), *y = rebuy__strtab_key(t, b, &lb);
	int c = memcmp(x, y, la < lb ? la : lb);
	return c < 0 || (c == 0 && la < lb);
}

int rebuy__partial_add(struct rebuy__partial *p, const struct rebuy__line *line,
                       struct rebuy__last *last)
{
	struct rebuy__bucket *b = &p->buckets[rebuy__bucket_of(line->cust_hash)];
	uint64_t cust = line->cust_word;
	unsigned cust_len = (unsigned)line->cust_len;
	enum rebuy_status st;
	if (line->cust_len > 8) {
		uint32_t id;
		if ((st = rebuy__strtab_intern(&b->customers, line->cust, line->cust_len,
		                               line->cust_hash, &id, NULL)))
			return -(int)st;
		cust = id;
		cust_len = REBUY__CUST_LONG;
	}
	uint64_t key = 0;
	if (line->okey && (st = rebuy__order_key_encode(b, line->okey, line->okey_len, &key)))
		return -(int)st;
	struct rebuy__rec *prev =
	        last->chunk == b->tail && b->tail ? &b->tail->recs[last->i] : NULL;
	if (prev && !p->has_line_hash && prev->cust == cust &&
	    rebuy__rec_cust_len(prev) == cust_len &&
	    rebuy__rec_lines(prev) < REBUY__REC_MAX_LINES &&
	    (p->has_order_key ? prev->key == key : rebuy__rec_ts(prev) == line->ts)) {
		int64_t ts = rebuy__rec_ts(prev);
		/* The order's attributes are its earliest line's; among lines at
		 * that time, the smallest value (as the build decides too). */
		uint32_t *attr = p->n_attrs ? &b->tail->attr[last->i * p->n_attrs] : NULL;
		if (line->ts < ts) {
			ts = line->ts;
			for (size_t k = 0; k < p->n_attrs; k++)
				attr[k] = line->attr[k];
		} else if (line->ts == ts) {
			for (size_t k = 0; k < p->n_attrs; k++)
				if (line->attr[k] != attr[k] &&
				    value_before(&p->attr_values[k], line->attr[k], attr[k]))
					attr[k] = line->attr[k];
		}
		if (p->has_alt && line->ts_alt < b->tail->alt[last->i])
			b->tail->alt[last->i] = line->ts_alt;
		if (__builtin_add_overflow(prev->value, line->value, &prev->value))
			return -(int)REBUY_ELIMIT;
		prev->meta = rebuy__rec_meta(ts, cust_len, rebuy__rec_lines(prev) + 1);
		return 1;
	}
	struct rebuy__chunk *c = b->tail;
	if (!c || c->n == REBUY__CHUNK_RECS) {
		if (!(c = new_chunk(p)))
			return -(int)REBUY_ENOMEM;
		if (b->tail)
			b->tail->next = c;
		else
			b->head = c;
		b->tail = c;
	}
	size_t i = c->n++;
	struct rebuy__rec *r = &c->recs[i];
	r->value = line->value;
	r->key = key;
	r->cust = cust;
	r->meta = rebuy__rec_meta(line->ts, cust_len, 1);
	if (c->alt)
		c->alt[i] = line->ts_alt;
	for (size_t k = 0; k < p->n_attrs; k++)
		c->attr[i * p->n_attrs + k] = line->attr[k];
	if (c->line_hash) {
		c->line_hash[2 * i] = line->line_hash[0];
		c->line_hash[2 * i + 1] = line->line_hash[1];
	}
	b->n_recs++;
	last->chunk = c;
	last->i = i;
	return 0;
}

enum rebuy_status rebuy__partial_merge_bucket(struct rebuy__partial *dst,
                                              struct rebuy__partial *src, unsigned bucket)
{
	struct rebuy__bucket *s = &src->buckets[bucket];
	struct rebuy__last last = {0};
	for (struct rebuy__chunk *c = s->head; c; c = c->next) {
		for (size_t i = 0; i < c->n; i++) {
			const struct rebuy__rec *r = &c->recs[i];
			struct rebuy__line l;
			memset(&l, 0, sizeof l);
			char cust[8];
			if (rebuy__rec_cust_len(r) == REBUY__CUST_LONG) {
				l.cust = rebuy__strtab_key(&s->customers, (uint32_t)r->cust,
				                           &l.cust_len);
			} else {
				l.cust_len = rebuy__rec_cust_len(r);
				rebuy__strtab_unpack(r->cust, l.cust_len, cust);
				l.cust = cust;
			}
			rebuy__line_hash_customer(&l);
			char key[32];
			if (src->has_order_key) {
				/* Decode the key back to its text, so dst encodes it anew. */
				uint64_t k = r->key;
				if ((k & REBUY__KEY_TAG_MASK) == REBUY__KEY_TAG_LONG) {
					l.okey = rebuy__strtab_key(&s->long_keys,
					                           (uint32_t)(k & 0xFFFFFFFFu),
					                           &l.okey_len);
				} else if ((k & REBUY__KEY_TAG_MASK) == REBUY__KEY_TAG_SHORT) {
					l.okey_len = (size_t)(k >> 56 & 7);
					uint64_t v = k & 0x00FFFFFFFFFFFFFFULL;
					memcpy(key, &v, 7);
					l.okey = key;
				} else {
					l.okey_len = (size_t)snprintf(key, sizeof key, "%llu",
					                              (unsigned long long)k);
					l.okey = key;
				}
			}
			l.ts = rebuy__rec_ts(r);
			l.ts_alt = c->alt ? c->alt[i] : l.ts;
			for (size_t k = 0; k < src->n_attrs && k < dst->n_attrs; k++) {
				size_t vlen;
				const char *v = rebuy__strtab_key(
				        &src->attr_values[k], c->attr[i * src->n_attrs + k], &vlen);
				enum rebuy_status ast = rebuy__strtab_intern(
				        &dst->attr_values[k], v, vlen, rebuy__strtab_hash(v, vlen),
				        &l.attr[k], NULL);
				if (ast)
					return ast;
			}
			l.value = r->value;
			if (c->line_hash) {
				l.line_hash[0] = c->line_hash[2 * i];
				l.line_hash[1] = c->line_hash[2 * i + 1];
			}
			/* One record each: folding already happened in src. */
			last.chunk = NULL;
			int got = rebuy__partial_add(dst, &l, &last);
			if (got < 0)
				return (enum rebuy_status) - got;
			struct rebuy__rec *d = &dst->buckets[bucket].tail->recs[last.i];
			d->meta = rebuy__rec_meta(rebuy__rec_ts(d), rebuy__rec_cust_len(d),
			                          rebuy__rec_lines(r));
		}
	}
	s->head = s->tail = NULL;
	s->n_recs = 0;
	return REBUY_OK;
}
