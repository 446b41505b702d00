/* rebuy audiences: who to contact now, why and with what, as rows a CRM
 * imports (or, with --summary, the audiences, their sizes and rules). */
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rebuy/audiences.h"
#include "rebuy/basket.h"

enum {
	OPT_AUDIENCE = 1,
	OPT_RULES,
	OPT_MODEL,
	OPT_HORIZON,
	OPT_MARGIN,
	OPT_DISCOUNT,
	OPT_SECOND_WINDOW,
	OPT_P_LAPSED,
	OPT_VALUE_Q,
	OPT_OVERDUE,
	OPT_DRIFT,
	OPT_DROP,
	OPT_LOOKBACK,
	OPT_LEAD,
	OPT_LATE,
	OPT_MIN_REPEATS,
	OPT_VIP_SHARE,
	OPT_CROSS_SHARE,
	OPT_PRODUCTS,
	OPT_NO_PRODUCTS,
	OPT_SUMMARY,
};

static const struct cli_opt own_opts[] = {
        {"audience", "LIST", OPT_AUDIENCE,
         "built-in audiences to compute, comma-separated: second_purchase, win_back, at_risk, "
         "replenishment, vip, cross_sell, or none (default: all)"},
        {"rules", "FILE", OPT_RULES, "more audiences from a rules file (docs/audiences.md)"},
        {"model", "M", OPT_MODEL, "the lifetime model: bgnbd (default), mbgnbd or pnbd"},
        {"horizon", "DAYS", OPT_HORIZON,
         "horizon of p_purchase, expected purchases and CLV (default 365.25)"},
        {"margin", "X", OPT_MARGIN, "share of spend that is profit, for CLV (default 1)"},
        {"discount-rate", "X", OPT_DISCOUNT, "yearly discount rate of CLV (default 0.1)"},
        {"second-window", "LO,HI", OPT_SECOND_WINDOW,
         "second_purchase: quantiles of the days to the second purchase (default 0.25,0.75)"},
        {"p-lapsed", "P", OPT_P_LAPSED, "win_back: P(alive) below this is lapsed (default 0.3)"},
        {"value-quantile", "Q", OPT_VALUE_Q,
         "win_back: revenue or CLV at least this quantile is valuable (default 0.5)"},
        {"overdue", "X", OPT_OVERDUE,
         "win_back: recency at least X times the customer's mean gap (default 3)"},
        {"drift", "X", OPT_DRIFT, "at_risk: recency at least X times the mean gap (default 1.5)"},
        {"drop", "P", OPT_DROP,
         "at_risk: P(alive) down by at least P over the lookback (default 0.1)"},
        {"lookback", "DAYS", OPT_LOOKBACK, "at_risk: the lookback (default 30)"},
        {"lead", "DAYS", OPT_LEAD, "replenishment: list products due within DAYS (default 7)"},
        {"late", "X", OPT_LATE,
         "replenishment: and up to X intervals past due (default 1)"},
        {"min-repeats", "N", OPT_MIN_REPEATS,
         "replenishment: a product bought on at least N days (default 2)"},
        {"vip-share", "S", OPT_VIP_SHARE, "vip: the top share by CLV (default 0.05)"},
        {"cross-sell-share", "S", OPT_CROSS_SHARE,
         "cross_sell: the top share of recommendation scores (default 0.2)"},
        {"products", "N", OPT_PRODUCTS, "recommended products per member (default 3, 0 to 20)"},
        {"no-products", NULL, OPT_NO_PRODUCTS,
         "do not read products (no replenishment, cross_sell or recommendations)"},
        {"summary", NULL, OPT_SUMMARY,
         "print the audiences (size, rule, action) instead of their members"},
        CLI_OPT_END,
};

static const struct cli_command_help help = {
        "rebuy audiences [OPTIONS] INPUT",
        "Who to contact now and why, as of --as-of (default: the day after the last purchase):\n"
        "second_purchase, win_back, at_risk, replenishment, vip and cross_sell, plus the\n"
        "audiences of a --rules file. One row per customer and audience: customer, audience,\n"
        "reason, score, suggested_action, last_purchase, expected_next_purchase, clv, p_alive,\n"
        "products. The lifetime model is fitted to the history before the as-of day; products\n"
        "(replenishment, cross-sell) need a product column. Details: docs/audiences.md.",
        own_opts,
        1,
};

struct ctx {
	struct rebuy_audience_options a;
	const char *rules;
	int no_products, summary;
};

static int number(const char *opt, const char *v, double lo, double hi, double *out)
{
	int r = cli_clv_number(opt, v, out);
	if (r)
		return r;
	if (!(*out >= lo && *out <= hi)) {
		cli_error("--%s must be in [%g, %g] (got '%s')", opt, lo, hi, v);
		return EXIT_USAGE;
	}
	return 0;
}

static int whole(const char *opt, const char *v, long long lo, long long hi, long long *out)
{
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno || end == v || *end || n < lo || n > hi) {
		cli_error("--%s needs a whole number from %lld to %lld (got '%s')", opt, lo, hi, v);
		return EXIT_USAGE;
	}
	*out = n;
	return 0;
}

