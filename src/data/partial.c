/* Partial order records: append, fold adjacent lines of one order, merge
 * partials bucket by bucket (see partial.h for the layout and key coding). */
#include "data/partial.h"

#include <string.h>

#include "core/mem.h"

void rebuy__partial_init(struct rebuy__partial *p, int has_order_key, int has_alt,
                         int has_line_hash)
{
	memset(p, 0, sizeof *p);
	for (unsigned b = 0; b < REBUY__BUCKETS; b++) {
		rebuy__strtab_init(&p->buckets[b].customers);
		rebuy__strtab_init(&p->buckets[b].long_keys);
	}
	p->has_order_key = has_order_key;
	p->has_alt = has_alt;
	p->has_line_hash = has_line_hash;
}

static void free_chunks(struct rebuy__chunk *c)
{
	while (c) {
		struct rebuy__chunk *next = c->next;
		rebuy__free(c->alt);
		rebuy__free(c->line_hash);
		rebuy__free(c);
		c = next;
	}
}

void rebuy__bucket_free_chunks(struct rebuy__bucket *b)
{
	free_chunks(b->head);
	b->head = NULL;
	b->n_recs = 0;
}

void rebuy__partial_release(struct rebuy__partial *p)
{
	for (unsigned b = 0; b < REBUY__BUCKETS; b++) {
		rebuy__strtab_release(&p->buckets[b].customers);
		rebuy__strtab_release(&p->buckets[b].long_keys);
		free_chunks(p->buckets[b].head);
		p->buckets[b].head = NULL;
		p->buckets[b].n_recs = 0;
	}
}

static inline int is_blank(char c) { return c == ' ' || c == '\t'; }

