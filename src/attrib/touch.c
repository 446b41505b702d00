/* Journeys from a touchpoints file and the orders (include/rebuy/attrib.h,
 * docs/attribute.md "Journeys"). Each purchase takes the customer's touches
 * after their previous purchase and at or before it (with a lookback, only
 * those at most that many days before it); the touches after a customer's
 * last purchase, and all touches of someone who never bought, are one
 * non-converting journey. A touch is credited to one journey at most.
 * Reading: every row must be right; the first wrong one is the error.
 */
#include <stdlib.h>
#include <string.h>

#include "attrib/attrib_int.h"
#include "core/mem.h"
#include "data/partial.h"
#include "ingest/side.h"
#include "rebuy/date.h"
#include "rebuy/money.h"

#define NONE UINT32_MAX

static const char *const role_names[REBUY_ATTRIB_TOUCH_ROLE_COUNT] = {"customer", "time", "channel",
                                                                      "cost"};
static const char *const default_flags[REBUY_ATTRIB_TOUCH_ROLE_COUNT] = {
        "touch-customer", "touch-time", "channel", "cost"};
static const char *const customer_headers[] = {"customer",    "customerid", "clientid", "userid",
                                               "householdid", "cust",       "id",       NULL};
static const char *const time_headers[] = {"time",      "timestamp", "date",      "datetime",
                                           "eventtime", "touchtime", "touchdate", "sentat",
                                           "createdat", "eventdate", "ts",        NULL};
static const char *const channel_headers[] = {"channel", "touchpoint", "source",
                                              "medium",  "utmsource",  NULL};
static const char *const cost_headers[] = {"cost", "spend", "touchcost", NULL};
static const char *const *const role_headers[REBUY_ATTRIB_TOUCH_ROLE_COUNT] = {
        customer_headers, time_headers, channel_headers, cost_headers};

void rebuy_attrib_touch_options_init(struct rebuy_attrib_touch_options *opts)
{
	memset(opts, 0, sizeof *opts);
	for (int r = 0; r < REBUY_ATTRIB_TOUCH_ROLE_COUNT; r++)
		opts->flag_names[r] = default_flags[r];
}

struct rec {
	int64_t ts;
	int64_t cost; /* 1/10,000 units */
	uint32_t cust, ch, row;
};

struct reading {
	const struct rebuy_table *t;
	const struct rebuy_attrib_touch_options *opts;
	struct rebuy_attrib_journeys *j;
	int col[REBUY_ATTRIB_TOUCH_ROLE_COUNT];
	struct rebuy_date_format fmt;
	int use_alt; /* a/b/YYYY times are day first */
	char decimal;
	struct rebuy__strtab cust;
	struct rec *rec;
	double *cost; /* per channel id as read */
};

static enum rebuy_status nomem(struct rebuy_error *err)
{
	return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
}

static const char *cell(const struct reading *rd, size_t row, int role)
{
	return rebuy_table_cell(rd->t, row, (size_t)rd->col[role]);
}

static unsigned long long line_of(const struct reading *rd, size_t row)
{
	return (unsigned long long)rebuy_table_row_line(rd->t, row);
}

static enum rebuy_status find_columns(struct reading *rd, struct rebuy_error *err)
{
	struct rebuy_table_role roles[REBUY_ATTRIB_TOUCH_ROLE_COUNT];
	for (int k = 0; k < REBUY_ATTRIB_TOUCH_ROLE_COUNT; k++)
		roles[k] = (struct rebuy_table_role){
		        .role = role_names[k],
		        .flag = rd->opts->flag_names[k] ? rd->opts->flag_names[k]
		                                        : default_flags[k],
		        .ref = rd->opts->column[k],
		        .names = role_headers[k],
		        .is_required = k != REBUY_ATTRIB_TOUCH_COST,
		};
	return rebuy_table_find_columns(rd->t, roles, REBUY_ATTRIB_TOUCH_ROLE_COUNT, rd->col, err);
}

