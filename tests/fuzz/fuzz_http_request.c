/* Fuzz target for the service's request parsing without the network
 * (src/service: router and validate.c, docs/serve.md). The input is
 * "METHOD PATH\n" followed by the body. It routes the path and, for a
 * write, validates the body into the ledger's structs. Besides crashes and
 * sanitizer reports it checks invariants: a matched {id} is a safe id; a
 * valid write's ids are safe, its amounts and points are in range, an order's
 * amount is the sum of its lines; a refused body has a known error code and
 * a one-line message; the JSON error reply built from it parses back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/mem.h"
#include "service/service_int.h"

#define CHECK(cond)                                                                            \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "fuzz_http_request: %s:%d: check failed: %s\n", __FILE__, \
			        __LINE__, #cond);                                              \
			abort();                                                               \
		}                                                                              \
	} while (0)

static void check_id(const char *s)
{
	CHECK(s != NULL);
	CHECK(rebuy__svc_id_ok(s, strlen(s)));
}

static void check_text(const char *s)
{
	if (!s)
		return;
	size_t n = strlen(s);
	CHECK(n >= 1 && n <= SVC_TEXT_MAX);
	for (size_t i = 0; i < n; i++)
		CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

static void check_lines(const struct rebuy_loyalty_line *l, size_t n, int64_t amount)
{
	int64_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		CHECK(l[i].quantity >= 1 && l[i].quantity <= 1000000);
		CHECK(l[i].amount >= 0 && l[i].amount <= SVC_MAX_AMOUNT);
		check_text(l[i].product);
		check_text(l[i].category);
		sum += l[i].amount;
	}
	if (n)
		CHECK(sum == amount);
}

static void check_write(const struct svc_write *w)
{
	switch (w->kind) {
	case SVC_ORDER:
		check_id(w->u.order.customer);
		check_id(w->u.order.order_id);
		CHECK(w->u.order.amount >= 0 && w->u.order.amount <= SVC_MAX_AMOUNT);
		CHECK(w->u.order.time >= 0 && w->u.order.time <= SVC_MAX_TIME);
		check_lines(w->u.order.lines, w->u.order.n_lines, w->u.order.amount);
		if (w->u.order.birthday)
			CHECK(strlen(w->u.order.birthday) == 5);
		break;
	case SVC_REFUND:
		check_id(w->u.refund.customer);
		check_id(w->u.refund.refund_id);
		check_id(w->u.refund.order_id);
		CHECK(w->u.refund.amount > 0 && w->u.refund.amount <= SVC_MAX_AMOUNT);
		check_lines(w->u.refund.lines, w->u.refund.n_lines, w->u.refund.amount);
		break;
	case SVC_REDEMPTION:
		check_id(w->u.redemption.customer);
		check_id(w->u.redemption.redemption_id);
		CHECK(w->u.redemption.points >= 1 && w->u.redemption.points <= SVC_MAX_POINTS);
		check_text(w->u.redemption.reward);
		break;
	case SVC_ADJUSTMENT:
		check_id(w->u.adjustment.customer);
		check_id(w->u.adjustment.adjustment_id);
		CHECK(w->u.adjustment.points != 0);
		CHECK(w->u.adjustment.points >= -SVC_MAX_POINTS &&
		      w->u.adjustment.points <= SVC_MAX_POINTS);
		check_text(w->u.adjustment.reason);
		break;
	}
}

static void check_refusal(const char *code, const char *msg)
{
	static const char *const codes[] = {"invalid_json", "unknown_field", "missing_field",
	                                    "invalid_field", NULL};
	int known = 0;
	for (size_t i = 0; codes[i]; i++)
		known |= strcmp(code, codes[i]) == 0;
	CHECK(known);
	CHECK(strlen(msg) > 0);
	CHECK(strchr(msg, '\n') == NULL);
	/* The reply the service would send is JSON with the code. */
	struct svc_response rs = {0};
	rebuy__svc_error(&rs, 400, code, "%s", msg);
	CHECK(rs.status == 400 && rs.body != NULL);
	json_t *doc = json_loadb(rs.body, rs.len, 0, NULL);
	CHECK(doc != NULL);
	json_t *c = json_object_get(json_object_get(doc, "error"), "code");
	CHECK(json_is_string(c) && strcmp(json_string_value(c), code) == 0);
	json_decref(doc);
	rebuy__free(rs.body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	if (!nl)
		return 0;
	size_t head = (size_t)(nl - (const char *)data);
	if (head > 4096)
		return 0;
	char line[4097];
	memcpy(line, data, head);
	line[head] = 0;
	if (strlen(line) != head)
		return 0; /* the transport never hands over a NUL inside the path */
	char *sp = strchr(line, ' ');
	if (!sp)
		return 0;
	*sp = 0;
	const char *method = line, *path = sp + 1;
	const char *body = nl + 1;
	size_t len = size - head - 1;

	int method_ok;
	char id[SVC_ID_MAX + 1];
	enum svc_route r = rebuy__svc_route_find(method, path, &method_ok, id);
	if (r != R_NONE && strstr(rebuy__svc_routes[r].pattern, "{id}"))
		check_id(id);
	if (r != R_NONE)
		CHECK(strcmp(path, rebuy__svc_routes[r].pattern) == 0 ||
		      strstr(rebuy__svc_routes[r].pattern, "{id}"));

	/* Every kind sees the body, whatever the path said, so that the
	 * validators get all the inputs. */
	for (int k = SVC_ORDER; k <= SVC_ADJUSTMENT; k++) {
		struct svc_write w;
		const char *code = "";
		char msg[400];
		int rc = rebuy__svc_parse_write((enum svc_kind)k, body, len, 1700000000, &w, &code,
		                                msg, sizeof msg);
		CHECK(rc == 0 || rc == -1 || rc == -2);
		if (rc == 0)
			check_write(&w);
		else if (rc == -1)
			check_refusal(code, msg);
		rebuy__svc_write_release(&w);
	}
	return 0;
}
