/* Exact money: decimal text <-> int64 counts of 1/10,000, and products of two
 * such counts, rounded half to even (IEEE 754 roundTiesToEven applied to
 * decimal digits). Parsing validates the whole text first, then reads the
 * digits once more to place the decimal point exactly, so no binary floating
 * point is involved. Doubles are written with the shortest of %.15g, %.16g,
 * %.17g that strtod reads back to the same value (17 always suffices).
 */
#include "rebuy/money.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned char uc;

/* Exponents are read up to this magnitude; past it every non-zero mantissa is
 * out of range or rounds to zero anyway, and the cap keeps the sums in int64. */
#define EXP_CAP INT64_C(100000000000000000)

static inline int is_digit(uc c)
{
	return (unsigned)(c - '0') < 10u;
}

/* Length of a digit-group separator at p (space, U+00A0, U+202F), or 0. */
static size_t group_sep_len(const uc *p, const uc *e)
{
	if (*p == ' ' || *p == '.')
		return 1;
	if (e - p >= 2 && p[0] == 0xC2 && p[1] == 0xA0)
		return 2;
	if (e - p >= 3 && p[0] == 0xE2 && p[1] == 0x80 && p[2] == 0xAF)
		return 3;
	return 0;
}

/* The shape of a number: [ib, ie) integer digits (with group separators),
 * [fb, fe) fraction digits, exponent, sign. */
struct shape {
	const uc *ib, *ie, *fb, *fe;
	int64_t n_int, exp;
	int neg;
};

static int read_shape(const uc *p, const uc *e, char decimal, struct shape *sh)
{
	sh->neg = 0;
	if (p < e && *p == '(') {
		if (e - p < 2 || e[-1] != ')')
			return 0;
		p++;
		e--;
		sh->neg = 1;
	} else if (p < e && (*p == '+' || *p == '-')) {
		sh->neg = *p++ == '-';
	}
	/* Integer digits; with a decimal comma, groups of three after a first
	 * group of one to three. */
	int64_t n_int = 0, g = 0, n_groups = 0;
	sh->ib = p;
	while (p < e) {
		if (is_digit(*p)) {
			p++;
			n_int++;
			g++;
			continue;
		}
		size_t sep = decimal == ',' ? group_sep_len(p, e) : 0;
		if (!sep)
			break;
		if (n_groups == 0 ? (g < 1 || g > 3) : g != 3)
			return 0;
		n_groups++;
		g = 0;
		p += sep;
	}
	if (n_groups && g != 3)
		return 0;
	sh->ie = p;
	sh->n_int = n_int;
	sh->fb = sh->fe = p;
	if (p < e && *p == (uc)decimal) {
		sh->fb = ++p;
		while (p < e && is_digit(*p))
			p++;
		sh->fe = p;
	}
	if (n_int == 0 && sh->fe == sh->fb)
		return 0;
	sh->exp = 0;
	if (p < e && (*p == 'e' || *p == 'E')) {
		int eneg = 0;
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		if (p == e || !is_digit(*p))
			return 0;
		for (; p < e && is_digit(*p); p++)
			if (sh->exp < EXP_CAP)
				sh->exp = sh->exp * 10 + (*p - '0');
		if (eneg)
			sh->exp = -sh->exp;
	}
	return p == e;
}

/* The shape of nearly every amount in an export, "[-]123[.45]" with at
 * most 14 integer digits and 4 decimals, in one pass with no overflow
 * possible; 0 sends everything else to the general reader. */
