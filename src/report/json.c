/* JSON writer (RFC 8259): keys in insertion order, two-space indent,
 * numbers that read back to the same double, invalid UTF-8 replaced by
 * U+FFFD so that the output is always valid JSON. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rebuy/money.h"
#include "report/doc_int.h"

size_t rebuy__node_plain(const struct rebuy_node *n, char *buf, size_t size)
{
	switch (n->type) {
	case NODE_BOOL: return (size_t)snprintf(buf, size, "%s", n->i ? "true" : "false");
	case NODE_INT: return (size_t)snprintf(buf, size, "%" PRId64, n->i);
	case NODE_UINT: return (size_t)snprintf(buf, size, "%" PRIu64, n->u);
	case NODE_NUM: return rebuy_format_double(n->f, buf, size);
	case NODE_MONEY: return rebuy_money_format(n->i, buf, size);
	case NODE_STR: return (size_t)snprintf(buf, size, "%s", n->s);
	default: buf[0] = '\0'; return 0;
	}
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when invalid. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t n;
	uint32_t cp;
	if ((c & 0xE0) == 0xC0) {
		n = 2;
		cp = c & 0x1F;
	} else if ((c & 0xF0) == 0xE0) {
		n = 3;
		cp = c & 0x0F;
	} else if ((c & 0xF8) == 0xF0) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

void rebuy_json_string(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	fputc('"', out);
	while (*s) {
		unsigned char c = *s;
		if (c == '"' || c == '\\') {
			fputc('\\', out);
			fputc(c, out);
			s++;
		} else if (c < 0x20) {
			static const char *const esc[] = {
			        [8] = "\\b", [9] = "\\t", [10] = "\\n", [12] = "\\f", [13] = "\\r"};
			if (c < sizeof esc / sizeof *esc && esc[c])
				fputs(esc[c], out);
			else
				fprintf(out, "\\u%04x", c);
			s++;
		} else {
			size_t n = utf8_len(s);
			if (n == 0) {
				fputs("\xEF\xBF\xBD", out);
				s++;
			} else {
				fwrite(s, 1, n, out);
				s += n;
			}
		}
	}
	fputc('"', out);
}

static void indent(FILE *out, int depth)
{
	for (int i = 0; i < depth; i++)
		fputs("  ", out);
}

static int all_scalars(const struct rebuy_node *n)
{
	for (const struct rebuy_node *c = n->first; c; c = c->next)
		if (c->type == NODE_OBJ || c->type == NODE_ARR)
			return 0;
	return 1;
}

static void write_node(FILE *out, const struct rebuy_node *n, int depth)
{
	char buf[64];
	switch (n->type) {
	case NODE_NULL: fputs("null", out); return;
	case NODE_STR: rebuy_json_string(out, n->s); return;
	case NODE_OBJ:
	case NODE_ARR: {
		int obj = n->type == NODE_OBJ;
		if (!n->first) {
			fputs(obj ? "{}" : "[]", out);
			return;
		}
		/* Short rows of scalars (period rows, lists) stay on one line. */
		int flat = all_scalars(n) && (!obj || depth >= 2);
		fputc(obj ? '{' : '[', out);
		for (const struct rebuy_node *c = n->first; c; c = c->next) {
			if (flat) {
				if (c != n->first)
					fputs(", ", out);
			} else {
				fputc('\n', out);
				indent(out, depth + 1);
			}
			if (obj) {
				rebuy_json_string(out, c->key ? c->key : "");
				fputs(": ", out);
			}
			write_node(out, c, depth + 1);
			if (!flat && c->next)
				fputc(',', out);
		}
		if (!flat) {
			fputc('\n', out);
			indent(out, depth);
		}
		fputc(obj ? '}' : ']', out);
		return;
	}
	default:
		rebuy__node_plain(n, buf, sizeof buf);
		fputs(buf, out);
		return;
	}
}

enum rebuy_status rebuy_doc_write_json(const struct rebuy_doc *doc, const struct rebuy_node *node,
                                       FILE *out)
{
	if (rebuy_doc_failed(doc))
		return REBUY_ENOMEM;
	write_node(out, node ? node : doc->root, 0);
	fputc('\n', out);
	return ferror(out) ? REBUY_EIO : REBUY_OK;
}
