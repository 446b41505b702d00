/* rebuy rfm: recency, frequency and monetary scores and segments as of a
 * date (DESIGN.md §4, docs/rfm.md): the segment summary and score ranges,
 * with --transitions DATE the segment x segment matrix, or with --customers
 * the per-customer table for a CRM. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "rebuy/rfm.h"

enum { OPT_BINS = 1, OPT_RULES, OPT_CUSTOMERS, OPT_SEGMENT, OPT_TRANSITIONS, OPT_PRINT_RULES };

static const struct cli_opt own_opts[] = {
        {"bins", "N", OPT_BINS,
         "scores 1..N, N from 3 to 10 (default 5, or the rules file's bins line); other than 5 "
         "needs --rules"},
        {"rules", "FILE", OPT_RULES,
         "segment rules: lines segment,R,F[,M], the first match wins (docs/rfm.md); default: "
         "the map of DESIGN.md"},
        {"customers", NULL, OPT_CUSTOMERS,
         "write one row per customer instead: customer, recency_days, frequency, monetary, r, "
         "f, m, segment (sorted by customer)"},
        {"segment", "LIST", OPT_SEGMENT,
         "with --customers: only the customers of these segments (names, comma-separated)"},
        {"transitions", "DATE", OPT_TRANSITIONS,
         "also the segments as of DATE and the matrix of moves from them to the segments as of "
         "the as-of date (with --customers: a previous_segment column)"},
        {"print-rules", NULL, OPT_PRINT_RULES,
         "write the segment map (the default, or --rules) as a rules file and stop"},
        CLI_OPT_END,
};

static const struct cli_command_help help = {
        "rebuy rfm [OPTIONS] INPUT",
        "Recency (days since the last purchase day), frequency (orders) and monetary value\n"
        "(revenue) of every customer as of the as-of date, scored 1..5 with ties sharing a\n"
        "score, and segments by (R, F) score: champions, loyal, potential_loyalists,\n"
        "new_customers, promising, need_attention, about_to_sleep, cant_lose, at_risk,\n"
        "hibernating. Writes the segment summary (customers, share, revenue share, medians)\n"
        "and the value range of each score; --customers writes the customers instead.\n"
        "Definitions and the rules file format: docs/rfm.md.\n"
        "INPUT is a CSV or whitespace-separated file, gzip or not, or - for standard input.",
        own_opts,
        1,
};

struct ctx {
	unsigned bins;
	const char *rules, *segments;
	int customers, print_rules, has_transitions;
	int64_t transitions_day;
};

static int own(void *ud, int id, const char *v)
{
	struct ctx *x = ud;
	switch (id) {
	case OPT_BINS: {
		char *end;
		long n = strtol(v, &end, 10);
		if (*v == '\0' || *end || n < REBUY_RFM_BINS_MIN || n > REBUY_RFM_BINS_MAX) {
			cli_error("--bins: '%s' is not a number from %d to %d", v,
			          REBUY_RFM_BINS_MIN, REBUY_RFM_BINS_MAX);
			return EXIT_USAGE;
		}
		x->bins = (unsigned)n;
		return 0;
	}
	case OPT_RULES: x->rules = v; return 0;
	case OPT_CUSTOMERS: x->customers = 1; return 0;
	case OPT_SEGMENT: x->segments = v; return 0;
	case OPT_TRANSITIONS:
		x->has_transitions = 1;
		return cli_day("transitions", v, &x->transitions_day);
	case OPT_PRINT_RULES: x->print_rules = 1; return 0;
	}
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load_map(const struct ctx *x, struct rebuy_rfm_map **map)
{
	struct rebuy_error err = {0};
	enum rebuy_status st;
	if (x->rules) {
		st = rebuy_rfm_map_load(map, x->rules, x->bins, &err);
	} else if (x->bins && x->bins != REBUY_RFM_DEFAULT_BINS) {
		cli_error("--bins %u needs a rules file (--rules FILE): the default segment map is "
		          "for %d bins; rebuy rfm --print-rules writes it as a file to start from",
		          x->bins, REBUY_RFM_DEFAULT_BINS);
		return EXIT_USAGE;
	} else {
		st = rebuy_rfm_map_default(map, &err);
	}
	return st ? cli_fail(&err) : 0;
}

static int print_rules(struct cli_common *c, const struct rebuy_rfm_map *map)
{
	size_t n = rebuy_rfm_map_format(map, NULL, 0);
	char *buf = malloc(n + 1);
	if (!buf) {
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	rebuy_rfm_map_format(map, buf, n + 1);
	struct cli_out out;
	int r = cli_out_open(&out, c->output);
	if (!r) {
		fwrite(buf, 1, n, out.f);
		r = cli_out_commit(&out);
	}
	free(buf);
	return r;
}

/* --segment LIST -> a flag per segment of the map ("other" included when
 * the map has it). */
