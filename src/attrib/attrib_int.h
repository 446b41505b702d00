/* Attribution internals shared by the reading, the models and the chain.
 * Journeys are kept flat: the channel ids of every touch back to back, and
 * per journey its first touch, its length and its c, v, n. */
#ifndef REBUY_ATTRIB_INT_H
#define REBUY_ATTRIB_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/strtab.h"
#include "rebuy/attrib.h"

struct rebuy__attrib_journey {
	uint64_t start; /* first touch in touch[] */
	uint32_t len;   /* touches, >= 1 */
	double conversions, value, nulls;
};

struct rebuy__attrib_priv {
	struct rebuy__strtab names; /* channel names; ids are sorted after reading */
	uint32_t *touch;            /* channel id of each touch */
	double *age;                /* days before the conversion, or NULL (paths) */
	size_t touch_cap;
	struct rebuy__attrib_journey *jr; /* n_journeys */
	size_t jr_cap;
	double *cost;        /* per channel id, or NULL */
	const char **sorted; /* channel names by id, after sorting */
};

/* The priv of a new journeys object (allocates both). */
enum rebuy_status rebuy__attrib_journeys_new(struct rebuy_attrib_journeys **out, const char *path,
                                             struct rebuy_error *err);
/* Interns a channel name; REBUY_ELIMIT past REBUY_ATTRIB_MAX_CHANNELS. */
enum rebuy_status rebuy__attrib_channel(struct rebuy_attrib_journeys *j, const char *s, size_t n,
                                        uint32_t *id);
/* Appends a touch (age ignored when the journeys keep none). */
enum rebuy_status rebuy__attrib_touch(struct rebuy_attrib_journeys *j, uint32_t ch, double age);
/* Ends a journey over the touches appended since the last one. */
enum rebuy_status rebuy__attrib_journey_end(struct rebuy_attrib_journeys *j, double c, double v,
                                            double n);
/* Renumbers the channels in byte order of their names (after reading). */
enum rebuy_status rebuy__attrib_sort_channels(struct rebuy_attrib_journeys *j);

/* Absorption in the first-order chain: from counts T, a (k + 1) x (k + 3)
 * row-major matrix over states start (0), channels 1..k, conversion (k+1)
 * and null (k+2), writes P (absorption in conversion from start) and the
 * removal effect of each channel, re[0..k) (channel i is state i + 1):
 * 1 - P_-i / P, or NaN when P is 0. REBUY_EINTERNAL when the system is
 * singular, REBUY_ENOMEM. */
enum rebuy_status rebuy__attrib_markov_solve(const double *T, size_t k, double *P, double *re,
                                             struct rebuy_error *err);

#endif
