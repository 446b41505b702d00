/* Fuzz target for audience rules files (rebuy_audience_rules_parse,
 * docs/audiences.md): the input is a rules file; when it parses, it is
 * bound to a small fixed shop (with a `channel` attribute) and the
 * audiences are computed. Besides crashes and sanitizer reports it checks:
 * a failure is a clean status and one printable line naming the file; a
 * parsed file has at least one audience; every member of a rules audience
 * is a customer of the shop, listed once per audience, in score order.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/audiences.h"
#include "rebuy/orders.h"

#define CHECK(cond)                                                                           \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			fprintf(stderr, "fuzz_audience_rules: %s:%d: check failed: %s\n",     \
			        __FILE__, __LINE__, #cond);                                   \
			abort();                                                              \
		}                                                                             \
	} while (0)

static struct rebuy_orders *fixed_orders(void)
{
	static struct rebuy_orders *o;
	if (!o) {
		static const char text[] = "customer,date,amount,channel\n"
		                           "a,2024-01-01,10.00,web\n"
		                           "a,2024-02-01,20.00,shop\n"
		                           "a,2024-03-01,30.00,web\n"
		                           "b,2024-01-15,5.00,ads\n"
		                           "c,2024-02-10,100.00,web\n"
		                           "c,2024-02-20,50.00,web\n"
		                           "d,2024-03-05,7.50,\n";
		struct rebuy_input_options in;
		rebuy_input_options_init(&in);
		in.path = "shop.csv";
		in.data = text;
		in.data_len = sizeof text - 1;
		in.n_threads = 1;
		in.attributes[0] = "channel";
		in.n_attributes = 1;
		struct rebuy_error err = {0};
		CHECK(rebuy_orders_load(&o, &in, NULL, &err) == REBUY_OK);
	}
	return o;
}

static void check_message(const struct rebuy_error *err)
{
	size_t n = strlen(err->msg);
	CHECK(n > 0);
	CHECK(strncmp(err->msg, "fuzz.rules", 10) == 0 || strstr(err->msg, "memory"));
	for (size_t i = 0; i < n; i++)
		CHECK(err->msg[i] != '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rebuy_audience_rules *rules = NULL;
	struct rebuy_error err = {0};
	enum rebuy_status st =
	        rebuy_audience_rules_parse("fuzz.rules", (const char *)data, size, &rules, &err);
	if (st != REBUY_OK) {
		CHECK(rules == NULL);
		check_message(&err);
		return 0;
	}
	size_t n_rules = rebuy_audience_rules_count(rules);
	CHECK(n_rules >= 1);
	const char *names[8];
	rebuy_audience_rules_attributes(rules, names, 8);
	const struct rebuy_orders *o = fixed_orders();
	struct rebuy_audience_options opts;
	rebuy_audience_options_init(&opts);
	opts.builtins = 1u << REBUY_AUD_BUILTIN_COUNT; /* rules only */
	opts.rules = rules;
	opts.n_threads = 1;
	struct rebuy_audiences *a = NULL;
	st = rebuy_audiences_compute(o, NULL, &opts, &a, &err);
	if (st != REBUY_OK) {
		CHECK(a == NULL);
		/* Binding errors name the file; a fit may fail on odd data. */
		CHECK(strlen(err.msg) > 0);
	} else {
		CHECK(a->n_audiences == REBUY_AUD_BUILTIN_COUNT + n_rules);
		for (size_t i = 0; i < a->n_members; i++) {
			const struct rebuy_audience_member *m = &a->members[i];
			CHECK(m->customer < o->n_customers);
			CHECK(m->audience >= REBUY_AUD_BUILTIN_COUNT && m->audience < a->n_audiences);
			if (i > 0 && a->members[i - 1].audience == m->audience) {
				CHECK(a->members[i - 1].customer != m->customer);
				double s0 = a->members[i - 1].score, s1 = m->score;
				CHECK(isnan(s1) || (!isnan(s0) && s0 >= s1));
			}
		}
		FILE *f = fopen("/dev/null", "w");
		if (f) {
			CHECK(rebuy_audiences_write(a, o, f, REBUY_FORMAT_JSON, NULL, 1, &err) ==
			      REBUY_OK);
			fclose(f);
		}
	}
	rebuy_audiences_free(a);
	rebuy_audience_rules_free(rules);
	return 0;
}
