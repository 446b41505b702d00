/* Campaign evaluation (include/rebuy/uplift.h, docs/uplift.md): treatment
 * against control over a window after each customer's send day. Conversion
 * by the pooled two-proportion z-test and Newcombe's hybrid score interval
 * (Newcombe 1998), relative uplift by the delta method on the log ratio
 * (Katz et al. 1978), means by Welch's t (Welch 1947) and revenue also by a
 * percentile bootstrap (Efron & Tibshirani 1993), balance by standardized
 * mean differences (Austin 2009). Reading: every row of the campaign file
 * must be right; the first wrong one, in file order, is the error.
 */
#include "rebuy/uplift.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act/stats.h"
#include "core/mem.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "core/strtab.h"
#include "data/partial.h"
#include "ingest/side.h"
#include "rebuy/date.h"
#include "rebuy/money.h"
#include "rebuy/rfm.h"

#define NONE UINT32_MAX
/* Replicates of one bootstrap work item. */
#define BOOT_CHUNK 64

static const char *const role_names[REBUY_UPLIFT_ROLE_COUNT] = {"customer", "group", "send date"};
static const char *const default_flags[REBUY_UPLIFT_ROLE_COUNT] = {"campaign-customer", "group",
                                                                   "send-date"};

/* Normalized header names (lower case, spaces and underscores removed): the
 * customer names of DESIGN.md §3, and what CRM and A/B exports call the
 * group and the send time; Russian ones too. */
static const char *const customer_headers[] = {"customer",    "customerid", "clientid",  "userid",
                                               "householdid", "cust",       "id",        "клиент",
                                               "покупатель",  "кодклиента", "idклиента", NULL};
static const char *const group_headers[] = {"group",         "variant",   "arm",     "treatment",
                                            "treated",       "testgroup", "abgroup", "cell",
                                            "campaigngroup", "группа",    NULL};
static const char *const date_headers[] = {"senddate", "date",     "sentat",       "sent",
                                           "sendtime", "sentdate", "sendday",      "campaigndate",
                                           "sendts",   "дата",     "датаотправки", NULL};

static const char *const *const role_headers[REBUY_UPLIFT_ROLE_COUNT] = {
        customer_headers, group_headers, date_headers};

const char *rebuy_uplift_role_name(enum rebuy_uplift_role role)
{
	return (unsigned)role < REBUY_UPLIFT_ROLE_COUNT ? role_names[role] : "unknown";
}

const char *const *rebuy_uplift_role_headers(enum rebuy_uplift_role role)
{
	static const char *const none[] = {NULL};
	return (unsigned)role < REBUY_UPLIFT_ROLE_COUNT ? role_headers[role] : none;
}

int rebuy_uplift_group_parse(const char *s, size_t n)
{
	static const char *const treatment[] = {"treatment", "treated", "test", "t", "1"};
	static const char *const control[] = {"control", "holdout", "c", "0"};
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	char low[16];
	if (n == 0 || n >= sizeof low)
		return -1;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + ('a' - 'A') : s[i]);
	low[n] = '\0';
	for (size_t i = 0; i < sizeof treatment / sizeof *treatment; i++)
		if (strcmp(low, treatment[i]) == 0)
			return 1;
	for (size_t i = 0; i < sizeof control / sizeof *control; i++)
		if (strcmp(low, control[i]) == 0)
			return 0;
	return -1;
}

void rebuy_uplift_options_init(struct rebuy_uplift_options *opts)
{
	memset(opts, 0, sizeof *opts);
	for (int r = 0; r < REBUY_UPLIFT_ROLE_COUNT; r++)
		opts->flag_names[r] = default_flags[r];
	opts->date_format_flag = "campaign-date-format";
	opts->window_days = REBUY_UPLIFT_DEFAULT_WINDOW_DAYS;
	opts->level = REBUY_UPLIFT_DEFAULT_LEVEL;
	opts->n_bootstrap = REBUY_UPLIFT_DEFAULT_BOOTSTRAP;
	opts->seed = 1;
}

struct rebuy__uplift_priv {
	struct rebuy__arena names; /* segment names and segmentation names */
};

void rebuy_uplift_free(struct rebuy_uplift *u)
{
	if (!u)
		return;
	for (int r = 0; r < REBUY_UPLIFT_ROLE_COUNT; r++)
		rebuy__free(u->column_name[r]);
	if (u->priv) {
		rebuy__arena_release(&u->priv->names);
		rebuy__free(u->priv);
	}
	rebuy__free(u->segments);
	rebuy__free(u);
}

static enum rebuy_status nomem(struct rebuy_error *err)
{
	return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
}

/* ---- reading the campaign file ------------------------------------------- */

/* A customer of the campaign. */
struct member {
	int64_t send_day;
	int64_t revenue[2]; /* in the window, in the W days before it (1/10,000 units) */
	uint32_t orders[2];
	uint32_t cust; /* the orders table's customer, or NONE */
	uint32_t seg[REBUY_UPLIFT_MAX_SEGMENT_BY];
	uint8_t group;         /* 1 treatment, 0 control */
	uint8_t is_incomplete; /* the window ends after the as-of day */
};

struct date_cell {
	int64_t ts, ts_alt;
	unsigned flags;
};

struct reading {
	const struct rebuy_table *t;
	const struct rebuy_uplift_options *opts;
	struct rebuy_uplift *u;
	struct rebuy_date_format fmt;
	struct date_cell *dates;
	int use_alt; /* a/b/YYYY dates are day first */
};

struct work {
	struct rebuy__strtab keys; /* customer keys; id = member index */
	struct member *m;
	size_t n;
	size_t *row; /* the table row of each member */
};

static const char *cell(const struct reading *rd, size_t row, int role)
{
	return rebuy_table_cell(rd->t, row, (size_t)rd->u->column[role]);
}

static unsigned long long line_of(const struct reading *rd, size_t row)
{
	return (unsigned long long)rebuy_table_row_line(rd->t, row);
}

static enum rebuy_status find_columns(const struct reading *rd, struct rebuy_error *err)
{
	const struct rebuy_uplift_options *opts = rd->opts;
	struct rebuy_uplift *u = rd->u;
	struct rebuy_table_role roles[REBUY_UPLIFT_ROLE_COUNT];
	for (int k = 0; k < REBUY_UPLIFT_ROLE_COUNT; k++)
		roles[k] = (struct rebuy_table_role){
		        .role = role_names[k],
		        .flag = opts->flag_names[k] ? opts->flag_names[k] : default_flags[k],
		        .ref = opts->column[k],
		        .names = role_headers[k],
		        .is_required = 1,
		};
	enum rebuy_status st =
	        rebuy_table_find_columns(rd->t, roles, REBUY_UPLIFT_ROLE_COUNT, u->column, err);
	if (st)
		return st;
	for (int k = 0; k < REBUY_UPLIFT_ROLE_COUNT; k++) {
		const char *name = rebuy_table_column_name(rd->t, (size_t)u->column[k]);
		if (!(u->column_name[k] = rebuy__strndup(name, strlen(name))))
			return nomem(err);
	}
	return REBUY_OK;
}

