/* RFM segment maps: the default map of DESIGN.md §4 and the rules files of
 * docs/rfm.md ("segment,R,F[,M]" lines, first match wins). The text is
 * untrusted: it is read within REBUY_RFM_RULES_MAX_BYTES, lines within
 * REBUY_RFM_LINE_MAX, every score checked against 1..bins, names limited to
 * letters, digits, "_-. " and well-formed UTF-8, and every error names the
 * file and line. The default map is itself a rules text, parsed here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "rebuy/rfm.h"

/* DESIGN.md §4; it covers all 25 (R, F) cells of 5 bins. */
static const char default_rules[] = "bins,5\n"
                                    "segment,r,f\n"
                                    "champions,5,4-5\n"
                                    "loyal,3-4,4-5\n"
                                    "potential_loyalists,4-5,2-3\n"
                                    "new_customers,5,1\n"
                                    "promising,4,1\n"
                                    "need_attention,3,3\n"
                                    "about_to_sleep,3,1-2\n"
                                    "cant_lose,1-2,5\n"
                                    "at_risk,1-2,3-4\n"
                                    "hibernating,1-2,1-2\n";

/* Names with a meaning of their own in rules files and outputs. */
static const char *const reserved[] = {"other", "new", "segment", "customers", "bins"};

struct parser {
	const char *name;
	unsigned line;
	struct rebuy_error *err;
};

static size_t utf8_len(const unsigned char *s, size_t n);

/* Up to 40 bytes of s for a message: control bytes and bytes that are not
 * well-formed UTF-8 shown as '?', so that a message is printable text. */
static const char *shown(const char *s, size_t n, char *buf, size_t size)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t k = 0, i = 0;
	while (i < n && i < 40 && k + 8 < size) {
		size_t len = u[i] >= 0x80 ? utf8_len(u + i, n - i) : 1;
		if (len > 1) {
			memcpy(buf + k, s + i, len);
			k += len;
			i += len;
			continue;
		}
		buf[k++] = u[i] < 0x20 || u[i] >= 0x7f ? '?' : s[i];
		i++;
	}
	if (i < n && k + 4 < size) {
		memcpy(buf + k, "...", 3);
		k += 3;
	}
	buf[k] = '\0';
	return buf;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static enum rebuy_status
fail(struct parser *p, const char *fmt, ...)
{
	char msg[REBUY_ERROR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (p->line)
		return rebuy_error_set(p->err, REBUY_EARG, "%s:%u: %s", p->name, p->line, msg);
	return rebuy_error_set(p->err, REBUY_EARG, "%s: %s", p->name, msg);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

static void trim(const char **s, size_t *n)
{
	while (*n && is_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && is_space((*s)[*n - 1]))
		(*n)--;
}

static int lower_eq(const char *s, size_t n, const char *word)
{
	size_t k = strlen(word);
	if (n != k)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != word[i])
			return 0;
	}
	return 1;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs,
 * no surrogates, at most U+10FFFF), 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned lo = 0x80, hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

static int ascii_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A segment name: 1..NAME_MAX bytes, starting with a letter (ASCII or any
 * non-ASCII character), then letters, digits, '_', '-', '.', ' '. */
static enum rebuy_status check_name(struct parser *p, const char *s, size_t n)
{
	char buf[64];
	if (n == 0)
		return fail(p, "the segment name is empty");
	if (n > REBUY_RFM_NAME_MAX)
		return fail(p, "segment name '%s' is longer than %d bytes",
		            shown(s, n, buf, sizeof buf), REBUY_RFM_NAME_MAX);
	const unsigned char *u = (const unsigned char *)s;
	if (u[0] < 0x80 && !((u[0] >= 'a' && u[0] <= 'z') || (u[0] >= 'A' && u[0] <= 'Z')))
		return fail(p, "segment name '%s' must start with a letter",
		            shown(s, n, buf, sizeof buf));
	for (size_t i = 0; i < n;) {
		if (u[i] >= 0x80) {
			size_t k = utf8_len(u + i, n - i);
			if (!k)
				return fail(p, "segment name '%s' is not valid UTF-8",
				            shown(s, n, buf, sizeof buf));
			i += k;
			continue;
		}
		if (!ascii_alnum(u[i]) && !strchr("_-. ", s[i]))
			return fail(p,
			            "segment name '%s' has '%c': use letters, digits, '_', '-', "
			            "'.' and spaces",
			            shown(s, n, buf, sizeof buf),
			            u[i] < 0x20 || u[i] == 0x7f ? '?' : s[i]);
		i++;
	}
	for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
		if (lower_eq(s, n, reserved[i]))
			return fail(p,
			            "segment name '%s' is reserved (other, new, segment, customers "
			            "and bins have a meaning of their own)",
			            shown(s, n, buf, sizeof buf));
	return REBUY_OK;
}

