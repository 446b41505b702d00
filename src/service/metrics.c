/* Prometheus metrics (text exposition format 0.0.4): requests by route and
 * status, a latency histogram per route, requests in flight, and the
 * ledger's counters (customers, transactions, points outstanding, group
 * commits). Counters are relaxed atomics: a scrape may see a request's
 * count before its latency, never a torn value.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "service/service_int.h"

const double rebuy__svc_latency_bounds[SVC_LATENCY_BUCKETS] = {
        0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10};

#define ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)

void rebuy__svc_metrics_record(struct rebuy_service *s, enum svc_route r, int status,
                               double seconds)
{
	struct svc_metrics *m = &s->metrics;
	if (status < 100 || status > 599)
		status = 500;
	ADD(&m->by_status[r][status - 100], 1);
	size_t b = 0;
	while (b < SVC_LATENCY_BUCKETS && seconds > rebuy__svc_latency_bounds[b])
		b++;
	ADD(&m->latency[r][b], 1);
	ADD(&m->latency_us_sum[r], (uint64_t)(seconds * 1e6 + 0.5));
}

struct buf {
	char *p;
	size_t n, cap;
	int failed;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	if (b->failed)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if (b->p && b->n + (size_t)n < b->cap) {
			b->n += (size_t)n;
			return;
		}
		if (rebuy__grow((void **)&b->p, &b->cap, b->n + (size_t)n + 4096, 1, 64u << 20) !=
		    REBUY_OK) {
			b->failed = 1;
			return;
		}
	}
}

static const char *route_name(int r)
{
	return r == R_NONE ? "none" : rebuy__svc_routes[r].name;
}

void rebuy__svc_metrics_reply(struct rebuy_service *s, struct svc_response *rs)
{
	struct svc_metrics *m = &s->metrics;
	struct buf b = {0};
	put(&b, "# HELP rebuy_http_requests_total HTTP requests answered, by route and status.\n"
	        "# TYPE rebuy_http_requests_total counter\n");
	for (int r = 0; r < R_COUNT; r++)
		for (int st = 0; st < 500; st++) {
			uint64_t v = LOAD(&m->by_status[r][st]);
			if (v)
				put(&b,
				    "rebuy_http_requests_total{route=\"%s\",status=\"%d\"} %" PRIu64
				    "\n",
				    route_name(r), st + 100, v);
		}
	put(&b, "# HELP rebuy_http_request_duration_seconds Time from the request's headers to "
	        "its answer.\n# TYPE rebuy_http_request_duration_seconds histogram\n");
	for (int r = 0; r < R_COUNT; r++) {
		uint64_t cum = 0;
		uint64_t counts[SVC_LATENCY_BUCKETS + 1];
		for (int k = 0; k <= SVC_LATENCY_BUCKETS; k++)
			counts[k] = LOAD(&m->latency[r][k]);
		uint64_t total = 0;
		for (int k = 0; k <= SVC_LATENCY_BUCKETS; k++)
			total += counts[k];
		if (!total)
			continue;
		for (int k = 0; k < SVC_LATENCY_BUCKETS; k++) {
			cum += counts[k];
			put(&b,
			    "rebuy_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} "
			    "%" PRIu64 "\n",
			    route_name(r), rebuy__svc_latency_bounds[k], cum);
		}
		put(&b,
		    "rebuy_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %" PRIu64
		    "\n",
		    route_name(r), total);
		put(&b, "rebuy_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
		    route_name(r), (double)LOAD(&m->latency_us_sum[r]) * 1e-6);
		put(&b, "rebuy_http_request_duration_seconds_count{route=\"%s\"} %" PRIu64 "\n",
		    route_name(r), total);
	}
	put(&b,
	    "# HELP rebuy_http_requests_in_flight Requests being answered now.\n"
	    "# TYPE rebuy_http_requests_in_flight gauge\nrebuy_http_requests_in_flight %" PRIu64
	    "\n",
	    LOAD(&m->in_flight));
	struct rebuy_loyalty_stats st;
	struct rebuy_error err = {0};
	if (rebuy_loyalty_stats(s->ledger, &st, &err) == REBUY_OK) {
		put(&b,
		    "# HELP rebuy_loyalty_customers Customers in the ledger.\n"
		    "# TYPE rebuy_loyalty_customers gauge\nrebuy_loyalty_customers %" PRId64 "\n",
		    st.customers);
		put(&b,
		    "# HELP rebuy_loyalty_transactions Ledger transactions.\n"
		    "# TYPE rebuy_loyalty_transactions gauge\nrebuy_loyalty_transactions %" PRId64
		    "\n",
		    st.transactions);
		put(&b,
		    "# HELP rebuy_loyalty_orders Orders accrued.\n"
		    "# TYPE rebuy_loyalty_orders gauge\nrebuy_loyalty_orders %" PRId64 "\n",
		    st.orders);
		put(&b,
		    "# HELP rebuy_loyalty_points_outstanding Points held by customers.\n"
		    "# TYPE rebuy_loyalty_points_outstanding gauge\n"
		    "rebuy_loyalty_points_outstanding %" PRId64 "\n",
		    st.points_outstanding);
		put(&b,
		    "# HELP rebuy_loyalty_commits_total Writes committed since the store opened.\n"
		    "# TYPE rebuy_loyalty_commits_total counter\nrebuy_loyalty_commits_total "
		    "%" PRId64 "\n",
		    st.commits);
		put(&b,
		    "# HELP rebuy_loyalty_commit_groups_total Group commits (one fsync each).\n"
		    "# TYPE rebuy_loyalty_commit_groups_total counter\n"
		    "rebuy_loyalty_commit_groups_total %" PRId64 "\n",
		    st.commit_groups);
	}
	put(&b,
	    "# HELP rebuy_loyalty_store_up 1 when the store answered this scrape.\n"
	    "# TYPE rebuy_loyalty_store_up gauge\nrebuy_loyalty_store_up %d\n",
	    err.code == REBUY_OK);
	if (b.failed) {
		rebuy__free(b.p);
		rebuy__svc_error(rs, 503, "unavailable", "out of memory");
		return;
	}
	rebuy__free(rs->body);
	rs->status = 200;
	rs->content_type = "text/plain; version=0.0.4; charset=utf-8";
	rs->body = b.p;
	rs->len = b.n;
}
