/* rebuy inside PostgreSQL: the per-customer summary as a parallel-safe
 * aggregate with serial/deserial/combine functions, the lifetime-model fit
 * as an aggregate over a summary table, per-row predictions, RFM segments
 * and period labels for cohorts. Every number comes from the library code
 * that the command line runs (src/data/customers.c, src/model/, ...),
 * compiled into this module; this file only moves values between
 * PostgreSQL's types and the library's. Definitions: DESIGN.md §4. */
#include "postgres.h"

#include <math.h>
#include <string.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "model/clv_int.h"
#include "rebuy/clv.h"
#include "rebuy/customers.h"
#include "rebuy/date.h"
#include "rebuy/money.h"
#include "rebuy/orders.h"
#include "rebuy/rfm.h"
#include "rebuy/table.h"

PG_MODULE_MAGIC;

/* Seconds from 1970-01-01 (the library's clock) to 2000-01-01 (PostgreSQL's). */
#define EPOCH_SHIFT ((int64) 946684800)

static int64 ts_to_seconds(Timestamp t)
{
	/* floor division: a time before 2000 keeps its second */
	int64 s = t / USECS_PER_SEC;
	if (t % USECS_PER_SEC < 0)
		s--;
	return s + EPOCH_SHIFT;
}

static Timestamp seconds_to_ts(int64 s)
{
	return (Timestamp)((s - EPOCH_SHIFT) * USECS_PER_SEC);
}

static void *agg_context(FunctionCallInfo fcinfo, const char *fn)
{
	MemoryContext ctx;
	if (!AggCheckCallContext(fcinfo, &ctx))
		elog(ERROR, "%s called in non-aggregate context", fn);
	return ctx;
}

/* ---- the customer summary aggregate ---- */

struct line {
	int64 ts;    /* seconds */
	int64 value; /* 1/10,000 units */
	uint64 key;  /* the order key's 64-bit hash, 0 without order keys */
};

struct summary_state {
	int32 n, cap;
	int32 has_cal_end;
	int32 unit;
	int64 cal_end; /* day number */
	int32 has_key; /* lines carry order keys */
	struct line *lines;
};

static struct summary_state *summary_state_new(MemoryContext ctx)
{
	struct summary_state *s = MemoryContextAllocZero(ctx, sizeof *s);
	s->cap = 8;
	s->lines = MemoryContextAlloc(ctx, s->cap * sizeof *s->lines);
	s->unit = REBUY_UNIT_WEEK;
	return s;
}

static void summary_reserve(struct summary_state *s, int32 more)
{
	if ((int64)s->n + more > (int64)(MaxAllocSize / sizeof(struct line)))
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
		                errmsg("rebuy_summary: too many rows for one customer")));
	if (s->n + more <= s->cap)
		return;
	int32 cap = s->cap;
	while (cap < s->n + more)
		cap = cap > (int32)(MaxAllocSize / sizeof(struct line) / 2)
		              ? (int32)(MaxAllocSize / sizeof(struct line))
		              : cap * 2;
	s->lines = repalloc(s->lines, cap * sizeof *s->lines);
	s->cap = cap;
}

/* A numeric read exactly as the command line reads an amount cell: its
 * decimal text through rebuy_money_parse (4 decimals, half to even). */
static int64 numeric_units(Datum num)
{
	char *text = DatumGetCString(DirectFunctionCall1(numeric_out, num));
	int64_t v = 0;
	enum rebuy_num_result r = rebuy_money_parse(text, strlen(text), '.', &v);
	if (r == REBUY_NUM_BAD || r == REBUY_NUM_RANGE)
		ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
		                errmsg("rebuy_summary: amount %s is out of range (at most "
		                       "922337203685477.5807)",
		                       text)));
	pfree(text);
	return v;
}

static enum rebuy_time_unit unit_arg(text *t)
{
	char *name = text_to_cstring(t);
	enum rebuy_time_unit u;
	struct rebuy_error err = {0};
	if (rebuy_time_unit_from_name(name, &u, &err) != REBUY_OK)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("rebuy: %s", err.msg)));
	pfree(name);
	return u;
}

PG_FUNCTION_INFO_V1(rebuy_summary_trans);
/* (state, ts timestamp, amount numeric [, calibration_end date, time_unit text]).
 * Rows with a NULL time or amount are left out, as the command line leaves
 * out rows whose date or amount it cannot read. */
