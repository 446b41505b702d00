/* Unit tests for exact money and number text (include/rebuy/money.h).
 * Expected unit counts are worked out by hand from the decimal text (one
 * unit = 0.0001); the half-to-even cases name the tie they exercise. The
 * %.15g/%.16g/%.17g expectations were computed with Python's '%.*g'. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/money.h"

struct parse_case {
	const char *text;
	int64_t units;
	enum rebuy_num_result result;
};

static void check_cases(const struct parse_case *cases, size_t n, char decimal)
{
	for (size_t i = 0; i < n; i++) {
		int64_t v = 12345;
		enum rebuy_num_result r =
		        rebuy_money_parse(cases[i].text, strlen(cases[i].text), decimal, &v);
		if (r != cases[i].result || v != cases[i].units)
			fail_msg("'%s' (decimal '%c'): got %lld result %d, want %lld result %d",
			         cases[i].text, decimal, (long long)v, (int)r,
			         (long long)cases[i].units, (int)cases[i].result);
	}
}

#define CHECK(cases, decimal) check_cases(cases, sizeof cases / sizeof cases[0], decimal)

static void test_money__plain_decimals_are_exact(void **state)
{
	(void)state;
	static const struct parse_case cases[] = {
	        {"12.5", 125000, REBUY_NUM_OK},
	        {"0", 0, REBUY_NUM_OK},
	        {"-0", 0, REBUY_NUM_OK},
	        {"+0.0000", 0, REBUY_NUM_OK},
	        {"+3", 30000, REBUY_NUM_OK},
	        {"3.", 30000, REBUY_NUM_OK},
	        {".5", 5000, REBUY_NUM_OK},
	        {"-.5", -5000, REBUY_NUM_OK},
	        {"00012.50", 125000, REBUY_NUM_OK},
	        {"1234.5678", 12345678, REBUY_NUM_OK},
	        {"-0.0001", -1, REBUY_NUM_OK},
	        {"0.00010000000000000000000000", 1, REBUY_NUM_OK},
	        {"000000000000000000000000000000000001", 10000, REBUY_NUM_OK},
	        {" 12.5 ", 125000, REBUY_NUM_OK},
	        {"\t-7\t", -70000, REBUY_NUM_OK},
	        {"(12.50)", -125000, REBUY_NUM_OK},
	        {"(0.5)", -5000, REBUY_NUM_OK},
	        {" (3) ", -30000, REBUY_NUM_OK},
	};
	CHECK(cases, '.');
}

static void test_money__exponents_move_the_decimal_point(void **state)
{
	(void)state;
	static const struct parse_case cases[] = {
	        {"1e3", 10000000, REBUY_NUM_OK},
	        {"1.5E-2", 150, REBUY_NUM_OK},
	        {"1.5E+3", 15000000, REBUY_NUM_OK},
	        {"1E0", 10000, REBUY_NUM_OK},
	        {"2e-4", 2, REBUY_NUM_OK},
	        {"-2e-4", -2, REBUY_NUM_OK},
	        {".5e1", 50000, REBUY_NUM_OK},
	        {"5.e1", 500000, REBUY_NUM_OK},
	        {"0.000001e10", 100000000, REBUY_NUM_OK},
	        {"12345e-8", 1, REBUY_NUM_ROUNDED}, /* 1.2345 units */
	        {"9e14", INT64_C(9000000000000000000), REBUY_NUM_OK},
	        {"1e0000000000000000000000000000000003", 10000000, REBUY_NUM_OK},
	        /* huge exponents end quickly and never overflow */
	        {"0e999999999", 0, REBUY_NUM_OK},
	        {"0.0e-5", 0, REBUY_NUM_OK},
	        {"1e999999999", 0, REBUY_NUM_RANGE},
	        {"1e99999999999999999999999999999999999999", 0, REBUY_NUM_RANGE},
	        {"1e-999999999", 0, REBUY_NUM_ROUNDED},
	        {"-1e-999999999", 0, REBUY_NUM_ROUNDED},
	        {"1e-99999999999999999999999999999999999999", 0, REBUY_NUM_ROUNDED},
	        {"0.000000000000000000001e21", 10000, REBUY_NUM_OK},
	};
	CHECK(cases, '.');
}

