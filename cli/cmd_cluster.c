/* rebuy cluster: customer segments by k-means on the behavioural features
 * (rebuy/cluster.h, docs/cluster.md): the table that chooses k (WSS, share
 * of variance explained, silhouette, Calinski-Harabasz), the recommended k
 * and the profile of each of its clusters; or with --customers the cluster
 * of every customer, sorted by customer key. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rebuy/cluster.h"

enum {
	OPT_K = 1,
	OPT_K_RANGE,
	OPT_RESTARTS,
	OPT_SEED,
	OPT_FEATURES,
	OPT_NO_LOG,
	OPT_CUSTOMERS,
	OPT_SILHOUETTE_MAX,
	OPT_MAX_ITER,
	OPT_ATTRIBUTE_LEVELS,
};

static const struct cli_opt own_opts[] = {
        {"k", "N", OPT_K, "cluster into N groups (1 to 1000) instead of trying a range"},
        {"k-range", "A..B", OPT_K_RANGE,
         "try every k from A to B and recommend the one with the highest silhouette "
         "(default 2..10)"},
        {"restarts", "R", OPT_RESTARTS,
         "k-means++ starts per k, the lowest within-cluster sum of squares kept (default 10)"},
        {"seed", "S", OPT_SEED, "seed of the starts and of the silhouette's sample (default 1)"},
        {"features", "LIST", OPT_FEATURES,
         "the features clustered, comma-separated (default "
         "recency_days,frequency,aov,mean_gap_days,tenure_days; all: docs/cluster.md)"},
        {"no-log", NULL, OPT_NO_LOG,
         "standardize the features as they are (default: log1p of every feature but "
         "return_share first, as money, counts and days are skewed)"},
        {"attribute-levels", "N", OPT_ATTRIBUTE_LEVELS,
         "also offer \"<column>=<value>\" indicators of the first purchase's attributes, the N "
         "most common values of each (0 to 64; default 0), for --features"},
        {"customers", NULL, OPT_CUSTOMERS,
         "write one row per customer instead: customer, cluster, label (sorted by customer)"},
        {"silhouette-max", "N", OPT_SILHOUETTE_MAX,
         "rows up to which the silhouette is exact (default 20000); above, it is computed on a "
         "random sample of N customers"},
        {"max-iter", "N", OPT_MAX_ITER, "Lloyd iterations per start (default 300)"},
        CLI_OPT_END,
};

static const struct cli_command_help help = {
        "rebuy cluster [OPTIONS] INPUT",
        "Groups customers by how they buy: k-means (k-means++ starts, --restarts of them) on\n"
        "their behavioural features as of the as-of date, log1p-transformed and standardized.\n"
        "Writes, for each k tried, the within-cluster sum of squares, the share of variance\n"
        "explained, the silhouette and the Calinski-Harabasz index; the recommended k (the\n"
        "highest silhouette); and each of its clusters' size, revenue share, mean and median\n"
        "features and a label. --customers writes each customer's cluster instead. CSV is\n"
        "the clusters table. Definitions: docs/cluster.md.\n"
        "INPUT is a CSV or whitespace-separated file, gzip or not, or - for standard input.",
        own_opts,
        1,
};

struct ctx {
	struct rebuy_cluster_options o;
	int has_k, has_range, customers;
};

static int parse_count(const char *opt, const char *v, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (*v == '\0' || *end || errno == ERANGE || n < lo || n > hi) {
		cli_error("--%s: '%s' is not a number from %ld to %ld", opt, v, lo, hi);
		return EXIT_USAGE;
	}
	*out = n;
	return 0;
}

static int parse_range(const char *v, size_t *a, size_t *b)
{
	const char *dots = strstr(v, "..");
	char left[32];
	long x, y;
	if (!dots || (size_t)(dots - v) >= sizeof left) {
		cli_error("--k-range: '%s' is not a range A..B (2..10)", v);
		return EXIT_USAGE;
	}
	snprintf(left, sizeof left, "%.*s", (int)(dots - v), v);
	if (parse_count("k-range", left, 1, REBUY_KMEANS_MAX_K, &x) ||
	    parse_count("k-range", dots + 2, 1, REBUY_KMEANS_MAX_K, &y))
		return EXIT_USAGE;
	if (x > y) {
		cli_error("--k-range: '%s' runs backwards (A must be <= B)", v);
		return EXIT_USAGE;
	}
	*a = (size_t)x;
	*b = (size_t)y;
	return 0;
}

static int own(void *ud, int id, const char *v)
{
	struct ctx *x = ud;
	long n;
	switch (id) {
	case OPT_K:
		if (parse_count("k", v, 1, REBUY_KMEANS_MAX_K, &n))
			return EXIT_USAGE;
		x->o.k_min = x->o.k_max = (size_t)n;
		x->has_k = 1;
		return 0;
	case OPT_K_RANGE: x->has_range = 1; return parse_range(v, &x->o.k_min, &x->o.k_max);
	case OPT_RESTARTS:
		if (parse_count("restarts", v, 1, REBUY_KMEANS_MAX_RESTARTS, &n))
			return EXIT_USAGE;
		x->o.kmeans.restarts = (unsigned)n;
		return 0;
	case OPT_SEED: {
		char *end;
		errno = 0;
		unsigned long long s = strtoull(v, &end, 10);
		if (*v == '\0' || *v == '-' || *end || errno == ERANGE) {
			cli_error("--seed: '%s' is not a whole number >= 0", v);
			return EXIT_USAGE;
		}
		x->o.kmeans.seed = x->o.silhouette.seed = (uint64_t)s;
		return 0;
	}
	case OPT_FEATURES: x->o.columns = v; return 0;
	case OPT_NO_LOG: x->o.no_log = 1; return 0;
	case OPT_ATTRIBUTE_LEVELS:
		if (parse_count("attribute-levels", v, 0, REBUY_FEATURES_MAX_LEVELS, &n))
			return EXIT_USAGE;
		x->o.features.attribute_levels = (size_t)n;
		return 0;
	case OPT_CUSTOMERS: x->customers = 1; return 0;
	case OPT_SILHOUETTE_MAX:
		if (parse_count("silhouette-max", v, 2, 1000000, &n))
			return EXIT_USAGE;
		x->o.silhouette.max_exact = (size_t)n;
		return 0;
	case OPT_MAX_ITER:
		if (parse_count("max-iter", v, 1, 1000000, &n))
			return EXIT_USAGE;
		x->o.kmeans.max_iter = (unsigned)n;
		return 0;
	}
	return 0;
}

/* ---- the document ---- */

