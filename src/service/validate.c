/* Strict validation of write request bodies into the structs of loyalty.h.
 *
 * A body is one JSON object (jansson, duplicate keys rejected) whose fields
 * are all known to the request kind; every field has its type and range;
 * the first problem is reported with the field's name. Money is a decimal
 * string ("12.50", at most 4 decimals, read exactly by rebuy_money_parse)
 * or whole minor units (1/100) in a field named *_minor; a JSON number with
 * a fraction is never money. Ids come from a safe charset; texts have no
 * control characters and a bounded length.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/mem.h"
#include "rebuy/money.h"
#include "service/service_int.h"

struct ctx {
	const char **code;
	char *msg;
	size_t msg_size;
};

static int fail(struct ctx *x, const char *code, const char *fmt, ...)
{
	*x->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->msg, x->msg_size, fmt, ap);
	va_end(ap);
	/* one printable line: jansson's messages quote the bytes near an error */
	for (char *p = x->msg; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	return -1;
}

int rebuy__svc_id_ok(const char *s, size_t n)
{
	if (n == 0 || n > SVC_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		         (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == ':' ||
		         ch == '@' || ch == '-';
		if (!ok)
			return 0;
	}
	return 1;
}

/* The field names of each kind, and of a line; NULL-terminated. */
static const char *const order_fields[] = {"customer",     "order_id", "time",     "amount",
                                           "amount_minor", "lines",    "birthday", NULL};
static const char *const refund_fields[] = {"customer", "refund_id",    "order_id", "time",
                                            "amount",   "amount_minor", "lines",    NULL};
static const char *const redemption_fields[] = {"customer", "redemption_id", "time",
                                                "points",   "reward",        NULL};
static const char *const adjustment_fields[] = {"customer", "adjustment_id", "time",
                                                "points",   "reason",        NULL};
static const char *const line_fields[] = {"product", "category",     "quantity",
                                          "amount",  "amount_minor", NULL};

/* Rejects any key of obj not in names; where prefixes the message. */
static int only_known(struct ctx *x, json_t *obj, const char *const *names, const char *where)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		int known = 0;
		for (size_t i = 0; names[i]; i++)
			if (strcmp(names[i], key) == 0)
				known = 1;
		if (!known) {
			/* The name comes from the request: show it bounded and printable. */
			char shown[65];
			size_t n = 0;
			for (const char *p = key; *p && n < sizeof shown - 1; p++)
				shown[n++] = ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\'')
				                     ? '?'
				                     : *p;
			shown[n] = 0;
			return fail(x, "unknown_field", "%sunknown field '%s'", where, shown);
		}
	}
	(void)v;
	return 0;
}

static int get_id(struct ctx *x, json_t *obj, const char *name, const char *where, int required,
                  const char **out)
{
	*out = NULL;
	json_t *v = json_object_get(obj, name);
	if (!v)
		return required ? fail(x, "missing_field", "%smissing field '%s'", where, name) : 0;
	if (!json_is_string(v))
		return fail(x, "invalid_field", "%s'%s' must be a string", where, name);
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (strlen(s) != n || !rebuy__svc_id_ok(s, n))
		return fail(x, "invalid_field",
		            "%s'%s' must be 1 to %d characters of A-Z a-z 0-9 . _ : @ -", where,
		            name, SVC_ID_MAX);
	*out = s;
	return 0;
}

