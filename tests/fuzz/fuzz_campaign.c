/* Fuzz target for campaign files (rebuy_uplift_compute, docs/uplift.md):
 * the bytes after the first are read as a side table and evaluated against
 * a small fixed orders table. Options come from the first byte:
 *   bit 0  --segment-by rfm       bit 1  --segment-by 4 (the fourth column)
 *   bit 2  a 1-day window         bit 3  --campaign-date-format dmy
 *   bit 4  no bootstrap           bit 5  columns by number (1, 2, 3)
 *   bit 6  --level 0.9
 * Besides crashes and sanitizer reports it checks invariants: a failure is
 * a clean status and one printable line naming the file (or the flag); a
 * result's counts add up (groups to the file's customers, converted and
 * the rest within them, every segmentation partitions the customers);
 * rates and p-values lie in [0, 1]; the Newcombe and Welch intervals hold
 * their difference; significance follows the p-value; the document writes.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/doc.h"
#include "rebuy/orders.h"
#include "rebuy/table.h"
#include "rebuy/uplift.h"

#define CHECK(cond)                                                                           \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			fprintf(stderr, "fuzz_campaign: %s:%d: check failed: %s\n", __FILE__, \
			        __LINE__, #cond);                                             \
			abort();                                                              \
		}                                                                             \
	} while (0)

static struct rebuy_orders *fixed_orders(void)
{
	static struct rebuy_orders *o;
	if (!o) {
		static const char text[] =
		        "customer,date,amount\n"
		        "a,2024-01-02,10\nb,2024-01-05,5\n1,2023-12-31,1\n"
		        "a,2024-02-01,7.5\n2,2024-03-01,0\nc,2024-01-02 10:00,3\n"
		        "17850,2024-01-03,2\nd,2024-02-10,-4\n";
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

static int in01(double x)
{
	return isnan(x) || (x >= 0 && x <= 1);
}

static void check_result(const struct rebuy_uplift_result *r, double alpha)
{
	for (int g = 0; g < 2; g++) {
		const struct rebuy_uplift_group *x = &r->groups[g];
		CHECK(x->converted <= x->customers && x->not_in_orders <= x->customers);
		CHECK(x->incomplete <= x->customers && x->prior_converted <= x->customers);
		CHECK(x->converted <= x->orders);
		CHECK(in01(x->conversion_rate) && in01(x->prior_conversion_rate));
		CHECK(x->customers > 0 || isnan(x->conversion_rate));
	}
	for (int k = 0; k < REBUY_UPLIFT_MEASURE_COUNT; k++) {
		const struct rebuy_uplift_effect *e = &r->effects[k];
		CHECK(in01(e->p_value));
		CHECK(e->is_significant == (e->p_value < alpha));
		if (k != REBUY_UPLIFT_REVENUE && !isnan(e->low)) {
			CHECK(e->low <= e->difference + 1e-12 && e->difference <= e->high + 1e-12);
		}
		if (!isnan(e->low))
			CHECK(e->low <= e->high);
		if (k == REBUY_UPLIFT_CONVERSION && !isnan(e->low))
			CHECK(e->low >= -1 - 1e-12 && e->high <= 1 + 1e-12);
	}
	for (int k = 0; k < REBUY_UPLIFT_BALANCE_COUNT; k++)
		CHECK(in01(r->balance[k].p_value));
}

static void check_uplift(const struct rebuy_uplift *u, const struct rebuy_uplift_options *o)
{
	const struct rebuy_uplift_result *all = &u->all;
	CHECK(u->customers == u->rows);
	CHECK(all->groups[0].customers + all->groups[1].customers == u->customers);
	CHECK(all->groups[0].customers > 0 && all->groups[1].customers > 0);
	CHECK(all->groups[0].not_in_orders + all->groups[1].not_in_orders == u->not_in_orders);
	CHECK(u->first_send_day <= u->last_send_day);
	double alpha = 1 - o->level;
	check_result(all, alpha);
	/* each segmentation partitions the customers */
	uint64_t sum = 0;
	for (size_t i = 0; i < u->n_segments; i++) {
		const struct rebuy_uplift_segment *s = &u->segments[i];
		uint64_t n = s->result.groups[0].customers + s->result.groups[1].customers;
		CHECK(n > 0 && s->name[0] != '\0');
		sum += n;
		check_result(&s->result, alpha);
	}
	CHECK(sum == u->customers * o->n_segment_by);
	struct rebuy_doc *doc = rebuy_doc_new();
	CHECK(doc != NULL);
	rebuy_uplift_doc(u, NULL, doc, rebuy_doc_root(doc));
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
	enum rebuy_status st = rebuy_table_read(&t, &to, &err);
	if (st != REBUY_OK) {
		CHECK(t == NULL);
		return 0;
	}
	struct rebuy_uplift_options o;
	rebuy_uplift_options_init(&o);
	o.n_threads = 1;
	o.n_bootstrap = flags & 16 ? 0 : 100;
	if (flags & 1)
		o.segment_by[o.n_segment_by++] = REBUY_UPLIFT_RFM;
	if (flags & 2)
		o.segment_by[o.n_segment_by++] = "4";
	if (flags & 4)
		o.window_days = 1;
	if (flags & 8)
		o.date_format = "dmy";
	if (flags & 32) {
		o.column[REBUY_UPLIFT_CUSTOMER] = "1";
		o.column[REBUY_UPLIFT_GROUP] = "2";
		o.column[REBUY_UPLIFT_SEND_DATE] = "3";
	}
	if (flags & 64)
		o.level = 0.9;
	struct rebuy_uplift *u = (struct rebuy_uplift *)&o; /* must be reset */
	rebuy_error_clear(&err);
	st = rebuy_uplift_compute(t, fixed_orders(), &o, &u, &err);
	if (st != REBUY_OK) {
		CHECK(u == NULL);
		check_error(st, &err);
	} else {
		CHECK(err.code == REBUY_OK);
		check_uplift(u, &o);
		rebuy_uplift_free(u);
	}
	rebuy_table_free(t);
	return 0;
}