struct def {
	const char *key, *label, *text;
};

static const struct def defs[] = {
        {"as_of", "As of", "features count the purchases before this day"},
        {"n_customers", "Customers", "customers with a purchase before the as-of day"},
        {"features", "Features", "the columns clustered (docs/cluster.md defines each)"},
        {"log1p", "log1p", "features replaced by log(1 + x) before standardizing"},
        {"scaling", "Scaling",
         "each clustered column standardized to mean 0 and standard deviation 1 over the "
         "customers"},
        {"restarts", "Restarts", "k-means++ starts per k; the lowest WSS is kept"},
        {"seed", "Seed", "of the starts and of the silhouette's sample"},
        {"silhouette_rows", "Silhouette rows",
         "customers the silhouettes were computed on: all, or a uniform random sample"},
        {"silhouette_sampled", "Silhouette sampled",
         "true when the silhouettes are those of a sample (more customers than "
         "--silhouette-max)"},
        {"k_table", "Choosing k", NULL},
        {"k_table.k", "k", NULL},
        {"k_table.wss", "WSS", "within-cluster sum of squares (standardized units)"},
        {"k_table.explained", "explained", "1 - WSS / total sum of squares"},
        {"k_table.silhouette", "silhouette",
         "mean over customers of (b - a) / max(a, b): a = mean distance to their own cluster, "
         "b = to the nearest other cluster"},
        {"k_table.calinski_harabasz", "CH",
         "Calinski-Harabasz: (between SS / (k - 1)) / (WSS / (n - k)); higher is better"},
        {"k_table.iterations", "iterations", "Lloyd iterations of the start kept"},
        {"k_table.converged", "converged", "the start kept ended with no customer moving"},
        {"recommended_k", "Recommended k",
         "the k with the highest mean silhouette (ties: the smaller k)"},
        {"k", "k", "the clusters profiled below: the recommended k"},
        {"clusters", "Clusters", NULL},
};

