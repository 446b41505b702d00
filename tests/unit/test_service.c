/* Unit tests for the HTTP service's parts that need no network
 * (src/service: routes, request validation, rate limits) and the check that
 * docs/openapi.yaml describes every route of the router. Expected amounts
 * are worked out by hand (one unit = 0.0001 of the currency; one minor
 * unit = 0.01 = 100 units). The server itself is tested over loopback by
 * tests/http/serve_test.py against the real ledger. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "rebuy/alloc.h"
#include "service/service_int.h"

static int parse(enum svc_kind k, const char *body, struct svc_write *w, const char **code,
                 char *msg)
{
	return rebuy__svc_parse_write(k, body, strlen(body), 1700000000, w, code, msg, 400);
}

static void expect_refused(enum svc_kind k, const char *body, const char *want_code,
                           const char *want_in_msg)
{
	struct svc_write w;
	const char *code = "";
	char msg[400] = "";
	int rc = parse(k, body, &w, &code, msg);
	if (rc != -1 || strcmp(code, want_code) != 0 || !strstr(msg, want_in_msg))
		fail_msg("%s: got rc %d code %s message '%s'; want %s with '%s'", body, rc, code,
		         msg, want_code, want_in_msg);
	rebuy__svc_write_release(&w);
}

static void test_service__order_amounts_are_exact(void **state)
{
	(void)state;
	static const struct {
		const char *body;
		int64_t amount;
	} cases[] = {
	        {"{\"customer\":\"c1\",\"order_id\":\"o1\",\"amount\":\"12.50\"}", 125000},
	        {"{\"customer\":\"c1\",\"order_id\":\"o1\",\"amount\":\"0.0001\"}", 1},
	        {"{\"customer\":\"c1\",\"order_id\":\"o1\",\"amount\":\"7\"}", 70000},
	        {"{\"customer\":\"c1\",\"order_id\":\"o1\",\"amount_minor\":1250}", 125000},
	        {"{\"customer\":\"c1\",\"order_id\":\"o1\",\"amount_minor\":0}", 0},
	        /* no amount: the sum of the lines, 2.50 + 0.99 */
	        {"{\"customer\":\"c1\",\"order_id\":\"o1\",\"lines\":[{\"amount\":\"2.50\","
	         "\"quantity\":2},{\"amount_minor\":99,\"product\":\"p\"}]}",
	         34900},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct svc_write w;
		const char *code = "";
		char msg[400] = "";
		assert_int_equal(parse(SVC_ORDER, cases[i].body, &w, &code, msg), 0);
		assert_int_equal(w.u.order.amount, cases[i].amount);
		assert_string_equal(w.u.order.customer, "c1");
		assert_int_equal(w.u.order.time, 1700000000); /* the default: now */
		rebuy__svc_write_release(&w);
	}
}

static void test_service__order_fields_are_read(void **state)
{
	(void)state;
	struct svc_write w;
	const char *code = "";
	char msg[400] = "";
	assert_int_equal(parse(SVC_ORDER,
	                       "{\"customer\":\"a@b.c\",\"order_id\":\"o:9\",\"time\":86400,"
	                       "\"amount\":\"3.00\",\"birthday\":\"02-29\",\"lines\":[{\"product\":"
	                       "\"sku-1\",\"category\":\"tea\",\"quantity\":3,\"amount\":\"3\"}]}",
	                       &w, &code, msg),
	                 0);
	assert_string_equal(w.u.order.order_id, "o:9");
	assert_int_equal(w.u.order.time, 86400);
	assert_string_equal(w.u.order.birthday, "02-29");
	assert_int_equal(w.u.order.n_lines, 1);
	assert_string_equal(w.u.order.lines[0].product, "sku-1");
	assert_string_equal(w.u.order.lines[0].category, "tea");
	assert_int_equal(w.u.order.lines[0].quantity, 3);
	assert_int_equal(w.u.order.lines[0].amount, 30000);
	rebuy__svc_write_release(&w);
}

