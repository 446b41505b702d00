/* rebuy — the HTTP service of the loyalty ledger (rebuy serve, docs/serve.md).
 *
 * A JSON API under /v1 in front of a struct rebuy_loyalty: authentication
 * (Bearer API keys with read, write and admin scopes) before anything else,
 * per-key rate limits, request size limits, strict JSON validation into the
 * structs of loyalty.h, Prometheus metrics, and analytics (insights, the
 * HTML report) computed from the orders the ledger holds. TLS is left to a
 * reverse proxy.
 *
 * The service borrows the ledger handle: it must outlive the service.
 * All calls except rebuy_service_free may be made from any thread.
 */
#ifndef REBUY_SERVICE_H
#define REBUY_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/error.h"
#include "rebuy/loyalty.h"

#ifdef __cplusplus
extern "C" {
#endif

struct rebuy_service_options {
	const char *host;         /* numeric IPv4 or IPv6 address; default "127.0.0.1" */
	unsigned port;            /* 0: a free port, see rebuy_service_port */
	unsigned threads;         /* 0: a thread per connection (default); N: a pool of N */
	unsigned max_connections; /* default 512 */
	unsigned timeout_s;       /* idle keep-alive connections are closed after it; default 60 */
	size_t max_body;          /* bytes; larger bodies get 413; default 65536 */
	double rate;              /* requests per second per API key; 0: no limit; default 1000 */
	double burst;             /* bucket size; default 2 * rate */
	double auth_rate;         /* failed authentications per second per client address
	                             before 429 (a bucket of 2 * auth_rate, at least 1, checked
	                             before the key); 0: no limit; default 10 */
	const char *orders_path;  /* optional order export with products: recommendations and
	                             the product audiences of the insights; NULL: none */
};

/* Fills the defaults above. */
void rebuy_service_options_init(struct rebuy_service_options *o);

struct rebuy_service;

/* Starts listening (the HTTP threads run until rebuy_service_free). Fails
 * with REBUY_EIO when the address cannot be bound, REBUY_EARG on bad options. */
enum rebuy_status rebuy_service_start(struct rebuy_service **out, struct rebuy_loyalty *l,
                                      const struct rebuy_service_options *o,
                                      struct rebuy_error *err);

/* The port bound (the one chosen when the options said 0). */
unsigned rebuy_service_port(const struct rebuy_service *s);

/* Stops accepting, finishes the requests in flight, and frees. NULL is a no-op. */
void rebuy_service_free(struct rebuy_service *s);

#ifdef __cplusplus
}
#endif
#endif
