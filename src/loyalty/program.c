/* Loyalty program files (docs/loyalty.md, "Program file"): one rule per
 * line, words separated by spaces, '#' starts a comment, a word with spaces
 * is written in double quotes. The text is untrusted: it is read within
 * LP_MAX_BYTES, counts are bounded, numbers are range-checked integers or
 * decimals of at most 4 places, and every error says file:line:col: what.
 * Points arithmetic is in 128 bits and rounds down.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "loyalty/program.h"
#include "rebuy/date.h"
#include "rebuy/loyalty.h"
#include "rebuy/money.h"

#define MAX_WORDS 24
#define POINTS_MAX ((int64_t)1000000000000000) /* 1e15: far from overflow in sums */

struct word {
	const char *s;
	size_t n;
	unsigned col;
};

struct parser {
	const char *name;
	unsigned line;
	struct rebuy_error *err;
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static enum rebuy_status
fail(struct parser *p, unsigned col, const char *fmt, ...)
{
	char msg[REBUY_ERROR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return rebuy_error_set(p->err, REBUY_EARG, "%s:%u:%u: %s", p->name, p->line, col, msg);
}

/* Up to 32 bytes of a word for a message, non-printable bytes as '?'. */
static const char *shown(const struct word *w, char *buf, size_t size)
{
	size_t k = 0;
	for (size_t i = 0; i < w->n && i < 32 && k + 4 < size; i++) {
		unsigned char c = (unsigned char)w->s[i];
		buf[k++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	if (w->n > 32 && k + 4 < size) {
		memcpy(buf + k, "...", 3);
		k += 3;
	}
	buf[k] = '\0';
	return buf;
}

static int word_is(const struct word *w, const char *s)
{
	return w->n == strlen(s) && memcmp(w->s, s, w->n) == 0;
}

/* Splits one line into words; returns the count or -1 (error set). */
static int split(struct parser *p, const char *s, size_t n, struct word *w)
{
	int k = 0;
	size_t i = 0;
	while (i < n) {
		char c = s[i];
		if (c == ' ' || c == '\t' || c == '\r') {
			i++;
			continue;
		}
		if (c == '#')
			break;
		if (k == MAX_WORDS) {
			fail(p, (unsigned)i + 1, "more than %d words on a line", MAX_WORDS);
			return -1;
		}
		if (c == '"') {
			size_t j = i + 1;
			while (j < n && s[j] != '"')
				j++;
			if (j == n) {
				fail(p, (unsigned)i + 1, "a quoted word without its closing quote");
				return -1;
			}
			w[k].s = s + i + 1;
			w[k].n = j - i - 1;
			w[k].col = (unsigned)i + 1;
			k++;
			i = j + 1;
			continue;
		}
		size_t j = i;
		while (j < n && s[j] != ' ' && s[j] != '\t' && s[j] != '\r' && s[j] != '#')
			j++;
		w[k].s = s + i;
		w[k].n = j - i;
		w[k].col = (unsigned)i + 1;
		k++;
		i = j;
	}
	return k;
}

/* A whole number in [lo, hi]. */
static enum rebuy_status read_int(struct parser *p, const struct word *w, int64_t lo, int64_t hi,
                                  const char *what, int64_t *out)
{
	char buf[48];
	int64_t v = 0;
	int ok = w->n > 0 && w->n <= 18;
	for (size_t i = 0; ok && i < w->n; i++)
		ok = w->s[i] >= '0' && w->s[i] <= '9';
	if (ok)
		for (size_t i = 0; i < w->n; i++)
			v = v * 10 + (w->s[i] - '0');
	if (!ok || v < lo || v > hi)
		return fail(p, w->col, "%s must be a whole number in %lld..%lld, not '%s'", what,
		            (long long)lo, (long long)hi, shown(w, buf, sizeof buf));
	*out = v;
	return REBUY_OK;
}

/* A decimal of at most 4 places in 1/10,000 units, in [lo, hi] units. */
static enum rebuy_status read_dec(struct parser *p, const struct word *w, int64_t lo, int64_t hi,
                                  const char *what, int64_t *out)
{
	char buf[48];
	int64_t v = 0;
	int ok = w->n > 0 && w->n <= 24;
	for (size_t i = 0; ok && i < w->n; i++)
		ok = (w->s[i] >= '0' && w->s[i] <= '9') || w->s[i] == '.';
	if (ok && rebuy_money_parse(w->s, w->n, '.', &v) != REBUY_NUM_OK)
		ok = 0;
	if (!ok || v < lo || v > hi) {
		char a[32], b[32];
		rebuy_money_format(lo, a, sizeof a);
		rebuy_money_format(hi, b, sizeof b);
		return fail(p, w->col,
		            "%s must be a decimal in %s..%s with at most 4 places, not '%s'", what,
		            a, b, shown(w, buf, sizeof buf));
	}
	*out = v;
	return REBUY_OK;
}

static enum rebuy_status read_name(struct parser *p, const struct word *w, const char *what,
                                   char *out)
{
	char buf[48];
	if (w->n == 0 || w->n > LP_NAME_MAX)
		return fail(p, w->col, "%s must be 1..%d bytes", what, LP_NAME_MAX);
	for (size_t i = 0; i < w->n; i++) {
		unsigned char c = (unsigned char)w->s[i];
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			return fail(p, w->col + (unsigned)i,
			            "%s '%s' holds a control byte, quote or backslash", what,
			            shown(w, buf, sizeof buf));
	}
	memcpy(out, w->s, w->n);
	out[w->n] = '\0';
	return REBUY_OK;
}

static enum rebuy_status want_words(struct parser *p, const struct word *w, int n, int lo, int hi,
                                    const char *usage)
{
	if (n < lo || n > hi) {
		unsigned col = n > hi ? w[hi < MAX_WORDS ? hi : MAX_WORDS - 1].col
		                      : w[n - 1].col + (unsigned)w[n - 1].n;
		return fail(p, col, "expected: %s", usage);
	}
	return REBUY_OK;
}

static enum rebuy_status parse_tier(struct parser *p, struct rebuy__program *prog,
                                    const struct word *w, int n)
{
	static const char usage[] =
	        "tier NAME spend AMOUNT|points N [multiplier FACTOR] [perk TEXT]...";
	enum rebuy_status st = want_words(p, w, n, 4, MAX_WORDS, usage);
	if (st)
		return st;
	if (prog->n_tiers == sizeof prog->tier / sizeof *prog->tier)
		return fail(p, w[0].col, "more than %zu tiers",
		            sizeof prog->tier / sizeof *prog->tier);
	struct lp_tier *t = &prog->tier[prog->n_tiers];
	memset(t, 0, sizeof *t);
	t->factor = LP_FACTOR_ONE;
	if ((st = read_name(p, &w[1], "a tier name", t->name)))
		return st;
	if (strcmp(t->name, "none") == 0)
		return fail(p, w[1].col, "'none' is the name of having no tier");
	for (size_t i = 0; i < prog->n_tiers; i++)
		if (strcmp(prog->tier[i].name, t->name) == 0)
			return fail(p, w[1].col, "tier '%s' is defined twice", t->name);
	if (word_is(&w[2], "spend")) {
		t->basis = LP_SPEND;
		st = read_dec(p, &w[3], 0, POINTS_MAX, "a spend threshold", &t->threshold);
	} else if (word_is(&w[2], "points")) {
		t->basis = LP_POINTS;
		st = read_int(p, &w[3], 0, POINTS_MAX, "a points threshold", &t->threshold);
	} else {
		return fail(p, w[2].col, "a tier qualifies by 'spend' or 'points'");
	}
	if (st)
		return st;
	for (int i = 4; i < n; i += 2) {
		char buf[48];
		if (i + 1 >= n)
			return fail(p, w[i].col + (unsigned)w[i].n, "'%s' needs a value",
			            shown(&w[i], buf, sizeof buf));
		if (word_is(&w[i], "multiplier")) {
			st = read_dec(p, &w[i + 1], 1, 1000 * LP_FACTOR_ONE, "a multiplier",
			              &t->factor);
		} else if (word_is(&w[i], "perk")) {
			if (t->n_perks == sizeof t->perks / sizeof *t->perks)
				return fail(p, w[i].col, "more than %zu perks",
				            sizeof t->perks / sizeof *t->perks);
			st = read_name(p, &w[i + 1], "a perk", t->perks[t->n_perks++]);
		} else {
			return fail(p, w[i].col, "expected 'multiplier' or 'perk' (%s)", usage);
		}
		if (st)
			return st;
	}
	prog->n_tiers++;
	return REBUY_OK;
}

static enum rebuy_status parse_line(struct parser *p, struct rebuy__program *prog,
                                    const struct word *w, int n, int *seen_earn)
{
	enum rebuy_status st;
	char buf[48];
	if (word_is(&w[0], "earn")) {
		if ((st = want_words(p, w, n, 4, 4, "earn POINTS per AMOUNT")))
			return st;
		if (!word_is(&w[2], "per"))
			return fail(p, w[2].col, "expected: earn POINTS per AMOUNT");
		if (*seen_earn)
			return fail(p, w[0].col, "'earn' is given twice");
		*seen_earn = 1;
		if ((st = read_int(p, &w[1], 0, 1000000, "earned points", &prog->earn_points)))
			return st;
		return read_dec(p, &w[3], 1, POINTS_MAX, "the amount per points", &prog->earn_per);
	}
	if (word_is(&w[0], "multiplier")) {
		if ((st = want_words(p, w, n, 4, 4, "multiplier product|category KEY FACTOR")))
			return st;
		if (prog->n_mult == LP_MAX_RULES)
			return fail(p, w[0].col, "more than %d multipliers", LP_MAX_RULES);
		struct lp_multiplier *m = &prog->mult[prog->n_mult];
		if (word_is(&w[1], "product"))
			m->is_category = 0;
		else if (word_is(&w[1], "category"))
			m->is_category = 1;
		else
			return fail(p, w[1].col, "a multiplier is for a 'product' or a 'category'");
		if ((st = read_name(p, &w[2], "a product or category", m->key)))
			return st;
		for (size_t i = 0; i < prog->n_mult; i++)
			if (prog->mult[i].is_category == m->is_category &&
			    strcmp(prog->mult[i].key, m->key) == 0)
				return fail(p, w[2].col, "a multiplier for '%s' is given twice",
				            m->key);
		if ((st = read_dec(p, &w[3], 0, 1000 * LP_FACTOR_ONE, "a multiplier", &m->factor)))
			return st;
		prog->n_mult++;
		return REBUY_OK;
	}
	if (word_is(&w[0], "order_bonus")) {
		if ((st = want_words(p, w, n, 3, 3, "order_bonus N POINTS")))
			return st;
		if (prog->n_bonus == sizeof prog->bonus / sizeof *prog->bonus)
			return fail(p, w[0].col, "more than %zu order bonuses",
			            sizeof prog->bonus / sizeof *prog->bonus);
		struct lp_bonus *b = &prog->bonus[prog->n_bonus];
		if ((st = read_int(p, &w[1], 1, 1000000, "the order number", &b->nth)) ||
		    (st = read_int(p, &w[2], 1, POINTS_MAX, "bonus points", &b->points)))
			return st;
		for (size_t i = 0; i < prog->n_bonus; i++)
			if (prog->bonus[i].nth == b->nth)
				return fail(p, w[1].col, "a bonus for order %lld is given twice",
				            (long long)b->nth);
		prog->n_bonus++;
		return REBUY_OK;
	}
	struct {
		const char *word;
		int64_t *field;
		int64_t lo, hi;
	} scalars[] = {
	        {"birthday_bonus", &prog->birthday_points, 0, POINTS_MAX},
	        {"tier_window_days", &prog->tier_window_days, 1, 3660},
	        {"min_redemption", &prog->min_redemption, 1, POINTS_MAX},
	        {"expiry_months", &prog->expiry_months, 0, 1200},
	        {"pending_days", &prog->pending_days, 0, 3660},
	};
	for (size_t i = 0; i < sizeof scalars / sizeof *scalars; i++) {
		if (!word_is(&w[0], scalars[i].word))
			continue;
		char usage[64];
		snprintf(usage, sizeof usage, "%s N", scalars[i].word);
		if ((st = want_words(p, w, n, 2, 2, usage)))
			return st;
		return read_int(p, &w[1], scalars[i].lo, scalars[i].hi, scalars[i].word,
		                scalars[i].field);
	}
	if (word_is(&w[0], "tier"))
		return parse_tier(p, prog, w, n);
	return fail(p, w[0].col,
	            "unknown rule '%s' (earn, multiplier, order_bonus, birthday_bonus, tier, "
	            "tier_window_days, min_redemption, expiry_months, pending_days)",
	            shown(&w[0], buf, sizeof buf));
}

enum rebuy_status rebuy__program_parse(struct rebuy__program **out, const char *text, size_t n,
                                       const char *name, struct rebuy_error *err)
{
	*out = NULL;
	struct parser p = {name ? name : "program", 0, err};
	if (n > LP_MAX_BYTES)
		return rebuy_error_set(err, REBUY_ELIMIT, "%s: a program file is at most %d bytes",
		                       p.name, LP_MAX_BYTES);
	struct rebuy__program *prog = rebuy__calloc(1, sizeof *prog);
	if (!prog)
		return rebuy_error_set(err, REBUY_ENOMEM, "%s: out of memory", p.name);
	prog->tier_window_days = 365;
	prog->min_redemption = 1;
	int seen_earn = 0;
	enum rebuy_status st = REBUY_OK;
	size_t i = 0;
	while (i < n && !st) {
		size_t j = i;
		while (j < n && text[j] != '\n')
			j++;
		p.line++;
		for (size_t k = i; k < j; k++)
			if (text[k] == '\0') {
				st = fail(&p, (unsigned)(k - i) + 1, "a NUL byte");
				break;
			}
		struct word w[MAX_WORDS];
		int nw = st ? 0 : split(&p, text + i, j - i, w);
		if (nw < 0)
			st = REBUY_EARG;
		else if (nw > 0)
			st = parse_line(&p, prog, w, nw, &seen_earn);
		i = j + 1;
	}
	if (!st && !seen_earn) {
		p.line = p.line ? p.line : 1;
		st = fail(&p, 1, "the program has no 'earn POINTS per AMOUNT' rule");
	}
	if (st) {
		rebuy__free(prog);
		return st;
	}
	*out = prog;
	return REBUY_OK;
}

enum rebuy_status rebuy__program_load(struct rebuy__program **out, char **text, const char *path,
                                      struct rebuy_error *err)
{
	*out = NULL;
	*text = NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return rebuy_error_set(err, REBUY_EIO, "%s: cannot open: %s", path,
		                       strerror(errno));
	char *buf = rebuy__malloc(LP_MAX_BYTES + 2);
	if (!buf) {
		fclose(f);
		return rebuy_error_set(err, REBUY_ENOMEM, "%s: out of memory", path);
	}
	size_t n = fread(buf, 1, LP_MAX_BYTES + 1, f);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		rebuy__free(buf);
		return rebuy_error_set(err, REBUY_EIO, "%s: cannot read", path);
	}
	buf[n] = '\0';
	enum rebuy_status st = rebuy__program_parse(out, buf, n, path, err);
	if (st) {
		rebuy__free(buf);
		return st;
	}
	*text = buf;
	return REBUY_OK;
}

__extension__ typedef __int128 i128;

static int64_t factor_of(const struct rebuy__program *p, const char *product, const char *category)
{
	if (product)
		for (size_t i = 0; i < p->n_mult; i++)
			if (!p->mult[i].is_category && strcmp(p->mult[i].key, product) == 0)
				return p->mult[i].factor;
	if (category)
		for (size_t i = 0; i < p->n_mult; i++)
			if (p->mult[i].is_category && strcmp(p->mult[i].key, category) == 0)
				return p->mult[i].factor;
	return LP_FACTOR_ONE;
}

/* floor(amount * earn_points * factor * tier / (earn_per * 10^8)); amounts are >= 0. */
static int64_t line_points(const struct rebuy__program *p, int64_t amount, int64_t factor,
                           int64_t tier)
{
	if (amount <= 0)
		return 0;
	if (amount > POINTS_MAX) /* 1e11 currency units: keeps the products within 128 bits */
		amount = POINTS_MAX;
	i128 num = (i128)amount * p->earn_points * factor;
	i128 q = num / p->earn_per; /* floor(a*e*f/per) then the tier factor, both in 1e4 */
	i128 r = num % p->earn_per;
	/* exact floor of (q + r/per) * tier / 1e8 */
	i128 total = (q * tier + r * tier / p->earn_per) / ((i128)LP_FACTOR_ONE * LP_FACTOR_ONE);
	return total > POINTS_MAX ? POINTS_MAX : (int64_t)total;
}

int64_t rebuy__program_points(const struct rebuy__program *p, int64_t amount,
                              const struct rebuy_loyalty_line *lines, size_t n_lines,
                              int64_t tier_factor)
{
	if (n_lines == 0)
		return line_points(p, amount, LP_FACTOR_ONE, tier_factor);
	int64_t sum = 0;
	for (size_t i = 0; i < n_lines; i++) {
		int64_t f = factor_of(p, lines[i].product, lines[i].category);
		sum += line_points(p, lines[i].amount, f, tier_factor);
		if (sum > POINTS_MAX)
			sum = POINTS_MAX;
	}
	return sum;
}

int rebuy__program_tier(const struct rebuy__program *p, int64_t spend, int64_t points)
{
	int best = -1;
	for (size_t i = 0; i < p->n_tiers; i++) {
		const struct lp_tier *t = &p->tier[i];
		int64_t v = t->basis == LP_SPEND ? spend : points;
		if (v >= t->threshold)
			best = (int)i;
	}
	return best;
}

int64_t rebuy__add_months(int64_t t, int64_t n)
{
	static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int64_t day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t sec = t - day * 86400;
	int64_t y;
	unsigned m, d;
	rebuy_civil_from_days(day, &y, &m, &d);
	int64_t mi = (int64_t)(m - 1) + n;
	y += mi >= 0 ? mi / 12 : -((-mi + 11) / 12);
	mi = ((mi % 12) + 12) % 12;
	unsigned dim = mdays[mi];
	if (mi == 1 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		dim = 29;
	if (d > dim)
		d = dim;
	return rebuy_days_from_civil(y, (unsigned)mi + 1, d) * 86400 + sec;
}
