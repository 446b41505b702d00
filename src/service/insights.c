/* Analytics of the service: a customer's insights (RFM segment, P(alive),
 * expected purchases and CLV from a BG/NBD + Gamma-Gamma fit, audiences,
 * recommendations) and the HTML report, computed by the library's own
 * analyses from the orders the ledger holds (rebuy_loyalty_orders, written
 * as CSV in memory and read by rebuy_orders_load). Products come from the
 * --orders export when one is given (the ledger keeps order values only).
 * Results are cached and recomputed when the ledger has changed (its
 * transaction count), at most once a second; one lock serializes them.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/mem.h"
#include "rebuy/audiences.h"
#include "rebuy/basket.h"
#include "rebuy/chart.h"
#include "rebuy/clv.h"
#include "rebuy/date.h"
#include "rebuy/money.h"
#include "rebuy/orders.h"
#include "rebuy/recommend.h"
#include "rebuy/report.h"
#include "rebuy/rfm.h"
#include "service/service_int.h"

#define REFRESH_S 1.0
#define N_RECS 5

struct svc_insights {
	pthread_mutex_t lock;
	/* the orders and what was computed from them */
	int64_t version; /* the ledger's transactions then; -1: never */
	double computed_at;
	char error[REBUY_ERROR_MSG_MAX]; /* why there are no orders to analyse */
	int64_t as_of_day;
	struct rebuy_orders *orders;
	uint32_t *by_key; /* customer ids in key order */
	struct rebuy_rfm *rfm;
	char rfm_error[REBUY_ERROR_MSG_MAX];
	int has_fit;
	struct rebuy_clv_fit fit;
	char fit_error[REBUY_ERROR_MSG_MAX];
	double *p_alive, *expected, *clv; /* per customer id; NaN: none */
	struct rebuy_audiences *aud;
	char aud_error[REBUY_ERROR_MSG_MAX];
	uint32_t *aud_head, *aud_next; /* members by customer */
	/* the report */
	int64_t report_version;
	double report_at;
	struct rebuy_sbuf report;
	char report_error[REBUY_ERROR_MSG_MAX];
	/* products (--orders), read once */
	int products_tried;
	char products_error[REBUY_ERROR_MSG_MAX];
	struct rebuy_baskets *baskets;
	struct rebuy_recommender *rec;
	uint32_t *bk_by_key;
};

static void drop_analysis(struct svc_insights *in)
{
	rebuy_audiences_free(in->aud);
	rebuy_rfm_free(in->rfm);
	rebuy_orders_free(in->orders);
	rebuy__free(in->by_key);
	rebuy__free(in->p_alive);
	rebuy__free(in->expected);
	rebuy__free(in->clv);
	rebuy__free(in->aud_head);
	rebuy__free(in->aud_next);
	in->aud = NULL;
	in->rfm = NULL;
	in->orders = NULL;
	in->by_key = in->aud_head = in->aud_next = NULL;
	in->p_alive = in->expected = in->clv = NULL;
	in->has_fit = 0;
	in->error[0] = in->rfm_error[0] = in->fit_error[0] = in->aud_error[0] = 0;
}

void rebuy__svc_insights_free(struct svc_insights *in)
{
	if (!in)
		return;
	drop_analysis(in);
	rebuy_sbuf_free(&in->report);
	rebuy_recommender_free(in->rec);
	rebuy_baskets_free(in->baskets);
	rebuy__free(in->bk_by_key);
	pthread_mutex_destroy(&in->lock);
	rebuy__free(in);
}

/* ---- the ledger's orders as CSV ---- */

static void csv_field(struct rebuy_sbuf *b, const char *s)
{
	rebuy_sbuf_put(b, "\"", 1);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			rebuy_sbuf_put(b, "\"", 1);
		rebuy_sbuf_put(b, p, 1);
	}
	rebuy_sbuf_put(b, "\"", 1);
}

static int add_order(void *ctx, const char *customer, const char *order_id, int64_t time,
                     int64_t amount)
{
	struct rebuy_sbuf *b = ctx;
	char ts[40], money[32];
	rebuy_format_ts(time, ts, sizeof ts);
	rebuy_money_format(amount, money, sizeof money);
	csv_field(b, customer);
	rebuy_sbuf_put(b, ",", 1);
	csv_field(b, order_id);
	rebuy_sbuf_printf(b, ",%s,%s\n", ts, money);
	return rebuy_sbuf_failed(b);
}

