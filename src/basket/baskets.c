/* Baskets: the FIMI reader (the format of the FIMI'03/'04 workshop
 * repository, Goethals & Zaki: one transaction per line, item tokens
 * separated by blanks) and the builder both readers end in. Item ids follow
 * the byte order of the names (strcmp), so ids do not depend on the order of
 * the lines; within a basket ids ascend and repeats count once. Tokens are
 * interned with core/strtab; decimal tokens below 2^20 without a leading
 * zero (most FIMI files) are looked up by value in a direct index first.
 */
#include <stdlib.h>
#include <string.h>

#include "basket/baskets_int.h"
#include "core/mem.h"
#include "core/strtab.h"
#include "ingest/source.h"

#define TOKEN_MAX 255
#define CHUNK (1u << 18)
#define BY_VALUE_MAX (1u << 20)

struct rebuy__baskets_priv {
	uint64_t *start;
	uint32_t *items;
	char **names;      /* n_items */
	char *names_block; /* when set, names[i] point into it; else each is owned */
	char **labels;     /* n_items or NULL */
	uint32_t *customer;
	int64_t *day;
	char **customer_keys;
	size_t n_customer_keys;
	uint32_t *final_of; /* provisional id -> final id (builder), NULL after labels */
	size_t n_prov;
};

static void free_strings(char **s, size_t n)
{
	if (!s)
		return;
	for (size_t i = 0; i < n; i++)
		rebuy__free(s[i]);
	rebuy__free(s);
}

void rebuy_baskets_free(struct rebuy_baskets *b)
{
	if (!b)
		return;
	struct rebuy__baskets_priv *p = b->priv;
	if (p) {
		rebuy__free(p->start);
		rebuy__free(p->items);
		if (p->names_block) {
			rebuy__free(p->names_block);
			rebuy__free(p->names);
		} else {
			free_strings(p->names, b->n_items);
		}
		free_strings(p->labels, b->n_items);
		rebuy__free(p->customer);
		rebuy__free(p->day);
		free_strings(p->customer_keys, p->n_customer_keys);
		rebuy__free(p->final_of);
		rebuy__free(p);
	}
	rebuy__free(b);
}

/* ---- the common end: renumber, sort and dedupe ---- */

struct named {
	const char *name;
	uint32_t prov;
};

