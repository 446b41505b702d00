/* rebuy — attribution: which touchpoints (channels, campaigns, e-mails)
 * bring customers back (DESIGN.md §5 `attribute`, docs/attribute.md).
 *
 * Journeys are sequences of touches (channel ids) that end in conversions
 * (c, with value v) or not (n journeys that ended without one). They come
 * either from pre-aggregated paths (the layout `path` = "a > b > c",
 * total_conversions, total_conversion_value, total_null) or from a
 * touchpoints file joined to the orders: each purchase takes the
 * customer's touches after their previous purchase and at or before it
 * (and, with a lookback, at most that many days before it); touches after
 * a customer's last purchase, and those of people who never bought, are
 * one non-converting journey each.
 *
 * Every model splits each journey's c and v among its touches, so each
 * model's credits sum to the total conversions and value:
 *   first_touch  all to the first touch; last_touch  all to the last;
 *   linear       1/n to each of the n touches (a channel that occurs twice
 *                gets 2/n);
 *   position     U-shaped: first w_f, last w_l, the n - 2 middle touches
 *                (1 - w_f - w_l) / (n - 2) each; one touch takes all; two
 *                touches share in proportion w_f : w_l (half each when
 *                both are 0);
 *   time_decay   touch i gets 2^(-a_i / H) normalised over the journey,
 *                a_i its age at the conversion: days with touch times (H
 *                the half-life in days), or touches before the last (0
 *                for the last, 1 for the one before, ...) when the paths
 *                carry no times (H the half-life in touches);
 *   markov       the first-order removal effect, computed exactly from
 *                the absorbing Markov chain of the journeys (states start,
 *                the channels, conversion, null; transition counts weighted
 *                by c + n): P = the probability of absorption in
 *                conversion from start, P_-k the same when every
 *                transition into channel k goes to null instead, RE_k =
 *                1 - P_-k / P, and channel k gets C RE_k / sum RE, V RE_k /
 *                sum RE of the totals C and V.
 *
 * Memory: about 12 bytes per touch and 40 per journey, (k + 1)^2 doubles
 * for k channels (at most REBUY_ATTRIB_MAX_CHANNELS). Time: linear in the
 * touches, plus O(k^3) for the chain. Nothing here prints; results do not
 * depend on the number of threads (there is one).
 */
#ifndef REBUY_ATTRIB_H
#define REBUY_ATTRIB_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/doc.h"
#include "rebuy/error.h"
#include "rebuy/input.h"
#include "rebuy/orders.h"
#include "rebuy/table.h"