static void test_money__extra_decimals_round_half_to_even(void **state)
{
	(void)state;
	static const struct parse_case cases[] = {
	        {"-0.00005", 0, REBUY_NUM_ROUNDED},  /* -0.5 units: tie, 0 is even, no -0 */
	        {"0.00005", 0, REBUY_NUM_ROUNDED},   /* 0.5: tie to 0 */
	        {"0.00015", 2, REBUY_NUM_ROUNDED},   /* 1.5: tie to 2 */
	        {"0.00025", 2, REBUY_NUM_ROUNDED},   /* 2.5: tie to 2 */
	        {"0.00035", 4, REBUY_NUM_ROUNDED},   /* 3.5: tie to 4 */
	        {"-0.00015", -2, REBUY_NUM_ROUNDED}, /* -1.5: tie to -2 */
	        {"-0.00025", -2, REBUY_NUM_ROUNDED}, /* -2.5: tie to -2 */
	        {"2.5e-4", 2, REBUY_NUM_ROUNDED},    /* 2.5 through the exponent */
	        {"3.5e-4", 4, REBUY_NUM_ROUNDED},
	        {"0.000250001", 3, REBUY_NUM_ROUNDED}, /* just above the tie */
	        {"0.000050000000000000000000000000001", 1, REBUY_NUM_ROUNDED},
	        {"0.00004999999999999999999", 0, REBUY_NUM_ROUNDED}, /* just below */
	        {"0.00006", 1, REBUY_NUM_ROUNDED},
	        {"-0.00006", -1, REBUY_NUM_ROUNDED},
	        {"0.00001", 0, REBUY_NUM_ROUNDED},
	        {"1.23456", 12346, REBUY_NUM_ROUNDED},
	        {"1.23455", 12346, REBUY_NUM_ROUNDED}, /* 12345.5: tie to 12346 */
	        {"1.23465", 12346, REBUY_NUM_ROUNDED}, /* 12346.5: tie to 12346 */
	        {"0.99995", 10000, REBUY_NUM_ROUNDED}, /* 9999.5: tie to 10000 */
	        {"0.00000000000000000000000000001", 0, REBUY_NUM_ROUNDED},
	        {"1.00000000000000000000000000000", 10000, REBUY_NUM_OK},
	};
	CHECK(cases, '.');
}

static void test_money__int64_edges(void **state)
{
	(void)state;
	static const struct parse_case cases[] = {
	        {"922337203685477.5807", INT64_MAX, REBUY_NUM_OK},
	        {"-922337203685477.5807", -INT64_MAX, REBUY_NUM_OK},
	        {"922337203685477.5808", 0, REBUY_NUM_RANGE},
	        {"-922337203685477.5808", 0, REBUY_NUM_RANGE}, /* INT64_MIN is never produced */
	        {"922337203685477.58074", INT64_MAX, REBUY_NUM_ROUNDED},
	        {"922337203685477.580749999", INT64_MAX, REBUY_NUM_ROUNDED},
	        {"922337203685477.58075", 0, REBUY_NUM_RANGE}, /* tie, INT64_MAX is odd: up */
	        {"922337203685477.5806500", INT64_MAX - 1, REBUY_NUM_ROUNDED}, /* tie, even */
	        {"9223372036854775807e-4", INT64_MAX, REBUY_NUM_OK},
	        {"922337203685477580.7e-3", INT64_MAX, REBUY_NUM_OK},
	        {"92233720368547.75807e1", INT64_MAX, REBUY_NUM_OK},
	        {"1e15", 0, REBUY_NUM_RANGE},
	        {"1000000000000000", 0, REBUY_NUM_RANGE},
	        {"922337203685477", INT64_C(9223372036854770000), REBUY_NUM_OK},
	        {"999999999999999", 0, REBUY_NUM_RANGE},
	        {"99999999999999999999999", 0, REBUY_NUM_RANGE},
	        {"-99999999999999999999999.5", 0, REBUY_NUM_RANGE},
	        {"0.0000000000000000001e33", INT64_C(1000000000000000000), REBUY_NUM_OK},
	        {"0.0000000000000000001e34", 0, REBUY_NUM_RANGE},
	};
	CHECK(cases, '.');
}

