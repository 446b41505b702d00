/* Rules files of audiences (rebuy/audiences.h): a line-oriented block
 * format, and boolean expressions over the customer's fields parsed by
 * recursive descent (or < and < not < comparison) into a node array per
 * audience. Names are bound to fields once the orders' attribute columns
 * are known; evaluation is a walk of the nodes. Sizes are capped (64 KiB of
 * text per line, 256 nested levels, 4096 nodes per audience, 1,000
 * audiences) so that a hostile file cannot take the machine.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "act/act_int.h"
#include "core/mem.h"
#include "rebuy/date.h"

#define MAX_DEPTH 256
#define MAX_NODES 4096
#define MAX_AUDIENCES 1000
#define MAX_LINE 65536
#define MAX_TEXT_LEN 1024

enum node_kind { N_OR, N_AND, N_NOT, N_CMP, N_IN };
enum cmp_op { OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE };
enum field_type { F_UNBOUND, F_NUM, F_DATE, F_TEXT };

struct node {
	enum node_kind kind;
	enum cmp_op op;
	int a, b;          /* children (N_OR, N_AND: a and b; N_NOT: a) */
	char *name;        /* N_CMP, N_IN: the field as written */
	int line, col;     /* of the field */
	enum field_type type;
	int field;         /* after binding: numeric or text index */
	int is_text_value; /* the value was quoted or a bare word */
	double num;        /* a number, or a date's day number */
	int has_date;      /* the value reads as YYYY-MM-DD */
	char *text;        /* the value as text (N_CMP) */
	char **set;        /* N_IN: values */
	double *set_num;   /* N_IN on a number or date field, after binding: the values */
	size_t n_set;
};

struct rule {
	char *name, *action, *reason, *score_name, *when;
	int line, score_line, score_col;
	int score; /* numeric field, -1: default */
	struct node *nodes;
	size_t n_nodes;
	int root;
};

struct rebuy_audience_rules {
	char *source;
	struct rule *rules;
	size_t n_rules;
};

static const char *const numeric_names[RULE_N_NUMERIC] = {
        "recency_days", "frequency",     "purchase_days",  "revenue",
        "aov",          "tenure_days",   "mean_gap_days",  "overdue",
        "last_gap_days", "orders_recent", "revenue_recent", "returns",
        "return_share", "p_alive",       "p_purchase",     "expected_purchases",
        "clv",          "r",             "f",              "m",
        "first_purchase", "last_purchase", "expected_next_purchase",
};

static void free_rule(struct rule *r)
{
	for (size_t i = 0; i < r->n_nodes; i++) {
		struct node *n = &r->nodes[i];
		rebuy__free(n->name);
		rebuy__free(n->text);
		for (size_t k = 0; k < n->n_set; k++)
			rebuy__free(n->set[k]);
		rebuy__free(n->set);
		rebuy__free(n->set_num);
	}
	rebuy__free(r->nodes);
	rebuy__free(r->name);
	rebuy__free(r->action);
	rebuy__free(r->reason);
	rebuy__free(r->score_name);
	rebuy__free(r->when);
}

void rebuy_audience_rules_free(struct rebuy_audience_rules *rules)
{
	if (!rules)
		return;
	for (size_t i = 0; i < rules->n_rules; i++)
		free_rule(&rules->rules[i]);
	rebuy__free(rules->rules);
	rebuy__free(rules->source);
	rebuy__free(rules);
}

size_t rebuy_audience_rules_count(const struct rebuy_audience_rules *rules)
{
	return rules ? rules->n_rules : 0;
}

/* ---- the expression parser ---------------------------------------------- */

struct parser {
	const char *src;  /* the file's name, for messages */
	const char *s;    /* the expression */
	size_t pos, len;
	int line, col0;   /* line of the expression, column of s[0] (1-based) */
	struct rule *r;
	int depth;
	struct rebuy_error *err;
	enum rebuy_status st;
};

static enum rebuy_status perr(struct parser *p, size_t at, const char *msg)
{
	p->st = rebuy_error_set(p->err, REBUY_EARG, "%s:%d:%d: %s", p->src, p->line,
	                        p->col0 + (int)at, msg);
	return p->st;
}

static void skip_space(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
		p->pos++;
}

