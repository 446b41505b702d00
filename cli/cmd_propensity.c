/* rebuy propensity: who buys within the horizon. Trains a logistic
 * regression and boosted trees at one cut-off, tests them on the next
 * period against the BG/NBD baseline (AUC, log loss, Brier, calibration),
 * or with --customers scores every customer as of the as-of day
 * (rebuy/propensity.h, docs/propensity.md). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "rebuy/propensity.h"

enum {
	OPT_HORIZON = 1,
	OPT_TRAIN_CUT,
	OPT_TEST_CUT,
	OPT_MODEL,
	OPT_ROUNDS,
	OPT_DEPTH,
	OPT_LEARNING_RATE,
	OPT_L2,
	OPT_MIN_LEAF,
	OPT_BINS,
	OPT_RAW_INPUTS,
	OPT_ATTRIBUTE,
	OPT_LEVELS,
	OPT_WINDOW,
	OPT_CUSTOMERS,
};

static const struct cli_opt own_opts[] = {
        {"horizon", "DAYS", OPT_HORIZON, "predict a purchase within this many days (default 90)"},
        {"train-cut", "DATE", OPT_TRAIN_CUT,
         "with --test-cut: the training cut-off (default: as-of minus twice the horizon)"},
        {"test-cut", "DATE", OPT_TEST_CUT,
         "with --train-cut: the test cut-off, at least a horizon after it and a horizon "
         "before the as-of day (default: as-of minus the horizon)"},
        {"model", "M", OPT_MODEL,
         "logit (logistic regression), tree (boosted trees) or all (default); the BG/NBD "
         "baseline is always there"},
        {"rounds", "N", OPT_ROUNDS, "boosting rounds, 1 to 100000 (default 200)"},
        {"depth", "D", OPT_DEPTH, "tree depth, 1 (stumps) to 6 (default 2)"},
        {"learning-rate", "X", OPT_LEARNING_RATE, "boosting shrinkage, in (0, 1] (default 0.05)"},
        {"min-leaf", "N", OPT_MIN_LEAF, "customers in a tree leaf at least (default 50)"},
        {"bins", "N", OPT_BINS, "split candidates per input, 2 to 255 (default 128)"},
        {"l2", "X", OPT_L2,
         "logit: L2 penalty on the standardized coefficients, >= 0 (default 1e-4: mean log "
         "loss + X/2 x sum of squares)"},
        {"raw-inputs", NULL, OPT_RAW_INPUTS,
         "logit: standardize the inputs as they are (default: log(1 + x) first for inputs "
         "never negative that go past 1)"},
        {"attribute", "COL", OPT_ATTRIBUTE,
         "also the value of COL on each customer's first purchase, as indicator columns "
         "(up to 4 times)"},
        {"levels", "N", OPT_LEVELS,
         "indicator columns per --attribute: its N most common values (default 10, at most "
         "64)"},
        {"window", "DAYS", OPT_WINDOW,
         "the window of the orders_recent and revenue_recent inputs (default: the horizon)"},
        {"customers", NULL, OPT_CUSTOMERS,
         "score every customer instead: train on the latest complete period (as-of minus the "
         "horizon) and write customer, p_logit, p_tree, p_bgnbd, by customer key"},
        CLI_OPT_END,
};

static const struct cli_command_help help = {
        "rebuy propensity [OPTIONS] INPUT",
        "The chance that each customer buys within the horizon. A logistic regression and\n"
        "gradient-boosted trees learn it from the customers' recency, frequency, gaps,\n"
        "tenure, spend, returns, the BG/NBD's P(alive) and expected purchases (and\n"
        "--attribute columns) at a training cut-off (as-of minus twice the horizon),\n"
        "labelled by who bought in the horizon after it; they are tested on the next period\n"
        "(features at as-of minus the horizon, labels up to the as-of day) against the\n"
        "BG/NBD's own P(purchase). Prints AUC, log loss, Brier score and calibration by\n"
        "decile for each, the logit's coefficients and the trees' input importance.\n"
        "With --customers: one row per customer, scored as of the as-of day.\n"
        "INPUT is an order export (CSV or whitespace-separated, gzip or not, - for standard\n"
        "input). Definitions and output keys: docs/propensity.md.",
        own_opts,
        1,
};

struct ctx {
	struct cli_common *c;
	struct rebuy_propensity_options p;
	int has_train_cut, has_test_cut, customers;
};

static int whole(const char *opt, const char *v, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (*v == '\0' || *end || errno == ERANGE || n < lo || n > hi) {
		cli_error("--%s: '%s' is not a whole number from %ld to %ld", opt, v, lo, hi);
		return EXIT_USAGE;
	}
	*out = n;
	return 0;
}

static int own(void *ud, int id, const char *v)
{
	struct ctx *x = ud;
	long n;
	double d;
	switch (id) {
	case OPT_HORIZON:
		if (whole("horizon", v, 1, 36525, &n))
			return EXIT_USAGE;
		x->p.horizon_days = n;
		return 0;
	case OPT_TRAIN_CUT: x->has_train_cut = 1; return cli_day("train-cut", v, &x->p.train_cut);
	case OPT_TEST_CUT: x->has_test_cut = 1; return cli_day("test-cut", v, &x->p.test_cut);
	case OPT_MODEL:
		if (strcmp(v, "logit") == 0)
			x->p.models = REBUY_PROPENSITY_LOGIT;
		else if (strcmp(v, "tree") == 0)
			x->p.models = REBUY_PROPENSITY_TREE;
		else if (strcmp(v, "all") == 0)
			x->p.models = REBUY_PROPENSITY_ALL;
		else {
			cli_error("--model: '%s' is not logit, tree or all", v);
			return EXIT_USAGE;
		}
		return 0;
	case OPT_ROUNDS:
		if (whole("rounds", v, 1, REBUY_GBM_MAX_ROUNDS, &n))
			return EXIT_USAGE;
		x->p.gbm.n_rounds = (int)n;
		return 0;
	case OPT_DEPTH:
		if (whole("depth", v, 1, REBUY_GBM_MAX_DEPTH, &n))
			return EXIT_USAGE;
		x->p.gbm.depth = (int)n;
		return 0;
	case OPT_MIN_LEAF:
		if (whole("min-leaf", v, 1, 1000000000, &n))
			return EXIT_USAGE;
		x->p.gbm.min_leaf = (size_t)n;
		return 0;
	case OPT_BINS:
		if (whole("bins", v, 2, REBUY_GBM_MAX_BINS, &n))
			return EXIT_USAGE;
		x->p.gbm.n_bins = (int)n;
		return 0;
	case OPT_LEARNING_RATE:
		if (cli_clv_number("learning-rate", v, &d))
			return EXIT_USAGE;
		if (!(d > 0 && d <= 1)) {
			cli_error("--learning-rate: '%s' is not in (0, 1]", v);
			return EXIT_USAGE;
		}
		x->p.gbm.learning_rate = d;
		return 0;
	case OPT_L2:
		if (cli_clv_number("l2", v, &d))
			return EXIT_USAGE;
		if (d < 0) {
			cli_error("--l2: '%s' is not a number >= 0", v);
			return EXIT_USAGE;
		}
		x->p.logit.l2 = d;
		return 0;
	case OPT_RAW_INPUTS: x->p.logit.log_inputs = 0; return 0;
	case OPT_ATTRIBUTE:
		if (x->c->in.n_attributes >= REBUY_MAX_ATTRIBUTES) {
			cli_error("--attribute: at most %d columns", REBUY_MAX_ATTRIBUTES);
			return EXIT_USAGE;
		}
		x->c->in.attributes[x->c->in.n_attributes++] = v;
		return 0;
	case OPT_LEVELS:
		if (whole("levels", v, 1, REBUY_FEATURES_MAX_LEVELS, &n))
			return EXIT_USAGE;
		x->p.attribute_levels = (size_t)n;
		return 0;
	case OPT_WINDOW:
		if (whole("window", v, 1, 36525, &n))
			return EXIT_USAGE;
		x->p.window_days = n;
		return 0;
	case OPT_CUSTOMERS: x->customers = 1; return 0;
	}
	return 0;
}

/* ---- progress: a percentage on a terminal after the first second ---- */