static void test_money__rejects_what_is_not_a_number(void **state)
{
	(void)state;
	static const char *const bad[] = {
	        "",
	        " ",
	        "-",
	        "+",
	        ".",
	        "-.",
	        "+.",
	        "1.2.3",
	        "1,234.56",
	        "1,5",
	        "$12",
	        "12$",
	        "12 EUR",
	        "1e",
	        "1e+",
	        "e5",
	        "E5",
	        ".e5",
	        "1.5e",
	        "--1",
	        "+-1",
	        "-+1",
	        "(-1)",
	        "(+1)",
	        "(1",
	        "1)",
	        "()",
	        "( 1)",
	        "(1 )",
	        "-(1)",
	        "(1)-",
	        "1 234",
	        "0x10",
	        "inf",
	        "nan",
	        "Infinity",
	        "1_000",
	        "12abc",
	        "1e5.5",
	        "1.5 e3",
	        "1.5e 3",
	        "1e--3",
	        "12-",
	        "1'000",
	        "\xd9\xa1",
	        ("1\xc2\xa0"
	         "234.5"),
	        "1.5\n",
	        "1 2",
	        "\x00",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t v = 7;
		size_t n = strlen(bad[i]);
		if (i == sizeof bad / sizeof bad[0] - 1)
			n = 1; /* a lone NUL byte */
		enum rebuy_num_result r = rebuy_money_parse(bad[i], n, '.', &v);
		if (r != REBUY_NUM_BAD)
			fail_msg("'%s' read as %lld (result %d)", bad[i], (long long)v, (int)r);
		assert_int_equal(v, 0);
	}
	/* only '.' and ',' are decimal separators */
	assert_int_equal(rebuy_money_parse("1;5", 3, ';', NULL), REBUY_NUM_BAD);
	assert_int_equal(rebuy_money_parse("15", 2, 0, NULL), REBUY_NUM_BAD);
	assert_int_equal(rebuy_money_parse(NULL, 0, '.', NULL), REBUY_NUM_BAD);
}

static void test_money__parse_reads_only_the_given_length(void **state)
{
	(void)state;
	int64_t v = 0;
	assert_int_equal(rebuy_money_parse("12.5xyz", 4, '.', &v), REBUY_NUM_OK);
	assert_int_equal(v, 125000);
	assert_int_equal(rebuy_money_parse("12.5e3", 5, '.', &v), REBUY_NUM_BAD);
	assert_int_equal(rebuy_money_parse("(12)", 3, '.', &v), REBUY_NUM_BAD);
	assert_int_equal(rebuy_money_parse("12", 0, '.', &v), REBUY_NUM_BAD);
	/* out may be NULL */
	assert_int_equal(rebuy_money_parse("0.00015", 7, '.', NULL), REBUY_NUM_ROUNDED);
}

