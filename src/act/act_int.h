/* Internal to src/act: the fields a rules file reads and the compiled
 * rules (audience_rules.c), evaluated by audiences.c. */
#ifndef REBUY_ACT_INT_H
#define REBUY_ACT_INT_H

#include <stddef.h>

#include "rebuy/audiences.h"
#include "rebuy/features.h"

/* Numeric fields: the features' base columns, then these; dates are day
 * numbers. A missing value is NaN. */
enum {
	RULE_P_ALIVE = REBUY_FEAT_N_BASE,
	RULE_P_PURCHASE,
	RULE_EXPECTED,
	RULE_CLV,
	RULE_R,
	RULE_F,
	RULE_M,
	RULE_FIRST_PURCHASE, /* dates from here */
	RULE_LAST_PURCHASE,
	RULE_NEXT_PURCHASE,
	RULE_N_NUMERIC
};

/* Text fields: the segment, then the orders' attribute columns. */
#define RULE_TEXT_SEGMENT 0

/* Resolves field names against the orders' attribute columns (attr[0..n)):
 * REBUY_EARG naming the rules file, line and column of an unknown field
 * or of a comparison the field's type does not take. */
enum rebuy_status rebuy__audience_rules_bind(struct rebuy_audience_rules *rules,
                                             const char *const *attr, size_t n_attr,
                                             struct rebuy_error *err);

/* Audience k of the rules (k < rebuy_audience_rules_count). */
const char *rebuy__audience_rule_name(const struct rebuy_audience_rules *rules, size_t k);
const char *rebuy__audience_rule_action(const struct rebuy_audience_rules *rules, size_t k);
const char *rebuy__audience_rule_reason(const struct rebuy_audience_rules *rules, size_t k);
/* The numeric field that scores audience k, or -1 for the default. */
int rebuy__audience_rule_score(const struct rebuy_audience_rules *rules, size_t k);

/* Whether a customer with these fields (num: RULE_N_NUMERIC values; text:
 * 1 + n_attr strings) is in audience k. Bound rules only. */
int rebuy__audience_rule_match(const struct rebuy_audience_rules *rules, size_t k,
                               const double *num, const char *const *text);

#endif