/* A number of one or two digits at s[*i], advancing *i. -1 when there is
 * none (a third digit makes it too big: 100). */
static int small_number(const char *s, size_t n, size_t *i)
{
	int v = -1, digits = 0;
	while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
		v = (v < 0 ? 0 : v) * 10 + (s[*i] - '0');
		(*i)++;
		if (++digits > 2)
			return 100;
	}
	return v;
}

/* "4", "4-5", "4 - 5" or "*" (also empty, for M only) -> a range in 1..bins. */
static enum rebuy_status parse_range(struct parser *p, const char *what, const char *s, size_t n,
                                     unsigned bins, struct rebuy_rfm_range *out)
{
	char buf[64];
	if (n == 1 && s[0] == '*') {
		out->lo = 1;
		out->hi = (uint8_t)bins;
		return REBUY_OK;
	}
	size_t i = 0;
	int lo = small_number(s, n, &i), hi = lo;
	while (i < n && is_space(s[i]))
		i++;
	if (lo >= 0 && i < n && s[i] == '-') {
		i++;
		while (i < n && is_space(s[i]))
			i++;
		hi = small_number(s, n, &i);
	}
	if (lo < 0 || hi < 0 || i != n)
		return fail(
		        p, "cannot read the %s range '%s' (a score like 4, a range like 4-5, or *)",
		        what, shown(s, n, buf, sizeof buf));
	if (lo < 1 || hi > (int)bins || lo > (int)bins || hi < 1)
		return fail(p, "%s range '%s' is outside 1..%u (the scores of %u bins)", what,
		            shown(s, n, buf, sizeof buf), bins, bins);
	if (lo > hi)
		return fail(p, "%s range '%s' runs backwards (write %d-%d)", what,
		            shown(s, n, buf, sizeof buf), hi, lo);
	out->lo = (uint8_t)lo;
	out->hi = (uint8_t)hi;
	return REBUY_OK;
}

void rebuy_rfm_map_free(struct rebuy_rfm_map *map)
{
	if (!map)
		return;
	for (size_t i = 0; i < map->n_segments; i++)
		rebuy__free(map->names[i]);
	rebuy__free(map->names);
	rebuy__free(map->rules);
	rebuy__free(map->source);
	rebuy__free(map);
}

/* The segment index of a name, adding it when new. */
static enum rebuy_status segment_of(struct parser *p, struct rebuy_rfm_map *map, const char *s,
                                    size_t n, uint8_t *out)
{
	for (size_t i = 0; i < map->n_segments; i++)
		if (strlen(map->names[i]) == n && memcmp(map->names[i], s, n) == 0) {
			*out = (uint8_t)i;
			return REBUY_OK;
		}
	if (map->n_segments == REBUY_RFM_MAX_SEGMENTS)
		return rebuy_error_set(p->err, REBUY_ELIMIT, "%s:%u: more than %d segments",
		                       p->name, p->line, REBUY_RFM_MAX_SEGMENTS);
	char *name = rebuy__strndup(s, n);
	if (!name)
		return rebuy_error_set(p->err, REBUY_ENOMEM, "out of memory");
	map->names[map->n_segments] = name;
	*out = (uint8_t)map->n_segments++;
	return REBUY_OK;
}

