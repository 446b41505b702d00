/* CSV and whitespace-separated rows (RFC 4180 with the leniencies listed in
 * csv.h). The scanner for unquoted fields looks at 16 bytes at a time with
 * SSE2 where the machine has it: finding the next delimiter or line break is
 * the hot loop of reading a large export. */
#include "ingest/csv.h"

#include <string.h>

#include "rebuy/input.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* The offset of the first byte at or after i that is a or b, or len. */
static inline size_t find2(const char *buf, size_t i, size_t len, char a, char b)
{
#if defined(__SSE2__)
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
	while (i + 16 <= len) {
		__m128i x = _mm_loadu_si128((const __m128i *)(buf + i));
		unsigned m = (unsigned)_mm_movemask_epi8(
		        _mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)));
		if (m)
			return i + (size_t)__builtin_ctz(m);
		i += 16;
	}
#endif
	while (i < len && buf[i] != a && buf[i] != b)
		i++;
	return i;
}

/* memrchr is a GNU extension. */
static const char *last_newline(const char *buf, size_t len)
{
	while (len > 0)
		if (buf[--len] == '\n')
			return buf + len;
	return NULL;
}

static uint64_t count_newlines(const char *p, size_t n)
{
	uint64_t k = 0;
	const char *end = p + n;
	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		k++;
		p++;
	}
	return k;
}

static inline void put_field(struct rebuy__csv_field *fields, size_t max_fields, size_t nf,
                             const char *p, size_t n, int quoted)
{
	if (nf < max_fields) {
		fields[nf].p = p;
		fields[nf].n = (uint32_t)n;
		fields[nf].quoted = (uint32_t)quoted;
	}
}

static inline int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static enum rebuy__csv_row_status whitespace_row(char *buf, size_t len, size_t *pos,
                                                 struct rebuy__csv_field *fields, size_t max_fields,
                                                 size_t *n_fields, uint64_t *newlines)
{
	size_t i = *pos, nf = 0;
	size_t eol = find2(buf, i, len, '\n', '\n');
	size_t end = eol;
	if (end > i && buf[end - 1] == '\r')
		end--;
	while (i < end) {
		while (i < end && (is_blank(buf[i]) || buf[i] == '\r'))
			i++;
		if (i >= end)
			break;
		size_t start = i;
		while (i < end && !is_blank(buf[i]))
			i++;
		put_field(fields, max_fields, nf++, buf + start, i - start, 0);
	}
	if (nf == 0) /* a blank line: one empty field, as in CSV */
		put_field(fields, max_fields, nf++, buf + *pos, 0, 0);
	*n_fields = nf;
	*newlines = eol < len;
	*pos = eol < len ? eol + 1 : len;
	return REBUY__CSV_ROW;
}

#if defined(__SSE2__)
/* A row with no quote in it, read 16 bytes at a time: one mask of the
 * delimiters, line breaks and quotes per 16 bytes, and a field end per set
 * bit. Returns 0, having changed nothing, for anything else (a quote
 * anywhere in the row, or a row running into the last 16 bytes of the
 * buffer); the general reader then takes the row. */
static int quoteless_row(char delim, const char *buf, size_t len, size_t *pos,
                         struct rebuy__csv_field *fields, size_t max_fields, size_t *n_fields)
{
	const __m128i vd = _mm_set1_epi8(delim), vn = _mm_set1_epi8('\n'), vq = _mm_set1_epi8('"');
	size_t i = *pos, start = i, nf = 0;
	while (i + 16 <= len) {
		__m128i x = _mm_loadu_si128((const __m128i *)(buf + i));
		unsigned m = (unsigned)_mm_movemask_epi8(
		        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, vd), _mm_cmpeq_epi8(x, vn)),
		                     _mm_cmpeq_epi8(x, vq)));
		while (m) {
			size_t j = i + (size_t)__builtin_ctz(m);
			m &= m - 1;
			char c = buf[j];
			if (c == '"')
				return 0;
			size_t end = j;
			if (c == '\n' && end > start && buf[end - 1] == '\r')
				end--;
			put_field(fields, max_fields, nf++, buf + start, end - start, 0);
			start = j + 1;
			if (c == '\n') {
				*pos = start;
				*n_fields = nf;
				return 1;
			}
		}
		i += 16;
	}
	return 0;
}
#endif

enum rebuy__csv_row_status rebuy__csv_row(const struct rebuy__csv_dialect *d, char *buf, size_t len,
                                          size_t *pos, struct rebuy__csv_field *fields,
                                          size_t max_fields, size_t *n_fields, uint64_t *newlines)
{
	size_t i = *pos;
	if (i >= len)
		return REBUY__CSV_END;
	if (d->whitespace)
		return whitespace_row(buf, len, pos, fields, max_fields, n_fields, newlines);
#if defined(__SSE2__) && !defined(REBUY_CSV_NO_FAST)
	if (quoteless_row(d->delim, buf, len, pos, fields, max_fields, n_fields)) {
		*newlines = 1;
		return REBUY__CSV_ROW;
	}
#endif
	const char delim = d->delim;
	size_t nf = 0;
	uint64_t nl = 0;
	for (;;) {
		if (i < len && buf[i] == '"') {
			size_t start = i + 1, w = start, r = start;
			for (;;) {
				const char *q = memchr(buf + r, '"', len - r);
				if (!q)
					return REBUY__CSV_UNTERMINATED;
				size_t qi = (size_t)(q - buf);
				nl += count_newlines(buf + r, qi - r);
				if (w != r)
					memmove(buf + w, buf + r, qi - r);
				w += qi - r;
				if (qi + 1 < len && buf[qi + 1] == '"') {
					buf[w++] = '"';
					r = qi + 2;
					continue;
				}
				r = qi + 1;
				break;
			}
			/* Text after the closing quote joins the field. */
			while (r < len && buf[r] != delim && buf[r] != '\n') {
				if (buf[r] == '\r' && (r + 1 == len || buf[r + 1] == '\n')) {
					r++;
					continue;
				}
				buf[w++] = buf[r++];
			}
			put_field(fields, max_fields, nf++, buf + start, w - start, 1);
			i = r;
		} else {
			size_t start = i;
			i = find2(buf, i, len, delim, '\n');
			size_t end = i;
			/* CR LF ends a row; a CR before a delimiter is data. */
			if (end > start && buf[end - 1] == '\r' && (i >= len || buf[i] == '\n'))
				end--;
			put_field(fields, max_fields, nf++, buf + start, end - start, 0);
		}
		if (i >= len)
			break;
		if (buf[i] == delim) {
			i++;
			continue;
		}
		i++; /* the line break */
		nl++;
		break;
	}
	*n_fields = nf;
	*newlines = nl;
	*pos = i < len ? i : len;
	return REBUY__CSV_ROW;
}

