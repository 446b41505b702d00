/* Fuzz target for the value parsers of date.h and money.h: every date kind,
 * patterns taken from the input, money with both decimal separators, money
 * products and number formatting. Besides crashes and sanitizer reports it
 * checks invariants: parsed values stay in range, formatted values read back
 * exactly, padding with spaces changes nothing, AUTO agrees with the explicit
 * kinds, and the period functions agree with each other.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/date.h"
#include "rebuy/money.h"

#define TS_MIN INT64_C(-62135596800) /* 0001-01-01T00:00:00 */
#define TS_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59 */

#define CHECK(cond)                                                                         \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "fuzz_values: %s:%d: check failed: %s\n", __FILE__, \
			        __LINE__, #cond);                                           \
			abort();                                                            \
		}                                                                           \
	} while (0)

/* The input with a space before and after it, for the padding checks. */
static char padded[4096 + 2];

static unsigned parse_kind(enum rebuy_date_kind kind, const char *s, size_t n, int64_t *ts,
                           int64_t *alt)
{
	struct rebuy_date_format f;
	memset(&f, 0, sizeof f);
	f.kind = kind;
	return rebuy_date_parse(s, n, &f, ts, alt);
}

static void check_periods(int64_t day)
{
	char label[32];
	for (int p = REBUY_PERIOD_DAY; p <= REBUY_PERIOD_YEAR; p++) {
		enum rebuy_period period = (enum rebuy_period)p;
		int64_t idx = rebuy_period_index(period, day);
		int64_t start = rebuy_period_start(period, idx);
		CHECK(start <= day && day < rebuy_period_start(period, idx + 1));
		CHECK(rebuy_period_index(period, start) == idx);
		size_t n = rebuy_period_label(period, idx, label, sizeof label);
		CHECK(n >= 4 && n < 16 && strlen(label) == n);
	}
}

/* A timestamp that was read: in range, written and read back unchanged. */
static void check_timestamp(int64_t ts)
{
	char buf[48];
	int64_t back = 0;
	CHECK(ts >= TS_MIN && ts <= TS_MAX);
	size_t n = rebuy_format_ts(ts, buf, sizeof buf);
	CHECK(n == 19);
	CHECK(rebuy_date_parse(buf, n, NULL, &back, NULL) == (REBUY_DATE_OK | REBUY_DATE_HAS_TIME));
	CHECK(back == ts);
	int64_t day = rebuy_day_of(ts);
	n = rebuy_format_day(day, buf, sizeof buf);
	CHECK(n == 10);
	CHECK(parse_kind(REBUY_DATE_ISO, buf, n, &back, NULL) == REBUY_DATE_OK);
	CHECK(back == day * REBUY_SECONDS_PER_DAY);
	check_periods(day);
}