static struct {
	double start, last;
	int shown;
} prog;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress(void *ud, uint64_t done, uint64_t total)
{
	(void)ud;
	double t = now();
	if (t - prog.start < 1.0 || t - prog.last < 0.2)
		return;
	prog.last = t;
	prog.shown = 1;
	fprintf(stderr, "\rrebuy: propensity: fitting  %3.0f%%   ",
	        total ? 100.0 * (double)done / (double)total : 0.0);
	fflush(stderr);
}

static void progress_done(void)
{
	if (prog.shown)
		fputs("\r\033[K", stderr);
	prog.shown = 0;
}

/* ---- the evaluation document ---- */

static void day_str(struct rebuy_doc *doc, struct rebuy_node *p, const char *key, int64_t day,
                    const char *label, const char *note)
{
	char buf[32];
	rebuy_format_day(day, buf, sizeof buf);
	rebuy_doc_label(doc, rebuy_doc_str(doc, p, key, buf), label, note);
}

static void sample_node(struct rebuy_doc *doc, struct rebuy_node *root, const char *key,
                        const char *label, const struct rebuy_propensity_sample *s, int64_t h)
{
	struct rebuy_node *o = rebuy_doc_obj(doc, root, key);
	rebuy_doc_label(doc, o, label, NULL);
	day_str(doc, o, "cut", s->cut_day, "Cut-off",
	        "features from the purchases before this day; BG/NBD fitted to them");
	day_str(doc, o, "label_end", s->cut_day + h - 1, "Label window ends",
	        "label 1: a purchase from the cut-off to this day, inclusive");
	rebuy_doc_label(doc, rebuy_doc_uint(doc, o, "customers", s->n), "Customers",
	                "with a purchase before the cut-off");
	rebuy_doc_label(doc, rebuy_doc_uint(doc, o, "buyers", s->n_positive), "Buyers",
	                "of them, with a purchase in the label window");
	rebuy_doc_label(doc, rebuy_doc_num(doc, o, "base_rate", s->base_rate, REBUY_SHOW_RATE),
	                "Base rate", "buyers / customers");
	struct rebuy_node *b = rebuy_doc_obj(doc, o, "bgnbd");
	rebuy_doc_label(doc, b, "BG/NBD before the cut-off", NULL);
	for (int i = 0; i < s->bgnbd.n_params; i++)
		rebuy_doc_num(doc, b, s->bgnbd.names[i], s->bgnbd.params[i], REBUY_SHOW_DECIMAL);
	rebuy_doc_bool(doc, b, "converged", s->bgnbd.converged);
}