static int is_word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.' || c == ':';
}

/* Whether the next token is the keyword kw (a whole word, any case). */
static int peek_keyword(struct parser *p, const char *kw)
{
	skip_space(p);
	size_t n = strlen(kw);
	if (p->len - p->pos < n || strncasecmp(p->s + p->pos, kw, n) != 0)
		return 0;
	return p->pos + n == p->len || !is_word_char(p->s[p->pos + n]);
}

static int take_keyword(struct parser *p, const char *kw)
{
	if (!peek_keyword(p, kw))
		return 0;
	p->pos += strlen(kw);
	return 1;
}

static int new_node(struct parser *p, enum node_kind kind)
{
	struct rule *r = p->r;
	if (r->n_nodes >= MAX_NODES) {
		perr(p, p->pos, "the expression is too long (at most 4096 terms)");
		return -1;
	}
	struct node *nodes = rebuy__realloc(r->nodes, (r->n_nodes + 1) * sizeof *nodes);
	if (!nodes) {
		p->st = rebuy_error_set(p->err, REBUY_ENOMEM, "out of memory reading %s", p->src);
		return -1;
	}
	r->nodes = nodes;
	memset(&nodes[r->n_nodes], 0, sizeof *nodes);
	nodes[r->n_nodes].kind = kind;
	nodes[r->n_nodes].a = nodes[r->n_nodes].b = -1;
	return (int)r->n_nodes++;
}

/* A value: 'text' or "text" (no escapes), or a run of word characters
 * (numbers, dates, bare words). *out is a new string. */
static enum rebuy_status parse_value(struct parser *p, char **out, int *quoted, size_t *at)
{
	skip_space(p);
	*at = p->pos;
	size_t start, end;
	*quoted = 0;
	if (p->pos < p->len && (p->s[p->pos] == '\'' || p->s[p->pos] == '"')) {
		char q = p->s[p->pos++];
		start = p->pos;
		while (p->pos < p->len && p->s[p->pos] != q)
			p->pos++;
		if (p->pos == p->len)
			return perr(p, *at, "a quoted value is not closed");
		end = p->pos++;
		*quoted = 1;
	} else {
		start = p->pos;
		while (p->pos < p->len && (is_word_char(p->s[p->pos]) || p->s[p->pos] == '+'))
			p->pos++;
		end = p->pos;
		if (end == start)
			return perr(p, *at, "a value is expected");
	}
	if (end - start > MAX_TEXT_LEN)
		return perr(p, *at, "a value is longer than 1024 bytes");
	if (!(*out = rebuy__strndup(p->s + start, end - start))) {
		p->st = rebuy_error_set(p->err, REBUY_ENOMEM, "out of memory reading %s", p->src);
		return p->st;
	}
	return REBUY_OK;
}

/* YYYY-MM-DD -> day number; 0 when the text is not such a date. */
static int read_date(const char *s, double *day)
{
	int y, m, d;
	char tail;
	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
		return 0;
	if (!isdigit((unsigned char)s[0]) || s[4] != '-' || s[7] != '-' || m < 1 || d < 1 ||
	    !rebuy_date_is_valid(y, (unsigned)m, (unsigned)d))
		return 0;
	*day = (double)rebuy_days_from_civil(y, (unsigned)m, (unsigned)d);
	return 1;
}

static int read_number(const char *s, double *v)
{
	char *end;
	errno = 0;
	double d = strtod(s, &end);
	if (end == s || *end || errno == ERANGE || !isfinite(d))
		return 0;
	*v = d;
	return 1;
}

static int parse_or(struct parser *p);

