/* CSV writer (RFC 4180): a header row, then one row per object; nested
 * objects are flattened as parent.child. Text cells that a spreadsheet would
 * run as a formula (starting with = + - @, tab or CR) get a leading
 * apostrophe unless raw output is asked for (OWASP's CSV injection advice);
 * numbers are never changed. */
#include <stdio.h>
#include <string.h>

#include "report/doc_int.h"

static void cell(FILE *out, const struct rebuy_node *n, int raw)
{
	char buf[64];
	if (n->type == NODE_NULL || n->type == NODE_OBJ || n->type == NODE_ARR)
		return;
	if (n->type != NODE_STR) {
		rebuy__node_plain(n, buf, sizeof buf);
		fputs(buf, out);
		return;
	}
	const char *s = n->s;
	int guard = !raw && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
	                     s[0] == '\t' || s[0] == '\r');
	int quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		fputc('"', out);
	if (guard)
		fputc('\'', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	if (quote)
		fputc('"', out);
}

static void header(FILE *out, const struct rebuy_node *obj, const char *prefix, int *first)
{
	for (const struct rebuy_node *c = obj->first; c; c = c->next) {
		if (c->type == NODE_ARR)
			continue;
		char name[256];
		snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "." : "",
		         c->key ? c->key : "");
		if (c->type == NODE_OBJ) {
			header(out, c, name, first);
			continue;
		}
		if (!*first)
			fputc(',', out);
		*first = 0;
		struct rebuy_node tmp = {.type = NODE_STR, .s = name};
		cell(out, &tmp, 1);
	}
}

static void row(FILE *out, const struct rebuy_node *obj, int raw, int *first)
{
	for (const struct rebuy_node *c = obj->first; c; c = c->next) {
		if (c->type == NODE_ARR)
			continue;
		if (c->type == NODE_OBJ) {
			row(out, c, raw, first);
			continue;
		}
		if (!*first)
			fputc(',', out);
		*first = 0;
		cell(out, c, raw);
	}
}

enum rebuy_status rebuy_doc_write_csv(const struct rebuy_doc *doc, const struct rebuy_node *node,
                                      const struct rebuy_csv_options *opts, FILE *out)
{
	if (rebuy_doc_failed(doc))
		return REBUY_ENOMEM;
	if (!node || node->type != NODE_ARR)
		return REBUY_EINTERNAL;
	int raw = opts && opts->raw;
	if (node->first) {
		int first = 1;
		header(out, node->first, "", &first);
		fputc('\n', out);
	}
	for (const struct rebuy_node *r = node->first; r; r = r->next) {
		int first = 1;
		if (r->type == NODE_OBJ)
			row(out, r, raw, &first);
		else
			cell(out, r, raw);
		fputc('\n', out);
	}
	return ferror(out) ? REBUY_EIO : REBUY_OK;
}

static void fields(FILE *out, const struct rebuy_node *obj, const char *prefix, int raw)
{
	for (const struct rebuy_node *c = obj->first; c; c = c->next) {
		if (c->type == NODE_ARR || c->table_hidden)
			continue;
		char name[256];
		snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "." : "",
		         c->key ? c->key : "");
		if (c->type == NODE_OBJ) {
			fields(out, c, name, raw);
			continue;
		}
		struct rebuy_node key = {.type = NODE_STR, .s = name};
		cell(out, &key, 1);
		fputc(',', out);
		cell(out, c, raw);
		fputc(',', out);
		struct rebuy_node note = {.type = NODE_STR, .s = c->note ? c->note : ""};
		cell(out, &note, raw);
		fputc('\n', out);
	}
}

enum rebuy_status rebuy_doc_write_csv_fields(const struct rebuy_doc *doc,
                                             const struct rebuy_node *node,
                                             const struct rebuy_csv_options *opts, FILE *out)
{
	if (rebuy_doc_failed(doc))
		return REBUY_ENOMEM;
	node = node ? node : doc->root;
	if (node->type != NODE_OBJ)
		return REBUY_EINTERNAL;
	fputs("metric,value,definition\n", out);
	fields(out, node, "", opts && opts->raw);
	return ferror(out) ? REBUY_EIO : REBUY_OK;
}
