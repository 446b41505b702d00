/* Baskets from an order export, at line level (rebuy_baskets_read_orders).
 *
 * The orders table folds an order's lines into one record and keeps no
 * products, so baskets are read on their own: the file is read whole as a
 * table of cells (rebuy/table.h), its columns found by the same header names
 * and flags as the order reader's, and every usable line adds its product
 * to its basket. Basket keys, customers and products are interned; customers
 * are then numbered in the byte order of their keys, and baskets sorted by
 * (customer, day, first line), so that the result depends only on the file.
 */
#include <stdlib.h>
#include <string.h>

#include "basket/baskets_int.h"
#include "core/mem.h"
#include "core/strtab.h"
#include "ingest/roles.h"
#include "rebuy/basket.h"
#include "rebuy/date.h"
#include "rebuy/money.h"
#include "rebuy/orders.h"
#include "rebuy/table.h"

enum { C_CUSTOMER, C_ORDER, C_PRODUCT, C_DATE, C_QUANTITY, C_AMOUNT, C_LABEL, C_N };

static const enum rebuy_role col_role[C_LABEL] = {
        REBUY_ROLE_CUSTOMER, REBUY_ROLE_ORDER,    REBUY_ROLE_PRODUCT,
        REBUY_ROLE_DATE,     REBUY_ROLE_QUANTITY, REBUY_ROLE_AMOUNT,
};

/* --columns customer,_,date,...: the roles by position. */
static enum rebuy_status columns_by_position(const char *spec, int *col, struct rebuy_error *err)
{
	int pos = 0;
	const char *p = spec;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		int found = n == 1 && *p == '_';
		for (int c = 0; c < C_LABEL && !found; c++) {
			const char *name = rebuy_role_name(col_role[c]);
			if (strlen(name) == n && memcmp(name, p, n) == 0) {
				col[c] = pos;
				found = 1;
			}
		}
		/* Roles the baskets do not use (price, currency) are skipped. */
		for (int r = 0; r < REBUY_ROLE_COUNT && !found; r++) {
			const char *name = rebuy_role_name((enum rebuy_role)r);
			found = strlen(name) == n && memcmp(name, p, n) == 0;
		}
		if (!found)
			return rebuy_error_set(err, REBUY_EARG, "--columns: unknown role '%.*s'", (int)n,
			                       p);
		pos++;
		p = e ? e + 1 : p + n;
	}
	return REBUY_OK;
}

static enum rebuy_status find_columns(const struct rebuy_table *t,
                                      const struct rebuy_input_options *in,
                                      enum rebuy_basket_unit unit, int *col,
                                      struct rebuy_error *err)
{
	for (int c = 0; c < C_N; c++)
		col[c] = -1;
	enum rebuy_status st;
	if (in->columns) {
		if ((st = columns_by_position(in->columns, col, err)))
			return st;
	} else {
		for (int c = 0; c < C_LABEL; c++) {
			enum rebuy_role r = col_role[c];
			struct rebuy_table_role tr = {.role = rebuy_role_name(r),
			                              .flag = rebuy_role_name(r),
			                              .ref = in->role_column[r],
			                              .names = rebuy__role_headers(r)};
			if ((st = rebuy_table_find_column(t, &tr, &col[c], err)))
				return st;
		}
	}
	if (in->n_attributes > 0) {
		static const char *const none[] = {NULL};
		struct rebuy_table_role tr = {.role = "item label",
		                              .flag = "item-names",
		                              .ref = in->attributes[0],
		                              .names = none,
		                              .is_required = 1};
		if ((st = rebuy_table_find_column(t, &tr, &col[C_LABEL], err)))
			return st;
	}
	if (col[C_PRODUCT] < 0)
		return rebuy_error_set(err, REBUY_EDATA,
		                       "%s: no product column (name it with --product COL)", t->path);
	if (col[C_CUSTOMER] < 0 && (unit == REBUY_BASKET_CUSTOMER || col[C_ORDER] < 0))
		return rebuy_error_set(err, REBUY_EDATA,
		                       "%s: no customer column, which baskets %s need (name it with "
		                       "--customer COL)",
		                       t->path,
		                       unit == REBUY_BASKET_CUSTOMER ? "by customer"
		                                                     : "without an order column");
	if (col[C_ORDER] < 0 && unit == REBUY_BASKET_ORDER && col[C_DATE] < 0)
		return rebuy_error_set(err, REBUY_EDATA,
		                       "%s: neither an order nor a date column: baskets cannot be told "
		                       "apart (name one with --order COL or --date COL)",
		                       t->path);
	return REBUY_OK;
}

