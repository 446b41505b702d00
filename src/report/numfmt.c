/* Numbers for people, in English or Russian: grouped thousands, the decimal
 * separator, the percent sign and the compact units as CLDR writes them (ru:
 * U+00A0 no-break spaces for grouping and before "%" and the units).
 * Rounding is decimal, halves away from zero, and the same on every machine:
 * the value is first written with 15 significant digits (exact for any
 * decimal a person typed, so 1.005 stays 1.005 and not 1.00499999...) and
 * the digits are then rounded. Nothing here depends on the C locale. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/chart.h"

#define NBSP "\xC2\xA0"
#define EN_DASH "\xE2\x80\x93"
#define MAX_DECIMALS 12

enum rebuy_status rebuy_lang_from_name(const char *name, enum rebuy_lang *out,
                                       struct rebuy_error *err)
{
	if (name && strcmp(name, "en") == 0) {
		*out = REBUY_LANG_EN;
		return REBUY_OK;
	}
	if (name && strcmp(name, "ru") == 0) {
		*out = REBUY_LANG_RU;
		return REBUY_OK;
	}
	return rebuy_error_set(err, REBUY_EARG, "unknown language '%.64s' (expected en or ru)",
	                       name ? name : "");
}

/* A magnitude as decimal digits: 0.d[0]d[1]... x 10^exp. */
struct digits {
	char d[24];
	int n, exp;
};

static void to_digits(double a, struct digits *g)
{
	char tmp[40];
	snprintf(tmp, sizeof tmp, "%.14e", a); /* d.dddddddddddddde+XX */
	const char *e = strchr(tmp, 'e');
	g->n = 0;
	for (const char *s = tmp; s < e && g->n < (int)sizeof g->d; s++)
		if (*s >= '0' && *s <= '9')
			g->d[g->n++] = *s;
	g->exp = (int)strtol(e + 1, NULL, 10) + 1;
	if (a == 0)
		g->exp = 1;
}

/* Keeps the first `keep` digits, rounding the rest half up (away from zero:
 * the sign is apart). keep may be <= 0: the value is then 0 or rounds to one
 * unit of the last kept place. */
static void round_digits(struct digits *g, int keep)
{
	if (keep >= g->n)
		return;
	int up = keep >= 0 && g->d[keep] >= '5';
	if (keep < 0)
		keep = 0;
	g->n = keep;
	int i = keep - 1;
	for (; up && i >= 0; i--) {
		if (g->d[i] == '9') {
			g->d[i] = '0';
		} else {
			g->d[i]++;
			up = 0;
		}
	}
	if (up) { /* 99.9 -> 100, or a value below the last place rounding to it */
		memmove(g->d + 1, g->d, (size_t)g->n);
		g->d[0] = '1';
		g->n++;
		g->exp++;
	}
	if (g->n == 0) { /* rounded to nothing: zero */
		g->d[0] = '0';
		g->n = 1;
		g->exp = 1;
	}
}

static char digit_at(const struct digits *g, int pos)
{
	return pos >= 0 && pos < g->n ? g->d[pos] : '0';
}

struct out {
	char s[1024]; /* INT of 1e308 with ru grouping is 513 bytes */
	size_t len;
};

static void add(struct out *o, const char *s)
{
	size_t n = strlen(s);
	if (o->len + n < sizeof o->s) {
		memcpy(o->s + o->len, s, n);
		o->len += n;
	}
	o->s[o->len] = '\0';
}

static void add_char(struct out *o, char c)
{
	char s[2] = {c, '\0'};
	add(o, s);
}

/* The digits with `decimals` places after the point; trailing zeros of the
 * fraction dropped when `trim`. Rounding is done already. */
static void add_fixed(struct out *o, const struct digits *g, int decimals, int trim,
                      enum rebuy_lang lang)
{
	const char *group = lang == REBUY_LANG_RU ? NBSP : ",";
	int n_int = g->exp > 0 ? g->exp : 1;
	for (int i = 0; i < n_int; i++) {
		if (i > 0 && (n_int - i) % 3 == 0)
			add(o, group);
		add_char(o, g->exp > 0 ? digit_at(g, i) : '0');
	}
	if (trim)
		while (decimals > 0 && digit_at(g, g->exp + decimals - 1) == '0')
			decimals--;
	if (decimals > 0)
		add_char(o, lang == REBUY_LANG_RU ? ',' : '.');
	for (int i = 0; i < decimals; i++)
		add_char(o, digit_at(g, g->exp + i));
}

static int is_zero(const struct digits *g)
{
	for (int i = 0; i < g->n; i++)
		if (g->d[i] != '0')
			return 0;
	return 1;
}

/* 3 significant digits and a unit: 1.23k, 45.6M; ru 1,23 тыс., 45,6 млн. */
static void add_compact(struct out *o, struct digits *g, enum rebuy_lang lang)
{
	static const char *const en[] = {"", "k", "M", "B"};
	static const char *const ru[] = {"", NBSP "тыс.", NBSP "млн", NBSP "млрд"};
	round_digits(g, 3); /* first, so that 999,999 becomes 1M and not 1,000k */
	int unit = 0;
	if (g->exp > 3 && !is_zero(g))
		unit = g->exp > 12 ? 3 : (g->exp - 1) / 3;
	g->exp -= 3 * unit;
	int decimals = 3 - g->exp;
	add_fixed(o, g, decimals > 0 ? decimals : 0, 1, lang);
	add(o, lang == REBUY_LANG_RU ? ru[unit] : en[unit]);
}

size_t rebuy_format_num(enum rebuy_lang lang, double v, enum rebuy_numfmt fmt, int decimals,
                        char *buf, size_t size)
{
	struct out o = {.len = 0};
	o.s[0] = '\0';
	if (decimals < 0)
		decimals = 0;
	if (decimals > MAX_DECIMALS)
		decimals = MAX_DECIMALS;
	if (fmt == REBUY_NUM_PERCENT)
		v *= 100;
	if (fmt == REBUY_NUM_INT)
		decimals = 0;
	if (!isfinite(v)) {
		add(&o, EN_DASH);
	} else {
		struct digits g;
		to_digits(fabs(v), &g);
		size_t sign_at = o.len;
		if (fmt == REBUY_NUM_COMPACT) {
			add_compact(&o, &g, lang);
		} else {
			round_digits(&g, g.exp + decimals);
			add_fixed(&o, &g, decimals, 0, lang);
		}
		if (v < 0 && !is_zero(&g) && o.len + 1 < sizeof o.s) { /* -0.04 to 1 place: 0 */
			memmove(o.s + sign_at + 1, o.s + sign_at, o.len - sign_at + 1);
			o.s[sign_at] = '-';
			o.len++;
		}
		if (fmt == REBUY_NUM_PERCENT)
			add(&o, lang == REBUY_LANG_RU ? NBSP "%" : "%");
	}
	if (size == 0)
		return 0;
	size_t n = o.len < size - 1 ? o.len : size - 1;
	while (n > 0 && n < o.len && ((unsigned char)o.s[n] & 0xC0) == 0x80)
		n--; /* never cut a character in two */
	memcpy(buf, o.s, n);
	buf[n] = '\0';
	return n;
}