Datum rebuy_summary_trans(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = agg_context(fcinfo, "rebuy_summary");
	struct summary_state *s =
	        PG_ARGISNULL(0) ? NULL : (struct summary_state *)PG_GETARG_POINTER(0);
	/* (ts, amount [, order_key] [, calibration_end, unit]) */
	int has_key = PG_NARGS() == 4 || PG_NARGS() == 6;
	int cal = has_key ? 4 : 3;
	if (!s) {
		s = summary_state_new(ctx);
		s->has_key = has_key;
		if (PG_NARGS() >= 5 && !PG_ARGISNULL(cal)) {
			s->has_cal_end = 1;
			s->cal_end = (int64)PG_GETARG_DATEADT(cal) + (EPOCH_SHIFT / 86400);
		}
		if (PG_NARGS() >= 5 && !PG_ARGISNULL(cal + 1))
			s->unit = (int32)unit_arg(cstring_to_text(DatumGetCString(
			        DirectFunctionCall1(enum_out, PG_GETARG_DATUM(cal + 1)))));
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || (has_key && PG_ARGISNULL(3)))
		PG_RETURN_POINTER(s);
	Timestamp t = PG_GETARG_TIMESTAMP(1);
	if (TIMESTAMP_NOT_FINITE(t))
		ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
		                errmsg("rebuy_summary: an infinite timestamp is not a purchase time")));
	summary_reserve(s, 1);
	s->lines[s->n].ts = ts_to_seconds(t);
	s->lines[s->n].value = numeric_units(PG_GETARG_DATUM(2));
	s->lines[s->n].key = 0;
	if (has_key) {
		/* Keys are compared by a 64-bit hash within one customer: two of a
		 * customer's n keys collide with probability about n^2 / 2^65. */
		text *k = PG_GETARG_TEXT_PP(3);
		s->lines[s->n].key = hash_bytes_extended((const unsigned char *)VARDATA_ANY(k),
		                                         (int)VARSIZE_ANY_EXHDR(k), 0) |
		                     1; /* never 0 */
	}
	s->n++;
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(rebuy_summary_combine);
Datum rebuy_summary_combine(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = agg_context(fcinfo, "rebuy_summary_combine");
	struct summary_state *a =
	        PG_ARGISNULL(0) ? NULL : (struct summary_state *)PG_GETARG_POINTER(0);
	struct summary_state *b =
	        PG_ARGISNULL(1) ? NULL : (struct summary_state *)PG_GETARG_POINTER(1);
	if (!b)
		PG_RETURN_POINTER(a);
	if (!a) {
		a = summary_state_new(ctx);
		a->has_cal_end = b->has_cal_end;
		a->cal_end = b->cal_end;
		a->unit = b->unit;
		a->has_key = b->has_key;
	}
	MemoryContext old = MemoryContextSwitchTo(ctx);
	summary_reserve(a, b->n);
	MemoryContextSwitchTo(old);
	memcpy(a->lines + a->n, b->lines, b->n * sizeof *b->lines);
	a->n += b->n;
	PG_RETURN_POINTER(a);
}

/* Serialized: the header fields, then the lines (this host's byte order:
 * serialized states only travel between workers of one server). */
PG_FUNCTION_INFO_V1(rebuy_summary_serial);
Datum rebuy_summary_serial(PG_FUNCTION_ARGS)
{
	struct summary_state *s = (struct summary_state *)PG_GETARG_POINTER(0);
	Size head = 4 * sizeof(int32) + sizeof(int64);
	Size len = head + (Size)s->n * sizeof *s->lines;
	bytea *out = palloc(VARHDRSZ + len);
	SET_VARSIZE(out, VARHDRSZ + len);
	char *p = VARDATA(out);
	memcpy(p, &s->n, sizeof(int32));
	memcpy(p + 4, &s->has_cal_end, sizeof(int32));
	memcpy(p + 8, &s->unit, sizeof(int32));
	memcpy(p + 12, &s->cal_end, sizeof(int64));
	memcpy(p + 20, &s->has_key, sizeof(int32));
	memcpy(p + head, s->lines, (Size)s->n * sizeof *s->lines);
	PG_RETURN_BYTEA_P(out);
}

PG_FUNCTION_INFO_V1(rebuy_summary_deserial);
Datum rebuy_summary_deserial(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = agg_context(fcinfo, "rebuy_summary_deserial");
	bytea *in = PG_GETARG_BYTEA_PP(0);
	const char *p = VARDATA_ANY(in);
	Size len = VARSIZE_ANY_EXHDR(in), head = 4 * sizeof(int32) + sizeof(int64);
	int32 n;
	if (len < head)
		elog(ERROR, "rebuy_summary_deserial: a state of %zu bytes is too short", len);
	memcpy(&n, p, sizeof n);
	if (n < 0 || len != head + (Size)n * sizeof(struct line))
		elog(ERROR, "rebuy_summary_deserial: a state of %zu bytes does not hold %d lines", len,
		     n);
	struct summary_state *s = MemoryContextAllocZero(ctx, sizeof *s);
	s->n = n;
	s->cap = n > 0 ? n : 1;
	memcpy(&s->has_cal_end, p + 4, sizeof(int32));
	memcpy(&s->unit, p + 8, sizeof(int32));
	memcpy(&s->cal_end, p + 12, sizeof(int64));
	memcpy(&s->has_key, p + 20, sizeof(int32));
	s->lines = MemoryContextAlloc(ctx, s->cap * sizeof *s->lines);
	memcpy(s->lines, p + head, (Size)n * sizeof *s->lines);
	PG_RETURN_POINTER(s);
}

