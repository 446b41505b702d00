/* Inside struct rebuy_baskets: the builder that both readers end in (FIMI
 * text, an order export), and the arrays an order export attaches.
 *
 * Ownership: every pointer handed to these functions is taken over, also
 * when they fail, and is freed by rebuy_baskets_free (arrays and strings
 * must come from rebuy__malloc/calloc/realloc).
 */
#ifndef REBUY_BASKET_BASKETS_INT_H
#define REBUY_BASKET_BASKETS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/basket.h"

/* Caps: ids and basket numbers are uint32_t. */
#define REBUY__BASKETS_MAX_ITEMS 0xFFFFFFF0u
#define REBUY__BASKETS_MAX_BASKETS 0xFFFFFFF0u

/* Builds baskets from (basket, item) pairs in any order: pair k puts item
 * pair_item[k] (a provisional id, an index into item_names) into basket
 * pair_basket[k] (0 .. n_baskets - 1; baskets keep these numbers, so give
 * them in the order the struct promises: by customer, day, basket key).
 * Items are renumbered into the byte order of their names (strcmp), ids
 * ascend within a basket and repeated pairs count once. Baskets without a
 * pair are empty; items without a pair keep an id.
 *
 * pair_basket and pair_item are borrowed (read during the call only).
 * item_names (n_items distinct NUL-terminated strings, the array and each
 * string from rebuy__malloc) is taken over, also on failure.
 *
 * REBUY_EARG for a pair out of range or two equal names, REBUY_ELIMIT past
 * the caps above, REBUY_ENOMEM. n_lines is set to n_baskets; set n_lines
 * and n_lines_skipped afterwards when they mean more. */
enum rebuy_status rebuy__baskets_build(struct rebuy_baskets **out, size_t n_baskets, size_t n_pairs,
                                       const uint32_t *pair_basket, const uint32_t *pair_item,
                                       size_t n_items, char **item_names, struct rebuy_error *err);

/* The final id of provisional id p (as given to rebuy__baskets_build), for
 * p < the n_items given; valid until rebuy__baskets_attach_labels. */
uint32_t rebuy__baskets_final_id(const struct rebuy_baskets *b, uint32_t p);

/* Takes over the customers of an order export: customer and day (n_baskets
 * entries each, indexed by basket), customer_keys (n_customers strings; the
 * array and each string owned). Any of them may be NULL. Never fails;
 * arrays attached before are freed. */
void rebuy__baskets_attach_customers(struct rebuy_baskets *b, size_t n_customers,
                                     uint32_t *customer, int64_t *day, char **customer_keys);

/* Takes over item_labels: one string (or NULL) per provisional id, in the
 * order of the item_names given to rebuy__baskets_build; they are put into
 * final id order in place. Never fails; call it at most once. */
void rebuy__baskets_attach_labels(struct rebuy_baskets *b, char **item_labels);

#endif
