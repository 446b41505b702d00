/* Dates, times and calendar periods: civil <-> day-number conversion, the
 * date/time text forms of the input contract, formatting, and period indexes.
 * Civil conversion follows the era/day-of-era formulas of Howard Hinnant's
 * "chrono-compatible low-level date algorithms" (400-year eras of 146097 days,
 * years starting in March); ISO weeks follow ISO 8601 (Monday first, a week
 * belongs to the year of its Thursday). Parsing is allocation- and locale-free.
 */
#include "rebuy/date.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef unsigned char uc;

/* 0001-01-01T00:00:00 and 9999-12-31T23:59:59: every parsed value lies here. */
#define TS_MIN INT64_C(-62135596800)
#define TS_MAX INT64_C(253402300799)

static inline int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return q - ((a % b != 0) & ((a < 0) != (b < 0)));
}

static inline int is_digit(uc c)
{
	return (unsigned)(c - '0') < 10u;
}

static inline int is_leap(int64_t y)
{
	/* Given y % 4 == 0: y % 100 == 0 iff y % 25 == 0, and then y % 400 == 0
	 * iff y % 16 == 0 (masks are exact for negative y in two's complement). */
	return (y & 3) == 0 && (y % 25 != 0 || (y & 15) == 0);
}

static inline unsigned month_days(int64_t y, unsigned m)
{
	static const uc days[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 ? 28u + (unsigned)is_leap(y) : days[m];
}

int64_t rebuy_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;                          /* [0, 399] */
	int64_t mp = m > 2 ? (int64_t)m - 3 : (int64_t)m + 9; /* March = 0 */
	int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;    /* [0, 365] */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;  /* [0, 146096] */
	return era * 146097 + doe - 719468;
}

void rebuy_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	/* Split off whole eras first (truncating, so era * 146097 lies between
	 * 0 and days) so that no int64 input can overflow. */
	int64_t era = days / 146097;
	int64_t z = days % 146097 + 719468; /* (573371, 865565) */
	era += z / 146097;
	int64_t doe = z % 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	unsigned dd = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	unsigned mm = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (mm <= 2);
	*m = mm;
	*d = dd;
}

int rebuy_date_is_valid(int64_t y, unsigned m, unsigned d)
{
	return m >= 1 && m <= 12 && d >= 1 && d <= month_days(y, m);
}

int64_t rebuy_day_of(int64_t ts)
{
	return floor_div(ts, REBUY_SECONDS_PER_DAY);
}

/* ---- parsing ------------------------------------------------------------ */

/* The fields of one value as written; off is the UTC offset in seconds. */
struct fields {
	int64_t y;
	unsigned mo, d, h, mi, s;
	int64_t off;
};

/* Reads min..max digits (max <= 9) at *pp into *out; 0 when fewer than min. */
static inline int read_num(const uc **pp, const uc *e, int min, int max, unsigned *out)
{
	const uc *p = *pp;
	unsigned v = 0;
	int k = 0;
	while (k < max && p < e && is_digit(*p)) {
		v = v * 10 + (unsigned)(*p - '0');
		p++;
		k++;
	}
	if (k < min)
		return 0;
	*pp = p;
	*out = v;
	return k;
}

static inline int eat(const uc **pp, const uc *e, uc c)
{
	if (*pp < e && **pp == c) {
		(*pp)++;
		return 1;
	}
	return 0;
}

static inline int lower(uc c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* rebuy_days_from_civil for years 1..9999 in 32-bit unsigned arithmetic,
 * which needs no floor division (the hot path of parsing). */
static inline int64_t days_from_civil_small(unsigned y, unsigned m, unsigned d)
{
	y -= m <= 2;
	unsigned era = y / 400, yoe = y - era * 400;
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int64_t)(era * 146097 + doe) - 719468;
}

