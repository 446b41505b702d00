/* The rebuy command's shared parts: option parsing with generated help,
 * atomic output files, progress on a terminal, and error reporting. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const struct cli_opt cli_input_opts[] = {
        {"customer", "COL", OPT_CUSTOMER,
         "the customer column (a header name or a 1-based number)"},
        {"date", "COL", OPT_DATE, "the purchase date column"},
        {"amount", "COL", OPT_AMOUNT, "the line or order value column"},
        {"quantity", "COL", OPT_QUANTITY, "the quantity column (amount = quantity x price)"},
        {"price", "COL", OPT_PRICE, "the unit price column"},
        {"order", "COL", OPT_ORDER, "the order key column: lines with one key are one order"},
        {"product", "COL", OPT_PRODUCT, "the product column"},
        {"currency-column", "COL", OPT_CURRENCY_COL, "the currency column"},
        {"columns", "LIST", OPT_COLUMNS,
         "roles by position, e.g. customer,_,date,_,amount (_ skips a column); the first row "
         "is then data unless --header"},
        {"header", NULL, OPT_HEADER, "the first row holds column names"},
        {"no-header", NULL, OPT_NO_HEADER, "the first row is data"},
        {"delimiter", "D", OPT_DELIMITER, "',' ';' tab '|' or whitespace (default: detected)"},
        {"date-format", "F", OPT_DATE_FORMAT,
         "iso, ymd, mdy, dmy, unix, unix_ms or a pattern like %d.%m.%Y (default: detected)"},
        {"decimal-comma", NULL, OPT_DECIMAL_COMMA, "numbers use a decimal comma (1 234,56)"},
        {"decimal-point", NULL, OPT_DECIMAL_POINT,
         "numbers use a decimal point (default: detected)"},
        {"strict", NULL, OPT_STRICT, "stop at the first row that would be left out or changed"},
        {"dedupe", NULL, OPT_DEDUPE, "drop exact duplicate lines (kept by default)"},
        {"currency", "X", OPT_CURRENCY, "keep only rows in currency X"},
        {"from", "DATE", OPT_FROM, "first day of the analysis window (YYYY-MM-DD)"},
        {"to", "DATE", OPT_TO, "last day of the analysis window (inclusive)"},
        {"as-of", "DATE", OPT_AS_OF,
         "the analysis date: purchases before it count (default: the day after the last one)"},
        {"threads", "N", OPT_THREADS, "threads to use (default: one per CPU)"},
        {"db", "URL|FILE", OPT_DB,
         "read orders from a database instead: a postgresql:// URL or a SQLite file, with "
         "--query or --table"},
        {"query", "SQL", OPT_DB_QUERY, "with --db: the rows to read (a SELECT)"},
        {"table", "NAME", OPT_DB_TABLE, "with --db: read this whole table"},
        CLI_OPT_END,
};

const struct cli_opt cli_output_opts[] = {
        {"format", "F", OPT_FORMAT,
         "table, csv or json (default: table on a terminal, else from -o's extension, else csv)"},
        {"o", "FILE", OPT_OUTPUT, "write to FILE (atomically: complete or not at all)"},
        {"output", "FILE", OPT_OUTPUT, NULL},
        {"raw", NULL, OPT_RAW, "CSV: do not guard text cells that start with = + - @"},
        {"quiet", NULL, OPT_QUIET, "no progress or warnings on stderr"},
        {"output-table", "NAME", OPT_OUTPUT_TABLE,
         "write the result's CSV into a new PostgreSQL table NAME (of --output-db, else --db)"},
        {"output-db", "URL", OPT_OUTPUT_DB, "the PostgreSQL database for --output-table"},
        {"help", NULL, OPT_HELP, "show this help"},
        CLI_OPT_END,
};

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("rebuy: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("rebuy: warning: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int cli_fail(const struct rebuy_error *err)
{
	cli_progress_done();
	cli_error("%s", err->msg[0] ? err->msg : rebuy_status_name(err->code));
	return err->code == REBUY_EARG ? EXIT_USAGE : EXIT_FAIL;
}

void cli_common_init(struct cli_common *c, const char *cmd)
{
	memset(c, 0, sizeof *c);
	c->cmd = cmd;
	rebuy_input_options_init(&c->in);
}

static const struct cli_opt *find_opt(const struct cli_opt *table, const char *name, size_t n)
{
	for (; table && table->name; table++)
		if (strlen(table->name) == n && strncmp(table->name, name, n) == 0)
			return table;
	return NULL;
}

static void print_opts(const struct cli_opt *t)
{
	for (; t && t->name; t++) {
		if (!t->help)
			continue;
		char left[64];
		snprintf(left, sizeof left, "%s%s%s%s", strcmp(t->name, "o") == 0 ? "-" : "--",
		         t->name, t->arg ? " " : "", t->arg ? t->arg : "");
		printf("  %-24s %s\n", left, t->help);
	}
}

static void print_help(const struct cli_command_help *h)
{
	printf("usage: %s\n\n%s\n", h->usage, h->about);
	if (h->own) {
		printf("\nOptions:\n");
		print_opts(h->own);
	}
	if (h->reads_orders) {
		printf("\nInput options (column roles are detected from the header; these "
		       "override):\n");
		print_opts(cli_input_opts);
	}
	printf("\nOutput options:\n");
	print_opts(cli_output_opts);
}

int cli_count_model(const char *value, enum rebuy_clv_model *model)
{
	struct rebuy_error err = {0};
	if (rebuy_clv_model_from_name(value, model, &err) != REBUY_OK ||
	    (*model != REBUY_CLV_BGNBD && *model != REBUY_CLV_MBGNBD && *model != REBUY_CLV_PNBD)) {
		cli_error("--model: '%s' is not bgnbd, mbgnbd or pnbd", value);
		return EXIT_USAGE;
	}
	return 0;
}

int cli_day(const char *opt, const char *value, int64_t *day)
{
	struct rebuy_date_format fmt = {.kind = REBUY_DATE_ISO};
	int64_t ts, alt;
	unsigned flags = rebuy_date_parse(value, strlen(value), &fmt, &ts, &alt);
	if (!(flags & REBUY_DATE_OK)) {
		cli_error("--%s: '%s' is not a date (YYYY-MM-DD)", opt, value);
		return EXIT_USAGE;
	}
	*day = rebuy_day_of(ts);
	return 0;
}

/* --output-table: cli_out collects the CSV and writes it to the database
 * on commit (one output per run, so one place holds it). */