struct model_view {
	const char *name;
	const struct rebuy_classifier_metrics *test, *train;
};

static size_t model_views(const struct rebuy_propensity_eval *e, struct model_view *v)
{
	size_t n = 0;
	if (e->logit_model)
		v[n++] = (struct model_view){"logit", &e->logit, &e->logit_train};
	if (e->gbm_model)
		v[n++] = (struct model_view){"tree", &e->tree, &e->tree_train};
	v[n++] = (struct model_view){"bgnbd", &e->bgnbd, NULL};
	return n;
}

static struct rebuy_node *models_node(struct rebuy_doc *doc, struct rebuy_node *root,
                                      const struct model_view *v, size_t n_views,
                                      const struct rebuy_propensity_eval *e)
{
	struct rebuy_node *arr = rebuy_doc_arr(doc, root, "models");
	rebuy_doc_label(doc, arr, "Test period (the baseline: BG/NBD P(purchase))", NULL);
	for (size_t k = 0; k < n_views; k++) {
		const struct rebuy_classifier_metrics *m = v[k].test, *t = v[k].train;
		struct rebuy_node *row = rebuy_doc_obj(doc, arr, NULL);
		rebuy_doc_str(doc, row, "model", v[k].name);
		rebuy_doc_num(doc, row, "auc", m->auc, REBUY_SHOW_DECIMAL);
		rebuy_doc_num(doc, row, "log_loss", m->log_loss, REBUY_SHOW_DECIMAL);
		rebuy_doc_num(doc, row, "brier", m->brier, REBUY_SHOW_DECIMAL);
		rebuy_doc_num(doc, row, "calibration_error", m->calibration_error,
		              REBUY_SHOW_DECIMAL);
		rebuy_doc_num(doc, row, "mean_predicted", m->mean_predicted, REBUY_SHOW_RATE);
		rebuy_doc_num(doc, row, "base_rate", e->test.base_rate, REBUY_SHOW_RATE);
		rebuy_doc_num(doc, row, "train_auc", t ? t->auc : NAN, REBUY_SHOW_DECIMAL);
		rebuy_doc_num(doc, row, "train_log_loss", t ? t->log_loss : NAN,
		              REBUY_SHOW_DECIMAL);
		if (t) {
			rebuy_doc_uint(doc, row, "n_train", e->train.n);
			rebuy_doc_uint(doc, row, "train_buyers", e->train.n_positive);
		} else { /* the baseline learns nothing from labels */
			rebuy_doc_null(doc, row, "n_train");
			rebuy_doc_null(doc, row, "train_buyers");
		}
		rebuy_doc_uint(doc, row, "n_test", e->test.n);
		rebuy_doc_uint(doc, row, "test_buyers", e->test.n_positive);
	}
	return arr;
}

