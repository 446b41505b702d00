/* The router: what a request may do and in which order it is checked.
 *
 * Order (docs/serve.md): the key (401), the key's rate (429), the route
 * (404, 405), the scope (403), the size (413), then the request itself
 * (400, 415) and the ledger's answer. Nothing about the body or the path is
 * said to a caller without a valid key; only GET /v1/health is open.
 * Library errors map to HTTP statuses in one table (status_of).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "core/mem.h"
#include "rebuy/money.h"
#include "service/service_int.h"

const struct svc_route_info rebuy__svc_routes[R_NONE] = {
        [R_HEALTH] = {"GET", "/v1/health", "health", 0},
        [R_METRICS] = {"GET", "/v1/metrics", "metrics", REBUY_SCOPE_READ},
        [R_ORDERS] = {"POST", "/v1/orders", "orders", REBUY_SCOPE_WRITE},
        [R_REFUNDS] = {"POST", "/v1/refunds", "refunds", REBUY_SCOPE_WRITE},
        [R_REDEMPTIONS] = {"POST", "/v1/redemptions", "redemptions", REBUY_SCOPE_WRITE},
        [R_ADJUSTMENTS] = {"POST", "/v1/adjustments", "adjustments", REBUY_SCOPE_ADMIN},
        [R_CUSTOMER] = {"GET", "/v1/customers/{id}", "customer", REBUY_SCOPE_READ},
        [R_LEDGER] = {"GET", "/v1/customers/{id}/ledger", "ledger", REBUY_SCOPE_READ},
        [R_INSIGHTS] = {"GET", "/v1/customers/{id}/insights", "insights", REBUY_SCOPE_READ},
        [R_REPORT] = {"GET", "/v1/report", "report", REBUY_SCOPE_READ},
};

double rebuy__svc_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Matches path against pattern, where "{id}" takes one segment. */
static int match(const char *pattern, const char *path, char *id)
{
	const char *p = pattern, *s = path;
	while (*p) {
		if (strncmp(p, "{id}", 4) == 0) {
			const char *end = strchr(s, '/');
			size_t n = end ? (size_t)(end - s) : strlen(s);
			if (!rebuy__svc_id_ok(s, n))
				return 0;
			memcpy(id, s, n);
			id[n] = 0;
			s += n;
			p += 4;
		} else if (*p++ != *s++) {
			return 0;
		}
	}
	return *s == 0;
}

enum svc_route rebuy__svc_route_find(const char *method, const char *path, int *method_ok, char *id)
{
	enum svc_route found = R_NONE;
	*method_ok = 0;
	id[0] = 0;
	for (int r = 0; r < R_NONE; r++) {
		if (!match(rebuy__svc_routes[r].pattern, path, id))
			continue;
		found = (enum svc_route)r;
		if (strcmp(rebuy__svc_routes[r].method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 &&
		     strcmp(rebuy__svc_routes[r].method, "GET") == 0)) {
			*method_ok = 1;
			return found;
		}
	}
	return found;
}

/* Keeps a message printable ASCII: it may quote request bytes. */
static void printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f || *s == '\\')
			*s = '?';
}

static void reply_take(struct svc_response *rs, int status, const char *type, char *body,
                       size_t len)
{
	rebuy__free(rs->body);
	rs->status = status;
	rs->content_type = type;
	rs->body = body;
	rs->len = len;
}

static void reply_copy(struct svc_response *rs, int status, const char *type, const char *body,
                       size_t len)
{
	char *b = rebuy__malloc(len + 1);
	if (!b) {
		reply_take(rs, 503, "application/json", NULL, 0);
		return;
	}
	memcpy(b, body, len);
	b[len] = 0;
	reply_take(rs, status, type, b, len);
}

void rebuy__svc_error(struct svc_response *rs, int status, const char *code, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	printable(msg);
	json_t *doc = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (!text) {
		static const char oom[] =
		        "{\"error\":{\"code\":\"unavailable\",\"message\":\"out of memory\"}}";
		reply_copy(rs, 503, "application/json", oom, sizeof oom - 1);
		return;
	}
	size_t n = strlen(text);
	reply_copy(rs, status, "application/json", text, n);
	free(text);
}