static struct {
	const char *table, *db, *in_db;
} out_db;

static int common_option(struct cli_common *c, int id, const char *v)
{
	struct rebuy_input_options *in = &c->in;
	switch (id) {
	case OPT_CUSTOMER: in->role_column[REBUY_ROLE_CUSTOMER] = v; return 0;
	case OPT_DATE: in->role_column[REBUY_ROLE_DATE] = v; return 0;
	case OPT_AMOUNT: in->role_column[REBUY_ROLE_AMOUNT] = v; return 0;
	case OPT_QUANTITY: in->role_column[REBUY_ROLE_QUANTITY] = v; return 0;
	case OPT_PRICE: in->role_column[REBUY_ROLE_PRICE] = v; return 0;
	case OPT_ORDER: in->role_column[REBUY_ROLE_ORDER] = v; return 0;
	case OPT_PRODUCT: in->role_column[REBUY_ROLE_PRODUCT] = v; return 0;
	case OPT_CURRENCY_COL: in->role_column[REBUY_ROLE_CURRENCY] = v; return 0;
	case OPT_COLUMNS: in->columns = v; return 0;
	case OPT_HEADER: in->header = 1; return 0;
	case OPT_NO_HEADER: in->header = 0; return 0;
	case OPT_DELIMITER:
		if (strcmp(v, "tab") == 0 || strcmp(v, "\\t") == 0)
			in->delimiter = '\t';
		else if (strcmp(v, "whitespace") == 0 || strcmp(v, "space") == 0)
			in->delimiter = REBUY_DELIM_WHITESPACE;
		else if (strlen(v) == 1 && strchr(",;\t|", v[0]))
			in->delimiter = v[0];
		else {
			cli_error("--delimiter: '%s' is not one of , ; tab | whitespace", v);
			return EXIT_USAGE;
		}
		return 0;
	case OPT_DATE_FORMAT: {
		struct rebuy_date_format f;
		struct rebuy_error err = {0};
		if (strcmp(v, "auto") != 0 && rebuy_date_format_parse(v, &f, &err) != REBUY_OK)
			return cli_fail(&err);
		in->date_format = v;
		return 0;
	}
	case OPT_DECIMAL_COMMA: in->decimal_comma = 1; return 0;
	case OPT_DECIMAL_POINT: in->decimal_comma = 0; return 0;
	case OPT_STRICT: in->strict = 1; return 0;
	case OPT_DEDUPE: in->dedupe = 1; return 0;
	case OPT_CURRENCY: in->currency = v; return 0;
	case OPT_FROM: in->has_from = 1; return cli_day("from", v, &in->from_day);
	case OPT_TO: in->has_to = 1; return cli_day("to", v, &in->to_day);
	case OPT_AS_OF: in->has_as_of = 1; return cli_day("as-of", v, &in->as_of_day);
	case OPT_THREADS: {
		char *end;
		long n = strtol(v, &end, 10);
		if (*v == '\0' || *end || n < 1 || n > 64) {
			cli_error("--threads: '%s' is not a number from 1 to 64", v);
			return EXIT_USAGE;
		}
		in->n_threads = (unsigned)n;
		return 0;
	}
	case OPT_FORMAT:
		if (strcmp(v, "table") == 0)
			c->format = FORMAT_TABLE;
		else if (strcmp(v, "csv") == 0)
			c->format = FORMAT_CSV;
		else if (strcmp(v, "json") == 0)
			c->format = FORMAT_JSON;
		else {
			cli_error("--format: '%s' is not table, csv or json", v);
			return EXIT_USAGE;
		}
		return 0;
	case OPT_OUTPUT: c->output = v; return 0;
	case OPT_DB: c->db = v; out_db.in_db = v; return 0;
	case OPT_DB_QUERY: c->db_query = v; return 0;
	case OPT_DB_TABLE: c->db_table = v; return 0;
	case OPT_OUTPUT_TABLE:
		out_db.table = v;
		c->raw = 1; /* values go to the table as they are */
		return 0;
	case OPT_OUTPUT_DB: out_db.db = v; return 0;
	case OPT_RAW: c->raw = 1; return 0;
	case OPT_QUIET: c->quiet = 1; return 0;
	}
	return -2;
}

