/* rebuy — dates, times and calendar periods.
 *
 * Time is kept as seconds since 1970-01-01T00:00:00 on the data's own clock
 * (no time zone: "times are taken as given"), as int64_t. A value with an
 * explicit offset (`+03:00`, `Z`) is converted to UTC. A day number is days
 * since 1970-01-01 in the proleptic Gregorian calendar (floor division of
 * seconds by 86400). Fractions of a second are read and dropped.
 *
 * All functions here are pure and thread-safe.
 */
#ifndef REBUY_DATE_H
#define REBUY_DATE_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define REBUY_SECONDS_PER_DAY 86400

/* Days since 1970-01-01 of a valid civil date (no range check here; any
 * |y| < 10^12 computes without overflow). */
int64_t rebuy_days_from_civil(int64_t y, unsigned m, unsigned d);
/* The civil date of a day number (any int64 day). */
void rebuy_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* 1 when d is a day of month m of year y (leap years included). */
int rebuy_date_is_valid(int64_t y, unsigned m, unsigned d);
/* Floor division of a timestamp by 86400. */
int64_t rebuy_day_of(int64_t ts);

/* How values of a date column are written. */
enum rebuy_date_kind {
	REBUY_DATE_AUTO = 0, /* any of the forms below; slash dates resolved by the caller */
	REBUY_DATE_ISO,      /* YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|±HH[:MM]] */
	REBUY_DATE_YMD8,     /* YYYYMMDD */
	REBUY_DATE_MDY,      /* M/D/YYYY[ H:MM[:SS]][ AM|PM] */
	REBUY_DATE_DMY,      /* D/M/YYYY[ H:MM[:SS]] and D.M.YYYY[ H:MM[:SS]] */
	REBUY_DATE_UNIX,     /* seconds since the epoch (9-10 digits in AUTO) */
	REBUY_DATE_UNIX_MS,  /* milliseconds since the epoch (13 digits in AUTO) */
	REBUY_DATE_PATTERN   /* strptime-like pattern, see rebuy_date_format_parse */
};

#define REBUY_DATE_PATTERN_MAX 64

struct rebuy_date_format {
	enum rebuy_date_kind kind;
	char pattern[REBUY_DATE_PATTERN_MAX]; /* REBUY_DATE_PATTERN only */
};

/* Reads a --date-format value: "auto", "iso", "ymd" (YYYYMMDD), "mdy", "dmy",
 * "unix", "unix_ms" (any case), or a pattern containing '%': %Y (4-digit
 * year), %y (2-digit year, 1970-2069), %m, %d, %H, %M, %S (1 or 2 digits; %S
 * may be followed by a fraction, dropped), %b (English month name, 3 letters
 * or full, any case), %p (AM/PM, any case; the %H hour is then 1..12), %% and
 * literal characters (matched exactly; a space matches any run of spaces).
 * A pattern needs a year and a month (the day defaults to 1), gives each
 * field once and is shorter than REBUY_DATE_PATTERN_MAX. Returns REBUY_EARG
 * with a message naming the value when it is not one. */
enum rebuy_status rebuy_date_format_parse(const char *spec, struct rebuy_date_format *out,
                                          struct rebuy_error *err);

/* Result flags of rebuy_date_parse. */
enum {
	REBUY_DATE_OK = 1u << 0,        /* *ts holds the value */
	REBUY_DATE_SLASH = 1u << 1,     /* an a/b/YYYY value read under AUTO: see below */
	REBUY_DATE_MDY_VALID = 1u << 2, /* with SLASH: a/b is a valid month/day */
	REBUY_DATE_DMY_VALID = 1u << 3, /* with SLASH: a/b is a valid day/month */
	REBUY_DATE_HAS_TIME = 1u << 4   /* the value carried a time of day */
};

