/* Journeys for attribution (include/rebuy/attrib.h): the flat store shared by
 * both inputs, and the reading of pre-aggregated paths ("a > b > c",
 * total_conversions, total_conversion_value, total_null, the layout of
 * ChannelAttribution's examples). Every row must be right: the first wrong
 * one, in file order, is the error, as "file:line:col: what".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrib/attrib_int.h"
#include "core/mem.h"
#include "ingest/side.h"

const char *rebuy_attrib_model_name(enum rebuy_attrib_model m)
{
	static const char *const names[REBUY_ATTRIB_MODEL_COUNT] = {
	        "first_touch", "last_touch", "linear", "position", "time_decay", "markov"};
	return (unsigned)m < REBUY_ATTRIB_MODEL_COUNT ? names[m] : "?";
}

static enum rebuy_status nomem(struct rebuy_error *err)
{
	return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
}

enum rebuy_status rebuy__attrib_journeys_new(struct rebuy_attrib_journeys **out, const char *path,
                                             struct rebuy_error *err)
{
	struct rebuy_attrib_journeys *j = rebuy__calloc(1, sizeof *j);
	if (!j || !(j->priv = rebuy__calloc(1, sizeof *j->priv))) {
		rebuy__free(j);
		return nomem(err);
	}
	rebuy__strtab_init(&j->priv->names);
	snprintf(j->path, sizeof j->path, "%s", path ? path : "(stdin)");
	*out = j;
	return REBUY_OK;
}

void rebuy_attrib_journeys_free(struct rebuy_attrib_journeys *j)
{
	if (!j)
		return;
	if (j->priv) {
		rebuy__strtab_release(&j->priv->names);
		rebuy__free(j->priv->touch);
		rebuy__free(j->priv->age);
		rebuy__free(j->priv->jr);
		rebuy__free(j->priv->cost);
		rebuy__free(j->priv->sorted);
		rebuy__free(j->priv);
	}
	rebuy__free(j);
}

const char *rebuy_attrib_channel_name(const struct rebuy_attrib_journeys *j, size_t k)
{
	if (!j || k >= j->n_channels || !j->priv->sorted)
		return "";
	return j->priv->sorted[k];
}

enum rebuy_status rebuy__attrib_channel(struct rebuy_attrib_journeys *j, const char *s, size_t n,
                                        uint32_t *id)
{
	int is_new = 0;
	enum rebuy_status st =
	        rebuy__strtab_intern(&j->priv->names, s, n, rebuy__strtab_hash(s, n), id, &is_new);
	if (st)
		return st;
	if (is_new && j->priv->names.n > REBUY_ATTRIB_MAX_CHANNELS)
		return REBUY_ELIMIT;
	j->n_channels = j->priv->names.n;
	return REBUY_OK;
}

enum rebuy_status rebuy__attrib_touch(struct rebuy_attrib_journeys *j, uint32_t ch, double age)
{
	struct rebuy__attrib_priv *p = j->priv;
	size_t n = (size_t)j->n_touches;
	if (n == p->touch_cap) {
		size_t cap = p->touch_cap;
		enum rebuy_status st = rebuy__grow((void **)&p->touch, &cap, n + 1,
		                                   sizeof *p->touch, REBUY_ATTRIB_MAX_TOUCHES);
		if (st)
			return st;
		if (j->from_touchpoints) {
			double *a = rebuy__realloc(p->age, cap * sizeof *a);
			if (!a)
				return REBUY_ENOMEM;
			p->age = a;
		}
		p->touch_cap = cap;
	}
	p->touch[n] = ch;
	if (j->from_touchpoints)
		p->age[n] = age;
	j->n_touches++;
	return REBUY_OK;
}

enum rebuy_status rebuy__attrib_journey_end(struct rebuy_attrib_journeys *j, double c, double v,
                                            double n)
{
	struct rebuy__attrib_priv *p = j->priv;
	uint64_t start =
	        j->n_journeys ? p->jr[j->n_journeys - 1].start + p->jr[j->n_journeys - 1].len : 0;
	if (j->n_touches == start)
		return REBUY_OK; /* no touch, no journey */
	enum rebuy_status st = rebuy__grow((void **)&p->jr, &p->jr_cap, j->n_journeys + 1,
	                                   sizeof *p->jr, SIZE_MAX / sizeof *p->jr);
	if (st)
		return st;
	struct rebuy__attrib_journey *r = &p->jr[j->n_journeys++];
	r->start = start;
	r->len = (uint32_t)(j->n_touches - start);
	r->conversions = c;
	r->value = v;
	r->nulls = n;
	j->conversions += c;
	j->value += v;
	j->nulls += n;
	return REBUY_OK;
}