static int money_fast(const uc *p, const uc *e, char decimal, int64_t *out)
{
	int neg = p < e && *p == '-';
	p += neg;
	uint64_t acc = 0;
	const uc *start = p;
	unsigned d;
	while (p < e && (d = (unsigned)(*p - '0')) <= 9) {
		acc = acc * 10 + d;
		p++;
	}
	ptrdiff_t n_int = p - start;
	if (n_int == 0 || n_int > 14)
		return 0;
	if (p < e) {
		if (*p != (uc)decimal)
			return 0;
		p++;
		ptrdiff_t n_frac = e - p;
		if (n_frac < 1 || n_frac > REBUY_MONEY_DECIMALS)
			return 0; /* "5.", a fifth decimal: the general reader */
		for (ptrdiff_t i = 0; i < n_frac; i++) {
			if ((d = (unsigned)(p[i] - '0')) > 9)
				return 0; /* an exponent, a space...: the general reader */
			acc = acc * 10 + d;
		}
		static const uint64_t pow10[] = {10000, 1000, 100, 10, 1};
		acc *= pow10[n_frac];
	} else {
		acc *= REBUY_MONEY_SCALE;
	}
	*out = neg ? -(int64_t)acc : (int64_t)acc;
	return 1;
}

enum rebuy_num_result rebuy_money_parse(const char *s, size_t n, char decimal, int64_t *out)
{
	if (s && out && (decimal == '.' || decimal == ',') &&
	    money_fast((const uc *)s, (const uc *)s + n, decimal, out))
		return REBUY_NUM_OK;
	int64_t dummy;
	if (!out)
		out = &dummy;
	*out = 0;
	if (!s || (decimal != '.' && decimal != ','))
		return REBUY_NUM_BAD;
	const uc *p = (const uc *)s, *e = p + n;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	struct shape sh;
	if (!read_shape(p, e, decimal, &sh))
		return REBUY_NUM_BAD;

	/* The digit sequence D (integer then fraction digits) times 10^(k - |D|)
	 * is the value in units: its first k digits are the integer part. */
	const uint64_t lim = INT64_MAX;
	const int64_t k = sh.n_int + sh.exp + REBUY_MONEY_DECIMALS;
	uint64_t acc = 0;
	int64_t i = 0;
	int first_dropped = 0, rest_nonzero = 0;
	for (int part = 0; part < 2; part++) {
		const uc *q = part ? sh.fb : sh.ib, *qe = part ? sh.fe : sh.ie;
		for (; q < qe; q++) {
			if (!is_digit(*q))
				continue; /* a group separator */
			unsigned c = (unsigned)(*q - '0');
			if (i < k) {
				if (acc > (lim - c) / 10)
					return REBUY_NUM_RANGE;
				acc = acc * 10 + c;
			} else if (i == k) {
				first_dropped = (int)c;
			} else {
				rest_nonzero |= c != 0;
			}
			i++;
		}
	}
	if (acc != 0 && k > i) {
		if (k - i > 19)
			return REBUY_NUM_RANGE;
		for (int64_t z = i; z < k; z++) {
			if (acc > lim / 10)
				return REBUY_NUM_RANGE;
			acc *= 10;
		}
	}
	int is_rounded = first_dropped != 0 || rest_nonzero;
	if (first_dropped > 5 || (first_dropped == 5 && (rest_nonzero || (acc & 1)))) {
		if (acc == lim)
			return REBUY_NUM_RANGE;
		acc++;
	}
	*out = sh.neg ? -(int64_t)acc : (int64_t)acc;
	return is_rounded ? REBUY_NUM_ROUNDED : REBUY_NUM_OK;
}

enum rebuy_num_result rebuy_money_mul(int64_t a, int64_t b, int64_t *out)
{
	int64_t dummy;
	if (!out)
		out = &dummy;
	*out = 0;
	__int128 p = (__int128)a * b;
	int neg = p < 0;
	unsigned __int128 m = neg ? -(unsigned __int128)p : (unsigned __int128)p;
	unsigned __int128 q = m / REBUY_MONEY_SCALE;
	unsigned r = (unsigned)(m % REBUY_MONEY_SCALE);
	if (r > REBUY_MONEY_SCALE / 2 || (r == REBUY_MONEY_SCALE / 2 && (q & 1)))
		q++;
	if (q > INT64_MAX)
		return REBUY_NUM_RANGE;
	*out = neg ? -(int64_t)q : (int64_t)q;
	return r ? REBUY_NUM_ROUNDED : REBUY_NUM_OK;
}