/* Pass 1 over the times: month or day first for a/b/YYYY values, decided
 * by the whole column as the order reader does. */
static enum rebuy_status resolve_slash(struct reading *rd, struct rebuy_error *err)
{
	const struct rebuy_table *t = rd->t;
	size_t mdy_only = SIZE_MAX, dmy_only = SIZE_MAX, ambiguous = SIZE_MAX;
	for (size_t i = 0; i < t->n_rows; i++) {
		if ((size_t)rd->col[REBUY_ATTRIB_TOUCH_TIME] >= rebuy_table_row_fields(t, i))
			continue;
		const char *s = cell(rd, i, REBUY_ATTRIB_TOUCH_TIME);
		unsigned f = rebuy_date_parse(s, strlen(s), &rd->fmt, NULL, NULL);
		if (!(f & REBUY_DATE_SLASH))
			continue;
		int mdy = (f & REBUY_DATE_MDY_VALID) != 0, dmy = (f & REBUY_DATE_DMY_VALID) != 0;
		size_t *ex = mdy && dmy ? &ambiguous : mdy ? &mdy_only : &dmy_only;
		if (*ex == SIZE_MAX)
			*ex = i;
	}
	rd->j->date_format_name = rebuy__date_kind_name(rd->fmt.kind);
	const char *flag = "touch-date-format";
	char a[48], b[48];
	if (mdy_only != SIZE_MAX && dmy_only != SIZE_MAX) {
		rebuy__cut_text(a, sizeof a, cell(rd, mdy_only, REBUY_ATTRIB_TOUCH_TIME));
		rebuy__cut_text(b, sizeof b, cell(rd, dmy_only, REBUY_ATTRIB_TOUCH_TIME));
		return rebuy_error_set(err, REBUY_EDATA,
		                       "%s: the times mix month/day ('%s' on line %llu) and "
		                       "day/month ('%s' on line %llu): give --%s mdy or dmy",
		                       t->path, a, line_of(rd, mdy_only), b, line_of(rd, dmy_only),
		                       flag);
	}
	if (dmy_only != SIZE_MAX) {
		rd->use_alt = 1;
		rd->j->date_format_name = "dmy";
	} else if (mdy_only != SIZE_MAX) {
		rd->j->date_format_name = "mdy";
	} else if (ambiguous != SIZE_MAX) {
		rebuy__cut_text(a, sizeof a, cell(rd, ambiguous, REBUY_ATTRIB_TOUCH_TIME));
		return rebuy_error_set(err, REBUY_EDATA,
		                       "%s: every time reads both as month/day and as day/month "
		                       "(e.g. '%s' on line %llu): give --%s mdy or dmy",
		                       t->path, a, line_of(rd, ambiguous), flag);
	}
	return REBUY_OK;
}

