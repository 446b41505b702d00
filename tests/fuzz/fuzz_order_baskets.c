/* Fuzz target for the order-export basket reader (rebuy_baskets_read_orders)
 * and, on what it reads, the recommender and the rules. Besides crashes and
 * sanitizer reports it checks invariants: an error is one printable line and
 * no baskets come back; read baskets have item ids below n_items, strictly
 * ascending, customers below n_customers, baskets sorted by (customer, day),
 * and labels or names for every item. With few items, rules are derived
 * (every rule's measures are finite but conviction, confidence in [0, 1])
 * and the recommender fits and lists rows for every customer (ranks 1.., no
 * bought item when not repeatable).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/basket.h"
#include "rebuy/recommend.h"

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "fuzz_order_baskets: %s:%d: check failed: %s\n",   \
			        __FILE__, __LINE__, #cond);                                \
			abort();                                                           \
		}                                                                          \
	} while (0)

struct seen {
	const struct rebuy_baskets *b;
	uint32_t last;
	int any;
};

static int on_customer(void *ud, uint32_t customer, const struct rebuy_recommendation *rows,
                       size_t n)
{
	struct seen *s = ud;
	CHECK(customer < s->b->n_customers);
	CHECK(!s->any || customer > s->last);
	s->last = customer;
	s->any = 1;
	for (size_t i = 0; i < n; i++) {
		CHECK(rows[i].rank == i + 1);
		CHECK(rows[i].item < s->b->n_items);
		CHECK(rows[i].customer == customer);
		CHECK(rows[i].score == rows[i].score);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rebuy_input_options in;
	rebuy_input_options_init(&in);
	in.path = "fuzz.csv";
	in.data = data;
	in.data_len = size;
	in.n_threads = 1;
	for (int unit = 0; unit < 2; unit++) {
		struct rebuy_baskets *b = NULL;
		struct rebuy_error err = {0};
		enum rebuy_status st = rebuy_baskets_read_orders(
		        &in, unit ? REBUY_BASKET_CUSTOMER : REBUY_BASKET_ORDER, &b, &err);
		if (st) {
			CHECK(b == NULL);
			size_t n = strlen(err.msg);
			CHECK(n > 0 && n < REBUY_ERROR_MSG_MAX);
			for (size_t i = 0; i < n; i++)
				CHECK((unsigned char)err.msg[i] >= 0x20 && err.msg[i] != 0x7f);
			continue;
		}
		CHECK(b->start[0] == 0);
		for (size_t t = 0; t < b->n_baskets; t++) {
			for (uint64_t k = b->start[t]; k < b->start[t + 1]; k++) {
				CHECK(b->items[k] < b->n_items);
				CHECK(k == b->start[t] || b->items[k] > b->items[k - 1]);
			}
			CHECK(b->customer[t] < b->n_customers);
			if (t) {
				CHECK(b->customer[t - 1] <= b->customer[t]);
				if (b->day && b->customer[t - 1] == b->customer[t])
					CHECK(b->day[t - 1] <= b->day[t]);
			}
		}
		for (size_t x = 0; x < b->n_items; x++)
			CHECK(b->item_names[x] && (x == 0 || strcmp(b->item_names[x - 1],
			                                            b->item_names[x]) < 0));
		if (b->n_items <= 12 && b->n_baskets <= 200) {
			struct rebuy_mine_options mo;
			rebuy_mine_options_init(&mo);
			mo.n_threads = 1;
			struct rebuy_rule_options ro;
			rebuy_rule_options_init(&ro);
			ro.min_confidence = 0;
			struct rebuy_rules *R = NULL;
			if (rebuy_rules_mine(b, &mo, &ro, &R, &err) == REBUY_OK) {
				for (size_t k = 0; k < R->n_rules; k++) {
					const struct rebuy_rule *r = &R->rules[k];
					CHECK(r->confidence >= 0 && r->confidence <= 1);
					CHECK(isfinite(r->lift) && isfinite(r->leverage));
					CHECK(r->count <= r->antecedent_count);
				}
				rebuy_rules_free(R);
			}
			if (b->day) {
				struct rebuy_recommend_options ro2;
				rebuy_recommend_options_init(&ro2);
				ro2.n_threads = 1;
				ro2.k = 3;
				struct rebuy_recommender *m = NULL;
				if (rebuy_recommender_fit(b, &ro2, &m, &err) == REBUY_OK) {
					struct seen s = {b, 0, 0};
					CHECK(rebuy_recommend(m, on_customer, &s, &err) == REBUY_OK);
					rebuy_recommender_free(m);
				}
			}
		}
		rebuy_baskets_free(b);
	}
	return 0;
}
