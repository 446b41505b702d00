/* rebuy basket: frequent itemsets and association rules. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rebuy/basket.h"

enum {
	OPT_FIMI = 1,
	OPT_UNIT,
	OPT_MIN_SUPPORT,
	OPT_MAX_LEN,
	OPT_ITEMSETS,
	OPT_CLOSED,
	OPT_MAXIMAL,
	OPT_COUNTS_ONLY,
	OPT_MIN_CONF,
	OPT_MIN_LIFT,
	OPT_TOP,
	OPT_MAX_ITEMSETS,
	OPT_ITEM_NAMES,
};

static const struct cli_opt own_opts[] = {
        {"fimi", NULL, OPT_FIMI,
         "the input is FIMI: one basket per line, items separated by blanks"},
        {"basket", "B", OPT_UNIT,
         "order (default): a basket is an order; customer: everything a customer bought"},
        {"min-support", "S", OPT_MIN_SUPPORT,
         "minimum support: a count of baskets (9), a fraction (0.01) or a percentage (1%); "
         "default 1%"},
        {"max-len", "N", OPT_MAX_LEN, "itemsets (and rules) of at most N items"},
        {"itemsets", NULL, OPT_ITEMSETS, "list the frequent itemsets instead of rules"},
        {"closed", NULL, OPT_CLOSED, "with --itemsets: only closed itemsets"},
        {"maximal", NULL, OPT_MAXIMAL, "with --itemsets: only maximal itemsets"},
        {"counts-only", NULL, OPT_COUNTS_ONLY,
         "print only how many itemsets there are of each size (fast)"},
        {"min-confidence", "X", OPT_MIN_CONF, "rules: minimum confidence (default 0.5)"},
        {"min-lift", "X", OPT_MIN_LIFT, "rules: minimum lift (default: none)"},
        {"top", "N", OPT_TOP, "rules: the N best by lift, confidence, support"},
        {"max-itemsets", "N", OPT_MAX_ITEMSETS,
         "refuse more itemsets than N (default 100,000,000 listed, 20,000,000 for rules)"},
        {"item-names", "COL", OPT_ITEM_NAMES,
         "a column with the products' names (e.g. Description), shown beside their keys"},
        CLI_OPT_END,
};

static const struct cli_command_help help = {
        "rebuy basket [OPTIONS] INPUT",
        "What is bought together. Without --itemsets: association rules X -> y with support,\n"
        "confidence, lift, leverage and conviction, best first. With --itemsets: the frequent\n"
        "itemsets (all, --closed or --maximal) with their counts and support. Baskets are the\n"
        "orders of an export with a product column (or customers with --basket customer), or\n"
        "the lines of a FIMI file (--fimi). Mining is FP-growth. Details: docs/basket.md.",
        own_opts,
        1,
};

struct ctx {
	const char *item_names;
	int fimi, itemsets, counts_only;
	enum rebuy_basket_unit unit;
	const char *min_support;
	struct rebuy_mine_options mine;
	struct rebuy_rule_options rule;
	int has_max_itemsets;
	uint64_t max_itemsets;
};

static int parse_u64(const char *opt, const char *v, uint64_t min, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (errno || end == v || *end || v[0] == '-' || x < min) {
		cli_error("--%s needs a whole number >= %llu (got '%s')", opt,
		          (unsigned long long)min, v);
		return EXIT_USAGE;
	}
	*out = x;
	return 0;
}

static int own(void *ud, int id, const char *v)
{
	struct ctx *x = ud;
	uint64_t u;
	double d;
	int r;
	switch (id) {
	case OPT_FIMI: x->fimi = 1; return 0;
	case OPT_ITEM_NAMES: x->item_names = v; return 0;
	case OPT_UNIT:
		if (strcmp(v, "order") == 0)
			x->unit = REBUY_BASKET_ORDER;
		else if (strcmp(v, "customer") == 0)
			x->unit = REBUY_BASKET_CUSTOMER;
		else {
			cli_error("--basket is order or customer (got '%s')", v);
			return EXIT_USAGE;
		}
		return 0;
	case OPT_MIN_SUPPORT: x->min_support = v; return 0;
	case OPT_MAX_LEN:
		if ((r = parse_u64("max-len", v, 1, &u)))
			return r;
		x->mine.max_len = u > REBUY_ITEMSET_MAX_LEN ? REBUY_ITEMSET_MAX_LEN : (size_t)u;
		return 0;
	case OPT_ITEMSETS: x->itemsets = 1; return 0;
	case OPT_CLOSED: x->mine.target = REBUY_ITEMSETS_CLOSED; return 0;
	case OPT_MAXIMAL: x->mine.target = REBUY_ITEMSETS_MAXIMAL; return 0;
	case OPT_COUNTS_ONLY: x->counts_only = 1; return 0;
	case OPT_MIN_CONF:
		if ((r = cli_clv_number("min-confidence", v, &d)))
			return r;
		if (!(d >= 0 && d <= 1)) {
			cli_error("--min-confidence must be in [0, 1] (got '%s')", v);
			return EXIT_USAGE;
		}
		x->rule.min_confidence = d;
		return 0;
	case OPT_MIN_LIFT:
		if ((r = cli_clv_number("min-lift", v, &d)))
			return r;
		if (!(d >= 0)) {
			cli_error("--min-lift must be >= 0 (got '%s')", v);
			return EXIT_USAGE;
		}
		x->rule.min_lift = d;
		return 0;
	case OPT_TOP:
		if ((r = parse_u64("top", v, 1, &u)))
			return r;
		x->rule.top = (size_t)u;
		return 0;
	case OPT_MAX_ITEMSETS:
		if ((r = parse_u64("max-itemsets", v, 1, &x->max_itemsets)))
			return r;
		x->has_max_itemsets = 1;
		return 0;
	}
	return 0;
}

/* "9" -> 9 baskets; "0.01" -> 1 % of them; "1%" -> 1 %. Rounded up, at least 1. */
static int min_count(const char *v, uint64_t n_baskets, uint64_t *out)
{
	size_t n = strlen(v);
	int pct = n > 0 && v[n - 1] == '%';
	int frac = pct || strpbrk(v, ".eE") != NULL;
	if (!frac) {
		int r = parse_u64("min-support", v, 1, out);
		return r;
	}
	char buf[64];
	if (n >= sizeof buf) {
		cli_error("--min-support: '%s' is not a number", v);
		return EXIT_USAGE;
	}
	memcpy(buf, v, n + 1);
	if (pct)
		buf[n - 1] = 0;
	double f;
	if (cli_clv_number("min-support", buf, &f))
		return EXIT_USAGE;
	if (pct)
		f /= 100;
	if (!(f > 0 && f <= 1)) {
		cli_error("--min-support as a share must be in (0, 1] or (0%%, 100%%] (got '%s')", v);
		return EXIT_USAGE;
	}
	double c = ceil(f * (double)n_baskets - 1e-9);
	*out = c < 1 ? 1 : (uint64_t)c;
	return 0;
}

