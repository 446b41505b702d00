/* The rebuy command: shared option parsing, output files and progress.
 * Commands live in cmd_<verb>.c and use only the public API. */
#ifndef REBUY_CLI_H
#define REBUY_CLI_H

#include <stdio.h>

#include "rebuy/clv.h"
#include "rebuy/rebuy.h"

/* Exit statuses (DESIGN.md §5). */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* An option: "--name ARG" when arg is set, a flag otherwise. */
struct cli_opt {
	const char *name; /* without the leading dashes; "o" is -o */
	const char *arg;  /* placeholder for help ("FILE"), or NULL for a flag */
	int id;
	const char *help;
};

#define CLI_OPT_END                 \
	{                           \
		NULL, NULL, 0, NULL \
	}

/* Option ids shared by every command that reads orders. */
enum {
	OPT_CUSTOMER = 1000,
	OPT_DATE,
	OPT_AMOUNT,
	OPT_QUANTITY,
	OPT_PRICE,
	OPT_ORDER,
	OPT_PRODUCT,
	OPT_CURRENCY_COL,
	OPT_COLUMNS,
	OPT_HEADER,
	OPT_NO_HEADER,
	OPT_DELIMITER,
	OPT_DATE_FORMAT,
	OPT_DECIMAL_COMMA,
	OPT_DECIMAL_POINT,
	OPT_STRICT,
	OPT_DEDUPE,
	OPT_CURRENCY,
	OPT_FROM,
	OPT_TO,
	OPT_AS_OF,
	OPT_THREADS,
	OPT_DB,
	OPT_DB_QUERY,
	OPT_DB_TABLE,
	OPT_FORMAT = 2000,
	OPT_OUTPUT,
	OPT_RAW,
	OPT_QUIET,
	OPT_HELP,
	OPT_OUTPUT_TABLE,
	OPT_OUTPUT_DB,
};

extern const struct cli_opt cli_input_opts[];
extern const struct cli_opt cli_output_opts[];

enum cli_format { FORMAT_AUTO, FORMAT_TABLE, FORMAT_CSV, FORMAT_JSON };

/* What every command shares. */
struct cli_common {
	const char *cmd;
	struct rebuy_input_options in;
	enum cli_format format;
	const char *output;
	int raw, quiet;
	const char *positional[4];
	int n_positional;
	const char *db, *db_query, *db_table; /* --db, --query, --table */
	struct rebuy_db_source *db_source;   /* open while orders load */
};

void cli_common_init(struct cli_common *c, const char *cmd);

/* A command's handler for its own options: 0 to go on, else an exit status. */
typedef int (*cli_handler)(void *ctx, int id, const char *value);

struct cli_command_help {
	const char *usage;         /* "rebuy summary [OPTIONS] INPUT" */
	const char *about;         /* a paragraph */
	const struct cli_opt *own; /* the command's options, or NULL */
	int reads_orders;          /* lists the input options */
};

/* Parses argv[1..] (argv[0] is the command). Options may come before or
 * after the positionals; "--opt=value" and "--opt value" both work; "--"
 * ends options. --help prints help and returns -1 (the caller exits 0).
 * Returns 0 or an exit status after printing the error. */
int cli_parse(int argc, char **argv, struct cli_common *c, const struct cli_command_help *help,
              cli_handler own, void *ctx);

/* Prints "rebuy: error: ..." to stderr. */
void cli_error(const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 1, 2)))
#endif
        ;
void cli_warn(const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 1, 2)))
#endif
        ;

/* Reports a library error and returns the exit status for it. */
int cli_fail(const struct rebuy_error *err);

/* Reads a date given on the command line (YYYY-MM-DD) into a day number. */
int cli_day(const char *opt, const char *value, int64_t *day);

/* Reads --model for a model of purchase counts: bgnbd, mbgnbd or pnbd. */
int cli_count_model(const char *value, enum rebuy_clv_model *model);

/* Output: stdout, or -o FILE written to a temporary file beside it and
 * renamed into place only when everything was written, so that a failed
 * run never leaves a half-written file. */
struct cli_out {
	FILE *f;
	const char *path;
	char tmp[4096];
	char *mem; /* --output-table: the CSV collected in memory */
	size_t mem_len;
	int to_db;
};

int cli_out_open(struct cli_out *o, const char *path);
/* Flushes and renames into place; returns 0 or an exit status. */
int cli_out_commit(struct cli_out *o);
/* Removes the temporary file. */
void cli_out_abort(struct cli_out *o);

