/* rebuy — the orders table.
 *
 * Lines are grouped into orders by the order key when the input has one,
 * else by (customer, timestamp); an order's time is its earliest line's, its
 * value the exact sum of its lines. Orders worth less than zero are returns
 * and are kept apart; every other order (zero-value ones too) is a purchase.
 *
 * The table is columnar and compact: customers are dense ids 0..n-1 and
 * purchases are sorted by (customer, time, order key), so customer c's
 * purchases are [cust_start[c], cust_start[c+1]). A customer appears only
 * when they have at least one purchase or return within the window.
 *
 * Building it streams the input: memory holds one small record per order and
 * per distinct key, never the file. Customer ids are an internal numbering:
 * nothing rebuy prints depends on them (per-customer output is sorted by a
 * stated key), so results are the same whatever the thread count.
 *
 * A built table is read-only and may be read from several threads at once.
 */
#ifndef REBUY_ORDERS_H
#define REBUY_ORDERS_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/error.h"
#include "rebuy/input.h"

#ifdef __cplusplus
extern "C" {
#endif

struct rebuy_orders {
	size_t n_customers;
	size_t n_orders;            /* purchases */
	const uint64_t *cust_start; /* n_customers + 1 offsets into the purchase columns */
	const int64_t *ts;          /* order time, seconds */
	const int64_t *value;       /* 1/10,000 units, >= 0 */
	const uint32_t *n_lines;    /* lines folded into each purchase */

	size_t n_returns;          /* orders worth < 0, sorted by (customer, time) */
	const uint64_t *ret_start; /* n_customers + 1 offsets into the return columns */
	const uint32_t *ret_cust;
	const int64_t *ret_ts;
	const int64_t *ret_value; /* < 0 */

	/* The attributes asked for in the input options, per purchase: attr[k][i]
	 * is the id of the value of attribute k on purchase i (the value on its
	 * earliest line), in [0, n_attr_values[k]); ids follow the byte order of
	 * the values, and an empty cell is the value "". */
	size_t n_attributes;
	const uint32_t *attr[REBUY_MAX_ATTRIBUTES];
	size_t n_attr_values[REBUY_MAX_ATTRIBUTES];

	int has_amount;    /* 0 when the input had neither amount nor price: values are 0 */
	int has_order_key; /* lines were grouped by an order column */
	int64_t first_day, last_day; /* of purchases; 0 when n_orders is 0 */
	struct rebuy_input_report report;
	struct rebuy__orders_priv *priv;
};

/* Reads the input of opts and builds the table. On success *out owns a new
 * table (free with rebuy_orders_free). On failure *out is NULL, err says
 * where and what ("orders.csv:1043:3: cannot read date '31/02/2011'"), and,
 * when report is not NULL, *report holds what was read up to the failure
 * (used by `inspect` to show a file it cannot fully read). */
enum rebuy_status rebuy_orders_load(struct rebuy_orders **out,
                                    const struct rebuy_input_options *opts,
                                    struct rebuy_input_report *report, struct rebuy_error *err);

void rebuy_orders_free(struct rebuy_orders *orders);

/* The key of customer c as read (trimmed; "17850.0" read as "17850").
 * Borrowed, NUL-terminated, valid while the table lives. */
const char *rebuy_orders_customer_key(const struct rebuy_orders *orders, size_t c, size_t *len);

/* The column name of attribute k, and the text of its value id (NUL-
 * terminated; *len may be NULL). Borrowed, valid while the table lives. */
const char *rebuy_orders_attribute_name(const struct rebuy_orders *orders, size_t k);
const char *rebuy_orders_attribute_value(const struct rebuy_orders *orders, size_t k, uint32_t id,
                                         size_t *len);

/* The order of customer keys everywhere rebuy sorts by them: keys of digits
 * only first, by numeric value (leading zeros aside), then byte-wise with the
 * shorter first when one is a prefix of the other. <0, 0 or >0. */
int rebuy_key_compare(const char *a, size_t la, const char *b, size_t lb);

/* The customer ids 0..n-1 in key order (byte-wise, shorter first when one
 * key is a prefix of the other; keys of digits only compare as numbers
 * first). Writes n_customers ids into ids. REBUY_ENOMEM on failure. */
enum rebuy_status rebuy_orders_customers_by_key(const struct rebuy_orders *orders, uint32_t *ids);

#ifdef __cplusplus
}
#endif
#endif