/* Parses s[0..n) (not NUL-terminated; leading and trailing spaces and tabs
 * are ignored) under fmt (NULL means AUTO). Returns the flags above: 0 means
 * unreadable, and any other result has REBUY_DATE_OK. *ts (which may be
 * NULL) is written only when the value is read. No allocation, no locale:
 * made for the hot path.
 *
 * AUTO reads: ISO as above (also `UTC` or a space before the offset; month,
 * day and hour may have one digit), exactly 8 digits as YYYYMMDD, exactly 9
 * or 10 digits as Unix seconds, exactly 13 as Unix milliseconds, YYYY/M/D,
 * a/b/YYYY and D.M.YYYY. The slash and dotted forms take an optional time
 * " H:MM[:SS[.fff]]" and, after it, an optional "AM"/"PM" (any case; the
 * hour must then be 1..12). MDY reads a/b/YYYY; DMY reads a/b/YYYY and
 * a.b.YYYY. UNIX and UNIX_MS also take a sign and a fraction. A fraction of
 * a second is dropped toward the past. Seconds run 0..59: a leap second
 * (:60) is unreadable, as is 24:00. With an offset the value is converted to
 * UTC and must still fall in years 1..9999.
 *
 * Under REBUY_DATE_AUTO an a/b/YYYY value is ambiguous: the result has
 * REBUY_DATE_SLASH, *ts is the month/day reading when MDY_VALID (else the
 * day/month one), *ts_alt the day/month reading when DMY_VALID (ts_alt may be
 * NULL; it is left alone otherwise). When neither reading is a valid date
 * the value is unreadable (0). The caller decides the column's order from
 * all its values. D.M.YYYY is always day first. Years outside 1..9999 and
 * impossible dates (Feb 30, 25:00) are unreadable. */
unsigned rebuy_date_parse(const char *s, size_t n, const struct rebuy_date_format *fmt, int64_t *ts,
                          int64_t *ts_alt);

/* Writes "YYYY-MM-DD" (day) or "YYYY-MM-DD HH:MM:SS" (timestamp) into buf,
 * which must hold at least 11 / 20 bytes (years beyond 9999 are written in
 * full and need more; 48 bytes hold any value). The text is cut to size - 1
 * and always NUL-terminated. Returns the length written. */
size_t rebuy_format_day(int64_t day, char *buf, size_t size);
size_t rebuy_format_ts(int64_t ts, char *buf, size_t size);

/* Calendar periods. Weeks are ISO weeks starting on Monday. */
enum rebuy_period {
	REBUY_PERIOD_DAY,
	REBUY_PERIOD_WEEK,
	REBUY_PERIOD_MONTH,
	REBUY_PERIOD_QUARTER,
	REBUY_PERIOD_YEAR
};

/* "day", "week", "month", "quarter", "year" -> *out; REBUY_EARG otherwise. */
enum rebuy_status rebuy_period_from_name(const char *name, enum rebuy_period *out,
                                         struct rebuy_error *err);
const char *rebuy_period_name(enum rebuy_period p);

/* The index of the period holding a day: consecutive periods have
 * consecutive indexes, so index differences count periods. Index 0 is the
 * period holding 1970-01-01 (for weeks, the one starting Monday 1969-12-29,
 * ISO 1970-W01); the day index is the day number itself. Defined for days
 * of years within +-10^9. */
int64_t rebuy_period_index(enum rebuy_period p, int64_t day);
/* The first day of the period with that index. */
int64_t rebuy_period_start(enum rebuy_period p, int64_t index);
/* The label of the period: "2011-03-05", "2011-W09" (ISO week-year),
 * "2011-03", "2011-Q1", "2011". buf should hold 16 bytes. Returns length. */
size_t rebuy_period_label(enum rebuy_period p, int64_t index, char *buf, size_t size);
/* The usual season in periods: 7 for days, 52 for weeks, 12 for months, 4
 * for quarters, 1 (none) for years. */
int rebuy_period_season(enum rebuy_period p);

#ifdef __cplusplus
}
#endif
#endif