static const char *cell(const struct rebuy_table *t, size_t row, int col, size_t *len)
{
	const char *s = col >= 0 ? rebuy_table_cell(t, row, (size_t)col) : "";
	/* Trim blanks, as the order reader does with keys. */
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	*len = n;
	return s;
}

struct read {
	const struct rebuy_table *t;
	const int *col;
	enum rebuy_basket_unit unit;
	struct rebuy_date_format fmt;
	char decimal;
	int use_alt; /* ambiguous slash dates read day first */
	struct rebuy__strtab baskets, customers, items;
	/* per basket */
	uint32_t *b_cust;
	int64_t *b_day;
	size_t b_cap;
	/* per pair */
	uint32_t *p_basket, *p_item;
	size_t n_pairs, p_cap;
	/* per item: the label's row, or SIZE_MAX */
	size_t *label_row;
	size_t label_cap;
	uint64_t skipped;
};

/* The date of a row as a day, or INT64_MIN when it has none. */
static int64_t row_day(struct read *r, size_t row)
{
	size_t n;
	const char *s = cell(r->t, row, r->col[C_DATE], &n);
	int64_t ts, alt;
	if (r->col[C_DATE] < 0 || n == 0)
		return INT64_MIN;
	unsigned f = rebuy_date_parse(s, n, &r->fmt, &ts, &alt);
	if (!(f & REBUY_DATE_OK))
		return INT64_MIN;
	return rebuy_day_of((f & REBUY_DATE_SLASH) && r->use_alt ? alt : ts);
}

static int negative(const struct rebuy_table *t, size_t row, int col, char decimal)
{
	size_t n;
	const char *s = cell(t, row, col, &n);
	int64_t v;
	if (col < 0 || n == 0)
		return 0;
	enum rebuy_num_result nr = rebuy_money_parse(s, n, decimal, &v);
	return (nr == REBUY_NUM_OK || nr == REBUY_NUM_ROUNDED) && v < 0;
}