struct name_id {
	const char *name;
	uint32_t id;
};

static int cmp_name(const void *pa, const void *pb)
{
	const struct name_id *a = pa, *b = pb;
	return strcmp(a->name, b->name);
}

enum rebuy_status rebuy__attrib_sort_channels(struct rebuy_attrib_journeys *j)
{
	struct rebuy__attrib_priv *p = j->priv;
	size_t k = j->n_channels;
	struct name_id *ni = rebuy__calloc(k ? k : 1, sizeof *ni);
	uint32_t *map = rebuy__calloc(k ? k : 1, sizeof *map);
	double *cost = p->cost ? rebuy__calloc(k ? k : 1, sizeof *cost) : NULL;
	p->sorted = rebuy__calloc(k ? k : 1, sizeof *p->sorted);
	if (!ni || !map || !p->sorted || (p->cost && !cost)) {
		rebuy__free(ni);
		rebuy__free(map);
		rebuy__free(cost);
		return REBUY_ENOMEM;
	}
	for (size_t i = 0; i < k; i++) {
		ni[i].name = rebuy__strtab_key(&p->names, (uint32_t)i, NULL);
		ni[i].id = (uint32_t)i;
	}
	/* Names are distinct, so the order is total: qsort's instability
	 * cannot show. */
	qsort(ni, k, sizeof *ni, cmp_name);
	for (size_t i = 0; i < k; i++) {
		map[ni[i].id] = (uint32_t)i;
		p->sorted[i] = ni[i].name;
	}
	for (uint64_t t = 0; t < j->n_touches; t++)
		p->touch[t] = map[p->touch[t]];
	if (cost) {
		for (size_t i = 0; i < k; i++)
			cost[map[i]] = p->cost[i];
		rebuy__free(p->cost);
		p->cost = cost;
	}
	rebuy__free(ni);
	rebuy__free(map);
	return REBUY_OK;
}

/* ---- reading paths -------------------------------------------------------- */

void rebuy_attrib_paths_options_init(struct rebuy_attrib_paths_options *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->separator = '>';
}

enum { P_PATH, P_CONV, P_VALUE, P_NULL, P_COUNT };

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A count or value: a number from 0 to REBUY_ATTRIB_MAX_AMOUNT, blanks
 * around allowed (the bound keeps every sum finite). */
static int read_amount(const char *s, double *out)
{
	while (is_blank(*s))
		s++;
	if (*s == '\0')
		return 0;
	char *end;
	double d = strtod(s, &end);
	while (is_blank(*end))
		end++;
	if (*end != '\0' || !(d >= 0 && d <= REBUY_ATTRIB_MAX_AMOUNT))
		return 0;
	*out = d + 0.0; /* -0 reads as 0 */
	return 1;
}

static enum rebuy_status find_path_columns(const struct rebuy_table *t,
                                           const struct rebuy_attrib_paths_options *o,
                                           int col[P_COUNT], struct rebuy_error *err)
{
	static const char *const path_names[] = {"path", "paths", "journey", NULL};
	static const char *const conv_names[] = {"totalconversions", "conversions", "conversion",
	                                         "conv", NULL};
	static const char *const value_names[] = {"totalconversionvalue", "conversionvalue",
	                                          "value", "revenue", NULL};
	static const char *const null_names[] = {"totalnull", "null", "nulls", "nonconversions",
	                                         NULL};
	const struct rebuy_table_role roles[P_COUNT] = {
	        {"path", "path-column", o->path_column, path_names, 1},
	        {"conversions", "conversions-column", o->conversions_column, conv_names, 1},
	        {"conversion value", "value-column", o->value_column, value_names, 0},
	        {"null", "null-column", o->null_column, null_names, 0},
	};
	return rebuy_table_find_columns(t, roles, P_COUNT, col, err);
}