static int parse_comparison(struct parser *p)
{
	skip_space(p);
	size_t at = p->pos;
	if (p->pos < p->len && p->s[p->pos] == '(') {
		p->pos++;
		int n = parse_or(p);
		if (n < 0)
			return -1;
		skip_space(p);
		if (p->pos >= p->len || p->s[p->pos] != ')') {
			perr(p, p->pos, "')' is expected");
			return -1;
		}
		p->pos++;
		return n;
	}
	size_t start = p->pos;
	while (p->pos < p->len && (isalnum((unsigned char)p->s[p->pos]) || p->s[p->pos] == '_' ||
	                           p->s[p->pos] == '-' || p->s[p->pos] == '.'))
		p->pos++;
	if (p->pos == start) {
		perr(p, at, "a field name or '(' is expected");
		return -1;
	}
	if (p->pos - start > 255) {
		perr(p, at, "a field name is longer than 255 bytes");
		return -1;
	}
	char *name = rebuy__strndup(p->s + start, p->pos - start);
	if (!name) {
		p->st = rebuy_error_set(p->err, REBUY_ENOMEM, "out of memory reading %s", p->src);
		return -1;
	}
	int is_not = take_keyword(p, "not");
	if (take_keyword(p, "in")) {
		int k = new_node(p, N_IN);
		if (k < 0) {
			rebuy__free(name);
			return -1;
		}
		struct node *nd = &p->r->nodes[k];
		nd->name = name;
		nd->line = p->line;
		nd->col = p->col0 + (int)start;
		nd->op = is_not ? OP_NE : OP_EQ;
		skip_space(p);
		if (p->pos >= p->len || p->s[p->pos] != '(') {
			perr(p, p->pos, "'(' is expected after in");
			return -1;
		}
		p->pos++;
		for (;;) {
			char *v;
			int quoted;
			size_t vat;
			if (parse_value(p, &v, &quoted, &vat))
				return -1;
			nd = &p->r->nodes[k];
			char **set = rebuy__realloc(nd->set, (nd->n_set + 1) * sizeof *set);
			if (!set || nd->n_set >= MAX_NODES) {
				rebuy__free(v);
				if (set)
					nd->set = set;
				perr(p, vat, set ? "too many values in a list" : "out of memory");
				return -1;
			}
			nd->set = set;
			set[nd->n_set++] = v;
			skip_space(p);
			if (p->pos < p->len && p->s[p->pos] == ',') {
				p->pos++;
				continue;
			}
			if (p->pos < p->len && p->s[p->pos] == ')') {
				p->pos++;
				return k;
			}
			perr(p, p->pos, "',' or ')' is expected in the list");
			return -1;
		}
	}
	if (is_not) {
		rebuy__free(name);
		perr(p, p->pos, "'in' is expected after not");
		return -1;
	}
	skip_space(p);
	enum cmp_op op;
	const char *s = p->s + p->pos;
	size_t rest = p->len - p->pos;
	if (rest >= 2 && s[0] == '<' && s[1] == '=')
		op = OP_LE, p->pos += 2;
	else if (rest >= 2 && s[0] == '>' && s[1] == '=')
		op = OP_GE, p->pos += 2;
	else if (rest >= 2 && s[0] == '!' && s[1] == '=')
		op = OP_NE, p->pos += 2;
	else if (rest >= 2 && s[0] == '<' && s[1] == '>')
		op = OP_NE, p->pos += 2;
	else if (rest >= 2 && s[0] == '=' && s[1] == '=')
		op = OP_EQ, p->pos += 2;
	else if (rest >= 1 && s[0] == '<')
		op = OP_LT, p->pos += 1;
	else if (rest >= 1 && s[0] == '>')
		op = OP_GT, p->pos += 1;
	else if (rest >= 1 && s[0] == '=')
		op = OP_EQ, p->pos += 1;
	else {
		rebuy__free(name);
		perr(p, p->pos, "a comparison (< <= > >= = != in) is expected");
		return -1;
	}
	int k = new_node(p, N_CMP);
	if (k < 0) {
		rebuy__free(name);
		return -1;
	}
	struct node *nd = &p->r->nodes[k];
	nd->name = name;
	nd->op = op;
	nd->line = p->line;
	nd->col = p->col0 + (int)start;
	char *v;
	int quoted;
	size_t vat;
	if (parse_value(p, &v, &quoted, &vat))
		return -1;
	nd = &p->r->nodes[k];
	nd->text = v;
	nd->is_text_value = quoted;
	nd->has_date = !quoted && read_date(v, &nd->num);
	if (!quoted && !nd->has_date && !read_number(v, &nd->num))
		nd->is_text_value = 1; /* a bare word: text */
	return k;
}

