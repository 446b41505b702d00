/* rebuy recommend: the next products to offer each customer, or with
 * --calibration-end how well they would have done against popularity. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rebuy/basket.h"
#include "rebuy/recommend.h"

enum {
	OPT_K = 1,
	OPT_REPEATABLE,
	OPT_CAL_END,
	OPT_NEIGHBOURS,
	OPT_HALF_LIFE,
	OPT_ITEM_NAMES,
	OPT_ALPHA,
	OPT_SMOOTHING,
};

static const struct cli_opt own_opts[] = {
        {"k", "N", OPT_K, "products per customer (default 10)"},
        {"repeatable", NULL, OPT_REPEATABLE,
         "products the customer bought may be offered again (replenishment)"},
        {"calibration-end", "DATE", OPT_CAL_END,
         "evaluate instead: learn from purchases up to DATE, test on the later ones: "
         "precision@k, recall@k, hit rate and MAP against the popularity baseline"},
        {"neighbours", "M", OPT_NEIGHBOURS, "co-purchased products kept per product (default 50)"},
        {"half-life", "DAYS", OPT_HALF_LIFE,
         "weigh a customer's purchases by recency with this half-life (default: all equal)"},
        {"alpha", "X", OPT_ALPHA,
         "in [0, 1]: how much to discount popular products in the similarity (default 0)"},
        {"smoothing", "S", OPT_SMOOTHING,
         "pull of thin evidence toward popularity, >= 0 (default 5)"},
        {"item-names", "COL", OPT_ITEM_NAMES, "a column with the products' names, shown beside keys"},
        CLI_OPT_END,
};

static const struct cli_command_help help = {
        "rebuy recommend [OPTIONS] INPUT",
        "The top-k next products for every customer, from what customers bought together\n"
        "(item-to-item co-purchase, Deshpande & Karypis 2004), with a popularity fallback:\n"
        "customer, rank, product, score, reason (the product bought that led to it, or popular).\n"
        "With --calibration-end DATE: learn from purchases up to DATE and print precision@k,\n"
        "recall@k, hit rate and MAP on the later purchases beside the popularity baseline.\n"
        "INPUT is an order export with a product column. Details: docs/recommend.md.",
        own_opts,
        1,
};

struct ctx {
	struct rebuy_recommend_options r;
	int has_cal_end;
	int64_t cal_end;
	const char *item_names;
};

static int own(void *ud, int id, const char *v)
{
	struct ctx *x = ud;
	char *end;
	double d;
	int r;
	unsigned long long u;
	switch (id) {
	case OPT_K:
	case OPT_NEIGHBOURS:
		errno = 0;
		u = strtoull(v, &end, 10);
		if (errno || end == v || *end || v[0] == '-' || u < 1 ||
		    u > (id == OPT_K ? REBUY_RECOMMEND_MAX_K : REBUY_RECOMMEND_MAX_NEIGHBOURS)) {
			cli_error("--%s needs a whole number from 1 to %d (got '%s')",
			          id == OPT_K ? "k" : "neighbours",
			          id == OPT_K ? REBUY_RECOMMEND_MAX_K : REBUY_RECOMMEND_MAX_NEIGHBOURS, v);
			return EXIT_USAGE;
		}
		if (id == OPT_K)
			x->r.k = (size_t)u;
		else
			x->r.n_neighbours = (size_t)u;
		return 0;
	case OPT_REPEATABLE: x->r.is_repeatable = 1; return 0;
	case OPT_CAL_END: x->has_cal_end = 1; return cli_day("calibration-end", v, &x->cal_end);
	case OPT_HALF_LIFE:
		if ((r = cli_clv_number("half-life", v, &d)))
			return r;
		if (!(d >= 0)) {
			cli_error("--half-life must be >= 0 days (got '%s')", v);
			return EXIT_USAGE;
		}
		x->r.half_life_days = d;
		return 0;
	case OPT_ALPHA:
		if ((r = cli_clv_number("alpha", v, &d)))
			return r;
		if (!(d >= 0 && d <= 1)) {
			cli_error("--alpha must be in [0, 1] (got '%s')", v);
			return EXIT_USAGE;
		}
		x->r.alpha = d;
		return 0;
	case OPT_SMOOTHING:
		if ((r = cli_clv_number("smoothing", v, &d)))
			return r;
		if (!(d >= 0)) {
			cli_error("--smoothing must be >= 0 (got '%s')", v);
			return EXIT_USAGE;
		}
		x->r.smoothing = d;
		return 0;
	case OPT_ITEM_NAMES: x->item_names = v; return 0;
	}
	return 0;
}

struct out_ctx {
	const struct rebuy_baskets *b;
	struct rebuy_rows *w;
};

static int write_customer(void *ud, uint32_t customer, const struct rebuy_recommendation *rows,
                          size_t n)
{
	struct out_ctx *o = ud;
	const struct rebuy_baskets *b = o->b;
	char reason[600];
	for (size_t i = 0; i < n; i++) {
		const struct rebuy_recommendation *r = &rows[i];
		rebuy_rows_str(o->w, b->customer_keys[customer]);
		rebuy_rows_int(o->w, r->rank);
		rebuy_rows_str(o->w, b->item_names[r->item]);
		if (b->item_labels)
			rebuy_rows_str(o->w, b->item_labels[r->item] ? b->item_labels[r->item] : "");
		rebuy_rows_num(o->w, r->score);
		if (r->reason == REBUY_RECOMMEND_POPULAR)
			snprintf(reason, sizeof reason, "popular");
		else if ((uint32_t)r->reason == r->item)
			snprintf(reason, sizeof reason, "bought before");
		else
			snprintf(reason, sizeof reason, "bought with %.500s",
			         b->item_labels && b->item_labels[r->reason] && *b->item_labels[r->reason]
			                 ? b->item_labels[r->reason]
			                 : b->item_names[r->reason]);
		rebuy_rows_str(o->w, reason);
		rebuy_rows_end_row(o->w);
	}
	return 0;
}

static void metrics_doc(struct rebuy_doc *doc, struct rebuy_node *parent, const char *key,
                        const struct rebuy_recommend_metrics *m)
{
	struct rebuy_node *o = rebuy_doc_obj(doc, parent, key);
	rebuy_doc_num(doc, o, "precision", m->precision, REBUY_SHOW_RATE);
	rebuy_doc_num(doc, o, "recall", m->recall, REBUY_SHOW_RATE);
	rebuy_doc_num(doc, o, "hit_rate", m->hit_rate, REBUY_SHOW_RATE);
	rebuy_doc_num(doc, o, "map", m->map, REBUY_SHOW_DECIMAL);
}

static int evaluate(struct cli_common *c, struct ctx *x, const struct rebuy_baskets *b)
{
	struct rebuy_recommend_eval ev;
	struct rebuy_error err = {0};
	if (rebuy_recommend_evaluate(b, x->cal_end, &x->r, &ev, &err) != REBUY_OK)
		return cli_fail(&err);
	struct rebuy_doc *doc = rebuy_doc_new();
	struct rebuy_node *root = rebuy_doc_root(doc);
	char day[16];
	rebuy_format_day(x->cal_end, day, sizeof day);
	rebuy_doc_str(doc, root, "calibration_end", day);
	rebuy_doc_uint(doc, root, "k", ev.k);
	rebuy_doc_uint(doc, root, "customers_evaluated", ev.n_customers);
	rebuy_doc_uint(doc, root, "training_customers", ev.n_train_customers);
	rebuy_doc_uint(doc, root, "training_products", ev.n_train_items);
	rebuy_doc_uint(doc, root, "test_products", ev.n_test_items);
	rebuy_doc_uint(doc, root, "new_customers_in_test", ev.n_cold);
	/* Side by side: one row per metric. */
	struct rebuy_node *rows = rebuy_doc_arr(doc, root, "metrics");
	static const char *const names[] = {"precision_at_k", "recall_at_k", "hit_rate", "map_at_k"};
	const double mv[] = {ev.model.precision, ev.model.recall, ev.model.hit_rate, ev.model.map};
	const double pv[] = {ev.popular.precision, ev.popular.recall, ev.popular.hit_rate,
	                     ev.popular.map};
	for (int i = 0; i < 4; i++) {
		struct rebuy_node *r = rebuy_doc_obj(doc, rows, NULL);
		rebuy_doc_str(doc, r, "metric", names[i]);
		rebuy_doc_num(doc, r, "model", mv[i], REBUY_SHOW_DECIMAL);
		rebuy_doc_num(doc, r, "popularity", pv[i], REBUY_SHOW_DECIMAL);
		rebuy_doc_num(doc, r, "lift", pv[i] > 0 ? mv[i] / pv[i] : NAN, REBUY_SHOW_DECIMAL);
	}
	rebuy_doc_table_hide(rebuy_doc_get(root, "metrics"));
	metrics_doc(doc, root, "model", &ev.model);
	metrics_doc(doc, root, "popularity", &ev.popular);
	int r = cli_format_of(c) == FORMAT_JSON ? cli_write_doc(c, doc, NULL)
	                                        : cli_write_node(c, doc, rows);
	rebuy_doc_free(doc);
	return r;
}