static int audiences_list(struct ctx *x, const char *v)
{
	x->a.builtins = 0;
	unsigned on = 0;
	const char *s = v;
	while (*s) {
		const char *e = strchr(s, ',');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		int found = n == 4 && strncmp(s, "none", 4) == 0;
		for (int k = 0; k < REBUY_AUD_BUILTIN_COUNT && !found; k++) {
			const char *name = rebuy_audience_builtin_name((enum rebuy_audience_builtin)k);
			if (strlen(name) == n && strncmp(name, s, n) == 0) {
				on |= 1u << k;
				found = 1;
			}
		}
		if (!found) {
			cli_error("--audience: unknown audience '%.*s' (second_purchase, win_back, "
			          "at_risk, replenishment, vip, cross_sell, none)",
			          (int)n, s);
			return EXIT_USAGE;
		}
		s += n + (e != NULL);
	}
	/* none alone: no built-in; builtins 0 means all, so use a bit past them. */
	x->a.builtins = on ? on : 1u << REBUY_AUD_BUILTIN_COUNT;
	return 0;
}

static int own(void *ud, int id, const char *v)
{
	struct ctx *x = ud;
	struct rebuy_audience_options *a = &x->a;
	long long n;
	int r;
	switch (id) {
	case OPT_AUDIENCE: return audiences_list(x, v);
	case OPT_RULES: x->rules = v; return 0;
	case OPT_MODEL: return cli_count_model(v, &a->model);
	case OPT_HORIZON: return number("horizon", v, 1, 36525, &a->horizon_days);
	case OPT_MARGIN: return number("margin", v, 1e-9, 1e9, &a->margin);
	case OPT_DISCOUNT: return number("discount-rate", v, 0, 1e3, &a->discount_rate);
	case OPT_SECOND_WINDOW: {
		const char *comma = strchr(v, ',');
		char lo[64];
		if (!comma || (size_t)(comma - v) >= sizeof lo) {
			cli_error("--second-window needs LO,HI quantiles such as 0.25,0.75 (got '%s')", v);
			return EXIT_USAGE;
		}
		memcpy(lo, v, (size_t)(comma - v));
		lo[comma - v] = '\0';
		if ((r = number("second-window", lo, 0, 1, &a->second_lo)) ||
		    (r = number("second-window", comma + 1, 0, 1, &a->second_hi)))
			return r;
		if (a->second_lo > a->second_hi) {
			cli_error("--second-window: %g > %g", a->second_lo, a->second_hi);
			return EXIT_USAGE;
		}
		return 0;
	}
	case OPT_P_LAPSED: return number("p-lapsed", v, 0, 1, &a->p_lapsed);
	case OPT_VALUE_Q: return number("value-quantile", v, 0, 1, &a->value_quantile);
	case OPT_OVERDUE: return number("overdue", v, 1e-6, 1e6, &a->overdue);
	case OPT_DRIFT: return number("drift", v, 1e-6, 1e6, &a->drift);
	case OPT_DROP: return number("drop", v, 0, 1, &a->drop);
	case OPT_LOOKBACK:
		if ((r = whole("lookback", v, 1, 36525, &n)))
			return r;
		a->lookback_days = n;
		return 0;
	case OPT_LEAD:
		if ((r = whole("lead", v, 0, 36525, &n)))
			return r;
		a->lead_days = n;
		return 0;
	case OPT_LATE: return number("late", v, 0, 1e6, &a->late);
	case OPT_MIN_REPEATS:
		if ((r = whole("min-repeats", v, 2, 1000000, &n)))
			return r;
		a->min_repeats = (unsigned)n;
		return 0;
	case OPT_VIP_SHARE: return number("vip-share", v, 1e-9, 1, &a->vip_share);
	case OPT_CROSS_SHARE: return number("cross-sell-share", v, 1e-9, 1, &a->cross_sell_share);
	case OPT_PRODUCTS:
		if ((r = whole("products", v, 0, 20, &n)))
			return r;
		a->n_products = (size_t)n;
		return 0;
	case OPT_NO_PRODUCTS: x->no_products = 1; return 0;
	case OPT_SUMMARY: x->summary = 1; return 0;
	}
	return 0;
}

static int write_members(struct cli_common *c, const struct rebuy_orders *o,
                         const struct rebuy_audiences *a)
{
	struct cli_out out;
	int r = cli_out_open(&out, c->output);
	if (r)
		return r;
	struct rebuy_csv_options copts = {.raw = c->raw};
	struct rebuy_error err = {0};
	if (rebuy_audiences_write(a, o, out.f, cli_row_format(c), &copts, c->in.n_threads, &err) !=
	    REBUY_OK) {
		cli_out_abort(&out);
		return cli_fail(&err);
	}
	return cli_out_commit(&out);
}

