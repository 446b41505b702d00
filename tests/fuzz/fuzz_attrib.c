/* Fuzz target for attribution inputs (include/rebuy/attrib.h,
 * docs/attribute.md): the bytes after the first are read as a side table,
 * either as pre-aggregated paths or as touchpoints joined to a small fixed
 * orders table, and every model is run. Options come from the first byte:
 *   bit 0  touchpoints (else paths)     bit 1  a 3-day lookback
 *   bit 2  repeat purchases only        bit 3  the separator '|'
 *   bit 4  position weights 0, 0        bit 5  columns by number (1, 2, 3, 4)
 *   bit 6  time decay by touches (half-life 2)
 * Besides crashes and sanitizer reports it checks invariants: a failure is
 * a clean status and one printable line naming the file or a flag; every
 * model's credits sum to the conversions and the value; credits are >= 0;
 * removal effects lie in [0, 1]; journeys count what they hold; the
 * document writes.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/attrib.h"
#include "rebuy/doc.h"
#include "rebuy/orders.h"
#include "rebuy/table.h"

#define CHECK(cond)                                                                         \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "fuzz_attrib: %s:%d: check failed: %s\n", __FILE__, \
			        __LINE__, #cond);                                           \
			abort();                                                            \
		}                                                                           \
	} while (0)

static struct rebuy_orders *fixed_orders(void)
{
	static struct rebuy_orders *o;
	if (!o) {
		static const char text[] =
		        "customer,date,amount\n"
		        "a,2024-01-02,10\nb,2024-01-05,5\n1,2023-12-31,1\n"
		        "a,2024-02-01,7.5\n2,2024-03-01,0\nc,2024-01-02 10:00,3\n"
		        "17850,2024-01-03,2\nd,2024-02-10,-4\na,2024-02-01 12:00,1\n";
		struct rebuy_input_options io;
		rebuy_input_options_init(&io);
		io.n_threads = 1;
		io.path = "orders.csv";
		io.data = text;
		io.data_len = sizeof text - 1;
		struct rebuy_error err = {0};
		CHECK(rebuy_orders_load(&o, &io, NULL, &err) == REBUY_OK);
	}
	return o;
}

static void check_error(enum rebuy_status st, const struct rebuy_error *err)
{
	CHECK(st == REBUY_EDATA || st == REBUY_EARG || st == REBUY_ELIMIT || st == REBUY_ENOMEM);
	CHECK(err->code == st);
	size_t n = strlen(err->msg);
	CHECK(n > 0 && n < REBUY_ERROR_MSG_MAX);
	CHECK(strncmp(err->msg, "fuzz.csv", 8) == 0 || strncmp(err->msg, "--", 2) == 0 ||
	      st == REBUY_ENOMEM);
	for (size_t i = 0; i < n; i++)
		CHECK(err->msg[i] != '\n');
}

static int near(double got, double want)
{
	return fabs(got - want) <= 1e-9 * fmax(1.0, fabs(want));
}

static void check_result(const struct rebuy_attrib *a)
{
	const struct rebuy_attrib_journeys *j = a->journeys;
	CHECK(a->n_channels == j->n_channels);
	uint64_t touches = 0;
	for (size_t i = 0; i < a->n_channels; i++) {
		const struct rebuy_attrib_channel *ch = &a->channels[i];
		touches += ch->touches;
		CHECK(ch->converting_touches <= ch->touches);
		CHECK(isnan(ch->removal_effect) ||
		      (ch->removal_effect >= 0 && ch->removal_effect <= 1));
		if (i > 0)
			CHECK(strcmp(a->channels[i - 1].name, ch->name) < 0);
		for (int m = 0; m < REBUY_ATTRIB_MODEL_COUNT; m++)
			CHECK(ch->conversions[m] >= 0 && ch->value[m] >= 0);
	}
	CHECK(touches == j->n_touches);
	if (!isfinite(j->conversions) || !isfinite(j->value) || j->conversions > 1e300 ||
	    j->value > 1e300)
		return; /* sums of huge counts overflow to inf: nothing to compare */
	for (int m = 0; m < REBUY_ATTRIB_MODEL_COUNT; m++) {
		double c = 0, v = 0;
		for (size_t i = 0; i < a->n_channels; i++) {
			c += a->channels[i].conversions[m];
			v += a->channels[i].value[m];
		}
		CHECK(near(c, j->conversions));
		CHECK(near(v, j->value));
	}
	struct rebuy_doc *doc = rebuy_doc_new();
	CHECK(doc != NULL);
	rebuy_attrib_doc(a, NULL, doc, rebuy_doc_root(doc));
	FILE *f = fopen("/dev/null", "w");
	CHECK(f != NULL);
	CHECK(rebuy_doc_write_json(doc, NULL, f) == REBUY_OK);
	CHECK(rebuy_doc_write_table(doc, NULL, f) == REBUY_OK);
	fclose(f);
	rebuy_doc_free(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	unsigned flags = data[0];
	struct rebuy_table_options to;
	rebuy_table_options_init(&to);
	to.path = "fuzz.csv";
	to.data = data + 1;
	to.data_len = size - 1;
	to.max_bytes = 1 << 16;
	struct rebuy_table *t = NULL;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	if (rebuy_table_read(&t, &to, &err) != REBUY_OK) {
		CHECK(t == NULL);
		return 0;
	}
	struct rebuy_attrib_journeys *j = (struct rebuy_attrib_journeys *)&to; /* must be reset */
	enum rebuy_status st;
	rebuy_error_clear(&err);
	if (flags & 1) {
		struct rebuy_attrib_touch_options o;
		rebuy_attrib_touch_options_init(&o);
		if (flags & 2)
			o.lookback_days = 3;
		o.repeat_only = (flags & 4) != 0;
		if (flags & 32) {
			o.column[REBUY_ATTRIB_TOUCH_CUSTOMER] = "1";
			o.column[REBUY_ATTRIB_TOUCH_TIME] = "2";
			o.column[REBUY_ATTRIB_TOUCH_CHANNEL] = "3";
			o.column[REBUY_ATTRIB_TOUCH_COST] = "4";
		}
		st = rebuy_attrib_journeys_build(t, fixed_orders(), &o, &j, &err);
	} else {
		struct rebuy_attrib_paths_options o;
		rebuy_attrib_paths_options_init(&o);
		if (flags & 8)
			o.separator = '|';
		if (flags & 32) {
			o.path_column = "1";
			o.conversions_column = "2";
			o.value_column = "3";
			o.null_column = "4";
		}
		st = rebuy_attrib_paths_read(t, &o, &j, &err);
	}
	if (st != REBUY_OK) {
		CHECK(j == NULL);
		check_error(st, &err);
		rebuy_table_free(t);
		return 0;
	}
	CHECK(err.code == REBUY_OK);
	CHECK(j->n_channels <= REBUY_ATTRIB_MAX_CHANNELS);
	CHECK(j->orders_without_touches <= j->orders);
	struct rebuy_attrib_options ao;
	rebuy_attrib_options_init(&ao);
	if (flags & 16)
		ao.position_first = ao.position_last = 0;
	if (flags & 64)
		ao.half_life_touches = 2;
	struct rebuy_attrib *a = NULL;
	st = rebuy_attrib_compute(j, &ao, &a, &err);
	if (st != REBUY_OK) {
		CHECK(a == NULL);
		check_error(st, &err);
	} else {
		check_result(a);
		rebuy_attrib_free(a);
	}
	rebuy_attrib_journeys_free(j);
	rebuy_table_free(t);
	return 0;
}