/* Pass 2: one row into rec[i]. */
static enum rebuy_status read_row(struct reading *rd, size_t i, struct rebuy_error *err)
{
	const struct rebuy_table *t = rd->t;
	char text[64];
	size_t fields = rebuy_table_row_fields(t, i);
	for (int k = 0; k < REBUY_ATTRIB_TOUCH_ROLE_COUNT; k++)
		if (rd->col[k] >= 0 && (size_t)rd->col[k] >= fields)
			return rebuy_error_set(err, REBUY_EDATA,
			                       "%s:%llu: the row has %zu fields; the %s column is "
			                       "field %d",
			                       t->path, line_of(rd, i), fields, role_names[k],
			                       rd->col[k] + 1);
	struct rec *r = &rd->rec[i];
	r->row = (uint32_t)i;
	const char *key = cell(rd, i, REBUY_ATTRIB_TOUCH_CUSTOMER);
	size_t len = rebuy__key_normalize(&key, strlen(key), rd->decimal);
	if (len == 0)
		return rebuy_error_set(err, REBUY_EDATA, "%s:%llu:%d: empty customer", t->path,
		                       line_of(rd, i), rd->col[REBUY_ATTRIB_TOUCH_CUSTOMER] + 1);
	enum rebuy_status st = rebuy__strtab_intern(&rd->cust, key, len,
	                                            rebuy__strtab_hash(key, len), &r->cust, NULL);
	if (st == REBUY_ENOMEM)
		return nomem(err);
	if (st)
		return rebuy_error_set(err, st, "%s:%llu: customer key too long or too many keys",
		                       t->path, line_of(rd, i));
	const char *s = cell(rd, i, REBUY_ATTRIB_TOUCH_TIME);
	int64_t ts = 0, alt = 0;
	unsigned f = rebuy_date_parse(s, strlen(s), &rd->fmt, &ts, &alt);
	if (!(f & REBUY_DATE_OK)) {
		rebuy__cut_text(text, sizeof text, s);
		return rebuy_error_set(err, REBUY_EDATA, "%s:%llu:%d: cannot read time '%s'",
		                       t->path, line_of(rd, i),
		                       rd->col[REBUY_ATTRIB_TOUCH_TIME] + 1, text);
	}
	if (f & REBUY_DATE_SLASH) {
		/* ts is month/day when that reads, alt day/month when that does */
		if (rd->use_alt && (f & REBUY_DATE_DMY_VALID))
			ts = alt;
	}
	r->ts = ts;
	s = cell(rd, i, REBUY_ATTRIB_TOUCH_CHANNEL);
	len = strlen(s);
	s = rebuy__trim_blanks(s, &len);
	if (len == 0)
		return rebuy_error_set(err, REBUY_EDATA, "%s:%llu:%d: empty channel", t->path,
		                       line_of(rd, i), rd->col[REBUY_ATTRIB_TOUCH_CHANNEL] + 1);
	st = rebuy__attrib_channel(rd->j, s, len, &r->ch);
	if (st == REBUY_ENOMEM)
		return nomem(err);
	if (st)
		return rebuy_error_set(err, REBUY_ELIMIT, "%s:%llu:%d: more than %d channels",
		                       t->path, line_of(rd, i),
		                       rd->col[REBUY_ATTRIB_TOUCH_CHANNEL] + 1,
		                       REBUY_ATTRIB_MAX_CHANNELS);
	r->cost = 0;
	if (rd->col[REBUY_ATTRIB_TOUCH_COST] >= 0) {
		s = cell(rd, i, REBUY_ATTRIB_TOUCH_COST);
		len = strlen(s);
		s = rebuy__trim_blanks(s, &len);
		if (len > 0) {
			enum rebuy_num_result nr = rebuy_money_parse(s, len, rd->decimal, &r->cost);
			if (nr == REBUY_NUM_BAD || nr == REBUY_NUM_RANGE || r->cost < 0) {
				rebuy__cut_text(text, sizeof text,
				                cell(rd, i, REBUY_ATTRIB_TOUCH_COST));
				return rebuy_error_set(err, REBUY_EDATA,
				                       "%s:%llu:%d: cost '%s' is not a number >= 0",
				                       t->path, line_of(rd, i),
				                       rd->col[REBUY_ATTRIB_TOUCH_COST] + 1, text);
			}
		}
	}
	return REBUY_OK;
}

static int cmp_rec(const void *pa, const void *pb)
{
	const struct rec *a = pa, *b = pb;
	if (a->cust != b->cust)
		return a->cust < b->cust ? -1 : 1;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return (a->row > b->row) - (a->row < b->row);
}

/* Appends touches rec[a..b) as one journey; age from the purchase at ots. */
static enum rebuy_status emit(struct reading *rd, size_t a, size_t b, int64_t ots, double c,
                              double v, double n)
{
	enum rebuy_status st;
	for (size_t i = a; i < b; i++) {
		const struct rec *r = &rd->rec[i];
		double age = c > 0 ? (double)(ots - r->ts) / REBUY_SECONDS_PER_DAY : 0;
		if ((st = rebuy__attrib_touch(rd->j, r->ch, age)))
			return st;
		rd->cost[r->ch] += (double)r->cost / REBUY_MONEY_SCALE;
	}
	return rebuy__attrib_journey_end(rd->j, c, v, n);
}