int cli_parse(int argc, char **argv, struct cli_common *c, const struct cli_command_help *help,
              cli_handler own, void *ctx)
{
	int only_positional = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (only_positional || a[0] != '-' || strcmp(a, "-") == 0) {
			if (c->n_positional >=
			    (int)(sizeof c->positional / sizeof *c->positional)) {
				cli_error("too many arguments: '%s' (see rebuy %s --help)", a,
				          c->cmd);
				return EXIT_USAGE;
			}
			c->positional[c->n_positional++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_positional = 1;
			continue;
		}
		if (strcmp(a, "-h") == 0) {
			print_help(help);
			return -1;
		}
		const char *name = a + (a[1] == '-' ? 2 : 1);
		if (a[1] != '-' && strcmp(name, "o") != 0) {
			cli_error("unknown option '%s' (see rebuy %s --help)", a, c->cmd);
			return EXIT_USAGE;
		}
		const char *eq = strchr(name, '=');
		size_t n = eq ? (size_t)(eq - name) : strlen(name);
		const struct cli_opt *o = find_opt(help->own, name, n);
		if (!o && help->reads_orders)
			o = find_opt(cli_input_opts, name, n);
		if (!o)
			o = find_opt(cli_output_opts, name, n);
		if (!o) {
			cli_error("unknown option '--%.*s' (see rebuy %s --help)", (int)n, name,
			          c->cmd);
			return EXIT_USAGE;
		}
		const char *value = NULL;
		if (o->arg) {
			if (eq)
				value = eq + 1;
			else if (i + 1 < argc)
				value = argv[++i];
			else {
				cli_error("%s%s needs a value (%s)", a[1] == '-' ? "--" : "-",
				          o->name, o->arg);
				return EXIT_USAGE;
			}
		} else if (eq) {
			cli_error("--%s takes no value", o->name);
			return EXIT_USAGE;
		}
		if (o->id == OPT_HELP) {
			print_help(help);
			return -1;
		}
		int r = common_option(c, o->id, value);
		if (r == -2)
			r = own ? own(ctx, o->id, value) : 0;
		if (r)
			return r;
	}
	return 0;
}

/* ---- output ---------------------------------------------------------------- */