static void calibration_node(struct rebuy_doc *doc, struct rebuy_node *root,
                             const struct model_view *v, size_t n_views)
{
	struct rebuy_node *arr = rebuy_doc_arr(doc, root, "calibration");
	rebuy_doc_label(doc, arr, "Calibration on the test period, by decile of the prediction",
	                NULL);
	for (size_t k = 0; k < n_views; k++) {
		const struct rebuy_classifier_metrics *m = v[k].test;
		for (size_t g = 0; g < m->n_bins; g++) {
			const struct rebuy_calibration_bin *b = &m->bins[g];
			struct rebuy_node *row = rebuy_doc_obj(doc, arr, NULL);
			rebuy_doc_str(doc, row, "model", v[k].name);
			rebuy_doc_uint(doc, row, "decile", g + 1);
			rebuy_doc_uint(doc, row, "customers", b->n);
			rebuy_doc_num(doc, row, "p_min", b->p_min, REBUY_SHOW_DECIMAL);
			rebuy_doc_num(doc, row, "p_max", b->p_max, REBUY_SHOW_DECIMAL);
			rebuy_doc_num(doc, row, "mean_predicted", b->mean_predicted,
			              REBUY_SHOW_RATE);
			rebuy_doc_num(doc, row, "observed", b->observed, REBUY_SHOW_RATE);
		}
	}
}

