/* The per-customer summary and the BTYD calibration summary (x, t_x, T,
 * monetary) of Fader, Hardie & Lee (2005), with same-day orders merged into
 * one transaction as BTYD's dc.ElogToCbsCbt does. One pass over a
 * customer's purchases, which the orders table keeps in time order. */
#include <string.h>

#include "rebuy/customers.h"

static inline int64_t day_of(int64_t ts)
{
	return ts >= 0 ? ts / 86400 : -((-ts + 86399) / 86400);
}

enum rebuy_status rebuy_customer_compute(const struct rebuy_orders *o, size_t c,
                                         struct rebuy_customer *out)
{
	memset(out, 0, sizeof *out);
	uint64_t a = o->cust_start[c], z = o->cust_start[c + 1];
	out->n_orders = (uint32_t)(z - a);
	int64_t prev_day = INT64_MIN;
	for (uint64_t i = a; i < z; i++) {
		int64_t day = day_of(o->ts[i]);
		if (day != prev_day) {
			out->n_days++;
			if (out->n_days == 2)
				out->second_day = day;
			prev_day = day;
		}
		if (__builtin_add_overflow(out->revenue, o->value[i], &out->revenue))
			return REBUY_ELIMIT;
		if (out->n_days == 1)
			out->first_day_revenue += o->value[i];
	}
	if (z > a) {
		out->first_ts = o->ts[a];
		out->last_ts = o->ts[z - 1];
		out->first_day = day_of(out->first_ts);
		out->last_day = day_of(out->last_ts);
		if (out->n_days == 1)
			out->second_day = out->first_day;
	}
	for (uint64_t i = o->ret_start[c]; i < o->ret_start[c + 1]; i++) {
		out->n_returns++;
		if (__builtin_sub_overflow(out->returned, o->ret_value[i], &out->returned))
			return REBUY_ELIMIT;
	}
	return REBUY_OK;
}

enum rebuy_status rebuy_time_unit_from_name(const char *name, enum rebuy_time_unit *out,
                                            struct rebuy_error *err)
{
	if (strcmp(name, "day") == 0)
		*out = REBUY_UNIT_DAY;
	else if (strcmp(name, "week") == 0)
		*out = REBUY_UNIT_WEEK;
	else if (strcmp(name, "month") == 0)
		*out = REBUY_UNIT_MONTH;
	else
		return rebuy_error_set(err, REBUY_EARG,
		                       "unknown time unit '%s' (day, week or month)", name);
	return REBUY_OK;
}

const char *rebuy_time_unit_name(enum rebuy_time_unit unit)
{
	return unit == REBUY_UNIT_DAY ? "day" : unit == REBUY_UNIT_MONTH ? "month" : "week";
}

double rebuy_time_unit_days(enum rebuy_time_unit unit)
{
	return unit == REBUY_UNIT_DAY ? 1.0 : unit == REBUY_UNIT_MONTH ? 365.25 / 12.0 : 7.0;
}

int rebuy_btyd_compute(const struct rebuy_orders *o, size_t c, int64_t cal_end,
                       enum rebuy_time_unit unit, struct rebuy_btyd *out)
{
	uint64_t a = o->cust_start[c], z = o->cust_start[c + 1];
	if (a == z)
		return 0;
	int64_t first = day_of(o->ts[a]);
	if (first > cal_end)
		return 0;
	int64_t prev = INT64_MIN, last = first;
	uint32_t days = 0, holdout = 0;
	/* Sums of the repeat days' values in exact units; a long double mean of
	 * an exact sum keeps every digit that a double can show. */
	__int128 repeat_value = 0;
	for (uint64_t i = a; i < z; i++) {
		int64_t day = day_of(o->ts[i]);
		if (day > cal_end) {
			if (day != prev)
				holdout++;
			prev = day;
			continue;
		}
		if (day != prev) {
			days++;
			last = day;
			prev = day;
		}
		if (day != first)
			repeat_value += o->value[i];
	}
	double unit_days = rebuy_time_unit_days(unit);
	out->x = (double)(days - 1);
	out->t_x = (double)(last - first) / unit_days;
	out->T = (double)(cal_end - first) / unit_days;
	out->monetary =
	        days > 1 ? (double)((long double)repeat_value / (days - 1) / 10000.0L) : 0.0;
	out->x_holdout = holdout;
	out->first_day = first;
	return 1;
}