static void fuzz_dates(const char *s, size_t n)
{
	int64_t ts = 0, alt = 0, pts = 0, palt = 0;
	unsigned ok_kinds = 0;
	int64_t kind_ts[REBUY_DATE_PATTERN] = {0};
	for (int k = REBUY_DATE_ISO; k < REBUY_DATE_PATTERN; k++) {
		unsigned r = parse_kind((enum rebuy_date_kind)k, s, n, &kind_ts[k], NULL);
		CHECK((r & (REBUY_DATE_SLASH | REBUY_DATE_MDY_VALID | REBUY_DATE_DMY_VALID)) == 0);
		if (r & REBUY_DATE_OK) {
			ok_kinds |= 1u << k;
			check_timestamp(kind_ts[k]);
		} else {
			CHECK(r == 0);
		}
	}

	unsigned r = parse_kind(REBUY_DATE_AUTO, s, n, &ts, &alt);
	CHECK(r == 0 || (r & REBUY_DATE_OK));
	if (r & REBUY_DATE_SLASH) {
		CHECK(r & (REBUY_DATE_MDY_VALID | REBUY_DATE_DMY_VALID));
		check_timestamp(ts);
		if (r & REBUY_DATE_MDY_VALID) {
			CHECK(ok_kinds & (1u << REBUY_DATE_MDY));
			CHECK(ts == kind_ts[REBUY_DATE_MDY]);
		} else {
			CHECK(!(ok_kinds & (1u << REBUY_DATE_MDY)));
		}
		if (r & REBUY_DATE_DMY_VALID) {
			CHECK(ok_kinds & (1u << REBUY_DATE_DMY));
			CHECK(alt == kind_ts[REBUY_DATE_DMY]);
			if (!(r & REBUY_DATE_MDY_VALID))
				CHECK(ts == alt);
		} else {
			CHECK(!(ok_kinds & (1u << REBUY_DATE_DMY)));
		}
	} else if (r & REBUY_DATE_OK) {
		CHECK((r & (REBUY_DATE_MDY_VALID | REBUY_DATE_DMY_VALID)) == 0);
		/* every AUTO reading but YYYY/MM/DD is one of the explicit kinds */
		int found = memchr(s, '/', n) != NULL;
		for (int k = REBUY_DATE_ISO; k < REBUY_DATE_PATTERN; k++)
			if ((ok_kinds & (1u << k)) && kind_ts[k] == ts)
				found = 1;
		CHECK(found);
		check_timestamp(ts);
	} else {
		CHECK(r == 0);
	}

	/* spaces around the value change nothing */
	if (n + 2 <= sizeof padded) {
		padded[0] = ' ';
		memcpy(padded + 1, s, n);
		padded[n + 1] = ' ';
		unsigned pr = parse_kind(REBUY_DATE_AUTO, padded, n + 2, &pts, &palt);
		CHECK(pr == r);
		if (r & REBUY_DATE_OK)
			CHECK(pts == ts);
		if (r & REBUY_DATE_DMY_VALID)
			CHECK(palt == alt);
	}
}

/* The input split at its first newline: a --date-format spec, then a value. */
static void fuzz_pattern(const char *s, size_t n)
{
	char spec[128];
	const char *nl = memchr(s, '\n', n);
	size_t k = nl ? (size_t)(nl - s) : n;
	if (k >= sizeof spec || memchr(s, '\0', k))
		return;
	memcpy(spec, s, k);
	spec[k] = '\0';
	struct rebuy_date_format f;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	enum rebuy_status st = rebuy_date_format_parse(spec, &f, &err);
	if (st != REBUY_OK) {
		CHECK(st == REBUY_EARG && err.code == REBUY_EARG && err.msg[0] != '\0');
		CHECK(strchr(err.msg, '\n') == NULL);
		return;
	}
	CHECK(f.kind <= REBUY_DATE_PATTERN);
	const char *v = nl ? nl + 1 : s + n;
	size_t vn = (size_t)(s + n - v);
	int64_t ts = 0;
	unsigned r = rebuy_date_parse(v, vn, &f, &ts, NULL);
	if (f.kind == REBUY_DATE_PATTERN) {
		CHECK(memchr(f.pattern, '\0', sizeof f.pattern) != NULL);
		CHECK(r == 0 || (r & ~(unsigned)REBUY_DATE_HAS_TIME) == REBUY_DATE_OK);
	}
	if (r & REBUY_DATE_OK)
		check_timestamp(ts);
}