static int write_summary(struct cli_common *c, const struct rebuy_audiences *a)
{
	struct rebuy_doc *doc = rebuy_doc_new();
	struct rebuy_node *root = rebuy_doc_root(doc);
	char day[16];
	rebuy_format_day(a->as_of_day, day, sizeof day);
	rebuy_doc_str(doc, root, "as_of", day);
	rebuy_doc_uint(doc, root, "customers", a->n_customers);
	rebuy_doc_str(doc, root, "model", rebuy_clv_model_name(a->fit.model));
	rebuy_doc_str(doc, root, "model_status", a->fit.est.status);
	rebuy_doc_num(doc, root, "second_purchase_from_days", a->second_q_lo, REBUY_SHOW_DECIMAL);
	rebuy_doc_num(doc, root, "second_purchase_to_days", a->second_q_hi, REBUY_SHOW_DECIMAL);
	struct rebuy_node *rows = rebuy_doc_arr(doc, root, "audiences");
	for (size_t k = 0; k < a->n_audiences; k++) {
		const struct rebuy_audience_info *info = &a->audiences[k];
		struct rebuy_node *r = rebuy_doc_obj(doc, rows, NULL);
		rebuy_doc_str(doc, r, "audience", info->name);
		rebuy_doc_uint(doc, r, "members", info->n_members);
		rebuy_doc_num(doc, r, "share",
		              a->n_customers ? (double)info->n_members / (double)a->n_customers : NAN,
		              REBUY_SHOW_RATE);
		rebuy_doc_str(doc, r, "suggested_action", info->action);
		rebuy_doc_str(doc, r, "definition", info->definition);
	}
	int r = cli_format_of(c) == FORMAT_JSON ? cli_write_doc(c, doc, NULL)
	                                        : cli_write_node(c, doc, rows);
	rebuy_doc_free(doc);
	return r;
}

int cmd_audiences(int argc, char **argv)
{
	/* The run allocates and frees several arrays of a few bytes per customer
	 * in turn; keeping freed memory for reuse instead of handing it back to
	 * the system spares page faults (on 1M customers, 2.5 -> 2.0 s). */
	mallopt(M_MMAP_THRESHOLD, 1 << 30);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	struct cli_common c;
	cli_common_init(&c, "audiences");
	struct ctx x = {0};
	rebuy_audience_options_init(&x.a);
	int r = cli_parse(argc, argv, &c, &help, own, &x);
	if (r)
		return r < 0 ? EXIT_OK : r;
	if (c.n_positional == 0 && !c.db) {
		cli_error("no input: give a file (or - for standard input); see rebuy audiences --help");
		return EXIT_USAGE;
	}
	x.a.n_threads = c.in.n_threads;
	cli_as_of(&c, &x.a.has_as_of, &x.a.as_of_day);
	struct rebuy_error err = {0};
	struct rebuy_audience_rules *rules = NULL;
	struct rebuy_orders *o = NULL;
	struct rebuy_baskets *b = NULL;
	struct rebuy_audiences *a = NULL;
	if (x.rules) {
		if (rebuy_audience_rules_load(x.rules, &rules, &err) != REBUY_OK)
			return cli_fail(&err);
		x.a.rules = rules;
		/* The columns the rules compare are read as attributes. */
		const char *names[REBUY_MAX_ATTRIBUTES];
		size_t n = rebuy_audience_rules_attributes(rules, names, REBUY_MAX_ATTRIBUTES);
		for (size_t i = 0; i < n && i < REBUY_MAX_ATTRIBUTES; i++) {
			size_t j = 0;
			while (j < c.in.n_attributes && strcmp(c.in.attributes[j], names[i]) != 0)
				j++;
			if (j < c.in.n_attributes)
				continue;
			if (c.in.n_attributes == REBUY_MAX_ATTRIBUTES) {
				cli_error("%s: the rules name more than %d columns", x.rules,
				          REBUY_MAX_ATTRIBUTES);
				rebuy_audience_rules_free(rules);
				return EXIT_USAGE;
			}
			c.in.attributes[c.in.n_attributes++] = names[i];
		}
	}
	if ((r = cli_load_orders(&c, &o)))
		goto out;
	int has_products = o->report.role_column[REBUY_ROLE_PRODUCT] >= 0;
	if (has_products && !x.no_products) {
		if (strcmp(c.in.path, "-") == 0) {
			cli_warn("products are not read from standard input (it cannot be read twice): "
			         "no replenishment or cross_sell; give a file");
		} else if (rebuy_baskets_read_orders(&c.in, REBUY_BASKET_ORDER, &b, &err) != REBUY_OK) {
			r = cli_fail(&err);
			goto out;
		}
	}
	if (rebuy_audiences_compute(o, b, &x.a, &a, &err) != REBUY_OK) {
		r = cli_fail(&err);
		goto out;
	}
	if (!a->fit.est.converged && !c.quiet)
		cli_warn("the %s fit did not converge: %s", rebuy_clv_model_name(a->fit.model),
		         a->fit.est.status);
	r = x.summary ? write_summary(&c, a) : write_members(&c, o, a);
out:
	rebuy_audiences_free(a);
	rebuy_baskets_free(b);
	rebuy_orders_free(o);
	rebuy_audience_rules_free(rules);
	return r;
}