/* ---- writing ---- */

static char *put_u64_at(char *p, uint64_t v)
{
	char tmp[24];
	size_t k = 0;
	do
		tmp[k++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (k)
		*p++ = tmp[--k];
	return p;
}

static void put_u64(FILE *f, uint64_t v)
{
	char buf[24];
	fwrite(buf, 1, (size_t)(put_u64_at(buf, v) - buf), f);
}

struct names;

struct writer {
	FILE *f;
	enum cli_format fmt;
	const struct rebuy_baskets *b;
	double n;
	uint64_t written;
	int raw;
	const struct names *names;
	uint64_t limit; /* stop past this many */
};

/* A cell of CSV: quoted when it holds a delimiter, quote or line break;
 * text that a spreadsheet would run as a formula gets a leading '. */
static void csv_text(FILE *f, const char *s, int raw)
{
	int quote = strpbrk(s, ",\"\r\n") != NULL;
	int guard = !raw && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@');
	if (!quote && !guard) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	if (guard)
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void put_num(FILE *f, double v)
{
	if (!isfinite(v)) {
		fputs(v > 0 ? "inf" : "nan", f);
		return;
	}
	char buf[40];
	rebuy_format_double(v, buf, sizeof buf);
	fputs(buf, f);
}

static const char *item_name(const struct rebuy_baskets *b, uint32_t i)
{
	return b->item_names[i];
}

/* A support for the listing: 10 significant digits (the count beside it
 * is exact). */
static size_t fmt_support(char *buf, size_t size, double v)
{
	int n = snprintf(buf, size, "%.10g", v);
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}


/* The CSV cell of every item name, ready to copy (quoted where needed),
 * and the names' lengths. */
struct names {
	char **cell;
	size_t *len;
	int any_quoted;
};

static int write_itemset(void *ud, const uint32_t *items, size_t n, uint64_t count)
{
	struct writer *w = ud;
	FILE *f = w->f;
	if (w->written >= w->limit)
		return 1;
	if (w->fmt == FORMAT_JSON) {
		fputs(w->written ? ",\n    {\"items\": [" : "\n    {\"items\": [", f);
		for (size_t i = 0; i < n; i++) {
			if (i)
				fputs(", ", f);
			rebuy_json_string(f, item_name(w->b, items[i]));
		}
		fputs("], \"count\": ", f);
		put_u64(f, count);
		fputs(", \"support\": ", f);
		char sb[40];
		fmt_support(sb, sizeof sb, (double)count / w->n);
		fputs(sb, f);
		fputc('}', f);
		w->written++;
		return 0;
	}
	/* One line built in a buffer, written at once. */
	size_t len = 64;
	for (size_t i = 0; i < n; i++)
		len += w->names->len[items[i]] + 3;
	char small[4096], *line = len <= sizeof small ? small : malloc(len);
	if (!line)
		return 1;
	char *p = line;
	int quote = 0;
	for (size_t i = 0; i < n && !quote; i++)
		quote = w->names->cell[items[i]][0] == '"';
	if (!quote) {
		for (size_t i = 0; i < n; i++) {
			if (i)
				*p++ = ' ';
			memcpy(p, w->names->cell[items[i]], w->names->len[items[i]]);
			p += w->names->len[items[i]];
		}
	} else {
		/* Rare: a name that needs quotes; quote the whole cell. */
		*p++ = '"';
		for (size_t i = 0; i < n; i++) {
			if (i)
				*p++ = ' ';
			for (const char *s = item_name(w->b, items[i]); *s; s++) {
				if (*s == '"')
					*p++ = '"';
				*p++ = *s;
			}
		}
		*p++ = '"';
	}
	*p++ = ',';
	p = put_u64_at(p, n);
	*p++ = ',';
	p = put_u64_at(p, count);
	*p++ = ',';
	p += fmt_support(p, 40, (double)count / w->n);
	*p++ = '\n';
	fwrite(line, 1, (size_t)(p - line), f);
	if (line != small)
		free(line);
	w->written++;
	return 0;
}

static int names_init(struct names *nm, const struct rebuy_baskets *b, int raw)
{
	size_t n = b->n_items ? b->n_items : 1;
	nm->cell = calloc(n, sizeof *nm->cell);
	nm->len = calloc(n, sizeof *nm->len);
	if (!nm->cell || !nm->len)
		return 1;
	for (size_t i = 0; i < b->n_items; i++) {
		const char *s = b->item_names[i];
		int quote = strpbrk(s, ",\"\r\n ") != NULL ||
		            (!raw && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@'));
		size_t len = strlen(s);
		char *c = malloc(2 * len + 4);
		if (!c)
			return 1;
		char *p = c;
		if (quote) {
			*p++ = '"';
			if (!raw && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@'))
				*p++ = '\'';
			for (; *s; s++) {
				if (*s == '"')
					*p++ = '"';
				*p++ = *s;
			}
			*p++ = '"';
		} else {
			memcpy(p, s, len);
			p += len;
		}
		*p = 0;
		nm->cell[i] = c;
		nm->len[i] = (size_t)(p - c);
	}
	return 0;
}

static void names_release(struct names *nm, const struct rebuy_baskets *b)
{
	for (size_t i = 0; nm->cell && i < b->n_items; i++)
		free(nm->cell[i]);
	free(nm->cell);
	free(nm->len);
}

static void json_items(FILE *f, const struct rebuy_baskets *b, const uint32_t *items, size_t n)
{
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", f);
		rebuy_json_string(f, item_name(b, items[i]));
	}
	fputc(']', f);
}

static void csv_items(FILE *f, const struct rebuy_baskets *b, const uint32_t *items, size_t n,
                      int labels, int raw)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len += strlen(labels ? b->item_labels[items[i]] : item_name(b, items[i])) + 1;
	char *s = malloc(len + 1);
	if (!s)
		return;
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		const char *t = labels ? b->item_labels[items[i]] : item_name(b, items[i]);
		size_t k = strlen(t);
		if (i)
			s[at++] = labels ? '|' : ' ';
		memcpy(s + at, t, k);
		at += k;
	}
	s[at] = 0;
	csv_text(f, s, raw);
	free(s);
}

static void write_rules(FILE *f, enum cli_format fmt, const struct rebuy_baskets *b,
                        const struct rebuy_rules *R, int raw)
{
	int labels = b->item_labels != NULL;
	if (fmt == FORMAT_JSON) {
		fputs("{\n  \"n_baskets\": ", f);
		put_u64(f, R->n_baskets);
		fputs(",\n  \"rules\": [", f);
		for (size_t k = 0; k < R->n_rules; k++) {
			const struct rebuy_rule *r = &R->rules[k];
			fputs(k ? ",\n    {\"antecedent\": " : "\n    {\"antecedent\": ", f);
			json_items(f, b, r->antecedent, r->n_antecedent);
			fputs(", \"consequent\": ", f);
			json_items(f, b, &r->consequent, 1);
			if (labels) {
				fputs(", \"antecedent_names\": [", f);
				for (size_t i = 0; i < r->n_antecedent; i++) {
					if (i)
						fputs(", ", f);
					rebuy_json_string(f, b->item_labels[r->antecedent[i]]);
				}
				fputs("], \"consequent_names\": [", f);
				rebuy_json_string(f, b->item_labels[r->consequent]);
				fputc(']', f);
			}
			fputs(", \"support\": ", f);
			put_num(f, r->support);
			fputs(", \"confidence\": ", f);
			put_num(f, r->confidence);
			fputs(", \"lift\": ", f);
			put_num(f, r->lift);
			fputs(", \"leverage\": ", f);
			put_num(f, r->leverage);
			fputs(", \"conviction\": ", f);
			if (isfinite(r->conviction))
				put_num(f, r->conviction);
			else
				fputs("null", f);
			fputc('}', f);
		}
		fputs(R->n_rules ? "\n  ]\n}\n" : "]\n}\n", f);
		return;
	}
	fputs(labels ? "antecedent,consequent,antecedent_names,consequent_names,support,confidence,"
	               "lift,leverage,conviction\n"
	             : "antecedent,consequent,support,confidence,lift,leverage,conviction\n",
	      f);
	for (size_t k = 0; k < R->n_rules; k++) {
		const struct rebuy_rule *r = &R->rules[k];
		csv_items(f, b, r->antecedent, r->n_antecedent, 0, raw);
		fputc(',', f);
		csv_items(f, b, &r->consequent, 1, 0, raw);
		if (labels) {
			fputc(',', f);
			csv_items(f, b, r->antecedent, r->n_antecedent, 1, raw);
			fputc(',', f);
			csv_items(f, b, &r->consequent, 1, 1, raw);
		}
		fputc(',', f);
		put_num(f, r->support);
		fputc(',', f);
		put_num(f, r->confidence);
		fputc(',', f);
		put_num(f, r->lift);
		fputc(',', f);
		put_num(f, r->leverage);
		fputc(',', f);
		if (isfinite(r->conviction))
			put_num(f, r->conviction);
		fputc('\n', f);
	}
}

static void write_counts(FILE *f, enum cli_format fmt, uint64_t n_baskets,
                         const struct rebuy_mine_result *res)
{
	if (fmt == FORMAT_JSON) {
		fputs("{\n  \"n_baskets\": ", f);
		put_u64(f, n_baskets);
		fputs(",\n  \"by_size\": {", f);
		int first = 1;
		for (size_t k = 1; k <= res->longest; k++) {
			fprintf(f, "%s\"%zu\": ", first ? "" : ", ", k);
			put_u64(f, res->by_size[k]);
			first = 0;
		}
		fputs("},\n  \"total\": ", f);
		put_u64(f, res->n_itemsets);
		fputs("\n}\n", f);
		return;
	}
	fputs("size,itemsets\n", f);
	for (size_t k = 1; k <= res->longest; k++)
		fprintf(f, "%zu,%llu\n", k, (unsigned long long)res->by_size[k]);
	fprintf(f, "total,%llu\n", (unsigned long long)res->n_itemsets);
}

int cmd_basket(int argc, char **argv)
{
	struct cli_common c;
	cli_common_init(&c, "basket");
	struct ctx x = {.unit = REBUY_BASKET_ORDER};
	rebuy_mine_options_init(&x.mine);
	rebuy_rule_options_init(&x.rule);
	int r = cli_parse(argc, argv, &c, &help, own, &x);
	if (r)
		return r < 0 ? EXIT_OK : r;
	if (x.item_names && x.fimi) {
		cli_error("--item-names reads a column of an order export, not of a FIMI file");
		return EXIT_USAGE;
	}
	if (x.mine.target != REBUY_ITEMSETS_ALL && !x.itemsets && !x.counts_only) {
		cli_error("--closed and --maximal apply to --itemsets (rules come from all itemsets)");
		return EXIT_USAGE;
	}
	if (c.n_positional == 0) {
		cli_error("no input: give a file (or - for standard input); see rebuy basket --help");
		return EXIT_USAGE;
	}
	x.mine.n_threads = c.in.n_threads;
	struct rebuy_error err = {0};
	struct rebuy_baskets *b = NULL;
	enum rebuy_status st;
	if (x.fimi) {
		st = rebuy_baskets_read_fimi(c.positional[0], NULL, 0, &b, &err);
	} else {
		c.in.path = c.positional[0];
		if (x.item_names) {
			c.in.attributes[0] = x.item_names;
			c.in.n_attributes = 1;
		}
		st = rebuy_baskets_read_orders(&c.in, x.unit, &b, &err);
	}
	if (st)
		return cli_fail(&err);
	if ((r = min_count(x.min_support ? x.min_support : "1%", b->n_baskets, &x.mine.min_count))) {
		rebuy_baskets_free(b);
		return r;
	}
	enum cli_format fmt = cli_format_of(&c);
	if (fmt == FORMAT_TABLE)
		fmt = FORMAT_CSV; /* itemsets and rules are long tables: CSV on a terminal too */
	struct cli_out out;
	if ((r = cli_out_open(&out, c.output))) {
		rebuy_baskets_free(b);
		return r;
	}
	static char buf[1 << 16];
	setvbuf(out.f, buf, _IOFBF, sizeof buf);
	struct rebuy_mine_result res;
	if (x.counts_only) {
		if ((st = rebuy_itemsets_mine(b, &x.mine, NULL, NULL, &res, &err)))
			goto fail;
		write_counts(out.f, fmt, b->n_baskets, &res);
	}
	if (x.itemsets && !x.counts_only) {
		/* Listed as they are found; past the limit the listing stops, the
		 * file is dropped, and a count (fast) says how many there are. */
		uint64_t limit = x.has_max_itemsets ? x.max_itemsets : 100000000;
		struct names nm = {0};
		if (names_init(&nm, b, c.raw)) {
			names_release(&nm, b);
			st = rebuy_error_set(&err, REBUY_ENOMEM, "out of memory");
			goto fail;
		}
		struct writer w = {out.f, fmt, b, (double)b->n_baskets, 0, c.raw, &nm, limit};
		if (fmt == FORMAT_JSON) {
			fputs("{\n  \"n_baskets\": ", out.f);
			put_u64(out.f, b->n_baskets);
			fputs(",\n  \"itemsets\": [", out.f);
		} else {
			fputs("items,size,count,support\n", out.f);
		}
		st = rebuy_itemsets_mine(b, &x.mine, write_itemset, &w, &res, &err);
		names_release(&nm, b);
		if (st)
			goto fail;
		if (res.stopped) {
			if ((st = rebuy_itemsets_mine(b, &x.mine, NULL, NULL, &res, &err)))
				goto fail;
			st = rebuy_error_set(&err, REBUY_ELIMIT,
			                     "a minimum support of %llu baskets gives %llu itemsets, more "
			                     "than %llu: raise --min-support (or --max-itemsets)",
			                     (unsigned long long)x.mine.min_count,
			                     (unsigned long long)res.n_itemsets,
			                     (unsigned long long)limit);
			goto fail;
		}
		if (fmt == FORMAT_JSON)
			fputs(w.written ? "\n  ]\n}\n" : "]\n}\n", out.f);
	}
	if (x.counts_only || x.itemsets) {
		if (!c.quiet)
			fprintf(stderr,
			        "rebuy: %llu itemsets from %llu baskets (min support %llu), miner peak "
			        "%.1f MB\n",
			        (unsigned long long)res.n_itemsets, (unsigned long long)b->n_baskets,
			        (unsigned long long)x.mine.min_count, (double)res.peak_bytes / 1e6);
	} else {
		if (x.has_max_itemsets)
			x.rule.max_itemsets = x.max_itemsets;
		struct rebuy_rules *R = NULL;
		if ((st = rebuy_rules_mine(b, &x.mine, &x.rule, &R, &err)))
			goto fail;
		write_rules(out.f, fmt, b, R, c.raw);
		if (!c.quiet)
			fprintf(stderr,
			        "rebuy: %zu rules from %llu itemsets of %llu baskets (min support %llu), "
			        "peak %.1f MB\n",
			        R->n_rules, (unsigned long long)R->n_itemsets,
			        (unsigned long long)b->n_baskets, (unsigned long long)x.mine.min_count,
			        (double)R->peak_bytes / 1e6);
		rebuy_rules_free(R);
	}
	rebuy_baskets_free(b);
	return cli_out_commit(&out);
fail:
	cli_out_abort(&out);
	rebuy_baskets_free(b);
	return cli_fail(&err);
}