static int line_cmp(const void *pa, const void *pb)
{
	const struct line *a = pa, *b = pb;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return a->value < b->value ? -1 : a->value > b->value;
}

static int line_cmp_time(const void *pa, const void *pb)
{
	const struct line *a = pa, *b = pb;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return a->value < b->value ? -1 : a->value > b->value;
}

static Datum money_numeric(int64 v)
{
	char buf[32];
	rebuy_money_format(v, buf, sizeof buf);
	return DirectFunctionCall3(numeric_in, CStringGetDatum(buf), ObjectIdGetDatum(InvalidOid),
	                           Int32GetDatum(-1));
}

PG_FUNCTION_INFO_V1(rebuy_summary_final);
/* Lines are grouped into orders by their order key, the order's time being
 * its earliest line's, or without keys by their time (the command line's
 * rules); an order worth < 0 is a return. The orders are
 * then handed to rebuy_customer_compute and rebuy_btyd_compute as a
 * one-customer orders table. */
Datum rebuy_summary_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	struct summary_state *s = (struct summary_state *)PG_GETARG_POINTER(0);
	if (s->n == 0)
		PG_RETURN_NULL();
	struct line *l = palloc(s->n * sizeof *l);
	memcpy(l, s->lines, s->n * sizeof *l);
	qsort(l, s->n, sizeof *l, line_cmp);
	int64 *ts = palloc(s->n * sizeof *ts), *val = palloc(s->n * sizeof *val);
	int64 *rts = palloc(s->n * sizeof *rts), *rval = palloc(s->n * sizeof *rval);
	uint32 *nl = palloc(s->n * sizeof *nl);
	size_t np = 0, nr = 0;
	/* sorted by (key, time): a run of one key (or, without keys, of one
	 * time) is one order, at its first line's time */
	for (int32 i = 0; i < s->n;) {
		int64 t = l[i].ts, v = 0;
		uint64 key = l[i].key;
		uint32 k = 0;
		for (; i < s->n && l[i].key == key && (key != 0 || l[i].ts == t); i++, k++)
			if (pg_add_s64_overflow(v, l[i].value, &v))
				ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				                errmsg("rebuy_summary: an order's value overflows")));
		if (v < 0) {
			rts[nr] = t;
			rval[nr++] = v;
		} else {
			ts[np] = t;
			nl[np] = k;
			val[np++] = v;
		}
	}
	if (s->has_key) {
		/* back into time order (rebuy_customer_compute reads it so) */
		struct line *o = palloc((np > nr ? np : nr) * sizeof *o + 1);
		for (size_t i = 0; i < np; i++)
			o[i] = (struct line){ts[i], val[i], nl[i]};
		qsort(o, np, sizeof *o, line_cmp_time);
		for (size_t i = 0; i < np; i++) {
			ts[i] = o[i].ts;
			val[i] = o[i].value;
			nl[i] = (uint32)o[i].key;
		}
		for (size_t i = 0; i < nr; i++)
			o[i] = (struct line){rts[i], rval[i], 0};
		qsort(o, nr, sizeof *o, line_cmp_time);
		for (size_t i = 0; i < nr; i++) {
			rts[i] = o[i].ts;
			rval[i] = o[i].value;
		}
	}
	uint64_t cs_start[2] = {0, np}, rt_start[2] = {0, nr};
	uint32_t rcust = 0;
	struct rebuy_orders o = {
	        .n_customers = 1,
	        .n_orders = np,
	        .cust_start = cs_start,
	        .ts = (const int64_t *)ts,
	        .value = (const int64_t *)val,
	        .n_lines = nl,
	        .n_returns = nr,
	        .ret_start = rt_start,
	        .ret_cust = &rcust,
	        .ret_ts = (const int64_t *)rts,
	        .ret_value = (const int64_t *)rval,
	        .has_amount = 1,
	};
	struct rebuy_customer cs;
	if (rebuy_customer_compute(&o, 0, &cs) != REBUY_OK)
		ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
		                errmsg("rebuy_summary: a customer's revenue overflows")));
	TupleDesc td;
	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "rebuy_summary_final: the result type is not a composite");
	td = BlessTupleDesc(td);
	Datum v[13];
	bool null[13] = {0};
	v[0] = Int32GetDatum((int32)cs.n_orders);
	v[1] = Int32GetDatum((int32)cs.n_days);
	if (cs.n_orders) {
		v[2] = TimestampGetDatum(seconds_to_ts(cs.first_ts));
		v[3] = TimestampGetDatum(seconds_to_ts(cs.last_ts));
	} else {
		null[2] = null[3] = true;
	}
	v[4] = money_numeric(cs.revenue);
	v[5] = Int32GetDatum((int32)cs.n_returns);
	v[6] = money_numeric(cs.returned);
	struct rebuy_btyd b;
	/* Without a calibration end every purchase is in the calibration period
	 * and T is unknown. */
	int64 cal_end = s->has_cal_end ? s->cal_end : (np ? rebuy_day_of(ts[np - 1]) : 0);
	if (rebuy_btyd_compute(&o, 0, cal_end, (enum rebuy_time_unit)s->unit, &b)) {
		v[7] = Float8GetDatum(b.x);
		v[8] = Float8GetDatum(b.t_x);
		v[9] = Float8GetDatum(b.T);
		null[9] = !s->has_cal_end;
		v[10] = Float8GetDatum(b.monetary);
		v[11] = Int32GetDatum((int32)b.x_holdout);
	} else {
		null[7] = null[8] = null[9] = null[10] = null[11] = true;
	}
	/* the first purchase day as a date (days since 2000-01-01) */
	if (cs.n_orders)
		v[12] = DateADTGetDatum((DateADT)(cs.first_day - EPOCH_SHIFT / 86400));
	else
		null[12] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, v, null)));
}