/* Library errors as HTTP statuses: a store that cannot be reached or memory
 * that ran out is temporary (503); anything else is ours (500). */
static void store_failed(struct svc_response *rs, const struct rebuy_error *err)
{
	int status =
	        (err->code == REBUY_EIO || err->code == REBUY_ENOMEM || err->code == REBUY_ELIMIT)
	                ? 503
	                : 500;
	rebuy__svc_error(rs, status, status == 503 ? "unavailable" : "internal", "%s", err->msg);
}

static void ledger_reply(struct svc_response *rs, enum rebuy_status st,
                         struct rebuy_loyalty_reply *reply, const struct rebuy_error *err)
{
	if (st != REBUY_OK) {
		store_failed(rs, err);
		return;
	}
	if (reply->status < 100 || reply->status > 599 || !reply->body) {
		rebuy__svc_error(rs, 500, "internal", "the ledger gave no answer");
	} else {
		reply_copy(rs, reply->status, "application/json", reply->body, reply->len);
	}
	rebuy_loyalty_reply_release(reply);
}

/* The key from "Authorization: Bearer KEY". */
static int bearer(const char *h, const char **key, size_t *len)
{
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return 0;
	h += 7;
	while (*h == ' ')
		h++;
	size_t n = strlen(h);
	while (n && h[n - 1] == ' ')
		n--;
	if (n == 0 || n > SVC_KEY_MAX)
		return 0;
	*key = h;
	*len = n;
	return 1;
}

static int is_write(enum svc_route r)
{
	return r == R_ORDERS || r == R_REFUNDS || r == R_REDEMPTIONS || r == R_ADJUSTMENTS;
}

int rebuy__svc_begin(struct rebuy_service *s, const struct svc_request *rq, struct svc_call *c,
                     struct svc_response *rs)
{
	int method_ok;
	c->route = rebuy__svc_route_find(rq->method, rq->path, &method_ok, c->id);
	c->scopes = 0;
	if (!(c->route == R_HEALTH && method_ok)) {
		const char *key;
		size_t len;
		double now = rebuy__svc_clock();
		unsigned wait = rebuy__svc_auth_wait(s, rq->peer, rq->peer_len, now);
		if (wait) {
			rs->retry_after = wait;
			rebuy__svc_error(rs, 429, "rate_limited",
			                 "too many failed authentications from this address: retry "
			                 "after %u s",
			                 wait);
			return 1;
		}
		if (!bearer(rq->authorization, &key, &len) ||
		    (c->scopes = rebuy_loyalty_key_check(s->ledger, key, len)) == 0) {
			rebuy__svc_auth_failed(s, rq->peer, rq->peer_len, now);
			rs->www_authenticate = 1;
			rebuy__svc_error(rs, 401, "unauthorized",
			                 "a valid API key is required: Authorization: Bearer KEY");
			return 1;
		}
		wait = rebuy__svc_rate_take(s, key, len, now);
		if (wait) {
			rs->retry_after = wait;
			rebuy__svc_error(rs, 429, "rate_limited",
			                 "too many requests for this key: retry after %u s", wait);
			return 1;
		}
	}
	if (c->route == R_NONE) {
		rebuy__svc_error(rs, 404, "not_found", "no such resource");
		return 1;
	}
	const struct svc_route_info *ri = &rebuy__svc_routes[c->route];
	if (!method_ok) {
		rebuy__svc_error(rs, 405, "method_not_allowed", "%s takes %s", ri->pattern,
		                 ri->method);
		return 1;
	}
	if ((c->scopes & ri->scope) != ri->scope) {
		rebuy__svc_error(rs, 403, "forbidden", "this key lacks the %s scope",
		                 ri->scope == REBUY_SCOPE_ADMIN   ? "admin"
		                 : ri->scope == REBUY_SCOPE_WRITE ? "write"
		                                                  : "read");
		return 1;
	}
	if (rq->content_length > (int64_t)s->opt.max_body || rq->body_too_large) {
		rebuy__svc_error(rs, 413, "payload_too_large", "the body is over %zu bytes",
		                 s->opt.max_body);
		return 1;
	}
	if (!is_write(c->route) && (rq->content_length > 0)) {
		rebuy__svc_error(rs, 400, "invalid_request", "%s takes no body", ri->pattern);
		return 1;
	}
	return 0;
}

