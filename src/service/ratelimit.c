/* Per-key rate limits: a token bucket per API key (rate tokens a second, at
 * most burst), keyed by the SHA-256 of the key so the secret is not kept.
 * Only keys the ledger accepted get a bucket, so their number is the number
 * of keys; they are searched linearly under one lock (a handful of keys).
 *
 * Failed authentications: a bucket per client address (auth_rate tokens a
 * second, at most 2 x auth_rate and at least 1) in a fixed table of
 * SVC_AUTH_SLOTS found by a keyed hash of the address (an address whose
 * slot another takes starts afresh: with more failing addresses than slots
 * the limit loosens, it never blocks an address that did not fail). The
 * failure that empties the bucket blocks the address for the Retry-After it
 * is told (the time one token takes to come back, at least a second), so a
 * client that honours Retry-After is never refused early or late; while
 * blocked it gets 429 before its key is looked at, so guessing keys costs
 * the service no key-table reads.
 */
#include <math.h>
#include <stdint.h>
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

static double auth_burst(const struct rebuy_service *s)
{
	return s->opt.auth_rate * 2 < 1 ? 1 : s->opt.auth_rate * 2;
}

/* The address's slot (locked), refilled to now; NULL when none is kept. */
static struct svc_auth_slot *auth_slot(struct rebuy_service *s, const unsigned char *addr,
                                       size_t len, double now, int make)
{
	if (!s->auth_slots) {
		if (!make)
			return NULL;
		s->auth_slots = rebuy__calloc(SVC_AUTH_SLOTS, sizeof *s->auth_slots);
		if (!s->auth_slots)
			return NULL;
		randombytes_buf(s->auth_slot_key, sizeof s->auth_slot_key);
	}
	uint64_t h;
	crypto_shorthash((unsigned char *)&h, addr, len, s->auth_slot_key);
	struct svc_auth_slot *a = &s->auth_slots[h % SVC_AUTH_SLOTS];
	if (a->len != len || memcmp(a->addr, addr, len) != 0) {
		if (!make)
			return NULL;
		memcpy(a->addr, addr, len);
		a->len = len;
		a->tokens = auth_burst(s);
		a->stamp = now;
		a->until = 0;
	}
	a->tokens += (now - a->stamp) * s->opt.auth_rate;
	if (a->tokens > auth_burst(s))
		a->tokens = auth_burst(s);
	a->stamp = now;
	return a;
}

unsigned rebuy__svc_auth_wait(struct rebuy_service *s, const unsigned char *addr, size_t len,
                              double now)
{
	if (s->opt.auth_rate <= 0 || !addr || len == 0 || len > 16)
		return 0;
	unsigned wait = 0;
	pthread_mutex_lock(&s->rate_lock);
	struct svc_auth_slot *a = auth_slot(s, addr, len, now, 0);
	if (a && now < a->until) {
		double secs = ceil(a->until - now);
		wait = secs < 1 ? 1 : (unsigned)secs;
	}
	pthread_mutex_unlock(&s->rate_lock);
	return wait;
}

void rebuy__svc_auth_failed(struct rebuy_service *s, const unsigned char *addr, size_t len,
                            double now)
{
	if (s->opt.auth_rate <= 0 || !addr || len == 0 || len > 16)
		return;
	pthread_mutex_lock(&s->rate_lock);
	struct svc_auth_slot *a = auth_slot(s, addr, len, now, 1);
	if (a) {
		a->tokens -= 1;
		if (a->tokens < 1) {
			double secs = ceil((1 - a->tokens) / s->opt.auth_rate);
			a->until = now + (secs < 1 ? 1 : secs);
		}
	}
	pthread_mutex_unlock(&s->rate_lock);
}