static int parse_not(struct parser *p)
{
	if (take_keyword(p, "not")) {
		if (++p->depth > MAX_DEPTH) {
			perr(p, p->pos, "the expression nests too deep");
			return -1;
		}
		int a = parse_not(p);
		p->depth--;
		if (a < 0)
			return -1;
		int k = new_node(p, N_NOT);
		if (k >= 0)
			p->r->nodes[k].a = a;
		return k;
	}
	if (++p->depth > MAX_DEPTH) {
		perr(p, p->pos, "the expression nests too deep");
		return -1;
	}
	int k = parse_comparison(p);
	p->depth--;
	return k;
}

/* A left-leaning chain of operands joined by one keyword: "and" over
 * parse_not, or "or" over the "and" chains. */
static int parse_chain(struct parser *p, enum node_kind kind)
{
	const char *kw = kind == N_AND ? "and" : "or";
	int a = kind == N_AND ? parse_not(p) : parse_chain(p, N_AND);
	while (a >= 0 && take_keyword(p, kw)) {
		int b = kind == N_AND ? parse_not(p) : parse_chain(p, N_AND);
		if (b < 0)
			return -1;
		int k = new_node(p, kind);
		if (k < 0)
			return -1;
		p->r->nodes[k].a = a;
		p->r->nodes[k].b = b;
		a = k;
	}
	return a;
}

static int parse_or(struct parser *p)
{
	return parse_chain(p, N_OR);
}

/* ---- the file ------------------------------------------------------------ */

static enum rebuy_status set_text(char **dst, const char *s, size_t n, struct rebuy_error *err)
{
	rebuy__free(*dst);
	if (!(*dst = rebuy__strndup(s, n)))
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory reading a rules file");
	return REBUY_OK;
}

static int valid_name(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return 0;
	return 1;
}

/* Checks the finished audience r (its when). */
static enum rebuy_status finish_rule(const char *src, struct rule *r, struct rebuy_error *err)
{
	if (!r->when)
		return rebuy_error_set(err, REBUY_EARG, "%s:%d: audience '%s' has no 'when' line", src,
		                       r->line, r->name);
	return REBUY_OK;
}