/* ---- the model fit aggregate ---- */

struct fit_entry {
	double x, t_x, T, monetary;
	int has_monetary;
	int32 key_off, key_len;
};

struct fit_state {
	int32 n, cap;
	struct fit_entry *e;
	StringInfoData keys; /* the customer keys, back to back */
	char model[16];
	int32 unit;
};

static struct fit_state *fit_state_new(MemoryContext ctx)
{
	MemoryContext old = MemoryContextSwitchTo(ctx);
	struct fit_state *s = palloc0(sizeof *s);
	s->cap = 64;
	s->e = palloc(s->cap * sizeof *s->e);
	initStringInfo(&s->keys);
	s->unit = REBUY_UNIT_WEEK;
	MemoryContextSwitchTo(old);
	return s;
}

static void fit_reserve(struct fit_state *s, int32 more)
{
	if ((int64)s->n + more > (int64)(MaxAllocSize / sizeof(struct fit_entry)))
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
		                errmsg("rebuy_fit: too many customers")));
	if (s->n + more <= s->cap)
		return;
	int32 cap = s->cap;
	while (cap < s->n + more)
		cap = cap > (int32)(MaxAllocSize / sizeof(struct fit_entry) / 2)
		              ? (int32)(MaxAllocSize / sizeof(struct fit_entry))
		              : cap * 2;
	s->e = repalloc(s->e, cap * sizeof *s->e);
	s->cap = cap;
}

static void fit_add(struct fit_state *s, const char *key, int32 key_len, double x, double t_x,
                    double T, double m, int has_m)
{
	fit_reserve(s, 1);
	struct fit_entry *e = &s->e[s->n++];
	e->x = x;
	e->t_x = t_x;
	e->T = T;
	e->monetary = m;
	e->has_monetary = has_m;
	e->key_off = s->keys.len;
	e->key_len = key_len;
	appendBinaryStringInfo(&s->keys, key, key_len);
}

PG_FUNCTION_INFO_V1(rebuy_fit_trans);
/* (state, model text, customer text, x, t_x, T [, monetary [, time_unit]]):
 * NULL x, t_x or T (a customer outside the calibration period) is left out. */
Datum rebuy_fit_trans(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = agg_context(fcinfo, "rebuy_fit");
	struct fit_state *s = PG_ARGISNULL(0) ? NULL : (struct fit_state *)PG_GETARG_POINTER(0);
	if (!s) {
		s = fit_state_new(ctx);
		if (PG_ARGISNULL(1))
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			                errmsg("rebuy_fit: the model name is NULL")));
		text_to_cstring_buffer(PG_GETARG_TEXT_PP(1), s->model, sizeof s->model);
		if (PG_NARGS() >= 8 && !PG_ARGISNULL(7))
			s->unit = (int32)unit_arg(PG_GETARG_TEXT_PP(7));
	}
	if (PG_ARGISNULL(3) || PG_ARGISNULL(4) || PG_ARGISNULL(5))
		PG_RETURN_POINTER(s);
	const char *key = "";
	int32 key_len = 0;
	if (!PG_ARGISNULL(2)) {
		text *k = PG_GETARG_TEXT_PP(2);
		key = VARDATA_ANY(k);
		key_len = VARSIZE_ANY_EXHDR(k);
	}
	int has_m = PG_NARGS() >= 7 && !PG_ARGISNULL(6);
	MemoryContext old = MemoryContextSwitchTo(ctx);
	fit_add(s, key, key_len, PG_GETARG_FLOAT8(3), PG_GETARG_FLOAT8(4), PG_GETARG_FLOAT8(5),
	        has_m ? PG_GETARG_FLOAT8(6) : 0, has_m);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(rebuy_fit_combine);