static void test_money__decimal_comma_with_digit_groups(void **state)
{
	(void)state;
	static const struct parse_case cases[] = {
	        {"12,5", 125000, REBUY_NUM_OK},
	        {"1 234,56", 12345600, REBUY_NUM_OK},
	        {"1\xc2\xa0"
	         "234,56",
	         12345600, REBUY_NUM_OK}, /* U+00A0 */
	        {"1\xe2\x80\xaf"
	         "234,56",
	         12345600, REBUY_NUM_OK}, /* U+202F */
	        {"1 234 567,891", 12345678910, REBUY_NUM_OK},
	        {"12 345\xc2\xa0"
	         "678",
	         123456780000, REBUY_NUM_OK},
	        {"-1 234,5", -12345000, REBUY_NUM_OK},
	        {"(1 234,50)", -12345000, REBUY_NUM_OK},
	        {"1 234", 12340000, REBUY_NUM_OK},
	        {"123 456", 1234560000, REBUY_NUM_OK},
	        {" 1 234,5 ", 12345000, REBUY_NUM_OK},
	        {"1234,5", 12345000, REBUY_NUM_OK},
	        {"1,5e2", 1500000, REBUY_NUM_OK},
	        {",5", 5000, REBUY_NUM_OK},
	        {"0,00015", 2, REBUY_NUM_ROUNDED},
	        {"1 234,567 8", 0, REBUY_NUM_BAD}, /* no groups in the fraction */
	        {"12 34,5", 0, REBUY_NUM_BAD},     /* groups of 3 only */
	        {"1234 567,5", 0, REBUY_NUM_BAD},  /* a first group of at most 3 */
	        {"1 23,5", 0, REBUY_NUM_BAD},
	        {"1 2345,5", 0, REBUY_NUM_BAD},
	        {"1 23 456,5", 0, REBUY_NUM_BAD},   /* a short middle group */
	        {"1 2345 678,5", 0, REBUY_NUM_BAD}, /* a long middle group */
	        {"1  234,5", 0, REBUY_NUM_BAD},
	        {"1 234 ,5", 0, REBUY_NUM_BAD},
	        {"1\xc2\xa0", 0, REBUY_NUM_BAD},
	        {"1\xc2", 0, REBUY_NUM_BAD},
	        {"1\xe2\x80", 0, REBUY_NUM_BAD},
	        {"\xc2\xa0"
	         "1",
	         0, REBUY_NUM_BAD},
	        {"1.5", 0, REBUY_NUM_BAD},            /* a point groups thousands here */
	        {"1.234,56", 12345600, REBUY_NUM_OK}, /* German, Russian Excel */
	        {"1.234.567,8", 12345678000, REBUY_NUM_OK},
	        {"-1.234", -12340000, REBUY_NUM_OK},
	        {"1.23,5", 0, REBUY_NUM_BAD},
	        {"1.234 567,5", 12345675000, REBUY_NUM_OK}, /* any group mark, per group */
	        {"1,234.56", 0, REBUY_NUM_BAD},
	        {"1,2,3", 0, REBUY_NUM_BAD},
	        {",", 0, REBUY_NUM_BAD},
	        {"1 234e", 0, REBUY_NUM_BAD},
	};
	CHECK(cases, ',');
}