size_t rebuy__key_normalize(const char **start, size_t n)
{
	const char *s = *start;
	while (n > 0 && is_blank(*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_blank(s[n - 1]))
		n--;
	*start = s;
	/* digits '.' zeros -> digits */
	size_t dot = 0;
	while (dot < n && s[dot] >= '0' && s[dot] <= '9')
		dot++;
	if (dot == 0 || dot >= n - 1 || s[dot] != '.')
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
		for (; i < n && k[i] >= '0' && k[i] <= '9'; i++)
			v = v * 10 + (uint64_t)(k[i] - '0');
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

static struct rebuy__chunk *new_chunk(const struct rebuy__partial *p)
{
	struct rebuy__chunk *c = rebuy__malloc(sizeof *c);
	if (!c)
		return NULL;
	c->next = NULL;
	c->n = 0;
	c->alt = NULL;
	c->line_hash = NULL;
	if (p->has_alt && !(c->alt = rebuy__malloc(REBUY__CHUNK_RECS * sizeof *c->alt)))
		goto fail;
	if (p->has_line_hash &&
	    !(c->line_hash = rebuy__malloc(REBUY__CHUNK_RECS * 2 * sizeof *c->line_hash)))
		goto fail;
	return c;
fail:
	free_chunks(c);
	return NULL;
}

int rebuy__partial_add(struct rebuy__partial *p, const struct rebuy__line *line,
                       struct rebuy__last *last)
{
	struct rebuy__bucket *b = &p->buckets[rebuy__bucket_of(line->cust_hash)];
	uint32_t cust;
	enum rebuy_status st = rebuy__strtab_intern(&b->customers, line->cust, line->cust_len,
	                                            line->cust_hash, &cust, NULL);
	if (st)
		return -(int)st;
	uint64_t key = 0;
	if (line->okey && (st = rebuy__order_key_encode(b, line->okey, line->okey_len, &key)))
		return -(int)st;
	struct rebuy__rec *prev = last->chunk == b->head && b->head ? &b->head->recs[last->i] : NULL;
	if (prev && !p->has_line_hash && prev->cust == cust &&
	    (p->has_order_key ? prev->key == key : prev->ts == line->ts)) {
		if (line->ts < prev->ts)
			prev->ts = line->ts;
		if (p->has_alt && line->ts_alt < b->head->alt[last->i])
			b->head->alt[last->i] = line->ts_alt;
		if (__builtin_add_overflow(prev->value, line->value, &prev->value))
			return -(int)REBUY_ELIMIT;
		prev->n_lines++;
		return 1;
	}
	struct rebuy__chunk *c = b->head;
	if (!c || c->n == REBUY__CHUNK_RECS) {
		if (!(c = new_chunk(p)))
			return -(int)REBUY_ENOMEM;
		c->next = b->head;
		b->head = c;
	}
	size_t i = c->n++;
	struct rebuy__rec *r = &c->recs[i];
	r->ts = line->ts;
	r->value = line->value;
	r->key = key;
	r->cust = cust;
	r->n_lines = 1;
	if (c->alt)
		c->alt[i] = line->ts_alt;
	if (c->line_hash) {
		c->line_hash[2 * i] = line->line_hash[0];
		c->line_hash[2 * i + 1] = line->line_hash[1];
	}
	b->n_recs++;
	last->chunk = c;
	last->i = i;
	return 0;
}

/* Builds map[i] = dst id of src id i, interning src keys into dst. */
static enum rebuy_status map_table(struct rebuy__strtab *dst, const struct rebuy__strtab *src,
                                   uint32_t **map)
{
	*map = NULL;
	if (src->n == 0)
		return REBUY_OK;
	uint32_t *m = rebuy__malloc(src->n * sizeof *m);
	if (!m)
		return REBUY_ENOMEM;
	enum rebuy_status st = rebuy__strtab_reserve(dst, dst->n + src->n);
	for (size_t i = 0; !st && i < src->n; i++) {
		size_t len;
		const char *k = rebuy__strtab_key(src, (uint32_t)i, &len);
		st = rebuy__strtab_intern(dst, k, len, rebuy__strtab_hash(k, len), &m[i], NULL);
	}
	if (st) {
		rebuy__free(m);
		return st;
	}
	*map = m;
	return REBUY_OK;
}

enum rebuy_status rebuy__partial_merge_bucket(struct rebuy__partial *dst,
                                              struct rebuy__partial *src, unsigned bucket)
{
	struct rebuy__bucket *d = &dst->buckets[bucket], *s = &src->buckets[bucket];
	if (!s->head)
		return REBUY_OK;
	if (!d->head && d->customers.n == 0) {
		/* Nothing there yet: take the bucket as it is. */
		*d = *s;
		rebuy__strtab_init(&s->customers);
		rebuy__strtab_init(&s->long_keys);
		s->head = NULL;
		s->n_recs = 0;
		return REBUY_OK;
	}
	uint32_t *cmap = NULL, *kmap = NULL;
	enum rebuy_status st = map_table(&d->customers, &s->customers, &cmap);
	if (!st)
		st = map_table(&d->long_keys, &s->long_keys, &kmap);
	if (st)
		goto out;
	struct rebuy__chunk *c = s->head, *tail = NULL;
	for (; c; tail = c, c = c->next) {
		for (size_t i = 0; i < c->n; i++) {
			struct rebuy__rec *r = &c->recs[i];
			r->cust = cmap[r->cust];
			if ((r->key & REBUY__KEY_TAG_MASK) == REBUY__KEY_TAG_LONG)
				r->key = REBUY__KEY_TAG_LONG | kmap[r->key & 0xFFFFFFFFu];
		}
	}
	/* Append src's chunks after dst's head so dst's head stays the newest. */
	if (tail) {
		tail->next = d->head;
		d->head = s->head;
	}
	d->n_recs += s->n_recs;
	s->head = NULL;
	s->n_recs = 0;
	rebuy__strtab_release(&s->customers);
	rebuy__strtab_release(&s->long_keys);
out:
	rebuy__free(cmap);
	rebuy__free(kmap);
	return st;
}
