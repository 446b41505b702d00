/* Text tables for a terminal: scalar fields as aligned "label  value  note"
 * lines, nested objects as indented sections, arrays of objects as columns.
 * Rates show as percentages, money with two decimals; NaN and null as "-". */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/doc_int.h"

/* Digits with thousands grouped: "1,234,567". */
static size_t group_digits(const char *digits, char *buf, size_t size)
{
	size_t n = strlen(digits), k = 0;
	size_t lead = 0;
	if (digits[0] == '-') {
		if (k + 1 < size)
			buf[k++] = '-';
		lead = 1;
	}
	size_t nd = n - lead;
	for (size_t i = 0; i < nd && k + 2 < size; i++) {
		if (i > 0 && (nd - i) % 3 == 0)
			buf[k++] = ',';
		buf[k++] = digits[lead + i];
	}
	buf[k] = '\0';
	return k;
}

/* units (1/10,000) to two decimals, half to even, grouped. */
static size_t money_text(int64_t units, char *buf, size_t size)
{
	int neg = units < 0;
	uint64_t u = neg ? (uint64_t)0 - (uint64_t)units : (uint64_t)units;
	uint64_t cents = u / 100, rem = u % 100;
	if (rem > 50 || (rem == 50 && (cents & 1)))
		cents++;
	char digits[32], grouped[48];
	snprintf(digits, sizeof digits, "%s%" PRIu64, neg && cents ? "-" : "", cents / 100);
	group_digits(digits, grouped, sizeof grouped);
	return (size_t)snprintf(buf, size, "%s.%02u", grouped, (unsigned)(cents % 100));
}