/* Copies len bytes of tmp into buf, cut to size - 1, and NUL-terminates. */
static size_t emit(char *buf, size_t size, const char *tmp, size_t len)
{
	if (!buf || size == 0)
		return 0;
	if (len >= size)
		len = size - 1;
	memcpy(buf, tmp, len);
	buf[len] = '\0';
	return len;
}

size_t rebuy_money_format(int64_t v, char *buf, size_t size)
{
	char tmp[32];
	char *end = tmp + sizeof tmp, *p = end;
	uint64_t m = v < 0 ? -(uint64_t)v : (uint64_t)v;
	unsigned frac = (unsigned)(m % REBUY_MONEY_SCALE);
	uint64_t whole = m / REBUY_MONEY_SCALE;
	if (frac) {
		int digits = REBUY_MONEY_DECIMALS;
		while (frac % 10 == 0) {
			frac /= 10;
			digits--;
		}
		while (digits-- > 0) {
			*--p = (char)('0' + frac % 10);
			frac /= 10;
		}
		*--p = '.';
	}
	do {
		*--p = (char)('0' + whole % 10);
		whole /= 10;
	} while (whole);
	if (v < 0)
		*--p = '-';
	return emit(buf, size, p, (size_t)(end - p));
}

/* Writes the n decimal digits d (n <= 17, d[0] != '0') with decimal
 * exponent x (the value is d[0].d[1]... x 10^x) as printf's %.<n>g would:
 * scientific when x < -4 or x >= n, trailing zeros dropped. Returns the
 * length. */
static int g_style(const char *d, int n, int x, int neg, char *out)
{
	char *o = out;
	int sci = x < -4 || x >= n;
	while (n > 1 && d[n - 1] == '0')
		n--;
	if (neg)
		*o++ = '-';
	if (sci) {
		*o++ = d[0];
		if (n > 1) {
			*o++ = '.';
			memcpy(o, d + 1, (size_t)n - 1);
			o += n - 1;
		}
		*o++ = 'e';
		*o++ = x < 0 ? '-' : '+';
		int ax = x < 0 ? -x : x;
		if (ax >= 100)
			*o++ = (char)('0' + ax / 100);
		*o++ = (char)('0' + ax / 10 % 10);
		*o++ = (char)('0' + ax % 10);
	} else if (x < 0) {
		*o++ = '0';
		*o++ = '.';
		for (int i = -1; i > x; i--)
			*o++ = '0';
		memcpy(o, d, (size_t)n);
		o += n;
	} else {
		for (int i = 0; i <= x; i++)
			*o++ = i < n ? d[i] : '0';
		if (n > x + 1) {
			*o++ = '.';
			memcpy(o, d + x + 1, (size_t)(n - x - 1));
			o += n - x - 1;
		}
	}
	*o = '\0';
	return (int)(o - out);
}

/* The first p of the 17 significant digits d rounded half up into r (p <
 * 17), *x adjusted on a carry. 0 when the dropped digits are exactly 5 then
 * zeros: d is itself rounded, so the correct rounding of the exact value
 * is not known from it. */
static int round_digits(const char *d, int p, char *r, int *x)
{
	if (d[p] == '5') {
		int rest_zero = 1;
		for (int i = p + 1; i < 17; i++)
			rest_zero &= d[i] == '0';
		if (rest_zero)
			return 0;
	}
	memcpy(r, d, (size_t)p);
	if (d[p] >= '5') {
		int i = p - 1;
		while (i >= 0 && r[i] == '9')
			r[i--] = '0';
		if (i < 0) {
			r[0] = '1';
			(*x)++;
		} else {
			r[i]++;
		}
	}
	return 1;
}

/* 10^0 .. 10^22: the powers of ten that doubles hold exactly. */
static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The 17 significant digits of a (positive, in [1e-5, 1e16)) correctly
 * rounded, as printf's "%.16e" gives them, without printf: with s = 16 - x
 * (x the decimal exponent of a, so s <= 21 and 10^s is exact), a * 10^s is
 * exactly hi + lo (hi the rounded product, lo its fma residual), which lies
 * in [1e16, 1e17) where hi is an integer, so the rounding to an integer is
 * read off lo. 0 when a is out of that range or the product is exactly
 * half-way (printf, which rounds ties to even, decides then). */