/* The journeys of one touchpoint customer: rec[a..b), purchases of orders
 * customer c (NONE: never bought). */
static enum rebuy_status customer_journeys(struct reading *rd, const struct rebuy_orders *o,
                                           size_t a, size_t b, uint32_t c)
{
	struct rebuy_attrib_journeys *j = rd->j;
	enum rebuy_status st;
	if (c == NONE) {
		j->customers_without_orders++;
		if (j->repeat_only) {
			j->touches_unused += b - a;
			return REBUY_OK;
		}
		return emit(rd, a, b, 0, 0, 0, 1);
	}
	int64_t first_day = rebuy_day_of(o->ts[o->cust_start[c]]);
	int64_t lookback = j->lookback_days * REBUY_SECONDS_PER_DAY;
	size_t i = a;
	for (uint64_t k = o->cust_start[c]; k < o->cust_start[c + 1]; k++) {
		int64_t ots = o->ts[k];
		size_t start = i;
		while (i < b && rd->rec[i].ts <= ots)
			i++;
		if (j->repeat_only && rebuy_day_of(ots) == first_day) {
			j->orders_first_skipped++;
			j->touches_unused += i - start;
			continue;
		}
		j->orders++;
		size_t lo = start;
		if (lookback > 0)
			while (lo < i && rd->rec[lo].ts < ots - lookback)
				lo++;
		j->touches_unused += lo - start;
		double v = (double)o->value[k] / REBUY_MONEY_SCALE;
		if (lo == i) {
			j->orders_without_touches++;
			j->value_without_touches += v;
			continue;
		}
		if ((st = emit(rd, lo, i, ots, 1, v, 0)))
			return st;
	}
	return i < b ? emit(rd, i, b, 0, 0, 0, 1) : REBUY_OK;
}

/* Purchases of orders customer c, who has no touch. */
static void untouched(struct rebuy_attrib_journeys *j, const struct rebuy_orders *o, size_t c)
{
	int64_t first_day = rebuy_day_of(o->ts[o->cust_start[c]]);
	for (uint64_t k = o->cust_start[c]; k < o->cust_start[c + 1]; k++) {
		if (j->repeat_only && rebuy_day_of(o->ts[k]) == first_day) {
			j->orders_first_skipped++;
			continue;
		}
		j->orders++;
		j->orders_without_touches++;
		j->value_without_touches += (double)o->value[k] / REBUY_MONEY_SCALE;
	}
}