Datum rebuy_fit_combine(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = agg_context(fcinfo, "rebuy_fit_combine");
	struct fit_state *a = PG_ARGISNULL(0) ? NULL : (struct fit_state *)PG_GETARG_POINTER(0);
	struct fit_state *b = PG_ARGISNULL(1) ? NULL : (struct fit_state *)PG_GETARG_POINTER(1);
	if (!b)
		PG_RETURN_POINTER(a);
	if (!a) {
		a = fit_state_new(ctx);
		memcpy(a->model, b->model, sizeof a->model);
		a->unit = b->unit;
	}
	MemoryContext old = MemoryContextSwitchTo(ctx);
	for (int32 i = 0; i < b->n; i++) {
		const struct fit_entry *e = &b->e[i];
		fit_add(a, b->keys.data + e->key_off, e->key_len, e->x, e->t_x, e->T, e->monetary,
		        e->has_monetary);
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(rebuy_fit_serial);
Datum rebuy_fit_serial(PG_FUNCTION_ARGS)
{
	struct fit_state *s = (struct fit_state *)PG_GETARG_POINTER(0);
	StringInfoData b;
	initStringInfo(&b);
	appendBinaryStringInfo(&b, s->model, sizeof s->model);
	appendBinaryStringInfo(&b, (const char *)&s->unit, sizeof s->unit);
	appendBinaryStringInfo(&b, (const char *)&s->n, sizeof s->n);
	appendBinaryStringInfo(&b, (const char *)s->e, s->n * sizeof *s->e);
	appendBinaryStringInfo(&b, s->keys.data, s->keys.len);
	bytea *out = palloc(VARHDRSZ + b.len);
	SET_VARSIZE(out, VARHDRSZ + b.len);
	memcpy(VARDATA(out), b.data, b.len);
	PG_RETURN_BYTEA_P(out);
}

PG_FUNCTION_INFO_V1(rebuy_fit_deserial);
Datum rebuy_fit_deserial(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = agg_context(fcinfo, "rebuy_fit_deserial");
	bytea *in = PG_GETARG_BYTEA_PP(0);
	const char *p = VARDATA_ANY(in);
	Size len = VARSIZE_ANY_EXHDR(in), head = 16 + 2 * sizeof(int32);
	int32 n;
	if (len < head)
		elog(ERROR, "rebuy_fit_deserial: a state of %zu bytes is too short", len);
	memcpy(&n, p + 20, sizeof n);
	if (n < 0 || len < head + (Size)n * sizeof(struct fit_entry))
		elog(ERROR, "rebuy_fit_deserial: a state of %zu bytes does not hold %d customers", len,
		     n);
	struct fit_state *s = fit_state_new(ctx);
	memcpy(s->model, p, 16);
	s->model[15] = 0;
	memcpy(&s->unit, p + 16, sizeof s->unit);
	MemoryContext old = MemoryContextSwitchTo(ctx);
	fit_reserve(s, n);
	memcpy(s->e, p + head, (Size)n * sizeof *s->e);
	s->n = n;
	Size koff = head + (Size)n * sizeof *s->e;
	appendBinaryStringInfo(&s->keys, p + koff, (int)(len - koff));
	MemoryContextSwitchTo(old);
	for (int32 i = 0; i < n; i++)
		if (s->e[i].key_off < 0 || s->e[i].key_len < 0 ||
		    (int64)s->e[i].key_off + s->e[i].key_len > s->keys.len)
			elog(ERROR, "rebuy_fit_deserial: a customer key lies outside the state");
	PG_RETURN_POINTER(s);
}

static const struct fit_state *sort_state;

/* Customers in the order `rebuy summary --customers` writes them, so the
 * fit sums its likelihood in the same order as `rebuy fit --summary` over
 * that file, whatever order the rows arrived in. */
static int entry_cmp(const void *pa, const void *pb)
{
	const struct fit_entry *a = pa, *b = pb;
	const char *k = sort_state->keys.data;
	return rebuy_key_compare(k + a->key_off, (size_t)a->key_len, k + b->key_off,
	                         (size_t)b->key_len);
}

static void append_double(StringInfo b, double v)
{
	char buf[40];
	if (!isfinite(v)) {
		appendStringInfoString(b, "null");
		return;
	}
	rebuy_format_double(v, buf, sizeof buf);
	appendStringInfoString(b, buf);
}

static void append_json_string(StringInfo b, const char *s)
{
	appendStringInfoChar(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			appendStringInfo(b, "\\%c", c);
		else if (c < 0x20)
			appendStringInfo(b, "\\u%04x", c);
		else
			appendStringInfoChar(b, (char)c);
	}
	appendStringInfoChar(b, '"');
}

static void append_estimate(StringInfo b, const struct rebuy_clv_estimate *e)
{
	appendStringInfoString(b, "\"params\": {");
	for (int i = 0; i < e->n_params; i++) {
		appendStringInfo(b, "%s\"%s\": ", i ? ", " : "", e->names[i]);
		append_double(b, e->params[i]);
	}
	appendStringInfoString(b, "}, \"se\": {");
	for (int i = 0; i < e->n_params; i++) {
		appendStringInfo(b, "%s\"%s\": ", i ? ", " : "", e->names[i]);
		append_double(b, e->se[i]);
	}
	appendStringInfoString(b, "}, \"log_likelihood\": ");
	append_double(b, e->log_likelihood);
	appendStringInfoString(b, ", \"n_customers\": ");
	append_double(b, e->n_customers);
	appendStringInfo(b, ", \"converged\": %s, \"iterations\": %d, \"status\": ",
	                 e->converged ? "true" : "false", e->iterations);
	append_json_string(b, e->status);
	appendStringInfoString(b, ", \"gradient_max\": ");
	append_double(b, e->gradient_max);
	appendStringInfo(b, ", \"n_rows\": %zu", e->n_rows);
}

PG_FUNCTION_INFO_V1(rebuy_fit_final);
/* The entries are written as the summary table `rebuy fit --summary` reads
 * (customer,x,t_x,T[,monetary], every number round-tripping) and read back
 * by the same reader, so the fit is the command line's, step for step. */
Datum rebuy_fit_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	struct fit_state *s = (struct fit_state *)PG_GETARG_POINTER(0);
	struct rebuy_error err = {0};
	enum rebuy_clv_model model;
	if (rebuy_clv_model_from_name(s->model, &model, &err) != REBUY_OK)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("rebuy_fit: %s", err.msg)));
	if (s->n == 0)
		PG_RETURN_NULL();
	sort_state = s;
	qsort(s->e, s->n, sizeof *s->e, entry_cmp);
	int spend = 1;
	for (int32 i = 0; i < s->n; i++)
		spend &= s->e[i].has_monetary;
	StringInfoData csv;
	initStringInfo(&csv);
	appendStringInfoString(&csv, spend ? "customer,x,t_x,T,monetary\n" : "customer,x,t_x,T\n");
	for (int32 i = 0; i < s->n; i++) {
		const struct fit_entry *e = &s->e[i];
		char buf[40];
		/* keys are quoted: they may hold the delimiter */
		appendStringInfoChar(&csv, '"');
		for (int32 k = 0; k < e->key_len; k++) {
			char c = s->keys.data[e->key_off + k];
			if (c == '"')
				appendStringInfoChar(&csv, '"');
			appendStringInfoChar(&csv, c);
		}
		appendStringInfoChar(&csv, '"');
		double col[4] = {e->x, e->t_x, e->T, e->monetary};
		for (int c = 0; c < (spend ? 4 : 3); c++) {
			rebuy_format_double(col[c], buf, sizeof buf);
			appendStringInfo(&csv, ",%s", buf);
		}
		appendStringInfoChar(&csv, '\n');
	}
	struct rebuy_table_options topts;
	rebuy_table_options_init(&topts);
	topts.path = "rebuy_fit";
	topts.data = csv.data;
	topts.data_len = (size_t)csv.len;
	topts.delimiter = ',';
	struct rebuy_clv_data *d = NULL;
	if (rebuy__clv_read_summary(&topts, &d, &err) != REBUY_OK)
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("rebuy_fit: %s", err.msg)));
	d->unit = (enum rebuy_time_unit)s->unit;
	struct rebuy_clv_fit_options fo;
	rebuy_clv_fit_options_init(&fo);
	fo.model = model;
	fo.spend = spend && d->monetary != NULL;
	fo.n_threads = 1; /* no threads inside a server process */
	struct rebuy_clv_fit fit;
	enum rebuy_status st = rebuy_clv_fit(d, &fo, &fit, &err);
	rebuy_clv_data_free(d);
	if (st != REBUY_OK)
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("rebuy_fit: %s", err.msg)));
	StringInfoData b;
	initStringInfo(&b);
	appendStringInfo(&b, "{\"model\": \"%s\", ", rebuy_clv_model_name(model));
	append_estimate(&b, &fit.est);
	appendStringInfo(&b, ", \"time_unit\": \"%s\"", rebuy_time_unit_name(s->unit));
	if (fit.has_spend) {
		appendStringInfoString(&b, ", \"spend\": {\"model\": \"gg\", ");
		append_estimate(&b, &fit.spend);
		appendStringInfoChar(&b, '}');
	}
	appendStringInfoChar(&b, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(b.data)));
}