static enum rebuy_status load_orders(struct rebuy_service *s, struct rebuy_orders **out,
                                     struct rebuy_error *err)
{
	struct rebuy_sbuf csv;
	rebuy_sbuf_init(&csv);
	rebuy_sbuf_puts(&csv, "customer,order,date,amount\n");
	enum rebuy_status st = rebuy_loyalty_orders(s->ledger, add_order, &csv, err);
	if (st == REBUY_OK && rebuy_sbuf_failed(&csv))
		st = rebuy_error_set(err, REBUY_ENOMEM, "insights: out of memory");
	if (st == REBUY_OK) {
		struct rebuy_input_options in;
		rebuy_input_options_init(&in);
		in.path = "ledger";
		in.data = csv.p;
		in.data_len = csv.len;
		in.delimiter = ',';
		in.header = 1;
		in.decimal_comma = 0;
		in.n_threads = 1;
		st = rebuy_orders_load(out, &in, NULL, err);
	}
	rebuy_sbuf_free(&csv);
	return st;
}

/* ---- key lookups ---- */

struct key_sort {
	const struct rebuy_orders *o;
};

static int find_customer(const struct rebuy_orders *o, const uint32_t *by_key, const char *key,
                         uint32_t *id)
{
	size_t lo = 0, hi = o->n_customers, n = strlen(key);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2, len;
		const char *k = rebuy_orders_customer_key(o, by_key[mid], &len);
		int c = rebuy_key_compare(k, len, key, n);
		if (c == 0) {
			*id = by_key[mid];
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static const struct rebuy_baskets *sort_baskets;
static int cmp_basket_key(const void *a, const void *b)
{
	const char *x = sort_baskets->customer_keys[*(const uint32_t *)a];
	const char *y = sort_baskets->customer_keys[*(const uint32_t *)b];
	return strcmp(x, y);
}

/* ---- computation ---- */

static void compute_clv(struct svc_insights *in)
{
	struct rebuy_error err = {0};
	struct rebuy_clv_data *d = NULL;
	struct rebuy_clv_prediction *pred = NULL;
	size_t n = in->orders->n_customers;
	in->p_alive = rebuy__malloc((n ? n : 1) * sizeof(double));
	in->expected = rebuy__malloc((n ? n : 1) * sizeof(double));
	in->clv = rebuy__malloc((n ? n : 1) * sizeof(double));
	if (!in->p_alive || !in->expected || !in->clv) {
		snprintf(in->fit_error, sizeof in->fit_error, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++)
		in->p_alive[i] = in->expected[i] = in->clv[i] = NAN;
	if (rebuy_clv_data_from_orders(in->orders, in->as_of_day - 1, REBUY_UNIT_WEEK, &d, &err) !=
	    REBUY_OK)
		goto out;
	struct rebuy_clv_fit_options fo;
	rebuy_clv_fit_options_init(&fo);
	fo.model = REBUY_CLV_BGNBD;
	fo.spend = d->monetary != NULL;
	fo.n_threads = 1;
	if (rebuy_clv_fit(d, &fo, &in->fit, &err) != REBUY_OK) {
		/* without repeat buyers there is no spend model: try without */
		rebuy_error_clear(&err);
		fo.spend = 0;
		if (rebuy_clv_fit(d, &fo, &in->fit, &err) != REBUY_OK)
			goto out;
	}
	in->has_fit = 1;
	pred = rebuy__calloc(d->n ? d->n : 1, sizeof *pred);
	if (!pred) {
		rebuy_error_set(&err, REBUY_ENOMEM, "out of memory");
		goto out;
	}
	struct rebuy_clv_predict_options po;
	rebuy_clv_predict_options_init(&po);
	po.n_threads = 1;
	if (rebuy_clv_predict(&in->fit, d, &po, pred, &err) != REBUY_OK)
		goto out;
	for (size_t i = 0; i < d->n; i++) {
		uint32_t id;
		if (!d->keys || !find_customer(in->orders, in->by_key, d->keys[i], &id))
			continue;
		in->p_alive[id] = pred[i].p_alive;
		in->expected[id] = pred[i].expected_purchases;
		in->clv[id] = pred[i].clv;
	}
out:
	if (err.code != REBUY_OK)
		snprintf(in->fit_error, sizeof in->fit_error, "%s", err.msg);
	rebuy__free(pred);
	rebuy_clv_data_free(d);
}

static void load_products(struct rebuy_service *s, struct svc_insights *in)
{
	in->products_tried = 1;
	if (!s->opt.orders_path) {
		snprintf(in->products_error, sizeof in->products_error,
		         "no products: the ledger keeps order values only; start the service with "
		         "--orders FILE (an export with a product column)");
		return;
	}
	struct rebuy_error err = {0};
	struct rebuy_input_options io;
	rebuy_input_options_init(&io);
	io.path = s->opt.orders_path;
	io.n_threads = 1;
	struct rebuy_recommend_options ro;
	rebuy_recommend_options_init(&ro);
	ro.k = N_RECS;
	ro.n_threads = 1;
	if (rebuy_baskets_read_orders(&io, REBUY_BASKET_ORDER, &in->baskets, &err) != REBUY_OK ||
	    rebuy_recommender_fit(in->baskets, &ro, &in->rec, &err) != REBUY_OK) {
		snprintf(in->products_error, sizeof in->products_error, "%s", err.msg);
		return;
	}
	size_t n = in->baskets->n_customers;
	in->bk_by_key = rebuy__malloc((n ? n : 1) * sizeof *in->bk_by_key);
	if (!in->bk_by_key) {
		snprintf(in->products_error, sizeof in->products_error, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++)
		in->bk_by_key[i] = (uint32_t)i;
	sort_baskets = in->baskets; /* under in->lock */
	qsort(in->bk_by_key, n, sizeof *in->bk_by_key, cmp_basket_key);
}

static void compute(struct rebuy_service *s, struct svc_insights *in, int64_t version, int64_t now)
{
	drop_analysis(in);
	in->version = version;
	in->computed_at = rebuy__svc_clock();
	struct rebuy_error err = {0};
	if (load_orders(s, &in->orders, &err) != REBUY_OK) {
		snprintf(in->error, sizeof in->error, "%s", err.msg);
		return;
	}
	size_t n = in->orders->n_customers;
	in->by_key = rebuy__malloc((n ? n : 1) * sizeof *in->by_key);
	if (!in->by_key || rebuy_orders_customers_by_key(in->orders, in->by_key) != REBUY_OK) {
		snprintf(in->error, sizeof in->error, "out of memory");
		return;
	}
	int64_t today = rebuy_day_of(now);
	in->as_of_day = today + 1 > in->orders->last_day + 1 ? today + 1 : in->orders->last_day + 1;

	struct rebuy_rfm_options ro;
	rebuy_rfm_options_init(&ro);
	ro.has_as_of = 1;
	ro.as_of_day = in->as_of_day;
	ro.n_threads = 1;
	if (rebuy_rfm_compute(in->orders, &ro, &in->rfm, &err) != REBUY_OK) {
		snprintf(in->rfm_error, sizeof in->rfm_error, "%s", err.msg);
		rebuy_error_clear(&err);
	}
	compute_clv(in);

	if (!in->products_tried)
		load_products(s, in);
	struct rebuy_audience_options ao;
	rebuy_audience_options_init(&ao);
	ao.has_as_of = 1;
	ao.as_of_day = in->as_of_day;
	ao.n_threads = 1;
	if (rebuy_audiences_compute(in->orders, in->baskets, &ao, &in->aud, &err) != REBUY_OK) {
		snprintf(in->aud_error, sizeof in->aud_error, "%s", err.msg);
		return;
	}
	in->aud_head = rebuy__malloc((n ? n : 1) * sizeof *in->aud_head);
	in->aud_next =
	        rebuy__malloc((in->aud->n_members ? in->aud->n_members : 1) * sizeof *in->aud_next);
	if (!in->aud_head || !in->aud_next) {
		snprintf(in->aud_error, sizeof in->aud_error, "out of memory");
		rebuy_audiences_free(in->aud);
		in->aud = NULL;
		return;
	}
	for (size_t i = 0; i < n; i++)
		in->aud_head[i] = UINT32_MAX;
	for (size_t m = in->aud->n_members; m-- > 0;) {
		uint32_t c = in->aud->members[m].customer;
		in->aud_next[m] = in->aud_head[c];
		in->aud_head[c] = (uint32_t)m;
	}
}

static struct svc_insights *get(struct rebuy_service *s, struct svc_response *rs)
{
	/* The first caller makes the cache; the service is built before any
	 * request, so a race here is between requests only. */
	static pthread_mutex_t make = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&make);
	if (!s->insights) {
		struct svc_insights *in = rebuy__calloc(1, sizeof *in);
		if (in) {
			pthread_mutex_init(&in->lock, NULL);
			in->version = -1;
			in->report_version = -1;
			rebuy_sbuf_init(&in->report);
		}
		s->insights = in;
	}
	pthread_mutex_unlock(&make);
	if (!s->insights)
		rebuy__svc_error(rs, 503, "unavailable", "out of memory");
	return s->insights;
}

/* The ledger's version now, or -1 (rs filled) when the store fails. */
static int64_t ledger_version(struct rebuy_service *s, struct svc_response *rs)
{
	struct rebuy_loyalty_stats st;
	struct rebuy_error err = {0};
	if (rebuy_loyalty_stats(s->ledger, &st, &err) != REBUY_OK) {
		rebuy__svc_error(rs, 503, "unavailable", "%s", err.msg);
		return -1;
	}
	return st.transactions;
}

static int stale(int64_t have, int64_t now_version, double at)
{
	return have != now_version && (have < 0 || rebuy__svc_clock() - at >= REFRESH_S);
}

static json_t *number_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *day_text(int64_t day)
{
	char buf[16];
	rebuy_format_day(day, buf, sizeof buf);
	return json_string(buf);
}

static json_t *recommendations(struct svc_insights *in, const char *customer)
{
	json_t *arr = json_array();
	if (!in->rec || !arr)
		return arr;
	size_t lo = 0, hi = in->baskets->n_customers;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(in->baskets->customer_keys[in->bk_by_key[mid]], customer);
		if (c == 0) {
			struct rebuy_recommendation rows[N_RECS];
			size_t n = 0;
			struct rebuy_error err = {0};
			if (rebuy_recommend_customer(in->rec, in->bk_by_key[mid], rows, &n, &err) !=
			    REBUY_OK)
				return arr;
			for (size_t i = 0; i < n; i++) {
				const char *reason =
				        rows[i].reason < 0
				                ? "popular"
				                : in->baskets->item_names[rows[i].reason];
				json_array_append_new(
				        arr,
				        json_pack("{s:s,s:f,s:s}", "product",
				                  in->baskets->item_names[rows[i].item], "score",
				                  rows[i].score, "because_of", reason));
			}
			return arr;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return arr;
}

static json_t *insights_doc(struct svc_insights *in, const char *customer, uint32_t id)
{
	const struct rebuy_orders *o = in->orders;
	json_t *doc = json_object();
	int64_t revenue = 0;
	for (uint64_t i = o->cust_start[id]; i < o->cust_start[id + 1]; i++)
		revenue += o->value[i];
	char money[32];
	rebuy_money_format(revenue, money, sizeof money);
	json_object_set_new(doc, "customer", json_string(customer));
	json_object_set_new(doc, "as_of", day_text(in->as_of_day));
	json_object_set_new(doc, "ledger_transactions", json_integer(in->version));
	json_object_set_new(doc, "orders",
	                    json_integer((json_int_t)(o->cust_start[id + 1] - o->cust_start[id])));
	json_object_set_new(doc, "revenue", json_string(money));
	if (o->cust_start[id + 1] > o->cust_start[id]) {
		json_object_set_new(doc, "first_purchase",
		                    day_text(rebuy_day_of(o->ts[o->cust_start[id]])));
		json_object_set_new(doc, "last_purchase",
		                    day_text(rebuy_day_of(o->ts[o->cust_start[id + 1] - 1])));
	}
	if (in->rfm && id < in->rfm->n_ids && in->rfm->customers[id].segment != REBUY_RFM_NONE) {
		const struct rebuy_rfm_customer *c = &in->rfm->customers[id];
		json_object_set_new(
		        doc, "segment",
		        json_string(rebuy_rfm_map_segment_name(in->rfm->map, c->segment)));
		json_object_set_new(doc, "rfm",
		                    json_pack("{s:i,s:i,s:i,s:i,s:i}", "r", c->r, "f", c->f, "m",
		                              c->m, "recency_days", c->recency_days, "frequency",
		                              c->frequency));
	} else {
		json_object_set_new(doc, "segment", json_null());
		json_object_set_new(doc, "rfm_error", json_string(in->rfm_error));
	}
	json_object_set_new(doc, "p_alive", number_or_null(in->p_alive ? in->p_alive[id] : NAN));
	json_object_set_new(doc, "expected_purchases_1y",
	                    number_or_null(in->expected ? in->expected[id] : NAN));
	json_object_set_new(doc, "clv_1y", number_or_null(in->clv ? in->clv[id] : NAN));
	json_t *model = json_object();
	json_object_set_new(model, "name", json_string("bgnbd"));
	json_object_set_new(model, "time_unit", json_string("week"));
	if (in->has_fit) {
		json_object_set_new(model, "converged", json_boolean(in->fit.est.converged));
		json_object_set_new(model, "customers", json_real(in->fit.est.n_customers));
		json_object_set_new(model, "spend", json_boolean(in->fit.has_spend));
	} else {
		json_object_set_new(model, "error", json_string(in->fit_error));
	}
	json_object_set_new(doc, "model", model);
	json_object_set_new(doc, "recommendations", recommendations(in, customer));
	if (in->products_error[0])
		json_object_set_new(doc, "recommendations_note", json_string(in->products_error));
	json_t *auds = json_array();
	if (in->aud) {
		for (uint32_t m = in->aud_head[id]; m != UINT32_MAX; m = in->aud_next[m]) {
			const struct rebuy_audience_member *am = &in->aud->members[m];
			const struct rebuy_audience_info *ai = &in->aud->audiences[am->audience];
			json_array_append_new(
			        auds, json_pack("{s:s,s:s,s:s,s:o}", "audience", ai->name, "action",
			                        ai->action, "reason", am->reason ? am->reason : "",
			                        "score", number_or_null(am->score)));
		}
	} else {
		json_object_set_new(doc, "audiences_error", json_string(in->aud_error));
	}
	json_object_set_new(doc, "audiences", auds);
	return doc;
}

void rebuy__svc_insights_reply(struct rebuy_service *s, const char *customer, int64_t now,
                               struct svc_response *rs)
{
	struct svc_insights *in = get(s, rs);
	if (!in)
		return;
	int64_t version = ledger_version(s, rs);
	if (version < 0)
		return;
	pthread_mutex_lock(&in->lock);
	if (stale(in->version, version, in->computed_at))
		compute(s, in, version, now);
	uint32_t id;
	if (!in->orders) {
		rebuy__svc_error(rs, 503, "unavailable", "the ledger's orders cannot be read: %s",
		                 in->error);
	} else if (!find_customer(in->orders, in->by_key, customer, &id)) {
		rebuy__svc_error(rs, 404, "unknown_customer",
		                 "no orders of this customer in the ledger");
	} else {
		json_t *doc = insights_doc(in, customer, id);
		char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
		json_decref(doc);
		if (!text) {
			rebuy__svc_error(rs, 503, "unavailable", "out of memory");
		} else {
			size_t n = strlen(text);
			char *body = rebuy__malloc(n + 1);
			if (body) {
				memcpy(body, text, n + 1);
				rebuy__free(rs->body);
				rs->status = 200;
				rs->content_type = "application/json";
				rs->body = body;
				rs->len = n;
			} else {
				rebuy__svc_error(rs, 503, "unavailable", "out of memory");
			}
			free(text);
		}
	}
	pthread_mutex_unlock(&in->lock);
}

void rebuy__svc_report_reply(struct rebuy_service *s, int64_t now, struct svc_response *rs)
{
	struct svc_insights *in = get(s, rs);
	if (!in)
		return;
	int64_t version = ledger_version(s, rs);
	if (version < 0)
		return;
	pthread_mutex_lock(&in->lock);
	if (stale(in->report_version, version, in->report_at)) {
		in->report_version = version;
		in->report_at = rebuy__svc_clock();
		in->report_error[0] = 0;
		rebuy_sbuf_free(&in->report);
		rebuy_sbuf_init(&in->report);
		struct rebuy_error err = {0};
		struct rebuy_orders *o = NULL;
		if (load_orders(s, &o, &err) == REBUY_OK) {
			struct rebuy_report_options ro;
			rebuy_report_options_init(&ro);
			ro.title = "Loyalty ledger: repeat sales";
			ro.n_threads = 1;
			ro.has_as_of = 1;
			ro.as_of_day = rebuy_day_of(now) + 1 > o->last_day + 1
			                       ? rebuy_day_of(now) + 1
			                       : o->last_day + 1;
			if (rebuy_report_build(o, &ro, &in->report, &err) == REBUY_OK &&
			    rebuy_sbuf_failed(&in->report))
				rebuy_error_set(&err, REBUY_ENOMEM, "report: out of memory");
		}
		if (err.code != REBUY_OK)
			snprintf(in->report_error, sizeof in->report_error, "%s", err.msg);
		rebuy_orders_free(o);
	}
	if (in->report_error[0]) {
		rebuy__svc_error(rs, 422, "no_report", "%s", in->report_error);
	} else {
		char *body = rebuy__malloc(in->report.len + 1);
		if (!body) {
			rebuy__svc_error(rs, 503, "unavailable", "out of memory");
		} else {
			memcpy(body, in->report.p, in->report.len);
			body[in->report.len] = 0;
			rebuy__free(rs->body);
			rs->status = 200;
			rs->content_type = "text/html; charset=utf-8";
			rs->body = body;
			rs->len = in->report.len;
		}
	}
	pthread_mutex_unlock(&in->lock);
}