/* The cells of each rule, first match winning, and the coverage. */
static void fill_cells(struct rebuy_rfm_map *map)
{
	const unsigned b = map->bins;
	map->uses_m = 0;
	for (size_t i = 0; i < map->n_rules; i++)
		if (map->rules[i].m.lo != 1 || map->rules[i].m.hi != b)
			map->uses_m = 1;
	memset(map->cell, (int)map->n_segments, sizeof map->cell);
	map->n_uncovered = 0;
	for (unsigned r = 1; r <= b; r++)
		for (unsigned f = 1; f <= b; f++)
			for (unsigned m = 1; m <= b; m++) {
				size_t seg = map->n_segments;
				for (size_t i = 0; i < map->n_rules; i++) {
					const struct rebuy_rfm_rule *x = &map->rules[i];
					if (r >= x->r.lo && r <= x->r.hi && f >= x->f.lo &&
					    f <= x->f.hi && m >= x->m.lo && m <= x->m.hi) {
						seg = x->segment;
						break;
					}
				}
				map->cell[((r - 1) * REBUY_RFM_BINS_MAX + (f - 1)) *
				                  REBUY_RFM_BINS_MAX +
				          (m - 1)] = (uint8_t)seg;
				if (seg == map->n_segments && (map->uses_m || m == 1))
					map->n_uncovered++;
			}
	map->n_cells = map->uses_m ? (size_t)b * b * b : (size_t)b * b;
	map->has_other = map->n_uncovered > 0;
}

/* Fields of a line split at ',', ';' or tab; at most 4 that hold text
 * (more are allowed only when empty, as spreadsheets pad rows). */
struct fields {
	const char *s[4];
	size_t n[4];
	size_t count;
};

static enum rebuy_status split(struct parser *p, const char *s, size_t n, struct fields *f)
{
	f->count = 0;
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != ',' && s[i] != ';' && s[i] != '\t')
			continue;
		const char *fs = s + start;
		size_t fn = i - start;
		trim(&fs, &fn);
		if (f->count < 4) {
			f->s[f->count] = fs;
			f->n[f->count] = fn;
		} else if (fn) {
			return fail(p, "more than 4 fields: a rule is segment,R,F[,M]");
		}
		f->count++;
		start = i + 1;
	}
	if (f->count > 4)
		f->count = 4;
	while (f->count > 3 && f->n[f->count - 1] == 0)
		f->count--;
	return REBUY_OK;
}

static enum rebuy_status bins_line(struct parser *p, const struct fields *f, unsigned given,
                                   unsigned *bins)
{
	char buf[64];
	size_t i = 0;
	int v = f->count == 2 ? small_number(f->s[1], f->n[1], &i) : -1;
	if (f->count != 2 || v < 0 || i != f->n[1])
		return fail(p, "a bins line is 'bins,N' with N from %d to %d", REBUY_RFM_BINS_MIN,
		            REBUY_RFM_BINS_MAX);
	if (v < REBUY_RFM_BINS_MIN || v > REBUY_RFM_BINS_MAX)
		return fail(p, "bins '%s' is not from %d to %d",
		            shown(f->s[1], f->n[1], buf, sizeof buf), REBUY_RFM_BINS_MIN,
		            REBUY_RFM_BINS_MAX);
	if (given && (unsigned)v != given)
		return fail(p, "the rules are for %d bins but --bins is %u", v, given);
	*bins = (unsigned)v;
	return REBUY_OK;
}

static enum rebuy_status rule_line(struct parser *p, struct rebuy_rfm_map *map,
                                   const struct fields *f, unsigned bins)
{
	enum rebuy_status st;
	if (f->count < 3)
		return fail(p, "%zu field%s: a rule is segment,R,F[,M]", f->count,
		            f->count == 1 ? "" : "s");
	if ((st = check_name(p, f->s[0], f->n[0])))
		return st;
	if (map->n_rules == REBUY_RFM_MAX_RULES)
		return rebuy_error_set(p->err, REBUY_ELIMIT, "%s:%u: more than %d rules", p->name,
		                       p->line, REBUY_RFM_MAX_RULES);
	struct rebuy_rfm_rule *x = &map->rules[map->n_rules];
	memset(x, 0, sizeof *x);
	x->line = p->line;
	if ((st = parse_range(p, "R", f->s[1], f->n[1], bins, &x->r)) ||
	    (st = parse_range(p, "F", f->s[2], f->n[2], bins, &x->f)))
		return st;
	if (f->count == 4 && f->n[3]) {
		if ((st = parse_range(p, "M", f->s[3], f->n[3], bins, &x->m)))
			return st;
	} else {
		x->m.lo = 1;
		x->m.hi = (uint8_t)bins;
	}
	if ((st = segment_of(p, map, f->s[0], f->n[0], &x->segment)))
		return st;
	map->n_rules++;
	return REBUY_OK;
}