static int get_text(struct ctx *x, json_t *obj, const char *name, const char *where, int required,
                    const char **out)
{
	*out = NULL;
	json_t *v = json_object_get(obj, name);
	if (!v)
		return required ? fail(x, "missing_field", "%smissing field '%s'", where, name) : 0;
	if (!json_is_string(v))
		return fail(x, "invalid_field", "%s'%s' must be a string", where, name);
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (n == 0 || n > SVC_TEXT_MAX || strlen(s) != n)
		return fail(x, "invalid_field", "%s'%s' must be 1 to %d bytes", where, name,
		            SVC_TEXT_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return fail(x, "invalid_field", "%s'%s' holds a control character", where,
			            name);
	*out = s;
	return 0;
}

static int get_int(struct ctx *x, json_t *obj, const char *name, const char *where, int required,
                   int64_t lo, int64_t hi, int64_t *out, int *present)
{
	json_t *v = json_object_get(obj, name);
	if (present)
		*present = v != NULL;
	if (!v)
		return required ? fail(x, "missing_field", "%smissing field '%s'", where, name) : 0;
	if (!json_is_integer(v))
		return fail(x, "invalid_field", "%s'%s' must be an integer", where, name);
	json_int_t i = json_integer_value(v);
	if (i < lo || i > hi)
		return fail(x, "invalid_field", "%s'%s' must be from %" PRId64 " to %" PRId64,
		            where, name, lo, hi);
	*out = (int64_t)i;
	return 0;
}

/* Money: "amount" as a decimal string or "amount_minor" as whole 1/100
 * units, not both. *present says whether either was there. */
static int get_money(struct ctx *x, json_t *obj, const char *where, int64_t lo, int64_t *out,
                     int *present)
{
	json_t *dec = json_object_get(obj, "amount");
	json_t *minor = json_object_get(obj, "amount_minor");
	*present = dec || minor;
	if (dec && minor)
		return fail(x, "invalid_field", "%sgive 'amount' or 'amount_minor', not both",
		            where);
	if (minor) {
		int64_t m;
		if (get_int(x, obj, "amount_minor", where, 1, 0, SVC_MAX_AMOUNT / 100, &m, NULL))
			return -1;
		*out = m * 100;
	} else if (dec) {
		if (!json_is_string(dec))
			return fail(x, "invalid_field",
			            "%s'amount' must be a decimal string such as \"12.50\" "
			            "(or use 'amount_minor')",
			            where);
		const char *s = json_string_value(dec);
		size_t n = json_string_length(dec), i = 0, frac = 0;
		int seen_point = 0, digits = 0;
		for (; i < n; i++) {
			if (s[i] >= '0' && s[i] <= '9') {
				digits++;
				frac += seen_point;
			} else if (s[i] == '.' && !seen_point && digits) {
				seen_point = 1;
			} else {
				break;
			}
		}
		if (i != n || !digits || frac > REBUY_MONEY_DECIMALS || (seen_point && frac == 0) ||
		    n > 32)
			return fail(x, "invalid_field",
			            "%s'amount' must be digits with at most %d decimals, such as "
			            "\"12.50\"",
			            where, REBUY_MONEY_DECIMALS);
		int64_t v;
		if (rebuy_money_parse(s, n, '.', &v) != REBUY_NUM_OK || v > SVC_MAX_AMOUNT)
			return fail(x, "invalid_field", "%s'amount' is out of range", where);
		*out = v;
	} else {
		return 0;
	}
	if (*out < lo)
		return fail(x, "invalid_field", "%s'amount' must be more than 0", where);
	return 0;
}

static int get_time(struct ctx *x, json_t *obj, int64_t now, int64_t *out)
{
	int present;
	if (get_int(x, obj, "time", "", 0, 0, SVC_MAX_TIME, out, &present))
		return -1;
	if (!present)
		*out = now;
	return 0;
}

static int get_lines(struct ctx *x, json_t *obj, struct svc_write *w, int *present, int64_t *sum)
{
	json_t *arr = json_object_get(obj, "lines");
	*present = arr != NULL;
	*sum = 0;
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return fail(x, "invalid_field", "'lines' must be an array");
	size_t n = json_array_size(arr);
	if (n == 0 || n > SVC_MAX_LINES)
		return fail(x, "invalid_field", "'lines' must hold 1 to %d lines", SVC_MAX_LINES);
	w->lines = rebuy__calloc(n, sizeof *w->lines);
	if (!w->lines)
		return -2;
	for (size_t i = 0; i < n; i++) {
		char where[40];
		snprintf(where, sizeof where, "lines[%zu]: ", i);
		json_t *line = json_array_get(arr, i);
		if (!json_is_object(line))
			return fail(x, "invalid_field", "%sa line must be an object", where);
		if (only_known(x, line, line_fields, where))
			return -1;
		struct rebuy_loyalty_line *l = &w->lines[i];
		int has_money, has_qty;
		if (get_text(x, line, "product", where, 0, &l->product) ||
		    get_text(x, line, "category", where, 0, &l->category) ||
		    get_int(x, line, "quantity", where, 0, 1, 1000000, &l->quantity, &has_qty) ||
		    get_money(x, line, where, 0, &l->amount, &has_money))
			return -1;
		if (!has_qty)
			l->quantity = 1;
		if (!has_money)
			return fail(x, "missing_field",
			            "%smissing field 'amount' (or 'amount_minor')", where);
		*sum += l->amount;
		if (*sum > SVC_MAX_AMOUNT)
			return fail(x, "invalid_field", "'lines': the amounts add up to too much");
	}
	w->n_lines = n;
	return 0;
}

static int birthday_ok(const char *s)
{
	static const int days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (strlen(s) != 5 || s[2] != '-')
		return 0;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return 0;
	int m = (s[0] - '0') * 10 + (s[1] - '0');
	int d = (s[3] - '0') * 10 + (s[4] - '0');
	return m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1];
}

/* The amount of an order or refund: given, or the sum of the lines; when
 * both, they must agree. */
static int settle_amount(struct ctx *x, int has_amount, int has_lines, int64_t sum, int64_t *amount)
{
	if (!has_amount && !has_lines)
		return fail(x, "missing_field",
		            "missing field 'amount' (or 'amount_minor' or 'lines')");
	if (!has_amount) {
		*amount = sum;
		return 0;
	}
	if (has_lines && sum != *amount)
		return fail(x, "invalid_field", "'amount' is not the sum of the lines' amounts");
	return 0;
}