/* Checks the fields and turns them into seconds; 0 when impossible. */
static inline int make_ts(const struct fields *f, int64_t *ts)
{
	if (f->y < 1 || f->y > 9999 || f->mo - 1 > 11u || f->d - 1 >= month_days(f->y, f->mo) ||
	    f->h > 23 || f->mi > 59 || f->s > 59)
		return 0;
	int64_t t = days_from_civil_small((unsigned)f->y, f->mo, f->d) * REBUY_SECONDS_PER_DAY +
	            (int64_t)f->h * 3600 + (int64_t)f->mi * 60 + (int64_t)f->s - f->off;
	if (t < TS_MIN || t > TS_MAX)
		return 0;
	*ts = t;
	return 1;
}

/* ":SS" and a fraction of any length after it ('.' or ','), dropped. */
static int read_seconds(const uc **pp, const uc *e, unsigned *s)
{
	const uc *p = *pp;
	*s = 0;
	if (p < e && *p == ':') {
		p++;
		if (!read_num(&p, e, 2, 2, s))
			return 0;
		if (p + 1 < e && (*p == '.' || *p == ',') && is_digit(p[1])) {
			p += 2;
			while (p < e && is_digit(*p))
				p++;
		}
	}
	*pp = p;
	return 1;
}

/* "H:MM[:SS[.fff]]" with a 1-2 digit hour. */
static int read_clock(const uc **pp, const uc *e, struct fields *f)
{
	return read_num(pp, e, 1, 2, &f->h) && eat(pp, e, ':') && read_num(pp, e, 2, 2, &f->mi) &&
	       read_seconds(pp, e, &f->s);
}

/* Z, UTC or +HH[[:]MM] after a time, optionally after one space. */
static int read_offset(const uc **pp, const uc *e, struct fields *f)
{
	const uc *p = *pp;
	if (p == e)
		return 1;
	if (*p == ' ' && p + 1 < e)
		p++;
	if (*p == 'Z' || *p == 'z') {
		*pp = p + 1;
		return 1;
	}
	if (e - p >= 3 && p[0] == 'U' && p[1] == 'T' && p[2] == 'C') {
		*pp = p + 3;
		return 1;
	}
	if (*p != '+' && *p != '-')
		return 0;
	int64_t sign = *p == '-' ? -1 : 1;
	unsigned hh, mm = 0;
	p++;
	if (!read_num(&p, e, 2, 2, &hh))
		return 0;
	if (p < e) {
		eat(&p, e, ':');
		if (!read_num(&p, e, 2, 2, &mm))
			return 0;
	}
	if (hh > 23 || mm > 59)
		return 0;
	f->off = sign * ((int64_t)hh * 3600 + (int64_t)mm * 60);
	*pp = p;
	return 1;
}

static inline unsigned two(const uc *p)
{
	return (unsigned)(p[0] - '0') * 10 + (unsigned)(p[1] - '0');
}

/* 1 when p[i] is not a digit; or-ed together without branches. */
#define NOT_DIGIT(p, i) ((unsigned)((p)[i] - '0') > 9u)

/* The two shapes nearly every export writes, at fixed positions:
 * "YYYY-MM-DD" and "YYYY-MM-DD[T ]HH:MM:SS". Returns 0 to fall back to the
 * general reader (which also rejects what is wrong here). */
