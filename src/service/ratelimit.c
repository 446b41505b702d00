/* Per-key rate limits: a token bucket per API key (rate tokens a second, at
 * most burst), keyed by the SHA-256 of the key so the secret is not kept.
 * Only keys the ledger accepted get a bucket, so their number is the number
 * of keys; they are searched linearly under one lock (a handful of keys).
 */
#include <math.h>
#include <string.h>

#include <sodium.h>

#include "core/mem.h"
#include "service/service_int.h"

#define MAX_BUCKETS 65536

unsigned rebuy__svc_rate_take(struct rebuy_service *s, const char *key, size_t len, double now)
{
	if (s->opt.rate <= 0)
		return 0;
	unsigned char d[32];
	crypto_hash_sha256(d, (const unsigned char *)key, len);
	unsigned wait = 0;
	pthread_mutex_lock(&s->rate_lock);
	struct svc_bucket *b = NULL;
	for (size_t i = 0; i < s->n_buckets && !b; i++)
		if (memcmp(s->buckets[i].digest, d, sizeof d) == 0)
			b = &s->buckets[i];
	if (!b) {
		if (rebuy__grow((void **)&s->buckets, &s->cap_buckets, s->n_buckets + 1,
		                sizeof *s->buckets, MAX_BUCKETS) != REBUY_OK) {
			/* No room to track the key: refuse rather than run unlimited. */
			pthread_mutex_unlock(&s->rate_lock);
			return 1;
		}
		b = &s->buckets[s->n_buckets++];
		memcpy(b->digest, d, sizeof d);
		b->tokens = s->opt.burst;
		b->stamp = now;
		b->used = 1;
	}
	b->tokens += (now - b->stamp) * s->opt.rate;
	if (b->tokens > s->opt.burst)
		b->tokens = s->opt.burst;
	b->stamp = now;
	if (b->tokens >= 1) {
		b->tokens -= 1;
	} else {
		double secs = ceil((1 - b->tokens) / s->opt.rate);
		wait = secs < 1 ? 1 : (unsigned)secs;
	}
	pthread_mutex_unlock(&s->rate_lock);
	return wait;
}