/* Pass 1 over the send dates: month or day first for a/b/YYYY values, from
 * the whole column (a value that reads only one way decides), as the order
 * reader does. Unreadable dates are the row pass's business. */
static enum rebuy_status read_dates(struct reading *rd, struct rebuy_error *err)
{
	const struct rebuy_table *t = rd->t;
	struct rebuy_uplift *u = rd->u;
	const char *flag =
	        rd->opts->date_format_flag ? rd->opts->date_format_flag : "campaign-date-format";
	size_t mdy_only = SIZE_MAX, dmy_only = SIZE_MAX, ambiguous = SIZE_MAX;
	for (size_t i = 0; i < t->n_rows; i++) {
		struct date_cell *d = &rd->dates[i];
		const char *s = cell(rd, i, REBUY_UPLIFT_SEND_DATE);
		d->flags = rebuy_date_parse(s, strlen(s), &rd->fmt, &d->ts, &d->ts_alt);
		if (!(d->flags & REBUY_DATE_SLASH))
			continue;
		int mdy = (d->flags & REBUY_DATE_MDY_VALID) != 0,
		    dmy = (d->flags & REBUY_DATE_DMY_VALID) != 0;
		if (!mdy)
			d->ts = d->ts_alt;
		if (!dmy)
			d->ts_alt = d->ts;
		size_t *ex = mdy && dmy ? &ambiguous : mdy ? &mdy_only : &dmy_only;
		if (*ex == SIZE_MAX)
			*ex = i;
	}
	u->date_format_name = rebuy__date_kind_name(rd->fmt.kind);
	char a[48], b[48];
	if (mdy_only != SIZE_MAX && dmy_only != SIZE_MAX) {
		rebuy__cut_text(a, sizeof a, cell(rd, mdy_only, REBUY_UPLIFT_SEND_DATE));
		rebuy__cut_text(b, sizeof b, cell(rd, dmy_only, REBUY_UPLIFT_SEND_DATE));
		return rebuy_error_set(err, REBUY_EDATA,
		                       "%s: the send dates mix month/day ('%s' on line %llu) and "
		                       "day/month ('%s' on line %llu): give --%s mdy or dmy",
		                       u->path, a, line_of(rd, mdy_only), b, line_of(rd, dmy_only),
		                       flag);
	}
	if (dmy_only != SIZE_MAX) {
		rd->use_alt = 1;
		u->date_format_name = "dmy";
	} else if (mdy_only != SIZE_MAX) {
		u->date_format_name = "mdy";
	} else if (ambiguous != SIZE_MAX) {
		rebuy__cut_text(a, sizeof a, cell(rd, ambiguous, REBUY_UPLIFT_SEND_DATE));
		return rebuy_error_set(err, REBUY_EDATA,
		                       "%s: every send date reads both as month/day and as "
		                       "day/month (e.g. '%s' on line %llu): give --%s mdy or dmy",
		                       u->path, a, line_of(rd, ambiguous), flag);
	}
	return REBUY_OK;
}

/* Pass 2: each row, in file order; the first wrong one is the error. */
static enum rebuy_status read_row(struct reading *rd, struct work *w, size_t i, char decimal,
                                  struct rebuy_error *err)
{
	struct rebuy_uplift *u = rd->u;
	const struct rebuy_table *t = rd->t;
	char text[64];
	size_t fields = rebuy_table_row_fields(t, i);
	for (int k = 0; k < REBUY_UPLIFT_ROLE_COUNT; k++)
		if ((size_t)u->column[k] >= fields)
			return rebuy_error_set(err, REBUY_EDATA,
			                       "%s:%llu: the row has %zu fields; the %s column is "
			                       "field %d",
			                       u->path, line_of(rd, i), fields, role_names[k],
			                       u->column[k] + 1);
	const char *key = cell(rd, i, REBUY_UPLIFT_CUSTOMER);
	size_t len = rebuy__key_normalize(&key, strlen(key), decimal);
	if (len == 0)
		return rebuy_error_set(err, REBUY_EDATA, "%s:%llu:%d: empty customer", u->path,
		                       line_of(rd, i), u->column[REBUY_UPLIFT_CUSTOMER] + 1);
	const char *g = cell(rd, i, REBUY_UPLIFT_GROUP);
	int group = rebuy_uplift_group_parse(g, strlen(g));
	if (group < 0) {
		rebuy__cut_text(text, sizeof text, g);
		return rebuy_error_set(err, REBUY_EDATA,
		                       "%s:%llu:%d: group '%s' is neither treatment (treatment, "
		                       "treated, test, t, 1) nor control (control, holdout, c, 0)",
		                       u->path, line_of(rd, i), u->column[REBUY_UPLIFT_GROUP] + 1,
		                       text);
	}
	const struct date_cell *d = &rd->dates[i];
	if (!(d->flags & REBUY_DATE_OK)) {
		rebuy__cut_text(text, sizeof text, cell(rd, i, REBUY_UPLIFT_SEND_DATE));
		return rebuy_error_set(err, REBUY_EDATA, "%s:%llu:%d: cannot read send date '%s'",
		                       u->path, line_of(rd, i),
		                       u->column[REBUY_UPLIFT_SEND_DATE] + 1, text);
	}
	uint32_t id;
	int is_new;
	enum rebuy_status st = rebuy__strtab_intern(&w->keys, key, len,
	                                            rebuy__strtab_hash(key, len), &id, &is_new);
	if (st == REBUY_ENOMEM)
		return nomem(err);
	if (st)
		return rebuy_error_set(err, st, "%s:%llu: customer key too long or too many keys",
		                       u->path, line_of(rd, i));
	if (!is_new) {
		rebuy__cut_text(text, sizeof text, rebuy__strtab_key(&w->keys, id, NULL));
		return rebuy_error_set(
		        err, REBUY_EDATA,
		        "%s:%llu: customer '%s' is listed again (first on line %llu)", u->path,
		        line_of(rd, i), text, line_of(rd, w->row[id]));
	}
	struct member *m = &w->m[id];
	memset(m, 0, sizeof *m);
	m->cust = NONE;
	m->group = (uint8_t)group;
	m->send_day = rebuy_day_of(d->flags & REBUY_DATE_SLASH && rd->use_alt ? d->ts_alt : d->ts);
	w->row[id] = i;
	w->n = (size_t)id + 1;
	return REBUY_OK;
}