static unsigned parse_iso_fast(const uc *p, const uc *e, int64_t *ts)
{
	ptrdiff_t n = e - p;
	if ((n != 10 && n != 19) || p[4] != '-' || p[7] != '-' ||
	    (NOT_DIGIT(p, 0) | NOT_DIGIT(p, 1) | NOT_DIGIT(p, 2) | NOT_DIGIT(p, 3) |
	     NOT_DIGIT(p, 5) | NOT_DIGIT(p, 6) | NOT_DIGIT(p, 8) | NOT_DIGIT(p, 9)))
		return 0;
	struct fields f = {0};
	f.y = two(p) * 100 + two(p + 2);
	f.mo = two(p + 5);
	f.d = two(p + 8);
	if (n == 10)
		return make_ts(&f, ts) ? REBUY_DATE_OK : 0;
	if ((p[10] != 'T' && p[10] != ' ') || p[13] != ':' || p[16] != ':' ||
	    (NOT_DIGIT(p, 11) | NOT_DIGIT(p, 12) | NOT_DIGIT(p, 14) | NOT_DIGIT(p, 15) |
	     NOT_DIGIT(p, 17) | NOT_DIGIT(p, 18)))
		return 0;
	f.h = two(p + 11);
	f.mi = two(p + 14);
	f.s = two(p + 17);
	return make_ts(&f, ts) ? REBUY_DATE_OK | REBUY_DATE_HAS_TIME : 0;
}

/* YYYY-M[M]-D[D][(T|t| )H[H]:MM[:SS[.f]][ ][Z|UTC|+HH[:MM]]] */
static unsigned parse_iso(const uc *p, const uc *e, int64_t *ts)
{
	unsigned flags = parse_iso_fast(p, e, ts);
	if (flags)
		return flags;
	struct fields f = {0};
	unsigned y;
	flags = REBUY_DATE_OK;
	if (!read_num(&p, e, 4, 4, &y) || !eat(&p, e, '-') || !read_num(&p, e, 1, 2, &f.mo) ||
	    !eat(&p, e, '-') || !read_num(&p, e, 1, 2, &f.d))
		return 0;
	f.y = y;
	if (p < e) {
		if (*p != 'T' && *p != 't' && *p != ' ')
			return 0;
		p++;
		if (!read_clock(&p, e, &f) || !read_offset(&p, e, &f) || p != e)
			return 0;
		flags |= REBUY_DATE_HAS_TIME;
	}
	return make_ts(&f, ts) ? flags : 0;
}

/* [ +H[H]:MM[:SS[.f]]][ *AM|PM] after a slash or dotted date. Returns 0 on
 * error, 1 for no time, 2 for a time. */
static int read_clock_tail(const uc **pp, const uc *e, struct fields *f)
{
	const uc *p = *pp;
	if (p == e)
		return 1;
	if (*p != ' ')
		return 0;
	while (p < e && *p == ' ')
		p++;
	if (!read_clock(&p, e, f))
		return 0;
	const uc *q = p;
	while (q < e && *q == ' ')
		q++;
	if (e - q == 2 && (lower(q[1]) == 'm')) {
		int pm = lower(q[0]) == 'p';
		if (!pm && lower(q[0]) != 'a')
			return 0;
		if (f->h < 1 || f->h > 12)
			return 0;
		f->h = f->h % 12 + (pm ? 12u : 0u);
		p = e;
	}
	*pp = p;
	return p == e ? 2 : 0;
}

/* a<sep>b<sep>YYYY with 1-2 digit a and b; the rest is the clock tail. */
static int read_abY(const uc **pp, const uc *e, uc sep, unsigned *a, unsigned *b, unsigned *y)
{
	return read_num(pp, e, 1, 2, a) && eat(pp, e, sep) && read_num(pp, e, 1, 2, b) &&
	       eat(pp, e, sep) && read_num(pp, e, 4, 4, y);
}

/* a/b/YYYY or a.b.YYYY read month first (order 'm') or day first ('d'). */
static unsigned parse_ab(const uc *p, const uc *e, uc sep, char order, int64_t *ts)
{
	struct fields f = {0};
	unsigned a, b, y;
	if (!read_abY(&p, e, sep, &a, &b, &y))
		return 0;
	int t = read_clock_tail(&p, e, &f);
	if (!t)
		return 0;
	f.y = y;
	f.mo = order == 'm' ? a : b;
	f.d = order == 'm' ? b : a;
	if (!make_ts(&f, ts))
		return 0;
	return REBUY_DATE_OK | (t == 2 ? REBUY_DATE_HAS_TIME : 0u);
}