int cli_out_open(struct cli_out *o, const char *path)
{
	memset(o, 0, sizeof *o);
	if (out_db.table) {
		if (path && strcmp(path, "-") != 0) {
			cli_error("-o and --output-table: give one");
			return EXIT_USAGE;
		}
		if (!out_db.db && !out_db.in_db) {
			cli_error("--output-table needs --output-db URL (or --db URL)");
			return EXIT_USAGE;
		}
		o->to_db = 1;
		o->f = open_memstream(&o->mem, &o->mem_len);
		if (!o->f) {
			cli_error("out of memory");
			return EXIT_FAIL;
		}
		return 0;
	}
	o->path = path;
	if (!path || strcmp(path, "-") == 0) {
		o->f = stdout;
		o->path = NULL;
		return 0;
	}
	int w = snprintf(o->tmp, sizeof o->tmp, "%s.tmp-XXXXXX", path);
	if (w < 0 || (size_t)w >= sizeof o->tmp) {
		cli_error("%s: the path is too long", path);
		return EXIT_FAIL;
	}
	int fd = mkstemp(o->tmp);
	if (fd < 0) {
		cli_error("%s: cannot create: %s", path, strerror(errno));
		o->tmp[0] = '\0';
		return EXIT_FAIL;
	}
	/* mkstemp makes the file 0600: give it the mode any new file gets. */
	mode_t mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	o->f = fdopen(fd, "w");
	if (!o->f) {
		close(fd);
		unlink(o->tmp);
		cli_error("%s: cannot write: %s", path, strerror(errno));
		return EXIT_FAIL;
	}
	return 0;
}

int cli_out_commit(struct cli_out *o)
{
	if (o->to_db) {
		int bad = fclose(o->f) != 0;
		o->f = NULL;
		struct rebuy_error err = {0};
		int r = 0;
		if (bad) {
			cli_error("out of memory");
			r = EXIT_FAIL;
		} else if (rebuy_db_write_csv(out_db.db ? out_db.db : out_db.in_db, out_db.table,
		                              o->mem, o->mem_len, &err) != REBUY_OK) {
			r = cli_fail(&err);
		}
		free(o->mem);
		o->mem = NULL;
		return r;
	}
	if (!o->path) {
		if (fflush(stdout) != 0 || ferror(stdout)) {
			cli_error("cannot write the output: %s", strerror(errno));
			return EXIT_FAIL;
		}
		return 0;
	}
	int bad = fflush(o->f) != 0 || ferror(o->f) || fsync(fileno(o->f)) != 0;
	bad |= fclose(o->f) != 0;
	o->f = NULL;
	if (bad || rename(o->tmp, o->path) != 0) {
		cli_error("%s: cannot write: %s", o->path, strerror(errno));
		unlink(o->tmp);
		return EXIT_FAIL;
	}
	return 0;
}