static enum rebuy_status read_campaign(struct reading *rd, struct work *w, char decimal,
                                       struct rebuy_error *err)
{
	const struct rebuy_table *t = rd->t;
	struct rebuy_uplift *u = rd->u;
	enum rebuy_status st;
	if ((st = find_columns(rd, err)))
		return st;
	rd->fmt.kind = REBUY_DATE_AUTO;
	if (rd->opts->date_format && strcmp(rd->opts->date_format, "auto") != 0 &&
	    (st = rebuy_date_format_parse(rd->opts->date_format, &rd->fmt, err)))
		return st;
	if (t->n_rows == 0)
		return rebuy_error_set(err, REBUY_EDATA, "%s: the campaign lists no customer",
		                       u->path);
	if (t->n_rows >= REBUY__STRTAB_MAX)
		return rebuy_error_set(err, REBUY_ELIMIT, "%s: too many customers", u->path);
	size_t n = t->n_rows;
	if (!(rd->dates = rebuy__calloc(n, sizeof *rd->dates)) ||
	    !(w->m = rebuy__calloc(n, sizeof *w->m)) ||
	    !(w->row = rebuy__calloc(n, sizeof *w->row)))
		return nomem(err);
	if ((st = read_dates(rd, err)))
		return st;
	for (size_t i = 0; i < n; i++)
		if ((st = read_row(rd, w, i, decimal, err)))
			return st;
	uint64_t k[2] = {0, 0};
	u->first_send_day = u->last_send_day = w->m[0].send_day;
	for (size_t i = 0; i < w->n; i++) {
		k[w->m[i].group]++;
		if (w->m[i].send_day < u->first_send_day)
			u->first_send_day = w->m[i].send_day;
		if (w->m[i].send_day > u->last_send_day)
			u->last_send_day = w->m[i].send_day;
	}
	u->customers = w->n;
	if (k[0] == 0 || k[1] == 0)
		return rebuy_error_set(err, REBUY_EDATA,
		                       "%s: the campaign has no %s customer (%llu %s): uplift "
		                       "compares the two groups",
		                       u->path, k[0] ? "treatment" : "control",
		                       (unsigned long long)(k[0] + k[1]),
		                       k[0] ? "in control" : "treated");
	return REBUY_OK;
}

/* ---- what each customer did ------------------------------------------------ */