/* a/b/YYYY under AUTO: both readings, as the header describes. */
static unsigned parse_slash_auto(const uc *p, const uc *e, int64_t *ts, int64_t *ts_alt)
{
	struct fields f = {0};
	unsigned a, b, y;
	if (!read_abY(&p, e, '/', &a, &b, &y))
		return 0;
	int t = read_clock_tail(&p, e, &f);
	if (!t)
		return 0;
	unsigned flags = REBUY_DATE_SLASH;
	int64_t mdy = 0, dmy = 0;
	f.y = y;
	f.mo = a;
	f.d = b;
	if (make_ts(&f, &mdy))
		flags |= REBUY_DATE_MDY_VALID;
	f.mo = b;
	f.d = a;
	if (make_ts(&f, &dmy))
		flags |= REBUY_DATE_DMY_VALID;
	if (!(flags & (REBUY_DATE_MDY_VALID | REBUY_DATE_DMY_VALID)))
		return 0;
	*ts = flags & REBUY_DATE_MDY_VALID ? mdy : dmy;
	if (ts_alt && (flags & REBUY_DATE_DMY_VALID))
		*ts_alt = dmy;
	return flags | REBUY_DATE_OK | (t == 2 ? REBUY_DATE_HAS_TIME : 0u);
}

/* YYYY/M[M]/D[D] with the clock tail. */
static unsigned parse_ymd_slash(const uc *p, const uc *e, int64_t *ts)
{
	struct fields f = {0};
	unsigned y;
	if (!read_num(&p, e, 4, 4, &y) || !eat(&p, e, '/') || !read_num(&p, e, 1, 2, &f.mo) ||
	    !eat(&p, e, '/') || !read_num(&p, e, 1, 2, &f.d))
		return 0;
	int t = read_clock_tail(&p, e, &f);
	if (!t)
		return 0;
	f.y = y;
	if (!make_ts(&f, ts))
		return 0;
	return REBUY_DATE_OK | (t == 2 ? REBUY_DATE_HAS_TIME : 0u);
}

static unsigned parse_ymd8(const uc *p, const uc *e, int64_t *ts)
{
	struct fields f = {0};
	unsigned y;
	if (e - p != 8 || !read_num(&p, e, 4, 4, &y) || !read_num(&p, e, 2, 2, &f.mo) ||
	    !read_num(&p, e, 2, 2, &f.d))
		return 0;
	f.y = y;
	return make_ts(&f, ts) ? REBUY_DATE_OK : 0;
}

/* [+-]digits[.digits] in seconds (div 1) or milliseconds (div 1000). The
 * fraction is dropped toward the past, like the fraction of a clock time. */