static void test_service__bad_bodies_name_the_field(void **state)
{
	(void)state;
	expect_refused(SVC_ORDER,
	               "{\"customer\":\"c\",\"order_id\":\"o\",\"amount\":\"1\",\"coupon\":1}",
	               "unknown_field", "'coupon'");
	expect_refused(SVC_ORDER, "{\"order_id\":\"o\",\"amount\":\"1\"}", "missing_field",
	               "'customer'");
	expect_refused(SVC_ORDER, "{\"customer\":\"c\",\"order_id\":\"o\"}", "missing_field",
	               "'amount'");
	/* money is never a binary float */
	expect_refused(SVC_ORDER, "{\"customer\":\"c\",\"order_id\":\"o\",\"amount\":12.5}",
	               "invalid_field", "'amount'");
	expect_refused(SVC_ORDER, "{\"customer\":\"c\",\"order_id\":\"o\",\"amount_minor\":12.0}",
	               "invalid_field", "'amount_minor'");
	expect_refused(SVC_ORDER, "{\"customer\":\"c\",\"order_id\":\"o\",\"amount\":\"1.23456\"}",
	               "invalid_field", "'amount'");
	expect_refused(SVC_ORDER, "{\"customer\":\"c\",\"order_id\":\"o\",\"amount\":\"-1\"}",
	               "invalid_field", "'amount'");
	expect_refused(SVC_ORDER, "{\"customer\":\"c\",\"order_id\":\"o\",\"amount\":\"1e3\"}",
	               "invalid_field", "'amount'");
	expect_refused(SVC_ORDER, "{\"customer\":\"c\",\"order_id\":\"o\",\"amount\":\"1.\"}",
	               "invalid_field", "'amount'");
	expect_refused(
	        SVC_ORDER,
	        "{\"customer\":\"c\",\"order_id\":\"o\",\"amount\":\"1\",\"amount_minor\":100}",
	        "invalid_field", "not both");
	expect_refused(SVC_ORDER, "{\"customer\":\"c 1\",\"order_id\":\"o\",\"amount\":\"1\"}",
	               "invalid_field", "'customer'");
	expect_refused(SVC_ORDER, "{\"customer\":7,\"order_id\":\"o\",\"amount\":\"1\"}",
	               "invalid_field", "'customer' must be a string");
	expect_refused(SVC_ORDER,
	               "{\"customer\":\"c\",\"order_id\":\"o\",\"amount\":\"1\",\"time\":-1}",
	               "invalid_field", "'time'");
	expect_refused(
	        SVC_ORDER,
	        "{\"customer\":\"c\",\"order_id\":\"o\",\"amount\":\"1\",\"birthday\":\"02-30\"}",
	        "invalid_field", "'birthday'");
	expect_refused(SVC_ORDER,
	               "{\"customer\":\"c\",\"order_id\":\"o\",\"amount\":\"1\",\"lines\":[{"
	               "\"amount\":\"2\"}]}",
	               "invalid_field", "sum of the lines");
	expect_refused(SVC_ORDER,
	               "{\"customer\":\"c\",\"order_id\":\"o\",\"lines\":[{\"amount\":\"2\","
	               "\"sku\":\"x\"}]}",
	               "unknown_field", "lines[0]: unknown field 'sku'");
	expect_refused(
	        SVC_ORDER,
	        "{\"customer\":\"c\",\"customer\":\"d\",\"order_id\":\"o\",\"amount\":\"1\"}",
	        "invalid_json", "duplicate");
	expect_refused(SVC_ORDER, "[1]", "invalid_json", "object");
	expect_refused(SVC_ORDER, "{\"customer\":", "invalid_json", "line 1");
	expect_refused(SVC_ORDER, "", "invalid_json", "not JSON");
	expect_refused(
	        SVC_REFUND,
	        "{\"customer\":\"c\",\"refund_id\":\"r\",\"order_id\":\"o\",\"amount\":\"0\"}",
	        "invalid_field", "more than 0");
	expect_refused(SVC_REDEMPTION, "{\"customer\":\"c\",\"redemption_id\":\"r\",\"points\":0}",
	               "invalid_field", "'points'");
	expect_refused(
	        SVC_REDEMPTION,
	        "{\"customer\":\"c\",\"redemption_id\":\"r\",\"points\":5,\"reward\":\"a\\nb\"}",
	        "invalid_field", "control character");
	expect_refused(SVC_ADJUSTMENT,
	               "{\"customer\":\"c\",\"adjustment_id\":\"a\",\"points\":0,\"reason\":\"x\"}",
	               "invalid_field", "not be 0");
	expect_refused(SVC_ADJUSTMENT, "{\"customer\":\"c\",\"adjustment_id\":\"a\",\"points\":5}",
	               "missing_field", "'reason'");
}