static void test_money__mul_rounds_half_to_even(void **state)
{
	(void)state;
	static const struct {
		int64_t a, b, want;
		enum rebuy_num_result result;
	} cases[] = {
	        {20000, 125000, 250000, REBUY_NUM_OK}, /* 2 x 12.5 = 25 */
	        {30000, 3333, 9999, REBUY_NUM_OK},     /* 3 x 0.3333 */
	        {-20000, 125000, -250000, REBUY_NUM_OK},
	        {-20000, -125000, 250000, REBUY_NUM_OK},
	        {0, 123456789, 0, REBUY_NUM_OK},
	        {1, 1, 0, REBUY_NUM_ROUNDED},     /* 0.0001 units */
	        {5000, 1, 0, REBUY_NUM_ROUNDED},  /* 0.5 units: tie to 0 */
	        {15000, 1, 2, REBUY_NUM_ROUNDED}, /* 1.5: tie to 2 */
	        {25000, 1, 2, REBUY_NUM_ROUNDED}, /* 2.5: tie to 2 */
	        {-15000, 1, -2, REBUY_NUM_ROUNDED},
	        {-25000, 1, -2, REBUY_NUM_ROUNDED},
	        {-5000, 1, 0, REBUY_NUM_ROUNDED}, /* no -0 */
	        {5001, 1, 1, REBUY_NUM_ROUNDED},
	        {4999, 1, 0, REBUY_NUM_ROUNDED},
	        {33333, 33333, 111109, REBUY_NUM_ROUNDED}, /* 3.3333^2 = 11.11088889 */
	        {100000000, 100000000, 1000000000000, REBUY_NUM_OK},
	        {INT64_MAX, 10000, INT64_MAX, REBUY_NUM_OK},
	        {-INT64_MAX, 10000, -INT64_MAX, REBUY_NUM_OK},
	        {INT64_MAX, 10001, 0, REBUY_NUM_RANGE},
	        {INT64_MIN, 10000, 0, REBUY_NUM_RANGE}, /* |result| = 2^63 */
	        {INT64_MIN, INT64_MIN, 0, REBUY_NUM_RANGE},
	        {INT64_MAX, INT64_MAX, 0, REBUY_NUM_RANGE},
	        {INT64_MIN, 1, -922337203685478, REBUY_NUM_ROUNDED}, /* ...477.5808 up */
	        {INT64_MAX, 1, 922337203685478, REBUY_NUM_ROUNDED},  /* ...477.5807 up */
	        {INT64_MAX, 5000, 4611686018427387904,
	         REBUY_NUM_ROUNDED}, /* ...903.5: tie, up to even */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t v = 7;
		enum rebuy_num_result r = rebuy_money_mul(cases[i].a, cases[i].b, &v);
		if (r != cases[i].result || v != cases[i].want)
			fail_msg("%lld x %lld: got %lld result %d, want %lld result %d",
			         (long long)cases[i].a, (long long)cases[i].b, (long long)v, (int)r,
			         (long long)cases[i].want, (int)cases[i].result);
	}
	assert_int_equal(rebuy_money_mul(2, 3, NULL), REBUY_NUM_ROUNDED);
}

static uint64_t rng_state = UINT64_C(0x2545F4914F6CDD1D);
static uint64_t rng_next(void)
{
	/* xorshift64*, fixed seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

static void test_money__mul_matches_exact_integer_arithmetic(void **state)
{
	(void)state;
	/* For |a|, |b| < 2^31 the product fits in int64, so the rounding can be
	 * checked with floor division and twice-the-remainder comparisons. */
	for (int i = 0; i < 200000; i++) {
		int64_t a = (int64_t)(rng_next() % (UINT64_C(1) << 32)) - (INT64_C(1) << 31);
		int64_t b = (int64_t)(rng_next() % (UINT64_C(1) << 32)) - (INT64_C(1) << 31);
		if (i % 4 == 0)
			b = (int64_t)(rng_next() % 100000) - 50000; /* more ties and small values */
		int64_t p = a * b;
		int64_t q = p / 10000, r = p % 10000;
		if (r < 0) {
			q -= 1;
			r += 10000;
		}
		/* now p = q * 10000 + r with 0 <= r < 10000 */
		if (2 * r > 10000 || (2 * r == 10000 && (q % 2 != 0)))
			q += 1;
		int64_t v;
		enum rebuy_num_result res = rebuy_money_mul(a, b, &v);
		if (v != q || res != (r ? REBUY_NUM_ROUNDED : REBUY_NUM_OK))
			fail_msg("%lld x %lld: got %lld, want %lld", (long long)a, (long long)b,
			         (long long)v, (long long)q);
	}
}

