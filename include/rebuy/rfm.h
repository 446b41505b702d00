/* rebuy — RFM: recency, frequency and monetary value per customer, their
 * scores and segments (DESIGN.md §4, docs/rfm.md).
 *
 * As of the as-of day A (exclusive: purchases before A count), a customer
 * with at least one purchase before A has
 *   recency_days = A - (last purchase day)   (1 for a purchase on A - 1),
 *   frequency    = purchases,
 *   monetary     = revenue (the exact sum of the purchases).
 * Scores 1..B are value-based and ties share a score: with n customers,
 *   F = 1 + floor(B * #(customers with a strictly smaller frequency) / n),
 *   M the same over monetary, and R the same over "strictly larger recency"
 * (recent = high). They depend only on the values, never on input order,
 * customer numbering or thread count.
 *
 * A segment map turns (R, F, M) into a segment: rules tried in order, the
 * first that matches wins; cells no rule covers form the segment "other".
 * The default map (DESIGN.md §4) is for 5 bins and covers all 25 (R, F)
 * cells; other bin counts need a rules file (rebuy_rfm_map_parse).
 */
#ifndef REBUY_RFM_H
#define REBUY_RFM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rebuy/doc.h"
#include "rebuy/error.h"
#include "rebuy/input.h"
#include "rebuy/orders.h"