static int parse_order(struct ctx *x, json_t *o, int64_t now, struct svc_write *w)
{
	struct rebuy_loyalty_order *r = &w->u.order;
	int has_amount, has_lines, rc;
	int64_t sum;
	if (only_known(x, o, order_fields, "") || get_id(x, o, "customer", "", 1, &r->customer) ||
	    get_id(x, o, "order_id", "", 1, &r->order_id) || get_time(x, o, now, &r->time) ||
	    get_money(x, o, "", 0, &r->amount, &has_amount))
		return -1;
	if ((rc = get_lines(x, o, w, &has_lines, &sum)) != 0)
		return rc;
	if (settle_amount(x, has_amount, has_lines, sum, &r->amount))
		return -1;
	r->lines = w->lines;
	r->n_lines = w->n_lines;
	json_t *b = json_object_get(o, "birthday");
	if (b) {
		if (!json_is_string(b) || !birthday_ok(json_string_value(b)))
			return fail(x, "invalid_field", "'birthday' must be \"MM-DD\"");
		r->birthday = json_string_value(b);
	}
	return 0;
}

static int parse_refund(struct ctx *x, json_t *o, int64_t now, struct svc_write *w)
{
	struct rebuy_loyalty_refund *r = &w->u.refund;
	int has_amount, has_lines, rc;
	int64_t sum;
	if (only_known(x, o, refund_fields, "") || get_id(x, o, "customer", "", 1, &r->customer) ||
	    get_id(x, o, "refund_id", "", 1, &r->refund_id) ||
	    get_id(x, o, "order_id", "", 1, &r->order_id) || get_time(x, o, now, &r->time) ||
	    get_money(x, o, "", 1, &r->amount, &has_amount))
		return -1;
	if ((rc = get_lines(x, o, w, &has_lines, &sum)) != 0)
		return rc;
	if (settle_amount(x, has_amount, has_lines, sum, &r->amount))
		return -1;
	if (r->amount <= 0)
		return fail(x, "invalid_field", "'amount' must be more than 0");
	r->lines = w->lines;
	r->n_lines = w->n_lines;
	return 0;
}

static int parse_redemption(struct ctx *x, json_t *o, int64_t now, struct svc_write *w)
{
	struct rebuy_loyalty_redemption *r = &w->u.redemption;
	if (only_known(x, o, redemption_fields, "") ||
	    get_id(x, o, "customer", "", 1, &r->customer) ||
	    get_id(x, o, "redemption_id", "", 1, &r->redemption_id) ||
	    get_time(x, o, now, &r->time) ||
	    get_int(x, o, "points", "", 1, 1, SVC_MAX_POINTS, &r->points, NULL) ||
	    get_text(x, o, "reward", "", 0, &r->reward))
		return -1;
	return 0;
}

static int parse_adjustment(struct ctx *x, json_t *o, int64_t now, struct svc_write *w)
{
	struct rebuy_loyalty_adjustment *r = &w->u.adjustment;
	if (only_known(x, o, adjustment_fields, "") ||
	    get_id(x, o, "customer", "", 1, &r->customer) ||
	    get_id(x, o, "adjustment_id", "", 1, &r->adjustment_id) ||
	    get_time(x, o, now, &r->time) ||
	    get_int(x, o, "points", "", 1, -SVC_MAX_POINTS, SVC_MAX_POINTS, &r->points, NULL) ||
	    get_text(x, o, "reason", "", 1, &r->reason))
		return -1;
	if (r->points == 0)
		return fail(x, "invalid_field", "'points' must not be 0");
	return 0;
}

int rebuy__svc_parse_write(enum svc_kind kind, const char *body, size_t len, int64_t now,
                           struct svc_write *w, const char **code, char *msg, size_t msg_size)
{
	memset(w, 0, sizeof *w);
	w->kind = kind;
	struct ctx x = {code, msg, msg_size};
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return fail(&x, "invalid_json", "body is not JSON: line %d, column %d: %s",
		            jerr.line, jerr.column, jerr.text);
	w->root = root;
	if (!json_is_object(root))
		return fail(&x, "invalid_json", "body must be a JSON object");
	switch (kind) {
	case SVC_ORDER: return parse_order(&x, root, now, w);
	case SVC_REFUND: return parse_refund(&x, root, now, w);
	case SVC_REDEMPTION: return parse_redemption(&x, root, now, w);
	case SVC_ADJUSTMENT: return parse_adjustment(&x, root, now, w);
	}
	return fail(&x, "invalid_json", "unknown request kind");
}

void rebuy__svc_write_release(struct svc_write *w)
{
	if (w->root)
		json_decref((json_t *)w->root);
	rebuy__free(w->lines);
	memset(w, 0, sizeof *w);
}