static enum rebuy_status build(struct reading *rd, const struct rebuy_orders *o,
                               struct rebuy_error *err)
{
	const struct rebuy_table *t = rd->t;
	struct rebuy_attrib_journeys *j = rd->j;
	enum rebuy_status st;
	if ((st = find_columns(rd, err)))
		return st;
	j->has_cost = rd->col[REBUY_ATTRIB_TOUCH_COST] >= 0;
	rd->fmt.kind = REBUY_DATE_AUTO;
	if (rd->opts->date_format && strcmp(rd->opts->date_format, "auto") != 0 &&
	    (st = rebuy_date_format_parse(rd->opts->date_format, &rd->fmt, err)))
		return st;
	if (t->n_rows >= UINT32_MAX)
		return rebuy_error_set(err, REBUY_ELIMIT, "%s: too many rows", t->path);
	size_t n = t->n_rows;
	j->touch_rows = n;
	if ((st = resolve_slash(rd, err)))
		return st;
	if (!(rd->rec = rebuy__calloc(n ? n : 1, sizeof *rd->rec)) ||
	    !(rd->cost = rebuy__calloc(REBUY_ATTRIB_MAX_CHANNELS, sizeof *rd->cost)))
		return nomem(err);
	for (size_t i = 0; i < n; i++)
		if ((st = read_row(rd, i, err)))
			return st;
	size_t nu = rd->cust.n;
	uint32_t *ocust = rebuy__malloc((nu ? nu : 1) * sizeof *ocust);
	uint8_t *touched = rebuy__calloc(o->n_customers ? o->n_customers : 1, 1);
	if (!ocust || !touched) {
		rebuy__free(ocust);
		rebuy__free(touched);
		return nomem(err);
	}
	for (size_t u = 0; u < nu; u++)
		ocust[u] = NONE;
	for (size_t c = 0; c < o->n_customers; c++) {
		size_t len;
		const char *key = rebuy_orders_customer_key(o, c, &len);
		uint32_t id;
		if (o->cust_start[c + 1] > o->cust_start[c] &&
		    rebuy__strtab_find(&rd->cust, key, len, rebuy__strtab_hash(key, len), &id)) {
			ocust[id] = (uint32_t)c;
			touched[c] = 1;
		}
	}
	qsort(rd->rec, n, sizeof *rd->rec, cmp_rec);
	for (size_t a = 0; a < n && st == REBUY_OK;) {
		size_t b = a + 1;
		while (b < n && rd->rec[b].cust == rd->rec[a].cust)
			b++;
		st = customer_journeys(rd, o, a, b, ocust[rd->rec[a].cust]);
		a = b;
	}
	for (size_t c = 0; c < o->n_customers && st == REBUY_OK; c++)
		if (!touched[c] && o->cust_start[c + 1] > o->cust_start[c])
			untouched(j, o, c);
	rebuy__free(ocust);
	rebuy__free(touched);
	if (st == REBUY_ENOMEM)
		return nomem(err);
	if (st)
		return rebuy_error_set(err, st, "%s: too many touches", t->path);
	if (j->has_cost) {
		if (!(j->priv->cost = rebuy__calloc(j->n_channels ? j->n_channels : 1,
		                                    sizeof *j->priv->cost)))
			return nomem(err);
		memcpy(j->priv->cost, rd->cost, j->n_channels * sizeof *rd->cost);
	}
	return rebuy__attrib_sort_channels(j) ? nomem(err) : REBUY_OK;
}

enum rebuy_status rebuy_attrib_journeys_build(const struct rebuy_table *t,
                                              const struct rebuy_orders *o,
                                              const struct rebuy_attrib_touch_options *opts,
                                              struct rebuy_attrib_journeys **out,
                                              struct rebuy_error *err)
{
	*out = NULL;
	struct rebuy_attrib_touch_options defaults;
	if (!opts) {
		rebuy_attrib_touch_options_init(&defaults);
		opts = &defaults;
	}
	if (opts->lookback_days < 0 || opts->lookback_days > REBUY_ATTRIB_MAX_LOOKBACK_DAYS)
		return rebuy_error_set(err, REBUY_EARG, "--lookback: %lld is not from 1 to %d days",
		                       (long long)opts->lookback_days,
		                       REBUY_ATTRIB_MAX_LOOKBACK_DAYS);
	struct reading rd;
	memset(&rd, 0, sizeof rd);
	rd.t = t;
	rd.opts = opts;
	rd.decimal = o->report.decimal_comma ? ',' : '.';
	rebuy__strtab_init(&rd.cust);
	enum rebuy_status st = rebuy__attrib_journeys_new(&rd.j, t->path, err);
	if (st)
		return st;
	rd.j->from_touchpoints = 1;
	rd.j->has_value = o->has_amount;
	rd.j->lookback_days = opts->lookback_days;
	rd.j->repeat_only = opts->repeat_only;
	st = build(&rd, o, err);
	rebuy__strtab_release(&rd.cust);
	rebuy__free(rd.rec);
	rebuy__free(rd.cost);
	if (st) {
		rebuy_attrib_journeys_free(rd.j);
		return st;
	}
	*out = rd.j;
	return REBUY_OK;
}
