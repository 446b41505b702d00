/* rebuy — reading order exports: the input contract of DESIGN.md §3.
 *
 * An input is a table of purchase lines or orders in a CSV file (any of
 * , ; TAB | detected, RFC 4180 quoting, CRLF, UTF-8 BOM, gzip detected by
 * content, "-" for stdin) or a whitespace-separated file (the CDNOW layout).
 * Columns take roles by their header names, by flags, or by position
 * (--columns). Rows are parsed, cleaned (every dropped or changed row counted
 * by reason) and grouped into orders.
 */
#ifndef REBUY_INPUT_H
#define REBUY_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/date.h"
#include "rebuy/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum rebuy_role {
	REBUY_ROLE_CUSTOMER,
	REBUY_ROLE_DATE,
	REBUY_ROLE_AMOUNT,
	REBUY_ROLE_QUANTITY,
	REBUY_ROLE_PRICE,
	REBUY_ROLE_ORDER,
	REBUY_ROLE_PRODUCT,
	REBUY_ROLE_CURRENCY,
	REBUY_ROLE_COUNT
};

/* Free columns that the orders table can keep (`cohorts --by`, ...). */
#define REBUY_MAX_ATTRIBUTES 4

/* "customer", "date", ... */
const char *rebuy_role_name(enum rebuy_role role);

/* Why a row was left out (or changed), as counted in the report. */
enum rebuy_reason {
	REBUY_REASON_MISSING_CUSTOMER, /* empty customer key */
	REBUY_REASON_BAD_DATE,         /* unreadable date */
	REBUY_REASON_BAD_AMOUNT,       /* unreadable amount, quantity or price */
	REBUY_REASON_SHORT_ROW,        /* fewer fields than a role's column needs */
	REBUY_REASON_OTHER_CURRENCY,   /* not the --currency selected */
	REBUY_REASON_DUPLICATE_LINE,   /* an exact repeat of an earlier line, with --dedupe */
	REBUY_REASON_COUNT
};

const char *rebuy_reason_name(enum rebuy_reason reason);

/* The delimiter value that means "fields separated by runs of spaces or
 * tabs" (the CDNOW layout). */
#define REBUY_DELIM_WHITESPACE ' '

struct rebuy_input_options {
	const char *path; /* file path, or "-" for stdin; with data: a name for messages */
	const void *data; /* read these bytes instead of a file (may be gzip) */
	size_t data_len;
	/* Or read the bytes through this function (a database query's rows as
	 * CSV text: rebuy_db_source_bind in db.h); *got = 0 means the end. It
	 * is called from one thread at a time. NULL: path or data. */
	enum rebuy_status (*read)(void *ud, char *buf, size_t n, size_t *got,
	                          struct rebuy_error *err);
	void *read_ud;
	const char *role_column[REBUY_ROLE_COUNT]; /* --customer COL ...: a header name or a 1-based
	                                              number */
	const char *columns;     /* --columns customer,_,date,_,amount (roles by position) */
	int header;              /* -1 auto (a header unless --columns), 0 none, 1 present */
	char delimiter;          /* 0 detect, or , ; \t | or REBUY_DELIM_WHITESPACE */
	const char *date_format; /* NULL or "auto": detect; see rebuy_date_format_parse */
	int decimal_comma;       /* -1 detect, 0 point, 1 comma */
	int strict;              /* the first dropped or changed row is an error */
	int dedupe;              /* drop exact duplicate lines */
	const char *currency;    /* keep only rows in this currency */
	int has_from, has_to, has_as_of;
	int64_t from_day, to_day; /* analysis window, inclusive days */
	int64_t as_of_day;        /* orders on or after this day are left out */
	unsigned n_threads;       /* 0: one per online CPU */
	/* Free columns kept per order (dictionary-encoded; the value on the
	 * order's earliest line): header names or 1-based numbers. */
	const char *attributes[REBUY_MAX_ATTRIBUTES];
	size_t n_attributes;
	/* Called from the reading thread now and then; may be NULL. */
	void (*progress)(void *ud, uint64_t bytes_done, uint64_t bytes_total);
	void *progress_ud;
};