int cmd_recommend(int argc, char **argv)
{
	struct cli_common c;
	cli_common_init(&c, "recommend");
	struct ctx x = {0};
	rebuy_recommend_options_init(&x.r);
	int r = cli_parse(argc, argv, &c, &help, own, &x);
	if (r)
		return r < 0 ? EXIT_OK : r;
	if (c.n_positional == 0) {
		cli_error("no input: give a file (or - for standard input); see rebuy recommend --help");
		return EXIT_USAGE;
	}
	x.r.n_threads = c.in.n_threads;
	c.in.path = c.positional[0];
	if (x.item_names) {
		c.in.attributes[0] = x.item_names;
		c.in.n_attributes = 1;
	}
	struct rebuy_error err = {0};
	struct rebuy_baskets *b = NULL;
	if (rebuy_baskets_read_orders(&c.in, REBUY_BASKET_ORDER, &b, &err) != REBUY_OK)
		return cli_fail(&err);
	if (!b->day) {
		rebuy_baskets_free(b);
		cli_error("%s: recommendations need a date column (name it with --date COL)",
		          c.in.path);
		return EXIT_FAIL;
	}
	if (x.has_cal_end) {
		r = evaluate(&c, &x, b);
		rebuy_baskets_free(b);
		return r;
	}
	struct rebuy_recommender *model = NULL;
	if (rebuy_recommender_fit(b, &x.r, &model, &err) != REBUY_OK) {
		rebuy_baskets_free(b);
		return cli_fail(&err);
	}
	struct cli_out out;
	if ((r = cli_out_open(&out, c.output))) {
		rebuy_recommender_free(model);
		rebuy_baskets_free(b);
		return r;
	}
	static const char *const cols[] = {"customer", "rank", "product", "score", "reason"};
	static const char *const cols_named[] = {"customer", "rank",   "product",
	                                         "name",     "score", "reason"};
	struct rebuy_csv_options copts = {.raw = c.raw};
	struct out_ctx o = {b, NULL};
	o.w = b->item_labels ? rebuy_rows_new(out.f, cli_row_format(&c), "recommendations", cols_named, 6,
	                                      &copts)
	                     : rebuy_rows_new(out.f, cli_row_format(&c), "recommendations", cols, 5,
	                                      &copts);
	enum rebuy_status st = o.w ? rebuy_recommend(model, write_customer, &o, &err) : REBUY_ENOMEM;
	enum rebuy_status fst = o.w ? rebuy_rows_finish(o.w) : REBUY_ENOMEM;
	rebuy_recommender_free(model);
	rebuy_baskets_free(b);
	if (st || fst) {
		cli_out_abort(&out);
		if (st)
			return cli_fail(&err);
		cli_error("%s", fst == REBUY_ENOMEM ? "out of memory" : "cannot write the output");
		return EXIT_FAIL;
	}
	return cli_out_commit(&out);
}