static enum rebuy_status parse_line(const char *src, struct rebuy_audience_rules *x, int line,
                                    const char *s, size_t n, struct rebuy_error *err)
{
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == n || s[i] == '#')
		return REBUY_OK;
	size_t k0 = i;
	while (i < n && !isspace((unsigned char)s[i]))
		i++;
	size_t klen = i - k0;
	const char *kw = s + k0;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	size_t end = n;
	while (end > i && (s[end - 1] == ' ' || s[end - 1] == '\t' || s[end - 1] == '\r'))
		end--;
	const char *arg = s + i;
	size_t alen = end - i;
	int col = (int)i + 1;

	if (klen == 8 && strncmp(kw, "audience", 8) == 0) {
		if (x->n_rules && finish_rule(src, &x->rules[x->n_rules - 1], err))
			return err ? err->code : REBUY_EARG;
		if (!valid_name(arg, alen))
			return rebuy_error_set(err, REBUY_EARG,
			                       "%s:%d:%d: an audience name is 1 to 64 letters, digits, "
			                       "'_' or '-'",
			                       src, line, col);
		for (size_t k = 0; k < x->n_rules; k++)
			if (strlen(x->rules[k].name) == alen && memcmp(x->rules[k].name, arg, alen) == 0)
				return rebuy_error_set(err, REBUY_EARG,
				                       "%s:%d:%d: audience '%.*s' is defined twice (line %d)",
				                       src, line, col, (int)alen, arg, x->rules[k].line);
		for (int b = 0; b < REBUY_AUD_BUILTIN_COUNT; b++) {
			const char *bn = rebuy_audience_builtin_name((enum rebuy_audience_builtin)b);
			if (strlen(bn) == alen && memcmp(bn, arg, alen) == 0)
				return rebuy_error_set(err, REBUY_EARG,
				                       "%s:%d:%d: '%s' is a built-in audience; choose another "
				                       "name",
				                       src, line, col, bn);
		}
		if (x->n_rules >= MAX_AUDIENCES)
			return rebuy_error_set(err, REBUY_ELIMIT, "%s:%d: more than %d audiences", src,
			                       line, MAX_AUDIENCES);
		struct rule *rules = rebuy__realloc(x->rules, (x->n_rules + 1) * sizeof *rules);
		if (!rules)
			return rebuy_error_set(err, REBUY_ENOMEM, "out of memory reading %s", src);
		x->rules = rules;
		struct rule *r = &rules[x->n_rules++];
		memset(r, 0, sizeof *r);
		r->line = line;
		r->score = -1;
		r->root = -1;
		return set_text(&r->name, arg, alen, err);
	}
	if (x->n_rules == 0)
		return rebuy_error_set(err, REBUY_EARG,
		                       "%s:%d:%d: expected 'audience NAME' before '%.*s'", src, line,
		                       (int)k0 + 1, (int)(klen > 40 ? 40 : klen), kw);
	struct rule *r = &x->rules[x->n_rules - 1];
	if (alen == 0)
		return rebuy_error_set(err, REBUY_EARG, "%s:%d:%d: '%.*s' needs a value", src, line,
		                       col, (int)(klen > 40 ? 40 : klen), kw);
	if (klen == 4 && strncmp(kw, "when", 4) == 0) {
		if (r->when)
			return rebuy_error_set(err, REBUY_EARG,
			                       "%s:%d:%d: audience '%s' has a second 'when'", src, line,
			                       (int)k0 + 1, r->name);
		enum rebuy_status st = set_text(&r->when, arg, alen, err);
		if (st)
			return st;
		struct parser p = {src, r->when, 0, alen, line, col, r, 0, err, REBUY_OK};
		int root = parse_or(&p);
		if (root >= 0) {
			skip_space(&p);
			if (p.pos < p.len)
				perr(&p, p.pos, "'and', 'or' or the end of the line is expected");
		}
		if (p.st)
			return p.st;
		r->root = root;
		return REBUY_OK;
	}
	if (klen == 6 && strncmp(kw, "action", 6) == 0)
		return set_text(&r->action, arg, alen, err);
	if (klen == 6 && strncmp(kw, "reason", 6) == 0)
		return set_text(&r->reason, arg, alen, err);
	if (klen == 5 && strncmp(kw, "score", 5) == 0) {
		r->score_line = line;
		r->score_col = col;
		return set_text(&r->score_name, arg, alen, err);
	}
	return rebuy_error_set(err, REBUY_EARG,
	                       "%s:%d:%d: unknown keyword '%.*s' (audience, when, action, score, "
	                       "reason)",
	                       src, line, (int)k0 + 1, (int)(klen > 40 ? 40 : klen), kw);
}

enum rebuy_status rebuy_audience_rules_parse(const char *name, const char *text, size_t len,
                                             struct rebuy_audience_rules **out,
                                             struct rebuy_error *err)
{
	*out = NULL;
	struct rebuy_audience_rules *x = rebuy__calloc(1, sizeof *x);
	if (!x || !(x->source = rebuy__strndup(name, strlen(name)))) {
		rebuy__free(x);
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory reading %s", name);
	}
	enum rebuy_status st = REBUY_OK;
	int line = 1;
	for (size_t i = 0; i < len && !st; line++) {
		size_t j = i;
		while (j < len && text[j] != '\n')
			j++;
		if (j - i > MAX_LINE) {
			st = rebuy_error_set(err, REBUY_ELIMIT, "%s:%d: the line is longer than 64 KiB",
			                     name, line);
			break;
		}
		if (memchr(text + i, '\0', j - i)) {
			st = rebuy_error_set(err, REBUY_EARG, "%s:%d: a NUL byte in a rules file", name,
			                     line);
			break;
		}
		st = parse_line(name, x, line, text + i, j - i, err);
		i = j + 1;
	}
	if (!st && x->n_rules)
		st = finish_rule(name, &x->rules[x->n_rules - 1], err);
	if (!st && x->n_rules == 0)
		st = rebuy_error_set(err, REBUY_EARG, "%s: no audience is defined", name);
	if (st) {
		rebuy_audience_rules_free(x);
		return st;
	}
	*out = x;
	return REBUY_OK;
}