static void test_money__format_writes_the_exact_decimal(void **state)
{
	(void)state;
	static const struct {
		int64_t v;
		const char *text;
	} cases[] = {
	        {125000, "12.5"},
	        {-1, "-0.0001"},
	        {30000, "3"},
	        {0, "0"},
	        {12345678, "1234.5678"},
	        {10, "0.001"},
	        {1000, "0.1"},
	        {-10000, "-1"},
	        {10001, "1.0001"},
	        {-990000, "-99"},
	        {INT64_MAX, "922337203685477.5807"},
	        {INT64_MIN, "-922337203685477.5808"},
	};
	char buf[24];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = rebuy_money_format(cases[i].v, buf, sizeof buf);
		assert_string_equal(buf, cases[i].text);
		assert_int_equal(n, strlen(cases[i].text));
	}
	memset(buf, '#', sizeof buf);
	assert_int_equal(rebuy_money_format(125000, buf, 3), 2);
	assert_string_equal(buf, "12");
	assert_int_equal(buf[3], '#');
	assert_int_equal(rebuy_money_format(125000, buf, 0), 0);
	assert_int_equal(rebuy_money_format(125000, NULL, 0), 0);
}

static void test_money__format_and_parse_round_trip(void **state)
{
	(void)state;
	char buf[24];
	for (int i = 0; i < 300000; i++) {
		int64_t v = (int64_t)rng_next();
		if (i % 3 == 1)
			v %= 100000000; /* small amounts, many with short fractions */
		if (i % 3 == 2)
			v = v % 1000 * 100;
		if (v == INT64_MIN)
			continue;
		size_t n = rebuy_money_format(v, buf, sizeof buf);
		int64_t back = 0;
		if (rebuy_money_parse(buf, n, '.', &back) != REBUY_NUM_OK || back != v)
			fail_msg("%lld -> '%s' -> %lld", (long long)v, buf, (long long)back);
		char *dot = strchr(buf, '.');
		if (dot)
			*dot = ',';
		if (rebuy_money_parse(buf, n, ',', &back) != REBUY_NUM_OK || back != v)
			fail_msg("%lld -> '%s' (decimal comma) -> %lld", (long long)v, buf,
			         (long long)back);
	}
}

static void test_money__format_double_uses_fewest_digits(void **state)
{
	(void)state;
	static const struct {
		double v;
		const char *text;
	} cases[] = {
	        {0.1, "0.1"},
	        {1.0, "1"},
	        {0.1 + 0.2, "0.30000000000000004"},
	        {1e21, "1e+21"},
	        {-2.5, "-2.5"},
	        {5e-324, "4.94065645841247e-324"},
	        {1.0 / 3.0, "0.3333333333333333"},
	        {123456789.123, "123456789.123"},
	        {1e-7, "1e-07"},
	        {100.0, "100"},
	        {1e15, "1e+15"},
	        {9007199254740992.0, "9007199254740992"},
	        {1.7976931348623157e308, "1.7976931348623157e+308"},
	        {-0.0, "-0"},
	        {0.0, "0"},
	};
	char buf[32];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = rebuy_format_double(cases[i].v, buf, sizeof buf);
		assert_string_equal(buf, cases[i].text);
		assert_int_equal(n, strlen(cases[i].text));
	}
	rebuy_format_double(NAN, buf, sizeof buf);
	assert_string_equal(buf, "nan");
	rebuy_format_double(INFINITY, buf, sizeof buf);
	assert_string_equal(buf, "inf");
	rebuy_format_double(-INFINITY, buf, sizeof buf);
	assert_string_equal(buf, "-inf");
	assert_int_equal(rebuy_format_double(0.1, buf, 2), 1);
	assert_string_equal(buf, "0");
}

/* Significant digits of a %g rendering. */
static int sig_digits(const char *s)
{
	int n = 0, started = 0;
	for (; *s && *s != 'e'; s++) {
		if (*s >= '1' && *s <= '9')
			started = 1;
		if (started && *s >= '0' && *s <= '9')
			n++;
	}
	return n;
}