static enum rebuy_status add_line(struct read *r, size_t row, char *key, size_t key_cap)
{
	const struct rebuy_table *t = r->t;
	size_t np, nc, no;
	const char *prod = cell(t, row, r->col[C_PRODUCT], &np);
	const char *cust = cell(t, row, r->col[C_CUSTOMER], &nc);
	const char *ord = cell(t, row, r->col[C_ORDER], &no);
	int64_t day = row_day(r, row);
	int by_time = r->unit == REBUY_BASKET_ORDER && r->col[C_ORDER] < 0;
	if (np == 0 || (r->col[C_CUSTOMER] >= 0 && nc == 0 && r->unit == REBUY_BASKET_CUSTOMER) ||
	    (r->unit == REBUY_BASKET_ORDER && r->col[C_ORDER] >= 0 && no == 0) ||
	    (by_time && nc == 0) || (r->col[C_DATE] >= 0 && day == INT64_MIN) ||
	    negative(t, row, r->col[C_QUANTITY], r->decimal) ||
	    negative(t, row, r->col[C_AMOUNT], r->decimal)) {
		r->skipped++;
		return REBUY_OK;
	}
	/* The basket key: customer, then the order key or the time. */
	size_t n = 0;
	if (nc + 1 < key_cap) {
		memcpy(key, cust, nc);
		n = nc;
	}
	if (r->unit == REBUY_BASKET_ORDER) {
		key[n++] = '\x1f';
		if (!by_time) {
			if (n + no > key_cap)
				return REBUY_ELIMIT;
			memcpy(key + n, ord, no);
			n += no;
		} else {
			size_t nd;
			const char *ds = cell(t, row, r->col[C_DATE], &nd);
			if (n + nd > key_cap)
				return REBUY_ELIMIT;
			memcpy(key + n, ds, nd);
			n += nd;
		}
	}
	uint32_t b, c = 0, it;
	int is_new_basket, is_new;
	enum rebuy_status st;
	if ((st = rebuy__strtab_intern(&r->baskets, key, n, rebuy__strtab_hash(key, n), &b,
	                               &is_new_basket)))
		return st;
	if ((st = rebuy__strtab_intern(&r->customers, cust, nc, rebuy__strtab_hash(cust, nc), &c,
	                               &is_new)))
		return st;
	if ((st = rebuy__strtab_intern(&r->items, prod, np, rebuy__strtab_hash(prod, np), &it,
	                               &is_new)))
		return st;
	if (b >= r->b_cap) {
		size_t cap = r->b_cap;
		if ((st = rebuy__grow((void **)&r->b_cust, &cap, (size_t)b + 1, sizeof *r->b_cust,
		                      SIZE_MAX)))
			return st;
		cap = r->b_cap;
		if ((st = rebuy__grow((void **)&r->b_day, &cap, (size_t)b + 1, sizeof *r->b_day,
		                      SIZE_MAX)))
			return st;
		for (size_t k = r->b_cap; k < cap; k++)
			r->b_day[k] = INT64_MAX;
		r->b_cap = cap;
	}
	if (is_new_basket)
		r->b_cust[b] = c;
	if (day != INT64_MIN && day < r->b_day[b])
		r->b_day[b] = day;
	if (it >= r->label_cap) {
		size_t cap = r->label_cap;
		if ((st = rebuy__grow((void **)&r->label_row, &cap, (size_t)it + 1,
		                      sizeof *r->label_row, SIZE_MAX)))
			return st;
		for (size_t k = r->label_cap; k < cap; k++)
			r->label_row[k] = SIZE_MAX;
		r->label_cap = cap;
	}
	if (r->label_row[it] == SIZE_MAX && r->col[C_LABEL] >= 0) {
		size_t nl;
		cell(t, row, r->col[C_LABEL], &nl);
		if (nl)
			r->label_row[it] = row;
	}
	if (r->n_pairs == r->p_cap) {
		size_t cap = r->p_cap;
		if ((st = rebuy__grow((void **)&r->p_basket, &cap, r->n_pairs + 1, sizeof *r->p_basket,
		                      SIZE_MAX)))
			return st;
		cap = r->p_cap;
		if ((st = rebuy__grow((void **)&r->p_item, &cap, r->n_pairs + 1, sizeof *r->p_item,
		                      SIZE_MAX)))
			return st;
		r->p_cap = cap;
	}
	r->p_basket[r->n_pairs] = b;
	r->p_item[r->n_pairs] = it;
	r->n_pairs++;
	return REBUY_OK;
}

/* Sorting: customers by key, baskets by (customer rank, day, id). The
 * records carry what they are compared by (qsort has no context pointer,
 * and a static one would not be thread-safe). */
struct ckey {
	const char *k;
	size_t len;
	uint32_t id;
};

struct bkey {
	uint32_t rank;
	uint32_t id;
	int64_t day;
};

static int cmp_customer(const void *a, const void *b)
{
	const struct ckey *x = a, *y = b;
	return rebuy_key_compare(x->k, x->len, y->k, y->len);
}

