/* The service's parts, shared by its files: the request as the transport
 * hands it over (http.c is the only file that knows libmicrohttpd), the
 * router, the request validation, the rate limiter and the metrics.
 * Everything here works without a network, so that unit tests and the fuzz
 * target drive it directly.
 */
#ifndef REBUY_SERVICE_INT_H
#define REBUY_SERVICE_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "rebuy/loyalty.h"
#include "rebuy/service.h"

/* Bounds on request text (bytes). */
#define SVC_ID_MAX 128   /* customer, order, refund, ... ids */
#define SVC_TEXT_MAX 256 /* product, category, reward, reason */
#define SVC_IDEM_MAX 255 /* Idempotency-Key */
#define SVC_KEY_MAX 512  /* the API key in Authorization */
#define SVC_CURSOR_MAX 512
#define SVC_MAX_LINES 1000
#define SVC_MAX_QUERY 8
#define SVC_MAX_POINTS 1000000000000LL     /* 10^12 points */
#define SVC_MAX_AMOUNT 10000000000000000LL /* 10^12 currency units in 1/10,000 */
#define SVC_MAX_TIME 253402300799LL        /* 9999-12-31T23:59:59Z */

/* ---- routes (router.c) ---- */

enum svc_route {
	R_HEALTH,
	R_METRICS,
	R_ORDERS,
	R_REFUNDS,
	R_REDEMPTIONS,
	R_ADJUSTMENTS,
	R_CUSTOMER,
	R_LEDGER,
	R_INSIGHTS,
	R_REPORT,
	R_NONE, /* no route: metrics count these too */
	R_COUNT
};

struct svc_route_info {
	const char *method;  /* "GET" or "POST" */
	const char *pattern; /* "/v1/customers/{id}/ledger" */
	const char *name;    /* the metrics label */
	unsigned scope;      /* REBUY_SCOPE_*, 0: no key needed */
};

extern const struct svc_route_info rebuy__svc_routes[R_NONE];

/* Finds the route of path. Returns the route, or R_NONE when no pattern
 * matches; *method_ok is 0 when the path matches but not the method (405).
 * The {id} segment is copied to id (SVC_ID_MAX + 1 bytes). */
enum svc_route rebuy__svc_route_find(const char *method, const char *path, int *method_ok,
                                     char *id);

/* True when s[0..n) is a non-empty id of at most SVC_ID_MAX bytes from
 * [A-Za-z0-9._:@-]. */
int rebuy__svc_id_ok(const char *s, size_t n);

/* ---- request bodies (validate.c) ---- */

enum svc_kind { SVC_ORDER, SVC_REFUND, SVC_REDEMPTION, SVC_ADJUSTMENT };

/* A validated write: the structs point into the parsed JSON held here
 * (borrowed until rebuy__svc_write_release). */
struct svc_write {
	enum svc_kind kind;
	void *root; /* json_t */
	struct rebuy_loyalty_line *lines;
	size_t n_lines;
	union {
		struct rebuy_loyalty_order order;
		struct rebuy_loyalty_refund refund;
		struct rebuy_loyalty_redemption redemption;
		struct rebuy_loyalty_adjustment adjustment;
	} u;
};

/* Parses body[0..len) as the JSON of kind, strictly: an object, known
 * fields only, each of its type and range, required fields present. time
 * defaults to now. On a bad body returns -1 with a one-line message naming
 * the field in msg (the error code in *code: "invalid_json",
 * "unknown_field", "missing_field", "invalid_field"); 0 on success; -2 when
 * memory ran out. w needs rebuy__svc_write_release in every case. */
int rebuy__svc_parse_write(enum svc_kind kind, const char *body, size_t len, int64_t now,
                           struct svc_write *w, const char **code, char *msg, size_t msg_size);
void rebuy__svc_write_release(struct svc_write *w);

/* ---- the request and the answer ---- */