/* The first purchase of customer c at or after ts (binary search). */
static uint64_t first_at_or_after(const struct rebuy_orders *o, uint32_t c, int64_t ts)
{
	uint64_t lo = o->cust_start[c], hi = o->cust_start[c + 1];
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (o->ts[mid] < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Orders and revenue of customer c on days [from, to). */
static int count_days(const struct rebuy_orders *o, uint32_t c, int64_t from, int64_t to,
                      uint32_t *n, int64_t *value)
{
	int64_t a = from * REBUY_SECONDS_PER_DAY, b = to * REBUY_SECONDS_PER_DAY;
	uint64_t k = first_at_or_after(o, c, a), end = o->cust_start[c + 1];
	int overflow = 0;
	*n = 0;
	*value = 0;
	for (; k < end && o->ts[k] < b; k++) {
		if (*n < UINT32_MAX)
			(*n)++;
		overflow |= __builtin_add_overflow(*value, o->value[k], value);
	}
	return overflow;
}

static enum rebuy_status join_orders(struct rebuy_uplift *u, struct work *w,
                                     const struct rebuy_orders *o, struct rebuy_error *err)
{
	for (size_t c = 0; c < o->n_customers; c++) {
		size_t len;
		const char *key = rebuy_orders_customer_key(o, c, &len);
		uint32_t id;
		if (rebuy__strtab_find(&w->keys, key, len, rebuy__strtab_hash(key, len), &id))
			w->m[id].cust = (uint32_t)c;
	}
	const int64_t W = u->window_days;
	int overflow = 0;
	for (size_t i = 0; i < w->n; i++) {
		struct member *m = &w->m[i];
		m->is_incomplete = m->send_day + W > u->as_of_day;
		u->incomplete += m->is_incomplete;
		u->prior_incomplete += o->n_orders > 0 && m->send_day - W < o->first_day;
		if (m->cust == NONE) {
			u->not_in_orders++;
			continue;
		}
		overflow |= count_days(o, m->cust, m->send_day, m->send_day + W, &m->orders[0],
		                       &m->revenue[0]);
		overflow |= count_days(o, m->cust, m->send_day - W, m->send_day, &m->orders[1],
		                       &m->revenue[1]);
	}
	if (overflow)
		return rebuy_error_set(err, REBUY_ELIMIT,
		                       "a customer's revenue in a window is beyond +-922 trillion");
	return REBUY_OK;
}

/* ---- segments -------------------------------------------------------------- */

/* One segmentation: its name and its values, in output order. */
struct seg_by {
	const char *by;
	size_t n_values;
	const char **values;
};

struct seg_sort {
	const char *text;
	uint32_t id;
};

static int cmp_seg_sort(const void *pa, const void *pb)
{
	const struct seg_sort *a = pa, *b = pb;
	return strcmp(a->text, b->text);
}

/* Values of a campaign file column, trimmed, in byte order. */
static enum rebuy_status segment_by_column(struct rebuy_uplift *u, struct work *w,
                                           const struct rebuy_table *t, const char *ref, size_t k,
                                           struct seg_by *sb, struct rebuy_error *err)
{
	static const char *const no_names[] = {NULL};
	struct rebuy_table_role role = {
	        .role = "segment", .flag = "segment-by", .ref = ref, .names = no_names};
	int col = -1;
	enum rebuy_status st;
	if ((st = rebuy_table_find_column(t, &role, &col, err)))
		return st;
	const char *name = rebuy_table_column_name(t, (size_t)col);
	sb->by = rebuy__arena_strndup(&u->priv->names, name, strlen(name));
	struct rebuy__strtab values;
	rebuy__strtab_init(&values);
	struct seg_sort *order = NULL;
	uint32_t *rank = NULL;
	st = REBUY_OK;
	if (!sb->by)
		goto nomem;
	for (size_t i = 0; i < w->n; i++) {
		const char *v = rebuy_table_cell(t, w->row[i], (size_t)col);
		size_t len = strlen(v);
		v = rebuy__trim_blanks(v, &len);
		if (len == 0) {
			v = "(empty)";
			len = 7;
		}
		uint32_t id;
		st = rebuy__strtab_intern(&values, v, len, rebuy__strtab_hash(v, len), &id, NULL);
		if (st == REBUY_ENOMEM)
			goto nomem;
		if (st || values.n > REBUY_UPLIFT_MAX_SEGMENTS) {
			st = rebuy_error_set(err, st ? st : REBUY_EDATA,
			                     "%s: column '%s' has more than %d values: too many "
			                     "segments to compare",
			                     u->path, name, REBUY_UPLIFT_MAX_SEGMENTS);
			goto out;
		}
		w->m[i].seg[k] = id;
	}
	sb->n_values = values.n;
	if (!(order = rebuy__calloc(values.n, sizeof *order)) ||
	    !(rank = rebuy__calloc(values.n, sizeof *rank)) ||
	    !(sb->values = rebuy__arena_alloc(&u->priv->names, values.n * sizeof *sb->values)))
		goto nomem;
	for (uint32_t v = 0; v < values.n; v++)
		order[v] = (struct seg_sort){rebuy__strtab_key(&values, v, NULL), v};
	qsort(order, values.n, sizeof *order, cmp_seg_sort);
	for (uint32_t r = 0; r < values.n; r++) {
		rank[order[r].id] = r;
		if (!(sb->values[r] = rebuy__arena_strndup(&u->priv->names, order[r].text,
		                                           strlen(order[r].text))))
			goto nomem;
	}
	for (size_t i = 0; i < w->n; i++)
		w->m[i].seg[k] = rank[w->m[i].seg[k]];
	goto out;
nomem:
	st = nomem(err);
out:
	rebuy__strtab_release(&values);
	rebuy__free(order);
	rebuy__free(rank);
	return st;
}

/* The RFM segment of each customer as of the earliest send day, scored
 * over every customer of the orders. */
static enum rebuy_status segment_by_rfm(struct rebuy_uplift *u, struct work *w,
                                        const struct rebuy_orders *o,
                                        const struct rebuy_uplift_options *opts, size_t k,
                                        struct seg_by *sb, struct rebuy_error *err)
{
	struct rebuy_rfm_options ro;
	rebuy_rfm_options_init(&ro);
	ro.n_threads = opts->n_threads;
	const int64_t day = u->first_send_day;
	/* rfm.h scores as of a day after the data; an earlier day is the
	 * "before" side of its transitions. */
	int is_before = o->n_orders > 0 && day <= o->last_day;
	if (is_before) {
		ro.has_transitions = 1;
		ro.transitions_day = day;
	} else {
		ro.has_as_of = 1;
		ro.as_of_day = day;
	}
	struct rebuy_rfm *rfm = NULL;
	enum rebuy_status st = rebuy_rfm_compute(o, &ro, &rfm, err);
	if (st)
		return st;
	u->has_rfm = 1;
	u->rfm_day = day;
	size_t ns = rfm->n_segments;
	sb->by = REBUY_UPLIFT_RFM;
	sb->n_values = ns + 1;
	if (!(sb->values = rebuy__arena_alloc(&u->priv->names, (ns + 1) * sizeof *sb->values))) {
		rebuy_rfm_free(rfm);
		return nomem(err);
	}
	for (size_t g = 0; g <= ns; g++) {
		const char *name = g < ns ? rfm->segments[g].name : REBUY_UPLIFT_NO_PRIOR;
		if (!(sb->values[g] = rebuy__arena_strndup(&u->priv->names, name, strlen(name)))) {
			rebuy_rfm_free(rfm);
			return nomem(err);
		}
	}
	for (size_t i = 0; i < w->n; i++) {
		struct member *m = &w->m[i];
		unsigned g = REBUY_RFM_NONE;
		if (m->cust != NONE)
			g = is_before ? rfm->customers[m->cust].segment_before
			              : rfm->customers[m->cust].segment;
		m->seg[k] = g < ns ? g : (uint32_t)ns; /* "new" and none: no prior purchase */
	}
	rebuy_rfm_free(rfm);
	return REBUY_OK;
}

/* ---- the measures ------------------------------------------------------------ */

static double ratio(double a, double b)
{
	return b != 0 ? a / b : NAN;
}

/* Mean and sample standard deviation of x over the members idx[0..n) of
 * one group (two passes, in member order: the same bits every time). */
static void mean_sd(const struct member *m, const uint32_t *idx, size_t n, int which,
                    int is_revenue, double *mean, double *sd)
{
	if (n == 0) {
		*mean = *sd = NAN;
		return;
	}
	__int128 sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += is_revenue ? m[idx[i]].revenue[which] : m[idx[i]].orders[which];
	double scale = is_revenue ? REBUY_MONEY_SCALE : 1;
	double mu = (double)sum / scale / (double)n, ss = 0;
	for (size_t i = 0; i < n; i++) {
		double x = (is_revenue ? (double)m[idx[i]].revenue[which]
		                       : (double)m[idx[i]].orders[which]) /
		                   scale -
		           mu;
		ss += x * x;
	}
	*mean = mu;
	*sd = n > 1 ? sqrt(ss / (double)(n - 1)) : NAN;
}

/* Wilson's score interval of x out of n (Wilson 1927), kept inside [0, 1]
 * against rounding: its ends are exactly 0 at x = 0 and 1 at x = n. */
static void wilson(double x, double n, double z, double *lo, double *hi)
{
	double z2 = z * z, d = n + z2;
	double centre = (x + z2 / 2) / d;
	double half = z * sqrt(x * (n - x) / n + z2 / 4) / d;
	*lo = x == 0 ? 0 : centre - half;
	*hi = x == n ? 1 : centre + half;
	if (*lo < 0)
		*lo = 0;
	if (*hi > 1)
		*hi = 1;
}

static void set_nan(struct rebuy_uplift_effect *e)
{
	e->treatment = e->control = e->difference = e->low = e->high = NAN;
	e->relative = e->relative_low = e->relative_high = NAN;
	e->statistic = e->df = e->p_value = NAN;
	e->incremental = e->incremental_low = e->incremental_high = NAN;
	e->is_significant = 0;
}

/* The pooled z p-value of x1/n1 against x0/n0. */
static double pooled_z(double x1, double n1, double x0, double n0, double *z)
{
	double p = (x1 + x0) / (n1 + n0);
	double se = sqrt(p * (1 - p) * (1 / n1 + 1 / n0));
	if (!(se > 0)) {
		*z = NAN;
		return 1;
	}
	*z = (x1 / n1 - x0 / n0) / se;
	return erfc(fabs(*z) * M_SQRT1_2);
}

static void proportion_effect(struct rebuy_uplift_effect *e, uint64_t ux1, uint64_t un1,
                              uint64_t ux0, uint64_t un0, double z)
{
	set_nan(e);
	double x1 = (double)ux1, n1 = (double)un1, x0 = (double)ux0, n0 = (double)un0;
	double p1 = ratio(x1, n1), p0 = ratio(x0, n0);
	e->treatment = p1;
	e->control = p0;
	if (un1 == 0 || un0 == 0)
		return;
	e->difference = p1 - p0;
	e->p_value = pooled_z(x1, n1, x0, n0, &e->statistic);
	double l1, u1, l0, u0;
	wilson(x1, n1, z, &l1, &u1);
	wilson(x0, n0, z, &l0, &u0);
	e->low = e->difference - sqrt((p1 - l1) * (p1 - l1) + (u0 - p0) * (u0 - p0));
	e->high = e->difference + sqrt((u1 - p1) * (u1 - p1) + (p0 - l0) * (p0 - l0));
	if (x0 > 0) {
		e->relative = p1 / p0 - 1;
		if (x1 > 0) {
			double se = sqrt(1 / x1 - 1 / n1 + 1 / x0 - 1 / n0);
			double lr = log(p1 / p0);
			e->relative_low = expm1(lr - z * se);
			e->relative_high = expm1(lr + z * se);
		}
	}
}

/* Welch's t for the difference of two means. */
static void welch_effect(struct rebuy_uplift_effect *e, double m1, double s1, uint64_t un1,
                         double m0, double s0, uint64_t un0, double alpha, double z)
{
	set_nan(e);
	double n1 = (double)un1, n0 = (double)un0;
	e->treatment = m1; /* NaN for an empty group */
	e->control = m0;
	if (un1 == 0 || un0 == 0)
		return;
	e->difference = m1 - m0;
	if (un1 < 2 || un0 < 2)
		return;
	double v1 = s1 * s1 / n1, v0 = s0 * s0 / n0, se = sqrt(v1 + v0);
	if (!(se > 0)) {
		if (e->difference == 0) {
			e->p_value = 1;
			e->low = e->high = 0;
		}
		return;
	}
	e->df = (v1 + v0) * (v1 + v0) / (v1 * v1 / (n1 - 1) + v0 * v0 / (n0 - 1));
	e->statistic = e->difference / se;
	e->p_value = rebuy__t_two_sided_p(e->statistic, e->df);
	double t = rebuy__t_crit(alpha, e->df);
	e->low = e->difference - t * se;
	e->high = e->difference + t * se;
	if (m0 != 0) {
		e->relative = m1 / m0 - 1;
		if (m1 > 0 && m0 > 0) {
			double sl = sqrt(v1 / (m1 * m1) + v0 / (m0 * m0)), lr = log(m1 / m0);
			e->relative_low = expm1(lr - z * sl);
			e->relative_high = expm1(lr + z * sl);
		}
	}
}

/* The group measures of the members idx[0..n) of one group. */
static enum rebuy_status group_measures(struct rebuy_uplift_group *g, const struct member *m,
                                        const uint32_t *idx, size_t n, int has_amount)
{
	memset(g, 0, sizeof *g);
	g->customers = n;
	int overflow = 0;
	for (size_t i = 0; i < n; i++) {
		const struct member *x = &m[idx[i]];
		g->not_in_orders += x->cust == NONE;
		g->incomplete += x->is_incomplete;
		g->converted += x->orders[0] > 0;
		g->orders += x->orders[0];
		g->prior_converted += x->orders[1] > 0;
		g->prior_orders += x->orders[1];
		overflow |= __builtin_add_overflow(g->revenue, x->revenue[0], &g->revenue);
		overflow |=
		        __builtin_add_overflow(g->prior_revenue, x->revenue[1], &g->prior_revenue);
	}
	double sd_unused;
	g->conversion_rate = ratio((double)g->converted, (double)n);
	g->prior_conversion_rate = ratio((double)g->prior_converted, (double)n);
	mean_sd(m, idx, n, 0, 0, &g->orders_per_customer, &g->orders_sd);
	mean_sd(m, idx, n, 1, 0, &g->prior_orders_per_customer, &sd_unused);
	if (has_amount) {
		mean_sd(m, idx, n, 0, 1, &g->revenue_per_customer, &g->revenue_sd);
		mean_sd(m, idx, n, 1, 1, &g->prior_revenue_per_customer, &sd_unused);
	} else {
		g->revenue_per_customer = g->revenue_sd = g->prior_revenue_per_customer = NAN;
	}
	return overflow ? REBUY_ELIMIT : REBUY_OK;
}

static void incremental(struct rebuy_uplift_effect *e, uint64_t treated)
{
	double n = (double)treated;
	e->incremental = e->difference * n;
	e->incremental_low = e->low * n;
	e->incremental_high = e->high * n;
}

static double smd(double m1, double v1, double m0, double v0)
{
	double s = sqrt((v1 + v0) / 2);
	if (!(s > 0))
		return m1 == m0 ? 0 : NAN;
	return (m1 - m0) / s;
}

/* Balance over the W days before the send day. */
static void balance(struct rebuy_uplift_result *r, const struct member *m, const uint32_t *idx[2],
                    const size_t n[2], int has_amount, double alpha, double z)
{
	static const char *const names[REBUY_UPLIFT_BALANCE_COUNT] = {
	        "prior_conversion_rate", "prior_orders_per_customer", "prior_revenue_per_customer"};
	const struct rebuy_uplift_group *t = &r->groups[1], *c = &r->groups[0];
	for (int k = 0; k < REBUY_UPLIFT_BALANCE_COUNT; k++) {
		struct rebuy_uplift_balance *b = &r->balance[k];
		b->measure = names[k];
		b->treatment = b->control = b->difference = b->smd = b->p_value = NAN;
		b->is_imbalanced = 0;
	}
	if (n[0] == 0 || n[1] == 0)
		return;
	struct rebuy_uplift_balance *b = &r->balance[0];
	double p1 = t->prior_conversion_rate, p0 = c->prior_conversion_rate, stat;
	b->treatment = p1;
	b->control = p0;
	b->difference = p1 - p0;
	b->smd = smd(p1, p1 * (1 - p1), p0, p0 * (1 - p0));
	b->p_value = pooled_z((double)t->prior_converted, (double)n[1], (double)c->prior_converted,
	                      (double)n[0], &stat);
	for (int k = 1; k < REBUY_UPLIFT_BALANCE_COUNT; k++) {
		int is_revenue = k == 2;
		b = &r->balance[k];
		if (is_revenue && !has_amount)
			continue;
		double m1, s1, m0, s0;
		mean_sd(m, idx[1], n[1], 1, is_revenue, &m1, &s1);
		mean_sd(m, idx[0], n[0], 1, is_revenue, &m0, &s0);
		b->treatment = m1;
		b->control = m0;
		b->difference = m1 - m0;
		b->smd = n[0] > 1 && n[1] > 1 ? smd(m1, s1 * s1, m0, s0 * s0) : NAN;
		struct rebuy_uplift_effect e;
		welch_effect(&e, m1, s1, n[1], m0, s0, n[0], alpha, z);
		b->p_value = e.p_value;
	}
	for (int k = 0; k < REBUY_UPLIFT_BALANCE_COUNT; k++)
		r->balance[k].is_imbalanced = fabs(r->balance[k].smd) > REBUY_UPLIFT_SMD_FLAG;
}

/* Everything but the bootstrap, over the members of one set split by group. */
static enum rebuy_status measure_set(struct rebuy_uplift_result *r, const struct member *m,
                                     const uint32_t *idx[2], const size_t n[2], int has_amount,
                                     double alpha)
{
	double z = rebuy__norm_quantile(1 - alpha / 2);
	for (int g = 0; g < 2; g++)
		if (group_measures(&r->groups[g], m, idx[g], n[g], has_amount))
			return REBUY_ELIMIT;
	const struct rebuy_uplift_group *t = &r->groups[1], *c = &r->groups[0];
	struct rebuy_uplift_effect *e = r->effects;
	proportion_effect(&e[REBUY_UPLIFT_CONVERSION], t->converted, n[1], c->converted, n[0], z);
	welch_effect(&e[REBUY_UPLIFT_ORDERS], t->orders_per_customer, t->orders_sd, n[1],
	             c->orders_per_customer, c->orders_sd, n[0], alpha, z);
	set_nan(&e[REBUY_UPLIFT_REVENUE]);
	set_nan(&e[REBUY_UPLIFT_REVENUE_WELCH]);
	if (has_amount) {
		welch_effect(&e[REBUY_UPLIFT_REVENUE_WELCH], t->revenue_per_customer, t->revenue_sd,
		             n[1], c->revenue_per_customer, c->revenue_sd, n[0], alpha, z);
		e[REBUY_UPLIFT_REVENUE].treatment = t->revenue_per_customer;
		e[REBUY_UPLIFT_REVENUE].control = c->revenue_per_customer;
		e[REBUY_UPLIFT_REVENUE].difference =
		        t->revenue_per_customer - c->revenue_per_customer;
		if (n[1] > 0 && c->revenue_per_customer != 0)
			e[REBUY_UPLIFT_REVENUE].relative =
			        t->revenue_per_customer / c->revenue_per_customer - 1;
	}
	static const char *const measure[REBUY_UPLIFT_MEASURE_COUNT] = {
	        "conversion_rate", "orders_per_customer", "revenue_per_customer",
	        "revenue_per_customer"};
	static const char *const method[REBUY_UPLIFT_MEASURE_COUNT] = {"newcombe_pooled_z", "welch",
	                                                               "bootstrap", "welch"};
	for (int k = 0; k < REBUY_UPLIFT_MEASURE_COUNT; k++) {
		e[k].measure = measure[k];
		e[k].method = method[k];
		if (k != REBUY_UPLIFT_REVENUE) {
			e[k].is_significant = e[k].p_value < alpha;
			incremental(&e[k], t->customers);
		}
	}
	balance(r, m, idx, n, has_amount, alpha, z);
	return REBUY_OK;
}

/* ---- the bootstrap ------------------------------------------------------------ */

/* One result set's bootstrap: per group, its customers' revenue, the
 * nonzero values first (nz of n, in member order) and then one 0 that
 * stands for the n - nz customers who bought nothing: a pick i >= nz reads
 * v[nz]. Most campaign customers buy nothing in the window, so the picks
 * read a small array that stays in cache. And the replicates' differences
 * and ratios. */
struct boot_set {
	const int64_t *v[2];
	uint32_t n[2], nz[2];
	double *diff, *rel;
};

struct boot_job {
	struct boot_set *sets;
	size_t n_sets, chunks_per_set;
	uint32_t b;
	uint64_t seed;
};

/* Uniform in [0, n) without bias (Lemire 2019, "Fast random integer
 * generation in an interval") from 32 random bits x; a rejection (rare)
 * takes more bits from r. */
static inline uint32_t bounded(uint32_t x, struct rebuy__rng *r, uint32_t n)
{
	uint64_t m = (uint64_t)x * n;
	uint32_t l = (uint32_t)m;
	if (l < n) {
		uint32_t t = (uint32_t)(-n) % n;
		while (l < t) {
			m = (rebuy__rng_next(r) >> 32) * (uint64_t)n;
			l = (uint32_t)m;
		}
	}
	return (uint32_t)(m >> 32);
}

/* The mean of n picks with replacement, two picks per 64 random bits. */
static double resample_mean(struct rebuy__rng *r, const int64_t *v, uint32_t nz, uint32_t n)
{
	if (nz == 0)
		return 0;
	__int128 sum = 0;
	uint32_t i = 0;
	for (; i + 1 < n; i += 2) {
		uint64_t x = rebuy__rng_next(r);
		uint32_t a = bounded((uint32_t)x, r, n), b = bounded((uint32_t)(x >> 32), r, n);
		sum += v[a < nz ? a : nz];
		sum += v[b < nz ? b : nz];
	}
	if (i < n) {
		uint32_t a = bounded((uint32_t)(rebuy__rng_next(r) >> 32), r, n);
		sum += v[a < nz ? a : nz];
	}
	return (double)sum / REBUY_MONEY_SCALE / (double)n;
}

static enum rebuy_status boot_item(void *ud, size_t item, unsigned thread)
{
	(void)thread;
	const struct boot_job *j = ud;
	size_t k = item / j->chunks_per_set, c = item % j->chunks_per_set;
	struct boot_set *s = &j->sets[k];
	uint32_t b0 = (uint32_t)(c * BOOT_CHUNK), b1 = b0 + BOOT_CHUNK;
	if (b1 > j->b)
		b1 = j->b;
	for (uint32_t b = b0; b < b1; b++) {
		struct rebuy__rng r;
		rebuy__rng_seed_stream(&r, j->seed, (uint64_t)k << 32 | b);
		double m1 = resample_mean(&r, s->v[1], s->nz[1], s->n[1]);
		double m0 = resample_mean(&r, s->v[0], s->nz[0], s->n[0]);
		s->diff[b] = m1 - m0;
		/* a resample whose control bought nothing: an unbounded ratio
		 * (or none when neither bought) */
		s->rel[b] = m0 != 0 ? m1 / m0 - 1 : m1 > 0 ? INFINITY : NAN;
	}
	return REBUY_OK;
}

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return (a > b) - (a < b);
}

/* R's type 7 quantile of sorted x[0..n), which may end in +inf. */
static double quantile7(const double *x, size_t n, double p)
{
	double h = (double)(n - 1) * p, f;
	size_t lo = (size_t)floor(h);
	if (lo + 1 >= n || (f = h - (double)lo) == 0)
		return x[lo < n ? lo : n - 1];
	if (isinf(x[lo + 1]))
		return x[lo + 1];
	return x[lo] + f * (x[lo + 1] - x[lo]);
}

/* The interval and p-value of one set from its sorted replicates. */
static void boot_finish(struct rebuy_uplift_effect *e, struct boot_set *s, uint32_t b, double alpha,
                        uint64_t treated)
{
	uint64_t le = 0, ge = 0;
	int rel_ok = 1;
	for (uint32_t i = 0; i < b; i++) {
		le += s->diff[i] <= 0;
		ge += s->diff[i] >= 0;
		rel_ok &= !isnan(s->rel[i]);
	}
	qsort(s->diff, b, sizeof *s->diff, cmp_double);
	e->low = quantile7(s->diff, b, alpha / 2);
	e->high = quantile7(s->diff, b, 1 - alpha / 2);
	double p = 2.0 * (double)(1 + (le < ge ? le : ge)) / ((double)b + 1);
	e->p_value = p < 1 ? p : 1;
	e->is_significant = e->p_value < alpha;
	if (rel_ok) {
		qsort(s->rel, b, sizeof *s->rel, cmp_double);
		e->relative_low = quantile7(s->rel, b, alpha / 2);
		e->relative_high = quantile7(s->rel, b, 1 - alpha / 2);
	}
	incremental(e, treated);
}

/* ---- putting it together ---------------------------------------------------- */

/* A result set: the whole campaign or a segment, with its members by group. */
struct set {
	struct rebuy_uplift_result *r;
	uint32_t *idx[2];
	size_t n[2];
};

struct run {
	struct work *w;
	struct rebuy_uplift *u;
	struct seg_by by[REBUY_UPLIFT_MAX_SEGMENT_BY];
	size_t n_by;
	struct set *sets;
	size_t n_sets;
	uint32_t *idx; /* every set's members, back to back */
	int64_t *rev;  /* every set's revenue for the bootstrap */
	double *reps;  /* 2 B per set */
	struct boot_set *boot;
};

static void run_release(struct run *x)
{
	rebuy__free(x->sets);
	rebuy__free(x->idx);
	rebuy__free(x->rev);
	rebuy__free(x->reps);
	rebuy__free(x->boot);
}

/* The sets and their members: set 0 holds everyone; then, per
 * segmentation, one set per value that has customers. */
static enum rebuy_status make_sets(struct run *x, struct rebuy_error *err)
{
	const struct work *w = x->w;
	struct rebuy_uplift *u = x->u;
	size_t max_sets = 1;
	for (size_t k = 0; k < x->n_by; k++)
		max_sets += x->by[k].n_values;
	size_t total = w->n * (1 + x->n_by);
	if (!(x->sets = rebuy__calloc(max_sets, sizeof *x->sets)) ||
	    !(x->idx = rebuy__calloc(total, sizeof *x->idx)) ||
	    !(u->segments = rebuy__calloc(max_sets, sizeof *u->segments)))
		return nomem(err);
	/* A counting sort per segmentation: members by (value, group), in
	 * file order within each; set 0 is the one value of "everyone". */
	uint32_t *next = x->idx;
	x->n_sets = 0;
	for (size_t k = 0; k <= x->n_by; k++) {
		size_t nv = k == 0 ? 1 : x->by[k - 1].n_values;
		struct set *first = &x->sets[x->n_sets];
		memset(first, 0, nv * sizeof *first); /* compaction left copies here */
		for (size_t i = 0; i < w->n; i++) {
			const struct member *mb = &w->m[i];
			first[k == 0 ? 0 : mb->seg[k - 1]].n[mb->group]++;
		}
		for (size_t v = 0; v < nv; v++)
			for (int g = 1; g >= 0; g--) {
				first[v].idx[g] = next;
				next += first[v].n[g];
				first[v].n[g] = 0;
			}
		for (size_t i = 0; i < w->n; i++) {
			const struct member *mb = &w->m[i];
			struct set *s = &first[k == 0 ? 0 : mb->seg[k - 1]];
			s->idx[mb->group][s->n[mb->group]++] = (uint32_t)i;
		}
		/* Keep the values with customers, in order. */
		for (size_t v = 0; v < nv; v++) {
			struct set s = first[v];
			if (s.n[0] + s.n[1] == 0)
				continue;
			if (k == 0) {
				s.r = &u->all;
			} else {
				struct rebuy_uplift_segment *seg = &u->segments[u->n_segments++];
				seg->by = x->by[k - 1].by;
				seg->name = x->by[k - 1].values[v];
				s.r = &seg->result;
			}
			x->sets[x->n_sets++] = s;
		}
	}
	return REBUY_OK;
}

static enum rebuy_status bootstrap(struct run *x, const struct rebuy_uplift_options *opts,
                                   double alpha, struct rebuy_error *err)
{
	const uint32_t B = x->u->n_bootstrap;
	const struct member *m = x->w->m;
	size_t total = 0;
	for (size_t k = 0; k < x->n_sets; k++)
		total += x->sets[k].n[0] + x->sets[k].n[1] + 2;
	size_t n_reps;
	if (rebuy__mul_overflows(x->n_sets, (size_t)B * 2, &n_reps) ||
	    !(x->rev = rebuy__calloc(total ? total : 1, sizeof *x->rev)) ||
	    !(x->reps = rebuy__calloc(n_reps, sizeof *x->reps)) ||
	    !(x->boot = rebuy__calloc(x->n_sets, sizeof *x->boot)))
		return nomem(err);
	int64_t *v = x->rev;
	for (size_t k = 0; k < x->n_sets; k++) {
		const struct set *s = &x->sets[k];
		struct boot_set *bs = &x->boot[k];
		for (int g = 1; g >= 0; g--) {
			bs->v[g] = v;
			bs->n[g] = (uint32_t)s->n[g];
			for (size_t i = 0; i < s->n[g]; i++) {
				int64_t r = m[s->idx[g][i]].revenue[0];
				if (r != 0)
					v[bs->nz[g]++] = r;
			}
			v[bs->nz[g]] = 0; /* the customers who bought nothing */
			v += bs->nz[g] + 1;
		}
		bs->diff = x->reps + k * 2 * (size_t)B;
		bs->rel = bs->diff + B;
	}
	struct boot_job j = {.sets = x->boot,
	                     .n_sets = x->n_sets,
	                     .chunks_per_set = (B + BOOT_CHUNK - 1) / BOOT_CHUNK,
	                     .b = B,
	                     .seed = opts->seed};
	unsigned threads = opts->n_threads ? opts->n_threads : rebuy__cpu_count();
	enum rebuy_status st =
	        rebuy__parallel_for(threads, x->n_sets * j.chunks_per_set, boot_item, &j);
	if (st)
		return st == REBUY_ENOMEM ? nomem(err)
		                          : rebuy_error_set(err, st, "bootstrap failed");
	for (size_t k = 0; k < x->n_sets; k++) {
		struct rebuy_uplift_result *r = x->sets[k].r;
		if (x->sets[k].n[0] == 0 || x->sets[k].n[1] == 0)
			continue;
		boot_finish(&r->effects[REBUY_UPLIFT_REVENUE], &x->boot[k], B, alpha,
		            r->groups[1].customers);
	}
	return REBUY_OK;
}

static enum rebuy_status check_options(const struct rebuy_uplift_options *o,
                                       struct rebuy_error *err)
{
	if (o->window_days < 1 || o->window_days > REBUY_UPLIFT_MAX_WINDOW_DAYS)
		return rebuy_error_set(err, REBUY_EARG, "--window %lld is not from 1 to %d days",
		                       (long long)o->window_days, REBUY_UPLIFT_MAX_WINDOW_DAYS);
	if (!(o->level >= 0.5 && o->level <= 0.9999))
		return rebuy_error_set(err, REBUY_EARG, "--level %g is not from 0.5 to 0.9999",
		                       o->level);
	if (o->n_bootstrap != 0 &&
	    (o->n_bootstrap < 100 || o->n_bootstrap > REBUY_UPLIFT_MAX_BOOTSTRAP))
		return rebuy_error_set(err, REBUY_EARG,
		                       "--bootstrap %u is not 0 (none) or from 100 to %d",
		                       o->n_bootstrap, REBUY_UPLIFT_MAX_BOOTSTRAP);
	if (o->n_segment_by > REBUY_UPLIFT_MAX_SEGMENT_BY)
		return rebuy_error_set(err, REBUY_EARG, "--segment-by: at most %d segmentations",
		                       REBUY_UPLIFT_MAX_SEGMENT_BY);
	for (size_t k = 0; k < o->n_segment_by; k++)
		if (!o->segment_by[k] || !o->segment_by[k][0])
			return rebuy_error_set(err, REBUY_EARG, "--segment-by: an empty name");
	return REBUY_OK;
}

static enum rebuy_status compute(struct reading *rd, struct work *w, struct run *x,
                                 const struct rebuy_orders *o, struct rebuy_error *err)
{
	const struct rebuy_uplift_options *opts = rd->opts;
	struct rebuy_uplift *u = rd->u;
	enum rebuy_status st;
	char decimal = o->report.decimal_comma ? ',' : '.';
	if ((st = read_campaign(rd, w, decimal, err)))
		return st;
	if (opts->has_as_of)
		u->as_of_day = opts->as_of_day;
	else if (o->n_orders > 0)
		u->as_of_day = o->last_day + 1;
	else
		return rebuy_error_set(err, REBUY_EDATA,
		                       "%s: the orders hold no purchase, so the end of the data is "
		                       "not known: give the as-of date",
		                       o->report.path);
	if ((st = join_orders(u, w, o, err)))
		return st;
	for (size_t k = 0; k < opts->n_segment_by; k++) {
		const char *name = opts->segment_by[k];
		st = strcmp(name, REBUY_UPLIFT_RFM) == 0
		             ? segment_by_rfm(u, w, o, opts, k, &x->by[k], err)
		             : segment_by_column(u, w, rd->t, name, k, &x->by[k], err);
		if (st)
			return st;
		x->n_by++;
	}
	if ((st = make_sets(x, err)))
		return st;
	const double alpha = 1 - opts->level;
	for (size_t k = 0; k < x->n_sets; k++) {
		const struct set *s = &x->sets[k];
		const uint32_t *idx[2] = {s->idx[0], s->idx[1]};
		if (measure_set(s->r, w->m, idx, s->n, u->has_amount, alpha))
			return rebuy_error_set(err, REBUY_ELIMIT,
			                       "a group's revenue is beyond +-922 trillion");
	}
	if (u->has_amount && u->n_bootstrap > 0 && (st = bootstrap(x, opts, alpha, err)))
		return st;
	return REBUY_OK;
}

enum rebuy_status rebuy_uplift_compute(const struct rebuy_table *t,
                                       const struct rebuy_orders *orders,
                                       const struct rebuy_uplift_options *opts,
                                       struct rebuy_uplift **out, struct rebuy_error *err)
{
	*out = NULL;
	enum rebuy_status st;
	if ((st = check_options(opts, err)))
		return st;
	struct rebuy_uplift *u = rebuy__calloc(1, sizeof *u);
	struct work w;
	memset(&w, 0, sizeof w);
	rebuy__strtab_init(&w.keys);
	struct run x;
	memset(&x, 0, sizeof x);
	struct reading rd = {.t = t, .opts = opts, .u = u};
	if (!u || !(u->priv = rebuy__calloc(1, sizeof *u->priv))) {
		st = nomem(err);
		goto out;
	}
	rebuy__arena_init(&u->priv->names, 4096);
	snprintf(u->path, sizeof u->path, "%s", t->path);
	u->delimiter = t->delimiter;
	u->has_header = t->has_header;
	u->rows = t->n_rows;
	u->window_days = opts->window_days;
	u->level = opts->level;
	u->seed = opts->seed;
	u->has_amount = orders->has_amount;
	u->n_bootstrap = orders->has_amount ? opts->n_bootstrap : 0;
	for (int k = 0; k < REBUY_UPLIFT_ROLE_COUNT; k++)
		u->column[k] = -1;
	x.w = &w;
	x.u = u;
	st = compute(&rd, &w, &x, orders, err);
out:
	rebuy__free(rd.dates);
	rebuy__strtab_release(&w.keys);
	rebuy__free(w.m);
	rebuy__free(w.row);
	run_release(&x);
	if (st) {
		rebuy_uplift_free(u);
		return st;
	}
	*out = u;
	return REBUY_OK;
}