/* Defaults: everything detected, stdin ("-"), no window, all CPUs. */
void rebuy_input_options_init(struct rebuy_input_options *opts);

/* Sets a role's column from its name ("customer") and a column reference.
 * REBUY_EARG when the role name is unknown. */
enum rebuy_status rebuy_input_set_role(struct rebuy_input_options *opts, const char *role,
                                       const char *column, struct rebuy_error *err);

#define REBUY_MAX_PROBLEMS 10

/* A problem that is not a rejection: an amount rounded to 4 decimals. */
#define REBUY_PROBLEM_ROUNDED REBUY_REASON_COUNT

/* One dropped or changed row, for `rebuy inspect` and --strict. */
struct rebuy_problem {
	int kind;          /* an enum rebuy_reason, or REBUY_PROBLEM_ROUNDED */
	uint64_t line;     /* 1-based physical line of the row's start */
	unsigned column;   /* 1-based field number (0 when none applies) */
	char message[160]; /* "cannot read date '31/02/2011'" */
};

/* "bad_date", ..., "rounded_amount". */
const char *rebuy_problem_kind_name(int kind);

#define REBUY_COLUMN_SAMPLES 3

/* What the first rows show of one column (for `rebuy inspect`). */
struct rebuy_column_info {
	const char *type;   /* "integer", "decimal", "date", "text" or "empty" (static) */
	uint32_t n_sampled; /* values looked at (the first rows) */
	uint32_t n_empty;
	char sample[REBUY_COLUMN_SAMPLES][48]; /* the first distinct values, cut to fit */
};

/* What reading the input found: for `inspect` and the `input` block of
 * every result. */
struct rebuy_input_report {
	char path[256];
	int is_gzip;
	char delimiter; /* as used; REBUY_DELIM_WHITESPACE for whitespace */
	int has_header;
	int has_bom;
	int decimal_comma;
	struct rebuy_date_format date_format; /* the column's format as resolved */
	const char *date_format_name;         /* "iso", "mdy", ... static string */
	size_t n_columns;
	char **column_names;               /* n_columns names ("column 3" when headerless) */
	struct rebuy_column_info *columns; /* n_columns, or NULL before the first rows were read */
	int role_column[REBUY_ROLE_COUNT]; /* 0-based column of each role, -1 when absent */
	int role_by_flag[REBUY_ROLE_COUNT];    /* 1 when a flag or --columns set it */
	size_t n_attributes;                   /* attribute columns kept */
	int attr_column[REBUY_MAX_ATTRIBUTES]; /* 0-based column of each */
	uint64_t bytes;                                     /* bytes read (after decompression) */
	uint64_t lines;                                     /* physical lines */
	uint64_t rows; /* data rows (blank lines are not rows) */
	uint64_t blank_lines;
	uint64_t rows_used; /* rows that became part of an order */
	uint64_t rejected[REBUY_REASON_COUNT];
	uint64_t rounded_amounts;       /* amounts rounded to 4 decimals (rows kept) */
	uint64_t orders_outside_window; /* orders left out by --from/--to/--as-of */
	uint64_t lines_merged;          /* lines folded into an order with others */
	size_t n_problems;
	struct rebuy_problem problems[REBUY_MAX_PROBLEMS]; /* the first ones, in file order */
	char currency[16];    /* the single currency seen or selected, or "" */
	double seconds_read;  /* wall time reading and parsing */
	double seconds_group; /* merging the threads' partials and grouping lines into orders */
};

/* Frees what a report holds (its column names); the struct itself is the
 * caller's. Safe on a zeroed report. */
void rebuy_input_report_release(struct rebuy_input_report *report);

#ifdef __cplusplus
}
#endif
#endif