#ifdef __cplusplus
extern "C" {
#endif

#define REBUY_ATTRIB_MAX_CHANNELS 1024
#define REBUY_ATTRIB_MAX_TOUCHES ((size_t)1 << 31) /* in one input */
#define REBUY_ATTRIB_DEFAULT_FIRST 0.4
#define REBUY_ATTRIB_DEFAULT_LAST 0.4
#define REBUY_ATTRIB_DEFAULT_HALF_LIFE_DAYS 7.0
#define REBUY_ATTRIB_DEFAULT_HALF_LIFE_TOUCHES 1.0
#define REBUY_ATTRIB_MAX_LOOKBACK_DAYS 3650
#define REBUY_ATTRIB_MAX_AMOUNT 1e15 /* a path's conversions, value or nulls */

enum rebuy_attrib_model {
	REBUY_ATTRIB_FIRST_TOUCH,
	REBUY_ATTRIB_LAST_TOUCH,
	REBUY_ATTRIB_LINEAR,
	REBUY_ATTRIB_POSITION,
	REBUY_ATTRIB_TIME_DECAY,
	REBUY_ATTRIB_MARKOV,
	REBUY_ATTRIB_MODEL_COUNT
};

/* "first_touch", "last_touch", "linear", "position", "time_decay",
 * "markov" (static). */
const char *rebuy_attrib_model_name(enum rebuy_attrib_model m);

/* Journeys, read from paths or built from touchpoints and orders. */
struct rebuy_attrib_journeys {
	char path[256];       /* the paths or touchpoints file, for messages */
	int from_touchpoints; /* 1: built from touchpoints (touch times known) */
	int has_value;        /* conversion values are known */
	int has_cost;         /* the touchpoints carried a cost column */
	size_t n_channels;    /* ids 0..n-1 in byte order of the names */
	size_t n_journeys;    /* paths (rows) or journeys */
	uint64_t n_touches;   /* touches in the journeys */
	double conversions;   /* the sum of c */
	double value;         /* the sum of v (0 without values) */
	double nulls;         /* the sum of n */
	/* Building from touchpoints: what happened to the rows and orders. */
	uint64_t touch_rows;               /* rows of the touchpoints file */
	uint64_t touches_unused;           /* before a first purchase under repeat_only, or
	                                      older than the lookback */
	uint64_t orders;                   /* purchases considered (repeat ones under
	                                      repeat_only) */
	uint64_t orders_first_skipped;     /* first-day purchases left out by repeat_only */
	uint64_t orders_without_touches;   /* considered purchases with no touch: uncredited */
	double value_without_touches;      /* their value */
	uint64_t customers_without_orders; /* touchpoint customers with no purchase */
	int64_t lookback_days;             /* as given (0: none) */
	int repeat_only;                   /* as given */
	const char *date_format_name;      /* of the touch times: "iso", "dmy", ... (static) */
	struct rebuy__attrib_priv *priv;
};

/* The name of channel id k (< n_channels). Borrowed, NUL-terminated, valid
 * while the journeys live. */
const char *rebuy_attrib_channel_name(const struct rebuy_attrib_journeys *j, size_t k);

struct rebuy_attrib_paths_options {
	/* Column references (a header name or a 1-based number), or NULL to
	 * detect: path (path, paths), conversions (total_conversions,
	 * conversions), value (total_conversion_value, conversion_value, value;
	 * optional), null (total_null, null, nulls; optional). */
	const char *path_column, *conversions_column, *value_column, *null_column;
	char separator; /* between channels; 0: '>' */
};

void rebuy_attrib_paths_options_init(struct rebuy_attrib_paths_options *opts);

/* Reads pre-aggregated paths from table (rows in any order; the same path
 * on two rows counts twice). Channel names are trimmed of blanks.
 * On success *out owns new journeys (free with rebuy_attrib_journeys_free).
 * Errors: REBUY_EDATA "file:line:col: what" for an empty path or channel, a
 * count or value that is not a number from 0 to REBUY_ATTRIB_MAX_AMOUNT, a
 * value > 0 with no conversions; a missing column or two
 * candidates; REBUY_ELIMIT beyond REBUY_ATTRIB_MAX_CHANNELS channels or
 * REBUY_ATTRIB_MAX_TOUCHES touches; REBUY_EARG for a column flag naming no
 * column; REBUY_ENOMEM. The table is only read. */
enum rebuy_status rebuy_attrib_paths_read(const struct rebuy_table *table,
                                          const struct rebuy_attrib_paths_options *opts,
                                          struct rebuy_attrib_journeys **out,
                                          struct rebuy_error *err);

/* Column roles of a touchpoints file. */
enum rebuy_attrib_touch_role {
	REBUY_ATTRIB_TOUCH_CUSTOMER,
	REBUY_ATTRIB_TOUCH_TIME,
	REBUY_ATTRIB_TOUCH_CHANNEL,
	REBUY_ATTRIB_TOUCH_COST, /* optional */
	REBUY_ATTRIB_TOUCH_ROLE_COUNT
};

struct rebuy_attrib_touch_options {
	/* Column references (a header name or a 1-based number), or NULL to
	 * detect (docs/attribute.md lists the names); flag_names[role] names
	 * the option for messages. A campaign column is credited by naming it
	 * as the channel. */
	const char *column[REBUY_ATTRIB_TOUCH_ROLE_COUNT];
	const char *flag_names[REBUY_ATTRIB_TOUCH_ROLE_COUNT];
	const char *date_format; /* NULL or "auto": detect (rebuy_date_format_parse) */
	int64_t lookback_days;   /* 0: since the previous purchase only; else also at most
	                            this many days before the purchase (1 ..
	                            REBUY_ATTRIB_MAX_LOOKBACK_DAYS) */
	int repeat_only;         /* credit only purchases after the first purchase day */
};

void rebuy_attrib_touch_options_init(struct rebuy_attrib_touch_options *opts);

/* Builds journeys from a touchpoints table and the orders (docs/attribute.md
 * "Journeys"). Touches and purchases of a customer are matched by the
 * customer key as the orders read it (trimmed, "17850.0" as "17850"). A
 * touch at the same second as a purchase belongs to it. Errors as
 * rebuy_attrib_paths_read: an empty customer or channel, an unreadable time
 * or cost ("file:line:col: ..."), dates that mix month/day and day/month.
 * Both inputs are only read. */
enum rebuy_status rebuy_attrib_journeys_build(const struct rebuy_table *touchpoints,
                                              const struct rebuy_orders *orders,
                                              const struct rebuy_attrib_touch_options *opts,
                                              struct rebuy_attrib_journeys **out,
                                              struct rebuy_error *err);

void rebuy_attrib_journeys_free(struct rebuy_attrib_journeys *j);

struct rebuy_attrib_options {
	double position_first, position_last; /* >= 0, sum <= 1 */
	/* Time decay's half-life: in days with touch times, in touches without
	 * them (> 0). When half_life_touches is set (> 0) it is used even with
	 * times. */
	double half_life_days, half_life_touches;
};

/* Defaults: 0.4 / 0.4, 7 days, 1 touch (used only for paths). */
void rebuy_attrib_options_init(struct rebuy_attrib_options *opts);

struct rebuy_attrib_channel {
	const char *name; /* borrowed from the journeys */
	double conversions[REBUY_ATTRIB_MODEL_COUNT];
	double value[REBUY_ATTRIB_MODEL_COUNT]; /* 0 without values */
	double removal_effect;                  /* RE_k; NaN without conversions */
	uint64_t touches;                       /* in all journeys */
	uint64_t converting_touches;            /* in converting journeys */
	double cost;                            /* of its touches in the journeys; 0 without */
};

struct rebuy_attrib {
	const struct rebuy_attrib_journeys *journeys; /* borrowed: must outlive this */
	struct rebuy_attrib_options opts;             /* as used */
	int decay_by_touches;                         /* time decay counted touches, not days */
	double p_conversion;                          /* P of the Markov chain (NaN: no journey) */
	double removal_effect_sum;
	size_t n_channels;
	struct rebuy_attrib_channel *channels; /* in byte order of the names */
};

/* Runs every model over j. On success *out owns a new result (free with
 * rebuy_attrib_free); it borrows j. Errors: REBUY_EARG for weights or a
 * half-life out of range; REBUY_EINTERNAL when the chain's system is
 * singular (a bug: every visited state leads to absorption);
 * REBUY_ENOMEM. */
enum rebuy_status rebuy_attrib_compute(const struct rebuy_attrib_journeys *j,
                                       const struct rebuy_attrib_options *opts,
                                       struct rebuy_attrib **out, struct rebuy_error *err);

void rebuy_attrib_free(struct rebuy_attrib *a);

/* Adds the result to doc under parent (the JSON contract of
 * docs/attribute.md): settings and counts, `channels` (one object per
 * channel: channel, <model>_conversions and <model>_value for every model,
 * markov_removal_effect, touches, and cost and <model>_roi with costs),
 * `input` (the orders' report when not NULL; hidden in text tables) and
 * `definitions`. */
void rebuy_attrib_doc(const struct rebuy_attrib *a, const struct rebuy_input_report *orders_report,
                      struct rebuy_doc *doc, struct rebuy_node *parent);

#ifdef __cplusplus
}
#endif
#endif