static void logit_node(struct rebuy_doc *doc, struct rebuy_node *root,
                       const struct rebuy_propensity_eval *e)
{
	const struct rebuy_logit *m = e->logit_model;
	struct rebuy_node *o = rebuy_doc_obj(doc, root, "logit");
	rebuy_doc_label(doc, o, "Logistic regression", NULL);
	rebuy_doc_label(doc, rebuy_doc_num(doc, o, "l2", m->l2, REBUY_SHOW_PLAIN), "L2 penalty",
	                "mean log loss + l2 / 2 x sum of squared standardized coefficients");
	rebuy_doc_label(doc, rebuy_doc_num(doc, o, "intercept", m->intercept, REBUY_SHOW_DECIMAL),
	                "Intercept", "log-odds of a customer at the training means");
	rebuy_doc_bool(doc, o, "converged", m->converged);
	rebuy_doc_int(doc, o, "iterations", m->iterations);
	rebuy_doc_label(doc,
	                rebuy_doc_num(doc, o, "gradient_max", m->gradient_max, REBUY_SHOW_PLAIN),
	                "Largest gradient", "of the penalized mean log loss at the end");
	rebuy_doc_str(doc, o, "status", m->status);
	struct rebuy_node *arr = rebuy_doc_arr(doc, root, "coefficients");
	rebuy_doc_label(doc, arr, "Logit coefficients (per standard deviation of the input)", NULL);
	for (size_t j = 0; j < m->n_features; j++) {
		struct rebuy_node *row = rebuy_doc_obj(doc, arr, NULL);
		rebuy_doc_str(doc, row, "feature", e->names[j]);
		rebuy_doc_str(doc, row, "scale",
		              m->is_constant[j] ? "constant"
		              : m->is_log[j]    ? "log1p"
		                                : "raw");
		rebuy_doc_num(doc, row, "coefficient", m->coef[j], REBUY_SHOW_DECIMAL);
		rebuy_doc_num(doc, row, "odds_ratio", exp(m->coef[j]), REBUY_SHOW_DECIMAL);
		rebuy_doc_num(doc, row, "mean", m->mean[j], REBUY_SHOW_DECIMAL);
		rebuy_doc_num(doc, row, "sd", m->sd[j], REBUY_SHOW_DECIMAL);
	}
}

static const struct rebuy_gbm *gain_ctx;

static int cmp_gain(const void *pa, const void *pb)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	double ga = gain_ctx->gain[a], gb = gain_ctx->gain[b];
	if (ga != gb)
		return ga > gb ? -1 : 1;
	return (a > b) - (a < b);
}

static int tree_node(struct rebuy_doc *doc, struct rebuy_node *root,
                     const struct rebuy_propensity_eval *e, const struct rebuy_gbm_options *go)
{
	const struct rebuy_gbm *g = e->gbm_model;
	struct rebuy_node *o = rebuy_doc_obj(doc, root, "tree");
	rebuy_doc_label(doc, o, "Boosted trees", NULL);
	rebuy_doc_label(doc, rebuy_doc_uint(doc, o, "trees", g->n_trees), "Trees",
	                "rounds that lowered the training log loss");
	rebuy_doc_int(doc, o, "depth", go->depth);
	rebuy_doc_num(doc, o, "learning_rate", go->learning_rate, REBUY_SHOW_PLAIN);
	rebuy_doc_num(doc, o, "leaf_l2", go->l2, REBUY_SHOW_PLAIN);
	rebuy_doc_uint(doc, o, "min_leaf", go->min_leaf);
	rebuy_doc_int(doc, o, "bins", go->n_bins);
	rebuy_doc_label(doc, rebuy_doc_int(doc, o, "halved_rounds", g->n_halved), "Halved rounds",
	                "rounds whose step was halved to keep the training loss falling");
	rebuy_doc_label(doc,
	                rebuy_doc_num(doc, o, "train_log_loss_start", g->train_log_loss[0],
	                              REBUY_SHOW_DECIMAL),
	                "Training log loss before", "of the base rate alone");
	rebuy_doc_label(doc,
	                rebuy_doc_num(doc, o, "train_log_loss_end", g->train_log_loss[g->n_trees],
	                              REBUY_SHOW_DECIMAL),
	                "Training log loss after", NULL);
	size_t *order = malloc(g->n_features * sizeof *order);
	if (!order)
		return EXIT_FAIL;
	double total = 0;
	for (size_t j = 0; j < g->n_features; j++) {
		order[j] = j;
		total += g->gain[j];
	}
	gain_ctx = g;
	qsort(order, g->n_features, sizeof *order, cmp_gain);
	struct rebuy_node *arr = rebuy_doc_arr(doc, root, "importance");
	rebuy_doc_label(doc, arr, "Tree input importance (share of the split gain)", NULL);
	for (size_t k = 0; k < g->n_features; k++) {
		struct rebuy_node *row = rebuy_doc_obj(doc, arr, NULL);
		rebuy_doc_str(doc, row, "feature", e->names[order[k]]);
		rebuy_doc_num(doc, row, "gain_share", total > 0 ? g->gain[order[k]] / total : 0.0,
		              REBUY_SHOW_RATE);
	}
	free(order);
	return 0;
}

