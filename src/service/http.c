/* The transport: libmicrohttpd, the only file that knows it.
 *
 * A ledger write blocks its thread until its group commit is durable, so
 * throughput needs many requests in flight at once: by default every
 * connection has its own thread (MHD_USE_THREAD_PER_CONNECTION), so 32
 * keep-alive clients are 32 writes waiting on one fsync; --threads N
 * chooses a pool of N polling threads instead. MHD_USE_TURBO: a connection
 * reads and writes its non-blocking socket at once and polls only when that
 * would block, which saves a poll per request (a keep-alive client's next
 * request is usually there). Each request is looked at
 * twice: when its headers are in (rebuy__svc_begin: key, rate, route, scope,
 * declared size), and when its body is in (rebuy__svc_finish).
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>
#include <sodium.h>

#include "core/mem.h"
#include "service/service_int.h"

struct conn {
	struct svc_request rq;
	struct svc_call call;
	double t0;
	int answered; /* a response was queued at the first look */
	char *body;
	size_t n_body, cap_body;
	size_t n_dropped; /* bytes of a too large body read and dropped */
};

void rebuy_service_options_init(struct rebuy_service_options *o)
{
	memset(o, 0, sizeof *o);
	o->host = "127.0.0.1";
	o->port = 8080;
	o->max_connections = 512;
	o->timeout_s = 60;
	o->max_body = 65536;
	o->rate = 1000;
	o->burst = 0;
	o->auth_rate = 10;
}

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
	struct svc_request *rq = cls;
	(void)kind;
	if (rq->n_query == SVC_MAX_QUERY) {
		rq->too_many_query = 1;
		return MHD_NO;
	}
	rq->query_key[rq->n_query] = key;
	rq->query_value[rq->n_query] = value;
	rq->n_query++;
	return MHD_YES;
}

static int64_t content_length(struct MHD_Connection *c)
{
	const char *v =
	        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (!v)
		return -1;
	int64_t n = 0;
	for (; *v >= '0' && *v <= '9'; v++) {
		if (n > INT64_MAX / 10 - 10)
			return INT64_MAX;
		n = n * 10 + (*v - '0');
	}
	return n;
}

static enum MHD_Result send_reply(struct rebuy_service *s, struct MHD_Connection *c,
                                  struct conn *st, struct svc_response *rs)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	        rs->len, rs->body ? rs->body : (void *)"", MHD_RESPMEM_MUST_COPY);
	if (!r) {
		rebuy__free(rs->body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        rs->content_type ? rs->content_type : "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (rs->retry_after) {
		char v[24];
		snprintf(v, sizeof v, "%u", rs->retry_after);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, v);
	}
	if (rs->www_authenticate)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		                        "Bearer realm=\"rebuy\"");
	enum MHD_Result ok = MHD_queue_response(c, (unsigned)rs->status, r);
	MHD_destroy_response(r);
	rebuy__svc_metrics_record(s, st->call.route, rs->status, rebuy__svc_clock() - st->t0);
	rebuy__free(rs->body);
	rs->body = NULL;
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct rebuy_service *s = cls;
	struct conn *st = *con_cls;
	(void)version;
	if (!st) {
		st = rebuy__calloc(1, sizeof *st);
		if (!st)
			return MHD_NO;
		*con_cls = st;
		__atomic_fetch_add(&s->metrics.in_flight, 1, __ATOMIC_RELAXED);
		st->t0 = rebuy__svc_clock();
		struct svc_request *rq = &st->rq;
		rq->method = method;
		rq->path = url;
		rq->authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		                                                MHD_HTTP_HEADER_AUTHORIZATION);
		rq->idempotency_key =
		        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
		rq->content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		                                               MHD_HTTP_HEADER_CONTENT_TYPE);
		rq->content_length = content_length(c);
		rq->now = (int64_t)time(NULL);
		const union MHD_ConnectionInfo *ci =
		        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		const struct sockaddr *sa = ci ? ci->client_addr : NULL;
		if (sa && sa->sa_family == AF_INET) {
			rq->peer =
			        (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
			rq->peer_len = 4;
		} else if (sa && sa->sa_family == AF_INET6) {
			rq->peer = (const unsigned char *)&((const struct sockaddr_in6 *)sa)
			                   ->sin6_addr;
			rq->peer_len = 16;
		}
		MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_arg, rq);
		struct svc_response rs = {0};
		if (rebuy__svc_begin(s, rq, &st->call, &rs)) {
			st->answered = 1;
			return send_reply(s, c, st, &rs);
		}
		return MHD_YES;
	}
	if (st->answered) {
		*upload_data_size = 0; /* the answer is out; drop what follows */
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (st->rq.body_too_large || st->n_body + n > s->opt.max_body) {
			/* A chunked body (no Content-Length) past the limit: read on and
			 * drop it, so the client, still sending, gets its 413 at the end;
			 * past a few times the limit, answer at once (the connection is
			 * then closed, and the client may see only that). */
			st->rq.body_too_large = 1;
			st->n_dropped += n;
			if (st->n_dropped <= 4 * s->opt.max_body + (1u << 20))
				return MHD_YES;
			struct svc_response rs = {0};
			rebuy__svc_error(&rs, 413, "payload_too_large",
			                 "the body is over %zu bytes", s->opt.max_body);
			st->answered = 1;
			return send_reply(s, c, st, &rs);
		}
		if (rebuy__grow((void **)&st->body, &st->cap_body, st->n_body + n + 1, 1,
		                s->opt.max_body + 1) != REBUY_OK)
			return MHD_NO;
		memcpy(st->body + st->n_body, upload_data, n);
		st->n_body += n;
		st->body[st->n_body] = 0;
		return MHD_YES;
	}
	st->rq.body = st->body;
	st->rq.body_len = st->n_body;
	struct svc_response rs = {0};
	rebuy__svc_finish(s, &st->rq, &st->call, &rs);
	st->answered = 1;
	return send_reply(s, c, st, &rs);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct rebuy_service *s = cls;
	struct conn *st = *con_cls;
	(void)c;
	(void)toe;
	if (!st)
		return;
	__atomic_fetch_sub(&s->metrics.in_flight, 1, __ATOMIC_RELAXED);
	rebuy__free(st->body);
	rebuy__free(st);
	*con_cls = NULL;
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	(void)fmt;
	(void)ap; /* the library never prints; failures surface as statuses */
}