static int digits17_fast(double a, char *d, int *x)
{
	if (!(a >= 1e-5 && a < 1e16))
		return 0;
	int e = (int)floor(log10(a)); /* may be one off near powers of ten */
	for (int tries = 0; tries < 2; tries++) {
		int sc = 16 - e;
		if (sc < 0 || sc > 22)
			return 0;
		double hi = a * pow10_exact[sc], lo = fma(a, pow10_exact[sc], -hi);
		if (hi < 1e16 || (hi == 1e16 && lo < 0)) {
			e--;
			continue;
		}
		if (hi > 1e17 || (hi == 1e17 && lo >= 0)) {
			e++;
			continue;
		}
		double fl = floor(lo), frac = lo - fl;
		if (frac == 0.5)
			return 0;
		int64_t m = (int64_t)hi + (int64_t)fl + (frac > 0.5);
		if (m >= INT64_C(100000000000000000)) {
			m /= 10;
			e++;
		}
		for (int i = 16; i >= 0; i--) {
			d[i] = (char)('0' + m % 10);
			m /= 10;
		}
		*x = e;
		return 1;
	}
	return 0;
}

/* Whether the p digits r with exponent x read back as a (positive): the
 * value r * 10^(x - p + 1) is one correctly rounded multiplication or
 * division when the digits fit 53 bits and the power of ten is exact
 * (Clinger's fast path); strtod of text otherwise. */
static int reads_back(const char *r, int p, int x, double a, const char *text)
{
	int64_t m = 0;
	for (int i = 0; i < p; i++)
		m = m * 10 + (r[i] - '0');
	int e = x - p + 1;
	if (m <= (INT64_C(1) << 53) && e >= -22 && e <= 22)
		return (e >= 0 ? (double)m * pow10_exact[e] : (double)m / pow10_exact[-e]) == a;
	return fabs(strtod(text, NULL)) == a;
}

/* The shortest of %.15g, %.16g and %.17g that reads back as v. The 17
 * digits come from digits17_fast where it applies, else from one printf;
 * the 15- and 16-digit candidates are rounded from them (printf again only
 * in the rare case where that rounding could differ from printf's) and
 * checked by reads_back. The output is the same as trying "%.15g",
 * "%.16g", "%.17g" in turn. */
size_t rebuy_format_double(double v, char *buf, size_t size)
{
	char tmp[40], e17[40], d[17], r[17];
	int len;
	if (isnan(v))
		return emit(buf, size, "nan", 3);
	if (isinf(v))
		return v < 0 ? emit(buf, size, "-inf", 4) : emit(buf, size, "inf", 3);
	if (v == 0)
		return emit(buf, size, signbit(v) ? "-0" : "0", signbit(v) ? 2 : 1);
	int neg = signbit(v) != 0, x17;
	double a = fabs(v);
	if (!digits17_fast(a, d, &x17)) {
		/* d.dddddddddddddddde[+-]XX */
		snprintf(e17, sizeof e17, "%.16e", v);
		const char *m = e17 + neg;
		d[0] = m[0];
		memcpy(d + 1, m + 2, 16);
		x17 = (int)strtol(m + 19, NULL, 10);
	}
	for (int p = 15; p <= 16; p++) {
		int x = x17;
		if (round_digits(d, p, r, &x)) {
			len = g_style(r, p, x, neg, tmp);
			if (reads_back(r, p, x, a, tmp))
				return emit(buf, size, tmp, len > 0 ? (size_t)len : 0);
		} else {
			len = snprintf(tmp, sizeof tmp, "%.*g", p, v);
			if (strtod(tmp, NULL) == v)
				return emit(buf, size, tmp, len > 0 ? (size_t)len : 0);
		}
	}
	len = g_style(d, 17, x17, neg, tmp);
	return emit(buf, size, tmp, (size_t)len);
}
