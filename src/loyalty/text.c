/* The ledger's text: JSON replies built by hand (a fixed key order, so a
 * reply is the same bytes whenever it is built from the same rows), the
 * keyed customer digest and the transaction hash of the chain.
 *
 * Hash (BLAKE2b-256, libsodium's crypto_generichash) of a transaction:
 * the previous hash, then every field as "<length>:<bytes>," so that no two
 * different transactions share an encoding; customer accounts are named by
 * the customer's keyed digest, never by the id, so forget keeps it valid.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/mem.h"
#include "loyalty/loyalty_int.h"
#include "rebuy/date.h"

void jb_init(struct jbuf *b)
{
	memset(b, 0, sizeof *b);
}

void jb_release(struct jbuf *b)
{
	rebuy__free(b->p);
	memset(b, 0, sizeof *b);
}

void jb_put(struct jbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *p = rebuy__realloc(b->p, cap);
		if (!p) {
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

void jb_str(struct jbuf *b, const char *s)
{
	jb_put(b, s, strlen(s));
}

void jb_printf(struct jbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp) {
		b->failed = 1;
		return;
	}
	jb_put(b, tmp, (size_t)n);
}

void jb_json(struct jbuf *b, const char *s, size_t n)
{
	jb_put(b, "\"", 1);
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		jb_put(b, s + run, i - run);
		run = i + 1;
		if (c == '"')
			jb_put(b, "\\\"", 2);
		else if (c == '\\')
			jb_put(b, "\\\\", 2);
		else
			jb_printf(b, "\\u%04x", c);
	}
	jb_put(b, s + run, n - run);
	jb_put(b, "\"", 1);
}

void jb_jsonz(struct jbuf *b, const char *s)
{
	if (!s)
		jb_str(b, "null");
	else
		jb_json(b, s, strlen(s));
}

void jb_time(struct jbuf *b, int64_t t)
{
	int64_t day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t sec = t - day * 86400;
	int64_t y;
	unsigned m, d;
	rebuy_civil_from_days(day, &y, &m, &d);
	jb_printf(b, "\"%04lld-%02u-%02uT%02d:%02d:%02dZ\"", (long long)y, m, d, (int)(sec / 3600),
	          (int)(sec / 60 % 60), (int)(sec % 60));
}

void rebuy__hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void rebuy__customer_digest(const struct rebuy_loyalty *l, const char *ext, size_t n,
                            char out[HASH_HEX])
{
	unsigned char h[32];
	crypto_generichash(h, sizeof h, (const unsigned char *)ext, n, l->customer_key,
	                   sizeof l->customer_key);
	rebuy__hex(h, sizeof h, out);
}

void rebuy_loyalty_pseudonym(const struct rebuy_loyalty *l, const char *customer, char *out,
                             size_t size)
{
	char d[HASH_HEX];
	rebuy__customer_digest(l, customer, strlen(customer), d);
	snprintf(out, size, "%s", d);
}

static void field(crypto_generichash_state *st, const char *s)
{
	char len[24];
	size_t n = s ? strlen(s) : 0;
	int k = snprintf(len, sizeof len, "%zu:", n);
	crypto_generichash_update(st, (const unsigned char *)len, (size_t)k);
	if (n)
		crypto_generichash_update(st, (const unsigned char *)s, n);
	crypto_generichash_update(st, (const unsigned char *)",", 1);
}

static void field_int(crypto_generichash_state *st, int64_t v)
{
	char s[24];
	snprintf(s, sizeof s, "%lld", (long long)v);
	field(st, s);
}

static const char *account_label(int64_t account)
{
	switch (account) {
	case ACCT_EARNED: return "earned";
	case ACCT_REDEEMED: return "redeemed";
	case ACCT_EXPIRED: return "expired";
	case ACCT_ADJUSTED: return "adjusted";
	default: return account % 2 == 0 ? "available" : "pending";
	}
}

void rebuy__tx_hash(const char *prev, int64_t id, const char *kind, const char *digest,
                    const char *ref, const char *rule, const char *bkey, int64_t refers,
                    int64_t time, int64_t points, const struct posting *post, size_t n_post,
                    const struct lot_move *moves, size_t n_moves, const struct new_lot *lots,
                    size_t n_lots, char out[HASH_HEX])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 32);
	field(&st, "rebuy-ledger-1");
	field(&st, prev);
	field_int(&st, id);
	field(&st, kind);
	field(&st, digest);
	field(&st, ref);
	field(&st, rule);
	field(&st, bkey ? bkey : "");
	field_int(&st, refers);
	field_int(&st, time);
	field_int(&st, points);
	field_int(&st, (int64_t)n_post);
	for (size_t i = 0; i < n_post; i++) {
		field(&st, account_label(post[i].account));
		field_int(&st, post[i].amount);
	}
	field_int(&st, (int64_t)n_moves);
	for (size_t i = 0; i < n_moves; i++) {
		field_int(&st, moves[i].lot);
		field_int(&st, moves[i].points);
	}
	field_int(&st, (int64_t)n_lots);
	for (size_t i = 0; i < n_lots; i++) {
		field_int(&st, lots[i].id);
		field_int(&st, lots[i].points);
		field_int(&st, lots[i].released);
		field_int(&st, lots[i].available_at);
		field_int(&st, lots[i].expires_at);
	}
	unsigned char h[32];
	crypto_generichash_final(&st, h, sizeof h);
	rebuy__hex(h, sizeof h, out);
}

enum rebuy_status rebuy__reply_take(struct rebuy_loyalty_reply *r, int status, struct jbuf *b,
                                    struct rebuy_error *err)
{
	if (b->failed || !b->p) {
		jb_release(b);
		return rebuy_error_set(err, REBUY_ENOMEM,
		                       "loyalty: out of memory building a reply");
	}
	r->status = status;
	r->body = b->p;
	r->len = b->n;
	b->p = NULL;
	jb_release(b);
	return REBUY_OK;
}

enum rebuy_status rebuy__reply_copy(struct rebuy_loyalty_reply *r, int status, const char *s,
                                    size_t n, struct rebuy_error *err)
{
	struct jbuf b;
	jb_init(&b);
	jb_put(&b, s, n);
	return rebuy__reply_take(r, status, &b, err);
}

enum rebuy_status rebuy__reply_error(struct rebuy_loyalty_reply *r, int status, const char *code,
                                     const char *message, struct rebuy_error *err)
{
	struct jbuf b;
	jb_init(&b);
	jb_str(&b, "{\"error\":");
	jb_jsonz(&b, code);
	jb_str(&b, ",\"message\":");
	jb_jsonz(&b, message);
	jb_str(&b, "}");
	return rebuy__reply_take(r, status, &b, err);
}

void rebuy_loyalty_reply_release(struct rebuy_loyalty_reply *r)
{
	if (!r)
		return;
	rebuy__free(r->body);
	r->body = NULL;
	r->len = 0;
}