static void test_service__other_writes_are_read(void **state)
{
	(void)state;
	struct svc_write w;
	const char *code = "";
	char msg[400] = "";
	assert_int_equal(parse(SVC_REFUND,
	                       "{\"customer\":\"c\",\"refund_id\":\"r1\",\"order_id\":\"o1\","
	                       "\"amount_minor\":505,\"time\":5}",
	                       &w, &code, msg),
	                 0);
	assert_int_equal(w.u.refund.amount, 50500);
	assert_string_equal(w.u.refund.order_id, "o1");
	assert_int_equal(w.u.refund.time, 5);
	rebuy__svc_write_release(&w);
	assert_int_equal(parse(SVC_REDEMPTION,
	                       "{\"customer\":\"c\",\"redemption_id\":\"x\",\"points\":250,"
	                       "\"reward\":\"free coffee\"}",
	                       &w, &code, msg),
	                 0);
	assert_int_equal(w.u.redemption.points, 250);
	assert_string_equal(w.u.redemption.reward, "free coffee");
	rebuy__svc_write_release(&w);
	assert_int_equal(parse(SVC_ADJUSTMENT,
	                       "{\"customer\":\"c\",\"adjustment_id\":\"a\",\"points\":-40,"
	                       "\"reason\":\"goodwill\"}",
	                       &w, &code, msg),
	                 0);
	assert_int_equal(w.u.adjustment.points, -40);
	rebuy__svc_write_release(&w);
}

static void test_service__routes_match_and_take_ids(void **state)
{
	(void)state;
	int ok;
	char id[SVC_ID_MAX + 1];
	assert_int_equal(rebuy__svc_route_find("GET", "/v1/customers/c-1", &ok, id), R_CUSTOMER);
	assert_true(ok);
	assert_string_equal(id, "c-1");
	assert_int_equal(rebuy__svc_route_find("GET", "/v1/customers/c-1/ledger", &ok, id),
	                 R_LEDGER);
	assert_int_equal(rebuy__svc_route_find("GET", "/v1/customers/x/insights", &ok, id),
	                 R_INSIGHTS);
	assert_int_equal(rebuy__svc_route_find("POST", "/v1/orders", &ok, id), R_ORDERS);
	assert_true(ok);
	assert_int_equal(rebuy__svc_route_find("GET", "/v1/orders", &ok, id), R_ORDERS);
	assert_false(ok); /* 405 */
	assert_int_equal(rebuy__svc_route_find("HEAD", "/v1/health", &ok, id), R_HEALTH);
	assert_true(ok);
	assert_int_equal(rebuy__svc_route_find("GET", "/v1/customers/a b", &ok, id), R_NONE);
	assert_int_equal(rebuy__svc_route_find("GET", "/v1/customers/../x", &ok, id), R_NONE);
	assert_int_equal(rebuy__svc_route_find("GET", "/v1/customers/", &ok, id), R_NONE);
	assert_int_equal(rebuy__svc_route_find("GET", "/v1/orders/", &ok, id), R_NONE);
	assert_int_equal(rebuy__svc_route_find("GET", "/v1/customers/c/ledger/x", &ok, id), R_NONE);
	assert_int_equal(rebuy__svc_route_find("GET", "/v2/health", &ok, id), R_NONE);
}