size_t rebuy__csv_last_row_end(const struct rebuy__csv_dialect *d, const char *buf, size_t len)
{
	if (d->whitespace || !memchr(buf, '"', len)) {
		const char *nl = last_newline(buf, len);
		return nl ? (size_t)(nl - buf) + 1 : 0;
	}
	size_t last = 0, i = 0;
	const char delim = d->delim;
	while (i < len) {
		/* At a field start. */
		if (buf[i] == '"') {
			i++;
			for (;;) {
				const char *q = memchr(buf + i, '"', len - i);
				if (!q)
					return last;
				i = (size_t)(q - buf) + 1;
				if (i >= len)
					return last; /* cannot tell "" from a closing quote yet */
				if (buf[i] == '"') {
					i++;
					continue;
				}
				break;
			}
		}
		i = find2(buf, i, len, delim, '\n');
		if (i >= len)
			break;
		if (buf[i] == '\n')
			last = i + 1;
		i++;
	}
	return last;
}

/* Fields per line for one candidate delimiter, quotes respected. */
static size_t fields_in_line(const char *p, const char *end, char delim, const char **next)
{
	size_t n = 1;
	int in_quotes = 0, at_start = 1;
	while (p < end) {
		char c = *p++;
		if (in_quotes) {
			if (c == '"') {
				if (p < end && *p == '"')
					p++;
				else
					in_quotes = 0;
			}
			continue;
		}
		if (c == '\n')
			break;
		if (c == '"' && at_start) {
			in_quotes = 1;
			at_start = 0;
		} else if (c == delim) {
			n++;
			at_start = 1;
		} else {
			at_start = 0;
		}
	}
	*next = p;
	return n;
}

static size_t blank_fields_in_line(const char *p, const char *end, const char **next)
{
	size_t n = 0;
	int in_field = 0;
	while (p < end && *p != '\n') {
		int blank = is_blank(*p) || *p == '\r';
		if (!blank && !in_field)
			n++;
		in_field = !blank;
		p++;
	}
	*next = p < end ? p + 1 : p;
	return n;
}

#define SNIFF_LINES 64

/* 1 when [p, next) is an empty line: nothing but its LF or CR LF. */
static int is_empty_line(const char *p, const char *next)
{
	size_t n = (size_t)(next - p);
	if (n > 0 && p[n - 1] == '\n')
		n--;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n == 0;
}

/* The most common count among counts[0..n) and how many lines have it. */
static size_t mode_of(const size_t *counts, size_t n, size_t *freq)
{
	size_t best = 0, best_f = 0;
	for (size_t i = 0; i < n; i++) {
		size_t f = 0;
		for (size_t j = 0; j < n; j++)
			f += counts[j] == counts[i];
		if (f > best_f || (f == best_f && counts[i] > best)) {
			best = counts[i];
			best_f = f;
		}
	}
	*freq = best_f;
	return best;
}

char rebuy__csv_sniff_delimiter(const char *buf, size_t len)
{
	static const char candidates[] = {',', ';', '\t', '|'};
	const char *end = buf + len;
	/* Only whole lines count: a sample may end inside a row. */
	const char *last_nl = last_newline(buf, len);
	if (last_nl && (size_t)(last_nl - buf) + 1 < len)
		end = last_nl + 1;
	char best = 0;
	size_t best_fields = 1;
	for (size_t c = 0; c < sizeof candidates; c++) {
		size_t counts[SNIFF_LINES], n = 0;
		const char *p = buf;
		while (p < end && n < SNIFF_LINES) {
			const char *next;
			size_t k = fields_in_line(p, end, candidates[c], &next);
			if (!is_empty_line(p, next))
				counts[n++] = k;
			p = next;
		}
		if (n == 0)
			continue;
		size_t freq, m = mode_of(counts, n, &freq);
		if (m > best_fields && freq * 10 >= n * 9) {
			best = candidates[c];
			best_fields = m;
		}
	}
	if (best)
		return best;
	size_t counts[SNIFF_LINES], n = 0;
	const char *p = buf;
	while (p < end && n < SNIFF_LINES) {
		const char *next;
		size_t k = blank_fields_in_line(p, end, &next);
		if (k > 0)
			counts[n++] = k;
		p = next;
	}
	size_t freq, m = n ? mode_of(counts, n, &freq) : 0;
	if (m >= 2 && freq * 10 >= n * 9)
		return REBUY_DELIM_WHITESPACE;
	return ',';
}