static struct rebuy_node *lab(struct rebuy_doc *doc, struct rebuy_node *n, const char *key,
                              int note)
{
	for (size_t i = 0; i < sizeof defs / sizeof *defs; i++)
		if (strcmp(defs[i].key, key) == 0)
			rebuy_doc_label(doc, n, defs[i].label, note ? defs[i].text : NULL);
	return n;
}

static void k_table(struct rebuy_doc *doc, struct rebuy_node *root, const struct rebuy_cluster *c)
{
	struct rebuy_node *arr = lab(doc, rebuy_doc_arr(doc, root, "k_table"), "k_table", 0);
	static const char *const cols[] = {"k_table.k",
	                                   "k_table.wss",
	                                   "k_table.explained",
	                                   "k_table.silhouette",
	                                   "k_table.calinski_harabasz",
	                                   "k_table.iterations",
	                                   "k_table.converged"};
	for (size_t i = 0; i < c->n_k; i++) {
		const struct rebuy_cluster_k *r = &c->by_k[i];
		struct rebuy_node *o = rebuy_doc_obj(doc, arr, NULL);
		lab(doc, rebuy_doc_uint(doc, o, "k", r->k), cols[0], 0);
		lab(doc, rebuy_doc_num(doc, o, "wss", r->wss, REBUY_SHOW_DECIMAL), cols[1], 0);
		lab(doc, rebuy_doc_num(doc, o, "explained", r->explained, REBUY_SHOW_RATE), cols[2],
		    0);
		lab(doc, rebuy_doc_num(doc, o, "silhouette", r->silhouette, REBUY_SHOW_DECIMAL),
		    cols[3], 0);
		lab(doc,
		    rebuy_doc_num(doc, o, "calinski_harabasz", r->calinski_harabasz,
		                  REBUY_SHOW_DECIMAL),
		    cols[4], 0);
		lab(doc, rebuy_doc_uint(doc, o, "iterations", r->iterations), cols[5], 0);
		lab(doc, rebuy_doc_bool(doc, o, "converged", r->converged), cols[6], 0);
	}
}

static void clusters_node(struct rebuy_doc *doc, struct rebuy_node *root,
                          const struct rebuy_cluster *c)
{
	const struct rebuy_features *f = c->features;
	struct rebuy_node *arr = lab(doc, rebuy_doc_arr(doc, root, "clusters"), "clusters", 0);
	char key[160];
	for (size_t i = 0; i < c->km->k; i++) {
		const struct rebuy_cluster_profile *p = &c->profiles[i];
		struct rebuy_node *o = rebuy_doc_obj(doc, arr, NULL);
		rebuy_doc_uint(doc, o, "cluster", i + 1);
		rebuy_doc_str(doc, o, "label", p->label);
		rebuy_doc_uint(doc, o, "customers", p->customers);
		rebuy_doc_num(doc, o, "share", p->share, REBUY_SHOW_RATE);
		rebuy_doc_num(doc, o, "revenue", p->revenue, REBUY_SHOW_MONEY);
		rebuy_doc_num(doc, o, "revenue_share", p->revenue_share, REBUY_SHOW_RATE);
		for (size_t q = 0; q < c->n_used; q++) {
			const char *name = f->names[c->col[q]];
			snprintf(key, sizeof key, "%.140s_mean", name);
			rebuy_doc_num(doc, o, key, p->mean[q], REBUY_SHOW_DECIMAL);
			snprintf(key, sizeof key, "%.140s_median", name);
			rebuy_doc_num(doc, o, key, p->median[q], REBUY_SHOW_DECIMAL);
		}
		for (size_t q = 0; q < c->n_used; q++) {
			snprintf(key, sizeof key, "%.140s_z", f->names[c->col[q]]);
			rebuy_doc_num(doc, o, key, p->z[q], REBUY_SHOW_DECIMAL);
		}
	}
}