void cli_out_abort(struct cli_out *o)
{
	if (o->to_db) {
		if (o->f)
			fclose(o->f);
		o->f = NULL;
		free(o->mem);
		o->mem = NULL;
		return;
	}
	if (o->path) {
		if (o->f)
			fclose(o->f);
		o->f = NULL;
		unlink(o->tmp);
	}
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

enum cli_format cli_format_of(const struct cli_common *c)
{
	if (out_db.table)
		return FORMAT_CSV;
	if (c->format != FORMAT_AUTO)
		return c->format;
	if (c->output && strcmp(c->output, "-") != 0) {
		if (ends_with(c->output, ".json"))
			return FORMAT_JSON;
		if (ends_with(c->output, ".txt"))
			return FORMAT_TABLE;
		return FORMAT_CSV;
	}
	return isatty(STDOUT_FILENO) ? FORMAT_TABLE : FORMAT_CSV;
}

/* ---- progress ---------------------------------------------------------------- */

static struct {
	int shown;
	double start;
	double last;
} prog;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum rebuy_format cli_row_format(const struct cli_common *c)
{
	switch (cli_format_of(c)) {
	case FORMAT_JSON: return REBUY_FORMAT_JSON;
	case FORMAT_TABLE: return REBUY_FORMAT_TABLE;
	default: return REBUY_FORMAT_CSV;
	}
}

void cli_as_of(const struct cli_common *c, int *has_as_of, int64_t *as_of_day)
{
	*has_as_of = c->in.has_as_of || c->in.has_to;
	*as_of_day = c->in.has_as_of ? c->in.as_of_day : c->in.has_to ? c->in.to_day + 1 : 0;
}

void cli_progress(void *ud, uint64_t done, uint64_t total)
{
	const char *what = ud;
	double t = now();
	if (prog.start == 0) {
		prog.start = t;
		return;
	}
	if (t - prog.start < 1.0 || t - prog.last < 0.2)
		return;
	prog.last = t;
	prog.shown = 1;
	double mb = (double)done / 1e6;
	if (total > 0)
		fprintf(stderr, "\rrebuy: reading %s  %3.0f%%  (%.0f of %.0f MB)   ", what,
		        100.0 * (double)done / (double)total, mb, (double)total / 1e6);
	else
		fprintf(stderr, "\rrebuy: reading %s  %.0f MB   ", what, mb);
	fflush(stderr);
}

void cli_progress_done(void)
{
	if (prog.shown)
		fputs("\r\033[K", stderr);
	prog.shown = 0;
	prog.start = 0;
}

/* --db: the orders come from a query or table; the source stays open until
 * the orders are loaded. */
static int load_from_db(struct cli_common *c, struct rebuy_orders **out)
{
	if (c->n_positional > 0) {
		cli_error("--db and an INPUT file ('%s'): give one", c->positional[0]);
		return EXIT_USAGE;
	}
	struct rebuy_error err = {0};
	if (rebuy_db_source_open(&c->db_source, c->db, c->db_query, c->db_table, &err))
		return cli_fail(&err);
	rebuy_db_source_bind(c->db_source, &c->in);
	enum rebuy_status st = rebuy_orders_load(out, &c->in, NULL, &err);
	rebuy_db_source_free(c->db_source);
	c->db_source = NULL;
	c->in.read = NULL;
	c->in.path = c->db_table ? c->db_table : "query"; /* the source's name is gone */
	if (st)
		return cli_fail(&err);
	return 0;
}

int cli_load_orders(struct cli_common *c, struct rebuy_orders **out)
{
	if (c->db || c->db_query || c->db_table) {
		if (!c->db) {
			cli_error("--%s needs --db (a postgresql:// URL or a SQLite file)",
			          c->db_query ? "query" : "table");
			return EXIT_USAGE;
		}
		int r = load_from_db(c, out);
		if (r)
			return r;
		goto loaded;
	}
	if (c->n_positional == 0) {
		if (isatty(STDIN_FILENO)) {
			cli_error("no input: give a file (or - for standard input); see rebuy %s "
			          "--help",
			          c->cmd);
			return EXIT_USAGE;
		}
		c->in.path = "-";
	} else {
		c->in.path = c->positional[0];
	}
	if (!c->quiet && isatty(STDERR_FILENO)) {
		c->in.progress = cli_progress;
		c->in.progress_ud = (void *)c->in.path;
	}
	struct rebuy_error err = {0};
	enum rebuy_status st = rebuy_orders_load(out, &c->in, NULL, &err);
	cli_progress_done();
	if (st)
		return cli_fail(&err);
loaded:;
	const struct rebuy_input_report *r = &(*out)->report;
	if (getenv("REBUY_TIMINGS"))
		fprintf(stderr,
		        "rebuy: timings: read %.3f s, group %.3f s; "
		        "memory %.0f MB now, %.0f MB at most\n",
		        r->seconds_read, r->seconds_group,
		        (double)rebuy_alloc_in_use() / 1e6, (double)rebuy_alloc_peak() / 1e6);
	uint64_t left = r->rows - r->rows_used;
	if (left > 0 && !c->quiet) {
		char what[256] = "";
		size_t k = 0;
		for (int i = 0; i < REBUY_REASON_COUNT; i++)
			if (r->rejected[i] && k < sizeof what)
				k += (size_t)snprintf(what + k, sizeof what - k, "%s%s %llu",
				                      k ? ", " : "",
				                      rebuy_reason_name((enum rebuy_reason)i),
				                      (unsigned long long)r->rejected[i]);
		cli_warn("%llu of %llu rows left out (%s); rebuy inspect shows the first ones",
		         (unsigned long long)left, (unsigned long long)r->rows, what);
	}
	return 0;
}

static int write_doc(struct cli_common *c, struct rebuy_doc *doc, struct rebuy_node *node,
                     struct rebuy_node *csv_table)
{
	struct cli_out o;
	int r = cli_out_open(&o, c->output);
	if (r)
		return r;
	enum rebuy_status st;
	struct rebuy_csv_options copts = {.raw = c->raw};
	switch (cli_format_of(c)) {
	case FORMAT_JSON: st = rebuy_doc_write_json(doc, node, o.f); break;
	case FORMAT_CSV:
		st = csv_table ? rebuy_doc_write_csv(doc, csv_table, &copts, o.f)
		               : rebuy_doc_write_csv_fields(doc, node, &copts, o.f);
		break;
	default: st = rebuy_doc_write_table(doc, node, o.f); break;
	}
	if (st) {
		cli_out_abort(&o);
		cli_error("%s", st == REBUY_ENOMEM ? "out of memory" : "cannot write the output");
		return EXIT_FAIL;
	}
	return cli_out_commit(&o);
}

int cli_write_doc(struct cli_common *c, struct rebuy_doc *doc, struct rebuy_node *csv_table)
{
	return write_doc(c, doc, NULL, csv_table);
}

int cli_write_node(struct cli_common *c, struct rebuy_doc *doc, struct rebuy_node *node)
{
	return write_doc(c, doc, node, node);
}