enum rebuy_status rebuy_service_start(struct rebuy_service **out, struct rebuy_loyalty *l,
                                      const struct rebuy_service_options *o,
                                      struct rebuy_error *err)
{
	*out = NULL;
	if (!l || !o || o->port > 65535 || o->max_body == 0 || o->rate < 0 || o->burst < 0 ||
	    !(o->auth_rate >= 0))
		return rebuy_error_set(err, REBUY_EARG, "serve: invalid options");
	if (sodium_init() < 0)
		return rebuy_error_set(err, REBUY_EINTERNAL, "serve: libsodium did not start");
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	const char *host = o->host ? o->host : "127.0.0.1";
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TURBO;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)o->port);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)o->port);
		flags |= MHD_USE_IPv6;
	} else {
		return rebuy_error_set(
		        err, REBUY_EARG,
		        "serve: --listen host '%.64s' is not a numeric IPv4 or IPv6 address", host);
	}
	struct rebuy_service *s = rebuy__calloc(1, sizeof *s);
	if (!s)
		return rebuy_error_set(err, REBUY_ENOMEM, "serve: out of memory");
	s->ledger = l;
	s->opt = *o;
	s->opt.host = host;
	if (s->opt.burst <= 0)
		s->opt.burst = s->opt.rate * 2 < 1 ? 1 : s->opt.rate * 2;
	s->started = rebuy__svc_clock();
	pthread_mutex_init(&s->rate_lock, NULL);
	if (o->threads == 0)
		flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
	else
		flags |= MHD_USE_EPOLL;
	struct MHD_OptionItem pool[] = {
	        {o->threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, o->threads, NULL},
	        {MHD_OPTION_END, 0, NULL}};
	struct MHD_Daemon *d = MHD_start_daemon(
	        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	        MHD_OPTION_CONNECTION_LIMIT,
	        (unsigned)(o->max_connections ? o->max_connections : 512),
	        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->timeout_s, MHD_OPTION_NOTIFY_COMPLETED,
	        on_completed, s, MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL,
	        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_ARRAY, pool,
	        MHD_OPTION_END);
	if (!d) {
		pthread_mutex_destroy(&s->rate_lock);
		rebuy__free(s);
		return rebuy_error_set(
		        err, REBUY_EIO,
		        "serve: cannot listen on %s:%u (in use, or not an address of this machine)",
		        host, o->port);
	}
	s->daemon = d;
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : o->port;
	*out = s;
	return REBUY_OK;
}

unsigned rebuy_service_port(const struct rebuy_service *s)
{
	return s->port;
}

void rebuy_service_free(struct rebuy_service *s)
{
	if (!s)
		return;
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	rebuy__svc_insights_free(s->insights);
	pthread_mutex_destroy(&s->rate_lock);
	rebuy__free(s->buckets);
	rebuy__free(s->auth_slots);
	rebuy__free(s);
}