struct svc_request {
	const char *method;
	const char *path;
	const char *authorization;   /* the header, or NULL */
	const char *idempotency_key; /* the header, or NULL */
	const char *content_type;    /* the header, or NULL */
	const char *query_key[SVC_MAX_QUERY];
	const char *query_value[SVC_MAX_QUERY]; /* NULL for "?flag" */
	size_t n_query;
	int too_many_query;
	int64_t content_length; /* -1: not given */
	const char *body;
	size_t body_len;
	int body_too_large;        /* the transport stopped keeping the body at max_body */
	int64_t now;               /* Unix seconds */
	const unsigned char *peer; /* the client's address (4 or 16 bytes), or NULL */
	size_t peer_len;
};

struct svc_response {
	int status;
	const char *content_type;
	char *body; /* malloc'd */
	size_t len;
	unsigned retry_after; /* seconds; 0: no header */
	int www_authenticate;
};

/* What the first look at a request decided (before its body is read). */
struct svc_call {
	enum svc_route route;
	unsigned scopes;
	char id[SVC_ID_MAX + 1];
};

/* ---- the service ---- */

struct svc_bucket {
	unsigned char digest[32];
	double tokens;
	double stamp;
	int used;
};

#define SVC_LATENCY_BUCKETS 14
extern const double rebuy__svc_latency_bounds[SVC_LATENCY_BUCKETS];

struct svc_metrics {
	uint64_t by_status[R_COUNT][500]; /* index status - 100 */
	uint64_t latency[R_COUNT][SVC_LATENCY_BUCKETS + 1];
	uint64_t latency_us_sum[R_COUNT];
	uint64_t in_flight;
};

/* Failed authentications of one client address (ratelimit.c). */
#define SVC_AUTH_SLOTS 4096
struct svc_auth_slot {
	unsigned char addr[16];
	size_t len; /* 0: free */
	double tokens, stamp;
	double until; /* blocked before this time */
};

struct svc_insights; /* insights.c */

struct rebuy_service {
	struct rebuy_loyalty *ledger;
	struct rebuy_service_options opt;
	void *daemon; /* struct MHD_Daemon */
	unsigned port;
	pthread_mutex_t rate_lock;
	struct svc_bucket *buckets;
	size_t n_buckets, cap_buckets;
	struct svc_auth_slot *auth_slots; /* SVC_AUTH_SLOTS, made at the first failure */
	unsigned char auth_slot_key[16];
	struct svc_metrics metrics;
	struct svc_insights *insights;
	double started;
};

/* router.c: the first look, before the body (auth, rate, route, scope,
 * size). Returns 1 when rs holds the answer already, 0 to read the body. */
int rebuy__svc_begin(struct rebuy_service *s, const struct svc_request *rq, struct svc_call *c,
                     struct svc_response *rs);
/* The answer once the body is in. */
void rebuy__svc_finish(struct rebuy_service *s, const struct svc_request *rq,
                       const struct svc_call *c, struct svc_response *rs);

/* A JSON error reply {"error": {"code": ..., "message": ...}}. */
void rebuy__svc_error(struct svc_response *rs, int status, const char *code, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 4, 5)))
#endif
        ;

/* ratelimit.c: takes one token from the key's bucket; 0 when allowed, else
 * the seconds to wait. */
unsigned rebuy__svc_rate_take(struct rebuy_service *s, const char *key, size_t len, double now);

/* ratelimit.c: failed authentications per client address. auth_wait: the
 * seconds the address must wait before its key is even looked at (0: go
 * on); auth_failed: one failure spent. No limit when opt.auth_rate is 0
 * or the address is unknown. */
unsigned rebuy__svc_auth_wait(struct rebuy_service *s, const unsigned char *addr, size_t len,
                              double now);
void rebuy__svc_auth_failed(struct rebuy_service *s, const unsigned char *addr, size_t len,
                            double now);

/* metrics.c */
void rebuy__svc_metrics_record(struct rebuy_service *s, enum svc_route r, int status,
                               double seconds);
void rebuy__svc_metrics_reply(struct rebuy_service *s, struct svc_response *rs);

/* insights.c: the customer's insights and the report, cached until the
 * ledger changes. */
void rebuy__svc_insights_reply(struct rebuy_service *s, const char *customer, int64_t now,
                               struct svc_response *rs);
void rebuy__svc_report_reply(struct rebuy_service *s, int64_t now, struct svc_response *rs);
void rebuy__svc_insights_free(struct svc_insights *in);

double rebuy__svc_clock(void); /* monotonic seconds */

#endif