static void definitions_node(struct rebuy_doc *doc, struct rebuy_node *root)
{
	struct rebuy_node *d = rebuy_doc_obj(doc, root, "definitions");
	rebuy_doc_table_hide(d);
	for (size_t i = 0; i < sizeof defs / sizeof *defs; i++)
		if (defs[i].text)
			rebuy_doc_str(doc, d, defs[i].key, defs[i].text);
	rebuy_doc_str(doc, d, "clusters.label",
	              "up to three features whose centre is at least 0.5 standard deviations from "
	              "the mean, the farthest first, \"very\" from 1.5; typical when none is");
	rebuy_doc_str(doc, d, "clusters.share", "customers / all customers");
	rebuy_doc_str(doc, d, "clusters.revenue_share",
	              "the cluster's revenue before the as-of day / all revenue");
	rebuy_doc_str(doc, d, "clusters.<feature>_mean",
	              "mean and median of the raw feature in the cluster (median of an even "
	              "count: the mean of the middle two)");
	rebuy_doc_str(doc, d, "clusters.<feature>_z",
	              "the cluster's centre in standardized (log1p) units: how far from the "
	              "customers' mean, in standard deviations");
}

static void cluster_doc(struct rebuy_doc *doc, const struct rebuy_cluster *c, const struct ctx *x)
{
	const struct rebuy_features *f = c->features;
	struct rebuy_node *root = rebuy_doc_root(doc);
	char buf[48];
	rebuy_format_day(f->as_of_day, buf, sizeof buf);
	lab(doc, rebuy_doc_str(doc, root, "as_of", buf), "as_of", 1);
	lab(doc, rebuy_doc_uint(doc, root, "n_customers", f->n_rows), "n_customers", 1);
	struct rebuy_node *fa = lab(doc, rebuy_doc_arr(doc, root, "features"), "features", 1);
	struct rebuy_node *la = lab(doc, rebuy_doc_arr(doc, root, "log1p"), "log1p", 1);
	for (size_t q = 0; q < c->n_used; q++) {
		rebuy_doc_str(doc, fa, NULL, f->names[c->col[q]]);
		if (c->is_logged[q])
			rebuy_doc_str(doc, la, NULL, f->names[c->col[q]]);
	}
	lab(doc, rebuy_doc_str(doc, root, "scaling", "z = (x - mean) / sd"), "scaling", 1);
	lab(doc,
	    rebuy_doc_uint(doc, root, "restarts",
	                   x->o.kmeans.restarts ? x->o.kmeans.restarts
	                                        : REBUY_KMEANS_DEFAULT_RESTARTS),
	    "restarts", 1);
	lab(doc, rebuy_doc_uint(doc, root, "seed", x->o.kmeans.seed), "seed", 1);
	lab(doc, rebuy_doc_uint(doc, root, "silhouette_rows", c->silhouette_n), "silhouette_rows",
	    1);
	lab(doc, rebuy_doc_bool(doc, root, "silhouette_sampled", c->silhouette_is_sampled),
	    "silhouette_sampled", 1);
	k_table(doc, root, c);
	lab(doc, rebuy_doc_uint(doc, root, "recommended_k", c->recommended_k), "recommended_k", 1);
	lab(doc, rebuy_doc_uint(doc, root, "k", c->km->k), "k", 1);
	clusters_node(doc, root, c);
	definitions_node(doc, root);
}

