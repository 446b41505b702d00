/* rebuy gen: synthetic orders from a known model, as CSV in time order; with
 * --campaign-out, a randomized campaign with a known effect (gen.h), its
 * customer list, and what it truly did. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
	OPT_N = 1,
	OPT_MODEL,
	OPT_R,
	OPT_ALPHA,
	OPT_S,
	OPT_BETA,
	OPT_A,
	OPT_B,
	OPT_P,
	OPT_Q,
	OPT_GAMMA,
	OPT_START,
	OPT_WEEKS,
	OPT_ACQ,
	OPT_SEED,
	OPT_DATE_ONLY,
	OPT_CAMP_OUT,
	OPT_CAMP_DATE,
	OPT_CAMP_SHARE,
	OPT_SEASONALITY,
	OPT_CAMP_EFFECT,
	OPT_CAMP_WINDOW,
	OPT_CAMP_TRUTH,
};

static const struct cli_opt own_opts[] = {
        {"customers", "N", OPT_N, "customers to simulate (default 10000)"},
        {"model", "M", OPT_MODEL, "pnbd (Pareto/NBD, default) or bgnbd (BG/NBD)"},
        {"r", "X", OPT_R, "purchase rate shape: lambda ~ Gamma(r, alpha) (default 0.55)"},
        {"alpha", "X", OPT_ALPHA, "purchase rate scale, in weeks (default 10.58)"},
        {"s", "X", OPT_S, "Pareto/NBD dropout shape: mu ~ Gamma(s, beta) (default 0.61)"},
        {"beta", "X", OPT_BETA, "Pareto/NBD dropout scale, in weeks (default 11.67)"},
        {"a", "X", OPT_A, "BG/NBD dropout: p ~ Beta(a, b) (default 0.79)"},
        {"b", "X", OPT_B, "BG/NBD dropout (default 2.43)"},
        {"p", "X", OPT_P, "Gamma-Gamma spend shape per order (default 6.25)"},
        {"q", "X", OPT_Q, "Gamma-Gamma shape of the customer's scale (default 3.74)"},
        {"gamma", "X", OPT_GAMMA, "Gamma-Gamma rate of the customer's scale (default 15.44)"},
        {"start", "DATE", OPT_START, "the first possible purchase day (default 2024-01-01)"},
        {"weeks", "W", OPT_WEEKS, "weeks of history from the start (default 78)"},
        {"acquisition-weeks", "W", OPT_ACQ,
         "first purchases spread over this many weeks from the start (default 12)"},
        {"seed", "N", OPT_SEED, "random seed (default 1): the same seed gives the same bytes"},
        {"date-only", NULL, OPT_DATE_ONLY, "write dates without the time of day"},
        {"campaign-out", "FILE", OPT_CAMP_OUT,
         "simulate a campaign and write its customers here: customer_id,group,send_date"},
        {"campaign-date", "DATE", OPT_CAMP_DATE,
         "the send day; customers whose first purchase is before it are in the campaign"},
        {"seasonality", "A", OPT_SEASONALITY,
         "yearly seasonality of repeat purchases, 0 to below 1: the rate times 1 + A cos(...) "
         "peaking on 15 December (default 0)"},
        {"campaign-share", "X", OPT_CAMP_SHARE,
         "the chance that a campaign customer is treated (default 0.5)"},
        {"campaign-effect", "X", OPT_CAMP_EFFECT,
         "treated customers buy at rate lambda x (1 + X) in the window (default 0; -1..1000)"},
        {"campaign-window", "DAYS", OPT_CAMP_WINDOW,
         "the window from the send day in which the effect acts (default 30)"},
        {"campaign-truth", "FILE", OPT_CAMP_TRUTH,
         "write the campaign's true effect (both outcomes of every customer) as JSON"},
        CLI_OPT_END,
};

static const struct cli_command_help help = {
        "rebuy gen [OPTIONS] [-o FILE]",
        "Synthetic orders (customer_id, order_id, order_date, amount) drawn from a Pareto/NBD or\n"
        "BG/NBD purchase process with Gamma-Gamma spend, in time order with customers\n"
        "interleaved, as shops export them. Byte-identical for a given seed. Rates are per week.\n"
        "With --campaign-out and --campaign-date, a randomized campaign with a known effect:\n"
        "the campaign's customers, and its true effect on stderr (and --campaign-truth).\n"
        "Details: docs/gen.md.",
        own_opts,
        0,
};

struct ctx {
	struct rebuy_gen_params p;
	int date_only;
	const char *camp_out, *camp_truth;
	int has_camp_date, has_camp_option;
};

static int number(const char *opt, const char *v, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (*v == '\0' || *end || errno || !isfinite(d)) {
		cli_error("--%s: '%s' is not a number", opt, v);
		return EXIT_USAGE;
	}
	*out = d;
	return 0;
}

static int count(const char *opt, const char *v, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (*v == '\0' || *v == '-' || *end || errno) {
		cli_error("--%s: '%s' is not a whole number", opt, v);
		return EXIT_USAGE;
	}
	*out = n;
	return 0;
}

static int own(void *ud, int id, const char *v)
{
	struct ctx *x = ud;
	struct rebuy_gen_params *p = &x->p;
	switch (id) {
	case OPT_N: return count("customers", v, &p->n_customers);
	case OPT_MODEL:
		if (strcmp(v, "pnbd") == 0)
			p->model = REBUY_GEN_PNBD;
		else if (strcmp(v, "bgnbd") == 0)
			p->model = REBUY_GEN_BGNBD;
		else {
			cli_error("--model: '%s' is not pnbd or bgnbd", v);
			return EXIT_USAGE;
		}
		return 0;
	case OPT_R: return number("r", v, &p->r);
	case OPT_ALPHA: return number("alpha", v, &p->alpha);
	case OPT_S: return number("s", v, &p->s);
	case OPT_BETA: return number("beta", v, &p->beta);
	case OPT_A: return number("a", v, &p->a);
	case OPT_B: return number("b", v, &p->b);
	case OPT_P: return number("p", v, &p->p);
	case OPT_Q: return number("q", v, &p->q);
	case OPT_GAMMA: return number("gamma", v, &p->gamma);
	case OPT_START: return cli_day("start", v, &p->start_day);
	case OPT_WEEKS: return number("weeks", v, &p->weeks);
	case OPT_ACQ: return number("acquisition-weeks", v, &p->acquisition_weeks);
	case OPT_SEED: return count("seed", v, &p->seed);
	case OPT_DATE_ONLY: x->date_only = 1; return 0;
	case OPT_CAMP_OUT: x->camp_out = v; return 0;
	case OPT_CAMP_TRUTH:
		x->camp_truth = v;
		x->has_camp_option = 1;
		return 0;
	case OPT_CAMP_DATE:
		x->has_camp_date = x->has_camp_option = 1;
		return cli_day("campaign-date", v, &p->campaign_day);
	case OPT_SEASONALITY: return number("seasonality", v, &p->seasonality);
	case OPT_CAMP_SHARE:
		x->has_camp_option = 1;
		return number("campaign-share", v, &p->campaign_share);
	case OPT_CAMP_EFFECT:
		x->has_camp_option = 1;
		return number("campaign-effect", v, &p->campaign_effect);
	case OPT_CAMP_WINDOW: {
		uint64_t n;
		int r = count("campaign-window", v, &n);
		if (r)
			return r;
		if (n < 1 || n > 3650) {
			cli_error("--campaign-window: '%s' is not a number of days from 1 to 3650",
			          v);
			return EXIT_USAGE;
		}
		x->has_camp_option = 1;
		p->campaign_window_days = (int64_t)n;
		return 0;
	}
	}
	return 0;
}

/* Decimal digits of v, right to left, ending at end; returns the start. */
static char *digits(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

static void two(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

/* The campaign's customers, in customer order. */
static int write_campaign(const struct ctx *x, const struct rebuy_gen *g)
{
	struct cli_out out;
	int r = cli_out_open(&out, x->camp_out);
	if (r)
		return r;
	char day[48];
	rebuy_format_day(x->p.campaign_day, day, sizeof day);
	fputs("customer_id,group,send_date\n", out.f);
	for (uint64_t c = 1; c <= x->p.n_customers; c++) {
		int k = rebuy_gen_campaign_group(g, c);
		if (k >= 0)
			fprintf(out.f, "%llu,%s,%s\n", (unsigned long long)c,
			        k ? "treatment" : "control", day);
	}
	return cli_out_commit(&out);
}

static void group_doc(struct rebuy_doc *doc, struct rebuy_node *parent, const char *name,
                      const struct rebuy_gen_campaign_truth *t, int k, int has)
{
	struct rebuy_node *o = rebuy_doc_obj(doc, parent, name);
	rebuy_doc_uint(doc, o, "customers", t->customers[k]);
	static const char *const outcome[2] = {"without_campaign", "with_campaign"};
	for (int w = 0; w < 2; w++) {
		struct rebuy_node *v = rebuy_doc_obj(doc, o, outcome[w]);
		rebuy_doc_bool(doc, v, "observed", w == has);
		rebuy_doc_uint(doc, v, "converted", t->converted[k][w]);
		rebuy_doc_uint(doc, v, "orders", t->orders[k][w]);
		rebuy_doc_money(doc, v, "revenue", t->revenue[k][w]);
	}
}

/* The truth as JSON (docs/gen.md), and one line of it on stderr. */
static int write_truth(const struct cli_common *c, const struct ctx *x,
                       const struct rebuy_gen_campaign_truth *t)
{
	if (!c->quiet)
		fprintf(stderr,
		        "rebuy: campaign: %llu treated, %llu control; true effect over them: "
		        "conversion %+.4f, orders per customer %+.4f, revenue per customer %+.2f\n",
		        (unsigned long long)t->customers[1], (unsigned long long)t->customers[0],
		        t->ate_conversion, t->ate_orders, t->ate_revenue);
	if (!x->camp_truth)
		return 0;
	struct rebuy_doc *doc = rebuy_doc_new();
	struct rebuy_node *root = rebuy_doc_root(doc);
	char day[48];
	rebuy_format_day(x->p.campaign_day, day, sizeof day);
	rebuy_doc_str(doc, root, "send_date", day);
	rebuy_doc_int(doc, root, "window_days", x->p.campaign_window_days);
	rebuy_doc_num(doc, root, "share", x->p.campaign_share, REBUY_SHOW_PLAIN);
	rebuy_doc_num(doc, root, "effect", x->p.campaign_effect, REBUY_SHOW_PLAIN);
	rebuy_doc_uint(doc, root, "seed", x->p.seed);
	struct rebuy_node *all = rebuy_doc_obj(doc, root, "ate");
	rebuy_doc_num(doc, all, "conversion_rate", t->ate_conversion, REBUY_SHOW_PLAIN);
	rebuy_doc_num(doc, all, "orders_per_customer", t->ate_orders, REBUY_SHOW_PLAIN);
	rebuy_doc_num(doc, all, "revenue_per_customer", t->ate_revenue, REBUY_SHOW_PLAIN);
	struct rebuy_node *tr = rebuy_doc_obj(doc, root, "att");
	rebuy_doc_num(doc, tr, "conversion_rate", t->att_conversion, REBUY_SHOW_PLAIN);
	rebuy_doc_num(doc, tr, "orders_per_customer", t->att_orders, REBUY_SHOW_PLAIN);
	rebuy_doc_num(doc, tr, "revenue_per_customer", t->att_revenue, REBUY_SHOW_PLAIN);
	rebuy_doc_money(doc, root, "incremental_revenue", t->incremental_revenue);
	struct rebuy_node *groups = rebuy_doc_obj(doc, root, "groups");
	group_doc(doc, groups, "treatment", t, 1, 1);
	group_doc(doc, groups, "control", t, 0, 0);
	struct cli_out out;
	int r = cli_out_open(&out, x->camp_truth);
	if (!r) {
		enum rebuy_status st = rebuy_doc_write_json(doc, NULL, out.f);
		if (st != REBUY_OK) {
			cli_out_abort(&out);
			cli_error("%s: %s", x->camp_truth, rebuy_status_name(st));
			r = EXIT_FAIL;
		} else {
			r = cli_out_commit(&out);
		}
	}
	rebuy_doc_free(doc);
	return r;
}

static int check_campaign_options(struct ctx *x)
{
	if (!x->camp_out) {
		if (x->has_camp_option) {
			cli_error("the --campaign options need --campaign-out FILE (where the "
			          "campaign's customers go)");
			return EXIT_USAGE;
		}
		return 0;
	}
	if (!x->has_camp_date) {
		cli_error("--campaign-out needs --campaign-date DATE (the send day)");
		return EXIT_USAGE;
	}
	x->p.has_campaign = 1;
	return 0;
}

int cmd_gen(int argc, char **argv)
{
	struct cli_common c;
	cli_common_init(&c, "gen");
	struct ctx x;
	memset(&x, 0, sizeof x);
	rebuy_gen_params_init(&x.p);
	int r = cli_parse(argc, argv, &c, &help, own, &x);
	if (r)
		return r < 0 ? EXIT_OK : r;
	if (c.n_positional > 0) {
		cli_error("gen takes no input file (did you mean -o %s?)", c.positional[0]);
		return EXIT_USAGE;
	}
	if ((r = check_campaign_options(&x)))
		return r;
	struct rebuy_error err = {0};
	struct rebuy_gen *g = rebuy_gen_new(&x.p, &err);
	if (!g)
		return cli_fail(&err);
	struct cli_out out;
	if ((r = cli_out_open(&out, c.output))) {
		rebuy_gen_free(g);
		return r;
	}
	static char buf[1 << 16];
	size_t n = 0;
	const char *header = "customer_id,order_id,order_date,amount\n";
	fputs(header, out.f);
	int64_t cached_day = INT64_MIN;
	char day_text[16];
	struct rebuy_gen_order ord;
	while (rebuy_gen_next(g, &ord)) {
		if (n > sizeof buf - 128) {
			fwrite(buf, 1, n, out.f);
			n = 0;
		}
		char tmp[24], *e = tmp + sizeof tmp, *s;
		s = digits(e, ord.customer);
		memcpy(buf + n, s, (size_t)(e - s));
		n += (size_t)(e - s);
		buf[n++] = ',';
		s = digits(e, ord.order);
		memcpy(buf + n, s, (size_t)(e - s));
		n += (size_t)(e - s);
		buf[n++] = ',';
		int64_t day = rebuy_day_of(ord.ts);
		if (day != cached_day) {
			rebuy_format_day(day, day_text, sizeof day_text);
			cached_day = day;
		}
		size_t dl = strlen(day_text);
		memcpy(buf + n, day_text, dl);
		n += dl;
		if (!x.date_only) {
			unsigned sec = (unsigned)(ord.ts - day * 86400);
			buf[n++] = ' ';
			two(buf + n, sec / 3600);
			buf[n + 2] = ':';
			two(buf + n + 3, sec / 60 % 60);
			buf[n + 5] = ':';
			two(buf + n + 6, sec % 60);
			n += 8;
		}
		buf[n++] = ',';
		uint64_t cents = (uint64_t)(ord.amount / 100);
		s = digits(e, cents / 100);
		memcpy(buf + n, s, (size_t)(e - s));
		n += (size_t)(e - s);
		buf[n++] = '.';
		two(buf + n, (unsigned)(cents % 100));
		n += 2;
		buf[n++] = '\n';
	}
	fwrite(buf, 1, n, out.f);
	if (x.p.has_campaign) {
		struct rebuy_gen_campaign_truth truth;
		if (rebuy_gen_campaign_truth(g, &truth, &err) != REBUY_OK) {
			cli_out_abort(&out);
			rebuy_gen_free(g);
			return cli_fail(&err);
		}
		if ((r = write_campaign(&x, g)) || (r = write_truth(&c, &x, &truth))) {
			cli_out_abort(&out);
			rebuy_gen_free(g);
			return r;
		}
	}
	rebuy_gen_free(g);
	return cli_out_commit(&out);
}