static enum rebuy_status read_path(struct rebuy_attrib_journeys *j, const struct rebuy_table *t,
                                   size_t row, int col, char sep, struct rebuy_error *err)
{
	const char *s = rebuy_table_cell(t, row, (size_t)col);
	unsigned long long line = (unsigned long long)rebuy_table_row_line(t, row);
	char text[64];
	for (const char *p = s;;) {
		const char *e = strchr(p, sep);
		const char *end = e ? e : p + strlen(p);
		const char *a = p, *b = end;
		while (a < b && is_blank(*a))
			a++;
		while (b > a && is_blank(b[-1]))
			b--;
		if (a == b) {
			rebuy__cut_text(text, sizeof text, s);
			return rebuy_error_set(err, REBUY_EDATA,
			                       *s ? "%s:%llu:%d: an empty channel in path '%s'"
			                          : "%s:%llu:%d: an empty path%s",
			                       t->path, line, col + 1, *s ? text : "");
		}
		uint32_t id;
		enum rebuy_status st = rebuy__attrib_channel(j, a, (size_t)(b - a), &id);
		if (st == REBUY_OK)
			st = rebuy__attrib_touch(j, id, 0);
		if (st == REBUY_ENOMEM)
			return nomem(err);
		if (st)
			return rebuy_error_set(err, REBUY_ELIMIT,
			                       "%s:%llu:%d: more than %d channels, or too many "
			                       "touches",
			                       t->path, line, col + 1, REBUY_ATTRIB_MAX_CHANNELS);
		if (!e)
			break;
		p = e + 1;
	}
	return REBUY_OK;
}

enum rebuy_status rebuy_attrib_paths_read(const struct rebuy_table *t,
                                          const struct rebuy_attrib_paths_options *opts,
                                          struct rebuy_attrib_journeys **out,
                                          struct rebuy_error *err)
{
	*out = NULL;
	struct rebuy_attrib_paths_options defaults;
	if (!opts) {
		rebuy_attrib_paths_options_init(&defaults);
		opts = &defaults;
	}
	char sep = opts->separator ? opts->separator : '>';
	int col[P_COUNT];
	enum rebuy_status st = find_path_columns(t, opts, col, err);
	if (st)
		return st;
	struct rebuy_attrib_journeys *j = NULL;
	if ((st = rebuy__attrib_journeys_new(&j, t->path, err)))
		return st;
	j->has_value = col[P_VALUE] >= 0;
	static const char *const what[P_COUNT] = {"path", "conversions", "conversion value",
	                                          "null count"};
	for (size_t i = 0; i < t->n_rows; i++) {
		unsigned long long line = (unsigned long long)rebuy_table_row_line(t, i);
		size_t fields = rebuy_table_row_fields(t, i);
		double x[P_COUNT] = {0, 0, 0, 0};
		for (int k = 0; k < P_COUNT; k++) {
			if (col[k] < 0)
				continue;
			if ((size_t)col[k] >= fields) {
				st = rebuy_error_set(
				        err, REBUY_EDATA,
				        "%s:%llu: the row has %zu fields; the %s column "
				        "is field %d",
				        t->path, line, fields, what[k], col[k] + 1);
				goto fail;
			}
			if (k == P_PATH)
				continue;
			const char *s = rebuy_table_cell(t, i, (size_t)col[k]);
			if (!read_amount(s, &x[k])) {
				char text[48];
				rebuy__cut_text(text, sizeof text, s);
				st = rebuy_error_set(
				        err, REBUY_EDATA,
				        "%s:%llu:%d: %s '%s' is not a number from 0 to 1e15",
				        t->path, line, col[k] + 1, what[k], text);
				goto fail;
			}
		}
		if (x[P_VALUE] > 0 && x[P_CONV] == 0) {
			st = rebuy_error_set(err, REBUY_EDATA,
			                     "%s:%llu:%d: a conversion value without conversions",
			                     t->path, line, col[P_VALUE] + 1);
			goto fail;
		}
		if ((st = read_path(j, t, i, col[P_PATH], sep, err)))
			goto fail;
		if ((st = rebuy__attrib_journey_end(j, x[P_CONV], x[P_VALUE], x[P_NULL]))) {
			st = nomem(err);
			goto fail;
		}
	}
	if ((st = rebuy__attrib_sort_channels(j))) {
		st = nomem(err);
		goto fail;
	}
	*out = j;
	return REBUY_OK;
fail:
	rebuy_attrib_journeys_free(j);
	return st;
}
