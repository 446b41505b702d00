/* The loyalty program: the earning, bonus, tier, redemption and expiry
 * rules read from a program file (docs/loyalty.md, "Program file"). All
 * money is in 1/10,000 units, factors in 1/10,000 (10000 = x1), points whole;
 * every computation is integer and rounds down (floor).
 */
#ifndef REBUY_LOYALTY_PROGRAM_H
#define REBUY_LOYALTY_PROGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/error.h"

#define LP_MAX_BYTES (64 * 1024)
#define LP_MAX_RULES 256
#define LP_NAME_MAX 64
#define LP_FACTOR_ONE 10000
#define LP_NEVER INT64_MAX

enum lp_basis { LP_SPEND, LP_POINTS };

struct lp_multiplier {
	int is_category;
	char key[LP_NAME_MAX + 1];
	int64_t factor;
};

struct lp_bonus {
	int64_t nth, points;
};

struct lp_tier {
	char name[LP_NAME_MAX + 1];
	enum lp_basis basis;
	int64_t threshold; /* money units (spend) or points */
	int64_t factor;
	char perks[8][LP_NAME_MAX + 1];
	size_t n_perks;
};

struct rebuy__program {
	int64_t earn_points, earn_per; /* earn_points for every earn_per money units */
	struct lp_multiplier mult[LP_MAX_RULES];
	size_t n_mult;
	struct lp_bonus bonus[16];
	size_t n_bonus;
	int64_t birthday_points;
	struct lp_tier tier[16];
	size_t n_tiers;
	int64_t tier_window_days;
	int64_t min_redemption;
	int64_t expiry_months; /* 0: points never expire */
	int64_t pending_days;
};

/* Parses a program text of n bytes; name is the file name for messages
 * ("name:line:col: what"). On success *out is a new program (rebuy__free). */
enum rebuy_status rebuy__program_parse(struct rebuy__program **out, const char *text, size_t n,
                                       const char *name, struct rebuy_error *err);
/* Reads and parses the file at path; *text gets the file's bytes (NUL-
 * terminated, rebuy__free) so the store can keep them. */
enum rebuy_status rebuy__program_load(struct rebuy__program **out, char **text, const char *path,
                                      struct rebuy_error *err);

/* Base points of an amount (or of the lines) at the tier factor. */
struct rebuy_loyalty_line;
int64_t rebuy__program_points(const struct rebuy__program *p, int64_t amount,
                              const struct rebuy_loyalty_line *lines, size_t n_lines,
                              int64_t tier_factor);
/* The tier reached with spend (money units) and points over the window: an
 * index into p->tier, or -1 for none (factor x1). The last tier in file
 * order whose threshold is met wins. */
int rebuy__program_tier(const struct rebuy__program *p, int64_t spend, int64_t points);

/* t plus n calendar months (the day clamped to the month's end). */
int64_t rebuy__add_months(int64_t t, int64_t n);

#endif