static unsigned parse_unix(const uc *p, const uc *e, int64_t div, int64_t *ts)
{
	int neg = 0;
	if (p < e && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	if (p == e || !is_digit(*p))
		return 0;
	int64_t v = 0;
	while (p < e && is_digit(*p)) {
		v = v * 10 + (*p++ - '0');
		if (v > INT64_C(1000000000000000)) /* far past year 9999 even in ms */
			return 0;
	}
	int frac = 0;
	if (p < e && *p == '.') {
		p++;
		if (p == e || !is_digit(*p))
			return 0;
		while (p < e && is_digit(*p))
			frac |= *p++ != '0';
	}
	if (p != e)
		return 0;
	if (neg)
		v = -v - frac;
	v = floor_div(v, div);
	if (v < TS_MIN || v > TS_MAX)
		return 0;
	*ts = v;
	return REBUY_DATE_OK | REBUY_DATE_HAS_TIME;
}

static unsigned parse_auto(const uc *p, const uc *e, int64_t *ts, int64_t *ts_alt)
{
	if (e - p >= 10 && p[4] == '-')
		return parse_iso(p, e, ts); /* the common case first */
	const uc *q = p;
	while (q < e && is_digit(*q) && q - p < 14)
		q++;
	ptrdiff_t k = q - p;
	if (q == e) {
		if (k == 8)
			return parse_ymd8(p, e, ts);
		if (k == 9 || k == 10)
			return parse_unix(p, e, 1, ts);
		if (k == 13)
			return parse_unix(p, e, 1000, ts);
		return 0;
	}
	switch (*q) {
	case '-': return k == 4 ? parse_iso(p, e, ts) : 0;
	case '/':
		if (k == 4)
			return parse_ymd_slash(p, e, ts);
		return k == 1 || k == 2 ? parse_slash_auto(p, e, ts, ts_alt) : 0;
	case '.': return k == 1 || k == 2 ? parse_ab(p, e, '.', 'd', ts) : 0;
	default: return 0;
	}
}

static const char month_names[12][10] = {"january",   "february", "march",    "april",
                                         "may",       "june",     "july",     "august",
                                         "september", "october",  "november", "december"};

/* An English month name, abbreviated to 3 letters or in full, any case. */
static int read_month_name(const uc **pp, const uc *e, unsigned *m)
{
	const uc *p = *pp;
	if (e - p < 3)
		return 0;
	for (unsigned i = 0; i < 12; i++) {
		const char *name = month_names[i];
		if (lower(p[0]) != name[0] || lower(p[1]) != name[1] || lower(p[2]) != name[2])
			continue;
		const uc *q = p + 3;
		size_t k = 3;
		while (name[k] && q < e && lower(*q) == (uc)name[k]) {
			q++;
			k++;
		}
		*pp = name[k] ? p + 3 : q; /* a partial tail is not consumed */
		*m = i + 1;
		return 1;
	}
	return 0;
}

/* Field bits of a pattern, also used to validate it. */
enum { F_YEAR = 1, F_MONTH = 2, F_DAY = 4, F_HOUR = 8, F_MIN = 16, F_SEC = 32, F_AMPM = 64 };

static int directive_bit(char c)
{
	switch (c) {
	case 'Y':
	case 'y': return F_YEAR;
	case 'm':
	case 'b': return F_MONTH;
	case 'd': return F_DAY;
	case 'H': return F_HOUR;
	case 'M': return F_MIN;
	case 'S': return F_SEC;
	case 'p': return F_AMPM;
	case '%': return 0;
	default: return -1;
	}
}

static unsigned parse_pattern(const uc *p, const uc *e, const char *pat, int64_t *ts)
{
	struct fields f = {0};
	unsigned v;
	int seen = 0, pm = -1;
	f.d = 1;
	for (size_t i = 0; i < REBUY_DATE_PATTERN_MAX && pat[i]; i++) {
		char c = pat[i];
		if (c == ' ') {
			while (p < e && (*p == ' ' || *p == '\t'))
				p++;
			continue;
		}
		if (c != '%') {
			if (!eat(&p, e, (uc)c))
				return 0;
			continue;
		}
		if (++i >= REBUY_DATE_PATTERN_MAX)
			return 0;
		c = pat[i];
		int bit = directive_bit(c);
		if (bit < 0)
			return 0;
		seen |= bit;
		switch (c) {
		case 'Y':
			if (!read_num(&p, e, 4, 4, &v))
				return 0;
			f.y = v;
			break;
		case 'y':
			if (!read_num(&p, e, 2, 2, &v))
				return 0;
			f.y = v < 70 ? 2000 + v : 1900 + v;
			break;
		case 'm':
			if (!read_num(&p, e, 1, 2, &f.mo))
				return 0;
			break;
		case 'd':
			if (!read_num(&p, e, 1, 2, &f.d))
				return 0;
			break;
		case 'H':
			if (!read_num(&p, e, 1, 2, &f.h))
				return 0;
			break;
		case 'M':
			if (!read_num(&p, e, 1, 2, &f.mi))
				return 0;
			break;
		case 'S':
			if (!read_num(&p, e, 1, 2, &f.s))
				return 0;
			/* A fraction is read and dropped unless the pattern spells it. */
			if (p + 1 < e && (*p == '.' || *p == ',') && is_digit(p[1]) &&
			    (i + 1 >= REBUY_DATE_PATTERN_MAX || pat[i + 1] != (char)*p)) {
				p += 2;
				while (p < e && is_digit(*p))
					p++;
			}
			break;
		case 'b':
			if (!read_month_name(&p, e, &f.mo))
				return 0;
			break;
		case 'p':
			if (e - p < 2 || lower(p[1]) != 'm' ||
			    (lower(p[0]) != 'a' && lower(p[0]) != 'p'))
				return 0;
			pm = lower(p[0]) == 'p';
			p += 2;
			break;
		default: /* %% */
			if (!eat(&p, e, '%'))
				return 0;
			break;
		}
	}
	if (p != e || (seen & (F_YEAR | F_MONTH)) != (F_YEAR | F_MONTH))
		return 0;
	if (pm >= 0) {
		if (f.h < 1 || f.h > 12)
			return 0;
		f.h = f.h % 12 + (pm ? 12u : 0u);
	}
	if (!make_ts(&f, ts))
		return 0;
	return REBUY_DATE_OK | (seen & F_HOUR ? REBUY_DATE_HAS_TIME : 0u);
}

unsigned rebuy_date_parse(const char *s, size_t n, const struct rebuy_date_format *fmt, int64_t *ts,
                          int64_t *ts_alt)
{
	const uc *p = (const uc *)s, *e = p + n;
	int64_t t = 0;
	unsigned r;
	if (!s)
		return 0;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	switch (fmt ? fmt->kind : REBUY_DATE_AUTO) {
	case REBUY_DATE_AUTO: r = parse_auto(p, e, &t, ts_alt); break;
	case REBUY_DATE_ISO: r = parse_iso(p, e, &t); break;
	case REBUY_DATE_YMD8: r = parse_ymd8(p, e, &t); break;
	case REBUY_DATE_MDY: r = parse_ab(p, e, '/', 'm', &t); break;
	case REBUY_DATE_DMY:
		r = parse_ab(p, e, '/', 'd', &t);
		if (!r)
			r = parse_ab(p, e, '.', 'd', &t);
		break;
	case REBUY_DATE_UNIX: r = parse_unix(p, e, 1, &t); break;
	case REBUY_DATE_UNIX_MS: r = parse_unix(p, e, 1000, &t); break;
	case REBUY_DATE_PATTERN: r = parse_pattern(p, e, fmt->pattern, &t); break;
	default: r = 0; break;
	}
	if ((r & REBUY_DATE_OK) && ts)
		*ts = t;
	return r;
}

static int name_is(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (lower((uc)*a) != (uc)*b)
			return 0;
	return *a == *b;
}

enum rebuy_status rebuy_date_format_parse(const char *spec, struct rebuy_date_format *out,
                                          struct rebuy_error *err)
{
	static const struct {
		const char *name;
		enum rebuy_date_kind kind;
	} names[] = {{"auto", REBUY_DATE_AUTO},      {"iso", REBUY_DATE_ISO},
	             {"ymd", REBUY_DATE_YMD8},       {"mdy", REBUY_DATE_MDY},
	             {"dmy", REBUY_DATE_DMY},        {"unix", REBUY_DATE_UNIX},
	             {"unix_ms", REBUY_DATE_UNIX_MS}};
	if (!out)
		return rebuy_error_set(err, REBUY_EARG, "date format: no output given");
	memset(out, 0, sizeof *out);
	if (!spec)
		return rebuy_error_set(err, REBUY_EARG, "date format: none given");
	if (!strchr(spec, '%')) {
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			if (name_is(spec, names[i].name)) {
				out->kind = names[i].kind;
				return REBUY_OK;
			}
		return rebuy_error_set(
		        err, REBUY_EARG,
		        "unknown date format '%.64s' (expected auto, iso, ymd, mdy, dmy, "
		        "unix, unix_ms or a pattern such as %%d/%%m/%%Y)",
		        spec);
	}
	size_t len = strlen(spec);
	if (len >= REBUY_DATE_PATTERN_MAX)
		return rebuy_error_set(err, REBUY_EARG,
		                       "date format '%.64s...' is longer than %d characters", spec,
		                       REBUY_DATE_PATTERN_MAX - 1);
	int seen = 0;
	for (size_t i = 0; i < len; i++) {
		if (spec[i] != '%')
			continue;
		char c = spec[++i];
		int bit = c ? directive_bit(c) : -1;
		if (bit < 0)
			return rebuy_error_set(
			        err, REBUY_EARG,
			        "date format '%s': unknown directive '%%%.1s' (known: %%Y "
			        "%%y %%m %%b %%d %%H %%M %%S %%p %%%%)",
			        spec, c ? &spec[i] : "");
		if (seen & bit)
			return rebuy_error_set(
			        err, REBUY_EARG,
			        "date format '%s': '%%%c' gives a field given before", spec, c);
		seen |= bit;
	}
	if ((seen & (F_YEAR | F_MONTH)) != (F_YEAR | F_MONTH))
		return rebuy_error_set(
		        err, REBUY_EARG,
		        "date format '%s' needs a year (%%Y or %%y) and a month (%%m or "
		        "%%b)",
		        spec);
	if ((seen & F_AMPM) && !(seen & F_HOUR))
		return rebuy_error_set(err, REBUY_EARG, "date format '%s': %%p needs an hour (%%H)",
		                       spec);
	out->kind = REBUY_DATE_PATTERN;
	memcpy(out->pattern, spec, len + 1);
	return REBUY_OK;
}

/* ---- formatting --------------------------------------------------------- */

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

static char *put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

/* The year (4 digits when 0..9999, else in full), into p; returns the end. */
static char *put_year(char *p, int64_t y)
{
	if (y >= 0 && y <= 9999) {
		p = put2(p, (unsigned)(y / 100));
		return put2(p, (unsigned)(y % 100));
	}
	return p + snprintf(p, 24, "%05" PRId64, y); /* negative: sign and 4 digits */
}

static char *put_date(char *p, int64_t day)
{
	int64_t y;
	unsigned m, d;
	rebuy_civil_from_days(day, &y, &m, &d);
	p = put_year(p, y);
	*p++ = '-';
	p = put2(p, m);
	*p++ = '-';
	return put2(p, d);
}

size_t rebuy_format_day(int64_t day, char *buf, size_t size)
{
	char tmp[48];
	char *p = put_date(tmp, day);
	return emit(buf, size, tmp, (size_t)(p - tmp));
}

size_t rebuy_format_ts(int64_t ts, char *buf, size_t size)
{
	char tmp[48];
	int64_t day = rebuy_day_of(ts);
	int64_t rem = ts % REBUY_SECONDS_PER_DAY; /* not ts - day * 86400: it overflows */
	unsigned sec = (unsigned)(rem < 0 ? rem + REBUY_SECONDS_PER_DAY : rem);
	char *p = put_date(tmp, day);
	*p++ = ' ';
	p = put2(p, sec / 3600);
	*p++ = ':';
	p = put2(p, sec / 60 % 60);
	*p++ = ':';
	p = put2(p, sec % 60);
	return emit(buf, size, tmp, (size_t)(p - tmp));
}

/* ---- periods ------------------------------------------------------------ */

static const char *const period_names[] = {"day", "week", "month", "quarter", "year"};

enum rebuy_status rebuy_period_from_name(const char *name, enum rebuy_period *out,
                                         struct rebuy_error *err)
{
	for (int i = 0; name && i < 5; i++)
		if (name_is(name, period_names[i])) {
			if (out)
				*out = (enum rebuy_period)i;
			return REBUY_OK;
		}
	return rebuy_error_set(
	        err, REBUY_EARG,
	        "unknown period '%.64s' (expected day, week, month, quarter or year)",
	        name ? name : "");
}

const char *rebuy_period_name(enum rebuy_period p)
{
	return (unsigned)p < 5 ? period_names[p] : "unknown";
}

/* Day 0 (1970-01-01) is a Thursday, so Mondays are the days d with
 * (d + 3) % 7 == 0 and week 0 starts on 1969-12-29 (ISO 1970-W01). */
int64_t rebuy_period_index(enum rebuy_period p, int64_t day)
{
	int64_t y;
	unsigned m, d;
	switch (p) {
	case REBUY_PERIOD_WEEK: return floor_div(day + 3, 7);
	case REBUY_PERIOD_MONTH:
	case REBUY_PERIOD_QUARTER:
	case REBUY_PERIOD_YEAR:
		rebuy_civil_from_days(day, &y, &m, &d);
		if (p == REBUY_PERIOD_MONTH)
			return (y - 1970) * 12 + (int64_t)m - 1;
		if (p == REBUY_PERIOD_QUARTER)
			return (y - 1970) * 4 + (int64_t)(m - 1) / 3;
		return y - 1970;
	default: return day;
	}
}

int64_t rebuy_period_start(enum rebuy_period p, int64_t index)
{
	switch (p) {
	case REBUY_PERIOD_WEEK: return index * 7 - 3;
	case REBUY_PERIOD_MONTH:
		return rebuy_days_from_civil(1970 + floor_div(index, 12),
		                             (unsigned)(index - floor_div(index, 12) * 12) + 1, 1);
	case REBUY_PERIOD_QUARTER:
		return rebuy_days_from_civil(1970 + floor_div(index, 4),
		                             (unsigned)(index - floor_div(index, 4) * 4) * 3 + 1,
		                             1);
	case REBUY_PERIOD_YEAR: return rebuy_days_from_civil(1970 + index, 1, 1);
	default: return index;
	}
}

int rebuy_period_season(enum rebuy_period p)
{
	switch (p) {
	case REBUY_PERIOD_DAY: return 7;
	case REBUY_PERIOD_WEEK: return 52;
	case REBUY_PERIOD_MONTH: return 12;
	case REBUY_PERIOD_QUARTER: return 4;
	case REBUY_PERIOD_YEAR: return 1;
	}
	return 1;
}

size_t rebuy_period_label(enum rebuy_period p, int64_t index, char *buf, size_t size)
{
	char tmp[64];
	char *q = tmp;
	int64_t y;
	unsigned m, d;
	switch (p) {
	case REBUY_PERIOD_WEEK: {
		int64_t thursday = index * 7; /* the week's Thursday names its year */
		rebuy_civil_from_days(thursday, &y, &m, &d);
		int64_t week = (thursday - rebuy_days_from_civil(y, 1, 1)) / 7 + 1;
		q = put_year(q, y);
		*q++ = '-';
		*q++ = 'W';
		q = put2(q, (unsigned)week);
		break;
	}
	case REBUY_PERIOD_MONTH:
	case REBUY_PERIOD_QUARTER:
	case REBUY_PERIOD_YEAR:
		rebuy_civil_from_days(rebuy_period_start(p, index), &y, &m, &d);
		q = put_year(q, y);
		if (p == REBUY_PERIOD_MONTH) {
			*q++ = '-';
			q = put2(q, m);
		} else if (p == REBUY_PERIOD_QUARTER) {
			*q++ = '-';
			*q++ = 'Q';
			*q++ = (char)('1' + (m - 1) / 3);
		}
		break;
	default: q = put_date(q, index); break;
	}
	return emit(buf, size, tmp, (size_t)(q - tmp));
}
