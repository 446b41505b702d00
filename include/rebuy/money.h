/* rebuy — exact money and number text.
 *
 * Money is an int64_t count of 1/10,000 of the currency unit, so sums never
 * depend on row order or thread count. Text with more than four decimals is
 * rounded half to even, and the caller is told so it can count it.
 *
 * All functions here are pure and thread-safe.
 */
#ifndef REBUY_MONEY_H
#define REBUY_MONEY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define REBUY_MONEY_SCALE 10000
#define REBUY_MONEY_DECIMALS 4

/* Results of rebuy_money_parse. */
enum rebuy_num_result {
	REBUY_NUM_OK = 0,      /* exact */
	REBUY_NUM_ROUNDED = 1, /* read, rounded half to even to 4 decimals */
	REBUY_NUM_BAD = 2,     /* not a number */
	REBUY_NUM_RANGE = 3    /* a number, but beyond what int64 units hold */
};

/* Parses s[0..n) into units of 1/10,000. Accepted: leading and trailing
 * spaces; a sign (+ or -) or accounting parentheses "(12.50)" for negative;
 * digits with at most one decimal separator (`decimal`, '.' or ','); an
 * exponent (1.5E+3). When decimal is ',' digit groups may be separated by a
 * space, U+00A0, U+202F or a point ("1 234,56", "1.234,56", as Excel writes
 * in many locales): a first group of 1-3 digits, then groups of exactly 3,
 * in the integer part (so "1.5" is not a number then).
 * Nothing else: an empty cell, currency signs and "1,234.56" are REBUY_NUM_BAD.
 * Results are within +-INT64_MAX units (INT64_MIN is never produced); a
 * larger magnitude is REBUY_NUM_RANGE. *out (which may be NULL) is 0 unless
 * the result is OK or ROUNDED; "-0" is 0. Any decimal other than '.' or ','
 * gives REBUY_NUM_BAD. No allocation, no locale.
 */
enum rebuy_num_result rebuy_money_parse(const char *s, size_t n, char decimal, int64_t *out);

/* a * b where both are in 1/10,000 units (quantity x price), rounded half to
 * even back to 1/10,000. Returns REBUY_NUM_OK, REBUY_NUM_ROUNDED or
 * REBUY_NUM_RANGE (|result| > INT64_MAX; *out is then 0). */
enum rebuy_num_result rebuy_money_mul(int64_t a, int64_t b, int64_t *out);

/* Writes the exact decimal of v units: "12.5", "-0.0001", "3", "0".
 * buf should hold 24 bytes (the text is cut to size - 1 and always
 * NUL-terminated). Returns the length written. */
size_t rebuy_money_format(int64_t v, char *buf, size_t size);

/* Writes v with the fewest of 15, 16 or 17 significant digits that read
 * back to the same double ("%.15g" first); NaN and infinities as "nan",
 * "inf", "-inf" (callers that write JSON print null instead). buf should
 * hold 32 bytes. Returns the length written. It relies on the C library's
 * LC_NUMERIC being "C" (the default; rebuy never calls setlocale). */
size_t rebuy_format_double(double v, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