static int write_customers(struct cli_common *c, const struct rebuy_cluster *cl,
                           const struct rebuy_orders *o)
{
	const struct rebuy_features *f = cl->features;
	uint32_t *ids = malloc((o->n_customers ? o->n_customers : 1) * sizeof *ids);
	uint32_t *row_of = malloc((o->n_customers ? o->n_customers : 1) * sizeof *row_of);
	if (!ids || !row_of) {
		free(ids);
		free(row_of);
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	if (rebuy_orders_customers_by_key(o, ids) != REBUY_OK) {
		free(ids);
		free(row_of);
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	for (size_t i = 0; i < o->n_customers; i++)
		row_of[i] = UINT32_MAX;
	for (size_t r = 0; r < f->n_rows; r++)
		row_of[f->customer[r]] = (uint32_t)r;
	struct cli_out out;
	int r = cli_out_open(&out, c->output);
	if (r) {
		free(ids);
		free(row_of);
		return r;
	}
	static const char *const cols[] = {"customer", "cluster", "label"};
	struct rebuy_csv_options copts = {.raw = c->raw};
	struct rebuy_rows *w =
	        rebuy_rows_new(out.f, cli_row_format(c), "customers", cols, 3, &copts);
	for (size_t i = 0; w && i < o->n_customers; i++) {
		uint32_t row = row_of[ids[i]];
		if (row == UINT32_MAX)
			continue; /* no purchase before the as-of day */
		uint32_t l = cl->km->label[row];
		rebuy_rows_str(w, rebuy_orders_customer_key(o, ids[i], NULL));
		rebuy_rows_int(w, (int64_t)l + 1);
		rebuy_rows_str(w, cl->profiles[l].label);
		rebuy_rows_end_row(w);
	}
	enum rebuy_status st = w ? rebuy_rows_finish(w) : REBUY_ENOMEM;
	free(ids);
	free(row_of);
	if (st) {
		cli_out_abort(&out);
		cli_error("%s", st == REBUY_ENOMEM ? "out of memory" : "cannot write the output");
		return EXIT_FAIL;
	}
	return cli_out_commit(&out);
}

static int run(struct cli_common *c, struct ctx *x)
{
	cli_as_of(c, &x->o.features.has_as_of, &x->o.features.as_of_day);
	x->o.kmeans.n_threads = x->o.silhouette.n_threads = c->in.n_threads;
	struct rebuy_orders *o = NULL;
	int r = cli_load_orders(c, &o);
	if (r)
		return r;
	struct rebuy_cluster *cl = NULL;
	struct rebuy_doc *doc = NULL;
	struct rebuy_error err = {0};
	if (rebuy_cluster_customers(o, &x->o, &cl, &err) != REBUY_OK) {
		r = cli_fail(&err);
		goto out;
	}
	if (!c->quiet)
		for (size_t i = 0; i < cl->n_k; i++)
			if (!cl->by_k[i].converged)
				cli_warn("k = %zu: the best start stopped after %u iterations with "
				         "customers still moving (--max-iter)",
				         cl->by_k[i].k, cl->by_k[i].iterations);
	if (x->customers) {
		r = write_customers(c, cl, o);
		goto out;
	}
	if (!(doc = rebuy_doc_new())) {
		cli_error("out of memory");
		r = EXIT_FAIL;
		goto out;
	}
	cluster_doc(doc, cl, x);
	r = cli_write_doc(c, doc, rebuy_doc_get(rebuy_doc_root(doc), "clusters"));
out:
	rebuy_doc_free(doc);
	rebuy_cluster_free(cl);
	rebuy_orders_free(o);
	return r;
}

int cmd_cluster(int argc, char **argv)
{
	struct cli_common c;
	cli_common_init(&c, "cluster");
	struct ctx x;
	memset(&x, 0, sizeof x);
	rebuy_cluster_options_init(&x.o);
	int r = cli_parse(argc, argv, &c, &help, own, &x);
	if (r)
		return r < 0 ? EXIT_OK : r;
	if (x.has_k && x.has_range) {
		cli_error("--k and --k-range both choose k: give one");
		return EXIT_USAGE;
	}
	return run(&c, &x);
}