static int parse_keep(const char *list, const struct rebuy_rfm_map *map, unsigned char *keep)
{
	size_t n_segments = map->n_segments + (size_t)map->has_other;
	memset(keep, 0, n_segments);
	const char *s = list;
	for (;;) {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);
		size_t k = 0;
		while (k < n_segments) {
			const char *name = rebuy_rfm_map_segment_name(map, k);
			if (strlen(name) == n && memcmp(name, s, n) == 0)
				break;
			k++;
		}
		if (k == n_segments) {
			cli_error("--segment: '%.*s' is not a segment of the %s map (see rebuy rfm "
			          "--print-rules)",
			          (int)n, s, map->source);
			return EXIT_USAGE;
		}
		keep[k] = 1;
		if (!comma)
			return 0;
		s = comma + 1;
	}
}

static int write_customers(struct cli_common *c, const struct rebuy_rfm *rfm,
                           const struct rebuy_orders *o, const unsigned char *keep)
{
	struct cli_out out;
	int r = cli_out_open(&out, c->output);
	if (r)
		return r;
	struct rebuy_csv_options copts = {.raw = c->raw};
	enum rebuy_status st =
	        rebuy_rfm_write_customers(rfm, o, keep, out.f, cli_row_format(c), &copts);
	if (st) {
		cli_out_abort(&out);
		cli_error("%s", st == REBUY_ENOMEM ? "out of memory" : "cannot write the output");
		return EXIT_FAIL;
	}
	return cli_out_commit(&out);
}

static int write_summary(struct cli_common *c, const struct rebuy_rfm *rfm,
                         const struct rebuy_orders *o)
{
	struct rebuy_doc *doc = rebuy_doc_new();
	if (!doc) {
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	struct rebuy_node *root = rebuy_doc_root(doc);
	rebuy_rfm_doc(rfm, &o->report, doc, root);
	struct rebuy_node *table = rebuy_doc_get(root, "segments");
	if (rfm->has_transitions)
		table = rebuy_doc_get(rebuy_doc_get(root, "transitions"), "matrix");
	int r = cli_write_doc(c, doc, table);
	rebuy_doc_free(doc);
	return r;
}

static int run(struct cli_common *c, const struct ctx *x, const struct rebuy_rfm_map *map,
               const unsigned char *keep)
{
	struct rebuy_rfm_options ro;
	rebuy_rfm_options_init(&ro);
	ro.bins = x->bins;
	ro.map = map;
	ro.n_threads = c->in.n_threads;
	cli_as_of(c, &ro.has_as_of, &ro.as_of_day);
	ro.has_transitions = x->has_transitions;
	ro.transitions_day = x->transitions_day;
	struct rebuy_orders *o = NULL;
	int r = cli_load_orders(c, &o);
	if (r)
		return r;
	struct rebuy_rfm *rfm = NULL;
	struct rebuy_error err = {0};
	double t0 = now();
	if (rebuy_rfm_compute(o, &ro, &rfm, &err) != REBUY_OK) {
		rebuy_orders_free(o);
		return cli_fail(&err);
	}
	double t1 = now();
	r = x->customers ? write_customers(c, rfm, o, keep) : write_summary(c, rfm, o);
	if (getenv("REBUY_TIMINGS"))
		fprintf(stderr, "rebuy: timings: rfm %.3f s, write %.3f s\n", t1 - t0, now() - t1);
	rebuy_rfm_free(rfm);
	rebuy_orders_free(o);
	return r;
}

int cmd_rfm(int argc, char **argv)
{
	struct cli_common c;
	cli_common_init(&c, "rfm");
	struct ctx x = {0};
	int r = cli_parse(argc, argv, &c, &help, own, &x);
	if (r)
		return r < 0 ? EXIT_OK : r;
	if (x.segments && !x.customers) {
		cli_error("--segment selects customers: use it with --customers");
		return EXIT_USAGE;
	}
	struct rebuy_rfm_map *map = NULL;
	if ((r = load_map(&x, &map)))
		return r;
	unsigned char keep[REBUY_RFM_MAX_SEGMENTS + 1];
	if (x.print_rules)
		r = print_rules(&c, map);
	else if (x.segments && (r = parse_keep(x.segments, map, keep)))
		;
	else {
		if (map->has_other && !c.quiet)
			cli_warn("%s: %zu of %zu score cells match no rule; their customers are in "
			         "the segment 'other'",
			         map->source, map->n_uncovered, map->n_cells);
		r = run(&c, &x, map, x.segments ? keep : NULL);
	}
	rebuy_rfm_map_free(map);
	return r;
}