enum rebuy_status rebuy_audience_rules_load(const char *path, struct rebuy_audience_rules **out,
                                            struct rebuy_error *err)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return rebuy_error_set(err, REBUY_EIO, "%s: cannot open: %s", path, strerror(errno));
	size_t cap = 0, n = 0;
	char *buf = NULL;
	enum rebuy_status st = REBUY_OK;
	for (;;) {
		if (n + 65536 > cap) {
			if (cap >= (size_t)16 << 20) {
				st = rebuy_error_set(err, REBUY_ELIMIT,
				                     "%s: a rules file is at most 16 MiB", path);
				break;
			}
			size_t ncap = cap ? cap * 2 : 65536 * 2;
			char *nb = rebuy__realloc(buf, ncap);
			if (!nb) {
				st = rebuy_error_set(err, REBUY_ENOMEM, "out of memory reading %s", path);
				break;
			}
			buf = nb;
			cap = ncap;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				st = rebuy_error_set(err, REBUY_EIO, "%s: cannot read", path);
			break;
		}
	}
	fclose(f);
	if (!st)
		st = rebuy_audience_rules_parse(path, buf ? buf : "", n, out, err);
	rebuy__free(buf);
	return st;
}

/* ---- binding and evaluation ---------------------------------------------- */

static int numeric_field(const char *name)
{
	for (int i = 0; i < RULE_N_NUMERIC; i++)
		if (strcmp(numeric_names[i], name) == 0)
			return i;
	return -1;
}

size_t rebuy_audience_rules_attributes(const struct rebuy_audience_rules *rules,
                                       const char **names, size_t max)
{
	size_t n = 0;
	for (size_t k = 0; rules && k < rules->n_rules; k++) {
		const struct rule *r = &rules->rules[k];
		for (size_t i = 0; i < r->n_nodes; i++) {
			const char *f = r->nodes[i].name;
			if (!f || numeric_field(f) >= 0 || strcmp(f, "segment") == 0)
				continue;
			size_t j = 0;
			while (j < n && j < max && strcmp(names[j], f) != 0)
				j++;
			if (j == n) {
				if (n < max)
					names[n] = f;
				n++;
			}
		}
	}
	return n;
}

static enum rebuy_status bind_node(const char *src, struct node *nd, const char *const *attr,
                                   size_t n_attr, struct rebuy_error *err)
{
	int f = numeric_field(nd->name);
	if (f >= 0) {
		nd->field = f;
		nd->type = f >= RULE_FIRST_PURCHASE ? F_DATE : F_NUM;
	} else if (strcmp(nd->name, "segment") == 0) {
		nd->field = RULE_TEXT_SEGMENT;
		nd->type = F_TEXT;
	} else {
		size_t k = 0;
		while (k < n_attr && strcmp(attr[k], nd->name) != 0)
			k++;
		if (k == n_attr)
			return rebuy_error_set(err, REBUY_EARG,
			                       "%s:%d:%d: unknown field '%s' (see docs/audiences.md for "
			                       "the fields; attribute columns need --attribute)",
			                       src, nd->line, nd->col, nd->name);
		nd->field = (int)(1 + k);
		nd->type = F_TEXT;
	}
	if (nd->kind == N_IN) {
		if (nd->type == F_TEXT)
			return REBUY_OK;
		rebuy__free(nd->set_num);
		if (!(nd->set_num = rebuy__malloc(nd->n_set * sizeof *nd->set_num)))
			return rebuy_error_set(err, REBUY_ENOMEM, "out of memory binding %s", src);
		for (size_t i = 0; i < nd->n_set; i++) {
			double *v = &nd->set_num[i];
			if (nd->type == F_DATE ? !read_date(nd->set[i], v) : !read_number(nd->set[i], v))
				return rebuy_error_set(err, REBUY_EARG,
				                       "%s:%d:%d: '%s' is not a %s for %s", src, nd->line,
				                       nd->col, nd->set[i],
				                       nd->type == F_DATE ? "date (YYYY-MM-DD)" : "number",
				                       nd->name);
		}
		return REBUY_OK;
	}
	if (nd->type == F_TEXT) {
		if (nd->op != OP_EQ && nd->op != OP_NE)
			return rebuy_error_set(err, REBUY_EARG,
			                       "%s:%d:%d: %s is text: compare it with = or != or in",
			                       src, nd->line, nd->col, nd->name);
		return REBUY_OK;
	}
	if (nd->type == F_DATE && !nd->has_date)
		return rebuy_error_set(err, REBUY_EARG,
		                       "%s:%d:%d: %s is a date: compare it with a YYYY-MM-DD date, "
		                       "not '%s'",
		                       src, nd->line, nd->col, nd->name, nd->text);
	if (nd->type == F_NUM && (nd->is_text_value || nd->has_date))
		return rebuy_error_set(err, REBUY_EARG,
		                       "%s:%d:%d: %s is a number: '%s' is not one", src, nd->line,
		                       nd->col, nd->name, nd->text);
	return REBUY_OK;
}

