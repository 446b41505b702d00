/* A growable string for the report writers. Appends never fail loudly: the
 * first failed allocation, or growing past SBUF_MAX, marks the buffer and
 * later writes are ignored, so a writer checks rebuy_sbuf_failed once at the
 * end. HTML escaping checks UTF-8 as Unicode 15, section 3.9 says: each
 * maximal subpart of an ill-formed sequence becomes one U+FFFD, as browsers do.
 * Invariant: p[len] == '\0' whenever p != NULL. */
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "rebuy/chart.h"

#define SBUF_MAX ((size_t)1 << 30) /* 1 GiB: a chart or a report is far smaller */

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

void rebuy_sbuf_init(struct rebuy_sbuf *b)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->failed = 0;
}

void rebuy_sbuf_free(struct rebuy_sbuf *b)
{
	if (!b)
		return;
	rebuy__free(b->p);
	rebuy_sbuf_init(b);
}

int rebuy_sbuf_failed(const struct rebuy_sbuf *b)
{
	return !b || b->failed;
}

/* Room for `extra` more bytes and the NUL; 0 (and the buffer marked) when
 * there is none. */
static int reserve(struct rebuy_sbuf *b, size_t extra)
{
	if (b->failed)
		return 0;
	if (extra >= SBUF_MAX - b->len) {
		b->failed = 1;
		return 0;
	}
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 1;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SBUF_MAX / 2 ? SBUF_MAX : cap * 2;
	char *p = rebuy__realloc(b->p, cap);
	if (!p) {
		b->failed = 1;
		return 0;
	}
	b->p = p;
	b->cap = cap;
	return 1;
}

void rebuy_sbuf_put(struct rebuy_sbuf *b, const char *s, size_t n)
{
	if (!b || !s || n == 0 || !reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void rebuy_sbuf_puts(struct rebuy_sbuf *b, const char *s)
{
	if (s)
		rebuy_sbuf_put(b, s, strlen(s));
}

void rebuy_sbuf_printf(struct rebuy_sbuf *b, const char *fmt, ...)
{
	if (!b || b->failed)
		return;
	va_list ap, again;
	va_start(ap, fmt);
	va_copy(again, ap);
	size_t room = b->cap - b->len; /* 0 while p is NULL */
	int n = vsnprintf(room ? b->p + b->len : NULL, room, fmt, ap);
	if (n < 0) {
		b->failed = 1;
	} else if ((size_t)n >= room) {
		if (reserve(b, (size_t)n))
			vsnprintf(b->p + b->len, (size_t)n + 1, fmt, again);
	}
	if (!b->failed)
		b->len += (size_t)n;
	if (b->p)
		b->p[b->len] = '\0'; /* a cut first attempt wrote past len */
	va_end(again);
	va_end(ap);
}

/* Length of the well-formed UTF-8 sequence at s (lead byte >= 0x80), or 0
 * with *bad set to the length of its maximal ill-formed subpart (>= 1). The
 * NUL terminator is never a continuation byte, so reading stops at it. */
static size_t utf8_len(const unsigned char *s, size_t *bad)
{
	unsigned c = s[0], lo = 0x80, hi = 0xBF;
	size_t more;
	if (c >= 0xC2 && c <= 0xDF) {
		more = 1;
	} else if (c >= 0xE0 && c <= 0xEF) {
		more = 2;
		lo = c == 0xE0 ? 0xA0 : 0x80; /* no overlong forms */
		hi = c == 0xED ? 0x9F : 0xBF; /* no surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		more = 3;
		lo = c == 0xF0 ? 0x90 : 0x80;
		hi = c == 0xF4 ? 0x8F : 0xBF; /* nothing past U+10FFFF */
	} else {
		*bad = 1;
		return 0;
	}
	for (size_t i = 1; i <= more; i++) {
		unsigned d = s[i];
		if (d < (i == 1 ? lo : 0x80) || d > (i == 1 ? hi : 0xBF)) {
			*bad = i;
			return 0;
		}
	}
	return more + 1;
}

/* What replaces byte c (< 0x80) in HTML/XML text, or NULL. Control
 * characters other than tab and newlines are not allowed in XML 1.0. */
static const char *ascii_escape(unsigned c)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	case '\t':
	case '\n':
	case '\r': return NULL;
	default: return c < 0x20 || c == 0x7F ? replacement : NULL;
	}
}

void rebuy_sbuf_html(struct rebuy_sbuf *b, const char *s)
{
	if (!b || !s)
		return;
	const unsigned char *p = (const unsigned char *)s, *run = p;
	while (*p) {
		const char *rep = NULL;
		size_t step = 1;
		if (*p < 0x80) {
			rep = ascii_escape(*p);
		} else {
			size_t bad = 1;
			step = utf8_len(p, &bad);
			if (!step) {
				rep = replacement;
				step = bad;
			}
		}
		if (rep) {
			rebuy_sbuf_put(b, (const char *)run, (size_t)(p - run));
			rebuy_sbuf_puts(b, rep);
			run = p + step;
		}
		p += step;
	}
	rebuy_sbuf_put(b, (const char *)run, (size_t)(p - run));
}