static void warn_fit(const struct cli_common *c, const struct rebuy_propensity_sample *s,
                     const char *which)
{
	if (!c->quiet && !s->bgnbd.converged) {
		char buf[32];
		rebuy_format_day(s->cut_day, buf, sizeof buf);
		cli_warn("the BG/NBD fit before the %s cut-off %s did not converge: %s", which, buf,
		         s->bgnbd.status);
	}
}

static int evaluate(struct cli_common *c, struct ctx *x, const struct rebuy_orders *o)
{
	struct rebuy_propensity_eval *e = NULL;
	struct rebuy_error err = {0};
	if (rebuy_propensity_evaluate(o, &x->p, &e, &err) != REBUY_OK) {
		progress_done();
		return cli_fail(&err);
	}
	progress_done();
	warn_fit(c, &e->train, "training");
	warn_fit(c, &e->test, "test");
	if (!c->quiet && e->logit_model && !e->logit_model->converged)
		cli_warn("the logistic regression did not converge: %s", e->logit_model->status);
	if (!c->quiet && (e->test.n_positive == 0 || e->test.n_positive == e->test.n))
		cli_warn("the test period has %s buyers: the AUC is undefined (null)",
		         e->test.n_positive ? "only" : "no");
	struct rebuy_doc *doc = rebuy_doc_new();
	struct rebuy_node *root = rebuy_doc_root(doc);
	rebuy_doc_label(doc, rebuy_doc_int(doc, root, "horizon_days", e->horizon_days), "Horizon",
	                "days: P(a purchase within them)");
	day_str(doc, root, "as_of", e->as_of_day, "As of",
	        "the first day after the data (the test labels end the day before)");
	sample_node(doc, root, "train", "Training cut-off", &e->train, e->horizon_days);
	sample_node(doc, root, "test", "Test cut-off", &e->test, e->horizon_days);
	struct model_view v[3];
	size_t nv = model_views(e, v);
	struct rebuy_node *models = models_node(doc, root, v, nv, e);
	calibration_node(doc, root, v, nv);
	if (e->logit_model)
		logit_node(doc, root, e);
	int r = 0;
	if (e->gbm_model)
		r = tree_node(doc, root, e, &x->p.gbm);
	struct rebuy_node *feat = rebuy_doc_arr(doc, root, "features");
	for (size_t j = 0; j < e->n_features; j++)
		rebuy_doc_str(doc, feat, NULL, e->names[j]);
	rebuy_doc_table_hide(feat);
	rebuy_input_report_doc(&o->report, doc, root);
	rebuy_doc_table_hide(rebuy_doc_get(root, "input"));
	if (r == 0)
		r = cli_format_of(c) == FORMAT_CSV ? cli_write_node(c, doc, models)
		                                   : cli_write_doc(c, doc, NULL);
	else
		cli_error("out of memory");
	rebuy_doc_free(doc);
	rebuy_propensity_eval_free(e);
	return r;
}

/* ---- --customers ---- */

static void json_day(FILE *f, const char *key, int64_t day)
{
	char buf[32];
	rebuy_format_day(day, buf, sizeof buf);
	fprintf(f, "  \"%s\": ", key);
	rebuy_json_string(f, buf);
	fputs(",\n", f);
}