enum rebuy_status rebuy__audience_rules_bind(struct rebuy_audience_rules *rules,
                                             const char *const *attr, size_t n_attr,
                                             struct rebuy_error *err)
{
	for (size_t k = 0; k < rules->n_rules; k++) {
		struct rule *r = &rules->rules[k];
		for (size_t i = 0; i < r->n_nodes; i++) {
			struct node *nd = &r->nodes[i];
			if (nd->kind != N_CMP && nd->kind != N_IN)
				continue;
			enum rebuy_status st = bind_node(rules->source, nd, attr, n_attr, err);
			if (st)
				return st;
		}
		r->score = -1;
		if (r->score_name) {
			int f = numeric_field(r->score_name);
			if (f < 0 || f >= RULE_FIRST_PURCHASE)
				return rebuy_error_set(err, REBUY_EARG,
				                       "%s:%d:%d: score needs a numeric field, not '%s'",
				                       rules->source, r->score_line, r->score_col,
				                       r->score_name);
			r->score = f;
		}
	}
	return REBUY_OK;
}

const char *rebuy__audience_rule_name(const struct rebuy_audience_rules *rules, size_t k)
{
	return rules->rules[k].name;
}

const char *rebuy__audience_rule_action(const struct rebuy_audience_rules *rules, size_t k)
{
	return rules->rules[k].action ? rules->rules[k].action : "contact";
}

const char *rebuy__audience_rule_reason(const struct rebuy_audience_rules *rules, size_t k)
{
	return rules->rules[k].reason ? rules->rules[k].reason : rules->rules[k].when;
}

int rebuy__audience_rule_score(const struct rebuy_audience_rules *rules, size_t k)
{
	return rules->rules[k].score;
}

static int compare_num(enum cmp_op op, double a, double b)
{
	if (isnan(a))
		return 0;
	switch (op) {
	case OP_LT: return a < b;
	case OP_LE: return a <= b;
	case OP_GT: return a > b;
	case OP_GE: return a >= b;
	case OP_EQ: return a == b;
	case OP_NE: return a != b;
	}
	return 0;
}

static int eval(const struct rule *r, int k, const double *num, const char *const *text)
{
	const struct node *nd = &r->nodes[k];
	switch (nd->kind) {
	case N_OR: return eval(r, nd->a, num, text) || eval(r, nd->b, num, text);
	case N_AND: return eval(r, nd->a, num, text) && eval(r, nd->b, num, text);
	case N_NOT: return !eval(r, nd->a, num, text);
	case N_CMP:
		if (nd->type == F_TEXT) {
			const char *v = text[nd->field];
			if (!v)
				return 0;
			return (strcmp(v, nd->text) == 0) == (nd->op == OP_EQ);
		}
		return compare_num(nd->op, num[nd->field], nd->num);
	case N_IN: {
		int found = 0;
		if (nd->type == F_TEXT) {
			const char *v = text[nd->field];
			if (!v)
				return 0;
			for (size_t i = 0; i < nd->n_set && !found; i++)
				found = strcmp(v, nd->set[i]) == 0;
		} else {
			double v = num[nd->field];
			if (isnan(v))
				return 0;
			for (size_t i = 0; i < nd->n_set && !found; i++)
				found = v == nd->set_num[i];
		}
		return found == (nd->op == OP_EQ);
	}
	}
	return 0;
}

int rebuy__audience_rule_match(const struct rebuy_audience_rules *rules, size_t k,
                               const double *num, const char *const *text)
{
	const struct rule *r = &rules->rules[k];
	return r->root >= 0 && eval(r, r->root, num, text);
}