static void test_service__rate_limit_is_a_token_bucket(void **state)
{
	(void)state;
	struct rebuy_service s;
	memset(&s, 0, sizeof s);
	s.opt.rate = 10; /* a token every 0.1 s */
	s.opt.burst = 3;
	pthread_mutex_init(&s.rate_lock, NULL);
	/* a full bucket of 3, then empty */
	assert_int_equal(rebuy__svc_rate_take(&s, "k1", 2, 100.0), 0);
	assert_int_equal(rebuy__svc_rate_take(&s, "k1", 2, 100.0), 0);
	assert_int_equal(rebuy__svc_rate_take(&s, "k1", 2, 100.0), 0);
	assert_int_equal(rebuy__svc_rate_take(&s, "k1", 2, 100.0), 1); /* wait 0.1 s -> 1 s */
	/* another key has its own bucket */
	assert_int_equal(rebuy__svc_rate_take(&s, "k2", 2, 100.0), 0);
	/* 0.25 s later: 2.5 tokens back, two requests pass, the third waits */
	assert_int_equal(rebuy__svc_rate_take(&s, "k1", 2, 100.25), 0);
	assert_int_equal(rebuy__svc_rate_take(&s, "k1", 2, 100.25), 0);
	assert_int_equal(rebuy__svc_rate_take(&s, "k1", 2, 100.25), 1);
	/* an hour later the bucket holds burst, not more */
	for (int i = 0; i < 3; i++)
		assert_int_equal(rebuy__svc_rate_take(&s, "k1", 2, 3700.0), 0);
	assert_int_equal(rebuy__svc_rate_take(&s, "k1", 2, 3700.0), 1);
	assert_int_equal(s.n_buckets, 2);
	rebuy__free(s.buckets);
	pthread_mutex_destroy(&s.rate_lock);
}

/* Failed authentications per address: a bucket of 2 x auth_rate, refilled
 * at auth_rate a second; an address out of tokens waits before its key is
 * looked at; other addresses, and any with auth_rate 0 or no address, never. */
static void test_service__failed_authentications_are_limited_per_address(void **state)
{
	(void)state;
	struct rebuy_service s;
	memset(&s, 0, sizeof s);
	s.opt.auth_rate = 10; /* a bucket of 20, a token every 0.1 s */
	pthread_mutex_init(&s.rate_lock, NULL);
	const unsigned char a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
	const unsigned char a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	assert_int_equal(rebuy__svc_auth_wait(&s, a, 4, 100.0), 0); /* never failed */
	for (int i = 0; i < 20; i++) {
		assert_int_equal(rebuy__svc_auth_wait(&s, a, 4, 100.0), 0);
		rebuy__svc_auth_failed(&s, a, 4, 100.0);
	}
	assert_int_equal(rebuy__svc_auth_wait(&s, a, 4, 100.0), 1); /* 0.1 s -> 1 s */
	assert_int_equal(rebuy__svc_auth_wait(&s, b, 4, 100.0), 0);
	assert_int_equal(rebuy__svc_auth_wait(&s, a6, 16, 100.0), 0);
	/* blocked for the whole second it was told, though tokens come back
	 * sooner; then ten tokens are back and one failure does not block */
	assert_int_equal(rebuy__svc_auth_wait(&s, a, 4, 100.15), 1);
	assert_int_equal(rebuy__svc_auth_wait(&s, a, 4, 100.99), 1);
	assert_int_equal(rebuy__svc_auth_wait(&s, a, 4, 101.0), 0);
	rebuy__svc_auth_failed(&s, a, 4, 101.0);
	assert_int_equal(rebuy__svc_auth_wait(&s, a, 4, 101.0), 0);
	/* 35 failures at once: 15 past the bucket, 1.6 s to climb back to 1,
	 * told 2 s and blocked 2 s */
	for (int i = 0; i < 35; i++)
		rebuy__svc_auth_failed(&s, b, 4, 200.0);
	assert_int_equal(rebuy__svc_auth_wait(&s, b, 4, 200.0), 2);
	assert_int_equal(rebuy__svc_auth_wait(&s, b, 4, 201.7), 1);
	assert_int_equal(rebuy__svc_auth_wait(&s, b, 4, 202.0), 0);
	/* no address, or no limit */
	assert_int_equal(rebuy__svc_auth_wait(&s, NULL, 0, 100.0), 0);
	s.opt.auth_rate = 0;
	assert_int_equal(rebuy__svc_auth_wait(&s, a, 4, 100.15), 0);
	rebuy__free(s.auth_slots);
	pthread_mutex_destroy(&s.rate_lock);
}

static void test_service__error_replies_are_json(void **state)
{
	(void)state;
	struct svc_response rs = {0};
	rebuy__svc_error(&rs, 400, "unknown_field", "unknown field '%s'", "a\"b\x01");
	assert_int_equal(rs.status, 400);
	assert_string_equal(rs.body, "{\"error\":{\"code\":\"unknown_field\",\"message\":"
	                             "\"unknown field 'a\\\"b?'\"}}");
	rebuy__free(rs.body);
}

