/* Writing audience members (rebuy_audiences_write): rows are formatted on
 * several threads, a slice of members each into its own buffer through a
 * fork of the row writer, and the buffers copied out in member order, so
 * the bytes do not depend on the thread count. Memory: the buffers of one
 * round of slices (threads x 2 slices of 16,384 rows).
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/mem.h"
#include "core/parallel.h"
#include "rebuy/audiences.h"
#include "rebuy/date.h"
#include "report/doc_int.h"

#define SLICE 16384

static void day_cell(struct rebuy_rows *w, int64_t day)
{
	char buf[16];
	if (day == INT64_MIN) {
		rebuy_rows_null(w);
		return;
	}
	rebuy_format_day(day, buf, sizeof buf);
	rebuy_rows_str(w, buf);
}

static void write_member(struct rebuy_rows *w, const struct rebuy_audiences *a,
                         const struct rebuy_orders *o, const struct rebuy_audience_member *m)
{
	const struct rebuy_audience_info *info = &a->audiences[m->audience];
	rebuy_rows_str(w, rebuy_orders_customer_key(o, m->customer, NULL));
	rebuy_rows_str(w, info->name);
	rebuy_rows_str(w, m->reason);
	rebuy_rows_num(w, m->score);
	rebuy_rows_str(w, info->action);
	day_cell(w, m->last_day);
	day_cell(w, m->next_day);
	rebuy_rows_num(w, m->clv);
	rebuy_rows_num(w, m->p_alive);
	rebuy_rows_str(w, m->products);
	rebuy_rows_end_row(w);
}

struct job {
	const struct rebuy_audiences *a;
	const struct rebuy_orders *o;
	struct rebuy_rows *w;
	size_t first; /* the first member of this round */
	char *buf[REBUY_AUDIENCES_WRITE_SLOTS];
	size_t len[REBUY_AUDIENCES_WRITE_SLOTS];
	struct rebuy_rows *fork[REBUY_AUDIENCES_WRITE_SLOTS];
};

static enum rebuy_status format_slice(void *ud, size_t item, unsigned thread)
{
	(void)thread;
	struct job *j = ud;
	size_t lo = j->first + item * SLICE, n = j->a->n_members;
	size_t hi = lo + SLICE < n ? lo + SLICE : n;
	FILE *f = open_memstream(&j->buf[item], &j->len[item]);
	if (!f)
		return REBUY_ENOMEM;
	j->fork[item] = rebuy__rows_fork(j->w, f, lo > 0);
	if (!j->fork[item]) {
		fclose(f);
		return REBUY_ENOMEM;
	}
	for (size_t i = lo; i < hi; i++)
		write_member(j->fork[item], j->a, j->o, &j->a->members[i]);
	int bad = ferror(f);
	if (fclose(f) || bad)
		return REBUY_ENOMEM;
	return REBUY_OK;
}

enum rebuy_status rebuy_audiences_write(const struct rebuy_audiences *a,
                                        const struct rebuy_orders *o, FILE *out,
                                        enum rebuy_format format,
                                        const struct rebuy_csv_options *opts, unsigned n_threads,
                                        struct rebuy_error *err)
{
	static const char *const cols[] = {
	        "customer",         "audience",      "reason",
	        "score",            "suggested_action", "last_purchase",
	        "expected_next_purchase", "clv",      "p_alive",
	        "products"};
	struct rebuy_rows *w = rebuy_rows_new(out, format, "members", cols, 10, opts);
	if (!w)
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory writing audiences");
	unsigned threads = n_threads ? n_threads : rebuy__cpu_count();
	size_t per_round = (size_t)threads * 2;
	if (per_round > REBUY_AUDIENCES_WRITE_SLOTS)
		per_round = REBUY_AUDIENCES_WRITE_SLOTS;
	enum rebuy_status st = REBUY_OK;
	struct job j = {.a = a, .o = o, .w = w};
	for (j.first = 0; j.first < a->n_members && !st; j.first += per_round * SLICE) {
		size_t left = a->n_members - j.first;
		size_t n_slices = (left + SLICE - 1) / SLICE;
		if (n_slices > per_round)
			n_slices = per_round;
		for (size_t k = 0; k < n_slices; k++) {
			j.buf[k] = NULL;
			j.len[k] = 0;
			j.fork[k] = NULL;
		}
		st = rebuy__parallel_for(threads, n_slices, format_slice, &j);
		for (size_t k = 0; k < n_slices; k++) {
			if (!st && j.len[k] && fwrite(j.buf[k], 1, j.len[k], out) != j.len[k])
				st = REBUY_EIO;
			if (j.fork[k])
				rebuy__rows_join(w, j.fork[k]);
			free(j.buf[k]); /* open_memstream's, from the C library */
		}
	}
	enum rebuy_status fst = rebuy_rows_finish(w);
	if (st == REBUY_ENOMEM)
		return rebuy_error_set(err, st, "out of memory writing audiences");
	if (st || fst)
		return rebuy_error_set(err, REBUY_EIO, "cannot write the audiences");
	return REBUY_OK;
}