static int write_scores(struct cli_common *c, const struct rebuy_orders *o,
                        const struct rebuy_propensity_scores *s)
{
	const char *cols[4];
	size_t n_cols = 0;
	cols[n_cols++] = "customer";
	if (s->p_logit)
		cols[n_cols++] = "p_logit";
	if (s->p_tree)
		cols[n_cols++] = "p_tree";
	cols[n_cols++] = "p_bgnbd";
	struct cli_out out;
	int r = cli_out_open(&out, c->output);
	if (r)
		return r;
	enum rebuy_format fmt = cli_row_format(c);
	if (fmt == REBUY_FORMAT_JSON) {
		fprintf(out.f, "{\n  \"horizon_days\": %lld,\n", (long long)s->horizon_days);
		json_day(out.f, "as_of", s->as_of_day);
		json_day(out.f, "train_cut", s->train.cut_day);
		fprintf(out.f, "  \"train_customers\": %zu,\n  \"train_buyers\": %zu,\n",
		        s->train.n, s->train.n_positive);
		fputs("  \"customers\": ", out.f);
	}
	struct rebuy_csv_options copts = {.raw = c->raw};
	struct rebuy_rows *w = rebuy_rows_new(out.f, fmt, NULL, cols, n_cols, &copts);
	for (size_t i = 0; w && i < s->n; i++) {
		rebuy_rows_str(w, rebuy_orders_customer_key(o, s->customer[i], NULL));
		if (s->p_logit)
			rebuy_rows_num(w, s->p_logit[i]);
		if (s->p_tree)
			rebuy_rows_num(w, s->p_tree[i]);
		rebuy_rows_num(w, s->p_bgnbd[i]);
		rebuy_rows_end_row(w);
	}
	enum rebuy_status st = w ? rebuy_rows_finish(w) : REBUY_ENOMEM;
	if (st == REBUY_OK && fmt == REBUY_FORMAT_JSON)
		fputs("}\n", out.f);
	if (st != REBUY_OK) {
		cli_out_abort(&out);
		cli_error("%s", st == REBUY_ENOMEM ? "out of memory" : "cannot write the output");
		return EXIT_FAIL;
	}
	return cli_out_commit(&out);
}

static int score(struct cli_common *c, struct ctx *x, const struct rebuy_orders *o)
{
	struct rebuy_propensity_scores *s = NULL;
	struct rebuy_error err = {0};
	if (rebuy_propensity_score(o, &x->p, &s, &err) != REBUY_OK) {
		progress_done();
		return cli_fail(&err);
	}
	progress_done();
	warn_fit(c, &s->train, "training");
	if (!c->quiet && !s->bgnbd.converged)
		cli_warn("the BG/NBD fit to all the data did not converge: %s", s->bgnbd.status);
	int r = write_scores(c, o, s);
	rebuy_propensity_scores_free(s);
	return r;
}

int cmd_propensity(int argc, char **argv)
{
	struct cli_common c;
	cli_common_init(&c, "propensity");
	struct ctx x = {.c = &c};
	rebuy_propensity_options_init(&x.p);
	int r = cli_parse(argc, argv, &c, &help, own, &x);
	if (r)
		return r < 0 ? EXIT_OK : r;
	if (c.n_positional > 1) {
		cli_error("one INPUT at a time ('%s' and '%s')", c.positional[0], c.positional[1]);
		return EXIT_USAGE;
	}
	if (x.has_train_cut != x.has_test_cut) {
		cli_error("--train-cut and --test-cut go together: give both or neither");
		return EXIT_USAGE;
	}
	if (x.has_train_cut && x.customers) {
		cli_error("--customers trains on the latest complete period (as-of minus the "
		          "horizon); --train-cut and --test-cut choose the evaluation's split");
		return EXIT_USAGE;
	}
	x.p.has_cuts = x.has_train_cut;
	cli_as_of(&c, &x.p.has_as_of, &x.p.as_of_day);
	x.p.n_threads = c.in.n_threads;
	struct rebuy_orders *o = NULL;
	if ((r = cli_load_orders(&c, &o)))
		return r;
	if (!c.quiet && isatty(STDERR_FILENO)) {
		prog.start = now();
		x.p.progress = progress;
	}
	r = x.customers ? score(&c, &x, o) : evaluate(&c, &x, o);
	rebuy_orders_free(o);
	return r;
}
