/* Day-to-period tables; see period.h. */
#include "core/period.h"

#include "core/mem.h"

int32_t *rebuy__period_lut(enum rebuy_period period, int64_t day0, size_t span, size_t max_periods,
                           int64_t *p0, size_t *n_periods)
{
	*p0 = rebuy_period_index(period, day0);
	int64_t last = rebuy_period_index(period, day0 + (int64_t)(span ? span - 1 : 0));
	*n_periods = (size_t)(last - *p0 + 1);
	if (*n_periods > max_periods)
		return NULL;
	int32_t *lut = rebuy__malloc((span ? span : 1) * sizeof *lut);
	if (!lut)
		return NULL;
	/* Walk period by period rather than converting every day. */
	int64_t p = *p0, next = rebuy_period_start(period, p + 1);
	for (size_t d = 0; d < span; d++) {
		int64_t day = day0 + (int64_t)d;
		while (day >= next) {
			p++;
			next = rebuy_period_start(period, p + 1);
		}
		lut[d] = (int32_t)(p - *p0);
	}
	return lut;
}