/* ---- per-customer predictions from a fit's JSON ---- */

static JsonbValue *jb_find(JsonbContainer *c, const char *key)
{
	JsonbValue k;
	k.type = jbvString;
	k.val.string.val = (char *)key;
	k.val.string.len = (int)strlen(key);
	return findJsonbValueFromContainer(c, JB_FOBJECT, &k);
}

static double jb_number(JsonbContainer *c, const char *obj, const char *key)
{
	JsonbValue *v = jb_find(c, key);
	if (!v || v->type != jbvNumeric)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("rebuy: the fit has no number %s.%s", obj, key)));
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
}

/* A fit as rebuy_fit returns it (or `rebuy fit --format json` prints it):
 * {"model": "bgnbd", "params": {...}, "time_unit": ..., "spend": {...}}. */
static void fit_from_json(Jsonb *jb, struct rebuy_clv_fit *fit, enum rebuy_time_unit *unit)
{
	static const char *const names[][4] = {
	        [REBUY_CLV_BGNBD] = {"r", "alpha", "a", "b"},
	        [REBUY_CLV_MBGNBD] = {"r", "alpha", "a", "b"},
	        [REBUY_CLV_PNBD] = {"r", "alpha", "s", "beta"},
	        [REBUY_CLV_BGBB] = {"alpha", "beta", "gamma", "delta"},
	        [REBUY_CLV_SBG] = {"alpha", "beta", NULL, NULL},
	};
	memset(fit, 0, sizeof *fit);
	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("rebuy: a fit is a JSON object with model and params")));
	JsonbValue *m = jb_find(&jb->root, "model");
	JsonbValue *p = jb_find(&jb->root, "params");
	if (!m || m->type != jbvString || !p || p->type != jbvBinary)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("rebuy: a fit is a JSON object with model and params")));
	char name[16];
	snprintf(name, sizeof name, "%.*s", m->val.string.len, m->val.string.val);
	struct rebuy_error err = {0};
	enum rebuy_clv_model model;
	if (rebuy_clv_model_from_name(name, &model, &err) != REBUY_OK)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("rebuy: %s", err.msg)));
	fit->model = model;
	for (int i = 0; i < 4 && names[model][i]; i++) {
		fit->est.names[i] = names[model][i];
		fit->est.params[i] = jb_number(p->val.binary.data, "params", names[model][i]);
		fit->est.n_params = i + 1;
	}
	fit->est.converged = 1;
	*unit = REBUY_UNIT_WEEK;
	JsonbValue *u = jb_find(&jb->root, "time_unit");
	if (u && u->type == jbvString) {
		snprintf(name, sizeof name, "%.*s", u->val.string.len, u->val.string.val);
		if (rebuy_time_unit_from_name(name, unit, &err) != REBUY_OK)
			ereport(ERROR,
			        (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("rebuy: %s", err.msg)));
	}
	JsonbValue *sp = jb_find(&jb->root, "spend");
	if (sp && sp->type == jbvBinary) {
		JsonbValue *sparams = jb_find(sp->val.binary.data, "params");
		if (!sparams || sparams->type != jbvBinary)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			                errmsg("rebuy: the fit's spend has no params")));
		static const char *const gg[] = {"p", "q", "gamma"};
		fit->has_spend = 1;
		fit->spend.n_params = 3;
		fit->spend.converged = 1;
		for (int i = 0; i < 3; i++) {
			fit->spend.names[i] = gg[i];
			fit->spend.params[i] = jb_number(sparams->val.binary.data, "spend.params", gg[i]);
		}
	}
}