static void test_money__format_double_round_trips_random_doubles(void **state)
{
	(void)state;
	char buf[32], shorter[320]; /* %g of any precision fits */
	int n_checked = 0;
	for (int i = 0; i < 200000; i++) {
		uint64_t bits = rng_next();
		double v;
		if (i % 2) {
			v = (double)(int64_t)(rng_next() % 2000000) / 100.0; /* money-like */
		} else {
			memcpy(&v, &bits, sizeof v); /* any bit pattern */
			if (!isfinite(v))
				continue;
		}
		size_t n = rebuy_format_double(v, buf, sizeof buf);
		assert_true(n > 0 && n < 25);
		double back = strtod(buf, NULL);
		if (memcmp(&back, &v, sizeof v) != 0)
			fail_msg("%a -> '%s' -> %a", v, buf, back);
		/* fewest: one digit fewer (when 16 or 17 were used) does not read back */
		int digits = sig_digits(buf);
		if (digits > 15) {
			snprintf(shorter, sizeof shorter, "%.*g", digits - 1, v);
			assert_true(strtod(shorter, NULL) != v);
		}
		n_checked++;
	}
	assert_true(n_checked > 150000);
}

/* The obvious way: %.15g, %.16g, %.17g in turn, the first that reads back. */
static void format_double_reference(double v, char *out, size_t size)
{
	for (int p = 15; p <= 17; p++) {
		snprintf(out, size, "%.*g", p, v);
		if (p == 17 || strtod(out, NULL) == v)
			return;
	}
}

/* The exact fast path (one fma product, Clinger's check) gives the bytes of
 * the obvious way: on values of every size, near powers of ten and near
 * rounding ties of 15, 16 and 17 digits. */
static void test_money__format_double_matches_printf_reference(void **state)
{
	(void)state;
	char got[40], want[400];
	long n_checked = 0;
	for (int i = 0; i < 1500000; i++) {
		double v;
		uint64_t u = rng_next();
		switch (i % 6) {
		case 0: /* log-uniform over [1e-7, 1e17] */
			v = pow(10.0, -7.0 + 24.0 * (double)(u >> 11) / 9007199254740992.0);
			break;
		case 1: /* money-like */
			v = (double)(int64_t)(u % 100000000) / 100.0;
			break;
		case 2: /* a probability */
			v = (double)(u >> 11) / 9007199254740992.0;
			break;
		case 3: { /* next to a power of ten */
			double p = pow(10.0, (double)((int)(u % 30) - 8));
			v = (u >> 40) & 1 ? nextafter(p, 0) : nextafter(p, INFINITY);
			break;
		}
		case 4: /* a short decimal, then a neighbour: near 15- and 16-digit ties */
			v = (double)(int64_t)(u % 1000000000000000) / pow(10.0, (double)(u >> 60));
			if ((u >> 59) & 1)
				v = nextafter(v, INFINITY);
			break;
		default:
			memcpy(&v, &u, sizeof v);
			if (!isfinite(v))
				continue;
		}
		if ((u >> 63) & 1)
			v = -v;
		rebuy_format_double(v, got, sizeof got);
		format_double_reference(v, want, sizeof want);
		if (strcmp(got, want) != 0)
			fail_msg("%a: '%s', printf way '%s'", v, got, want);
		n_checked++;
	}
	assert_true(n_checked > 1400000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_money__plain_decimals_are_exact),
	        cmocka_unit_test(test_money__exponents_move_the_decimal_point),
	        cmocka_unit_test(test_money__extra_decimals_round_half_to_even),
	        cmocka_unit_test(test_money__int64_edges),
	        cmocka_unit_test(test_money__rejects_what_is_not_a_number),
	        cmocka_unit_test(test_money__parse_reads_only_the_given_length),
	        cmocka_unit_test(test_money__decimal_comma_with_digit_groups),
	        cmocka_unit_test(test_money__mul_rounds_half_to_even),
	        cmocka_unit_test(test_money__mul_matches_exact_integer_arithmetic),
	        cmocka_unit_test(test_money__format_writes_the_exact_decimal),
	        cmocka_unit_test(test_money__format_and_parse_round_trip),
	        cmocka_unit_test(test_money__format_double_uses_fewest_digits),
	        cmocka_unit_test(test_money__format_double_round_trips_random_doubles),
	        cmocka_unit_test(test_money__format_double_matches_printf_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