static enum rebuy_status parse_lines(struct parser *p, struct rebuy_rfm_map *map, const char *text,
                                     size_t len, unsigned given)
{
	enum rebuy_status st;
	unsigned bins = given ? given : REBUY_RFM_DEFAULT_BINS;
	int seen_rule = 0, seen_bins = 0, seen_header = 0;
	size_t pos = 0;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;
	while (pos < len) {
		p->line++;
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		const char *s = text + pos;
		size_t n = end - pos;
		pos = end + 1;
		if (n > REBUY_RFM_LINE_MAX)
			return rebuy_error_set(p->err, REBUY_ELIMIT,
			                       "%s:%u: the line is longer than %d bytes", p->name,
			                       p->line, REBUY_RFM_LINE_MAX);
		if (n && s[n - 1] == '\r')
			n--;
		if (memchr(s, '\0', n))
			return fail(p, "a NUL byte: this is not a text file");
		trim(&s, &n);
		if (n == 0 || s[0] == '#')
			continue;
		struct fields f;
		if ((st = split(p, s, n, &f)))
			return st;
		if (lower_eq(f.s[0], f.n[0], "bins")) {
			if (seen_rule || seen_bins || seen_header)
				return fail(p, "the bins line must come first, once");
			if ((st = bins_line(p, &f, given, &bins)))
				return st;
			seen_bins = 1;
			continue;
		}
		if (lower_eq(f.s[0], f.n[0], "segment") && f.count >= 2 &&
		    lower_eq(f.s[1], f.n[1], "r")) {
			if (seen_rule || seen_header)
				return fail(p, "the header line must come before the rules");
			seen_header = 1;
			continue;
		}
		if ((st = rule_line(p, map, &f, bins)))
			return st;
		seen_rule = 1;
	}
	p->line = 0;
	if (!seen_rule)
		return fail(p, "no rules (a rule is a line segment,R,F[,M]; see docs/rfm.md)");
	map->bins = bins;
	return REBUY_OK;
}

enum rebuy_status rebuy_rfm_map_parse(struct rebuy_rfm_map **out, const char *text, size_t len,
                                      const char *name, unsigned bins, struct rebuy_error *err)
{
	*out = NULL;
	struct parser p = {.name = name ? name : "rules", .err = err};
	if (bins && (bins < REBUY_RFM_BINS_MIN || bins > REBUY_RFM_BINS_MAX))
		return rebuy_error_set(err, REBUY_EARG, "--bins %u is not from %d to %d", bins,
		                       REBUY_RFM_BINS_MIN, REBUY_RFM_BINS_MAX);
	if (len > REBUY_RFM_RULES_MAX_BYTES)
		return rebuy_error_set(err, REBUY_ELIMIT,
		                       "%s: larger than %d KiB (a rules file is a few lines)",
		                       p.name, REBUY_RFM_RULES_MAX_BYTES / 1024);
	struct rebuy_rfm_map *map = rebuy__calloc(1, sizeof *map);
	enum rebuy_status st = REBUY_ENOMEM;
	if (!map || !(map->source = rebuy__strndup(p.name, strlen(p.name))) ||
	    !(map->names = rebuy__calloc(REBUY_RFM_MAX_SEGMENTS, sizeof *map->names)) ||
	    !(map->rules = rebuy__calloc(REBUY_RFM_MAX_RULES, sizeof *map->rules))) {
		rebuy_error_set(err, st, "out of memory");
		goto out;
	}
	if ((st = parse_lines(&p, map, text, len, bins)))
		goto out;
	fill_cells(map);
	*out = map;
	return REBUY_OK;
out:
	rebuy_rfm_map_free(map);
	return st;
}