static int cmp_named(const void *a, const void *b)
{
	return strcmp(((const struct named *)a)->name, ((const struct named *)b)->name);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static void sort_ids(uint32_t *v, size_t n)
{
	if (n > 32) {
		qsort(v, n, sizeof *v, cmp_u32);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		uint32_t x = v[i];
		size_t j = i;
		while (j > 0 && v[j - 1] > x) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

/* The parts of a basket set before it is a struct; finish() takes them all
 * over. start/items are CSR over provisional ids. */
struct parts {
	uint64_t *start;
	uint32_t *items;
	size_t n_baskets, n_items;
	char **names;
	char *names_block;
	const char *what; /* for messages */
};

static void parts_release(struct parts *p)
{
	rebuy__free(p->start);
	rebuy__free(p->items);
	if (p->names_block) {
		rebuy__free(p->names_block);
		rebuy__free(p->names);
	} else {
		free_strings(p->names, p->n_items);
	}
	memset(p, 0, sizeof *p);
}

static enum rebuy_status finish(struct parts *pt, struct rebuy_baskets **out,
                                struct rebuy_error *err)
{
	enum rebuy_status st = REBUY_OK;
	struct named *order = NULL;
	struct rebuy_baskets *b = rebuy__calloc(1, sizeof *b);
	struct rebuy__baskets_priv *priv = rebuy__calloc(1, sizeof *priv);
	if (!pt->items)
		pt->items = rebuy__malloc(sizeof *pt->items); /* never NULL, even when empty */
	uint32_t *final_of = rebuy__malloc((pt->n_items ? pt->n_items : 1) * sizeof *final_of);
	char **names = rebuy__malloc((pt->n_items ? pt->n_items : 1) * sizeof *names);
	order = rebuy__malloc((pt->n_items ? pt->n_items : 1) * sizeof *order);
	if (!b || !priv || !final_of || !names || !order || !pt->items) {
		st = rebuy_error_set(err, REBUY_ENOMEM, "%s: out of memory", pt->what);
		goto fail;
	}
	for (size_t i = 0; i < pt->n_items; i++) {
		order[i].name = pt->names[i];
		order[i].prov = (uint32_t)i;
	}
	qsort(order, pt->n_items, sizeof *order, cmp_named);
	for (size_t r = 0; r < pt->n_items; r++) {
		if (r > 0 && strcmp(order[r - 1].name, order[r].name) == 0) {
			st = rebuy_error_set(err, REBUY_EARG,
			                     "%s: the item name '%s' is given twice", pt->what,
			                     order[r].name);
			goto fail;
		}
		final_of[order[r].prov] = (uint32_t)r;
		names[r] = pt->names[order[r].prov];
	}
	rebuy__free(order);
	order = NULL;

	/* Remap, sort and dedupe each basket, compacting in place. */
	uint64_t *start = pt->start;
	uint32_t *items = pt->items;
	uint64_t w = 0, from = start[0];
	for (size_t k = 0; k < pt->n_baskets; k++) {
		uint64_t to = start[k + 1];
		uint64_t begin = w;
		for (uint64_t j = from; j < to; j++)
			items[w++] = final_of[items[j]];
		sort_ids(items + begin, (size_t)(w - begin));
		uint64_t u = begin;
		for (uint64_t j = begin; j < w; j++)
			if (j == begin || items[j] != items[u - 1])
				items[u++] = items[j];
		w = u;
		start[k] = begin;
		from = to;
	}
	start[pt->n_baskets] = w;
	if (w > 0) {
		/* a failed shrink leaves the larger block, which is no error */
		uint32_t *shrunk = rebuy__realloc(items, (size_t)w * sizeof *items);
		if (shrunk)
			items = shrunk;
	}

	rebuy__free(pt->names);
	priv->start = start;
	priv->items = items;
	priv->names = names;
	priv->names_block = pt->names_block;
	priv->final_of = final_of;
	priv->n_prov = pt->n_items;
	b->n_baskets = pt->n_baskets;
	b->n_items = pt->n_items;
	b->start = start;
	b->items = items;
	b->item_names = (const char *const *)names;
	b->n_lines = pt->n_baskets;
	b->priv = priv;
	memset(pt, 0, sizeof *pt);
	*out = b;
	return REBUY_OK;
fail:
	rebuy__free(order);
	rebuy__free(final_of);
	rebuy__free(names);
	rebuy__free(priv);
	rebuy__free(b);
	parts_release(pt);
	return st;
}

/* ---- the builder ---- */

enum rebuy_status rebuy__baskets_build(struct rebuy_baskets **out, size_t n_baskets, size_t n_pairs,
                                       const uint32_t *pair_basket, const uint32_t *pair_item,
                                       size_t n_items, char **item_names, struct rebuy_error *err)
{
	*out = NULL;
	struct parts pt = {.names = item_names, .n_items = n_items, .what = "baskets"};
	if (n_items > REBUY__BASKETS_MAX_ITEMS || n_baskets > REBUY__BASKETS_MAX_BASKETS) {
		parts_release(&pt);
		return rebuy_error_set(
		        err, REBUY_ELIMIT,
		        "baskets: %zu baskets of %zu items is more than rebuy can hold", n_baskets,
		        n_items);
	}
	if (n_items > 0 && !item_names) {
		return rebuy_error_set(err, REBUY_EARG, "baskets: no item names");
	}
	for (size_t k = 0; k < n_pairs; k++) {
		if (pair_basket[k] >= n_baskets || pair_item[k] >= n_items) {
			parts_release(&pt);
			return rebuy_error_set(
			        err, REBUY_EARG,
			        "baskets: pair %zu (basket %u, item %u) is out of range", k,
			        (unsigned)pair_basket[k], (unsigned)pair_item[k]);
		}
	}
	pt.n_baskets = n_baskets;
	pt.start = rebuy__calloc(n_baskets + 1, sizeof *pt.start);
	pt.items = rebuy__malloc((n_pairs ? n_pairs : 1) * sizeof *pt.items);
	if (!pt.start || !pt.items) {
		parts_release(&pt);
		return rebuy_error_set(err, REBUY_ENOMEM, "baskets: out of memory");
	}
	/* A counting sort by basket: start[b + 1] counts, then offsets. */
	for (size_t k = 0; k < n_pairs; k++)
		pt.start[pair_basket[k] + 1]++;
	for (size_t k = 0; k < n_baskets; k++)
		pt.start[k + 1] += pt.start[k];
	for (size_t k = 0; k < n_pairs; k++)
		pt.items[pt.start[pair_basket[k]]++] = pair_item[k];
	for (size_t k = n_baskets; k > 0; k--)
		pt.start[k] = pt.start[k - 1];
	pt.start[0] = 0;
	return finish(&pt, out, err);
}

uint32_t rebuy__baskets_final_id(const struct rebuy_baskets *b, uint32_t p)
{
	return b->priv->final_of[p];
}

void rebuy__baskets_attach_customers(struct rebuy_baskets *b, size_t n_customers,
                                     uint32_t *customer, int64_t *day, char **customer_keys)
{
	struct rebuy__baskets_priv *p = b->priv;
	rebuy__free(p->customer);
	rebuy__free(p->day);
	free_strings(p->customer_keys, p->n_customer_keys);
	p->customer = customer;
	p->day = day;
	p->customer_keys = customer_keys;
	p->n_customer_keys = customer_keys ? n_customers : 0;
	b->n_customers = n_customers;
	b->customer = customer;
	b->day = day;
	b->customer_keys = (const char *const *)customer_keys;
}

void rebuy__baskets_attach_labels(struct rebuy_baskets *b, char **item_labels)
{
	struct rebuy__baskets_priv *p = b->priv;
	free_strings(p->labels, b->n_items);
	p->labels = item_labels;
	b->item_labels = (const char *const *)item_labels;
	if (!item_labels || !p->final_of)
		return;
	/* In place along the cycles of the permutation: final_of[i] = i marks a
	 * slot that holds its final label. */
	uint32_t *to = p->final_of;
	for (size_t i = 0; i < p->n_prov; i++) {
		while (to[i] != i) {
			uint32_t j = to[i];
			char *t = item_labels[j];
			item_labels[j] = item_labels[i];
			item_labels[i] = t;
			to[i] = to[j];
			to[j] = j;
		}
	}
	rebuy__free(p->final_of);
	p->final_of = NULL;
}

/* ---- FIMI ---- */

/* 0: a token byte, 1: a blank, 2: the end of a line, 3: NUL */
static const unsigned char cls[256] = {[0] = 3, [' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 2};

struct fimi {
	const char *name;
	struct rebuy__strtab tab;
	uint32_t *by_value; /* value -> id + 1 */
	size_t by_value_cap;
	uint64_t *start;
	size_t start_cap, n_baskets;
	uint32_t *items;
	size_t items_cap;
	uint64_t n_pairs;
	uint64_t line; /* 1-based number of the line being read */
	int line_open; /* bytes seen on the current line */
};

static enum rebuy_status end_basket(struct fimi *f, struct rebuy_error *err)
{
	if (f->n_baskets >= REBUY__BASKETS_MAX_BASKETS)
		return rebuy_error_set(err, REBUY_ELIMIT, "%s:%llu: more than %u baskets", f->name,
		                       (unsigned long long)f->line, REBUY__BASKETS_MAX_BASKETS);
	if (f->n_baskets + 2 > f->start_cap) {
		enum rebuy_status st =
		        rebuy__grow((void **)&f->start, &f->start_cap, f->n_baskets + 2,
		                    sizeof *f->start, REBUY__BASKETS_MAX_BASKETS + 1);
		if (st)
			return rebuy_error_set(err, st, "%s:%llu: out of memory", f->name,
			                       (unsigned long long)f->line);
	}
	f->start[++f->n_baskets] = f->n_pairs;
	f->line_open = 0;
	return REBUY_OK;
}

static enum rebuy_status intern(struct fimi *f, const char *t, size_t len, uint32_t *id,
                                struct rebuy_error *err)
{
	enum rebuy_status st;
	uint32_t v = 0;
	int by_value = len <= 6 && (t[0] != '0' || len == 1);
	for (size_t i = 0; by_value && i < len; i++) {
		unsigned d = (unsigned char)t[i] - '0';
		by_value = d <= 9;
		v = v * 10 + d;
	}
	by_value = by_value && v < BY_VALUE_MAX;
	if (by_value && v < f->by_value_cap && f->by_value[v]) {
		*id = f->by_value[v] - 1;
		return REBUY_OK;
	}
	if (len <= 8) {
		uint64_t w = rebuy__strtab_pack(t, len);
		st = rebuy__strtab_intern_word(&f->tab, w, len, rebuy__strtab_hash_word(w, len),
		                               id);
	} else {
		st = rebuy__strtab_intern(&f->tab, t, len, rebuy__strtab_hash(t, len), id, NULL);
	}
	if (st)
		return rebuy_error_set(err, st, "%s:%llu: %s", f->name, (unsigned long long)f->line,
		                       st == REBUY_ENOMEM ? "out of memory" : "too many items");
	if (by_value) {
		if (v >= f->by_value_cap) {
			size_t old = f->by_value_cap;
			size_t want = (size_t)v + 1 < 1024 ? 1024 : (size_t)v + 1;
			st = rebuy__grow((void **)&f->by_value, &f->by_value_cap, want,
			                 sizeof *f->by_value, BY_VALUE_MAX);
			if (st)
				return rebuy_error_set(err, REBUY_ENOMEM, "%s:%llu: out of memory",
				                       f->name, (unsigned long long)f->line);
			memset(f->by_value + old, 0, (f->by_value_cap - old) * sizeof *f->by_value);
		}
		f->by_value[v] = *id + 1;
	}
	return REBUY_OK;
}

/* Parses p[0..n), which ends at a separator or at the end of the input. */
static enum rebuy_status parse(struct fimi *f, const char *p, size_t n, struct rebuy_error *err)
{
	const char *end = p + n;
	enum rebuy_status st;
	while (p < end) {
		unsigned c = cls[(unsigned char)*p];
		if (c == 1) {
			p++;
			f->line_open = 1;
			continue;
		}
		if (c == 2) {
			if ((st = end_basket(f, err)))
				return st;
			f->line++;
			p++;
			continue;
		}
		const char *t = p;
		while (p < end && cls[(unsigned char)*p] == 0)
			p++;
		if (p < end && cls[(unsigned char)*p] == 3)
			return rebuy_error_set(err, REBUY_EDATA,
			                       "%s:%llu: a NUL byte in an item name", f->name,
			                       (unsigned long long)f->line);
		size_t len = (size_t)(p - t);
		if (len > TOKEN_MAX)
			return rebuy_error_set(err, REBUY_ELIMIT,
			                       "%s:%llu: an item name longer than %d bytes",
			                       f->name, (unsigned long long)f->line, TOKEN_MAX);
		f->line_open = 1;
		uint32_t id;
		if ((st = intern(f, t, len, &id, err)))
			return st;
		if (f->n_pairs >= f->items_cap) {
			st = rebuy__grow((void **)&f->items, &f->items_cap, f->n_pairs + 1,
			                 sizeof *f->items, SIZE_MAX / 8);
			if (st)
				return rebuy_error_set(err, REBUY_ENOMEM, "%s:%llu: out of memory",
				                       f->name, (unsigned long long)f->line);
		}
		f->items[f->n_pairs++] = id;
	}
	return REBUY_OK;
}

static enum rebuy_status read_all(struct fimi *f, struct rebuy__source *src, char *buf,
                                  struct rebuy_error *err)
{
	size_t keep = 0;
	for (;;) {
		size_t got;
		enum rebuy_status st = rebuy__source_read(src, buf + keep, CHUNK - keep, &got, err);
		if (st)
			return st;
		size_t len = keep + got;
		if (got == 0) {
			if ((st = parse(f, buf, len, err)))
				return st;
			return f->line_open ? end_basket(f, err) : REBUY_OK;
		}
		/* Up to the last separator; the token cut by the chunk's end waits. */
		size_t cut = len;
		while (cut > 0 && cls[(unsigned char)buf[cut - 1]] == 0)
			cut--;
		if (len - cut > TOKEN_MAX) {
			if ((st = parse(f, buf, cut, err)))
				return st;
			return rebuy_error_set(err, REBUY_ELIMIT,
			                       "%s:%llu: an item name longer than %d bytes",
			                       f->name, (unsigned long long)f->line, TOKEN_MAX);
		}
		if ((st = parse(f, buf, cut, err)))
			return st;
		keep = len - cut;
		memmove(buf, buf + cut, keep);
	}
}

enum rebuy_status rebuy_baskets_read_fimi(const char *path, const void *data, size_t data_len,
                                          struct rebuy_baskets **out, struct rebuy_error *err)
{
	*out = NULL;
	if (!path)
		path = data ? "(data)" : "-";
	struct fimi f = {.name = strcmp(path, "-") == 0 ? "(stdin)" : path, .line = 1};
	rebuy__strtab_init(&f.tab);
	struct rebuy__source src;
	struct parts pt = {0};
	char *buf = NULL;
	enum rebuy_status st = data ? rebuy__source_open_memory(&src, path, data, data_len, err)
	                            : rebuy__source_open(&src, path, err);
	if (st) {
		rebuy__strtab_release(&f.tab);
		return st;
	}
	buf = rebuy__malloc(CHUNK);
	f.start_cap = 1024;
	f.start = rebuy__malloc(f.start_cap * sizeof *f.start);
	if (!buf || !f.start) {
		st = rebuy_error_set(err, REBUY_ENOMEM, "%s: out of memory", f.name);
		goto out;
	}
	f.start[0] = 0;
	if ((st = read_all(&f, &src, buf, err)))
		goto out;

	/* The names: the table's key store becomes the names block. */
	pt.n_items = f.tab.n;
	pt.names = rebuy__malloc((pt.n_items ? pt.n_items : 1) * sizeof *pt.names);
	if (!pt.names) {
		st = rebuy_error_set(err, REBUY_ENOMEM, "%s: out of memory", f.name);
		goto out;
	}
	if (!f.tab.chars && !(f.tab.chars = rebuy__malloc(1))) {
		st = rebuy_error_set(err, REBUY_ENOMEM, "%s: out of memory", f.name);
		goto out;
	}
	for (size_t i = 0; i < pt.n_items; i++)
		pt.names[i] = (char *)rebuy__strtab_key(&f.tab, (uint32_t)i, NULL);
	pt.names_block = f.tab.chars;
	f.tab.chars = NULL;
	pt.start = f.start;
	pt.items = f.items;
	pt.n_baskets = f.n_baskets;
	pt.what = f.name;
	f.start = NULL;
	f.items = NULL;
	st = finish(&pt, out, err);
out:
	rebuy__source_close(&src);
	rebuy__free(buf);
	rebuy__free(f.by_value);
	rebuy__free(f.start);
	rebuy__free(f.items);
	rebuy__strtab_release(&f.tab);
	parts_release(&pt);
	return st;
}