static void check_history(double x, double t_x, double T)
{
	if (!(x >= 0) || !(t_x >= 0) || !(T >= t_x) || !isfinite(T))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("rebuy: a history needs x >= 0 and 0 <= t_x <= T (got x %g, "
		                       "t_x %g, T %g)",
		                       x, t_x, T)));
}

PG_FUNCTION_INFO_V1(rebuy_p_alive_sql);
Datum rebuy_p_alive_sql(PG_FUNCTION_ARGS)
{
	struct rebuy_clv_fit fit;
	enum rebuy_time_unit unit;
	fit_from_json(PG_GETARG_JSONB_P(0), &fit, &unit);
	double x = PG_GETARG_FLOAT8(1), t_x = PG_GETARG_FLOAT8(2), T = PG_GETARG_FLOAT8(3);
	check_history(x, t_x, T);
	PG_RETURN_FLOAT8(rebuy_clv_p_alive(&fit, x, t_x, T));
}

PG_FUNCTION_INFO_V1(rebuy_expected_purchases_sql);
/* (params, t, x, t_x, T): expected purchases in (T, T + t]. */
Datum rebuy_expected_purchases_sql(PG_FUNCTION_ARGS)
{
	struct rebuy_clv_fit fit;
	enum rebuy_time_unit unit;
	fit_from_json(PG_GETARG_JSONB_P(0), &fit, &unit);
	double t = PG_GETARG_FLOAT8(1), x = PG_GETARG_FLOAT8(2), t_x = PG_GETARG_FLOAT8(3),
	       T = PG_GETARG_FLOAT8(4);
	check_history(x, t_x, T);
	if (!(t >= 0) || !isfinite(t))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("rebuy: the horizon t must be >= 0 (got %g)", t)));
	PG_RETURN_FLOAT8(rebuy_clv_expected_purchases(&fit, x, t_x, T, t));
}

