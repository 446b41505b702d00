/* The result document: nodes in an arena, children in insertion order. */
#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "report/defs.h"
#include "report/doc_int.h"

struct rebuy_doc *rebuy_doc_new(void)
{
	struct rebuy_doc *d = rebuy__calloc(1, sizeof *d);
	if (!d)
		return NULL;
	rebuy__arena_init(&d->arena, 32 * 1024);
	d->root = rebuy__arena_alloc(&d->arena, sizeof *d->root);
	if (!d->root) {
		rebuy_doc_free(d);
		return NULL;
	}
	memset(d->root, 0, sizeof *d->root);
	d->root->type = NODE_OBJ;
	return d;
}

void rebuy_doc_free(struct rebuy_doc *d)
{
	if (!d)
		return;
	rebuy__arena_release(&d->arena);
	rebuy__free(d);
}

struct rebuy_node *rebuy_doc_root(struct rebuy_doc *d)
{
	return d ? d->root : NULL;
}
int rebuy_doc_failed(const struct rebuy_doc *d)
{
	return !d || d->failed;
}

static struct rebuy_node *add(struct rebuy_doc *d, struct rebuy_node *parent, const char *key,
                              enum node_type type)
{
	if (!d || d->failed || !parent)
		return NULL;
	struct rebuy_node *n = rebuy__arena_alloc(&d->arena, sizeof *n);
	if (!n) {
		d->failed = 1;
		return NULL;
	}
	memset(n, 0, sizeof *n);
	n->type = type;
	if (key && parent->type == NODE_OBJ &&
	    !(n->key = rebuy__arena_strndup(&d->arena, key, strlen(key)))) {
		d->failed = 1;
		return NULL;
	}
	if (parent->last)
		parent->last->next = n;
	else
		parent->first = n;
	parent->last = n;
	parent->n_children++;
	return n;
}

struct rebuy_node *rebuy_doc_obj(struct rebuy_doc *d, struct rebuy_node *p, const char *key)
{
	return add(d, p, key, NODE_OBJ);
}

struct rebuy_node *rebuy_doc_arr(struct rebuy_doc *d, struct rebuy_node *p, const char *key)
{
	return add(d, p, key, NODE_ARR);
}

struct rebuy_node *rebuy_doc_int(struct rebuy_doc *d, struct rebuy_node *p, const char *key,
                                 int64_t v)
{
	struct rebuy_node *n = add(d, p, key, NODE_INT);
	if (n)
		n->i = v;
	return n;
}

struct rebuy_node *rebuy_doc_uint(struct rebuy_doc *d, struct rebuy_node *p, const char *key,
                                  uint64_t v)
{
	struct rebuy_node *n = add(d, p, key, NODE_UINT);
	if (n)
		n->u = v;
	return n;
}

struct rebuy_node *rebuy_doc_num(struct rebuy_doc *d, struct rebuy_node *p, const char *key,
                                 double v, enum rebuy_show show)
{
	struct rebuy_node *n = add(d, p, key, isfinite(v) ? NODE_NUM : NODE_NULL);
	if (n) {
		n->f = v;
		n->show = show;
	}
	return n;
}

struct rebuy_node *rebuy_doc_money(struct rebuy_doc *d, struct rebuy_node *p, const char *key,
                                   int64_t units)
{
	struct rebuy_node *n = add(d, p, key, NODE_MONEY);
	if (n) {
		n->i = units;
		n->show = REBUY_SHOW_MONEY;
	}
	return n;
}

struct rebuy_node *rebuy_doc_str(struct rebuy_doc *d, struct rebuy_node *p, const char *key,
                                 const char *s)
{
	struct rebuy_node *n = add(d, p, key, s ? NODE_STR : NODE_NULL);
	if (n && s && !(n->s = rebuy__arena_strndup(&d->arena, s, strlen(s)))) {
		d->failed = 1;
		return NULL;
	}
	return n;
}

struct rebuy_node *rebuy_doc_bool(struct rebuy_doc *d, struct rebuy_node *p, const char *key, int v)
{
	struct rebuy_node *n = add(d, p, key, NODE_BOOL);
	if (n)
		n->i = v != 0;
	return n;
}

struct rebuy_node *rebuy_doc_null(struct rebuy_doc *d, struct rebuy_node *p, const char *key)
{
	return add(d, p, key, NODE_NULL);
}

void rebuy_doc_label(struct rebuy_doc *d, struct rebuy_node *n, const char *label, const char *note)
{
	if (!d || !n || d->failed)
		return;
	if (label && !(n->label = rebuy__arena_strndup(&d->arena, label, strlen(label))))
		d->failed = 1;
	if (note && !(n->note = rebuy__arena_strndup(&d->arena, note, strlen(note))))
		d->failed = 1;
}

void rebuy_doc_table_hide(struct rebuy_node *n)
{
	if (n)
		n->table_hidden = 1;
}

struct rebuy_node *rebuy_doc_get(const struct rebuy_node *obj, const char *key)
{
	if (!obj || obj->type != NODE_OBJ)
		return NULL;
	for (struct rebuy_node *c = obj->first; c; c = c->next)
		if (c->key && strcmp(c->key, key) == 0)
			return c;
	return NULL;
}

struct rebuy_node *rebuy__def_label(struct rebuy_doc *doc, struct rebuy_node *n,
                                    const struct rebuy__def *defs, size_t n_defs, const char *key,
                                    int with_text)
{
	for (size_t i = 0; i < n_defs; i++) {
		if (strcmp(defs[i].key, key) == 0) {
			rebuy_doc_label(doc, n, defs[i].label, with_text ? defs[i].text : NULL);
			break;
		}
	}
	return n;
}