/* ---- writes ---- */

static int idempotency_key_ok(const char *k)
{
	size_t n = k ? strlen(k) : 0;
	if (n == 0 || n > SVC_IDEM_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)k[i] < 0x21 || (unsigned char)k[i] > 0x7e)
			return 0;
	return 1;
}

static int json_type_ok(const char *t)
{
	if (!t)
		return 1;
	size_t n = strlen("application/json");
	if (strncasecmp(t, "application/json", n) != 0)
		return 0;
	return t[n] == 0 || t[n] == ';' || t[n] == ' ';
}

static void do_write(struct rebuy_service *s, const struct svc_request *rq, enum svc_route r,
                     struct svc_response *rs)
{
	if (!idempotency_key_ok(rq->idempotency_key)) {
		rebuy__svc_error(rs, 400, "missing_idempotency_key",
		                 "writes need an Idempotency-Key header of 1 to %d printable "
		                 "characters",
		                 SVC_IDEM_MAX);
		return;
	}
	if (!json_type_ok(rq->content_type)) {
		rebuy__svc_error(rs, 415, "unsupported_media_type",
		                 "the body must be application/json");
		return;
	}
	static const enum svc_kind kinds[] = {[R_ORDERS] = SVC_ORDER,
	                                      [R_REFUNDS] = SVC_REFUND,
	                                      [R_REDEMPTIONS] = SVC_REDEMPTION,
	                                      [R_ADJUSTMENTS] = SVC_ADJUSTMENT};
	struct svc_write w;
	const char *code = "invalid_request";
	char msg[400];
	int rc = rebuy__svc_parse_write(kinds[r], rq->body ? rq->body : "", rq->body_len, rq->now,
	                                &w, &code, msg, sizeof msg);
	if (rc == -2) {
		rebuy__svc_error(rs, 503, "unavailable", "out of memory");
	} else if (rc != 0) {
		rebuy__svc_error(rs, 400, code, "%s", msg);
	} else {
		struct rebuy_loyalty_request req = {.idempotency_key = rq->idempotency_key};
		crypto_hash_sha256(req.body_digest,
		                   (const unsigned char *)(rq->body ? rq->body : ""), rq->body_len);
		struct rebuy_loyalty_reply reply = {0};
		struct rebuy_error err = {0};
		enum rebuy_status st;
		switch (w.kind) {
		case SVC_ORDER:
			st = rebuy_loyalty_accrue(s->ledger, &req, &w.u.order, &reply, &err);
			break;
		case SVC_REFUND:
			st = rebuy_loyalty_refund(s->ledger, &req, &w.u.refund, &reply, &err);
			break;
		case SVC_REDEMPTION:
			st = rebuy_loyalty_redeem(s->ledger, &req, &w.u.redemption, &reply, &err);
			break;
		default:
			st = rebuy_loyalty_adjust(s->ledger, &req, &w.u.adjustment, &reply, &err);
			break;
		}
		ledger_reply(rs, st, &reply, &err);
	}
	rebuy__svc_write_release(&w);
}

/* ---- reads ---- */

/* Only the query parameters named in allowed (NULL-terminated) may appear. */
static int query_ok(const struct svc_request *rq, const char *const *allowed,
                    struct svc_response *rs)
{
	if (rq->too_many_query) {
		rebuy__svc_error(rs, 400, "invalid_query", "too many query parameters");
		return 0;
	}
	for (size_t i = 0; i < rq->n_query; i++) {
		int known = 0;
		for (size_t j = 0; allowed && allowed[j]; j++)
			known |= strcmp(rq->query_key[i], allowed[j]) == 0;
		for (size_t j = 0; j < i; j++)
			if (strcmp(rq->query_key[i], rq->query_key[j]) == 0) {
				rebuy__svc_error(rs, 400, "invalid_query",
				                 "query parameter given twice: '%.64s'",
				                 rq->query_key[i]);
				return 0;
			}
		if (!known) {
			rebuy__svc_error(rs, 400, "invalid_query",
			                 "unknown query parameter '%.64s'", rq->query_key[i]);
			return 0;
		}
	}
	return 1;
}