PG_FUNCTION_INFO_V1(rebuy_clv_sql);
/* (params, x, t_x, T, monetary, horizon, margin, discount_rate): what
 * `rebuy predict` gives as clv for one customer; NULL without a spend fit. */
Datum rebuy_clv_sql(PG_FUNCTION_ARGS)
{
	struct rebuy_clv_fit fit;
	enum rebuy_time_unit unit;
	fit_from_json(PG_GETARG_JSONB_P(0), &fit, &unit);
	if (!fit.has_spend)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("rebuy_clv: the fit has no spend model (rebuy_fit with monetary)")));
	double x = PG_GETARG_FLOAT8(1), t_x = PG_GETARG_FLOAT8(2), T = PG_GETARG_FLOAT8(3);
	double m = PG_GETARG_FLOAT8(4), w = 1;
	check_history(x, t_x, T);
	struct rebuy_clv_data d = {
	        .layout = REBUY_CLV_CONTINUOUS,
	        .unit = unit,
	        .n = 1,
	        .n_customers = 1,
	        .x = &x,
	        .t_x = &t_x,
	        .T = &T,
	        .w = &w,
	        .monetary = &m,
	};
	struct rebuy_clv_predict_options po;
	rebuy_clv_predict_options_init(&po);
	po.horizon = PG_GETARG_FLOAT8(5);
	po.margin = PG_GETARG_FLOAT8(6);
	po.discount_rate = PG_GETARG_FLOAT8(7);
	po.n_threads = 1;
	struct rebuy_clv_prediction pred;
	struct rebuy_error err = {0};
	if (rebuy_clv_predict(&fit, &d, &po, &pred, &err) != REBUY_OK)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("rebuy_clv: %s", err.msg)));
	if (!isfinite(pred.clv))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(pred.clv);
}

/* ---- RFM and cohorts ---- */

static struct rebuy_rfm_map *default_map;

PG_FUNCTION_INFO_V1(rebuy_rfm_segment_sql);
/* (r, f): the default segment of DESIGN.md §4 for 5 bins. */
Datum rebuy_rfm_segment_sql(PG_FUNCTION_ARGS)
{
	int32 r = PG_GETARG_INT32(0), f = PG_GETARG_INT32(1);
	if (r < 1 || r > 5 || f < 1 || f > 5)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("rebuy_rfm_segment: scores are 1..5 (got R %d, F %d)", r, f)));
	if (!default_map) {
		struct rebuy_error err = {0};
		if (rebuy_rfm_map_default(&default_map, &err) != REBUY_OK)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("rebuy: %s", err.msg)));
	}
	size_t k = rebuy_rfm_map_classify(default_map, (unsigned)r, (unsigned)f, 1);
	PG_RETURN_TEXT_P(cstring_to_text(rebuy_rfm_map_segment_name(default_map, k)));
}

static enum rebuy_period period_arg(text *t)
{
	char *name = text_to_cstring(t);
	enum rebuy_period p;
	struct rebuy_error err = {0};
	if (rebuy_period_from_name(name, &p, &err) != REBUY_OK)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("rebuy: %s", err.msg)));
	pfree(name);
	return p;
}

static int64 date_day(DateADT d)
{
	if (DATE_NOT_FINITE(d))
		ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
		                errmsg("rebuy: an infinite date has no period")));
	return (int64)d + EPOCH_SHIFT / 86400;
}

PG_FUNCTION_INFO_V1(rebuy_period_label_sql);
/* (period, day): the label of the calendar period holding day ("2011-W09",
 * "2011-03", ...), as cohorts label them. */
Datum rebuy_period_label_sql(PG_FUNCTION_ARGS)
{
	enum rebuy_period p = period_arg(PG_GETARG_TEXT_PP(0));
	char buf[32];
	rebuy_period_label(p, rebuy_period_index(p, date_day(PG_GETARG_DATEADT(1))), buf, sizeof buf);
	PG_RETURN_TEXT_P(cstring_to_text(buf));
}

PG_FUNCTION_INFO_V1(rebuy_period_offset_sql);
/* (period, first_day, day): periods from the one holding first_day to the
 * one holding day (the cohort offset k). */
Datum rebuy_period_offset_sql(PG_FUNCTION_ARGS)
{
	enum rebuy_period p = period_arg(PG_GETARG_TEXT_PP(0));
	int64 a = rebuy_period_index(p, date_day(PG_GETARG_DATEADT(1)));
	int64 b = rebuy_period_index(p, date_day(PG_GETARG_DATEADT(2)));
	PG_RETURN_INT32((int32)(b - a));
}