static size_t display(const struct rebuy_node *n, char *buf, size_t size)
{
	char tmp[64];
	switch (n->type) {
	case NODE_NULL: return (size_t)snprintf(buf, size, "-");
	case NODE_BOOL: return (size_t)snprintf(buf, size, "%s", n->i ? "yes" : "no");
	case NODE_INT:
		snprintf(tmp, sizeof tmp, "%" PRId64, n->i);
		return group_digits(tmp, buf, size);
	case NODE_UINT:
		snprintf(tmp, sizeof tmp, "%" PRIu64, n->u);
		return group_digits(tmp, buf, size);
	case NODE_MONEY: return money_text(n->i, buf, size);
	case NODE_STR: {
		/* Text from input files reaches a terminal: control characters
		 * (escape sequences among them) are shown as '?'. */
		size_t k = (size_t)snprintf(buf, size, "%s", n->s);
		for (char *p = buf; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		return k;
	}
	case NODE_NUM:
		switch (n->show) {
		case REBUY_SHOW_RATE: return (size_t)snprintf(buf, size, "%.1f%%", n->f * 100.0);
		case REBUY_SHOW_DAYS: return (size_t)snprintf(buf, size, "%.1f", n->f);
		case REBUY_SHOW_MONEY:
			if (fabs(n->f) < 9e14)
				return money_text((int64_t)llround(n->f * 10000.0), buf, size);
			return (size_t)snprintf(buf, size, "%.6g", n->f);
		case REBUY_SHOW_DECIMAL: return (size_t)snprintf(buf, size, "%.4f", n->f);
		default: return (size_t)snprintf(buf, size, "%.6g", n->f);
		}
	default: buf[0] = '\0'; return 0;
	}
}

/* Columns a string takes on a terminal (UTF-8 code points). */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

static void pad(FILE *out, size_t n)
{
	while (n-- > 0)
		fputc(' ', out);
}

static int is_scalar(const struct rebuy_node *n)
{
	return n->type != NODE_OBJ && n->type != NODE_ARR;
}

static const char *name_of(const struct rebuy_node *n)
{
	return n->label ? n->label : n->key ? n->key : "";
}

static int is_number(const struct rebuy_node *n)
{
	return n->type == NODE_INT || n->type == NODE_UINT || n->type == NODE_NUM ||
	       n->type == NODE_MONEY || n->type == NODE_NULL;
}

static void write_rows(FILE *out, const struct rebuy_node *arr, int depth)
{
	const struct rebuy_node *first = arr->first;
	if (!first) {
		pad(out, (size_t)depth * 2);
		fputs("(none)\n", out);
		return;
	}
	if (first->type != NODE_OBJ) {
		char buf[256];
		pad(out, (size_t)depth * 2);
		for (const struct rebuy_node *c = arr->first; c; c = c->next) {
			display(c, buf, sizeof buf);
			fprintf(out, "%s%s", buf, c->next ? ", " : "");
		}
		fputc('\n', out);
		return;
	}
	size_t n_cols = 0;
	for (const struct rebuy_node *c = first->first; c; c = c->next)
		n_cols += is_scalar(c) && !c->table_hidden;
	size_t *w = rebuy__calloc(n_cols ? n_cols : 1, sizeof *w);
	if (!w)
		return;
	char buf[256];
	size_t k = 0;
	for (const struct rebuy_node *c = first->first; c; c = c->next)
		if (is_scalar(c) && !c->table_hidden)
			w[k++] = width(name_of(c));
	for (const struct rebuy_node *r = arr->first; r; r = r->next) {
		k = 0;
		for (const struct rebuy_node *c = r->first; c && k < n_cols; c = c->next) {
			if (!is_scalar(c) || c->table_hidden)
				continue;
			display(c, buf, sizeof buf);
			if (width(buf) > w[k])
				w[k] = width(buf);
			k++;
		}
	}
	pad(out, (size_t)depth * 2);
	k = 0;
	for (const struct rebuy_node *c = first->first; c; c = c->next) {
		if (!is_scalar(c) || c->table_hidden)
			continue;
		const char *name = name_of(c);
		if (is_number(c)) {
			pad(out, w[k] - width(name));
			fputs(name, out);
		} else {
			fputs(name, out);
			pad(out, w[k] - width(name));
		}
		fputs(++k < n_cols ? "  " : "\n", out);
	}
	for (const struct rebuy_node *r = arr->first; r; r = r->next) {
		pad(out, (size_t)depth * 2);
		k = 0;
		for (const struct rebuy_node *c = r->first; c && k < n_cols; c = c->next) {
			if (!is_scalar(c) || c->table_hidden)
				continue;
			display(c, buf, sizeof buf);
			if (is_number(c)) {
				pad(out, w[k] - width(buf));
				fputs(buf, out);
			} else {
				fputs(buf, out);
				if (k + 1 < n_cols)
					pad(out, w[k] - width(buf));
			}
			fputs(++k < n_cols ? "  " : "\n", out);
		}
	}
	rebuy__free(w);
}

static void write_obj(FILE *out, const struct rebuy_node *obj, int depth)
{
	size_t lw = 0, vw = 0;
	char buf[256];
	for (const struct rebuy_node *c = obj->first; c; c = c->next) {
		if (!is_scalar(c) || c->table_hidden)
			continue;
		if (width(name_of(c)) > lw)
			lw = width(name_of(c));
		display(c, buf, sizeof buf);
		if (width(buf) > vw)
			vw = width(buf);
	}
	int after_section = 0;
	for (const struct rebuy_node *c = obj->first; c; c = c->next) {
		if (c->table_hidden)
			continue;
		if (is_scalar(c)) {
			if (after_section) {
				fputc('\n', out);
				after_section = 0;
			}
			pad(out, (size_t)depth * 2);
			fputs(name_of(c), out);
			pad(out, lw - width(name_of(c)) + 2);
			display(c, buf, sizeof buf);
			if (is_number(c)) {
				pad(out, vw - width(buf));
				fputs(buf, out);
			} else {
				fputs(buf, out);
				if (c->note)
					pad(out, vw - width(buf));
			}
			if (c->note)
				fprintf(out, "  %s", c->note);
			fputc('\n', out);
			continue;
		}
		fputc('\n', out);
		pad(out, (size_t)depth * 2);
		fprintf(out, "%s%s\n", name_of(c), c->note ? "" : "");
		if (c->note) {
			pad(out, (size_t)depth * 2);
			fprintf(out, "(%s)\n", c->note);
		}
		if (c->type == NODE_OBJ)
			write_obj(out, c, depth + 1);
		else
			write_rows(out, c, depth + 1);
		after_section = 1;
	}
}

enum rebuy_status rebuy_doc_write_table(const struct rebuy_doc *doc, const struct rebuy_node *node,
                                        FILE *out)
{
	if (rebuy_doc_failed(doc))
		return REBUY_ENOMEM;
	node = node ? node : doc->root;
	if (node->type == NODE_ARR)
		write_rows(out, node, 0);
	else if (node->type == NODE_OBJ)
		write_obj(out, node, 0);
	else {
		char buf[256];
		display(node, buf, sizeof buf);
		fprintf(out, "%s\n", buf);
	}
	return ferror(out) ? REBUY_EIO : REBUY_OK;
}