static const char *query_get(const struct svc_request *rq, const char *name)
{
	for (size_t i = 0; i < rq->n_query; i++)
		if (strcmp(rq->query_key[i], name) == 0)
			return rq->query_value[i] ? rq->query_value[i] : "";
	return NULL;
}

static void do_ledger(struct rebuy_service *s, const struct svc_request *rq, const char *id,
                      struct svc_response *rs)
{
	static const char *const allowed[] = {"limit", "cursor", NULL};
	if (!query_ok(rq, allowed, rs))
		return;
	int limit = 50;
	const char *ls = query_get(rq, "limit"), *cursor = query_get(rq, "cursor");
	if (ls) {
		char *end;
		errno = 0;
		long v = strtol(ls, &end, 10);
		if (!*ls || *end || v < 1 || v > 1000 || ls[0] == '+' || ls[0] == ' ') {
			rebuy__svc_error(rs, 400, "invalid_query",
			                 "'limit' must be an integer from 1 to 1000");
			return;
		}
		limit = (int)v;
	}
	if (cursor) {
		size_t n = strlen(cursor);
		int ok = n > 0 && n <= SVC_CURSOR_MAX;
		for (size_t i = 0; ok && i < n; i++)
			ok = cursor[i] > 0x20 && cursor[i] < 0x7f;
		if (!ok) {
			rebuy__svc_error(rs, 400, "invalid_query",
			                 "'cursor' must be the next_cursor of a previous page");
			return;
		}
	}
	struct rebuy_loyalty_reply reply = {0};
	struct rebuy_error err = {0};
	enum rebuy_status st = rebuy_loyalty_ledger(s->ledger, id, cursor, limit, &reply, &err);
	ledger_reply(rs, st, &reply, &err);
}

static void do_health(struct rebuy_service *s, struct svc_response *rs)
{
	struct rebuy_loyalty_stats stats;
	struct rebuy_error err = {0};
	if (rebuy_loyalty_stats(s->ledger, &stats, &err) != REBUY_OK) {
		rebuy__svc_error(rs, 503, "unavailable", "the store does not answer: %s", err.msg);
		return;
	}
	char buf[160];
	int n = snprintf(buf, sizeof buf, "{\"status\":\"ok\",\"uptime_s\":%.0f}",
	                 rebuy__svc_clock() - s->started);
	reply_copy(rs, 200, "application/json", buf, (size_t)n);
}

void rebuy__svc_finish(struct rebuy_service *s, const struct svc_request *rq,
                       const struct svc_call *c, struct svc_response *rs)
{
	if (rq->body_too_large) {
		rebuy__svc_error(rs, 413, "payload_too_large", "the body is over %zu bytes",
		                 s->opt.max_body);
		return;
	}
	if (is_write(c->route)) {
		if (!query_ok(rq, NULL, rs))
			return;
		do_write(s, rq, c->route, rs);
		return;
	}
	if (rq->body_len > 0) {
		rebuy__svc_error(rs, 400, "invalid_request", "%s takes no body",
		                 rebuy__svc_routes[c->route].pattern);
		return;
	}
	if (c->route == R_LEDGER) {
		do_ledger(s, rq, c->id, rs);
		return;
	}
	if (!query_ok(rq, NULL, rs))
		return;
	switch (c->route) {
	case R_HEALTH: do_health(s, rs); break;
	case R_METRICS: rebuy__svc_metrics_reply(s, rs); break;
	case R_CUSTOMER: {
		struct rebuy_loyalty_reply reply = {0};
		struct rebuy_error err = {0};
		enum rebuy_status st =
		        rebuy_loyalty_customer(s->ledger, c->id, rq->now, &reply, &err);
		ledger_reply(rs, st, &reply, &err);
		break;
	}
	case R_INSIGHTS: rebuy__svc_insights_reply(s, c->id, rq->now, rs); break;
	case R_REPORT: rebuy__svc_report_reply(s, rq->now, rs); break;
	default: rebuy__svc_error(rs, 404, "not_found", "no such resource"); break;
	}
}