enum rebuy_status rebuy_rfm_map_default(struct rebuy_rfm_map **out, struct rebuy_error *err)
{
	return rebuy_rfm_map_parse(out, default_rules, sizeof default_rules - 1, "default", 0, err);
}

enum rebuy_status rebuy_rfm_map_load(struct rebuy_rfm_map **out, const char *path, unsigned bins,
                                     struct rebuy_error *err)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return rebuy_error_set(err, REBUY_EIO, "%s: cannot open the rules file: %s", path,
		                       strerror(errno));
	char *buf = rebuy__malloc(REBUY_RFM_RULES_MAX_BYTES + 1);
	if (!buf) {
		fclose(f);
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	}
	size_t n = fread(buf, 1, REBUY_RFM_RULES_MAX_BYTES + 1, f);
	int bad = ferror(f);
	fclose(f);
	enum rebuy_status st;
	if (bad)
		st = rebuy_error_set(err, REBUY_EIO, "%s: cannot read the rules file", path);
	else
		st = rebuy_rfm_map_parse(out, buf, n, path, bins, err);
	rebuy__free(buf);
	return st;
}

const char *rebuy_rfm_map_segment_name(const struct rebuy_rfm_map *map, size_t k)
{
	return k < map->n_segments ? map->names[k] : "other";
}

/* snprintf into buf at *k, keeping the count of the whole text. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void
put(char *buf, size_t size, size_t *k, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(*k < size ? buf + *k : NULL, *k < size ? size - *k : 0, fmt, ap);
	va_end(ap);
	if (w > 0)
		*k += (size_t)w;
}

static void put_range(char *buf, size_t size, size_t *k, const char *sep, struct rebuy_rfm_range r,
                      unsigned bins, int star)
{
	if (star && r.lo == 1 && r.hi == bins)
		put(buf, size, k, "%s*", sep);
	else if (r.lo == r.hi)
		put(buf, size, k, "%s%u", sep, (unsigned)r.lo);
	else
		put(buf, size, k, "%s%u-%u", sep, (unsigned)r.lo, (unsigned)r.hi);
}

size_t rebuy_rfm_map_describe(const struct rebuy_rfm_map *map, size_t seg, char *buf, size_t size)
{
	size_t k = 0;
	if (size)
		buf[0] = '\0';
	if (seg >= map->n_segments) {
		put(buf, size, &k, "no rule matches");
		return k;
	}
	int first = 1;
	for (size_t i = 0; i < map->n_rules; i++) {
		const struct rebuy_rfm_rule *x = &map->rules[i];
		if (x->segment != seg)
			continue;
		if (!first)
			put(buf, size, &k, " or ");
		const struct rebuy_rfm_range *rs[3] = {&x->r, &x->f, &x->m};
		static const char *const letter[3] = {"R", "F", "M"};
		int shown_any = 0;
		for (int m = 0; m < 3; m++) {
			if (rs[m]->lo == 1 && rs[m]->hi == map->bins)
				continue;
			put(buf, size, &k, "%s", shown_any ? " " : "");
			put_range(buf, size, &k, letter[m], *rs[m], map->bins, 0);
			shown_any = 1;
		}
		if (!shown_any)
			put(buf, size, &k, "any");
		first = 0;
	}
	return k;
}

size_t rebuy_rfm_map_format(const struct rebuy_rfm_map *map, char *buf, size_t size)
{
	size_t k = 0;
	if (size)
		buf[0] = '\0';
	put(buf, size, &k,
	    "# rebuy rfm segment rules (docs/rfm.md): the first rule that matches a\n"
	    "# customer's scores wins. R, F, M: a score (4), a range (4-5) or * (any).\n"
	    "bins,%u\nsegment,r,f%s\n",
	    map->bins, map->uses_m ? ",m" : "");
	for (size_t i = 0; i < map->n_rules; i++) {
		const struct rebuy_rfm_rule *x = &map->rules[i];
		put(buf, size, &k, "%s", map->names[x->segment]);
		put_range(buf, size, &k, ",", x->r, map->bins, 1);
		put_range(buf, size, &k, ",", x->f, map->bins, 1);
		if (map->uses_m)
			put_range(buf, size, &k, ",", x->m, map->bins, 1);
		put(buf, size, &k, "\n");
	}
	return k;
}
