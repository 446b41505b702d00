/* Day-to-period tables for the measures that bucket many dates by calendar
 * period: one table lookup per date instead of a civil-calendar conversion.
 */
#ifndef REBUY_CORE_PERIOD_H
#define REBUY_CORE_PERIOD_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/date.h"

/* A table of `span` entries: entry d holds the period of day0 + d, counted
 * from the period of day0, which goes to *p0. The number of periods the
 * days touch goes to *n_periods. Returns NULL when out of memory or when
 * there are more than max_periods periods (then *n_periods says how many). */
int32_t *rebuy__period_lut(enum rebuy_period period, int64_t day0, size_t span, size_t max_periods,
                           int64_t *p0, size_t *n_periods);

#endif