#ifdef __cplusplus
extern "C" {
#endif

#define REBUY_RFM_BINS_MIN 3
#define REBUY_RFM_BINS_MAX 10
#define REBUY_RFM_DEFAULT_BINS 5
#define REBUY_RFM_MAX_SEGMENTS 64             /* named segments of a map */
#define REBUY_RFM_MAX_RULES 256               /* rule lines of a map */
#define REBUY_RFM_NAME_MAX 64                 /* bytes of a segment name */
#define REBUY_RFM_RULES_MAX_BYTES (64 * 1024) /* of a rules file */
#define REBUY_RFM_LINE_MAX 1024               /* bytes of a rules line */
#define REBUY_RFM_NONE 0xFF                   /* not a customer as of the date */
#define REBUY_RFM_CELLS (REBUY_RFM_BINS_MAX * REBUY_RFM_BINS_MAX * REBUY_RFM_BINS_MAX)

/* Scores lo..hi, inclusive. */
struct rebuy_rfm_range {
	uint8_t lo, hi;
};

struct rebuy_rfm_rule {
	uint8_t segment;                /* index into names */
	struct rebuy_rfm_range r, f, m; /* m is 1..bins when the rule gives none */
	unsigned line;                  /* in the rules text */
};

/* A segment map. Read-only once built; may be shared by threads. */
struct rebuy_rfm_map {
	unsigned bins;
	char *source;      /* "default" or the rules file's name */
	size_t n_segments; /* named segments, in the order they first appear */
	char **names;
	size_t n_rules;
	struct rebuy_rfm_rule *rules;
	int uses_m;         /* some rule limits M */
	size_t n_cells;     /* score cells that matter: bins^2, or bins^3 when uses_m */
	size_t n_uncovered; /* of those, the cells no rule matches */
	int has_other;      /* n_uncovered > 0: the segment "other" (index n_segments) */
	/* cell[((r-1) * BINS_MAX + (f-1)) * BINS_MAX + (m-1)]: the segment of a
	 * score triple, n_segments for "other". */
	uint8_t cell[REBUY_RFM_CELLS];
};

/* The default map of DESIGN.md §4 (5 bins, by R and F). *out is owned by
 * the caller (rebuy_rfm_map_free). REBUY_ENOMEM on failure. */
enum rebuy_status rebuy_rfm_map_default(struct rebuy_rfm_map **out, struct rebuy_error *err);

/* Parses a rules file's text (docs/rfm.md, "Rules files"): lines
 * `segment,R,F[,M]` with a score (4), a range (4-5) or * for each, `#`
 * comments, blank lines, an optional `segment,r,f,m` header and an optional
 * `bins,N` line before the rules. bins is the --bins given (0: none; then
 * the file's `bins` line, else 5). name is used in messages
 * ("rules.csv:3: F range '4-9' is outside 1..5"). Errors: REBUY_EARG for
 * what the text says, REBUY_ELIMIT past the size bounds, REBUY_ENOMEM.
 * Never reads past len; the text need not be NUL-terminated. */
enum rebuy_status rebuy_rfm_map_parse(struct rebuy_rfm_map **out, const char *text, size_t len,
                                      const char *name, unsigned bins, struct rebuy_error *err);

/* Reads the rules file at path (at most REBUY_RFM_RULES_MAX_BYTES) and
 * parses it. REBUY_EIO when it cannot be read. */
enum rebuy_status rebuy_rfm_map_load(struct rebuy_rfm_map **out, const char *path, unsigned bins,
                                     struct rebuy_error *err);

void rebuy_rfm_map_free(struct rebuy_rfm_map *map);

/* The name of segment k: names[k], "other" for k == n_segments. Borrowed. */
const char *rebuy_rfm_map_segment_name(const struct rebuy_rfm_map *map, size_t k);

/* The segment of a score triple (each in 1..bins): an index < n_segments,
 * or n_segments ("other"). */
static inline size_t rebuy_rfm_map_classify(const struct rebuy_rfm_map *map, unsigned r, unsigned f,
                                            unsigned m)
{
	return map->cell[((r - 1) * REBUY_RFM_BINS_MAX + (f - 1)) * REBUY_RFM_BINS_MAX + (m - 1)];
}

/* Segment k's rules as text, "R5 F4-5": the scores each rule limits (R,
 * F, M; "any" when none), rules joined by " or ", "no rule matches" for
 * "other". snprintf-like: writes at
 * most size bytes, NUL-terminated, returns the length of the whole text. */
size_t rebuy_rfm_map_describe(const struct rebuy_rfm_map *map, size_t k, char *buf, size_t size);

/* The map as a rules file that rebuy_rfm_map_parse reads back to the same
 * map. snprintf-like, as rebuy_rfm_map_describe. */
size_t rebuy_rfm_map_format(const struct rebuy_rfm_map *map, char *buf, size_t size);

/* ---- RFM of a shop ------------------------------------------------------ */

struct rebuy_rfm_options {
	unsigned bins; /* 0: the map's */
	int has_as_of;
	int64_t as_of_day; /* default: the day after the last purchase */
	int has_transitions;
	int64_t transitions_day;         /* the earlier as-of day; before as_of_day */
	const struct rebuy_rfm_map *map; /* NULL: the default map (5 bins) */
	unsigned n_threads;              /* 0: one per online CPU */
};

void rebuy_rfm_options_init(struct rebuy_rfm_options *opts);

enum { REBUY_RFM_R, REBUY_RFM_F, REBUY_RFM_M };

/* The customers of one score of one measure and the range of their values
 * (days for R, purchases for F, 1/10,000 units for M); min > max when the
 * score has no customer (ties can leave a score empty). */
struct rebuy_rfm_bin {
	uint64_t customers;
	int64_t min, max;
};

struct rebuy_rfm_segment {
	const char *name; /* borrowed from the result's map */
	uint64_t customers;
	double share; /* customers / n_customers */
	int64_t revenue;
	double revenue_share; /* revenue / the revenue of all customers; NaN without amounts */
	double median_recency_days, median_frequency;
	double median_monetary; /* currency units; NaN without amounts */
};

/* One customer id of the orders table. */
struct rebuy_rfm_customer {
	int64_t monetary;       /* 1/10,000 units; 0 without amounts */
	int32_t recency_days;   /* as-of day - last purchase day (>= 1) */
	uint32_t frequency;     /* purchases; 0: no purchase before the as-of day */
	uint8_t r, f, m;        /* scores 1..bins; 0 when frequency is 0 */
	uint8_t segment;        /* < n_segments, or REBUY_RFM_NONE when frequency is 0 */
	uint8_t segment_before; /* with transitions: the segment then, n_segments for
	                           "new", REBUY_RFM_NONE when frequency is 0 */
};

struct rebuy_rfm {
	struct rebuy_rfm_map *map; /* owned copy of the map used */
	unsigned bins;
	int has_amount; /* 0: monetary and M are absent (M is 1 for all) */
	int64_t as_of_day, first_day, last_day;
	uint64_t n_customers; /* with a purchase before as_of_day */
	int64_t revenue;      /* theirs */

	/* Indexed by customer id of the orders table; a customer without a
	 * purchase (returns only) has frequency 0 and segment REBUY_RFM_NONE.
	 * One record per customer, so that walking customers in key order
	 * touches one cache line each. */
	size_t n_ids;
	struct rebuy_rfm_customer *customers;

	size_t n_segments; /* map->n_segments + map->has_other */
	struct rebuy_rfm_segment *segments;
	struct rebuy_rfm_bin scores[3][REBUY_RFM_BINS_MAX]; /* [measure][score - 1] */

	/* --transitions: the segments as of transitions_day, over the
	 * purchases before it (customers[c].segment_before). */
	int has_transitions;
	int64_t transitions_day;
	uint64_t n_customers_before; /* with a purchase before transitions_day */
	/* (n_segments + 1) rows (segment then; the last row: new customers) x
	 * n_segments columns (segment now): customers. */
	uint64_t *transitions;
};

/* Computes the RFM of orders. On success *out is owned by the caller
 * (rebuy_rfm_free). Errors: REBUY_EDATA when there is no purchase;
 * REBUY_EARG when bins is outside 3..10, differs from the map's, the map is
 * the default and bins is not 5, the map limits M and the input has no
 * amounts, as_of_day is not after the last purchase day or the transitions
 * day is not before as_of_day; REBUY_ELIMIT when a revenue sum does not
 * fit; REBUY_ENOMEM. Memory: 24 bytes per customer id for the result (24
 * more while computing with transitions) and 16 per customer id and thread
 * for sorting. Reads orders from several threads. */
enum rebuy_status rebuy_rfm_compute(const struct rebuy_orders *orders,
                                    const struct rebuy_rfm_options *opts, struct rebuy_rfm **out,
                                    struct rebuy_error *err);

void rebuy_rfm_free(struct rebuy_rfm *rfm);

/* Adds the RFM result to doc under parent (the JSON contract of
 * docs/rfm.md): as_of, bins, segment_map, n_customers, revenue, segments,
 * scores, transitions (when computed), input (when report is not NULL;
 * hidden in text tables) and definitions. */
void rebuy_rfm_doc(const struct rebuy_rfm *rfm, const struct rebuy_input_report *report,
                   struct rebuy_doc *doc, struct rebuy_node *parent);

/* Streams the per-customer table, sorted by customer key: customer,
 * recency_days, frequency, monetary, r, f, m, segment (and
 * previous_segment with transitions). keep, when not NULL, has
 * rfm->n_segments flags: only customers of a flagged segment are written.
 * orders must be the table rfm was computed from. REBUY_ENOMEM or
 * REBUY_EIO on failure. */
enum rebuy_status rebuy_rfm_write_customers(const struct rebuy_rfm *rfm,
                                            const struct rebuy_orders *orders,
                                            const unsigned char *keep, FILE *out,
                                            enum rebuy_format format,
                                            const struct rebuy_csv_options *opts);

#ifdef __cplusplus
}
#endif
#endif
