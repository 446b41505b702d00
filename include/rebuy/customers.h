/* rebuy — the per-customer summary (DESIGN.md §4, customer level).
 *
 * Everything here is computed from one customer's purchases in the orders
 * table, so it is a pure function of that customer's orders: shards that
 * hold disjoint customers compute the same values independently.
 * Days are whole calendar days of the data's clock; a customer's "first
 * purchase" is the first purchase day.
 */
#ifndef REBUY_CUSTOMERS_H
#define REBUY_CUSTOMERS_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/error.h"
#include "rebuy/orders.h"

#ifdef __cplusplus
extern "C" {
#endif

struct rebuy_customer {
	uint32_t n_orders;         /* purchases */
	uint32_t n_days;           /* distinct purchase days */
	int64_t first_ts, last_ts; /* first and last purchase time */
	int64_t first_day, last_day;
	int64_t second_day;        /* the second purchase day; first_day when n_days == 1 */
	int64_t revenue;           /* sum of purchases (1/10,000 units) */
	int64_t first_day_revenue; /* of the orders on the first purchase day */
	uint32_t n_returns;
	int64_t returned; /* value of returns, as a positive amount */
};

/* Fills *out for customer c. REBUY_ELIMIT when a sum does not fit. */
enum rebuy_status rebuy_customer_compute(const struct rebuy_orders *orders, size_t c,
                                         struct rebuy_customer *out);

enum rebuy_time_unit { REBUY_UNIT_DAY, REBUY_UNIT_WEEK, REBUY_UNIT_MONTH };

/* "day", "week", "month" -> *out; REBUY_EARG otherwise. */
enum rebuy_status rebuy_time_unit_from_name(const char *name, enum rebuy_time_unit *out,
                                            struct rebuy_error *err);
const char *rebuy_time_unit_name(enum rebuy_time_unit unit);
/* Days in a unit: 1, 7, or 365.25 / 12. */
double rebuy_time_unit_days(enum rebuy_time_unit unit);

/* The BTYD summary of a customer for a calibration period ending on day
 * cal_end (inclusive), in a time unit:
 *   x = purchase days in the calibration period - 1 (repeat transactions;
 *       several orders on one day count once),
 *   t_x = days from the first to the last purchase day of the period / unit,
 *   T = days from the first purchase day to cal_end / unit,
 *   monetary = mean value of the repeat purchase days of the period (a day's
 *       value is the sum of its orders), 0 when x = 0,
 *   x_holdout = purchase days after cal_end (up to the end of the data). */
struct rebuy_btyd {
	double x, t_x, T, monetary;
	uint32_t x_holdout;
	int64_t first_day;
};

/* Returns 1 and fills *out when the customer's first purchase day is on or
 * before cal_end (the customer belongs to the calibration period), 0 when
 * the customer is new in the holdout period (out untouched). */
int rebuy_btyd_compute(const struct rebuy_orders *orders, size_t c, int64_t cal_end,
                       enum rebuy_time_unit unit, struct rebuy_btyd *out);

#ifdef __cplusplus
}
#endif
#endif