static void fuzz_money(const char *s, size_t n, char decimal)
{
	int64_t v = 1, back = 1, pv = 1;
	char buf[32];
	enum rebuy_num_result r = rebuy_money_parse(s, n, decimal, &v);
	CHECK(r <= REBUY_NUM_RANGE);
	if (n + 2 <= sizeof padded) {
		padded[0] = ' ';
		memcpy(padded + 1, s, n);
		padded[n + 1] = ' ';
		CHECK(rebuy_money_parse(padded, n + 2, decimal, &pv) == r && pv == v);
	}
	if (r == REBUY_NUM_BAD || r == REBUY_NUM_RANGE) {
		CHECK(v == 0);
		return;
	}
	CHECK(v != INT64_MIN);
	size_t len = rebuy_money_format(v, buf, sizeof buf);
	CHECK(len > 0 && len < 24 && strlen(buf) == len);
	CHECK(rebuy_money_parse(buf, len, '.', &back) == REBUY_NUM_OK && back == v);
	char *dot = strchr(buf, '.');
	if (dot)
		*dot = ',';
	CHECK(rebuy_money_parse(buf, len, ',', &back) == REBUY_NUM_OK && back == v);
	/* x 1 is exact; the negation reads back as the negation */
	CHECK(rebuy_money_mul(v, REBUY_MONEY_SCALE, &back) == REBUY_NUM_OK && back == v);
	buf[0] = '-';
	len = rebuy_money_format(v, buf + 1, sizeof buf - 1);
	if (buf[1] == '-')
		CHECK(rebuy_money_parse(buf + 2, len - 1, '.', &back) == REBUY_NUM_OK &&
		      back == -v);
	else
		CHECK(rebuy_money_parse(buf, len + 1, '.', &back) == REBUY_NUM_OK && back == -v);
}

/* An independent rounding of a * b / 10000, half to even, on __int128. */
static enum rebuy_num_result ref_mul(int64_t a, int64_t b, int64_t *out)
{
	__int128 p = (__int128)a * b;
	__int128 q = p / 10000, r = p % 10000; /* truncated toward zero */
	if (r < 0) {
		q -= 1;
		r += 10000;
	}
	if (2 * r > 10000 || (2 * r == 10000 && (q & 1)))
		q += 1;
	if (q > INT64_MAX || q < -(__int128)INT64_MAX)
		return REBUY_NUM_RANGE;
	*out = (int64_t)q;
	return r ? REBUY_NUM_ROUNDED : REBUY_NUM_OK;
}

static void fuzz_numbers(const uint8_t *data, size_t size)
{
	if (size < 16)
		return;
	int64_t a, b, got = 0, want = 0, swapped = 0;
	memcpy(&a, data, 8);
	memcpy(&b, data + 8, 8);
	enum rebuy_num_result r = rebuy_money_mul(a, b, &got);
	enum rebuy_num_result rr = ref_mul(a, b, &want);
	CHECK(r == rr);
	CHECK(r == REBUY_NUM_RANGE ? got == 0 : got == want);
	CHECK(rebuy_money_mul(b, a, &swapped) == r && swapped == got);

	char buf[32];
	size_t n = rebuy_money_format(a, buf, sizeof buf);
	CHECK(n > 0 && n < 24);
	if (a != INT64_MIN) {
		CHECK(rebuy_money_parse(buf, n, '.', &got) == REBUY_NUM_OK && got == a);
	}

	double d;
	memcpy(&d, data, sizeof d);
	n = rebuy_format_double(d, buf, sizeof buf);
	CHECK(n > 0 && n < 25 && strlen(buf) == n);
	if (isnan(d)) {
		CHECK(strcmp(buf, "nan") == 0);
	} else {
		double back = strtod(buf, NULL);
		CHECK(memcmp(&back, &d, sizeof d) == 0);
	}

	/* any timestamp and day number formats without overflow */
	n = rebuy_format_ts(a, buf, sizeof buf);
	CHECK(n >= 19 && n < sizeof buf);
	n = rebuy_format_day(b, buf, sizeof buf);
	CHECK(n >= 10 && n < sizeof buf);
	int64_t y;
	unsigned m, dd;
	rebuy_civil_from_days(b, &y, &m, &dd);
	CHECK(m >= 1 && m <= 12 && dd >= 1 && dd <= 31);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	fuzz_dates(s, size);
	fuzz_pattern(s, size);
	fuzz_money(s, size, '.');
	fuzz_money(s, size, ',');
	fuzz_numbers(data, size);
	return 0;
}