/* docs/openapi.yaml lists every route of the router with its method: the
 * paths are the lines "  /v1/...:" and the methods the lines "    get:". */
static void test_service__openapi_describes_every_route(void **state)
{
	(void)state;
	size_t n;
	char *doc = tu_read_file(REBUY_TEST_DATA "/../../docs/openapi.yaml", &n);
	assert_non_null(doc);
	int seen[R_NONE] = {0};
	char path[256] = "";
	int n_ops = 0;
	for (char *line = strtok(doc, "\n"); line; line = strtok(NULL, "\n")) {
		size_t len = strlen(line);
		if (strncmp(line, "  /", 3) == 0 && line[len - 1] == ':' && len - 3 < sizeof path) {
			memcpy(path, line + 2, len - 3);
			path[len - 3] = 0;
		} else if (strncmp(line, "    ", 4) == 0 && line[4] != ' ' && path[0]) {
			char method[16] = "";
			if (sscanf(line + 4, "%15[a-z]:", method) != 1)
				continue;
			if (strcmp(method, "get") && strcmp(method, "post"))
				continue;
			for (char *p = method; *p; p++)
				*p = (char)(*p - 'a' + 'A');
			int found = 0;
			for (int r = 0; r < R_NONE; r++)
				if (strcmp(rebuy__svc_routes[r].pattern, path) == 0 &&
				    strcmp(rebuy__svc_routes[r].method, method) == 0) {
					seen[r] = found = 1;
				}
			if (!found)
				fail_msg("openapi.yaml: %s %s is not a route of the router", method,
				         path);
			n_ops++;
		} else if (line[0] != ' ') {
			path[0] = 0; /* left the paths section */
		}
	}
	for (int r = 0; r < R_NONE; r++)
		if (!seen[r])
			fail_msg("openapi.yaml lacks %s %s", rebuy__svc_routes[r].method,
			         rebuy__svc_routes[r].pattern);
	assert_int_equal(n_ops, R_NONE);
	free(doc);
}

/* Every failed allocation of the validation (the lines) and of an error reply
 * is refused cleanly: -2 or a 503, nothing leaked. */
static void test_service__allocation_failures_are_clean(void **state)
{
	(void)state;
	static const char body[] = "{\"customer\":\"c\",\"order_id\":\"o\",\"lines\":"
	                           "[{\"amount\":\"1\"},{\"amount\":\"2\"}]}";
	long fail;
	for (fail = 0; fail < 100; fail++) {
		struct svc_write w;
		const char *code = "";
		char msg[400];
		tu_fail_after(fail);
		int rc = rebuy__svc_parse_write(SVC_ORDER, body, sizeof body - 1, 0, &w, &code, msg,
		                                sizeof msg);
		int triggered = tu_fail_triggered();
		tu_fail_after(-1);
		if (triggered) {
			assert_int_equal(rc, -2);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(w.u.order.amount, 30000);
		}
		rebuy__svc_write_release(&w);
		if (!triggered)
			break;
	}
	assert_true(fail >= 1 && fail < 100);
	for (fail = 0; fail < 100; fail++) {
		struct svc_response rs = {0};
		tu_fail_after(fail);
		rebuy__svc_error(&rs, 400, "invalid_field", "x");
		int triggered = tu_fail_triggered();
		tu_fail_after(-1);
		assert_int_equal(rs.status, triggered ? 503 : 400);
		rebuy__free(rs.body);
		if (!triggered)
			break;
	}
	assert_true(fail >= 1 && fail < 100);
	assert_int_equal(rebuy_alloc_in_use(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_service__order_amounts_are_exact),
	        cmocka_unit_test(test_service__order_fields_are_read),
	        cmocka_unit_test(test_service__bad_bodies_name_the_field),
	        cmocka_unit_test(test_service__other_writes_are_read),
	        cmocka_unit_test(test_service__routes_match_and_take_ids),
	        cmocka_unit_test(test_service__rate_limit_is_a_token_bucket),
	        cmocka_unit_test(test_service__failed_authentications_are_limited_per_address),
	        cmocka_unit_test(test_service__error_replies_are_json),
	        cmocka_unit_test(test_service__openapi_describes_every_route),
	        cmocka_unit_test(test_service__allocation_failures_are_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