/* The format to write: --format, else from -o's extension, else table on a
 * terminal and CSV otherwise. */
enum cli_format cli_format_of(const struct cli_common *c);
/* The same as the library's row-writer format. */
enum rebuy_format cli_row_format(const struct cli_common *c);

/* The as-of day the measures judge against: --as-of, else the day after
 * --to (a window's end is the end of the data, not the last purchase inside
 * it), else none (*has_as_of 0: the library's default). */
void cli_as_of(const struct cli_common *c, int *has_as_of, int64_t *as_of_day);

/* Progress on stderr when it is a terminal and the run takes over a second. */
void cli_progress(void *ud, uint64_t done, uint64_t total);
void cli_progress_done(void);

/* Loads the orders named by the common options, with progress; prints the
 * error and returns an exit status on failure. */
int cli_load_orders(struct cli_common *c, struct rebuy_orders **out);

/* Writes doc in the chosen format; `table` is the array written as CSV
 * (NULL: the CSV is one metric,value row per scalar of the root). */
int cli_write_doc(struct cli_common *c, struct rebuy_doc *doc, struct rebuy_node *csv_table);
/* Writes one node (an array of rows) in every format. */
int cli_write_node(struct cli_common *c, struct rebuy_doc *doc, struct rebuy_node *node);

int cmd_gen(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_cohorts(int argc, char **argv);
int cmd_rfm(int argc, char **argv);
int cmd_survey(int argc, char **argv);
int cmd_fit(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_basket(int argc, char **argv);
int cmd_recommend(int argc, char **argv);
int cmd_audiences(int argc, char **argv);
int cmd_uplift(int argc, char **argv);
int cmd_forecast(int argc, char **argv);
int cmd_propensity(int argc, char **argv);
int cmd_cluster(int argc, char **argv);
int cmd_whatif(int argc, char **argv);
int cmd_attribute(int argc, char **argv);
int cmd_loyalty(int argc, char **argv);
int cmd_serve(int argc, char **argv);

/* ---- the customer-lifetime commands (fit, predict) ----
 * What `rebuy fit` and `rebuy predict` share: the options that choose the
 * data and the model, reading the data, and the fit with its warning.
 * Defined in cmd_fit.c. */
enum {
	OPT_CLV_MODEL = 500,
	OPT_CLV_TIME_UNIT,
	OPT_CLV_CAL_END,
	OPT_CLV_SUMMARY,
	OPT_CLV_PENALTY,
	OPT_CLV_MAX_ITER,
	OPT_CLV_SPEND,
};

/* The shared options' table (CLI_OPT_END-terminated; --model and --spend
 * are each command's own: their help differs). cli_clv_opts_join writes own
 * (also terminated) followed by it into out, which has room for cap
 * entries; returns out. */
extern const struct cli_opt cli_clv_opts[];
const struct cli_opt *cli_clv_opts_join(struct cli_opt *out, size_t cap, const struct cli_opt *own);

struct cli_clv {
	int has_model;
	enum rebuy_clv_model model;
	int has_unit;
	enum rebuy_time_unit unit;
	int has_cal_end;
	int64_t cal_end;
	const char *summary;
	const char *survivors;    /* fit only */
	const char *contracts;    /* fit only */
	enum rebuy_period period; /* of --contracts */
	double holdout_length;    /* fit only: with --summary; 0 when not given */
	int spend;                /* -1: the command's default, 0: none, 1: gg */
	struct rebuy_clv_fit_options fit;
};

void cli_clv_init(struct cli_clv *x);
/* Handles a shared option: 0, an exit status, or -2 when id is not one. */
int cli_clv_option(struct cli_clv *x, int id, const char *value);
/* Reads a number for --opt (finite); prints the error and returns
 * EXIT_USAGE when it is not one. */
int cli_clv_number(const char *opt, const char *value, double *out);
/* Checks the options together, picks the default model, and reads the data
 * (orders, --summary or --survivors) into *data; *orders is set when the
 * data came from orders (free both). Returns 0 or an exit status. */
int cli_clv_load(struct cli_common *c, struct cli_clv *x, struct rebuy_orders **orders,
                 struct rebuy_clv_data **data);
/* Fits x->model (and Gamma-Gamma when spend) and warns on stderr when a fit
 * did not converge. Returns 0 or an exit status. */
int cli_clv_fit(struct cli_common *c, const struct cli_clv *x, const struct rebuy_clv_data *d,
                int spend, struct rebuy_clv_fit *fit);

#endif