static int cmp_basket(const void *a, const void *b)
{
	const struct bkey *x = a, *y = b;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/* Slash dates: day first when some date reads only that way. */
static int decide_alt(struct read *r)
{
	int col = r->col[C_DATE];
	if (col < 0)
		return 0;
	int mdy = 0, dmy = 0;
	for (size_t row = 0; row < r->t->n_rows; row++) {
		size_t n;
		const char *s = cell(r->t, row, col, &n);
		int64_t ts, alt;
		unsigned f = rebuy_date_parse(s, n, &r->fmt, &ts, &alt);
		if (!(f & REBUY_DATE_SLASH))
			continue;
		mdy |= (f & REBUY_DATE_MDY_VALID) && !(f & REBUY_DATE_DMY_VALID);
		dmy |= (f & REBUY_DATE_DMY_VALID) && !(f & REBUY_DATE_MDY_VALID);
	}
	return dmy && !mdy;
}

static void read_release(struct read *r)
{
	rebuy__strtab_release(&r->baskets);
	rebuy__strtab_release(&r->customers);
	rebuy__strtab_release(&r->items);
	rebuy__free(r->b_cust);
	rebuy__free(r->b_day);
	rebuy__free(r->p_basket);
	rebuy__free(r->p_item);
	rebuy__free(r->label_row);
}

static char *dup_key(const struct rebuy__strtab *t, uint32_t id)
{
	size_t n;
	const char *k = rebuy__strtab_key(t, id, &n);
	return rebuy__strndup(k, n);
}

enum rebuy_status rebuy_baskets_read_orders(const struct rebuy_input_options *in,
                                            enum rebuy_basket_unit unit,
                                            struct rebuy_baskets **out, struct rebuy_error *err)
{
	*out = NULL;
	struct rebuy_table_options to;
	rebuy_table_options_init(&to);
	to.path = in->path;
	to.data = in->data;
	to.data_len = in->data_len;
	to.delimiter = in->delimiter;
	to.header = in->header == 1 || (in->header < 0 && !in->columns);
	to.max_bytes = REBUY_TABLE_MAX_BYTES_LIMIT;
	struct rebuy_table *t = NULL;
	enum rebuy_status st = rebuy_table_read(&t, &to, err);
	if (st)
		return st;
	int col[C_N];
	struct read r = {.t = t, .col = col, .unit = unit};
	r.decimal = in->decimal_comma == 1 ? ',' : '.';
	rebuy__strtab_init(&r.baskets);
	rebuy__strtab_init(&r.customers);
	rebuy__strtab_init(&r.items);
	uint32_t *rank = NULL, *order = NULL, *newpos = NULL;
	char **names = NULL, **labels = NULL, **ckeys = NULL;
	uint32_t *cust = NULL;
	int64_t *day = NULL;
	char *key = NULL;
	size_t key_cap = 2 * 65536 + 2;
	if ((st = find_columns(t, in, unit, col, err)))
		goto fail;
	if ((st = rebuy_date_format_parse(in->date_format ? in->date_format : "auto", &r.fmt, err)))
		goto fail;
	r.use_alt = decide_alt(&r);
	st = REBUY_ENOMEM;
	if (!(key = rebuy__malloc(key_cap)))
		goto fail;
	for (size_t row = 0; row < t->n_rows; row++)
		if ((st = add_line(&r, row, key, key_cap))) {
			if (st == REBUY_ELIMIT)
				rebuy_error_set(err, st, "%s:%llu: a key is longer than 65,535 bytes",
				                t->path, (unsigned long long)rebuy_table_row_line(t, row));
			goto fail;
		}
	size_t nb = r.baskets.n, nc = r.customers.n, ni = r.items.n;
	st = REBUY_ENOMEM;
	/* Customers by key; baskets by (customer, day, first line). */
	struct ckey *ck = rebuy__malloc((nc ? nc : 1) * sizeof *ck);
	struct bkey *bk = rebuy__malloc((nb ? nb : 1) * sizeof *bk);
	uint32_t *corder = rebuy__malloc((nc ? nc : 1) * sizeof *corder);
	rank = rebuy__malloc((nc ? nc : 1) * sizeof *rank);
	order = rebuy__malloc((nb ? nb : 1) * sizeof *order);
	newpos = rebuy__malloc((nb ? nb : 1) * sizeof *newpos);
	if (!ck || !bk || !corder || !rank || !order || !newpos) {
		rebuy__free(ck);
		rebuy__free(bk);
		rebuy__free(corder);
		goto fail;
	}
	for (uint32_t c = 0; c < nc; c++) {
		ck[c].k = rebuy__strtab_key(&r.customers, c, &ck[c].len);
		ck[c].id = c;
	}
	qsort(ck, nc, sizeof *ck, cmp_customer);
	for (uint32_t k = 0; k < nc; k++) {
		corder[k] = ck[k].id;
		rank[ck[k].id] = k;
	}
	rebuy__free(ck);
	for (uint32_t b = 0; b < nb; b++)
		bk[b] = (struct bkey){rank[r.b_cust[b]], b, r.b_day[b]};
	qsort(bk, nb, sizeof *bk, cmp_basket);
	for (uint32_t k = 0; k < nb; k++) {
		order[k] = bk[k].id;
		newpos[bk[k].id] = k;
	}
	rebuy__free(bk);
	for (size_t p = 0; p < r.n_pairs; p++)
		r.p_basket[p] = newpos[r.p_basket[p]];
	/* What the baskets keep: names, labels, customers and days. */
	names = rebuy__calloc(ni ? ni : 1, sizeof *names);
	ckeys = rebuy__calloc(nc ? nc : 1, sizeof *ckeys);
	cust = rebuy__malloc((nb ? nb : 1) * sizeof *cust);
	day = rebuy__malloc((nb ? nb : 1) * sizeof *day);
	if (col[C_LABEL] >= 0)
		labels = rebuy__calloc(ni ? ni : 1, sizeof *labels);
	if (!names || !ckeys || !cust || !day || (col[C_LABEL] >= 0 && !labels)) {
		rebuy__free(corder);
		goto fail;
	}
	for (uint32_t i = 0; i < ni; i++) {
		if (!(names[i] = dup_key(&r.items, i))) {
			rebuy__free(corder);
			goto fail;
		}
		if (labels) {
			size_t nl = 0;
			const char *l =
			        r.label_row[i] == SIZE_MAX ? "" : cell(t, r.label_row[i], col[C_LABEL], &nl);
			if (!(labels[i] = rebuy__strndup(l, nl))) {
				rebuy__free(corder);
				goto fail;
			}
		}
	}
	for (uint32_t k = 0; k < nc; k++)
		if (!(ckeys[k] = dup_key(&r.customers, corder[k]))) {
			rebuy__free(corder);
			goto fail;
		}
	rebuy__free(corder);
	for (uint32_t b = 0; b < nb; b++) {
		uint32_t old = order[b];
		cust[b] = rank[r.b_cust[old]];
		day[b] = r.b_day[old] == INT64_MAX ? 0 : r.b_day[old];
	}
	uint64_t lines = t->n_rows;
	st = rebuy__baskets_build(out, nb, r.n_pairs, r.p_basket, r.p_item, ni, names, err);
	names = NULL; /* taken over, also on failure */
	if (st)
		goto fail_built;
	if (col[C_DATE] < 0) {
		rebuy__free(day);
		day = NULL;
	}
	rebuy__baskets_attach_customers(*out, nc, cust, day, ckeys);
	cust = NULL;
	day = NULL;
	ckeys = NULL;
	if (labels)
		rebuy__baskets_attach_labels(*out, labels);
	labels = NULL;
	(*out)->n_lines = lines;
	(*out)->n_lines_skipped = r.skipped;
	st = REBUY_OK;
	goto done;
fail:
	if (st == REBUY_ENOMEM)
		rebuy_error_set(err, st, "out of memory reading %s", t->path);
fail_built:
	if (names)
		for (size_t i = 0; i < r.items.n; i++)
			rebuy__free(names[i]);
	if (labels)
		for (size_t i = 0; i < r.items.n; i++)
			rebuy__free(labels[i]);
	if (ckeys)
		for (size_t i = 0; i < r.customers.n; i++)
			rebuy__free(ckeys[i]);
	rebuy__free(names);
	rebuy__free(labels);
	rebuy__free(ckeys);
	rebuy__free(cust);
	rebuy__free(day);
done:
	rebuy__free(key);
	rebuy__free(rank);
	rebuy__free(order);
	rebuy__free(newpos);
	read_release(&r);
	rebuy_table_free(t);
	return st;
}
